// SPDX-License-Identifier: GPL-2.0
/*
 * cgroup_config_unload: rund.config while the module providing a field is unloaded
 * (issue 16, item 2).
 *
 *   cgroup_config_unload [--loads=N] [--seconds=N] [--writers=N] [--readers=N]
 *                        [harness options]
 *
 * rund.config (patches/host 0006) looks a field's cftype up under cgroup_mutex, drops the
 * mutex and calls the cftype's seq_show/write later. io.bfq.weight belongs to BFQ: built
 * as a module, `rmmod bfq` removes its cftypes (cgroup_rm_cftypes()), frees its per-blkcg
 * data and then its text, so a rund.config write or read racing the unload calls into
 * freed data or code: an oops or a KASAN report on the debug kernel, whose payload ships
 * bfq.ko (BFQ=m there) as /rund/modules/bfq.ko. Without that file (a kernel with BFQ
 * built in, or none) the test skips.
 *
 * On v2, in a child cgroup with the io controller: one process loops finit_module(bfq.ko)
 * + delete_module("bfq", O_NONBLOCK); --writers processes (default 2) loop rund.config
 * writes setting io.bfq.weight (every other one a whole sandbox line with cpu.weight,
 * pids.max and io.weight too, which takes longer between lookup and apply); --readers
 * processes (default 1) loop rund.config reads. All on one cgroup: rund.config serialises
 * its writers and readers, which leaves the loader CPU time for unloads (with a cgroup per
 * racer the loader managed 45 cycles in 40 s instead of ~150 and no run hit the race).
 * Racers are processes, not threads: one the kernel leaves stuck must not keep the test
 * from reporting.
 *
 * Asserted: the module was loaded and unloaded; every write either succeeded (BFQ was
 * there), failed with EINVAL (no such field: BFQ was not) or with ENODEV (its file went
 * away between rund.config's lookup and the call: patch 7's documented answer), the first
 * two both happened, nothing else; every read succeeded (a field whose file went away
 * meanwhile is left out: the first version of patch 7 failed such reads with ENODEV, 2
 * in one of three debug-tier runs); no racer died or hung. Before the race, each
 * outcome is checked once without racing: with BFQ loaded a write of io.bfq.weight shows
 * in the controller's io.bfq.weight, without it the write fails with EINVAL and reads
 * lack the key. The run is bounded by --loads (default 300 load + unload cycles) and
 * --seconds (default 45); BFQ ends as loaded or not as it was before.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <poll.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <time.h>

#include "kselftest_harness.h"
#include "rund_test.h"

#define BFQ_KO		"/rund/modules/bfq.ko"
#define CFG		"rund.config"
#define MAX_RACERS	32
#define MAX_MSGS	8

static long nr_loads = 300;
static int nr_seconds = 45;
static int nr_writers = 2;
static int nr_readers = 1;

/* shared with the racer processes */
struct shared {
	_Atomic int stop;
	_Atomic long loads, unloads, load_err, unload_busy, unload_err;
	_Atomic long writes_ok, writes_einval, writes_enodev, writes_other;
	_Atomic long reads_ok, reads_enodev, reads_err;
	_Atomic int nmsg;
	char msg[MAX_MSGS][256];
};

static void note(struct shared *sh, const char *fmt, ...)
{
	int k = atomic_fetch_add(&sh->nmsg, 1);
	va_list ap;

	if (k >= MAX_MSGS)
		return;
	va_start(ap, fmt);
	vsnprintf(sh->msg[k], sizeof(sh->msg[k]), fmt, ap);
	va_end(ap);
}

static int bfq_loaded(void)
{
	return !access("/sys/module/bfq", F_OK);
}

static int load_bfq(int fd)
{
	return syscall(SYS_finit_module, fd, "", 0);
}

/* O_NONBLOCK: an unload that would wait for users fails with EWOULDBLOCK instead */
static int unload_bfq(void)
{
	return syscall(SYS_delete_module, "bfq", O_NONBLOCK);
}

/* the loader: --loads cycles of load + unload, as fast as the kernel allows */
static void loader(struct shared *sh, int fd)
{
	while (!atomic_load(&sh->stop) && atomic_load(&sh->unloads) < nr_loads) {
		if (!load_bfq(fd))
			atomic_fetch_add(&sh->loads, 1);
		else if (errno != EEXIST && !atomic_fetch_add(&sh->load_err, 1))
			note(sh, "finit_module(bfq.ko): %s", strerror(errno));
		if (!unload_bfq())
			atomic_fetch_add(&sh->unloads, 1);
		else if (errno == EWOULDBLOCK || errno == EBUSY)
			atomic_fetch_add(&sh->unload_busy, 1);
		else if (!atomic_fetch_add(&sh->unload_err, 1))
			note(sh, "delete_module(bfq): %s", strerror(errno));
	}
	_exit(0);
}

/* write @val to @dir's rund.config in one write(2): 0 or the errno */
static int cfg_write(const char *dir, const char *val)
{
	return rt_write_file(dir, CFG, val) ? errno : 0;
}

static void writer(struct shared *sh, const char *dir, int full)
{
	char val[256];
	int err;

	for (unsigned int i = 0; !atomic_load(&sh->stop); i++) {
		unsigned int w = 1 + i % 1000;

		if (full)
			snprintf(val, sizeof(val), "cpu.weight=%u pids.max=1000 io.weight=%u "
				 "io.bfq.weight=%u", w, w, w);
		else
			snprintf(val, sizeof(val), "io.bfq.weight=%u", w);
		err = cfg_write(dir, val);
		if (!err)
			atomic_fetch_add(&sh->writes_ok, 1);
		else if (err == EINVAL)
			atomic_fetch_add(&sh->writes_einval, 1);
		else if (err == ENODEV)
			atomic_fetch_add(&sh->writes_enodev, 1);
		else if (!atomic_fetch_add(&sh->writes_other, 1))
			note(sh, "write '%s': %s", val, strerror(err));
	}
	_exit(0);
}

static void reader(struct shared *sh, const char *dir)
{
	char buf[4096];

	while (!atomic_load(&sh->stop)) {
		if (rt_read_file(dir, CFG, buf, sizeof(buf)) > 0)
			atomic_fetch_add(&sh->reads_ok, 1);
		else if (errno == ENODEV)
			atomic_fetch_add(&sh->reads_enodev, 1);
		else if (!atomic_fetch_add(&sh->reads_err, 1))
			note(sh, "read %s: %s", CFG, strerror(errno));
	}
	_exit(0);
}

/*
 * Wait up to @secs for @pid: 0 when it exited with status 0, 1 when it is still running,
 * -1 when it failed (@why says how).
 */
static int reap(pid_t pid, int secs, char *why, size_t len)
{
	int status;

	for (int i = 0; i < secs * 10; i++) {
		pid_t r = waitpid(pid, &status, WNOHANG);

		if (r == pid) {
			if (WIFEXITED(status) && !WEXITSTATUS(status))
				return 0;
			if (WIFSIGNALED(status))
				snprintf(why, len, "killed by signal %d", WTERMSIG(status));
			else
				snprintf(why, len, "exited %d", WEXITSTATUS(status));
			return -1;
		}
		if (r < 0) {
			snprintf(why, len, "waitpid: %s", strerror(errno));
			return -1;
		}
		poll(NULL, 0, 100);
	}
	snprintf(why, len, "still running 30 s after the stop (stuck in the kernel?)");
	return 1;
}

/*
 * Reap the racers @pids[@from..@n) told to stop. One still running after 30 s is stuck in
 * the kernel (uninterruptible, e.g. on a lock an oopsed task never released): SIGKILL it
 * and report it rather than wait for it. How many failed or were stuck.
 */
static int reap_stopped(struct __test_metadata *_metadata, pid_t *pids, int from, int n)
{
	time_t end = time(NULL) + 30;	/* one grace period for all of them */
	char why[128];
	int bad = 0, ret;

	for (int i = from; i < n; i++) {
		ret = reap(pids[i], end > time(NULL) ? end - time(NULL) : 1, why, sizeof(why));
		if (!ret)
			continue;
		if (ret > 0)
			kill(pids[i], SIGKILL);
		TH_LOG("%s %d: %s", !i ? "loader" : i <= nr_writers ? "writer" : "reader",
		       pids[i], why);
		bad++;
	}
	return bad;
}

FIXTURE(un) {
	char root[256];
	char dir[PATH_MAX];
	int was_loaded;		/* BFQ was loaded before the test */
	int ko;			/* bfq.ko, O_RDONLY */
	struct shared *sh;
};

/* the cgroup2 mount point, or -1 */
static int v2_root(char *root, size_t len)
{
	FILE *f = setmntent("/proc/self/mounts", "r");
	struct mntent *m;
	int ret = -1;

	if (!f)
		return -1;
	while (ret && (m = getmntent(f)))
		if (!strcmp(m->mnt_type, "cgroup2")) {
			snprintf(root, len, "%s", m->mnt_dir);
			ret = 0;
		}
	endmntent(f);
	return ret;
}

FIXTURE_SETUP(un)
{
	self->ko = -1;
	self->was_loaded = bfq_loaded();
	self->sh = mmap(NULL, sizeof(*self->sh), PROT_READ | PROT_WRITE,
			MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, self->sh);
}

FIXTURE_TEARDOWN(un)
{
	/* racers left by a failed assertion stop on their own */
	atomic_store(&self->sh->stop, 1);
	if (self->dir[0])
		rmdir(self->dir);
	if (self->ko >= 0) {
		if (self->was_loaded && !bfq_loaded())
			load_bfq(self->ko);
		else if (!self->was_loaded && bfq_loaded())
			unload_bfq();
		close(self->ko);
	}
}

/* "default N" in the controller's own io.bfq.weight, as v2 prints the default weight */
static int bfq_file_weight(const char *dir)
{
	char buf[256];

	if (rt_read_file(dir, "io.bfq.weight", buf, sizeof(buf)) < 0 ||
	    strncmp(buf, "default ", 8))
		return -1;
	return atoi(buf + 8);
}

static int cfg_has_key(const char *dir, const char *key)
{
	char buf[4096], want[64];

	snprintf(want, sizeof(want), "\n%s=", key);
	if (rt_read_file(dir, CFG, buf + 1, sizeof(buf) - 1) < 0)
		return -1;
	buf[0] = '\n';
	return !!strstr(buf, want);
}

TEST_F_TIMEOUT(un, bfq_unload_during_rund_config, 600)
{
	pid_t pids[MAX_RACERS];
	struct shared *sh = self->sh;
	int n = 0, bad = 0, full, ret;
	char why[128];

	if (access(BFQ_KO, R_OK))
		SKIP(return, "no %s: BFQ is not a module of this kernel's payload", BFQ_KO);
	if (v2_root(self->root, sizeof(self->root)))
		SKIP(return, "cgroup2 not mounted: the race is tested on v2");
	ASSERT_TRUE(nr_writers > 0 && nr_readers >= 0 &&
		    1 + nr_writers + nr_readers <= MAX_RACERS);
	self->ko = open(BFQ_KO, O_RDONLY | O_CLOEXEC);
	ASSERT_LE(0, self->ko);
	rt_write_file(self->root, "cgroup.subtree_control", "+io +cpu +pids");
	snprintf(self->dir, sizeof(self->dir), "%s/bfqrace-%d", self->root, getpid());
	ASSERT_EQ(0, mkdir(self->dir, 0755)) TH_LOG("mkdir %s: %s", self->dir, strerror(errno));
	if (access("/rund/expect-patched", F_OK) && cfg_has_key(self->dir, "io.weight") < 0)
		SKIP(return, "no %s: kernel without patches/host 0006", CFG);
	ASSERT_EQ(1, cfg_has_key(self->dir, "io.weight"))
		TH_LOG("no io controller in %s", self->dir);

	/* each outcome once, without a race: loaded -> applied; unloaded -> EINVAL */
	if (!bfq_loaded())
		ASSERT_EQ(0, load_bfq(self->ko)) TH_LOG("finit_module: %s", strerror(errno));
	ASSERT_EQ(0, cfg_write(self->dir, "io.bfq.weight=321"));
	ASSERT_EQ(321, bfq_file_weight(self->dir));
	ASSERT_EQ(0, unload_bfq()) TH_LOG("delete_module: %s", strerror(errno));
	ASSERT_EQ(EINVAL, cfg_write(self->dir, "io.bfq.weight=123"));
	ASSERT_EQ(0, cfg_has_key(self->dir, "io.bfq.weight"));
	full = cfg_has_key(self->dir, "cpu.weight") == 1 && cfg_has_key(self->dir, "pids.max") == 1;

	pids[n] = fork();
	ASSERT_LE(0, pids[n]);
	if (pids[n] == 0)
		loader(sh, self->ko);
	n++;
	for (int i = 0; i < nr_writers; i++, n++) {
		pids[n] = fork();
		ASSERT_LE(0, pids[n]);
		if (pids[n] == 0)
			writer(sh, self->dir, full && (i & 1));
	}
	for (int i = 0; i < nr_readers; i++, n++) {
		pids[n] = fork();
		ASSERT_LE(0, pids[n]);
		if (pids[n] == 0)
			reader(sh, self->dir);
	}
	/* the loader ends the race after --loads cycles; --seconds bounds it otherwise */
	ret = reap(pids[0], nr_seconds, why, sizeof(why));
	atomic_store(&sh->stop, 1);
	if (ret < 0) {
		TH_LOG("loader: %s", why);
		bad++;
	}
	bad += reap_stopped(_metadata, pids, ret > 0 ? 0 : 1, n);

	ksft_print_msg("%ld loads, %ld unloads (%ld busy); writes: %ld ok, %ld EINVAL, %ld ENODEV, "
		       "%ld other; reads: %ld ok, %ld ENODEV, %ld failed\n", sh->loads, sh->unloads,
		       sh->unload_busy, sh->writes_ok, sh->writes_einval, sh->writes_enodev,
		       sh->writes_other, sh->reads_ok, sh->reads_enodev, sh->reads_err);
	for (int i = 0; i < atomic_load(&sh->nmsg) && i < MAX_MSGS; i++)
		ksft_print_msg("  %s\n", sh->msg[i]);
	EXPECT_EQ(0, bad) TH_LOG("racers died or hung: the kernel oopsed or deadlocked");
	EXPECT_LT(0, sh->loads);
	EXPECT_LT(0, sh->unloads);
	EXPECT_EQ(0, sh->load_err);
	EXPECT_EQ(0, sh->unload_err);
	EXPECT_LT(0, sh->writes_ok) TH_LOG("no write ran while BFQ was loaded");
	EXPECT_LT(0, sh->writes_einval) TH_LOG("no write ran while BFQ was unloaded");
	EXPECT_EQ(0, sh->writes_other);
	if (nr_readers)
		EXPECT_LT(0, sh->reads_ok);
	EXPECT_EQ(0, sh->reads_err);
	EXPECT_EQ(0, sh->reads_enodev) TH_LOG("a read failed because BFQ went meanwhile");
}

int main(int argc, char **argv)
{
	const char *v;

	v = rt_opt(&argc, argv, "loads");
	if (v)
		nr_loads = atol(v);
	v = rt_opt(&argc, argv, "seconds");
	if (v)
		nr_seconds = atoi(v);
	v = rt_opt(&argc, argv, "writers");
	if (v)
		nr_writers = atoi(v);
	v = rt_opt(&argc, argv, "readers");
	if (v)
		nr_readers = atoi(v);
	return test_harness_run(argc, argv);
}
