// SPDX-License-Identifier: GPL-2.0
/*
 * cglat_test: the tracer (tools/cglat) counts what was done and names what it lacks.
 *
 *   errors.missing_btf       a kernel without BTF (our test kernel): cglat exits 1 naming
 *                            /sys/kernel/btf/vmlinux and CONFIG_DEBUG_INFO_BTF. Skipped where
 *                            the kernel has BTF (the workload tests run there instead).
 *   errors.missing_tracepoint  cglat --check against a BTF lacking lock:contention_begin (its
 *                            own BPF object's) exits 1 naming the tracepoint.
 *   trace.counts             a known workload under a test cgroup, traced with --cgroup:
 *                            exactly 100 mkdir, 100 rename (v1 and the patched v2, which
 *                            refuses them in cgroup code; the stock v2 before it: 0), 100 attach, 100
 *                            rmdir, and 100 ACQUIRE + 100 RELEASE of a pool outside the
 *                            filter; each count's histogram sums to it; every mkdir held
 *                            cgroup_mutex, every attach and rmdir css_set_lock (where
 *                            the spin unlocks are functions; elsewhere its hold is null);
 *                            the serial time counts nested holds once (below their sum).
 *   trace.no_spin_hold       --no-spin-hold: no css_set_lock hold charged, and its
 *                            per-sandbox figure null (not traced), not 0.
 *   trace.start_over         SIGUSR1 discards what was counted (N/2 mkdirs before it) and is
 *                            answered with SIGUSR1 to the sender; then exactly N mkdirs count.
 *   interval                 --json --interval=1 --duration=3: one JSON report a second and
 *                            a last one, each with the per-sandbox section.
 *   trace.contention         one thread mkdir/rmdir under the test cgroup while another
 *                            moves a process between two of its cgroups (an attach sleeps
 *                            in synchronize_rcu() holding cgroup_mutex, so the mkdir/rmdir
 *                            thread waits even on one vCPU): cgroup_mutex waits > 0,
 *                            charged to mkdir or rmdir.
 *
 * scripts/check boots this test on its own, with one vCPU: attaching and detaching the
 * tracer live-patches kernel text, and in 2-vCPU TCG guests that patching stalled the
 * guest in one of four boots (text_poke_bp() waiting for the other vCPU's IPI ack).
 *
 * cglat runs from /rund/bin (payload of scripts/check), its JSON read with json-c.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <json-c/json.h>

#include "kselftest_harness.h"
#include "cgpool_test.h"

#define CGLAT		"/rund/bin/cglat"
#define CGLAT_BPF_O	"/rund/bin/cglat.bpf.o"
#define N		100ULL

struct run {
	pid_t pid;
	int out, err;		/* read ends of its stdout and stderr */
};

/* Start cglat with @argv (argv[0] included); 0 when it reports "tracing" on stderr. */
static int cglat_start(struct run *r, char *const argv[], char *msg, size_t len)
{
	int po[2], pe[2];
	ssize_t n;
	size_t have = 0;

	if (pipe2(po, O_CLOEXEC) || pipe2(pe, O_CLOEXEC))
		return -1;
	r->pid = fork();
	if (r->pid < 0)
		return -1;
	if (!r->pid) {
		dup2(po[1], 1);
		dup2(pe[1], 2);
		execv(CGLAT, argv);
		_exit(127);
	}
	close(po[1]);
	close(pe[1]);
	r->out = po[0];
	r->err = pe[0];
	msg[0] = '\0';
	while (have + 1 < len && (n = read(r->err, msg + have, len - have - 1)) > 0) {
		have += n;
		msg[have] = '\0';
		if (strstr(msg, "cglat: tracing"))
			return 0;
	}
	return -1;	/* exited before tracing: @msg has why */
}

/* Read all of @fd into @buf; bytes read. */
static size_t slurp(int fd, char *buf, size_t len)
{
	size_t have = 0;
	ssize_t n;

	while (have + 1 < len && (n = read(fd, buf + have, len - have - 1)) > 0)
		have += n;
	buf[have] = '\0';
	return have;
}

/*
 * Run cglat to its end (@stop: SIGINT once it traces); exit status, its stdout in @out and
 * stderr in @err.
 */
static int cglat_run(char *const argv[], int stop, char *out, size_t olen, char *err,
		     size_t elen)
{
	struct run r;
	int st;

	if (cglat_start(&r, argv, err, elen) == 0 && stop)
		kill(r.pid, SIGINT);
	slurp(r.out, out, olen);
	slurp(r.err, err + strlen(err), elen - strlen(err));
	close(r.out);
	close(r.err);
	if (waitpid(r.pid, &st, 0) < 0)
		return -1;
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

static int have_btf(void)
{
	return access("/sys/kernel/btf/vmlinux", R_OK) == 0;
}

/* End a traced run: SIGINT, parse its one JSON report. */
static json_object *cglat_stop(struct run *r)
{
	static char out[1 << 20];
	char err[4096];
	int st;

	kill(r->pid, SIGINT);
	slurp(r->out, out, sizeof(out));
	slurp(r->err, err, sizeof(err));
	close(r->out);
	close(r->err);
	if (waitpid(r->pid, &st, 0) < 0 || !WIFEXITED(st) || WEXITSTATUS(st)) {
		fprintf(stderr, "# cglat failed: %s\n", err);
		return NULL;
	}
	return json_tokener_parse(out);
}

static json_object *op_of(json_object *rep, const char *name)
{
	json_object *ops, *o, *v;
	size_t i;

	if (!json_object_object_get_ex(rep, "ops", &ops))
		return NULL;
	for (i = 0; i < json_object_array_length(ops); i++) {
		o = json_object_array_get_idx(ops, i);
		if (json_object_object_get_ex(o, "op", &v) &&
		    !strcmp(json_object_get_string(v), name))
			return o;
	}
	return NULL;
}

static uint64_t u64_of(json_object *o, const char *key)
{
	json_object *v;

	return o && json_object_object_get_ex(o, key, &v) ? json_object_get_uint64(v) : 0;
}

static uint64_t count_of(json_object *rep, const char *op)
{
	return u64_of(op_of(rep, op), "count");
}

static uint64_t hist_sum(json_object *rep, const char *op)
{
	json_object *slots;
	uint64_t sum = 0;
	size_t i;

	if (!json_object_object_get_ex(op_of(rep, op), "log2_us_slots", &slots))
		return 0;
	for (i = 0; i < json_object_array_length(slots); i++)
		sum += json_object_get_uint64(json_object_array_get_idx(slots, i));
	return sum;
}

/* @what ("waits"/"holds") of @lock charged to @op */
static uint64_t lock_of(json_object *rep, const char *op, const char *lock, const char *what)
{
	json_object *locks, *l, *v;
	size_t i;

	if (!json_object_object_get_ex(op_of(rep, op), "locks", &locks))
		return 0;
	for (i = 0; i < json_object_array_length(locks); i++) {
		l = json_object_array_get_idx(locks, i);
		if (json_object_object_get_ex(l, "lock", &v) &&
		    !strcmp(json_object_get_string(v), lock))
			return u64_of(l, what);
	}
	return 0;
}

/* The JSON type of per_sandbox.@key (json_type_null: printed as null); -1: no such key */
static int per_sandbox_type(json_object *rep, const char *key)
{
	json_object *per, *v;

	if (!json_object_object_get_ex(rep, "per_sandbox", &per) ||
	    !json_object_object_get_ex(per, key, &v))
		return -1;
	return json_object_get_type(v);
}

/* @sym is a function of this kernel (/proc/kallsyms, read as root) */
static int ksym_has(const char *sym)
{
	char line[512], name[256];
	FILE *f = fopen("/proc/kallsyms", "r");
	int found = 0;

	while (f && !found && fgets(line, sizeof(line), f))
		found = sscanf(line, "%*x %*c %255s", name) == 1 && !strcmp(name, sym);
	if (f)
		fclose(f);
	return found;
}

/* per_sandbox.@key as a number (0 when null or absent) */
static double per_sandbox(json_object *rep, const char *key)
{
	json_object *per, *v;

	if (!json_object_object_get_ex(rep, "per_sandbox", &per) ||
	    !json_object_object_get_ex(per, key, &v))
		return 0;
	return json_object_get_double(v);
}

/*
 * What a cgroup layout changes in cglat's report: the counts of its operations and v1's
 * scheduler-domain rebuilds (trace.counts, trace.bandwidth_and_domains). The other tests
 * do not depend on the layout and run in the v2 boot only: the v1 co-mounted boot
 * (plans/cglat-v1-co.plan) sets CGLAT_TEST_LAYOUT_ONLY=1 and spares their tracer
 * attaches, each many seconds of TCG.
 */
static bool layout_skipped(const char *test)
{
	return getenv("CGLAT_TEST_LAYOUT_ONLY") && strcmp(test, "counts") &&
	       strcmp(test, "bandwidth_and_domains");
}

#define LAYOUT_SKIP_MSG	"does not depend on the layout: runs in the v2 boot"

TEST(missing_btf)
{
	char *const argv[] = { CGLAT, "--duration=1", NULL };
	char out[4096], err[4096];

	if (have_btf())
		SKIP(return, "this kernel has BTF: trace.* run here instead");
	ASSERT_EQ(1, cglat_run(argv, 1, out, sizeof(out), err, sizeof(err)));
	TH_LOG("cglat said: %s", err);
	ASSERT_NE(NULL, strstr(err, "no kernel BTF at /sys/kernel/btf/vmlinux"));
	ASSERT_NE(NULL, strstr(err, "CONFIG_DEBUG_INFO_BTF"));
}

TEST(missing_tracepoint)
{
	char *const argv[] = { CGLAT, "--check", "--btf=" CGLAT_BPF_O, NULL };
	char out[65536], err[8192];

	if (layout_skipped(_metadata->name))
		SKIP(return, LAYOUT_SKIP_MSG);
	ASSERT_EQ(1, cglat_run(argv, 1, out, sizeof(out), err, sizeof(err)));
	ASSERT_NE(NULL, strstr(err, "lacks tracepoint lock:contention_begin"));
	ASSERT_NE(NULL, strstr(err, "lacks function cgroup_mkdir"));
}

TEST(interval)
{
	char *const argv[] = { CGLAT, "--json", "--interval=1", "--duration=3", NULL };
	static char out[1 << 20];
	char err[4096], *line, *save;
	json_object *rep, *v;
	int reports = 0;

	if (layout_skipped(_metadata->name))
		SKIP(return, LAYOUT_SKIP_MSG);
	if (!have_btf())
		SKIP(return, "no kernel BTF: cglat refuses this kernel (errors.missing_btf)");
	ASSERT_EQ(0, cglat_run(argv, 0, out, sizeof(out), err, sizeof(err))) TH_LOG("%s", err);
	for (line = strtok_r(out, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		rep = json_tokener_parse(line);
		ASSERT_NE(NULL, rep) TH_LOG("not JSON: %.200s", line);
		EXPECT_TRUE(json_object_object_get_ex(rep, "per_sandbox", &v));
		EXPECT_TRUE(json_object_object_get_ex(rep, "seconds", &v));
		json_object_put(rep);
		reports++;
	}
	EXPECT_LE(3, reports);
	EXPECT_GE(4, reports);
}

FIXTURE(trace) {
	struct cgp_env e;
	int pool;		/* 1: a pool is set up (not on v1 with separate hierarchies) */
	char dir[PATH_MAX];	/* the traced subtree */
	struct run r;		/* r.pid > 0: cglat is tracing */
};

/* 6.1's harness runs the body after a SKIP in FIXTURE_SETUP: each body checks. */
#define NEED_TRACER() do {						\
	if (layout_skipped(_metadata->name))				\
		SKIP(return, LAYOUT_SKIP_MSG);				\
	if (self->r.pid <= 0)						\
		SKIP(return, "no kernel BTF: cglat refuses this kernel (errors.missing_btf)"); \
} while (0)

FIXTURE_SETUP(trace)
{
	char filter[PATH_MAX + 16], msg[4096];
	int ret;

	self->r.pid = 0;
	if (!have_btf())
		SKIP(return, "no kernel BTF: cglat refuses this kernel (errors.missing_btf)");
	if (layout_skipped(_metadata->name))
		SKIP(return, LAYOUT_SKIP_MSG);
	ret = cgp_env_up(&self->e, "cglat", 8, 2);
	ASSERT_LE(0, ret) TH_LOG("%s: %s", self->e.why, strerror(errno));
	self->pool = ret == 0;
	snprintf(self->dir, sizeof(self->dir), "%s/cglat-%d", self->e.root, getpid());
	ASSERT_EQ(0, rt_mkdir_cg(self->dir));
	snprintf(filter, sizeof(filter), "--cgroup=%s", self->dir);
	{
		char *const argv[] = { CGLAT, "--json", filter, NULL };

		ASSERT_EQ(0, cglat_start(&self->r, argv, msg, sizeof(msg)))
			TH_LOG("cglat did not start: %s", msg);
	}
}

FIXTURE_TEARDOWN(trace)
{
	if (self->r.pid > 0) {
		kill(self->r.pid, SIGKILL);
		waitpid(self->r.pid, NULL, 0);
	}
	if (!have_btf())
		return;
	rmdir(self->dir);
	if (!self->pool)
		return;		/* v1, separate hierarchies: cgp_env_up loaded nothing */
	EXPECT_EQ(0, cgp_env_down(&self->e)) TH_LOG("%s", self->e.why);
}

/* @n cgroups @dir/@prefix0.. made (@mk) or removed; 0 or the first errno */
static int mk_many(const char *dir, const char *prefix, int n, int mk)
{
	char path[PATH_MAX + 32];

	for (int i = 0; i < n; i++) {
		snprintf(path, sizeof(path), "%s/%s%d", dir, prefix, i);
		if (mk ? rt_mkdir_cg(path) : rmdir(path))
			return errno;
	}
	return 0;
}

TEST_F(trace, counts)
{
	char a[PATH_MAX + 32], b[PATH_MAX + 32], name[64];
	struct rund_cgpool_acquire acq;
	json_object *rep;
	pid_t sleeper;
	static const char *const serial_locks[] = {
		"cgroup_mutex_hold_us", "threadgroup_rwsem_hold_us", "css_set_lock_hold_us",
		"kernfs_rwsem_hold_us",
	};
	int i, renames = 0, tried;
	double sum = 0;

	NEED_TRACER();
	sleeper = rt_spawn_sleeper();
	ASSERT_LT(0, sleeper);
	ASSERT_EQ(0, mk_many(self->dir, "a", N, 1)) TH_LOG("mkdir: %s", strerror(errno));
	for (i = 0; i < (int)N; i++) {
		snprintf(a, sizeof(a), "%s/a%d", self->dir, i);
		snprintf(b, sizeof(b), "%s/b%d", self->dir, i);
		if (!rename(a, b)) {
			renames++;
			continue;
		}
		ASSERT_EQ(EPERM, errno) TH_LOG("rename %s: %s", a, strerror(errno));
	}
	/* v1 must rename; stock v2 refuses; patched v2 without allow_rename refuses too */
	if (!self->e.v2)
		ASSERT_EQ(N, (uint64_t)renames);
	for (i = 0; i < (int)N; i++) {
		snprintf(a, sizeof(a), "%s/%c%d", self->dir, renames ? 'b' : 'a', i);
		ASSERT_EQ(0, rt_attach(a, sleeper)) TH_LOG("attach to %s: %s", a, strerror(errno));
	}
	ASSERT_EQ(0, rt_attach(self->e.root, sleeper));
	for (i = 0; i < (int)N && self->pool; i++) {
		snprintf(name, sizeof(name), "cglat-%d", i);
		ASSERT_EQ(0, cgp_acquire(self->e.dev, name, 0, NULL, &acq));
		ASSERT_EQ(0, cgp_release(self->e.dev, name, 0));
	}
	ASSERT_EQ(0, mk_many(self->dir, renames ? "b" : "a", N, 0));
	rt_kill_wait(sleeper);

	rep = cglat_stop(&self->r);
	self->r.pid = 0;
	ASSERT_NE(NULL, rep);
	EXPECT_EQ(N, count_of(rep, "mkdir"));
	EXPECT_EQ(N, hist_sum(rep, "mkdir"));
	/* renames that reached cgroup code: the patched v2 refuses them there, stock v2 before */
	tried = self->e.v2 && !rt_v2_has_rename() ? renames : (int)N;
	EXPECT_EQ((uint64_t)tried, count_of(rep, "rename"));
	EXPECT_EQ((uint64_t)tried, hist_sum(rep, "rename"));
	EXPECT_EQ(N, count_of(rep, "attach"));
	EXPECT_EQ(N, hist_sum(rep, "attach"));
	EXPECT_EQ(N, count_of(rep, "rmdir"));
	EXPECT_EQ(self->pool ? N : 0ULL, count_of(rep, "ACQUIRE"));
	EXPECT_EQ(self->pool ? N : 0ULL, count_of(rep, "RELEASE"));
	EXPECT_EQ(self->pool ? N : 0ULL, hist_sum(rep, "ACQUIRE"));
	EXPECT_LE(N, lock_of(rep, "mkdir", "cgroup_mutex", "holds"));
	EXPECT_LE(N, lock_of(rep, "rmdir", "cgroup_mutex", "holds"));
	/* css_set_lock: traced where the spin unlocks are functions (Debian's kernels) */
	if (ksym_has("_raw_spin_unlock_irq") && ksym_has("_raw_spin_unlock_irqrestore")) {
		EXPECT_LE(N, lock_of(rep, "attach", "css_set_lock", "holds"));
		EXPECT_LE(N, lock_of(rep, "rmdir", "css_set_lock", "holds"));
		EXPECT_EQ(json_type_double, per_sandbox_type(rep, "css_set_lock_hold_us"));
	} else {
		EXPECT_EQ(0ULL, lock_of(rep, "attach", "css_set_lock", "holds"));
		EXPECT_EQ(json_type_null, per_sandbox_type(rep, "css_set_lock_hold_us"));
	}
	/*
	 * serial: the time a global lock was held, nested holds once. An attach takes the
	 * threadgroup rwsem and css_set_lock inside cgroup_mutex: less than the sum of the
	 * holds, and no less than any one of them.
	 */
	for (i = 0; i < (int)(sizeof(serial_locks) / sizeof(serial_locks[0])); i++) {
		double h = per_sandbox(rep, serial_locks[i]);

		sum += h;
		EXPECT_LE(h, per_sandbox(rep, "serial_us") + 0.01) TH_LOG("%s", serial_locks[i]);
	}
	ksft_print_msg("per sandbox: serial %.1f us, sum of the holds %.1f us (css_set_lock %.1f)\n",
		       per_sandbox(rep, "serial_us"), sum, per_sandbox(rep, "css_set_lock_hold_us"));
	EXPECT_LT(per_sandbox(rep, "serial_us"), sum);
	json_object_put(rep);
}

/*
 * End the fixture's tracer and start another with @opt (NULL: none); 0 when it traces.
 * The ended one's report goes to @prev when given, else it is dropped.
 */
static int cglat_restart(FIXTURE_DATA(trace) *self, char *opt, json_object **prev)
{
	char filter[PATH_MAX + 16], msg[4096];
	char *const argv[] = { CGLAT, "--json", filter, opt, NULL };
	json_object *rep = cglat_stop(&self->r);

	self->r.pid = 0;
	if (!rep)
		return -1;
	if (prev)
		*prev = rep;
	else
		json_object_put(rep);
	snprintf(filter, sizeof(filter), "--cgroup=%s", self->dir);
	if (cglat_start(&self->r, argv, msg, sizeof(msg))) {
		fprintf(stderr, "# cglat %s did not start: %s\n", opt ?: "", msg);
		return -1;
	}
	return 0;
}

/* @n writes alternating @a and @b to @dir/@file; 0 or the first errno */
static int flip(const char *dir, const char *file, const char *a, const char *b, int n)
{
	for (int i = 0; i < n; i++)
		if (rt_write_file(dir, file, i & 1 ? b : a))
			return errno ?: EIO;
	return 0;
}

/*
 * The work that grows with the cgroups on a node, counted where it runs: every CPU
 * bandwidth write is one cfs_bandwidth (a walk of every task group), and on v1 every
 * cpuset.cpus write to a load-balancing cpuset one sched_domains_rebuild, none with
 * sched_load_balance=0 under a balancing parent (what the module's cpuset_quiet does).
 * Where the kernel inlined a function, its op never shows.
 */
TEST_F_TIMEOUT(trace, bandwidth_and_domains, 180)
{
	char c[PATH_MAX + 32], cpus[64];
	uint64_t want;
	json_object *rep;

	NEED_TRACER();
	snprintf(c, sizeof(c), "%s/bw", self->dir);
	if (self->e.v2) {
		/* one controller a write: a write of both fails whole if one is on already */
		rt_write_file(self->dir, "cgroup.subtree_control", "+cpu");
		rt_write_file(self->dir, "cgroup.subtree_control", "+cpuset");
	}
	ASSERT_EQ(0, rt_mkdir_cg(c));
	if (!self->e.v2) {
		ASSERT_LT(0, rt_read_file(self->dir, "cpuset.cpus", cpus, sizeof(cpus)));
		cpus[strcspn(cpus, "\n")] = '\0';
		ASSERT_EQ(0, rt_write_file(c, "cpuset.cpus", "\n"));
	}
	/* what the set-up did is not counted; one sandbox start for the per-sandbox figures */
	ASSERT_EQ(0, cglat_restart(self, "--sandboxes=1", NULL));
	if (self->e.v2) {
		ASSERT_EQ(0, flip(c, "cpu.max", "50000 100000", "max 100000", N));
	} else {
		ASSERT_EQ(0, flip(c, "cpu.cfs_quota_us", "50000", "-1", N));
		/* the cgroup's CPUs given and taken N times in a balancing cpuset */
		ASSERT_EQ(0, flip(c, "cpuset.cpus", cpus, "\n", N));
	}
	ASSERT_EQ(0, cglat_restart(self, NULL, &rep));
	want = ksym_has("tg_set_cfs_bandwidth") ? N : 0;
	EXPECT_EQ(want, count_of(rep, "cfs_bandwidth"));
	EXPECT_EQ((double)want, per_sandbox(rep, "cfs_bandwidth_count"));
	/* v1: the writes that gave CPUs rebuilt the domains */
	want = !self->e.v2 && ksym_has("rebuild_sched_domains_locked") ? N / 2 : 0;
	EXPECT_EQ(want, count_of(rep, "sched_domains_rebuild"));
	ksft_print_msg("%llu cfs_bandwidth, %llu sched_domains_rebuild\n",
		       (unsigned long long)count_of(rep, "cfs_bandwidth"),
		       (unsigned long long)count_of(rep, "sched_domains_rebuild"));
	json_object_put(rep);
	/* quiet: sched_load_balance=0 under a balancing parent (the module's cpuset_quiet) */
	if (!self->e.v2) {
		ASSERT_EQ(0, rt_write_file(c, "cpuset.sched_load_balance", "0"));
		ASSERT_EQ(0, flip(c, "cpuset.cpus", cpus, "\n", N));
	}
	EXPECT_EQ(0, rmdir(c));
	rep = cglat_stop(&self->r);
	self->r.pid = 0;
	ASSERT_NE(NULL, rep);
	EXPECT_EQ(0ULL, count_of(rep, "sched_domains_rebuild"));
	json_object_put(rep);
}


/*
 * --no-spin-hold: no probes on the raw spinlock functions; css_set_lock's hold is null in
 * the per-sandbox figures (not traced), not 0, and no operation is charged a hold of it.
 */
TEST_F_TIMEOUT(trace, no_spin_hold, 120)
{
	char a[PATH_MAX + 32];
	json_object *rep;
	pid_t sleeper;
	int i;

	NEED_TRACER();
	ASSERT_EQ(0, cglat_restart(self, "--no-spin-hold", NULL));
	sleeper = rt_spawn_sleeper();
	ASSERT_LT(0, sleeper);
	ASSERT_EQ(0, mk_many(self->dir, "s", N, 1));
	for (i = 0; i < (int)N; i++) {
		snprintf(a, sizeof(a), "%s/s%d", self->dir, i);
		ASSERT_EQ(0, rt_attach(a, sleeper)) TH_LOG("attach to %s: %s", a, strerror(errno));
	}
	ASSERT_EQ(0, rt_attach(self->e.root, sleeper));
	rt_kill_wait(sleeper);
	ASSERT_EQ(0, mk_many(self->dir, "s", N, 0));
	rep = cglat_stop(&self->r);
	self->r.pid = 0;
	ASSERT_NE(NULL, rep);
	EXPECT_EQ(N, count_of(rep, "attach"));
	EXPECT_EQ(0ULL, lock_of(rep, "attach", "css_set_lock", "holds"));
	EXPECT_EQ(0ULL, lock_of(rep, "rmdir", "css_set_lock", "holds"));
	EXPECT_LE(N, lock_of(rep, "rmdir", "cgroup_mutex", "holds"));
	EXPECT_EQ(json_type_null, per_sandbox_type(rep, "css_set_lock_hold_us"));
	json_object_put(rep);
}

/*
 * Exiting threads leave no slot behind: a thread's slot goes at sched_process_exit, and
 * do_exit() takes css_set_lock after it. With room for 64 threads, 200 children that exit
 * must not keep a new process's mkdirs from being counted.
 */
TEST_F_TIMEOUT(trace, exiting_threads_leave_no_slot, 180)
{
	json_object *rep;
	pid_t pid;
	int st;

	NEED_TRACER();
	ASSERT_EQ(0, cglat_restart(self, "--max-threads=64", NULL));
	for (int i = 0; i < 200; i++) {
		pid = fork();
		ASSERT_LE(0, pid);
		if (!pid)
			_exit(0);
		ASSERT_EQ(pid, waitpid(pid, &st, 0));
	}
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid)
		_exit(mk_many(self->dir, "x", N, 1) || mk_many(self->dir, "x", N, 0));
	ASSERT_EQ(pid, waitpid(pid, &st, 0));
	ASSERT_EQ(0, WEXITSTATUS(st));
	rep = cglat_stop(&self->r);
	self->r.pid = 0;
	ASSERT_NE(NULL, rep);
	EXPECT_EQ(N, count_of(rep, "mkdir"));
	EXPECT_EQ(N, count_of(rep, "rmdir"));
	json_object_put(rep);
}

TEST_F(trace, start_over)
{
	struct timespec ts = { .tv_sec = 10 };
	json_object *rep;
	sigset_t set;

	NEED_TRACER();
	sigemptyset(&set);
	sigaddset(&set, SIGUSR1);
	ASSERT_EQ(0, sigprocmask(SIG_BLOCK, &set, NULL));
	ASSERT_EQ(0, mk_many(self->dir, "pre", N / 2, 1));
	ASSERT_EQ(0, kill(self->r.pid, SIGUSR1));
	ASSERT_EQ(SIGUSR1, sigtimedwait(&set, NULL, &ts)) TH_LOG("no answer: %s", strerror(errno));
	ASSERT_EQ(0, mk_many(self->dir, "post", N, 1));
	rep = cglat_stop(&self->r);
	self->r.pid = 0;
	EXPECT_EQ(0, mk_many(self->dir, "pre", N / 2, 0));
	EXPECT_EQ(0, mk_many(self->dir, "post", N, 0));
	ASSERT_NE(NULL, rep);
	EXPECT_EQ(N, count_of(rep, "mkdir"));
	EXPECT_EQ(N, hist_sum(rep, "mkdir"));
	EXPECT_EQ(0ULL, count_of(rep, "rmdir"));
	json_object_put(rep);
}

struct churn {
	const char *dir;
	pid_t pid;		/* 0: mkdir/rmdir; else move this process */
	int loops, fails;
};

static void *churn(void *arg)
{
	struct churn *c = arg;
	char d[PATH_MAX + 32];
	int i;

	for (i = 0; i < c->loops; i++) {
		if (c->pid) {
			snprintf(d, sizeof(d), "%s/hop%d", c->dir, i & 1);
			c->fails += !!rt_attach(d, c->pid);
			continue;
		}
		snprintf(d, sizeof(d), "%s/churn", c->dir);
		if (mkdir(d, 0755) || rmdir(d))
			c->fails++;
	}
	return NULL;
}

TEST_F(trace, contention)
{
	struct churn c[2] = { { self->dir, 0, 300, 0 }, { self->dir, 0, 300, 0 } };
	char hop[PATH_MAX + 32];
	pthread_t t[2];
	uint64_t waits;
	json_object *rep;
	int i;

	NEED_TRACER();
	for (i = 0; i < 2; i++) {
		snprintf(hop, sizeof(hop), "%s/hop%d", self->dir, i);
		ASSERT_EQ(0, rt_mkdir_cg(hop));
	}
	c[1].pid = rt_spawn_sleeper();
	ASSERT_LT(0, c[1].pid);
	for (i = 0; i < 2; i++)
		ASSERT_EQ(0, pthread_create(&t[i], NULL, churn, &c[i]));
	for (i = 0; i < 2; i++)
		pthread_join(t[i], NULL);
	ASSERT_EQ(0, rt_attach(self->e.root, c[1].pid));
	rt_kill_wait(c[1].pid);
	for (i = 0; i < 2; i++) {
		snprintf(hop, sizeof(hop), "%s/hop%d", self->dir, i);
		ASSERT_EQ(0, rmdir(hop));
	}
	ASSERT_EQ(0, c[0].fails + c[1].fails);
	rep = cglat_stop(&self->r);
	self->r.pid = 0;
	ASSERT_NE(NULL, rep);
	EXPECT_EQ(302ULL, count_of(rep, "mkdir"));
	EXPECT_EQ(302ULL, count_of(rep, "rmdir"));
	EXPECT_EQ(300ULL, count_of(rep, "attach"));
	waits = lock_of(rep, "mkdir", "cgroup_mutex", "waits") +
		lock_of(rep, "rmdir", "cgroup_mutex", "waits");
	TH_LOG("cgroup_mutex waits charged to mkdir/rmdir: %llu", (unsigned long long)waits);
	EXPECT_LT(0ULL, waits);
	json_object_put(rep);
}

TEST_HARNESS_MAIN
