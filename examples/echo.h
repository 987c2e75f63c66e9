/* SPDX-License-Identifier: MIT */
/*
 * The echo server's and client's logic, shared by examples/echo_server.c,
 * examples/echo_client.c and tests/test_echo.c. Straight-line code: each
 * call below suspends only the task it runs in.
 */
#ifndef ARING_EXAMPLES_ECHO_H
#define ARING_EXAMPLES_ECHO_H

#include <aring.h>

#define ECHO_SERVER_TIMEOUT_NS (30ull * 1000 * 1000 * 1000)
#define ECHO_CLIENT_TIMEOUT_NS (10ull * 1000 * 1000 * 1000)

/*
 * Serve one connection: recv, send it all back (timeout_ns on each recv and
 * write), until EOF, an error or a timeout; then close fd. Returns the bytes
 * echoed.
 */
long echo_serve_conn(aring_loop *loop, int fd, uint64_t timeout_ns);

/*
 * Accept on lfd and serve each connection in its own detached task, with
 * timeout_ns per recv. Stops after max_conns connections (0: never), or on
 * an accept error, which it returns.
 */
int echo_serve(aring_loop *loop, int lfd, uint64_t timeout_ns, unsigned max_conns);

/*
 * echo_serve, and also stop (returning 0) when no connection arrives within
 * accept_timeout_ns (0: wait forever), so that every op it runs is bounded.
 */
int echo_serve_for(aring_loop *loop, int lfd, uint64_t timeout_ns, unsigned max_conns,
		   uint64_t accept_timeout_ns);

/*
 * The buffer-ring mode (echo_server -b): as echo_serve_for, and each
 * connection receives through a multishot recv into the buffers of pool
 * (aring_recv_multishot), so an idle connection holds no buffer. pool NULL
 * is the plain mode. Where the backend cannot select buffers
 * (-EOPNOTSUPP) a connection falls back to the plain mode.
 */
int echo_serve_pool(aring_loop *loop, int lfd, aring_bufpool *pool, uint64_t timeout_ns,
		    unsigned max_conns, uint64_t accept_timeout_ns);
/* One connection of that mode (the bytes echoed); closes fd. */
long echo_serve_conn_pool(aring_loop *loop, int fd, aring_bufpool *pool, uint64_t timeout_ns);
/* The pool echo_server -b makes per loop: buffers, and their size. */
#define ECHO_POOL_BUFS 512u
#define ECHO_POOL_BUF_SIZE 4096u

/*
 * The client: read lines from in_fd, send each to sock (all of it, short
 * sends retried), wait for its echo and write it to out_fd; timeout_ns on
 * every op. Returns 0 at the end of the input or when a read of in_fd timed
 * out, else -errno (-ETIME if the echo or a send timed out, -ECONNRESET if
 * the server closed the connection before echoing everything).
 */
int echo_client(aring_loop *loop, int in_fd, int out_fd, int sock, uint64_t timeout_ns);

/*
 * A planted bug for tests/test_swarm.c (ARING_SWARM_PLANT=short-write): when
 * not 0, the client sends each line with a single aring_send and ignores a
 * short send, so the rest of the line is silently lost. 0 (off) by default.
 */
extern int echo_plant_short_write;

#endif
