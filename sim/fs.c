/* SPDX-License-Identifier: MIT */
/*
 * The in-memory file system, the fd table and the file ops.
 *
 * Inodes are regular files (sparse: 4 KiB pages, NULL = hole), directories
 * and symlinks. The tree starts with "/" and "/tmp"; AT_FDCWD is "/". The
 * program runs as the owner of every inode, so access checks use the owner
 * bits (umask 022). Errnos follow the kernel's fs/namei.c, fs/open.c,
 * fs/read_write.c and the io_uring prep functions (io_uring/fs.c, openclose.c,
 * rw.c, sync.c, advise.c, statx.c, truncate.c).
 *
 * fds are the sim's own small integers, lowest free first, like the kernel.
 */
#include "config.h"
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <linux/falloc.h>
#include <linux/fs.h>
#include <linux/openat2.h>

#include "sim/sim.h"

#define UMASK 022
#define MAX_SYMLINKS 40
#define MAX_IOV 1024u
#define MAX_RW_COUNT (INT_MAX & ~(SIM_PAGE - 1))
#define MAY_R 4u
#define MAY_W 2u
#define MAY_X 1u

/* ---------------------------------------------------------------- inodes */

static struct sim_inode *inode_new(struct sim *s, enum sim_itype type, uint32_t mode)
{
	struct sim_inode *i = calloc(1, sizeof(*i));

	if (!i)
		return NULL;
	i->type = type;
	i->mode = mode & 07777;
	i->ino = ++s->next_ino;
	i->mtime_ns = i->ctime_ns = i->atime_ns = s->now_ns;
	return i;
}

static void pages_free(struct sim *s, struct sim_inode *i, uint64_t from_page)
{
	uint64_t p;

	for (p = from_page; p < i->npages_cap; p++) {
		if (i->pages[p]) {
			free(i->pages[p]);
			i->pages[p] = NULL;
			i->npages_alloc--;
			s->fs_bytes -= SIM_PAGE;
		}
	}
}

static void inode_free(struct sim *s, struct sim_inode *i)
{
	uint32_t k;

	pages_free(s, i, 0);
	free(i->pages);
	for (k = 0; k < i->nents; k++)
		free(i->ents[k].name);
	free(i->ents);
	free(i->target);
	free(i);
}

static void inode_maybe_free(struct sim *s, struct sim_inode *i)
{
	if (i->nlink == 0 && i->opens == 0)
		inode_free(s, i);
}

static bool may(const struct sim_inode *i, unsigned bits)
{
	return ((i->mode >> 6) & bits) == bits;
}

static int dir_find(const struct sim_inode *d, const char *name)
{
	uint32_t k;

	for (k = 0; k < d->nents; k++)
		if (strcmp(d->ents[k].name, name) == 0)
			return (int)k;
	return -1;
}

static int dir_add(struct sim *s, struct sim_inode *d, const char *name, struct sim_inode *i)
{
	char *n;

	if (d->nents == d->ents_cap) {
		uint32_t cap = d->ents_cap ? d->ents_cap * 2 : 8;
		struct sim_dirent *e = realloc(d->ents, cap * sizeof(*e));

		if (!e)
			return -ENOMEM;
		d->ents = e;
		d->ents_cap = cap;
	}
	n = strdup(name);
	if (!n)
		return -ENOMEM;
	d->ents[d->nents].name = n;
	d->ents[d->nents].inode = i;
	d->nents++;
	i->nlink++;
	if (i->type == SIM_I_DIR) {
		i->parent = d;
		d->nlink++;
	}
	d->mtime_ns = d->ctime_ns = s->now_ns;
	return 0;
}

/* Remove entry k (the inode may die). */
static void dir_del(struct sim *s, struct sim_inode *d, uint32_t k)
{
	struct sim_inode *i = d->ents[k].inode;

	free(d->ents[k].name);
	d->ents[k] = d->ents[--d->nents];
	d->mtime_ns = d->ctime_ns = s->now_ns;
	if (i->type == SIM_I_DIR) {
		d->nlink--;
		i->nlink = 0;
	} else {
		i->nlink--;
	}
	i->ctime_ns = s->now_ns;
	inode_maybe_free(s, i);
}

/* ---------------------------------------------------------------- paths */

struct lookup {
	struct sim_inode *dir;  /* parent of the last component */
	struct sim_inode *ino;  /* the last component, NULL if missing */
	char name[NAME_MAX + 1];
	bool slash;             /* path ended with '/' */
	bool dot;               /* last component is "." or ".." or the path is "/" */
};

static int start_dir(struct sim *s, int dfd, const char *path, struct sim_inode **out)
{
	struct sim_file *f;

	if (path[0] == '/' || dfd == AT_FDCWD) {
		*out = s->root;
		return 0;
	}
	f = aring__sim_fd_get(s, dfd);
	if (!f)
		return -EBADF;
	if (f->type != SIM_F_DIR)
		return -ENOTDIR;
	*out = f->inode;
	return 0;
}

/* openat2 RESOLVE_* restrictions during one lookup (kernel fs/namei.c). */
struct walk_ctx {
	uint64_t resolve;
	int below;        /* directories below the start (RESOLVE_BENEATH) */
};

static int walk(struct sim *s, struct sim_inode *cur, const char *path, bool follow,
		struct lookup *out, int depth, struct walk_ctx *c);

static int follow_link(struct sim *s, struct sim_inode *dir, struct sim_inode *lnk, bool follow,
		       struct lookup *out, int depth, struct walk_ctx *c)
{
	if (depth >= MAX_SYMLINKS || (c->resolve & RESOLVE_NO_SYMLINKS))
		return -ELOOP;
	if (lnk->target[0] == '/' && (c->resolve & (RESOLVE_BENEATH | RESOLVE_IN_ROOT)))
		return -EXDEV;
	return walk(s, lnk->target[0] == '/' ? s->root : dir, lnk->target, follow, out, depth + 1,
		    c);
}

/* kernel fs/namei.c link_path_walk() and the last-component lookup. */
static int walk(struct sim *s, struct sim_inode *cur, const char *path, bool follow,
		struct lookup *out, int depth, struct walk_ctx *c)
{
	const char *p = path;

	if (strlen(path) >= PATH_MAX)
		return -ENAMETOOLONG;
	if (!*p)
		return -ENOENT;
	for (;;) {
		const char *e;
		size_t len;
		char name[NAME_MAX + 1];
		struct sim_inode *next;
		int k;

		while (*p == '/')
			p++;
		if (!*p) {
			/* "/" or a path of only slashes after a directory */
			out->dir = cur->parent;
			out->ino = cur;
			strcpy(out->name, ".");
			out->slash = true;
			out->dot = true;
			return 0;
		}
		e = strchr(p, '/');
		len = e ? (size_t)(e - p) : strlen(p);
		if (len > NAME_MAX)
			return -ENAMETOOLONG;
		memcpy(name, p, len);
		name[len] = '\0';
		p += len;
		while (*p == '/')
			p++;
		if (cur->type != SIM_I_DIR)
			return -ENOTDIR;
		if (!may(cur, MAY_X))
			return -EACCES;
		if (!strcmp(name, ".") || !strcmp(name, "..")) {
			if (name[1] && (c->resolve & (RESOLVE_BENEATH | RESOLVE_IN_ROOT)) &&
			    c->below-- <= 0)
				return -EXDEV;
			next = name[1] ? cur->parent : cur;
			if (!*p) {
				out->dir = next->parent;
				out->ino = next;
				strcpy(out->name, name);
				out->slash = e != NULL;
				out->dot = true;
				return 0;
			}
			cur = next;
			continue;
		}
		k = dir_find(cur, name);
		next = k >= 0 ? cur->ents[k].inode : NULL;
		if (!*p) {
			bool slash = e != NULL;

			if (next && next->type == SIM_I_LNK && (follow || slash)) {
				int ret = follow_link(s, cur, next, true, out, depth, c);

				if (ret == 0 && slash)
					out->slash = true;
				return ret;
			}
			out->dir = cur;
			out->ino = next;
			strcpy(out->name, name);
			out->slash = slash;
			out->dot = false;
			return 0;
		}
		if (!next)
			return -ENOENT;
		if (next->type == SIM_I_LNK) {
			struct lookup l;
			int ret = follow_link(s, cur, next, true, &l, depth, c);

			if (ret)
				return ret;
			if (!l.ino)
				return -ENOENT;
			next = l.ino;
		}
		if (next->type != SIM_I_DIR)
			return -ENOTDIR;
		cur = next;
		c->below++;
	}
}

static int lookup_how(struct sim *s, int dfd, uint64_t path_addr, bool follow, uint64_t resolve,
		      struct lookup *out)
{
	const char *path = (const char *)(uintptr_t)path_addr;
	struct walk_ctx c = { .resolve = resolve };
	struct sim_inode *start;
	int ret;

	if (!path)
		return -EFAULT;
	if (!*path)
		return -ENOENT;
	if (path[0] == '/' && (resolve & (RESOLVE_BENEATH | RESOLVE_IN_ROOT)))
		return -EXDEV;
	ret = start_dir(s, dfd, path, &start);
	if (ret)
		return ret;
	memset(out, 0, sizeof(*out));
	return walk(s, start, path, follow, out, 0, &c);
}

static int lookup(struct sim *s, int dfd, uint64_t path_addr, bool follow, struct lookup *out)
{
	return lookup_how(s, dfd, path_addr, follow, 0, out);
}

/* ---------------------------------------------------------------- files, fds */

struct sim_file *aring__sim_file_new(struct sim *s, enum sim_ftype type, int flags)
{
	struct sim_file *f = calloc(1, sizeof(*f));

	(void)s;
	if (!f)
		return NULL;
	f->type = type;
	f->flags = flags;
	f->refs = 1;
	return f;
}

void aring__sim_file_get(struct sim_file *f)
{
	assert(f->refs > 0);
	f->refs++;
}

void aring__sim_file_put(struct sim *s, struct sim_file *f)
{
	assert(f->refs > 0);
	if (--f->refs)
		return;
	switch (f->type) {
	case SIM_F_REG:
	case SIM_F_DIR:
		f->inode->opens--;
		inode_maybe_free(s, f->inode);
		break;
	case SIM_F_PIPE_R:
	case SIM_F_PIPE_W:
		aring__sim_pipe_end_closed(s, f->pipe, f->type == SIM_F_PIPE_R);
		break;
	case SIM_F_SOCK:
		aring__sim_sock_closed(s, f->sock);
		break;
	}
	free(f);
}

struct sim_file *aring__sim_fd_get(struct sim *s, int fd)
{
	if (fd < 0 || (unsigned)fd >= SIM_MAX_FDS)
		return NULL;
	return s->fds[fd];
}

int aring__sim_fd_install(struct sim *s, struct sim_file *f)
{
	unsigned fd;

	for (fd = 0; fd < SIM_MAX_FDS; fd++) {
		if (!s->fds[fd]) {
			s->fds[fd] = f;
			return (int)fd;
		}
	}
	return -EMFILE;
}

static int fd_close(struct sim *s, int fd)
{
	struct sim_file *f = aring__sim_fd_get(s, fd);

	if (!f)
		return -EBADF;
	s->fds[fd] = NULL;
	aring__sim_file_put(s, f);
	return 0;
}

int aring__sim_fs_init(struct sim *s)
{
	s->fds = calloc(SIM_MAX_FDS, sizeof(*s->fds));
	s->root = inode_new(s, SIM_I_DIR, 0755);
	if (!s->fds || !s->root)
		return -ENOMEM;
	s->root->parent = s->root;
	s->root->nlink = 2;
	s->tmp = inode_new(s, SIM_I_DIR, 01777);
	if (!s->tmp)
		return -ENOMEM;
	s->tmp->nlink = 1;
	return dir_add(s, s->root, "tmp", s->tmp);
}

static void tree_free(struct sim *s, struct sim_inode *d)
{
	uint32_t k;

	for (k = 0; k < d->nents; k++) {
		struct sim_inode *i = d->ents[k].inode;

		if (i->type == SIM_I_DIR) {
			tree_free(s, i);
			i->nlink = 0;
		} else {
			i->nlink--;
		}
		if (i->nlink == 0 && i->opens == 0)
			inode_free(s, i);
	}
	for (k = 0; k < d->nents; k++)
		free(d->ents[k].name);
	d->nents = 0;
}

void aring__sim_fs_destroy(struct sim *s)
{
	unsigned fd;

	if (s->fds) {
		for (fd = 0; fd < SIM_MAX_FDS; fd++)
			if (s->fds[fd])
				fd_close(s, (int)fd);
		free(s->fds);
		s->fds = NULL;
	}
	if (s->root) {
		tree_free(s, s->root);
		inode_free(s, s->root);
		s->root = NULL;
	}
}

/* ---------------------------------------------------------------- iovecs */

int aring__sim_iov_from_req(struct sim_req *r, struct sim_iov *v, bool vectored)
{
	uint64_t total = 0;
	unsigned k;

	if (!vectored) {
		v->one.iov_base = (void *)(uintptr_t)r->sqe.addr;
		v->one.iov_len = r->sqe.len;
		v->iov = &v->one;
		v->nr = 1;
		if (!v->one.iov_base && v->one.iov_len)
			return -EFAULT;
		return 0;
	}
	if (r->sqe.len > MAX_IOV)
		return -EINVAL;
	v->iov = (const struct iovec *)(uintptr_t)r->sqe.addr;
	v->nr = r->sqe.len;
	if (!v->iov && v->nr)
		return -EFAULT;
	for (k = 0; k < v->nr; k++) {
		if ((ssize_t)v->iov[k].iov_len < 0)
			return -EINVAL;
		if (!v->iov[k].iov_base && v->iov[k].iov_len)
			return -EFAULT;
		total += v->iov[k].iov_len;
		if (total > (uint64_t)SSIZE_MAX)
			return -EINVAL;
	}
	return 0;
}

uint64_t aring__sim_iov_len(const struct sim_iov *v)
{
	uint64_t total = 0;
	unsigned k;

	for (k = 0; k < v->nr; k++)
		total += v->iov[k].iov_len;
	return total > MAX_RW_COUNT ? MAX_RW_COUNT : total;
}

/* Copy n bytes between buf and the iovec at byte offset off; to_iov: a read's copy. */
static void iov_copy(const struct sim_iov *v, uint64_t off, uint8_t *buf, uint64_t n, bool to_iov)
{
	unsigned k;

	for (k = 0; k < v->nr && n; k++) {
		uint64_t l = v->iov[k].iov_len, c;
		uint8_t *base = v->iov[k].iov_base;

		if (off >= l) {
			off -= l;
			continue;
		}
		c = l - off < n ? l - off : n;
		if (to_iov)
			memcpy(base + off, buf, c);
		else
			memcpy(buf, base + off, c);
		buf += c;
		n -= c;
		off = 0;
	}
}

void aring__sim_iov_copy_in(const struct sim_iov *v, uint64_t off, const void *src, uint64_t n)
{
	iov_copy(v, off, (uint8_t *)(uintptr_t)src, n, true);
}

void aring__sim_iov_copy_out(const struct sim_iov *v, uint64_t off, void *dst, uint64_t n)
{
	iov_copy(v, off, dst, n, false);
}

/* ---------------------------------------------------------------- regular files */

static int ensure_pages(struct sim_inode *i, uint64_t npages)
{
	uint8_t **p;
	uint64_t cap;

	if (npages <= i->npages_cap)
		return 0;
	cap = i->npages_cap ? i->npages_cap : 4;
	while (cap < npages)
		cap *= 2;
	p = realloc(i->pages, cap * sizeof(*p));
	if (!p)
		return -ENOMEM;
	memset(p + i->npages_cap, 0, (cap - i->npages_cap) * sizeof(*p));
	i->pages = p;
	i->npages_cap = cap;
	return 0;
}

static uint8_t *page_get(struct sim *s, struct sim_inode *i, uint64_t pg)
{
	if (ensure_pages(i, pg + 1))
		return NULL;
	if (!i->pages[pg]) {
		if (s->fs_bytes + SIM_PAGE > SIM_MAX_FS_BYTES)
			return NULL;
		i->pages[pg] = calloc(1, SIM_PAGE);
		if (!i->pages[pg])
			return NULL;
		i->npages_alloc++;
		s->fs_bytes += SIM_PAGE;
	}
	return i->pages[pg];
}

int64_t aring__sim_reg_read(struct sim *s, struct sim_file *f, const struct sim_iov *v,
			    uint64_t n, uint64_t off)
{
	struct sim_inode *i = f->inode;
	uint64_t done = 0;

	if (off >= i->size)
		return 0;
	if (n > i->size - off)
		n = i->size - off;
	while (done < n) {
		uint64_t pg = (off + done) / SIM_PAGE, po = (off + done) % SIM_PAGE;
		uint64_t c = SIM_PAGE - po < n - done ? SIM_PAGE - po : n - done;
		static const uint8_t zeros[SIM_PAGE];
		const uint8_t *src = pg < i->npages_cap && i->pages[pg] ? i->pages[pg] + po : zeros;

		aring__sim_iov_copy_in(v, done, src, c);
		done += c;
	}
	i->atime_ns = s->now_ns;
	return (int64_t)done;
}

int64_t aring__sim_reg_write(struct sim *s, struct sim_file *f, const struct sim_iov *v,
			     uint64_t n, uint64_t off)
{
	struct sim_inode *i = f->inode;
	uint64_t done = 0;

	if (off >= SIM_MAX_FILE_SIZE)
		return n ? -EFBIG : 0;
	if (n > SIM_MAX_FILE_SIZE - off)
		n = SIM_MAX_FILE_SIZE - off;
	while (done < n) {
		uint64_t pg = (off + done) / SIM_PAGE, po = (off + done) % SIM_PAGE;
		uint64_t c = SIM_PAGE - po < n - done ? SIM_PAGE - po : n - done;
		uint8_t *dst = page_get(s, i, pg);

		if (!dst)
			break;
		aring__sim_iov_copy_out(v, done, dst + po, c);
		done += c;
	}
	if (done == 0 && n)
		return -ENOSPC;
	if (off + done > i->size)
		i->size = off + done;
	i->mtime_ns = i->ctime_ns = s->now_ns;
	return (int64_t)done;
}

static void set_size(struct sim *s, struct sim_inode *i, uint64_t size)
{
	if (size < i->size) {
		uint64_t first_free = (size + SIM_PAGE - 1) / SIM_PAGE;

		pages_free(s, i, first_free);
		if (size % SIM_PAGE && size / SIM_PAGE < i->npages_cap && i->pages[size / SIM_PAGE])
			memset(i->pages[size / SIM_PAGE] + size % SIM_PAGE, 0,
			       SIM_PAGE - size % SIM_PAGE);
	}
	i->size = size;
	i->mtime_ns = i->ctime_ns = s->now_ns;
}

/* ---------------------------------------------------------------- rw ops */

#define RWF_KNOWN (RWF_HIPRI | RWF_DSYNC | RWF_SYNC | RWF_NOWAIT | RWF_APPEND)

/* kernel io_uring/rw.c io_read()/io_write(); fs/read_write.c */
enum sim_exec aring__sim_op_rw(struct sim *s, struct sim_req *r)
{
	bool vectored = r->opcode == IORING_OP_READV || r->opcode == IORING_OP_WRITEV;
	bool wr = r->opcode == IORING_OP_WRITE || r->opcode == IORING_OP_WRITEV;
	struct sim_file *f = r->file;
	int acc = f->flags & O_ACCMODE;
	struct sim_iov v;
	uint64_t want, n, off = r->sqe.off;
	int64_t ret;
	enum sim_exec e;
	int err;

	if ((unsigned)r->sqe.rw_flags & ~(unsigned)RWF_KNOWN) {
		r->res = -EOPNOTSUPP;
		return SIM_DONE;
	}
	if ((f->flags & O_PATH) || (wr ? acc == O_RDONLY : acc == O_WRONLY)) {
		r->res = -EBADF;
		return SIM_DONE;
	}
	err = aring__sim_iov_from_req(r, &v, vectored);
	if (err) {
		r->res = err;
		return SIM_DONE;
	}
	want = aring__sim_iov_len(&v);
	switch (f->type) {
	case SIM_F_DIR:
		r->res = -EISDIR;
		return SIM_DONE;
	case SIM_F_PIPE_R:
	case SIM_F_PIPE_W:
		n = aring__sim_fault_limit(s, r, want);
		e = wr ? aring__sim_pipe_write(s, r, f, &v, n) : aring__sim_pipe_read(s, r, f, &v, n);
		break;
	case SIM_F_SOCK:
		n = aring__sim_fault_limit(s, r, want);
		e = wr ? aring__sim_sock_send(s, r, f, &v, n, 0) : aring__sim_sock_recv(s, r, f, &v, n, 0);
		break;
	case SIM_F_REG:
	default:
		if (off != UINT64_MAX && (int64_t)off < 0) {
			r->res = -EINVAL;
			return SIM_DONE;
		}
		if (off == UINT64_MAX)
			off = f->pos;
		if (wr && ((f->flags & O_APPEND) || ((unsigned)r->sqe.rw_flags & RWF_APPEND)))
			off = f->inode->size;
		n = aring__sim_fault_limit(s, r, want);
		ret = wr ? aring__sim_reg_write(s, f, &v, n, off) : aring__sim_reg_read(s, f, &v, n, off);
		if (ret > 0 && (r->sqe.off == UINT64_MAX || (wr && (f->flags & O_APPEND))))
			f->pos = off + (uint64_t)ret;
		r->res = (int32_t)ret;
		e = SIM_DONE;
		break;
	}
	/* kernel rw.c __io_complete_rw_common(): a short transfer fails the link. */
	if (e == SIM_DONE && r->res >= 0 && (uint64_t)r->res < want)
		r->fail = true;
	return e;
}

/* ---------------------------------------------------------------- sync, advice, size */

static bool seekable(const struct sim_file *f)
{
	return f->type == SIM_F_REG || f->type == SIM_F_DIR;
}

/* kernel io_uring/sync.c io_fsync_prep()/io_fsync() */
enum sim_exec aring__sim_op_fsync(struct sim *s, struct sim_req *r)
{
	(void)s;
	if (r->sqe.addr || r->sqe.buf_index || r->sqe.splice_fd_in ||
	    (r->sqe.fsync_flags & ~IORING_FSYNC_DATASYNC))
		r->res = -EINVAL;
	else
		r->res = seekable(r->file) ? 0 : -EINVAL;
	return SIM_DONE;
}

enum sim_exec aring__sim_op_sync_file_range(struct sim *s, struct sim_req *r)
{
	unsigned flags = r->sqe.sync_range_flags;

	(void)s;
	if (r->sqe.addr || r->sqe.buf_index || r->sqe.splice_fd_in)
		r->res = -EINVAL;
	else if (flags & ~(SYNC_FILE_RANGE_WAIT_BEFORE | SYNC_FILE_RANGE_WRITE |
			   SYNC_FILE_RANGE_WAIT_AFTER))
		r->res = -EINVAL;
	else if ((int64_t)r->sqe.off < 0)
		r->res = -EINVAL;
	else if (r->file->type == SIM_F_PIPE_R || r->file->type == SIM_F_PIPE_W)
		r->res = -ESPIPE;
	else
		r->res = seekable(r->file) ? 0 : -EINVAL;
	return SIM_DONE;
}

/* kernel io_uring/sync.c io_fallocate(); fs/open.c vfs_fallocate() */
enum sim_exec aring__sim_op_fallocate(struct sim *s, struct sim_req *r)
{
	struct sim_file *f = r->file;
	int mode = (int)r->sqe.len;
	int64_t off = (int64_t)r->sqe.off, len = (int64_t)r->sqe.addr;
	struct sim_inode *i = f->inode;
	uint64_t end, pg;

	r->res = 0;
	if (r->sqe.buf_index || r->sqe.rw_flags || r->sqe.splice_fd_in)
		r->res = -EINVAL;
	else if (off < 0 || len <= 0)
		r->res = -EINVAL;
	else if ((f->flags & O_ACCMODE) == O_RDONLY || (f->flags & O_PATH))
		r->res = -EBADF;
	else if (f->type == SIM_F_DIR)
		r->res = -EISDIR;
	else if (f->type == SIM_F_PIPE_R || f->type == SIM_F_PIPE_W)
		r->res = -ESPIPE;
	else if (f->type != SIM_F_REG)
		r->res = -ENODEV;
	else if (mode & ~(FALLOC_FL_KEEP_SIZE | FALLOC_FL_PUNCH_HOLE | FALLOC_FL_ZERO_RANGE))
		r->res = -EOPNOTSUPP;
	else if ((mode & FALLOC_FL_PUNCH_HOLE) && !(mode & FALLOC_FL_KEEP_SIZE))
		r->res = -EOPNOTSUPP;
	else if ((mode & FALLOC_FL_PUNCH_HOLE) && (mode & FALLOC_FL_ZERO_RANGE))
		r->res = -EOPNOTSUPP;
	else if ((uint64_t)off + (uint64_t)len > SIM_MAX_FILE_SIZE)
		r->res = -EFBIG;
	if (r->res)
		return SIM_DONE;
	end = (uint64_t)off + (uint64_t)len;
	if (mode & FALLOC_FL_PUNCH_HOLE) {
		for (pg = (uint64_t)off / SIM_PAGE; pg * SIM_PAGE < end && pg < i->npages_cap; pg++) {
			uint64_t ps = pg * SIM_PAGE, a = ps > (uint64_t)off ? ps : (uint64_t)off;
			uint64_t b = ps + SIM_PAGE < end ? ps + SIM_PAGE : end;

			if (!i->pages[pg])
				continue;
			if (a == ps && b == ps + SIM_PAGE) {
				free(i->pages[pg]);
				i->pages[pg] = NULL;
				i->npages_alloc--;
				s->fs_bytes -= SIM_PAGE;
			} else {
				memset(i->pages[pg] + (a - ps), 0, b - a);
			}
		}
		return SIM_DONE;
	}
	for (pg = (uint64_t)off / SIM_PAGE; pg * SIM_PAGE < end; pg++) {
		uint8_t *p = page_get(s, i, pg);

		if (!p) {
			r->res = -ENOSPC;
			return SIM_DONE;
		}
		if (mode & FALLOC_FL_ZERO_RANGE) {
			uint64_t ps = pg * SIM_PAGE, a = ps > (uint64_t)off ? ps : (uint64_t)off;
			uint64_t b = ps + SIM_PAGE < end ? ps + SIM_PAGE : end;

			memset(p + (a - ps), 0, b - a);
		}
	}
	if (!(mode & FALLOC_FL_KEEP_SIZE) && end > i->size)
		set_size(s, i, end);
	return SIM_DONE;
}

/* kernel io_uring/advise.c */
enum sim_exec aring__sim_op_fadvise(struct sim *s, struct sim_req *r)
{
	unsigned advice = r->sqe.fadvise_advice;

	(void)s;
	if (r->sqe.buf_index || r->sqe.splice_fd_in)
		r->res = -EINVAL;
	else if (r->file->type == SIM_F_PIPE_R || r->file->type == SIM_F_PIPE_W)
		r->res = -ESPIPE;
	else if (advice > POSIX_FADV_NOREUSE)
		r->res = -EINVAL;
	else
		r->res = 0;
	return SIM_DONE;
}

enum sim_exec aring__sim_op_madvise(struct sim *s, struct sim_req *r)
{
	unsigned advice = r->sqe.fadvise_advice;

	(void)s;
	/* No memory to advise in the model: valid advice on aligned memory is 0. */
	if (r->sqe.buf_index || r->sqe.splice_fd_in || (r->sqe.addr & (SIM_PAGE - 1)))
		r->res = -EINVAL;
	else if (advice > MADV_COLD && advice != MADV_DONTFORK && advice != MADV_DOFORK &&
		 advice != MADV_HUGEPAGE && advice != MADV_NOHUGEPAGE &&
		 advice != MADV_MERGEABLE && advice != MADV_UNMERGEABLE &&
		 advice != MADV_DONTDUMP && advice != MADV_DODUMP)
		r->res = -EINVAL;
	else
		r->res = 0;
	return SIM_DONE;
}

/* kernel io_uring/truncate.c; fs/open.c do_ftruncate() */
enum sim_exec aring__sim_op_ftruncate(struct sim *s, struct sim_req *r)
{
	struct sim_file *f = r->file;
	int64_t len = (int64_t)r->sqe.off;

	if (r->sqe.rw_flags || r->sqe.addr || r->sqe.len || r->sqe.buf_index ||
	    r->sqe.splice_fd_in || r->sqe.addr3)
		r->res = -EINVAL;
	else if (len < 0)
		r->res = -EINVAL;
	else if (f->type != SIM_F_REG || (f->flags & O_ACCMODE) == O_RDONLY || (f->flags & O_PATH))
		r->res = -EINVAL;
	else if ((uint64_t)len > SIM_MAX_FILE_SIZE)
		r->res = -EFBIG;
	else {
		set_size(s, f->inode, (uint64_t)len);
		r->res = 0;
	}
	return SIM_DONE;
}

/* ---------------------------------------------------------------- open, close */

#define OPEN_KNOWN (O_ACCMODE | O_CREAT | O_EXCL | O_NOCTTY | O_TRUNC | O_APPEND | O_NONBLOCK | \
		    O_DSYNC | O_SYNC | O_DIRECT | O_LARGEFILE | O_DIRECTORY | O_NOFOLLOW | \
		    O_NOATIME | O_CLOEXEC | O_PATH | O_TMPFILE | FASYNC)

static int do_open(struct sim *s, int dfd, uint64_t path, uint64_t flags, uint64_t mode,
		   uint64_t resolve)
{
	struct lookup l;
	struct sim_inode *i;
	struct sim_file *f;
	int acc = (int)(flags & O_ACCMODE), ret, fd;
	bool follow;

	if ((flags & O_TMPFILE) == O_TMPFILE)
		return -EOPNOTSUPP; /* not modelled */
	if (acc == O_ACCMODE)
		return -EINVAL;
	if ((flags & O_CREAT) && (flags & O_DIRECTORY))
		return -EINVAL;
	if (flags & O_PATH)
		flags &= O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC;
	follow = !(flags & O_NOFOLLOW) && !((flags & O_CREAT) && (flags & O_EXCL));
	ret = lookup_how(s, dfd, path, follow, resolve, &l);
	if (ret)
		return ret;
	i = l.ino;
	if (!i) {
		if (!(flags & O_CREAT))
			return -ENOENT;
		if (l.slash)
			return -EISDIR;
		if (!may(l.dir, MAY_W | MAY_X))
			return -EACCES;
		i = inode_new(s, SIM_I_REG, (uint32_t)mode & ~UMASK);
		if (!i)
			return -ENOMEM;
		ret = dir_add(s, l.dir, l.name, i);
		if (ret) {
			inode_free(s, i);
			return ret;
		}
	} else {
		if ((flags & O_CREAT) && (flags & O_EXCL))
			return -EEXIST;
		if (i->type == SIM_I_LNK)
			return -ELOOP; /* O_NOFOLLOW on a symlink */
		if (i->type == SIM_I_DIR) {
			if (flags & O_CREAT)
				return -EISDIR;
			if (acc != O_RDONLY && !(flags & O_PATH))
				return -EISDIR;
		} else if ((flags & O_DIRECTORY) || l.slash) {
			return -ENOTDIR;
		}
		if (!(flags & O_PATH)) {
			if (acc != O_WRONLY && !may(i, MAY_R))
				return -EACCES;
			if ((acc != O_RDONLY || (flags & O_TRUNC)) && i->type == SIM_I_REG &&
			    !may(i, MAY_W))
				return -EACCES;
			if ((flags & O_TRUNC) && i->type == SIM_I_REG)
				set_size(s, i, 0);
		}
	}
	f = aring__sim_file_new(s, i->type == SIM_I_DIR ? SIM_F_DIR : SIM_F_REG,
				(int)(flags & (O_ACCMODE | O_APPEND | O_NONBLOCK | O_PATH)));
	if (!f)
		return -ENOMEM;
	f->inode = i;
	i->opens++;
	fd = aring__sim_fd_install(s, f);
	if (fd < 0)
		aring__sim_file_put(s, f);
	return fd;
}

/* kernel io_uring/openclose.c io_openat_prep()/io_openat2_prep()/io_openat2() */
enum sim_exec aring__sim_op_openat(struct sim *s, struct sim_req *r)
{
	uint64_t flags, mode, resolve = 0;

	if (r->sqe.buf_index || r->sqe.file_index) {
		r->res = -EINVAL; /* direct descriptors are not modelled */
		return SIM_DONE;
	}
	if (r->opcode == IORING_OP_OPENAT) {
		flags = r->sqe.open_flags;
		mode = r->sqe.len;
		/* kernel fs/open.c build_open_how(): openat ignores unknown flags */
		flags &= OPEN_KNOWN;
		if (!(flags & (O_CREAT | O_TMPFILE)))
			mode = 0;
	} else {
		const struct open_how *how = (const struct open_how *)(uintptr_t)r->sqe.off;

		if (r->sqe.len < 24 /* OPEN_HOW_SIZE_VER0 */) {
			r->res = -EINVAL;
			return SIM_DONE;
		}
		if (!how) {
			r->res = -EFAULT;
			return SIM_DONE;
		}
		flags = how->flags;
		mode = how->mode;
		/* kernel fs/open.c build_open_flags() */
		if (flags & ~(uint64_t)OPEN_KNOWN || (mode & ~(uint64_t)07777) ||
		    (!(flags & (O_CREAT | O_TMPFILE)) && mode) ||
		    (how->resolve & ~(uint64_t)(RESOLVE_NO_XDEV | RESOLVE_NO_MAGICLINKS |
						 RESOLVE_NO_SYMLINKS | RESOLVE_BENEATH |
						 RESOLVE_IN_ROOT | RESOLVE_CACHED))) {
			r->res = -EINVAL;
			return SIM_DONE;
		}
		resolve = how->resolve;
	}
	r->res = do_open(s, r->sqe.fd, r->sqe.addr, flags, mode, resolve);
	return SIM_DONE;
}

/* kernel io_uring/openclose.c io_close_prep()/io_close() */
enum sim_exec aring__sim_op_close(struct sim *s, struct sim_req *r)
{
	if (r->sqe.off || r->sqe.addr || r->sqe.len || r->sqe.rw_flags || r->sqe.buf_index)
		r->res = -EINVAL;
	else if (r->sqe.file_index)
		r->res = -EINVAL; /* no fixed files */
	else
		r->res = fd_close(s, r->sqe.fd);
	return SIM_DONE;
}

/* ---------------------------------------------------------------- statx */

static void fill_statx(struct statx *st, const struct sim_inode *i, uint32_t type_bits,
		       uint64_t fake_ino)
{
	memset(st, 0, sizeof(*st));
	st->stx_mask = STATX_BASIC_STATS;
	st->stx_blksize = SIM_PAGE;
	st->stx_uid = 0;
	st->stx_gid = 0;
	if (!i) {
		st->stx_mode = (uint16_t)(type_bits | 0600);
		st->stx_nlink = 1;
		st->stx_ino = fake_ino;
		return;
	}
	st->stx_mode = (uint16_t)((i->type == SIM_I_DIR ? S_IFDIR : i->type == SIM_I_LNK ? S_IFLNK
											  : S_IFREG) |
				  i->mode);
	st->stx_nlink = i->nlink;
	st->stx_ino = i->ino;
	st->stx_size = i->type == SIM_I_LNK ? strlen(i->target)
					    : i->type == SIM_I_DIR ? SIM_PAGE : i->size;
	st->stx_blocks = i->type == SIM_I_REG ? i->npages_alloc * (SIM_PAGE / 512) : 8;
	st->stx_atime.tv_sec = (int64_t)(i->atime_ns / 1000000000u);
	st->stx_atime.tv_nsec = (uint32_t)(i->atime_ns % 1000000000u);
	st->stx_mtime.tv_sec = (int64_t)(i->mtime_ns / 1000000000u);
	st->stx_mtime.tv_nsec = (uint32_t)(i->mtime_ns % 1000000000u);
	st->stx_ctime.tv_sec = (int64_t)(i->ctime_ns / 1000000000u);
	st->stx_ctime.tv_nsec = (uint32_t)(i->ctime_ns % 1000000000u);
	st->stx_btime = st->stx_ctime;
}

/* kernel io_uring/statx.c io_statx_prep(); fs/stat.c vfs_statx() */
enum sim_exec aring__sim_op_statx(struct sim *s, struct sim_req *r)
{
	struct statx *st = (struct statx *)(uintptr_t)r->sqe.addr2;
	const char *path = (const char *)(uintptr_t)r->sqe.addr;
	unsigned flags = r->sqe.statx_flags;
	struct lookup l;
	int ret;

	if (r->sqe.buf_index || r->sqe.splice_fd_in ||
	    (flags & ~(AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW | AT_NO_AUTOMOUNT | AT_STATX_SYNC_TYPE)) ||
	    (flags & AT_STATX_SYNC_TYPE) == AT_STATX_SYNC_TYPE || (r->sqe.len & STATX__RESERVED)) {
		r->res = -EINVAL;
		return SIM_DONE;
	}
	if (!st || !path) {
		r->res = -EFAULT;
		return SIM_DONE;
	}
	if (!*path && (flags & AT_EMPTY_PATH)) {
		struct sim_file *f = r->sqe.fd == AT_FDCWD ? NULL : aring__sim_fd_get(s, r->sqe.fd);

		if (r->sqe.fd == AT_FDCWD) {
			fill_statx(st, s->root, 0, 0);
		} else if (!f) {
			r->res = -EBADF;
			return SIM_DONE;
		} else if (f->type == SIM_F_REG || f->type == SIM_F_DIR) {
			fill_statx(st, f->inode, 0, 0);
		} else {
			/* pipefs / sockfs inodes: numbers of their own, above the fs's */
			fill_statx(st, NULL, f->type == SIM_F_SOCK ? S_IFSOCK : S_IFIFO,
				   (uint64_t)1 << 40 | (uint64_t)(uint32_t)r->sqe.fd);
		}
		r->res = 0;
		return SIM_DONE;
	}
	ret = lookup(s, r->sqe.fd, r->sqe.addr, !(flags & AT_SYMLINK_NOFOLLOW), &l);
	if (!ret && !l.ino)
		ret = -ENOENT;
	if (!ret && l.slash && l.ino->type != SIM_I_DIR)
		ret = -ENOTDIR;
	if (!ret)
		fill_statx(st, l.ino, 0, 0);
	r->res = ret;
	return SIM_DONE;
}

/* ---------------------------------------------------------------- namespace ops */

static bool is_ancestor(const struct sim_inode *a, const struct sim_inode *d)
{
	while (d != d->parent) {
		if (d == a)
			return true;
		d = d->parent;
	}
	return d == a;
}

/* kernel io_uring/fs.c io_unlinkat(); fs/namei.c do_unlinkat()/do_rmdir() */
enum sim_exec aring__sim_op_unlinkat(struct sim *s, struct sim_req *r)
{
	unsigned flags = r->sqe.unlink_flags;
	struct lookup l;
	int ret, k;

	if (r->sqe.off || r->sqe.len || r->sqe.buf_index || r->sqe.splice_fd_in ||
	    (flags & ~AT_REMOVEDIR)) {
		r->res = -EINVAL;
		return SIM_DONE;
	}
	ret = lookup(s, r->sqe.fd, r->sqe.addr, false, &l);
	if (ret)
		goto out;
	if (flags & AT_REMOVEDIR) {
		if (l.dot) {
			ret = !strcmp(l.name, "..") ? -ENOTEMPTY : l.ino == s->root ? -EBUSY : -EINVAL;
			goto out;
		}
		if (!l.ino)
			ret = -ENOENT;
		else if (l.ino->type != SIM_I_DIR)
			ret = -ENOTDIR;
		else if (l.ino->nents)
			ret = -ENOTEMPTY;
		else if (!may(l.dir, MAY_W | MAY_X))
			ret = -EACCES;
	} else {
		if (l.dot)
			ret = l.ino->type == SIM_I_DIR ? -EISDIR : -ENOTDIR;
		else if (!l.ino)
			ret = -ENOENT;
		else if (l.ino->type == SIM_I_DIR)
			ret = -EISDIR;
		else if (l.slash)
			ret = -ENOTDIR;
		else if (!may(l.dir, MAY_W | MAY_X))
			ret = -EACCES;
	}
	if (ret)
		goto out;
	k = dir_find(l.dir, l.name);
	assert(k >= 0);
	dir_del(s, l.dir, (uint32_t)k);
out:
	r->res = ret;
	return SIM_DONE;
}

/* kernel io_uring/fs.c io_mkdirat(); fs/namei.c do_mkdirat() */
enum sim_exec aring__sim_op_mkdirat(struct sim *s, struct sim_req *r)
{
	struct lookup l;
	struct sim_inode *i;
	int ret;

	if (r->sqe.off || r->sqe.rw_flags || r->sqe.buf_index || r->sqe.splice_fd_in) {
		r->res = -EINVAL;
		return SIM_DONE;
	}
	ret = lookup(s, r->sqe.fd, r->sqe.addr, false, &l);
	if (!ret && (l.dot || l.ino))
		ret = -EEXIST;
	if (!ret && !may(l.dir, MAY_W | MAY_X))
		ret = -EACCES;
	if (!ret) {
		i = inode_new(s, SIM_I_DIR, r->sqe.len & ~UMASK);
		if (!i)
			ret = -ENOMEM;
		else if ((ret = dir_add(s, l.dir, l.name, i)))
			inode_free(s, i);
		else
			i->nlink++; /* its "." */
	}
	r->res = ret;
	return SIM_DONE;
}

/* kernel io_uring/fs.c io_symlinkat(); fs/namei.c do_symlinkat() */
enum sim_exec aring__sim_op_symlinkat(struct sim *s, struct sim_req *r)
{
	const char *target = (const char *)(uintptr_t)r->sqe.addr;
	struct lookup l;
	struct sim_inode *i;
	int ret;

	if (r->sqe.len || r->sqe.rw_flags || r->sqe.buf_index || r->sqe.splice_fd_in) {
		r->res = -EINVAL;
		return SIM_DONE;
	}
	if (!target) {
		r->res = -EFAULT;
		return SIM_DONE;
	}
	if (!*target || strlen(target) >= PATH_MAX) {
		r->res = *target ? -ENAMETOOLONG : -ENOENT;
		return SIM_DONE;
	}
	ret = lookup(s, r->sqe.fd, r->sqe.addr2, false, &l);
	if (!ret && (l.dot || l.ino))
		ret = -EEXIST;
	if (!ret && l.slash)
		ret = -ENOENT;
	if (!ret && !may(l.dir, MAY_W | MAY_X))
		ret = -EACCES;
	if (!ret) {
		i = inode_new(s, SIM_I_LNK, 0777);
		if (!i || !(i->target = strdup(target))) {
			if (i)
				inode_free(s, i);
			ret = -ENOMEM;
		} else if ((ret = dir_add(s, l.dir, l.name, i))) {
			inode_free(s, i);
		}
	}
	r->res = ret;
	return SIM_DONE;
}

/* kernel io_uring/fs.c io_linkat(); fs/namei.c do_linkat() */
enum sim_exec aring__sim_op_linkat(struct sim *s, struct sim_req *r)
{
	unsigned flags = r->sqe.hardlink_flags;
	struct lookup o, n;
	int ret;

	if (r->sqe.rw_flags & ~(AT_SYMLINK_FOLLOW | AT_EMPTY_PATH) || r->sqe.buf_index ||
	    r->sqe.splice_fd_in) {
		r->res = -EINVAL;
		return SIM_DONE;
	}
	if (flags & AT_EMPTY_PATH) {
		r->res = -EOPNOTSUPP; /* linking an open fd is not modelled */
		return SIM_DONE;
	}
	ret = lookup(s, r->sqe.fd, r->sqe.addr, flags & AT_SYMLINK_FOLLOW, &o);
	if (!ret && !o.ino)
		ret = -ENOENT;
	if (!ret && o.ino->type == SIM_I_DIR)
		ret = -EPERM;
	if (!ret && o.slash)
		ret = -ENOTDIR;
	if (!ret)
		ret = lookup(s, (int)r->sqe.len, r->sqe.addr2, false, &n);
	if (!ret && (n.dot || n.ino))
		ret = -EEXIST;
	if (!ret && n.slash)
		ret = -ENOENT;
	if (!ret && !may(n.dir, MAY_W | MAY_X))
		ret = -EACCES;
	if (!ret)
		ret = dir_add(s, n.dir, n.name, o.ino);
	if (!ret)
		o.ino->ctime_ns = s->now_ns;
	r->res = ret;
	return SIM_DONE;
}

/* kernel io_uring/fs.c io_renameat(); fs/namei.c do_renameat2() */
enum sim_exec aring__sim_op_renameat(struct sim *s, struct sim_req *r)
{
	unsigned flags = r->sqe.rename_flags;
	struct lookup o, n;
	struct sim_inode *src;
	int ret, ko, kn;

	if (r->sqe.buf_index || r->sqe.splice_fd_in) {
		r->res = -EINVAL;
		return SIM_DONE;
	}
	if (flags & ~(RENAME_NOREPLACE | RENAME_EXCHANGE | RENAME_WHITEOUT) ||
	    ((flags & RENAME_NOREPLACE) && (flags & RENAME_EXCHANGE)) ||
	    ((flags & RENAME_WHITEOUT) && (flags & RENAME_EXCHANGE))) {
		r->res = -EINVAL;
		return SIM_DONE;
	}
	if (flags & RENAME_WHITEOUT) {
		r->res = -EOPNOTSUPP;
		return SIM_DONE;
	}
	ret = lookup(s, r->sqe.fd, r->sqe.addr, false, &o);
	if (!ret)
		ret = lookup(s, (int)r->sqe.len, r->sqe.addr2, false, &n);
	if (ret)
		goto out;
	if (o.dot || n.dot) {
		ret = o.dot && !o.ino ? -ENOENT : -EBUSY;
		goto out;
	}
	if (!o.ino) {
		ret = -ENOENT;
		goto out;
	}
	src = o.ino;
	if ((o.slash || n.slash) && src->type != SIM_I_DIR) {
		ret = -ENOTDIR;
		goto out;
	}
	if (!may(o.dir, MAY_W | MAY_X) || !may(n.dir, MAY_W | MAY_X)) {
		ret = -EACCES;
		goto out;
	}
	if (flags & RENAME_EXCHANGE) {
		if (!n.ino) {
			ret = -ENOENT;
			goto out;
		}
		if ((src->type == SIM_I_DIR && is_ancestor(src, n.dir)) ||
		    (n.ino->type == SIM_I_DIR && is_ancestor(n.ino, o.dir))) {
			ret = -EINVAL;
			goto out;
		}
		ko = dir_find(o.dir, o.name);
		kn = dir_find(n.dir, n.name);
		o.dir->ents[ko].inode = n.ino;
		n.dir->ents[kn].inode = src;
		if (src->type == SIM_I_DIR)
			src->parent = n.dir;
		if (n.ino->type == SIM_I_DIR)
			n.ino->parent = o.dir;
		if (src->type == SIM_I_DIR && n.ino->type != SIM_I_DIR) {
			o.dir->nlink--;
			n.dir->nlink++;
		} else if (src->type != SIM_I_DIR && n.ino->type == SIM_I_DIR) {
			o.dir->nlink++;
			n.dir->nlink--;
		}
		goto out;
	}
	if (n.ino == src)
		goto out; /* same inode: nothing to do */
	if (src->type == SIM_I_DIR && is_ancestor(src, n.dir)) {
		ret = -EINVAL;
		goto out;
	}
	if (n.ino) {
		if (flags & RENAME_NOREPLACE) {
			ret = -EEXIST;
			goto out;
		}
		if (src->type == SIM_I_DIR && n.ino->type != SIM_I_DIR) {
			ret = -ENOTDIR;
			goto out;
		}
		if (src->type != SIM_I_DIR && n.ino->type == SIM_I_DIR) {
			ret = -EISDIR;
			goto out;
		}
		if (n.ino->type == SIM_I_DIR && n.ino->nents) {
			ret = -ENOTEMPTY;
			goto out;
		}
	}
	/* Add the new name first (src keeps a link throughout), then drop the old. */
	if (n.ino) {
		kn = dir_find(n.dir, n.name);
		dir_del(s, n.dir, (uint32_t)kn);
	}
	ret = dir_add(s, n.dir, n.name, src);
	if (ret)
		goto out;
	ko = dir_find(o.dir, o.name);
	assert(ko >= 0);
	free(o.dir->ents[ko].name);
	o.dir->ents[ko] = o.dir->ents[--o.dir->nents];
	src->nlink--;
	if (src->type == SIM_I_DIR) {
		o.dir->nlink--;
		src->parent = n.dir;
	}
	src->ctime_ns = s->now_ns;
out:
	r->res = ret;
	return SIM_DONE;
}
