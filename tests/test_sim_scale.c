/* SPDX-License-Identifier: MIT */
/*
 * The simulated world at scale (sim only): 100,000 files open at once and
 * 20,000 TCP connections at once complete, with the fds the kernel would
 * give (lowest free first, counted from ARING_SIM_FD_BASE: th_sim_fd), no
 * -EMFILE below the 1 M fd limit, -EMFILE at it.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "tests/helpers.h"

#define NFILES 100000
#define NPAIRS 20000

static int files_task(aring_loop *loop, void *arg)
{
	int *fds = calloc(NFILES, sizeof(*fds));
	char path[64];
	int k, bad = 0;

	(void)arg;
	CU_ASSERT_FATAL(fds != NULL);
	CU_ASSERT_EQUAL_FATAL(aring_mkdirat(loop, AT_FDCWD, "/tmp/many", 0755, NULL), 0);
	for (k = 0; k < NFILES; k++) {
		snprintf(path, sizeof(path), "/tmp/many/f%d", k);
		fds[k] = aring_openat(loop, AT_FDCWD, path, O_CREAT | O_RDWR, 0644, NULL);
		bad += fds[k] != th_sim_fd(3 + k); /* 0, 1, 2 are stdio */
	}
	CU_ASSERT_EQUAL(bad, 0);
	CU_ASSERT_EQUAL(fds[NFILES - 1], th_sim_fd(NFILES + 2));
	/* Every name is found again, and a freed low fd is reused first. */
	CU_ASSERT_EQUAL(aring_write(loop, fds[NFILES / 2], "x", 1, 0, NULL), 1);
	CU_ASSERT_EQUAL(aring_close(loop, fds[7], NULL), 0);
	fds[7] = aring_openat(loop, AT_FDCWD, "/tmp/many/f50000", O_RDONLY, 0, NULL);
	CU_ASSERT_EQUAL(fds[7], th_sim_fd(10));
	CU_ASSERT_EQUAL(th_file_size(loop, "/tmp/many/f50000"), 1);
	for (k = 0; k < NFILES; k++)
		bad += aring_close(loop, fds[k], NULL) != 0;
	CU_ASSERT_EQUAL(bad, 0);
	for (k = 0; k < NFILES; k += 1000) {
		snprintf(path, sizeof(path), "/tmp/many/f%d", k);
		bad += aring_unlinkat(loop, AT_FDCWD, path, 0, NULL) != 0;
	}
	CU_ASSERT_EQUAL(bad, 0);
	free(fds);
	return 0;
}

static void test_files(void)
{
	CU_ASSERT_EQUAL(th_run(files_task, NULL, 0), 0);
}

static int pairs_task(aring_loop *loop, void *arg)
{
	int (*fds)[2] = calloc(NPAIRS, sizeof(*fds));
	struct sockaddr_in a;
	uint16_t port;
	char x = 0;
	int k, l, bad = 0;

	(void)arg;
	CU_ASSERT_FATAL(fds != NULL);
	l = th_listen(loop, &port);
	CU_ASSERT_FATAL(l >= 0);
	a = th_addr(port);
	for (k = 0; k < NPAIRS; k++) {
		fds[k][0] = aring_socket(loop, AF_INET, SOCK_STREAM, 0, 0, NULL);
		bad += fds[k][0] < 0;
		bad += aring_connect(loop, fds[k][0], (struct sockaddr *)&a, sizeof(a), NULL) != 0;
		fds[k][1] = aring_accept(loop, l, NULL, NULL, 0, NULL);
		bad += fds[k][1] < 0;
		if (bad) {
			printf("pair %d: %d %d\n", k, fds[k][0], fds[k][1]);
			break;
		}
	}
	CU_ASSERT_EQUAL_FATAL(bad, 0);
	/* Each connection carries its own byte. */
	for (k = 0; k < NPAIRS; k += 97)
		bad += aring_send(loop, fds[k][0], &k, sizeof(k), 0, NULL) != sizeof(k);
	for (k = 0; k < NPAIRS; k += 97) {
		int got = -1;

		bad += aring_recv(loop, fds[k][1], &got, sizeof(got), 0, NULL) != sizeof(got) || got != k;
	}
	CU_ASSERT_EQUAL(bad, 0);
	for (k = 0; k < NPAIRS; k++) {
		bad += aring_close(loop, fds[k][0], NULL) != 0;
		bad += aring_recv(loop, fds[k][1], &x, 1, 0, NULL) != 0; /* EOF */
		bad += aring_close(loop, fds[k][1], NULL) != 0;
	}
	CU_ASSERT_EQUAL(bad, 0);
	free(fds);
	return aring_close(loop, l, NULL);
}

static void test_pairs(void)
{
	CU_ASSERT_EQUAL(th_run(pairs_task, NULL, 0), 0);
}

/* The fd table's last slot (th_sim_fd(1,048,575)) opens, the next is -EMFILE, a close frees it. */
static int max_fds_task(aring_loop *loop, void *arg)
{
	int fd = -1, k, bad = 0;

	(void)arg;
	CU_ASSERT_EQUAL_FATAL(aring_openat(loop, AT_FDCWD, "/tmp/f", O_CREAT | O_RDWR, 0644, NULL),
			      th_sim_fd(3));
	for (k = 4; k < 1 << 20; k++) {
		fd = aring_openat(loop, AT_FDCWD, "/tmp/f", O_RDONLY, 0, NULL);
		bad += fd != th_sim_fd(k);
	}
	CU_ASSERT_EQUAL(bad, 0);
	CU_ASSERT_EQUAL(fd, th_sim_fd((1 << 20) - 1));
	CU_ASSERT_EQUAL(aring_openat(loop, AT_FDCWD, "/tmp/f", O_RDONLY, 0, NULL), -EMFILE);
	CU_ASSERT_EQUAL(aring_pipe(loop, (int[2]){ 0, 0 }, 0, NULL), -EMFILE);
	CU_ASSERT_EQUAL(aring_close(loop, th_sim_fd(777777), NULL), 0);
	CU_ASSERT_EQUAL(aring_socket(loop, AF_INET, SOCK_STREAM, 0, 0, NULL), th_sim_fd(777777));
	return 0; /* the loop's teardown closes the rest */
}

static void test_max_fds(void)
{
	static bool done;

	/* Once: it takes a while and does not depend on the seed. */
	if (done)
		return;
	done = true;
	CU_ASSERT_EQUAL(th_run(max_fds_task, NULL, 0), 0);
}

static CU_TestInfo tests[] = {
	{ "1,048,576 fds, then -EMFILE", test_max_fds },
	{ "100,000 files open at once", test_files },
	{ "20,000 TCP connections at once", test_pairs },
	CU_TEST_INFO_NULL,
};

int main(int argc, char **argv)
{
	return th_main(argc, argv, "sim at scale", tests, TH_SIM);
}
