// SPDX-License-Identifier: GPL-2.0
/*
 * cgpool_api: every rund_cgpool ioctl and every error path, on the hierarchy the guest
 * mounted (v2 or v1 co-mounted; v1 with one controller per hierarchy must be refused).
 *
 * Each test loads the module, makes a pool directory and SETUPs a pool of 4 (low watermark
 * 2, default pids.max 512) under the default policy (a released cgroup is removed, every
 * ACQUIRE gets a never-used one); the tests about recycling SETUP again with
 * RUND_CGPOOL_SETUP_RECYCLE. Teardown releases nothing on purpose: it checks TEARDOWN,
 * rmmod and that the pool directory is left without children.
 *
 * A rejected request must return its documented errno, log exactly one line naming the
 * problem, and leave the pool as it was (STATS counters, idle count, other children).
 * Paths come from ACQUIRE: on a stock kernel's v2 (no rename) a claimed cgroup keeps its
 * pool name; elsewhere it is renamed to the sandbox name (RUND_CGPOOL_OUT_RENAMED).
 */
#define _GNU_SOURCE
#include <linux/sched.h>
#include <sched.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/prctl.h>

#include "kselftest_harness.h"
#include "cgpool_test.h"

FIXTURE(pool) {
	char root[PATH_MAX];
	char pool[PATH_MAX];
	const char *rel;	/* pool dir relative to the hierarchy root */
	int v2, sep, dev, kmsg, ok, rename;
	char backend[sizeof(((struct rund_cgpool_stats *)0)->backend) + 1];
	pid_t kids[8];
	int nkids;
};

FIXTURE_SETUP(pool)
{
	struct rund_cgpool_stats st;
	int err;

	self->dev = self->kmsg = -1;
	ASSERT_EQ(0, cgp_find_root(self->root, sizeof(self->root), &self->v2, &self->sep))
		TH_LOG("no cgroup hierarchy with the memory controller");
	if (self->sep)
		SKIP(return, "v1 with separate hierarchies: the pool refuses it (v1_separate_refused)");
	err = cgp_load(NULL);
	ASSERT_TRUE(!err || err == EEXIST) TH_LOG("insmod: %s", strerror(err));
	self->dev = cgp_open();
	ASSERT_LE(0, self->dev) TH_LOG("open %s: %s", RUND_CGPOOL_DEVICE, strerror(errno));
	ASSERT_GT((int)sizeof(self->pool),
		  snprintf(self->pool, sizeof(self->pool), "%s/cgpool-%d", self->root, getpid()));
	self->rel = self->pool + strlen(self->root);
	ASSERT_EQ(0, rt_mkdir_cg(self->pool)) TH_LOG("mkdir %s: %s", self->pool, strerror(errno));
	ASSERT_EQ(0, cgp_setup(self->dev, self->pool, 4, 2));
	ASSERT_EQ(0, cgp_stats(self->dev, &st));
	self->rename = !!(st.pool_flags & RUND_CGPOOL_POOL_RENAME);
	snprintf(self->backend, sizeof(self->backend), "%.*s", (int)sizeof(st.backend),
		 st.backend);
	self->kmsg = rt_kmsg_open();
	ASSERT_LE(0, self->kmsg);
	self->ok = 1;
}

/* After a failed test: remove what a test left in @dir (empty cgroups only). */
static void rm_children(const char *dir)
{
	struct dirent *e;
	char path[PATH_MAX];
	DIR *d = opendir(dir);

	while (d && (e = readdir(d)))
		if (e->d_type == DT_DIR && strcmp(e->d_name, ".") && strcmp(e->d_name, "..") &&
		    !rt_path(path, sizeof(path), dir, e->d_name))
			rmdir(path);
	if (d)
		closedir(d);
}

FIXTURE_TEARDOWN(pool)
{
	for (int i = 0; i < self->nkids; i++)
		rt_kill_wait(self->kids[i]);
	if (self->dev >= 0) {
		cgp_teardown(self->dev, RUND_CGPOOL_TEARDOWN_KEEP_BUSY);
		close(self->dev);
	}
	if (self->kmsg >= 0)
		close(self->kmsg);
	if (!self->ok)
		return;
	EXPECT_EQ(0, cgp_unload());
	/* no stray cgroup after TEARDOWN + rmmod (tests release what they acquire) */
	EXPECT_EQ(0, cgp_children(self->pool));
	rm_children(self->pool);
	EXPECT_EQ(0, rmdir(self->pool)) TH_LOG("rmdir %s: %s", self->pool, strerror(errno));
}

static pid_t kid(FIXTURE_DATA(pool) *self)
{
	pid_t pid = cgp_spawn_sleeper();

	if (pid > 0 && self->nkids < 8)
		self->kids[self->nkids++] = pid;
	return pid;
}

static void kill_kids(FIXTURE_DATA(pool) *self)
{
	for (int i = 0; i < self->nkids; i++)
		rt_kill_wait(self->kids[i]);
	self->nkids = 0;
}

/* @dir/@file, trailing newline cut; "" when unreadable */
static const char *val(const char *dir, const char *file)
{
	static char buf[8][256];
	static int k;
	char *b = buf[k++ % 8];

	if (rt_read_file(dir, file, b, 256) < 0)
		return "";
	b[strcspn(b, "\n")] = '\0';
	return b;
}

static void cg_dir(FIXTURE_DATA(pool) *self, const char *path, char *out, size_t len)
{
	if (rt_path(out, len, self->pool, path))
		out[0] = '\0';
}

/* 1 when /proc/@pid/cgroup puts @pid in pool child @path */
static int in_cgroup(FIXTURE_DATA(pool) *self, pid_t pid, const char *path)
{
	char suffix[PATH_MAX];

	snprintf(suffix, sizeof(suffix), "%s/%s\n", self->rel, path);
	return rt_proc_cgroup_count(pid, suffix) == 1;
}

/* Discard what the module logged so far. */
static void kmsg_drain(FIXTURE_DATA(pool) *self)
{
	char line[16];
	int m;

	cgp_kmsg_read(self->kmsg, "", line, sizeof(line), &m);
}

/* The module logged exactly one line since the last drain, and it contains @needle. */
static void one_line(struct __test_metadata *_metadata, FIXTURE_DATA(pool) *self,
		     const char *needle)
{
	char line[512];
	int m, n = cgp_kmsg_read(self->kmsg, needle, line, sizeof(line), &m);

	EXPECT_EQ(1, n) TH_LOG("want one dmesg line with '%s', got %d (first: %s)", needle, n, line);
	EXPECT_TRUE(m) TH_LOG("want '%s' in dmesg, got '%s'", needle, line);
}

static void same_state(struct __test_metadata *_metadata, const struct cgp_state *a,
		       const struct cgp_state *b)
{
	EXPECT_EQ(a->st.idle, b->st.idle);
	EXPECT_EQ(a->st.busy, b->st.busy);
	EXPECT_EQ(a->st.total, b->st.total);
	EXPECT_EQ(a->st.stuck, b->st.stuck);
	EXPECT_EQ(a->st.recycling, b->st.recycling);
	EXPECT_EQ(a->st.acquired, b->st.acquired);
	EXPECT_EQ(a->st.released, b->st.released);
	EXPECT_EQ(a->st.fallbacks, b->st.fallbacks);
	EXPECT_EQ(a->st.pool_flags, b->st.pool_flags);
	EXPECT_EQ(a->idle_dirs, b->idle_dirs);
	EXPECT_STREQ(a->others, b->others);
}

/* ioctl @cmd(@arg) fails with @err, logs one line with @needle, changes nothing. */
static void reject(struct __test_metadata *_metadata, FIXTURE_DATA(pool) *self,
		   unsigned long cmd, void *arg, int err, const char *needle)
{
	struct cgp_state before, after;

	ASSERT_EQ(0, cgp_state(self->dev, self->pool, &before));
	kmsg_drain(self);
	EXPECT_EQ(err, cgp_ioctl(self->dev, cmd, arg)) TH_LOG("case '%s'", needle);
	one_line(_metadata, self, needle);
	ASSERT_EQ(0, cgp_state(self->dev, self->pool, &after));
	same_state(_metadata, &before, &after);
}

static void acquire_req(struct rund_cgpool_acquire *a, const char *name, pid_t pid)
{
	memset(a, 0, sizeof(*a));
	a->size = sizeof(*a);
	a->pid = pid;
	snprintf(a->name, sizeof(a->name), "%s", name);
}

TEST_F(pool, setup_stats_sysfs)
{
	struct rund_cgpool_stats st;
	struct cgp_state s;
	char buf[64];

	if (!self->ok)
		return;
	ASSERT_EQ(0, cgp_state(self->dev, self->pool, &s));
	st = s.st;
	EXPECT_EQ(RUND_CGPOOL_ABI_VERSION, (int)st.abi_version);
	EXPECT_TRUE(!!(st.pool_flags & RUND_CGPOOL_POOL_SETUP));
	EXPECT_EQ(!!self->v2, !!(st.pool_flags & RUND_CGPOOL_POOL_V2));
	EXPECT_EQ(0U, st.pool_flags & RUND_CGPOOL_POOL_RECYCLE);	/* the default policy */
	EXPECT_EQ(4ULL, st.pool_size);
	EXPECT_EQ(2ULL, st.low_watermark);
	EXPECT_EQ(4ULL, st.idle);
	EXPECT_EQ(0ULL, st.busy);
	EXPECT_EQ(4ULL, st.total);
	EXPECT_EQ(4ULL, st.prefilled);
	EXPECT_TRUE(cgp_stats_balanced(&st));
	EXPECT_EQ(4, s.idle_dirs);
	EXPECT_STREQ("", s.others);
	TH_LOG("backend %s, %s, %s", st.backend, self->v2 ? "v2" : "v1",
	       self->rename ? "claims rename" : "claims keep the pool name");
	/* sysfs mirrors STATS */
	ASSERT_LT(0, rt_read_file(CGP_SYSFS, "idle", buf, sizeof(buf)));
	EXPECT_STREQ("4\n", buf);
	ASSERT_LT(0, rt_read_file(CGP_SYSFS, "size", buf, sizeof(buf)));
	EXPECT_STREQ("4\n", buf);
	for (const char *f = "busy\0acquired\0released\0fallbacks\0refills\0"; *f; f += strlen(f) + 1) {
		ASSERT_LT(0, rt_read_file(CGP_SYSFS, f, buf, sizeof(buf))) TH_LOG("%s", f);
		EXPECT_STREQ("0\n", buf) TH_LOG("%s", f);
	}
	/* a size-prefixed caller from the future: zero tail accepted, non-zero refused */
	do {
		struct { struct rund_cgpool_stats st; uint64_t more; } big = { 0 };

		big.st.size = sizeof(big);
		EXPECT_EQ(0, cgp_ioctl(self->dev, RUND_CGPOOL_IOC_STATS, &big));
		EXPECT_EQ(4ULL, big.st.idle);
		EXPECT_EQ(0ULL, (unsigned long long)big.more);
	} while (0);
}

TEST_F_TIMEOUT(pool, acquire_lookup_release, 120)
{
	struct rund_cgpool_limits lim = {
		.mask = RUND_CGPOOL_LIM_ALL,
		.cpu_quota_us = 50000, .cpu_period_us = 100000,
		.memory_max = 64 << 20, .pids_max = 100,
		.cpuset_cpus = "0", .cpuset_mems = "0",
	};
	struct rund_cgpool_acquire a;
	struct rund_cgpool_lookup l;
	struct rund_cgpool_stats st;
	char dir[PATH_MAX], pid[16];
	struct stat sb;
	pid_t child;

	if (!self->ok)
		return;
	child = kid(self);
	ASSERT_LT(0, child);
	ASSERT_EQ(0, cgp_acquire(self->dev, "sb1", child, &lim, &a));
	EXPECT_EQ(0U, a.out_flags & RUND_CGPOOL_OUT_FALLBACK);
	if (self->rename) {
		EXPECT_STREQ("sb1", a.path);
		EXPECT_TRUE(!!(a.out_flags & RUND_CGPOOL_OUT_RENAMED));
	}
	cg_dir(self, a.path, dir, sizeof(dir));
	ASSERT_EQ(0, stat(dir, &sb)) TH_LOG("%s: %s", dir, strerror(errno));
	EXPECT_EQ((unsigned long long)sb.st_ino, (unsigned long long)a.id);
	snprintf(pid, sizeof(pid), "%d", child);
	EXPECT_EQ(1, rt_file_has_line(dir, "cgroup.procs", pid));
	EXPECT_TRUE(in_cgroup(self, child, a.path));
	if (self->v2) {
		EXPECT_STREQ("50000 100000", val(dir, "cpu.max"));
		EXPECT_STREQ("67108864", val(dir, "memory.max"));
	} else {
		EXPECT_STREQ("50000", val(dir, "cpu.cfs_quota_us"));
		EXPECT_STREQ("100000", val(dir, "cpu.cfs_period_us"));
		EXPECT_STREQ("67108864", val(dir, "memory.limit_in_bytes"));
	}
	EXPECT_STREQ("100", val(dir, "pids.max"));
	EXPECT_STREQ("0", val(dir, "cpuset.cpus"));
	EXPECT_STREQ("0", val(dir, "cpuset.mems"));

	ASSERT_EQ(0, cgp_lookup(self->dev, "sb1", 0, &l));
	EXPECT_EQ((unsigned long long)a.id, (unsigned long long)l.id);
	EXPECT_STREQ(a.path, l.path);
	ASSERT_EQ(0, cgp_lookup(self->dev, NULL, a.id, &l));
	EXPECT_STREQ("sb1", l.name);
	ASSERT_EQ(0, cgp_stats(self->dev, &st));
	EXPECT_EQ(1ULL, st.busy);
	EXPECT_EQ(3ULL, st.idle);
	EXPECT_EQ(1ULL, st.acquired);

	kill_kids(self);
	ASSERT_EQ(0, cgp_release(self->dev, NULL, a.id));
	/* the default policy removes the cgroup before RELEASE returns (renamed or not) */
	EXPECT_NE(0, stat(dir, &sb)) TH_LOG("%s still there after RELEASE", dir);
	EXPECT_EQ(ENOENT, cgp_lookup(self->dev, "sb1", 0, &l));
	ASSERT_EQ(0, cgp_stats(self->dev, &st));
	EXPECT_EQ(0ULL, st.busy);
	EXPECT_LE(2ULL, st.idle);		/* at least the low watermark */
	EXPECT_GE(4ULL, st.idle);
	EXPECT_EQ(1ULL, st.released);
	EXPECT_EQ(0ULL, st.recycled);
	EXPECT_EQ(0ULL, st.replaced);
	EXPECT_EQ(1ULL, st.destroyed);
	EXPECT_TRUE(cgp_stats_balanced(&st));
	/* the name is free again at once, and gets a never-used cgroup */
	do {
		uint64_t old = a.id;

		ASSERT_EQ(0, cgp_acquire(self->dev, "sb1", 0, NULL, &a));
		EXPECT_NE(old, a.id) TH_LOG("the released cgroup %llu handed out again",
					    (unsigned long long)old);
		ASSERT_EQ(0, cgp_release(self->dev, "sb1", 0));
	} while (0);
}

/* open fds of this process */
static int nr_fds(void)
{
	struct dirent *e;
	DIR *d = opendir("/proc/self/fd");
	int n = 0;

	while (d && (e = readdir(d)))
		n += e->d_name[0] != '.';
	if (d)
		closedir(d);
	return n - 1;	/* the opendir's own fd */
}

/* clone3(CLONE_INTO_CGROUP) a child that sleeps; its pid or -errno */
static pid_t clone_into(int cgfd)
{
	struct clone_args ca = {
		.flags = CLONE_INTO_CGROUP,
		.exit_signal = SIGCHLD,
		.cgroup = (uint64_t)cgfd,
	};
	long pid = syscall(SYS_clone3, &ca, sizeof(ca));

	if (pid == 0) {
		pause();
		_exit(0);
	}
	return pid < 0 ? -errno : pid;
}

/*
 * ACQUIRE_CGROUP_FD returns an O_PATH, close-on-exec fd of the sandbox's cgroup (the
 * cgroup itself: same inode as the id) that clone3() can create a process in (v2); after
 * RELEASE the fd no longer places a process anywhere. The fd is installed only when the
 * ioctl succeeds: not when the struct is too small for it, nor when the answer cannot be
 * copied back.
 */
TEST_F_TIMEOUT(pool, acquire_cgroup_fd, 120)
{
	struct rund_cgpool_acquire a, *ro;
	struct rund_cgpool_stats st;
	struct stat sb;
	pid_t child;
	int fds;

	if (!self->ok)
		return;
	fds = nr_fds();
	acquire_req(&a, "sbfd", 0);
	a.flags = RUND_CGPOOL_ACQUIRE_CGROUP_FD;
	ASSERT_EQ(0, cgp_ioctl(self->dev, RUND_CGPOOL_IOC_ACQUIRE, &a));
	ASSERT_LE(0, a.cgroup_fd);
	EXPECT_EQ(fds + 1, nr_fds());
	EXPECT_EQ(FD_CLOEXEC, fcntl(a.cgroup_fd, F_GETFD));
	EXPECT_EQ(O_PATH, fcntl(a.cgroup_fd, F_GETFL) & O_PATH);
	ASSERT_EQ(0, fstat(a.cgroup_fd, &sb));
	EXPECT_TRUE(S_ISDIR(sb.st_mode));
	EXPECT_EQ((unsigned long long)a.id, (unsigned long long)sb.st_ino);
	if (self->v2) {
		child = clone_into(a.cgroup_fd);
		ASSERT_LT(0, child) TH_LOG("clone3 into the cgroup: %s", strerror(-child));
		if (self->nkids < 8)
			self->kids[self->nkids++] = child;
		EXPECT_TRUE(in_cgroup(self, child, a.path));
		kill_kids(self);
	}
	ASSERT_EQ(0, cgp_release(self->dev, "sbfd", 0));
	if (self->v2)
		EXPECT_EQ(-ENOENT, clone_into(a.cgroup_fd));
	EXPECT_EQ(0, close(a.cgroup_fd));

	/* without the flag: no fd, cgroup_fd -1 */
	acquire_req(&a, "sbfd", 0);
	a.cgroup_fd = 5;
	ASSERT_EQ(0, cgp_ioctl(self->dev, RUND_CGPOOL_IOC_ACQUIRE, &a));
	EXPECT_EQ(-1, a.cgroup_fd);
	EXPECT_EQ(fds, nr_fds());
	ASSERT_EQ(0, cgp_release(self->dev, "sbfd", 0));

	/* a struct of ABI 2's first size has no room for the fd */
	acquire_req(&a, "sbfd", 0);
	a.size = RUND_CGPOOL_ACQUIRE_SIZE_VER0;
	a.flags = RUND_CGPOOL_ACQUIRE_CGROUP_FD;
	reject(_metadata, self, RUND_CGPOOL_IOC_ACQUIRE, &a, EINVAL,
	       "CGROUP_FD needs a struct of");
	EXPECT_EQ(fds, nr_fds());

	/* the answer cannot be copied back: EFAULT, and no fd in the table */
	ro = mmap(NULL, sizeof(*ro), PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, ro);
	acquire_req(ro, "sbfd", 0);
	ro->flags = RUND_CGPOOL_ACQUIRE_CGROUP_FD;
	ASSERT_EQ(0, mprotect(ro, sizeof(*ro), PROT_READ));
	EXPECT_EQ(EFAULT, cgp_ioctl(self->dev, RUND_CGPOOL_IOC_ACQUIRE, ro));
	EXPECT_EQ(fds, nr_fds());
	munmap(ro, sizeof(*ro));
	/* the sandbox itself was acquired: the caller finds it by name, as after a crash */
	ASSERT_EQ(0, cgp_release(self->dev, "sbfd", 0));
	ASSERT_EQ(0, cgp_stats(self->dev, &st));
	EXPECT_EQ(0ULL, st.busy);
}

/*
 * An idle cgroup holds the pool's defaults: ACQUIRE writes only the fields that differ
 * from them. With the next limit write made to fail, an ACQUIRE asking for the default
 * pids.max (and nothing else) must succeed, as it writes nothing; one asking for another
 * value must hit the failure (ERANGE, cgroup back in the pool), then succeed when asked
 * again. Both sandboxes read the limits they asked for.
 */
TEST_F_TIMEOUT(pool, acquire_writes_only_what_differs, 120)
{
	struct rund_cgpool_limits lim = {
		.mask = RUND_CGPOOL_LIM_PIDS,
		.pids_max = CGP_DEFAULT_PIDS,
	};
	struct rund_cgpool_acquire a, b;
	struct rund_cgpool_stats st;
	char dir[PATH_MAX], want[16];

	if (!self->ok)
		return;
	ASSERT_EQ(0, cgp_fault("limits:1"))
		TH_LOG("fault knob (module without RUND_FAULT_INJECT=y?)");
	ASSERT_EQ(0, cgp_acquire(self->dev, "same", 0, &lim, &a))
		TH_LOG("the default pids.max was written again");
	EXPECT_EQ(1, cgp_fault_armed("limits"));
	cg_dir(self, a.path, dir, sizeof(dir));
	snprintf(want, sizeof(want), "%d", CGP_DEFAULT_PIDS);
	EXPECT_STREQ(want, val(dir, "pids.max"));

	lim.pids_max = 100;
	EXPECT_EQ(ERANGE, cgp_acquire(self->dev, "other", 0, &lim, &b));
	EXPECT_EQ(0, cgp_fault_armed("limits"));
	ASSERT_EQ(0, cgp_stats(self->dev, &st));
	EXPECT_EQ(1ULL, st.busy);
	ASSERT_EQ(0, cgp_acquire(self->dev, "other", 0, &lim, &b));
	cg_dir(self, b.path, dir, sizeof(dir));
	EXPECT_STREQ("100", val(dir, "pids.max"));
	cgp_fault("");
	ASSERT_EQ(0, cgp_release(self->dev, "same", 0));
	ASSERT_EQ(0, cgp_release(self->dev, "other", 0));
}

/* LOOKUP_NEXT from @after: 0 and the sandbox in @l, or the errno */
static int lookup_next(int dev, uint64_t after, struct rund_cgpool_lookup *l)
{
	memset(l, 0, sizeof(*l));
	l->size = sizeof(*l);
	l->flags = RUND_CGPOOL_LOOKUP_NEXT;
	l->id = after;
	return cgp_ioctl(dev, RUND_CGPOOL_IOC_LOOKUP, l);
}

/* Every acquired sandbox of the pool, listed with LOOKUP_NEXT, as "name:path " in @out. */
static int list_sandboxes(struct __test_metadata *_metadata, FIXTURE_DATA(pool) *self,
			  char *out, size_t len)
{
	struct rund_cgpool_lookup l;
	char line[256];
	uint64_t last = 0;
	size_t used = 0;
	int n = 0, err, m;

	out[0] = '\0';
	kmsg_drain(self);
	while (!(err = lookup_next(self->dev, last, &l))) {
		EXPECT_LT(last, (uint64_t)l.id) TH_LOG("ids must grow: %llu after %llu",
						       (unsigned long long)l.id,
						       (unsigned long long)last);
		if (l.id <= last)
			break;
		last = l.id;
		used += snprintf(out + used, len - used, "%s:%s ", l.name, l.path);
		if (used >= len || ++n > 16)
			break;
	}
	EXPECT_EQ(ENOENT, err);
	/* the end of a listing is no error: nothing in dmesg */
	EXPECT_EQ(0, cgp_kmsg_read(self->kmsg, "", line, sizeof(line), &m)) TH_LOG("%s", line);
	return n;
}

/* LOOKUP_NEXT lists every acquired sandbox once, in cgroup id order, and only those. */
TEST_F_TIMEOUT(pool, lookup_next_lists_sandboxes, 120)
{
	struct rund_cgpool_acquire a[3];
	struct rund_cgpool_lookup l;
	char list[1024], want[64];
	static const char *const names[] = { "ls-a", "ls-b", "ls-c" };

	if (!self->ok)
		return;
	EXPECT_EQ(0, list_sandboxes(_metadata, self, list, sizeof(list)));
	for (int i = 0; i < 3; i++)
		ASSERT_EQ(0, cgp_acquire(self->dev, names[i], 0, NULL, &a[i]));
	EXPECT_EQ(3, list_sandboxes(_metadata, self, list, sizeof(list)));
	for (int i = 0; i < 3; i++) {
		snprintf(want, sizeof(want), "%s:%s ", names[i], a[i].path);
		EXPECT_NE(NULL, strstr(list, want)) TH_LOG("'%s' not in '%s'", want, list);
	}
	/* a released one is no longer listed; the others still are */
	ASSERT_EQ(0, cgp_release(self->dev, "ls-b", 0));
	EXPECT_EQ(2, list_sandboxes(_metadata, self, list, sizeof(list)));
	EXPECT_EQ(NULL, strstr(list, "ls-b:")) TH_LOG("released ls-b listed: '%s'", list);
	/* past the largest id: the end */
	EXPECT_EQ(ENOENT, lookup_next(self->dev, a[0].id > a[2].id ? a[0].id : a[2].id, &l));
	/* NEXT takes no name, and no other flag */
	memset(&l, 0, sizeof(l));
	l.size = sizeof(l);
	l.flags = RUND_CGPOOL_LOOKUP_NEXT;
	snprintf(l.name, sizeof(l.name), "ls-a");
	reject(_metadata, self, RUND_CGPOOL_IOC_LOOKUP, &l, EINVAL, "the name must be empty");
	memset(&l, 0, sizeof(l));
	l.size = sizeof(l);
	l.flags = RUND_CGPOOL_LOOKUP_NEXT | 0x80;
	reject(_metadata, self, RUND_CGPOOL_IOC_LOOKUP, &l, EINVAL, "LOOKUP: unknown flags 0x80\n");
	ASSERT_EQ(0, cgp_release(self->dev, "ls-a", 0));
	ASSERT_EQ(0, cgp_release(self->dev, "ls-c", 0));
	EXPECT_EQ(0, list_sandboxes(_metadata, self, list, sizeof(list)));
}

/* RELEASE_EXACT releases a sandbox only while it holds the cgroup id it names. */
TEST_F_TIMEOUT(pool, release_exact, 120)
{
	struct rund_cgpool_release r;
	struct rund_cgpool_acquire a;
	struct rund_cgpool_lookup l;

	if (!self->ok)
		return;
	ASSERT_EQ(0, cgp_acquire(self->dev, "ex-a", 0, NULL, &a));
	memset(&r, 0, sizeof(r));
	r.size = sizeof(r);
	r.flags = RUND_CGPOOL_RELEASE_EXACT;
	snprintf(r.name, sizeof(r.name), "ex-a");
	r.id = a.id + 1000003;
	reject(_metadata, self, RUND_CGPOOL_IOC_RELEASE, &r, ENOENT,
	       "no acquired sandbox 'ex-a' with cgroup id");
	r.id = 0;
	reject(_metadata, self, RUND_CGPOOL_IOC_RELEASE, &r, EINVAL, "EXACT needs both name and id");
	r.flags |= 0x40;
	r.id = a.id;
	reject(_metadata, self, RUND_CGPOOL_IOC_RELEASE, &r, EINVAL, "RELEASE: unknown flags 0x40\n");
	r.flags = RUND_CGPOOL_RELEASE_EXACT;
	EXPECT_EQ(0, cgp_ioctl(self->dev, RUND_CGPOOL_IOC_RELEASE, &r));
	EXPECT_EQ(ENOENT, cgp_lookup(self->dev, "ex-a", 0, &l));
}

/* Pool dry: ACQUIRE falls back to mkdir (counted); refill restores idle >= low. */
TEST_F_TIMEOUT(pool, fallback_and_refill, 120)
{
	struct rund_cgpool_acquire a[6];
	struct rund_cgpool_stats st;
	unsigned long long destroyed;
	char name[16];

	if (!self->ok)
		return;
	for (int i = 0; i < 6; i++) {
		snprintf(name, sizeof(name), "fb%d", i);
		ASSERT_EQ(0, cgp_acquire(self->dev, name, 0, NULL, &a[i]));
	}
	ASSERT_EQ(0, cgp_stats(self->dev, &st));
	TH_LOG("6 acquired: %llu fallbacks, %llu refills, idle %llu", st.fallbacks, st.refills, st.idle);
	EXPECT_EQ(6ULL, st.busy);
	EXPECT_LE(2ULL, st.idle);		/* refilled to >= low */
	EXPECT_EQ(6ULL, st.acquired);
	EXPECT_TRUE(cgp_stats_balanced(&st));
	destroyed = st.destroyed;
	for (int i = 0; i < 6; i++) {
		EXPECT_EQ(0, cgp_release(self->dev, NULL, a[i].id));
	}
	ASSERT_EQ(0, cgp_stats(self->dev, &st));
	EXPECT_EQ(0ULL, st.busy);
	EXPECT_EQ(st.total, st.idle);
	EXPECT_EQ(destroyed + 6, st.destroyed);	/* the default policy removes every release */
	EXPECT_EQ(0ULL, st.recycled);
	EXPECT_TRUE(cgp_stats_balanced(&st));
	/*
	 * A pool that never refills (low 0) of 2: the third ACQUIRE is a fallback mkdir.
	 * Default policy: the three released cgroups are removed and nothing refills. Recycle
	 * policy: recycled back up to the pool's size, the one beyond it removed.
	 */
	for (unsigned int flags = 0; flags <= RUND_CGPOOL_SETUP_RECYCLE;
	     flags += RUND_CGPOOL_SETUP_RECYCLE) {
		struct rund_cgpool_acquire b[3];

		ASSERT_EQ(0, cgp_teardown(self->dev, 0));
		ASSERT_EQ(0, cgp_setup_flags(self->dev, self->pool, 2, 0, flags));
		for (int i = 0; i < 3; i++) {
			snprintf(name, sizeof(name), "dry%d", i);
			ASSERT_EQ(0, cgp_acquire(self->dev, name, 0, NULL, &b[i]));
			EXPECT_EQ(i == 2, !!(b[i].out_flags & RUND_CGPOOL_OUT_FALLBACK));
		}
		ASSERT_EQ(0, cgp_stats(self->dev, &st));
		EXPECT_EQ(1ULL, st.fallbacks);
		EXPECT_EQ(0ULL, st.refills);
		EXPECT_EQ(0ULL, st.idle);
		for (int i = 0; i < 3; i++) {
			EXPECT_EQ(0, cgp_release(self->dev, NULL, b[i].id));
		}
		ASSERT_EQ(0, cgp_stats(self->dev, &st));
		EXPECT_TRUE(cgp_stats_balanced(&st));
		EXPECT_EQ(0ULL, st.refills) TH_LOG("flags 0x%x", flags);
		if (flags) {
			/* clean cgroups: recycled, none replaced */
			EXPECT_EQ(2ULL, st.idle);
			EXPECT_EQ(2ULL, st.total);
			EXPECT_EQ(2ULL, st.recycled);
			EXPECT_EQ(0ULL, st.replaced);
			EXPECT_EQ(1ULL, st.destroyed);
			EXPECT_EQ(2, cgp_children(self->pool));
		} else {
			EXPECT_EQ(0ULL, st.idle);
			EXPECT_EQ(0ULL, st.total);
			EXPECT_EQ(0ULL, st.recycled);
			EXPECT_EQ(3ULL, st.destroyed);
			EXPECT_EQ(0, cgp_children(self->pool));
		}
	}
}

/* Files that must read the same in a recycled and a never-used pool cgroup. */
static const char *const v2_files[] = {
	"cpu.max", "cpu.weight", "cpuset.cpus", "cpuset.mems", "memory.max", "memory.high",
	"memory.low", "memory.min", "memory.swap.max", "memory.current", "pids.max",
	"pids.current", "cgroup.procs", "cgroup.freeze", "cgroup.subtree_control",
};
static const char *const v1_files[] = {
	"cpu.cfs_quota_us", "cpu.cfs_period_us", "cpu.shares", "cpuset.cpus", "cpuset.mems",
	"memory.limit_in_bytes", "memory.soft_limit_in_bytes", "memory.usage_in_bytes",
	"memory.max_usage_in_bytes", "memory.failcnt", "pids.max", "pids.current",
	"cgroup.procs", "freezer.state",
};

/* The names of @dir's files, sorted, '\n'-joined. */
static void file_names(const char *dir, char *out, size_t len)
{
	struct dirent **list;
	int n = scandir(dir, &list, NULL, alphasort);

	out[0] = '\0';
	for (int i = 0; i < n; i++) {
		if (list[i]->d_type == DT_REG) {
			strncat(out, list[i]->d_name, len - strlen(out) - 2);
			strcat(out, "\n");
		}
		free(list[i]);
	}
	free(n > 0 ? list : NULL);
}

/* Counters only a new cgroup has at zero: compared under the default policy only. */
static const char *const v2_counters[] = { "cpu.stat", "memory.events", "pids.events" };
static const char *const v1_counters[] = { "cpuacct.usage", "pids.events" };

/*
 * SETUP the fixture's pool again (4, low 2) with RUND_CGPOOL_SETUP_* @flags; 0 or the
 * errno.
 */
static int resetup(FIXTURE_DATA(pool) *self, unsigned int flags)
{
	int err = cgp_teardown(self->dev, 0);

	return err ?: cgp_setup_flags(self->dev, self->pool, 4, 2, flags);
}

/*
 * A sandbox dirties its cgroup: limits, memory.high / cpu.shares written behind the
 * pool's back, a task attached that leaves again, and with @charge anonymous memory and
 * page cache charged by a task that exits inside. After RELEASE, the cgroup handed out
 * next must read like a never-used one. With @recycle (the pool set up with
 * RUND_CGPOOL_SETUP_RECYCLE) that is the dirty cgroup itself (the idle list is LIFO), or
 * the one replacing it when its memory could not be reclaimed; counters the kernel cannot
 * reset (cpu.stat, memory.stat, memory.events, memory.peak) are not compared. Under the
 * default policy the dirty cgroup is removed at RELEASE and the next one is a new cgroup,
 * counters included. Returns whether the dirty cgroup itself was recycled.
 */
static int dirty_and_compare(struct __test_metadata *_metadata, FIXTURE_DATA(pool) *self,
			     int charge, int recycle)
{
	struct rund_cgpool_limits lim = {
		.mask = RUND_CGPOOL_LIM_CPU | RUND_CGPOOL_LIM_MEMORY | RUND_CGPOOL_LIM_PIDS,
		.cpu_quota_us = 20000, .cpu_period_us = 50000,
		.memory_max = 256 << 20, .pids_max = 64,
	};
	struct rund_cgpool_acquire dirty, again, fresh;
	struct rund_cgpool_stats st0, st;
	char d1[PATH_MAX], d2[PATH_MAX], d3[PATH_MAX], path[64];
	static char n2[8192], n3[8192];
	const char *const *files = self->v2 ? v2_files : v1_files;
	size_t nfiles = self->v2 ? sizeof(v2_files) / sizeof(v2_files[0]) :
				   sizeof(v1_files) / sizeof(v1_files[0]);
	const char *usage = self->v2 ? "memory.current" : "memory.usage_in_bytes";
	pid_t child = cgp_spawn_sleeper();
	int status;

	if (child <= 0 || cgp_stats(self->dev, &st0))
		return -1;
	EXPECT_EQ(0, cgp_acquire(self->dev, "dirty", child, &lim, &dirty));
	cg_dir(self, dirty.path, d1, sizeof(d1));
	rt_write_file(d1, self->v2 ? "memory.high" : "cpu.shares", self->v2 ? "100000000" : "512");
	EXPECT_EQ(0, rt_attach(self->root, child));	/* the task leaves again */
	rt_kill_wait(child);
	child = charge ? fork() : 0;
	if (child == 0 && charge) {
		/* charge anonymous memory and page cache to the sandbox, then exit inside */
		size_t sz = 8 << 20;
		char *mem;
		int fd;

		if (rt_attach(d1, getpid()))
			_exit(1);
		mem = malloc(sz);
		if (!mem)
			_exit(2);
		memset(mem, 1, sz);
		snprintf(path, sizeof(path), "cgpool-cache-%d", getpid());
		fd = open(path, O_CREAT | O_RDWR | O_TRUNC, 0600);
		if (fd < 0 || write(fd, mem, sz) != (ssize_t)sz)
			_exit(3);
		fsync(fd);
		close(fd);
		_exit(0);
	}
	if (charge) {
		EXPECT_EQ(child, waitpid(child, &status, 0));
		EXPECT_EQ(0, status) TH_LOG("dirtying child failed: %d", status);
		snprintf(path, sizeof(path), "cgpool-cache-%d", child);
		unlink(path);
	}
	TH_LOG("before RELEASE: %s %s", usage, val(d1, usage));
	EXPECT_EQ(0, cgp_release(self->dev, "dirty", 0));
	EXPECT_EQ(0, cgp_stats(self->dev, &st));
	if (recycle) {
		EXPECT_EQ(1ULL, st.recycled + st.replaced - st0.recycled - st0.replaced);
		TH_LOG("recycled %llu, replaced %llu (memory not reclaimable)",
		       st.recycled - st0.recycled, st.replaced - st0.replaced);
	} else {
		EXPECT_EQ(0ULL, st.recycled);
		EXPECT_EQ(st0.replaced, st.replaced);
		EXPECT_EQ(st0.destroyed + 1, st.destroyed) TH_LOG("default policy: not removed");
	}
	EXPECT_TRUE(cgp_stats_balanced(&st));

	EXPECT_EQ(0, cgp_acquire(self->dev, "again", 0, NULL, &again));
	if (st.recycled > st0.recycled) {
		EXPECT_EQ(dirty.id, again.id) TH_LOG("recycled cgroup not handed out next");
	}
	if (!recycle)
		EXPECT_NE(dirty.id, again.id) TH_LOG("default policy handed the dirty cgroup out");
	EXPECT_EQ(0, cgp_acquire(self->dev, "fresh", 0, NULL, &fresh));
	cg_dir(self, again.path, d2, sizeof(d2));
	cg_dir(self, fresh.path, d3, sizeof(d3));
	for (size_t i = 0; i < nfiles; i++) {
		const char *a = val(d2, files[i]), *b = val(d3, files[i]);

		EXPECT_STREQ(b, a) TH_LOG("%s differs: recycled '%s', fresh '%s'", files[i], a, b);
	}
	for (size_t i = 0; !recycle && i < (self->v2 ? 3U : 2U); i++) {
		const char *f = self->v2 ? v2_counters[i] : v1_counters[i];
		const char *a = val(d2, f), *b = val(d3, f);

		EXPECT_STREQ(b, a) TH_LOG("%s differs: after release '%s', fresh '%s'", f, a, b);
	}
	EXPECT_STREQ("", val(d2, "cgroup.procs"));
	EXPECT_STREQ("0", val(d2, usage));
	EXPECT_STREQ("512", val(d2, "pids.max"));	/* the pool default, not the sandbox's 64 */
	file_names(d2, n2, sizeof(n2));
	file_names(d3, n3, sizeof(n3));
	EXPECT_STREQ(n3, n2);
	EXPECT_EQ(0, cgp_release(self->dev, "again", 0));
	EXPECT_EQ(0, cgp_release(self->dev, "fresh", 0));
	return st.recycled > st0.recycled;
}

/*
 * The refill is paced: below the low watermark it waits until ACQUIREs paused for
 * refill_quiet_ms, but at most refill_defer_ms in all, and not at all when the pool is
 * dry; once it may go, it goes on to the size; STATS_SYNC does not wait. With 30 s
 * periods nothing in a TCG guest outlasts them, so each step's outcome is certain.
 */
static void burst(struct __test_metadata *_metadata, FIXTURE_DATA(pool) *self,
		  struct rund_cgpool_acquire *a, int *n, int upto)
{
	char name[24];

	for (; *n < upto; (*n)++) {
		snprintf(name, sizeof(name), "burst%d", *n);
		ASSERT_EQ(0, cgp_acquire(self->dev, name, 0, NULL, &a[*n]));
	}
}

/* poll STATS (no SYNC) up to 30 s until @want idle; the last STATS in @st */
static void wait_idle(FIXTURE_DATA(pool) *self, struct rund_cgpool_stats *st,
		      unsigned long long want)
{
	for (int i = 0; i < 300 && !cgp_stats_flags(self->dev, st, 0) && st->idle < want; i++)
		usleep(100 * 1000);
}

TEST_F_TIMEOUT(pool, refill_waits_for_the_burst, 180)
{
	struct rund_cgpool_acquire a[37];
	struct rund_cgpool_stats st;
	int i, n = 0;

	if (!self->ok)
		return;
	ASSERT_EQ(0, cgp_teardown(self->dev, 0));
	ASSERT_EQ(0, cgp_setup(self->dev, self->pool, 16, 8));
	ASSERT_EQ(0, cgp_param_write(CGP_PARAM("refill_quiet_ms"), "30000"));
	ASSERT_EQ(0, cgp_param_write(CGP_PARAM("refill_defer_ms"), "30000"));
	/* 6 idle: below the low mark; a quarter of it (the old rule) is not reached */
	burst(_metadata, self, a, &n, 10);
	sleep(2);		/* time enough for an unpaced refill */
	ASSERT_EQ(0, cgp_stats_flags(self->dev, &st, 0));
	EXPECT_EQ(0ULL, st.refills) TH_LOG("refilled during the burst");
	EXPECT_EQ(6ULL, st.idle);
	/* 1 idle, below a quarter of the low mark: still no refill */
	burst(_metadata, self, a, &n, 15);
	sleep(1);
	ASSERT_EQ(0, cgp_stats_flags(self->dev, &st, 0));
	EXPECT_EQ(0ULL, st.refills) TH_LOG("refilled during the burst, 1 idle");
	/* dry: one cgroup at once, and no further */
	burst(_metadata, self, a, &n, 16);
	wait_idle(self, &st, 1);
	sleep(1);
	ASSERT_EQ(0, cgp_stats_flags(self->dev, &st, 0));
	EXPECT_EQ(1ULL, st.idle) TH_LOG("%llu refills", st.refills);
	EXPECT_EQ(1ULL, st.refills);
	/* held back longer than refill_defer_ms: on to the size without a pause */
	ASSERT_EQ(0, cgp_param_write(CGP_PARAM("refill_defer_ms"), "500"));
	burst(_metadata, self, a, &n, 17);	/* dry again: kicks it */
	wait_idle(self, &st, 16);
	EXPECT_EQ(16ULL, st.idle) TH_LOG("%llu refills, starts never paused", st.refills);
	EXPECT_EQ(17ULL, st.refills);
	/* a new burst waits afresh; once the starts pause it goes on to the size */
	ASSERT_EQ(0, cgp_param_write(CGP_PARAM("refill_defer_ms"), "30000"));
	ASSERT_EQ(0, cgp_param_write(CGP_PARAM("refill_quiet_ms"), "200"));
	burst(_metadata, self, a, &n, 27);
	wait_idle(self, &st, 16);
	EXPECT_EQ(16ULL, st.idle) TH_LOG("%llu refills, no STATS_SYNC", st.refills);
	/* STATS_SYNC refills at once, whatever the pacing: 10 more leave 6 idle */
	ASSERT_EQ(0, cgp_param_write(CGP_PARAM("refill_quiet_ms"), "30000"));
	burst(_metadata, self, a, &n, 37);
	ASSERT_EQ(0, cgp_stats(self->dev, &st));
	EXPECT_EQ(16ULL, st.idle);
	EXPECT_TRUE(cgp_stats_balanced(&st));
	for (i = 0; i < n; i++)
		EXPECT_EQ(0, cgp_release(self->dev, NULL, a[i].id));
}

/*
 * Recycle policy. Limits, files and a task that left: nothing to reclaim, so it must be
 * recycled.
 */
TEST_F_TIMEOUT(pool, recycle_indistinguishable, 180)
{
	if (!self->ok)
		return;
	ASSERT_EQ(0, resetup(self, RUND_CGPOOL_SETUP_RECYCLE));
	EXPECT_EQ(1, dirty_and_compare(_metadata, self, 0, 1));
}

/* Recycle policy, memory charged too: recycled when reclaim gets it to zero, else replaced. */
TEST_F_TIMEOUT(pool, recycle_charged_indistinguishable, 180)
{
	if (!self->ok)
		return;
	ASSERT_EQ(0, resetup(self, RUND_CGPOOL_SETUP_RECYCLE));
	EXPECT_LE(0, dirty_and_compare(_metadata, self, 1, 1));
}

/*
 * Default policy, memory charged: the dirty cgroup is removed at RELEASE; the next
 * sandbox gets a new one, counters at zero.
 */
TEST_F_TIMEOUT(pool, default_release_gives_new_cgroup, 180)
{
	if (!self->ok)
		return;
	EXPECT_EQ(0, dirty_and_compare(_metadata, self, 1, 0));
}

/* How many idle cgroups of the pool do not read @want in @file (-1: no idle cgroup) */
static int idle_not_reading(FIXTURE_DATA(pool) *self, const char *file, const char *want)
{
	DIR *d = opendir(self->pool);
	char path[PATH_MAX];
	struct dirent *e;
	int n = 0, seen = 0;

	while (d && (e = readdir(d))) {
		if (strncmp(e->d_name, RUND_CGPOOL_IDLE_PREFIX, strlen(RUND_CGPOOL_IDLE_PREFIX)))
			continue;
		cg_dir(self, e->d_name, path, sizeof(path));
		seen++;
		n += !!strcmp(val(path, file), want);
	}
	if (d)
		closedir(d);
	return seen ? n : -1;
}

/* ACQUIRE @name for @pid with CPUs @cpus; @path gets the sandbox cgroup's path */
static void acquire_cpus(struct __test_metadata *_metadata, FIXTURE_DATA(pool) *self,
			 const char *name, pid_t pid, const char *cpus, char *path, size_t len)
{
	struct rund_cgpool_limits lim = { .mask = RUND_CGPOOL_LIM_CPUSET_CPUS };
	struct rund_cgpool_acquire a;

	snprintf(lim.cpuset_cpus, sizeof(lim.cpuset_cpus), "%s", cpus);
	ASSERT_EQ(0, cgp_acquire(self->dev, name, pid, &lim, &a));
	cg_dir(self, a.path, path, len);
}

/*
 * v1: every cpuset.cpus write to a cpuset with sched_load_balance=1 rebuilds the sched
 * domains, walking every cpuset with CPUs (the pool's idle cgroups included) and their
 * tasks. Under a balancing pool dir, where a child's flag changes no domain, the pool's
 * cgroups get sched_load_balance=0 before their CPUs (module parameter cpuset_quiet); the
 * sandbox still runs on exactly its CPUs; with cgroup.clone_children too. Under a pool dir
 * that does not balance, and with cpuset_quiet=N, they keep the 1 a regular mkdir(2) gives. (The rebuilds themselves are
 * counted in bench/results/cpuset-quiet; a unit test does not time them.)
 */
TEST_F_TIMEOUT(pool, v1_cpuset_quiet, 180)
{
	static const char *const param = CGP_PARAM("cpuset_quiet");
	char path[PATH_MAX], proc[32];
	pid_t k;

	if (!self->ok)
		return;
	if (self->v2)
		SKIP(return, "cpuset.sched_load_balance is a v1 file");
	ASSERT_STREQ("1", val(self->pool, "cpuset.sched_load_balance"));
	ASSERT_STREQ("Y", val("/sys/module/" CGP_MOD "/parameters", "cpuset_quiet"));
	k = kid(self);
	ASSERT_LT(0, k);
	acquire_cpus(_metadata, self, "quiet", k, "0", path, sizeof(path));
	EXPECT_STREQ("0", val(path, "cpuset.sched_load_balance"));
	EXPECT_STREQ("0", val(path, "cpuset.cpus"));
	snprintf(proc, sizeof(proc), "/proc/%d", k);
	EXPECT_EQ(1, rt_file_has_line(proc, "status", "Cpus_allowed_list:\t0"));
	/* the idle ones too: their CPUs came from the pool dir */
	EXPECT_EQ(0, idle_not_reading(self, "cpuset.sched_load_balance", "0"));
	ASSERT_EQ(0, rt_attach(self->root, k));
	EXPECT_EQ(0, cgp_release(self->dev, "quiet", 0));

	/* clone_children: a new cpuset starts with the pool dir's CPUs; still quiet */
	ASSERT_EQ(0, cgp_teardown(self->dev, 0));
	ASSERT_EQ(0, rt_write_file(self->pool, "cgroup.clone_children", "1"));
	ASSERT_EQ(0, cgp_setup(self->dev, self->pool, 4, 2));
	acquire_cpus(_metadata, self, "cloned", 0, "0", path, sizeof(path));
	EXPECT_STREQ("0", val(path, "cpuset.sched_load_balance"));
	EXPECT_STREQ("0", val(path, "cpuset.cpus"));
	EXPECT_EQ(0, idle_not_reading(self, "cpuset.sched_load_balance", "0"));
	EXPECT_STREQ(val(self->pool, "cpuset.mems"), val(path, "cpuset.mems"));
	EXPECT_EQ(0, cgp_release(self->dev, "cloned", 0));
	ASSERT_EQ(0, cgp_teardown(self->dev, 0));
	ASSERT_EQ(0, rt_write_file(self->pool, "cgroup.clone_children", "0"));
	ASSERT_EQ(0, cgp_setup(self->dev, self->pool, 4, 2));

	/* a pool dir that does not balance: its children's flags make the domains */
	ASSERT_EQ(0, cgp_teardown(self->dev, 0));
	ASSERT_EQ(0, rt_write_file(self->pool, "cpuset.sched_load_balance", "0"));
	ASSERT_EQ(0, cgp_setup(self->dev, self->pool, 4, 2));
	acquire_cpus(_metadata, self, "balanced", 0, "0", path, sizeof(path));
	EXPECT_STREQ("1", val(path, "cpuset.sched_load_balance"));
	EXPECT_EQ(0, cgp_release(self->dev, "balanced", 0));
	ASSERT_EQ(0, cgp_teardown(self->dev, 0));
	ASSERT_EQ(0, rt_write_file(self->pool, "cpuset.sched_load_balance", "1"));

	/* cpuset_quiet=N: as before, for comparison */
	ASSERT_EQ(0, cgp_param_write(param, "N"));
	ASSERT_EQ(0, cgp_setup(self->dev, self->pool, 4, 2));
	acquire_cpus(_metadata, self, "loud", 0, "0", path, sizeof(path));
	EXPECT_STREQ("1", val(path, "cpuset.sched_load_balance"));
	EXPECT_EQ(0, cgp_release(self->dev, "loud", 0));
	EXPECT_EQ(0, cgp_param_write(param, "Y"));
}

#define WALK_PROBE	"cgpool_api_walk"

/*
 * tg_set_cfs_bandwidth() runs for every v1 cfs_quota_us / cfs_period_us write, and with it
 * one walk of every task group (__cfs_schedulable(); walk_tg_tree_from() is inlined there)
 */
static long walks(void)
{
	return rt_kprobe_hits(WALK_PROBE);
}

/* ACQUIRE @name with @lim: the walks it took (-1 if it failed) */
static long acquire_walks(FIXTURE_DATA(pool) *self, const char *name,
			  const struct rund_cgpool_limits *lim, struct rund_cgpool_acquire *a)
{
	long before = walks();

	return before < 0 || cgp_acquire(self->dev, name, 0, lim, a) ? -1 : walks() - before;
}

/* RELEASE @name and wait for its reset: the walks it took (-1 if RELEASE failed) */
static long release_walks(FIXTURE_DATA(pool) *self, const char *name)
{
	struct rund_cgpool_stats st;
	long before = walks();

	if (cgp_release(self->dev, name, 0) || cgp_stats(self->dev, &st))
		return -1;
	return walks() - before;
}

/*
 * v1: every cpu.cfs_quota_us or cpu.cfs_period_us write walks every task group on the
 * node, O(cgroups). A sandbox that asks for the period its cgroup already has (a new one
 * reads 100000) costs one walk, not three (quota lifted, period, quota); a recycled
 * cgroup's reset costs one (the quota lifted), and none when nothing was limited.
 * Another period lands, and its reset costs two (quota lifted, period). SET through rund.config (patched kernel) orders the pair
 * itself: only the module's own writes are counted there.
 */
TEST_F_TIMEOUT(pool, v1_cpu_bandwidth_walks, 180)
{
	struct rund_cgpool_limits lim = {
		.mask = RUND_CGPOOL_LIM_CPU, .cpu_quota_us = 50000, .cpu_period_us = 100000,
	};
	struct rund_cgpool_acquire a;
	struct rund_cgpool_stats st;
	char dir[PATH_MAX];
	int one_write;
	long walked;

	if (!self->ok)
		return;
	ASSERT_GT((int)sizeof(dir), snprintf(dir, sizeof(dir), "%s/rund.config", self->pool));
	one_write = !access(dir, F_OK);
	if (self->v2)
		SKIP(return, "cpu.max is one file: one write, one walk");
	if (rt_kprobe_add(WALK_PROBE, "tg_set_cfs_bandwidth"))
		SKIP(return, "no kprobe events in this kernel (%s)", strerror(errno));
	ASSERT_EQ(0, resetup(self, RUND_CGPOOL_SETUP_RECYCLE));
	walked = acquire_walks(self, "bw", &lim, &a);
	ASSERT_LE(0, walked);
	if (!one_write)
		EXPECT_EQ(1, walked) TH_LOG("SET quota 50000, period as it was");
	cg_dir(self, a.path, dir, sizeof(dir));
	EXPECT_STREQ("50000", val(dir, "cpu.cfs_quota_us"));
	EXPECT_STREQ("100000", val(dir, "cpu.cfs_period_us"));

	/* RESET at RELEASE (recycle policy): the quota lifted, the period as it was */
	EXPECT_EQ(1, release_walks(self, "bw")) TH_LOG("RESET of quota 50000 / period 100000");
	ASSERT_EQ(0, cgp_stats(self->dev, &st));
	EXPECT_EQ(1ULL, st.recycled);

	/* never limited: RESET writes nothing */
	ASSERT_EQ(0, cgp_acquire(self->dev, "free", 0, NULL, &a));
	EXPECT_EQ(0, release_walks(self, "free")) TH_LOG("RESET of a cgroup never limited");

	/* another period: the period, then the quota (-1 already: nothing to lift) */
	lim.cpu_quota_us = 20000;
	lim.cpu_period_us = 50000;
	walked = acquire_walks(self, "bw2", &lim, &a);
	ASSERT_LE(0, walked);
	if (!one_write)
		EXPECT_EQ(2, walked) TH_LOG("SET quota 20000, period 50000");
	cg_dir(self, a.path, dir, sizeof(dir));
	EXPECT_STREQ("20000", val(dir, "cpu.cfs_quota_us"));
	EXPECT_STREQ("50000", val(dir, "cpu.cfs_period_us"));
	EXPECT_EQ(2, release_walks(self, "bw2")) TH_LOG("RESET of quota 20000 / period 50000");
	EXPECT_EQ(0, rt_kprobe_del(WALK_PROBE));
}

/* SETUP flags: RECYCLE shows in STATS pool_flags; unknown flags, reserved fields refused */
TEST_F(pool, setup_flags)
{
	struct rund_cgpool_setup s = { .size = sizeof(s), .pool_size = 1,
					.flags = RUND_CGPOOL_SETUP_RECYCLE | 1U << 7 };
	struct rund_cgpool_stats st;

	if (!self->ok)
		return;
	ASSERT_EQ(0, resetup(self, RUND_CGPOOL_SETUP_RECYCLE));
	ASSERT_EQ(0, cgp_stats(self->dev, &st));
	EXPECT_TRUE(!!(st.pool_flags & RUND_CGPOOL_POOL_RECYCLE));
	EXPECT_TRUE(!!(st.pool_flags & RUND_CGPOOL_POOL_SETUP));
	ASSERT_EQ(0, cgp_teardown(self->dev, 0));
	s.dirfd = open(self->pool, O_PATH | O_DIRECTORY | O_CLOEXEC);
	ASSERT_LE(0, s.dirfd);
	reject(_metadata, self, RUND_CGPOOL_IOC_SETUP, &s, EINVAL, "SETUP: unknown flags 0x80\n");
	s.flags = 0;
	s.reserved = 1;
	reject(_metadata, self, RUND_CGPOOL_IOC_SETUP, &s, EINVAL, "SETUP: reserved field set\n");
	close(s.dirfd);
	EXPECT_EQ(0, cgp_children(self->pool));
	ASSERT_EQ(0, cgp_setup(self->dev, self->pool, 4, 2));
	ASSERT_EQ(0, cgp_stats(self->dev, &st));
	EXPECT_EQ(0U, st.pool_flags & RUND_CGPOOL_POOL_RECYCLE);
}

TEST_F(pool, bad_names)
{
	static const struct { const char *name; int err; const char *needle; } cases[] = {
		{ "a/b", EINVAL, "contains '/'" },
		{ "a\nb", EINVAL, "contains a newline" },
		{ ".", EINVAL, "invalid name '.'" },
		{ "..", EINVAL, "invalid name '..'" },
		{ "", EINVAL, "empty name" },
		{ ".rund-idle-1", EINVAL, "reserved prefix" },
	};
	struct rund_cgpool_acquire a;

	if (!self->ok)
		return;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		acquire_req(&a, cases[i].name, 0);
		reject(_metadata, self, RUND_CGPOOL_IOC_ACQUIRE, &a, cases[i].err, cases[i].needle);
	}
	/* NAME_MAX + 1 bytes without a NUL */
	acquire_req(&a, "", 0);
	memset(a.name, 'n', sizeof(a.name));
	reject(_metadata, self, RUND_CGPOOL_IOC_ACQUIRE, &a, ENAMETOOLONG, "longer than NAME_MAX");
	/* exactly NAME_MAX is fine */
	a.name[NAME_MAX] = '\0';
	EXPECT_EQ(0, cgp_ioctl(self->dev, RUND_CGPOOL_IOC_ACQUIRE, &a));
	EXPECT_EQ(0, cgp_release(self->dev, a.name, 0));
}

TEST_F_TIMEOUT(pool, bad_requests, 120)
{
	struct rund_cgpool_acquire a;
	struct rund_cgpool_release r = { .size = sizeof(r) };
	struct rund_cgpool_lookup l = { .size = sizeof(l) };
	struct rund_cgpool_stats st = { .size = sizeof(st) };
	pid_t owner, dead;

	if (!self->ok)
		return;
	/* duplicate name */
	ASSERT_EQ(0, cgp_acquire(self->dev, "dup", 0, NULL, &a));
	acquire_req(&a, "dup", 0);
	reject(_metadata, self, RUND_CGPOOL_IOC_ACQUIRE, &a, EEXIST, "already holds a cgroup");
	/* a foreign child of the pool dir with the name (only a rename can collide) */
	if (self->rename) {
		char foreign[PATH_MAX];

		cg_dir(self, "foreign", foreign, sizeof(foreign));
		ASSERT_EQ(0, rt_mkdir_cg(foreign));
		acquire_req(&a, "foreign", 0);
		reject(_metadata, self, RUND_CGPOOL_IOC_ACQUIRE, &a, EEXIST,
		       "has an entry of that name");
		ASSERT_EQ(0, rmdir(foreign));
	}
	/* unknown name / id */
	snprintf(r.name, sizeof(r.name), "nope");
	reject(_metadata, self, RUND_CGPOOL_IOC_RELEASE, &r, ENOENT, "no acquired sandbox named 'nope'");
	r.name[0] = '\0';
	r.id = 123456789;
	reject(_metadata, self, RUND_CGPOOL_IOC_RELEASE, &r, ENOENT, "with cgroup id 123456789");
	snprintf(l.name, sizeof(l.name), "nope");
	reject(_metadata, self, RUND_CGPOOL_IOC_LOOKUP, &l, ENOENT, "LOOKUP: no acquired sandbox");
	/* both or neither of name and id */
	snprintf(r.name, sizeof(r.name), "dup");
	reject(_metadata, self, RUND_CGPOOL_IOC_RELEASE, &r, EINVAL, "exactly one of name and id");
	r.name[0] = '\0';
	r.id = 0;
	reject(_metadata, self, RUND_CGPOOL_IOC_RELEASE, &r, EINVAL, "exactly one of name and id");
	/* a pid that does not exist */
	dead = fork();
	ASSERT_LE(0, dead);
	if (dead == 0)
		_exit(0);
	waitpid(dead, NULL, 0);
	acquire_req(&a, "ghost", dead);
	reject(_metadata, self, RUND_CGPOOL_IOC_ACQUIRE, &a, ESRCH, "no process with pid");
	acquire_req(&a, "ghost", -5);
	reject(_metadata, self, RUND_CGPOOL_IOC_ACQUIRE, &a, ESRCH, "no process with pid -5");
	/* a pid in another sandbox's cgroup */
	owner = kid(self);
	ASSERT_LT(0, owner);
	ASSERT_EQ(0, cgp_acquire(self->dev, "owner", owner, NULL, &a));
	acquire_req(&a, "thief", owner);
	reject(_metadata, self, RUND_CGPOOL_IOC_ACQUIRE, &a, EBUSY, "belongs to sandbox 'owner'");
	/* RELEASE of a cgroup with tasks */
	snprintf(r.name, sizeof(r.name), "owner");
	reject(_metadata, self, RUND_CGPOOL_IOC_RELEASE, &r, ENOTEMPTY, "still has tasks or child");
	/* TEARDOWN while sandboxes hold cgroups; rmmod refused likewise */
	do {
		struct rund_cgpool_teardown t = { .size = sizeof(t) };

		reject(_metadata, self, RUND_CGPOOL_IOC_TEARDOWN, &t, EBUSY, "still held by sandboxes");
		t.flags = RUND_CGPOOL_TEARDOWN_KEEP_BUSY | 0x80;
		reject(_metadata, self, RUND_CGPOOL_IOC_TEARDOWN, &t, EINVAL,
		       "TEARDOWN: unknown flags 0x80\n");
	} while (0);
	/* RELEASE of a cgroup the sandbox made a child cgroup in */
	do {
		struct rund_cgpool_acquire n;
		char sub[PATH_MAX], dir[PATH_MAX];

		ASSERT_EQ(0, cgp_acquire(self->dev, "nest", 0, NULL, &n));
		cg_dir(self, n.path, dir, sizeof(dir));
		ASSERT_EQ(0, rt_path(sub, sizeof(sub), dir, "sub"));
		ASSERT_EQ(0, rt_mkdir_cg(sub));
		memset(&r, 0, sizeof(r));
		r.size = sizeof(r);
		r.id = n.id;
		reject(_metadata, self, RUND_CGPOOL_IOC_RELEASE, &r, ENOTEMPTY, "child cgroups");
		ASSERT_EQ(0, rmdir(sub));
		EXPECT_EQ(0, cgp_release(self->dev, NULL, n.id));
	} while (0);
	kill_kids(self);
	EXPECT_EQ(0, cgp_release(self->dev, "owner", 0));
	EXPECT_EQ(0, cgp_release(self->dev, "dup", 0));
	/* SETUP twice */
	do {
		struct rund_cgpool_setup s = {
			.size = sizeof(s), .pool_size = 1,
			.dirfd = open(self->pool, O_PATH | O_DIRECTORY),
		};

		reject(_metadata, self, RUND_CGPOOL_IOC_SETUP, &s, EALREADY, "already set up");
		close(s.dirfd);
	} while (0);
	/* flags and reserved fields */
	acquire_req(&a, "flags", 0);
	a.flags = RUND_CGPOOL_ACQUIRE_PIDFD | 4;
	reject(_metadata, self, RUND_CGPOOL_IOC_ACQUIRE, &a, EINVAL, "ACQUIRE: unknown flags 0x4\n");
	st.flags = RUND_CGPOOL_STATS_SYNC | 0x10;
	reject(_metadata, self, RUND_CGPOOL_IOC_STATS, &st, EINVAL, "STATS: unknown flags 0x10\n");
	/* unknown ioctl */
	reject(_metadata, self, _IOW(RUND_CGPOOL_IOC_MAGIC, 0x9f, int), &st, ENOTTY, "unknown ioctl");
}

TEST_F(pool, bad_limits)
{
	static const struct { struct rund_cgpool_limits lim; const char *needle; } cases[] = {
		{ { .mask = RUND_CGPOOL_LIM_CPU, .cpu_quota_us = 50000, .cpu_period_us = 10 },
		  "cpu quota 50000 us / period 10 us out of range" },
		{ { .mask = RUND_CGPOOL_LIM_CPU, .cpu_quota_us = 5, .cpu_period_us = 100000 },
		  "cpu quota 5 us" },
		{ { .mask = RUND_CGPOOL_LIM_MEMORY, .memory_max = 1 }, "memory max 1 out of range" },
		{ { .mask = RUND_CGPOOL_LIM_PIDS, .pids_max = 0 }, "pids max 0 out of range" },
		{ { .mask = RUND_CGPOOL_LIM_CPUSET_CPUS, .cpuset_cpus = "0;rm" }, "cpuset list" },
		{ { .mask = 1U << 12 }, "unknown limit bits 0x1000" },
	};
	struct rund_cgpool_acquire a;
	struct rund_cgpool_setup s = { .size = sizeof(s), .dirfd = -1, .pool_size = 1 };

	if (!self->ok)
		return;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		acquire_req(&a, "lim", 0);
		a.limits = cases[i].lim;
		reject(_metadata, self, RUND_CGPOOL_IOC_ACQUIRE, &a, ERANGE, cases[i].needle);
	}
	/*
	 * In range for the module, refused by the kernel: rolled back. One field goes to
	 * its own file; more than one, on the fast backend (a CONFIG_CGROUP_RUND kernel),
	 * in one write to rund.config.
	 */
	acquire_req(&a, "lim", 0);
	a.limits.mask = RUND_CGPOOL_LIM_CPUSET_CPUS;
	snprintf(a.limits.cpuset_cpus, sizeof(a.limits.cpuset_cpus), "4095");
	reject(_metadata, self, RUND_CGPOOL_IOC_ACQUIRE, &a, ERANGE,
	       "writing '4095' to cpuset.cpus failed");
	a.limits.mask |= RUND_CGPOOL_LIM_PIDS;
	a.limits.pids_max = 10;
	reject(_metadata, self, RUND_CGPOOL_IOC_ACQUIRE, &a, ERANGE,
	       strcmp(self->backend, "fast") ? "writing '4095' to cpuset.cpus failed" :
	       "writing 'cpuset.cpus=4095 pids.max=10' to rund.config failed");
	/* pool sizes (checked before the pool is looked at: a second SETUP) */
	s.pool_size = 0;
	reject(_metadata, self, RUND_CGPOOL_IOC_SETUP, &s, ERANGE, "pool size 0");
	s.pool_size = 2;
	s.low_watermark = 3;
	reject(_metadata, self, RUND_CGPOOL_IOC_SETUP, &s, ERANGE, "low watermark 3");
}

TEST_F(pool, bad_struct_size_and_caller)
{
	struct rund_cgpool_stats st = { .size = 4 };
	struct { struct rund_cgpool_release r; uint64_t more; } big = { 0 };
	pid_t child;
	int status;

	if (!self->ok)
		return;
	reject(_metadata, self, RUND_CGPOOL_IOC_STATS, &st, EMSGSIZE, "STATS: struct size 4");
	st.size = 8192;
	reject(_metadata, self, RUND_CGPOOL_IOC_STATS, &st, EMSGSIZE, "STATS: struct size 8192");
	big.r.size = sizeof(big);
	snprintf(big.r.name, sizeof(big.r.name), "x");
	big.more = 1;
	reject(_metadata, self, RUND_CGPOOL_IOC_RELEASE, &big, E2BIG, "unknown non-zero fields");
	reject(_metadata, self, RUND_CGPOOL_IOC_STATS, NULL, EFAULT, "STATS: bad argument pointer");
	/* without CAP_SYS_ADMIN */
	kmsg_drain(self);
	child = fork();
	ASSERT_LE(0, child);
	if (child == 0) {
		struct rund_cgpool_stats s2 = { .size = sizeof(s2) };

		if (setresuid(65534, 65534, 65534))
			_exit(2);
		_exit(cgp_ioctl(self->dev, RUND_CGPOOL_IOC_STATS, &s2) == EPERM ? 0 : 1);
	}
	ASSERT_EQ(child, waitpid(child, &status, 0));
	EXPECT_EQ(0, status);
	one_line(_metadata, self, "STATS: caller lacks CAP_SYS_ADMIN");
}

/* SETUP's own errors: checked on a second module instance state (no pool set up). */
TEST_F_TIMEOUT(pool, setup_errors_and_no_pool, 120)
{
	struct rund_cgpool_acquire a;
	struct rund_cgpool_release r = { .size = sizeof(r), .id = 1 };
	struct rund_cgpool_setup s = { .size = sizeof(s), .pool_size = 2 };
	char file[PATH_MAX];

	if (!self->ok)
		return;
	ASSERT_EQ(0, cgp_teardown(self->dev, 0));
	EXPECT_EQ(0, cgp_children(self->pool)) TH_LOG("idle cgroups left after TEARDOWN");
	acquire_req(&a, "early", 0);
	reject(_metadata, self, RUND_CGPOOL_IOC_ACQUIRE, &a, ENODEV, "ACQUIRE: no pool set up");
	reject(_metadata, self, RUND_CGPOOL_IOC_RELEASE, &r, ENODEV, "RELEASE: no pool set up");
	do {
		struct rund_cgpool_teardown t = { .size = sizeof(t) };

		reject(_metadata, self, RUND_CGPOOL_IOC_TEARDOWN, &t, ENODEV, "TEARDOWN: no pool set up");
	} while (0);
	s.dirfd = -1;
	reject(_metadata, self, RUND_CGPOOL_IOC_SETUP, &s, EBADF, "dirfd -1 is not an open file");
	s.dirfd = open("/tmp", O_PATH | O_DIRECTORY);
	reject(_metadata, self, RUND_CGPOOL_IOC_SETUP, &s, ENOTDIR, "is not on a cgroup filesystem");
	close(s.dirfd);
	ASSERT_EQ(0, rt_path(file, sizeof(file), self->pool, "cgroup.procs"));
	s.dirfd = open(file, O_PATH);
	reject(_metadata, self, RUND_CGPOOL_IOC_SETUP, &s, ENOTDIR, "dirfd is not a directory");
	close(s.dirfd);
	/* and the pool comes back */
	ASSERT_EQ(0, cgp_setup(self->dev, self->pool, 4, 2));
	EXPECT_EQ(4, cgp_children(self->pool));
}

/*
 * Sandboxes survive a module reload: TEARDOWN(KEEP_BUSY) + rmmod leave their cgroups
 * (and nothing else); insmod + SETUP on the same directory adopts them by name. Released
 * afterwards, the default policy removes them like any other.
 */
TEST_F_TIMEOUT(pool, reload_adopts, 180)
{
	struct rund_cgpool_acquire k1, k2;
	struct rund_cgpool_lookup l;
	struct rund_cgpool_stats st;
	unsigned long long destroyed;
	char dir[PATH_MAX];
	struct stat sb;
	pid_t child;

	if (!self->ok)
		return;
	child = kid(self);
	ASSERT_LT(0, child);
	ASSERT_EQ(0, cgp_acquire(self->dev, "keep1", child, NULL, &k1));
	ASSERT_EQ(0, cgp_acquire(self->dev, "keep2", 0, NULL, &k2));
	/* busy cgroups pin the module even with the device closed */
	close(self->dev);
	EXPECT_EQ(EWOULDBLOCK, cgp_unload());
	self->dev = cgp_open();
	ASSERT_LE(0, self->dev);
	ASSERT_EQ(0, cgp_teardown(self->dev, RUND_CGPOOL_TEARDOWN_KEEP_BUSY));
	EXPECT_EQ(2, cgp_children(self->pool)) TH_LOG("only the two sandboxes stay");
	close(self->dev);
	self->dev = -1;
	ASSERT_EQ(0, cgp_unload());
	cg_dir(self, k1.path, dir, sizeof(dir));
	EXPECT_TRUE(in_cgroup(self, child, k1.path));

	ASSERT_EQ(0, cgp_load(NULL));
	self->dev = cgp_open();
	ASSERT_LE(0, self->dev);
	ASSERT_EQ(0, cgp_setup(self->dev, self->pool, 4, 2));
	ASSERT_EQ(0, cgp_stats(self->dev, &st));
	EXPECT_EQ(2ULL, st.adopted);
	EXPECT_EQ(2ULL, st.busy);
	EXPECT_EQ(4ULL, st.idle);
	EXPECT_TRUE(cgp_stats_balanced(&st));
	ASSERT_EQ(0, cgp_lookup(self->dev, "keep1", 0, &l));
	EXPECT_EQ(k1.id, l.id);
	EXPECT_STREQ(k1.path, l.path);
	ASSERT_EQ(0, cgp_lookup(self->dev, NULL, k2.id, &l));
	EXPECT_STREQ("keep2", l.name);
	EXPECT_EQ(ENOTEMPTY, cgp_release(self->dev, "keep1", 0));
	destroyed = st.destroyed;
	EXPECT_EQ(0, cgp_release(self->dev, "keep2", 0));
	kill_kids(self);
	EXPECT_EQ(0, cgp_release(self->dev, NULL, k1.id));
	ASSERT_EQ(0, cgp_stats(self->dev, &st));
	EXPECT_EQ(0ULL, st.busy);
	EXPECT_EQ(4ULL, st.idle);	/* the pool keeps its size */
	EXPECT_EQ(0ULL, st.recycled);
	EXPECT_EQ(destroyed + 2, st.destroyed);
	EXPECT_TRUE(cgp_stats_balanced(&st));
	EXPECT_NE(0, stat(dir, &sb)) TH_LOG("%s still there after RELEASE", dir);
	EXPECT_EQ(4, cgp_children(self->pool));
}

/* v1 with one controller per hierarchy: SETUP names what is missing. */
TEST(v1_separate_refused)
{
	char root[PATH_MAX], pool[PATH_MAX], line[512];
	int v2, sep, dev, kmsg, err, m;

	ASSERT_EQ(0, cgp_find_root(root, sizeof(root), &v2, &sep));
	if (!sep)
		SKIP(return, "hierarchy has the sandbox controllers co-mounted");
	err = cgp_load(NULL);
	ASSERT_TRUE(!err || err == EEXIST);
	dev = cgp_open();
	ASSERT_LE(0, dev);
	ASSERT_GT((int)sizeof(pool), snprintf(pool, sizeof(pool), "%s/cgpool-sep-%d", root, getpid()));
	ASSERT_EQ(0, rt_mkdir_cg(pool));
	kmsg = rt_kmsg_open();
	EXPECT_EQ(EOPNOTSUPP, cgp_setup(dev, pool, 2, 1));
	EXPECT_EQ(1, cgp_kmsg_read(kmsg, "lacks controllers: cpu cpuset pids", line, sizeof(line), &m));
	EXPECT_TRUE(m) TH_LOG("dmesg: %s", line);
	EXPECT_EQ(0, cgp_children(pool)) TH_LOG("the probe cgroup was left behind");
	close(kmsg);
	close(dev);
	EXPECT_EQ(0, cgp_unload());
	EXPECT_EQ(0, rmdir(pool));
}

/* backend= picks the backend at load time; an unknown one fails the load with a reason. */
TEST(backend_param)
{
	struct rund_cgpool_stats st = { .size = sizeof(st) };
	char line[512], have[32];
	int kmsg, m, err, dev;

	cgp_unload();
	kmsg = rt_kmsg_open();
	ASSERT_LE(0, kmsg);
	EXPECT_EQ(EINVAL, cgp_load("backend=bogus"));
	EXPECT_EQ(1, cgp_kmsg_read(kmsg, "unknown backend 'bogus'", line, sizeof(line), &m));
	EXPECT_TRUE(m) TH_LOG("dmesg: %s", line);
	/* fast: only on a kernel with CONFIG_CGROUP_RUND */
	err = cgp_load("backend=fast");
	if (err) {
		EXPECT_EQ(EINVAL, err);
		EXPECT_EQ(1, cgp_kmsg_read(kmsg, "needs a kernel with CONFIG_CGROUP_RUND", line,
					   sizeof(line), &m));
		EXPECT_TRUE(m) TH_LOG("dmesg: %s", line);
	} else {
		EXPECT_LT(0, rt_read_file("/sys/module/" CGP_MOD "/parameters", "backend", have,
					  sizeof(have)));
		EXPECT_STREQ("fast\n", have);
		EXPECT_EQ(0, cgp_unload());
	}
	/* compat: always */
	ASSERT_EQ(0, cgp_load("backend=compat"));
	dev = cgp_open();
	ASSERT_LE(0, dev);
	EXPECT_EQ(0, cgp_ioctl(dev, RUND_CGPOOL_IOC_STATS, &st));
	EXPECT_STREQ("compat", st.backend);
	EXPECT_EQ(0U, st.pool_flags);		/* no pool yet */
	close(dev);
	close(kmsg);
	EXPECT_EQ(0, cgp_unload());
}

TEST_HARNESS_MAIN
