// SPDX-License-Identifier: GPL-2.0
/*
 * rund_cgpool: the background worker. It refills the pool to its size whenever idle drops
 * below the low watermark, retries stuck cgroups (a task re-entered a released one, or
 * an rmdir failed), and, with RUND_CGPOOL_SETUP_RECYCLE only, recycles released cgroups
 * (scrub, reclaim, reset, back to the idle list). A cgroup that cannot be scrubbed or
 * whose memory cannot be reclaimed to zero is destroyed and replaced by a new one.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/cred.h>
#include <linux/module.h>
#include <linux/slab.h>

#include "pool.h"

/*
 * rmdir @cg's directory; on success it no longer counts in the pool. A directory that is
 * gone already (removed behind the pool's back) counts as removed: nothing could ever
 * remove it again.
 */
static int rund_cg_rmdir(struct rund_pool *p, struct rund_cg *cg)
{
	int err = rund_be_destroy(p, cg);

	if (err == -ENOENT) {
		pr_info_ratelimited("%s: already removed\n", cg->name);
		err = 0;
	}
	if (!err) {
		atomic64_inc(&p->destroyed);
		atomic_long_dec(&p->nr_total);
	}
	return err;
}

/*
 * TEARDOWN and unload only: remove @cg's directory and free it, leaving a directory that
 * cannot be removed in the pool dir (logged). The caller drops the module reference.
 */
void rund_cg_destroy(struct rund_pool *p, struct rund_cg *cg)
{
	int err = rund_cg_rmdir(p, cg);

	if (err) {
		pr_warn_ratelimited("rmdir of %s failed: %d; left in the pool dir\n",
				    cg->name, err);
		atomic_long_dec(&p->nr_total);
	}
	kfree(cg);
}

/*
 * Put @cg on p->stuck for p->work to retry: recycling when a task entered it, or with
 * @doomed, removing it. Call as its owner, holding its module reference.
 */
void rund_cg_park(struct rund_pool *p, struct rund_cg *cg, bool doomed)
{
	spin_lock(&p->lock);
	cg->state = RUND_CG_STUCK;
	cg->doomed = doomed;
	list_add_tail(&cg->node, &p->stuck);
	atomic_long_inc(&p->nr_stuck);
	spin_unlock(&p->lock);
}

/*
 * Remove a cgroup that is not idle and drop its module reference; if its rmdir fails,
 * park it doomed and let p->work retry. A sandbox name it still holds stays reserved
 * until it is gone.
 */
void rund_cg_retire(struct rund_pool *p, struct rund_cg *cg)
{
	int err = rund_cg_rmdir(p, cg);

	if (err) {
		pr_warn_ratelimited("rmdir of %s failed: %d; retried later\n", cg->name, err);
		rund_cg_park(p, cg, true);
		/* from p->work itself: the next run retries, not a busy loop */
		if (current_work() != &p->work.work)
			queue_delayed_work(rund_wq, &p->work, 0);
		return;
	}
	spin_lock(&p->lock);
	if (!hlist_unhashed(&cg->hname))
		hash_del(&cg->hname);
	spin_unlock(&p->lock);
	kfree(cg);
	module_put(THIS_MODULE);
}

/* Make @cg's directory (cg->name) with the pool's default limits. */
int rund_cg_new(struct rund_pool *p, struct rund_cg *cg)
{
	int err = rund_be_create(p, cg);

	if (err)
		return err;
	err = rund_cg_mark(p, cg->name);
	if (!err)
		err = rund_limits_apply(p, cg, &p->defaults, RUND_APPLY_FRESH);
	if (err)
		p->be->destroy(p, cg);
	else
		atomic_long_inc(&p->nr_total);
	return err;
}

/*
 * Put @cg (reset, under its idle name) on the idle list; the most recent one goes first.
 * @slot: it takes the place a recycle reserved (rund_idle_slot()), given back in the same
 * step: were idle counted before the slot is given back, idle + coming would count @cg
 * twice, and a recycle checking its slot meanwhile would find the pool full and remove
 * a cgroup the pool needs.
 */
void rund_cg_make_idle(struct rund_pool *p, struct rund_cg *cg, bool slot)
{
	spin_lock(&p->lock);
	cg->state = RUND_CG_IDLE;
	list_add(&cg->node, &p->idle);
	atomic_long_inc(&p->nr_idle);
	if (slot)
		p->coming--;
	spin_unlock(&p->lock);
	wake_up(&p->idle_wq);
}

/*
 * Make one more idle cgroup, counted in @counter (prefilled, refills). @slot: it takes
 * the place a recycle reserved (rund_cg_make_idle()); on failure that place is the
 * caller's to give back.
 */
int rund_add_new(struct rund_pool *p, atomic64_t *counter, bool slot)
{
	struct rund_cg *cg = rund_cg_alloc(p);
	int err;

	if (!cg)
		return -ENOMEM;
	err = rund_cg_new(p, cg);
	if (err) {
		pr_warn_ratelimited("making %s failed: %d\n", cg->name, err);
		kfree(cg);
		return err;
	}
	atomic64_inc(counter);
	rund_cg_make_idle(p, cg, slot);
	return 0;
}

/*
 * @dir 1: reserve a place on the idle list for a cgroup being recycled; false when idle
 * plus the recycles already headed there fill the pool's size. @dir -1: release it.
 */
static bool rund_idle_slot(struct rund_pool *p, int dir)
{
	bool ok = true;

	spin_lock(&p->lock);
	if (dir > 0)
		ok = atomic_long_read(&p->nr_idle) + p->coming < p->size;
	if (ok)
		p->coming += dir;
	spin_unlock(&p->lock);
	return ok;
}

/* Hand a released (or given up) cgroup under its idle name to its recycle work. */
void rund_recycle(struct rund_pool *p, struct rund_cg *cg)
{
	cg->state = RUND_CG_RECYCLING;
	atomic_long_inc(&p->nr_recycling);
	queue_work(rund_wq, &cg->work);
}

/*
 * A released (or adopted) cgroup under its idle name: park it on p->stuck while tasks are
 * inside; remove it when the pool already has its size idle; else scrub, reclaim and
 * reset it and make it idle, or replace it when it cannot be scrubbed or its memory
 * stays charged.
 */
void rund_recycle_one(struct rund_pool *p, struct rund_cg *cg)
{
	bool slot = false;
	int err = rund_fault(RUND_FAULT_RECYCLE_CHECK) ?: rund_cg_populated(p, cg->name);

	if (err > 0) {
		pr_warn_ratelimited("%s: a task or cgroup entered the released cgroup; retried later\n",
				    cg->name);
		rund_cg_park(p, cg, false);
		return;
	}
	if (!err) {
		slot = rund_idle_slot(p, 1);
		if (!slot) {
			rund_cg_retire(p, cg);		/* the pool is full: trim */
			return;
		}
	}
	/*
	 * Scrub first: a cgroup the last tenant changed in ways a reset cannot undo is
	 * replaced. Reclaim before the reset: the reset zeroes the v1 watermarks
	 * (max_usage_in_bytes, failcnt), and a charge that lands after it - the last pages
	 * of the exited tasks reclaim itself may touch - would leave a watermark a fresh
	 * cgroup does not have.
	 */
	if (!err)
		err = rund_scrub(p, cg);
	if (!err)
		err = rund_reclaim(p, cg);
	if (!err)
		err = rund_limits_apply(p, cg, &p->defaults, RUND_APPLY_RESET);
	if (err) {
		if (err != -EBUSY)
			pr_warn_ratelimited("%s: recycle failed (%d), replacing it\n",
					    cg->name, err);
		atomic64_inc(&p->replaced);
		rund_cg_retire(p, cg);
		if (!rund_add_new(p, &p->refills, slot))
			slot = false;
	} else {
		atomic64_inc(&p->recycled);
		rund_cg_make_idle(p, cg, slot);
		slot = false;
		rund_fault_delay(RUND_DELAY_IDLE);
		module_put(THIS_MODULE);
	}
	if (slot)
		rund_idle_slot(p, -1);
}

void rund_recycle_work(struct work_struct *work)
{
	struct rund_cg *cg = container_of(work, struct rund_cg, work);
	struct rund_pool *p = cg->pool;
	const struct cred *old = override_creds(p->cred);

	atomic_long_dec(&p->nr_recycling);
	rund_recycle_one(p, cg);	/* may free cg */
	revert_creds(old);
	if (atomic_long_read(&p->nr_idle) < p->low || atomic_long_read(&p->nr_stuck))
		queue_delayed_work(rund_wq, &p->work, 0);
}

/*
 * Refill pacing. A refill's mkdir holds cgroup_mutex across every controller's css and
 * some eighty kernfs nodes, and every ACQUIRE's attach needs cgroup_mutex: refilling while
 * a burst of sandbox starts drains the pool makes each start wait for it, and a refill
 * made inside a burst the pool would have served anyway is pure loss. So the refill waits
 * until no start came for refill_quiet_ms. It waits at most refill_defer_ms in all, so
 * that a steady stream of starts, which never pauses, does not run the pool dry; and it
 * goes ahead at once when the pool is dry (a start then makes its own cgroup, as costly
 * as a refill's). STATS_SYNC and TEARDOWN (p->syncing) do not wait.
 *
 * It replaces a rule that went ahead below a quarter of the low watermark: in a burst of
 * 2000 starts from a pool of 2016 (low 1008) that made 253 refills inside the burst and
 * about 190 us of cgroup_mutex wait per start (profiled, v2), for a pool that never ran
 * dry.
 */
unsigned int refill_quiet_ms = 10;
module_param(refill_quiet_ms, uint, 0644);
MODULE_PARM_DESC(refill_quiet_ms,
		 "refill a pool once starts paused this long (0: at once)");

static unsigned int refill_defer_ms = 1000;
module_param(refill_defer_ms, uint, 0644);
MODULE_PARM_DESC(refill_defer_ms,
		 "a refill waits for a pause in the starts at most this long (0: no limit)");

/**
 * rund_pace_start - a start was served: the refill waits for the next pause
 * @ps: the refill's pacing
 */
void rund_pace_start(struct rund_pace *ps)
{
	WRITE_ONCE(ps->last, jiffies);
}

/**
 * rund_pace - how long a refill should still wait
 * @p: the pool; while a STATS_SYNC waits (p->syncing) nothing waits
 * @ps: the refill's pacing; the first wait marks it held
 * @have: cgroups ready now; at 0 the refill goes ahead at once
 *
 * Return: jiffies to wait, at most refill_quiet_ms; 0: go ahead.
 */
unsigned long rund_pace(struct rund_pool *p, struct rund_pace *ps, long have)
{
	unsigned long quiet = msecs_to_jiffies(READ_ONCE(refill_quiet_ms));
	unsigned int defer_ms = READ_ONCE(refill_defer_ms);
	unsigned long now = jiffies;
	unsigned long since = now - READ_ONCE(ps->last), held = READ_ONCE(ps->held);
	unsigned long wait;

	if (!quiet || atomic_read(&p->syncing) || have <= 0 || since >= quiet)
		return 0;
	wait = quiet - since;
	if (!defer_ms)
		return wait;
	if (!held) {
		held = now ?: 1;	/* 0 means not held */
		WRITE_ONCE(ps->held, held);
	}
	if (now - held >= msecs_to_jiffies(defer_ms))
		return 0;
	return min(wait, msecs_to_jiffies(defer_ms) - (now - held));
}

/**
 * rund_pace_done - the refill made all it wanted: the next one waits afresh
 * @ps: the refill's pacing
 */
void rund_pace_done(struct rund_pace *ps)
{
	WRITE_ONCE(ps->held, 0);
}

/**
 * rund_pace_kick - run a paced refill work item after @wait jiffies
 * @w: the refill's work item
 * @wait: rund_pace()'s answer
 *
 * A refill already waiting keeps its earlier time (it asks rund_pace() again when it
 * runs); one that must go ahead now is pulled forward.
 */
void rund_pace_kick(struct delayed_work *w, unsigned long wait)
{
	if (wait)
		queue_delayed_work(rund_wq, w, wait);
	else
		mod_delayed_work(rund_wq, w, 0);
}

static unsigned long rund_refill_wait(struct rund_pool *p)
{
	return rund_pace(p, &p->pace, atomic_long_read(&p->nr_idle));
}

/**
 * rund_refill_kick - idle fell below the low watermark: refill, paced
 * @p: the pool
 */
void rund_refill_kick(struct rund_pool *p)
{
	rund_pace_kick(&p->work, rund_refill_wait(p));
}

/* Retry the stuck cgroups; refill below the low watermark, paced. */
static void rund_work_creds(struct rund_pool *p)
{
	struct rund_cg *cg, *tmp;
	LIST_HEAD(retry);

	spin_lock(&p->lock);
	list_splice_init(&p->stuck, &retry);
	spin_unlock(&p->lock);
	list_for_each_entry_safe(cg, tmp, &retry, node) {
		list_del_init(&cg->node);
		atomic_long_dec(&p->nr_stuck);
		if (cg->doomed)
			rund_cg_retire(p, cg);
		else
			rund_recycle_one(p, cg);
	}
	/* a refill a burst interrupted goes on to the size, not only to the low mark */
	if (READ_ONCE(p->unpublished) ||
	    (!p->refilling && atomic_long_read(&p->nr_idle) >= p->low))
		return;
	p->refilling = true;
	while (atomic_long_read(&p->nr_idle) < p->size) {
		unsigned long wait = rund_refill_wait(p);

		if (wait) {
			queue_delayed_work(rund_wq, &p->work, wait);
			return;
		}
		if (rund_add_new(p, &p->refills, false))
			break;
	}
	p->refilling = false;
	rund_pace_done(&p->pace);
}

/*
 * Refill below the low watermark; retry the stuck cgroups. Cgroups are made with the
 * SETUP caller's credentials, as if it had made them itself (LSM labels, owner).
 */
void rund_work(struct work_struct *work)
{
	struct rund_pool *p = container_of(to_delayed_work(work), struct rund_pool, work);
	const struct cred *old = override_creds(p->cred);

	rund_work_creds(p);
	revert_creds(old);
}

/*
 * Wait for the recycling queued so far and give stuck cgroups one more try; refill the
 * pool and the backend's reserve now, unpaced (STATS_SYNC). An unpublished pool
 * (TEARDOWN, unload) is not refilled: what it made would only be removed again.
 */
void rund_flush(struct rund_pool *p)
{
	bool refill = !READ_ONCE(p->unpublished);

	atomic_inc(&p->syncing);
	flush_workqueue(rund_wq);
	mod_delayed_work(rund_wq, &p->work, 0);
	flush_delayed_work(&p->work);
	if (refill && p->be->sync)
		p->be->sync(p);
	atomic_dec(&p->syncing);
}
