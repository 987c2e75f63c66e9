/* SPDX-License-Identifier: MIT */
/*
 * The sim backend's ops table: a bounded SQ, a CQ of twice its size, and the
 * submit loop that drives the model.
 *
 * submit(wait_nr): accept every queued SQE at the current virtual instant
 * (ring control ops run at once, in SQ order; every other op runs after its
 * seeded latency, so zero-latency ops complete within this call in a
 * seed-chosen order). With wait_nr > 0, advance virtual time event by event,
 * straight to the next event, until wait_nr CQEs are ready; -EDEADLK when
 * nothing can ever complete.
 *
 * CQ overflow, as the kernel with IORING_FEAT_NODROP: a CQE posted while the
 * CQ is full goes to an overflow list and is never lost; it moves to the CQ
 * as the core advances. While the list is not empty after that, submit
 * accepts nothing and returns -EBUSY: the core reaps, then retries.
 */
#include "config.h"
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "sim/sim.h"

static struct io_uring_sqe *sim_get_sqe(struct aring__backend *be)
{
	struct sim *s = sim_of(be);

	if (s->sq_tail - s->sq_head >= s->sq_entries)
		return NULL;
	return &s->sq[s->sq_tail++ & (s->sq_entries - 1)];
}

static unsigned sim_sq_space(struct aring__backend *be)
{
	struct sim *s = sim_of(be);

	return s->sq_entries - (s->sq_tail - s->sq_head);
}

static unsigned sim_sq_ready(struct aring__backend *be)
{
	struct sim *s = sim_of(be);

	return s->sq_tail - s->sq_head;
}

static unsigned cq_ready(const struct sim *s)
{
	return s->cq_tail - s->cq_head;
}

bool aring__sim_cq_full(struct sim *s)
{
	return cq_ready(s) >= s->cq_entries;
}

static void flush_overflow(struct sim *s)
{
	while (s->ovf_len && !aring__sim_cq_full(s)) {
		s->cq[s->cq_tail++ & (s->cq_entries - 1)] = s->ovf[s->ovf_head];
		s->ovf_head = (s->ovf_head + 1) % s->ovf_cap;
		s->ovf_len--;
	}
}

void aring__sim_post_cqe(struct sim *s, struct sim_req *r, int32_t res, uint32_t flags)
{
	struct io_uring_cqe *cqe;

	aring__sim_trace_cqe(s, r, res, flags);
	s->stats.cqes++;
	if (s->ovf_len || aring__sim_cq_full(s)) {
		if (s->ovf_len == s->ovf_cap) {
			unsigned cap = s->ovf_cap ? s->ovf_cap * 2 : 64, i;
			struct io_uring_cqe *n;

			if (cap > SIM_MAX_OVERFLOW)
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
		cqe = &s->ovf[(s->ovf_head + s->ovf_len++) % s->ovf_cap];
		s->stats.overflows++;
	} else {
		cqe = &s->cq[s->cq_tail++ & (s->cq_entries - 1)];
	}
	cqe->user_data = r->sqe.user_data;
	cqe->res = res;
	cqe->flags = flags;
}

static int sim_submit(struct aring__backend *be, unsigned wait_nr)
{
	struct sim *s = sim_of(be);
	unsigned n = 0;

	flush_overflow(s);
	if (s->ovf_len)
		return -EBUSY;
	while (s->sq_head != s->sq_tail) {
		aring__sim_accept(s, &s->sq[s->sq_head & (s->sq_entries - 1)]);
		s->sq_head++;
		n++;
	}
	aring__sim_accept_end(s);
	aring__sim_run_due(s);
	while (cq_ready(s) < wait_nr) {
		if (!aring__sim_step(s))
			return -EDEADLK;
	}
	return (int)n;
}

static unsigned sim_peek(struct aring__backend *be, struct io_uring_cqe **cqes, unsigned max)
{
	struct sim *s = sim_of(be);
	unsigned n = cq_ready(s), i;

	if (n > max)
		n = max;
	for (i = 0; i < n; i++)
		cqes[i] = &s->cq[(s->cq_head + i) & (s->cq_entries - 1)];
	return n;
}

static void sim_advance(struct aring__backend *be, unsigned n)
{
	struct sim *s = sim_of(be);

	assert(n <= cq_ready(s));
	s->cq_head += n;
	flush_overflow(s);
}

static uint64_t sim_now_ns(struct aring__backend *be)
{
	return sim_of(be)->now_ns;
}

static bool sim_has_op(struct aring__backend *be, unsigned opcode)
{
	(void)be;
	return aring__sim_has_op(opcode);
}

static struct io_uring *sim_ring(struct aring__backend *be)
{
	(void)be;
	return NULL;
}

static void sim_destroy(struct aring__backend *be)
{
	struct sim *s = sim_of(be);
	struct sim_req *r;

	if (!s)
		return;
	aring__sim_ring_destroy(s);
	/* The sim's ends of fds 0, 1, 2. */
	if (s->std_in)
		aring__sim_pipe_end_closed(s, s->std_in, false);
	if (s->std_out)
		aring__sim_pipe_end_closed(s, s->std_out, true);
	if (s->std_err)
		aring__sim_pipe_end_closed(s, s->std_err, true);
	s->std_in = s->std_out = s->std_err = NULL;
	aring__sim_fs_destroy(s);
	aring__sim_net_destroy(s);
	while ((r = s->free_reqs)) {
		s->free_reqs = r->free_next;
		free(r);
	}
	free(s->heap);
	free(s->ovf);
	free(s->sq);
	free(s->cq);
	free(s);
}

static const struct aring__backend_ops sim_ops = {
	.name = "sim",
	.get_sqe = sim_get_sqe,
	.sq_space = sim_sq_space,
	.sq_ready = sim_sq_ready,
	.submit = sim_submit,
	.peek = sim_peek,
	.advance = sim_advance,
	.now_ns = sim_now_ns,
	.has_op = sim_has_op,
	.ring = sim_ring,
	.destroy = sim_destroy,
};

static uint64_t seed_from_env(void)
{
	const char *e = getenv("ARING_SIM_SEED");
	char *end;
	unsigned long long v;

	if (!e || !*e)
		return 1;
	errno = 0;
	v = strtoull(e, &end, 0);
	if (errno || *end || v == 0)
		return 1;
	return v;
}

static unsigned round_pow2(unsigned n)
{
	unsigned p = 1;

	while (p < n)
		p <<= 1;
	return p;
}

int aring__sim_new(const struct aring_loop_opts *opts, struct aring__backend **out)
{
	static const struct aring_sim_opts defaults;
	const struct aring_sim_opts *so = opts && opts->sim ? opts->sim : &defaults;
	unsigned entries = opts && opts->entries ? opts->entries : ARING_DEFAULT_ENTRIES;
	struct sim *s;
	int ret;

	*out = NULL;
	if (entries > ARING_MAX_ENTRIES)
		return -EINVAL;
	ret = aring__sim_opts_check(so);
	if (ret)
		return ret;
	s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	s->be.ops = &sim_ops;
	/* The kernel rounds the SQ up to a power of two; so do we. */
	s->sq_entries = round_pow2(entries);
	s->be.sq_entries = s->sq_entries;
	s->cq_entries = 2 * s->sq_entries;
	s->opts = *so;
	s->seed = so->seed ? so->seed : seed_from_env();
	s->now_ns = SIM_START_NS;
	aring__sim_prng_seed(&s->rng_sched, s->seed, SIM_STREAM_SCHED);
	aring__sim_prng_seed(&s->rng_timeout, s->seed, SIM_STREAM_TIMEOUT);
	aring__sim_prng_seed(&s->rng_cancel, s->seed, SIM_STREAM_CANCEL);
	aring__sim_prng_seed(&s->rng_short, s->seed, SIM_STREAM_SHORT);
	aring__sim_prng_seed(&s->rng_error, s->seed, SIM_STREAM_ERROR);
	aring__sim_prng_seed(&s->rng_net, s->seed, SIM_STREAM_NET);
	sim_list_init(&s->inflight);
	sim_list_init(&s->timeouts);
	sim_list_init(&s->defer);
	s->sq = calloc(s->sq_entries, sizeof(*s->sq));
	s->cq = calloc(s->cq_entries, sizeof(*s->cq));
	if (!s->sq || !s->cq) {
		ret = -ENOMEM;
		goto fail;
	}
	aring__sim_trace_init(s);
	ret = aring__sim_net_init(s);
	if (ret < 0)
		goto fail;
	ret = aring__sim_fs_init(s);
	if (ret < 0)
		goto fail;
	ret = aring__sim_stdio_init(s);
	if (ret < 0)
		goto fail;
	*out = &s->be;
	return 0;
fail:
	sim_destroy(&s->be);
	return ret;
}
