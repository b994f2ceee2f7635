// SPDX-License-Identifier: GPL-2.0
/*
 * cgpool_namerace: a sandbox name reused at once must never resolve to another cgroup.
 *
 *   cgpool_namerace [--ops=N] [--names=N] [--writers=N] [--hold-us=N] [harness options]
 *
 * A runtime reaches a sandbox's cgroup by path: pool/NAME. With names reused quickly (a
 * RELEASE renames the cgroup back to its idle name or removes it, the next ACQUIRE of the
 * name renames another cgroup to it), a stale lookup could resolve NAME to the cgroup it
 * named one cycle earlier - now idle, removed or another sandbox's - and a pid written
 * there lands in the wrong sandbox.
 *
 * One owner thread per name (--names, default 4) ACQUIREs and RELEASEs its name in a loop
 * (pid 0), holding it a random 0..2x --hold-us (default 2000 us) in between. --ops (default
 * 100000) counts ACQUIREs + RELEASEs over all owners. Per name a seqlock-like counter in
 * shared memory: the owner makes it odd before ACQUIRE and RELEASE and even after, with the
 * held cgroup id (ACQUIRE's out id; 0 when not held). Writer processes (--writers, default
 * 4) loop: pick a name, read seq s1 (while odd, even-numbered writers wait for it to turn
 * even, so the lookup follows the ACQUIRE or RELEASE at once; odd-numbered ones pick
 * another name) and id1, open(pool/NAME, O_PATH | O_DIRECTORY), fstat it (st_ino is the
 * cgroup id), openat(dirfd, "cgroup.procs") and write their own pid, read
 * /proc/self/cgroup, read seq s2, move back to the root. When
 * s1 == s2 nothing happened to the name meanwhile, so:
 *   id1 != 0 (checked): the open must succeed, st_ino must be id1, the write must succeed
 *     and /proc/self/cgroup must name pool/NAME (v2: the "0::" line; v1: the memory
 *     controller's line);
 *   id1 == 0: the name is not held and must not resolve at all.
 * Anything else is a mismatch, printed with its details. s1 != s2: inconclusive; so is a
 * writer an owner may have moved to the root meanwhile (an owner's list of its pids can
 * be stale: the owner brackets each move of a writer with counters in shared memory).
 * Before RELEASE the owner empties its cgroup: every pid in its cgroup.procs goes to the root,
 * read through a dirfd the owner opened right after ACQUIRE (checked against the id: the
 * owner never resolves the name again), and RELEASE is retried on ENOTEMPTY (a writer that
 * read s1 before the owner went odd may still enter).
 *
 * Runs under both policies (fixture variants). Asserts: no mismatch, checked writes > 0,
 * no ACQUIRE/RELEASE error, STATS balanced with acquired == released == the cycles done,
 * and TEARDOWN + rmmod leave the pool dir empty. On v2 the test remounts the hierarchy
 * with the patched kernel's allow_rename for its duration; without rename support (a
 * stock kernel: STATS pool_flags lacks RUND_CGPOOL_POOL_RENAME) a sandbox's path is its
 * idle name, not NAME: the test skips.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <sys/mman.h>
#include <time.h>

#include "kselftest_harness.h"
#include "cgpool_test.h"

static long nr_ops = 100000;
static int nr_names = 4;
static int nr_writers = 4;
static long hold_us = 2000;

#define MAX_NAMES	64
#define MAX_WRITERS	64
#define MAX_MSGS	16
#define FILEID_KERNFS	0xfe

struct slot {
	_Atomic uint64_t seq;		/* odd: an ACQUIRE or RELEASE of the name in flight */
	_Atomic uint64_t id;		/* the held cgroup id, 0 when not held */
	char pad[48];
};

/* shared between the owner threads and the writer processes */
struct shared {
	struct slot slot[MAX_NAMES];
	_Atomic int stop;
	_Atomic int failed;		/* an owner's ioctl failed: line number */
	char why[256];
	_Atomic long ops;		/* ops claimed by owners */
	_Atomic long cycles;		/* ACQUIRE + RELEASE pairs done */
	_Atomic long checked, inconclusive, unheld, odd, mismatches, owner_mismatches;
	/*
	 * An owner's list of its cgroup's pids can be stale: a writer listed there may have
	 * left and entered another sandbox by the time the owner moves it to the root. Around
	 * each move of writer w the owner does moving[w]++, the move, moved[w]++,
	 * moving[w]--. A writer reads moved[w] before its open and moving[w], then moved[w]
	 * after its /proc/self/cgroup read: a move between its write and that read left
	 * moving[w] != 0 or moved[w] changed, and the check is inconclusive.
	 */
	_Atomic pid_t wpid[MAX_WRITERS];
	_Atomic long moving[MAX_WRITERS];
	_Atomic long moved[MAX_WRITERS];
	_Atomic long moved_inconclusive;
	_Atomic int nmsg;
	char msg[MAX_MSGS][384];
};

struct owner {
	struct shared *sh;
	int idx, dev, rootfd;		/* rootfd: the hierarchy root, O_PATH */
	const char *pool;
	uint64_t rnd;
};

static void mismatch(struct shared *sh, const char *fmt, ...)
{
	int k = atomic_fetch_add(&sh->nmsg, 1);
	va_list ap;

	atomic_fetch_add(&sh->mismatches, 1);
	if (k >= MAX_MSGS)
		return;
	va_start(ap, fmt);
	vsnprintf(sh->msg[k], sizeof(sh->msg[k]), fmt, ap);
	va_end(ap);
}

static void owner_fail(struct shared *sh, int line, const char *fmt, ...)
{
	int zero = 0;
	va_list ap;

	if (!atomic_compare_exchange_strong(&sh->failed, &zero, line))
		return;
	va_start(ap, fmt);
	vsnprintf(sh->why, sizeof(sh->why), fmt, ap);
	va_end(ap);
}

static uint64_t xorshift(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

/* Move every pid in the cgroup of @dirfd to the root (@procs: the root's cgroup.procs). */
static void empty_cgroup(struct shared *sh, int dirfd, int procs)
{
	char buf[8192], *p, *end;
	ssize_t n;
	int fd = openat(dirfd, "cgroup.procs", O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return;
	buf[n] = '\0';
	for (p = buf; *p; p = end) {
		end = strchr(p, '\n');
		if (!end)
			break;
		*end++ = '\0';
		int w = 0;

		if (!*p)
			continue;
		while (w < nr_writers && atomic_load(&sh->wpid[w]) != atoi(p))
			w++;
		if (w < nr_writers)
			atomic_fetch_add(&sh->moving[w], 1);
		if (write(procs, p, strlen(p)) < 0) {
			/* ESRCH: the writer exited meanwhile, nothing moved */
		}
		if (w < nr_writers) {
			atomic_fetch_add(&sh->moved[w], 1);
			atomic_fetch_sub(&sh->moving[w], 1);
		}
	}
}

/* Open the cgroup with id @id without resolving a name (kernfs file handle); -1 on error. */
static int open_by_id(int rootfd, uint64_t id)
{
	union {
		struct file_handle fh;
		char buf[sizeof(struct file_handle) + sizeof(uint64_t)];
	} h;

	h.fh.handle_bytes = sizeof(id);
	h.fh.handle_type = FILEID_KERNFS;
	memcpy(h.fh.f_handle, &id, sizeof(id));
	return open_by_handle_at(rootfd, &h.fh, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
}

static void *owner_run(void *arg)
{
	struct owner *o = arg;
	struct shared *sh = o->sh;
	struct slot *s = &sh->slot[o->idx];
	struct rund_cgpool_acquire a;
	char name[32], path[PATH_MAX];
	int procs, err, dirfd, tries;
	struct stat sb;

	snprintf(name, sizeof(name), "n%d", o->idx);
	procs = openat(o->rootfd, "cgroup.procs", O_WRONLY | O_CLOEXEC);
	if (procs < 0) {
		owner_fail(sh, __LINE__, "open root cgroup.procs: %s", strerror(errno));
		return NULL;
	}
	while (!atomic_load(&sh->failed) && atomic_fetch_add(&sh->ops, 2) < nr_ops) {
		atomic_fetch_add(&s->seq, 1);			/* odd: ACQUIRE in flight */
		err = cgp_acquire(o->dev, name, 0, NULL, &a);
		if (err) {
			atomic_fetch_add(&s->seq, 1);
			owner_fail(sh, __LINE__, "ACQUIRE %s: %s", name, strerror(err));
			break;
		}
		/* the owner's own dirfd, opened while the name is its own and odd */
		dirfd = -1;
		if (!rt_path(path, sizeof(path), o->pool, a.path))
			dirfd = open(path, O_PATH | O_DIRECTORY | O_CLOEXEC);
		if (dirfd < 0 || fstat(dirfd, &sb) || sb.st_ino != a.id) {
			atomic_fetch_add(&sh->owner_mismatches, 1);
			mismatch(sh, "owner %s: right after ACQUIRE (id %llu) its path %s %s%s %llu",
				 name, (unsigned long long)a.id, a.path,
				 dirfd < 0 ? "failed to open: " : "resolved to cgroup",
				 dirfd < 0 ? strerror(errno) : "",
				 dirfd < 0 ? 0ULL : (unsigned long long)sb.st_ino);
			if (dirfd >= 0)
				close(dirfd);
			dirfd = open_by_id(o->rootfd, a.id);
			if (dirfd < 0) {
				atomic_fetch_add(&s->seq, 1);
				owner_fail(sh, __LINE__, "%s: cannot open cgroup %llu by handle: %s",
					   name, (unsigned long long)a.id, strerror(errno));
				break;
			}
		}
		atomic_store(&s->id, a.id);
		atomic_fetch_add(&s->seq, 1);			/* even: held */

		if (hold_us) {
			long us = xorshift(&o->rnd) % (2 * hold_us + 1);
			struct timespec ts = { us / 1000000, (us % 1000000) * 1000 };

			nanosleep(&ts, NULL);
		}

		atomic_fetch_add(&s->seq, 1);			/* odd: RELEASE in flight */
		atomic_store(&s->id, 0);
		for (tries = 0;; tries++) {
			empty_cgroup(sh, dirfd, procs);
			err = cgp_release(o->dev, name, 0);
			if (err != ENOTEMPTY || tries >= 10000)
				break;
			sched_yield();
		}
		close(dirfd);
		atomic_fetch_add(&s->seq, 1);			/* even: not held */
		if (err) {
			owner_fail(sh, __LINE__, "RELEASE %s (%d tries): %s", name, tries + 1,
				   strerror(err));
			break;
		}
		atomic_fetch_add(&sh->cycles, 1);
	}
	close(procs);
	return NULL;
}

/* The line of /proc/self/cgroup for the pool's hierarchy, path part; 0 or -1 */
static int my_cgroup(int v2, char *out, size_t len)
{
	char buf[4096], *line, *save, *ctrl, *path;
	int fd = open("/proc/self/cgroup", O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return -1;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return -1;
	buf[n] = '\0';
	for (line = strtok_r(buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		ctrl = strchr(line, ':');
		path = ctrl ? strchr(ctrl + 1, ':') : NULL;
		if (!path)
			continue;
		*path++ = '\0';
		*ctrl++ = '\0';
		if (v2 ? !strcmp(line, "0") && !*ctrl : !!strstr(ctrl, "memory")) {
			/* v1: "memory" as a whole entry of the comma-separated list */
			if (!v2) {
				char *c, *csave;
				int found = 0;

				for (c = strtok_r(ctrl, ",", &csave); c; c = strtok_r(NULL, ",", &csave))
					found |= !strcmp(c, "memory");
				if (!found)
					continue;
			}
			snprintf(out, len, "%s", path);
			return 0;
		}
	}
	return -1;
}

struct writer_cfg {
	struct shared *sh;
	int v2, idx;
	char root[PATH_MAX];
	char path[MAX_NAMES][PATH_MAX];		/* pool/NAME */
	char want[MAX_NAMES][PATH_MAX];		/* its /proc/self/cgroup path */
};

static void writer_run(const struct writer_cfg *c)
{
	struct shared *sh = c->sh;
	char pid[16], where[PATH_MAX];
	uint64_t rnd = 0x9e3779b97f4a7c15ULL * (c->idx + 1);
	int n = snprintf(pid, sizeof(pid), "%d", getpid());
	int rootprocs, i, fd, pfd, oerr, werr;
	uint64_t s1, s2, id1;
	long m1, m2, mv2;
	struct stat sb;

	if (rt_path(where, sizeof(where), c->root, "cgroup.procs"))
		_exit(2);
	rootprocs = open(where, O_WRONLY | O_CLOEXEC);
	if (rootprocs < 0)
		_exit(2);
	while (!atomic_load(&sh->stop)) {
		i = xorshift(&rnd) % nr_names;
		s1 = atomic_load(&sh->slot[i].seq);
		/*
		 * An ACQUIRE or RELEASE in flight. Even writers wait for it, so that their
		 * lookup follows the rename at once - the window a stale dentry of the name's
		 * last cgroup lives in; odd ones try another name.
		 */
		if ((s1 & 1) && !(c->idx & 1))
			atomic_fetch_add(&sh->odd, 1);
		for (int spin = 0; (s1 & 1) && !(c->idx & 1) && spin < 100000 &&
				   !atomic_load(&sh->stop); spin++) {
			sched_yield();
			s1 = atomic_load(&sh->slot[i].seq);
		}
		if (s1 & 1)
			continue;
		id1 = atomic_load(&sh->slot[i].id);
		m1 = atomic_load(&sh->moved[c->idx]);
		oerr = werr = 0;
		where[0] = '\0';
		sb.st_ino = 0;
		fd = open(c->path[i], O_PATH | O_DIRECTORY | O_CLOEXEC);
		if (fd < 0) {
			oerr = errno;
		} else {
			if (fstat(fd, &sb))
				sb.st_ino = 0;
			pfd = openat(fd, "cgroup.procs", O_WRONLY | O_CLOEXEC);
			if (pfd < 0) {
				werr = errno;
			} else {
				errno = 0;
				if (write(pfd, pid, n) != n)
					werr = errno ? errno : EIO;
				close(pfd);
			}
			if (!werr && my_cgroup(c->v2, where, sizeof(where)))
				snprintf(where, sizeof(where), "(unreadable)");
			close(fd);
		}
		s2 = atomic_load(&sh->slot[i].seq);
		mv2 = atomic_load(&sh->moving[c->idx]);
		m2 = atomic_load(&sh->moved[c->idx]);
		if (fd >= 0 && !werr && write(rootprocs, pid, n) != n)
			_exit(3);

		if (s1 != s2) {
			atomic_fetch_add(&sh->inconclusive, 1);
		} else if ((m1 != m2 || mv2) && fd >= 0 && !werr && sb.st_ino == id1) {
			/* moved by an owner's stale pid list: where we ended is not our doing */
			atomic_fetch_add(&sh->inconclusive, 1);
			atomic_fetch_add(&sh->moved_inconclusive, 1);
		} else if (!id1) {
			if (fd >= 0)
				mismatch(sh, "n%d not held (seq %llu), yet it resolved to cgroup %llu%s%s",
					 i, (unsigned long long)s1, (unsigned long long)sb.st_ino,
					 werr ? "" : "; the write put us in ", where);
			else if (oerr != ENOENT)
				mismatch(sh, "n%d not held: open failed with %s, want ENOENT", i,
					 strerror(oerr));
			else
				atomic_fetch_add(&sh->unheld, 1);
		} else {
			atomic_fetch_add(&sh->checked, 1);
			if (fd < 0)
				mismatch(sh, "n%d held as cgroup %llu (seq %llu): open failed: %s", i,
					 (unsigned long long)id1, (unsigned long long)s1,
					 strerror(oerr));
			else if (sb.st_ino != id1)
				mismatch(sh, "n%d held as cgroup %llu (seq %llu): the path resolved to cgroup %llu%s%s",
					 i, (unsigned long long)id1, (unsigned long long)s1,
					 (unsigned long long)sb.st_ino,
					 werr ? "" : "; the write put us in ", where);
			else if (werr)
				mismatch(sh, "n%d held as cgroup %llu (seq %llu): writing cgroup.procs failed: %s",
					 i, (unsigned long long)id1, (unsigned long long)s1,
					 strerror(werr));
			else if (strcmp(where, c->want[i]))
				mismatch(sh, "n%d held as cgroup %llu (seq %llu): after the write /proc/self/cgroup says '%s', want '%s'",
					 i, (unsigned long long)id1, (unsigned long long)s1, where,
					 c->want[i]);
		}
	}
	_exit(0);
}

FIXTURE(race) {
	char root[PATH_MAX];
	char pool[PATH_MAX];
	int v2, sep, dev, ok, rename, rootfd;
	int remounted;		/* v2 remounted with allow_rename here (patched kernel) */
	char opts[512];		/* the cgroup2 mount's options before */
	struct shared *sh;
	pid_t writers[MAX_WRITERS];
};

FIXTURE_VARIANT(race) {
	unsigned int flags;
};

FIXTURE_VARIANT_ADD(race, default_policy) {
	.flags = 0,
};

FIXTURE_VARIANT_ADD(race, recycle) {
	.flags = RUND_CGPOOL_SETUP_RECYCLE,
};

FIXTURE_SETUP(race)
{
	struct rund_cgpool_stats st;
	int err;

	self->dev = self->rootfd = -1;
	ASSERT_LE(1, nr_names);
	ASSERT_GE(MAX_NAMES, nr_names);
	ASSERT_LE(1, nr_writers);
	ASSERT_GE(MAX_WRITERS, nr_writers);
	ASSERT_EQ(0, cgp_find_root(self->root, sizeof(self->root), &self->v2, &self->sep))
		TH_LOG("no cgroup hierarchy with the memory controller");
	if (self->sep)
		SKIP(return, "v1 with separate hierarchies: the pool refuses it");
	self->sh = mmap(NULL, sizeof(*self->sh), PROT_READ | PROT_WRITE,
			MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, self->sh);
	err = cgp_load(NULL);
	ASSERT_TRUE(!err || err == EEXIST) TH_LOG("insmod: %s", strerror(err));
	self->dev = cgp_open();
	ASSERT_LE(0, self->dev) TH_LOG("open %s: %s", RUND_CGPOOL_DEVICE, strerror(errno));
	/*
	 * On v2 a pool renames only with the patched kernel's allow_rename mount option
	 * (the module renames through the VFS): turn it on for this test and back off at
	 * the end, so the race runs on v2 too. Without it (a stock kernel) the test skips.
	 */
	if (self->v2 && rt_v2_has_rename()) {
		ASSERT_EQ(0, rt_v2_mount_opts(self->root, self->opts, sizeof(self->opts)));
		ASSERT_EQ(0, rt_v2_set_rename(self->root, self->opts, 1))
			TH_LOG("remount %s allow_rename: %s", self->root, strerror(errno));
		self->remounted = 1;
	}
	self->rootfd = open(self->root, O_PATH | O_DIRECTORY | O_CLOEXEC);
	ASSERT_LE(0, self->rootfd);
	ASSERT_GT((int)sizeof(self->pool),
		  snprintf(self->pool, sizeof(self->pool), "%s/namerace-%d", self->root, getpid()));
	ASSERT_EQ(0, rt_mkdir_cg(self->pool)) TH_LOG("mkdir %s: %s", self->pool, strerror(errno));
	/* an idle cgroup per name plus slack; refill below one per name */
	err = cgp_setup_flags(self->dev, self->pool, 2 * nr_names, nr_names, variant->flags);
	ASSERT_EQ(0, err) TH_LOG("SETUP flags 0x%x: %s", variant->flags, strerror(err));
	self->ok = 1;
	ASSERT_EQ(0, cgp_stats(self->dev, &st));
	ASSERT_EQ(!!variant->flags, !!(st.pool_flags & RUND_CGPOOL_POOL_RECYCLE))
		TH_LOG("STATS pool_flags 0x%x", st.pool_flags);
	self->rename = !!(st.pool_flags & RUND_CGPOOL_POOL_RENAME);
}

/*
 * Stop the writers: each finishes its iteration (ending in the root cgroup) and exits;
 * the ones still running after 20 s are killed. 0 when all exited by themselves.
 */
static int stop_writers(FIXTURE_DATA(race) *self)
{
	int left = 0, ret = 0;

	if (!self->sh)
		return 0;
	atomic_store(&self->sh->stop, 1);
	for (int t = 0; t < 2000; t++) {
		left = 0;
		for (int i = 0; i < MAX_WRITERS; i++)
			if (self->writers[i] > 0) {
				if (waitpid(self->writers[i], NULL, WNOHANG) == self->writers[i])
					self->writers[i] = 0;
				else
					left++;
			}
		if (!left)
			return 0;
		usleep(10000);
	}
	for (int i = 0; i < MAX_WRITERS; i++)
		if (self->writers[i] > 0) {
			rt_kill_wait(self->writers[i]);
			self->writers[i] = 0;
			ret = -1;
		}
	return ret;
}

FIXTURE_TEARDOWN(race)
{
	char name[32];
	int err;

	stop_writers(self);
	if (self->dev >= 0) {
		err = cgp_teardown(self->dev, 0);
		if (err == EBUSY) {	/* a failed run left sandboxes: give them back */
			for (int i = 0; i < nr_names; i++) {
				snprintf(name, sizeof(name), "n%d", i);
				cgp_release(self->dev, name, 0);
			}
			err = cgp_teardown(self->dev, 0);
		}
		EXPECT_EQ(0, err) TH_LOG("TEARDOWN: %s", strerror(err));
		if (err)
			cgp_teardown(self->dev, RUND_CGPOOL_TEARDOWN_KEEP_BUSY);
		close(self->dev);
	}
	if (self->rootfd >= 0)
		close(self->rootfd);
	if (self->remounted)
		EXPECT_EQ(0, rt_v2_set_rename(self->root, self->opts, 0))
			TH_LOG("remount %s without allow_rename: %s", self->root, strerror(errno));
	if (self->sh)
		munmap(self->sh, sizeof(*self->sh));
	if (!self->ok)
		return;
	EXPECT_EQ(0, cgp_unload());
	EXPECT_EQ(0, cgp_children(self->pool)) TH_LOG("cgroups left in the pool dir");
	EXPECT_EQ(0, rmdir(self->pool)) TH_LOG("rmdir %s: %s", self->pool, strerror(errno));
}

static uint64_t now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000ULL + ts.tv_nsec / 1000;
}

TEST_F_TIMEOUT(race, namerace, 36000)
{
	struct shared *sh = self->sh;
	struct owner own[MAX_NAMES];
	pthread_t tid[MAX_NAMES];
	struct rund_cgpool_stats st;
	struct writer_cfg *cfg;
	uint64_t t0, us;
	long cycles;

	if (!self->ok)
		return;
	if (!self->rename)
		SKIP(return, "v2 without rename support (STATS pool_flags lacks "
		     "RUND_CGPOOL_POOL_RENAME, a stock kernel): a sandbox's path is its idle "
		     "name, NAME is no directory to race on");
	cfg = calloc(1, sizeof(*cfg));
	ASSERT_NE(NULL, cfg);
	cfg->sh = sh;
	cfg->v2 = self->v2;
	snprintf(cfg->root, sizeof(cfg->root), "%s", self->root);
	for (int i = 0; i < nr_names; i++) {
		char name[16];

		snprintf(name, sizeof(name), "n%d", i);
		ASSERT_EQ(0, rt_path(cfg->path[i], sizeof(cfg->path[i]), self->pool, name));
		ASSERT_EQ(0, rt_path(cfg->want[i], sizeof(cfg->want[i]),
				     self->pool + strlen(self->root), name));
	}
	for (int w = 0; w < nr_writers; w++) {
		pid_t pid;

		cfg->idx = w;
		pid = fork();
		ASSERT_LE(0, pid);
		if (pid == 0) {
			/* no inherited fd: an open /dev/rund_cgpool would pin the module */
			syscall(SYS_close_range, 3, ~0U, 0);
			writer_run(cfg);
		}
		self->writers[w] = pid;
		atomic_store(&sh->wpid[w], pid);
	}
	t0 = now_us();
	for (int i = 0; i < nr_names; i++) {
		own[i] = (struct owner){ .sh = sh, .idx = i, .dev = self->dev,
					 .rootfd = self->rootfd, .pool = self->pool,
					 .rnd = 0x2545f4914f6cdd1dULL * (i + 1) };
		ASSERT_EQ(0, pthread_create(&tid[i], NULL, owner_run, &own[i]));
	}
	for (int i = 0; i < nr_names; i++)
		pthread_join(tid[i], NULL);
	us = now_us() - t0;
	EXPECT_EQ(0, stop_writers(self)) TH_LOG("writers hung: killed");
	free(cfg);

	cycles = atomic_load(&sh->cycles);
	TH_LOG("%s policy, %d names, %d writers, hold 0..%ld us: %ld ops in %.1f s (%.0f ops/s)",
	       variant->flags ? "recycle" : "default", nr_names, nr_writers, 2 * hold_us,
	       2 * cycles, us / 1e6, 2 * cycles * 1e6 / (us ? us : 1));
	TH_LOG("writes: %ld checked, %ld inconclusive (%ld of them maybe moved by an owner's "
	       "stale pid list), %ld probes of an unheld name, %ld waits for an ACQUIRE or "
	       "RELEASE in flight; mismatches %ld (owner's own open: %ld)",
	       atomic_load(&sh->checked), atomic_load(&sh->inconclusive),
	       atomic_load(&sh->moved_inconclusive), atomic_load(&sh->unheld),
	       atomic_load(&sh->odd), atomic_load(&sh->mismatches),
	       atomic_load(&sh->owner_mismatches));
	for (int k = 0; k < atomic_load(&sh->nmsg) && k < MAX_MSGS; k++)
		TH_LOG("mismatch: %s", sh->msg[k]);
	EXPECT_EQ(0, atomic_load(&sh->failed)) TH_LOG("line %d: %s", atomic_load(&sh->failed),
						   sh->why);
	EXPECT_EQ(0L, atomic_load(&sh->mismatches));
	EXPECT_LT(0L, atomic_load(&sh->checked)) TH_LOG("no write was conclusive");

	/* a writer that entered a released cgroup parked it as stuck: the worker retries it */
	for (int t = 0; t < 100; t++) {
		ASSERT_EQ(0, cgp_stats(self->dev, &st));
		if (!st.stuck && !st.recycling)
			break;
		usleep(100000);
	}
	TH_LOG("stats: total %llu idle %llu busy %llu stuck %llu fallbacks %llu refills %llu "
	       "recycled %llu replaced %llu destroyed %llu", st.total, st.idle, st.busy, st.stuck,
	       st.fallbacks, st.refills, st.recycled, st.replaced, st.destroyed);
	EXPECT_EQ(0ULL, st.busy);
	EXPECT_EQ(0ULL, st.stuck);
	EXPECT_EQ(0ULL, st.recycling);
	EXPECT_EQ((unsigned long long)cycles, st.acquired);
	EXPECT_EQ((unsigned long long)cycles, st.released);
	EXPECT_TRUE(cgp_stats_balanced(&st));
	if (!variant->flags)
		EXPECT_EQ(0ULL, st.recycled) TH_LOG("default policy recycled cgroups");
}

int main(int argc, char **argv)
{
	const char *v;

	v = cgp_opt(&argc, argv, "ops");
	if (v)
		nr_ops = atol(v);
	v = cgp_opt(&argc, argv, "names");
	if (v)
		nr_names = atoi(v);
	v = cgp_opt(&argc, argv, "writers");
	if (v)
		nr_writers = atoi(v);
	v = cgp_opt(&argc, argv, "hold-us");
	if (v)
		hold_us = atol(v);
	return test_harness_run(argc, argv);
}
