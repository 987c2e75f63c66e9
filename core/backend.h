/* SPDX-License-Identifier: MIT */
/*
 * The backend boundary is the ring. The core fills struct io_uring_sqe and
 * reads struct io_uring_cqe; a backend is this small table of functions.
 * backends/uring.c forwards to liburing; backends/soft/ (the soft ring) does
 * io_uring's generic layer in user space and hands each request to an
 * executor: sim/ (a simulated world) and backends/epoll.c (real system
 * calls: epoll readiness and a worker pool) are two.
 */
#ifndef ARING_CORE_BACKEND_H
#define ARING_CORE_BACKEND_H

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <liburing.h>

struct aring_loop_opts;
struct aring__backend;

struct aring__backend_ops {
	const char *name;
	/* A free SQE, or NULL when the SQ is full. It is zeroed (all 64 bytes;
	 * 128 for an IORING_SETUP_SQE128 ring): the caller sets only the fields
	 * its op uses, as liburing 2.6+ prep helpers and custom preps do. */
	struct io_uring_sqe *(*get_sqe)(struct aring__backend *be);
	/* Free SQ slots. */
	unsigned (*sq_space)(struct aring__backend *be);
	/* SQEs taken with get_sqe and not yet submitted. */
	unsigned (*sq_ready)(struct aring__backend *be);
	/*
	 * Hand every queued SQE to the kernel (or model). With wait_nr > 0,
	 * block until at least wait_nr CQEs are ready. Returns the number
	 * submitted (>= 0) or -errno:
	 *   -EBUSY / -EAGAIN  the CQ is overflowing: reap CQEs, then retry;
	 *   -EINTR            a signal: retry;
	 *   -EDEADLK          (sim) asked to wait, but nothing can ever complete.
	 */
	int (*submit)(struct aring__backend *be, unsigned wait_nr);
	/* Up to max ready CQEs, oldest first; they stay valid until advance. */
	unsigned (*peek)(struct aring__backend *be, struct io_uring_cqe **cqes, unsigned max);
	/* Mark n CQEs returned by peek as consumed. */
	void (*advance)(struct aring__backend *be, unsigned n);
	/* Monotonic (or virtual) time. */
	uint64_t (*now_ns)(struct aring__backend *be);
	/* Can the backend run this opcode natively? */
	bool (*has_op)(struct aring__backend *be, unsigned opcode);
	/* The liburing ring, or NULL. */
	struct io_uring *(*ring)(struct aring__backend *be);
	void (*destroy)(struct aring__backend *be);
	/*
	 * io_uring_register(2) for registered files and buffers (core/rsrc.c):
	 * IORING_REGISTER_FILES, IORING_UNREGISTER_FILES, IORING_REGISTER_FILES2,
	 * IORING_REGISTER_FILES_UPDATE, IORING_REGISTER_FILE_ALLOC_RANGE,
	 * IORING_REGISTER_BUFFERS, IORING_UNREGISTER_BUFFERS,
	 * IORING_REGISTER_BUFFERS2, with the kernel's arguments and results.
	 * NULL: -EOPNOTSUPP.
	 */
	int (*register_rsrc)(struct aring__backend *be, unsigned opcode, void *arg, unsigned nr_args);
	/*
	 * Run the op of sqe at once as its system call would (no SQE, no CQE):
	 * the wrappers' fallback when the ring lacks the op (core/ops.c). NULL:
	 * the real system call is right (uring, epoll); the sim runs its model
	 * of the call, never a real one on a sim fd. Returns the result, or
	 * -errno.
	 */
	int (*sync_op)(struct aring__backend *be, const struct io_uring_sqe *sqe);
};

/* Every backend's state begins with this. */
struct aring__backend {
	const struct aring__backend_ops *ops;
	unsigned sq_entries;
	/* Completions arrive only inside submit (the soft ring on real system
	 * calls: nothing fills its CQ in the background), so polling without
	 * waiting must submit even with no SQE queued. */
	bool submit_to_poll;
};

int aring__uring_new(const struct aring_loop_opts *opts, struct aring__backend **out);
int aring__sim_new(const struct aring_loop_opts *opts, struct aring__backend **out);
/* The sim learns its loop (node identity, the scheduling shuffle). */
struct aring_loop;
void aring__sim_attach(struct aring__backend *be, struct aring_loop *loop);
/* sim/epoll.c: aring_epoll_create on a sim loop: a sim epoll instance's fd, or -errno. */
int aring__sim_epoll_new(struct aring__backend *be, int flags);
/* sim/msgring.c: a ring fd, in the sim's fd table, for its own ring (conformance cases). */
int aring__sim_ring_fd_self(struct aring__backend *be);
/* A sim loop that stands in for the epoll backend (io_uring unavailable to
   an AUTO program: include/aring/sim.h)? */
bool aring__sim_as_epoll(struct aring__backend *be);
/*
 * AUTO's rule (core/loop.c; the sim's profile, sim/backend.c): io_uring
 * setup failing the way blocked or missing io_uring does (seccomp or
 * kernel.io_uring_disabled: -EPERM; a kernel without it: -ENOSYS;
 * RLIMIT_MEMLOCK before 5.12: -ENOMEM) sends an AUTO loop to epoll.
 */
static inline bool aring__auto_falls_back(int err)
{
	return err == -EPERM || err == -ENOSYS || err == -ENOMEM;
}
/* The opcodes the epoll backend runs (backends/epoll.c). */
bool aring__epoll_has_op(unsigned opcode);
/* The soft ring on real system calls (backends/epoll.c): 0, -EINVAL (entries too
 * many, setup_flags SQE128 or CQE32), -ENOMEM, -EMFILE. */
int aring__epoll_new(const struct aring_loop_opts *opts, struct aring__backend **out);

#endif /* ARING_CORE_BACKEND_H */
