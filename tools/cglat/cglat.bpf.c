// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * cglat: per-operation latency of the cgroup paths a sandbox start takes, and the wait and
 * hold time of the global locks each operation takes.
 *
 * Every traced kernel function is an fentry/fexit pair that pushes and pops its operation on
 * a per-thread stack; lock events are charged to the innermost operation on the stack of the
 * thread that waits or holds (CGLAT_OP_OTHER when there is none). Lock waits come from the
 * lock:contention_begin/end tracepoints (every sleeping lock and queued spinlock, 5.19+);
 * hold times from fexit of the lock calls to fentry of the unlock calls, for the write side
 * only: the write side is what serialises sandbox starts. css_set_lock is a spinlock taken
 * with spin_lock_irq()/spin_lock_irqsave(): its hold is traced through the raw spinlock
 * functions, which every irq-safe spinlock in the system goes through (each filters on the
 * address first), and only where the unlocks are functions (CONFIG_PREEMPTION kernels, as
 * Debian's); without PREEMPTION they are inlined and cglat.c loads none of the four.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>
#include "cglat.h"

#define OP_SKIP		0x80000000u	/* filtered out: the op and all it nests */
#define CLONE_INTO_CGROUP 0x200000000ULL
#define HOLD_SLOTS	8	/* >= CGLAT_NR_LOCKS, a power of two for the verifier */

const volatile __u64 filter_cgid;	/* 0: every cgroup; else this one and below */
const volatile __u32 ioc_acquire;	/* RUND_CGPOOL_IOC_ACQUIRE */
const volatile __u32 ioc_release;	/* RUND_CGPOOL_IOC_RELEASE */

extern const void cgroup_mutex __ksym;
extern const void cgroup_threadgroup_rwsem __ksym;
extern const void css_set_lock __ksym;

/* Linux 6.15 renamed kernfs_node::parent to __parent (vmlinux.h may have either). */
struct kernfs_node___parent {
	struct kernfs_node *parent;
} __attribute__((preserve_access_index));

struct kernfs_node___rcu_parent {
	struct kernfs_node *__parent;
} __attribute__((preserve_access_index));

struct tstate {
	__u32 depth;			/* may exceed MAX_DEPTH: deeper frames are not stored */
	__u32 op[MAX_DEPTH];
	__u64 ts[MAX_DEPTH];
	__u64 wait_ts;			/* contention_begin of the lock in wait_lock */
	__u32 wait_lock;
	__u32 wait_op;
	__u64 off_ts;			/* switched out inside an op */
	__u64 off_ns;			/* off-CPU time of the outermost op so far */
	/* per lock: the op a hold (for CGLAT_LOCK_RCU_GP: a grace period) is charged to */
	__u32 hold_op[HOLD_SLOTS];
	__u64 hold_ts[HOLD_SLOTS];
	__u32 serial_depth;		/* serial locks held now; hold_*[CGLAT_LOCK_SERIAL] */
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 16384);
	__type(key, __u32);
	__type(value, struct tstate);
} threads SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, CGLAT_NR_OPS);
	__type(key, __u32);
	__type(value, struct op_stat);
} opstats SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, CGLAT_NR_OPS * CGLAT_NR_LOCKS);
	__type(key, __u32);
	__type(value, struct lock_stat);
} lockstats SEC(".maps");

/* kernfs_rwsem addresses of the cgroup hierarchies seen so far */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 64);
	__type(key, __u64);
	__type(value, __u8);
} kernfs_locks SEC(".maps");

static const struct tstate zero_tstate;

#define PF_EXITING	0x00000004	/* include/linux/sched.h */

static struct tstate *tstate_get(bool create)
{
	__u32 tid = (__u32)bpf_get_current_pid_tgid();
	struct tstate *ts = bpf_map_lookup_elem(&threads, &tid);

	/*
	 * An exiting thread's slot went at sched_process_exit, and do_exit() takes locks
	 * after it (cgroup_exit(): css_set_lock): a slot made then would never go, and a
	 * full map stops every new thread's counting.
	 */
	if (ts || !create || (bpf_get_current_task_btf()->flags & PF_EXITING))
		return ts;
	bpf_map_update_elem(&threads, &tid, &zero_tstate, BPF_NOEXIST);
	return bpf_map_lookup_elem(&threads, &tid);
}

static struct kernfs_node *kn_parent(struct kernfs_node *kn)
{
	struct kernfs_node___parent *old = (void *)kn;
	struct kernfs_node___rcu_parent *new = (void *)kn;

	if (bpf_core_field_exists(old->parent))
		return BPF_CORE_READ(old, parent);
	return BPF_CORE_READ(new, __parent);
}

/* Is @kn the filter cgroup or below it? Cgroup trees deeper than 32 are not followed. */
static bool kn_wanted(struct kernfs_node *kn)
{
	int i;

	if (!filter_cgid)
		return true;
	for (i = 0; i < 32 && kn; i++) {
		if (BPF_CORE_READ(kn, id) == filter_cgid)
			return true;
		kn = kn_parent(kn);
	}
	return false;
}

/* Remember the kernfs_rwsem of @kn's hierarchy: kernfs_root(kn) as fs/kernfs does it. */
static void kn_learn_root(struct kernfs_node *kn)
{
	struct kernfs_node *parent = kn_parent(kn);
	struct kernfs_root *root;
	__u64 addr;
	__u8 one = 1;

	root = BPF_CORE_READ(parent ? parent : kn, dir.root);
	if (!root)
		return;
	addr = (__u64)root + bpf_core_field_offset(struct kernfs_root, kernfs_rwsem);
	/* known after the first op of a hierarchy: a lookup is cheaper than an update */
	if (!bpf_map_lookup_elem(&kernfs_locks, &addr))
		bpf_map_update_elem(&kernfs_locks, &addr, &one, BPF_ANY);
}

/* The class of a lock a contention event names; -1: not one cglat follows. */
static int lock_class(const void *lock)
{
	__u64 addr = (__u64)lock;

	if (lock == &cgroup_mutex)
		return CGLAT_LOCK_CGROUP_MUTEX;
	if (lock == &cgroup_threadgroup_rwsem)
		return CGLAT_LOCK_THREADGROUP;
	if (lock == &css_set_lock)
		return CGLAT_LOCK_CSS_SET;
	if (bpf_map_lookup_elem(&kernfs_locks, &addr))
		return CGLAT_LOCK_KERNFS;
	return -1;
}

/* The op lock events of this thread are charged to; -1: filtered out. */
static int cur_op(struct tstate *ts)
{
	__u32 d = ts->depth, op;

	if (!d)
		return CGLAT_OP_OTHER;
	if (d > MAX_DEPTH)
		d = MAX_DEPTH;
	op = ts->op[(d - 1) & (MAX_DEPTH - 1)];
	return op & OP_SKIP ? -1 : (int)op;
}

static int op_enter(__u32 op, struct kernfs_node *kn)
{
	struct tstate *ts = tstate_get(true);
	__u32 d;

	if (!ts)
		return 0;
	d = ts->depth++;
	if (d >= MAX_DEPTH)
		return 0;
	if (kn)
		kn_learn_root(kn);
	/* nested in a filtered-out op, or acting outside the filter's subtree */
	if ((d && (ts->op[(d - 1) & (MAX_DEPTH - 1)] & OP_SKIP)) || (kn && !kn_wanted(kn)))
		op |= OP_SKIP;
	ts->op[d & (MAX_DEPTH - 1)] = op;
	ts->ts[d & (MAX_DEPTH - 1)] = bpf_ktime_get_ns();
	if (!d)
		ts->off_ns = 0;
	return 0;
}

static __u32 log2_slot(__u64 us)
{
	__u32 slot = 0;

	while (us > 1 && slot < MAX_SLOTS - 1) {
		us >>= 1;
		slot++;
	}
	return slot;
}

/* one more event of @delta ns */
static void account(__u64 *count, __u64 *total, __u64 *max, __u64 delta)
{
	__sync_fetch_and_add(count, 1);
	__sync_fetch_and_add(total, delta);
	if (delta > *max)
		*max = delta;	/* racy by design: a lost update loses one maximum */
}

static int op_exit(__u32 op)
{
	struct tstate *ts = tstate_get(false);
	struct op_stat *st;
	__u32 d, top;
	__u64 delta;

	if (!ts || !ts->depth)
		return 0;
	d = ts->depth - 1;
	if (d >= MAX_DEPTH) {
		ts->depth = d;
		return 0;
	}
	top = ts->op[d & (MAX_DEPTH - 1)];
	if ((top & ~OP_SKIP) != op)
		return 0;	/* the entry was never pushed (no thread slot) */
	ts->depth = d;
	if (top & OP_SKIP)
		return 0;
	delta = bpf_ktime_get_ns() - ts->ts[d & (MAX_DEPTH - 1)];
	st = bpf_map_lookup_elem(&opstats, &op);
	if (!st)
		return 0;
	account(&st->count, &st->total_ns, &st->max_ns, delta);
	if (!d) {
		__sync_fetch_and_add(&st->top_ns, delta);
		__sync_fetch_and_add(&st->top_cpu_ns, delta > ts->off_ns ? delta - ts->off_ns : 0);
	}
	__sync_fetch_and_add(&st->slots[log2_slot(delta / 1000)], 1);
	return 0;
}

static struct lock_stat *lockstat(int op, int lock)
{
	__u32 idx = CGLAT_LOCKSTAT_IDX(op, lock);

	return bpf_map_lookup_elem(&lockstats, &idx);
}

static void charge_wait(int op, int lock, __u64 delta)
{
	struct lock_stat *ls = lockstat(op, lock);

	if (ls)
		account(&ls->wait_count, &ls->wait_ns, &ls->wait_max_ns, delta);
}

/*
 * This thread's slot and the op its lock events go to; NULL: none, or filtered out. With
 * @create a thread in no op gets a slot (its events go to CGLAT_OP_OTHER).
 */
static struct tstate *thread_op(int *op, bool create)
{
	struct tstate *ts = tstate_get(create);

	if (!ts)
		return NULL;
	*op = cur_op(ts);
	return *op < 0 ? NULL : ts;
}

/* Open @ts's interval of @lock at @now, charged to @op. */
static void interval_open(struct tstate *ts, int lock, int op, __u64 now)
{
	ts->hold_op[lock & (HOLD_SLOTS - 1)] = op;
	ts->hold_ts[lock & (HOLD_SLOTS - 1)] = now;
}

/* Close @ts's interval of @lock at @now: its length in @len, its op in @op; false: none. */
static bool interval_close(struct tstate *ts, int lock, int *op, __u64 now, __u64 *len)
{
	__u32 s = lock & (HOLD_SLOTS - 1);
	__u64 start = ts->hold_ts[s];

	if (!start)
		return false;
	ts->hold_ts[s] = 0;
	*op = ts->hold_op[s];
	*len = now - start;
	return true;
}

static void charge_hold(int op, int lock, __u64 delta)
{
	struct lock_stat *ls = lockstat(op, lock);

	if (ls)
		account(&ls->hold_count, &ls->hold_ns, &ls->hold_max_ns, delta);
}

static int hold_begin(int lock)
{
	__u64 now = bpf_ktime_get_ns();
	struct tstate *ts;
	bool again;
	int op;

	/*
	 * css_set_lock is taken on every fork and exit on the node, and in softirqs: its holds
	 * count for threads that have a slot already (that did a traced operation), no others
	 */
	ts = thread_op(&op, lock != CGLAT_LOCK_CSS_SET);
	if (!ts)
		return 0;
	/* an unlock cglat missed: the hold restarts, the serial depth does not grow */
	again = ts->hold_ts[lock & (HOLD_SLOTS - 1)];
	interval_open(ts, lock, op, now);
	if (lock != CGLAT_LOCK_RCU_GP && !again && !ts->serial_depth++)
		interval_open(ts, CGLAT_LOCK_SERIAL, op, now);
	return 0;
}

/* Close the interval hold_begin(@lock) opened: its length in @len, its op in @op. */
static bool hold_close(int lock, int *op, __u64 *len)
{
	struct tstate *ts = tstate_get(false);
	__u64 now = bpf_ktime_get_ns(), serial;
	int sop;

	if (!ts || !interval_close(ts, lock, op, now, len))
		return false;
	if (lock == CGLAT_LOCK_RCU_GP || !ts->serial_depth || --ts->serial_depth)
		return true;
	if (interval_close(ts, CGLAT_LOCK_SERIAL, &sop, now, &serial))
		charge_hold(sop, CGLAT_LOCK_SERIAL, serial);
	return true;
}

static int hold_end(int lock)
{
	__u64 len;
	int op;

	if (hold_close(lock, &op, &len))
		charge_hold(op, lock, len);
	return 0;
}

/* ---- operations ------------------------------------------------------------------ */

/* OP_PROBES(func, op, kn expression, args...): one fentry/fexit pair per kernel function */
#define OP_EXIT(func, op)						\
SEC("fexit/" #func)							\
int BPF_PROG(func##_exit)						\
{									\
	return op_exit(op);						\
}

#define OP_PROBES(func, op, kn, args...)				\
SEC("fentry/" #func)							\
int BPF_PROG(func##_entry, args)					\
{									\
	return op_enter(op, kn);					\
}									\
OP_EXIT(func, op)

#define KN_OP(func, op) \
	OP_PROBES(func, op, kn, struct kernfs_node *kn)
#define OF_OP(func, op) \
	OP_PROBES(func, op, kn_parent(BPF_CORE_READ(of, kn)), struct kernfs_open_file *of)
#define CGRP_OP(func, op) \
	OP_PROBES(func, op, BPF_CORE_READ(cgrp, kn), struct cgroup *cgrp)
#define CSS_OP(func, op) \
	OP_PROBES(func, op, NULL, void *unused)
/* no argument read (rebuild_sched_domains_locked() has none), no cgroup to filter on */
#define FN_OP(func, op)							\
SEC("fentry/" #func)							\
int BPF_PROG(func##_entry)						\
{									\
	return op_enter(op, NULL);					\
}									\
OP_EXIT(func, op)

KN_OP(cgroup_mkdir, CGLAT_OP_MKDIR)
KN_OP(cgroup_rmdir, CGLAT_OP_RMDIR)
KN_OP(cgroup1_rename, CGLAT_OP_RENAME)
KN_OP(cgroup_kn_rename, CGLAT_OP_RENAME)
KN_OP(cgroup_rund_mkdir, CGLAT_OP_RESERVE)
OF_OP(cgroup_procs_write, CGLAT_OP_ATTACH)
OF_OP(cgroup_threads_write, CGLAT_OP_ATTACH)
OF_OP(cgroup1_procs_write, CGLAT_OP_ATTACH)
OF_OP(cgroup1_tasks_write, CGLAT_OP_ATTACH)
OF_OP(cgroup_rund_config_write, CGLAT_OP_CONFIG)
CGRP_OP(cgroup_rund_attach, CGLAT_OP_ATTACH)
CGRP_OP(cgroup_rund_publish, CGLAT_OP_PUBLISH)
CSS_OP(cpu_cgroup_css_alloc, CGLAT_OP_CSS_ALLOC_CPU)
CSS_OP(cpuacct_css_alloc, CGLAT_OP_CSS_ALLOC_CPUACCT)
CSS_OP(cpuset_css_alloc, CGLAT_OP_CSS_ALLOC_CPUSET)
CSS_OP(mem_cgroup_css_alloc, CGLAT_OP_CSS_ALLOC_MEMORY)
CSS_OP(blkcg_css_alloc, CGLAT_OP_CSS_ALLOC_IO)
CSS_OP(pids_css_alloc, CGLAT_OP_CSS_ALLOC_PIDS)
CSS_OP(freezer_css_alloc, CGLAT_OP_CSS_ALLOC_FREEZER)
CSS_OP(devcgroup_css_alloc, CGLAT_OP_CSS_ALLOC_DEVICES)
CSS_OP(hugetlb_cgroup_css_alloc, CGLAT_OP_CSS_ALLOC_HUGETLB)
CSS_OP(cpu_cgroup_css_online, CGLAT_OP_CSS_ONLINE_CPU)
CSS_OP(cpuset_css_online, CGLAT_OP_CSS_ONLINE_CPUSET)
CSS_OP(mem_cgroup_css_online, CGLAT_OP_CSS_ONLINE_MEMORY)
CSS_OP(blkcg_css_online, CGLAT_OP_CSS_ONLINE_IO)
CSS_OP(freezer_css_online, CGLAT_OP_CSS_ONLINE_FREEZER)
CSS_OP(devcgroup_online, CGLAT_OP_CSS_ONLINE_DEVICES)
FN_OP(tg_set_cfs_bandwidth, CGLAT_OP_CFS_BANDWIDTH)
FN_OP(rebuild_sched_domains_locked, CGLAT_OP_SCHED_DOMAINS)

/* The module's ACQUIRE and RELEASE, seen at the syscall: the module has no BTF. */
static __u32 ioctl_op(struct pt_regs *regs)
{
	__u32 cmd = (__u32)BPF_CORE_READ(regs, si);

	if (cmd == ioc_acquire)
		return CGLAT_OP_ACQUIRE;
	if (cmd == ioc_release)
		return CGLAT_OP_RELEASE;
	return CGLAT_OP_OTHER;
}

SEC("fentry/__x64_sys_ioctl")
int BPF_PROG(ioctl_entry, struct pt_regs *regs)
{
	__u32 op = ioctl_op(regs);

	return op == CGLAT_OP_OTHER ? 0 : op_enter(op, NULL);
}

SEC("fexit/__x64_sys_ioctl")
int BPF_PROG(ioctl_exit, struct pt_regs *regs)
{
	__u32 op = ioctl_op(regs);

	return op == CGLAT_OP_OTHER ? 0 : op_exit(op);
}

SEC("fentry/__x64_sys_clone3")
int BPF_PROG(clone3_entry, struct pt_regs *regs)
{
	void *uargs = (void *)BPF_CORE_READ(regs, di);
	__u64 flags = 0;

	if (bpf_probe_read_user(&flags, sizeof(flags), uargs) || !(flags & CLONE_INTO_CGROUP))
		return 0;
	return op_enter(CGLAT_OP_CLONE3, NULL);
}

SEC("fexit/__x64_sys_clone3")
int BPF_PROG(clone3_exit)
{
	return op_exit(CGLAT_OP_CLONE3);	/* a no-op unless clone3_entry pushed it */
}

/* ---- CPU time and thread lifetime ----------------------------------------------- */

/* Off-CPU time inside operations: what an op's duration minus it is on a CPU. */
SEC("tp_btf/sched_switch")
int BPF_PROG(sched_switch, bool preempt, struct task_struct *prev, struct task_struct *next)
{
	__u64 now = bpf_ktime_get_ns();
	__u32 pid = BPF_CORE_READ(prev, pid);
	struct tstate *ts = bpf_map_lookup_elem(&threads, &pid);

	if (ts && ts->depth)
		ts->off_ts = now;
	pid = BPF_CORE_READ(next, pid);
	ts = bpf_map_lookup_elem(&threads, &pid);
	if (ts && ts->off_ts) {
		ts->off_ns += now - ts->off_ts;
		ts->off_ts = 0;
	}
	return 0;
}

/* A thread's slot goes with it: sandbox starts fork thousands of short-lived threads. */
SEC("tp_btf/sched_process_exit")
int BPF_PROG(sched_process_exit, struct task_struct *p)
{
	__u32 pid = BPF_CORE_READ(p, pid);

	bpf_map_delete_elem(&threads, &pid);
	return 0;
}

/* ---- locks ------------------------------------------------------------------------ */

SEC("tp_btf/contention_begin")
int BPF_PROG(contention_begin, void *lock, unsigned int flags)
{
	int lk = lock_class(lock), op;
	struct tstate *ts;

	if (lk < 0)
		return 0;
	ts = thread_op(&op, true);
	if (!ts)
		return 0;
	ts->wait_ts = bpf_ktime_get_ns();
	ts->wait_lock = lk;
	ts->wait_op = op;
	return 0;
}

SEC("tp_btf/contention_end")
int BPF_PROG(contention_end, void *lock, int ret)
{
	struct tstate *ts;
	int lk = lock_class(lock);

	if (lk < 0)
		return 0;
	ts = tstate_get(false);
	if (!ts || !ts->wait_ts || ts->wait_lock != (__u32)lk)
		return 0;
	charge_wait(ts->wait_op, lk, bpf_ktime_get_ns() - ts->wait_ts);
	ts->wait_ts = 0;
	return 0;
}

static bool is_cgroup_mutex(const void *lock)
{
	return lock == &cgroup_mutex;
}

static bool is_threadgroup(const void *lock)
{
	return lock == &cgroup_threadgroup_rwsem;
}

static bool is_css_set(const void *lock)
{
	return lock == &css_set_lock;
}

static bool is_kernfs(const void *lock)
{
	__u64 addr = (__u64)lock;

	return bpf_map_lookup_elem(&kernfs_locks, &addr);
}

/*
 * LOCKED(func, class, type, is): fexit of a void lock call; LOCKED_IF(..., ok): of one
 * returning int, @ok on the return value says it took the lock. UNLOCK: fentry of the
 * release. Each filters on the lock address first: these run for every lock in the system.
 */
#define LOCKED(func, class, type, is)					\
SEC("fexit/" #func)							\
int BPF_PROG(func##_exit, type *lock)					\
{									\
	return is(lock) ? hold_begin(class) : 0;			\
}

#define LOCKED_IF(func, class, type, is, ok)				\
SEC("fexit/" #func)							\
int BPF_PROG(func##_exit, type *lock, int ret)				\
{									\
	return ret == (ok) && is(lock) ? hold_begin(class) : 0;		\
}

#define UNLOCK(func, class, type, is)					\
SEC("fentry/" #func)							\
int BPF_PROG(func##_entry, type *lock)					\
{									\
	return is(lock) ? hold_end(class) : 0;				\
}

LOCKED(mutex_lock, CGLAT_LOCK_CGROUP_MUTEX, struct mutex, is_cgroup_mutex)
LOCKED_IF(mutex_lock_interruptible, CGLAT_LOCK_CGROUP_MUTEX, struct mutex, is_cgroup_mutex, 0)
LOCKED_IF(mutex_lock_killable, CGLAT_LOCK_CGROUP_MUTEX, struct mutex, is_cgroup_mutex, 0)
LOCKED_IF(mutex_trylock, CGLAT_LOCK_CGROUP_MUTEX, struct mutex, is_cgroup_mutex, 1)
UNLOCK(mutex_unlock, CGLAT_LOCK_CGROUP_MUTEX, struct mutex, is_cgroup_mutex)
LOCKED(percpu_down_write, CGLAT_LOCK_THREADGROUP, struct percpu_rw_semaphore, is_threadgroup)
UNLOCK(percpu_up_write, CGLAT_LOCK_THREADGROUP, struct percpu_rw_semaphore, is_threadgroup)
LOCKED(down_write, CGLAT_LOCK_KERNFS, struct rw_semaphore, is_kernfs)
LOCKED_IF(down_write_killable, CGLAT_LOCK_KERNFS, struct rw_semaphore, is_kernfs, 0)
LOCKED_IF(down_write_trylock, CGLAT_LOCK_KERNFS, struct rw_semaphore, is_kernfs, 1)
UNLOCK(up_write, CGLAT_LOCK_KERNFS, struct rw_semaphore, is_kernfs)
LOCKED(_raw_spin_lock_irq, CGLAT_LOCK_CSS_SET, raw_spinlock_t, is_css_set)
LOCKED(_raw_spin_lock_irqsave, CGLAT_LOCK_CSS_SET, raw_spinlock_t, is_css_set)
UNLOCK(_raw_spin_unlock_irq, CGLAT_LOCK_CSS_SET, raw_spinlock_t, is_css_set)
UNLOCK(_raw_spin_unlock_irqrestore, CGLAT_LOCK_CSS_SET, raw_spinlock_t, is_css_set)

/* An RCU grace period waited for on the path: charged as a "wait" of CGLAT_LOCK_RCU_GP. */
SEC("fentry/synchronize_rcu")
int BPF_PROG(synchronize_rcu_entry)
{
	return hold_begin(CGLAT_LOCK_RCU_GP);
}

SEC("fexit/synchronize_rcu")
int BPF_PROG(synchronize_rcu_exit)
{
	__u64 len;
	int op;

	if (hold_close(CGLAT_LOCK_RCU_GP, &op, &len))
		charge_wait(op, CGLAT_LOCK_RCU_GP, len);
	return 0;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
