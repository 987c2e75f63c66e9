/* SPDX-License-Identifier: MIT */
/*
 * The soft ring's core: SQ, CQ, submit, issue, links, drain, completion
 * batches and task work. Each rule cites the kernel function it follows
 * (io_uring/io_uring.c unless said otherwise).
 *
 * The kernel's order of events, which this file keeps:
 *   - io_submit_sqes(): each SQE is checked (io_init_req) and, once its
 *     chain is whole, issued inline in SQ order (io_submit_sqe,
 *     io_queue_sqe). A request that completes inline joins the submit
 *     batch; the batch's CQEs are posted together when the submission ends
 *     (io_submit_flush_completions), then count timeouts are flushed
 *     (io_flush_timeouts) and the requests freed: a completed link's
 *     successor is queued as task work (io_queue_next).
 *   - Task work runs in FIFO order after that, in batches, each batch
 *     followed by a flush (tctx_task_work_run, ctx_flush_and_put).
 *   - Timers fire from the clock (hrtimer callbacks) and queue task work.
 * The ring behaves as one made with IORING_SETUP_SUBMIT_ALL (what the uring
 * backend asks for): a bad SQE does not stop the submission.
 */
#include "config.h"
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "aring.h"
#include "backends/soft/ring.h"
#include "core/context.h"

/* The submit context's stack: the executor's model runs on it (sim: path
 * resolution, 4 KiB copy buffers), whatever the caller's stack is. */
#define SUBMIT_STACK_BYTES (256u * 1024u)

#define SQE_VALID_FLAGS (IOSQE_FIXED_FILE | IOSQE_IO_DRAIN | IOSQE_IO_LINK | IOSQE_IO_HARDLINK | \
			 IOSQE_ASYNC | IOSQE_BUFFER_SELECT | IOSQE_CQE_SKIP_SUCCESS)

static void issue(struct aring__soft *s, struct aring__soft_req *r);

/* ---------------------------------------------------------------- requests */

static struct aring__soft_req *req_alloc(struct aring__soft *s)
{
	struct aring__soft_req *r = s->free_reqs;

	if (r)
		s->free_reqs = r->next;
	else if (!(r = malloc(s->exec->req_size)))
		abort(); /* an SQE the ring cannot accept would be a lost CQE */
	memset(r, 0, s->exec->req_size);
	r->heap_idx = r->cnt_idx = SOFT_NO_HEAP;
	r->state = SOFT_LINKED; /* accepted, not issued */
	s->nalloc++;
	return r;
}

static void req_free(struct aring__soft *s, struct aring__soft_req *r)
{
	assert(r->heap_idx == SOFT_NO_HEAP && r->cnt_idx == SOFT_NO_HEAP);
	assert(!(r->flags & SOFT_F_HASHED) && !r->link);
	r->state = SOFT_FREE;
	r->next = s->free_reqs;
	s->free_reqs = r;
	s->nalloc--;
}

void aring__soft_set_fail(struct aring__soft_req *r)
{
	/* kernel io_uring.h req_set_fail(): a failure posts its CQE even with
	 * CQE_SKIP_SUCCESS, and then the CQEs of the links it cancels are skipped. */
	r->flags |= SOFT_F_FAIL;
	if (r->flags & SOFT_F_CQE_SKIP) {
		r->flags &= (uint16_t)~SOFT_F_CQE_SKIP;
		r->flags |= SOFT_F_SKIP_LINK_CQES;
	}
}

void aring__soft_req_set_fail(struct aring__soft_req *r)
{
	aring__soft_set_fail(r);
}

/* ---------------------------------------------------------------- CQ */

static unsigned cq_ready(const struct aring__soft *s)
{
	return s->cq_tail - s->cq_head;
}

static bool cq_full(const struct aring__soft *s)
{
	return cq_ready(s) >= (s->cq_limit ? s->cq_limit : s->cq_entries);
}

static void flush_overflow(struct aring__soft *s)
{
	while (s->ovf_len && !cq_full(s)) {
		s->cq[s->cq_tail++ & (s->cq_entries - 1)] = s->ovf[s->ovf_head];
		s->ovf_head = (s->ovf_head + 1) % s->ovf_cap;
		s->ovf_len--;
	}
}

static struct io_uring_cqe *ovf_slot(struct aring__soft *s)
{
	if (s->ovf_len == s->ovf_cap) {
		unsigned cap = s->ovf_cap ? s->ovf_cap * 2 : 64, i;
		struct io_uring_cqe *n;

		if (cap > SOFT_MAX_OVERFLOW)
			abort(); /* never drop a CQE: the program reaps nothing */
		n = malloc(cap * sizeof(*n));
		if (!n)
			abort();
		for (i = 0; i < s->ovf_len; i++)
			n[i] = s->ovf[(s->ovf_head + i) % s->ovf_cap];
		free(s->ovf);
		s->ovf = n;
		s->ovf_cap = cap;
		s->ovf_head = 0;
	}
	s->stats.overflows++;
	return &s->ovf[(s->ovf_head + s->ovf_len++) % s->ovf_cap];
}

/* Post a CQE: to the CQ, or the overflow list while it is full. */
static void post_cqe(struct aring__soft *s, uint64_t user_data, int32_t res, uint32_t cflags)
{
	struct io_uring_cqe *cqe;

	s->stats.cqes++;
	/* kernel: every CQE advances cached_cq_tail; timeouts that fired are
	 * subtracted through cq_timeouts (timeout.c io_timeout_fn()). */
	s->cq_events++;
	if (s->ovf_len || cq_full(s))
		cqe = ovf_slot(s);
	else
		cqe = &s->cq[s->cq_tail++ & (s->cq_entries - 1)];
	cqe->user_data = user_data;
	cqe->res = res;
	cqe->flags = cflags;
}

/* Post a CQE for r. */
void aring__soft_post(struct aring__soft *s, struct aring__soft_req *r, int32_t res, uint32_t cflags)
{
	if (s->exec->on_cqe)
		s->exec->on_cqe(s->ex, r, res, cflags);
	post_cqe(s, r->sqe.user_data, res, cflags);
}

void aring__soft_post_aux(struct aring__soft *s, uint64_t user_data, int32_t res, uint32_t cflags)
{
	post_cqe(s, user_data, res, cflags);
}

/* ---------------------------------------------------------------- completion */

void aring__soft_done(struct aring__soft *s, struct aring__soft_req *r, int32_t res)
{
	assert(r->state != SOFT_DONE && r->state != SOFT_FREE);
	if (r->flags & SOFT_F_HASHED)
		aring__soft_hash_del(s, r);
	r->res = res;
	r->state = SOFT_DONE;
	soft_fifo_push(&s->batch, r);
}

void aring__soft_complete(struct aring__soft *s, struct aring__soft_req *r, int32_t res,
			  uint32_t cflags)
{
	assert(r->state == SOFT_STARTED);
	/*
	 * kernel: an op's handler calls req_set_fail() on an error (io_read,
	 * io_send, ...), except the ops that only store it with
	 * io_req_set_res() (ARING__OPF_KEEPLINK: io_fsync, io_xattr_finish,
	 * ...; core/opdef.c): for those the executor says when the core fails
	 * them (aring__soft_req_set_fail()).
	 */
	/* a zerocopy send's notification is the kernel's separate notif
	 * request: its res (ZC_COPIED is negative) fails nothing */
	if (res < 0 && !(aring__opdefs[r->opcode].flags & ARING__OPF_KEEPLINK) &&
	    !(cflags & IORING_CQE_F_NOTIF))
		aring__soft_set_fail(r);
	if (cflags & IORING_CQE_F_MORE) {
		/* kernel io_req_post_cqe(): a multishot CQE is posted at once,
		 * after the CQEs completed before it. */
		aring__soft_post(s, r, res, cflags);
		aring__soft_flush_timeouts(s);
		return;
	}
	r->cflags = cflags;
	aring__soft_done(s, r, res);
}

void aring__soft_tw_add(struct aring__soft *s, struct aring__soft_req *r, enum aring__soft_tw tw,
			int32_t res)
{
	r->state = SOFT_QUEUED;
	r->tw = (uint8_t)tw;
	r->tw_res = res;
	soft_fifo_push(&s->tw, r);
}

/*
 * kernel timeout.c io_fail_links() and io_req_tw_fail_links(): the rest of a
 * chain completes with -ECANCELED (or its own error if it failed at
 * submit); its CQEs are skipped if the failed request had CQE_SKIP_SUCCESS.
 */
static void fail_links(struct aring__soft *s, struct aring__soft_req *r)
{
	struct aring__soft_req *l = r->link;
	bool ignore = r->flags & SOFT_F_SKIP_LINK_CQES;

	r->link = NULL;
	while (l) {
		struct aring__soft_req *nxt = l->link;

		if (ignore)
			l->flags |= SOFT_F_CQE_SKIP;
		else
			l->flags &= (uint16_t)~SOFT_F_CQE_SKIP;
		l->link = NULL;
		l->flags &= (uint16_t)~(SOFT_F_ARM_LTIMEOUT | SOFT_F_LINK | SOFT_F_HARDLINK);
		aring__soft_tw_add(s, l, SOFT_TW_COMPLETE,
				   (l->flags & SOFT_F_FAIL) ? l->res : -ECANCELED);
		l = nxt;
	}
}

/* kernel io_queue_next() / io_req_find_next(): what a finished request's chain does. */
static void queue_next(struct aring__soft *s, struct aring__soft_req *r)
{
	struct aring__soft_req *nxt;

	aring__soft_disarm_next(s, r);
	if ((r->flags & SOFT_F_FAIL) && !(r->flags & SOFT_F_HARDLINK)) {
		fail_links(s, r);
		return;
	}
	nxt = r->link;
	r->link = NULL;
	if (nxt)
		aring__soft_tw_add(s, nxt, SOFT_TW_ISSUE, 0);
}

static void queue_deferred(struct aring__soft *s);

/*
 * kernel __io_submit_flush_completions(): post the batch's CQEs in order,
 * flush count timeouts (io_commit_cqring_flush), then free the requests,
 * which sends each chain on (io_free_batch_list), then release drained
 * requests (io_queue_deferred).
 */
static bool flush_batch(struct aring__soft *s)
{
	struct aring__soft_req *list = soft_fifo_take(&s->batch), *r, *n;

	if (!list)
		return false;
	for (r = list; r; r = r->next)
		if (!(r->flags & SOFT_F_CQE_SKIP))
			aring__soft_post(s, r, r->res, r->cflags);
	aring__soft_flush_timeouts(s);
	for (r = list; r; r = n) {
		n = r->next;
		queue_next(s, r);
		req_free(s, r);
	}
	if (s->drain_active)
		queue_deferred(s);
	return true;
}

/* One batch of task work, in FIFO order (kernel io_handle_tw_list()). */
static bool run_tw(struct aring__soft *s)
{
	struct aring__soft_req *list = soft_fifo_take(&s->tw), *r, *n;

	if (!list)
		return false;
	for (r = list; r; r = n) {
		n = r->next;
		r->next = NULL;
		switch (r->tw) {
		case SOFT_TW_ISSUE:
			/* kernel io_req_task_submit() */
			issue(s, r);
			break;
		case SOFT_TW_FAIL:
			aring__soft_set_fail(r);
			/* fall through */
		case SOFT_TW_COMPLETE:
			aring__soft_done(s, r, r->tw_res);
			break;
		case SOFT_TW_LTIMEOUT:
			aring__soft_ltimeout_tw(s, r);
			break;
		case SOFT_TW_TIMEOUT:
			aring__soft_timeout_tw(s, r);
			break;
		default:
			assert(!"unknown task work");
		}
	}
	return true;
}

/* Run what the ring has to do at this instant until nothing is left. */
static void settle(struct aring__soft *s)
{
	for (;;) {
		if (flush_batch(s))
			continue;
		if (run_tw(s))
			continue;
		if (aring__soft_timers_run(s, soft_now(s)))
			continue;
		return;
	}
}

/* ---------------------------------------------------------------- drain */

static uint64_t linked_nr(const struct aring__soft_req *r)
{
	uint64_t n = 0;

	for (; r; r = r->link)
		n++;
	return n;
}

/*
 * kernel io_queue_deferred(): the first deferred chain, and any after a
 * drain request, waits until every request alive is a deferred one, that
 * is until everything submitted before it has completed.
 */
static void queue_deferred(struct aring__soft *s)
{
	bool drain_seen = false, first = true;

	while (s->defer.head) {
		struct aring__soft_req *r = s->defer.head;

		drain_seen |= (r->flags & SOFT_F_DRAIN) != 0;
		if ((drain_seen || first) && s->nalloc != s->ndrained)
			return;
		s->defer.head = r->next;
		if (!s->defer.head)
			s->defer.tail = NULL;
		s->ndrained -= linked_nr(r);
		aring__soft_tw_add(s, r, SOFT_TW_ISSUE, 0);
		first = false;
	}
}

/* kernel io_drain_req() */
static void drain_req(struct aring__soft *s, struct aring__soft_req *r)
{
	bool drain = r->flags & SOFT_F_DRAIN;

	r->state = SOFT_DEFERRED;
	s->ndrained += linked_nr(r);
	soft_fifo_push(&s->defer, r);
	queue_deferred(s);
	if (!drain && !s->defer.head)
		s->drain_active = false;
}

/* ---------------------------------------------------------------- issue */

/* kernel io_issue_sqe(): run r now, in the soft ring or the executor. */
static void issue(struct aring__soft *s, struct aring__soft_req *r)
{
	r->state = SOFT_STARTED;
	switch (r->opcode) {
	case IORING_OP_NOP:
		aring__soft_nop_issue(s, r);
		break;
	case IORING_OP_TIMEOUT:
		aring__soft_timeout_issue(s, r);
		break;
	case IORING_OP_TIMEOUT_REMOVE:
		aring__soft_timeout_remove_issue(s, r);
		break;
	case IORING_OP_ASYNC_CANCEL:
		aring__soft_cancel_issue(s, r);
		break;
	case IORING_OP_PROVIDE_BUFFERS:
	case IORING_OP_REMOVE_BUFFERS:
		aring__soft_kbuf_issue(s, r);
		break;
	case IORING_OP_LINK_TIMEOUT:
		/* Issued as a request of its own: its request is gone (kernel
		 * io_no_issue(): a linked timeout only runs armed). */
		aring__soft_done(s, r, -ECANCELED);
		break;
	case IORING_OP_FILES_UPDATE:
		aring__soft_files_update_issue(s, r);
		break;
	case ARING_OP_FIXED_FD_INSTALL:
		aring__soft_fixed_fd_install_issue(s, r);
		break;
	default:
		if ((r->sqe.flags & IOSQE_FIXED_FILE) &&
		    (aring__opdefs[r->opcode].flags & ARING__OPF_FILE)) {
			/* kernel io_assign_file() -> io_file_get_fixed(): the slot's file */
			r->fixed = aring__soft_fixed_file(s, (unsigned)r->sqe.fd);
			if (!r->fixed) {
				aring__soft_set_fail(r);
				aring__soft_done(s, r, -EBADF);
				break;
			}
		}
		aring__soft_hash_add(s, r);
		s->exec->start(s->ex, r);
		if (r->state == SOFT_STARTED && r->file)
			aring__soft_file_add(s, r);
		break;
	}
	/* kernel io_queue_async()/io_queue_linked_timeout(): a request that
	 * did not complete inline arms its linked timeout now. */
	if (r->state != SOFT_DONE && (r->flags & SOFT_F_ARM_LTIMEOUT))
		aring__soft_ltimeout_arm(s, r);
}

/* kernel io_queue_sqe_fallback() */
static void queue_fallback(struct aring__soft *s, struct aring__soft_req *r)
{
	if (r->flags & SOFT_F_FAIL) {
		/* Fail them all without issuing: hard links become plain links. */
		r->flags &= (uint16_t)~SOFT_F_HARDLINK;
		r->flags |= SOFT_F_LINK;
		aring__soft_done(s, r, r->res);
	} else if (s->drain_active) {
		drain_req(s, r);
	} else {
		issue(s, r);
	}
}

/* ---------------------------------------------------------------- submit */

/* kernel io_init_drain() */
static void init_drain(struct aring__soft *s)
{
	s->drain_active = true;
	if (s->link_head) {
		/* A drain in the middle of a link drains its head, and the
		 * request after the link. */
		s->link_head->flags |= SOFT_F_DRAIN | SOFT_F_FORCE_ASYNC;
		s->drain_next = true;
	}
}

/* kernel io_init_req(): the generic checks, then the op's prep. */
static int init_req(struct aring__soft *s, struct aring__soft_req *r)
{
	const struct io_uring_sqe *q = &r->sqe;
	unsigned sflags = q->flags;
	const struct aring__opdef *def;
	int ret;

	r->flags = (uint16_t)(((sflags & IOSQE_IO_LINK) ? SOFT_F_LINK : 0) |
			      ((sflags & IOSQE_IO_HARDLINK) ? SOFT_F_HARDLINK | SOFT_F_LINK : 0) |
			      ((sflags & IOSQE_CQE_SKIP_SUCCESS) ? SOFT_F_CQE_SKIP : 0) |
			      ((sflags & IOSQE_IO_DRAIN) ? SOFT_F_DRAIN : 0) |
			      ((sflags & IOSQE_ASYNC) ? SOFT_F_FORCE_ASYNC : 0));
	/* kernel io_init_req(): an opcode at or past IORING_OP_LAST (the
	   executor's kernel may be older than ours) */
	if (q->opcode >= ARING_OP_LAST ||
	    (s->exec->opcode_known && !s->exec->opcode_known(s->ex, q->opcode))) {
		r->opcode = IORING_OP_NOP;
		return -EINVAL;
	}
	def = &aring__opdefs[q->opcode];
	if (sflags & ~SQE_VALID_FLAGS)
		return -EINVAL;
	if ((sflags & IOSQE_BUFFER_SELECT) && !(def->flags & ARING__OPF_BUFSEL))
		return -EOPNOTSUPP;
	if (sflags & IOSQE_CQE_SKIP_SUCCESS)
		s->drain_disabled = true;
	if (sflags & IOSQE_IO_DRAIN) {
		if (s->drain_disabled)
			return -EOPNOTSUPP;
		init_drain(s);
	}
	if (s->drain_active || s->drain_next) {
		/* knock it to the slow queue path, to be drained there */
		if (s->drain_active)
			r->flags |= SOFT_F_FORCE_ASYNC;
		if (s->drain_next && !s->link_head) {
			s->drain_next = false;
			s->drain_active = true;
			r->flags |= SOFT_F_DRAIN | SOFT_F_FORCE_ASYNC;
		}
	}
	if (q->ioprio && !(def->flags & ARING__OPF_IOPRIO))
		return -EINVAL;
	if (q->personality)
		return -EINVAL; /* no registered personalities */
	if (def->prep && (ret = def->prep(q)) < 0)
		return ret;
	switch (r->opcode) {
	case IORING_OP_TIMEOUT:
	case IORING_OP_LINK_TIMEOUT:
		return aring__soft_timeout_prep(s, r);
	case IORING_OP_TIMEOUT_REMOVE:
		return aring__soft_timeout_remove_prep(s, r);
	case IORING_OP_ASYNC_CANCEL:
		return aring__soft_cancel_prep(s, r);
	case IORING_OP_PROVIDE_BUFFERS:
	case IORING_OP_REMOVE_BUFFERS:
		return aring__soft_kbuf_prep(s, r);
	default:
		break;
	}
	if (def->flags & ARING__OPF_RING)
		return 0;
	/* an op the executor does not model: -EOPNOTSUPP before any file check */
	if (s->exec->prep && (ret = s->exec->prep(s->ex, r)) < 0)
		return ret;
	/*
	 * kernel io_init_req(): IOSQE_FIXED_FILE is only looked at by ops that
	 * need a file (io_assign_file() at issue: the registered file, issue()
	 * below, -EBADF for an empty slot) and by the preps that refuse it
	 * (io_openat_prep(), io_close_prep(), ...); a nop, a socket or a pipe
	 * ignore it.
	 */
	if ((sflags & IOSQE_FIXED_FILE) && (def->flags & ARING__OPF_NOFIXED))
		return -EBADF;
	return 0;
}

/* kernel io_submit_fail_init(): a bad SQE fails its whole chain, at once. */
static void submit_fail_init(struct aring__soft *s, struct aring__soft_req *r, int ret)
{
	struct aring__soft_req *head = s->link_head;

	r->flags |= SOFT_F_INIT_FAILED;
	aring__soft_set_fail(r);
	r->res = ret;
	if (head && !(head->flags & SOFT_F_FAIL)) {
		aring__soft_set_fail(head);
		head->res = -ECANCELED;
	}
	if (!(r->flags & SOFT_F_LINK)) {
		if (head) {
			s->link_last->link = r;
			r->state = SOFT_LINKED;
			s->link_head = s->link_last = NULL;
			r = head;
		}
		queue_fallback(s, r);
		return;
	}
	r->state = SOFT_LINKED;
	if (head)
		s->link_last->link = r;
	else
		s->link_head = r;
	s->link_last = r;
}

/* kernel io_submit_sqe() */
static void submit_sqe(struct aring__soft *s, const struct io_uring_sqe *sqe)
{
	struct aring__soft_req *r = req_alloc(s);
	int ret;

	r->sqe = *sqe;
	r->opcode = sqe->opcode;
	r->seq = ++s->next_seq;
	s->stats.sqes++;
	ret = init_req(s, r);
	if (s->exec->on_sqe)
		s->exec->on_sqe(s->ex, r);
	if (ret < 0) {
		submit_fail_init(s, r, ret);
		return;
	}
	if (s->link_head) {
		r->state = SOFT_LINKED;
		s->link_last->link = r;
		s->link_last = r;
		if (r->flags & SOFT_F_LINK)
			return;
		/* last request of the link: queue the chain */
		r = s->link_head;
		s->link_head = s->link_last = NULL;
		if (r->flags & (SOFT_F_FORCE_ASYNC | SOFT_F_FAIL))
			queue_fallback(s, r);
		else
			issue(s, r);
		return;
	}
	if (r->flags & SOFT_F_LINK) {
		r->state = SOFT_LINKED;
		s->link_head = s->link_last = r;
		return;
	}
	if (r->flags & SOFT_F_FORCE_ASYNC)
		queue_fallback(s, r);
	else
		issue(s, r);
}

/* ---------------------------------------------------------------- backend ops */

static struct aring__soft *soft_of(struct aring__backend *be)
{
	return (struct aring__soft *)be;
}

static struct io_uring_sqe *soft_get_sqe(struct aring__backend *be)
{
	struct aring__soft *s = soft_of(be);
	struct io_uring_sqe *sqe;

	if (s->sq_tail - s->sq_head >= s->sq_entries)
		return NULL;
	sqe = &s->sq[s->sq_tail++ & (s->sq_entries - 1)];
	/* liburing 2.6+ prep helpers no longer clear every field. */
	memset(sqe, 0, sizeof(*sqe));
	return sqe;
}

static unsigned soft_sq_space(struct aring__backend *be)
{
	struct aring__soft *s = soft_of(be);

	return s->sq_entries - (s->sq_tail - s->sq_head);
}

static unsigned soft_sq_ready(struct aring__backend *be)
{
	struct aring__soft *s = soft_of(be);

	return s->sq_tail - s->sq_head;
}

/*
 * Submit, then drive the executor: with wait_nr > 0 until wait_nr CQEs are
 * ready (time passes: the executor's wait() runs up to the next timer);
 * otherwise only what is due at this instant runs.
 */
static int do_submit(struct aring__soft *s, unsigned wait_nr)
{
	unsigned n = 0;

	/* The kernel takes SQEs while CQEs overflow (io_submit_sqes() does not
	 * look at the overflow list); waiting flushes it first (io_cqring_wait()). */
	flush_overflow(s);
	while (s->sq_head != s->sq_tail) {
		submit_sqe(s, &s->sq[s->sq_head & (s->sq_entries - 1)]);
		s->sq_head++;
		n++;
	}
	/* An empty ring starts again at entry 0 (no one sees the indices): the
	 * SQEs in use stay in a few cache lines and pages, not all 256. */
	s->sq_head = s->sq_tail = 0;
	/* kernel io_submit_state_end(): an unterminated chain goes as it is. */
	if (s->link_head) {
		struct aring__soft_req *head = s->link_head;

		s->link_head = s->link_last = NULL;
		queue_fallback(s, head);
	}
	for (;;) {
		uint64_t deadline;
		int ret;

		settle(s);
		if (cq_ready(s) >= wait_nr || s->ovf_len) {
			/* Run what is due now (zero latency), without letting time pass. */
			ret = s->exec->wait(s->ex, soft_now(s));
			if (ret <= 0)
				break;
			continue;
		}
		deadline = aring__soft_timers_next(s);
		ret = s->exec->wait(s->ex, deadline);
		if (ret < 0)
			return ret;
	}
	return (int)n;
}

/* The submit context's body: one submission per switch in. */
static void submit_main(void *arg)
{
	struct aring__soft *s = arg;

	for (;;) {
		s->sub_ret = do_submit(s, s->sub_wait_nr);
		aring__ctx_switch(&s->sub_ctx, s->sub_caller);
	}
}

/*
 * The core submits from a task when it must make room in a full SQ
 * (core/op.c make_room), on a stack that may be 16 KiB and mostly the
 * task's own. So the soft ring does its submit work on its own stack
 * (two context switches per call) unless the caller is on its thread's own
 * stack with SUBMIT_STACK_BYTES to spare below it: the scheduler of a loop
 * run from main() or an ordinary thread, which is where nearly every
 * submission comes from (a KV swarm seed: 7,000 of them, the switches
 * 4-6% of its CPU time). The work is the same on either stack.
 */
static int soft_submit(struct aring__backend *be, unsigned wait_nr)
{
	struct aring__soft *s = soft_of(be);
	struct aring__ctx caller;

	if (aring__stack_room(SUBMIT_STACK_BYTES))
		return do_submit(s, wait_nr);
	memset(&caller, 0, sizeof(caller));
	s->sub_caller = &caller;
	s->sub_wait_nr = wait_nr;
	aring__ctx_switch(&caller, &s->sub_ctx);
	return s->sub_ret;
}

static int submit_ctx_init(struct aring__soft *s)
{
	void *top;

	/* A guard below the stack (core/stack.c): an overflow faults, never corrupts. */
	s->sub_map = aring__stack_alone_get(SUBMIT_STACK_BYTES, &top);
	if (!s->sub_map)
		return -ENOMEM;
	s->sub_ctx.stack_lo = (char *)top - SUBMIT_STACK_BYTES;
	s->sub_ctx.stack_size = SUBMIT_STACK_BYTES;
	aring__ctx_register_stack(&s->sub_ctx);
	aring__ctx_make(&s->sub_ctx, submit_main, s);
	return 0;
}

static unsigned soft_peek(struct aring__backend *be, struct io_uring_cqe **cqes, unsigned max)
{
	struct aring__soft *s = soft_of(be);
	unsigned n = cq_ready(s), i;

	if (n > max)
		n = max;
	for (i = 0; i < n; i++)
		cqes[i] = &s->cq[(s->cq_head + i) & (s->cq_entries - 1)];
	return n;
}

static void soft_advance(struct aring__backend *be, unsigned n)
{
	struct aring__soft *s = soft_of(be);

	assert(n <= cq_ready(s));
	s->cq_head += n;
	flush_overflow(s);
	if (s->cq_head == s->cq_tail)
		s->cq_head = s->cq_tail = 0; /* as the SQ (do_submit) */
}

static uint64_t soft_now_ns(struct aring__backend *be)
{
	return soft_now(soft_of(be));
}

static bool soft_has_op(struct aring__backend *be, unsigned opcode)
{
	struct aring__soft *s = soft_of(be);

	if (opcode >= ARING_OP_LAST)
		return false;
	if (aring__opdefs[opcode].flags & ARING__OPF_RING)
		return true;
	return s->exec->has_op(s->ex, opcode);
}

static struct io_uring *soft_ring(struct aring__backend *be)
{
	(void)be;
	return NULL;
}

static int soft_register_rsrc(struct aring__backend *be, unsigned opcode, void *arg,
			      unsigned nr_args)
{
	return aring__soft_rsrc_register(soft_of(be), opcode, arg, nr_args);
}

static void soft_destroy(struct aring__backend *be)
{
	aring__soft_free(soft_of(be));
}

static const struct aring__backend_ops soft_ops = {
	.name = "soft",
	.get_sqe = soft_get_sqe,
	.sq_space = soft_sq_space,
	.sq_ready = soft_sq_ready,
	.submit = soft_submit,
	.peek = soft_peek,
	.advance = soft_advance,
	.now_ns = soft_now_ns,
	.has_op = soft_has_op,
	.ring = soft_ring,
	.destroy = soft_destroy,
	.register_rsrc = soft_register_rsrc,
};

/* ---------------------------------------------------------------- life */

static unsigned round_pow2(unsigned n)
{
	unsigned p = 1;

	while (p < n)
		p <<= 1;
	return p;
}

int aring__soft_new(unsigned entries, const struct aring__soft_exec *exec, void *ex,
		    const char *name, struct aring__soft **out)
{
	struct aring__soft *s;

	*out = NULL;
	if (!entries || entries > ARING_MAX_ENTRIES)
		return -EINVAL;
	assert(exec->req_size >= sizeof(struct aring__soft_req));
	s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	s->be.ops = &soft_ops;
	s->exec = exec;
	s->ex = ex;
	s->name = name;
	/* The kernel rounds the SQ up to a power of two; so do we. */
	s->sq_entries = round_pow2(entries);
	s->be.sq_entries = s->sq_entries;
	s->cq_entries = 2 * s->sq_entries;
	/* not zeroed: soft_get_sqe clears each SQE, post_cqe fills each CQE */
	s->sq = malloc(s->sq_entries * sizeof(*s->sq));
	s->cq = malloc(s->cq_entries * sizeof(*s->cq));
	if (!s->sq || !s->cq || aring__soft_hash_init(s) < 0 || submit_ctx_init(s) < 0) {
		free(s->sq);
		free(s->cq);
		aring__soft_hash_free(s);
		free(s);
		return -ENOMEM;
	}
	*out = s;
	return 0;
}

struct aring__backend *aring__soft_backend(struct aring__soft *s)
{
	return &s->be;
}

void *aring__soft_executor(struct aring__backend *be)
{
	return soft_of(be)->ex;
}

void aring__soft_set_cq_limit(struct aring__soft *s, unsigned n)
{
	s->cq_limit = n < s->cq_entries ? n : 0;
}

uint64_t aring__soft_live(const struct aring__soft *s)
{
	return s->nalloc;
}

const struct aring__soft_stats *aring__soft_stats(const struct aring__soft *s)
{
	return &s->stats;
}

/* Free a chain of requests that never reached the executor. */
static void free_chain(struct aring__soft *s, struct aring__soft_req *r)
{
	while (r) {
		struct aring__soft_req *n = r->link;

		r->link = NULL;
		if (r->flags & SOFT_F_HASHED)
			aring__soft_hash_del(s, r);
		aring__soft_timer_del(s, r);
		free(r);
		s->nalloc--;
		r = n;
	}
}

void aring__soft_free(struct aring__soft *s)
{
	struct aring__soft_req *r, *n;
	void (*destroy)(void *) = s->exec->destroy;
	void *ex = s->ex;

	/* No CQEs any more: release every request, and what the executor holds. */
	while ((r = s->flight)) {
		aring__soft_hash_del(s, r);
		aring__soft_timer_del(s, r);
		if (r->state == SOFT_STARTED && !(aring__opdefs[r->opcode].flags & ARING__OPF_RING))
			s->exec->drop(s->ex, r);
		r->state = SOFT_QUEUED; /* freed with the batch below */
		soft_fifo_push(&s->batch, r);
	}
	/* Linked timeouts armed are in their request's chain: unlink them first. */
	for (r = s->batch.head; r; r = r->next)
		if (r->lt_head && r->lt_head->link == r)
			r->lt_head->link = r->link, r->link = NULL;
	for (r = soft_fifo_take(&s->batch); r; r = n) {
		n = r->next;
		free_chain(s, r);
	}
	for (r = soft_fifo_take(&s->tw); r; r = n) {
		n = r->next;
		free_chain(s, r);
	}
	for (r = soft_fifo_take(&s->defer); r; r = n) {
		n = r->next;
		free_chain(s, r);
	}
	free_chain(s, s->link_head);
	aring__soft_rsrc_free(s); /* the executor's files, while it is alive */
	while ((r = s->free_reqs)) {
		s->free_reqs = r->next;
		free(r);
	}
	aring__soft_timers_free(s);
	aring__soft_hash_free(s);
	aring__soft_kbuf_free(s);
	aring__ctx_unregister_stack(&s->sub_ctx);
	aring__stack_alone_put(s->sub_map);
	free(s->ovf);
	free(s->sq);
	free(s->cq);
	free(s);
	if (destroy)
		destroy(ex);
}
