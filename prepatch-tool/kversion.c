// SPDX-License-Identifier: GPL-2.0
/*
 * kversion.c - read and check linux_banner (see kversion.h).
 *
 * rund-prepatch mirrors the 6.1 arch/x86/kernel/alternative.c exactly, so
 * any other release is refused: its table layouts or patching order may
 * differ (struct alt_instr, for one, changed after 6.1).
 */
#include <stdio.h>
#include <string.h>

#include "kversion.h"

#define BANNER_PREFIX	"Linux version "
#define WANT_MAJOR	6
#define WANT_MINOR	1

int kversion_parse(const char *banner, size_t len, struct kversion *v,
		   struct diag *d)
{
	const char *nul = memchr(banner, '\0', len);
	const char *rel, *end;
	size_t n;
	int used = 0;

	memset(v, 0, sizeof(*v));
	if (!nul)
		return diag_set(d, "linux_banner is not a NUL-terminated string");
	n = (size_t)(nul - banner);
	snprintf(v->banner, sizeof(v->banner), "%.*s", (int)n, banner);
	v->banner[strcspn(v->banner, "\n")] = '\0';
	if (strncmp(banner, BANNER_PREFIX, strlen(BANNER_PREFIX)))
		return diag_set(d, "linux_banner does not start with \"%s\"", BANNER_PREFIX);
	rel = banner + strlen(BANNER_PREFIX);
	end = rel + strcspn(rel, " \n");
	if (end == rel || end - rel >= KVERSION_MAX)
		return diag_set(d, "linux_banner has no kernel release");
	memcpy(v->release, rel, (size_t)(end - rel));
	if (sscanf(v->release, "%u.%u.%u%n", &v->major, &v->minor, &v->sub, &used) != 3 &&
	    sscanf(v->release, "%u.%u%n", &v->major, &v->minor, &used) != 2)
		return diag_set(d, "cannot parse kernel release \"%s\"", v->release);
	if (v->major != WANT_MAJOR || v->minor != WANT_MINOR)
		return diag_set(d, "kernel version %s is not 6.1.x (only Linux 6.1 is supported)",
				v->release);
	return 0;
}

int kversion_read(const struct kelf *k, struct kversion *v, struct diag *d)
{
	const uint8_t *p;
	uint64_t va, size;

	if (kelf_symbol(k, "linux_banner", &va, &size, d))
		return -1;
	if (!size)
		return diag_set(d, "symbol linux_banner has size 0");
	p = kelf_va_bytes(k, va, size, NULL);
	if (!p)
		return diag_set(d, "linux_banner (0x%llx, %llu bytes) is not inside a section with file contents",
				(unsigned long long)va, (unsigned long long)size);
	return kversion_parse((const char *)p, size, v, d);
}
