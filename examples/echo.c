/* SPDX-License-Identifier: MIT */
#include "examples/echo.h"

#include <errno.h>
#include <string.h>

#define ECHO_BUF 4096

int echo_plant_short_write;

long echo_serve_conn(aring_loop *loop, int fd, uint64_t timeout_ns)
{
	struct aring_opt recv_opt = { .timeout_ns = timeout_ns };
	char buf[ECHO_BUF];
	long total = 0;

	for (;;) {
		int n = aring_recv(loop, fd, buf, sizeof(buf), 0, &recv_opt);

		if (n <= 0)  /* 0: EOF; -ETIME: idle too long; else an error */
			break;
		if (aring_send_all(loop, fd, buf, (size_t)n, MSG_NOSIGNAL, &recv_opt) < 0)
			break;
		total += n;
	}
	aring_close(loop, fd, NULL);
	return total;
}

long echo_serve_conn_pool(aring_loop *loop, int fd, aring_bufpool *pool, uint64_t timeout_ns)
{
	struct aring_opt opt = { .timeout_ns = timeout_ns };
	aring_recv_iter *it;
	struct aring_buf b;
	long total = 0;
	int n;

	if (aring_recv_multishot(loop, fd, pool, 0, &it) < 0)
		return echo_serve_conn(loop, fd, timeout_ns);
	for (;;) {
		n = aring_recv_next(loop, it, &b, &opt);
		if (n == -ENOBUFS) {
			/* Every buffer is out (other connections' sends): wait for one. */
			if (aring_bufpool_wait(loop, pool, &opt) < 0)
				break;
			continue;
		}
		if (n == -EOPNOTSUPP && total == 0) {
			/* No buffer selection here: the plain mode. */
			aring_recv_end(loop, it);
			return echo_serve_conn(loop, fd, timeout_ns);
		}
		if (n <= 0)  /* 0: EOF; -ETIME: idle too long; else an error */
			break;
		n = aring_send_all(loop, fd, b.data, (size_t)n, MSG_NOSIGNAL, &opt);
		aring_buf_release(&b);
		if (n < 0)
			break;
		total += n;
	}
	aring_recv_end(loop, it);
	aring_close(loop, fd, NULL);
	return total;
}

struct conn {
	int fd;
	uint64_t timeout_ns;
	aring_bufpool *pool;
};

static int conn_task(aring_loop *loop, void *arg)
{
	/* arg is on the accept loop's stack: copy it before suspending. */
	struct conn c = *(struct conn *)arg;

	if (c.pool)
		echo_serve_conn_pool(loop, c.fd, c.pool, c.timeout_ns);
	else
		echo_serve_conn(loop, c.fd, c.timeout_ns);
	return 0;
}

int echo_serve_for(aring_loop *loop, int lfd, uint64_t timeout_ns, unsigned max_conns,
		   uint64_t accept_timeout_ns)
{
	return echo_serve_pool(loop, lfd, NULL, timeout_ns, max_conns, accept_timeout_ns);
}

int echo_serve_pool(aring_loop *loop, int lfd, aring_bufpool *pool, uint64_t timeout_ns,
		    unsigned max_conns, uint64_t accept_timeout_ns)
{
	struct aring_opt accept_opt = { .timeout_ns = accept_timeout_ns };
	unsigned served = 0;

	while (max_conns == 0 || served < max_conns) {
		struct conn c = { .timeout_ns = timeout_ns, .pool = pool };
		int ret;

		c.fd = aring_accept(loop, lfd, NULL, NULL, 0, &accept_opt);
		if (c.fd == -EINTR || c.fd == -ECONNABORTED)
			continue;
		if (c.fd == -ETIME)
			return 0;  /* no new connection for accept_timeout_ns */
		if (c.fd < 0)
			return c.fd;
		ret = aring_spawn(loop, conn_task, &c, NULL);
		if (ret < 0) {
			aring_close(loop, c.fd, NULL);
			return ret;
		}
		/* It runs first (the ready queue is FIFO) and copies c. */
		aring_yield(loop);
		served++;
	}
	return 0;
}

int echo_serve(aring_loop *loop, int lfd, uint64_t timeout_ns, unsigned max_conns)
{
	return echo_serve_for(loop, lfd, timeout_ns, max_conns, 0);
}

/* Send one line and copy its echo to out_fd; opt (a timeout) on every op. */
static int echo_line(aring_loop *loop, int sock, int out_fd, const char *line, size_t len,
		     const struct aring_opt *opt)
{
	char back[ECHO_BUF];
	size_t got = 0;
	int ret;

	if (echo_plant_short_write) {
		/* The planted bug: one send, and a short send drops the rest of the line. */
		ret = aring_send(loop, sock, line, len, MSG_NOSIGNAL, opt);
		if (ret >= 0)
			len = (size_t)ret;
	} else {
		ret = aring_send_all(loop, sock, line, len, MSG_NOSIGNAL, opt);
	}
	if (ret < 0)
		return ret;
	while (got < len) {
		size_t want = len - got < sizeof(back) ? len - got : sizeof(back);
		int n = aring_recv(loop, sock, back, want, 0, opt);

		if (n == 0)
			return -ECONNRESET;
		if (n < 0)
			return n;
		ret = aring_write_all(loop, out_fd, back, (size_t)n, opt);
		if (ret < 0)
			return ret;
		got += (size_t)n;
	}
	return 0;
}

int echo_client(aring_loop *loop, int in_fd, int out_fd, int sock, uint64_t timeout_ns)
{
	struct aring_opt opt = { .timeout_ns = timeout_ns };
	char buf[ECHO_BUF];
	size_t have = 0;

	for (;;) {
		char *nl;
		int n, ret;

		/* A full buffer with no newline goes out as one line. */
		while ((nl = memchr(buf, '\n', have)) || have == sizeof(buf)) {
			size_t len = nl ? (size_t)(nl - buf) + 1 : have;

			ret = echo_line(loop, sock, out_fd, buf, len, &opt);
			if (ret < 0)
				return ret;
			memmove(buf, buf + len, have - len);
			have -= len;
		}
		n = aring_read(loop, in_fd, buf + have, (unsigned)(sizeof(buf) - have), (uint64_t)-1,
			       &opt);
		if (n == -ETIME || n == 0)
			/* Timeout or end of input: a last line without a newline still goes. */
			return have ? echo_line(loop, sock, out_fd, buf, have, &opt) : 0;
		if (n < 0)
			return n;
		have += (size_t)n;
	}
}
