// SPDX-License-Identifier: GPL-2.0
/*
 * cmd_calibrate.c - rund-prepatch calibrate [-o CAPS] VMLINUX CONSOLE_LOG
 *
 * Reads the "rund-prepatch: calibrate v1" line a kernel built with
 * patches/guest printed while booting VMLINUX under the target CPU model
 * and writes the CAPS file (stdout without -o; through a temporary file
 * and rename with -o).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "calibrate.h"
#include "commands.h"
#include "kversion.h"

#define LOG_MAX	(64 << 20)

static char *read_log(const char *path, size_t *len, struct diag *d)
{
	FILE *f = fopen(path, "rb");
	char *buf;

	if (!f) {
		diag_set(d, "cannot open: %s", strerror(errno));
		return NULL;
	}
	buf = malloc(LOG_MAX);
	if (!buf) {
		fclose(f);
		diag_set(d, "out of memory");
		return NULL;
	}
	*len = fread(buf, 1, LOG_MAX, f);
	if (ferror(f)) {
		diag_set(d, "cannot read: %s", strerror(errno));
		free(buf);
		buf = NULL;
	}
	fclose(f);
	return buf;
}

static int write_caps(const char *out, const struct caps *c, const char *log,
		      struct diag *d)
{
	char *tmp = NULL;
	FILE *f = stdout;
	int fd = -1;

	if (out) {
		if (asprintf(&tmp, "%s.XXXXXX", out) < 0)
			return diag_set(d, "out of memory");
		fd = mkstemp(tmp);
		if (fd < 0 || !(f = fdopen(fd, "w"))) {
			diag_set(d, "cannot create a temporary file: %s", strerror(errno));
			goto fail;
		}
	}
	fprintf(f, "# written by rund-prepatch calibrate from %s\n", log);
	caps_format(c, f);
	if (out && (fclose(f) || rename(tmp, out))) {
		f = NULL;
		diag_set(d, "cannot write: %s", strerror(errno));
		goto fail;
	}
	free(tmp);
	return 0;
fail:
	if (f && f != stdout)
		fclose(f);
	else if (fd >= 0 && !f)
		close(fd);
	if (tmp)
		unlink(tmp);
	free(tmp);
	return -1;
}

int cmd_calibrate(int argc, char **argv)
{
	static struct caps c;
	const char *out = NULL, *bad = NULL;
	struct diag d = { "" };
	struct kversion v;
	struct kelf k;
	char *log = NULL;
	size_t len = 0;
	int opt;

	while ((opt = getopt(argc, argv, "o:")) != -1) {
		if (opt != 'o')
			goto usage;
		out = optarg;
	}
	if (optind != argc - 2)
		goto usage;
	if (kelf_open(&k, argv[optind], &d) || kversion_read(&k, &v, &d))
		bad = argv[optind];
	else if (!(log = read_log(argv[optind + 1], &len, &d)) ||
		 calibrate_parse(log, len, &k, &c, &d))
		bad = argv[optind + 1];
	else {
		snprintf(c.kernel, sizeof(c.kernel), "%s", v.release);
		if (write_caps(out, &c, argv[optind + 1], &d))
			bad = out;
	}
	free(log);
	kelf_close(&k);
	if (bad) {
		fprintf(stderr, "rund-prepatch: %s: %s\n", bad, d.msg);
		return EXIT_BADINPUT;
	}
	return 0;
usage:
	fprintf(stderr, "usage: rund-prepatch calibrate [-o CAPS] VMLINUX CONSOLE_LOG\n");
	return EXIT_USAGE;
}
