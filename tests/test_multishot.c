/* SPDX-License-Identifier: MIT */
/* Multishot ops: aring_accept_multishot and aring_poll_multishot. */
#include <errno.h>
#include <poll.h>
#include <string.h>
#include <unistd.h>

#include "tests/helpers.h"

#define MS (1000u * 1000u)
#define NCONN 3

struct collect {
	int res[8];
	unsigned flags[8];
	int n;
	int stop_at;
};

static int collect_cb(aring_loop *loop, int res, unsigned cqe_flags, void *arg)
{
	struct collect *c = arg;

	if (c->n < 8) {
		c->res[c->n] = res;
		c->flags[c->n] = cqe_flags;
	}
	c->n++;
	return c->n >= c->stop_at;
}

struct conn {
	uint16_t port;
	int fd;
};

static int connector(aring_loop *loop, void *arg)
{
	struct conn *c = arg;
	struct sockaddr_in a = th_addr(c->port);

	c->fd = aring_socket(loop, AF_INET, SOCK_STREAM, 0, 0, NULL);
	if (c->fd < 0)
		return c->fd;
	return aring_connect(loop, c->fd, (struct sockaddr *)&a, sizeof(a), NULL);
}

static int accept_ms_task(aring_loop *loop, void *arg)
{
	struct collect col = { .stop_at = NCONN };
	struct conn conns[NCONN];
	aring_task *t[NCONN];
	uint16_t port = 0;
	int lfd, i;

	lfd = th_listen(loop, &port);
	CU_ASSERT(lfd >= 0);
	for (i = 0; i < NCONN; i++) {
		conns[i].port = port;
		t[i] = th_spawn(loop, connector, &conns[i]);
	}
	/* Returns 0 once the callback asked to stop, after the third connection. */
	CU_ASSERT_EQUAL(aring_accept_multishot(loop, lfd, 0, collect_cb, &col, NULL), 0);
	CU_ASSERT_EQUAL(col.n, NCONN);
	for (i = 0; i < NCONN; i++) {
		CU_ASSERT_EQUAL(th_join(loop, t[i]), 0);
		CU_ASSERT(col.res[i] >= 0);
		CU_ASSERT(col.flags[i] & IORING_CQE_F_MORE);
	}
	/* Each accepted fd talks to one of the clients. */
	for (i = 0; i < NCONN; i++) {
		char c = (char)('a' + i);

		CU_ASSERT_EQUAL(aring_send(loop, conns[i].fd, &c, 1, 0, NULL), 1);
	}
	for (i = 0; i < NCONN; i++) {
		char c = 0;

		CU_ASSERT_EQUAL(aring_recv(loop, col.res[i], &c, 1, 0, NULL), 1);
		CU_ASSERT(c >= 'a' && c < 'a' + NCONN);
		aring_close(loop, col.res[i], NULL);
		aring_close(loop, conns[i].fd, NULL);
	}
	/* The listener still accepts with a plain accept after the multishot ended. */
	conns[0].port = port;
	t[0] = th_spawn(loop, connector, &conns[0]);
	i = aring_accept(loop, lfd, NULL, NULL, 0, NULL);
	CU_ASSERT(i >= 0);
	CU_ASSERT_EQUAL(th_join(loop, t[0]), 0);
	aring_close(loop, i, NULL);
	aring_close(loop, conns[0].fd, NULL);
	/* On a socket that does not listen, the kernel ends it with an error. */
	col.n = 0;
	i = aring_socket(loop, AF_INET, SOCK_STREAM, 0, 0, NULL);
	CU_ASSERT_EQUAL(aring_accept_multishot(loop, i, 0, collect_cb, &col, NULL), -EINVAL);
	CU_ASSERT_EQUAL(col.n, 0);
	aring_close(loop, i, NULL);
	aring_close(loop, lfd, NULL);
	return 0;
}

static void test_accept_multishot(void)
{
	CU_ASSERT_EQUAL(th_run(accept_ms_task, NULL, 0), 0);
}

struct writer {
	int fd;
	int n;
};

static int slow_writer(aring_loop *loop, void *arg)
{
	struct writer *w = arg;
	int i;

	for (i = 0; i < w->n; i++) {
		aring_sleep(loop, MS);
		if (aring_write(loop, w->fd, "z", 1, 0, NULL) != 1)
			return -1;
	}
	return 0;
}

static int poll_ms_task(aring_loop *loop, void *arg)
{
	struct collect col = { .stop_at = 3 };
	struct writer w = { .n = 3 };
	unsigned flags = 0;
	aring_task *t;
	int fds[2], i;

	CU_ASSERT_EQUAL(aring_pipe(loop, fds, 0, NULL), 0);
	w.fd = fds[1];
	t = th_spawn(loop, slow_writer, &w);
	CU_ASSERT_EQUAL(aring_poll_multishot(loop, fds[0], POLLIN, collect_cb, &col,
					     &(struct aring_opt){ .cqe_flags = &flags }), 0);
	CU_ASSERT_EQUAL(th_join(loop, t), 0);
	CU_ASSERT_EQUAL(col.n, 3);
	for (i = 0; i < 3; i++) {
		CU_ASSERT(col.res[i] & POLLIN);
		CU_ASSERT(col.flags[i] & IORING_CQE_F_MORE);
	}
	/* The last CQE (of the cancelled request) has no F_MORE. */
	CU_ASSERT_EQUAL(flags & IORING_CQE_F_MORE, 0);
	th_close_pair(loop, fds);
	return 0;
}

static void test_poll_multishot(void)
{
	CU_ASSERT_EQUAL(th_run(poll_ms_task, NULL, 0), 0);
}

static int ms_args_task(aring_loop *loop, void *arg)
{
	struct collect col = { .stop_at = 1 };

	/* No linked timeout (an id is fine: test_multishot_stop), a callback is required. */
	CU_ASSERT_EQUAL(aring_poll_multishot(loop, 0, POLLIN, collect_cb, &col,
					     &(struct aring_opt){ .timeout_ns = MS }), -EINVAL);
	CU_ASSERT_EQUAL(aring_poll_multishot(loop, 0, POLLIN, NULL, &col, NULL), -EINVAL);
	CU_ASSERT_EQUAL(aring_accept_multishot(loop, 0, 0, NULL, &col, NULL), -EINVAL);
	CU_ASSERT_EQUAL(aring_accept_multishot(loop, 0, 0, collect_cb, &col,
					       &(struct aring_opt){ .sqe_flags = IOSQE_IO_LINK }), -EINVAL);
	CU_ASSERT_EQUAL(col.n, 0);
	return 0;
}

static void test_multishot_args(void)
{
	CU_ASSERT_EQUAL(th_run(ms_args_task, NULL, 0), 0);
}

static CU_TestInfo tests[] = {
	{ "accept_multishot", test_accept_multishot },
	{ "poll_multishot", test_poll_multishot },
	{ "multishot argument checks", test_multishot_args },
	CU_TEST_INFO_NULL,
};

int main(int argc, char **argv)
{
	return th_main(argc, argv, "multishot", tests, TH_BOTH);
}
