// SPDX-License-Identifier: GPL-2.0
/*
 * cgroup_rename: same-parent rename of cgroups (patches/host 0002, 0003).
 *
 * On v1 rename works on every kernel (the patched one takes no cgroup_mutex); on v2 it
 * needs the "allow_rename" mount option, which the patched kernel advertises in
 * /sys/kernel/cgroup/features. /rund/expect-patched (written by scripts/check for our
 * kernel) turns a missing feature into a failure instead of a skip.
 *
 * Checked: the documented errno for each bad input with the tree unchanged; a renamed
 * cgroup keeps its tasks and limits; many threads renaming many siblings while others read
 * /proc/PID/cgroup of member tasks and walk the directory never see a torn or foreign
 * name, and at the end nothing is lost or duplicated.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <mntent.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "rund_test.h"

#define NR_SIBLINGS	64
#define NR_RENAMERS	8
#define NR_READERS	4
#define NR_ROUNDS	200

/* The hierarchy under test: cgroup2 if mounted, else the first v1 hierarchy. */
static int find_root(char *root, size_t len, char *opts, size_t olen, int *v2)
{
	FILE *f = setmntent("/proc/self/mounts", "r");
	struct mntent *m;
	int found = 0;

	if (!f)
		return -1;
	while ((m = getmntent(f))) {
		int is_v2 = !strcmp(m->mnt_type, "cgroup2");

		if (!is_v2 && strcmp(m->mnt_type, "cgroup"))
			continue;
		if (found && !is_v2)
			continue;
		snprintf(root, len, "%s", m->mnt_dir);
		snprintf(opts, olen, "%s", m->mnt_opts);
		*v2 = is_v2;
		found = 1;
		if (is_v2)
			break;
	}
	endmntent(f);
	return found ? 0 : -1;
}

static int exists(const char *dir, const char *name)
{
	char path[PATH_MAX];
	struct stat st;

	return !rt_path(path, sizeof(path), dir, name) && !stat(path, &st);
}

/* rename(@dir/@from, @dir2/@to): 0 or the errno. */
static int rename_err(const char *dir, const char *from, const char *dir2, const char *to)
{
	char a[PATH_MAX], b[PATH_MAX];

	if (rt_path(a, sizeof(a), dir, from) || rt_path(b, sizeof(b), dir2, to))
		return ENAMETOOLONG;
	return rename(a, b) ? errno : 0;
}

FIXTURE(rn) {
	char root[PATH_MAX];
	char opts[512];
	char top[PATH_MAX];	/* parent of the cgroups under test */
	char other[PATH_MAX];	/* a second parent, for cross-parent renames */
	int v2;
	int v2_rename;		/* allow_rename available on this kernel */
};

static void rm_tree(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	char path[PATH_MAX];

	if (!d)
		return;
	while ((e = readdir(d)))
		if (e->d_type == DT_DIR && e->d_name[0] != '.' &&
		    !rt_path(path, sizeof(path), dir, e->d_name))
			rm_tree(path);
	closedir(d);
	rmdir(dir);
}

FIXTURE_SETUP(rn)
{
	char name[64];

	ASSERT_EQ(0, find_root(self->root, sizeof(self->root), self->opts, sizeof(self->opts),
			       &self->v2)) TH_LOG("no cgroup hierarchy mounted");
	self->v2_rename = self->v2 && rt_v2_has_rename();
	if (self->v2 && !self->v2_rename && !access("/rund/expect-patched", F_OK))
		ASSERT_TRUE(0) TH_LOG("patched kernel without allow_rename in cgroup features");
	if (self->v2_rename)
		ASSERT_EQ(0, rt_v2_set_rename(self->root, self->opts, 1))
			TH_LOG("remount with allow_rename: %s", strerror(errno));
	snprintf(name, sizeof(name), "rename-%d", getpid());
	ASSERT_EQ(0, rt_path(self->top, sizeof(self->top), self->root, name));
	snprintf(name, sizeof(name), "rename-other-%d", getpid());
	ASSERT_EQ(0, rt_path(self->other, sizeof(self->other), self->root, name));
	ASSERT_EQ(0, rt_mkdir_cg(self->top));
	ASSERT_EQ(0, rt_mkdir_cg(self->other));
}

FIXTURE_TEARDOWN(rn)
{
	rm_tree(self->top);
	rm_tree(self->other);
	if (self->v2_rename)
		rt_v2_set_rename(self->root, self->opts, 0);
}

static int can_rename(struct __test_metadata *_metadata, FIXTURE_DATA(rn) *self)
{
	if (self->v2 && !self->v2_rename) {
		SKIP(return 0, "kernel without cgroup2 allow_rename (stock kernel)");
	}
	return 1;
}

/* Without allow_rename, v2 refuses rename with EPERM, exactly as a stock kernel does. */
TEST_F(rn, v2_without_option_eperm)
{
	char a[PATH_MAX];

	if (!self->v2)
		SKIP(return, "v1 hierarchy: rename needs no option");
	ASSERT_EQ(0, rt_path(a, sizeof(a), self->top, "a"));
	ASSERT_EQ(0, rt_mkdir_cg(a));
	if (self->v2_rename)
		ASSERT_EQ(0, rt_v2_set_rename(self->root, self->opts, 0));
	EXPECT_EQ(EPERM, rename_err(self->top, "a", self->top, "b"));
	EXPECT_TRUE(exists(self->top, "a"));
	EXPECT_FALSE(exists(self->top, "b"));
	if (self->v2_rename)
		ASSERT_EQ(0, rt_v2_set_rename(self->root, self->opts, 1));
}

/* Each bad input fails with its documented errno and leaves the tree as it was. */
TEST_F(rn, bad_input)
{
	static const struct {
		const char *to;
		int err;
	} cases[] = {
		{ "x/y", ENOENT },	/* '/' is a path separator: no directory "x" */
		{ "new\nline", EINVAL },	/* would make /proc/PID/cgroup unparsable */
		{ "..", EBUSY },	/* VFS: rename onto "." or ".." */
		{ "b", EEXIST },	/* existing sibling */
		{ "cgroup.procs", ENOTDIR },	/* VFS: a directory onto a file */
	};
	char longname[NAME_MAX + 2];
	char a[PATH_MAX], b[PATH_MAX];

	if (!can_rename(_metadata, self))
		return;
	ASSERT_EQ(0, rt_path(a, sizeof(a), self->top, "a"));
	ASSERT_EQ(0, rt_path(b, sizeof(b), self->top, "b"));
	ASSERT_EQ(0, rt_mkdir_cg(a));
	ASSERT_EQ(0, rt_mkdir_cg(b));
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		EXPECT_EQ(cases[i].err, rename_err(self->top, "a", self->top, cases[i].to))
			TH_LOG("rename to '%s'", cases[i].to);
	}
	/*
	 * kernfs has no NAME_MAX check of its own: stock kernels accept a 256-byte
	 * cgroup name that struct dirent cannot hold. The patched ->rename() refuses it.
	 */
	memset(longname, 'n', sizeof(longname) - 1);
	longname[sizeof(longname) - 1] = '\0';
	if (!access("/rund/expect-patched", F_OK)) {
		EXPECT_EQ(ENAMETOOLONG, rename_err(self->top, "a", self->top, longname));
	} else if (!rename_err(self->top, "a", self->top, longname)) {
		TH_LOG("stock kernel: accepted a %zu-byte name", strlen(longname));
		ASSERT_EQ(0, rename_err(self->top, longname, self->top, "a"));
	}
	/* cross-parent stays refused */
	EXPECT_EQ(EIO, rename_err(self->top, "a", self->other, "a"));
	/* interface files are not cgroups */
	EXPECT_EQ(ENOTDIR, rename_err(self->top, "a/cgroup.procs", self->top, "a/procs2"));
	EXPECT_TRUE(exists(self->top, "a"));
	EXPECT_TRUE(exists(self->top, "b"));
	EXPECT_FALSE(exists(self->other, "a"));
	EXPECT_TRUE(exists(a, "cgroup.procs"));
}

/* stat(2) and open(2) of @dir/@name: their errnos (0: it worked) */
static void lookup_errs(const char *dir, const char *name, int *st_err, int *open_err)
{
	char path[PATH_MAX];
	struct stat st;
	int fd;

	*st_err = *open_err = ENAMETOOLONG;
	if (rt_path(path, sizeof(path), dir, name))
		return;
	*st_err = stat(path, &st) ? errno : 0;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	*open_err = fd < 0 ? errno : 0;
	if (fd >= 0)
		close(fd);
}

/*
 * A lookup of a name longer than NAME_MAX fails with ENAMETOOLONG, as simple_lookup()
 * and every disk filesystem's ->lookup() make it fail; stock kernfs_iop_lookup() checks
 * no length and makes a negative dentry (ENOENT). NAME_MAX itself is a valid name that
 * does not exist (ENOENT). Under the hierarchy root and under a cgroup, v1 and v2.
 */
TEST_F(rn, lookup_longer_than_name_max)
{
	char name[NAME_MAX + 2], max[NAME_MAX + 1];
	const char *const dirs[] = { self->root, self->top };
	int patched = !access("/rund/expect-patched", F_OK), st_err, open_err, stock = 0;

	memset(name, 'n', sizeof(name) - 1);
	name[sizeof(name) - 1] = '\0';
	memset(max, 'n', sizeof(max) - 1);
	max[sizeof(max) - 1] = '\0';
	for (size_t i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++) {
		lookup_errs(dirs[i], max, &st_err, &open_err);
		EXPECT_EQ(ENOENT, st_err)
			TH_LOG("stat of a %zu-byte name in %s", strlen(max), dirs[i]);
		EXPECT_EQ(ENOENT, open_err)
			TH_LOG("open of a %zu-byte name in %s", strlen(max), dirs[i]);

		lookup_errs(dirs[i], name, &st_err, &open_err);
		if (!patched && st_err == ENOENT && open_err == ENOENT) {
			stock++;
			continue;
		}
		EXPECT_EQ(ENAMETOOLONG, st_err)
			TH_LOG("stat of a %zu-byte name in %s: %s", strlen(name), dirs[i],
			       strerror(st_err));
		EXPECT_EQ(ENAMETOOLONG, open_err)
			TH_LOG("open of a %zu-byte name in %s: %s", strlen(name), dirs[i],
			       strerror(open_err));
	}
	if (stock)
		SKIP(return, "stock kernfs: a %zu-byte name looks up as ENOENT", strlen(name));
}

/* A renamed cgroup keeps its tasks and its limits; the old name is gone. */
TEST_F(rn, keeps_tasks_and_limits)
{
	char a[PATH_MAX], b[PATH_MAX], pid[32], buf[64];
	pid_t child;
	int has_pids;

	if (!can_rename(_metadata, self))
		return;
	if (self->v2)
		rt_write_file(self->top, "cgroup.subtree_control", "+pids");
	ASSERT_EQ(0, rt_path(a, sizeof(a), self->top, "a"));
	ASSERT_EQ(0, rt_path(b, sizeof(b), self->top, "b"));
	ASSERT_EQ(0, rt_mkdir_cg(a));
	has_pids = exists(a, "pids.max");
	if (has_pids)
		ASSERT_EQ(0, rt_write_file(a, "pids.max", "7"));
	child = rt_spawn_sleeper();
	ASSERT_GT(child, 0);
	ASSERT_EQ(0, rt_attach(a, child));
	ASSERT_EQ(0, rename_err(self->top, "a", self->top, "b"));
	snprintf(pid, sizeof(pid), "%d", child);
	EXPECT_EQ(1, rt_file_has_line(b, "cgroup.procs", pid));
	EXPECT_EQ(1, rt_proc_cgroup_count(child, "/b\n"));
	EXPECT_EQ(0, rt_proc_cgroup_count(child, "/a\n"));
	if (has_pids) {
		ASSERT_LT(0, rt_read_file(b, "pids.max", buf, sizeof(buf)));
		EXPECT_STREQ("7\n", buf);
	}
	EXPECT_FALSE(exists(self->top, "a"));
	rt_kill_wait(child);
}

/* --- concurrency ---------------------------------------------------------------- */

struct race {
	const char *top;		/* absolute path of the parent */
	const char *rel;		/* the same, relative to the hierarchy root */
	int rel_len;
	pid_t task[NR_SIBLINGS];
	atomic_int gen[NR_SIBLINGS];	/* current generation of sibling i's name */
	atomic_int stop;
	atomic_long renames, reads, walks;
	atomic_int bad;			/* first inconsistency, as a line number */
	char why[256];
};

static void race_fail(struct race *r, int line, const char *what, const char *name)
{
	int zero = 0;

	/* bounded so the report always fits in why[]; a long name is cut short */
	if (atomic_compare_exchange_strong(&r->bad, &zero, line))
		snprintf(r->why, sizeof(r->why), "%.64s: '%.160s'", what, name);
}

/* A sibling's name is "s<i>-g<k>": parse it; -1 when torn or foreign. */
static int parse_name(const char *name, int *gen)
{
	int i, k, n = -1;

	if (sscanf(name, "s%d-g%d%n", &i, &k, &n) != 2 || name[n] || i < 0 || i >= NR_SIBLINGS)
		return -1;
	*gen = k;
	return i;
}

struct renamer_arg {
	struct race *r;
	int id;
};

/* Renames its own siblings (i % NR_RENAMERS == id) to the next generation, round by round. */
static void *renamer(void *p)
{
	struct renamer_arg *a = p;
	struct race *r = a->r;
	char from[64], to[64];

	for (int round = 0; round < NR_ROUNDS && !atomic_load(&r->stop); round++) {
		for (int i = a->id; i < NR_SIBLINGS; i += NR_RENAMERS) {
			int g = atomic_load(&r->gen[i]);

			snprintf(from, sizeof(from), "s%d-g%d", i, g);
			snprintf(to, sizeof(to), "s%d-g%d", i, g + 1);
			if (rename_err(r->top, from, r->top, to)) {
				race_fail(r, __LINE__, "rename failed", from);
				return NULL;
			}
			atomic_store(&r->gen[i], g + 1);
			atomic_fetch_add(&r->renames, 1);
		}
	}
	return NULL;
}

/* /proc/PID/cgroup of sibling i's task always names sibling i, never a torn name. */
static void check_proc_cgroup(struct race *r, int i)
{
	char dir[64], buf[4096], *line, *save, *name;
	int gen;

	snprintf(dir, sizeof(dir), "/proc/%d", r->task[i]);
	if (rt_read_file(dir, "cgroup", buf, sizeof(buf)) < 0) {
		race_fail(r, __LINE__, "read /proc/PID/cgroup", dir);
		return;
	}
	for (line = strtok_r(buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char *path = strchr(strchr(line, ':') + 1, ':') + 1;

		if (strncmp(path, r->rel, r->rel_len) || path[r->rel_len] != '/')
			continue;	/* another v1 hierarchy */
		name = path + r->rel_len + 1;
		if (parse_name(name, &gen) != i)
			race_fail(r, __LINE__, "/proc/PID/cgroup names another cgroup", name);
	}
}

/* Directory walk: every entry that looks like a sibling is well formed. */
static void walk(struct race *r, const char *dirpath)
{
	DIR *d = opendir(dirpath);
	struct dirent *e;
	int gen;

	if (!d) {
		race_fail(r, __LINE__, "opendir", dirpath);
		return;
	}
	while ((e = readdir(d)))
		if (e->d_type == DT_DIR && e->d_name[0] != '.' && parse_name(e->d_name, &gen) < 0)
			race_fail(r, __LINE__, "torn or foreign directory name", e->d_name);
	closedir(d);
}

static void *reader(void *p)
{
	struct race *r = p;

	while (!atomic_load(&r->stop)) {
		for (int i = 0; i < NR_SIBLINGS; i++)
			check_proc_cgroup(r, i);
		atomic_fetch_add(&r->reads, NR_SIBLINGS);
		walk(r, r->top);
		atomic_fetch_add(&r->walks, 1);
	}
	return NULL;
}

/* minutes, not seconds, on a lockdep + KASAN kernel under TCG */
TEST_F_TIMEOUT(rn, concurrent_renames_with_readers, 900)
{
	pthread_t rt[NR_RENAMERS], wt[NR_READERS];
	struct renamer_arg args[NR_RENAMERS];
	static struct race r;
	char dir[PATH_MAX], name[64], pid[32];
	int seen[NR_SIBLINGS] = { 0 }, gen, n = 0;
	struct dirent *e;
	DIR *d;

	if (!can_rename(_metadata, self))
		return;
	memset(&r, 0, sizeof(r));
	r.top = self->top;
	/* paths in /proc/PID/cgroup are relative to the hierarchy root */
	r.rel = self->top + strlen(self->root);
	r.rel_len = strlen(r.rel);
	for (int i = 0; i < NR_SIBLINGS; i++) {
		snprintf(name, sizeof(name), "s%d-g0", i);
		ASSERT_EQ(0, rt_path(dir, sizeof(dir), self->top, name));
		ASSERT_EQ(0, rt_mkdir_cg(dir));
		r.task[i] = rt_spawn_sleeper();
		ASSERT_GT(r.task[i], 0);
		ASSERT_EQ(0, rt_attach(dir, r.task[i]));
	}
	for (int i = 0; i < NR_RENAMERS; i++)
		args[i] = (struct renamer_arg){ .r = &r, .id = i };
	for (int i = 0; i < NR_READERS; i++)
		ASSERT_EQ(0, pthread_create(&wt[i], NULL, reader, &r));
	for (int i = 0; i < NR_RENAMERS; i++)
		ASSERT_EQ(0, pthread_create(&rt[i], NULL, renamer, &args[i]));
	for (int i = 0; i < NR_RENAMERS; i++)
		pthread_join(rt[i], NULL);
	atomic_store(&r.stop, 1);
	for (int i = 0; i < NR_READERS; i++)
		pthread_join(wt[i], NULL);
	TH_LOG("%ld renames, %ld /proc/PID/cgroup reads, %ld walks",
	       atomic_load(&r.renames), atomic_load(&r.reads), atomic_load(&r.walks));
	ASSERT_EQ(0, atomic_load(&r.bad)) TH_LOG("line %d: %s", atomic_load(&r.bad), r.why);
	EXPECT_EQ((long)NR_SIBLINGS * NR_ROUNDS, atomic_load(&r.renames));

	/* quiescent: exactly one directory per sibling, at its last name, with its task */
	d = opendir(self->top);
	ASSERT_NE(NULL, d);
	while ((e = readdir(d))) {
		int i;

		if (e->d_type != DT_DIR || e->d_name[0] == '.')
			continue;
		i = parse_name(e->d_name, &gen);
		ASSERT_GE(i, 0) TH_LOG("stray directory '%s'", e->d_name);
		EXPECT_EQ(0, seen[i]++) TH_LOG("sibling %d listed twice", i);
		EXPECT_EQ(atomic_load(&r.gen[i]), gen);
		ASSERT_EQ(0, rt_path(dir, sizeof(dir), self->top, e->d_name));
		snprintf(pid, sizeof(pid), "%d", r.task[i]);
		EXPECT_EQ(1, rt_file_has_line(dir, "cgroup.procs", pid));
		n++;
	}
	closedir(d);
	EXPECT_EQ(NR_SIBLINGS, n);
	for (int i = 0; i < NR_SIBLINGS; i++)
		rt_kill_wait(r.task[i]);
}

TEST_HARNESS_MAIN
