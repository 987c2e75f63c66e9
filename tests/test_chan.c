/* SPDX-License-Identifier: MIT */
/*
 * Channels: buffered FIFO order, rendezvous, try_ calls, close while
 * senders and receivers wait, timeouts and cancels by id while waiting
 * (on the sim at exact virtual times), zero and init'd channels, bad
 * sizes, and freeing a channel with waiters (a documented abort).
 */
#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "tests/helpers.h"

#define MS (1000ull * 1000ull)

struct pc {
	aring_chan *ch;
	int n;
	int got[64];
	int ngot;
	int res;
};

static int producer(aring_loop *loop, void *arg)
{
	struct pc *p = arg;
	int i, ret;

	for (i = 0; i < p->n; i++)
		if ((ret = aring_chan_send(loop, p->ch, &i, NULL)) != 0)
			return ret;
	return 0;
}

static int consumer(aring_loop *loop, void *arg)
{
	struct pc *p = arg;
	int v, ret;

	while ((ret = aring_chan_recv(loop, p->ch, &v, NULL)) == 0)
		p->got[p->ngot++] = v;
	return ret;
}

/* 50 messages through a channel of capacity cap, closed after: FIFO, then -EPIPE. */
static int fifo_task(aring_loop *loop, void *arg)
{
	struct pc p = { .n = 50 };
	aring_task *prod, *cons;
	int i;

	CU_ASSERT_EQUAL_FATAL(aring_chan_new(loop, sizeof(int), (size_t)(uintptr_t)arg, &p.ch), 0);
	cons = th_spawn(loop, consumer, &p);
	prod = th_spawn(loop, producer, &p);
	CU_ASSERT_EQUAL(th_join(loop, prod), 0);
	aring_chan_close(loop, p.ch);
	CU_ASSERT_EQUAL(th_join(loop, cons), -EPIPE);
	CU_ASSERT_EQUAL(p.ngot, 50);
	for (i = 0; i < p.ngot; i++)
		CU_ASSERT_EQUAL(p.got[i], i);
	aring_chan_free(p.ch);
	return 0;
}

static void test_fifo_buffered(void)
{
	CU_ASSERT_EQUAL(th_run(fifo_task, (void *)(uintptr_t)4, 0), 0);
	CU_ASSERT_EQUAL(th_run(fifo_task, (void *)(uintptr_t)100, 0), 0);
}

static void test_fifo_rendezvous(void)
{
	CU_ASSERT_EQUAL(th_run(fifo_task, (void *)(uintptr_t)0, 0), 0);
}

struct rv {
	aring_chan *ch;
	int stage;
};

static int rv_sender(aring_loop *loop, void *arg)
{
	struct rv *r = arg;
	int v = 42, ret;

	r->stage = 1;
	ret = aring_chan_send(loop, r->ch, &v, NULL);
	r->stage = 2;
	return ret;
}

/* Capacity 0: a send waits until a receiver took the message; try_ calls never buffer. */
static int rendezvous_task(aring_loop *loop, void *arg)
{
	struct rv r = { 0 };
	aring_task *t;
	int v = 7;

	(void)arg;
	CU_ASSERT_EQUAL_FATAL(aring_chan_new(loop, sizeof(int), 0, &r.ch), 0);
	CU_ASSERT_EQUAL(aring_chan_try_send(loop, r.ch, &v), -EAGAIN);
	CU_ASSERT_EQUAL(aring_chan_try_recv(loop, r.ch, &v), -EAGAIN);
	t = th_spawn(loop, rv_sender, &r);
	aring_sleep(loop, MS);
	CU_ASSERT_EQUAL(r.stage, 1);  /* still in the send */
	CU_ASSERT_EQUAL(aring_chan_try_recv(loop, r.ch, &v), 0);
	CU_ASSERT_EQUAL(v, 42);
	CU_ASSERT_EQUAL(th_join(loop, t), 0);
	CU_ASSERT_EQUAL(r.stage, 2);
	aring_chan_free(r.ch);
	return 0;
}

static void test_rendezvous(void)
{
	CU_ASSERT_EQUAL(th_run(rendezvous_task, NULL, 0), 0);
}

static int try_task(aring_loop *loop, void *arg)
{
	aring_chan *ch;
	int v, i;

	(void)arg;
	CU_ASSERT_EQUAL_FATAL(aring_chan_new(loop, sizeof(int), 3, &ch), 0);
	for (i = 0; i < 3; i++)
		CU_ASSERT_EQUAL(aring_chan_try_send(loop, ch, &i), 0);
	CU_ASSERT_EQUAL(aring_chan_try_send(loop, ch, &i), -EAGAIN);
	CU_ASSERT_EQUAL(aring_chan_try_recv(loop, ch, &v), 0);
	CU_ASSERT_EQUAL(v, 0);
	i = 3;
	CU_ASSERT_EQUAL(aring_chan_try_send(loop, ch, &i), 0);  /* wraps around */
	aring_chan_close(loop, ch);
	aring_chan_close(loop, ch);  /* twice: nothing */
	CU_ASSERT_EQUAL(aring_chan_try_send(loop, ch, &i), -EPIPE);
	CU_ASSERT_EQUAL(aring_chan_send(loop, ch, &i, NULL), -EPIPE);
	for (i = 1; i <= 3; i++) {
		CU_ASSERT_EQUAL(aring_chan_recv(loop, ch, &v, NULL), 0);
		CU_ASSERT_EQUAL(v, i);
	}
	CU_ASSERT_EQUAL(aring_chan_try_recv(loop, ch, &v), -EPIPE);
	CU_ASSERT_EQUAL(aring_chan_recv(loop, ch, &v, NULL), -EPIPE);
	aring_chan_free(ch);
	return 0;
}

static void test_try_and_closed(void)
{
	CU_ASSERT_EQUAL(th_run(try_task, NULL, 0), 0);
}

static int send_one(aring_loop *loop, void *arg)
{
	int v = 1;

	return aring_chan_send(loop, arg, &v, NULL);
}

static int recv_one(aring_loop *loop, void *arg)
{
	int v;

	return aring_chan_recv(loop, arg, &v, NULL);
}

/* Close wakes every waiter: 3 blocked senders on a full channel, 3 blocked receivers on another. */
static int close_task(aring_loop *loop, void *arg)
{
	aring_chan *full, *empty;
	aring_task *s[3], *r[3];
	int i, v = 0;

	(void)arg;
	CU_ASSERT_EQUAL_FATAL(aring_chan_new(loop, sizeof(int), 1, &full), 0);
	CU_ASSERT_EQUAL_FATAL(aring_chan_new(loop, sizeof(int), 1, &empty), 0);
	CU_ASSERT_EQUAL(aring_chan_try_send(loop, full, &v), 0);
	for (i = 0; i < 3; i++) {
		s[i] = th_spawn(loop, send_one, full);
		r[i] = th_spawn(loop, recv_one, empty);
	}
	aring_sleep(loop, MS);
	aring_chan_close(loop, full);
	aring_chan_close(loop, empty);
	for (i = 0; i < 3; i++) {
		CU_ASSERT_EQUAL(th_join(loop, s[i]), -EPIPE);
		CU_ASSERT_EQUAL(th_join(loop, r[i]), -EPIPE);
	}
	/* The buffered message is still there after the close. */
	CU_ASSERT_EQUAL(aring_chan_recv(loop, full, &v, NULL), 0);
	CU_ASSERT_EQUAL(aring_chan_recv(loop, full, &v, NULL), -EPIPE);
	aring_chan_free(full);
	aring_chan_free(empty);
	return 0;
}

static void test_close_wakes_all(void)
{
	CU_ASSERT_EQUAL(th_run(close_task, NULL, 0), 0);
}

/* A receive and a send with a timeout give -ETIME (on the sim, exactly on time). */
static int timeout_task(aring_loop *loop, void *arg)
{
	struct aring_opt o = { .timeout_ns = 5 * MS };
	aring_chan *ch;
	uint64_t t0, id;
	int v = 1, i;

	(void)arg;
	CU_ASSERT_EQUAL_FATAL(aring_chan_new(loop, sizeof(int), 1, &ch), 0);
	t0 = aring_now_ns(loop);
	CU_ASSERT_EQUAL(aring_chan_recv(loop, ch, &v, &o), -ETIME);
	if (th_is_sim())
		CU_ASSERT_EQUAL(aring_now_ns(loop) - t0, 5 * MS);
	o.id = &id;
	id = 12345;
	CU_ASSERT_EQUAL(aring_chan_send(loop, ch, &v, &o), 0);  /* room: no wait */
	CU_ASSERT_EQUAL(id, 0);  /* no wait, no id */
	o.id = NULL;
	t0 = aring_now_ns(loop);
	CU_ASSERT_EQUAL(aring_chan_send(loop, ch, &v, &o), -ETIME);
	if (th_is_sim())
		CU_ASSERT_EQUAL(aring_now_ns(loop) - t0, 5 * MS);
	/* Many timed waits satisfied before their timeout: no time passes, the
	 * removed timeouts are accounted for (the task exits cleanly). */
	for (i = 0; i < 40; i++) {
		CU_ASSERT_EQUAL(aring_chan_recv(loop, ch, &v, &o), 0);
		CU_ASSERT_EQUAL(aring_chan_send(loop, ch, &v, &o), 0);
	}
	aring_chan_free(ch);
	return 0;
}

static void test_timeout(void)
{
	CU_ASSERT_EQUAL(th_run(timeout_task, NULL, 0), 0);
}

struct timed {
	aring_chan *ch;
	uint64_t id;
	int res;
};

static int timed_recv(aring_loop *loop, void *arg)
{
	struct timed *t = arg;
	struct aring_opt o = { .timeout_ns = 10000 * MS, .id = &t->id };
	int v = 0;

	t->res = aring_chan_recv(loop, t->ch, &v, &o);
	return v;
}

/*
 * A waiter with a long timeout gets a message first: it returns at once
 * and its timeout is removed (the loop does not wait 10 s for it).
 * Cancelled by id: -ECANCELED, and the id is then gone (-ENOENT).
 */
static int satisfied_task(aring_loop *loop, void *arg)
{
	struct timed t = { 0 };
	aring_task *h;
	uint64_t t0 = aring_now_ns(loop);
	int v = 9;

	(void)arg;
	CU_ASSERT_EQUAL_FATAL(aring_chan_new(loop, sizeof(int), 0, &t.ch), 0);
	h = th_spawn(loop, timed_recv, &t);
	aring_yield(loop);
	CU_ASSERT_EQUAL(aring_chan_send(loop, t.ch, &v, NULL), 0);
	/* Served but not yet run: the wait is over, a cancel finds nothing. */
	CU_ASSERT_EQUAL(aring_cancel(loop, t.id, 0, NULL), -ENOENT);
	CU_ASSERT_EQUAL(th_join(loop, h), 9);
	CU_ASSERT_EQUAL(t.res, 0);
	CU_ASSERT(aring_now_ns(loop) - t0 < 5000 * MS);
	CU_ASSERT_EQUAL(aring_cancel(loop, t.id, 0, NULL), -ENOENT);

	h = th_spawn(loop, timed_recv, &t);
	aring_yield(loop);
	CU_ASSERT(t.id != 0);
	CU_ASSERT_EQUAL(aring_cancel(loop, t.id, 0, NULL), 0);
	CU_ASSERT_EQUAL(th_join(loop, h), 0);
	CU_ASSERT_EQUAL(t.res, -ECANCELED);
	CU_ASSERT_EQUAL(aring_cancel(loop, t.id, 0, NULL), -ENOENT);
	/* Nothing was taken by the cancelled receive. */
	CU_ASSERT_EQUAL(aring_chan_try_recv(loop, t.ch, &v), -EAGAIN);
	CU_ASSERT(aring_now_ns(loop) - t0 < 5000 * MS);
	aring_chan_free(t.ch);
	return 0;
}

static void test_satisfied_and_cancel_by_id(void)
{
	CU_ASSERT_EQUAL(th_run(satisfied_task, NULL, 0), 0);
}

static int send_id(aring_loop *loop, void *arg)
{
	struct timed *t = arg;
	struct aring_opt o = { .id = &t->id };
	int v = 5;

	return aring_chan_send(loop, t->ch, &v, &o);
}

/* A blocked sender cancelled by id did not send: the receiver gets the next one. */
static int cancel_send_task(aring_loop *loop, void *arg)
{
	struct timed t = { 0 };
	aring_task *h;
	int v = 0;

	(void)arg;
	CU_ASSERT_EQUAL_FATAL(aring_chan_new(loop, sizeof(int), 0, &t.ch), 0);
	h = th_spawn(loop, send_id, &t);
	aring_yield(loop);
	CU_ASSERT_EQUAL(aring_cancel(loop, t.id, 0, NULL), 0);
	CU_ASSERT_EQUAL(th_join(loop, h), -ECANCELED);
	CU_ASSERT_EQUAL(aring_chan_try_recv(loop, t.ch, &v), -EAGAIN);
	aring_chan_free(t.ch);
	return 0;
}

static void test_cancel_send(void)
{
	CU_ASSERT_EQUAL(th_run(cancel_send_task, NULL, 0), 0);
}

/* All-zero memory is a rendezvous channel of empty messages; aring_chan_init with a caller buffer. */
static int zero_task(aring_loop *loop, void *arg)
{
	aring_chan z, c;
	int buf[2], v = 3;
	aring_task *h;

	(void)arg;
	memset(&z, 0, sizeof(z));
	h = th_spawn(loop, send_one, &z);  /* msg ignored: msg_size 0 */
	aring_yield(loop);
	CU_ASSERT_EQUAL(aring_chan_recv(loop, &z, NULL, NULL), 0);
	CU_ASSERT_EQUAL(th_join(loop, h), 0);
	aring_chan_free(&z);  /* not allocated: only checked */

	CU_ASSERT_EQUAL(aring_chan_init(&c, sizeof(int), 2, buf), 0);
	CU_ASSERT_EQUAL(aring_chan_try_send(loop, &c, &v), 0);
	CU_ASSERT_EQUAL(aring_chan_try_recv(loop, &c, &v), 0);
	CU_ASSERT_EQUAL(v, 3);
	CU_ASSERT_EQUAL(aring_chan_init(&c, sizeof(int), 2, NULL), -EINVAL);
	CU_ASSERT_EQUAL(aring_chan_send(loop, &c, NULL, NULL), -EINVAL);
	return 0;
}

static void test_zero_and_init(void)
{
	CU_ASSERT_EQUAL(th_run(zero_task, NULL, 0), 0);
}

static void test_bad_sizes(void)
{
	aring_loop *loop = th_loop_new(0);
	aring_chan *ch = NULL;
	int v = 0;

	CU_ASSERT_EQUAL(aring_chan_new(loop, SIZE_MAX / 2, 3, &ch), -EINVAL);  /* overflows */
	CU_ASSERT_EQUAL(aring_chan_new(loop, 1u << 20, 1u << 20, &ch), -EINVAL);  /* 1 TiB */
	CU_ASSERT_EQUAL(aring_chan_new(loop, ARING_CHAN_MAX_BYTES + 1, 1, &ch), -EINVAL);
	CU_ASSERT_EQUAL(aring_chan_new(NULL, 4, 1, &ch), -EINVAL);
	CU_ASSERT_EQUAL(aring_chan_new(loop, 4, 1, NULL), -EINVAL);
	CU_ASSERT_PTR_NULL(ch);
	CU_ASSERT_EQUAL(aring_chan_new(loop, 0, SIZE_MAX, &ch), 0);  /* events: no buffer */
	/* Outside a task, waits give -EPERM; try_ calls work. */
	CU_ASSERT_EQUAL(aring_chan_send(loop, ch, &v, NULL), -EPERM);
	CU_ASSERT_EQUAL(aring_chan_try_send(loop, ch, NULL), 0);
	CU_ASSERT_EQUAL(aring_chan_try_recv(loop, ch, NULL), 0);
	aring_chan_free(ch);
	aring_chan_free(NULL);
	CU_ASSERT_EQUAL(aring_run(loop), 0);
	aring_loop_free(loop);
}

/* The child: a task waits on a channel; another frees it. */
static int free_waited_task(aring_loop *loop, void *arg)
{
	aring_chan *ch = arg;

	aring_yield(loop);
	aring_chan_free(ch);
	return 0;
}

static void free_waited_child(void *arg)
{
	struct aring_loop_opts o = { .backend = th_cfg->backend };
	aring_loop *loop;
	aring_chan *ch;

	(void)arg;
	if (aring_loop_new(&loop, &o) < 0 || aring_chan_new(loop, 4, 0, &ch) < 0)
		_exit(3);
	aring_spawn(loop, recv_one, ch, NULL);
	aring_spawn(loop, free_waited_task, ch, NULL);
	aring_run(loop);
}

static void test_free_with_waiters_aborts(void)
{
	th_expect_abort(free_waited_child, NULL, "aring_chan_free: tasks still wait on the channel");
}

struct pp {
	aring_chan *ping, *pong;
	int rounds;
};

static int pp_echo(aring_loop *loop, void *arg)
{
	struct pp *p = arg;
	struct aring_opt o = { .timeout_ns = 3600000 * MS };
	int v, i, ret;

	for (i = 0; i < p->rounds; i++) {
		if ((ret = aring_chan_recv(loop, p->ping, &v, &o)) != 0)
			return ret;
		if ((ret = aring_chan_send(loop, p->pong, &v, &o)) != 0)
			return ret;
	}
	return 0;
}

/*
 * 200 round trips over two rendezvous channels, every wait with a 1-hour
 * timeout: each wait suspends, is served, removes its timeout and returns
 * at once; the removed timeouts neither fire nor keep the loop (or the
 * task's exit) waiting: no virtual time passes on the sim.
 */
static int pingpong_task(aring_loop *loop, void *arg)
{
	struct pp p = { .rounds = 200 };
	struct aring_opt o = { .timeout_ns = 3600000 * MS };
	uint64_t t0 = aring_now_ns(loop);
	aring_task *t;
	int i, v;

	(void)arg;
	CU_ASSERT_EQUAL_FATAL(aring_chan_new(loop, sizeof(int), 0, &p.ping), 0);
	CU_ASSERT_EQUAL_FATAL(aring_chan_new(loop, sizeof(int), 0, &p.pong), 0);
	t = th_spawn(loop, pp_echo, &p);
	for (i = 0; i < p.rounds; i++) {
		CU_ASSERT_EQUAL(aring_chan_send(loop, p.ping, &i, &o), 0);
		CU_ASSERT_EQUAL(aring_chan_recv(loop, p.pong, &v, &o), 0);
		CU_ASSERT_EQUAL(v, i);
	}
	CU_ASSERT_EQUAL(th_join(loop, t), 0);
	if (th_is_sim())
		CU_ASSERT_EQUAL(aring_now_ns(loop), t0);
	aring_chan_free(p.ping);
	aring_chan_free(p.pong);
	return 0;
}

static void test_pingpong_timed(void)
{
	CU_ASSERT_EQUAL(th_run(pingpong_task, NULL, 0), 0);
}

struct det {
	aring_chan *ch;
	char log[512];
	size_t len;
};

static void det_log(struct det *d, const char *who, int res, uint64_t t)
{
	int n = snprintf(d->log + d->len, sizeof(d->log) - d->len, "%s:%d@%llu ", who, res,
			 (unsigned long long)(t % 1000000000ull));

	if (n > 0 && d->len + (size_t)n < sizeof(d->log))
		d->len += (size_t)n;
}

static int det_consumer(aring_loop *loop, void *arg)
{
	struct det *d = arg;
	struct aring_opt o = { .timeout_ns = 3 * MS };
	int v, ret;

	do {
		ret = aring_chan_recv(loop, d->ch, &v, &o);
		det_log(d, "r", ret == 0 ? v : ret, aring_now_ns(loop));
	} while (ret != -EPIPE);
	return 0;
}

static int det_producer(aring_loop *loop, void *arg)
{
	struct det *d = arg;
	int i;

	for (i = 0; i < 6; i++) {
		aring_sleep(loop, (uint64_t)(i % 3) * 2 * MS);
		det_log(d, "s", aring_chan_send(loop, d->ch, &i, NULL), aring_now_ns(loop));
	}
	aring_chan_close(loop, d->ch);
	return 0;
}

/* One run of waits with timeouts on the sim: its log and trace hash. */
static uint64_t det_run(struct det *d)
{
	aring_loop *loop = th_loop_new(0);
	uint64_t hash;

	memset(d, 0, sizeof(*d));
	CU_ASSERT_EQUAL_FATAL(aring_chan_new(loop, sizeof(int), 0, &d->ch), 0);
	CU_ASSERT_EQUAL(aring_spawn(loop, det_consumer, d, NULL), 0);
	CU_ASSERT_EQUAL(aring_spawn(loop, det_producer, d, NULL), 0);
	CU_ASSERT_EQUAL(aring_run(loop), 0);
	hash = aring_sim_trace_hash(loop);
	aring_chan_free(d->ch);
	aring_loop_free(loop);
	return hash;
}

/* Sim: the same seed gives the same results at the same virtual times, and the same trace. */
static void test_sim_deterministic(void)
{
	static struct det a, b;
	uint64_t ha, hb;

	if (!th_is_sim())
		return;
	ha = det_run(&a);
	hb = det_run(&b);
	CU_ASSERT_EQUAL(ha, hb);
	CU_ASSERT_STRING_EQUAL(a.log, b.log);
	CU_ASSERT_PTR_NOT_NULL(strstr(a.log, "r:-62@"));  /* a receive timed out (-ETIME) */
	CU_ASSERT_PTR_NOT_NULL(strstr(a.log, "r:-32@"));  /* then -EPIPE */
}

static CU_TestInfo tests[] = {
	{ "buffered channel keeps FIFO order, close ends the receiver", test_fifo_buffered },
	{ "rendezvous channel (capacity 0) keeps FIFO order", test_fifo_rendezvous },
	{ "rendezvous: a send waits for a receiver", test_rendezvous },
	{ "try_send/try_recv, send/recv on a closed channel", test_try_and_closed },
	{ "close wakes waiting senders and receivers", test_close_wakes_all },
	{ "send/recv timeouts (-ETIME, exact on the sim)", test_timeout },
	{ "a timed waiter served early; cancel by id", test_satisfied_and_cancel_by_id },
	{ "a cancelled sender sent nothing", test_cancel_send },
	{ "all-zero channel, aring_chan_init", test_zero_and_init },
	{ "bad sizes, outside a task", test_bad_sizes },
	{ "free with waiters aborts naming the misuse", test_free_with_waiters_aborts },
	{ "sim: same seed, same run", test_sim_deterministic },
	{ "200 round trips, every wait timed and served first", test_pingpong_timed },
	CU_TEST_INFO_NULL,
};

int main(int argc, char **argv)
{
	return th_main(argc, argv, "chan", tests, TH_BOTH);
}
