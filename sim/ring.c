/* SPDX-License-Identifier: MIT */
/*
 * The simulator as an executor of the soft ring (backends/soft/soft.h).
 *
 * The soft ring owns every io_uring rule (links, drain, timeouts, cancel,
 * the CQ); the sim runs the requests it is handed on its world:
 *   start  resolve the file (kernel io_assign_file()), then run the model
 *          at once when the seeded latency is 0 (an inline completion, as
 *          the kernel's non-blocking issue), else after the latency;
 *   stop   a request waiting on a pipe, socket or poll (the kernel's poll
 *          path) can be stopped; one doing file or fs work in its latency
 *          runs in io-wq and cannot (-EALREADY);
 *   wait   virtual time jumps to the next event or the soft ring's next
 *          timer, whichever is first.
 */
#include "config.h"
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "sim/sim.h"

static struct sim_req *req_of(struct aring__soft_req *sr)
{
	return (struct sim_req *)sr;
}

void aring__sim_waitq_init(struct sim_waitq *wq)
{
	sim_list_init(&wq->head);
	sim_list_init(&wq->watch);
	wq->gen = 0;
}

void aring__sim_wait(struct sim *s, struct sim_req *r, struct sim_waitq *wq)
{
	(void)s;
	assert(!sim_list_linked(&r->wait));
	r->state = SIM_REQ_BLOCKED;
	sim_list_add_tail(&wq->head, &r->wait);
}

void aring__sim_wake(struct sim *s, struct sim_waitq *wq)
{
	struct sim_list *p;

	while (!sim_list_empty(&wq->head)) {
		struct sim_req *r = sim_container_of(wq->head.next, struct sim_req, wait);

		sim_list_del(&r->wait);
		r->state = SIM_REQ_EXEC;
		/* A waiter of another node of the world runs on its own node. */
		aring__sim_heap_push(r->sim ? r->sim : s, r, s->now_ns);
	}
	/* epoll items watching the file: their epolls look again (kernel ep_poll_callback()) */
	wq->gen++;
	if (wq->watch.next)
		for (p = wq->watch.next; p != &wq->watch; p = p->next)
			aring__sim_epoll_woken(s, p);
}

/* Take r out of the world: heap, waitq, its file. */
static void detach(struct sim *s, struct sim_req *r)
{
	aring__sim_heap_remove(s, r);
	if (sim_list_linked(&r->wait))
		sim_list_del(&r->wait);
	if (r->file) {
		aring__sim_file_put(s, r->file);
		r->file = NULL;
	}
	if (r->file2) {
		aring__sim_file_put(s, r->file2);
		r->file2 = NULL;
	}
	r->sr.file = NULL;
	/* a provided buffer a send kept while it waited (sim/net.c send_bufsel()):
	   cancelled or dropped, it goes back (the kernel would name it in the CQE) */
	if (r->sr.kbuf)
		aring__soft_kbuf_recycle(s->ring, &r->sr);
	free(r->bvec);
	r->bvec = NULL;
	r->state = SIM_REQ_FREE;
}

void aring__sim_complete(struct sim *s, struct sim_req *r, int32_t res, uint32_t cflags)
{
	assert(r->state != SIM_REQ_FREE);
	detach(s, r);
	if (r->fail)
		aring__soft_req_set_fail(&r->sr);
	aring__soft_complete(s->ring, &r->sr, res, cflags);
}

void aring__sim_exec(struct sim *s, struct sim_req *r)
{
	const struct sim_opdef *def = &aring__sim_opdefs[r->opcode];
	enum sim_exec e;

	assert(r->state == SIM_REQ_EXEC);
	aring__soft_rekey(s->ring, &r->sr); /* poll_remove may have changed its user_data */
	if (!r->started) {
		r->started = true;
		if (aring__sim_fault_inject(s, r)) {
			aring__sim_complete(s, r, r->res, 0);
			return;
		}
	}
	r->cflags = 0;
	e = def->exec(s, r);
	switch (e) {
	case SIM_DONE:
		aring__sim_complete(s, r, r->res, r->cflags);
		break;
	case SIM_BLOCK:
		/* waiting, or due again later (a connect's SYN retransmission) */
		assert(r->state == SIM_REQ_BLOCKED || r->state == SIM_REQ_IDLE ||
		       (r->state == SIM_REQ_EXEC && r->heap_idx != SIM_NO_HEAP));
		break;
	case SIM_MORE:
		/* Multishot: post, then wait (the model blocked) or go on at once. */
		aring__soft_complete(s->ring, &r->sr, r->res, r->cflags | IORING_CQE_F_MORE);
		if (r->state == SIM_REQ_EXEC && r->heap_idx == SIM_NO_HEAP)
			aring__sim_heap_push(s, r, s->now_ns);
		break;
	case SIM_DONE_NOTIF:
		/* send_zc: the result with F_MORE, then the buffer's notification;
		 * with REPORT_USAGE its res says the data was copied, as on
		 * loopback (kernel io_uring/notif.c io_notif_tw_complete(): no
		 * zerocopy took place, so ZC_COPIED) */
		aring__soft_complete(s->ring, &r->sr, r->res, IORING_CQE_F_MORE);
		aring__sim_complete(s, r,
				    (r->sqe.ioprio & ARING_SEND_ZC_REPORT_USAGE)
					    ? (int32_t)ARING_NOTIF_USAGE_ZC_COPIED : 0,
				    IORING_CQE_F_NOTIF);
		break;
	}
}

void aring__sim_event(struct sim *s, struct sim_req *r)
{
	assert(r->state == SIM_REQ_EXEC);
	aring__sim_exec(s, r);
}

bool aring__sim_cancellable(struct sim_req *r)
{
	switch (r->state) {
	case SIM_REQ_BLOCKED:
	case SIM_REQ_STALLED:
	case SIM_REQ_IDLE:
		return true;
	case SIM_REQ_EXEC:
		/*
		 * Still in its latency: an op that would wait on a pollable file
		 * sits on a poll (cancellable); file and fs work runs in io-wq
		 * and cannot be stopped (kernel cancel.c: -EALREADY).
		 */
		if (!(aring__opdefs[r->opcode].flags & ARING__OPF_BLOCKS))
			return false;
		return !r->file || r->file->type != SIM_F_REG;
	default:
		return false;
	}
}

struct sim_req *aring__sim_find(struct sim *s, uint64_t user_data, int opcode)
{
	struct aring__soft_req *sr = aring__soft_find(s->ring, user_data, opcode ? opcode : -1);

	return sr ? req_of(sr) : NULL;
}

void aring__sim_cancel_req(struct sim *s, struct sim_req *r, int32_t res)
{
	aring__soft_cancel_req(s->ring, &r->sr, res);
}

/* ---------------------------------------------------------------- executor ops */

/* The core's (core/timer.c; weak: tests/test_sim_ring links the sim without the core). */
bool aring__ud_deadline(uint64_t ud) __attribute__((weak));

static int sim_prep(void *ex, struct aring__soft_req *sr)
{
	struct sim *s = ex;
	struct sim_req *r = req_of(sr);
	const struct sim_opdef *def;

	r->opcode = sr->opcode;
	r->seq = sr->seq;
	r->sim = s;
	r->heap_idx = SIM_NO_HEAP;
	sim_list_init(&r->wait);
	/* standing in for epoll: backends/epoll.c's prep refuses what it cannot run */
	if (s->as_epoll && !aring__epoll_has_op(sr->opcode))
		return -EOPNOTSUPP;
	if (!aring__sim_has_op(sr->opcode))
		return -EOPNOTSUPP;
	/* the epoll backend sends from no provided buffer and takes no bundle
	   nor IORING_SEND_VECTORIZED (backends/epoll.c ep_prep()) */
	if (s->as_epoll && (sr->sqe.flags & IOSQE_BUFFER_SELECT) && sr->opcode == IORING_OP_SEND)
		return -EOPNOTSUPP;
	if (s->as_epoll &&
	    (sr->opcode == IORING_OP_SEND || sr->opcode == IORING_OP_RECV ||
	     sr->opcode == IORING_OP_SEND_ZC || sr->opcode == IORING_OP_SENDMSG ||
	     sr->opcode == IORING_OP_SENDMSG_ZC || sr->opcode == IORING_OP_RECVMSG) &&
	    (sr->sqe.ioprio & (ARING_RECVSEND_BUNDLE | ARING_SEND_VECTORIZED)))
		return -EINVAL;
	def = &aring__sim_opdefs[sr->opcode];
	return def->prep ? def->prep(s, r) : 0;
}

static void sim_start(void *ex, struct aring__soft_req *sr)
{
	struct sim *s = ex;
	struct sim_req *r = req_of(sr);
	uint64_t lat;

	r->state = SIM_REQ_EXEC;
	if ((sr->flags & SOFT_F_ARM_LTIMEOUT ||
	     (aring__ud_deadline && aring__ud_deadline(sr->sqe.user_data))) &&
	    aring__sim_fault_stall(s, r)) {
		/* timeout_ppm: held until its linked timeout fires, or until the
		 * loop cancels it at its deadline (core/timer.c). */
		r->state = SIM_REQ_STALLED;
		return;
	}
	if (aring__opdefs[r->opcode].flags & ARING__OPF_FILE) {
		/* IOSQE_FIXED_FILE: the soft ring found the slot's file (backends/soft/rsrc.c) */
		struct sim_file *f = (r->sqe.flags & IOSQE_FIXED_FILE) ? (struct sim_file *)sr->fixed
					: aring__sim_fd_get(s, r->sqe.fd);

		if (!f) {
			/* kernel io_uring.c io_assign_file(): the core fails it,
			   whatever the op (ARING__OPF_KEEPLINK too) */
			r->fail = true;
			aring__sim_complete(s, r, -EBADF, 0);
			return;
		}
		aring__sim_file_get(f);
		r->file = f;
		sr->file = f;
	}
	lat = aring__sim_opdefs[r->opcode].instant ? 0 : aring__sim_latency(s);
	if (lat == 0) {
		aring__sim_exec(s, r); /* inline, in SQ order */
		return;
	}
	aring__sim_heap_push(s, r, s->now_ns + lat);
}

static int sim_stop(void *ex, struct aring__soft_req *sr)
{
	struct sim *s = ex;
	struct sim_req *r = req_of(sr);

	/* A crash stops everything: the node's process is gone (sim/api.c). */
	if (!s->crashing && (!aring__sim_cancellable(r) || aring__sim_fault_cancel_race(ex, r)))
		return -EALREADY;
	detach(ex, r);
	return 0;
}

static void sim_drop(void *ex, struct aring__soft_req *sr)
{
	detach(ex, req_of(sr));
}

static const void *sim_file_of_fd(void *ex, int fd)
{
	return aring__sim_fd_get(ex, fd);
}

static uint64_t sim_now(void *ex)
{
	return ((struct sim *)ex)->now_ns;
}

/* Virtual time: run the next event if it is due by the deadline, else jump to the deadline. */
static int sim_wait_until(void *ex, uint64_t deadline_ns)
{
	struct sim *s = ex;
	struct sim_req *top = aring__sim_heap_top(s);
	uint64_t limit = s->opts.time_limit_ns ? SIM_START_NS + s->opts.time_limit_ns : UINT64_MAX;

	if (s->world)
		return aring__sim_world_wait(s, deadline_ns);
	if (limit < SIM_START_NS)
		limit = UINT64_MAX;
	/* time_limit_ns: the clock never passes the limit (aring_run: -ETIMEDOUT). */
	if ((top || deadline_ns != UINT64_MAX) &&
	    (top ? top->event_ns : deadline_ns) > limit && deadline_ns > limit) {
		if (limit > s->now_ns)
			s->now_ns = limit;
		return -ETIMEDOUT;
	}
	if (top && top->event_ns <= deadline_ns) {
		if (top->event_ns > s->now_ns)
			s->now_ns = top->event_ns;
		aring__sim_run_due(s);
		return 1;
	}
	if (deadline_ns == UINT64_MAX)
		return -EDEADLK;
	if (deadline_ns > s->now_ns)
		s->now_ns = deadline_ns;
	return 0;
}

static bool sim_has_op_ex(void *ex, unsigned opcode)
{
	struct sim *s = ex;

	if (s->as_epoll && !aring__epoll_has_op(opcode))
		return false;
	return aring__sim_has_op(opcode) && !sim_op_missing(s, opcode);
}

/* The profile's kernel lacks the opcode: the soft ring fails it -EINVAL (io_init_req()). */
static bool sim_opcode_known(void *ex, unsigned opcode)
{
	return !sim_op_missing(ex, opcode);
}

/*
 * The wrappers' fallback when the ring lacks the op (core/ops.c: bind,
 * listen, pipe): the model of the system call, run at once on this node
 * (no SQE, no CQE, no virtual time, no fault; the trace notes it).
 */
int aring__sim_sync_op(struct aring__backend *be, const struct io_uring_sqe *sqe)
{
	struct sim *s = sim_of(be);
	const struct sim_opdef *def;
	struct sim_req r;
	enum sim_exec e;
	int ret;

	if (sqe->opcode >= ARING_OP_LAST || !aring__sim_has_op(sqe->opcode))
		return -ENOSYS;
	def = &aring__sim_opdefs[sqe->opcode];
	memset(&r, 0, sizeof(r));
	r.sqe = *sqe;
	r.sr.opcode = sqe->opcode;
	r.opcode = sqe->opcode;
	r.sim = s;
	r.heap_idx = SIM_NO_HEAP;
	r.started = true; /* a system call draws no ring fault */
	sim_list_init(&r.wait);
	if (aring__opdefs[sqe->opcode].prep && (ret = aring__opdefs[sqe->opcode].prep(sqe)) < 0)
		return ret;
	if (def->prep && (ret = def->prep(s, &r)) < 0)
		return ret;
	if (aring__opdefs[sqe->opcode].flags & ARING__OPF_FILE) {
		r.file = aring__sim_fd_get(s, sqe->fd);
		if (!r.file)
			return -EBADF;
		aring__sim_file_get(r.file);
		r.sr.file = r.file;
	}
	r.state = SIM_REQ_EXEC;
	e = def->exec(s, &r);
	/* only ops that never wait have a fallback (bind, listen, pipe) */
	assert(e == SIM_DONE);
	(void)e;
	if (r.file)
		aring__sim_file_put(s, r.file);
	aring__sim_trace_note(s, "syscall", sqe->opcode, (uint64_t)(int64_t)r.res);
	return r.res;
}

static void sim_on_sqe(void *ex, const struct aring__soft_req *sr)
{
	struct sim *s = ex;
	struct sim_req *r = (struct sim_req *)sr;

	r->opcode = sr->opcode;
	r->seq = sr->seq;
	s->stats.ops++;
	aring__sim_trace_sqe(s, r);
}

static void sim_on_cqe(void *ex, const struct aring__soft_req *sr, int32_t res, uint32_t cflags)
{
	struct sim *s = ex;

	s->stats.cqes++;
	s->stats.overflows = aring__soft_stats(s->ring)->overflows;
	aring__sim_trace_cqe(s, (const struct sim_req *)sr, res, cflags);
}

/* Registered files (backends/soft/rsrc.c): the table holds references to sim files. */
static int sim_file_ref(void *ex, int fd, void **file)
{
	struct sim_file *f = aring__sim_fd_get(ex, fd);

	if (!f)
		return -EBADF; /* kernel fget() */
	/* kernel rsrc.c io_sqe_files_register(), __io_sqe_files_update(): no ring files */
	if (f->type == SIM_F_RING)
		return -EBADF;
	aring__sim_file_get(f);
	*file = f;
	return 0;
}

static void sim_file_unref(void *ex, void *file)
{
	aring__sim_file_put(ex, file);
}

/* kernel openclose.c io_install_fixed_fd() -> receive_fd(); the sim runs no exec: cloexec is moot. */
static int sim_file_install(void *ex, void *file, bool cloexec)
{
	int fd;

	(void)cloexec;
	aring__sim_file_get(file);
	fd = aring__sim_fd_install(ex, file);
	if (fd < 0)
		aring__sim_file_put(ex, file);
	return fd;
}

void aring__sim_destroy(void *ex);

const struct aring__soft_exec aring__sim_exec_ops = {
	.req_size = sizeof(struct sim_req),
	.prep = sim_prep,
	.start = sim_start,
	.stop = sim_stop,
	.drop = sim_drop,
	.file_of_fd = sim_file_of_fd,
	.now_ns = sim_now,
	.wait = sim_wait_until,
	.has_op = sim_has_op_ex,
	.opcode_known = sim_opcode_known,
	.on_sqe = sim_on_sqe,
	.on_cqe = sim_on_cqe,
	.destroy = aring__sim_destroy,
	.file_ref = sim_file_ref,
	.file_unref = sim_file_unref,
	.file_install = sim_file_install,
};
