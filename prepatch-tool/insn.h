// SPDX-License-Identifier: GPL-2.0
/*
 * insn.h - x86-64 instruction length decoder: the subset of the kernel's
 * insn_decode_kernel() (arch/x86/lib/insn.c) that alternative.c needs:
 * total length, first prefix, opcode bytes, and where the displacement
 * and the immediate are (6.12's apply_relocation() rewrites both).
 */
#ifndef RUND_PREPATCH_INSN_H
#define RUND_PREPATCH_INSN_H

#include <stddef.h>
#include <stdint.h>

#define X86_MAX_INSN_SIZE	15

struct insn {
	unsigned int length;
	unsigned int nprefix;		/* legacy prefixes + REX */
	uint8_t prefix0;		/* first legacy prefix (prefixes.bytes[0]), 0 if none */
	uint8_t opcode[3];		/* opcode bytes as in struct insn.opcode.bytes */
	unsigned int opcode_len;
	int64_t immediate;		/* sign-extended first immediate */
	unsigned int imm_size;
	unsigned int imm_offset;	/* insn_offset_immediate() */
	int64_t displacement;		/* sign-extended */
	unsigned int disp_size;
	unsigned int disp_offset;	/* insn_offset_displacement() */
	uint8_t has_modrm;
	uint8_t modrm;
};

/* insn_rip_relative(): ModRM with mod 0, r/m 5 (64-bit mode). */
static inline int insn_rip_relative(const struct insn *insn)
{
	return insn->has_modrm && (insn->modrm & 0xc7) == 0x05;
}

/*
 * Decode the instruction at @p, of which @avail bytes are readable (the
 * kernel reads up to MAX_INSN_SIZE).  Returns 0 or -1 when the bytes are
 * not a valid 64-bit instruction or run past @avail.
 */
int insn_decode(struct insn *insn, const uint8_t *p, size_t avail);

#endif
