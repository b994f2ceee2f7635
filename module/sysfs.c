// SPDX-License-Identifier: GPL-2.0
/*
 * rund_cgpool: counters in /sys/kernel/rund_cgpool/ (one value per file, as STATS reports
 * them; zero while no pool is set up).
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/kobject.h>
#include <linux/stddef.h>
#include <linux/sysfs.h>

#include "pool.h"

struct rund_attr {
	struct kobj_attribute attr;
	size_t off;		/* of a __u64 in struct rund_cgpool_stats */
};

static ssize_t rund_attr_show(struct kobject *kobj, struct kobj_attribute *attr, char *buf)
{
	struct rund_attr *ra = container_of(attr, struct rund_attr, attr);
	struct rund_cgpool_stats st = { };
	struct rund_pool *p = rund_pool_get();

	rund_pool_stats(p, &st);
	if (p)
		rund_pool_put(p);
	return sysfs_emit(buf, "%llu\n", *(__u64 *)((char *)&st + ra->off));
}

#define RUND_ATTR(_name, _field) \
	static struct rund_attr rund_attr_##_name = { \
		.attr = __ATTR(_name, 0444, rund_attr_show, NULL), \
		.off = offsetof(struct rund_cgpool_stats, _field), \
	}

RUND_ATTR(size, pool_size);
RUND_ATTR(total, total);
RUND_ATTR(idle, idle);
RUND_ATTR(busy, busy);
RUND_ATTR(recycling, recycling);
RUND_ATTR(stuck, stuck);
RUND_ATTR(acquired, acquired);
RUND_ATTR(released, released);
RUND_ATTR(fallbacks, fallbacks);
RUND_ATTR(refills, refills);
RUND_ATTR(recycled, recycled);
RUND_ATTR(replaced, replaced);
RUND_ATTR(destroyed, destroyed);
RUND_ATTR(adopted, adopted);
RUND_ATTR(mkdir_reserve, mkdir_reserve);
RUND_ATTR(mkdir_served, mkdir_served);

static struct attribute *rund_attrs[] = {
	&rund_attr_size.attr.attr,
	&rund_attr_total.attr.attr,
	&rund_attr_idle.attr.attr,
	&rund_attr_busy.attr.attr,
	&rund_attr_recycling.attr.attr,
	&rund_attr_stuck.attr.attr,
	&rund_attr_acquired.attr.attr,
	&rund_attr_released.attr.attr,
	&rund_attr_fallbacks.attr.attr,
	&rund_attr_refills.attr.attr,
	&rund_attr_recycled.attr.attr,
	&rund_attr_replaced.attr.attr,
	&rund_attr_destroyed.attr.attr,
	&rund_attr_adopted.attr.attr,
	&rund_attr_mkdir_reserve.attr.attr,
	&rund_attr_mkdir_served.attr.attr,
	NULL,
};

static const struct attribute_group rund_group = {
	.attrs = rund_attrs,
};

static struct kobject *rund_kobj;

int rund_sysfs_init(void)
{
	int err;

	rund_kobj = kobject_create_and_add("rund_cgpool", kernel_kobj);
	if (!rund_kobj)
		return -ENOMEM;
	err = sysfs_create_group(rund_kobj, &rund_group);
	if (err)
		kobject_put(rund_kobj);
	return err;
}

void rund_sysfs_exit(void)
{
	sysfs_remove_group(rund_kobj, &rund_group);
	kobject_put(rund_kobj);
}
