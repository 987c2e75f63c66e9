/* echo_swarm.c: the echo server under many seeds, each with its own fault rates. */
#include <aring.h>
#include <aring/sim.h>
#include <stdio.h>
#include <string.h>

#include "echo_client.h"

#define CLIENTS 5

/* One seed: 0 when the invariants held. Runs in a child process. */
static int scenario(uint64_t seed, void *arg)
{
	int strict = *(int *)arg;
	struct aring_sim_opts sim;
	struct aring_loop_opts opts = { .backend = ARING_BACKEND_SIM, .sim = &sim };
	struct echo_clients t = { .srv.port = 7000, .clients = CLIENTS };
	aring_loop *loop;
	int ret, i;

	aring_sim_swarm_opts_for(seed, &sim);  /* this seed's fault rates */
	ret = aring_loop_new(&loop, &opts);
	if (ret < 0)
		return 1;
	aring_spawn(loop, echo_serve, &t.srv, NULL);
	for (i = 0; i < CLIENTS; i++)
		aring_spawn(loop, echo_client, &t, NULL);
	ret = aring_run(loop);
	aring_loop_free(loop);
	if (ret < 0 || t.wrong)
		return 1;  /* a hang, or bytes that came back changed */
	if (strict && t.echoed != CLIENTS)
		return 1;  /* the wrong invariant: under faults a client may fail */
	return 0;
}

int main(int argc, char **argv)
{
	int strict = argc > 1 && !strcmp(argv[1], "strict");
	struct aring_sim_swarm_opts so = { .first_seed = 1, .seeds = 200, .shrink = 1 };
	int failed = aring_sim_swarm(scenario, &strict, &so);

	if (failed < 0) {
		fprintf(stderr, "aring_sim_swarm: %s\n", strerror(-failed));
		return 2;
	}
	return failed ? 1 : 0;
}
