// SPDX-License-Identifier: GPL-2.0
/*
 * calibrate.c - console line -> CAPS (see calibrate.h).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "calibrate.h"

/* The last occurrence of the tag; the line is copied into @line. */
static int find_line(const char *log, size_t len, char *line, size_t size,
		     struct diag *d)
{
	const char *p = log, *last = NULL, *end = log + len;
	size_t tl = strlen(CALIBRATE_TAG), n;

	while ((size_t)(end - p) >= tl) {
		const char *hit = memmem(p, (size_t)(end - p), CALIBRATE_TAG, tl);

		if (!hit)
			break;
		last = hit;
		p = hit + 1;
	}
	if (!last)
		return diag_set(d, "no \"%s\" line: was the kernel built with patches/guest?",
				"rund-prepatch: calibrate v1");
	last += tl;
	n = strcspn(last, "\r\n");
	if (last + n > end)
		n = (size_t)(end - last);
	if (n >= size)
		return diag_set(d, "calibrate line too long");
	memcpy(line, last, n);
	line[n] = '\0';
	return 0;
}

static int parse_words(char *v, struct caps *c, struct diag *d)
{
	char *save = NULL, *tok, *end;
	unsigned int i = 0;

	for (tok = strtok_r(v, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		unsigned long long x;

		errno = 0;
		x = strtoull(tok, &end, 16);
		if (i >= CAPS_NWORDS || errno || *end || !*tok || x > UINT32_MAX)
			return diag_set(d, "calibrate line: bad caps word %u '%s'", i, tok);
		c->words[i++] = (uint32_t)x;
	}
	if (i != CAPS_NWORDS)
		return diag_set(d, "calibrate line: %u caps words, expected %d", i, CAPS_NWORDS);
	return 0;
}

/* One "T:OFF" or "T:null": pv_ops slot T -> symbol of _text + OFF. */
static int parse_pv_one(char *tok, const struct kelf *k, uint64_t text,
			struct caps *c, struct diag *d)
{
	char *colon = strchr(tok, ':'), *end;
	unsigned long t;
	long long off;
	uint64_t soff = 0;
	const char *name;
	struct caps_pv *pv;

	if (!colon)
		return diag_set(d, "calibrate line: bad pv entry '%s'", tok);
	*colon = '\0';
	errno = 0;
	t = strtoul(tok, &end, 10);
	if (errno || *end || !*tok || t > 255)
		return diag_set(d, "calibrate line: bad pv type '%s'", tok);
	pv = &c->pv[t];
	pv->set = true;
	if (!strcmp(colon + 1, "null")) {
		pv->null = true;
		return 0;
	}
	errno = 0;
	off = strtoll(colon + 1, &end, 16);
	if (errno || *end || !colon[1])
		return diag_set(d, "calibrate line: bad pv offset '%s'", colon + 1);
	/* The guest prints (s32)(target - _text) as %x. */
	off = (int32_t)(uint32_t)off;
	name = kelf_symbol_at(k, text + (uint64_t)off, &soff);
	if (!name || strlen(name) >= CAPS_SYM_MAX)
		return diag_set(d, "pv %lu: no symbol at _text%+lld in the vmlinux", t, off);
	strcpy(pv->sym, name);
	pv->off = soff;
	return 0;
}

static int parse_pv(char *v, const struct kelf *k, uint64_t text, struct caps *c,
		    struct diag *d)
{
	char *save = NULL, *tok;

	for (tok = strtok_r(v, ",", &save); tok; tok = strtok_r(NULL, ",", &save))
		if (parse_pv_one(tok, k, text, c, d))
			return -1;
	return 0;
}

static int parse_field(char *f, const struct kelf *k, uint64_t text, struct caps *c,
		       bool *have_caps, struct diag *d)
{
	char *eq = strchr(f, '=');

	if (!eq)
		return diag_set(d, "calibrate line: bad field '%s'", f);
	*eq++ = '\0';
	if (!strcmp(f, "text"))
		return 0;	/* the guest's _text: differs from vmlinux under KASLR only */
	if (!strcmp(f, "up")) {
		if (strcmp(eq, "0") && strcmp(eq, "1"))
			return diag_set(d, "calibrate line: up=%s", eq);
		c->uniproc = *eq == '1';
		return 0;
	}
	if (!strcmp(f, "caps")) {
		*have_caps = true;
		return parse_words(eq, c, d);
	}
	if (!strcmp(f, "pv"))
		return parse_pv(eq, k, text, c, d);
	return diag_set(d, "calibrate line: unknown field '%s'", f);
}

int calibrate_parse(const char *log, size_t len, const struct kelf *k,
		    struct caps *c, struct diag *d)
{
	char line[2048], *save = NULL, *f;
	bool have_caps = false;
	uint64_t text, size;

	memset(c, 0, sizeof(*c));
	strcpy(c->return_thunk, "__x86_return_thunk");
	if (find_line(log, len, line, sizeof(line), d) ||
	    kelf_symbol(k, "_text", &text, &size, d))
		return -1;
	for (f = strtok_r(line, " ", &save); f; f = strtok_r(NULL, " ", &save))
		if (parse_field(f, k, text, c, &have_caps, d))
			return -1;
	if (!have_caps)
		return diag_set(d, "calibrate line has no caps= field");
	return 0;
}
