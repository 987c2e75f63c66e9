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
 * Lifetimes, as the kernel's refcounts give them: an inode lives while it
 * has a name (nlink), an open file description (opens), or, for a
 * directory, a child directory whose ".." it is (kids: a dentry pins its
 * parent). A directory removed while open is dead: it stays usable as a dfd,
 * its ".." still works, and creating anything in it gives -ENOENT (kernel
 * fs/namei.c may_create(): IS_DEADDIR).
 *
 * Names are found through one hash table keyed by (directory, name), and
 * path walks are iterative (a stack of pending link bodies, like the
 * kernel's nd->stack), so 40 nested symlinks cost a few hundred bytes of
 * stack, not a recursion per link.
 *
 * fds are the sim's own, lowest free first, like the kernel, up to
 * SIM_MAX_FDS; the lowest free one is found in a summarised bitmap. Slots
 * from 3 on are numbered from ARING_SIM_FD_BASE (or 3 with
 * ARING_SIM_LOW_FDS): see sim_fd_number() in sim/sim.h.
 */
#include "config.h"
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <linux/falloc.h>
#include <linux/fs.h>
#include <linux/openat2.h>

#include "sim/sim.h"

#define UMASK 022
#define MAX_SYMLINKS 40 /* kernel MAXSYMLINKS: links followed in one lookup */
#define MAX_RW_COUNT (INT_MAX & ~(SIM_PAGE - 1))
#define MAY_R 4u
#define MAY_W 2u
#define MAY_X 1u

/* ---------------------------------------------------------------- bitmaps */

/*
 * Zeroed tables too large for the heap (a loop's fd bitmap, a listener's
 * accept queue, the world's link matrix) come straight from mmap: the
 * kernel's zero pages cost nothing until a page is touched, and the tables
 * are sparse. calloc would memset them
 * once glibc has raised its mmap threshold (after the first such free), and
 * page them all in, on every loop a process makes.
 */
#define ZMAP_MIN_BYTES (32u * 1024u)

void *aring__sim_zalloc(size_t bytes)
{
	void *p;

	if (bytes < ZMAP_MIN_BYTES)
		return calloc(1, bytes);
	p = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	return p == MAP_FAILED ? NULL : p;
}

void aring__sim_zfree(void *p, size_t bytes)
{
	if (bytes < ZMAP_MIN_BYTES)
		free(p);
	else if (p)
		munmap(p, bytes);
}

int aring__sim_bits_init(struct sim_bits *b, uint32_t nbits)
{
	uint32_t n[3], k, i;

	assert(nbits % 64 == 0 && nbits <= (1u << 24));
	n[0] = nbits / 64;
	n[1] = (n[0] + 63) / 64;
	n[2] = (n[1] + 63) / 64;
	assert(n[2] <= 64);
	b->nbits = nbits;
	for (k = 0; k < 3; k++) {
		b->nwords[k] = n[k];
		b->l[k] = aring__sim_zalloc(n[k] * sizeof(uint64_t));
		if (!b->l[k]) {
			aring__sim_bits_free(b);
			return -ENOMEM;
		}
	}
	/* Summary bits of words past the end read as full. */
	for (k = 1; k < 3; k++)
		for (i = n[k - 1]; i < n[k] * 64; i++)
			b->l[k][i / 64] |= 1ull << (i % 64);
	return 0;
}

int aring__sim_bits_grow(struct sim_bits *b, uint32_t nbits)
{
	struct sim_bits n;
	uint32_t i;
	int ret;

	assert(nbits >= b->nbits);
	ret = aring__sim_bits_init(&n, nbits);
	if (ret)
		return ret;
	memcpy(n.l[0], b->l[0], b->nwords[0] * sizeof(uint64_t));
	/* the summary levels: a bit for every full word below */
	for (i = 0; i < b->nwords[0]; i++) {
		uint32_t j = i;
		unsigned k;

		for (k = 1; k < 3 && n.l[k - 1][j] == UINT64_MAX; k++, j /= 64) {
			n.l[k][j / 64] |= 1ull << (j % 64);
		}
	}
	aring__sim_bits_free(b);
	*b = n;
	return 0;
}

void aring__sim_bits_free(struct sim_bits *b)
{
	unsigned k;

	for (k = 0; k < 3; k++) {
		aring__sim_zfree(b->l[k], b->nwords[k] * sizeof(uint64_t));
		b->l[k] = NULL;
	}
}

void aring__sim_bits_set(struct sim_bits *b, uint32_t i)
{
	unsigned k;

	assert(i < b->nbits);
	for (k = 0; k < 3; k++) {
		uint64_t *w = &b->l[k][i / 64];

		*w |= 1ull << (i % 64);
		if (*w != UINT64_MAX)
			return;
		i /= 64;
	}
}

void aring__sim_bits_clear(struct sim_bits *b, uint32_t i)
{
	unsigned k;

	assert(i < b->nbits);
	for (k = 0; k < 3; k++) {
		uint64_t *w = &b->l[k][i / 64];
		bool was_full = *w == UINT64_MAX;

		*w &= ~(1ull << (i % 64));
		if (!was_full)
			return;
		i /= 64;
	}
}

/* Clear bits of w at positions >= from (from may be 64: none). */
static uint64_t clear_from(uint64_t w, unsigned from)
{
	return from >= 64 ? 0 : ~w & (UINT64_MAX << from);
}

int64_t aring__sim_bits_find(const struct sim_bits *b, uint32_t from)
{
	uint64_t idx[3], x;
	int k;

	if (from >= b->nbits)
		return -1;
	idx[0] = from;
	/* Climb until a level has a non-full word at or after the position. */
	for (k = 0; k < 3; k++) {
		x = idx[k] / 64 < b->nwords[k]
			    ? clear_from(b->l[k][idx[k] / 64], (unsigned)(idx[k] % 64))
			    : 0;
		if (x)
			break;
		if (k < 2)
			idx[k + 1] = idx[k] / 64 + 1;
	}
	if (k == 3) {
		/* Scan the top level's words (at most 64) after the last one looked at. */
		uint64_t w, nw = b->nwords[2];

		for (w = idx[2] / 64 + 1; w < nw; w++)
			if (~b->l[2][w])
				break;
		if (w >= nw)
			return -1;
		k = 2;
		idx[2] = w * 64;
		x = ~b->l[2][w];
	}
	/* Descend: the first clear bit of each level names the word below. */
	for (;;) {
		uint64_t pos = idx[k] / 64 * 64 + (uint64_t)__builtin_ctzll(x);

		if (k == 0)
			return pos < b->nbits ? (int64_t)pos : -1;
		k--;
		idx[k] = pos * 64;
		x = ~b->l[k][pos];
		assert(x);
	}
}

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
	sim_list_init(&i->ents);
	i->recs_tail = &i->recs;
	sim_list_add_tail(&s->inodes, &i->all);
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

/* Free an inode nothing refers to (a directory is empty by then). */
static void inode_free(struct sim *s, struct sim_inode *i)
{
	assert(sim_list_empty(&i->ents) && !i->kids && !i->dref);
	sim_list_del(&i->all);
	aring__sim_disk_inode_free(s, i);
	pages_free(s, i, 0);
	free(i->pages);
	free(i->target);
	aring__sim_xattr_free(i);
	free(i);
}

static bool inode_unused(const struct sim_inode *i)
{
	return i->nlink == 0 && i->opens == 0 && i->kids == 0 && i->nents == 0 && i->dref == 0;
}

static void set_parent(struct sim_inode *d, struct sim_inode *parent);

/* Free i if nothing refers to it any more, and so on up its ".." chain. */
static void inode_maybe_free(struct sim *s, struct sim_inode *i)
{
	while (i && inode_unused(i)) {
		struct sim_inode *up = NULL;

		if (i->type == SIM_I_DIR && i->parent && i->parent != i) {
			up = i->parent;
			set_parent(i, NULL);
		}
		inode_free(s, i);
		i = up;
	}
}

void aring__sim_inode_maybe_free(struct sim *s, struct sim_inode *i)
{
	inode_maybe_free(s, i);
}

static void set_parent(struct sim_inode *d, struct sim_inode *parent)
{
	if (d->parent && d->parent != d) {
		assert(d->parent->kids > 0);
		d->parent->kids--;
	}
	d->parent = parent;
	if (parent && parent != d)
		parent->kids++;
}

static bool may(const struct sim_inode *i, unsigned bits)
{
	return ((i->mode >> 6) & bits) == bits;
}

/* A directory that was removed (rmdir, or renamed over) while still referenced. */
static bool dead_dir(const struct sim_inode *d)
{
	return d->type == SIM_I_DIR && d->nlink == 0;
}

/* ---------------------------------------------------------------- directory entries */

static uint64_t name_hash(const struct sim_inode *d, const char *name)
{
	uint64_t h = 0xcbf29ce484222325ull ^ (d->ino * 0x9e3779b97f4a7c15ull);

	for (; *name; name++)
		h = (h ^ (uint8_t)*name) * 0x100000001b3ull;
	return h ^ (h >> 29);
}

static struct sim_dirent *dir_find(struct sim *s, const struct sim_inode *d, const char *name)
{
	uint64_t h = name_hash(d, name);
	struct sim_dirent *e;

	for (e = s->dh[h & s->dh_mask]; e; e = e->hnext)
		if (e->hash == h && e->dir == d && strcmp(e->name, name) == 0)
			return e;
	return NULL;
}

static int dh_grow(struct sim *s)
{
	uint64_t cap = (s->dh_mask + 1) * 2, k;
	struct sim_dirent **n = calloc(cap, sizeof(*n));

	if (!n)
		return -ENOMEM;
	for (k = 0; k <= s->dh_mask; k++) {
		struct sim_dirent *e = s->dh[k], *next;

		for (; e; e = next) {
			next = e->hnext;
			e->hnext = n[e->hash & (cap - 1)];
			n[e->hash & (cap - 1)] = e;
		}
	}
	free(s->dh);
	s->dh = n;
	s->dh_mask = cap - 1;
	return 0;
}

static int dir_add(struct sim *s, struct sim_inode *d, const char *name, struct sim_inode *i)
{
	struct sim_dirent *e;

	if (s->dh_count >= s->dh_mask + 1 && dh_grow(s))
		return -ENOMEM;
	e = calloc(1, sizeof(*e));
	if (!e || !(e->name = strdup(name))) {
		free(e);
		return -ENOMEM;
	}
	e->hash = name_hash(d, name);
	e->inode = i;
	e->dir = d;
	e->hnext = s->dh[e->hash & s->dh_mask];
	s->dh[e->hash & s->dh_mask] = e;
	s->dh_count++;
	sim_list_add_tail(&d->ents, &e->in_dir);
	d->nents++;
	i->nlink++;
	if (i->type == SIM_I_DIR) {
		set_parent(i, d);
		d->nlink++;
	}
	d->mtime_ns = d->ctime_ns = s->now_ns;
	return 0;
}

/* Unhash and free the entry; the inode's counts are the caller's. */
static void dirent_drop(struct sim *s, struct sim_dirent *e)
{
	struct sim_dirent **pp = &s->dh[e->hash & s->dh_mask];

	while (*pp != e)
		pp = &(*pp)->hnext;
	*pp = e->hnext;
	s->dh_count--;
	sim_list_del(&e->in_dir);
	e->dir->nents--;
	free(e->name);
	free(e);
}

/* Remove entry e (the inode may die). */
static void dir_del(struct sim *s, struct sim_dirent *e)
{
	struct sim_inode *d = e->dir, *i = e->inode;

	dirent_drop(s, e);
	d->mtime_ns = d->ctime_ns = s->now_ns;
	if (i->type == SIM_I_DIR) {
		d->nlink--;
		i->nlink = 0; /* dead: its ".." ref on d stays until it is freed */
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

/* A path string the sim may read: -EFAULT as strncpy_from_user() gives. */
static int user_path(uint64_t addr, const char **out)
{
	if (!sim_user_ok(addr, 1))
		return -EFAULT;
	*out = (const char *)(uintptr_t)addr;
	return 0;
}

/*
 * An error of a check the kernel's prep makes, for an op whose issue
 * errors leave its link alone (ARING__OPF_KEEPLINK: fsync, the path ops,
 * ...): from prep it fails the request at submit (io_submit_fail_init()),
 * so the link breaks.
 */
static enum sim_exec prep_fail(struct sim_req *r, int err)
{
	r->fail = true;
	r->res = err;
	return SIM_DONE;
}

/*
 * kernel fs/namei.c getname_flags(), which a path op's prep runs
 * (io_unlinkat_prep() & co): an unreadable name -EFAULT, one of PATH_MAX
 * or more -ENAMETOOLONG, an empty one -ENOENT unless empty_ok
 * (AT_EMPTY_PATH). 0 if the name is fine.
 */
static int getname_err(uint64_t addr, bool empty_ok)
{
	const char *p = (const char *)(uintptr_t)addr;

	if (!sim_user_ok(addr, 1))
		return -EFAULT;
	if (strnlen(p, PATH_MAX) >= PATH_MAX)
		return -ENAMETOOLONG;
	return !*p && !empty_ok ? -ENOENT : 0;
}

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

/*
 * kernel fs/namei.c link_path_walk(), walk_component() and the last
 * component's lookup, without recursion: following a link pushes the rest
 * of the current string on a stack and walks the link's body; when a string
 * ends, the walk resumes with the one below it. At most MAX_SYMLINKS links
 * are followed in one lookup (nd->total_link_count): -ELOOP beyond.
 * openat2's RESOLVE_* restrictions apply throughout.
 */
static int walk(struct sim *s, struct sim_inode *cur, const char *path, bool follow,
		struct lookup *out, uint64_t resolve)
{
	const char *stack[MAX_SYMLINKS];
	unsigned depth = 0, links = 0;
	bool trailing = false;     /* a link in last position was reached with a '/' */
	int below = 0;             /* directories below the start (RESOLVE_BENEATH) */
	const char *p = path;

	if (strnlen(path, PATH_MAX) >= PATH_MAX)
		return -ENAMETOOLONG;
	if (!*p)
		return -ENOENT;
	for (;;) {
		const char *e;
		size_t len;
		char name[NAME_MAX + 1];
		struct sim_inode *next;
		struct sim_dirent *de;
		bool last, slash;

		while (*p == '/')
			p++;
		if (!*p) {
			if (depth) {
				p = stack[--depth];
				continue;
			}
			/* "/" or a link whose body is only slashes */
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
		slash = e != NULL;
		last = !*p && depth == 0;
		if (cur->type != SIM_I_DIR)
			return -ENOTDIR;
		if (!may(cur, MAY_X))
			return -EACCES;
		if (!strcmp(name, ".") || !strcmp(name, "..")) {
			if (name[1] && (resolve & (RESOLVE_BENEATH | RESOLVE_IN_ROOT)) && below-- <= 0)
				return -EXDEV;
			next = name[1] ? cur->parent : cur;
			if (last) {
				out->dir = next->parent;
				out->ino = next;
				strcpy(out->name, name);
				out->slash = slash || trailing;
				out->dot = true;
				return 0;
			}
			cur = next;
			continue;
		}
		de = dir_find(s, cur, name);
		next = de ? de->inode : NULL;
		if (next && next->type == SIM_I_LNK && (!last || follow || slash || trailing)) {
			/* kernel fs/namei.c pick_link() */
			if (++links > MAX_SYMLINKS || (resolve & RESOLVE_NO_SYMLINKS))
				return -ELOOP;
			if (next->target[0] == '/' && (resolve & (RESOLVE_BENEATH | RESOLVE_IN_ROOT)))
				return -EXDEV;
			if (*p) {
				assert(depth < MAX_SYMLINKS);
				stack[depth++] = p;
			} else if (last) {
				trailing = trailing || slash;
			}
			p = next->target;
			if (p[0] == '/')
				cur = s->root;
			continue;
		}
		if (last) {
			out->dir = cur;
			out->ino = next;
			strcpy(out->name, name);
			out->slash = slash || trailing;
			out->dot = false;
			return 0;
		}
		if (!next)
			return -ENOENT;
		if (next->type != SIM_I_DIR)
			return -ENOTDIR;
		cur = next;
		below++;
	}
}

static int lookup_how(struct sim *s, int dfd, uint64_t path_addr, bool follow, uint64_t resolve,
		      struct lookup *out)
{
	struct sim_inode *start;
	const char *path;
	int ret = user_path(path_addr, &path);

	if (ret)
		return ret;
	if (!*path)
		return -ENOENT;
	if (path[0] == '/' && (resolve & (RESOLVE_BENEATH | RESOLVE_IN_ROOT)))
		return -EXDEV;
	ret = start_dir(s, dfd, path, &start);
	if (ret)
		return ret;
	memset(out, 0, sizeof(*out));
	return walk(s, start, path, follow, out, resolve);
}

static int lookup(struct sim *s, int dfd, uint64_t path_addr, bool follow, struct lookup *out)
{
	return lookup_how(s, dfd, path_addr, follow, 0, out);
}

/*
 * The inode a path names from the cwd, as filename_lookup(AT_FDCWD, ...)
 * finds it (xattrs: kernel io_uring/xattr.c io_getxattr()): 0, or -ENOENT,
 * -ENOTDIR, -ELOOP, -EFAULT, ...
 */
int aring__sim_path_inode(struct sim *s, uint64_t path, bool follow, struct sim_inode **out)
{
	struct lookup l;
	int ret = lookup(s, AT_FDCWD, path, follow, &l);

	if (!ret && !l.ino)
		ret = -ENOENT;
	if (!ret && l.slash && l.ino->type != SIM_I_DIR)
		ret = -ENOTDIR;
	*out = ret ? NULL : l.ino;
	return ret;
}

/* kernel fs/namei.c may_create(): a name is added to l.dir. */
static int may_create(const struct lookup *l)
{
	if (dead_dir(l->dir))
		return -ENOENT;
	if (!may(l->dir, MAY_W | MAY_X))
		return -EACCES;
	return 0;
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
	aring__sim_epoll_forget(s, f); /* kernel eventpoll_release(): before the file goes */
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
	case SIM_F_RING:
		aring__sim_ring_file_closed(f);
		break;
	case SIM_F_EPOLL:
		aring__sim_epoll_closed(s, f);
		break;
	}
	free(f);
}

struct sim_file *aring__sim_fd_get(struct sim *s, int fd)
{
	int64_t i = sim_fd_index(s, fd);

	if (i < 0 || (uint64_t)i >= s->fds_cap)
		return NULL;
	return s->fds[i];
}

bool aring__sim_fd_available(struct sim *s)
{
	return s->fds_cap < SIM_MAX_FDS || aring__sim_bits_find(&s->fd_used, 0) >= 0;
}

int aring__sim_fd_install(struct sim *s, struct sim_file *f)
{
	int64_t fd = aring__sim_bits_find(&s->fd_used, 0);

	if (fd < 0) {
		/* the table and its bitmap are full: both double, to SIM_MAX_FDS */
		uint32_t cap = s->fds_cap * 2;
		struct sim_file **n;

		if (s->fds_cap >= SIM_MAX_FDS)
			return -EMFILE;
		n = realloc(s->fds, cap * sizeof(*n));
		if (!n)
			return -ENOMEM;
		memset(n + s->fds_cap, 0, (cap - s->fds_cap) * sizeof(*n));
		s->fds = n;
		if (aring__sim_bits_grow(&s->fd_used, cap))
			return -ENOMEM;
		s->fds_cap = cap;
		fd = aring__sim_bits_find(&s->fd_used, 0);
	}
	s->fds[fd] = f;
	aring__sim_bits_set(&s->fd_used, (uint32_t)fd);
	return sim_fd_number(s, (uint32_t)fd);
}

/* Take fd out of the table without closing the file (the caller's ref). */
struct sim_file *aring__sim_fd_remove(struct sim *s, int fd)
{
	struct sim_file *f = aring__sim_fd_get(s, fd);

	if (f) {
		uint32_t i = (uint32_t)sim_fd_index(s, fd);

		s->fds[i] = NULL;
		aring__sim_bits_clear(&s->fd_used, i);
	}
	return f;
}

static int fd_close(struct sim *s, int fd)
{
	struct sim_file *f = aring__sim_fd_remove(s, fd);

	if (!f)
		return -EBADF;
	aring__sim_file_put(s, f);
	return 0;
}

int aring__sim_fs_init(struct sim *s)
{
	int ret;

	sim_list_init(&s->inodes);
	s->nsops_tail = &s->nsops;
	s->fds_cap = 64; /* the table and its bitmap double as fds are used */
	ret = aring__sim_bits_init(&s->fd_used, s->fds_cap);
	if (ret)
		return ret;
	s->fds = calloc(s->fds_cap, sizeof(*s->fds));
	s->dh_mask = 63;
	s->dh = calloc(s->dh_mask + 1, sizeof(*s->dh));
	s->root = inode_new(s, SIM_I_DIR, 0755);
	if (!s->fds || !s->dh || !s->root)
		return -ENOMEM;
	s->root->parent = s->root;
	s->root->nlink = 2;
	s->tmp = inode_new(s, SIM_I_DIR, 01777);
	if (!s->tmp)
		return -ENOMEM;
	s->tmp->nlink = 1;
	ret = dir_add(s, s->root, "tmp", s->tmp);
	if (ret == 0)
		aring__sim_disk_init(s);
	return ret;
}

/* Take every name out of the live tree (the inodes stay). */
static void live_tree_clear(struct sim *s)
{
	struct sim_list *l;

	for (l = s->inodes.next; l != &s->inodes; l = l->next) {
		struct sim_inode *i = sim_container_of(l, struct sim_inode, all);

		while (!sim_list_empty(&i->ents))
			dirent_drop(s, sim_container_of(i->ents.next, struct sim_dirent, in_dir));
	}
	for (l = s->inodes.next; l != &s->inodes; l = l->next) {
		struct sim_inode *i = sim_container_of(l, struct sim_inode, all);

		i->nlink = 0;
		i->kids = 0;
		i->parent = NULL;
	}
}

/* Give d's durable entries live names; queue the directories among them. */
static void names_from_durable(struct sim *s, struct sim_inode *d, struct sim_inode ***q,
			       size_t *qn, size_t *qcap)
{
	struct sim_dent *de;

	for (de = d->dents; de; de = de->next) {
		struct sim_inode *i = de->inode;

		/* each directory once: the first name that reaches it */
		if (i->type == SIM_I_DIR && (i->parent || i == s->root))
			continue;
		if (dir_add(s, d, de->name, i))
			abort();
		if (i->type != SIM_I_DIR)
			continue;
		i->nlink++; /* its "." */
		if (*qn == *qcap) {
			*qcap = *qcap ? *qcap * 2 : 16;
			*q = realloc(*q, *qcap * sizeof(**q));
			if (!*q)
				abort();
		}
		(*q)[(*qn)++] = i;
	}
}

void aring__sim_fs_rebuild(struct sim *s)
{
	struct sim_inode **q = NULL;
	size_t qn = 0, qcap = 0, k;
	struct sim_list *l, *next;

	live_tree_clear(s);
	s->root->parent = s->root;
	s->root->nlink = 2;
	names_from_durable(s, s->root, &q, &qn, &qcap);
	for (k = 0; k < qn; k++)
		names_from_durable(s, q[k], &q, &qn, &qcap);
	free(q);
	aring__sim_disk_durable_from_live(s);
	for (l = s->inodes.next; l != &s->inodes; l = next) {
		struct sim_inode *i = sim_container_of(l, struct sim_inode, all);

		next = l->next;
		if (i != s->root && inode_unused(i))
			inode_free(s, i);
	}
	s->tmp = NULL; /* /tmp may be gone; nothing reads it after init */
}

void aring__sim_fs_destroy(struct sim *s)
{
	unsigned fd;

	if (s->fds) {
		for (fd = 0; fd < s->fds_cap; fd++)
			if (s->fds[fd])
				fd_close(s, sim_fd_number(s, fd));
		free(s->fds);
		s->fds = NULL;
	}
	if (s->root) {
		struct sim_list *l;

		/* Every inode goes, whatever still names it (live or durable). */
		s->disk_batch = true;
		aring__sim_disk_destroy(s);
		for (l = s->inodes.next; l != &s->inodes; l = l->next)
			aring__sim_disk_inode_free(s, sim_container_of(l, struct sim_inode, all));
		live_tree_clear(s);
		while (!sim_list_empty(&s->inodes)) {
			struct sim_inode *i = sim_container_of(s->inodes.next, struct sim_inode, all);

			i->dref = 0;
			inode_free(s, i);
		}
		s->root = NULL;
	}
	free(s->dh);
	s->dh = NULL;
	aring__sim_bits_free(&s->fd_used);
}

/* ---------------------------------------------------------------- iovecs */

int aring__sim_iov_ubuf(struct sim_iov *v, uint64_t addr, uint64_t len)
{
	if (len > MAX_RW_COUNT)
		len = MAX_RW_COUNT;
	if (!sim_access_ok(addr, len))
		return -EFAULT;
	v->one.iov_base = (void *)(uintptr_t)addr;
	v->one.iov_len = len;
	v->iov = &v->one;
	v->nr = 1;
	v->len = len;
	return 0;
}

int aring__sim_iov_import(struct sim_iov *v, const struct iovec *iov, uint64_t nr)
{
	uint64_t total = 0, k;

	v->iov = iov;
	v->nr = 0;
	v->len = 0;
	if (nr == 0)
		return 0;
	if (nr > SIM_UIO_MAXIOV)
		return -EINVAL;
	if (!sim_user_ptr_ok(iov, nr * sizeof(*iov)))
		return -EFAULT;
	/* copy_iovec_from_user(): every length first, then access_ok() per segment */
	for (k = 0; k < nr; k++)
		if ((int64_t)iov[k].iov_len < 0)
			return -EINVAL;
	for (k = 0; k < nr; k++) {
		uint64_t len = iov[k].iov_len;

		if (!sim_access_ok((uint64_t)(uintptr_t)iov[k].iov_base, len))
			return -EFAULT;
		total += len < MAX_RW_COUNT - total ? len : MAX_RW_COUNT - total;
	}
	v->nr = (unsigned)nr;
	v->len = total;
	return 0;
}

int aring__sim_iov_from_req(struct sim_req *r, struct sim_iov *v, bool vectored)
{
	if (!vectored)
		return aring__sim_iov_ubuf(v, r->sqe.addr, r->sqe.len);
	return aring__sim_iov_import(v, (const struct iovec *)(uintptr_t)r->sqe.addr, r->sqe.len);
}

uint64_t aring__sim_iov_len(const struct sim_iov *v)
{
	return v->len;
}

/*
 * Copy n bytes between buf and the iovec at byte offset off; to_iov: a read's
 * copy. A segment the sim cannot touch (below 64 KiB) faults the whole copy
 * before any byte moves.
 */
static int iov_copy(const struct sim_iov *v, uint64_t off, uint8_t *buf, uint64_t n, bool to_iov)
{
	uint64_t o = off, left = n;
	unsigned k;

	for (k = 0; k < v->nr && left; k++) {
		uint64_t l = v->iov[k].iov_len, c;

		if (o >= l) {
			o -= l;
			continue;
		}
		c = l - o < left ? l - o : left;
		if (!sim_user_ok((uint64_t)(uintptr_t)v->iov[k].iov_base + o, c))
			return -EFAULT;
		left -= c;
		o = 0;
	}
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
	return 0;
}

int aring__sim_iov_copy_in(const struct sim_iov *v, uint64_t off, const void *src, uint64_t n)
{
	return iov_copy(v, off, (uint8_t *)(uintptr_t)src, n, true);
}

int aring__sim_iov_copy_out(const struct sim_iov *v, uint64_t off, void *dst, uint64_t n)
{
	return iov_copy(v, off, dst, n, false);
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
		if (s->fs_bytes + SIM_PAGE > aring__sim_disk_capacity(s))
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
	/* A bad sector (disk_read_error_ppm): the read stops short before it. */
	if (n && (n = aring__sim_disk_read_ok(s, i, off, n)) == 0)
		return -EIO;
	while (done < n) {
		uint64_t pg = (off + done) / SIM_PAGE, po = (off + done) % SIM_PAGE;
		uint64_t c = SIM_PAGE - po < n - done ? SIM_PAGE - po : n - done;
		static const uint8_t zeros[SIM_PAGE];
		const uint8_t *src = pg < i->npages_cap && i->pages[pg] ? i->pages[pg] + po : zeros;

		if (aring__sim_iov_copy_in(v, done, src, c))
			return done ? (int64_t)done : -EFAULT;
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
		if (aring__sim_iov_copy_out(v, done, dst + po, c)) {
			if (!done)
				return -EFAULT;
			break;
		}
		done += c;
	}
	if (done == 0 && n)
		return -ENOSPC;
	if (done && aring__sim_disk_note_write(s, i, off, done))
		return -ENOMEM;
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
	if (aring__sim_disk_note_size(s, i, size))
		abort();
}

/* ---------------------------------------------------------------- rw ops */

#define SIM_RWF_NOAPPEND 0x20u  /* include/uapi/linux/fs.h (6.9) */
#define SIM_RWF_NOSIGNAL 0x100u /* (6.17) */
/* kernel fs.h kiocb_set_rw_flags(): RWF_ATOMIC/RWF_DONTCACHE need file support (-EOPNOTSUPP) */
#define RWF_KNOWN (RWF_HIPRI | RWF_DSYNC | RWF_SYNC | RWF_NOWAIT | RWF_APPEND | SIM_RWF_NOAPPEND | \
		   SIM_RWF_NOSIGNAL)

static bool rw_vectored(unsigned op)
{
	return op == IORING_OP_READV || op == IORING_OP_WRITEV || op == ARING_OP_READV_FIXED ||
	       op == ARING_OP_WRITEV_FIXED;
}

static bool rw_fixed(unsigned op)
{
	return op == IORING_OP_READ_FIXED || op == IORING_OP_WRITE_FIXED ||
	       op == ARING_OP_READV_FIXED || op == ARING_OP_WRITEV_FIXED;
}

/*
 * kernel io_uring/rw.c io_prep_rw(): the buffer or iovec is imported at
 * prep. A registered buffer is imported at issue (rw_import_fixed()); of
 * readv_fixed/writev_fixed, prep only copies the iovec array
 * (io_rw_prep_reg_vec() -> iovec_from_user(): too many -EINVAL, an array
 * the sim cannot read -EFAULT, a negative length -EINVAL).
 */
int aring__sim_prep_rw(struct sim *s, struct sim_req *r)
{
	const struct iovec *iov = (const struct iovec *)(uintptr_t)r->sqe.addr;
	struct sim_iov v;
	unsigned k;

	(void)s;
	/* kernel io_iov_buffer_select_prep(): readv picks a buffer for one iovec */
	if (rw_vectored(r->opcode) && (r->sqe.flags & IOSQE_BUFFER_SELECT) && r->sqe.len != 1)
		return -EINVAL;
	if (!rw_fixed(r->opcode))
		return aring__sim_iov_from_req(r, &v, rw_vectored(r->opcode));
	if (!rw_vectored(r->opcode) || r->sqe.len == 0)
		return 0;
	if (r->sqe.len > SIM_UIO_MAXIOV)
		return -EINVAL;
	if (!sim_user_ptr_ok(iov, (uint64_t)r->sqe.len * sizeof(*iov)))
		return -EFAULT;
	for (k = 0; k < r->sqe.len; k++)
		if ((int64_t)iov[k].iov_len < 0)
			return -EINVAL;
	return 0;
}

/*
 * kernel rw.c io_init_rw_fixed() / io_rw_import_reg_vec(), first thing at
 * issue: the buffer (each iovec of a vectored op) must lie in registered
 * buffer sqe->buf_index (rsrc.c io_import_reg_buf(), io_import_reg_vec():
 * -EFAULT otherwise; backends/soft/rsrc.c).
 */
static int rw_import_fixed(struct sim *s, struct sim_req *r, struct sim_iov *v)
{
	const struct iovec *iov = (const struct iovec *)(uintptr_t)r->sqe.addr;
	unsigned k;
	int err;

	if (!rw_vectored(r->opcode)) {
		err = aring__soft_fixed_buf(s->ring, r->sqe.buf_index, r->sqe.addr, r->sqe.len);
		return err ? err : aring__sim_iov_ubuf(v, r->sqe.addr, r->sqe.len);
	}
	for (k = 0; k < r->sqe.len; k++) {
		err = aring__soft_fixed_buf(s->ring, r->sqe.buf_index,
					    (uint64_t)(uintptr_t)iov[k].iov_base, iov[k].iov_len);
		if (err)
			return err;
	}
	return aring__sim_iov_import(v, iov, r->sqe.len);
}

/*
 * IOSQE_BUFFER_SELECT (backends/soft/kbuf.c): one step of r's model, xfer,
 * on a provided buffer of at most len bytes (0: the buffer's length).
 * kernel io_recv() / __io_read(): the buffer is picked at issue
 * (io_buffer_select(): -ENOBUFS when the group has none); a transfer that
 * would wait gives it back (io_kbuf_recycle()) and waits for readiness; a
 * request that waited, or that posted a multishot CQE, looks again only
 * once the file is readable (the kernel's poll), and picks a buffer then.
 * After the transfer the buffer is kept (io_put_kbuf(): IORING_CQE_F_BUFFER
 * and its bid) when bytes moved, or for keep0 (a read of 0 bytes; a recv
 * at EOF gives it back), else given back. A multishot request posts each
 * transfer with IORING_CQE_F_MORE and ends on 0 bytes, an error or
 * -ENOBUFS (io_recv_finish(), io_read_mshot()).
 */
enum sim_exec aring__sim_bufsel(struct sim *s, struct sim_req *r, uint32_t len, bool keep0,
				sim_xfer_fn xfer, void *arg)
{
	struct sim_file *f = r->file;
	bool can_poll = f->type != SIM_F_REG && f->type != SIM_F_DIR;
	bool net = r->opcode == IORING_OP_RECV || r->opcode == IORING_OP_RECVMSG;
	struct sim_iov v;
	uint64_t addr;
	enum sim_exec e;
	int ret;

	if (r->polled && can_poll &&
	    !(aring__sim_poll_mask(f) & (POLLIN | POLLRDNORM | POLLHUP | POLLERR))) {
		aring__sim_wait(s, r, aring__sim_file_waitq(f));
		return SIM_BLOCK;
	}
	ret = aring__soft_buffer_select(s->ring, &r->sr, can_poll, &addr, &len);
	if (!ret)
		ret = aring__sim_iov_ubuf(&v, addr, len);
	if (ret) {
		if (r->sr.kbuf)
			aring__soft_kbuf_recycle(s->ring, &r->sr);
		r->res = ret;
		return SIM_DONE;
	}
	r->done_bytes = 0;
	e = xfer(s, r, &v, aring__sim_fault_limit(s, r, len), arg);
	if (e == SIM_BLOCK) {
		aring__soft_kbuf_recycle(s->ring, &r->sr);
		r->polled = true;
		return SIM_BLOCK;
	}
	if (r->res > 0 || (r->res == 0 && keep0))
		r->cflags |= aring__soft_put_kbuf(s->ring, &r->sr, r->res);
	else
		aring__soft_kbuf_recycle(s->ring, &r->sr);
	/* (a receive's IORING_CQE_F_SOCK_NONEMPTY: sim/net.c recv_sock()) */
	if (r->multishot && r->res > 0) {
		r->polled = true;
		return SIM_MORE;
	}
	/* short of the length selected fails a link: a read's always (kernel rw.c
	   __io_complete_rw_common()), a receive's with MSG_WAITALL (io_recv()) */
	if (!r->multishot && r->res >= 0 && (uint32_t)r->res < len &&
	    (!net || (r->sqe.msg_flags & MSG_WAITALL)))
		r->fail = true;
	return SIM_DONE;
}

/* A read of a pipe, socket or regular file into a provided buffer. */
static enum sim_exec read_xfer(struct sim *s, struct sim_req *r, const struct sim_iov *v,
			       uint64_t n, void *arg)
{
	struct sim_file *f = r->file;
	uint64_t off = *(uint64_t *)arg;
	int64_t ret;

	switch (f->type) {
	case SIM_F_PIPE_R:
	case SIM_F_PIPE_W:
		return aring__sim_pipe_read(s, r, f, v, n);
	case SIM_F_SOCK:
		return aring__sim_sock_recv(s, r, f, v, n,
					    ((unsigned)r->sqe.rw_flags & RWF_NOWAIT) ? MSG_DONTWAIT : 0);
	default:
		if (off == UINT64_MAX)
			off = f->pos;
		ret = aring__sim_reg_read(s, f, v, n, off);
		if (ret > 0 && r->sqe.off == UINT64_MAX)
			f->pos = off + (uint64_t)ret;
		r->res = (int32_t)ret;
		return SIM_DONE;
	}
}

/* kernel io_uring/rw.c io_read() / io_read_mshot() with IOSQE_BUFFER_SELECT */
static enum sim_exec read_bufsel(struct sim *s, struct sim_req *r, uint64_t off)
{
	uint32_t len = r->sqe.len;

	if (r->file->type == SIM_F_DIR) {
		r->res = -EISDIR;
		return SIM_DONE;
	}
	if (r->opcode == IORING_OP_READV) {
		/* kernel io_iov_buffer_select_prep(): one iovec, its length the most */
		const struct iovec *iov = (const struct iovec *)(uintptr_t)r->sqe.addr;

		len = (uint32_t)(iov->iov_len < ARING_MAX_RW_COUNT ? iov->iov_len : ARING_MAX_RW_COUNT);
	}
	return aring__sim_bufsel(s, r, len, !r->multishot, read_xfer, &off);
}

/* kernel io_uring/rw.c io_read_mshot_prep(): provided buffers, no address or length */
static int prep_read_mshot(struct sim *s, struct sim_req *r)
{
	(void)s;
	if (!(r->sqe.flags & IOSQE_BUFFER_SELECT) || r->sqe.addr || r->sqe.len)
		return -EINVAL;
	return 0;
}

/* kernel io_uring/rw.c io_read_mshot() */
static enum sim_exec op_read_mshot(struct sim *s, struct sim_req *r)
{
	if ((unsigned)r->sqe.rw_flags & ~(unsigned)RWF_KNOWN) {
		r->res = -EOPNOTSUPP;
		return SIM_DONE;
	}
	/* multishot must be used on a pollable file */
	if (r->file->type == SIM_F_REG || r->file->type == SIM_F_DIR) {
		r->res = -EBADFD;
		return SIM_DONE;
	}
	if ((r->file->flags & O_ACCMODE) == O_WRONLY || (r->file->flags & O_PATH)) {
		r->res = -EBADF;
		return SIM_DONE;
	}
	r->multishot = true;
	return read_bufsel(s, r, r->sqe.off);
}

/* kernel io_uring/rw.c io_read()/io_write() (io_read_fixed()/io_write_fixed()); fs/read_write.c */
enum sim_exec aring__sim_op_rw(struct sim *s, struct sim_req *r)
{
	bool vectored = rw_vectored(r->opcode), fixed = rw_fixed(r->opcode);
	bool wr = r->opcode == IORING_OP_WRITE || r->opcode == IORING_OP_WRITEV ||
		  r->opcode == IORING_OP_WRITE_FIXED || r->opcode == ARING_OP_WRITEV_FIXED;
	struct sim_file *f = r->file;
	int acc = f->flags & O_ACCMODE;
	struct sim_iov v;
	uint64_t want, n, off = r->sqe.off;
	int64_t ret;
	enum sim_exec e;
	unsigned fl;
	int err;

	/* (checked again when a blocked transfer resumes: a buffer unregistered
	 * meanwhile fails it, where the kernel's request keeps its node) */
	if (fixed && (err = rw_import_fixed(s, r, &v))) {
		r->res = err;
		return SIM_DONE;
	}
	if ((unsigned)r->sqe.rw_flags & ~(unsigned)RWF_KNOWN) {
		r->res = -EOPNOTSUPP;
		return SIM_DONE;
	}
	/* kernel rw.c io_rw_init_file(): IOCB_HIPRI needs an IOPOLL ring */
	if ((unsigned)r->sqe.rw_flags & RWF_HIPRI) {
		r->res = -EINVAL;
		return SIM_DONE;
	}
	/* kernel rw.c io_kiocb_update_pos() -> fs/read_write.c rw_verify_area():
	   an offset below -1 is -EINVAL on every file, pipes and sockets too */
	if (off != UINT64_MAX && (int64_t)off < 0) {
		r->res = -EINVAL;
		return SIM_DONE;
	}
	if ((f->flags & O_PATH) || acc == O_ACCMODE || (wr ? acc == O_RDONLY : acc == O_WRONLY)) {
		r->res = -EBADF;
		return SIM_DONE;
	}
	if (!wr && (r->sqe.flags & IOSQE_BUFFER_SELECT))
		return read_bufsel(s, r, off);
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
	case SIM_F_RING:
	case SIM_F_EPOLL:
		/* io_uring/rw.c io_iter_do_read(): no read_iter, no read */
		r->res = -EINVAL;
		return SIM_DONE;
	case SIM_F_PIPE_R:
	case SIM_F_PIPE_W:
		n = aring__sim_fault_limit(s, r, want);
		e = wr ? aring__sim_pipe_write(s, r, f, &v, n) : aring__sim_pipe_read(s, r, f, &v, n);
		break;
	case SIM_F_SOCK:
		/* kernel net/socket.c sock_read_iter()/sock_write_iter(): ki_pos != 0 */
		if (off != UINT64_MAX && off) {
			r->res = -ESPIPE;
			return SIM_DONE;
		}
		n = aring__sim_fault_limit(s, r, want);
		/* sock_read_iter(): IOCB_NOWAIT (RWF_NOWAIT) is MSG_DONTWAIT */
		fl = ((unsigned)r->sqe.rw_flags & RWF_NOWAIT) ? MSG_DONTWAIT : 0;
		e = wr ? aring__sim_sock_send(s, r, f, &v, n, fl) : aring__sim_sock_recv(s, r, f, &v, n, fl);
		break;
	case SIM_F_REG:
	default:
		if (off == UINT64_MAX)
			off = f->pos;
		if (wr && ((f->flags & O_APPEND) || ((unsigned)r->sqe.rw_flags & RWF_APPEND)) &&
		    !((unsigned)r->sqe.rw_flags & SIM_RWF_NOAPPEND))
			off = f->inode->size;
		n = aring__sim_fault_limit(s, r, want);
		if (wr && n && aring__sim_disk_nospace(s, r))
			ret = -ENOSPC; /* disk_nospace_ppm */
		else
			ret = wr ? aring__sim_reg_write(s, f, &v, n, off)
				 : aring__sim_reg_read(s, f, &v, n, off);
		/* O_DSYNC / O_SYNC / RWF_DSYNC / RWF_SYNC: durable once it completes, as if
		 * fdatasync followed (kernel generic_write_sync()); its writeback error is the
		 * write's result. */
		if (wr && ret > 0 && ((f->flags & O_DSYNC) ||
				      ((unsigned)r->sqe.rw_flags & (RWF_DSYNC | RWF_SYNC)))) {
			int err = aring__sim_disk_fsync(s, f->inode);

			if (err)
				ret = err;
		}
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

/* FMODE_WRITE: O_WRONLY or O_RDWR, not O_PATH (access mode 3 has neither mode) */
static bool fmode_write(const struct sim_file *f)
{
	int acc = f->flags & O_ACCMODE;

	return !(f->flags & O_PATH) && (acc == O_WRONLY || acc == O_RDWR);
}

static bool seekable(const struct sim_file *f)
{
	return f->type == SIM_F_REG || f->type == SIM_F_DIR;
}

/* kernel io_uring/sync.c io_fsync_prep()/io_fsync() */
enum sim_exec aring__sim_op_fsync(struct sim *s, struct sim_req *r)
{
	if (r->sqe.addr || r->sqe.buf_index || r->sqe.splice_fd_in ||
	    (r->sqe.fsync_flags & ~IORING_FSYNC_DATASYNC))
		return prep_fail(r, -EINVAL);
	if (!seekable(r->file))
		r->res = -EINVAL;
	else /* sim/disk.c: what counts as durable */
		r->res = aring__sim_disk_fsync(s, r->file->inode);
	return SIM_DONE;
}

enum sim_exec aring__sim_op_sync_file_range(struct sim *s, struct sim_req *r)
{
	unsigned flags = r->sqe.sync_range_flags;

	(void)s;
	if (r->sqe.addr || r->sqe.buf_index || r->sqe.splice_fd_in)
		return prep_fail(r, -EINVAL); /* io_sfr_prep() */
	if (flags & ~(SYNC_FILE_RANGE_WAIT_BEFORE | SYNC_FILE_RANGE_WRITE |
			   SYNC_FILE_RANGE_WAIT_AFTER))
		r->res = -EINVAL;
	else if ((int64_t)r->sqe.off < 0)
		r->res = -EINVAL;
	else if (!seekable(r->file)) /* kernel fs/sync.c sync_file_range(): not REG/BLK/DIR/LNK -> -ESPIPE */
		r->res = -ESPIPE;
	else if ((flags & SYNC_FILE_RANGE_WRITE) && (flags & SYNC_FILE_RANGE_WAIT_AFTER))
		r->res = aring__sim_disk_sync_range(s, r->file->inode, r->sqe.off, r->sqe.len);
	else
		r->res = 0; /* starts or waits for writeback only: nothing more is durable */
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
		return prep_fail(r, -EINVAL); /* io_fallocate_prep() */
	if (off < 0 || len <= 0)
		r->res = -EINVAL;
	else if (!fmode_write(f))
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
	if (!(mode & FALLOC_FL_PUNCH_HOLE) && aring__sim_disk_nospace(s, r)) {
		r->res = -ENOSPC;
		return SIM_DONE;
	}
	if ((mode & (FALLOC_FL_PUNCH_HOLE | FALLOC_FL_ZERO_RANGE)) &&
	    aring__sim_disk_note_zero(s, i, (uint64_t)off, (uint64_t)len)) {
		r->res = -ENOMEM;
		return SIM_DONE;
	}
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
	if (r->sqe.buf_index || r->sqe.splice_fd_in)
		return prep_fail(r, -EINVAL); /* io_madvise_prep() */
	if (r->sqe.addr & (SIM_PAGE - 1))
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
		return prep_fail(r, -EINVAL); /* io_ftruncate_prep() */
	if (len < 0)
		r->res = -EINVAL;
	else if (f->type != SIM_F_REG || !fmode_write(f))
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
		   uint64_t resolve, unsigned file_index)
{
	struct lookup l;
	struct sim_inode *i;
	struct sim_file *f;
	int acc = (int)(flags & O_ACCMODE), ret, fd;
	bool follow;

	if ((flags & O_TMPFILE) == O_TMPFILE)
		return -EOPNOTSUPP; /* not modelled */
	/* access mode 3 opens, as neither reader nor writer (fs/open.c OPEN_FMODE()) */
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
		ret = may_create(&l);
		if (ret)
			return ret;
		i = inode_new(s, SIM_I_REG, (uint32_t)mode & ~UMASK);
		if (!i)
			return -ENOMEM;
		ret = dir_add(s, l.dir, l.name, i);
		if (ret) {
			inode_free(s, i);
			return ret;
		}
		if (aring__sim_disk_note_ns(s, l.dir, l.name, i, NULL, NULL, NULL, NULL, NULL))
			abort();
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
				(int)(flags & (O_ACCMODE | O_APPEND | O_NONBLOCK | O_PATH | O_SYNC |
					       O_DSYNC)));
	if (!f)
		return -ENOMEM;
	f->inode = i;
	i->opens++;
	/* kernel openclose.c io_openat2(): a direct descriptor goes to the fixed table */
	if (file_index)
		return aring__soft_fixed_install(s->ring, f, file_index);
	fd = aring__sim_fd_install(s, f);
	if (fd < 0)
		aring__sim_file_put(s, f);
	return fd;
}

/* kernel io_uring/openclose.c io_openat_prep()/io_openat2_prep()/io_openat2() */
enum sim_exec aring__sim_op_openat(struct sim *s, struct sim_req *r)
{
	uint64_t flags, mode, resolve = 0;

	if (r->sqe.buf_index) {
		r->res = -EINVAL;
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
		if (!sim_user_ptr_ok(how, sizeof(*how))) {
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
	/* kernel io_openat_prep_common(): a direct descriptor has no O_CLOEXEC */
	if (r->sqe.file_index && (flags & O_CLOEXEC)) {
		r->res = -EINVAL;
		return SIM_DONE;
	}
	r->res = do_open(s, r->sqe.fd, r->sqe.addr, flags, mode, resolve, r->sqe.file_index);
	return SIM_DONE;
}

/* kernel io_uring/openclose.c io_close_prep()/io_close() */
enum sim_exec aring__sim_op_close(struct sim *s, struct sim_req *r)
{
	if (r->sqe.off || r->sqe.addr || r->sqe.len || r->sqe.rw_flags || r->sqe.buf_index)
		r->res = -EINVAL;
	else if (r->sqe.file_index && r->sqe.fd)
		r->res = -EINVAL;
	else if (r->sqe.file_index) /* io_close_fixed(): the slot is emptied (backends/soft/rsrc.c) */
		r->res = aring__soft_fixed_remove(s->ring, r->sqe.file_index - 1);
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

	if (r->sqe.buf_index || r->sqe.splice_fd_in)
		return prep_fail(r, -EINVAL); /* io_statx_prep() */
	if ((ret = getname_err(r->sqe.addr, flags & AT_EMPTY_PATH)))
		return prep_fail(r, ret); /* io_statx_prep() -> getname_uflags() */
	if ((flags & ~(AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW | AT_NO_AUTOMOUNT | AT_STATX_SYNC_TYPE)) ||
	    (flags & AT_STATX_SYNC_TYPE) == AT_STATX_SYNC_TYPE || (r->sqe.len & STATX__RESERVED)) {
		r->res = -EINVAL;
		return SIM_DONE;
	}
	/* fs/stat.c do_statx(): vfs_statx() (the lookup) first, then
	 * cp_statx() copies out (-EFAULT) */
	if (!*path && (flags & AT_EMPTY_PATH)) {
		struct sim_file *f = r->sqe.fd == AT_FDCWD ? NULL : aring__sim_fd_get(s, r->sqe.fd);

		if (r->sqe.fd != AT_FDCWD && !f) {
			r->res = -EBADF;
			return SIM_DONE;
		}
		if (!sim_user_ptr_ok(st, sizeof(*st))) {
			r->res = -EFAULT;
			return SIM_DONE;
		}
		if (r->sqe.fd == AT_FDCWD) {
			fill_statx(st, s->root, 0, 0);
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
	if (!ret && !sim_user_ptr_ok(st, sizeof(*st)))
		ret = -EFAULT;
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
	struct sim_dirent *e;
	int ret;

	if (r->sqe.off || r->sqe.len || r->sqe.buf_index || r->sqe.splice_fd_in ||
	    (flags & ~AT_REMOVEDIR))
		return prep_fail(r, -EINVAL); /* io_unlinkat_prep() */
	if ((ret = getname_err(r->sqe.addr, false)))
		return prep_fail(r, ret);
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
	e = dir_find(s, l.dir, l.name);
	assert(e);
	if (aring__sim_disk_note_ns(s, l.dir, l.name, NULL, NULL, NULL, NULL, NULL, NULL))
		abort();
	dir_del(s, e);
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

	if (r->sqe.off || r->sqe.rw_flags || r->sqe.buf_index || r->sqe.splice_fd_in)
		return prep_fail(r, -EINVAL); /* io_mkdirat_prep() */
	if ((ret = getname_err(r->sqe.addr, false)))
		return prep_fail(r, ret);
	ret = lookup(s, r->sqe.fd, r->sqe.addr, false, &l);
	if (!ret && (l.dot || l.ino))
		ret = -EEXIST;
	if (!ret)
		ret = may_create(&l);
	if (!ret) {
		i = inode_new(s, SIM_I_DIR, r->sqe.len & ~UMASK);
		if (!i)
			ret = -ENOMEM;
		else if ((ret = dir_add(s, l.dir, l.name, i)))
			inode_free(s, i);
		else
			i->nlink++; /* its "." */
		if (!ret && aring__sim_disk_note_ns(s, l.dir, l.name, i, NULL, NULL, NULL, NULL, NULL))
			abort();
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

	if (r->sqe.len || r->sqe.rw_flags || r->sqe.buf_index || r->sqe.splice_fd_in)
		return prep_fail(r, -EINVAL); /* io_symlinkat_prep() */
	if ((ret = getname_err(r->sqe.addr, false)) || (ret = getname_err(r->sqe.addr2, false)))
		return prep_fail(r, ret);
	ret = lookup(s, r->sqe.fd, r->sqe.addr2, false, &l);
	if (!ret && (l.dot || l.ino))
		ret = -EEXIST;
	if (!ret && l.slash)
		ret = -ENOENT;
	if (!ret)
		ret = may_create(&l);
	if (!ret) {
		i = inode_new(s, SIM_I_LNK, 0777);
		if (!i || !(i->target = strdup(target))) {
			if (i)
				inode_free(s, i);
			ret = -ENOMEM;
		} else if ((ret = dir_add(s, l.dir, l.name, i))) {
			inode_free(s, i);
		} else if (aring__sim_disk_note_ns(s, l.dir, l.name, i, NULL, NULL, NULL, NULL, NULL)) {
			abort();
		}
	}
	r->res = ret;
	return SIM_DONE;
}

/* kernel io_uring/fs.c io_linkat(); fs/namei.c do_linkat() */
enum sim_exec aring__sim_op_linkat(struct sim *s, struct sim_req *r)
{
	unsigned flags = r->sqe.hardlink_flags;
	const char *oldp = (const char *)(uintptr_t)r->sqe.addr;
	bool empty = sim_user_ptr_ok(oldp, 1) && !*oldp;
	struct lookup o, n;
	int ret;

	if (r->sqe.buf_index || r->sqe.splice_fd_in)
		return prep_fail(r, -EINVAL); /* io_linkat_prep() */
	/* io_linkat_prep() -> getname_uflags(): "" without AT_EMPTY_PATH. */
	if ((ret = getname_err(r->sqe.addr, flags & AT_EMPTY_PATH)) ||
	    (ret = getname_err(r->sqe.addr2, false)))
		return prep_fail(r, ret);
	if (flags & ~(AT_SYMLINK_FOLLOW | AT_EMPTY_PATH)) { /* do_linkat() */
		r->res = -EINVAL;
		return SIM_DONE;
	}
	if (empty) {
		/* do_linkat() with LOOKUP_EMPTY: the file open at sqe->fd. */
		struct sim_file *f = r->sqe.fd == AT_FDCWD ? NULL : aring__sim_fd_get(s, r->sqe.fd);

		memset(&o, 0, sizeof(o));
		if (r->sqe.fd == AT_FDCWD || (f && f->type == SIM_F_DIR))
			ret = -EPERM; /* vfs_link(): a directory */
		else if (!f)
			ret = -EBADF;
		else if (f->type != SIM_F_REG)
			ret = -EXDEV; /* a pipe's or socket's inode is on another mount */
		else if (!f->inode->nlink)
			ret = -ENOENT; /* vfs_link(): an unlinked file */
		else
			ret = 0, o.ino = f->inode;
	} else {
		ret = lookup(s, r->sqe.fd, r->sqe.addr, flags & AT_SYMLINK_FOLLOW, &o);
	}
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
	if (!ret)
		ret = may_create(&n);
	if (!ret)
		ret = dir_add(s, n.dir, n.name, o.ino);
	if (!ret && aring__sim_disk_note_ns(s, n.dir, n.name, o.ino, NULL, NULL, NULL, NULL, NULL))
		abort();
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
	struct sim_dirent *eo, *en;
	int ret;

	if (r->sqe.buf_index || r->sqe.splice_fd_in)
		return prep_fail(r, -EINVAL); /* io_renameat_prep() */
	if ((ret = getname_err(r->sqe.addr, false)) || (ret = getname_err(r->sqe.addr2, false)))
		return prep_fail(r, ret);
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
	if (!n.ino && dead_dir(n.dir)) {
		ret = -ENOENT; /* kernel may_create(): IS_DEADDIR */
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
		/* one change: both names swap at once, or neither */
		if (aring__sim_disk_note_ns(s, o.dir, o.name, n.ino, src, n.dir, n.name, src, n.ino))
			abort();
		eo = dir_find(s, o.dir, o.name);
		en = dir_find(s, n.dir, n.name);
		eo->inode = n.ino;
		en->inode = src;
		if (src->type == SIM_I_DIR)
			set_parent(src, n.dir);
		if (n.ino->type == SIM_I_DIR)
			set_parent(n.ino, o.dir);
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
	/* one change: the old name goes and the new one comes at once, or neither */
	if (aring__sim_disk_note_ns(s, o.dir, o.name, NULL, src, n.dir, n.name, src, NULL))
		abort();
	/* Add the new name first (src keeps a link throughout), then drop the old. */
	eo = dir_find(s, o.dir, o.name);
	assert(eo);
	if (n.ino) {
		en = dir_find(s, n.dir, n.name);
		dir_del(s, en);
	}
	ret = dir_add(s, n.dir, n.name, src); /* a directory's ".." moves to n.dir */
	if (ret)
		goto out;
	dirent_drop(s, eo);
	src->nlink--;
	if (src->type == SIM_I_DIR)
		o.dir->nlink--;
	o.dir->mtime_ns = o.dir->ctime_ns = s->now_ns;
	src->ctime_ns = s->now_ns;
out:
	r->res = ret;
	return SIM_DONE;
}

/* The ops this file models: its part of the sim's op table (sim/ops.c). */
const struct sim_opdef aring__sim_fs_ops[ARING_OP_LAST] = {
	[IORING_OP_READV]           = { .prep = aring__sim_prep_rw, .exec = aring__sim_op_rw },
	[IORING_OP_WRITEV]          = { .prep = aring__sim_prep_rw, .exec = aring__sim_op_rw },
	[IORING_OP_FSYNC]           = { .exec = aring__sim_op_fsync },
	[IORING_OP_SYNC_FILE_RANGE] = { .exec = aring__sim_op_sync_file_range },
	[IORING_OP_FALLOCATE]       = { .exec = aring__sim_op_fallocate },
	[IORING_OP_OPENAT]          = { .exec = aring__sim_op_openat },
	[IORING_OP_CLOSE]           = { .exec = aring__sim_op_close },
	[IORING_OP_STATX]           = { .exec = aring__sim_op_statx },
	[IORING_OP_READ]            = { .prep = aring__sim_prep_rw, .exec = aring__sim_op_rw },
	[ARING_OP_READ_MULTISHOT]   = { .prep = prep_read_mshot, .exec = op_read_mshot },
	[IORING_OP_WRITE]           = { .prep = aring__sim_prep_rw, .exec = aring__sim_op_rw },
	[IORING_OP_READ_FIXED]      = { .prep = aring__sim_prep_rw, .exec = aring__sim_op_rw },
	[IORING_OP_WRITE_FIXED]     = { .prep = aring__sim_prep_rw, .exec = aring__sim_op_rw },
	[ARING_OP_READV_FIXED]      = { .prep = aring__sim_prep_rw, .exec = aring__sim_op_rw },
	[ARING_OP_WRITEV_FIXED]     = { .prep = aring__sim_prep_rw, .exec = aring__sim_op_rw },
	[IORING_OP_FADVISE]         = { .exec = aring__sim_op_fadvise },
	[IORING_OP_MADVISE]         = { .exec = aring__sim_op_madvise },
	[IORING_OP_OPENAT2]         = { .exec = aring__sim_op_openat },
	[IORING_OP_RENAMEAT]        = { .exec = aring__sim_op_renameat },
	[IORING_OP_UNLINKAT]        = { .exec = aring__sim_op_unlinkat },
	[IORING_OP_MKDIRAT]         = { .exec = aring__sim_op_mkdirat },
	[IORING_OP_SYMLINKAT]       = { .exec = aring__sim_op_symlinkat },
	[IORING_OP_LINKAT]          = { .exec = aring__sim_op_linkat },
	[ARING_OP_FTRUNCATE]        = { .exec = aring__sim_op_ftruncate },
};

/*
 * aring_sim_readdir (include/aring/sim.h): the names of a directory, in the
 * order they were made, without "." and "..". Read permission is needed, as
 * for getdents64 on a directory opened O_RDONLY (kernel fs/namei.c
 * may_open()).
 */
int aring__sim_readdir(struct sim *s, int dfd, const char *path, aring_sim_dirent_fn fn, void *arg)
{
	struct lookup l;
	struct sim_list *p;
	int ret = lookup(s, dfd, (uint64_t)(uintptr_t)path, true, &l), n = 0;

	if (ret)
		return ret;
	if (!l.ino)
		return -ENOENT;
	if (l.ino->type != SIM_I_DIR)
		return -ENOTDIR;
	if (!may(l.ino, MAY_R))
		return -EACCES;
	for (p = l.ino->ents.next; p != &l.ino->ents; p = p->next) {
		struct sim_dirent *de = sim_container_of(p, struct sim_dirent, in_dir);
		unsigned char type = de->inode->type == SIM_I_DIR ? DT_DIR
				     : de->inode->type == SIM_I_LNK ? DT_LNK : DT_REG;

		ret = fn(arg, de->name, type);
		if (ret)
			return ret;
		n++;
	}
	return n;
}
