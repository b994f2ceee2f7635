// SPDX-License-Identifier: GPL-2.0
/*
 * caps.h - the CAPS file: the CPU state that decides what the
 * alternative_instructions() of Linux 6.1 or 6.12 patches.  Text, one directive per line,
 * '#' starts a comment, fields separated by blanks:
 *
 *   rund-prepatch-caps 1          first directive, format version
 *   kernel RELEASE                optional; must equal the vmlinux's release
 *   cap N HEX                     boot_cpu_data.x86_capability[N], N = 0..21
 *   bug N HEX                     x86_capability[NCAPINTS + N], N = 0..1
 *   lock smp|up                   SMP lock prefixes kept (smp) or turned
 *                                 into DS prefixes 0x3e (up, as when
 *                                 num_present_cpus() == 1 or maxcpus=1)
 *   pv TYPE TARGET                pv_ops slot TYPE (6.1: paravirt_patch_site.type;
 *                                 6.12: the slot an ALT_FLAG_DIRECT_CALL
 *                                 alternative calls through) holds TARGET:
 *                                 SYMBOL, SYMBOL+0xOFF, or null
 *   return_thunk SYMBOL           value of x86_return_thunk (default
 *                                 __x86_return_thunk); used only when the
 *                                 image has .return_sites
 *
 * Every cap and bug word must appear exactly once.  The words are those
 * after paravirt_set_cap() (the guest patch prints them at that point), so
 * the synthetic PVUNLOCK/VCPUPREEMPT bits are already included.  Every pv
 * slot the image patches needs a pv line (checked by apply).
 */
#ifndef RUND_PREPATCH_CAPS_H
#define RUND_PREPATCH_CAPS_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "diag.h"
#include "sites.h"

#define CAPS_VERSION	1
#define CAPS_NWORDS	(X86_NCAPINTS + X86_NBUGINTS)
#define CAPS_SYM_MAX	128

struct caps_pv {
	bool set;
	bool null;
	char sym[CAPS_SYM_MAX];		/* target symbol ("" when null) */
	uint64_t off;			/* + offset */
};

struct caps {
	char kernel[65];		/* "" when absent */
	uint32_t words[CAPS_NWORDS];
	bool uniproc;			/* lock up */
	struct caps_pv pv[256];		/* indexed by paravirt_patch_site.type */
	char return_thunk[CAPS_SYM_MAX];
};

/* Parse CAPS text (@len bytes); the message names the line. */
int caps_parse(const char *text, size_t len, struct caps *c, struct diag *d);
int caps_read_file(const char *path, struct caps *c, struct diag *d);

/* Canonical text form (what apply records in the note). */
void caps_format(const struct caps *c, FILE *f);

/* boot_cpu_has(): bit @bit of the capability+bug words. */
static inline bool caps_has(const struct caps *c, unsigned int bit)
{
	return bit < CAPS_NWORDS * 32 && (c->words[bit / 32] >> (bit % 32)) & 1;
}

#endif
