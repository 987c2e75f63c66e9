/* SPDX-License-Identifier: MIT */
/*
 * Ring setup (aring_loop_opts.setup_flags, cq_entries, sq_thread_idle_ms):
 * real work on a loop made with each flag and with the combinations servers
 * use. The same workload runs on every setup: files (16 tasks writing and
 * reading back their own blocks, fsync), a TCP echo on 127.0.0.1, a sleep
 * and a linked timeout that fires, a cancel by id, a multishot accept of
 * three connections, and completions that arrive while the loop never waits
 * (a recv woken by a send, a sleep ending, while another task keeps
 * yielding). The last is what a ring with COOP_TASKRUN or DEFER_TASKRUN gets
 * wrong when nobody looks at IORING_SQ_TASKRUN: such completions are task
 * work that runs only when the thread enters the kernel, and a loop whose
 * tasks are always ready never waits (backends/uring.c setup_flags_for).
 *
 * On the uring backend a setup the running kernel refuses is reported and
 * not run (Linux 6.18 takes all of them). On sim and epoll the
 * scheduling flags are accepted and change nothing, and the flags they do
 * not model (CQE32, SQE128) give -EINVAL (core/loop.c soft_setup_check);
 * invalid combinations give -EINVAL everywhere, as the kernel decides.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "tests/helpers.h"

#define MS (1000u * 1000u)
#define FILE_TASKS 16
#define BLOCK 4096
#define ECHO_ROUNDS 50
#define NCONN 3
/* Bounds on the yields of a task waiting for another's completion: a
 * completion that needs no waiting comes within a few batches, and a loop
 * that never runs the kernel's task work never sees it. Not a clock. */
#define YIELDS_IO (1u << 20)
#define YIELDS_TIMER (1u << 23)

struct setup {
	const char *name;
	unsigned flags;
	unsigned entries, cq_entries, sq_thread_idle_ms;
	bool soft_ok;  /* sim and epoll accept it */
	unsigned tasks; /* extra NOP tasks (CQ pressure on a small CQ) */
};

static const struct setup setups[] = {
	{ "default", 0, 0, 0, 0, true, 0 },
	{ "SQPOLL", IORING_SETUP_SQPOLL, 0, 0, 0, true, 0 },
	/* The SQ thread goes to sleep between ops: submissions must wake it. */
	{ "SQPOLL, idle 1 ms", IORING_SETUP_SQPOLL, 0, 0, 1, true, 0 },
	{ "SQPOLL|SINGLE_ISSUER", IORING_SETUP_SQPOLL | IORING_SETUP_SINGLE_ISSUER, 0, 0, 0, true, 0 },
	/* A full SQ: tasks wait for the SQ thread to take entries (SQ_WAIT). */
	{ "SQPOLL, 4 SQ entries", IORING_SETUP_SQPOLL, 4, 0, 0, true, 64 },
	{ "SINGLE_ISSUER", IORING_SETUP_SINGLE_ISSUER, 0, 0, 0, true, 0 },
	{ "SINGLE_ISSUER|DEFER_TASKRUN", IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN,
	  0, 0, 0, true, 0 },
	{ "SINGLE_ISSUER|DEFER_TASKRUN|TASKRUN_FLAG",
	  IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN | IORING_SETUP_TASKRUN_FLAG,
	  0, 0, 0, true, 0 },
	{ "COOP_TASKRUN", IORING_SETUP_COOP_TASKRUN, 0, 0, 0, true, 0 },
	{ "COOP_TASKRUN|TASKRUN_FLAG", IORING_SETUP_COOP_TASKRUN | IORING_SETUP_TASKRUN_FLAG,
	  0, 0, 0, true, 0 },
	/* A 4-entry CQ under 64 tasks: completions overflow and come back in order. */
	{ "CQSIZE 4, 4 SQ entries", 0, 4, 4, 0, true, 64 },
	{ "CQSIZE 8|SINGLE_ISSUER|DEFER_TASKRUN",
	  IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN, 4, 8, 0, true, 64 },
	{ "CQSIZE 1<<20 |CLAMP", IORING_SETUP_CLAMP, 0, 1u << 20, 0, true, 0 },
	{ "CQE32", IORING_SETUP_CQE32, 0, 0, 0, false, 64 },
	/* 128-byte SQEs: the core reaps through the backend's peek, not its own walk. */
	{ "SQE128|CQE32", IORING_SETUP_SQE128 | IORING_SETUP_CQE32, 0, 0, 0, false, 64 },
	{ "CQE32|COOP_TASKRUN|TASKRUN_FLAG",
	  IORING_SETUP_CQE32 | IORING_SETUP_COOP_TASKRUN | IORING_SETUP_TASKRUN_FLAG, 0, 0, 0,
	  false, 0 },
};

static unsigned ran_uring;  /* setups run on the kernel */

/* ---------------------------------------------------------------- the workload */

struct file_arg {
	int fd, idx, ok;
};

static int file_task(aring_loop *loop, void *arg)
{
	struct file_arg *a = arg;
	char out[BLOCK], in[BLOCK];

	memset(out, 'a' + a->idx, sizeof(out));
	snprintf(out, 32, "block %d", a->idx);
	CU_ASSERT_EQUAL(aring_write(loop, a->fd, out, BLOCK, (uint64_t)a->idx * BLOCK, NULL), BLOCK);
	memset(in, 0, sizeof(in));
	CU_ASSERT_EQUAL(aring_read(loop, a->fd, in, BLOCK, (uint64_t)a->idx * BLOCK, NULL), BLOCK);
	a->ok = memcmp(in, out, BLOCK) == 0;
	return 0;
}

static void files(aring_loop *loop)
{
	struct file_arg a[FILE_TASKS];
	aring_task *t[FILE_TASKS];
	char dir[256], in[BLOCK];
	int fd, i;

	if (th_tmpdir(loop, dir, sizeof(dir)) < 0)
		return;
	fd = th_file(loop, dir, "f", "");
	CU_ASSERT_FATAL(fd >= 0);
	for (i = 0; i < FILE_TASKS; i++) {
		a[i] = (struct file_arg){ .fd = fd, .idx = i };
		t[i] = th_spawn(loop, file_task, &a[i]);
	}
	for (i = 0; i < FILE_TASKS; i++) {
		CU_ASSERT_EQUAL(th_join(loop, t[i]), 0);
		CU_ASSERT(a[i].ok);
	}
	CU_ASSERT_EQUAL(aring_fsync(loop, fd, 0, NULL), 0);
	CU_ASSERT_EQUAL(aring_read(loop, fd, in, 16, 5 * BLOCK, NULL), 16);
	CU_ASSERT_EQUAL(memcmp(in, "block 5", 8), 0);
	CU_ASSERT_EQUAL(aring_read(loop, fd, in, BLOCK, FILE_TASKS * BLOCK, NULL), 0);
	CU_ASSERT_EQUAL(aring_close(loop, fd, NULL), 0);
	th_tmpdir_remove(loop, dir);
}

/* Read exactly len bytes (TCP may split them). */
static int recv_full(aring_loop *loop, int fd, char *buf, int len)
{
	int got = 0;

	while (got < len) {
		int n = aring_recv(loop, fd, buf + got, (size_t)(len - got), 0, NULL);

		if (n <= 0)
			return n < 0 ? n : got;
		got += n;
	}
	return got;
}

static int echo_server(aring_loop *loop, void *arg)
{
	int fd = *(int *)arg;
	char buf[64];
	int n;

	while ((n = aring_recv(loop, fd, buf, sizeof(buf), 0, NULL)) > 0)
		if (aring_send_all(loop, fd, buf, (size_t)n, MSG_NOSIGNAL, NULL) != n)
			return -1;
	return n;
}

static void echo(aring_loop *loop, int cfd, int sfd)
{
	aring_task *t = th_spawn(loop, echo_server, &sfd);
	char out[64], in[64];
	int i;

	for (i = 0; i < ECHO_ROUNDS; i++) {
		memset(out, 'A' + i % 26, sizeof(out));
		CU_ASSERT_EQUAL(aring_send(loop, cfd, out, sizeof(out), MSG_NOSIGNAL, NULL), 64);
		CU_ASSERT_EQUAL(recv_full(loop, cfd, in, sizeof(in)), 64);
		CU_ASSERT_EQUAL(memcmp(in, out, sizeof(in)), 0);
	}
	CU_ASSERT_EQUAL(aring_shutdown(loop, cfd, SHUT_WR, NULL), 0);
	CU_ASSERT_EQUAL(th_join(loop, t), 0);
}

struct cancel_arg {
	int fd;
	uint64_t id;
	int res;
};

static int recv_with_id(aring_loop *loop, void *arg)
{
	struct cancel_arg *c = arg;
	struct aring_opt o = { .id = &c->id };
	char b;

	c->res = aring_recv(loop, c->fd, &b, 1, 0, &o);
	return 0;
}

static void timeouts_and_cancel(aring_loop *loop, int cfd, int sfd)
{
	struct aring_opt to = { .timeout_ns = 2 * MS };
	struct cancel_arg c = { .fd = sfd, .res = 1 };
	aring_task *t;
	unsigned i;
	char b;

	/* Long enough for an SQ thread with a 1 ms idle time to fall asleep. */
	CU_ASSERT_EQUAL(aring_sleep(loop, 3 * MS), 0);
	CU_ASSERT_EQUAL(aring_recv(loop, sfd, &b, 1, 0, &to), -ETIME);
	t = th_spawn(loop, recv_with_id, &c);
	for (i = 0; !c.id && i < YIELDS_IO; i++)
		aring_yield(loop);
	CU_ASSERT_FATAL(c.id != 0);
	CU_ASSERT_EQUAL(aring_cancel(loop, c.id, 0, NULL), 0);
	CU_ASSERT_EQUAL(th_join(loop, t), 0);
	CU_ASSERT_EQUAL(c.res, -ECANCELED);
	(void)cfd;
}

struct busy_arg {
	int fd;
	int res;
	bool done;
};

static int recv_one(aring_loop *loop, void *arg)
{
	struct busy_arg *b = arg;
	char c;

	b->res = aring_recv(loop, b->fd, &c, 1, 0, NULL);
	b->done = true;
	return 0;
}

static int sleep_short(aring_loop *loop, void *arg)
{
	struct busy_arg *b = arg;

	b->res = aring_sleep(loop, 100 * 1000);
	b->done = true;
	return 0;
}

/* Completions that come while this task keeps the loop busy (it never waits). */
static void busy_loop_completions(aring_loop *loop, int cfd, int sfd)
{
	struct busy_arg r = { .fd = sfd, .res = -1 }, s = { .res = -1 };
	aring_task *t;
	unsigned i;

	t = th_spawn(loop, recv_one, &r);
	aring_yield(loop);  /* the recv is armed: the socket is empty */
	CU_ASSERT_EQUAL(aring_send(loop, cfd, "x", 1, MSG_NOSIGNAL, NULL), 1);
	for (i = 0; !r.done && i < YIELDS_IO; i++)
		aring_yield(loop);
	CU_ASSERT(r.done);
	if (!r.done)
		fprintf(stderr, "%s: a recv completion never came while the loop was busy\n",
			th_cfg->name);
	CU_ASSERT_EQUAL(th_join(loop, t), 0);
	CU_ASSERT_EQUAL(r.res, 1);

	/* On the sim virtual time stands still while a task is ready (DESIGN.md):
	 * a yielding task holds the sleep back by design. */
	if (th_is_sim())
		return;
	t = th_spawn(loop, sleep_short, &s);
	for (i = 0; !s.done && i < YIELDS_TIMER; i++)
		aring_yield(loop);
	CU_ASSERT(s.done);
	CU_ASSERT_EQUAL(th_join(loop, t), 0);
	CU_ASSERT_EQUAL(s.res, 0);
}

struct accepted {
	int fds[NCONN];
	unsigned flags[NCONN];
	int n;
};

static int on_accept(aring_loop *loop, int res, unsigned cqe_flags, void *arg)
{
	struct accepted *a = arg;

	if (a->n < NCONN) {
		a->fds[a->n] = res;
		a->flags[a->n] = cqe_flags;
	}
	a->n++;
	return a->n >= NCONN;
}

struct clients {
	uint16_t port;
	int fds[NCONN];
};

/* Connects NCONN sockets one after the other (the listener's backlog takes them). */
static int clients_task(aring_loop *loop, void *arg)
{
	struct clients *c = arg;
	struct sockaddr_in a = th_addr(c->port);
	int i, ret;

	for (i = 0; i < NCONN; i++) {
		c->fds[i] = aring_socket(loop, AF_INET, SOCK_STREAM, 0, 0, NULL);
		if (c->fds[i] < 0)
			return c->fds[i];
		ret = aring_connect(loop, c->fds[i], (struct sockaddr *)&a, sizeof(a), NULL);
		if (ret < 0)
			return ret;
	}
	return 0;
}

static void multishot_accept(aring_loop *loop)
{
	struct accepted acc = { .n = 0 };
	struct clients c = { .port = 0 };
	aring_task *t;
	int lfd, i;

	lfd = th_listen(loop, &c.port);
	CU_ASSERT_FATAL(lfd >= 0);
	t = th_spawn(loop, clients_task, &c);
	CU_ASSERT_EQUAL(aring_accept_multishot(loop, lfd, 0, on_accept, &acc, NULL), 0);
	CU_ASSERT_EQUAL(acc.n, NCONN);
	CU_ASSERT_EQUAL(th_join(loop, t), 0);
	for (i = 0; i < NCONN; i++) {
		char b = (char)('0' + i), got = 0;

		CU_ASSERT(acc.fds[i] >= 0);
		CU_ASSERT(acc.flags[i] & IORING_CQE_F_MORE);
		/* Accepted in connect order: each reaches its client. */
		CU_ASSERT_EQUAL(aring_send(loop, c.fds[i], &b, 1, MSG_NOSIGNAL, NULL), 1);
		CU_ASSERT_EQUAL(aring_recv(loop, acc.fds[i], &got, 1, 0, NULL), 1);
		CU_ASSERT_EQUAL(got, b);
		aring_close(loop, acc.fds[i], NULL);
		aring_close(loop, c.fds[i], NULL);
	}
	CU_ASSERT_EQUAL(aring_close(loop, lfd, NULL), 0);
}

static int nop_task(aring_loop *loop, void *arg)
{
	unsigned *left = arg;
	int i;

	for (i = 0; i < 50; i++)
		if (aring_nop(loop, NULL) == 0)
			--*left;
	return 0;
}

static int workload(aring_loop *loop, void *arg)
{
	const struct setup *s = arg;
	unsigned left = s->tasks * 50, i;
	int cfd = -1, sfd = -1;

	for (i = 0; i < s->tasks; i++)
		CU_ASSERT_EQUAL(aring_spawn(loop, nop_task, &left, NULL), 0);
	files(loop);
	CU_ASSERT_FATAL(th_tcp_pair(loop, &cfd, &sfd) == 0);
	echo(loop, cfd, sfd);
	aring_close(loop, cfd, NULL);
	aring_close(loop, sfd, NULL);
	CU_ASSERT_FATAL(th_tcp_pair(loop, &cfd, &sfd) == 0);
	timeouts_and_cancel(loop, cfd, sfd);
	busy_loop_completions(loop, cfd, sfd);
	aring_close(loop, cfd, NULL);
	aring_close(loop, sfd, NULL);
	multishot_accept(loop);
	/* The NOP tasks are detached: they end before the loop's run does. */
	for (i = 0; left && i < YIELDS_IO; i++)
		aring_yield(loop);
	CU_ASSERT_EQUAL(left, 0);
	return 0;
}

/* ---------------------------------------------------------------- running a setup */

static struct aring_loop_opts opts_for(const struct setup *s, struct aring_sim_opts *so)
{
	struct aring_loop_opts o = {
		.backend = th_cfg->backend,
		.entries = s->entries,
		.setup_flags = s->flags,
		.cq_entries = s->cq_entries,
		.sq_thread_idle_ms = s->sq_thread_idle_ms,
	};

	memset(so, 0, sizeof(*so));
	so->seed = th_cfg->seed;
	o.sim = so;
	return o;
}

/* Does the running kernel take this setup? (A plain liburing ring.) */
static bool kernel_has(const struct setup *s)
{
	struct io_uring_params p = { .flags = s->flags, .cq_entries = s->cq_entries,
				     .sq_thread_idle = s->sq_thread_idle_ms };
	struct io_uring ring;
	int ret;

	if (s->cq_entries)
		p.flags |= IORING_SETUP_CQSIZE;
	if (p.flags & (IORING_SETUP_COOP_TASKRUN | IORING_SETUP_DEFER_TASKRUN))
		p.flags |= IORING_SETUP_TASKRUN_FLAG;
	ret = io_uring_queue_init_params(s->entries ? s->entries : 8, &ring, &p);
	if (ret < 0) {
		printf("  %s: the running kernel refuses it (%s): not run\n", s->name,
		       strerror(-ret));
		return false;
	}
	io_uring_queue_exit(&ring);
	return true;
}

static void run_setup(const struct setup *s)
{
	struct aring_sim_opts so;
	struct aring_loop_opts o = opts_for(s, &so);
	aring_loop *loop = NULL;
	int ret;

	if (th_cfg->backend == ARING_BACKEND_URING && !kernel_has(s))
		return;
	ret = aring_loop_new(&loop, &o);
	if (th_cfg->backend != ARING_BACKEND_URING && !s->soft_ok) {
		CU_ASSERT_EQUAL(ret, -EINVAL);
		return;
	}
	if (ret < 0)
		fprintf(stderr, "%s on %s: %s\n", s->name, th_cfg->name, strerror(-ret));
	CU_ASSERT_FATAL(ret == 0);
	if (th_cfg->backend == ARING_BACKEND_URING) {
		struct io_uring *r = aring_ring(loop);
		unsigned want = s->flags;

		ran_uring++;
		/* The ring is the one asked for (a kernel may drop SINGLE_ISSUER
		 * from an SQPOLL ring's flags: only its SQ thread issues). */
		if (want & IORING_SETUP_SQPOLL)
			want &= ~IORING_SETUP_SINGLE_ISSUER;
		CU_ASSERT_EQUAL(r->flags & want, want);
		if (s->cq_entries && !(s->flags & IORING_SETUP_CLAMP))
			CU_ASSERT_EQUAL(r->cq.ring_entries, s->cq_entries);
	}
	CU_ASSERT_EQUAL(th_run_on(loop, workload, (void *)s), 0);
	aring_loop_free(loop);
}

static void test_default(void) { run_setup(&setups[0]); }
static void test_sqpoll(void) { run_setup(&setups[1]); }
static void test_sqpoll_idle(void) { run_setup(&setups[2]); }
static void test_sqpoll_single_issuer(void) { run_setup(&setups[3]); }
static void test_sqpoll_small(void) { run_setup(&setups[4]); }
static void test_single_issuer(void) { run_setup(&setups[5]); }
static void test_defer(void) { run_setup(&setups[6]); }
static void test_defer_flag(void) { run_setup(&setups[7]); }
static void test_coop(void) { run_setup(&setups[8]); }
static void test_coop_flag(void) { run_setup(&setups[9]); }
static void test_cqsize(void) { run_setup(&setups[10]); }
static void test_cqsize_defer(void) { run_setup(&setups[11]); }
static void test_cqsize_clamp(void) { run_setup(&setups[12]); }
static void test_cqe32(void) { run_setup(&setups[13]); }
static void test_sqe128_cqe32(void) { run_setup(&setups[14]); }
static void test_cqe32_coop(void) { run_setup(&setups[15]); }

_Static_assert(sizeof(setups) / sizeof(setups[0]) == 16, "one test per setup");

/* ---------------------------------------------------------------- what the flags do */

/* COOP_TASKRUN and DEFER_TASKRUN get TASKRUN_FLAG (backends/uring.c). */
static void test_taskrun_flag_added(void)
{
	static const unsigned asked[] = {
		IORING_SETUP_COOP_TASKRUN,
		IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN,
	};
	unsigned i;

	if (th_cfg->backend != ARING_BACKEND_URING)
		return;
	for (i = 0; i < sizeof(asked) / sizeof(asked[0]); i++) {
		struct aring_loop_opts o = { .backend = ARING_BACKEND_URING, .setup_flags = asked[i] };
		aring_loop *loop;

		if (aring_loop_new(&loop, &o) < 0)
			continue;  /* the kernel lacks it: the setups above said so */
		CU_ASSERT(aring_ring(loop)->flags & IORING_SETUP_TASKRUN_FLAG);
		aring_loop_free(loop);
	}
}

/* Setups every backend refuses, as the kernel does. */
static void test_invalid(void)
{
	static const struct {
		unsigned flags, entries, cq_entries, idle_ms;
	} bad[] = {
		{ 0, 0, 0, 10 },                                         /* idle without SQPOLL */
		{ IORING_SETUP_DEFER_TASKRUN, 0, 0, 0 },                 /* without SINGLE_ISSUER */
		{ IORING_SETUP_TASKRUN_FLAG, 0, 0, 0 },                  /* without COOP or DEFER */
		{ IORING_SETUP_SQPOLL | IORING_SETUP_COOP_TASKRUN, 0, 0, 0 },
		{ IORING_SETUP_SQPOLL | IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN, 0, 0, 0 },
		{ IORING_SETUP_CQSIZE, 0, 0, 0 },                        /* CQSIZE, no size */
		{ 0, 16, 8, 0 },                                         /* CQ smaller than SQ */
		{ IORING_SETUP_SQ_AFF, 0, 0, 0 },                        /* SQ_AFF without SQPOLL */
		{ 1u << 31, 0, 0, 0 },                                   /* no such flag */
	};
	unsigned i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct aring_sim_opts so = { .seed = th_cfg->seed };
		struct aring_loop_opts o = { .backend = th_cfg->backend, .sim = &so,
					     .setup_flags = bad[i].flags, .entries = bad[i].entries,
					     .cq_entries = bad[i].cq_entries,
					     .sq_thread_idle_ms = bad[i].idle_ms };
		aring_loop *loop = NULL;
		int ret = aring_loop_new(&loop, &o);

		if (ret != -EINVAL)
			fprintf(stderr, "bad setup %u on %s: %d\n", i, th_cfg->name, ret);
		CU_ASSERT_EQUAL(ret, -EINVAL);
		CU_ASSERT_PTR_NULL(loop);
	}
}

/* Skip only when the kernel took none of the setups (never on the soft ring). */
static void test_ran_some(void)
{
	if (th_cfg->backend == ARING_BACKEND_URING)
		CU_ASSERT(ran_uring > 0);
}

static CU_TestInfo tests[] = {
	{ "default flags", test_default },
	{ "SQPOLL", test_sqpoll },
	{ "SQPOLL, SQ thread idle 1 ms", test_sqpoll_idle },
	{ "SQPOLL|SINGLE_ISSUER", test_sqpoll_single_issuer },
	{ "SQPOLL, 4 SQ entries, 64 tasks", test_sqpoll_small },
	{ "SINGLE_ISSUER", test_single_issuer },
	{ "SINGLE_ISSUER|DEFER_TASKRUN", test_defer },
	{ "SINGLE_ISSUER|DEFER_TASKRUN|TASKRUN_FLAG", test_defer_flag },
	{ "COOP_TASKRUN", test_coop },
	{ "COOP_TASKRUN|TASKRUN_FLAG", test_coop_flag },
	{ "CQSIZE 4 on a 4-entry SQ, 64 tasks", test_cqsize },
	{ "CQSIZE 8|SINGLE_ISSUER|DEFER_TASKRUN, 64 tasks", test_cqsize_defer },
	{ "CQSIZE 1<<20 with CLAMP", test_cqsize_clamp },
	{ "CQE32, 64 tasks", test_cqe32 },
	{ "SQE128|CQE32, 64 tasks", test_sqe128_cqe32 },
	{ "CQE32|COOP_TASKRUN|TASKRUN_FLAG", test_cqe32_coop },
	{ "COOP/DEFER_TASKRUN get TASKRUN_FLAG", test_taskrun_flag_added },
	{ "invalid setups give -EINVAL", test_invalid },
	{ "the kernel took some setup", test_ran_some },
	CU_TEST_INFO_NULL,
};

int main(int argc, char **argv)
{
	th_ignore_sigpipe();
	return th_main(argc, argv, "ring setup", tests, TH_BOTH);
}
