/* SPDX-License-Identifier: GPL-2.0 */
/*
 * rund_cgpool fault injection, compiled in only for tests (RUND_FAULT_INJECT=y): the
 * selftests make a backend op fail to reach the error paths no real kernel produces on
 * demand. A production build has the no-op stubs below and no "fault" parameter.
 */
#ifndef RUND_FAULT_H
#define RUND_FAULT_H

enum rund_fault_op {
	RUND_FAULT_CREATE,		/* mkdir of a pool cgroup */
	RUND_FAULT_CLAIM,		/* rename to the sandbox name */
	RUND_FAULT_UNCLAIM,		/* rename back to the idle name */
	RUND_FAULT_ATTACH,
	RUND_FAULT_DESTROY,		/* rmdir */
	RUND_FAULT_RELEASE_CHECK,	/* RELEASE's emptiness check */
	RUND_FAULT_RECYCLE_CHECK,	/* the recycle worker's emptiness check */
	RUND_FAULT_LIMITS,		/* ACQUIRE's limit writes, when it has any */
	RUND_FAULT_NR,
};

/* where ACQUIRE (or a recycle) sleeps for a test that must act inside its window */
enum rund_fault_delay {
	RUND_DELAY_ATTACH,		/* between the pid checks and the attach */
	RUND_DELAY_BUSY,		/* after the cgroup became BUSY */
	RUND_DELAY_IDLE,		/* a recycle, once its cgroup is idle again */
	RUND_DELAY_NR,
};

#ifdef RUND_FAULT_INJECT
int rund_fault(enum rund_fault_op op);
void rund_fault_delay(enum rund_fault_delay where);
#else
static inline int rund_fault(enum rund_fault_op op)
{
	return 0;
}

static inline void rund_fault_delay(enum rund_fault_delay where)
{
}
#endif

#endif /* RUND_FAULT_H */
