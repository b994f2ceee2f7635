// SPDX-License-Identifier: GPL-2.0
/*
 * note.h - the rund.prepatch ELF note and the undo area.
 *
 * Note name "rund.prepatch"; type 1 = struct rund_prepatch_desc of the
 * guest patch (patches/guest, asm/rund_prepatch.h), all fields
 * little-endian u32 (pv entries: u16 type, u16 flags, s32 offset from
 * _text); type 2 = the canonical CAPS text, NUL-terminated.  Version 1
 * (6.1, 668 bytes) has room for 64 pv_ops slots, version 2 (6.12, 1180
 * bytes) for 128: a 6.12 kernel with Xen PV support patches 80 slots
 * through alternatives.  layout.c says which version a release uses.
 *
 * rund-prepatch apply always adds a non-allocated SHT_NOTE section
 * ".note.rund.prepatch" holding both notes.  When the vmlinux was built
 * with the guest patch it also fills, in place, the note the kernel
 * reserved (symbol rund_prepatch_note, inside .notes, so it is loaded) and
 * the undo area (symbol rund_prepatch_undo, init data): runs of
 * { s32 offset from _text; u16 len; u8 original[len] } for every byte the
 * pass changed, so a guest booting on a different CPU can restore the
 * original text before patching as usual.
 */
#ifndef RUND_PREPATCH_NOTE_H
#define RUND_PREPATCH_NOTE_H

#include <stddef.h>
#include <stdint.h>

#include "caps.h"
#include "diag.h"
#include "image.h"

#define NOTE_NAME		"rund.prepatch"
#define NOTE_TYPE_DESC		1
#define NOTE_TYPE_CAPS		2
#define NOTE_PV_MAX_V1		64
#define NOTE_PV_MAX_V2		128
#define NOTE_FLAG_UP		0x1
#define NOTE_PV_NULL		0x1

/* Offsets inside the desc. */
#define DESC_VERSION		0
#define DESC_FILLED		4
#define DESC_NWORDS		8
#define DESC_FLAGS		12
#define DESC_WORDS		16
#define DESC_NPV		(DESC_WORDS + 4 * CAPS_NWORDS)
#define DESC_PV			(DESC_NPV + 4)
#define DESC_UNDO_LEN(pvmax)	(DESC_PV + 8 * (pvmax))
#define DESC_UNDO_RUNS(pvmax)	(DESC_UNDO_LEN(pvmax) + 4)
#define DESC_DIGEST(pvmax)	(DESC_UNDO_RUNS(pvmax) + 4)
/* sizeof(struct rund_prepatch_desc): 668 (version 1), 1180 (version 2) */
#define NOTE_DESC_SIZE(pvmax)	(DESC_DIGEST(pvmax) + 32)
#define NOTE_DESC_MAX		NOTE_DESC_SIZE(NOTE_PV_MAX_V2)

struct prepatch_note {
	uint32_t version;		/* layout.note_version */
	uint32_t pv_max;		/* NOTE_PV_MAX_V1 or _V2 */
	uint32_t desc_size;		/* NOTE_DESC_SIZE(pv_max) */
	uint8_t desc[NOTE_DESC_MAX];
	uint32_t undo_len, undo_runs;
	uint8_t *blob;			/* both notes, as in the section */
	size_t blob_len;
};

/*
 * Build the desc for @caps and the image @im (pv entries for every pv_ops
 * slot the image patches, alternative_pv_used(), in ascending order), with @digest (SHA-256 of
 * the input file).  Fills undo area and reserved note in @im when present.
 */
int note_fill(struct image *im, const struct caps *caps, const uint8_t digest[32],
	      struct prepatch_note *n, struct diag *d);
void note_free(struct prepatch_note *n);

/* SHA-256 of @len bytes. */
void sha256(const uint8_t *p, uint64_t len, uint8_t out[32]);

#endif
