/* SPDX-License-Identifier: MIT */
/*
 * The tests of the Zig original (async_io_uring), one CUnit test each:
 * write, write with a full SQ, read, read timing out, read with a timeout
 * when one SQ entry is free, custom ops, cancellation (also of missing and
 * stale ids), timeouts (short, long, count), timeout_remove, timeout_update,
 * and removing an expired timeout.
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "tests/helpers.h"

#define MS (1000u * 1000u)

static struct __kernel_timespec ts_ns(uint64_t ns)
{
	struct __kernel_timespec ts = { .tv_sec = (long long)(ns / 1000000000u),
					.tv_nsec = (long long)(ns % 1000000000u) };
	return ts;
}

/* ---------------------------------------------------------------- write, read */

static int write_task(aring_loop *loop, void *arg)
{
	char dir[128], buf[16] = { 0 };
	int fd;

	if (th_tmpdir(loop, dir, sizeof(dir)) < 0)
		return -1;
	fd = th_file(loop, dir, "w", "");
	CU_ASSERT_EQUAL(aring_write(loop, fd, "foobar", 6, 0, NULL), 6);
	CU_ASSERT_EQUAL(aring_read(loop, fd, buf, sizeof(buf), 0, NULL), 6);
	CU_ASSERT_STRING_EQUAL(buf, "foobar");
	aring_close(loop, fd, NULL);
	th_tmpdir_remove(loop, dir);
	return 0;
}

static void test_write(void)
{
	CU_ASSERT_EQUAL(th_run(write_task, NULL, 0), 0);
}

#define NWRITERS 64
#define RECORD 16

struct full_sq {
	int fd;
	int done;
	int results[NWRITERS];
	int index;
};

static int one_writer(aring_loop *loop, void *arg)
{
	struct full_sq *f = arg;
	int i = f->index++;
	char rec[RECORD];

	memset(rec, 'A' + i % 26, sizeof(rec));
	f->results[i] = aring_write(loop, f->fd, rec, RECORD, (uint64_t)i * RECORD, NULL);
	f->done++;
	return 0;
}

static int write_full_sq_task(aring_loop *loop, void *arg)
{
	struct full_sq f = { 0 };
	char dir[128], buf[NWRITERS * RECORD];
	int i;

	if (th_tmpdir(loop, dir, sizeof(dir)) < 0)
		return -1;
	f.fd = th_file(loop, dir, "w", "");
	/* Many more writes in flight than the ring (2 entries) has SQEs. */
	for (i = 0; i < NWRITERS; i++)
		CU_ASSERT_EQUAL(aring_spawn(loop, one_writer, &f, NULL), 0);
	while (f.done < NWRITERS)
		aring_yield(loop);
	for (i = 0; i < NWRITERS; i++)
		CU_ASSERT_EQUAL(f.results[i], RECORD);
	CU_ASSERT_EQUAL(aring_read(loop, f.fd, buf, sizeof(buf), 0, NULL), (int)sizeof(buf));
	for (i = 0; i < NWRITERS * RECORD; i++)
		if (buf[i] != 'A' + (i / RECORD) % 26)
			break;
	CU_ASSERT_EQUAL(i, NWRITERS * RECORD);
	aring_close(loop, f.fd, NULL);
	th_tmpdir_remove(loop, dir);
	return 0;
}

static void test_write_full_sq(void)
{
	CU_ASSERT_EQUAL(th_run(write_full_sq_task, NULL, 2), 0);
}

static int read_task(aring_loop *loop, void *arg)
{
	char dir[128], buf[8] = { 0 };
	int fd;

	if (th_tmpdir(loop, dir, sizeof(dir)) < 0)
		return -1;
	fd = th_file(loop, dir, "r", "0123456789");
	CU_ASSERT_EQUAL(aring_read(loop, fd, buf, 4, 3, NULL), 4);
	CU_ASSERT_STRING_EQUAL(buf, "3456");
	aring_close(loop, fd, NULL);
	th_tmpdir_remove(loop, dir);
	return 0;
}

static void test_read(void)
{
	CU_ASSERT_EQUAL(th_run(read_task, NULL, 0), 0);
}

static int read_timeout_task(aring_loop *loop, void *arg)
{
	int fds[2];
	char buf[4];
	uint64_t t0;

	CU_ASSERT_EQUAL(aring_pipe(loop, fds, 0, NULL), 0);
	t0 = aring_now_ns(loop);
	CU_ASSERT_EQUAL(aring_read(loop, fds[0], buf, sizeof(buf), 0,
				   &(struct aring_opt){ .timeout_ns = 10 * MS }), -ETIME);
	CU_ASSERT(aring_now_ns(loop) - t0 >= 10 * MS);
	/* Data that is there beats the timeout. */
	CU_ASSERT_EQUAL(aring_write(loop, fds[1], "ok", 2, 0, NULL), 2);
	CU_ASSERT_EQUAL(aring_read(loop, fds[0], buf, sizeof(buf), 0,
				   &(struct aring_opt){ .timeout_ns = 10 * MS }), 2);
	th_close_pair(loop, fds);
	return 0;
}

static void test_read_timeout(void)
{
	CU_ASSERT_EQUAL(th_run(read_timeout_task, NULL, 0), 0);
}

/* Queues one nop in the SQ (not yet submitted: the batch is still running). */
static int nop_task(aring_loop *loop, void *arg)
{
	return aring_nop(loop, NULL);
}

struct one_free {
	int fds[2];
	int space_before;
	int res;
};

static int read_one_free(aring_loop *loop, void *arg)
{
	struct one_free *o = arg;
	char buf[4];
	struct io_uring *ring = aring_ring(loop);

	o->space_before = ring ? (int)io_uring_sq_space_left(ring) : -1;
	o->res = aring_read(loop, o->fds[0], buf, sizeof(buf), 0, &(struct aring_opt){ .timeout_ns = MS });
	return 0;
}

static int one_free_task(aring_loop *loop, void *arg)
{
	struct one_free o = { .res = 1 };
	aring_task *t[4];
	int i;

	CU_ASSERT_EQUAL(aring_pipe(loop, o.fds, 0, NULL), 0);
	/*
	 * Ring of 4: three tasks each queue a nop in the same batch, leaving one
	 * free SQE; then the read needs two (itself and its linked timeout).
	 */
	for (i = 0; i < 3; i++)
		t[i] = th_spawn(loop, nop_task, NULL);
	t[3] = th_spawn(loop, read_one_free, &o);
	for (i = 0; i < 3; i++)
		CU_ASSERT_EQUAL(th_join(loop, t[i]), 0);
	th_join(loop, t[3]);
	if (aring_ring(loop))
		CU_ASSERT_EQUAL(o.space_before, 1);
	CU_ASSERT_EQUAL(o.res, -ETIME);
	th_close_pair(loop, o.fds);
	return 0;
}

static void test_read_timeout_one_free_sqe(void)
{
	aring_loop *loop = th_loop_new(4);

	CU_ASSERT_EQUAL(th_run_on(loop, one_free_task, NULL), 0);
	aring_loop_free(loop);
}

/* ---------------------------------------------------------------- custom ops */

struct rw_ctx {
	int fd;
	void *buf;
	unsigned len;
};

static void prep_write(struct io_uring_sqe *sqe, void *arg)
{
	struct rw_ctx *c = arg;

	io_uring_prep_write(sqe, c->fd, c->buf, c->len, 0);
}

static int custom_task(aring_loop *loop, void *arg)
{
	int fds[2];
	char buf[8] = { 0 };
	struct rw_ctx c;

	CU_ASSERT_EQUAL(aring_pipe(loop, fds, 0, NULL), 0);
	c.fd = fds[1];
	c.buf = "custom";
	c.len = 6;
	CU_ASSERT_EQUAL(aring_do(loop, prep_write, &c, NULL), 6);
	CU_ASSERT_EQUAL(aring_read(loop, fds[0], buf, sizeof(buf), 0, NULL), 6);
	CU_ASSERT_STRING_EQUAL(buf, "custom");
	c.fd = 9999;
	CU_ASSERT_EQUAL(aring_do(loop, prep_write, &c, NULL), -EBADF);
	th_close_pair(loop, fds);
	return 0;
}

static void test_custom_op(void)
{
	CU_ASSERT_EQUAL(th_run(custom_task, NULL, 0), 0);
}

struct chain_ctx {
	int fds[2];
	char out[8];
};

/* write to a pipe, then read it back: two SQEs, linked. */
static void prep_write_read(struct io_uring_sqe **sqes, void *arg)
{
	struct chain_ctx *c = arg;

	io_uring_prep_write(sqes[0], c->fds[1], "chain", 5, 0);
	io_uring_prep_read(sqes[1], c->fds[0], c->out, sizeof(c->out), 0);
}

static int custom_n_task(aring_loop *loop, void *arg)
{
	struct chain_ctx c;

	memset(&c, 0, sizeof(c));
	CU_ASSERT_EQUAL(aring_pipe(loop, c.fds, 0, NULL), 0);
	/* The result is the last SQE's: the read's 5 bytes. */
	CU_ASSERT_EQUAL(aring_do_n(loop, 2, prep_write_read, &c, NULL), 5);
	CU_ASSERT_STRING_EQUAL(c.out, "chain");
	th_close_pair(loop, c.fds);
	return 0;
}

static void test_custom_op_nsqes(void)
{
	CU_ASSERT_EQUAL(th_run(custom_n_task, NULL, 0), 0);
}

/* ---------------------------------------------------------------- cancel */

struct target {
	int fd;
	uint64_t id;
	int res;
	bool started;
};

static int cancellable_read(aring_loop *loop, void *arg)
{
	struct target *t = arg;
	char buf[8];

	t->started = true;
	t->res = aring_read(loop, t->fd, buf, sizeof(buf), 0, &(struct aring_opt){ .id = &t->id });
	return 0;
}

static int cancel_task(aring_loop *loop, void *arg)
{
	struct target t = { .res = 1 };
	aring_task *task;
	int fds[2];

	CU_ASSERT_EQUAL(aring_pipe(loop, fds, 0, NULL), 0);
	t.fd = fds[0];
	task = th_spawn(loop, cancellable_read, &t);
	aring_yield(loop);
	CU_ASSERT(t.started && t.id != 0);
	CU_ASSERT_EQUAL(aring_cancel(loop, t.id, 0, NULL), 0);
	th_join(loop, task);
	CU_ASSERT_EQUAL(t.res, -ECANCELED);
	th_close_pair(loop, fds);
	return 0;
}

static void test_read_cancelled(void)
{
	CU_ASSERT_EQUAL(th_run(cancel_task, NULL, 0), 0);
}

static int cancel_missing_task(aring_loop *loop, void *arg)
{
	CU_ASSERT_EQUAL(aring_cancel(loop, 0, 0, NULL), -ENOENT);
	CU_ASSERT_EQUAL(aring_cancel(loop, 12345, 0, NULL), -ENOENT);
	CU_ASSERT_EQUAL(aring_cancel(loop, UINT64_MAX, 0, NULL), -ENOENT);
	return 0;
}

static void test_cancel_missing(void)
{
	CU_ASSERT_EQUAL(th_run(cancel_missing_task, NULL, 0), 0);
}

/* Both ops of stale_target come from the same frame, so their state sits at the same address. */
static int op_with_id(aring_loop *loop, int fd, uint64_t *id)
{
	char buf[8];

	if (fd < 0)
		return aring_nop(loop, &(struct aring_opt){ .id = id });
	return aring_read(loop, fd, buf, sizeof(buf), 0, &(struct aring_opt){ .id = id });
}

struct stale {
	int fd;
	uint64_t old_id, new_id;
	int res;
};

static int stale_target(aring_loop *loop, void *arg)
{
	struct stale *s = arg;

	CU_ASSERT_EQUAL(op_with_id(loop, -1, &s->old_id), 0);
	s->res = op_with_id(loop, s->fd, &s->new_id);
	return 0;
}

static int cancel_stale_task(aring_loop *loop, void *arg)
{
	struct stale s = { .res = 1 };
	aring_task *t;
	int fds[2];

	CU_ASSERT_EQUAL(aring_pipe(loop, fds, 0, NULL), 0);
	s.fd = fds[0];
	t = th_spawn(loop, stale_target, &s);
	/* Wait until the read (the second op) is in flight. */
	while (s.new_id == 0)
		aring_yield(loop);
	CU_ASSERT(s.old_id != 0 && s.new_id != s.old_id);
	CU_ASSERT_EQUAL(aring_cancel(loop, s.old_id, 0, NULL), -ENOENT);
	/* The read was not touched: it gets the data. */
	CU_ASSERT_EQUAL(aring_write(loop, fds[1], "alive", 5, 0, NULL), 5);
	th_join(loop, t);
	CU_ASSERT_EQUAL(s.res, 5);
	/* And its own id is stale now too. */
	CU_ASSERT_EQUAL(aring_cancel(loop, s.new_id, 0, NULL), -ENOENT);
	th_close_pair(loop, fds);
	return 0;
}

static void test_cancel_stale_id(void)
{
	CU_ASSERT_EQUAL(th_run(cancel_stale_task, NULL, 0), 0);
}

/* ---------------------------------------------------------------- timeouts */

static int nops(aring_loop *loop, void *arg)
{
	int i;

	for (i = 0; i < 3; i++)
		if (aring_nop(loop, NULL) != 0)
			return -1;
	return 0;
}

static int timeouts_task(aring_loop *loop, void *arg)
{
	struct __kernel_timespec ts = ts_ns(10 * MS);
	struct __kernel_timespec long_ts = ts_ns(3600ull * 1000 * MS);
	aring_task *t;
	uint64_t t0;

	/* Short: -ETIME after at least 10 ms. */
	t0 = aring_now_ns(loop);
	CU_ASSERT_EQUAL(aring_timeout(loop, &ts, 0, 0, NULL), -ETIME);
	CU_ASSERT(aring_now_ns(loop) - t0 >= 10 * MS);
	/* Long (an hour), with count: 0 once 3 other completions arrived. */
	t = th_spawn(loop, nops, NULL);
	CU_ASSERT_EQUAL(aring_timeout(loop, &long_ts, 3, 0, NULL), 0);
	CU_ASSERT_EQUAL(th_join(loop, t), 0);
	/* A bad timespec. */
	ts.tv_sec = -1;
	CU_ASSERT_EQUAL(aring_timeout(loop, &ts, 0, 0, NULL), -EINVAL);
	return 0;
}

static void test_timeouts(void)
{
	CU_ASSERT_EQUAL(th_run(timeouts_task, NULL, 0), 0);
}

struct tmo {
	uint64_t ns;
	uint64_t id;
	int res;
	bool done;
	uint64_t took_ns;
};

static int timeout_waiter(aring_loop *loop, void *arg)
{
	struct tmo *t = arg;
	struct __kernel_timespec ts = ts_ns(t->ns);
	uint64_t t0 = aring_now_ns(loop);

	t->res = aring_timeout(loop, &ts, 0, 0, &(struct aring_opt){ .id = &t->id });
	t->took_ns = aring_now_ns(loop) - t0;
	t->done = true;
	return 0;
}

static int timeout_remove_task(aring_loop *loop, void *arg)
{
	struct tmo t = { .ns = 3600ull * 1000 * MS, .res = 1 };
	aring_task *task = th_spawn(loop, timeout_waiter, &t);

	aring_yield(loop);
	CU_ASSERT(t.id != 0);
	CU_ASSERT_EQUAL(aring_timeout_remove(loop, t.id, 0, NULL), 0);
	th_join(loop, task);
	CU_ASSERT_EQUAL(t.res, -ECANCELED);
	return 0;
}

static void test_timeout_remove(void)
{
	CU_ASSERT_EQUAL(th_run(timeout_remove_task, NULL, 0), 0);
}

static int timeout_update_task(aring_loop *loop, void *arg)
{
	struct tmo sooner = { .ns = 3600ull * 1000 * MS, .res = 1 };
	struct tmo later = { .ns = MS, .res = 1 };
	struct __kernel_timespec ts;
	aring_task *a, *b;

	/* An hour, moved to 1 ms: it fires well before a 200 ms sleep ends. */
	a = th_spawn(loop, timeout_waiter, &sooner);
	/* 1 ms, moved to 50 ms: it takes at least 50 ms. */
	b = th_spawn(loop, timeout_waiter, &later);
	aring_yield(loop);
	CU_ASSERT(sooner.id != 0 && later.id != 0);
	ts = ts_ns(MS);
	CU_ASSERT_EQUAL(aring_timeout_update(loop, &ts, sooner.id, 0, NULL), 0);
	ts = ts_ns(50 * MS);
	CU_ASSERT_EQUAL(aring_timeout_update(loop, &ts, later.id, 0, NULL), 0);
	aring_sleep(loop, 200 * MS);
	CU_ASSERT(sooner.done);
	if (!sooner.done)
		aring_timeout_remove(loop, sooner.id, 0, NULL);
	th_join(loop, a);
	th_join(loop, b);
	CU_ASSERT_EQUAL(sooner.res, -ETIME);
	CU_ASSERT_EQUAL(later.res, -ETIME);
	CU_ASSERT(later.took_ns >= 50 * MS);
	/* Updating a timeout that is gone. */
	CU_ASSERT_EQUAL(aring_timeout_update(loop, &ts, later.id, 0, NULL), -ENOENT);
	return 0;
}

static void test_timeout_update(void)
{
	CU_ASSERT_EQUAL(th_run(timeout_update_task, NULL, 0), 0);
}

static int timeout_remove_expired_task(aring_loop *loop, void *arg)
{
	struct tmo t = { .ns = MS, .res = 1 };
	aring_task *task = th_spawn(loop, timeout_waiter, &t);

	aring_sleep(loop, 20 * MS);
	CU_ASSERT(t.done);
	CU_ASSERT_EQUAL(t.res, -ETIME);
	CU_ASSERT_EQUAL(aring_timeout_remove(loop, t.id, 0, NULL), -ENOENT);
	th_join(loop, task);
	return 0;
}

static void test_timeout_remove_expired(void)
{
	CU_ASSERT_EQUAL(th_run(timeout_remove_expired_task, NULL, 0), 0);
}

static CU_TestInfo tests[] = {
	{ "write", test_write },
	{ "write with a full SQ", test_write_full_sq },
	{ "read", test_read },
	{ "read that times out", test_read_timeout },
	{ "read with a timeout when one SQ entry is free", test_read_timeout_one_free_sqe },
	{ "custom op", test_custom_op },
	{ "custom op with its own SQE count", test_custom_op_nsqes },
	{ "read that is cancelled", test_read_cancelled },
	{ "cancel of a missing op", test_cancel_missing },
	{ "cancel of a stale id", test_cancel_stale_id },
	{ "short and long timeouts", test_timeouts },
	{ "timeout_remove", test_timeout_remove },
	{ "timeout_update", test_timeout_update },
	{ "timeout_remove of an expired timeout", test_timeout_remove_expired },
	CU_TEST_INFO_NULL,
};

int main(int argc, char **argv)
{
	return th_main(argc, argv, "zig", tests, TH_BOTH);
}
