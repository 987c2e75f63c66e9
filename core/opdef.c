/* SPDX-License-Identifier: MIT */
/* The opcode table: see core/opdef.h (and there, how to add an opcode). */
#include "config.h"
#include <errno.h>

#include "core/opdef.h"

#define RW ARING__OPF_RW
#define NET ARING__OPF_NET
#define FS ARING__OPF_FS
#define BLK ARING__OPF_BLOCKS
#define NOF ARING__OPF_NOFAULT
#define FILE_ ARING__OPF_FILE
#define PRIO ARING__OPF_IOPRIO
#define BSEL ARING__OPF_BUFSEL
#define MULTI ARING__OPF_MULTI
#define RING ARING__OPF_RING
#define SIM ARING__OPF_SIM
#define OFF ARING__OPF_OFF_VAL
#define NOFX ARING__OPF_NOFIXED
#define KEEP ARING__OPF_KEEPLINK

/* ---------------------------------------------------------------- checks */

#define NOP_FLAGS (ARING_NOP_INJECT_RESULT | ARING_NOP_FILE | ARING_NOP_FIXED_FILE | \
		   ARING_NOP_FIXED_BUFFER | ARING_NOP_TW)

/* kernel nop.c io_nop_prep(): unknown nop_flags (CQE32 on a plain ring too). */
static int prep_nop(const struct io_uring_sqe *sqe)
{
	return ((unsigned)sqe->rw_flags & ~NOP_FLAGS) ? -EINVAL : 0;
}

/* kernel timeout.c __io_timeout_prep(); the timespec is read by the soft ring. */
static int prep_timeout(const struct io_uring_sqe *sqe)
{
	unsigned flags = sqe->timeout_flags;
	unsigned clocks = flags & IORING_TIMEOUT_CLOCK_MASK;

	if (sqe->buf_index || sqe->len != 1 || sqe->splice_fd_in)
		return -EINVAL;
	if (sqe->off && sqe->opcode == IORING_OP_LINK_TIMEOUT)
		return -EINVAL;
	if (flags & ~(IORING_TIMEOUT_ABS | IORING_TIMEOUT_CLOCK_MASK |
		      IORING_TIMEOUT_ETIME_SUCCESS | ARING_TIMEOUT_MULTISHOT))
		return -EINVAL;
	if (clocks & (clocks - 1))
		return -EINVAL;
	/* multishot requests only make sense with relative values */
	if ((flags & ARING_TIMEOUT_MULTISHOT) && (flags & IORING_TIMEOUT_ABS))
		return -EINVAL;
	return 0;
}

/* kernel timeout.c io_timeout_remove_prep() */
static int prep_timeout_remove(const struct io_uring_sqe *sqe)
{
	unsigned flags = sqe->timeout_flags;
	unsigned clocks = flags & IORING_TIMEOUT_CLOCK_MASK;

	if (sqe->buf_index || sqe->len || sqe->splice_fd_in)
		return -EINVAL;
	if (flags & IORING_TIMEOUT_UPDATE_MASK) {
		if (clocks & (clocks - 1))
			return -EINVAL;
		if (flags & ~(IORING_TIMEOUT_UPDATE_MASK | IORING_TIMEOUT_ABS))
			return -EINVAL;
		return 0;
	}
	return flags ? -EINVAL : 0; /* removal takes no flags */
}

#define CANCEL_FLAGS (IORING_ASYNC_CANCEL_ALL | IORING_ASYNC_CANCEL_FD | IORING_ASYNC_CANCEL_ANY | \
		      IORING_ASYNC_CANCEL_FD_FIXED | ARING_ASYNC_CANCEL_USERDATA | \
		      ARING_ASYNC_CANCEL_OP)

/* kernel cancel.c io_async_cancel_prep(): len is read only with CANCEL_OP. */
static int prep_cancel(const struct io_uring_sqe *sqe)
{
	unsigned flags = sqe->cancel_flags;

	if (sqe->flags & IOSQE_BUFFER_SELECT)
		return -EINVAL;
	if (sqe->off || sqe->splice_fd_in)
		return -EINVAL;
	if (flags & ~CANCEL_FLAGS)
		return -EINVAL;
	if ((flags & IORING_ASYNC_CANCEL_ANY) &&
	    (flags & (IORING_ASYNC_CANCEL_FD | ARING_ASYNC_CANCEL_OP)))
		return -EINVAL;
	return 0;
}

/*
 * kernel rw.c io_prep_rw() -> block/ioprio.c ioprio_check_cap(): the class
 * and level of a nonzero ioprio. (Class RT also needs CAP_SYS_NICE; the
 * soft ring does not know the caller's capabilities and lets it through.)
 */
static int prep_rw(const struct io_uring_sqe *sqe)
{
	unsigned class = (sqe->ioprio >> 13) & 7u, level = sqe->ioprio & 7u;

	if (!sqe->ioprio)
		return 0;
	switch (class) {
	case 1: /* IOPRIO_CLASS_RT */
	case 2: /* IOPRIO_CLASS_BE: level < IOPRIO_NR_LEVELS, always true of 3 bits */
	case 3: /* IOPRIO_CLASS_IDLE */
		return 0;
	case 0: /* IOPRIO_CLASS_NONE */
		return level ? -EINVAL : 0;
	default:
		return -EINVAL;
	}
}

/*
 * kernel rsrc.c io_files_update_prep() (IOSQE_BUFFER_SELECT is refused
 * before, by io_init_req(): -EOPNOTSUPP). Run by the soft ring
 * (backends/soft/rsrc.c).
 */
static int prep_files_update(const struct io_uring_sqe *sqe)
{
	if (sqe->flags & IOSQE_FIXED_FILE)
		return -EINVAL;
	if (sqe->rw_flags || sqe->splice_fd_in)
		return -EINVAL;
	return sqe->len ? 0 : -EINVAL;
}

/* kernel openclose.c io_install_fixed_fd_prep(); run by the soft ring (backends/soft/rsrc.c). */
static int prep_fixed_fd_install(const struct io_uring_sqe *sqe)
{
	if (sqe->off || sqe->addr || sqe->len || sqe->buf_index || sqe->splice_fd_in || sqe->addr3)
		return -EINVAL;
	/* must be a fixed file */
	if (!(sqe->flags & IOSQE_FIXED_FILE))
		return -EBADF;
	if ((unsigned)sqe->rw_flags & ~1u) /* IORING_FIXED_FD_NO_CLOEXEC */
		return -EINVAL;
	return 0;
}

/* ---------------------------------------------------------------- errors */

static const int16_t err_read[] = { -EIO, -ECONNRESET, -ETIMEDOUT, 0 };
static const int16_t err_write[] = { -EIO, -ENOSPC, -EDQUOT, -ECONNRESET, -EPIPE, 0 };
static const int16_t err_recv[] = { -ECONNRESET, -ETIMEDOUT, 0 };
static const int16_t err_send[] = { -ECONNRESET, -EPIPE, 0 };
static const int16_t err_sync[] = { -EIO, 0 };
static const int16_t err_alloc[] = { -ENOSPC, -EIO, 0 };
static const int16_t err_open[] = { -EMFILE, -ENFILE, -ENOMEM, 0 };
static const int16_t err_nomem[] = { -ENOMEM, 0 };
static const int16_t err_dirop[] = { -EIO, -ENOSPC, -ENOMEM, 0 };
static const int16_t err_unlink[] = { -EIO, -ENOMEM, 0 };
static const int16_t err_accept[] = { -ECONNABORTED, -EMFILE, -ENOMEM, 0 };
static const int16_t err_connect[] = { -ECONNREFUSED, -ETIMEDOUT, -ENETUNREACH, 0 };
static const int16_t err_socket[] = { -EMFILE, -ENOBUFS, 0 };
static const int16_t err_bind[] = { -EADDRINUSE, 0 };
static const int16_t err_pipe[] = { -EMFILE, -ENFILE, 0 };

#define OP(n, f, ...) { .name = n, .flags = (f), __VA_ARGS__ }

/*
 * Which failures break a link (KEEP = ARING__OPF_KEEPLINK), as Linux 6.18
 * decides: a chain breaks only on REQ_F_FAIL (io_uring.c io_req_find_next()
 * -> io_fail_links()); req_set_fail() sets it. It is set for every op
 *   - by the core for an error its prep returns (io_submit_fail_init()),
 *     for a file io_assign_file() cannot find (-EBADF), and for an error
 *     its issue function returns (io_issue_sqe() -> io_req_defer_failed()),
 *     e.g. -ENOTSOCK of net.c io_shutdown(), an executor's -EOPNOTSUPP;
 *   - by the op's own handler on a negative result, for all ops but KEEP:
 *     rw.c (read*, write*: __io_complete_rw_common(), also for a short
 *     transfer), net.c (send*, recv*, accept, connect, bind, listen,
 *     socket; with MSG_WAITALL a short send or receive too: "ret < min_ret"),
 *     splice.c (splice, tee: any result != len), nop.c io_nop()
 *     (INJECT_RESULT), advise.c io_fadvise(), openclose.c (openat*, close,
 *     fixed_fd_install, pipe), epoll.c (epoll_ctl, epoll_wait),
 *     msg_ring.c, uring_cmd.c io_uring_cmd(), futex.c, waitid.c,
 *     poll.c, timeout.c (timeout: -ETIME unless ETIME_SUCCESS), cancel.c,
 *     kbuf.c, rsrc.c io_files_update();
 *   - never by the handler of a KEEP op, which stores its result with
 *     io_req_set_res() alone: sync.c io_fsync(), io_sync_file_range(),
 *     io_fallocate(); truncate.c io_ftruncate(); statx.c io_statx();
 *     advise.c io_madvise(); net.c io_shutdown() (__sys_shutdown_sock()'s
 *     error); fs.c io_renameat(), io_unlinkat(), io_mkdirat(),
 *     io_symlinkat(), io_linkat(); xattr.c io_xattr_finish() (the four
 *     xattr ops). Their next member runs after, e.g., an fgetxattr's
 *     -ENODATA.
 * The soft ring fails a request on a negative result unless its op is
 * KEEP (aring__soft_complete()); an executor says the rest itself
 * (aring__soft_req_set_fail(): short transfers, a KEEP op's bad fd or prep
 * error). tests/conform_cases.c linkfail_* check it against the kernel.
 */

const struct aring__opdef aring__opdefs[ARING_OP_LAST] = {
	[IORING_OP_NOP]             = OP("nop", NOF | RING | SIM, .prep = prep_nop,
					 .since = "5.1", .test = "test_smoke"),
	[IORING_OP_READV]           = OP("readv", RW | BLK | FILE_ | PRIO | BSEL | SIM | OFF,
					 .errors = err_read, .prep = prep_rw,
					 .since = "5.1", .test = "test_rw", .epoll = 1),
	[IORING_OP_WRITEV]          = OP("writev", RW | BLK | FILE_ | PRIO | SIM | OFF,
					 .errors = err_write, .prep = prep_rw,
					 .since = "5.1", .test = "test_rw", .epoll = 1),
	[IORING_OP_FSYNC]           = OP("fsync", FS | FILE_ | SIM | OFF | KEEP, .errors = err_sync,
					 .since = "5.1", .test = "test_rw", .epoll = 1),
	[IORING_OP_READ_FIXED]      = OP("read_fixed", RW | BLK | FILE_ | PRIO | SIM | OFF,
					 .errors = err_read, .prep = prep_rw,
					 .since = "5.1", .test = "test_fixed_files", .epoll = 1),
	[IORING_OP_WRITE_FIXED]     = OP("write_fixed", RW | BLK | FILE_ | PRIO | SIM | OFF,
					 .errors = err_write, .prep = prep_rw,
					 .since = "5.1", .test = "test_fixed_files", .epoll = 1),
	[IORING_OP_POLL_ADD]        = OP("poll_add", BLK | FILE_ | SIM | OFF, .ms_field = ARING__MS_LEN,
					 .ms_mask = IORING_POLL_ADD_MULTI,
					 .since = "5.1", .test = "test_poll", .epoll = 1),
	[IORING_OP_POLL_REMOVE]     = OP("poll_remove", NOF | SIM,
					 .since = "5.1", .test = "test_poll", .epoll = 1),
	[IORING_OP_SYNC_FILE_RANGE] = OP("sync_file_range", FS | FILE_ | SIM | OFF | KEEP,
					 .errors = err_sync,
					 .since = "5.2", .test = "test_rw", .epoll = 1),
	[IORING_OP_SENDMSG]         = OP("sendmsg", RW | NET | BLK | FILE_ | PRIO | SIM,
					 .errors = err_send,
					 .since = "5.3", .test = "test_net", .epoll = 1),
	[IORING_OP_RECVMSG]         = OP("recvmsg", RW | NET | BLK | FILE_ | PRIO | BSEL | SIM,
					 .errors = err_recv, .ms_field = ARING__MS_IOPRIO,
					 .ms_mask = IORING_RECV_MULTISHOT,
					 .since = "5.3", .test = "test_net", .epoll = 1),
	[IORING_OP_TIMEOUT]         = OP("timeout", BLK | NOF | RING | SIM | OFF, .prep = prep_timeout,
					 .ms_field = ARING__MS_OP_FLAGS, .ms_mask = ARING_TIMEOUT_MULTISHOT,
					 .since = "5.4", .test = "test_opt"),
	[IORING_OP_TIMEOUT_REMOVE]  = OP("timeout_remove", NOF | RING | SIM,
					 .prep = prep_timeout_remove,
					 .since = "5.5", .test = "test_opt"),
	[IORING_OP_ACCEPT]          = OP("accept", NET | BLK | FILE_ | PRIO | SIM,
					 .errors = err_accept, .ms_field = ARING__MS_IOPRIO,
					 .ms_mask = IORING_ACCEPT_MULTISHOT,
					 .since = "5.5", .test = "test_net", .epoll = 1),
	[IORING_OP_ASYNC_CANCEL]    = OP("cancel", NOF | RING | SIM, .prep = prep_cancel,
					 .since = "5.5", .test = "test_cancel"),
	[IORING_OP_LINK_TIMEOUT]    = OP("link_timeout", BLK | NOF | RING | SIM | OFF,
					 .prep = prep_timeout,
					 .since = "5.5", .wrapper = "aring_opt.timeout_ns", .test = "test_cancel"),
	[IORING_OP_CONNECT]         = OP("connect", NET | BLK | FILE_ | SIM | OFF, .errors = err_connect,
					 .since = "5.5", .test = "test_net", .epoll = 1),
	[IORING_OP_FALLOCATE]       = OP("fallocate", FS | FILE_ | SIM | OFF | KEEP, .errors = err_alloc,
					 .since = "5.6", .test = "test_rw", .epoll = 1),
	[IORING_OP_OPENAT]          = OP("openat", FS | SIM | OFF | NOFX, .errors = err_open,
					 .since = "5.6", .test = "test_fs", .epoll = 1),
	[IORING_OP_CLOSE]           = OP("close", SIM | OFF | NOFX,
					 .since = "5.6", .test = "test_fs", .epoll = 1),
	[IORING_OP_FILES_UPDATE]    = OP("files_update", NOF | RING | SIM | OFF,
					 .prep = prep_files_update,
					 .since = "5.6", .test = "test_fixed_files", .epoll = 1),
	[IORING_OP_STATX]           = OP("statx", FS | SIM | NOFX | KEEP, .errors = err_nomem,
					 .since = "5.6", .test = "test_fs", .epoll = 1),
	[IORING_OP_READ]            = OP("read", RW | BLK | FILE_ | PRIO | BSEL | SIM | OFF,
					 .errors = err_read, .prep = prep_rw,
					 .since = "5.6", .test = "test_rw", .epoll = 1),
	[IORING_OP_WRITE]           = OP("write", RW | BLK | FILE_ | PRIO | SIM | OFF,
					 .errors = err_write, .prep = prep_rw,
					 .since = "5.6", .test = "test_rw", .epoll = 1),
	[IORING_OP_FADVISE]         = OP("fadvise", FS | FILE_ | SIM | OFF,
					 .since = "5.6", .test = "test_rw", .epoll = 1),
	[IORING_OP_MADVISE]         = OP("madvise", SIM | OFF | KEEP,
					 .since = "5.6", .test = "test_limits", .epoll = 1),
	[IORING_OP_SEND]            = OP("send", RW | NET | BLK | FILE_ | PRIO | BSEL | SIM,
					 .errors = err_send, .ms_field = ARING__MS_IOPRIO,
					 .ms_mask = ARING_RECVSEND_BUNDLE, /* a CQE per bundle */
					 .since = "5.6", .test = "test_net", .epoll = 1),
	[IORING_OP_RECV]            = OP("recv", RW | NET | BLK | FILE_ | PRIO | BSEL | SIM,
					 .errors = err_recv, .ms_field = ARING__MS_IOPRIO,
					 .ms_mask = IORING_RECV_MULTISHOT,
					 .since = "5.6", .test = "test_net", .epoll = 1),
	[IORING_OP_OPENAT2]         = OP("openat2", FS | SIM | NOFX, .errors = err_open,
					 .since = "5.6", .test = "test_fs", .epoll = 1),
	[IORING_OP_EPOLL_CTL]       = OP("epoll_ctl", SIM,
					 .since = "5.6", .test = "test_epoll"),
	[IORING_OP_SPLICE]          = OP("splice", RW | BLK | FILE_ | SIM,
					 .since = "5.7", .test = "test_splice", .epoll = 1),
	[IORING_OP_PROVIDE_BUFFERS] = OP("provide_buffers", NOF | RING | SIM,
					 .since = "5.7", .test = "test_bufring", .epoll = 1),
	[IORING_OP_REMOVE_BUFFERS]  = OP("remove_buffers", NOF | RING | SIM,
					 .since = "5.7", .test = "test_bufring", .epoll = 1),
	[IORING_OP_TEE]             = OP("tee", RW | BLK | FILE_ | SIM,
					 .since = "5.8", .test = "test_splice", .epoll = 1),
	[IORING_OP_SHUTDOWN]        = OP("shutdown", NET | FILE_ | SIM | OFF | KEEP,
					 .since = "5.11", .test = "test_net", .epoll = 1),
	[IORING_OP_RENAMEAT]        = OP("renameat", FS | SIM | NOFX | KEEP, .errors = err_dirop,
					 .since = "5.11", .test = "test_fs", .epoll = 1),
	[IORING_OP_UNLINKAT]        = OP("unlinkat", FS | SIM | OFF | NOFX | KEEP, .errors = err_unlink,
					 .since = "5.11", .test = "test_fs", .epoll = 1),
	[IORING_OP_MKDIRAT]         = OP("mkdirat", FS | SIM | OFF | NOFX | KEEP, .errors = err_dirop,
					 .since = "5.15", .test = "test_fs", .epoll = 1),
	[IORING_OP_SYMLINKAT]       = OP("symlinkat", FS | SIM | NOFX | KEEP, .errors = err_dirop,
					 .since = "5.15", .test = "test_fs", .epoll = 1),
	[IORING_OP_LINKAT]          = OP("linkat", FS | SIM | NOFX | KEEP, .errors = err_dirop,
					 .since = "5.15", .test = "test_fs", .epoll = 1),
	[IORING_OP_MSG_RING]        = OP("msg_ring", FILE_ | SIM,
					 .since = "5.18", .test = "test_msg_ring",
					 .wrapper = "aring_msg_ring, aring_msg_ring_fd"),
	[IORING_OP_FSETXATTR]       = OP("fsetxattr", FS | FILE_ | SIM | KEEP,
					 .since = "5.19", .test = "test_xattr"),
	[IORING_OP_SETXATTR]        = OP("setxattr", FS | NOFX | SIM | KEEP,
					 .since = "5.19", .test = "test_xattr"),
	[IORING_OP_FGETXATTR]       = OP("fgetxattr", FS | FILE_ | SIM | KEEP,
					 .since = "5.19", .test = "test_xattr"),
	[IORING_OP_GETXATTR]        = OP("getxattr", FS | NOFX | SIM | KEEP,
					 .since = "5.19", .test = "test_xattr"),
	[IORING_OP_SOCKET]          = OP("socket", NET | SIM | OFF, .errors = err_socket,
					 .since = "5.19", .test = "test_net", .epoll = 1),
	[IORING_OP_URING_CMD]       = OP("uring_cmd", FILE_ | SIM, .ms_field = ARING__MS_OP_FLAGS,
					 .ms_mask = ARING__URING_CMD_MULTISHOT,
					 .since = "5.19", .test = "test_waitid", .wrapper = "aring_uring_cmd, aring_cmd_sock"),
	[IORING_OP_SEND_ZC]         = OP("send_zc", RW | NET | BLK | FILE_ | PRIO | MULTI | SIM,
					 .errors = err_send,
					 .since = "6.0", .test = "test_chain", .epoll = 1),
	[IORING_OP_SENDMSG_ZC]      = OP("sendmsg_zc", RW | NET | BLK | FILE_ | PRIO | MULTI | SIM,
					 .errors = err_send,
					 .since = "6.1", .test = "test_chain", .epoll = 1),
	[ARING_OP_READ_MULTISHOT]   = OP("read_multishot", RW | BLK | FILE_ | PRIO | BSEL | MULTI | SIM | OFF,
					 .prep = prep_rw,
					 .since = "6.7", .test = "test_bufring"),
	[ARING_OP_WAITID]           = OP("waitid", BLK | SIM,
					 .since = "6.7", .test = "test_waitid"),
	[ARING_OP_FUTEX_WAIT]       = OP("futex_wait", BLK | SIM,
					 .since = "6.7", .test = "test_futex"),
	[ARING_OP_FUTEX_WAKE]       = OP("futex_wake", SIM,
					 .since = "6.7", .test = "test_futex"),
	[ARING_OP_FUTEX_WAITV]      = OP("futex_waitv", BLK | SIM,
					 .since = "6.7", .test = "test_futex"),
	[ARING_OP_FIXED_FD_INSTALL] = OP("fixed_fd_install", FILE_ | NOF | RING | SIM,
					 .prep = prep_fixed_fd_install,
					 .since = "6.8", .test = "test_fixed_files", .epoll = 1),
	[ARING_OP_FTRUNCATE]        = OP("ftruncate", FS | FILE_ | SIM | OFF | KEEP, .errors = err_sync,
					 .since = "6.9", .test = "test_rw", .epoll = 1),
	[ARING_OP_BIND]             = OP("bind", NET | FILE_ | SIM | OFF, .errors = err_bind,
					 .since = "6.11", .test = "test_net", .epoll = 1),
	[ARING_OP_LISTEN]           = OP("listen", NET | FILE_ | SIM | OFF,
					 .since = "6.11", .test = "test_net", .epoll = 1),
	[ARING_OP_RECV_ZC]          = OP("recv_zc", RW | NET | BLK | FILE_ | PRIO | MULTI | SIM,
					 .since = "6.15", .test = "test_waitid"),
	[ARING_OP_EPOLL_WAIT]       = OP("epoll_wait", BLK | FILE_ | SIM,
					 .since = "6.15", .test = "test_epoll"),
	[ARING_OP_READV_FIXED]      = OP("readv_fixed", RW | BLK | FILE_ | PRIO | SIM | OFF,
					 .errors = err_read, .prep = prep_rw,
					 .since = "6.15", .test = "test_fixed_files", .epoll = 1),
	[ARING_OP_WRITEV_FIXED]     = OP("writev_fixed", RW | BLK | FILE_ | PRIO | SIM | OFF,
					 .errors = err_write, .prep = prep_rw,
					 .since = "6.15", .test = "test_fixed_files", .epoll = 1),
	[ARING_OP_PIPE]             = OP("pipe", SIM | OFF, .errors = err_pipe,
					 .since = "6.16", .test = "test_pipe", .epoll = 1),
};

_Static_assert(sizeof(aring__opdefs) / sizeof(aring__opdefs[0]) == ARING_OP_LAST,
	       "one opdef per opcode");
