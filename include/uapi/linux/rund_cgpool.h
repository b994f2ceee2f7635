/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * rund_cgpool: a pool of pre-created idle cgroups handed to sandboxes by rename.
 *
 * Misc device /dev/rund_cgpool; every ioctl needs CAP_SYS_ADMIN.
 *
 * Every argument struct starts with "__u32 size", set by the caller to sizeof() the struct
 * it was built with. The module accepts any size from the struct's *_SIZE_VER0 up to a
 * page: a smaller (older) struct is zero-extended, a larger (newer) one is accepted when
 * every byte the module does not know is zero (as copy_struct_from_user() does), else the
 * ioctl fails with E2BIG. Output fields are copied back up to the caller's size. The size
 * bits of the ioctl number are not checked: "size" is the one source of truth.
 *
 * Errors (each also logs one line in dmesg naming the problem):
 *   EPERM      caller lacks CAP_SYS_ADMIN
 *   ENOTTY     unknown ioctl
 *   EFAULT     bad pointer
 *   EMSGSIZE   size smaller than *_SIZE_VER0 or larger than a page
 *   E2BIG      size larger than the module's struct with non-zero unknown bytes
 *   EINVAL     invalid name ('/', '\n', ".", "..", empty, the reserved ".rund-" prefix),
 *              unknown flag bits, non-zero reserved fields, both or neither of name/id,
 *              both a pid and ACQUIRE_PIDFD, ACQUIRE_CGROUP_FD in a struct smaller
 *              than RUND_CGPOOL_ACQUIRE_SIZE_VER1
 *   ENAMETOOLONG name not NUL-terminated within NAME_MAX + 1 bytes
 *   EEXIST     ACQUIRE: the name is in use (pool sandbox or foreign directory)
 *   ENOENT     RELEASE/LOOKUP: no acquired sandbox has that name or id (RELEASE of a
 *              sandbox whose cgroup the runtime removed itself succeeds)
 *   ESRCH      ACQUIRE: the process of the pidfd has exited (its pid may have been
 *              reused: nothing is attached), or the pid does not exist
 *   EBADF      ACQUIRE: pidfd is not an open pidfd; SETUP: dirfd is not an open fd
 *   EBUSY      ACQUIRE: the pid is in another sandbox's cgroup; TEARDOWN: sandboxes busy
 *   ENOTEMPTY  RELEASE: the cgroup still has tasks or child cgroups (clean up first)
 *   ERANGE     limits or pool sizes out of range, or a limit the kernel refused
 *   EMFILE     ACQUIRE_CGROUP_FD: the caller's fd table is full (nothing acquired)
 *   EALREADY   SETUP while a pool is set up (one pool per module, so per hierarchy)
 *   ENODEV     anything but SETUP/STATS before SETUP
 *   ENOTDIR    SETUP: dirfd is not a cgroup directory on a cgroupfs mount
 *   EOPNOTSUPP SETUP: the hierarchy lacks cpu, cpuset, memory or pids (v1 mounted one
 *              controller per hierarchy); dmesg names the missing controllers;
 *              SETUP_MKDIR on a kernel without the rund host patches
 */
#ifndef _UAPI_LINUX_RUND_CGPOOL_H
#define _UAPI_LINUX_RUND_CGPOOL_H

#include <linux/ioctl.h>
#include <linux/types.h>

#define RUND_CGPOOL_DEVICE	"/dev/rund_cgpool"
/*
 * 2: ACQUIRE takes a pidfd (RUND_CGPOOL_ACQUIRE_PIDFD); SETUP_RECYCLE; by default a pool
 *    hands out only never-used cgroups. The pid field stays for this ABI version only.
 * 3: ACQUIRE returns the cgroup as an fd (RUND_CGPOOL_ACQUIRE_CGROUP_FD, struct size
 *    RUND_CGPOOL_ACQUIRE_SIZE_VER1); ABI 2 structs and calls work unchanged.
 */
#define RUND_CGPOOL_ABI_VERSION	3
#define RUND_CGPOOL_NAME_LEN	256	/* NAME_MAX + 1 */
/* Directory names starting with this belong to the pool (idle cgroups). */
#define RUND_CGPOOL_IDLE_PREFIX	".rund-idle-"
/* xattr on every cgroup the pool made, idle or acquired (reload adopts only those) */
#define RUND_CGPOOL_MARK_XATTR	"trusted.rund.pool"

/* struct rund_cgpool_limits.mask: which fields are set */
#define RUND_CGPOOL_LIM_CPU		(1U << 0)	/* cpu_quota_us + cpu_period_us */
#define RUND_CGPOOL_LIM_CPUSET_CPUS	(1U << 1)
#define RUND_CGPOOL_LIM_CPUSET_MEMS	(1U << 2)
#define RUND_CGPOOL_LIM_MEMORY		(1U << 3)
#define RUND_CGPOOL_LIM_PIDS		(1U << 4)
#define RUND_CGPOOL_LIM_ALL		0x1fU

#define RUND_CGPOOL_UNLIMITED		(~0ULL)	/* memory_max, pids_max: "max" */
#define RUND_CGPOOL_CPU_PERIOD_MIN	1000U		/* us, as the kernel's cpu.max */
#define RUND_CGPOOL_CPU_PERIOD_MAX	1000000U
#define RUND_CGPOOL_CPU_QUOTA_MIN	1000LL
#define RUND_CGPOOL_CPU_QUOTA_MAX	(1LL << 40)	/* us, below the kernel's bound */
#define RUND_CGPOOL_MEMORY_MIN		4096ULL
#define RUND_CGPOOL_PIDS_MAX		(1ULL << 22)	/* PID_MAX_LIMIT on 64-bit */
#define RUND_CGPOOL_CPUSET_LEN		128

/*
 * Limits of one sandbox. Unset fields keep the pool's default (ACQUIRE) or the kernel's
 * default for a new cgroup (SETUP defaults: no limit, inherited cpuset).
 */
struct rund_cgpool_limits {
	__u32 mask;			/* RUND_CGPOOL_LIM_* */
	__u32 cpu_period_us;		/* [CPU_PERIOD_MIN, CPU_PERIOD_MAX] */
	__s64 cpu_quota_us;		/* -1 = no limit, or [CPU_QUOTA_MIN, CPU_QUOTA_MAX] */
	__u64 memory_max;		/* bytes, >= MEMORY_MIN, or RUND_CGPOOL_UNLIMITED */
	__u64 pids_max;			/* [1, PIDS_MAX] or RUND_CGPOOL_UNLIMITED */
	char cpuset_cpus[RUND_CGPOOL_CPUSET_LEN];	/* "0-3,6": digits ',' '-' only */
	char cpuset_mems[RUND_CGPOOL_CPUSET_LEN];
};

/*
 * SETUP flags.
 *
 * Default policy: a released cgroup is removed (rmdir) and the pool refills with new
 * ones, so every ACQUIRE hands out a cgroup no sandbox has used: new cgroup id, zero
 * counters, root-owned, no BPF program, no xattr, default limits.
 *
 * RUND_CGPOOL_SETUP_RECYCLE: released cgroups are reused. The worker resets every limit
 * the pool manages plus memory.oom.group, hugetlb limits and io.max, and replaces (removes
 * and remakes) a cgroup that has a BPF program attached, an owner, group or mode changed
 * on it or one of its files, an xattr it did not set, a setting it does not reset that
 * reads unlike a new cgroup's (v2: cgroup.subtree_control, cgroup.max.*, memory.swap.high,
 * memory.zswap.max, cpu.max.burst, cpu.uclamp.*, io.latency, io.prio.class,
 * cpuset.cpus.partition; v1: notify_on_release, clone_children, swappiness, oom_control,
 * move_charge_at_immigrate, the cpuset flags, cpu.rt_runtime_us, cpu.cfs_burst_us), or
 * memory it cannot reclaim. What
 * still carries over to the next sandbox: the cgroup id and the cumulative counters
 * (cpu.stat, memory.events, memory.stat, memory.peak, pids.events, io.stat; v1
 * cpuacct.*, memory.failcnt is reset). Use it only where one tenant reuses its cgroups
 * or those counters are not used for accounting.
 */
#define RUND_CGPOOL_SETUP_RECYCLE	(1U << 0)
/*
 * RUND_CGPOOL_SETUP_MKDIR: also serve plain mkdir(2) by root under the pool directory
 * from a reserve of pre-created cgroups (module parameter mkdir_reserve), so runtimes
 * that create their cgroup themselves (runc, Kata) get one without any change. Needs a
 * kernel with the rund host patches (fast backend): EOPNOTSUPP otherwise. A served
 * mkdir(2) is indistinguishable from a regular one: the reserve is made with the SETUP
 * caller's credentials, and a reserved cgroup that no longer matches what mkdir(2) would
 * make under the pool directory now (v1 clone_children, memory.swappiness,
 * memory.oom_control changed since) is dropped and the mkdir(2) takes the regular path.
 */
#define RUND_CGPOOL_SETUP_MKDIR		(1U << 1)

/* SETUP: make the pool. */
struct rund_cgpool_setup {
	__u32 size;
	__u32 flags;			/* RUND_CGPOOL_SETUP_* */
	__s32 dirfd;			/* O_PATH or O_DIRECTORY fd of the pool cgroup dir */
	__u32 pool_size;		/* idle cgroups to pre-create, [1, RUND_CGPOOL_MAX_SIZE] */
	__u32 low_watermark;		/* refill to pool_size when idle < this (paced: see
					 * the module's refill_quiet_ms); <= pool_size */
	__u32 reserved;			/* 0 */
	struct rund_cgpool_limits defaults;
};

#define RUND_CGPOOL_SETUP_SIZE_VER0	sizeof(struct rund_cgpool_setup)
#define RUND_CGPOOL_MAX_SIZE		4096U

/* ACQUIRE flags */
#define RUND_CGPOOL_ACQUIRE_PIDFD	(1U << 0)	/* attach the process of @pidfd */
#define RUND_CGPOOL_ACQUIRE_CGROUP_FD	(1U << 1)	/* return the cgroup in @cgroup_fd */

/*
 * ACQUIRE: hand a cgroup to sandbox @name, optionally attaching a process.
 *
 * With RUND_CGPOOL_ACQUIRE_PIDFD the process is named by a pidfd (pidfd_open(2),
 * clone3(CLONE_PIDFD)): it is pinned from the checks to the attach and a process that
 * has exited fails with ESRCH, even if its pid number now names another process. @pid
 * (a number) is deprecated and kept for this ABI version only: between the caller's
 * choice of the number and the attach the process can exit and the number be reused,
 * and the newcomer would be attached.
 *
 * With RUND_CGPOOL_ACQUIRE_CGROUP_FD the sandbox's cgroup directory is also returned as
 * an O_PATH | O_CLOEXEC fd in @cgroup_fd (struct of at least ACQUIRE_SIZE_VER1 bytes). A
 * runtime passes it to clone3(CLONE_INTO_CGROUP) (cgroup v2) to create the sandbox's
 * first process directly in the cgroup: no migration of a running process, which costs
 * more than the clone itself. The fd names the cgroup, not the path: a RELEASE while it is
 * open makes a later clone3 into it fail (ENOENT: the cgroup is gone), never land in
 * another sandbox's cgroup. Closing it is the caller's job; it is installed only when the
 * ioctl succeeds.
 */
struct rund_cgpool_acquire {
	__u32 size;
	__u32 flags;			/* RUND_CGPOOL_ACQUIRE_* */
	__s32 pid;			/* 0 = none, else a process (racy, see above) */
	__s32 pidfd;			/* with ACQUIRE_PIDFD: a pidfd; pid must be 0 */
	char name[RUND_CGPOOL_NAME_LEN];
	struct rund_cgpool_limits limits;
	/* out */
	__u64 id;			/* cgroup id: kernfs ino, as statx()/name_to_handle_at() */
	__u32 out_flags;		/* RUND_CGPOOL_OUT_* */
	__u32 reserved2;
	char path[RUND_CGPOOL_NAME_LEN];	/* cgroup dir, relative to the pool dir */
	/* RUND_CGPOOL_ACQUIRE_SIZE_VER0 ends here */
	__s32 cgroup_fd;		/* out, with ACQUIRE_CGROUP_FD; else -1 */
	__u32 reserved3;		/* 0 */
};

#define RUND_CGPOOL_ACQUIRE_SIZE_VER0	832
#define RUND_CGPOOL_ACQUIRE_SIZE_VER1	sizeof(struct rund_cgpool_acquire)

/* out_flags */
#define RUND_CGPOOL_OUT_FALLBACK	(1U << 0)	/* pool was dry: made by mkdir */
#define RUND_CGPOOL_OUT_RENAMED		(1U << 1)	/* path == name (rename supported) */

/*
 * RELEASE: give a sandbox's cgroup back; exactly one of @name, @id. With
 * RUND_CGPOOL_RELEASE_EXACT both: the sandbox @name only while it holds cgroup @id (ENOENT
 * otherwise). A recycled cgroup keeps its id: a caller that read (name, id) earlier, as
 * `rund-cgpool gc` does, cannot release the next sandbox that got the cgroup meanwhile.
 */
#define RUND_CGPOOL_RELEASE_EXACT	(1U << 0)

struct rund_cgpool_release {
	__u32 size;
	__u32 flags;			/* RUND_CGPOOL_RELEASE_* */
	__u64 id;
	char name[RUND_CGPOOL_NAME_LEN];
};

#define RUND_CGPOOL_RELEASE_SIZE_VER0	sizeof(struct rund_cgpool_release)

/*
 * LOOKUP: find an acquired sandbox by exactly one of @name, @id; fills the other + path.
 *
 * With RUND_CGPOOL_LOOKUP_NEXT, @name empty: the acquired sandbox with the smallest
 * cgroup id above @id (0: the first), ENOENT past the last. Starting at 0 and feeding
 * each answer's @id back lists every sandbox once, in cgroup id order, however many are
 * acquired or released meanwhile (those may or may not be listed); it is how a runtime
 * finds what a crashed caller left acquired (`rund-cgpool gc`).
 */
#define RUND_CGPOOL_LOOKUP_NEXT		(1U << 0)

struct rund_cgpool_lookup {
	__u32 size;
	__u32 flags;			/* RUND_CGPOOL_LOOKUP_* */
	__u64 id;			/* in/out */
	char name[RUND_CGPOOL_NAME_LEN];	/* in/out */
	char path[RUND_CGPOOL_NAME_LEN];	/* out */
};

#define RUND_CGPOOL_LOOKUP_SIZE_VER0	sizeof(struct rund_cgpool_lookup)

/* STATS flags */
#define RUND_CGPOOL_STATS_SYNC		(1U << 0)	/* finish background work first */

/* STATS pool_flags */
#define RUND_CGPOOL_POOL_SETUP		(1U << 0)	/* a pool is set up */
#define RUND_CGPOOL_POOL_V2		(1U << 1)	/* on the unified hierarchy */
#define RUND_CGPOOL_POOL_RENAME		(1U << 2)	/* claims rename to the sandbox name */
#define RUND_CGPOOL_POOL_RECYCLE	(1U << 3)	/* SETUP_RECYCLE in force */
#define RUND_CGPOOL_POOL_MKDIR		(1U << 4)	/* plain mkdir(2) served (SETUP_MKDIR) */

/*
 * STATS: counters. At rest (after STATS_SYNC with no ioctl in flight)
 *   idle + busy + stuck == total == adopted + prefilled + refills + fallbacks - destroyed
 */
struct rund_cgpool_stats {
	__u32 size;
	__u32 flags;			/* in: RUND_CGPOOL_STATS_* */
	__u32 abi_version;		/* out: RUND_CGPOOL_ABI_VERSION */
	__u32 pool_flags;		/* out: RUND_CGPOOL_POOL_* */
	char backend[16];
	__u64 pool_size;		/* configured size */
	__u64 low_watermark;
	__u64 total;			/* cgroups the pool holds (any state) */
	__u64 idle;
	__u64 busy;			/* acquired (incl. ones being claimed) */
	__u64 recycling;		/* released, not yet idle */
	__u64 stuck;			/* released but a task entered: retried */
	__u64 acquired;
	__u64 released;
	__u64 fallbacks;		/* ACQUIREs served by mkdir on a dry pool */
	__u64 refills;			/* mkdirs by the background refill */
	__u64 recycled;			/* released cgroups made idle again */
	__u64 replaced;			/* recycled cgroups destroyed: memory not reclaimable */
	__u64 destroyed;		/* removed: released (default policy), replaced,
					 * trimmed, or found removed behind the pool */
	__u64 adopted;			/* children found in the pool dir at SETUP */
	__u64 prefilled;		/* mkdirs by SETUP */
	/* RUND_CGPOOL_STATS_SIZE_VER0 ends here */
	__u64 mkdir_reserve;		/* fast backend: withheld cgroups for plain mkdir(2) */
	__u64 mkdir_served;		/* plain mkdir(2)s served from that reserve */
};

#define RUND_CGPOOL_STATS_SIZE_VER0	160
#define RUND_CGPOOL_STATS_SIZE_VER1	sizeof(struct rund_cgpool_stats)

/* TEARDOWN flags */
#define RUND_CGPOOL_TEARDOWN_KEEP_BUSY	(1U << 0)	/* leave acquired cgroups in place */

/*
 * TEARDOWN: remove the idle cgroups and forget the pool. Fails with EBUSY while sandboxes
 * hold cgroups, unless KEEP_BUSY: then they stay as plain cgroups and a later SETUP on the
 * same directory adopts them.
 */
struct rund_cgpool_teardown {
	__u32 size;
	__u32 flags;
};

#define RUND_CGPOOL_TEARDOWN_SIZE_VER0	sizeof(struct rund_cgpool_teardown)

#define RUND_CGPOOL_IOC_MAGIC	0xCB
#define RUND_CGPOOL_IOC_SETUP	_IOW(RUND_CGPOOL_IOC_MAGIC, 0x80, struct rund_cgpool_setup)
#define RUND_CGPOOL_IOC_ACQUIRE	_IOWR(RUND_CGPOOL_IOC_MAGIC, 0x81, struct rund_cgpool_acquire)
#define RUND_CGPOOL_IOC_RELEASE	_IOW(RUND_CGPOOL_IOC_MAGIC, 0x82, struct rund_cgpool_release)
#define RUND_CGPOOL_IOC_STATS	_IOWR(RUND_CGPOOL_IOC_MAGIC, 0x83, struct rund_cgpool_stats)
#define RUND_CGPOOL_IOC_LOOKUP	_IOWR(RUND_CGPOOL_IOC_MAGIC, 0x84, struct rund_cgpool_lookup)
#define RUND_CGPOOL_IOC_TEARDOWN _IOW(RUND_CGPOOL_IOC_MAGIC, 0x85, struct rund_cgpool_teardown)

#endif /* _UAPI_LINUX_RUND_CGPOOL_H */
