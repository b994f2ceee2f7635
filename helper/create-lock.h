/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The create lock: how `rund-cgpool gc` tells a sandbox that a crashed rund-oci left
 * acquired from one whose create is still running.
 *
 * Between its ACQUIRE and the end of the runtime's create, a container's pooled cgroup is
 * empty and the runtime may not know the container yet: exactly what a leftover looks
 * like. So rund-oci holds an open file description lock (F_OFD_SETLKW, a read lock: the
 * pool dir opens read-only) on one byte of the pool directory, at an offset named by the
 * container id, from before its ACQUIRE until the runtime's create returned, and the
 * runtime inherits the descriptor: a create that outlives a killed rund-oci still holds
 * it. gc asks (F_OFD_GETLK) whether anyone holds it and leaves the sandbox alone if so.
 * The lock goes when the last descriptor closes, however its holders die: nothing to
 * clean up after a crash. Two ids that hash to one byte only make gc skip a leftover
 * once more.
 */
#ifndef RUND_CREATE_LOCK_H
#define RUND_CREATE_LOCK_H

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdint.h>

/* The lock's byte for @id: FNV-1a, kept below 2^62 so that the range is a valid off_t. */
static inline off_t create_lock_byte(const char *id)
{
	uint64_t h = 0xcbf29ce484222325ULL;

	for (; *id; id++)
		h = (h ^ (unsigned char)*id) * 0x100000001b3ULL;
	return (off_t)(h & ((1ULL << 62) - 1));
}

/* Take @id's create lock on @dirfd (the pool dir). 0 or -errno. */
static inline int create_lock(int dirfd, const char *id)
{
	struct flock fl = {
		.l_type = F_RDLCK, .l_whence = SEEK_SET, .l_start = create_lock_byte(id),
		.l_len = 1,
	};

	while (fcntl(dirfd, F_OFD_SETLKW, &fl))
		if (errno != EINTR)
			return -errno;
	return 0;
}

/* Whether a create of @id holds its lock on @dirfd now; -errno when it cannot tell. */
static inline int create_locked(int dirfd, const char *id)
{
	struct flock fl = {
		.l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = create_lock_byte(id),
		.l_len = 1,
	};

	if (fcntl(dirfd, F_OFD_GETLK, &fl))
		return -errno;
	return fl.l_type != F_UNLCK;
}

#endif
