/* SPDX-License-Identifier: MIT */
/*
 * opt->timeout_ns as a deadline kept by the loop (core/timer.c), and as a
 * linked timeout (ARING_OPT_LINKED_TIMEOUT), on every backend. On the sim
 * an op or wait whose time passed ends at exactly its deadline in virtual
 * time; on the real backends at or after it.
 */
#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "helpers.h"

#define MS 1000000ull
#define NOPS 16

/* The op ended at its deadline: exactly on the sim, no earlier elsewhere. */
static void check_ended_at(aring_loop *loop, uint64_t t0, uint64_t timeout_ns)
{
	uint64_t took = aring_now_ns(loop) - t0;

	if (th_is_sim()) {
		CU_ASSERT_EQUAL(took, timeout_ns);
	} else {
		CU_ASSERT(took >= timeout_ns);
	}
}

/* ---------------------------------------------------------------- one of many */

struct many {
	int fds[NOPS][2];
	int res[NOPS];
	uint64_t t0, end_ns[NOPS];
};

struct reader {
	struct many *m;
	int i;
};

static int reader_task(aring_loop *loop, void *arg)
{
	struct reader *r = arg;
	char buf[8];
	struct aring_opt o = { .timeout_ns = 50 * MS };

	r->m->res[r->i] = aring_read(loop, r->m->fds[r->i][0], buf, sizeof(buf), 0, &o);
	r->m->end_ns[r->i] = aring_now_ns(loop);
	return 0;
}

/* 16 reads with a 50 ms deadline; all but pipe 5 get a byte after 1 ms. */
static int one_of_many_task(aring_loop *loop, void *arg)
{
	struct many m;
	struct reader r[NOPS];
	aring_task *t[NOPS];
	int i;

	(void)arg;
	memset(&m, 0, sizeof(m));
	for (i = 0; i < NOPS; i++)
		CU_ASSERT_EQUAL_FATAL(aring_pipe(loop, m.fds[i], 0, NULL), 0);
	m.t0 = aring_now_ns(loop);
	for (i = 0; i < NOPS; i++) {
		r[i] = (struct reader){ .m = &m, .i = i };
		CU_ASSERT_EQUAL_FATAL(aring_spawn(loop, reader_task, &r[i], &t[i]), 0);
	}
	CU_ASSERT_EQUAL(aring_sleep(loop, MS), 0);
	for (i = 0; i < NOPS; i++)
		if (i != 5)
			CU_ASSERT_EQUAL(aring_write(loop, m.fds[i][1], "x", 1, 0, NULL), 1);
	for (i = 0; i < NOPS; i++)
		CU_ASSERT_EQUAL(aring_join(loop, t[i], NULL), 0);
	for (i = 0; i < NOPS; i++) {
		if (i == 5) {
			CU_ASSERT_EQUAL(m.res[i], -ETIME);
			if (th_is_sim()) {
				CU_ASSERT_EQUAL(m.end_ns[i] - m.t0, 50 * MS);
			} else {
				CU_ASSERT(m.end_ns[i] - m.t0 >= 50 * MS);
			}
		} else {
			CU_ASSERT_EQUAL(m.res[i], 1);
		}
		th_close_pair(loop, m.fds[i]);
	}
	return 0;
}

static void test_one_of_many(void)
{
	CU_ASSERT_EQUAL(th_run(one_of_many_task, NULL, 0), 0);
}

/* ---------------------------------------------------------------- order */

#define NORDER 8

struct order {
	int fds[2];
	int n;
	int seen[NORDER];
	uint64_t t0;
};

struct orderer {
	struct order *o;
	int which;
	uint64_t timeout_ns;
};

static int order_task(aring_loop *loop, void *arg)
{
	struct orderer *w = arg;
	char buf[4];
	struct aring_opt o = { .timeout_ns = w->timeout_ns };

	CU_ASSERT_EQUAL(aring_read(loop, w->o->fds[0], buf, sizeof(buf), 0, &o), -ETIME);
	check_ended_at(loop, w->o->t0, w->timeout_ns);
	w->o->seen[w->o->n++] = w->which;
	return 0;
}

/* A channel wait with a deadline, among ops with deadlines. */
static int chan_order_task(aring_loop *loop, void *arg)
{
	struct orderer *w = arg;
	aring_chan ch;
	int v;
	struct aring_opt o = { .timeout_ns = w->timeout_ns };

	aring_chan_init(&ch, sizeof(int), 0, NULL);
	CU_ASSERT_EQUAL(aring_chan_recv(loop, &ch, &v, &o), -ETIME);
	check_ended_at(loop, w->o->t0, w->timeout_ns);
	w->o->seen[w->o->n++] = w->which;
	return 0;
}

/*
 * Deadlines armed out of order pass in time order (sim): eight of seven
 * values (more than the loop's FIFOs of one value each, so some go to its
 * heap), two equal ones (ops) in arming order, waits (odd) among ops (even).
 */
static int order_main(aring_loop *loop, void *arg)
{
	static const unsigned ms[NORDER] = { 30, 10, 20, 15, 20, 5, 35, 25 };
	static const int expect[NORDER] = { 5, 1, 3, 2, 4, 7, 0, 6 };
	struct order od;
	struct orderer w[NORDER];
	aring_task *t[NORDER];
	int i;

	(void)arg;
	memset(&od, 0, sizeof(od));
	CU_ASSERT_EQUAL_FATAL(aring_pipe(loop, od.fds, 0, NULL), 0);
	od.t0 = aring_now_ns(loop);
	for (i = 0; i < NORDER; i++) {
		w[i] = (struct orderer){ &od, i, ms[i] * MS };
		CU_ASSERT_EQUAL_FATAL(aring_spawn(loop, i % 2 ? chan_order_task : order_task, &w[i],
						  &t[i]), 0);
	}
	for (i = 0; i < NORDER; i++)
		CU_ASSERT_EQUAL(aring_join(loop, t[i], NULL), 0);
	CU_ASSERT_EQUAL(od.n, NORDER);
	/* Elsewhere a loop descheduled for 5 ms sees two pass at once, and
	 * a wait ends a cancel's round trip before an op. */
	if (th_is_sim())
		for (i = 0; i < NORDER; i++)
			CU_ASSERT_EQUAL(od.seen[i], expect[i]);
	th_close_pair(loop, od.fds);
	return 0;
}

static void test_order(void)
{
	CU_ASSERT_EQUAL(th_run(order_main, NULL, 0), 0);
}

/* ---------------------------------------------------------------- changing values */

static int long_reader(aring_loop *loop, void *arg)
{
	int *fds = arg;
	char buf[4];
	struct aring_opt o = { .timeout_ns = 40 * MS };
	uint64_t t0 = aring_now_ns(loop);

	CU_ASSERT_EQUAL(aring_read(loop, fds[0], buf, sizeof(buf), 0, &o), -ETIME);
	check_ended_at(loop, t0, 40 * MS);
	return 0;
}

/* One long deadline, then ten one-off values in turn: empty FIFOs change hands. */
static int values_task(aring_loop *loop, void *arg)
{
	int fds[2], i;
	aring_task *t;
	char buf[4];

	(void)arg;
	CU_ASSERT_EQUAL_FATAL(aring_pipe(loop, fds, 0, NULL), 0);
	CU_ASSERT_EQUAL_FATAL(aring_spawn(loop, long_reader, fds, &t), 0);
	for (i = 1; i <= 10; i++) {
		struct aring_opt o = { .timeout_ns = (uint64_t)i * MS / 2 };
		uint64_t t0 = aring_now_ns(loop);

		CU_ASSERT_EQUAL(aring_read(loop, fds[0], buf, sizeof(buf), 0, &o), -ETIME);
		check_ended_at(loop, t0, o.timeout_ns);
	}
	CU_ASSERT_EQUAL(aring_join(loop, t, NULL), 0);
	th_close_pair(loop, fds);
	return 0;
}

static void test_values(void)
{
	CU_ASSERT_EQUAL(th_run(values_task, NULL, 0), 0);
}

/* ---------------------------------------------------------------- race */

struct race {
	int fds[2];
	uint64_t at_ns;
};

static int race_writer(aring_loop *loop, void *arg)
{
	struct race *r = arg;

	CU_ASSERT_EQUAL(aring_sleep(loop, r->at_ns), 0);
	CU_ASSERT_EQUAL(aring_write(loop, r->fds[1], "y", 1, 0, NULL), 1);
	return 0;
}

/*
 * The data comes when the deadline passes: either the read gets it (the
 * completion won) or it returns -ETIME and the byte is still in the pipe.
 * Never -ECANCELED, never a lost byte.
 */
static int race_task(aring_loop *loop, void *arg)
{
	struct race r;
	aring_task *w;
	char buf[4];
	int round, ret, got = 0;

	(void)arg;
	CU_ASSERT_EQUAL_FATAL(aring_pipe(loop, r.fds, 0, NULL), 0);
	for (round = 0; round < 20; round++) {
		struct aring_opt o = { .timeout_ns = 2 * MS };

		r.at_ns = 2 * MS;
		CU_ASSERT_EQUAL_FATAL(aring_spawn(loop, race_writer, &r, &w), 0);
		ret = aring_read(loop, r.fds[0], buf, sizeof(buf), 0, &o);
		CU_ASSERT(ret == 1 || ret == -ETIME);
		CU_ASSERT_EQUAL(aring_join(loop, w, NULL), 0);
		if (ret == -ETIME) /* the byte waits in the pipe */
			ret = aring_read(loop, r.fds[0], buf, sizeof(buf), 0, NULL);
		CU_ASSERT_EQUAL(ret, 1);
		got += ret == 1;
	}
	CU_ASSERT_EQUAL(got, 20);
	th_close_pair(loop, r.fds);
	return 0;
}

static void test_race(void)
{
	CU_ASSERT_EQUAL(th_run(race_task, NULL, 0), 0);
}

/* ---------------------------------------------------------------- linked option */

static int linked_task(aring_loop *loop, void *arg)
{
	int fds[2];
	char buf[4];
	struct aring_opt o = { .timeout_ns = 5 * MS, .flags = ARING_OPT_LINKED_TIMEOUT };
	uint64_t t0;

	(void)arg;
	CU_ASSERT_EQUAL_FATAL(aring_pipe(loop, fds, 0, NULL), 0);
	t0 = aring_now_ns(loop);
	CU_ASSERT_EQUAL(aring_read(loop, fds[0], buf, sizeof(buf), 0, &o), -ETIME);
	check_ended_at(loop, t0, 5 * MS);
	/* Completes first: its own result. */
	CU_ASSERT_EQUAL(aring_write(loop, fds[1], "ab", 2, 0, &o), 2);
	CU_ASSERT_EQUAL(aring_read(loop, fds[0], buf, sizeof(buf), 0, &o), 2);
	/* Unknown opt->flags bits, on an op and on a wait. */
	o.flags = 1u << 7;
	CU_ASSERT_EQUAL(aring_read(loop, fds[0], buf, sizeof(buf), 0, &o), -EINVAL);
	{
		aring_chan ch;
		int v;

		aring_chan_init(&ch, sizeof(int), 0, NULL);
		CU_ASSERT_EQUAL(aring_chan_recv(loop, &ch, &v, &o), -EINVAL);
		/* The linked flag on a wait changes nothing. */
		o.flags = ARING_OPT_LINKED_TIMEOUT;
		t0 = aring_now_ns(loop);
		CU_ASSERT_EQUAL(aring_chan_recv(loop, &ch, &v, &o), -ETIME);
		check_ended_at(loop, t0, 5 * MS);
	}
	th_close_pair(loop, fds);
	return 0;
}

static void test_linked(void)
{
	CU_ASSERT_EQUAL(th_run(linked_task, NULL, 0), 0);
}

/* ---------------------------------------------------------------- chains */

struct chain_ctx {
	struct __kernel_timespec ts;
};

/* A 50 ms timeout op, then a NOP. */
static void prep_slow_chain(struct io_uring_sqe **sqes, void *arg)
{
	struct chain_ctx *c = arg;

	io_uring_prep_timeout(sqes[0], &c->ts, 0, IORING_TIMEOUT_ETIME_SUCCESS);
	io_uring_prep_nop(sqes[1]);
}

/*
 * The loop's deadline covers the whole chain: the first member, still
 * running at 10 ms, is cancelled and the NOP with it. A linked timeout
 * covers the last SQE only, which never waits: the chain completes.
 */
static int chain_task(aring_loop *loop, void *arg)
{
	struct chain_ctx c = { .ts = { .tv_nsec = 50 * MS } };
	struct aring_opt o = { .timeout_ns = 10 * MS };
	int r[2];
	uint64_t t0;

	(void)arg;
	t0 = aring_now_ns(loop);
	CU_ASSERT_EQUAL(aring_do_chain(loop, 2, prep_slow_chain, &c, r, &o), -ETIME);
	check_ended_at(loop, t0, 10 * MS);
	CU_ASSERT_EQUAL(r[0], -ECANCELED);
	CU_ASSERT_EQUAL(r[1], -ETIME);
	/* The same with aring_do_n. */
	t0 = aring_now_ns(loop);
	CU_ASSERT_EQUAL(aring_do_n(loop, 2, prep_slow_chain, &c, &o), -ETIME);
	check_ended_at(loop, t0, 10 * MS);

	o.flags = ARING_OPT_LINKED_TIMEOUT;
	t0 = aring_now_ns(loop);
	CU_ASSERT_EQUAL(aring_do_chain(loop, 2, prep_slow_chain, &c, r, &o), 0);
	CU_ASSERT(aring_now_ns(loop) - t0 >= 50 * MS);
	CU_ASSERT_EQUAL(r[0], -ETIME);  /* the timeout op's own result (ETIME_SUCCESS) */
	CU_ASSERT_EQUAL(r[1], 0);
	/* A chain that completes first returns its result, with either kind. */
	c.ts.tv_nsec = MS;
	o.flags = 0;
	CU_ASSERT_EQUAL(aring_do_chain(loop, 2, prep_slow_chain, &c, r, &o), 0);
	CU_ASSERT_EQUAL(r[1], 0);
	return 0;
}

static void test_chain(void)
{
	CU_ASSERT_EQUAL(th_run(chain_task, NULL, 0), 0);
}

/* ---------------------------------------------------------------- cancels */

struct cancel_race {
	uint64_t id;
	int op_res, cancel_res;
	uint64_t delay_ns, timeout_ns;
};

static int cancel_reader(aring_loop *loop, void *arg)
{
	struct cancel_race *c = arg;
	int fds[2];
	char buf[4];
	struct aring_opt o = { .timeout_ns = c->timeout_ns, .id = &c->id };

	CU_ASSERT_EQUAL_FATAL(aring_pipe(loop, fds, 0, NULL), 0);
	c->op_res = aring_read(loop, fds[0], buf, sizeof(buf), 0, &o);
	th_close_pair(loop, fds);
	return 0;
}

/*
 * aring_cancel before, at, just after and well after the op's deadline:
 * the two answers agree. The cancel found it (0): the op returns
 * -ECANCELED; the deadline ended it first (-EALREADY while it ends,
 * -ENOENT once it has): -ETIME.
 */
static int cancel_race_task(aring_loop *loop, void *arg)
{
	/* the deadline: 10 ms on the sim's exact clock; 100 ms on a real
	 * backend, so that a cancel 5 ms in comes first on a loaded machine */
	const uint64_t T = th_is_sim() ? 10 * MS : 100 * MS;
	const uint64_t delays[] = { 5 * MS, T, T + 1, 2 * T };
	unsigned i;

	(void)arg;
	for (i = 0; i < sizeof(delays) / sizeof(delays[0]); i++) {
		struct cancel_race c = { .delay_ns = delays[i], .timeout_ns = T };
		aring_task *t;

		CU_ASSERT_EQUAL_FATAL(aring_spawn(loop, cancel_reader, &c, &t), 0);
		CU_ASSERT_EQUAL(aring_sleep(loop, c.delay_ns), 0);
		c.cancel_res = aring_cancel(loop, c.id, 0, NULL);
		CU_ASSERT_EQUAL(aring_join(loop, t, NULL), 0);
		if (c.cancel_res == 0) {
			CU_ASSERT_EQUAL(c.op_res, -ECANCELED);
		} else {
			CU_ASSERT(c.cancel_res == -ENOENT || c.cancel_res == -EALREADY);
			CU_ASSERT_EQUAL(c.op_res, -ETIME);
		}
		if (delays[i] < T)
			CU_ASSERT_EQUAL(c.cancel_res, 0);
		/* Its deadline's CQE comes first; on the real backends, where
		 * 1 ns is no order, only a whole deadline later is. */
		if (delays[i] > T && (th_is_sim() || delays[i] >= 2 * T))
			CU_ASSERT_NOT_EQUAL(c.cancel_res, 0);
	}
	return 0;
}

static void test_cancel_race(void)
{
	CU_ASSERT_EQUAL(th_run(cancel_race_task, NULL, 0), 0);
}

static int victim(aring_loop *loop, void *arg)
{
	int *fds = arg;
	char buf[4];
	struct aring_opt o = { .timeout_ns = 1000 * MS };

	return aring_read(loop, fds[0], buf, sizeof(buf), 0, &o);
}

/*
 * A task cancelled while its op has a 1 s deadline: -ECANCELED at once,
 * and nothing keeps the loop waiting for the deadline afterwards (on the
 * sim the clock does not move to it).
 */
static int task_cancel_task(aring_loop *loop, void *arg)
{
	int fds[2], res = 0;
	aring_task *t;
	uint64_t t0 = aring_now_ns(loop);

	(void)arg;
	CU_ASSERT_EQUAL_FATAL(aring_pipe(loop, fds, 0, NULL), 0);
	CU_ASSERT_EQUAL_FATAL(aring_spawn(loop, victim, fds, &t), 0);
	CU_ASSERT_EQUAL(aring_sleep(loop, 2 * MS), 0);
	CU_ASSERT_EQUAL(aring_task_cancel(loop, t), 0);
	CU_ASSERT_EQUAL(aring_join(loop, t, &res), 0);
	CU_ASSERT_EQUAL(res, -ECANCELED);
	if (th_is_sim())
		CU_ASSERT_EQUAL(aring_now_ns(loop) - t0, 2 * MS);
	th_close_pair(loop, fds);
	return 0;
}

static void test_task_cancel(void)
{
	CU_ASSERT_EQUAL(th_run(task_cancel_task, NULL, 0), 0);
}

/* ---------------------------------------------------------------- deadlock */

static int stuck_task(aring_loop *loop, void *arg)
{
	aring_chan *ch = arg;
	int v;

	return aring_chan_recv(loop, ch, &v, NULL);  /* nothing ever sends */
}

/*
 * An op with a 10 s deadline completes at once; then every task waits on
 * a channel with no timeout. The run reports -EDEADLK without waiting for
 * the loop's kernel timeout (sim: the clock stays where it was).
 */
static int deadlock_first(aring_loop *loop, void *arg)
{
	aring_chan *ch = arg;
	struct aring_opt o = { .timeout_ns = 10000 * MS };

	CU_ASSERT_EQUAL(aring_nop(loop, &o), 0);
	return stuck_task(loop, ch);
}

static void test_deadlock(void)
{
	aring_loop *loop = th_loop_new(0);
	aring_chan ch;
	uint64_t t0;

	aring_chan_init(&ch, sizeof(int), 0, NULL);
	t0 = aring_now_ns(loop);
	CU_ASSERT_EQUAL_FATAL(aring_spawn(loop, deadlock_first, &ch, NULL), 0);
	CU_ASSERT_EQUAL(aring_run(loop), -EDEADLK);
	if (th_is_sim()) {
		CU_ASSERT_EQUAL(aring_now_ns(loop), t0);
	} else {
		CU_ASSERT(aring_now_ns(loop) - t0 < 10000 * MS);
	}
	aring_loop_free(loop);
}

/* ---------------------------------------------------------------- sim stalls */

static int stall_task(aring_loop *loop, void *arg)
{
	int fds[2], i;
	char buf[4];
	struct aring_opt o = { .timeout_ns = 3 * MS };

	(void)arg;
	CU_ASSERT_EQUAL_FATAL(aring_pipe(loop, fds, 0, NULL), 0);
	for (i = 0; i < 4; i++) {
		uint64_t t0 = aring_now_ns(loop);

		/* Data is there, but timeout_ppm holds every op that has a deadline. */
		CU_ASSERT_EQUAL(aring_write(loop, fds[1], "z", 1, 0, NULL), 1);
		CU_ASSERT_EQUAL(aring_read(loop, fds[0], buf, sizeof(buf), 0, &o), -ETIME);
		CU_ASSERT_EQUAL(aring_now_ns(loop) - t0, 3 * MS);
		CU_ASSERT_EQUAL(aring_read(loop, fds[0], buf, sizeof(buf), 0, NULL), 1);
	}
	th_close_pair(loop, fds);
	return 0;
}

/* The sim's timeout_ppm fault stalls an op with a deadline until it passes. */
static void test_sim_stall(void)
{
	struct aring_sim_opts so = { .timeout_ppm = 1000000 };
	aring_loop *loop;

	if (!th_is_sim())
		return;  /* a sim fault */
	loop = th_loop_new_sim(0, &so);
	CU_ASSERT_EQUAL(th_run_on(loop, stall_task, NULL), 0);
	aring_loop_free(loop);
}

/* ---------------------------------------------------------------- small ring */

static int small_reader(aring_loop *loop, void *arg)
{
	int *fds = arg;
	char buf[4];
	struct aring_opt o = { .timeout_ns = 5 * MS };

	return aring_read(loop, fds[0], buf, sizeof(buf), 0, &o) == -ETIME ? 0 : -1;
}

/* 200 deadlines passing at once on a 2-entry ring: each cancel finds room. */
static int small_ring_task(aring_loop *loop, void *arg)
{
	int fds[2], i, bad = 0, res;
	aring_task *t[200];

	(void)arg;
	CU_ASSERT_EQUAL_FATAL(aring_pipe(loop, fds, 0, NULL), 0);
	for (i = 0; i < 200; i++)
		CU_ASSERT_EQUAL_FATAL(aring_spawn(loop, small_reader, fds, &t[i]), 0);
	for (i = 0; i < 200; i++) {
		CU_ASSERT_EQUAL(aring_join(loop, t[i], &res), 0);
		bad += res != 0;
	}
	CU_ASSERT_EQUAL(bad, 0);
	th_close_pair(loop, fds);
	return 0;
}

static void test_small_ring(void)
{
	CU_ASSERT_EQUAL(th_run(small_ring_task, NULL, 2), 0);
}

static CU_TestInfo tests[] = {
	{ "a deadline passes on one of 16 ops", test_one_of_many },
	{ "deadlines pass in time order: FIFOs, heap, ops, waits", test_order },
	{ "one long deadline, ten one-off values in turn", test_values },
	{ "completion and deadline at once: one or the other", test_race },
	{ "ARING_OPT_LINKED_TIMEOUT", test_linked },
	{ "a deadline covers a whole chain", test_chain },
	{ "aring_cancel around the deadline", test_cancel_race },
	{ "task cancelled while its op has a deadline", test_task_cancel },
	{ "a finished deadline does not delay -EDEADLK", test_deadlock },
	{ "sim timeout_ppm stalls ops with a deadline", test_sim_stall },
	{ "200 deadlines at once on a 2-entry ring", test_small_ring },
	CU_TEST_INFO_NULL,
};

int main(int argc, char **argv)
{
	return th_main(argc, argv, "deadline", tests, TH_BOTH);
}
