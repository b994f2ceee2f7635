// SPDX-License-Identifier: GPL-2.0
/*
 * layout.c - the table of known boot-patching layouts (see layout.h).
 *
 * Each value names the 6.1.192 or 6.12.118 source it was read from
 * (Debian's linux-source-6.1 and linux-source-6.12).
 */
#include <stddef.h>

#include "kelf.h"
#include "layout.h"
#include "note.h"

static const struct layout layouts[] = {
	{
		.id = LAYOUT_6_1,
		.name = "6.1",
		.major = 6, .minor = 1,
		/* s32, s32, u16 cpuid (bit 15: inverted), u8, u8 */
		.alt_entsize = 12,
		.nop_max = 8,				/* asm/nops.h */
		.feat_its_thunk = 21 * 32 + 5,
		.feat_call_depth = 0,
		.jcc_uses_chosen_thunk = false,
		.its_thunk_alloc = false,
		.note_version = 1,
		.note_pv_max = NOTE_PV_MAX_V1,
	},
	{
		.id = LAYOUT_6_12,
		.name = "6.12",
		.major = 6, .minor = 12,
		/* s32, s32, u32 ft_flags (cpuid:16, flags:16), u8, u8 */
		.alt_entsize = 14,
		.nop_max = 11,				/* BYTES_NOP9..11 */
		.feat_its_thunk = 21 * 32 + 6,
		.feat_call_depth = 11 * 32 + 19,
		.jcc_uses_chosen_thunk = true,
		.its_thunk_alloc = true,
		.note_version = 2,
		.note_pv_max = NOTE_PV_MAX_V2,	/* 80 on Debian's 6.12 */
	},
};

#define NR_LAYOUTS (sizeof(layouts) / sizeof(layouts[0]))

const struct layout *layout_find(unsigned int major, unsigned int minor)
{
	size_t i;

	for (i = 0; i < NR_LAYOUTS; i++)
		if (layouts[i].major == major && layouts[i].minor == minor)
			return &layouts[i];
	return NULL;
}

const char *layout_names(void)
{
	return "Linux 6.1 and 6.12";
}

/*
 * Sections that exist in one layout only.  (A table whose size is no
 * multiple of the layout's entry is reported by sites.c as truncated.)  Finding one in an image of the
 * other layout means the banner does not describe the tables.
 */
static const struct {
	const char *sec;
	unsigned int layouts;	/* where it may appear */
	const char *why;	/* what it is, for the message */
} only_in[] = {
	{ ".parainstructions", LAYOUT_6_1, "paravirt patch sites (gone since 6.8)" },
	{ ".call_sites", LAYOUT_6_12, "call depth tracking sites (since 6.2)" },
	{ ".cfi_sites", 0, "kCFI/FineIBT sites (clang CFI is not mirrored)" },
};

int layout_check(const struct kelf *k, const struct layout *l, struct diag *d)
{
	size_t i;

	for (i = 0; i < sizeof(only_in) / sizeof(only_in[0]); i++)
		if (!(only_in[i].layouts & l->id) && kelf_section(k, only_in[i].sec))
			return diag_set(d, "unknown boot-patching layout: a %s kernel with %s, %s",
					l->name, only_in[i].sec, only_in[i].why);
	return 0;
}
