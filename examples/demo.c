/* SPDX-License-Identifier: MIT */
/*
 * `make demo`: the echo server and client of examples/echo.c, in one loop,
 *  1. on the real io_uring over 127.0.0.1 (an ephemeral port),
 *  2. unchanged on the simulated ring with faults injected (seed 42),
 *  3. on the simulated ring again with the same seed: the same trace hash.
 * Exits 0 when every echo came back byte-exact and the two hashes match.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <aring/sim.h>

#include "examples/echo.h"

#define MS (1000ull * 1000u)
#define SEC (1000ull * MS)
#define DEMO_SEED 42
#define OUT_BYTES 4096

static const char input[] = "hello, ring\n"
			    "one SQE in, one CQE out\n"
			    "the same code runs on the simulator\n"
			    "with virtual time and injected faults\n";

struct demo {
	int lfd, in[2], out[2];
	uint16_t port;
	int server_ret, client_ret;
	char got[OUT_BYTES];
	size_t got_len;
};

static const struct aring_opt op_opt = { .timeout_ns = SEC };

static int listen_on_loopback(aring_loop *loop, uint16_t *port)
{
	struct sockaddr_in a;
	socklen_t len = sizeof(a);
	int fd, ret;

	memset(&a, 0, sizeof(a));
	a.sin_family = AF_INET;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	fd = aring_socket(loop, AF_INET, SOCK_STREAM, 0, 0, NULL);
	if (fd < 0)
		return fd;
	ret = aring_bind(loop, fd, (struct sockaddr *)&a, sizeof(a), NULL);
	if (ret == 0)
		ret = aring_listen(loop, fd, 16, NULL);
	if (ret == 0 && aring_loop_backend(loop) == ARING_BACKEND_SIM)
		ret = aring_sim_getsockname(loop, fd, (struct sockaddr *)&a, &len);
	else if (ret == 0 && getsockname(fd, (struct sockaddr *)&a, &len) < 0)
		ret = -errno;
	if (ret < 0) {
		aring_close(loop, fd, NULL);
		return ret;
	}
	*port = ntohs(a.sin_port);
	return fd;
}

static int server(aring_loop *loop, void *arg)
{
	struct demo *d = arg;

	d->server_ret = echo_serve_for(loop, d->lfd, 2 * SEC, 1, SEC);
	return 0;
}

/* The client's stdin: the input in pieces of 7 bytes, then EOF. */
static int feeder(aring_loop *loop, void *arg)
{
	struct demo *d = arg;
	size_t i, n = strlen(input);

	for (i = 0; i < n; i += 7)
		if (aring_write_all(loop, d->in[1], input + i, n - i < 7 ? n - i : 7, &op_opt) < 0)
			break;
	return aring_close(loop, d->in[1], NULL);
}

/* The client's stdout: collect it. */
static int sink(aring_loop *loop, void *arg)
{
	struct demo *d = arg;
	int n;

	while ((n = aring_read(loop, d->out[0], d->got + d->got_len,
			       (unsigned)(sizeof(d->got) - 1 - d->got_len), (uint64_t)-1, &op_opt)) > 0)
		d->got_len += (size_t)n;
	return 0;
}

static int demo_main(aring_loop *loop, void *arg)
{
	struct demo *d = arg;
	struct sockaddr_in a;
	aring_task *ts, *tf, *to;
	int sock, ret;

	d->lfd = listen_on_loopback(loop, &d->port);
	if (d->lfd < 0)
		return d->lfd;
	ret = aring_pipe(loop, d->in, 0, NULL);
	if (ret == 0)
		ret = aring_pipe(loop, d->out, 0, NULL);
	if (ret < 0)
		return ret;
	aring_spawn(loop, server, d, &ts);
	aring_spawn(loop, feeder, d, &tf);
	aring_spawn(loop, sink, d, &to);
	memset(&a, 0, sizeof(a));
	a.sin_family = AF_INET;
	a.sin_port = htons(d->port);
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	sock = aring_socket(loop, AF_INET, SOCK_STREAM, 0, 0, NULL);
	ret = sock < 0 ? sock : aring_connect(loop, sock, (struct sockaddr *)&a, sizeof(a), &op_opt);
	d->client_ret = ret < 0 ? ret : echo_client(loop, d->in[0], d->out[1], sock, SEC);
	if (sock >= 0)
		aring_close(loop, sock, NULL);
	aring_close(loop, d->out[1], NULL);
	aring_join(loop, tf, NULL);
	aring_join(loop, to, NULL);
	aring_join(loop, ts, NULL);
	aring_close(loop, d->in[0], NULL);
	aring_close(loop, d->out[0], NULL);
	aring_close(loop, d->lfd, NULL);
	return 0;
}

/* Run the echo pair on a new loop; 0 if it ran, else -errno. */
static int run_demo(const struct aring_loop_opts *o, struct demo *d, struct aring_sim_stats *st,
		    uint64_t *hash, uint64_t *virtual_ns)
{
	aring_loop *loop;
	aring_task *t;
	int ret, result = 0;
	uint64_t t0;

	memset(d, 0, sizeof(*d));
	ret = aring_loop_new(&loop, o);
	if (ret < 0)
		return ret;
	t0 = aring_now_ns(loop);
	ret = aring_spawn(loop, demo_main, d, &t);
	if (ret == 0)
		ret = aring_run(loop);
	if (ret == 0)
		ret = aring_join(loop, t, &result);
	if (st) {
		aring_sim_stats(loop, st);
		*hash = aring_sim_trace_hash(loop);
		*virtual_ns = aring_now_ns(loop) - t0;
	}
	aring_loop_free(loop);
	return ret < 0 ? ret : result;
}

/* The output is byte-exact: all of the input, or (client error) a prefix. */
static bool echo_ok(const struct demo *d)
{
	size_t n = strlen(input);

	if (d->got_len > n || memcmp(d->got, input, d->got_len))
		return false;
	return d->client_ret < 0 || d->got_len == n;
}

static void print_lines(const char *prefix, const char *text, size_t len)
{
	while (len) {
		const char *nl = memchr(text, '\n', len);
		size_t n = nl ? (size_t)(nl - text) + 1 : len;

		printf("%s%.*s\n", prefix, (int)(nl ? n - 1 : n), text);
		text += n;
		len -= n;
	}
}

static void print_result(const struct demo *d)
{
	size_t n = strlen(input);

	if (d->client_ret == 0)
		printf("   client returned 0: %zu of %zu bytes echoed, byte-exact: %s\n", d->got_len, n,
		       echo_ok(d) ? "yes" : "NO");
	else
		printf("   client returned %d (%s), reported; %zu of %zu bytes echoed before, "
		       "byte-exact: %s\n", d->client_ret, strerror(-d->client_ret), d->got_len, n,
		       echo_ok(d) ? "yes" : "NO");
}

int main(void)
{
	struct aring_sim_opts so = {
		.seed = DEMO_SEED,
		.short_ppm = 400000,      /* 40% of reads/writes/sends/recvs move fewer bytes */
		.timeout_ppm = 20000,     /* 2% of ops stall until their timeout fires */
		.latency_min_ns = 10000,
		.latency_max_ns = 2 * MS,
	};
	struct aring_loop_opts uring = { .backend = ARING_BACKEND_URING };
	struct aring_loop_opts sim = { .backend = ARING_BACKEND_SIM, .sim = &so };
	struct aring_sim_stats st, st2;
	uint64_t h1, h2, vns, vns2;
	static struct demo d;
	bool ok = true;
	int ret;

	signal(SIGPIPE, SIG_IGN);
	printf("1. real io_uring: echo server and client tasks in one loop, 127.0.0.1\n");
	ret = run_demo(&uring, &d, NULL, NULL, NULL);
	if (ret == -ENOSYS || ret == -EPERM) {
		printf("   io_uring is not available here (%s): skipped\n", strerror(-ret));
	} else if (ret < 0) {
		printf("   failed: %s\n", strerror(-ret));
		ok = false;
	} else {
		printf("   port %u (ephemeral)\n", d.port);
		print_lines("   > ", input, strlen(input));
		print_lines("   < ", d.got, d.got_len);
		print_result(&d);
		ok = ok && d.client_ret == 0 && echo_ok(&d);
	}

	printf("\n2. the same code on the simulated ring, seed %d, faults: short_ppm=%" PRIu32
	       " timeout_ppm=%" PRIu32 ", latency %" PRIu64 " us..%" PRIu64 " ms\n", DEMO_SEED,
	       so.short_ppm, so.timeout_ppm, so.latency_min_ns / 1000, (uint64_t)(so.latency_max_ns / MS));
	ret = run_demo(&sim, &d, &st, &h1, &vns);
	if (ret < 0) {
		printf("   failed: %s\n", strerror(-ret));
		return 1;
	}
	print_lines("   < ", d.got, d.got_len);
	print_result(&d);
	printf("   injected: %" PRIu64 " short transfers, %" PRIu64 " timeouts, %" PRIu64
	       " cancels, %" PRIu64 " errors (in %" PRIu64 " ops, %" PRIu64
	       " ms of virtual time)\n", st.shorts_injected, st.timeouts_injected, st.cancels_injected,
	       st.errors_injected, st.ops, (uint64_t)(vns / MS));
	printf("   trace hash 0x%016" PRIx64 "\n", h1);
	ok = ok && echo_ok(&d);

	printf("\n3. seed %d again\n", DEMO_SEED);
	ret = run_demo(&sim, &d, &st2, &h2, &vns2);
	if (ret < 0) {
		printf("   failed: %s\n", strerror(-ret));
		return 1;
	}
	printf("   same seed, same run: hash 0x%016" PRIx64 " %s 0x%016" PRIx64 "\n", h2,
	       h1 == h2 ? "==" : "!=", h1);
	ok = ok && h1 == h2 && echo_ok(&d);
	printf("\ndemo: %s\n", ok ? "ok" : "FAILED");
	return ok ? 0 : 1;
}
