/* SPDX-License-Identifier: GPL-2.0 */
/*
 * rund_cgpool backends: how a pool creates, renames, fills and removes its cgroups.
 *
 * compat (backend_compat.c) uses exported VFS calls on the cgroupfs mount and runs on any
 * 6.1 kernel; fast (backend_fast.c) uses the CONFIG_CGROUP_RUND API of the host patches.
 * Limits, resets and file reads are common code (cgfile.c, limits.c) on top of both.
 *
 * Every op may sleep. The pool calls create/claim/unclaim/attach/destroy for one cgroup
 * from one context at a time (the cgroup's owner: an ioctl or the worker), never under a
 * spinlock; open/close run at SETUP/TEARDOWN with no other op in flight.
 */
#ifndef RUND_BACKEND_H
#define RUND_BACKEND_H

#include <linux/types.h>

struct rund_pool;
struct rund_cg;

struct rund_backend {
	const char *name;
	/* ACQUIRE sets limits with one write to rund.config when the cgroups have it */
	bool one_write;
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
	int  (*attach)(struct rund_pool *p, struct rund_cg *cg, pid_t pid);
	/* remove the (empty) cgroup cg->name */
	int  (*destroy)(struct rund_pool *p, struct rund_cg *cg);
};

extern const struct rund_backend rund_backend_compat;
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
