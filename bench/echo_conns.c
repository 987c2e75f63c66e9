/* SPDX-License-Identifier: MIT */
/*
 * Many connections with buffers the kernel picks (issue 12):
 *
 *   echo_conns ECHO_SERVER RAW_BUFRING_SERVER [CONNS]
 *
 * 10,000 connections (CONNS) of 64-byte ping-pongs, against three servers,
 * each started on 127.0.0.1 pinned to CPU 0 and driven from this process
 * (one thread, epoll) pinned to CPU 1:
 *   plain  ECHO_SERVER PORT: examples/echo_server, one task per
 *          connection with one 4 KiB buffer on its stack;
 *   -b     ECHO_SERVER -b PORT: the same tasks, receiving through a
 *          multishot recv into one pool of 512 x 4 KiB buffers;
 *   raw    RAW_BUFRING_SERVER PORT: bench/echo_raw_bufring, hand-written
 *          liburing with the same buffer ring.
 * For each: the server's RSS (VmRSS) once one connection made one round
 * trip, and once every connection made one, all at once (their difference
 * per connection: what a mostly idle connection costs); then round trips
 * for the measured time, WINDOW of them under way at once, each on the
 * next idle connection in turn (so most connections are idle at any time,
 * and each takes part): round trips per second and the server's CPU time
 * per round trip (/proc/PID/schedstat). Three runs, the servers
 * alternating; medians compared.
 *
 * The soft limit of open files is raised to the hard limit (the servers
 * inherit it); with fewer than CONNS + 64 allowed it runs with fewer
 * connections and says so.
 */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sched.h>
#include <signal.h>
#include <stdbool.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <arpa/inet.h>

#include "bench/bench.h"
#include "bench/proc.h"

#define RUNS 3
#define MSG 64
#define SERVER_CPU 0
#define LOAD_CPU 1
#define WINDOW 256   /* round trips under way at once: most connections are idle */

enum { V_PLAIN, V_BUFRING, V_RAW, NV };

struct result {
	double rss_per_conn;   /* bytes */
	double rtps;
	double cpu_ns_per_rt;
};

struct conn {
	int fd;
	unsigned got;
	bool busy;
};

static size_t server_rss(pid_t pid)
{
	char path[64], line[256];
	size_t kb = 0;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	f = fopen(path, "r");
	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "VmRSS: %zu kB", &kb) == 1)
			break;
	fclose(f);
	return kb * 1024;
}

static pid_t start_server(const char *server, const char *flag, int port)
{
	char port_text[16];
	pid_t pid;

	snprintf(port_text, sizeof(port_text), "%d", port);
	pid = fork();
	if (pid < 0)
		bench_die("fork", errno);
	if (pid == 0) {
		int null = open("/dev/null", O_WRONLY);

		bench_pin(0, SERVER_CPU);
		if (null >= 0)
			dup2(null, 1);  /* the "listening on" line */
		if (flag)
			execl(server, server, flag, port_text, (char *)NULL);
		else
			execl(server, server, port_text, (char *)NULL);
		_exit(127);
	}
	return pid;
}

static void send_msg(struct conn *c)
{
	static const char msg[MSG] = "0123456789abcdef0123456789abcdef0123456789abcdef012345678\n";
	unsigned off = 0;

	c->got = 0;
	while (off < MSG) {
		ssize_t n = send(c->fd, msg + off, MSG - off, MSG_NOSIGNAL);

		if (n < 0 && errno != EAGAIN && errno != EINTR)
			bench_die("send", errno);
		if (n > 0)
			off += (unsigned)n;
	}
}

/*
 * Round trips until deadline_ns with `window` of them under way at a time,
 * each new one on the next idle connection in turn (deadline_ns 0: one on
 * every connection, all at once); then those under way finish. Returns
 * the round trips made.
 */
static uint64_t drive(int epfd, struct conn *conns, unsigned n, unsigned window,
		      uint64_t deadline_ns)
{
	struct epoll_event evs[256];
	uint64_t rt = 0, outstanding = 0;
	unsigned i, next = 0;

	if (!deadline_ns || window > n)
		window = n;
	for (i = 0; i < window; i++) {
		conns[next].busy = true;
		send_msg(&conns[next]);
		next = (next + 1) % n;
		outstanding++;
	}
	while (outstanding) {
		int k = epoll_wait(epfd, evs, 256, 1000), j;

		if (k < 0 && errno != EINTR)
			bench_die("epoll_wait", errno);
		for (j = 0; j < k; j++) {
			struct conn *c = evs[j].data.ptr;
			char sink[MSG * 4];
			ssize_t r = recv(c->fd, sink, sizeof(sink), 0);

			if (r == 0 || (r < 0 && errno != EAGAIN && errno != EINTR))
				bench_die("recv from server", r == 0 ? ECONNRESET : errno);
			if (r <= 0)
				continue;
			c->got += (unsigned)r;
			if (c->got < MSG)
				continue;
			if (c->got > MSG)
				bench_die("echo: too many bytes", EPROTO);
			rt++;
			outstanding--;
			c->busy = false;
			if (deadline_ns && bench_now_ns() < deadline_ns) {
				while (conns[next].busy)
					next = (next + 1) % n;
				conns[next].busy = true;
				send_msg(&conns[next]);
				next = (next + 1) % n;
				outstanding++;
			}
		}
	}
	return rt;
}

static void run_one(const char *server, const char *flag, unsigned nconns, double secs,
		    struct result *out)
{
	static struct conn *conns;
	int port = bench_free_port(), epfd, status;
	uint64_t cpu0, rt, t0;
	size_t rss0 = 0, rss1;
	unsigned i;
	pid_t pid;

	if (!conns && !(conns = calloc(nconns, sizeof(*conns))))
		bench_die("calloc", ENOMEM);
	pid = start_server(server, flag, port);
	epfd = epoll_create1(0);
	for (i = 0; i < nconns; i++) {
		struct epoll_event ev = { .events = EPOLLIN, .data.ptr = &conns[i] };

		conns[i].fd = bench_connect_retry(port, pid, 10000000000ull, "echo_conns");
		epoll_ctl(epfd, EPOLL_CTL_ADD, conns[i].fd, &ev);
		if (i == 0) {
			drive(epfd, conns, 1, 1, 0);
			usleep(100000);
			rss0 = server_rss(pid);
		}
	}
	if (getenv("ECHO_CONNS_VERBOSE"))
		fprintf(stderr, "echo_conns: %s%s%s: %u connected\n", server, flag ? " " : "",
			flag ? flag : "", nconns);
	drive(epfd, conns, nconns, nconns, 0);
	if (getenv("ECHO_CONNS_VERBOSE"))
		fprintf(stderr, "echo_conns: one round trip each\n");
	usleep(200000);  /* every task back in its wait */
	rss1 = server_rss(pid);
	out->rss_per_conn = ((double)rss1 - (double)rss0) / (nconns - 1);
	/* warm up, then measure */
	drive(epfd, conns, nconns, WINDOW, bench_now_ns() + (uint64_t)(0.3e9 * bench_scale()));
	cpu0 = bench_proc_cpu_ns(pid);
	t0 = bench_now_ns();
	rt = drive(epfd, conns, nconns, WINDOW, t0 + (uint64_t)(secs * 1e9));
	out->cpu_ns_per_rt = (double)(bench_proc_cpu_ns(pid) - cpu0) / (double)rt;
	out->rtps = (double)rt / ((double)(bench_now_ns() - t0) / 1e9);
	kill(pid, SIGKILL);
	waitpid(pid, &status, 0);
	for (i = 0; i < nconns; i++)
		close(conns[i].fd);
	close(epfd);
}

static double med(struct result *r, size_t field)
{
	double v[RUNS];
	unsigned i;

	for (i = 0; i < RUNS; i++)
		v[i] = *(double *)((char *)&r[i] + field);
	return bench_median(v, RUNS);
}

#define MED(r, f) med(r, offsetof(struct result, f))

int main(int argc, char **argv)
{
	struct result res[NV][RUNS];
	double q_rss[RUNS], q_rt[RUNS], q_cpu[RUNS];
	double secs = 2.0 * bench_scale();
	unsigned nconns = argc > 3 ? (unsigned)atoi(argv[3]) : 10000;
	struct rlimit rl;
	unsigned i;
	char label[96];

	if (argc < 3 || nconns < 2) {
		fprintf(stderr, "usage: %s ECHO_SERVER RAW_BUFRING_SERVER [CONNS]\n", argv[0]);
		return 2;
	}
	signal(SIGPIPE, SIG_IGN);
	/* 10,000 connections: an fd each here and in the server */
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
		if (rl.rlim_cur < nconns + 64) {
			fprintf(stderr, "echo_conns: RLIMIT_NOFILE is %llu: %u connections, not %u\n",
				(unsigned long long)rl.rlim_cur, (unsigned)rl.rlim_cur - 64, nconns);
			nconns = (unsigned)rl.rlim_cur - 64;
		}
	}
	bench_pin(0, LOAD_CPU);
	for (i = 0; i < RUNS; i++) {
		run_one(argv[1], NULL, nconns, secs, &res[V_PLAIN][i]);
		run_one(argv[1], "-b", nconns, secs, &res[V_BUFRING][i]);
		run_one(argv[2], NULL, nconns, secs, &res[V_RAW][i]);
		q_rss[i] = res[V_BUFRING][i].rss_per_conn / res[V_PLAIN][i].rss_per_conn;
		q_rt[i] = res[V_BUFRING][i].rtps / res[V_RAW][i].rtps;
		q_cpu[i] = res[V_BUFRING][i].cpu_ns_per_rt / res[V_RAW][i].cpu_ns_per_rt;
	}
	snprintf(label, sizeof(label), "echo %u conns x %u B", nconns, MSG);
	bench_row(bench_fmt("%s: server RSS per connection, echo_server -b vs plain (4 KiB buffer per task)",
			    label),
		  bench_fmt("%.1f KiB", MED(res[V_BUFRING], rss_per_conn) / 1024),
		  bench_fmt("%.1f KiB", MED(res[V_PLAIN], rss_per_conn) / 1024),
		  bench_median(q_rss, RUNS), BENCH_RATIO_LE, 0, 1.0, "< 1 (report)");
	bench_row(bench_fmt("%s: server RSS per connection, raw liburing with buffer rings", label),
		  bench_fmt("%.1f KiB", MED(res[V_RAW], rss_per_conn) / 1024), "-", -1, BENCH_INFO,
		  0, 0, "report");
	bench_row(bench_fmt("%s: round trips/s, echo_server -b vs raw liburing with buffer rings",
			    label),
		  bench_fmt("%.0f k/s", MED(res[V_BUFRING], rtps) / 1e3),
		  bench_fmt("%.0f k/s", MED(res[V_RAW], rtps) / 1e3), bench_median(q_rt, RUNS),
		  BENCH_INFO, 0, 0, "report");
	bench_row(bench_fmt("%s: server CPU per round trip, echo_server -b vs raw with buffer rings",
			    label),
		  bench_fmt("%.0f ns", MED(res[V_BUFRING], cpu_ns_per_rt)),
		  bench_fmt("%.0f ns", MED(res[V_RAW], cpu_ns_per_rt)), bench_median(q_cpu, RUNS),
		  BENCH_INFO, 0, 0, "report");
	bench_row(bench_fmt("%s: round trips/s, echo_server plain (same load, for reference)", label),
		  bench_fmt("%.0f k/s", MED(res[V_PLAIN], rtps) / 1e3),
		  bench_fmt("%.0f ns CPU/rt", MED(res[V_PLAIN], cpu_ns_per_rt)), -1, BENCH_INFO, 0, 0,
		  "report");
	return 0;
}
