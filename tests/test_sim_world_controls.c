/* SPDX-License-Identifier: MIT */
/*
 * Controls of the simulated world: fault rates changed while running, the
 * scheduling shuffle, fd numbers no real fd can have, directory listings.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tests/helpers.h"

#define MS 1000000ull

/* ---------------------------------------------------------------- set_faults */

static int writes_under_faults(aring_loop *loop, void *arg)
{
	struct aring_sim_opts o;
	struct aring_sim_stats st;
	int fd = aring_openat(loop, AT_FDCWD, "/tmp/f", O_CREAT | O_RDWR, 0644, NULL), k, failed = 0;

	(void)arg;
	CU_ASSERT_FATAL(fd >= 0);
	/* the fixture is built with faults off */
	for (k = 0; k < 50; k++)
		CU_ASSERT_EQUAL(aring_write(loop, fd, "x", 1, (uint64_t)k, NULL), 1);
	memset(&o, 0, sizeof(o));
	o.error_ppm = 1000000;
	CU_ASSERT_EQUAL(aring_sim_set_faults(loop, &o), 0);
	for (k = 0; k < 50; k++)
		failed += aring_write(loop, fd, "x", 1, (uint64_t)k, NULL) < 0;
	CU_ASSERT_EQUAL(failed, 50);
	CU_ASSERT_EQUAL(aring_sim_stats(loop, &st), 0);
	CU_ASSERT_EQUAL(st.errors_injected, 50);
	o.error_ppm = 0;
	CU_ASSERT_EQUAL(aring_sim_set_faults(loop, &o), 0);
	CU_ASSERT_EQUAL(aring_write(loop, fd, "x", 1, 0, NULL), 1);
	/* refused as aring_loop_new would refuse them */
	o.short_ppm = 1000001;
	CU_ASSERT_EQUAL(aring_sim_set_faults(loop, &o), -EINVAL);
	CU_ASSERT_EQUAL(aring_sim_set_faults(loop, NULL), -EINVAL);
	CU_ASSERT_EQUAL(aring_sim_set_faults(NULL, &o), -EINVAL);
	return aring_close(loop, fd, NULL);
}

static void test_set_faults(void)
{
	CU_ASSERT_EQUAL(th_run(writes_under_faults, NULL, 0), 0);
}

/* Resets switched on for the network once the connection is up. */
static int reset_server(aring_loop *loop, void *arg)
{
	struct sockaddr_in a;
	int l = aring_socket(loop, AF_INET, SOCK_STREAM, 0, 0, NULL), c;
	char buf[8];

	(void)arg;
	memset(&a, 0, sizeof(a));
	a.sin_family = AF_INET;
	a.sin_port = htons(80);
	CU_ASSERT_EQUAL(aring_bind(loop, l, (struct sockaddr *)&a, sizeof(a), NULL), 0);
	CU_ASSERT_EQUAL(aring_listen(loop, l, 4, NULL), 0);
	c = aring_accept(loop, l, NULL, NULL, 0, NULL);
	CU_ASSERT_FATAL(c >= 0);
	CU_ASSERT_EQUAL(aring_recv(loop, c, buf, 4, MSG_WAITALL, NULL), 4);
	CU_ASSERT_EQUAL(aring_recv(loop, c, buf, 4, 0, NULL), -ECONNRESET);
	aring_close(loop, c, NULL);
	return aring_close(loop, l, NULL);
}

static int reset_client(aring_loop *loop, void *arg)
{
	struct aring_sim_opts o;
	struct sockaddr_in a;
	socklen_t len = sizeof(a);
	int fd = aring_socket(loop, AF_INET, SOCK_STREAM, 0, 0, NULL);

	(void)arg;
	aring_sleep(loop, MS);
	CU_ASSERT_EQUAL(aring_sim_resolve(loop, "server", (struct sockaddr *)&a, &len), 0);
	a.sin_port = htons(80);
	CU_ASSERT_EQUAL_FATAL(aring_connect(loop, fd, (struct sockaddr *)&a, sizeof(a), NULL), 0);
	CU_ASSERT_EQUAL(aring_send(loop, fd, "good", 4, 0, NULL), 4);
	aring_sleep(loop, MS);
	memset(&o, 0, sizeof(o));
	o.net_reset_ppm = 1000000;
	CU_ASSERT_EQUAL(aring_sim_set_faults(loop, &o), 0);
	CU_ASSERT_EQUAL(aring_send(loop, fd, "lost", 4, 0, NULL), 4);
	aring_sleep(loop, MS);
	CU_ASSERT_EQUAL(aring_send(loop, fd, "x", 1, 0, NULL), -ECONNRESET);
	return aring_close(loop, fd, NULL);
}

static void test_set_faults_network(void)
{
	aring_sim_world *w = th_world_new(NULL);
	aring_loop *srv = th_node_new(w, "server"), *cli = th_node_new(w, "client");
	struct aring_sim_opts bad;

	aring_spawn(srv, reset_server, NULL, NULL);
	aring_spawn(cli, reset_client, NULL, NULL);
	CU_ASSERT_EQUAL(aring_sim_world_run(w), 0);
	memset(&bad, 0, sizeof(bad));
	bad.net_clog_min_ns = 2;
	bad.net_clog_max_ns = 1;
	CU_ASSERT_EQUAL(aring_sim_world_set_faults(w, &bad), -EINVAL);
	aring_sim_world_free(w);
}

/* ---------------------------------------------------------------- shuffle */

#define NT 8

struct order {
	unsigned seq[NT];
	unsigned n;
};

static int step(aring_loop *loop, void *arg)
{
	void **a = arg;
	struct order *o = a[0];

	aring_yield(loop);
	o->seq[o->n++] = (unsigned)(uintptr_t)a[1];
	return 0;
}

/* NT tasks yield once, then note their number: the order they ran in, packed. */
static uint64_t run_order(uint64_t seed, uint32_t shuffle_ppm)
{
	struct aring_sim_opts so;
	struct order o;
	void *args[NT][2];
	aring_loop *loop;
	uint64_t packed = 0;
	unsigned k;

	memset(&so, 0, sizeof(so));
	so.seed = seed;
	so.shuffle_ppm = shuffle_ppm;
	loop = th_loop_new_sim(0, &so);
	memset(&o, 0, sizeof(o));
	for (k = 0; k < NT; k++) {
		args[k][0] = &o;
		args[k][1] = (void *)(uintptr_t)k;
		aring_spawn(loop, step, args[k], NULL);
	}
	CU_ASSERT_EQUAL(aring_run(loop), 0);
	aring_loop_free(loop);
	CU_ASSERT_EQUAL(o.n, NT);
	for (k = 0; k < NT; k++)
		packed = packed << 4 | o.seq[k];
	return packed;
}

static void test_shuffle(void)
{
	const uint64_t fifo = 0x01234567;
	uint64_t seed;
	unsigned differ = 0;

	CU_ASSERT_EQUAL(run_order(th_cfg->seed, 0), fifo);
	for (seed = 1; seed <= 20; seed++) {
		uint64_t o = run_order(seed, 1000000);

		CU_ASSERT_EQUAL(run_order(seed, 1000000), o); /* the seed decides */
		differ += o != fifo;
	}
	CU_ASSERT(differ >= 15);
}

/* ---------------------------------------------------------------- fd numbers */

static int high_fds(aring_loop *loop, void *arg)
{
	int fd = aring_openat(loop, AT_FDCWD, "/tmp/f", O_CREAT | O_RDWR, 0644, NULL), fd2;
	int sk = aring_socket(loop, AF_INET, SOCK_STREAM, 0, 0, NULL);
	struct stat st;

	(void)arg;
	CU_ASSERT_EQUAL(fd, (int)ARING_SIM_FD_BASE);
	CU_ASSERT_EQUAL(sk, (int)ARING_SIM_FD_BASE + 1);
	/* a real system call on a sim fd by mistake: EBADF, nothing touched */
	errno = 0;
	CU_ASSERT_EQUAL(write(fd, "x", 1), -1);
	CU_ASSERT_EQUAL(errno, EBADF);
	errno = 0;
	CU_ASSERT_EQUAL(fstat(fd, &st), -1);
	CU_ASSERT_EQUAL(errno, EBADF);
	errno = 0;
	CU_ASSERT_EQUAL(fcntl(sk, F_GETFD), -1);
	CU_ASSERT_EQUAL(errno, EBADF);
	errno = 0;
	CU_ASSERT_EQUAL(send(sk, "x", 1, MSG_DONTWAIT), -1);
	CU_ASSERT_EQUAL(errno, EBADF);
	/* through the ring they work; lowest free first */
	CU_ASSERT_EQUAL(aring_write(loop, fd, "x", 1, 0, NULL), 1);
	CU_ASSERT_EQUAL(aring_close(loop, fd, NULL), 0);
	fd2 = aring_openat(loop, AT_FDCWD, "/tmp/f", O_RDONLY, 0, NULL);
	CU_ASSERT_EQUAL(fd2, fd);
	CU_ASSERT_EQUAL(aring_read(loop, 3, &fd, 1, 0, NULL), -EBADF);
	CU_ASSERT_EQUAL(aring_write(loop, 1, "o", 1, 0, NULL), 1); /* 0, 1, 2 stay */
	aring_close(loop, fd2, NULL);
	return aring_close(loop, sk, NULL);
}

/* ARING_SIM_LOW_FDS: 3, 4, ... as the kernel numbers them. */
static int low_fds(aring_loop *loop, void *arg)
{
	int fd = aring_openat(loop, AT_FDCWD, "/tmp/f", O_CREAT | O_RDWR, 0644, NULL);
	int sk = aring_socket(loop, AF_INET, SOCK_STREAM, 0, 0, NULL);

	(void)arg;
	CU_ASSERT_EQUAL(fd, 3);
	CU_ASSERT_EQUAL(sk, 4);
	CU_ASSERT_EQUAL(aring_close(loop, fd, NULL), 0);
	CU_ASSERT_EQUAL(aring_openat(loop, AT_FDCWD, "/tmp/f", O_RDONLY, 0, NULL), 3);
	CU_ASSERT_EQUAL(aring_read(loop, (int)ARING_SIM_FD_BASE, &fd, 1, 0, NULL), -EBADF);
	aring_close(loop, 3, NULL);
	return aring_close(loop, sk, NULL);
}

static void run_lone(aring_fn fn, uint32_t flags)
{
	struct aring_sim_opts so;
	aring_loop *loop;

	memset(&so, 0, sizeof(so));
	so.seed = th_cfg->seed;
	so.flags = flags;
	loop = th_loop_new_sim(0, &so);
	aring_spawn(loop, fn, NULL, NULL);
	CU_ASSERT_EQUAL(aring_run(loop), 0);
	aring_loop_free(loop);
}

static void test_high_fds(void)
{
	struct aring_sim_opts so;
	struct aring_loop_opts lo;
	aring_sim_world *w = th_world_new(NULL);
	aring_loop *loop = NULL;

	/* on the nodes of a world */
	aring_spawn(th_node_new(w, "n"), high_fds, NULL, NULL);
	CU_ASSERT_EQUAL(aring_sim_world_run(w), 0);
	aring_sim_world_free(w);
	/* on a lone loop, by default and with the old ARING_SIM_HIGH_FDS */
	run_lone(high_fds, 0);
	run_lone(high_fds, ARING_SIM_HIGH_FDS);
	/* the opt-out, alone and winning over ARING_SIM_HIGH_FDS */
	run_lone(low_fds, ARING_SIM_LOW_FDS);
	run_lone(low_fds, ARING_SIM_LOW_FDS | ARING_SIM_HIGH_FDS);
	memset(&so, 0, sizeof(so));
	so.seed = th_cfg->seed;
	so.flags = 4;
	memset(&lo, 0, sizeof(lo));
	lo.backend = ARING_BACKEND_SIM;
	lo.sim = &so;
	CU_ASSERT_EQUAL(aring_loop_new(&loop, &lo), -EINVAL);
}

/* ---------------------------------------------------------------- readdir */

struct listing {
	char names[8][16];
	unsigned char types[8];
	int n, stop_at;
};

static int note(void *arg, const char *name, unsigned char type)
{
	struct listing *l = arg;

	if (l->n == l->stop_at)
		return 42;
	strncpy(l->names[l->n], name, sizeof(l->names[0]) - 1);
	l->types[l->n++] = type;
	return 0;
}

static int list_dir(aring_loop *loop, void *arg)
{
	struct listing l;
	int fd;

	(void)arg;
	CU_ASSERT_EQUAL(aring_mkdirat(loop, AT_FDCWD, "/tmp/d", 0755, NULL), 0);
	fd = aring_openat(loop, AT_FDCWD, "/tmp/d/file", O_CREAT | O_RDWR, 0644, NULL);
	CU_ASSERT(fd >= 0);
	CU_ASSERT_EQUAL(aring_mkdirat(loop, AT_FDCWD, "/tmp/d/sub", 0755, NULL), 0);
	CU_ASSERT_EQUAL(aring_symlinkat(loop, "file", AT_FDCWD, "/tmp/d/link", NULL), 0);
	memset(&l, 0, sizeof(l));
	l.stop_at = -1;
	CU_ASSERT_EQUAL(aring_sim_readdir(loop, AT_FDCWD, "/tmp/d", note, &l), 3);
	CU_ASSERT_STRING_EQUAL(l.names[0], "file");
	CU_ASSERT_EQUAL(l.types[0], DT_REG);
	CU_ASSERT_STRING_EQUAL(l.names[1], "sub");
	CU_ASSERT_EQUAL(l.types[1], DT_DIR);
	CU_ASSERT_STRING_EQUAL(l.names[2], "link");
	CU_ASSERT_EQUAL(l.types[2], DT_LNK);
	/* relative to a dfd; an empty directory */
	memset(&l, 0, sizeof(l));
	l.stop_at = -1;
	CU_ASSERT_EQUAL(aring_sim_readdir(loop, AT_FDCWD, "/tmp/d/sub", note, &l), 0);
	/* a unlink shows */
	CU_ASSERT_EQUAL(aring_unlinkat(loop, AT_FDCWD, "/tmp/d/link", 0, NULL), 0);
	l.stop_at = 1;
	l.n = 0;
	CU_ASSERT_EQUAL(aring_sim_readdir(loop, AT_FDCWD, "/tmp/d", note, &l), 42);
	CU_ASSERT_EQUAL(aring_sim_readdir(loop, AT_FDCWD, "/tmp/nope", note, &l), -ENOENT);
	CU_ASSERT_EQUAL(aring_sim_readdir(loop, AT_FDCWD, "/tmp/d/file", note, &l), -ENOTDIR);
	CU_ASSERT_EQUAL(aring_sim_readdir(loop, 12345, "d", note, &l), -EBADF);
	CU_ASSERT_EQUAL(aring_sim_readdir(loop, AT_FDCWD, "/tmp", NULL, &l), -EINVAL);
	CU_ASSERT_EQUAL(aring_sim_readdir(loop, AT_FDCWD, (const char *)8, note, &l), -EFAULT);
	return aring_close(loop, fd, NULL);
}

static void test_readdir(void)
{
	CU_ASSERT_EQUAL(th_run(list_dir, NULL, 0), 0);
}

static CU_TestInfo tests[] = {
	{ "aring_sim_set_faults: rates changed while running", test_set_faults },
	{ "aring_sim_set_faults: network resets switched on", test_set_faults_network },
	{ "scheduling shuffle: a seed-chosen order of ready tasks", test_shuffle },
	{ "sim fds from ARING_SIM_FD_BASE by default: a real call gets EBADF; ARING_SIM_LOW_FDS",
	  test_high_fds },
	{ "aring_sim_readdir", test_readdir },
	CU_TEST_INFO_NULL,
};

int main(int argc, char **argv)
{
	return th_main(argc, argv, "sim world controls", tests, TH_SIM);
}
