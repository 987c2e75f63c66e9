/* SPDX-License-Identifier: MIT */
/*
 * What the epoll executor (backends/epoll.c) must get right beyond the
 * shared suites: several requests waiting on one file, a socket closed
 * through the ring while a recv waits on it (the request keeps its file, as
 * the kernel's keeps its struct file reference), and the worker pool's
 * cancel rules (queued: stopped; running: -EALREADY, as io-wq answers).
 *
 * The first two run on every backend, so the kernel checks the expectation;
 * the pool test is epoll only: it fills the pool's 4 workers with splices
 * from empty pipes. (The kernel also answers -EALREADY for a running io-wq
 * request, but then interrupts it with a signal, so the splice ends -EINTR
 * there; the epoll pool lets a running call finish.)
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "tests/helpers.h"

#define MS (1000ull * 1000u)

struct rx {
	int fd;
	char buf[8];
	int ret;
};

static int recv_task(aring_loop *loop, void *arg)
{
	struct rx *r = arg;

	r->ret = aring_recv(loop, r->fd, r->buf, sizeof(r->buf), 0, NULL);
	return 0;
}

/* Two recvs and a poll wait on one socket; each byte sent wakes what it should. */
static int shared_fd_task(aring_loop *loop, void *arg)
{
	struct rx a = { .ret = -1 }, b = { .ret = -1 };
	aring_task *ta, *tb;
	int c, s;

	CU_ASSERT_EQUAL_FATAL(th_tcp_pair(loop, &c, &s), 0);
	a.fd = b.fd = s;
	ta = th_spawn(loop, recv_task, &a);
	tb = th_spawn(loop, recv_task, &b);
	aring_yield(loop);
	aring_sleep(loop, MS);
	CU_ASSERT_EQUAL(aring_send(loop, c, "x", 1, 0, NULL), 1);
	aring_sleep(loop, MS);
	CU_ASSERT_EQUAL(aring_send(loop, c, "y", 1, 0, NULL), 1);
	th_join(loop, ta);
	th_join(loop, tb);
	CU_ASSERT_EQUAL(a.ret, 1);
	CU_ASSERT_EQUAL(b.ret, 1);
	CU_ASSERT((a.buf[0] == 'x' && b.buf[0] == 'y') || (a.buf[0] == 'y' && b.buf[0] == 'x'));
	aring_close(loop, c, NULL);
	aring_close(loop, s, NULL);
	return 0;
}

static void test_shared_fd(void)
{
	CU_ASSERT_EQUAL(th_run(shared_fd_task, NULL, 0), 0);
}

/*
 * kernel: a recv waiting on a socket holds the file; closing the fd (the
 * close op only drops the fd table's reference, io_uring/openclose.c
 * io_close()) leaves it waiting, and data sent later still reaches it.
 */
static int close_pending_task(aring_loop *loop, void *arg)
{
	struct rx a = { .ret = -1 };
	aring_task *ta;
	int c, s;

	CU_ASSERT_EQUAL_FATAL(th_tcp_pair(loop, &c, &s), 0);
	a.fd = s;
	ta = th_spawn(loop, recv_task, &a);
	aring_sleep(loop, MS);
	CU_ASSERT_EQUAL(aring_close(loop, s, NULL), 0);
	aring_sleep(loop, MS);
	CU_ASSERT_EQUAL(a.ret, -1); /* still waiting */
	CU_ASSERT_EQUAL(aring_send(loop, c, "late", 4, 0, NULL), 4);
	th_join(loop, ta);
	CU_ASSERT_EQUAL(a.ret, 4);
	CU_ASSERT_EQUAL(memcmp(a.buf, "late", 4), 0);
	aring_close(loop, c, NULL);
	return 0;
}

static void test_close_pending(void)
{
	CU_ASSERT_EQUAL(th_run(close_pending_task, NULL, 0), 0);
}

/* ---------------------------------------------------------------- the pool (epoll only) */

#define WORKERS 4 /* backends/epoll.c EP_POOL_THREADS */

struct sp {
	int in, out;
	uint64_t id;
	int ret;
};

static int splice_task(aring_loop *loop, void *arg)
{
	struct sp *p = arg;

	p->ret = aring_splice(loop, p->in, -1, p->out, 0, 4, 0, &(struct aring_opt){ .id = &p->id });
	return 0;
}

static int pool_task(aring_loop *loop, void *arg)
{
	struct sp sp[WORKERS + 1];
	aring_task *t[WORKERS + 1];
	int pipes[WORKERS + 1][2], file, i, ret, tries;
	char dir[128];

	if (th_tmpdir(loop, dir, sizeof(dir)) < 0)
		return -1;
	file = th_file(loop, dir, "out", "");
	CU_ASSERT_FATAL(file >= 0);
	for (i = 0; i <= WORKERS; i++)
		CU_ASSERT_EQUAL_FATAL(aring_pipe(loop, pipes[i], 0, NULL), 0);
	/*
	 * The first WORKERS block in splice(2) on empty pipes: running,
	 * -EALREADY. A worker may not have taken its call yet: then the cancel
	 * stops it in the queue (0, the call gives -ECANCELED) and it goes again.
	 */
	for (i = 0; i < WORKERS; i++) {
		for (tries = 0; tries < 1000; tries++) {
			sp[i] = (struct sp){ .in = pipes[i][0], .out = file, .ret = 1 };
			t[i] = th_spawn(loop, splice_task, &sp[i]);
			aring_sleep(loop, MS);
			ret = aring_cancel(loop, sp[i].id, 0, NULL);
			if (ret == -EALREADY)
				break;
			CU_ASSERT_EQUAL(ret, 0);
			th_join(loop, t[i]);
			CU_ASSERT_EQUAL(sp[i].ret, -ECANCELED);
		}
		CU_ASSERT_EQUAL(ret, -EALREADY);
	}
	/* Every worker is blocked: the next call waits in the queue. */
	sp[WORKERS] = (struct sp){ .in = pipes[WORKERS][0], .out = file, .ret = 1 };
	t[WORKERS] = th_spawn(loop, splice_task, &sp[WORKERS]);
	aring_yield(loop);
	/* The last waits in the queue: stopped. */
	CU_ASSERT_EQUAL(aring_cancel(loop, sp[WORKERS].id, 0, NULL), 0);
	th_join(loop, t[WORKERS]);
	CU_ASSERT_EQUAL(sp[WORKERS].ret, -ECANCELED);
	/* The running ones finish on their own. */
	for (i = 0; i < WORKERS; i++)
		CU_ASSERT_EQUAL(aring_write(loop, pipes[i][1], "abcd", 4, 0, NULL), 4);
	for (i = 0; i < WORKERS; i++) {
		th_join(loop, t[i]);
		CU_ASSERT_EQUAL(sp[i].ret, 4);
	}
	for (i = 0; i <= WORKERS; i++)
		th_close_pair(loop, pipes[i]);
	aring_close(loop, file, NULL);
	th_tmpdir_remove(loop, dir);
	return 0;
}

static void test_pool_cancel(void)
{
	if (!th_is_epoll())
		return;
	CU_ASSERT_EQUAL(th_run(pool_task, NULL, 0), 0);
}

static CU_TestInfo tests[] = {
	{ "two recvs on one socket: one byte each", test_shared_fd },
	{ "close through the ring while a recv waits: it still gets the data", test_close_pending },
	{ "pool: a queued call is stopped, a running one answers -EALREADY (epoll)", test_pool_cancel },
	CU_TEST_INFO_NULL,
};

int main(int argc, char **argv)
{
	th_ignore_sigpipe();
	return th_main(argc, argv, "epoll executor", tests, TH_BOTH);
}
