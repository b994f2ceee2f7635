// SPDX-License-Identifier: GPL-2.0
/*
 * provision: start N sandbox cgroups at T threads and time each one.
 *
 *   provision --mode MODE --hier DIR [--hier DIR ...] --label LABEL
 *             [-n 2000[,N2..]] [-t 1,50,200] [--reps 5] [--warmup 1]
 *             [--background K] [--bg-wake-ms 100] [--start-signal PID] [--stop-signal PID]
 *             [--clone3] [--preset] [--pool-size P] [--mkdir-reserve]
 *
 * Every (n, threads) pair with threads <= n is a point; -t 0 means threads = n.
 *
 * One sandbox = obtain its cgroup + configure cpu quota, cpuset (cpus, mems), memory limit
 * and pids limit + attach one live process. The processes are forked before the timed part
 * (they sleep in pause()), so fork cost is outside it - except in mode clone3, where
 * creating the process *is* the attach (clone3(CLONE_VM | CLONE_INTO_CGROUP), see
 * clone_into()) and is timed.
 *
 * --hier DIR names the parent directory of the sandboxes on one hierarchy; give it once per
 * hierarchy (v1 with one controller per hierarchy: once per controller). Which knobs to
 * write in each is found from the files DIR has (v1 or v2 names).
 *
 * Modes:
 *   mkdir    mkdir in every hierarchy, write the knobs, write the pid to cgroup.procs
 *   clone3   (v2, x86-64) mkdir + knobs, then clone3(CLONE_INTO_CGROUP) the process
 *   rename   userspace pool: N idle cgroups are made before the timed part; a sandbox
 *            renames one to its name, then knobs + attach (v2: needs allow_rename)
 *   module   rund_cgpool: SETUP a pool on the (single) DIR once; a sandbox is one ACQUIRE
 *            with its name, limits and pid (a pidfd); teardown is RELEASE. The label gets
 *            the module's backend appended ("LABEL-compat", "LABEL-fast"). The pool's
 *            default policy hands out never-used cgroups only (RELEASE removes them, the
 *            refill makes new ones); --recycle sets it up with RUND_CGPOOL_SETUP_RECYCLE
 *            (released cgroups scrubbed and reused) and appends "-recycle" to the label;
 *            --clone3 (v2) creates the process in the cgroup instead of attaching a
 *            forked one: ACQUIRE with RUND_CGPOOL_ACQUIRE_CGROUP_FD and no pid, then
 *            clone3(CLONE_INTO_CGROUP) into the fd it returns, as mode clone3 does after
 *            its mkdir; appends "-clone3"; --preset gives SETUP the sandboxes' common
 *            limits as the pool's defaults (all but cpuset.cpus, which alternates), so
 *            idle cgroups are made with them and ACQUIRE (still passing every limit)
 *            writes only cpuset.cpus; appends "-preset"; --pool-size P sets the pool's
 *            size (default: background + the largest n + 16, at most 4096; low watermark
 *            half of it); --mkdir-reserve also SETUPs RUND_CGPOOL_SETUP_MKDIR, so the
 *            module's mkdir reserve (module parameter mkdir_reserve) is made beside the
 *            pool, as on a node that serves runc's mkdir(2) too;
 *            --label-suffix S appends S after that (a run with other module parameters).
 *   reserve  plain mkdir, like mode mkdir, under a DIR where the module's fast backend
 *            serves mkdir(2) from withheld pre-created cgroups (SETUP with
 *            RUND_CGPOOL_SETUP_MKDIR is done here; the reserve size is the module
 *            parameter mkdir_reserve)
 *
 * --one-write (mkdir, clone3, rename): configure with one write of KEY=VALUE pairs to the
 * cgroup's rund.config (patched kernels) instead of one write per knob; the keys are those
 * of the knobs DIR has (lightweight children of a parent with rund.lightweight=1 have
 * those files, but not the others).
 *
 * Each (threads) point runs --warmup discarded repetitions and then --reps measured ones,
 * tearing everything down in between (kill + reap, rmdir or RELEASE). After each timed
 * part every process is checked to be in its sandbox's cgroup (/proc/PID/cgroup), so a
 * wrong result fails the run (exit 1) whatever its speed.
 *
 * --start-signal PID: just before the first timed part (after SETUP, the rename pool's
 * idle cgroups, the background sandboxes and the forks), send SIGUSR1 to PID and wait up to
 * 10 s for SIGUSR1 back: a tracer (tools/cglat) then counts the start path only.
 * --stop-signal PID: right after that first timed part (before the check and teardown),
 * send SIGUSR2 to PID and wait up to 10 s for SIGUSR1 back: a profiler stops there.
 *
 * --background K: first deploy K sandboxes (same mode, untimed) whose processes wake every
 * --bg-wake-ms and touch a page, keep them for the whole run (density benchmark).
 *
 * Output, one line per repetition (warm-ups have rep 0):
 *   bench: label,bg,threads,n,rep,total_ms,p50_us,p99_us,max_us,self_cpu_ms,sys_cpu_ms,
 *          cycle_cpu_ms,children_cpu_ms,fallbacks
 * self_cpu_ms: this process (all threads) during the timed part; sys_cpu_ms: the whole
 * machine (/proc/stat, 10 ms ticks) during the timed part; cycle_cpu_ms: the machine from
 * the start of the timed part to the end of teardown, pool refill and the kernel's freeing
 * of the cgroups the teardown removed (settle(): so background work a mode moves off its
 * start path is still counted, and none of it runs into the next repetition's timed part);
 * children_cpu_ms: reaped sandbox
 * processes; fallbacks: module ACQUIREs served by mkdir on a dry pool (-1: not known).
 * A mode that cannot run here prints "bench-absent: label,reason" and exits 0.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <linux/sched.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <linux/rund_cgpool.h>

#include "lib/benchlib.h"

#define MAX_HIER	16
#define MAX_POINTS	8

enum mode { M_MKDIR, M_CLONE3, M_RENAME, M_MODULE, M_RESERVE };
static const char *const mode_names[] = { "mkdir", "clone3", "rename", "module", "reserve" };

/* The sandbox's limits; the same values for every mode. */
#define CPU_QUOTA_US	50000
#define CPU_PERIOD_US	100000
#define MEMORY_MAX	(256ULL << 20)
#define PIDS_MAX	128

enum knob { K_CPU, K_CPUS, K_MEMS, K_MEM, K_PIDS, K_NR };
static const char *const knob_v1[K_NR] = {
	"cpu.cfs_quota_us", "cpuset.cpus", "cpuset.mems", "memory.limit_in_bytes", "pids.max",
};
static const char *const knob_v2[K_NR] = {
	"cpu.max", "cpuset.cpus", "cpuset.mems", "memory.max", "pids.max",
};
/* rund.config keys (v1 and v2 alike); K_CPU's value carries the period's key too */
static const char *const knob_one[K_NR] = {
	"cpu.quota_us", "cpuset.cpus", "cpuset.mems", "memory.max", "pids.max",
};

struct hier {
	const char *dir;
	int dfd;
	int v2;			/* has cgroup.controllers */
	const char *knob[K_NR];	/* file name in this hierarchy, or NULL */
};

struct sandbox {
	char name[32];
	pid_t pid;
	int pidfd;		/* module: the process as ACQUIRE takes it (0: none) */
	uint64_t id;		/* module: cgroup id for RELEASE */
	char leaf[RUND_CGPOOL_NAME_LEN];	/* expected last path component */
	int made;		/* cgroups exist (teardown must remove them) */
};

struct run {
	enum mode mode;
	struct hier h[MAX_HIER];
	int nh, ncpus, dev, bg_wake_ms;
	int one_write;		/* configure through rund.config */
	int recycle;		/* module: SETUP with RUND_CGPOOL_SETUP_RECYCLE */
	int clone3;		/* module: the process by clone3() into ACQUIRE's cgroup fd */
	int preset;		/* module: the common limits are the pool's defaults */
	int pool_size;		/* module: --pool-size, 0: background + n + 16 */
	int mkdir_reserve;	/* module: SETUP_MKDIR as well */
	const char *suffix;	/* module: after "-BACKEND[-recycle]" in the label */
	pid_t tracer;		/* --start-signal; 0 once signalled */
	pid_t stopper;		/* --stop-signal; 0 once signalled */
	char label[96];
	/* the current batch */
	struct sandbox *sb;
	double *lat;
	int n, threads, first;	/* batch = sb[first .. first + n) */
	atomic_int ready, fallbacks;
	pthread_barrier_t go;
	int err;
	char errmsg[256];
};

/* Record the first error of a batch: "@what @a @b: strerror(@err)" */
static void fail(struct run *r, int err, const char *what, const char *a, const char *b)
{
	if (!r->err) {
		r->err = err;
		if (snprintf(r->errmsg, sizeof(r->errmsg), "%s %s %s: %s", what, a, b,
			     strerror(err)) >= (int)sizeof(r->errmsg))
			r->errmsg[sizeof(r->errmsg) - 2] = '~';
	}
}

/* --- sandbox processes ------------------------------------------------------------------ */

static void child_body(int wake_ms)
{
	static char page[4096];

	if (wake_ms <= 0)
		for (;;)
			pause();
	for (unsigned i = 0;; i++) {
		struct timespec ts = { wake_ms / 1000, (wake_ms % 1000) * 1000000L };

		nanosleep(&ts, NULL);
		page[(i * 64) % sizeof(page)]++;
	}
}

static pid_t spawn(int wake_ms)
{
	pid_t pid = fork();

	if (pid == 0) {
		child_body(wake_ms);
		_exit(0);
	}
	return pid;
}

static void reap(struct sandbox *sb, int n)
{
	for (int i = 0; i < n; i++)
		if (sb[i].pid > 0)
			kill(sb[i].pid, SIGKILL);
	for (int i = 0; i < n; i++) {
		if (sb[i].pid > 0) {
			waitpid(sb[i].pid, NULL, 0);
			sb[i].pid = 0;
		}
		if (sb[i].pidfd > 0) {
			close(sb[i].pidfd);
			sb[i].pidfd = 0;
		}
	}
}

/* --- one sandbox ------------------------------------------------------------------------ */

static void knob_value(const struct run *r, int k, int v2, int idx, char *buf, size_t len)
{
	switch (k) {
	case K_CPU:
		if (v2)
			snprintf(buf, len, "%d %d", CPU_QUOTA_US, CPU_PERIOD_US);
		else
			snprintf(buf, len, "%d", CPU_QUOTA_US);
		break;
	case K_CPUS:
		snprintf(buf, len, "%d", idx % r->ncpus);	/* each sandbox pinned */
		break;
	case K_MEMS:
		snprintf(buf, len, "0");
		break;
	case K_MEM:
		snprintf(buf, len, "%llu", MEMORY_MAX);
		break;
	case K_PIDS:
		snprintf(buf, len, "%d", PIDS_MAX);
		break;
	}
}

/* --one-write: "KEY=VALUE ..." for the knobs @h has into @buf */
static void one_write_value(const struct run *r, const struct hier *h, int idx, char *buf,
			    size_t len)
{
	char val[64];
	size_t used = 0;

	buf[0] = 0;
	for (int k = 0; k < K_NR && used < len; k++) {
		if (!h->knob[k])
			continue;
		if (k == K_CPU)
			snprintf(val, sizeof(val), "%d cpu.period_us=%d", CPU_QUOTA_US,
				 CPU_PERIOD_US);
		else
			knob_value(r, k, h->v2, idx, val, sizeof(val));
		used += snprintf(buf + used, len - used, "%s%s=%s", used ? " " : "",
				 knob_one[k], val);
	}
}

/* Write the knobs of sandbox @idx into NAME/ on every hierarchy; 0 or errno */
static int configure(struct run *r, const char *name, int idx)
{
	char file[PATH_MAX], val[256];

	for (int j = 0; j < r->nh; j++) {
		struct hier *h = &r->h[j];

		if (r->one_write) {
			int err;

			snprintf(file, sizeof(file), "%s/rund.config", name);
			one_write_value(r, h, idx, val, sizeof(val));
			err = write_at(h->dfd, file, val);
			if (err) {
				fail(r, err, "write", val, file);
				return err;
			}
			continue;
		}
		for (int k = 0; k < K_NR; k++) {
			int err;

			if (!h->knob[k])
				continue;
			snprintf(file, sizeof(file), "%s/%s", name, h->knob[k]);
			knob_value(r, k, h->v2, idx, val, sizeof(val));
			err = write_at(h->dfd, file, val);
			if (err) {
				fail(r, err, "write", val, file);
				return err;
			}
		}
	}
	return 0;
}

static int attach(struct run *r, const char *name, pid_t pid)
{
	char file[PATH_MAX], val[24];

	snprintf(val, sizeof(val), "%d", pid);
	for (int j = 0; j < r->nh; j++) {
		int err;

		snprintf(file, sizeof(file), "%s/cgroup.procs", name);
		err = write_at(r->h[j].dfd, file, val);
		if (err) {
			fail(r, err, "attach", val, file);
			return err;
		}
	}
	return 0;
}

/*
 * clone3(CLONE_VM | CLONE_INTO_CGROUP): create the sandbox's process directly in its cgroup.
 * CLONE_VM, as posix_spawn()'s vfork does, so the cost is process creation + cgroup
 * placement, not copying the launcher's page tables (a fork from a launcher with 200
 * threads turns into a copy-on-write storm that has nothing to do with cgroups). The child
 * runs only the asm below: it sleeps in nanosleep(2) forever, touching neither stack nor
 * memory, so it needs no stack of its own.
 */
static pid_t clone_into(int cgfd)
{
	static const struct timespec forever = { 1L << 30, 0 };
	struct clone_args ca = {
		.flags = CLONE_VM | CLONE_INTO_CGROUP,
		.exit_signal = SIGCHLD,
		.cgroup = (uint64_t)cgfd,
	};
	long ret;

	asm volatile("syscall\n\t"
		     "test %%rax, %%rax\n\t"
		     "jnz 1f\n\t"
		     "2: mov %[nsl], %%eax\n\t"
		     "mov %[ts], %%rdi\n\t"
		     "xor %%esi, %%esi\n\t"
		     "syscall\n\t"
		     "jmp 2b\n\t"
		     "1:\n\t"
		     : "=a"(ret)
		     : "0"((long)SYS_clone3), "D"(&ca), "S"(sizeof(ca)), [nsl] "i"(SYS_nanosleep),
		       [ts] "r"(&forever)
		     : "rcx", "r11", "memory");
	if (ret < 0) {
		errno = -ret;
		return -1;
	}
	return ret;
}

/* Sandbox @s's process, made in the cgroup of @cgfd (closed here); 0 or -1 */
static int spawn_into(struct run *r, struct sandbox *s, int cgfd)
{
	s->pid = clone_into(cgfd);
	close(cgfd);
	if (s->pid < 0) {
		s->pid = 0;
		fail(r, errno, "clone3 into", s->name, "");
		return -1;
	}
	return 0;
}

static void fill_limits(const struct run *r, struct rund_cgpool_limits *l, int idx)
{
	l->mask = RUND_CGPOOL_LIM_ALL;
	l->cpu_period_us = CPU_PERIOD_US;
	l->cpu_quota_us = CPU_QUOTA_US;
	l->memory_max = MEMORY_MAX;
	l->pids_max = PIDS_MAX;
	snprintf(l->cpuset_cpus, sizeof(l->cpuset_cpus), "%d", idx % r->ncpus);
	snprintf(l->cpuset_mems, sizeof(l->cpuset_mems), "0");
}

/* Provision sandbox @i (index into r->sb); 0 or errno. */
static int provision_one(struct run *r, int i)
{
	struct sandbox *s = &r->sb[i];
	char idle[32];
	int err = 0;

	switch (r->mode) {
	case M_MKDIR:
	case M_RESERVE:
	case M_CLONE3:
		for (int j = 0; j < r->nh; j++)
			if (mkdirat(r->h[j].dfd, s->name, 0755)) {
				fail(r, errno, "mkdir", s->name, r->h[j].dir);
				return -1;
			}
		s->made = 1;
		break;
	case M_RENAME:
		snprintf(idle, sizeof(idle), "idle-%d", i);
		for (int j = 0; j < r->nh; j++)
			if (renameat(r->h[j].dfd, idle, r->h[j].dfd, s->name)) {
				fail(r, errno, "rename", idle, r->h[j].dir);
				return -1;
			}
		s->made = 1;
		break;
	case M_MODULE: {
		struct rund_cgpool_acquire a = {
			.size = sizeof(a),
			.flags = r->clone3 ? RUND_CGPOOL_ACQUIRE_CGROUP_FD : RUND_CGPOOL_ACQUIRE_PIDFD,
			.pidfd = s->pidfd,
		};

		snprintf(a.name, sizeof(a.name), "%s", s->name);
		fill_limits(r, &a.limits, i);
		if (ioctl(r->dev, RUND_CGPOOL_IOC_ACQUIRE, &a)) {
			fail(r, errno, "ACQUIRE", s->name, "");
			return -1;
		}
		s->made = 1;
		s->id = a.id;
		snprintf(s->leaf, sizeof(s->leaf), "%s",
			 strrchr(a.path, '/') ? strrchr(a.path, '/') + 1 : a.path);
		if (a.out_flags & RUND_CGPOOL_OUT_FALLBACK)
			atomic_fetch_add(&r->fallbacks, 1);
		return r->clone3 ? spawn_into(r, s, a.cgroup_fd) : 0;
	}
	}
	err = configure(r, s->name, i);
	if (err)
		return err;
	if (r->mode == M_CLONE3) {
		int fd = openat(r->h[0].dfd, s->name, O_PATH | O_DIRECTORY | O_CLOEXEC);

		if (fd < 0) {
			fail(r, errno, "open", s->name, "");
			return -1;
		}
		return spawn_into(r, s, fd);
	}
	return attach(r, s->name, s->pid);
}

/* --- a batch of sandboxes --------------------------------------------------------------- */

struct worker {
	struct run *r;
	int k;
};

static void *work(void *p)
{
	struct worker *w = p;
	struct run *r = w->r;

	atomic_fetch_add(&r->ready, 1);
	pthread_barrier_wait(&r->go);
	for (int i = r->first + w->k; i < r->first + r->n && !r->err; i += r->threads) {
		double t0 = now_us();

		provision_one(r, i);
		r->lat[i - r->first] = now_us() - t0;
	}
	return NULL;
}

/*
 * Everything a batch needs before its timed part: names, processes (not for clone3), idle
 * cgroups for the rename pool. Returns 0 or -1 (r->err set).
 */
static int prepare(struct run *r, int first, int n, int wake_ms)
{
	for (int i = first; i < first + n; i++) {
		struct sandbox *s = &r->sb[i];

		memset(s, 0, sizeof(*s));
		snprintf(s->name, sizeof(s->name), "sb-%d", i);
		snprintf(s->leaf, sizeof(s->leaf), "%s", s->name);
		if (r->mode != M_CLONE3 && !r->clone3) {
			s->pid = spawn(wake_ms);
			if (s->pid < 0) {
				s->pid = 0;
				fail(r, errno, "fork", "", "");
				return -1;
			}
			/* the pidfd is opened untimed, as a runtime has it from clone3() */
			if (r->mode == M_MODULE) {
				s->pidfd = syscall(SYS_pidfd_open, s->pid, 0);
				if (s->pidfd < 0) {
					s->pidfd = 0;
					fail(r, errno, "pidfd_open", "", "");
					return -1;
				}
			}
		}
		if (r->mode == M_RENAME) {
			char idle[32];

			snprintf(idle, sizeof(idle), "idle-%d", i);
			for (int j = 0; j < r->nh; j++)
				if (mkdirat(r->h[j].dfd, idle, 0755) && errno != EEXIST) {
					fail(r, errno, "mkdir", idle, r->h[j].dir);
					return -1;
				}
		}
	}
	return 0;
}

/* Run sandboxes [first, first + n) at @threads; returns the wall time in us, -1 on error. */
static double provision_batch(struct run *r, int first, int n, int threads)
{
	pthread_t tid[threads];
	struct worker ws[threads];
	double t0;

	r->first = first;
	r->n = n;
	r->threads = threads;
	atomic_store(&r->ready, 0);
	pthread_barrier_init(&r->go, NULL, threads + 1);
	for (int k = 0; k < threads; k++) {
		ws[k] = (struct worker){ .r = r, .k = k };
		if (pthread_create(&tid[k], NULL, work, &ws[k])) {
			fprintf(stderr, "provision: pthread_create failed\n");
			exit(1);
		}
	}
	while (atomic_load(&r->ready) < threads)
		usleep(1000);
	t0 = now_us();
	pthread_barrier_wait(&r->go);
	for (int k = 0; k < threads; k++)
		pthread_join(tid[k], NULL);
	t0 = now_us() - t0;
	pthread_barrier_destroy(&r->go);
	return r->err ? -1 : t0;
}

/* Every process of [first, first + n) is in its sandbox's cgroup on every hierarchy. */
static int verify(struct run *r, int first, int n)
{
	char path[64], line[PATH_MAX + 64];

	for (int i = first; i < first + n; i++) {
		struct sandbox *s = &r->sb[i];
		int hits = 0, want = r->mode == M_MODULE ? 1 : r->nh;
		size_t ll = strlen(s->leaf);
		FILE *f;

		snprintf(path, sizeof(path), "/proc/%d/cgroup", s->pid);
		f = fopen(path, "re");
		if (!f) {
			fail(r, errno, "verify: open", path, "");
			return -1;
		}
		while (fgets(line, sizeof(line), f)) {
			size_t len = strcspn(line, "\n");

			line[len] = '\0';
			if (len > ll && line[len - ll - 1] == '/' && !strcmp(line + len - ll, s->leaf))
				hits++;
		}
		fclose(f);
		if (hits < want) {
			fail(r, EINVAL, "verify: process of", s->name, "is not in its cgroup");
			return -1;
		}
	}
	return 0;
}

static void rmdir_retry(int dfd, const char *name)
{
	for (int t = 0; t < 2000; t++) {
		if (!unlinkat(dfd, name, AT_REMOVEDIR) || errno == ENOENT)
			return;
		if (errno != EBUSY)
			break;
		usleep(1000);
	}
	fprintf(stderr, "provision: rmdir %s: %s\n", name, strerror(errno));
}

/* Kill, reap and remove sandboxes [first, first + n). */
static void teardown(struct run *r, int first, int n)
{
	reap(&r->sb[first], n);
	for (int i = first; i < first + n; i++) {
		struct sandbox *s = &r->sb[i];
		char idle[32];

		if (r->mode == M_MODULE) {
			struct rund_cgpool_release rel = { .size = sizeof(rel), .id = s->id };
			int t = 0;

			if (!s->made)
				continue;
			while (ioctl(r->dev, RUND_CGPOOL_IOC_RELEASE, &rel) && errno == ENOTEMPTY &&
			       t++ < 2000)
				usleep(1000);
			s->made = 0;
			continue;
		}
		for (int j = 0; j < r->nh; j++) {
			if (s->made)
				rmdir_retry(r->h[j].dfd, s->name);
			if (r->mode == M_RENAME) {
				snprintf(idle, sizeof(idle), "idle-%d", i);
				unlinkat(r->h[j].dfd, idle, AT_REMOVEDIR);
			}
		}
		s->made = 0;
	}
}

/*
 * Cgroups on the machine, dying ones included: /proc/cgroups' num_cgroups of a
 * hierarchy (0: cgroup v2) counts a cgroup until the kernel frees it, after rmdir's RCU
 * grace periods and css work items; each controller's line repeats its hierarchy's
 * count, so each hierarchy is summed once. -1 if unreadable.
 */
static long cgroups_alive(void)
{
	unsigned long long seen = 0;
	char line[256];
	long sum = 0;
	FILE *f = fopen("/proc/cgroups", "re");

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		char name[64];
		int hier, num;

		if (sscanf(line, "%63s %d %d", name, &hier, &num) != 3 || name[0] == '#' ||
		    hier < 0 || hier > 63 || (seen & (1ULL << hier)))
			continue;
		seen |= 1ULL << hier;
		sum += num;
	}
	fclose(f);
	return sum;
}

/*
 * Wait until the cgroups a repetition (or, at exit, the whole run) removed are freed (at
 * most as many as @base, counted before it): rmdir returns before the kernel's work of
 * freeing them, which would otherwise run in the next repetition's (or mode's) timed
 * part. Gives up when the count has not fallen for 2 s (a cgroup pinned by something
 * else), saying so.
 */
static void settle(const struct run *r, long base)
{
	long now = cgroups_alive(), last = now;
	double t = now_us(), moved = t;

	while (base >= 0 && now > base) {
		usleep(2000);
		now = cgroups_alive();
		t = now_us();
		if (now < last) {
			last = now;
			moved = t;
		} else if (t - moved > 2e6) {
			fprintf(stderr, "provision: %s: %ld cgroups still not freed 2 s after the "
				"last one was\n", r->label, now - base);
			return;
		}
	}
}

/* Let the module finish refills and recycling (its work runs off the start path). */
static void module_sync(struct run *r)
{
	struct rund_cgpool_stats st = { .size = sizeof(st), .flags = RUND_CGPOOL_STATS_SYNC };

	if (r->dev >= 0)
		ioctl(r->dev, RUND_CGPOOL_IOC_STATS, &st);
}

/* --- setup ------------------------------------------------------------------------------ */

static void absent(const char *label, const char *fmt, const char *a, int err)
{
	printf("bench-absent: %s,%s%s%s%s\n", label, fmt, a, err ? ": " : "",
	       err ? strerror(err) : "");
	exit(0);
}

static void open_hier(struct hier *h, const char *dir)
{
	h->dir = dir;
	h->dfd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (h->dfd < 0) {
		fprintf(stderr, "provision: open %s: %s\n", dir, strerror(errno));
		exit(1);
	}
	h->v2 = !faccessat(h->dfd, "cgroup.controllers", F_OK, 0);
	for (int k = 0; k < K_NR; k++) {
		const char *f = h->v2 ? knob_v2[k] : knob_v1[k];

		h->knob[k] = faccessat(h->dfd, f, F_OK, 0) ? NULL : f;
	}
}

static void module_setup(struct run *r, unsigned int pool_size)
{
	struct rund_cgpool_setup su = { .size = sizeof(su) };
	struct rund_cgpool_stats st = { .size = sizeof(st) };
	size_t l = strlen(r->label);

	r->dev = open(RUND_CGPOOL_DEVICE, O_RDWR | O_CLOEXEC);
	if (r->dev < 0)
		absent(r->label, "no " RUND_CGPOOL_DEVICE " (module not loaded)", "", errno);
	if (pool_size > RUND_CGPOOL_MAX_SIZE)
		pool_size = RUND_CGPOOL_MAX_SIZE;
	su.dirfd = r->h[0].dfd;
	if (r->preset) {
		fill_limits(r, &su.defaults, 0);
		su.defaults.mask &= ~RUND_CGPOOL_LIM_CPUSET_CPUS;
	}
	su.pool_size = pool_size;
	su.low_watermark = pool_size / 2;
	su.flags = (r->recycle ? RUND_CGPOOL_SETUP_RECYCLE : 0) |
		   (r->mode == M_RESERVE || r->mkdir_reserve ? RUND_CGPOOL_SETUP_MKDIR : 0);
	if (ioctl(r->dev, RUND_CGPOOL_IOC_SETUP, &su))
		absent(r->label, "SETUP on ", r->h[0].dir, errno);
	if (ioctl(r->dev, RUND_CGPOOL_IOC_STATS, &st) == 0 && r->mode == M_MODULE)
		snprintf(r->label + l, sizeof(r->label) - l, "-%.*s%s%s%s%s",
			 (int)sizeof(st.backend), st.backend, r->recycle ? "-recycle" : "",
			 r->clone3 ? "-clone3" : "", r->preset ? "-preset" : "", r->suffix ?: "");
	if (r->mode == M_RESERVE && strncmp(st.backend, "fast", sizeof(st.backend))) {
		printf("bench-absent: %s,the module's backend is '%.*s'; plain mkdir(2) is only "
		       "served by the fast backend\n", r->label, (int)sizeof(st.backend), st.backend);
		struct rund_cgpool_teardown td = { .size = sizeof(td) };

		ioctl(r->dev, RUND_CGPOOL_IOC_TEARDOWN, &td);
		exit(0);
	}
	module_sync(r);
}

static void module_teardown(struct run *r)
{
	struct rund_cgpool_teardown td = { .size = sizeof(td) };

	if (r->dev < 0)
		return;
	module_sync(r);
	if (ioctl(r->dev, RUND_CGPOOL_IOC_TEARDOWN, &td))
		fprintf(stderr, "provision: TEARDOWN: %s\n", strerror(errno));
}

/* Can this mode run here at all? Exits with a bench-absent line when not. */
static void probe(struct run *r)
{
	if (r->mode == M_CLONE3 && (r->nh != 1 || !r->h[0].v2))
		absent(r->label, "clone3(CLONE_INTO_CGROUP) needs one cgroup v2 hierarchy", "", 0);
	if ((r->mode == M_MODULE || r->mode == M_RESERVE) && r->nh != 1)
		absent(r->label, "the module pools one hierarchy", "", 0);
	if (r->one_write && (r->mode == M_MODULE || r->mode == M_RESERVE))
		absent(r->label, "--one-write is for modes that configure themselves", "", 0);
	if (r->recycle && r->mode != M_MODULE)
		absent(r->label, "--recycle is a policy of mode module", "", 0);
	if (r->suffix && r->mode != M_MODULE)
		absent(r->label, "--label-suffix is for mode module", "", 0);
	if ((r->preset || r->pool_size || r->mkdir_reserve) && r->mode != M_MODULE)
		absent(r->label, "--preset, --pool-size and --mkdir-reserve are for mode module",
		       "", 0);
	if (r->clone3 && (r->mode != M_MODULE || !r->h[0].v2))
		absent(r->label, "--clone3 is for mode module on one cgroup v2 hierarchy", "", 0);
	for (int j = 0; r->one_write && j < r->nh; j++)
		if (faccessat(r->h[j].dfd, "rund.config", F_OK, 0))
			absent(r->label, "no rund.config (needs the patched kernel) in ",
			       r->h[j].dir, errno);
	if (r->mode == M_RENAME) {
		for (int j = 0; j < r->nh; j++) {
			int err = 0;

			if (mkdirat(r->h[j].dfd, "probe-a", 0755)) {
				err = errno;
			} else {
				if (renameat(r->h[j].dfd, "probe-a", r->h[j].dfd, "probe-b"))
					err = errno;
				unlinkat(r->h[j].dfd, err ? "probe-a" : "probe-b", AT_REMOVEDIR);
			}
			if (err)
				absent(r->label, r->h[j].v2 ? "rename(2) on cgroup v2 (needs the "
				       "patched kernel's allow_rename mount option)" : "rename(2)",
				       "", err);
		}
	}
}

static int parse_list(const char *s, int *out, int max)
{
	int n = 0;

	while (*s && n < max) {
		out[n++] = atoi(s);
		s = strchr(s, ',');
		if (!s)
			break;
		s++;
	}
	return n;
}

/* The tracer's answer to --start-signal: SIGUSR1, blocked from main() on */
static sigset_t usr1_set(void)
{
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, SIGUSR1);
	return set;
}

/* --start-signal, --stop-signal (@opt): @sig to *@pid, and its answer; *@pid = 0 */
static int tracer_mark(struct run *r, pid_t *pid, int sig, const char *opt)
{
	struct timespec ts = { .tv_sec = 10 };
	sigset_t set = usr1_set();
	char who[16];

	snprintf(who, sizeof(who), "%d", *pid);
	if (kill(*pid, sig))
		fail(r, errno, opt, who, "(kill)");
	else if (sigtimedwait(&set, NULL, &ts) != SIGUSR1)
		fail(r, errno, opt, who, "(its answer in 10 s)");
	*pid = 0;
	return r->err ? -1 : 0;
}

static int usage(const char *why)
{
	fprintf(stderr, "provision: %s\nusage: provision --mode mkdir|clone3|rename|module|reserve "
		"--hier DIR [--hier DIR...] [--label L] [-n N] [-t T1,T2..] [--reps R] "
		"[--warmup W] [--background K] [--bg-wake-ms MS] [--one-write] [--recycle]\n"
		"       [--clone3] [--preset] [--pool-size P] [--mkdir-reserve] [--label-suffix S] [--start-signal PID] [--stop-signal PID]\n", why);
	return 2;
}

/*
 * Mode module holds one pidfd per sandbox (opened untimed in prepare(), as a runtime has
 * it from clone3()), background ones included: 2000 are over the default soft limit of
 * 1024 open files, and pidfd_open() failed with EMFILE.
 */
static void raise_nofile(rlim_t want)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) || rl.rlim_cur >= want)
		return;
	rl.rlim_cur = want;
	if (rl.rlim_max < want)
		rl.rlim_max = want;	/* root (the bench guest) may raise the hard limit */
	if (setrlimit(RLIMIT_NOFILE, &rl))
		perror("provision: setrlimit(RLIMIT_NOFILE)");
}

int main(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "mode", required_argument, NULL, 'm' }, { "hier", required_argument, NULL, 'H' },
		{ "label", required_argument, NULL, 'l' }, { "reps", required_argument, NULL, 'r' },
		{ "warmup", required_argument, NULL, 'w' },
		{ "background", required_argument, NULL, 'b' },
		{ "bg-wake-ms", required_argument, NULL, 'B' },
		{ "one-write", no_argument, NULL, 'O' },
		{ "recycle", no_argument, NULL, 'R' },
		{ "clone3", no_argument, NULL, 'C' },
		{ "preset", no_argument, NULL, 'D' },
		{ "pool-size", required_argument, NULL, 'Z' },
		{ "mkdir-reserve", no_argument, NULL, 'M' },
		{ "label-suffix", required_argument, NULL, 'S' },
		{ "start-signal", required_argument, NULL, 'P' },
		{ "stop-signal", required_argument, NULL, 'Q' },
		{ NULL, 0, NULL, 0 },
	};
	static struct run r = { .dev = -1, .bg_wake_ms = 100 };
	int c, reps = 5, warmup = 1, bg = 0, mode = -1, n = 0;
	long base;
	int tl[MAX_POINTS] = { 1, 50, 200 }, nt = 3, nl[MAX_POINTS] = { 2000 }, nn = 1;
	const char *label = NULL;

	while ((c = getopt_long(argc, argv, "n:t:", lo, NULL)) != -1) {
		switch (c) {
		case 'm':
			for (int i = 0; i < (int)(sizeof(mode_names) / sizeof(*mode_names)); i++)
				if (!strcmp(optarg, mode_names[i]))
					mode = i;
			break;
		case 'H':
			if (r.nh == MAX_HIER)
				return usage("too many --hier");
			open_hier(&r.h[r.nh++], optarg);
			break;
		case 'l': label = optarg; break;
		case 'r': reps = atoi(optarg); break;
		case 'w': warmup = atoi(optarg); break;
		case 'b': bg = atoi(optarg); break;
		case 'B': r.bg_wake_ms = atoi(optarg); break;
		case 'O': r.one_write = 1; break;
		case 'R': r.recycle = 1; break;
		case 'C': r.clone3 = 1; break;
		case 'D': r.preset = 1; break;
		case 'Z': r.pool_size = atoi(optarg); break;
		case 'M': r.mkdir_reserve = 1; break;
		case 'S': r.suffix = optarg; break;
		case 'P': r.tracer = atoi(optarg); break;
		case 'Q': r.stopper = atoi(optarg); break;
		case 'n': nn = parse_list(optarg, nl, MAX_POINTS); break;
		case 't': nt = parse_list(optarg, tl, MAX_POINTS); break;
		default: return usage("bad option");
		}
	}
	if (mode < 0 || !r.nh)
		return usage("--mode and --hier are required");
	if ((mode == M_CLONE3 || r.clone3) && bg)
		return usage("--background needs processes that wake: not with clone3");
	if (bg < 0 || reps < 1 || warmup < 0 || nt < 1 || nn < 1 || r.tracer < 0 ||
	    r.stopper < 0 || r.pool_size < 0)
		return usage("bad -n, -t, --reps, --warmup, --background, --start-signal, "
			     "--stop-signal or --pool-size");
	if (r.tracer || r.stopper) {
		sigset_t set = usr1_set();

		/* before any thread: the answer must wait for sigtimedwait() */
		sigprocmask(SIG_BLOCK, &set, NULL);
	}
	for (int i = 0; i < nn; i++) {
		if (nl[i] < 1)
			return usage("bad -n");
		n = nl[i] > n ? nl[i] : n;
		for (int j = 0; j < nt; j++)
			if (tl[j] < 0 || tl[j] > nl[i])
				return usage("need 1 <= threads <= n (0: threads = n)");
	}
	r.mode = mode;
	snprintf(r.label, sizeof(r.label), "%s", label ? label : mode_names[mode]);
	r.ncpus = sysconf(_SC_NPROCESSORS_ONLN);
	if (r.ncpus < 1)
		r.ncpus = 1;
	setvbuf(stdout, NULL, _IOLBF, 0);
	raise_nofile(bg + n + 64);
	probe(&r);
	/* what is on the machine before this run made anything: settled to at exit */
	base = cgroups_alive();
	if (mode == M_MODULE)
		/* by default the pool covers background + a batch */
		module_setup(&r, r.pool_size ? r.pool_size : bg + n + 16);
	else if (mode == M_RESERVE)
		module_setup(&r, 1);

	r.sb = calloc(bg + n, sizeof(*r.sb));
	r.lat = calloc(bg + n, sizeof(*r.lat));
	if (!r.sb || !r.lat)
		return 1;

	/* background sandboxes: sb[0 .. bg), untimed, kept */
	if (bg) {
		if (prepare(&r, 0, bg, r.bg_wake_ms) ||
		    provision_batch(&r, 0, bg, bg < 50 ? bg : 50) < 0 ||
		    verify(&r, 0, bg))
			goto out;
		module_sync(&r);
		fprintf(stderr, "provision: %s: %d background sandboxes up\n", r.label, bg);
	}
	for (int p = 0; p < nn * nt; p++) {
		int pn = nl[p / nt], pt = tl[p % nt] ? tl[p % nt] : pn;

		for (int rep = 1 - warmup; rep <= reps; rep++) {
			double self0, sys0, ch0, total, self, sys, cycle;
			long alive = cgroups_alive();
			struct lat_summary ls;

			atomic_store(&r.fallbacks, 0);
			if (prepare(&r, bg, pn, 0) ||
			    (r.tracer && tracer_mark(&r, &r.tracer, SIGUSR1, "--start-signal")))
				goto out;
			ch0 = rusage_ms(RUSAGE_CHILDREN);
			self0 = rusage_ms(RUSAGE_SELF);
			sys0 = sys_busy_ms();
			total = provision_batch(&r, bg, pn, pt);
			self = rusage_ms(RUSAGE_SELF) - self0;
			sys = sys_busy_ms() - sys0;
			if (total < 0 ||
			    (r.stopper && tracer_mark(&r, &r.stopper, SIGUSR2, "--stop-signal")) ||
			    verify(&r, bg, pn))
				goto out;
			teardown(&r, bg, pn);
			module_sync(&r);
			settle(&r, alive);
			cycle = sys_busy_ms() - sys0;
			ls = lat_summarize(r.lat, pn);
			printf("bench: %s,%d,%d,%d,%d,%.1f,%.0f,%.0f,%.0f,%.0f,%.0f,%.0f,%.0f,%d\n",
			       r.label, bg, pt, pn, rep < 0 ? 0 : rep, total / 1e3, ls.p50, ls.p99,
			       ls.max, self, sys, cycle, rusage_ms(RUSAGE_CHILDREN) - ch0,
			       mode == M_MODULE ? atomic_load(&r.fallbacks) : -1);
		}
	}
out:
	teardown(&r, bg, n);
	if (bg)
		teardown(&r, 0, bg);
	module_teardown(&r);
	/*
	 * The pool's and the background's cgroups go away here, after the last repetition:
	 * the next run on this machine (the next mode) must not time their freeing.
	 */
	settle(&r, base);
	if (r.err) {
		fprintf(stderr, "provision: %s: %s\n", r.label, r.errmsg);
		return 1;
	}
	return 0;
}
