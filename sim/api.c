/* SPDX-License-Identifier: MIT */
/* The public aring_sim_* functions: they reach the sim through the loop's backend. */
#include "config.h"
#include <errno.h>

#include "core/internal.h"
#include "sim/sim.h"

_Static_assert(ARING_SIM_START_NS == SIM_START_NS, "one start time");

static struct sim *sim_from_loop(aring_loop *loop)
{
	if (!loop || loop->kind != ARING_BACKEND_SIM)
		return NULL;
	return sim_of(aring__loop_backend(loop));
}

ARING_API uint64_t aring_sim_trace_hash(aring_loop *loop)
{
	struct sim *s = sim_from_loop(loop);

	return s ? s->hash : 0;
}

ARING_API uint64_t aring_sim_seed(aring_loop *loop)
{
	struct sim *s = sim_from_loop(loop);

	return s ? s->seed : 0;
}

ARING_API int aring_sim_stats(aring_loop *loop, struct aring_sim_stats *st)
{
	struct sim *s = sim_from_loop(loop);

	if (!s || !st)
		return -EINVAL;
	st->ops = s->stats.ops;
	st->cqes = s->stats.cqes;
	st->cq_overflows = s->stats.overflows;
	st->inflight = s->nlive;
	st->timeouts_injected = s->stats.timeouts_injected;
	st->cancels_injected = s->stats.cancels_injected;
	st->shorts_injected = s->stats.shorts_injected;
	st->errors_injected = s->stats.errors_injected;
	return 0;
}

ARING_API int aring_sim_stdin_write(aring_loop *loop, const void *buf, size_t len)
{
	struct sim *s = sim_from_loop(loop);
	uint32_t n;

	if (!s || !s->std_in || (!buf && len))
		return -EINVAL;
	if (!s->std_in->readers)
		return -EPIPE;
	if (len > INT32_MAX)
		len = INT32_MAX;
	n = aring__sim_pipe_put(s->std_in, buf, (uint32_t)len);
	aring__sim_trace_note(s, "stdin_write", len, n);
	if (n)
		aring__sim_wake(s, &s->std_in->wq);
	return (int)n;
}

ARING_API int aring_sim_stdin_close(aring_loop *loop)
{
	struct sim *s = sim_from_loop(loop);

	if (!s || !s->std_in)
		return -EINVAL;
	aring__sim_trace_note(s, "stdin_close", 0, 0);
	aring__sim_pipe_end_closed(s, s->std_in, false);
	s->std_in = NULL;
	return 0;
}

static int out_read(struct sim *s, struct sim_pipe *p, void *buf, size_t len)
{
	uint32_t n;

	if (!p || (!buf && len))
		return -EINVAL;
	if (len > INT32_MAX)
		len = INT32_MAX;
	n = aring__sim_pipe_get(p, buf, (uint32_t)len, false);
	aring__sim_trace_note(s, "out_read", len, n);
	if (n)
		aring__sim_wake(s, &p->wq);
	return (int)n;
}

ARING_API int aring_sim_stdout_read(aring_loop *loop, void *buf, size_t len)
{
	struct sim *s = sim_from_loop(loop);

	return s ? out_read(s, s->std_out, buf, len) : -EINVAL;
}

ARING_API int aring_sim_stderr_read(aring_loop *loop, void *buf, size_t len)
{
	struct sim *s = sim_from_loop(loop);

	return s ? out_read(s, s->std_err, buf, len) : -EINVAL;
}

ARING_API int aring_sim_getsockname(aring_loop *loop, int fd, struct sockaddr *addr,
				    socklen_t *addrlen)
{
	struct sim *s = sim_from_loop(loop);

	return s ? aring__sim_getsockname(s, fd, addr, addrlen, false) : -EINVAL;
}

ARING_API int aring_sim_getpeername(aring_loop *loop, int fd, struct sockaddr *addr,
				    socklen_t *addrlen)
{
	struct sim *s = sim_from_loop(loop);

	return s ? aring__sim_getsockname(s, fd, addr, addrlen, true) : -EINVAL;
}

/*
 * The waiters are the core's (core/signal.c). Weak: tests/test_sim_ring
 * links the sim without the core, and has no tasks to wake.
 */
int aring__signal_raise(aring_loop *loop, int sig) __attribute__((weak));

ARING_API int aring_sim_signal(aring_loop *node, int sig)
{
	struct sim *s = sim_from_loop(node);

	if (!s || !aring__signal_raise)
		return -EINVAL;
	aring__sim_trace_note(s, "signal", (uint64_t)sig, 0);
	return aring__signal_raise(node, sig);
}
