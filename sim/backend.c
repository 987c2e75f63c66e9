/* SPDX-License-Identifier: MIT */
/*
 * aring__sim_new(): a simulated world on a soft ring. The soft ring
 * (backends/soft/) is the backend the core sees: SQ, CQ with its overflow
 * list, submit-time checks, links, drain, timeouts and cancel. The sim is
 * its executor (sim/ring.c): the world, the virtual clock and the events.
 */
#include "config.h"
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "core/internal.h"
#include "sim/sim.h"

void aring__sim_destroy(void *ex);

void aring__sim_destroy(void *ex)
{
	struct sim *s = ex;

	if (!s)
		return;
	aring__sim_fault_loop_end(s);
	aring__sim_ring_files_drop(s); /* ring fds of other loops naming this one */
	/* The sim's ends of fds 0, 1, 2. */
	aring__sim_stdio_close(s);
	aring__sim_fs_destroy(s);
	aring__sim_net_destroy(s);
	free(s->heap);
	free(s->shuffle_buf);
	free(s);
}

uint64_t aring__sim_seed_from_env(void)
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

/*
 * The ring's own faults at submit (include/aring/sim.h): an SQ that stays
 * full (io_uring_enter(2) -EAGAIN, nothing taken) and CQ overflow pressure
 * (a CQ that holds only a few CQEs: the soft ring's overflow list takes the
 * rest).
 */
static int sim_submit(struct aring__backend *be, unsigned wait_nr)
{
	struct sim *s = sim_of(be);

	if (!s->sq_stuck && be->ops->sq_ready(be) &&
	    aring__sim_prng_ppm(&s->rng_ring, s->opts.sq_full_ppm)) {
		uint32_t n = (uint32_t)aring__sim_prng_range(&s->rng_ring, 1, 16);

		/* Suppressed: the SQ takes the SQEs (drawn the same). */
		if (aring__sim_fault_record(s, ARING_SIM_FAULT_SQ_FULL, ARING_SIM_FAULT_NO_OP, n)) {
			s->sq_stuck = n;
			aring__sim_trace_note(s, "sq_full", s->sq_stuck, 0);
		}
	}
	if (s->sq_stuck) {
		s->sq_stuck--;
		s->stats.sq_full_injected++;
		return -EAGAIN;
	}
	if (s->opts.cq_pressure_ppm) {
		unsigned limit = 0;

		if (aring__sim_prng_ppm(&s->rng_ring, s->opts.cq_pressure_ppm)) {
			limit = (unsigned)aring__sim_prng_range(&s->rng_ring, 1, 8);
			/* Suppressed: the CQ keeps its size. */
			if (aring__sim_fault_record(s, ARING_SIM_FAULT_CQ_PRESSURE,
						    ARING_SIM_FAULT_NO_OP, limit)) {
				s->stats.cq_pressure_injected++;
				aring__sim_trace_note(s, "cq_pressure", limit, 0);
			} else {
				limit = 0;
			}
		}
		aring__soft_set_cq_limit(s->ring, limit);
	}
	return s->soft_submit(be, wait_nr);
}

bool aring__sim_fault_cancel_race(struct sim *s, struct sim_req *r)
{
	if (r->state != SIM_REQ_EXEC || r->heap_idx == SIM_NO_HEAP ||
	    !aring__sim_prng_ppm(&s->rng_ring, s->opts.cancel_race_ppm) ||
	    !aring__sim_fault_record(s, ARING_SIM_FAULT_CANCEL_RACE, r->opcode, -EALREADY))
		return false; /* suppressed: the cancel wins */
	/* It was completing: it runs now, with its own result. */
	aring__sim_heap_remove(s, r);
	aring__sim_heap_push(s, r, s->now_ns);
	s->stats.cancel_races++;
	aring__sim_trace_note(s, "cancel_race", r->seq, 0);
	return true;
}

int aring__sim_new(const struct aring_loop_opts *opts, struct aring__backend **out)
{
	static const struct aring_sim_opts defaults;
	const struct aring_sim_opts *so = opts && opts->sim ? opts->sim : &defaults;
	unsigned entries = opts && opts->entries ? opts->entries : ARING_DEFAULT_ENTRIES;
	struct sim *s;
	int ret;

	*out = NULL;
	assert(aring__sim_opdefs_agree());
	if (entries > ARING_MAX_ENTRIES)
		return -EINVAL;
	ret = aring__sim_opts_check(so);
	if (ret)
		return ret;
	/*
	 * io_uring unavailable: the program asked for AUTO (a lone sim loop;
	 * a node until aring__sim_set_asked), so the choice is core/loop.c's.
	 */
	if (so->uring_errno && !aring__auto_falls_back(so->uring_errno))
		return so->uring_errno;
	s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	s->opts = *so;
	s->as_epoll = so->uring_errno != 0;
	s->seed = so->seed ? so->seed : aring__sim_seed_from_env();
	s->now_ns = SIM_START_NS;
	s->fd_base = (so->flags & ARING_SIM_LOW_FDS) ? 3 : ARING_SIM_FD_BASE;
	aring__sim_fault_loop_new(s);
	aring__sim_prng_seed(&s->rng_sched, s->seed, SIM_STREAM_SCHED);
	aring__sim_prng_seed(&s->rng_timeout, s->seed, SIM_STREAM_TIMEOUT);
	aring__sim_prng_seed(&s->rng_cancel, s->seed, SIM_STREAM_CANCEL);
	aring__sim_prng_seed(&s->rng_short, s->seed, SIM_STREAM_SHORT);
	aring__sim_prng_seed(&s->rng_error, s->seed, SIM_STREAM_ERROR);
	aring__sim_prng_seed(&s->rng_net, s->seed, SIM_STREAM_NET);
	aring__sim_prng_seed(&s->rng_shuffle, s->seed, SIM_STREAM_SHUFFLE);
	aring__sim_prng_seed(&s->rng_ring, s->seed, SIM_STREAM_RING);
	aring__sim_prng_seed(&s->rng_scenario, s->seed, SIM_STREAM_SCENARIO);
	aring__sim_trace_init(s);
	ret = aring__sim_net_init(s);
	if (ret == 0)
		ret = aring__sim_fs_init(s);
	if (ret == 0)
		ret = aring__sim_stdio_init(s);
	if (ret == 0)
		ret = aring__soft_new(entries, &aring__sim_exec_ops, s, "sim", &s->ring);
	if (ret < 0) {
		aring__sim_destroy(s);
		return ret;
	}
	*out = aring__soft_backend(s->ring);
	/* The ring's own faults wrap the soft ring's submit. */
	s->be_ops = *(*out)->ops;
	s->soft_submit = s->be_ops.submit;
	s->be_ops.submit = sim_submit;
	s->be_ops.sync_op = aring__sim_sync_op;
	(*out)->ops = &s->be_ops;
	return 0;
}

int aring__sim_set_asked(struct sim *s, enum aring_backend asked)
{
	switch (asked) {
	case ARING_BACKEND_URING:
		return s->opts.uring_errno; /* io_uring_setup(2) fails: so does the loop */
	case ARING_BACKEND_EPOLL:
		s->as_epoll = true;
		return 0;
	case ARING_BACKEND_AUTO:
	case ARING_BACKEND_SIM:
		return 0; /* decided at aring__sim_new */
	default:
		return -EINVAL;
	}
}

bool aring__sim_as_epoll(struct aring__backend *be)
{
	return sim_of(be)->as_epoll;
}

void aring__sim_attach(struct aring__backend *be, struct aring_loop *loop)
{
	struct sim *s = sim_of(be);

	s->loop = loop;
	loop->shuffle = aring__sim_shuffle;
}
