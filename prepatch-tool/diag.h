// SPDX-License-Identifier: GPL-2.0
/*
 * diag.h - one error message per failed operation.
 *
 * Every reader function that can fail takes a struct diag, fills in a
 * single human-readable sentence describing the problem and returns -1.
 * main.c prints it as "rund-prepatch: FILE: MESSAGE" and exits with 2.
 */
#ifndef RUND_PREPATCH_DIAG_H
#define RUND_PREPATCH_DIAG_H

struct diag {
	char msg[512];
};

/* Format the message into @d and return -1, so callers can "return diag_set(...)". */
int diag_set(struct diag *d, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

#endif
