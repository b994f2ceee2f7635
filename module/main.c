// SPDX-License-Identifier: GPL-2.0
/*
 * rund_cgpool: a pool of pre-created idle cgroups handed to sandboxes by rename.
 *
 * This file: module parameters, backend choice, the misc device /dev/rund_cgpool and its
 * ioctl dispatch (size-prefixed structs, see include/uapi/linux/rund_cgpool.h).
 *
 * Unloading: every cgroup that is not idle (acquired, or released and not yet recycled)
 * holds a module reference, so rmmod fails (delete_module: EWOULDBLOCK, "in use") while a
 * sandbox holds one; TEARDOWN with KEEP_BUSY hands them over as plain cgroups first. On
 * unload the idle cgroups are removed: the pool dir keeps no stray cgroup.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/capability.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/init.h>
#include <linux/miscdevice.h>
#include <linux/module.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <linux/workqueue.h>

#include "pool.h"

#ifdef CONFIG_CGROUP_RUND
#define RUND_DEFAULT_BACKEND	"fast"
#else
#define RUND_DEFAULT_BACKEND	"compat"
#endif

static char *backend = RUND_DEFAULT_BACKEND;
module_param(backend, charp, 0444);
MODULE_PARM_DESC(backend, "pool backend: compat, or fast on a kernel with CONFIG_CGROUP_RUND (default: fast when available)");

const struct rund_backend *rund_backend;
struct workqueue_struct *rund_wq;

/* ioctl numbers without their size bits: struct sizes travel in the structs */
#define RUND_IOC_KEY(cmd)	((cmd) & ~(_IOC_SIZEMASK << _IOC_SIZESHIFT))

/*
 * Copy an ioctl struct in: its first __u32 is its size. Returns a kernel copy of @ksize
 * bytes (zero-extended) and sets *@usize, or an ERR_PTR.
 */
static void *rund_copy_in(const char *what, void __user *uarg, size_t ksize, size_t ver0,
			  u32 *usize)
{
	void *karg;
	int err;

	if (get_user(*usize, (u32 __user *)uarg)) {
		rund_bad("%s: bad argument pointer\n", what);
		return ERR_PTR(-EFAULT);
	}
	if (*usize < ver0 || *usize > PAGE_SIZE) {
		rund_bad("%s: struct size %u, want %zu..%lu\n", what, *usize, ver0, PAGE_SIZE);
		return ERR_PTR(-EMSGSIZE);
	}
	karg = kzalloc(ksize, GFP_KERNEL);
	if (!karg)
		return ERR_PTR(-ENOMEM);
	err = copy_struct_from_user(karg, ksize, uarg, *usize);
	if (err) {
		if (err == -E2BIG)
			rund_bad("%s: struct of %u bytes has unknown non-zero fields\n", what,
				 *usize);
		else
			rund_bad("%s: bad argument pointer\n", what);
		kfree(karg);
		return ERR_PTR(err);
	}
	return karg;
}

static int rund_copy_out(void __user *uarg, const void *karg, size_t ksize, u32 usize)
{
	return copy_to_user(uarg, karg, min_t(size_t, ksize, usize)) ? -EFAULT : 0;
}

static struct rund_pool *rund_pool_need(const char *what)
{
	struct rund_pool *p = rund_pool_get();

	if (!p)
		rund_bad("%s: no pool set up (SETUP first)\n", what);
	return p;
}

static long rund_do_stats(struct rund_cgpool_stats *st)
{
	struct rund_pool *p = rund_pool_get();

	if (rund_flags_check("STATS", st->flags, RUND_CGPOOL_STATS_SYNC)) {
		if (p)
			rund_pool_put(p);
		return -EINVAL;
	}
	if (p && (st->flags & RUND_CGPOOL_STATS_SYNC))
		rund_flush(p);
	*st = (struct rund_cgpool_stats){ .size = st->size, .flags = st->flags };
	rund_pool_stats(p, st);
	if (p)
		rund_pool_put(p);
	return 0;
}

/*
 * Hand @ofd's fd to the caller when the ioctl succeeded (@ret 0, outputs copied out),
 * else drop it: a caller never gets an fd it was not told the number of.
 */
static void rund_out_fd_finish(struct rund_out_fd *ofd, long ret)
{
	if (ofd->fd < 0)
		return;
	if (!ret) {
		fd_install(ofd->fd, ofd->file);
		return;
	}
	put_unused_fd(ofd->fd);
	fput(ofd->file);
}

/*
 * One ioctl: @arg is a kernel copy of the caller's struct of @usize bytes; an fd it
 * returns goes to @ofd.
 */
static long rund_dispatch(unsigned int key, void *arg, u32 usize, struct rund_out_fd *ofd)
{
	struct rund_pool *p;
	long ret;

	switch (key) {
	case RUND_IOC_KEY(RUND_CGPOOL_IOC_SETUP):
		return rund_pool_setup(arg);
	case RUND_IOC_KEY(RUND_CGPOOL_IOC_TEARDOWN):
		return rund_pool_teardown(arg);
	case RUND_IOC_KEY(RUND_CGPOOL_IOC_STATS):
		return rund_do_stats(arg);
	case RUND_IOC_KEY(RUND_CGPOOL_IOC_ACQUIRE):
		p = rund_pool_need("ACQUIRE");
		if (!p)
			return -ENODEV;
		ret = rund_acquire(p, arg, usize, ofd);
		break;
	case RUND_IOC_KEY(RUND_CGPOOL_IOC_RELEASE):
		p = rund_pool_need("RELEASE");
		if (!p)
			return -ENODEV;
		ret = rund_release(p, arg);
		break;
	default:	/* RUND_CGPOOL_IOC_LOOKUP */
		p = rund_pool_need("LOOKUP");
		if (!p)
			return -ENODEV;
		ret = rund_lookup(p, arg);
		break;
	}
	rund_pool_put(p);
	return ret;
}

struct rund_ioc {
	unsigned int cmd;
	const char *what;
	size_t ksize, ver0;
	bool out;
};

static const struct rund_ioc rund_iocs[] = {
	{ RUND_CGPOOL_IOC_SETUP, "SETUP", sizeof(struct rund_cgpool_setup),
	  RUND_CGPOOL_SETUP_SIZE_VER0, false },
	{ RUND_CGPOOL_IOC_ACQUIRE, "ACQUIRE", sizeof(struct rund_cgpool_acquire),
	  RUND_CGPOOL_ACQUIRE_SIZE_VER0, true },
	{ RUND_CGPOOL_IOC_RELEASE, "RELEASE", sizeof(struct rund_cgpool_release),
	  RUND_CGPOOL_RELEASE_SIZE_VER0, false },
	{ RUND_CGPOOL_IOC_STATS, "STATS", sizeof(struct rund_cgpool_stats),
	  RUND_CGPOOL_STATS_SIZE_VER0, true },
	{ RUND_CGPOOL_IOC_LOOKUP, "LOOKUP", sizeof(struct rund_cgpool_lookup),
	  RUND_CGPOOL_LOOKUP_SIZE_VER0, true },
	{ RUND_CGPOOL_IOC_TEARDOWN, "TEARDOWN", sizeof(struct rund_cgpool_teardown),
	  RUND_CGPOOL_TEARDOWN_SIZE_VER0, false },
};

static long rund_ioctl(struct file *file, unsigned int cmd, unsigned long uarg)
{
	const struct rund_ioc *ioc = NULL;
	struct rund_out_fd ofd = { .fd = -1 };
	void __user *up = (void __user *)uarg;
	void *karg;
	u32 usize;
	size_t i;
	long ret;

	for (i = 0; i < ARRAY_SIZE(rund_iocs); i++)
		if (RUND_IOC_KEY(cmd) == RUND_IOC_KEY(rund_iocs[i].cmd))
			ioc = &rund_iocs[i];
	if (!ioc) {
		rund_bad("unknown ioctl 0x%x\n", cmd);
		return -ENOTTY;
	}
	if (!capable(CAP_SYS_ADMIN)) {
		rund_bad("%s: caller lacks CAP_SYS_ADMIN\n", ioc->what);
		return -EPERM;
	}
	karg = rund_copy_in(ioc->what, up, ioc->ksize, ioc->ver0, &usize);
	if (IS_ERR(karg))
		return PTR_ERR(karg);
	ret = rund_dispatch(RUND_IOC_KEY(cmd), karg, usize, &ofd);
	if (!ret && ioc->out)
		ret = rund_copy_out(up, karg, ioc->ksize, usize);
	rund_out_fd_finish(&ofd, ret);
	kfree(karg);
	return ret;
}

static const struct file_operations rund_fops = {
	.owner		= THIS_MODULE,
	.unlocked_ioctl	= rund_ioctl,
	.compat_ioctl	= compat_ptr_ioctl,
	.llseek		= noop_llseek,
};

static struct miscdevice rund_misc = {
	.minor	= MISC_DYNAMIC_MINOR,
	.name	= "rund_cgpool",
	.fops	= &rund_fops,
	.mode	= 0600,
};

static const struct rund_backend *rund_pick_backend(const char *name)
{
	if (!strcmp(name, "compat"))
		return &rund_backend_compat;
#ifdef CONFIG_CGROUP_RUND
	if (!strcmp(name, "fast"))
		return &rund_backend_fast;
#else
	if (!strcmp(name, "fast")) {
		pr_err("backend 'fast' needs a kernel with CONFIG_CGROUP_RUND (this one: compat)\n");
		return NULL;
	}
#endif
	pr_err("unknown backend '%s' (want compat or fast)\n", name);
	return NULL;
}

static int __init rund_cgpool_init(void)
{
	int err;

	rund_backend = rund_pick_backend(backend ? backend : "");
	if (!rund_backend)
		return -EINVAL;
	/* recycling runs a few cgroups at a time, in parallel with the start path */
	rund_wq = alloc_workqueue("rund_cgpool", WQ_UNBOUND, 8);
	if (!rund_wq)
		return -ENOMEM;
	err = rund_sysfs_init();
	if (err)
		goto out_wq;
	err = misc_register(&rund_misc);
	if (err)
		goto out_sysfs;
	pr_info("loaded, %s backend\n", rund_backend->name);
	return 0;
out_sysfs:
	rund_sysfs_exit();
out_wq:
	destroy_workqueue(rund_wq);
	return err;
}

static void __exit rund_cgpool_exit(void)
{
	misc_deregister(&rund_misc);
	rund_pool_exit();
	rund_sysfs_exit();
	destroy_workqueue(rund_wq);
	pr_info("unloaded\n");
}

module_init(rund_cgpool_init);
module_exit(rund_cgpool_exit);

MODULE_DESCRIPTION("rund: pool of pre-created cgroups for secure-container sandboxes");
MODULE_AUTHOR("The rund project");
MODULE_LICENSE("GPL");
