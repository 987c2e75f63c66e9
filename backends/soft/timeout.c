/* SPDX-License-Identifier: MIT */
/*
 * Timeouts, as the kernel's io_uring/timeout.c has them: IORING_OP_TIMEOUT
 * (relative or absolute, with a completion count, multishot),
 * IORING_OP_LINK_TIMEOUT, and TIMEOUT_REMOVE / TIMEOUT_UPDATE /
 * LINK_TIMEOUT_UPDATE.
 *
 * Armed timers sit in a binary min-heap by (deadline, submission number);
 * count timeouts also sit in a min-heap by (target sequence, submission
 * number). Arming, firing, removing: O(log n); a CQE costs one look at the
 * top of the count heap. The CQ sequence is the kernel's: every CQE posted
 * counts, less the timeouts that fired or were flushed (cq_timeouts).
 */
#include "config.h"
#include <errno.h>
#include <stdlib.h>

#include "backends/soft/ring.h"

#define NSEC_PER_SEC 1000000000ull
#define KTIME_MAX ((uint64_t)INT64_MAX)

/* ---------------------------------------------------------------- heaps */

struct heap {
	struct aring__soft_req ***items;
	uint32_t *len, *cap;
	size_t idx_off; /* offsetof the req's index field */
	bool by_target;
};

static uint32_t *idx_of(const struct heap *h, struct aring__soft_req *r)
{
	return (uint32_t *)((char *)r + h->idx_off);
}

static bool before(const struct heap *h, const struct aring__soft_req *a,
		   const struct aring__soft_req *b)
{
	uint64_t ka = h->by_target ? a->target_seq : a->deadline_ns;
	uint64_t kb = h->by_target ? b->target_seq : b->deadline_ns;

	if (ka != kb)
		return ka < kb;
	return a->seq < b->seq;
}

static void place(const struct heap *h, uint32_t i, struct aring__soft_req *r)
{
	(*h->items)[i] = r;
	*idx_of(h, r) = i;
}

static void sift_up(const struct heap *h, uint32_t i)
{
	struct aring__soft_req *r = (*h->items)[i];

	while (i > 0) {
		uint32_t parent = (i - 1) / 2;

		if (!before(h, r, (*h->items)[parent]))
			break;
		place(h, i, (*h->items)[parent]);
		i = parent;
	}
	place(h, i, r);
}

static void sift_down(const struct heap *h, uint32_t i)
{
	struct aring__soft_req *r = (*h->items)[i];
	uint32_t n = *h->len;

	for (;;) {
		uint32_t l = 2 * i + 1, m = i;
		struct aring__soft_req *best = r;

		if (l < n && before(h, (*h->items)[l], best))
			best = (*h->items)[m = l];
		if (l + 1 < n && before(h, (*h->items)[l + 1], best))
			best = (*h->items)[m = l + 1];
		if (m == i)
			break;
		place(h, i, best);
		i = m;
	}
	place(h, i, r);
}

static void heap_push(const struct heap *h, struct aring__soft_req *r)
{
	assert(*idx_of(h, r) == SOFT_NO_HEAP);
	if (*h->len == *h->cap) {
		uint32_t cap = *h->cap ? *h->cap * 2 : 64;
		struct aring__soft_req **n = realloc(*h->items, cap * sizeof(*n));

		if (!n)
			abort(); /* a lost timer would be a lost CQE */
		*h->items = n;
		*h->cap = cap;
	}
	place(h, (*h->len)++, r);
	sift_up(h, *idx_of(h, r));
}

static void heap_del(const struct heap *h, struct aring__soft_req *r)
{
	uint32_t i = *idx_of(h, r);
	struct aring__soft_req *last;

	if (i == SOFT_NO_HEAP)
		return;
	assert(i < *h->len && (*h->items)[i] == r);
	last = (*h->items)[--*h->len];
	*idx_of(h, r) = SOFT_NO_HEAP;
	if (last == r)
		return;
	place(h, i, last);
	sift_down(h, i);
	sift_up(h, *idx_of(h, last));
}

static struct heap timers(struct aring__soft *s)
{
	return (struct heap){ &s->timers, &s->ntimers, &s->timers_cap,
			      offsetof(struct aring__soft_req, heap_idx), false };
}

static struct heap counts(struct aring__soft *s)
{
	return (struct heap){ &s->counts, &s->ncounts, &s->counts_cap,
			      offsetof(struct aring__soft_req, cnt_idx), true };
}

void aring__soft_timer_del(struct aring__soft *s, struct aring__soft_req *r)
{
	struct heap t = timers(s), c = counts(s);

	heap_del(&t, r);
	heap_del(&c, r);
}

void aring__soft_timers_free(struct aring__soft *s)
{
	free(s->timers);
	free(s->counts);
	s->timers = s->counts = NULL;
	s->ntimers = s->ncounts = 0;
}

uint64_t aring__soft_timers_next(struct aring__soft *s)
{
	return s->ntimers ? s->timers[0]->deadline_ns : UINT64_MAX;
}

/*
 * Arm r's timer: relative to now, or absolute (hrtimer_start() with
 * data->mode). Expiry times are the kernel's ktime_t: they saturate at
 * KTIME_MAX, and a timer due there never fires (it stays armed: it can be
 * removed or cancelled).
 */
static void arm(struct aring__soft *s, struct aring__soft_req *r, uint64_t ts_ns, bool abs)
{
	struct heap t = timers(s);
	uint64_t now = soft_now(s);

	if (abs)
		r->deadline_ns = ts_ns > now ? ts_ns : now;
	else
		r->deadline_ns = ts_ns >= KTIME_MAX - now || now >= KTIME_MAX ? KTIME_MAX : now + ts_ns;
	r->state = SOFT_TIMER;
	if (r->deadline_ns < KTIME_MAX)
		heap_push(&t, r);
}

/* ---------------------------------------------------------------- prep */

/* get_timespec64() + timespec64_to_ktime(): tv_nsec >= 1e9 simply adds up. */
static int read_ts(uint64_t addr, uint64_t *ns)
{
	const struct __kernel_timespec *ts = (const struct __kernel_timespec *)(uintptr_t)addr;
	uint64_t sec;

	if (!aring__soft_user_ok(addr, sizeof(*ts)))
		return -EFAULT; /* copy_from_user() */
	if (ts->tv_sec < 0 || ts->tv_nsec < 0)
		return -EINVAL;
	sec = (uint64_t)ts->tv_sec;
	if (sec >= KTIME_MAX / NSEC_PER_SEC) {
		*ns = KTIME_MAX;
		return 0;
	}
	*ns = sec * NSEC_PER_SEC + (uint64_t)ts->tv_nsec;
	if (*ns > KTIME_MAX)
		*ns = KTIME_MAX;
	return 0;
}

/* kernel timeout.c __io_timeout_prep() (its SQE checks are core/opdef.c's prep_timeout). */
int aring__soft_timeout_prep(struct aring__soft *s, struct aring__soft_req *r)
{
	const struct io_uring_sqe *q = &r->sqe;
	int ret;

	r->tflags = q->timeout_flags;
	r->repeats = 0;
	if ((r->tflags & ARING_TIMEOUT_MULTISHOT) && (uint32_t)q->off)
		r->repeats = (uint32_t)q->off;
	ret = read_ts(q->addr, &r->ts_ns);
	if (ret < 0)
		return ret;
	if (r->opcode == IORING_OP_LINK_TIMEOUT) {
		if (!s->link_head)
			return -EINVAL;
		if (s->link_last->opcode == IORING_OP_LINK_TIMEOUT)
			return -EINVAL;
		r->lt_head = s->link_last;
		s->link_last->flags |= SOFT_F_ARM_LTIMEOUT;
	}
	return 0;
}

/* kernel timeout.c io_timeout_remove_prep() (SQE checks in core/opdef.c). */
int aring__soft_timeout_remove_prep(struct aring__soft *s, struct aring__soft_req *r)
{
	(void)s;
	r->tflags = r->sqe.timeout_flags;
	if (r->tflags & IORING_TIMEOUT_UPDATE_MASK)
		return read_ts(r->sqe.addr2, &r->ts_ns);
	return 0;
}

/* ---------------------------------------------------------------- issue */

static bool is_noseq(const struct aring__soft_req *r)
{
	return !(uint32_t)r->sqe.off || (r->tflags & ARING_TIMEOUT_MULTISHOT);
}

/* kernel timeout.c io_timeout() */
void aring__soft_timeout_issue(struct aring__soft *s, struct aring__soft_req *r)
{
	if (!is_noseq(r)) {
		struct heap c = counts(s);

		/* Counted from the CQEs posted so far: not from the inline
		 * completions of this submission, posted at its end. */
		r->target_seq = s->cq_events - s->cq_timeouts + (uint32_t)r->sqe.off;
		r->flags |= SOFT_F_TIMEOUT_SEQ;
		heap_push(&c, r);
	}
	aring__soft_hash_add(s, r);
	arm(s, r, r->ts_ns, r->tflags & IORING_TIMEOUT_ABS);
}

/* kernel timeout.c io_flush_timeouts(): kill count timeouts whose count was reached. */
void aring__soft_flush_timeouts(struct aring__soft *s)
{
	struct heap c = counts(s), t = timers(s);

	while (s->ncounts) {
		struct aring__soft_req *r = s->counts[0];

		if (r->target_seq > s->cq_events - s->cq_timeouts)
			return;
		/* io_kill_timeout(): it counts as a timeout CQE, and completes with 0. */
		heap_del(&c, r);
		heap_del(&t, r);
		aring__soft_hash_del(s, r);
		s->cq_timeouts++;
		aring__soft_tw_add(s, r, SOFT_TW_COMPLETE, 0);
	}
}

/* kernel timeout.c io_timeout_fn() and io_link_timeout_fn(): a timer fired. */
static void fire(struct aring__soft *s, struct aring__soft_req *r)
{
	if (r->opcode == IORING_OP_LINK_TIMEOUT) {
		struct aring__soft_req *prev = r->lt_head;

		if (prev) {
			/* io_remove_next_linked(prev): the timeout leaves the chain. */
			assert(prev->link == r);
			prev->link = r->link;
			r->link = NULL;
			prev->flags &= (uint16_t)~SOFT_F_LTIMEOUT;
		}
		aring__soft_hash_del(s, r);
		aring__soft_tw_add(s, r, SOFT_TW_LTIMEOUT, 0);
		return;
	}
	if (r->flags & SOFT_F_TIMEOUT_SEQ) {
		struct heap c = counts(s);

		heap_del(&c, r);
	}
	aring__soft_hash_del(s, r);
	s->cq_timeouts++;
	if (!(r->tflags & IORING_TIMEOUT_ETIME_SUCCESS))
		aring__soft_set_fail(r);
	aring__soft_tw_add(s, r, SOFT_TW_TIMEOUT, -ETIME);
}

bool aring__soft_timers_run(struct aring__soft *s, uint64_t now)
{
	struct heap t = timers(s);
	bool fired = false;

	while (s->ntimers && s->timers[0]->deadline_ns <= now) {
		struct aring__soft_req *r = s->timers[0];

		heap_del(&t, r);
		fire(s, r);
		fired = true;
	}
	return fired;
}

/* kernel timeout.c io_timeout_finish() and io_timeout_complete() */
void aring__soft_timeout_tw(struct aring__soft *s, struct aring__soft_req *r)
{
	if ((r->tflags & ARING_TIMEOUT_MULTISHOT) &&
	    (!(uint32_t)r->sqe.off || (r->repeats && --r->repeats))) {
		aring__soft_post(s, r, -ETIME, IORING_CQE_F_MORE);
		aring__soft_flush_timeouts(s);
		aring__soft_hash_add(s, r);
		/*
		 * Re-armed: the kernel's hrtimer with a zero interval fires again
		 * a moment later, after this task work ran; on a virtual clock
		 * that moment is 1 ns, so that time still passes.
		 */
		arm(s, r, r->ts_ns ? r->ts_ns : 1, false);
		return;
	}
	aring__soft_done(s, r, -ETIME);
}

/* kernel timeout.c io_req_task_link_timeout(): cancel the guarded request. */
void aring__soft_ltimeout_tw(struct aring__soft *s, struct aring__soft_req *r)
{
	struct aring__soft_req *prev = r->lt_head;
	int32_t res = -ETIME;

	r->lt_head = NULL;
	if (prev) {
		/*
		 * io_try_cancel() by prev's user_data: 0 if it stopped it; a
		 * request already running is not found by the later lookups
		 * (poll, waitid, futex, timeouts), so that gives -ENOENT.
		 */
		int ret = prev->state == SOFT_STARTED || prev->state == SOFT_TIMER ?
			aring__soft_cancel_req(s, prev, -ECANCELED) : -ENOENT;

		if (ret < 0)
			res = -ENOENT;
		else if (ret > 0)
			res = ret; /* ret ?: -ETIME: a futex's cancel counts (cancel.c) */
	}
	aring__soft_done(s, r, res);
}

/* kernel timeout.c io_queue_linked_timeout() */
void aring__soft_ltimeout_arm(struct aring__soft *s, struct aring__soft_req *r)
{
	struct aring__soft_req *lt = r->link;

	r->flags &= (uint16_t)~SOFT_F_ARM_LTIMEOUT;
	if (!lt || lt->opcode != IORING_OP_LINK_TIMEOUT)
		return;
	r->flags |= SOFT_F_LTIMEOUT;
	lt->state = SOFT_STARTED;
	aring__soft_hash_add(s, lt);
	arm(s, lt, lt->ts_ns, lt->tflags & IORING_TIMEOUT_ABS);
}

/* kernel timeout.c io_disarm_next(): a request completed before its linked timeout. */
void aring__soft_disarm_next(struct aring__soft *s, struct aring__soft_req *r)
{
	struct aring__soft_req *lt = r->link;

	if (r->flags & SOFT_F_ARM_LTIMEOUT) {
		/* Completed inline: its timeout was never armed. */
		r->flags &= (uint16_t)~SOFT_F_ARM_LTIMEOUT;
		if (lt && lt->opcode == IORING_OP_LINK_TIMEOUT) {
			r->link = lt->link;
			lt->link = NULL;
			lt->lt_head = NULL;
			aring__soft_tw_add(s, lt, SOFT_TW_COMPLETE, -ECANCELED);
		}
	} else if (r->flags & SOFT_F_LTIMEOUT) {
		r->flags &= (uint16_t)~SOFT_F_LTIMEOUT;
		if (lt && lt->opcode == IORING_OP_LINK_TIMEOUT && lt->state == SOFT_TIMER) {
			struct heap t = timers(s);

			r->link = lt->link;
			lt->link = NULL;
			lt->lt_head = NULL;
			heap_del(&t, lt);
			aring__soft_hash_del(s, lt);
			aring__soft_tw_add(s, lt, SOFT_TW_COMPLETE, -ECANCELED);
		}
	}
}

/* ---------------------------------------------------------------- remove, update */

/* kernel timeout.c io_timeout_extract() + io_timeout_cancel() */
int aring__soft_timeout_cancel(struct aring__soft *s, struct aring__soft_req *r)
{
	struct heap t = timers(s), c = counts(s);

	if (r->opcode != IORING_OP_TIMEOUT || r->state != SOFT_TIMER)
		return -ENOENT;
	heap_del(&t, r);
	heap_del(&c, r);
	aring__soft_hash_del(s, r);
	/* io_req_task_queue_fail(): -ECANCELED through task work */
	aring__soft_tw_add(s, r, SOFT_TW_FAIL, -ECANCELED);
	return 0;
}

/* kernel timeout.c io_timeout_remove(): remove, update, or update a linked timeout. */
void aring__soft_timeout_remove_issue(struct aring__soft *s, struct aring__soft_req *r)
{
	uint64_t ud = r->sqe.addr;
	bool abs = r->tflags & IORING_TIMEOUT_ABS;
	struct heap t = timers(s), c = counts(s);
	struct aring__soft_req *tr;
	int ret;

	if (!(r->tflags & IORING_TIMEOUT_UPDATE)) {
		/* A removal (LINK_TIMEOUT_UPDATE without TIMEOUT_UPDATE too). */
		tr = aring__soft_find(s, ud, IORING_OP_TIMEOUT);
		ret = tr ? aring__soft_timeout_cancel(s, tr) : -ENOENT;
		goto done;
	}
	if (r->tflags & IORING_LINK_TIMEOUT_UPDATE) {
		/* io_linked_timeout_update() */
		tr = aring__soft_find(s, ud, IORING_OP_LINK_TIMEOUT);
		if (!tr || tr->state != SOFT_TIMER) {
			ret = -ENOENT;
			goto done;
		}
		heap_del(&t, tr);
		arm(s, tr, r->ts_ns, abs);
		ret = 0;
		goto done;
	}
	/* io_timeout_update(): the timeout becomes a pure timer ("noseq"). */
	tr = aring__soft_find(s, ud, IORING_OP_TIMEOUT);
	if (!tr || tr->state != SOFT_TIMER) {
		ret = -ENOENT;
		goto done;
	}
	heap_del(&t, tr);
	heap_del(&c, tr);
	tr->flags &= (uint16_t)~SOFT_F_TIMEOUT_SEQ;
	tr->sqe.off = 0;
	tr->ts_ns = r->ts_ns;
	tr->tflags = (tr->tflags & ~IORING_TIMEOUT_ABS) | (r->tflags & IORING_TIMEOUT_ABS);
	arm(s, tr, r->ts_ns, abs);
	ret = 0;
done:
	if (ret < 0)
		aring__soft_set_fail(r);
	aring__soft_done(s, r, ret);
}
