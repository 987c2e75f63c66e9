/* SPDX-License-Identifier: MIT */
/*
 * http_server [-b] [-t N] PORT DIR: serve the files under DIR over HTTP/1.1
 * on 127.0.0.1:PORT (0 = any free port; the port is printed).
 *
 * -b: buffers the kernel picks: each loop has a pool (aring_bufpool_new)
 * and each connection receives its requests through a multishot recv into
 * it (http_opts.pool), so an idle keep-alive connection holds no buffer.
 *
 * -t N: N threads (1..64), each with its own loop and its own listening
 * socket on the port (SO_REUSEPORT: the kernel spreads connections over
 * them). The first thread takes the signal; it then stops the others with
 * aring_loop_post, each shuts down gracefully, and the counters printed are
 * the sums.
 *
 * GET and HEAD, Content-Length on every response, keep-alive (HTTP/1.1 by
 * default, HTTP/1.0 with "Connection: keep-alive"), pipelined requests.
 * 400 for a malformed request, a bad percent-escape or a ".." segment; 404
 * for a missing file or a directory (a path ending in '/' serves its
 * index.html); 405 (with Allow) for other methods; 413 for a request header
 * over 8 KiB or a body over 64 KiB. Files are opened with openat2
 * RESOLVE_BENEATH, so neither ".." nor a symlink leads out of DIR.
 *
 * Every read of a request has a 5 s timeout (an idle keep-alive connection
 * is closed), every send a 10 s one. On SIGINT or SIGTERM it stops
 * accepting, lets the responses under way finish (up to 30 s), closes the
 * idle connections, prints what it did to stderr, and exits 0.
 * The logic is examples/http.c.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "examples/http.h"
#include "examples/server.h"

#define MAX_THREADS 64

struct args {
	int port;
	const char *dir;
	int ret;
	struct http_stats st;
	bool bufring;              /* -b */
	/* -t N */
	unsigned threads, idx;
	struct args *all;
	pthread_t th;
	pthread_barrier_t *up;     /* every thread listens */
	aring_loop *loop;
	struct aring_wg stop;      /* threads other than the first wait on it */
};

/* Listen with SO_REUSEPORT (several threads): the fd, or -errno. */
static int listen_shared(aring_loop *loop, uint16_t port, uint16_t *bound)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(port),
				 .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t len = sizeof(a);
	int fd, ret = 0;

	fd = aring_socket(loop, AF_INET, SOCK_STREAM, 0, 0, NULL);
	if (fd < 0)
		return fd;
	if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &(int){ 1 }, sizeof(int)) < 0 ||
	    setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &(int){ 1 }, sizeof(int)) < 0)
		ret = -errno;
	if (ret == 0)
		ret = aring_bind(loop, fd, (struct sockaddr *)&a, sizeof(a), NULL);
	if (ret == 0)
		ret = aring_listen(loop, fd, 1024, NULL);
	if (ret == 0 && getsockname(fd, (struct sockaddr *)&a, &len) < 0)
		ret = -errno;
	if (ret < 0) {
		aring_close(loop, fd, NULL);
		return ret;
	}
	*bound = ntohs(a.sin_port);
	return fd;
}

static void *thread_main(void *arg);

/* Posted by the first thread onto the others' loops (aring_loop_post). */
static int stop_task(aring_loop *loop, void *arg)
{
	aring_wg_done(loop, &((struct args *)arg)->stop);
	return 0;
}

static int server_main(aring_loop *loop, void *arg)
{
	struct args *a = arg;
	struct http_server *srv;
	struct http_opts o = { 0 };
	uint16_t port;
	unsigned i;
	int lfd, dirfd;

	a->loop = loop;
	if (a->bufring) {
		/* 256 buffers of 2 KiB: a request header fits in a few */
		int ret = aring_bufpool_new(loop, &o.pool, 0, 256, 2048, 0);

		if (ret < 0) {
			fprintf(stderr, "http_server: aring_bufpool_new: %s\n", strerror(-ret));
			return a->ret = ret;
		}
	}
	dirfd = aring_openat(loop, AT_FDCWD, a->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC, 0, NULL);
	if (dirfd < 0) {
		fprintf(stderr, "http_server: %s: %s\n", a->dir, strerror(-dirfd));
		return a->ret = dirfd;
	}
	lfd = a->threads > 1 ? listen_shared(loop, (uint16_t)a->port, &port)
			     : example_listen(loop, (uint16_t)a->port, &port);
	if (lfd < 0) {
		fprintf(stderr, "http_server: listen: %s\n", strerror(-lfd));
		aring_close(loop, dirfd, NULL);
		aring_bufpool_free(o.pool);
		return a->ret = lfd;
	}
	if (a->idx > 0) {
		/* Serve until the first thread posts stop_task. */
		a->ret = http_server_start(loop, lfd, dirfd, &o, &srv);
		pthread_barrier_wait(a->up);
		if (a->ret == 0) {
			aring_wg_wait(loop, &a->stop, NULL);
			a->ret = http_server_shutdown(loop, srv, &a->st);
		}
		aring_close(loop, dirfd, NULL);
		aring_bufpool_free(o.pool);
		return 0;
	}
	for (i = 1; i < a->threads; i++) {
		a->all[i].port = port;
		if (pthread_create(&a->all[i].th, NULL, thread_main, &a->all[i]) != 0)
			exit(1);
	}
	if (a->threads > 1)
		pthread_barrier_wait(a->up);  /* blocks this loop for the start only */
	printf("http_server: listening on 127.0.0.1:%u, serving %s%s\n", port, a->dir,
	       a->threads > 1 ? " (SO_REUSEPORT)" : "");
	fflush(stdout);
	a->ret = http_serve(loop, lfd, dirfd, &o, &a->st);  /* closes lfd */
	for (i = 1; i < a->threads; i++)
		if (aring_loop_post(a->all[i].loop, stop_task, &a->all[i]) < 0)
			exit(1);
	aring_close(loop, dirfd, NULL);
	aring_bufpool_free(o.pool);
	return 0;
}

static void *thread_main(void *arg)
{
	struct args *a = arg;
	aring_loop *loop;
	int ret;

	aring_wg_init(&a->stop);
	aring_wg_add(&a->stop, 1);
	ret = aring_loop_new(&loop, NULL);
	if (ret == 0)
		ret = aring_spawn(loop, server_main, a, NULL);
	if (ret == 0)
		ret = aring_run(loop);
	if (ret < 0 || a->ret < 0) {
		fprintf(stderr, "http_server: thread %u: %s\n", a->idx,
			strerror(ret < 0 ? -ret : -a->ret));
		exit(1);
	}
	aring_loop_free(loop);
	return NULL;
}

int main(int argc, char **argv)
{
	static struct args all[MAX_THREADS];
	struct args *a = &all[0];
	pthread_barrier_t up;
	unsigned long threads = 1;
	const char *prog = argv[0];
	bool bufring = false;
	char *end = NULL;
	unsigned i;

	if (argc >= 2 && strcmp(argv[1], "-b") == 0) {
		bufring = true;
		argv++;
		argc--;
	}
	if (argc == 5 && strcmp(argv[1], "-t") == 0) {
		threads = strtoul(argv[2], &end, 10);
		if (*end || threads < 1 || threads > MAX_THREADS)
			argc = 0;
		argv += 2;
		argc -= 2;
	}
	if (argc != 3 || (a->port = example_port(argv[1])) < 0) {
		fprintf(stderr, "usage: %s [-b] [-t THREADS] PORT DIR\n", prog);
		return 2;
	}
	pthread_barrier_init(&up, NULL, (unsigned)threads);
	for (i = 0; i < threads; i++)
		all[i] = (struct args){ .port = a->port, .dir = argv[2], .threads = (unsigned)threads,
					.idx = i, .all = all, .up = &up, .bufring = bufring };
	if (example_main("http_server", server_main, a) < 0 || a->ret < 0)
		return 1;
	for (i = 1; i < threads; i++) {
		pthread_join(all[i].th, NULL);
		if (all[i].ret < 0)
			return 1;
		a->st.conns += all[i].st.conns;
		a->st.requests += all[i].st.requests;
		a->st.responses += all[i].st.responses;
		a->st.inflight_at_stop += all[i].st.inflight_at_stop;
		a->st.finished_in_drain += all[i].st.finished_in_drain;
	}
	fprintf(stderr,
		"http_server: signal %d: stopped accepting; %llu responses were under way, "
		"%llu finished after the signal; %llu connections, %llu requests, %llu responses; exit 0\n",
		a->st.signal, (unsigned long long)a->st.inflight_at_stop,
		(unsigned long long)a->st.finished_in_drain, (unsigned long long)a->st.conns,
		(unsigned long long)a->st.requests, (unsigned long long)a->st.responses);
	return 0;
}
