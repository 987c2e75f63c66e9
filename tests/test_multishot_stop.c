/* SPDX-License-Identifier: MIT */
/*
 * Stopping a multishot op from another task: aring_cancel of its id, and
 * aring_close of its fd (a multishot request holds its own reference to
 * the file, so the close alone would leave it armed for ever).
 */
#include <errno.h>
#include <poll.h>
#include <string.h>

#include "tests/helpers.h"

#define MS (1000u * 1000u)

struct acceptor {
	int lfd;
	uint64_t id;
	bool with_id;
	int accepted[4];
	int n;
	int res;
	bool armed;
};

static int on_accept(aring_loop *loop, int res, unsigned cqe_flags, void *arg)
{
	struct acceptor *a = arg;

	(void)loop;
	(void)cqe_flags;
	if (a->n < 4)
		a->accepted[a->n] = res;
	a->n++;
	return 0;  /* never stops by itself */
}

static int acceptor(aring_loop *loop, void *arg)
{
	struct acceptor *a = arg;

	a->armed = true;
	a->res = aring_accept_multishot(loop, a->lfd, 0, on_accept, a,
					a->with_id ? &(struct aring_opt){ .id = &a->id } : NULL);
	return 0;
}

static int connect_to(aring_loop *loop, uint16_t port)
{
	struct sockaddr_in sa = th_addr(port);
	int fd = aring_socket(loop, AF_INET, SOCK_STREAM, 0, 0, NULL);

	CU_ASSERT_FATAL(fd >= 0);
	CU_ASSERT_EQUAL(aring_connect(loop, fd, (struct sockaddr *)&sa, sizeof(sa), NULL), 0);
	return fd;
}

/* how: 0 = aring_cancel of the id, 1 = aring_close of the listener. */
static int stop_task(aring_loop *loop, void *arg)
{
	unsigned how = *(unsigned *)arg;
	struct acceptor a = { .res = 1, .with_id = true };
	aring_task *t;
	uint16_t port;
	int c, i;

	a.lfd = th_listen(loop, &port);
	CU_ASSERT_FATAL(a.lfd >= 0);
	t = th_spawn(loop, acceptor, &a);
	while (!a.armed)
		aring_yield(loop);
	c = connect_to(loop, port);
	for (i = 0; a.n < 1 && a.res == 1 && i < 1000; i++)
		aring_sleep(loop, MS);
	CU_ASSERT(a.accepted[0] >= 0);
	if (how == 0) {
		CU_ASSERT(a.id != 0);
		CU_ASSERT_EQUAL(aring_cancel(loop, a.id, 0, NULL), 0);
	} else {
		CU_ASSERT_EQUAL(aring_close(loop, a.lfd, NULL), 0);
	}
	/* The multishot call returns: its task can be joined. */
	for (i = 0; a.res == 1 && i < 1000; i++)
		aring_sleep(loop, MS);
	CU_ASSERT_NOT_EQUAL(a.res, 1);
	if (a.res == 1)  /* still armed: end it so that the test ends */
		aring_cancel(loop, a.id, 0, NULL);
	CU_ASSERT_EQUAL(th_join(loop, t), 0);
	CU_ASSERT_EQUAL(a.res, -ECANCELED);
	CU_ASSERT_EQUAL(a.n, 1);
	if (how == 0) {
		CU_ASSERT_EQUAL(aring_cancel(loop, a.id, 0, NULL), -ENOENT);
		CU_ASSERT_EQUAL(aring_close(loop, a.lfd, NULL), 0);
	}
	for (i = 0; i < a.n && i < 4; i++)
		aring_close(loop, a.accepted[i], NULL);
	aring_close(loop, c, NULL);
	return 0;
}

static void test_stop(void)
{
	unsigned how;

	for (how = 0; how < 2; how++)
		CU_ASSERT_EQUAL(th_run(stop_task, &how, 0), 0);
}

struct poller {
	int fd;
	uint64_t id;
	int res;
	bool armed;
};

static int on_poll(aring_loop *loop, int res, unsigned cqe_flags, void *arg)
{
	(void)loop;
	(void)res;
	(void)cqe_flags;
	(void)arg;
	return 0;
}

static int poller(aring_loop *loop, void *arg)
{
	struct poller *p = arg;

	p->armed = true;
	p->res = aring_poll_multishot(loop, p->fd, POLLIN, on_poll, p,
				      &(struct aring_opt){ .id = &p->id });
	return 0;
}

/* Two multishot polls, on two pipes: closing one fd ends only its own. */
static int close_one_task(aring_loop *loop, void *arg)
{
	struct poller p[2] = { { .res = 1 }, { .res = 1 } };
	int fds[2][2];
	aring_task *t[2];
	int i;

	(void)arg;
	for (i = 0; i < 2; i++) {
		CU_ASSERT_EQUAL_FATAL(aring_pipe(loop, fds[i], 0, NULL), 0);
		p[i].fd = fds[i][0];
		t[i] = th_spawn(loop, poller, &p[i]);
	}
	while (!p[0].armed || !p[1].armed)
		aring_yield(loop);
	aring_sleep(loop, MS);
	CU_ASSERT_EQUAL(aring_close(loop, fds[0][0], NULL), 0);
	for (i = 0; p[0].res == 1 && i < 1000; i++)
		aring_sleep(loop, MS);
	if (p[0].res == 1)  /* still armed: end it so that the test ends */
		aring_cancel(loop, p[0].id, 0, NULL);
	CU_ASSERT_EQUAL(th_join(loop, t[0]), 0);
	CU_ASSERT_EQUAL(p[0].res, -ECANCELED);
	/* The other is still armed: cancel it by its id. */
	CU_ASSERT_EQUAL(p[1].res, 1);
	CU_ASSERT_EQUAL(aring_cancel(loop, p[1].id, 0, NULL), 0);
	CU_ASSERT_EQUAL(th_join(loop, t[1]), 0);
	CU_ASSERT_EQUAL(p[1].res, -ECANCELED);
	aring_close(loop, fds[0][1], NULL);
	th_close_pair(loop, fds[1]);
	return 0;
}

static void test_close_one(void)
{
	CU_ASSERT_EQUAL(th_run(close_one_task, NULL, 0), 0);
}

static CU_TestInfo tests[] = {
	{ "multishot accept stopped by aring_cancel and by aring_close", test_stop },
	{ "aring_close ends the multishot polls on its fd only", test_close_one },
	CU_TEST_INFO_NULL,
};

int main(int argc, char **argv)
{
	return th_main(argc, argv, "multishot_stop", tests, TH_BOTH);
}
