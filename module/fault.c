// SPDX-License-Identifier: GPL-2.0
/*
 * rund_cgpool fault injection (test builds only, see fault.h).
 *
 *   /sys/module/rund_cgpool/parameters/fault            "op:N[,op:N...]": the next N
 *       calls of each op fail with -EIO; "" disarms all; reading shows what is armed
 *   /sys/module/rund_cgpool/parameters/attach_delay_ms  ACQUIRE sleeps this long between
 *       its pid checks and the attach, so a test can make the process exit in between
 *   /sys/module/rund_cgpool/parameters/busy_delay_ms    ACQUIRE sleeps this long after
 *       the cgroup became BUSY, before it returns, so a test can RELEASE it meanwhile
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/atomic.h>
#include <linux/delay.h>
#include <linux/kernel.h>
#include <linux/moduleparam.h>
#include <linux/string.h>
#include <linux/sysfs.h>

#include "fault.h"

static const char *const rund_fault_names[RUND_FAULT_NR] = {
	[RUND_FAULT_CREATE]		= "create",
	[RUND_FAULT_CLAIM]		= "claim",
	[RUND_FAULT_UNCLAIM]		= "unclaim",
	[RUND_FAULT_ATTACH]		= "attach",
	[RUND_FAULT_DESTROY]		= "destroy",
	[RUND_FAULT_RELEASE_CHECK]	= "release_check",
	[RUND_FAULT_RECYCLE_CHECK]	= "recycle_check",
	[RUND_FAULT_LIMITS]		= "limits",
};

static atomic_t rund_fault_left[RUND_FAULT_NR];

static unsigned int rund_delay_ms[RUND_DELAY_NR];
module_param_named(attach_delay_ms, rund_delay_ms[RUND_DELAY_ATTACH], uint, 0644);
MODULE_PARM_DESC(attach_delay_ms, "test builds: ACQUIRE sleeps this long before the attach");
module_param_named(busy_delay_ms, rund_delay_ms[RUND_DELAY_BUSY], uint, 0644);
MODULE_PARM_DESC(busy_delay_ms, "test builds: ACQUIRE sleeps this long once the cgroup is BUSY");
module_param_named(idle_delay_ms, rund_delay_ms[RUND_DELAY_IDLE], uint, 0644);
MODULE_PARM_DESC(idle_delay_ms, "test builds: a recycle sleeps this long once its cgroup is idle");

/* -EIO while @op is armed, counting one call down */
int rund_fault(enum rund_fault_op op)
{
	if (atomic_add_unless(&rund_fault_left[op], -1, 0)) {
		pr_info("fault injected: %s\n", rund_fault_names[op]);
		return -EIO;
	}
	return 0;
}

void rund_fault_delay(enum rund_fault_delay where)
{
	unsigned int ms = READ_ONCE(rund_delay_ms[where]);

	if (ms)
		msleep(ms);
}

/* "op:N[,op:N...]"; an unknown op or a bad count fails the write and arms nothing */
static int rund_fault_set(const char *val, const struct kernel_param *kp)
{
	int left[RUND_FAULT_NR] = { 0 };
	char buf[128], *s = buf, *tok, *cnt;
	int i, n;

	if (strscpy(buf, val, sizeof(buf)) < 0)
		return -E2BIG;
	while ((tok = strsep(&s, ",\n"))) {
		tok = strim(tok);
		if (!*tok)
			continue;
		cnt = strchr(tok, ':');
		if (!cnt)
			return -EINVAL;
		*cnt++ = '\0';
		i = match_string(rund_fault_names, RUND_FAULT_NR, tok);
		if (i < 0 || kstrtoint(cnt, 10, &n) || n < 0)
			return -EINVAL;
		left[i] = n;
	}
	for (i = 0; i < RUND_FAULT_NR; i++)
		atomic_set(&rund_fault_left[i], left[i]);
	return 0;
}

static int rund_fault_get(char *buf, const struct kernel_param *kp)
{
	int i, n, len = 0;

	for (i = 0; i < RUND_FAULT_NR; i++) {
		n = atomic_read(&rund_fault_left[i]);
		if (n)
			len += sysfs_emit_at(buf, len, "%s%s:%d", len ? "," : "",
					     rund_fault_names[i], n);
	}
	return len + sysfs_emit_at(buf, len, "\n");
}

static const struct kernel_param_ops rund_fault_ops = {
	.set = rund_fault_set,
	.get = rund_fault_get,
};
module_param_cb(fault, &rund_fault_ops, NULL, 0644);
MODULE_PARM_DESC(fault, "test builds: \"op:N,...\" makes the next N calls of op fail with EIO");
