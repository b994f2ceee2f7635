// SPDX-License-Identifier: GPL-2.0
/*
 * layer-bench: run COMMAND COUNT times, WAY at once, and time each run.
 *
 *   layer-bench --label L --way W --count M -- COMMAND [ARG...]
 *
 * Runs go in waves of W processes started together (fork + exec, stderr to a memfd each),
 * the next wave once the last has exited. Per run one line on stdout:
 *
 *   layer: LABEL,WAY,WALL_US,TOOL_US
 *
 * WALL_US is fork to exit as the parent saw it; TOOL_US the "in X us" a `rund-layer
 * --time` printed (the layer's making alone, without exec and process start), -1 when the
 * command printed none (qemu-img). A run that fails prints "layer-fail: LABEL,..." with
 * its stderr, and layer-bench exits 1 after the rest.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define MAX_WAY	1024

struct proc {
	pid_t pid;
	int err;		/* its stderr: a memfd, read once it exited */
	double t0, t1;		/* fork, and reaped */
	int status;
	char msg[512];
	size_t len;
};

static double now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

static void die(const char *what)
{
	fprintf(stderr, "layer-bench: %s: %s\n", what, strerror(errno));
	exit(1);
}

/* a file, not a pipe: a child that writes more than a pipe holds must not block */
static void start(struct proc *p, char **argv)
{
	p->err = memfd_create("layer-bench-stderr", MFD_CLOEXEC);
	if (p->err < 0)
		die("memfd_create");
	p->len = 0;
	p->t0 = now_us();
	p->pid = fork();
	if (p->pid < 0)
		die("fork");
	if (!p->pid) {
		dup2(p->err, 2);
		execvp(argv[0], argv);
		_exit(127);
	}
}

/* Reap @n children of @procs as they exit: each one's end time, as soon as it ends. */
static void reap(struct proc *procs, int n)
{
	int i, left = n, st;
	pid_t pid;

	while (left) {
		pid = waitpid(-1, &st, 0);
		if (pid < 0)
			die("waitpid");
		for (i = 0; i < n; i++) {
			if (procs[i].pid == pid) {
				procs[i].t1 = now_us();
				procs[i].status = st;
				left--;
			}
		}
	}
}

/* @p's line on stdout (its stderr is in the pipe: a few lines). 0: it succeeded. */
static int report(struct proc *p, const char *label, int way)
{
	double tool = -1;
	const char *in;
	ssize_t n;

	while (p->len < sizeof(p->msg) - 1 &&
	       (n = pread(p->err, p->msg + p->len, sizeof(p->msg) - 1 - p->len, p->len)) > 0)
		p->len += n;
	p->msg[p->len] = '\0';
	close(p->err);
	if (!WIFEXITED(p->status) || WEXITSTATUS(p->status)) {
		printf("layer-fail: %s,%d,status %d: %.200s\n", label, way, p->status, p->msg);
		return 1;
	}
	in = strstr(p->msg, " in ");
	if (in)
		tool = strtod(in + 4, NULL);
	printf("layer: %s,%d,%.1f,%.1f\n", label, way, p->t1 - p->t0, tool);
	return 0;
}

int main(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "label", required_argument, NULL, 'l' },
		{ "way", required_argument, NULL, 'w' },
		{ "count", required_argument, NULL, 'c' },
		{},
	};
	static struct proc procs[MAX_WAY];
	const char *label = "run";
	int c, way = 1, count = 1, done = 0, fails = 0, i, n;

	while ((c = getopt_long(argc, argv, "+", lo, NULL)) != -1) {
		switch (c) {
		case 'l':
			label = optarg;
			break;
		case 'w':
			way = atoi(optarg);
			break;
		case 'c':
			count = atoi(optarg);
			break;
		default:
			return 2;
		}
	}
	if (way < 1 || way > MAX_WAY || count < 1 || optind >= argc) {
		fprintf(stderr, "usage: layer-bench --label L --way 1..%d --count M -- CMD...\n",
			MAX_WAY);
		return 2;
	}
	while (done < count) {
		n = count - done < way ? count - done : way;
		/* the whole wave is started before any stderr is read: it runs at once */
		for (i = 0; i < n; i++)
			start(&procs[i], argv + optind);
		reap(procs, n);
		for (i = 0; i < n; i++)
			fails += report(&procs[i], label, way);
		done += n;
		fflush(stdout);
	}
	return fails ? 1 : 0;
}
