/* SPDX-License-Identifier: MIT */
/*
 * The chat server's logic, shared by examples/chat_server.c and
 * tests/test_chat.c (and its line framing by bench/chat_sleep.c). See
 * examples/README.md.
 *
 * Each client has a task that reads its lines and a writer task that sends
 * it the lines of the others, fed by a bounded channel (queue_lines
 * messages). A line from one client is offered to every other client's
 * channel with aring_chan_try_send, which never waits: when a client's
 * channel is full (it reads slower than the others write), the line is
 * DROPPED for that client alone (counted in chat_stats.dropped) and the
 * others are not held up. A client whose socket takes nothing for
 * write_timeout_ns is DISCONNECTED (chat_stats.disconnected); one that sends
 * nothing for read_timeout_ns is disconnected too. A line is relayed as is,
 * with its '\n'; a line longer than CHAT_LINE_MAX bytes is relayed in pieces.
 * Every task of the server (the acceptor, readers and writers) is in one
 * group: chat_server_stop cancels it and waits.
 */
#ifndef ARING_EXAMPLES_CHAT_H
#define ARING_EXAMPLES_CHAT_H

#include <aring.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define CHAT_LINE_MAX 256u
#define CHAT_QUEUE_LINES 128u
#define CHAT_MAX_CLIENTS 10000u
#define CHAT_READ_TIMEOUT_NS (300ull * 1000 * 1000 * 1000)
#define CHAT_WRITE_TIMEOUT_NS (10ull * 1000 * 1000 * 1000)
#define CHAT_READ_BUF 4096u

struct chat_opts {
	uint64_t read_timeout_ns;   /* 0 = CHAT_READ_TIMEOUT_NS */
	uint64_t write_timeout_ns;  /* 0 = CHAT_WRITE_TIMEOUT_NS */
	unsigned queue_lines;       /* per client; 0 = CHAT_QUEUE_LINES */
	unsigned max_clients;       /* 0 = CHAT_MAX_CLIENTS: the acceptor waits when reached */
};

struct chat_stats {
	uint64_t clients;           /* accepted */
	uint64_t lines;             /* lines (or pieces) read from clients */
	uint64_t queued;            /* line copies put in other clients' channels */
	uint64_t dropped;           /* line copies dropped: the channel was full */
	uint64_t sent;              /* line copies written to clients */
	uint64_t disconnected;      /* clients cut off by a failed or timed-out write */
};

/* One relayed line: a channel message. */
struct chat_msg {
	uint32_t len;
	char text[CHAT_LINE_MAX];
};

/*
 * The next line of buf[*pos, have): up to and including '\n', or
 * CHAT_LINE_MAX bytes without one. Copies it into *msg, advances *pos and
 * returns true; false when what is left is an incomplete short line.
 */
bool chat_next_line(const char *buf, size_t have, size_t *pos, struct chat_msg *msg);

struct chat_server;

/*
 * Start relaying on the listening socket lfd (owned by the server until
 * chat_server_stop closes it). *out is malloc'd. Returns 0, -EINVAL,
 * -ENOMEM, or what aring_group_new or aring_group_spawn return.
 */
int chat_server_start(aring_loop *loop, int lfd, const struct chat_opts *opts,
		      struct chat_server **out);

/* The number of clients connected now. */
unsigned chat_server_clients(const struct chat_server *s);

/*
 * Cancel every task of the server, wait for them (each closes its socket),
 * close lfd, copy the counters to *stats if not NULL, free. Call from a task.
 * Returns 0 or what aring_group_wait returns.
 */
int chat_server_stop(aring_loop *loop, struct chat_server *s, struct chat_stats *stats);

/* chat_server_start, aring_signal_wait for SIGINT or SIGTERM, chat_server_stop. */
int chat_serve(aring_loop *loop, int lfd, const struct chat_opts *opts, struct chat_stats *stats);

#endif
