// SPDX-License-Identifier: GPL-2.0
/*
 * rund-cgpool: command line for the rund_cgpool module (/dev/rund_cgpool).
 *
 * The usage text below (usage[], printed by `rund-cgpool help`) is the reference.
 *
 * Every failure names the bad input or the ioctl's errno (the module also logs one dmesg
 * line saying why) and exits 1; usage errors exit 2.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <json-c/json.h>
#include <linux/rund_cgpool.h>

#include "create-lock.h"

static const char usage[] =
	"usage:\n"
	"  rund-cgpool setup DIR --size N [--low N] [--recycle] [--mkdir] [LIMITS]\n"
	"  rund-cgpool acquire NAME [--pidfd-of PID | --pid PID] [LIMITS]\n"
	"  rund-cgpool release NAME | --id ID\n"
	"  rund-cgpool lookup NAME | --id ID\n"
	"  rund-cgpool list\n"
	"  rund-cgpool gc DIR [--runtime RUNTIME [--runtime-root ROOT]]\n"
	"  rund-cgpool stats [--sync]\n"
	"  rund-cgpool teardown [--keep-busy]\n"
	"  rund-cgpool help\n"
	"LIMITS: --cpu-max QUOTA_US/PERIOD_US|max/PERIOD_US --cpus LIST --mems LIST\n"
	"        --memory-max BYTES|max --pids-max N|max\n"
	"global: --json (machine-readable output), --dry-run (print the request, no ioctl)\n"
	"\n"
	"setup --recycle: released cgroups are reset and reused (RUND_CGPOOL_SETUP_RECYCLE;\n"
	"  cgroup ids and cumulative counters carry over); default: every ACQUIRE gets a\n"
	"  never-used cgroup.\n"
	"setup --mkdir: also serve plain mkdir(2) by root under DIR from a reserve of\n"
	"  pre-created cgroups (RUND_CGPOOL_SETUP_MKDIR; patched kernel, fast backend).\n"
	"acquire --pidfd-of PID: attach process PID, named by a pidfd (pidfd_open(2)) opened\n"
	"  at once: a PID that exits before the attach fails with ESRCH, never hits another\n"
	"  process.\n"
	"list: every acquired sandbox: NAME ID PATH (PATH relative to the pool dir).\n"
	"gc DIR: release the sandboxes of the pool at DIR that no container can use: those\n"
	"  whose cgroup was removed (a runtime's delete, and its caller killed before its\n"
	"  RELEASE); with --runtime, also those with no process that the OCI runtime RUNTIME\n"
	"  (runc, crun: `state ID` exits 1; --runtime-root ROOT: its --root) does not know\n"
	"  and no rund-oci is creating (a caller killed between ACQUIRE and the runtime's\n"
	"  create). Use --runtime only on a pool that serves that runtime (and root) alone;\n"
	"  a runtime that knows none of the sandboxes while some have processes is refused.\n"
	"  Released by name and cgroup id together (RELEASE_EXACT). --dry-run: say what it\n"
	"  would release.\n"
	"acquire --pid PID: DEPRECATED and racy: the number is resolved in the kernel, so if\n"
	"  the process exits and PID is reused meanwhile, the newcomer is attached. Use\n"
	"  --pidfd-of.\n";

struct opts {
	int json, dry_run, sync, keep_busy, recycle, mkdir;
	int has_id;
	__u64 id;
	__s32 pid, pidfd_of;
	__u32 size, low;
	struct rund_cgpool_limits lim;
	const char *runtime, *runtime_root;	/* gc */
};

static void usage_error(const char *fmt, ...)
{
	va_list ap;

	fputs("rund-cgpool: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputs("\n(rund-cgpool help: usage)\n", stderr);
	exit(2);
}

/* "max" (→ RUND_CGPOOL_UNLIMITED when @max_ok) or a decimal u64, else a usage error */
static __u64 parse_u64(const char *what, const char *s, int max_ok)
{
	char *end;
	unsigned long long v;

	if (max_ok && !strcmp(s, "max"))
		return RUND_CGPOOL_UNLIMITED;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || end == s || *end || *s == '-')
		usage_error("%s: '%s' is not a number%s", what, s, max_ok ? " or 'max'" : "");
	return v;
}

/* a process id: 1 .. INT_MAX */
static __s32 parse_pid(const char *what, const char *s)
{
	__u64 v = parse_u64(what, s, 0);

	if (!v || v > INT_MAX)
		usage_error("%s: '%s' is not a process id", what, s);
	return v;
}

static void parse_cpu_max(struct rund_cgpool_limits *lim, const char *s)
{
	const char *slash = strchr(s, '/');
	char quota[32];

	if (!slash || (size_t)(slash - s) >= sizeof(quota))
		usage_error("--cpu-max: '%s' is not QUOTA_US/PERIOD_US or max/PERIOD_US", s);
	memcpy(quota, s, slash - s);
	quota[slash - s] = '\0';
	lim->cpu_quota_us = !strcmp(quota, "max") ? -1 :
			    (__s64)parse_u64("--cpu-max quota", quota, 0);
	lim->cpu_period_us = parse_u64("--cpu-max period", slash + 1, 0);
	lim->mask |= RUND_CGPOOL_LIM_CPU;
}

static void copy_str(const char *what, char *dst, size_t len, const char *src)
{
	if (strlen(src) >= len)
		usage_error("%s: '%s' is longer than %zu bytes", what, src, len - 1);
	strcpy(dst, src);
}

enum { OPT_SIZE = 256, OPT_LOW, OPT_PID, OPT_ID, OPT_CPU_MAX, OPT_CPUS, OPT_MEMS, OPT_MEM_MAX, OPT_PIDS_MAX,
	OPT_JSON, OPT_DRY, OPT_SYNC, OPT_KEEP, OPT_PIDFD_OF, OPT_RECYCLE,
	OPT_MKDIR, OPT_RUNTIME, OPT_RUNTIME_ROOT };

static const struct option longopts[] = {
	{ "size", required_argument, NULL, OPT_SIZE },
	{ "low", required_argument, NULL, OPT_LOW },
	{ "pid", required_argument, NULL, OPT_PID },
	{ "id", required_argument, NULL, OPT_ID },
	{ "cpu-max", required_argument, NULL, OPT_CPU_MAX },
	{ "cpus", required_argument, NULL, OPT_CPUS },
	{ "mems", required_argument, NULL, OPT_MEMS },
	{ "memory-max", required_argument, NULL, OPT_MEM_MAX },
	{ "pids-max", required_argument, NULL, OPT_PIDS_MAX },
	{ "json", no_argument, NULL, OPT_JSON },
	{ "dry-run", no_argument, NULL, OPT_DRY },
	{ "sync", no_argument, NULL, OPT_SYNC },
	{ "keep-busy", no_argument, NULL, OPT_KEEP },
	{ "pidfd-of", required_argument, NULL, OPT_PIDFD_OF },
	{ "recycle", no_argument, NULL, OPT_RECYCLE },
	{ "mkdir", no_argument, NULL, OPT_MKDIR },
	{ "runtime", required_argument, NULL, OPT_RUNTIME },
	{ "runtime-root", required_argument, NULL, OPT_RUNTIME_ROOT },
	{ NULL, 0, NULL, 0 },
};

static void parse_opt(struct opts *o, int c, const char *arg)
{
	switch (c) {
	case OPT_SIZE: o->size = parse_u64("--size", arg, 0); break;
	case OPT_LOW: o->low = parse_u64("--low", arg, 0); break;
	case OPT_PID: o->pid = parse_pid("--pid", arg); break;
	case OPT_PIDFD_OF: o->pidfd_of = parse_pid("--pidfd-of", arg); break;
	case OPT_RECYCLE: o->recycle = 1; break;
	case OPT_MKDIR: o->mkdir = 1; break;
	case OPT_ID: o->id = parse_u64("--id", arg, 0); o->has_id = 1; break;
	case OPT_CPU_MAX: parse_cpu_max(&o->lim, arg); break;
	case OPT_CPUS:
		copy_str("--cpus", o->lim.cpuset_cpus, sizeof(o->lim.cpuset_cpus), arg);
		o->lim.mask |= RUND_CGPOOL_LIM_CPUSET_CPUS;
		break;
	case OPT_MEMS:
		copy_str("--mems", o->lim.cpuset_mems, sizeof(o->lim.cpuset_mems), arg);
		o->lim.mask |= RUND_CGPOOL_LIM_CPUSET_MEMS;
		break;
	case OPT_MEM_MAX:
		o->lim.memory_max = parse_u64("--memory-max", arg, 1);
		o->lim.mask |= RUND_CGPOOL_LIM_MEMORY;
		break;
	case OPT_PIDS_MAX:
		o->lim.pids_max = parse_u64("--pids-max", arg, 1);
		o->lim.mask |= RUND_CGPOOL_LIM_PIDS;
		break;
	case OPT_JSON: o->json = 1; break;
	case OPT_DRY: o->dry_run = 1; break;
	case OPT_SYNC: o->sync = 1; break;
	case OPT_KEEP: o->keep_busy = 1; break;
	case OPT_RUNTIME: o->runtime = arg; break;
	case OPT_RUNTIME_ROOT: o->runtime_root = arg; break;
	default: usage_error("unknown option");
	}
}

/* --- output ----------------------------------------------------------------------------- */

static void add_u64(json_object *j, const char *k, __u64 v)
{
	json_object_object_add(j, k, json_object_new_uint64(v));
}

static json_object *limits_json(const struct rund_cgpool_limits *l)
{
	json_object *j = json_object_new_object();

	add_u64(j, "mask", l->mask);
	if (l->mask & RUND_CGPOOL_LIM_CPU) {
		json_object_object_add(j, "cpu_quota_us", json_object_new_int64(l->cpu_quota_us));
		add_u64(j, "cpu_period_us", l->cpu_period_us);
	}
	if (l->mask & RUND_CGPOOL_LIM_CPUSET_CPUS)
		json_object_object_add(j, "cpus", json_object_new_string(l->cpuset_cpus));
	if (l->mask & RUND_CGPOOL_LIM_CPUSET_MEMS)
		json_object_object_add(j, "mems", json_object_new_string(l->cpuset_mems));
	if (l->mask & RUND_CGPOOL_LIM_MEMORY)
		add_u64(j, "memory_max", l->memory_max);
	if (l->mask & RUND_CGPOOL_LIM_PIDS)
		add_u64(j, "pids_max", l->pids_max);
	return j;
}

/* Print @j as JSON, or as "key value" lines; consumes @j. */
static void emit(const struct opts *o, json_object *j)
{
	if (o->json) {
		puts(json_object_to_json_string_ext(j, JSON_C_TO_STRING_PLAIN));
	} else {
		json_object_object_foreach(j, k, v)
			printf("%s %s\n", k, json_object_get_string(v));
	}
	json_object_put(j);
}

static json_object *stats_json(const struct rund_cgpool_stats *s)
{
	static const struct { const char *k; size_t off; } f[] = {
#define F(x) { #x, offsetof(struct rund_cgpool_stats, x) }
		F(pool_size), F(low_watermark), F(total), F(idle), F(busy), F(recycling),
		F(stuck), F(acquired), F(released), F(fallbacks), F(refills), F(recycled),
		F(replaced), F(destroyed), F(adopted), F(prefilled), F(mkdir_reserve), F(mkdir_served),
#undef F
	};
	json_object *j = json_object_new_object();

	add_u64(j, "abi_version", s->abi_version);
	json_object_object_add(j, "backend", json_object_new_string(s->backend));
	json_object_object_add(j, "setup",
			       json_object_new_boolean(s->pool_flags & RUND_CGPOOL_POOL_SETUP));
	json_object_object_add(j, "v2", json_object_new_boolean(s->pool_flags & RUND_CGPOOL_POOL_V2));
	json_object_object_add(j, "rename",
			       json_object_new_boolean(s->pool_flags & RUND_CGPOOL_POOL_RENAME));
	json_object_object_add(j, "recycle",
			       json_object_new_boolean(s->pool_flags & RUND_CGPOOL_POOL_RECYCLE));
	json_object_object_add(j, "mkdir",
			       json_object_new_boolean(s->pool_flags & RUND_CGPOOL_POOL_MKDIR));
	for (size_t i = 0; i < sizeof(f) / sizeof(f[0]); i++)
		add_u64(j, f[i].k, *(const __u64 *)((const char *)s + f[i].off));
	return j;
}

/* --- commands --------------------------------------------------------------------------- */

static int dev_ioctl(const struct opts *o, const char *cmd, unsigned long req, void *arg,
		     json_object *req_json)
{
	int fd, ret;

	if (o->dry_run) {
		json_object_object_add(req_json, "dry_run", json_object_new_string(cmd));
		emit(o, req_json);
		return 1;
	}
	json_object_put(req_json);
	fd = open(RUND_CGPOOL_DEVICE, O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		fprintf(stderr, "rund-cgpool: %s: cannot open %s: %s (is rund_cgpool loaded?)\n",
			cmd, RUND_CGPOOL_DEVICE, strerror(errno));
		return -1;
	}
	ret = ioctl(fd, req, arg);
	if (ret)
		fprintf(stderr, "rund-cgpool: %s: %s (dmesg has the module's reason)\n", cmd,
			strerror(errno));
	close(fd);
	return ret ? -1 : 0;
}

static void name_arg(char *dst, const char *what, const char *name)
{
	copy_str(what, dst, RUND_CGPOOL_NAME_LEN, name);
}

static int cmd_setup(struct opts *o, char **argv, int argc)
{
	struct rund_cgpool_setup s = { .size = sizeof(s) };
	json_object *j = json_object_new_object();
	int ret;

	if (argc != 1)
		usage_error("setup: want exactly one pool directory");
	if (!o->size)
		usage_error("setup: --size N (idle cgroups to keep) is required");
	s.flags = (o->recycle ? RUND_CGPOOL_SETUP_RECYCLE : 0) |
		  (o->mkdir ? RUND_CGPOOL_SETUP_MKDIR : 0);
	s.pool_size = o->size;
	s.low_watermark = o->low;
	s.defaults = o->lim;
	json_object_object_add(j, "dir", json_object_new_string(argv[0]));
	add_u64(j, "flags", s.flags);
	json_object_object_add(j, "recycle", json_object_new_boolean(o->recycle));
	json_object_object_add(j, "mkdir", json_object_new_boolean(o->mkdir));
	add_u64(j, "pool_size", s.pool_size);
	add_u64(j, "low_watermark", s.low_watermark);
	json_object_object_add(j, "defaults", limits_json(&s.defaults));
	s.dirfd = o->dry_run ? -1 : open(argv[0], O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (!o->dry_run && s.dirfd < 0) {
		fprintf(stderr, "rund-cgpool: setup: %s: %s\n", argv[0], strerror(errno));
		json_object_put(j);
		return 1;
	}
	ret = dev_ioctl(o, "setup", RUND_CGPOOL_IOC_SETUP, &s, j);
	if (s.dirfd >= 0)
		close(s.dirfd);
	return ret < 0;
}

static int cmd_acquire(struct opts *o, char **argv, int argc)
{
	struct rund_cgpool_acquire a = { .size = sizeof(a), .pidfd = -1 };
	json_object *j, *out;
	int ret;

	if (argc != 1)
		usage_error("acquire: want exactly one sandbox name");
	if (o->pid && o->pidfd_of)
		usage_error("acquire: --pid and --pidfd-of exclude each other (use --pidfd-of)");
	name_arg(a.name, "acquire", argv[0]);
	a.pid = o->pid;
	a.limits = o->lim;
	j = json_object_new_object();
	json_object_object_add(j, "name", json_object_new_string(a.name));
	if (o->pidfd_of) {
		a.flags = RUND_CGPOOL_ACQUIRE_PIDFD;
		a.pid = 0;
		add_u64(j, "flags", a.flags);
		json_object_object_add(j, "pidfd_of", json_object_new_int(o->pidfd_of));
		/* a dry run sends nothing: no pidfd either */
		if (!o->dry_run) {
			a.pidfd = syscall(SYS_pidfd_open, o->pidfd_of, 0);
			if (a.pidfd < 0) {
				fprintf(stderr, "rund-cgpool: acquire: pidfd_open(%d): %s\n",
					o->pidfd_of, strerror(errno));
				json_object_put(j);
				return 1;
			}
		}
	} else {
		json_object_object_add(j, "pid", json_object_new_int(a.pid));
	}
	json_object_object_add(j, "limits", limits_json(&a.limits));
	ret = dev_ioctl(o, "acquire", RUND_CGPOOL_IOC_ACQUIRE, &a, j);
	if (a.pidfd >= 0)
		close(a.pidfd);
	if (ret)
		return o->dry_run ? 0 : 1;
	out = json_object_new_object();
	json_object_object_add(out, "name", json_object_new_string(a.name));
	add_u64(out, "id", a.id);
	json_object_object_add(out, "path", json_object_new_string(a.path));
	json_object_object_add(out, "fallback",
			       json_object_new_boolean(a.out_flags & RUND_CGPOOL_OUT_FALLBACK));
	emit(o, out);
	return 0;
}

/* release and lookup take NAME or --id ID, exactly one */
static void name_or_id(const struct opts *o, const char *cmd, char **argv, int argc,
		       char *name, __u64 *id, json_object *j)
{
	if (argc + o->has_id != 1)
		usage_error("%s: want a sandbox name or --id ID (exactly one)", cmd);
	if (argc) {
		name_arg(name, cmd, argv[0]);
		json_object_object_add(j, "name", json_object_new_string(name));
	} else {
		*id = o->id;
		add_u64(j, "id", *id);
	}
}

static int cmd_release(struct opts *o, char **argv, int argc)
{
	struct rund_cgpool_release r = { .size = sizeof(r) };
	json_object *j = json_object_new_object();

	name_or_id(o, "release", argv, argc, r.name, &r.id, j);
	return dev_ioctl(o, "release", RUND_CGPOOL_IOC_RELEASE, &r, j) < 0;
}

static int cmd_lookup(struct opts *o, char **argv, int argc)
{
	struct rund_cgpool_lookup l = { .size = sizeof(l) };
	json_object *j = json_object_new_object(), *out;

	name_or_id(o, "lookup", argv, argc, l.name, &l.id, j);
	if (dev_ioctl(o, "lookup", RUND_CGPOOL_IOC_LOOKUP, &l, j))
		return o->dry_run ? 0 : 1;
	out = json_object_new_object();
	json_object_object_add(out, "name", json_object_new_string(l.name));
	add_u64(out, "id", l.id);
	json_object_object_add(out, "path", json_object_new_string(l.path));
	emit(o, out);
	return 0;
}

static int cmd_stats(struct opts *o, char **argv, int argc)
{
	struct rund_cgpool_stats s = { .size = sizeof(s) };
	json_object *j = json_object_new_object();

	(void)argv;
	if (argc)
		usage_error("stats: takes no arguments");
	s.flags = o->sync ? RUND_CGPOOL_STATS_SYNC : 0;
	add_u64(j, "flags", s.flags);
	if (dev_ioctl(o, "stats", RUND_CGPOOL_IOC_STATS, &s, j))
		return o->dry_run ? 0 : 1;
	emit(o, stats_json(&s));
	return 0;
}

static int cmd_teardown(struct opts *o, char **argv, int argc)
{
	struct rund_cgpool_teardown t = { .size = sizeof(t) };
	json_object *j = json_object_new_object();

	(void)argv;
	if (argc)
		usage_error("teardown: takes no arguments");
	t.flags = o->keep_busy ? RUND_CGPOOL_TEARDOWN_KEEP_BUSY : 0;
	add_u64(j, "flags", t.flags);
	return dev_ioctl(o, "teardown", RUND_CGPOOL_IOC_TEARDOWN, &t, j) < 0;
}

/* --- list and gc ------------------------------------------------------------------------ */

/*
 * LOOKUP_NEXT after @l->id on @fd: 1 and the next sandbox in @l, 0 past the last, -1
 * (said on stderr) on an error.
 */
static int next_sandbox(int fd, struct rund_cgpool_lookup *l)
{
	__u64 after = l->id;

	memset(l, 0, sizeof(*l));
	l->size = sizeof(*l);
	l->flags = RUND_CGPOOL_LOOKUP_NEXT;
	l->id = after;
	if (!ioctl(fd, RUND_CGPOOL_IOC_LOOKUP, l))
		return 1;
	if (errno == ENOENT)
		return 0;
	fprintf(stderr, "rund-cgpool: listing sandboxes: %s%s\n", strerror(errno),
		errno == EINVAL ? " (a module without LOOKUP_NEXT?)" : "");
	return -1;
}

static int open_dev(const char *cmd)
{
	int fd = open(RUND_CGPOOL_DEVICE, O_RDWR | O_CLOEXEC);

	if (fd < 0)
		fprintf(stderr, "rund-cgpool: %s: cannot open %s: %s (is rund_cgpool loaded?)\n",
			cmd, RUND_CGPOOL_DEVICE, strerror(errno));
	return fd;
}

static json_object *sandbox_json(const struct rund_cgpool_lookup *l)
{
	json_object *j = json_object_new_object();

	json_object_object_add(j, "name", json_object_new_string(l->name));
	add_u64(j, "id", l->id);
	json_object_object_add(j, "path", json_object_new_string(l->path));
	return j;
}

static int cmd_list(struct opts *o, char **argv, int argc)
{
	struct rund_cgpool_lookup l = { .id = 0 };
	json_object *arr;
	int fd, ret;

	(void)argv;
	if (argc)
		usage_error("list: takes no arguments");
	if (o->dry_run)
		return dev_ioctl(o, "list", 0, NULL, json_object_new_object()) < 0;
	fd = open_dev("list");
	if (fd < 0)
		return 1;
	arr = json_object_new_array();
	while ((ret = next_sandbox(fd, &l)) > 0) {
		if (o->json)
			json_object_array_add(arr, sandbox_json(&l));
		else
			printf("%s %llu %s\n", l.name, (unsigned long long)l.id, l.path);
	}
	if (o->json && !ret)
		puts(json_object_to_json_string_ext(arr, JSON_C_TO_STRING_PLAIN));
	json_object_put(arr);
	close(fd);
	return ret < 0;
}

/* Run @argv with no output; its exit status, 127 when it could not run. */
static int run_quiet(char *const argv[])
{
	pid_t pid = fork();
	int st;

	if (pid < 0)
		return 127;
	if (!pid) {
		int null = open("/dev/null", O_RDWR);

		if (null >= 0) {
			dup2(null, STDOUT_FILENO);
			dup2(null, STDERR_FILENO);
		}
		execvp(argv[0], argv);
		_exit(127);
	}
	while (waitpid(pid, &st, 0) < 0)
		if (errno != EINTR)
			return 127;
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

/* `RUNTIME [--root ROOT] CMD [ID]`: its exit status */
static int runtime_says(const struct opts *o, const char *cmd, const char *id)
{
	char *argv[6];
	int n = 0;

	argv[n++] = (char *)o->runtime;
	if (o->runtime_root) {
		argv[n++] = "--root";
		argv[n++] = (char *)o->runtime_root;
	}
	argv[n++] = (char *)cmd;
	if (id)
		argv[n++] = (char *)id;
	argv[n] = NULL;
	return run_quiet(argv);
}

/* Whether the cgroup at @dirfd/@path has a process: v2 cgroup.events, v1 cgroup.procs. */
static bool has_procs(int dirfd, const char *path)
{
	char file[RUND_CGPOOL_NAME_LEN + 32], line[64];
	bool busy = false;
	FILE *f;
	int fd;

	snprintf(file, sizeof(file), "%s/cgroup.events", path);
	fd = openat(dirfd, file, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		snprintf(file, sizeof(file), "%s/cgroup.procs", path);
		fd = openat(dirfd, file, O_RDONLY | O_CLOEXEC);
	}
	f = fd >= 0 ? fdopen(fd, "r") : NULL;
	if (!f) {
		if (fd >= 0)
			close(fd);
		return true;	/* cannot tell: leave it to RELEASE's own check */
	}
	/* v2: "populated 0|1" and "frozen 0|1"; v1: a pid per line */
	while (!busy && fgets(line, sizeof(line), f)) {
		if (!strncmp(line, "populated ", 10))
			busy = line[10] != '0';
		else if (strncmp(line, "frozen ", 7))
			busy = true;
	}
	fclose(f);
	return busy;
}

enum gc_verdict { GC_KEEP, GC_RELEASE };

/*
 * What gc does with sandbox @l of the pool at @dirfd, and why (@why). In this order: a
 * cgroup that is gone is released whoever acquired it; one a rund-oci create holds the
 * lock of, or with a process, or that the runtime knows, is kept.
 */
static enum gc_verdict gc_judge(const struct opts *o, int dirfd,
				const struct rund_cgpool_lookup *l, const char **why)
{
	struct stat st;
	int locked;

	if (fstatat(dirfd, l->path, &st, AT_SYMLINK_NOFOLLOW)) {
		if (errno != ENOENT) {
			*why = "cannot stat its cgroup";
			return GC_KEEP;
		}
		*why = "its cgroup was removed";
		return GC_RELEASE;
	}
	if (st.st_ino != l->id) {
		*why = "its cgroup was removed";
		return GC_RELEASE;
	}
	if (!o->runtime) {
		*why = "its cgroup is there (no --runtime to ask)";
		return GC_KEEP;
	}
	locked = create_locked(dirfd, l->name);
	if (locked) {
		*why = locked > 0 ? "a rund-oci create is under way" :
				    "cannot read its create lock";
		return GC_KEEP;
	}
	if (has_procs(dirfd, l->path)) {
		*why = "it has processes";
		return GC_KEEP;
	}
	/* runc and crun exit 1 for a container they do not have; anything else: cannot tell */
	switch (runtime_says(o, "state", l->name)) {
	case 0:
		*why = "the runtime knows it";
		return GC_KEEP;
	case 1:
		*why = "no process, and the runtime does not know it";
		return GC_RELEASE;
	default:
		*why = "the runtime's state failed: cannot tell";
		return GC_KEEP;
	}
}

/*
 * RELEASE sandbox @l only while its name still holds its cgroup (RELEASE_EXACT: the
 * listing is a snapshot, and a recycled cgroup keeps its id); 0 or errno.
 */
static int gc_release(int fd, const struct rund_cgpool_lookup *l)
{
	struct rund_cgpool_release r = {
		.size = sizeof(r), .flags = RUND_CGPOOL_RELEASE_EXACT, .id = l->id,
	};

	strcpy(r.name, l->name);
	if (!ioctl(fd, RUND_CGPOOL_IOC_RELEASE, &r))
		return 0;
	return errno;
}

/*
 * A runtime that knows none of the sandboxes while some have processes is asked in the
 * wrong place (--runtime-root: containerd's runc root is /run/containerd/runc/NAMESPACE):
 * every stopped container would look like a leftover. @sb: the listing.
 */
static bool runtime_blind(const struct opts *o, int dirfd, const struct rund_cgpool_lookup *sb,
			  int n)
{
	bool procs = false;
	struct stat st;

	for (int i = 0; i < n; i++) {
		if (!runtime_says(o, "state", sb[i].name))
			return false;
		procs |= !fstatat(dirfd, sb[i].path, &st, AT_SYMLINK_NOFOLLOW) &&
			 st.st_ino == sb[i].id && has_procs(dirfd, sb[i].path);
	}
	return procs;
}

/* Every acquired sandbox (LOOKUP_NEXT) into *@out; how many, or -1 (said on stderr). */
static int list_all(int fd, struct rund_cgpool_lookup **out)
{
	struct rund_cgpool_lookup l = { .id = 0 }, *v = NULL, *nv;
	int n = 0, cap = 0, ret;

	while ((ret = next_sandbox(fd, &l)) > 0) {
		if (n == cap) {
			cap = cap ? 2 * cap : 64;
			nv = realloc(v, cap * sizeof(*v));
			if (!nv) {
				fprintf(stderr, "rund-cgpool: listing sandboxes: out of memory\n");
				free(v);
				return -1;
			}
			v = nv;
		}
		v[n++] = l;
	}
	if (ret < 0) {
		free(v);
		return -1;
	}
	*out = v;
	return n;
}

/*
 * Whether @dir (open as @dirfd) is the pool's directory: one of @sb's cgroups is there
 * (same inode), or a child carries the pool's mark. In any other directory every sandbox
 * would look removed, and gc would release them all.
 */
static bool is_pool_dir(const char *dir, int dirfd, const struct rund_cgpool_lookup *sb,
			int n)
{
	char path[PATH_MAX + RUND_CGPOOL_NAME_LEN + 1];
	bool found = false;
	struct dirent *e;
	struct stat st;
	DIR *d;
	int i, fd;

	for (i = 0; i < n; i++)
		if (!fstatat(dirfd, sb[i].path, &st, AT_SYMLINK_NOFOLLOW) && st.st_ino == sb[i].id)
			return true;
	fd = dup(dirfd);
	d = fd >= 0 ? fdopendir(fd) : NULL;
	if (!d) {
		if (fd >= 0)
			close(fd);
		return false;
	}
	while (!found && (e = readdir(d))) {
		if (e->d_type != DT_DIR || !strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		found = lgetxattr(path, RUND_CGPOOL_MARK_XATTR, NULL, 0) >= 0;
	}
	closedir(d);
	return found;
}

static int cmd_gc(struct opts *o, char **argv, int argc)
{
	struct rund_cgpool_lookup *sb = NULL;
	json_object *arr;
	int fd, dirfd, n, failed = 0, rc;

	if (argc != 1)
		usage_error("gc: want exactly one pool directory");
	if (o->runtime_root && !o->runtime)
		usage_error("gc: --runtime-root without --runtime");
	dirfd = open(argv[0], O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dirfd < 0) {
		fprintf(stderr, "rund-cgpool: gc: %s: %s\n", argv[0], strerror(errno));
		return 1;
	}
	/* a runtime that cannot list its containers would make every sandbox look unknown */
	if (o->runtime && (rc = runtime_says(o, "list", NULL))) {
		fprintf(stderr, "rund-cgpool: gc: --runtime %s: `list` exited %d: cannot tell "
			"its containers, nothing released\n", o->runtime, rc);
		return 1;
	}
	fd = open_dev("gc");
	if (fd < 0)
		return 1;
	n = list_all(fd, &sb);
	if (n < 0)
		return 1;
	if (n && !is_pool_dir(argv[0], dirfd, sb, n)) {
		fprintf(stderr, "rund-cgpool: gc: %s holds none of the pool's cgroups: not the pool "
			"dir? nothing released\n", argv[0]);
		free(sb);
		return 1;
	}
	if (o->runtime && runtime_blind(o, dirfd, sb, n)) {
		fprintf(stderr, "rund-cgpool: gc: --runtime %s knows none of the %d sandboxes though "
			"some have processes: wrong --runtime-root? nothing released\n", o->runtime, n);
		free(sb);
		return 1;
	}
	arr = json_object_new_array();
	for (int i = 0; i < n; i++) {
		const struct rund_cgpool_lookup l = sb[i];
		const char *why, *what = "kept";
		json_object *j;
		int err;

		if (gc_judge(o, dirfd, &l, &why) == GC_RELEASE) {
			what = o->dry_run ? "would release" : "released";
			err = o->dry_run ? 0 : gc_release(fd, &l);
			/* released meanwhile, or its cgroup another sandbox's now: leave it */
			if (err == ENOENT) {
				what = "kept";
				why = "released or acquired again meanwhile";
			} else if (err == ENOTEMPTY) {
				what = "kept";
				why = "a process entered it meanwhile";
			} else if (err) {
				what = "failed to release";
				why = strerror(err);
				failed = 1;
			}
		}
		if (!o->json) {
			printf("%s %s: %s\n", what, l.name, why);
			continue;
		}
		j = sandbox_json(&l);
		json_object_object_add(j, "action", json_object_new_string(what));
		json_object_object_add(j, "reason", json_object_new_string(why));
		json_object_array_add(arr, j);
	}
	if (o->json)
		puts(json_object_to_json_string_ext(arr, JSON_C_TO_STRING_PLAIN));
	json_object_put(arr);
	free(sb);
	close(fd);
	close(dirfd);
	return failed;
}

static const struct {
	const char *name;
	int (*fn)(struct opts *o, char **argv, int argc);
} cmds[] = {
	{ "setup", cmd_setup }, { "acquire", cmd_acquire }, { "release", cmd_release },
	{ "lookup", cmd_lookup }, { "list", cmd_list }, { "gc", cmd_gc },
	{ "stats", cmd_stats }, { "teardown", cmd_teardown },
};

int main(int argc, char **argv)
{
	struct opts o = { 0 };
	int c;

	if (argc < 2) {
		fputs(usage, stderr);
		usage_error("want a command: setup, acquire, release, lookup, list, gc, stats, "
			    "teardown");
	}
	if (!strcmp(argv[1], "help") || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
		fputs(usage, stdout);
		return 0;
	}
	while ((c = getopt_long(argc - 1, argv + 1, "", longopts, NULL)) != -1)
		parse_opt(&o, c, optarg);
	for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
		if (!strcmp(argv[1], cmds[i].name))
			return cmds[i].fn(&o, argv + 1 + optind, argc - 1 - optind);
	usage_error("unknown command '%s'", argv[1]);
	return 2;
}
