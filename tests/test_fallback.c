/* SPDX-License-Identifier: MIT */
/*
 * ARING_BACKEND_AUTO: io_uring where it works, else the epoll backend.
 *
 * The fallback is proved for real: a child process installs a seccomp
 * filter (hand-written BPF) that makes io_uring_setup, io_uring_enter and
 * io_uring_register fail with EPERM, as Docker's and containerd's default
 * profiles do, then runs the echo example's server and client
 * (examples/echo.c) on a loop made with opts == NULL, and checks that the
 * loop said epoll and that every line came back.
 *
 * Also: ARING_BACKEND=uring|epoll|sim picks the backend of AUTO loops only,
 * an unknown name is -EINVAL, an explicit choice is never overridden.
 */
#include <errno.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "examples/echo.h"
#include "tests/helpers.h"

#define MS (1000ull * 1000u)

#if defined(__x86_64__)
#define AUDIT_ARCH_HERE AUDIT_ARCH_X86_64
#elif defined(__aarch64__)
#define AUDIT_ARCH_HERE AUDIT_ARCH_AARCH64
#endif

/* ---------------------------------------------------------------- seccomp */

#ifdef AUDIT_ARCH_HERE
/* io_uring_setup/enter/register fail with EPERM; everything else is allowed. */
static int block_io_uring(void)
{
	struct sock_filter f[] = {
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_HERE, 1, 0),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_io_uring_setup, 3, 0),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_io_uring_enter, 2, 0),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_io_uring_register, 1, 0),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | (EPERM & SECCOMP_RET_DATA)),
	};
	struct sock_fprog prog = { .len = sizeof(f) / sizeof(f[0]), .filter = f };

	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		return -errno;
	if (prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog, 0, 0) < 0)
		return -errno;
	return 0;
}
#endif

/* ---------------------------------------------------------------- the echo pair */

struct feed {
	int fd;
	const char *data;
};

static int feeder(aring_loop *loop, void *arg)
{
	struct feed *f = arg;
	size_t i, n = strlen(f->data);
	int ret = 0;

	for (i = 0; i < n && ret >= 0; i += 7) {
		ret = aring_write_all(loop, f->fd, f->data + i, n - i < 7 ? n - i : 7, NULL);
		aring_sleep(loop, MS);
	}
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
		int n = aring_read(loop, s->fd, s->buf + s->got,
				   (unsigned)(sizeof(s->buf) - 1 - s->got), 0, NULL);

		if (n <= 0)
			return n;
		s->got += (size_t)n;
	}
}

struct server {
	int lfd;
};

static int server(aring_loop *loop, void *arg)
{
	struct server *s = arg;

	return echo_serve(loop, s->lfd, ECHO_SERVER_TIMEOUT_NS, 1);
}

static const char input[] = "through the fallback\nsecond line\n\nno newline at the end";

/* The echo pair of tests/test_echo.c; 0 when every byte came back. */
static int echo_pair(aring_loop *loop, void *arg)
{
	struct sink *out = arg;
	struct server srv;
	struct feed feed = { .data = input };
	struct sockaddr_in a;
	aring_task *ts, *tf, *to;
	int in[2], outp[2], sock, ret, r1 = -1, r2 = -1, r3 = -1;
	uint16_t port = 0;

	srv.lfd = th_listen(loop, &port);
	if (srv.lfd < 0)
		return srv.lfd;
	if (aring_spawn(loop, server, &srv, &ts) < 0 || aring_pipe(loop, in, 0, NULL) < 0 ||
	    aring_pipe(loop, outp, 0, NULL) < 0)
		return -1;
	feed.fd = in[1];
	out->fd = outp[0];
	if (aring_spawn(loop, feeder, &feed, &tf) < 0 || aring_spawn(loop, sink, out, &to) < 0)
		return -1;
	sock = aring_socket(loop, AF_INET, SOCK_STREAM, 0, 0, NULL);
	a = th_addr(port);
	ret = aring_connect(loop, sock, (struct sockaddr *)&a, sizeof(a), NULL);
	if (ret == 0)
		ret = echo_client(loop, in[0], outp[1], sock, ECHO_CLIENT_TIMEOUT_NS);
	aring_close(loop, sock, NULL);
	aring_close(loop, outp[1], NULL);
	aring_join(loop, ts, &r1);
	aring_join(loop, tf, &r2);
	aring_join(loop, to, &r3);
	aring_close(loop, in[0], NULL);
	aring_close(loop, outp[0], NULL);
	aring_close(loop, srv.lfd, NULL);
	if (ret < 0)
		return ret;
	return r1 < 0 ? r1 : r2 < 0 ? r2 : r3 < 0 ? r3 : 0;
}

/* Exit codes of the child. */
enum {
	CH_OK = 0,
	CH_NO_FILTER = 10,   /* seccomp could not be installed */
	CH_NOT_BLOCKED,      /* io_uring_setup still worked */
	CH_LOOP,             /* aring_loop_new failed */
	CH_NOT_EPOLL,        /* AUTO chose something else */
	CH_RUN,              /* aring_run failed */
	CH_ECHO,             /* the pair failed */
	CH_DATA,             /* the bytes that came back differ */
};

static int child(void)
{
	aring_loop *loop;
	aring_task *t;
	static struct sink out;
	int ret, result = -1;
	long r;

#ifdef AUDIT_ARCH_HERE
	if (block_io_uring() < 0)
		return CH_NO_FILTER;
#else
	return CH_NO_FILTER;
#endif
	/* The filter works: the raw system call is refused as Docker refuses it. */
	r = syscall(__NR_io_uring_setup, 4, calloc(1, 256));
	if (r >= 0 || errno != EPERM)
		return CH_NOT_BLOCKED;
	unsetenv("ARING_BACKEND");
	if (aring_loop_new(&loop, NULL) < 0)
		return CH_LOOP;
	if (aring_loop_backend(loop) != ARING_BACKEND_EPOLL)
		return CH_NOT_EPOLL;
	if (aring_spawn(loop, echo_pair, &out, &t) < 0)
		return CH_LOOP;
	ret = aring_run(loop);
	if (ret < 0)
		return CH_RUN;
	aring_join(loop, t, &result);
	aring_loop_free(loop);
	if (result != 0)
		return CH_ECHO;
	if (out.got != strlen(input) || memcmp(out.buf, input, out.got))
		return CH_DATA;
	return CH_OK;
}

static void test_seccomp_fallback(void)
{
	int status = 0;
	pid_t pid;

	fflush(NULL);
	pid = fork();
	CU_ASSERT_FATAL(pid >= 0);
	if (pid == 0)
		_exit(child());
	CU_ASSERT_EQUAL_FATAL(waitpid(pid, &status, 0), pid);
	CU_ASSERT(WIFEXITED(status));
	if (WIFEXITED(status) && WEXITSTATUS(status) != CH_OK)
		printf("\nchild exit %d (see enum in tests/test_fallback.c)\n", WEXITSTATUS(status));
	CU_ASSERT_EQUAL(WEXITSTATUS(status), CH_OK);
}

/* ---------------------------------------------------------------- the environment */

static enum aring_backend backend_with_env(const char *env, const struct aring_loop_opts *o,
					   int *err)
{
	enum aring_backend b = ARING_BACKEND_AUTO;
	aring_loop *loop;

	if (env)
		setenv("ARING_BACKEND", env, 1);
	else
		unsetenv("ARING_BACKEND");
	*err = aring_loop_new(&loop, o);
	if (*err == 0) {
		b = aring_loop_backend(loop);
		aring_loop_free(loop);
	}
	return b;
}

static void test_env_picks(void)
{
	const char *saved = getenv("ARING_BACKEND");
	char *keep = saved ? strdup(saved) : NULL;
	struct aring_loop_opts uring = { .backend = ARING_BACKEND_URING };
	struct aring_loop_opts sim = { .backend = ARING_BACKEND_SIM };
	struct aring_loop_opts bad = { .backend = (enum aring_backend)17 };
	int err;

	CU_ASSERT_EQUAL(backend_with_env("epoll", NULL, &err), ARING_BACKEND_EPOLL);
	CU_ASSERT_EQUAL(err, 0);
	CU_ASSERT_EQUAL(backend_with_env("sim", NULL, &err), ARING_BACKEND_SIM);
	CU_ASSERT_EQUAL(err, 0);
	CU_ASSERT_EQUAL(backend_with_env("uring", NULL, &err), ARING_BACKEND_URING);
	CU_ASSERT_EQUAL(err, 0);
	/* An explicit backend is never overridden. */
	CU_ASSERT_EQUAL(backend_with_env("epoll", &uring, &err), ARING_BACKEND_URING);
	CU_ASSERT_EQUAL(backend_with_env("epoll", &sim, &err), ARING_BACKEND_SIM);
	/* An unknown name, an unknown backend. */
	backend_with_env("kqueue", NULL, &err);
	CU_ASSERT_EQUAL(err, -EINVAL);
	backend_with_env(NULL, &bad, &err);
	CU_ASSERT_EQUAL(err, -EINVAL);
	/* Unset: io_uring works here (the uring suites run), so AUTO is uring. */
	CU_ASSERT_EQUAL(backend_with_env(NULL, NULL, &err), ARING_BACKEND_URING);
	CU_ASSERT_EQUAL(err, 0);
	if (keep)
		setenv("ARING_BACKEND", keep, 1);
	else
		unsetenv("ARING_BACKEND");
	free(keep);
}

int main(void)
{
	CU_pSuite s;
	unsigned nf;

	th_ignore_sigpipe();
	if (CU_initialize_registry() != CUE_SUCCESS)
		return 1;
	s = CU_add_suite("fallback", NULL, NULL);
	CU_add_test(s, "seccomp blocks io_uring: AUTO runs the echo pair on epoll",
		    test_seccomp_fallback);
	CU_add_test(s, "ARING_BACKEND picks the backend of AUTO loops only", test_env_picks);
	CU_basic_set_mode(CU_BRM_VERBOSE);
	CU_basic_run_tests();
	nf = CU_get_number_of_failures();
	CU_cleanup_registry();
	return nf ? 1 : 0;
}
