/* SPDX-License-Identifier: MIT */
/*
 * Echo: the load generator and the side-by-side driver.
 *
 *   echo_bench RAW_SERVER ARING_SERVER MCOUNT_SO [LABEL]
 *
 * For each message size (64 B, 4 KiB) and each of 3 runs it starts the raw
 * server and then the aring server (each: SERVER PORT, on 127.0.0.1, an
 * ephemeral port picked here), pinned to CPU 0 with the counting malloc of
 * MCOUNT_SO preloaded, and drives it from this process pinned to CPU 1: one
 * thread, 50 connections, each a ping-pong of M bytes (send M, wait for M
 * back). After a warm-up it measures round trips per second, p50/p99
 * latency, the server's CPU time (/proc/PID/schedstat) and its heap calls
 * per round trip. Then it kills the server. Medians of the 3 runs are
 * compared.
 *
 * With LABEL (the epoll backend's rows: ARING_BACKEND=epoll in the
 * environment reaches the aring server, RAW_SERVER is bench/echo_epoll),
 * the rows are named after LABEL and only throughput (reported) and server
 * CPU per round trip (target <= 1.10) are printed. CPU_TARGET sets that
 * target ("report": none), SIZE runs that one message size only (the
 * timeout rows: echo_aring with and without ECHO_TIMEOUT_S).
 *
 *   echo_bench RAW_SERVER ARING_SERVER MCOUNT_SO LABEL [CPU_TARGET [SIZE]]
 */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sched.h>
#include <stdbool.h>
#include <stddef.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <arpa/inet.h>

#include "bench/bench.h"
#include "bench/proc.h"
#include "bench/mcount.h"

#define CONNS 50
#define RUNS 3
#define MAX_MSG 4096
#define SERVER_CPU 0
#define LOAD_CPU 1

struct conn {
	int fd;
	unsigned got;
	uint64_t sent_ns;
	char buf[MAX_MSG];
};

struct result {
	double rtps;          /* round trips per second */
	double p50_us, p99_us;
	double cpu_ns_per_rt; /* server CPU time per round trip */
	double allocs_per_rt; /* server heap calls per round trip */
};

static pid_t start_server(const char *server, int port, const char *mcount_so, int mcount_fd)
{
	char port_text[16], fd_text[16];
	pid_t pid;

	snprintf(port_text, sizeof(port_text), "%d", port);
	snprintf(fd_text, sizeof(fd_text), "%d", mcount_fd);
	pid = fork();
	if (pid < 0)
		bench_die("fork", errno);
	if (pid == 0) {
		bench_pin(0, SERVER_CPU);
		setenv("LD_PRELOAD", mcount_so, 1);
		setenv("BENCH_MCOUNT_FD", fd_text, 1);
		execl(server, server, port_text, (char *)NULL);
		_exit(127);
	}
	return pid;
}

static void send_msg(struct conn *c, unsigned size)
{
	unsigned off = 0;

	c->got = 0;
	c->sent_ns = bench_now_ns();
	while (off < size) {
		ssize_t n = send(c->fd, c->buf + off, size - off, MSG_NOSIGNAL);

		if (n < 0 && errno != EAGAIN && errno != EINTR)
			bench_die("send", errno);
		if (n > 0)
			off += (unsigned)n;
	}
}

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return (x > y) - (x < y);
}

static void run_one(const char *server, const char *mcount_so, unsigned size, double secs,
		    struct result *out)
{
	static struct conn conns[CONNS];
	static uint32_t *lat;
	const size_t max_lat = 16u << 20;
	struct bench_mcount *mc, mc0 = { 0, 0 };
	uint64_t t_warm, t_end, cpu0 = 0, rt = 0, rt0 = 0, nlat = 0, now, t_start;
	int port = bench_free_port(), epfd, mfd, i, status;
	bool measuring = false;
	pid_t pid;

	if (!lat)
		lat = malloc(max_lat * sizeof(*lat));
	mfd = memfd_create("bench-mcount", 0);
	if (mfd < 0 || ftruncate(mfd, 4096) < 0)
		bench_die("memfd", errno);
	mc = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, mfd, 0);
	if (mc == MAP_FAILED)
		bench_die("mmap", errno);
	pid = start_server(server, port, mcount_so, mfd);
	epfd = epoll_create1(0);
	for (i = 0; i < CONNS; i++) {
		struct epoll_event ev = { .events = EPOLLIN, .data.ptr = &conns[i] };

		conns[i].fd = bench_connect_retry(port, pid, 5000000000ull, "echo_bench");
		memset(conns[i].buf, 'a' + i % 26, sizeof(conns[i].buf));
		epoll_ctl(epfd, EPOLL_CTL_ADD, conns[i].fd, &ev);
	}
	t_start = bench_now_ns();
	t_warm = t_start + (uint64_t)(0.5e9 * bench_scale());
	t_end = t_warm + (uint64_t)(secs * 1e9);
	for (i = 0; i < CONNS; i++)
		send_msg(&conns[i], size);
	for (;;) {
		struct epoll_event evs[CONNS];
		int n = epoll_wait(epfd, evs, CONNS, 100);

		if (n < 0 && errno != EINTR)
			bench_die("epoll_wait", errno);
		now = bench_now_ns();
		if (!measuring && now >= t_warm) {
			measuring = true;
			cpu0 = bench_proc_cpu_ns(pid);
			mc0 = *mc;
			rt0 = rt;
		}
		if (now >= t_end)
			break;
		for (i = 0; i < n; i++) {
			struct conn *c = evs[i].data.ptr;
			char sink[MAX_MSG];
			ssize_t r = recv(c->fd, sink, sizeof(sink), 0);

			if (r == 0 || (r < 0 && errno != EAGAIN && errno != EINTR))
				bench_die("recv from server", r == 0 ? ECONNRESET : errno);
			if (r <= 0)
				continue;
			c->got += (unsigned)r;
			if (c->got < size)
				continue;
			if (c->got > size)
				bench_die("echo: too many bytes", EPROTO);
			rt++;
			if (measuring && nlat < max_lat)
				lat[nlat++] = (uint32_t)((bench_now_ns() - c->sent_ns) / 10);
			send_msg(c, size);
		}
	}
	out->cpu_ns_per_rt = (double)(bench_proc_cpu_ns(pid) - cpu0) / (double)(rt - rt0);
	out->allocs_per_rt = (double)(mc->allocs - mc0.allocs) / (double)(rt - rt0);
	out->rtps = (double)(rt - rt0) / secs;
	qsort(lat, nlat, sizeof(*lat), cmp_u32);
	out->p50_us = nlat ? lat[nlat / 2] / 100.0 : 0;
	out->p99_us = nlat ? lat[nlat * 99 / 100] / 100.0 : 0;
	kill(pid, SIGKILL);
	waitpid(pid, &status, 0);
	for (i = 0; i < CONNS; i++)
		close(conns[i].fd);
	close(epfd);
	munmap(mc, 4096);
	close(mfd);
}

static double med(struct result *r, size_t field)
{
	double v[RUNS];
	unsigned i;

	for (i = 0; i < RUNS; i++)
		v[i] = *(double *)((char *)&r[i] + field);
	return bench_median(v, RUNS);
}

int main(int argc, char **argv)
{
	static const unsigned sizes[] = { 64, 4096 };
	double secs = 2.0 * bench_scale(), worst_allocs = 0, raw_allocs = 0;
	unsigned k, i;

	const char *tag = argc >= 5 ? argv[4] : NULL;
	bool report = argc >= 6 && !strcmp(argv[5], "report");
	double cpu_target = argc >= 6 && !report ? atof(argv[5]) : 1.10;
	unsigned only_size = argc >= 7 ? (unsigned)atoi(argv[6]) : 0;
	char cpu_target_s[32];

	if (argc < 4 || argc > 7) {
		fprintf(stderr, "usage: %s RAW_SERVER ARING_SERVER MCOUNT_SO [LABEL [CPU_TARGET [SIZE]]]\n",
			argv[0]);
		return 2;
	}
	snprintf(cpu_target_s, sizeof(cpu_target_s), report ? "report" : "<= %.2f",
		 tag ? cpu_target : 1.05);
	signal(SIGPIPE, SIG_IGN);
	bench_pin(0, LOAD_CPU);
	for (k = 0; k < 2; k++) {
		struct result raw[RUNS], ar[RUNS];
		double q[RUNS], qc[RUNS];
		char label[96];

		if (only_size && sizes[k] != only_size)
			continue;
		snprintf(label, sizeof(label), "%s%secho %ux%u B", tag ? tag : "", tag ? ": " : "",
			 CONNS, sizes[k]);
		for (i = 0; i < RUNS; i++) {
			run_one(argv[1], argv[3], sizes[k], secs, &raw[i]);
			run_one(argv[2], argv[3], sizes[k], secs, &ar[i]);
			q[i] = ar[i].rtps / raw[i].rtps;
			qc[i] = ar[i].cpu_ns_per_rt / raw[i].cpu_ns_per_rt;
			if (ar[i].allocs_per_rt > worst_allocs)
				worst_allocs = ar[i].allocs_per_rt;
			if (raw[i].allocs_per_rt > raw_allocs)
				raw_allocs = raw[i].allocs_per_rt;
		}
		/* the epoll rows (tag): throughput reported, CPU within 10% */
		bench_row(bench_fmt("%s: round trips/s", label),
			  bench_fmt("%.0f k/s", med(ar, offsetof(struct result, rtps)) / 1e3),
			  bench_fmt("%.0f k/s", med(raw, offsetof(struct result, rtps)) / 1e3),
			  bench_median(q, RUNS), tag ? BENCH_INFO : BENCH_RATIO_GE, 0, 0.95,
			  tag ? "report" : ">= 0.95");
		bench_row(bench_fmt("%s: server CPU per round trip", label),
			  bench_fmt("%.0f ns", med(ar, offsetof(struct result, cpu_ns_per_rt))),
			  bench_fmt("%.0f ns", med(raw, offsetof(struct result, cpu_ns_per_rt))),
			  bench_median(qc, RUNS), report ? BENCH_INFO : BENCH_RATIO_LE, 0,
			  tag ? cpu_target : 1.05, cpu_target_s);
		if (tag)
			continue;
		bench_row(bench_fmt("%s: latency p50 / p99", label),
			  bench_fmt("%.0f / %.0f us", med(ar, offsetof(struct result, p50_us)),
				    med(ar, offsetof(struct result, p99_us))),
			  bench_fmt("%.0f / %.0f us", med(raw, offsetof(struct result, p50_us)),
				    med(raw, offsetof(struct result, p99_us))),
			  med(ar, offsetof(struct result, p99_us)) /
				  med(raw, offsetof(struct result, p99_us)),
			  BENCH_INFO, 0, 0, "report (ratio: p99)");
	}
	if (tag)
		return 0;
	bench_row("heap allocations per request (echo, after warm-up, worst run)",
		  bench_fmt("%.4f", worst_allocs), bench_fmt("%.4f", raw_allocs), -1, BENCH_ABS_LE,
		  worst_allocs, 0, "0");
	return 0;
}
