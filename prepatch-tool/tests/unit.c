// SPDX-License-Identifier: GPL-2.0
/*
 * unit.c - unit tests of the table decoders and the banner parser on
 * synthetic bytes.  Prints "ok - ..." / "not ok - ..." lines without
 * numbers; tests/run.sh numbers them into its TAP stream.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../kversion.h"
#include "../sites.h"

/* Host mirrors of the 6.1 kernel structs, to check entry sizes. */
struct alt_instr {			/* arch/x86/include/asm/alternative.h */
	int32_t instr_offset;
	int32_t repl_offset;
	uint16_t cpuid;
	uint8_t instrlen;
	uint8_t replacementlen;
} __attribute__((packed));

struct paravirt_patch_site {		/* arch/x86/include/asm/paravirt_types.h */
	uint8_t *instr;
	uint8_t type;
	uint8_t len;
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

static const struct site_kind *kind(const char *name)
{
	const struct site_kind *k = site_kind_by_name(name);

	if (!k) {
		printf("not ok - site kind %s exists\n", name);
		exit(1);
	}
	return k;
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
}

static void test_decode_alt(void)
{
	const uint64_t va = 0xffffffff81fbaed8ull;
	uint8_t e[12];
	struct site s;

	put32(e, (uint32_t)-0x100);
	put32(e + 4, 0x50);
	e[8] = (9 * 32 + 20) & 0xff;
	e[9] = ((9 * 32 + 20) | ALTINSTR_FLAG_INV) >> 8;
	e[10] = 6;
	e[11] = 3;
	memset(&s, 0, sizeof(s));
	kind("alternatives")->decode(e, va, &s);
	ok(s.target == va - 0x100, "%s", "alt target = &instr_offset + instr_offset");
	ok(s.repl == va + 4 + 0x50, "%s", "alt replacement = &repl_offset + repl_offset");
	ok(s.cpuid == ((9 * 32 + 20) | ALTINSTR_FLAG_INV), "%s", "alt cpuid incl. inverted flag");
	ok(s.len == 6 && s.repl_len == 3, "%s", "alt instrlen/replacementlen");
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
	banner("Linux version 6.10.3 (x@y) #1\n", 0, NULL, "kernel version 6.10.3 is not 6.1.x");
	banner("Linux version 6.6.58 (x@y) #1\n", 0, NULL, "kernel version 6.6.58 is not 6.1.x");
	banner("Linux version 5.10.1 (x@y) #1\n", 0, NULL, "is not 6.1.x");
	banner("Linux version foo (x@y) #1\n", 0, NULL, "cannot parse kernel release");
	banner("Hello world\n", 0, NULL, "does not start with");
	ok(kversion_parse("Linux version 6.1.1", 19, &v, &d) == -1 &&
	   strstr(d.msg, "NUL-terminated"), "%s", "banner without NUL rejected");
}

int main(void)
{
	test_sizes();
	test_decode_alt();
	test_decode_para();
	test_decode_s32();
	test_banner();
	return failures ? 1 : 0;
}
