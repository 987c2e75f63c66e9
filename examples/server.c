/* SPDX-License-Identifier: MIT */
#include "examples/server.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int example_listen(aring_loop *loop, uint16_t port, uint16_t *bound)
{
	struct sockaddr_in a;
	socklen_t len = sizeof(a);
	bool sim = aring_loop_backend(loop) == ARING_BACKEND_SIM;
	int fd, ret = 0;

	memset(&a, 0, sizeof(a));
	a.sin_family = AF_INET;
	a.sin_port = htons(port);
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	fd = aring_socket(loop, AF_INET, SOCK_STREAM, 0, 0, NULL);
	if (fd < 0)
		return fd;
	/* setsockopt and getsockname are plain calls: for the kernel's fds only. */
	if (!sim && setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &(int){ 1 }, sizeof(int)))
		ret = -errno;
	if (ret == 0)
		ret = aring_bind(loop, fd, (struct sockaddr *)&a, sizeof(a), NULL);
	if (ret == 0)
		ret = aring_listen(loop, fd, 1024, NULL);
	if (ret == 0 && !sim && getsockname(fd, (struct sockaddr *)&a, &len) < 0)
		ret = -errno;
	if (ret < 0) {
		aring_close(loop, fd, NULL);
		return ret;
	}
	if (bound)
		*bound = ntohs(a.sin_port);
	return fd;
}

int example_accept(aring_loop *loop, int lfd, struct aring_sem *slots)
{
	for (;;) {
		int fd = aring_sem_acquire(loop, slots, NULL);

		if (fd < 0)
			return fd;
		fd = aring_accept(loop, lfd, NULL, NULL, 0, NULL);
		if (fd >= 0)
			return fd;
		aring_sem_release(loop, slots);
		if (fd == -EMFILE || fd == -ENFILE || fd == -ENOBUFS || fd == -ENOMEM)
			aring_sleep(loop, 10 * 1000 * 1000);  /* out of fds or memory: back off */
		else if (fd != -EINTR && fd != -ECONNABORTED)
			return fd;
	}
}

int example_port(const char *arg)
{
	char *end;
	unsigned long port = strtoul(arg, &end, 10);

	return *arg && !*end && port <= 65535 ? (int)port : -1;
}

int example_main(const char *name, aring_fn fn, void *arg)
{
	aring_loop *loop;
	sigset_t set;
	int ret;

	signal(SIGPIPE, SIG_IGN);  /* a write to a reset connection gives -EPIPE */
	/* Blocked from the start, so one that arrives early waits for aring_signal_wait. */
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigprocmask(SIG_BLOCK, &set, NULL);
	ret = aring_loop_new(&loop, NULL);
	if (ret < 0) {
		fprintf(stderr, "%s: aring_loop_new: %s\n", name, strerror(-ret));
		return ret;
	}
	ret = aring_spawn(loop, fn, arg, NULL);
	if (ret == 0)
		ret = aring_run(loop);
	aring_loop_free(loop);
	if (ret < 0)
		fprintf(stderr, "%s: %s\n", name, strerror(-ret));
	return ret;
}
