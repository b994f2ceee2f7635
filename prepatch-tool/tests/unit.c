// SPDX-License-Identifier: GPL-2.0
/*
 * unit.c - unit tests of the table decoders and the banner parser on
 * synthetic bytes.  Prints "ok - ..." / "not ok - ..." lines without
 * numbers; tests/run.sh numbers them into its TAP stream.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../caps.h"
#include "../insn.h"
#include "../kversion.h"
#include "../layout.h"
#include "../note.h"
#include "../sites.h"

/* Host mirrors of the 6.1 kernel structs, to check entry sizes. */
struct alt_instr {			/* arch/x86/include/asm/alternative.h */
	int32_t instr_offset;
	int32_t repl_offset;
	uint16_t cpuid;
	uint8_t instrlen;
	uint8_t replacementlen;
} __attribute__((packed));

struct alt_instr_612 {			/* 6.12 */
	int32_t instr_offset;
	int32_t repl_offset;
	uint32_t ft_flags;		/* cpuid:16, flags:16 */
	uint8_t instrlen;
	uint8_t replacementlen;
} __attribute__((packed));

struct paravirt_patch_site {		/* arch/x86/include/asm/paravirt_types.h */
	uint8_t *instr;
	uint8_t type;
	uint8_t len;
};

/* patches/guest: arch/x86/include/asm/rund_prepatch.h (version 1). */
struct rund_prepatch_pv {
	uint16_t type;
	uint16_t flags;
	int32_t off;
};

struct rund_prepatch_desc {
	uint32_t version, filled, nwords, flags;
	uint32_t words[24];
	uint32_t npv;
	struct rund_prepatch_pv pv[64];
	uint32_t undo_len, undo_runs;
	uint8_t digest[32];
};

/* patches/guest/6.12: version 2, room for 128 pv_ops slots. */
struct rund_prepatch_desc_v2 {
	uint32_t version, filled, nwords, flags;
	uint32_t words[24];
	uint32_t npv;
	struct rund_prepatch_pv pv[128];
	uint32_t undo_len, undo_runs;
	uint8_t digest[32];
};

static int failures;

static void ok(int cond, const char *fmt, const char *arg)
{
	printf("%s - ", cond ? "ok" : "not ok");
	printf(fmt, arg);
	printf("\n");
	if (!cond)
		failures++;
}

static void put32(uint8_t *p, uint32_t v)
{
	p[0] = v; p[1] = v >> 8; p[2] = v >> 16; p[3] = v >> 24;
}

static void put64(uint8_t *p, uint64_t v)
{
	put32(p, (uint32_t)v);
	put32(p + 4, (uint32_t)(v >> 32));
}

/* A kelf that has only a layout: enough for site_kind_by_name(). */
static const struct site_kind *kind_of(unsigned int major, unsigned int minor,
				       const char *name)
{
	struct kelf k = { .layout = layout_find(major, minor) };
	const struct site_kind *sk = k.layout ? site_kind_by_name(&k, name) : NULL;

	if (!sk) {
		printf("not ok - site kind %s exists in %u.%u\n", name, major, minor);
		exit(1);
	}
	return sk;
}

static const struct site_kind *kind(const char *name)
{
	return kind_of(6, 1, name);
}

static const struct site_kind *kind612(const char *name)
{
	return kind_of(6, 12, name);
}

static bool kind_in(unsigned int major, unsigned int minor, const char *name)
{
	struct kelf k = { .layout = layout_find(major, minor) };

	return site_kind_by_name(&k, name) != NULL;
}

static void test_sizes(void)
{
	ok(kind("alternatives")->entsize == sizeof(struct alt_instr),
	   "%s entry size equals sizeof(struct alt_instr) == 12", "alternatives");
	ok(sizeof(struct alt_instr) == 12, "%s", "sizeof(struct alt_instr) == 12");
	ok(kind("paravirt")->entsize == sizeof(struct paravirt_patch_site),
	   "%s entry size equals sizeof(struct paravirt_patch_site) == 16", "paravirt");
	ok(sizeof(struct paravirt_patch_site) == 16, "%s",
	   "sizeof(struct paravirt_patch_site) == 16");
	ok(kind("smp_locks")->entsize == 4 && kind("retpolines")->entsize == 4 &&
	   kind("returns")->entsize == 4 && kind("ibt_endbr")->entsize == 4,
	   "%s", "s32 tables have 4-byte entries");
	ok(kind("alternatives")->required && !kind("paravirt")->required,
	   "%s", "only .altinstructions is required");
	ok(kind612("alternatives")->entsize == sizeof(struct alt_instr_612) &&
	   sizeof(struct alt_instr_612) == 14, "%s",
	   "6.12: alternatives entry size equals sizeof(struct alt_instr) == 14");
	ok(!kind_in(6, 12, "paravirt") && kind_in(6, 12, "callthunks") &&
	   !kind_in(6, 1, "callthunks"), "%s",
	   "6.12 has .call_sites and no .parainstructions, 6.1 the other way round");
	ok(!strcmp(kind612("ibt_endbr")->consumer, "apply_seal_endbr") &&
	   !strcmp(kind("ibt_endbr")->consumer, "apply_ibt_endbr"), "%s",
	   "ENDBR sealing names each release's consumer");
	ok(!layout_find(6, 6) && !layout_find(6, 10) && layout_find(6, 12)->nop_max == 11 &&
	   layout_find(6, 1)->nop_max == 8, "%s", "layouts: 6.1 and 6.12 only; ASM_NOP_MAX 8 and 11");
}

static void test_decode_alt(void)
{
	const uint64_t va = 0xffffffff81fbaed8ull;
	uint8_t e[12];
	struct site s;

	put32(e, (uint32_t)-0x100);
	put32(e + 4, 0x50);
	e[8] = (9 * 32 + 20) & 0xff;
	e[9] = ((9 * 32 + 20) | ALT_FLAGS_61_INV) >> 8;
	e[10] = 6;
	e[11] = 3;
	memset(&s, 0, sizeof(s));
	kind("alternatives")->decode(e, va, &s);
	ok(s.target == va - 0x100, "%s", "alt target = &instr_offset + instr_offset");
	ok(s.repl == va + 4 + 0x50, "%s", "alt replacement = &repl_offset + repl_offset");
	ok(s.feature == 9 * 32 + 20 && s.alt_flags == ALT_FLAG_NOT, "%s",
	   "6.1 alt: cpuid bit 15 (inverted) becomes ALT_FLAG_NOT");
	ok(s.len == 6 && s.repl_len == 3, "%s", "alt instrlen/replacementlen");
}

static void test_decode_alt612(void)
{
	const uint64_t va = 0xffffffff836ffa00ull;
	uint8_t e[14];
	struct site s;

	put32(e, (uint32_t)-0x2000);
	put32(e + 4, 0x20654);
	put32(e + 8, (ALT_FLAG_DIRECT_CALL | ALT_FLAG_NOT) << 16 | (3 * 32 + 21));
	e[12] = 6;
	e[13] = 5;
	memset(&s, 0, sizeof(s));
	kind612("alternatives")->decode(e, va, &s);
	ok(s.target == va - 0x2000 && s.repl == va + 4 + 0x20654, "%s",
	   "6.12 alt: self-relative instr and replacement");
	ok(s.feature == 3 * 32 + 21 && s.alt_flags == (ALT_FLAG_DIRECT_CALL | ALT_FLAG_NOT),
	   "%s", "6.12 alt: ft_flags = cpuid:16 | flags:16");
	ok(s.len == 6 && s.repl_len == 5, "%s", "6.12 alt: instrlen at 12, replacementlen at 13");
}

static void test_decode_para(void)
{
	uint8_t e[16] = { 0 };
	struct site s;

	put64(e, 0xffffffff81001234ull);
	e[8] = 7;
	e[9] = 6;
	memset(&s, 0, sizeof(s));
	kind("paravirt")->decode(e, 0xffffffff81fba578ull, &s);
	ok(s.target == 0xffffffff81001234ull && s.type == 7 && s.len == 6, "%s",
	   "paravirt: absolute instr pointer, type, len");
}

static void test_decode_s32(void)
{
	const uint64_t va = 0xffffffff81fc1000ull;
	uint8_t e[4];
	struct site s;

	put32(e, (uint32_t)-0x40);
	memset(&s, 0, sizeof(s));
	kind("smp_locks")->decode(e, va, &s);
	ok(s.target == va - 0x40 && !s.padding && s.len == 1, "%s",
	   "smp_locks: self-relative s32, 1 byte");
	put32(e, 0);
	memset(&s, 0, sizeof(s));
	kind("smp_locks")->decode(e, va, &s);
	ok(s.padding, "%s", "smp_locks: zero entry is padding (skipped as in alternatives_smp_lock)");
	memset(&s, 0, sizeof(s));
	kind("retpolines")->decode(e, va, &s);
	ok(!s.padding && s.target == va, "%s", "retpolines: zero entry is not padding");
	put32(e, 0x1234);
	memset(&s, 0, sizeof(s));
	kind("ibt_endbr")->decode(e, va, &s);
	ok(s.target == va + 0x1234 && s.len == 4, "%s", "ibt_endbr: self-relative, 4-byte ENDBR");
}

static void banner(const char *b, int want_ok, const char *want_release,
		   const char *want_msg)
{
	struct kversion v;
	struct diag d = { "" };
	int ret = kversion_parse(b, strlen(b) + 1, &v, &d);
	char name[128];

	snprintf(name, sizeof(name), "%.*s", (int)strcspn(b, "\n"), b);
	b = name;

	if (want_ok)
		ok(ret == 0 && !strcmp(v.release, want_release),
		   "banner accepted: %s", b);
	else
		ok(ret == -1 && strstr(d.msg, want_msg) != NULL,
		   "banner rejected: %s", b);
}

static void test_banner(void)
{
	struct kversion v;
	struct diag d = { "" };

	banner("Linux version 6.1.192-rund+ (rund@rund) (gcc) #1 SMP rund\n", 1,
	       "6.1.192-rund+", NULL);
	banner("Linux version 6.1.0 (x@y) #1\n", 1, "6.1.0", NULL);
	banner("Linux version 6.12.118+deb12-amd64 (debian-kernel@lists.debian.org) #1 SMP\n", 1,
	       "6.12.118+deb12-amd64", NULL);
	banner("Linux version 6.10.3 (x@y) #1\n", 0, NULL,
	       "kernel version 6.10.3: unknown boot-patching layout (rund-prepatch knows Linux 6.1 and 6.12)");
	banner("Linux version 6.6.58 (x@y) #1\n", 0, NULL, "6.6.58: unknown boot-patching layout");
	banner("Linux version 5.10.1 (x@y) #1\n", 0, NULL, "unknown boot-patching layout");
	banner("Linux version 6.13.1 (x@y) #1\n", 0, NULL, "unknown boot-patching layout");
	banner("Linux version foo (x@y) #1\n", 0, NULL, "cannot parse kernel release");
	banner("Hello world\n", 0, NULL, "does not start with");
	ok(kversion_parse("Linux version 6.1.1", 19, &v, &d) == -1 &&
	   strstr(d.msg, "NUL-terminated"), "%s", "banner without NUL rejected");
}

/*
 * Instruction lengths from the Intel SDM encodings; "66 e8" follows the
 * kernel decoder (CALL Jz is f64: rel32 whatever 66 says; objdump, like
 * AMD, would take rel16).
 */
static void test_insn(void)
{
	static const struct { const char *hex; unsigned int len; } t[] = {
		{ "6690", 2 }, { "0f1f840000000000", 8 }, { "c4e279180500000000", 9 },
		{ "62f17c481000", 6 }, { "48b88877665544332211", 10 },
		{ "a18877665544332211", 9 }, { "67a144332211", 6 }, { "66053412", 4 },
		{ "f6c001", 3 }, { "f6d0", 2 }, { "f7c044332211", 6 }, { "c8100001", 4 },
		{ "0f3a0fc108", 5 }, { "66e844332211", 6 }, { "8f00", 2 }, { "c5fc77", 3 },
		{ "0faee8", 3 }, { "f30f1efa", 4 }, { "4c8b0d44332211", 7 },
		{ "f0ff00", 3 }, { "3effc0", 3 }, { "0f8544332211", 6 },
		{ "c744240811223344", 8 }, { "66c74424081122", 7 }, { "48c7c011223344", 7 },
		{ "6bc001", 3 }, { "69c011223344", 6 }, { "41ffe3", 3 }, { "2ee844332211", 6 },
	};
	uint8_t b[32];
	struct insn insn;
	size_t i, j, n;
	int good = 1;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		n = strlen(t[i].hex) / 2;
		memset(b, 0x90, sizeof(b));
		for (j = 0; j < n; j++)
			sscanf(t[i].hex + 2 * j, "%2hhx", &b[j]);
		if (insn_decode(&insn, b, sizeof(b)) || insn.length != t[i].len) {
			printf("# %s: got %u, want %u\n", t[i].hex, insn.length, t[i].len);
			good = 0;
		}
	}
	ok(good, "%s", "decoder: lengths of legacy/REX/VEX/EVEX/moffs/imm forms");
	ok(insn_decode(&insn, (const uint8_t *)"\xe8\x01\x02", 3) == -1, "%s",
	   "decoder: truncated instruction rejected");
	ok(insn_decode(&insn, (const uint8_t *)"\x06", 1) == -1, "%s",
	   "decoder: opcode invalid in 64-bit mode (push %es) rejected");
	ok(!insn_decode(&insn, (const uint8_t *)"\x0f\x85\xfc\xff\xff\xff", 6) &&
	   insn.immediate == -4 && insn.opcode[0] == 0x0f && insn.opcode[1] == 0x85,
	   "%s", "decoder: Jcc rel32 opcode bytes and signed immediate");
}

static void test_note_layout(void)
{
	ok(sizeof(struct rund_prepatch_desc) == NOTE_DESC_SIZE(NOTE_PV_MAX_V1) &&
	   NOTE_DESC_SIZE(NOTE_PV_MAX_V1) == 668, "%s",
	   "note desc size equals the guest patch's struct rund_prepatch_desc (668)");
	ok(__builtin_offsetof(struct rund_prepatch_desc, words) == DESC_WORDS &&
	   __builtin_offsetof(struct rund_prepatch_desc, npv) == DESC_NPV &&
	   __builtin_offsetof(struct rund_prepatch_desc, pv) == DESC_PV &&
	   __builtin_offsetof(struct rund_prepatch_desc, undo_len) == DESC_UNDO_LEN(NOTE_PV_MAX_V1) &&
	   __builtin_offsetof(struct rund_prepatch_desc, digest) == DESC_DIGEST(NOTE_PV_MAX_V1),
	   "%s", "note desc field offsets equal the guest patch's struct");
	ok(sizeof(struct rund_prepatch_desc_v2) == NOTE_DESC_SIZE(NOTE_PV_MAX_V2) &&
	   NOTE_DESC_SIZE(NOTE_PV_MAX_V2) == 1180 &&
	   __builtin_offsetof(struct rund_prepatch_desc_v2, undo_len) == DESC_UNDO_LEN(NOTE_PV_MAX_V2) &&
	   __builtin_offsetof(struct rund_prepatch_desc_v2, digest) == DESC_DIGEST(NOTE_PV_MAX_V2),
	   "%s", "note desc version 2 (6.12: 128 pv slots): 1180 bytes, offsets as the struct");
	ok(layout_find(6, 1)->note_version == 1 && layout_find(6, 12)->note_version == 2, "%s",
	   "6.1 images take note version 1, 6.12 images version 2");
}

static void test_caps_roundtrip(void)
{
	static struct caps a, b;
	struct diag d = { "" };
	char text[4096] = "rund-prepatch-caps 1\nlock up\npv 3 null\npv 7 foo+0x10\n"
			  "return_thunk srso_return_thunk\n";
	char *out = NULL;
	size_t len = 0, i;
	FILE *f;

	for (i = 0; i < 22; i++)
		snprintf(text + strlen(text), sizeof(text) - strlen(text), "cap %zu %zx\n",
			 i, i * 0x01010101);
	strcat(text, "bug 0 1\nbug 1 80000000  # comment\n");
	ok(caps_parse(text, strlen(text), &a, &d) == 0, "%s", "CAPS parses");
	f = open_memstream(&out, &len);
	caps_format(&a, f);
	fclose(f);
	ok(caps_parse(out, len, &b, &d) == 0 && !memcmp(&a, &b, sizeof(a)), "%s",
	   "CAPS format -> parse round trip is exact");
	ok(a.uniproc && a.pv[3].null && a.pv[7].off == 0x10 && !strcmp(a.pv[7].sym, "foo") &&
	   a.words[22] == 1 && a.words[23] == 0x80000000u && a.words[21] == 21 * 0x01010101u &&
	   caps_has(&a, 23 * 32 + 31) && !caps_has(&a, 0),
	   "%s", "CAPS fields: lock, pv null/offset, bug words, caps_has()");
	free(out);
}

int main(void)
{
	test_sizes();
	test_decode_alt();
	test_decode_alt612();
	test_decode_para();
	test_decode_s32();
	test_banner();
	test_insn();
	test_note_layout();
	test_caps_roundtrip();
	return failures ? 1 : 0;
}
