// SPDX-License-Identifier: GPL-2.0
/*
 * cgroup_pool: plain mkdir(2) served from pre-created cgroups (patches/host 0005-0006,
 * rund_cgpool's fast backend as the provider).
 *
 * The module is loaded with mkdir_reserve=RESERVE and a pool is set up on a fresh
 * directory with RUND_CGPOOL_SETUP_MKDIR (pooling plain mkdir(2) is that directory's
 * opt-in). What the kernel says is the truth these tests check against, not the
 * module's counters:
 *  - withheld children = cgroup.stat nr_descendants - the subdirectories readdir shows;
 *  - a mkdir(2) was served from the reserve when the new cgroup's id (its inode number,
 *    allocated in increasing order) is older than a sentinel cgroup made just before.
 *
 * On a kernel without the patches (compat backend) every test skips, unless
 * /rund/expect-patched says the kernel has them: then it fails.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <ftw.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <mntent.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/fsuid.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <linux/rund_cgpool.h>

#include "kselftest_harness.h"
#include "rund_test.h"

#define KO		"/rund/modules/rund_cgpool.ko"
#define PARAM_DIR	"/sys/module/rund_cgpool/parameters"
#define RESERVE		4
#define NR_RACERS	8
#define NR_RACES	30

/* The hierarchy a pool can live on: cgroup2, else a v1 mount carrying memory and cpu. */
static int find_pool_root(char *root, size_t len, int *v2)
{
	FILE *f = setmntent("/proc/self/mounts", "r");
	struct mntent *m;
	int found = 0;

	if (!f)
		return -1;
	while (!found && (m = getmntent(f))) {
		if (!strcmp(m->mnt_type, "cgroup2"))
			*v2 = found = 1;
		else if (!strcmp(m->mnt_type, "cgroup") && hasmntopt(m, "memory") &&
			 hasmntopt(m, "cpu"))
			found = 1;
		if (found)
			snprintf(root, len, "%s", m->mnt_dir);
	}
	endmntent(f);
	return found ? 0 : -1;
}

static unsigned long long cg_id(const char *dir)
{
	struct stat st;

	return stat(dir, &st) ? 0 : (unsigned long long)st.st_ino;
}

/* nr_descendants from @dir's cgroup.stat, -1 on error */
static long nr_descendants(const char *dir)
{
	char buf[256], *p;

	if (rt_read_file(dir, "cgroup.stat", buf, sizeof(buf)) < 0)
		return -1;
	p = strstr(buf, "nr_descendants ");
	return p ? strtol(p + strlen("nr_descendants "), NULL, 10) : -1;
}

FIXTURE(pool) {
	char root[PATH_MAX];
	char dir[PATH_MAX];	/* the pool directory */
	char side[PATH_MAX];	/* a plain directory, for sentinels */
	int v2;
	int dev;		/* -1: no fast pool here (stock kernel); tests skip */
	char why[64];
};

/* kselftest's FIXTURE_SETUP cannot skip the test body in 6.1: every body starts here */
#define NEED_POOL() do {						\
	if (self->dev < 0)						\
		SKIP(return, "%s", self->why);				\
} while (0)

/* subdirectories of @dir readdir shows; with @deep, of the whole subtree */
static long nr_visible(const char *dir, int deep)
{
	DIR *d = opendir(dir);
	char path[PATH_MAX];
	struct dirent *e;
	long n = 0;

	if (!d)
		return -1;
	while ((e = readdir(d))) {
		if (e->d_type != DT_DIR || !strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		n++;
		if (deep && !rt_path(path, sizeof(path), dir, e->d_name))
			n += nr_visible(path, deep);
	}
	closedir(d);
	return n;
}

/* num_cgroups of the memory controller's hierarchy in /proc/cgroups, -1 on error */
static long v1_num_cgroups(void)
{
	char buf[4096], *line, *save;
	long n = -1;

	if (rt_read_file("/proc", "cgroups", buf, sizeof(buf)) < 0)
		return -1;
	for (line = strtok_r(buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save))
		if (sscanf(line, "memory %*d %ld", &n) == 1)
			break;
	return n;
}

/*
 * Withheld children of the pool dir. v2: its nr_descendants minus what readdir shows.
 * v1 has no cgroup.stat: every cgroup of the hierarchy (/proc/cgroups, which also counts
 * removed cgroups until they are freed) minus the root and every visible directory.
 */
static long nr_withheld(FIXTURE_DATA(pool) *self)
{
	if (self->v2)
		return nr_descendants(self->dir) - nr_visible(self->dir, 0);
	return v1_num_cgroups() - 1 - nr_visible(self->root, 1);
}

/* Wait (up to 20 s: TCG is slow) until the pool dir holds @want withheld children. */
static int wait_withheld(FIXTURE_DATA(pool) *self, long want)
{
	for (int i = 0; i < 2000; i++) {
		if (nr_withheld(self) == want)
			return 0;
		usleep(10000);
	}
	return -1;
}

static int set_reserve(unsigned int n)
{
	char buf[16];

	snprintf(buf, sizeof(buf), "%u", n);
	return rt_write_file(PARAM_DIR, "mkdir_reserve", buf);
}

static int load_module(const char *params)
{
	int fd = open(KO, O_RDONLY | O_CLOEXEC), ret;

	if (fd < 0)
		return -1;
	ret = syscall(SYS_finit_module, fd, params, 0);
	close(fd);
	return ret;
}

static int unload_module(void)
{
	for (int i = 0; i < 100; i++) {
		if (!syscall(SYS_delete_module, "rund_cgpool", O_NONBLOCK) || errno == ENOENT)
			return 0;
		usleep(50000);	/* a mkdir(2) in flight holds the module */
	}
	return -1;
}


/* SETUP a pool on @dir: @size idle, @low watermark, RUND_CGPOOL_SETUP_* @flags */
static int pool_set_up(int dev, const char *dir, unsigned int size, unsigned int low,
		      unsigned int flags)
{
	struct rund_cgpool_setup s = {
		.size = sizeof(s),
		.flags = flags,
		.pool_size = size,
		.low_watermark = low,
	};
	int ret;

	s.dirfd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (s.dirfd < 0)
		return errno;
	ret = ioctl(dev, RUND_CGPOOL_IOC_SETUP, &s) ? errno : 0;
	close(s.dirfd);
	return ret;
}

static int pool_tear_down(int dev)
{
	struct rund_cgpool_teardown t = { .size = sizeof(t) };

	return ioctl(dev, RUND_CGPOOL_IOC_TEARDOWN, &t) ? errno : 0;
}

FIXTURE_SETUP(pool)
{
	char backend[32] = "", name[32];
	int patched = !access("/rund/expect-patched", F_OK);

	self->dev = -1;
	snprintf(self->why, sizeof(self->why), "no cgroup2 or co-mounted v1 hierarchy");
	if (find_pool_root(self->root, sizeof(self->root), &self->v2))
		return;
	ASSERT_EQ(0, unload_module());
	ASSERT_EQ(0, load_module("mkdir_reserve=4")) TH_LOG("insmod: %s", strerror(errno));
	rt_read_file(PARAM_DIR, "backend", backend, sizeof(backend));
	if (strcmp(backend, "fast\n")) {
		unload_module();
		if (patched)
			ASSERT_TRUE(0) TH_LOG("patched kernel, but module backend is %s", backend);
		snprintf(self->why, sizeof(self->why), "module backend %s: needs the host patches",
			 backend);
		return;
	}
	if (self->v2)
		rt_write_file(self->root, "cgroup.subtree_control", "+cpu +cpuset +memory +pids +io");
	snprintf(name, sizeof(name), "pool-%d", getpid());
	ASSERT_EQ(0, rt_path(self->dir, sizeof(self->dir), self->root, name));
	snprintf(name, sizeof(name), "side-%d", getpid());
	ASSERT_EQ(0, rt_path(self->side, sizeof(self->side), self->root, name));
	ASSERT_EQ(0, rt_mkdir_cg(self->dir));
	ASSERT_EQ(0, rt_mkdir_cg(self->side));

	self->dev = open(RUND_CGPOOL_DEVICE, O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, self->dev);
	ASSERT_EQ(0, pool_set_up(self->dev, self->dir, 2, 1, RUND_CGPOOL_SETUP_MKDIR));
	ASSERT_EQ(0, wait_withheld(self, RESERVE))
		TH_LOG("reserve never reached %d (withheld now %ld)", RESERVE, nr_withheld(self));
}

static void rm_children(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	char path[PATH_MAX];

	if (!d)
		return;
	while ((e = readdir(d)))
		if (e->d_type == DT_DIR && strcmp(e->d_name, ".") && strcmp(e->d_name, "..") &&
		    strncmp(e->d_name, RUND_CGPOOL_IDLE_PREFIX, strlen(RUND_CGPOOL_IDLE_PREFIX)) &&
		    !rt_path(path, sizeof(path), dir, e->d_name))
			rmdir(path);
	closedir(d);
}

FIXTURE_TEARDOWN(pool)
{
	if (self->dev < 0)
		return;
	rm_children(self->dir);
	EXPECT_EQ(0, pool_tear_down(self->dev));
	close(self->dev);
	EXPECT_EQ(0, unload_module());
	/* nothing withheld survives the pool: all children visible, then none */
	EXPECT_EQ(0, wait_withheld(self, 0));
	EXPECT_EQ(0, nr_visible(self->dir, 0));
	rmdir(self->dir);
	rmdir(self->side);
}

/* STATS_SYNC: wait for the module's background work (refills of the reserve too) */
static int stats_sync(FIXTURE_DATA(pool) *self)
{
	struct rund_cgpool_stats st = { .size = sizeof(st), .flags = RUND_CGPOOL_STATS_SYNC };

	return ioctl(self->dev, RUND_CGPOOL_IOC_STATS, &st) ? errno : 0;
}

/*
 * mkdir @name in the pool dir; 1 if served from the reserve, 0 if created, -1 on error.
 * Served means made before a sentinel cgroup made just before it (cgroup ids grow): a
 * refill of the reserve running in between would make a cgroup that, handed out, counts as
 * not served. After a served mkdir (a claim queues a paced refill), wait for it first
 * (stats_sync()).
 */
static int pool_mkdir(FIXTURE_DATA(pool) *self, const char *name, char *path, size_t len)
{
	char sentinel[PATH_MAX];
	unsigned long long sid;

	if (rt_path(sentinel, sizeof(sentinel), self->side, "sentinel") || mkdir(sentinel, 0755))
		return -1;
	sid = cg_id(sentinel);
	rmdir(sentinel);
	if (rt_path(path, len, self->dir, name) || rt_mkdir_cg(path))
		return -1;
	return cg_id(path) < sid;
}

/* the module's own count of served mkdir(2)s, -1 on error */
static long long served(FIXTURE_DATA(pool) *self)
{
	struct rund_cgpool_stats st = { .size = sizeof(st) };

	return ioctl(self->dev, RUND_CGPOOL_IOC_STATS, &st) ? -1 : (long long)st.mkdir_served;
}

TEST_F(pool, served_mkdir_is_a_fresh_cgroup)
{
	char x[PATH_MAX], buf[256], line[64];
	pid_t child;

	NEED_POOL();
	ASSERT_EQ(0, served(self));
	ASSERT_EQ(1, pool_mkdir(self, "box", x, sizeof(x))) TH_LOG("mkdir not served");
	EXPECT_EQ(1, served(self));
	EXPECT_EQ(0, rt_read_file(x, "cgroup.procs", buf, sizeof(buf)));
	if (self->v2) {
		EXPECT_LT(0, rt_read_file(x, "memory.max", buf, sizeof(buf)));
		EXPECT_STREQ("max\n", buf);
		EXPECT_LT(0, rt_read_file(x, "pids.max", buf, sizeof(buf)));
		EXPECT_STREQ("max\n", buf);
		EXPECT_LT(0, rt_read_file(x, "cpu.max", buf, sizeof(buf)));
		EXPECT_STREQ("max 100000\n", buf);
		EXPECT_EQ(0, rt_write_file(x, "memory.max", "67108864"));
	} else {
		EXPECT_LT(0, rt_read_file(x, "cpu.cfs_quota_us", buf, sizeof(buf)));
		EXPECT_STREQ("-1\n", buf);
		EXPECT_EQ(0, rt_write_file(x, "memory.limit_in_bytes", "67108864"));
	}
	/* a directory like any other: mode 0755 from mkdir(2), owned by root */
	struct stat st;

	ASSERT_EQ(0, stat(x, &st));
	EXPECT_EQ(0755U, st.st_mode & 07777);
	EXPECT_EQ(0U, st.st_uid);

	child = rt_spawn_sleeper();
	ASSERT_LT(0, child);
	ASSERT_EQ(0, rt_attach(x, child));
	snprintf(line, sizeof(line), "%d", child);
	EXPECT_EQ(1, rt_file_has_line(x, "cgroup.procs", line));
	snprintf(line, sizeof(line), "/pool-%d/box\n", getpid());
	EXPECT_LE(1, rt_proc_cgroup_count(child, line));
	EXPECT_EQ(-1, rmdir(x));
	EXPECT_EQ(EBUSY, errno);
	rt_kill_wait(child);
	EXPECT_EQ(0, rmdir(x));
	EXPECT_EQ(-1, access(x, F_OK));
	/* the name is free again, and a second mkdir is served too (the refill done first) */
	ASSERT_EQ(0, stats_sync(self));
	EXPECT_EQ(1, pool_mkdir(self, "box", x, sizeof(x)));
	EXPECT_EQ(0, rmdir(x));
}

struct race {
	const char *path;
	pthread_barrier_t *bar;
	int err;
};

static void *racer(void *arg)
{
	struct race *r = arg;

	pthread_barrier_wait(r->bar);
	r->err = mkdir(r->path, 0755) ? errno : 0;
	return NULL;
}

TEST_F(pool, racing_mkdir_of_one_name_one_wins)
{
	struct race r[NR_RACERS];
	pthread_t th[NR_RACERS];
	pthread_barrier_t bar;
	char x[PATH_MAX];
	long before;

	NEED_POOL();
	before = nr_descendants(self->dir);

	ASSERT_EQ(0, rt_path(x, sizeof(x), self->dir, "contended"));
	for (int round = 0; round < NR_RACES; round++) {
		int won = 0, eexist = 0;

		ASSERT_EQ(0, pthread_barrier_init(&bar, NULL, NR_RACERS));
		for (int i = 0; i < NR_RACERS; i++) {
			r[i] = (struct race){ .path = x, .bar = &bar };
			ASSERT_EQ(0, pthread_create(&th[i], NULL, racer, &r[i]));
		}
		for (int i = 0; i < NR_RACERS; i++) {
			pthread_join(th[i], NULL);
			won += r[i].err == 0;
			eexist += r[i].err == EEXIST;
		}
		pthread_barrier_destroy(&bar);
		ASSERT_EQ(1, won) TH_LOG("round %d: %d mkdirs succeeded", round, won);
		ASSERT_EQ(NR_RACERS - 1, eexist);
		ASSERT_EQ(1, nr_visible(self->dir, 0) - 2) TH_LOG("round %d: listing", round);
		ASSERT_EQ(0, rmdir(x));
	}
	/* losers' cgroups went back to the reserve: nothing leaked, nothing lost */
	EXPECT_EQ(0, wait_withheld(self, RESERVE));
	if (self->v2)
		EXPECT_EQ(before, nr_descendants(self->dir));
}

TEST_F(pool, withheld_children_count_as_descendants)
{
	char x[PATH_MAX], y[PATH_MAX], buf[32];
	long n;

	NEED_POOL();
	if (!self->v2)
		SKIP(return, "cgroup.stat and cgroup.max.descendants are cgroup v2 files");
	n = nr_descendants(self->dir);

	/* pool_size 2 visible idle cgroups + RESERVE withheld ones */
	EXPECT_EQ(2 + RESERVE, n);
	/* at the limit, a served mkdir still works: its cgroup was counted when made */
	snprintf(buf, sizeof(buf), "%ld", n);
	ASSERT_EQ(0, rt_write_file(self->dir, "cgroup.max.descendants", buf));
	ASSERT_EQ(1, pool_mkdir(self, "at-limit", x, sizeof(x)));
	/* let the refill that claim queued meet the limit before the reserve size drops */
	ASSERT_EQ(0, stats_sync(self));
	/* with the reserve drained, mkdir takes the regular path and meets the limit */
	ASSERT_EQ(0, set_reserve(0));
	ASSERT_EQ(0, rmdir(x));
	ASSERT_EQ(1, pool_mkdir(self, "drain", x, sizeof(x)));	/* queues the trim */
	ASSERT_EQ(0, wait_withheld(self, 0));
	snprintf(buf, sizeof(buf), "%ld", nr_descendants(self->dir));
	ASSERT_EQ(0, rt_write_file(self->dir, "cgroup.max.descendants", buf));
	ASSERT_EQ(0, rt_path(y, sizeof(y), self->dir, "over"));
	EXPECT_EQ(-1, mkdir(y, 0755));
	EXPECT_EQ(EAGAIN, errno);
	EXPECT_EQ(0, rmdir(x));
	EXPECT_EQ(0, rt_write_file(self->dir, "cgroup.max.descendants", "max"));
	EXPECT_EQ(0, mkdir(y, 0755)) TH_LOG("mkdir after lifting the limit: %s", strerror(errno));
	EXPECT_EQ(0, rmdir(y));
}

TEST_F(pool, mkdir_by_other_users_is_not_served)
{
	char x[PATH_MAX], sentinel[PATH_MAX];
	unsigned long long sid;
	struct stat st;
	pid_t pid;
	int status;

	NEED_POOL();

	ASSERT_EQ(0, chmod(self->dir, 0777));
	ASSERT_EQ(0, rt_path(sentinel, sizeof(sentinel), self->side, "sentinel"));
	ASSERT_EQ(0, mkdir(sentinel, 0755));
	sid = cg_id(sentinel);
	rmdir(sentinel);
	ASSERT_EQ(0, rt_path(x, sizeof(x), self->dir, "user"));
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		setfsgid(1000);
		setfsuid(1000);
		_exit(mkdir(x, 0755) ? 1 : 0);
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	ASSERT_EQ(0, WEXITSTATUS(status));
	ASSERT_EQ(0, stat(x, &st));
	EXPECT_EQ(1000U, st.st_uid);
	EXPECT_LT(sid, (unsigned long long)st.st_ino) TH_LOG("non-root mkdir was served");
	EXPECT_EQ(0, wait_withheld(self, RESERVE));
	EXPECT_EQ(0, rmdir(x));
	chmod(self->dir, 0755);
}

/*
 * Serving mkdir(2) is an opt-in of the pool directory: a pool set up without
 * RUND_CGPOOL_SETUP_MKDIR keeps no reserve and every mkdir(2) takes the regular path.
 */
TEST_F(pool, serving_mkdir_is_an_opt_in)
{
	struct rund_cgpool_stats st = { .size = sizeof(st) };
	char x[PATH_MAX];

	NEED_POOL();
	ASSERT_EQ(0, ioctl(self->dev, RUND_CGPOOL_IOC_STATS, &st));
	EXPECT_TRUE(!!(st.pool_flags & RUND_CGPOOL_POOL_MKDIR));
	ASSERT_EQ(0, pool_tear_down(self->dev));
	ASSERT_EQ(0, wait_withheld(self, 0));
	ASSERT_EQ(0, pool_set_up(self->dev, self->dir, 2, 1, 0));
	ASSERT_EQ(0, ioctl(self->dev, RUND_CGPOOL_IOC_STATS, &st));
	EXPECT_FALSE(!!(st.pool_flags & RUND_CGPOOL_POOL_MKDIR));
	EXPECT_EQ(0ULL, st.mkdir_reserve);
	EXPECT_EQ(0, pool_mkdir(self, "plain", x, sizeof(x))) TH_LOG("served without opt-in");
	EXPECT_EQ(0, wait_withheld(self, 0));	/* v1 counts dying cgroups for a while */
	EXPECT_EQ(0, rmdir(x));
	/* back to the fixture's pool, which its teardown expects */
	ASSERT_EQ(0, pool_tear_down(self->dev));
	ASSERT_EQ(0, pool_set_up(self->dev, self->dir, 2, 1, RUND_CGPOOL_SETUP_MKDIR));
	ASSERT_EQ(0, wait_withheld(self, RESERVE));
}

/* @file of @dir holds @want (first line, trailing newline ignored) */
static int file_is(const char *dir, const char *file, const char *want)
{
	char buf[256];

	if (rt_read_file(dir, file, buf, sizeof(buf)) < 0)
		return 0;
	buf[strcspn(buf, "\n")] = '\0';
	return !strcmp(buf, want);
}

/*
 * v1 children copy settings from their parent when they are created: memcg's swappiness
 * and oom_kill_disable, and with cgroup.clone_children the cpuset's CPUs and nodes. A
 * reserved cgroup made before the pool dir changed them must not be served: mkdir(2)
 * must give what a regular mkdir(2) gives now.
 */
TEST_F(pool, served_mkdir_follows_the_parents_settings)
{
	char x[PATH_MAX];

	NEED_POOL();
	if (self->v2)
		SKIP(return, "swappiness, oom_kill_disable and clone_children are v1 settings");
	ASSERT_EQ(0, rt_write_file(self->dir, "memory.swappiness", "17"));
	ASSERT_EQ(0, rt_write_file(self->dir, "memory.oom_control", "1"));
	ASSERT_LE(0, pool_mkdir(self, "after-memcg", x, sizeof(x)));
	EXPECT_TRUE(file_is(x, "memory.swappiness", "17"))
		TH_LOG("served a cgroup made before the parent's swappiness changed");
	EXPECT_TRUE(file_is(x, "memory.oom_control", "oom_kill_disable 1"));
	EXPECT_EQ(0, rmdir(x));
	/* the reserve is remade under the new settings, and served again */
	ASSERT_EQ(0, wait_withheld(self, RESERVE));
	ASSERT_EQ(1, pool_mkdir(self, "remade", x, sizeof(x))) TH_LOG("remade reserve not served");
	EXPECT_TRUE(file_is(x, "memory.swappiness", "17"));
	EXPECT_TRUE(file_is(x, "memory.oom_control", "oom_kill_disable 1"));
	EXPECT_EQ(0, rmdir(x));

	/* with clone_children a new child starts with its parent's CPUs and nodes */
	char cpus[64], mems[64];

	ASSERT_LT(0, rt_read_file(self->dir, "cpuset.cpus", cpus, sizeof(cpus)));
	ASSERT_LT(0, rt_read_file(self->dir, "cpuset.mems", mems, sizeof(mems)));
	cpus[strcspn(cpus, "\n")] = '\0';
	mems[strcspn(mems, "\n")] = '\0';
	ASSERT_NE(0, cpus[0]) TH_LOG("the pool dir has no CPUs to clone");
	ASSERT_EQ(0, rt_write_file(self->dir, "cgroup.clone_children", "1"));
	ASSERT_EQ(0, pool_mkdir(self, "cloned", x, sizeof(x)))
		TH_LOG("served under clone_children");
	EXPECT_TRUE(file_is(x, "cpuset.cpus", cpus)) TH_LOG("clone_children did not apply");
	EXPECT_TRUE(file_is(x, "cpuset.mems", mems));
	EXPECT_EQ(0, rmdir(x));
	EXPECT_EQ(0, rt_write_file(self->dir, "cgroup.clone_children", "0"));
	rt_write_file(self->dir, "memory.oom_control", "0");
}

/*
 * Point the fixture at a fresh pool dir @name whose only children are the withheld
 * reserve: its pool (one idle cgroup, no refill) drained by one ACQUIRE and RELEASE, which
 * removes the released cgroup. The fixture's own pool must be torn down first.
 */
static int drained_pool(FIXTURE_DATA(pool) *self, const char *name)
{
	struct rund_cgpool_acquire a = { .size = sizeof(a), .name = "only" };
	struct rund_cgpool_release r = { .size = sizeof(r), .name = "only" };

	if (rt_path(self->dir, sizeof(self->dir), self->root, name) || rt_mkdir_cg(self->dir) ||
	    pool_set_up(self->dev, self->dir, 1, 0, RUND_CGPOOL_SETUP_MKDIR) ||
	    wait_withheld(self, RESERVE) || ioctl(self->dev, RUND_CGPOOL_IOC_ACQUIRE, &a) ||
	    ioctl(self->dev, RUND_CGPOOL_IOC_RELEASE, &r))
		return -1;
	return nr_visible(self->dir, 0) ? -1 : 0;
}

/* back to the fixture's pool on @keep, which its teardown expects */
static int restore_pool(FIXTURE_DATA(pool) *self, const char *keep)
{
	if (keep != self->dir)
		snprintf(self->dir, sizeof(self->dir), "%s", keep);
	if (pool_set_up(self->dev, self->dir, 2, 1, RUND_CGPOOL_SETUP_MKDIR))
		return -1;
	return wait_withheld(self, RESERVE);
}

/*
 * A directory whose only children are withheld looks empty, so rmdir(2) must remove it:
 * the kernel reaps the reserve first.
 */
TEST_F(pool, parent_with_only_withheld_children_is_removable)
{
	char keep[PATH_MAX], name[32];

	NEED_POOL();
	memcpy(keep, self->dir, sizeof(keep));
	ASSERT_EQ(0, pool_tear_down(self->dev));
	ASSERT_EQ(0, wait_withheld(self, 0));
	snprintf(name, sizeof(name), "drained-%d", getpid());
	ASSERT_EQ(0, drained_pool(self, name)) TH_LOG("drained pool on %s", name);
	EXPECT_EQ(0, rmdir(self->dir)) TH_LOG("rmdir of a dir with only withheld children: %s",
					      strerror(errno));
	EXPECT_EQ(-1, access(self->dir, F_OK));
	/* the pool on a removed dir still tears down cleanly */
	EXPECT_EQ(0, pool_tear_down(self->dev));
	rmdir(self->dir);
	ASSERT_EQ(0, restore_pool(self, keep));
}

struct reap_race {
	pthread_barrier_t bar;
	const char *dir;		/* the parent rmdir(2) removes */
	char x[PATH_MAX];		/* the child mkdir(2) makes */
	char churn[PATH_MAX];		/* a file stat(2)ed beside the race */
	unsigned int mkdir_delay;	/* us spun after the barrier, to sweep the window */
	unsigned int rmdir_delay;
	int mkdir_err, rmdir_err;
	atomic_int stop;
};

static void spin_us(unsigned int us)
{
	struct timespec a, b;

	clock_gettime(CLOCK_MONOTONIC, &a);
	do
		clock_gettime(CLOCK_MONOTONIC, &b);
	while ((b.tv_sec - a.tv_sec) * 1000000 + (b.tv_nsec - a.tv_nsec) / 1000 < us);
}

static void *reap_mkdir(void *arg)
{
	struct reap_race *r = arg;

	pthread_barrier_wait(&r->bar);
	spin_us(r->mkdir_delay);
	r->mkdir_err = mkdir(r->x, 0755) ? errno : 0;
	return NULL;
}

static void *reap_rmdir(void *arg)
{
	struct reap_race *r = arg;

	pthread_barrier_wait(&r->bar);
	spin_us(r->rmdir_delay);
	r->rmdir_err = rmdir(r->dir) ? errno : 0;
	return NULL;
}

/*
 * stat(2) of a cgroupfs file again and again: takes the hierarchy's kernfs_rwsem for
 * read without cgroup_mutex, so a writer of it (the publish) waits now and then
 */
static void *reap_churn(void *arg)
{
	struct reap_race *r = arg;
	struct stat st;

	while (!r->stop)
		stat(r->churn, &st);
	return NULL;
}

/*
 * A served mkdir(2) racing rmdir(2) of its parent: one of them wins, as with a regular
 * mkdir(2). Never both: the parent gone while mkdir(2) said it made a child in it.
 * RUND_REAP_ROUNDS rounds (make stress runs more), each on a fresh drained pool dir, the
 * two calls started together with a delay swept over either side.
 *
 * cgroup_rund_mkdir() publishes without cgroup_mutex, and cgroup_rund_reap() removes
 * withheld children under it, so the two do not exclude each other in cgroup code. What
 * serialises them is the VFS: mkdir(2) holds the parent directory's i_rwsem from lookup
 * to ->mkdir(), and vfs_rmdir() holds the victim's, the same inode (one superblock per
 * hierarchy: a cgroup namespace mount shares it), and marks it dead before dropping it,
 * so a later mkdir(2) in it fails with ENOENT. This test keeps that so.
 */
TEST_F_TIMEOUT(pool, served_mkdir_racing_rmdir_of_its_parent, 3600)
{
	const char *env = getenv("RUND_REAP_ROUNDS");
	int rounds = env ? atoi(env) : 40, both = 0, lost = 0, mkdir_won = 0, rmdir_won = 0;
	int unserved = 0, odd = 0, left = 0, odd_mkdir = 0, odd_rmdir = 0;
	struct reap_race r = { .stop = 0 };
	char keep[PATH_MAX], name[48];
	pthread_t tm, tr, tc;

	ASSERT_LT(0, rounds) TH_LOG("RUND_REAP_ROUNDS '%s': want a positive number", env);
	NEED_POOL();
	memcpy(keep, self->dir, sizeof(keep));
	ASSERT_EQ(0, pool_tear_down(self->dev));
	ASSERT_EQ(0, wait_withheld(self, 0));
	ASSERT_EQ(0, rt_path(r.churn, sizeof(r.churn), self->side, "cgroup.procs"));
	ASSERT_EQ(0, pthread_create(&tc, NULL, reap_churn, &r));
	for (int i = 0; i < rounds; i++) {
		snprintf(name, sizeof(name), "reap-%d-%d", getpid(), i);
		ASSERT_EQ(0, drained_pool(self, name)) TH_LOG("round %d: drained pool", i);
		ASSERT_EQ(0, rt_path(r.x, sizeof(r.x), self->dir, "x"));
		r.dir = self->dir;
		r.mkdir_delay = i % 2 ? (i * 37) % 500 : 0;
		r.rmdir_delay = i % 2 ? 0 : (i * 37) % 500;
		ASSERT_EQ(0, pthread_barrier_init(&r.bar, NULL, 2));
		ASSERT_EQ(0, pthread_create(&tm, NULL, reap_mkdir, &r));
		ASSERT_EQ(0, pthread_create(&tr, NULL, reap_rmdir, &r));
		pthread_join(tm, NULL);
		pthread_join(tr, NULL);
		pthread_barrier_destroy(&r.bar);
		if (!r.mkdir_err && !r.rmdir_err)
			both++;
		else if (!r.mkdir_err && access(r.x, F_OK))
			lost++;
		mkdir_won += !r.mkdir_err && r.rmdir_err;
		rmdir_won += r.mkdir_err && !r.rmdir_err;
		/* a round in which mkdir(2) won tests the race only if the pool served it */
		unserved += !r.mkdir_err && served(self) != 1;
		/* the loser fails as it would against a regular mkdir(2) or rmdir(2) */
		if (((r.mkdir_err && r.mkdir_err != ENOENT) ||
		     (r.rmdir_err && r.rmdir_err != EBUSY)) && !odd++) {
			odd_mkdir = r.mkdir_err;
			odd_rmdir = r.rmdir_err;
		}
		rmdir(r.x);
		rmdir(self->dir);
		ASSERT_EQ(0, pool_tear_down(self->dev));
		/* the parent went in the race or in the rmdir(2) above; never still here */
		if (!access(self->dir, F_OK)) {
			left++;
			rmdir(self->dir);
		}
	}
	r.stop = 1;
	pthread_join(tc, NULL);
	printf("# reap race: %d rounds, mkdir(2) first %d, rmdir(2) first %d, both %d\n",
	       rounds, mkdir_won, rmdir_won, both);
	EXPECT_EQ(0, both) TH_LOG("%d of %d rounds: mkdir(2) and rmdir(2) of its parent both succeeded",
				  both, rounds);
	EXPECT_EQ(0, lost) TH_LOG("%d rounds: mkdir(2) succeeded, its directory is not there", lost);
	EXPECT_EQ(rounds, mkdir_won + rmdir_won + both) TH_LOG("rounds in which both failed");
	EXPECT_EQ(0, unserved) TH_LOG("%d rounds: mkdir(2) won but was not served", unserved);
	EXPECT_EQ(0, odd) TH_LOG("%d rounds: a loser failed oddly (first: mkdir %s, rmdir %s)",
				 odd, strerror(odd_mkdir), strerror(odd_rmdir));
	EXPECT_EQ(0, left) TH_LOG("%d rounds left their directory behind", left);
	ASSERT_EQ(0, restore_pool(self, keep));
}

/*
 * A pool on a parent with rund.lightweight=1 (patch 7): the configuration with the fewest
 * files per sandbox. SETUP's controller check, ACQUIRE's limits (one rund.config write)
 * and served mkdir(2) all work on lightweight children, and the children are lightweight.
 */
TEST_F(pool, pool_on_a_lightweight_parent)
{
	const char *extra = self->v2 ? "memory.high" : "memory.soft_limit_in_bytes";
	const char *max = self->v2 ? "memory.max" : "memory.limit_in_bytes";
	struct rund_cgpool_acquire a = { .size = sizeof(a), .flags = RUND_CGPOOL_ACQUIRE_PIDFD };
	struct rund_cgpool_release r = { .size = sizeof(r) };
	char x[PATH_MAX], sb[PATH_MAX + RUND_CGPOOL_NAME_LEN], line[64];
	pid_t child;

	NEED_POOL();
	ASSERT_EQ(0, pool_tear_down(self->dev));
	ASSERT_EQ(0, wait_withheld(self, 0));
	ASSERT_EQ(0, rt_write_file(self->dir, "rund.lightweight", "1"))
		TH_LOG("rund.lightweight: %s", strerror(errno));
	ASSERT_EQ(0, pool_set_up(self->dev, self->dir, 2, 1, RUND_CGPOOL_SETUP_MKDIR))
		TH_LOG("SETUP on a lightweight parent refused");
	ASSERT_EQ(0, wait_withheld(self, RESERVE));

	child = rt_spawn_sleeper();
	ASSERT_LT(0, child);
	a.pidfd = syscall(SYS_pidfd_open, child, 0);
	ASSERT_LE(0, a.pidfd);
	snprintf(a.name, sizeof(a.name), "lw");
	a.limits.mask = RUND_CGPOOL_LIM_MEMORY | RUND_CGPOOL_LIM_PIDS;
	a.limits.memory_max = 64 << 20;
	a.limits.pids_max = 16;
	ASSERT_EQ(0, ioctl(self->dev, RUND_CGPOOL_IOC_ACQUIRE, &a)) TH_LOG("ACQUIRE: %s", strerror(errno));
	close(a.pidfd);
	ASSERT_EQ(0, rt_path(sb, sizeof(sb), self->dir, a.path));
	EXPECT_EQ(-1, rt_file_has_line(sb, extra, "max"))
		TH_LOG("%s/%s exists: not a lightweight cgroup", sb, extra);
	EXPECT_EQ(1, rt_file_has_line(sb, max, "67108864"));
	EXPECT_EQ(1, rt_file_has_line(sb, "pids.max", "16"));
	snprintf(line, sizeof(line), "%d", child);
	EXPECT_EQ(1, rt_file_has_line(sb, "cgroup.procs", line));
	rt_kill_wait(child);
	snprintf(r.name, sizeof(r.name), "lw");
	EXPECT_EQ(0, ioctl(self->dev, RUND_CGPOOL_IOC_RELEASE, &r)) TH_LOG("RELEASE: %s", strerror(errno));

	/* served mkdir(2): lightweight too, as a regular mkdir(2) there would be */
	ASSERT_EQ(1, pool_mkdir(self, "lwm", x, sizeof(x))) TH_LOG("mkdir not served");
	EXPECT_EQ(-1, rt_file_has_line(x, extra, "max"));
	EXPECT_EQ(0, rmdir(x));

	/* back to the fixture's pool, which its teardown expects */
	ASSERT_EQ(0, pool_tear_down(self->dev));
	ASSERT_EQ(0, wait_withheld(self, 0));
	ASSERT_EQ(0, rt_write_file(self->dir, "rund.lightweight", "0"));
	ASSERT_EQ(0, restore_pool(self, self->dir));
}

/* the inode numbers (kernfs ids) of every node a walk of the hierarchy reaches */
#define MAX_VISIBLE	65536
static unsigned long long visible[MAX_VISIBLE];
static size_t nr_vis;

static int add_visible(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
	(void)path; (void)type; (void)ftw;
	if (nr_vis == MAX_VISIBLE)
		return -1;
	visible[nr_vis++] = st->st_ino;
	return 0;
}

static int ull_cmp(const void *a, const void *b)
{
	unsigned long long x = *(const unsigned long long *)a, y = *(const unsigned long long *)b;

	return x < y ? -1 : x > y;
}

/*
 * open_by_handle_at(2) every kernfs id from @dir's up to @span past it; count the nodes it
 * opens that no path reaches (not in visible[]), and name the first in @first.
 */
static long unreachable_by_path(const char *root, const char *dir, unsigned int span,
				char *first, size_t len)
{
	struct { struct file_handle fh; unsigned long long id; } h;
	unsigned long long base = cg_id(dir), ino;
	int mnt_id, mfd, fd;
	char link[64];
	struct stat st;
	long n = 0;
	ssize_t l;

	h.fh.handle_bytes = sizeof(h.id);
	if (!base || name_to_handle_at(AT_FDCWD, dir, &h.fh, &mnt_id, 0) ||
	    h.fh.handle_bytes != sizeof(h.id))
		return -1;
	mfd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (mfd < 0)
		return -1;
	for (ino = base + 1; ino <= base + span; ino++) {
		h.id = ino;
		fd = open_by_handle_at(mfd, &h.fh, O_PATH | O_CLOEXEC);
		if (fd < 0)
			continue;
		if (!fstat(fd, &st) &&
		    !bsearch(&st.st_ino, visible, nr_vis, sizeof(visible[0]), ull_cmp) && !n++) {
			snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
			l = readlink(link, first, len - 1);
			first[l < 0 ? 0 : l] = '\0';
		}
		close(fd);
	}
	close(mfd);
	return n;
}

/*
 * A withheld child is invisible by id too. On v2 a subtree_control write makes the kernel
 * activate the pool dir's whole subtree (cgroup_apply_control()); the files of withheld
 * children must stay out of reach of open_by_handle_at(2) (a process could be attached to
 * one before any sandbox got it). Every node it opens must be one a path reaches.
 */
TEST_F(pool, withheld_children_unreachable_by_handle)
{
	char first[PATH_MAX] = "", ctl[256];
	long n;

	NEED_POOL();
	ASSERT_EQ(0, stats_sync(self));
	if (self->v2) {
		/* "+io" is what activates; both orders end as they began */
		ASSERT_LE(0, rt_read_file(self->dir, "cgroup.subtree_control", ctl, sizeof(ctl)));
		if (strstr(ctl, "io")) {
			ASSERT_EQ(0, rt_write_file(self->dir, "cgroup.subtree_control", "-io"));
			ASSERT_EQ(0, rt_write_file(self->dir, "cgroup.subtree_control", "+io"));
		} else {
			ASSERT_EQ(0, rt_write_file(self->dir, "cgroup.subtree_control", "+io"));
			ASSERT_EQ(0, rt_write_file(self->dir, "cgroup.subtree_control", "-io"));
		}
	}
	/* v1 counts the whole hierarchy, where cgroups earlier tests removed are freed late */
	ASSERT_EQ(0, wait_withheld(self, RESERVE)) TH_LOG("withheld: %ld", nr_withheld(self));
	nr_vis = 0;
	ASSERT_EQ(0, nftw(self->root, add_visible, 16, FTW_PHYS)) TH_LOG("walk of %s", self->root);
	qsort(visible, nr_vis, sizeof(visible[0]), ull_cmp);
	n = unreachable_by_path(self->root, self->dir, 16384, first, sizeof(first));
	ASSERT_LE(0, n) TH_LOG("name_to_handle_at(%s): %s", self->dir, strerror(errno));
	EXPECT_EQ(0, n) TH_LOG("%ld nodes of withheld cgroups opened by handle, e.g. %s", n, first);
}

TEST_HARNESS_MAIN
