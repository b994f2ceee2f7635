// SPDX-License-Identifier: GPL-2.0
/*
 * note.c - build the rund.prepatch note, the undo runs, and fill the
 * kernel-reserved copies (see note.h).
 */
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "alternative.h"
#include "note.h"
#include "sites.h"

#define NOTE_NAMESZ		(sizeof(NOTE_NAME))		/* 14 */
#define NOTE_NAME_PAD		((NOTE_NAMESZ + 3) & ~3u)	/* 16 */
#define NOTE_HDR		12
#define UNDO_HDR		6	/* s32 offset + u16 length */
#define UNDO_MERGE_GAP		UNDO_HDR

static void put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
	p[2] = (uint8_t)(v >> 16);
	p[3] = (uint8_t)(v >> 24);
}

void sha256(const uint8_t *p, uint64_t len, uint8_t out[32])
{
	unsigned int n = 32;

	EVP_Digest(p, len, out, &n, EVP_sha256(), NULL);
}

/* pv entries: live_state() in the guest patch lists the same set. */
static int desc_pv(const struct image *im, const struct caps *caps, uint64_t text,
		   struct prepatch_note *n, struct diag *d)
{
	uint8_t *desc = n->desc;
	uint8_t used[256] = { 0 };
	uint32_t npv = 0;
	unsigned int t;

	if (alternative_pv_used(im->k, used, d))
		return -1;
	for (t = 0; t < 256; t++) {
		const struct caps_pv *pv = &caps->pv[t];
		uint8_t *e = desc + DESC_PV + 8 * npv;
		uint64_t v = 0, size;

		if (!used[t])
			continue;
		if (npv == n->pv_max)
			return diag_set(d, "more than %u pv_ops slots used (note version %u)",
					n->pv_max, n->version);
		if (!pv->null && kelf_symbol(im->k, pv->sym, &v, &size, d))
			return -1;
		e[0] = (uint8_t)t;
		e[1] = 0;
		e[2] = pv->null ? NOTE_PV_NULL : 0;
		e[3] = 0;
		put32(e + 4, pv->null ? 0 : (uint32_t)(v + pv->off - text));
		npv++;
	}
	put32(desc + DESC_NPV, npv);
	return 0;
}

static void build_desc(const struct caps *caps, const uint8_t digest[32],
		       struct prepatch_note *n)
{
	uint8_t *desc = n->desc;
	unsigned int i;

	memset(desc, 0, sizeof(n->desc));
	put32(desc + DESC_VERSION, n->version);
	put32(desc + DESC_FILLED, 1);
	put32(desc + DESC_NWORDS, CAPS_NWORDS);
	put32(desc + DESC_FLAGS, caps->uniproc ? NOTE_FLAG_UP : 0);
	for (i = 0; i < CAPS_NWORDS; i++)
		put32(desc + DESC_WORDS + 4 * i, caps->words[i]);
	memcpy(desc + DESC_DIGEST(n->pv_max), digest, 32);
}

struct undo {
	uint8_t *buf;		/* NULL: count only */
	uint64_t cap, len;
	uint32_t runs;
	uint64_t text;
};

static void undo_run(struct undo *u, uint64_t va, const uint8_t *orig, uint64_t n)
{
	if (u->buf && u->len + UNDO_HDR + n <= u->cap) {
		uint8_t *p = u->buf + u->len;

		put32(p, (uint32_t)(va - u->text));
		p[4] = (uint8_t)n;
		p[5] = (uint8_t)(n >> 8);
		memcpy(p + UNDO_HDR, orig, n);
	}
	u->len += UNDO_HDR + n;
	u->runs++;
}

/* Runs of bytes that differ between the file and the image, per section. */
static void undo_section(struct undo *u, const struct ksec *s, const uint8_t *now)
{
	uint64_t i = 0, start, end;

	while (i < s->size) {
		if (s->data[i] == now[i]) {
			i++;
			continue;
		}
		start = end = i;
		for (; i < s->size && i - end <= UNDO_MERGE_GAP && i - start < 0xffff; i++)
			if (s->data[i] != now[i])
				end = i;
		undo_run(u, s->addr + start, s->data + start, end - start + 1);
		i = end + 1;
	}
}

static void undo_walk(const struct image *im, struct undo *u)
{
	size_t i;

	for (i = 1; i < im->k->nsec; i++) {
		const struct ksec *s = &im->k->sec[i];

		if (ksec_is_text(s) && s->data)
			undo_section(u, s, im->buf + s->offset);
	}
}

/* Undo area: symbol rund_prepatch_undo, when the kernel has the guest patch. */
static int fill_undo(struct image *im, uint64_t text, struct prepatch_note *n,
		     struct diag *d)
{
	struct undo u = { .text = text };
	uint64_t va, size;
	struct diag ignore;
	uint8_t *area;

	undo_walk(im, &u);
	n->undo_len = (uint32_t)u.len;
	n->undo_runs = u.runs;
	if (kelf_symbol(im->k, "rund_prepatch_undo", &va, &size, &ignore))
		return 0;
	area = image_at(im, va, size, NULL);
	if (!area)
		return diag_set(d, "rund_prepatch_undo (0x%llx, %llu bytes) has no file contents",
				(unsigned long long)va, (unsigned long long)size);
	if (u.len > size)
		return diag_set(d, "undo area too small: %llu bytes needed, rund_prepatch_undo has %llu",
				(unsigned long long)u.len, (unsigned long long)size);
	u = (struct undo){ .buf = area, .cap = size, .text = text };
	undo_walk(im, &u);
	return 0;
}

/* The note the kernel reserved (symbol rund_prepatch_note), filled in place. */
static int fill_reserved(struct image *im, const struct prepatch_note *n,
			 struct diag *d)
{
	uint64_t va, size;
	struct diag ignore;
	uint8_t *p;

	if (kelf_symbol(im->k, "rund_prepatch_note", &va, &size, &ignore))
		return 0;
	p = image_at(im, va, NOTE_HDR + NOTE_NAME_PAD + n->desc_size, NULL);
	if (!p || size != NOTE_HDR + NOTE_NAME_PAD + n->desc_size)
		return diag_set(d, "rund_prepatch_note has size %llu, expected %u: guest patch version mismatch",
				(unsigned long long)size,
				(unsigned int)(NOTE_HDR + NOTE_NAME_PAD + n->desc_size));
	if (get_u32(p) != NOTE_NAMESZ || get_u32(p + 4) != n->desc_size ||
	    get_u32(p + 8) != NOTE_TYPE_DESC || memcmp(p + NOTE_HDR, NOTE_NAME, NOTE_NAMESZ) ||
	    get_u32(p + NOTE_HDR + NOTE_NAME_PAD) != n->version)
		return diag_set(d, "rund_prepatch_note is not a version %u rund.prepatch note",
				n->version);
	memcpy(p + NOTE_HDR + NOTE_NAME_PAD, n->desc, n->desc_size);
	return 0;
}

static void blob_note(uint8_t *p, uint32_t type, const void *desc, uint32_t len)
{
	put32(p, NOTE_NAMESZ);
	put32(p + 4, len);
	put32(p + 8, type);
	memset(p + NOTE_HDR, 0, NOTE_NAME_PAD);
	memcpy(p + NOTE_HDR, NOTE_NAME, NOTE_NAMESZ);
	memcpy(p + NOTE_HDR + NOTE_NAME_PAD, desc, len);
}

/* Both notes for the .note.rund.prepatch section. */
static int build_blob(const struct caps *caps, struct prepatch_note *n, struct diag *d)
{
	char *text = NULL;
	size_t tlen = 0, a1, a2;
	FILE *f = open_memstream(&text, &tlen);

	if (!f)
		return diag_set(d, "out of memory");
	caps_format(caps, f);
	fclose(f);
	a1 = NOTE_HDR + NOTE_NAME_PAD + n->desc_size;
	a2 = NOTE_HDR + NOTE_NAME_PAD + ((tlen + 1 + 3) & ~(size_t)3);
	n->blob = calloc(1, a1 + a2);
	if (!n->blob) {
		free(text);
		return diag_set(d, "out of memory");
	}
	blob_note(n->blob, NOTE_TYPE_DESC, n->desc, n->desc_size);
	blob_note(n->blob + a1, NOTE_TYPE_CAPS, text, (uint32_t)tlen + 1);
	n->blob_len = a1 + a2;
	free(text);
	return 0;
}

int note_fill(struct image *im, const struct caps *caps, const uint8_t digest[32],
	      struct prepatch_note *n, struct diag *d)
{
	uint64_t text, size;

	memset(n, 0, sizeof(*n));
	n->version = im->k->layout->note_version;
	n->pv_max = im->k->layout->note_pv_max;
	n->desc_size = NOTE_DESC_SIZE(n->pv_max);
	if (kelf_symbol(im->k, "_text", &text, &size, d))
		return -1;
	build_desc(caps, digest, n);
	if (desc_pv(im, caps, text, n, d) || fill_undo(im, text, n, d))
		return -1;
	put32(n->desc + DESC_UNDO_LEN(n->pv_max), n->undo_len);
	put32(n->desc + DESC_UNDO_RUNS(n->pv_max), n->undo_runs);
	if (fill_reserved(im, n, d))
		return -1;
	return build_blob(caps, n, d);
}

void note_free(struct prepatch_note *n)
{
	free(n->blob);
	memset(n, 0, sizeof(*n));
}
