// SPDX-License-Identifier: GPL-2.0
/*
 * cgroup_smoke: the guest's cgroup layout works as the plan says, on whichever of the
 * runner's layouts is mounted (v2, v1 separate hierarchies, v1 co-mounted). Every later
 * rund test builds on these operations: mkdir, set a limit, attach a live task, see the
 * task's /proc/PID/cgroup name it, enforce the limit, rmdir.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <mntent.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "rund_test.h"

/* One mounted hierarchy: v2, or v1 with the controllers in its mount options. */
struct hier {
	char path[PATH_MAX];
	char opts[256];
	int v2;
};

#define MAX_HIER 16

static int find_hierarchies(struct hier *h, int max)
{
	FILE *f = setmntent("/proc/self/mounts", "r");
	struct mntent *m;
	int n = 0;

	if (!f)
		return -1;
	while ((m = getmntent(f)) && n < max) {
		int v2 = !strcmp(m->mnt_type, "cgroup2");

		if (!v2 && strcmp(m->mnt_type, "cgroup"))
			continue;
		snprintf(h[n].path, sizeof(h[n].path), "%s", m->mnt_dir);
		snprintf(h[n].opts, sizeof(h[n].opts), "%s", m->mnt_opts);
		h[n].v2 = v2;
		n++;
	}
	endmntent(f);
	return n;
}

/* Does hierarchy @h carry controller @ctrl? v1: a mount option; v2: cgroup.controllers. */
static int has_controller(const struct hier *h, const char *ctrl)
{
	char buf[512], *tok, *save;

	if (h->v2) {
		if (rt_read_file(h->path, "cgroup.controllers", buf, sizeof(buf)) < 0)
			return 0;
	} else {
		snprintf(buf, sizeof(buf), "%s", h->opts);
	}
	for (tok = strtok_r(buf, ", \n", &save); tok; tok = strtok_r(NULL, ", \n", &save))
		if (!strcmp(tok, ctrl))
			return 1;
	return 0;
}

/* The first hierarchy carrying @ctrl, or NULL. */
static const struct hier *hier_with(const struct hier *h, int n, const char *ctrl)
{
	for (int i = 0; i < n; i++)
		if (has_controller(&h[i], ctrl))
			return &h[i];
	return NULL;
}

/* mkdir @h/@name as a cgroup; @dir receives the path. */
static int cg_mkdir(const struct hier *h, const char *name, char *dir, size_t len)
{
	return rt_path(dir, len, h->path, name) ? -1 : rt_mkdir_cg(dir);
}

FIXTURE(cg) {
	struct hier h[MAX_HIER];
	int n;
	char name[64];
};

FIXTURE_SETUP(cg)
{
	self->n = find_hierarchies(self->h, MAX_HIER);
	ASSERT_GT(self->n, 0) TH_LOG("no cgroup hierarchy mounted");
	snprintf(self->name, sizeof(self->name), "smoke-%d", getpid());
}

FIXTURE_TEARDOWN(cg)
{
	char dir[PATH_MAX];

	for (int i = 0; i < self->n; i++) {
		if (!rt_path(dir, sizeof(dir), self->h[i].path, self->name))
			rmdir(dir);
	}
}

/* mkdir in every hierarchy, attach one live task, check /proc/PID/cgroup, rmdir. */
TEST_F(cg, mkdir_attach_rmdir)
{
	char dir[PATH_MAX], procs[PATH_MAX], want[128];
	pid_t child = rt_spawn_sleeper();

	ASSERT_GT(child, 0);
	snprintf(want, sizeof(want), ":/%s\n", self->name);
	for (int i = 0; i < self->n; i++) {
		ASSERT_EQ(0, cg_mkdir(&self->h[i], self->name, dir, sizeof(dir)))
			TH_LOG("mkdir %s: %s", dir, strerror(errno));
		ASSERT_EQ(0, rt_attach(dir, child)) TH_LOG("attach to %s: %s", dir, strerror(errno));
		snprintf(procs, sizeof(procs), "%d", child);
		ASSERT_EQ(1, rt_file_has_line(dir, "cgroup.procs", procs));
	}
	/* every hierarchy's line in /proc/PID/cgroup names the new cgroup */
	ASSERT_EQ(self->n, rt_proc_cgroup_count(child, want));
	rt_kill_wait(child);
	for (int i = 0; i < self->n; i++) {
		ASSERT_EQ(0, rt_path(dir, sizeof(dir), self->h[i].path, self->name));
		EXPECT_EQ(0, rmdir(dir)) TH_LOG("rmdir %s: %s", dir, strerror(errno));
	}
}

/* pids.max=1 with one task inside: that task's fork() fails with EAGAIN. */
TEST_F(cg, pids_max_blocks_fork)
{
	const struct hier *h = hier_with(self->h, self->n, "pids");
	char dir[PATH_MAX];
	pid_t child;
	int status;

	ASSERT_NE(NULL, h) TH_LOG("no hierarchy carries the pids controller");
	ASSERT_EQ(0, cg_mkdir(h, self->name, dir, sizeof(dir)));
	ASSERT_EQ(0, rt_write_file(dir, "pids.max", "1"));
	child = fork();
	ASSERT_GE(child, 0);
	if (child == 0) {
		pid_t grandchild;

		if (rt_attach(dir, getpid()))
			_exit(2);
		grandchild = fork();
		if (grandchild == 0)
			_exit(0);
		_exit(grandchild < 0 && errno == EAGAIN ? 0 : 1);
	}
	ASSERT_EQ(child, waitpid(child, &status, 0));
	ASSERT_TRUE(WIFEXITED(status));
	EXPECT_EQ(0, WEXITSTATUS(status)) TH_LOG("fork inside pids.max=1 was not refused");
}

/* A memory limit written is the limit read back (v2 memory.max, v1 limit_in_bytes). */
TEST_F(cg, memory_limit_roundtrip)
{
	const struct hier *h = hier_with(self->h, self->n, "memory");
	const char *file;
	char dir[PATH_MAX], buf[64];

	ASSERT_NE(NULL, h) TH_LOG("no hierarchy carries the memory controller");
	file = h->v2 ? "memory.max" : "memory.limit_in_bytes";
	ASSERT_EQ(0, cg_mkdir(h, self->name, dir, sizeof(dir)));
	ASSERT_EQ(0, rt_write_file(dir, file, "67108864"));
	ASSERT_LT(0, rt_read_file(dir, file, buf, sizeof(buf)));
	EXPECT_STREQ("67108864\n", buf);
}

TEST_HARNESS_MAIN
