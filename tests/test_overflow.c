/* SPDX-License-Identifier: MIT */
/*
 * uring only: a task that recurses without bound is caught by its stack's
 * guard page. In a child process (fork), with stderr captured through a
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

static void child(int errfd)
{
	aring_loop *loop;

	dup2(errfd, STDERR_FILENO);
	if (aring_loop_new(&loop, NULL) < 0)
		_exit(3);
	aring_spawn(loop, overflow_task, NULL, NULL);
	aring_run(loop);
	_exit(0);  /* not reached if the overflow is caught */
}

static void test_stack_overflow(void)
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
		child(p[1]);
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

static CU_TestInfo tests[] = {
	{ "unbounded recursion in a task: stack overflow reported", test_stack_overflow },
	CU_TEST_INFO_NULL,
};

int main(int argc, char **argv)
{
	return th_main(argc, argv, "overflow", tests, TH_URING | TH_EPOLL);
}
