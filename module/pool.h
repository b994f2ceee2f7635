/* SPDX-License-Identifier: GPL-2.0 */
/*
 * rund_cgpool internals: the pool, its cgroups and the helpers shared by the files.
 *
 * Life of a cgroup (struct rund_cg):
 *   IDLE --ACQUIRE--> CLAIMING --claimed, limited, attached--> BUSY --RELEASE--> removed
 *   (default policy: a sandbox only ever gets a cgroup no sandbox used; refill makes new
 *   ones). With RUND_CGPOOL_SETUP_RECYCLE, RELEASE renames it back and
 *   RECYCLING --scrub, reclaim, reset--> IDLE   (destroyed instead when idle >= size;
 *                                      destroyed and replaced when it cannot be scrubbed)
 *   RECYCLING --a task is still inside--> STUCK --retried by p->work--> ...
 * A cgroup that must go but whose rmdir failed is STUCK and doomed: p->work retries the
 * rmdir, and while it is under a sandbox name that name stays reserved.
 * A cgroup holds a reference on the module whenever it is not IDLE, so rmmod is refused
 * while any sandbox holds one (or one is on its way back).
 *
 * Locking: p->lock (a spinlock) covers the idle and stuck lists, both hash tables and
 * cg->state; it is held for O(1) list and hash operations only, never across VFS calls. A
 * cgroup in a state other than IDLE is owned by exactly one context (the ioctl that moved
 * it there, or its recycle work), which alone renames it or writes its files.
 *
 * Released cgroups are recycled in parallel, one work item each on rund_wq; p->work
 * refills the pool and retries stuck cgroups. The refill is paced (recycle.c): while
 * ACQUIREs keep coming it waits, so that its mkdirs do not take cgroup_mutex in the middle
 * of a burst of sandbox starts, unless the pool is about to run dry.
 */
#ifndef RUND_POOL_H
#define RUND_POOL_H

#include <linux/atomic.h>
#include <linux/completion.h>
#include <linux/hashtable.h>
#include <linux/limits.h>
#include <linux/list.h>
#include <linux/mutex.h>
#include <linux/path.h>
#include <linux/printk.h>
#include <linux/refcount.h>
#include <linux/spinlock.h>
#include <linux/workqueue.h>
#include <uapi/linux/rund_cgpool.h>

#include "backend.h"
#include "fault.h"

#define RUND_IDLE_NAME_LEN	32
#define RUND_OWNER_XATTR	"trusted.rund.sandbox"
#define RUND_MARK_XATTR		RUND_CGPOOL_MARK_XATTR	/* made by the pool (adoption) */
#define RUND_XATTR_PREFIX	"trusted.rund."		/* the pool's own xattrs */

/* One line in dmesg per rejected request; a separate rate limit per call site. */
#define rund_bad(fmt, ...)	pr_info_ratelimited(fmt, ##__VA_ARGS__)

/*
 * @flags may hold only @known bits: else -EINVAL and one dmesg line naming the others.
 * A macro, so that every caller keeps its own rate limit, as rund_bad() promises.
 */
#define rund_flags_check(what, flags, known) ({					\
	u32 __unknown = (flags) & ~(u32)(known);				\
										\
	if (__unknown)								\
		rund_bad("%s: unknown flags 0x%x\n", (what), __unknown);	\
	__unknown ? -EINVAL : 0;						\
})

/*
 * Pacing of one refill (the pool's, the mkdir reserve's), see rund_pace(). Both fields
 * are read and written with READ/WRITE_ONCE from the ioctls and the refill's worker.
 */
struct rund_pace {
	unsigned long last;		/* jiffies of the latest start the refill serves */
	unsigned long held;		/* jiffies it was first held back; 0: it is not */
};

enum rund_cg_state {
	RUND_CG_IDLE,
	RUND_CG_CLAIMING,
	RUND_CG_BUSY,
	RUND_CG_RELEASING,
	RUND_CG_RECYCLING,
	RUND_CG_STUCK,
};

struct rund_cg {
	struct list_head node;		/* p->idle or p->stuck */
	struct work_struct work;	/* recycles it after RELEASE */
	struct rund_pool *pool;
	struct hlist_node hname;	/* p->by_name, from CLAIMING to RECYCLING */
	struct hlist_node hid;		/* p->by_id, while BUSY or RELEASING */
	u64 id;				/* cgroup id (kernfs ino) */
	enum rund_cg_state state;
	char name[NAME_MAX + 1];	/* directory name now */
	char idle_name[RUND_IDLE_NAME_LEN];
	char sandbox[NAME_MAX + 1];	/* owner while acquired */
	bool doomed;			/* STUCK: remove it, do not recycle it */
	void *priv;			/* backend private */
};

struct rund_pool {
	struct path dir;		/* the pool directory */
	const struct rund_backend *be;
	void *priv;			/* backend private */
	bool v2;			/* unified hierarchy */
	bool rename;			/* claims rename (false: v2 without rename support) */
	bool recycle;			/* RUND_CGPOOL_SETUP_RECYCLE */
	bool mkdir;			/* RUND_CGPOOL_SETUP_MKDIR: serve plain mkdir(2) */
	const struct cred *cred;	/* SETUP caller's: the workers create with it */
	bool closing;			/* under p->lock: TEARDOWN is going ahead */
	u32 size, low;
	struct rund_cgpool_limits defaults;

	spinlock_t lock;		/* idle, by_name, by_id, cg->state, closing */
	/*
	 * ACQUIREs with a process: the one-sandbox check, the attach and the BUSY
	 * tracking as one step, so that two ACQUIREs of one process cannot both pass
	 * the check before either has attached it. Outside p->lock; the attach sleeps.
	 */
	struct mutex attach_lock;
	struct list_head idle;
	wait_queue_head_t idle_wq;	/* ACQUIREs waiting out a recycle backlog */
	DECLARE_HASHTABLE(by_name, 10);
	DECLARE_HASHTABLE(by_id, 10);

	struct list_head stuck;		/* under p->lock */
	unsigned int coming;		/* under p->lock: recycles headed for idle */
	struct delayed_work work;	/* refill, retry stuck cgroups; delayed: paced */
	struct rund_pace pace;		/* of the refill: by the latest ACQUIRE */
	atomic_t syncing;		/* rund_flush() waiting: refill unpaced */
	bool refilling;			/* p->work only: a refill is under way */
	bool unpublished;		/* TEARDOWN/unload: no more refills; WRITE_ONCE */
	atomic64_t seq;			/* idle name numbers */
	unsigned long extras;		/* reset files this hierarchy has (limits.c) */
	bool one_write;			/* SET through rund.config (limits.c) */
	bool cpuset_lb;			/* v1: pool cgroups have cpuset.sched_load_balance */
	bool cpuset_quiet;		/* ...and get 0 there (limits.c) */
	bool cpuset_cloned;		/* ...and start with CPUs (v1 clone_children) */

	refcount_t users;		/* in-flight ioctls + 1 while published */
	struct completion users_done;

	atomic_long_t nr_total, nr_idle, nr_busy, nr_recycling, nr_stuck;
	atomic64_t acquired, released, fallbacks, refills, recycled, replaced, destroyed;
	atomic64_t adopted, prefilled;
};

/* The backend ops, with the faults test builds inject (fault.h). */
static inline int rund_be_create(struct rund_pool *p, struct rund_cg *cg)
{
	return rund_fault(RUND_FAULT_CREATE) ?: p->be->create(p, cg);
}

static inline int rund_be_claim(struct rund_pool *p, struct rund_cg *cg, const char *name)
{
	return rund_fault(RUND_FAULT_CLAIM) ?: p->be->claim(p, cg, name);
}

static inline int rund_be_unclaim(struct rund_pool *p, struct rund_cg *cg)
{
	return rund_fault(RUND_FAULT_UNCLAIM) ?: p->be->unclaim(p, cg);
}

static inline int rund_be_attach(struct rund_pool *p, struct rund_cg *cg, struct pid *pid)
{
	rund_fault_delay(RUND_DELAY_ATTACH);
	return rund_fault(RUND_FAULT_ATTACH) ?: p->be->attach(p, cg, pid);
}

static inline int rund_be_destroy(struct rund_pool *p, struct rund_cg *cg)
{
	return rund_fault(RUND_FAULT_DESTROY) ?: p->be->destroy(p, cg);
}

/* main.c */

extern const struct rund_backend *rund_backend;
extern struct workqueue_struct *rund_wq;
extern unsigned int refill_quiet_ms;

/* pool.c */
struct rund_pool *rund_pool_get(void);
void rund_pool_put(struct rund_pool *p);
int rund_pool_setup(const struct rund_cgpool_setup *s);
int rund_pool_teardown(const struct rund_cgpool_teardown *t);
void rund_pool_exit(void);
void rund_pool_stats(struct rund_pool *p, struct rund_cgpool_stats *st);

/*
 * An fd an ioctl hands out: reserved and opened by the ioctl's handler, installed in the
 * caller's table by rund_ioctl() only once the outputs reached the caller, else dropped.
 */
struct rund_out_fd {
	int fd;			/* from get_unused_fd_flags(), or -1: none */
	struct file *file;
};

/* sandbox.c: the start and stop paths */
int rund_acquire(struct rund_pool *p, struct rund_cgpool_acquire *a, u32 usize,
		 struct rund_out_fd *ofd);
int rund_release(struct rund_pool *p, const struct rund_cgpool_release *r);
int rund_lookup(struct rund_pool *p, struct rund_cgpool_lookup *l);
int rund_name_check(const char *what, const char *name);
struct rund_cg *rund_cg_alloc(struct rund_pool *p);
void rund_cg_track_busy(struct rund_pool *p, struct rund_cg *cg, const char *name);

/* recycle.c: the workers */
void rund_work(struct work_struct *work);
void rund_recycle_work(struct work_struct *work);
void rund_recycle(struct rund_pool *p, struct rund_cg *cg);
void rund_flush(struct rund_pool *p);
void rund_refill_kick(struct rund_pool *p);
void rund_pace_start(struct rund_pace *ps);
unsigned long rund_pace(struct rund_pool *p, struct rund_pace *ps, long have);
void rund_pace_done(struct rund_pace *ps);
void rund_pace_kick(struct delayed_work *w, unsigned long wait);
int rund_cg_new(struct rund_pool *p, struct rund_cg *cg);
void rund_cg_destroy(struct rund_pool *p, struct rund_cg *cg);
void rund_cg_retire(struct rund_pool *p, struct rund_cg *cg);
void rund_cg_park(struct rund_pool *p, struct rund_cg *cg, bool doomed);
void rund_cg_make_idle(struct rund_pool *p, struct rund_cg *cg, bool slot);
int rund_add_new(struct rund_pool *p, atomic64_t *counter, bool slot);
void rund_recycle_one(struct rund_pool *p, struct rund_cg *cg);

/* cgfile.c: interface files of the pool dir (@cg NULL) or of a child, by path */
int rund_cg_write(struct rund_pool *p, const char *cg, const char *file, const char *val);
ssize_t rund_cg_read(struct rund_pool *p, const char *cg, const char *file,
		     char *buf, size_t len);
int rund_cg_read_u64(struct rund_pool *p, const char *cg, const char *file, u64 *val);
bool rund_cg_has(struct rund_pool *p, const char *cg, const char *file);
int rund_cg_stat_id(struct rund_pool *p, const char *cg, u64 *id);
int rund_cg_owner(struct rund_pool *p, const char *cg, char *buf, size_t len);
int rund_cg_set_owner(struct rund_pool *p, const char *cg, const char *owner);
int rund_cg_mark(struct rund_pool *p, const char *cg);
bool rund_cg_marked(struct rund_pool *p, const char *cg);
int rund_cg_populated(struct rund_pool *p, const char *cg);

/* limits.c */
enum rund_apply {
	RUND_APPLY_SET,		/* ACQUIRE: the fields in lim->mask an idle cgroup lacks */
	RUND_APPLY_WRITE,	/* write the fields in lim->mask */
	RUND_APPLY_FRESH,	/* a new cgroup: the defaults (+ v1 cpuset from the parent) */
	RUND_APPLY_RESET,	/* every managed file back to what FRESH leaves */
};

int rund_limits_check(const char *what, const struct rund_cgpool_limits *lim);
int rund_limits_apply(struct rund_pool *p, struct rund_cg *cg,
		      const struct rund_cgpool_limits *lim, enum rund_apply how);
int rund_controllers_check(struct rund_pool *p, const char *cg);
void rund_limits_probe(struct rund_pool *p, const char *cg);
int rund_reclaim(struct rund_pool *p, struct rund_cg *cg);

/* scrub.c: what RUND_CGPOOL_SETUP_RECYCLE must remove before a cgroup is reused */
int rund_scrub(struct rund_pool *p, struct rund_cg *cg);

/* sysfs.c */
int rund_sysfs_init(void);
void rund_sysfs_exit(void);

#endif /* RUND_POOL_H */
