/* echo_sim.c: the echo server and 20 clients on the simulator, with faults. */
#include <aring.h>
#include <aring/sim.h>
#include <errno.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>

#include "echo.h"

#define CLIENTS 20
#define MSG_BYTES 3000

struct test {
	struct echo_server srv;
	int finished, echoed, failed;  /* clients */
	int wrong;                     /* bytes that came back changed: the bug to catch */
};

static int client(aring_loop *loop, void *arg)
{
	struct test *t = arg;
	struct sockaddr_in addr = {
		.sin_family = AF_INET,
		.sin_port = htons(t->srv.port),
		.sin_addr.s_addr = htonl(INADDR_LOOPBACK),
	};
	char out[MSG_BYTES], in[MSG_BYTES];
	size_t got = 0;
	int fd, ret, i;

	for (i = 0; i < MSG_BYTES; i++)
		out[i] = (char)(i * 31 + t->finished);
	for (i = 0; i < 100; i++) {  /* the server may not listen yet: try again 1 ms later */
		fd = aring_socket(loop, AF_INET, SOCK_STREAM, 0, 0, NULL);
		ret = fd < 0 ? fd : aring_connect(loop, fd, (struct sockaddr *)&addr, sizeof(addr), NULL);
		if (ret != -ECONNREFUSED)
			break;
		aring_close(loop, fd, NULL);
		fd = -1;
		aring_sleep(loop, 1000 * 1000);
	}
	if (ret == 0)
		ret = aring_send_all(loop, fd, out, sizeof(out), MSG_NOSIGNAL, NULL);
	while (ret >= 0 && got < sizeof(in)) {
		ret = aring_recv(loop, fd, in + got, sizeof(in) - got, 0, NULL);
		if (ret > 0)
			got += (size_t)ret;
		else if (ret == 0)
			ret = -ECONNRESET;  /* EOF before everything came back */
	}
	if (memcmp(in, out, got) != 0)
		t->wrong++;  /* an error is allowed under faults; wrong bytes never are */
	if (got == sizeof(in))
		t->echoed++;
	else
		t->failed++;
	if (fd >= 0)
		aring_close(loop, fd, NULL);
	if (++t->finished == CLIENTS)
		echo_stop(loop, &t->srv);
	return 0;
}

/* One run: 0 if every invariant held. */
static int run(const struct aring_sim_opts *sim, uint64_t *hash)
{
	struct aring_loop_opts opts = { .backend = ARING_BACKEND_SIM, .sim = sim };
	struct test t = { .srv.port = 7000 };  /* a simulated port: nothing else uses it */
	aring_loop *loop;
	int ret, i;

	ret = aring_loop_new(&loop, &opts);
	if (ret < 0)
		return ret;
	aring_spawn(loop, echo_serve, &t.srv, NULL);
	for (i = 0; i < CLIENTS; i++)
		aring_spawn(loop, client, &t, NULL);
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
