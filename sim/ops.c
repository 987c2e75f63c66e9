/* SPDX-License-Identifier: MIT */
/*
 * The simulator's op table, indexed by opcode: the model's own checks at
 * submit, how to run each op, whether it runs with no latency, and whether
 * sqe->off is a value the trace may hash. The generic facts (name, file,
 * ioprio, multishot, errors, modelled or not) are core/opdef.c's.
 *
 * An opcode with no exec is not modelled: it fails with -EOPNOTSUPP at
 * submit. ARING__OPF_SIM in core/opdef.c says the same (checked at start).
 */
#include "config.h"
#include <errno.h>

#include "sim/sim.h"

const struct sim_opdef aring__sim_opdefs[ARING_OP_LAST] = {
	/* nop, timeouts, cancel: run by the soft ring (ARING__OPF_RING). */
	[IORING_OP_READV]           = { .prep = aring__sim_prep_rw, .exec = aring__sim_op_rw,
					.off_val = 1 },
	[IORING_OP_WRITEV]          = { .prep = aring__sim_prep_rw, .exec = aring__sim_op_rw,
					.off_val = 1 },
	[IORING_OP_FSYNC]           = { .exec = aring__sim_op_fsync, .off_val = 1 },
	[IORING_OP_POLL_ADD]        = { .prep = aring__sim_prep_poll_add,
					.exec = aring__sim_op_poll_add, .off_val = 1 },
	[IORING_OP_POLL_REMOVE]     = { .prep = aring__sim_prep_poll_remove,
					.exec = aring__sim_op_poll_remove, .instant = 1 },
	[IORING_OP_SYNC_FILE_RANGE] = { .exec = aring__sim_op_sync_file_range,
					.off_val = 1 },
	[IORING_OP_SENDMSG]         = { .prep = aring__sim_prep_msg, .exec = aring__sim_op_msg },
	[IORING_OP_RECVMSG]         = { .prep = aring__sim_prep_msg, .exec = aring__sim_op_msg },
	[IORING_OP_TIMEOUT]         = { .off_val = 1 },
	[IORING_OP_ACCEPT]          = { .exec = aring__sim_op_accept },
	[IORING_OP_LINK_TIMEOUT]    = { .off_val = 1 },
	[IORING_OP_CONNECT]         = { .exec = aring__sim_op_connect, .off_val = 1 },
	[IORING_OP_FALLOCATE]       = { .exec = aring__sim_op_fallocate, .off_val = 1 },
	[IORING_OP_OPENAT]          = { .exec = aring__sim_op_openat, .off_val = 1 },
	[IORING_OP_CLOSE]           = { .exec = aring__sim_op_close, .off_val = 1 },
	[IORING_OP_STATX]           = { .exec = aring__sim_op_statx },
	[IORING_OP_READ]            = { .prep = aring__sim_prep_rw, .exec = aring__sim_op_rw,
					.off_val = 1 },
	[IORING_OP_WRITE]           = { .prep = aring__sim_prep_rw, .exec = aring__sim_op_rw,
					.off_val = 1 },
	[IORING_OP_FADVISE]         = { .exec = aring__sim_op_fadvise, .off_val = 1 },
	[IORING_OP_MADVISE]         = { .exec = aring__sim_op_madvise },
	[IORING_OP_SEND]            = { .exec = aring__sim_op_sendrecv },
	[IORING_OP_RECV]            = { .exec = aring__sim_op_sendrecv },
	[IORING_OP_OPENAT2]         = { .exec = aring__sim_op_openat },
	[IORING_OP_SHUTDOWN]        = { .exec = aring__sim_op_shutdown, .off_val = 1 },
	[IORING_OP_RENAMEAT]        = { .exec = aring__sim_op_renameat },
	[IORING_OP_UNLINKAT]        = { .exec = aring__sim_op_unlinkat, .off_val = 1 },
	[IORING_OP_MKDIRAT]         = { .exec = aring__sim_op_mkdirat, .off_val = 1 },
	[IORING_OP_SYMLINKAT]       = { .exec = aring__sim_op_symlinkat },
	[IORING_OP_LINKAT]          = { .exec = aring__sim_op_linkat },
	[IORING_OP_SOCKET]          = { .exec = aring__sim_op_socket, .off_val = 1 },
	[IORING_OP_SEND_ZC]         = { .exec = aring__sim_op_sendrecv },
	[IORING_OP_SENDMSG_ZC]      = { .prep = aring__sim_prep_msg, .exec = aring__sim_op_msg },
	[ARING_OP_FTRUNCATE]        = { .exec = aring__sim_op_ftruncate, .off_val = 1 },
	[ARING_OP_BIND]             = { .exec = aring__sim_op_bind, .off_val = 1 },
	[ARING_OP_LISTEN]           = { .exec = aring__sim_op_listen, .off_val = 1 },
	[ARING_OP_PIPE]             = { .exec = aring__sim_op_pipe, .off_val = 1 },
};

_Static_assert(sizeof(aring__sim_opdefs) / sizeof(aring__sim_opdefs[0]) == ARING_OP_LAST,
	       "one sim opdef per opcode");

bool aring__sim_has_op(unsigned opcode)
{
	return opcode < ARING_OP_LAST && aring__sim_opdefs[opcode].exec != NULL;
}

/* The op table's ARING__OPF_SIM agrees with the model's table. */
bool aring__sim_opdefs_agree(void)
{
	unsigned op;

	for (op = 0; op < ARING_OP_LAST; op++) {
		unsigned f = aring__opdefs[op].flags;
		bool modelled = (f & ARING__OPF_SIM) && !(f & ARING__OPF_RING);

		if (modelled != aring__sim_has_op(op))
			return false;
	}
	return true;
}
