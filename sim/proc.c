/* SPDX-License-Identifier: MIT */
/*
 * Processes: WAITID (kernel io_uring/waitid.c on kernel/exit.c).
 *
 * A sim loop is a process without children: the sim cannot fork, so no
 * child ever exists to wait for. WAITID checks its arguments as the kernel
 * does and then answers what the kernel's __do_wait() answers a process
 * without children: -ECHILD (with WNOHANG too). infop is never written.
 * P_PIDFD needs a pidfd, which the sim has none of: -EBADF for any fd.
 */
#include "config.h"
#include <errno.h>
#include <sys/wait.h>

#include "sim/sim.h"

#define WAITID_OPTIONS (WNOHANG | WNOWAIT | WEXITED | WSTOPPED | WCONTINUED | __WNOTHREAD | \
			__WCLONE | __WALL)
#define P_PIDFD_ 3 /* include/uapi/linux/wait.h */

/* kernel io_uring/waitid.c io_waitid_prep(): the fields it does not read are 0. */
static int prep_waitid(struct sim *s, struct sim_req *r)
{
	(void)s;
	/* sqe->rw_flags is the kernel's sqe->waitid_flags (one union) */
	if (r->sqe.addr || r->sqe.buf_index || r->sqe.addr3 || r->sqe.rw_flags)
		return -EINVAL;
	return 0;
}

/*
 * kernel io_uring/waitid.c io_waitid() -> kernel/exit.c
 * kernel_waitid_prepare(): unknown options, or none of WEXITED, WSTOPPED,
 * WCONTINUED -EINVAL; P_PID with id <= 0, P_PGID or P_PIDFD with id < 0, an
 * unknown idtype -EINVAL; P_PIDFD of a file that is no pidfd -EBADF
 * (pidfd_get_pid()). Then __do_wait(): no child -ECHILD.
 */
static enum sim_exec op_waitid(struct sim *s, struct sim_req *r)
{
	unsigned options = r->sqe.file_index, which = r->sqe.len;
	int id = r->sqe.fd;

	(void)s;
	if ((options & ~(unsigned)WAITID_OPTIONS) || !(options & (WEXITED | WSTOPPED | WCONTINUED)))
		r->res = -EINVAL;
	else if (which == P_ALL)
		r->res = -ECHILD;
	else if (which == P_PID)
		r->res = id <= 0 ? -EINVAL : -ECHILD;
	else if (which == P_PGID)
		r->res = id < 0 ? -EINVAL : -ECHILD;
	else if (which == P_PIDFD_)
		r->res = id < 0 ? -EINVAL : -EBADF;
	else
		r->res = -EINVAL;
	return SIM_DONE;
}

/* The ops this file models: its part of the sim's op table (sim/ops.c). */
const struct sim_opdef aring__sim_proc_ops[ARING_OP_LAST] = {
	[ARING_OP_WAITID] = { .prep = prep_waitid, .exec = op_waitid },
};
