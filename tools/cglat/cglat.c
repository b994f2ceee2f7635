// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * cglat: where sandbox start time goes in the kernel's cgroup paths, and how long each
 * start holds and waits for the global locks that bound throughput on any number of cores.
 *
 *   cglat [-j] [-i SEC] [-d SEC] [-c CGROUP] [-n SANDBOXES] [--cores N]
 *   cglat --check [--btf FILE]
 *
 * Built as libbpf-tools are: cglat.bpf.c (CO-RE, fentry/fexit + tp_btf), a skeleton from
 * `bpftool gen skeleton`, and this loader. Needs kernel BTF and the lock:contention_*
 * tracepoints (5.19+); a kernel without either is refused with a message naming it.
 */
#define _GNU_SOURCE
#include <argp.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/resource.h>
#include <sys/statfs.h>
#include <sys/utsname.h>
#include <linux/magic.h>
#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include <json-c/json.h>
#include <linux/rund_cgpool.h>
#include "cglat.h"
#include "cglat.skel.h"

static struct env {
	bool json;
	bool verbose;
	bool check;
	bool no_spin_hold;	/* --no-spin-hold: css_set_lock's wait only */
	int interval;		/* seconds; 0: one report at the end */
	int duration;		/* seconds; 0: until SIGINT/SIGTERM */
	const char *cgroup;
	const char *btf;	/* --check: this BTF file instead of the running kernel's */
	unsigned long sandboxes;
	unsigned int cores;
	unsigned int max_threads;	/* threads tracked at once (the threads map) */
} env = { .cores = 104, .max_threads = 16384 };

static const char *const op_names[CGLAT_NR_OPS] = {
	[CGLAT_OP_OTHER] = "other",
	[CGLAT_OP_MKDIR] = "mkdir",
	[CGLAT_OP_RMDIR] = "rmdir",
	[CGLAT_OP_RENAME] = "rename",
	[CGLAT_OP_ATTACH] = "attach",
	[CGLAT_OP_CONFIG] = "rund.config",
	[CGLAT_OP_ACQUIRE] = "ACQUIRE",
	[CGLAT_OP_RELEASE] = "RELEASE",
	[CGLAT_OP_RESERVE] = "mkdir-reserve",
	[CGLAT_OP_PUBLISH] = "publish",
	[CGLAT_OP_CLONE3] = "clone3-into-cgroup",
	[CGLAT_OP_CSS_ALLOC_CPU] = "css_alloc:cpu",
	[CGLAT_OP_CSS_ALLOC_CPUACCT] = "css_alloc:cpuacct",
	[CGLAT_OP_CSS_ALLOC_CPUSET] = "css_alloc:cpuset",
	[CGLAT_OP_CSS_ALLOC_MEMORY] = "css_alloc:memory",
	[CGLAT_OP_CSS_ALLOC_IO] = "css_alloc:io",
	[CGLAT_OP_CSS_ALLOC_PIDS] = "css_alloc:pids",
	[CGLAT_OP_CSS_ALLOC_FREEZER] = "css_alloc:freezer",
	[CGLAT_OP_CSS_ALLOC_DEVICES] = "css_alloc:devices",
	[CGLAT_OP_CSS_ALLOC_HUGETLB] = "css_alloc:hugetlb",
	[CGLAT_OP_CSS_ONLINE_CPU] = "css_online:cpu",
	[CGLAT_OP_CSS_ONLINE_CPUSET] = "css_online:cpuset",
	[CGLAT_OP_CSS_ONLINE_MEMORY] = "css_online:memory",
	[CGLAT_OP_CSS_ONLINE_IO] = "css_online:io",
	[CGLAT_OP_CSS_ONLINE_FREEZER] = "css_online:freezer",
	[CGLAT_OP_CSS_ONLINE_DEVICES] = "css_online:devices",
	[CGLAT_OP_CFS_BANDWIDTH] = "cfs_bandwidth",
	[CGLAT_OP_SCHED_DOMAINS] = "sched_domains_rebuild",
};

/* The ops whose cost grows with the node's cgroups: per sandbox in the summaries. */
static const int growing_ops[] = { CGLAT_OP_CFS_BANDWIDTH, CGLAT_OP_SCHED_DOMAINS };
#define NR_GROWING	(sizeof(growing_ops) / sizeof(growing_ops[0]))

static const char *const lock_names[CGLAT_NR_LOCKS] = {
	[CGLAT_LOCK_CGROUP_MUTEX] = "cgroup_mutex",
	[CGLAT_LOCK_THREADGROUP] = "threadgroup_rwsem",
	[CGLAT_LOCK_CSS_SET] = "css_set_lock",
	[CGLAT_LOCK_KERNFS] = "kernfs_rwsem",
	[CGLAT_LOCK_RCU_GP] = "rcu_gp",
	[CGLAT_LOCK_SERIAL] = "serial",
};

/* css_set_lock's hold is traced on this kernel (see spin_hold_select()) */
static bool css_set_hold;

/*
 * What cglat cannot run without, by BTF name. Every other attach target (v1 files, the
 * host series' functions, per-controller callbacks) is optional: absent from a kernel, its
 * programs are not loaded and --verbose says so.
 */
static const struct need {
	const char *btf_name;
	int kind;
	const char *what;
} needs[] = {
	{ "btf_trace_contention_begin", BTF_KIND_TYPEDEF, "tracepoint lock:contention_begin" },
	{ "btf_trace_contention_end", BTF_KIND_TYPEDEF, "tracepoint lock:contention_end" },
	{ "btf_trace_sched_switch", BTF_KIND_TYPEDEF, "tracepoint sched:sched_switch" },
	{ "btf_trace_sched_process_exit", BTF_KIND_TYPEDEF, "tracepoint sched:sched_process_exit" },
	{ "cgroup_mkdir", BTF_KIND_FUNC, "function cgroup_mkdir" },
	{ "cgroup_rmdir", BTF_KIND_FUNC, "function cgroup_rmdir" },
	{ "cgroup_procs_write", BTF_KIND_FUNC, "function cgroup_procs_write" },
	{ "mutex_lock", BTF_KIND_FUNC, "function mutex_lock" },
	{ "mutex_unlock", BTF_KIND_FUNC, "function mutex_unlock" },
	{ "percpu_down_write", BTF_KIND_FUNC, "function percpu_down_write" },
	{ "down_write", BTF_KIND_FUNC, "function down_write" },
	{ "synchronize_rcu", BTF_KIND_FUNC, "function synchronize_rcu" },
	{ "__x64_sys_ioctl", BTF_KIND_FUNC, "function __x64_sys_ioctl" },
};

/* The locks cglat.bpf.c compares against: data symbols, in kallsyms with KALLSYMS_ALL. */
static const char *const ksyms[] = { "cgroup_mutex", "cgroup_threadgroup_rwsem", "css_set_lock" };

static volatile sig_atomic_t exiting;
/* SIGUSR1: start over; the sender, answered with SIGUSR1 once the counts are zero */
static volatile sig_atomic_t restart, restart_pid;

static void sig_handler(int sig)
{
	(void)sig;
	exiting = 1;
}

static void restart_handler(int sig, siginfo_t *si, void *uc)
{
	(void)sig;
	(void)uc;
	restart_pid = si->si_pid;
	restart = 1;
}

static void die(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fputs("cglat: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
	exit(1);
}

static int libbpf_print_fn(enum libbpf_print_level level, const char *fmt, va_list args)
{
	if (level == LIBBPF_DEBUG && !env.verbose)
		return 0;
	return vfprintf(stderr, fmt, args);
}

/* ---- arguments ------------------------------------------------------------------- */

enum { OPT_CORES = 0x100, OPT_CHECK, OPT_BTF, OPT_NO_SPIN_HOLD, OPT_MAX_THREADS };

static const struct argp_option opts[] = {
	{ "json", 'j', NULL, 0, "Print JSON (json-c) instead of tables", 0 },
	{ "interval", 'i', "SEC", 0, "Report every SEC seconds, then start afresh", 0 },
	{ "duration", 'd', "SEC", 0, "Trace for SEC seconds (default: until SIGINT/SIGTERM)", 0 },
	{ "cgroup", 'c', "DIR", 0, "Only operations on cgroup DIR and below (a root: a hierarchy)", 0 },
	{ "sandboxes", 'n', "N", 0, "Sandbox starts traced (default: ACQUIREs, else mkdirs)", 0 },
	{ "cores", OPT_CORES, "N", 0, "Cores of the modelled host (default 104)", 0 },
	{ "check", OPT_CHECK, NULL, 0, "List what the kernel lacks; exit 1 if cglat cannot run", 0 },
	{ "btf", OPT_BTF, "FILE", 0, "With --check: check this BTF (or ELF with .BTF) file", 0 },
	{ "max-threads", OPT_MAX_THREADS, "N", 0,
	  "Threads tracked at once (default 16384); past it new threads go uncounted", 0 },
	{ "no-spin-hold", OPT_NO_SPIN_HOLD, NULL, 0,
	  "No css_set_lock hold time (its probes run for every irq-safe spinlock)", 0 },
	{ "verbose", 'v', NULL, 0, "libbpf debug output and skipped attach targets", 0 },
	{},
};

static unsigned long parse_num(const char *opt, const char *arg, unsigned long max)
{
	unsigned long v;
	char *end;

	errno = 0;
	v = strtoul(arg, &end, 10);
	if (errno || end == arg || *end || !v || v > max)
		die("%s '%s': want a whole number from 1 to %lu", opt, arg, max);
	return v;
}

static error_t parse_arg(int key, char *arg, struct argp_state *state)
{
	switch (key) {
	case 'j':
		env.json = true;
		break;
	case 'v':
		env.verbose = true;
		break;
	case 'i':
		env.interval = parse_num("--interval", arg, 86400);
		break;
	case 'd':
		env.duration = parse_num("--duration", arg, 86400 * 30);
		break;
	case 'c':
		env.cgroup = arg;
		break;
	case 'n':
		env.sandboxes = parse_num("--sandboxes", arg, 1UL << 40);
		break;
	case OPT_CORES:
		env.cores = parse_num("--cores", arg, 65536);
		break;
	case OPT_CHECK:
		env.check = true;
		break;
	case OPT_BTF:
		env.btf = arg;
		break;
	case OPT_NO_SPIN_HOLD:
		env.no_spin_hold = true;
		break;
	case OPT_MAX_THREADS:
		env.max_threads = parse_num("--max-threads", arg, 1U << 22);
		break;
	case ARGP_KEY_ARG:
		argp_error(state, "unexpected argument '%s'", arg);
		break;
	case ARGP_KEY_END:
		if (env.btf && !env.check)
			argp_error(state, "--btf is for --check (the tracer needs the running kernel's BTF)");
		break;
	default:
		return ARGP_ERR_UNKNOWN;
	}
	return 0;
}

/* ---- what the kernel has ------------------------------------------------------------ */

static struct btf *load_btf(void)
{
	const char *path = env.btf ? env.btf : "/sys/kernel/btf/vmlinux";
	struct btf *btf = env.btf ? btf__parse(env.btf, NULL) : btf__load_vmlinux_btf();

	if (!btf)
		die("no kernel BTF at %s (%s): the kernel needs CONFIG_DEBUG_INFO_BTF=y",
		    path, strerror(errno));
	return btf;
}

/* Print one line per missing need; the number missing. */
static int check_needs(const struct btf *btf)
{
	size_t i;
	int missing = 0;

	for (i = 0; i < sizeof(needs) / sizeof(needs[0]); i++) {
		if (btf__find_by_name_kind(btf, needs[i].btf_name, needs[i].kind) >= 0)
			continue;
		fprintf(stderr, "cglat: kernel lacks %s (not in its BTF)\n", needs[i].what);
		missing++;
	}
	return missing;
}

/* "fentry/cgroup_mkdir" -> "cgroup_mkdir"; tp_btf targets are tracepoints */
static const char *prog_target(const struct bpf_program *prog, int *kind)
{
	const char *sec = bpf_program__section_name(prog);
	const char *slash = strchr(sec, '/');

	*kind = strncmp(sec, "tp_btf/", 7) ? BTF_KIND_FUNC : BTF_KIND_TYPEDEF;
	return slash ? slash + 1 : sec;
}

static bool btf_has(const struct btf *btf, const char *name, int kind)
{
	char buf[128];

	if (kind == BTF_KIND_TYPEDEF) {
		snprintf(buf, sizeof(buf), "btf_trace_%s", name);
		name = buf;
	}
	return btf__find_by_name_kind(btf, name, kind) >= 0;
}

/* Do not load programs whose target this kernel lacks (optional by then: needs passed). */
static void drop_absent(struct cglat_bpf *skel, const struct btf *btf)
{
	struct bpf_program *prog;
	const char *target;
	int kind;

	bpf_object__for_each_program(prog, skel->obj) {
		target = prog_target(prog, &kind);
		if (btf_has(btf, target, kind))
			continue;
		bpf_program__set_autoload(prog, false);
		if (env.verbose)
			fprintf(stderr, "cglat: %s not in this kernel: not traced\n", target);
	}
}

/*
 * css_set_lock's hold runs from the exit of _raw_spin_lock_irq{,save}() to the entry of
 * _raw_spin_unlock_irq{,restore}(). Kernels without CONFIG_PREEMPTION inline the unlocks:
 * a hold that never ends is worse than none, so all four go, and the report says n/a.
 */
static void spin_hold_select(struct cglat_bpf *skel)
{
	struct bpf_program *progs[] = {
		skel->progs._raw_spin_lock_irq_exit, skel->progs._raw_spin_lock_irqsave_exit,
		skel->progs._raw_spin_unlock_irq_entry, skel->progs._raw_spin_unlock_irqrestore_entry,
	};
	size_t i;

	/* drop_absent() left loadable only what this kernel has */
	css_set_hold = !env.no_spin_hold;
	for (i = 0; i < sizeof(progs) / sizeof(progs[0]); i++)
		css_set_hold &= bpf_program__autoload(progs[i]);
	if (css_set_hold)
		return;
	for (i = 0; i < sizeof(progs) / sizeof(progs[0]); i++)
		bpf_program__set_autoload(progs[i], false);
	if (env.verbose && !env.no_spin_hold)
		fprintf(stderr, "cglat: a spin unlock is not a function in this kernel: no css_set_lock hold\n");
}

/* Print one line per lock symbol /proc/kallsyms does not show; the number missing. */
static int check_ksyms(void)
{
	bool found[sizeof(ksyms) / sizeof(ksyms[0])] = {};
	char line[512], name[256];
	unsigned long long addr;
	int missing = 0;
	size_t i;
	FILE *f;

	f = fopen("/proc/kallsyms", "r");
	if (!f)
		die("/proc/kallsyms: %s", strerror(errno));
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%llx %*c %255s", &addr, name) != 2 || !addr)
			continue;
		for (i = 0; i < sizeof(ksyms) / sizeof(ksyms[0]); i++)
			found[i] |= !strcmp(name, ksyms[i]);
	}
	fclose(f);
	for (i = 0; i < sizeof(ksyms) / sizeof(ksyms[0]); i++) {
		if (found[i])
			continue;
		fprintf(stderr, "cglat: kernel lacks symbol %s in /proc/kallsyms "
			"(CONFIG_KALLSYMS_ALL=y, read as root)\n", ksyms[i]);
		missing++;
	}
	return missing;
}

static int do_check(void)
{
	struct btf *btf = load_btf();
	const char *target, *last = NULL;
	struct bpf_program *prog;
	struct cglat_bpf *skel;
	int missing, kind;

	missing = check_needs(btf);
	if (!env.btf)
		missing += check_ksyms();
	skel = cglat_bpf__open();
	if (!skel)
		die("opening the BPF object: %s", strerror(errno));
	bpf_object__for_each_program(prog, skel->obj) {
		target = prog_target(prog, &kind);
		if (last && !strcmp(last, target))
			continue;	/* the exit of the entry just listed */
		printf("%-8s %s\n", btf_has(btf, target, kind) ? "have" : "absent", target);
		last = target;
	}
	cglat_bpf__destroy(skel);
	btf__free(btf);
	if (missing)
		fprintf(stderr, "cglat: %d required item%s missing: cannot trace this kernel\n",
			missing, missing == 1 ? "" : "s");
	return missing ? 1 : 0;
}

static __u64 cgroup_id(const char *path)
{
	struct {
		struct file_handle fh;
		__u64 id;
	} h = { .fh.handle_bytes = sizeof(__u64) };
	struct statfs sfs;
	int mount_id;

	if (statfs(path, &sfs))
		die("--cgroup '%s': %s", path, strerror(errno));
	if (sfs.f_type != CGROUP_SUPER_MAGIC && sfs.f_type != CGROUP2_SUPER_MAGIC)
		die("--cgroup '%s': not a directory of a cgroup file system", path);
	if (name_to_handle_at(AT_FDCWD, path, &h.fh, &mount_id, 0))
		die("--cgroup '%s': no cgroup id: %s", path, strerror(errno));
	return h.id;
}

/* ---- reading and reporting ------------------------------------------------------- */

struct snapshot {
	struct op_stat ops[CGLAT_NR_OPS];
	struct lock_stat locks[CGLAT_NR_OPS * CGLAT_NR_LOCKS];
	double seconds;
};

static void read_maps(struct cglat_bpf *skel, struct snapshot *s, bool reset)
{
	int ofd = bpf_map__fd(skel->maps.opstats), lfd = bpf_map__fd(skel->maps.lockstats);
	struct op_stat zop = {};
	struct lock_stat zls = {};
	__u32 k;

	for (k = 0; k < CGLAT_NR_OPS; k++) {
		if (bpf_map_lookup_elem(ofd, &k, &s->ops[k]))
			die("reading opstats: %s", strerror(errno));
		if (reset)
			bpf_map_update_elem(ofd, &k, &zop, BPF_ANY);
	}
	for (k = 0; k < CGLAT_NR_OPS * CGLAT_NR_LOCKS; k++) {
		if (bpf_map_lookup_elem(lfd, &k, &s->locks[k]))
			die("reading lockstats: %s", strerror(errno));
		if (reset)
			bpf_map_update_elem(lfd, &k, &zls, BPF_ANY);
	}
}

struct summary {
	unsigned long sandboxes;
	double serial_us;	/* time holding any global lock, per sandbox */
	double cpu_us;		/* on-CPU time of the outermost ops per sandbox */
	double gp;		/* RCU grace periods per sandbox */
	double lock_hold_us[CGLAT_NR_LOCKS];
	double lock_wait_us[CGLAT_NR_LOCKS];
	double growing[NR_GROWING];	/* growing_ops[i] per sandbox */
	double growing_us[NR_GROWING];	/* and their time per sandbox */
};

static void summarise(const struct snapshot *s, struct summary *m)
{
	double cpu_ns = 0;
	const struct lock_stat *ls;
	size_t i;
	int op, lk;

	memset(m, 0, sizeof(*m));
	m->sandboxes = env.sandboxes;
	if (!m->sandboxes)
		m->sandboxes = s->ops[CGLAT_OP_ACQUIRE].count ?: s->ops[CGLAT_OP_MKDIR].count;
	for (op = 0; op < CGLAT_NR_OPS; op++) {
		cpu_ns += s->ops[op].top_cpu_ns;
		for (lk = 0; lk < CGLAT_NR_LOCKS; lk++) {
			ls = &s->locks[CGLAT_LOCKSTAT_IDX(op, lk)];
			m->lock_hold_us[lk] += ls->hold_ns / 1e3;
			m->lock_wait_us[lk] += ls->wait_ns / 1e3;
			if (lk == CGLAT_LOCK_RCU_GP)
				m->gp += ls->wait_count;
		}
	}
	if (!m->sandboxes)
		return;
	for (lk = 0; lk < CGLAT_NR_LOCKS; lk++) {
		m->lock_hold_us[lk] /= m->sandboxes;
		m->lock_wait_us[lk] /= m->sandboxes;
	}
	m->serial_us = m->lock_hold_us[CGLAT_LOCK_SERIAL];
	for (i = 0; i < NR_GROWING; i++) {
		m->growing[i] = (double)s->ops[growing_ops[i]].count / m->sandboxes;
		m->growing_us[i] = s->ops[growing_ops[i]].total_ns / 1e3 / m->sandboxes;
	}
	m->cpu_us = cpu_ns / 1e3 / m->sandboxes;
	m->gp /= m->sandboxes;
}

/* the modelled ceilings, sandboxes per second; 0: nothing to model */
static double ceiling_serial(const struct summary *m)
{
	return m->serial_us > 0 ? 1e6 / m->serial_us : 0;
}

static double ceiling_cores(const struct summary *m)
{
	double serial = ceiling_serial(m), cpu = m->cpu_us > 0 ? env.cores * 1e6 / m->cpu_us : 0;

	if (!serial || !cpu)
		return serial ?: cpu;
	return serial < cpu ? serial : cpu;
}

static void print_hist(const __u32 *slots)
{
	int i, top = -1, j, width;
	__u32 max = 0;

	for (i = 0; i < MAX_SLOTS; i++) {
		if (slots[i]) {
			top = i;
			if (slots[i] > max)
				max = slots[i];
		}
	}
	printf("  %21s : %-8s |%-40s|\n", "usecs", "count", "distribution");
	for (i = 0; i <= top; i++) {
		width = max ? (int)((unsigned long long)slots[i] * 40 / max) : 0;
		printf("  %10llu -> %-8llu : %-8u |", i ? 1ULL << i : 0ULL, (1ULL << (i + 1)) - 1,
		       slots[i]);
		for (j = 0; j < 40; j++)
			putchar(j < width ? '*' : ' ');
		printf("|\n");
	}
}

static void print_text(const struct snapshot *s)
{
	const struct op_stat *o;
	const struct lock_stat *ls;
	struct summary m;
	size_t i;
	int op, lk;

	summarise(s, &m);
	printf("cglat: %.1f s\n\n%-20s %8s %10s %10s %10s\n", s->seconds, "operation", "count",
	       "avg us", "max us", "total ms");
	for (op = 0; op < CGLAT_NR_OPS; op++) {
		o = &s->ops[op];
		if (o->count)
			printf("%-20s %8llu %10.1f %10.1f %10.2f\n", op_names[op], o->count,
			       o->total_ns / 1e3 / o->count, o->max_ns / 1e3, o->total_ns / 1e6);
	}
	printf("\n%-20s %-18s %8s %10s %10s %8s %10s %10s\n", "operation", "lock", "waits",
	       "wait ms", "wait max", "holds", "hold ms", "hold max");
	for (op = 0; op < CGLAT_NR_OPS; op++) {
		for (lk = 0; lk < CGLAT_NR_LOCKS; lk++) {
			ls = &s->locks[CGLAT_LOCKSTAT_IDX(op, lk)];
			if (!ls->wait_count && !ls->hold_count)
				continue;
			printf("%-20s %-18s %8llu %10.2f %10.1f %8llu %10.2f %10.1f\n",
			       op_names[op], lock_names[lk], ls->wait_count, ls->wait_ns / 1e6,
			       ls->wait_max_ns / 1e3, ls->hold_count, ls->hold_ns / 1e6,
			       ls->hold_max_ns / 1e3);
		}
	}
	for (op = 0; op < CGLAT_NR_OPS; op++) {
		if (!s->ops[op].count)
			continue;
		printf("\n%s latency:\n", op_names[op]);
		print_hist(s->ops[op].slots);
	}
	if (!m.sandboxes) {
		printf("\nno sandbox starts traced (no ACQUIRE, no mkdir): no per-sandbox figures\n");
		return;
	}
	printf("\nper sandbox (%lu starts): serial %.1f us (cgroup_mutex %.1f, threadgroup %.1f, ",
	       m.sandboxes, m.serial_us, m.lock_hold_us[CGLAT_LOCK_CGROUP_MUTEX],
	       m.lock_hold_us[CGLAT_LOCK_THREADGROUP]);
	if (css_set_hold)
		printf("css_set %.1f, ", m.lock_hold_us[CGLAT_LOCK_CSS_SET]);
	else
		printf("css_set n/a, ");
	printf("kernfs %.1f hold); RCU grace periods %.2f; CPU %.1f us (on-CPU, outermost "
	       "operations)\n", m.lock_hold_us[CGLAT_LOCK_KERNFS], m.gp, m.cpu_us);
	printf("growing with the node's cgroups, per sandbox:");
	for (i = 0; i < NR_GROWING; i++)
		printf(" %s %.2f (%.1f us)", op_names[growing_ops[i]], m.growing[i], m.growing_us[i]);
	printf("\n");
	printf("model, not a measurement: ceiling 1/serial = %.0f sandboxes/s on any number of "
	       "cores; %u cores: min(cores / CPU, 1/serial) = %.0f sandboxes/s\n",
	       ceiling_serial(&m), env.cores, ceiling_cores(&m));
}

static json_object *json_ops(const struct snapshot *s)
{
	json_object *arr = json_object_new_array(), *o, *hist, *locks, *l;
	const struct lock_stat *ls;
	int op, lk, i;

	for (op = 0; op < CGLAT_NR_OPS; op++) {
		o = json_object_new_object();
		json_object_object_add(o, "op", json_object_new_string(op_names[op]));
		json_object_object_add(o, "count", json_object_new_uint64(s->ops[op].count));
		json_object_object_add(o, "total_us", json_object_new_double(s->ops[op].total_ns / 1e3));
		json_object_object_add(o, "max_us", json_object_new_double(s->ops[op].max_ns / 1e3));
		json_object_object_add(o, "outermost_cpu_us",
				       json_object_new_double(s->ops[op].top_cpu_ns / 1e3));
		hist = json_object_new_array();
		for (i = 0; i < MAX_SLOTS; i++)
			json_object_array_add(hist, json_object_new_uint64(s->ops[op].slots[i]));
		json_object_object_add(o, "log2_us_slots", hist);
		locks = json_object_new_array();
		for (lk = 0; lk < CGLAT_NR_LOCKS; lk++) {
			ls = &s->locks[CGLAT_LOCKSTAT_IDX(op, lk)];
			if (!ls->wait_count && !ls->hold_count)
				continue;
			l = json_object_new_object();
			json_object_object_add(l, "lock", json_object_new_string(lock_names[lk]));
			json_object_object_add(l, "waits", json_object_new_uint64(ls->wait_count));
			json_object_object_add(l, "wait_us", json_object_new_double(ls->wait_ns / 1e3));
			json_object_object_add(l, "holds", json_object_new_uint64(ls->hold_count));
			json_object_object_add(l, "hold_us", json_object_new_double(ls->hold_ns / 1e3));
			json_object_array_add(locks, l);
		}
		json_object_object_add(o, "locks", locks);
		json_object_array_add(arr, o);
	}
	return arr;
}

static void print_json(const struct snapshot *s)
{
	json_object *root = json_object_new_object(), *per = json_object_new_object(), *model;
	struct summary m;
	size_t i;
	int lk;

	summarise(s, &m);
	json_object_object_add(root, "seconds", json_object_new_double(s->seconds));
	json_object_object_add(root, "ops", json_ops(s));
	json_object_object_add(root, "sandboxes", json_object_new_uint64(m.sandboxes));
	json_object_object_add(per, "serial_us", json_object_new_double(m.serial_us));
	json_object_object_add(per, "cpu_us", json_object_new_double(m.cpu_us));
	json_object_object_add(per, "rcu_grace_periods", json_object_new_double(m.gp));
	for (i = 0; i < NR_GROWING; i++) {
		char key[64];

		snprintf(key, sizeof(key), "%s_count", op_names[growing_ops[i]]);
		json_object_object_add(per, key, json_object_new_double(m.growing[i]));
		snprintf(key, sizeof(key), "%s_us", op_names[growing_ops[i]]);
		json_object_object_add(per, key, json_object_new_double(m.growing_us[i]));
	}
	for (lk = 0; lk < CGLAT_LOCK_SERIAL; lk++) {
		char key[64];

		snprintf(key, sizeof(key), "%s_wait_us", lock_names[lk]);
		json_object_object_add(per, key, json_object_new_double(m.lock_wait_us[lk]));
		snprintf(key, sizeof(key), "%s_hold_us", lock_names[lk]);
		/* null: not traced on this kernel, not zero */
		json_object_object_add(per, key, lk == CGLAT_LOCK_CSS_SET && !css_set_hold ? NULL :
				       json_object_new_double(m.lock_hold_us[lk]));
	}
	json_object_object_add(root, "per_sandbox", per);
	model = json_object_new_object();
	json_object_object_add(model, "cores", json_object_new_int(env.cores));
	json_object_object_add(model, "ceiling_serial_per_s", json_object_new_double(ceiling_serial(&m)));
	json_object_object_add(model, "ceiling_cores_per_s", json_object_new_double(ceiling_cores(&m)));
	json_object_object_add(root, "model", model);
	puts(json_object_to_json_string_ext(root, JSON_C_TO_STRING_PLAIN));
	fflush(stdout);
	json_object_put(root);
}

/* ---- main ------------------------------------------------------------------------ */

static void attach_all(struct cglat_bpf *skel)
{
	struct bpf_program *prog;
	struct bpf_link *link;
	const char *target;
	int kind, n = 0;

	bpf_object__for_each_program(prog, skel->obj) {
		if (!bpf_program__autoload(prog))
			continue;
		target = prog_target(prog, &kind);
		link = bpf_program__attach(prog);
		if (!link)
			die("attaching %s to %s: %s", bpf_program__name(prog), target, strerror(errno));
		n++;
	}
	if (env.verbose)
		fprintf(stderr, "cglat: %d programs attached\n", n);
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
	static const struct argp argp = { opts, parse_arg, NULL,
		"Where sandbox start time goes in the kernel's cgroup paths.\v"
		"Reports per-operation latency and, per operation, wait and hold time of "
		"cgroup_mutex, the threadgroup rwsem, css_set_lock, the hierarchies' "
		"kernfs_rwsem and RCU grace periods; then the serial time per sandbox and the "
		"throughput ceiling it implies (a model). SIGUSR1 discards what was counted so "
		"far (--duration and --interval count from then) and answers the sender with "
		"SIGUSR1: a workload marks where its start path begins.", NULL, NULL, NULL };
	struct cglat_bpf *skel;
	struct snapshot snap;
	struct btf *btf;
	double start, last;
	__u64 cgid = 0;
	int err;

	err = argp_parse(&argp, argc, argv, 0, NULL, NULL);
	if (err)
		return 1;
	libbpf_set_print(libbpf_print_fn);
	if (env.check)
		return do_check();

	if (env.cgroup)
		cgid = cgroup_id(env.cgroup);	/* argument errors first */
	btf = load_btf();
	if (check_needs(btf) + check_ksyms())
		die("cannot trace this kernel (cglat --check lists what it has)");
	skel = cglat_bpf__open();
	if (!skel)
		die("opening the BPF object: %s", strerror(errno));
	skel->rodata->ioc_acquire = RUND_CGPOOL_IOC_ACQUIRE;
	skel->rodata->ioc_release = RUND_CGPOOL_IOC_RELEASE;
	skel->rodata->filter_cgid = cgid;
	drop_absent(skel, btf);
	spin_hold_select(skel);
	if (bpf_map__set_max_entries(skel->maps.threads, env.max_threads))
		die("--max-threads %u: %s", env.max_threads, strerror(errno));
	btf__free(btf);
	err = cglat_bpf__load(skel);
	if (err)
		die("loading the BPF programs: %s (-v shows the verifier's log)", strerror(-err));
	attach_all(skel);

	signal(SIGINT, sig_handler);
	signal(SIGTERM, sig_handler);
	{
		struct sigaction sa = { .sa_sigaction = restart_handler, .sa_flags = SA_SIGINFO };

		sigemptyset(&sa.sa_mask);
		sigaction(SIGUSR1, &sa, NULL);
	}
	/* on stderr in every mode: scripts wait for it before they start the workload */
	fprintf(stderr, "cglat: tracing%s%s; Ctrl-C to end\n", env.cgroup ? " under " : "",
		env.cgroup ?: "");
	start = last = now();
	while (!exiting) {
		double t;

		usleep(100 * 1000);	/* a signal cuts it short */
		t = now();
		if (restart) {
			/* what a workload did before it was ready is not its start path */
			read_maps(skel, &snap, true);
			start = last = t;
			restart = 0;
			fprintf(stderr, "cglat: started over\n");
			if (restart_pid > 0)
				kill(restart_pid, SIGUSR1);
			continue;
		}
		if (env.duration && t - start >= env.duration)
			break;
		if (env.interval && t - last >= env.interval) {
			snap.seconds = t - last;
			last = t;
			read_maps(skel, &snap, true);
			env.json ? print_json(&snap) : print_text(&snap);
		}
	}
	snap.seconds = now() - last;
	read_maps(skel, &snap, false);
	env.json ? print_json(&snap) : print_text(&snap);
	cglat_bpf__destroy(skel);
	return 0;
}
