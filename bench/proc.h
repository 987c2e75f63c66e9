/* SPDX-License-Identifier: MIT */
/*
 * Helpers of the benches that run a server process against a client:
 * pinning to a CPU, a free loopback port, a process's CPU time.
 */
#ifndef ARING_BENCH_PROC_H
#define ARING_BENCH_PROC_H

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/tcp.h>
#include <netinet/in.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bench/bench.h"

static inline void bench_pin(pid_t pid, int cpu)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	sched_setaffinity(pid, sizeof(set), &set);
}

/* A port on 127.0.0.1 that was free a moment ago. */
static inline int bench_free_port(void)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t len = sizeof(sa);
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
	    getsockname(fd, (struct sockaddr *)&sa, &len) < 0)
		bench_die("free_port", errno);
	close(fd);
	return ntohs(sa.sin_port);
}

/* CPU time of process pid, all its threads (/proc/PID/schedstat); 0 if unknown. */
static inline uint64_t bench_proc_cpu_ns(pid_t pid)
{
	char path[64];
	unsigned long long ns = 0;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/schedstat", (int)pid);
	f = fopen(path, "r");
	if (!f)
		return 0;
	if (fscanf(f, "%llu", &ns) != 1)
		ns = 0;
	fclose(f);
	return ns;
}

/*
 * Connect to 127.0.0.1:port (TCP_NODELAY, nonblocking), retrying every 2 ms
 * while the server process starts; exits naming who when the server died
 * or timeout_ns passed.
 */
static inline int bench_connect_retry(int port, pid_t server, uint64_t timeout_ns, const char *who)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port),
				  .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	uint64_t deadline = bench_now_ns() + timeout_ns;

	for (;;) {
		int fd = socket(AF_INET, SOCK_STREAM, 0), one = 1, status;

		if (fd < 0)
			bench_die("socket", errno);
		if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0) {
			setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
			fcntl(fd, F_SETFL, O_NONBLOCK);
			return fd;
		}
		close(fd);
		if (bench_now_ns() > deadline || waitpid(server, &status, WNOHANG) == server) {
			fprintf(stderr, "%s: server on port %d did not come up\n", who, port);
			exit(1);
		}
		usleep(2000);
	}
}

#endif
