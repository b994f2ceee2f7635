// SPDX-License-Identifier: GPL-2.0
/*
 * image.h - a writable in-memory copy of a vmlinux, addressed by kernel
 * virtual address: what the kernel's own text looks like to
 * alternative_instructions() while it patches itself.
 */
#ifndef RUND_PREPATCH_IMAGE_H
#define RUND_PREPATCH_IMAGE_H

#include <stdint.h>

#include "diag.h"
#include "kelf.h"

struct image {
	const struct kelf *k;
	uint8_t *buf;		/* copy of the whole file */
	uint64_t size;
	uint64_t pokes;		/* text_poke_early() calls */
	uint64_t bytes_changed;	/* bytes those calls actually changed */
};

int image_load(struct image *im, const struct kelf *k, struct diag *d);
void image_free(struct image *im);

/*
 * Writable bytes for [va, va + len) inside one allocated section with file
 * contents, or NULL.  *avail (if non-NULL) gets the bytes readable from va
 * to the end of that section.
 */
uint8_t *image_at(const struct image *im, uint64_t va, uint64_t len,
		  uint64_t *avail);

/*
 * text_poke_early(): copy @len bytes to @va, counting the bytes changed.
 * -1 if the range is not inside one section with file contents.
 */
int image_poke(struct image *im, uint64_t va, const uint8_t *src, uint64_t len);

/* A direct store into text (optimize_nops()): count changes, no poke. */
void image_store(struct image *im, uint8_t *dst, const uint8_t *src, uint64_t len);

#endif
