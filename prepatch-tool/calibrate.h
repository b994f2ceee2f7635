// SPDX-License-Identifier: GPL-2.0
/*
 * calibrate.h - turn the guest patch's console line
 *
 *   rund-prepatch: calibrate v1 text=HEX up=0|1 caps=W0,...,W23 pv=T:OFF|T:null,...
 *
 * (printed by alternative_instructions() of a kernel with patches/guest)
 * into a CAPS structure, naming pv_ops targets by the symbols of VMLINUX.
 */
#ifndef RUND_PREPATCH_CALIBRATE_H
#define RUND_PREPATCH_CALIBRATE_H

#include <stddef.h>

#include "caps.h"
#include "diag.h"
#include "kelf.h"

#define CALIBRATE_TAG	"rund-prepatch: calibrate v1 "

/* Parse the last calibrate line of @log (@len bytes) into @c. */
int calibrate_parse(const char *log, size_t len, const struct kelf *k,
		    struct caps *c, struct diag *d);

#endif
