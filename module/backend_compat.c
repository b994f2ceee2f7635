// SPDX-License-Identifier: GPL-2.0
/*
 * rund_cgpool compat backend: any 6.1 kernel. Cgroups are made, renamed and removed with
 * the exported VFS calls on the pool directory's cgroupfs mount, under the parent's inode
 * lock as the syscalls take it; tasks are attached by writing cgroup.procs.
 *
 * A stock kernel cannot rename on cgroup v2 (EPERM): there a claim keeps the idle name and
 * records the sandbox in the trusted.rund.sandbox xattr, and ACQUIRE returns that path.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/dcache.h>
#include <linux/fs.h>
#include <linux/magic.h>
#include <linux/mount.h>
#include <linux/namei.h>
#include <linux/pid.h>
#include <linux/rcupdate.h>

#include "compat.h"
#include "pool.h"

static int compat_open(struct rund_pool *p)
{
	struct dentry *d = p->dir.dentry;
	unsigned long magic = d->d_sb->s_magic;

	if (!d_is_dir(d)) {
		rund_bad("SETUP: dirfd is not a directory\n");
		return -ENOTDIR;
	}
	if (magic != CGROUP_SUPER_MAGIC && magic != CGROUP2_SUPER_MAGIC) {
		rund_bad("SETUP: '%pd' is not on a cgroup filesystem (magic 0x%lx)\n", d, magic);
		return -ENOTDIR;
	}
	p->v2 = magic == CGROUP2_SUPER_MAGIC;
	return 0;
}

/* Look @name up in the locked pool dir. */
static struct dentry *compat_lookup(struct rund_pool *p, const char *name)
{
	return lookup_one_len(name, p->dir.dentry, strlen(name));
}

/* mkdir (@make) or rmdir child cg->name, the pool dir locked as the syscalls lock it. */
static int compat_mkdir_rmdir(struct rund_pool *p, struct rund_cg *cg, bool make)
{
	struct inode *dir = d_inode(p->dir.dentry);
	struct dentry *d;
	int err = mnt_want_write(p->dir.mnt);

	if (err)
		return err;
	inode_lock_nested(dir, I_MUTEX_PARENT);
	d = compat_lookup(p, cg->name);
	if (IS_ERR(d)) {
		err = PTR_ERR(d);
	} else {
		if (make)
			err = d_really_is_positive(d) ? -EEXIST :
			      vfs_mkdir(rund_mnt_idmap(p->dir.mnt), dir, d, 0755);
		else
			err = d_really_is_negative(d) ? -ENOENT :
			      vfs_rmdir(rund_mnt_idmap(p->dir.mnt), dir, d);
		dput(d);
	}
	inode_unlock(dir);
	mnt_drop_write(p->dir.mnt);
	return err;
}

static int compat_create(struct rund_pool *p, struct rund_cg *cg)
{
	int err = compat_mkdir_rmdir(p, cg, true);

	/* kernfs leaves the mkdir dentry negative: the id comes from a fresh lookup */
	return err ? err : rund_cg_stat_id(p, cg->name, &cg->id);
}

static int compat_rename(struct rund_pool *p, struct rund_cg *cg, const char *to)
{
	struct inode *dir = d_inode(p->dir.dentry);
	struct renamedata rd = {
		.old_dir = dir,
		.new_dir = dir,
	};
	struct dentry *from, *dest;
	int err = mnt_want_write(p->dir.mnt);

	if (err)
		return err;
	rund_renamedata_idmap(&rd, p->dir.mnt);
	lock_rename(p->dir.dentry, p->dir.dentry);
	from = compat_lookup(p, cg->name);
	if (IS_ERR(from)) {
		err = PTR_ERR(from);
		goto unlock;
	}
	dest = compat_lookup(p, to);
	if (IS_ERR(dest)) {
		err = PTR_ERR(dest);
		goto put_from;
	}
	if (d_really_is_negative(from))
		err = -ENOENT;
	else if (d_really_is_positive(dest))
		err = -EEXIST;
	if (!err) {
		rd.old_dentry = from;
		rd.new_dentry = dest;
		err = vfs_rename(&rd);
	}
	dput(dest);
put_from:
	dput(from);
unlock:
	unlock_rename(p->dir.dentry, p->dir.dentry);
	mnt_drop_write(p->dir.mnt);
	if (!err)
		strscpy(cg->name, to, sizeof(cg->name));
	return err;
}

/**
 * rund_vfs_claim - the claim of both backends: rename to @name through the VFS
 * @p: the pool
 * @cg: an idle cgroup the caller owns
 * @name: the sandbox name
 *
 * A visible cgroup is only ever renamed with vfs_rename(), under the pool dir's
 * i_rwsem as rename(2) takes it: the dcache, fsnotify watchers and readdir see the
 * rename as they see any other. On v2 without rename support the claim records @name in
 * the trusted.rund.sandbox xattr instead.
 *
 * Return: 0 or -errno (-EEXIST: the pool dir has an entry @name).
 */
int rund_vfs_claim(struct rund_pool *p, struct rund_cg *cg, const char *name)
{
	if (p->rename)
		return compat_rename(p, cg, name);
	return rund_cg_set_owner(p, cg->name, name);
}

/**
 * rund_vfs_unclaim - undo rund_vfs_claim(): back to the idle name
 * @p: the pool
 * @cg: a claimed cgroup the caller owns
 *
 * Return: 0 or -errno.
 */
int rund_vfs_unclaim(struct rund_pool *p, struct rund_cg *cg)
{
	if (p->rename)
		return strcmp(cg->name, cg->idle_name) ? compat_rename(p, cg, cg->idle_name) : 0;
	return rund_cg_set_owner(p, cg->name, NULL);
}

/*
 * A stock kernel attaches by number only (cgroup.procs). The pid is pinned by the
 * caller; the number is taken from it and the process checked alive just before the
 * write, and afterwards the number must still be that process's: if the process exited
 * and its number was reused in the few microseconds between the check and the kernel's
 * own lookup, the newcomer was attached and ACQUIRE fails with -ESRCH. Only the fast
 * backend (cgroup_rund_attach()) closes that window.
 */
static int compat_attach(struct rund_pool *p, struct rund_cg *cg, struct pid *pid)
{
	pid_t nr = pid_vnr(pid);
	struct pid *now;
	char buf[16];
	int err;

	if (!nr || !pid_has_task(pid, PIDTYPE_TGID))
		return -ESRCH;
	snprintf(buf, sizeof(buf), "%d", nr);
	err = rund_cg_write(p, cg->name, "cgroup.procs", buf);
	if (err)
		return err;
	rcu_read_lock();
	now = find_vpid(nr);
	err = now && now != pid ? -ESRCH : 0;
	rcu_read_unlock();
	if (err)
		pr_warn_ratelimited("%s: pid %d exited and was reused during the attach: another process was attached\n",
				    cg->name, nr);
	return err;
}

static int compat_destroy(struct rund_pool *p, struct rund_cg *cg)
{
	return compat_mkdir_rmdir(p, cg, false);
}

const struct rund_backend rund_backend_compat = {
	.name		= "compat",
	.open		= compat_open,
	.create		= compat_create,
	.claim		= rund_vfs_claim,
	.unclaim	= rund_vfs_unclaim,
	.attach		= compat_attach,
	.destroy	= compat_destroy,
};
