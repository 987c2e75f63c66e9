/* SPDX-License-Identifier: MIT */
/*
 * Faults of the ring itself, each shown to happen and survived: a cancel
 * that loses the race with the op's completion (-EALREADY, then the op's
 * own result), an SQ that stays full (-EAGAIN from submit), CQ overflow
 * pressure (CQEs through the overflow list).
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>

#include "tests/helpers.h"

#define MS 1000000ull

static aring_loop *loop_with(unsigned entries, uint32_t race, uint32_t sq_full, uint32_t cq_pressure)
{
	struct aring_sim_opts so;

	memset(&so, 0, sizeof(so));
	so.seed = th_cfg->seed;
	so.latency_min_ns = so.latency_max_ns = MS;
	so.cancel_race_ppm = race;
	so.sq_full_ppm = sq_full;
	so.cq_pressure_ppm = cq_pressure;
	return th_loop_new_sim(entries, &so);
}

/* ---------------------------------------------------------------- cancel race */

struct race {
	int fds[2];
	uint64_t id;
	int read_res, cancel_res, timed_res;
};

static int reader(aring_loop *loop, void *arg)
{
	struct race *r = arg;
	struct aring_opt o = { .id = &r->id };
	char c;

	r->read_res = aring_read(loop, r->fds[0], &c, 1, (uint64_t)-1, &o);
	return 0;
}

static int canceller(aring_loop *loop, void *arg)
{
	struct race *r = arg;

	/* the read is in its 1 ms issue latency, with a byte waiting for it */
	r->cancel_res = aring_cancel(loop, r->id, 0, NULL);
	return 0;
}

static int timed_reader(aring_loop *loop, void *arg)
{
	struct race *r = arg;
	struct aring_opt o = { .timeout_ns = MS / 2 };
	char c;

	r->timed_res = aring_read(loop, r->fds[0], &c, 1, (uint64_t)-1, &o);
	return 0;
}

static int race_main(aring_loop *loop, void *arg)
{
	struct race *r = arg;
	aring_task *a, *b;

	CU_ASSERT_EQUAL_FATAL(aring_pipe(loop, r->fds, 0, NULL), 0);
	CU_ASSERT_EQUAL(aring_write(loop, r->fds[1], "xy", 2, (uint64_t)-1, NULL), 2);
	aring_spawn(loop, reader, r, &a);
	aring_yield(loop); /* the read is queued and issued */
	aring_spawn(loop, canceller, r, &b);
	aring_join(loop, a, NULL);
	aring_join(loop, b, NULL);
	/* a linked timeout firing inside the latency: the same race */
	aring_spawn(loop, timed_reader, r, &a);
	aring_join(loop, a, NULL);
	aring_close(loop, r->fds[0], NULL);
	return aring_close(loop, r->fds[1], NULL);
}

static void test_cancel_race(void)
{
	struct aring_sim_stats st;
	struct race r;
	aring_loop *loop;

	/* without the fault: the cancel wins */
	memset(&r, 0, sizeof(r));
	loop = loop_with(0, 0, 0, 0);
	CU_ASSERT_EQUAL(th_run_on(loop, race_main, &r), 0);
	CU_ASSERT_EQUAL(r.cancel_res, 0);
	CU_ASSERT_EQUAL(r.read_res, -ECANCELED);
	CU_ASSERT_EQUAL(r.timed_res, -ETIME);
	aring_loop_free(loop);
	/* with it: -EALREADY, then the op's own result */
	memset(&r, 0, sizeof(r));
	loop = loop_with(0, 1000000, 0, 0);
	CU_ASSERT_EQUAL(th_run_on(loop, race_main, &r), 0);
	CU_ASSERT_EQUAL(r.cancel_res, -EALREADY);
	CU_ASSERT_EQUAL(r.read_res, 1);
	CU_ASSERT_EQUAL(r.timed_res, 1);
	CU_ASSERT_EQUAL(aring_sim_stats(loop, &st), 0);
	CU_ASSERT_EQUAL(st.cancel_races, 2);
	aring_loop_free(loop);
}

/* ---------------------------------------------------------------- SQ full, CQ pressure */

#define NW 400

struct writers {
	int fd;
	int bad;
};

static int writer(aring_loop *loop, void *arg)
{
	struct writers *w = arg;
	static unsigned next;
	unsigned k = next++ % NW;
	char c = (char)('a' + k % 26);

	if (aring_write(loop, w->fd, &c, 1, k, NULL) != 1)
		w->bad++;
	if (aring_sleep(loop, (k % 5) * 1000) != 0)
		w->bad++;
	return 0;
}

static int writers_main(aring_loop *loop, void *arg)
{
	struct writers *w = arg;
	char buf[NW];
	unsigned k;
	struct aring_group *g;

	w->fd = aring_openat(loop, AT_FDCWD, "/tmp/w", O_CREAT | O_RDWR, 0644, NULL);
	CU_ASSERT_FATAL(w->fd >= 0);
	CU_ASSERT_EQUAL_FATAL(aring_group_new(loop, &g), 0);
	for (k = 0; k < NW; k++)
		CU_ASSERT_EQUAL(aring_group_spawn(g, writer, w), 0);
	CU_ASSERT_EQUAL(aring_group_wait(loop, g, NULL), 0);
	aring_group_free(g);
	CU_ASSERT_EQUAL(aring_read(loop, w->fd, buf, NW, 0, NULL), NW);
	for (k = 0; k < NW; k++)
		w->bad += buf[k] != (char)('a' + k % 26);
	return aring_close(loop, w->fd, NULL);
}

static uint64_t run_writers(unsigned entries, uint32_t sq_full, uint32_t cq_pressure,
			    struct aring_sim_stats *st)
{
	struct writers w;
	aring_loop *loop = loop_with(entries, 0, sq_full, cq_pressure);
	uint64_t h;

	memset(&w, 0, sizeof(w));
	CU_ASSERT_EQUAL(th_run_on(loop, writers_main, &w), 0);
	CU_ASSERT_EQUAL(w.bad, 0);
	CU_ASSERT_EQUAL(aring_sim_stats(loop, st), 0);
	h = aring_sim_trace_hash(loop);
	aring_loop_free(loop);
	return h;
}

static void test_sq_full(void)
{
	struct aring_sim_stats st;
	uint64_t h = run_writers(8, 100000, 0, &st);

	CU_ASSERT(st.sq_full_injected > 0);
	CU_ASSERT_EQUAL(run_writers(8, 100000, 0, &st), h);
}

static void test_cq_pressure(void)
{
	struct aring_sim_stats st;
	uint64_t h, plain;

	/* a 512-entry CQ keeps up with this program... */
	run_writers(256, 0, 0, &st);
	plain = st.cq_overflows;
	CU_ASSERT_EQUAL(plain, 0);
	/* ...until it behaves as a few entries now and then */
	h = run_writers(256, 0, 500000, &st);
	CU_ASSERT(st.cq_pressure_injected > 0);
	CU_ASSERT(st.cq_overflows > 0);
	CU_ASSERT_EQUAL(run_writers(256, 0, 500000, &st), h);
	/* both at once, on a small ring */
	run_writers(8, 50000, 500000, &st);
	CU_ASSERT(st.sq_full_injected > 0 && st.cq_pressure_injected > 0);
}

static CU_TestInfo tests[] = {
	{ "cancel_race_ppm: -EALREADY, then the op's own result", test_cancel_race },
	{ "sq_full_ppm: submit -EAGAIN for a while, every write lands", test_sq_full },
	{ "cq_pressure_ppm: CQEs through the overflow list, in order", test_cq_pressure },
	CU_TEST_INFO_NULL,
};

int main(int argc, char **argv)
{
	return th_main(argc, argv, "sim ring faults", tests, TH_SIM);
}
