/* SPDX-License-Identifier: GPL-2.0 */
/*
 * rund_cgpool: the kernel API that changed between the 6.1 and 6.12 kernels the module
 * builds on, one small helper each; the rest of the module calls these. What a kernel has
 * is detected from its headers by module/Kbuild (RUND_HAVE_*), not from its version.
 */
#ifndef RUND_COMPAT_H
#define RUND_COMPAT_H

#include <linux/fs.h>
#include <linux/magic.h>
#include <linux/mount.h>
#include <linux/string.h>

#ifdef RUND_HAVE_MNT_IDMAP
/* 6.3: the VFS calls take the mount's idmapping instead of its user namespace */
#define rund_mnt_idmap(mnt)	mnt_idmap(mnt)

static inline void rund_renamedata_idmap(struct renamedata *rd, struct vfsmount *mnt)
{
	rd->old_mnt_idmap = mnt_idmap(mnt);
	rd->new_mnt_idmap = mnt_idmap(mnt);
}
#else
#define rund_mnt_idmap(mnt)	mnt_user_ns(mnt)

static inline void rund_renamedata_idmap(struct renamedata *rd, struct vfsmount *mnt)
{
	rd->old_mnt_userns = mnt_user_ns(mnt);
	rd->new_mnt_userns = mnt_user_ns(mnt);
}
#endif

/*
 * The struct pid a pidfd @f pins (no reference taken), or NULL if @f is no pidfd: neither
 * 6.1 nor 6.12 exports pidfd_pid(). Up to 6.8 a pidfd is the anon inode file
 * pidfd_create() names "[pidfd]", its private_data the pid; since 6.9 it is a file of
 * pidfs, whose inode's i_private is the pid (PID_FS_MAGIC came with pidfs).
 */
static inline struct pid *rund_file_pid(struct file *f)
{
	unsigned long magic = file_inode(f)->i_sb->s_magic;

#ifdef PID_FS_MAGIC
	if (magic == PID_FS_MAGIC)
		return file_inode(f)->i_private;
#endif
	if (magic == ANON_INODE_FS_MAGIC && !strcmp(f->f_path.dentry->d_name.name, "[pidfd]"))
		return f->private_data;
	return NULL;
}

#endif /* RUND_COMPAT_H */
