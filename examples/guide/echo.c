/* echo.c: the echo server's tasks. */
#include <errno.h>
#include <netinet/in.h>
#include <stdint.h>

#include "echo.h"

/* One task per connection: send back what arrives, until EOF, an error or 10 s of silence. */
static int echo_conn(aring_loop *loop, void *arg)
{
	int fd = (int)(intptr_t)arg;
	struct aring_opt idle = { .timeout_ns = 10ull * 1000 * 1000 * 1000 };
	char buf[4096];
	int n;

	while ((n = aring_recv(loop, fd, buf, sizeof(buf), 0, &idle)) > 0)
		if (aring_send_all(loop, fd, buf, (size_t)n, MSG_NOSIGNAL, NULL) < 0)
			break;
	aring_close(loop, fd, NULL);
	return 0;
}

int echo_serve(aring_loop *loop, void *arg)
{
	struct echo_server *srv = arg;
	struct sockaddr_in addr = {
		.sin_family = AF_INET,
		.sin_port = htons(srv->port),
		.sin_addr.s_addr = htonl(INADDR_LOOPBACK),
	};
	struct aring_opt accept_opt = { .id = &srv->accept_id };
	int lfd, fd, ret;

	lfd = aring_socket(loop, AF_INET, SOCK_STREAM, 0, 0, NULL);
	if (lfd < 0)
		return lfd;
	ret = aring_bind(loop, lfd, (struct sockaddr *)&addr, sizeof(addr), NULL);
	if (ret == 0)
		ret = aring_listen(loop, lfd, 128, NULL);
	while (ret == 0 && !srv->stop) {
		fd = aring_accept(loop, lfd, NULL, NULL, SOCK_CLOEXEC, &accept_opt);
		if (fd >= 0) {
			if (aring_spawn(loop, echo_conn, (void *)(intptr_t)fd, NULL) < 0)
				aring_close(loop, fd, NULL);
		} else if (fd == -EBADF || fd == -EINVAL || fd == -ENOTSOCK) {
			ret = fd;  /* the socket is broken; anything else is worth another try */
		}
	}
	aring_close(loop, lfd, NULL);
	return ret;
}

/* From another task: no new connections; the open ones finish on their own. */
void echo_stop(aring_loop *loop, struct echo_server *srv)
{
	srv->stop = 1;  /* if the acceptor is between two accepts, it sees this */
	aring_cancel(loop, srv->accept_id, 0, NULL);  /* if it waits in one, this ends it */
}
