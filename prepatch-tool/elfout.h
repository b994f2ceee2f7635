// SPDX-License-Identifier: GPL-2.0
/*
 * elfout.h - write the patched vmlinux: the image bytes unchanged in
 * place, followed by a grown copy of .shstrtab, the new non-allocated
 * section (the note) and a new section header table; the ELF header is
 * pointed at them.  Every existing section and segment keeps its file
 * offset, so loaders see the same image.  Written to a temporary file next
 * to OUT and renamed over OUT only when complete.
 */
#ifndef RUND_PREPATCH_ELFOUT_H
#define RUND_PREPATCH_ELFOUT_H

#include <stddef.h>
#include <stdint.h>

#include "diag.h"
#include "image.h"

int elfout_write(const char *out, const struct image *im, const char *secname,
		 const uint8_t *data, size_t len, struct diag *d);

#endif
