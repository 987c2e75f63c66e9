/* SPDX-License-Identifier: MIT */
/*
 * The echo example's server and client logic (examples/echo.c) in one loop
 * over real loopback: the client's stdin and stdout are pipes.
 */
#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "examples/echo.h"
#include "tests/helpers.h"

#define MS (1000ull * 1000u)

struct server {
	int lfd;
	unsigned conns;
	uint64_t timeout_ns;
	bool bufring;      /* echo_server -b: a pool and multishot receives */
};

static int server(aring_loop *loop, void *arg)
{
	struct server *s = arg;
	aring_bufpool *pool;
	int ret;

	if (!s->bufring)
		return echo_serve(loop, s->lfd, s->timeout_ns, s->conns);
	/* A small pool, so that the kernel runs out of buffers and re-arms. */
	ret = aring_bufpool_new(loop, &pool, 0, 2, 8, 0);
	if (ret < 0)
		return ret;
	ret = echo_serve_pool(loop, s->lfd, pool, s->timeout_ns, s->conns, 0);
	/* The connection's task ends before the client's closes (joined below). */
	while (aring_bufpool_free(pool) == -EBUSY)
		aring_sleep(loop, MS);
	return ret;
}

struct feed {
	int fd;
	const char *data;
	bool keep_open;   /* do not close: the client's read must time out */
};

static int feeder(aring_loop *loop, void *arg)
{
	struct feed *f = arg;
	size_t i, n = strlen(f->data);
	int ret = 0;

	/* In pieces that do not follow line boundaries. */
	for (i = 0; i < n && ret >= 0; i += 5) {
		ret = aring_write_all(loop, f->fd, f->data + i, n - i < 5 ? n - i : 5, NULL);
		aring_sleep(loop, MS);
	}
	if (!f->keep_open)
		aring_close(loop, f->fd, NULL);
	return ret < 0 ? ret : 0;
}

struct sink {
	int fd;
	char buf[4096];
	size_t got;
};

static int sink(aring_loop *loop, void *arg)
{
	struct sink *s = arg;

	for (;;) {
		int n = aring_read(loop, s->fd, s->buf + s->got, (unsigned)(sizeof(s->buf) - 1 - s->got), 0,
				   NULL);

		if (n <= 0)
			return n;
		s->got += (size_t)n;
	}
}

struct run {
	bool bufring;
	const char *input;
	bool keep_open;
	uint64_t client_timeout_ns;
	int client_ret;
	struct sink out;
};

static int client_and_server(aring_loop *loop, void *arg)
{
	struct run *r = arg;
	struct server srv = { .conns = 1, .timeout_ns = ECHO_SERVER_TIMEOUT_NS,
			      .bufring = r->bufring };
	struct feed feed = { .data = r->input, .keep_open = r->keep_open };
	struct sockaddr_in a;
	aring_task *ts, *tf, *to;
	int in[2], out[2], sock;
	uint16_t port = 0;

	srv.lfd = th_listen(loop, &port);
	CU_ASSERT(srv.lfd >= 0);
	ts = th_spawn(loop, server, &srv);
	CU_ASSERT_EQUAL(aring_pipe(loop, in, 0, NULL), 0);
	CU_ASSERT_EQUAL(aring_pipe(loop, out, 0, NULL), 0);
	feed.fd = in[1];
	tf = th_spawn(loop, feeder, &feed);
	r->out.fd = out[0];
	to = th_spawn(loop, sink, &r->out);
	sock = aring_socket(loop, AF_INET, SOCK_STREAM, 0, 0, NULL);
	a = th_addr(port);
	CU_ASSERT_EQUAL(aring_connect(loop, sock, (struct sockaddr *)&a, sizeof(a), NULL), 0);
	r->client_ret = echo_client(loop, in[0], out[1], sock, r->client_timeout_ns);
	aring_close(loop, sock, NULL);
	aring_close(loop, out[1], NULL);
	CU_ASSERT_EQUAL(th_join(loop, ts), 0);
	CU_ASSERT_EQUAL(th_join(loop, tf), 0);
	CU_ASSERT_EQUAL(th_join(loop, to), 0);
	if (r->keep_open)
		aring_close(loop, in[1], NULL);
	aring_close(loop, in[0], NULL);
	aring_close(loop, out[0], NULL);
	aring_close(loop, srv.lfd, NULL);
	return 0;
}

static void test_echo_lines(void)
{
	struct run r = { .input = "hello\nworld, a longer line\n\nlast line, no newline",
			 .client_timeout_ns = ECHO_CLIENT_TIMEOUT_NS };

	CU_ASSERT_EQUAL(th_run(client_and_server, &r, 0), 0);
	CU_ASSERT_EQUAL(r.client_ret, 0);
	CU_ASSERT_EQUAL(r.out.got, strlen(r.input));
	CU_ASSERT_STRING_EQUAL(r.out.buf, r.input);
}

/* echo_server -b: the same lines through a pool of 2 buffers of 8 bytes. */
static void test_echo_lines_bufring(void)
{
	struct run r = { .bufring = true,
			 .input = "hello\nworld, a longer line\n\nlast line, no newline",
			 .client_timeout_ns = ECHO_CLIENT_TIMEOUT_NS };

	CU_ASSERT_EQUAL(th_run(client_and_server, &r, 0), 0);
	CU_ASSERT_EQUAL(r.client_ret, 0);
	CU_ASSERT_EQUAL(r.out.got, strlen(r.input));
	CU_ASSERT_STRING_EQUAL(r.out.buf, r.input);
}

static void test_echo_client_read_timeout(void)
{
	/* Input stops without EOF: the client's read times out and it ends cleanly. */
	struct run r = { .input = "one\ntwo\n", .keep_open = true, .client_timeout_ns = 50 * MS };

	CU_ASSERT_EQUAL(th_run(client_and_server, &r, 0), 0);
	CU_ASSERT_EQUAL(r.client_ret, 0);
	CU_ASSERT_STRING_EQUAL(r.out.buf, "one\ntwo\n");
}

static int idle_client(aring_loop *loop, void *arg)
{
	struct server srv = { .conns = 1, .timeout_ns = 20 * MS };
	struct sockaddr_in a;
	aring_task *ts;
	uint16_t port = 0;
	uint64_t t0;
	char c;
	int sock, ret;

	srv.lfd = th_listen(loop, &port);
	ts = th_spawn(loop, server, &srv);
	sock = aring_socket(loop, AF_INET, SOCK_STREAM, 0, 0, NULL);
	a = th_addr(port);
	CU_ASSERT_EQUAL(aring_connect(loop, sock, (struct sockaddr *)&a, sizeof(a), NULL), 0);
	/* Say nothing: the server closes the connection after its recv timeout. */
	t0 = aring_now_ns(loop);
	ret = aring_recv(loop, sock, &c, 1, 0, NULL);
	CU_ASSERT_EQUAL(ret, 0);
	CU_ASSERT(aring_now_ns(loop) - t0 >= 20 * MS);
	CU_ASSERT_EQUAL(th_join(loop, ts), 0);
	aring_close(loop, sock, NULL);
	aring_close(loop, srv.lfd, NULL);
	return 0;
}

static void test_echo_server_idle_timeout(void)
{
	CU_ASSERT_EQUAL(th_run(idle_client, NULL, 0), 0);
}

static CU_TestInfo tests[] = {
	{ "echo lines over loopback", test_echo_lines },
	{ "echo lines, buffer ring mode (-b)", test_echo_lines_bufring },
	{ "client ends cleanly when its input times out", test_echo_client_read_timeout },
	{ "server closes an idle connection", test_echo_server_idle_timeout },
	CU_TEST_INFO_NULL,
};

int main(int argc, char **argv)
{
	return th_main(argc, argv, "echo", tests, TH_BOTH);
}
