/* SPDX-License-Identifier: MIT */
/*
 * aring_offload and aring_getaddrinfo: results, cancel and timeout before
 * and after the function started, 1,000 at once on a pool of 4. On uring
 * the work runs on worker threads; on the sim on the loop's thread after a
 * NOP's virtual latency (the sim cases set a latency, so cancel and timeout
 * find the work not started).
 */
#include <arpa/inet.h>
#include <netdb.h>
#include <pthread.h>
#include <semaphore.h>
#include <string.h>
#include <unistd.h>

#include "tests/helpers.h"
#include <aring/sim.h>

#define MS (1000ull * 1000ull)


/* ---------------------------------------------------------------- results */

struct sum {
	int a, b;
	char out[32];
};

static int add(void *arg)
{
	struct sum *s = arg;

	snprintf(s->out, sizeof(s->out), "%d", s->a + s->b);
	return s->a + s->b;
}

static int result_task(aring_loop *loop, void *arg)
{
	struct sum s = { 40, 2, "" };
	int ret;

	(void)arg;
	ret = aring_offload(loop, add, &s, NULL);
	if (ret != 42 || strcmp(s.out, "42") != 0)
		return -1;
	if (aring_offload(loop, NULL, &s, NULL) != -EINVAL)
		return -2;
	return 0;
}

static void test_offload_result(void)
{
	CU_ASSERT_EQUAL(th_run(result_task, NULL, 0), 0);
	CU_ASSERT_EQUAL(aring_offload(NULL, add, NULL, NULL), -EINVAL);
}

static void test_offload_outside_task(void)
{
	aring_loop *loop = th_loop_new(0);
	struct sum s = { 1, 2, "" };

	CU_ASSERT_EQUAL(aring_offload(loop, add, &s, NULL), -EPERM);
	aring_loop_free(loop);
}

static void test_offload_bad_opts(void)
{
	struct aring_loop_opts o = { .backend = th_cfg->backend,
				     .offload_threads = ARING_MAX_OFFLOAD_THREADS + 1 };
	aring_loop *loop;

	CU_ASSERT_EQUAL(aring_loop_new(&loop, &o), -EINVAL);
}

/* ---------------------------------------------------------------- cancel, timeout */

struct blocker {
	sem_t started, go;
	int ran_slow, ran_queued;
	int slow_res, queued_res, timed_res;
	aring_task *slow, *queued;
};

static int slow_fn(void *arg)
{
	struct blocker *b = arg;

	sem_post(&b->started);
	sem_wait(&b->go);
	b->ran_slow++;
	return 7;
}

static int queued_fn(void *arg)
{
	((struct blocker *)arg)->ran_queued++;
	return 8;
}

static int slow_task(aring_loop *loop, void *arg)
{
	struct blocker *b = arg;

	b->slow_res = aring_offload(loop, slow_fn, b, NULL);
	return 0;
}

static int queued_task(aring_loop *loop, void *arg)
{
	struct blocker *b = arg;

	b->queued_res = aring_offload(loop, queued_fn, b, NULL);
	return 0;
}

/*
 * uring, a pool of 1: the slow item runs, the second waits in the queue.
 * Cancelling the queued one ends it at once (-ECANCELED, never run); a
 * timeout on a third queued one gives -ETIME (never run); cancelling the
 * running one leaves it running: it returns its own result once released.
 */
static int cancel_main(aring_loop *loop, void *arg)
{
	struct blocker *b = arg;
	struct aring_opt t = { .timeout_ns = 1 * MS };

	if (aring_spawn(loop, slow_task, b, &b->slow) || aring_spawn(loop, queued_task, b, &b->queued))
		return -1;
	aring_yield(loop);      /* both submitted */
	sem_wait(&b->started);  /* the worker runs slow_fn (blocks this thread only briefly) */
	b->timed_res = aring_offload(loop, queued_fn, b, &t);
	if (aring_task_cancel(loop, b->queued) != 0 || aring_join(loop, b->queued, NULL) != 0)
		return -2;
	if (aring_task_cancel(loop, b->slow) != 0)
		return -3;
	aring_sleep(loop, 2 * MS);
	if (b->slow_res != 0 || b->ran_slow != 0)
		return -4;      /* still waiting for the running function */
	sem_post(&b->go);
	if (aring_join(loop, b->slow, NULL) != 0)
		return -5;
	return 0;
}

static void test_offload_cancel_uring(void)
{
	struct aring_loop_opts o = { .offload_threads = 1 };
	struct blocker b;
	aring_loop *loop;

	if (th_is_sim())
		return;  /* worker threads: uring only (the sim case is below) */
	memset(&b, 0, sizeof(b));
	sem_init(&b.started, 0, 0);
	sem_init(&b.go, 0, 0);
	CU_ASSERT_FATAL(aring_loop_new(&loop, &o) == 0);
	CU_ASSERT_EQUAL(th_run_on(loop, cancel_main, &b), 0);
	CU_ASSERT_EQUAL(b.timed_res, -ETIME);
	CU_ASSERT_EQUAL(b.queued_res, -ECANCELED);
	CU_ASSERT_EQUAL(b.ran_queued, 0);
	CU_ASSERT_EQUAL(b.slow_res, 7);
	CU_ASSERT_EQUAL(b.ran_slow, 1);
	aring_loop_free(loop);
	sem_destroy(&b.started);
	sem_destroy(&b.go);
}

/*
 * A timeout that fires while the work runs: the call waits and gives its
 * result. The releaser blocks the loop's thread until the worker started
 * fn, so the loop sees the 1 ms timeout fire (during the 20 ms sleep: two
 * kernel timers, in order) only once fn runs; then it lets fn return.
 */
static int timed_task(aring_loop *loop, void *arg)
{
	struct blocker *b = arg;
	struct aring_opt t = { .timeout_ns = 1 * MS };

	b->slow_res = aring_offload(loop, slow_fn, b, &t);
	return 0;
}

static int timeout_running_main(aring_loop *loop, void *arg)
{
	struct blocker *b = arg;

	if (aring_spawn(loop, timed_task, b, &b->slow))
		return -1;
	aring_yield(loop);      /* it queued the work and armed its timeout */
	sem_wait(&b->started);  /* fn runs */
	aring_sleep(loop, 20 * MS);
	if (b->ran_slow != 0)
		return -2;
	sem_post(&b->go);
	return aring_join(loop, b->slow, NULL);
}

static void test_offload_timeout_running(void)
{
	struct blocker b;

	if (th_is_sim())
		return;  /* worker threads: uring only */
	memset(&b, 0, sizeof(b));
	sem_init(&b.started, 0, 0);
	sem_init(&b.go, 0, 0);
	CU_ASSERT_EQUAL(th_run(timeout_running_main, &b, 0), 0);
	CU_ASSERT_EQUAL(b.slow_res, 7);
	CU_ASSERT_EQUAL(b.ran_slow, 1);
	sem_destroy(&b.started);
	sem_destroy(&b.go);
}

/* The sim: the latency (at least 1 us virtual) is not over when a 1 ns
 * timeout fires (exactly then) or a cancel comes: fn never runs. Without
 * either it runs, after a latency of 1 us to 1 ms. */
static int sim_cancel_main(aring_loop *loop, void *arg)
{
	struct blocker *b = arg;
	struct aring_opt t = { .timeout_ns = 1 };
	uint64_t t0 = aring_now_ns(loop), dt;
	int ret;

	b->timed_res = aring_offload(loop, queued_fn, b, &t);
	if (aring_now_ns(loop) - t0 != 1)
		return -1;
	if (aring_spawn(loop, queued_task, b, &b->queued))
		return -2;
	aring_yield(loop);
	if (aring_task_cancel(loop, b->queued) != 0 || aring_join(loop, b->queued, NULL) != 0)
		return -3;
	t0 = aring_now_ns(loop);
	ret = aring_offload(loop, queued_fn, b, NULL);
	dt = aring_now_ns(loop) - t0;
	return dt >= 1000 && dt <= 1000 * 1000 ? ret : -4;
}

static void test_offload_cancel_sim(void)
{
	struct blocker b;
	aring_loop *loop;

	if (!th_is_sim())
		return;
	memset(&b, 0, sizeof(b));
	loop = th_loop_new(0);
	CU_ASSERT_EQUAL(th_run_on(loop, sim_cancel_main, &b), 8);
	CU_ASSERT_EQUAL(b.timed_res, -ETIME);
	CU_ASSERT_EQUAL(b.queued_res, -ECANCELED);
	CU_ASSERT_EQUAL(b.ran_queued, 1);  /* only the last one */
	aring_loop_free(loop);
}

/* ---------------------------------------------------------------- many */

#define MANY 1000
#define POOL 4

struct many {
	int running, max_running;   /* atomics */
	int done, bad;
};

struct one {
	struct many *m;
	int i;
};

static int busy_fn(void *arg)
{
	struct one *o = arg;
	int now = __atomic_add_fetch(&o->m->running, 1, __ATOMIC_ACQ_REL);
	int max = __atomic_load_n(&o->m->max_running, __ATOMIC_ACQUIRE);

	while (now > max &&
	       !__atomic_compare_exchange_n(&o->m->max_running, &max, now, false,
					    __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE))
		;
	if (!th_is_sim())
		usleep(50);
	__atomic_sub_fetch(&o->m->running, 1, __ATOMIC_ACQ_REL);
	return o->i * 3;
}

static int many_task(aring_loop *loop, void *arg)
{
	struct one *o = arg;

	if (aring_offload(loop, busy_fn, o, NULL) != o->i * 3)
		o->m->bad++;
	o->m->done++;
	return 0;
}

static void test_offload_many(void)
{
	struct aring_loop_opts opts = { .backend = th_cfg->backend, .offload_threads = POOL };
	struct aring_sim_opts sim = { .seed = th_cfg->seed };
	static struct one ones[MANY];
	struct many m = { 0 };
	aring_loop *loop;
	int i;

	opts.sim = &sim;
	CU_ASSERT_FATAL(aring_loop_new(&loop, &opts) == 0);
	for (i = 0; i < MANY; i++) {
		ones[i] = (struct one){ &m, i };
		CU_ASSERT_FATAL(aring_spawn(loop, many_task, &ones[i], NULL) == 0);
	}
	CU_ASSERT_EQUAL(aring_run(loop), 0);
	CU_ASSERT_EQUAL(m.done, MANY);
	CU_ASSERT_EQUAL(m.bad, 0);
	CU_ASSERT(m.max_running >= 1 && m.max_running <= (th_is_sim() ? 1 : POOL));
	aring_loop_free(loop);
}

/* ---------------------------------------------------------------- getaddrinfo */

struct gai_case {
	int localhost, numeric, bad, numeric_bad, nores;
	char addr[INET6_ADDRSTRLEN], addr6[INET6_ADDRSTRLEN], num[INET6_ADDRSTRLEN];
};

static void first_addr(const struct addrinfo *ai, char *buf)
{
	const void *a = ai->ai_family == AF_INET
				? (const void *)&((const struct sockaddr_in *)ai->ai_addr)->sin_addr
				: (const void *)&((const struct sockaddr_in6 *)ai->ai_addr)->sin6_addr;

	inet_ntop(ai->ai_family, a, buf, INET6_ADDRSTRLEN);
}

static int gai_main(aring_loop *loop, void *arg)
{
	struct gai_case *g = arg;
	struct addrinfo hints = { .ai_family = AF_INET, .ai_socktype = SOCK_STREAM };
	struct addrinfo *res = (struct addrinfo *)1;

	g->localhost = aring_getaddrinfo(loop, "localhost", "80", &hints, &res, NULL);
	if (g->localhost == 0) {
		first_addr(res, g->addr);
		freeaddrinfo(res);
	}
	hints.ai_family = AF_INET6;
	if (aring_getaddrinfo(loop, "::1", "http", &hints, &res, NULL) == 0) {
		first_addr(res, g->addr6);
		freeaddrinfo(res);
	}
	hints.ai_family = AF_INET;
	g->numeric = aring_getaddrinfo(loop, "10.1.2.3", NULL, &hints, &res, NULL);
	if (g->numeric == 0) {
		first_addr(res, g->num);
		freeaddrinfo(res);
	}
	hints.ai_flags = AI_NUMERICHOST;
	g->numeric_bad = aring_getaddrinfo(loop, "not-a-number", NULL, &hints, &res, NULL);
	if (res)
		g->numeric_bad = -999;  /* *res must be NULL on failure */
	hints.ai_flags = 0;
	g->bad = aring_getaddrinfo(loop, "no-such-host.invalid", NULL, &hints, &res, NULL);
	g->nores = aring_getaddrinfo(loop, "localhost", NULL, NULL, NULL, NULL);
	return 0;
}

static void test_getaddrinfo(void)
{
	struct gai_case g;

	memset(&g, 0, sizeof(g));
	CU_ASSERT_EQUAL(th_run(gai_main, &g, 0), 0);
	CU_ASSERT_EQUAL(g.localhost, 0);
	CU_ASSERT_STRING_EQUAL(g.addr, "127.0.0.1");
	CU_ASSERT_STRING_EQUAL(g.addr6, "::1");
	CU_ASSERT_EQUAL(g.numeric, 0);
	CU_ASSERT_STRING_EQUAL(g.num, "10.1.2.3");
	CU_ASSERT_EQUAL(g.numeric_bad, -ENOENT);
	/* A name that does not exist: EAI_NONAME on the sim and where DNS
	 * answers; a machine without a resolver says EAI_AGAIN. */
	if (th_is_sim())
		CU_ASSERT_EQUAL(g.bad, -ENOENT)
	else
		CU_ASSERT(g.bad == -ENOENT || g.bad == -EAGAIN || g.bad == -ENODATA);
	CU_ASSERT_EQUAL(g.nores, -EINVAL);
}

/* The sim: a node's name resolves to its address (aring_sim_node_addr);
 * a name no node has is -ENOENT. */
struct world_gai {
	aring_loop *db;
	int ret, bad;
	struct sockaddr_in got, want;
};

static int world_gai_main(aring_loop *loop, void *arg)
{
	struct world_gai *w = arg;
	struct addrinfo hints = { .ai_family = AF_INET, .ai_socktype = SOCK_STREAM };
	struct addrinfo *res = NULL;
	socklen_t len = sizeof(w->want);

	if (aring_sim_node_addr(w->db, (struct sockaddr *)&w->want, &len) < 0)
		return -1;
	w->ret = aring_getaddrinfo(loop, "db", "5432", &hints, &res, NULL);
	if (w->ret == 0) {
		memcpy(&w->got, res->ai_addr, sizeof(w->got));
		freeaddrinfo(res);
	}
	w->bad = aring_getaddrinfo(loop, "nosuchnode", NULL, &hints, &res, NULL);
	return 0;
}

static void test_getaddrinfo_sim_nodes(void)
{
	struct aring_sim_opts so = { .seed = th_cfg->seed };
	struct aring_loop_opts lo = { .backend = ARING_BACKEND_SIM };
	struct world_gai w = { 0 };
	aring_sim_world *world;
	aring_loop *app;

	if (!th_is_sim())
		return;
	CU_ASSERT_FATAL(aring_sim_world_new(&world, &so) == 0);
	CU_ASSERT_FATAL(aring_sim_node_new(world, "db", &lo, &w.db) == 0);
	CU_ASSERT_FATAL(aring_sim_node_new(world, "app", &lo, &app) == 0);
	CU_ASSERT_FATAL(aring_spawn(app, world_gai_main, &w, NULL) == 0);
	CU_ASSERT_EQUAL(aring_sim_world_run(world), 0);
	CU_ASSERT_EQUAL(w.ret, 0);
	CU_ASSERT_EQUAL(w.got.sin_family, AF_INET);
	CU_ASSERT_EQUAL(w.got.sin_addr.s_addr, w.want.sin_addr.s_addr);
	CU_ASSERT_EQUAL(ntohs(w.got.sin_port), 5432);
	CU_ASSERT_EQUAL(w.bad, -ENOENT);
	aring_sim_world_free(world);
}

static CU_TestInfo tests[] = {
	{ "offload returns fn's result", test_offload_result },
	{ "offload outside a task: -EPERM", test_offload_outside_task },
	{ "offload_threads over the bound: -EINVAL", test_offload_bad_opts },
	{ "uring: cancel and timeout of queued work, cancel of running work",
	  test_offload_cancel_uring },
	{ "uring: a timeout on running work waits for its result", test_offload_timeout_running },
	{ "sim: timeout and cancel before the latency passed", test_offload_cancel_sim },
	{ "1,000 offloads at once on a pool of 4", test_offload_many },
	{ "getaddrinfo: localhost, numeric, bad names", test_getaddrinfo },
	{ "sim: getaddrinfo of a node's name", test_getaddrinfo_sim_nodes },
	CU_TEST_INFO_NULL,
};

int main(int argc, char **argv)
{
	/* Not on epoll: aring_loop_post and aring_offload travel by IORING_OP_MSG_RING
	   and answer -EOPNOTSUPP on a loop without a kernel ring (include/aring.h). */
	return th_main(argc, argv, "offload", tests, TH_URING | TH_SIM);
}
