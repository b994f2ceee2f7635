// SPDX-License-Identifier: GPL-2.0
/*
 * cgroup_config: the aggregated sandbox cgroup (patches/host 0007): rund.config and the
 * per-parent rund.lightweight, on v2 and v1 (co-mounted or separate hierarchies).
 *
 * Truth comes from the controllers' own files and from what the kernel does with the
 * limits (an OOM kill, a refused fork, cpu.stat nr_throttled, a task that stops running),
 * never from rund.config alone. On a kernel without the patch every test skips, unless
 * /rund/expect-patched says it has them: then it fails.
 *
 * Series v2 (issue 16): cpu.quota_us and cpu.period_us of one write are one change (v1
 * checks each quota against the parent's and the children's), a refused write leaves the
 * cgroup as it was (a frozen sandbox stays frozen, v2's rounded cpu.weight is not how the
 * shares are put back), and rund.config is no way around a file's permissions: a write
 * through it is checked against each target file's own, and nsdelegate refuses it at a
 * namespace root.
 *
 * The "cost" test prints, without asserting on them, the syscalls and time to configure
 * one sandbox through the separate files vs one rund.config write, and mkdir(2)+rmdir(2)
 * of a full vs a lightweight cgroup (children of a parent with rund.lightweight=1).
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <grp.h>
#include <libgen.h>
#include <mntent.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <time.h>

#include "kselftest_harness.h"
#include "rund_test.h"

#define CFG		"rund.config"
#define KMSG_TAG	"cgroup: rund.config: "	/* pr_fmt of patch 7 */

struct hier {
	char root[PATH_MAX];	/* mount point of the hierarchy under test */
	char opts[512];		/* its fs options, for remounting */
	int v2;
};

/* cgroup2, else the v1 hierarchy with memory (the co-mounted one if there is one) */
static int find_hier(struct hier *h)
{
	static const char *const vfs[] = { "rw", "ro", "nosuid", "nodev", "noexec", "relatime",
					   "noatime", "nodiratime", "strictatime", "seclabel" };
	FILE *f = setmntent("/proc/self/mounts", "r");
	struct mntent *m;
	char *save, *tok;
	int found = 0;

	if (!f)
		return -1;
	while (!found && (m = getmntent(f))) {
		if (!strcmp(m->mnt_type, "cgroup2"))
			found = h->v2 = 1;
		else if (!strcmp(m->mnt_type, "cgroup") && hasmntopt(m, "memory"))
			found = 1;
		if (!found)
			continue;
		snprintf(h->root, sizeof(h->root), "%s", m->mnt_dir);
		h->opts[0] = '\0';
		for (tok = strtok_r(m->mnt_opts, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
			size_t i;

			for (i = 0; i < sizeof(vfs) / sizeof(vfs[0]) && strcmp(tok, vfs[i]); i++)
				;
			if (i < sizeof(vfs) / sizeof(vfs[0]))
				continue;
			if (h->opts[0])
				strcat(h->opts, ",");
			strncat(h->opts, tok, sizeof(h->opts) - strlen(h->opts) - 1);
		}
	}
	endmntent(f);
	return found ? 0 : -1;
}

/* @key's value in rund.config text @text (one KEY=VALUE per line) into @val */
static int cfg_find(const char *text, const char *key, char *val, size_t len)
{
	size_t klen = strlen(key);
	const char *line, *nl;

	for (line = text; *line; line = nl + 1) {
		nl = strchrnul(line, '\n');
		if (!strncmp(line, key, klen) && line[klen] == '=') {
			snprintf(val, len, "%.*s", (int)(nl - line - klen - 1), line + klen + 1);
			return 0;
		}
		if (!*nl)
			break;
	}
	return -1;
}

/* @key's value in the rund.config of @dir into @val; 0, or -1 when absent */
static int cfg_get(const char *dir, const char *key, char *val, size_t len)
{
	char buf[4096];

	if (rt_read_file(dir, CFG, buf, sizeof(buf)) < 0)
		return -1;
	return cfg_find(buf, key, val, len);
}

static int has_key(const char *dir, const char *key)
{
	char v[256];

	return !cfg_get(dir, key, v, sizeof(v));
}

static int exists(const char *dir, const char *file)
{
	char p[PATH_MAX];

	return !rt_path(p, sizeof(p), dir, file) && !access(p, F_OK);
}

/* first line of @dir/@file, trailing newline cut */
static const char *first_line(const char *dir, const char *file, char *buf, size_t len)
{
	if (rt_read_file(dir, file, buf, len) < 0)
		return "(unreadable)";
	buf[strcspn(buf, "\n")] = '\0';
	return buf;
}

static int nr_files(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	int n = 0;

	if (!d)
		return -1;
	while ((e = readdir(d)))
		n += e->d_type == DT_REG;
	closedir(d);
	return n;
}

#define NR_EXTRA	4

FIXTURE(cfg) {
	struct hier h;
	char dir[PATH_MAX];	/* the sandbox cgroup */
	char why[80];
	int ok;			/* 0: skip (no patch / no hierarchy) */
	/* what a test made beyond dir, undone by the teardown even after a failed ASSERT */
	char extra[NR_EXTRA][PATH_MAX + 32];	/* cgroups, removed last first */
	int nr_extra;
	pid_t task;		/* a test's task: thawed, killed, reaped */
};

#define NEED() do {						\
	if (!self->ok)						\
		SKIP(return, "%s", self->why);			\
} while (0)

FIXTURE_SETUP(cfg)
{
	int patched = !access("/rund/expect-patched", F_OK);

	if (find_hier(&self->h)) {
		snprintf(self->why, sizeof(self->why), "no cgroup hierarchy with memory");
		return;
	}
	if (self->h.v2)
		rt_write_file(self->h.root, "cgroup.subtree_control", "+cpu +cpuset +memory +io +pids");
	snprintf(self->dir, sizeof(self->dir), "%s/rundcfg-%d", self->h.root, getpid());
	rmdir(self->dir);
	ASSERT_EQ(0, rt_mkdir_cg(self->dir)) TH_LOG("mkdir %s: %s", self->dir, strerror(errno));
	if (!exists(self->dir, CFG)) {
		ASSERT_EQ(0, patched) TH_LOG("patched kernel but no %s in %s", CFG, self->dir);
		snprintf(self->why, sizeof(self->why), "no %s: kernel without patches/host 0007", CFG);
		return;
	}
	self->ok = 1;
}

static int remount(const struct hier *h, const char *extra);

static void thaw(const char *dir);

FIXTURE_TEARDOWN(cfg)
{
	/* also takes back the nsdelegate a test added: a v2 remount sets every option */
	if (self->ok)
		remount(&self->h, "");
	for (int i = self->nr_extra - 1; i >= 0; i--)
		thaw(self->extra[i]);
	thaw(self->dir);
	if (self->task > 0)
		rt_kill_wait(self->task);
	for (int i = self->nr_extra - 1; i >= 0; i--)
		rmdir(self->extra[i]);
	rmdir(self->dir);
}

/*
 * One field: the value written through rund.config, what rund.config reads back, and
 * what the controller's own file then holds, on v2 and on v1.
 */
struct field_case {
	const char *key, *val;
	const char *v2_file, *v2_want;
	const char *v1_file, *v1_want;
};

static const struct field_case fields[] = {
	{ "cpuset.cpus", "0", "cpuset.cpus", "0", "cpuset.cpus", "0" },
	{ "cpuset.mems", "0", "cpuset.mems", "0", "cpuset.mems", "0" },
	{ "cpu.quota_us", "50000", "cpu.max", "50000 100000", "cpu.cfs_quota_us", "50000" },
	{ "cpu.period_us", "200000", "cpu.max", "50000 200000", "cpu.cfs_period_us", "200000" },
	{ "cpu.quota_us", "max", "cpu.max", "max 200000", "cpu.cfs_quota_us", "-1" },
	{ "cpu.weight", "250", "cpu.weight", "250", "cpu.shares", "2560" },
	{ "pids.max", "37", "pids.max", "37", "pids.max", "37" },
	{ "pids.max", "max", "pids.max", "max", "pids.max", "max" },
	{ "io.weight", "300", "io.weight", "default 300", NULL, NULL },
	{ "io.bfq.weight", "200", "io.bfq.weight", "default 200", "blkio.bfq.weight", "200" },
	{ "memory.max", "67108864", "memory.max", "67108864",
	  "memory.limit_in_bytes", "67108864" },
	{ "memory.max", "max", "memory.max", "max", "memory.limit_in_bytes", NULL },
	{ "freeze", "1", "cgroup.freeze", "1", "freezer.state", NULL },
	{ "freeze", "0", "cgroup.freeze", "0", "freezer.state", "THAWED" },
};

TEST_F(cfg, every_field_round_trips)
{
	int tested = 0;

	NEED();
	for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++) {
		const struct field_case *c = &fields[i];
		const char *file = self->h.v2 ? c->v2_file : c->v1_file;
		const char *want = self->h.v2 ? c->v2_want : c->v1_want;
		char w[256], got[256], raw[256];

		if (!has_key(self->dir, c->key)) {
			/* a v1 hierarchy without that controller: not reported, refused */
			snprintf(w, sizeof(w), "%s=%s", c->key, c->val);
			EXPECT_EQ(-1, rt_write_file(self->dir, CFG, w));
			EXPECT_EQ(EINVAL, errno) TH_LOG("%s: absent key accepted", c->key);
			continue;
		}
		snprintf(w, sizeof(w), "%s=%s", c->key, c->val);
		ASSERT_EQ(0, rt_write_file(self->dir, CFG, w)) TH_LOG("%s: %s", w, strerror(errno));
		ASSERT_EQ(0, cfg_get(self->dir, c->key, got, sizeof(got)));
		EXPECT_STREQ(c->val, got) TH_LOG("%s read back", w);
		if (file && want)
			EXPECT_STREQ(want, first_line(self->dir, file, raw, sizeof(raw)))
				TH_LOG("%s: %s", w, file);
		tested++;
	}
	ksft_print_msg("%d field writes round-tripped\n", tested);
	/* v2 and v1 co-mounted carry every sandbox controller */
	if (self->h.v2 || has_key(self->dir, "cpu.weight"))
		EXPECT_LE(10, tested);
}

/* "KEY=VALUE " for each of @keys present in one read of @dir's rund.config */
static void snapshot(const char *dir, const char *const *keys, size_t n, char *buf, size_t len)
{
	char text[4096], v[256];

	buf[0] = '\0';
	if (rt_read_file(dir, CFG, text, sizeof(text)) < 0)
		text[0] = '\0';
	for (size_t i = 0; i < n; i++) {
		if (cfg_find(text, keys[i], v, sizeof(v)))
			snprintf(v, sizeof(v), "?");
		snprintf(buf + strlen(buf), len - strlen(buf), "%s=%s ", keys[i], v);
	}
}

/* the fields the atomicity tests compare */
static const char *const snap_keys[] = { "cpuset.cpus", "cpu.quota_us", "cpu.period_us",
					 "pids.max", "memory.max", "freeze" };
#define SNAP(dir, buf) snapshot(dir, snap_keys, 6, buf, sizeof(buf))

TEST_F(cfg, bad_write_changes_nothing)
{
	static const char *const bad[] = {
		"pids.max=abc",				/* malformed value */
		"bogus=1",				/* unknown key */
		"pids.max=5 pids.max=6",		/* repeated key */
		"pids.max",				/* no '=' */
		" ",					/* nothing */
		"cpu.weight=0",				/* out of range */
		"freeze=2",
		/* refused by the controller after cpuset and quota were applied */
		"cpuset.cpus=0 cpu.quota_us=20000 pids.max=11 cpu.period_us=100",
		/* refused by cpuset before anything else */
		"pids.max=12 memory.max=33554432 cpuset.cpus=63",
	};
	char before[1024], after[1024], line[512];
	int kfd = rt_kmsg_open(), m;

	NEED();
	if (!has_key(self->dir, "cpu.quota_us") || !has_key(self->dir, "pids.max"))
		SKIP(return, "hierarchy without cpu and pids");
	ASSERT_EQ(0, rt_write_file(self->dir, CFG,
				   "cpuset.cpus=0-1 cpu.quota_us=max cpu.period_us=100000 pids.max=100"));
	SNAP(self->dir, before);
	ASSERT_LE(0, kfd);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (strstr(bad[i], "cpuset") && !has_key(self->dir, "cpuset.cpus"))
			continue;
		rt_kmsg_read(kfd, KMSG_TAG, "", line, sizeof(line), &m);
		EXPECT_EQ(-1, rt_write_file(self->dir, CFG, bad[i])) TH_LOG("'%s' accepted", bad[i]);
		EXPECT_EQ(EINVAL, errno) TH_LOG("'%s': %s", bad[i], strerror(errno));
		SNAP(self->dir, after);
		EXPECT_STREQ(before, after) TH_LOG("'%s' changed something", bad[i]);
		/* one reason in dmesg per refused write (the empty write too) */
		EXPECT_EQ(1, rt_kmsg_read(kfd, KMSG_TAG, "", line, sizeof(line), &m))
			TH_LOG("'%s'", bad[i]);
		ksft_print_msg("'%s' -> %s", bad[i], line);
	}
	/* the controllers' own files agree that nothing changed */
	EXPECT_EQ(1, rt_file_has_line(self->dir, "pids.max", "100"));
	close(kfd);
}

struct racer {
	const char *dir;
	const char *conf;	/* what this writer writes */
	int n;
	int err;
};

static const char *const conf_a = "cpu.quota_us=10000 pids.max=10 memory.max=104857600";
static const char *const conf_b = "cpu.quota_us=20000 pids.max=20 memory.max=209715200";
static const char *const seen_a = "cpu.quota_us=10000 pids.max=10 memory.max=104857600 ";
static const char *const seen_b = "cpu.quota_us=20000 pids.max=20 memory.max=209715200 ";

static void *writer(void *arg)
{
	struct racer *r = arg;

	for (int i = 0; i < r->n; i++)
		if (rt_write_file(r->dir, CFG, r->conf))
			r->err = errno;
	return NULL;
}

/* the three fields the racers write */
static const char *const race_keys[] = { "cpu.quota_us", "pids.max", "memory.max" };

TEST_F_TIMEOUT(cfg, concurrent_writers_never_mix, 300)
{
	struct racer a = { self->dir, conf_a, 300, 0 }, b = { self->dir, conf_b, 300, 0 };
	char buf[512], q[64], p[64], m[64];
	pthread_t ta, tb;
	int reads = 0, mixed = 0;

	NEED();
	if (!has_key(self->dir, "cpu.quota_us") || !has_key(self->dir, "pids.max") ||
	    !has_key(self->dir, "memory.max"))
		SKIP(return, "hierarchy without cpu, pids and memory");
	ASSERT_EQ(0, rt_write_file(self->dir, CFG, conf_a));
	ASSERT_EQ(0, pthread_create(&ta, NULL, writer, &a));
	ASSERT_EQ(0, pthread_create(&tb, NULL, writer, &b));
	while (pthread_tryjoin_np(ta, NULL) == EBUSY) {
		snapshot(self->dir, race_keys, 3, buf, sizeof(buf));
		reads++;
		if (strcmp(buf, seen_a) && strcmp(buf, seen_b)) {
			mixed++;
			TH_LOG("mixed read: %s", buf);
		}
	}
	pthread_join(tb, NULL);
	EXPECT_EQ(0, a.err);
	EXPECT_EQ(0, b.err);
	EXPECT_EQ(0, mixed) TH_LOG("%d of %d reads mixed", mixed, reads);
	/* and the controllers' files hold one writer's set, not a mix */
	if (self->h.v2) {
		first_line(self->dir, "cpu.max", q, sizeof(q));
		first_line(self->dir, "pids.max", p, sizeof(p));
		first_line(self->dir, "memory.max", m, sizeof(m));
		snprintf(buf, sizeof(buf), "%s %s %s", q, p, m);
		EXPECT_TRUE(!strcmp(buf, "10000 100000 10 104857600") ||
			    !strcmp(buf, "20000 100000 20 209715200")) TH_LOG("files: %s", buf);
	}
	ksft_print_msg("%d reads during 2 x 300 racing writes, %d mixed\n", reads, mixed);
}

/* a child that waits for a byte on @fd, then runs @fn and exits with its result */
static pid_t spawn(int (*fn)(void *), void *arg, int *go)
{
	int p[2];
	pid_t pid;
	char c;

	if (pipe(p))
		return -1;
	pid = fork();
	if (pid == 0) {
		close(p[1]);
		if (read(p[0], &c, 1) != 1)
			_exit(100);
		_exit(fn(arg));
	}
	close(p[0]);
	*go = p[1];
	return pid;
}

static int release(int go)
{
	int r = write(go, "x", 1) == 1 ? 0 : -1;

	close(go);
	return r;
}

/* a child running @fn(@arg) inside cgroup @dir from its first instruction; -1 on error */
static pid_t start_in(const char *dir, int (*fn)(void *), void *arg)
{
	int go;
	pid_t pid = spawn(fn, arg, &go);

	if (pid < 0)
		return -1;
	if (rt_attach(dir, pid)) {
		close(go);
		rt_kill_wait(pid);
		return -1;
	}
	return release(go) ? -1 : pid;
}

static int try_fork(void *arg)
{
	pid_t pid = fork();

	if (pid == 0)
		_exit(0);
	if (pid > 0) {
		waitpid(pid, NULL, 0);
		return 0;			/* forked: pids.max not enforced */
	}
	return errno == EAGAIN ? 1 : 2;
}

static int eat_memory(void *arg)
{
	size_t len = (size_t)arg;
	char *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED)
		return 3;
	for (size_t off = 0; off < len; off += 4096)
		p[off] = 1;
	return 0;				/* survived: memory.max not enforced */
}

/* counts until killed */
static int spin(void *arg)
{
	volatile unsigned long *counter = arg;

	for (;;)
		(*counter)++;
	return 0;
}

static int spin_1s(void *arg)
{
	struct timespec t0, t;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	do
		clock_gettime(CLOCK_MONOTONIC, &t);
	while ((t.tv_sec - t0.tv_sec) * 1000000000L + t.tv_nsec - t0.tv_nsec < 1000000000L);
	return 0;
}

static long stat_field(const char *dir, const char *file, const char *key)
{
	char buf[4096], *p;

	if (rt_read_file(dir, file, buf, sizeof(buf)) < 0)
		return -1;
	p = strstr(buf, key);
	return p ? strtol(p + strlen(key), NULL, 10) : -1;
}

TEST_F_TIMEOUT(cfg, limits_are_enforced, 300)
{
	unsigned long *counter;
	int status;
	unsigned long c1, c2, c3;
	pid_t pid;

	NEED();
	if (!has_key(self->dir, "pids.max") || !has_key(self->dir, "memory.max") ||
	    !has_key(self->dir, "cpu.quota_us") || !has_key(self->dir, "freeze"))
		SKIP(return, "hierarchy without pids, memory, cpu and freezer");

	/* pids.max=1: the one task inside cannot fork */
	ASSERT_EQ(0, rt_write_file(self->dir, CFG, "pids.max=1"));
	pid = start_in(self->dir, try_fork, NULL);
	ASSERT_LT(0, pid) TH_LOG("starting a task in %s: %s", self->dir, strerror(errno));
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 1)
		TH_LOG("fork under pids.max=1: status 0x%x", status);
	EXPECT_LE(1, stat_field(self->dir, "pids.events", "max "));
	ASSERT_EQ(0, rt_write_file(self->dir, CFG, "pids.max=max"));

	/* memory.max=32M: touching 96M gets the task OOM-killed in this cgroup */
	ASSERT_EQ(0, rt_write_file(self->dir, CFG, "memory.max=33554432"));
	pid = start_in(self->dir, eat_memory, (void *)(96UL << 20));
	ASSERT_LT(0, pid) TH_LOG("starting a task in %s: %s", self->dir, strerror(errno));
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL)
		TH_LOG("96M under memory.max=32M: status 0x%x", status);
	if (self->h.v2)
		EXPECT_LE(1, stat_field(self->dir, "memory.events", "oom_kill "));
	ASSERT_EQ(0, rt_write_file(self->dir, CFG, "memory.max=max"));

	/* cpu 10% for a second of spinning: throttled, per cpu.stat */
	ASSERT_EQ(0, rt_write_file(self->dir, CFG, "cpu.quota_us=10000 cpu.period_us=100000"));
	pid = start_in(self->dir, spin_1s, NULL);
	ASSERT_LT(0, pid) TH_LOG("starting a task in %s: %s", self->dir, strerror(errno));
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_LT(0, stat_field(self->dir, "cpu.stat", "nr_throttled "));
	ksft_print_msg("cpu.stat nr_throttled %ld after 1 s at 10%%\n",
		       stat_field(self->dir, "cpu.stat", "nr_throttled "));
	ASSERT_EQ(0, rt_write_file(self->dir, CFG, "cpu.quota_us=max"));

	/* freeze=1: a spinning task stops counting; freeze=0: it counts again */
	counter = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, counter);
	pid = start_in(self->dir, spin, counter);
	ASSERT_LT(0, pid) TH_LOG("starting a task in %s: %s", self->dir, strerror(errno));
	usleep(100000);
	ASSERT_EQ(0, rt_write_file(self->dir, CFG, "freeze=1"));
	for (int i = 0; i < 50; i++) {		/* up to 5 s to reach frozen */
		char st[64];

		if (self->h.v2 ? rt_file_has_line(self->dir, "cgroup.events", "frozen 1") == 1 :
				 !strcmp(first_line(self->dir, "freezer.state", st, sizeof(st)),
					 "FROZEN"))
			break;
		usleep(100000);
	}
	c1 = *counter;
	usleep(300000);
	c2 = *counter;
	EXPECT_EQ(c1, c2) TH_LOG("frozen task ran: %lu -> %lu", c1, c2);
	ASSERT_EQ(0, rt_write_file(self->dir, CFG, "freeze=0"));
	usleep(300000);
	c3 = *counter;
	EXPECT_LT(c2, c3) TH_LOG("thawed task did not run");
	rt_kill_wait(pid);
	munmap(counter, 4096);
}

static long long now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

/* remount the hierarchy with its options plus @extra */
static int remount(const struct hier *h, const char *extra)
{
	char opts[600];

	snprintf(opts, sizeof(opts), "%s%s%s", h->opts, h->opts[0] && extra[0] ? "," : "", extra);
	return mount("none", h->root, h->v2 ? "cgroup2" : "cgroup", MS_REMOUNT, opts);
}

/* mkdir(2) of @n children of @dir, then rmdir(2) of them: ns per mkdir, -1 on error */
static long long mkdir_cost(const char *dir, int n)
{
	char p[PATH_MAX];
	long long t0 = now_ns(), t;
	int made = 0;

	for (; made < n; made++) {
		snprintf(p, sizeof(p), "%s/m%d", dir, made);
		if (mkdir(p, 0755))
			break;
	}
	t = now_ns() - t0;
	for (int i = 0; i < made; i++) {
		snprintf(p, sizeof(p), "%s/m%d", dir, i);
		rmdir(p);
	}
	return made == n ? t / n : -1;
}

#define ROUNDS	5

static int cmp_ll(const void *a, const void *b)
{
	long long x = *(const long long *)a, y = *(const long long *)b;

	return x < y ? -1 : x > y;
}

static long long median(long long *v, int n)
{
	qsort(v, n, sizeof(*v), cmp_ll);
	return v[n / 2];
}

/* the first line of @dir/@file into @buf, without its newline; 0 or -1 */
static int read_line(const char *dir, const char *file, char *buf, size_t len)
{
	if (rt_read_file(dir, file, buf, len) < 0)
		return -1;
	buf[strcspn(buf, "\n")] = '\0';
	return 0;
}

/* @dir/rund.lightweight reads @want */
static void expect_light_flag(struct __test_metadata *_metadata, const char *dir, const char *want)
{
	char v[16];

	ASSERT_EQ(0, read_line(dir, "rund.lightweight", v, sizeof(v)));
	EXPECT_STREQ(want, v);
}

/*
 * rund.lightweight is a property of one parent: its children created while it reads 1
 * get a sandbox's files (and the files rund.config writes), everything else keeps the
 * full set: the children of a lightweight cgroup, cgroups elsewhere, children created
 * after it went back to 0. No mount option changes what a hierarchy creates.
 */
TEST_F_TIMEOUT(cfg, lightweight_parent, 600)
{
	static const char *const kept_v2[] = { "cgroup.procs", "cgroup.controllers",
		"cgroup.type", "cgroup.stat", "cgroup.events", CFG, "memory.max", "cpu.max",
		"pids.max", "cpuset.cpus", "memory.current", "cpu.stat" };
	static const char *const kept_v1[] = { "cgroup.procs", "tasks", CFG,
		"memory.limit_in_bytes", "pids.max", "memory.usage_in_bytes" };
	static const char *const gone_v2[] = { "memory.high", "memory.swap.max",
		"cgroup.subtree_control", "memory.pressure", "cpuset.cpus.effective" };
	static const char *const gone_v1[] = { "memory.soft_limit_in_bytes", "notify_on_release",
		"cgroup.clone_children", "memory.max_usage_in_bytes" };
	const char *const *kept = self->h.v2 ? kept_v2 : kept_v1;
	const char *const *gone = self->h.v2 ? gone_v2 : gone_v1;
	size_t nkept = self->h.v2 ? 12 : 6, ngone = self->h.v2 ? 5 : 4;
	char light[PATH_MAX + 8], full[PATH_MAX + 8], later[PATH_MAX + 8], gc[PATH_MAX + 16];
	char other[PATH_MAX + 32], v[64];
	long long full_ns[ROUNDS], light_ns[ROUNDS], fmed, lmed;
	int full_files, light_files;

	NEED();
	snprintf(full, sizeof(full), "%s/full", self->dir);
	snprintf(light, sizeof(light), "%s/light", self->dir);
	snprintf(later, sizeof(later), "%s/later", self->dir);
	snprintf(gc, sizeof(gc), "%s/gc", light);
	snprintf(other, sizeof(other), "%s/rundcfg-other-%d", self->h.root, getpid());
	if (self->h.v2)
		ASSERT_EQ(0, rt_write_file(self->dir, "cgroup.subtree_control",
					   "+cpu +cpuset +memory +io +pids"));
	/* no hierarchy-wide switch: the first version's mount option is gone */
	EXPECT_NE(0, remount(&self->h, "lightweight"));
	EXPECT_FALSE(exists(self->h.root, "rund.lightweight")) TH_LOG("the root has rund.lightweight");
	expect_light_flag(_metadata, self->dir, "0");
	EXPECT_NE(0, rt_write_file(self->dir, "rund.lightweight", "2"));
	EXPECT_EQ(EINVAL, errno);

	ASSERT_EQ(0, rt_mkdir_cg(full));
	full_files = nr_files(full);
	/* alternate full and lightweight rounds, so load drift hits both alike */
	for (int r = 0; r < ROUNDS; r++) {
		full_ns[r] = mkdir_cost(self->dir, 100);
		EXPECT_LT(0, full_ns[r]) TH_LOG("mkdir failed: %s", strerror(errno));
		ASSERT_EQ(0, rt_write_file(self->dir, "rund.lightweight", "1"));
		if (!r) {
			expect_light_flag(_metadata, self->dir, "1");
			EXPECT_EQ(0, mkdir(light, 0755));
			/* elsewhere on the hierarchy, meanwhile: full */
			EXPECT_EQ(0, mkdir(other, 0755));
		}
		light_ns[r] = mkdir_cost(self->dir, 100);
		EXPECT_LT(0, light_ns[r]) TH_LOG("mkdir under a lightweight parent failed");
		EXPECT_EQ(0, rt_write_file(self->dir, "rund.lightweight", "0"));
	}
	light_files = nr_files(light);
	for (size_t i = 0; i < nkept; i++) {
		if (!self->h.v2 && !exists(full, kept[i]))
			continue;	/* a v1 hierarchy without that controller */
		EXPECT_TRUE(exists(light, kept[i])) TH_LOG("%s missing from a lightweight child", kept[i]);
	}
	for (size_t i = 0; i < ngone; i++) {
		if (!exists(full, gone[i]))
			continue;
		EXPECT_FALSE(exists(light, gone[i])) TH_LOG("%s present in a lightweight child", gone[i]);
	}
	EXPECT_FALSE(exists(light, "rund.lightweight"));
	EXPECT_LT(light_files, full_files);
	EXPECT_EQ(nr_files(other), nr_files(self->dir)) TH_LOG("a cgroup elsewhere lost files");
	/* a lightweight cgroup's own children are full (v2: of the files its controllers allow) */
	EXPECT_EQ(0, mkdir(gc, 0755));
	EXPECT_TRUE(exists(gc, self->h.v2 ? "cgroup.subtree_control" : "notify_on_release"));
	rmdir(gc);
	/* the limits rund.config writes are there, file and field alike */
	EXPECT_EQ(0, rt_write_file(light, CFG, "memory.max=50331648"));
	EXPECT_EQ(0, cfg_get(light, "memory.max", v, sizeof(v)));
	EXPECT_STREQ("50331648", v);
	EXPECT_EQ(0, read_line(light, self->h.v2 ? "memory.max" : "memory.limit_in_bytes",
			       v, sizeof(v)));
	EXPECT_STREQ("50331648", v);
	/* created after the parent went back to 0: full again */
	EXPECT_EQ(0, mkdir(later, 0755));
	EXPECT_EQ(nr_files(later), full_files);
	rmdir(later);
	fmed = median(full_ns, ROUNDS);
	lmed = median(light_ns, ROUNDS);
	ksft_print_msg("mkdir, median of %d x 100: full %d files %lld us, lightweight %d files %lld us (%.2fx)\n",
		       ROUNDS, full_files, fmed / 1000, light_files, lmed / 1000,
		       lmed > 0 ? (double)fmed / lmed : 0.0);
	rmdir(other);
	rmdir(light);
	rmdir(full);
}

/*
 * Configure one sandbox with the same values through the controllers' files (an open,
 * write and close each) and through rund.config; report syscalls and time.
 */
static int set_files(const char *dir, int v2, int *calls)
{
	static const char *const v2f[][2] = {
		{ "cpuset.cpus", "0" }, { "cpuset.mems", "0" }, { "cpu.max", "50000 100000" },
		{ "cpu.weight", "200" }, { "pids.max", "64" }, { "io.weight", "default 200" },
		{ "memory.max", "268435456" },
	};
	static const char *const v1f[][2] = {
		{ "cpuset.cpus", "0" }, { "cpuset.mems", "0" }, { "cpu.cfs_period_us", "100000" },
		{ "cpu.cfs_quota_us", "50000" }, { "cpu.shares", "2048" }, { "pids.max", "64" },
		{ "blkio.bfq.weight", "200" }, { "memory.limit_in_bytes", "268435456" },
	};
	size_t n = v2 ? 7 : 8;

	for (size_t i = 0; i < n; i++) {
		const char *const *f = v2 ? v2f[i] : v1f[i];

		if (rt_write_file(dir, f[0], f[1]))
			return -1;
		*calls += 3;
	}
	return 0;
}

TEST_F_TIMEOUT(cfg, cost, 600)
{
	const char *joint = self->h.v2 ?
		"cpuset.cpus=0 cpuset.mems=0 cpu.quota_us=50000 cpu.period_us=100000 "
		"cpu.weight=200 pids.max=64 io.weight=200 memory.max=268435456" :
		"cpuset.cpus=0 cpuset.mems=0 cpu.quota_us=50000 cpu.period_us=100000 "
		"cpu.weight=200 pids.max=64 io.bfq.weight=200 memory.max=268435456";
	const int n = 40;
	int calls_files = 0;
	long long t0, files_ns[ROUNDS], joint_ns[ROUNDS], fmed, jmed;
	char a[1024], b[1024];

	NEED();
	if (!has_key(self->dir, "cpu.weight") || !has_key(self->dir, "memory.max"))
		SKIP(return, "hierarchy without the sandbox controllers");
	for (int r = 0; r < ROUNDS; r++) {
		t0 = now_ns();
		for (int i = 0; i < n; i++) {
			ASSERT_EQ(0, set_files(self->dir, self->h.v2, &calls_files))
				TH_LOG("%s", strerror(errno));
		}
		files_ns[r] = (now_ns() - t0) / n;
		ASSERT_EQ(0, rt_read_file(self->dir, CFG, a, sizeof(a)) < 0);
		ASSERT_EQ(0, rt_write_file(self->dir, CFG, "pids.max=max memory.max=max"));
		t0 = now_ns();
		for (int i = 0; i < n; i++) {
			ASSERT_EQ(0, rt_write_file(self->dir, CFG, joint)) TH_LOG("%s", strerror(errno));
		}
		joint_ns[r] = (now_ns() - t0) / n;
		ASSERT_EQ(0, rt_read_file(self->dir, CFG, b, sizeof(b)) < 0);
		/* both ways leave the same configuration */
		EXPECT_STREQ(a, b);
	}
	fmed = median(files_ns, ROUNDS);
	jmed = median(joint_ns, ROUNDS);
	ksft_print_msg("configure one sandbox, median of %d x %d: files %d syscalls %lld us, rund.config 3 syscalls %lld us (%.2fx)\n",
		       ROUNDS, n, calls_files / (n * ROUNDS), fmed / 1000, jmed / 1000,
		       jmed > 0 ? (double)fmed / jmed : 0.0);
}

/* --- series v2 (issue 16): one bandwidth change, rollback, permissions --------------- */

/* freezer.state THAWED (v1) or cgroup.freeze 0 (v2), whichever @dir has */
static void thaw(const char *dir)
{
	if (rt_write_file(dir, "freezer.state", "THAWED"))
		rt_write_file(dir, "cgroup.freeze", "0");
}

/* make cgroup @dir; the teardown removes it (and thaws it first) even after an ASSERT */
static int mk_extra(FIXTURE_DATA(cfg) *self, const char *dir)
{
	if (self->nr_extra == NR_EXTRA) {
		errno = ENOSPC;
		return -1;
	}
	rmdir(dir);
	if (rt_mkdir_cg(dir))
		return -1;
	snprintf(self->extra[self->nr_extra++], sizeof(self->extra[0]), "%s", dir);
	return 0;
}

/*
 * The parent of the bandwidth tests: the sandbox cgroup where it has the cpu controller
 * (v2, v1 co-mounted), else a new cgroup of the v1 hierarchy that carries cpu (v1
 * separate). 0, 1 when there is no cpu controller with rund.config, -1 on error.
 */
static int cpu_parent(FIXTURE_DATA(cfg) *self, char *dir, size_t len)
{
	struct mntent *m;
	int found = 0;
	FILE *f;

	if (has_key(self->dir, "cpu.quota_us")) {
		snprintf(dir, len, "%s", self->dir);
		return self->h.v2 ? rt_write_file(dir, "cgroup.subtree_control", "+cpu") : 0;
	}
	if (self->h.v2)
		return 1;
	f = setmntent("/proc/self/mounts", "r");
	if (!f)
		return -1;
	while (!found && (m = getmntent(f)))
		if (!strcmp(m->mnt_type, "cgroup") && hasmntopt(m, "cpu")) {
			snprintf(dir, len, "%s/rundcpu-%d", m->mnt_dir, getpid());
			found = 1;
		}
	endmntent(f);
	if (!found)
		return 1;
	if (mk_extra(self, dir))
		return -1;
	return has_key(dir, "cpu.quota_us") ? 0 : 1;
}

/* child @name of @parent, with cpu enabled for its own children on v2 */
static int cpu_child(FIXTURE_DATA(cfg) *self, const char *parent, const char *name,
		     char *dir, size_t len)
{
	if (rt_path(dir, len, parent, name) || mk_extra(self, dir))
		return -1;
	return self->h.v2 ? rt_write_file(dir, "cgroup.subtree_control", "+cpu") : 0;
}

/* @dir's bandwidth through the controller's own files, in us (@quota -1: no limit) */
static int bw_set(const char *dir, int v2, long quota, long period)
{
	char q[32], p[32], buf[64];

	snprintf(q, sizeof(q), "%ld", quota);
	snprintf(p, sizeof(p), "%ld", period);
	if (v2) {
		snprintf(buf, sizeof(buf), "%s %s", quota < 0 ? "max" : q, p);
		return rt_write_file(dir, "cpu.max", buf);
	}
	/* v1 takes one at a time: the order whose intermediate state is valid */
	if (rt_write_file(dir, "cpu.cfs_quota_us", q))
		return rt_write_file(dir, "cpu.cfs_period_us", p) ?:
		       rt_write_file(dir, "cpu.cfs_quota_us", q);
	return rt_write_file(dir, "cpu.cfs_period_us", p);
}

/* "QUOTA PERIOD" as the controller's files show @dir's bandwidth (v1: both files) */
static const char *bw_get(const char *dir, int v2, char *buf, size_t len)
{
	char q[64], p[64];

	if (v2)
		return first_line(dir, "cpu.max", buf, len);
	snprintf(buf, len, "%s %s", first_line(dir, "cpu.cfs_quota_us", q, sizeof(q)),
		 first_line(dir, "cpu.cfs_period_us", p, sizeof(p)));
	return buf;
}

/*
 * @conf through @dir's rund.config must succeed and leave the pair @quota @period in the
 * controller's files and in rund.config. A refusal's dmesg line is shown.
 */
static void bw_expect(struct __test_metadata *_metadata, const char *dir, int v2,
		      const char *conf, long quota, long period)
{
	char want[64], got[128], v[64], line[512];
	int kfd = rt_kmsg_open(), m, n;

	snprintf(want, sizeof(want), "%ld %ld", quota, period);
	EXPECT_EQ(0, rt_write_file(dir, CFG, conf))
		TH_LOG("'%s' refused: %s", conf, strerror(errno));
	n = rt_kmsg_read(kfd, KMSG_TAG, "", line, sizeof(line), &m);
	if (n)
		TH_LOG("dmesg: %s", line);
	if (kfd >= 0)
		close(kfd);
	EXPECT_STREQ(want, bw_get(dir, v2, got, sizeof(got)))
		TH_LOG("%s after '%s'", v2 ? "cpu.max" : "cfs_quota_us cfs_period_us", conf);
	snprintf(want, sizeof(want), "%ld", quota);
	EXPECT_EQ(0, cfg_get(dir, "cpu.quota_us", v, sizeof(v)));
	EXPECT_STREQ(want, v) TH_LOG("rund.config cpu.quota_us after '%s'", conf);
	snprintf(want, sizeof(want), "%ld", period);
	EXPECT_EQ(0, cfg_get(dir, "cpu.period_us", v, sizeof(v)));
	EXPECT_STREQ(want, v) TH_LOG("rund.config cpu.period_us after '%s'", conf);
}

#define CPU_FAMILY() do {							\
	int r_ = cpu_parent(self, p, sizeof(p));				\
	if (r_ > 0)								\
		SKIP(return, "no cpu controller with rund.config");		\
	ASSERT_EQ(0, r_) TH_LOG("cpu parent: %s", strerror(errno));		\
	ASSERT_EQ(0, cpu_child(self, p, "c", c, sizeof(c)))			\
		TH_LOG("mkdir %s: %s", c, strerror(errno));			\
	/* the parent: 0.5 CPU */						\
	ASSERT_EQ(0, bw_set(p, v2, 50000, 100000)) TH_LOG("%s", strerror(errno)); \
} while (0)

/*
 * cpu.quota_us and cpu.period_us of one write are one change (issue 16 item 4). Under a
 * parent at 0.5 CPU (50000/100000) a child without a limit (max/100000) asks for
 * 100000/200000, 0.5 CPU. v1 checks every quota against the parent's; applying the quota
 * first passes through 100000/100000 = 1.0 and the controller refuses it.
 */
TEST_F(cfg, cpu_pair_raises_period_under_parent_limit)
{
	char p[PATH_MAX + 32], c[PATH_MAX + 32];
	int v2 = self->h.v2;

	NEED();
	CPU_FAMILY();
	/* as a separate quota write it is refused on v1 (v2 clamps instead) */
	if (!v2) {
		EXPECT_EQ(-1, rt_write_file(c, "cpu.cfs_quota_us", "100000"));
		EXPECT_EQ(EINVAL, errno);
	}
	bw_expect(_metadata, c, v2, "cpu.quota_us=100000 cpu.period_us=200000", 100000, 200000);
}

/*
 * The reverse: a child at 100000/200000 goes to 50000/100000, both 0.5 CPU. Applying the
 * period first would pass through 100000/100000: the order is not the fix.
 */
TEST_F(cfg, cpu_pair_lowers_period_under_parent_limit)
{
	char p[PATH_MAX + 32], c[PATH_MAX + 32];
	int v2 = self->h.v2;

	NEED();
	CPU_FAMILY();
	ASSERT_EQ(0, bw_set(c, v2, 100000, 200000)) TH_LOG("%s", strerror(errno));
	if (!v2) {
		EXPECT_EQ(-1, rt_write_file(c, "cpu.cfs_period_us", "100000"));
		EXPECT_EQ(EINVAL, errno);
	}
	bw_expect(_metadata, c, v2, "cpu.quota_us=50000 cpu.period_us=100000", 50000, 100000);
}

/*
 * Both single-file orders pass through a state v1 refuses. With only the parent's bound
 * that cannot happen (quota first needs the period to grow, period first needs it to
 * shrink), so the child also has a grandchild, which bounds it from below: parent 0.5
 * (50000/100000), child 0.5 (25000/50000), grandchild 0.25 (25000/100000); the child asks
 * for 100000/400000 = 0.25. Quota first: 100000/50000 = 2.0 > 0.5 (parent); period
 * first: 25000/400000 = 0.0625 < 0.25 (grandchild).
 */
TEST_F(cfg, cpu_pair_between_parent_and_grandchild)
{
	char p[PATH_MAX + 32], c[PATH_MAX + 32], g[PATH_MAX + 32], buf[128];
	int v2 = self->h.v2;

	NEED();
	CPU_FAMILY();
	ASSERT_EQ(0, bw_set(c, v2, 25000, 50000)) TH_LOG("%s", strerror(errno));
	ASSERT_EQ(0, cpu_child(self, c, "g", g, sizeof(g))) TH_LOG("%s", strerror(errno));
	ASSERT_EQ(0, bw_set(g, v2, 25000, 100000)) TH_LOG("%s", strerror(errno));
	if (!v2) {
		EXPECT_EQ(-1, rt_write_file(c, "cpu.cfs_quota_us", "100000"));
		EXPECT_EQ(EINVAL, errno) TH_LOG("quota first");
		EXPECT_EQ(-1, rt_write_file(c, "cpu.cfs_period_us", "400000"));
		EXPECT_EQ(EINVAL, errno) TH_LOG("period first");
		EXPECT_STREQ("25000 50000", bw_get(c, v2, buf, sizeof(buf)));
	}
	bw_expect(_metadata, c, v2, "cpu.quota_us=100000 cpu.period_us=400000", 100000, 400000);
	EXPECT_STREQ("25000 100000", bw_get(g, v2, buf, sizeof(buf))) TH_LOG("grandchild");
}

/* allocates 16 MiB, then counts until killed; *counter > 0 once allocated */
static int hold_and_spin(void *arg)
{
	volatile unsigned long *counter = arg;
	size_t len = 16UL << 20;
	char *mem = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (mem == MAP_FAILED)
		return 3;
	for (size_t off = 0; off < len; off += 4096)
		mem[off] = 1;
	for (;;)
		(*counter)++;
	return 0;
}

static int is_frozen(const char *dir, int v2)
{
	char st[64];

	return v2 ? rt_file_has_line(dir, "cgroup.events", "frozen 1") == 1 :
		    !strcmp(first_line(dir, "freezer.state", st, sizeof(st)), "FROZEN");
}

/* the controllers' own files the rollback test compares, first line each */
static void files_snap(const char *dir, int v2, char *buf, size_t len)
{
	static const char *const v1f[] = { "cpuset.cpus", "cpu.cfs_quota_us", "cpu.cfs_period_us",
					   "cpu.shares", "pids.max", "memory.limit_in_bytes",
					   "freezer.state" };
	static const char *const v2f[] = { "cpuset.cpus", "cpu.max", "cpu.weight", "pids.max",
					   "memory.max", "cgroup.freeze" };
	const char *const *f = v2 ? v2f : v1f;
	size_t n = v2 ? 6 : 7;
	char v[256];

	buf[0] = '\0';
	for (size_t i = 0; i < n; i++)
		snprintf(buf + strlen(buf), len - strlen(buf), "%s=%s ", f[i],
			 first_line(dir, f[i], v, sizeof(v)));
}

/*
 * A refused write leaves every field as it was (issue 16 item 4), here on a frozen
 * sandbox with a task, the write also asking to thaw it. In the order writes apply
 * fields (the kernel's table: cpuset, cpu quota and period, cpu.weight, pids.max, io,
 * memory.max, freeze), cpuset.cpus, cpu.quota_us and cpu.weight come before pids.max,
 * which the pids controller refuses (EINVAL: above PID_MAX_LIMIT, after rund.config's
 * own syntax check let it through). Afterwards the files show the old values, the task
 * is still frozen, and dmesg has one rund.config line, naming pids.max. On v1 a second
 * write has memory.max refused (EBUSY: 16 MiB of anonymous memory of a frozen task, no
 * swap) after pids.max was applied.
 */
TEST_F_TIMEOUT(cfg, refused_write_keeps_frozen_sandbox, 120)
{
	char before[2048], after[2048], cfg_before[4096], cfg_after[4096], line[512];
	char conf[256] = "", cpus[64];
	int v2 = self->h.v2, kfd, m, n;
	unsigned long *counter, c1, c2;

	NEED();
	if (!has_key(self->dir, "cpu.quota_us") || !has_key(self->dir, "cpu.weight") ||
	    !has_key(self->dir, "pids.max") || !has_key(self->dir, "memory.max") ||
	    !has_key(self->dir, "freeze"))
		SKIP(return, "freezer, cpu, pids and memory not in one hierarchy");
	/* a known state, through the controllers' own files */
	ASSERT_EQ(0, rt_write_file(self->dir, "pids.max", "100"));
	ASSERT_EQ(0, bw_set(self->dir, v2, -1, 100000));
	if (has_key(self->dir, "cpuset.cpus")) {
		/* all the parent's CPUs; the write asks for CPU 0 only */
		const char *all = v2 ? "cpuset.cpus.effective" : "cpuset.cpus";

		ASSERT_LT(0, rt_read_file(self->h.root, all, cpus, sizeof(cpus)));
		ASSERT_EQ(0, rt_write_file(self->dir, "cpuset.cpus", cpus));
		strcat(conf, "cpuset.cpus=0 ");
	}
	strcat(conf, "cpu.quota_us=30000 cpu.weight=300 pids.max=5000000 freeze=0");

	counter = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, counter);
	self->task = start_in(self->dir, hold_and_spin, counter);
	ASSERT_LT(0, self->task) TH_LOG("starting a task in %s: %s", self->dir, strerror(errno));
	for (int i = 0; i < 100 && !*counter; i++)
		usleep(100000);
	ASSERT_NE(0UL, *counter) TH_LOG("task did not allocate in 10 s");
	ASSERT_EQ(0, rt_write_file(self->dir, v2 ? "cgroup.freeze" : "freezer.state",
				   v2 ? "1" : "FROZEN"));
	for (int i = 0; i < 100 && !is_frozen(self->dir, v2); i++)
		usleep(100000);
	ASSERT_TRUE(is_frozen(self->dir, v2)) TH_LOG("not frozen after 10 s");

	files_snap(self->dir, v2, before, sizeof(before));
	ASSERT_LT(0, rt_read_file(self->dir, CFG, cfg_before, sizeof(cfg_before)));
	kfd = rt_kmsg_open();
	ASSERT_LE(0, kfd);

	EXPECT_EQ(-1, rt_write_file(self->dir, CFG, conf)) TH_LOG("'%s' accepted", conf);
	EXPECT_EQ(EINVAL, errno) TH_LOG("'%s': %s", conf, strerror(errno));
	n = rt_kmsg_read(kfd, KMSG_TAG, "pids.max", line, sizeof(line), &m);
	EXPECT_EQ(1, n) TH_LOG("'%s': %d rund.config lines in dmesg, first: %s", conf, n, line);
	EXPECT_TRUE(m) TH_LOG("'%s': dmesg does not name pids.max: %s", conf, line);
	ksft_print_msg("'%s' -> %s", conf, line);
	files_snap(self->dir, v2, after, sizeof(after));
	EXPECT_STREQ(before, after) TH_LOG("'%s' changed the files", conf);
	ASSERT_LT(0, rt_read_file(self->dir, CFG, cfg_after, sizeof(cfg_after)));
	EXPECT_STREQ(cfg_before, cfg_after) TH_LOG("'%s' changed rund.config", conf);

	if (!v2) {
		const char *conf2 = "pids.max=7 freeze=0 memory.max=4194304";

		EXPECT_EQ(-1, rt_write_file(self->dir, CFG, conf2)) TH_LOG("'%s' accepted", conf2);
		EXPECT_EQ(EBUSY, errno) TH_LOG("'%s': %s", conf2, strerror(errno));
		n = rt_kmsg_read(kfd, KMSG_TAG, "memory.max", line, sizeof(line), &m);
		EXPECT_EQ(1, n) TH_LOG("'%s': %d rund.config lines in dmesg, first: %s", conf2, n,
				       line);
		EXPECT_TRUE(m) TH_LOG("'%s': dmesg does not name memory.max: %s", conf2, line);
		ksft_print_msg("'%s' -> %s", conf2, line);
		files_snap(self->dir, v2, after, sizeof(after));
		EXPECT_STREQ(before, after) TH_LOG("'%s' changed the files", conf2);
	}
	close(kfd);

	/* still frozen: the task does not count */
	EXPECT_TRUE(is_frozen(self->dir, v2));
	c1 = *counter;
	usleep(300000);
	c2 = *counter;
	EXPECT_EQ(c1, c2) TH_LOG("frozen task ran after the refused write: %lu -> %lu", c1, c2);
	/* and alive: thawed through the file, it counts again */
	thaw(self->dir);
	usleep(300000);
	EXPECT_LT(c2, *counter) TH_LOG("task did not run after thawing");
	munmap(counter, 4096);
}

/*
 * A refused write restores the cgroup's state, not only what its files print. v2's
 * cpu.weight is a rounded view of the group's shares: cpu.weight.nice=17 sets 23 shares,
 * which read as cpu.weight 2; writing 2 back sets 20 shares, which read as nice 18. So a
 * write that applies cpu.weight and then has pids.max refused (EINVAL: above
 * PID_MAX_LIMIT) must not restore by writing the old cpu.weight: afterwards
 * cpu.weight.nice still reads 17.
 */
TEST_F(cfg, refused_write_keeps_cpu_shares)
{
	const char *conf = "cpu.weight=200 pids.max=5000000";
	char v[64];

	NEED();
	if (!self->h.v2 || !exists(self->dir, "cpu.weight.nice") || !has_key(self->dir, "pids.max"))
		SKIP(return, "no cpu.weight.nice (v2) or no pids");
	ASSERT_EQ(0, rt_write_file(self->dir, "cpu.weight.nice", "17"));
	ASSERT_STREQ("17", first_line(self->dir, "cpu.weight.nice", v, sizeof(v)));
	ASSERT_STREQ("2", first_line(self->dir, "cpu.weight", v, sizeof(v)));
	EXPECT_EQ(-1, rt_write_file(self->dir, CFG, conf)) TH_LOG("'%s' accepted", conf);
	EXPECT_EQ(EINVAL, errno) TH_LOG("'%s': %s", conf, strerror(errno));
	EXPECT_STREQ("2", first_line(self->dir, "cpu.weight", v, sizeof(v)));
	EXPECT_STREQ("17", first_line(self->dir, "cpu.weight.nice", v, sizeof(v)))
		TH_LOG("'%s' was refused but changed the group's shares", conf);
}

/* --- one cgroup's reclaim does not hold up another's write ------------------------- */

#define NR_OTHERS	384	/* cgroups written while one reclaims; see the test */
#define FILL_PER_WRITES	25	/* seconds of fill per second the NR_OTHERS writes take */
#define FILL_MIN	6
#define FILL_MAX	120

struct fill {
	const char *dir;	/* a kernfs directory */
	int seconds;
};

/*
 * Negative dentries charged to the caller's memcg, for @arg's seconds: lookups of
 * absent names in kernfs, which keeps them (tmpfs drops its own at once).
 */
static int fill_dentries(void *arg)
{
	const struct fill *f = arg;
	long long end = now_ns() + f->seconds * 1000000000LL;
	char path[PATH_MAX];
	struct stat st;

	for (long i = 0; ; i++) {
		char name[48];

		snprintf(name, sizeof(name), "rund-neg-%d-%ld", getpid(), i);
		if (rt_path(path, sizeof(path), f->dir, name) || !stat(path, &st))
			return 3;
		if (!(i & 1023) && now_ns() > end)
			return 0;
	}
}

static long usage(const char *dir, int v2)
{
	char buf[64];

	return rt_read_file(dir, v2 ? "memory.current" : "memory.usage_in_bytes", buf,
			    sizeof(buf)) > 0 ? atol(buf) : -1;
}

struct reclaimer {
	const char *dir;
	long to;		/* memory.max to write: half the fill */
	atomic_int done;
	int err;
	long long ns;
};

static void *reclaim(void *arg)
{
	struct reclaimer *r = arg;
	long long t = now_ns();
	char conf[48];

	snprintf(conf, sizeof(conf), "memory.max=%ld", r->to);
	if (rt_write_file(r->dir, CFG, conf))
		r->err = errno;
	r->ns = now_ns() - t;
	atomic_store(&r->done, 1);
	return NULL;
}

/* the @i-th of the cgroups written while one reclaims (@file: a file in it, or NULL) */
static int other_cg(char *path, size_t len, const char *root, int i, const char *file)
{
	char name[64];

	snprintf(name, sizeof(name), "rundcfg-%d-o%d%s%s", getpid(), i, file ? "/" : "",
		 file ?: "");
	return rt_path(path, len, root, name);
}

static void rm_others(const char *root, int n)
{
	char path[PATH_MAX];

	while (n-- > 0)
		if (!other_cg(path, sizeof(path), root, n, NULL))
			rmdir(path);
}

/* pids.max=@base+i to the @i-th of @n others; the longest write: @slow, taking @slow_ns */
static long long write_others(struct __test_metadata *_metadata, const int *fd, int n, int base,
			      int *slow, long long *slow_ns)
{
	long long t = now_ns(), w;
	char val[32];

	*slow_ns = -1;
	for (int i = 0; i < n; i++) {
		int len = snprintf(val, sizeof(val), "pids.max=%d", base + i);

		w = now_ns();
		EXPECT_EQ(len, write(fd[i], val, len)) TH_LOG("#%d %s: %s", i, val, strerror(errno));
		w = now_ns() - w;
		if (w > *slow_ns) {
			*slow = i;
			*slow_ns = w;
		}
	}
	return now_ns() - t;
}

/*
 * A rund.config write that lowers memory.max reclaims, for as long as the cgroup's
 * memory takes, under that cgroup's rund.config lock. Writes to other cgroups must not
 * wait for it. The first posting serialised writers through 64 mutexes hashed by the
 * cgroup's address: among NR_OTHERS cgroups written meanwhile, one shares the
 * reclaiming cgroup's mutex with probability 1 - (63/64)^384 > 99.7%, and its write
 * returned only after the reclaim: it took most of the reclaim's time, where the others
 * take a fraction of a millisecond. Here no write to the others takes a quarter of the
 * reclaim's time. Their rund.config files are opened beforehand, so that a write costs a
 * fraction of the reclaim and all of them return while it still runs, and they are timed
 * once first: the fill lasts FILL_PER_WRITES times as long: a reclaim took a tenth of its
 * fill in TCG (the writes 53 ms, the reclaim 563 ms) and a sixth on the debug kernel
 * (1.5 s and 15 s).
 */
TEST_F_TIMEOUT(cfg, reclaim_does_not_hold_up_other_cgroups, 300)
{
	struct reclaimer r = { .dir = self->dir };
	struct fill f = { self->h.root, FILL_MIN };
	char dir[PATH_MAX], val[32];
	long before, after;
	long long cal_ns, others_ns;
	int fd[NR_OTHERS], made = 0, slow = -1, late;
	long long slow_ns;
	pthread_t tr;
	pid_t pid;
	int status;

	NEED();
	if (!has_key(self->dir, "memory.max") || !has_key(self->dir, "pids.max"))
		SKIP(return, "hierarchy without memory and pids");
	for (; made < NR_OTHERS; made++) {
		if (other_cg(dir, sizeof(dir), self->h.root, made, NULL) || rt_mkdir_cg(dir))
			break;
		other_cg(dir, sizeof(dir), self->h.root, made, CFG);
		fd[made] = open(dir, O_WRONLY | O_CLOEXEC);
		if (fd[made] < 0) {
			rmdir(dirname(dir));
			break;
		}
	}
	EXPECT_EQ(NR_OTHERS, made) TH_LOG("%s: %s", dir, strerror(errno));
	cal_ns = write_others(_metadata, fd, made, 1000, &slow, &slow_ns);
	f.seconds = cal_ns * FILL_PER_WRITES / 1000000000LL;
	f.seconds = f.seconds < FILL_MIN ? FILL_MIN : f.seconds > FILL_MAX ? FILL_MAX : f.seconds;

	pid = start_in(self->dir, fill_dentries, &f);
	ASSERT_LT(0, pid);
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	ASSERT_EQ(0, WIFEXITED(status) ? WEXITSTATUS(status) : -1);
	before = usage(self->dir, self->h.v2);
	ASSERT_LT(1 << 20, before) TH_LOG("the dentries were not charged to the memcg");
	r.to = before / 2;

	ASSERT_EQ(0, pthread_create(&tr, NULL, reclaim, &r));
	/* the reclaim is under way once the usage drops */
	while (!atomic_load(&r.done) && usage(self->dir, self->h.v2) > before - (1 << 20))
		usleep(1000);
	others_ns = write_others(_metadata, fd, made, 100, &slow, &slow_ns);
	late = atomic_load(&r.done);
	pthread_join(tr, NULL);
	after = usage(self->dir, self->h.v2);
	for (int i = 0; i < made; i++) {
		close(fd[i]);
		other_cg(dir, sizeof(dir), self->h.root, i, "pids.max");
		EXPECT_EQ(100 + i, atoi(first_line(dirname(dir), "pids.max", val, sizeof(val))));
	}
	rm_others(self->h.root, made);

	/*
	 * The reclaim is the load, not what is tested: v1 gives up with EBUSY once a pass
	 * frees no page, and freed dentries do not always free their slab pages.
	 */
	EXPECT_TRUE(!r.err || (!self->h.v2 && r.err == EBUSY))
		TH_LOG("memory.max=%ld: %s", r.to, strerror(r.err));
	EXPECT_GT(before - before / 4, after) TH_LOG("%ld bytes before, %ld after", before, after);
	EXPECT_GT(r.ns / 4, slow_ns)
		TH_LOG("the write to other cgroup #%d waited for the reclaim: %lld ms of its %lld ms",
		       slow, slow_ns / 1000000, r.ns / 1000000);
	if (late && slow_ns < r.ns / 4)	/* the writes after it told nothing: say so */
		ksft_print_msg("the reclaim ended before the %d writes did: the fill was short\n",
			       made);
	ksft_print_msg("%d s of fill, reclaim of %ld kB: %lld ms; %d writes to other cgroups "
		       "meanwhile: %lld ms (%lld ms unhindered)\n", f.seconds, (before - after) >> 10,
		       r.ns / 1000000, made, others_ns / 1000000, cal_ns / 1000000);
}

/* --- delegation ----------------------------------------------------------------- */

#define DELEG_UID	1000

static int chown_in(const char *dir, const char *file, uid_t uid)
{
	char path[PATH_MAX];

	return rt_path(path, sizeof(path), dir, file) ?: chown(path, uid, uid);
}

/*
 * Who writes: a forked child that moves to cgroup @join, unshares its cgroup namespace,
 * becomes @uid (0: stays root), then makes cgroup @mkdir, in that order, as each is set.
 */
struct as_who {
	uid_t uid;
	const char *join;
	int cgroup_ns;
	const char *mkdir;
};

#define OPEN_ERR	1000	/* write_as(): the open failed with errno - OPEN_ERR */

/*
 * As @w, write each of @vals to @dir/@file (open, one write, close each). @err[i]: 0, the
 * write's errno or OPEN_ERR + the open's errno. 0, or the child's wait status when it
 * could not become @w (exit 2: join, 3: unshare, 4: not at its namespace root,
 * 5: setresuid, 6: mkdir).
 */
static int write_as(const struct as_who *w, const char *dir, const char *file,
		    const char *const *vals, int n, int *err)
{
	int p[2], e[8] = { 0 }, status;
	char path[PATH_MAX], buf[64];
	ssize_t r;
	pid_t pid;

	if (n > 8 || rt_path(path, sizeof(path), dir, file) || pipe(p))
		return -1;
	pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0) {
		close(p[0]);
		if (w->join && rt_attach(w->join, getpid()))
			_exit(2);
		if (w->cgroup_ns && unshare(CLONE_NEWCGROUP))
			_exit(3);
		/* the namespace is rooted at the cgroup joined */
		if (w->cgroup_ns && (rt_read_file("/proc/self", "cgroup", buf, sizeof(buf)) < 0 ||
				     strcmp(buf, "0::/\n")))
			_exit(4);
		if (w->uid && (setgroups(0, NULL) || setresgid(w->uid, w->uid, w->uid) ||
			       setresuid(w->uid, w->uid, w->uid)))
			_exit(5);
		if (w->mkdir && mkdir(w->mkdir, 0755))
			_exit(6);
		for (int i = 0; i < n; i++) {
			int fd = open(path, O_WRONLY | O_CLOEXEC);
			size_t len = strlen(vals[i]);

			if (fd < 0) {
				e[i] = OPEN_ERR + errno;
				continue;
			}
			errno = 0;
			e[i] = write(fd, vals[i], len) == (ssize_t)len ? 0 : errno ?: EIO;
			close(fd);
		}
		_exit(write(p[1], e, sizeof(e)) == sizeof(e) ? 0 : 7);
	}
	close(p[1]);
	r = read(p[0], e, sizeof(e));
	close(p[0]);
	if (waitpid(pid, &status, 0) != pid)
		return -1;
	if (r != sizeof(e))
		return status ?: -1;
	memcpy(err, e, n * sizeof(int));
	return 0;
}

static const char *err_str(int err, char *buf, size_t len)
{
	snprintf(buf, len, "%s (%s)", err ? strerror(err % OPEN_ERR) : "accepted",
		 err >= OPEN_ERR ? "open" : "write");
	return buf;
}

/*
 * rund.config bundles limits behind one permission bit (issue 16 item 5). D is delegated
 * to uid 1000 as cgroup-v2.rst "Delegation" says (D, its cgroup.procs,
 * cgroup.subtree_control and cgroup.threads chowned); an admin also chowned
 * D/rund.config by mistake. D's limits stay the delegator's: a write of memory.max or
 * pids.max through D/rund.config by uid 1000 checks D/memory.max's and D/pids.max's own
 * permissions (root's) and fails with EACCES, D's files unchanged. A cgroup uid 1000 made
 * under D is its own: configuring it through its rund.config works.
 */
TEST_F(cfg, delegated_rund_config_checks_target_files)
{
	static const char *const deleg[] = { "cgroup.procs", "cgroup.subtree_control",
					     "cgroup.threads" };
	static const char *const vals[] = { "memory.max=67108864", "pids.max=5" };
	static const char *const own[] = { "pids.max=7 memory.max=67108864" };
	char d[PATH_MAX + 32], c[PATH_MAX + 32], v[64], e[64];
	struct as_who user = { .uid = DELEG_UID };
	int err[2], r;

	NEED();
	if (!self->h.v2)
		SKIP(return, "delegation as cgroup-v2.rst describes it: v2");
	snprintf(d, sizeof(d), "%s/rund-deleg-%d", self->h.root, getpid());
	ASSERT_EQ(0, rt_path(c, sizeof(c), d, "c"));
	ASSERT_EQ(0, mk_extra(self, d)) TH_LOG("mkdir %s: %s", d, strerror(errno));
	/* the teardown removes the user's cgroup before D */
	snprintf(self->extra[self->nr_extra++], sizeof(self->extra[0]), "%s", c);
	ASSERT_EQ(0, rt_write_file(d, "memory.max", "268435456"));
	ASSERT_EQ(0, rt_write_file(d, "pids.max", "50"));
	ASSERT_EQ(0, rt_write_file(d, "cgroup.subtree_control", "+memory +pids"));
	ASSERT_EQ(0, chown(d, DELEG_UID, DELEG_UID));
	for (size_t i = 0; i < sizeof(deleg) / sizeof(deleg[0]); i++) {
		ASSERT_EQ(0, chown_in(d, deleg[i], DELEG_UID)) TH_LOG("%s", deleg[i]);
	}
	ASSERT_EQ(0, chown_in(d, CFG, DELEG_UID));

	r = write_as(&user, d, CFG, vals, 2, err);
	ASSERT_EQ(0, r) TH_LOG("child as uid %d: status 0x%x", DELEG_UID, r);
	for (int i = 0; i < 2; i++) {
		EXPECT_EQ(EACCES, err[i] % OPEN_ERR)
			TH_LOG("uid %d, '%s' to D/rund.config: %s", DELEG_UID, vals[i],
			       err_str(err[i], e, sizeof(e)));
		ksft_print_msg("uid %d, '%s' to D/rund.config: %s\n", DELEG_UID, vals[i],
			       err_str(err[i], e, sizeof(e)));
	}
	EXPECT_STREQ("268435456", first_line(d, "memory.max", v, sizeof(v)));
	EXPECT_STREQ("50", first_line(d, "pids.max", v, sizeof(v)));

	user.mkdir = c;
	r = write_as(&user, c, CFG, own, 1, err);
	ASSERT_EQ(0, r) TH_LOG("child as uid %d: status 0x%x", DELEG_UID, r);
	EXPECT_EQ(0, err[0]) TH_LOG("uid %d, '%s' to D/c/rund.config: %s", DELEG_UID, own[0],
				    err_str(err[0], e, sizeof(e)));
	EXPECT_STREQ("7", first_line(c, "pids.max", v, sizeof(v)));
	EXPECT_STREQ("67108864", first_line(c, "memory.max", v, sizeof(v)));
}

static int has_opt(const char *opts, const char *opt)
{
	char copy[512], *tok, *save;

	snprintf(copy, sizeof(copy), "%s", opts);
	for (tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save))
		if (!strcmp(tok, opt))
			return 1;
	return 0;
}

/*
 * With nsdelegate, a cgroup namespace's root is a delegation boundary: from inside, only
 * the files /sys/kernel/cgroup/delegate lists may be written there. rund.config is not
 * one of them (it is not listed), so a task in a namespace rooted at N gets EPERM for
 * N/rund.config, as for N/pids.max: root, and uid 1000 to whom N/rund.config was
 * chowned. The test remounts cgroup2 with nsdelegate when it lacks it; the teardown
 * remounts with the original options.
 */
TEST_F(cfg, nsdelegate_refuses_rund_config_at_ns_root)
{
	static const char *const vals[] = { "pids.max=5" };
	static const char *const raw[] = { "5" };
	char n[PATH_MAX + 32], opts[600], v[64], e[64];
	struct as_who in_ns = { .cgroup_ns = 1 };
	int err[1], r;

	NEED();
	if (!self->h.v2)
		SKIP(return, "nsdelegate is a cgroup2 option");
	EXPECT_EQ(1, rt_file_has_line("/sys/kernel/cgroup", "delegate", "cgroup.procs"));
	EXPECT_EQ(0, rt_file_has_line("/sys/kernel/cgroup", "delegate", CFG))
		TH_LOG("%s listed as delegatable", CFG);
	if (!has_opt(self->h.opts, "nsdelegate")) {
		snprintf(opts, sizeof(opts), "%s%snsdelegate", self->h.opts,
			 self->h.opts[0] ? "," : "");
		ASSERT_EQ(0, mount("none", self->h.root, "cgroup2", MS_REMOUNT, opts))
			TH_LOG("remount %s: %s", opts, strerror(errno));
	}
	snprintf(n, sizeof(n), "%s/rund-ns-%d", self->h.root, getpid());
	ASSERT_EQ(0, mk_extra(self, n)) TH_LOG("mkdir %s: %s", n, strerror(errno));
	ASSERT_EQ(0, rt_write_file(n, "pids.max", "50"));
	ASSERT_EQ(0, chown_in(n, CFG, DELEG_UID));
	in_ns.join = n;

	r = write_as(&in_ns, n, CFG, vals, 1, err);
	ASSERT_EQ(0, r) TH_LOG("child in a cgroup namespace: status 0x%x", r);
	EXPECT_EQ(EPERM, err[0] % OPEN_ERR)
		TH_LOG("root in the namespace, '%s' to N/rund.config: %s", vals[0],
		       err_str(err[0], e, sizeof(e)));
	ksft_print_msg("root in the namespace, '%s' to N/rund.config: %s\n", vals[0],
		       err_str(err[0], e, sizeof(e)));
	r = write_as(&in_ns, n, "pids.max", raw, 1, err);
	ASSERT_EQ(0, r) TH_LOG("child in a cgroup namespace: status 0x%x", r);
	EXPECT_EQ(EPERM, err[0] % OPEN_ERR)
		TH_LOG("root in the namespace, N/pids.max: %s", err_str(err[0], e, sizeof(e)));
	in_ns.uid = DELEG_UID;
	r = write_as(&in_ns, n, CFG, vals, 1, err);
	ASSERT_EQ(0, r) TH_LOG("child in a cgroup namespace: status 0x%x", r);
	EXPECT_EQ(EPERM, err[0] % OPEN_ERR)
		TH_LOG("uid %d in the namespace, '%s' to N/rund.config: %s", DELEG_UID, vals[0],
		       err_str(err[0], e, sizeof(e)));
	ksft_print_msg("uid %d in the namespace, '%s' to N/rund.config: %s\n", DELEG_UID, vals[0],
		       err_str(err[0], e, sizeof(e)));
	EXPECT_STREQ("50", first_line(n, "pids.max", v, sizeof(v)));
	/* the original options back now, not only in the teardown */
	EXPECT_EQ(0, remount(&self->h, "")) TH_LOG("remount %s: %s", self->h.opts, strerror(errno));
}

TEST_HARNESS_MAIN
