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

/* Digest of every SQE accepted and CQE posted so far (no pointers). 0 on uring. */
ARING_API uint64_t aring_sim_trace_hash(aring_loop *loop);

/* getsockname(2) for a simulated socket: 0, -EBADF, -ENOTSOCK, -EINVAL (not a sim loop). */
ARING_API int aring_sim_getsockname(aring_loop *loop, int fd, struct sockaddr *addr,
				    socklen_t *addrlen);

#ifdef __cplusplus
}
#endif
#endif /* ARING_SIM_H */
