/* SPDX-License-Identifier: MIT */
/*
 * aring's deterministic simulated ring: seed, faults, virtual clock, trace.
 * Select it with aring_loop_opts.backend = ARING_BACKEND_SIM.
 */
#ifndef ARING_SIM_H
#define ARING_SIM_H

#include <aring.h>

#ifdef __cplusplus
extern "C" {
#endif

struct aring_sim_opts {
	uint64_t seed;             /* 0 = take ARING_SIM_SEED from the environment, else 1 */
	uint32_t timeout_ppm;      /* per op with a linked timeout, parts per million:
	                              hold it until its timeout fires */
	uint32_t cancel_ppm;       /* end it with -ECANCELED / -EINTR as a kernel may */
	uint32_t short_ppm;        /* a read/write/send/recv moves fewer bytes than asked */
	uint32_t error_ppm;        /* fail it with an errno that op can really return */
	uint64_t latency_min_ns, latency_max_ns;  /* per-op virtual latency */
};

/*
 * The simulator in brief (details in the sim/ sources):
 * - Virtual time starts at ARING_SIM_START_NS and moves only when every task
 *   is blocked, straight to the next event. aring_now_ns() reads it.
 * - Each op completes after a latency drawn in [latency_min_ns,
 *   latency_max_ns] (both 0 by default: at once). Ops due at the same instant
 *   complete in a seed-chosen order. Timers fire exactly on time. Ring
 *   control (cancel, timeout, timeout_remove/update, poll_remove) acts at
 *   submit, in SQ order.
 * - seed 0 takes ARING_SIM_SEED from the environment (decimal or 0x hex),
 *   else 1. ARING_SIM_TRACE=1 prints every SQE and CQE to stderr.
 * - The CQ holds twice the SQ entries; CQEs beyond go to an overflow list and
 *   are never lost (IORING_FEAT_NODROP); submit then returns -EBUSY until the
 *   core reaps.
 * - Not modelled (complete with -EOPNOTSUPP): read/write_fixed and their
 *   vectored forms, files_update, epoll, splice, tee, provided buffers,
 *   msg_ring, xattrs, uring_cmd, read_multishot, waitid, futexes,
 *   fixed_fd_install, recv_zc; datagram sockets and O_TMPFILE.
 */
#define ARING_SIM_START_NS 1000000000ull

/* Digest of every SQE accepted and CQE posted so far (no pointers). 0 on uring. */
ARING_API uint64_t aring_sim_trace_hash(aring_loop *loop);

/* The seed the loop runs with (after the ARING_SIM_SEED fallback). 0 on uring. */
ARING_API uint64_t aring_sim_seed(aring_loop *loop);

/* What the simulator did and injected so far. */
struct aring_sim_stats {
	uint64_t ops;               /* SQEs accepted */
	uint64_t cqes;              /* CQEs posted */
	uint64_t cq_overflows;      /* CQEs that waited in the overflow list */
	uint64_t inflight;          /* requests accepted and not completed */
	uint64_t timeouts_injected; /* ops held until their linked timeout fired */
	uint64_t cancels_injected;  /* ops ended with -ECANCELED / -EINTR */
	uint64_t shorts_injected;   /* short transfers */
	uint64_t errors_injected;   /* injected errnos */
};

/* Fill *stats. 0, or -EINVAL (not a sim loop, stats NULL). */
ARING_API int aring_sim_stats(aring_loop *loop, struct aring_sim_stats *stats);

/*
 * Feed the program's stdin (fd 0): queue up to len bytes, waking readers.
 * Returns the bytes queued (fewer than len when the 1 MiB pipe is full),
 * -EPIPE if the program closed fd 0, -EINVAL (not a sim loop, stdin closed).
 */
ARING_API int aring_sim_stdin_write(aring_loop *loop, const void *buf, size_t len);
/* Close the sim's end of stdin: the program reads EOF. 0 or -EINVAL. */
ARING_API int aring_sim_stdin_close(aring_loop *loop);
/*
 * Take up to len bytes the program wrote to stdout (fd 1) / stderr (fd 2).
 * Returns the bytes copied (0: nothing there), or -EINVAL.
 */
ARING_API int aring_sim_stdout_read(aring_loop *loop, void *buf, size_t len);
ARING_API int aring_sim_stderr_read(aring_loop *loop, void *buf, size_t len);

/*
 * getsockname(2)/getpeername(2) for a sim socket fd (not an io_uring op):
 * copies up to *addrlen bytes of the address and sets *addrlen to its size.
 * Returns 0, -EBADF, -ENOTSOCK, -ENOTCONN (peer of an unconnected socket),
 * -EFAULT, -EINVAL (not a sim loop).
 */
ARING_API int aring_sim_getsockname(aring_loop *loop, int fd, struct sockaddr *addr,
				    socklen_t *addrlen);
ARING_API int aring_sim_getpeername(aring_loop *loop, int fd, struct sockaddr *addr,
				    socklen_t *addrlen);

/*
 * Raise signal sig on a sim loop (node): the first task in aring_signal_wait
 * whose set holds it (FIFO) returns sig; with none, it stays pending (once,
 * as a standard signal) until a wait takes it. Nothing else happens: the sim
 * has no default actions. Callable from a task or between runs.
 * Returns 0, -EINVAL (not a sim loop; sig not in 1..64, SIGKILL, SIGSTOP).
 */
ARING_API int aring_sim_signal(aring_loop *node, int sig);

#ifdef __cplusplus
}
#endif
#endif /* ARING_SIM_H */
