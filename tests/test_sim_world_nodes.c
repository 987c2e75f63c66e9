/* SPDX-License-Identifier: MIT */
/*
 * Worlds of nodes: one virtual clock for every node, names and addresses,
 * a file system per node, the world's end (0, -EDEADLK, -ETIMEDOUT), the
 * time limit on a lone loop, and one trace hash for the whole world.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>

#include "tests/helpers.h"

#define SEC 1000000000ull
#define MS 1000000ull

#define world_new th_world_new
#define node_new th_node_new

/* ---------------------------------------------------------------- one clock */

static uint64_t woke[3];

static int sleeper(aring_loop *loop, void *arg)
{
	uintptr_t i = (uintptr_t)arg;

	CU_ASSERT_EQUAL(aring_now_ns(loop), ARING_SIM_START_NS);
	CU_ASSERT_EQUAL(aring_sleep(loop, (i + 1) * SEC), 0);
	woke[i] = aring_now_ns(loop);
	return 0;
}

static void test_one_clock(void)
{
	aring_sim_world *w = world_new(NULL);
	aring_loop *n[3];
	uintptr_t i;

	n[0] = node_new(w, "a");
	n[1] = node_new(w, "b");
	n[2] = node_new(w, "c");
	/* Spawned in reverse: each wakes at its own time on the one clock. */
	for (i = 3; i-- > 0;)
		CU_ASSERT_EQUAL(aring_spawn(n[i], sleeper, (void *)i, NULL), 0);
	CU_ASSERT_EQUAL(aring_sim_world_run(w), 0);
	for (i = 0; i < 3; i++) {
		CU_ASSERT_EQUAL(woke[i], ARING_SIM_START_NS + (i + 1) * SEC);
		CU_ASSERT_EQUAL(aring_now_ns(n[i]), ARING_SIM_START_NS + 3 * SEC);
	}
	CU_ASSERT_EQUAL(aring_sim_world_now_ns(w), ARING_SIM_START_NS + 3 * SEC);
	CU_ASSERT_PTR_EQUAL(aring_sim_world_of(n[1]), w);
	aring_sim_world_free(w);
}

/* ---------------------------------------------------------------- names */

static void test_names(void)
{
	aring_sim_world *w = world_new(NULL);
	aring_loop *a = node_new(w, "alpha"), *b = node_new(w, "beta"), *x = NULL;
	struct sockaddr_in in;
	socklen_t len = sizeof(in);
	char big[80];

	CU_ASSERT_EQUAL(aring_sim_node_new(w, "alpha", NULL, &x), -EEXIST);
	CU_ASSERT_EQUAL(aring_sim_node_new(w, "", NULL, &x), -EINVAL);
	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = 0;
	CU_ASSERT_EQUAL(aring_sim_node_new(w, big, NULL, &x), -EINVAL);
	CU_ASSERT_EQUAL(aring_sim_node_new(NULL, "z", NULL, &x), -EINVAL);

	CU_ASSERT_EQUAL(aring_sim_node_addr(b, (struct sockaddr *)&in, &len), 0);
	CU_ASSERT_EQUAL(len, sizeof(in));
	CU_ASSERT_EQUAL(in.sin_family, AF_INET);
	CU_ASSERT_EQUAL(ntohl(in.sin_addr.s_addr), 0x0a000002u); /* 10.0.0.2 */
	memset(&in, 0, sizeof(in));
	CU_ASSERT_EQUAL(aring_sim_resolve(b, "alpha", (struct sockaddr *)&in, &len), 0);
	CU_ASSERT_EQUAL(ntohl(in.sin_addr.s_addr), 0x0a000001u);
	CU_ASSERT_EQUAL(aring_sim_resolve(a, "localhost", (struct sockaddr *)&in, &len), 0);
	CU_ASSERT_EQUAL(ntohl(in.sin_addr.s_addr), INADDR_LOOPBACK);
	CU_ASSERT_EQUAL(aring_sim_resolve(a, "gamma", (struct sockaddr *)&in, &len), -ENOENT);
	CU_ASSERT_EQUAL(aring_sim_resolve(a, NULL, (struct sockaddr *)&in, &len), -EINVAL);
	CU_ASSERT_EQUAL(aring_sim_node_addr(NULL, (struct sockaddr *)&in, &len), -EINVAL);
	CU_ASSERT_EQUAL(aring_sim_partition(a, a, 0), -EINVAL);
	CU_ASSERT_EQUAL(aring_sim_partition(a, b, 4), -EINVAL);
	CU_ASSERT_EQUAL(aring_sim_heal(a, NULL), -EINVAL);
	aring_sim_world_free(w);
}

/* ---------------------------------------------------------------- disks */

static int make_file(aring_loop *loop, void *arg)
{
	int fd = aring_openat(loop, AT_FDCWD, "/tmp/mine", O_CREAT | O_WRONLY, 0644, NULL);

	(void)arg;
	CU_ASSERT(fd >= 0);
	CU_ASSERT_EQUAL(aring_write(loop, fd, "abc", 3, 0, NULL), 3);
	CU_ASSERT_EQUAL(aring_close(loop, fd, NULL), 0);
	return 0;
}

static int look_file(aring_loop *loop, void *arg)
{
	(void)arg;
	aring_sleep(loop, SEC); /* after the other node made its file */
	CU_ASSERT_EQUAL(aring_openat(loop, AT_FDCWD, "/tmp/mine", O_RDONLY, 0, NULL), -ENOENT);
	return 0;
}

static void test_own_disk(void)
{
	aring_sim_world *w = world_new(NULL);
	aring_loop *a = node_new(w, "a"), *b = node_new(w, "b");

	aring_spawn(a, make_file, NULL, NULL);
	aring_spawn(b, look_file, NULL, NULL);
	CU_ASSERT_EQUAL(aring_sim_world_run(w), 0);
	aring_sim_world_free(w);
}

/* ---------------------------------------------------------------- endings */

static int stuck(aring_loop *loop, void *arg)
{
	int fds[2];
	char c;

	(void)arg;
	if (aring_pipe(loop, fds, 0, NULL) < 0)
		return -1;
	return aring_read(loop, fds[0], &c, 1, (uint64_t)-1, NULL);
}

static int nap(aring_loop *loop, void *arg)
{
	(void)arg;
	return aring_sleep(loop, 10 * SEC);
}

static void test_deadlock(void)
{
	aring_sim_world *w = world_new(NULL);
	aring_loop *a = node_new(w, "a"), *b = node_new(w, "b");

	aring_spawn(a, stuck, NULL, NULL);
	aring_spawn(b, nap, NULL, NULL);
	/* b's sleep ends, then nothing can ever happen again */
	CU_ASSERT_EQUAL(aring_sim_world_run(w), -EDEADLK);
	CU_ASSERT_EQUAL(aring_sim_world_now_ns(w), ARING_SIM_START_NS + 10 * SEC);
	aring_sim_world_free(w);
}

static void test_time_limit(void)
{
	struct aring_sim_opts o;
	aring_sim_world *w;
	aring_loop *a;

	memset(&o, 0, sizeof(o));
	o.time_limit_ns = 4 * SEC;
	w = world_new(&o);
	a = node_new(w, "a");
	aring_spawn(a, nap, NULL, NULL);
	CU_ASSERT_EQUAL(aring_sim_world_run(w), -ETIMEDOUT);
	CU_ASSERT_EQUAL(aring_now_ns(a), ARING_SIM_START_NS + 4 * SEC);
	/* a second run ends at once: the limit holds */
	CU_ASSERT_EQUAL(aring_sim_world_run(w), -ETIMEDOUT);
	aring_sim_world_free(w);
}

static void test_time_limit_lone_loop(void)
{
	struct aring_sim_opts o;
	aring_loop *loop;

	memset(&o, 0, sizeof(o));
	o.seed = th_cfg->seed;
	o.time_limit_ns = 3 * SEC;
	loop = th_loop_new_sim(0, &o);
	aring_spawn(loop, nap, NULL, NULL);
	CU_ASSERT_EQUAL(aring_run(loop), -ETIMEDOUT);
	CU_ASSERT_EQUAL(aring_now_ns(loop), ARING_SIM_START_NS + 3 * SEC);
	aring_loop_free(loop);
	/* still -EDEADLK when nothing can happen, limit or not */
	loop = th_loop_new_sim(0, &o);
	aring_spawn(loop, stuck, NULL, NULL);
	CU_ASSERT_EQUAL(aring_run(loop), -EDEADLK);
	aring_loop_free(loop);
}

/* ---------------------------------------------------------------- determinism */

static int chatter(aring_loop *loop, void *arg)
{
	int fd = aring_openat(loop, AT_FDCWD, "/tmp/log", O_CREAT | O_RDWR | O_APPEND, 0644, NULL);
	unsigned i, n = (unsigned)(uintptr_t)arg;

	if (fd < 0)
		return fd;
	for (i = 0; i < n; i++) {
		CU_ASSERT_EQUAL(aring_write(loop, fd, "x", 1, 0, NULL), 1);
		aring_sleep(loop, (i % 3 + 1) * MS);
	}
	return aring_close(loop, fd, NULL);
}

static uint64_t world_hash(uint64_t seed)
{
	struct aring_sim_opts o;
	aring_sim_world *w = NULL;
	aring_loop *n[3];
	uint64_t h;
	unsigned i;

	memset(&o, 0, sizeof(o));
	o.seed = seed;
	o.latency_min_ns = 1000;
	o.latency_max_ns = 500000;
	CU_ASSERT_FATAL(aring_sim_world_new(&w, &o) == 0);
	n[0] = node_new(w, "a");
	n[1] = node_new(w, "b");
	n[2] = node_new(w, "c");
	for (i = 0; i < 3; i++)
		aring_spawn(n[i], chatter, (void *)(uintptr_t)(20 + i), NULL);
	CU_ASSERT_EQUAL(aring_sim_world_run(w), 0);
	h = aring_sim_world_trace_hash(w);
	CU_ASSERT_EQUAL(aring_sim_trace_hash(n[1]), h);
	aring_sim_world_free(w);
	return h;
}

static void test_same_seed_same_world(void)
{
	uint64_t h = world_hash(th_cfg->seed);

	CU_ASSERT_NOT_EQUAL(h, 0);
	CU_ASSERT_EQUAL(world_hash(th_cfg->seed), h);
	CU_ASSERT_NOT_EQUAL(world_hash(th_cfg->seed + 1), h);
}

/* ---------------------------------------------------------------- across nodes */

/*
 * Waits ended from another node's task: a channel, a task cancel, a signal.
 * The node whose task is woken is parked (its aring_run returned); the
 * world runs it again at once, at the same virtual time.
 */
struct across {
	aring_loop *a, *b;
	aring_chan *ch;
	aring_task *sleeper;
	int got, sleep_res, sig;
	uint64_t t_got, t_cancel, t_sig;
};

static int b_recv(aring_loop *loop, void *arg)
{
	struct across *x = arg;
	sigset_t set;

	CU_ASSERT_EQUAL(aring_chan_recv(loop, x->ch, &x->got, NULL), 0);
	x->t_got = aring_now_ns(loop);
	sigemptyset(&set);
	sigaddset(&set, SIGUSR1);
	x->sig = aring_signal_wait(loop, &set, NULL);
	x->t_sig = aring_now_ns(loop);
	return 0;
}

static int b_sleep(aring_loop *loop, void *arg)
{
	struct across *x = arg;

	x->sleep_res = aring_sleep(loop, 1000 * SEC);
	x->t_cancel = aring_now_ns(loop);
	return 0;
}

static int a_drive(aring_loop *loop, void *arg)
{
	struct across *x = arg;
	int v = 42;

	aring_sleep(loop, SEC);
	CU_ASSERT_EQUAL(aring_chan_send(loop, x->ch, &v, NULL), 0);
	aring_sleep(loop, SEC);
	CU_ASSERT_EQUAL(aring_task_cancel(x->b, x->sleeper), 0);
	aring_sleep(loop, SEC);
	CU_ASSERT_EQUAL(aring_sim_signal(x->b, SIGUSR1), 0);
	return 0;
}

static void test_across_nodes(void)
{
	aring_sim_world *w = world_new(NULL);
	struct across x;

	memset(&x, 0, sizeof(x));
	x.a = node_new(w, "a");
	x.b = node_new(w, "b");
	CU_ASSERT_FATAL(aring_chan_new(x.b, sizeof(int), 0, &x.ch) == 0);
	aring_spawn(x.b, b_recv, &x, NULL);
	aring_spawn(x.b, b_sleep, &x, &x.sleeper);
	aring_spawn(x.a, a_drive, &x, NULL);
	CU_ASSERT_EQUAL(aring_sim_world_run(w), 0);
	CU_ASSERT_EQUAL(x.got, 42);
	CU_ASSERT_EQUAL(x.t_got, ARING_SIM_START_NS + SEC);
	CU_ASSERT_EQUAL(x.sleep_res, -ECANCELED);
	CU_ASSERT_EQUAL(x.t_cancel, ARING_SIM_START_NS + 2 * SEC);
	CU_ASSERT_EQUAL(x.sig, SIGUSR1);
	CU_ASSERT_EQUAL(x.t_sig, ARING_SIM_START_NS + 3 * SEC);
	CU_ASSERT_EQUAL(aring_join(x.b, x.sleeper, NULL), 0);
	aring_chan_free(x.ch);
	aring_sim_world_free(w);
}

static CU_TestInfo tests[] = {
	{ "three nodes on one clock", test_one_clock },
	{ "names, addresses, bad arguments", test_names },
	{ "each node its own file system", test_own_disk },
	{ "a world where nothing can happen: -EDEADLK", test_deadlock },
	{ "time_limit_ns: -ETIMEDOUT at the limit", test_time_limit },
	{ "time_limit_ns on a lone sim loop", test_time_limit_lone_loop },
	{ "same seed, same world trace hash", test_same_seed_same_world },
	{ "a channel, a task cancel, a signal from another node", test_across_nodes },
	CU_TEST_INFO_NULL,
};

int main(int argc, char **argv)
{
	return th_main(argc, argv, "sim world nodes", tests, TH_SIM);
}
