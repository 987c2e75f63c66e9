/* SPDX-License-Identifier: MIT */
/*
 * Socket ops over 127.0.0.1 with ephemeral ports: socket, bind, listen,
 * accept, connect, send, recv, sendmsg, recvmsg, shutdown, and their error
 * paths (refused connect, address in use, closed peer, not a socket, ...).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <string.h>
#include <unistd.h>

#include "tests/helpers.h"

#define MS (1000u * 1000u)

static int send_recv_task(aring_loop *loop, void *arg)
{
	int c, s;
	char buf[64];

	CU_ASSERT_EQUAL(th_tcp_pair(loop, &c, &s), 0);
	CU_ASSERT_EQUAL(aring_send(loop, c, "ping", 4, 0, NULL), 4);
	memset(buf, 0, sizeof(buf));
	CU_ASSERT_EQUAL(aring_recv(loop, s, buf, sizeof(buf), 0, NULL), 4);
	CU_ASSERT_STRING_EQUAL(buf, "ping");
	CU_ASSERT_EQUAL(aring_send(loop, s, "pong!", 5, 0, NULL), 5);
	memset(buf, 0, sizeof(buf));
	/* MSG_WAITALL in two halves. */
	CU_ASSERT_EQUAL(aring_recv(loop, c, buf, 2, MSG_WAITALL, NULL), 2);
	CU_ASSERT_EQUAL(aring_recv(loop, c, buf + 2, 3, MSG_WAITALL, NULL), 3);
	CU_ASSERT_STRING_EQUAL(buf, "pong!");
	/* Nothing to read: a recv with a timeout gives -ETIME. */
	CU_ASSERT_EQUAL(aring_recv(loop, c, buf, sizeof(buf), 0, &(struct aring_opt){ .timeout_ns = MS }),
			-ETIME);
	/* MSG_DONTWAIT on an empty socket. */
	CU_ASSERT_EQUAL(aring_recv(loop, c, buf, sizeof(buf), MSG_DONTWAIT, NULL), -EAGAIN);
	aring_close(loop, c, NULL);
	aring_close(loop, s, NULL);
	return 0;
}

static void test_send_recv(void)
{
	CU_ASSERT_EQUAL(th_run(send_recv_task, NULL, 0), 0);
}

static int msg_task(aring_loop *loop, void *arg)
{
	int c, s;
	char a[4] = { 0 }, b[16] = { 0 };
	struct iovec out[2] = { { .iov_base = "one", .iov_len = 3 }, { .iov_base = "two", .iov_len = 3 } };
	struct iovec in[2] = { { .iov_base = a, .iov_len = 2 }, { .iov_base = b, .iov_len = 10 } };
	struct msghdr mo, mi;

	CU_ASSERT_EQUAL(th_tcp_pair(loop, &c, &s), 0);
	memset(&mo, 0, sizeof(mo));
	mo.msg_iov = out;
	mo.msg_iovlen = 2;
	memset(&mi, 0, sizeof(mi));
	mi.msg_iov = in;
	mi.msg_iovlen = 2;
	CU_ASSERT_EQUAL(aring_sendmsg(loop, c, &mo, 0, NULL), 6);
	CU_ASSERT_EQUAL(aring_recvmsg(loop, s, &mi, 0, NULL), 6);
	CU_ASSERT_STRING_EQUAL(a, "on");
	CU_ASSERT_STRING_EQUAL(b, "etwo");
	CU_ASSERT_EQUAL(aring_sendmsg(loop, -1, &mo, 0, NULL), -EBADF);
	aring_close(loop, c, NULL);
	aring_close(loop, s, NULL);
	return 0;
}

static void test_sendmsg_recvmsg(void)
{
	CU_ASSERT_EQUAL(th_run(msg_task, NULL, 0), 0);
}

struct acc {
	int lfd;
	int fd;
	struct sockaddr_in peer;
	socklen_t len;
};

static int accept_addr_task(aring_loop *loop, void *arg)
{
	struct acc *a = arg;

	a->len = sizeof(a->peer);
	a->fd = aring_accept(loop, a->lfd, (struct sockaddr *)&a->peer, &a->len, 0, NULL);
	return 0;
}

static int accept_connect_task(aring_loop *loop, void *arg)
{
	struct acc a = { .fd = -1 };
	struct sockaddr_in to;
	uint16_t port = 0;
	aring_task *t;
	int cfd;

	a.lfd = th_listen(loop, &port);
	CU_ASSERT(a.lfd >= 0);
	CU_ASSERT(port != 0);
	t = th_spawn(loop, accept_addr_task, &a);
	cfd = aring_socket(loop, AF_INET, SOCK_STREAM, 0, 0, NULL);
	CU_ASSERT(cfd >= 0);
	to = th_addr(port);
	CU_ASSERT_EQUAL(aring_connect(loop, cfd, (struct sockaddr *)&to, sizeof(to), NULL), 0);
	th_join(loop, t);
	CU_ASSERT(a.fd >= 0);
	CU_ASSERT_EQUAL(a.len, sizeof(struct sockaddr_in));
	CU_ASSERT_EQUAL(a.peer.sin_family, AF_INET);
	CU_ASSERT_EQUAL(ntohl(a.peer.sin_addr.s_addr), INADDR_LOOPBACK);
	CU_ASSERT(a.peer.sin_port != 0);
	/* Connecting again an already connected socket. */
	CU_ASSERT_EQUAL(aring_connect(loop, cfd, (struct sockaddr *)&to, sizeof(to), NULL), -EISCONN);
	/* accept with nothing pending times out. */
	CU_ASSERT_EQUAL(aring_accept(loop, a.lfd, NULL, NULL, 0, &(struct aring_opt){ .timeout_ns = MS }),
			-ETIME);
	aring_close(loop, a.fd, NULL);
	aring_close(loop, cfd, NULL);
	aring_close(loop, a.lfd, NULL);
	return 0;
}

static void test_accept_connect(void)
{
	CU_ASSERT_EQUAL(th_run(accept_connect_task, NULL, 0), 0);
}

static int socket_errors_task(aring_loop *loop, void *arg)
{
	struct sockaddr_in a = th_addr(0);
	uint16_t port = 0;
	int lfd, fd, fds[2];

	/* Bad domain and bad type. */
	CU_ASSERT_EQUAL(aring_socket(loop, 12345, SOCK_STREAM, 0, 0, NULL), -EAFNOSUPPORT);
	CU_ASSERT_EQUAL(aring_socket(loop, AF_INET, 12345, 0, 0, NULL), -EINVAL);
	/* A port in use. */
	lfd = th_listen(loop, &port);
	CU_ASSERT(lfd >= 0);
	fd = aring_socket(loop, AF_INET, SOCK_STREAM, 0, 0, NULL);
	CU_ASSERT(fd >= 0);
	a = th_addr(port);
	CU_ASSERT_EQUAL(aring_bind(loop, fd, (struct sockaddr *)&a, sizeof(a), NULL), -EADDRINUSE);
	/* A short address. */
	CU_ASSERT_EQUAL(aring_bind(loop, fd, (struct sockaddr *)&a, 4, NULL), -EINVAL);
	/* accept on a socket that is not listening. */
	CU_ASSERT_EQUAL(aring_accept(loop, fd, NULL, NULL, 0, NULL), -EINVAL);
	/* send on an unconnected stream socket. */
	CU_ASSERT_EQUAL(aring_send(loop, fd, "x", 1, 0, NULL), -EPIPE);
	aring_close(loop, fd, NULL);
	aring_close(loop, lfd, NULL);
	/* Nobody listens there any more: refused. */
	fd = aring_socket(loop, AF_INET, SOCK_STREAM, 0, 0, NULL);
	CU_ASSERT_EQUAL(aring_connect(loop, fd, (struct sockaddr *)&a, sizeof(a), NULL), -ECONNREFUSED);
	aring_close(loop, fd, NULL);
	/* Socket ops on something that is not a socket, and on no fd at all. */
	CU_ASSERT_EQUAL(aring_pipe(loop, fds, 0, NULL), 0);
	CU_ASSERT_EQUAL(aring_send(loop, fds[1], "x", 1, 0, NULL), -ENOTSOCK);
	CU_ASSERT_EQUAL(aring_listen(loop, fds[0], 1, NULL), -ENOTSOCK);
	CU_ASSERT_EQUAL(aring_accept(loop, fds[0], NULL, NULL, 0, NULL), -ENOTSOCK);
	CU_ASSERT_EQUAL(aring_shutdown(loop, fds[0], SHUT_RD, NULL), -ENOTSOCK);
	th_close_pair(loop, fds);
	CU_ASSERT_EQUAL(aring_recv(loop, 9999, fds, 1, 0, NULL), -EBADF);
	CU_ASSERT_EQUAL(aring_listen(loop, 9999, 1, NULL), -EBADF);
	CU_ASSERT_EQUAL(aring_bind(loop, 9999, (struct sockaddr *)&a, sizeof(a), NULL), -EBADF);
	return 0;
}

static void test_socket_errors(void)
{
	CU_ASSERT_EQUAL(th_run(socket_errors_task, NULL, 0), 0);
}

static int shutdown_task(aring_loop *loop, void *arg)
{
	int c, s;
	char buf[16];

	CU_ASSERT_EQUAL(th_tcp_pair(loop, &c, &s), 0);
	CU_ASSERT_EQUAL(aring_send(loop, c, "last", 4, 0, NULL), 4);
	CU_ASSERT_EQUAL(aring_shutdown(loop, c, SHUT_WR, NULL), 0);
	/* The peer reads what was sent, then EOF. */
	CU_ASSERT_EQUAL(aring_recv(loop, s, buf, sizeof(buf), MSG_WAITALL, NULL), 4);
	CU_ASSERT_EQUAL(aring_recv(loop, s, buf, sizeof(buf), 0, NULL), 0);
	/* Our side can no longer send, but can still receive. */
	CU_ASSERT_EQUAL(aring_send(loop, c, "x", 1, 0, NULL), -EPIPE);
	CU_ASSERT_EQUAL(aring_send(loop, s, "back", 4, 0, NULL), 4);
	CU_ASSERT_EQUAL(aring_recv(loop, c, buf, 4, MSG_WAITALL, NULL), 4);
	CU_ASSERT_EQUAL(aring_shutdown(loop, c, 17, NULL), -EINVAL);
	aring_close(loop, c, NULL);
	aring_close(loop, s, NULL);
	return 0;
}

static void test_shutdown(void)
{
	CU_ASSERT_EQUAL(th_run(shutdown_task, NULL, 0), 0);
}

static int closed_peer_task(aring_loop *loop, void *arg)
{
	int c, s, ret, i;
	char buf[4096];

	CU_ASSERT_EQUAL(th_tcp_pair(loop, &c, &s), 0);
	CU_ASSERT_EQUAL(aring_close(loop, s, NULL), 0);
	/* EOF for the reader. */
	CU_ASSERT_EQUAL(aring_recv(loop, c, buf, sizeof(buf), 0, NULL), 0);
	/*
	 * The writer: the first sends may still be accepted (the RST is on its
	 * way); after that, -EPIPE or -ECONNRESET.
	 */
	memset(buf, 'x', sizeof(buf));
	for (i = 0, ret = 0; i < 100 && ret >= 0; i++) {
		ret = aring_send(loop, c, buf, sizeof(buf), 0, NULL);
		if (ret >= 0)
			aring_sleep(loop, MS);
	}
	CU_ASSERT(ret == -EPIPE || ret == -ECONNRESET);
	aring_close(loop, c, NULL);
	return 0;
}

static void test_closed_peer(void)
{
	CU_ASSERT_EQUAL(th_run(closed_peer_task, NULL, 0), 0);
}

static CU_TestInfo tests[] = {
	{ "send and recv", test_send_recv },
	{ "sendmsg and recvmsg", test_sendmsg_recvmsg },
	{ "socket, bind, listen, accept, connect", test_accept_connect },
	{ "socket errors", test_socket_errors },
	{ "shutdown", test_shutdown },
	{ "closed peer: EOF, then EPIPE or ECONNRESET", test_closed_peer },
	CU_TEST_INFO_NULL,
};

int main(int argc, char **argv)
{
	th_ignore_sigpipe();
	return th_main(argc, argv, "net", tests, TH_BOTH);
}
