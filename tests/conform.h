/* SPDX-License-Identifier: MIT */
/*
 * The conformance suite's harness (tests/test_conform.c, tests/conform_*.c):
 * raw SQEs through a backend's ops table (core/backend.h), the kernel's
 * expected CQEs, and a comparison that fails on any difference.
 *
 * A case fills SQEs with the helpers below (each starts from a zeroed SQE
 * and sets every field it uses itself), states what the kernel posts with
 * ex() (a CQE that must come after every CQE stated before it) and ex_set()
 * (a CQE that may come in any order with the one stated just before it:
 * the kernel leaves their order open; ex_group() + ex_in() state a group
 * whose CQEs of one "lane", such as one chain's members, keep their order
 * while lanes interleave freely), and calls run(): it submits, reaps
 * until as many CQEs came as were stated (or nothing more can come), and
 * compares. run() with nothing new stated checks that nothing was posted.
 *
 * Resources (pipes, files) are made through the ring with setup helpers
 * (IORING_OP_PIPE, OPENAT) so a case is the same program on every backend.
 */
#ifndef ARING_TESTS_CONFORM_H
#define ARING_TESTS_CONFORM_H

#include <setjmp.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/uio.h>

#include "core/backend.h"
#include "core/abi.h"

/* Kernel ABI bits liburing 2.3's header lacks (include/uapi/linux/io_uring.h, 6.18). */
#define C_NOP_INJECT_RESULT (1U << 0)
#define C_NOP_FILE          (1U << 1)
#define C_NOP_FIXED_FILE    (1U << 2)
#define C_NOP_FIXED_BUFFER  (1U << 3)
#define C_NOP_TW            (1U << 4)
#define C_NOP_CQE32         (1U << 5)
#define C_SQE_UNKNOWN_FLAG  (1U << 7)  /* IOSQE_* bit 7: no such flag */
#ifndef POLLIN
#define POLLIN 0x001
#endif

struct c_backend {
	const char *name;
	int (*make)(const struct aring_loop_opts *opts, struct aring__backend **out);
	bool real_fds;  /* its fds are the process's (close them, pipe(2) fallback) */
	uint64_t seed;  /* sim-like backends: a fixed seed, so a run never depends on
			   ARING_SIM_SEED (the known divergences are per backend) */
	unsigned setup_flags;  /* uring: IORING_SETUP_* (0 = aring's default) */
	bool cases_only;       /* not in the differential */
};

struct c_cqe {
	uint64_t ud;
	int32_t res;
	uint32_t flags;
	unsigned group;  /* expectations only: same group = any order, */
	unsigned lane;   /* except that CQEs of one lane (> 0) keep their order */
};

#define C_MAX_CQES 512
#define C_MAX_FDS 32

struct cx {
	const struct c_backend *bd;
	const char *case_name;
	struct aring__backend *be;
	jmp_buf bail;
	/* expectations and what came, compared segment by segment at run() */
	struct c_cqe exp[C_MAX_CQES];
	unsigned nexp, exp_done;
	unsigned group;
	struct c_cqe got[C_MAX_CQES];
	unsigned ngot, got_done;
	bool mismatch;
	char *report;       /* the got/expected text of the first mismatch */
	size_t report_len;
	FILE *rep;
	/* resources closed at the end */
	int fds[C_MAX_FDS];
	unsigned nfds;
	/* memory the kernel reads at submit (timespecs, iovecs, buffers) */
	struct __kernel_timespec ts[64];
	unsigned nts;
	struct iovec iov[16];
	unsigned niov;
	char buf[32][128];
	unsigned nbuf;
	int pipefds[8][2];
	unsigned npipes;
	char path[8][96];
	unsigned npath;
	unsigned setup_seq;
};

/* user_data of the harness's own setup SQEs (never in a case's expectation). */
#define C_SETUP_UD 0xC0FFEE0000000000ull

/* Expectations. */
void ex(struct cx *c, uint64_t ud, int32_t res, uint32_t flags);
void ex_set(struct cx *c, uint64_t ud, int32_t res, uint32_t flags);
void ex_group(struct cx *c);
void ex_in(struct cx *c, unsigned lane, uint64_t ud, int32_t res, uint32_t flags);
/* Submit, reap until every stated CQE came, compare; see above. */
void run(struct cx *c);
/*
 * Submit and reap until want more CQEs came (3 s at most), then take any
 * extra already there; returns the last submit's result.
 */
int c_wait(struct cx *c, unsigned want);
/* A fresh backend for c (0 or -errno); cx_close drops it and what it held. */
int cx_open(struct cx *c, const struct c_backend *bd, unsigned entries);
void cx_close(struct cx *c);
/* Close the fds of kernel rings cx_close() parked that are freed now; wait:
   for all of them (10 s at most). 0, or -ETIMEDOUT. */
int cx_unpark(bool wait);
/* Submit without reaping (wait_nr 0); returns what submit returned. */
int csubmit(struct cx *c);
/* Stop the case: a harness problem (SQ full, setup failed). */
void c_bail(struct cx *c, const char *fmt, ...) __attribute__((format(printf, 2, 3), noreturn));

/* Memory that stays valid for the whole case. */
struct __kernel_timespec *ts(struct cx *c, long long sec, long long nsec);
static inline struct __kernel_timespec *ms(struct cx *c, long v)
{
	return ts(c, v / 1000, (v % 1000) * 1000000LL);
}
char *cbuf(struct cx *c);

/* Setup through the ring, before the case's own SQEs. */
void mkpipe(struct cx *c, int fds[2]);
/* The same with pipe2() flags (O_NONBLOCK, ...). */
void mkpipe2(struct cx *c, int fds[2], int flags);
/* A regular file holding data[0..len), already unlinked; returns its fd. */
int mkfile(struct cx *c, const void *data, unsigned len);
/* The same, keeping its name (*path, removed at the end). */
int mkfile_named(struct cx *c, const void *data, unsigned len, const char **path);
/* An fd a case's own SQE opened: closed at the end on backends with real fds. */
void keep_fd(struct cx *c, int fd);
/* A fresh path name (not created) under /tmp, removed at the end. */
const char *mkpath(struct cx *c);
/* Run one harness SQE (ud C_SETUP_UD|n) to completion; returns its res. */
int setup_run(struct cx *c, struct io_uring_sqe *q);

/* SQE helpers: zeroed SQE, every used field set here. */
struct io_uring_sqe *sqe(struct cx *c, unsigned op, uint64_t ud, unsigned flags);
struct io_uring_sqe *nop(struct cx *c, uint64_t ud, unsigned flags);
struct io_uring_sqe *nopx(struct cx *c, uint64_t ud, unsigned flags, unsigned nop_flags,
			  uint32_t len, int fd);
struct io_uring_sqe *rd(struct cx *c, uint64_t ud, unsigned flags, int fd, void *buf,
			unsigned len, uint64_t off);
struct io_uring_sqe *wr(struct cx *c, uint64_t ud, unsigned flags, int fd, const void *buf,
			unsigned len, uint64_t off);
struct io_uring_sqe *rdv(struct cx *c, uint64_t ud, unsigned flags, int fd,
			 const struct iovec *iov, unsigned nr, uint64_t off);
/* A read that fails at issue with -EBADF (fd -1 is never open). */
struct io_uring_sqe *bad(struct cx *c, uint64_t ud, unsigned flags);
struct io_uring_sqe *tmo(struct cx *c, uint64_t ud, unsigned flags,
			 const struct __kernel_timespec *t, unsigned count, unsigned tflags);
struct io_uring_sqe *ltmo(struct cx *c, uint64_t ud, unsigned flags,
			  const struct __kernel_timespec *t, unsigned tflags);
struct io_uring_sqe *trm(struct cx *c, uint64_t ud, unsigned flags, uint64_t target,
			 unsigned tflags);
struct io_uring_sqe *tupd(struct cx *c, uint64_t ud, unsigned flags, uint64_t target,
			  const struct __kernel_timespec *t, unsigned tflags);
struct io_uring_sqe *cnl(struct cx *c, uint64_t ud, unsigned flags, uint64_t target,
			 unsigned cflags, int fd);
struct io_uring_sqe *padd(struct cx *c, uint64_t ud, unsigned flags, int fd, unsigned mask,
			  unsigned pflags);
struct io_uring_sqe *prm(struct cx *c, uint64_t ud, unsigned flags, uint64_t target);
struct io_uring_sqe *pupd(struct cx *c, uint64_t ud, unsigned flags, uint64_t old_ud,
			  uint64_t new_ud, unsigned mask, unsigned pflags);
struct io_uring_sqe *linkat_op(struct cx *c, uint64_t ud, unsigned flags, int olddfd,
			       const char *oldpath, int newdfd, const char *newpath, int lflags);
struct io_uring_sqe *openat_op(struct cx *c, uint64_t ud, unsigned flags, const char *path,
			       int oflags, unsigned mode);
struct io_uring_sqe *closeop(struct cx *c, uint64_t ud, unsigned flags, int fd);

/* The case table (one per file that defines cases). */
struct c_case {
	const char *name;
	void (*fn)(struct cx *c);
	unsigned entries;  /* SQ entries; 0 = 16 */
};

extern const struct c_case conform_cases[];
extern const unsigned conform_ncases;

/* The backends every case and program runs on (test_conform.c). */
extern const struct c_backend conform_backends[];
extern const unsigned conform_nbackends;
/* Not switched off by ARING_CONFORM_BACKEND. */
bool conform_backend_on(unsigned k);
/* Is the case listed in known_sim_divergences[] for a backend that runs? */
bool conform_listed(const char *name);

/* The random-program differential (conform_diff.c): failures, or -1 on a setup error. */
int conform_diff_run(void);
/* Its checks catch a wrong result and a missing CQE: 0 if so. */
int conform_diff_selftest(void);
/* A kernel program's fds stay open until its closed ring is freed: 0, 1, 77 (no io_uring). */
int conform_diff_teardown_check(void);

#endif /* ARING_TESTS_CONFORM_H */
