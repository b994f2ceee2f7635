// SPDX-License-Identifier: GPL-2.0
/*
 * layout.h - the boot-patching layouts rund-prepatch knows: one row per
 * kernel release line whose arch/x86/kernel/alternative.c it mirrors.
 *
 * A layout fixes what the offline patcher must get exactly right: the
 * struct alt_instr entry, whether paravirt has its own table or goes
 * through alternatives, the longest single NOP, and the feature numbers
 * the passes test.  The release in linux_banner picks the row; the tables
 * of the image must then agree with it (layout_check()), so an image whose
 * banner and tables disagree is refused rather than mis-patched.
 */
#ifndef RUND_PREPATCH_LAYOUT_H
#define RUND_PREPATCH_LAYOUT_H

#include <stdbool.h>

#include "diag.h"

struct kelf;

enum layout_id {
	LAYOUT_6_1 = 1 << 0,
	LAYOUT_6_12 = 1 << 1,
};

struct layout {
	enum layout_id id;	/* a bit, so tables can list the layouts of a row */
	const char *name;	/* "6.1" */
	unsigned int major, minor;
	unsigned int alt_entsize;	/* sizeof(struct alt_instr) */
	unsigned int nop_max;		/* ASM_NOP_MAX */
	/* X86_FEATURE_* numbers that moved between releases. */
	unsigned int feat_its_thunk;	/* INDIRECT_THUNK_ITS */
	unsigned int feat_call_depth;	/* CALL_DEPTH, 0 = not in this release */
	/*
	 * A static_call Jcc trampoline's fallback when RETHUNK is on:
	 * __x86_return_thunk (6.1) or x86_return_thunk, the thunk chosen
	 * at boot (6.12).
	 */
	bool jcc_uses_chosen_thunk;
	/*
	 * ITS thunks for the kernel's own retpoline sites are allocated at
	 * boot (6.12's its_allocate_thunk()); 6.1 allocates them for modules
	 * only and points the kernel at __x86_indirect_its_thunk_array.
	 */
	bool its_thunk_alloc;
	/* struct rund_prepatch_desc version of the guest patch (note.h) */
	unsigned int note_version;
	/* its room for pv_ops slots: NOTE_PV_MAX_V1 or _V2 */
	unsigned int note_pv_max;
};

/* The layout of release @major.@minor, or NULL. */
const struct layout *layout_find(unsigned int major, unsigned int minor);

/* "6.1 and 6.12": the releases rund-prepatch knows, for messages. */
const char *layout_names(void);

/*
 * Does @k have only tables @l has?  -1 with @d naming the mismatch (for
 * example a 6.12 banner on an image with .parainstructions).
 */
int layout_check(const struct kelf *k, const struct layout *l, struct diag *d);

#endif
