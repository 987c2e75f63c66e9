/* SPDX-License-Identifier: MIT */
#include "tests/helpers.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const struct th_config *th_cfg;

#define MAX_CONFIGS 8
static struct th_config configs[MAX_CONFIGS];
static unsigned nconfigs;

aring_loop *th_loop_new_sim(unsigned entries, const struct aring_sim_opts *sim)
{
	struct aring_loop_opts o = { 0 };
	struct aring_sim_opts so = { 0 };
	aring_loop *loop = NULL;
	int ret;

	o.backend = th_cfg ? th_cfg->backend : ARING_BACKEND_URING;
	o.entries = entries;
	if (o.backend == ARING_BACKEND_SIM) {
		if (sim)
			so = *sim;
		if (!so.seed)
			so.seed = th_cfg->seed;
		o.sim = &so;
	}
	ret = aring_loop_new(&loop, &o);
	if (ret < 0)
		fprintf(stderr, "aring_loop_new(%s): %s\n", th_cfg ? th_cfg->name : "uring",
			strerror(-ret));
	CU_ASSERT_FATAL(ret == 0);
	return loop;
}

aring_loop *th_loop_new(unsigned entries)
{
	return th_loop_new_sim(entries, NULL);
}

int th_run_on(aring_loop *loop, aring_fn fn, void *arg)
{
	aring_task *t = NULL;
	int result = -12345;

	CU_ASSERT_FATAL(aring_spawn(loop, fn, arg, &t) == 0);
	CU_ASSERT_EQUAL_FATAL(aring_run(loop), 0);
	CU_ASSERT_FATAL(aring_join(loop, t, &result) == 0);
	return result;
}

int th_run(aring_fn fn, void *arg, unsigned entries)
{
	aring_loop *loop = th_loop_new(entries);
	int ret = th_run_on(loop, fn, arg);

	aring_loop_free(loop);
	return ret;
}

struct sockaddr_in th_addr(uint16_t port)
{
	struct sockaddr_in a;

	memset(&a, 0, sizeof(a));
	a.sin_family = AF_INET;
	a.sin_port = htons(port);
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	return a;
}

static int local_port(aring_loop *loop, int fd, uint16_t *port)
{
	struct sockaddr_in a;
	socklen_t len = sizeof(a);
	int ret;

	if (aring_loop_backend(loop) == ARING_BACKEND_SIM)
		ret = aring_sim_getsockname(loop, fd, (struct sockaddr *)&a, &len);
	else
		ret = getsockname(fd, (struct sockaddr *)&a, &len) < 0 ? -errno : 0;
	if (ret == 0)
		*port = ntohs(a.sin_port);
	return ret;
}

int th_listen(aring_loop *loop, uint16_t *port)
{
	struct sockaddr_in a = th_addr(0);
	int fd, ret;

	fd = aring_socket(loop, AF_INET, SOCK_STREAM, 0, 0, NULL);
	if (fd < 0)
		return fd;
	ret = aring_bind(loop, fd, (struct sockaddr *)&a, sizeof(a), NULL);
	if (ret == 0)
		ret = aring_listen(loop, fd, 128, NULL);
	if (ret == 0)
		ret = local_port(loop, fd, port);
	if (ret < 0) {
		aring_close(loop, fd, NULL);
		return ret;
	}
	return fd;
}

struct accept_arg {
	int lfd;
	int fd;
};

static int accept_task(aring_loop *loop, void *arg)
{
	struct accept_arg *a = arg;

	a->fd = aring_accept(loop, a->lfd, NULL, NULL, 0, NULL);
	return 0;
}

int th_tcp_pair(aring_loop *loop, int *client, int *server)
{
	struct accept_arg acc = { .fd = -1 };
	struct sockaddr_in a;
	aring_task *t;
	uint16_t port = 0;
	int lfd, cfd, ret;

	lfd = th_listen(loop, &port);
	if (lfd < 0)
		return lfd;
	acc.lfd = lfd;
	ret = aring_spawn(loop, accept_task, &acc, &t);
	if (ret < 0)
		return ret;
	cfd = aring_socket(loop, AF_INET, SOCK_STREAM, 0, 0, NULL);
	a = th_addr(port);
	ret = cfd < 0 ? cfd : aring_connect(loop, cfd, (struct sockaddr *)&a, sizeof(a), NULL);
	aring_join(loop, t, NULL);
	aring_close(loop, lfd, NULL);
	if (ret < 0 || acc.fd < 0) {
		if (cfd >= 0)
			aring_close(loop, cfd, NULL);
		if (acc.fd >= 0)
			aring_close(loop, acc.fd, NULL);
		return ret < 0 ? ret : acc.fd;
	}
	*client = cfd;
	*server = acc.fd;
	return 0;
}

static bool sim_available(void)
{
	struct aring_loop_opts o = { .backend = ARING_BACKEND_SIM };
	aring_loop *loop;

	if (aring_loop_new(&loop, &o) < 0)
		return false;
	aring_loop_free(loop);
	return true;
}

static int suite_init(void)
{
	return 0;
}

static unsigned failures_before;

static void add_config(enum aring_backend b, uint64_t seed)
{
	struct th_config *c = &configs[nconfigs++];

	c->backend = b;
	c->seed = seed;
	if (b == ARING_BACKEND_URING)
		snprintf(c->name, sizeof(c->name), "uring");
	else if (b == ARING_BACKEND_EPOLL)
		snprintf(c->name, sizeof(c->name), "epoll");
	else
		snprintf(c->name, sizeof(c->name), "sim seed=%" PRIu64, seed);
}

/* Run the tests of one configuration; the number that failed. */
static unsigned run_config(const char *suite, CU_TestInfo *tests, unsigned i)
{
	char name[160];
	CU_pSuite s;
	CU_TestInfo *t;
	unsigned f;

	CU_cleanup_registry();
	if (CU_initialize_registry() != CUE_SUCCESS)
		return 1;
	snprintf(name, sizeof(name), "%s [%s]", suite, configs[i].name);
	s = CU_add_suite(name, suite_init, NULL);
	for (t = tests; t->pName; t++)
		CU_add_test(s, t->pName, t->pTestFunc);
	th_cfg = &configs[i];
	failures_before = 0;
	CU_basic_run_tests();
	f = CU_get_number_of_tests_failed();
	if (f && configs[i].backend == ARING_BACKEND_SIM)
		printf("\n%s: %u test(s) failed on the sim; replay with ARING_SIM_SEED=%" PRIu64 "\n",
		       suite, f, configs[i].seed);
	return f;
}

static const char *swarm_suite;
static CU_TestInfo *swarm_tests;

/* ARING_SIM_SEEDS: one seed's sim configuration, in aring_sim_swarm's child. */
static int seed_scenario(uint64_t seed, void *arg)
{
	(void)arg;
	nconfigs = 0;
	add_config(ARING_BACKEND_SIM, seed);
	return run_config(swarm_suite, swarm_tests, 0) != 0;
}

int th_main(int argc, char **argv, const char *suite, CU_TestInfo *tests, unsigned backends)
{
	const char *env = getenv("ARING_SIM_SEED"), *seeds = getenv("ARING_SIM_SEEDS");
	bool swarm = false;
	unsigned i, failed = 0;

	const char *only = getenv("ARING_BACKEND");

	(void)argc;
	(void)argv;
	if (only && *only && strcmp(only, "auto")) {
		unsigned keep = !strcmp(only, "uring") ? TH_URING : !strcmp(only, "sim") ? TH_SIM :
				!strcmp(only, "epoll") ? TH_EPOLL : 0;

		if (!(backends & keep)) {
			printf("%s: ARING_BACKEND=%s, and these tests do not run on it\n", suite, only);
			return 77;
		}
		backends &= keep;
	}
	if (backends & TH_URING)
		add_config(ARING_BACKEND_URING, 0);
	if (backends & TH_SIM) {
		if (!sim_available()) {
			printf("%s: the sim backend is not built; its configurations did not run\n", suite);
		} else if (env && *env) {
			add_config(ARING_BACKEND_SIM, strtoull(env, NULL, 0));
		} else if (seeds && *seeds) {
			swarm = true; /* below, each seed in its own process */
		} else {
			add_config(ARING_BACKEND_SIM, 1);
			add_config(ARING_BACKEND_SIM, 2);
			add_config(ARING_BACKEND_SIM, 0x5eed);
		}
	}
	if (backends & TH_EPOLL)
		add_config(ARING_BACKEND_EPOLL, 0);
	if (CU_initialize_registry() != CUE_SUCCESS)
		return 1;
	CU_basic_set_mode(CU_BRM_VERBOSE);
	for (i = 0; i < nconfigs; i++)
		failed += run_config(suite, tests, i);
	if (swarm) {
		struct aring_sim_swarm_opts o = { .first_seed = 1, .seeds = 1 };
		int n;

		swarm_suite = suite;
		swarm_tests = tests;
		n = aring_sim_swarm(seed_scenario, NULL, &o);
		failed += n < 0 ? 1 : (unsigned)n;
	}
	CU_cleanup_registry();
	return failed ? 1 : 0;
}

/* ---------------------------------------------------------------- files */

int th_tmpdir(aring_loop *loop, char *path, size_t len)
{
	int ret;

	if (aring_loop_backend(loop) == ARING_BACKEND_SIM) {
		snprintf(path, len, "/tmp/x");
		ret = aring_mkdirat(loop, AT_FDCWD, path, 0700, NULL);
	} else {
		snprintf(path, len, "/tmp/aring-test-XXXXXX");
		ret = mkdtemp(path) ? 0 : -errno;
	}
	CU_ASSERT_EQUAL(ret, 0);
	if (ret < 0)
		path[0] = 0;
	return ret;
}

static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path) < 0 ? -1 : 0;
}

void th_tmpdir_remove(aring_loop *loop, const char *path)
{
	if (aring_loop_backend(loop) == ARING_BACKEND_SIM || !*path)
		return;
	CU_ASSERT_EQUAL(nftw(path, rm_one, 16, FTW_DEPTH | FTW_PHYS), 0);
}

const char *th_path(char *buf, size_t len, const char *dir, const char *name)
{
	snprintf(buf, len, "%s/%s", dir, name);
	return buf;
}

int th_file(aring_loop *loop, const char *dir, const char *name, const char *data)
{
	char path[256];
	size_t n = strlen(data);
	int fd, ret;

	fd = aring_openat(loop, AT_FDCWD, th_path(path, sizeof(path), dir, name),
			  O_CREAT | O_TRUNC | O_RDWR, 0600, NULL);
	if (fd < 0 || n == 0)
		return fd;
	ret = aring_write_all(loop, fd, data, n, NULL);
	if (ret < 0) {
		aring_close(loop, fd, NULL);
		return ret;
	}
	return fd;
}

int64_t th_file_size(aring_loop *loop, const char *path)
{
	struct statx stx;
	int ret = aring_statx(loop, AT_FDCWD, path, 0, STATX_SIZE, &stx, NULL);

	return ret < 0 ? ret : (int64_t)stx.stx_size;
}

void th_close_pair(aring_loop *loop, const int fds[2])
{
	CU_ASSERT_EQUAL(aring_close(loop, fds[0], NULL), 0);
	CU_ASSERT_EQUAL(aring_close(loop, fds[1], NULL), 0);
}

void th_ignore_sigpipe(void)
{
	signal(SIGPIPE, SIG_IGN);
}

bool th_kernel_has(unsigned opcode, const char *name)
{
	struct aring_loop_opts o = { .backend = ARING_BACKEND_URING };
	aring_loop *loop;
	int ok;

	if (aring_loop_new(&loop, &o) < 0) {
		printf("cannot make an io_uring loop: no io_uring in this kernel\n");
		return false;
	}
	ok = aring_op_supported(loop, opcode);
	aring_loop_free(loop);
	if (!ok)
		printf("skipped: the running kernel lacks IORING_OP_%s\n", name);
	return ok;
}

aring_task *th_spawn(aring_loop *loop, aring_fn fn, void *arg)
{
	aring_task *t = NULL;

	CU_ASSERT_EQUAL(aring_spawn(loop, fn, arg, &t), 0);
	return t;
}

struct later {
	int fd;
	const char *data;
};

static int write_later(aring_loop *loop, void *arg)
{
	struct later l = *(struct later *)arg;

	free(arg);
	aring_sleep(loop, 1000000);
	return aring_write(loop, l.fd, l.data, (unsigned)strlen(l.data), 0, NULL);
}

aring_task *th_write_later(aring_loop *loop, int fd, const char *data)
{
	struct later *l = malloc(sizeof(*l));

	CU_ASSERT_FATAL(l != NULL);
	l->fd = fd;
	l->data = data;
	return th_spawn(loop, write_later, l);
}

int th_join(aring_loop *loop, aring_task *t)
{
	int result = -12345;

	if (!t)
		return result;
	CU_ASSERT_EQUAL(aring_join(loop, t, &result), 0);
	return result;
}

void th_expect_abort(void (*child)(void *arg), void *arg, const char *msg)
{
	char out[256] = { 0 };
	int pipefd[2], status;
	ssize_t n, got = 0;
	pid_t pid;

	CU_ASSERT_FATAL(pipe(pipefd) == 0);
	fflush(NULL);
	pid = fork();
	CU_ASSERT_FATAL(pid >= 0);
	if (pid == 0) {
		dup2(pipefd[1], 2);
		child(arg);
		_exit(0);
	}
	close(pipefd[1]);
	while (got < (ssize_t)sizeof(out) - 1 &&
	       (n = read(pipefd[0], out + got, sizeof(out) - 1 - (size_t)got)) > 0)
		got += n;
	close(pipefd[0]);
	CU_ASSERT_EQUAL(waitpid(pid, &status, 0), pid);
	CU_ASSERT(WIFSIGNALED(status) && WTERMSIG(status) == SIGABRT);
	if (!strstr(out, msg))
		fprintf(stderr, "expected \"%s\" on stderr, got \"%s\"\n", msg, out);
	CU_ASSERT_PTR_NOT_NULL(strstr(out, msg));
}

aring_sim_world *th_world_new(const struct aring_sim_opts *o)
{
	struct aring_sim_opts d;
	aring_sim_world *w = NULL;

	memset(&d, 0, sizeof(d));
	if (o)
		d = *o;
	d.seed = th_cfg->seed;
	CU_ASSERT_FATAL(aring_sim_world_new(&w, &d) == 0);
	return w;
}

aring_loop *th_node_new(aring_sim_world *w, const char *name)
{
	aring_loop *n = NULL;

	CU_ASSERT_FATAL(aring_sim_node_new(w, name, NULL, &n) == 0);
	return n;
}
