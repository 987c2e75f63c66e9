/* SPDX-License-Identifier: MIT */
/* The public aring_sim_* functions: they reach the sim through the loop's backend. */
#include "config.h"
#include <errno.h>

#include "core/internal.h"
#include "sim/sim.h"

_Static_assert(ARING_SIM_START_NS == SIM_START_NS, "one start time");

int aring__sim_opts_check(const struct aring_sim_opts *o)
{
	if (o->timeout_ppm > 1000000 || o->cancel_ppm > 1000000 || o->short_ppm > 1000000 ||
	    o->error_ppm > 1000000)
		return -EINVAL;
	/* A latency past the bound would push virtual time toward overflow. */
	if (o->latency_min_ns > o->latency_max_ns || o->latency_max_ns > ARING_SIM_MAX_LATENCY_NS)
		return -EINVAL;
	if (o->flags & ~ARING_SIM_FLAGS_ALL)
		return -EINVAL;
	if (o->cancel_race_ppm > 1000000 || o->sq_full_ppm > 1000000 || o->cq_pressure_ppm > 1000000)
		return -EINVAL;
	if (o->net_reset_ppm > 1000000 || o->net_clog_ppm > 1000000 || o->shuffle_ppm > 1000000 ||
	    o->net_latency_min_ns > o->net_latency_max_ns ||
	    o->net_latency_max_ns > ARING_SIM_MAX_LATENCY_NS ||
	    o->net_clog_min_ns > o->net_clog_max_ns || o->net_clog_max_ns > ARING_SIM_MAX_LATENCY_NS)
		return -EINVAL;
	if (o->disk_read_error_ppm > 1000000 || o->disk_fsync_error_ppm > 1000000 ||
	    o->disk_nospace_ppm > 1000000)
		return -EINVAL;
	/* The profile: an -errno, and no ring op (nop, timeouts, cancel) missing. */
	if (o->uring_errno > 0 || o->uring_errno < -4095)
		return -EINVAL;
	for (unsigned op = 0; op < ARING_OP_LAST; op++)
		if ((o->missing_ops[op / 64] >> (op % 64) & 1) &&
		    (aring__opdefs[op].flags & ARING__OPF_RING))
			return -EINVAL;
	return 0;
}

struct sim *aring__sim_from_loop(aring_loop *loop)
{
	if (!loop || loop->kind != ARING_BACKEND_SIM)
		return NULL;
	return sim_of(aring__loop_backend(loop));
}

ARING_API uint64_t aring_sim_trace_hash(aring_loop *loop)
{
	struct sim *s = aring__sim_from_loop(loop);

	if (s && s->world)
		return aring_sim_world_trace_hash(s->world); /* the whole world */
	return s ? s->hash : 0;
}

ARING_API uint64_t aring_sim_seed(aring_loop *loop)
{
	struct sim *s = aring__sim_from_loop(loop);

	return s ? s->seed : 0;
}

ARING_API int aring_sim_stats(aring_loop *loop, struct aring_sim_stats *st)
{
	struct sim *s = aring__sim_from_loop(loop);

	if (!s || !st)
		return -EINVAL;
	st->ops = s->stats.ops;
	st->cqes = s->stats.cqes;
	st->cq_overflows = s->stats.overflows;
	st->inflight = aring__soft_live(s->ring);
	st->timeouts_injected = s->stats.timeouts_injected;
	st->cancels_injected = s->stats.cancels_injected;
	st->shorts_injected = s->stats.shorts_injected;
	st->errors_injected = s->stats.errors_injected;
	st->cancel_races = s->stats.cancel_races;
	st->sq_full_injected = s->stats.sq_full_injected;
	st->cq_pressure_injected = s->stats.cq_pressure_injected;
	return 0;
}

ARING_API int aring_sim_stdin_write(aring_loop *loop, const void *buf, size_t len)
{
	struct sim *s = aring__sim_from_loop(loop);
	int64_t n;

	if (!s || !s->std_in || (!buf && len))
		return -EINVAL;
	if (!s->std_in->readers)
		return -EPIPE;
	if (len > INT32_MAX)
		len = INT32_MAX;
	n = aring__sim_pipe_put(s->std_in, buf, (uint32_t)len);
	if (n < 0)
		return (int)n;
	aring__sim_trace_note(s, "stdin_write", len, (uint64_t)n);
	if (n)
		aring__sim_wake(s, &s->std_in->wq);
	return (int)n;
}

ARING_API int aring_sim_stdin_close(aring_loop *loop)
{
	struct sim *s = aring__sim_from_loop(loop);

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
	struct sim *s = aring__sim_from_loop(loop);

	return s ? out_read(s, s->std_out, buf, len) : -EINVAL;
}

ARING_API int aring_sim_stderr_read(aring_loop *loop, void *buf, size_t len)
{
	struct sim *s = aring__sim_from_loop(loop);

	return s ? out_read(s, s->std_err, buf, len) : -EINVAL;
}

ARING_API int aring_sim_getsockname(aring_loop *loop, int fd, struct sockaddr *addr,
				    socklen_t *addrlen)
{
	struct sim *s = aring__sim_from_loop(loop);

	return s ? aring__sim_getsockname(s, fd, addr, addrlen, false) : -EINVAL;
}

ARING_API int aring_sim_getpeername(aring_loop *loop, int fd, struct sockaddr *addr,
				    socklen_t *addrlen)
{
	struct sim *s = aring__sim_from_loop(loop);

	return s ? aring__sim_getsockname(s, fd, addr, addrlen, true) : -EINVAL;
}

/*
 * The waiters are the core's (core/signal.c). Weak: tests/test_sim_ring
 * links the sim without the core, and has no tasks to wake.
 */
int aring__signal_raise(aring_loop *loop, int sig) __attribute__((weak));

ARING_API int aring_sim_signal(aring_loop *node, int sig)
{
	struct sim *s = aring__sim_from_loop(node);

	if (!s || !aring__signal_raise)
		return -EINVAL;
	aring__sim_trace_note(s, "signal", (uint64_t)sig, 0);
	return aring__signal_raise(node, sig);
}

/* ---------------------------------------------------------------- crash, restart */

/* The core's (weak: tests/test_sim_ring links the sim without the core). */
void aring__loop_crash(aring_loop *loop) __attribute__((weak));
int aring__spawn(aring_loop *loop, aring_fn fn, void *arg, size_t stack_size, bool detached,
		 aring_task **out) __attribute__((weak));

/*
 * Drop every request of the node's ring without a CQE reaching its task:
 * queued SQEs are issued first (a write the program submitted may land, as
 * it would before a power cut), then everything in flight is stopped and
 * every CQE thrown away, until nothing is left.
 */
static void ring_drop_all(struct sim *s, aring_loop *loop)
{
	struct aring__backend *be = aring__loop_backend(loop);
	unsigned rounds;

	s->crashing = true;
	for (rounds = 0;; rounds++) {
		struct io_uring_cqe *cqes[64];
		unsigned n;

		while ((n = be->ops->peek(be, cqes, 64)))
			be->ops->advance(be, n);
		if (!be->ops->sq_ready(be) && aring__soft_live(s->ring) == 0)
			break;
		assert(rounds < 1000000);
		be->ops->submit(be, 0);
		aring__soft_cancel_all(s->ring);
	}
	s->crashing = false;
}

ARING_API int aring_sim_crash(aring_loop *node)
{
	struct sim *s = aring__sim_from_loop(node);
	struct sim_list *l;
	unsigned fd;

	if (!s || !aring__loop_crash)
		return -EINVAL;
	if (s->down)
		return -EALREADY;
	/* Its scheduler is below us on this stack (a nested run): cannot happen from a task. */
	if (node->running && !node->current)
		return -EBUSY;
	aring__sim_trace_note(s, "crash", 0, 0);
	ring_drop_all(s, node);
	aring__loop_crash(node);
	/* Its connections to other nodes: their ends are reset (the machine is gone). */
	for (l = s->socks.next; l != &s->socks; l = l->next) {
		struct sim_sock *k = sim_container_of(l, struct sim_sock, all);

		if (k->peer && k->peer->owner != s)
			aring__sim_sock_abort(k->peer, ECONNRESET);
	}
	/* The process's fds: files, pipes (0, 1, 2 too), sockets (a peer on the node sees the
	 * close); and its ring's registered files and buffers. */
	aring__soft_rsrc_free(s->ring);
	aring__sim_stdio_close(s);
	for (fd = 0; fd < s->fds_cap; fd++) {
		struct sim_file *f = aring__sim_fd_remove(s, sim_fd_number(s, fd));

		if (f)
			aring__sim_file_put(s, f);
	}
	/* The disk: what was durable, and a seed-chosen part of the rest. */
	aring__sim_disk_crash(s);
	s->down = true;
	/* A fresh fd table: 0, 1, 2 are new pipes. */
	return aring__sim_stdio_init(s);
}

ARING_API int aring_sim_restart(aring_loop *node, aring_fn fn, void *arg)
{
	struct sim *s = aring__sim_from_loop(node);
	int ret;

	if (!s || !fn || !aring__spawn)
		return -EINVAL;
	if (!s->down)
		return -EALREADY;
	ret = aring__spawn(node, fn, arg, 0, true, NULL);
	if (ret < 0)
		return ret;
	aring__sim_trace_note(s, "restart", 0, 0);
	s->down = false;
	return 0;
}

ARING_API int aring_sim_readdir(aring_loop *loop, int dfd, const char *path,
				aring_sim_dirent_fn fn, void *arg)
{
	struct sim *s = aring__sim_from_loop(loop);

	if (!s || !fn)
		return -EINVAL;
	return aring__sim_readdir(s, dfd, path, fn, arg);
}
