/* SPDX-License-Identifier: MIT */
/*
 * Readiness of every kind of file (kernel fs/pipe.c pipe_poll(),
 * net/ipv4/tcp.c tcp_poll()) and the poll ops (kernel io_uring/poll.c).
 *
 * A poll waits on the file's waitq and looks again at every change there.
 * Multishot polls post a CQE with IORING_CQE_F_MORE each time a change
 * finds the file ready, then wait for the next change.
 */
#include "config.h"
#include <errno.h>
#include <poll.h>

#include "sim/sim.h"

#define IN_BITS (POLLIN | POLLRDNORM)
#define OUT_BITS (POLLOUT | POLLWRNORM)

uint32_t aring__sim_poll_mask(struct sim_file *f)
{
	uint32_t m = 0;

	switch (f->type) {
	case SIM_F_REG:
	case SIM_F_DIR:
		return IN_BITS | OUT_BITS;
	case SIM_F_PIPE_R:
		if (f->pipe->len)
			m |= IN_BITS;
		if (!f->pipe->writers)
			m |= POLLHUP;
		return m;
	case SIM_F_PIPE_W:
		if (f->pipe->len < f->pipe->cap)
			m |= OUT_BITS;
		if (!f->pipe->readers)
			m |= POLLERR;
		return m;
	case SIM_F_SOCK: {
		struct sim_sock *k = f->sock;

		if (k->state == SIM_SOCK_LISTEN)
			return k->acceptq_len ? IN_BITS : 0;
		if (k->state == SIM_SOCK_NEW || k->state == SIM_SOCK_BOUND)
			return OUT_BITS | POLLHUP;
		if (sim_rx_ready(k) || (k->rd_eof && !k->rx_flight))
			m |= IN_BITS;
		if (k->rd_eof)
			m |= POLLRDHUP;
		if (k->wr_shut || k->peer_gone || !k->peer || k->peer->rx_len < SIM_SOCK_BUF)
			m |= OUT_BITS;
		if (k->err)
			m |= POLLERR;
		if ((k->rd_eof && k->wr_shut) || k->state == SIM_SOCK_CLOSED)
			m |= POLLHUP;
		return m;
	}
	case SIM_F_EPOLL:
		return aring__sim_epoll_mask(f);
	case SIM_F_RING:
		return 0; /* a ring's readiness (its CQ) is not modelled */
	}
	return 0;
}

struct sim_waitq *aring__sim_file_waitq(struct sim_file *f)
{
	switch (f->type) {
	case SIM_F_PIPE_R:
	case SIM_F_PIPE_W:
		return &f->pipe->wq;
	case SIM_F_SOCK:
		return &f->sock->wq;
	case SIM_F_EPOLL:
		return aring__sim_epoll_waitq(f);
	default:
		return NULL;
	}
}

/* kernel io_uring/poll.c io_poll_add_prep() */
int aring__sim_prep_poll_add(struct sim *s, struct sim_req *r)
{
	unsigned flags = r->sqe.len;

	(void)s;
	if (r->sqe.buf_index || r->sqe.off || r->sqe.addr)
		return -EINVAL;
	if (flags & ~(IORING_POLL_ADD_MULTI | IORING_POLL_ADD_LEVEL))
		return -EINVAL;
	if ((flags & IORING_POLL_ADD_MULTI) && (r->sqe.flags & IOSQE_CQE_SKIP_SUCCESS))
		return -EINVAL;
	r->multishot = flags & IORING_POLL_ADD_MULTI;
	r->poll_events = r->sqe.poll32_events | POLLERR | POLLHUP;
	return 0;
}

/*
 * kernel io_uring/poll.c __io_arm_poll_handler(). A file without a wait
 * queue (regular files and directories: vfs_poll() gives DEFAULT_POLLMASK,
 * POLLIN | POLLOUT | POLLRDNORM | POLLWRNORM, and never waits) completes at
 * once with the ready bits asked for, as one CQE even for a multishot poll;
 * with none of them asked (POLLPRI alone, say) or with
 * IORING_POLL_ADD_LEVEL it is -EINVAL, as the kernel answers when the file
 * registered no wait queue entry.
 */
enum sim_exec aring__sim_op_poll_add(struct sim *s, struct sim_req *r)
{
	uint32_t mask = aring__sim_poll_mask(r->file) & r->poll_events;
	struct sim_waitq *wq = aring__sim_file_waitq(r->file);

	if (!wq) {
		r->res = mask && !(r->sqe.len & IORING_POLL_ADD_LEVEL) ? (int32_t)mask : -EINVAL;
		return SIM_DONE;
	}
	if (mask) {
		r->res = (int32_t)mask;
		if (!r->multishot)
			return SIM_DONE;
		aring__sim_wait(s, r, wq);
		return SIM_MORE;
	}
	aring__sim_wait(s, r, wq);
	return SIM_BLOCK;
}

/* kernel io_uring/poll.c io_poll_remove_prep() */
int aring__sim_prep_poll_remove(struct sim *s, struct sim_req *r)
{
	unsigned flags = r->sqe.len;

	(void)s;
	if (r->sqe.buf_index || r->sqe.splice_fd_in)
		return -EINVAL;
	if (flags & ~(IORING_POLL_UPDATE_EVENTS | IORING_POLL_UPDATE_USER_DATA |
		      IORING_POLL_ADD_MULTI))
		return -EINVAL;
	if (flags == IORING_POLL_ADD_MULTI)
		return -EINVAL;
	/* A new user_data or mask without its update flag is refused. */
	if (!(flags & IORING_POLL_UPDATE_USER_DATA) && r->sqe.off)
		return -EINVAL;
	if (!(flags & IORING_POLL_UPDATE_EVENTS) && r->sqe.poll32_events)
		return -EINVAL;
	return 0;
}

/* kernel io_uring/poll.c io_poll_remove(): remove, or update events/user_data. */
enum sim_exec aring__sim_op_poll_remove(struct sim *s, struct sim_req *r)
{
	unsigned flags = r->sqe.len;
	struct sim_req *t = aring__sim_find(s, r->sqe.addr, IORING_OP_POLL_ADD);

	if (!t) {
		r->res = -ENOENT;
		return SIM_DONE;
	}
	if (!(flags & (IORING_POLL_UPDATE_EVENTS | IORING_POLL_UPDATE_USER_DATA))) {
		/* kernel io_poll_disarm(): a poll being run cannot be taken (-EALREADY) */
		if (!aring__sim_cancellable(t)) {
			r->res = -EALREADY;
			return SIM_DONE;
		}
		aring__sim_cancel_req(s, t, -ECANCELED);
		r->res = 0;
		return SIM_DONE;
	}
	if (flags & IORING_POLL_UPDATE_EVENTS) {
		t->poll_events = r->sqe.poll32_events | POLLERR | POLLHUP;
		t->multishot = flags & IORING_POLL_ADD_MULTI;
	}
	if (flags & IORING_POLL_UPDATE_USER_DATA)
		t->sqe.user_data = r->sqe.off;
	if (t->state == SIM_REQ_BLOCKED) {
		/* Look again with the new mask. */
		sim_list_del(&t->wait);
		t->state = SIM_REQ_EXEC;
		aring__sim_heap_push(s, t, s->now_ns);
	}
	r->res = 0;
	return SIM_DONE;
}

/* The ops this file models: its part of the sim's op table (sim/ops.c). */
const struct sim_opdef aring__sim_poll_ops[ARING_OP_LAST] = {
	[IORING_OP_POLL_ADD]        = { .prep = aring__sim_prep_poll_add,
					.exec = aring__sim_op_poll_add },
	[IORING_OP_POLL_REMOVE]     = { .prep = aring__sim_prep_poll_remove,
					.exec = aring__sim_op_poll_remove, .instant = 1 },
};
