/* SPDX-License-Identifier: MIT */
/*
 * Reproducibility: the same seed and the same program give the same trace
 * hash (100 seeds, each run twice), different seeds give different runs,
 * and seed 0 takes ARING_SIM_SEED from the environment.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tests/helpers.h"

struct pp {
	int rd, wr;
	int rounds;
};

static int pinger(aring_loop *loop, void *arg)
{
	struct pp *p = arg;
	char c = 'x';
	int k;

	for (k = 0; k < p->rounds; k++) {
		if (aring_write(loop, p->wr, &c, 1, (uint64_t)-1, NULL) != 1)
			return -1;
		aring_sleep(loop, 1000u * (unsigned)(k % 3));
	}
	return aring_close(loop, p->wr, NULL);
}

static int sleeper(aring_loop *loop, void *arg)
{
	return aring_sleep(loop, (uint64_t)(uintptr_t)arg * 1000u);
}

static int netter(aring_loop *loop, void *arg)
{
	int c, s, k;
	char buf[64];

	(void)arg;
	if (th_tcp_pair(loop, &c, &s) < 0)
		return -1;
	for (k = 0; k < 5; k++) {
		aring_send(loop, c, "hello world", 11, 0, NULL);
		aring_recv(loop, s, buf, sizeof(buf), 0, NULL);
	}
	aring_close(loop, c, NULL);
	aring_close(loop, s, NULL);
	return 0;
}

static int workload(aring_loop *loop, void *arg)
{
	int fds[2], k, fd;
	struct pp p;
	char buf[4];

	(void)arg;
	if (aring_pipe(loop, fds, 0, NULL) < 0)
		return -1;
	p.rd = fds[0];
	p.wr = fds[1];
	p.rounds = 10;
	aring_spawn(loop, pinger, &p, NULL);
	for (k = 1; k <= 8; k++)
		aring_spawn(loop, sleeper, (void *)(uintptr_t)(k * 7 % 5), NULL);
	aring_spawn(loop, netter, NULL, NULL);
	fd = aring_openat(loop, AT_FDCWD, "/tmp/d", O_CREAT | O_RDWR, 0644, NULL);
	for (k = 0; k < 10; k++) {
		aring_write(loop, fd, "abcd", 4, (uint64_t)k * 4, NULL);
		aring_nop(loop, NULL);
	}
	while (aring_read(loop, p.rd, buf, 1, (uint64_t)-1, NULL) > 0)
		;
	return aring_close(loop, fd, NULL);
}

static uint64_t run_seed(uint64_t seed)
{
	struct aring_sim_opts so = { .seed = seed, .latency_min_ns = 100, .latency_max_ns = 50000 };
	struct aring_loop_opts o = { .backend = ARING_BACKEND_SIM, .sim = &so };
	aring_loop *loop;
	uint64_t h;

	CU_ASSERT_FATAL(aring_loop_new(&loop, &o) == 0);
	CU_ASSERT_EQUAL(aring_sim_seed(loop), seed);
	aring_spawn(loop, workload, NULL, NULL);
	CU_ASSERT_EQUAL(aring_run(loop), 0);
	h = aring_sim_trace_hash(loop);
	aring_loop_free(loop);
	return h;
}

static void test_same_seed_same_hash(void)
{
	uint64_t seed, hashes[100];
	unsigned distinct = 0, k, j;

	for (seed = 1; seed <= 100; seed++) {
		uint64_t a = run_seed(seed), b = run_seed(seed);

		if (a != b)
			printf("hash differs for ARING_SIM_SEED=%" PRIu64 "\n", seed);
		CU_ASSERT_EQUAL(a, b);
		CU_ASSERT_NOT_EQUAL(a, 0);
		hashes[seed - 1] = a;
	}
	for (k = 0; k < 100; k++) {
		for (j = 0; j < k && hashes[j] != hashes[k]; j++)
			;
		distinct += j == k;
	}
	CU_ASSERT(distinct >= 95); /* seeds change latencies and order */
}

static void test_seed_from_env(void)
{
	struct aring_loop_opts o = { .backend = ARING_BACKEND_SIM };
	aring_loop *loop;
	const char *old = getenv("ARING_SIM_SEED");
	char saved[64] = "";

	if (old)
		snprintf(saved, sizeof(saved), "%s", old);
	setenv("ARING_SIM_SEED", "777", 1);
	CU_ASSERT_FATAL(aring_loop_new(&loop, &o) == 0);
	CU_ASSERT_EQUAL(aring_sim_seed(loop), 777);
	aring_loop_free(loop);
	unsetenv("ARING_SIM_SEED");
	CU_ASSERT_FATAL(aring_loop_new(&loop, &o) == 0);
	CU_ASSERT_EQUAL(aring_sim_seed(loop), 1);
	aring_loop_free(loop);
	if (old)
		setenv("ARING_SIM_SEED", saved, 1);
	/* Not a sim loop: 0. */
	o.backend = ARING_BACKEND_URING;
	if (aring_loop_new(&loop, &o) == 0) {
		CU_ASSERT_EQUAL(aring_sim_seed(loop), 0);
		CU_ASSERT_EQUAL(aring_sim_trace_hash(loop), 0);
		aring_loop_free(loop);
	}
}

static CU_TestInfo tests[] = {
	{ "same seed, same hash (100 seeds)", test_same_seed_same_hash },
	{ "seed 0 takes ARING_SIM_SEED", test_seed_from_env },
	CU_TEST_INFO_NULL,
};

int main(int argc, char **argv)
{
	return th_main(argc, argv, "sim determinism", tests, TH_SIM);
}
