// SPDX-License-Identifier: GPL-2.0
/*
 * rund_cgpool: what a released cgroup must lose before RUND_CGPOOL_SETUP_RECYCLE hands it
 * to another sandbox (the default policy never reuses one).
 *
 * Written back here: memory.oom.group (v2), io.max (v2) and blkio.throttle.* (v1), the
 * hugetlb limits; limits.c resets the rest it manages. Refused - the cgroup is replaced,
 * which is always safe - is whatever a write cannot undo or the pool cannot enumerate: a
 * BPF program attached to the cgroup (runc's and crun's device filters), an owner, group
 * or mode changed on its directory or on any of its files (delegation chowns
 * cgroup.procs, which would let the last tenant's uid move tasks into the next tenant's
 * cgroup), an xattr other than the pool's own, and any setting of rund_fresh_v2/v1
 * below that does not read as in a new cgroup (a subtree_control left enabled would make
 * every later attach fail: v2 has no internal processes). What stays is documented in the uapi
 * header: the cgroup id and cumulative counters.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/cgroup.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/kernfs.h>
#include <linux/slab.h>
#include <linux/xattr.h>

#include "pool.h"

/* 1 when a BPF program is attached to the cgroup of directory @dir (not inherited ones) */
static int rund_bpf_attached(struct file *dir)
{
#ifdef CONFIG_CGROUP_BPF
	struct kernfs_node *kn = file_inode(dir)->i_private;
	struct cgroup *cgrp;
	int i, ret = 0;

	rcu_read_lock();
	/* a cgroup directory's priv is its cgroup, cleared under RCU when it is released */
	cgrp = rcu_dereference(*(void __rcu __force **)&kn->priv);
	for (i = 0; cgrp && i < MAX_CGROUP_BPF_ATTACH_TYPE && !ret; i++)
		ret = !hlist_empty(&cgrp->bpf.progs[i]);
	rcu_read_unlock();
	return ret;
#else
	return 0;
#endif
}

/* 1 when directory @dir has an xattr outside the pool's trusted.rund.* */
static int rund_foreign_xattr(struct file *dir)
{
	ssize_t len = vfs_listxattr(dir->f_path.dentry, NULL, 0);
	char *buf, *name;
	int ret = 0;

	if (len <= 0)
		return len;
	buf = kmalloc(len, GFP_KERNEL);
	if (!buf)
		return -ENOMEM;
	len = vfs_listxattr(dir->f_path.dentry, buf, len);
	for (name = buf; len > 0 && name < buf + len && !ret; name += strlen(name) + 1)
		ret = !!strncmp(name, RUND_XATTR_PREFIX, strlen(RUND_XATTR_PREFIX));
	kfree(buf);
	return len < 0 ? len : ret;
}

struct rund_touched {
	struct dir_context ctx;
	struct kernfs_node *dir;
	const char *first;		/* name of the first touched file */
	char name[NAME_MAX + 1];
};

/*
 * kernfs gives a node attributes of its own (kn->iattr) only on chown, chmod, utimes or
 * an xattr: a file of a cgroup the pool made as root has none. kernfs_fop_readdir()
 * drops kernfs_rwsem around each emit, so the lookup may take it.
 */
static bool rund_touched_one(struct dir_context *ctx, const char *name, int len,
			     loff_t off, u64 ino, unsigned int type)
{
	struct rund_touched *t = container_of(ctx, struct rund_touched, ctx);
	struct kernfs_node *kn;

	if (type == DT_DIR || len > NAME_MAX)
		return true;
	memcpy(t->name, name, len);
	t->name[len] = '\0';
	kn = kernfs_find_and_get(t->dir, t->name);
	if (kn && kn->iattr)
		t->first = t->name;
	kernfs_put(kn);
	return !t->first;
}

/* 1 when the owner, group or mode of directory @dir or of a file in it was changed */
static int rund_attrs_changed(struct rund_pool *p, struct rund_cg *cg, struct file *dir)
{
	struct inode *inode = file_inode(dir);
	struct rund_touched t = {
		.ctx.actor = rund_touched_one,
		.dir = inode->i_private,
	};
	int err;

	if (!uid_eq(inode->i_uid, GLOBAL_ROOT_UID) || !gid_eq(inode->i_gid, GLOBAL_ROOT_GID) ||
	    (inode->i_mode & S_IALLUGO) != 0755) {
		pr_info("%s: owner or mode changed on its directory\n", cg->name);
		return 1;
	}
	err = iterate_dir(dir, &t.ctx);
	if (err)
		return err;
	if (t.first)
		pr_info("%s: owner, mode or xattrs changed on %s\n", cg->name, t.first);
	return !!t.first;
}

/*
 * Settings a runtime may change that no reset here covers, with what a new cgroup reads
 * (first line); NULL: what the pool directory reads (inherited at creation). Files the
 * cgroup does not have are skipped. (v1 cpuset.sched_load_balance is reset with the
 * limits: a pool cgroup's value depends on the pool, see cpuset_quiet in limits.c.)
 */
struct rund_fresh {
	const char *file;
	const char *val;
};

static const struct rund_fresh rund_fresh_v2[] = {
	{ "cgroup.subtree_control", "" },
	{ "cgroup.type", "domain" },
	{ "cgroup.max.descendants", "max" },
	{ "cgroup.max.depth", "max" },
	{ "memory.swap.high", "max" },
	{ "memory.zswap.max", "max" },
	{ "cpu.max.burst", "0" },
	{ "cpu.uclamp.min", "0.00" },
	{ "cpu.uclamp.max", "max" },
	{ "io.latency", "" },
	{ "io.prio.class", "no-change" },
	{ "cpuset.cpus.partition", "member" },
};

static const struct rund_fresh rund_fresh_v1[] = {
	{ "notify_on_release", NULL },
	{ "cgroup.clone_children", NULL },
	{ "memory.swappiness", NULL },
	{ "memory.oom_control", NULL },		/* oom_kill_disable */
	{ "memory.move_charge_at_immigrate", "0" },
	{ "memory.use_hierarchy", "1" },
	{ "cpuset.cpu_exclusive", "0" },
	{ "cpuset.mem_exclusive", "0" },
	{ "cpuset.mem_hardwall", "0" },
	{ "cpuset.memory_migrate", "0" },
	{ "cpuset.memory_spread_page", "0" },
	{ "cpuset.memory_spread_slab", "0" },
	{ "cpuset.sched_relax_domain_level", "-1" },
	{ "cpu.rt_runtime_us", "0" },
	{ "cpu.cfs_burst_us", "0" },
};

/* The first line of @file of cgroup @cg (NULL: the pool dir) into @buf, or -errno. */
static int rund_first_line(struct rund_pool *p, const char *cg, const char *file,
			   char *buf, size_t len)
{
	ssize_t n = rund_cg_read(p, cg, file, buf, len);

	if (n < 0)
		return n;
	buf[strcspn(buf, "\n")] = '\0';
	return 0;
}

/* 1 when a setting of rund_fresh_* differs from a new cgroup's, 0, or -errno */
static int rund_settings_changed(struct rund_pool *p, struct rund_cg *cg)
{
	const struct rund_fresh *t = p->v2 ? rund_fresh_v2 : rund_fresh_v1;
	size_t i, n = p->v2 ? ARRAY_SIZE(rund_fresh_v2) : ARRAY_SIZE(rund_fresh_v1);
	char now[64], want[64];
	int err;

	for (i = 0; i < n; i++) {
		if (!rund_cg_has(p, cg->name, t[i].file))
			continue;
		err = rund_first_line(p, cg->name, t[i].file, now, sizeof(now));
		if (!err && !t[i].val)
			err = rund_first_line(p, NULL, t[i].file, want, sizeof(want));
		else if (!err)
			strscpy(want, t[i].val, sizeof(want));
		if (err)
			return err;
		if (strcmp(now, want)) {
			pr_info("%s: %s reads '%s', a new cgroup '%s'\n", cg->name, t[i].file,
				now, want);
			return 1;
		}
	}
	return 0;
}

/* Write @val to every "KEY ..." line's KEY of @file (io.max, blkio.throttle.*). */
static int rund_reset_lines(struct rund_pool *p, struct rund_cg *cg, const char *file,
			    const char *val)
{
	char *buf, *line, *s, *key, out[64];
	ssize_t n;
	int err = 0;

	if (!rund_cg_has(p, cg->name, file))
		return 0;
	buf = kmalloc(PAGE_SIZE, GFP_KERNEL);
	if (!buf)
		return -ENOMEM;
	n = rund_cg_read(p, cg->name, file, buf, PAGE_SIZE);
	s = buf;
	while (n >= 0 && !err && (line = strsep(&s, "\n"))) {
		key = strsep(&line, " ");
		if (!key || !*key || !strcmp(key, "Total"))
			continue;
		snprintf(out, sizeof(out), "%s %s", key, val);
		err = rund_cg_write(p, cg->name, file, out);
	}
	kfree(buf);
	return n < 0 ? n : err;
}

struct rund_hugetlb {
	struct dir_context ctx;
	char names[8][48];		/* hugetlb limit files: a few page sizes at most */
	int nr;
	bool v2;
};

static bool rund_hugetlb_one(struct dir_context *ctx, const char *name, int len,
			     loff_t off, u64 ino, unsigned int type)
{
	struct rund_hugetlb *h = container_of(ctx, struct rund_hugetlb, ctx);
	const char *suffix = h->v2 ? ".max" : ".limit_in_bytes";
	size_t sl = strlen(suffix);

	if (type == DT_DIR || len >= sizeof(h->names[0]) || len <= sl ||
	    strncmp(name, "hugetlb.", 8) || memcmp(name + len - sl, suffix, sl))
		return true;
	if (h->nr < ARRAY_SIZE(h->names)) {
		memcpy(h->names[h->nr], name, len);
		h->names[h->nr++][len] = '\0';
	}
	return true;
}

/* hugetlb.<size>.max (v2, incl. .rsvd.max) / .limit_in_bytes (v1) back to unlimited */
static int rund_reset_hugetlb(struct rund_pool *p, struct rund_cg *cg, struct file *dir)
{
	struct rund_hugetlb h = { .ctx.actor = rund_hugetlb_one, .v2 = p->v2 };
	loff_t pos = vfs_llseek(dir, 0, SEEK_SET);	/* rund_attrs_changed() read it */
	int i, err = pos < 0 ? pos : iterate_dir(dir, &h.ctx);

	for (i = 0; i < h.nr && !err; i++)
		err = rund_cg_write(p, cg->name, h.names[i], p->v2 ? "max" : "-1");
	return err;
}

/* The resets limits.c does not cover; absent files are skipped. */
static int rund_scrub_reset(struct rund_pool *p, struct rund_cg *cg, struct file *dir)
{
	static const char *const v1_throttle[] = {
		"blkio.throttle.read_bps_device", "blkio.throttle.write_bps_device",
		"blkio.throttle.read_iops_device", "blkio.throttle.write_iops_device",
	};
	int i, err = 0;

	if (p->v2) {
		if (rund_cg_has(p, cg->name, "memory.oom.group"))
			err = rund_cg_write(p, cg->name, "memory.oom.group", "0");
		if (!err)
			err = rund_reset_lines(p, cg, "io.max",
					       "rbps=max wbps=max riops=max wiops=max");
	}
	for (i = 0; !p->v2 && i < ARRAY_SIZE(v1_throttle) && !err; i++)
		err = rund_reset_lines(p, cg, v1_throttle[i], "0");
	return err ?: rund_reset_hugetlb(p, cg, dir);
}

/**
 * rund_scrub - make a released cgroup fit for another sandbox, or refuse it
 * @p: a pool with RUND_CGPOOL_SETUP_RECYCLE
 * @cg: the released cgroup, under its idle name, owned by the caller
 *
 * Return: 0 when @cg was scrubbed; -EUCLEAN when it carries state a reset cannot remove
 * (the caller replaces it, with one dmesg line naming what was found); -errno.
 */
int rund_scrub(struct rund_pool *p, struct rund_cg *cg)
{
	struct file *dir = file_open_root(&p->dir, cg->name, O_RDONLY | O_DIRECTORY, 0);
	int ret;

	if (IS_ERR(dir))
		return PTR_ERR(dir);
	ret = rund_bpf_attached(dir);
	if (ret > 0)
		pr_info("%s: a BPF program is attached\n", cg->name);
	if (!ret) {
		ret = rund_foreign_xattr(dir);
		if (ret > 0)
			pr_info("%s: has xattrs the pool did not set\n", cg->name);
	}
	if (!ret)
		ret = rund_attrs_changed(p, cg, dir);
	if (!ret)
		ret = rund_settings_changed(p, cg);
	if (ret > 0)
		ret = -EUCLEAN;
	if (!ret)
		ret = rund_scrub_reset(p, cg, dir);
	fput(dir);
	return ret;
}
