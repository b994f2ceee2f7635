// SPDX-License-Identifier: GPL-2.0
/*
 * rund_cgpool: sandbox limits (cpu, cpuset, memory, pids) on v2 and v1, their reset on
 * recycle, the controller check at SETUP and memory reclaim.
 *
 * RESET writes every file below back to the value a new cgroup has after FRESH, so a
 * recycled cgroup reads like a fresh one. Counters the kernel cannot reset stay: cpu.stat,
 * memory.stat/memory.events, memory.peak, pids.events, io.stat (v1: cpuacct.*).
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/bitops.h>
#include <linux/delay.h>
#include <linux/kernel.h>
#include <linux/moduleparam.h>
#include <linux/slab.h>
#include <linux/string.h>

#include "pool.h"

#define RUND_CPU_PERIOD_DEFAULT	100000U

/*
 * v1 cpuset: a write of cpuset.cpus to a cpuset with sched_load_balance=1 rebuilds the
 * sched domains (update_cpumasks_hier() -> rebuild_sched_domains_locked()) under
 * cpus_read_lock() and sched_domains_mutex, and every rebuild walks every cpuset with
 * CPUs (dl_rebuild_rd_accounting()): a pool of N idle cgroups made each ACQUIRE and each
 * refill O(N). Inside a balancing parent a child's own flag changes no domain
 * (generate_sched_domains() makes the parent a domain and skips its subtree), so pool
 * cgroups under such a parent get sched_load_balance=0 while they have no CPUs, and
 * their cpuset.cpus writes rebuild nothing.
 */
static bool cpuset_quiet = true;
module_param(cpuset_quiet, bool, 0644);
MODULE_PARM_DESC(cpuset_quiet,
		 "v1: pool cgroups under a load-balancing pool dir get cpuset.sched_load_balance=0 (N: keep 1, a sched-domain rebuild per cpuset.cpus write)");

/* Files a recycled cgroup gets back to the kernel's defaults; absent ones are skipped. */
struct rund_reset {
	const char *file;
	const char *val;
};

static const struct rund_reset rund_reset_v2[] = {
	{ "memory.high", "max" },
	{ "memory.low", "0" },
	{ "memory.min", "0" },
	{ "memory.swap.max", "max" },
	{ "cpu.weight", "100" },
	{ "cpu.idle", "0" },
	{ "io.weight", "default 100" },
	{ "cgroup.freeze", "0" },
};

static const struct rund_reset rund_reset_v1[] = {
	{ "memory.memsw.limit_in_bytes", "-1" },	/* before memory.limit_in_bytes */
	{ "memory.soft_limit_in_bytes", "-1" },
	{ "memory.max_usage_in_bytes", "0" },
	{ "memory.failcnt", "0" },
	{ "cpu.shares", "1024" },
	{ "blkio.weight", "500" },
	{ "freezer.state", "THAWED" },
};

static bool rund_cpuset_ok(const char *s)
{
	size_t len = strnlen(s, RUND_CGPOOL_CPUSET_LEN);

	return len < RUND_CGPOOL_CPUSET_LEN && strspn(s, "0123456789,-") == len;
}

/* -ERANGE and one dmesg line when @lim is out of range; @what names the request. */
int rund_limits_check(const char *what, const struct rund_cgpool_limits *lim)
{
	if (lim->mask & ~RUND_CGPOOL_LIM_ALL) {
		rund_bad("%s: unknown limit bits 0x%x\n", what, lim->mask);
		return -ERANGE;
	}
	if ((lim->mask & RUND_CGPOOL_LIM_CPU) &&
	    (lim->cpu_period_us < RUND_CGPOOL_CPU_PERIOD_MIN ||
	     lim->cpu_period_us > RUND_CGPOOL_CPU_PERIOD_MAX ||
	     (lim->cpu_quota_us != -1 &&
	      (lim->cpu_quota_us < RUND_CGPOOL_CPU_QUOTA_MIN ||
	       lim->cpu_quota_us > RUND_CGPOOL_CPU_QUOTA_MAX)))) {
		rund_bad("%s: cpu quota %lld us / period %u us out of range\n", what,
			 lim->cpu_quota_us, lim->cpu_period_us);
		return -ERANGE;
	}
	if ((lim->mask & RUND_CGPOOL_LIM_MEMORY) && lim->memory_max < RUND_CGPOOL_MEMORY_MIN) {
		rund_bad("%s: memory max %llu out of range\n", what, lim->memory_max);
		return -ERANGE;
	}
	if ((lim->mask & RUND_CGPOOL_LIM_PIDS) && lim->pids_max != RUND_CGPOOL_UNLIMITED &&
	    (!lim->pids_max || lim->pids_max > RUND_CGPOOL_PIDS_MAX)) {
		rund_bad("%s: pids max %llu out of range\n", what, lim->pids_max);
		return -ERANGE;
	}
	if (((lim->mask & RUND_CGPOOL_LIM_CPUSET_CPUS) && !rund_cpuset_ok(lim->cpuset_cpus)) ||
	    ((lim->mask & RUND_CGPOOL_LIM_CPUSET_MEMS) && !rund_cpuset_ok(lim->cpuset_mems))) {
		rund_bad("%s: cpuset list not of the form 0-3,6\n", what);
		return -ERANGE;
	}
	return 0;
}

static int rund_put(struct rund_pool *p, struct rund_cg *cg, const char *file,
		    const char *val)
{
	int err = rund_cg_write(p, cg->name, file, val);

	if (err)
		rund_bad("%s: writing '%s' to %s failed: %d\n", cg->name, val, file, err);
	return err;
}

static int rund_put_u64(struct rund_pool *p, struct rund_cg *cg, const char *file, u64 val,
			const char *unlimited)
{
	char buf[24];

	if (val == RUND_CGPOOL_UNLIMITED)
		return rund_put(p, cg, file, unlimited);
	snprintf(buf, sizeof(buf), "%llu", val);
	return rund_put(p, cg, file, buf);
}

/*
 * v1 bandwidth is two files, and every write of either runs tg_set_cfs_bandwidth() ->
 * __cfs_schedulable(), a walk of every task group on the node: O(cgroups) per write,
 * and a pool doubles the cgroups. A new period under the old quota may break the
 * parent's bound, so a period change lifts a set quota first (up to three walks). The period a
 * sandbox asks for is nearly always the one its cgroup has (a new one reads 100000):
 * then only the quota is written, and only if it differs (one walk or none).
 */
static int rund_put_cpu_v1(struct rund_pool *p, struct rund_cg *cg, s64 quota, u32 period)
{
	char want[24], buf[24], per[16], *cur;
	u64 cur_period;
	int err = 0;

	snprintf(want, sizeof(want), "%lld", quota < 0 ? -1LL : quota);
	if (rund_cg_read(p, cg->name, "cpu.cfs_quota_us", buf, sizeof(buf)) <= 0)
		buf[0] = '\0';		/* unknown: written */
	cur = strim(buf);
	if (!rund_cg_read_u64(p, cg->name, "cpu.cfs_period_us", &cur_period) &&
	    cur_period == period)
		return strcmp(cur, want) ? rund_put(p, cg, "cpu.cfs_quota_us", want) : 0;
	if (strcmp(cur, "-1"))
		err = rund_put(p, cg, "cpu.cfs_quota_us", "-1");
	snprintf(per, sizeof(per), "%u", period);
	if (!err)
		err = rund_put(p, cg, "cpu.cfs_period_us", per);
	if (!err && quota >= 0)
		err = rund_put(p, cg, "cpu.cfs_quota_us", want);
	return err;
}

static int rund_put_cpu(struct rund_pool *p, struct rund_cg *cg, s64 quota, u32 period)
{
	char buf[48];

	if (!p->v2)
		return rund_put_cpu_v1(p, cg, quota, period);
	if (quota < 0)
		snprintf(buf, sizeof(buf), "max %u", period);
	else
		snprintf(buf, sizeof(buf), "%lld %u", quota, period);
	return rund_put(p, cg, "cpu.max", buf);
}

/* v2: "" inherits the parent's; v1 has no inheritance: copy the pool dir's. */
static int rund_put_cpuset(struct rund_pool *p, struct rund_cg *cg, const char *file,
			   const char *val)
{
	char buf[RUND_CGPOOL_CPUSET_LEN];
	ssize_t n;

	if (val)
		return rund_put(p, cg, file, val);
	if (p->v2)
		return rund_put(p, cg, file, "\n");
	n = rund_cg_read(p, NULL, file, buf, sizeof(buf));
	if (n < 0)
		return n;
	return rund_put(p, cg, file, buf);
}

static const struct rund_reset *rund_extras(struct rund_pool *p, size_t *n)
{
	*n = p->v2 ? ARRAY_SIZE(rund_reset_v2) : ARRAY_SIZE(rund_reset_v1);
	return p->v2 ? rund_reset_v2 : rund_reset_v1;
}

/* The pool dir's boolean @file reads 1 */
static bool rund_dir_set(struct rund_pool *p, const char *file)
{
	u64 val;

	return !rund_cg_read_u64(p, NULL, file, &val) && val == 1;
}

/* Which of the extra reset files child @cg (the SETUP probe) has: p->extras. */
void rund_limits_probe(struct rund_pool *p, const char *cg)
{
	size_t i, n;
	const struct rund_reset *r = rund_extras(p, &n);

	BUILD_BUG_ON(ARRAY_SIZE(rund_reset_v2) > BITS_PER_LONG ||
		     ARRAY_SIZE(rund_reset_v1) > BITS_PER_LONG);
	p->extras = 0;
	for (i = 0; i < n; i++)
		if (rund_cg_has(p, cg, r[i].file))
			p->extras |= BIT(i);
	p->one_write = p->be->one_write && rund_cg_has(p, cg, "rund.config");
	p->cpuset_lb = !p->v2 && rund_cg_has(p, cg, "cpuset.sched_load_balance");
	p->cpuset_quiet = false;
	p->cpuset_cloned = false;
	if (p->cpuset_lb && READ_ONCE(cpuset_quiet)) {
		p->cpuset_quiet = rund_dir_set(p, "cpuset.sched_load_balance");
		p->cpuset_cloned = rund_dir_set(p, "cgroup.clone_children");
	}
}

static void rund_reset_extras(struct rund_pool *p, struct rund_cg *cg)
{
	size_t i, n;
	const struct rund_reset *r = rund_extras(p, &n);

	for (i = 0; i < n; i++)
		if (p->extras & BIT(i))
			rund_put(p, cg, r[i].file, r[i].val);
}

static __printf(3, 4) void rund_cat(char *buf, size_t len, const char *fmt, ...)
{
	size_t used = strlen(buf);
	va_list args;

	va_start(args, fmt);
	vsnprintf(buf + used, len - used, fmt, args);
	va_end(args);
}

/*
 * SET on a CONFIG_CGROUP_RUND kernel: every field of lim->mask in one write to rund.config,
 * which the kernel applies all or nothing (5-6 separate writes otherwise, the per-sandbox
 * cost the patch removes). The kernel logs which field it refused.
 */
static int rund_put_config(struct rund_pool *p, struct rund_cg *cg,
			   const struct rund_cgpool_limits *lim)
{
	char buf[160 + 2 * RUND_CGPOOL_CPUSET_LEN] = "";	/* every field at its widest */
	u32 mask = lim->mask;
	int err;

	if (mask & RUND_CGPOOL_LIM_CPU) {
		if (lim->cpu_quota_us < 0)
			rund_cat(buf, sizeof(buf), " cpu.quota_us=max");
		else
			rund_cat(buf, sizeof(buf), " cpu.quota_us=%lld", lim->cpu_quota_us);
		rund_cat(buf, sizeof(buf), " cpu.period_us=%u", lim->cpu_period_us);
	}
	if (mask & RUND_CGPOOL_LIM_CPUSET_CPUS)
		rund_cat(buf, sizeof(buf), " cpuset.cpus=%s", lim->cpuset_cpus);
	if (mask & RUND_CGPOOL_LIM_CPUSET_MEMS)
		rund_cat(buf, sizeof(buf), " cpuset.mems=%s", lim->cpuset_mems);
	if (mask & RUND_CGPOOL_LIM_MEMORY) {
		if (lim->memory_max == RUND_CGPOOL_UNLIMITED)
			rund_cat(buf, sizeof(buf), " memory.max=max");
		else
			rund_cat(buf, sizeof(buf), " memory.max=%llu", lim->memory_max);
	}
	if (mask & RUND_CGPOOL_LIM_PIDS) {
		if (lim->pids_max == RUND_CGPOOL_UNLIMITED)
			rund_cat(buf, sizeof(buf), " pids.max=max");
		else
			rund_cat(buf, sizeof(buf), " pids.max=%llu", lim->pids_max);
	}
	if (!buf[0])
		return 0;
	err = rund_put(p, cg, "rund.config", buf + 1);
	/* the syntax is ours and checked: EINVAL is a value the kernel refused */
	return err == -EINVAL ? -ERANGE : err;
}

/*
 * The fields of @lim that @dfl (the pool's SETUP defaults) sets to the same value: an
 * idle cgroup holds its pool's defaults (FRESH made it so, or RESET made it so again,
 * else it was destroyed), so a sandbox that asks for them needs no write. A runtime with
 * one common sandbox shape passes it as the defaults and pays only for what differs: on
 * the patched kernel each rund.config field costs a lookup, a permission check, a read
 * of the old value and the write (see rund_limits_apply()).
 */
static u32 rund_preset(const struct rund_cgpool_limits *dfl,
		       const struct rund_cgpool_limits *lim)
{
	u32 both = dfl->mask & lim->mask, same = 0;

	if ((both & RUND_CGPOOL_LIM_CPU) && dfl->cpu_quota_us == lim->cpu_quota_us &&
	    dfl->cpu_period_us == lim->cpu_period_us)
		same |= RUND_CGPOOL_LIM_CPU;
	if ((both & RUND_CGPOOL_LIM_CPUSET_CPUS) && !strcmp(dfl->cpuset_cpus, lim->cpuset_cpus))
		same |= RUND_CGPOOL_LIM_CPUSET_CPUS;
	if ((both & RUND_CGPOOL_LIM_CPUSET_MEMS) && !strcmp(dfl->cpuset_mems, lim->cpuset_mems))
		same |= RUND_CGPOOL_LIM_CPUSET_MEMS;
	if ((both & RUND_CGPOOL_LIM_MEMORY) && dfl->memory_max == lim->memory_max)
		same |= RUND_CGPOOL_LIM_MEMORY;
	if ((both & RUND_CGPOOL_LIM_PIDS) && dfl->pids_max == lim->pids_max)
		same |= RUND_CGPOOL_LIM_PIDS;
	return same;
}

/* SET: the fields of @lim that idle cgroup @cg does not hold yet, to @cg */
static int rund_limits_set(struct rund_pool *p, struct rund_cg *cg,
			   const struct rund_cgpool_limits *lim)
{
	struct rund_cgpool_limits todo = *lim;
	int err;

	todo.mask &= ~rund_preset(&p->defaults, lim);
	if (!todo.mask)
		return 0;
	err = rund_fault(RUND_FAULT_LIMITS);
	if (err)
		return err;
	/*
	 * One field is all or nothing by itself: its own file is cheaper than rund.config,
	 * which saves every field's old value to restore on a refusal (a sandbox that
	 * differs from the defaults only in its CPUs: 74 us per rund.config write against
	 * 15 us in cpuset_write_resmask, profiled). Not the v1 CPU field: two files, whose
	 * order rund.config knows.
	 */
	if (p->one_write && (hweight32(todo.mask) > 1 ||
			     (!p->v2 && (todo.mask & RUND_CGPOOL_LIM_CPU))))
		return rund_put_config(p, cg, &todo);
	return rund_limits_apply(p, cg, &todo, RUND_APPLY_WRITE);
}

/*
 * Write @lim to @cg. SET writes the fields in lim->mask the idle cgroup does not hold
 * already; WRITE writes every one of them; FRESH writes the pool defaults a new cgroup
 * needs; RESET writes every managed file: set fields from @lim, the others the kernel's
 * default. Stops at the first failure.
 */
int rund_limits_apply(struct rund_pool *p, struct rund_cg *cg,
		      const struct rund_cgpool_limits *lim, enum rund_apply how)
{
	u32 mask = lim->mask;
	bool all = how == RUND_APPLY_RESET, all_cpuset = false;
	int err = 0;

	if (how == RUND_APPLY_SET)
		return rund_limits_set(p, cg, lim);
	if (all)
		rund_reset_extras(p, cg);
	if (mask & RUND_CGPOOL_LIM_CPU)
		err = rund_put_cpu(p, cg, lim->cpu_quota_us, lim->cpu_period_us);
	else if (all)
		err = rund_put_cpu(p, cg, -1, RUND_CPU_PERIOD_DEFAULT);
	/* v1: a new cpuset is empty and takes no task until both are set */
	if (!p->v2 && how == RUND_APPLY_FRESH)
		all_cpuset = true;
	/*
	 * While the cpuset has no CPUs: a flag change on one with CPUs rebuilds the domains
	 * too. A new cgroup has none, unless the pool dir had cgroup.clone_children set at
	 * SETUP: empty it first (no rebuild: an empty cpuset is in no domain). A new cgroup
	 * reads 1, so without cpuset_quiet only a recycled one needs the write.
	 */
	if (!err && p->cpuset_cloned && all_cpuset)
		err = rund_put(p, cg, "cpuset.cpus", "\n");
	if (!err && p->cpuset_lb && (all || (all_cpuset && p->cpuset_quiet)))
		err = rund_put(p, cg, "cpuset.sched_load_balance", p->cpuset_quiet ? "0" : "1");
	if (!err && ((mask & RUND_CGPOOL_LIM_CPUSET_CPUS) || all || all_cpuset))
		err = rund_put_cpuset(p, cg, "cpuset.cpus",
				      mask & RUND_CGPOOL_LIM_CPUSET_CPUS ? lim->cpuset_cpus : NULL);
	if (!err && ((mask & RUND_CGPOOL_LIM_CPUSET_MEMS) || all || all_cpuset))
		err = rund_put_cpuset(p, cg, "cpuset.mems",
				      mask & RUND_CGPOOL_LIM_CPUSET_MEMS ? lim->cpuset_mems : NULL);
	if (!err && ((mask & RUND_CGPOOL_LIM_MEMORY) || all))
		err = rund_put_u64(p, cg, p->v2 ? "memory.max" : "memory.limit_in_bytes",
				   mask & RUND_CGPOOL_LIM_MEMORY ? lim->memory_max :
				   RUND_CGPOOL_UNLIMITED, p->v2 ? "max" : "-1");
	if (!err && ((mask & RUND_CGPOOL_LIM_PIDS) || all))
		err = rund_put_u64(p, cg, "pids.max", mask & RUND_CGPOOL_LIM_PIDS ?
				   lim->pids_max : RUND_CGPOOL_UNLIMITED, "max");
	return err;
}

/* The controllers a sandbox needs, by one interface file each (v2, v1). */
static const char *const rund_ctrl[][3] = {
	{ "cpu", "cpu.max", "cpu.cfs_quota_us" },
	{ "cpuset", "cpuset.cpus", "cpuset.cpus" },
	{ "memory", "memory.max", "memory.limit_in_bytes" },
	{ "pids", "pids.max", "pids.max" },
};

/* -EOPNOTSUPP and one dmesg line naming the missing controllers of child @cg. */
int rund_controllers_check(struct rund_pool *p, const char *cg)
{
	char missing[64] = "";
	size_t i;

	for (i = 0; i < ARRAY_SIZE(rund_ctrl); i++) {
		if (rund_cg_has(p, cg, rund_ctrl[i][p->v2 ? 1 : 2]))
			continue;
		strlcat(missing, " ", sizeof(missing));
		strlcat(missing, rund_ctrl[i][0], sizeof(missing));
	}
	if (!missing[0])
		return 0;
	if (p->v2)
		rund_bad("SETUP: pool dir children lack controllers:%s (%s)\n", missing,
			 "enable them in the parent's cgroup.subtree_control");
	else
		rund_bad("SETUP: the pool dir's v1 hierarchy lacks controllers:%s (%s)\n", missing,
			 "co-mount cpu,cpuset,memory,pids in one hierarchy");
	return -EOPNOTSUPP;
}

/*
 * Give back the memory charged to an empty @cg (page cache, kernel memory). v2: write
 * memory.high=0 (drains the per-CPU charge caches, then reclaims; no OOM event, unlike
 * memory.max), then memory.reclaim; v1: memory.force_empty. 0 when usage reads 0
 * afterwards, -EBUSY when charges remain (the caller replaces the cgroup), else -errno.
 */
int rund_reclaim(struct rund_pool *p, struct rund_cg *cg)
{
	const char *usage = p->v2 ? "memory.current" : "memory.usage_in_bytes";
	char buf[24];
	u64 val;
	int err, tries;

	for (tries = 0; tries < 4; tries++) {
		err = rund_cg_read_u64(p, cg->name, usage, &val);
		if (err || !val)
			return err;
		/* per-CPU stock drains and RCU-deferred frees of exited tasks finish late */
		if (tries)
			msleep(10 << tries);
		if (!p->v2) {
			err = rund_cg_write(p, cg->name, "memory.force_empty", "0");
		} else if (!tries) {
			err = rund_cg_write(p, cg->name, "memory.high", "0");
			rund_cg_write(p, cg->name, "memory.high", "max");
		} else {
			snprintf(buf, sizeof(buf), "%llu", val);
			err = rund_cg_write(p, cg->name, "memory.reclaim", buf);
		}
		if (err && err != -EAGAIN)
			return err;
	}
	err = rund_cg_read_u64(p, cg->name, usage, &val);
	return err ? err : val ? -EBUSY : 0;
}
