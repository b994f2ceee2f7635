// SPDX-License-Identifier: GPL-2.0
/*
 * insn.c - x86-64 instruction length decoder (see insn.h).
 *
 * Mirrors the steps of insn_get_length() in arch/x86/lib/insn.c for 64-bit
 * mode: prefixes (insn_get_prefixes: legacy, REX, VEX/EVEX), opcode
 * (insn_get_opcode: one-byte map, 0f, 0f38, 0f3a), ModRM/SIB
 * (insn_get_modrm, insn_get_sib), displacement (insn_get_displacement),
 * immediate (insn_get_immediate).  The per-opcode attributes are this
 * file's own compact tables, written from the Intel SDM opcode maps
 * rather than generated from x86-opcode-map.txt.
 */
#include <string.h>

#include "insn.h"

/* Attribute of an opcode: ModRM present and kind of immediate. */
enum {
	A_INV = 0x80,	/* invalid in 64-bit mode */
	A_M = 0x40,	/* has ModRM */
	A_IMASK = 0x0f,
	I_NONE = 0, I_B, I_W, I_Z, I_V, I_WB, I_MOFFS, I_GRP3,
};

#define M A_M
#define X A_INV

/* One-byte opcode map (64-bit mode).  Prefix bytes never reach this table. */
static const uint8_t map1[256] = {
	/* 00 */ M, M, M, M, I_B, I_Z, X, X, M, M, M, M, I_B, I_Z, X, 0,
	/* 10 */ M, M, M, M, I_B, I_Z, X, X, M, M, M, M, I_B, I_Z, X, X,
	/* 20 */ M, M, M, M, I_B, I_Z, 0, X, M, M, M, M, I_B, I_Z, 0, X,
	/* 30 */ M, M, M, M, I_B, I_Z, 0, X, M, M, M, M, I_B, I_Z, 0, X,
	/* 40 */ 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	/* 50 */ 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	/* 60 */ X, X, X, M, 0, 0, 0, 0, I_Z, M | I_Z, I_B, M | I_B, 0, 0, 0, 0,
	/* 70 */ I_B, I_B, I_B, I_B, I_B, I_B, I_B, I_B,
		 I_B, I_B, I_B, I_B, I_B, I_B, I_B, I_B,
	/* 80 */ M | I_B, M | I_Z, X, M | I_B, M, M, M, M, M, M, M, M, M, M, M, M,
	/* 90 */ 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, X, 0, 0, 0, 0, 0,
	/* a0 */ I_MOFFS, I_MOFFS, I_MOFFS, I_MOFFS, 0, 0, 0, 0,
		 I_B, I_Z, 0, 0, 0, 0, 0, 0,
	/* b0 */ I_B, I_B, I_B, I_B, I_B, I_B, I_B, I_B,
		 I_V, I_V, I_V, I_V, I_V, I_V, I_V, I_V,
	/* c0 */ M | I_B, M | I_B, I_W, 0, X, X, M | I_B, M | I_Z,
		 I_WB, 0, I_W, 0, 0, I_B, X, 0,
	/* d0 */ M, M, M, M, X, X, X, 0, M, M, M, M, M, M, M, M,
	/* e0 */ I_B, I_B, I_B, I_B, I_B, I_B, I_B, I_B, I_Z, I_Z, X, I_B, 0, 0, 0, 0,
	/* f0 */ 0, 0, 0, 0, 0, 0, M | I_GRP3, M | I_GRP3, 0, 0, 0, 0, 0, 0, M, M,
};

/* Two-byte map 0f xx. */
static const uint8_t map0f[256] = {
	/* 00 */ M, M, M, M, X, 0, 0, 0, 0, 0, X, 0, X, M, 0, M | I_B,
	/* 10 */ M, M, M, M, M, M, M, M, M, M, M, M, M, M, M, M,
	/* 20 */ M, M, M, M, X, X, X, X, M, M, M, M, M, M, M, M,
	/* 30 */ 0, 0, 0, 0, 0, 0, X, 0, X, X, X, X, X, X, X, X,
	/* 40 */ M, M, M, M, M, M, M, M, M, M, M, M, M, M, M, M,
	/* 50 */ M, M, M, M, M, M, M, M, M, M, M, M, M, M, M, M,
	/* 60 */ M, M, M, M, M, M, M, M, M, M, M, M, M, M, M, M,
	/* 70 */ M | I_B, M | I_B, M | I_B, M | I_B, M, M, M, 0, M, M, X, X, M, M, M, M,
	/* 80 */ I_Z, I_Z, I_Z, I_Z, I_Z, I_Z, I_Z, I_Z,
		 I_Z, I_Z, I_Z, I_Z, I_Z, I_Z, I_Z, I_Z,
	/* 90 */ M, M, M, M, M, M, M, M, M, M, M, M, M, M, M, M,
	/* a0 */ 0, 0, 0, M, M | I_B, M, X, X, 0, 0, 0, M, M | I_B, M, M, M,
	/* b0 */ M, M, M, M, M, M, M, M, M, M, M | I_B, M, M, M, M, M,
	/* c0 */ M, M, M | I_B, M, M | I_B, M | I_B, M | I_B, M, 0, 0, 0, 0, 0, 0, 0, 0,
	/* d0 */ M, M, M, M, M, M, M, M, M, M, M, M, M, M, M, M,
	/* e0 */ M, M, M, M, M, M, M, M, M, M, M, M, M, M, M, M,
	/* f0 */ M, M, M, M, M, M, M, M, M, M, M, M, M, M, M, M,
};

#undef M
#undef X

enum { MAP_1, MAP_0F, MAP_0F38, MAP_0F3A };

struct dstate {
	const uint8_t *p;
	size_t avail, pos;
	int opsize16, addr32, rexw, vex;
};

static int get(struct dstate *s, uint8_t *b)
{
	if (s->pos >= s->avail || s->pos >= X86_MAX_INSN_SIZE)
		return -1;
	*b = s->p[s->pos++];
	return 0;
}

static int is_legacy_prefix(uint8_t b)
{
	switch (b) {
	case 0x26: case 0x2e: case 0x36: case 0x3e: case 0x64: case 0x65:
	case 0x66: case 0x67: case 0xf0: case 0xf2: case 0xf3:
		return 1;
	}
	return 0;
}

/* insn_get_prefixes(): legacy prefixes, then at most one REX. */
static int prefixes(struct dstate *s, struct insn *insn)
{
	uint8_t b;

	while (s->pos < s->avail && is_legacy_prefix(s->p[s->pos])) {
		if (get(s, &b))
			return -1;
		if (!insn->prefix0)
			insn->prefix0 = b;
		s->opsize16 |= b == 0x66;
		s->addr32 |= b == 0x67;
	}
	if (s->pos < s->avail && (s->p[s->pos] & 0xf0) == 0x40) {
		if (get(s, &b))
			return -1;
		s->rexw = !!(b & 8);
	}
	insn->nprefix = (unsigned int)s->pos;
	return 0;
}

/* VEX (c4/c5) and EVEX (62) prefixes: return the opcode map they select. */
static int vex_prefix(struct dstate *s, uint8_t lead, int *map)
{
	uint8_t b1, b2, b3;

	s->vex = 1;
	if (get(s, &b1))
		return -1;
	if (lead == 0xc5) {
		*map = MAP_0F;
		return 0;
	}
	if (get(s, &b2))
		return -1;
	if (lead == 0x62) {
		if (get(s, &b3))
			return -1;
		s->rexw = !!(b2 & 0x80);
		*map = b1 & 3;		/* EVEX.mm: 1 = 0f, 2 = 0f38, 3 = 0f3a */
	} else {
		s->rexw = !!(b2 & 0x80);
		*map = b1 & 0x1f;	/* VEX.mmmmm */
	}
	return *map >= MAP_0F && *map <= MAP_0F3A ? 0 : -1;
}

/* insn_get_opcode(): escape bytes or VEX map, then the opcode byte. */
static int opcode(struct dstate *s, struct insn *insn, int *map, uint8_t *op)
{
	uint8_t b;

	if (get(s, &b))
		return -1;
	*map = MAP_1;
	if (b == 0xc4 || b == 0xc5 || b == 0x62) {
		if (vex_prefix(s, b, map) || get(s, op))
			return -1;
		insn->opcode[0] = *op;
		insn->opcode_len = 1;
		return 0;
	}
	insn->opcode[insn->opcode_len++] = b;
	if (b != 0x0f) {
		*op = b;
		return 0;
	}
	if (get(s, &b))
		return -1;
	insn->opcode[insn->opcode_len++] = b;
	*map = MAP_0F;
	if (b == 0x38 || b == 0x3a) {
		*map = b == 0x38 ? MAP_0F38 : MAP_0F3A;
		if (get(s, &b))
			return -1;
		insn->opcode[insn->opcode_len++] = b;
	}
	*op = b;
	return 0;
}

static uint8_t attr_of(const struct dstate *s, int map, uint8_t op)
{
	switch (map) {
	case MAP_1:
		return map1[op];
	case MAP_0F:
		if (s->vex && op == 0x77)	/* vzeroupper/vzeroall */
			return 0;
		return s->vex ? (uint8_t)(map0f[op] | A_M) & (uint8_t)~A_INV : map0f[op];
	case MAP_0F38:
		return A_M;
	default:
		return A_M | I_B;
	}
}

static int64_t read_imm(const uint8_t *p, unsigned int n)
{
	uint64_t v = 0;
	unsigned int i;

	for (i = 0; i < n; i++)
		v |= (uint64_t)p[i] << (8 * i);
	if (n < 8 && (v >> (8 * n - 1)) & 1)
		v |= ~0ull << (8 * n);
	return (int64_t)v;
}

/* insn_get_modrm() + insn_get_sib() + insn_get_displacement(). */
static int modrm(struct dstate *s, struct insn *insn, uint8_t *reg)
{
	uint8_t m, sib, mod, rm;
	unsigned int disp = 0;

	if (get(s, &m))
		return -1;
	insn->has_modrm = 1;
	insn->modrm = m;
	mod = m >> 6;
	rm = m & 7;
	*reg = (m >> 3) & 7;
	if (mod == 3)
		return 0;
	if (rm == 4) {
		if (get(s, &sib))
			return -1;
		if (mod == 0 && (sib & 7) == 5)
			disp = 4;
	}
	if (mod == 0 && rm == 5)
		disp = 4;		/* RIP-relative */
	if (mod == 1)
		disp = 1;
	if (mod == 2)
		disp = 4;
	if (s->pos + disp > s->avail || s->pos + disp > X86_MAX_INSN_SIZE)
		return -1;
	insn->disp_offset = (unsigned int)s->pos;
	insn->disp_size = disp;
	insn->displacement = disp ? read_imm(s->p + s->pos, disp) : 0;
	s->pos += disp;
	return 0;
}

static unsigned int imm_size(const struct dstate *s, unsigned int kind,
			     unsigned int *second)
{
	*second = 0;
	switch (kind) {
	case I_B: return 1;
	case I_W: return 2;
	case I_Z: return s->opsize16 && !s->rexw ? 2 : 4;
	case I_V: return s->rexw ? 8 : s->opsize16 ? 2 : 4;
	case I_WB: *second = 1; return 2;
	case I_MOFFS: return s->addr32 ? 4 : 8;
	default: return 0;
	}
}

/* insn_get_immediate(); relative branches (e8/e9/0f 8x) ignore 66 (f64). */
static int immediate(struct dstate *s, struct insn *insn, int map, uint8_t op,
		     uint8_t attr, uint8_t reg)
{
	unsigned int kind = attr & A_IMASK, n, second;

	if (kind == I_GRP3)		/* f6/f7: TEST has an immediate */
		kind = reg > 1 ? I_NONE : op == 0xf6 ? I_B : I_Z;
	n = imm_size(s, kind, &second);
	if ((map == MAP_1 && (op == 0xe8 || op == 0xe9)) ||
	    (map == MAP_0F && (op & 0xf0) == 0x80))
		n = 4;
	if (s->pos + n + second > s->avail ||
	    s->pos + n + second > X86_MAX_INSN_SIZE)
		return -1;
	insn->imm_size = n;
	insn->imm_offset = (unsigned int)s->pos;
	insn->immediate = n ? read_imm(s->p + s->pos, n) : 0;
	s->pos += n + second;
	return 0;
}

int insn_decode(struct insn *insn, const uint8_t *p, size_t avail)
{
	struct dstate s = { .p = p, .avail = avail };
	uint8_t op = 0, attr, reg = 0;
	int map;

	memset(insn, 0, sizeof(*insn));
	if (prefixes(&s, insn) || opcode(&s, insn, &map, &op))
		return -1;
	attr = attr_of(&s, map, op);
	if (attr & A_INV)
		return -1;
	if ((attr & A_M) && modrm(&s, insn, &reg))
		return -1;
	if (immediate(&s, insn, map, op, attr, reg))
		return -1;
	insn->length = (unsigned int)s.pos;
	return 0;
}
