/* SPDX-License-Identifier: MIT */
/*
 * Tasks: spawn, join (from a task and from outside), yield, detached tasks,
 * join errors, deadlock detection, loop options, and a ring of 2 entries
 * running 1,000 tasks that do real I/O.
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "tests/helpers.h"

#define MS (1000u * 1000u)

static int return_arg(aring_loop *loop, void *arg)
{
	aring_yield(loop);
	return (int)(intptr_t)arg;
}

static int spawn_join_task(aring_loop *loop, void *arg)
{
	aring_task *t[10];
	int i, sum = 0, res = 0;

	for (i = 0; i < 10; i++)
		t[i] = th_spawn(loop, return_arg, (void *)(intptr_t)(i * i));
	/* Join in reverse order: each gives its own value. */
	for (i = 9; i >= 0; i--)
		sum += th_join(loop, t[i]);
	CU_ASSERT_EQUAL(sum, 285);
	/* A task that has already returned can be joined too. */
	t[0] = th_spawn(loop, return_arg, (void *)(intptr_t)-7);
	aring_sleep(loop, MS);
	CU_ASSERT_EQUAL(aring_join(loop, t[0], &res), 0);
	CU_ASSERT_EQUAL(res, -7);
	/* result may be NULL. */
	t[0] = th_spawn(loop, return_arg, NULL);
	CU_ASSERT_EQUAL(aring_join(loop, t[0], NULL), 0);
	return 1234;
}

static void test_spawn_join(void)
{
	CU_ASSERT_EQUAL(th_run(spawn_join_task, NULL, 0), 1234);
}

static void test_join_outside(void)
{
	aring_loop *loop = th_loop_new(0);
	aring_task *t;
	int res = 0;

	/* Joined before aring_run: the join runs the loop until the task is done. */
	CU_ASSERT_EQUAL_FATAL(aring_spawn(loop, return_arg, (void *)(intptr_t)99, &t), 0);
	CU_ASSERT_EQUAL(aring_join(loop, t, &res), 0);
	CU_ASSERT_EQUAL(res, 99);
	CU_ASSERT_EQUAL(aring_join(loop, NULL, &res), -EINVAL);
	CU_ASSERT_EQUAL(aring_run(loop), 0);
	aring_loop_free(loop);
}

struct trace {
	char buf[32];
	int n;
};

static int tracer(aring_loop *loop, void *arg)
{
	struct trace *t = arg;
	char c = t->n == 0 ? 'a' : 'b';
	int i;

	for (i = 0; i < 3; i++) {
		if (t->n < (int)sizeof(t->buf) - 1)
			t->buf[t->n++] = c;
		aring_yield(loop);
	}
	return 0;
}

static void test_yield_interleaves(void)
{
	aring_loop *loop = th_loop_new(0);
	struct trace tr = { .n = 0 };
	aring_task *a, *b;

	CU_ASSERT_EQUAL_FATAL(aring_spawn(loop, tracer, &tr, &a), 0);
	CU_ASSERT_EQUAL_FATAL(aring_spawn(loop, tracer, &tr, &b), 0);
	CU_ASSERT_EQUAL(aring_run(loop), 0);
	CU_ASSERT_STRING_EQUAL(tr.buf, "ababab");
	th_join(loop, a);
	th_join(loop, b);
	aring_loop_free(loop);
}

struct detached {
	int count;
	aring_task *self;
};

static int detached_fn(aring_loop *loop, void *arg)
{
	struct detached *d = arg;

	d->self = aring_current(loop);
	/* Joining a detached task (itself, here) is refused. */
	CU_ASSERT_EQUAL(aring_join(loop, d->self, NULL), -EINVAL);
	aring_sleep(loop, MS);
	d->count++;
	return 0;
}

static int joins_detached(aring_loop *loop, void *arg)
{
	struct detached *d = arg;

	while (!d->self)
		aring_yield(loop);
	return aring_join(loop, d->self, NULL);
}

static void test_detached(void)
{
	aring_loop *loop = th_loop_new(0);
	struct detached d = { 0 };
	aring_task *j;
	int i;

	for (i = 0; i < 10; i++)
		CU_ASSERT_EQUAL(aring_spawn(loop, detached_fn, &d, NULL), 0);
	CU_ASSERT_EQUAL_FATAL(aring_spawn(loop, joins_detached, &d, &j), 0);
	CU_ASSERT_EQUAL(aring_run(loop), 0);
	CU_ASSERT_EQUAL(d.count, 10);
	CU_ASSERT_EQUAL(th_join(loop, j), -EINVAL);
	aring_loop_free(loop);
}

static int self_join(aring_loop *loop, void *arg)
{
	return aring_join(loop, aring_current(loop), NULL);
}

struct busy {
	aring_task *target;
	int res;
};

static int sleeper(aring_loop *loop, void *arg)
{
	aring_sleep(loop, 5 * MS);
	return 5;
}

static int first_joiner(aring_loop *loop, void *arg)
{
	struct busy *b = arg;
	int res = -1;

	b->res = aring_join(loop, b->target, &res);
	return res;
}

static int join_errors_task(aring_loop *loop, void *arg)
{
	struct busy b = { .res = 1 };
	aring_task *t, *j;

	t = th_spawn(loop, self_join, NULL);
	CU_ASSERT_EQUAL(th_join(loop, t), -EDEADLK);
	/* Two joiners of one task: the second gets -EBUSY. */
	b.target = th_spawn(loop, sleeper, NULL);
	j = th_spawn(loop, first_joiner, &b);
	aring_yield(loop);
	CU_ASSERT_EQUAL(aring_join(loop, b.target, NULL), -EBUSY);
	CU_ASSERT_EQUAL(th_join(loop, j), 5);
	CU_ASSERT_EQUAL(b.res, 0);
	/* aring_run from inside a task. */
	CU_ASSERT_EQUAL(aring_run(loop), -EBUSY);
	CU_ASSERT_EQUAL(aring_spawn(loop, NULL, NULL, &t), -EINVAL);
	CU_ASSERT_EQUAL(aring_spawn_stack(loop, return_arg, NULL, 4096, &t), -EINVAL);
	return 0;
}

static void test_join_errors(void)
{
	CU_ASSERT_EQUAL(th_run(join_errors_task, NULL, 0), 0);
}

struct pair {
	aring_task *other;
};

static int join_other(aring_loop *loop, void *arg)
{
	struct pair *p = arg;

	return aring_join(loop, p->other, NULL);
}

static void test_deadlock(void)
{
	aring_loop *loop = th_loop_new(0);
	struct pair pa, pb;
	aring_task *a, *b;

	CU_ASSERT_EQUAL_FATAL(aring_spawn(loop, join_other, &pa, &a), 0);
	CU_ASSERT_EQUAL_FATAL(aring_spawn(loop, join_other, &pb, &b), 0);
	pa.other = b;
	pb.other = a;
	CU_ASSERT_EQUAL(aring_run(loop), -EDEADLK);
	/* Freeing the loop frees the two stuck tasks. */
	aring_loop_free(loop);
}

/* Uses about 512 KiB of its stack. */
static int deep(aring_loop *loop, void *arg)
{
	volatile char big[512 * 1024];

	big[0] = 1;
	big[sizeof(big) - 1] = 2;
	aring_yield(loop);
	return big[0] + big[sizeof(big) - 1];
}

static int stack_task(aring_loop *loop, void *arg)
{
	aring_task *t;

	CU_ASSERT_EQUAL(aring_spawn_stack(loop, deep, NULL, 1024 * 1024, &t), 0);
	CU_ASSERT_EQUAL(th_join(loop, t), 3);
	return 0;
}

static void test_loop_options(void)
{
	struct aring_loop_opts o;
	aring_loop *loop;

	memset(&o, 0, sizeof(o));
	o.backend = 7;
	CU_ASSERT_EQUAL(aring_loop_new(&loop, &o), -EINVAL);
	o.backend = th_cfg->backend;
	o.entries = ARING_MAX_ENTRIES + 1;
	CU_ASSERT_EQUAL(aring_loop_new(&loop, &o), -EINVAL);
	o.entries = 0;
	o.stack_size = 1000;
	CU_ASSERT_EQUAL(aring_loop_new(&loop, &o), -EINVAL);
	CU_ASSERT_EQUAL(aring_loop_new(NULL, NULL), -EINVAL);
	CU_ASSERT_EQUAL(th_run(stack_task, NULL, 0), 0);
}

/* ------------------------------------------------- a ring of 2, 1000 tasks */

#define NTASKS 1000
#define HALF (NTASKS / 2)

struct io_world {
	int fd;                 /* a file: task i owns bytes [8i, 8i+8) */
	int pipe[2];            /* HALF writers of one byte, HALF readers */
	int ok, read_bytes;
	int next, done;
};

static void io_work(aring_loop *loop, struct io_world *w)
{
	int i = w->next++;
	char rec[8], back[8], c;

	if (i % 2) {
		/* Readers may run before any writer: they block on the pipe. */
		if (aring_read(loop, w->pipe[0], &c, 1, 0, NULL) == 1 && c == 'p')
			w->read_bytes++;
	} else if (aring_write(loop, w->pipe[1], "p", 1, 0, NULL) != 1) {
		return;
	}
	memset(rec, 0, sizeof(rec));
	memcpy(rec, &i, sizeof(i));
	if (aring_write(loop, w->fd, rec, 8, (uint64_t)i * 8, NULL) != 8)
		return;
	if (aring_nop(loop, &(struct aring_opt){ .timeout_ns = 1000 * MS }) != 0)
		return;
	if (aring_read(loop, w->fd, back, 8, (uint64_t)i * 8, NULL) != 8 || memcmp(rec, back, 8))
		return;
	w->ok++;
}

static int io_worker(aring_loop *loop, void *arg)
{
	struct io_world *w = arg;

	io_work(loop, w);
	w->done++;
	return 0;
}

static int small_ring_task(aring_loop *loop, void *arg)
{
	struct io_world w = { .ok = 0 };
	char dir[128];
	int i, words[NTASKS * 2];

	if (th_tmpdir(loop, dir, sizeof(dir)) < 0)
		return -1;
	w.fd = th_file(loop, dir, "f", "");
	CU_ASSERT_EQUAL(aring_pipe(loop, w.pipe, 0, NULL), 0);
	for (i = 0; i < NTASKS; i++)
		CU_ASSERT_EQUAL(aring_spawn(loop, io_worker, &w, NULL), 0);
	while (w.done < NTASKS)
		aring_sleep(loop, MS);
	CU_ASSERT_EQUAL(w.ok, NTASKS);
	CU_ASSERT_EQUAL(w.read_bytes, HALF);
	CU_ASSERT_EQUAL(aring_read(loop, w.fd, words, sizeof(words), 0, NULL), NTASKS * 8);
	for (i = 0; i < NTASKS; i++)
		if (words[2 * i] != i)
			break;
	CU_ASSERT_EQUAL(i, NTASKS);
	aring_close(loop, w.fd, NULL);
	th_close_pair(loop, w.pipe);
	th_tmpdir_remove(loop, dir);
	return 0;
}

static void test_small_ring_real_io(void)
{
	CU_ASSERT_EQUAL(th_run(small_ring_task, NULL, 2), 0);
}

static CU_TestInfo tests[] = {
	{ "spawn and join give the task's value", test_spawn_join },
	{ "join from outside a task", test_join_outside },
	{ "yield interleaves tasks", test_yield_interleaves },
	{ "detached tasks; joining one is -EINVAL", test_detached },
	{ "join errors: self, twice, NULL; aring_run in a task", test_join_errors },
	{ "two tasks joining each other: -EDEADLK", test_deadlock },
	{ "loop options and task stack sizes", test_loop_options },
	{ "ring of 2 entries, 1000 tasks doing real I/O", test_small_ring_real_io },
	CU_TEST_INFO_NULL,
};

int main(int argc, char **argv)
{
	return th_main(argc, argv, "task", tests, TH_BOTH);
}
