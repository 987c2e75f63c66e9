/* SPDX-License-Identifier: MIT */
/* poll_add and poll_remove on pipes and sockets. */
#include <errno.h>
#include <poll.h>
#include <string.h>
#include <unistd.h>

#include "tests/helpers.h"

#define MS (1000u * 1000u)

struct poller {
	int fd;
	unsigned mask;
	uint64_t id;
	int res;
};

static int poller(aring_loop *loop, void *arg)
{
	struct poller *p = arg;

	p->res = aring_poll_add(loop, p->fd, p->mask, &(struct aring_opt){ .id = &p->id });
	return 0;
}

static int poll_add_task(aring_loop *loop, void *arg)
{
	struct poller p = { .res = -1 };
	aring_task *t;
	int fds[2];
	char c;

	CU_ASSERT_EQUAL(aring_pipe(loop, fds, 0, NULL), 0);
	/* The write end of an empty pipe is writable at once. */
	CU_ASSERT_EQUAL(aring_poll_add(loop, fds[1], POLLOUT, NULL) & POLLOUT, POLLOUT);
	/* The read end waits for data. */
	p.fd = fds[0];
	p.mask = POLLIN;
	t = th_spawn(loop, poller, &p);
	aring_sleep(loop, MS);
	CU_ASSERT_EQUAL(p.res, -1);
	CU_ASSERT_EQUAL(aring_write(loop, fds[1], "x", 1, 0, NULL), 1);
	th_join(loop, t);
	CU_ASSERT(p.res > 0 && (p.res & POLLIN));
	/* Still readable: a second poll returns at once. */
	CU_ASSERT(aring_poll_add(loop, fds[0], POLLIN, NULL) & POLLIN);
	CU_ASSERT_EQUAL(aring_read(loop, fds[0], &c, 1, 0, NULL), 1);
	/* Empty again: a poll with a timeout gives -ETIME. */
	CU_ASSERT_EQUAL(aring_poll_add(loop, fds[0], POLLIN, &(struct aring_opt){ .timeout_ns = MS }),
			-ETIME);
	/* The writer goes: POLLHUP on the read end. */
	aring_close(loop, fds[1], NULL);
	CU_ASSERT(aring_poll_add(loop, fds[0], POLLIN, NULL) & POLLHUP);
	aring_close(loop, fds[0], NULL);
	CU_ASSERT_EQUAL(aring_poll_add(loop, 9999, POLLIN, NULL), -EBADF);
	return 0;
}

static void test_poll_add(void)
{
	CU_ASSERT_EQUAL(th_run(poll_add_task, NULL, 0), 0);
}

static int poll_remove_task(aring_loop *loop, void *arg)
{
	struct poller p = { .res = -1 };
	aring_task *t;
	int c, s;

	CU_ASSERT_EQUAL(th_tcp_pair(loop, &c, &s), 0);
	p.fd = s;
	p.mask = POLLIN;
	t = th_spawn(loop, poller, &p);
	aring_yield(loop);
	CU_ASSERT(p.id != 0);
	CU_ASSERT_EQUAL(aring_poll_remove(loop, p.id, NULL), 0);
	th_join(loop, t);
	CU_ASSERT_EQUAL(p.res, -ECANCELED);
	/* Its id is gone now, and an id that never was. */
	CU_ASSERT_EQUAL(aring_poll_remove(loop, p.id, NULL), -ENOENT);
	CU_ASSERT_EQUAL(aring_poll_remove(loop, 0, NULL), -ENOENT);
	CU_ASSERT_EQUAL(aring_poll_remove(loop, p.id + 1000, NULL), -ENOENT);
	/* The socket still works. */
	CU_ASSERT_EQUAL(aring_send(loop, c, "y", 1, 0, NULL), 1);
	CU_ASSERT(aring_poll_add(loop, s, POLLIN, NULL) & POLLIN);
	aring_close(loop, c, NULL);
	aring_close(loop, s, NULL);
	return 0;
}

static void test_poll_remove(void)
{
	CU_ASSERT_EQUAL(th_run(poll_remove_task, NULL, 0), 0);
}

static CU_TestInfo tests[] = {
	{ "poll_add", test_poll_add },
	{ "poll_remove", test_poll_remove },
	CU_TEST_INFO_NULL,
};

int main(int argc, char **argv)
{
	return th_main(argc, argv, "poll", tests, TH_BOTH);
}
