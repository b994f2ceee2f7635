// SPDX-License-Identifier: GPL-2.0
/*
 * kversion.h - identify the kernel release of a vmlinux from its
 * linux_banner (init/version-timestamp.c: "Linux version " UTS_RELEASE
 * " (" LINUX_COMPILE_BY "@" ...).
 */
#ifndef RUND_PREPATCH_KVERSION_H
#define RUND_PREPATCH_KVERSION_H

#include <stddef.h>

#include "diag.h"
#include "kelf.h"
#include "layout.h"

#define KVERSION_MAX 65	/* struct new_utsname.release is 65 bytes */

struct kversion {
	char release[KVERSION_MAX];	/* UTS_RELEASE, e.g. "6.1.192-rund" */
	char banner[256];		/* linux_banner without the newline */
	unsigned int major, minor, sub;
	const struct layout *layout;	/* layout.c row of major.minor */
};

/*
 * Read linux_banner via .symtab into @v and set @k->layout; fail unless
 * the release has a known layout and @k's tables have its shape.
 */
int kversion_read(struct kelf *k, struct kversion *v, struct diag *d);

/* Parse a banner string (exposed for unit tests). */
int kversion_parse(const char *banner, size_t len, struct kversion *v,
		   struct diag *d);

#endif
