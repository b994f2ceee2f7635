// SPDX-License-Identifier: GPL-2.0
/*
 * fuzz_elf.c - libFuzzer target over the ELF reader, the site walker and
 * the offline patcher: the input is a (possibly malformed) vmlinux.  It is
 * written to a memfd and run through kelf_open(), kversion_read(),
 * sites_validate() and, if those accept it, alternative_instructions()
 * and note_fill() for a fixed CAPS that patches every kind of site.
 *
 *   make -C prepatch-tool fuzz FUZZ_SECONDS=60
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "../alternative.h"
#include "../kversion.h"
#include "../note.h"

static const char caps_text[] =
	"rund-prepatch-caps 1\n"
	"cap 0 ffffffff\ncap 1 0000ffff\ncap 2 0\ncap 3 0\ncap 4 0\ncap 5 0\n"
	"cap 6 0\ncap 7 0\ncap 8 0\ncap 9 0\ncap 10 0\ncap 11 00002000\n"
	"cap 12 0\ncap 13 0\ncap 14 0\ncap 15 0\ncap 16 0\ncap 17 0\n"
	"cap 18 0\ncap 19 0\ncap 20 0\ncap 21 0\nbug 0 0\nbug 1 0\n"
	"lock up\n";

static void run(const char *path)
{
	static struct site_stats st[16];
	static struct caps caps;
	struct apply_result r;
	struct prepatch_note n;
	struct kversion v;
	struct diag d;
	struct image im;
	struct kelf k;
	uint8_t digest[32] = { 0 };
	unsigned int t;

	if (kelf_open(&k, path, &d) || kversion_read(&k, &v, &d) ||
	    sites_validate(&k, st, &d))
		goto out;
	if (caps_parse(caps_text, sizeof(caps_text) - 1, &caps, &d))
		__builtin_trap();
	for (t = 0; t < 256; t++) {	/* every slot: the nop stub */
		caps.pv[t].set = true;
		strcpy(caps.pv[t].sym, "_paravirt_nop");
	}
	if (alternative_check_caps(&k, &caps, &d) || image_load(&im, &k, &d))
		goto out;
	if (!alternative_instructions(&im, &caps, &r, &d) &&
	    !note_fill(&im, &caps, digest, &n, &d))
		note_free(&n);
	image_free(&im);
out:
	kelf_close(&k);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char path[64];
	int fd = memfd_create("fuzz-vmlinux", MFD_CLOEXEC);

	if (fd < 0)
		return 0;
	if (write(fd, data, size) == (ssize_t)size) {
		snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
		run(path);
	}
	close(fd);
	return 0;
}
