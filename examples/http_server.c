/* SPDX-License-Identifier: MIT */
/*
 * http_server PORT DIR: serve the files under DIR over HTTP/1.1 on
 * 127.0.0.1:PORT (0 = any free port; the port is printed).
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
#include <fcntl.h>
#include <stdio.h>
#include <string.h>

#include "examples/http.h"
#include "examples/server.h"

struct args {
	int port;
	const char *dir;
	int ret;
	struct http_stats st;
};

static int server_main(aring_loop *loop, void *arg)
{
	struct args *a = arg;
	uint16_t port;
	int lfd, dirfd;

	dirfd = aring_openat(loop, AT_FDCWD, a->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC, 0, NULL);
	if (dirfd < 0) {
		fprintf(stderr, "http_server: %s: %s\n", a->dir, strerror(-dirfd));
		return a->ret = dirfd;
	}
	lfd = example_listen(loop, (uint16_t)a->port, &port);
	if (lfd < 0) {
		fprintf(stderr, "http_server: listen: %s\n", strerror(-lfd));
		aring_close(loop, dirfd, NULL);
		return a->ret = lfd;
	}
	printf("http_server: listening on 127.0.0.1:%u, serving %s\n", port, a->dir);
	fflush(stdout);
	a->ret = http_serve(loop, lfd, dirfd, NULL, &a->st);  /* closes lfd */
	aring_close(loop, dirfd, NULL);
	return 0;
}

int main(int argc, char **argv)
{
	struct args a = { 0 };

	if (argc != 3 || (a.port = example_port(argv[1])) < 0) {
		fprintf(stderr, "usage: %s PORT DIR\n", argv[0]);
		return 2;
	}
	a.dir = argv[2];
	if (example_main("http_server", server_main, &a) < 0 || a.ret < 0)
		return 1;
	fprintf(stderr,
		"http_server: signal %d: stopped accepting; %llu responses were under way, "
		"%llu finished after the signal; %llu connections, %llu requests, %llu responses; exit 0\n",
		a.st.signal, (unsigned long long)a.st.inflight_at_stop,
		(unsigned long long)a.st.finished_in_drain, (unsigned long long)a.st.conns,
		(unsigned long long)a.st.requests, (unsigned long long)a.st.responses);
	return 0;
}
