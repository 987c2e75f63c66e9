/* SPDX-License-Identifier: MIT */
/*
 * The real backend: the kernel's io_uring through liburing.
 *
 * Setup flags: with setup_flags == 0 the ring is made with
 * IORING_SETUP_SUBMIT_ALL | IORING_SETUP_COOP_TASKRUN | IORING_SETUP_TASKRUN_FLAG
 * (one thread, no IPIs, completions flushed when the loop looks for them),
 * falling back to no flags on a kernel that rejects them (before 5.19).
 * The default was chosen by measurement (bench/bench_setup, table in
 * bench/README.md "The default setup flags", Linux 6.18): no candidate,
 * SINGLE_ISSUER and DEFER_TASKRUN included, was cheaper on NOPs, page-cached
 * reads and a TCP echo all at once by more than the 5% spread between runs;
 * DEFER_TASKRUN saved 2-5% per NOP and cost 0-4% per echo round trip, and
 * adds restrictions (Linux 6.1, one thread may wait on the ring, no SQPOLL).
 * Other values are passed to the kernel with what setup_flags_for() adds.
 */
#include "config.h"
#include <errno.h>
#include <poll.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "core/internal.h"
#ifdef HAVE_VALGRIND_VALGRIND_H
#include <valgrind/valgrind.h>
#else
#define RUNNING_ON_VALGRIND 0
#endif

#define DEFAULT_SETUP_FLAGS \
	(IORING_SETUP_SUBMIT_ALL | IORING_SETUP_COOP_TASKRUN | IORING_SETUP_TASKRUN_FLAG)

struct uring {
	struct aring__backend be;
	struct io_uring ring;
	uint64_t ops[(ARING_OP_LAST + 63) / 64];  /* probe bitmap */
	bool valgrind;  /* running under Valgrind: wait in poll(2), see below */
	uint64_t spin_ns;  /* SQPOLL: watch the CQ this long before sleeping */
};

static inline struct uring *to_uring(struct aring__backend *be)
{
	return (struct uring *)be;
}

static struct io_uring_sqe *uring_get_sqe(struct aring__backend *be)
{
	struct io_uring *ring = &to_uring(be)->ring;
	struct io_uring_sqe *sqe = io_uring_get_sqe(ring);

	/* Zeroed: 64 bytes, or 128 on an IORING_SETUP_SQE128 ring. */
	if (sqe)
		memset(sqe, 0, (ring->flags & IORING_SETUP_SQE128) ? 2 * sizeof(*sqe) : sizeof(*sqe));
	return sqe;
}

static unsigned uring_sq_space(struct aring__backend *be)
{
	return io_uring_sq_space_left(&to_uring(be)->ring);
}

static unsigned uring_sq_ready(struct aring__backend *be)
{
	return io_uring_sq_ready(&to_uring(be)->ring);
}

/*
 * Submit, then wait for a CQE in poll(2) rather than in io_uring_enter(2):
 * used under Valgrind only. Valgrind runs one thread at a time under its big
 * lock and drops the lock only around syscalls its wrapper marks as blocking
 * (SfMayBlock). Its wrapper for io_uring_enter (PRE(sys_io_uring_enter) in
 * coregrind/m_syswrap/syswrap-linux.c, Valgrind 3.19) does not, so a thread
 * waiting there keeps every other thread of the process stopped, and a
 * completion that another thread must cause (a write to the pipe the loop
 * reads, a wake from another loop) never comes: the process hangs, deaf to
 * SIGTERM. No Valgrind option helps (--fair-sched=yes only picks who gets the
 * lock next). poll(2) is marked blocking, and the ring fd polls readable while
 * the CQ ring holds CQEs or has overflowed ones or task work to flush (kernel
 * io_uring_poll() in io_uring/io_uring.c); a task work item queued for this
 * thread also ends the poll (task_work_add() with TWA_SIGNAL_NO_IPI, the
 * COOP_TASKRUN notify method, wakes it: __set_notify_signal()). The enter with
 * GETEVENTS runs that work and flushes the overflow list into the CQ ring.
 * A ring with IORING_SETUP_DEFER_TASKRUN is the exception: its task work is
 * queued on the ring, and io_req_local_work_add() wakes only a task waiting
 * in io_cqring_wait() (ctx->cq_wait_nr), so there the poll gives up after
 * DEFER_POLL_MS and the enter runs what has come.
 * It waits for one CQE (the core never asks for more). Returns the SQEs
 * submitted, as io_uring_submit_and_wait(), or -errno (-EINTR when a signal
 * interrupted the wait, which the core retries).
 */
#define DEFER_POLL_MS 10

static int uring_wait_valgrind(struct uring *u)
{
	struct pollfd pfd = { .fd = u->ring.ring_fd, .events = POLLIN };
	int ms = u->ring.flags & IORING_SETUP_DEFER_TASKRUN ? DEFER_POLL_MS : -1;
	int ret = io_uring_submit(&u->ring), r;

	while (ret >= 0 && !io_uring_cq_ready(&u->ring)) {
		if (poll(&pfd, 1, ms) < 0)
			return -errno;
		r = io_uring_enter(u->ring.ring_fd, 0, 0, IORING_ENTER_GETEVENTS, NULL);
		if (r < 0)
			return r;
	}
	return ret;
}

static uint64_t uring_now_ns(struct aring__backend *be)
{
	struct timespec ts;

	(void)be;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/*
 * SQPOLL: the kernel's SQ thread takes the SQEs and, for a request that
 * completes at issue (a page-cached read, a NOP), posts the CQE within a
 * few microseconds. Sleeping in io_uring_enter for it costs a wake-up per
 * op (at queue depth 1: 0.08-0.13x fio's IOPS; with the spin 1.1-1.3x,
 * bench/README.md), so the loop first watches the
 * CQ tail, as fio's io_uring engine does with sqthread_poll (it never
 * sleeps at all). It gives up, and sleeps in the kernel, after
 * SQPOLL_SPIN_NS; after SQPOLL_TAKE_NS if the SQ thread has not taken the
 * SQEs yet (it is not running: on a busy machine it may wait for this very
 * CPU, which spinning would keep from it); at once if the SQ thread went to
 * sleep (IORING_SQ_NEED_WAKEUP: nothing was left for it) or the CQ overflowed
 * (IORING_SQ_CQ_OVERFLOW: only an enter flushes it). An SQPOLL ring has no
 * COOP_TASKRUN and no DEFER_TASKRUN (io_uring/io_uring.c
 * io_uring_sanitise_params() refuses them), so no task work of this thread
 * waits either.
 */
#define SQPOLL_SPIN_NS 20000u
#define SQPOLL_TAKE_NS 4000u

static bool uring_spin_cq(struct uring *u)
{
	struct io_uring *ring = &u->ring;
	uint64_t start = 0, now;
	unsigned i;

	for (i = 0;; i++) {
		if (io_uring_cq_ready(ring))
			return true;
		if (IO_URING_READ_ONCE(*ring->sq.kflags) & (IORING_SQ_CQ_OVERFLOW | IORING_SQ_NEED_WAKEUP))
			return false;
		if ((i & 31) == 0) {
			now = uring_now_ns(&u->be);
			if (!start)
				start = now;
			else if (now - start >= u->spin_ns ||
				 (now - start >= SQPOLL_TAKE_NS && io_uring_sq_ready(ring)))
				return false;
		}
#if defined(__x86_64__) || defined(__i386__)
		__builtin_ia32_pause();
#elif defined(__aarch64__)
		__asm__ __volatile__("yield");
#endif
	}
}

/* SQPOLL: submit, watch the CQ, then sleep if nothing came. Out of line:
 * uring_submit stays a frame of a few bytes with tail calls (tasks on 16 KiB
 * stacks make room in a full SQ through it). */
static __attribute__((noinline)) int uring_submit_spin(struct uring *u, unsigned wait_nr)
{
	int ret = io_uring_submit(&u->ring);

	if (ret < 0 || uring_spin_cq(u))
		return ret;
	return io_uring_submit_and_wait(&u->ring, wait_nr);
}

/* SQPOLL with a (nearly) full SQ: aring__sq_room calls this until the SQ
 * thread has taken enough entries for an op and its linked timeout. With
 * none free, sleep until it took one (IORING_ENTER_SQ_WAIT); with one, let
 * it have the CPU, rather than spin where it may be waiting to run. */
static __attribute__((noinline)) int uring_submit_sqpoll(struct uring *u)
{
	int ret = io_uring_submit(&u->ring);
	unsigned space = io_uring_sq_space_left(&u->ring);

	if (ret >= 0 && space == 0)
		io_uring_sqring_wait(&u->ring);
	else if (ret >= 0 && space < 2)
		sched_yield();
	return ret;
}

static int uring_submit(struct aring__backend *be, unsigned wait_nr)
{
	struct uring *u = to_uring(be);

	if (wait_nr && u->valgrind)
		return uring_wait_valgrind(u);
	if (wait_nr && u->spin_ns)
		return uring_submit_spin(u, wait_nr);
	if (wait_nr)
		return io_uring_submit_and_wait(&u->ring, wait_nr);
	if (u->ring.flags & IORING_SETUP_SQPOLL)
		return uring_submit_sqpoll(u);
	return io_uring_submit(&u->ring);
}

static unsigned uring_peek(struct aring__backend *be, struct io_uring_cqe **cqes, unsigned max)
{
	return io_uring_peek_batch_cqe(&to_uring(be)->ring, cqes, max);
}

static void uring_advance(struct aring__backend *be, unsigned n)
{
	if (n)
		io_uring_cq_advance(&to_uring(be)->ring, n);
}

static bool uring_has_op(struct aring__backend *be, unsigned opcode)
{
	struct uring *u = to_uring(be);

	return opcode < ARING_OP_LAST && (u->ops[opcode / 64] >> (opcode % 64) & 1);
}

static struct io_uring *uring_ring(struct aring__backend *be)
{
	return &to_uring(be)->ring;
}

/* io_uring_register(2) itself: the kernel decides every result (io_uring/register.c). */
static int uring_register_rsrc(struct aring__backend *be, unsigned opcode, void *arg,
			       unsigned nr_args)
{
	long ret = syscall(__NR_io_uring_register, to_uring(be)->ring.ring_fd, opcode, arg, nr_args);

	return ret < 0 ? -errno : (int)ret;
}

static void uring_destroy(struct aring__backend *be)
{
	struct uring *u = to_uring(be);

	io_uring_queue_exit(&u->ring);
	free(u);
}

static const struct aring__backend_ops uring_ops = {
	.name = "uring",
	.get_sqe = uring_get_sqe,
	.sq_space = uring_sq_space,
	.sq_ready = uring_sq_ready,
	.submit = uring_submit,
	.peek = uring_peek,
	.advance = uring_advance,
	.now_ns = uring_now_ns,
	.has_op = uring_has_op,
	.ring = uring_ring,
	.destroy = uring_destroy,
	.register_rsrc = uring_register_rsrc,
};

/*
 * The flags the ring is made with: setup_flags, or the default when 0, and
 * what the other options imply. DEFER_TASKRUN holds the completions of
 * requests that finished outside the issuing syscall (a recv whose data came
 * later, a timeout) as task work on the ring, run only when this thread
 * enters the kernel with GETEVENTS (io_uring/io_uring.c
 * io_req_local_work_add(), io_cqring_wait()). A loop whose tasks are always
 * ready (they yield, or their ops complete at issue) never waits, so it
 * would never see them (tests/test_setup.c "busy" checks). TASKRUN_FLAG
 * makes the kernel say that work is pending (IORING_SQ_TASKRUN in the SQ
 * ring flags), which the core's CQ walk checks (core/op.c reap_ring), so
 * aring adds it. COOP_TASKRUN's task work runs at the thread's next return
 * to user mode, a syscall or an interrupt (__io_req_task_work_add() with
 * TWA_SIGNAL_NO_IPI): there the flag only saves waiting for a tick, and
 * aring adds it too.
 */
static unsigned setup_flags_for(const struct aring_loop_opts *opts)
{
	unsigned f = opts->setup_flags ? opts->setup_flags : DEFAULT_SETUP_FLAGS;

	if (f & (IORING_SETUP_COOP_TASKRUN | IORING_SETUP_DEFER_TASKRUN))
		f |= IORING_SETUP_TASKRUN_FLAG;
	if (opts->cq_entries)
		f |= IORING_SETUP_CQSIZE;
	return f;
}

int aring__uring_new(const struct aring_loop_opts *opts, struct aring__backend **out)
{
	unsigned entries = opts->entries ? opts->entries : ARING_DEFAULT_ENTRIES;
	struct io_uring_params p;
	struct io_uring_probe *probe;
	struct uring *u;
	int ret, i;

	memset(&p, 0, sizeof(p));
	p.flags = setup_flags_for(opts);
	p.cq_entries = opts->cq_entries;
	/* The kernel ignores sq_thread_idle without SQPOLL; aring refuses it,
	 * so that a forgotten flag is not silently a ring without its thread. */
	if (opts->sq_thread_idle_ms && !(p.flags & IORING_SETUP_SQPOLL))
		return -EINVAL;
	p.sq_thread_idle = opts->sq_thread_idle_ms;
	u = calloc(1, sizeof(*u));
	if (!u)
		return -ENOMEM;
	ret = io_uring_queue_init_params(entries, &u->ring, &p);
	if (ret == -EINVAL && !opts->setup_flags) {
		/* A kernel older than the default's flags (5.19): none of them. */
		memset(&p, 0, sizeof(p));
		p.flags = opts->cq_entries ? IORING_SETUP_CQSIZE : 0;
		p.cq_entries = opts->cq_entries;
		ret = io_uring_queue_init_params(entries, &u->ring, &p);
	}
	if (ret < 0) {
		free(u);
		return ret;
	}
	probe = io_uring_get_probe_ring(&u->ring);
	if (probe) {
		for (i = 0; i < probe->ops_len && i < ARING_OP_LAST; i++)
			if (probe->ops[i].flags & IO_URING_OP_SUPPORTED)
				u->ops[i / 64] |= 1ull << (i % 64);
		io_uring_free_probe(probe);
	}
	u->valgrind = RUNNING_ON_VALGRIND != 0;
	if (u->ring.flags & IORING_SETUP_SQPOLL)
		u->spin_ns = SQPOLL_SPIN_NS;
	u->be.ops = &uring_ops;
	u->be.sq_entries = u->ring.sq.ring_entries;
	*out = &u->be;
	return 0;
}
