/* SPDX-License-Identifier: MIT */
/*
 * Switch cost: two aring tasks ping-ponging with aring_yield, against a raw
 * jump_fcontext ping-pong between the main context and one fcontext. Both
 * are timed per switch (one aring_yield, one jump_fcontext), alternating
 * the two several times in the same process; medians are compared.
 */
#include <aring.h>

#include "bench/bench.h"

#define ROUNDS 7
#define RAW_STACK_BYTES (64 * 1024)

static void raw_partner(bench_transfer t)
{
	for (;;)
		t = jump_fcontext(t.fctx, NULL);
}

/* ns per jump_fcontext; iters round trips = 2 * iters jumps. */
static double raw_pingpong(uint64_t iters)
{
	static char *stack;
	bench_fctx partner;
	bench_transfer t;
	uint64_t i, t0;

	if (!stack)
		stack = malloc(RAW_STACK_BYTES);
	partner = make_fcontext(stack + RAW_STACK_BYTES, RAW_STACK_BYTES, raw_partner);
	t = jump_fcontext(partner, NULL);  /* start it: it jumps straight back */
	t0 = bench_now_ns();
	for (i = 0; i < iters; i++)
		t = jump_fcontext(t.fctx, NULL);
	return (double)(bench_now_ns() - t0) / (double)(2 * iters);
}

static int yielder(aring_loop *loop, void *arg)
{
	uint64_t i, n = *(uint64_t *)arg;

	for (i = 0; i < n; i++)
		aring_yield(loop);
	return 0;
}

/* ns per aring_yield, two tasks yielding to each other. */
static double aring_pingpong(uint64_t iters)
{
	aring_loop *loop;
	int ret;

	ret = aring_loop_new(&loop, NULL);
	if (ret < 0)
		bench_die("aring_loop_new", ret);
	aring_spawn(loop, yielder, &iters, NULL);
	aring_spawn(loop, yielder, &iters, NULL);
	return bench_run_free(loop) * 1e9 / (double)(2 * iters);
}

int main(void)
{
	double raw[ROUNDS], ar[ROUNDS], r, a;
	uint64_t iters = (uint64_t)(2e6 * bench_scale());
	unsigned i;

	raw_pingpong(iters / 10);  /* warm up */
	aring_pingpong(iters / 10);
	for (i = 0; i < ROUNDS; i++) {
		raw[i] = raw_pingpong(iters);
		ar[i] = aring_pingpong(iters);
	}
	r = bench_median(raw, ROUNDS);
	a = bench_median(ar, ROUNDS);
	bench_row("switch: aring_yield vs raw jump_fcontext (ns/switch)", bench_fmt("%.2f ns", a),
		  bench_fmt("%.2f ns", r), a / r, BENCH_RATIO_LE, a, 3.0, "<= 3.00x");
	return 0;
}
