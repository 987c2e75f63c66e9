/* SPDX-License-Identifier: MIT */
/*
 * The soft ring runs its submit work (and so the simulator's model: path
 * resolution, pipe copies through a 4 KiB buffer) on a stack of its own,
 * never on the task's: the core
 * submits from a task when it must make room in a full SQ (core/op.c
 * make_room), and a task's stack may be 16 KiB, most of it the task's own.
 * Runs on both backends (on uring the kernel does the work).
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "tests/helpers.h"

#define TASKS 8
#define ROUNDS 10
#define DEPTH 40 /* the kernel's MAXSYMLINKS */
/* What the task's own frames take of its 16 KiB (AddressSanitizer's frames
 * of the core are larger: leave them room). */
#if defined(__SANITIZE_ADDRESS__)
#define PAD (8 * 1024)
#else
#define PAD (12 * 1024)
#endif

struct ctx {
	char dir[128];
	char path[512]; /* dir/d/d/.../d/f: DEPTH links d -> "." */
	int ok;
};

static int opener(aring_loop *loop, void *arg)
{
	struct ctx *c = arg;
	volatile char pad[PAD];
	char msg[64] = "through the pipe", got[64];
	int k, p[2];

	/* The task's own frames take most of its 16 KiB. */
	memset((char *)pad, 1, sizeof(pad));
	if (aring_pipe(loop, p, 0, NULL) < 0)
		return -1;
	for (k = 0; k < ROUNDS; k++) {
		int fd = aring_openat(loop, AT_FDCWD, c->path, O_RDONLY, 0, NULL);

		CU_ASSERT(fd >= 0);
		if (fd < 0)
			return -1;
		CU_ASSERT_EQUAL(aring_close(loop, fd, NULL), 0);
		CU_ASSERT_EQUAL(aring_write(loop, p[1], msg, sizeof(msg), 0, NULL), sizeof(msg));
		CU_ASSERT_EQUAL(aring_read(loop, p[0], got, sizeof(got), 0, NULL), sizeof(got));
	}
	aring_close(loop, p[0], NULL);
	aring_close(loop, p[1], NULL);
	c->ok += pad[PAD - 1];
	return 0;
}

static int body(aring_loop *loop, void *arg)
{
	struct ctx *c = arg;
	aring_task *t[TASKS];
	char buf[256];
	int k, fd, ret;

	(void)arg;
	if (th_tmpdir(loop, c->dir, sizeof(c->dir)) < 0)
		return -1;
	fd = aring_openat(loop, AT_FDCWD, th_path(buf, sizeof(buf), c->dir, "f"),
			  O_CREAT | O_RDWR, 0644, NULL);
	CU_ASSERT_FATAL(fd >= 0);
	aring_close(loop, fd, NULL);
	CU_ASSERT_EQUAL_FATAL(aring_symlinkat(loop, ".", AT_FDCWD,
					      th_path(buf, sizeof(buf), c->dir, "d"), NULL), 0);
	snprintf(c->path, sizeof(c->path), "%s/", c->dir);
	for (k = 0; k < DEPTH; k++)
		strcat(c->path, "d/");
	strcat(c->path, "f");
	for (k = 0; k < TASKS; k++)
		CU_ASSERT_EQUAL_FATAL(aring_spawn_stack(loop, opener, c, 16 * 1024, &t[k]), 0);
	for (k = 0; k < TASKS; k++) {
		CU_ASSERT_EQUAL(aring_join(loop, t[k], &ret), 0);
		CU_ASSERT_EQUAL(ret, 0);
	}
	aring_unlinkat(loop, AT_FDCWD, th_path(buf, sizeof(buf), c->dir, "d"), 0, NULL);
	aring_unlinkat(loop, AT_FDCWD, th_path(buf, sizeof(buf), c->dir, "f"), 0, NULL);
	th_tmpdir_remove(loop, c->dir);
	return 0;
}

/* A 2-entry ring: nearly every op makes room, submitting from a task. */
static void test_small_stacks_full_sq(void)
{
	struct ctx c = { .ok = 0 };

	CU_ASSERT_EQUAL(th_run(body, &c, 2), 0);
	CU_ASSERT_EQUAL(c.ok, TASKS);
}

/* The loop's thread: its stack is small, and part of it taken before
 * aring_run (AddressSanitizer's frames and allocator need more of it). */
#define THREAD_STACK (192 * 1024)
#if defined(__SANITIZE_ADDRESS__)
#define THREAD_PAD (32 * 1024)
#else
#define THREAD_PAD (128 * 1024)
#endif

static void *small_thread(void *arg)
{
	struct ctx *c = arg;
	volatile char pad[THREAD_PAD];

	memset((char *)pad, 1, sizeof(pad));
	c->ok += th_run(body, c, 2) == 0 ? pad[THREAD_PAD - 1] * 100 : 0;
	return NULL;
}

/*
 * A loop run from a thread whose stack has 64 KiB left works: the soft
 * ring does its submit work on a thread's stack only with 256 KiB to spare
 * (that decision, aring__stack_room, is tested in test_sim_ring; today's
 * models happen to fit in 64 KiB, so this one guards the whole path).
 */
static void test_small_thread_stack(void)
{
	struct ctx c = { .ok = 0 };
	pthread_attr_t a;
	pthread_t t;

	pthread_attr_init(&a);
	CU_ASSERT_EQUAL_FATAL(pthread_attr_setstacksize(&a, THREAD_STACK), 0);
	CU_ASSERT_EQUAL_FATAL(pthread_create(&t, &a, small_thread, &c), 0);
	pthread_join(t, NULL);
	pthread_attr_destroy(&a);
	CU_ASSERT_EQUAL(c.ok, 100 + TASKS);
}

static CU_TestInfo tests[] = {
	{ "16 KiB task stacks, a 2-entry ring, 40-link paths", test_small_stacks_full_sq },
	{ "the loop's thread has less than 256 KiB of stack left", test_small_thread_stack },
	CU_TEST_INFO_NULL,
};

int main(int argc, char **argv)
{
	return th_main(argc, argv, "soft ring stack", tests, TH_BOTH);
}
