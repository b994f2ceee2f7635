// SPDX-License-Identifier: GPL-2.0
/*
 * cgpool_stress: many threads acquire, attach, verify and release pool cgroups at once.
 *
 *   cgpool_stress [--threads=N] [--cycles=N] [--recycle] [harness options]
 *
 * Each thread owns a live child process and a sandbox name it reuses every cycle (so a
 * released name must be free again at once): ACQUIRE(name, child) -> the child is in the
 * returned cgroup (/proc/PID/cgroup) and no other thread holds that cgroup id -> move the
 * child back to the hierarchy root -> RELEASE. Afterwards: nothing busy, STATS balanced
 * (idle + busy == total == prefilled + refills + fallbacks + adopted - destroyed),
 * acquired == released == threads x cycles, one more ACQUIRE per thread puts every child
 * where LOOKUP says, and TEARDOWN + rmmod leave the pool directory empty. Prints ops/s
 * and ACQUIRE latency percentiles, and while it runs a progress line every minute (cycles
 * done, rate), so that a run cut off before its end (hours of TCG) still tells its rate.
 *
 * The pool runs the default policy (a released cgroup is removed, the pool refills with
 * new ones): no cgroup id may be handed out twice over the whole run, and nothing is
 * recycled. --recycle sets the pool up with RUND_CGPOOL_SETUP_RECYCLE instead: released
 * cgroups are reused (recycled > 0). 64 threads x 30 cycles in a TCG guest (Debian's 6.1,
 * compat backend, quiet host): v2 15.1 s default, 12.6 s recycle; v1 co-mounted 10.8 s
 * default, 5.7 s recycle.
 *
 * Cost: every cycle is two task migrations, each a cgroup_threadgroup_rwsem write (an RCU
 * grace period without favordynmods), and they serialise. Measured in a TCG guest (q35,
 * 2 vCPUs, Debian's 6.1 kernel, compat backend, host loaded by a kernel build,
 * 2026-11-23): 64 threads x 150 cycles on v2 took 165 s (58 cycles/s; ACQUIRE p50 1.0 s,
 * p99 2.9 s: the attach waits behind the other 63 threads' migrations); 1 thread x 500
 * cycles: 66 cycles/s on v2 (ACQUIRE p50 4.3 ms), 121 on v1 co-mounted (p50 0.35 ms).
 * With parallel recycling, 64 threads x 1000 cycles on v2 took 1362 s (47 cycles/s, ACQUIRE
 * p50 3.3 ms, p99 17.6 s) and passed. The default here (64 threads x 10000 cycles, what
 * issue 6 asks for) would take about 3.8 hours of TCG, so the guest plans run 64 threads x
 * 30 cycles and the full count runs by hand in one guest:
 * cgpool_stress --threads=64 --cycles=10000. On the debug kernel (lockdep,
 * KASAN) 64 x 20 took 544 s (2 cycles/s), so debug-v2.plan runs 64 threads x 5 cycles.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdatomic.h>
#include <time.h>

#include "kselftest_harness.h"
#include "cgpool_test.h"

static int nr_threads = 64;
static long nr_cycles = 10000;
static unsigned int setup_flags;	/* --recycle: RUND_CGPOOL_SETUP_RECYCLE */

#define MAX_THREADS	512
#define PROGRESS_US	(60 * 1000000ULL)	/* a line this often: a cut-off run still tells */

struct stress {
	struct cgp_env env;
	atomic_ullong held[MAX_THREADS];	/* cgroup id each thread holds now, 0 = none */
	atomic_int bad;				/* first failure, as a line number */
	atomic_long done;			/* cycles completed, all threads */
	atomic_int finished;			/* threads that returned */
	char why[256];
	uint32_t *lat;				/* ACQUIRE latency in us, per cycle */
	uint64_t *ids;				/* cgroup id handed out, per cycle */
};

struct worker {
	struct stress *s;
	int idx;
	pid_t child;
};

static void stress_fail(struct stress *s, int line, const char *fmt, ...)
{
	int zero = 0;
	va_list ap;

	if (!atomic_compare_exchange_strong(&s->bad, &zero, line))
		return;
	va_start(ap, fmt);
	vsnprintf(s->why, sizeof(s->why), fmt, ap);
	va_end(ap);
}

static uint64_t now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000ULL + ts.tv_nsec / 1000;
}

/* @pid is in pool child @path, per /proc/PID/cgroup */
static int where_ok(struct stress *s, pid_t pid, const char *path)
{
	char suffix[PATH_MAX];

	snprintf(suffix, sizeof(suffix), "%s/%s\n", s->env.rel, path);
	return rt_proc_cgroup_count(pid, suffix) == 1;
}

/* One cycle; 0 or -1 after stress_fail(). */
static int cycle(struct worker *w, const char *name, long c)
{
	struct stress *s = w->s;
	struct rund_cgpool_acquire a;
	uint64_t t0 = now_us();
	int err = cgp_acquire(s->env.dev, name, w->child, NULL, &a);

	s->lat[w->idx * nr_cycles + c] = now_us() - t0;
	s->ids[w->idx * nr_cycles + c] = err ? 0 : a.id;
	if (err) {
		stress_fail(s, __LINE__, "thread %d cycle %ld: ACQUIRE: %s", w->idx, c,
			    strerror(err));
		return -1;
	}
	atomic_store(&s->held[w->idx], a.id);
	for (int i = 0; i < nr_threads; i++)
		if (i != w->idx && atomic_load(&s->held[i]) == a.id) {
			stress_fail(s, __LINE__, "cgroup %llu handed to threads %d and %d",
				    (unsigned long long)a.id, i, w->idx);
			return -1;
		}
	if (!where_ok(s, w->child, a.path)) {
		stress_fail(s, __LINE__, "thread %d: child %d not in %s", w->idx, w->child, a.path);
		return -1;
	}
	if (rt_attach(s->env.root, w->child)) {
		stress_fail(s, __LINE__, "moving child %d out: %s", w->child, strerror(errno));
		return -1;
	}
	atomic_store(&s->held[w->idx], 0);
	err = cgp_release(s->env.dev, NULL, a.id);
	if (err) {
		stress_fail(s, __LINE__, "thread %d cycle %ld: RELEASE: %s", w->idx, c,
			    strerror(err));
		return -1;
	}
	return 0;
}

static void *run(void *arg)
{
	struct worker *w = arg;
	char name[32];

	snprintf(name, sizeof(name), "stress-%d", w->idx);
	for (long c = 0; c < nr_cycles && !atomic_load(&w->s->bad); c++) {
		if (cycle(w, name, c))
			break;
		atomic_fetch_add(&w->s->done, 1);
	}
	atomic_fetch_add(&w->s->finished, 1);
	return NULL;
}

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

FIXTURE(stress) {
	struct stress *s;
	struct worker w[MAX_THREADS];
	int up;
};

FIXTURE_SETUP(stress)
{
	int ret;

	ASSERT_LE(1, nr_threads);
	ASSERT_GE(MAX_THREADS, nr_threads);
	self->s = calloc(1, sizeof(*self->s));
	ASSERT_NE(NULL, self->s);
	self->s->lat = calloc((size_t)nr_threads * nr_cycles, sizeof(uint32_t));
	ASSERT_NE(NULL, self->s->lat);
	self->s->ids = calloc((size_t)nr_threads * nr_cycles, sizeof(uint64_t));
	ASSERT_NE(NULL, self->s->ids);
	/* one idle cgroup per thread plus slack; refill below a quarter */
	ret = cgp_env_up(&self->s->env, "stress", nr_threads + 8, (nr_threads + 8) / 4);
	if (ret == 1)
		SKIP(return, "v1 with separate hierarchies: no pool");
	ASSERT_EQ(0, ret) TH_LOG("%s: %s", self->s->env.why, strerror(errno));
	self->up = 1;
	if (setup_flags) {	/* the same pool, set up again with the policy asked for */
		ASSERT_EQ(0, cgp_teardown(self->s->env.dev, 0));
		ret = cgp_setup_flags(self->s->env.dev, self->s->env.pool, nr_threads + 8,
				      (nr_threads + 8) / 4, setup_flags);
		ASSERT_EQ(0, ret) TH_LOG("SETUP flags 0x%x: %s", setup_flags, strerror(ret));
	}
	for (int i = 0; i < nr_threads; i++) {
		self->w[i] = (struct worker){ .s = self->s, .idx = i, .child = cgp_spawn_sleeper() };
		ASSERT_LT(0, self->w[i].child);
	}
}

FIXTURE_TEARDOWN(stress)
{
	for (int i = 0; i < nr_threads; i++)
		if (self->w[i].child > 0)
			rt_kill_wait(self->w[i].child);
	if (self->up && self->s->env.dev >= 0) {
		cgp_teardown(self->s->env.dev, RUND_CGPOOL_TEARDOWN_KEEP_BUSY);
		close(self->s->env.dev);
	}
}

TEST_F_TIMEOUT(stress, acquire_attach_release, 36000)
{
	struct stress *s = self->s;
	struct rund_cgpool_stats st;
	struct rund_cgpool_lookup l;
	struct rund_cgpool_acquire a;
	pthread_t tid[MAX_THREADS];
	uint64_t t0, us, last;
	size_t n = (size_t)nr_threads * nr_cycles;
	char name[32];

	if (!self->up)
		return;
	t0 = now_us();
	for (int i = 0; i < nr_threads; i++) {
		ASSERT_EQ(0, pthread_create(&tid[i], NULL, run, &self->w[i]));
	}
	for (last = t0; atomic_load(&s->finished) < nr_threads; ) {
		usleep(100 * 1000);
		if (now_us() - last < PROGRESS_US)
			continue;
		last = now_us();
		TH_LOG("progress: %ld of %zu cycles in %.0f s (%.0f cycles/s)",
		       atomic_load(&s->done), n, (last - t0) / 1e6,
		       atomic_load(&s->done) * 1e6 / (last - t0));
	}
	for (int i = 0; i < nr_threads; i++)
		pthread_join(tid[i], NULL);
	us = now_us() - t0;
	ASSERT_EQ(0, atomic_load(&s->bad)) TH_LOG("line %d: %s", atomic_load(&s->bad), s->why);
	qsort(s->lat, n, sizeof(s->lat[0]), cmp_u32);
	TH_LOG("%d threads x %ld cycles: %.1f s, %.0f cycles/s; ACQUIRE p50 %u us, p99 %u us, max %u us",
	       nr_threads, nr_cycles, us / 1e6, n * 1e6 / (us ? us : 1), s->lat[n / 2],
	       s->lat[n * 99 / 100], s->lat[n - 1]);

	ASSERT_EQ(0, cgp_stats(s->env.dev, &st));
	TH_LOG("stats: total %llu idle %llu busy %llu fallbacks %llu refills %llu recycled %llu replaced %llu",
	       st.total, st.idle, st.busy, st.fallbacks, st.refills, st.recycled, st.replaced);
	TH_LOG("policy %s: destroyed %llu", setup_flags ? "recycle" : "default", st.destroyed);
	EXPECT_EQ(!!setup_flags, !!(st.pool_flags & RUND_CGPOOL_POOL_RECYCLE));
	if (setup_flags) {
		EXPECT_LT(0ULL, st.recycled) TH_LOG("recycle policy recycled nothing");
	} else {
		/* never-used cgroups only: every id handed out once */
		EXPECT_EQ(0ULL, st.recycled);
		EXPECT_LE((unsigned long long)n, st.destroyed);
		qsort(s->ids, n, sizeof(s->ids[0]), cmp_u64);
		for (size_t i = 1; i < n; i++)
			if (s->ids[i] == s->ids[i - 1]) {
				EXPECT_NE(s->ids[i], s->ids[i - 1])
					TH_LOG("default policy handed cgroup %llu out twice",
					       (unsigned long long)s->ids[i]);
				break;
			}
	}
	EXPECT_EQ(0ULL, st.busy);
	EXPECT_EQ(0ULL, st.stuck);
	EXPECT_EQ((unsigned long long)n, st.acquired);
	EXPECT_EQ((unsigned long long)n, st.released);
	EXPECT_EQ(st.total, st.idle);
	EXPECT_TRUE(cgp_stats_balanced(&st));

	/* every child in the cgroup its sandbox's LOOKUP names, all held at once */
	for (int i = 0; i < nr_threads; i++) {
		snprintf(name, sizeof(name), "final-%d", i);
		ASSERT_EQ(0, cgp_acquire(s->env.dev, name, self->w[i].child, NULL, &a));
	}
	for (int i = 0; i < nr_threads; i++) {
		snprintf(name, sizeof(name), "final-%d", i);
		ASSERT_EQ(0, cgp_lookup(s->env.dev, name, 0, &l));
		EXPECT_TRUE(where_ok(s, self->w[i].child, l.path)) TH_LOG("%s", name);
	}
	ASSERT_EQ(0, cgp_stats(s->env.dev, &st));
	EXPECT_EQ((unsigned long long)nr_threads, st.busy);
	EXPECT_TRUE(cgp_stats_balanced(&st));
	for (int i = 0; i < nr_threads; i++) {
		rt_kill_wait(self->w[i].child);
		self->w[i].child = 0;
		snprintf(name, sizeof(name), "final-%d", i);
		EXPECT_EQ(0, cgp_release(s->env.dev, name, 0));
	}
	ASSERT_EQ(0, cgp_stats(s->env.dev, &st));
	EXPECT_EQ(0ULL, st.busy);
	EXPECT_TRUE(cgp_stats_balanced(&st));
	/* nothing leaked: TEARDOWN, rmmod, empty pool dir */
	EXPECT_EQ(0, cgp_env_down(&s->env)) TH_LOG("%s: %s", s->env.why, strerror(errno));
	self->up = 0;
}

int main(int argc, char **argv)
{
	const char *v;

	v = cgp_opt(&argc, argv, "threads");
	if (v)
		nr_threads = atoi(v);
	v = cgp_opt(&argc, argv, "cycles");
	if (v)
		nr_cycles = atol(v);
	/* --recycle takes no value */
	for (int i = 1; i < argc; i++)
		if (!strcmp(argv[i], "--recycle")) {
			setup_flags = RUND_CGPOOL_SETUP_RECYCLE;
			memmove(&argv[i], &argv[i + 1], (argc - i) * sizeof(argv[0]));
			argc--;
			i--;
		}
	return test_harness_run(argc, argv);
}
