/* SPDX-License-Identifier: MIT */
/*
 * The simulator's op table, indexed by opcode like the kernel's
 * io_uring/opdef.c: how to check each SQE at submit, how to run it, whether
 * it works on sqe->fd, whether it is ring control (runs at submit, in SQ
 * order), and whether sqe->off is a value the trace may hash.
 *
 * An opcode with no exec is not modelled: it completes with -EOPNOTSUPP.
 */
#include "config.h"
#include <errno.h>

#include "sim/sim.h"

const struct sim_opdef aring__sim_opdefs[ARING_OP_LAST] = {
	[IORING_OP_NOP]             = { .exec = aring__sim_op_nop },
	[IORING_OP_READV]           = { .prep = aring__sim_prep_rw, .exec = aring__sim_op_rw,
					.file = 1, .off_val = 1 },
	[IORING_OP_WRITEV]          = { .prep = aring__sim_prep_rw, .exec = aring__sim_op_rw,
					.file = 1, .off_val = 1 },
	[IORING_OP_FSYNC]           = { .exec = aring__sim_op_fsync, .file = 1, .off_val = 1 },
	[IORING_OP_POLL_ADD]        = { .prep = aring__sim_prep_poll_add,
					.exec = aring__sim_op_poll_add, .file = 1, .off_val = 1 },
	[IORING_OP_POLL_REMOVE]     = { .prep = aring__sim_prep_poll_remove,
					.exec = aring__sim_op_poll_remove, .instant = 1 },
	[IORING_OP_SYNC_FILE_RANGE] = { .exec = aring__sim_op_sync_file_range, .file = 1,
					.off_val = 1 },
	[IORING_OP_SENDMSG]         = { .prep = aring__sim_prep_msg, .exec = aring__sim_op_msg,
					.file = 1 },
	[IORING_OP_RECVMSG]         = { .prep = aring__sim_prep_msg, .exec = aring__sim_op_msg,
					.file = 1 },
	[IORING_OP_TIMEOUT]         = { .prep = aring__sim_prep_timeout,
					.exec = aring__sim_op_timeout, .instant = 1, .off_val = 1 },
	[IORING_OP_TIMEOUT_REMOVE]  = { .prep = aring__sim_prep_timeout_remove,
					.exec = aring__sim_op_timeout_remove, .instant = 1 },
	[IORING_OP_ACCEPT]          = { .exec = aring__sim_op_accept, .file = 1 },
	[IORING_OP_ASYNC_CANCEL]    = { .prep = aring__sim_prep_cancel,
					.exec = aring__sim_op_cancel, .instant = 1 },
	[IORING_OP_LINK_TIMEOUT]    = { .prep = aring__sim_prep_link_timeout,
					.exec = aring__sim_op_timeout, .instant = 1, .off_val = 1 },
	[IORING_OP_CONNECT]         = { .exec = aring__sim_op_connect, .file = 1, .off_val = 1 },
	[IORING_OP_FALLOCATE]       = { .exec = aring__sim_op_fallocate, .file = 1, .off_val = 1 },
	[IORING_OP_OPENAT]          = { .exec = aring__sim_op_openat, .off_val = 1 },
	[IORING_OP_CLOSE]           = { .exec = aring__sim_op_close, .off_val = 1 },
	[IORING_OP_STATX]           = { .exec = aring__sim_op_statx },
	[IORING_OP_READ]            = { .prep = aring__sim_prep_rw, .exec = aring__sim_op_rw,
					.file = 1, .off_val = 1 },
	[IORING_OP_WRITE]           = { .prep = aring__sim_prep_rw, .exec = aring__sim_op_rw,
					.file = 1, .off_val = 1 },
	[IORING_OP_FADVISE]         = { .exec = aring__sim_op_fadvise, .file = 1, .off_val = 1 },
	[IORING_OP_MADVISE]         = { .exec = aring__sim_op_madvise },
	[IORING_OP_SEND]            = { .exec = aring__sim_op_sendrecv, .file = 1 },
	[IORING_OP_RECV]            = { .exec = aring__sim_op_sendrecv, .file = 1 },
	[IORING_OP_OPENAT2]         = { .exec = aring__sim_op_openat },
	[IORING_OP_SHUTDOWN]        = { .exec = aring__sim_op_shutdown, .file = 1, .off_val = 1 },
	[IORING_OP_RENAMEAT]        = { .exec = aring__sim_op_renameat },
	[IORING_OP_UNLINKAT]        = { .exec = aring__sim_op_unlinkat, .off_val = 1 },
	[IORING_OP_MKDIRAT]         = { .exec = aring__sim_op_mkdirat, .off_val = 1 },
	[IORING_OP_SYMLINKAT]       = { .exec = aring__sim_op_symlinkat },
	[IORING_OP_LINKAT]          = { .exec = aring__sim_op_linkat },
	[IORING_OP_SOCKET]          = { .exec = aring__sim_op_socket, .off_val = 1 },
	[IORING_OP_SEND_ZC]         = { .exec = aring__sim_op_sendrecv, .file = 1 },
	[IORING_OP_SENDMSG_ZC]      = { .prep = aring__sim_prep_msg, .exec = aring__sim_op_msg,
					.file = 1 },
	[ARING_OP_FTRUNCATE]        = { .exec = aring__sim_op_ftruncate, .file = 1, .off_val = 1 },
	[ARING_OP_BIND]             = { .exec = aring__sim_op_bind, .file = 1, .off_val = 1 },
	[ARING_OP_LISTEN]           = { .exec = aring__sim_op_listen, .file = 1, .off_val = 1 },
	[ARING_OP_PIPE]             = { .exec = aring__sim_op_pipe, .off_val = 1 },
};

_Static_assert(sizeof(aring__sim_opdefs) / sizeof(aring__sim_opdefs[0]) == ARING_OP_LAST,
	       "one sim opdef per opcode");

bool aring__sim_has_op(unsigned opcode)
{
	return opcode < ARING_OP_LAST && aring__sim_opdefs[opcode].exec != NULL;
}
