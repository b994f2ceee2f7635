// SPDX-License-Identifier: GPL-2.0
/*
 * cgpool_fuzz: garbage at /dev/rund_cgpool with a pool set up.
 *
 *   cgpool_fuzz [--iterations=N] [--seed=N] [harness options]
 *
 * Random ioctl numbers; the module's numbers with random size bits; pointers that are
 * NULL, unmapped, kernel addresses, misaligned or at the end of a mapping; structs of
 * random bytes with random, tiny, huge or off-by-a-few size fields; well-formed structs
 * with random names (any byte, '/', '\n', "..", no NUL), random limits and pids, and
 * ACQUIRE_PIDFD with pidfds of a live and of an exited process, fds that are not pidfds,
 * closed or negative ones, with and without a pid (random flag bits too). No crash,
 * no splat (the guest runner fails on any), the device still works afterwards, and
 * everything the fuzzer managed to acquire is released, so TEARDOWN + rmmod leave the
 * pool directory empty.
 */
#define _GNU_SOURCE
#include <sys/mman.h>

#include "kselftest_harness.h"
#include "cgpool_test.h"

static long nr_iter = 20000;
static unsigned int seed = 1;

#define MAX_IDS	4096
#define TEARDOWN_KEY	(RUND_CGPOOL_IOC_TEARDOWN & ~(_IOC_SIZEMASK << _IOC_SIZESHIFT))

static const unsigned long cmds[] = {
	RUND_CGPOOL_IOC_SETUP, RUND_CGPOOL_IOC_ACQUIRE, RUND_CGPOOL_IOC_RELEASE,
	RUND_CGPOOL_IOC_STATS, RUND_CGPOOL_IOC_LOOKUP,
};

static uint64_t rnd64(void)
{
	return ((uint64_t)random() << 33) ^ ((uint64_t)random() << 11) ^ random();
}

static void rnd_bytes(void *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		((unsigned char *)p)[i] = random();
}

/* A name: random bytes, a nasty token, or a plausible one; NUL-terminated or not. */
static void rnd_name(char *name)
{
	static const char *const tok[] = {
		"/", "\n", ".", "..", "", "a/b", ".rund-idle-1", "cgroup.procs", "memory.max",
		"fz", "fz\xff\xfe", "%s%n", "../../etc",
	};
	int k = random() % 4;

	memset(name, 0, RUND_CGPOOL_NAME_LEN);
	if (k == 0)
		rnd_bytes(name, random() % RUND_CGPOOL_NAME_LEN + 1);
	else if (k == 1)
		snprintf(name, RUND_CGPOOL_NAME_LEN, "%s", tok[random() % (sizeof(tok) / sizeof(tok[0]))]);
	else if (k == 2)
		snprintf(name, RUND_CGPOOL_NAME_LEN, "fz-%ld", random() % 64);
	else
		memset(name, 'a' + random() % 26, RUND_CGPOOL_NAME_LEN);
}

struct fuzz {
	struct cgp_env env;
	char *page;		/* two pages, the second unmapped */
	char *buf;		/* a page-sized scratch struct */
	pid_t victim;		/* a live task random pids may name */
	int pidfds[2];		/* pidfds of the victim and of an exited process */
	uint64_t ids[MAX_IDS];	/* what ACQUIREs handed out */
	int nids;
};

/* Pointer for a struct of @len bytes: one of the bad kinds, or @good. */
static void *rnd_ptr(struct fuzz *f, void *good, size_t len)
{
	switch (random() % 8) {
	case 0:
		return NULL;
	case 1:
		return f->page + 4096;				/* unmapped */
	case 2:
		return (void *)0xffffffff81000000UL;		/* kernel text */
	case 3:
		return (void *)(0xffff888000000000UL + (rnd64() & 0xffffff));
	case 4:
		return f->page + 4096 - (len > 8 ? len / 2 : 2);	/* runs off the end */
	case 5:
		return (void *)rnd64();
	default:
		return good;
	}
}

static void rnd_limits(struct rund_cgpool_limits *lim)
{
	rnd_bytes(lim, sizeof(*lim));
	lim->mask &= random() % 2 ? RUND_CGPOOL_LIM_ALL : ~0U;
	if (random() % 2) {
		snprintf(lim->cpuset_cpus, sizeof(lim->cpuset_cpus), "%ld", random() % 4);
		snprintf(lim->cpuset_mems, sizeof(lim->cpuset_mems), "0");
	}
	if (random() % 2)
		lim->pids_max = random() % 2000;
	if (random() % 2)
		lim->memory_max = rnd64() % (1ULL << 32);
}

/* One well-formed request with random contents; records successful ACQUIREs. */
static void well_formed(struct fuzz *f)
{
	unsigned long cmd = cmds[random() % (sizeof(cmds) / sizeof(cmds[0]))];
	static const pid_t pids[] = { 0, 0, -1, 99999, 0x7fffffff };
	struct rund_cgpool_acquire *a = (void *)f->buf;
	struct rund_cgpool_release *r = (void *)f->buf;
	struct rund_cgpool_lookup *l = (void *)f->buf;

	memset(f->buf, 0, 4096);
	if (cmd == RUND_CGPOOL_IOC_ACQUIRE) {
		a->size = sizeof(*a);
		rnd_name(a->name);
		a->pid = random() % 6 == 5 ? f->victim : pids[random() % 5];
		if (random() % 4 == 0) {
			const int fds[] = { f->pidfds[0], f->pidfds[1], f->env.dev, -1, 0,
					    9999, f->pidfds[0] };

			a->flags = RUND_CGPOOL_ACQUIRE_PIDFD;
			a->pidfd = fds[random() % (sizeof(fds) / sizeof(fds[0]))];
			if (random() % 3)
				a->pid = 0;
			if (random() % 8 == 0)
				a->flags |= 1U << (random() % 32);
		}
		if (random() % 2)
			rnd_limits(&a->limits);
		if (!cgp_ioctl(f->env.dev, cmd, a) && f->nids < MAX_IDS)
			f->ids[f->nids++] = a->id;
	} else if (cmd == RUND_CGPOOL_IOC_RELEASE || cmd == RUND_CGPOOL_IOC_LOOKUP) {
		r->size = cmd == RUND_CGPOOL_IOC_RELEASE ? sizeof(*r) : sizeof(*l);
		if (random() % 2)
			rnd_name(r->name);
		else
			r->id = random() % 2 || !f->nids ? rnd64() % 100000 : f->ids[random() % f->nids];
		cgp_ioctl(f->env.dev, cmd, r);
	} else {
		rnd_bytes(f->buf, 64);
		*(uint32_t *)f->buf = cmd == RUND_CGPOOL_IOC_SETUP ?
			sizeof(struct rund_cgpool_setup) : sizeof(struct rund_cgpool_stats);
		cgp_ioctl(f->env.dev, cmd, f->buf);
	}
}

/* Garbage: random command numbers, sizes and pointers. */
static void garbage(struct fuzz *f)
{
	static const uint32_t sizes[] = { 0, 1, 4, 8, 4095, 4096, 4097, 0x7fffffff, 0xffffffff };
	unsigned long cmd = random() % 2 ? cmds[random() % 5] : (unsigned long)rnd64();
	uint32_t size;
	void *p;

	if (random() % 2)	/* random size bits in the command */
		cmd = (cmd & ~(_IOC_SIZEMASK << _IOC_SIZESHIFT)) |
		      ((random() & _IOC_SIZEMASK) << _IOC_SIZESHIFT);
	if ((cmd & ~(_IOC_SIZEMASK << _IOC_SIZESHIFT)) == TEARDOWN_KEY)
		return;		/* would end the pool under the fuzzer */
	rnd_bytes(f->buf, 4096);
	size = random() % 2 ? sizes[random() % 9] : random() % 1200;
	memcpy(f->buf, &size, sizeof(size));
	p = rnd_ptr(f, f->buf, size);
	if ((cmd & 0xff00) == (RUND_CGPOOL_IOC_MAGIC << 8) &&
	    (cmd & 0xff) == (RUND_CGPOOL_IOC_ACQUIRE & 0xff) && p == f->buf) {
		/* an accidental success must be released */
		if (!cgp_ioctl(f->env.dev, cmd, p) && f->nids < MAX_IDS)
			f->ids[f->nids++] = ((struct rund_cgpool_acquire *)p)->id;
		return;
	}
	ioctl(f->env.dev, cmd, p);
}

FIXTURE(fz) {
	struct fuzz *f;
	int up;
};

FIXTURE_SETUP(fz)
{
	int ret;

	self->f = calloc(1, sizeof(*self->f));
	ASSERT_NE(NULL, self->f);
	ret = cgp_env_up(&self->f->env, "fuzz", 8, 2);
	if (ret == 1)
		SKIP(return, "v1 with separate hierarchies: no pool");
	ASSERT_EQ(0, ret) TH_LOG("%s: %s", self->f->env.why, strerror(errno));
	self->up = 1;
	self->f->page = mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, self->f->page);
	munmap(self->f->page + 4096, 4096);
	self->f->buf = aligned_alloc(4096, 8192);
	ASSERT_NE(NULL, self->f->buf);
	self->f->victim = cgp_spawn_sleeper();
	ASSERT_LT(0, self->f->victim);
	self->f->pidfds[0] = cgp_pidfd_open(self->f->victim);
	ASSERT_LE(0, self->f->pidfds[0]) TH_LOG("pidfd_open: %s", strerror(errno));
	do {
		pid_t dead = fork();

		ASSERT_LE(0, dead);
		if (dead == 0)
			_exit(0);
		self->f->pidfds[1] = cgp_pidfd_open(dead);
		ASSERT_LE(0, self->f->pidfds[1]);
		waitpid(dead, NULL, 0);
	} while (0);
}

FIXTURE_TEARDOWN(fz)
{
	if (self->f->victim > 0)
		rt_kill_wait(self->f->victim);
	if (self->up && self->f->env.dev >= 0) {
		cgp_teardown(self->f->env.dev, RUND_CGPOOL_TEARDOWN_KEEP_BUSY);
		close(self->f->env.dev);
	}
}

TEST_F_TIMEOUT(fz, garbage_ioctls, 3600)
{
	struct fuzz *f = self->f;
	struct rund_cgpool_acquire a;
	struct rund_cgpool_stats st;
	int released = 0;

	if (!self->up)
		return;
	TH_LOG("seed %u, %ld iterations", seed, nr_iter);
	srandom(seed);
	for (long i = 0; i < nr_iter; i++) {
		if (random() % 2)
			garbage(f);
		else
			well_formed(f);
	}
	/* still works */
	ASSERT_EQ(0, cgp_acquire(f->env.dev, "after-fuzz", 0, NULL, &a));
	ASSERT_EQ(0, cgp_release(f->env.dev, "after-fuzz", 0));
	/* give back what the fuzzer acquired (the victim first leaves its cgroup) */
	rt_kill_wait(f->victim);
	f->victim = 0;
	for (int i = 0; i < f->nids; i++)
		released += !cgp_release(f->env.dev, NULL, f->ids[i]);
	ASSERT_EQ(0, cgp_stats(f->env.dev, &st));
	TH_LOG("%d ACQUIREs succeeded, %d released; acquired %llu released %llu", f->nids,
	       released, st.acquired, st.released);
	EXPECT_EQ(0ULL, st.busy);
	EXPECT_EQ(st.acquired, st.released);
	EXPECT_TRUE(cgp_stats_balanced(&st));
	EXPECT_EQ(0, cgp_env_down(&f->env)) TH_LOG("%s: %s", f->env.why, strerror(errno));
	self->up = 0;
}

int main(int argc, char **argv)
{
	const char *v;

	v = cgp_opt(&argc, argv, "iterations");
	if (v)
		nr_iter = atol(v);
	v = cgp_opt(&argc, argv, "seed");
	if (v)
		seed = strtoul(v, NULL, 0);
	return test_harness_run(argc, argv);
}
