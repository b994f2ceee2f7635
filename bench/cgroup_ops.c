// SPDX-License-Identifier: GPL-2.0
/*
 * cgroup_ops: time N cgroup mkdirs or N same-parent renames spread over T threads.
 *
 *   cgroup_ops --dir DIR --op mkdir|rename [-n 2000] [-t 50] [--churn] [--label L]
 *
 * mkdir:  thread k creates DIR/mk-<k>-<i>; each mkdir is timed.
 * rename: N idle cgroups DIR/idle-<i> are created first (untimed); thread k renames its
 *         share to DIR/sb-<i>, as a pool hands out cgroups; each rename is timed.
 * --churn: one extra thread keeps doing mkdir+rmdir of DIR/churn while the timed threads
 *         run, so cgroup_mutex is held the way a busy host holds it.
 * Everything is removed afterwards. One CSV line on stdout:
 *   label,op,threads,n,churn,total_ms,p50_us,p99_us,max_us
 * Latencies use CLOCK_MONOTONIC; the caller checks the guest's clocksource.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "lib/benchlib.h"

struct opts {
	const char *dir, *op, *label;
	int n, threads, churn;
};

struct worker {
	const struct opts *o;
	int id;
	double *lat_us;		/* per-op latency, indexed by op number */
	int err;
};

static atomic_int stop_churn;

static void *work(void *p)
{
	struct worker *w = p;
	const struct opts *o = w->o;
	char from[PATH_MAX], to[PATH_MAX];

	for (int i = w->id; i < o->n; i += o->threads) {
		double t0;
		int ret;

		if (!strcmp(o->op, "mkdir")) {
			path_of(to, sizeof(to), o->dir, "mk-", w->id, i);
			t0 = now_us();
			ret = mkdir(to, 0755);
		} else {
			path_of(from, sizeof(from), o->dir, "idle-", i, -1);
			path_of(to, sizeof(to), o->dir, "sb-", i, -1);
			t0 = now_us();
			ret = rename(from, to);
		}
		w->lat_us[i] = now_us() - t0;
		if (ret) {
			w->err = errno;
			fprintf(stderr, "cgroup_ops: %s %s: %s\n", o->op, to, strerror(errno));
			return NULL;
		}
	}
	return NULL;
}

static void *churn(void *p)
{
	const struct opts *o = p;
	char c[PATH_MAX];

	path_of(c, sizeof(c), o->dir, "churn-", 0, -1);
	while (!atomic_load(&stop_churn)) {
		if (mkdir(c, 0755) == 0)
			rmdir(c);
	}
	return NULL;
}

static void cleanup(const struct opts *o)
{
	char p[PATH_MAX];

	for (int i = 0; i < o->n; i++) {
		path_of(p, sizeof(p), o->dir, "idle-", i, -1);
		rmdir(p);
		path_of(p, sizeof(p), o->dir, "sb-", i, -1);
		rmdir(p);
		path_of(p, sizeof(p), o->dir, "mk-", i % o->threads, i);
		rmdir(p);
	}
}

static int usage(const char *why)
{
	fprintf(stderr, "cgroup_ops: %s\nusage: cgroup_ops --dir DIR --op mkdir|rename "
		"[-n N] [-t THREADS] [--churn] [--label L]\n", why);
	return 2;
}

int main(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "dir", required_argument, NULL, 'd' }, { "op", required_argument, NULL, 'o' },
		{ "label", required_argument, NULL, 'l' }, { "churn", no_argument, NULL, 'c' },
		{ NULL, 0, NULL, 0 },
	};
	struct opts o = { .n = 2000, .threads = 50, .label = "-" };
	pthread_t *tids, churner;
	struct worker *ws;
	double *lat, t0, total;
	struct lat_summary s;
	int c, err = 0;

	while ((c = getopt_long(argc, argv, "n:t:", lo, NULL)) != -1) {
		switch (c) {
		case 'd': o.dir = optarg; break;
		case 'o': o.op = optarg; break;
		case 'l': o.label = optarg; break;
		case 'c': o.churn = 1; break;
		case 'n': o.n = atoi(optarg); break;
		case 't': o.threads = atoi(optarg); break;
		default: return usage("bad option");
		}
	}
	if (!o.dir || !o.op || (strcmp(o.op, "mkdir") && strcmp(o.op, "rename")))
		return usage("--dir and --op mkdir|rename are required");
	if (o.n < 1 || o.threads < 1 || o.threads > o.n)
		return usage("need 1 <= threads <= n");

	lat = calloc(o.n, sizeof(*lat));
	ws = calloc(o.threads, sizeof(*ws));
	tids = calloc(o.threads, sizeof(*tids));
	if (!lat || !ws || !tids)
		return 1;
	if (!strcmp(o.op, "rename")) {
		char p[PATH_MAX];

		for (int i = 0; i < o.n; i++) {
			path_of(p, sizeof(p), o.dir, "idle-", i, -1);
			if (mkdir(p, 0755)) {
				fprintf(stderr, "cgroup_ops: mkdir %s: %s\n", p, strerror(errno));
				cleanup(&o);
				return 1;
			}
		}
	}
	if (o.churn && pthread_create(&churner, NULL, churn, &o))
		return 1;
	t0 = now_us();
	for (int k = 0; k < o.threads; k++) {
		ws[k] = (struct worker){ .o = &o, .id = k, .lat_us = lat };
		if (pthread_create(&tids[k], NULL, work, &ws[k]))
			return 1;
	}
	for (int k = 0; k < o.threads; k++) {
		pthread_join(tids[k], NULL);
		err |= ws[k].err;
	}
	total = now_us() - t0;
	atomic_store(&stop_churn, 1);
	if (o.churn)
		pthread_join(churner, NULL);
	cleanup(&o);
	if (err)
		return 1;
	s = lat_summarize(lat, o.n);
	printf("%s,%s,%d,%d,%d,%.1f,%.0f,%.0f,%.0f\n", o.label, o.op, o.threads, o.n, o.churn,
	       total / 1e3, s.p50, s.p99, s.max);
	return 0;
}
