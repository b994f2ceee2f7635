/* SPDX-License-Identifier: GPL-2.0 */
/*
 * rund_cgpool backends: how a pool creates, renames, fills and removes its cgroups.
 *
 * compat (backend_compat.c) uses exported VFS calls on the cgroupfs mount and runs on any
 * 6.1 kernel; fast (backend_fast.c) uses the CONFIG_CGROUP_RUND API of the host patches.
 * Limits, resets and file reads are common code (cgfile.c, limits.c) on top of both.
 *
 * Visible cgroups are renamed only through the VFS (vfs_rename(), as rename(2) does, so
 * dentries, fsnotify and readdir stay coherent): both backends claim and unclaim with
 * rund_vfs_claim()/rund_vfs_unclaim(). Pool code calls the ops through the rund_be_*()
 * wrappers in pool.h, where test builds inject faults.
 *
 * Every op may sleep. The pool calls create/claim/unclaim/attach/destroy for one cgroup
 * from one context at a time (the cgroup's owner: an ioctl or the worker), never under a
 * spinlock; open/close run at SETUP/TEARDOWN with no other op in flight.
 */
#ifndef RUND_BACKEND_H
#define RUND_BACKEND_H

#include <linux/types.h>

struct pid;
struct rund_pool;
struct rund_cg;

struct rund_backend {
	const char *name;
	/* ACQUIRE sets limits with one write to rund.config when the cgroups have it */
	bool one_write;
	/* can serve plain mkdir(2) under the pool dir (RUND_CGPOOL_SETUP_MKDIR) */
	bool mkdir;
	/* check p->dir (the pool directory) and set p->v2; may set p->priv */
	int  (*open)(struct rund_pool *p);
	void (*close)(struct rund_pool *p);
	/* make a child named cg->name; sets cg->id */
	int  (*create)(struct rund_pool *p, struct rund_cg *cg);
	/*
	 * idle -> visible as @name: rename cg->name to @name and update cg->name. When the
	 * hierarchy cannot rename (p->rename false: v2 on a stock kernel) record @name as
	 * the owner instead and keep cg->name.
	 */
	int  (*claim)(struct rund_pool *p, struct rund_cg *cg, const char *name);
	/* undo claim: back to cg->idle_name (tasks are gone; limits not yet reset) */
	int  (*unclaim)(struct rund_pool *p, struct rund_cg *cg);
	/* move the process of @pid (pinned by the caller) into the cgroup */
	int  (*attach)(struct rund_pool *p, struct rund_cg *cg, struct pid *pid);
	/* remove the (empty) cgroup cg->name */
	int  (*destroy)(struct rund_pool *p, struct rund_cg *cg);
	/* optional: finish the backend's own refill now, unpaced (STATS_SYNC) */
	void (*sync)(struct rund_pool *p);
};

extern const struct rund_backend rund_backend_compat;
int rund_vfs_claim(struct rund_pool *p, struct rund_cg *cg, const char *name);
int rund_vfs_unclaim(struct rund_pool *p, struct rund_cg *cg);
#ifdef CONFIG_CGROUP_RUND
extern const struct rund_backend rund_backend_fast;
void rund_fast_mkdir_stats(struct rund_pool *p, u64 *reserve, u64 *served);
#else
static inline void rund_fast_mkdir_stats(struct rund_pool *p, u64 *reserve, u64 *served)
{
	*reserve = 0;
	*served = 0;
}
#endif

#endif /* RUND_BACKEND_H */
