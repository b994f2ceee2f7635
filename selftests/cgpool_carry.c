// SPDX-License-Identifier: GPL-2.0
/*
 * cgpool_carry: a recycled cgroup must not carry the last tenant's state.
 *
 * Every test is one item a tenant can leave on its cgroup. A pool of one cgroup that never
 * refills (size 1, low watermark 0) hands sandbox "t1" its cgroup; the test sets the item
 * (checking it took), moves every task out and RELEASEs; after the background work
 * (STATS_SYNC) it ACQUIREs "t2" - on a recycling pool the same cgroup unless it was
 * replaced - and checks what t2 sees. Each test runs under both policies (fixture
 * variants):
 *
 *   default_policy (SETUP flags 0): RELEASE removes the cgroup before it returns; t2 gets a
 *     new cgroup id and none of the items (recycled stays 0, destroyed grows).
 *   recycle (RUND_CGPOOL_SETUP_RECYCLE):
 *     owner (of the directory and the delegated files, or of cgroup.procs alone), mode,
 *       xattr, BPF program: the cgroup is replaced (new id, STATS replaced + 1) and the
 *       item is gone;
 *     io.max (v1 blkio.throttle.read_bps_device), memory.oom.group, hugetlb limit, v1
 *       cpuset.sched_load_balance (to the pool's value): reset (the id may stay);
 *     counters (memory.events oom_kill, cpu.stat usage_usec, pids.events max; v1
 *       memory.oom_control, cpuacct.usage): the documented carry-over - when nothing else
 *       dirtied the cgroup it is recycled, t2 gets the same id and the counters t1 left.
 *       Asserted, so a silent change of that behaviour is noticed. The contract lets a
 *       cgroup whose memory cannot be reclaimed be replaced instead: accepted only when its
 *       memory usage was not 0 at RELEASE (read after up to 1 s for RCU-delayed frees).
 *
 * xattr: trusted.test, and user.test where the kernel accepts it. Items a hierarchy lacks are skipped with the reason (v1: BPF, memory.oom.group; no
 * hugetlb controller; no block device for io.max). On v2 the test enables hugetlb in the
 * pool dir's cgroup.subtree_control when the root offers it, so the item has its file.
 * Each test leaves no sandbox, no pool dir and no module behind.
 */
#define _GNU_SOURCE
#include <linux/bpf.h>
#include <sys/mman.h>
#include <sys/xattr.h>
#include <time.h>

#include "kselftest_harness.h"
#include "cgpool_test.h"

FIXTURE(carry) {
	char root[PATH_MAX];
	char pool[PATH_MAX];
	const char *rel;
	int v2, sep, dev, ok, rename;
	int held1, held2;			/* t1 / t2 still acquired */
	struct rund_cgpool_acquire a1, a2;
	char d1[PATH_MAX], d2[PATH_MAX];	/* their directories */
};

FIXTURE_VARIANT(carry) {
	unsigned int flags;
};

FIXTURE_VARIANT_ADD(carry, default_policy) {
	.flags = 0,
};

FIXTURE_VARIANT_ADD(carry, recycle) {
	.flags = RUND_CGPOOL_SETUP_RECYCLE,
};

/* what a recycling pool does with the item */
enum kind {
	REPLACE,	/* the cgroup must be replaced: new id */
	RESET,		/* reset; the id may stay */
	COUNTER,	/* documented carry-over: same id, counters kept */
};

FIXTURE_SETUP(carry)
{
	struct rund_cgpool_stats st;
	char buf[512];
	int err;

	self->dev = -1;
	ASSERT_EQ(0, cgp_find_root(self->root, sizeof(self->root), &self->v2, &self->sep))
		TH_LOG("no cgroup hierarchy with the memory controller");
	if (self->sep)
		SKIP(return, "v1 with separate hierarchies: the pool refuses it");
	err = cgp_load(NULL);
	ASSERT_TRUE(!err || err == EEXIST) TH_LOG("insmod: %s", strerror(err));
	self->dev = cgp_open();
	ASSERT_LE(0, self->dev) TH_LOG("open %s: %s", RUND_CGPOOL_DEVICE, strerror(errno));
	ASSERT_GT((int)sizeof(self->pool),
		  snprintf(self->pool, sizeof(self->pool), "%s/carry-%d", self->root, getpid()));
	self->rel = self->pool + strlen(self->root);
	ASSERT_EQ(0, rt_mkdir_cg(self->pool)) TH_LOG("mkdir %s: %s", self->pool, strerror(errno));
	/* hugetlb for the sandboxes, when the root offers it (the module enables the rest) */
	if (self->v2 && rt_read_file(self->root, "cgroup.subtree_control", buf, sizeof(buf)) > 0 &&
	    strstr(buf, "hugetlb"))
		rt_write_file(self->pool, "cgroup.subtree_control", "+hugetlb");
	err = cgp_setup_flags(self->dev, self->pool, 1, 0, variant->flags);
	ASSERT_EQ(0, err) TH_LOG("SETUP flags 0x%x: %s", variant->flags, strerror(err));
	self->ok = 1;
	ASSERT_EQ(0, cgp_stats(self->dev, &st));
	ASSERT_EQ(!!variant->flags, !!(st.pool_flags & RUND_CGPOOL_POOL_RECYCLE))
		TH_LOG("STATS pool_flags 0x%x", st.pool_flags);
	self->rename = !!(st.pool_flags & RUND_CGPOOL_POOL_RENAME);
}

FIXTURE_TEARDOWN(carry)
{
	int err;

	if (self->dev >= 0) {
		if (self->held2)
			EXPECT_EQ(0, cgp_release(self->dev, "t2", 0));
		if (self->held1)
			EXPECT_EQ(0, cgp_release(self->dev, "t1", 0));
		err = cgp_teardown(self->dev, 0);
		EXPECT_EQ(0, err) TH_LOG("TEARDOWN: %s", strerror(err));
		if (err)
			cgp_teardown(self->dev, RUND_CGPOOL_TEARDOWN_KEEP_BUSY);
		close(self->dev);
	}
	if (!self->ok)
		return;
	EXPECT_EQ(0, cgp_unload());
	EXPECT_EQ(0, cgp_children(self->pool)) TH_LOG("cgroups left in the pool dir");
	EXPECT_EQ(0, rmdir(self->pool)) TH_LOG("rmdir %s: %s", self->pool, strerror(errno));
}

/* @dir/@file, trailing newline cut; "" when unreadable */
static const char *val(const char *dir, const char *file)
{
	static char buf[8][4096];
	static int k;
	char *b = buf[k++ % 8];

	if (rt_read_file(dir, file, b, 4096) < 0)
		return "";
	b[strcspn(b, "\n")] = '\0';
	return b;
}

static int has_file(const char *dir, const char *file)
{
	char path[PATH_MAX];

	return !rt_path(path, sizeof(path), dir, file) && !access(path, F_OK);
}

/*
 * The counter @key ("oom_kill", "max") of a flat-keyed file, or its only number when @key
 * is NULL (cpuacct.usage); -1 when unreadable or absent.
 */
static long long counter(const char *dir, const char *file, const char *key)
{
	char buf[4096], *line, *save;
	size_t klen = key ? strlen(key) : 0;

	if (rt_read_file(dir, file, buf, sizeof(buf)) < 0)
		return -1;
	if (!key)
		return strtoll(buf, NULL, 10);
	for (line = strtok_r(buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save))
		if (!strncmp(line, key, klen) && line[klen] == ' ')
			return strtoll(line + klen + 1, NULL, 10);
	return -1;
}

static const char *usage_file(FIXTURE_DATA(carry) *self)
{
	return self->v2 ? "memory.current" : "memory.usage_in_bytes";
}

static void acquire_t1(struct __test_metadata *_metadata, FIXTURE_DATA(carry) *self,
		       const struct rund_cgpool_limits *lim)
{
	int err = cgp_acquire(self->dev, "t1", 0, lim, &self->a1);

	ASSERT_EQ(0, err) TH_LOG("ACQUIRE t1: %s", strerror(err));
	self->held1 = 1;
	ASSERT_EQ(0, rt_path(self->d1, sizeof(self->d1), self->pool, self->a1.path));
}

/*
 * RELEASE t1 (its tasks are gone), let the worker finish, ACQUIRE t2 and check the ids and
 * STATS the policy and @kind call for. @mem is t1's memory usage at RELEASE (COUNTER).
 * Returns 1 when t2 got t1's cgroup (same id), 0 when a new one, -1 after a failed check.
 */
static int release_reacquire(struct __test_metadata *_metadata, FIXTURE_DATA(carry) *self,
			     const FIXTURE_VARIANT(carry) *variant, enum kind kind,
			     const char *item)
{
	struct rund_cgpool_stats st0, st;
	long long mem = counter(self->d1, usage_file(self), NULL);
	struct stat sb;
	int err, same;

	/*
	 * What an exited task frees after an RCU grace period (its stack, task struct) is
	 * still charged right after it is gone: give it up to 1 s, so that a cgroup only
	 * counters dirtied is not replaced for memory that was about to go.
	 */
	for (int i = 0; kind == COUNTER && mem > 0 && i < 10; i++) {
		usleep(100000);
		mem = counter(self->d1, usage_file(self), NULL);
	}

	EXPECT_EQ(0, cgp_stats(self->dev, &st0));
	EXPECT_STREQ("", val(self->d1, "cgroup.procs")) TH_LOG("tasks left in t1");
	err = cgp_release(self->dev, "t1", 0);
	EXPECT_EQ(0, err) TH_LOG("RELEASE t1: %s", strerror(err));
	if (err)
		return -1;
	self->held1 = 0;
	if (!variant->flags) {
		/* removed before RELEASE returned: the path is gone or names another cgroup */
		if (!stat(self->d1, &sb)) {
			EXPECT_NE((unsigned long long)self->a1.id, (unsigned long long)sb.st_ino)
				TH_LOG("default policy: %s (id %llu) still there after RELEASE",
				       self->d1, (unsigned long long)self->a1.id);
		}
	}
	EXPECT_EQ(0, cgp_stats(self->dev, &st));
	EXPECT_TRUE(cgp_stats_balanced(&st));
	EXPECT_EQ(st0.released + 1, st.released);
	err = cgp_acquire(self->dev, "t2", 0, NULL, &self->a2);
	EXPECT_EQ(0, err) TH_LOG("ACQUIRE t2: %s", strerror(err));
	if (err)
		return -1;
	self->held2 = 1;
	if (rt_path(self->d2, sizeof(self->d2), self->pool, self->a2.path))
		return -1;
	same = self->a1.id == self->a2.id;
	TH_LOG("%s: t1 id %llu, t2 id %llu; recycled +%llu, replaced +%llu, destroyed +%llu; "
	       "%s at RELEASE %lld", item, (unsigned long long)self->a1.id,
	       (unsigned long long)self->a2.id, st.recycled - st0.recycled,
	       st.replaced - st0.replaced, st.destroyed - st0.destroyed, usage_file(self), mem);

	if (!variant->flags) {
		/* default: never-used cgroups only */
		EXPECT_FALSE(same) TH_LOG("default policy handed t1's cgroup %llu to t2",
					  (unsigned long long)self->a1.id);
		EXPECT_EQ(0ULL, st.recycled);
		EXPECT_EQ(st0.destroyed + 1, st.destroyed);
		return same;
	}
	EXPECT_EQ(st0.recycled + st0.replaced + 1, st.recycled + st.replaced);
	switch (kind) {
	case REPLACE:
		EXPECT_EQ(st0.replaced + 1, st.replaced) TH_LOG("%s: cgroup not replaced", item);
		EXPECT_FALSE(same) TH_LOG("%s: t2 got t1's cgroup %llu", item,
					  (unsigned long long)self->a1.id);
		break;
	case RESET:
		TH_LOG("%s: reset, cgroup %s", item, same ? "kept (same id)" : "replaced");
		break;
	case COUNTER:
		if (st.recycled > st0.recycled) {
			EXPECT_TRUE(same) TH_LOG("%s: recycled, yet t2 got another cgroup", item);
		} else {
			/* replaced: only for memory the worker could not reclaim */
			EXPECT_LT(0, mem) TH_LOG("%s: replaced though nothing but counters dirtied "
						 "it and %s was 0", item, usage_file(self));
			EXPECT_FALSE(same);
		}
		break;
	}
	return same;
}

/* stat @dir/@file (@file NULL: @dir) */
static int stat_in(const char *dir, const char *file, struct stat *sb)
{
	char path[PATH_MAX];

	if (!file)
		return stat(dir, sb);
	if (rt_path(path, sizeof(path), dir, file))
		return -1;
	return stat(path, sb);
}

/* A delegation chowns the dir, cgroup.procs and cgroup.threads (v1: tasks). */
TEST_F_TIMEOUT(carry, owner, 120)
{
	const char *files[3] = { NULL, "cgroup.procs", NULL };
	struct stat before[3], sb;
	char path[PATH_MAX];

	if (!self->ok)
		return;
	acquire_t1(_metadata, self, NULL);
	files[2] = has_file(self->d1, "cgroup.threads") ? "cgroup.threads" : "tasks";
	for (int i = 0; i < 3; i++) {
		ASSERT_EQ(0, stat_in(self->d1, files[i], &before[i])) TH_LOG("%s", files[i]);
		if (!files[i])
			snprintf(path, sizeof(path), "%s", self->d1);
		else if (rt_path(path, sizeof(path), self->d1, files[i]))
			path[0] = '\0';
		ASSERT_EQ(0, chown(path, 1000, 1000)) TH_LOG("chown %s: %s", path, strerror(errno));
		ASSERT_EQ(0, stat(path, &sb));
		ASSERT_EQ(1000U, sb.st_uid);
		ASSERT_EQ(1000U, sb.st_gid);
	}
	ASSERT_LE(0, release_reacquire(_metadata, self, variant, REPLACE, "owner"));
	for (int i = 0; i < 3; i++) {
		ASSERT_EQ(0, stat_in(self->d2, files[i], &sb)) TH_LOG("%s", files[i]);
		EXPECT_EQ(0U, sb.st_uid) TH_LOG("%s owned by %u in t2", files[i] ?: "dir", sb.st_uid);
		EXPECT_EQ(0U, sb.st_gid) TH_LOG("%s group %u in t2", files[i] ?: "dir", sb.st_gid);
		EXPECT_EQ(before[i].st_uid, sb.st_uid);
		EXPECT_EQ(before[i].st_gid, sb.st_gid);
	}
}

/* Only one file's owner changed (the directory untouched): the pool must look inside. */
TEST_F_TIMEOUT(carry, file_owner, 120)
{
	char path[PATH_MAX];
	struct stat sb;

	if (!self->ok)
		return;
	acquire_t1(_metadata, self, NULL);
	ASSERT_EQ(0, rt_path(path, sizeof(path), self->d1, "cgroup.procs"));
	ASSERT_EQ(0, chown(path, 1000, 1000)) TH_LOG("chown %s: %s", path, strerror(errno));
	ASSERT_LE(0, release_reacquire(_metadata, self, variant, REPLACE, "cgroup.procs owner"));
	ASSERT_EQ(0, stat_in(self->d2, "cgroup.procs", &sb));
	EXPECT_EQ(0U, sb.st_uid) TH_LOG("t2's cgroup.procs owned by %u", sb.st_uid);
	EXPECT_EQ(0U, sb.st_gid);
}

TEST_F_TIMEOUT(carry, mode, 120)
{
	struct stat procs, sb;
	char path[PATH_MAX];

	if (!self->ok)
		return;
	acquire_t1(_metadata, self, NULL);
	ASSERT_EQ(0, stat_in(self->d1, NULL, &sb));
	EXPECT_EQ(0755U, sb.st_mode & 07777);
	ASSERT_EQ(0, stat_in(self->d1, "cgroup.procs", &procs));
	ASSERT_EQ(0, chmod(self->d1, 0777)) TH_LOG("chmod: %s", strerror(errno));
	ASSERT_EQ(0, rt_path(path, sizeof(path), self->d1, "cgroup.procs"));
	ASSERT_EQ(0, chmod(path, 0777)) TH_LOG("chmod %s: %s", path, strerror(errno));
	ASSERT_EQ(0, stat_in(self->d1, NULL, &sb));
	ASSERT_EQ(0777U, sb.st_mode & 07777);
	ASSERT_EQ(0, stat(path, &sb));
	ASSERT_EQ(0777U, sb.st_mode & 07777);
	ASSERT_LE(0, release_reacquire(_metadata, self, variant, REPLACE, "mode"));
	ASSERT_EQ(0, stat_in(self->d2, NULL, &sb));
	EXPECT_EQ(0755U, sb.st_mode & 07777) TH_LOG("t2 dir mode %o", sb.st_mode & 07777);
	ASSERT_EQ(0, stat_in(self->d2, "cgroup.procs", &sb));
	EXPECT_EQ(procs.st_mode & 07777, sb.st_mode & 07777)
		TH_LOG("t2 cgroup.procs mode %o, fresh %o", sb.st_mode & 07777,
		       procs.st_mode & 07777);
}

/* Every xattr name on @dir must be the module's own (trusted.rund.*); 0 or -1. */
static int only_module_xattrs(struct __test_metadata *_metadata, const char *dir)
{
	char names[4096];
	ssize_t n = listxattr(dir, names, sizeof(names));
	int bad = 0;

	if (n < 0) {
		TH_LOG("listxattr %s: %s", dir, strerror(errno));
		return -1;
	}
	for (char *p = names; p < names + n; p += strlen(p) + 1)
		if (strncmp(p, "trusted.rund.", strlen("trusted.rund."))) {
			TH_LOG("xattr %s on %s", p, dir);
			bad = -1;
		}
	return bad;
}

TEST_F_TIMEOUT(carry, xattr, 120)
{
	char v[16];
	int user = 0;

	if (!self->ok)
		return;
	acquire_t1(_metadata, self, NULL);
	EXPECT_EQ(0, only_module_xattrs(_metadata, self->d1)) TH_LOG("a fresh cgroup");
	ASSERT_EQ(0, setxattr(self->d1, "trusted.test", "t1", 2, 0))
		TH_LOG("setxattr trusted.test: %s", strerror(errno));
	ASSERT_EQ(2, getxattr(self->d1, "trusted.test", v, sizeof(v)));
	/* user.* where the kernel accepts it (cgroupfs since 5.7) */
	if (!setxattr(self->d1, "user.test", "t1", 2, 0)) {
		user = 1;
		ASSERT_EQ(2, getxattr(self->d1, "user.test", v, sizeof(v)));
	} else {
		TH_LOG("user.test refused (%s): trusted.test only", strerror(errno));
	}
	ASSERT_LE(0, release_reacquire(_metadata, self, variant, REPLACE, "xattr"));
	EXPECT_EQ(-1, getxattr(self->d2, "trusted.test", v, sizeof(v)));
	EXPECT_EQ(ENODATA, errno) TH_LOG("trusted.test in t2: %s", strerror(errno));
	if (user) {
		EXPECT_EQ(-1, getxattr(self->d2, "user.test", v, sizeof(v)));
		EXPECT_EQ(ENODATA, errno) TH_LOG("user.test in t2: %s", strerror(errno));
	}
	EXPECT_EQ(0, only_module_xattrs(_metadata, self->d2));
}

static long sys_bpf(int cmd, union bpf_attr *attr)
{
	return syscall(__NR_bpf, cmd, attr, sizeof(*attr));
}

/* programs attached to the cgroup at @dir as BPF_CGROUP_DEVICE, or -1 with errno */
static long bpf_dev_progs(const char *dir)
{
	union bpf_attr q;
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	long ret;

	if (fd < 0)
		return -1;
	memset(&q, 0, sizeof(q));
	q.query.target_fd = fd;
	q.query.attach_type = BPF_CGROUP_DEVICE;
	ret = sys_bpf(BPF_PROG_QUERY, &q) ? -1 : (long)q.query.prog_cnt;
	close(fd);
	return ret;
}

TEST_F_TIMEOUT(carry, bpf_prog, 120)
{
	struct bpf_insn insns[] = {
		{ .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_0, .imm = 1 },
		{ .code = BPF_JMP | BPF_EXIT },
	};
	union bpf_attr attr;
	int prog, cg;

	if (!self->ok)
		return;
	if (!self->v2)
		SKIP(return, "cgroup BPF programs attach to the unified hierarchy only");
	acquire_t1(_metadata, self, NULL);
	memset(&attr, 0, sizeof(attr));
	attr.prog_type = BPF_PROG_TYPE_CGROUP_DEVICE;
	attr.insns = (uintptr_t)insns;
	attr.insn_cnt = sizeof(insns) / sizeof(insns[0]);
	attr.license = (uintptr_t)"GPL";
	prog = sys_bpf(BPF_PROG_LOAD, &attr);
	ASSERT_LE(0, prog) TH_LOG("BPF_PROG_LOAD: %s", strerror(errno));
	cg = open(self->d1, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	ASSERT_LE(0, cg);
	memset(&attr, 0, sizeof(attr));
	attr.target_fd = cg;
	attr.attach_bpf_fd = prog;
	attr.attach_type = BPF_CGROUP_DEVICE;
	attr.attach_flags = BPF_F_ALLOW_MULTI;
	ASSERT_EQ(0, sys_bpf(BPF_PROG_ATTACH, &attr)) TH_LOG("BPF_PROG_ATTACH: %s", strerror(errno));
	close(cg);
	close(prog);		/* the attachment holds the program */
	ASSERT_EQ(1, bpf_dev_progs(self->d1)) TH_LOG("BPF_PROG_QUERY t1: %s", strerror(errno));
	ASSERT_LE(0, release_reacquire(_metadata, self, variant, REPLACE, "bpf"));
	EXPECT_EQ(0, bpf_dev_progs(self->d2)) TH_LOG("BPF_PROG_QUERY t2 (%s)", strerror(errno));
}

/* "MAJ:MIN" of a block device: /dev/ram0 (brd), else the first in /sys/block; 0 or -1 */
static int block_dev(char *out, size_t len)
{
	struct dirent *e;
	char dir[PATH_MAX];
	DIR *d;

	if (rt_read_file("/sys/block/ram0", "dev", out, len) > 0)
		goto found;
	d = opendir("/sys/block");
	while (d && (e = readdir(d))) {
		if (e->d_name[0] == '.' || rt_path(dir, sizeof(dir), "/sys/block", e->d_name))
			continue;
		if (rt_read_file(dir, "dev", out, len) > 0) {
			closedir(d);
			goto found;
		}
	}
	if (d)
		closedir(d);
	return -1;
found:
	out[strcspn(out, "\n")] = '\0';
	return 0;
}

/* @dir/@file has a line for device "MAJ:MIN" (@dev); -1 when unreadable */
static int dev_line(const char *dir, const char *file, const char *dev, char *line, size_t len)
{
	char buf[4096], *l, *save;
	size_t dlen = strlen(dev);

	if (rt_read_file(dir, file, buf, sizeof(buf)) < 0)
		return -1;
	for (l = strtok_r(buf, "\n", &save); l; l = strtok_r(NULL, "\n", &save))
		if (!strncmp(l, dev, dlen) && l[dlen] == ' ') {
			snprintf(line, len, "%s", l);
			return 1;
		}
	return 0;
}

TEST_F_TIMEOUT(carry, io_max, 120)
{
	const char *file = self->v2 ? "io.max" : "blkio.throttle.read_bps_device";
	char dev[32], set[64], line[256], ctrl[512];

	if (!self->ok)
		return;
	if (block_dev(dev, sizeof(dev)))
		SKIP(return, "no block device (brd not loaded): io.max has nothing to limit");
	acquire_t1(_metadata, self, NULL);
	if (!has_file(self->d1, file)) {
		if (self->v2 && rt_read_file(self->root, "cgroup.controllers", ctrl, sizeof(ctrl)) > 0) {
			ASSERT_EQ(NULL, strstr(ctrl, "io"))
				TH_LOG("the root has the io controller, t1 has no io.max");
		}
		SKIP(return, "%s: the hierarchy has no io/blkio controller", file);
	}
	if (self->v2)
		snprintf(set, sizeof(set), "%s rbps=1048576", dev);
	else
		snprintf(set, sizeof(set), "%s 1048576", dev);
	ASSERT_EQ(0, rt_write_file(self->d1, file, set))
		TH_LOG("write '%s' to %s: %s", set, file, strerror(errno));
	ASSERT_EQ(1, dev_line(self->d1, file, dev, line, sizeof(line)));
	ASSERT_NE(NULL, strstr(line, self->v2 ? "rbps=1048576" : " 1048576")) TH_LOG("%s", line);
	ASSERT_LE(0, release_reacquire(_metadata, self, variant, RESET, file));
	EXPECT_EQ(0, dev_line(self->d2, file, dev, line, sizeof(line)))
		TH_LOG("t2's %s: '%s'", file, line);
}

TEST_F_TIMEOUT(carry, oom_group, 120)
{
	if (!self->ok)
		return;
	if (!self->v2)
		SKIP(return, "memory.oom.group is a cgroup v2 file");
	acquire_t1(_metadata, self, NULL);
	ASSERT_STREQ("0", val(self->d1, "memory.oom.group"));
	ASSERT_EQ(0, rt_write_file(self->d1, "memory.oom.group", "1"));
	ASSERT_STREQ("1", val(self->d1, "memory.oom.group"));
	ASSERT_LE(0, release_reacquire(_metadata, self, variant, RESET, "memory.oom.group"));
	EXPECT_STREQ("0", val(self->d2, "memory.oom.group"));
}

/*
 * A setting no reset covers: v2 cgroup.subtree_control (a controller left enabled in it
 * would make every later attach fail: no internal processes on v2), v1 notify_on_release.
 * A recycling pool replaces such a cgroup; t2 holds a process either way.
 */
TEST_F_TIMEOUT(carry, settings, 120)
{
	const char *file = self->v2 ? "cgroup.subtree_control" : "notify_on_release";
	const char *set = self->v2 ? "+memory" : "1";
	const char *fresh = self->v2 ? "" : "0";
	pid_t child;

	if (!self->ok)
		return;
	acquire_t1(_metadata, self, NULL);
	ASSERT_STREQ(fresh, val(self->d1, file));
	ASSERT_EQ(0, rt_write_file(self->d1, file, set)) TH_LOG("%s: %s", file, strerror(errno));
	ASSERT_STRNE(fresh, val(self->d1, file));
	ASSERT_LE(0, release_reacquire(_metadata, self, variant, REPLACE, file));
	EXPECT_STREQ(fresh, val(self->d2, file));
	child = rt_spawn_sleeper();
	ASSERT_LT(0, child);
	EXPECT_EQ(0, rt_attach(self->d2, child)) TH_LOG("attach to t2: %s", strerror(errno));
	EXPECT_EQ(0, rt_attach(self->root, child));
	rt_kill_wait(child);
}

/*
 * v1 cpuset.sched_load_balance: a pool cgroup's value is the pool's (0 under a balancing
 * pool dir, module parameter cpuset_quiet), not a new cgroup's; a recycled one gets it
 * back with the limits.
 */
TEST_F_TIMEOUT(carry, v1_sched_load_balance, 120)
{
	const char *file = "cpuset.sched_load_balance";
	char fresh[8];
	int same;

	if (!self->ok)
		return;
	if (self->v2)
		SKIP(return, "cpuset.sched_load_balance is a v1 file");
	/* the pool dir balances (a new cgroup's default): its pool's cgroups read 0 */
	ASSERT_STREQ("1", val(self->pool, file));
	acquire_t1(_metadata, self, NULL);
	snprintf(fresh, sizeof(fresh), "%s", val(self->d1, file));
	ASSERT_STREQ("0", fresh);
	ASSERT_EQ(0, rt_write_file(self->d1, file, "1"));
	ASSERT_STREQ("1", val(self->d1, file));
	same = release_reacquire(_metadata, self, variant, RESET, file);
	ASSERT_LE(0, same);
	/* recycling resets it: the cgroup is kept, not replaced as if it were dirty */
	if (variant->flags)
		EXPECT_EQ(1, same) TH_LOG("%s: the recycled cgroup was replaced", file);
	EXPECT_STREQ(fresh, val(self->d2, file));
}

TEST_F_TIMEOUT(carry, hugetlb_limit, 120)
{
	const char *file = self->v2 ? "hugetlb.2MB.max" : "hugetlb.2MB.limit_in_bytes";
	char fresh[64];

	if (!self->ok)
		return;
	acquire_t1(_metadata, self, NULL);
	if (!has_file(self->d1, file))
		SKIP(return, "no %s: no hugetlb controller (or no 2MB pages) in this hierarchy",
		     file);
	snprintf(fresh, sizeof(fresh), "%s", val(self->d1, file));
	ASSERT_STRNE("", fresh);
	ASSERT_STRNE("2097152", fresh);
	ASSERT_EQ(0, rt_write_file(self->d1, file, "2097152"))
		TH_LOG("write %s: %s", file, strerror(errno));
	ASSERT_STREQ("2097152", val(self->d1, file));
	ASSERT_LE(0, release_reacquire(_metadata, self, variant, RESET, file));
	EXPECT_STREQ(fresh, val(self->d2, file));
}

/*
 * Fork a child that enters @dir, runs @fn, goes back to @root and exits with fn's value
 * (it holds no inherited fd: no module reference from a sandbox task). The wait status.
 */
static int run_inside(const char *dir, const char *root, int (*fn)(void))
{
	pid_t pid = fork();
	int status, ret;

	if (pid < 0)
		return -1;
	if (pid == 0) {
		syscall(SYS_close_range, 3, ~0U, 0);
		if (rt_attach(dir, getpid()))
			_exit(100);
		ret = fn();
		if (rt_attach(root, getpid()))
			_exit(101);
		_exit(ret);
	}
	if (waitpid(pid, &status, 0) != pid)
		return -1;
	return status;
}

/* touch 64 MB of anonymous memory: the 16 MB memory limit OOM-kills us */
static int hog_memory(void)
{
	size_t sz = 64 << 20;
	char *p = mmap(NULL, sz, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED)
		return 2;
	for (size_t i = 0; i < sz; i += 4096)
		p[i] = 1;
	return 3;	/* survived */
}

/* ~200 ms of CPU time */
static int burn_cpu(void)
{
	struct timespec t0, t, w0, w;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t0);
	clock_gettime(CLOCK_MONOTONIC, &w0);
	do {
		for (volatile int i = 0; i < 100000; i++)
			;
		clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
		clock_gettime(CLOCK_MONOTONIC, &w);
		if (w.tv_sec - w0.tv_sec > 30)
			return 6;
	} while ((t.tv_sec - t0.tv_sec) * 1000000000LL + t.tv_nsec - t0.tv_nsec < 200000000LL);
	return 0;
}

/* pids.max is 1: our fork must fail with EAGAIN */
static int fork_fails(void)
{
	pid_t pid = fork();

	if (pid == 0)
		_exit(0);
	if (pid > 0) {
		waitpid(pid, NULL, 0);
		return 4;
	}
	return errno == EAGAIN ? 0 : 5;
}

/*
 * A counter t1 bumped: under the default policy t2 reads 0; recycled, the documented
 * carry-over - t2 reads what t1 left (at least, with @monotonic).
 */
static void counter_item(struct __test_metadata *_metadata, FIXTURE_DATA(carry) *self,
			 const FIXTURE_VARIANT(carry) *variant, const char *file,
			 const char *key, long long t1val, int monotonic)
{
	long long t2val;
	int same;

	same = release_reacquire(_metadata, self, variant, COUNTER, file);
	ASSERT_LE(0, same);
	t2val = counter(self->d2, file, key);
	ASSERT_LE(0, t2val) TH_LOG("t2: no %s %s", file, key ?: "");
	if (!same) {
		EXPECT_EQ(0LL, t2val) TH_LOG("a new cgroup with %s %s %lld", file, key ?: "", t2val);
		return;
	}
	TH_LOG("documented carry-over (RUND_CGPOOL_SETUP_RECYCLE keeps the cgroup id and "
	       "cumulative counters): %s %s %lld in t1, %lld in t2", file, key ?: "", t1val, t2val);
	if (monotonic) {
		EXPECT_LE(t1val, t2val);
	} else {
		EXPECT_EQ(t1val, t2val);
	}
}

TEST_F_TIMEOUT(carry, oom_kill_counter, 180)
{
	struct rund_cgpool_limits lim = {
		.mask = RUND_CGPOOL_LIM_MEMORY, .memory_max = 16 << 20,
	};
	const char *file = self->v2 ? "memory.events" : "memory.oom_control";
	long long v;
	int status;

	if (!self->ok)
		return;
	acquire_t1(_metadata, self, &lim);
	ASSERT_EQ(0LL, counter(self->d1, file, "oom_kill")) TH_LOG("%s", val(self->d1, file));
	status = run_inside(self->d1, self->root, hog_memory);
	ASSERT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL)
		TH_LOG("the 64 MB child in a 16 MB sandbox was not OOM-killed: status 0x%x", status);
	v = counter(self->d1, file, "oom_kill");
	ASSERT_LE(1LL, v) TH_LOG("%s: %s", file, val(self->d1, file));
	counter_item(_metadata, self, variant, file, "oom_kill", v, 0);
}

TEST_F_TIMEOUT(carry, cpu_usage_counter, 180)
{
	const char *file = self->v2 ? "cpu.stat" : "cpuacct.usage";
	const char *key = self->v2 ? "usage_usec" : NULL;
	long long v, min = self->v2 ? 100000 : 100000000;	/* half the burn: us, v1 ns */
	int status;

	if (!self->ok)
		return;
	acquire_t1(_metadata, self, NULL);
	if (!has_file(self->d1, file))
		SKIP(return, "no %s in this hierarchy (cpuacct not co-mounted)", file);
	ASSERT_EQ(0LL, counter(self->d1, file, key));
	status = run_inside(self->d1, self->root, burn_cpu);
	ASSERT_EQ(0, status) TH_LOG("CPU burner: status 0x%x", status);
	v = counter(self->d1, file, key);
	ASSERT_LE(min, v) TH_LOG("%s %s %lld after ~200 ms of CPU", file, key ?: "", v);
	counter_item(_metadata, self, variant, file, key, v, 1);
}

TEST_F_TIMEOUT(carry, pids_max_counter, 120)
{
	struct rund_cgpool_limits lim = {
		.mask = RUND_CGPOOL_LIM_PIDS, .pids_max = 1,
	};
	long long v;
	int status;

	if (!self->ok)
		return;
	acquire_t1(_metadata, self, &lim);
	ASSERT_STREQ("1", val(self->d1, "pids.max"));
	ASSERT_EQ(0LL, counter(self->d1, "pids.events", "max"));
	status = run_inside(self->d1, self->root, fork_fails);
	ASSERT_EQ(0, status) TH_LOG("fork at pids.max 1: child status 0x%x", status);
	v = counter(self->d1, "pids.events", "max");
	ASSERT_LE(1LL, v) TH_LOG("pids.events: %s", val(self->d1, "pids.events"));
	counter_item(_metadata, self, variant, "pids.events", "max", v, 0);
}

TEST_HARNESS_MAIN
