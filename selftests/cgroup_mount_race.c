// SPDX-License-Identifier: GPL-2.0
/*
 * cgroup_mount_race: kernfs names read while a rename frees them (issue 16, item 1).
 *
 *   cgroup_mount_race [--mounts=N] [--workers=N] [--per-child=N] [--renamers=N]
 *                     [--readers=N] [--name-len=N] [harness options]
 *
 * Every cgroup mount made inside a cgroup namespace walks from the hierarchy's root down
 * to the namespace's root cgroup (cgroup_do_get_tree() -> kernfs_node_dentry()), reading
 * each ancestor's kernfs name and handing it to lookup_positive_unlocked() without
 * kernfs_rename_lock; readdir(2) of a cgroup directory copies a child's name out after
 * dropping kernfs_rwsem (kernfs_fop_readdir()). A same-parent rename frees the old name
 * at once (kernfs_rename_ns(): kfree_const()), so a container runtime that starts
 * containers with their own cgroup namespace while the sandbox pool renames cgroups reads
 * freed memory: KASAN reports it on the debug kernel, elsewhere the lookup sees a torn
 * name.
 *
 * Tree: P/A/x/y on the hierarchy under test (cgroup2 with allow_rename, or the v1
 * hierarchy with memory). --renamers threads (default 2) rename P/A <-> P/B; --workers
 * processes (default 4), moved into y before the renames start, loop: fork a child (a
 * container start) that unshares its cgroup namespace (rooted at y) and its mount
 * namespace, makes its mounts private, then --per-child times (default 16) mounts the
 * hierarchy on a private directory, checks that the mount's root is y and unmounts;
 * --readers threads (default 2) readdir(P) in a loop. --mounts (default 1500, about a
 * minute on the debug kernel, where KASAN reported the use-after-free in every run of
 * 1000) bounds the run; names are --name-len (default 200) bytes, so each lookup spends
 * longer reading them.
 *
 * Asserted: mounts succeeded and renames happened; every failed mount failed with ENOENT
 * (the name it looked up had just been renamed away) and nothing else; every mount that
 * succeeded has y as its root; every entry readdir(P) returned is a control file P had
 * before the run, A or B (no torn name); afterwards exactly one of P/A and P/B exists with
 * x/y below it, and the tree is removed.
 *
 * On v2 the hierarchy is remounted with allow_rename for the run and restored after. A
 * stock kernel has the same upstream kernfs race on v1 and nothing of rund can fix it
 * there: without /rund/expect-patched the test skips.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <time.h>

#include "kselftest_harness.h"
#include "rund_test.h"

static long nr_mounts = 1500;
static int nr_workers = 4;
static int nr_renamers = 2;
static int nr_readers = 2;
static int name_len = 200;
static int per_child = 16;

#define MAX_WORKERS	64
#define MAX_THREADS	64
#define MAX_FILES	128
#define MAX_MSGS	8

/* shared with the workers and their children (MAP_SHARED) */
struct shared {
	_Atomic long claimed;		/* mounts handed out to workers */
	_Atomic long ok, enoent, other, wrong_root;
	_Atomic long children, setup;	/* container starts, their failures */
	_Atomic int nmsg;
	char msg[MAX_MSGS][256];
};

struct race {
	struct shared *sh;
	char top[256];			/* P: short, so P/A/x/y fits PATH_MAX */
	char name[2][NAME_MAX + 1];	/* A, B */
	char fstype[16];		/* cgroup2 or cgroup */
	char mopts[512];		/* v1: the hierarchy's options */
	ino_t y_ino;
	char files[MAX_FILES][NAME_MAX + 1];	/* P's own entries before the run */
	int nr_files;
	_Atomic int stop;
	_Atomic long renames, rename_enoent, rename_other;
	_Atomic long entries, torn, readdirs;
	_Atomic int rename_errno;
	char torn_name[NAME_MAX + 1];
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

/*
 * The hierarchy under test: cgroup2 if mounted, else the v1 one with memory (the
 * co-mounted one). @opts: its mount options without the VFS ones, what a mount of the
 * same v1 hierarchy must pass (v1 refuses a new hierarchy inside a cgroup namespace).
 */
static int find_hier(char *root, size_t len, char *opts, size_t olen, int *v2)
{
	static const char *const vfs[] = { "rw", "ro", "nosuid", "nodev", "noexec", "relatime",
					   "noatime", "nodiratime", "strictatime", "seclabel" };
	FILE *f = setmntent("/proc/self/mounts", "r");
	struct mntent *m;
	char *tok, *save;
	int found = 0;

	if (!f)
		return -1;
	while (!found && (m = getmntent(f))) {
		if (!strcmp(m->mnt_type, "cgroup2"))
			found = *v2 = 1;
		else if (!strcmp(m->mnt_type, "cgroup") && hasmntopt(m, "memory"))
			found = 1;
		if (!found)
			continue;
		snprintf(root, len, "%s", m->mnt_dir);
		opts[0] = '\0';
		for (tok = strtok_r(m->mnt_opts, ",", &save); tok;
		     tok = strtok_r(NULL, ",", &save)) {
			size_t i;

			for (i = 0; i < sizeof(vfs) / sizeof(vfs[0]) && strcmp(tok, vfs[i]); i++)
				;
			if (i < sizeof(vfs) / sizeof(vfs[0]))
				continue;
			if (opts[0])
				strncat(opts, ",", olen - strlen(opts) - 1);
			strncat(opts, tok, olen - strlen(opts) - 1);
		}
	}
	endmntent(f);
	return found ? 0 : -1;
}

/* the current name of A, i.e. whichever of P/A and P/B exists: 0 or 1, -1 when neither */
static int current_name(const struct race *r)
{
	char path[PATH_MAX];
	struct stat st;

	for (int i = 0; i < 2; i++)
		if (!rt_path(path, sizeof(path), r->top, r->name[i]) && !stat(path, &st))
			return i;
	return -1;
}

static void *renamer(void *arg)
{
	struct race *r = arg;
	char a[PATH_MAX], b[PATH_MAX];
	int from = 0;

	rt_path(a, sizeof(a), r->top, r->name[0]);
	rt_path(b, sizeof(b), r->top, r->name[1]);
	while (!atomic_load(&r->stop)) {
		/* another renamer may have moved it first: then it is the other name now */
		if (!rename(from ? b : a, from ? a : b))
			atomic_fetch_add(&r->renames, 1);
		else if (errno == ENOENT)
			atomic_fetch_add(&r->rename_enoent, 1);
		else if (!atomic_fetch_add(&r->rename_other, 1))
			atomic_store(&r->rename_errno, errno);
		from = !from;
	}
	return NULL;
}

static int known_entry(struct race *r, const char *name)
{
	if (!strcmp(name, ".") || !strcmp(name, "..") || !strcmp(name, r->name[0]) ||
	    !strcmp(name, r->name[1]))
		return 1;
	for (int i = 0; i < r->nr_files; i++)
		if (!strcmp(name, r->files[i]))
			return 1;
	return 0;
}

static void *reader(void *arg)
{
	struct race *r = arg;
	struct dirent *e;
	DIR *d;

	while (!atomic_load(&r->stop)) {
		d = opendir(r->top);
		if (!d)
			break;
		while ((e = readdir(d))) {
			atomic_fetch_add(&r->entries, 1);
			if (known_entry(r, e->d_name))
				continue;
			if (!atomic_fetch_add(&r->torn, 1))
				snprintf(r->torn_name, sizeof(r->torn_name), "%s", e->d_name);
		}
		closedir(d);
		atomic_fetch_add(&r->readdirs, 1);
	}
	return NULL;
}

/* one mount's outcome: success, or the errno of mount(2) */
static void count_mount(struct shared *sh, int err)
{
	if (!err)
		atomic_fetch_add(&sh->ok, 1);
	else if (err == ENOENT)
		atomic_fetch_add(&sh->enoent, 1);
	else {
		atomic_fetch_add(&sh->other, 1);
		note(sh, "mount failed: %s", strerror(err));
	}
}

/*
 * A container start: a cgroup namespace rooted at our cgroup (y), a private mount
 * namespace, then up to --per-child mounts of the hierarchy on @dir (fork and unshare
 * cost more than a mount: more mounts per second, more walks through the renamed name),
 * each checked to have y as its root and unmounted. Runs in a child; exits 0, or 1 when
 * something other than a mount failed (noted).
 */
static void mount_child(struct race *r, const char *dir)
{
	struct shared *sh = r->sh;
	struct stat st;
	int err;

	if (unshare(CLONE_NEWCGROUP) || unshare(CLONE_NEWNS) ||
	    mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL)) {
		note(sh, "unshare/make-private: %s", strerror(errno));
		_exit(1);
	}
	for (int i = 0; i < per_child && atomic_fetch_add(&sh->claimed, 1) < nr_mounts; i++) {
		err = mount(r->fstype, dir, r->fstype, 0, r->mopts[0] ? r->mopts : NULL);
		err = err ? errno : 0;
		count_mount(sh, err);
		if (err)
			continue;
		st.st_ino = 0;
		if (stat(dir, &st) || st.st_ino != r->y_ino) {
			atomic_fetch_add(&sh->wrong_root, 1);
			note(sh, "mount root ino %lu, want y's %lu", (unsigned long)st.st_ino,
			     (unsigned long)r->y_ino);
		}
		if (umount(dir)) {
			note(sh, "umount: %s", strerror(errno));
			_exit(1);
		}
	}
	_exit(0);
}

/* a worker: waits for @go, then starts containers until --mounts are claimed */
static void worker(struct race *r, int go, const char *dir)
{
	int status;
	char c;
	pid_t pid;

	if (read(go, &c, 1) != 1)
		_exit(1);
	while (atomic_load(&r->sh->claimed) < nr_mounts) {
		pid = fork();
		if (pid == 0)
			mount_child(r, dir);
		if (pid < 0 || waitpid(pid, &status, 0) != pid) {
			note(r->sh, "fork/wait: %s", strerror(errno));
			atomic_fetch_add(&r->sh->setup, 1);
			break;
		}
		if (!WIFEXITED(status) || WEXITSTATUS(status)) {
			if (!WIFEXITED(status))
				note(r->sh, "mount child killed by signal %d", WTERMSIG(status));
			atomic_fetch_add(&r->sh->setup, 1);
		}
		atomic_fetch_add(&r->sh->children, 1);
	}
	_exit(0);
}

/* P's entries before A exists: its control files and "." / ".." */
static int snapshot_files(struct race *r)
{
	DIR *d = opendir(r->top);
	struct dirent *e;

	if (!d)
		return -1;
	while ((e = readdir(d)) && r->nr_files < MAX_FILES)
		snprintf(r->files[r->nr_files++], NAME_MAX + 1, "%s", e->d_name);
	closedir(d);
	return e ? -1 : 0;
}

FIXTURE(mr) {
	char root[200];
	char opts[512];
	int v2;
	int had_rename;		/* v2: allow_rename was on before the test */
	int remounted;
	struct race *r;
	char dirs[MAX_WORKERS][32];
	int nr_dirs;
};

FIXTURE_SETUP(mr)
{
	char opts[512];

	ASSERT_EQ(0, find_hier(self->root, sizeof(self->root), self->opts, sizeof(self->opts),
			       &self->v2)) TH_LOG("no cgroup2 or v1 memory hierarchy mounted");
	self->r = mmap(NULL, sizeof(*self->r), PROT_READ | PROT_WRITE,
		       MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, self->r);
	self->r->sh = mmap(NULL, sizeof(*self->r->sh), PROT_READ | PROT_WRITE,
			   MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, self->r->sh);
	snprintf(self->r->top, sizeof(self->r->top), "%s/mntrace-%d", self->root, getpid());
	if (!self->v2 || !rt_v2_has_rename())
		return;
	ASSERT_EQ(0, rt_v2_mount_opts(self->root, opts, sizeof(opts)));
	self->had_rename = !!strstr(opts, "allow_rename");
	ASSERT_EQ(0, rt_v2_set_rename(self->root, opts, 1))
		TH_LOG("remount with allow_rename: %s", strerror(errno));
	self->remounted = 1;
}

/* rmdir the chain below P/@name, then P; 0 when everything is gone */
static int remove_tree(const char *top, const char *name)
{
	static const char *const below[] = { "x/y", "x", "" };
	char path[PATH_MAX];
	int ret = 0;

	for (size_t i = 0; name && i < sizeof(below) / sizeof(below[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s%s%s", top, name, *below[i] ? "/" : "",
			 below[i]);
		if (rmdir(path) && errno != ENOENT)
			ret = -1;
	}
	if (rmdir(top) && errno != ENOENT)
		ret = -1;
	return ret;
}

FIXTURE_TEARDOWN(mr)
{
	char opts[512];
	int cur = current_name(self->r);

	remove_tree(self->r->top, cur >= 0 ? self->r->name[cur] : NULL);
	for (int i = 0; i < self->nr_dirs; i++)
		rmdir(self->dirs[i]);
	if (self->remounted && !rt_v2_mount_opts(self->root, opts, sizeof(opts)))
		rt_v2_set_rename(self->root, opts, self->had_rename);
}

/* the names: --name-len bytes, the last one A or B */
static void make_names(struct race *r)
{
	for (int i = 0; i < 2; i++) {
		memset(r->name[i], 'n', name_len - 1);
		r->name[i][name_len - 1] = i ? 'B' : 'A';
		r->name[i][name_len] = '\0';
	}
}

/* mkdir P/A/x/y; y's inode (its cgroup id) is what every mount's root must be */
static int make_tree(struct race *r)
{
	char path[PATH_MAX];
	struct stat st;

	if (rt_mkdir_cg(r->top) || snapshot_files(r))
		return -1;
	snprintf(path, sizeof(path), "%s/%s", r->top, r->name[0]);
	if (rt_mkdir_cg(path))
		return -1;
	strcat(path, "/x");
	if (rt_mkdir_cg(path))
		return -1;
	strcat(path, "/y");
	if (rt_mkdir_cg(path) || stat(path, &st))
		return -1;
	r->y_ino = st.st_ino;
	return 0;
}

static double now(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec + t.tv_nsec / 1e9;
}

TEST_F_TIMEOUT(mr, mount_in_cgroupns_while_renaming, 900)
{
	pthread_t rt[MAX_THREADS], dt[MAX_THREADS];
	struct race *r = self->r;
	struct shared *sh = r->sh;
	pid_t pids[MAX_WORKERS];
	char path[PATH_MAX];
	int go[2], status, cur, failed_workers = 0;
	double t0, secs;

	if (access("/rund/expect-patched", F_OK))
		SKIP(return, "stock kernel: upstream 6.1 kernfs has this race, only the patched "
		     "kernel is fixed");
	if (self->v2 && !rt_v2_has_rename())
		ASSERT_TRUE(0) TH_LOG("patched kernel without allow_rename in cgroup features");
	ASSERT_TRUE(nr_workers > 0 && nr_workers <= MAX_WORKERS);
	ASSERT_TRUE(nr_renamers > 0 && nr_renamers <= MAX_THREADS);
	ASSERT_TRUE(nr_readers >= 0 && nr_readers <= MAX_THREADS);
	ASSERT_TRUE(name_len >= 2 && name_len <= NAME_MAX);
	ASSERT_LT(0, per_child);

	snprintf(r->fstype, sizeof(r->fstype), "%s", self->v2 ? "cgroup2" : "cgroup");
	snprintf(r->mopts, sizeof(r->mopts), "%s", self->v2 ? "" : self->opts);
	make_names(r);
	ASSERT_EQ(0, make_tree(r)) TH_LOG("mkdir %s/A/x/y: %s", r->top, strerror(errno));

	/* workers first, before any thread exists; each held in y until "go" */
	ASSERT_EQ(0, pipe(go));
	for (int i = 0; i < nr_workers; i++) {
		snprintf(self->dirs[i], sizeof(self->dirs[i]), "/tmp/mntrace-%d-%d", getpid(), i);
		ASSERT_EQ(0, mkdir(self->dirs[i], 0700));
		self->nr_dirs = i + 1;
		pids[i] = fork();
		ASSERT_LE(0, pids[i]);
		if (pids[i] == 0) {
			close(go[1]);
			worker(r, go[0], self->dirs[i]);
		}
		snprintf(path, sizeof(path), "%s/%s/x/y", r->top, r->name[0]);
		ASSERT_EQ(0, rt_attach(path, pids[i])) TH_LOG("attach: %s", strerror(errno));
	}
	close(go[0]);

	t0 = now();
	for (int i = 0; i < nr_renamers; i++)
		ASSERT_EQ(0, pthread_create(&rt[i], NULL, renamer, r));
	for (int i = 0; i < nr_readers; i++)
		ASSERT_EQ(0, pthread_create(&dt[i], NULL, reader, r));
	for (int i = 0; i < nr_workers; i++)
		ASSERT_EQ(1, write(go[1], "g", 1));
	close(go[1]);
	for (int i = 0; i < nr_workers; i++) {
		waitpid(pids[i], &status, 0);
		failed_workers += !WIFEXITED(status) || WEXITSTATUS(status);
	}
	atomic_store(&r->stop, 1);
	for (int i = 0; i < nr_renamers; i++)
		pthread_join(rt[i], NULL);
	for (int i = 0; i < nr_readers; i++)
		pthread_join(dt[i], NULL);
	secs = now() - t0;

	ksft_print_msg("%.1f s: %ld mounts ok, %ld ENOENT, %ld other errors, %ld wrong root; "
		       "%ld container starts (%ld failed); %ld renames (%ld ENOENT); "
		       "%ld readdirs, %ld entries, %ld torn\n", secs, sh->ok, sh->enoent, sh->other,
		       sh->wrong_root, sh->children, sh->setup, r->renames, r->rename_enoent,
		       r->readdirs, r->entries, r->torn);
	for (int i = 0; i < atomic_load(&sh->nmsg) && i < MAX_MSGS; i++)
		ksft_print_msg("  %s\n", sh->msg[i]);

	EXPECT_EQ(0, failed_workers);
	EXPECT_LT(0, sh->ok);
	EXPECT_LT(0, r->renames);
	EXPECT_EQ(0, sh->other) TH_LOG("mounts failed with another errno than ENOENT");
	EXPECT_EQ(0, sh->wrong_root);
	EXPECT_EQ(0, sh->setup);
	EXPECT_EQ(0, r->rename_other) TH_LOG("rename: %s", strerror(r->rename_errno));
	if (nr_readers)
		EXPECT_LT(0, r->entries);
	EXPECT_EQ(0, r->torn) TH_LOG("readdir returned '%s'", r->torn_name);

	/* the tree survived: one of A and B, with x/y below */
	cur = current_name(r);
	ASSERT_LE(0, cur) TH_LOG("neither P/A nor P/B exists");
	snprintf(path, sizeof(path), "%s/%s/x/y", r->top, r->name[cur]);
	EXPECT_EQ(0, access(path, F_OK)) TH_LOG("%s: %s", path, strerror(errno));
	snprintf(path, sizeof(path), "%s/%s", r->top, r->name[!cur]);
	EXPECT_NE(0, access(path, F_OK)) TH_LOG("both P/A and P/B exist");
	EXPECT_EQ(0, remove_tree(r->top, r->name[cur])) TH_LOG("rmdir: %s", strerror(errno));
	EXPECT_NE(0, access(r->top, F_OK));
}

int main(int argc, char **argv)
{
	const char *v;

	v = rt_opt(&argc, argv, "mounts");
	if (v)
		nr_mounts = atol(v);
	v = rt_opt(&argc, argv, "workers");
	if (v)
		nr_workers = atoi(v);
	v = rt_opt(&argc, argv, "renamers");
	if (v)
		nr_renamers = atoi(v);
	v = rt_opt(&argc, argv, "readers");
	if (v)
		nr_readers = atoi(v);
	v = rt_opt(&argc, argv, "per-child");
	if (v)
		per_child = atoi(v);
	v = rt_opt(&argc, argv, "name-len");
	if (v)
		name_len = atoi(v);
	return test_harness_run(argc, argv);
}
