// SPDX-License-Identifier: GPL-2.0
/*
 * commands.h - the subcommands of rund-prepatch and their exit codes.
 */
#ifndef RUND_PREPATCH_COMMANDS_H
#define RUND_PREPATCH_COMMANDS_H

#define EXIT_USAGE	1
#define EXIT_BADINPUT	2

int cmd_apply(int argc, char **argv);		/* cmd_apply.c */
int cmd_calibrate(int argc, char **argv);	/* cmd_calibrate.c */

#endif
