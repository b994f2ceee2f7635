// SPDX-License-Identifier: GPL-2.0
/*
 * rund_cgpool: the pool's life (SETUP, adoption of an existing pool dir, TEARDOWN, module
 * exit) and its counters.
 *
 * One pool per module, so per hierarchy. ioctls find it through an RCU pointer and hold a
 * reference (p->users) while they run. TEARDOWN first decides, under p->lock, whether it
 * may go ahead: while sandboxes hold cgroups (and no KEEP_BUSY) it fails with -EBUSY and
 * leaves the pool untouched; otherwise ACQUIRE is closed, and the pool is unpublished,
 * drained of in-flight ioctls and freed.
 *
 * State is rebuilt from cgroupfs: a SETUP on a directory that already has children adopts
 * the ones the pool made (trusted.rund.pool set): ".rund-idle-*" ones are recycled into
 * the idle list (RUND_CGPOOL_SETUP_RECYCLE) or removed (default: they may have been
 * used); any other is a busy sandbox of that name (on v2 without rename, an idle-named
 * child whose trusted.rund.sandbox xattr names its sandbox). Other children - foreign
 * cgroups, ones served from the mkdir reserve - are left alone, one dmesg line each.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/cred.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/rcupdate.h>
#include <linux/slab.h>

#include "pool.h"

static DEFINE_MUTEX(rund_setup_lock);
static struct rund_pool __rcu *rund_the_pool;

struct rund_pool *rund_pool_get(void)
{
	struct rund_pool *p;

	rcu_read_lock();
	p = rcu_dereference(rund_the_pool);
	if (p && !refcount_inc_not_zero(&p->users))
		p = NULL;
	rcu_read_unlock();
	return p;
}

void rund_pool_put(struct rund_pool *p)
{
	if (refcount_dec_and_test(&p->users))
		complete(&p->users_done);
}

/* --- adoption -------------------------------------------------------------------- */

struct rund_child {
	struct list_head node;
	char name[];
};

struct rund_scan {
	struct dir_context ctx;
	struct list_head children;
	int err;
};

static bool rund_scan_one(struct dir_context *ctx, const char *name, int len, loff_t off,
			  u64 ino, unsigned int type)
{
	struct rund_scan *s = container_of(ctx, struct rund_scan, ctx);
	struct rund_child *c;

	if (type != DT_DIR || len > NAME_MAX ||
	    (name[0] == '.' && (len == 1 || (len == 2 && name[1] == '.'))))
		return true;
	c = kmalloc(sizeof(*c) + len + 1, GFP_KERNEL);
	if (!c) {
		s->err = -ENOMEM;
		return false;
	}
	memcpy(c->name, name, len);
	c->name[len] = '\0';
	list_add_tail(&c->node, &s->children);
	return true;
}

static bool rund_is_idle_name(const char *name)
{
	return !strncmp(name, RUND_CGPOOL_IDLE_PREFIX, strlen(RUND_CGPOOL_IDLE_PREFIX));
}

/* Take over child @name of the pool dir if the pool made it. */
static int rund_adopt_one(struct rund_pool *p, const char *name)
{
	char owner[NAME_MAX + 1];
	bool idle = rund_is_idle_name(name) && strlen(name) < RUND_IDLE_NAME_LEN;
	struct rund_cg *cg;
	int err;

	if (!rund_cg_marked(p, name)) {
		pr_info("SETUP: leaving '%s' alone: not made by the pool (no %s)\n", name,
			RUND_MARK_XATTR);
		return 0;
	}
	cg = rund_cg_alloc(p);
	if (!cg)
		return -ENOMEM;
	strscpy(cg->name, name, sizeof(cg->name));
	if (idle)
		strscpy(cg->idle_name, name, sizeof(cg->idle_name));
	err = rund_cg_stat_id(p, name, &cg->id);
	if (err) {
		kfree(cg);
		return err == -ENOENT ? 0 : err;	/* gone meanwhile */
	}
	atomic_long_inc(&p->nr_total);
	atomic64_inc(&p->adopted);
	if (idle && !p->rename && !rund_cg_owner(p, name, owner, sizeof(owner)) &&
	    !rund_name_check("SETUP adopt", owner)) {
		rund_cg_track_busy(p, cg, owner);
	} else if (idle) {
		__module_get(THIS_MODULE);	/* dropped when it turns idle or is gone */
		if (p->recycle)
			rund_recycle_one(p, cg);
		else
			rund_cg_retire(p, cg);
	} else {
		rund_cg_track_busy(p, cg, name);
	}
	return 0;
}

static int rund_pool_adopt(struct rund_pool *p)
{
	struct rund_scan s = { .ctx.actor = rund_scan_one };
	struct rund_child *c, *tmp;
	struct file *dir;
	u64 seq, max = 0;
	int err;

	INIT_LIST_HEAD(&s.children);
	dir = file_open_root(&p->dir, ".", O_RDONLY | O_DIRECTORY, 0);
	if (IS_ERR(dir))
		return PTR_ERR(dir);
	err = iterate_dir(dir, &s.ctx);
	fput(dir);
	if (!err)
		err = s.err;
	/* new idle names continue after the highest one found */
	list_for_each_entry(c, &s.children, node)
		if (rund_is_idle_name(c->name) &&
		    !kstrtoull(c->name + strlen(RUND_CGPOOL_IDLE_PREFIX), 10, &seq))
			max = max(max, seq);
	atomic64_set(&p->seq, max);
	list_for_each_entry_safe(c, tmp, &s.children, node) {
		if (!err)
			err = rund_adopt_one(p, c->name);
		kfree(c);
	}
	if (atomic64_read(&p->adopted))
		pr_info("adopted %lld cgroups: %ld busy, %ld idle\n",
			(s64)atomic64_read(&p->adopted), atomic_long_read(&p->nr_busy),
			atomic_long_read(&p->nr_idle));
	return err;
}

/* --- setup and teardown ----------------------------------------------------------- */

/*
 * v2: enable the sandbox controllers for the pool's children. Then make a probe child:
 * it must have every controller, and its rename tells whether claims can rename (v2 on a
 * stock kernel cannot: EPERM).
 */
static int rund_pool_probe(struct rund_pool *p)
{
	static const char *const ctrl[] = { "+cpu", "+cpuset", "+memory", "+pids", "+io" };
	const char *probe = RUND_CGPOOL_IDLE_PREFIX "probe";
	const char *probe2 = RUND_CGPOOL_IDLE_PREFIX "probe2";
	struct rund_cg *cg;
	size_t i;
	int err;

	for (i = 0; p->v2 && i < ARRAY_SIZE(ctrl); i++)
		rund_cg_write(p, NULL, "cgroup.subtree_control", ctrl[i]);
	cg = rund_cg_alloc(p);
	if (!cg)
		return -ENOMEM;
	strscpy(cg->name, probe2, sizeof(cg->name));
	p->be->destroy(p, cg);		/* a probe left by a crash */
	strscpy(cg->name, probe, sizeof(cg->name));
	p->be->destroy(p, cg);
	err = p->be->create(p, cg);
	if (err) {
		rund_bad("SETUP: cannot make a cgroup in the pool dir: %d\n", err);
		kfree(cg);
		return err;
	}
	err = rund_controllers_check(p, cg->name);
	if (!err)
		rund_limits_probe(p, cg->name);
	if (!err) {
		p->rename = true;
		err = p->be->claim(p, cg, probe2);
		if (err == -EPERM && p->v2) {
			p->rename = false;
			err = 0;
		} else if (err) {
			rund_bad("SETUP: renaming a cgroup in the pool dir failed: %d\n", err);
		}
	}
	p->be->destroy(p, cg);
	kfree(cg);
	return err;
}

/* Free @p: remove its idle cgroups, leave busy and stuck ones as plain cgroups. */
static void rund_pool_free(struct rund_pool *p)
{
	struct rund_cg *cg, *tmp;
	struct hlist_node *h;
	unsigned int bkt;

	cancel_delayed_work_sync(&p->work);
	list_for_each_entry_safe(cg, tmp, &p->idle, node)
		rund_cg_destroy(p, cg);
	hash_for_each_safe(p->by_name, bkt, h, cg, hname) {
		/* a doomed cgroup keeps its name hashed: it is freed with p->stuck */
		if (cg->state == RUND_CG_STUCK)
			continue;
		kfree(cg);
		module_put(THIS_MODULE);
	}
	list_for_each_entry_safe(cg, tmp, &p->stuck, node) {
		kfree(cg);
		module_put(THIS_MODULE);
	}
	if (p->be->close)
		p->be->close(p);
	path_put(&p->dir);
	put_cred(p->cred);
	kfree(p);
}

static int rund_setup_check(const struct rund_cgpool_setup *s)
{
	if (rund_flags_check("SETUP", s->flags,
			     RUND_CGPOOL_SETUP_RECYCLE | RUND_CGPOOL_SETUP_MKDIR))
		return -EINVAL;
	if (s->reserved) {
		rund_bad("SETUP: reserved field set\n");
		return -EINVAL;
	}
	if ((s->flags & RUND_CGPOOL_SETUP_MKDIR) && !rund_backend->mkdir) {
		rund_bad("SETUP: serving mkdir(2) needs the fast backend, not %s\n",
			 rund_backend->name);
		return -EOPNOTSUPP;
	}
	if (!s->pool_size || s->pool_size > RUND_CGPOOL_MAX_SIZE ||
	    s->low_watermark > s->pool_size) {
		rund_bad("SETUP: pool size %u / low watermark %u out of range (%s %u)\n",
			 s->pool_size, s->low_watermark, "low <= size <=", RUND_CGPOOL_MAX_SIZE);
		return -ERANGE;
	}
	return rund_limits_check("SETUP defaults", &s->defaults);
}

static struct rund_pool *rund_pool_alloc(const struct rund_cgpool_setup *s)
{
	struct rund_pool *p = kzalloc(sizeof(*p), GFP_KERNEL);

	if (!p)
		return NULL;
	p->be = rund_backend;
	p->size = s->pool_size;
	p->low = s->low_watermark;
	p->defaults = s->defaults;
	p->recycle = s->flags & RUND_CGPOOL_SETUP_RECYCLE;
	p->mkdir = s->flags & RUND_CGPOOL_SETUP_MKDIR;
	p->cred = get_current_cred();
	spin_lock_init(&p->lock);
	mutex_init(&p->attach_lock);
	INIT_LIST_HEAD(&p->idle);
	init_waitqueue_head(&p->idle_wq);
	INIT_LIST_HEAD(&p->stuck);
	hash_init(p->by_name);
	hash_init(p->by_id);
	INIT_DELAYED_WORK(&p->work, rund_work);
	refcount_set(&p->users, 1);
	init_completion(&p->users_done);
	return p;
}

static int rund_pool_fill(struct rund_pool *p)
{
	int err;

	while (atomic_long_read(&p->nr_idle) < p->size) {
		err = rund_add_new(p, &p->prefilled, false);
		if (err) {
			rund_bad("SETUP: making the pool's cgroups failed: %d\n", err);
			return err;
		}
	}
	return 0;
}

int rund_pool_setup(const struct rund_cgpool_setup *s)
{
	struct rund_pool *p;
	struct file *f;
	int err = rund_setup_check(s);

	if (err)
		return err;
	mutex_lock(&rund_setup_lock);
	if (rcu_access_pointer(rund_the_pool)) {
		rund_bad("SETUP: a pool is already set up (one per module)\n");
		err = -EALREADY;
		goto out;
	}
	f = s->dirfd >= 0 ? fget_raw(s->dirfd) : NULL;
	if (!f) {
		rund_bad("SETUP: dirfd %d is not an open file descriptor\n", s->dirfd);
		err = -EBADF;
		goto out;
	}
	p = rund_pool_alloc(s);
	if (!p) {
		fput(f);
		err = -ENOMEM;
		goto out;
	}
	p->dir = f->f_path;
	path_get(&p->dir);
	fput(f);
	err = p->be->open(p);
	if (err) {
		path_put(&p->dir);
		put_cred(p->cred);
		kfree(p);
		goto out;
	}
	err = rund_pool_probe(p);
	if (!err)
		err = rund_pool_adopt(p);
	if (!err)
		err = rund_pool_fill(p);
	if (err) {
		rund_pool_free(p);
		goto out;
	}
	rcu_assign_pointer(rund_the_pool, p);
	pr_info("pool on %pd: %u idle (low %u), %s backend, %s, %s, %s\n", p->dir.dentry,
		p->size, p->low, p->be->name, p->v2 ? "cgroup v2" : "cgroup v1",
		p->rename ? "claims rename" : "no rename: claims keep the pool name",
		p->recycle ? "released cgroups recycled" : "never-used cgroups only");
out:
	mutex_unlock(&rund_setup_lock);
	return err;
}

/* Unpublish the pool and wait until no ioctl uses it. */
static struct rund_pool *rund_pool_unpublish(void)
{
	struct rund_pool *p = rcu_dereference_protected(rund_the_pool,
							lockdep_is_held(&rund_setup_lock));

	if (!p)
		return NULL;
	RCU_INIT_POINTER(rund_the_pool, NULL);
	synchronize_rcu();
	rund_pool_put(p);
	wait_for_completion(&p->users_done);
	WRITE_ONCE(p->unpublished, true);
	rund_flush(p);
	return p;
}

/*
 * Decide TEARDOWN before anything is unpublished: with sandboxes holding cgroups (and no
 * KEEP_BUSY) it fails and the pool goes on undisturbed. Otherwise p->closing makes
 * ACQUIRE fail from now on, so none can make a sandbox busy behind the decision.
 */
static long rund_pool_close(struct rund_pool *p, bool keep_busy)
{
	long held;

	spin_lock(&p->lock);
	held = atomic_long_read(&p->nr_busy) + atomic_long_read(&p->nr_stuck);
	if (!held || keep_busy)
		p->closing = true;
	spin_unlock(&p->lock);
	return held;
}

int rund_pool_teardown(const struct rund_cgpool_teardown *t)
{
	struct rund_pool *p;
	long held;
	int err = 0;

	if (rund_flags_check("TEARDOWN", t->flags, RUND_CGPOOL_TEARDOWN_KEEP_BUSY))
		return -EINVAL;
	mutex_lock(&rund_setup_lock);
	p = rcu_dereference_protected(rund_the_pool, lockdep_is_held(&rund_setup_lock));
	if (!p) {
		rund_bad("TEARDOWN: no pool set up\n");
		err = -ENODEV;
		goto out;
	}
	held = rund_pool_close(p, t->flags & RUND_CGPOOL_TEARDOWN_KEEP_BUSY);
	if (held && !(t->flags & RUND_CGPOOL_TEARDOWN_KEEP_BUSY)) {
		rund_bad("TEARDOWN: %ld cgroups still held by sandboxes\n", held);
		err = -EBUSY;
		goto out;
	}
	rund_pool_unpublish();
	held = atomic_long_read(&p->nr_busy) + atomic_long_read(&p->nr_stuck);
	pr_info("pool on %pd torn down, %ld cgroups left to their sandboxes\n",
		p->dir.dentry, held);
	rund_pool_free(p);
out:
	mutex_unlock(&rund_setup_lock);
	return err;
}

/* Module exit: no sandbox holds a cgroup (each pins the module). */
void rund_pool_exit(void)
{
	struct rund_pool *p;

	mutex_lock(&rund_setup_lock);
	p = rund_pool_unpublish();
	if (p)
		rund_pool_free(p);
	mutex_unlock(&rund_setup_lock);
}

void rund_pool_stats(struct rund_pool *p, struct rund_cgpool_stats *st)
{
	st->abi_version = RUND_CGPOOL_ABI_VERSION;
	strscpy(st->backend, rund_backend->name, sizeof(st->backend));
	if (!p)
		return;
	st->pool_flags = RUND_CGPOOL_POOL_SETUP | (p->v2 ? RUND_CGPOOL_POOL_V2 : 0) |
			 (p->rename ? RUND_CGPOOL_POOL_RENAME : 0) |
			 (p->recycle ? RUND_CGPOOL_POOL_RECYCLE : 0) |
			 (p->mkdir ? RUND_CGPOOL_POOL_MKDIR : 0);
	st->pool_size = p->size;
	st->low_watermark = p->low;
	st->total = atomic_long_read(&p->nr_total);
	st->idle = atomic_long_read(&p->nr_idle);
	st->busy = atomic_long_read(&p->nr_busy);
	st->recycling = atomic_long_read(&p->nr_recycling);
	st->stuck = atomic_long_read(&p->nr_stuck);
	st->acquired = atomic64_read(&p->acquired);
	st->released = atomic64_read(&p->released);
	st->fallbacks = atomic64_read(&p->fallbacks);
	st->refills = atomic64_read(&p->refills);
	st->recycled = atomic64_read(&p->recycled);
	st->replaced = atomic64_read(&p->replaced);
	st->destroyed = atomic64_read(&p->destroyed);
	st->adopted = atomic64_read(&p->adopted);
	st->prefilled = atomic64_read(&p->prefilled);
	BUILD_BUG_ON(offsetof(struct rund_cgpool_stats, mkdir_reserve) !=
		     RUND_CGPOOL_STATS_SIZE_VER0);
	rund_fast_mkdir_stats(p, &st->mkdir_reserve, &st->mkdir_served);
}
