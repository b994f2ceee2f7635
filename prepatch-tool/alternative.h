// SPDX-License-Identifier: GPL-2.0
/*
 * alternative.h - offline alternative_instructions(): apply to a vmlinux
 * image what Linux 6.1 or 6.12 x86-64 patches at boot for the CPU state in
 * a CAPS file (arch/x86/kernel/alternative.c, paravirt.c, static_call.c).
 */
#ifndef RUND_PREPATCH_ALTERNATIVE_H
#define RUND_PREPATCH_ALTERNATIVE_H

#include <stddef.h>

#include "caps.h"
#include "diag.h"
#include "image.h"
#include "sites.h"

struct pass_stats {
	const char *kind;	/* site kind (sites.h) */
	bool ran;		/* false: table absent or pass not applicable */
	size_t sites;		/* sites walked */
	size_t patched;		/* sites text_poke_early() wrote */
	size_t warned;		/* sites the kernel would WARN about and skip */
};

#define NR_PASSES 8	/* passes of one layout (alternative.c passes[]) */

struct apply_result {
	struct pass_stats pass[NR_PASSES];
	size_t npass;
	uint64_t pokes, bytes_changed;
};

/*
 * The pv_ops slots @k patches at boot: the types of .parainstructions
 * (6.1), the slots ALT_FLAG_DIRECT_CALL alternatives call through (6.12).
 * used[slot] = 1 for each.
 */
int alternative_pv_used(const struct kelf *k, uint8_t used[256], struct diag *d);

/*
 * Check @caps against @k before patching: a pv line for every pv_ops slot
 * the image patches, every symbol CAPS names exists, and nothing CAPS
 * asks for is done at boot in a way an offline patcher cannot repeat.
 */
int alternative_check_caps(const struct kelf *k, const struct caps *caps,
			   struct diag *d);

/*
 * Patch @im in place.  Fails (with @d) if CAPS lacks a pv_ops slot the
 * image uses, names a symbol the image lacks, or the image needs something
 * that cannot be done offline; the image is then half-patched and must be
 * discarded.
 */
int alternative_instructions(struct image *im, const struct caps *caps,
			     struct apply_result *r, struct diag *d);

#endif
