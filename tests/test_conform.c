/* SPDX-License-Identifier: MIT */
/*
 * Conformance suite (issue 8 item 3): io_uring's ring semantics, case by
 * case, on every backend. Each case (tests/conform_cases.c) drives a
 * backend's ops table with raw SQEs and states the CQEs the kernel posts,
 * citing the kernel function or liburing test that decides them; every
 * expectation was checked on Linux 6.18 (the uring backend is the truth).
 * The seeded random-program differential is in tests/conform_diff.c.
 *
 * Backends differ from the kernel in known places today: those (case,
 * backend) pairs are listed in known_sim_divergences[] below, print as
 * "KNOWN DIVERGENCE", and fail the run once they pass (remove them then):
 * the list only shrinks. Any other difference fails.
 *
 * Environment: ARING_CONFORM_CASE=name runs one case;
 * ARING_CONFORM_BACKEND=name runs on that backend only (the differential
 * always runs uring too, its reference);
 * ARING_CONFORM_SEED / ARING_CONFORM_PROGRAMS / ARING_CONFORM_FEATURES:
 * see conform_diff.c.
 *
 * Adding a backend: one line in conform_backends[] (its constructor from
 * core/backend.h); its known divergences go in the list with its name.
 */
#include "config.h"
#include <CUnit/Basic.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <unistd.h>

#include "tests/conform.h"
#include <aring.h>
#include <aring/sim.h>

/* The backends: adding one is one line. uring first: the differential's reference. */
const struct c_backend conform_backends[] = {
	{ "uring", aring__uring_new, true, 0, 0, false },
	{ "sim", aring__sim_new, false, 1, 0, false },
	{ "epoll", aring__epoll_new, true, 0, 0, false },
	/* The kernel again, set up otherwise than aring's default (SUBMIT_ALL |
	   COOP_TASKRUN | TASKRUN_FLAG): the expectations hold for the kernel,
	   not for one configuration of it. CLAMP alone = none of those.
	   Cases only: the differential compares backends with "uring". */
	{ "uring-plain", aring__uring_new, true, 0, IORING_SETUP_CLAMP, true },
	{ "uring-defer", aring__uring_new, true, 0,
	  IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN | IORING_SETUP_SUBMIT_ALL, true },
};
const unsigned conform_nbackends = sizeof(conform_backends) / sizeof(conform_backends[0]);

bool conform_backend_on(unsigned k)
{
	const char *only = getenv("ARING_CONFORM_BACKEND");

	return !only || !*only || !strcmp(only, conform_backends[k].name);
}

/*
 * (case, backend) pairs that differ from the kernel today, with the reason.
 * A listed pair that passes fails the run: delete its line.
 */
static const struct {
	const char *name, *backend, *why;
} known_sim_divergences[] = {
	/* backends/epoll.c sock_nonempty(): FIONREAD after a receive that filled
	   its buffer only; the kernel's tcp_inq_hint() also reports the FIN
	   (1 when nothing is left), and a receive of 0 bytes reports the queue */
	{ "net_recv_nonempty_fin", "epoll", "SOCK_NONEMPTY after a FIN or a 0-byte receive" },
	/* backends/epoll.c: accept4() does not tell whether more connections wait */
	{ "net_accept_nonempty", "epoll", "SOCK_NONEMPTY on an accept that left more queued" },
	/* backends/epoll.c ep_prep() does not check sendmsg's and recvmsg's unused fields */
	{ "net_msg_reserved", "epoll", "sendmsg addr2/file_index, recvmsg addr2 taken" },
	{ NULL, NULL, NULL },
};

/* ---------------------------------------------------------------- expectations */

void ex(struct cx *c, uint64_t ud, int32_t res, uint32_t flags)
{
	if (c->nexp == C_MAX_CQES)
		c_bail(c, "too many expectations");
	c->exp[c->nexp++] = (struct c_cqe){ ud, res, flags, ++c->group, 0 };
}

void ex_set(struct cx *c, uint64_t ud, int32_t res, uint32_t flags)
{
	if (c->nexp == C_MAX_CQES)
		c_bail(c, "too many expectations");
	c->exp[c->nexp++] = (struct c_cqe){ ud, res, flags, c->group, 0 };
}

void ex_group(struct cx *c)
{
	c->group++;
}

void ex_in(struct cx *c, unsigned lane, uint64_t ud, int32_t res, uint32_t flags)
{
	if (c->nexp == C_MAX_CQES)
		c_bail(c, "too many expectations");
	c->exp[c->nexp++] = (struct c_cqe){ ud, res, flags, c->group, lane };
}

void c_bail(struct cx *c, const char *fmt, ...)
{
	va_list ap;

	c->mismatch = true;
	fprintf(c->rep, "  harness: ");
	va_start(ap, fmt);
	vfprintf(c->rep, fmt, ap);
	va_end(ap);
	fprintf(c->rep, "\n");
	longjmp(c->bail, 1);
}

/* ---------------------------------------------------------------- reaping */

static volatile sig_atomic_t alarm_fired;

static void on_alarm(int sig)
{
	(void)sig;
	alarm_fired = 1;
}

static void arm(unsigned ms_)
{
	/* then every 50 ms: a signal that came outside the wait is repeated */
	struct itimerval it = { { 0, 50000 }, { ms_ / 1000, (ms_ % 1000) * 1000 } };

	alarm_fired = 0;
	setitimer(ITIMER_REAL, &it, NULL);
}

static void disarm(void)
{
	struct itimerval it = { { 0, 0 }, { 0, 0 } };

	setitimer(ITIMER_REAL, &it, NULL);
}

/* Take every ready CQE; harness CQEs (setup) are not the case's. */
static void reap(struct cx *c)
{
	struct io_uring_cqe *cq[64];
	unsigned n, i;

	while ((n = c->be->ops->peek(c->be, cq, 64))) {
		for (i = 0; i < n; i++) {
			if (c->ngot == C_MAX_CQES)
				c_bail(c, "more than %u CQEs", C_MAX_CQES);
			c->got[c->ngot++] =
				(struct c_cqe){ cq[i]->user_data, cq[i]->res, cq[i]->flags, 0, 0 };
		}
		c->be->ops->advance(c->be, n);
	}
}

static void print_cqe(FILE *f, const struct c_cqe *q)
{
	char fl[32] = "";

	if (q->ud >= C_SETUP_UD)
		fprintf(f, "(setup%llu", (unsigned long long)(q->ud - C_SETUP_UD));
	else
		fprintf(f, "(%llu", (unsigned long long)q->ud);
	if (q->flags)
		snprintf(fl, sizeof(fl), " f=0x%x", q->flags);
	fprintf(f, " %d%s)", q->res, fl);
}

static void print_list(FILE *f, const char *what, const struct c_cqe *l, unsigned n, bool groups)
{
	unsigned i;

	fprintf(f, "    %-8s", what);
	for (i = 0; i < n; i++) {
		bool open = groups && (i + 1 < n && l[i + 1].group == l[i].group) &&
			    (i == 0 || l[i - 1].group != l[i].group);
		bool close = groups && i > 0 && l[i - 1].group == l[i].group &&
			     (i + 1 == n || l[i + 1].group != l[i].group);

		fprintf(f, " %s", open ? "{" : "");
		if (groups && l[i].lane)
			fprintf(f, "L%u:", l[i].lane);
		print_cqe(f, &l[i]);
		if (close)
			fprintf(f, "}");
	}
	if (!n)
		fprintf(f, " (none)");
	fprintf(f, "\n");
}

/*
 * Does got[0..n) match exp[0..n) group by group (any order inside a group,
 * but each lane > 0 in its stated order)?
 */
static bool match(const struct c_cqe *exp, const struct c_cqe *got, unsigned n)
{
	bool used[C_MAX_CQES];
	unsigned i = 0, j, k;

	while (i < n) {
		for (j = i; j < n && exp[j].group == exp[i].group; j++)
			;
		memset(used + i, 0, (j - i) * sizeof(bool));
		for (k = i; k < j; k++) {
			unsigned m;

			for (m = i; m < j; m++) {
				unsigned e;

				if (used[m] || got[k].ud != exp[m].ud || got[k].res != exp[m].res ||
				    got[k].flags != exp[m].flags)
					continue;
				/* the first CQE of its lane not seen yet */
				for (e = i; e < m; e++)
					if (!used[e] && exp[m].lane && exp[e].lane == exp[m].lane)
						break;
				if (e == m)
					break;
			}
			if (m == j)
				return false;
			used[m] = true;
		}
		i = j;
	}
	return true;
}

int c_wait(struct cx *c, unsigned want)
{
	int ret = 0;

	arm(3000);
	for (;;) {
		unsigned have = c->ngot - c->got_done;

		if (have >= want) {
			/* Anything more already there is an extra CQE. */
			ret = c->be->ops->submit(c->be, 0);
			reap(c);
			break;
		}
		ret = c->be->ops->submit(c->be, 1);
		reap(c);
		if (ret == -EDEADLK)
			break;  /* (sim) nothing more can ever complete */
		if (alarm_fired)
			break;  /* the kernel posted fewer CQEs than stated */
		if (ret < 0 && ret != -EINTR && ret != -EBUSY && ret != -EAGAIN)
			break;
	}
	disarm();
	return ret;
}

void run(struct cx *c)
{
	unsigned want = c->nexp - c->exp_done;
	int ret = c_wait(c, want);

	if (c->ngot - c->got_done != want ||
	    !match(c->exp + c->exp_done, c->got + c->got_done, want)) {
		if (!c->mismatch) {
			fprintf(c->rep, "  after CQE %u (submit %d%s):\n", c->got_done, ret,
				alarm_fired ? ", timed out" : "");
			print_list(c->rep, "got", c->got + c->got_done, c->ngot - c->got_done, false);
			print_list(c->rep, "expected", c->exp + c->exp_done, want, true);
		}
		c->mismatch = true;
	}
	c->exp_done = c->nexp;
	c->got_done = c->ngot;
}

int csubmit(struct cx *c)
{
	return c->be->ops->submit(c->be, 0);
}

/* ---------------------------------------------------------------- memory */

struct __kernel_timespec *ts(struct cx *c, long long sec, long long nsec)
{
	struct __kernel_timespec *t;

	if (c->nts == sizeof(c->ts) / sizeof(c->ts[0]))
		c_bail(c, "out of timespecs");
	t = &c->ts[c->nts++];
	t->tv_sec = sec;
	t->tv_nsec = nsec;
	return t;
}

char *cbuf(struct cx *c)
{
	if (c->nbuf == sizeof(c->buf) / sizeof(c->buf[0]))
		c_bail(c, "out of buffers");
	memset(c->buf[c->nbuf], 0, sizeof(c->buf[0]));
	return c->buf[c->nbuf++];
}

/* ---------------------------------------------------------------- SQEs */

struct io_uring_sqe *sqe(struct cx *c, unsigned op, uint64_t ud, unsigned flags)
{
	struct io_uring_sqe *q = c->be->ops->get_sqe(c->be);

	if (!q)
		c_bail(c, "SQ full");
	memset(q, 0, sizeof(*q));
	q->opcode = (uint8_t)op;
	q->flags = (uint8_t)flags;
	q->user_data = ud;
	q->fd = -1;
	return q;
}

struct io_uring_sqe *nop(struct cx *c, uint64_t ud, unsigned flags)
{
	return sqe(c, IORING_OP_NOP, ud, flags);
}

struct io_uring_sqe *nopx(struct cx *c, uint64_t ud, unsigned flags, unsigned nop_flags,
			  uint32_t len, int fd)
{
	struct io_uring_sqe *q = sqe(c, IORING_OP_NOP, ud, flags);

	q->rw_flags = (int)nop_flags;  /* sqe->nop_flags */
	q->len = len;
	q->fd = fd;
	return q;
}

static struct io_uring_sqe *rw(struct cx *c, unsigned op, uint64_t ud, unsigned flags, int fd,
			       const void *addr, unsigned len, uint64_t off)
{
	struct io_uring_sqe *q = sqe(c, op, ud, flags);

	q->fd = fd;
	q->addr = (uint64_t)(uintptr_t)addr;
	q->len = len;
	q->off = off;
	return q;
}

struct io_uring_sqe *rd(struct cx *c, uint64_t ud, unsigned flags, int fd, void *buf,
			unsigned len, uint64_t off)
{
	return rw(c, IORING_OP_READ, ud, flags, fd, buf, len, off);
}

struct io_uring_sqe *wr(struct cx *c, uint64_t ud, unsigned flags, int fd, const void *buf,
			unsigned len, uint64_t off)
{
	return rw(c, IORING_OP_WRITE, ud, flags, fd, buf, len, off);
}

struct io_uring_sqe *rdv(struct cx *c, uint64_t ud, unsigned flags, int fd,
			 const struct iovec *iov, unsigned nr, uint64_t off)
{
	return rw(c, IORING_OP_READV, ud, flags, fd, iov, nr, off);
}

struct io_uring_sqe *bad(struct cx *c, uint64_t ud, unsigned flags)
{
	return rd(c, ud, flags, -1, cbuf(c), 8, 0);
}

struct io_uring_sqe *tmo(struct cx *c, uint64_t ud, unsigned flags,
			 const struct __kernel_timespec *t, unsigned count, unsigned tflags)
{
	struct io_uring_sqe *q = sqe(c, IORING_OP_TIMEOUT, ud, flags);

	q->addr = (uint64_t)(uintptr_t)t;
	q->len = 1;
	q->off = count;
	q->timeout_flags = tflags;
	return q;
}

struct io_uring_sqe *ltmo(struct cx *c, uint64_t ud, unsigned flags,
			  const struct __kernel_timespec *t, unsigned tflags)
{
	struct io_uring_sqe *q = sqe(c, IORING_OP_LINK_TIMEOUT, ud, flags);

	q->addr = (uint64_t)(uintptr_t)t;
	q->len = 1;
	q->timeout_flags = tflags;
	return q;
}

struct io_uring_sqe *trm(struct cx *c, uint64_t ud, unsigned flags, uint64_t target,
			 unsigned tflags)
{
	struct io_uring_sqe *q = sqe(c, IORING_OP_TIMEOUT_REMOVE, ud, flags);

	q->addr = target;
	q->timeout_flags = tflags;
	return q;
}

struct io_uring_sqe *tupd(struct cx *c, uint64_t ud, unsigned flags, uint64_t target,
			  const struct __kernel_timespec *t, unsigned tflags)
{
	struct io_uring_sqe *q = sqe(c, IORING_OP_TIMEOUT_REMOVE, ud, flags);

	q->addr = target;
	q->off = (uint64_t)(uintptr_t)t;  /* sqe->addr2 */
	q->timeout_flags = tflags;
	return q;
}

struct io_uring_sqe *cnl(struct cx *c, uint64_t ud, unsigned flags, uint64_t target,
			 unsigned cflags, int fd)
{
	struct io_uring_sqe *q = sqe(c, IORING_OP_ASYNC_CANCEL, ud, flags);

	q->addr = target;
	q->cancel_flags = cflags;
	q->fd = fd;
	return q;
}

struct io_uring_sqe *padd(struct cx *c, uint64_t ud, unsigned flags, int fd, unsigned mask,
			  unsigned pflags)
{
	struct io_uring_sqe *q = sqe(c, IORING_OP_POLL_ADD, ud, flags);

	q->fd = fd;
	q->poll32_events = mask;  /* little-endian host */
	q->len = pflags;
	return q;
}

struct io_uring_sqe *prm(struct cx *c, uint64_t ud, unsigned flags, uint64_t target)
{
	struct io_uring_sqe *q = sqe(c, IORING_OP_POLL_REMOVE, ud, flags);

	q->addr = target;
	return q;
}

struct io_uring_sqe *pupd(struct cx *c, uint64_t ud, unsigned flags, uint64_t old_ud,
			  uint64_t new_ud, unsigned mask, unsigned pflags)
{
	struct io_uring_sqe *q = sqe(c, IORING_OP_POLL_REMOVE, ud, flags);

	q->addr = old_ud;
	q->off = new_ud;
	q->poll32_events = mask;
	q->len = pflags;
	return q;
}

struct io_uring_sqe *closeop(struct cx *c, uint64_t ud, unsigned flags, int fd)
{
	struct io_uring_sqe *q = sqe(c, IORING_OP_CLOSE, ud, flags);

	q->fd = fd;
	return q;
}

struct io_uring_sqe *linkat_op(struct cx *c, uint64_t ud, unsigned flags, int olddfd,
			       const char *oldpath, int newdfd, const char *newpath, int lflags)
{
	struct io_uring_sqe *q = sqe(c, IORING_OP_LINKAT, ud, flags);

	q->fd = olddfd;
	q->addr = (uint64_t)(uintptr_t)oldpath;
	q->len = (uint32_t)newdfd;
	q->off = (uint64_t)(uintptr_t)newpath;  /* sqe->addr2 */
	q->hardlink_flags = (uint32_t)lflags;
	return q;
}

struct io_uring_sqe *openat_op(struct cx *c, uint64_t ud, unsigned flags, const char *path,
			       int oflags, unsigned mode)
{
	struct io_uring_sqe *q = sqe(c, IORING_OP_OPENAT, ud, flags);

	q->fd = AT_FDCWD;
	q->addr = (uint64_t)(uintptr_t)path;
	q->len = mode;
	q->open_flags = (uint32_t)oflags;
	return q;
}

/* ---------------------------------------------------------------- setup */

int setup_run(struct cx *c, struct io_uring_sqe *q)
{
	uint64_t ud = C_SETUP_UD | c->setup_seq++;
	struct io_uring_cqe *cq;
	int ret, res;

	if (c->ngot != c->got_done || c->nexp != c->exp_done)
		c_bail(c, "setup after the case's own SQEs");
	q->user_data = ud;
	arm(3000);
	do {
		ret = c->be->ops->submit(c->be, 1);
	} while (ret == -EINTR && !alarm_fired);
	disarm();
	if (ret < 0)
		c_bail(c, "setup submit: %d", ret);
	if (c->be->ops->peek(c->be, &cq, 1) != 1 || cq->user_data != ud)
		c_bail(c, "setup: no CQE or an unexpected one");
	res = cq->res;
	c->be->ops->advance(c->be, 1);
	return res;
}

void keep_fd(struct cx *c, int fd)
{
	if (c->nfds == C_MAX_FDS)
		c_bail(c, "too many fds");
	c->fds[c->nfds++] = fd;
}

void mkpipe(struct cx *c, int fds[2])
{
	mkpipe2(c, fds, 0);
}

void mkpipe2(struct cx *c, int fds[2], int flags)
{
	int *f, ret;

	if (c->npipes == sizeof(c->pipefds) / sizeof(c->pipefds[0]))
		c_bail(c, "too many pipes");
	f = c->pipefds[c->npipes++];
	if (c->bd->real_fds && !c->be->ops->has_op(c->be, ARING_OP_PIPE)) {
		ret = pipe2(f, flags) ? -errno : 0;
	} else {
		struct io_uring_sqe *q = sqe(c, ARING_OP_PIPE, 0, 0);

		q->fd = 0;
		q->addr = (uint64_t)(uintptr_t)f;
		q->rw_flags = flags;
		ret = setup_run(c, q);
	}
	if (ret < 0)
		c_bail(c, "pipe: %d", ret);
	keep_fd(c, f[0]);
	keep_fd(c, f[1]);
	fds[0] = f[0];
	fds[1] = f[1];
}

const char *mkpath(struct cx *c)
{
	static unsigned seq;
	char *p;

	if (c->npath == sizeof(c->path) / sizeof(c->path[0]))
		c_bail(c, "too many paths");
	p = c->path[c->npath++];
	snprintf(p, sizeof(c->path[0]), "/tmp/aring-conform-%d-%u", (int)getpid(), seq++);
	return p;
}

static int unlink_path(struct cx *c, const char *path)
{
	struct io_uring_sqe *q = sqe(c, IORING_OP_UNLINKAT, 0, 0);

	q->fd = AT_FDCWD;
	q->addr = (uint64_t)(uintptr_t)path;
	q->unlink_flags = 0;
	return setup_run(c, q);
}

static int mkfile_(struct cx *c, const void *data, unsigned len, const char **named)
{
	const char *path = mkpath(c);
	int fd, ret;

	fd = setup_run(c, openat_op(c, 0, 0, path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600));
	if (fd < 0)
		c_bail(c, "open %s: %d", path, fd);
	keep_fd(c, fd);
	if (named) {
		*named = path;
	} else {
		ret = unlink_path(c, path);
		if (ret < 0)
			c_bail(c, "unlink %s: %d", path, ret);
	}
	if (len) {
		ret = setup_run(c, wr(c, 0, 0, fd, data, len, 0));
		if (ret != (int)len)
			c_bail(c, "write: %d", ret);
	}
	return fd;
}

int mkfile(struct cx *c, const void *data, unsigned len)
{
	return mkfile_(c, data, len, NULL);
}

int mkfile_named(struct cx *c, const void *data, unsigned len, const char **path)
{
	return mkfile_(c, data, len, path);
}

/*
 * The kernel's ring outlives io_uring_queue_exit(): closing its fd starts
 * io_uring/io_uring.c io_ring_exit_work(), which frees the ring
 * (io_ring_ctx_free()) once its last request is gone. A case or program
 * may leave requests in flight that no CQE announces: a linked request
 * with CQE_SKIP_SUCCESS (differential seed 1786: write(file) LINK,
 * read(file) SKIP; it waits for the write's CQE only). Such a request
 * looks its fd number up when it is issued (io_assign_file()), after its
 * predecessor finished: if the harness has closed that number by then and
 * the next backend took it (the epoll backend's eventfd, made right
 * after), the stale read eats the epoll pool's wake-up, and that backend's
 * first setup SQE never completes ("setup submit: -4", seeds 1786, 1787,
 * 1816 with every backend on).
 *
 * So at its close a kernel ring gets a witness: the write end of a pipe,
 * registered as its fixed file table (not where a case registered its own:
 * unregistering may wait for the case's requests, io_rsrc_ref_quiesce()
 * before Linux 6.13), which the ring drops in io_ring_ctx_free()
 * (io_sqe_files_unregister()), after every request; the read end sees EOF
 * then. The case's fds stay open (their numbers taken) until that EOF.
 * Waiting for each ring instead would cost a grace period per ring.
 */
static struct parked {
	int witness;
	int fds[C_MAX_FDS];
	unsigned nfds;
} parked[32];
static unsigned nparked;

int cx_unpark(bool wait)
{
	unsigned i = 0, k, tries = 0;
	char b;

	while (i < nparked) {
		struct pollfd pfd = { .fd = parked[i].witness, .events = POLLIN };

		/* 10 ms at a time: back in user mode, this thread runs its task
		   work (a request's, that the ring's exit may wait for) */
		if (poll(&pfd, 1, wait ? 10 : 0) == 1 && read(pfd.fd, &b, 1) == 0) {
			close(pfd.fd);
			for (k = 0; k < parked[i].nfds; k++)
				close(parked[i].fds[k]);
			parked[i] = parked[--nparked];
		} else if (!wait) {
			i++;
		} else if (++tries == 1000) {
			return -ETIMEDOUT;
		}
	}
	return 0;
}

/* The read end of a witness registered in c's kernel ring, or -1. */
static int ring_witness(struct cx *c)
{
	int w[2], ret;

	if (!c->be->ops->ring(c->be) || pipe2(w, O_CLOEXEC) < 0)
		return -1;
	ret = c->be->ops->register_rsrc(c->be, IORING_REGISTER_FILES, &w[1], 1);
	close(w[1]);
	if (ret < 0) {
		close(w[0]);
		return -1;
	}
	return w[0];
}

/*
 * Drop the ring (it cancels what is left), then close what the case made:
 * a kernel ring's fds once the kernel freed it (above); with no witness
 * (none could be registered), at once, as before.
 */
void cx_close(struct cx *c)
{
	int witness = ring_witness(c);
	unsigned i;

	c->be->ops->destroy(c->be);
	c->be = NULL;
	if (witness >= 0 && nparked == sizeof(parked) / sizeof(parked[0]) && cx_unpark(true) < 0) {
		close(witness);
		witness = -1;
	}
	if (witness >= 0) {
		struct parked *k = &parked[nparked++];

		/* only the numbers open now: one the case closed through the
		   ring may be another's by the time it is unparked */
		k->witness = witness;
		k->nfds = 0;
		for (i = 0; i < c->nfds; i++)
			if (fcntl(c->fds[i], F_GETFD) >= 0)
				k->fds[k->nfds++] = c->fds[i];
		c->nfds = 0;
	}
	if (c->bd->real_fds) {
		for (i = 0; i < c->nfds; i++)
			close(c->fds[i]);
		for (i = 0; i < c->npath; i++)
			unlink(c->path[i]);
	}
	fclose(c->rep);
	cx_unpark(false);
}

int cx_open(struct cx *c, const struct c_backend *bd, unsigned entries)
{
	struct aring_sim_opts so = { .seed = bd->seed };
	struct aring_loop_opts o = { .entries = entries, .sim = &so, .setup_flags = bd->setup_flags };
	int ret;

	memset(c, 0, sizeof(*c));
	c->bd = bd;
	c->rep = open_memstream(&c->report, &c->report_len);
	if (!c->rep)
		return -ENOMEM;
	ret = bd->make(&o, &c->be);
	if (ret < 0) {
		fclose(c->rep);
		free(c->report);
		c->report = NULL;
	}
	return ret;
}

/* ---------------------------------------------------------------- running cases */

static const char *known_reason(const char *name, const char *backend)
{
	unsigned i;

	for (i = 0; known_sim_divergences[i].name; i++)
		if (!strcmp(known_sim_divergences[i].name, name) &&
		    !strcmp(known_sim_divergences[i].backend, backend))
			return known_sim_divergences[i].why;
	return NULL;
}

bool conform_listed(const char *name)
{
	unsigned i;

	for (i = 0; known_sim_divergences[i].name; i++) {
		unsigned k;

		if (strcmp(known_sim_divergences[i].name, name))
			continue;
		for (k = 0; k < conform_nbackends; k++)
			if (!strcmp(conform_backends[k].name, known_sim_divergences[i].backend) &&
			    conform_backend_on(k))
				return true;
	}
	return false;
}

static unsigned passes[8], knowns[8], fails[8], ran[8];

/* Run one case on one backend: 0 pass, 1 differs. */
static int run_case(const struct c_case *cs, const struct c_backend *bd)
{
	static struct cx cx;
	struct cx *c = &cx;
	int ret;

	ret = cx_open(c, bd, cs->entries ? cs->entries : 16);
	if (ret < 0) {
		printf("FAIL %s on %s: backend: %d\n", cs->name, bd->name, ret);
		return 1;
	}
	c->case_name = cs->name;
	if (!setjmp(c->bail)) {
		cs->fn(c);
		/* Anything posted that no run() has seen is an extra CQE. */
		run(c);
	}
	cx_close(c);
	ret = c->mismatch;
	{
		const char *why = known_reason(cs->name, bd->name);
		unsigned b = (unsigned)(bd - conform_backends);

		ran[b]++;
		if (why && ret) {
			printf("KNOWN DIVERGENCE %s on %s (%s):\n%s", cs->name, bd->name, why, c->report);
			knowns[b]++;
			ret = 0;
		} else if (why) {
			printf("FAIL %s on %s: listed in known_sim_divergences[] but agrees with "
			       "the kernel now: remove it from the list\n", cs->name, bd->name);
			fails[b]++;
			ret = 1;
		} else if (ret) {
			printf("FAIL %s on %s:\n%s", cs->name, bd->name, c->report);
			fails[b]++;
		} else {
			passes[b]++;
		}
	}
	free(c->report);
	return ret;
}

static void test_cases(void)
{
	const char *only = getenv("ARING_CONFORM_CASE");
	unsigned i, b, nfail = 0;

	for (i = 0; known_sim_divergences[i].name; i++) {
		unsigned k;

		for (k = 0; k < conform_ncases; k++)
			if (!strcmp(conform_cases[k].name, known_sim_divergences[i].name))
				break;
		if (k == conform_ncases) {
			printf("FAIL known_sim_divergences[] names no case \"%s\"\n",
			       known_sim_divergences[i].name);
			nfail++;
		}
	}
	for (i = 0; i < conform_ncases; i++) {
		if (only && strcmp(only, conform_cases[i].name))
			continue;
		for (b = 0; b < conform_nbackends; b++)
			if (conform_backend_on(b))
				nfail += (unsigned)run_case(&conform_cases[i], &conform_backends[b]);
	}
	printf("conformance: %u cases\n", conform_ncases);
	for (b = 0; b < conform_nbackends; b++)
		printf("  %-6s %u ran, %u agree with the kernel, %u known divergences, %u failed\n",
		       conform_backends[b].name, ran[b], passes[b], knowns[b], fails[b]);
	CU_ASSERT_EQUAL(nfail, 0);
}

/* Expectations the kernel does not meet must be reported: value, extra, order, lane. */
static void wrong_value(struct cx *c)
{
	nop(c, 1, 0);
	ex(c, 1, 1, 0);
	run(c);
}

static void extra_cqe(struct cx *c)
{
	nop(c, 1, 0);
	nop(c, 2, 0);
	ex(c, 1, 0, 0);
	run(c);
}

static void wrong_order(struct cx *c)
{
	nop(c, 1, IOSQE_IO_LINK);
	nop(c, 2, 0);
	ex(c, 2, 0, 0);
	ex(c, 1, 0, 0);
	run(c);
}

static void wrong_lane_order(struct cx *c)
{
	nop(c, 1, IOSQE_IO_LINK);
	nop(c, 2, 0);
	ex_group(c);
	ex_in(c, 1, 2, 0, 0);
	ex_in(c, 1, 1, 0, 0);
	run(c);
}

static void wrong_flags(struct cx *c)
{
	nop(c, 1, 0);
	ex(c, 1, 0, IORING_CQE_F_MORE);
	run(c);
}

/* Does the harness report a difference for this (wrong) case? */
static bool reported(const struct c_case *cs, const struct c_backend *bd)
{
	static struct cx cx;

	if (cx_open(&cx, bd, 16) < 0)
		return false;
	if (!setjmp(cx.bail)) {
		cs->fn(&cx);
		run(&cx);
	}
	cx_close(&cx);
	free(cx.report);
	return cx.mismatch;
}

static void test_harness(void)
{
	static const struct c_case wrong[] = {
		{ "wrong_value", wrong_value, 0 },
		{ "extra_cqe", extra_cqe, 0 },
		{ "wrong_order", wrong_order, 0 },
		{ "wrong_lane_order", wrong_lane_order, 0 },
		{ "wrong_flags", wrong_flags, 0 },
	};
	unsigned i, b;

	for (i = 0; i < sizeof(wrong) / sizeof(wrong[0]); i++)
		for (b = 0; b < conform_nbackends; b++) {
			bool found;

			if (!conform_backend_on(b))
				continue;
			found = reported(&wrong[i], &conform_backends[b]);
			if (!found)
				printf("FAIL harness: %s on %s not reported\n", wrong[i].name,
				       conform_backends[b].name);
			CU_ASSERT(found);
		}
	CU_ASSERT_EQUAL(conform_diff_selftest(), 0);
}

/* The differential's teardown against fd reuse (seed 1786 on epoll: "setup submit: -4"). */
static void test_teardown(void)
{
	int ret = conform_diff_teardown_check();

	if (ret == 77)
		printf("io_uring unavailable: skipped ");
	else
		CU_ASSERT_EQUAL(ret, 0);
}

static void test_diff(void)
{
	CU_ASSERT_EQUAL(conform_diff_run(), 0);
}

int main(void)
{
	struct sigaction sa;
	CU_pSuite s;
	unsigned nf;

	setvbuf(stdout, NULL, _IOLBF, 0);
	signal(SIGPIPE, SIG_IGN);  /* pipe_write_no_reader: the kernel sends SIGPIPE */
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_alarm;  /* no SA_RESTART: a blocked submit returns -EINTR */
	sigaction(SIGALRM, &sa, NULL);
	if (CU_initialize_registry() != CUE_SUCCESS)
		return 1;
	s = CU_add_suite("conform", NULL, NULL);
	CU_add_test(s, "harness", test_harness);
	CU_add_test(s, "cases", test_cases);
	CU_add_test(s, "teardown", test_teardown);
	CU_add_test(s, "differential", test_diff);
	CU_basic_set_mode(CU_BRM_VERBOSE);
	CU_basic_run_tests();
	nf = CU_get_number_of_failures();
	CU_cleanup_registry();
	return nf ? 1 : 0;
}
