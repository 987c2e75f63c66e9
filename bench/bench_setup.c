/* SPDX-License-Identifier: MIT */
/*
 * Which ring setup flags should a loop get by default (issue 12, item 5)?
 * The same three workloads on loops made with each candidate
 * aring_loop_opts.setup_flags, in one process, the candidates alternating
 * within each round:
 *
 *   nop   32 tasks doing aring_nop: CPU ns per NOP (process CPU time)
 *   read  32 tasks doing random 4 KiB reads of a page-cached 64 MiB file
 *         (under $TMPDIR, else /var/tmp; removed): CPU ns per read
 *   echo  50 TCP connections on 127.0.0.1, 64 B ping-pong: the server loop
 *         (the candidate setup, its own thread) against a client loop on
 *         another thread (aring's default setup, the same for every
 *         candidate); server thread CPU ns per round trip
 *
 * Each row is one workload under one candidate: the median over ROUNDS of
 * its figure, and the median of the per-round ratios to the candidate
 * "COOP_TASKRUN|TASKRUN_FLAG|SUBMIT_ALL" (aring's default before this
 * measurement) measured in the same round. Lower is better.
 */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include <aring.h>

#include "bench/bench.h"

#define ROUNDS 3
#define TASKS 32
#define FILE_BYTES (64u << 20)
#define CONNS 50
#define MSG 64

static const struct candidate {
	const char *name;
	unsigned flags;
} cands[] = {
	{ "COOP_TASKRUN|TASKRUN_FLAG|SUBMIT_ALL",
	  IORING_SETUP_COOP_TASKRUN | IORING_SETUP_TASKRUN_FLAG | IORING_SETUP_SUBMIT_ALL },
	{ "none (CLAMP only)", IORING_SETUP_CLAMP },
	{ "SUBMIT_ALL", IORING_SETUP_SUBMIT_ALL },
	{ "SINGLE_ISSUER|COOP_TASKRUN|TASKRUN_FLAG|SUBMIT_ALL",
	  IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_COOP_TASKRUN | IORING_SETUP_TASKRUN_FLAG |
		  IORING_SETUP_SUBMIT_ALL },
	{ "SINGLE_ISSUER|DEFER_TASKRUN|SUBMIT_ALL",
	  IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN | IORING_SETUP_SUBMIT_ALL },
};
#define NCANDS (sizeof(cands) / sizeof(cands[0]))

static aring_loop *loop_with(unsigned flags)
{
	struct aring_loop_opts o = { .backend = ARING_BACKEND_URING, .setup_flags = flags };
	aring_loop *loop;
	int ret = aring_loop_new(&loop, &o);

	if (ret < 0)
		bench_die("aring_loop_new", ret);
	return loop;
}

static uint64_t thread_cpu_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* ---------------------------------------------------------------- nop */

static double nop_cpu_ns(unsigned flags, uint64_t n)
{
	aring_loop *loop = loop_with(flags);
	uint64_t c0;
	unsigned i;

	for (i = 0; i < TASKS; i++)
		aring_spawn(loop, bench_nop_task, &n, NULL);
	c0 = bench_cpu_ns();
	if (aring_run(loop) < 0)
		bench_die("aring_run", EIO);
	c0 = bench_cpu_ns() - c0;
	aring_loop_free(loop);
	return (double)c0 / (double)(n * TASKS);
}

/* ---------------------------------------------------------------- read */

static double read_cpu_ns(unsigned flags, int fd, uint64_t n)
{
	aring_loop *loop = loop_with(flags);
	struct bench_reader r[TASKS];
	uint64_t c0;
	unsigned i;

	for (i = 0; i < TASKS; i++) {
		r[i] = (struct bench_reader){ .fd = fd, .n = n, .seed = 0x9e3779b97f4a7c15ull * (i + 1),
					  .file_bytes = FILE_BYTES };
		aring_spawn(loop, bench_reader_task, &r[i], NULL);
	}
	c0 = bench_cpu_ns();
	if (aring_run(loop) < 0)
		bench_die("aring_run", EIO);
	c0 = bench_cpu_ns() - c0;
	aring_loop_free(loop);
	return (double)c0 / (double)(n * TASKS);
}

/* ---------------------------------------------------------------- echo */

struct echo {
	unsigned flags;
	int lfd;
	uint16_t port;
	uint64_t trips;        /* per connection */
	uint64_t server_cpu_ns;
	pthread_barrier_t ready;
};

static int echo_conn(aring_loop *loop, void *arg)
{
	int fd = (int)(intptr_t)arg;
	char buf[MSG];
	int n;

	while ((n = aring_recv(loop, fd, buf, sizeof(buf), 0, NULL)) > 0)
		if (aring_send_all(loop, fd, buf, (size_t)n, MSG_NOSIGNAL, NULL) != n)
			break;
	aring_close(loop, fd, NULL);
	return 0;
}

static int echo_acceptor(aring_loop *loop, void *arg)
{
	struct echo *e = arg;
	int i;

	for (i = 0; i < CONNS; i++) {
		int fd = aring_accept(loop, e->lfd, NULL, NULL, 0, NULL);

		if (fd < 0)
			bench_die("accept", fd);
		aring_spawn(loop, echo_conn, (void *)(intptr_t)fd, NULL);
	}
	return 0;
}

static void *server_thread(void *arg)
{
	struct echo *e = arg;
	aring_loop *loop = loop_with(e->flags);  /* made on the thread that runs it */
	uint64_t c0;

	aring_spawn(loop, echo_acceptor, e, NULL);
	pthread_barrier_wait(&e->ready);
	c0 = thread_cpu_ns();
	if (aring_run(loop) < 0)
		bench_die("server aring_run", EIO);
	e->server_cpu_ns = thread_cpu_ns() - c0;
	aring_loop_free(loop);
	return NULL;
}

static int echo_client(aring_loop *loop, void *arg)
{
	struct echo *e = arg;
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(e->port),
				 .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	char out[MSG], in[MSG];
	uint64_t i;
	int fd = aring_socket(loop, AF_INET, SOCK_STREAM, 0, 0, NULL);

	if (fd < 0 || aring_connect(loop, fd, (struct sockaddr *)&a, sizeof(a), NULL) < 0)
		bench_die("connect", EIO);
	memset(out, 'e', sizeof(out));
	for (i = 0; i < e->trips; i++) {
		int got = 0;

		if (aring_send(loop, fd, out, sizeof(out), MSG_NOSIGNAL, NULL) != MSG)
			bench_die("send", EIO);
		while (got < MSG) {
			int n = aring_recv(loop, fd, in + got, (size_t)(MSG - got), 0, NULL);

			if (n <= 0)
				bench_die("recv", n ? -n : EPIPE);
			got += n;
		}
	}
	aring_close(loop, fd, NULL);
	return 0;
}

static double echo_cpu_ns(unsigned flags, uint64_t trips)
{
	struct echo e = { .flags = flags, .trips = trips };
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t alen = sizeof(a);
	aring_loop *client;
	pthread_t th;
	int i;

	e.lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (e.lfd < 0 || bind(e.lfd, (struct sockaddr *)&a, sizeof(a)) < 0 ||
	    listen(e.lfd, 128) < 0 || getsockname(e.lfd, (struct sockaddr *)&a, &alen) < 0)
		bench_die("listen", errno);
	e.port = ntohs(a.sin_port);
	pthread_barrier_init(&e.ready, NULL, 2);
	if (pthread_create(&th, NULL, server_thread, &e))
		bench_die("pthread_create", EAGAIN);
	pthread_barrier_wait(&e.ready);
	client = loop_with(0);
	for (i = 0; i < CONNS; i++)
		aring_spawn(client, echo_client, &e, NULL);
	if (aring_run(client) < 0)
		bench_die("client aring_run", EIO);
	aring_loop_free(client);
	pthread_join(th, NULL);
	pthread_barrier_destroy(&e.ready);
	close(e.lfd);
	return (double)e.server_cpu_ns / (double)(trips * CONNS);
}

/* ---------------------------------------------------------------- main */

static int make_file(void)
{
	return bench_cached_file(FILE_BYTES, "bench-setup");
}

int main(void)
{
	static const char *const what[] = { "nop, 32 tasks: CPU per NOP",
					     "random 4 KiB reads, 32 tasks: CPU per read",
					     "echo 50 x 64 B: server CPU per round trip" };
	double v[3][NCANDS][ROUNDS], q[3][NCANDS][ROUNDS];
	double s = bench_scale();
	uint64_t nops = (uint64_t)(60000 * s), reads = (uint64_t)(10000 * s),
		 trips = (uint64_t)(2000 * s);
	unsigned k, c, w;
	int fd = make_file();

	for (c = 0; c < NCANDS; c++) {  /* warm-up, and every candidate works here */
		nop_cpu_ns(cands[c].flags, nops / 10);
		echo_cpu_ns(cands[c].flags, trips / 10);
	}
	for (k = 0; k < ROUNDS; k++) {
		for (c = 0; c < NCANDS; c++) {
			v[0][c][k] = nop_cpu_ns(cands[c].flags, nops);
			v[1][c][k] = read_cpu_ns(cands[c].flags, fd, reads);
			v[2][c][k] = echo_cpu_ns(cands[c].flags, trips);
		}
		for (w = 0; w < 3; w++)
			for (c = 0; c < NCANDS; c++)
				q[w][c][k] = v[w][c][k] / v[w][0][k];
	}
	close(fd);
	for (w = 0; w < 3; w++)
		for (c = 0; c < NCANDS; c++) {
			double m = bench_median(v[w][c], ROUNDS), r = bench_median(q[w][c], ROUNDS);

			bench_row(bench_fmt("setup %s: %s", cands[c].name, what[w]),
				  bench_fmt("%.0f ns", m), cands[0].name, r, BENCH_INFO, 0, 0,
				  "report (lower is better)");
		}
	return 0;
}
