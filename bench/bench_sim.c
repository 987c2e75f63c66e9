/* SPDX-License-Identifier: MIT */
/*
 * Simulator speed. The same programs run on ARING_BACKEND_SIM and, as the
 * baseline, on the real ring (ARING_BACKEND_URING), alternating:
 *   - simulated NOPs per second, 256 tasks each doing aring_nop in a loop;
 *   - pipe ping-pong ops per second, 32 pairs of tasks over two pipes;
 *   - seeds per second of an echo swarm: a new loop per seed, a server
 *     (one task per connection) and 8 clients doing 16 round trips of 64 B.
 * If the sim backend is not built (aring_loop_new gives an error for it),
 * the rows say so.
 */
#include <errno.h>
#include <stdbool.h>
#include <netinet/in.h>
#include <aring/sim.h>

#include "bench/bench.h"

#define ROUNDS 3
#define NOP_TASKS 256
#define PIPE_PAIRS 32
#define SWARM_CLIENTS 8
#define SWARM_TRIPS 16
#define SWARM_MSG 64

/* ------------------------------------------------------------ nops */

static double nops(enum aring_backend be, uint64_t per_task)
{
	aring_loop *loop = bench_loop_new(be, 1);
	unsigned i;

	for (i = 0; i < NOP_TASKS; i++)
		aring_spawn(loop, bench_nop_task, &per_task, NULL);
	return NOP_TASKS * (double)per_task / bench_run_free(loop);
}

/* ------------------------------------------------------------ pipes */

struct pipe_pair {
	int ab[2], ba[2];  /* a writes ab[1], b reads ab[0]; and back */
	uint64_t trips;
};

/* One side of a pair: side a writes first, side b reads first. */
struct pipe_side {
	struct pipe_pair *p;
	int in, out;
	bool writes_first;
};

static int pipe_task(aring_loop *loop, void *arg)
{
	struct pipe_side *s = arg;
	char c = 'x';
	uint64_t i;

	for (i = 0; i < s->p->trips; i++) {
		if (s->writes_first && aring_write(loop, s->out, &c, 1, (uint64_t)-1, NULL) != 1)
			return -1;
		if (aring_read(loop, s->in, &c, 1, (uint64_t)-1, NULL) != 1)
			return -1;
		if (!s->writes_first && aring_write(loop, s->out, &c, 1, (uint64_t)-1, NULL) != 1)
			return -1;
	}
	aring_close(loop, s->in, NULL);
	aring_close(loop, s->out, NULL);
	return 0;
}

static struct pipe_side sides[PIPE_PAIRS][2];

static int pipe_setup(aring_loop *loop, void *arg)
{
	struct pipe_pair *p = arg;
	unsigned i;

	for (i = 0; i < PIPE_PAIRS; i++) {
		if (aring_pipe(loop, p[i].ab, 0, NULL) < 0 || aring_pipe(loop, p[i].ba, 0, NULL) < 0)
			return -1;
		sides[i][0] = (struct pipe_side){ &p[i], p[i].ba[0], p[i].ab[1], true };
		sides[i][1] = (struct pipe_side){ &p[i], p[i].ab[0], p[i].ba[1], false };
		aring_spawn(loop, pipe_task, &sides[i][0], NULL);
		aring_spawn(loop, pipe_task, &sides[i][1], NULL);
	}
	return 0;
}

/* Ops per second (4 per round trip). */
static double pipes(enum aring_backend be, uint64_t trips)
{
	struct pipe_pair p[PIPE_PAIRS];
	aring_loop *loop = bench_loop_new(be, 1);
	aring_task *t;
	unsigned i;

	for (i = 0; i < PIPE_PAIRS; i++)
		p[i].trips = trips;
	aring_spawn(loop, pipe_setup, p, &t);
	aring_join(loop, t, NULL);
	return PIPE_PAIRS * 4.0 * (double)trips / bench_run_free(loop);
}

/* ------------------------------------------------------------ swarm */

struct swarm {
	struct sockaddr_in addr;
	int lfd;
	int failed;
};

static int swarm_conn(aring_loop *loop, void *arg)
{
	int fd = (int)(intptr_t)arg;
	char buf[SWARM_MSG];

	for (;;) {
		int n = aring_recv(loop, fd, buf, sizeof(buf), 0, NULL);

		if (n <= 0 || aring_write_all(loop, fd, buf, (size_t)n, NULL) != n)
			break;
	}
	aring_close(loop, fd, NULL);
	return 0;
}

static int swarm_server(aring_loop *loop, void *arg)
{
	struct swarm *s = arg;
	unsigned i;

	for (i = 0; i < SWARM_CLIENTS; i++) {
		int fd = aring_accept(loop, s->lfd, NULL, NULL, 0, NULL);

		if (fd < 0) {
			s->failed = 1;
			break;
		}
		aring_spawn(loop, swarm_conn, (void *)(intptr_t)fd, NULL);
	}
	aring_close(loop, s->lfd, NULL);
	return 0;
}

static int swarm_client(aring_loop *loop, void *arg)
{
	struct swarm *s = arg;
	char msg[SWARM_MSG], back[SWARM_MSG];
	int fd, i;

	memset(msg, 'm', sizeof(msg));
	fd = aring_socket(loop, AF_INET, SOCK_STREAM, 0, 0, NULL);
	if (fd < 0 || aring_connect(loop, fd, (struct sockaddr *)&s->addr, sizeof(s->addr), NULL) < 0) {
		s->failed = 1;
		return -1;
	}
	for (i = 0; i < SWARM_TRIPS; i++) {
		int got = 0;

		if (aring_send(loop, fd, msg, sizeof(msg), 0, NULL) != (int)sizeof(msg)) {
			s->failed = 1;
			break;
		}
		while (got < (int)sizeof(back)) {
			int n = aring_recv(loop, fd, back + got, sizeof(back) - (size_t)got, 0, NULL);

			if (n <= 0) {
				s->failed = 1;
				goto out;
			}
			got += n;
		}
	}
out:
	aring_close(loop, fd, NULL);
	return 0;
}

static int swarm_main(aring_loop *loop, void *arg)
{
	struct swarm *s = arg;
	socklen_t len = sizeof(s->addr);
	unsigned i;
	int ret;

	s->addr.sin_family = AF_INET;
	s->addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	s->addr.sin_port = 0;
	s->lfd = aring_socket(loop, AF_INET, SOCK_STREAM, 0, 0, NULL);
	if (s->lfd < 0)
		return s->lfd;
	ret = aring_bind(loop, s->lfd, (struct sockaddr *)&s->addr, sizeof(s->addr), NULL);
	if (ret >= 0)
		ret = aring_listen(loop, s->lfd, 64, NULL);
	if (ret < 0)
		return ret;
	if (aring_loop_backend(loop) == ARING_BACKEND_SIM)
		ret = aring_sim_getsockname(loop, s->lfd, (struct sockaddr *)&s->addr, &len);
	else
		ret = getsockname(s->lfd, (struct sockaddr *)&s->addr, &len) ? -errno : 0;
	if (ret < 0)
		return ret;
	aring_spawn(loop, swarm_server, s, NULL);
	for (i = 0; i < SWARM_CLIENTS; i++)
		aring_spawn(loop, swarm_client, s, NULL);
	return 0;
}

/* Seeds (whole swarm runs) per second. */
static double swarms(enum aring_backend be, unsigned seeds)
{
	uint64_t t0 = bench_now_ns();
	unsigned i;

	for (i = 0; i < seeds; i++) {
		struct swarm s = { .failed = 0 };
		aring_loop *loop = bench_loop_new(be, i + 1);

		aring_spawn(loop, swarm_main, &s, NULL);
		if (aring_run(loop) < 0 || s.failed)
			bench_die("echo swarm", EPROTO);
		aring_loop_free(loop);
	}
	return seeds * 1e9 / (double)(bench_now_ns() - t0);
}

/* ------------------------------------------------------------ main */

int main(void)
{
	struct aring_loop_opts o = { .backend = ARING_BACKEND_SIM };
	double scale = bench_scale();
	double s[ROUNDS], u[ROUNDS], q[ROUNDS], sm;
	aring_loop *probe;
	unsigned i;
	int ret;

	ret = aring_loop_new(&probe, &o);
	if (ret < 0) {
		const char *why = bench_fmt("sim not built (%d)", ret);

		bench_row("sim: simulated NOPs per second", why, "-", -1, BENCH_INFO, 0, 0, ">= 5 M/s");
		bench_row("sim: pipe ping-pong ops per second", why, "-", -1, BENCH_INFO, 0, 0, "report");
		bench_row("sim: echo swarm seeds per second", why, "-", -1, BENCH_INFO, 0, 0, "report");
		return 0;
	}
	aring_loop_free(probe);

	for (i = 0; i < ROUNDS; i++) {
		u[i] = nops(ARING_BACKEND_URING, (uint64_t)(4000 * scale));
		s[i] = nops(ARING_BACKEND_SIM, (uint64_t)(4000 * scale));
		q[i] = s[i] / u[i];
	}
	sm = bench_median(s, ROUNDS);
	bench_row("sim: simulated NOPs per second (256 tasks; baseline: uring)",
		  bench_fmt("%.2f M/s", sm / 1e6), bench_fmt("%.2f M/s", bench_median(u, ROUNDS) / 1e6),
		  bench_median(q, ROUNDS), BENCH_ABS_GE, sm, 5e6, ">= 5 M/s");

	for (i = 0; i < ROUNDS; i++) {
		u[i] = pipes(ARING_BACKEND_URING, (uint64_t)(5000 * scale));
		s[i] = pipes(ARING_BACKEND_SIM, (uint64_t)(5000 * scale));
		q[i] = s[i] / u[i];
	}
	bench_row("sim: pipe ping-pong ops per second (32 pairs; baseline: uring)",
		  bench_fmt("%.2f M/s", bench_median(s, ROUNDS) / 1e6),
		  bench_fmt("%.2f M/s", bench_median(u, ROUNDS) / 1e6), bench_median(q, ROUNDS),
		  BENCH_INFO, 0, 0, "report");

	for (i = 0; i < ROUNDS; i++) {
		u[i] = swarms(ARING_BACKEND_URING, (unsigned)(200 * scale) + 1);
		s[i] = swarms(ARING_BACKEND_SIM, (unsigned)(200 * scale) + 1);
		q[i] = s[i] / u[i];
	}
	bench_row("sim: echo swarm seeds per second (8 clients x 16 trips; baseline: uring)",
		  bench_fmt("%.0f /s", bench_median(s, ROUNDS)),
		  bench_fmt("%.0f /s", bench_median(u, ROUNDS)), bench_median(q, ROUNDS), BENCH_INFO,
		  0, 0, "report");
	return 0;
}
