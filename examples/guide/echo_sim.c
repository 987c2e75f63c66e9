/* echo_sim.c: the echo server and 20 clients on the simulator, with faults. */
#include <aring.h>
#include <aring/sim.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>

#include "echo_client.h"

#define CLIENTS 20

/* One run: 0 if every invariant held. */
static int run(const struct aring_sim_opts *sim, uint64_t *hash)
{
	struct aring_loop_opts opts = { .backend = ARING_BACKEND_SIM, .sim = sim };
	struct echo_clients t = { .srv.port = 7000, .clients = CLIENTS };  /* a simulated port */
	aring_loop *loop;
	int ret, i;

	ret = aring_loop_new(&loop, &opts);
	if (ret < 0)
		return ret;
	aring_spawn(loop, echo_serve, &t.srv, NULL);
	for (i = 0; i < CLIENTS; i++)
		aring_spawn(loop, echo_client, &t, NULL);
	ret = aring_run(loop);  /* -EDEADLK if a task could never finish */
	*hash = aring_sim_trace_hash(loop);
	printf("seed %" PRIu64 ": aring_run %d, %d echoed, %d failed, %d wrong, trace %016" PRIx64 "\n",
	       aring_sim_seed(loop), ret, t.echoed, t.failed, t.wrong, *hash);
	if (ret == 0 && (t.wrong || (!sim->error_ppm && !sim->cancel_ppm && t.failed)))
		ret = -EPROTO;
	if (ret < 0)
		printf("FAILED: replay with ARING_SIM_SEED=%" PRIu64 "\n", aring_sim_seed(loop));
	aring_loop_free(loop);
	return ret;
}

int main(void)
{
	struct aring_sim_opts calm = { .seed = 0 };  /* 0: ARING_SIM_SEED, else 1 */
	struct aring_sim_opts faults = {
		.seed = 0,
		.timeout_ppm = 50000,   /* 5% of ops with a timeout stall until it fires */
		.cancel_ppm = 20000,    /* 2% end with -ECANCELED (-EINTR: accept, connect) */
		.short_ppm = 200000,    /* 20% of reads and writes move fewer bytes */
		.error_ppm = 20000,     /* 2% fail with an errno the op can return */
		.latency_min_ns = 1000,
		.latency_max_ns = 2000000,
	};
	uint64_t h1, h2, h3;

	if (run(&calm, &h1) < 0 || run(&faults, &h2) < 0 || run(&faults, &h3) < 0)
		return 1;
	if (h2 != h3) {
		printf("FAILED: one seed, two different runs\n");
		return 1;
	}
	return 0;
}
