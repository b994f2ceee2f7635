// SPDX-License-Identifier: GPL-2.0
/*
 * rund-oci: an OCI runtime wrapper that starts containers in pooled cgroups.
 *
 * containerd (the runc shim's BinaryName), podman or any caller of an OCI runtime's
 * command line runs rund-oci in place of runc or crun. For `create` it ACQUIREs a cgroup
 * from rund_cgpool under the container's id, points the bundle's linux.cgroupsPath at it
 * and runs the real runtime, which finds the cgroup made and only configures it and moves
 * the container's init into it (runtime-spec: an existing cgroup is used as it is). For
 * `delete` it runs the runtime's delete, then RELEASEs the id. Every other command goes
 * to the runtime untouched. On a kernel with the host series, a plain mkdir(2) under a
 * pool dir set up with --mkdir is already served from the pool: there the wrapper is not
 * needed.
 *
 * Environment (the caller's command line is the runtime's: rund-oci adds no option):
 *   RUND_OCI_RUNTIME   the real runtime (default "runc", looked up in PATH)
 *   RUND_OCI_POOL      the pool dir, as set up by `rund-cgpool setup` (e.g.
 *                      /sys/fs/cgroup/sandboxes); unset: every command passes through
 *   RUND_OCI_DRY_RUN=1 print the ACQUIRE/RELEASE it would send instead of sending it
 *                      (tests; the pooled path is then the container id)
 *
 * Failures name what failed (config.json, the ioctl's errno) on stderr and exit 1 before
 * the runtime ran; once it ran, its exit status is rund-oci's, except that a RELEASE that
 * fails after a successful delete exits 1. SIGINT, SIGTERM and SIGHUP go on to the runtime.
 *
 * The container's cgroupsPath is replaced by the pooled cgroup's: a container that an
 * orchestrator nests in a pod cgroup (kubelet) leaves the pod's limits behind. It is meant
 * for containers started on their own (ctr, nerdctl, podman, a shim's BinaryName). runc
 * and crun remove the cgroup at delete themselves, so the pool's recycle policy does not
 * recycle through rund-oci.
 *
 * Killed between its ACQUIRE and the runtime's create, or between the runtime's delete and
 * its RELEASE, rund-oci leaves a sandbox acquired that no container uses: `rund-cgpool gc`
 * finds and releases those. From before its ACQUIRE until the runtime's create returned it
 * holds the container's create lock (create-lock.h), which tells gc that a create is
 * still under way.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <json-c/json.h>
#include <linux/rund_cgpool.h>

#include "create-lock.h"

/* runc's and crun's global options that take a value ("--opt value" or "--opt=value") */
static const char *const global_valued[] = {
	"--log", "--log-format", "--log-level", "--root", "--criu", "--rootless",
	"--cgroup-manager",
};

/* create's options that take a value */
static const char *const create_valued[] = {
	"--bundle", "-b", "--console-socket", "--pid-file", "--preserve-fds", "--pidfd-socket",
};

/* global options that mean the systemd cgroup driver (runc; crun) */
static const char *const systemd_flags[] = {
	"--systemd-cgroup", "--systemd-cgroup=true", "--cgroup-manager=systemd",
};

struct call {
	int argc;
	char **argv;		/* the runtime's command line, argv[0] replaced */
	int cmd;		/* index of the command word, or argc */
	const char *id;		/* the container id: the command's last argument */
	const char *bundle;	/* create: --bundle, default "." */
};

static void __attribute__((format(printf, 1, 2), noreturn)) die(const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	/* json-c's messages end in a newline of their own */
	fprintf(stderr, "rund-oci: %.*s\n", (int)strcspn(msg, "\n"), msg);
	exit(1);
}

static bool in(const char *arg, const char *const *set, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!strcmp(arg, set[i]))
			return true;
	return false;
}

#define IN(arg, set)	in(arg, set, sizeof(set) / sizeof(set[0]))

/* Find the command word, the id and (create) the bundle in @c->argv. */
static void parse(struct call *c)
{
	int i;

	for (i = 1; i < c->argc && c->argv[i][0] == '-'; i++)
		if (IN(c->argv[i], global_valued) && i + 1 < c->argc)
			i++;
	c->cmd = i < c->argc ? i : c->argc;
	c->bundle = ".";
	if (c->cmd >= c->argc)
		return;
	for (i = c->cmd + 1; i < c->argc; i++) {
		if (!strcmp(c->argv[i], "--bundle") || !strcmp(c->argv[i], "-b")) {
			if (i + 1 < c->argc)
				c->bundle = c->argv[i + 1];
		} else if (!strncmp(c->argv[i], "--bundle=", 9)) {
			c->bundle = c->argv[i] + 9;
		}
		if (IN(c->argv[i], create_valued))
			i++;
		else if (c->argv[i][0] != '-')
			c->id = c->argv[i];
	}
}

static bool is(const struct call *c, const char *cmd)
{
	return c->cmd < c->argc && !strcmp(c->argv[c->cmd], cmd);
}

static volatile pid_t runtime_pid;

/* a signal meant for the runtime: rund-oci waits for it to act on it */
static void forward(int sig)
{
	if (runtime_pid > 0)
		kill(runtime_pid, sig);
}

/*
 * Run the runtime with @c's command line; its exit status (128 + signal when killed).
 * @keep_fd (>= 0) is inherited by the runtime: the create lock stays held while the
 * runtime's create runs, even if rund-oci is killed first. rund-oci's parent-death signal
 * (a containerd shim sets SIGKILL) is the runtime's too, as if the caller had run it.
 */
static int run_runtime(const struct call *c, int keep_fd)
{
	static const int sigs[] = { SIGINT, SIGTERM, SIGHUP };
	struct sigaction sa = { .sa_handler = forward };
	pid_t pid, parent = getpid();
	int st, pdeath = 0;

	sigemptyset(&sa.sa_mask);
	for (size_t i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
		sigaction(sigs[i], &sa, NULL);
	prctl(PR_GET_PDEATHSIG, &pdeath);
	pid = fork();
	if (pid < 0)
		die("fork: %s", strerror(errno));
	if (!pid) {
		if (pdeath && (prctl(PR_SET_PDEATHSIG, pdeath) || getppid() != parent))
			_exit(128 + pdeath);	/* rund-oci died before the prctl */
		if (keep_fd >= 0)
			fcntl(keep_fd, F_SETFD, 0);
		execvp(c->argv[0], c->argv);
		fprintf(stderr, "rund-oci: %s: %s\n", c->argv[0], strerror(errno));
		_exit(127);
	}
	runtime_pid = pid;
	while (waitpid(pid, &st, 0) < 0)
		if (errno != EINTR)
			die("waitpid: %s", strerror(errno));
	runtime_pid = 0;
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

static bool dry_run(void)
{
	const char *v = getenv("RUND_OCI_DRY_RUN");

	return v && !strcmp(v, "1");
}

/* One ioctl to /dev/rund_cgpool; -errno on failure. */
static int pool_ioctl(unsigned long req, void *arg)
{
	int fd = open(RUND_CGPOOL_DEVICE, O_RDWR | O_CLOEXEC), ret;

	if (fd < 0)
		return -errno;
	ret = ioctl(fd, req, arg) ? -errno : 0;
	close(fd);
	return ret;
}

/*
 * @pool's path inside its cgroup hierarchy (what linux.cgroupsPath is relative to): the
 * cgroup or cgroup2 mount of /proc/self/mountinfo that holds it, longest mount point first.
 */
static void pool_in_hierarchy(const char *pool, char *out, size_t len)
{
	char line[4096], root[PATH_MAX], mnt[PATH_MAX], fs[64], best[PATH_MAX] = "";
	size_t best_len = 0, l;
	FILE *f = fopen("/proc/self/mountinfo", "re");

	if (!f)
		die("/proc/self/mountinfo: %s", strerror(errno));
	while (fgets(line, sizeof(line), f)) {
		char *dash = strstr(line, " - ");

		if (!dash || sscanf(line, "%*s %*s %*s %4095s %4095s", root, mnt) != 2 ||
		    sscanf(dash + 3, "%63s", fs) != 1 || strncmp(fs, "cgroup", 6))
			continue;
		l = strlen(mnt);
		if (l > best_len && !strncmp(pool, mnt, l) && (pool[l] == '/' || !pool[l])) {
			best_len = l;
			snprintf(best, sizeof(best), "%s", strcmp(root, "/") ? root : "");
		}
	}
	fclose(f);
	if (!best_len)
		die("RUND_OCI_POOL %s: not in a cgroup filesystem", pool);
	if (snprintf(out, len, "%s%s", best, pool + best_len) >= (int)len)
		die("RUND_OCI_POOL %s: path too long", pool);
}

/*
 * ACQUIRE @id (no process: the runtime attaches the container); the path it got, relative
 * to the pool dir, in @path; the cgroup's id (its inode number), 0 in a dry run.
 */
static __u64 acquire(const char *id, char *path, size_t len)
{
	struct rund_cgpool_acquire a = { .size = sizeof(a) };
	int err;

	if (strlen(id) >= sizeof(a.name))
		die("container id '%s' is longer than a pool name (%zu)", id, sizeof(a.name) - 1);
	strcpy(a.name, id);
	if (dry_run()) {
		fprintf(stderr, "rund-oci: dry run: ACQUIRE %s\n", id);
		snprintf(path, len, "%s", id);
		return 0;
	}
	err = pool_ioctl(RUND_CGPOOL_IOC_ACQUIRE, &a);
	if (err)
		die("ACQUIRE %s: %s (dmesg says why)", id, strerror(-err));
	snprintf(path, len, "%s", a.path);
	return a.id;
}

/* RELEASE @id; a container rund-oci never pooled is no error (delete is idempotent). */
static int release(const char *id)
{
	struct rund_cgpool_release r = { .size = sizeof(r) };
	int err;

	if (strlen(id) >= sizeof(r.name))
		return 0;	/* never ACQUIREd: the name would not fit */
	strcpy(r.name, id);
	if (dry_run()) {
		fprintf(stderr, "rund-oci: dry run: RELEASE %s\n", id);
		return 0;
	}
	err = pool_ioctl(RUND_CGPOOL_IOC_RELEASE, &r);
	if (!err || err == -ENOENT)
		return 0;
	fprintf(stderr, "rund-oci: RELEASE %s: %s (dmesg says why)\n", id, strerror(-err));
	return 1;
}

/* @bundle/config.json, checked to be a Linux container's; its "linux" object in @lin */
static json_object *load_config(const char *bundle, json_object **lin)
{
	char file[PATH_MAX];
	json_object *cfg;

	snprintf(file, sizeof(file), "%s/config.json", bundle);
	cfg = json_object_from_file(file);
	if (!cfg)
		die("%s: %s", file, json_util_get_last_err() ?: "not JSON");
	if (!json_object_object_get_ex(cfg, "linux", lin) ||
	    !json_object_is_type(*lin, json_type_object))
		die("%s: no \"linux\" object: not a Linux container", file);
	return cfg;
}

/*
 * @cfg as @bundle/config.json: a new file with the old one's mode and owner (it may hold
 * secrets in process.env), synced, renamed over it, the directory synced. -errno.
 */
static int store_config(const char *bundle, json_object *cfg)
{
	char file[PATH_MAX], tmp[PATH_MAX];
	struct stat st;
	int fd, dir, err = 0;

	snprintf(file, sizeof(file), "%s/config.json", bundle);
	snprintf(tmp, sizeof(tmp), "%s/.config.json.XXXXXX", bundle);
	if (stat(file, &st))
		return -errno;
	fd = mkostemp(tmp, O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (fchmod(fd, st.st_mode & 07777) || (fchown(fd, st.st_uid, st.st_gid) && errno != EPERM) ||
	    json_object_to_fd(fd, cfg, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE) ||
	    fsync(fd) || rename(tmp, file))
		err = -(errno ?: EIO);
	close(fd);
	if (err) {
		unlink(tmp);
		fprintf(stderr, "rund-oci: %s: writing it: %s\n", file, strerror(-err));
		return err;
	}
	dir = open(bundle, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dir >= 0) {
		fsync(dir);
		close(dir);
	}
	return 0;
}

/* cgroupsPath of @lin: "" when unset */
static const char *cgroups_path(json_object *lin)
{
	json_object *p;

	return json_object_object_get_ex(lin, "cgroupsPath", &p) ? json_object_get_string(p) : "";
}

/*
 * The pooled cgroup must be @pool/@got with inode @id: otherwise RUND_OCI_POOL is not the
 * module's pool dir, and the runtime would make a cgroup of its own beside an idle one.
 */
static bool pooled_here(const char *pool, const char *got, __u64 id)
{
	char path[PATH_MAX + RUND_CGPOOL_NAME_LEN + 1];
	struct stat st;

	snprintf(path, sizeof(path), "%s/%s", pool, got);
	return !id || (!stat(path, &st) && st.st_ino == id);
}

/* systemd cgroup driver ("slice:prefix:name"): the runtime asks systemd, not the pool */
static bool systemd_driver(const struct call *c)
{
	for (int i = 1; i < c->cmd; i++)
		if (IN(c->argv[i], systemd_flags) ||
		    (!strcmp(c->argv[i], "--cgroup-manager") && i + 1 < c->cmd &&
		     !strcmp(c->argv[i + 1], "systemd")))
			return true;
	return false;
}

/*
 * @id's create lock on @pool (create-lock.h): an fd to close once the create is done; -1
 * in a dry run (no pool there to lock).
 */
static int lock_create(const char *pool, const char *id)
{
	int fd, err;

	if (dry_run())
		return -1;
	fd = open(pool, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		die("RUND_OCI_POOL %s: %s", pool, strerror(errno));
	err = create_lock(fd, id);
	if (err)
		die("RUND_OCI_POOL %s: locking it for %s: %s", pool, id, strerror(-err));
	return fd;
}

static int do_create(struct call *c, const char *pool)
{
	char rel[PATH_MAX], got[RUND_CGPOOL_NAME_LEN], cgpath[PATH_MAX + RUND_CGPOOL_NAME_LEN + 1];
	json_object *cfg, *lin;
	__u64 id;
	int ret, lock;

	if (!c->id)
		die("%s: no container id", c->argv[c->cmd]);
	/* everything that can fail before the ACQUIRE: nothing to give back */
	pool_in_hierarchy(pool, rel, sizeof(rel));
	cfg = load_config(c->bundle, &lin);
	if (strchr(cgroups_path(lin), ':')) {
		/* a systemd path without the driver's flag: the runtime's to handle */
		json_object_put(cfg);
		execvp(c->argv[0], c->argv);
		die("%s: %s", c->argv[0], strerror(errno));
	}
	/* held until the runtime's create returned: gc leaves the sandbox alone meanwhile */
	lock = lock_create(pool, c->id);
	id = acquire(c->id, got, sizeof(got));
	if (!pooled_here(pool, got, id)) {
		release(c->id);
		die("RUND_OCI_POOL %s is not the pool dir the module serves (no %s/%s)", pool,
		    pool, got);
	}
	snprintf(cgpath, sizeof(cgpath), "%s/%s", rel, got);
	json_object_object_add(lin, "cgroupsPath", json_object_new_string(cgpath));
	ret = store_config(c->bundle, cfg);
	json_object_put(cfg);
	if (ret) {
		release(c->id);
		return 1;
	}
	ret = run_runtime(c, lock);
	/* the runtime failed to create it: give the cgroup back now */
	if (ret && release(c->id))
		fprintf(stderr, "rund-oci: %s stays acquired: `rund-cgpool release %s`\n",
			c->id, c->id);
	if (lock >= 0)
		close(lock);
	return ret;
}

/*
 * The runtime's delete, then RELEASE: only once the runtime is done with the container
 * (a failed delete leaves it the runtime's, cgroup included). RELEASE of an id never
 * pooled or released already is no error: delete stays idempotent.
 */
static int do_delete(struct call *c)
{
	int ret = run_runtime(c, -1);

	if (ret || !c->id)
		return ret;
	return release(c->id);
}

int main(int argc, char **argv)
{
	const char *runtime = getenv("RUND_OCI_RUNTIME") ?: "runc";
	const char *pool = getenv("RUND_OCI_POOL");
	struct call c = { .argc = argc, .argv = argv };

	parse(&c);
	argv[0] = (char *)runtime;
	if (!pool || !*pool || systemd_driver(&c) || c.cmd >= argc) {
		execvp(runtime, argv);
		die("%s: %s", runtime, strerror(errno));
	}
	if (is(&c, "create"))
		return do_create(&c, pool);
	if (is(&c, "delete"))
		return do_delete(&c);
	execvp(runtime, argv);
	die("%s: %s", runtime, strerror(errno));
}
