/*
 * The simulated kernel's profile (struct aring_sim_opts missing_ops,
 * uring_errno): opcodes an older kernel lacks, and io_uring unavailable.
 * Sim only: the profile is what the sim stands in for.
 */
#include <CUnit/Basic.h>
#include <aring.h>
#include <aring/sim.h>
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "core/abi.h" /* ARING_OP_BIND, _LISTEN, _PIPE, _LAST for liburing 2.3 */

static aring_loop *profile_loop(const struct aring_sim_opts *base, enum aring_backend asked,
				int *err)
{
	struct aring_sim_opts so = base ? *base : (struct aring_sim_opts){ 0 };
	struct aring_loop_opts lo = { .backend = asked, .sim = &so };
	aring_loop *loop = NULL;

	so.seed = 1;
	*err = aring_loop_new(&loop, &lo);
	return loop;
}

/* ---------------------------------------------------------------- missing opcodes */

static int openat_task(aring_loop *loop, void *arg)
{
	int *res = arg;

	res[0] = aring_openat(loop, AT_FDCWD, "/tmp/x", O_CREAT | O_RDWR, 0644, NULL);
	res[1] = aring_mkdirat(loop, AT_FDCWD, "/tmp/d", 0755, NULL);
	return 0;
}

static void test_missing_op_einval(void)
{
	struct aring_sim_opts so = { 0 };
	aring_loop *loop;
	int err, res[2] = { 1, 1 };

	ARING_SIM_OP_MISSING(&so, IORING_OP_OPENAT);
	loop = profile_loop(&so, ARING_BACKEND_SIM, &err);
	CU_ASSERT_EQUAL_FATAL(err, 0);
	CU_ASSERT_EQUAL(aring_op_supported(loop, IORING_OP_OPENAT), 0);
	CU_ASSERT_EQUAL(aring_op_supported(loop, IORING_OP_MKDIRAT), 1);
	CU_ASSERT_EQUAL(aring_loop_backend(loop), ARING_BACKEND_SIM);
	aring_spawn(loop, openat_task, res, NULL);
	CU_ASSERT_EQUAL(aring_run(loop), 0);
	/* kernel io_init_req(): an opcode past the kernel's IORING_OP_LAST */
	CU_ASSERT_EQUAL(res[0], -EINVAL);
	CU_ASSERT_EQUAL(res[1], 0);
	aring_loop_free(loop);
	/* the same without the profile: the op is there */
	loop = profile_loop(NULL, ARING_BACKEND_SIM, &err);
	CU_ASSERT_EQUAL(aring_op_supported(loop, IORING_OP_OPENAT), 1);
	aring_spawn(loop, openat_task, res, NULL);
	CU_ASSERT_EQUAL(aring_run(loop), 0);
	CU_ASSERT(res[0] >= 3);
	aring_loop_free(loop);
}

static void test_missing_ring_op_refused(void)
{
	struct aring_sim_opts so = { 0 };
	int err;

	ARING_SIM_OP_MISSING(&so, IORING_OP_TIMEOUT);
	CU_ASSERT_PTR_NULL(profile_loop(&so, ARING_BACKEND_SIM, &err));
	CU_ASSERT_EQUAL(err, -EINVAL);
	memset(&so, 0, sizeof(so));
	so.uring_errno = 1;
	CU_ASSERT_PTR_NULL(profile_loop(&so, ARING_BACKEND_SIM, &err));
	CU_ASSERT_EQUAL(err, -EINVAL);
}

/* bind, listen, pipe without their ops: the wrappers' system calls, on the model. */
struct fb {
	int bind_res, listen_res, pipe_res, conn_res, acc_res, bad_bind, inuse_bind, rd;
	uint64_t ops_before, ops_after;
	char buf[8];
};

static int fb_client(aring_loop *loop, void *arg)
{
	struct fb *f = arg;
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(7100),
				 .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	int fd = aring_socket(loop, AF_INET, SOCK_STREAM, 0, 0, NULL);

	f->conn_res = aring_connect(loop, fd, (struct sockaddr *)&a, sizeof(a), NULL);
	aring_close(loop, fd, NULL);
	return 0;
}

static int fb_task(aring_loop *loop, void *arg)
{
	struct fb *f = arg;
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(7100),
				 .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	struct aring_sim_stats st;
	int fd = aring_socket(loop, AF_INET, SOCK_STREAM, 0, 0, NULL), fd2, c, p[2];

	aring_sim_stats(loop, &st);
	f->ops_before = st.ops;
	f->bind_res = aring_bind(loop, fd, (struct sockaddr *)&a, sizeof(a), NULL);
	f->listen_res = aring_listen(loop, fd, 8, NULL);
	f->bad_bind = aring_bind(loop, 99999, (struct sockaddr *)&a, sizeof(a), NULL);
	f->pipe_res = aring_pipe(loop, p, 0, NULL);
	aring_sim_stats(loop, &st);
	f->ops_after = st.ops;
	fd2 = aring_socket(loop, AF_INET, SOCK_STREAM, 0, 0, NULL);
	f->inuse_bind = aring_bind(loop, fd2, (struct sockaddr *)&a, sizeof(a), NULL);
	aring_close(loop, fd2, NULL);
	/* the model really listened and made a pipe */
	aring_spawn(loop, fb_client, f, NULL);
	c = aring_accept(loop, fd, NULL, NULL, 0, NULL);
	f->acc_res = c;
	if (c >= 0)
		aring_close(loop, c, NULL);
	if (f->pipe_res == 0) {
		aring_write(loop, p[1], "pipe", 4, 0, NULL);
		f->rd = aring_read(loop, p[0], f->buf, sizeof(f->buf), 0, NULL);
		aring_close(loop, p[0], NULL);
		aring_close(loop, p[1], NULL);
	}
	aring_close(loop, fd, NULL);
	return 0;
}

static void test_fallbacks_on_the_model(void)
{
	struct aring_sim_opts so = { .flags = ARING_SIM_HIGH_FDS };
	struct fb f = { 0 };
	aring_loop *loop;
	int err;

	ARING_SIM_OP_MISSING(&so, ARING_OP_BIND);
	ARING_SIM_OP_MISSING(&so, ARING_OP_LISTEN);
	ARING_SIM_OP_MISSING(&so, ARING_OP_PIPE);
	loop = profile_loop(&so, ARING_BACKEND_SIM, &err);
	CU_ASSERT_EQUAL_FATAL(err, 0);
	CU_ASSERT_EQUAL(aring_op_supported(loop, ARING_OP_BIND), 0);
	CU_ASSERT_EQUAL(aring_op_supported(loop, ARING_OP_LISTEN), 0);
	CU_ASSERT_EQUAL(aring_op_supported(loop, ARING_OP_PIPE), 0);
	aring_spawn(loop, fb_task, &f, NULL);
	CU_ASSERT_EQUAL(aring_run(loop), 0);
	/* a real bind(2) or listen(2) on fd >= 1 << 20 would give -EBADF */
	CU_ASSERT_EQUAL(f.bind_res, 0);
	CU_ASSERT_EQUAL(f.listen_res, 0);
	CU_ASSERT_EQUAL(f.bad_bind, -EBADF);
	CU_ASSERT_EQUAL(f.pipe_res, 0);
	CU_ASSERT_EQUAL(f.inuse_bind, -EADDRINUSE);
	CU_ASSERT_EQUAL(f.ops_after, f.ops_before); /* system calls: no SQE */
	CU_ASSERT_EQUAL(f.conn_res, 0);
	CU_ASSERT(f.acc_res >= 0);
	CU_ASSERT_EQUAL(f.rd, 4);
	CU_ASSERT_EQUAL(memcmp(f.buf, "pipe", 4), 0);
	aring_loop_free(loop);
}

/* ---------------------------------------------------------------- io_uring unavailable */

static int noop(aring_loop *loop, void *arg)
{
	(void)loop;
	(void)arg;
	return 0;
}

static int work(void *arg)
{
	(void)arg;
	return 0;
}

struct ep {
	int offload_res, post_self, wr, rd;
};

static int ep_task(aring_loop *loop, void *arg)
{
	struct ep *e = arg;
	char buf[4];
	int fd = aring_openat(loop, AT_FDCWD, "/tmp/e", O_CREAT | O_RDWR, 0644, NULL);

	e->offload_res = aring_offload(loop, work, NULL, NULL);
	e->post_self = aring_loop_post(loop, noop, NULL); /* its own task: a spawn, as epoll */
	e->wr = aring_write(loop, fd, "abc", 3, 0, NULL);
	e->rd = aring_read(loop, fd, buf, 3, 0, NULL);
	aring_close(loop, fd, NULL);
	return 0;
}

static void test_uring_unavailable_auto(void)
{
	static const int errs[] = { -ENOSYS, -EPERM, -ENOMEM };
	aring_loop *real = NULL;
	struct aring_loop_opts elo = { .backend = ARING_BACKEND_EPOLL };

	/* the program asks for AUTO; ARING_BACKEND=sim makes it a sim loop */
	setenv("ARING_BACKEND", "sim", 1);
	CU_ASSERT_EQUAL_FATAL(aring_loop_new(&real, &elo), 0);
	for (unsigned k = 0; k < 3; k++) {
		struct aring_sim_opts so = { .uring_errno = errs[k] };
		struct ep e = { 0 };
		aring_loop *loop;
		int err;

		ARING_SIM_OP_MISSING(&so, ARING_OP_BIND); /* no kernel ring: does not matter */
		loop = profile_loop(&so, ARING_BACKEND_AUTO, &err);
		CU_ASSERT_EQUAL_FATAL(err, 0);
		CU_ASSERT_EQUAL(aring_loop_backend(loop), ARING_BACKEND_EPOLL);
		CU_ASSERT_PTR_NOT_NULL(aring_sim_world_of(loop) == NULL ? loop : NULL);
		CU_ASSERT_EQUAL(aring_sim_seed(loop), 1); /* still a sim loop */
		CU_ASSERT_EQUAL(aring_op_supported(loop, ARING_OP_BIND), 1);
		for (unsigned op = 0; op < ARING_OP_LAST; op++)
			if (aring_op_supported(loop, op))
				CU_ASSERT_EQUAL(aring_op_supported(real, op), 1);
		CU_ASSERT_EQUAL(aring_loop_post(loop, noop, NULL), -EOPNOTSUPP);
		aring_spawn(loop, ep_task, &e, NULL);
		CU_ASSERT_EQUAL(aring_run(loop), 0);
		CU_ASSERT_EQUAL(e.offload_res, -EOPNOTSUPP);
		CU_ASSERT_EQUAL(e.post_self, 0);
		CU_ASSERT_EQUAL(e.wr, 3);
		CU_ASSERT_EQUAL(e.rd, 3);
		/* aring_sim_set_faults keeps the profile */
		CU_ASSERT_EQUAL(aring_sim_set_faults(loop, &(struct aring_sim_opts){ 0 }), 0);
		CU_ASSERT_EQUAL(aring_loop_backend(loop), ARING_BACKEND_EPOLL);
		aring_loop_free(loop);
	}
	aring_loop_free(real);
	{
		/* an errno AUTO does not fall back on: the loop fails with it */
		struct aring_sim_opts so = { .uring_errno = -EACCES };
		int err;

		CU_ASSERT_PTR_NULL(profile_loop(&so, ARING_BACKEND_AUTO, &err));
		CU_ASSERT_EQUAL(err, -EACCES);
	}
	unsetenv("ARING_BACKEND");
}

/* Nodes: opts->backend is what the node's program asked for. */
static void test_uring_unavailable_nodes(void)
{
	struct aring_sim_opts wo = { .seed = 3, .uring_errno = -ENOSYS };
	struct aring_loop_opts lo = { 0 };
	aring_sim_world *w;
	aring_loop *n = NULL;

	CU_ASSERT_EQUAL_FATAL(aring_sim_world_new(&w, &wo), 0);
	lo.backend = ARING_BACKEND_URING;
	CU_ASSERT_EQUAL(aring_sim_node_new(w, "u", &lo, &n), -ENOSYS);
	lo.backend = ARING_BACKEND_AUTO;
	CU_ASSERT_EQUAL_FATAL(aring_sim_node_new(w, "a", &lo, &n), 0);
	CU_ASSERT_EQUAL(aring_loop_backend(n), ARING_BACKEND_EPOLL);
	/* the name "u" was not taken */
	lo.backend = ARING_BACKEND_EPOLL;
	CU_ASSERT_EQUAL_FATAL(aring_sim_node_new(w, "u", &lo, &n), 0);
	CU_ASSERT_EQUAL(aring_loop_backend(n), ARING_BACKEND_EPOLL);
	aring_sim_world_free(w);

	wo.uring_errno = 0;
	CU_ASSERT_EQUAL_FATAL(aring_sim_world_new(&w, &wo), 0);
	lo.backend = ARING_BACKEND_URING;
	CU_ASSERT_EQUAL_FATAL(aring_sim_node_new(w, "u", &lo, &n), 0);
	CU_ASSERT_EQUAL(aring_loop_backend(n), ARING_BACKEND_SIM);
	lo.backend = ARING_BACKEND_EPOLL;
	CU_ASSERT_EQUAL_FATAL(aring_sim_node_new(w, "e", &lo, &n), 0);
	CU_ASSERT_EQUAL(aring_loop_backend(n), ARING_BACKEND_EPOLL);
	aring_sim_world_free(w);
}

int main(void)
{
	CU_TestInfo tests[] = {
		{ "missing_op_einval", test_missing_op_einval },
		{ "missing_ring_op_refused", test_missing_ring_op_refused },
		{ "fallbacks_on_the_model", test_fallbacks_on_the_model },
		{ "uring_unavailable_auto", test_uring_unavailable_auto },
		{ "uring_unavailable_nodes", test_uring_unavailable_nodes },
		CU_TEST_INFO_NULL,
	};
	CU_SuiteInfo suites[] = { { "sim_profile", NULL, NULL, NULL, NULL, tests }, CU_SUITE_INFO_NULL };
	unsigned failed;

	if (CU_initialize_registry() != CUE_SUCCESS || CU_register_suites(suites) != CUE_SUCCESS)
		return 1;
	CU_basic_set_mode(CU_BRM_VERBOSE);
	CU_basic_run_tests();
	failed = CU_get_number_of_failures();
	CU_cleanup_registry();
	return failed ? 1 : 0;
}
