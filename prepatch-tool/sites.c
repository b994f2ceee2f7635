// SPDX-License-Identifier: GPL-2.0
/*
 * sites.c - the table of boot-time text patch site kinds and the walker
 * (see sites.h).  Rows are in the order Linux 6.1 and 6.12 apply them at
 * boot: static_call_init() in setup_arch(), then alternative_instructions()
 * (arch/x86/kernel/alternative.c), then 6.12's runtime_const_init() of
 * USER_PTR_MAX in arch_cpu_finalize_init().
 */
#include <string.h>

#include "sites.h"

/*
 * struct alt_instr (arch/x86/include/asm/alternative.h), __packed.
 * 6.1, 12 bytes:
 *	s32 instr_offset;	 0  self-relative to &instr_offset
 *	s32 repl_offset;	 4  self-relative to &repl_offset
 *	u16 cpuid;		 8  feature bit, bit 15 = ALTINSTR_FLAG_INV
 *	u8  instrlen;		10
 *	u8  replacementlen;	11
 * 6.12, 14 bytes (6.3 widened cpuid to ft_flags):
 *	s32 instr_offset;	 0
 *	s32 repl_offset;	 4
 *	u32 cpuid:16, flags:16;	 8  flags: ALT_FLAG_NOT, ALT_FLAG_DIRECT_CALL
 *	u8  instrlen;		12
 *	u8  replacementlen;	13
 * Emitted by ALTINSTR_ENTRY(); read by apply_alternatives().
 */
#define ALT_INSTR_OFFSET	0
#define ALT_REPL_OFFSET		4
#define ALT_FT			8
#define ALT61_INSTRLEN		10
#define ALT612_INSTRLEN		12

/*
 * struct paravirt_patch_site (arch/x86/include/asm/paravirt_types.h), 16
 * bytes on x86-64: u8 *instr (absolute); u8 type; u8 len; then padding.
 * _paravirt_alt() emits _ASM_ALIGN; .quad 771b; .byte type; .byte len;
 * .short clobber; _ASM_ALIGN - so 12 bytes of data padded to 16 (the
 * clobber short is not part of the C struct).  Read by apply_paravirt().
 */
#define PARA_ENTRY_SIZE		16
#define PARA_INSTR		0
#define PARA_TYPE		8
#define PARA_LEN		9

/* x86 ENDBR64 is 4 bytes (f3 0f 1e fa); apply_ibt_endbr() rewrites all 4. */
#define ENDBR_INSN_SIZE		4
/* call/jmp rel32 to a thunk: 5 bytes (jcc rel32 is 6). */
#define THUNK_CALL_SIZE		5
#define CALL_INSN_SIZE		5

/* apply_alternatives(): instr = (u8 *)&a->instr_offset + a->instr_offset. */
static void decode_alt_offsets(const uint8_t *e, uint64_t va, unsigned int lens,
			       struct site *s)
{
	s->target = va + ALT_INSTR_OFFSET + (int64_t)get_s32(e + ALT_INSTR_OFFSET);
	s->repl = va + ALT_REPL_OFFSET + (int64_t)get_s32(e + ALT_REPL_OFFSET);
	s->len = e[lens];
	s->repl_len = e[lens + 1];
}

static void decode_alt61(const uint8_t *e, uint64_t va, struct site *s)
{
	uint16_t cpuid = get_u16(e + ALT_FT);

	decode_alt_offsets(e, va, ALT61_INSTRLEN, s);
	s->feature = cpuid & (uint16_t)~ALT_FLAGS_61_INV;
	s->alt_flags = cpuid & ALT_FLAGS_61_INV ? ALT_FLAG_NOT : 0;
}

static void decode_alt612(const uint8_t *e, uint64_t va, struct site *s)
{
	decode_alt_offsets(e, va, ALT612_INSTRLEN, s);
	s->feature = get_u16(e + ALT_FT);
	s->alt_flags = get_u16(e + ALT_FT + 2);
}

/* apply_paravirt(): p->instr is an absolute (linked) address. */
static void decode_para(const uint8_t *e, uint64_t va, struct site *s)
{
	(void)va;
	s->target = get_u64(e + PARA_INSTR);
	s->type = e[PARA_TYPE];
	s->len = e[PARA_LEN];
}

/*
 * apply_retpolines()/apply_returns(), and callthunks_patch_builtin_calls()
 * (6.12: a direct CALL): addr = (void *)s + *s.
 */
static void decode_thunk_site(const uint8_t *e, uint64_t va, struct site *s)
{
	s->target = va + (int64_t)get_s32(e);
	s->len = THUNK_CALL_SIZE;
}

/*
 * apply_ibt_endbr() (6.1), apply_seal_endbr() (6.12): addr = (void *)s + *s,
 * 4 bytes of ENDBR.
 */
static void decode_endbr(const uint8_t *e, uint64_t va, struct site *s)
{
	s->target = va + (int64_t)get_s32(e);
	s->len = ENDBR_INSN_SIZE;
}

/*
 * alternatives_smp_lock()/unlock(): ptr = (u8 *)poff + *poff, one lock
 * prefix byte; "if (!*poff || ...) continue" - zero entries are the page
 * padding vmlinux.lds.S adds after *(.smp_locks).
 */
static void decode_lock(const uint8_t *e, uint64_t va, struct site *s)
{
	int32_t off = get_s32(e);

	s->target = va + (int64_t)off;
	s->len = 1;
	s->padding = off == 0;
}

/*
 * struct static_call_site (include/linux/static_call_types.h), 8 bytes:
 *	s32 addr;	0  self-relative: the CALL, JMP or Jcc to the trampoline
 *	s32 key;	4  self-relative: the static_call_key; low bits are
 *			   STATIC_CALL_SITE_TAIL (1, set by objtool for a tail
 *			   call) and STATIC_CALL_SITE_INIT (2, set at boot)
 * Emitted by objtool into .static_call_sites, which vmlinux.lds.h puts in
 * .data between __start_static_call_sites and __stop_static_call_sites;
 * read by __static_call_init() (kernel/static_call_inline.c).
 */
#define SC_SITE_ADDR		0
#define SC_SITE_KEY		4
#define SC_SITE_TAIL		1u
#define SC_SITE_FLAGS		3u

static void decode_static_call(const uint8_t *e, uint64_t va, struct site *s)
{
	uint64_t key = va + SC_SITE_KEY + (int64_t)get_s32(e + SC_SITE_KEY);

	s->target = va + SC_SITE_ADDR + (int64_t)get_s32(e + SC_SITE_ADDR);
	s->len = CALL_INSN_SIZE;	/* a Jcc tail call is 6 */
	s->key = key & ~(uint64_t)SC_SITE_FLAGS;
	s->tail = key & SC_SITE_TAIL;
}

/*
 * runtime_const_ptr() (6.12 arch/x86/include/asm/runtime-const.h): "mov
 * $0x0123456789abcdef, %reg" with ".long 1b - 8 - ." in section
 * runtime_ptr_SYM, so each entry points at the 8-byte immediate, which
 * runtime_const_init(ptr, SYM) overwrites with SYM's value.
 */
static void decode_runtime_ptr(const uint8_t *e, uint64_t va, struct site *s)
{
	s->target = va + (int64_t)get_s32(e);
	s->len = sizeof(uint64_t);
}

/*
 * __static_call_init() reads key->func: 8 bytes of data with file contents
 * (a key is never all zero - its type bit is 1 - so never in .bss).
 */
static const char *check_static_call(const struct kelf *k, const struct site *s)
{
	const struct ksec *sec = kelf_section_at(k, s->key, sizeof(uint64_t));

	if (!sec || ksec_is_text(sec))
		return "static_call_key not inside a data section with file contents";
	return NULL;
}

/* The BUG_ON()s of apply_alternatives() and the replacement's location. */
static const char *check_alt(const struct kelf *k, const struct site *s)
{
	const struct ksec *sec;

	if (s->feature >= X86_NR_FEATURES)
		return "feature bit beyond (NCAPINTS + NBUGINTS) * 32";
	if (s->alt_flags & ~(ALT_FLAG_NOT | ALT_FLAG_DIRECT_CALL))
		return "unknown alt_instr flags";
	if (s->len > MAX_PATCH_LEN)
		return "instrlen larger than MAX_PATCH_LEN";
	if (s->repl_len > s->len)
		return "replacement longer than the original instruction";
	if (!s->repl_len)
		return NULL;
	sec = kelf_section_at(k, s->repl, s->repl_len);
	if (!sec || !ksec_is_text(sec))
		return "replacement not inside an executable section";
	return NULL;
}

/* BUG_ON(p->len > MAX_PATCH_LEN) in apply_paravirt(). */
static const char *check_para(const struct kelf *k, const struct site *s)
{
	(void)k;
	if (s->len > MAX_PATCH_LEN)
		return "len larger than MAX_PATCH_LEN";
	return NULL;
}

#define ALL_LAYOUTS	(LAYOUT_6_1 | LAYOUT_6_12)

const struct site_kind site_kinds[] = {
	{
		/* setup_arch(), before alternative_instructions() */
		.name = "static_calls",
		.sec = ".static_call_sites",
		.start = "__start_static_call_sites",
		.stop = "__stop_static_call_sites",
		.entsize = 2 * sizeof(int32_t),
		.layouts = ALL_LAYOUTS,
		.consumer = "static_call_init",
		.decode = decode_static_call,
		.check = check_static_call,
	},
	{
		.name = "paravirt",
		.sec = ".parainstructions",
		.entsize = PARA_ENTRY_SIZE,
		.layouts = LAYOUT_6_1,
		.consumer = "apply_paravirt",
		.decode = decode_para,
		.check = check_para,
	},
	{
		.name = "retpolines",
		.sec = ".retpoline_sites",
		.entsize = sizeof(int32_t),
		.layouts = ALL_LAYOUTS,
		.consumer = "apply_retpolines",
		.decode = decode_thunk_site,
	},
	{
		.name = "returns",
		.sec = ".return_sites",
		.entsize = sizeof(int32_t),
		.layouts = ALL_LAYOUTS,
		.consumer = "apply_returns",
		.decode = decode_thunk_site,
	},
	{
		.name = "alternatives",
		.sec = ".altinstructions",
		.entsize = 12,
		.layouts = LAYOUT_6_1,
		.required = true,
		.consumer = "apply_alternatives",
		.decode = decode_alt61,
		.check = check_alt,
	},
	{
		.name = "alternatives",
		.sec = ".altinstructions",
		.entsize = 14,
		.layouts = LAYOUT_6_12,
		.required = true,
		.consumer = "apply_alternatives",
		.decode = decode_alt612,
		.check = check_alt,
	},
	{
		.name = "callthunks",
		.sec = ".call_sites",
		.entsize = sizeof(int32_t),
		.layouts = LAYOUT_6_12,
		.consumer = "callthunks_patch_builtin_calls",
		.decode = decode_thunk_site,
	},
	{
		.name = "ibt_endbr",
		.sec = ".ibt_endbr_seal",
		.entsize = sizeof(int32_t),
		.layouts = LAYOUT_6_1,
		.consumer = "apply_ibt_endbr",
		.decode = decode_endbr,
	},
	{
		.name = "ibt_endbr",
		.sec = ".ibt_endbr_seal",
		.entsize = sizeof(int32_t),
		.layouts = LAYOUT_6_12,
		.consumer = "apply_seal_endbr",
		.decode = decode_endbr,
	},
	{
		.name = "smp_locks",
		.sec = ".smp_locks",
		.entsize = sizeof(int32_t),
		.layouts = ALL_LAYOUTS,
		.consumer = "alternatives_smp_lock",
		.decode = decode_lock,
	},
	{
		/*
		 * arch_cpu_finalize_init(), after alternative_instructions().
		 * Only USER_PTR_MAX: the dentry hash table's constants
		 * (fs/dcache.c) depend on the guest's memory size.
		 */
		.name = "user_ptr_max",
		.sec = "runtime_ptr_USER_PTR_MAX",
		.entsize = sizeof(int32_t),
		.layouts = LAYOUT_6_12,
		.consumer = "runtime_const_init",
		.decode = decode_runtime_ptr,
	},
};

const size_t nr_site_kinds = sizeof(site_kinds) / sizeof(site_kinds[0]);

static bool in_layout(const struct kelf *k, const struct site_kind *kind)
{
	return k->layout && (kind->layouts & k->layout->id);
}

const struct site_kind *site_kind_by_name(const struct kelf *k, const char *name)
{
	size_t i;

	for (i = 0; i < nr_site_kinds; i++)
		if (in_layout(k, &site_kinds[i]) && !strcmp(site_kinds[i].name, name))
			return &site_kinds[i];
	return NULL;
}

/* A table between two symbols; both absent = no table. */
static int bounded_table(const struct kelf *k, const struct site_kind *kind,
			 struct site_table *t, struct diag *d)
{
	struct diag ignore;
	uint64_t end, size;
	int a, b;

	a = kelf_symbol(k, kind->start, &t->addr, &size, &ignore);
	b = kelf_symbol(k, kind->stop, &end, &size, &ignore);
	if (a && b)
		return 0;
	if (a || b)
		return diag_set(d, "%s without %s (%s sites)", a ? kind->stop : kind->start,
				a ? kind->start : kind->stop, kind->name);
	if (end < t->addr)
		return diag_set(d, "%s below %s (%s sites)", kind->stop, kind->start,
				kind->name);
	t->present = true;
	t->size = end - t->addr;
	if (t->size && !(t->data = kelf_va_bytes(k, t->addr, t->size, NULL)))
		return diag_set(d, "%s..%s has no file contents", kind->start, kind->stop);
	return 0;
}

static int section_table(const struct kelf *k, const struct site_kind *kind,
			 struct site_table *t, struct diag *d)
{
	const struct ksec *sec = kelf_section(k, kind->sec);

	if (!sec)
		return 0;
	t->present = true;
	t->addr = sec->addr;
	t->size = sec->size;
	t->data = sec->data;
	if (sec->size && !sec->data)
		return diag_set(d, "section %s has no file contents", kind->sec);
	return 0;
}

int site_table(const struct kelf *k, const struct site_kind *kind,
	       struct site_table *t, struct diag *d)
{
	memset(t, 0, sizeof(*t));
	if ((kind->start ? bounded_table : section_table)(k, kind, t, d))
		return -1;
	if (!t->present) {
		if (kind->required)
			return diag_set(d, "missing section %s (%s sites)",
					kind->sec, kind->name);
		return 0;
	}
	if (t->size % kind->entsize)
		return diag_set(d, "truncated section %s: size %llu is not a multiple of the %u-byte entry",
				kind->sec, (unsigned long long)t->size, kind->entsize);
	return 0;
}

int sites_for_each(const struct kelf *k, const struct site_kind *kind,
		   site_fn fn, void *arg, struct diag *d)
{
	struct site_table t;
	struct site s;
	size_t i, n;
	int ret;

	if (site_table(k, kind, &t, d))
		return -1;
	n = t.size / kind->entsize;
	for (i = 0; i < n; i++) {
		memset(&s, 0, sizeof(s));
		s.index = i;
		s.entry_va = t.addr + i * kind->entsize;
		kind->decode(t.data + i * kind->entsize, s.entry_va, &s);
		ret = fn(&s, arg);
		if (ret)
			return ret;
	}
	return 0;
}

const char *site_problem(const struct kelf *k, const struct site_kind *kind,
			 const struct site *s)
{
	const struct ksec *sec = kelf_section_at(k, s->target, s->len);

	if (!sec || !ksec_is_text(sec)) {
		sec = kelf_section_at(k, s->target, 1);
		if (sec && ksec_is_text(sec))
			return "target runs past the end of its executable section";
		return "target not inside an executable section";
	}
	return kind->check ? kind->check(k, s) : NULL;
}

struct scan_ctx {
	const struct kelf *k;
	struct site_stats *st;
};

static int scan_one(const struct site *s, void *arg)
{
	struct scan_ctx *c = arg;
	struct site_stats *st = c->st;
	const char *why;

	st->entries++;
	if (s->padding)
		return 0;
	st->sites++;
	why = site_problem(c->k, st->kind, s);
	if (why && !st->out_of_range++) {
		st->first_bad = *s;
		st->first_bad_why = why;
	}
	return 0;
}

int sites_scan(const struct kelf *k, const struct site_kind *kind,
	       struct site_stats *st, struct diag *d)
{
	struct scan_ctx c = { .k = k, .st = st };
	struct site_table t;

	memset(st, 0, sizeof(*st));
	st->kind = kind;
	if (site_table(k, kind, &t, d))
		return -1;
	st->present = t.present;
	st->sec_addr = t.addr;
	st->sec_size = t.size;
	return sites_for_each(k, kind, scan_one, &c, d);
}

/* First kind with an out-of-range site becomes the error. */
static int check_ranges(const struct site_stats *st, struct diag *d)
{
	size_t i;

	for (i = 0; i < nr_site_kinds; i++) {
		const struct site *s = &st[i].first_bad;

		if (!st[i].out_of_range)
			continue;
		return diag_set(d, "entry out of range: %s entry %zu (at 0x%llx): %s "
				"(target 0x%llx, len %u); %zu of %zu %s sites bad",
				st[i].kind->sec, s->index, (unsigned long long)s->entry_va,
				st[i].first_bad_why, (unsigned long long)s->target, s->len,
				st[i].out_of_range, st[i].sites, st[i].kind->name);
	}
	return 0;
}

int sites_validate(const struct kelf *k, struct site_stats *st, struct diag *d)
{
	size_t i;

	for (i = 0; i < nr_site_kinds; i++) {
		memset(&st[i], 0, sizeof(st[i]));
		if (in_layout(k, &site_kinds[i]) && sites_scan(k, &site_kinds[i], &st[i], d))
			return -1;
	}
	return check_ranges(st, d);
}
