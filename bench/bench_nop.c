/* SPDX-License-Identifier: MIT */
/*
 * Op overhead: NOPs through aring with T tasks (each: aring_nop in a loop)
 * against raw liburing submitting batches of T NOPs and reaping them, on
 * rings of the same size and setup flags. Rounds alternate the two; the
 * median of the per-round ratios is reported. Rates are per CPU second of
 * the process (user and system): on an idle machine that is wall time, and
 * on a busy one the time other jobs hold the CPU does not count.
 */
#include <errno.h>
#include <aring.h>

#include "bench/bench.h"

#define ROUNDS 5
#define ENTRIES 256u
/* aring's default ring flags (backends/uring.c). */
#define SETUP_FLAGS \
	(IORING_SETUP_SUBMIT_ALL | IORING_SETUP_COOP_TASKRUN | IORING_SETUP_TASKRUN_FLAG)

/* NOPs per second through aring: T tasks, n NOPs each. */
static double aring_nops(unsigned T, uint64_t n)
{
	struct aring_loop_opts o = { .entries = ENTRIES };
	aring_loop *loop;
	unsigned i;
	uint64_t c0;
	int ret;

	ret = aring_loop_new(&loop, &o);
	if (ret < 0)
		bench_die("aring_loop_new", ret);
	for (i = 0; i < T; i++)
		aring_spawn(loop, bench_nop_task, &n, NULL);
	c0 = bench_cpu_ns();
	ret = aring_run(loop);
	c0 = bench_cpu_ns() - c0;
	if (ret < 0)
		bench_die("aring_run", ret);
	aring_loop_free(loop);
	return (double)T * (double)n * 1e9 / (double)c0;
}

/* NOPs per second through liburing: rounds of T NOPs, submit and wait for all. */
static double raw_nops(unsigned T, uint64_t n)
{
	struct io_uring ring;
	struct io_uring_cqe *cqe;
	uint64_t r, t0, sum = 0;
	unsigned i, head, seen;
	int ret;

	ret = io_uring_queue_init(ENTRIES, &ring, SETUP_FLAGS);
	if (ret < 0)
		bench_die("io_uring_queue_init", ret);
	t0 = bench_cpu_ns();
	for (r = 0; r < n; r++) {
		for (i = 0; i < T; i++) {
			struct io_uring_sqe *sqe = io_uring_get_sqe(&ring);

			io_uring_prep_nop(sqe);
			sqe->user_data = i + 1;
		}
		ret = io_uring_submit_and_wait(&ring, T);
		if (ret < 0)
			bench_die("io_uring_submit_and_wait", ret);
		for (seen = 0; seen < T;) {
			unsigned got = 0;

			io_uring_for_each_cqe(&ring, head, cqe) {
				sum += cqe->user_data;
				got++;
			}
			io_uring_cq_advance(&ring, got);
			seen += got;
			if (seen < T && io_uring_wait_cqe(&ring, &cqe) < 0)
				bench_die("io_uring_wait_cqe", -EIO);
		}
	}
	t0 = bench_cpu_ns() - t0;
	io_uring_queue_exit(&ring);
	if (sum != n * (uint64_t)T * (T + 1) / 2)
		bench_die("raw nop: lost completions", EIO);
	return (double)T * (double)n * 1e9 / (double)t0;
}

int main(void)
{
	static const unsigned Ts[] = { 1, 32, 256 };
	uint64_t total = (uint64_t)(2e6 * bench_scale());
	unsigned k, i;

	for (k = 0; k < sizeof(Ts) / sizeof(Ts[0]); k++) {
		unsigned T = Ts[k];
		uint64_t n = total / T;
		double a[ROUNDS], r[ROUNDS], q[ROUNDS];

		aring_nops(T, n / 10);
		raw_nops(T, n / 10);
		for (i = 0; i < ROUNDS; i++) {
			r[i] = raw_nops(T, n);
			a[i] = aring_nops(T, n);
			q[i] = a[i] / r[i];
		}
		{
			double am = bench_median(a, ROUNDS), rm = bench_median(r, ROUNDS);
			double qm = bench_median(q, ROUNDS);
			const char *metric = bench_fmt("nop: T = %u tasks vs raw batches of %u (Mops per CPU s)", T, T);

			if (T == 1)
				bench_row(metric, bench_fmt("%.2f M/s", am / 1e6),
					  bench_fmt("%.2f M/s", rm / 1e6), qm, BENCH_INFO, qm, 0,
					  "report");
			else
				bench_row(metric, bench_fmt("%.2f M/s", am / 1e6),
					  bench_fmt("%.2f M/s", rm / 1e6), qm, BENCH_RATIO_GE, qm,
					  0.90, ">= 0.90");
		}
	}
	return 0;
}
