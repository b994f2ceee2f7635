// SPDX-License-Identifier: GPL-2.0
/*
 * alternative.c - offline mirror of alternative_instructions() of Linux
 * 6.1 and 6.12 (arch/x86/kernel/alternative.c).
 *
 * One pass per site kind, in the kernel's order (passes[] below, driven by
 * the site tables of sites.c as objtool's special.c drives its entries;
 * a row names the layouts that run it).  Each function names the kernel
 * function it mirrors; where 6.1 and 6.12 differ the function says which
 * release it follows.  Reads of text go to the image being patched,
 * exactly as the kernel reads its own live text, so earlier passes feed
 * later ones (paravirt before alternatives, later alternatives over
 * earlier ones).
 */
#include <stdlib.h>
#include <string.h>

#include "alternative.h"
#include "insn.h"

/* arch/x86/include/asm/cpufeatures.h, the same in 6.1.192 and 6.12.118 */
#define X86_FEATURE_LA57		(16 * 32 + 16)
#define X86_FEATURE_RETPOLINE		(11 * 32 + 12)
#define X86_FEATURE_RETPOLINE_LFENCE	(11 * 32 + 13)
#define X86_FEATURE_RETHUNK		(11 * 32 + 14)

/* arch/x86/include/asm/text-patching.h */
#define INT3_INSN_OPCODE	0xcc
#define RET_INSN_OPCODE		0xc3
#define CALL_INSN_OPCODE	0xe8
#define CALL_INSN_SIZE		5
#define JMP32_INSN_OPCODE	0xe9
#define JMP32_INSN_SIZE		5
#define JMP8_INSN_OPCODE	0xeb
#define JMP8_INSN_SIZE		2
#define CALL_RIP_REL_OPCODE	0xff	/* 6.12 alt_replace_call() */
#define CALL_RIP_REL_MODRM	0x15
#define ASM_NOP_MAX		11	/* the larger of the layouts' nop_max */
#define RETPOLINE_THUNK_SIZE	32	/* asm/nospec-branch.h */
#define ITS_THUNK_SIZE		64
#define ENDBR_POISON		0x001f0f66u	/* gen_endbr_poison(): osp nopl (%rax) */
#define ENDBR64			0xfa1e0ff3u	/* gen_endbr() */

/*
 * asm/nops.h, x86-64 BYTES_NOP1..8 (6.1 and 6.12) and 9..11 (6.12 only,
 * layout.nop_max): the recommended long NOPs.
 */
static const uint8_t nops[ASM_NOP_MAX + 1][ASM_NOP_MAX] = {
	[1] = { 0x90 },
	[2] = { 0x66, 0x90 },
	[3] = { 0x0f, 0x1f, 0x00 },
	[4] = { 0x0f, 0x1f, 0x40, 0x00 },
	[5] = { 0x0f, 0x1f, 0x44, 0x00, 0x00 },
	[6] = { 0x66, 0x0f, 0x1f, 0x44, 0x00, 0x00 },
	[7] = { 0x0f, 0x1f, 0x80, 0x00, 0x00, 0x00, 0x00 },
	[8] = { 0x0f, 0x1f, 0x84, 0x00, 0x00, 0x00, 0x00, 0x00 },
	[9] = { 0x2e, 0x0f, 0x1f, 0x84, 0x00, 0x00, 0x00, 0x00, 0x00 },
	[10] = { 0x66, 0x2e, 0x0f, 0x1f, 0x84, 0x00, 0x00, 0x00, 0x00, 0x00 },
	[11] = { 0x66, 0x66, 0x2e, 0x0f, 0x1f, 0x84, 0x00, 0x00, 0x00, 0x00, 0x00 },
};

/* static_call.c: the 3 bytes after a trampoline's RET/JMP. */
static const uint8_t tramp_ud[] = { 0x0f, 0xb9, 0xcc };
/* static_call.c: what a CALL to __static_call_return0 becomes. */
static const uint8_t xor5rax[] = { 0x2e, 0x2e, 0x2e, 0x31, 0xc0 };

/* asm/runtime-const.h: the immediate of runtime_const_ptr() before boot. */
#define RUNTIME_CONST_PTR_PLACEHOLDER	0x0123456789abcdefull
/* asm/page_64.h task_size_max(): (1 << 47 or 56) - PAGE_SIZE */
#define PAGE_SIZE		4096ull
#define VIRTUAL_MASK_SHIFT_L4	47
#define VIRTUAL_MASK_SHIFT_L5	56

/* Addresses of the kernel symbols the passes need (0 = absent). */
struct ksyms {
	uint64_t paravirt_nop, paravirt_bug;		/* 6.1 */
	uint64_t pv_ops, pv_ops_size, bug_func, nop_func;	/* 6.12 */
	uint64_t thunk_array, its_thunk_array, its_init_mod;
	uint64_t return_thunk_default, return_thunk, its_return_thunk;
	uint64_t static_call_return, static_call_return0;
	uint64_t pgtable_l5_enabled;	/* only with CONFIG_X86_5LEVEL */
	uint64_t text, etext;
};

struct patcher {
	struct image *im;
	const struct caps *caps;
	const struct layout *l;
	struct ksyms sym;
	uint64_t pv[256];		/* resolved pv_ops targets */
	uint8_t *alt_len;		/* 6.12: instrlen per entry, nests merged */
	uint64_t user_ptr_max;		/* 6.12: USER_PTR_MAX for this CPU */
	struct pass_stats *st;		/* current pass */
	struct diag *d;
};

static bool has(const struct patcher *p, unsigned int bit)
{
	return caps_has(p->caps, bit);	/* boot_cpu_has() / cpu_feature_enabled() */
}

static void put_u64(uint8_t *b, uint64_t v)
{
	unsigned int i;

	for (i = 0; i < sizeof(v); i++)
		b[i] = (uint8_t)(v >> (8 * i));
}

static void put_s32(uint8_t *b, int32_t v)
{
	uint32_t u = (uint32_t)v;

	b[0] = (uint8_t)u;
	b[1] = (uint8_t)(u >> 8);
	b[2] = (uint8_t)(u >> 16);
	b[3] = (uint8_t)(u >> 24);
}

/* Mirrors add_nops() (6.1; 6.12 has add_nop() below). */
static void add_nops(uint8_t *insns, unsigned int len)
{
	while (len > 0) {
		unsigned int n = len > 8 ? 8 : len;

		memcpy(insns, nops[n], n);
		insns += n;
		len -= n;
	}
}

/* Mirrors __is_Jcc(): a 6-byte Jcc rel32 (0f 8x). */
static bool is_jcc(const uint8_t *b)
{
	return b[0] == 0x0f && (b[1] & 0xf0) == 0x80;
}

/* Mirrors __text_gen_insn() for the 5-byte CALL/JMP/Jcc-tail forms. */
static void gen_insn(uint8_t *buf, uint8_t op, uint64_t addr, uint64_t dest,
		     unsigned int size)
{
	buf[0] = op;
	put_s32(buf + 1, (int32_t)(dest - (addr + size)));
}

/*
 * The JCC case of __static_call_transform(): the Jcc.d32 at @addr (second
 * opcode byte @op) retargeted to @dest; returns its size, 6.
 */
static unsigned int gen_jcc(uint8_t *buf, uint8_t op, uint64_t addr, uint64_t dest)
{
	buf[0] = 0x0f;
	gen_insn(buf + 1, op, addr + 1, dest, 5);
	return 6;
}

/* Mirrors optimize_nops_range(); @store: the bytes live in the image. */
static int optimize_nops_range(struct patcher *p, uint8_t *instr, uint8_t instrlen,
			       int off, bool store)
{
	uint8_t buf[256];
	int i = off, nnops;

	while (i < instrlen && instr[i] == 0x90)
		i++;
	nnops = i - off;
	if (nnops <= 1)
		return nnops;
	add_nops(buf, (unsigned int)nnops);
	if (store)
		image_store(p->im, instr + off, buf, (uint64_t)nnops);
	else
		memcpy(instr + off, buf, (size_t)nnops);
	return nnops;
}

/*
 * Mirrors optimize_nops(): decode from the start, turn each run of 0x90
 * into long NOPs; stop at the first undecodable instruction.  @avail bytes
 * are readable at @instr (the kernel decoder reads past @len).
 */
static void optimize_nops(struct patcher *p, uint8_t *instr, size_t len,
			  uint64_t avail, bool store)
{
	struct insn insn;
	size_t i = 0;

	for (;;) {
		if (i >= avail || insn_decode(&insn, instr + i, avail - i))
			return;
		if (insn.length == 1 && insn.opcode[0] == 0x90)
			i += (size_t)optimize_nops_range(p, instr, (uint8_t)len, (int)i, store);
		else
			i += insn.length;
		if (i >= len)
			return;
	}
}

/*
 * Mirrors add_nop() (6.12): one NOP up to ASM_NOP_MAX bytes, else a JMP
 * over INT3 padding.  @va is where @buf will live (the JMP is relative).
 */
static void add_nop(const struct patcher *p, uint8_t *buf, unsigned int len)
{
	unsigned int i = 0;

	if (!len)
		return;
	if (len <= p->l->nop_max) {
		memcpy(buf, nops[len], len);
		return;
	}
	if (len < 128) {
		buf[0] = JMP8_INSN_OPCODE;
		buf[1] = (uint8_t)(len - JMP8_INSN_SIZE);
		i = JMP8_INSN_SIZE;
	} else {
		gen_insn(buf, JMP32_INSN_OPCODE, 0, len, JMP32_INSN_SIZE);
		i = JMP32_INSN_SIZE;
	}
	memset(buf + i, INT3_INSN_OPCODE, len - i);
}

/* Mirrors insn_is_nop() (6.12): NOP (not REP NOP) and NOPL. */
static bool insn_is_nop(const struct insn *insn)
{
	if (insn->opcode[0] == 0x90 && insn->prefix0 != 0xf3)
		return true;
	return insn->opcode[0] == 0x0f && insn->opcode[1] == 0x1f;
}

/* Decode buf[i] as insn_decode_kernel() would: MAX_INSN_SIZE readable. */
static int decode_buf(struct insn *insn, const uint8_t *buf, size_t size, size_t i)
{
	return i >= size ? -1 : insn_decode(insn, buf + i, size - i);
}

/* Mirrors skip_nops() (6.12). */
static size_t skip_nops(const uint8_t *buf, size_t size, size_t off, size_t len)
{
	struct insn insn;

	for (; off < len; off += insn.length)
		if (decode_buf(&insn, buf, size, off) || !insn_is_nop(&insn))
			break;
	return off;
}

/*
 * Mirrors optimize_nops() (6.12): every run of NOP/NOPL instructions in
 * @buf[0..len) becomes one add_nop(), unless the run is a single NOP that
 * ends the buffer.  @size bytes of @buf are readable.
 */
static void optimize_nops_612(const struct patcher *p, uint8_t *buf, size_t size,
			      size_t len)
{
	struct insn insn;
	size_t i, next;

	for (i = 0; i < len; i = next) {
		if (decode_buf(&insn, buf, size, i))
			return;
		next = i + insn.length;
		if (insn_is_nop(&insn)) {
			if (next == len)
				return;
			next = skip_nops(buf, size, next, len);
			add_nop(p, buf + i, (unsigned int)(next - i));
		}
	}
}

/* optimize_nops() on a buffer about to be written: per layout. */
static void optimize_buf(struct patcher *p, uint8_t *buf, size_t size, size_t len)
{
	if (p->l->id == LAYOUT_6_1)
		optimize_nops(p, buf, len, size, false);
	else
		optimize_nops_612(p, buf, size, len);
}

static int poke(struct patcher *p, uint64_t va, const uint8_t *b, uint64_t len)
{
	if (image_poke(p->im, va, b, len))
		return diag_set(p->d, "%s: write of %llu bytes at 0x%llx outside the image",
				p->st->kind, (unsigned long long)len, (unsigned long long)va);
	p->st->patched++;
	return 0;
}

/* ---- static calls --------------------------------------------------- */

/*
 * static_call_init() runs in setup_arch(), after rund_prepatch_early() has
 * restored the original text of a mismatched image and before
 * alternative_instructions(): for every site it writes what key->func
 * says.  The boot's __static_call_transform() skips a site whose bytes are
 * already right, so a site pre-applied here stays shared unless something
 * calls static_call_update() on its key later in the boot.  What it writes
 * depends on no CPU feature, with one exception left to the boot: a tail
 * call of a NULL function, whose RET or return thunk depends on
 * X86_FEATURE_RETHUNK, which cpu_select_mitigations() sets after
 * static_call_init() has run.
 */

/* Mirrors __static_call_validate(site, tail, false). */
static bool static_call_valid(const uint8_t *b, bool tail)
{
	if (tail)
		return b[0] == JMP32_INSN_OPCODE || b[0] == RET_INSN_OPCODE || is_jcc(b);
	return b[0] == CALL_INSN_OPCODE || !memcmp(b, nops[5], 5) ||
	       !memcmp(b, xor5rax, sizeof(xor5rax));
}

/*
 * Mirrors __static_call_transform(site, __sc_insn(!func, tail), func) for
 * CALL, NOP, JMP and JCC; *size 0 for the RET left to the boot.
 */
static void static_call_code(const struct patcher *p, uint64_t site, const uint8_t *cur,
			     bool tail, uint64_t func, uint8_t *code, unsigned int *size)
{
	*size = CALL_INSN_SIZE;
	if (tail && !func) {
		*size = 0;
	} else if (tail && is_jcc(cur)) {
		*size = gen_jcc(code, cur[1], site, func);
	} else if (tail) {
		gen_insn(code, JMP32_INSN_OPCODE, site, func, JMP32_INSN_SIZE);
	} else if (!func) {
		memcpy(code, nops[5], 5);
	} else if (func == p->sym.static_call_return0) {
		memcpy(code, xor5rax, sizeof(xor5rax));
	} else {
		/* callthunks_translate_call_dest(): CALL_DEPTH is refused */
		gen_insn(code, CALL_INSN_OPCODE, site, func, CALL_INSN_SIZE);
	}
}

/* Mirrors one iteration of __static_call_init(NULL, ...). */
static int static_call_site(const struct site *s, void *arg)
{
	struct patcher *p = arg;
	const uint8_t *key = image_at(p->im, s->key, sizeof(uint64_t), NULL);
	uint64_t avail = 0;
	const uint8_t *cur = image_at(p->im, s->target, CALL_INSN_SIZE, &avail);
	uint8_t code[6];
	unsigned int size;

	p->st->sites++;
	if (cur && cur[0] == 0x0f && avail < 6)
		cur = NULL;
	if (!key || !cur)
		return diag_set(p->d, "static call site %zu at 0x%llx: site or key 0x%llx outside the image",
				s->index, (unsigned long long)s->target,
				(unsigned long long)s->key);
	if (!static_call_valid(cur, s->tail))	/* the kernel BUG()s */
		return diag_set(p->d, "static call site %zu at 0x%llx: unexpected opcode 0x%02x for a %s site",
				s->index, (unsigned long long)s->target, cur[0],
				s->tail ? "tail-call" : "call");
	static_call_code(p, s->target, cur, s->tail, get_u64(key), code, &size);
	if (!size || !memcmp(cur, code, size))
		return 0;
	return poke(p, s->target, code, size);
}

/* ---- runtime constants (6.12) ---------------------------------------- */

/*
 * USER_PTR_MAX = TASK_SIZE_MAX (arch_cpu_finalize_init(), right after
 * alternative_instructions()): 56-bit user space with CONFIG_X86_5LEVEL
 * (which alone defines __pgtable_l5_enabled) on a CPU that keeps LA57,
 * 47-bit otherwise - task_size_max() is an alternative on LA57.  The
 * boot stores it in every site whatever is there; the guest series
 * (patches/guest/6.12/0003) compares first, so a pre-applied value
 * leaves the page shared.  The dentry hash table's runtime constants
 * depend on the guest's memory and stay the boot's.
 */
static int user_ptr_max_prepare(struct patcher *p, const struct site_kind *kind)
{
	unsigned int shift = VIRTUAL_MASK_SHIFT_L4;

	(void)kind;
	if (p->sym.pgtable_l5_enabled && has(p, X86_FEATURE_LA57))
		shift = VIRTUAL_MASK_SHIFT_L5;
	p->user_ptr_max = (1ull << shift) - PAGE_SIZE;
	return 0;
}

/* Mirrors __runtime_fixup_ptr() for one runtime_const_ptr(USER_PTR_MAX). */
static int user_ptr_max_site(const struct site *s, void *arg)
{
	struct patcher *p = arg;
	uint8_t *imm = image_at(p->im, s->target, sizeof(uint64_t), NULL);
	uint8_t v[sizeof(uint64_t)];

	p->st->sites++;
	if (!imm || get_u64(imm) != RUNTIME_CONST_PTR_PLACEHOLDER)
		return diag_set(p->d, "runtime_ptr_USER_PTR_MAX entry %zu: 0x%llx holds no runtime_const_ptr() placeholder",
				s->index, (unsigned long long)s->target);
	put_u64(v, p->user_ptr_max);
	image_store(p->im, imm, v, sizeof(v));	/* a plain store, no text_poke */
	p->st->patched++;
	return 0;
}

/* ---- paravirt ------------------------------------------------------- */

/* Mirrors paravirt_patch() (arch/x86/kernel/paravirt.c). */
static unsigned int paravirt_patch(struct patcher *p, uint8_t type, uint8_t *buf,
				   uint64_t addr)
{
	uint64_t opfunc = p->pv[type];

	if (p->caps->pv[type].null) {
		gen_insn(buf, CALL_INSN_OPCODE, addr, p->sym.paravirt_bug, CALL_INSN_SIZE);
		return CALL_INSN_SIZE;
	}
	if (opfunc == p->sym.paravirt_nop)
		return 0;
	gen_insn(buf, CALL_INSN_OPCODE, addr, opfunc, CALL_INSN_SIZE);
	return CALL_INSN_SIZE;
}

/* Mirrors one iteration of apply_paravirt(). */
static int paravirt_site(const struct site *s, void *arg)
{
	struct patcher *p = arg;
	uint8_t buf[MAX_PATCH_LEN + CALL_INSN_SIZE];
	const uint8_t *cur = image_at(p->im, s->target, s->len, NULL);
	unsigned int used;

	p->st->sites++;
	memcpy(buf, cur, s->len);
	used = paravirt_patch(p, s->type, buf, s->target);
	if (used > s->len)	/* BUG_ON(used > p->len) */
		return diag_set(p->d, ".parainstructions entry %zu: %u-byte site cannot hold the call (the kernel would BUG)",
				s->index, s->len);
	add_nops(buf + used, s->len - used);
	return poke(p, s->target, buf, s->len);
}

/* ---- retpolines ------------------------------------------------------ */

static bool is_jcc32(const struct insn *insn)
{
	return insn->opcode[0] == 0x0f && (insn->opcode[1] & 0xf0) == 0x80;
}

/* Mirrors emit_indirect(): CALL/JMP *%reg. */
static int emit_indirect(uint8_t op, int reg, uint8_t *bytes)
{
	uint8_t modrm;
	int i = 0;

	if (op == CALL_INSN_OPCODE)
		modrm = 0x10;
	else if (op == JMP32_INSN_OPCODE)
		modrm = 0x20;
	else
		return -1;
	if (reg >= 8) {
		bytes[i++] = 0x41;
		reg -= 8;
	}
	bytes[i++] = 0xff;
	bytes[i++] = (uint8_t)(0xc0 | modrm) + (uint8_t)reg;
	return i;
}

/* Mirrors __emit_trampoline() (ITS). */
static int emit_trampoline(uint64_t addr, const struct insn *insn, uint8_t *bytes,
			   uint64_t dest)
{
	uint8_t op = insn->opcode[0];
	int i = 0;

	if (is_jcc32(insn)) {
		bytes[i++] = op;
		op = insn->opcode[1];
	} else if (insn->length == 6) {
		bytes[i++] = 0x2e;
	}
	if (op != CALL_INSN_OPCODE && op != JMP32_INSN_OPCODE && (op & 0xf0) != 0x80)
		return -1;
	gen_insn(bytes + i, op, addr + (uint64_t)i, dest, 5);
	return i + 5;
}

/* Mirrors cpu_wants_indirect_its_thunk_at(). */
static bool wants_its_thunk_at(const struct patcher *p, uint64_t addr, int reg)
{
	if (!has(p, p->l->feat_its_thunk))
		return false;
	addr += 1 + (uint64_t)(reg / 8);
	return !(addr & 0x20);
}

/* Mirrors patch_retpoline(); -1 = leave the site alone, -2 = error set. */
static int patch_retpoline(struct patcher *p, uint64_t addr, const struct insn *insn,
			   uint8_t *bytes)
{
	uint64_t target = addr + insn->length + (uint64_t)insn->immediate;
	int64_t diff = (int64_t)(target - p->sym.thunk_array);
	/* a pointer difference: the kernel's compiler shifts (floor), C divides */
	int64_t reg = diff >= 0 ? diff / RETPOLINE_THUNK_SIZE :
			-((-diff + RETPOLINE_THUNK_SIZE - 1) / RETPOLINE_THUNK_SIZE);
	uint8_t op = insn->opcode[0];
	int i = 0, ret;

	if (!p->sym.thunk_array || (reg & ~0xf))
		return -1;			/* WARN_ON_ONCE(reg & ~0xf) */
	if (reg == 4) {
		diag_set(p->d, "retpoline site 0x%llx: CALL/JMP *%%rsp (the kernel would BUG)",
			 (unsigned long long)addr);
		return -2;
	}
	if (has(p, X86_FEATURE_RETPOLINE) && !has(p, X86_FEATURE_RETPOLINE_LFENCE))
		return -1;
	if (is_jcc32(insn)) {
		bytes[i++] = 0x70 + ((insn->opcode[1] & 0xf) ^ 1);
		bytes[i++] = (uint8_t)(insn->length - 2);
		op = JMP32_INSN_OPCODE;
	}
	if (has(p, X86_FEATURE_RETPOLINE_LFENCE)) {
		bytes[i++] = 0x0f;
		bytes[i++] = 0xae;
		bytes[i++] = 0xe8;
	}
	if (wants_its_thunk_at(p, addr + (uint64_t)i, (int)reg)) {
		/*
		 * 6.1 allocates thunk pages only for modules, 6.12 for the
		 * kernel too (its_allocate_thunk()): an address only the
		 * booting kernel knows.
		 */
		if (p->sym.its_init_mod || p->l->its_thunk_alloc) {
			diag_set(p->d, "retpoline site 0x%llx needs an ITS thunk the kernel allocates at boot; cannot pre-patch",
				 (unsigned long long)addr);
			return -2;
		}
		return emit_trampoline(addr, insn, bytes,
				       p->sym.its_thunk_array + (uint64_t)reg * ITS_THUNK_SIZE);
	}
	ret = emit_indirect(op, (int)reg, bytes + i);
	if (ret < 0)
		return -1;
	i += ret;
	if (op == JMP32_INSN_OPCODE && i < (int)insn->length)
		bytes[i++] = INT3_INSN_OPCODE;
	while (i < (int)insn->length)
		bytes[i++] = 0x90;
	return i;
}

static int decode_site(struct patcher *p, uint64_t addr, struct insn *insn)
{
	uint64_t avail;
	const uint8_t *b = image_at(p->im, addr, 1, &avail);

	if (!b || insn_decode(insn, b, avail)) {
		p->st->warned++;		/* WARN_ON_ONCE(ret < 0) */
		return -1;
	}
	return 0;
}

/* Mirrors one iteration of apply_retpolines(). */
static int retpoline_site(const struct site *s, void *arg)
{
	struct patcher *p = arg;
	uint8_t bytes[16 + X86_MAX_INSN_SIZE] = { 0 };
	struct insn insn;
	int len;

	p->st->sites++;
	if (decode_site(p, s->target, &insn))
		return 0;
	if (insn.opcode[0] != CALL_INSN_OPCODE && insn.opcode[0] != JMP32_INSN_OPCODE &&
	    !is_jcc32(&insn)) {
		p->st->warned++;
		return 0;
	}
	len = patch_retpoline(p, s->target, &insn, bytes);
	if (len == -2)
		return -1;
	if (len != (int)insn.length)
		return 0;
	optimize_buf(p, bytes, 16, (size_t)len);
	return poke(p, s->target, bytes, (uint64_t)len);
}

/* ---- return thunks --------------------------------------------------- */

/* Mirrors cpu_wants_rethunk_at(). */
static bool wants_rethunk_at(const struct patcher *p, uint64_t addr)
{
	if (!has(p, X86_FEATURE_RETHUNK))
		return false;
	if (p->sym.return_thunk != p->sym.its_return_thunk)
		return true;
	return !(addr & 0x20);
}

/* Mirrors __static_call_transform(tramp, RET, NULL, true). */
static int static_call_ret(struct patcher *p, uint64_t tramp, const uint8_t *cur)
{
	uint8_t code[6];
	unsigned int size = 5;

	if (is_jcc(cur)) {
		uint64_t func = p->sym.static_call_return;

		if (has(p, X86_FEATURE_RETHUNK))
			func = p->l->jcc_uses_chosen_thunk ? p->sym.return_thunk :
							     p->sym.return_thunk_default;

		size = gen_jcc(code, cur[1], tramp, func);
	} else if (wants_rethunk_at(p, tramp)) {
		gen_insn(code, JMP32_INSN_OPCODE, tramp, p->sym.return_thunk, 5);
	} else {
		memcpy(code, (const uint8_t[]){ RET_INSN_OPCODE, 0xcc, 0xcc, 0xcc, 0xcc }, 5);
	}
	if (!memcmp(cur, code, size))
		return 0;
	return poke(p, tramp, code, size);
}

/*
 * Mirrors __static_call_fixup(): 1 if @addr is a static_call trampoline
 * (handled here), 0 if not, -1 on error.
 */
static int static_call_fixup(struct patcher *p, uint64_t addr, uint8_t op,
			     uint64_t dest)
{
	const uint8_t *cur = image_at(p->im, addr, 8, NULL);

	if (!cur || memcmp(cur + 5, tramp_ud, sizeof(tramp_ud)))
		return 0;
	if (op == RET_INSN_OPCODE || dest == p->sym.return_thunk_default)
		return static_call_ret(p, addr, cur) ? -1 : 1;
	return 1;
}

/* Mirrors patch_return(). */
static int patch_return(struct patcher *p, uint64_t addr, const struct insn *insn,
			uint8_t *bytes)
{
	unsigned int i = 0;

	if (wants_rethunk_at(p, addr)) {
		gen_insn(bytes, JMP32_INSN_OPCODE, addr, p->sym.return_thunk, JMP32_INSN_SIZE);
		i = JMP32_INSN_SIZE;
	} else {
		bytes[i++] = RET_INSN_OPCODE;
	}
	while (i < insn->length)
		bytes[i++] = INT3_INSN_OPCODE;
	return (int)i;
}

/* Mirrors one iteration of apply_returns(). */
static int return_site(const struct site *s, void *arg)
{
	struct patcher *p = arg;
	uint8_t bytes[16 + X86_MAX_INSN_SIZE];
	uint64_t dest = 0;
	struct insn insn;
	int len, fix;

	p->st->sites++;
	if (decode_site(p, s->target, &insn))
		return 0;
	if (insn.opcode[0] == JMP32_INSN_OPCODE)
		dest = s->target + insn.length + (uint64_t)insn.immediate;
	fix = static_call_fixup(p, s->target, insn.opcode[0], dest);
	if (fix < 0)
		return -1;
	if (fix)
		return 0;
	if (dest != p->sym.return_thunk_default) {	/* WARN_ONCE("missing return thunk") */
		p->st->warned++;
		return 0;
	}
	len = patch_return(p, s->target, &insn, bytes);
	if (len != (int)insn.length)
		return 0;
	return poke(p, s->target, bytes, (uint64_t)len);
}

/* ---- alternatives ---------------------------------------------------- */

/* Mirrors recompute_jump(): shorten a JMP replacement if the target is near. */
static void recompute_jump(const struct site *a, uint64_t orig, uint64_t repl,
			   uint8_t *buf)
{
	int32_t o_dspl, n_dspl;
	int64_t delta;
	uint64_t tgt;

	if (a->repl_len != 5)
		return;
	o_dspl = get_s32(buf + 1);
	tgt = repl + a->repl_len + (uint64_t)(int64_t)o_dspl;
	delta = (int64_t)(tgt - orig);
	n_dspl = (int32_t)delta;
	if (delta >= 0 ? n_dspl - 2 <= 127 :
	    (((n_dspl - 2) & 0xff) == n_dspl - 2)) {
		n_dspl -= 2;
		buf[0] = JMP8_INSN_OPCODE;
		buf[1] = (uint8_t)(int8_t)n_dspl;
		add_nops(buf + 2, 3);
		return;
	}
	n_dspl -= 5;
	buf[0] = JMP32_INSN_OPCODE;
	put_s32(buf + 1, n_dspl);
}

/* Mirrors one iteration of apply_alternatives() (6.1). */
static int alt_site_61(const struct site *a, void *arg)
{
	struct patcher *p = arg;
	uint8_t buf[MAX_PATCH_LEN + 1];
	uint8_t *instr, *repl = NULL;
	uint64_t avail;
	unsigned int sz;

	p->st->sites++;
	instr = image_at(p->im, a->target, a->len, &avail);
	if (a->repl_len)
		repl = image_at(p->im, a->repl, a->repl_len, NULL);
	if (!instr || (a->repl_len && !repl))
		return diag_set(p->d, ".altinstructions entry %zu outside the image", a->index);
	if (!has(p, a->feature) == !(a->alt_flags & ALT_FLAG_NOT))
		goto next;
	if (a->repl_len)
		memcpy(buf, repl, a->repl_len);
	sz = a->repl_len;
	if (a->repl_len == 5 && buf[0] == CALL_INSN_OPCODE)	/* fix the CALL offset */
		put_s32(buf + 1, (int32_t)((uint32_t)get_s32(buf + 1) +
					   (uint32_t)(a->repl - a->target)));
	if (a->repl_len && (repl[0] == JMP8_INSN_OPCODE || repl[0] == JMP32_INSN_OPCODE))
		recompute_jump(a, a->target, a->repl, buf);
	for (; sz < a->len; sz++)
		buf[sz] = 0x90;
	if (poke(p, a->target, buf, sz))
		return -1;
next:
	optimize_nops(p, instr, a->len, avail, true);
	return 0;
}

/*
 * 6.12: the pv_ops slot an ALT_FLAG_DIRECT_CALL site calls through, from
 * its "call *disp(%rip)" (ff 15 disp32); -1 if @instr is no such call or
 * the slot is not inside pv_ops.
 */
static int pv_slot(const struct ksyms *sym, uint64_t target, const uint8_t *instr)
{
	uint64_t slot, off;

	if (instr[0] != CALL_RIP_REL_OPCODE || instr[1] != CALL_RIP_REL_MODRM)
		return -1;
	slot = target + 6 + (uint64_t)(int64_t)get_s32(instr + 2);
	off = slot - sym->pv_ops;
	if (slot < sym->pv_ops || off >= sym->pv_ops_size || off % 8 || off / 8 > 255)
		return -1;
	return (int)(off / 8);
}

/*
 * Mirrors alt_replace_call() (6.12): "call BUG_func" in @buf becomes a
 * direct call of what the pv_ops slot holds at boot (CAPS pv line), or
 * nothing when that is nop_func.  Returns the bytes used, or -1 with the
 * error set where the kernel would BUG().
 */
static int alt_replace_call(struct patcher *p, const struct site *a, unsigned int len,
			    const uint8_t *instr, uint8_t *buf)
{
	uint64_t target;
	int slot;

	if (a->repl_len != CALL_INSN_SIZE || buf[0] != CALL_INSN_OPCODE)
		return diag_set(p->d, ".altinstructions entry %zu: ALT_FLAG_DIRECT_CALL on a non-call replacement (the kernel would BUG)",
				a->index);
	slot = len == 6 && p->sym.bug_func ? pv_slot(&p->sym, a->target, instr) : -1;
	if (slot < 0)
		return diag_set(p->d, ".altinstructions entry %zu: ALT_FLAG_DIRECT_CALL at 0x%llx is no call through pv_ops (the kernel would BUG)",
				a->index, (unsigned long long)a->target);
	if (!p->caps->pv[slot].set)
		return diag_set(p->d, "no 'pv %d' line, but the vmlinux calls pv_ops slot %d (.altinstructions entry %zu)",
				slot, slot, a->index);
	target = p->caps->pv[slot].null ? p->sym.bug_func : p->pv[slot];
	put_s32(buf + 1, (int32_t)((uint32_t)get_s32(buf + 1) +
				   (uint32_t)(target - p->sym.bug_func)));
	return target == p->sym.nop_func ? 0 : CALL_INSN_SIZE;
}

/*
 * Mirrors apply_reloc() (6.12): add @diff to the @n-byte displacement at
 * @ptr; -1 where the kernel's BUG_ON() finds it no longer fits.
 */
static int apply_reloc(unsigned int n, uint8_t *ptr, uint64_t diff)
{
	int32_t v;

	if (n == 1)
		v = (int32_t)(int8_t)ptr[0];
	else if (n == 2)
		v = (int32_t)(int16_t)get_u16(ptr);
	else if (n == 4)
		v = get_s32(ptr);
	else
		return -1;
	v = (int32_t)((uint32_t)v + (uint32_t)diff);
	if ((v >> 31) != (v >> (8 * n - 1)))
		return -1;
	if (n == 4) {
		put_s32(ptr, v);
	} else {
		ptr[0] = (uint8_t)v;
		if (n == 2)
			ptr[1] = (uint8_t)((uint32_t)v >> 8);
	}
	return 0;
}

/* Mirrors need_reloc(): does src + offset leave [src, src + len]? */
static bool need_reloc(uint64_t offset, uint64_t src, uint64_t len)
{
	uint64_t target = src + offset;

	return target < src || target > src + len;
}

static bool is_rel_branch(const struct insn *insn)
{
	uint8_t op = insn->opcode[0];

	if (op == 0x0f)
		return insn->opcode[1] >= 0x80 && insn->opcode[1] <= 0x8f;
	return (op >= 0x70 && op <= 0x7f) || op == JMP8_INSN_OPCODE ||
	       op == JMP32_INSN_OPCODE || op == CALL_INSN_OPCODE;
}

/*
 * Mirrors __apply_relocation() (6.12): the replacement was assembled at
 * @repl but runs at @instr, so every relative branch and RIP-relative
 * operand that leaves the replacement moves by repl - instr; a JMP.d32
 * whose target is then near becomes JMP.d8 + INT3.
 */
static int apply_relocation(struct patcher *p, const struct site *a, uint8_t *buf,
			    size_t size, size_t len)
{
	uint64_t diff = a->repl - a->target;
	struct insn insn;
	size_t i, next;
	int bad = 0;

	for (i = 0; i < len; i = next) {
		if (decode_buf(&insn, buf, size, i)) {
			p->st->warned++;	/* WARN_ON_ONCE(): rest unrelocated */
			return 0;
		}
		next = i + insn.length;
		if (is_rel_branch(&insn)) {
			if (need_reloc(next + (uint64_t)insn.immediate, a->repl, a->repl_len))
				bad |= apply_reloc(insn.imm_size, buf + i + insn.imm_offset, diff);
			if (insn.opcode[0] == JMP32_INSN_OPCODE) {
				int32_t imm = (int32_t)((uint32_t)insn.immediate + (uint32_t)diff +
							JMP32_INSN_SIZE - JMP8_INSN_SIZE);

				if ((imm >> 31) == (imm >> 7)) {
					buf[i] = JMP8_INSN_OPCODE;
					buf[i + 1] = (uint8_t)(int8_t)imm;
					memset(buf + i + 2, INT3_INSN_OPCODE, insn.length - 2);
				}
			}
		}
		if (insn_rip_relative(&insn) &&
		    need_reloc(next + (uint64_t)insn.displacement, a->repl, a->repl_len))
			bad |= apply_reloc(insn.disp_size, buf + i + insn.disp_offset, diff);
		if (bad)
			return diag_set(p->d, ".altinstructions entry %zu: relocated displacement at +%zu does not fit (the kernel would BUG)",
					a->index, i);
	}
	return 0;
}

/*
 * Mirrors one iteration of apply_alternatives() (6.12): every site is
 * written, patched or not; unpatched ones get their NOPs optimised.
 */
static int alt_site_612(const struct site *a, void *arg)
{
	struct patcher *p = arg;
	uint8_t buf[MAX_PATCH_LEN + X86_MAX_INSN_SIZE] = { 0 };
	unsigned int len = p->alt_len[a->index];
	const uint8_t *instr, *repl = NULL;
	int sz;

	p->st->sites++;
	if (len > MAX_PATCH_LEN)	/* BUG_ON(a->instrlen > sizeof(insn_buff)) */
		return diag_set(p->d, ".altinstructions entry %zu: %u-byte site (the kernel would BUG)",
				a->index, len);
	instr = image_at(p->im, a->target, len, NULL);
	if (a->repl_len)
		repl = image_at(p->im, a->repl, a->repl_len, NULL);
	if (!instr || (a->repl_len && !repl))
		return diag_set(p->d, ".altinstructions entry %zu outside the image", a->index);
	if (!has(p, a->feature) == !(a->alt_flags & ALT_FLAG_NOT)) {
		memcpy(buf, instr, len);
		optimize_nops_612(p, buf, MAX_PATCH_LEN, len);
		return poke(p, a->target, buf, len);
	}
	if (a->repl_len)
		memcpy(buf, repl, a->repl_len);
	sz = a->repl_len;
	if (a->alt_flags & ALT_FLAG_DIRECT_CALL) {
		sz = alt_replace_call(p, a, len, instr, buf);
		if (sz < 0)
			return -1;
	}
	for (; sz < (int)len; sz++)
		buf[sz] = 0x90;
	if (apply_relocation(p, a, buf, MAX_PATCH_LEN, len))
		return -1;
	optimize_nops_612(p, buf, MAX_PATCH_LEN, len);
	return poke(p, a->target, buf, (uint64_t)sz);
}

struct nest_ctx {
	uint64_t *va;		/* instr address per entry */
	uint8_t *len;		/* instrlen per entry */
};

static int collect_alt(const struct site *a, void *arg)
{
	struct nest_ctx *c = arg;

	c->va[a->index] = a->target;
	c->len[a->index] = (uint8_t)a->len;
	return 0;
}

/*
 * The nested-ALTERNATIVE() rule of 6.12's apply_alternatives(): entries
 * for one address are consecutive and all take the largest instrlen among
 * them (the kernel writes it into the table as it goes, so each entry has
 * the group's largest by the time it is applied).
 */
static int merge_nested(struct patcher *p, const struct site_kind *kind)
{
	struct site_table t;
	size_t n, i, j, k;
	struct nest_ctx c;

	if (site_table(p->im->k, kind, &t, p->d))
		return -1;
	n = t.size / kind->entsize;
	c.len = calloc(n ? n : 1, 1);
	c.va = calloc(n ? n : 1, sizeof(*c.va));
	p->alt_len = c.len;
	if (!c.len || !c.va) {
		free(c.va);
		return diag_set(p->d, "out of memory for %zu alternatives", n);
	}
	if (sites_for_each(p->im->k, kind, collect_alt, &c, p->d)) {
		free(c.va);
		return -1;
	}
	for (i = 0; i < n; i = j) {
		uint8_t max = 0;

		for (j = i; j < n && c.va[j] == c.va[i]; j++)
			max = c.len[j] > max ? c.len[j] : max;
		for (k = i; k < j; k++)
			c.len[k] = max;
	}
	free(c.va);
	return 0;
}

/* ---- ENDBR sealing, SMP locks ---------------------------------------- */

/* Mirrors one iteration of apply_ibt_endbr(). */
static int endbr_site(const struct site *s, void *arg)
{
	struct patcher *p = arg;
	const uint8_t *cur = image_at(p->im, s->target, 4, NULL);
	uint8_t poison[4];
	uint32_t v;

	p->st->sites++;
	if (!cur) {
		p->st->warned++;	/* get_kernel_nofault() failed */
		return 0;
	}
	v = get_u32(cur);
	if (v != ENDBR_POISON && (v & ~0x01000000u) != ENDBR64) {	/* !is_endbr() */
		p->st->warned++;
		return 0;
	}
	put_s32(poison, (int32_t)ENDBR_POISON);
	return poke(p, s->target, poison, 4);
}

/* Mirrors one iteration of alternatives_smp_unlock() over _text.._etext. */
static int smp_unlock_site(const struct site *s, void *arg)
{
	struct patcher *p = arg;
	const uint8_t ds = 0x3e;
	const uint8_t *cur;

	if (s->padding || s->target < p->sym.text || s->target >= p->sym.etext)
		return 0;
	p->st->sites++;
	cur = image_at(p->im, s->target, 1, NULL);
	if (!cur || *cur != 0xf0)
		return 0;
	return poke(p, s->target, &ds, 1);
}

/* ---- driver ---------------------------------------------------------- */

struct pass {
	const char *kind;
	unsigned int layouts;	/* enum layout_id bits that run this pass */
	site_fn fn;
	/* Before the walk (6.12 alternatives: merge nested lengths). */
	int (*prepare)(struct patcher *p, const struct site_kind *kind);
	bool up_only;		/* SMP-to-UP patching: only with "lock up" */
};

#define BOTH	(LAYOUT_6_1 | LAYOUT_6_12)

/*
 * alternative_instructions(), after paravirt_set_cap() (already in CAPS).
 * 6.12 runs __apply_fineibt() first (nothing without CONFIG_FINEIBT, and
 * layout_check() refuses .cfi_sites) and callthunks_patch_builtin_calls()
 * after the alternatives (nothing without X86_FEATURE_CALL_DEPTH, which
 * alternative_check_caps() refuses).
 */
static const struct pass passes[] = {
	{ "static_calls", BOTH, static_call_site, NULL, false },	/* static_call_init() */
	{ "paravirt", LAYOUT_6_1, paravirt_site, NULL, false },	/* apply_paravirt() */
	{ "retpolines", BOTH, retpoline_site, NULL, false },	/* apply_retpolines() */
	{ "returns", BOTH, return_site, NULL, false },		/* apply_returns() */
	{ "alternatives", LAYOUT_6_1, alt_site_61, NULL, false },	/* apply_alternatives() */
	{ "alternatives", LAYOUT_6_12, alt_site_612, merge_nested, false },
	{ "ibt_endbr", BOTH, endbr_site, NULL, false },	/* apply_ibt_endbr(), apply_seal_endbr() */
	{ "smp_locks", BOTH, smp_unlock_site, NULL, true },	/* alternatives_smp_module_add() */
	/* runtime_const_init(ptr, USER_PTR_MAX) */
	{ "user_ptr_max", LAYOUT_6_12, user_ptr_max_site, user_ptr_max_prepare, false },
};

#define NR_PASS_ROWS (sizeof(passes) / sizeof(passes[0]))

static uint64_t opt_sym(const struct kelf *k, const char *name)
{
	struct diag ignore;
	uint64_t v = 0, size;

	if (kelf_symbol(k, name, &v, &size, &ignore))
		return 0;
	return v;
}

static int need_sym(const struct kelf *k, const char *name, uint64_t *v,
		    struct diag *d)
{
	uint64_t size;

	if (kelf_symbol(k, name, v, &size, d))
		return diag_set(d, "vmlinux has no symbol %s", name);
	return 0;
}

/*
 * pv_ops and what 6.12's alt_replace_call() compares with; all 0 without
 * CONFIG_PARAVIRT (an ALT_FLAG_DIRECT_CALL site is then an error).
 */
static void resolve_pv_ops(const struct kelf *k, struct ksyms *s)
{
	struct diag ignore;

	if (kelf_symbol(k, "pv_ops", &s->pv_ops, &s->pv_ops_size, &ignore))
		s->pv_ops = s->pv_ops_size = 0;
	s->bug_func = opt_sym(k, "BUG_func");
	s->nop_func = opt_sym(k, "nop_func");
}

static int resolve_syms(struct patcher *p, struct diag *d)
{
	const struct kelf *k = p->im->k;
	struct ksyms *s = &p->sym;

	if (need_sym(k, "_text", &s->text, d) || need_sym(k, "_etext", &s->etext, d))
		return -1;
	if (p->l->id == LAYOUT_6_12)
		resolve_pv_ops(k, s);
	s->paravirt_nop = opt_sym(k, "_paravirt_nop");
	s->paravirt_bug = opt_sym(k, "paravirt_BUG");
	s->thunk_array = opt_sym(k, "__x86_indirect_thunk_array");
	s->its_thunk_array = opt_sym(k, "__x86_indirect_its_thunk_array");
	s->its_init_mod = opt_sym(k, "its_init_mod");
	s->return_thunk_default = opt_sym(k, "__x86_return_thunk");
	s->its_return_thunk = opt_sym(k, "its_return_thunk");
	s->static_call_return = opt_sym(k, "__static_call_return");
	s->static_call_return0 = opt_sym(k, "__static_call_return0");
	s->pgtable_l5_enabled = opt_sym(k, "__pgtable_l5_enabled");
	if (!kelf_section(k, ".return_sites"))
		return 0;
	return need_sym(k, p->caps->return_thunk, &s->return_thunk, d);
}

/* pv lines of CAPS -> addresses in this image. */
static int resolve_pv(struct patcher *p, struct diag *d)
{
	unsigned int t;

	for (t = 0; t < 256; t++) {
		const struct caps_pv *pv = &p->caps->pv[t];
		uint64_t v;

		if (!pv->set || pv->null)
			continue;
		if (need_sym(p->im->k, pv->sym, &v, d))
			return diag_set(d, "CAPS pv %u: vmlinux has no symbol %s", t, pv->sym);
		p->pv[t] = v + pv->off;
	}
	if (kelf_section(p->im->k, ".parainstructions") &&
	    (!p->sym.paravirt_nop || !p->sym.paravirt_bug))
		return diag_set(d, "vmlinux has .parainstructions but no _paravirt_nop/paravirt_BUG symbols");
	return 0;
}

struct pv_use {
	const struct kelf *k;
	struct ksyms sym;	/* 6.12: pv_ops */
	uint8_t *used;		/* [256] */
	struct diag *d;
};

static int mark_para(const struct site *s, void *arg)
{
	((struct pv_use *)arg)->used[s->type] = 1;
	return 0;
}

static int mark_direct_call(const struct site *s, void *arg)
{
	struct pv_use *u = arg;
	const uint8_t *instr;
	int slot;

	if (!(s->alt_flags & ALT_FLAG_DIRECT_CALL))
		return 0;
	instr = kelf_va_bytes(u->k, s->target, 6, NULL);
	slot = instr ? pv_slot(&u->sym, s->target, instr) : -1;
	if (slot < 0)
		return diag_set(u->d, ".altinstructions entry %zu: ALT_FLAG_DIRECT_CALL at 0x%llx is no call through pv_ops (or the vmlinux has no pv_ops)",
				s->index, (unsigned long long)s->target);
	u->used[slot] = 1;
	return 0;
}

int alternative_pv_used(const struct kelf *k, uint8_t used[256], struct diag *d)
{
	struct pv_use u = { .k = k, .used = used, .d = d };

	memset(used, 0, 256);
	if (k->layout->id == LAYOUT_6_1)
		return sites_for_each(k, site_kind_by_name(k, "paravirt"), mark_para, &u, d);
	resolve_pv_ops(k, &u.sym);
	return sites_for_each(k, site_kind_by_name(k, "alternatives"), mark_direct_call, &u, d);
}

int alternative_check_caps(const struct kelf *k, const struct caps *caps,
			   struct diag *d)
{
	uint8_t used[256];
	unsigned int t;
	uint64_t v;

	if (k->layout->feat_call_depth && caps_has(caps, k->layout->feat_call_depth) &&
	    kelf_section(k, ".call_sites"))
		return diag_set(d, "CAPS sets X86_FEATURE_CALL_DEPTH (retbleed=stuff): call depth tracking writes accounting thunks at boot; not pre-patched");
	if (alternative_pv_used(k, used, d))
		return -1;
	for (t = 0; t < 256; t++)
		if (used[t] && !caps->pv[t].set)
			return diag_set(d, "no 'pv %u' line, but the vmlinux uses pv_ops slot %u", t, t);
	for (t = 0; t < 256; t++)
		if (caps->pv[t].set && !caps->pv[t].null &&
		    need_sym(k, caps->pv[t].sym, &v, d))
			return diag_set(d, "pv %u: the vmlinux has no symbol %s", t,
					caps->pv[t].sym);
	if (kelf_section(k, ".return_sites") && need_sym(k, caps->return_thunk, &v, d))
		return diag_set(d, "return_thunk: the vmlinux has no symbol %s",
				caps->return_thunk);
	return 0;
}

static int run_pass(struct patcher *p, const struct pass *ps, struct pass_stats *st)
{
	const struct site_kind *kind = site_kind_by_name(p->im->k, ps->kind);
	struct site_table t;

	st->kind = ps->kind;
	if (!kind || (ps->up_only && !p->caps->uniproc))
		return 0;
	if (site_table(p->im->k, kind, &t, p->d))
		return -1;
	if (!t.present)
		return 0;
	st->ran = true;
	p->st = st;
	if (ps->prepare && ps->prepare(p, kind))
		return -1;
	return sites_for_each(p->im->k, kind, ps->fn, p, p->d);
}

int alternative_instructions(struct image *im, const struct caps *caps,
			     struct apply_result *r, struct diag *d)
{
	struct patcher p = { .im = im, .caps = caps, .l = im->k->layout, .d = d };
	size_t i;
	int ret = 0;

	memset(r, 0, sizeof(r[0]));
	if (resolve_syms(&p, d) || resolve_pv(&p, d))
		return -1;
	for (i = 0; i < NR_PASS_ROWS && !ret; i++) {
		if (!(passes[i].layouts & p.l->id))
			continue;
		if (r->npass == NR_PASSES)
			return diag_set(d, "more than %d passes", NR_PASSES);
		ret = run_pass(&p, &passes[i], &r->pass[r->npass++]);
	}
	free(p.alt_len);
	r->pokes = im->pokes;
	r->bytes_changed = im->bytes_changed;
	return ret;
}
