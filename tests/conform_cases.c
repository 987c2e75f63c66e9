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
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <string.h>

#include "tests/conform.h"

#define LINK IOSQE_IO_LINK
#define HARD IOSQE_IO_HARDLINK
#define DRAIN IOSQE_IO_DRAIN
#define SKIP IOSQE_CQE_SKIP_SUCCESS

/* A read of an empty pipe: pends until written or cancelled. */
static struct io_uring_sqe *pend(struct cx *c, uint64_t ud, unsigned flags, int fd)
{
	return rd(c, ud, flags, fd, cbuf(c), 8, 0);
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

/* A full read does not break it. */
static void link_full_read_file(struct cx *c)
{
	int fd = mkfile(c, "abcdef", 6);

	rd(c, 1, LINK, fd, cbuf(c), 6, 0);
	nop(c, 2, 0);
	ex(c, 1, 6, 0);
	ex(c, 2, 0, 0);
	run(c);
}

/* The chain waits for its pending head; a write later lets it go. */
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

/* A link flag on the last SQE of a submit: the chain ends with the batch. */
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

/* A hard link then a soft one: the soft member's failure cancels the rest. */
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

/* A short read in a hard link does not break it. */
static void hardlink_short_read(struct cx *c)
{
	int fd = mkfile(c, "abc", 3);

	rd(c, 1, HARD, fd, cbuf(c), 8, 0);
	nop(c, 2, 0);
	ex(c, 1, 3, 0);
	ex(c, 2, 0, 0);
	run(c);
}

/* Every member of a hard chain fails, every next one still runs. */
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

/* Submitted later, behind an active drain: waits too (io_drain_req for every SQE while drain_active). */
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

/* Nothing pending before it: a drained nop runs at once. */
static void drain_nothing_before(struct cx *c)
{
	nop(c, 1, DRAIN);
	nop(c, 2, 0);
	ex(c, 1, 0, 0);
	ex(c, 2, 0, 0);
	run(c);
}

/* A drained request waits for a timeout before it. */
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

/* Two drains in a row: each waits for the one before. */
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

/* A nop before the cancel completed at its issue: -ENOENT. */
static void order_cancel_after_nop(struct cx *c)
{
	nop(c, 1, 0);
	cnl(c, 2, 0, 1, 0, 0);
	ex(c, 1, 0, 0);
	ex(c, 2, -ENOENT, 0);
	run(c);
}

/* A cancel before its target finds nothing yet. */
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

/* A pending read before the cancel in the same submit is found. */
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

/* A write then a read in one submit: the read sees the data at issue. */
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

/* The invalid member is last: the head is cancelled, nothing ran. */
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

/* A failure is posted despite the skip flag (io_req_complete_post: REQ_F_CQE_SKIP cleared by req_set_fail). */
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

/* The failing member does not skip: the cancelled members post -ECANCELED even with the skip flag (io_fail_links clears it). */
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

/* The same in a later submit. */
static void skip_then_drain_later(struct cx *c)
{
	nop(c, 1, SKIP);
	run(c);
	nop(c, 2, DRAIN);
	ex(c, 2, -EOPNOTSUPP, 0);
	run(c);
}

/* Both flags on one SQE: drain_disabled is set first, the SQE gets -EOPNOTSUPP. */
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

/* A linked timeout on the middle of a chain fires: the rest is cancelled. */
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

/* Two linked timeouts in a row: the second is invalid, the chain fails at submit. */
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

/* The op fails: the linked timeout is cancelled after it. */
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

/* test/skip-cqe.c test_ltimeout_cancel: a skipping linked timeout that was disarmed posts nothing. */
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

/* A plain TIMEOUT_REMOVE looks at ctx->timeout_list only: a linked timeout is not found. */
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

/* ================================================================ table */

#define C(fn) { #fn, fn, 0 }
#define CE(fn, e) { #fn, fn, e }
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
};
const unsigned conform_ncases = sizeof(conform_cases) / sizeof(conform_cases[0]);
