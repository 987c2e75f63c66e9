/* SPDX-License-Identifier: MIT */
/*
 * echo_server [-b] [-t N] PORT: an echo server on 127.0.0.1:PORT (0 = any
 * free port), one task per connection. Prints the port it listens on. A
 * connection idle for 30 s is closed.
 *
 * -b: buffers the kernel picks. Each loop has a pool of ECHO_POOL_BUFS
 * buffers (aring_bufpool_new) and each connection a multishot recv into it
 * (aring_recv_multishot): an idle connection holds no buffer.
 *
 * -t N: N threads (1..64), each with its own loop and its own listening
 * socket on the same port (SO_REUSEPORT: the kernel spreads connections
 * over them). The first thread binds first (PORT 0 then picks the port the
 * others bind) and starts the others once it listens.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "examples/echo.h"

#define MAX_THREADS 64

struct server {
	uint16_t port;
	int ret;
	unsigned threads;          /* of the whole server */
	unsigned idx;              /* this one's: 0 prints and starts the others */
	bool bufring;              /* -b */
	struct server *all;        /* threads of them */
	pthread_t th;
};

static void *thread_main(void *arg);

static int server_main(aring_loop *loop, void *arg)
{
	struct server *s = arg;
	struct sockaddr_in a;
	socklen_t len = sizeof(a);
	int fd, ret;

	memset(&a, 0, sizeof(a));
	a.sin_family = AF_INET;
	a.sin_port = htons(s->port);
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	fd = aring_socket(loop, AF_INET, SOCK_STREAM, 0, 0, NULL);
	if (fd < 0)
		return s->ret = fd;
	ret = setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &(int){ 1 }, sizeof(int));
	if (ret == 0 && s->threads > 1)
		ret = setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &(int){ 1 }, sizeof(int));
	if (ret == 0)
		ret = aring_bind(loop, fd, (struct sockaddr *)&a, sizeof(a), NULL);
	if (ret == 0)
		ret = aring_listen(loop, fd, 128, NULL);
	if (ret == 0 && getsockname(fd, (struct sockaddr *)&a, &len) < 0)
		ret = -1;
	if (ret < 0) {
		aring_close(loop, fd, NULL);
		return s->ret = ret;
	}
	if (s->idx == 0) {
		unsigned i;

		for (i = 1; i < s->threads; i++) {
			s->all[i].port = ntohs(a.sin_port);
			if (pthread_create(&s->all[i].th, NULL, thread_main, &s->all[i]) != 0) {
				aring_close(loop, fd, NULL);
				return s->ret = -EAGAIN;
			}
		}
		printf("echo_server: listening on 127.0.0.1:%u%s\n", ntohs(a.sin_port),
		       s->threads > 1 ? " (SO_REUSEPORT)" : "");
		fflush(stdout);
	}
	if (s->bufring) {
		aring_bufpool *pool;

		ret = aring_bufpool_new(loop, &pool, 0, ECHO_POOL_BUFS, ECHO_POOL_BUF_SIZE, 0);
		if (ret < 0) {
			aring_close(loop, fd, NULL);
			return s->ret = ret;
		}
		s->ret = echo_serve_pool(loop, fd, pool, ECHO_SERVER_TIMEOUT_NS, 0, 0);
		aring_close(loop, fd, NULL);
		/* The connections' tasks still run: the pool goes with the process. */
		return 0;
	}
	s->ret = echo_serve(loop, fd, ECHO_SERVER_TIMEOUT_NS, 0);
	aring_close(loop, fd, NULL);
	return 0;
}

/* One thread's loop: 0, or -errno (printed). */
static int serve(struct server *s)
{
	aring_loop *loop;
	int ret;

	ret = aring_loop_new(&loop, NULL);
	if (ret < 0) {
		fprintf(stderr, "echo_server: aring_loop_new: %s\n", strerror(-ret));
		return ret;
	}
	ret = aring_spawn(loop, server_main, s, NULL);
	if (ret == 0)
		ret = aring_run(loop);
	aring_loop_free(loop);
	if (ret < 0 || s->ret < 0) {
		fprintf(stderr, "echo_server: %s\n", strerror(ret < 0 ? -ret : -s->ret));
		return ret < 0 ? ret : s->ret;
	}
	return 0;
}

static void *thread_main(void *arg)
{
	struct server *s = arg;

	if (serve(s) < 0)
		exit(1);  /* a server missing a thread is no server */
	return NULL;
}

int main(int argc, char **argv)
{
	static struct server all[MAX_THREADS];
	unsigned long port, threads = 1;
	bool bufring = false;
	const char *prog = argv[0];
	char *end = NULL;
	unsigned i;
	int ret;

	if (argc >= 2 && strcmp(argv[1], "-b") == 0) {
		bufring = true;
		argv++;
		argc--;
	}
	if (argc == 4 && strcmp(argv[1], "-t") == 0) {
		threads = strtoul(argv[2], &end, 10);
		if (*end || threads < 1 || threads > MAX_THREADS)
			argc = 0;
		argv += 2;
		argc -= 2;
	}
	if (argc != 2 || (port = strtoul(argv[1], &end, 10)) > 65535 || *end) {
		fprintf(stderr, "usage: %s [-b] [-t THREADS] PORT\n", prog);
		return 2;
	}
	for (i = 0; i < threads; i++)
		all[i] = (struct server){ .port = (uint16_t)port, .threads = (unsigned)threads,
					  .idx = i, .all = all, .bufring = bufring };
	signal(SIGPIPE, SIG_IGN); /* a write to a reset connection gives -EPIPE */
	ret = serve(&all[0]);
	for (i = 1; i < threads; i++)
		if (all[i].port)  /* started */
			pthread_join(all[i].th, NULL);
	return ret < 0 ? 1 : 0;
}
