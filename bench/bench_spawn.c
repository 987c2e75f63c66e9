/* SPDX-License-Identifier: MIT */
/*
 * Spawn and join: tasks spawned and joined per second from a warm stack
 * pool (a parent task spawns 64 children, then joins them), against a raw
 * coroutine life cycle: make_fcontext on a ready stack, jump in, jump back
 * out for good.
 *
 * Memory: RSS per parked task with 100,000 tasks parked on aring_sleep,
 * against raw liburing with 100,000 timeouts in flight, each with a small
 * malloc'd request struct (the callback style's per-op state). The page
 * tables behind the task stacks (VmPTE) are not in RSS; they are reported
 * on a row of their own.
 */
#include <errno.h>
#include <aring.h>

#include "bench/bench.h"

#define ROUNDS 5
#define BATCH 64
#define PARKED 100000u
#define PARK_NS (60ull * 1000000000ull)  /* long: they are cancelled */

/* ------------------------------------------------------------ spawn */

static int child(aring_loop *loop, void *arg)
{
	return 1;
}

struct spawn_arg {
	uint64_t n;  /* spawn+join pairs */
	int err;
};

static int spawner(aring_loop *loop, void *arg)
{
	struct spawn_arg *a = arg;
	aring_task *t[BATCH];
	uint64_t done;
	unsigned i;

	for (done = 0; done < a->n; done += BATCH) {
		for (i = 0; i < BATCH; i++)
			if (aring_spawn(loop, child, NULL, &t[i]) < 0)
				a->err = -ENOMEM;
		for (i = 0; i < BATCH; i++) {
			int res = 0;

			if (aring_join(loop, t[i], &res) < 0 || res != 1)
				a->err = -EINVAL;
		}
	}
	return 0;
}

static double aring_spawns(uint64_t n)
{
	struct spawn_arg a = { .n = n };
	aring_loop *loop;
	uint64_t t0;
	int ret;

	ret = aring_loop_new(&loop, NULL);
	if (ret < 0)
		bench_die("aring_loop_new", ret);
	/* Warm the stack pool first. */
	a.n = BATCH * 4;
	aring_spawn(loop, spawner, &a, NULL);
	aring_run(loop);
	a.n = n;
	aring_spawn(loop, spawner, &a, NULL);
	t0 = bench_now_ns();
	ret = aring_run(loop);
	t0 = bench_now_ns() - t0;
	if (ret < 0 || a.err)
		bench_die("spawn bench", ret < 0 ? ret : a.err);
	aring_loop_free(loop);
	return (double)n * 1e9 / (double)t0;
}

static void raw_entry(bench_transfer t)
{
	jump_fcontext(t.fctx, (void *)1);
	__builtin_trap();
}

static double raw_spawns(uint64_t n)
{
	static char *stacks[BATCH];
	const size_t size = 128 * 1024;
	bench_fctx c[BATCH];
	uint64_t done, t0;
	unsigned i;

	for (i = 0; i < BATCH; i++)
		if (!stacks[i])
			stacks[i] = malloc(size);
	t0 = bench_now_ns();
	for (done = 0; done < n; done += BATCH) {
		for (i = 0; i < BATCH; i++)
			c[i] = make_fcontext(stacks[i] + size, size, raw_entry);
		for (i = 0; i < BATCH; i++)
			if (jump_fcontext(c[i], NULL).data != (void *)1)
				bench_die("raw spawn", EINVAL);
	}
	return (double)n * 1e9 / (double)(bench_now_ns() - t0);
}

/* ------------------------------------------------------------ parked */

struct park {
	unsigned parked;
	size_t rss0, rss1, pte0, pte1;
};

static size_t vm_pte_bytes(void)
{
	char line[256];
	size_t kb = 0;
	FILE *f = fopen("/proc/self/status", "r");

	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "VmPTE: %zu kB", &kb) == 1)
			break;
	fclose(f);
	return kb * 1024;
}

static struct park park;

static int sleeper(aring_loop *loop, void *arg)
{
	park.parked++;
	return aring_sleep(loop, PARK_NS) == -ECANCELED ? 0 : -1;
}

static void cancel_all_prep(struct io_uring_sqe *sqe, void *ctx)
{
	io_uring_prep_cancel64(sqe, 0, IORING_ASYNC_CANCEL_ANY | IORING_ASYNC_CANCEL_ALL);
}

static int monitor(aring_loop *loop, void *arg)
{
	/* Every sleeper has run up to its sleep once this task runs again. */
	while (park.parked < PARKED)
		aring_yield(loop);
	aring_nop(loop, NULL);  /* and their SQEs went to the kernel */
	park.rss1 = bench_rss_bytes();
	park.pte1 = vm_pte_bytes();
	/*
	 * One cancel for all: cancelling 100,000 timeouts one id at a time is
	 * quadratic (aring's id list and the kernel's timeout list are both
	 * searched linearly).
	 */
	if (aring_do(loop, cancel_all_prep, NULL, NULL) != (int)PARKED)
		return -1;
	return 0;
}

static void aring_parked(double *rss_per_task, double *pte_per_task)
{
	aring_loop *loop;
	aring_task *m;
	unsigned i;
	int ret, res = -1;

	ret = aring_loop_new(&loop, NULL);
	if (ret < 0)
		bench_die("aring_loop_new", ret);
	park.rss0 = bench_rss_bytes();
	park.pte0 = vm_pte_bytes();
	for (i = 0; i < PARKED; i++)
		if (aring_spawn(loop, sleeper, NULL, NULL) < 0)
			bench_die("aring_spawn", ENOMEM);
	aring_spawn(loop, monitor, NULL, &m);
	ret = aring_join(loop, m, &res);
	if (ret < 0 || res != 0)
		bench_die("parked tasks", ret < 0 ? ret : EINVAL);
	aring_run(loop);
	aring_loop_free(loop);
	*rss_per_task = (double)(park.rss1 - park.rss0) / PARKED;
	*pte_per_task = (double)(park.pte1 - park.pte0) / PARKED;
}

struct raw_req {
	struct __kernel_timespec ts;
	uint64_t id;
	void (*cb)(struct raw_req *req, int res);
};

static void raw_req_done(struct raw_req *req, int res)
{
	free(req);
}

static double raw_parked(void)
{
	struct io_uring ring;
	struct io_uring_cqe *cqe;
	size_t rss0, rss1;
	unsigned i, done = 0;
	int ret;

	ret = io_uring_queue_init(256, &ring, IORING_SETUP_SUBMIT_ALL | IORING_SETUP_COOP_TASKRUN |
						      IORING_SETUP_TASKRUN_FLAG);
	if (ret < 0)
		bench_die("io_uring_queue_init", ret);
	rss0 = bench_rss_bytes();
	for (i = 0; i < PARKED; i++) {
		struct io_uring_sqe *sqe = io_uring_get_sqe(&ring);
		struct raw_req *req;

		if (!sqe) {
			io_uring_submit(&ring);
			sqe = io_uring_get_sqe(&ring);
		}
		req = malloc(sizeof(*req));
		req->ts.tv_sec = PARK_NS / 1000000000ull;
		req->ts.tv_nsec = 0;
		req->id = i;
		req->cb = raw_req_done;
		io_uring_prep_timeout(sqe, &req->ts, 0, 0);
		io_uring_sqe_set_data(sqe, req);
	}
	io_uring_submit(&ring);
	rss1 = bench_rss_bytes();
	/* Cancel them all at once; the requests free themselves. */
	{
		struct io_uring_sqe *sqe = io_uring_get_sqe(&ring);

		io_uring_prep_cancel64(sqe, 0, IORING_ASYNC_CANCEL_ANY | IORING_ASYNC_CANCEL_ALL);
		sqe->user_data = 0;
		io_uring_submit(&ring);
	}
	while (done < PARKED) {
		unsigned head, got = 0;

		if (io_uring_wait_cqe(&ring, &cqe) < 0)
			break;
		io_uring_for_each_cqe(&ring, head, cqe) {
			struct raw_req *req = io_uring_cqe_get_data(cqe);

			got++;
			if (req) {
				req->cb(req, cqe->res);
				done++;
			}
		}
		io_uring_cq_advance(&ring, got);
	}
	io_uring_queue_exit(&ring);
	return (double)(rss1 - rss0) / PARKED;
}

int main(void)
{
	uint64_t n = (uint64_t)(2e6 * bench_scale()) / BATCH * BATCH;
	double a[ROUNDS], r[ROUNDS], q[ROUNDS], am, rm;
	double rss, pte, raw_rss;
	unsigned i;

	for (i = 0; i < ROUNDS; i++) {
		r[i] = raw_spawns(n);
		a[i] = aring_spawns(n);
		q[i] = a[i] / r[i];
	}
	am = bench_median(a, ROUNDS);
	rm = bench_median(r, ROUNDS);
	bench_row("spawn+join per second, warm pool (batches of 64)", bench_fmt("%.2f M/s", am / 1e6),
		  bench_fmt("%.2f M/s (raw fcontext)", rm / 1e6), bench_median(q, ROUNDS),
		  BENCH_ABS_GE, am, 2e6, ">= 2 M/s");

	raw_rss = raw_parked();
	aring_parked(&rss, &pte);
	bench_row("RSS per parked task (100,000 on aring_sleep)", bench_fmt("%.0f B", rss),
		  bench_fmt("%.0f B (liburing+malloc)", raw_rss), raw_rss > 0 ? rss / raw_rss : -1,
		  BENCH_ABS_LE, rss, 8192, "<= 8 KiB");
	bench_row("page tables per parked task (VmPTE, not in RSS)", bench_fmt("%.0f B", pte), "-",
		  -1, BENCH_INFO, pte, 0, "report");
	return 0;
}
