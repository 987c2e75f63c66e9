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
 * Serve one connection: recv (timeout_ns per recv), send it all back, until
 * EOF, an error or a timeout; then close fd. Returns the bytes echoed.
 */
long echo_serve_conn(aring_loop *loop, int fd, uint64_t timeout_ns);

/*
 * Accept on lfd and serve each connection in its own detached task, with
 * timeout_ns per recv. Stops after max_conns connections (0: never), or on
 * an accept error, which it returns.
 */
int echo_serve(aring_loop *loop, int lfd, uint64_t timeout_ns, unsigned max_conns);

/*
 * The client: read lines from in_fd (timeout_ns per read), send each to
 * sock, wait for its echo and write it to out_fd. Returns 0 at the end of
 * the input or when a read timed out, else -errno (-ECONNRESET if the server
 * closed the connection before echoing everything).
 */
int echo_client(aring_loop *loop, int in_fd, int out_fd, int sock, uint64_t timeout_ns);

#endif
