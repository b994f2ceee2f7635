// SPDX-License-Identifier: GPL-2.0
/*
 * rund_cgpool: cgroup interface files, opened relative to the pool directory.
 *
 * file_open_root() on the pool's struct path works from any context (ioctl or worker)
 * regardless of the caller's mount namespace or root. Names reaching here are validated
 * (no '/', no "." or ".."), so a path never leaves the pool directory.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/fcntl.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/kernel.h>
#include <linux/slab.h>
#include <linux/xattr.h>

#include "compat.h"
#include "pool.h"

#define RUND_PATH_LEN	(NAME_MAX + 1 + 64)

static struct file *rund_cg_open(struct rund_pool *p, const char *cg, const char *file,
				 int flags)
{
	char path[RUND_PATH_LEN];
	int n;

	if (cg && file)
		n = snprintf(path, sizeof(path), "%s/%s", cg, file);
	else
		n = snprintf(path, sizeof(path), "%s", cg ? cg : file);
	if (n >= sizeof(path))
		return ERR_PTR(-ENAMETOOLONG);
	return file_open_root(&p->dir, path, flags | O_CLOEXEC, 0);
}

int rund_cg_write(struct rund_pool *p, const char *cg, const char *file, const char *val)
{
	struct file *f = rund_cg_open(p, cg, file, O_WRONLY);
	size_t len = strlen(val);
	loff_t pos = 0;
	ssize_t n;

	if (IS_ERR(f))
		return PTR_ERR(f);
	n = kernel_write(f, val, len, &pos);
	fput(f);
	if (n < 0)
		return n;
	return n == len ? 0 : -EIO;
}

ssize_t rund_cg_read(struct rund_pool *p, const char *cg, const char *file,
		     char *buf, size_t len)
{
	struct file *f = rund_cg_open(p, cg, file, O_RDONLY);
	loff_t pos = 0;
	ssize_t n;

	if (IS_ERR(f))
		return PTR_ERR(f);
	n = kernel_read(f, buf, len - 1, &pos);
	fput(f);
	buf[n < 0 ? 0 : n] = '\0';
	return n;
}

int rund_cg_read_u64(struct rund_pool *p, const char *cg, const char *file, u64 *val)
{
	char buf[32];
	ssize_t n = rund_cg_read(p, cg, file, buf, sizeof(buf));

	if (n < 0)
		return n;
	return kstrtoull(strim(buf), 10, val);
}

bool rund_cg_has(struct rund_pool *p, const char *cg, const char *file)
{
	struct file *f = rund_cg_open(p, cg, file, O_PATH);

	if (IS_ERR(f))
		return false;
	fput(f);
	return true;
}

/* The cgroup id of child @cg: its kernfs inode number. */
int rund_cg_stat_id(struct rund_pool *p, const char *cg, u64 *id)
{
	struct file *f = rund_cg_open(p, cg, NULL, O_PATH | O_DIRECTORY);

	if (IS_ERR(f))
		return PTR_ERR(f);
	*id = file_inode(f)->i_ino;
	fput(f);
	return 0;
}

/* xattr @name of @cg into @buf (NUL-terminated), or -errno (-ENODATA: not set) */
static int rund_cg_getxattr(struct rund_pool *p, const char *cg, const char *name,
			    char *buf, size_t len)
{
	struct file *f = rund_cg_open(p, cg, NULL, O_PATH | O_DIRECTORY);
	ssize_t n;

	if (IS_ERR(f))
		return PTR_ERR(f);
	n = vfs_getxattr(rund_mnt_idmap(f->f_path.mnt), f->f_path.dentry, name, buf, len - 1);
	fput(f);
	if (n < 0)
		return n;
	buf[n] = '\0';
	return 0;
}

/* Set xattr @name of @cg to @val, or with @val NULL remove it (absent is not an error). */
static int rund_cg_setxattr(struct rund_pool *p, const char *cg, const char *name,
			    const char *val)
{
	struct file *f = rund_cg_open(p, cg, NULL, O_PATH | O_DIRECTORY);
	int err;

	if (IS_ERR(f))
		return PTR_ERR(f);
	if (val)
		err = vfs_setxattr(rund_mnt_idmap(f->f_path.mnt), f->f_path.dentry, name, val,
				   strlen(val), 0);
	else
		err = vfs_removexattr(rund_mnt_idmap(f->f_path.mnt), f->f_path.dentry, name);
	fput(f);
	return err == -ENODATA && !val ? 0 : err;
}

int rund_cg_owner(struct rund_pool *p, const char *cg, char *buf, size_t len)
{
	return rund_cg_getxattr(p, cg, RUND_OWNER_XATTR, buf, len);
}

/* Record (or with @owner NULL, remove) the sandbox that holds @cg. */
int rund_cg_set_owner(struct rund_pool *p, const char *cg, const char *owner)
{
	return rund_cg_setxattr(p, cg, RUND_OWNER_XATTR, owner);
}

/*
 * Mark @cg as made by the pool. Adoption takes only marked children: a foreign cgroup
 * in the pool dir, or one served from the mkdir reserve, is never taken for a sandbox.
 */
int rund_cg_mark(struct rund_pool *p, const char *cg)
{
	return rund_cg_setxattr(p, cg, RUND_MARK_XATTR, "1");
}

bool rund_cg_marked(struct rund_pool *p, const char *cg)
{
	char buf[4];

	return !rund_cg_getxattr(p, cg, RUND_MARK_XATTR, buf, sizeof(buf));
}

struct rund_count {
	struct dir_context ctx;
	int dirs;
};

static bool rund_count_dir(struct dir_context *ctx, const char *name, int len, loff_t off,
			   u64 ino, unsigned int type)
{
	struct rund_count *c = container_of(ctx, struct rund_count, ctx);

	if (type == DT_DIR && !(name[0] == '.' && (len == 1 || (len == 2 && name[1] == '.'))))
		c->dirs++;
	return true;
}

/* Number of child cgroups of @cg, or -errno. */
static int rund_cg_nr_children(struct rund_pool *p, const char *cg)
{
	struct rund_count c = { .ctx.actor = rund_count_dir };
	struct file *f = rund_cg_open(p, cg, NULL, O_RDONLY | O_DIRECTORY);
	int err;

	if (IS_ERR(f))
		return PTR_ERR(f);
	err = iterate_dir(f, &c.ctx);
	fput(f);
	return err ? err : c.dirs;
}

/*
 * 1 when @cg is in use: tasks in it (v2: in it or below, from cgroup.events; v1: in it,
 * from cgroup.procs) or child cgroups; 0 when empty, or -errno.
 */
int rund_cg_populated(struct rund_pool *p, const char *cg)
{
	char *buf, *line;
	ssize_t n;
	int ret = rund_cg_nr_children(p, cg);

	if (ret)
		return ret < 0 ? ret : 1;

	buf = kmalloc(PAGE_SIZE, GFP_KERNEL);
	if (!buf)
		return -ENOMEM;
	n = rund_cg_read(p, cg, p->v2 ? "cgroup.events" : "cgroup.procs", buf, PAGE_SIZE);
	if (n < 0) {
		ret = n;
	} else if (!p->v2) {
		ret = n > 0;
	} else {
		line = strstr(buf, "populated ");
		ret = line ? line[strlen("populated ")] != '0' : -EIO;
	}
	kfree(buf);
	return ret;
}
