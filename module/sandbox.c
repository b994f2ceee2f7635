// SPDX-License-Identifier: GPL-2.0
/*
 * rund_cgpool: the start and stop paths of a sandbox (ACQUIRE, RELEASE, LOOKUP).
 *
 * ACQUIRE = pick an idle cgroup (O(1) under p->lock) -> claim (rename) -> limits ->
 * attach; only a dry pool costs a mkdir. RELEASE refuses a cgroup that still has tasks
 * (-ENOTEMPTY: tasks are never migrated behind the runtime's back; on v2 the pool dir's
 * parent could not take them anyway), renames it back to its idle name at once, so the
 * sandbox name is free for reuse when RELEASE returns, and queues the rest (limit reset,
 * memory reclaim, return to the idle list) to the worker.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/cgroup.h>
#include <linux/module.h>
#include <linux/pid.h>
#include <linux/rcupdate.h>
#include <linux/sched.h>
#include <linux/slab.h>
#include <linux/stringhash.h>
#include <linux/wait.h>

#include "pool.h"

/* 0, or -EINVAL/-ENAMETOOLONG and one dmesg line; @name is a NAME_LEN array. */
int rund_name_check(const char *what, const char *name)
{
	size_t len = strnlen(name, RUND_CGPOOL_NAME_LEN);

	if (len == RUND_CGPOOL_NAME_LEN) {
		rund_bad("%s: name longer than NAME_MAX (%d)\n", what, NAME_MAX);
		return -ENAMETOOLONG;
	}
	if (!len) {
		rund_bad("%s: empty name\n", what);
		return -EINVAL;
	}
	if (!strcmp(name, ".") || !strcmp(name, "..")) {
		rund_bad("%s: invalid name '%s'\n", what, name);
		return -EINVAL;
	}
	if (strchr(name, '/')) {
		rund_bad("%s: name '%*pE' contains '/'\n", what, (int)len, name);
		return -EINVAL;
	}
	if (strchr(name, '\n')) {
		rund_bad("%s: name '%*pE' contains a newline\n", what, (int)len, name);
		return -EINVAL;
	}
	if (!strncmp(name, RUND_CGPOOL_IDLE_PREFIX, strlen(RUND_CGPOOL_IDLE_PREFIX))) {
		rund_bad("%s: name '%*pE' uses the pool's reserved prefix '%s'\n", what,
			 (int)len, name, RUND_CGPOOL_IDLE_PREFIX);
		return -EINVAL;
	}
	return 0;
}

static u32 rund_name_hash(const char *name)
{
	return full_name_hash(NULL, name, strlen(name));
}

static struct rund_cg *rund_find_name(struct rund_pool *p, const char *name)
{
	struct rund_cg *cg;

	lockdep_assert_held(&p->lock);
	hash_for_each_possible(p->by_name, cg, hname, rund_name_hash(name))
		if (!strcmp(cg->sandbox, name))
			return cg;
	return NULL;
}

static struct rund_cg *rund_find_id(struct rund_pool *p, u64 id)
{
	struct rund_cg *cg;

	lockdep_assert_held(&p->lock);
	hash_for_each_possible(p->by_id, cg, hid, id)
		if (cg->id == id)
			return cg;
	return NULL;
}

struct rund_cg *rund_cg_alloc(struct rund_pool *p)
{
	struct rund_cg *cg = kzalloc(sizeof(*cg), GFP_KERNEL);

	if (!cg)
		return NULL;
	INIT_LIST_HEAD(&cg->node);
	INIT_WORK(&cg->work, rund_recycle_work);
	cg->pool = p;
	snprintf(cg->idle_name, sizeof(cg->idle_name), RUND_CGPOOL_IDLE_PREFIX "%llu",
		 (u64)atomic64_inc_return(&p->seq));
	strscpy(cg->name, cg->idle_name, sizeof(cg->name));
	return cg;
}

/* A claimed cgroup becomes BUSY: findable by name and id, pins the module. */
void rund_cg_track_busy(struct rund_pool *p, struct rund_cg *cg, const char *name)
{
	spin_lock(&p->lock);
	if (cg->state != RUND_CG_CLAIMING) {
		strscpy(cg->sandbox, name, sizeof(cg->sandbox));
		hash_add(p->by_name, &cg->hname, rund_name_hash(name));
		atomic_long_inc(&p->nr_busy);
		__module_get(THIS_MODULE);
	}
	cg->state = RUND_CG_BUSY;
	hash_add(p->by_id, &cg->hid, cg->id);
	spin_unlock(&p->lock);
}

/*
 * A dry pool with at least size cgroups queued for recycling is releasing faster than the
 * worker recycles: a fallback mkdir now would only lengthen the queue (each one comes back
 * to be destroyed), and under sustained load the queue grows without bound - seen as
 * thousands of cgroups in flight and, after an hour of 64-thread stress, an OOM. Wait up
 * to RUND_BACKLOG_WAIT for a recycled cgroup instead; then fall back anyway: ACQUIRE never
 * fails because the pool is dry.
 */
#define RUND_BACKLOG_WAIT	HZ

static bool rund_backlogged(struct rund_pool *p)
{
	return !atomic_long_read(&p->nr_idle) &&
	       atomic_long_read(&p->nr_recycling) >= p->size;
}

/*
 * Take an idle cgroup for @name, or a new struct for a fallback mkdir (*fresh set). The
 * name is reserved in the same critical section: a duplicate fails with -EEXIST.
 */
static struct rund_cg *rund_pick(struct rund_pool *p, const char *name, bool *fresh)
{
	struct rund_cg *cg, *spare = NULL;
	u32 hash = rund_name_hash(name);
	bool waited = false;

	for (;;) {
		spin_lock(&p->lock);
		if (rund_find_name(p, name)) {
			spin_unlock(&p->lock);
			kfree(spare);
			rund_bad("ACQUIRE: sandbox '%s' already holds a cgroup\n", name);
			return ERR_PTR(-EEXIST);
		}
		cg = list_first_entry_or_null(&p->idle, struct rund_cg, node);
		if (cg) {
			list_del_init(&cg->node);
			atomic_long_dec(&p->nr_idle);
		} else if (spare) {
			cg = spare;
			spare = NULL;
			*fresh = true;
		}
		if (cg) {
			cg->state = RUND_CG_CLAIMING;
			strscpy(cg->sandbox, name, sizeof(cg->sandbox));
			hash_add(p->by_name, &cg->hname, hash);
			atomic_long_inc(&p->nr_busy);
			__module_get(THIS_MODULE);
		}
		spin_unlock(&p->lock);
		if (cg) {
			kfree(spare);
			return cg;
		}
		if (!waited && rund_backlogged(p)) {
			waited = true;
			/* a signal or the timeout: fall back below */
			wait_event_interruptible_timeout(p->idle_wq, !rund_backlogged(p),
							 RUND_BACKLOG_WAIT);
			continue;
		}
		spare = rund_cg_alloc(p);
		if (!spare)
			return ERR_PTR(-ENOMEM);
	}
}

/* Undo rund_pick() for a cgroup that never became BUSY. */
static void rund_unpick(struct rund_pool *p, struct rund_cg *cg)
{
	spin_lock(&p->lock);
	hash_del(&cg->hname);
	cg->sandbox[0] = '\0';
	spin_unlock(&p->lock);
	atomic_long_dec(&p->nr_busy);
}

/*
 * The cgroup @task is in on the pool's hierarchy, or one of its ancestors, is BUSY for a
 * sandbox: -EBUSY. A task belongs to one sandbox.
 */
static int rund_pid_check(struct rund_pool *p, pid_t nr, const char *name)
{
	struct task_struct *task;
	struct cgroup *cgrp;
	struct rund_cg *cg = NULL;
	struct pid *pid;

	pid = nr > 0 ? find_get_pid(nr) : NULL;
	task = pid ? get_pid_task(pid, PIDTYPE_PID) : NULL;
	put_pid(pid);
	if (!task) {
		rund_bad("ACQUIRE '%s': no process with pid %d\n", name, nr);
		return -ESRCH;
	}
	rcu_read_lock();
#ifdef CONFIG_MEMCG
	cgrp = p->v2 ? task_dfl_cgroup(task) : task_css(task, memory_cgrp_id)->cgroup;
#else
	cgrp = p->v2 ? task_dfl_cgroup(task) : NULL;
#endif
	spin_lock(&p->lock);
	for (; cgrp && !cg; cgrp = cgroup_parent(cgrp))
		cg = rund_find_id(p, cgroup_id(cgrp));
	if (cg)
		rund_bad("ACQUIRE '%s': pid %d belongs to sandbox '%s'\n", name, nr, cg->sandbox);
	spin_unlock(&p->lock);
	rcu_read_unlock();
	put_task_struct(task);
	return cg ? -EBUSY : 0;
}

/* Give up a claimed cgroup after a failed ACQUIRE: back to its idle name, then recycle. */
static void rund_abort(struct rund_pool *p, struct rund_cg *cg, bool claimed)
{
	int err = claimed ? p->be->unclaim(p, cg) : 0;

	rund_unpick(p, cg);
	if (err) {
		/* still under the sandbox name: destroy rather than hand it out again */
		pr_warn_ratelimited("%s: unclaim failed (%d), destroying it\n", cg->name, err);
		rund_cg_destroy(p, cg);
		return;
	}
	rund_recycle(p, cg);
}

int rund_acquire(struct rund_pool *p, struct rund_cgpool_acquire *a)
{
	struct rund_cg *cg;
	bool fresh = false, claimed = false;
	int err;

	if (a->flags || a->reserved) {
		rund_bad("ACQUIRE: unknown flags 0x%x or reserved field set\n", a->flags);
		return -EINVAL;
	}
	err = rund_name_check("ACQUIRE", a->name);
	if (!err)
		err = rund_limits_check("ACQUIRE", &a->limits);
	if (!err && a->pid)
		err = rund_pid_check(p, a->pid, a->name);
	if (err)
		return err;

	cg = rund_pick(p, a->name, &fresh);
	if (IS_ERR(cg))
		return PTR_ERR(cg);
	if (fresh) {
		/* pool dry: mkdir, directly under the sandbox name when claims rename */
		if (p->rename)
			strscpy(cg->name, a->name, sizeof(cg->name));
		err = rund_cg_new(p, cg);
		if (err) {
			rund_bad("ACQUIRE '%s': pool dry and mkdir failed: %d\n", a->name, err);
			rund_unpick(p, cg);
			kfree(cg);
			module_put(THIS_MODULE);
			return err;
		}
		atomic64_inc(&p->fallbacks);
		claimed = p->rename;
	} else if (atomic_long_read(&p->nr_idle) < p->low) {
		queue_work(rund_wq, &p->work);
	}
	if (!claimed) {
		err = p->be->claim(p, cg, a->name);
		if (err) {
			if (err == -EEXIST)
				rund_bad("ACQUIRE '%s': the pool dir has an entry of that name\n",
					 a->name);
			else
				rund_bad("ACQUIRE '%s': claim failed: %d\n", a->name, err);
			goto fail;
		}
	}
	claimed = true;
	if (a->limits.mask) {
		/* a refused write has logged its line */
		err = rund_limits_apply(p, cg, &a->limits, RUND_APPLY_SET);
		if (err) {
			err = -ERANGE;
			goto fail;
		}
	}
	if (a->pid) {
		err = p->be->attach(p, cg, a->pid);
		if (err) {
			rund_bad("ACQUIRE '%s': attaching pid %d failed: %d\n",
				 a->name, a->pid, err);
			goto fail;
		}
	}
	rund_cg_track_busy(p, cg, a->name);
	atomic64_inc(&p->acquired);
	a->id = cg->id;
	a->out_flags = (fresh ? RUND_CGPOOL_OUT_FALLBACK : 0) |
		       (p->rename ? RUND_CGPOOL_OUT_RENAMED : 0);
	strscpy(a->path, cg->name, sizeof(a->path));
	return 0;
fail:
	rund_abort(p, cg, claimed);
	return err;
}

/* RELEASE and LOOKUP take no flags and name a sandbox by exactly one of @name, @id. */
static int rund_which(const char *what, u32 flags, const char *name, u64 id)
{
	if (flags) {
		rund_bad("%s: unknown flags 0x%x\n", what, flags);
		return -EINVAL;
	}
	if (!name[0] == !id) {
		rund_bad("%s: give exactly one of name and id\n", what);
		return -EINVAL;
	}
	return name[0] ? rund_name_check(what, name) : 0;
}

/* The BUSY cgroup of @name or @id, or NULL and one dmesg line. Call with p->lock held. */
static struct rund_cg *rund_find_busy(struct rund_pool *p, const char *what,
				      const char *name, u64 id)
{
	struct rund_cg *cg = name[0] ? rund_find_name(p, name) : rund_find_id(p, id);

	if (cg && cg->state == RUND_CG_BUSY)
		return cg;
	if (name[0])
		rund_bad("%s: no acquired sandbox named '%s'\n", what, name);
	else
		rund_bad("%s: no acquired sandbox with cgroup id %llu\n", what, id);
	return NULL;
}

static void rund_untake(struct rund_pool *p, struct rund_cg *cg)
{
	spin_lock(&p->lock);
	cg->state = RUND_CG_BUSY;
	spin_unlock(&p->lock);
}

int rund_release(struct rund_pool *p, const struct rund_cgpool_release *r)
{
	struct rund_cg *cg;
	int err;

	err = rund_which("RELEASE", r->flags, r->name, r->id);
	if (err)
		return err;
	spin_lock(&p->lock);
	cg = rund_find_busy(p, "RELEASE", r->name, r->id);
	if (cg)
		cg->state = RUND_CG_RELEASING;
	spin_unlock(&p->lock);
	if (!cg)
		return -ENOENT;
	err = rund_cg_populated(p, cg->name);
	if (err) {
		if (err > 0)
			rund_bad("RELEASE '%s': cgroup %s still has tasks or child cgroups\n",
				 cg->sandbox, cg->name);
		else
			rund_bad("RELEASE '%s': reading %s failed: %d\n",
				 cg->sandbox, cg->name, err);
		rund_untake(p, cg);
		return err > 0 ? -ENOTEMPTY : err;
	}
	err = p->be->unclaim(p, cg);
	if (err) {
		rund_bad("RELEASE '%s': unclaim failed: %d\n", cg->sandbox, err);
		rund_untake(p, cg);
		return err;
	}
	spin_lock(&p->lock);
	hash_del(&cg->hname);
	hash_del(&cg->hid);
	cg->sandbox[0] = '\0';
	spin_unlock(&p->lock);
	atomic_long_dec(&p->nr_busy);
	atomic64_inc(&p->released);
	rund_recycle(p, cg);
	return 0;
}

int rund_lookup(struct rund_pool *p, struct rund_cgpool_lookup *l)
{
	struct rund_cg *cg;
	int err;

	err = rund_which("LOOKUP", l->flags, l->name, l->id);
	if (err)
		return err;
	/* a BUSY cgroup's names change only after a RELEASE moved it on under the lock */
	spin_lock(&p->lock);
	cg = rund_find_busy(p, "LOOKUP", l->name, l->id);
	if (cg) {
		l->id = cg->id;
		strscpy(l->name, cg->sandbox, sizeof(l->name));
		strscpy(l->path, cg->name, sizeof(l->path));
	}
	spin_unlock(&p->lock);
	return cg ? 0 : -ENOENT;
}
