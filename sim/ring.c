/* SPDX-License-Identifier: MIT */
/*
 * SQE interpretation, as the kernel's io_uring/io_uring.c, timeout.c and
 * cancel.c do it: request life cycle, links, drain, CQE skipping, linked
 * timeouts, timeouts, timeout removal/update and async cancel.
 *
 * Life of a request: accepted (copied, prepped, linked) at submit; queued
 * when its chain is complete; deferred while a drain is active; issued when
 * its link predecessor completed (its file is resolved, its linked timeout
 * armed); executed after its latency (ring control ops: at once); possibly
 * blocked on a waitq and executed again when woken; completed.
 */
#include "config.h"
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "sim/sim.h"

#define KNOWN_SQE_FLAGS (IOSQE_FIXED_FILE | IOSQE_IO_DRAIN | IOSQE_IO_LINK | IOSQE_IO_HARDLINK | \
			 IOSQE_ASYNC | IOSQE_BUFFER_SELECT | IOSQE_CQE_SKIP_SUCCESS)
#define LINK_FLAGS (IOSQE_IO_LINK | IOSQE_IO_HARDLINK)
#define NSEC_PER_SEC 1000000000ull

static void issue(struct sim *s, struct sim_req *r);
static void flush_timeouts(struct sim *s);

/* ---------------------------------------------------------------- requests */

struct sim_req *aring__sim_req_alloc(struct sim *s)
{
	struct sim_req *r = s->free_reqs;

	if (r)
		s->free_reqs = r->free_next;
	else if (!(r = malloc(sizeof(*r))))
		abort(); /* an SQE the model cannot accept would be a lost CQE */
	memset(r, 0, sizeof(*r));
	r->heap_idx = SIM_NO_HEAP;
	sim_list_init(&r->inflight);
	sim_list_init(&r->wait);
	sim_list_init(&r->tlist);
	sim_list_init(&r->defer);
	s->nreqs++;
	assert(s->nreqs <= SIM_MAX_REQS);
	return r;
}

void aring__sim_req_free(struct sim *s, struct sim_req *r)
{
	assert(r->heap_idx == SIM_NO_HEAP);
	assert(!sim_list_linked(&r->inflight) && !sim_list_linked(&r->wait));
	assert(!sim_list_linked(&r->tlist) && !sim_list_linked(&r->defer));
	assert(!r->file);
	r->state = SIM_REQ_FREE;
	r->free_next = s->free_reqs;
	s->free_reqs = r;
	s->nreqs--;
}

void aring__sim_waitq_init(struct sim_waitq *wq)
{
	sim_list_init(&wq->head);
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
	while (!sim_list_empty(&wq->head)) {
		struct sim_req *r = sim_container_of(wq->head.next, struct sim_req, wait);

		sim_list_del(&r->wait);
		r->state = SIM_REQ_EXEC;
		aring__sim_heap_push(s, r, s->now_ns);
	}
}

/* Take r out of whatever it waits on (heap, waitq, timeout list). */
static void detach(struct sim *s, struct sim_req *r)
{
	aring__sim_heap_remove(s, r);
	if (sim_list_linked(&r->wait))
		sim_list_del(&r->wait);
	if (sim_list_linked(&r->tlist))
		sim_list_del(&r->tlist);
	if (sim_list_linked(&r->inflight))
		sim_list_del(&r->inflight);
}

/* ---------------------------------------------------------------- CQEs */

/* Post a CQE for r and count it for the timeouts waiting on a count. */
static void post(struct sim *s, struct sim_req *r, int32_t res, uint32_t flags)
{
	aring__sim_post_cqe(s, r, res, flags);
	if (r->opcode != IORING_OP_TIMEOUT)
		s->cq_count++;
}

/*
 * Fail the rest of a chain (kernel io_uring.c io_fail_links()): each request
 * ends with -ECANCELED, or with its own error if it failed at submit. Their
 * CQEs are skipped if the request that broke the chain had
 * IOSQE_CQE_SKIP_SUCCESS (REQ_F_SKIP_LINK_CQES).
 */
static void fail_links(struct sim *s, struct sim_req *link, bool ignore_cqes)
{
	while (link) {
		struct sim_req *next = link->link;
		int32_t res = link->prep_failed ? link->res : -ECANCELED;

		assert(link->state == SIM_REQ_LINKED);
		link->link = NULL;
		link->ltimeout = NULL;
		link->lt_target = NULL;
		if (!ignore_cqes)
			post(s, link, res, 0);
		s->nlive--;
		aring__sim_req_free(s, link);
		link = next;
	}
}

static void run_defer(struct sim *s);

/* The request that ended a chain decides: go on with the next, or fail the rest. */
static void finish_links(struct sim *s, struct sim_req *r)
{
	struct sim_req *next = r->link;

	r->link = NULL;
	if (!next)
		return;
	/* kernel io_uring.c __io_req_complete_post()/io_req_find_next(). */
	if (r->fail && !(r->sqe.flags & IOSQE_IO_HARDLINK))
		fail_links(s, next, r->skip_link_cqes);
	else
		issue(s, next);
}

void aring__sim_complete(struct sim *s, struct sim_req *r, int32_t res, uint32_t cflags)
{
	struct sim_req *lt = r->ltimeout;
	bool skip;

	assert(r->state != SIM_REQ_FREE && r->state != SIM_REQ_LINKED);
	detach(s, r);
	/* kernel io_uring.h req_set_fail(): a failure clears CQE_SKIP_SUCCESS. */
	if (res < 0 && !r->no_fail)
		r->fail = true;
	skip = (r->sqe.flags & IOSQE_CQE_SKIP_SUCCESS) && !r->fail;
	if ((r->sqe.flags & IOSQE_CQE_SKIP_SUCCESS) && r->fail)
		r->skip_link_cqes = true;
	if (r->file) {
		aring__sim_file_put(s, r->file);
		r->file = NULL;
	}
	if (!skip)
		post(s, r, res, cflags);
	/*
	 * kernel timeout.c io_disarm_next(): the op finished first, so its
	 * armed linked timeout is removed from the chain and ends with
	 * -ECANCELED; the chain goes on from the timeout's successor.
	 */
	if (lt) {
		r->ltimeout = NULL;
		lt->lt_target = NULL;
		if (r->link == lt && lt->state == SIM_REQ_TIMER) {
			r->link = lt->link;
			lt->link = NULL;
			detach(s, lt);
			post(s, lt, -ECANCELED, 0);
			s->nlive--;
			aring__sim_req_free(s, lt);
		}
	}
	finish_links(s, r);
	s->nlive--;
	aring__sim_req_free(s, r);
	flush_timeouts(s);
	run_defer(s);
}

/* ---------------------------------------------------------------- drain */

static uint64_t chain_len(const struct sim_req *r)
{
	uint64_t n = 0;

	for (; r; r = r->link)
		n++;
	return n;
}

/*
 * kernel io_uring.c io_drain_req(): a request with IOSQE_IO_DRAIN starts once
 * every request submitted before it has completed, and requests submitted
 * after it start once it has completed (io_uring_enter(2)).
 */
static void run_defer(struct sim *s)
{
	while (!sim_list_empty(&s->defer)) {
		struct sim_req *head = sim_container_of(s->defer.next, struct sim_req, defer);

		assert(s->nlive >= s->ndeferred);
		if (s->nlive - s->ndeferred > 0)
			return;
		sim_list_del(&head->defer);
		s->ndeferred -= chain_len(head);
		issue(s, head);
	}
	s->drain_active = false;
}

static void queue(struct sim *s, struct sim_req *head)
{
	if (head->drain || s->drain_active) {
		s->drain_active = true;
		head->state = SIM_REQ_DEFERRED;
		s->ndeferred += chain_len(head);
		sim_list_add_tail(&s->defer, &head->defer);
		run_defer(s);
		return;
	}
	issue(s, head);
}

/* ---------------------------------------------------------------- issue */

static uint64_t ts_to_ns(const struct __kernel_timespec *ts)
{
	uint64_t sec = (uint64_t)ts->tv_sec;

	if (sec > UINT64_MAX / NSEC_PER_SEC - 1)
		return UINT64_MAX / 2;
	return sec * NSEC_PER_SEC + (uint64_t)ts->tv_nsec;
}

static uint64_t deadline(struct sim *s, uint64_t ns, unsigned flags)
{
	if (flags & IORING_TIMEOUT_ABS)
		return ns > s->now_ns ? ns : s->now_ns;
	if (ns > UINT64_MAX - s->now_ns)
		return UINT64_MAX;
	return s->now_ns + ns;
}

static void arm_timer(struct sim *s, struct sim_req *r)
{
	uint64_t when;

	if (!sim_list_linked(&r->inflight))
		sim_list_add_tail(&s->inflight, &r->inflight);
	r->state = SIM_REQ_TIMER;
	when = deadline(s, r->timeout_ns, r->timeout_flags);
	/* Due at the end of virtual time (saturated): never fires, as at KTIME_MAX. */
	if (when != UINT64_MAX)
		aring__sim_heap_push(s, r, when);
}

static void issue(struct sim *s, struct sim_req *r)
{
	const struct sim_opdef *def;

	assert(r->state == SIM_REQ_LINKED || r->state == SIM_REQ_DEFERRED || r->state == 0);
	r->state = SIM_REQ_EXEC;
	sim_list_add_tail(&s->inflight, &r->inflight);
	if (r->prep_failed) {
		/* kernel io_uring.c io_queue_sqe_fallback(): fail it, and its links. */
		r->sqe.flags &= (uint8_t)~IOSQE_IO_HARDLINK;
		aring__sim_complete(s, r, r->res, 0);
		return;
	}
	def = &aring__sim_opdefs[r->opcode];
	if (r->ltimeout) {
		/* kernel timeout.c io_queue_linked_timeout(): armed as the op is issued. */
		struct sim_req *lt = r->ltimeout;

		assert(lt->state == SIM_REQ_LINKED && lt->lt_target == r);
		arm_timer(s, lt);
		if (aring__sim_fault_stall(s, r)) {
			r->state = SIM_REQ_STALLED;
			return;
		}
	}
	if (def->file) {
		struct sim_file *f = aring__sim_fd_get(s, r->sqe.fd);

		if (!f) {
			/* kernel io_uring.c io_assign_file() */
			aring__sim_complete(s, r, -EBADF, 0);
			return;
		}
		aring__sim_file_get(f);
		r->file = f;
	}
	if (def->instant) {
		aring__sim_exec(s, r);
		return;
	}
	aring__sim_heap_push(s, r, s->now_ns + aring__sim_latency(s));
}

void aring__sim_exec(struct sim *s, struct sim_req *r)
{
	const struct sim_opdef *def = &aring__sim_opdefs[r->opcode];
	enum sim_exec e;

	assert(r->state == SIM_REQ_EXEC);
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
		assert(r->state == SIM_REQ_BLOCKED || r->state == SIM_REQ_TIMER ||
		       r->state == SIM_REQ_IDLE);
		break;
	case SIM_MORE:
		/* Multishot: post, then wait (the model blocked) or go on at once. */
		post(s, r, r->res, r->cflags | IORING_CQE_F_MORE);
		if (r->state == SIM_REQ_EXEC && r->heap_idx == SIM_NO_HEAP)
			aring__sim_heap_push(s, r, s->now_ns);
		flush_timeouts(s);
		break;
	case SIM_DONE_NOTIF: {
		/* send_zc: the result with F_MORE, then the buffer's notification. */
		int32_t res = r->res;

		post(s, r, res, IORING_CQE_F_MORE);
		if (res < 0)
			r->fail = true;
		aring__sim_complete(s, r, 0, IORING_CQE_F_NOTIF);
		break;
	}
	}
}

/* ---------------------------------------------------------------- accept */

static int prep(struct sim *s, struct sim_req *r)
{
	const struct io_uring_sqe *q = &r->sqe;
	const struct sim_opdef *def;

	if (q->opcode >= ARING_OP_LAST)
		return -EINVAL;
	if (q->flags & ~KNOWN_SQE_FLAGS)
		return -EINVAL;
	if (q->flags & IOSQE_FIXED_FILE)
		return -EBADF; /* the sim has no registered files */
	if (q->flags & IOSQE_BUFFER_SELECT)
		return -EOPNOTSUPP; /* nor provided buffers */
	if (q->personality)
		return -EINVAL;
	/* kernel io_uring.c io_init_req(): drain is refused once skip was used. */
	if (q->flags & IOSQE_CQE_SKIP_SUCCESS)
		s->drain_disabled = true;
	if ((q->flags & IOSQE_IO_DRAIN) && s->drain_disabled)
		return -EOPNOTSUPP;
	def = &aring__sim_opdefs[q->opcode];
	if (!def->exec)
		return -EOPNOTSUPP;
	return def->prep ? def->prep(s, r) : 0;
}

void aring__sim_accept(struct sim *s, const struct io_uring_sqe *sqe)
{
	struct sim_req *r = aring__sim_req_alloc(s);
	struct sim_req *head = s->link_head;
	bool linkflag;
	int ret;

	r->sqe = *sqe;
	r->opcode = sqe->opcode;
	r->seq = ++s->next_seq;
	s->nlive++;
	s->stats.ops++;
	aring__sim_trace_sqe(s, r);
	ret = prep(s, r);
	if (ret < 0) {
		r->prep_failed = true;
		r->res = ret;
	}
	if (sqe->flags & IOSQE_IO_DRAIN)
		(head ? head : r)->drain = true;
	linkflag = (sqe->flags & LINK_FLAGS) != 0;
	/* kernel io_uring.c io_submit_fail_init(): a bad SQE fails its whole chain. */
	if (r->prep_failed && head && !head->prep_failed) {
		head->prep_failed = true;
		head->res = -ECANCELED;
	}
	if (head) {
		r->state = SIM_REQ_LINKED;
		s->link_last->link = r;
		if (r->opcode == IORING_OP_LINK_TIMEOUT && !r->prep_failed) {
			s->link_last->ltimeout = r;
			r->lt_target = s->link_last;
		}
		if (linkflag) {
			s->link_last = r;
			return;
		}
		s->link_head = s->link_last = NULL;
		queue(s, head);
		return;
	}
	if (linkflag) {
		s->link_head = s->link_last = r;
		return;
	}
	queue(s, r);
}

void aring__sim_accept_end(struct sim *s)
{
	struct sim_req *head = s->link_head;

	/* kernel io_uring.c io_submit_state_end(): an unterminated chain goes as it is. */
	if (head) {
		s->link_head = s->link_last = NULL;
		queue(s, head);
	}
}

/* ---------------------------------------------------------------- events */

static void timer_fired(struct sim *s, struct sim_req *r);

void aring__sim_event(struct sim *s, struct sim_req *r)
{
	switch (r->state) {
	case SIM_REQ_EXEC:
		aring__sim_exec(s, r);
		break;
	case SIM_REQ_TIMER:
		timer_fired(s, r);
		break;
	default:
		assert(!"event for a request that waits for none");
	}
}

bool aring__sim_cancellable(struct sim_req *r)
{
	switch (r->state) {
	case SIM_REQ_BLOCKED:
	case SIM_REQ_STALLED:
	case SIM_REQ_TIMER:
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

void aring__sim_cancel_req(struct sim *s, struct sim_req *r, int32_t res)
{
	assert(aring__sim_cancellable(r));
	aring__sim_complete(s, r, res, 0);
}

/*
 * kernel timeout.c io_timeout_fn(): -ETIME (without REQ_F_FAIL under
 * IORING_TIMEOUT_ETIME_SUCCESS); io_link_timeout_fn() and
 * io_req_task_link_timeout(): try to cancel the guarded op; the timeout
 * completes with -ETIME, or with the cancel's error (-EALREADY) if the op
 * could not be stopped and will complete on its own.
 */
static void timer_fired(struct sim *s, struct sim_req *r)
{
	if (r->opcode == IORING_OP_LINK_TIMEOUT) {
		struct sim_req *target = r->lt_target;
		int32_t res = -ETIME;

		assert(target);
		if (aring__sim_cancellable(target)) {
			/* The timeout leaves the chain; the op's failure fails the rest. */
			target->link = r->link;
			r->link = NULL;
			target->ltimeout = NULL;
			r->lt_target = NULL;
			aring__sim_cancel_req(s, target, -ECANCELED);
		} else {
			res = -EALREADY;
			target->link = r->link;
			r->link = NULL;
			target->ltimeout = NULL;
			r->lt_target = NULL;
		}
		r->state = SIM_REQ_EXEC;
		aring__sim_complete(s, r, res, 0);
		return;
	}
	assert(r->opcode == IORING_OP_TIMEOUT);
	if ((r->timeout_flags & ARING_TIMEOUT_MULTISHOT) && r->count != 1) {
		/* kernel timeout.c: a multishot timeout repeats (count 0: forever). */
		if (r->count)
			r->count--;
		post(s, r, -ETIME, IORING_CQE_F_MORE);
		/* hrtimer_forward(): the interval is at least hrtimer_resolution (1 ns). */
		if (!r->timeout_ns)
			r->timeout_ns = 1;
		arm_timer(s, r);
		return;
	}
	if (r->timeout_flags & IORING_TIMEOUT_ETIME_SUCCESS)
		r->no_fail = true;
	aring__sim_complete(s, r, -ETIME, 0);
}

/* ---------------------------------------------------------------- timeouts */

static int prep_ts(struct sim_req *r, uint64_t addr)
{
	const struct __kernel_timespec *ts = (const struct __kernel_timespec *)(uintptr_t)addr;

	if (!sim_user_ptr_ok(ts, sizeof(*ts)))
		return -EFAULT; /* kernel get_timespec64(): copy_from_user() */
	if (ts->tv_sec < 0 || ts->tv_nsec < 0 || ts->tv_nsec >= (long long)NSEC_PER_SEC)
		return -EINVAL;
	r->timeout_ns = ts_to_ns(ts);
	return 0;
}

static int prep_timeout_common(struct sim *s, struct sim_req *r, bool is_link)
{
	const struct io_uring_sqe *q = &r->sqe;
	unsigned flags = q->timeout_flags;
	unsigned clocks = flags & IORING_TIMEOUT_CLOCK_MASK;

	(void)s;
	/* kernel timeout.c __io_timeout_prep() */
	if (q->buf_index || q->len != 1 || q->splice_fd_in || q->ioprio)
		return -EINVAL;
	if (q->off && is_link)
		return -EINVAL;
	if (flags & ~(IORING_TIMEOUT_ABS | IORING_TIMEOUT_CLOCK_MASK |
		      IORING_TIMEOUT_ETIME_SUCCESS | ARING_TIMEOUT_MULTISHOT))
		return -EINVAL;
	if (clocks & (clocks - 1))
		return -EINVAL;
	if ((flags & ARING_TIMEOUT_MULTISHOT) && (is_link || (flags & IORING_TIMEOUT_ABS)))
		return -EINVAL;
	r->timeout_flags = flags;
	r->count = (uint32_t)q->off;
	return prep_ts(r, q->addr);
}

int aring__sim_prep_timeout(struct sim *s, struct sim_req *r)
{
	return prep_timeout_common(s, r, false);
}

int aring__sim_prep_link_timeout(struct sim *s, struct sim_req *r)
{
	int ret = prep_timeout_common(s, r, true);

	if (ret)
		return ret;
	/* kernel timeout.c io_link_timeout_prep(): must follow a linked request. */
	if (!s->link_head || s->link_last->opcode == IORING_OP_LINK_TIMEOUT)
		return -EINVAL;
	r->is_ltimeout = true;
	return 0;
}

enum sim_exec aring__sim_op_timeout(struct sim *s, struct sim_req *r)
{
	if (r->opcode == IORING_OP_LINK_TIMEOUT) {
		/* Issued on its own (its op is gone): it guards nothing. */
		r->res = -ECANCELED;
		return SIM_DONE;
	}
	/* kernel timeout.c io_timeout(): count 0 is a pure timer. */
	if (r->count && !(r->timeout_flags & ARING_TIMEOUT_MULTISHOT))
		r->target_cq = s->cq_count + r->count;
	sim_list_add_tail(&s->timeouts, &r->tlist);
	arm_timer(s, r);
	return SIM_BLOCK;
}

/* kernel timeout.c io_flush_timeouts(): count timeouts whose count was reached. */
static void flush_timeouts(struct sim *s)
{
	struct sim_list *p;

	if (s->flushing)
		return;
	s->flushing = true;
again:
	for (p = s->timeouts.next; p != &s->timeouts; p = p->next) {
		struct sim_req *r = sim_container_of(p, struct sim_req, tlist);

		if (r->target_cq && s->cq_count >= r->target_cq) {
			aring__sim_complete(s, r, 0, 0);
			goto again;
		}
	}
	s->flushing = false;
}

struct sim_req *aring__sim_find(struct sim *s, uint64_t user_data, int opcode)
{
	struct sim_list *p;

	for (p = s->inflight.next; p != &s->inflight; p = p->next) {
		struct sim_req *r = sim_container_of(p, struct sim_req, inflight);

		if (r->sqe.user_data == user_data && (!opcode || r->opcode == opcode))
			return r;
	}
	return NULL;
}

int aring__sim_prep_timeout_remove(struct sim *s, struct sim_req *r)
{
	const struct io_uring_sqe *q = &r->sqe;
	unsigned flags = q->timeout_flags;

	(void)s;
	/* kernel timeout.c io_timeout_remove_prep() */
	if (q->buf_index || q->len || q->splice_fd_in)
		return -EINVAL;
	if (flags & IORING_TIMEOUT_UPDATE_MASK) {
		if (flags & ~(IORING_TIMEOUT_UPDATE_MASK | IORING_TIMEOUT_ABS))
			return -EINVAL;
		r->timeout_flags = flags;
		return prep_ts(r, q->addr2);
	}
	if (flags)
		return -EINVAL;
	return 0;
}

/* kernel timeout.c io_timeout_remove(), io_timeout_update(), io_linked_timeout_update() */
enum sim_exec aring__sim_op_timeout_remove(struct sim *s, struct sim_req *r)
{
	unsigned flags = r->sqe.timeout_flags;
	struct sim_req *t;

	if (flags & IORING_LINK_TIMEOUT_UPDATE) {
		t = aring__sim_find(s, r->sqe.addr, IORING_OP_LINK_TIMEOUT);
		if (!t || t->state != SIM_REQ_TIMER) {
			r->res = -ENOENT;
			return SIM_DONE;
		}
		aring__sim_heap_remove(s, t);
		t->timeout_ns = r->timeout_ns;
		t->timeout_flags = (t->timeout_flags & ~IORING_TIMEOUT_ABS) | (flags & IORING_TIMEOUT_ABS);
		arm_timer(s, t);
		r->res = 0;
		return SIM_DONE;
	}
	t = aring__sim_find(s, r->sqe.addr, IORING_OP_TIMEOUT);
	if (!t) {
		r->res = -ENOENT;
		return SIM_DONE;
	}
	if (flags & IORING_TIMEOUT_UPDATE) {
		aring__sim_heap_remove(s, t);
		t->timeout_ns = r->timeout_ns;
		t->timeout_flags = (t->timeout_flags & ~IORING_TIMEOUT_ABS) | (flags & IORING_TIMEOUT_ABS);
		t->target_cq = 0; /* an updated timeout is a pure timer */
		arm_timer(s, t);
		r->res = 0;
		return SIM_DONE;
	}
	aring__sim_cancel_req(s, t, -ECANCELED);
	r->res = 0;
	return SIM_DONE;
}

/* ---------------------------------------------------------------- cancel */

#define CANCEL_FLAGS (IORING_ASYNC_CANCEL_ALL | IORING_ASYNC_CANCEL_FD | IORING_ASYNC_CANCEL_ANY | \
		      IORING_ASYNC_CANCEL_FD_FIXED | ARING_ASYNC_CANCEL_USERDATA | \
		      ARING_ASYNC_CANCEL_OP)

int aring__sim_prep_cancel(struct sim *s, struct sim_req *r)
{
	const struct io_uring_sqe *q = &r->sqe;
	unsigned flags = q->cancel_flags;

	(void)s;
	/* kernel cancel.c io_async_cancel_prep() */
	if (q->off || q->splice_fd_in)
		return -EINVAL;
	if (flags & ~CANCEL_FLAGS)
		return -EINVAL;
	if (flags & IORING_ASYNC_CANCEL_FD_FIXED)
		return -EBADF; /* no registered files */
	if ((flags & IORING_ASYNC_CANCEL_ANY) && (flags & (IORING_ASYNC_CANCEL_FD |
		ARING_ASYNC_CANCEL_OP | ARING_ASYNC_CANCEL_USERDATA)))
		return -EINVAL;
	if (!(flags & (IORING_ASYNC_CANCEL_FD | IORING_ASYNC_CANCEL_ANY | ARING_ASYNC_CANCEL_OP)) &&
	    q->len)
		return -EINVAL;
	return 0;
}

/* kernel cancel.c io_cancel_req_match() */
static bool cancel_match(const struct sim_req *c, const struct sim_req *r)
{
	unsigned flags = c->sqe.cancel_flags;
	bool any_key = false;

	if (r == c || r->is_ltimeout)
		return false;
	if (flags & IORING_ASYNC_CANCEL_ANY)
		return true;
	if (flags & IORING_ASYNC_CANCEL_FD) {
		any_key = true;
		if (!r->file || !aring__sim_opdefs[r->opcode].file || r->sqe.fd != c->sqe.fd)
			return false;
	}
	if (flags & ARING_ASYNC_CANCEL_OP) {
		any_key = true;
		if (r->opcode != c->sqe.len)
			return false;
	}
	if ((flags & ARING_ASYNC_CANCEL_USERDATA) || !any_key)
		if (r->sqe.user_data != c->sqe.addr)
			return false;
	return true;
}

/* kernel cancel.c io_async_cancel() / __io_async_cancel() */
enum sim_exec aring__sim_op_cancel(struct sim *s, struct sim_req *r)
{
	bool all = r->sqe.cancel_flags & (IORING_ASYNC_CANCEL_ALL | IORING_ASYNC_CANCEL_ANY);
	int nr = 0, ret = -ENOENT;
	struct sim_list *p;

again:
	for (p = s->inflight.next; p != &s->inflight; p = p->next) {
		struct sim_req *t = sim_container_of(p, struct sim_req, inflight);

		if (!cancel_match(r, t))
			continue;
		if (!aring__sim_cancellable(t)) {
			if (!all) {
				ret = -EALREADY;
				break;
			}
			continue;
		}
		aring__sim_cancel_req(s, t, -ECANCELED);
		nr++;
		if (!all) {
			ret = 0;
			break;
		}
		goto again; /* the list changed */
	}
	r->res = all ? (nr ? nr : -ENOENT) : ret;
	return SIM_DONE;
}

/* kernel nop.c io_nop(): IORING_NOP_INJECT_RESULT posts sqe->len as res. */
#define NOP_INJECT_RESULT (1U << 0)

enum sim_exec aring__sim_op_nop(struct sim *s, struct sim_req *r)
{
	(void)s;
	if ((unsigned)r->sqe.rw_flags & ~NOP_INJECT_RESULT) {
		r->res = -EINVAL;
		return SIM_DONE;
	}
	r->res = ((unsigned)r->sqe.rw_flags & NOP_INJECT_RESULT) ? (int32_t)r->sqe.len : 0;
	return SIM_DONE;
}

/* ---------------------------------------------------------------- teardown */

void aring__sim_ring_destroy(struct sim *s)
{
	struct sim_req *head;

	struct sim_list *p;

	/* No CQEs any more: just release every request and the files they hold. */
	while ((head = aring__sim_heap_pop(s)))
		;
	/* Armed link timeouts are in flight and in their op's chain: unchain them. */
	for (p = s->inflight.next; p != &s->inflight; p = p->next) {
		struct sim_req *r = sim_container_of(p, struct sim_req, inflight);

		if (r->is_ltimeout && r->lt_target && r->lt_target->link == r) {
			r->lt_target->link = r->link;
			r->link = NULL;
		}
	}
	while (!sim_list_empty(&s->inflight)) {
		struct sim_req *r = sim_container_of(s->inflight.next, struct sim_req, inflight);
		struct sim_req *l;

		detach(s, r);
		if (r->file) {
			aring__sim_file_put(s, r->file);
			r->file = NULL;
		}
		for (l = r->link; l;) {
			struct sim_req *n = l->link;

			if (l->state == SIM_REQ_LINKED)
				free(l), s->nreqs--;
			l = n;
		}
		free(r);
		s->nreqs--;
	}
	while (!sim_list_empty(&s->defer)) {
		struct sim_req *r = sim_container_of(s->defer.next, struct sim_req, defer), *n;

		sim_list_del(&r->defer);
		for (; r; r = n) {
			n = r->link;
			free(r);
			s->nreqs--;
		}
	}
	for (head = s->link_head; head;) {
		struct sim_req *n = head->link;

		free(head);
		s->nreqs--;
		head = n;
	}
	s->link_head = s->link_last = NULL;
}
