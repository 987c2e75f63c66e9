/* SPDX-License-Identifier: MIT */
/*
 * uring only: a task that recurses without bound is caught by its stack's
 * guard page, wherever core/stack.c took that stack from. In a child process (fork), with stderr captured through a
 * pipe: the child must die of SIGABRT and say "stack overflow". Under
 * AddressSanitizer the report may be ASan's own ("stack-overflow"), and the
 * child must still die abnormally.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "tests/helpers.h"

#if defined(__SANITIZE_ADDRESS__)
#define UNDER_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define UNDER_ASAN 1
#endif
#endif

static volatile int never = -1;

/* Not inlinable, not a tail call: each frame keeps 1 KiB live across the call. */
__attribute__((noinline)) static int recurse(int depth)
{
	volatile char frame[1024];

	frame[0] = (char)depth;
	frame[sizeof(frame) - 1] = (char)depth;
	if (depth == never)
		return 0;
	return recurse(depth + 1) + frame[0] + frame[sizeof(frame) - 1];
}

static int overflow_task(aring_loop *loop, void *arg)
{
	return recurse(0);
}

static int sleeper(aring_loop *loop, void *arg)
{
	return aring_sleep(loop, 1000000);
}

/*
 * Where the overflowing task's stack comes from (core/stack.c): the first
 * slot of a new slab, a later slot (its guard installed when it is first
 * handed out), or a slab a freed loop left in the process-wide cache: a slot
 * that loop used, or one it never touched.
 */
enum where { FIRST_SLOT, LATER_SLOT, CACHED_USED, CACHED_FRESH };

static void spawn_sleepers(aring_loop *loop, unsigned n)
{
	while (n--)
		if (aring_spawn(loop, sleeper, NULL, NULL) < 0)
			_exit(4);
}

static void child(int errfd, enum where where)
{
	aring_loop *loop;

	dup2(errfd, STDERR_FILENO);
	if (where == CACHED_USED || where == CACHED_FRESH) {
		if (aring_loop_new(&loop, NULL) < 0)
			_exit(3);
		spawn_sleepers(loop, 3);
		if (aring_run(loop) < 0)
			_exit(5);
		aring_loop_free(loop);
	}
	if (aring_loop_new(&loop, NULL) < 0)
		_exit(3);
	spawn_sleepers(loop, where == LATER_SLOT ? 9 : where == CACHED_FRESH ? 6 : 0);
	aring_spawn(loop, overflow_task, NULL, NULL);
	aring_run(loop);
	_exit(0);  /* not reached if the overflow is caught */
}

static void overflow_in(enum where where)
{
	char out[8192];
	size_t got = 0;
	int p[2], status = 0;
	pid_t pid;
	ssize_t n;

	CU_ASSERT_FATAL(pipe(p) == 0);
	fflush(stdout);
	pid = fork();
	CU_ASSERT_FATAL(pid >= 0);
	if (pid == 0) {
		close(p[0]);
		child(p[1], where);
	}
	close(p[1]);
	while (got < sizeof(out) - 1 && (n = read(p[0], out + got, sizeof(out) - 1 - got)) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			break;
		got += (size_t)n;
	}
	out[got] = 0;
	close(p[0]);
	CU_ASSERT_EQUAL_FATAL(waitpid(pid, &status, 0), pid);
	printf("\n    child's stderr: %.200s", out);
#ifdef UNDER_ASAN
	CU_ASSERT(WIFSIGNALED(status) || (WIFEXITED(status) && WEXITSTATUS(status) != 0));
	CU_ASSERT(strstr(out, "stack overflow") || strstr(out, "stack-overflow"));
#else
	CU_ASSERT(WIFSIGNALED(status));
	CU_ASSERT(WIFSIGNALED(status) && WTERMSIG(status) == SIGABRT);
	CU_ASSERT_PTR_NOT_NULL(strstr(out, "stack overflow"));
#endif
}

static void test_stack_overflow(void)
{
	overflow_in(FIRST_SLOT);
}

static void test_overflow_later_slot(void)
{
	overflow_in(LATER_SLOT);
}

static void test_overflow_cached_used(void)
{
	overflow_in(CACHED_USED);
}

static void test_overflow_cached_fresh(void)
{
	overflow_in(CACHED_FRESH);
}

static CU_TestInfo tests[] = {
	{ "unbounded recursion in a task: stack overflow reported", test_stack_overflow },
	{ "the same in the 10th stack of a slab (guard made when first used)",
	  test_overflow_later_slot },
	{ "the same on a stack a freed loop used (cached slab)", test_overflow_cached_used },
	{ "the same on a cached slab's stack its first loop never used",
	  test_overflow_cached_fresh },
	CU_TEST_INFO_NULL,
};

int main(int argc, char **argv)
{
	return th_main(argc, argv, "overflow", tests, TH_URING | TH_EPOLL);
}
