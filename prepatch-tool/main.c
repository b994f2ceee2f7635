// SPDX-License-Identifier: GPL-2.0
/*
 * main.c - rund-prepatch command line.
 *
 *   rund-prepatch scan [--json] VMLINUX
 *   rund-prepatch apply --caps CAPS -o OUT VMLINUX      (cmd_apply.c)
 *   rund-prepatch calibrate [-o CAPS] VMLINUX CONSOLE   (cmd_calibrate.c)
 *
 * scan: validates VMLINUX (ELF64 x86-64 ET_EXEC, Linux 6.1.x or 6.12.x from
 * linux_banner, tables of that layout), walks every boot-time patch site table that
 * alternative_instructions() (arch/x86/kernel/alternative.c) consumes and
 * prints per kind the number of entries, of sites, and of sites whose
 * target is out of range.  Any bad input, including a single out-of-range
 * site, prints one message "rund-prepatch: FILE: PROBLEM" on stderr, writes
 * nothing on stdout and exits 2.  Usage errors exit 1.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json.h>

#include "commands.h"
#include "diag.h"
#include "kelf.h"
#include "kversion.h"
#include "sites.h"


struct scan_result {
	struct kversion ver;
	struct site_stats st[16];
};

static void usage(FILE *f)
{
	fprintf(f,
		"usage: rund-prepatch scan [--json] VMLINUX\n"
		"       rund-prepatch apply --caps CAPS -o OUT VMLINUX\n"
		"       rund-prepatch calibrate [-o CAPS] VMLINUX CONSOLE_LOG\n"
		"  scan       list the boot-time text patch sites of a Linux 6.1 or 6.12 x86-64 vmlinux\n"
		"  apply      pre-patch VMLINUX for the CPU described by CAPS (caps.h: format)\n"
		"  calibrate  CAPS from the console of a boot with patches/guest\n"
		"exit: 0 ok, 1 usage, 2 bad input (one message on stderr, nothing on stdout)\n");
}

static int scan(const char *path, struct scan_result *r, struct diag *d)
{
	struct kelf k;
	int ret = -1;

	if (kelf_open(&k, path, d) || kversion_read(&k, &r->ver, d))
		goto out;
	ret = sites_validate(&k, r->st, d);
out:
	kelf_close(&k);
	return ret;
}

static void print_text(const char *path, const struct scan_result *r)
{
	size_t i;

	printf("file:    %s\n", path);
	printf("kernel:  %s\n", r->ver.release);
	printf("banner:  %s\n", r->ver.banner);
	printf("layout:  %s\n", r->ver.layout->name);
	printf("%-13s %-24s %8s %8s %12s  %s\n", "kind", "section", "entries",
	       "sites", "out_of_range", "applied by");
	for (i = 0; i < nr_site_kinds; i++) {
		const struct site_stats *st = &r->st[i];

		if (!st->kind)
			continue;
		if (!st->present) {
			printf("%-13s %-24s %8s %8s %12s  %s()\n", st->kind->name,
			       st->kind->sec, "-", "-", "-", st->kind->consumer);
			continue;
		}
		printf("%-13s %-24s %8zu %8zu %12zu  %s()\n", st->kind->name,
		       st->kind->sec, st->entries, st->sites, st->out_of_range,
		       st->kind->consumer);
	}
}

static int print_json(const char *path, const struct scan_result *r)
{
	json_object *root = json_object_new_object();
	json_object *kern = json_object_new_object();
	json_object *sites = json_object_new_array();
	const char *s;
	size_t i;

	json_object_object_add(root, "file", json_object_new_string(path));
	json_object_object_add(kern, "release", json_object_new_string(r->ver.release));
	json_object_object_add(kern, "banner", json_object_new_string(r->ver.banner));
	json_object_object_add(kern, "layout", json_object_new_string(r->ver.layout->name));
	json_object_object_add(root, "kernel", kern);
	for (i = 0; i < nr_site_kinds; i++) {
		const struct site_stats *st = &r->st[i];
		json_object *o;

		if (!st->kind)
			continue;
		o = json_object_new_object();
		json_object_object_add(o, "kind", json_object_new_string(st->kind->name));
		json_object_object_add(o, "section", json_object_new_string(st->kind->sec));
		json_object_object_add(o, "present", json_object_new_boolean(st->present));
		json_object_object_add(o, "entry_size", json_object_new_int(st->kind->entsize));
		json_object_object_add(o, "section_size", json_object_new_int64((int64_t)st->sec_size));
		json_object_object_add(o, "entries", json_object_new_int64((int64_t)st->entries));
		json_object_object_add(o, "sites", json_object_new_int64((int64_t)st->sites));
		json_object_object_add(o, "out_of_range", json_object_new_int64((int64_t)st->out_of_range));
		json_object_object_add(o, "applied_by", json_object_new_string(st->kind->consumer));
		json_object_array_add(sites, o);
	}
	json_object_object_add(root, "sites", sites);
	s = json_object_to_json_string_ext(root, JSON_C_TO_STRING_PRETTY |
					   JSON_C_TO_STRING_NOSLASHESCAPE);
	printf("%s\n", s);
	json_object_put(root);
	return 0;
}

static int cmd_scan(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	static struct scan_result r;
	struct diag d = { "" };
	bool json = false;
	int c;

	while ((c = getopt_long(argc, argv, "jh", opts, NULL)) != -1) {
		switch (c) {
		case 'j':
			json = true;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return EXIT_USAGE;
		}
	}
	if (optind != argc - 1) {
		usage(stderr);
		return EXIT_USAGE;
	}
	if (nr_site_kinds > sizeof(r.st) / sizeof(r.st[0]))
		abort();
	if (scan(argv[optind], &r, &d)) {
		fprintf(stderr, "rund-prepatch: %s: %s\n", argv[optind], d.msg);
		return EXIT_BADINPUT;
	}
	if (json)
		print_json(argv[optind], &r);
	else
		print_text(argv[optind], &r);
	if (fflush(stdout) || ferror(stdout)) {
		perror("rund-prepatch: stdout");
		return EXIT_USAGE;
	}
	return 0;
}

int main(int argc, char **argv)
{
	if (argc >= 2 && !strcmp(argv[1], "scan"))
		return cmd_scan(argc - 1, argv + 1);
	if (argc >= 2 && !strcmp(argv[1], "apply"))
		return cmd_apply(argc - 1, argv + 1);
	if (argc >= 2 && !strcmp(argv[1], "calibrate"))
		return cmd_calibrate(argc - 1, argv + 1);
	if (argc >= 2 && (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help"))) {
		usage(stdout);
		return 0;
	}
	usage(stderr);
	return EXIT_USAGE;
}
