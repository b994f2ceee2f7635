// SPDX-License-Identifier: GPL-2.0
/*
 * caps.c - parse and print CAPS files (format in caps.h).
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "caps.h"

#define CAPS_MAX_FILE	(1 << 20)
#define MAX_FIELDS	4

struct line {
	unsigned int no;
	int n;
	char *f[MAX_FIELDS + 1];
};

static int parse_u32(const char *s, int base, uint32_t max, uint32_t *v)
{
	char *end;
	unsigned long long x;

	if (!*s || *s == '-' || *s == '+')
		return -1;
	errno = 0;
	x = strtoull(s, &end, base);
	if (errno || *end || x > max)
		return -1;
	*v = (uint32_t)x;
	return 0;
}

static int want_fields(const struct line *l, int n, struct diag *d)
{
	if (l->n != n)
		return diag_set(d, "line %u: '%s' takes %d argument%s", l->no, l->f[0],
				n - 1, n == 2 ? "" : "s");
	return 0;
}

/* cap N HEX / bug N HEX */
static int dir_word(const struct line *l, struct caps *c, bool *seen,
		    struct diag *d)
{
	bool bug = !strcmp(l->f[0], "bug");
	uint32_t n, v, max = bug ? X86_NBUGINTS - 1 : X86_NCAPINTS - 1;
	unsigned int w;

	if (want_fields(l, 3, d))
		return -1;
	if (parse_u32(l->f[1], 10, max, &n))
		return diag_set(d, "line %u: %s word index '%s' not in 0..%u", l->no,
				l->f[0], l->f[1], max);
	if (parse_u32(l->f[2], 16, UINT32_MAX, &v))
		return diag_set(d, "line %u: %s word %u: '%s' is not a 32-bit hex number",
				l->no, l->f[0], n, l->f[2]);
	w = bug ? X86_NCAPINTS + n : n;
	if (seen[w])
		return diag_set(d, "line %u: %s word %u given twice", l->no, l->f[0], n);
	seen[w] = true;
	c->words[w] = v;
	return 0;
}

/* pv TYPE SYMBOL[+0xOFF] | null */
static int dir_pv(const struct line *l, struct caps *c, struct diag *d)
{
	struct caps_pv *pv;
	uint32_t t;
	char *plus;

	if (want_fields(l, 3, d))
		return -1;
	if (parse_u32(l->f[1], 10, 255, &t))
		return diag_set(d, "line %u: pv type '%s' not in 0..255", l->no, l->f[1]);
	pv = &c->pv[t];
	if (pv->set)
		return diag_set(d, "line %u: pv type %u given twice", l->no, t);
	pv->set = true;
	if (!strcmp(l->f[2], "null")) {
		pv->null = true;
		return 0;
	}
	plus = strchr(l->f[2], '+');
	if (plus) {
		char *end;

		*plus = '\0';
		errno = 0;
		pv->off = strtoull(plus + 1, &end, 16);
		if (errno || *end || plus[1] == '\0' || plus[1] == '-')
			return diag_set(d, "line %u: pv %u: bad offset '+%s'", l->no, t, plus + 1);
	}
	if (!*l->f[2] || strlen(l->f[2]) >= CAPS_SYM_MAX)
		return diag_set(d, "line %u: pv %u: bad symbol name", l->no, t);
	strcpy(pv->sym, l->f[2]);
	return 0;
}

static int dir_other(const struct line *l, struct caps *c, struct diag *d)
{
	const char *k = l->f[0];

	if (!strcmp(k, "kernel")) {
		if (want_fields(l, 2, d))
			return -1;
		if (strlen(l->f[1]) >= sizeof(c->kernel))
			return diag_set(d, "line %u: kernel release too long", l->no);
		strcpy(c->kernel, l->f[1]);
		return 0;
	}
	if (!strcmp(k, "lock")) {
		if (want_fields(l, 2, d))
			return -1;
		if (strcmp(l->f[1], "smp") && strcmp(l->f[1], "up"))
			return diag_set(d, "line %u: lock must be 'smp' or 'up', not '%s'",
					l->no, l->f[1]);
		c->uniproc = !strcmp(l->f[1], "up");
		return 0;
	}
	if (!strcmp(k, "return_thunk")) {
		if (want_fields(l, 2, d))
			return -1;
		if (strlen(l->f[1]) >= CAPS_SYM_MAX)
			return diag_set(d, "line %u: return_thunk symbol too long", l->no);
		strcpy(c->return_thunk, l->f[1]);
		return 0;
	}
	return diag_set(d, "line %u: unknown directive '%s'", l->no, k);
}

/* Split @s (modified) into blank-separated fields; strip comments. */
static void split(char *s, struct line *l)
{
	char *save = NULL, *tok;

	s[strcspn(s, "#")] = '\0';
	l->n = 0;
	for (tok = strtok_r(s, " \t\r", &save); tok; tok = strtok_r(NULL, " \t\r", &save)) {
		if (l->n <= MAX_FIELDS)
			l->f[l->n] = tok;
		l->n++;
	}
}

static int check_complete(const struct caps *c, const bool *seen, bool header,
			  struct diag *d)
{
	unsigned int i;

	(void)c;
	if (!header)
		return diag_set(d, "not a CAPS file: no 'rund-prepatch-caps %d' line",
				CAPS_VERSION);
	for (i = 0; i < CAPS_NWORDS; i++)
		if (!seen[i])
			return diag_set(d, "%s word %u missing", i < X86_NCAPINTS ? "cap" : "bug",
					i < X86_NCAPINTS ? i : i - X86_NCAPINTS);
	return 0;
}

static int parse_line(struct line *l, struct caps *c, bool *seen, bool *header,
		      struct diag *d)
{
	if (l->n == 0)
		return 0;
	if (l->n > MAX_FIELDS)
		return diag_set(d, "line %u: too many fields", l->no);
	if (!*header) {
		if (strcmp(l->f[0], "rund-prepatch-caps"))
			return diag_set(d, "line %u: not a CAPS file: expected 'rund-prepatch-caps %d'",
					l->no, CAPS_VERSION);
		if (l->n != 2 || strcmp(l->f[1], "1"))
			return diag_set(d, "line %u: unsupported CAPS version", l->no);
		*header = true;
		return 0;
	}
	if (!strcmp(l->f[0], "cap") || !strcmp(l->f[0], "bug"))
		return dir_word(l, c, seen, d);
	if (!strcmp(l->f[0], "pv"))
		return dir_pv(l, c, d);
	return dir_other(l, c, d);
}

int caps_parse(const char *text, size_t len, struct caps *c, struct diag *d)
{
	bool seen[CAPS_NWORDS] = { false }, header = false;
	struct line l = { 0, 0, { NULL } };
	char *buf, *s, *save = NULL;
	int ret = 0;

	memset(c, 0, sizeof(*c));
	strcpy(c->return_thunk, "__x86_return_thunk");
	if (memchr(text, '\0', len))
		return diag_set(d, "not a CAPS file: contains NUL bytes");
	buf = malloc(len + 1);
	if (!buf)
		return diag_set(d, "out of memory");
	memcpy(buf, text, len);
	buf[len] = '\0';
	/* strtok_r would merge empty lines and lose the numbering: walk by hand. */
	for (s = buf; s && !ret; s = save) {
		save = strchr(s, '\n');
		if (save)
			*save++ = '\0';
		l.no++;
		split(s, &l);
		ret = parse_line(&l, c, seen, &header, d);
	}
	free(buf);
	return ret ? ret : check_complete(c, seen, header, d);
}

int caps_read_file(const char *path, struct caps *c, struct diag *d)
{
	FILE *f = fopen(path, "rb");
	char *buf;
	size_t n;
	int ret;

	if (!f)
		return diag_set(d, "cannot open CAPS: %s", strerror(errno));
	buf = malloc(CAPS_MAX_FILE + 1);
	if (!buf) {
		fclose(f);
		return diag_set(d, "out of memory");
	}
	n = fread(buf, 1, CAPS_MAX_FILE + 1, f);
	if (ferror(f))
		ret = diag_set(d, "cannot read CAPS: %s", strerror(errno));
	else if (n > CAPS_MAX_FILE)
		ret = diag_set(d, "CAPS file larger than %d bytes", CAPS_MAX_FILE);
	else
		ret = caps_parse(buf, n, c, d);
	free(buf);
	fclose(f);
	return ret;
}

void caps_format(const struct caps *c, FILE *f)
{
	unsigned int i;

	fprintf(f, "rund-prepatch-caps %d\n", CAPS_VERSION);
	if (c->kernel[0])
		fprintf(f, "kernel %s\n", c->kernel);
	for (i = 0; i < X86_NCAPINTS; i++)
		fprintf(f, "cap %u %08" PRIx32 "\n", i, c->words[i]);
	for (i = 0; i < X86_NBUGINTS; i++)
		fprintf(f, "bug %u %08" PRIx32 "\n", i, c->words[X86_NCAPINTS + i]);
	fprintf(f, "lock %s\n", c->uniproc ? "up" : "smp");
	for (i = 0; i < 256; i++) {
		const struct caps_pv *pv = &c->pv[i];

		if (!pv->set)
			continue;
		if (pv->null)
			fprintf(f, "pv %u null\n", i);
		else if (pv->off)
			fprintf(f, "pv %u %s+0x%" PRIx64 "\n", i, pv->sym, pv->off);
		else
			fprintf(f, "pv %u %s\n", i, pv->sym);
	}
	fprintf(f, "return_thunk %s\n", c->return_thunk);
}
