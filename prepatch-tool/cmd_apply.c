// SPDX-License-Identifier: GPL-2.0
/*
 * cmd_apply.c - rund-prepatch apply --caps CAPS -o OUT VMLINUX
 *
 * Validates VMLINUX as scan does, reads CAPS, applies the offline
 * alternative_instructions() (alternative.c) to an in-memory copy, fills
 * the note and undo area (note.c) and writes OUT through a temporary file
 * (elfout.c).  Prints a per-pass summary on stdout.  Any problem: one
 * message "rund-prepatch: FILE: PROBLEM" naming the offending input (or
 * OUT), exit 2, OUT untouched.
 */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "alternative.h"
#include "caps.h"
#include "commands.h"
#include "elfout.h"
#include "kversion.h"
#include "note.h"

struct apply_args {
	const char *caps, *out, *in;
};

struct apply_state {
	struct kelf k;
	struct kversion ver;
	struct site_stats st[16];
	struct caps caps;
	struct image im;
	struct apply_result r;
	struct prepatch_note note;
	uint8_t digest[32];
};

static void print_summary(const struct apply_args *a, const struct apply_state *s)
{
	size_t i;

	printf("file:    %s\nkernel:  %s (layout %s)\ncaps:    %s (lock %s)\nout:     %s\n",
	       a->in, s->ver.release, s->ver.layout->name, a->caps,
	       s->caps.uniproc ? "up" : "smp", a->out);
	printf("%-13s %8s %8s %8s\n", "pass", "sites", "patched", "warned");
	for (i = 0; i < s->r.npass; i++) {
		const struct pass_stats *p = &s->r.pass[i];

		if (!p->ran)
			printf("%-13s %8s %8s %8s\n", p->kind, "-", "-", "-");
		else
			printf("%-13s %8zu %8zu %8zu\n", p->kind, p->sites, p->patched, p->warned);
	}
	printf("text_poke_early: %llu writes, %llu bytes changed\n",
	       (unsigned long long)s->r.pokes, (unsigned long long)s->r.bytes_changed);
	printf("undo:    %u runs, %u bytes\n", s->note.undo_runs, s->note.undo_len);
}

/* Returns the path the message is about, or NULL on success. */
static const char *apply(const struct apply_args *a, struct apply_state *s,
			 struct diag *d)
{
	if (caps_read_file(a->caps, &s->caps, d))
		return a->caps;
	if (kelf_open(&s->k, a->in, d) || kversion_read(&s->k, &s->ver, d) ||
	    sites_validate(&s->k, s->st, d))
		return a->in;
	if (kelf_section(&s->k, ".note.rund.prepatch")) {
		diag_set(d, "already pre-patched (has .note.rund.prepatch); apply to the original vmlinux");
		return a->in;
	}
	if (s->caps.kernel[0] && strcmp(s->caps.kernel, s->ver.release)) {
		diag_set(d, "CAPS is for kernel %s, vmlinux is %s", s->caps.kernel,
			 s->ver.release);
		return a->caps;
	}
	if (alternative_check_caps(&s->k, &s->caps, d))
		return a->caps;
	if (image_load(&s->im, &s->k, d))
		return a->in;
	sha256(s->im.buf, s->im.size, s->digest);
	if (alternative_instructions(&s->im, &s->caps, &s->r, d) ||
	    note_fill(&s->im, &s->caps, s->digest, &s->note, d))
		return a->in;
	if (elfout_write(a->out, &s->im, ".note.rund.prepatch", s->note.blob,
			 s->note.blob_len, d))
		return a->out;
	return NULL;
}

static int parse_args(int argc, char **argv, struct apply_args *a)
{
	static const struct option opts[] = {
		{ "caps", required_argument, NULL, 'c' },
		{ "output", required_argument, NULL, 'o' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	while ((c = getopt_long(argc, argv, "c:o:", opts, NULL)) != -1) {
		if (c == 'c')
			a->caps = optarg;
		else if (c == 'o')
			a->out = optarg;
		else
			return -1;
	}
	if (!a->caps || !a->out || optind != argc - 1)
		return -1;
	a->in = argv[optind];
	return 0;
}

int cmd_apply(int argc, char **argv)
{
	static struct apply_state s;
	struct apply_args a = { NULL, NULL, NULL };
	struct diag d = { "" };
	const char *bad;

	if (parse_args(argc, argv, &a)) {
		fprintf(stderr, "usage: rund-prepatch apply --caps CAPS -o OUT VMLINUX\n");
		return EXIT_USAGE;
	}
	memset(&s, 0, sizeof(s));
	s.k.fd = -1;
	bad = apply(&a, &s, &d);
	if (!bad)
		print_summary(&a, &s);
	note_free(&s.note);
	image_free(&s.im);
	kelf_close(&s.k);
	if (bad) {
		fprintf(stderr, "rund-prepatch: %s: %s\n", bad, d.msg);
		return EXIT_BADINPUT;
	}
	return fflush(stdout) ? EXIT_USAGE : 0;
}
