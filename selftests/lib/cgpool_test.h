/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Helpers shared by the rund_cgpool selftests: module load/unload, the device, the pool
 * directory on the hierarchy under test, ioctl wrappers returning the errno, /dev/kmsg
 * checks and pool-state snapshots.
 */
#ifndef CGPOOL_TEST_H
#define CGPOOL_TEST_H

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <mntent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <linux/rund_cgpool.h>

#include "rund_test.h"

#define CGP_KO		"/rund/modules/rund_cgpool.ko"
#define CGP_MOD		"rund_cgpool"
#define CGP_SYSFS	"/sys/kernel/rund_cgpool"

/* insmod; 0 or the errno (EEXIST when loaded already) */
static inline int cgp_load(const char *params)
{
	int fd = open(CGP_KO, O_RDONLY | O_CLOEXEC), ret;

	if (fd < 0)
		return errno;
	ret = syscall(SYS_finit_module, fd, params ? params : "", 0) ? errno : 0;
	close(fd);
	return ret;
}

/* rmmod; 0 or the errno (EWOULDBLOCK while in use, ENOENT when not loaded) */
static inline int cgp_unload(void)
{
	return syscall(SYS_delete_module, CGP_MOD, O_NONBLOCK) ? errno : 0;
}

static inline int cgp_open(void)
{
	return open(RUND_CGPOOL_DEVICE, O_RDWR | O_CLOEXEC);
}

/*
 * A child that sleeps until killed, holding no inherited file descriptor: an open
 * /dev/rund_cgpool in a sandbox task would pin the module.
 */
/* become @uid (gid @uid, no supplementary groups): 0 or -1 with errno */
static inline int cgp_become(uid_t uid)
{
	return setgroups(0, NULL) || setresgid(uid, uid, uid) || setresuid(uid, uid, uid) ? -1 : 0;
}

/* a child that sleeps until killed, as @uid ((uid_t)-1: the caller's), no fds but 0-2 */
static inline pid_t cgp_spawn_sleeper_as(uid_t uid)
{
	pid_t pid = fork();

	if (pid == 0) {
		syscall(SYS_close_range, 3, ~0U, 0);
		if (uid != (uid_t)-1 && cgp_become(uid))
			_exit(1);
		for (;;)
			pause();
	}
	return pid;
}

static inline pid_t cgp_spawn_sleeper(void)
{
	return cgp_spawn_sleeper_as((uid_t)-1);
}

/* ioctl: 0 or the errno */
static inline int cgp_ioctl(int dev, unsigned long cmd, void *arg)
{
	return ioctl(dev, cmd, arg) ? errno : 0;
}

/*
 * The hierarchy the pool goes on: cgroup2 if mounted, else the v1 hierarchy that has the
 * memory controller. *v2 tells which; *sep is set for v1 without cpu/pids co-mounted.
 */
static inline int cgp_find_root(char *root, size_t len, int *v2, int *sep)
{
	FILE *f = setmntent("/proc/self/mounts", "r");
	struct mntent *m;
	int found = 0;

	if (!f)
		return -1;
	while ((m = getmntent(f)) && !found) {
		if (!strcmp(m->mnt_type, "cgroup2")) {
			*v2 = 1;
			*sep = 0;
		} else if (!strcmp(m->mnt_type, "cgroup") && hasmntopt(m, "memory")) {
			*v2 = 0;
			*sep = !hasmntopt(m, "pids") || !hasmntopt(m, "cpu");
		} else {
			continue;
		}
		snprintf(root, len, "%s", m->mnt_dir);
		found = 1;
	}
	endmntent(f);
	return found ? 0 : -1;
}

/* Default limits of the tests' pools: a pids limit, so a reset has something to restore. */
#define CGP_DEFAULT_PIDS	512

/* SETUP with RUND_CGPOOL_SETUP_* @flags (0: the default, never-used cgroups only) */
static inline int cgp_setup_fd_flags(int dev, int dirfd, unsigned int size, unsigned int low,
				     unsigned int flags)
{
	struct rund_cgpool_setup s = {
		.size = sizeof(s),
		.flags = flags,
		.dirfd = dirfd,
		.pool_size = size,
		.low_watermark = low,
		.defaults = {
			.mask = RUND_CGPOOL_LIM_PIDS,
			.pids_max = CGP_DEFAULT_PIDS,
		},
	};

	return cgp_ioctl(dev, RUND_CGPOOL_IOC_SETUP, &s);
}

static inline int cgp_setup_fd(int dev, int dirfd, unsigned int size, unsigned int low)
{
	return cgp_setup_fd_flags(dev, dirfd, size, low, 0);
}

static inline int cgp_setup_flags(int dev, const char *pool, unsigned int size,
				  unsigned int low, unsigned int flags)
{
	int fd = open(pool, O_PATH | O_DIRECTORY | O_CLOEXEC), ret;

	if (fd < 0)
		return errno;
	ret = cgp_setup_fd_flags(dev, fd, size, low, flags);
	close(fd);
	return ret;
}

static inline int cgp_setup(int dev, const char *pool, unsigned int size, unsigned int low)
{
	return cgp_setup_flags(dev, pool, size, low, 0);
}

static inline int cgp_teardown(int dev, unsigned int flags)
{
	struct rund_cgpool_teardown t = { .size = sizeof(t), .flags = flags };

	return cgp_ioctl(dev, RUND_CGPOOL_IOC_TEARDOWN, &t);
}

/* ACQUIRE @name for @pid (0: none) with @lim (NULL: none); @a gets the answer */
static inline int cgp_acquire(int dev, const char *name, pid_t pid,
			      const struct rund_cgpool_limits *lim, struct rund_cgpool_acquire *a)
{
	memset(a, 0, sizeof(*a));
	a->size = sizeof(*a);
	a->pid = pid;
	snprintf(a->name, sizeof(a->name), "%s", name);
	if (lim)
		a->limits = *lim;
	return cgp_ioctl(dev, RUND_CGPOOL_IOC_ACQUIRE, a);
}

/* ACQUIRE @name attaching the process of @pidfd (RUND_CGPOOL_ACQUIRE_PIDFD) */
static inline int cgp_acquire_pidfd(int dev, const char *name, int pidfd,
				    const struct rund_cgpool_limits *lim,
				    struct rund_cgpool_acquire *a)
{
	memset(a, 0, sizeof(*a));
	a->size = sizeof(*a);
	a->flags = RUND_CGPOOL_ACQUIRE_PIDFD;
	a->pidfd = pidfd;
	snprintf(a->name, sizeof(a->name), "%s", name);
	if (lim)
		a->limits = *lim;
	return cgp_ioctl(dev, RUND_CGPOOL_IOC_ACQUIRE, a);
}

static inline int cgp_pidfd_open(pid_t pid)
{
	return syscall(SYS_pidfd_open, pid, 0);
}

/*
 * Fault injection (modules built with RUND_FAULT_INJECT=y, as make check builds them):
 * cgp_fault("unclaim:1,destroy:2") makes the next N calls of each op fail with EIO;
 * cgp_fault("") disarms all. 0 or the errno (ENOENT: the module has no fault knob).
 */
#define CGP_PARAM(name)	"/sys/module/" CGP_MOD "/parameters/" name

static inline int cgp_param_write(const char *param, const char *val)
{
	int fd = open(param, O_WRONLY | O_CLOEXEC), ret = 0;

	if (fd < 0)
		return errno;
	if (write(fd, val[0] ? val : "\n", val[0] ? strlen(val) : 1) < 0)
		ret = errno;
	close(fd);
	return ret;
}

static inline int cgp_fault(const char *spec)
{
	return cgp_param_write(CGP_PARAM("fault"), spec);
}

/*
 * Make ACQUIRE sleep @ms (0: off) at the point @knob names: "attach_delay_ms" between its
 * pid checks and the attach, "busy_delay_ms" after the cgroup became BUSY.
 */
static inline int cgp_delay(const char *knob, unsigned int ms)
{
	char param[96], buf[16];

	snprintf(param, sizeof(param), CGP_PARAM("%s"), knob);
	snprintf(buf, sizeof(buf), "%u", ms);
	return cgp_param_write(param, buf);
}

static inline int cgp_release(int dev, const char *name, uint64_t id)
{
	struct rund_cgpool_release r = { .size = sizeof(r), .id = id };

	snprintf(r.name, sizeof(r.name), "%s", name ? name : "");
	return cgp_ioctl(dev, RUND_CGPOOL_IOC_RELEASE, &r);
}

static inline int cgp_lookup(int dev, const char *name, uint64_t id,
			     struct rund_cgpool_lookup *l)
{
	memset(l, 0, sizeof(*l));
	l->size = sizeof(*l);
	l->id = id;
	snprintf(l->name, sizeof(l->name), "%s", name ? name : "");
	return cgp_ioctl(dev, RUND_CGPOOL_IOC_LOOKUP, l);
}

/* STATS with @flags: RUND_CGPOOL_STATS_SYNC, or 0 for the counters as they are now */
static inline int cgp_stats_flags(int dev, struct rund_cgpool_stats *st, unsigned int flags)
{
	memset(st, 0, sizeof(*st));
	st->size = sizeof(*st);
	st->flags = flags;
	return cgp_ioctl(dev, RUND_CGPOOL_IOC_STATS, st);
}

/* STATS after the background work is done */
static inline int cgp_stats(int dev, struct rund_cgpool_stats *st)
{
	return cgp_stats_flags(dev, st, RUND_CGPOOL_STATS_SYNC);
}

/* The accounting identity STATS promises at rest; 1 when it holds. */
static inline int cgp_stats_balanced(const struct rund_cgpool_stats *st)
{
	return st->idle + st->busy + st->stuck + st->recycling == st->total &&
	       st->total == st->adopted + st->prefilled + st->refills + st->fallbacks -
			    st->destroyed;
}

/*
 * The module's new kmsg records (rt_kmsg_read()): how many, and the first that contains
 * @needle (or its first record when none does) in @line.
 */
static inline int cgp_kmsg_read(int fd, const char *needle, char *line, size_t len,
				int *matched)
{
	return rt_kmsg_read(fd, CGP_MOD ": ", needle, line, len, matched);
}

/* Pool state a rejected request must not change (read after background work). */
struct cgp_state {
	struct rund_cgpool_stats st;
	int idle_dirs;		/* children with the idle prefix */
	char others[4096];	/* the other children's names, sorted, '\n'-joined */
};

static int cgp_cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static inline int cgp_state(int dev, const char *pool, struct cgp_state *s)
{
	char *names[256];
	struct dirent *e;
	int n = 0;
	DIR *d;

	memset(s, 0, sizeof(*s));
	if (dev >= 0 && cgp_stats(dev, &s->st))
		return -1;
	d = opendir(pool);
	if (!d)
		return -1;
	while ((e = readdir(d)) && n < 256) {
		if (e->d_type != DT_DIR || !strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		if (!strncmp(e->d_name, RUND_CGPOOL_IDLE_PREFIX, strlen(RUND_CGPOOL_IDLE_PREFIX)))
			s->idle_dirs++;
		else
			names[n++] = strdup(e->d_name);
	}
	closedir(d);
	qsort(names, n, sizeof(names[0]), cgp_cmp_str);
	for (int i = 0; i < n; i++) {
		strncat(s->others, names[i], sizeof(s->others) - strlen(s->others) - 2);
		strcat(s->others, "\n");
		free(names[i]);
	}
	return 0;
}

/* Number of child directories of @dir (any name), or -1. */
static inline int cgp_children(const char *dir)
{
	struct cgp_state s;
	int n;

	if (cgp_state(-1, dir, &s))
		return -1;
	n = s.idle_dirs;
	for (const char *q = s.others; *q; q++)
		n += *q == '\n';
	return n;
}

/* A pool on the hierarchy under test, for tests that need one running pool. */
struct cgp_env {
	char root[PATH_MAX];
	char pool[PATH_MAX];
	const char *rel;	/* pool dir relative to the hierarchy root */
	int v2, sep, dev;
	const char *why;	/* the step that failed */
};

/*
 * Load the module, open the device, make @root/cgpool-@tag-PID and SETUP a pool of @size
 * (low watermark @low). 1 when the layout cannot hold a pool (v1, separate hierarchies),
 * 0 when set up, -1 with errno and e->why on failure.
 */
static inline int cgp_env_up(struct cgp_env *e, const char *tag, unsigned int size,
			     unsigned int low)
{
	int err;

	e->dev = -1;
	e->why = "no cgroup hierarchy with the memory controller";
	if (cgp_find_root(e->root, sizeof(e->root), &e->v2, &e->sep))
		return -1;
	if (e->sep)
		return 1;
	e->why = "insmod";
	err = cgp_load(NULL);
	if (err && err != EEXIST)
		return errno = err, -1;
	e->why = "open " RUND_CGPOOL_DEVICE;
	e->dev = cgp_open();
	if (e->dev < 0)
		return -1;
	if (snprintf(e->pool, sizeof(e->pool), "%s/cgpool-%s-%d", e->root, tag, getpid()) >=
	    (int)sizeof(e->pool))
		return errno = ENAMETOOLONG, -1;
	e->rel = e->pool + strlen(e->root);
	e->why = "mkdir pool dir";
	if (rt_mkdir_cg(e->pool))
		return -1;
	e->why = "SETUP";
	err = cgp_setup(e->dev, e->pool, size, low);
	return err ? (errno = err, -1) : 0;
}

/* TEARDOWN, close, rmmod, and the pool dir must be empty: 0, or -1 with e->why. */
static inline int cgp_env_down(struct cgp_env *e)
{
	int err;

	e->why = "TEARDOWN";
	err = cgp_teardown(e->dev, 0);
	close(e->dev);
	e->dev = -1;
	if (err)
		return errno = err, -1;
	e->why = "rmmod";
	err = cgp_unload();
	if (err)
		return errno = err, -1;
	e->why = "cgroups left in the pool dir after rmmod";
	errno = ENOTEMPTY;
	if (cgp_children(e->pool))
		return -1;
	e->why = "rmdir pool dir";
	return rmdir(e->pool);
}

/*
 * Take "--@name=VALUE" out of argv (the kselftest harness parses what is left); the
 * value, or NULL when absent.
 */
static inline const char *cgp_opt(int *argc, char **argv, const char *name)
{
	size_t len = strlen(name);
	const char *val = NULL;
	int n = 1;

	for (int i = 1; i < *argc; i++) {
		if (!strncmp(argv[i], "--", 2) && !strncmp(argv[i] + 2, name, len) &&
		    argv[i][2 + len] == '=')
			val = argv[i] + 3 + len;
		else
			argv[n++] = argv[i];
	}
	*argc = n;
	argv[n] = NULL;
	return val;
}

/*
 * How many injected failures of fault op @op ("attach", "unclaim", ...) are still armed,
 * read back from the fault knob: 0 when none, -errno when the knob cannot be read
 * (-ENOENT: the module has no fault injection).
 */
static inline int cgp_fault_armed(const char *op)
{
	size_t len = strlen(op);
	char buf[512], *p;

	if (rt_read_file("/sys/module/" CGP_MOD "/parameters", "fault", buf, sizeof(buf)) < 0)
		return -errno;
	for (p = buf; (p = strstr(p, op)); p += len)
		if ((p == buf || p[-1] == ',' || p[-1] == ' ') && p[len] == ':')
			return atoi(p + len + 1);
	return 0;
}

/*
 * The module's new kmsg records (as cgp_kmsg_read()) that contain @needle: how many; the
 * first of them is copied to @line ("" when none).
 */
static inline int cgp_kmsg_count(int fd, const char *needle, char *line, size_t len)
{
	const char *prefix = CGP_MOD ": ";
	char rec[2048];
	int n = 0;
	ssize_t r;

	line[0] = '\0';
	while ((r = read(fd, rec, sizeof(rec) - 1)) > 0 || (r < 0 && errno == EPIPE)) {
		char *msg;

		if (r < 0)
			continue;
		rec[r] = '\0';
		msg = strchr(rec, ';');
		msg = msg ? msg + 1 : rec;
		if (strncmp(msg, prefix, strlen(prefix)) || !strstr(msg, needle))
			continue;
		if (!n++)
			snprintf(line, len, "%.*s", (int)strcspn(msg, "\n"), msg);
	}
	return n;
}

#endif /* CGPOOL_TEST_H */
