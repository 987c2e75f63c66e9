/* SPDX-License-Identifier: MIT */
/*
 * The virtual clock and the event queue.
 *
 * Every pending event (an op's execution after its latency, a timer, a
 * wake-up) is a request in a binary min-heap keyed by (time, tiebreak, seq):
 * the tiebreak is drawn from the seed, so events due at the same instant run
 * in a seed-chosen order, and seq makes the order total. A request is in the
 * heap at most once (heap_idx), so removal on cancel is O(log n).
 *
 * Time moves only in aring__sim_step(), which jumps straight to the next
 * event: never a real sleep.
 */
#include "config.h"
#include <stdlib.h>

#include "core/internal.h"
#include "sim/sim.h"

static bool before(const struct sim_req *a, const struct sim_req *b)
{
	if (a->event_ns != b->event_ns)
		return a->event_ns < b->event_ns;
	if (a->tiebreak != b->tiebreak)
		return a->tiebreak < b->tiebreak;
	return a->seq < b->seq;
}

static void place(struct sim *s, uint32_t i, struct sim_req *r)
{
	s->heap[i] = r;
	r->heap_idx = i;
}

static void sift_up(struct sim *s, uint32_t i)
{
	struct sim_req *r = s->heap[i];

	while (i > 0) {
		uint32_t parent = (i - 1) / 2;

		if (!before(r, s->heap[parent]))
			break;
		place(s, i, s->heap[parent]);
		i = parent;
	}
	place(s, i, r);
}

static void sift_down(struct sim *s, uint32_t i)
{
	struct sim_req *r = s->heap[i];

	for (;;) {
		uint32_t l = 2 * i + 1, m = i;
		struct sim_req *best = r;

		if (l < s->heap_len && before(s->heap[l], best)) {
			m = l;
			best = s->heap[l];
		}
		if (l + 1 < s->heap_len && before(s->heap[l + 1], best)) {
			m = l + 1;
			best = s->heap[l + 1];
		}
		if (m == i)
			break;
		place(s, i, best);
		i = m;
	}
	place(s, i, r);
}

void aring__sim_heap_push(struct sim *s, struct sim_req *r, uint64_t when_ns)
{
	assert(r->heap_idx == SIM_NO_HEAP);
	assert(when_ns >= s->now_ns);
	if (s->heap_len == s->heap_cap) {
		uint32_t cap = s->heap_cap ? s->heap_cap * 2 : 256;
		struct sim_req **h;

		assert(cap <= 2 * SIM_MAX_REQS);
		h = realloc(s->heap, cap * sizeof(*h));
		if (!h)
			abort(); /* the model cannot lose an event */
		s->heap = h;
		s->heap_cap = cap;
	}
	r->event_ns = when_ns;
	r->tiebreak = aring__sim_prng_next(&s->rng_sched);
	place(s, s->heap_len++, r);
	sift_up(s, r->heap_idx);
}

void aring__sim_heap_remove(struct sim *s, struct sim_req *r)
{
	uint32_t i = r->heap_idx;
	struct sim_req *last;

	if (i == SIM_NO_HEAP)
		return;
	assert(i < s->heap_len && s->heap[i] == r);
	last = s->heap[--s->heap_len];
	r->heap_idx = SIM_NO_HEAP;
	if (last == r)
		return;
	place(s, i, last);
	sift_down(s, i);
	sift_up(s, last->heap_idx);
}

struct sim_req *aring__sim_heap_pop(struct sim *s)
{
	struct sim_req *r = aring__sim_heap_top(s);

	if (r)
		aring__sim_heap_remove(s, r);
	return r;
}

void aring__sim_run_due(struct sim *s)
{
	struct sim_req *r;

	while ((r = aring__sim_heap_top(s)) && r->event_ns <= s->now_ns) {
		aring__sim_heap_remove(s, r);
		aring__sim_event(s, r);
	}
}

bool aring__sim_step(struct sim *s)
{
	struct sim_req *r = aring__sim_heap_top(s);

	if (!r)
		return false;
	assert(r->event_ns >= s->now_ns);
	s->now_ns = r->event_ns;
	aring__sim_run_due(s);
	return true;
}

uint64_t aring__sim_latency(struct sim *s)
{
	uint64_t lo = s->opts.latency_min_ns, hi = s->opts.latency_max_ns, lat;

	lat = hi <= lo ? lo : aring__sim_prng_range(&s->rng_sched, lo, hi);
	/* Virtual time saturates (long timeouts can carry it near UINT64_MAX). */
	return lat > UINT64_MAX - s->now_ns ? UINT64_MAX - s->now_ns : lat;
}

/*
 * shuffle_ppm: with that probability a new batch of ready tasks runs in a
 * seed-chosen order (Fisher-Yates) instead of FIFO, so that a program that
 * depends on the order in which woken tasks run fails on some seed. Wake-up
 * order (who gets a lock, a message) is the core's and stays FIFO.
 */
void aring__sim_shuffle(aring_loop *loop, struct aring__taskq *q)
{
	struct sim *s = sim_of(aring__loop_backend(loop));
	aring_task *t;
	uint32_t n = 0, i;

	if (!s->opts.shuffle_ppm || !q->head || !q->head->next)
		return;
	if (!aring__sim_prng_ppm(&s->rng_shuffle, s->opts.shuffle_ppm))
		return;
	for (t = q->head; t; t = t->next)
		n++;
	if (n > s->shuffle_cap) {
		void **b = realloc(s->shuffle_buf, n * sizeof(*b));

		if (!b)
			return; /* FIFO this time */
		s->shuffle_buf = b;
		s->shuffle_cap = n;
	}
	for (i = 0, t = q->head; t; t = t->next)
		s->shuffle_buf[i++] = t;
	for (i = n - 1; i > 0; i--) {
		uint32_t j = (uint32_t)aring__sim_prng_range(&s->rng_shuffle, 0, i);
		void *x = s->shuffle_buf[i];

		s->shuffle_buf[i] = s->shuffle_buf[j];
		s->shuffle_buf[j] = x;
	}
	/* A fault decision; suppressed, the batch stays FIFO (the order was drawn). */
	if (!aring__sim_fault_record(s, ARING_SIM_FAULT_SHUFFLE, ARING_SIM_FAULT_NO_OP, n))
		return;
	q->head = q->tail = NULL;
	for (i = 0; i < n; i++)
		aring__taskq_push(q, s->shuffle_buf[i]);
	aring__sim_trace_note(s, "shuffle", n, 0);
}
