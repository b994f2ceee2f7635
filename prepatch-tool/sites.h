// SPDX-License-Identifier: GPL-2.0
/*
 * sites.h - enumerate the places where Linux 6.1 or 6.12 x86-64 rewrites
 * its own text at boot, from the tables the linker collected in vmlinux.
 *
 * Each kind of site is one row of site_kinds[] (sites.c), in the style of
 * the special_entry table in tools/objtool/special.c: section name, entry
 * size, the layouts (layout.h) that have it, and a decoder that turns one
 * raw entry into a struct site holding absolute kernel virtual addresses.
 */
#ifndef RUND_PREPATCH_SITES_H
#define RUND_PREPATCH_SITES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "diag.h"
#include "kelf.h"
#include "layout.h"

/* arch/x86/include/asm/cpufeatures.h (6.1 and 6.12): NCAPINTS 22, NBUGINTS 2. */
#define X86_NCAPINTS		22
#define X86_NBUGINTS		2
#define X86_NR_FEATURES		((X86_NCAPINTS + X86_NBUGINTS) * 32)
/*
 * struct site.alt_flags, with 6.12's values (asm/alternative.h): patch if
 * the feature is NOT set (6.1: bit 15 of cpuid, ALTINSTR_FLAG_INV), and
 * turn "call BUG_func" into a direct call to the pv_ops slot's target.
 */
#define ALT_FLAG_NOT		(1u << 0)
#define ALT_FLAG_DIRECT_CALL	(1u << 1)
#define ALT_FLAGS_61_INV	(1u << 15)	/* 6.1's cpuid bit 15 */
/* arch/x86/kernel/alternative.c: MAX_PATCH_LEN (255-1), size of insn_buff[]. */
#define MAX_PATCH_LEN		(255 - 1)

/* One decoded table entry. */
struct site {
	size_t index;		/* entry number in its section */
	uint64_t entry_va;	/* address of the table entry itself */
	uint64_t target;	/* address of the instruction(s) patched */
	uint32_t len;		/* bytes at target the kernel may rewrite */
	uint64_t repl;		/* alternatives: replacement address */
	uint32_t repl_len;	/* alternatives: replacement length */
	uint16_t feature;	/* alternatives: X86_FEATURE_* or X86_BUG_* bit */
	uint16_t alt_flags;	/* alternatives: ALT_FLAG_* */
	uint8_t type;		/* paravirt: paravirt_patch_site.type (pv_ops slot) */
	uint64_t key;		/* static calls: address of the static_call_key */
	bool tail;		/* static calls: a tail call (JMP/Jcc, not CALL) */
	bool padding;		/* zero entry the kernel skips (.smp_locks page pad) */
};

struct site_kind {
	const char *name;	/* short name used in output */
	const char *sec;	/* section holding the table (its input section name
				 * when bounded by symbols) */
	/*
	 * Symbols bounding a table the linker script merged into another
	 * output section (.static_call_sites lands in .data), or NULL when
	 * @sec is an output section of its own.
	 */
	const char *start, *stop;
	unsigned int entsize;	/* bytes per entry */
	unsigned int layouts;	/* enum layout_id bits that have this table */
	bool required;		/* present in every x86-64 vmlinux of those */
	const char *consumer;	/* kernel function walking the table */
	/* Decode the entry at @ent (whose address is @va) into @s. */
	void (*decode)(const uint8_t *ent, uint64_t va, struct site *s);
	/*
	 * Check @s beyond "target lies in kernel text"; return NULL if fine or
	 * a static string naming the problem.  May be NULL.
	 */
	const char *(*check)(const struct kelf *k, const struct site *s);
};

extern const struct site_kind site_kinds[];
extern const size_t nr_site_kinds;

/* Where one kind's table lies in a vmlinux. */
struct site_table {
	bool present;
	uint64_t addr, size;
	const uint8_t *data;	/* file bytes of [addr, addr + size) */
};

/*
 * Find @kind's table in @k: -1 with @d set if it is required and absent,
 * or malformed (no file contents, size no multiple of the entry); else 0
 * with t->present saying whether an optional table exists.
 */
int site_table(const struct kelf *k, const struct site_kind *kind,
	       struct site_table *t, struct diag *d);

/* Row @name for @k's layout, or NULL when that layout has no such table. */
const struct site_kind *site_kind_by_name(const struct kelf *k, const char *name);

/*
 * Call @fn for each entry of @kind's table (padding included, see
 * site.padding).  Returns -1 with @d set if the table is absent (and
 * required) or its size is not a multiple of the entry size; returns the
 * first non-zero value of @fn otherwise.  An absent optional table yields
 * no calls and 0.
 */
typedef int (*site_fn)(const struct site *s, void *arg);
int sites_for_each(const struct kelf *k, const struct site_kind *kind,
		   site_fn fn, void *arg, struct diag *d);

/* Why @s is not a valid site, or NULL. */
const char *site_problem(const struct kelf *k, const struct site_kind *kind,
			 const struct site *s);

/* Result of scanning one table. */
struct site_stats {
	const struct site_kind *kind;	/* NULL: row not in the image's layout */
	bool present;
	uint64_t sec_addr, sec_size;
	size_t entries;		/* table entries, padding included */
	size_t sites;		/* entries that are real sites */
	size_t out_of_range;	/* sites failing site_problem() */
	struct site first_bad;	/* valid when out_of_range > 0 */
	const char *first_bad_why;
};

int sites_scan(const struct kelf *k, const struct site_kind *kind,
	       struct site_stats *st, struct diag *d);

/*
 * sites_scan() every kind of @k's layout into st[0..nr_site_kinds) (rows
 * of other layouts get kind NULL); -1 with @d naming the first
 * out-of-range entry if any.
 */
int sites_validate(const struct kelf *k, struct site_stats *st, struct diag *d);

#endif
