// SPDX-License-Identifier: GPL-2.0
/*
 * insn.h - x86-64 instruction length decoder: the subset of the kernel's
 * insn_decode_kernel() (arch/x86/lib/insn.c) that alternative.c needs:
 * total length, opcode bytes and the immediate (for rel32 targets).
 */
#ifndef RUND_PREPATCH_INSN_H
#define RUND_PREPATCH_INSN_H

#include <stddef.h>
#include <stdint.h>

#define X86_MAX_INSN_SIZE	15

struct insn {
	unsigned int length;
	unsigned int nprefix;		/* legacy prefixes + REX */
	uint8_t opcode[3];		/* opcode bytes as in struct insn.opcode.bytes */
	unsigned int opcode_len;
	int64_t immediate;		/* sign-extended first immediate */
	unsigned int imm_size;
};

/*
 * Decode the instruction at @p, of which @avail bytes are readable (the
 * kernel reads up to MAX_INSN_SIZE).  Returns 0 or -1 when the bytes are
 * not a valid 64-bit instruction or run past @avail.
 */
int insn_decode(struct insn *insn, const uint8_t *p, size_t avail);

#endif
