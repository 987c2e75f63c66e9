/* SPDX-License-Identifier: MIT */
/*
 * One wrapper per io_uring opcode. Each is the matching io_uring_prep_*()
 * call between aring__op_sqe() (room in the SQ, opt checked) and
 * aring__op_run() (user_data, linked timeout, id, suspend, result); OP()
 * writes that frame so that a wrapper is its signature and its prep call.
 */
#include "config.h"
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/internal.h"
#include "core/opdef.h"
#ifdef HAVE_VALGRIND_MEMCHECK_H
#include <valgrind/memcheck.h>
#endif

#define OP_X(linkage, fn, params, prep, after)                                  \
	linkage int fn params                                                   \
	{                                                                       \
		struct aring__op op;                                            \
		int ret;                                                        \
		struct io_uring_sqe *sqe = aring__op_sqe(loop, &op, opt, &ret); \
									        \
		if (!sqe)                                                       \
			return ret;                                             \
		prep;                                                           \
		ret = aring__op_run(loop, &op, opt, sqe);                       \
		after;                                                          \
		return ret;                                                     \
	}
#define OP_(linkage, fn, params, prep) OP_X(linkage, fn, params, prep, (void)0)
#define OP(fn, params, prep) OP_X(ARING_API, fn, params, prep, (void)0)
/* An op that fills memory: `after` tells Valgrind (see filled()). */
#define OP_IN(fn, params, prep, after) OP_X(ARING_API, fn, params, prep, after)

/*
 * Memcheck does not see what the kernel writes through io_uring: after a
 * read-type op, mark the bytes it filled as defined, so that programs using
 * aring run clean under Valgrind. A few no-op instructions otherwise.
 */
static inline void filled(const void *buf, int n)
{
#ifdef HAVE_VALGRIND_MEMCHECK_H
	if (n > 0)
		VALGRIND_MAKE_MEM_DEFINED(buf, (size_t)n);
#else
	(void)buf;
	(void)n;
#endif
}

static inline void filled_iov(const struct iovec *iov, unsigned nr, int n)
{
	unsigned i;

	for (i = 0; i < nr && n > 0; i++) {
		int part = iov[i].iov_len < (size_t)n ? (int)iov[i].iov_len : n;

		filled(iov[i].iov_base, part);
		n -= part;
	}
}

static inline void filled_addr(const struct sockaddr *addr, const socklen_t *addrlen, int ret)
{
	if (ret >= 0 && addr && addrlen) {
		filled(addrlen, (int)sizeof(*addrlen));
		filled(addr, (int)*addrlen);
	}
}

static inline void filled_msg(const struct msghdr *msg, int n)
{
	if (n < 0)
		return;
	filled_iov(msg->msg_iov, (unsigned)msg->msg_iovlen, n);
	if (msg->msg_name)
		filled(msg->msg_name, (int)msg->msg_namelen);
	if (msg->msg_control)
		filled(msg->msg_control, (int)msg->msg_controllen);
}

/* ---------------------------------------------------------------- files */

OP(aring_nop, (aring_loop *loop, const struct aring_opt *opt),
   io_uring_prep_nop(sqe))
OP_IN(aring_read, (aring_loop *loop, int fd, void *buf, unsigned nbytes, uint64_t offset,
		const struct aring_opt *opt),
   io_uring_prep_read(sqe, fd, buf, nbytes, offset),
   filled(buf, ret))
OP(aring_write, (aring_loop *loop, int fd, const void *buf, unsigned nbytes, uint64_t offset,
		 const struct aring_opt *opt),
   io_uring_prep_write(sqe, fd, buf, nbytes, offset))
OP_IN(aring_readv, (aring_loop *loop, int fd, const struct iovec *iovecs, unsigned nr_vecs,
		 uint64_t offset, const struct aring_opt *opt),
   io_uring_prep_readv(sqe, fd, iovecs, nr_vecs, offset),
   filled_iov(iovecs, nr_vecs, ret))
OP(aring_writev, (aring_loop *loop, int fd, const struct iovec *iovecs, unsigned nr_vecs,
		  uint64_t offset, const struct aring_opt *opt),
   io_uring_prep_writev(sqe, fd, iovecs, nr_vecs, offset))
OP_IN(aring_readv2, (aring_loop *loop, int fd, const struct iovec *iovecs, unsigned nr_vecs,
		  uint64_t offset, int flags, const struct aring_opt *opt),
   io_uring_prep_readv2(sqe, fd, iovecs, nr_vecs, offset, flags),
   filled_iov(iovecs, nr_vecs, ret))
OP(aring_writev2, (aring_loop *loop, int fd, const struct iovec *iovecs, unsigned nr_vecs,
		   uint64_t offset, int flags, const struct aring_opt *opt),
   io_uring_prep_writev2(sqe, fd, iovecs, nr_vecs, offset, flags))
OP_IN(aring_read_fixed, (aring_loop *loop, int fd, void *buf, unsigned nbytes, uint64_t offset,
		      int buf_index, const struct aring_opt *opt),
   io_uring_prep_read_fixed(sqe, fd, buf, nbytes, offset, buf_index),
   filled(buf, ret))
OP(aring_write_fixed, (aring_loop *loop, int fd, const void *buf, unsigned nbytes,
		       uint64_t offset, int buf_index, const struct aring_opt *opt),
   io_uring_prep_write_fixed(sqe, fd, buf, nbytes, offset, buf_index))
OP_IN(aring_readv_fixed, (aring_loop *loop, int fd, const struct iovec *iovecs, unsigned nr_vecs,
		       uint64_t offset, int flags, int buf_index, const struct aring_opt *opt),
   aring__prep_rwv_fixed(sqe, ARING_OP_READV_FIXED, fd, iovecs, nr_vecs, offset, flags,
			 buf_index),
   filled_iov(iovecs, nr_vecs, ret))
OP(aring_writev_fixed, (aring_loop *loop, int fd, const struct iovec *iovecs, unsigned nr_vecs,
			uint64_t offset, int flags, int buf_index, const struct aring_opt *opt),
   aring__prep_rwv_fixed(sqe, ARING_OP_WRITEV_FIXED, fd, iovecs, nr_vecs, offset, flags,
			 buf_index))
OP(aring_fsync, (aring_loop *loop, int fd, unsigned fsync_flags, const struct aring_opt *opt),
   io_uring_prep_fsync(sqe, fd, fsync_flags))
OP(aring_sync_file_range, (aring_loop *loop, int fd, unsigned len, uint64_t offset, int flags,
			   const struct aring_opt *opt),
   io_uring_prep_sync_file_range(sqe, fd, len, offset, flags))
OP(aring_fallocate, (aring_loop *loop, int fd, int mode, uint64_t offset, uint64_t len,
		     const struct aring_opt *opt),
   io_uring_prep_fallocate(sqe, fd, mode, offset, len))
/*
 * A length that fits in 32 bits goes in sqe->len, which every kernel reads.
 * A longer one goes where Linux 6.11 looks first (kernel io_uring/advise.c
 * io_fadvise_prep(): sqe->addr; io_madvise_prep(): sqe->off); an older
 * kernel refuses a nonzero value there with -EINVAL rather than advising
 * a truncated range.
 */
static void prep_fadvise(struct io_uring_sqe *sqe, int fd, uint64_t offset, off_t len,
			 int advice)
{
	io_uring_prep_fadvise(sqe, fd, offset, 0, advice);
	sqe->len = (uint64_t)len <= UINT32_MAX ? (uint32_t)len : 0;
	sqe->addr = (uint64_t)len <= UINT32_MAX ? 0 : (uint64_t)len;
}

static void prep_madvise(struct io_uring_sqe *sqe, void *addr, off_t length, int advice)
{
	io_uring_prep_madvise(sqe, addr, 0, advice);
	sqe->len = (uint64_t)length <= UINT32_MAX ? (uint32_t)length : 0;
	sqe->off = (uint64_t)length <= UINT32_MAX ? 0 : (uint64_t)length;
}

OP(aring_fadvise, (aring_loop *loop, int fd, uint64_t offset, off_t len, int advice,
		   const struct aring_opt *opt),
   prep_fadvise(sqe, fd, offset, len, advice))
OP(aring_madvise, (aring_loop *loop, void *addr, off_t length, int advice,
		   const struct aring_opt *opt),
   prep_madvise(sqe, addr, length, advice))
OP(aring_ftruncate, (aring_loop *loop, int fd, loff_t len, const struct aring_opt *opt),
   aring__prep_ftruncate(sqe, fd, len))
OP(aring_openat, (aring_loop *loop, int dfd, const char *path, int flags, mode_t mode,
		  const struct aring_opt *opt),
   io_uring_prep_openat(sqe, dfd, path, flags, mode))
OP(aring_openat2, (aring_loop *loop, int dfd, const char *path, struct open_how *how,
		   const struct aring_opt *opt),
   io_uring_prep_openat2(sqe, dfd, path, how))
OP_(static, close_fd, (aring_loop *loop, int fd, const struct aring_opt *opt),
   io_uring_prep_close(sqe, fd))

/*
 * Direct descriptors (include/aring.h "Registered files and buffers"): the
 * SQE's file_index is the slot + 1, or IORING_FILE_INDEX_ALLOC (kernel
 * filetable.c __io_fixed_fd_install()), as liburing's *_direct preps set it.
 */
static inline void direct(struct io_uring_sqe *sqe, unsigned file_index)
{
	sqe->file_index = file_index == IORING_FILE_INDEX_ALLOC ? file_index : file_index + 1;
}

OP(aring_openat_direct, (aring_loop *loop, int dfd, const char *path, int flags, mode_t mode,
			 unsigned file_index, const struct aring_opt *opt),
   io_uring_prep_openat(sqe, dfd, path, flags, mode); direct(sqe, file_index))
OP(aring_openat2_direct, (aring_loop *loop, int dfd, const char *path, struct open_how *how,
			  unsigned file_index, const struct aring_opt *opt),
   io_uring_prep_openat2(sqe, dfd, path, how); direct(sqe, file_index))
OP(aring_close_direct, (aring_loop *loop, unsigned file_index, const struct aring_opt *opt),
   io_uring_prep_close(sqe, 0); direct(sqe, file_index))

/*
 * A multishot request holds its own reference to the file: closing the fd
 * would not end it (kernel io_uring/openclose.c closes the fd, the request
 * keeps the file). So aring_close first cancels this loop's multishot ops
 * on fd, by their user_data (kernel cancel.c io_cancel_req_match), which
 * then return -ECANCELED; other ops on fd are left alone. ms_armed keeps
 * this off the plain path.
 */
static void close_multishots(aring_loop *loop, int fd)
{
	struct aring__op *op;

	for (;;) {
		for (op = loop->ms_ops; op; op = op->ms_next)
			if (op->ms_fd == fd && !op->ms_closing && !op->ms_stop)
				break;
		if (!op)
			return;
		op->ms_closing = true;
		/* Suspends: the list may change, so look again from its head. */
		aring__cancel_ud(loop, aring__op_ud(op, ARING__TAG_MAIN));
	}
}

ARING_API int aring_close(aring_loop *loop, int fd, const struct aring_opt *opt)
{
	aring_task *self = loop->current;
	/* Cleanup still runs in a cancelled task (core/task.c). */
	bool exempt = self && ARING_UNLIKELY(self->cancelled);
	int ret;

	if (exempt)
		self->exempt++;
	if (ARING_UNLIKELY(loop->ms_armed) && self)
		close_multishots(loop, fd);
	ret = close_fd(loop, fd, opt);
	if (exempt)
		self->exempt--;
	return ret;
}
OP_IN(aring_statx, (aring_loop *loop, int dfd, const char *path, int flags, unsigned mask,
		 struct statx *statxbuf, const struct aring_opt *opt),
   io_uring_prep_statx(sqe, dfd, path, flags, mask, statxbuf),
   filled(statxbuf, ret == 0 ? (int)sizeof(struct statx) : 0))
OP(aring_renameat, (aring_loop *loop, int olddfd, const char *oldpath, int newdfd,
		    const char *newpath, unsigned flags, const struct aring_opt *opt),
   io_uring_prep_renameat(sqe, olddfd, oldpath, newdfd, newpath, flags))
OP(aring_unlinkat, (aring_loop *loop, int dfd, const char *path, int flags,
		    const struct aring_opt *opt),
   io_uring_prep_unlinkat(sqe, dfd, path, flags))
OP(aring_mkdirat, (aring_loop *loop, int dfd, const char *path, mode_t mode,
		   const struct aring_opt *opt),
   io_uring_prep_mkdirat(sqe, dfd, path, mode))
OP(aring_symlinkat, (aring_loop *loop, const char *target, int newdirfd, const char *linkpath,
		     const struct aring_opt *opt),
   io_uring_prep_symlinkat(sqe, target, newdirfd, linkpath))
OP(aring_linkat, (aring_loop *loop, int olddfd, const char *oldpath, int newdfd,
		  const char *newpath, int flags, const struct aring_opt *opt),
   io_uring_prep_linkat(sqe, olddfd, oldpath, newdfd, newpath, flags))
OP(aring_splice, (aring_loop *loop, int fd_in, int64_t off_in, int fd_out, int64_t off_out,
		  unsigned nbytes, unsigned splice_flags, const struct aring_opt *opt),
   io_uring_prep_splice(sqe, fd_in, off_in, fd_out, off_out, nbytes, splice_flags))
OP(aring_tee, (aring_loop *loop, int fd_in, int fd_out, unsigned nbytes, unsigned splice_flags,
	       const struct aring_opt *opt),
   io_uring_prep_tee(sqe, fd_in, fd_out, nbytes, splice_flags))
OP(aring_fsetxattr, (aring_loop *loop, int fd, const char *name, const char *value, int flags,
		     unsigned len, const struct aring_opt *opt),
   io_uring_prep_fsetxattr(sqe, fd, name, value, flags, len))
OP(aring_setxattr, (aring_loop *loop, const char *name, const char *value, const char *path,
		    int flags, unsigned len, const struct aring_opt *opt),
   io_uring_prep_setxattr(sqe, name, value, path, flags, len))
OP_IN(aring_fgetxattr, (aring_loop *loop, int fd, const char *name, char *value, unsigned len,
		     const struct aring_opt *opt),
   io_uring_prep_fgetxattr(sqe, fd, name, value, len),
   filled(value, ret))
OP_IN(aring_getxattr, (aring_loop *loop, const char *name, char *value, const char *path,
		    unsigned len, const struct aring_opt *opt),
   io_uring_prep_getxattr(sqe, name, value, path, len),
   filled(value, ret))

/* ---------------------------------------------------------------- poll, epoll, ... */

OP(aring_poll_add, (aring_loop *loop, int fd, unsigned poll_mask, const struct aring_opt *opt),
   io_uring_prep_poll_add(sqe, fd, poll_mask))
/*
 * An epoll instance the loop's ops can use: epoll_create1(2) on uring and
 * epoll, on the sim an instance in the loop's fd table (sim/epoll.c).
 */
ARING_API int aring_epoll_create(aring_loop *loop, int flags)
{
	int fd;

	if (!loop)
		return -EINVAL;
	if (loop->kind == ARING_BACKEND_SIM)
		return aring__sim_epoll_new(aring__loop_backend(loop), flags);
	fd = epoll_create1(flags);
	return fd < 0 ? -errno : fd;
}
OP(aring_epoll_ctl, (aring_loop *loop, int epfd, int fd, int op_, struct epoll_event *ev,
		     const struct aring_opt *opt),
   io_uring_prep_epoll_ctl(sqe, epfd, fd, op_, ev))
OP_IN(aring_epoll_wait, (aring_loop *loop, int fd, struct epoll_event *events, int maxevents,
		      unsigned flags, const struct aring_opt *opt),
   aring__prep_epoll_wait(sqe, fd, events, maxevents, flags),
   filled(events, ret > 0 ? ret * (int)sizeof(struct epoll_event) : 0))
OP(aring_waitid, (aring_loop *loop, idtype_t idtype, id_t id, siginfo_t *infop, int options,
		  unsigned flags, const struct aring_opt *opt),
   aring__prep_waitid(sqe, idtype, id, infop, options, flags))
OP(aring_futex_wait, (aring_loop *loop, uint32_t *futex, uint64_t val, uint64_t mask,
		      uint32_t futex_flags, unsigned flags, const struct aring_opt *opt),
   aring__prep_futex(sqe, ARING_OP_FUTEX_WAIT, futex, val, mask, futex_flags, flags))
OP(aring_futex_wake, (aring_loop *loop, uint32_t *futex, uint64_t val, uint64_t mask,
		      uint32_t futex_flags, unsigned flags, const struct aring_opt *opt),
   aring__prep_futex(sqe, ARING_OP_FUTEX_WAKE, futex, val, mask, futex_flags, flags))
OP(aring_futex_waitv, (aring_loop *loop, struct futex_waitv *futex, uint32_t nr_futex,
		       unsigned flags, const struct aring_opt *opt),
   aring__prep_futex_waitv(sqe, futex, nr_futex, flags))
OP_(static, msg_ring, (aring_loop *loop, int fd, unsigned len, uint64_t data, unsigned flags,
		      const struct aring_opt *opt),
   io_uring_prep_msg_ring(sqe, fd, len, data, flags))

/* aring's own user_data cannot be forged through aring's API. */
ARING_API int aring_msg_ring(aring_loop *loop, int fd, unsigned len, uint64_t data,
			     unsigned flags, const struct aring_opt *opt)
{
	if (ARING_UD_RESERVED(data))
		return -EINVAL;
	return msg_ring(loop, fd, len, data, flags, opt);
}
OP(aring_msg_ring_fd, (aring_loop *loop, int fd, int source_slot, unsigned target_index,
		       uint64_t data, unsigned flags, const struct aring_opt *opt),
   aring__prep_msg_ring_fd(sqe, fd, source_slot, target_index, data, flags))
OP(aring_files_update, (aring_loop *loop, int *fds, unsigned nr_fds, int offset,
			const struct aring_opt *opt),
   io_uring_prep_files_update(sqe, fds, nr_fds, offset))
OP(aring_fixed_fd_install, (aring_loop *loop, int fd, unsigned flags,
			    const struct aring_opt *opt),
   aring__prep_fixed_fd_install(sqe, fd, flags))
OP(aring_provide_buffers, (aring_loop *loop, void *addr, int len, int nr, int bgid, int bid,
			   const struct aring_opt *opt),
   io_uring_prep_provide_buffers(sqe, addr, len, nr, bgid, bid))
OP(aring_remove_buffers, (aring_loop *loop, int nr, int bgid, const struct aring_opt *opt),
   io_uring_prep_remove_buffers(sqe, nr, bgid))
OP(aring_timeout, (aring_loop *loop, struct __kernel_timespec *ts, unsigned count, unsigned flags,
		   const struct aring_opt *opt),
   io_uring_prep_timeout(sqe, ts, count, flags))

/* ---------------------------------------------------------------- sockets */

/*
 * A size_t length into the SQE's 32-bit len: clamped to what one read or
 * write may move (the kernel clamps to MAX_RW_COUNT in import_ubuf and
 * rw_verify_area), never truncated (4 GiB would become 0, which a recv
 * returns like an EOF).
 */
static inline unsigned rw_len(size_t len)
{
	return len > ARING_MAX_RW_COUNT ? ARING_MAX_RW_COUNT : (unsigned)len;
}

OP(aring_socket, (aring_loop *loop, int domain, int type, int protocol, unsigned flags,
		  const struct aring_opt *opt),
   io_uring_prep_socket(sqe, domain, type, protocol, flags))
OP_IN(aring_accept, (aring_loop *loop, int fd, struct sockaddr *addr, socklen_t *addrlen, int flags,
		  const struct aring_opt *opt),
   io_uring_prep_accept(sqe, fd, addr, addrlen, flags),
   filled_addr(addr, addrlen, ret))
OP(aring_socket_direct, (aring_loop *loop, int domain, int type, int protocol, unsigned file_index,
			 unsigned flags, const struct aring_opt *opt),
   io_uring_prep_socket(sqe, domain, type, protocol, flags); direct(sqe, file_index))
OP_IN(aring_accept_direct, (aring_loop *loop, int fd, struct sockaddr *addr, socklen_t *addrlen,
			 int flags, unsigned file_index, const struct aring_opt *opt),
   io_uring_prep_accept(sqe, fd, addr, addrlen, flags); direct(sqe, file_index),
   filled_addr(addr, addrlen, ret))
OP(aring_connect, (aring_loop *loop, int fd, const struct sockaddr *addr, socklen_t addrlen,
		   const struct aring_opt *opt),
   io_uring_prep_connect(sqe, fd, addr, addrlen))
OP(aring_send, (aring_loop *loop, int fd, const void *buf, size_t len, int flags,
		const struct aring_opt *opt),
   io_uring_prep_send(sqe, fd, buf, rw_len(len), flags))
OP_IN(aring_recv, (aring_loop *loop, int fd, void *buf, size_t len, int flags,
		const struct aring_opt *opt),
   io_uring_prep_recv(sqe, fd, buf, rw_len(len), flags),
   filled(buf, ret))
OP(aring_sendmsg, (aring_loop *loop, int fd, const struct msghdr *msg, unsigned flags,
		   const struct aring_opt *opt),
   io_uring_prep_sendmsg(sqe, fd, msg, flags))
OP_IN(aring_recvmsg, (aring_loop *loop, int fd, struct msghdr *msg, unsigned flags,
		   const struct aring_opt *opt),
   io_uring_prep_recvmsg(sqe, fd, msg, flags),
   filled_msg(msg, ret))
OP(aring_send_zc, (aring_loop *loop, int fd, const void *buf, size_t len, int flags,
		   unsigned zc_flags, const struct aring_opt *opt),
   io_uring_prep_send_zc(sqe, fd, buf, rw_len(len), flags, zc_flags))
OP(aring_sendmsg_zc, (aring_loop *loop, int fd, const struct msghdr *msg, unsigned flags,
		      const struct aring_opt *opt),
   io_uring_prep_sendmsg_zc(sqe, fd, msg, flags))
OP_(static, shutdown_fd, (aring_loop *loop, int fd, int how, const struct aring_opt *opt),
   io_uring_prep_shutdown(sqe, fd, how))

/* Runs in a cancelled task too, as aring_close does. */
ARING_API int aring_shutdown(aring_loop *loop, int fd, int how, const struct aring_opt *opt)
{
	aring_task *self = loop->current;
	bool exempt = self && ARING_UNLIKELY(self->cancelled);
	int ret;

	if (exempt)
		self->exempt++;
	ret = shutdown_fd(loop, fd, how, opt);
	if (exempt)
		self->exempt--;
	return ret;
}
OP(aring_cmd_sock, (aring_loop *loop, int cmd_op, int fd, int level, int optname, void *optval,
		    int optlen, const struct aring_opt *opt),
   aring__prep_cmd_sock(sqe, cmd_op, fd, level, optname, optval, optlen))

OP_(static, uring_cmd_op, (aring_loop *loop, int fd, uint32_t cmd_op, const void *cmd,
			  size_t cmd_len, const struct aring_opt *opt),
   aring__prep_uring_cmd(sqe, fd, cmd_op, cmd, cmd_len))

/* The command area of an SQE: 16 bytes, 80 on an IORING_SETUP_SQE128 ring. */
ARING_API int aring_uring_cmd(aring_loop *loop, int fd, uint32_t cmd_op, const void *cmd,
			      size_t cmd_len, const struct aring_opt *opt)
{
	struct io_uring *ring = loop ? loop->be->ops->ring(loop->be) : NULL;
	size_t max = ring && (ring->flags & IORING_SETUP_SQE128) ? 80 : 16;

	if (cmd_len > max)
		return -EINVAL;
	if (cmd_len && !cmd)
		return -EFAULT;
	return uring_cmd_op(loop, fd, cmd_op, cmd, cmd_len, opt);
}

/*
 * bind, listen (Linux 6.11) and pipe (6.16) as ring ops where the kernel has
 * them, else the plain system call, so the program works on older kernels.
 */
OP_(static, ring_bind, (aring_loop *loop, int fd, const struct sockaddr *addr, socklen_t addrlen,
	       const struct aring_opt *opt),
   aring__prep_bind(sqe, fd, addr, addrlen))
OP_(static, ring_listen, (aring_loop *loop, int fd, int backlog, const struct aring_opt *opt),
   aring__prep_listen(sqe, fd, backlog))
OP_X(static, ring_pipe, (aring_loop *loop, int *fds, int flags, const struct aring_opt *opt),
   aring__prep_pipe(sqe, fds, flags),
     filled(fds, ret == 0 ? 2 * (int)sizeof(int) : 0))

static int syscall_result(int ret)
{
	return ret < 0 ? -errno : ret;
}

/*
 * Without the op, the system call: the backend's own model of it where it
 * has one (the sim: never a real call on a sim fd), else the real one.
 */
ARING_API int aring_bind(aring_loop *loop, int fd, const struct sockaddr *addr, socklen_t addrlen,
			 const struct aring_opt *opt)
{
	struct io_uring_sqe sqe;

	if (aring_op_supported(loop, ARING_OP_BIND))
		return ring_bind(loop, fd, addr, addrlen, opt);
	if (loop->be->ops->sync_op) {
		memset(&sqe, 0, sizeof(sqe));
		aring__prep_bind(&sqe, fd, addr, addrlen);
		return loop->be->ops->sync_op(loop->be, &sqe);
	}
	return syscall_result(bind(fd, addr, addrlen));
}

ARING_API int aring_listen(aring_loop *loop, int fd, int backlog, const struct aring_opt *opt)
{
	struct io_uring_sqe sqe;

	if (aring_op_supported(loop, ARING_OP_LISTEN))
		return ring_listen(loop, fd, backlog, opt);
	if (loop->be->ops->sync_op) {
		memset(&sqe, 0, sizeof(sqe));
		aring__prep_listen(&sqe, fd, backlog);
		return loop->be->ops->sync_op(loop->be, &sqe);
	}
	return syscall_result(listen(fd, backlog));
}

/* Direct descriptors need the ring's op: no pipe2(2) fallback. */
OP_X(ARING_API, aring_pipe_direct, (aring_loop *loop, int *fds, int flags, unsigned file_index,
				    const struct aring_opt *opt),
     aring__prep_pipe(sqe, fds, flags); direct(sqe, file_index),
     filled(fds, ret == 0 ? 2 * (int)sizeof(int) : 0))

ARING_API int aring_pipe(aring_loop *loop, int fds[2], int flags, const struct aring_opt *opt)
{
	struct io_uring_sqe sqe;

	if (!fds)
		return -EFAULT;
	if (aring_op_supported(loop, ARING_OP_PIPE))
		return ring_pipe(loop, fds, flags, opt);
	if (loop->be->ops->sync_op) {
		memset(&sqe, 0, sizeof(sqe));
		aring__prep_pipe(&sqe, fds, flags);
		return loop->be->ops->sync_op(loop->be, &sqe);
	}
	return syscall_result(pipe2(fds, flags));
}

/* ---------------------------------------------------------------- sleep */

ARING_API int aring_sleep_opt(aring_loop *loop, uint64_t ns, const struct aring_opt *opt)
{
	struct __kernel_timespec ts = {
		.tv_sec = (long long)(ns / 1000000000u),
		.tv_nsec = (long long)(ns % 1000000000u),
	};
	int ret = aring_timeout(loop, &ts, 0, 0, opt);

	return ret == -ETIME ? 0 : ret;
}

ARING_API int aring_sleep(aring_loop *loop, uint64_t ns)
{
	return aring_sleep_opt(loop, ns, NULL);
}

/* ---------------------------------------------------------------- custom */

ARING_API int aring_do(aring_loop *loop, aring_prep_fn prep, void *ctx, const struct aring_opt *opt)
{
	struct aring__op op;
	int ret;
	struct io_uring_sqe *sqe;

	if (!prep)
		return -EINVAL;
	sqe = aring__op_sqe(loop, &op, opt, &ret);
	if (!sqe)
		return ret;
	prep(sqe, ctx);  /* on a zeroed SQE: the backend's contract */
	/* A link would reach another task's SQE; a skipped CQE would never wake us. */
	sqe->flags &= (uint8_t)~(IOSQE_IO_LINK | IOSQE_IO_HARDLINK | IOSQE_CQE_SKIP_SUCCESS);
	return aring__op_run(loop, &op, opt, sqe);
}

/* Chains of up to this many SQEs keep their SQE pointers on the task's stack. */
#define CHAIN_STACK_SQES 64

/* aring_do_chain and aring_do_n (results NULL). */
static int chain(aring_loop *loop, unsigned nsqes,
		 void (*prep)(struct io_uring_sqe **sqes, void *ctx), void *ctx, int *results,
		 const struct aring_opt *opt)
{
	struct io_uring_sqe *stack_sqes[CHAIN_STACK_SQES], **sqes = stack_sqes;
	struct aring__op op;
	unsigned i;
	int ret;

	if (!prep || nsqes == 0 || nsqes > loop->be->sq_entries)
		return -EINVAL;
	if (nsqes > CHAIN_STACK_SQES) {
		sqes = malloc(nsqes * sizeof(*sqes));
		if (!sqes)
			return -ENOMEM;
	}
	ret = aring__op_begin(loop, &op, opt, sqes, nsqes);
	if (ret < 0)
		goto out;
	prep(sqes, ctx);
	/*
	 * A member that posts several CQEs would throw off the count of the
	 * chain's CQEs; a user's link timeout may complete before its target,
	 * so the order of the CQEs would no longer tell whose result is whose.
	 */
	for (i = 0; i < nsqes; i++)
		if (aring__sqe_multi_cqe(sqes[i]) ||
		    (results && sqes[i]->opcode == IORING_OP_LINK_TIMEOUT))
			break;
	if (i < nsqes) {
		aring__op_discard(loop, &op, sqes, nsqes);
		ret = -EINVAL;
		goto out;
	}
	op.results = results;
	ret = aring__op_wait(loop, &op, opt, sqes, nsqes);
	if (results)
		results[nsqes - 1] = ret;
out:
	if (sqes != stack_sqes)
		free(sqes);
	return ret;
}

ARING_API int aring_do_chain(aring_loop *loop, unsigned nsqes,
			     void (*prep)(struct io_uring_sqe **sqes, void *ctx), void *ctx,
			     int *results, const struct aring_opt *opt)
{
	if (!results)
		return -EFAULT;
	return chain(loop, nsqes, prep, ctx, results, opt);
}

ARING_API int aring_do_n(aring_loop *loop, unsigned nsqes,
			 void (*prep)(struct io_uring_sqe **sqes, void *ctx), void *ctx,
			 const struct aring_opt *opt)
{
	return chain(loop, nsqes, prep, ctx, NULL, opt);
}

/* ---------------------------------------------------------------- multishot */

/* The loop's list of armed multishot ops, for aring_close (below). */
void aring__ms_arm(aring_loop *loop, struct aring__op *op)
{
	op->ms_prev = NULL;
	op->ms_next = loop->ms_ops;
	if (loop->ms_ops)
		loop->ms_ops->ms_prev = op;
	loop->ms_ops = op;
	loop->ms_armed++;
}

void aring__ms_disarm(aring_loop *loop, struct aring__op *op)
{
	if (op->ms_prev)
		op->ms_prev->ms_next = op->ms_next;
	else
		loop->ms_ops = op->ms_next;
	if (op->ms_next)
		op->ms_next->ms_prev = op->ms_prev;
	loop->ms_armed--;
}

static int multishot(aring_loop *loop, struct aring__op *op, struct io_uring_sqe *sqe, int fd,
		     aring_multishot_fn fn, void *arg, const struct aring_opt *opt)
{
	op->flags |= ARING__OP_MULTISHOT;
	op->ms_fn = fn;
	op->ms_arg = arg;
	op->ms_stop = 0;
	op->ms_closing = false;
	op->pending = 1;
	sqe->user_data = aring__op_ud(op, ARING__TAG_MAIN);
	if (opt) {
		sqe->flags |= (uint8_t)opt->sqe_flags;
		if (opt->id) {
			aring__id_add(loop, op);
			*opt->id = op->id;
		}
	}
	op->ms_fd = (sqe->flags & IOSQE_FIXED_FILE) ? -1 : fd;
	aring__ms_arm(loop, op);
	loop->inflight++;
	while (op->pending) {
		op->task->cur_op = op;  /* aring_task_cancel ends it */
		aring__task_suspend(loop);
		if (op->ms_stop == 1 && op->pending) {
			op->ms_stop = 2;
			aring__cancel_ud(loop, aring__op_ud(op, ARING__TAG_MAIN));
		}
	}
	aring__ms_disarm(loop, op);
	if (op->flags & ARING__OP_ID)
		aring__id_del(loop, op);
	if (opt && opt->cqe_flags)
		*opt->cqe_flags = op->cqe_flags;
	return op->ms_stop ? 0 : op->res;
}

enum ms_kind { MS_ACCEPT, MS_POLL, MS_RECV_ZC };

/* Multishot requests take no linked timeout: opt may give sqe_flags and cqe_flags only. */
static int multishot_op(aring_loop *loop, enum ms_kind kind, int fd, unsigned arg2, unsigned arg3,
			aring_multishot_fn fn, void *arg, const struct aring_opt *opt)
{
	struct aring__op op;
	int ret;
	struct io_uring_sqe *sqe;

	if (!fn || (opt && opt->timeout_ns))
		return -EINVAL;
	sqe = aring__op_sqe(loop, &op, opt, &ret);
	if (!sqe)
		return ret;
	if (kind == MS_ACCEPT)
		io_uring_prep_multishot_accept(sqe, fd, NULL, NULL, (int)arg2);
	else if (kind == MS_POLL)
		io_uring_prep_poll_multishot(sqe, fd, arg2);
	else
		aring__prep_recv_zc(sqe, fd, arg2, arg3);
	return multishot(loop, &op, sqe, fd, fn, arg, opt);
}

ARING_API int aring_accept_multishot(aring_loop *loop, int fd, int flags, aring_multishot_fn fn,
				     void *arg, const struct aring_opt *opt)
{
	return multishot_op(loop, MS_ACCEPT, fd, (unsigned)flags, 0, fn, arg, opt);
}

ARING_API int aring_poll_multishot(aring_loop *loop, int fd, unsigned poll_mask,
				   aring_multishot_fn fn, void *arg, const struct aring_opt *opt)
{
	return multishot_op(loop, MS_POLL, fd, poll_mask, 0, fn, arg, opt);
}

/*
 * Without an interface queue registered at ifq_idx (aring registers none)
 * the kernel's io_recvzc_prep() answers -EINVAL, and so does the sim.
 */
ARING_API int aring_recv_zc(aring_loop *loop, int fd, unsigned ifq_idx, unsigned len,
			    aring_multishot_fn fn, void *arg, const struct aring_opt *opt)
{
	return multishot_op(loop, MS_RECV_ZC, fd, ifq_idx, len, fn, arg, opt);
}
