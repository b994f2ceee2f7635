// SPDX-License-Identifier: GPL-2.0
/*
 * diag.c - error message helper (see diag.h).
 */
#include <stdarg.h>
#include <stdio.h>

#include "diag.h"

int diag_set(struct diag *d, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(d->msg, sizeof(d->msg), fmt, ap);
	va_end(ap);
	return -1;
}
