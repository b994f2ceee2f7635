// SPDX-License-Identifier: GPL-2.0
/*
 * rund_cgpool fast backend: a kernel carrying the rund host patches (CONFIG_CGROUP_RUND).
 *
 * Cgroups are made withheld with cgroup_rund_create() and published under their idle
 * name with cgroup_rund_publish() (a rename of a node that never had a dentry, no
 * cgroup_mutex), removed with cgroup_rund_destroy(), and processes are attached with
 * cgroup_rund_attach() by struct pid. Visible cgroups are renamed only through the VFS
 * (rund_vfs_claim()), never behind it.
 *
 * With RUND_CGPOOL_SETUP_MKDIR the backend is also the kernel's pool provider for the
 * pool directory (and only for it): it keeps a reserve of mkdir_reserve withheld
 * (invisible, never configured) children, made with the SETUP caller's credentials, and a
 * plain mkdir(2) by root under the pool directory - Kata, containerd, runc, systemd,
 * unmodified - is served by publishing one of them under the requested name. They are
 * fresh cgroups, not pool members: the pool's default limits are not applied and RELEASE
 * does not know them; rmdir(2) removes them as usual. A reserved cgroup the kernel finds
 * stale (the pool dir's settings changed since it was made) comes back marked so: the
 * whole reserve is dropped and remade.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/cgroup.h>
#include <linux/cgroup_rund.h>
#include <linux/cred.h>
#include <linux/module.h>
#include <linux/kernfs.h>
#include <linux/slab.h>

#include "pool.h"

static unsigned int mkdir_reserve = 8;
module_param(mkdir_reserve, uint, 0644);
MODULE_PARM_DESC(mkdir_reserve,
		 "fast backend: withheld cgroups kept for plain mkdir(2) under the pool dir (0: off)");

#define RUND_RESERVE_MAX	4096

/* p->priv of a fast pool */
struct fast_pool {
	struct cgroup *parent;		/* the pool directory's cgroup, referenced */
	bool provider;			/* registered as the kernel's pool provider */
	const struct cred *cred;	/* the reserve is made with the SETUP caller's */
	atomic_t stale;			/* drop the reserve before refilling it */

	spinlock_t lock;		/* protects spares; O(1) pushes and pops only */
	struct list_head spares;	/* struct fast_spare, withheld, newest first */
	atomic_t nr_spares;
	atomic64_t served;		/* mkdir(2)s served from the reserve */
	struct delayed_work refill;	/* keeps nr_spares at mkdir_reserve; paced */
	struct rund_pace pace;		/* of the refill: by the latest served mkdir(2) */
	struct rund_pool *pool;		/* its pool: rund_pace() reads p->syncing */
};

struct fast_spare {
	struct list_head node;
	struct cgroup *cgrp;		/* withheld, referenced */
};

static struct fast_pool *fast_of(struct rund_pool *p)
{
	return p->priv;
}

/* --- the pool's cgroups --------------------------------------------------------------- */

/*
 * The pool cgroup @cg, by its current name, referenced; -ESTALE if that name holds
 * another cgroup. Resolved on every use rather than cached in cg->priv: a struct
 * rund_cg is freed in many places (teardown, replacement, adoption) and a cached
 * reference would have to be dropped in every one of them.
 *
 * The name is looked up in kernfs, and the cgroup id is checked against the one the pool
 * recorded: a name is only ever trusted together with the id.
 */
static struct cgroup *fast_cg(struct rund_pool *p, const struct rund_cg *cg)
{
	struct kernfs_node *kn = kernfs_find_and_get(fast_of(p)->parent->kn, cg->name);
	struct cgroup *cgrp;

	if (!kn)
		return ERR_PTR(-ENOENT);
	rcu_read_lock();
	/* kn->priv is cleared under RCU when the cgroup is released */
	cgrp = rcu_dereference(*(void __rcu __force **)&kn->priv);
	if (kernfs_type(kn) != KERNFS_DIR || !cgrp || !css_tryget_online(&cgrp->self))
		cgrp = ERR_PTR(-ENOENT);
	rcu_read_unlock();
	kernfs_put(kn);
	if (!IS_ERR(cgrp) && cg->id && cgroup_id(cgrp) != cg->id) {
		pr_warn_ratelimited("%s: holds cgroup %llu, expected %llu\n", cg->name,
				    cgroup_id(cgrp), cg->id);
		cgroup_put(cgrp);
		cgrp = ERR_PTR(-ESTALE);
	}
	return cgrp;
}

static int fast_create(struct rund_pool *p, struct rund_cg *cg)
{
	struct cgroup *cgrp = cgroup_rund_create(fast_of(p)->parent, 0755);
	int err;

	if (IS_ERR(cgrp))
		return PTR_ERR(cgrp);
	err = cgroup_rund_publish(cgrp, cg->name);
	if (err)
		cgroup_rund_destroy(cgrp);
	else
		cg->id = cgroup_id(cgrp);
	cgroup_put(cgrp);
	return err;
}

static int fast_attach(struct rund_pool *p, struct rund_cg *cg, struct pid *pid)
{
	struct cgroup *cgrp = fast_cg(p, cg);
	int err;

	if (IS_ERR(cgrp))
		return PTR_ERR(cgrp);
	err = cgroup_rund_attach(cgrp, pid, p->dir.dentry->d_sb);
	cgroup_put(cgrp);
	return err;
}

static int fast_destroy(struct rund_pool *p, struct rund_cg *cg)
{
	struct cgroup *cgrp = fast_cg(p, cg);
	int err;

	if (IS_ERR(cgrp))
		return PTR_ERR(cgrp);
	err = cgroup_rund_destroy(cgrp);
	cgroup_put(cgrp);
	return err;
}

/* --- the reserve behind plain mkdir(2) ------------------------------------------------ */

static void fast_spare_free(struct fast_spare *s)
{
	cgroup_rund_destroy(s->cgrp);
	cgroup_put(s->cgrp);
	kfree(s);
}

static struct fast_spare *fast_spare_pop(struct fast_pool *fp)
{
	struct fast_spare *s;

	spin_lock(&fp->lock);
	s = list_first_entry_or_null(&fp->spares, struct fast_spare, node);
	if (s) {
		list_del(&s->node);
		atomic_dec(&fp->nr_spares);
	}
	spin_unlock(&fp->lock);
	return s;
}

static void fast_spare_push(struct fast_pool *fp, struct fast_spare *s)
{
	spin_lock(&fp->lock);
	list_add(&s->node, &fp->spares);
	atomic_inc(&fp->nr_spares);
	spin_unlock(&fp->lock);
}

static unsigned int fast_reserve_want(void)
{
	return min_t(unsigned int, READ_ONCE(mkdir_reserve), RUND_RESERVE_MAX);
}

/*
 * How long the reserve's refill should still wait: paced like the pool's (recycle.c),
 * by the latest served mkdir(2).
 */
static unsigned long fast_refill_wait(struct fast_pool *fp)
{
	return rund_pace(fp->pool, &fp->pace, atomic_read(&fp->nr_spares));
}

/* The worker: bring the reserve to mkdir_reserve, making or removing withheld cgroups. */
static void fast_refill(struct work_struct *work)
{
	struct fast_pool *fp = container_of(to_delayed_work(work), struct fast_pool, refill);
	unsigned int want = fast_reserve_want();
	const struct cred *old = override_creds(fp->cred);
	struct fast_spare *s;

	if (atomic_xchg(&fp->stale, 0)) {
		pr_info("mkdir reserve: the pool dir's settings changed, remaking %d cgroups\n",
			atomic_read(&fp->nr_spares));
		while ((s = fast_spare_pop(fp)))
			fast_spare_free(s);
	}
	while (atomic_read(&fp->nr_spares) > want) {
		s = fast_spare_pop(fp);
		if (!s)
			break;
		fast_spare_free(s);
	}
	while (atomic_read(&fp->nr_spares) < want) {
		unsigned long wait = fast_refill_wait(fp);

		if (wait) {
			queue_delayed_work(rund_wq, &fp->refill, wait);
			break;
		}
		s = kzalloc(sizeof(*s), GFP_KERNEL);
		if (!s)
			break;
		s->cgrp = cgroup_rund_create(fp->parent, 0755);
		if (IS_ERR(s->cgrp)) {
			pr_warn_ratelimited("mkdir reserve: making a cgroup failed: %ld\n",
					    PTR_ERR(s->cgrp));
			kfree(s);
			break;
		}
		fast_spare_push(fp, s);
	}
	if (atomic_read(&fp->nr_spares) >= want)
		rund_pace_done(&fp->pace);
	revert_creds(old);
}

static struct cgroup *fast_provider_claim(struct cgroup *parent, const char *name)
{
	struct rund_pool *p = rund_pool_get();
	struct cgroup *cgrp = NULL;
	struct fast_pool *fp;
	struct fast_spare *s;

	if (!p)
		return NULL;
	fp = p->be == &rund_backend_fast ? fast_of(p) : NULL;
	if (fp && fp->parent == parent) {
		s = fast_spare_pop(fp);
		if (s) {
			cgrp = s->cgrp;
			kfree(s);
			atomic64_inc(&fp->served);
		}
		rund_pace_start(&fp->pace);
		rund_pace_kick(&fp->refill, fast_refill_wait(fp));
	}
	rund_pool_put(p);
	return cgrp;
}

/*
 * A claimed spare the kernel did not publish: back to the reserve when the name existed,
 * removed when it is @stale (and the rest of the reserve with it: made under the same
 * settings).
 */
static void fast_provider_unclaim(struct cgroup *cgrp, bool stale)
{
	struct rund_pool *p = rund_pool_get();
	struct fast_pool *fp = NULL;
	struct fast_spare *s = NULL;

	if (p && p->be == &rund_backend_fast && fast_of(p)->parent == cgroup_parent(cgrp))
		fp = fast_of(p);
	if (fp && stale) {
		atomic_set(&fp->stale, 1);
		mod_delayed_work(rund_wq, &fp->refill, 0);
	} else if (fp) {
		s = kzalloc(sizeof(*s), GFP_KERNEL);
	}
	if (s) {
		s->cgrp = cgrp;
		fast_spare_push(fp, s);
		cgrp = NULL;
	}
	if (p)
		rund_pool_put(p);
	if (cgrp) {
		/* stale, or the pool went away meanwhile */
		cgroup_rund_destroy(cgrp);
		cgroup_put(cgrp);
	}
}

static struct cgroup_rund_provider fast_provider = {
	.owner		= THIS_MODULE,
	.claim		= fast_provider_claim,
	.unclaim	= fast_provider_unclaim,
};

/* --- setup and teardown --------------------------------------------------------------- */

static int fast_open(struct rund_pool *p)
{
	struct fast_pool *fp;
	struct cgroup *parent;
	int err;

	err = rund_backend_compat.open(p);
	if (err)
		return err;
	parent = cgroup_rund_get_from_path(&p->dir);
	if (IS_ERR(parent)) {
		rund_bad("SETUP: '%pd' is not a live cgroup: %ld\n", p->dir.dentry,
			 PTR_ERR(parent));
		return PTR_ERR(parent);
	}
	fp = kzalloc(sizeof(*fp), GFP_KERNEL);
	if (!fp) {
		cgroup_put(parent);
		return -ENOMEM;
	}
	fp->parent = parent;
	fp->cred = get_cred(p->cred);
	spin_lock_init(&fp->lock);
	INIT_LIST_HEAD(&fp->spares);
	INIT_DELAYED_WORK(&fp->refill, fast_refill);
	fp->pool = p;
	p->priv = fp;
	if (!p->mkdir)
		return 0;

	/* serve mkdir(2) under the pool dir only: the kernel asks no other parent's */
	fast_provider.parent = parent;
	err = cgroup_rund_register(&fast_provider);
	if (err) {
		rund_bad("SETUP: cannot serve mkdir(2): another pool provider is registered (%d)\n",
			 err);
		p->priv = NULL;
		put_cred(fp->cred);
		kfree(fp);
		cgroup_put(parent);
		return -EBUSY;
	}
	fp->provider = true;
	queue_delayed_work(rund_wq, &fp->refill, 0);
	return 0;
}

/* No ioctl and no provider claim runs any more (the pool is unpublished). */
static void fast_close(struct rund_pool *p)
{
	struct fast_pool *fp = fast_of(p);
	struct fast_spare *s;

	if (fp->provider)
		cgroup_rund_unregister(&fast_provider);
	cancel_delayed_work_sync(&fp->refill);
	while ((s = fast_spare_pop(fp)))
		fast_spare_free(s);
	cgroup_put(fp->parent);
	put_cred(fp->cred);
	kfree(fp);
	p->priv = NULL;
}

/**
 * rund_fast_mkdir_stats - the reserve behind plain mkdir(2), for STATS and sysfs
 * @p: a pool
 * @reserve: set to the withheld cgroups ready now
 * @served: set to the mkdir(2)s served so far
 *
 * Both are 0 for a pool on another backend.
 */
void rund_fast_mkdir_stats(struct rund_pool *p, u64 *reserve, u64 *served)
{
	struct fast_pool *fp = p->be == &rund_backend_fast ? fast_of(p) : NULL;

	*reserve = fp ? atomic_read(&fp->nr_spares) : 0;
	*served = fp ? atomic64_read(&fp->served) : 0;
}

/* STATS_SYNC: the reserve refilled now, unpaced (p->syncing); not for an unpublished pool */
static void fast_sync(struct rund_pool *p)
{
	struct fast_pool *fp = fast_of(p);

	if (!fp || !fp->provider)
		return;
	mod_delayed_work(rund_wq, &fp->refill, 0);
	flush_delayed_work(&fp->refill);
}

const struct rund_backend rund_backend_fast = {
	.name		= "fast",
	.one_write	= true,
	.mkdir		= true,
	.open		= fast_open,
	.close		= fast_close,
	.create		= fast_create,
	.claim		= rund_vfs_claim,
	.unclaim	= rund_vfs_unclaim,
	.attach		= fast_attach,
	.destroy	= fast_destroy,
	.sync		= fast_sync,
};
