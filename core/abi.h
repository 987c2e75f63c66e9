/* SPDX-License-Identifier: MIT */
/*
 * The parts of the kernel's io_uring ABI (include/uapi/linux/io_uring.h, as
 * of Linux 6.18) that liburing 2.3's header lacks, and prep helpers for the
 * opcodes it does not know. Everything here is ARING_-prefixed so it never
 * clashes with a newer liburing that defines the same thing.
 */
#ifndef ARING_CORE_ABI_H
#define ARING_CORE_ABI_H

#include <liburing.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <signal.h>
#include <sys/wait.h>

struct futex_waitv;
struct epoll_event;

/* Opcodes after IORING_OP_SENDMSG_ZC (48). */
#define ARING_OP_READ_MULTISHOT   49
#define ARING_OP_WAITID           50
#define ARING_OP_FUTEX_WAIT       51
#define ARING_OP_FUTEX_WAKE       52
#define ARING_OP_FUTEX_WAITV      53
#define ARING_OP_FIXED_FD_INSTALL 54
#define ARING_OP_FTRUNCATE        55
#define ARING_OP_BIND             56
#define ARING_OP_LISTEN           57
#define ARING_OP_RECV_ZC          58
#define ARING_OP_EPOLL_WAIT       59
#define ARING_OP_READV_FIXED      60
#define ARING_OP_WRITEV_FIXED     61
#define ARING_OP_PIPE             62
#define ARING_OP_LAST             63

_Static_assert(IORING_OP_SENDMSG_ZC == 48, "liburing opcode numbering");

/* sqe->timeout_flags */
#define ARING_TIMEOUT_MULTISHOT (1U << 6)

/* sqe->cancel_flags */
#define ARING_ASYNC_CANCEL_USERDATA (1U << 4)
#define ARING_ASYNC_CANCEL_OP       (1U << 5)

/* sqe->ioprio of send and recv: a bundle of provided buffers (Linux 6.10) */
#define ARING_RECVSEND_BUNDLE (1U << 4)
/* sqe->ioprio of send and send_zc: sqe->addr is an iovec array (Linux 6.17) */
#define ARING_SEND_VECTORIZED (1U << 5)
/* sqe->ioprio of send_zc and sendmsg_zc: the notification's res says whether
 * the data was copied (Linux 6.2: IORING_SEND_ZC_REPORT_USAGE) */
#define ARING_SEND_ZC_REPORT_USAGE (1U << 3)
#define ARING_NOTIF_USAGE_ZC_COPIED (1U << 31)

/* Provided buffer rings: io_uring_buf_reg.flags (the `pad` of liburing 2.3's
 * header), and the CQE flag of a buffer an incremental ring keeps using. */
#define ARING_IOU_PBUF_RING_MMAP 1U
#define ARING_IOU_PBUF_RING_INC  2U
#define ARING_CQE_F_BUF_MORE     (1U << 4)

/*
 * struct io_uring_buf_reg's 16 bits after bgid: `pad` in liburing 2.3's
 * header, `flags` in 2.6 and later (the kernel's reg.flags since 6.8).
 * Reached by offset, so the code builds against either.
 */
#define ARING__BUF_REG_FLAGS_OFF (offsetof(struct io_uring_buf_reg, bgid) + sizeof(uint16_t))

static inline void aring__buf_reg_set_flags(struct io_uring_buf_reg *reg, uint16_t flags)
{
	memcpy((char *)reg + ARING__BUF_REG_FLAGS_OFF, &flags, sizeof(flags));
}

static inline uint16_t aring__buf_reg_flags(const struct io_uring_buf_reg *reg)
{
	uint16_t flags;

	memcpy(&flags, (const char *)reg + ARING__BUF_REG_FLAGS_OFF, sizeof(flags));
	return flags;
}

/* IORING_OP_URING_CMD on a socket: sqe->cmd_op */
#define ARING_SOCKET_URING_OP_SIOCINQ    0
#define ARING_SOCKET_URING_OP_SIOCOUTQ   1
#define ARING_SOCKET_URING_OP_GETSOCKOPT 2
#define ARING_SOCKET_URING_OP_SETSOCKOPT 3

static inline void aring__prep_waitid(struct io_uring_sqe *sqe, idtype_t idtype, id_t id,
				      siginfo_t *infop, int options, unsigned flags)
{
	io_uring_prep_rw(ARING_OP_WAITID, sqe, (int)id, NULL, (unsigned)idtype, 0);
	sqe->rw_flags = (int)flags;
	sqe->file_index = (unsigned)options;
	sqe->addr2 = (uint64_t)(uintptr_t)infop;
}

static inline void aring__prep_futex(struct io_uring_sqe *sqe, int opcode, uint32_t *futex,
				     uint64_t val, uint64_t mask, uint32_t futex_flags,
				     unsigned flags)
{
	io_uring_prep_rw(opcode, sqe, (int)futex_flags, futex, 0, val);
	sqe->rw_flags = (int)flags;
	sqe->addr3 = mask;
}

static inline void aring__prep_futex_waitv(struct io_uring_sqe *sqe, struct futex_waitv *futex,
					   uint32_t nr_futex, unsigned flags)
{
	io_uring_prep_rw(ARING_OP_FUTEX_WAITV, sqe, 0, futex, nr_futex, 0);
	sqe->rw_flags = (int)flags;
}

static inline void aring__prep_fixed_fd_install(struct io_uring_sqe *sqe, int fd, unsigned flags)
{
	io_uring_prep_rw(ARING_OP_FIXED_FD_INSTALL, sqe, fd, NULL, 0, 0);
	sqe->flags = IOSQE_FIXED_FILE;
	sqe->rw_flags = (int)flags;
}

/* IORING_OP_MSG_RING, IORING_MSG_SEND_FD (liburing 2.4's io_uring_prep_msg_ring_fd()). */
static inline void aring__prep_msg_ring_fd(struct io_uring_sqe *sqe, int fd, int source_slot,
					   unsigned target_index, uint64_t data, unsigned flags)
{
	io_uring_prep_rw(IORING_OP_MSG_RING, sqe, fd, (void *)(uintptr_t)1 /* IORING_MSG_SEND_FD */,
			 0, data);
	sqe->addr3 = (uint64_t)(uint32_t)source_slot;
	sqe->file_index = target_index;
	sqe->msg_ring_flags = flags;
}

static inline void aring__prep_ftruncate(struct io_uring_sqe *sqe, int fd, loff_t len)
{
	io_uring_prep_rw(ARING_OP_FTRUNCATE, sqe, fd, NULL, 0, (uint64_t)len);
}

static inline void aring__prep_bind(struct io_uring_sqe *sqe, int fd, const struct sockaddr *addr,
				    socklen_t addrlen)
{
	io_uring_prep_rw(ARING_OP_BIND, sqe, fd, addr, 0, addrlen);
}

static inline void aring__prep_listen(struct io_uring_sqe *sqe, int fd, int backlog)
{
	io_uring_prep_rw(ARING_OP_LISTEN, sqe, fd, NULL, (unsigned)backlog, 0);
}

static inline void aring__prep_epoll_wait(struct io_uring_sqe *sqe, int fd,
					  struct epoll_event *events, int maxevents,
					  unsigned flags)
{
	io_uring_prep_rw(ARING_OP_EPOLL_WAIT, sqe, fd, events, (unsigned)maxevents, 0);
	sqe->rw_flags = (int)flags;
}

static inline void aring__prep_rwv_fixed(struct io_uring_sqe *sqe, int opcode, int fd,
					 const struct iovec *iovecs, unsigned nr_vecs,
					 uint64_t offset, int flags, int buf_index)
{
	io_uring_prep_rw(opcode, sqe, fd, iovecs, nr_vecs, offset);
	sqe->rw_flags = flags;
	sqe->buf_index = (uint16_t)buf_index;
}

static inline void aring__prep_pipe(struct io_uring_sqe *sqe, int *fds, int pipe_flags)
{
	io_uring_prep_rw(ARING_OP_PIPE, sqe, 0, fds, 0, 0);
	sqe->rw_flags = pipe_flags;
}

/* Layout of the socket command: kernel io_uring/cmd_net.c. */
static inline void aring__prep_cmd_sock(struct io_uring_sqe *sqe, int cmd_op, int fd, int level,
					int optname, void *optval, int optlen)
{
	io_uring_prep_rw(IORING_OP_URING_CMD, sqe, fd, NULL, 0, 0);
	sqe->cmd_op = (uint32_t)cmd_op;
	sqe->addr = (uint64_t)(uint32_t)level | ((uint64_t)(uint32_t)optname << 32);
	sqe->file_index = (uint32_t)optlen;
	sqe->addr3 = (uint64_t)(uintptr_t)optval;
}

/* A generic IORING_OP_URING_CMD: cmd_len bytes of command at sqe->cmd (addr3 on). */
static inline void aring__prep_uring_cmd(struct io_uring_sqe *sqe, int fd, uint32_t cmd_op,
					 const void *cmd, size_t cmd_len)
{
	io_uring_prep_rw(IORING_OP_URING_CMD, sqe, fd, NULL, 0, 0);
	sqe->cmd_op = cmd_op;
	/* From the SQE's start: the area runs past addr3 (on into the second
	   half of a 128-byte SQE), which &sqe->addr3 would not say to
	   _FORTIFY_SOURCE. */
	if (cmd_len)
		memcpy((uint8_t *)sqe + offsetof(struct io_uring_sqe, addr3), cmd, cmd_len);
}

/* IORING_OP_RECV_ZC (Linux 6.15): multishot, from zcrx interface queue ifq_idx. */
static inline void aring__prep_recv_zc(struct io_uring_sqe *sqe, int fd, unsigned ifq_idx,
				       unsigned len)
{
	io_uring_prep_rw(ARING_OP_RECV_ZC, sqe, fd, NULL, len, 0);
	sqe->ioprio = IORING_RECV_MULTISHOT;
	sqe->file_index = ifq_idx; /* the kernel's sqe->zcrx_ifq_idx */
}

#endif /* ARING_CORE_ABI_H */
