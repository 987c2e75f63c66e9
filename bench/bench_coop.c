/* SPDX-License-Identifier: MIT */
/*
 * Cooperating tasks against the cost of a switch:
 * - a message through a rendezvous channel (capacity 0) between two tasks,
 *   one aring_chan_send + one aring_chan_recv, against one round of an
 *   aring_yield ping-pong (each of two tasks yields once): both pass
 *   control there and back (target <= 2x); a buffered channel is shown too;
 * - an uncontended aring_mutex_lock + aring_mutex_unlock against one
 *   aring_yield (target <= 0.5x).
 * Each figure is the median of ROUNDS runs, alternating with its baseline.
 */
#include <aring.h>

#include "bench/bench.h"

#define ROUNDS 7

struct chan_arg {
	aring_chan *ch;
	uint64_t n;
};

static int yielder(aring_loop *loop, void *arg)
{
	uint64_t i, n = *(uint64_t *)arg;

	for (i = 0; i < n; i++)
		aring_yield(loop);
	return 0;
}

/* ns per round of two tasks yielding (two switches). */
static double yield_round(uint64_t iters)
{
	aring_loop *loop = bench_loop_new(ARING_BACKEND_URING, 0);

	aring_spawn(loop, yielder, &iters, NULL);
	aring_spawn(loop, yielder, &iters, NULL);
	return bench_run_free(loop) * 1e9 / (double)iters;
}

static int sender(aring_loop *loop, void *arg)
{
	struct chan_arg *c = arg;
	uint64_t i;

	for (i = 0; i < c->n; i++)
		if (aring_chan_send(loop, c->ch, &i, NULL) != 0)
			bench_die("aring_chan_send", -1);
	return 0;
}

static int receiver(aring_loop *loop, void *arg)
{
	struct chan_arg *c = arg;
	uint64_t i, v;

	for (i = 0; i < c->n; i++)
		if (aring_chan_recv(loop, c->ch, &v, NULL) != 0 || v != i)
			bench_die("aring_chan_recv", -1);
	return 0;
}

/* ns per message, sender and receiver tasks, a channel of capacity cap. */
static double chan_msg(uint64_t iters, size_t cap)
{
	aring_loop *loop = bench_loop_new(ARING_BACKEND_URING, 0);
	struct chan_arg c = { .n = iters };
	double s;
	int ret = aring_chan_new(loop, sizeof(uint64_t), cap, &c.ch);

	if (ret < 0)
		bench_die("aring_chan_new", ret);
	aring_spawn(loop, receiver, &c, NULL);
	aring_spawn(loop, sender, &c, NULL);
	s = bench_run_free(loop);
	aring_chan_free(c.ch);
	return s * 1e9 / (double)iters;
}

static int locker(aring_loop *loop, void *arg)
{
	struct aring_mutex m = { 0 };
	uint64_t i, n = *(uint64_t *)arg;

	for (i = 0; i < n; i++) {
		if (aring_mutex_lock(loop, &m, NULL) != 0)
			bench_die("aring_mutex_lock", -1);
		aring_mutex_unlock(loop, &m);
	}
	return 0;
}

/* ns per uncontended lock + unlock. */
static double lock_unlock(uint64_t iters)
{
	aring_loop *loop = bench_loop_new(ARING_BACKEND_URING, 0);

	aring_spawn(loop, locker, &iters, NULL);
	return bench_run_free(loop) * 1e9 / (double)iters;
}

int main(void)
{
	double y[ROUNDS], c0[ROUNDS], c64[ROUNDS], m[ROUNDS], yr, ys, ch0, ch64, mu;
	uint64_t iters = (uint64_t)(1e6 * bench_scale());
	unsigned i;

	yield_round(iters / 10);  /* warm up */
	chan_msg(iters / 10, 0);
	lock_unlock(iters / 10);
	for (i = 0; i < ROUNDS; i++) {
		y[i] = yield_round(iters);
		c0[i] = chan_msg(iters, 0);
		c64[i] = chan_msg(iters, 64);
		m[i] = lock_unlock(10 * iters);
	}
	yr = bench_median(y, ROUNDS);
	ys = yr / 2;  /* one aring_yield */
	ch0 = bench_median(c0, ROUNDS);
	ch64 = bench_median(c64, ROUNDS);
	mu = bench_median(m, ROUNDS);
	bench_row("chan: send+recv, rendezvous, 2 tasks (ns/msg) vs aring_yield ping-pong (ns/round)",
		  bench_fmt("%.2f ns", ch0), bench_fmt("%.2f ns", yr), ch0 / yr, BENCH_RATIO_LE,
		  ch0, 2.0, "<= 2.00x");
	bench_row("chan: send+recv, capacity 64, 2 tasks (ns/msg) vs aring_yield ping-pong (ns/round)",
		  bench_fmt("%.2f ns", ch64), bench_fmt("%.2f ns", yr), ch64 / yr, BENCH_INFO, ch64,
		  0, "-");
	bench_row("mutex: uncontended lock+unlock vs one aring_yield", bench_fmt("%.2f ns", mu),
		  bench_fmt("%.2f ns", ys), mu / ys, BENCH_RATIO_LE, mu, 0.5, "<= 0.50x");
	return 0;
}
