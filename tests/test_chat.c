/* SPDX-License-Identifier: MIT */
/*
 * The chat example (examples/chat.c): the server and its clients as tasks of
 * one loop, over real 127.0.0.1 sockets on uring and simulated ones on the
 * sim, where some runs also get short transfers, errors and stalled ops.
 * What is checked: every line a client receives is a whole line another
 * client sent, each sender's lines in the order sent, never its own; with no
 * faults and room in the queues, every line reaches every other client; a
 * client that does not read loses lines (dropped) and is cut off without
 * holding up the others.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "examples/chat.h"
#include "tests/helpers.h"

#define MS (1000ull * 1000u)
#define MAXC 8

/* Line l of sender s: "s<s> l<l> " and a padding that depends on both, then '\n'. */
static size_t make_line(char *buf, unsigned s, unsigned l, unsigned pad_max)
{
	size_t n = (size_t)sprintf(buf, "s%u l%u ", s, l);
	unsigned pad = (s * 31 + l * 7) % (pad_max + 1), i;

	for (i = 0; i < pad; i++)
		buf[n++] = (char)('a' + (s + l + i) % 26);
	buf[n++] = '\n';
	return n;
}

struct run;

struct client {
	struct run *r;
	unsigned id;
	int sock;
	unsigned sent;              /* lines sent in full */
	unsigned got;               /* lines received */
	int last[MAXC];             /* last line index received per sender, -1: none */
	bool bad;                   /* a line that was not sent, out of order, or its own */
	int ret;
};

struct run {
	unsigned nclients, lines, pad_max, queue;
	bool faults;                /* some lines may be lost: check order only */
	uint64_t read_timeout_ns;
	aring_chan *go;             /* closed when every client is connected */
	struct chat_server *srv;
	struct chat_stats st;
	struct client c[MAXC];
};

/* Check one received line against what its sender sent. */
static void check_line(struct client *c, const char *line, size_t len)
{
	char want[CHAT_LINE_MAX + 64];
	unsigned s, l;

	if (sscanf(line, "s%u l%u ", &s, &l) != 2 || s >= c->r->nclients || s == c->id ||
	    l >= c->r->lines || (int)l <= c->last[s] ||
	    make_line(want, s, l, c->r->pad_max) != len || memcmp(want, line, len)) {
		c->bad = true;
		return;
	}
	if (!c->r->faults && (int)l != c->last[s] + 1)
		c->bad = true;  /* nothing may be lost without faults */
	c->last[s] = (int)l;
}

static int client_task(aring_loop *loop, void *arg)
{
	struct client *c = arg;
	struct run *r = c->r;
	struct aring_opt opt = { .timeout_ns = 2000 * MS };
	unsigned want = (r->nclients - 1) * r->lines, l, i;
	char buf[8192], line[CHAT_LINE_MAX + 64];
	size_t have = 0;
	int ret;

	for (i = 0; i < MAXC; i++)
		c->last[i] = -1;
	ret = aring_chan_recv(loop, r->go, NULL, NULL);  /* -EPIPE: everyone is in */
	CU_ASSERT_EQUAL(ret, -EPIPE);
	for (l = 0; l < r->lines; l++) {
		size_t n = make_line(line, c->id, l, r->pad_max);

		if (aring_send_all(loop, c->sock, line, n, MSG_NOSIGNAL, &opt) < 0)
			break;
		c->sent++;
	}
	while (c->got < want) {
		char *nl;
		int n = aring_recv(loop, c->sock, buf + have, (unsigned)(sizeof(buf) - have), 0, &opt);

		if (n <= 0) {
			c->ret = n;
			break;
		}
		have += (size_t)n;
		while ((nl = memchr(buf, '\n', have))) {
			size_t len = (size_t)(nl - buf) + 1;

			check_line(c, buf, len);
			c->got++;
			memmove(buf, buf + len, have - len);
			have -= len;
		}
	}
	aring_close(loop, c->sock, NULL);
	return 0;
}

/* A client socket; rcvbuf (uring only, 0 = default) bounds what it takes unread. */
static int connect_rcvbuf(aring_loop *loop, uint16_t port, int rcvbuf)
{
	struct sockaddr_in a = th_addr(port);
	int sock = aring_socket(loop, AF_INET, SOCK_STREAM, 0, 0, NULL), ret;

	if (sock < 0)
		return sock;
	if (rcvbuf && !th_is_sim())
		CU_ASSERT_EQUAL(setsockopt(sock, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf)), 0);
	ret = aring_connect(loop, sock, (struct sockaddr *)&a, sizeof(a), NULL);
	if (ret < 0) {
		aring_close(loop, sock, NULL);
		return ret;
	}
	return sock;
}

static int connect_to(aring_loop *loop, uint16_t port)
{
	return connect_rcvbuf(loop, port, 0);
}

/* Until the server has n clients (a bounded wait). */
static int wait_clients(aring_loop *loop, struct chat_server *srv, unsigned n)
{
	unsigned i;

	for (i = 0; i < 10000 && chat_server_clients(srv) != n; i++)
		aring_sleep(loop, MS);
	return chat_server_clients(srv) == n ? 0 : -ETIME;
}

static int broadcast_main(aring_loop *loop, void *arg)
{
	struct run *r = arg;
	struct chat_opts o = { .queue_lines = r->queue, .read_timeout_ns = r->read_timeout_ns,
			       .write_timeout_ns = 2000 * MS };
	aring_task *t[MAXC];
	uint16_t port = 0;
	unsigned i, connected = 0;
	int lfd = -1;

	/* Faults may hit the fixture's own socket calls too: a few tries. */
	for (i = 0; i < 20 && lfd < 0; i++)
		lfd = th_listen(loop, &port);
	CU_ASSERT_FATAL(lfd >= 0);
	CU_ASSERT_EQUAL_FATAL(chat_server_start(loop, lfd, &o, &r->srv), 0);
	CU_ASSERT_EQUAL_FATAL(aring_chan_new(loop, 0, 0, &r->go), 0);
	for (i = 0; i < r->nclients; i++) {
		r->c[i].r = r;
		r->c[i].id = i;
		r->c[i].sock = connect_to(loop, port);
		if (!r->faults)
			CU_ASSERT(r->c[i].sock >= 0);
		connected += r->c[i].sock >= 0;
	}
	if (connected == r->nclients) {
		/* With faults an accept may fail: the clients then time out waiting. */
		if (wait_clients(loop, r->srv, r->nclients) < 0)
			CU_ASSERT(r->faults);
		for (i = 0; i < r->nclients; i++)
			t[i] = th_spawn(loop, client_task, &r->c[i]);
		aring_chan_close(loop, r->go);
		for (i = 0; i < r->nclients; i++)
			th_join(loop, t[i]);
	} else {
		for (i = 0; i < r->nclients; i++)
			if (r->c[i].sock >= 0)
				aring_close(loop, r->c[i].sock, NULL);
	}
	aring_chan_free(r->go);
	CU_ASSERT_EQUAL(chat_server_stop(loop, r->srv, &r->st), 0);
	return 0;
}

static void check_run(struct run *r)
{
	unsigned i, sent = 0;

	if (getenv("CHAT_DEBUG"))
		fprintf(stderr, "run: lines %llu queued %llu dropped %llu sent %llu disc %llu\n",
			(unsigned long long)r->st.lines, (unsigned long long)r->st.queued,
			(unsigned long long)r->st.dropped, (unsigned long long)r->st.sent,
			(unsigned long long)r->st.disconnected);
	for (i = 0; i < r->nclients; i++) {
		CU_ASSERT_FALSE(r->c[i].bad);
		sent += r->c[i].sent;
	}
	CU_ASSERT(r->st.lines <= sent);
	CU_ASSERT(r->st.sent <= r->st.queued);
	CU_ASSERT(r->st.queued + r->st.dropped <= (uint64_t)r->st.lines * (r->nclients - 1));
}

static void test_broadcast(void)
{
	struct run r = { .nclients = 6, .lines = 50, .pad_max = 40, .queue = 512 };
	unsigned i;

	CU_ASSERT_EQUAL(th_run(broadcast_main, &r, 0), 0);
	check_run(&r);
	for (i = 0; i < r.nclients; i++) {
		CU_ASSERT_EQUAL(r.c[i].ret, 0);
		CU_ASSERT_EQUAL(r.c[i].got, (r.nclients - 1) * r.lines);
	}
	CU_ASSERT_EQUAL(r.st.clients, r.nclients);
	CU_ASSERT_EQUAL(r.st.lines, r.nclients * r.lines);
	CU_ASSERT_EQUAL(r.st.sent, r.nclients * r.lines * (r.nclients - 1));
	CU_ASSERT_EQUAL(r.st.dropped, 0);
}

static int long_main(aring_loop *loop, void *arg)
{
	struct aring_opt opt = { .timeout_ns = 2000 * MS };
	char line[3 * CHAT_LINE_MAX + 10], got[sizeof(line)];
	struct chat_server *srv;
	struct chat_stats st;
	uint16_t port = 0;
	size_t have = 0, i;
	int lfd, a, b, n = 1;

	for (i = 0; i < sizeof(line) - 1; i++)
		line[i] = (char)('A' + i % 26);
	line[sizeof(line) - 1] = '\n';
	lfd = th_listen(loop, &port);
	CU_ASSERT_FATAL(lfd >= 0);
	CU_ASSERT_EQUAL_FATAL(chat_server_start(loop, lfd, NULL, &srv), 0);
	a = connect_to(loop, port);
	b = connect_to(loop, port);
	CU_ASSERT_FATAL(a >= 0 && b >= 0);
	CU_ASSERT_EQUAL(wait_clients(loop, srv, 2), 0);
	CU_ASSERT_EQUAL(aring_send_all(loop, a, line, sizeof(line), MSG_NOSIGNAL, &opt), (int)sizeof(line));
	while (have < sizeof(line) && n > 0) {
		n = aring_recv(loop, b, got + have, (unsigned)(sizeof(got) - have), 0, &opt);
		have += n > 0 ? (size_t)n : 0;
	}
	CU_ASSERT_EQUAL(have, sizeof(line));
	CU_ASSERT(memcmp(got, line, sizeof(line)) == 0);
	aring_close(loop, a, NULL);
	aring_close(loop, b, NULL);
	CU_ASSERT_EQUAL(chat_server_stop(loop, srv, &st), 0);
	/* 778 bytes: three pieces of CHAT_LINE_MAX and the rest with its newline. */
	CU_ASSERT_EQUAL(st.lines, (sizeof(line) + CHAT_LINE_MAX - 1) / CHAT_LINE_MAX);
	return 0;
}

static void test_long_lines_split(void)
{
	CU_ASSERT_EQUAL(th_run(long_main, NULL, 0), 0);
}

static int run_on_faulty_sim(struct run *r, const struct aring_sim_opts *so)
{
	aring_loop *loop = th_loop_new_sim(0, so);
	int ret;

	if (!loop)
		return -ENOMEM;
	ret = th_run_on(loop, broadcast_main, r);
	aring_loop_free(loop);
	return ret;
}

static void test_short_transfers(void)
{
	/* Short sends and recvs everywhere: framing must still give whole lines, all of them. */
	struct aring_sim_opts so = { .short_ppm = 300000, .latency_max_ns = 50000 };
	struct run r = { .nclients = 5, .lines = 40, .pad_max = 60, .queue = 512 };
	unsigned i;

	CU_ASSERT_EQUAL(run_on_faulty_sim(&r, &so), 0);
	check_run(&r);
	for (i = 0; i < r.nclients; i++)
		CU_ASSERT_EQUAL(r.c[i].got, (r.nclients - 1) * r.lines);
	CU_ASSERT_EQUAL(r.st.dropped, 0);
}

static void test_errors_and_timeouts(void)
{
	/* Errors, cancels and stalled ops: lines may be lost, never corrupted or reordered. */
	struct aring_sim_opts so = { .short_ppm = 100000, .error_ppm = 5000, .timeout_ppm = 5000,
				     .cancel_ppm = 2000, .latency_max_ns = 100000 };
	struct run r = { .nclients = 5, .lines = 40, .pad_max = 60, .queue = 8, .faults = true,
			 .read_timeout_ns = 500 * MS };

	CU_ASSERT_EQUAL(run_on_faulty_sim(&r, &so), 0);
	check_run(&r);
}

/* ---- a client that does not read */

struct slow {
	struct chat_server *srv;
	aring_chan *ack;
	int fast, slow, sender;
	unsigned lines;
	unsigned fast_got;
	bool fast_bad;
	int fast_ret;
};

static int fast_reader(aring_loop *loop, void *arg)
{
	struct slow *s = arg;
	struct aring_opt opt = { .timeout_ns = 5000 * MS };
	char buf[4096], want[CHAT_LINE_MAX + 64];
	size_t have = 0;

	while (s->fast_got < s->lines) {
		char *nl;
		int n = aring_recv(loop, s->fast, buf + have, (unsigned)(sizeof(buf) - have), 0, &opt);

		if (n <= 0) {
			s->fast_ret = n;
			break;
		}
		have += (size_t)n;
		while ((nl = memchr(buf, '\n', have))) {
			size_t len = (size_t)(nl - buf) + 1;

			if (make_line(want, 0, s->fast_got, 240) != len || memcmp(want, buf, len))
				s->fast_bad = true;
			s->fast_got++;
			memmove(buf, buf + len, have - len);
			have -= len;
			aring_chan_send(loop, s->ack, &(char){ 0 }, NULL);
		}
	}
	return 0;
}

static int slow_main(aring_loop *loop, void *arg)
{
	struct slow *s = arg;
	struct chat_opts o = { .queue_lines = 4, .write_timeout_ns = 200 * MS };
	struct aring_opt opt = { .timeout_ns = 5000 * MS };
	struct chat_stats st;
	char line[CHAT_LINE_MAX + 64];
	uint16_t port = 0;
	aring_task *t;
	unsigned l, i;
	int lfd, last = -1, n;
	char buf[4096];
	size_t have = 0;
	bool slow_bad = false;

	lfd = th_listen(loop, &port);
	CU_ASSERT_FATAL(lfd >= 0);
	CU_ASSERT_EQUAL_FATAL(chat_server_start(loop, lfd, &o, &s->srv), 0);
	CU_ASSERT_EQUAL_FATAL(aring_chan_new(loop, 1, 16, &s->ack), 0);
	s->sender = connect_to(loop, port);
	s->fast = connect_to(loop, port);
	s->slow = connect_rcvbuf(loop, port, 4096);
	CU_ASSERT_FATAL(s->sender >= 0 && s->fast >= 0 && s->slow >= 0);
	CU_ASSERT_EQUAL(wait_clients(loop, s->srv, 3), 0);
	t = th_spawn(loop, fast_reader, s);
	/* One line at a time, each after the fast client got the one before. */
	for (l = 0; l < s->lines; l++) {
		size_t len = make_line(line, 0, l, 240);

		if (aring_send_all(loop, s->sender, line, len, MSG_NOSIGNAL, &opt) < 0 ||
		    aring_chan_recv(loop, s->ack, &(char){ 0 }, &opt) < 0)
			break;
	}
	th_join(loop, t);
	CU_ASSERT_EQUAL(s->fast_ret, 0);
	CU_ASSERT_EQUAL(s->fast_got, s->lines);
	CU_ASSERT_FALSE(s->fast_bad);
	/* The slow client is cut off after write_timeout_ns without progress. */
	for (i = 0; i < 10000 && chat_server_clients(s->srv) != 2; i++)
		aring_sleep(loop, MS);
	CU_ASSERT_EQUAL(chat_server_clients(s->srv), 2);
	/* What it got before that: whole lines of the sender, in order, with gaps. */
	while ((n = aring_recv(loop, s->slow, buf + have, (unsigned)(sizeof(buf) - have), 0, &opt)) > 0) {
		char *nl;

		have += (size_t)n;
		while ((nl = memchr(buf, '\n', have))) {
			size_t len = (size_t)(nl - buf) + 1;
			unsigned ls, ll;

			if (sscanf(buf, "s%u l%u", &ls, &ll) != 2 || ls != 0 || (int)ll <= last ||
			    make_line(line, 0, ll, 240) != len || memcmp(line, buf, len))
				slow_bad = true;
			else
				last = (int)ll;
			memmove(buf, buf + len, have - len);
			have -= len;
		}
	}
	CU_ASSERT(n == 0 || n == -ECONNRESET);
	CU_ASSERT_FALSE(slow_bad);
	aring_close(loop, s->sender, NULL);
	aring_close(loop, s->fast, NULL);
	aring_close(loop, s->slow, NULL);
	aring_chan_free(s->ack);
	CU_ASSERT_EQUAL(chat_server_stop(loop, s->srv, &st), 0);
	if (getenv("CHAT_DEBUG"))
		fprintf(stderr, "slow: lines %llu dropped %llu sent %llu disconnected %llu\n",
			(unsigned long long)st.lines, (unsigned long long)st.dropped,
			(unsigned long long)st.sent, (unsigned long long)st.disconnected);
	CU_ASSERT(st.dropped > 0);
	CU_ASSERT_EQUAL(st.disconnected, 1);
	CU_ASSERT_EQUAL(st.lines, s->lines);
	return 0;
}

static void test_slow_client(void)
{
	/* More than the slow client's socket buffers hold: 256 KiB on the sim, up to 4 MiB on Linux. */
	struct slow s = { .lines = th_is_sim() ? 5000 : 24000 };

	CU_ASSERT_EQUAL(th_run(slow_main, &s, 0), 0);
}

static int idle_main(aring_loop *loop, void *arg)
{
	struct chat_opts o = { .read_timeout_ns = 30 * MS };
	struct chat_server *srv;
	struct chat_stats st;
	uint16_t port = 0;
	int lfd, sock;
	char c;

	lfd = th_listen(loop, &port);
	CU_ASSERT_FATAL(lfd >= 0);
	CU_ASSERT_EQUAL_FATAL(chat_server_start(loop, lfd, &o, &srv), 0);
	sock = connect_to(loop, port);
	CU_ASSERT_FATAL(sock >= 0);
	/* Say nothing: the server's read times out and it closes the connection. */
	CU_ASSERT_EQUAL(aring_recv(loop, sock, &c, 1, 0, NULL), 0);
	CU_ASSERT_EQUAL(chat_server_clients(srv), 0);
	aring_close(loop, sock, NULL);
	CU_ASSERT_EQUAL(chat_server_stop(loop, srv, &st), 0);
	CU_ASSERT_EQUAL(st.clients, 1);
	return 0;
}

static void test_idle_client_closed(void)
{
	CU_ASSERT_EQUAL(th_run(idle_main, NULL, 0), 0);
}

static void test_next_line(void)
{
	char buf[CHAT_LINE_MAX * 2 + 8];
	struct chat_msg m;
	size_t pos = 0;

	if (th_is_sim() && th_cfg->seed != 1)
		return;  /* pure function: once is enough */
	memcpy(buf, "ab\ncd", 5);
	CU_ASSERT_TRUE(chat_next_line(buf, 5, &pos, &m));
	CU_ASSERT_EQUAL(m.len, 3);
	CU_ASSERT_EQUAL(pos, 3);
	CU_ASSERT_FALSE(chat_next_line(buf, 5, &pos, &m));
	memset(buf, 'x', sizeof(buf));
	pos = 0;
	CU_ASSERT_TRUE(chat_next_line(buf, sizeof(buf), &pos, &m));
	CU_ASSERT_EQUAL(m.len, CHAT_LINE_MAX);
	CU_ASSERT_TRUE(chat_next_line(buf, sizeof(buf), &pos, &m));
	CU_ASSERT_FALSE(chat_next_line(buf, sizeof(buf), &pos, &m));
	CU_ASSERT_EQUAL(pos, 2 * CHAT_LINE_MAX);
}

static CU_TestInfo tests[] = {
	{ "line framing", test_next_line },
	{ "every line reaches every other client, in order", test_broadcast },
	{ "lines longer than CHAT_LINE_MAX go in pieces", test_long_lines_split },
	{ "short transfers (sim): all lines, whole", test_short_transfers },
	{ "errors, cancels, timeouts (sim): no corrupt or reordered line", test_errors_and_timeouts },
	{ "a client that does not read: dropped, cut off, others unaffected", test_slow_client },
	{ "an idle client is closed after the read timeout", test_idle_client_closed },
	CU_TEST_INFO_NULL,
};

int main(int argc, char **argv)
{
	th_ignore_sigpipe();
	return th_main(argc, argv, "chat", tests, TH_BOTH);
}
