/* SPDX-License-Identifier: MIT */
/*
 * The epoll executor of the soft ring (backends/soft/soft.h): io_uring's
 * requests as real system calls, for machines where io_uring is blocked.
 *
 * The kernel's order is kept (io_uring/io_uring.c io_issue_sqe() then
 * io_arm_poll_handler() or io_queue_iowq()):
 *   - sockets and pipes: the call is tried at once without blocking
 *     (MSG_DONTWAIT, RWF_NOWAIT: the kernel's IO_URING_F_NONBLOCK issue);
 *     on EAGAIN the request waits on its file, and epoll readiness tries it
 *     again (the kernel's poll retry). The process's fds are never switched
 *     to O_NONBLOCK, except for the length of one accept()/connect() call
 *     on a blocking socket (no per-call flag exists for those).
 *   - regular files and file system calls: a blocking call on the worker
 *     pool (backends/epoll_pool.c), as io-wq runs them; a queued request can
 *     be stopped, a running one answers -EALREADY. A read is first tried
 *     with RWF_NOWAIT on the loop thread (a page-cache hit completes inline,
 *     as the kernel's does).
 *   - socket, bind, listen, shutdown, close, pipe, poll_remove: at once.
 * Completions are posted from the loop thread only. The clock is
 * CLOCK_MONOTONIC, and wait() sleeps in epoll_wait() until a file is ready,
 * a worker finished (an eventfd) or the soft ring's next timer is due.
 *
 * One epoll registration per file (edge-triggered, for both directions),
 * with a FIFO of waiting requests per direction and one of polls. A file
 * known drained (EAGAIN, or a short transfer on a stream) is not tried again
 * before epoll reports it ready.
 *
 * Files are the executor's by fd number. A request holds its file (as the
 * kernel's holds a struct file reference): closing the fd through the ring
 * while requests wait keeps the open file alive (a dup) until they finish,
 * so a recv on a socket closed that way keeps waiting, as on the kernel.
 * An fd closed behind the ring's back (close(2)) is noticed when an op on it
 * fails with -EBADF or when the ring hands out the same number again.
 */
#include "config.h"
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include "aring.h"
#include "backends/epoll.h"
#include "core/internal.h"

#define EP_POOL_THREADS 4u      /* workers at most (libuv's default is 4) */
#define EP_EVENTS 128           /* epoll events per wait */
#define EP_POLL_GAP_NS 20000ull /* a poll without waiting at most this often */
#define EP_POOL_KEY UINT64_MAX  /* epoll data of the pool's eventfd */
/* sqe->ioprio of accept (Linux 6.10), absent from liburing 2.3 */
#define EP_ACCEPT_DONTWAIT (1U << 1)
#define EP_ACCEPT_POLL_FIRST (1U << 2)

enum { EP_RD = 0, EP_WR = 1, EP_POLL = 2, EP_NLISTS = 3 };

enum ep_kind {
	EPK_OTHER = 0, /* pipe, socket, tty...: try without blocking, then epoll */
	EPK_REG,       /* regular file, directory, block device: the pool */
	EPK_BLOCK,     /* no RWF_NOWAIT (a tty): reads and writes block in the pool */
	EPK_NOPOLL,    /* epoll refuses it: reads and writes in the pool, polls as a regular file */
};

struct ep_file {
	int fd;                 /* the fd the calls use (a dup once closed through the ring) */
	uint32_t gen;           /* epoll data: (gen << 32) | fd */
	unsigned refs;          /* requests holding it, + 1 while in the table */
	uint8_t kind;           /* enum ep_kind */
	bool registered;        /* with epoll */
	bool stream;            /* stream socket or pipe: a short transfer drained it */
	bool ready[2];          /* may be ready to read / write (no EAGAIN since the last event) */
	bool orphan;            /* closed through the ring; fd is a dup its requests keep */
	bool hup;               /* epoll reported RDHUP, HUP or ERR: an end or an error waits */
	bool sock;              /* a socket */
	bool zc;                /* a TCP or UDP socket: zero-copy sends work (SOCK_SUPPORT_ZC) */
	struct ep_req *head[EP_NLISTS], *tail[EP_NLISTS];
};

struct ep {
	struct aring__soft *ring;
	int epfd;
	struct ep_file **files;  /* by fd */
	unsigned nfiles;
	uint32_t gen;
	uint64_t nwait;          /* requests waiting on files */
	uint64_t npool;          /* requests given to the pool, not yet completed */
	uint64_t last_poll_ns;   /* when the last epoll_wait() returned */
	struct ep_pool pool;
	bool pool_ok;
};

static struct ep_req *req_of(struct aring__soft_req *sr)
{
	return (struct ep_req *)sr;
}

/*
 * The plain op a registered-buffer op runs as (its buffer checked first,
 * ep_start(): the memory is the user's, used in place).
 */
static unsigned ep_op(unsigned opcode)
{
	switch (opcode) {
	case IORING_OP_READ_FIXED:
		return IORING_OP_READ;
	case IORING_OP_WRITE_FIXED:
		return IORING_OP_WRITE;
	case ARING_OP_READV_FIXED:
		return IORING_OP_READV;
	case ARING_OP_WRITEV_FIXED:
		return IORING_OP_WRITEV;
	default:
		return opcode;
	}
}

static bool ep_fixed_buf(unsigned opcode)
{
	return ep_op(opcode) != opcode;
}

/* ---------------------------------------------------------------- files */

static void file_put(struct ep *e, struct ep_file *f)
{
	if (!f)
		return;
	assert(f->refs > 0);
	if (--f->refs)
		return;
	if (f->orphan) {
		/* the dup that kept the file open for its requests */
		if ((unsigned)f->fd < e->nfiles && e->files[f->fd] == f)
			e->files[f->fd] = NULL;
		if (f->registered)
			epoll_ctl(e->epfd, EPOLL_CTL_DEL, f->fd, NULL);
		close(f->fd);
	}
	free(f);
}

static int table_grow(struct ep *e, int fd)
{
	unsigned n = e->nfiles ? e->nfiles : 64;
	struct ep_file **t;

	while (n <= (unsigned)fd)
		n *= 2;
	t = realloc(e->files, n * sizeof(*t));
	if (!t)
		return -ENOMEM;
	memset(t + e->nfiles, 0, (n - e->nfiles) * sizeof(*t));
	e->files = t;
	e->nfiles = n;
	return 0;
}

static int file_register(struct ep *e, struct ep_file *f);

/*
 * fd's entry leaves the table: closed through the ring (keep_open), or
 * found stale. Requests that still hold it keep the open file, as the
 * kernel's hold a struct file reference: with keep_open the file is dup'ed
 * (the caller closes fd) and waits on under the dup, out of the user's
 * sight; a stale entry's file is gone already (its calls fail -EBADF).
 */
static void file_detach(struct ep *e, int fd, bool keep_open)
{
	struct ep_file *f = (unsigned)fd < e->nfiles ? e->files[fd] : NULL;
	bool was_registered;
	int d;

	if (!f || f->orphan)
		return;
	e->files[fd] = NULL;
	was_registered = f->registered;
	if (f->registered && keep_open)
		epoll_ctl(e->epfd, EPOLL_CTL_DEL, fd, NULL);
	f->registered = false;
	if (--f->refs == 0) {
		free(f);
		return;
	}
	d = keep_open ? fcntl(fd, F_DUPFD_CLOEXEC, 0) : -1;
	if (d < 0 || ((unsigned)d >= e->nfiles && table_grow(e, d) < 0)) {
		if (d >= 0)
			close(d);
		__atomic_store_n(&f->fd, -1, __ATOMIC_RELEASE);
		return;
	}
	/* The requests hold a reference each; the orphan is freed with the last. */
	__atomic_store_n(&f->fd, d, __ATOMIC_RELEASE);
	f->orphan = true;
	f->gen = ++e->gen;
	f->ready[EP_RD] = f->ready[EP_WR] = true;
	e->files[d] = f;
	if (was_registered)
		file_register(e, f);
}

/* The file fd names, made on first use; NULL if fd names none (-EBADF). */
static struct ep_file *file_get(struct ep *e, int fd)
{
	struct ep_file *f;
	struct stat st;

	if (fd < 0)
		return NULL;
	if ((unsigned)fd < e->nfiles && (f = e->files[fd]) && !f->orphan)
		return f;
	if (fstat(fd, &st) < 0)
		return NULL;
	if ((unsigned)fd >= e->nfiles && table_grow(e, fd) < 0)
		return NULL;
	f = calloc(1, sizeof(*f));
	if (!f)
		return NULL;
	f->fd = fd;
	f->refs = 1; /* the table's */
	f->gen = ++e->gen;
	f->ready[EP_RD] = f->ready[EP_WR] = true;
	if (S_ISREG(st.st_mode) || S_ISDIR(st.st_mode) || S_ISBLK(st.st_mode)) {
		f->kind = EPK_REG;
	} else if (S_ISFIFO(st.st_mode)) {
		f->stream = true;
	} else if (S_ISSOCK(st.st_mode)) {
		int type = 0, domain = 0;
		socklen_t len = sizeof(type);

		f->sock = true;
		if (getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &len) == 0 && type == SOCK_STREAM)
			f->stream = true;
		len = sizeof(domain);
		if (getsockopt(fd, SOL_SOCKET, SO_DOMAIN, &domain, &len) == 0)
			f->zc = (domain == AF_INET || domain == AF_INET6) &&
				(type == SOCK_STREAM || type == SOCK_DGRAM);
	}
	e->files[fd] = f;
	return f;
}

/* The ring handed out fd (socket, accept, open, pipe): an entry under it is stale. */
static void fd_new(struct ep *e, int fd)
{
	if (fd >= 0 && (unsigned)fd < e->nfiles && e->files[fd])
		file_detach(e, fd, false);
}

/*
 * Registered files (backends/soft/rsrc.c): the fixed file table holds fds
 * of the executor's own, hidden from the program (a dup of a registered fd,
 * or the fd a direct descriptor's op made), as the kernel's holds struct
 * file references. A table reference is the fd + 1.
 */
#define SPLICE_F_FD_IN_FIXED_ (1u << 31) /* include/uapi/linux/io_uring.h */

static void *ref_of_fd(int fd)
{
	return (void *)(uintptr_t)((unsigned)fd + 1u);
}

static int fd_of_ref(void *file)
{
	return (int)((uintptr_t)file - 1u);
}

/*
 * The fd an op with sqe->file_index made goes to the fixed table (kernel
 * io_fixed_fd_install(): closed on failure); the op's result is then 0 or
 * the slot allocated.
 */
static int32_t direct_fd(struct ep *e, int32_t fd, unsigned file_index)
{
	if (fd < 0 || !file_index)
		return fd;
	fd_new(e, fd);
	return aring__soft_fixed_install(e->ring, ref_of_fd(fd), file_index);
}

/* An op on f failed with -EBADF: if its fd was closed behind the ring's back, forget it. */
static void fd_gone(struct ep *e, struct ep_file *f)
{
	int fd = f->fd;

	if (fd >= 0 && !f->orphan && (unsigned)fd < e->nfiles && e->files[fd] == f &&
	    fcntl(fd, F_GETFD) < 0 && errno == EBADF)
		file_detach(e, fd, false);
}

static int file_register(struct ep *e, struct ep_file *f)
{
	struct epoll_event ev = { 0 };

	ev.events = EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLPRI | EPOLLET;
	ev.data.u64 = ((uint64_t)f->gen << 32) | (uint32_t)f->fd;
	if (f->registered) {
		/*
		 * No request waits on it: the fd may have been closed behind the
		 * ring's back (close(2)) and its number reused by a file the ring
		 * never handed out (signalfd(), eventfd(): core/signal.c does
		 * that), and the close dropped the registration. Check it (the
		 * kernel looks the fd up at each issue, io_assign_file()).
		 */
		if (f->head[EP_RD] || f->head[EP_WR] || f->head[EP_POLL] || f->orphan ||
		    epoll_ctl(e->epfd, EPOLL_CTL_MOD, f->fd, &ev) == 0 || errno != ENOENT)
			return 0;
		f->registered = false;
	}
	if (epoll_ctl(e->epfd, EPOLL_CTL_ADD, f->fd, &ev) < 0) {
		if (errno == EEXIST) {
			/* A registration left by a stale entry of the same file: take it over. */
			if (epoll_ctl(e->epfd, EPOLL_CTL_MOD, f->fd, &ev) < 0)
				return -errno;
		} else {
			return -errno;
		}
	}
	f->registered = true;
	return 0;
}

static void wait_add(struct ep *e, struct ep_file *f, struct ep_req *r, unsigned dir)
{
	r->where = EPW_FD;
	r->dir = (uint8_t)dir;
	r->next = NULL;
	r->prev = f->tail[dir];
	if (f->tail[dir])
		f->tail[dir]->next = r;
	else
		f->head[dir] = r;
	f->tail[dir] = r;
	e->nwait++;
}

static void wait_del(struct ep *e, struct ep_req *r)
{
	struct ep_file *f = r->f;
	unsigned dir = r->dir;

	assert(r->where == EPW_FD);
	if (r->prev)
		r->prev->next = r->next;
	else
		f->head[dir] = r->next;
	if (r->next)
		r->next->prev = r->prev;
	else
		f->tail[dir] = r->prev;
	r->next = r->prev = NULL;
	r->where = EPW_NONE;
	e->nwait--;
}

/* ---------------------------------------------------------------- completion */

static void finish_flags(struct ep *e, struct ep_req *r, int32_t res, bool fail, uint32_t cflags)
{
	if (r->where == EPW_FD)
		wait_del(e, r);
	r->where = EPW_NONE;
	if (res == -EBADF && r->f)
		fd_gone(e, r->f);
	file_put(e, r->f);
	r->f = NULL;
	r->sr.file = NULL;
	if (fail)
		aring__soft_req_set_fail(&r->sr);
	if (r->sr.opcode == IORING_OP_SEND_ZC || r->sr.opcode == IORING_OP_SENDMSG_ZC) {
		/*
		 * kernel io_uring/net.c io_send_zc(), io_sendrecv_fail(): the
		 * result with IORING_CQE_F_MORE, then the buffer's notification
		 * (the data was copied: the buffer is free at once).
		 */
		aring__soft_complete(e->ring, &r->sr, res, cflags | IORING_CQE_F_MORE);
		res = (r->sr.sqe.ioprio & ARING_SEND_ZC_REPORT_USAGE)
			      ? (int32_t)ARING_NOTIF_USAGE_ZC_COPIED : 0; /* io_notif_tw_complete() */
		cflags = IORING_CQE_F_NOTIF;
	}
	aring__soft_complete(e->ring, &r->sr, res, cflags);
}

static void finish(struct ep *e, struct ep_req *r, int32_t res, bool fail)
{
	finish_flags(e, r, res, fail, 0);
}

static bool drained(const struct ep_file *f);

/*
 * kernel io_uring/net.c io_recv_finish(): IORING_CQE_F_SOCK_NONEMPTY when
 * the stream socket still holds data (msg_inq). A recv that got less than
 * it asked for emptied it; after one that filled its buffer, the bytes
 * queued tell (and, none left, the next recv waits without a try).
 */
static uint32_t sock_nonempty(struct ep_file *f, bool full)
{
	int inq = 0;

	/*
	 * One more system call after a recv that filled its buffer. (TCP_INQ
	 * would bring the count with the data, but it is visible to the
	 * program: its own recvmsg() calls would get a TCP_CM_INQ message or
	 * MSG_CTRUNC.)
	 */
	if (!f->stream || !full || ioctl(f->fd, FIONREAD, &inq) < 0)
		return 0;
	if (inq == 0 && drained(f))
		f->ready[EP_RD] = false;
	return inq > 0 ? IORING_CQE_F_SOCK_NONEMPTY : 0;
}

/* A multishot CQE: posted, and r goes on. */
static void post_more(struct ep *e, struct ep_req *r, int32_t res)
{
	aring__soft_complete(e->ring, &r->sr, res, IORING_CQE_F_MORE);
}

static int neg_errno(void)
{
	return errno == ERESTART ? -EINTR : -errno;
}

/* ---------------------------------------------------------------- blocking calls (pool) */

static const struct iovec *req_iov(struct ep_req *r, struct iovec *one, int *cnt)
{
	const struct io_uring_sqe *q = &r->sr.sqe;

	if (ep_op(r->sr.opcode) == IORING_OP_READV || ep_op(r->sr.opcode) == IORING_OP_WRITEV) {
		*cnt = (int)q->len;
		return (const struct iovec *)(uintptr_t)q->addr;
	}
	one->iov_base = (void *)(uintptr_t)q->addr;
	one->iov_len = q->len;
	*cnt = 1;
	return one;
}

/*
 * Bytes the iovec asks for. Only after a call that took it succeeded: the
 * kernel read the array then (a bad one is -EFAULT from the call, never a
 * fault here).
 */
static int64_t iov_total(const struct iovec *iov, int cnt)
{
	int64_t n = 0;
	int i;

	for (i = 0; i < cnt; i++)
		n += (int64_t)iov[i].iov_len;
	return n;
}

static int file_fd(struct ep_req *r)
{
	return r->f ? __atomic_load_n(&r->f->fd, __ATOMIC_ACQUIRE) : -1;
}

#define PTR(x) ((void *)(uintptr_t)(x))

/* A worker runs this: the blocking call of r (kernel io-wq). */
static int32_t run_blocking(struct ep_req *r)
{
	const struct io_uring_sqe *q = &r->sr.sqe;
	struct iovec one;
	const struct iovec *iov;
	int fd = file_fd(r), cnt;
	long ret;

	switch (ep_op(r->sr.opcode)) {
	case IORING_OP_READ:
	case IORING_OP_READV:
		iov = req_iov(r, &one, &cnt);
		ret = preadv2(fd, iov, cnt, r->f->kind == EPK_REG ? (off_t)q->off : -1, q->rw_flags);
		break;
	case IORING_OP_WRITE:
	case IORING_OP_WRITEV:
		iov = req_iov(r, &one, &cnt);
		ret = pwritev2(fd, iov, cnt, r->f->kind == EPK_REG ? (off_t)q->off : -1, q->rw_flags);
		break;
	case IORING_OP_FSYNC:
		ret = (q->fsync_flags & IORING_FSYNC_DATASYNC) ? fdatasync(fd) : fsync(fd);
		break;
	case IORING_OP_SYNC_FILE_RANGE:
		ret = sync_file_range(fd, (off_t)q->off, q->len, q->sync_range_flags);
		break;
	case IORING_OP_FALLOCATE:
		ret = fallocate(fd, (int)q->len, (off_t)q->off, (off_t)q->addr);
		break;
	case IORING_OP_OPENAT:
		/* kernel io_openat_prep(): build_open_how() forces O_LARGEFILE */
		ret = openat(q->fd, PTR(q->addr), (int)q->open_flags | O_LARGEFILE, (mode_t)q->len);
		break;
	case IORING_OP_OPENAT2:
		ret = syscall(SYS_openat2, q->fd, PTR(q->addr), PTR(q->off), (size_t)q->len);
		break;
	case IORING_OP_STATX:
		ret = statx(q->fd, PTR(q->addr), (int)q->statx_flags, q->len, PTR(q->off));
		break;
	case IORING_OP_RENAMEAT:
		ret = renameat2(q->fd, PTR(q->addr), (int)q->len, PTR(q->off), q->rename_flags);
		break;
	case IORING_OP_UNLINKAT:
		ret = unlinkat(q->fd, PTR(q->addr), (int)q->unlink_flags);
		break;
	case IORING_OP_MKDIRAT:
		ret = mkdirat(q->fd, PTR(q->addr), (mode_t)q->len);
		break;
	case IORING_OP_SYMLINKAT:
		ret = symlinkat(PTR(q->addr), q->fd, PTR(q->off));
		break;
	case IORING_OP_LINKAT:
		ret = linkat(q->fd, PTR(q->addr), (int)q->len, PTR(q->off), (int)q->hardlink_flags);
		break;
	case ARING_OP_FTRUNCATE:
		ret = ftruncate(fd, (off_t)q->off);
		break;
	case IORING_OP_FADVISE: {
		/* kernel io_uring/advise.c io_fadvise_prep(): len in addr, else in len */
		off_t len = q->addr ? (off_t)q->addr : (off_t)q->len;
		int err = posix_fadvise(fd, (off_t)q->off, len, (int)q->fadvise_advice);

		return -err;
	}
	case IORING_OP_MADVISE:
		/* kernel io_uring/advise.c io_madvise_prep(): len in off, else in len */
		ret = madvise(PTR(q->addr), q->off ? (size_t)q->off : q->len,
			      (int)q->fadvise_advice);
		break;
	case IORING_OP_SPLICE: {
		loff_t in = (loff_t)q->splice_off_in, out = (loff_t)q->off;

		/* SPLICE_F_FD_IN_FIXED was resolved to the slot's fd by ep_start() */
		ret = splice(q->splice_fd_in, q->splice_off_in == UINT64_MAX ? NULL : &in, fd,
			     q->off == UINT64_MAX ? NULL : &out, q->len, q->splice_flags);
		break;
	}
	case IORING_OP_TEE:
		ret = tee(q->splice_fd_in, fd, q->len, q->splice_flags);
		break;
	default:
		return -EOPNOTSUPP;
	}
	return ret < 0 ? neg_errno() : (int32_t)ret;
}

static void to_pool(struct ep *e, struct ep_req *r)
{
	int ret = -ENOMEM;

	if (e->pool_ok)
		ret = aring__ep_pool_queue(&e->pool, r);
	if (ret < 0) {
		finish(e, r, ret, false);
		return;
	}
	e->npool++;
}

/* Results from the workers, completed on the loop thread. */
static bool pool_reap(struct ep *e)
{
	struct ep_req *r = aring__ep_pool_reap(&e->pool), *n;
	bool any = r != NULL;

	for (; r; r = n) {
		const struct io_uring_sqe *q = &r->sr.sqe;
		bool fail = false;
		int64_t want;
		struct iovec one;
		const struct iovec *iov;
		int cnt;

		n = r->next;
		r->next = r->prev = NULL;
		r->where = EPW_NONE;
		e->npool--;
		switch (ep_op(r->sr.opcode)) {
		case IORING_OP_READ:
		case IORING_OP_READV:
		case IORING_OP_WRITE:
		case IORING_OP_WRITEV:
			/* kernel rw.c __io_complete_rw_common(): a short transfer fails the link */
			iov = req_iov(r, &one, &cnt);
			want = r->res >= 0 ? iov_total(iov, cnt) : 0;
			fail = r->res < want;
			break;
		case IORING_OP_OPENAT:
		case IORING_OP_OPENAT2:
			fd_new(e, r->res);
			r->res = direct_fd(e, r->res, q->file_index);
			break;
		case IORING_OP_SPLICE:
		case IORING_OP_TEE:
			fail = r->res >= 0 && (unsigned)r->res != q->len;
			break;
		default:
			break;
		}
		finish(e, r, r->res, fail);
	}
	return any;
}

/* ---------------------------------------------------------------- tries (loop thread) */

enum try_res { T_DONE, T_WAIT, T_POOL };

/*
 * A short transfer on a stream emptied its buffer (or filled it): new data
 * (or room) brings a new edge. Not so once an end or an error was reported:
 * a FIN queued behind the data would never be reported again.
 */
static bool drained(const struct ep_file *f)
{
	return f->stream && !f->hup;
}

/* O_NONBLOCK for one accept()/connect() call on a blocking socket. */
static int nb_on(int fd)
{
	int fl = fcntl(fd, F_GETFL);

	if (fl >= 0 && !(fl & O_NONBLOCK))
		fcntl(fd, F_SETFL, fl | O_NONBLOCK);
	return fl;
}

static void nb_off(int fd, int fl)
{
	if (fl >= 0 && !(fl & O_NONBLOCK))
		fcntl(fd, F_SETFL, fl);
}

#define RWF_BASIC (RWF_HIPRI | RWF_DSYNC | RWF_SYNC | RWF_NOWAIT | RWF_APPEND)

/* read/write/readv/writev on a file that can wait (pipe, socket, ...). */
static enum try_res try_rw(struct ep *e, struct ep_req *r, bool wr)
{
	const struct io_uring_sqe *q = &r->sr.sqe;
	struct ep_file *f = r->f;
	struct iovec one;
	int cnt;
	const struct iovec *iov = req_iov(r, &one, &cnt);
	int64_t want;
	ssize_t n;

	n = wr ? pwritev2(f->fd, iov, cnt, -1, q->rw_flags | RWF_NOWAIT)
	       : preadv2(f->fd, iov, cnt, -1, q->rw_flags | RWF_NOWAIT);
	if (n < 0) {
		int err = errno;

		if (err == EAGAIN && !(q->rw_flags & RWF_NOWAIT)) {
			f->ready[wr] = false;
			return T_WAIT;
		}
		if (err == EOPNOTSUPP && !((unsigned)q->rw_flags & ~(unsigned)RWF_BASIC)) {
			/* no RWF_NOWAIT on this file (a tty): it blocks in the pool */
			f->kind = EPK_BLOCK;
			return T_POOL;
		}
		finish(e, r, err == ERESTART ? -EINTR : -err, false);
		return T_DONE;
	}
	want = iov_total(iov, cnt);
	if (n < want && drained(f))
		f->ready[wr] = false;
	finish(e, r, (int32_t)n, n < want);
	return T_DONE;
}

/* send/recv (kernel io_uring/net.c io_send(), io_recv()) */
/*
 * A recv from the error queue answers -EAGAIN when it is empty, without
 * waiting (checked on Linux 6.18: net.c io_recvmsg_prep() sets
 * REQ_F_CLEAR_POLLIN, and no POLLIN wait is armed; tests/test_sim_kernel).
 * A send ignores MSG_ERRQUEUE.
 */
static bool errqueue(bool send, unsigned flags)
{
	return !send && (flags & MSG_ERRQUEUE);
}

static enum try_res try_sendrecv(struct ep *e, struct ep_req *r, bool send)
{
	const struct io_uring_sqe *q = &r->sr.sqe;
	struct ep_file *f = r->f;
	unsigned flags = q->msg_flags;
	char *buf = PTR(q->addr);
	size_t len = q->len;
	ssize_t n;

	for (;;) {
		size_t left = len - r->done_bytes;

		/* kernel io_sendmsg_prep()/io_send(): MSG_NOSIGNAL always */
		n = send ? sendto(f->fd, buf + r->done_bytes, left, flags | MSG_DONTWAIT | MSG_NOSIGNAL,
				  q->off ? PTR(q->off) : NULL, q->off ? q->addr_len : 0)
			 : recv(f->fd, buf + r->done_bytes, left, flags | MSG_DONTWAIT);
		if (n < 0) {
			int err = errno;

			if (err == EAGAIN && !(flags & MSG_DONTWAIT) && !errqueue(send, flags)) {
				f->ready[send] = false;
				return T_WAIT;
			}
			/* kernel: bytes already moved are the result */
			if (r->done_bytes) {
				finish(e, r, (int32_t)r->done_bytes, true);
				return T_DONE;
			}
			finish(e, r, err == ERESTART ? -EINTR : -err, false);
			return T_DONE;
		}
		if ((size_t)n < left && drained(f))
			f->ready[send] = false;
		/* kernel io_net_retry(): MSG_WAITALL on a stream goes on for the rest */
		if ((flags & MSG_WAITALL) && f->stream && n > 0 && (size_t)n < left) {
			r->done_bytes += (uint64_t)n;
			if (!f->ready[send])
				return T_WAIT;
			continue;
		}
		n += (ssize_t)r->done_bytes;
		finish_flags(e, r, (int32_t)n, (flags & MSG_WAITALL) && (size_t)n < len,
			     send || !n ? 0 : sock_nonempty(f, (size_t)n == len));
		return T_DONE;
	}
}

/*
 * A recv into a provided buffer (IOSQE_BUFFER_SELECT, backends/soft/kbuf.c),
 * as the kernel's io_uring/net.c io_recv() does it: a buffer is picked
 * before the call (-ENOBUFS when the group has none), given back when the
 * call would wait or got nothing (EOF, an error), kept otherwise
 * (IORING_CQE_F_BUFFER and its bid). Multishot (IORING_RECV_MULTISHOT):
 * each receive is posted with IORING_CQE_F_MORE; it goes on at once while
 * the socket holds more (io_recv_finish()), else waits for readiness
 * without taking a buffer, and ends on EOF, an error or -ENOBUFS.
 */
static enum try_res try_recv_sel(struct ep *e, struct ep_req *r)
{
	const struct io_uring_sqe *q = &r->sr.sqe;
	struct ep_file *f = r->f;
	bool multi = q->ioprio & IORING_RECV_MULTISHOT;
	unsigned flags = q->msg_flags;

	for (;;) {
		uint32_t len = q->len, cflags;
		uint64_t addr;
		ssize_t n;
		int ret = aring__soft_buffer_select(e->ring, &r->sr, true, &addr, &len);

		if (ret) {
			finish(e, r, ret, false);
			return T_DONE;
		}
		n = recv(f->fd, PTR(addr), len, flags | MSG_DONTWAIT);
		if (n <= 0) {
			int err = n < 0 ? errno : 0;

			aring__soft_kbuf_recycle(e->ring, &r->sr);
			if (err == EAGAIN && !(flags & MSG_DONTWAIT)) {
				f->ready[EP_RD] = false;
				return T_WAIT;
			}
			finish(e, r, err == ERESTART ? -EINTR : -err, false);
			return T_DONE;
		}
		cflags = aring__soft_put_kbuf(e->ring, &r->sr, (int)n) |
			 sock_nonempty(f, (size_t)n == len);
		if (!multi) {
			if ((size_t)n < len && drained(f))
				f->ready[EP_RD] = false;
			finish_flags(e, r, (int32_t)n, false, cflags);
			return T_DONE;
		}
		aring__soft_complete(e->ring, &r->sr, (int32_t)n, cflags | IORING_CQE_F_MORE);
		if (!(cflags & IORING_CQE_F_SOCK_NONEMPTY) && drained(f)) {
			f->ready[EP_RD] = false;  /* emptied: the next buffer when data comes */
			return T_WAIT;
		}
	}
}

static enum try_res try_msg(struct ep *e, struct ep_req *r, bool send)
{
	const struct io_uring_sqe *q = &r->sr.sqe;
	struct ep_file *f = r->f;
	unsigned flags = q->msg_flags;
	struct msghdr *msg = PTR(q->addr);
	ssize_t n;

	n = send ? sendmsg(f->fd, msg, flags | MSG_DONTWAIT | MSG_NOSIGNAL)
		 : recvmsg(f->fd, msg, flags | MSG_DONTWAIT);
	if (n < 0) {
		if (errno == EAGAIN && !(flags & MSG_DONTWAIT) && !errqueue(send, flags)) {
			f->ready[send] = false;
			return T_WAIT;
		}
		finish(e, r, neg_errno(), false);
		return T_DONE;
	}
	finish_flags(e, r, (int32_t)n, false,
		     send || !n ? 0 : sock_nonempty(f, true));
	return T_DONE;
}

static enum try_res try_accept(struct ep *e, struct ep_req *r)
{
	const struct io_uring_sqe *q = &r->sr.sqe;
	struct ep_file *f = r->f;
	bool multi = q->ioprio & IORING_ACCEPT_MULTISHOT;

	for (;;) {
		int fl = nb_on(f->fd);
		int fd = accept4(f->fd, PTR(q->addr), PTR(q->off), (int)q->accept_flags);
		int err = errno;

		nb_off(f->fd, fl);
		if (fd < 0) {
			if (err == EAGAIN && !(q->ioprio & EP_ACCEPT_DONTWAIT)) {
				f->ready[EP_RD] = false;
				return T_WAIT;
			}
			finish(e, r, err == ERESTART ? -EINTR : -err, false);
			return T_DONE;
		}
		fd_new(e, fd);
		fd = direct_fd(e, fd, q->file_index);
		if (!multi || fd < 0) {
			finish(e, r, fd, false);
			return T_DONE;
		}
		post_more(e, r, fd);
	}
}

static int sock_error(int fd)
{
	int err = 0;
	socklen_t len = sizeof(err);

	if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0)
		err = errno;
	return -err;
}

/*
 * kernel io_uring/net.c io_connect(): connect without blocking; in progress,
 * wait until writable, then (an error reported: the socket's error) connect
 * again, which moves the socket to connected and gives 0 (so a third
 * connect gives -EISCONN, as on the kernel).
 */
static enum try_res try_connect(struct ep *e, struct ep_req *r)
{
	const struct io_uring_sqe *q = &r->sr.sqe;
	struct ep_file *f = r->f;
	int fl, ret, err;

	if (r->done_bytes) {
		struct pollfd p = { .fd = f->fd, .events = POLLOUT };

		if (poll(&p, 1, 0) != 1) {
			f->ready[EP_WR] = false; /* not yet: a spurious event */
			return T_WAIT;
		}
		if (p.revents & POLLERR) {
			finish(e, r, sock_error(f->fd), false);
			return T_DONE;
		}
	}
	fl = nb_on(f->fd);
	ret = connect(f->fd, PTR(q->addr), (socklen_t)q->off);
	err = errno;
	nb_off(f->fd, fl);
	if (ret == 0) {
		finish(e, r, 0, false);
		return T_DONE;
	}
	if (err == EINPROGRESS || err == EAGAIN || (err == EALREADY && r->done_bytes)) {
		r->done_bytes |= err != EAGAIN;
		f->ready[EP_WR] = false;
		return T_WAIT;
	}
	if (r->done_bytes && (err == EISCONN || err == EBADFD)) {
		finish(e, r, sock_error(f->fd), false);
		return T_DONE;
	}
	finish(e, r, err == ERESTART ? -EINTR : -err, false);
	return T_DONE;
}

/* kernel io_uring/poll.c: the mask now; a file with no wait queue completes at once */
static enum try_res try_poll(struct ep *e, struct ep_req *r)
{
	struct ep_file *f = r->f;
	struct pollfd p = { .fd = f->fd, .events = (short)r->poll_events };
	unsigned mask;

	if (poll(&p, 1, 0) < 0) {
		finish(e, r, neg_errno(), false);
		return T_DONE;
	}
	if (p.revents & POLLNVAL) {
		finish(e, r, -EBADF, false);
		return T_DONE;
	}
	mask = (unsigned)(uint16_t)p.revents & r->poll_events;
	if (f->kind == EPK_REG || f->kind == EPK_NOPOLL) {
		/* vfs_poll() of a file without a wait queue: see sim/poll.c */
		finish(e, r, mask && !(r->sr.sqe.len & IORING_POLL_ADD_LEVEL) ? (int32_t)mask : -EINVAL,
		       false);
		return T_DONE;
	}
	if (!mask)
		return T_WAIT;
	if (!(r->sr.sqe.len & IORING_POLL_ADD_MULTI)) {
		finish(e, r, (int32_t)mask, false);
		return T_DONE;
	}
	post_more(e, r, (int32_t)mask);
	return T_WAIT;
}

static unsigned req_dir(const struct ep_req *r)
{
	switch (ep_op(r->sr.opcode)) {
	case IORING_OP_WRITE:
	case IORING_OP_WRITEV:
	case IORING_OP_SEND:
	case IORING_OP_SENDMSG:
	case IORING_OP_SEND_ZC:
	case IORING_OP_SENDMSG_ZC:
	case IORING_OP_CONNECT:
		return EP_WR;
	case IORING_OP_POLL_ADD:
		return EP_POLL;
	default:
		return EP_RD;
	}
}

static enum try_res try_op(struct ep *e, struct ep_req *r)
{
	switch (ep_op(r->sr.opcode)) {
	case IORING_OP_READ:
	case IORING_OP_READV:
		return try_rw(e, r, false);
	case IORING_OP_WRITE:
	case IORING_OP_WRITEV:
		return try_rw(e, r, true);
	case IORING_OP_SEND_ZC:
	case IORING_OP_SENDMSG_ZC:
		/* kernel io_send_zc(), io_sendmsg_zc(): only sockets with SOCK_SUPPORT_ZC */
		if (!r->f->zc) {
			finish(e, r, -EOPNOTSUPP, false);
			return T_DONE;
		}
		return r->sr.opcode == IORING_OP_SEND_ZC ? try_sendrecv(e, r, true) : try_msg(e, r, true);
	case IORING_OP_SEND:
		return try_sendrecv(e, r, true);
	case IORING_OP_RECV:
		if (r->sr.sqe.flags & IOSQE_BUFFER_SELECT)
			return try_recv_sel(e, r);
		return try_sendrecv(e, r, false);
	case IORING_OP_SENDMSG:
		return try_msg(e, r, true);
	case IORING_OP_RECVMSG:
		return try_msg(e, r, false);
	case IORING_OP_ACCEPT:
		return try_accept(e, r);
	case IORING_OP_CONNECT:
		return try_connect(e, r);
	case IORING_OP_POLL_ADD:
		return try_poll(e, r);
	default:
		assert(!"not a readiness op");
		return T_DONE;
	}
}

/* r could not go on now: wait for its file, or block in the pool. */
static void park(struct ep *e, struct ep_req *r, enum try_res t)
{
	struct ep_file *f = r->f;
	int ret;

	if (t == T_DONE)
		return;
	if (t == T_WAIT) {
		ret = file_register(e, f);
		if (ret == 0) {
			wait_add(e, f, r, req_dir(r));
			return;
		}
		if (ret != -EPERM) {
			finish(e, r, ret, false);
			return;
		}
		/* epoll refuses the file: it blocks in the pool, and polls as a regular file */
		f->kind = EPK_NOPOLL;
		if (r->sr.opcode == IORING_OP_POLL_ADD) {
			park(e, r, try_op(e, r));
			return;
		}
	}
	switch (ep_op(r->sr.opcode)) {
	case IORING_OP_READ:
	case IORING_OP_READV:
	case IORING_OP_WRITE:
	case IORING_OP_WRITEV:
		to_pool(e, r);
		break;
	default:
		finish(e, r, -EOPNOTSUPP, false);
		break;
	}
}

/* Retry the waiters of one list, in order, while the file may be ready. */
static void run_list(struct ep *e, struct ep_file *f, unsigned dir)
{
	struct ep_req *r;

	while ((r = f->head[dir]) && f->ready[dir]) {
		enum try_res t;

		wait_del(e, r);
		t = try_op(e, r);
		if (t == T_WAIT) {
			/* back at the head: the order of waiters is kept */
			r->where = EPW_FD;
			r->dir = (uint8_t)dir;
			r->prev = NULL;
			r->next = f->head[dir];
			if (f->head[dir])
				f->head[dir]->prev = r;
			else
				f->tail[dir] = r;
			f->head[dir] = r;
			e->nwait++;
			return;
		}
		park(e, r, t);
	}
}

/* Polls see every change: each looks once per event, and waits again in its place. */
static void run_polls(struct ep *e, struct ep_file *f)
{
	struct ep_req *r = f->head[EP_POLL], *n;
	uint64_t k = 0;

	for (n = r; n; n = n->next)
		k++;
	f->head[EP_POLL] = f->tail[EP_POLL] = NULL;
	e->nwait -= k;
	for (; r; r = n) {
		n = r->next;
		r->next = r->prev = NULL;
		r->where = EPW_NONE;
		park(e, r, try_op(e, r));
	}
}

static void file_event(struct ep *e, struct ep_file *f, uint32_t ev)
{
	f->refs++; /* completions may drop the last request's hold */
	if (ev & (EPOLLIN | EPOLLPRI | EPOLLRDHUP | EPOLLHUP | EPOLLERR))
		f->ready[EP_RD] = true;
	if (ev & (EPOLLOUT | EPOLLHUP | EPOLLERR))
		f->ready[EP_WR] = true;
	if (ev & (EPOLLRDHUP | EPOLLHUP | EPOLLERR))
		f->hup = true;
	run_list(e, f, EP_RD);
	run_list(e, f, EP_WR);
	run_polls(e, f);
	file_put(e, f);
}

/* ---------------------------------------------------------------- ops run at once */

static int32_t do_close(struct ep *e, int fd)
{
	struct ep_file *f = (unsigned)fd < e->nfiles ? e->files[fd] : NULL;

	if (fd == e->epfd || (e->pool_ok && fd == e->pool.efd))
		return -EBADF; /* the executor's own */
	if (f && f->fd == fd)
		file_detach(e, fd, true);
	return close(fd) < 0 && errno != EINTR ? -errno : 0;
}

/*
 * kernel io_uring/poll.c io_poll_remove(): remove, or update events/user_data.
 * An updated poll that waits looks again (*recheck) after the update's own
 * completion, as the kernel re-arms it (its CQE comes later, from task work).
 */
static int32_t do_poll_remove(struct ep *e, struct ep_req *r, struct ep_req **recheck)
{
	const struct io_uring_sqe *q = &r->sr.sqe;
	unsigned flags = q->len;
	struct aring__soft_req *ts = aring__soft_find(e->ring, q->addr, IORING_OP_POLL_ADD);
	struct ep_req *t;

	if (!ts)
		return -ENOENT;
	t = req_of(ts);
	if (!(flags & (IORING_POLL_UPDATE_EVENTS | IORING_POLL_UPDATE_USER_DATA))) {
		aring__soft_cancel_req(e->ring, ts, -ECANCELED);
		return 0;
	}
	if (flags & IORING_POLL_UPDATE_EVENTS) {
		t->poll_events = q->poll32_events | POLLERR | POLLHUP;
		t->sr.sqe.len = (t->sr.sqe.len & ~IORING_POLL_ADD_MULTI) | (flags & IORING_POLL_ADD_MULTI);
	}
	if (flags & IORING_POLL_UPDATE_USER_DATA) {
		t->sr.sqe.user_data = q->off;
		aring__soft_rekey(e->ring, ts);
	}
	if (t->where == EPW_FD)
		*recheck = t;
	return 0;
}

static int32_t do_pipe(struct ep *e, struct ep_req *r)
{
	int fds[2], ret;

	if (pipe2(fds, r->sr.sqe.rw_flags) < 0)
		return -errno;
	fd_new(e, fds[0]);
	fd_new(e, fds[1]);
	if (r->sr.sqe.file_index) {
		/* kernel pipe.c io_pipe_fixed(): direct descriptors (backends/soft/rsrc.c) */
		ret = aring__soft_fixed_install_pair(e->ring, ref_of_fd(fds[0]), ref_of_fd(fds[1]),
						     r->sr.sqe.file_index,
						     r->sr.sqe.rw_flags & O_CLOEXEC, fds);
		if (ret < 0)
			return ret;
	}
	memcpy(PTR(r->sr.sqe.addr), fds, sizeof(fds));
	return 0;
}

static int32_t sys(long ret)
{
	return ret < 0 ? (int32_t)neg_errno() : (int32_t)ret;
}

/* ---------------------------------------------------------------- executor ops */

/* What this executor runs: the op table's .epoll (core/opdef.c), which docs/ops.md shows. */
static bool ep_has_op(void *ex, unsigned opcode)
{
	(void)ex;
	return opcode < ARING_OP_LAST && aring__opdefs[opcode].epoll;
}

bool aring__epoll_has_op(unsigned opcode)
{
	return ep_has_op(NULL, opcode);
}

#define RECVSEND_FLAGS (IORING_RECVSEND_POLL_FIRST | IORING_RECV_MULTISHOT | \
			IORING_RECVSEND_FIXED_BUF)
#define ACCEPT_FLAGS (IORING_ACCEPT_MULTISHOT | EP_ACCEPT_DONTWAIT | EP_ACCEPT_POLL_FIRST)

#define EP_USER_MAX 0x7ffffffff000ull /* x86-64 user address limit */
#define EP_UIO_MAXIOV 1024u

/* kernel access_ok(): the range lies below the user address limit. */
static bool access_ok_(uint64_t addr, uint64_t len)
{
	return len <= EP_USER_MAX && addr <= EP_USER_MAX - len;
}

/*
 * kernel io_uring/rw.c io_prep_rw() imports the buffer or iovec at submit
 * (lib/iov_iter.c import_ubuf(), __import_iovec()): the iovec array is read
 * here, as the kernel copies it (one below 64 KiB is -EFAULT).
 */
static int prep_import(const struct io_uring_sqe *q, bool vectored, bool segments)
{
	const struct iovec *iov = PTR(q->addr);
	unsigned k;

	if (!vectored)
		return access_ok_(q->addr, q->len) ? 0 : -EFAULT;
	if (q->len == 0)
		return 0;
	if (q->len > EP_UIO_MAXIOV)
		return -EINVAL;
	if (!aring__soft_user_ok(q->addr, q->len * sizeof(*iov)))
		return -EFAULT;
	for (k = 0; k < q->len; k++)
		if ((ssize_t)iov[k].iov_len < 0)
			return -EINVAL;
	if (!segments)
		return 0;
	for (k = 0; k < q->len; k++)
		if (!access_ok_((uint64_t)(uintptr_t)iov[k].iov_base, iov[k].iov_len))
			return -EFAULT;
	return 0;
}

#define EP_O_NOTIFICATION_PIPE O_EXCL /* include/uapi/linux/watch_queue.h */
#define EP_RWF_SUPPORTED 0x1ffu       /* uapi linux/fs.h RWF_SUPPORTED, RWF_HIPRI..RWF_NOSIGNAL */

/*
 * The issue-time checks of a read or write, in the kernel's order: rw.c
 * io_rw_init_file() -> fs.h kiocb_set_rw_flags() refuses unknown RWF flags
 * (-EOPNOTSUPP; RWF_ATOMIC/RWF_DONTCACHE are left to the file's own call),
 * then RWF_HIPRI without an IOPOLL ring is -EINVAL; then rw.c
 * io_kiocb_update_pos() -> fs/read_write.c rw_verify_area(): an offset below
 * -1 is -EINVAL on every file, pipes and sockets too; net/socket.c
 * sock_read_iter()/sock_write_iter(): a socket's position but 0 is -ESPIPE
 * (-1 is position 0 on a stream file, io_kiocb_update_pos()).
 */
static int rw_issue_check(const struct io_uring_sqe *q, const struct ep_file *f)
{
	if ((unsigned)q->rw_flags & ~EP_RWF_SUPPORTED)
		return -EOPNOTSUPP;
	if (q->rw_flags & RWF_HIPRI)
		return -EINVAL;
	if (q->off != UINT64_MAX && (int64_t)q->off < 0)
		return -EINVAL;
	if (f->sock && q->off != UINT64_MAX && q->off != 0)
		return -ESPIPE;
	return 0;
}

/* The kernel's io_*_prep checks of the ops this executor runs (submit-time: they fail the chain). */
/*
 * kernel fs/namei.c getname_flags(), which a path op's prep runs
 * (io_unlinkat_prep() & co): an unreadable name -EFAULT, one of PATH_MAX
 * or more -ENAMETOOLONG, an empty one -ENOENT unless empty_ok
 * (AT_EMPTY_PATH). From prep the error breaks the op's link; the same
 * error from the system call would not (ARING__OPF_KEEPLINK).
 */
static int prep_name(uint64_t addr, bool empty_ok)
{
	const char *p = PTR(addr);

	if (!aring__soft_user_ok(addr, 1))
		return -EFAULT;
	if (strnlen(p, PATH_MAX) >= PATH_MAX)
		return -ENAMETOOLONG;
	return !*p && !empty_ok ? -ENOENT : 0;
}

static int ep_prep(void *ex, struct aring__soft_req *sr)
{
	struct ep_req *r = req_of(sr);
	const struct io_uring_sqe *q = &sr->sqe;
	int ret;

	(void)ex;
	if (!ep_has_op(ex, sr->opcode))
		return -EOPNOTSUPP;
	/* provided buffers (backends/soft/kbuf.c) for recv only */
	if ((q->flags & IOSQE_BUFFER_SELECT) && sr->opcode != IORING_OP_RECV)
		return -EOPNOTSUPP;
	if (ep_fixed_buf(sr->opcode)) {
		/*
		 * kernel rw.c io_prep_read_fixed(): nothing to import at prep;
		 * io_prep_readv_fixed() -> io_rw_prep_reg_vec() copies the
		 * iovec array (iovec_from_user()); the buffers are checked at
		 * issue (ep_start()).
		 */
		if (ep_op(sr->opcode) == IORING_OP_READ || ep_op(sr->opcode) == IORING_OP_WRITE)
			return 0;
		return prep_import(q, true, false);
	}
	switch (sr->opcode) {
	case IORING_OP_READ:
	case IORING_OP_WRITE:
		return prep_import(q, false, true);
	case IORING_OP_READV:
	case IORING_OP_WRITEV:
		return prep_import(q, true, true);
	case IORING_OP_POLL_ADD:
		/* kernel io_poll_add_prep() */
		if (q->buf_index || q->off || q->addr)
			return -EINVAL;
		if (q->len & ~(IORING_POLL_ADD_MULTI | IORING_POLL_ADD_LEVEL))
			return -EINVAL;
		if ((q->len & IORING_POLL_ADD_MULTI) && (q->flags & IOSQE_CQE_SKIP_SUCCESS))
			return -EINVAL;
		r->poll_events = q->poll32_events | POLLERR | POLLHUP;
		return 0;
	case IORING_OP_POLL_REMOVE:
		/* kernel io_poll_remove_prep() */
		if (q->buf_index || q->splice_fd_in)
			return -EINVAL;
		if (q->len & ~(IORING_POLL_UPDATE_EVENTS | IORING_POLL_UPDATE_USER_DATA |
			       IORING_POLL_ADD_MULTI))
			return -EINVAL;
		if (q->len == IORING_POLL_ADD_MULTI)
			return -EINVAL;
		/* a new user_data or mask without its update flag */
		if (!(q->len & IORING_POLL_UPDATE_USER_DATA) && q->off)
			return -EINVAL;
		if (!(q->len & IORING_POLL_UPDATE_EVENTS) && q->poll32_events)
			return -EINVAL;
		return 0;
	case IORING_OP_SEND_ZC:
	case IORING_OP_SENDMSG_ZC:
	case IORING_OP_SEND:
	case IORING_OP_RECV:
	case IORING_OP_SENDMSG:
	case IORING_OP_RECVMSG:
		/* kernel io_sendmsg_prep(), io_recvmsg_prep(), io_send_zc_prep() */
		if (q->ioprio & ~(RECVSEND_FLAGS | ((q->opcode == IORING_OP_SEND_ZC ||
						     q->opcode == IORING_OP_SENDMSG_ZC)
							    ? ARING_SEND_ZC_REPORT_USAGE : 0)))
			return -EINVAL;
		if (q->ioprio & IORING_RECVSEND_FIXED_BUF)
			return -EFAULT; /* no registered buffers */
		/* kernel io_recvmsg_prep(): multishot needs provided buffers, no MSG_WAITALL */
		if ((q->ioprio & IORING_RECV_MULTISHOT) &&
		    (sr->opcode != IORING_OP_RECV || !(q->flags & IOSQE_BUFFER_SELECT) ||
		     (q->msg_flags & MSG_WAITALL)))
			return -EINVAL;
		return 0;
	case IORING_OP_ACCEPT:
		/* kernel io_accept_prep() */
		if (q->len || q->buf_index)
			return -EINVAL;
		if (q->ioprio & ~ACCEPT_FLAGS)
			return -EINVAL;
		if (q->accept_flags & ~(SOCK_CLOEXEC | SOCK_NONBLOCK))
			return -EINVAL;
		/* a direct descriptor has no SOCK_CLOEXEC; multishot allocates its slots */
		if (q->file_index && ((q->accept_flags & SOCK_CLOEXEC) ||
				      ((q->ioprio & IORING_ACCEPT_MULTISHOT) &&
				       q->file_index != IORING_FILE_INDEX_ALLOC)))
			return -EINVAL;
		return 0;
	case IORING_OP_CONNECT:
		/* kernel io_connect_prep() */
		if (q->len || q->buf_index || q->rw_flags || q->splice_fd_in)
			return -EINVAL;
		return 0;
	case IORING_OP_SHUTDOWN:
		if (q->off || q->addr || q->rw_flags || q->buf_index || q->splice_fd_in)
			return -EINVAL;
		return 0;
	case IORING_OP_SOCKET:
		/* kernel io_socket_prep(): a direct descriptor has no SOCK_CLOEXEC */
		if (q->addr || q->rw_flags || q->buf_index)
			return -EINVAL;
		if (q->file_index && ((int)q->off & SOCK_CLOEXEC))
			return -EINVAL;
		return 0;
	case ARING_OP_BIND:
		if (q->len || q->buf_index || q->rw_flags || q->splice_fd_in)
			return -EINVAL;
		return 0;
	case ARING_OP_LISTEN:
		if (q->addr || q->buf_index || q->rw_flags || q->splice_fd_in || q->off)
			return -EINVAL;
		return 0;
	case IORING_OP_CLOSE:
		/* kernel io_close_prep(): a slot (file_index) or an fd, not both */
		if (q->off || q->addr || q->len || q->rw_flags || q->buf_index)
			return -EINVAL;
		if (q->file_index && q->fd)
			return -EINVAL;
		return 0;
	case IORING_OP_FSYNC:
		/* kernel io_fsync_prep() */
		if (q->addr || q->buf_index || q->splice_fd_in)
			return -EINVAL;
		if (q->fsync_flags & ~IORING_FSYNC_DATASYNC)
			return -EINVAL;
		return 0;
	case IORING_OP_SYNC_FILE_RANGE:
		if (q->addr || q->buf_index || q->splice_fd_in)
			return -EINVAL;
		return 0;
	case IORING_OP_FALLOCATE:
		if (q->buf_index || q->rw_flags || q->splice_fd_in)
			return -EINVAL;
		return 0;
	case IORING_OP_OPENAT:
	case IORING_OP_OPENAT2:
		/* kernel io_openat_prep_common(): a direct descriptor has no O_CLOEXEC */
		if (q->buf_index)
			return -EINVAL;
		if (q->file_index && sr->opcode == IORING_OP_OPENAT && (q->open_flags & O_CLOEXEC))
			return -EINVAL;
		if (q->file_index && sr->opcode == IORING_OP_OPENAT2 && q->len >= sizeof(uint64_t) &&
		    aring__soft_user_ok(q->off, sizeof(uint64_t)) &&
		    (*(const uint64_t *)PTR(q->off) & O_CLOEXEC))
			return -EINVAL;
		return 0;
	case IORING_OP_STATX:
		if (q->buf_index || q->splice_fd_in)
			return -EINVAL;
		return prep_name(q->addr, q->statx_flags & AT_EMPTY_PATH);
	case IORING_OP_UNLINKAT:
		if (q->off || q->len || q->buf_index || q->splice_fd_in)
			return -EINVAL;
		if (q->unlink_flags & ~AT_REMOVEDIR)
			return -EINVAL;
		return prep_name(q->addr, false);
	case IORING_OP_MKDIRAT:
		if (q->off || q->rw_flags || q->buf_index || q->splice_fd_in)
			return -EINVAL;
		return prep_name(q->addr, false);
	case IORING_OP_SYMLINKAT:
		if (q->len || q->rw_flags || q->buf_index || q->splice_fd_in)
			return -EINVAL;
		ret = prep_name(q->addr, false);
		return ret ? ret : prep_name(q->off, false);
	case IORING_OP_LINKAT:
	case IORING_OP_RENAMEAT:
		if (q->buf_index || q->splice_fd_in)
			return -EINVAL;
		/* kernel io_linkat_prep(): getname_uflags() of an empty old path
		 * without AT_EMPTY_PATH is -ENOENT, before do_linkat() checks flags */
		ret = prep_name(q->addr, sr->opcode == IORING_OP_LINKAT &&
					 (q->hardlink_flags & AT_EMPTY_PATH));
		return ret ? ret : prep_name(q->off, false);
	case ARING_OP_FTRUNCATE:
		if (q->rw_flags || q->addr || q->len || q->buf_index || q->splice_fd_in)
			return -EINVAL;
		return 0;
	case ARING_OP_PIPE:
		/* kernel io_pipe_prep() */
		if (q->fd || q->off)
			return -EINVAL;
		/* O_NOTIFICATION_PIPE (O_EXCL) passes: pipe2() decides (-ENOPKG
		 * without CONFIG_WATCH_QUEUE, fs/pipe.c create_pipe_files()) */
		if ((unsigned)q->rw_flags & ~(O_CLOEXEC | O_NONBLOCK | O_DIRECT | EP_O_NOTIFICATION_PIPE))
			return -EINVAL;
		if (!aring__soft_user_ok(q->addr, 2 * sizeof(int)))
			return -EFAULT;
		return 0;
	case IORING_OP_TEE:
		if (q->splice_off_in || q->off)
			return -EINVAL;
		return 0;
	default:
		return 0;
	}
}

/* A request that fails with -EAGAIN rather than wait. */
static bool nowait(const struct ep_req *r)
{
	const struct io_uring_sqe *q = &r->sr.sqe;

	switch (ep_op(r->sr.opcode)) {
	case IORING_OP_READ:
	case IORING_OP_READV:
	case IORING_OP_WRITE:
	case IORING_OP_WRITEV:
		return q->rw_flags & RWF_NOWAIT;
	case IORING_OP_SEND:
	case IORING_OP_RECV:
	case IORING_OP_SENDMSG:
	case IORING_OP_RECVMSG:
	case IORING_OP_SEND_ZC:
	case IORING_OP_SENDMSG_ZC:
		return (q->msg_flags & MSG_DONTWAIT) ||
		       errqueue(r->sr.opcode != IORING_OP_RECV && r->sr.opcode != IORING_OP_RECVMSG,
				q->msg_flags);
	case IORING_OP_ACCEPT:
		return q->ioprio & EP_ACCEPT_DONTWAIT;
	default:
		return false;
	}
}

static void ep_start(void *ex, struct aring__soft_req *sr)
{
	struct ep *e = ex;
	struct ep_req *r = req_of(sr);
	const struct io_uring_sqe *q = &sr->sqe;
	enum try_res t;

	r->where = EPW_NONE;
	r->f = NULL;
	r->done_bytes = 0;
	if (aring__opdefs[sr->opcode].flags & ARING__OPF_FILE) {
		/* kernel io_assign_file(); IOSQE_FIXED_FILE: the slot's fd, found by the soft ring */
		struct ep_file *f = file_get(e, (q->flags & IOSQE_FIXED_FILE) ? fd_of_ref(sr->fixed) : q->fd);

		if (!f) {
			/* the core fails it: its link breaks, whatever the op */
			finish(e, r, -EBADF, true);
			return;
		}
		f->refs++;
		r->f = f;
		sr->file = f;
	}
	if (ep_fixed_buf(sr->opcode)) {
		/*
		 * kernel rw.c io_init_rw_fixed() / io_rw_import_reg_vec(), first
		 * at issue: the buffer (each iovec) lies in registered buffer
		 * buf_index, else -EFAULT (backends/soft/rsrc.c).
		 */
		struct iovec one;
		int cnt, k, err = 0;
		const struct iovec *iov = req_iov(r, &one, &cnt);

		for (k = 0; k < cnt && !err; k++)
			err = aring__soft_fixed_buf(e->ring, q->buf_index,
						    (uint64_t)(uintptr_t)iov[k].iov_base, iov[k].iov_len);
		if (err) {
			finish(e, r, err, false);
			return;
		}
	}
	if ((sr->opcode == IORING_OP_SPLICE || sr->opcode == IORING_OP_TEE) &&
	    (q->splice_flags & SPLICE_F_FD_IN_FIXED_)) {
		/*
		 * kernel io_uring/splice.c io_splice_get_file(): the input is the
		 * fixed table's file (io_rsrc_node_lookup(): a negative index
		 * finds none), else -EBADF, also for a length of 0; io_splice()
		 * and io_tee() pass the flags on without SPLICE_F_FD_IN_FIXED.
		 */
		void *in = aring__soft_fixed_file(e->ring, (unsigned)q->splice_fd_in);

		if (!in) {
			finish(e, r, -EBADF, false);
			return;
		}
		sr->sqe.splice_fd_in = fd_of_ref(in);
		sr->sqe.splice_flags &= ~SPLICE_F_FD_IN_FIXED_;
	}
	switch (ep_op(sr->opcode)) {
	case IORING_OP_READ:
	case IORING_OP_READV:
	case IORING_OP_WRITE:
	case IORING_OP_WRITEV: {
		int err = rw_issue_check(q, r->f);

		if (err) {
			finish(e, r, err, false);
			return;
		}
		break;
	}
	default:
		break;
	}
	switch (ep_op(sr->opcode)) {
	case IORING_OP_READ:
	case IORING_OP_READV:
		if (r->f->kind == EPK_REG) {
			/* a page-cache hit completes inline (kernel io_read() with IOCB_NOWAIT) */
			struct iovec one;
			int cnt;
			const struct iovec *iov = req_iov(r, &one, &cnt);
			int64_t want;
			ssize_t n;

			n = preadv2(r->f->fd, iov, cnt, (off_t)q->off, q->rw_flags | RWF_NOWAIT);
			want = n >= 0 ? iov_total(iov, cnt) : 0;
			/* a part read at the file position is kept (the position moved) */
			if (n >= 0 && (n == want || n == 0 || q->off == UINT64_MAX)) {
				finish(e, r, (int32_t)n, n < want);
				return;
			}
			if (n < 0 && (errno != EAGAIN || (q->rw_flags & RWF_NOWAIT)) &&
			    errno != EOPNOTSUPP) {
				finish(e, r, neg_errno(), false);
				return;
			}
			to_pool(e, r);
			return;
		}
		/* fall through */
	case IORING_OP_WRITE:
	case IORING_OP_WRITEV:
		if (r->f->kind != EPK_OTHER) {
			to_pool(e, r);
			return;
		}
		/* fall through */
	case IORING_OP_SEND:
	case IORING_OP_RECV:
	case IORING_OP_SENDMSG:
	case IORING_OP_RECVMSG:
	case IORING_OP_SEND_ZC:
	case IORING_OP_SENDMSG_ZC:
	case IORING_OP_ACCEPT:
	case IORING_OP_CONNECT:
	case IORING_OP_POLL_ADD: {
		unsigned dir = req_dir(r);
		bool net = aring__opdefs[sr->opcode].flags & ARING__OPF_NET;
		/* ioprio holds the POLL_FIRST flags of net ops (an I/O priority for read/write) */
		bool first = net && (q->ioprio & (sr->opcode == IORING_OP_ACCEPT ? EP_ACCEPT_POLL_FIRST :
						  IORING_RECVSEND_POLL_FIRST));

		/* behind earlier waiters, or known not ready: wait without a try
		 * (unless it must not wait: MSG_DONTWAIT, RWF_NOWAIT, ACCEPT_DONTWAIT) */
		/* a MSG_OOB recv is always tried: the urgent byte is out of the
		 * stream the drained mark follows, and its absence is -EINVAL at
		 * once (net/ipv4/tcp.c tcp_recv_urg()) */
		bool oob = (sr->opcode == IORING_OP_RECV || sr->opcode == IORING_OP_RECVMSG) &&
			   (q->msg_flags & MSG_OOB);

		if (dir != EP_POLL && (r->f->head[dir] || !r->f->ready[dir] || first) &&
		    r->f->kind == EPK_OTHER && !nowait(r) && !oob) {
			park(e, r, T_WAIT);
			return;
		}
		t = try_op(e, r);
		park(e, r, t);
		return;
	}
	case IORING_OP_CLOSE:
		/* kernel openclose.c io_close(): io_close_fixed() empties a slot (backends/soft/rsrc.c) */
		if (q->file_index) {
			finish(e, r, aring__soft_fixed_remove(e->ring, q->file_index - 1), false);
			return;
		}
		finish(e, r, do_close(e, q->fd), false);
		return;
	case IORING_OP_POLL_REMOVE: {
		struct ep_req *t = NULL;

		finish(e, r, do_poll_remove(e, r, &t), false);
		if (t && t->where == EPW_FD) {
			/* look again with the new mask */
			wait_del(e, t);
			park(e, t, try_op(e, t));
		}
		return;
	}
	case IORING_OP_SHUTDOWN: {
		/* kernel net.c io_shutdown(): -ENOTSOCK fails it in the core;
		   shutdown's own errors leave its link alone (ARING__OPF_KEEPLINK) */
		int32_t ret = sys(shutdown(r->f->fd, (int)q->len));

		finish(e, r, ret, ret == -ENOTSOCK);
		return;
	}
	case IORING_OP_SOCKET: {
		int32_t fd = sys(socket(q->fd, (int)q->off, (int)q->len));

		fd_new(e, fd);
		finish(e, r, direct_fd(e, fd, q->file_index), false);
		return;
	}
	case ARING_OP_BIND:
		finish(e, r, sys(bind(r->f->fd, PTR(q->addr), (socklen_t)q->off)), false);
		return;
	case ARING_OP_LISTEN:
		finish(e, r, sys(listen(r->f->fd, (int)q->len)), false);
		return;
	case ARING_OP_PIPE:
		finish(e, r, do_pipe(e, r), false);
		return;
	default:
		to_pool(e, r);
		return;
	}
}

static int ep_stop(void *ex, struct aring__soft_req *sr)
{
	struct ep *e = ex;
	struct ep_req *r = req_of(sr);

	switch (r->where) {
	case EPW_FD:
		wait_del(e, r);
		break;
	case EPW_QUEUED:
	case EPW_RUNNING:
	case EPW_DONE:
		if (aring__ep_pool_stop(&e->pool, r) < 0)
			return -EALREADY; /* io-wq: IO_WQ_CANCEL_RUNNING */
		e->npool--;
		break;
	default:
		return -EALREADY;
	}
	file_put(e, r->f);
	r->f = NULL;
	sr->file = NULL;
	return 0;
}

static void ep_drop(void *ex, struct aring__soft_req *sr)
{
	struct ep *e = ex;
	struct ep_req *r = req_of(sr);

	if (r->where == EPW_FD) {
		wait_del(e, r);
	} else if (r->where != EPW_NONE) {
		aring__ep_pool_drop(&e->pool, r);
		e->npool--;
	}
	r->dropped = true;
	file_put(e, r->f);
	r->f = NULL;
	sr->file = NULL;
}

static const void *ep_file_of_fd(void *ex, int fd)
{
	return file_get(ex, fd);
}

/* A table reference (backends/soft/rsrc.c): a dup the program never sees (kernel fget()). */
static int ep_file_ref(void *ex, int fd, void **file)
{
	struct ep *e = ex;
	int d;

	if (fd < 0 || fd == e->epfd || (e->pool_ok && fd == e->pool.efd))
		return -EBADF; /* the executor's own */
	d = fcntl(fd, F_DUPFD_CLOEXEC, 0);
	if (d < 0)
		return -errno;
	fd_new(e, d);
	*file = ref_of_fd(d);
	return 0;
}

/* The table let go of it: closed as a close through the ring would (its requests keep it). */
static void ep_file_unref(void *ex, void *file)
{
	do_close(ex, fd_of_ref(file));
}

/* kernel openclose.c io_install_fixed_fd() -> receive_fd(): a new fd for the file. */
static int ep_file_install(void *ex, void *file, bool cloexec)
{
	int fd = fcntl(fd_of_ref(file), cloexec ? F_DUPFD_CLOEXEC : F_DUPFD, 0);

	if (fd < 0)
		return -errno;
	fd_new(ex, fd);
	return fd;
}

static const void *ep_file_of_ref(void *ex, void *file)
{
	return file_get(ex, fd_of_ref(file));
}

static uint64_t ep_now(void *ex)
{
	struct timespec t;

	(void)ex;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (uint64_t)t.tv_sec * 1000000000ull + (uint64_t)t.tv_nsec;
}

static int ep_wait(void *ex, uint64_t deadline_ns)
{
	struct ep *e = ex;
	struct epoll_event evs[EP_EVENTS];
	struct timespec ts, *tsp = NULL;
	int n, i, timeout_ms = -1;
	bool ran = false;

	if (deadline_ns != UINT64_MAX) {
		uint64_t now = ep_now(e), left = deadline_ns > now ? deadline_ns - now : 0;

		/*
		 * A look without waiting (the soft ring has CQEs ready) within
		 * EP_POLL_GAP_NS of the last epoll_wait() finds nothing worth
		 * a system call: completions wait for the next one.
		 */
		if (left == 0 && now - e->last_poll_ns < EP_POLL_GAP_NS)
			return 0;

		ts.tv_sec = (time_t)(left / 1000000000ull);
		ts.tv_nsec = (long)(left % 1000000000ull);
		tsp = &ts;
		timeout_ms = (int)((left + 999999) / 1000000);
		if (left / 1000000 > INT_MAX)
			timeout_ms = INT_MAX;
	} else if (!e->nwait && !e->npool) {
		return -EDEADLK;
	}
#ifdef SYS_epoll_pwait2
	n = (int)syscall(SYS_epoll_pwait2, e->epfd, evs, EP_EVENTS, tsp, NULL, (size_t)8);
	if (n < 0 && errno == ENOSYS)
#endif
		n = epoll_wait(e->epfd, evs, EP_EVENTS, timeout_ms);
	if (n < 0)
		return errno == EINTR ? -EINTR : -errno;
	e->last_poll_ns = ep_now(e);
	for (i = 0; i < n; i++) {
		uint64_t key = evs[i].data.u64;
		unsigned fd = (uint32_t)key;
		struct ep_file *f;

		if (key == EP_POOL_KEY) {
			ran |= pool_reap(e);
			continue;
		}
		f = fd < e->nfiles ? e->files[fd] : NULL;
		if (!f || f->gen != (uint32_t)(key >> 32))
			continue; /* an entry gone since */
		file_event(e, f, evs[i].events);
		ran = true;
	}
	return n > 0 || ran ? 1 : 0;
}

static void ep_destroy(void *ex)
{
	struct ep *e = ex;
	unsigned i;

	if (!e)
		return;
	if (e->pool_ok)
		aring__ep_pool_destroy(&e->pool);
	for (i = 0; i < e->nfiles; i++) {
		struct ep_file *f = e->files[i];

		if (!f)
			continue;
		e->files[i] = NULL;
		/* a dup kept for requests is ours to close; a user's fd is not */
		if (f->orphan)
			close(f->fd);
		free(f);
	}
	free(e->files);
	if (e->epfd >= 0)
		close(e->epfd);
	free(e);
}

static const struct aring__soft_exec ep_exec_ops = {
	.req_size = sizeof(struct ep_req),
	.prep = ep_prep,
	.start = ep_start,
	.stop = ep_stop,
	.drop = ep_drop,
	.file_of_fd = ep_file_of_fd,
	.now_ns = ep_now,
	.wait = ep_wait,
	.has_op = ep_has_op,
	.destroy = ep_destroy,
	.file_ref = ep_file_ref,
	.file_unref = ep_file_unref,
	.file_install = ep_file_install,
	.file_of_ref = ep_file_of_ref,
};

int aring__epoll_new(const struct aring_loop_opts *opts, struct aring__backend **out)
{
	unsigned entries = opts && opts->entries ? opts->entries : ARING_DEFAULT_ENTRIES;
	struct epoll_event ev = { 0 };
	struct ep *e;
	int ret;

	*out = NULL;
	if (entries > ARING_MAX_ENTRIES)
		return -EINVAL;
	/* The soft ring's SQEs and CQEs are 64 and 16 bytes; other setup flags
	 * (SUBMIT_ALL, COOP_TASKRUN, ...) change nothing it does. */
	if (opts && (opts->setup_flags & (IORING_SETUP_SQE128 | IORING_SETUP_CQE32)))
		return -EINVAL;
	e = calloc(1, sizeof(*e));
	if (!e)
		return -ENOMEM;
	e->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (e->epfd < 0) {
		ret = -errno;
		free(e);
		return ret;
	}
	ret = aring__ep_pool_init(&e->pool, EP_POOL_THREADS, run_blocking);
	if (ret == 0) {
		e->pool_ok = true;
		ev.events = EPOLLIN;
		ev.data.u64 = EP_POOL_KEY;
		if (epoll_ctl(e->epfd, EPOLL_CTL_ADD, e->pool.efd, &ev) < 0)
			ret = -errno;
	}
	if (ret == 0)
		ret = aring__soft_new(entries, &ep_exec_ops, e, "epoll", &e->ring);
	if (ret < 0) {
		ep_destroy(e);
		return ret;
	}
	*out = aring__soft_backend(e->ring);
	(*out)->submit_to_poll = true; /* workers and sockets finish in the background */
	return 0;
}
