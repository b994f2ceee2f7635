// SPDX-License-Identifier: GPL-2.0
/*
 * rund_cgpool: the start and stop paths of a sandbox (ACQUIRE, RELEASE, LOOKUP).
 *
 * ACQUIRE = pin the process (pidfd) -> pick an idle cgroup (O(1) under p->lock) -> claim
 * (rename) -> limits -> attach; only a dry pool costs a mkdir. RELEASE refuses a cgroup
 * that still has tasks (-ENOTEMPTY: tasks are never migrated behind the runtime's back;
 * on v2 the pool dir's parent could not take them anyway) and frees the sandbox name
 * before it returns: by default it removes the cgroup (the next sandbox gets a new one
 * from the refill), with RUND_CGPOOL_SETUP_RECYCLE it renames it back to its idle name
 * and queues the scrub, reset and reclaim to the worker.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/cgroup.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/magic.h>
#include <linux/module.h>
#include <linux/pid.h>
#include <linux/rcupdate.h>
#include <linux/sched.h>
#include <linux/slab.h>
#include <linux/stringhash.h>
#include <linux/wait.h>

#include "compat.h"
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
		if (p->closing) {
			spin_unlock(&p->lock);
			kfree(spare);
			rund_bad("ACQUIRE '%s': the pool is being torn down\n", name);
			return ERR_PTR(-ENODEV);
		}
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

/* The struct pid of pidfd @fd, referenced, or ERR_PTR(-EBADF) (compat.h says how). */
static struct pid *rund_pidfd_pid(int fd)
{
	struct file *f = fd >= 0 ? fget(fd) : NULL;
	struct pid *pid = ERR_PTR(-EBADF);

	if (!f)
		return pid;
	if (rund_file_pid(f))
		pid = get_pid(rund_file_pid(f));
	fput(f);
	return pid;
}

/* The process (thread group) of thread @nr, as cgroup.procs takes it, referenced. */
static struct pid *rund_tgid_of(pid_t nr)
{
	struct task_struct *task;
	struct pid *pid = NULL;

	rcu_read_lock();
	task = pid_task(find_vpid(nr), PIDTYPE_PID);
	if (task)
		pid = get_task_pid(task, PIDTYPE_TGID);
	rcu_read_unlock();
	return pid;
}

/*
 * The process ACQUIRE attaches, pinned: from a pidfd, or (deprecated, racy) resolved from
 * a pid number once, here. NULL for none; ERR_PTR with one dmesg line on failure.
 */
static struct pid *rund_target(const struct rund_cgpool_acquire *a)
{
	struct pid *pid;

	if (a->flags & RUND_CGPOOL_ACQUIRE_PIDFD) {
		if (a->pid) {
			rund_bad("ACQUIRE '%s': both pid %d and a pidfd given\n", a->name, a->pid);
			return ERR_PTR(-EINVAL);
		}
		pid = rund_pidfd_pid(a->pidfd);
		if (IS_ERR(pid)) {
			rund_bad("ACQUIRE '%s': fd %d is not a pidfd\n", a->name, a->pidfd);
			return pid;
		}
	} else if (a->pid) {
		pid = a->pid > 0 ? rund_tgid_of(a->pid) : NULL;
		if (!pid) {
			rund_bad("ACQUIRE '%s': no process with pid %d\n", a->name, a->pid);
			return ERR_PTR(-ESRCH);
		}
	} else {
		return NULL;
	}
	if (!pid_has_task(pid, PIDTYPE_TGID)) {
		rund_bad("ACQUIRE '%s': the process of pid %d has exited\n", a->name,
			 pid_vnr(pid));
		put_pid(pid);
		return ERR_PTR(-ESRCH);
	}
	return pid;
}

/*
 * The cgroup the process of @pid is in on the pool's hierarchy, or one of its ancestors,
 * is BUSY for a sandbox: -EBUSY. A process belongs to one sandbox.
 */
static int rund_pid_check(struct rund_pool *p, struct pid *pid, const char *name)
{
	struct task_struct *task;
	struct cgroup *cgrp;
	struct rund_cg *cg = NULL;

	task = get_pid_task(pid, PIDTYPE_TGID);
	if (!task) {
		rund_bad("ACQUIRE '%s': the process of pid %d has exited\n", name, pid_vnr(pid));
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
		rund_bad("ACQUIRE '%s': pid %d belongs to sandbox '%s'\n", name, pid_vnr(pid),
			 cg->sandbox);
	spin_unlock(&p->lock);
	rcu_read_unlock();
	put_task_struct(task);
	return cg ? -EBUSY : 0;
}

/*
 * Give up a claimed cgroup after a failed ACQUIRE. Back under its idle name it is
 * recycled (RUND_CGPOOL_SETUP_RECYCLE) or replaced by a new one, so a refused request
 * leaves the pool as large as it found it. If the rename back fails it is removed under the sandbox
 * name, and if that fails too it is parked doomed (p->work retries the rmdir; the name
 * stays reserved meanwhile). Either way the module reference it holds is dropped exactly
 * once, when it is gone or recycled.
 */
static void rund_abort(struct rund_pool *p, struct rund_cg *cg, bool claimed)
{
	int err = claimed ? rund_be_unclaim(p, cg) : 0;

	if (err) {
		pr_warn_ratelimited("%s: unclaim failed (%d), removing it\n", cg->name, err);
		atomic_long_dec(&p->nr_busy);
		rund_cg_retire(p, cg);
		return;
	}
	rund_unpick(p, cg);
	if (p->recycle) {
		rund_recycle(p, cg);
		return;
	}
	/* never handed out, but limits may have been written: a new one takes its place */
	rund_cg_retire(p, cg);
	rund_add_new(p, &p->refills, false);
}

/*
 * An idle entry whose cgroup is gone (removed behind the pool's back): forget it, so
 * ACQUIRE takes another. Its name is unreserved and its module reference dropped.
 */
static void rund_forget(struct rund_pool *p, struct rund_cg *cg)
{
	pr_warn_ratelimited("%s: idle cgroup vanished, dropped from the pool\n", cg->name);
	rund_unpick(p, cg);
	atomic_long_dec(&p->nr_total);
	atomic64_inc(&p->destroyed);	/* gone all the same: STATS stay balanced */
	kfree(cg);
	module_put(THIS_MODULE);
}

/* Claim (rename) @cg for @name; a fresh fallback cgroup was made under it already. */
static int rund_claim(struct rund_pool *p, struct rund_cg *cg, const char *name, bool fresh)
{
	int err;

	if (fresh && p->rename)
		return 0;
	err = rund_be_claim(p, cg, name);
	if (err == -EEXIST)
		rund_bad("ACQUIRE '%s': the pool dir has an entry of that name\n", name);
	else if (err && err != -ENOENT)
		rund_bad("ACQUIRE '%s': claim failed: %d\n", name, err);
	return err;
}

/* Pick and claim a cgroup for @name: an idle one, else a new one (fallback mkdir). */
static struct rund_cg *rund_take(struct rund_pool *p, const char *name, bool *fresh)
{
	struct rund_cg *cg;
	int err;

	/* a start under way: the refill waits for the burst to end (recycle.c) */
	rund_pace_start(&p->pace);
	for (;;) {
		*fresh = false;
		cg = rund_pick(p, name, fresh);
		if (IS_ERR(cg))
			return cg;
		if (*fresh) {
			/* pool dry: mkdir, directly under the sandbox name when claims rename */
			if (p->rename)
				strscpy(cg->name, name, sizeof(cg->name));
			err = rund_cg_new(p, cg);
			if (err) {
				rund_bad("ACQUIRE '%s': pool dry and mkdir failed: %d\n",
					 name, err);
				rund_unpick(p, cg);
				kfree(cg);
				module_put(THIS_MODULE);
				return ERR_PTR(err);
			}
			atomic64_inc(&p->fallbacks);
		} else if (atomic_long_read(&p->nr_idle) < p->low) {
			rund_refill_kick(p);
		}
		err = rund_claim(p, cg, name, *fresh);
		if (!err)
			return cg;
		if (err == -ENOENT && !*fresh) {
			rund_forget(p, cg);
			continue;
		}
		rund_abort(p, cg, false);
		return ERR_PTR(err);
	}
}

/*
 * ACQUIRE_CGROUP_FD: open @cg's directory (sandbox @name) O_PATH into @ofd, fd reserved.
 * Opened before the cgroup turns BUSY, while this ioctl still owns it (a RELEASE may
 * remove it at once after); the open file pins the cgroup, not the name.
 */
static int rund_open_dir(struct rund_pool *p, struct rund_cg *cg, const char *name,
			 struct rund_out_fd *ofd)
{
	struct file *f;
	int fd;

	fd = get_unused_fd_flags(O_CLOEXEC);
	if (fd < 0) {
		rund_bad("ACQUIRE '%s': no free fd for the cgroup: %d\n", name, fd);
		return fd;
	}
	f = file_open_root(&p->dir, cg->name, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC, 0);
	if (IS_ERR(f)) {
		put_unused_fd(fd);
		rund_bad("ACQUIRE '%s': opening its cgroup failed: %ld\n", name, PTR_ERR(f));
		return PTR_ERR(f);
	}
	ofd->fd = fd;
	ofd->file = f;
	return 0;
}

/* ACQUIRE's flags and the fields they go with; 0 or -EINVAL and one dmesg line */
static int rund_acquire_check(const struct rund_cgpool_acquire *a, u32 usize)
{
	if (rund_flags_check("ACQUIRE", a->flags,
			     RUND_CGPOOL_ACQUIRE_PIDFD | RUND_CGPOOL_ACQUIRE_CGROUP_FD))
		return -EINVAL;
	if (!(a->flags & RUND_CGPOOL_ACQUIRE_PIDFD) && a->pidfd) {
		rund_bad("ACQUIRE: pidfd %d given without RUND_CGPOOL_ACQUIRE_PIDFD\n", a->pidfd);
		return -EINVAL;
	}
	if ((a->flags & RUND_CGPOOL_ACQUIRE_CGROUP_FD) && usize < RUND_CGPOOL_ACQUIRE_SIZE_VER1) {
		rund_bad("ACQUIRE: CGROUP_FD needs a struct of %zu bytes, got %u\n",
			 RUND_CGPOOL_ACQUIRE_SIZE_VER1, usize);
		return -EINVAL;
	}
	if (a->reserved3) {
		rund_bad("ACQUIRE: reserved field is not zero\n");
		return -EINVAL;
	}
	return 0;
}

/**
 * rund_acquire - the ACQUIRE ioctl: a cgroup for sandbox @a->name
 * @p: the pool
 * @a: the caller's struct (kernel copy); outputs are filled in on success
 * @usize: the size of the caller's struct
 * @ofd: with RUND_CGPOOL_ACQUIRE_CGROUP_FD, the cgroup's fd, for the ioctl to install
 *
 * Return: 0 or a negative errno (one dmesg line names the reason).
 */
int rund_acquire(struct rund_pool *p, struct rund_cgpool_acquire *a, u32 usize,
		 struct rund_out_fd *ofd)
{
	struct pid *pid = NULL;
	struct rund_cg *cg;
	bool fresh;
	int err;

	err = rund_acquire_check(a, usize);
	if (err)
		return err;
	a->cgroup_fd = -1;
	err = rund_name_check("ACQUIRE", a->name);
	if (!err)
		err = rund_limits_check("ACQUIRE", &a->limits);
	if (err)
		return err;
	pid = rund_target(a);
	if (IS_ERR(pid))
		return PTR_ERR(pid);
	if (pid) {
		err = rund_pid_check(p, pid, a->name);
		if (err)
			goto out;
	}

	cg = rund_take(p, a->name, &fresh);
	if (IS_ERR(cg)) {
		err = PTR_ERR(cg);
		goto out;
	}
	if (a->limits.mask) {
		/* a refused write has logged its line */
		err = rund_limits_apply(p, cg, &a->limits, RUND_APPLY_SET);
		if (err) {
			err = -ERANGE;
			goto fail;
		}
	}
	/* before the attach: a failed open leaves no process to move out again */
	if (a->flags & RUND_CGPOOL_ACQUIRE_CGROUP_FD) {
		err = rund_open_dir(p, cg, a->name, ofd);
		if (err)
			goto fail;
		a->cgroup_fd = ofd->fd;
	}
	if (pid) {
		/* the check above was early exit only: this one holds until BUSY */
		mutex_lock(&p->attach_lock);
		err = rund_pid_check(p, pid, a->name);
		if (!err) {
			err = rund_be_attach(p, cg, pid);
			if (err)
				rund_bad("ACQUIRE '%s': attaching pid %d failed: %d\n",
					 a->name, pid_vnr(pid), err);
		}
		if (err) {
			mutex_unlock(&p->attach_lock);
			goto fail;
		}
	}
	/*
	 * The outputs first: once BUSY, a RELEASE by name may remove and free @cg at once
	 * (nothing else holds a BUSY cgroup for this ioctl).
	 */
	a->id = cg->id;
	a->out_flags = (fresh ? RUND_CGPOOL_OUT_FALLBACK : 0) |
		       (p->rename ? RUND_CGPOOL_OUT_RENAMED : 0);
	strscpy(a->path, cg->name, sizeof(a->path));
	rund_cg_track_busy(p, cg, a->name);
	if (pid)
		mutex_unlock(&p->attach_lock);
	atomic64_inc(&p->acquired);
	/* a test RELEASEs @cg here: nothing below may touch it */
	rund_fault_delay(RUND_DELAY_BUSY);
	goto out;
fail:
	rund_abort(p, cg, true);
out:
	put_pid(pid);
	return err;
}

/* RELEASE and LOOKUP name a sandbox by exactly one of @name, @id */
static int rund_which(const char *what, const char *name, u64 id)
{
	if (!name[0] == !id) {
		rund_bad("%s: give exactly one of name and id\n", what);
		return -EINVAL;
	}
	return name[0] ? rund_name_check(what, name) : 0;
}

/*
 * The BUSY cgroup of @name or @id, or of both (RELEASE_EXACT: @name must hold @id), or
 * NULL and one dmesg line. Call with p->lock held.
 */
static struct rund_cg *rund_find_busy(struct rund_pool *p, const char *what,
				      const char *name, u64 id)
{
	struct rund_cg *cg = name[0] ? rund_find_name(p, name) : rund_find_id(p, id);

	if (cg && cg->state == RUND_CG_BUSY && (!name[0] || !id || cg->id == id))
		return cg;
	if (name[0] && id)
		rund_bad("%s: no acquired sandbox '%s' with cgroup id %llu\n", what, name, id);
	else if (name[0])
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

/* Drop a BUSY cgroup's sandbox: unhash it, count the release. Call as its owner. */
static void rund_unbusy(struct rund_pool *p, struct rund_cg *cg)
{
	spin_lock(&p->lock);
	hash_del(&cg->hname);
	hash_del(&cg->hid);
	cg->sandbox[0] = '\0';
	spin_unlock(&p->lock);
	atomic_long_dec(&p->nr_busy);
	atomic64_inc(&p->released);
}

/* RELEASE by name or id, or RELEASE_EXACT by both */
static int rund_release_check(const struct rund_cgpool_release *r)
{
	if (rund_flags_check("RELEASE", r->flags, RUND_CGPOOL_RELEASE_EXACT))
		return -EINVAL;
	if (!(r->flags & RUND_CGPOOL_RELEASE_EXACT))
		return rund_which("RELEASE", r->name, r->id);
	if (!r->name[0] || !r->id) {
		rund_bad("RELEASE: EXACT needs both name and id\n");
		return -EINVAL;
	}
	return rund_name_check("RELEASE", r->name);
}

int rund_release(struct rund_pool *p, const struct rund_cgpool_release *r)
{
	struct rund_cg *cg;
	int err;

	err = rund_release_check(r);
	if (err)
		return err;
	spin_lock(&p->lock);
	cg = rund_find_busy(p, "RELEASE", r->name, r->id);
	if (cg)
		cg->state = RUND_CG_RELEASING;
	spin_unlock(&p->lock);
	if (!cg)
		return -ENOENT;
	err = rund_fault(RUND_FAULT_RELEASE_CHECK) ?: rund_cg_populated(p, cg->name);
	if (err == -ENOENT) {
		/*
		 * The runtime removed it itself, as runc and crun do at delete: the sandbox
		 * is released all the same, and that is no error to log.
		 */
		pr_debug("RELEASE '%s': cgroup %s was removed already\n", cg->sandbox, cg->name);
		rund_unbusy(p, cg);
		atomic64_inc(&p->destroyed);
		atomic_long_dec(&p->nr_total);
		kfree(cg);
		module_put(THIS_MODULE);
		return 0;
	}
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
	/* default policy: remove it now, so that the name is free when RELEASE returns */
	err = p->recycle ? rund_be_unclaim(p, cg) : rund_be_destroy(p, cg);
	if (err) {
		rund_bad("RELEASE '%s': %s failed: %d\n", cg->sandbox,
			 p->recycle ? "renaming it back" : "removing it", err);
		rund_untake(p, cg);
		return err == -EBUSY ? -ENOTEMPTY : err;
	}
	rund_unbusy(p, cg);
	if (p->recycle) {
		rund_recycle(p, cg);
		return 0;
	}
	atomic64_inc(&p->destroyed);
	atomic_long_dec(&p->nr_total);
	kfree(cg);
	module_put(THIS_MODULE);
	if (atomic_long_read(&p->nr_idle) < p->low)
		rund_refill_kick(p);
	return 0;
}

/*
 * The BUSY cgroup with the smallest id above @id, or NULL. Call with p->lock held. A
 * walk of every bucket: listing n sandboxes is O(n^2), for a gc run, never a start path.
 */
static struct rund_cg *rund_find_next(struct rund_pool *p, u64 id)
{
	struct rund_cg *cg, *next = NULL;
	int bkt;

	lockdep_assert_held(&p->lock);
	hash_for_each(p->by_id, bkt, cg, hid)
		if (cg->state == RUND_CG_BUSY && cg->id > id && (!next || cg->id < next->id))
			next = cg;
	return next;
}

/* LOOKUP by name or id, or LOOKUP_NEXT from an id (0 included) with no name */
static int rund_lookup_check(const struct rund_cgpool_lookup *l)
{
	if (rund_flags_check("LOOKUP", l->flags, RUND_CGPOOL_LOOKUP_NEXT))
		return -EINVAL;
	if (!(l->flags & RUND_CGPOOL_LOOKUP_NEXT))
		return rund_which("LOOKUP", l->name, l->id);
	if (l->name[0]) {
		rund_bad("LOOKUP: NEXT lists by cgroup id: the name must be empty\n");
		return -EINVAL;
	}
	return 0;
}

int rund_lookup(struct rund_pool *p, struct rund_cgpool_lookup *l)
{
	bool next = l->flags & RUND_CGPOOL_LOOKUP_NEXT;
	struct rund_cg *cg;
	int err;

	err = rund_lookup_check(l);
	if (err)
		return err;
	/* a BUSY cgroup's names change only after a RELEASE moved it on under the lock */
	spin_lock(&p->lock);
	/* the end of a listing is no error to log */
	cg = next ? rund_find_next(p, l->id) : rund_find_busy(p, "LOOKUP", l->name, l->id);
	if (cg) {
		l->id = cg->id;
		strscpy(l->name, cg->sandbox, sizeof(l->name));
		strscpy(l->path, cg->name, sizeof(l->path));
	}
	spin_unlock(&p->lock);
	return cg ? 0 : -ENOENT;
}
