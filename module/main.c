// SPDX-License-Identifier: GPL-2.0
/*
 * rund_cgpool: a pool of pre-created idle cgroups handed to sandboxes by rename.
 *
 * This is the loadable skeleton the build and guest runner are proven with; the pool
 * itself (misc device, ioctl ABI, compat and fast backends) lands with the pool issue.
 * The backend is chosen at build time: CONFIG_CGROUP_RUND is only set by a kernel carrying
 * the rund host patches.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/init.h>
#include <linux/module.h>

#ifdef CONFIG_CGROUP_RUND
#define RUND_CGPOOL_BACKEND "fast"
#else
#define RUND_CGPOOL_BACKEND "compat"
#endif

static char *backend = RUND_CGPOOL_BACKEND;
module_param(backend, charp, 0444);
MODULE_PARM_DESC(backend, "pool backend chosen at build time (read-only)");

static int __init rund_cgpool_init(void)
{
	pr_info("loaded, %s backend\n", backend);
	return 0;
}

static void __exit rund_cgpool_exit(void)
{
	pr_info("unloaded\n");
}

module_init(rund_cgpool_init);
module_exit(rund_cgpool_exit);

MODULE_DESCRIPTION("rund: pool of pre-created cgroups for secure-container sandboxes");
MODULE_AUTHOR("The rund project");
MODULE_LICENSE("GPL");
