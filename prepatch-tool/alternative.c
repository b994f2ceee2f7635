// SPDX-License-Identifier: GPL-2.0
/*
 * alternative.c - offline mirror of Linux 6.1 alternative_instructions().
 *
 * One pass per site kind, in the kernel's order (passes[] below, driven by
 * the site tables of sites.c as objtool's special.c drives its entries).
 * Each function names the kernel function it mirrors.  Reads of text go
 * to the image being patched, exactly as the kernel reads its own live
 * text, so earlier passes feed later ones (paravirt before alternatives,
 * later alternatives over earlier ones).
 */
#include <string.h>

#include "alternative.h"
#include "insn.h"

/* arch/x86/include/asm/cpufeatures.h (6.1.192) */
#define X86_FEATURE_RETPOLINE		(11 * 32 + 12)
#define X86_FEATURE_RETPOLINE_LFENCE	(11 * 32 + 13)
#define X86_FEATURE_RETHUNK		(11 * 32 + 14)
#define X86_FEATURE_INDIRECT_THUNK_ITS	(21 * 32 + 5)

/* arch/x86/include/asm/text-patching.h */
#define INT3_INSN_OPCODE	0xcc
#define RET_INSN_OPCODE		0xc3
#define CALL_INSN_OPCODE	0xe8
#define CALL_INSN_SIZE		5
#define JMP32_INSN_OPCODE	0xe9
#define JMP32_INSN_SIZE		5
#define JMP8_INSN_OPCODE	0xeb
#define ASM_NOP_MAX		8
#define RETPOLINE_THUNK_SIZE	32	/* asm/nospec-branch.h */
#define ITS_THUNK_SIZE		64
#define ENDBR_POISON		0x001f0f66u	/* gen_endbr_poison(): osp nopl (%rax) */
#define ENDBR64			0xfa1e0ff3u	/* gen_endbr() */

/* asm/nops.h, x86-64 BYTES_NOP1..8: the recommended long NOPs. */
static const uint8_t nops[ASM_NOP_MAX + 1][ASM_NOP_MAX] = {
	[1] = { 0x90 },
	[2] = { 0x66, 0x90 },
	[3] = { 0x0f, 0x1f, 0x00 },
	[4] = { 0x0f, 0x1f, 0x40, 0x00 },
	[5] = { 0x0f, 0x1f, 0x44, 0x00, 0x00 },
	[6] = { 0x66, 0x0f, 0x1f, 0x44, 0x00, 0x00 },
	[7] = { 0x0f, 0x1f, 0x80, 0x00, 0x00, 0x00, 0x00 },
	[8] = { 0x0f, 0x1f, 0x84, 0x00, 0x00, 0x00, 0x00, 0x00 },
};

/* static_call.c: the 3 bytes after a trampoline's RET/JMP. */
static const uint8_t tramp_ud[] = { 0x0f, 0xb9, 0xcc };

/* Addresses of the kernel symbols the passes need (0 = absent). */
struct ksyms {
	uint64_t paravirt_nop, paravirt_bug;
	uint64_t thunk_array, its_thunk_array, its_init_mod;
	uint64_t return_thunk_default, return_thunk, its_return_thunk;
	uint64_t static_call_return;
	uint64_t text, etext;
};

struct patcher {
	struct image *im;
	const struct caps *caps;
	struct ksyms sym;
	uint64_t pv[256];		/* resolved pv_ops targets */
	struct pass_stats *st;		/* current pass */
	struct diag *d;
};

static bool has(const struct patcher *p, unsigned int bit)
{
	return caps_has(p->caps, bit);	/* boot_cpu_has() / cpu_feature_enabled() */
}

static void put_s32(uint8_t *b, int32_t v)
{
	uint32_t u = (uint32_t)v;

	b[0] = (uint8_t)u;
	b[1] = (uint8_t)(u >> 8);
	b[2] = (uint8_t)(u >> 16);
	b[3] = (uint8_t)(u >> 24);
}

/* Mirrors add_nops(). */
static void add_nops(uint8_t *insns, unsigned int len)
{
	while (len > 0) {
		unsigned int n = len > ASM_NOP_MAX ? ASM_NOP_MAX : len;

		memcpy(insns, nops[n], n);
		insns += n;
		len -= n;
	}
}

/* Mirrors __text_gen_insn() for the 5-byte CALL/JMP/Jcc-tail forms. */
static void gen_insn(uint8_t *buf, uint8_t op, uint64_t addr, uint64_t dest,
		     unsigned int size)
{
	buf[0] = op;
	put_s32(buf + 1, (int32_t)(dest - (addr + size)));
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

static int poke(struct patcher *p, uint64_t va, const uint8_t *b, uint64_t len)
{
	if (image_poke(p->im, va, b, len))
		return diag_set(p->d, "%s: write of %llu bytes at 0x%llx outside the image",
				p->st->kind, (unsigned long long)len, (unsigned long long)va);
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
	if (!has(p, X86_FEATURE_INDIRECT_THUNK_ITS))
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
	int64_t reg = diff / RETPOLINE_THUNK_SIZE;
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
		if (p->sym.its_init_mod) {
			diag_set(p->d, "retpoline site 0x%llx needs an ITS thunk the kernel allocates at boot (CONFIG_MODULES); cannot pre-patch",
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
	optimize_nops(p, bytes, (size_t)len, 16, false);
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

	if (cur[0] == 0x0f && (cur[1] & 0xf0) == 0x80) {	/* __is_Jcc() */
		uint64_t func = has(p, X86_FEATURE_RETHUNK) ?
				p->sym.return_thunk_default : p->sym.static_call_return;

		code[0] = 0x0f;
		gen_insn(code + 1, cur[1], tramp + 1, func, 5);
		size = 6;
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

/* Mirrors one iteration of apply_alternatives(). */
static int alt_site(const struct site *a, void *arg)
{
	struct patcher *p = arg;
	uint16_t feature = a->cpuid & (uint16_t)~ALTINSTR_FLAG_INV;
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
	if (!has(p, feature) == !(a->cpuid & ALTINSTR_FLAG_INV))
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
	site_fn fn;
	bool up_only;		/* SMP-to-UP patching: only with "lock up" */
};

/* alternative_instructions(), after paravirt_set_cap() (already in CAPS). */
static const struct pass passes[NR_PASSES] = {
	{ "paravirt", paravirt_site, false },		/* apply_paravirt() */
	{ "retpolines", retpoline_site, false },	/* apply_retpolines() */
	{ "returns", return_site, false },		/* apply_returns() */
	{ "alternatives", alt_site, false },		/* apply_alternatives() */
	{ "ibt_endbr", endbr_site, false },		/* apply_ibt_endbr() */
	{ "smp_locks", smp_unlock_site, true },		/* alternatives_smp_module_add() */
};

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

static int resolve_syms(struct patcher *p, struct diag *d)
{
	const struct kelf *k = p->im->k;
	struct ksyms *s = &p->sym;

	if (need_sym(k, "_text", &s->text, d) || need_sym(k, "_etext", &s->etext, d))
		return -1;
	s->paravirt_nop = opt_sym(k, "_paravirt_nop");
	s->paravirt_bug = opt_sym(k, "paravirt_BUG");
	s->thunk_array = opt_sym(k, "__x86_indirect_thunk_array");
	s->its_thunk_array = opt_sym(k, "__x86_indirect_its_thunk_array");
	s->its_init_mod = opt_sym(k, "its_init_mod");
	s->return_thunk_default = opt_sym(k, "__x86_return_thunk");
	s->its_return_thunk = opt_sym(k, "its_return_thunk");
	s->static_call_return = opt_sym(k, "__static_call_return");
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

struct pv_check {
	const struct caps *caps;
	struct diag *d;
};

static int pv_covered(const struct site *s, void *arg)
{
	struct pv_check *c = arg;

	if (!c->caps->pv[s->type].set)
		return diag_set(c->d, "no 'pv %u' line, but the vmlinux uses pv_ops slot %u (.parainstructions entry %zu)",
				s->type, s->type, s->index);
	return 0;
}

int alternative_check_caps(const struct kelf *k, const struct caps *caps,
			   struct diag *d)
{
	struct pv_check c = { caps, d };
	unsigned int t;
	uint64_t v;

	if (sites_for_each(k, site_kind_by_name("paravirt"), pv_covered, &c, d))
		return -1;
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

int alternative_instructions(struct image *im, const struct caps *caps,
			     struct apply_result *r, struct diag *d)
{
	struct patcher p = { .im = im, .caps = caps, .d = d };
	size_t i;

	memset(r, 0, sizeof(*r));
	if (resolve_syms(&p, d) || resolve_pv(&p, d))
		return -1;
	for (i = 0; i < NR_PASSES; i++) {
		const struct site_kind *kind = site_kind_by_name(passes[i].kind);

		p.st = &r->pass[i];
		p.st->kind = passes[i].kind;
		if (!kind || (passes[i].up_only && !caps->uniproc) ||
		    !kelf_section(im->k, kind->sec))
			continue;
		p.st->ran = true;
		if (sites_for_each(im->k, kind, passes[i].fn, &p, d))
			return -1;
	}
	r->pokes = im->pokes;
	r->bytes_changed = im->bytes_changed;
	return 0;
}
