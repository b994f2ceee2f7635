/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * cglat: what a sandbox start costs the kernel's cgroup paths, and which global locks it
 * holds and waits for. Shared between cglat.bpf.c and cglat.c.
 */
#ifndef __CGLAT_H
#define __CGLAT_H

/*
 * Operations. Each is one or more kernel functions (cglat.c's op table); an operation
 * nested in another (css_alloc inside mkdir) is counted as itself, and the locks it takes
 * are charged to the innermost operation.
 */
enum cglat_op {
	CGLAT_OP_OTHER,		/* lock traffic outside every traced operation */
	CGLAT_OP_MKDIR,
	CGLAT_OP_RMDIR,
	CGLAT_OP_RENAME,
	CGLAT_OP_ATTACH,		/* cgroup.procs / cgroup.threads / tasks writes, module attach */
	CGLAT_OP_CONFIG,		/* rund.config writes */
	CGLAT_OP_ACQUIRE,		/* ioctl(RUND_CGPOOL_IOC_ACQUIRE) */
	CGLAT_OP_RELEASE,		/* ioctl(RUND_CGPOOL_IOC_RELEASE) */
	CGLAT_OP_RESERVE,		/* mkdir(2) served from a pre-created cgroup */
	CGLAT_OP_PUBLISH,		/* the module publishing a pre-created cgroup */
	CGLAT_OP_CLONE3,		/* clone3() with CLONE_INTO_CGROUP */
	CGLAT_OP_CSS_ALLOC_CPU,
	CGLAT_OP_CSS_ALLOC_CPUACCT,
	CGLAT_OP_CSS_ALLOC_CPUSET,
	CGLAT_OP_CSS_ALLOC_MEMORY,
	CGLAT_OP_CSS_ALLOC_IO,
	CGLAT_OP_CSS_ALLOC_PIDS,
	CGLAT_OP_CSS_ALLOC_FREEZER,
	CGLAT_OP_CSS_ALLOC_DEVICES,
	CGLAT_OP_CSS_ALLOC_HUGETLB,
	CGLAT_OP_CSS_ONLINE_CPU,
	CGLAT_OP_CSS_ONLINE_CPUSET,
	CGLAT_OP_CSS_ONLINE_MEMORY,
	CGLAT_OP_CSS_ONLINE_IO,
	CGLAT_OP_CSS_ONLINE_FREEZER,
	CGLAT_OP_CSS_ONLINE_DEVICES,
	/*
	 * Work that grows with the cgroups on the node, wherever it runs: a CPU bandwidth
	 * change walks every task group (tg_set_cfs_bandwidth() -> __cfs_schedulable()), a
	 * v1 cpuset change in a balancing cpuset rebuilds the sched domains over every cpuset
	 * (rebuild_sched_domains_locked()).
	 */
	CGLAT_OP_CFS_BANDWIDTH,
	CGLAT_OP_SCHED_DOMAINS,
	CGLAT_NR_OPS,
};

/* The locks every sandbox start serialises on, and RCU grace periods waited for. */
enum cglat_lock {
	CGLAT_LOCK_CGROUP_MUTEX,	/* cgroup_mutex */
	CGLAT_LOCK_THREADGROUP,	/* cgroup_threadgroup_rwsem, write side */
	CGLAT_LOCK_CSS_SET,		/* css_set_lock: hold where traceable, see cglat.bpf.c */
	CGLAT_LOCK_KERNFS,		/* the cgroup hierarchies' kernfs_rwsem, write side */
	CGLAT_LOCK_RCU_GP,		/* synchronize_rcu(): "wait" is the grace period */
	/*
	 * Not a lock: "hold" is the time a thread held at least one of the locks above
	 * (RCU_GP aside), nested holds counted once: the serial time. Locks nest on the start
	 * path (the threadgroup rwsem, css_set_lock and kernfs_rwsem inside cgroup_mutex), so
	 * the sum of their holds would count the same time twice or three times.
	 */
	CGLAT_LOCK_SERIAL,
	CGLAT_NR_LOCKS,
};

#define MAX_SLOTS	27	/* log2 microsecond slots, as biolatency */
#define MAX_DEPTH	8	/* nested operations per thread */

struct op_stat {
	__u64 count;
	__u64 total_ns;
	__u64 top_ns;		/* of total_ns, spent as the thread's outermost op */
	__u64 top_cpu_ns;	/* of top_ns, on a CPU (sched_switch) */
	__u64 max_ns;
	__u32 slots[MAX_SLOTS];
};

struct lock_stat {
	__u64 wait_count;
	__u64 wait_ns;
	__u64 wait_max_ns;
	__u64 hold_count;
	__u64 hold_ns;
	__u64 hold_max_ns;
};

/* opstats is indexed by op; lockstats by op * CGLAT_NR_LOCKS + lock. */
#define CGLAT_LOCKSTAT_IDX(op, lock)	((op) * CGLAT_NR_LOCKS + (lock))

#endif /* __CGLAT_H */
