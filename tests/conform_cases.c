/* SPDX-License-Identifier: MIT */
/*
 * The conformance cases. Each states the CQEs the kernel posts and cites
 * what decides them: a kernel function (a file of io_uring/, Linux 6.18) and/or a
 * liburing test program. ex() = ordered after everything before it;
 * ex_set() = any order with the CQE stated just before (see conform.h).
 * Every expectation here was checked on the uring backend (Linux 6.18).
 *
 * Timing: real timeouts are 1-20 ms where they must fire and 10 s where
 * they must not; which happens is decided by construction (a read of an
 * empty pipe nobody writes never completes; a nop completes at issue).
 */
#include "config.h"
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <string.h>
#include <sys/epoll.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include "backends/soft/soft.h"
#include "core/backend.h"
#include "tests/conform.h"
#include "sim/sim.h"

#define LINK IOSQE_IO_LINK
#define HARD IOSQE_IO_HARDLINK
#define DRAIN IOSQE_IO_DRAIN
#define SKIP IOSQE_CQE_SKIP_SUCCESS

/* A read of an empty pipe: pends until written or cancelled. */
static struct io_uring_sqe *pend(struct cx *c, uint64_t ud, unsigned flags, int fd)
{
	return rd(c, ud, flags, fd, cbuf(c), 8, 0);
}

/* Submit 4 SQEs without reaping: the kernel takes them even while CQEs overflow. */
static void submit4(struct cx *c, unsigned round)
{
	int ret = csubmit(c);

	if (ret != 4)
		c_bail(c, "submit round %u returned %d, not 4 (the kernel takes SQEs while CQEs "
		       "overflow)", round, ret);
}

/* ================================================================ links */

/* liburing test/link.c test_single_link: members run in order. */
static void link_nops(struct cx *c)
{
	nop(c, 1, LINK);
	nop(c, 2, LINK);
	nop(c, 3, 0);
	ex(c, 1, 0, 0);
	ex(c, 2, 0, 0);
	ex(c, 3, 0, 0);
	run(c);
}

/*
 * A failing member cancels the rest: io_uring.c io_fail_links() posts
 * -ECANCELED for every later member after the failed one's CQE
 * (liburing test/link.c test_early_fail_and_wait, test/skip-cqe.c).
 */
static void link_fail_cancels_rest(struct cx *c)
{
	nop(c, 1, LINK);
	bad(c, 2, LINK);
	nop(c, 3, LINK);
	nop(c, 4, 0);
	ex(c, 1, 0, 0);
	ex(c, 2, -EBADF, 0);
	ex(c, 3, -ECANCELED, 0);
	ex(c, 4, -ECANCELED, 0);
	run(c);
}

/* The head fails at issue (io_assign_file: -EBADF): the rest is cancelled. */
static void link_head_fails(struct cx *c)
{
	bad(c, 1, LINK);
	nop(c, 2, 0);
	ex(c, 1, -EBADF, 0);
	ex(c, 2, -ECANCELED, 0);
	run(c);
}

/* close(2) of a closed fd fails the same way (openclose.c: io_close -EBADF). */
static void link_close_bad_fd(struct cx *c)
{
	closeop(c, 1, LINK, 999);
	nop(c, 2, 0);
	ex(c, 1, -EBADF, 0);
	ex(c, 2, -ECANCELED, 0);
	run(c);
}

/*
 * A short read breaks a link: rw.c __io_complete_rw_common()/kiocb_done()
 * call req_set_fail() when res != the asked length (test/link.c).
 */
static void link_short_read_pipe(struct cx *c)
{
	int p[2];

	mkpipe(c, p);
	wr(c, 1, 0, p[1], "abc", 3, 0);
	ex(c, 1, 3, 0);
	run(c);
	rd(c, 2, LINK, p[0], cbuf(c), 8, 0);
	nop(c, 3, 0);
	ex(c, 2, 3, 0);
	ex(c, 3, -ECANCELED, 0);
	run(c);
}

/* Same on a regular file at EOF (rw.c: the short count sets REQ_F_FAIL). */
static void link_short_read_file(struct cx *c)
{
	int fd = mkfile(c, "abc", 3);

	rd(c, 1, LINK, fd, cbuf(c), 8, 0);
	nop(c, 2, 0);
	ex(c, 1, 3, 0);
	ex(c, 2, -ECANCELED, 0);
	run(c);
}

/*
 * A full read does not break it; nor does a read of length 0 (res == len).
 * Kernel: io_uring.c io_fail_links; rw.c __io_complete_rw_common (short: req_set_fail);
 *   liburing test/link.c.
 */
static void link_full_read_file(struct cx *c)
{
	int fd = mkfile(c, "abcdef", 6);

	rd(c, 1, LINK, fd, cbuf(c), 6, 0);
	nop(c, 2, 0);
	ex(c, 1, 6, 0);
	ex(c, 2, 0, 0);
	run(c);
	rd(c, 3, LINK, fd, cbuf(c), 0, 0);
	nop(c, 4, 0);
	ex(c, 3, 0, 0);
	ex(c, 4, 0, 0);
	run(c);
}

/*
 * The chain waits for its pending head; a write later lets it go.
 * Kernel: io_uring.c io_queue_next (a member is issued when the one before completes).
 */
static void link_waits_for_head(struct cx *c)
{
	int p[2];

	mkpipe(c, p);
	pend(c, 1, LINK, p[0]);
	nop(c, 2, 0);
	run(c);  /* nothing yet */
	wr(c, 3, 0, p[1], "xy", 2, 0);
	/* the write completes at issue; the read via task work after it */
	ex(c, 3, 2, 0);
	ex(c, 1, 2, 0);  /* 2 of 8: short, breaks the link */
	ex(c, 2, -ECANCELED, 0);
	run(c);
}

/*
 * Cancel a pending head: cancel.c io_async_cancel posts its own CQE at
 * issue; the read is cancelled through task work (io_poll_cancel ->
 * io_req_task_queue_fail) and io_fail_links cancels the rest.
 */
static void link_cancel_head(struct cx *c)
{
	int p[2];

	mkpipe(c, p);
	pend(c, 1, LINK, p[0]);
	nop(c, 2, LINK);
	nop(c, 3, 0);
	run(c);
	cnl(c, 4, 0, 1, 0, 0);
	ex(c, 4, 0, 0);
	ex(c, 1, -ECANCELED, 0);
	ex(c, 2, -ECANCELED, 0);
	ex(c, 3, -ECANCELED, 0);
	run(c);
}

/*
 * Two chains in one submit are independent (link.c test_double_link).
 * The failed chain's rest is cancelled from task work (io_fail_links via
 * io_req_task_queue) while the second chain completes at issue: on 6.18
 * the kernel posts 1, 3, 2, 4; only each chain's own order is promised.
 */
static void link_two_chains(struct cx *c)
{
	bad(c, 1, LINK);
	nop(c, 2, 0);
	nop(c, 3, LINK);
	nop(c, 4, 0);
	ex_group(c);
	ex_in(c, 1, 1, -EBADF, 0);
	ex_in(c, 1, 2, -ECANCELED, 0);
	ex_in(c, 2, 3, 0, 0);
	ex_in(c, 2, 4, 0, 0);
	run(c);
}

/*
 * A link flag on the last SQE of a submit: the chain ends with the batch.
 * Kernel: io_uring.c io_submit_state_end (an open chain is queued as it is).
 */
static void link_open_at_batch_end(struct cx *c)
{
	nop(c, 1, LINK);
	nop(c, 2, LINK);
	ex(c, 1, 0, 0);
	ex(c, 2, 0, 0);
	run(c);
	nop(c, 3, 0);
	ex(c, 3, 0, 0);
	run(c);
}

/* ================================================================ hard links */

/* liburing test/hardlink.c: a failure does not break a hard link. */
static void hardlink_fail_goes_on(struct cx *c)
{
	bad(c, 1, HARD);
	nop(c, 2, 0);
	ex(c, 1, -EBADF, 0);
	ex(c, 2, 0, 0);
	run(c);
}

/* test/hardlink.c: a timeout that expires in a hard link, the next still runs. */
static void hardlink_timeout(struct cx *c)
{
	tmo(c, 1, HARD, ms(c, 2), 0, 0);
	nop(c, 2, 0);
	ex(c, 1, -ETIME, 0);
	ex(c, 2, 0, 0);
	run(c);
}

/*
 * A hard link then a soft one: the soft member's failure cancels the rest.
 * Kernel: io_uring.c io_disarm_next (REQ_F_HARDLINK: no io_fail_links); liburing
 *   test/hardlink.c.
 */
static void hardlink_then_link_fail(struct cx *c)
{
	nop(c, 1, HARD);
	bad(c, 2, LINK);
	nop(c, 3, 0);
	ex(c, 1, 0, 0);
	ex(c, 2, -EBADF, 0);
	ex(c, 3, -ECANCELED, 0);
	run(c);
}

/*
 * A short read in a hard link does not break it.
 * Kernel: io_uring.c io_disarm_next (REQ_F_HARDLINK: no io_fail_links); liburing
 *   test/hardlink.c.
 */
static void hardlink_short_read(struct cx *c)
{
	int fd = mkfile(c, "abc", 3);

	rd(c, 1, HARD, fd, cbuf(c), 8, 0);
	nop(c, 2, 0);
	ex(c, 1, 3, 0);
	ex(c, 2, 0, 0);
	run(c);
}

/*
 * Every member of a hard chain fails, every next one still runs.
 * Kernel: io_uring.c io_disarm_next (REQ_F_HARDLINK: no io_fail_links); liburing
 *   test/hardlink.c.
 */
static void hardlink_all_fail(struct cx *c)
{
	bad(c, 1, HARD);
	closeop(c, 2, HARD, 999);
	bad(c, 3, 0);
	ex(c, 1, -EBADF, 0);
	ex(c, 2, -EBADF, 0);
	ex(c, 3, -EBADF, 0);
	run(c);
}

/* ================================================================ drain */

/*
 * io_uring.c io_drain_req/io_queue_deferred: a drained request waits for
 * every request before it; requests after it wait for it (liburing
 * test/defer.c, test/link_drain.c). Since 6.16 the wait is on every
 * request allocated (ctx->nr_req_allocated != ctx->nr_drained), and once
 * a drain is active every later SQE is deferred too (io_init_req sets
 * REQ_F_FORCE_ASYNC): so what the drain waits for must end by itself (a
 * timeout); a write submitted to end a pending read would itself wait.
 */
static void drain_waits_for_pending(struct cx *c)
{
	tmo(c, 1, 0, ms(c, 2), 0, 0);
	nop(c, 2, DRAIN);
	nop(c, 3, 0);
	ex(c, 1, -ETIME, 0);
	ex(c, 2, 0, 0);
	ex(c, 3, 0, 0);
	run(c);
}

/*
 * Submitted later, behind an active drain: waits too (io_drain_req for every SQE while
 * drain_active).
 */
static void drain_later_submit_waits(struct cx *c)
{
	tmo(c, 1, 0, ms(c, 5), 0, 0);
	nop(c, 2, DRAIN);
	run(c);
	nop(c, 3, 0);
	ex(c, 1, -ETIME, 0);
	ex(c, 2, 0, 0);
	ex(c, 3, 0, 0);
	run(c);
}

/*
 * A drain waits for requests submitted before it that are still pending,
 * even one that could complete only after it: a read of a pipe whose
 * writer is deferred behind the drain never completes (the kernel's
 * deadlock, faithfully): the write, the drained nop and the read all wait.
 * A cancel issued later is deferred as well; only the ring's end frees them.
 * Kernel: io_uring.c io_drain_req, io_queue_deferred; liburing test/defer.c, test/link_drain.c.
 */
static void drain_blocks_later_writer(struct cx *c)
{
	int p[2];

	mkpipe(c, p);
	pend(c, 1, 0, p[0]);
	nop(c, 2, DRAIN);
	wr(c, 3, 0, p[1], "ab", 2, 0);
	run(c);
}

/*
 * Nothing pending before it: a drained nop runs at once.
 * Kernel: io_uring.c io_drain_req, io_queue_deferred; liburing test/defer.c, test/link_drain.c.
 */
static void drain_nothing_before(struct cx *c)
{
	nop(c, 1, DRAIN);
	nop(c, 2, 0);
	ex(c, 1, 0, 0);
	ex(c, 2, 0, 0);
	run(c);
}

/*
 * A drained request waits for a timeout before it.
 * Kernel: io_uring.c io_drain_req, io_queue_deferred; liburing test/defer.c, test/link_drain.c.
 */
static void drain_after_timeout(struct cx *c)
{
	tmo(c, 1, 0, ms(c, 2), 0, 0);
	nop(c, 2, DRAIN);
	ex(c, 1, -ETIME, 0);
	ex(c, 2, 0, 0);
	run(c);
}

/* test/link_drain.c: a drained chain waits for what is before it, and after. */
static void drain_chain(struct cx *c)
{
	tmo(c, 1, 0, ms(c, 2), 0, 0);
	nop(c, 2, DRAIN | LINK);
	nop(c, 3, 0);
	nop(c, 4, 0);
	ex(c, 1, -ETIME, 0);
	ex(c, 2, 0, 0);
	ex(c, 3, 0, 0);
	ex(c, 4, 0, 0);
	run(c);
}

/*
 * Two drains in a row: each waits for the one before.
 * Kernel: io_uring.c io_drain_req, io_queue_deferred; liburing test/defer.c, test/link_drain.c.
 */
static void drain_two(struct cx *c)
{
	tmo(c, 1, 0, ms(c, 2), 0, 0);
	nop(c, 2, DRAIN);
	tmo(c, 3, 0, ms(c, 2), 0, 0);
	nop(c, 4, DRAIN);
	nop(c, 5, 0);
	ex(c, 1, -ETIME, 0);
	ex(c, 2, 0, 0);
	ex(c, 3, -ETIME, 0);
	ex(c, 4, 0, 0);
	ex(c, 5, 0, 0);
	run(c);
}

/*
 * An invalid member is not held behind a drain: io_submit_fail_init fails
 * it (and its chain) at once through io_queue_sqe_fallback ->
 * io_req_defer_failed, never io_drain_req.
 */
static void drain_invalid_not_held(struct cx *c)
{
	int p[2];

	mkpipe(c, p);
	pend(c, 1, 0, p[0]);
	nop(c, 2, DRAIN | C_SQE_UNKNOWN_FLAG);
	ex(c, 2, -EINVAL, 0);
	run(c);
	wr(c, 3, 0, p[1], "abcdefgh", 8, 0);
	ex(c, 3, 8, 0);
	ex(c, 1, 8, 0);
	run(c);
}

/*
 * The same for a drained chain with an invalid member: it fails at
 * submit, before the 50 ms timeout it would otherwise wait for.
 * Kernel: io_uring.c io_drain_req, io_queue_deferred; liburing test/defer.c, test/link_drain.c.
 */
static void drain_invalid_chain_not_held(struct cx *c)
{
	tmo(c, 1, 0, ms(c, 50), 0, 0);
	nop(c, 2, DRAIN | LINK);
	nop(c, 3, LINK | C_SQE_UNKNOWN_FLAG);
	nop(c, 4, 0);
	ex(c, 2, -ECANCELED, 0);
	ex(c, 3, -EINVAL, 0);
	ex(c, 4, -ECANCELED, 0);
	ex(c, 1, -ETIME, 0);
	run(c);
}

/* ================================================================ SQ order */

/*
 * io_submit_sqes issues each SQE inline in SQ order: a read that
 * completes at issue is gone before the cancel behind it is issued.
 */
static void order_cancel_after_inline_read(struct cx *c)
{
	int p[2];

	mkpipe(c, p);
	wr(c, 1, 0, p[1], "abc", 3, 0);
	ex(c, 1, 3, 0);
	run(c);
	rd(c, 2, 0, p[0], cbuf(c), 3, 0);
	cnl(c, 3, 0, 2, 0, 0);
	ex(c, 2, 3, 0);
	ex(c, 3, -ENOENT, 0);
	run(c);
}

/*
 * A nop before the cancel completed at its issue: -ENOENT.
 * Kernel: io_uring.c io_submit_sqes (inline issue in SQ order); cancel.c io_try_cancel.
 */
static void order_cancel_after_nop(struct cx *c)
{
	nop(c, 1, 0);
	cnl(c, 2, 0, 1, 0, 0);
	ex(c, 1, 0, 0);
	ex(c, 2, -ENOENT, 0);
	run(c);
}

/*
 * A cancel before its target finds nothing yet.
 * Kernel: io_uring.c io_submit_sqes (inline issue in SQ order); cancel.c io_try_cancel.
 */
static void order_cancel_before_target(struct cx *c)
{
	int p[2];

	mkpipe(c, p);
	cnl(c, 1, 0, 2, 0, 0);
	pend(c, 2, 0, p[0]);
	ex(c, 1, -ENOENT, 0);
	run(c);
	wr(c, 3, 0, p[1], "ab", 2, 0);
	ex(c, 3, 2, 0);
	ex(c, 2, 2, 0);
	run(c);
}

/*
 * A pending read before the cancel in the same submit is found.
 * Kernel: io_uring.c io_submit_sqes (inline issue in SQ order); cancel.c io_try_cancel.
 */
static void order_cancel_pending_same_submit(struct cx *c)
{
	int p[2];

	mkpipe(c, p);
	pend(c, 1, 0, p[0]);
	cnl(c, 2, 0, 1, 0, 0);
	ex(c, 2, 0, 0);
	ex(c, 1, -ECANCELED, 0);
	run(c);
}

/*
 * A write then a read in one submit: the read sees the data at issue.
 * Kernel: io_uring.c io_submit_sqes (inline issue in SQ order); cancel.c io_try_cancel.
 */
static void order_write_then_read(struct cx *c)
{
	int p[2];

	mkpipe(c, p);
	wr(c, 1, 0, p[1], "hello", 5, 0);
	rd(c, 2, 0, p[0], cbuf(c), 5, 0);
	ex(c, 1, 5, 0);
	ex(c, 2, 5, 0);
	run(c);
}

/* ================================================================ validation */

/* io_init_req: an unknown IOSQE_* bit -> -EINVAL. */
static void val_unknown_sqe_flag(struct cx *c)
{
	nop(c, 1, C_SQE_UNKNOWN_FLAG);
	ex(c, 1, -EINVAL, 0);
	run(c);
}

/* io_init_req: opcode >= IORING_OP_LAST -> -EINVAL. */
static void val_unknown_opcode(struct cx *c)
{
	sqe(c, 250, 1, 0);
	ex(c, 1, -EINVAL, 0);
	run(c);
}

/* io_init_req: ioprio on an op without def->ioprio -> -EINVAL. */
static void val_ioprio_nop(struct cx *c)
{
	nop(c, 1, 0)->ioprio = 1;
	ex(c, 1, -EINVAL, 0);
	run(c);
}

/* rw.c io_prep_rw -> ioprio_check_cap: an invalid class -> -EINVAL. */
static void val_ioprio_read_bad_class(struct cx *c)
{
	int fd = mkfile(c, "abc", 3);

	rd(c, 1, 0, fd, cbuf(c), 3, 0)->ioprio = (uint16_t)(7u << 13);
	ex(c, 1, -EINVAL, 0);
	run(c);
}

/* A middle member invalid: io_submit_fail_init fails the whole chain at once. */
static void val_invalid_mid_chain(struct cx *c)
{
	nop(c, 1, LINK);
	nop(c, 2, LINK | C_SQE_UNKNOWN_FLAG);
	nop(c, 3, 0);
	ex(c, 1, -ECANCELED, 0);
	ex(c, 2, -EINVAL, 0);
	ex(c, 3, -ECANCELED, 0);
	run(c);
}

/*
 * The invalid member is last: the head is cancelled, nothing ran.
 * Kernel: io_uring.c io_init_req, io_submit_fail_init, io_queue_sqe_fallback.
 */
static void val_invalid_last_of_chain(struct cx *c)
{
	nop(c, 1, LINK);
	nop(c, 2, LINK);
	sqe(c, 250, 3, 0);
	ex(c, 1, -ECANCELED, 0);
	ex(c, 2, -ECANCELED, 0);
	ex(c, 3, -EINVAL, 0);
	run(c);
}

/* Even a hard link fails as a whole at submit (io_queue_sqe_fallback). */
static void val_invalid_in_hardlink(struct cx *c)
{
	nop(c, 1, HARD);
	nop(c, 2, HARD)->ioprio = 1;
	nop(c, 3, 0);
	ex(c, 1, -ECANCELED, 0);
	ex(c, 2, -EINVAL, 0);
	ex(c, 3, -ECANCELED, 0);
	run(c);
}

/*
 * A chain that fails at submit, whose skipping head has a linked timeout:
 * the head posts -ECANCELED (req_set_fail clears its skip), the timeout is
 * disarmed by io_disarm_next and posts -ECANCELED (no fail, no skip flag
 * of its own); the rest is failed quietly (REQ_F_SKIP_LINK_CQES), even
 * the invalid member (io_fail_links). Found by the differential.
 */
static void val_invalid_chain_head_ltimeout(struct cx *c)
{
	nop(c, 1, LINK | SKIP);
	ltmo(c, 2, LINK, ts(c, 10, 0), 0);
	nop(c, 3, LINK | C_SQE_UNKNOWN_FLAG);
	nop(c, 4, 0);
	ex(c, 1, -ECANCELED, 0);
	ex_set(c, 2, -ECANCELED, 0);
	run(c);
}

/*
 * The same head without the skip: every member posts.
 * Kernel: io_uring.c io_init_req, io_submit_fail_init, io_queue_sqe_fallback.
 */
static void val_invalid_chain_head_ltimeout_noskip(struct cx *c)
{
	nop(c, 1, LINK);
	ltmo(c, 2, LINK, ts(c, 10, 0), 0);
	nop(c, 3, LINK | C_SQE_UNKNOWN_FLAG);
	nop(c, 4, 0);
	ex(c, 1, -ECANCELED, 0);
	ex_set(c, 2, -ECANCELED, 0);
	ex(c, 3, -EINVAL, 0);
	ex(c, 4, -ECANCELED, 0);
	run(c);
}

/* rw.c io_prep_rwv: a NULL iovec array -> -EFAULT at prep, the chain fails. */
static void val_null_iovec(struct cx *c)
{
	int fd = mkfile(c, "abc", 3);

	nop(c, 1, LINK);
	rdv(c, 2, LINK, fd, NULL, 1, 0);
	nop(c, 3, 0);
	ex(c, 1, -ECANCELED, 0);
	ex(c, 2, -EFAULT, 0);
	ex(c, 3, -ECANCELED, 0);
	run(c);
}

/* timeout.c __io_timeout_prep: len != 1 -> -EINVAL. */
static void val_timeout_len(struct cx *c)
{
	tmo(c, 1, 0, ms(c, 10), 0, 0)->len = 2;
	ex(c, 1, -EINVAL, 0);
	run(c);
}

/* timeout.c __io_timeout_prep: splice_fd_in/buf_index reserved -> -EINVAL. */
static void val_timeout_reserved(struct cx *c)
{
	tmo(c, 1, 0, ms(c, 10), 0, 0)->splice_fd_in = 1;
	tmo(c, 2, 0, ms(c, 10), 0, 0)->buf_index = 1;
	ex(c, 1, -EINVAL, 0);
	ex(c, 2, -EINVAL, 0);
	run(c);
}

/* cancel.c io_async_cancel_prep: off or splice_fd_in set -> -EINVAL. */
static void val_cancel_reserved(struct cx *c)
{
	cnl(c, 1, 0, 99, 0, 0)->off = 1;
	cnl(c, 2, 0, 99, 0, 0)->splice_fd_in = 1;
	ex(c, 1, -EINVAL, 0);
	ex(c, 2, -EINVAL, 0);
	run(c);
}

/* cancel.c io_async_cancel_prep: an unknown cancel flag -> -EINVAL. */
static void val_cancel_unknown_flag(struct cx *c)
{
	cnl(c, 1, 0, 99, 1u << 12, 0);
	ex(c, 1, -EINVAL, 0);
	run(c);
}

/* poll.c io_poll_add_prep: addr/off reserved, flags other than ADD_MULTI -> -EINVAL. */
static void val_poll_add_reserved(struct cx *c)
{
	int p[2];

	mkpipe(c, p);
	padd(c, 1, 0, p[0], POLLIN, 0)->addr = 1;
	padd(c, 2, 0, p[0], POLLIN, 0)->off = 1;
	padd(c, 3, 0, p[0], POLLIN, 1u << 5);
	ex(c, 1, -EINVAL, 0);
	ex(c, 2, -EINVAL, 0);
	ex(c, 3, -EINVAL, 0);
	run(c);
}

/* timeout.c io_timeout_remove_prep: len reserved -> -EINVAL. */
static void val_timeout_remove_reserved(struct cx *c)
{
	trm(c, 1, 0, 99, 0)->len = 1;
	ex(c, 1, -EINVAL, 0);
	run(c);
}

/* ================================================================ CQE skip */

/* test/skip-cqe.c test_link_success: a skipped success posts nothing. */
static void skip_success(struct cx *c)
{
	nop(c, 1, SKIP);
	nop(c, 2, 0);
	ex(c, 2, 0, 0);
	run(c);
}

/*
 * A failure is posted despite the skip flag (io_req_complete_post: REQ_F_CQE_SKIP cleared by
 * req_set_fail).
 */
static void skip_failure_posted(struct cx *c)
{
	bad(c, 1, SKIP);
	ex(c, 1, -EBADF, 0);
	run(c);
}

/* test/skip-cqe.c test_link_success: only the last member of a skipped chain posts. */
static void skip_chain_success(struct cx *c)
{
	nop(c, 1, LINK | SKIP);
	nop(c, 2, LINK | SKIP);
	nop(c, 3, 0);
	ex(c, 3, 0, 0);
	run(c);
}

/*
 * test/skip-cqe.c test_link_fail: a skipping member fails -> req_set_fail
 * turns its skip into REQ_F_SKIP_LINK_CQES, and io_fail_links posts
 * nothing for the cancelled rest, not even the last member's.
 */
static void skip_chain_fail(struct cx *c)
{
	nop(c, 1, LINK | SKIP);
	bad(c, 2, LINK | SKIP);
	nop(c, 3, LINK | SKIP);
	nop(c, 4, 0);
	ex(c, 2, -EBADF, 0);
	run(c);
}

/*
 * The failing member does not skip: the cancelled members post -ECANCELED even with the skip
 * flag (io_fail_links clears it).
 */
static void skip_chain_fail_noskip(struct cx *c)
{
	nop(c, 1, LINK | SKIP);
	bad(c, 2, LINK);
	nop(c, 3, LINK | SKIP);
	nop(c, 4, SKIP);
	ex(c, 2, -EBADF, 0);
	ex(c, 3, -ECANCELED, 0);
	ex(c, 4, -ECANCELED, 0);
	run(c);
}

/* test/skip-cqe.c test_hardlink: hard chain with skips, a failure in the middle. */
static void skip_hardlink_fail(struct cx *c)
{
	nop(c, 1, HARD | SKIP);
	bad(c, 2, HARD | SKIP);
	nop(c, 3, HARD | SKIP);
	nop(c, 4, 0);
	ex(c, 2, -EBADF, 0);
	ex(c, 4, 0, 0);
	run(c);
}

/*
 * Once a ring saw IOSQE_CQE_SKIP_SUCCESS, drain is refused: io_init_req
 * sets ctx->drain_disabled and fails any later IOSQE_IO_DRAIN with
 * -EOPNOTSUPP (a failure: posted).
 */
static void skip_then_drain(struct cx *c)
{
	nop(c, 1, SKIP);
	nop(c, 2, SKIP);
	nop(c, 3, DRAIN);
	nop(c, 4, 0);
	ex(c, 3, -EOPNOTSUPP, 0);
	ex(c, 4, 0, 0);
	run(c);
}

/*
 * The same in a later submit.
 * Kernel: io_uring.c io_init_req (drain_disabled), req_set_fail (REQ_F_SKIP_LINK_CQES);
 *   liburing test/skip-cqe.c.
 */
static void skip_then_drain_later(struct cx *c)
{
	nop(c, 1, SKIP);
	run(c);
	nop(c, 2, DRAIN);
	ex(c, 2, -EOPNOTSUPP, 0);
	run(c);
}

/*
 * Both flags on one SQE: drain_disabled is set first, the SQE gets -EOPNOTSUPP.
 * Kernel: io_uring.c io_init_req (drain_disabled), req_set_fail (REQ_F_SKIP_LINK_CQES);
 *   liburing test/skip-cqe.c.
 */
static void skip_drained(struct cx *c)
{
	tmo(c, 1, 0, ms(c, 50), 0, 0);
	nop(c, 2, DRAIN | SKIP);
	nop(c, 3, 0);
	ex(c, 2, -EOPNOTSUPP, 0);
	ex(c, 3, 0, 0);
	ex(c, 1, -ETIME, 0);
	run(c);
}

/* ================================================================ linked timeouts */

/*
 * test/link-timeout.c: the linked timeout fires, the read is cancelled.
 * timeout.c io_link_timeout_fn -> io_req_task_link_timeout: the timeout
 * posts -ETIME, io_try_cancel cancels the read (-ECANCELED); the two
 * come from separate task works, order not promised (the test accepts any).
 */
static void ltimeout_fires(struct cx *c)
{
	int p[2];

	mkpipe(c, p);
	pend(c, 1, LINK, p[0]);
	ltmo(c, 2, 0, ms(c, 2), 0);
	ex(c, 1, -ECANCELED, 0);
	ex_set(c, 2, -ETIME, 0);
	run(c);
}

/* The op completes first: timeout.c io_disarm_next -> the timeout gets -ECANCELED after it. */
static void ltimeout_disarmed(struct cx *c)
{
	nop(c, 1, LINK);
	ltmo(c, 2, 0, ts(c, 10, 0), 0);
	ex(c, 1, 0, 0);
	ex(c, 2, -ECANCELED, 0);
	run(c);
}

/*
 * A linked timeout on the middle of a chain fires: the rest is cancelled.
 * Kernel: timeout.c __io_timeout_prep, io_link_timeout_fn, io_linked_timeout_update;
 *   io_uring.c io_disarm_next; liburing test/link-timeout.c.
 */
static void ltimeout_mid_chain_fires(struct cx *c)
{
	int p[2];

	mkpipe(c, p);
	nop(c, 1, LINK);
	pend(c, 2, LINK, p[0]);
	ltmo(c, 3, LINK, ms(c, 2), 0);
	nop(c, 4, 0);
	ex(c, 1, 0, 0);
	/* the chain's rest in order; the timeout's own CQE anywhere among it */
	ex_group(c);
	ex_in(c, 1, 2, -ECANCELED, 0);
	ex_in(c, 1, 4, -ECANCELED, 0);
	ex_in(c, 0, 3, -ETIME, 0);
	run(c);
}

/* test/link-timeout.c test_single_link_no_timeout: disarmed, the chain goes on. */
static void ltimeout_disarmed_chain_goes_on(struct cx *c)
{
	nop(c, 1, LINK);
	ltmo(c, 2, LINK, ts(c, 10, 0), 0);
	nop(c, 3, 0);
	ex(c, 1, 0, 0);
	ex(c, 2, -ECANCELED, 0);
	ex(c, 3, 0, 0);
	run(c);
}

/* timeout.c __io_timeout_prep: a linked timeout with no link head -> -EINVAL. */
static void ltimeout_alone(struct cx *c)
{
	ltmo(c, 1, 0, ms(c, 2), 0);
	ex(c, 1, -EINVAL, 0);
	run(c);
}

/*
 * Two linked timeouts in a row: the second is invalid, the chain fails at submit.
 * Kernel: timeout.c __io_timeout_prep, io_link_timeout_fn, io_linked_timeout_update;
 *   io_uring.c io_disarm_next; liburing test/link-timeout.c.
 */
static void ltimeout_after_ltimeout(struct cx *c)
{
	int p[2];

	mkpipe(c, p);
	pend(c, 1, LINK, p[0]);
	ltmo(c, 2, LINK, ms(c, 2), 0);
	ltmo(c, 3, 0, ms(c, 2), 0);
	ex(c, 1, -ECANCELED, 0);
	ex(c, 2, -ECANCELED, 0);
	ex(c, 3, -EINVAL, 0);
	run(c);
}

/*
 * The op fails: the linked timeout is cancelled after it.
 * Kernel: timeout.c __io_timeout_prep, io_link_timeout_fn, io_linked_timeout_update;
 *   io_uring.c io_disarm_next; liburing test/link-timeout.c.
 */
static void ltimeout_op_fails(struct cx *c)
{
	bad(c, 1, LINK);
	ltmo(c, 2, 0, ts(c, 10, 0), 0);
	ex(c, 1, -EBADF, 0);
	ex(c, 2, -ECANCELED, 0);
	run(c);
}

/* test/skip-cqe.c test_ltimeout_fire: a skipping linked timeout that fired posts nothing. */
static void ltimeout_skip_fired(struct cx *c)
{
	int p[2];

	mkpipe(c, p);
	pend(c, 1, LINK, p[0]);
	ltmo(c, 2, SKIP, ms(c, 2), 0);
	ex(c, 1, -ECANCELED, 0);
	run(c);
}

/*
 * test/skip-cqe.c test_ltimeout_cancel: a skipping linked timeout that was disarmed posts
 * nothing.
 */
static void ltimeout_skip_disarmed(struct cx *c)
{
	nop(c, 1, LINK);
	ltmo(c, 2, SKIP, ts(c, 10, 0), 0);
	ex(c, 1, 0, 0);
	run(c);
}

/* test/skip-cqe.c test_ltimeout_cancel: whole chain skipping with a linked timeout. */
static void ltimeout_skip_chain(struct cx *c)
{
	nop(c, 1, LINK | SKIP);
	ltmo(c, 2, LINK | SKIP, ts(c, 10, 0), 0);
	nop(c, 3, LINK | SKIP);
	nop(c, 4, 0);
	ex(c, 4, 0, 0);
	run(c);
}

/* timeout.c io_linked_timeout_update: LINK_TIMEOUT_UPDATE shortens it, it fires. */
static void ltimeout_update(struct cx *c)
{
	int p[2];

	mkpipe(c, p);
	pend(c, 1, LINK, p[0]);
	ltmo(c, 2, 0, ts(c, 10, 0), 0);
	run(c);
	tupd(c, 3, 0, 2, ms(c, 2), IORING_TIMEOUT_UPDATE | IORING_LINK_TIMEOUT_UPDATE);
	ex(c, 3, 0, 0);
	ex(c, 1, -ECANCELED, 0);
	ex_set(c, 2, -ETIME, 0);
	run(c);
}

/* io_linked_timeout_update of nothing -> -ENOENT. */
static void ltimeout_update_missing(struct cx *c)
{
	tupd(c, 1, 0, 77, ms(c, 2), IORING_LINK_TIMEOUT_UPDATE);
	ex(c, 1, -ENOENT, 0);
	run(c);
}

/*
 * A plain TIMEOUT_REMOVE looks at ctx->timeout_list only: a linked timeout is not found.
 * Kernel: timeout.c __io_timeout_prep, io_link_timeout_fn, io_linked_timeout_update;
 *   io_uring.c io_disarm_next; liburing test/link-timeout.c.
 */
static void ltimeout_not_removable(struct cx *c)
{
	int p[2];

	mkpipe(c, p);
	pend(c, 1, LINK, p[0]);
	ltmo(c, 2, 0, ts(c, 10, 0), 0);
	trm(c, 3, 0, 2, 0);
	ex(c, 3, -ENOENT, 0);
	run(c);
}

/* ================================================================ count timeouts */

/*
 * timeout.c io_timeout: a count timeout's target is off CQEs after the
 * CQ tail at its issue (ctx->cached_cq_tail - ctx->cq_timeouts);
 * io_flush_timeouts (from __io_commit_cqring_flush) completes it with 0
 * through task work, after the CQE that met the count
 * (liburing test/timeout.c test_single_timeout_many / _nr).
 */
static void tcount_one(struct cx *c)
{
	tmo(c, 1, 0, ts(c, 10, 0), 1, 0);
	nop(c, 2, 0);
	ex(c, 2, 0, 0);
	ex(c, 1, 0, 0);
	run(c);
}

/*
 * Kernel: timeout.c io_timeout (target_seq), io_flush_timeouts, io_kill_timeout; liburing
 * test/timeout.c.
 */
static void tcount_two(struct cx *c)
{
	tmo(c, 1, 0, ts(c, 10, 0), 2, 0);
	nop(c, 2, 0);
	ex(c, 2, 0, 0);
	run(c);
	nop(c, 3, 0);
	ex(c, 3, 0, 0);
	ex(c, 1, 0, 0);
	run(c);
}

/*
 * A nop issued before the timeout in the same submit: its CQE sits in the
 * submit's completion batch, not yet in cached_cq_tail when the timeout
 * takes its target, so it counts (io_submit_flush_completions posts it
 * after io_timeout ran).
 */
static void tcount_inline_before(struct cx *c)
{
	nop(c, 1, 0);
	tmo(c, 2, 0, ts(c, 10, 0), 1, 0);
	ex(c, 1, 0, 0);
	ex(c, 2, 0, 0);
	run(c);
}

/*
 * Two nops before a count-2 timeout in the batch: both count.
 * Kernel: timeout.c io_timeout (target_seq), io_flush_timeouts, io_kill_timeout; liburing
 *   test/timeout.c.
 */
static void tcount_inline_before_two(struct cx *c)
{
	nop(c, 1, 0);
	nop(c, 2, 0);
	tmo(c, 3, 0, ts(c, 10, 0), 2, 0);
	ex(c, 1, 0, 0);
	ex(c, 2, 0, 0);
	ex(c, 3, 0, 0);
	run(c);
}

/*
 * The nop is in an earlier submit: its CQE is in the tail already and does not count.
 * Kernel: timeout.c io_timeout (target_seq), io_flush_timeouts, io_kill_timeout; liburing
 *   test/timeout.c.
 */
static void tcount_earlier_submit(struct cx *c)
{
	nop(c, 1, 0);
	ex(c, 1, 0, 0);
	run(c);
	tmo(c, 2, 0, ts(c, 10, 0), 1, 0);
	run(c);
	nop(c, 3, 0);
	ex(c, 3, 0, 0);
	ex(c, 2, 0, 0);
	run(c);
}

/*
 * A failed request's CQE counts too.
 * Kernel: timeout.c io_timeout (target_seq), io_flush_timeouts, io_kill_timeout; liburing
 *   test/timeout.c.
 */
static void tcount_failure_counts(struct cx *c)
{
	tmo(c, 1, 0, ts(c, 10, 0), 1, 0);
	bad(c, 2, 0);
	ex(c, 2, -EBADF, 0);
	ex(c, 1, 0, 0);
	run(c);
}

/*
 * A fired timeout's CQE does not count (ctx->cq_timeouts is subtracted).
 * Kernel: timeout.c io_timeout (target_seq), io_flush_timeouts, io_kill_timeout; liburing
 *   test/timeout.c.
 */
static void tcount_timeout_cqe_not_counted(struct cx *c)
{
	tmo(c, 1, 0, ms(c, 2), 0, 0);
	tmo(c, 2, 0, ts(c, 10, 0), 1, 0);
	ex(c, 1, -ETIME, 0);
	run(c);
	nop(c, 3, 0);
	ex(c, 3, 0, 0);
	ex(c, 2, 0, 0);
	run(c);
}

/*
 * A skipped CQE is never posted, so it does not count.
 * Kernel: timeout.c io_timeout (target_seq), io_flush_timeouts, io_kill_timeout; liburing
 *   test/timeout.c.
 */
static void tcount_skipped_not_counted(struct cx *c)
{
	tmo(c, 1, 0, ts(c, 10, 0), 1, 0);
	nop(c, 2, SKIP);
	run(c);
	nop(c, 3, 0);
	ex(c, 3, 0, 0);
	ex(c, 1, 0, 0);
	run(c);
}

/* The count is not met in time: -ETIME (test/timeout.c test_single_timeout_nr). */
static void tcount_expires(struct cx *c)
{
	tmo(c, 1, 0, ms(c, 2), 5, 0);
	nop(c, 2, 0);
	ex(c, 2, 0, 0);
	ex(c, 1, -ETIME, 0);
	run(c);
}

/*
 * count 0: a pure timer, no CQE completes it.
 * Kernel: timeout.c io_timeout (target_seq), io_flush_timeouts, io_kill_timeout; liburing
 *   test/timeout.c.
 */
static void tcount_zero(struct cx *c)
{
	tmo(c, 1, 0, ms(c, 2), 0, 0);
	nop(c, 2, 0);
	nop(c, 3, 0);
	ex(c, 2, 0, 0);
	ex(c, 3, 0, 0);
	ex(c, 1, -ETIME, 0);
	run(c);
}

/*
 * Two count timeouts with the same target: both complete after the CQE.
 * Kernel: timeout.c io_timeout (target_seq), io_flush_timeouts, io_kill_timeout; liburing
 *   test/timeout.c.
 */
static void tcount_two_same_target(struct cx *c)
{
	tmo(c, 1, 0, ts(c, 10, 0), 1, 0);
	tmo(c, 2, 0, ts(c, 10, 0), 1, 0);
	nop(c, 3, 0);
	ex(c, 3, 0, 0);
	ex(c, 1, 0, 0);
	ex_set(c, 2, 0, 0);
	run(c);
}

/* ================================================================ timeouts, remove, update */

/* timeout.c io_timeout_remove -> io_timeout_cancel: -ENOENT when not found. */
static void trm_missing(struct cx *c)
{
	trm(c, 1, 0, 99, 0);
	ex(c, 1, -ENOENT, 0);
	run(c);
}

/*
 * Removed: the remove posts 0 at issue, the timeout -ECANCELED from task work after it.
 * Kernel: timeout.c io_timeout_remove_prep, io_timeout_remove, io_timeout_cancel; liburing
 *   test/timeout.c.
 */
static void trm_pending(struct cx *c)
{
	tmo(c, 1, 0, ts(c, 10, 0), 0, 0);
	trm(c, 2, 0, 1, 0);
	ex(c, 2, 0, 0);
	ex(c, 1, -ECANCELED, 0);
	run(c);
}

/*
 * Already fired: -ENOENT.
 * Kernel: timeout.c io_timeout_remove_prep, io_timeout_remove, io_timeout_cancel; liburing
 *   test/timeout.c.
 */
static void trm_fired(struct cx *c)
{
	tmo(c, 1, 0, ms(c, 2), 0, 0);
	ex(c, 1, -ETIME, 0);
	run(c);
	trm(c, 2, 0, 1, 0);
	ex(c, 2, -ENOENT, 0);
	run(c);
}

/* io_timeout_remove_prep: a plain remove takes no flags (ABS alone) -> -EINVAL. */
static void trm_abs_flag(struct cx *c)
{
	tmo(c, 1, 0, ts(c, 10, 0), 0, 0);
	trm(c, 2, 0, 1, IORING_TIMEOUT_ABS);
	trm(c, 3, 0, 1, IORING_TIMEOUT_ETIME_SUCCESS);
	trm(c, 4, 0, 1, 0);
	ex(c, 2, -EINVAL, 0);
	ex(c, 3, -EINVAL, 0);
	ex(c, 4, 0, 0);
	ex(c, 1, -ECANCELED, 0);
	run(c);
}

/* io_timeout_update: a new, shorter time; the timeout fires. */
static void tupd_pending(struct cx *c)
{
	tmo(c, 1, 0, ts(c, 10, 0), 0, 0);
	tupd(c, 2, 0, 1, ms(c, 2), IORING_TIMEOUT_UPDATE);
	ex(c, 2, 0, 0);
	ex(c, 1, -ETIME, 0);
	run(c);
}

/* Kernel: timeout.c io_timeout_remove_prep, io_timeout_update; liburing test/timeout.c. */
static void tupd_missing(struct cx *c)
{
	tupd(c, 1, 0, 99, ms(c, 2), IORING_TIMEOUT_UPDATE);
	ex(c, 1, -ENOENT, 0);
	run(c);
}

/* io_timeout_remove_prep: two clocks -> -EINVAL. */
static void tupd_two_clocks(struct cx *c)
{
	tupd(c, 1, 0, 99, ms(c, 2),
	     IORING_TIMEOUT_UPDATE | IORING_TIMEOUT_BOOTTIME | IORING_TIMEOUT_REALTIME);
	ex(c, 1, -EINVAL, 0);
	run(c);
}

/* io_timeout_remove_prep: flags beyond UPDATE_MASK|ABS (a clock, ETIME_SUCCESS) -> -EINVAL. */
static void tupd_bad_flags(struct cx *c)
{
	tupd(c, 1, 0, 99, ms(c, 2), IORING_TIMEOUT_UPDATE | IORING_TIMEOUT_BOOTTIME);
	tupd(c, 2, 0, 99, ms(c, 2), IORING_TIMEOUT_UPDATE | IORING_TIMEOUT_ETIME_SUCCESS);
	tupd(c, 3, 0, 99, ms(c, 2), IORING_TIMEOUT_UPDATE | ARING_TIMEOUT_MULTISHOT);
	ex(c, 1, -EINVAL, 0);
	ex(c, 2, -EINVAL, 0);
	ex(c, 3, -EINVAL, 0);
	run(c);
}

/*
 * Update with an absolute time in the past: fires at once.
 * Kernel: timeout.c io_timeout_remove_prep, io_timeout_update; liburing test/timeout.c.
 */
static void tupd_abs_past(struct cx *c)
{
	tmo(c, 1, 0, ts(c, 10, 0), 0, 0);
	tupd(c, 2, 0, 1, ts(c, 0, 1), IORING_TIMEOUT_UPDATE | IORING_TIMEOUT_ABS);
	ex(c, 2, 0, 0);
	ex(c, 1, -ETIME, 0);
	run(c);
}

/* io_timeout_remove_prep: a negative time -> -EINVAL. */
static void tupd_negative(struct cx *c)
{
	tmo(c, 1, 0, ts(c, 10, 0), 0, 0);
	tupd(c, 2, 0, 1, ts(c, 0, -1), IORING_TIMEOUT_UPDATE);
	trm(c, 3, 0, 1, 0);
	ex(c, 2, -EINVAL, 0);
	ex(c, 3, 0, 0);
	ex(c, 1, -ECANCELED, 0);
	run(c);
}

/*
 * UPDATE|LINK_TIMEOUT_UPDATE looks among linked timeouts only: a plain one is not found.
 * Kernel: timeout.c io_timeout_remove_prep, io_timeout_update; liburing test/timeout.c.
 */
static void tupd_link_flag_on_plain(struct cx *c)
{
	tmo(c, 1, 0, ts(c, 10, 0), 0, 0);
	tupd(c, 2, 0, 1, ms(c, 2), IORING_TIMEOUT_UPDATE | IORING_LINK_TIMEOUT_UPDATE);
	trm(c, 3, 0, 1, 0);
	ex(c, 2, -ENOENT, 0);
	ex(c, 3, 0, 0);
	ex(c, 1, -ECANCELED, 0);
	run(c);
}

/* IORING_TIMEOUT_ABS in the past: fires at once (test/timeout.c test_single_timeout_abs). */
static void tmo_abs_past(struct cx *c)
{
	tmo(c, 1, 0, ts(c, 0, 1), 0, IORING_TIMEOUT_ABS);
	ex(c, 1, -ETIME, 0);
	run(c);
}

/* timeout.c io_timeout_fn: -ETIME fails the link (req_set_fail)... */
static void tmo_link_etime(struct cx *c)
{
	tmo(c, 1, LINK, ms(c, 2), 0, 0);
	nop(c, 2, 0);
	ex(c, 1, -ETIME, 0);
	ex(c, 2, -ECANCELED, 0);
	run(c);
}

/*
 * ...unless IORING_TIMEOUT_ETIME_SUCCESS: same -ETIME, the link goes on.
 * Kernel: timeout.c __io_timeout_prep, io_timeout_fn; liburing test/timeout.c.
 */
static void tmo_link_etime_success(struct cx *c)
{
	tmo(c, 1, LINK, ms(c, 2), 0, IORING_TIMEOUT_ETIME_SUCCESS);
	nop(c, 2, 0);
	ex(c, 1, -ETIME, 0);
	ex(c, 2, 0, 0);
	run(c);
}

/*
 * ETIME_SUCCESS + CQE_SKIP: not a failure, so the -ETIME CQE is skipped.
 * Kernel: timeout.c __io_timeout_prep, io_timeout_fn; liburing test/timeout.c.
 */
static void tmo_etime_success_skip(struct cx *c)
{
	tmo(c, 1, SKIP, ms(c, 2), 0, IORING_TIMEOUT_ETIME_SUCCESS);
	tmo(c, 2, 0, ms(c, 5), 0, 0);
	ex(c, 2, -ETIME, 0);
	run(c);
}

/*
 * A timeout with CQE_SKIP that fires: -ETIME is a failure, posted.
 * Kernel: timeout.c __io_timeout_prep, io_timeout_fn; liburing test/timeout.c.
 */
static void tmo_skip_fires(struct cx *c)
{
	tmo(c, 1, SKIP, ms(c, 2), 0, 0);
	ex(c, 1, -ETIME, 0);
	run(c);
}

/*
 * timeout.c io_timeout_fn, multishot: each expiry posts -ETIME with
 * IORING_CQE_F_MORE, the last of count posts without it
 * (liburing test/timeout.c test_timeout_multishot_nr).
 */
static void tmo_multishot(struct cx *c)
{
	tmo(c, 1, 0, ms(c, 2), 3, ARING_TIMEOUT_MULTISHOT);
	ex(c, 1, -ETIME, IORING_CQE_F_MORE);
	ex(c, 1, -ETIME, IORING_CQE_F_MORE);
	ex(c, 1, -ETIME, 0);
	run(c);
}

/*
 * An endless multishot timeout, removed: -ECANCELED without F_MORE.
 * Kernel: timeout.c __io_timeout_prep, io_timeout_fn; liburing test/timeout.c.
 */
static void tmo_multishot_removed(struct cx *c)
{
	tmo(c, 1, 0, ts(c, 10, 0), 0, ARING_TIMEOUT_MULTISHOT);
	trm(c, 2, 0, 1, 0);
	ex(c, 2, 0, 0);
	ex(c, 1, -ECANCELED, 0);
	run(c);
}

/* __io_timeout_prep: multishot needs a relative time -> MULTISHOT|ABS -EINVAL. */
static void tmo_multishot_abs(struct cx *c)
{
	tmo(c, 1, 0, ms(c, 2), 0, ARING_TIMEOUT_MULTISHOT | IORING_TIMEOUT_ABS);
	ex(c, 1, -EINVAL, 0);
	run(c);
}

/* __io_timeout_prep: unknown flags, two clocks -> -EINVAL. */
static void tmo_bad_flags(struct cx *c)
{
	tmo(c, 1, 0, ms(c, 2), 0, 1u << 12);
	tmo(c, 2, 0, ms(c, 2), 0, IORING_TIMEOUT_BOOTTIME | IORING_TIMEOUT_REALTIME);
	ex(c, 1, -EINVAL, 0);
	ex(c, 2, -EINVAL, 0);
	run(c);
}

/* __io_timeout_prep: negative tv_sec or tv_nsec -> -EINVAL. */
static void tmo_negative(struct cx *c)
{
	tmo(c, 1, 0, ts(c, -1, 0), 0, 0);
	tmo(c, 2, 0, ts(c, 0, -1), 0, 0);
	ex(c, 1, -EINVAL, 0);
	ex(c, 2, -EINVAL, 0);
	run(c);
}

/*
 * tv_nsec >= 1e9 is accepted: __io_timeout_prep checks only for negative
 * values and timespec64_to_ktime adds the nanoseconds as they are.
 * {0, 1.5e9} is 1.5 s: still pending when removed.
 */
static void tmo_big_nsec_accepted(struct cx *c)
{
	tmo(c, 1, 0, ts(c, 0, 1500000000LL), 0, 0);
	trm(c, 2, 0, 1, 0);
	ex(c, 2, 0, 0);
	ex(c, 1, -ECANCELED, 0);
	run(c);
}

/*
 * {0, 1e9 + 2 ms} fires after {1, 0}: it is 1.002 s, not a wrapped value.
 * Kernel: timeout.c __io_timeout_prep, io_timeout_fn; liburing test/timeout.c.
 */
static void tmo_big_nsec_duration(struct cx *c)
{
	tmo(c, 1, 0, ts(c, 0, 1000000000LL + 20000000LL), 0, 0);
	tmo(c, 2, 0, ts(c, 1, 0), 0, 0);
	ex(c, 2, -ETIME, 0);
	ex(c, 1, -ETIME, 0);
	run(c);
}

/*
 * A linked timeout with tv_nsec >= 1e9 is valid, and disarmed by the nop.
 * Kernel: timeout.c __io_timeout_prep, io_link_timeout_fn, io_linked_timeout_update;
 *   io_uring.c io_disarm_next; liburing test/link-timeout.c.
 */
static void ltimeout_big_nsec(struct cx *c)
{
	nop(c, 1, LINK);
	ltmo(c, 2, 0, ts(c, 0, 2000000000LL), 0);
	ex(c, 1, 0, 0);
	ex(c, 2, -ECANCELED, 0);
	run(c);
}

/* An update to tv_nsec >= 1e9 is valid (io_timeout_remove_prep checks < 0 only). */
static void tupd_big_nsec(struct cx *c)
{
	tmo(c, 1, 0, ms(c, 5), 0, 0);
	tupd(c, 2, 0, 1, ts(c, 0, 3000000000LL), IORING_TIMEOUT_UPDATE);
	trm(c, 3, 0, 1, 0);
	ex(c, 2, 0, 0);
	ex(c, 3, 0, 0);
	ex(c, 1, -ECANCELED, 0);
	run(c);
}

/* ================================================================ async cancel */

/* cancel.c __io_async_cancel: ALL with no match -> 0 (the count), not -ENOENT. */
static void cancel_all_nomatch(struct cx *c)
{
	cnl(c, 1, 0, 99, IORING_ASYNC_CANCEL_ALL, 0);
	ex(c, 1, 0, 0);
	run(c);
}

/*
 * ANY with nothing in flight -> 0.
 * Kernel: cancel.c io_async_cancel_prep, io_async_cancel, io_cancel_req_match; liburing
 *   test/io-cancel.c.
 */
static void cancel_any_nomatch(struct cx *c)
{
	cnl(c, 1, 0, 0, IORING_ASYNC_CANCEL_ANY, 0);
	ex(c, 1, 0, 0);
	run(c);
}

/*
 * By user_data, no match -> -ENOENT.
 * Kernel: cancel.c io_async_cancel_prep, io_async_cancel, io_cancel_req_match; liburing
 *   test/io-cancel.c.
 */
static void cancel_nomatch(struct cx *c)
{
	cnl(c, 1, 0, 99, 0, 0);
	ex(c, 1, -ENOENT, 0);
	run(c);
}

/*
 * ANY cancels everything (ANY implies all): the count, then each -ECANCELED.
 * Kernel: cancel.c io_async_cancel_prep, io_async_cancel, io_cancel_req_match; liburing
 *   test/io-cancel.c.
 */
static void cancel_any_two(struct cx *c)
{
	int p[2];

	mkpipe(c, p);
	pend(c, 1, 0, p[0]);
	pend(c, 2, 0, p[0]);
	cnl(c, 3, 0, 0, IORING_ASYNC_CANCEL_ANY, 0);
	ex(c, 3, 2, 0);
	ex(c, 1, -ECANCELED, 0);
	ex_set(c, 2, -ECANCELED, 0);
	run(c);
}

/*
 * ALL by user_data: every request with it, not others.
 * Kernel: cancel.c io_async_cancel_prep, io_async_cancel, io_cancel_req_match; liburing
 *   test/io-cancel.c.
 */
static void cancel_all_by_ud(struct cx *c)
{
	int p[2];

	mkpipe(c, p);
	pend(c, 5, 0, p[0]);
	pend(c, 6, 0, p[0]);
	pend(c, 5, 0, p[0]);
	cnl(c, 7, 0, 5, IORING_ASYNC_CANCEL_ALL, 0);
	ex(c, 7, 2, 0);
	ex(c, 5, -ECANCELED, 0);
	ex_set(c, 5, -ECANCELED, 0);
	run(c);
}

/* cancel.c io_async_cancel_prep: len is read only with CANCEL_OP. */
static void cancel_len_ignored(struct cx *c)
{
	int p[2];

	mkpipe(c, p);
	pend(c, 1, 0, p[0]);
	cnl(c, 2, 0, 1, 0, 0)->len = 7;
	ex(c, 2, 0, 0);
	ex(c, 1, -ECANCELED, 0);
	run(c);
}

/* ANY|USERDATA: ANY wins (io_cancel_req_match), the user_data is not compared. */
static void cancel_any_userdata(struct cx *c)
{
	int p[2];

	mkpipe(c, p);
	pend(c, 1, 0, p[0]);
	pend(c, 2, 0, p[0]);
	cnl(c, 3, 0, 99, IORING_ASYNC_CANCEL_ANY | ARING_ASYNC_CANCEL_USERDATA, 0);
	ex(c, 3, 2, 0);
	ex(c, 1, -ECANCELED, 0);
	ex_set(c, 2, -ECANCELED, 0);
	run(c);
}

/*
 * Explicit USERDATA is the default match.
 * Kernel: cancel.c io_async_cancel_prep, io_async_cancel, io_cancel_req_match; liburing
 *   test/io-cancel.c.
 */
static void cancel_userdata_flag(struct cx *c)
{
	int p[2];

	mkpipe(c, p);
	pend(c, 1, 0, p[0]);
	cnl(c, 2, 0, 1, ARING_ASYNC_CANCEL_USERDATA, 0);
	ex(c, 2, 0, 0);
	ex(c, 1, -ECANCELED, 0);
	run(c);
}

/*
 * CANCEL_OP: matches the opcode (in len), here READ and not POLL_ADD.
 * Kernel: cancel.c io_async_cancel_prep, io_async_cancel, io_cancel_req_match; liburing
 *   test/io-cancel.c.
 */
static void cancel_op(struct cx *c)
{
	int p[2], q[2];

	mkpipe(c, p);
	mkpipe(c, q);
	pend(c, 1, 0, p[0]);
	padd(c, 2, 0, q[0], POLLIN, 0);
	cnl(c, 3, 0, 0, ARING_ASYNC_CANCEL_OP | IORING_ASYNC_CANCEL_ALL, 0)->len = IORING_OP_READ;
	ex(c, 3, 1, 0);
	ex(c, 1, -ECANCELED, 0);
	run(c);
	cnl(c, 4, 0, 0, ARING_ASYNC_CANCEL_OP, 0)->len = IORING_OP_POLL_ADD;
	ex(c, 4, 0, 0);
	ex(c, 2, -ECANCELED, 0);
	run(c);
}

/*
 * CANCEL_OP + USERDATA: both must match.
 * Kernel: cancel.c io_async_cancel_prep, io_async_cancel, io_cancel_req_match; liburing
 *   test/io-cancel.c.
 */
static void cancel_op_and_ud(struct cx *c)
{
	int p[2];

	mkpipe(c, p);
	pend(c, 1, 0, p[0]);
	cnl(c, 2, 0, 1, ARING_ASYNC_CANCEL_OP | ARING_ASYNC_CANCEL_USERDATA, 0)->len =
		IORING_OP_WRITE;
	cnl(c, 3, 0, 1, ARING_ASYNC_CANCEL_OP | ARING_ASYNC_CANCEL_USERDATA, 0)->len =
		IORING_OP_READ;
	ex(c, 2, -ENOENT, 0);
	ex(c, 3, 0, 0);
	ex(c, 1, -ECANCELED, 0);
	run(c);
}

/* io_async_cancel_prep: FD|ANY and OP|ANY -> -EINVAL. */
static void cancel_any_with_fd_or_op(struct cx *c)
{
	int p[2];

	mkpipe(c, p);
	cnl(c, 1, 0, 0, IORING_ASYNC_CANCEL_ANY | IORING_ASYNC_CANCEL_FD, p[0]);
	cnl(c, 2, 0, 0, IORING_ASYNC_CANCEL_ANY | ARING_ASYNC_CANCEL_OP, 0)->len = IORING_OP_READ;
	ex(c, 1, -EINVAL, 0);
	ex(c, 2, -EINVAL, 0);
	run(c);
}

/* CANCEL_FD|ALL: every request on that file, not on another (test/io-cancel.c). */
static void cancel_fd_all(struct cx *c)
{
	int p[2], q[2];

	mkpipe(c, p);
	mkpipe(c, q);
	pend(c, 1, 0, p[0]);
	pend(c, 2, 0, p[0]);
	pend(c, 3, 0, q[0]);
	cnl(c, 4, 0, 0, IORING_ASYNC_CANCEL_FD | IORING_ASYNC_CANCEL_ALL, p[0]);
	ex(c, 4, 2, 0);
	ex(c, 1, -ECANCELED, 0);
	ex_set(c, 2, -ECANCELED, 0);
	run(c);
	cnl(c, 5, 0, 0, IORING_ASYNC_CANCEL_FD, q[0]);
	ex(c, 5, 0, 0);
	ex(c, 3, -ECANCELED, 0);
	run(c);
}

/*
 * CANCEL_FD on a file with nothing pending: -ENOENT, with ALL 0.
 * Kernel: cancel.c io_async_cancel_prep, io_async_cancel, io_cancel_req_match; liburing
 *   test/io-cancel.c.
 */
static void cancel_fd_nomatch(struct cx *c)
{
	int p[2];

	mkpipe(c, p);
	cnl(c, 1, 0, 0, IORING_ASYNC_CANCEL_FD, p[0]);
	cnl(c, 2, 0, 0, IORING_ASYNC_CANCEL_FD | IORING_ASYNC_CANCEL_ALL, p[0]);
	ex(c, 1, -ENOENT, 0);
	ex(c, 2, 0, 0);
	run(c);
}

/* cancel.c io_async_cancel: CANCEL_FD with an fd that is not open -> -EBADF. */
static void cancel_fd_bad(struct cx *c)
{
	cnl(c, 1, 0, 0, IORING_ASYNC_CANCEL_FD, 999);
	cnl(c, 2, 0, 0, IORING_ASYNC_CANCEL_FD | IORING_ASYNC_CANCEL_ALL, 999);
	ex(c, 1, -EBADF, 0);
	ex(c, 2, -EBADF, 0);
	run(c);
}

/*
 * CANCEL_FD matches by file (req->file == cd->file), not by number: the
 * read's fd is closed and the number reused by another file; a cancel by
 * that number does not find the read.
 * Kernel: cancel.c io_async_cancel_prep, io_async_cancel, io_cancel_req_match; liburing
 *   test/io-cancel.c.
 */
static void cancel_fd_by_file(struct cx *c)
{
	int p[2];

	mkpipe(c, p);
	pend(c, 1, 0, p[0]);
	closeop(c, 2, 0, p[0]);
	openat_op(c, 3, 0, mkpath(c), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	ex(c, 2, 0, 0);
	ex(c, 3, p[0], 0);  /* the lowest free fd: the number just closed */
	run(c);
	cnl(c, 4, 0, 0, IORING_ASYNC_CANCEL_FD, p[0]);
	cnl(c, 5, 0, 1, 0, 0);
	ex(c, 4, -ENOENT, 0);
	ex(c, 5, 0, 0);
	ex(c, 1, -ECANCELED, 0);
	run(c);
}

/* A pending timeout is cancelled by user_data (io_try_cancel -> io_timeout_cancel). */
static void cancel_timeout(struct cx *c)
{
	tmo(c, 1, 0, ts(c, 10, 0), 0, 0);
	cnl(c, 2, 0, 1, 0, 0);
	ex(c, 2, 0, 0);
	ex(c, 1, -ECANCELED, 0);
	run(c);
}

/* A chain member not yet issued is nowhere io_try_cancel looks: -ENOENT. */
static void cancel_unissued_member(struct cx *c)
{
	int p[2];

	mkpipe(c, p);
	pend(c, 1, LINK, p[0]);
	nop(c, 2, 0);
	cnl(c, 3, 0, 2, 0, 0);
	ex(c, 3, -ENOENT, 0);
	run(c);
}

/*
 * A member waiting behind a blocked head in an earlier submit is not
 * issued: a cancel of it finds nothing (-ENOENT), and the cancel of the
 * head after it lets the hard-linked member run (differential seed 4495).
 * Kernel: cancel.c io_async_cancel_prep, io_async_cancel, io_cancel_req_match; liburing
 *   test/io-cancel.c.
 */
static void cancel_unissued_then_head(struct cx *c)
{
	int p[2];

	mkpipe(c, p);
	pend(c, 1, HARD, p[0]);
	nop(c, 2, 0);
	run(c);
	cnl(c, 3, 0, 2, 0, 0);
	cnl(c, 4, 0, 1, 0, 0);
	ex(c, 3, -ENOENT, 0);
	ex(c, 4, 0, 0);
	ex(c, 1, -ECANCELED, 0);
	ex(c, 2, 0, 0);
	run(c);
}

/*
 * The differential's program 4495, where the sim answered the first cancel -EALREADY.
 * Kernel: cancel.c io_async_cancel_prep, io_async_cancel, io_cancel_req_match; liburing
 *   test/io-cancel.c.
 */
static void cancel_mixed_submit_4495(struct cx *c)
{
	int p[2], w[2];
	int f = mkfile(c, NULL, 0);

	mkpipe(c, p);
	mkpipe(c, w);
	pend(c, 1, HARD, p[0]);
	nop(c, 2, 0);
	bad(c, 3, 0);
	ex(c, 3, -EBADF, 0);
	run(c);
	wr(c, 4, HARD, w[1], "abc", 3, 0);
	pend(c, 5, LINK, p[0]);
	ltmo(c, 6, LINK, ms(c, 1), 0);
	nop(c, 7, HARD);
	wr(c, 8, 0, f, "0123456789abcdef", 15, 247);
	wr(c, 9, 0, w[1], "0123456789abcdef", 14, 0);
	pend(c, 10, LINK, p[0]);
	ltmo(c, 11, 0, ms(c, 1), 0);
	nop(c, 12, LINK);
	ltmo(c, 13, 0, ts(c, 10, 0), 0);
	wr(c, 14, LINK, w[1], "abcd", 4, 0);
	cnl(c, 15, 0, 2, 0, 0);
	cnl(c, 16, 0, 1, 0, 0);
	ex_group(c);
	ex_in(c, 1, 4, 3, 0);
	ex_in(c, 1, 5, -ECANCELED, 0);
	ex_in(c, 1, 7, -ECANCELED, 0);
	ex_in(c, 1, 8, -ECANCELED, 0);
	ex_in(c, 0, 6, -ETIME, 0);
	ex_in(c, 0, 9, 14, 0);
	ex_in(c, 0, 10, -ECANCELED, 0);
	ex_in(c, 0, 11, -ETIME, 0);
	ex_in(c, 2, 12, 0, 0);
	ex_in(c, 2, 13, -ECANCELED, 0);
	ex_in(c, 0, 14, 4, 0);
	/* on 6.18 the failed cancel posts after the next one: its order is left open here */
	ex_in(c, 0, 15, -ENOENT, 0);
	ex_in(c, 3, 16, 0, 0);
	ex_in(c, 3, 1, -ECANCELED, 0);
	ex_in(c, 3, 2, 0, 0);
	run(c);
}

/*
 * A cancel is an ordinary request: a failing one breaks its link.
 * Kernel: cancel.c io_async_cancel_prep, io_async_cancel, io_cancel_req_match; liburing
 *   test/io-cancel.c.
 */
static void cancel_in_link(struct cx *c)
{
	cnl(c, 1, LINK, 99, 0, 0);
	nop(c, 2, 0);
	ex(c, 1, -ENOENT, 0);
	ex(c, 2, -ECANCELED, 0);
	run(c);
}

/* ================================================================ poll */

/* poll.c: data already there, the poll completes at once with the mask. */
static void poll_ready(struct cx *c)
{
	int p[2];

	mkpipe(c, p);
	wr(c, 1, 0, p[1], "a", 1, 0);
	padd(c, 2, 0, p[0], POLLIN, 0);
	ex(c, 1, 1, 0);
	ex(c, 2, POLLIN, 0);
	run(c);
}

/*
 * A pending poll completes after the write that wakes it (task work).
 * Kernel: poll.c io_poll_add_prep, io_poll_add, io_poll_remove_prep, io_poll_remove; liburing
 *   test/poll-cancel.c.
 */
static void poll_wakes(struct cx *c)
{
	int p[2];

	mkpipe(c, p);
	padd(c, 1, 0, p[0], POLLIN, 0);
	run(c);
	wr(c, 2, 0, p[1], "a", 1, 0);
	ex(c, 2, 1, 0);
	ex(c, 1, POLLIN, 0);
	run(c);
}

/* test/poll-cancel.c: POLL_REMOVE of a pending poll: 0, the poll -ECANCELED. */
static void poll_remove(struct cx *c)
{
	int p[2];

	mkpipe(c, p);
	padd(c, 1, 0, p[0], POLLIN, 0);
	prm(c, 2, 0, 1);
	ex(c, 2, 0, 0);
	ex(c, 1, -ECANCELED, 0);
	run(c);
}

/*
 * Kernel: poll.c io_poll_add_prep, io_poll_add, io_poll_remove_prep, io_poll_remove; liburing
 * test/poll-cancel.c.
 */
static void poll_remove_missing(struct cx *c)
{
	prm(c, 1, 0, 99);
	ex(c, 1, -ENOENT, 0);
	run(c);
}

/*
 * poll.c io_poll_remove with IORING_POLL_UPDATE_USER_DATA: the poll posts under the new
 * user_data.
 */
static void poll_update_ud(struct cx *c)
{
	int p[2];

	mkpipe(c, p);
	padd(c, 1, 0, p[0], POLLIN, 0);
	pupd(c, 2, 0, 1, 7, 0, IORING_POLL_UPDATE_USER_DATA);
	ex(c, 2, 0, 0);
	run(c);
	wr(c, 3, 0, p[1], "a", 1, 0);
	ex(c, 3, 1, 0);
	ex(c, 7, POLLIN, 0);
	run(c);
}

/*
 * IORING_POLL_UPDATE_EVENTS: a new mask that is ready at once.
 * Kernel: poll.c io_poll_add_prep, io_poll_add, io_poll_remove_prep, io_poll_remove; liburing
 *   test/poll-cancel.c.
 */
static void poll_update_events(struct cx *c)
{
	int p[2];

	mkpipe(c, p);
	wr(c, 1, 0, p[1], "a", 1, 0);
	padd(c, 2, 0, p[0], POLLPRI, 0);
	ex(c, 1, 1, 0);
	run(c);
	pupd(c, 3, 0, 2, 0, POLLIN, IORING_POLL_UPDATE_EVENTS);
	ex(c, 3, 0, 0);
	ex(c, 2, POLLIN, 0);
	run(c);
}

/*
 * Kernel: poll.c io_poll_add_prep, io_poll_add, io_poll_remove_prep, io_poll_remove; liburing
 * test/poll-cancel.c.
 */
static void poll_update_missing(struct cx *c)
{
	pupd(c, 1, 0, 99, 7, 0, IORING_POLL_UPDATE_USER_DATA);
	ex(c, 1, -ENOENT, 0);
	run(c);
}

/* io_poll_remove_prep: ADD_MULTI alone is meaningless -> -EINVAL; unknown flags too. */
static void poll_remove_bad_flags(struct cx *c)
{
	pupd(c, 1, 0, 99, 0, 0, IORING_POLL_ADD_MULTI);
	pupd(c, 2, 0, 99, 0, 0, 1u << 7);
	ex(c, 1, -EINVAL, 0);
	ex(c, 2, -EINVAL, 0);
	run(c);
}

/*
 * Multishot poll: a CQE with F_MORE per event; removed: -ECANCELED without it.
 * Kernel: poll.c io_poll_add_prep, io_poll_add, io_poll_remove_prep, io_poll_remove; liburing
 *   test/poll-cancel.c.
 */
static void poll_multishot(struct cx *c)
{
	int p[2];

	mkpipe(c, p);
	padd(c, 1, 0, p[0], POLLIN, IORING_POLL_ADD_MULTI);
	run(c);
	wr(c, 2, 0, p[1], "a", 1, 0);
	ex(c, 2, 1, 0);
	ex(c, 1, POLLIN, IORING_CQE_F_MORE);
	run(c);
	prm(c, 3, 0, 1);
	ex(c, 3, 0, 0);
	ex(c, 1, -ECANCELED, 0);
	run(c);
}

/*
 * A poll on an fd that is not open -> -EBADF.
 * Kernel: poll.c io_poll_add_prep, io_poll_add, io_poll_remove_prep, io_poll_remove; liburing
 *   test/poll-cancel.c.
 */
static void poll_bad_fd(struct cx *c)
{
	padd(c, 1, 0, 999, POLLIN, 0);
	ex(c, 1, -EBADF, 0);
	run(c);
}

/* ================================================================ NOP flags */

/* nop.c io_nop_prep: IORING_NOP_INJECT_RESULT posts len as res. */
static void nop_inject(struct cx *c)
{
	nopx(c, 1, 0, C_NOP_INJECT_RESULT, 42, -1);
	ex(c, 1, 42, 0);
	run(c);
}

/* An injected negative result is a failure (req_set_fail): it breaks the link. */
static void nop_inject_fails_link(struct cx *c)
{
	nopx(c, 1, LINK, C_NOP_INJECT_RESULT, (uint32_t)-EIO, -1);
	nop(c, 2, 0);
	ex(c, 1, -EIO, 0);
	ex(c, 2, -ECANCELED, 0);
	run(c);
}

/*
 * Injected success with CQE_SKIP is skipped; injected failure is posted.
 * Kernel: nop.c io_nop_prep, io_nop.
 */
static void nop_inject_skip(struct cx *c)
{
	nopx(c, 1, SKIP, C_NOP_INJECT_RESULT, 5, -1);
	nopx(c, 2, SKIP, C_NOP_INJECT_RESULT, (uint32_t)-EIO, -1);
	ex(c, 2, -EIO, 0);
	run(c);
}

/*
 * IORING_NOP_FILE: a valid fd, 0.
 * Kernel: nop.c io_nop_prep, io_nop.
 */
static void nop_file_ok(struct cx *c)
{
	int p[2];

	mkpipe(c, p);
	nopx(c, 1, 0, C_NOP_FILE, 0, p[0]);
	ex(c, 1, 0, 0);
	run(c);
}

/* IORING_NOP_FILE with an fd that is not open: io_nop -> -EBADF. */
static void nop_file_bad(struct cx *c)
{
	nopx(c, 1, LINK, C_NOP_FILE, 0, 999);
	nop(c, 2, 0);
	ex(c, 1, -EBADF, 0);
	ex(c, 2, -ECANCELED, 0);
	run(c);
}

/*
 * NOP_FIXED_FILE with no registered files -> -EBADF.
 * Kernel: nop.c io_nop_prep, io_nop.
 */
static void nop_fixed_file_none(struct cx *c)
{
	nopx(c, 1, 0, C_NOP_FILE | C_NOP_FIXED_FILE, 0, 0);
	ex(c, 1, -EBADF, 0);
	run(c);
}

/*
 * IORING_NOP_TW completes through task work: after a plain nop behind it.
 * Kernel: nop.c io_nop_prep, io_nop.
 */
static void nop_tw(struct cx *c)
{
	nopx(c, 1, 0, C_NOP_TW, 0, -1);
	nop(c, 2, 0);
	ex(c, 2, 0, 0);
	ex(c, 1, 0, 0);
	run(c);
}

/* io_nop_prep: an unknown nop flag -> -EINVAL. */
static void nop_unknown_flag(struct cx *c)
{
	nopx(c, 1, 0, 1u << 12, 0, -1);
	ex(c, 1, -EINVAL, 0);
	run(c);
}

/*
 * NOP_CQE32 on a ring without IORING_SETUP_CQE32 -> -EINVAL.
 * Kernel: nop.c io_nop_prep, io_nop.
 */
static void nop_cqe32_plain_ring(struct cx *c)
{
	nopx(c, 1, 0, C_NOP_CQE32, 0, -1);
	ex(c, 1, -EINVAL, 0);
	run(c);
}

/* ================================================================ linkat */

/*
 * fs.c io_linkat -> do_linkat: AT_EMPTY_PATH links the file an fd refers
 * to (the opener's credentials, or CAP_DAC_READ_SEARCH: we are both).
 */
static void linkat_empty_path(struct cx *c)
{
	const char *op;
	int fd = mkfile_named(c, "abc", 3, &op);
	const char *np = mkpath(c);

	linkat_op(c, 1, 0, fd, "", AT_FDCWD, np, AT_EMPTY_PATH);
	ex(c, 1, 0, 0);
	run(c);
	openat_op(c, 2, 0, np, O_RDONLY | O_CLOEXEC, 0);
	ex(c, 2, fd + 1, 0);
	run(c);
	keep_fd(c, fd + 1);
	rd(c, 3, 0, fd + 1, cbuf(c), 8, 0);
	ex(c, 3, 3, 0);
	run(c);
}

/* The file was unlinked (nlink 0): vfs_link refuses it -> -ENOENT. */
static void linkat_empty_path_unlinked(struct cx *c)
{
	int fd = mkfile(c, "abc", 3);

	linkat_op(c, 1, 0, fd, "", AT_FDCWD, mkpath(c), AT_EMPTY_PATH);
	ex(c, 1, -ENOENT, 0);
	run(c);
}

/* io_linkat_prep -> getname_uflags: an empty old path without AT_EMPTY_PATH -> -ENOENT. */
static void linkat_empty_no_flag(struct cx *c)
{
	const char *op;
	int fd = mkfile_named(c, "abc", 3, &op);

	linkat_op(c, 1, 0, fd, "", AT_FDCWD, mkpath(c), 0);
	ex(c, 1, -ENOENT, 0);
	run(c);
}

/*
 * do_linkat: flags other than AT_SYMLINK_FOLLOW|AT_EMPTY_PATH -> -EINVAL
 * (with a named old path; an empty one fails first in getname_uflags).
 */
static void linkat_bad_flags(struct cx *c)
{
	const char *op;

	mkfile_named(c, "abc", 3, &op);
	linkat_op(c, 1, 0, AT_FDCWD, op, AT_FDCWD, mkpath(c), 0x10000000);
	linkat_op(c, 2, 0, AT_FDCWD, "", AT_FDCWD, mkpath(c), 0x10000000);
	/* 2 fails at prep, 1 in do_linkat on io-wq (linkat never runs nonblocking) */
	ex(c, 1, -EINVAL, 0);
	ex_set(c, 2, -ENOENT, 0);
	run(c);
}

/*
 * By name, no flags: a second name for the file.
 * Kernel: fs.c io_linkat_prep, io_linkat -> do_linkat.
 */
static void linkat_by_name(struct cx *c)
{
	const char *op;

	mkfile_named(c, "abc", 3, &op);
	linkat_op(c, 1, 0, AT_FDCWD, op, AT_FDCWD, mkpath(c), 0);
	ex(c, 1, 0, 0);
	run(c);
}

/* ================================================================ CQ overflow */

/*
 * More CQEs than the CQ holds (4 SQ entries, 8 CQ entries, 20 nops
 * submitted without reaping): with IORING_FEAT_NODROP the extra CQEs wait
 * on the overflow list (io_cqring_event_overflow) and come out in order.
 */
static void overflow_nops(struct cx *c)
{
	unsigned r, i, ud = 1;

	for (r = 0; r < 5; r++) {
		for (i = 0; i < 4; i++)
			nop(c, ud++, 0);
		submit4(c, r);
	}
	for (i = 1; i < ud; i++)
		ex(c, i, 0, 0);
	run(c);
}

/*
 * Link flags across submits with the CQ overflowing. A chain still open
 * at the end of a submit is queued as it is (io_submit_state_end ->
 * io_queue_sqe_fallback -> io-wq): four chains, each in order, none lost;
 * on 6.18 the last one (closed properly, run inline) posts first.
 */
static void overflow_chains(struct cx *c)
{
	unsigned r, i, ud = 1;

	for (r = 0; r < 4; r++) {
		for (i = 0; i < 4; i++, ud++)
			nop(c, ud, r == 3 && i == 3 ? 0 : LINK);
		submit4(c, r);
	}
	ex_group(c);
	for (i = 1; i < ud; i++)
		ex_in(c, 1 + (i - 1) / 4, i, 0, 0);
	run(c);
}

/*
 * Overflow with failures and skips mixed in.
 * Kernel: io_uring.c io_cqring_event_overflow, __io_cqring_overflow_flush (IORING_FEAT_NODROP).
 */
static void overflow_mixed(struct cx *c)
{
	unsigned r;

	for (r = 0; r < 4; r++) {
		uint64_t b = 10 * (r + 1);

		nop(c, b + 1, SKIP);
		bad(c, b + 2, 0);
		nopx(c, b + 3, 0, C_NOP_INJECT_RESULT, r, -1);
		nop(c, b + 4, 0);
		submit4(c, r);
		ex(c, b + 2, -EBADF, 0);
		ex(c, b + 3, (int32_t)r, 0);
		ex(c, b + 4, 0, 0);
	}
	run(c);
}

/* ================================================================ more: timeouts and counts */

/*
 * A disarmed linked timeout's CQE is an ordinary CQE: it counts toward a count timeout.
 * Kernel: timeout.c io_timeout (target_seq), io_flush_timeouts, io_kill_timeout; liburing
 *   test/timeout.c.
 */
static void tcount_ltimeout_cqe_counts(struct cx *c)
{
	tmo(c, 1, 0, ts(c, 10, 0), 2, 0);
	nop(c, 2, LINK);
	ltmo(c, 3, 0, ts(c, 10, 0), 0);
	ex(c, 2, 0, 0);
	ex(c, 3, -ECANCELED, 0);
	ex(c, 1, 0, 0);
	run(c);
}

/*
 * A count timeout met by a CQE does not count for another (io_kill_timeout bumps cq_timeouts).
 */
static void tcount_met_timeout_not_counted(struct cx *c)
{
	tmo(c, 1, 0, ts(c, 10, 0), 1, 0);
	tmo(c, 2, 0, ts(c, 10, 0), 2, 0);
	nop(c, 3, 0);
	ex(c, 3, 0, 0);
	ex(c, 1, 0, 0);
	run(c);
	nop(c, 4, 0);
	ex(c, 4, 0, 0);
	ex(c, 2, 0, 0);
	run(c);
}

/*
 * A count timeout as a link member: the nop behind it waits; met, it succeeds (0) and the
 * chain goes on.
 * Kernel: timeout.c io_timeout (target_seq), io_flush_timeouts, io_kill_timeout; liburing
 *   test/timeout.c.
 */
static void tcount_in_link(struct cx *c)
{
	tmo(c, 1, LINK, ts(c, 10, 0), 1, 0);
	nop(c, 2, 0);
	run(c);
	nop(c, 3, 0);
	ex(c, 3, 0, 0);
	ex(c, 1, 0, 0);
	ex(c, 2, 0, 0);
	run(c);
}

/*
 * ETIME_SUCCESS on a count timeout that expires: -ETIME, the link goes on.
 * Kernel: timeout.c io_timeout (target_seq), io_flush_timeouts, io_kill_timeout; liburing
 *   test/timeout.c.
 */
static void tcount_etime_success_link(struct cx *c)
{
	tmo(c, 1, LINK, ms(c, 2), 4, IORING_TIMEOUT_ETIME_SUCCESS);
	nop(c, 2, 0);
	ex(c, 1, -ETIME, 0);
	ex(c, 2, 0, 0);
	run(c);
}

/*
 * Removing a count timeout: -ECANCELED.
 * Kernel: timeout.c io_timeout (target_seq), io_flush_timeouts, io_kill_timeout; liburing
 *   test/timeout.c.
 */
static void tcount_removed(struct cx *c)
{
	tmo(c, 1, 0, ts(c, 10, 0), 3, 0);
	trm(c, 2, 0, 1, 0);
	ex(c, 2, 0, 0);
	ex(c, 1, -ECANCELED, 0);
	run(c);
}

/*
 * A linked timeout with an absolute time in the past fires at once.
 * Kernel: timeout.c __io_timeout_prep, io_link_timeout_fn, io_linked_timeout_update;
 *   io_uring.c io_disarm_next; liburing test/link-timeout.c.
 */
static void ltimeout_abs_past(struct cx *c)
{
	int p[2];

	mkpipe(c, p);
	pend(c, 1, LINK, p[0]);
	ltmo(c, 2, 0, ts(c, 0, 1), IORING_TIMEOUT_ABS);
	ex(c, 1, -ECANCELED, 0);
	ex_set(c, 2, -ETIME, 0);
	run(c);
}

/*
 * A linked timeout that fails its prep (unknown flag, negative time) fails the chain at submit.
 * Kernel: timeout.c __io_timeout_prep, io_link_timeout_fn, io_linked_timeout_update;
 *   io_uring.c io_disarm_next; liburing test/link-timeout.c.
 */
static void ltimeout_bad_flags(struct cx *c)
{
	int p[2];

	mkpipe(c, p);
	pend(c, 1, LINK, p[0]);
	ltmo(c, 2, 0, ms(c, 2), 1u << 12);
	pend(c, 3, LINK, p[0]);
	ltmo(c, 4, 0, ts(c, 0, -1), 0);
	/* each chain in order; the heads post at once, the rest from task work */
	ex_group(c);
	ex_in(c, 1, 1, -ECANCELED, 0);
	ex_in(c, 1, 2, -EINVAL, 0);
	ex_in(c, 2, 3, -ECANCELED, 0);
	ex_in(c, 2, 4, -EINVAL, 0);
	run(c);
}

/*
 * A cancel by user_data finds a linked timeout? No: io_try_cancel looks at ctx->timeout_list
 * only.
 */
static void ltimeout_not_cancellable(struct cx *c)
{
	int p[2];

	mkpipe(c, p);
	pend(c, 1, LINK, p[0]);
	ltmo(c, 2, 0, ts(c, 10, 0), 0);
	cnl(c, 3, 0, 2, 0, 0);
	ex(c, 3, -ENOENT, 0);
	run(c);
}

/*
 * Cancel the op a linked timeout guards: the op -ECANCELED, the timeout disarmed after it.
 * Kernel: timeout.c __io_timeout_prep, io_link_timeout_fn, io_linked_timeout_update;
 *   io_uring.c io_disarm_next; liburing test/link-timeout.c.
 */
static void ltimeout_op_cancelled(struct cx *c)
{
	int p[2];

	mkpipe(c, p);
	pend(c, 1, LINK, p[0]);
	ltmo(c, 2, 0, ts(c, 10, 0), 0);
	run(c);
	cnl(c, 3, 0, 1, 0, 0);
	ex(c, 3, 0, 0);
	ex(c, 1, -ECANCELED, 0);
	ex(c, 2, -ECANCELED, 0);
	run(c);
}

/* ================================================================ more: poll, pipes, cancel */

/* poll.c io_poll_add_prep: multishot with CQE_SKIP_SUCCESS -> -EINVAL. */
static void poll_multishot_skip(struct cx *c)
{
	int p[2];

	mkpipe(c, p);
	padd(c, 1, SKIP, p[0], POLLIN, IORING_POLL_ADD_MULTI);
	ex(c, 1, -EINVAL, 0);
	run(c);
}

/*
 * The write end of an empty pipe is writable at once.
 * Kernel: poll.c io_poll_add_prep, io_poll_add, io_poll_remove_prep, io_poll_remove; liburing
 *   test/poll-cancel.c.
 */
static void poll_pollout_ready(struct cx *c)
{
	int p[2];

	mkpipe(c, p);
	padd(c, 1, 0, p[1], POLLOUT, 0);
	ex(c, 1, POLLOUT, 0);
	run(c);
}

/*
 * CANCEL_FD finds a poll on that file too.
 * Kernel: cancel.c io_async_cancel_prep, io_async_cancel, io_cancel_req_match; liburing
 *   test/io-cancel.c.
 */
static void cancel_fd_poll(struct cx *c)
{
	int p[2];

	mkpipe(c, p);
	padd(c, 1, 0, p[0], POLLIN, 0);
	cnl(c, 2, 0, 0, IORING_ASYNC_CANCEL_FD, p[0]);
	ex(c, 2, 0, 0);
	ex(c, 1, -ECANCELED, 0);
	run(c);
}

/*
 * CANCEL_FD_FIXED with no registered files -> -EBADF.
 * Kernel: cancel.c io_async_cancel_prep, io_async_cancel, io_cancel_req_match; liburing
 *   test/io-cancel.c.
 */
static void cancel_fd_fixed_none(struct cx *c)
{
	cnl(c, 1, 0, 0, IORING_ASYNC_CANCEL_FD | IORING_ASYNC_CANCEL_FD_FIXED, 0);
	ex(c, 1, -EBADF, 0);
	run(c);
}

/*
 * A cancel of a multishot poll: -ECANCELED without F_MORE.
 * Kernel: cancel.c io_async_cancel_prep, io_async_cancel, io_cancel_req_match; liburing
 *   test/io-cancel.c.
 */
static void cancel_multishot_poll(struct cx *c)
{
	int p[2];

	mkpipe(c, p);
	padd(c, 1, 0, p[0], POLLIN, IORING_POLL_ADD_MULTI);
	cnl(c, 2, 0, 1, 0, 0);
	ex(c, 2, 0, 0);
	ex(c, 1, -ECANCELED, 0);
	run(c);
}

/*
 * A read pending before a write in the same submit: the write at issue, the read woken after.
 * Kernel: io_uring.c io_submit_sqes (inline issue in SQ order); cancel.c io_try_cancel.
 */
static void order_read_then_write(struct cx *c)
{
	int p[2];

	mkpipe(c, p);
	rd(c, 1, 0, p[0], cbuf(c), 4, 0);
	wr(c, 2, 0, p[1], "wxyz", 4, 0);
	ex(c, 2, 4, 0);
	ex(c, 1, 4, 0);
	run(c);
}

/*
 * Read of a pipe whose writer is closed: EOF, 0 (short: breaks a link).
 * Kernel: fs/pipe.c pipe_read, pipe_write; rw.c io_read, io_write.
 */
static void pipe_eof_breaks_link(struct cx *c)
{
	int p[2];

	mkpipe(c, p);
	closeop(c, 1, 0, p[1]);
	ex(c, 1, 0, 0);
	run(c);
	rd(c, 2, LINK, p[0], cbuf(c), 4, 0);
	nop(c, 3, 0);
	ex(c, 2, 0, 0);
	ex(c, 3, -ECANCELED, 0);
	run(c);
}

/*
 * A pending read is woken by EOF when its writer closes.
 * Kernel: fs/pipe.c pipe_read, pipe_write; rw.c io_read, io_write.
 */
static void pipe_pending_read_eof(struct cx *c)
{
	int p[2];

	mkpipe(c, p);
	pend(c, 1, 0, p[0]);
	run(c);
	closeop(c, 2, 0, p[1]);
	ex(c, 2, 0, 0);
	ex(c, 1, 0, 0);
	run(c);
}

/*
 * A write to a pipe with no reader: -EPIPE (pipe_write also sends SIGPIPE to the submitter;
 * ignored here).
 */
static void pipe_write_no_reader(struct cx *c)
{
	int p[2];

	mkpipe(c, p);
	closeop(c, 1, 0, p[0]);
	ex(c, 1, 0, 0);
	run(c);
	wr(c, 2, 0, p[1], "x", 1, 0);
	ex(c, 2, -EPIPE, 0);
	run(c);
	/* fs/pipe.c pipe_write(): "Null write succeeds", before the reader check */
	wr(c, 3, 0, p[1], "x", 0, 0);
	ex(c, 3, 0, 0);
	run(c);
}

/* ================================================================ more: links, validation */

/*
 * An unknown opcode in the middle of a chain: the whole chain fails at submit.
 * Kernel: io_uring.c io_init_req, io_submit_fail_init, io_queue_sqe_fallback.
 */
static void val_unknown_opcode_mid_chain(struct cx *c)
{
	nop(c, 1, LINK);
	sqe(c, 250, 2, LINK);
	nop(c, 3, 0);
	ex(c, 1, -ECANCELED, 0);
	ex(c, 2, -EINVAL, 0);
	ex(c, 3, -ECANCELED, 0);
	run(c);
}

/* Two invalid members: each keeps its own error (io_fail_links keeps a failed member's res). */
static void val_two_invalid(struct cx *c)
{
	nop(c, 1, LINK);
	nop(c, 2, LINK | C_SQE_UNKNOWN_FLAG);
	nop(c, 3, LINK);
	sqe(c, 250, 4, LINK);
	nop(c, 5, 0);
	ex(c, 1, -ECANCELED, 0);
	ex(c, 2, -EINVAL, 0);
	ex(c, 3, -ECANCELED, 0);
	ex(c, 4, -EINVAL, 0);
	ex(c, 5, -ECANCELED, 0);
	run(c);
}

/*
 * The invalid member is the head.
 * Kernel: io_uring.c io_init_req, io_submit_fail_init, io_queue_sqe_fallback.
 */
static void val_invalid_head(struct cx *c)
{
	nop(c, 1, LINK | C_SQE_UNKNOWN_FLAG);
	nop(c, 2, LINK);
	nop(c, 3, 0);
	ex(c, 1, -EINVAL, 0);
	ex(c, 2, -ECANCELED, 0);
	ex(c, 3, -ECANCELED, 0);
	run(c);
}

/*
 * A skipping head of a chain that fails at submit: only the head posts.
 * Kernel: io_uring.c io_init_req, io_submit_fail_init, io_queue_sqe_fallback.
 */
static void val_invalid_chain_skipping_head(struct cx *c)
{
	nop(c, 1, LINK | SKIP);
	nop(c, 2, LINK | C_SQE_UNKNOWN_FLAG);
	nop(c, 3, 0);
	ex(c, 1, -ECANCELED, 0);
	run(c);
}

/*
 * Nothing of a chain that fails at submit ran: a write in it never happened.
 * Kernel: io_uring.c io_init_req, io_submit_fail_init, io_queue_sqe_fallback.
 */
static void val_invalid_chain_nothing_ran(struct cx *c)
{
	int p[2];

	mkpipe(c, p);
	wr(c, 1, LINK, p[1], "abc", 3, 0);
	nop(c, 2, C_SQE_UNKNOWN_FLAG);
	ex(c, 1, -ECANCELED, 0);
	ex(c, 2, -EINVAL, 0);
	run(c);
	padd(c, 3, 0, p[0], POLLIN, 0);
	prm(c, 4, 0, 3);
	ex(c, 4, 0, 0);
	ex(c, 3, -ECANCELED, 0);
	run(c);
}

/*
 * IOSQE_ASYNC: the nop runs from io-wq; same result.
 * Kernel: io_uring.c io_queue_iowq (IOSQE_ASYNC: REQ_F_FORCE_ASYNC), io_fail_links.
 */
static void async_nop(struct cx *c)
{
	nop(c, 1, IOSQE_ASYNC);
	ex(c, 1, 0, 0);
	run(c);
}

/*
 * A failing op forced async still breaks its link.
 * Kernel: io_uring.c io_queue_iowq (IOSQE_ASYNC: REQ_F_FORCE_ASYNC), io_fail_links.
 */
static void async_fail_breaks_link(struct cx *c)
{
	bad(c, 1, IOSQE_ASYNC | LINK);
	nop(c, 2, 0);
	ex(c, 1, -EBADF, 0);
	ex(c, 2, -ECANCELED, 0);
	run(c);
}

/*
 * Hard link after a cancelled head: the rest runs.
 * Kernel: io_uring.c io_disarm_next (REQ_F_HARDLINK: no io_fail_links); liburing
 *   test/hardlink.c.
 */
static void hardlink_cancelled_head(struct cx *c)
{
	int p[2];

	mkpipe(c, p);
	pend(c, 1, HARD, p[0]);
	nop(c, 2, 0);
	cnl(c, 3, 0, 1, 0, 0);
	ex(c, 3, 0, 0);
	ex(c, 1, -ECANCELED, 0);
	ex(c, 2, 0, 0);
	run(c);
}

/*
 * A hard-linked fired linked timeout: the op's failure does not break a hard link.
 * Kernel: io_uring.c io_disarm_next (REQ_F_HARDLINK: no io_fail_links); liburing
 *   test/hardlink.c.
 */
static void hardlink_ltimeout_fires(struct cx *c)
{
	int p[2];

	mkpipe(c, p);
	pend(c, 1, HARD, p[0]);
	ltmo(c, 2, HARD, ms(c, 2), 0);
	nop(c, 3, 0);
	ex_group(c);
	ex_in(c, 1, 1, -ECANCELED, 0);
	ex_in(c, 1, 3, 0, 0);
	ex_in(c, 0, 2, -ETIME, 0);
	run(c);
}

/*
 * ================================================================ more: fields an op ignores
 */

/*
 * nop.c io_nop_prep reads nop_flags (and len, fd only with their flags): the rest is ignored.
 */
static void nop_ignores_fields(struct cx *c)
{
	struct io_uring_sqe *q = nop(c, 1, 0);

	q->addr = 0x1234;
	q->off = 99;
	q->len = 7;
	q->fd = 12345;
	ex(c, 1, 0, 0);
	run(c);
}

/* NOP_FIXED_BUFFER with no registered buffers: io_nop -> -EFAULT. */
static void nop_fixed_buffer_none(struct cx *c)
{
	nopx(c, 1, 0, C_NOP_FIXED_BUFFER, 0, -1);
	ex(c, 1, -EFAULT, 0);
	run(c);
}

/*
 * readv with no iovecs (NULL, 0): nothing to import, res 0.
 * Kernel: rw.c io_prep_rwv, io_read.
 */
static void readv_zero_iovecs(struct cx *c)
{
	int fd = mkfile(c, "abc", 3);

	rdv(c, 1, 0, fd, NULL, 0, 0);
	ex(c, 1, 0, 0);
	run(c);
}

/*
 * readv of a file: the iovecs are filled in order, res the total.
 * Kernel: rw.c io_prep_rwv, io_read.
 */
static void readv_two_iovecs(struct cx *c)
{
	int fd = mkfile(c, "abcdef", 6);
	struct iovec *iov = c->iov;

	iov[0] = (struct iovec){ cbuf(c), 2 };
	iov[1] = (struct iovec){ cbuf(c), 8 };
	rdv(c, 1, LINK, fd, iov, 2, 0);
	nop(c, 2, 0);
	ex(c, 1, 6, 0);  /* 6 of 10: short, breaks the link */
	ex(c, 2, -ECANCELED, 0);
	run(c);
}

/*
 * A read at an offset past the end: 0.
 * Kernel: rw.c io_read, io_kiocb_update_pos.
 */
static void read_past_eof(struct cx *c)
{
	int fd = mkfile(c, "abc", 3);

	rd(c, 1, 0, fd, cbuf(c), 4, 100);
	ex(c, 1, 0, 0);
	run(c);
}

/*
 * A write at an offset, then a read back of the whole file (hole filled with zeroes).
 * Kernel: rw.c io_write, io_rw_init_file (FMODE_WRITE).
 */
static void write_at_offset(struct cx *c)
{
	int fd = mkfile(c, "abc", 3);

	wr(c, 1, LINK, fd, "xyz", 3, 10);
	rd(c, 2, 0, fd, cbuf(c), 32, 0);
	ex(c, 1, 3, 0);
	ex(c, 2, 13, 0);
	run(c);
}

/*
 * A read with offset -1 uses and advances the file position.
 * Kernel: rw.c io_read, io_kiocb_update_pos.
 */
static void read_file_position(struct cx *c)
{
	int fd = mkfile(c, "abcdef", 6);

	rd(c, 1, LINK, fd, cbuf(c), 4, (uint64_t)-1);
	rd(c, 2, LINK, fd, cbuf(c), 4, (uint64_t)-1);
	nop(c, 3, 0);
	ex(c, 1, 4, 0);
	ex(c, 2, 2, 0);
	ex(c, 3, -ECANCELED, 0);
	run(c);
}

/*
 * A write to a read-only fd: -EBADF at issue.
 * Kernel: rw.c io_write, io_rw_init_file (FMODE_WRITE).
 */
static void write_readonly_fd(struct cx *c)
{
	const char *path;
	int fd;

	mkfile_named(c, "abc", 3, &path);
	fd = setup_run(c, openat_op(c, 0, 0, path, O_RDONLY | O_CLOEXEC, 0));
	if (fd < 0)
		c_bail(c, "open: %d", fd);
	keep_fd(c, fd);
	wr(c, 1, 0, fd, "x", 1, 0);
	ex(c, 1, -EBADF, 0);
	run(c);
}

/*
 * openat of a missing file without O_CREAT: -ENOENT.
 * Kernel: openclose.c io_openat2.
 */
static void openat_missing(struct cx *c)
{
	openat_op(c, 1, 0, mkpath(c), O_RDONLY | O_CLOEXEC, 0);
	ex(c, 1, -ENOENT, 0);
	run(c);
}

/*
 * statx with a buffer that is no memory: the lookup comes first (a missing
 * path: -ENOENT), the copy out after it (an existing one: -EFAULT).
 * Kernel: fs/stat.c do_statx(): vfs_statx(), then cp_statx().
 */
static void statx_efault_after_lookup(struct cx *c)
{
	struct io_uring_sqe *q;

	q = sqe(c, IORING_OP_STATX, 1, 0);
	q->fd = AT_FDCWD, q->addr = (uint64_t)(uintptr_t)mkpath(c), q->len = 0x7ff;
	q->off = 8; /* sqe->addr2: the statx buffer, an address no one maps */
	q = sqe(c, IORING_OP_STATX, 2, 0);
	q->fd = AT_FDCWD, q->addr = (uint64_t)(uintptr_t)"/tmp", q->len = 0x7ff;
	q->off = 8;
	ex(c, 1, -ENOENT, 0);
	ex_set(c, 2, -EFAULT, 0); /* io_statx_prep(): REQ_F_FORCE_ASYNC, io-wq's order */
	run(c);
}

/*
 * close of an fd twice: 0 then -EBADF.
 * Kernel: openclose.c io_close.
 */
static void close_twice(struct cx *c)
{
	int p[2];

	mkpipe(c, p);
	closeop(c, 1, LINK, p[1]);
	closeop(c, 2, 0, p[1]);
	ex(c, 1, 0, 0);
	ex(c, 2, -EBADF, 0);
	run(c);
}

/* ================================================================ more: poll remove */

/* poll.c io_poll_remove_prep: buf_index reserved -> -EINVAL. */
static void poll_remove_reserved(struct cx *c)
{
	prm(c, 1, 0, 99)->buf_index = 1;
	ex(c, 1, -EINVAL, 0);
	run(c);
}

/*
 * io_poll_remove_prep: a new user_data (off) without
 * IORING_POLL_UPDATE_USER_DATA, or events without IORING_POLL_UPDATE_EVENTS
 * -> -EINVAL; the poll stays.
 */
static void poll_remove_fields_without_update(struct cx *c)
{
	int p[2];

	mkpipe(c, p);
	padd(c, 1, 0, p[0], POLLIN, 0);
	pupd(c, 2, 0, 1, 7, 0, 0);
	pupd(c, 3, 0, 1, 0, POLLIN, 0);
	ex(c, 2, -EINVAL, 0);
	ex(c, 3, -EINVAL, 0);
	run(c);
	prm(c, 4, 0, 1);
	ex(c, 4, 0, 0);
	ex(c, 1, -ECANCELED, 0);
	run(c);
}

/*
 * A poll that already completed cannot be removed: -ENOENT.
 * Kernel: poll.c io_poll_add_prep, io_poll_add, io_poll_remove_prep, io_poll_remove; liburing
 *   test/poll-cancel.c.
 */
static void poll_remove_completed(struct cx *c)
{
	int p[2];

	mkpipe(c, p);
	wr(c, 1, 0, p[1], "a", 1, 0);
	padd(c, 2, 0, p[0], POLLIN, 0);
	ex(c, 1, 1, 0);
	ex(c, 2, POLLIN, 0);
	run(c);
	prm(c, 3, 0, 2);
	ex(c, 3, -ENOENT, 0);
	run(c);
}

/*
 * Two polls on one pipe: one write wakes both.
 * Kernel: poll.c io_poll_add_prep, io_poll_add, io_poll_remove_prep, io_poll_remove; liburing
 *   test/poll-cancel.c.
 */
static void poll_two_woken(struct cx *c)
{
	int p[2];

	mkpipe(c, p);
	padd(c, 1, 0, p[0], POLLIN, 0);
	padd(c, 2, 0, p[0], POLLIN, 0);
	run(c);
	wr(c, 3, 0, p[1], "a", 1, 0);
	ex(c, 3, 1, 0);
	ex(c, 1, POLLIN, 0);
	ex_set(c, 2, POLLIN, 0);
	run(c);
}

/*
 * A poll in a link: its completion (a mask, > 0) is a success, the chain goes on.
 * Kernel: poll.c io_poll_add_prep, io_poll_add, io_poll_remove_prep, io_poll_remove; liburing
 *   test/poll-cancel.c.
 */
static void poll_in_link(struct cx *c)
{
	int p[2];

	mkpipe(c, p);
	wr(c, 1, 0, p[1], "a", 1, 0);
	padd(c, 2, LINK, p[0], POLLIN, 0);
	nop(c, 3, 0);
	ex(c, 1, 1, 0);
	ex(c, 2, POLLIN, 0);
	ex(c, 3, 0, 0);
	run(c);
}

/* ================================================================ more: skip and overflow */

/*
 * A skipped success posts nothing, yet the ring stays usable for more.
 * Kernel: io_uring.c io_init_req (drain_disabled), req_set_fail (REQ_F_SKIP_LINK_CQES);
 *   liburing test/skip-cqe.c.
 */
static void skip_many(struct cx *c)
{
	unsigned i;

	for (i = 1; i <= 12; i++)
		nop(c, i, i == 12 ? 0 : SKIP);
	ex(c, 12, 0, 0);
	run(c);
}

/*
 * CQE_SKIP on a timeout that is removed: -ECANCELED is a failure, posted.
 * Kernel: io_uring.c io_init_req (drain_disabled), req_set_fail (REQ_F_SKIP_LINK_CQES);
 *   liburing test/skip-cqe.c.
 */
static void skip_timeout_removed(struct cx *c)
{
	tmo(c, 1, SKIP, ts(c, 10, 0), 0, 0);
	trm(c, 2, SKIP, 1, 0);
	ex(c, 1, -ECANCELED, 0);
	run(c);
}

/*
 * CQE_SKIP on a count timeout met: res 0 is a success, skipped.
 * Kernel: io_uring.c io_init_req (drain_disabled), req_set_fail (REQ_F_SKIP_LINK_CQES);
 *   liburing test/skip-cqe.c.
 */
static void skip_count_timeout_met(struct cx *c)
{
	tmo(c, 1, SKIP, ts(c, 10, 0), 1, 0);
	nop(c, 2, 0);
	ex(c, 2, 0, 0);
	run(c);
}

/*
 * Overflow: a CQ of 8 and 14 CQEs (20 nops, 6 skipped) without reaping, all in order.
 * Kernel: io_uring.c io_cqring_event_overflow, __io_cqring_overflow_flush (IORING_FEAT_NODROP).
 */
static void overflow_long(struct cx *c)
{
	unsigned r, i, ud = 1;

	for (r = 0; r < 5; r++) {
		for (i = 0; i < 4; i++, ud++)
			nop(c, ud, ud % 3 == 0 ? SKIP : 0);
		submit4(c, r);
	}
	for (i = 1; i < ud; i++)
		if (i % 3)
			ex(c, i, 0, 0);
	run(c);
}

/* ================================================================ more: drain, SQ order */

/*
 * A cancel behind an active drain is deferred too: by the time it runs, its target is done.
 * Kernel: io_uring.c io_drain_req, io_queue_deferred; liburing test/defer.c, test/link_drain.c.
 */
static void drain_cancel_deferred(struct cx *c)
{
	tmo(c, 1, 0, ms(c, 2), 0, 0);
	nop(c, 2, DRAIN);
	cnl(c, 3, 0, 1, 0, 0);
	ex(c, 1, -ETIME, 0);
	ex(c, 2, 0, 0);
	ex(c, 3, -ENOENT, 0);
	run(c);
}

/*
 * A drained hard chain: waits, then its failing head does not stop it.
 * Kernel: io_uring.c io_drain_req, io_queue_deferred; liburing test/defer.c, test/link_drain.c.
 */
static void drain_hardlink_chain(struct cx *c)
{
	tmo(c, 1, 0, ms(c, 2), 0, 0);
	bad(c, 2, DRAIN | HARD);
	nop(c, 3, 0);
	ex(c, 1, -ETIME, 0);
	ex(c, 2, -EBADF, 0);
	ex(c, 3, 0, 0);
	run(c);
}

/*
 * A drained chain with a linked timeout: the timeout is part of the chain the next request
 * waits for.
 * Kernel: io_uring.c io_drain_req, io_queue_deferred; liburing test/defer.c, test/link_drain.c.
 */
static void drain_with_ltimeout(struct cx *c)
{
	tmo(c, 1, 0, ms(c, 2), 0, 0);
	nop(c, 2, DRAIN | LINK);
	ltmo(c, 3, 0, ts(c, 10, 0), 0);
	nop(c, 4, 0);
	ex(c, 1, -ETIME, 0);
	ex(c, 2, 0, 0);
	ex(c, 3, -ECANCELED, 0);
	ex(c, 4, 0, 0);
	run(c);
}

/*
 * A drain waits for a failed request's chain too (all of it is freed first).
 * Kernel: io_uring.c io_drain_req, io_queue_deferred; liburing test/defer.c, test/link_drain.c.
 */
static void drain_after_failed_chain(struct cx *c)
{
	tmo(c, 1, LINK, ms(c, 2), 0, 0);
	nop(c, 2, 0);
	nop(c, 3, DRAIN);
	ex(c, 1, -ETIME, 0);
	ex(c, 2, -ECANCELED, 0);
	ex(c, 3, 0, 0);
	run(c);
}

/*
 * A remove before its timeout in SQ order finds nothing.
 * Kernel: io_uring.c io_submit_sqes (inline issue in SQ order); cancel.c io_try_cancel.
 */
static void order_remove_before_timeout(struct cx *c)
{
	trm(c, 1, 0, 2, 0);
	tmo(c, 2, 0, ts(c, 10, 0), 0, 0);
	ex(c, 1, -ENOENT, 0);
	run(c);
	trm(c, 3, 0, 2, 0);
	ex(c, 3, 0, 0);
	ex(c, 2, -ECANCELED, 0);
	run(c);
}

/*
 * A poll remove before its poll in SQ order finds nothing.
 * Kernel: io_uring.c io_submit_sqes (inline issue in SQ order); cancel.c io_try_cancel.
 */
static void order_poll_remove_before_poll(struct cx *c)
{
	int p[2];

	mkpipe(c, p);
	prm(c, 1, 0, 2);
	padd(c, 2, 0, p[0], POLLIN, 0);
	ex(c, 1, -ENOENT, 0);
	run(c);
	prm(c, 3, 0, 2);
	ex(c, 3, 0, 0);
	ex(c, 2, -ECANCELED, 0);
	run(c);
}

/*
 * The linked timeout is armed when its chain is issued, inside the submit: an update after it
 * in the same submit finds it.
 * Kernel: io_uring.c io_submit_sqes (inline issue in SQ order); cancel.c io_try_cancel.
 */
static void order_ltimeout_update_same_submit(struct cx *c)
{
	int p[2];

	mkpipe(c, p);
	pend(c, 1, LINK, p[0]);
	ltmo(c, 2, 0, ts(c, 10, 0), 0);
	tupd(c, 3, 0, 2, ms(c, 2), IORING_TIMEOUT_UPDATE | IORING_LINK_TIMEOUT_UPDATE);
	ex(c, 3, 0, 0);
	ex(c, 1, -ECANCELED, 0);
	ex_set(c, 2, -ETIME, 0);
	run(c);
}

/*
 * A timeout update in the same submit, after its timeout: found.
 * Kernel: io_uring.c io_submit_sqes (inline issue in SQ order); cancel.c io_try_cancel.
 */
static void order_timeout_update_same_submit(struct cx *c)
{
	tmo(c, 1, 0, ts(c, 10, 0), 0, 0);
	tupd(c, 2, 0, 1, ms(c, 2), IORING_TIMEOUT_UPDATE);
	tupd(c, 3, 0, 1, ts(c, 10, 0), IORING_TIMEOUT_UPDATE);
	trm(c, 4, 0, 1, 0);
	ex(c, 2, 0, 0);
	ex(c, 3, 0, 0);
	ex(c, 4, 0, 0);
	ex(c, 1, -ECANCELED, 0);
	run(c);
}

/* ================================================================ table */

/* ================================================================ registered files and buffers */

/*
 * io_uring_register(2) through the backend (core/backend.h register_rsrc):
 * the kernel's result is part of the expectation.
 */
static void creg(struct cx *c, unsigned opcode, void *arg, unsigned nr, int want)
{
	int ret = c->be->ops->register_rsrc(c->be, opcode, arg, nr);

	if (ret != want)
		c_bail(c, "io_uring_register(%u) returned %d, the kernel gives %d", opcode, ret, want);
}

static void files_sparse(struct cx *c, unsigned nr)
{
	struct io_uring_rsrc_register rr;

	memset(&rr, 0, sizeof(rr));
	rr.nr = nr;
	rr.flags = IORING_RSRC_REGISTER_SPARSE;
	creg(c, IORING_REGISTER_FILES2, &rr, sizeof(rr), 0);
}

/* A read or write of a registered buffer (buf_index 0; the case sets another). */
static struct io_uring_sqe *rwf(struct cx *c, unsigned op, uint64_t ud, int fd, void *buf,
				unsigned len)
{
	struct io_uring_sqe *q = sqe(c, op, ud, 0);

	q->fd = fd;
	q->addr = (uint64_t)(uintptr_t)buf;
	q->len = len;
	return q;
}

/* A fixed-file read: sqe->fd is the slot. */
static struct io_uring_sqe *frd(struct cx *c, uint64_t ud, unsigned flags, int slot)
{
	return rd(c, ud, flags | IOSQE_FIXED_FILE, slot, cbuf(c), 8, 0);
}

static struct io_uring_sqe *files_upd(struct cx *c, uint64_t ud, unsigned flags, int *fds,
				      unsigned nr, uint64_t off)
{
	struct io_uring_sqe *q = sqe(c, IORING_OP_FILES_UPDATE, ud, flags);

	q->fd = 0;
	q->addr = (uint64_t)(uintptr_t)fds;
	q->len = nr;
	q->off = off;
	return q;
}

/*
 * An empty slot of a sparse table is -EBADF at issue (io_uring.c
 * io_assign_file() -> io_file_get_fixed(): no file), after the nop linked
 * before it ran; a slot past the table too. rsrc.c io_sqe_files_register():
 * -1 leaves a slot empty.
 */
static void fixed_sparse_slot_ebadf(struct cx *c)
{
	int fd = mkfile(c, "abcdefgh", 8), fds[2] = { -1, fd };

	creg(c, IORING_REGISTER_FILES, fds, 2, 0);
	nop(c, 1, LINK);
	frd(c, 2, LINK, 0);
	nop(c, 3, 0);
	ex(c, 1, 0, 0);
	ex(c, 2, -EBADF, 0);
	ex(c, 3, -ECANCELED, 0);
	run(c);
	frd(c, 4, 0, 1);
	ex(c, 4, 8, 0);
	run(c);
	frd(c, 5, 0, 2);
	ex(c, 5, -EBADF, 0);
	run(c);
	creg(c, IORING_REGISTER_FILES, fds, 2, -EBUSY);
}

/*
 * rsrc.c io_files_update() -> __io_sqe_files_update(): -1 empties a slot
 * (it counts as done); the slot then reads -EBADF. Past the table -EINVAL,
 * no table -ENXIO; io_files_update_prep(): IOSQE_FIXED_FILE and len 0 are
 * -EINVAL at submit (the chain fails at once).
 */
static void fixed_update_minus1(struct cx *c)
{
	int fd = mkfile(c, "abcdefgh", 8), fds[2] = { fd, fd };
	static int m1[1] = { -1 };

	files_upd(c, 1, 0, fds, 1, 0);
	ex(c, 1, -ENXIO, 0);
	run(c);
	creg(c, IORING_REGISTER_FILES, fds, 2, 0);
	files_upd(c, 2, 0, m1, 1, 1);
	ex(c, 2, 1, 0);
	run(c);
	frd(c, 3, 0, 1);
	frd(c, 4, 0, 0);
	ex(c, 3, -EBADF, 0);
	ex(c, 4, 8, 0);
	run(c);
	files_upd(c, 5, 0, fds, 1, 2);
	ex(c, 5, -EINVAL, 0);
	run(c);
	nop(c, 6, LINK);
	files_upd(c, 7, IOSQE_FIXED_FILE, fds, 1, 0);
	ex(c, 6, -ECANCELED, 0);
	ex(c, 7, -EINVAL, 0);
	run(c);
	files_upd(c, 8, 0, fds, 0, 0);
	ex(c, 8, -EINVAL, 0);
	run(c);
}

/*
 * filetable.c io_file_bitmap_get(): IORING_FILE_INDEX_ALLOC takes a free
 * slot (its index is the result, and FILES_UPDATE writes it back), -ENFILE
 * once the table is full; with no table at all -ENFILE too (no bitmap),
 * where a given slot is -ENXIO (io_install_fixed_file()).
 */
static void fixed_alloc_full_enfile(struct cx *c)
{
	int fd = mkfile(c, "abcdefgh", 8);
	static int fds[2];
	struct io_uring_sqe *q;

	q = sqe(c, IORING_OP_SOCKET, 1, 0);
	q->fd = AF_INET;
	q->off = SOCK_STREAM;
	q->file_index = IORING_FILE_INDEX_ALLOC;
	q = sqe(c, IORING_OP_SOCKET, 2, 0);
	q->fd = AF_INET;
	q->off = SOCK_STREAM;
	q->file_index = 1;
	ex(c, 1, -ENFILE, 0);
	ex(c, 2, -ENXIO, 0);
	run(c);
	files_sparse(c, 2);
	fds[0] = fds[1] = fd;
	files_upd(c, 3, 0, fds, 1, IORING_FILE_INDEX_ALLOC);
	ex(c, 3, 1, 0);
	run(c);
	if (fds[0] != 0)
		c_bail(c, "FILES_UPDATE wrote back slot %d, not 0", fds[0]);
	q = sqe(c, IORING_OP_SOCKET, 4, 0);
	q->fd = AF_INET;
	q->off = SOCK_STREAM;
	q->file_index = IORING_FILE_INDEX_ALLOC;
	ex(c, 4, 1, 0);
	run(c);
	q = sqe(c, IORING_OP_SOCKET, 5, 0);
	q->fd = AF_INET;
	q->off = SOCK_STREAM;
	q->file_index = IORING_FILE_INDEX_ALLOC;
	fds[0] = fd;
	files_upd(c, 6, 0, fds, 2, IORING_FILE_INDEX_ALLOC);
	ex(c, 5, -ENFILE, 0);
	ex(c, 6, -ENFILE, 0);
	run(c);
	if (fds[0] != fd)
		c_bail(c, "a failed allocation wrote back %d", fds[0]);
}

/*
 * nop.c io_nop(): IORING_NOP_FIXED_FILE takes sqe->fd as a slot
 * (io_file_get_fixed(): -EBADF when empty), IORING_NOP_FIXED_BUFFER looks
 * buffer sqe->buf_index up (io_find_buf_node(): -EFAULT when there is none).
 */
static void fixed_nop_tables(struct cx *c)
{
	int fd = mkfile(c, "ab", 2), fds[2] = { fd, -1 };
	struct iovec iov[2] = { { cbuf(c), 64 }, { NULL, 0 } };

	creg(c, IORING_REGISTER_FILES, fds, 2, 0);
	creg(c, IORING_REGISTER_BUFFERS, iov, 2, 0);
	nopx(c, 1, 0, C_NOP_FILE | C_NOP_FIXED_FILE, 0, 0);
	nopx(c, 2, 0, C_NOP_FILE | C_NOP_FIXED_FILE, 0, 1);
	nopx(c, 3, 0, C_NOP_FIXED_BUFFER, 0, -1)->buf_index = 0;
	nopx(c, 4, 0, C_NOP_FIXED_BUFFER, 0, -1)->buf_index = 1;
	nopx(c, 5, 0, C_NOP_FIXED_BUFFER, 0, -1)->buf_index = 2;
	ex(c, 1, 0, 0);
	ex(c, 2, -EBADF, 0);
	ex(c, 3, 0, 0);
	ex(c, 4, -EFAULT, 0);
	ex(c, 5, -EFAULT, 0);
	run(c);
}

/*
 * rw.c io_prep_readv_fixed() -> io_rw_prep_reg_vec(): the iovec array is
 * copied at prep (iovec_from_user(): over UIO_MAXIOV -EINVAL, failing the
 * chain at submit); its segments are checked against the registered buffer
 * at issue (io_rw_import_reg_vec() -> io_import_reg_vec(): -EFAULT, after
 * the nop linked before it ran).
 */
static void fixed_readv_checks(struct cx *c)
{
	int fd = mkfile(c, "abcdefgh", 8);
	char *b = cbuf(c), *other = cbuf(c);
	struct iovec reg = { b, 64 };
	static struct iovec v[2];
	struct io_uring_sqe *q;

	creg(c, IORING_REGISTER_BUFFERS, &reg, 1, 0);
	v[0].iov_base = b;
	v[0].iov_len = 3;
	v[1].iov_base = b + 60;
	v[1].iov_len = 4;
	nop(c, 1, LINK);
	q = rwf(c, ARING_OP_READV_FIXED, 2, fd, v, 1025);
	ex(c, 1, -ECANCELED, 0);
	ex(c, 2, -EINVAL, 0);
	run(c);
	q = rwf(c, ARING_OP_READV_FIXED, 3, fd, v, 2);
	ex(c, 3, 7, 0);
	run(c);
	v[1].iov_base = other;
	nop(c, 4, LINK);
	q = rwf(c, ARING_OP_READV_FIXED, 5, fd, v, 2);
	ex(c, 4, 0, 0);
	ex(c, 5, -EFAULT, 0);
	run(c);
	(void)q;
}

static struct io_uring_sqe *sock_direct(struct cx *c, uint64_t ud, unsigned file_index)
{
	struct io_uring_sqe *q = sqe(c, IORING_OP_SOCKET, ud, 0);

	q->fd = AF_INET;
	q->off = SOCK_STREAM;
	q->file_index = file_index;
	return q;
}

/*
 * filetable.c io_file_bitmap_get() with an allocation range
 * (io_register_file_alloc_range()): a hint outside the range (here 0, the
 * slot last emptied) restarts at the range's start; nothing outside the
 * range is allocated. Linux 6.18 carries that fix; without it slot 0 would
 * be taken.
 */
static void fixed_alloc_range(struct cx *c)
{
	struct io_uring_file_index_range r = { .off = 2, .len = 2 };
	struct io_uring_sqe *q;

	files_sparse(c, 4);
	creg(c, IORING_REGISTER_FILE_ALLOC_RANGE, &r, 0, 0);
	sock_direct(c, 1, 1);
	ex(c, 1, 0, 0);
	run(c);
	q = closeop(c, 2, 0, 0);
	q->file_index = 1;
	ex(c, 2, 0, 0);
	run(c);
	sock_direct(c, 3, IORING_FILE_INDEX_ALLOC);
	sock_direct(c, 4, IORING_FILE_INDEX_ALLOC);
	sock_direct(c, 5, IORING_FILE_INDEX_ALLOC);
	ex(c, 3, 2, 0);
	ex(c, 4, 3, 0);
	ex(c, 5, -ENFILE, 0);
	run(c);
	r.off = 3;
	creg(c, IORING_REGISTER_FILE_ALLOC_RANGE, &r, 0, -EINVAL);
}

/*
 * openclose.c io_close() -> io_close_fixed() -> filetable.c
 * io_fixed_fd_remove(): -ENXIO with no table, -EINVAL past it, -EBADF for
 * an empty slot; io_close_prep(): a slot and an fd both -EINVAL.
 * io_install_fixed_fd(): an empty slot is -EBADF (io_assign_file()).
 */
static void fixed_close_edges(struct cx *c)
{
	struct io_uring_sqe *q;

	q = closeop(c, 1, 0, 0);
	q->file_index = 1;
	ex(c, 1, -ENXIO, 0);
	run(c);
	files_sparse(c, 2);
	q = closeop(c, 2, 0, 0);
	q->file_index = 2;
	q = closeop(c, 3, 0, 0);
	q->file_index = 3;
	q = closeop(c, 4, 0, 5);
	q->file_index = 1;
	q = sqe(c, ARING_OP_FIXED_FD_INSTALL, 5, IOSQE_FIXED_FILE);
	q->fd = 0;
	ex(c, 2, -EBADF, 0);
	ex(c, 3, -EINVAL, 0);
	ex(c, 4, -EINVAL, 0);
	ex(c, 5, -EBADF, 0);
	run(c);
}

/*
 * cancel.c io_async_cancel(): IORING_ASYNC_CANCEL_FD_FIXED takes the slot's
 * file (io_file_get_fixed()) and cancels the requests on it; an empty slot
 * is -EBADF.
 */
static void fixed_cancel_fd_slot(struct cx *c)
{
	int p[2], fds[2];

	mkpipe(c, p);
	fds[0] = p[0];
	fds[1] = -1;
	creg(c, IORING_REGISTER_FILES, fds, 2, 0);
	frd(c, 1, 0, 0);
	run(c);
	cnl(c, 2, 0, 0, IORING_ASYNC_CANCEL_FD | IORING_ASYNC_CANCEL_FD_FIXED, 1);
	ex(c, 2, -EBADF, 0);
	run(c);
	cnl(c, 3, 0, 0, IORING_ASYNC_CANCEL_FD | IORING_ASYNC_CANCEL_FD_FIXED, 0);
	ex(c, 3, 0, 0);
	ex(c, 1, -ECANCELED, 0);
	run(c);
}

/*
 * rsrc.c io_import_reg_buf() -> io_import_fixed(): a range outside the
 * registered buffer is -EFAULT, at issue (the nop linked before it ran);
 * a range at its very end is fine.
 */
static void fixed_buf_range_efault(struct cx *c)
{
	int fd = mkfile(c, "abcdefghijklmnop", 16);
	char *b = cbuf(c);
	struct iovec iov = { b, 64 };
	struct io_uring_sqe *q;

	creg(c, IORING_REGISTER_BUFFERS, &iov, 1, 0);
	nop(c, 1, LINK);
	q = rwf(c, IORING_OP_READ_FIXED, 2, fd, b + 60, 8);
	q->buf_index = 0;
	ex(c, 1, 0, 0);
	ex(c, 2, -EFAULT, 0);
	run(c);
	q = rwf(c, IORING_OP_READ_FIXED, 3, fd, b + 56, 8);
	q->buf_index = 0;
	q = rwf(c, IORING_OP_WRITE_FIXED, 4, fd, b - 1, 8);
	q->buf_index = 0;
	ex(c, 3, 8, 0);
	ex(c, 4, -EFAULT, 0);
	run(c);
	creg(c, IORING_REGISTER_BUFFERS, &iov, 1, -EBUSY);
}

/*
 * A buf_index past the table, an empty slot, or no table at all: rsrc.c
 * io_find_buf_node() finds no node and io_import_reg_buf() gives -EFAULT
 * (Linux 6.18; older kernels checked buf_index at prep, with the same
 * -EFAULT), at issue.
 */
static void fixed_buf_index_efault(struct cx *c)
{
	int fd = mkfile(c, "abcdefgh", 8);
	char *b = cbuf(c);
	struct iovec iov[2] = { { b, 64 }, { NULL, 0 } };
	struct io_uring_sqe *q;

	q = rwf(c, IORING_OP_READ_FIXED, 1, fd, b, 8);
	ex(c, 1, -EFAULT, 0);
	run(c);
	creg(c, IORING_REGISTER_BUFFERS, iov, 2, 0);
	nop(c, 2, LINK);
	q = rwf(c, IORING_OP_READ_FIXED, 3, fd, b, 8);
	q->buf_index = 2;
	q = rwf(c, IORING_OP_READ_FIXED, 4, fd, b, 8);
	q->buf_index = 1;
	q = rwf(c, IORING_OP_READ_FIXED, 5, fd, b, 8);
	q->buf_index = 0;
	/* 3 is issued from task work once the nop completed: after 4 and 5 */
	ex(c, 2, 0, 0);
	ex(c, 4, -EFAULT, 0);
	ex(c, 5, 8, 0);
	ex(c, 3, -EFAULT, 0);
	run(c);
	creg(c, IORING_UNREGISTER_BUFFERS, NULL, 0, 0);
	creg(c, IORING_UNREGISTER_BUFFERS, NULL, 0, -ENXIO);
}

#define C(fn) { #fn, fn, 0 }
#define CE(fn, e) { #fn, fn, e }
/* ================================================================ fidelity (man-page findings) */

static char big_buf[128 * 1024];  /* two pipes' worth */
#define F_RWF_NOAPPEND 0x20u   /* uapi linux/fs.h, newer than this libc */
#define F_RWF_ATOMIC   0x40u
#define F_RWF_NOSIGNAL 0x100u
#define F_O_NOTIFICATION_PIPE O_EXCL

/*
 * O_NONBLOCK does not make io_uring's read give -EAGAIN: rw.c io_read()
 * tries nonblocking, gets -EAGAIN and arms poll (io_arm_poll_handler());
 * only RWF_NOWAIT (REQ_F_NOWAIT) completes with it. Checked on Linux 6.18.
 */
static void nonblock_pipe_read_waits(struct cx *c)
{
	int p[2];

	mkpipe2(c, p, O_NONBLOCK);
	pend(c, 1, LINK, p[0]);
	ltmo(c, 2, 0, ms(c, 2), 0);
	ex(c, 1, -ECANCELED, 0);
	ex_set(c, 2, -ETIME, 0);
	run(c);
	rd(c, 3, 0, p[0], cbuf(c), 8, 0)->rw_flags = RWF_NOWAIT;
	ex(c, 3, -EAGAIN, 0);
	run(c);
}

/*
 * A write bigger than the room completes short: fs/pipe.c pipe_write()
 * under IOCB_NOWAIT moves what fits and rw.c io_write() completes it
 * (need_complete_io() is false for a pipe); a write into a full pipe waits,
 * O_NONBLOCK or not (poll armed). 64 KiB = the default 16 pages.
 */
static void nonblock_pipe_write_short(struct cx *c)
{
	int p[2];

	mkpipe2(c, p, O_NONBLOCK);
	wr(c, 1, 0, p[1], big_buf, sizeof(big_buf), 0);
	ex(c, 1, 65536, 0);
	run(c);
	wr(c, 2, LINK, p[1], "abc", 3, 0);
	ltmo(c, 3, 0, ms(c, 2), 0);
	ex(c, 2, -ECANCELED, 0);
	ex_set(c, 3, -ETIME, 0);
	run(c);
}

/* The same on a blocking pipe; and a write waits for room only while none is free. */
static void pipe_write_short(struct cx *c)
{
	int p[2];

	mkpipe(c, p);
	wr(c, 1, 0, p[1], big_buf, sizeof(big_buf), 0);
	ex(c, 1, 65536, 0);
	run(c);
	rd(c, 2, 0, p[0], big_buf, 4096, 0);
	ex(c, 2, 4096, 0);
	run(c);
	wr(c, 3, 0, p[1], big_buf, 10000, 0);
	ex(c, 3, 4096, 0);
	run(c);
}

/*
 * An offset below -1 is -EINVAL on a pipe too (rw.c io_kiocb_update_pos()
 * keeps it, fs/read_write.c rw_verify_area() refuses pos < 0); any other
 * offset is ignored on a stream.
 */
static void pipe_offset_below_minus1(struct cx *c)
{
	int p[2];

	mkpipe(c, p);
	wr(c, 1, 0, p[1], "ab", 2, (uint64_t)-2);
	wr(c, 2, 0, p[1], "ab", 2, (uint64_t)-5);
	wr(c, 3, 0, p[1], "ab", 2, 5);
	rd(c, 4, 0, p[0], cbuf(c), 8, (uint64_t)-2);
	rd(c, 5, 0, p[0], cbuf(c), 8, 7);
	ex(c, 1, -EINVAL, 0);
	ex(c, 2, -EINVAL, 0);
	ex(c, 3, 2, 0);
	ex(c, 4, -EINVAL, 0);
	ex(c, 5, 2, 0);
	run(c);
}

/*
 * kernel fs/sync.c sync_file_range(): a pipe is -ESPIPE; sync.c io_fsync():
 * -EINVAL. Both go to io-wq (they cannot run nonblocking), whose workers
 * finish them in either order (the epoll backend's offload pool too).
 */
static void pipe_sync_ops(struct cx *c)
{
	int p[2];
	struct io_uring_sqe *q;

	mkpipe(c, p);
	q = sqe(c, IORING_OP_SYNC_FILE_RANGE, 1, 0);
	q->fd = p[0];
	q = sqe(c, IORING_OP_FSYNC, 2, 0);
	q->fd = p[0];
	ex(c, 1, -ESPIPE, 0);
	ex_set(c, 2, -EINVAL, 0);
	run(c);
}

/*
 * RWF flags (include/linux/fs.h kiocb_set_rw_flags()): unknown ones are
 * -EOPNOTSUPP, as are RWF_ATOMIC on a pipe; RWF_NOAPPEND and RWF_NOSIGNAL
 * are accepted; RWF_HIPRI without an IOPOLL ring is -EINVAL (rw.c
 * io_rw_init_file()), on a pipe and on a file.
 */
static void rw_flags_checked(struct cx *c)
{
	int p[2], fd = mkfile(c, "abcdef", 6);

	mkpipe(c, p);
	wr(c, 1, 0, p[1], "ab", 2, 0)->rw_flags = (int)F_RWF_NOAPPEND;
	wr(c, 2, 0, p[1], "ab", 2, 0)->rw_flags = (int)F_RWF_NOSIGNAL;
	wr(c, 3, 0, p[1], "ab", 2, 0)->rw_flags = 0x200;
	wr(c, 4, 0, p[1], "ab", 2, 0)->rw_flags = (int)F_RWF_ATOMIC;
	rd(c, 5, 0, p[0], cbuf(c), 2, 0)->rw_flags = RWF_HIPRI;
	rd(c, 6, 0, fd, cbuf(c), 2, 0)->rw_flags = RWF_HIPRI;
	rd(c, 7, 0, fd, cbuf(c), 2, 0)->rw_flags = (int)F_RWF_NOSIGNAL;
	rd(c, 8, 0, fd, cbuf(c), 2, (uint64_t)-2)->rw_flags = 0x200;
	ex(c, 1, 2, 0);
	ex(c, 2, 2, 0);
	ex(c, 3, -EOPNOTSUPP, 0);
	ex(c, 4, -EOPNOTSUPP, 0);
	ex(c, 5, -EINVAL, 0);
	ex(c, 6, -EINVAL, 0);
	ex(c, 7, 2, 0);
	ex(c, 8, -EOPNOTSUPP, 0);
	run(c);
}

/* RWF_NOAPPEND writes an O_APPEND file at the given offset (kiocb_set_rw_flags()). */
static void rw_noappend(struct cx *c)
{
	const char *path = mkpath(c);
	char *b = cbuf(c);
	int fd;

	fd = setup_run(c, openat_op(c, 0, 0, path, O_RDWR | O_CREAT | O_APPEND, 0600));
	if (fd < 0)
		c_bail(c, "open: %d", fd);
	keep_fd(c, fd);
	wr(c, 1, 0, fd, "abcdef", 6, 0);
	ex(c, 1, 6, 0);
	run(c);
	wr(c, 2, 0, fd, "XY", 2, 0)->rw_flags = (int)F_RWF_NOAPPEND;
	ex(c, 2, 2, 0);
	run(c);
	rd(c, 3, 0, fd, b, 16, 0);
	ex(c, 3, 6, 0);
	run(c);
	if (memcmp(b, "XYcdef", 6))
		c_bail(c, "RWF_NOAPPEND wrote elsewhere: %.6s", b);
}

/*
 * IOSQE_FIXED_FILE only matters to an op that needs a file (io_uring.c
 * io_init_req() -> io_assign_file() at issue: -EBADF with no registered
 * files, as a bad fd, so a chain before it runs) and to the preps that
 * refuse it (openclose.c io_openat_prep()/io_close_prep(): -EBADF); nop,
 * timeout, cancel, socket and pipe ignore it.
 */
static void fixed_file_flag(struct cx *c)
{
	int *f = (int *)(void *)cbuf(c);
	struct io_uring_sqe *q;

	nop(c, 1, IOSQE_FIXED_FILE);
	tmo(c, 2, IOSQE_FIXED_FILE, ms(c, 1), 0, 0);
	cnl(c, 3, IOSQE_FIXED_FILE, 12345, 0, 0);
	openat_op(c, 4, IOSQE_FIXED_FILE, "/nonexistent-aring", 0, 0);
	closeop(c, 5, IOSQE_FIXED_FILE, 99);
	ex(c, 1, 0, 0);
	ex_set(c, 3, -ENOENT, 0);
	ex_set(c, 4, -EBADF, 0);
	ex_set(c, 5, -EBADF, 0);
	ex(c, 2, -ETIME, 0);
	run(c);
	if (!c->bd->real_fds || c->be->ops->has_op(c->be, ARING_OP_PIPE)) {
		q = sqe(c, ARING_OP_PIPE, 6, IOSQE_FIXED_FILE);
		q->fd = 0;
		q->addr = (uint64_t)(uintptr_t)f;
		ex(c, 6, 0, 0);
		run(c);
		keep_fd(c, f[0]);
		keep_fd(c, f[1]);
	}
}

/* A fixed-file read mid-chain fails at issue, after the nop before it ran. */
static void fixed_file_mid_chain(struct cx *c)
{
	nop(c, 1, LINK);
	rd(c, 2, LINK | IOSQE_FIXED_FILE, 0, cbuf(c), 8, 0);
	nop(c, 3, 0);
	ex(c, 1, 0, 0);
	ex(c, 2, -EBADF, 0);
	ex(c, 3, -ECANCELED, 0);
	run(c);
}

/*
 * fs/pipe.c: pipe2() takes O_NOTIFICATION_PIPE, and create_pipe_files() ->
 * watch_queue_init() fails it with -ENOPKG on a kernel built with
 * CONFIG_WATCH_QUEUE=n (Linux 6.18 here; the sim is such a kernel). Other
 * flags are -EINVAL (openclose.c io_pipe_prep()).
 */
static void pipe_notification_flag(struct cx *c)
{
	int *f = (int *)(void *)cbuf(c);
	struct io_uring_sqe *q;

	if (c->bd->real_fds && !c->be->ops->has_op(c->be, ARING_OP_PIPE))
		return;
	q = sqe(c, ARING_OP_PIPE, 1, 0);
	q->fd = 0;
	q->addr = (uint64_t)(uintptr_t)f;
	q->rw_flags = F_O_NOTIFICATION_PIPE;
	q = sqe(c, ARING_OP_PIPE, 2, 0);
	q->fd = 0;
	q->addr = (uint64_t)(uintptr_t)f;
	q->rw_flags = O_WRONLY;
	ex(c, 1, -ENOPKG, 0);
	ex(c, 2, -EINVAL, 0);
	run(c);
}

/*
 * A pipe holds 16 pages, not 64 KiB of bytes (fs/pipe.c pipe_write()): a
 * write's first (total_len % PAGE_SIZE) bytes merge into the last page if
 * they fit there, the rest takes whole free pages; a short count follows.
 */
static void pipe_write_pages(struct cx *c)
{
	int p[2];

	mkpipe(c, p);
	wr(c, 1, 0, p[1], big_buf, 100, 0);
	wr(c, 2, 0, p[1], big_buf, 3000, 0);  /* merged into page 1 */
	wr(c, 3, 0, p[1], big_buf, 65536, 0); /* 15 free pages */
	rd(c, 4, 0, p[0], big_buf, 4096, 0);  /* frees page 1 */
	ex(c, 1, 100, 0);
	ex(c, 2, 3000, 0);
	ex(c, 3, 61440, 0);
	ex(c, 4, 4096, 0);
	run(c);
	wr(c, 5, 0, p[1], big_buf, 5000, 0);  /* 904 do not fit the last page: one page */
	ex(c, 5, 4096, 0);
	run(c);
	wr(c, 6, LINK, p[1], "abc", 3, 0);
	ltmo(c, 7, 0, ms(c, 2), 0);
	ex(c, 6, -ECANCELED, 0);
	ex_set(c, 7, -ETIME, 0);
	run(c);
}

/*
 * IOSQE_ASYNC changes nothing here: io_uring.c io_wq_submit_work() issues a
 * forced-async request on a pollable file nonblocking too (needs_poll), so
 * the write is as short and a read of an empty pipe waits on poll.
 */
static void pipe_write_short_async(struct cx *c)
{
	int p[2];

	mkpipe(c, p);
	wr(c, 1, IOSQE_ASYNC, p[1], big_buf, sizeof(big_buf), 0);
	ex(c, 1, 65536, 0);
	run(c);
	rd(c, 2, IOSQE_ASYNC, p[0], big_buf, sizeof(big_buf), 0);
	ex(c, 2, 65536, 0);
	run(c);
}

/*
 * Access mode 3 (O_RDWR | O_WRONLY) opens: fs/open.c build_open_flags()
 * checks read and write permission for it, and OPEN_FMODE() gives the file
 * neither FMODE_READ nor FMODE_WRITE (an ioctl-only open), so a read or
 * a write on it is -EBADF (rw.c io_rw_init_file()).
 */
static void openat_accmode3(struct cx *c)
{
	const char *path = mkpath(c);
	int fd;

	fd = setup_run(c, openat_op(c, 0, 0, path, O_ACCMODE | O_CREAT | O_CLOEXEC, 0600));
	if (fd < 0)
		c_bail(c, "open with access mode 3: %d, not an fd", fd);
	keep_fd(c, fd);
	rd(c, 1, 0, fd, cbuf(c), 8, 0);
	wr(c, 2, 0, fd, "ab", 2, 0);
	ex(c, 1, -EBADF, 0);
	ex(c, 2, -EBADF, 0);
	run(c);
}

/* ================================================================ ops the sim models (docs/ops.md) */

static bool c_has(struct cx *c, unsigned op)
{
	return c->be->ops->has_op(c->be, op);
}

/*
 * io_uring/splice.c: io_tee_prep() refuses offsets, __io_splice_prep()
 * unknown flags; SPLICE_F_FD_IN_FIXED without a registered table finds no
 * input (-EBADF, also for a length of 0); fs/splice.c do_splice(): an
 * offset on a pipe -ESPIPE, the same pipe at both ends -EINVAL, neither end
 * a pipe -EINVAL; then a pipe-to-pipe move and a tee, and a short splice,
 * which fails its link.
 */
static void splice_tee_checks(struct cx *c)
{
	int p[2], q[2], fd = mkfile(c, "abcdef", 6);
	struct io_uring_sqe *t;
	char *b = cbuf(c);

	if (!c_has(c, IORING_OP_SPLICE) || !c_has(c, IORING_OP_TEE))
		return;
	mkpipe(c, p);
	mkpipe(c, q);
	t = sqe(c, IORING_OP_TEE, 1, 0);
	t->splice_fd_in = p[0], t->fd = q[1], t->len = 4, t->off = 1;
	t = sqe(c, IORING_OP_SPLICE, 2, 0);
	t->splice_fd_in = p[0], t->fd = q[1], t->len = 4, t->splice_flags = 0x100;
	t = sqe(c, IORING_OP_SPLICE, 3, 0);
	t->splice_fd_in = 0, t->fd = q[1], t->len = 0, t->splice_flags = 1u << 31;
	t = sqe(c, IORING_OP_SPLICE, 4, 0);
	t->splice_fd_in = fd, t->fd = p[1], t->len = 4, t->off = 3, t->splice_off_in = 0;
	t = sqe(c, IORING_OP_SPLICE, 5, 0);
	t->splice_fd_in = p[0], t->fd = p[1], t->len = 4, t->off = -1ull, t->splice_off_in = -1ull;
	t = sqe(c, IORING_OP_SPLICE, 6, 0);
	t->splice_fd_in = fd, t->fd = fd, t->len = 4, t->splice_off_in = 0;
	ex(c, 1, -EINVAL, 0);
	ex(c, 2, -EINVAL, 0);
	ex_set(c, 3, -EBADF, 0);
	ex_set(c, 4, -ESPIPE, 0);
	ex_set(c, 5, -EINVAL, 0);
	ex_set(c, 6, -EINVAL, 0);
	run(c);
	/* 4 bytes of the file at 2 into p, p to q, tee q to p, read p */
	t = sqe(c, IORING_OP_SPLICE, 7, LINK);
	t->splice_fd_in = fd, t->fd = p[1], t->len = 4, t->off = -1ull, t->splice_off_in = 2;
	t = sqe(c, IORING_OP_SPLICE, 8, LINK);
	t->splice_fd_in = p[0], t->fd = q[1], t->len = 4, t->off = -1ull,
	t->splice_off_in = -1ull;
	t = sqe(c, IORING_OP_TEE, 9, LINK);
	t->splice_fd_in = q[0], t->fd = p[1], t->len = 3;
	rd(c, 10, 0, p[0], b, 16, -1ull);
	ex(c, 7, 4, 0);
	ex(c, 8, 4, 0);
	ex(c, 9, 3, 0);
	ex(c, 10, 3, 0);
	run(c);
	/* a splice that moves less than asked fails the link (io_splice(): ret != len) */
	t = sqe(c, IORING_OP_SPLICE, 11, LINK);
	t->splice_fd_in = q[0], t->fd = p[1], t->len = 64, t->off = -1ull,
	t->splice_off_in = -1ull;
	nop(c, 12, 0);
	ex(c, 11, 4, 0);
	ex(c, 12, -ECANCELED, 0);
	run(c);
}

static struct io_uring_sqe *fx(struct cx *c, unsigned op, uint64_t ud, unsigned flags,
			       uint32_t *word, uint64_t val, uint64_t mask)
{
	struct io_uring_sqe *q = sqe(c, op, ud, flags);

	q->fd = 2; /* FUTEX2_SIZE_U32 */
	q->addr = (uint64_t)(uintptr_t)word;
	q->off = val;
	q->addr3 = mask;
	return q;
}

/*
 * io_uring/futex.c: io_futex_prep() (len set, a size other than u32, a
 * value above 32 bits -EINVAL), io_futex_wait() (a zero mask -EINVAL, the
 * word differs -EAGAIN), futex_wake() (none waiting: 0); a wait then a wake
 * in one submission: the wake finds it (1), the wait ends 0; a wait whose
 * linked timeout fires: -ECANCELED, and the timeout posts 1, the count of
 * io_futex_cancel() (io_req_task_link_timeout(): ret ?: -ETIME).
 */
static void futex_checks(struct cx *c)
{
	uint32_t *w = (uint32_t *)(void *)cbuf(c);
	struct io_uring_sqe *q;

	if (!c_has(c, ARING_OP_FUTEX_WAIT))
		return;
	w[0] = 7;
	fx(c, ARING_OP_FUTEX_WAIT, 1, 0, w, 7, ~0u)->len = 1;
	fx(c, ARING_OP_FUTEX_WAIT, 2, 0, w, 7, ~0u)->fd = 3;
	fx(c, ARING_OP_FUTEX_WAIT, 3, 0, w, 1ull << 32, ~0u);
	fx(c, ARING_OP_FUTEX_WAIT, 4, 0, w, 7, 0);
	fx(c, ARING_OP_FUTEX_WAIT, 5, 0, w, 8, ~0u);
	fx(c, ARING_OP_FUTEX_WAKE, 6, 0, w, 1, ~0u);
	ex(c, 1, -EINVAL, 0);
	ex(c, 2, -EINVAL, 0);
	ex(c, 3, -EINVAL, 0);
	ex(c, 4, -EINVAL, 0);
	ex(c, 5, -EAGAIN, 0);
	ex(c, 6, 0, 0);
	run(c);
	fx(c, ARING_OP_FUTEX_WAIT, 7, 0, w, 7, ~0u);
	fx(c, ARING_OP_FUTEX_WAKE, 8, 0, w, 5, ~0u);
	ex(c, 8, 1, 0);
	ex_set(c, 7, 0, 0);
	run(c);
	fx(c, ARING_OP_FUTEX_WAIT, 9, LINK, w, 7, ~0u);
	ltmo(c, 10, 0, ms(c, 1), 0);
	ex(c, 10, 1, 0);
	ex_set(c, 9, -ECANCELED, 0);
	run(c);
	q = sqe(c, ARING_OP_FUTEX_WAITV, 11, 0);
	q->fd = 0;
	q->addr = (uint64_t)(uintptr_t)(w + 4);
	q->len = 0;
	ex(c, 11, -EINVAL, 0);
	run(c);
}

/*
 * io_uring/xattr.c: __io_getxattr_prep() refuses flags and an empty name
 * (-ERANGE); fs/xattr.c: a missing name -ENODATA, XATTR_REPLACE of a
 * missing one -ENODATA, then set, size query, a buffer too small -ERANGE,
 * XATTR_CREATE of an existing one -EEXIST; user.* on a pipe -ENODATA.
 */
static struct io_uring_sqe *xa(struct cx *c, unsigned op, uint64_t ud, unsigned flags, int fd,
			       const char *name, const void *value, unsigned len, unsigned xflags)
{
	struct io_uring_sqe *q = sqe(c, op, ud, flags);

	q->fd = fd;
	q->addr = (uint64_t)(uintptr_t)name;
	q->addr2 = (uint64_t)(uintptr_t)value;
	q->len = len;
	q->xattr_flags = xflags;
	return q;
}

static void xattr_checks(struct cx *c)
{
	int fd = mkfile(c, "x", 1), p[2];
	char *b = cbuf(c);

	if (!c_has(c, IORING_OP_FGETXATTR))
		return;
	mkpipe(c, p);
	xa(c, IORING_OP_FGETXATTR, 1, 0, fd, "user.c", b, 16, 1);
	xa(c, IORING_OP_FGETXATTR, 2, 0, fd, "", b, 16, 0);
	xa(c, IORING_OP_FGETXATTR, 3, 0, fd, "user.c", b, 16, 0);
	xa(c, IORING_OP_FSETXATTR, 4, 0, fd, "user.c", "v", 1, 2 /* XATTR_REPLACE */);
	xa(c, IORING_OP_FGETXATTR, 5, 0, p[0], "user.c", b, 16, 0);
	ex(c, 1, -EINVAL, 0);
	ex(c, 2, -ERANGE, 0);
	ex_set(c, 3, -ENODATA, 0);
	ex_set(c, 4, -ENODATA, 0);
	ex_set(c, 5, -ENODATA, 0);
	run(c);
	xa(c, IORING_OP_FSETXATTR, 6, LINK, fd, "user.c", "four", 4, 0);
	xa(c, IORING_OP_FGETXATTR, 7, LINK, fd, "user.c", NULL, 0, 0);
	xa(c, IORING_OP_FGETXATTR, 8, 0, fd, "user.c", b, 3, 0);
	ex(c, 6, 0, 0);
	ex(c, 7, 4, 0);
	ex(c, 8, -ERANGE, 0);
	run(c);
	xa(c, IORING_OP_FSETXATTR, 9, 0, fd, "user.c", "v", 1, 1 /* XATTR_CREATE */);
	ex(c, 9, -EEXIST, 0);
	run(c);
}

/*
 * io_uring/waitid.c io_waitid_prep() (addr set -EINVAL) and kernel/exit.c
 * (no option among WEXITED/WSTOPPED/WCONTINUED -EINVAL; no child -ECHILD);
 * io_uring/uring_cmd.c: __pad1 set -EINVAL, a file without ->uring_cmd
 * -EOPNOTSUPP; io_uring/net.c io_recvzc_prep(): no zcrx queue -EINVAL.
 */
static void waitid_cmd_zc_checks(struct cx *c)
{
	int fd = mkfile(c, "x", 1), p[2];
	char *b = cbuf(c);
	struct io_uring_sqe *q;

	if (!c_has(c, ARING_OP_WAITID) || !c_has(c, IORING_OP_URING_CMD) ||
	    !c_has(c, ARING_OP_RECV_ZC))
		return;
	mkpipe(c, p);
	q = sqe(c, ARING_OP_WAITID, 1, 0);
	q->fd = 0, q->len = 0 /* P_ALL */, q->file_index = 4 /* WEXITED */;
	q->addr2 = (uint64_t)(uintptr_t)b;
	q = sqe(c, ARING_OP_WAITID, 2, 0);
	q->fd = 0, q->len = 0, q->file_index = 1 /* WNOHANG */;
	q = sqe(c, ARING_OP_WAITID, 3, 0);
	q->fd = 0, q->len = 0, q->file_index = 4, q->addr = 1;
	q = sqe(c, IORING_OP_URING_CMD, 4, 0);
	q->fd = fd;
	q = sqe(c, IORING_OP_URING_CMD, 5, 0);
	q->fd = p[0];
	q = sqe(c, IORING_OP_URING_CMD, 6, 0);
	q->fd = fd, q->__pad1 = 1;
	q = sqe(c, ARING_OP_RECV_ZC, 7, 0);
	q->fd = p[0], q->ioprio = IORING_RECV_MULTISHOT;
	ex_set(c, 1, -ECHILD, 0);
	ex_set(c, 2, -EINVAL, 0);
	ex_set(c, 3, -EINVAL, 0);
	ex_set(c, 4, -EOPNOTSUPP, 0);
	ex_set(c, 5, -EOPNOTSUPP, 0);
	ex_set(c, 6, -EINVAL, 0);
	ex_set(c, 7, -EINVAL, 0);
	run(c);
}

/* An epoll instance: epoll_create1(2)'s on real fds, the sim's own on the sim. */
static int mkepoll(struct cx *c)
{
	int ep = c->bd->real_fds ? epoll_create1(0) : aring__sim_epoll_new(c->be, 0);

	if (ep < 0)
		c_bail(c, "epoll instance: %d", ep);
	if (c->bd->real_fds)
		keep_fd(c, ep);
	return ep;
}

/*
 * fs/eventpoll.c do_epoll_ctl() through IORING_OP_EPOLL_CTL: ADD 0, ADD
 * again -EEXIST, a regular file -EPERM (no poll: ADD and MOD alike, before
 * the item is looked up); io_uring/epoll.c io_epoll_wait(): nothing ready waits (its
 * linked timeout cancels it: -ECANCELED, the timeout -ETIME), a write makes
 * the pipe ready (1 event), maxevents 0 -EINVAL. The instance is
 * epoll_create1(2)'s on real fds, the sim's own on the sim.
 */
static void epoll_ops_checks(struct cx *c)
{
	struct epoll_event *ev = (struct epoll_event *)(void *)cbuf(c);
	struct epoll_event *out = (struct epoll_event *)(void *)cbuf(c);
	int fd = mkfile(c, "x", 1), p[2], ep;
	struct io_uring_sqe *q;

	if (!c_has(c, IORING_OP_EPOLL_CTL) || !c_has(c, ARING_OP_EPOLL_WAIT))
		return;
	ep = mkepoll(c);
	mkpipe(c, p);
	ev->events = EPOLLIN;
	ev->data.u64 = 42;
	q = sqe(c, IORING_OP_EPOLL_CTL, 1, LINK);
	q->fd = ep, q->len = EPOLL_CTL_ADD, q->off = (uint64_t)p[0], q->addr = (uint64_t)(uintptr_t)ev;
	q = sqe(c, IORING_OP_EPOLL_CTL, 2, 0);
	q->fd = ep, q->len = EPOLL_CTL_ADD, q->off = (uint64_t)p[0], q->addr = (uint64_t)(uintptr_t)ev;
	q = sqe(c, IORING_OP_EPOLL_CTL, 3, 0);
	q->fd = ep, q->len = EPOLL_CTL_ADD, q->off = (uint64_t)fd, q->addr = (uint64_t)(uintptr_t)ev;
	q = sqe(c, IORING_OP_EPOLL_CTL, 4, 0);
	q->fd = ep, q->len = EPOLL_CTL_MOD, q->off = (uint64_t)fd, q->addr = (uint64_t)(uintptr_t)ev;
	/* 2 waits for 1's completion (a link), 3 and 4 issue meanwhile */
	ex(c, 1, 0, 0);
	ex(c, 3, -EPERM, 0);
	ex(c, 4, -EPERM, 0);
	ex(c, 2, -EEXIST, 0);
	run(c);
	q = sqe(c, ARING_OP_EPOLL_WAIT, 5, LINK);
	q->fd = ep, q->addr = (uint64_t)(uintptr_t)(out + 2), q->len = 4;
	ltmo(c, 6, 0, ms(c, 1), 0);
	ex(c, 6, -ETIME, 0);
	ex_set(c, 5, -ECANCELED, 0);
	run(c);
	wr(c, 7, LINK, p[1], "e", 1, -1ull);
	q = sqe(c, ARING_OP_EPOLL_WAIT, 8, 0);
	q->fd = ep, q->addr = (uint64_t)(uintptr_t)(out + 2), q->len = 4;
	q = sqe(c, ARING_OP_EPOLL_WAIT, 9, 0);
	q->fd = ep, q->addr = (uint64_t)(uintptr_t)(out + 2), q->len = 0;
	ex(c, 7, 1, 0);
	ex_set(c, 8, 1, 0);
	ex_set(c, 9, -EINVAL, 0);
	run(c);
	if (out[2].data.u64 != 42 || out[2].events != EPOLLIN)
		c_bail(c, "epoll_wait wrote %llx %x", (unsigned long long)out[2].data.u64,
		       out[2].events);
}

/*
 * io_uring/msg_ring.c on the sender's own ring: IORING_MSG_DATA posts
 * (user_data sqe->off, res sqe->len; FLAGS_PASS: flags sqe->file_index)
 * and completes 0; src_fd set, a file_index without FLAGS_PASS, an unknown
 * command -EINVAL; SEND_FD with a length, or to its own ring, -EINVAL; a
 * file that is no ring -EBADFD; an unknown flag -EINVAL at prep.
 */
static void msg_ring_checks(struct cx *c)
{
	int p[2], rfd;
	struct io_uring_sqe *q;

	if (!c_has(c, IORING_OP_MSG_RING))
		return;
	rfd = c->bd->real_fds ? c->be->ops->ring(c->be)->ring_fd : aring__sim_ring_fd_self(c->be);
	if (rfd < 0)
		c_bail(c, "ring fd: %d", rfd);
	mkpipe(c, p);
	q = sqe(c, IORING_OP_MSG_RING, 1, 0);
	q->fd = rfd, q->addr = 0, q->off = 0x77, q->len = 7;
	ex_set(c, 0x77, 7, 0);
	ex_set(c, 1, 0, 0);
	run(c);
	q = sqe(c, IORING_OP_MSG_RING, 2, 0);
	q->fd = rfd, q->addr = 0, q->off = 0x78, q->len = 8, q->msg_ring_flags = 2, q->file_index = 5;
	ex_set(c, 0x78, 8, 5);
	ex_set(c, 2, 0, 0);
	run(c);
	q = sqe(c, IORING_OP_MSG_RING, 3, 0);
	q->fd = rfd, q->addr = 0, q->addr3 = 1;
	q = sqe(c, IORING_OP_MSG_RING, 4, 0);
	q->fd = rfd, q->addr = 0, q->file_index = 1;
	q = sqe(c, IORING_OP_MSG_RING, 5, 0);
	q->fd = rfd, q->addr = 9;
	q = sqe(c, IORING_OP_MSG_RING, 6, 0);
	q->fd = rfd, q->addr = 1, q->len = 1;
	q = sqe(c, IORING_OP_MSG_RING, 7, 0);
	q->fd = rfd, q->addr = 1;
	q = sqe(c, IORING_OP_MSG_RING, 8, 0);
	q->fd = p[0], q->addr = 0;
	q = sqe(c, IORING_OP_MSG_RING, 9, 0);
	q->fd = rfd, q->addr = 0, q->msg_ring_flags = 4;
	ex(c, 3, -EINVAL, 0);
	ex(c, 4, -EINVAL, 0);
	ex(c, 5, -EINVAL, 0);
	ex(c, 6, -EINVAL, 0);
	ex(c, 7, -EINVAL, 0);
	ex(c, 8, -EBADFD, 0);
	ex(c, 9, -EINVAL, 0);
	run(c);
}

/*
 * io_uring/splice.c io_splice_get_file(): with SPLICE_F_FD_IN_FIXED,
 * splice_fd_in is a slot of the registered table (io_rsrc_node_lookup():
 * the s32 compared unsigned); an empty slot, one past the table and a
 * negative one find no file: -EBADF, for a length of 0 too, and for tee.
 * A found one reads as its fd would (io_splice()/io_tee() drop the flag),
 * with the output a registered file as well (IOSQE_FIXED_FILE).
 */
static void splice_fixed_in(struct cx *c)
{
	int p[2], q[2], fds[3];
	struct io_uring_sqe *t;
	char *b = cbuf(c);

	if (!c_has(c, IORING_OP_SPLICE) || !c_has(c, IORING_OP_TEE))
		return;
	mkpipe(c, p);
	mkpipe(c, q);
	fds[0] = -1, fds[1] = p[0], fds[2] = q[1];
	creg(c, IORING_REGISTER_FILES, fds, 3, 0);
	t = sqe(c, IORING_OP_SPLICE, 1, 0);
	t->splice_fd_in = 0, t->fd = q[1], t->len = 4, t->splice_flags = 1u << 31;
	t->off = -1ull, t->splice_off_in = -1ull;
	t = sqe(c, IORING_OP_SPLICE, 2, 0);
	t->splice_fd_in = 3, t->fd = q[1], t->len = 4, t->splice_flags = 1u << 31;
	t->off = -1ull, t->splice_off_in = -1ull;
	t = sqe(c, IORING_OP_SPLICE, 3, 0);
	t->splice_fd_in = -1, t->fd = q[1], t->len = 0, t->splice_flags = 1u << 31;
	t = sqe(c, IORING_OP_TEE, 4, 0);
	t->splice_fd_in = 0, t->fd = q[1], t->len = 4, t->splice_flags = 1u << 31;
	ex_set(c, 1, -EBADF, 0);
	ex_set(c, 2, -EBADF, 0);
	ex_set(c, 3, -EBADF, 0);
	ex_set(c, 4, -EBADF, 0);
	run(c);
	wr(c, 5, LINK, p[1], "wxyz", 4, -1ull);
	t = sqe(c, IORING_OP_TEE, 6, LINK | IOSQE_FIXED_FILE);
	t->splice_fd_in = 1, t->fd = 2, t->len = 2, t->splice_flags = 1u << 31;
	t = sqe(c, IORING_OP_SPLICE, 7, LINK);
	t->splice_fd_in = 1, t->fd = q[1], t->len = 4, t->splice_flags = 1u << 31;
	t->off = -1ull, t->splice_off_in = -1ull;
	rd(c, 8, 0, q[0], b, 16, -1ull);
	ex(c, 5, 4, 0);
	ex(c, 6, 2, 0);
	ex(c, 7, 4, 0);
	ex(c, 8, 6, 0);
	run(c);
	if (memcmp(b, "wxwxyz", 6))
		c_bail(c, "tee and splice from a fixed input gave %.6s", b);
}

/*
 * IOSQE_FIXED_FILE means nothing to an op that needs no file (io_uring.c
 * io_init_req(): def->needs_file unset) whose prep does not look at it:
 * futex wake (futex.c io_futex_prep()), waitid (waitid.c io_waitid_prep()),
 * epoll_ctl (epoll.c io_epoll_ctl_prep(): epfd and fd are plain fds). With
 * no registered table, each answers as without the flag.
 */
static void fixed_flag_ignored(struct cx *c)
{
	struct epoll_event *ev = (struct epoll_event *)(void *)cbuf(c);
	uint32_t *w = (uint32_t *)(void *)(cbuf(c) + 64);
	int p[2], ep;
	struct io_uring_sqe *q;

	if (c_has(c, ARING_OP_FUTEX_WAKE)) {
		*w = 0;
		fx(c, ARING_OP_FUTEX_WAKE, 1, IOSQE_FIXED_FILE, w, 1, ~0u);
		ex(c, 1, 0, 0);
		run(c);
	}
	if (c_has(c, ARING_OP_WAITID)) {
		q = sqe(c, ARING_OP_WAITID, 2, IOSQE_FIXED_FILE);
		q->fd = 0, q->len = 0 /* P_ALL */, q->file_index = 4 /* WEXITED */;
		q->addr2 = (uint64_t)(uintptr_t)(cbuf(c) + 128);
		ex(c, 2, -ECHILD, 0);
		run(c);
	}
	if (!c_has(c, IORING_OP_EPOLL_CTL))
		return;
	ep = mkepoll(c);
	mkpipe(c, p);
	ev->events = EPOLLIN;
	ev->data.u64 = 7;
	q = sqe(c, IORING_OP_EPOLL_CTL, 3, IOSQE_FIXED_FILE);
	q->fd = ep, q->len = EPOLL_CTL_ADD, q->off = (uint64_t)p[0], q->addr = (uint64_t)(uintptr_t)ev;
	ex(c, 3, 0, 0);
	run(c);
}

/*
 * Ops that need a file take a registered one with IOSQE_FIXED_FILE
 * (io_uring.c io_assign_file() -> io_file_get_fixed(): -EBADF for an empty
 * slot): epoll_wait on a registered epoll (epoll.c io_epoll_wait()),
 * uring_cmd on a registered regular file (uring_cmd.c io_uring_cmd(): no
 * ->uring_cmd, -EOPNOTSUPP) and on a direct socket (cmd_net.c
 * io_uring_cmd_sock(): SIOCINQ of a fresh TCP socket, 0), fgetxattr and
 * fsetxattr on a registered file (xattr.c io_fgetxattr_prep(): flags
 * -EINVAL; a missing name -ENODATA, then set). Only the path ops refuse the
 * flag (xattr.c io_getxattr_prep()/io_setxattr_prep(): -EBADF, before the
 * flags are looked at). Checked on Linux 6.18.
 */
static void fixed_file_other_ops(struct cx *c)
{
	struct epoll_event *ev = (struct epoll_event *)(void *)cbuf(c);
	struct epoll_event *out = (struct epoll_event *)(void *)(cbuf(c) + 64);
	int fd = mkfile(c, "x", 1), p[2], ep, fds[4];
	char *b = cbuf(c) + 256;
	struct io_uring_sqe *q;

	if (c_has(c, IORING_OP_FGETXATTR)) {
		fds[0] = fd;
		creg(c, IORING_REGISTER_FILES, fds, 1, 0);
		xa(c, IORING_OP_FGETXATTR, 1, IOSQE_FIXED_FILE, 0, "user.c", b, 16, 1);
		xa(c, IORING_OP_GETXATTR, 13, IOSQE_FIXED_FILE, 0, "user.c", b, 16, 1)->addr3 =
			(uint64_t)(uintptr_t)"/";
		xa(c, IORING_OP_SETXATTR, 14, IOSQE_FIXED_FILE, 0, "user.c", "v", 1, 0)->addr3 =
			(uint64_t)(uintptr_t)"/";
		ex(c, 1, -EINVAL, 0);
		ex(c, 13, -EBADF, 0);
		ex(c, 14, -EBADF, 0);
		run(c);
		xa(c, IORING_OP_FGETXATTR, 2, IOSQE_FIXED_FILE, 0, "user.c", b, 16, 0);
		ex(c, 2, -ENODATA, 0);
		run(c);
		xa(c, IORING_OP_FSETXATTR, 3, IOSQE_FIXED_FILE, 0, "user.c", "v", 1, 0);
		ex(c, 3, 0, 0);
		run(c);
		xa(c, IORING_OP_FGETXATTR, 12, IOSQE_FIXED_FILE, 0, "user.c", NULL, 0, 0);
		ex(c, 12, 1, 0);
		run(c);
		creg(c, IORING_UNREGISTER_FILES, NULL, 0, 0);
	}
	if (!c_has(c, ARING_OP_EPOLL_WAIT) || !c_has(c, IORING_OP_URING_CMD) ||
	    !c_has(c, IORING_OP_EPOLL_CTL) || !c_has(c, IORING_OP_SOCKET))
		return;
	ep = mkepoll(c);
	mkpipe(c, p);
	fds[0] = ep, fds[1] = fd, fds[2] = -1, fds[3] = -1;
	creg(c, IORING_REGISTER_FILES, fds, 4, 0);
	ev->events = EPOLLIN;
	ev->data.u64 = 42;
	q = sqe(c, IORING_OP_EPOLL_CTL, 4, LINK);
	q->fd = ep, q->len = EPOLL_CTL_ADD, q->off = (uint64_t)p[0], q->addr = (uint64_t)(uintptr_t)ev;
	wr(c, 5, LINK, p[1], "e", 1, -1ull);
	q = sqe(c, ARING_OP_EPOLL_WAIT, 6, IOSQE_FIXED_FILE);
	q->fd = 0, q->addr = (uint64_t)(uintptr_t)out, q->len = 4;
	ex(c, 4, 0, 0);
	ex(c, 5, 1, 0);
	ex(c, 6, 1, 0);
	run(c);
	if (out[0].data.u64 != 42)
		c_bail(c, "epoll_wait on a fixed epoll wrote %llx", (unsigned long long)out[0].data.u64);
	q = sqe(c, ARING_OP_EPOLL_WAIT, 7, IOSQE_FIXED_FILE);
	q->fd = 2, q->addr = (uint64_t)(uintptr_t)out, q->len = 4;
	q = sqe(c, IORING_OP_URING_CMD, 8, IOSQE_FIXED_FILE);
	q->fd = 1;
	q = sqe(c, IORING_OP_URING_CMD, 9, IOSQE_FIXED_FILE);
	q->fd = 3;
	ex_set(c, 7, -EBADF, 0);
	ex_set(c, 8, -EOPNOTSUPP, 0);
	ex_set(c, 9, -EBADF, 0);
	run(c);
	/* a direct TCP socket in slot 2, then SIOCINQ on it */
	q = sqe(c, IORING_OP_SOCKET, 10, LINK);
	q->fd = AF_INET, q->off = SOCK_STREAM, q->len = 0, q->file_index = 3;
	q = sqe(c, IORING_OP_URING_CMD, 11, IOSQE_FIXED_FILE);
	q->fd = 2, q->cmd_op = ARING_SOCKET_URING_OP_SIOCINQ;
	ex(c, 10, 0, 0);
	ex(c, 11, 0, 0);
	run(c);
}

/*
 * A ring's own fd in its registered table: rsrc.c io_sqe_files_register()
 * and __io_sqe_files_update() refuse io_uring files (io_is_uring_fops():
 * -EBADF); IORING_OP_FILES_UPDATE with IORING_FILE_INDEX_ALLOC
 * (io_files_update_with_index_alloc()) too.
 */
static void fixed_ring_fd_refused(struct cx *c)
{
	int *fds = (int *)(void *)cbuf(c), rfd;

	if (!c_has(c, IORING_OP_MSG_RING))
		return;
	rfd = c->bd->real_fds ? c->be->ops->ring(c->be)->ring_fd : aring__sim_ring_fd_self(c->be);
	if (rfd < 0)
		c_bail(c, "ring fd: %d", rfd);
	fds[0] = rfd;
	creg(c, IORING_REGISTER_FILES, fds, 1, -EBADF);
	files_sparse(c, 2);
	fds[0] = rfd;
	files_upd(c, 1, 0, fds, 1, 0);
	fds[1] = rfd;
	files_upd(c, 2, 0, fds + 1, 1, IORING_FILE_INDEX_ALLOC);
	ex(c, 1, -EBADF, 0);
	ex(c, 2, -EBADF, 0);
	run(c);
}

/* ================================================================ provided buffers */
/*
 * Legacy provided buffers and buffer rings (kernel io_uring/kbuf.c), buffer
 * selection by read and read_multishot (rw.c io_read(), io_read_mshot()).
 * Every result below was checked on Linux 6.18. The epoll backend runs no
 * buffer selection (-EOPNOTSUPP at submit, documented in aring.h): the
 * cases that select a buffer return at once there.
 */

#define BSEL IOSQE_BUFFER_SELECT
#define FBUF IORING_CQE_F_BUFFER
#define FMORE IORING_CQE_F_MORE
#define BID(b) ((uint32_t)(b) << IORING_CQE_BUFFER_SHIFT)

/* Memory the provided buffers point at (the kernel writes reads into it). */
static char kbuf_mem[4096];
/* Buffer rings: page aligned, one page per group a case registers. */
static char kbuf_ring[2][4096] __attribute__((aligned(4096)));

static bool selects_buffers(struct cx *c)
{
	return strcmp(c->bd->name, "epoll") != 0;
}

static struct io_uring_sqe *provide(struct cx *c, uint64_t ud, void *addr, unsigned len,
				    unsigned nbufs, unsigned bgid, unsigned bid)
{
	struct io_uring_sqe *q = sqe(c, IORING_OP_PROVIDE_BUFFERS, ud, 0);

	q->fd = (int)nbufs;
	q->addr = (uint64_t)(uintptr_t)addr;
	q->len = len;
	q->off = bid;
	q->buf_group = (uint16_t)bgid;
	return q;
}

static struct io_uring_sqe *remove_bufs(struct cx *c, uint64_t ud, unsigned nbufs, unsigned bgid)
{
	struct io_uring_sqe *q = sqe(c, IORING_OP_REMOVE_BUFFERS, ud, 0);

	q->fd = (int)nbufs;
	q->buf_group = (uint16_t)bgid;
	return q;
}

/* A read into a buffer of group bgid (len 0: the buffer's length). */
static struct io_uring_sqe *rd_sel(struct cx *c, uint64_t ud, int fd, unsigned len, unsigned bgid)
{
	struct io_uring_sqe *q = rd(c, ud, BSEL, fd, NULL, len, (uint64_t)-1);

	q->buf_group = (uint16_t)bgid;
	return q;
}

static struct io_uring_sqe *rd_mshot(struct cx *c, uint64_t ud, int fd, unsigned bgid)
{
	struct io_uring_sqe *q = sqe(c, ARING_OP_READ_MULTISHOT, ud, BSEL);

	q->fd = fd;
	q->off = (uint64_t)-1;
	q->buf_group = (uint16_t)bgid;
	return q;
}

/* IORING_REGISTER_PBUF_RING on the case's backend: the soft ring has no io_uring_register. */
static int reg_ring(struct cx *c, void *ring, unsigned entries, unsigned bgid, unsigned flags)
{
	struct io_uring_buf_reg reg;
	struct io_uring *r = c->be->ops->ring(c->be);

	memset(&reg, 0, sizeof(reg));
	reg.ring_addr = (uint64_t)(uintptr_t)ring;
	reg.ring_entries = entries;
	reg.bgid = (uint16_t)bgid;
	aring__buf_reg_set_flags(&reg, (uint16_t)flags);
	return r ? io_uring_register_buf_ring(r, &reg, 0) : aring__soft_register_pbuf_ring(c->be, &reg);
}

static int unreg_ring(struct cx *c, unsigned bgid)
{
	struct io_uring_buf_reg reg;
	struct io_uring *r = c->be->ops->ring(c->be);

	memset(&reg, 0, sizeof(reg));
	reg.bgid = (uint16_t)bgid;
	return r ? io_uring_unregister_buf_ring(r, (int)bgid) : aring__soft_unregister_pbuf_ring(c->be, &reg);
}

/* kbuf.c io_provide_buffers_prep(), io_remove_buffers_prep(), io_remove_buffers_legacy() */
static void kbuf_provide_remove_counts(struct cx *c)
{
	provide(c, 1, kbuf_mem, 100, 4, 1, 0);
	provide(c, 2, kbuf_mem, 0, 4, 2, 0);            /* len 0 */
	provide(c, 3, kbuf_mem, 100, 0, 2, 0);          /* no buffers */
	provide(c, 4, kbuf_mem, 100, 2, 1, 65535);      /* bids past 65535 */
	provide(c, 5, kbuf_mem, 100, 1, 1, 65536);      /* bid > USHRT_MAX */
	ex(c, 1, 0, 0);
	ex(c, 2, -EINVAL, 0);
	ex(c, 3, -E2BIG, 0);
	ex(c, 4, -EINVAL, 0);
	ex(c, 5, -E2BIG, 0);
	run(c);
	remove_bufs(c, 6, 2, 1);
	remove_bufs(c, 7, 10, 1);                        /* what is left */
	remove_bufs(c, 8, 10, 1);                        /* the list stays, empty */
	remove_bufs(c, 9, 1, 77);                        /* no such group */
	remove_bufs(c, 10, 0, 1);
	ex(c, 6, 2, 0);
	ex(c, 7, 2, 0);
	ex(c, 8, 0, 0);
	ex(c, 9, -ENOENT, 0);
	ex(c, 10, -EINVAL, 0);
	run(c);
}

/* kbuf.c io_buffer_select(): no buffer (no group, or an empty one) is -ENOBUFS at issue. */
static void kbuf_empty_enobufs(struct cx *c)
{
	int p[2];

	if (!selects_buffers(c))
		return;
	mkpipe(c, p);
	rd_sel(c, 1, p[0], 0, 5);                        /* no such group, no data */
	provide(c, 2, kbuf_mem, 8, 1, 6, 0);
	remove_bufs(c, 3, 1, 6);
	rd_sel(c, 4, p[0], 0, 6);                        /* a group, empty */
	ex(c, 1, -ENOBUFS, 0);
	ex(c, 2, 0, 0);
	ex(c, 3, 1, 0);
	ex(c, 4, -ENOBUFS, 0);
	run(c);
}

/* The bid in the CQE's flags; a read of 0 bytes at EOF takes a buffer too (io_read() -> kiocb_done()). */
static void kbuf_read_bid_flags(struct cx *c)
{
	int p[2];

	if (!selects_buffers(c))
		return;
	mkpipe(c, p);
	provide(c, 1, kbuf_mem, 100, 4, 6, 10);
	wr(c, 2, 0, p[1], "hello", 5, 0);
	rd_sel(c, 3, p[0], 3, 6);                        /* len caps the buffer */
	rd_sel(c, 4, p[0], 0, 6);
	ex(c, 1, 0, 0);
	ex(c, 2, 5, 0);
	ex(c, 3, 3, FBUF | BID(10));
	ex(c, 4, 2, FBUF | BID(11));
	run(c);
	closeop(c, 5, 0, p[1]);
	ex(c, 5, 0, 0);
	run(c);
	rd_sel(c, 6, p[0], 0, 6);
	remove_bufs(c, 7, 10, 6);
	ex(c, 6, 0, FBUF | BID(12));
	ex(c, 7, 1, 0);
	run(c);
}

/* A write cannot select a buffer (io_init_req(): !def->buffer_select). */
static void kbuf_write_bufsel(struct cx *c)
{
	int p[2];

	mkpipe(c, p);
	wr(c, 1, BSEL, p[1], NULL, 4, 0);
	ex(c, 1, -EOPNOTSUPP, 0);
	run(c);
}

/*
 * rw.c io_read_mshot(): a CQE per read with F_MORE while data comes; at EOF
 * the buffer is given back and the last CQE is 0 without F_BUFFER.
 */
static void kbuf_read_mshot_eof(struct cx *c)
{
	int p[2];

	if (!selects_buffers(c))
		return;
	mkpipe(c, p);
	provide(c, 1, kbuf_mem, 4, 3, 9, 0);
	wr(c, 2, 0, p[1], "abcdef", 6, 0);
	closeop(c, 3, 0, p[1]);
	ex(c, 1, 0, 0);
	ex(c, 2, 6, 0);
	ex(c, 3, 0, 0);
	run(c);
	rd_mshot(c, 4, p[0], 9);
	ex(c, 4, 4, FBUF | FMORE | BID(0));
	ex(c, 4, 2, FBUF | FMORE | BID(1));
	ex(c, 4, 0, 0);
	run(c);
	remove_bufs(c, 5, 10, 9);
	ex(c, 5, 1, 0);
	run(c);
}

/* io_read_mshot(): the group runs dry: the request ends with -ENOBUFS. */
static void kbuf_read_mshot_enobufs(struct cx *c)
{
	int p[2];

	if (!selects_buffers(c))
		return;
	mkpipe(c, p);
	provide(c, 1, kbuf_mem, 4, 2, 8, 0);
	wr(c, 2, 0, p[1], "0123456789", 10, 0);
	ex(c, 1, 0, 0);
	ex(c, 2, 10, 0);
	run(c);
	rd_mshot(c, 3, p[0], 8);
	ex(c, 3, 4, FBUF | FMORE | BID(0));
	ex(c, 3, 4, FBUF | FMORE | BID(1));
	ex(c, 3, -ENOBUFS, 0);
	run(c);
}

/* io_read_mshot_prep(): provided buffers only, no address or length. */
static void kbuf_read_mshot_prep(struct cx *c)
{
	int p[2];
	struct io_uring_sqe *q;

	if (!selects_buffers(c))
		return;
	mkpipe(c, p);
	q = rd_mshot(c, 1, p[0], 9);
	q->len = 4;
	q = rd_mshot(c, 2, p[0], 9);
	q->flags = 0;
	ex(c, 1, -EINVAL, 0);
	ex(c, 2, -EINVAL, 0);
	run(c);
}

/* io_read_mshot(): a file that cannot be polled is -EBADFD. */
static void kbuf_read_mshot_regfile(struct cx *c)
{
	int fd;

	if (!selects_buffers(c))
		return;
	fd = mkfile(c, "data", 4);
	provide(c, 1, kbuf_mem, 8, 1, 9, 0);
	rd_mshot(c, 2, fd, 9);
	ex(c, 1, 0, 0);
	ex(c, 2, -EBADFD, 0);
	run(c);
}

/*
 * A buffer ring (io_register_pbuf_ring()): -EEXIST twice, the provide and
 * remove ops refuse it; reads take its entries in order; unregistered, the
 * group is gone.
 */
static void kbuf_ring_basic(struct cx *c)
{
	struct io_uring_buf_ring *br = (struct io_uring_buf_ring *)kbuf_ring[0];
	int p[2];

	if (!selects_buffers(c))
		return;
	memset(br, 0, 4096);
	if (reg_ring(c, br, 4, 10, 0) != 0 || reg_ring(c, br, 4, 10, 0) != -EEXIST ||
	    reg_ring(c, br, 3, 11, 0) != -EINVAL || reg_ring(c, br, 65536, 11, 0) != -EINVAL ||
	    reg_ring(c, (char *)br + 8, 4, 11, 0) != -EINVAL || reg_ring(c, NULL, 4, 11, 0) != -EFAULT ||
	    reg_ring(c, br, 4, 11, 4) != -EINVAL)
		c_bail(c, "IORING_REGISTER_PBUF_RING results differ from Linux 6.18's");
	mkpipe(c, p);
	provide(c, 1, kbuf_mem, 4, 2, 10, 0);
	remove_bufs(c, 2, 2, 10);
	rd_sel(c, 3, p[0], 0, 10);                      /* registered, empty */
	ex(c, 1, -EINVAL, 0);
	ex(c, 2, -EINVAL, 0);
	ex(c, 3, -ENOBUFS, 0);
	run(c);
	io_uring_buf_ring_init(br);
	io_uring_buf_ring_add(br, kbuf_mem, 8, 3, io_uring_buf_ring_mask(4), 0);
	io_uring_buf_ring_add(br, kbuf_mem + 8, 8, 4, io_uring_buf_ring_mask(4), 1);
	io_uring_buf_ring_advance(br, 2);
	wr(c, 4, 0, p[1], "0123456789abcdefXYZ", 19, 0);
	ex(c, 4, 19, 0);
	run(c);
	rd_mshot(c, 5, p[0], 10);
	ex(c, 5, 8, FBUF | FMORE | BID(3));
	ex(c, 5, 8, FBUF | FMORE | BID(4));
	ex(c, 5, -ENOBUFS, 0);
	run(c);
	if (unreg_ring(c, 10) != 0 || unreg_ring(c, 10) != -ENOENT)
		c_bail(c, "IORING_UNREGISTER_PBUF_RING results differ from Linux 6.18's");
	rd_sel(c, 6, p[0], 0, 10);
	ex(c, 6, -ENOBUFS, 0);
	run(c);
}

/*
 * IOU_PBUF_RING_INC (kbuf.c io_kbuf_inc_commit()): a read takes what it
 * needs and the entry moves on (IORING_CQE_F_BUF_MORE while room is left);
 * a read of 0 bytes leaves it; a regular file takes the length asked at
 * once (io_should_commit()).
 */
static void kbuf_ring_incremental(struct cx *c)
{
	struct io_uring_buf_ring *br = (struct io_uring_buf_ring *)kbuf_ring[1];
	int p[2], fd;

	if (!selects_buffers(c))
		return;
	memset(br, 0, 4096);
	if (reg_ring(c, br, 4, 12, ARING_IOU_PBUF_RING_INC) != 0)
		c_bail(c, "registering an incremental ring failed");
	io_uring_buf_ring_add(br, kbuf_mem, 8, 5, io_uring_buf_ring_mask(4), 0);
	io_uring_buf_ring_advance(br, 1);
	mkpipe(c, p);
	fd = mkfile(c, "0123456789", 10);
	wr(c, 1, 0, p[1], "abc", 3, 0);
	rd_sel(c, 2, p[0], 0, 12);
	ex(c, 1, 3, 0);
	ex(c, 2, 3, FBUF | ARING_CQE_F_BUF_MORE | BID(5));
	run(c);
	if (br->bufs[0].addr != (uint64_t)(uintptr_t)kbuf_mem + 3 || br->bufs[0].len != 5)
		c_bail(c, "the incremental entry did not move on by 3");
	wr(c, 3, 0, p[1], "defghij", 7, 0);
	rd_sel(c, 4, p[0], 0, 12);                      /* 5 fit: the buffer is used up */
	rd_sel(c, 5, p[0], 0, 12);                      /* the ring is empty */
	ex(c, 3, 7, 0);
	ex(c, 4, 5, FBUF | BID(5));
	ex(c, 5, -ENOBUFS, 0);
	run(c);
	io_uring_buf_ring_add(br, kbuf_mem + 16, 8, 6, io_uring_buf_ring_mask(4), 0);
	io_uring_buf_ring_advance(br, 1);
	rd_sel(c, 6, p[0], 0, 12);                      /* "ij" */
	closeop(c, 7, 0, p[1]);
	ex(c, 6, 2, FBUF | ARING_CQE_F_BUF_MORE | BID(6));
	ex(c, 7, 0, 0);
	run(c);
	rd_sel(c, 8, p[0], 0, 12);                      /* EOF: 0 bytes, the entry stays */
	ex(c, 8, 0, FBUF | ARING_CQE_F_BUF_MORE | BID(6));
	run(c);
	rd(c, 9, BSEL, fd, NULL, 3, 0)->buf_group = 12;
	ex(c, 9, 3, FBUF | ARING_CQE_F_BUF_MORE | BID(6));
	run(c);
	if (br->bufs[1].addr != (uint64_t)(uintptr_t)kbuf_mem + 21 || br->bufs[1].len != 3)
		c_bail(c, "the regular file's read did not take 3 bytes of the entry");
	if (unreg_ring(c, 12) != 0)
		c_bail(c, "unregister failed");
}

/* ================================================================ which failures break a link */

/*
 * A chain breaks only on REQ_F_FAIL (io_uring.c io_req_find_next() ->
 * io_fail_links()). An op's issue function that returns an error to the
 * core fails it (io_req_defer_failed() -> req_set_fail()), as does a file
 * that io_assign_file() cannot find; an op whose handler stores a negative
 * result with io_req_set_res() alone and returns success does not: the
 * next member runs. The op table says which ops do that
 * (ARING__OPF_KEEPLINK, core/opdef.c).
 *
 * The SQE of ud is made by the caller with IOSQE_IO_LINK; a NOP (ud + 1)
 * follows it: it completes 0 when the failure leaves the chain alone, or
 * -ECANCELED when it breaks it.
 */
static void lf_then_nop(struct cx *c, uint64_t ud, int32_t res, bool breaks)
{
	nop(c, ud + 1, 0);
	ex(c, ud, res, 0);
	ex(c, ud + 1, breaks ? -ECANCELED : 0, 0);
	run(c);
}

/* A TCP socket, made through the ring (closed at the end). */
static int lf_socket(struct cx *c)
{
	struct io_uring_sqe *q = sqe(c, IORING_OP_SOCKET, 0, 0);
	int sk;

	q->fd = AF_INET, q->off = SOCK_STREAM, q->len = 0;
	sk = setup_run(c, q);
	if (sk < 0)
		c_bail(c, "socket: %d", sk);
	keep_fd(c, sk);
	return sk;
}

/*
 * io_uring/xattr.c io_xattr_finish(): io_req_set_res() only, so a missing
 * attribute (-ENODATA) or path (-ENOENT, getxattr's filename_lookup() at
 * issue) leaves the chain alone; a bad fd (io_assign_file(): -EBADF) and a
 * prep error (__io_getxattr_prep(): flags -EINVAL) break it.
 */
static void linkfail_xattr(struct cx *c)
{
	int fd = mkfile(c, "x", 1);
	const char *missing = mkpath(c);
	char *b = cbuf(c);
	struct io_uring_sqe *q;

	if (!c_has(c, IORING_OP_FGETXATTR))
		return;
	xa(c, IORING_OP_FGETXATTR, 1, LINK, fd, "user.none", b, 16, 0);
	lf_then_nop(c, 1, -ENODATA, false);
	xa(c, IORING_OP_FSETXATTR, 3, LINK, fd, "user.none", "v", 1, 2 /* XATTR_REPLACE */);
	lf_then_nop(c, 3, -ENODATA, false);
	q = xa(c, IORING_OP_GETXATTR, 5, LINK, -1, "user.none", b, 16, 0);
	q->addr3 = (uint64_t)(uintptr_t)missing;
	lf_then_nop(c, 5, -ENOENT, false);
	q = xa(c, IORING_OP_SETXATTR, 7, LINK, -1, "user.none", "v", 1, 0);
	q->addr3 = (uint64_t)(uintptr_t)missing;
	lf_then_nop(c, 7, -ENOENT, false);
	xa(c, IORING_OP_FGETXATTR, 9, LINK, -1, "user.none", b, 16, 0);
	lf_then_nop(c, 9, -EBADF, true);
	xa(c, IORING_OP_FGETXATTR, 11, LINK, fd, "user.none", b, 16, 1);
	lf_then_nop(c, 11, -EINVAL, true);
}

/*
 * io_uring/sync.c io_fsync(), io_sync_file_range(), io_fallocate() and
 * truncate.c io_ftruncate(): io_req_set_res() only. On a pipe: fsync
 * -EINVAL, sync_file_range -ESPIPE, fallocate -ESPIPE, ftruncate -EINVAL;
 * fallocate of a read-only fd -EBADF (vfs_fallocate(), not the core): the
 * chain goes on. A closed fd (io_assign_file()) and a prep error
 * (io_fsync_prep(): unknown fsync_flags) break it.
 */
static void linkfail_sync(struct cx *c)
{
	const char *path;
	int p[2], fd = mkfile_named(c, "abc", 3, &path), ro;
	struct io_uring_sqe *q;

	mkpipe(c, p);
	ro = setup_run(c, openat_op(c, 0, 0, path, O_RDONLY | O_CLOEXEC, 0));
	if (ro < 0)
		c_bail(c, "open O_RDONLY: %d", ro);
	keep_fd(c, ro);
	q = sqe(c, IORING_OP_FSYNC, 1, LINK);
	q->fd = p[0];
	lf_then_nop(c, 1, -EINVAL, false);
	q = sqe(c, IORING_OP_SYNC_FILE_RANGE, 3, LINK);
	q->fd = p[0];
	lf_then_nop(c, 3, -ESPIPE, false);
	q = sqe(c, IORING_OP_FALLOCATE, 5, LINK);
	q->fd = p[1], q->addr = 4096; /* len */
	lf_then_nop(c, 5, -ESPIPE, false);
	q = sqe(c, IORING_OP_FALLOCATE, 7, LINK);
	q->fd = ro, q->addr = 4096;
	lf_then_nop(c, 7, -EBADF, false);
	if (c_has(c, ARING_OP_FTRUNCATE)) {
		q = sqe(c, ARING_OP_FTRUNCATE, 9, LINK);
		q->fd = p[0];
		lf_then_nop(c, 9, -EINVAL, false);
	}
	q = sqe(c, IORING_OP_FSYNC, 11, LINK);
	q->fd = -1;
	lf_then_nop(c, 11, -EBADF, true);
	q = sqe(c, IORING_OP_FSYNC, 13, LINK);
	q->fd = fd, q->fsync_flags = 2;
	lf_then_nop(c, 13, -EINVAL, true);
}

/*
 * io_uring/fs.c io_renameat(), io_unlinkat(), io_mkdirat(),
 * io_symlinkat(), io_linkat() and statx.c io_statx(): io_req_set_res()
 * only, so a missing or existing path leaves the chain alone.
 */
static void linkfail_path_ops(struct cx *c)
{
	const char *missing = mkpath(c), *other = mkpath(c);
	struct io_uring_sqe *q;

	q = sqe(c, IORING_OP_STATX, 1, LINK);
	q->fd = AT_FDCWD, q->addr = (uint64_t)(uintptr_t)missing, q->len = 0x7ff;
	q->off = (uint64_t)(uintptr_t)cbuf(c); /* sqe->addr2: the statx buffer */
	lf_then_nop(c, 1, -ENOENT, false);
	q = sqe(c, IORING_OP_RENAMEAT, 3, LINK);
	q->fd = AT_FDCWD, q->addr = (uint64_t)(uintptr_t)missing;
	q->len = (uint32_t)AT_FDCWD, q->off = (uint64_t)(uintptr_t)other;
	lf_then_nop(c, 3, -ENOENT, false);
	q = sqe(c, IORING_OP_UNLINKAT, 5, LINK);
	q->fd = AT_FDCWD, q->addr = (uint64_t)(uintptr_t)missing;
	lf_then_nop(c, 5, -ENOENT, false);
	q = sqe(c, IORING_OP_MKDIRAT, 7, LINK);
	q->fd = AT_FDCWD, q->addr = (uint64_t)(uintptr_t)"/tmp", q->len = 0700;
	lf_then_nop(c, 7, -EEXIST, false);
	q = sqe(c, IORING_OP_SYMLINKAT, 9, LINK);
	q->fd = AT_FDCWD, q->addr = (uint64_t)(uintptr_t)missing;
	q->off = (uint64_t)(uintptr_t)"/tmp"; /* sqe->addr2: the new path */
	lf_then_nop(c, 9, -EEXIST, false);
	linkat_op(c, 11, LINK, AT_FDCWD, missing, AT_FDCWD, other, 0);
	lf_then_nop(c, 11, -ENOENT, false);
}

/*
 * io_uring/advise.c: io_madvise() stores do_madvise()'s error alone (an
 * unknown advice -EINVAL: the chain goes on); io_fadvise() calls
 * req_set_fail() (a pipe -ESPIPE: it breaks).
 */
static void linkfail_advise(struct cx *c)
{
	int p[2];
	struct io_uring_sqe *q;

	mkpipe(c, p);
	q = sqe(c, IORING_OP_MADVISE, 1, LINK);
	q->addr = 0, q->len = 4096, q->fadvise_advice = 12345;
	lf_then_nop(c, 1, -EINVAL, false);
	q = sqe(c, IORING_OP_FADVISE, 3, LINK);
	q->fd = p[0], q->len = 4096, q->fadvise_advice = 0;
	lf_then_nop(c, 3, -ESPIPE, true);
}

/*
 * io_uring/net.c io_shutdown(): __sys_shutdown_sock()'s error is stored
 * alone (a socket that is not connected: -ENOTCONN, the chain goes on); a
 * file that is no socket is an error returned to the core (-ENOTSOCK: it
 * breaks).
 */
static void linkfail_shutdown(struct cx *c)
{
	int p[2], sk;
	struct io_uring_sqe *q;

	if (!c_has(c, IORING_OP_SOCKET) || !c_has(c, IORING_OP_SHUTDOWN))
		return;
	mkpipe(c, p);
	sk = lf_socket(c);
	q = sqe(c, IORING_OP_SHUTDOWN, 1, LINK);
	q->fd = sk, q->len = SHUT_RDWR;
	lf_then_nop(c, 1, -ENOTCONN, false);
	q = sqe(c, IORING_OP_SHUTDOWN, 3, LINK);
	q->fd = p[0], q->len = SHUT_RDWR;
	lf_then_nop(c, 3, -ENOTSOCK, true);
}

/*
 * The same ops break the chain when their prep refuses the SQE
 * (io_submit_fail_init()): a name getname() refuses (an empty path:
 * io_unlinkat_prep(), io_statx_prep() -ENOENT), a reserved field
 * (io_mkdirat_prep(), io_fallocate_prep(), io_shutdown_prep() -EINVAL).
 * The errors of their issue do not: sync_file_range() of unknown flags,
 * shutdown() of an unknown how (-EINVAL).
 */
static void linkfail_prep_errors(struct cx *c)
{
	int fd = mkfile(c, "abc", 3), sk;
	struct io_uring_sqe *q;

	q = sqe(c, IORING_OP_UNLINKAT, 1, LINK);
	q->fd = AT_FDCWD, q->addr = (uint64_t)(uintptr_t)"";
	lf_then_nop(c, 1, -ENOENT, true);
	q = sqe(c, IORING_OP_STATX, 3, LINK);
	q->fd = AT_FDCWD, q->addr = (uint64_t)(uintptr_t)"", q->len = 0x7ff;
	q->off = (uint64_t)(uintptr_t)cbuf(c);
	lf_then_nop(c, 3, -ENOENT, true);
	q = sqe(c, IORING_OP_MKDIRAT, 5, LINK);
	q->fd = AT_FDCWD, q->addr = (uint64_t)(uintptr_t)mkpath(c), q->len = 0700;
	q->buf_index = 1;
	lf_then_nop(c, 5, -EINVAL, true);
	q = sqe(c, IORING_OP_FALLOCATE, 7, LINK);
	q->fd = fd, q->addr = 4096, q->rw_flags = 1;
	lf_then_nop(c, 7, -EINVAL, true);
	q = sqe(c, IORING_OP_SYNC_FILE_RANGE, 9, LINK);
	q->fd = fd, q->sync_range_flags = 0x80;
	lf_then_nop(c, 9, -EINVAL, false);
	if (!c_has(c, IORING_OP_SOCKET) || !c_has(c, IORING_OP_SHUTDOWN))
		return;
	sk = lf_socket(c);
	q = sqe(c, IORING_OP_SHUTDOWN, 11, LINK);
	q->fd = sk, q->len = SHUT_RDWR, q->addr = 1;
	lf_then_nop(c, 11, -EINVAL, true);
	q = sqe(c, IORING_OP_SHUTDOWN, 13, LINK);
	q->fd = sk, q->len = 7;
	lf_then_nop(c, 13, -EINVAL, false);
}

/*
 * Ops whose failures do break the chain, each by its own req_set_fail()
 * or an error returned to the core: a read of a closed fd
 * (io_assign_file()), nop.c io_nop() with IORING_NOP_INJECT_RESULT,
 * openclose.c io_openat2() (-ENOENT), msg_ring.c io_msg_ring() (-EBADFD),
 * uring_cmd.c io_uring_cmd() (-EOPNOTSUPP), futex.c io_futex_wait()
 * (-EAGAIN), waitid.c io_waitid() (-ECHILD), epoll.c io_epoll_ctl()
 * (-ENOENT), net.c io_bind() (bound twice: -EINVAL), io_listen() (a pipe:
 * -ENOTSOCK), io_accept() (not listening: -EINVAL), io_send() (not
 * connected: -EPIPE), a socket's uring_cmd of an unknown cmd_op
 * (-EOPNOTSUPP from ->uring_cmd(): io_uring_cmd()), io_epoll_wait() (no
 * epoll file: -EINVAL).
 */
static void linkfail_breaks(struct cx *c)
{
	int p[2], fd = mkfile(c, "x", 1);
	uint32_t *w = (uint32_t *)(void *)cbuf(c);
	struct io_uring_sqe *q;

	mkpipe(c, p);
	bad(c, 1, LINK);
	lf_then_nop(c, 1, -EBADF, true);
	nopx(c, 3, LINK, C_NOP_INJECT_RESULT, (uint32_t)-EIO, -1);
	lf_then_nop(c, 3, -EIO, true);
	openat_op(c, 5, LINK, mkpath(c), O_RDONLY, 0);
	lf_then_nop(c, 5, -ENOENT, true);
	if (c_has(c, IORING_OP_MSG_RING)) {
		q = sqe(c, IORING_OP_MSG_RING, 7, LINK);
		q->fd = p[0], q->addr = 0;
		lf_then_nop(c, 7, -EBADFD, true);
	}
	if (c_has(c, IORING_OP_URING_CMD)) {
		q = sqe(c, IORING_OP_URING_CMD, 9, LINK);
		q->fd = fd;
		lf_then_nop(c, 9, -EOPNOTSUPP, true);
	}
	if (c_has(c, ARING_OP_FUTEX_WAIT)) {
		w[0] = 7;
		fx(c, ARING_OP_FUTEX_WAIT, 11, LINK, w, 8, ~0u);
		lf_then_nop(c, 11, -EAGAIN, true);
	}
	if (c_has(c, ARING_OP_WAITID)) {
		q = sqe(c, ARING_OP_WAITID, 13, LINK);
		q->fd = 0, q->len = 0 /* P_ALL */, q->file_index = 4 /* WEXITED */;
		lf_then_nop(c, 13, -ECHILD, true);
	}
	if (c_has(c, IORING_OP_EPOLL_CTL)) {
		struct epoll_event *ev = (struct epoll_event *)(void *)cbuf(c);
		int ep = mkepoll(c);

		ev->events = EPOLLIN;
		q = sqe(c, IORING_OP_EPOLL_CTL, 15, LINK);
		q->fd = ep, q->len = EPOLL_CTL_DEL, q->off = (uint64_t)p[0];
		q->addr = (uint64_t)(uintptr_t)ev;
		lf_then_nop(c, 15, -ENOENT, true);
	}
	if (c_has(c, IORING_OP_SOCKET) && c_has(c, ARING_OP_BIND) && c_has(c, ARING_OP_LISTEN)) {
		struct sockaddr_in *a = (struct sockaddr_in *)(void *)cbuf(c);
		int tcp;

		tcp = lf_socket(c);
		a->sin_family = AF_INET;
		a->sin_port = 0;
		a->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		q = sqe(c, ARING_OP_BIND, 17, 0);
		q->fd = tcp, q->addr = (uint64_t)(uintptr_t)a, q->off = sizeof(*a);
		ex(c, 17, 0, 0);
		run(c);
		q = sqe(c, ARING_OP_BIND, 18, LINK);
		q->fd = tcp, q->addr = (uint64_t)(uintptr_t)a, q->off = sizeof(*a);
		lf_then_nop(c, 18, -EINVAL, true);
		q = sqe(c, ARING_OP_LISTEN, 20, LINK);
		q->fd = p[0], q->len = 1;
		lf_then_nop(c, 20, -ENOTSOCK, true);
		q = sqe(c, IORING_OP_ACCEPT, 22, LINK);
		q->fd = tcp;
		lf_then_nop(c, 22, -EINVAL, true);
		q = sqe(c, IORING_OP_SEND, 24, LINK);
		q->fd = tcp, q->addr = (uint64_t)(uintptr_t)"x", q->len = 1;
		q->msg_flags = MSG_NOSIGNAL;
		lf_then_nop(c, 24, -EPIPE, true);
		if (c_has(c, IORING_OP_URING_CMD)) {
			q = sqe(c, IORING_OP_URING_CMD, 26, LINK);
			q->fd = tcp, q->cmd_op = 99;
			lf_then_nop(c, 26, -EOPNOTSUPP, true);
		}
	}
	if (c_has(c, ARING_OP_EPOLL_WAIT)) {
		q = sqe(c, ARING_OP_EPOLL_WAIT, 28, LINK);
		q->fd = p[0], q->addr = (uint64_t)(uintptr_t)cbuf(c), q->len = 4;
		lf_then_nop(c, 28, -EINVAL, true);
	}
}

/* ---------------------------------------------------------------- sockets */

/*
 * Close sockets through the ring (fd -1: none) at the end of a case: a
 * kernel ring's fds left open stay taken until the kernel freed the ring
 * (cx_close()), and a later case may count on the lowest free numbers.
 */
static void tcp_close(struct cx *c, int a, int b)
{
	if ((a >= 0 && setup_run(c, closeop(c, 0, 0, a)) < 0) ||
	    (b >= 0 && setup_run(c, closeop(c, 0, 0, b)) < 0))
		c_bail(c, "close failed");
}

/*
 * TCP on 127.0.0.1 (kernel io_uring/net.c with net/ipv4/tcp.c), through the
 * ring: a connected pair, the listener closed. The port is the ephemeral one
 * bind gave (getsockname(2) on real fds, the sim's own on the sim).
 */
static int tcp_socket(struct cx *c)
{
	struct io_uring_sqe *q = sqe(c, IORING_OP_SOCKET, 0, 0);
	int fd;

	q->fd = AF_INET;
	q->off = SOCK_STREAM;
	fd = setup_run(c, q);
	if (fd < 0)
		c_bail(c, "socket: %d", fd);
	keep_fd(c, fd);
	return fd;
}

/* A listener on 127.0.0.1 and an ephemeral port (*a: its address). */
static int tcp_listen(struct cx *c, struct sockaddr_in *a)
{
	socklen_t alen = sizeof(*a);
	struct io_uring_sqe *q;
	int lfd = tcp_socket(c), ret;

	memset(a, 0, sizeof(*a));
	a->sin_family = AF_INET;
	a->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	q = sqe(c, ARING_OP_BIND, 0, 0);
	q->fd = lfd;
	q->addr = (uint64_t)(uintptr_t)a;
	q->addr2 = sizeof(*a);
	if ((ret = setup_run(c, q)) < 0)
		c_bail(c, "bind: %d", ret);
	q = sqe(c, ARING_OP_LISTEN, 0, 0);
	q->fd = lfd;
	q->len = 4;
	if ((ret = setup_run(c, q)) < 0)
		c_bail(c, "listen: %d", ret);
	ret = c->bd->real_fds ? (getsockname(lfd, (struct sockaddr *)a, &alen) ? -errno : 0)
			      : aring__sim_getsockname(sim_of(c->be), lfd, (struct sockaddr *)a,
						       &alen, false);
	if (ret < 0)
		c_bail(c, "getsockname: %d", ret);
	return lfd;
}

/* A socket connected to *a (the connection waits in the listener's queue). */
static int tcp_connect(struct cx *c, const struct sockaddr_in *a)
{
	struct io_uring_sqe *q;
	int fd = tcp_socket(c), ret;

	q = sqe(c, IORING_OP_CONNECT, 0, 0);
	q->fd = fd;
	q->addr = (uint64_t)(uintptr_t)a;
	q->off = sizeof(*a);
	if ((ret = setup_run(c, q)) < 0)
		c_bail(c, "connect: %d", ret);
	return fd;
}

static void tcp_pair(struct cx *c, int *cli, int *srv)
{
	struct sockaddr_in a;
	struct io_uring_sqe *q;
	int lfd = tcp_listen(c, &a);

	*cli = tcp_connect(c, &a);
	q = sqe(c, IORING_OP_ACCEPT, 0, 0);
	q->fd = lfd;
	*srv = setup_run(c, q);
	if (*srv < 0)
		c_bail(c, "accept: %d", *srv);
	keep_fd(c, *srv);
	tcp_close(c, lfd, -1);
}

/* IORING_OP_SEND or RECV of len bytes at buf. */
static struct io_uring_sqe *sr(struct cx *c, unsigned op, uint64_t ud, unsigned flags, int fd,
			       const void *buf, unsigned len, unsigned msg_flags)
{
	struct io_uring_sqe *q = sqe(c, op, ud, flags);

	q->fd = fd;
	q->addr = (uint64_t)(uintptr_t)buf;
	q->len = len;
	q->msg_flags = msg_flags;
	return q;
}
#define snd(c, ud, fl, fd, buf, len, mf) sr(c, IORING_OP_SEND, ud, fl, fd, buf, len, mf)
#define rcv(c, ud, fl, fd, buf, len, mf) sr(c, IORING_OP_RECV, ud, fl, fd, buf, len, mf)

static struct io_uring_sqe *rcvmsg(struct cx *c, uint64_t ud, unsigned flags, int fd,
				   struct msghdr *m, struct iovec *v, unsigned nv, unsigned msg_flags)
{
	struct io_uring_sqe *q = sqe(c, IORING_OP_RECVMSG, ud, flags);

	memset(m, 0, sizeof(*m));
	m->msg_iov = v;
	m->msg_iovlen = nv;
	q->fd = fd;
	q->addr = (uint64_t)(uintptr_t)m;
	q->len = 1;
	q->msg_flags = msg_flags;
	return q;
}

static struct io_uring_sqe *shut(struct cx *c, uint64_t ud, int fd, int how)
{
	struct io_uring_sqe *q = sqe(c, IORING_OP_SHUTDOWN, ud, 0);

	q->fd = fd;
	q->len = (unsigned)how;
	return q;
}

/* Wait until fd is readable (the peer's bytes have arrived). */
static void readable(struct cx *c, int fd)
{
	struct io_uring_sqe *q = sqe(c, IORING_OP_POLL_ADD, 0, 0);
	int ret;

	q->fd = fd;
	q->poll32_events = POLLIN;
	if ((ret = setup_run(c, q)) < 0 || !(ret & POLLIN))
		c_bail(c, "poll: %d", ret);
}

/* A fresh buffer ring for a case that selects buffers (false: the backend selects none). */
static bool net_ring(struct cx *c, struct io_uring_buf_ring *br, unsigned entries, unsigned bgid,
		     unsigned flags)
{
	if (!selects_buffers(c))
		return false;
	memset(br, 0, 4096);
	if (reg_ring(c, br, entries, bgid, flags) != 0)
		c_bail(c, "registering a buffer ring failed");
	return true;
}

/* The end of such a case: its sockets closed, its ring unregistered. */
static void net_end(struct cx *c, int cl, int sv, unsigned bgid)
{
	tcp_close(c, cl, sv);
	if (unreg_ring(c, bgid) != 0)
		c_bail(c, "unregister failed");
}

#define NONEMPTY IORING_CQE_F_SOCK_NONEMPTY

/*
 * io_recv_finish(): IORING_CQE_F_SOCK_NONEMPTY when msg_inq > 0 after the
 * receive: tcp_recvmsg() fills msg_inq (tcp_inq_hint(): the bytes still
 * queued) when it returns >= 0; an error (-EAGAIN) leaves it -1. MSG_PEEK
 * leaves the bytes queued; recvmsg reports it as recv does.
 */
static void net_recv_sock_nonempty(struct cx *c)
{
	char *b = cbuf(c);
	struct msghdr mh, *m = &mh;
	struct iovec iv, *v = &iv;
	int cl, sv;

	tcp_pair(c, &cl, &sv);
	rcv(c, 1, 0, sv, b, 4, MSG_DONTWAIT);                 /* nothing: -EAGAIN */
	snd(c, 2, 0, cl, "0123456789", 10, 0);
	ex(c, 1, -EAGAIN, 0);
	ex(c, 2, 10, 0);
	run(c);
	readable(c, sv);
	rcv(c, 3, 0, sv, b, 4, 0);
	rcv(c, 4, 0, sv, b, 2, MSG_PEEK);
	ex(c, 3, 4, NONEMPTY);
	ex(c, 4, 2, NONEMPTY);
	run(c);
	v->iov_base = b;
	v->iov_len = 3;
	rcvmsg(c, 5, 0, sv, m, v, 1, 0);
	ex(c, 5, 3, NONEMPTY);
	run(c);
	rcvmsg(c, 6, 0, sv, m, v, 1, 0);                      /* the last 3: empty now */
	ex(c, 6, 3, 0);
	run(c);
	tcp_close(c, cl, sv);
}

/*
 * tcp_inq_hint() is 1 once the peer's FIN came (SOCK_DONE) and nothing is
 * left, so the last bytes and the read at EOF carry IORING_CQE_F_SOCK_NONEMPTY;
 * a receive of 0 bytes reports the bytes queued. (The epoll backend learns
 * the queue with FIONREAD after a receive that filled its buffer only.)
 */
static void net_recv_nonempty_fin(struct cx *c)
{
	char *b = cbuf(c);
	int cl, sv;

	tcp_pair(c, &cl, &sv);
	snd(c, 1, 0, cl, "abc", 3, 0);
	shut(c, 2, cl, SHUT_WR);
	ex(c, 1, 3, 0);
	ex(c, 2, 0, 0);
	run(c);
	readable(c, sv);
	rcv(c, 3, 0, sv, b, 0, 0);
	rcv(c, 4, 0, sv, b, 1, 0);
	rcv(c, 5, 0, sv, b, 4, 0);                            /* the last bytes, after a FIN */
	rcv(c, 6, 0, sv, b, 4, 0);                            /* EOF */
	ex(c, 3, 0, NONEMPTY);
	ex(c, 4, 1, NONEMPTY);
	ex(c, 5, 2, NONEMPTY);
	ex(c, 6, 0, NONEMPTY);
	run(c);
	shut(c, 7, cl, SHUT_RD);                              /* our own shutdown: no FIN */
	ex(c, 7, 0, 0);
	run(c);
	rcv(c, 8, 0, cl, b, 4, 0);
	ex(c, 8, 0, 0);
	run(c);
	tcp_close(c, cl, sv);
}

/*
 * For a multishot receive: a pair whose server side holds "0123456789" and
 * the FIN, and 4 legacy buffers of len bytes in group bgid (ud 1-3 used).
 * False on a backend that selects no buffers.
 */
static bool fin_after_10(struct cx *c, int *cl, int *sv, unsigned len, unsigned bgid)
{
	if (!selects_buffers(c))
		return false;
	tcp_pair(c, cl, sv);
	provide(c, 1, kbuf_mem, len, 4, bgid, 0);
	snd(c, 2, 0, *cl, "0123456789", 10, 0);
	shut(c, 3, *cl, SHUT_WR);
	ex(c, 1, 0, 0);
	ex(c, 2, 10, 0);
	ex(c, 3, 0, 0);
	run(c);
	readable(c, *sv);
	return true;
}

/*
 * A multishot recv into provided buffers (io_recv(), io_recv_finish()):
 * every CQE says whether bytes are left; after the FIN the last ones and
 * the final CQE (0, the buffer given back) say so too.
 */
static void net_recv_mshot_nonempty(struct cx *c)
{
	struct io_uring_sqe *q;
	int cl, sv;

	if (!fin_after_10(c, &cl, &sv, 4, 20))
		return;
	q = rcv(c, 4, BSEL, sv, NULL, 0, 0);
	q->ioprio = IORING_RECV_MULTISHOT;
	q->buf_group = 20;
	ex(c, 4, 4, FBUF | FMORE | NONEMPTY | BID(0));
	ex(c, 4, 4, FBUF | FMORE | NONEMPTY | BID(1));
	ex(c, 4, 2, FBUF | FMORE | NONEMPTY | BID(2));
	ex(c, 4, 0, NONEMPTY);
	run(c);
	tcp_close(c, cl, sv);
}

/*
 * IORING_OP_SEND from a provided buffer (Linux 6.10; io_send(),
 * io_send_select_buffer(), kbuf.c io_buffers_select()).
 */
static void net_send_bufsel(struct cx *c)
{
	struct io_uring_buf_ring *br = (struct io_uring_buf_ring *)kbuf_ring[0];
	char *b = cbuf(c);
	struct io_uring_sqe *q;
	int cl, sv;

	if (!net_ring(c, br, 4, 21, 0))
		return;
	memcpy(kbuf_mem, "helloworld!", 11);
	io_uring_buf_ring_add(br, kbuf_mem, 5, 7, io_uring_buf_ring_mask(4), 0);
	io_uring_buf_ring_add(br, kbuf_mem + 5, 6, 8, io_uring_buf_ring_mask(4), 1);
	io_uring_buf_ring_advance(br, 2);
	tcp_pair(c, &cl, &sv);
	snd(c, 1, BSEL, cl, NULL, 0, 0)->buf_group = 21;
	snd(c, 2, BSEL, cl, NULL, 3, 0)->buf_group = 21;
	snd(c, 3, BSEL, cl, NULL, 0, 0)->buf_group = 21;     /* empty */
	snd(c, 4, BSEL, cl, NULL, 0, 0)->buf_group = 23;     /* no such group */
	ex(c, 1, 5, FBUF | BID(7));
	ex(c, 2, 3, FBUF | BID(8));
	ex(c, 3, -ENOBUFS, 0);
	ex(c, 4, -ENOENT, 0);
	run(c);
	if (br->bufs[1].len != 6)
		c_bail(c, "the ring entry's len changed: %u", br->bufs[1].len);
	readable(c, sv);
	rcv(c, 5, 0, sv, b, 16, 0);
	ex(c, 5, 8, 0);
	run(c);
	provide(c, 6, kbuf_mem, 4, 2, 22, 0);
	snd(c, 7, BSEL, cl, NULL, 2, 0)->buf_group = 22;
	q = sqe(c, IORING_OP_SENDMSG, 8, BSEL);
	q->fd = cl;
	q->buf_group = 22;
	shut(c, 9, cl, SHUT_WR);
	ex(c, 6, 0, 0);
	ex(c, 7, 4, FBUF | BID(0));
	ex(c, 8, -EOPNOTSUPP, 0);
	ex(c, 9, 0, 0);
	run(c);
	snd(c, 10, BSEL, cl, NULL, 0, 0)->buf_group = 22;
	snd(c, 11, BSEL, cl, NULL, 0, 0)->buf_group = 22;
	ex(c, 10, -EPIPE, FBUF | BID(1));
	ex(c, 11, -ENOBUFS, 0);
	run(c);
	io_uring_buf_ring_add(br, kbuf_mem, 5, 9, io_uring_buf_ring_mask(4), 0);
	io_uring_buf_ring_advance(br, 1);
	snd(c, 12, BSEL, cl, NULL, 0, 0)->buf_group = 21;
	snd(c, 13, BSEL, cl, NULL, 0, 0)->buf_group = 21;
	ex(c, 12, -EPIPE, FBUF | BID(9));
	ex(c, 13, -ENOBUFS, 0);
	run(c);
	net_end(c, cl, sv, 21);
}

/* An incremental ring (IOU_PBUF_RING_INC): a send takes what sqe->len asks of the entry. */
static void net_send_bufsel_inc(struct cx *c)
{
	struct io_uring_buf_ring *br = (struct io_uring_buf_ring *)kbuf_ring[1];
	int cl, sv;

	if (!net_ring(c, br, 4, 24, ARING_IOU_PBUF_RING_INC))
		return;
	io_uring_buf_ring_add(br, kbuf_mem, 8, 3, io_uring_buf_ring_mask(4), 0);
	io_uring_buf_ring_advance(br, 1);
	tcp_pair(c, &cl, &sv);
	snd(c, 1, BSEL, cl, NULL, 3, 0)->buf_group = 24;
	snd(c, 2, BSEL, cl, NULL, 0, 0)->buf_group = 24;
	snd(c, 3, BSEL, cl, NULL, 0, 0)->buf_group = 24;
	ex(c, 1, 3, FBUF | ARING_CQE_F_BUF_MORE | BID(3));
	ex(c, 2, 5, FBUF | BID(3));
	ex(c, 3, -ENOBUFS, 0);
	run(c);
	net_end(c, cl, sv, 24);
}

#define BUNDLE ARING_RECVSEND_BUNDLE

static void ring_bufs(struct io_uring_buf_ring *br, unsigned n, unsigned len, unsigned bid0)
{
	unsigned i;

	for (i = 0; i < n; i++)
		io_uring_buf_ring_add(br, kbuf_mem + 16 * i, len, (unsigned short)(bid0 + i),
				      io_uring_buf_ring_mask(8), (int)i);
	io_uring_buf_ring_advance(br, (int)n);
}

/*
 * For a receive bundle: group 25 a ring of nbufs 4-byte buffers (bids 0..),
 * a pair whose server side holds "0123456789" (ud 1 used). False on a
 * backend that selects no buffers.
 */
static bool ring_ten(struct cx *c, struct io_uring_buf_ring *br, unsigned nbufs, int *cl, int *sv)
{
	if (!net_ring(c, br, 8, 25, 0))
		return false;
	tcp_pair(c, cl, sv);
	ring_bufs(br, nbufs, 4, 0);
	snd(c, 1, 0, *cl, "0123456789", 10, 0);
	ex(c, 1, 10, 0);
	run(c);
	readable(c, *sv);
	return true;
}

static struct io_uring_sqe *bundle(struct io_uring_sqe *q, unsigned bgid)
{
	q->ioprio |= BUNDLE;
	q->buf_group = (uint16_t)bgid;
	return q;
}

/*
 * A receive bundle (io_recv(), io_recv_buf_select(), io_recv_finish()):
 * the first receive maps one buffer (sqe->len 0) or what sqe->len needs,
 * a longer last entry left out (partial map); a receive that filled what
 * it mapped with more than a byte queued goes on once with what is queued;
 * one CQE for the total, the first bid. No group: -ENOENT (io_buffers_peek()).
 */
static void net_recv_bundle(struct cx *c)
{
	struct io_uring_buf_ring *br = (struct io_uring_buf_ring *)kbuf_ring[0];
	int cl, sv;

	if (!ring_ten(c, br, 6, &cl, &sv))
		return;
	bundle(rcv(c, 2, BSEL, sv, NULL, 0, 0), 25);         /* 4, then 4 (4 > 6 - 4: left out) */
	ex(c, 2, 8, FBUF | NONEMPTY | BID(0));
	run(c);
	snd(c, 3, 0, cl, "abcdefghij", 10, 0);
	ex(c, 3, 10, 0);
	run(c);
	bundle(rcv(c, 4, BSEL, sv, NULL, 6, 0), 25);         /* 4 (then 4 > 2: left out) */
	ex(c, 4, 4, FBUF | NONEMPTY | BID(2));
	run(c);
	bundle(rcv(c, 5, BSEL, sv, NULL, 0, 0), 25);         /* 4, then the 4 queued */
	ex(c, 5, 8, FBUF | BID(3));
	run(c);
	snd(c, 6, 0, cl, "xy", 2, 0);
	ex(c, 6, 2, 0);
	run(c);
	readable(c, sv);
	bundle(rcv(c, 7, BSEL, sv, NULL, 0, 0), 25);         /* the last entry */
	bundle(rcv(c, 8, BSEL, sv, NULL, 0, 0), 25);
	bundle(rcv(c, 9, BSEL, sv, NULL, 0, 0), 26);
	ex(c, 7, 2, FBUF | BID(5));
	ex(c, 8, -ENOBUFS, 0);
	ex(c, 9, -ENOENT, 0);
	run(c);
	net_end(c, cl, sv, 25);
}

/* A multishot receive bundle: a bundle per CQE; after the FIN, 0 ends it. */
static void net_recv_bundle_mshot(struct cx *c)
{
	struct io_uring_buf_ring *br = (struct io_uring_buf_ring *)kbuf_ring[0];
	int cl, sv;

	if (!net_ring(c, br, 8, 25, 0))
		return;
	tcp_pair(c, &cl, &sv);
	ring_bufs(br, 5, 4, 0);
	snd(c, 1, 0, cl, "0123456789", 10, 0);
	shut(c, 2, cl, SHUT_WR);
	ex(c, 1, 10, 0);
	ex(c, 2, 0, 0);
	run(c);
	readable(c, sv);
	bundle(rcv(c, 3, BSEL, sv, NULL, 0, 0), 25)->ioprio |= IORING_RECV_MULTISHOT;
	ex(c, 3, 8, FBUF | FMORE | NONEMPTY | BID(0));
	ex(c, 3, 2, FBUF | FMORE | NONEMPTY | BID(2));
	ex(c, 3, 0, NONEMPTY);
	run(c);
	net_end(c, cl, sv, 25);
}

/*
 * io_sendmsg_prep(), io_recvmsg_prep(): a bundle is a send's or a recv's
 * (-EINVAL before the msghdr is read). A recv bundle without provided
 * buffers is a plain recv; a send bundle without them posts its bytes with
 * F_MORE and goes on with nothing to send: 0 (io_send_finish()).
 */
static void net_bundle_checks(struct cx *c)
{
	char *b = cbuf(c);
	struct msghdr mh, *m = &mh;
	struct iovec iv, *v = &iv;
	struct io_uring_sqe *q;
	int cl, sv;

	if (!selects_buffers(c))
		return;  /* epoll: -EINVAL for a bundle (backends/epoll.c) */
	tcp_pair(c, &cl, &sv);
	rcv(c, 1, 0, sv, b, 4, MSG_DONTWAIT)->ioprio = BUNDLE;
	v->iov_base = b;
	v->iov_len = 3;
	rcvmsg(c, 2, 0, sv, m, v, 1, 0)->ioprio = BUNDLE;
	q = sqe(c, IORING_OP_SENDMSG, 3, 0);
	q->fd = cl;
	q->ioprio = BUNDLE;
	ex(c, 1, -EAGAIN, 0);
	ex(c, 2, -EINVAL, 0);
	ex(c, 3, -EINVAL, 0);
	run(c);
	snd(c, 4, 0, cl, "xyz", 3, 0)->ioprio = BUNDLE;
	ex(c, 4, 3, FMORE);
	ex(c, 4, 0, 0);
	run(c);
	readable(c, sv);
	rcv(c, 5, 0, sv, b, 16, 0)->ioprio = BUNDLE;
	ex(c, 5, 3, 0);
	run(c);
	tcp_close(c, cl, sv);
}

/*
 * A send bundle (io_send_select_buffer(), io_send_finish()): the buffers
 * sqe->len needs (a longer last one left out) are taken and sent at once;
 * entries left, it posts with F_MORE and goes on with all the rest.
 */
static void net_send_bundle(struct cx *c)
{
	struct io_uring_buf_ring *br = (struct io_uring_buf_ring *)kbuf_ring[0];
	char *b = cbuf(c);
	int cl, sv;

	if (!net_ring(c, br, 8, 25, 0))
		return;
	memcpy(kbuf_mem, "abcdefghij", 10);
	io_uring_buf_ring_add(br, kbuf_mem, 3, 10, io_uring_buf_ring_mask(8), 0);
	io_uring_buf_ring_add(br, kbuf_mem + 3, 2, 11, io_uring_buf_ring_mask(8), 1);
	io_uring_buf_ring_add(br, kbuf_mem + 5, 1, 12, io_uring_buf_ring_mask(8), 2);
	io_uring_buf_ring_add(br, kbuf_mem + 6, 4, 13, io_uring_buf_ring_mask(8), 3);
	io_uring_buf_ring_advance(br, 4);
	tcp_pair(c, &cl, &sv);
	bundle(snd(c, 1, BSEL, cl, NULL, 4, 0), 25);
	ex(c, 1, 3, FBUF | FMORE | BID(10));
	ex(c, 1, 7, FBUF | BID(11));
	run(c);
	bundle(snd(c, 2, BSEL, cl, NULL, 0, 0), 25);
	ex(c, 2, -ENOBUFS, 0);
	run(c);
	readable(c, sv);
	rcv(c, 3, 0, sv, b, 16, MSG_WAITALL)->len = 10;
	ex(c, 3, 10, 0);
	run(c);
	if (memcmp(b, "abcdefghij", 10) != 0)
		c_bail(c, "the bundle sent other bytes");
	net_end(c, cl, sv, 25);
}

/*
 * Bundles over legacy provided buffers: a send's takes one whole buffer at
 * a time (io_provided_buffers_select() with out_len 0: sqe->len does not
 * cap it) and goes on while the list has more; a receive's second pass
 * takes the next buffer (io_buffers_peek()), the CQE names the first.
 */
static void net_bundle_legacy(struct cx *c)
{
	int cl, sv;

	if (!selects_buffers(c))
		return;
	tcp_pair(c, &cl, &sv);
	memcpy(kbuf_mem, "abcdefghijkl", 12);
	provide(c, 1, kbuf_mem, 4, 3, 27, 0);
	provide(c, 2, kbuf_mem + 64, 4, 3, 28, 5);
	ex(c, 1, 0, 0);
	ex(c, 2, 0, 0);
	run(c);
	bundle(snd(c, 3, BSEL, cl, NULL, 2, 0), 27);
	ex(c, 3, 4, FBUF | FMORE | BID(0));
	ex(c, 3, 4, FBUF | FMORE | BID(1));
	ex(c, 3, 4, FBUF | BID(2));
	run(c);
	readable(c, sv);
	bundle(rcv(c, 4, BSEL, sv, NULL, 0, 0), 28);
	ex(c, 4, 8, FBUF | NONEMPTY | BID(5));
	run(c);
	bundle(rcv(c, 5, BSEL, sv, NULL, 0, 0), 28);
	ex(c, 5, 4, FBUF | BID(7));
	run(c);
	if (memcmp(kbuf_mem + 64, "abcdefghijkl", 12) != 0)
		c_bail(c, "the bundles moved other bytes");
	tcp_close(c, cl, sv);
}

/*
 * Bundles over an incremental ring (IOU_PBUF_RING_INC): an entry longer
 * than what is left is cut, never left out, and the entry moves on by
 * what was used (io_kbuf_inc_commit()); a receive's CQE carries its first
 * pass's flags (io_recv_finish()), a send's says BUF_MORE while its last
 * entry has room.
 */
static void net_bundle_inc(struct cx *c)
{
	struct io_uring_buf_ring *br = (struct io_uring_buf_ring *)kbuf_ring[1];
	int cl, sv;

	if (!net_ring(c, br, 4, 29, ARING_IOU_PBUF_RING_INC))
		return;
	memcpy(kbuf_mem, "0123456789abcdef", 16);
	io_uring_buf_ring_add(br, kbuf_mem, 8, 1, io_uring_buf_ring_mask(4), 0);
	io_uring_buf_ring_add(br, kbuf_mem + 8, 8, 2, io_uring_buf_ring_mask(4), 1);
	io_uring_buf_ring_advance(br, 2);
	tcp_pair(c, &cl, &sv);
	bundle(snd(c, 1, BSEL, cl, NULL, 10, 0), 29);
	ex(c, 1, 10, FBUF | FMORE | ARING_CQE_F_BUF_MORE | BID(1));
	ex(c, 1, 6, FBUF | BID(2));
	run(c);
	io_uring_buf_ring_add(br, kbuf_mem + 64, 8, 3, io_uring_buf_ring_mask(4), 0);
	io_uring_buf_ring_add(br, kbuf_mem + 72, 8, 4, io_uring_buf_ring_mask(4), 1);
	io_uring_buf_ring_advance(br, 2);
	readable(c, sv);
	bundle(rcv(c, 2, BSEL, sv, NULL, 0, 0), 29);         /* 8, then 8 of 8 (all 16) */
	ex(c, 2, 16, FBUF | BID(3));
	run(c);
	snd(c, 3, 0, cl, "xyz", 3, 0);
	ex(c, 3, 3, 0);
	run(c);
	readable(c, sv);
	io_uring_buf_ring_add(br, kbuf_mem + 80, 8, 5, io_uring_buf_ring_mask(4), 0);
	io_uring_buf_ring_advance(br, 1);
	bundle(rcv(c, 4, BSEL, sv, NULL, 0, 0), 29);
	ex(c, 4, 3, FBUF | ARING_CQE_F_BUF_MORE | BID(5));
	run(c);
	if (memcmp(kbuf_mem + 64, "0123456789abcdefxyz", 19) != 0)
		c_bail(c, "the bundles moved other bytes");
	net_end(c, cl, sv, 29);
}

/*
 * io_accept(): IORING_CQE_F_SOCK_NONEMPTY when the accept left more
 * connections queued (inet_csk_accept()'s arg->is_empty after it took one).
 * Direct descriptors, so the results are known.
 */
static void net_accept_nonempty(struct cx *c)
{
	struct sockaddr_in a;
	struct io_uring_sqe *q;
	int lfd, c1, c2;

	files_sparse(c, 4);
	lfd = tcp_listen(c, &a);
	c1 = tcp_connect(c, &a);
	c2 = tcp_connect(c, &a);
	q = sqe(c, IORING_OP_ACCEPT, 1, 0);
	q->fd = lfd;
	q->file_index = 1;
	ex(c, 1, 0, NONEMPTY);
	run(c);
	q = sqe(c, IORING_OP_ACCEPT, 2, 0);
	q->fd = lfd;
	q->file_index = 2;
	ex(c, 2, 0, 0);
	run(c);
	tcp_close(c, c1, c2);
	tcp_close(c, lfd, -1);
}

#define SEND_VEC ARING_SEND_VECTORIZED

/*
 * IORING_SEND_VECTORIZED (io_send_setup(), io_send_zc_prep()): sqe->addr is
 * an iovec array of sqe->len entries, imported at prep (-EFAULT, -EINVAL
 * past UIO_MAXIOV); sendmsg takes the flag and ignores it; recv refuses it.
 */
static void net_send_vectorized(struct cx *c)
{
	struct iovec v[2] = { { (void *)"ab", 2 }, { (void *)"cde", 3 } };
	struct msghdr mh;
	char *b = cbuf(c);
	struct io_uring_sqe *q;
	int cl, sv;

	if (!strcmp(c->bd->name, "epoll"))
		return;  /* -EINVAL: backends/epoll.c takes no IORING_SEND_VECTORIZED */
	tcp_pair(c, &cl, &sv);
	q = snd(c, 1, 0, cl, v, 2, 0);
	q->ioprio = SEND_VEC;
	q = snd(c, 2, 0, cl, NULL, 1, 0);
	q->ioprio = SEND_VEC;
	q = snd(c, 3, 0, cl, v, 1025, 0);
	q->ioprio = SEND_VEC;
	rcv(c, 4, 0, sv, b, 4, MSG_DONTWAIT)->ioprio = SEND_VEC;
	ex(c, 1, 5, 0);
	ex(c, 2, -EFAULT, 0);
	ex(c, 3, -EINVAL, 0);
	ex(c, 4, -EINVAL, 0);
	run(c);
	memset(&mh, 0, sizeof(mh));
	mh.msg_iov = v;
	mh.msg_iovlen = 1;
	q = sqe(c, IORING_OP_SENDMSG, 5, 0);
	q->fd = cl;
	q->addr = (uint64_t)(uintptr_t)&mh;
	q->ioprio = SEND_VEC;
	ex(c, 5, 2, 0);
	run(c);
	readable(c, sv);
	rcv(c, 6, 0, sv, b, 16, MSG_WAITALL)->len = 7;
	ex(c, 6, 7, 0);
	run(c);
	if (memcmp(b, "abcdeab", 7) != 0)
		c_bail(c, "the vectorized send sent other bytes");
	tcp_close(c, cl, sv);
}

/*
 * listen on a listener (net/ipv4/af_inet.c inet_listen(): only the backlog
 * changes) keeps the connections it holds, oldest first: one accepted, three
 * queued behind it, then a larger backlog; each accepted socket holds the
 * byte its client sent. (The sim sizes its accept queue to the backlog and
 * grows it here, from the queue's head.)
 */
static void net_relisten_keeps_queue(struct cx *c)
{
	static const char bytes[] = "abcd";
	struct sockaddr_in a;
	struct io_uring_sqe *q;
	int lfd = tcp_listen(c, &a), cl[4], sv[4], i;
	char *b = cbuf(c);

	for (i = 0; i < 4; i++) {
		cl[i] = tcp_connect(c, &a);
		if (setup_run(c, snd(c, 0, 0, cl[i], bytes + i, 1, 0)) != 1)
			c_bail(c, "send %d failed", i);
		if (i == 0) {
			q = sqe(c, IORING_OP_ACCEPT, 0, 0);
			q->fd = lfd;
			if ((sv[0] = setup_run(c, q)) < 0)
				c_bail(c, "accept: %d", sv[0]);
			keep_fd(c, sv[0]);
		}
	}
	q = sqe(c, ARING_OP_LISTEN, 1, 0);
	q->fd = lfd;
	q->len = 64;
	ex(c, 1, 0, 0);
	run(c);
	for (i = 1; i < 4; i++) {
		q = sqe(c, IORING_OP_ACCEPT, 0, 0);
		q->fd = lfd;
		if ((sv[i] = setup_run(c, q)) < 0)
			c_bail(c, "accept %d: %d", i, sv[i]);
		keep_fd(c, sv[i]);
	}
	for (i = 0; i < 4; i++) {
		readable(c, sv[i]);
		rcv(c, 10 + (unsigned)i, 0, sv[i], b + i, 1, 0);
		ex(c, 10 + (unsigned)i, 1, 0);
		run(c);
	}
	if (memcmp(b, bytes, 4) != 0)
		c_bail(c, "the connections came out of order: %.4s", b);
	for (i = 0; i < 4; i++)
		tcp_close(c, cl[i], sv[i]);
	tcp_close(c, lfd, -1);
}

/*
 * IORING_SEND_ZC_REPORT_USAGE (io_send_zc_prep()): the notification's res is
 * IORING_NOTIF_USAGE_ZC_COPIED over loopback (the data was copied:
 * notif.c io_notif_tw_complete()), and that negative res fails nothing (the
 * notification is a request of its own): a NOP linked to the send runs. A
 * plain send takes no such flag (io_sendmsg_prep(): -EINVAL).
 */
static void net_send_zc_report_usage(struct cx *c)
{
	char *b = cbuf(c);
	struct io_uring_sqe *q;
	int cl, sv;

	if (!c_has(c, IORING_OP_SEND_ZC))
		return;
	tcp_pair(c, &cl, &sv);
	q = sr(c, IORING_OP_SEND_ZC, 1, LINK, cl, "abc", 3, 0);
	q->ioprio = ARING_SEND_ZC_REPORT_USAGE;
	sqe(c, IORING_OP_NOP, 2, 0);
	ex(c, 1, 3, IORING_CQE_F_MORE);
	ex(c, 1, (int32_t)ARING_NOTIF_USAGE_ZC_COPIED, IORING_CQE_F_NOTIF);
	ex_set(c, 2, 0, 0);
	run(c);
	snd(c, 3, 0, cl, "d", 1, 0)->ioprio = ARING_SEND_ZC_REPORT_USAGE;
	ex(c, 3, -EINVAL, 0);
	run(c);
	readable(c, sv);
	rcv(c, 4, 0, sv, b, 16, 0);
	ex(c, 4, 3, 0);
	run(c);
	if (memcmp(b, "abc", 3) != 0)
		c_bail(c, "the zerocopy send sent other bytes");
	tcp_close(c, cl, sv);
}

/*
 * A multishot recvmsg (io_recvmsg_multishot()): each buffer starts with a
 * struct io_uring_recvmsg_out (16 bytes, no name or control here), res
 * counts it; the read at EOF ends the request with a last header-only CQE
 * (its buffer kept), SOCK_NONEMPTY after the FIN.
 */
static void net_recvmsg_mshot(struct cx *c)
{
	struct msghdr mh;
	struct io_uring_sqe *q;
	int cl, sv;

	if (!fin_after_10(c, &cl, &sv, 20, 30))
		return;
	memset(&mh, 0, sizeof(mh));
	q = sqe(c, IORING_OP_RECVMSG, 4, BSEL);
	q->fd = sv;
	q->addr = (uint64_t)(uintptr_t)&mh;
	q->len = 1;
	q->ioprio = IORING_RECV_MULTISHOT;
	q->buf_group = 30;
	ex(c, 4, 20, FBUF | FMORE | NONEMPTY | BID(0));
	ex(c, 4, 20, FBUF | FMORE | NONEMPTY | BID(1));
	ex(c, 4, 18, FBUF | FMORE | NONEMPTY | BID(2));
	ex(c, 4, 16, FBUF | NONEMPTY | BID(3));
	run(c);
	tcp_close(c, cl, sv);
}

/*
 * sqe->optlen (the union of file_index) on a receive (io_recvmsg_prep(),
 * Linux 6.17): a multishot recv's byte limit (IORING_RECV_MSHOT_LIM): it
 * ends after the CQE that reaches it; any other receive refuses it.
 */
static void net_recv_mshot_limit(struct cx *c)
{
	struct msghdr mh;
	char *b = cbuf(c);
	struct io_uring_sqe *q;
	int cl, sv;

	if (!fin_after_10(c, &cl, &sv, 4, 31))
		return;
	rcv(c, 4, 0, sv, b, 4, 0)->file_index = 6;
	memset(&mh, 0, sizeof(mh));
	q = sqe(c, IORING_OP_RECVMSG, 5, BSEL);
	q->fd = sv;
	q->addr = (uint64_t)(uintptr_t)&mh;
	q->ioprio = IORING_RECV_MULTISHOT;
	q->buf_group = 31;
	q->file_index = 6;
	ex(c, 4, -EINVAL, 0);
	ex(c, 5, -EINVAL, 0);
	run(c);
	q = rcv(c, 6, BSEL, sv, NULL, 0, 0);
	q->ioprio = IORING_RECV_MULTISHOT;
	q->buf_group = 31;
	q->file_index = 6;
	ex(c, 6, 4, FBUF | FMORE | NONEMPTY | BID(0));
	ex(c, 6, 4, FBUF | NONEMPTY | BID(1));
	run(c);
	tcp_close(c, cl, sv);
}

/* The limit caps a multishot bundle's peeks too (io_recv_buf_select()). */
static void net_recv_bundle_limit(struct cx *c)
{
	struct io_uring_buf_ring *br = (struct io_uring_buf_ring *)kbuf_ring[0];
	struct io_uring_sqe *q;
	int cl, sv;

	if (!ring_ten(c, br, 5, &cl, &sv))
		return;
	q = bundle(rcv(c, 2, BSEL, sv, NULL, 0, 0), 25);
	q->ioprio |= IORING_RECV_MULTISHOT;
	q->file_index = 6;
	ex(c, 2, 4, FBUF | FMORE | NONEMPTY | BID(0));
	ex(c, 2, 2, FBUF | NONEMPTY | BID(1));
	run(c);
	net_end(c, cl, sv, 25);
}

/*
 * Fields io_sendmsg_prep() and io_recvmsg_prep() refuse (-EINVAL, before
 * the msghdr is read): sendmsg's addr2 and file_index, recvmsg's addr2.
 */
static void net_msg_reserved(struct cx *c)
{
	struct msghdr mh;
	struct iovec v = { cbuf(c), 4 };
	struct io_uring_sqe *q;
	int cl, sv;

	tcp_pair(c, &cl, &sv);
	memset(&mh, 0, sizeof(mh));
	mh.msg_iov = &v;
	mh.msg_iovlen = 1;
	q = sqe(c, IORING_OP_SENDMSG, 1, 0);
	q->fd = cl;
	q->addr = (uint64_t)(uintptr_t)&mh;
	q->addr2 = 1;
	q = sqe(c, IORING_OP_SENDMSG, 2, 0);
	q->fd = cl;
	q->addr = (uint64_t)(uintptr_t)&mh;
	q->file_index = 1;
	q = sqe(c, IORING_OP_RECVMSG, 3, 0);
	q->fd = sv;
	q->addr = (uint64_t)(uintptr_t)&mh;
	q->addr2 = 1;
	q = sqe(c, IORING_OP_SENDMSG, 4, 0);
	q->fd = cl;
	q->addr2 = 1;
	ex(c, 1, -EINVAL, 0);
	ex(c, 2, -EINVAL, 0);
	ex(c, 3, -EINVAL, 0);
	ex(c, 4, -EINVAL, 0);
	run(c);
	tcp_close(c, cl, sv);
}

const struct c_case conform_cases[] = {
	C(link_nops),
	C(link_fail_cancels_rest),
	C(link_head_fails),
	C(link_close_bad_fd),
	C(link_short_read_pipe),
	C(link_short_read_file),
	C(link_full_read_file),
	C(link_waits_for_head),
	C(link_cancel_head),
	C(link_two_chains),
	C(link_open_at_batch_end),
	C(hardlink_fail_goes_on),
	C(hardlink_timeout),
	C(hardlink_then_link_fail),
	C(hardlink_short_read),
	C(hardlink_all_fail),
	C(drain_waits_for_pending),
	C(drain_later_submit_waits),
	C(drain_blocks_later_writer),
	C(drain_nothing_before),
	C(drain_after_timeout),
	C(drain_chain),
	C(drain_two),
	C(drain_invalid_not_held),
	C(drain_invalid_chain_not_held),
	C(order_cancel_after_inline_read),
	C(order_cancel_after_nop),
	C(order_cancel_before_target),
	C(order_cancel_pending_same_submit),
	C(order_write_then_read),
	C(val_unknown_sqe_flag),
	C(val_unknown_opcode),
	C(val_ioprio_nop),
	C(val_ioprio_read_bad_class),
	C(val_invalid_mid_chain),
	C(val_invalid_last_of_chain),
	C(val_invalid_in_hardlink),
	C(val_invalid_chain_head_ltimeout),
	C(val_invalid_chain_head_ltimeout_noskip),
	C(val_null_iovec),
	C(val_timeout_len),
	C(val_timeout_reserved),
	C(val_cancel_reserved),
	C(val_cancel_unknown_flag),
	C(val_poll_add_reserved),
	C(val_timeout_remove_reserved),
	C(skip_success),
	C(skip_failure_posted),
	C(skip_chain_success),
	C(skip_chain_fail),
	C(skip_chain_fail_noskip),
	C(skip_hardlink_fail),
	C(skip_then_drain),
	C(skip_then_drain_later),
	C(skip_drained),
	C(ltimeout_fires),
	C(ltimeout_disarmed),
	C(ltimeout_mid_chain_fires),
	C(ltimeout_disarmed_chain_goes_on),
	C(ltimeout_alone),
	C(ltimeout_after_ltimeout),
	C(ltimeout_op_fails),
	C(ltimeout_skip_fired),
	C(ltimeout_skip_disarmed),
	C(ltimeout_skip_chain),
	C(ltimeout_update),
	C(ltimeout_update_missing),
	C(ltimeout_not_removable),
	C(tcount_one),
	C(tcount_two),
	C(tcount_inline_before),
	C(tcount_inline_before_two),
	C(tcount_earlier_submit),
	C(tcount_failure_counts),
	C(tcount_timeout_cqe_not_counted),
	C(tcount_skipped_not_counted),
	C(tcount_expires),
	C(tcount_zero),
	C(tcount_two_same_target),
	C(trm_missing),
	C(trm_pending),
	C(trm_fired),
	C(trm_abs_flag),
	C(tupd_pending),
	C(tupd_missing),
	C(tupd_two_clocks),
	C(tupd_bad_flags),
	C(tupd_abs_past),
	C(tupd_negative),
	C(tupd_link_flag_on_plain),
	C(tmo_abs_past),
	C(tmo_link_etime),
	C(tmo_link_etime_success),
	C(tmo_etime_success_skip),
	C(tmo_skip_fires),
	C(tmo_multishot),
	C(tmo_multishot_removed),
	C(tmo_multishot_abs),
	C(tmo_bad_flags),
	C(tmo_negative),
	C(tmo_big_nsec_accepted),
	C(tmo_big_nsec_duration),
	C(ltimeout_big_nsec),
	C(tupd_big_nsec),
	C(cancel_all_nomatch),
	C(cancel_any_nomatch),
	C(cancel_nomatch),
	C(cancel_any_two),
	C(cancel_all_by_ud),
	C(cancel_len_ignored),
	C(cancel_any_userdata),
	C(cancel_userdata_flag),
	C(cancel_op),
	C(cancel_op_and_ud),
	C(cancel_any_with_fd_or_op),
	C(cancel_fd_all),
	C(cancel_fd_nomatch),
	C(cancel_fd_bad),
	C(cancel_fd_by_file),
	C(cancel_timeout),
	C(cancel_unissued_member),
	C(cancel_unissued_then_head),
	C(cancel_mixed_submit_4495),
	C(cancel_in_link),
	C(poll_ready),
	C(poll_wakes),
	C(poll_remove),
	C(poll_remove_missing),
	C(poll_update_ud),
	C(poll_update_events),
	C(poll_update_missing),
	C(poll_remove_bad_flags),
	C(poll_multishot),
	C(poll_bad_fd),
	C(nop_inject),
	C(nop_inject_fails_link),
	C(nop_inject_skip),
	C(nop_file_ok),
	C(nop_file_bad),
	C(nop_fixed_file_none),
	C(nop_tw),
	C(nop_unknown_flag),
	C(nop_cqe32_plain_ring),
	C(linkat_empty_path),
	C(linkat_empty_path_unlinked),
	C(linkat_empty_no_flag),
	C(linkat_bad_flags),
	C(linkat_by_name),
	CE(overflow_nops, 4),
	CE(overflow_chains, 4),
	CE(overflow_mixed, 4),
	C(tcount_ltimeout_cqe_counts),
	C(tcount_met_timeout_not_counted),
	C(tcount_in_link),
	C(tcount_etime_success_link),
	C(tcount_removed),
	C(ltimeout_abs_past),
	C(ltimeout_bad_flags),
	C(ltimeout_not_cancellable),
	C(ltimeout_op_cancelled),
	C(poll_multishot_skip),
	C(poll_pollout_ready),
	C(cancel_fd_poll),
	C(cancel_fd_fixed_none),
	C(cancel_multishot_poll),
	C(order_read_then_write),
	C(pipe_eof_breaks_link),
	C(pipe_pending_read_eof),
	C(pipe_write_no_reader),
	C(val_unknown_opcode_mid_chain),
	C(val_two_invalid),
	C(val_invalid_head),
	C(val_invalid_chain_skipping_head),
	C(val_invalid_chain_nothing_ran),
	C(async_nop),
	C(async_fail_breaks_link),
	C(hardlink_cancelled_head),
	C(hardlink_ltimeout_fires),
	C(nop_ignores_fields),
	C(nop_fixed_buffer_none),
	C(readv_zero_iovecs),
	C(readv_two_iovecs),
	C(read_past_eof),
	C(write_at_offset),
	C(read_file_position),
	C(write_readonly_fd),
	C(openat_missing),
	C(statx_efault_after_lookup),
	C(close_twice),
	C(poll_remove_reserved),
	C(poll_remove_fields_without_update),
	C(poll_remove_completed),
	C(poll_two_woken),
	C(poll_in_link),
	C(skip_many),
	C(skip_timeout_removed),
	C(skip_count_timeout_met),
	CE(overflow_long, 4),
	C(drain_cancel_deferred),
	C(drain_hardlink_chain),
	C(drain_with_ltimeout),
	C(drain_after_failed_chain),
	C(order_remove_before_timeout),
	C(order_poll_remove_before_poll),
	C(order_ltimeout_update_same_submit),
	C(order_timeout_update_same_submit),
	C(nonblock_pipe_read_waits),
	C(nonblock_pipe_write_short),
	C(pipe_write_short),
	C(pipe_offset_below_minus1),
	C(pipe_sync_ops),
	C(rw_flags_checked),
	C(rw_noappend),
	C(fixed_file_flag),
	C(fixed_file_mid_chain),
	C(pipe_notification_flag),
	C(pipe_write_pages),
	C(pipe_write_short_async),
	C(openat_accmode3),
	C(fixed_sparse_slot_ebadf),
	C(fixed_update_minus1),
	C(fixed_alloc_full_enfile),
	C(fixed_close_edges),
	C(fixed_buf_range_efault),
	C(fixed_buf_index_efault),
	C(fixed_cancel_fd_slot),
	C(fixed_alloc_range),
	C(fixed_nop_tables),
	C(fixed_readv_checks),
	C(splice_tee_checks),
	C(futex_checks),
	C(xattr_checks),
	C(waitid_cmd_zc_checks),
	C(epoll_ops_checks),
	C(msg_ring_checks),
	C(splice_fixed_in),
	C(fixed_flag_ignored),
	C(fixed_file_other_ops),
	C(fixed_ring_fd_refused),
	C(kbuf_provide_remove_counts),
	C(kbuf_empty_enobufs),
	C(kbuf_read_bid_flags),
	C(kbuf_write_bufsel),
	C(kbuf_read_mshot_eof),
	C(kbuf_read_mshot_enobufs),
	C(kbuf_read_mshot_prep),
	C(kbuf_read_mshot_regfile),
	C(kbuf_ring_basic),
	C(kbuf_ring_incremental),
	C(linkfail_xattr),
	C(linkfail_sync),
	C(linkfail_path_ops),
	C(linkfail_advise),
	C(linkfail_shutdown),
	C(linkfail_prep_errors),
	C(linkfail_breaks),
	C(net_recv_sock_nonempty),
	C(net_recv_nonempty_fin),
	C(net_recv_mshot_nonempty),
	C(net_accept_nonempty),
	C(net_send_bufsel),
	C(net_send_bufsel_inc),
	C(net_recv_bundle),
	C(net_recv_bundle_mshot),
	C(net_bundle_checks),
	C(net_send_bundle),
	C(net_bundle_legacy),
	C(net_bundle_inc),
	C(net_send_vectorized),
	C(net_send_zc_report_usage),
	C(net_relisten_keeps_queue),
	C(net_recvmsg_mshot),
	C(net_recv_mshot_limit),
	C(net_recv_bundle_limit),
	C(net_msg_reserved),
};
const unsigned conform_ncases = sizeof(conform_cases) / sizeof(conform_cases[0]);
