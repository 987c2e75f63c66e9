/* SPDX-License-Identifier: MIT */
/*
 * The swarm's speed: seeds per second of aring_sim_swarm over an echo world
 * (a server, one task per connection, and 4 clients doing a 64-byte round
 * trip every 10 ms) that runs 1 s of virtual time per seed, with the seed's
 * fault rates (aring_sim_swarm_opts_for) and a timeout on every op; and the
 * ratio of virtual to real time. Baseline: the same seeds run one after
 * another in this process (no fork, one core).
 */
#include <errno.h>
#include <netinet/in.h>
#include <aring/sim.h>

#include "bench/bench.h"

#define CLIENTS 4
#define MSG 64
#define VIRTUAL_NS 1000000000ull
#define PERIOD_NS 10000000ull
#define OP_TIMEOUT_NS 100000000ull

struct world {
	struct sockaddr_in addr;
	int lfd;
	uint64_t end_ns;
};

static uint64_t trips; /* round trips (counted in this process: the baseline's) */

static const struct aring_opt op_opt = { .timeout_ns = OP_TIMEOUT_NS };

static int conn_task(aring_loop *loop, void *arg)
{
	int fd = (int)(intptr_t)arg;
	char buf[MSG];

	for (;;) {
		int n = aring_recv(loop, fd, buf, sizeof(buf), 0, &op_opt);

		if (n == -ETIME || n == -ECANCELED || n == -EINTR)
			continue;
		if (n <= 0 || aring_write_all(loop, fd, buf, (size_t)n, &op_opt) != n)
			break;
	}
	aring_close(loop, fd, NULL);
	return 0;
}

static int server_task(aring_loop *loop, void *arg)
{
	struct world *w = arg;

	while (aring_now_ns(loop) < w->end_ns) {
		int fd = aring_accept(loop, w->lfd, NULL, NULL, 0, &op_opt);

		if (fd >= 0)
			aring_spawn(loop, conn_task, (void *)(intptr_t)fd, NULL);
	}
	aring_close(loop, w->lfd, NULL);
	return 0;
}

static int client_task(aring_loop *loop, void *arg)
{
	struct world *w = arg;
	char msg[MSG], back[MSG];
	int fd = -1;

	memset(msg, 'm', sizeof(msg));
	while (aring_now_ns(loop) < w->end_ns) {
		int got = 0;

		if (fd < 0) {
			fd = aring_socket(loop, AF_INET, SOCK_STREAM, 0, 0, &op_opt);
			if (fd >= 0 && aring_connect(loop, fd, (struct sockaddr *)&w->addr,
						     sizeof(w->addr), &op_opt) < 0) {
				aring_close(loop, fd, NULL);
				fd = -1;
			}
		}
		if (fd >= 0 && aring_send(loop, fd, msg, sizeof(msg), 0, &op_opt) > 0) {
			while (got < 1) {
				int n = aring_recv(loop, fd, back, sizeof(back), 0, &op_opt);

				if (n <= 0)
					break;
				got += n;
			}
			trips += got > 0;
		}
		aring_sleep(loop, PERIOD_NS);
	}
	if (fd >= 0)
		aring_close(loop, fd, NULL);
	return 0;
}

static int world_main(aring_loop *loop, void *arg)
{
	struct world *w = arg;
	socklen_t len = sizeof(w->addr);
	unsigned i;

	w->end_ns = aring_now_ns(loop) + VIRTUAL_NS;
	w->addr.sin_family = AF_INET;
	w->addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	w->lfd = aring_socket(loop, AF_INET, SOCK_STREAM, 0, 0, NULL);
	if (w->lfd < 0 ||
	    aring_bind(loop, w->lfd, (struct sockaddr *)&w->addr, sizeof(w->addr), NULL) < 0 ||
	    aring_listen(loop, w->lfd, 64, NULL) < 0 ||
	    aring_sim_getsockname(loop, w->lfd, (struct sockaddr *)&w->addr, &len) < 0)
		return -1;
	aring_spawn(loop, server_task, w, NULL);
	for (i = 0; i < CLIENTS; i++)
		aring_spawn(loop, client_task, w, NULL);
	return 0;
}

/* One seed: 0 when the loop ran to its end. */
static int scenario(uint64_t seed, void *arg)
{
	struct aring_sim_opts so;
	struct aring_loop_opts o = { .backend = ARING_BACKEND_SIM, .sim = &so };
	struct world w = { .lfd = -1 };
	uint64_t *virtual_ns = arg;
	aring_loop *loop;
	int ret;

	aring_sim_swarm_opts_for(seed, &so);
	so.error_ppm = 0; /* a bind or listen error would end the world early */
	ret = aring_loop_new(&loop, &o);
	if (ret < 0)
		return ret;
	aring_spawn(loop, world_main, &w, NULL);
	ret = aring_run(loop);
	if (virtual_ns)
		*virtual_ns += aring_now_ns(loop) - ARING_SIM_START_NS;
	aring_loop_free(loop);
	return ret;
}

int main(void)
{
	struct aring_sim_swarm_result res;
	struct aring_sim_swarm_opts o = { .first_seed = 1, .quiet = 1, .result = &res };
	struct aring_loop_opts po = { .backend = ARING_BACKEND_SIM };
	double scale = bench_scale(), swarm_s, here_s, vr;
	uint64_t seeds = (uint64_t)(400 * scale) + 1, vns = 0, i, t0;
	aring_loop *probe;
	int ret;

	if (aring_loop_new(&probe, &po) < 0) {
		bench_row("swarm: echo seeds per second", "sim not built", "-", -1, BENCH_INFO, 0, 0,
			  "report");
		return 0;
	}
	aring_loop_free(probe);
	unsetenv("ARING_SIM_SEED");
	unsetenv("ARING_SIM_SEEDS");
	o.seeds = seeds;
	t0 = bench_now_ns();
	ret = aring_sim_swarm(scenario, NULL, &o);
	swarm_s = (double)(bench_now_ns() - t0) / 1e9;
	if (ret != 0)
		bench_die("aring_sim_swarm", ret < 0 ? ret : -EPROTO);
	t0 = bench_now_ns();
	for (i = 0; i < seeds; i++)
		if (scenario(o.first_seed + i, &vns) != 0)
			bench_die("echo world", EPROTO);
	here_s = (double)(bench_now_ns() - t0) / 1e9;
	vr = (double)res.virtual_ns / 1e9 / swarm_s;
	bench_row(bench_fmt("swarm: echo seeds per second (1 s virtual, %.0f round trips each, "
			    "%ld CPUs; baseline: in one process)", (double)trips / seeds,
			    sysconf(_SC_NPROCESSORS_ONLN)),
		  bench_fmt("%.0f /s", seeds / swarm_s), bench_fmt("%.0f /s", seeds / here_s),
		  (seeds / swarm_s) / (seeds / here_s), BENCH_ABS_GE, seeds / swarm_s, 200,
		  ">= 200 /s");
	bench_row("swarm: virtual time / real time (echo swarm; baseline: in one process)",
		  bench_fmt("%.0fx", vr), bench_fmt("%.0fx", (double)vns / 1e9 / here_s),
		  vr / ((double)vns / 1e9 / here_s), BENCH_ABS_GE, vr, 1000, ">= 1000x");
	return 0;
}
