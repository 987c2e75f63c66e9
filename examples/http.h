/* SPDX-License-Identifier: MIT */
/*
 * The HTTP/1.1 static file server's logic, shared by examples/http_server.c,
 * tests/test_http.c and (the request parser and path check only)
 * bench/http_epoll.c. See examples/README.md.
 *
 * One task per connection, all in one group; one more group holds the
 * acceptor. Every read of a request carries a timeout (an idle keep-alive
 * connection is closed when it passes), every send one too. Files are opened
 * and read through the ring (openat2 with RESOLVE_BENEATH, read), so the
 * server runs on the simulated ring as it does on the kernel's.
 *
 * Shutdown (http_server_shutdown, or a signal in http_serve): cancel the
 * acceptor's group and close the listening socket; let every response that
 * has begun (its request fully read) finish, its connection closing after it
 * (no further request is read); then
 * cancel the connections' group (idle keep-alive connections and half-read
 * requests end with -ECANCELED) and wait for it.
 */
#ifndef ARING_EXAMPLES_HTTP_H
#define ARING_EXAMPLES_HTTP_H

#include <aring.h>
#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define HTTP_READ_TIMEOUT_NS (5ull * 1000 * 1000 * 1000)    /* idle keep-alive too */
#define HTTP_WRITE_TIMEOUT_NS (10ull * 1000 * 1000 * 1000)
#define HTTP_DRAIN_TIMEOUT_NS (30ull * 1000 * 1000 * 1000)
#define HTTP_MAX_CONNS 10000u
#define HTTP_HEADER_MAX 8192u   /* a larger request header gets 413 */
#define HTTP_BODY_MAX 65536u    /* a larger request body (Content-Length) gets 413 */
#define HTTP_PATH_MAX 1024u
#define HTTP_FILE_CHUNK 32768u  /* files are read and sent in chunks this big */
#define HTTP_HEAD_ROOM 512u     /* room for the response header before a chunk */

struct http_opts {
	uint64_t read_timeout_ns;   /* 0 = HTTP_READ_TIMEOUT_NS */
	uint64_t write_timeout_ns;  /* 0 = HTTP_WRITE_TIMEOUT_NS */
	uint64_t drain_timeout_ns;  /* 0 = HTTP_DRAIN_TIMEOUT_NS: longest wait for in-flight responses */
	unsigned max_conns;         /* 0 = HTTP_MAX_CONNS: the acceptor waits when reached */
	aring_bufpool *pool;        /* http_server -b: requests are received through a
	                               multishot recv into its buffers; NULL = plain recv */
};

struct http_stats {
	uint64_t conns;             /* accepted */
	uint64_t requests;          /* complete request headers read */
	uint64_t responses;         /* responses sent in full */
	uint64_t status_2xx, status_4xx, status_5xx;
	uint64_t inflight_at_stop;  /* responses under way when shutdown began */
	uint64_t finished_in_drain; /* responses that finished after shutdown began */
	int signal;                 /* http_serve: the signal that stopped it */
};

struct http_server;

/*
 * Start serving files under dirfd on the listening socket lfd (both owned by
 * the caller until http_server_shutdown, which closes lfd). *out is malloc'd.
 * Returns 0, -EINVAL (bad fds or NULL), -ENOMEM, or what aring_group_new or
 * aring_group_spawn return.
 */
int http_server_start(aring_loop *loop, int lfd, int dirfd, const struct http_opts *opts,
		      struct http_server **out);

/*
 * The graceful shutdown described above, then free the server, copying its
 * counters to *stats if not NULL. Call from a task, once. Returns 0, or
 * -ETIME if some responses were still running at drain_timeout_ns (they
 * were cancelled).
 */
int http_server_shutdown(aring_loop *loop, struct http_server *s, struct http_stats *stats);

/* The counters so far (a copy). */
void http_server_stats(const struct http_server *s, struct http_stats *stats);

/*
 * http_server_start, aring_signal_wait for SIGINT or SIGTERM, then
 * http_server_shutdown. Returns 0 after a graceful stop (the signal in
 * stats->signal), else -errno.
 */
int http_serve(aring_loop *loop, int lfd, int dirfd, const struct http_opts *opts,
	       struct http_stats *stats);

/* ---- the pieces bench/http_epoll.c shares ---- */

enum http_method { HTTP_GET = 1, HTTP_HEAD };

struct http_req {
	enum http_method method;
	bool keep_alive;
	size_t header_len;          /* bytes up to and including the blank line */
	uint64_t body_len;          /* Content-Length */
	char path[HTTP_PATH_MAX];   /* decoded, relative to the root, never "..": "a/b.html" */
};

/*
 * Parse the request at the start of buf[0, len). Returns 0 (complete: *req
 * filled), -EAGAIN (header not complete yet; more bytes needed), or an HTTP
 * status for an error response: 400 (malformed, bad percent-encoding, a ".."
 * segment, a NUL), 405 (a method other than GET and HEAD; req->header_len is
 * set), 413 (the header is over HTTP_HEADER_MAX bytes or the body over
 * HTTP_BODY_MAX).
 */
int http_parse(const char *buf, size_t len, struct http_req *req);

/*
 * Write a response header for status into buf[0, cap): status line,
 * Content-Length, Content-Type (from path's extension; text/plain when path
 * is NULL), Connection, and Allow for 405. Returns its length, or 0 if cap is
 * too small.
 */
size_t http_header(char *buf, size_t cap, int status, uint64_t content_length, const char *path,
		   bool keep_alive);

/* The reason phrase of status ("Not Found"), "" if unknown. */
const char *http_reason(int status);

#endif
