/* SPDX-License-Identifier: MIT */
/*
 * The network between nodes: connections across nodes, link latency at
 * exact virtual times, partitions (both ways, one way) and heal, TCP's
 * connect and retransmission timeouts, resets and clogging, and a stream
 * that arrives whole and in order under all of them.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <string.h>

#include "tests/helpers.h"

#define SEC 1000000000ull
#define MS 1000000ull
#define PORT 7000

#define world_new th_world_new
#define node_new th_node_new

static int listen_on(aring_loop *loop, uint16_t port)
{
	struct sockaddr_in a;
	int fd = aring_socket(loop, AF_INET, SOCK_STREAM, 0, 0, NULL);

	if (fd < 0)
		return fd;
	memset(&a, 0, sizeof(a));
	a.sin_family = AF_INET;
	a.sin_port = htons(port);
	CU_ASSERT_EQUAL(aring_bind(loop, fd, (struct sockaddr *)&a, sizeof(a), NULL), 0);
	CU_ASSERT_EQUAL(aring_listen(loop, fd, 16, NULL), 0);
	return fd;
}

/* Connect to node `name`, port PORT: the fd, or -errno. */
static int dial(aring_loop *loop, const char *name)
{
	struct sockaddr_in a;
	socklen_t len = sizeof(a);
	int fd, ret;

	ret = aring_sim_resolve(loop, name, (struct sockaddr *)&a, &len);
	if (ret)
		return ret;
	a.sin_port = htons(PORT);
	fd = aring_socket(loop, AF_INET, SOCK_STREAM, 0, 0, NULL);
	if (fd < 0)
		return fd;
	ret = aring_connect(loop, fd, (struct sockaddr *)&a, sizeof(a), NULL);
	if (ret) {
		aring_close(loop, fd, NULL);
		return ret;
	}
	return fd;
}

/* After 1 ms (the server listens by then), a connection to `name`; fatal if none. */
static int dial_late(aring_loop *loop, const char *name)
{
	int fd;

	aring_sleep(loop, MS);
	fd = dial(loop, name);
	CU_ASSERT_FATAL(fd >= 0);
	return fd;
}

/* Listen on PORT (*l) and accept one connection; fatal if none. */
static int accept_one(aring_loop *loop, int *l)
{
	int c;

	*l = listen_on(loop, PORT);
	c = aring_accept(loop, *l, NULL, NULL, 0, NULL);
	CU_ASSERT_FATAL(c >= 0);
	return c;
}

/*
 * A world of node "a" (running client) and node "b" (running server), every
 * link latency_ns (net_reset_ppm reset_ppm), run to its end; ab[0], ab[1]
 * are the nodes while it runs. The run's result.
 */
static int run_ab(uint64_t latency_ns, uint32_t reset_ppm, aring_fn server, aring_fn client,
		  void *arg, aring_loop **ab)
{
	struct aring_sim_opts o;
	aring_sim_world *w;
	int ret;

	memset(&o, 0, sizeof(o));
	o.net_latency_min_ns = o.net_latency_max_ns = latency_ns;
	o.net_reset_ppm = reset_ppm;
	w = world_new(&o);
	ab[0] = node_new(w, "a");
	ab[1] = node_new(w, "b");
	aring_spawn(ab[1], server, arg, NULL);
	aring_spawn(ab[0], client, arg, NULL);
	ret = aring_sim_world_run(w);
	aring_sim_world_free(w);
	return ret;
}

/* ---------------------------------------------------------------- echo with latency */

struct echo {
	aring_loop *srv, *cli;
	uint64_t t_reply;       /* when the client got its reply */
	uint64_t t_connected;   /* when its connect completed */
	struct sockaddr_in peer; /* as accept saw the client */
	int cli_res, srv_res;
};

static int echo_server(aring_loop *loop, void *arg)
{
	struct echo *e = arg;
	socklen_t len = sizeof(e->peer);
	int l = listen_on(loop, PORT), c, n;
	char buf[64];

	c = aring_accept(loop, l, (struct sockaddr *)&e->peer, &len, 0, NULL);
	CU_ASSERT(c >= 0);
	while ((n = aring_recv(loop, c, buf, sizeof(buf), 0, NULL)) > 0)
		CU_ASSERT_EQUAL(aring_send(loop, c, buf, (size_t)n, 0, NULL), n);
	e->srv_res = n;
	aring_close(loop, c, NULL);
	aring_close(loop, l, NULL);
	return 0;
}

static int echo_client(aring_loop *loop, void *arg)
{
	struct echo *e = arg;
	char buf[6];
	uint64_t t0;
	int fd;

	fd = dial_late(loop, "server");
	t0 = aring_now_ns(loop);
	e->t_connected = t0;
	CU_ASSERT_EQUAL(aring_send(loop, fd, "hello", 5, 0, NULL), 5);
	CU_ASSERT_EQUAL(aring_recv(loop, fd, buf, 5, MSG_WAITALL, NULL), 5);
	e->t_reply = aring_now_ns(loop) - t0;
	CU_ASSERT_EQUAL(memcmp(buf, "hello", 5), 0);
	e->cli_res = aring_close(loop, fd, NULL);
	return 0;
}

static void test_echo_latency(void)
{
	struct aring_sim_opts o;
	struct echo e;
	aring_sim_world *w;

	memset(&o, 0, sizeof(o));
	o.net_latency_min_ns = o.net_latency_max_ns = 7 * MS;
	w = world_new(&o);
	memset(&e, 0, sizeof(e));
	e.srv = node_new(w, "server");
	e.cli = node_new(w, "client");
	aring_spawn(e.srv, echo_server, &e, NULL);
	aring_spawn(e.cli, echo_client, &e, NULL);
	CU_ASSERT_EQUAL(aring_sim_world_run(w), 0);
	/* there and back: two link latencies, exactly; the connect took as long */
	CU_ASSERT_EQUAL(e.t_reply, 14 * MS);
	CU_ASSERT_EQUAL(e.t_connected, ARING_SIM_START_NS + MS + 14 * MS);
	CU_ASSERT_EQUAL(e.srv_res, 0); /* EOF after the client closed */
	CU_ASSERT_EQUAL(ntohl(e.peer.sin_addr.s_addr), 0x0a000002u); /* the client's node */
	aring_sim_world_free(w);
}

/* ---------------------------------------------------------------- a stream under faults */

#define NMSG 2000u

struct stream {
	unsigned got;
	int bad;
	int end;
};

static int stream_server(aring_loop *loop, void *arg)
{
	struct stream *st = arg;
	int l = listen_on(loop, PORT), c, n;
	uint32_t buf[100];
	uint8_t *p = (uint8_t *)buf;
	size_t have = 0;

	c = aring_accept(loop, l, NULL, NULL, 0, NULL);
	CU_ASSERT_FATAL(c >= 0);
	for (;;) {
		n = aring_recv(loop, c, p + have, sizeof(buf) - have, 0, NULL);
		if (n <= 0)
			break;
		have += (size_t)n;
		while (have >= 4) {
			uint32_t v;

			memcpy(&v, p, 4);
			if (v != st->got)
				st->bad++;
			st->got++;
			memmove(p, p + 4, have - 4);
			have -= 4;
		}
	}
	st->end = n;
	aring_close(loop, c, NULL);
	aring_close(loop, l, NULL);
	return 0;
}

static int stream_client(aring_loop *loop, void *arg)
{
	uint32_t i;
	int fd;

	(void)arg;
	fd = dial_late(loop, "server");
	for (i = 0; i < NMSG; i++) {
		CU_ASSERT_EQUAL(aring_send(loop, fd, &i, 4, 0, NULL), 4);
		if (i % 7 == 0)
			aring_sleep(loop, (i % 5) * 100000ull);
	}
	return aring_close(loop, fd, NULL);
}

static void test_stream_in_order(void)
{
	struct aring_sim_opts o;
	struct stream st;
	struct aring_sim_stats ss;
	aring_sim_world *w;
	aring_loop *srv, *cli;

	memset(&o, 0, sizeof(o));
	o.net_latency_min_ns = 100000;
	o.net_latency_max_ns = 3 * MS;
	o.net_clog_ppm = 200000;
	o.net_clog_min_ns = MS;
	o.net_clog_max_ns = 50 * MS;
	o.latency_max_ns = 200000;
	w = world_new(&o);
	srv = node_new(w, "server");
	cli = node_new(w, "client");
	memset(&st, 0, sizeof(st));
	aring_spawn(srv, stream_server, &st, NULL);
	aring_spawn(cli, stream_client, NULL, NULL);
	CU_ASSERT_EQUAL(aring_sim_world_run(w), 0);
	CU_ASSERT_EQUAL(st.got, NMSG);
	CU_ASSERT_EQUAL(st.bad, 0);
	CU_ASSERT_EQUAL(st.end, 0);
	CU_ASSERT_EQUAL(aring_sim_stats(srv, &ss), 0);
	aring_sim_world_free(w);
}

/* ---------------------------------------------------------------- partitions */

struct part {
	aring_loop *a, *b;
	uint64_t heal_at;       /* 0: never */
	uint64_t t_done;
	int res;
};

static int quiet_server(aring_loop *loop, void *arg)
{
	int l = listen_on(loop, PORT), c;
	char buf[16];
	int n;

	(void)arg;
	c = aring_accept(loop, l, NULL, NULL, 0, NULL);
	if (c < 0)
		return c;
	while ((n = aring_recv(loop, c, buf, sizeof(buf), 0, NULL)) > 0)
		;
	aring_close(loop, c, NULL);
	return aring_close(loop, l, NULL);
}

static int connect_through_partition(aring_loop *loop, void *arg)
{
	struct part *p = arg;
	uint64_t t0;
	int fd;

	aring_sleep(loop, MS);
	CU_ASSERT_EQUAL(aring_sim_partition(p->a, p->b, 0), 0);
	t0 = aring_now_ns(loop);
	fd = dial(loop, "b");
	p->t_done = aring_now_ns(loop) - t0;
	p->res = fd < 0 ? fd : 0;
	if (fd >= 0)
		aring_close(loop, fd, NULL);
	return 0;
}

static int healer(aring_loop *loop, void *arg)
{
	struct part *p = arg;

	aring_sleep(loop, MS + p->heal_at);
	return aring_sim_heal(p->a, p->b);
}

static void run_connect(struct part *p, uint64_t heal_at)
{
	aring_sim_world *w = world_new(NULL);
	aring_task *srv;
	aring_loop *ctl;

	memset(p, 0, sizeof(*p));
	p->a = node_new(w, "a");
	p->b = node_new(w, "b");
	ctl = node_new(w, "controller");
	p->heal_at = heal_at;
	aring_spawn(p->b, quiet_server, NULL, &srv);
	aring_spawn(p->a, connect_through_partition, p, NULL);
	if (heal_at)
		aring_spawn(ctl, healer, p, NULL); /* from a task of a third node */
	if (heal_at) {
		CU_ASSERT_EQUAL(aring_sim_world_run(w), 0);
	} else {
		/* the server waits forever for a connection that never comes */
		CU_ASSERT_EQUAL(aring_sim_world_run(w), -EDEADLK);
	}
	aring_sim_world_free(w);
}

static void test_connect_timeout(void)
{
	struct part p;

	run_connect(&p, 0);
	CU_ASSERT_EQUAL(p.res, -ETIMEDOUT);
	CU_ASSERT_EQUAL(p.t_done, ARING_SIM_CONNECT_TIMEOUT_NS);
}

static void test_connect_heal(void)
{
	struct part p;

	/* healed at 10 s: the SYN sent at 1+2+4+8 = 15 s gets through */
	run_connect(&p, 10 * SEC);
	CU_ASSERT_EQUAL(p.res, 0);
	CU_ASSERT_EQUAL(p.t_done, 15 * SEC);
}

/* Data meets a partition: held until the heal, then delivered. */
struct held {
	aring_loop *ab[2];
	uint64_t t_recv;
	int one_way_reply;
	int rto_res;
	uint64_t t_rto;
};

static int held_server(aring_loop *loop, void *arg)
{
	struct held *h = arg;
	int l, c = accept_one(loop, &l);
	char buf[8];

	CU_ASSERT_EQUAL(aring_recv(loop, c, buf, sizeof(buf), 0, NULL), 4);
	h->t_recv = aring_now_ns(loop);
	CU_ASSERT_EQUAL(aring_send(loop, c, "pong", 4, 0, NULL), 4);
	aring_sleep(loop, SEC);
	/* a->b is cut one way by now: this still reaches a */
	CU_ASSERT_EQUAL(aring_send(loop, c, "more", 4, 0, NULL), 4);
	CU_ASSERT_EQUAL(aring_recv(loop, c, buf, sizeof(buf), 0, NULL), 0);
	aring_close(loop, c, NULL);
	return aring_close(loop, l, NULL);
}

static int held_client(aring_loop *loop, void *arg)
{
	struct held *h = arg;
	char buf[8];
	int fd;

	fd = dial_late(loop, "b");
	CU_ASSERT_EQUAL(aring_sim_partition(h->ab[0], h->ab[1], 0), 0);
	CU_ASSERT_EQUAL(aring_send(loop, fd, "ping", 4, 0, NULL), 4);
	aring_sleep(loop, 30 * SEC);
	CU_ASSERT_EQUAL(aring_sim_heal(h->ab[0], h->ab[1]), 0);
	CU_ASSERT_EQUAL(aring_recv(loop, fd, buf, sizeof(buf), 0, NULL), 4);
	/* cut only a->b: b's next message still arrives */
	CU_ASSERT_EQUAL(aring_sim_partition(h->ab[0], h->ab[1], ARING_SIM_ONE_WAY), 0);
	h->one_way_reply = aring_recv(loop, fd, buf, sizeof(buf), 0, NULL);
	CU_ASSERT_EQUAL(memcmp(buf, "more", 4), 0);
	CU_ASSERT_EQUAL(aring_sim_heal(h->ab[0], h->ab[1]), 0);
	return aring_close(loop, fd, NULL);
}

static void test_partition_holds_data(void)
{
	struct held h;

	memset(&h, 0, sizeof(h));
	CU_ASSERT_EQUAL(run_ab(2 * MS, 0, held_server, held_client, &h, h.ab), 0);
	/* connected at 1 + 4 ms (a round trip); the ping is held from 7 ms, healed
	 * at 5 ms + 30 s, delivered one latency later */
	CU_ASSERT_EQUAL(h.t_recv, ARING_SIM_START_NS + 5 * MS + 30 * SEC + 2 * MS);
	CU_ASSERT_EQUAL(h.one_way_reply, 4);
}

static int rto_server(aring_loop *loop, void *arg)
{
	int l, c = accept_one(loop, &l);
	char buf[8];

	(void)arg;
	/* never gets the data; its own send then draws a reset */
	aring_sleep(loop, 2000 * SEC);
	CU_ASSERT_EQUAL(aring_send(loop, c, "x", 1, 0, NULL), 1);
	CU_ASSERT_EQUAL(aring_recv(loop, c, buf, sizeof(buf), MSG_DONTWAIT, NULL), -ECONNRESET);
	aring_close(loop, c, NULL);
	return aring_close(loop, l, NULL);
}

static int rto_client(aring_loop *loop, void *arg)
{
	struct held *h = arg;
	char buf[8];
	int fd;

	fd = dial_late(loop, "b");
	CU_ASSERT_EQUAL(aring_sim_partition(h->ab[0], h->ab[1], ARING_SIM_ONE_WAY), 0);
	CU_ASSERT_EQUAL(aring_send(loop, fd, "data", 4, 0, NULL), 4);
	h->rto_res = aring_recv(loop, fd, buf, sizeof(buf), 0, NULL);
	h->t_rto = aring_now_ns(loop);
	return aring_close(loop, fd, NULL);
}

static void test_retransmit_timeout(void)
{
	struct held h;

	memset(&h, 0, sizeof(h));
	CU_ASSERT_EQUAL(run_ab(2 * MS, 0, rto_server, rto_client, &h, h.ab), 0);
	CU_ASSERT_EQUAL(h.rto_res, -ETIMEDOUT);
	/* sent at 5 ms (after the connect's round trip), held from 7 ms */
	CU_ASSERT_EQUAL(h.t_rto, ARING_SIM_START_NS + 7 * MS + ARING_SIM_RETRANSMIT_TIMEOUT_NS);
}

/* ---------------------------------------------------------------- resets, routes */

struct rst {
	int srv_res, cli_res;
};

static int rst_server(aring_loop *loop, void *arg)
{
	struct rst *r = arg;
	int l, c = accept_one(loop, &l);
	char buf[8];

	r->srv_res = aring_recv(loop, c, buf, sizeof(buf), 0, NULL);
	aring_close(loop, c, NULL);
	return aring_close(loop, l, NULL);
}

static int rst_client(aring_loop *loop, void *arg)
{
	struct rst *r = arg;
	char buf[8];
	int fd;

	fd = dial_late(loop, "b");
	CU_ASSERT_EQUAL(aring_send(loop, fd, "data", 4, 0, NULL), 4);
	r->cli_res = aring_recv(loop, fd, buf, sizeof(buf), 0, NULL);
	return aring_close(loop, fd, NULL);
}

static void test_reset(void)
{
	aring_loop *ab[2];
	struct rst r;

	memset(&r, 0, sizeof(r));
	CU_ASSERT_EQUAL(run_ab(0, 1000000, rst_server, rst_client, &r, ab), 0);
	CU_ASSERT_EQUAL(r.srv_res, -ECONNRESET);
	CU_ASSERT_EQUAL(r.cli_res, -ECONNRESET);
}

static int routes(aring_loop *loop, void *arg)
{
	struct sockaddr_in a;
	int fd = aring_socket(loop, AF_INET, SOCK_STREAM, 0, 0, NULL);

	(void)arg;
	memset(&a, 0, sizeof(a));
	a.sin_family = AF_INET;
	a.sin_port = htons(PORT);
	a.sin_addr.s_addr = htonl(0x0a000063u); /* 10.0.0.99: no such node */
	CU_ASSERT_EQUAL(aring_connect(loop, fd, (struct sockaddr *)&a, sizeof(a), NULL), -ENETUNREACH);
	a.sin_addr.s_addr = htonl(0xc0a80001u); /* 192.168.0.1 */
	CU_ASSERT_EQUAL(aring_connect(loop, fd, (struct sockaddr *)&a, sizeof(a), NULL), -ENETUNREACH);
	a.sin_addr.s_addr = htonl(0x0a000002u); /* node b: nobody listens */
	CU_ASSERT_EQUAL(aring_connect(loop, fd, (struct sockaddr *)&a, sizeof(a), NULL), -ECONNREFUSED);
	aring_close(loop, fd, NULL);
	fd = aring_socket(loop, AF_INET, SOCK_STREAM, 0, 0, NULL);
	/* b's address is not a's own */
	CU_ASSERT_EQUAL(aring_bind(loop, fd, (struct sockaddr *)&a, sizeof(a), NULL), -EADDRNOTAVAIL);
	a.sin_addr.s_addr = htonl(0x0a000001u);
	CU_ASSERT_EQUAL(aring_bind(loop, fd, (struct sockaddr *)&a, sizeof(a), NULL), 0);
	return aring_close(loop, fd, NULL);
}

static void test_routes(void)
{
	aring_sim_world *w = world_new(NULL);
	aring_loop *a = node_new(w, "a");

	node_new(w, "b");
	aring_spawn(a, routes, NULL, NULL);
	CU_ASSERT_EQUAL(aring_sim_world_run(w), 0);
	aring_sim_world_free(w);
}

/* ---------------------------------------------------------------- determinism */

static uint64_t stream_world_hash(uint64_t seed)
{
	struct aring_sim_opts o;
	struct stream st;
	aring_sim_world *w = NULL;
	aring_loop *srv, *cli;
	uint64_t h;

	memset(&o, 0, sizeof(o));
	o.seed = seed;
	o.net_latency_min_ns = 10000;
	o.net_latency_max_ns = 5 * MS;
	o.net_clog_ppm = 100000;
	o.net_clog_max_ns = 20 * MS;
	o.latency_max_ns = 100000;
	CU_ASSERT_FATAL(aring_sim_world_new(&w, &o) == 0);
	srv = node_new(w, "server");
	cli = node_new(w, "client");
	memset(&st, 0, sizeof(st));
	aring_spawn(srv, stream_server, &st, NULL);
	aring_spawn(cli, stream_client, NULL, NULL);
	CU_ASSERT_EQUAL(aring_sim_world_run(w), 0);
	CU_ASSERT_EQUAL(st.got, NMSG);
	h = aring_sim_world_trace_hash(w);
	aring_sim_world_free(w);
	return h;
}

static void test_network_deterministic(void)
{
	uint64_t h = stream_world_hash(th_cfg->seed);

	CU_ASSERT_EQUAL(stream_world_hash(th_cfg->seed), h);
	CU_ASSERT_NOT_EQUAL(stream_world_hash(th_cfg->seed ^ 0x5555), h);
}

static CU_TestInfo tests[] = {
	{ "echo across nodes: two link latencies exactly", test_echo_latency },
	{ "a stream under latency and clogging: whole, in order", test_stream_in_order },
	{ "connect across a partition: -ETIMEDOUT after 127 s", test_connect_timeout },
	{ "connect across a partition healed at 10 s: through at 15 s", test_connect_heal },
	{ "data held by a partition, delivered after heal; one way", test_partition_holds_data },
	{ "data held past the retransmission timeout: -ETIMEDOUT", test_retransmit_timeout },
	{ "net_reset_ppm: both ends see -ECONNRESET", test_reset },
	{ "routes: unreachable, refused, own addresses", test_routes },
	{ "same seed, same network, same world hash", test_network_deterministic },
	CU_TEST_INFO_NULL,
};

int main(int argc, char **argv)
{
	return th_main(argc, argv, "sim world net", tests, TH_SIM);
}
