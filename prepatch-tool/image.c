// SPDX-License-Identifier: GPL-2.0
/*
 * image.c - writable vmlinux copy (see image.h).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "image.h"

int image_load(struct image *im, const struct kelf *k, struct diag *d)
{
	uint64_t got = 0;
	ssize_t n;

	memset(im, 0, sizeof(*im));
	im->k = k;
	im->size = k->file_size;
	im->buf = malloc(im->size ? im->size : 1);
	if (!im->buf)
		return diag_set(d, "out of memory (%llu bytes)", (unsigned long long)im->size);
	while (got < im->size) {
		n = pread(k->fd, im->buf + got, im->size - got, (off_t)got);
		if (n <= 0)
			return diag_set(d, "cannot read: %s", n ? strerror(errno) : "file shrank");
		got += (uint64_t)n;
	}
	return 0;
}

void image_free(struct image *im)
{
	free(im->buf);
	memset(im, 0, sizeof(*im));
}

uint8_t *image_at(const struct image *im, uint64_t va, uint64_t len,
		  uint64_t *avail)
{
	const struct ksec *s = kelf_section_at(im->k, va, len);

	if (!s)
		return NULL;
	if (avail)
		*avail = s->size - (va - s->addr);
	return im->buf + s->offset + (va - s->addr);
}

static uint64_t count_changed(const uint8_t *dst, const uint8_t *src, uint64_t len)
{
	uint64_t i, n = 0;

	for (i = 0; i < len; i++)
		n += dst[i] != src[i];
	return n;
}

/*
 * Mirrors text_poke_early(): a plain memcpy into the text.  Counting the
 * changed bytes gives the "text bytes written at boot" a guest with the
 * compare-before-write patch would report for the same pass.
 */
int image_poke(struct image *im, uint64_t va, const uint8_t *src, uint64_t len)
{
	uint8_t *dst = image_at(im, va, len, NULL);

	if (!dst)
		return -1;
	im->bytes_changed += count_changed(dst, src, len);
	memmove(dst, src, len);
	im->pokes++;
	return 0;
}

void image_store(struct image *im, uint8_t *dst, const uint8_t *src, uint64_t len)
{
	if (dst >= im->buf && dst < im->buf + im->size)
		im->bytes_changed += count_changed(dst, src, len);
	memmove(dst, src, len);
}
