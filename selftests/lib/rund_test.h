/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Small helpers shared by rund's selftests: cgroupfs file I/O, live test tasks and
 * /proc/PID/cgroup checks. Static inline so each test stays one static binary.
 */
#ifndef RUND_TEST_H
#define RUND_TEST_H

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <mntent.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>

/* @buf = "@dir/@name"; 0, or -1 with ENAMETOOLONG when it does not fit. */
static inline int rt_path(char *buf, size_t len, const char *dir, const char *name)
{
	int n = snprintf(buf, len, "%s/%s", dir, name);

	if (n < 0 || (size_t)n >= len) {
		errno = ENAMETOOLONG;
		return -1;
	}
	return 0;
}

/* Read @dir/@file into @buf (NUL-terminated); bytes read or -1 with errno set. */
static inline ssize_t rt_read_file(const char *dir, const char *file, char *buf, size_t len)
{
	char path[PATH_MAX];
	ssize_t n;
	int fd;

	if (rt_path(path, sizeof(path), dir, file))
		return -1;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	n = read(fd, buf, len - 1);
	close(fd);
	if (n >= 0)
		buf[n] = '\0';
	return n;
}

/* Write @val to @dir/@file in one write(); 0 or -1 with errno set. */
static inline int rt_write_file(const char *dir, const char *file, const char *val)
{
	char path[PATH_MAX];
	ssize_t len = strlen(val), n;
	int fd;

	if (rt_path(path, sizeof(path), dir, file))
		return -1;
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	n = write(fd, val, len);
	close(fd);
	return n == len ? 0 : -1;
}

static inline int rt_attach(const char *dir, pid_t pid)
{
	char buf[32];

	snprintf(buf, sizeof(buf), "%d", pid);
	return rt_write_file(dir, "cgroup.procs", buf);
}

/*
 * mkdir a cgroup at @dir. A v1 cpuset child (it has cpuset.cpus but, unlike v2, no
 * cgroup.controllers) starts with empty cpus/mems and refuses tasks with ENOSPC until
 * they are set: copy the parent's, as every v1 runtime must.
 */
static inline int rt_mkdir_cg(const char *dir)
{
	static const char *const files[] = { "cpuset.cpus", "cpuset.mems" };
	char parent[PATH_MAX], buf[256], *slash;

	if (mkdir(dir, 0755))
		return -1;
	if (rt_read_file(dir, "cgroup.controllers", buf, sizeof(buf)) >= 0 ||
	    rt_read_file(dir, "cpuset.cpus", buf, sizeof(buf)) < 0)
		return 0;
	snprintf(parent, sizeof(parent), "%s", dir);
	slash = strrchr(parent, '/');
	if (!slash)
		return -1;
	*slash = '\0';
	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++)
		if (rt_read_file(parent, files[i], buf, sizeof(buf)) < 0 ||
		    rt_write_file(dir, files[i], buf))
			return -1;
	return 0;
}

/* 1 when @dir/@file has a line equal to @line, 0 when not, -1 on error. */
static inline int rt_file_has_line(const char *dir, const char *file, const char *line)
{
	char buf[65536], *tok, *save;

	if (rt_read_file(dir, file, buf, sizeof(buf)) < 0)
		return -1;
	for (tok = strtok_r(buf, "\n", &save); tok; tok = strtok_r(NULL, "\n", &save))
		if (!strcmp(tok, line))
			return 1;
	return 0;
}

/* How many lines of /proc/@pid/cgroup end with @suffix (which includes the '\n'). */
static inline int rt_proc_cgroup_count(pid_t pid, const char *suffix)
{
	char dir[64], buf[4096], *p = buf, *nl;
	size_t slen = strlen(suffix);
	int count = 0;

	snprintf(dir, sizeof(dir), "/proc/%d", pid);
	if (rt_read_file(dir, "cgroup", buf, sizeof(buf)) < 0)
		return -1;
	while ((nl = strchr(p, '\n'))) {
		size_t llen = nl - p + 1;

		if (llen >= slen && !strncmp(nl + 1 - slen, suffix, slen))
			count++;
		p = nl + 1;
	}
	return count;
}

/* A child that sleeps until killed: a live task to attach. */
static inline pid_t rt_spawn_sleeper(void)
{
	pid_t pid = fork();

	if (pid == 0) {
		for (;;)
			pause();
	}
	return pid;
}

static inline void rt_kill_wait(pid_t pid)
{
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
}

/* /dev/kmsg positioned at its end: what the kernel logs from now on */
static inline int rt_kmsg_open(void)
{
	int fd = open("/dev/kmsg", O_RDONLY | O_NONBLOCK | O_CLOEXEC);

	if (fd >= 0)
		lseek(fd, 0, SEEK_END);
	return fd;
}

/*
 * Read the new kmsg records: how many start with @prefix (a pr_fmt, e.g. "rund_cgpool: "),
 * and copy the first of those that contains @needle (or the first of them when none does)
 * into @line; *@matched says which.
 */
static inline int rt_kmsg_read(int fd, const char *prefix, const char *needle, char *line,
			       size_t len, int *matched)
{
	char rec[2048];
	int n = 0;
	ssize_t r;

	*matched = 0;
	line[0] = '\0';
	while ((r = read(fd, rec, sizeof(rec) - 1)) > 0 || (r < 0 && errno == EPIPE)) {
		char *msg;

		if (r < 0)
			continue;
		rec[r] = '\0';
		msg = strchr(rec, ';');
		msg = msg ? msg + 1 : rec;
		/*
		 * a module's first load after boot also logs "loading out-of-tree module
		 * taints kernel", and on a signing kernel "module verification failed: ...
		 * tainting kernel"
		 */
		if (strncmp(msg, prefix, strlen(prefix)) || strstr(msg, " taints ") ||
		    strstr(msg, " tainting kernel"))
			continue;
		n++;
		if (!*matched && (strstr(msg, needle) || !line[0])) {
			size_t k = strnlen(msg, len - 1);

			*matched = !!strstr(msg, needle);
			memcpy(line, msg, k);
			line[k] = '\0';
		}
	}
	return n;
}

/* The patched kernel's cgroup2 can rename (mount option allow_rename, patch 3). */
static inline int rt_v2_has_rename(void)
{
	return rt_file_has_line("/sys/kernel/cgroup", "features", "allow_rename") == 1;
}

/*
 * Remount the v2 hierarchy at @root with (@on) or without allow_rename, keeping the other
 * options of @opts (its mount options as /proc/self/mounts shows them). 0 or -1 (errno).
 */
static inline int rt_v2_set_rename(const char *root, const char *opts, int on)
{
	char buf[512] = "", copy[512], *tok, *save;

	snprintf(copy, sizeof(copy), "%s", opts);
	for (tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		if (!strcmp(tok, "allow_rename") || !strcmp(tok, "rw") ||
		    !strncmp(tok, "relatime", 8))
			continue;
		strncat(buf, tok, sizeof(buf) - strlen(buf) - 2);
		strcat(buf, ",");
	}
	if (on)
		strncat(buf, "allow_rename", sizeof(buf) - strlen(buf) - 1);
	else if (buf[0])
		buf[strlen(buf) - 1] = '\0';
	return mount(NULL, root, NULL, MS_REMOUNT, buf);
}

/* The mount options of the cgroup2 mount at @root into @opts; 0 or -1. */
static inline int rt_v2_mount_opts(const char *root, char *opts, size_t len)
{
	FILE *f = setmntent("/proc/self/mounts", "r");
	struct mntent *m;
	int ret = -1;

	if (!f)
		return -1;
	while ((m = getmntent(f)))
		if (!strcmp(m->mnt_type, "cgroup2") && !strcmp(m->mnt_dir, root)) {
			snprintf(opts, len, "%s", m->mnt_opts);
			ret = 0;
		}
	endmntent(f);
	return ret;
}

/*
 * Take "--@name=VALUE" out of argv (the kselftest harness parses what is left); the
 * value, or NULL when absent.
 */
static inline const char *rt_opt(int *argc, char **argv, const char *name)
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

#define RT_TRACEFS	"/sys/kernel/tracing"

/* Remove kprobe event @name; 0, or -1 when there was none */
static inline int rt_kprobe_del(const char *name)
{
	char def[128], ev[PATH_MAX];

	snprintf(ev, sizeof(ev), RT_TRACEFS "/events/kprobes/%s", name);
	rt_write_file(ev, "enable", "0");
	snprintf(def, sizeof(def), "-:%s", name);
	return rt_write_file(RT_TRACEFS, "kprobe_events", def);
}

/*
 * A kprobe event @name on kernel function @func, to count its calls (rt_kprobe_hits()):
 * 0 when it counts; -1 when the kernel has no kprobe events or cannot probe @func
 * (inlined, notrace). tracefs is mounted if it was not.
 */
static inline int rt_kprobe_add(const char *name, const char *func)
{
	char def[128], ev[PATH_MAX];

	if (access(RT_TRACEFS "/kprobe_events", F_OK) &&
	    mount("tracefs", RT_TRACEFS, "tracefs", 0, NULL))
		return -1;
	/* one a failed run left would make the add fail with EEXIST */
	rt_kprobe_del(name);
	snprintf(def, sizeof(def), "p:%s %s", name, func);
	snprintf(ev, sizeof(ev), RT_TRACEFS "/events/kprobes/%s", name);
	if (rt_write_file(RT_TRACEFS, "kprobe_events", def))
		return -1;
	if (!rt_write_file(ev, "enable", "1"))
		return 0;
	rt_kprobe_del(name);
	return -1;
}

/* The calls kprobe @name counted so far (kprobe_profile: name, hits, misses); -1: none */
static inline long rt_kprobe_hits(const char *name)
{
	char buf[4096], ev[64], *line, *save;
	unsigned long hits;
	long n = -1;

	if (rt_read_file(RT_TRACEFS, "kprobe_profile", buf, sizeof(buf)) < 0)
		return -1;
	for (line = strtok_r(buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save))
		if (sscanf(line, "%63s %lu", ev, &hits) == 2 && !strcmp(ev, name))
			n = (long)hits;
	return n;
}

#endif /* RUND_TEST_H */
