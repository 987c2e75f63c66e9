/* SPDX-License-Identifier: MIT */
/*
 * Extended attributes of sim files: SETXATTR, GETXATTR (by path, from the
 * cwd, following links) and FSETXATTR, FGETXATTR (on an fd). The kernel's
 * io_uring/xattr.c checks the name and the flags at prep, then calls
 * do_setxattr()/do_getxattr() (fs/xattr.c) in io-wq; the file system stores
 * the value (ext4, tmpfs: simple_xattr_set()/simple_xattr_get()).
 *
 * What the sim models:
 *   - namespaces "user.", "trusted.", "security." on regular files and
 *     directories; "user." on another kind of file (pipe, socket): -EPERM to
 *     set, -ENODATA to get (xattr_permission()); any other prefix
 *     ("system." ACLs included, which the sim does not model): -EOPNOTSUPP
 *     (xattr_resolve_name() finds no handler); a bare prefix: -EINVAL;
 *   - "trusted." needs CAP_SYS_ADMIN, which the sim's process lacks (the
 *     sim's permission model is the owner's bits): -EPERM / -ENODATA;
 *   - setting "user." needs write permission on the inode (-EACCES);
 *   - XATTR_CREATE on an existing name -EEXIST, XATTR_REPLACE on a missing
 *     one -ENODATA; a value of size 0 is an empty value (__vfs_setxattr());
 *   - get: -ENODATA when missing; size 0 asks for the length; a buffer too
 *     small -ERANGE.
 * Values live with the inode: a crash keeps them when it keeps the inode.
 */
#include "config.h"
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <linux/xattr.h>

#include "sim/sim.h"

#define XATTR_NAME_MAX_ 255u       /* include/uapi/linux/limits.h XATTR_NAME_MAX */
#define XATTR_SIZE_MAX_ 65536u     /* XATTR_SIZE_MAX */

struct sim_xattr {
	struct sim_xattr *next;
	uint32_t size;
	uint8_t *value;
	char name[];
};

void aring__sim_xattr_free(struct sim_inode *i)
{
	struct sim_xattr *x = i->xattrs, *next;

	for (; x; x = next) {
		next = x->next;
		free(x->value);
		free(x);
	}
	i->xattrs = NULL;
}

static struct sim_xattr **find(struct sim_inode *i, const char *name)
{
	struct sim_xattr **p;

	for (p = &i->xattrs; *p; p = &(*p)->next)
		if (!strcmp((*p)->name, name))
			return p;
	return p;
}

static bool is_get(const struct sim_req *r)
{
	return r->opcode == IORING_OP_GETXATTR || r->opcode == IORING_OP_FGETXATTR;
}

static bool by_path(const struct sim_req *r)
{
	return r->opcode == IORING_OP_GETXATTR || r->opcode == IORING_OP_SETXATTR;
}

/*
 * kernel io_uring/xattr.c __io_getxattr_prep(), __io_setxattr_prep() with
 * fs/xattr.c setxattr_copy(), then getname_flags() of the path: the path
 * ops refuse a fixed file (-EBADF); get: any flag -EINVAL; set: flags beyond CREATE|REPLACE
 * -EINVAL; the name: unreadable -EFAULT, empty or longer than
 * XATTR_NAME_MAX -ERANGE; set: size > XATTR_SIZE_MAX -E2BIG, a value it
 * cannot read -EFAULT; the path: unreadable -EFAULT, empty -ENOENT.
 */
static int prep_xattr(struct sim *s, struct sim_req *r)
{
	const char *name = (const char *)(uintptr_t)r->sqe.addr;
	unsigned flags = r->sqe.xattr_flags;
	size_t n;

	(void)s;
	/* only the path ops refuse a fixed file (io_getxattr_prep(),
	 * io_setxattr_prep(); fgetxattr and fsetxattr take one, Linux 6.18) */
	if (by_path(r) && (r->sqe.flags & IOSQE_FIXED_FILE))
		return -EBADF;
	if (is_get(r) ? flags != 0 : (flags & ~(unsigned)(XATTR_CREATE | XATTR_REPLACE)) != 0)
		return -EINVAL;
	if (!sim_user_ptr_ok(name, 1))
		return -EFAULT;
	n = strnlen(name, XATTR_NAME_MAX_ + 1);
	if (n == 0 || n > XATTR_NAME_MAX_)
		return -ERANGE;
	if (!is_get(r) && r->sqe.len) {
		if (r->sqe.len > XATTR_SIZE_MAX_)
			return -E2BIG;
		if (!sim_user_ok(r->sqe.addr2, r->sqe.len))
			return -EFAULT;
	}
	if (by_path(r)) {
		const char *path = (const char *)(uintptr_t)r->sqe.addr3;

		if (!sim_user_ptr_ok(path, 1))
			return -EFAULT;
		if (!*path)
			return -ENOENT;
	}
	return 0;
}

enum ns { NS_USER, NS_TRUSTED, NS_SECURITY };

/*
 * fs/xattr.c xattr_resolve_name() and xattr_permission(): 0 with *ns, or
 * the error. reg: a regular file or directory (else a pipe or socket).
 */
static int check_name(const char *name, bool reg, bool write, enum ns *ns)
{
	static const struct { const char *prefix; enum ns ns; } known[] = {
		{ "user.", NS_USER }, { "trusted.", NS_TRUSTED }, { "security.", NS_SECURITY },
	};
	unsigned k;

	for (k = 0; k < sizeof(known) / sizeof(known[0]); k++) {
		size_t n = strlen(known[k].prefix);

		if (strncmp(name, known[k].prefix, n))
			continue;
		*ns = known[k].ns;
		if (*ns == NS_USER && !reg)
			return write ? -EPERM : -ENODATA;
		if (!reg)
			return -EOPNOTSUPP; /* pipefs, sockfs: no handler for it */
		if (!name[n])
			return -EINVAL;
		if (*ns == NS_TRUSTED)
			return write ? -EPERM : -ENODATA; /* no CAP_SYS_ADMIN */
		return 0;
	}
	return -EOPNOTSUPP;
}

static int do_get(struct sim_inode *i, const char *name, uint64_t addr, uint32_t size)
{
	struct sim_xattr *x = *find(i, name);

	if (!x)
		return -ENODATA;
	if (!size)
		return (int)x->size;
	if (size < x->size)
		return -ERANGE;
	if (x->size && !sim_user_ok(addr, x->size))
		return -EFAULT; /* do_getxattr(): copy_to_user() */
	if (x->size)
		memcpy((void *)(uintptr_t)addr, x->value, x->size);
	return (int)x->size;
}

static int do_set(struct sim *s, struct sim_inode *i, const char *name, uint64_t addr,
		  uint32_t size, unsigned flags)
{
	struct sim_xattr **p = find(i, name), *x = *p;
	uint8_t *v = NULL;

	if (!(((i->mode >> 6) & 2u)))
		return -EACCES; /* inode_permission(MAY_WRITE) */
	if (x && (flags & XATTR_CREATE))
		return -EEXIST;
	if (!x && (flags & XATTR_REPLACE))
		return -ENODATA;
	if (size) {
		v = malloc(size);
		if (!v)
			return -ENOMEM;
		memcpy(v, (const void *)(uintptr_t)addr, size);
	}
	if (!x) {
		size_t n = strlen(name) + 1;

		x = calloc(1, sizeof(*x) + n);
		if (!x) {
			free(v);
			return -ENOMEM;
		}
		memcpy(x->name, name, n);
		*p = x;
	}
	free(x->value);
	x->value = v;
	x->size = size;
	i->ctime_ns = s->now_ns;
	return 0;
}

/* kernel io_uring/xattr.c io_[f]getxattr(), io_[f]setxattr() */
static enum sim_exec op_xattr(struct sim *s, struct sim_req *r)
{
	const char *name = (const char *)(uintptr_t)r->sqe.addr;
	struct sim_inode *i = NULL;
	bool write = !is_get(r);
	enum ns ns;
	int ret;

	if (by_path(r)) {
		ret = aring__sim_path_inode(s, r->sqe.addr3, true, &i);
		if (ret) {
			r->res = ret;
			return SIM_DONE;
		}
	} else if (r->file->type == SIM_F_REG || r->file->type == SIM_F_DIR) {
		i = r->file->inode;
	}
	ret = check_name(name, i != NULL, write, &ns);
	if (!ret)
		ret = write ? do_set(s, i, name, r->sqe.addr2, r->sqe.len, r->sqe.xattr_flags)
			    : do_get(i, name, r->sqe.addr2,
				     r->sqe.len > XATTR_SIZE_MAX_ ? XATTR_SIZE_MAX_ : r->sqe.len);
	r->res = ret;
	return SIM_DONE;
}

/* The ops this file models: its part of the sim's op table (sim/ops.c). */
const struct sim_opdef aring__sim_xattr_ops[ARING_OP_LAST] = {
	[IORING_OP_FSETXATTR] = { .prep = prep_xattr, .exec = op_xattr },
	[IORING_OP_SETXATTR]  = { .prep = prep_xattr, .exec = op_xattr },
	[IORING_OP_FGETXATTR] = { .prep = prep_xattr, .exec = op_xattr },
	[IORING_OP_GETXATTR]  = { .prep = prep_xattr, .exec = op_xattr },
};
