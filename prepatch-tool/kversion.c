// SPDX-License-Identifier: GPL-2.0
/*
 * kversion.c - read and check linux_banner (see kversion.h).
 *
 * rund-prepatch mirrors arch/x86/kernel/alternative.c of the releases in
 * layout.c exactly, so any other release is refused: its table layouts or
 * patching order may differ (struct alt_instr, for one, grew in 6.3).
 */
#include <stdio.h>
#include <string.h>

#include "kversion.h"
#include "layout.h"

#define BANNER_PREFIX	"Linux version "

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
	v->layout = layout_find(v->major, v->minor);
	if (!v->layout)
		return diag_set(d, "kernel version %s: unknown boot-patching layout (rund-prepatch knows %s)",
				v->release, layout_names());
	return 0;
}

int kversion_read(struct kelf *k, struct kversion *v, struct diag *d)
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
	if (kversion_parse((const char *)p, size, v, d) ||
	    layout_check(k, v->layout, d))
		return -1;
	k->layout = v->layout;
	return 0;
}
