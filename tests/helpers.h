/* SPDX-License-Identifier: MIT */
/*
 * Test helpers (like liburing's test/helpers.h). Every test file is one
 * CUnit program; th_main() runs its tests once per configuration: the uring
 * backend, and the sim backend under several seeds (FOR_ALL_TEST_CONFIGS in
 * liburing). ARING_SIM_SEED=<n> runs the sim configurations with seed n only;
 * a test that fails on the sim prints the seed that replays it.
 */
#ifndef ARING_TESTS_HELPERS_H
#define ARING_TESTS_HELPERS_H

#include <CUnit/Basic.h>
#include <aring.h>
#include <aring/sim.h>
#include <stdbool.h>
#include <stdint.h>

/* Which backends a file's tests run on. */
enum {
	TH_URING = 1u << 0,
	TH_SIM = 1u << 1,
	TH_BOTH = TH_URING | TH_SIM,
};

struct th_config {
	enum aring_backend backend;
	uint64_t seed;          /* sim only */
	char name[64];
};

/* The configuration the running test is in. */
extern const struct th_config *th_cfg;

/* A loop for the current configuration (entries 0 = default); fails the test on error. */
aring_loop *th_loop_new(unsigned entries);
/* Same, with sim fault settings (ignored on uring). */
aring_loop *th_loop_new_sim(unsigned entries, const struct aring_sim_opts *sim);

/* New loop, run fn(loop, arg) as a task, aring_run, free; returns fn's result. */
int th_run(aring_fn fn, void *arg, unsigned entries);
/* Same on a loop the caller made (not freed). */
int th_run_on(aring_loop *loop, aring_fn fn, void *arg);

static inline bool th_is_sim(void)
{
	return th_cfg && th_cfg->backend == ARING_BACKEND_SIM;
}

/* A socket address 127.0.0.1:port (port 0 = ephemeral). */
struct sockaddr_in th_addr(uint16_t port);

/*
 * Listening TCP socket on 127.0.0.1, ephemeral port, made through the ring
 * (works on both backends); port in *port. Call from a task.
 */
int th_listen(aring_loop *loop, uint16_t *port);
/* A connected pair through the ring (client, server side). Call from a task. */
int th_tcp_pair(aring_loop *loop, int *client, int *server);

/*
 * Run the tests of one file over the configurations in `backends`.
 * Exit status: 0 all passed, 1 a failure, 77 (skip) only when `skip_why` is
 * set by the caller before calling (the running kernel lacks a feature).
 */
int th_main(int argc, char **argv, const char *suite, CU_TestInfo *tests, unsigned backends);

#endif
