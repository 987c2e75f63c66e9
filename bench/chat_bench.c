/* SPDX-License-Identifier: MIT */
/*
 * chat_bench CHAT_SERVER CHAT_SLEEP: the chat rows of `make bench`.
 * 100 clients on 127.0.0.1 each send 100 lines at once and read until they
 * got the 9,900 lines of the others; deliveries per second (lines received
 * by clients / wall time from the first send to the last line) and the
 * server's CPU time per delivery (/proc/PID/schedstat), for
 * examples/chat_server (channels) against bench/chat_sleep (the same server
 * on sleep+cancel), both with a queue of 10,000 lines so nothing is dropped.
 * Server on CPU 0, clients (one aring loop) on CPU 1; 5 rounds, alternating;
 * ratio = median of per-round ratios.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sched.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>

#include "bench/bench.h"
#include "bench/proc.h"

#define CLIENTS 100
#define LINES 100
#define ROUNDS 5

struct client {
	int fd;
	char out[LINES * 64];
	size_t out_len;
	uint64_t got;
	int ret;
};

static struct client clients[CLIENTS];
static uint64_t last_done_ns;

/* Start server PORT=0 QUEUE; its first line of output gives the port. */
static pid_t start_server(const char *server, int *port)
{
	char line[256], *p;
	int out[2];
	FILE *f;
	pid_t pid;

	if (pipe(out) < 0)
		bench_die("pipe", errno);
	pid = fork();
	if (pid < 0)
		bench_die("fork", errno);
	if (pid == 0) {
		bench_pin(0, 0);
		int null = open("/dev/null", O_WRONLY);

		dup2(out[1], 1);
		if (null >= 0)
			dup2(null, 2);  /* its exit summary */
		close(out[0]);
		execl(server, server, "0", "10000", (char *)NULL);
		_exit(127);
	}
	close(out[1]);
	f = fdopen(out[0], "r");
	*port = 0;
	if (f && fgets(line, sizeof(line), f) && (p = strstr(line, "127.0.0.1:")))
		*port = atoi(p + 10);
	if (f)
		fclose(f);
	if (*port <= 0) {
		fprintf(stderr, "chat_bench: %s did not start\n", server);
		exit(1);
	}
	return pid;
}

static int client_task(aring_loop *loop, void *arg)
{
	struct client *c = arg;
	struct aring_opt opt = { .timeout_ns = 5000000000ull };
	uint64_t want = (uint64_t)(CLIENTS - 1) * LINES;
	char buf[65536];
	int ret;

	ret = aring_send_all(loop, c->fd, c->out, c->out_len, MSG_NOSIGNAL, &opt);
	if (ret < 0)
		return c->ret = ret;
	while (c->got < want) {
		int n = aring_recv(loop, c->fd, buf, sizeof(buf), 0, &opt), i;

		if (n <= 0)
			return c->ret = n ? n : -ECONNRESET;
		for (i = 0; i < n; i++)
			c->got += buf[i] == '\n';
	}
	last_done_ns = bench_now_ns();
	return 0;
}

struct result {
	double per_s;          /* deliveries per second */
	double cpu_ns;         /* server CPU per delivery */
	uint64_t missing;      /* deliveries that did not arrive */
};

static struct result run_once(const char *server)
{
	struct result r = { 0 };
	uint64_t t0, cpu0, got = 0;
	aring_loop *loop;
	int port, i, status;
	pid_t pid = start_server(server, &port);
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port),
				  .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };

	for (i = 0; i < CLIENTS; i++) {
		struct client *c = &clients[i];
		int l, one = 1;

		c->fd = socket(AF_INET, SOCK_STREAM, 0);
		if (c->fd < 0 || connect(c->fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
			bench_die("connect", errno);
		setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
		c->out_len = 0;
		for (l = 0; l < LINES; l++)
			c->out_len += (size_t)sprintf(c->out + c->out_len, "client %d line %d: hello all\n",
						      i, l);
		c->got = 0;
		c->ret = 0;
	}
	usleep(300000);  /* every client accepted and registered */
	loop = bench_loop_new(ARING_BACKEND_URING, 0);
	for (i = 0; i < CLIENTS; i++)
		if (aring_spawn(loop, client_task, &clients[i], NULL) < 0)
			bench_die("aring_spawn", ENOMEM);
	cpu0 = bench_proc_cpu_ns(pid);
	t0 = bench_now_ns();
	last_done_ns = t0;
	if (aring_run(loop) < 0)
		bench_die("aring_run", EIO);
	r.cpu_ns = (double)(bench_proc_cpu_ns(pid) - cpu0);
	aring_loop_free(loop);
	for (i = 0; i < CLIENTS; i++) {
		got += clients[i].got;
		close(clients[i].fd);
	}
	r.missing = (uint64_t)CLIENTS * (CLIENTS - 1) * LINES - got;
	r.per_s = (double)got / ((double)(last_done_ns - t0) / 1e9);
	r.cpu_ns = got ? r.cpu_ns / (double)got : 0;
	kill(pid, SIGTERM);
	waitpid(pid, &status, 0);
	return r;
}

int main(int argc, char **argv)
{
	double ratio[ROUNDS], a_rate[ROUNDS], b_rate[ROUNDS], a_cpu[ROUNDS], b_cpu[ROUNDS],
	       cpu_ratio[ROUNDS];
	uint64_t missing = 0;
	int i;

	if (argc != 3) {
		fprintf(stderr, "usage: %s CHAT_SERVER CHAT_SLEEP\n", argv[0]);
		return 2;
	}
	signal(SIGPIPE, SIG_IGN);
	bench_pin(0, 1);
	for (i = 0; i < ROUNDS; i++) {
		struct result a = run_once(argv[1]), b = run_once(argv[2]);

		a_rate[i] = a.per_s;
		b_rate[i] = b.per_s;
		a_cpu[i] = a.cpu_ns;
		b_cpu[i] = b.cpu_ns;
		ratio[i] = a.per_s / b.per_s;
		cpu_ratio[i] = a.cpu_ns / b.cpu_ns;
		missing += a.missing + b.missing;
	}
	bench_row("chat 100 clients x 100 lines: deliveries/s (channels vs sleep+cancel)",
		  bench_fmt("%.0f k/s", bench_median(a_rate, ROUNDS) / 1e3),
		  bench_fmt("%.0f k/s", bench_median(b_rate, ROUNDS) / 1e3),
		  bench_median(ratio, ROUNDS), BENCH_INFO, 0, 0, "report");
	bench_row("chat: server CPU per delivery (channels vs sleep+cancel)",
		  bench_fmt("%.0f ns", bench_median(a_cpu, ROUNDS)),
		  bench_fmt("%.0f ns", bench_median(b_cpu, ROUNDS)), bench_median(cpu_ratio, ROUNDS),
		  BENCH_INFO, 0, 0, missing ? bench_fmt("report (%llu lost!)", (unsigned long long)missing) :
					      "report");
	return 0;
}
