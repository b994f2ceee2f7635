// SPDX-License-Identifier: GPL-2.0
/*
 * cgroup_walks: the rules two patches of patches/host stop checking by a walk of every
 * cgroup, checked to hold as before.
 *
 *   0008 cpuset: a cpuset.cpus / cpuset.mems write or flag change no longer walks all
 *        siblings unless the change or some sibling is exclusive (a per-parent count of
 *        exclusive children). So: an exclusive sibling still refuses an overlap (v1) or
 *        is invalidated by it (v2 partitions), a change to exclusive still checks the
 *        siblings, and the count follows flag changes and removal - a count too low
 *        would let an overlap through, which these tests would see. On 6.7+ a
 *        sibling's cpuset.cpus.exclusive counts as exclusive too.
 *   0009 sched: a CFS bandwidth write no longer walks every task group, only the
 *        written group's subtree, after recomputing its ancestors. So: a child above its
 *        parent is refused (v1), a parent below its child is refused, a new group deep
 *        under a limited one inherits the limit, and a refused write leaves nothing that
 *        refuses a later valid one.
 *
 * The same rules hold on every kernel: the stock kernel passes these too (by walking).
 * Which layout runs depends on the plan: v1 (co-mounted or separate) runs the
 * cpu_exclusive / mem_exclusive and cfs_quota_us cases, v2 the partition and cpu.max ones.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <limits.h>
#include <mntent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "rund_test.h"

/* The hierarchy that has @file in its root (v1) or @ctrl in cgroup.controllers (v2). */
static int find_hier(char *root, size_t len, const char *file, const char *ctrl, int *v2)
{
	FILE *f = setmntent("/proc/self/mounts", "r");
	struct mntent *m;
	char buf[512];
	int found = 0;

	if (!f)
		return -1;
	while (!found && (m = getmntent(f))) {
		if (!strcmp(m->mnt_type, "cgroup2")) {
			found = rt_read_file(m->mnt_dir, "cgroup.controllers", buf, sizeof(buf)) > 0 &&
				strstr(buf, ctrl);
			*v2 = 1;
		} else if (!strcmp(m->mnt_type, "cgroup")) {
			char path[PATH_MAX];

			found = !rt_path(path, sizeof(path), m->mnt_dir, file) && !access(path, F_OK);
			*v2 = 0;
		}
		if (found)
			snprintf(root, len, "%s", m->mnt_dir);
	}
	endmntent(f);
	return found ? 0 : -1;
}

/* Write @val to @dir/@file: 0 or the errno. */
static int put(const char *dir, const char *file, const char *val)
{
	return rt_write_file(dir, file, val) ? errno : 0;
}

/* @top/@name, made (v1 cpusets get the parent's cpus and mems); "" on failure. */
static const char *child(char *buf, size_t len, const char *top, const char *name)
{
	if (rt_path(buf, len, top, name) || rt_mkdir_cg(buf))
		return "";
	return buf;
}

/* /proc/cgroups' num_cgroups of the cpuset controller's hierarchy, or -1 */
static int cpuset_cgroups(void)
{
	FILE *f = fopen("/proc/cgroups", "r");
	char line[256], name[64];
	int hier, num, on, n = -1;

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "%63s %d %d %d", name, &hier, &num, &on) == 4 &&
		    !strcmp(name, "cpuset"))
			n = num;
	fclose(f);
	return n;
}

/*
 * rmdir @dir and wait until its cpuset is offline: the parent's count of exclusive
 * children drops in cpuset_css_offline(), which runs after rmdir(2) returns. The
 * hierarchy's cgroup count drops when the cgroup is released, after every css of it went
 * offline. Poll it for up to 10 s. (A test that runs alone: nothing else makes or
 * removes cgroups meanwhile.)
 */
static int rmdir_offline(const char *dir)
{
	struct timespec ts = { 0, 10 * 1000 * 1000 };
	int before = cpuset_cgroups();

	if (before < 0 || rmdir(dir))
		return -1;
	for (int t = 0; t < 1000; t++) {
		if (cpuset_cgroups() < before)
			return 0;
		nanosleep(&ts, NULL);
	}
	return -1;
}

FIXTURE(cs) {
	char root[PATH_MAX];
	char top[PATH_MAX];
	char a[PATH_MAX], b[PATH_MAX], c[PATH_MAX];
	int v2;
};

FIXTURE_SETUP(cs)
{
	char name[64];

	if (find_hier(self->root, sizeof(self->root), "cpuset.cpu_exclusive", "cpuset",
		      &self->v2))
		SKIP(return, "no cpuset hierarchy");
	if (sysconf(_SC_NPROCESSORS_ONLN) < 2)
		SKIP(return, "needs 2 CPUs");
	snprintf(name, sizeof(name), "walks-%d", getpid());
	ASSERT_EQ(0, rt_path(self->top, sizeof(self->top), self->root, name));
	if (self->v2) {
		/* partitions are children of the root partition: the cases use the root */
		snprintf(self->top, sizeof(self->top), "%s", self->root);
		ASSERT_EQ(0, put(self->root, "cgroup.subtree_control", "+cpuset"));
	} else {
		/* v1: an exclusive cpuset's parent must be exclusive too (is_cpuset_subset()) */
		ASSERT_EQ(0, rt_mkdir_cg(self->top));
		ASSERT_EQ(0, put(self->top, "cpuset.cpus", "0-1"));
		ASSERT_EQ(0, put(self->top, "cpuset.cpu_exclusive", "1"));
		ASSERT_EQ(0, put(self->top, "cpuset.mem_exclusive", "1"));
	}
	snprintf(name, sizeof(name), "walks-%d-a", getpid());
	child(self->a, sizeof(self->a), self->top, name);
	snprintf(name, sizeof(name), "walks-%d-b", getpid());
	child(self->b, sizeof(self->b), self->top, name);
	snprintf(name, sizeof(name), "walks-%d-c", getpid());
	child(self->c, sizeof(self->c), self->top, name);
	ASSERT_TRUE(self->a[0] && self->b[0] && self->c[0]) TH_LOG("mkdir: %s", strerror(errno));
}

FIXTURE_TEARDOWN(cs)
{
	const char *kids[] = { self->a, self->b, self->c };

	for (int i = 0; i < 3; i++) {
		if (!kids[i][0])
			continue;
		if (self->v2)
			put(kids[i], "cpuset.cpus.partition", "member");
		rmdir(kids[i]);
	}
	if (!self->v2 && self->top[0])
		rmdir(self->top);
}

/* v1: an exclusive sibling refuses an overlapping cpus write; a disjoint one passes */
TEST_F(cs, v1_exclusive_sibling_refuses_overlap)
{
	if (self->v2)
		SKIP(return, "v1 cpu_exclusive");
	ASSERT_EQ(0, put(self->a, "cpuset.cpus", "0"));
	ASSERT_EQ(0, put(self->b, "cpuset.cpus", "1"));
	ASSERT_EQ(0, put(self->c, "cpuset.cpus", "1"));
	ASSERT_EQ(0, put(self->a, "cpuset.cpu_exclusive", "1"));
	EXPECT_EQ(EINVAL, put(self->b, "cpuset.cpus", "0-1"));
	EXPECT_EQ(EINVAL, put(self->c, "cpuset.cpus", "0"));
	EXPECT_EQ(0, put(self->b, "cpuset.cpus", "1"));
	/* and the flag off again: the overlap is allowed */
	ASSERT_EQ(0, put(self->a, "cpuset.cpu_exclusive", "0"));
	EXPECT_EQ(0, put(self->b, "cpuset.cpus", "0-1"));
}

/* v1: a change *to* exclusive checks the siblings even when none of them is exclusive */
TEST_F(cs, v1_becoming_exclusive_checks_siblings)
{
	if (self->v2)
		SKIP(return, "v1 cpu_exclusive");
	ASSERT_EQ(0, put(self->c, "cpuset.cpus", "1"));
	ASSERT_EQ(0, put(self->a, "cpuset.cpus", "0"));
	ASSERT_EQ(0, put(self->b, "cpuset.cpus", "0-1"));
	EXPECT_EQ(EINVAL, put(self->b, "cpuset.cpu_exclusive", "1"));
	EXPECT_EQ(EINVAL, put(self->a, "cpuset.cpu_exclusive", "1"));
	ASSERT_EQ(0, put(self->b, "cpuset.cpus", "1"));
	EXPECT_EQ(0, put(self->a, "cpuset.cpu_exclusive", "1"));
}

/* v1: the same for mems (one node: the sibling must have none to be disjoint) */
TEST_F(cs, v1_mem_exclusive_sibling_refuses_overlap)
{
	if (self->v2)
		SKIP(return, "v1 mem_exclusive");
	ASSERT_EQ(0, put(self->b, "cpuset.mems", "\n"));
	ASSERT_EQ(0, put(self->c, "cpuset.mems", "\n"));
	ASSERT_EQ(0, put(self->a, "cpuset.mem_exclusive", "1"));
	EXPECT_EQ(EINVAL, put(self->b, "cpuset.mems", "0"));
	ASSERT_EQ(0, put(self->a, "cpuset.mem_exclusive", "0"));
	EXPECT_EQ(0, put(self->b, "cpuset.mems", "0"));
}

/*
 * v1: with two exclusive siblings, one cleared and removed and the other removed, the
 * count must follow each step: while c is exclusive, b cannot take c's CPU (a count
 * decremented twice for a would let it through); once c is gone, b can.
 */
TEST_F(cs, v1_count_follows_clear_and_rmdir)
{
	if (self->v2)
		SKIP(return, "v1 cpu_exclusive");
	ASSERT_EQ(0, put(self->b, "cpuset.cpus", "\n"));
	ASSERT_EQ(0, put(self->a, "cpuset.cpus", "0"));
	ASSERT_EQ(0, put(self->c, "cpuset.cpus", "1"));
	ASSERT_EQ(0, put(self->a, "cpuset.cpu_exclusive", "1"));
	ASSERT_EQ(0, put(self->c, "cpuset.cpu_exclusive", "1"));
	ASSERT_EQ(0, put(self->a, "cpuset.cpu_exclusive", "0"));
	ASSERT_EQ(0, rmdir_offline(self->a)) TH_LOG("a not offline in 10 s");
	self->a[0] = '\0';
	EXPECT_EQ(EINVAL, put(self->b, "cpuset.cpus", "1"));
	EXPECT_EQ(0, put(self->b, "cpuset.cpus", "0"));
	/* c goes offline still exclusive: its count goes with it */
	ASSERT_EQ(0, rmdir_offline(self->c)) TH_LOG("c not offline in 10 s");
	self->c[0] = '\0';
	EXPECT_EQ(0, put(self->b, "cpuset.cpus", "0-1"));
	EXPECT_EQ(0, put(self->b, "cpuset.cpu_exclusive", "1"));
}

/* v2: an overlapping sibling write is allowed but invalidates the partition it overlaps */
TEST_F(cs, v2_partition_invalidated_by_overlap)
{
	char buf[256];

	if (!self->v2)
		SKIP(return, "v2 partitions");
	ASSERT_EQ(0, put(self->b, "cpuset.cpus", "0"));
	ASSERT_EQ(0, put(self->c, "cpuset.cpus", "0"));
	ASSERT_EQ(0, put(self->a, "cpuset.cpus", "1"));
	ASSERT_EQ(0, put(self->a, "cpuset.cpus.partition", "root"));
	ASSERT_LT(0, rt_read_file(self->a, "cpuset.cpus.partition", buf, sizeof(buf)));
	ASSERT_EQ(0, strncmp(buf, "root\n", 5)) TH_LOG("partition: %s", buf);
	EXPECT_EQ(0, put(self->b, "cpuset.cpus", "0-1"));
	ASSERT_LT(0, rt_read_file(self->a, "cpuset.cpus.partition", buf, sizeof(buf)));
	EXPECT_NE(NULL, strstr(buf, "invalid")) TH_LOG("partition after overlap: %s", buf);
}

/*
 * v2, 6.7+: a sibling's cpuset.cpus.exclusive is found by the walk too. On v2 the walk's
 * verdict on a cpuset.cpus write only invalidates partitions (all of them exclusive by
 * flag), but a cpuset.mems write fails with it: once b's CPUs lie inside a's exclusive
 * CPUs, every change of b's mems is refused (validate_change() checks the CPUs of any
 * change). Exclusive CPUs set no flag, so a count of exclusive children that looked at
 * CS_CPU_EXCLUSIVE and CS_MEM_EXCLUSIVE only (the 6.1 patch applied to 6.12) would skip
 * the walk and let that write through.
 */
TEST_F(cs, v2_exclusive_cpus_sibling_checked)
{
	char file[PATH_MAX];

	if (!self->v2)
		SKIP(return, "v2 cpuset.cpus.exclusive");
	ASSERT_EQ(0, rt_path(file, sizeof(file), self->a, "cpuset.cpus.exclusive"));
	if (access(file, F_OK))
		SKIP(return, "no cpuset.cpus.exclusive (kernel before 6.7)");
	ASSERT_EQ(0, put(self->a, "cpuset.cpus.exclusive", "1"));
	ASSERT_EQ(0, put(self->b, "cpuset.cpus", "1"));
	EXPECT_EQ(EINVAL, put(self->b, "cpuset.mems", "0"));
	/* a sibling whose CPUs are not inside a's exclusive ones is not refused */
	ASSERT_EQ(0, put(self->c, "cpuset.cpus", "0"));
	EXPECT_EQ(0, put(self->c, "cpuset.mems", "0"));
}

FIXTURE(bw) {
	char root[PATH_MAX];
	char top[PATH_MAX];
	int v2;
};

FIXTURE_SETUP(bw)
{
	char name[64];

	if (find_hier(self->root, sizeof(self->root), "cpu.cfs_quota_us", "cpu", &self->v2))
		SKIP(return, "no cpu hierarchy");
	snprintf(name, sizeof(name), "walks-bw-%d", getpid());
	ASSERT_EQ(0, rt_path(self->top, sizeof(self->top), self->root, name));
	if (self->v2)
		ASSERT_EQ(0, put(self->root, "cgroup.subtree_control", "+cpu"));
	ASSERT_EQ(0, rt_mkdir_cg(self->top));
	if (self->v2)
		ASSERT_EQ(0, put(self->top, "cgroup.subtree_control", "+cpu"));
}

static void rm_under(const char *top, const char *const *names, int n)
{
	char path[PATH_MAX];

	for (int i = n - 1; i >= 0; i--)
		if (!rt_path(path, sizeof(path), top, names[i]))
			rmdir(path);
}

static const char *const bw_dirs[] = { "c", "h", "q", "q/r" };

FIXTURE_TEARDOWN(bw)
{
	if (!self->top[0])
		return;
	rm_under(self->top, bw_dirs, sizeof(bw_dirs) / sizeof(bw_dirs[0]));
	rmdir(self->top);
}

/* the limit of one group: v1 quota (period 100 ms), v2 cpu.max */
static int limit(FIXTURE_DATA(bw) *self, const char *dir, const char *quota)
{
	char buf[64];

	if (!self->v2)
		return put(dir, "cpu.cfs_quota_us", quota);
	snprintf(buf, sizeof(buf), "%s 100000", quota);
	return put(dir, "cpu.max", buf);
}

/*
 * v1: a child above its parent is refused, at or below accepted; the parent cannot go
 * below its child (the walk of the written group's subtree); a group two levels under the
 * limited one, under a group without a limit, inherits it (the ancestors recomputed: a
 * new group's stored quota is zero, which would refuse everything).
 */
TEST_F(bw, v1_child_within_parent)
{
	char c[PATH_MAX], q[PATH_MAX], r[PATH_MAX];

	if (self->v2)
		SKIP(return, "v1 cfs_quota_us");
	ASSERT_EQ(0, limit(self, self->top, "50000"));
	ASSERT_NE(0, child(c, sizeof(c), self->top, "c")[0]);
	EXPECT_EQ(EINVAL, limit(self, c, "60000"));
	EXPECT_EQ(0, limit(self, c, "40000"));
	EXPECT_EQ(EINVAL, limit(self, self->top, "30000"));
	EXPECT_EQ(0, limit(self, self->top, "45000"));
	ASSERT_NE(0, child(q, sizeof(q), self->top, "q")[0]);
	ASSERT_NE(0, child(r, sizeof(r), self->top, "q/r")[0]);
	EXPECT_EQ(0, limit(self, r, "40000"));
	EXPECT_EQ(EINVAL, limit(self, r, "50000"));
	EXPECT_EQ(0, limit(self, r, "-1"));
}

/*
 * v1: a refused write to the parent (its trial quota was stored for it before a child
 * refused it) must not refuse a later valid write under it: the parent's real limit
 * still counts, not the refused one.
 */
TEST_F(bw, v1_refused_write_leaves_nothing_behind)
{
	char c[PATH_MAX], h[PATH_MAX], q[PATH_MAX], r[PATH_MAX];

	if (self->v2)
		SKIP(return, "v1 cfs_quota_us");
	ASSERT_EQ(0, limit(self, self->top, "50000"));
	ASSERT_NE(0, child(c, sizeof(c), self->top, "c")[0]);
	ASSERT_EQ(0, limit(self, c, "40000"));
	ASSERT_EQ(EINVAL, limit(self, self->top, "30000"));
	ASSERT_NE(0, child(h, sizeof(h), self->top, "h")[0]);
	EXPECT_EQ(0, limit(self, h, "45000"));
	ASSERT_NE(0, child(q, sizeof(q), self->top, "q")[0]);
	ASSERT_NE(0, child(r, sizeof(r), self->top, "q/r")[0]);
	EXPECT_EQ(0, limit(self, r, "45000"));
	/* and a refused write to a child leaves the parent's limit as it was */
	ASSERT_EQ(EINVAL, limit(self, h, "70000"));
	EXPECT_EQ(0, limit(self, r, "50000"));
}

/* v2: cpu.max takes the min with the parent, refuses nothing; the values read back */
TEST_F(bw, v2_child_above_parent_allowed)
{
	char c[PATH_MAX], buf[64];

	if (!self->v2)
		SKIP(return, "v2 cpu.max");
	ASSERT_EQ(0, limit(self, self->top, "50000"));
	ASSERT_NE(0, child(c, sizeof(c), self->top, "c")[0]);
	EXPECT_EQ(0, limit(self, c, "60000"));
	ASSERT_LT(0, rt_read_file(c, "cpu.max", buf, sizeof(buf)));
	EXPECT_STREQ("60000 100000\n", buf);
	EXPECT_EQ(0, limit(self, self->top, "30000"));
	EXPECT_EQ(0, limit(self, c, "max"));
}

TEST_HARNESS_MAIN
