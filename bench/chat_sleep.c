/* SPDX-License-Identifier: MIT */
/*
 * chat_sleep PORT [QUEUE]: examples/chat_server built on the workaround
 * issue 9 describes, the baseline of the chat row of `make bench`. Same
 * protocol, framing (chat_next_line), queue bound and drop policy, same
 * batching in the writer; but no channels: each client's queue is a ring of
 * QUEUE lines, and an idle writer parks in an hour-long aring_sleep_opt
 * that a reader wakes with aring_cancel on the sleep's id (one trip through
 * the ring per wake-up). The readers collect the parked writers' ids while
 * walking the client list and cancel after the walk (aring_cancel suspends,
 * and the list may change meanwhile). No group: SIGTERM ends the process.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "examples/chat.h"
#include "examples/server.h"

#define HOUR_NS (3600ull * 1000 * 1000 * 1000)
#define MAX_CLIENTS 4096

struct client {
	struct client *prev, *next;
	int fd;
	int refs;
	bool closed;                /* the reader ended: the writer drains and ends */
	bool parked;                /* the writer sleeps on sleep_id */
	uint64_t sleep_id;
	unsigned head, len;         /* the queue: q[head], ... len lines */
	struct chat_msg *q;
};

static struct client *clients;
static unsigned nclients, queue_lines = CHAT_QUEUE_LINES;
static struct chat_stats st;

static void client_put(aring_loop *loop, struct client *c)
{
	if (--c->refs)
		return;
	aring_close(loop, c->fd, NULL);
	free(c->q);
	free(c);
}

static void wake(aring_loop *loop, uint64_t *ids, unsigned n)
{
	unsigned i;

	for (i = 0; i < n; i++)
		aring_cancel(loop, ids[i], 0, NULL);
}

static int writer_task(aring_loop *loop, void *arg)
{
	struct client *c = arg;
	struct aring_opt wopt = { .timeout_ns = CHAT_WRITE_TIMEOUT_NS };
	char out[16 * CHAT_LINE_MAX];

	for (;;) {
		size_t len = 0;
		unsigned lines = 0;

		if (!c->len) {
			struct aring_opt sopt = { .id = &c->sleep_id };

			if (c->closed)
				break;
			c->parked = true;
			aring_sleep_opt(loop, HOUR_NS, &sopt);  /* -ECANCELED: woken */
			c->parked = false;
			continue;
		}
		while (c->len && len + CHAT_LINE_MAX <= sizeof(out)) {
			struct chat_msg *m = &c->q[c->head];

			memcpy(out + len, m->text, m->len);
			len += m->len;
			lines++;
			c->head = (c->head + 1) % queue_lines;
			c->len--;
		}
		if (aring_send_all(loop, c->fd, out, len, MSG_NOSIGNAL, &wopt) < 0) {
			st.disconnected++;
			aring_shutdown(loop, c->fd, SHUT_RDWR, NULL);
			break;
		}
		st.sent += lines;
	}
	client_put(loop, c);
	return 0;
}

static int reader_task(aring_loop *loop, void *arg)
{
	struct client *c = arg;
	struct aring_opt ropt = { .timeout_ns = CHAT_READ_TIMEOUT_NS };
	uint64_t ids[MAX_CLIENTS];  /* on this task's stack: other readers walk while it cancels */
	char buf[CHAT_READ_BUF];
	size_t have = 0;

	c->next = clients;
	if (clients)
		clients->prev = c;
	clients = c;
	nclients++;
	if (aring_spawn(loop, writer_task, c, NULL) == 0)
		c->refs++;
	while (c->refs == 2) {
		struct chat_msg m;
		size_t pos = 0;
		unsigned nwake = 0;
		int n = aring_recv(loop, c->fd, buf + have, (unsigned)(sizeof(buf) - have), 0, &ropt);

		if (n <= 0)
			break;
		have += (size_t)n;
		while (chat_next_line(buf, have, &pos, &m)) {
			struct client *o;

			st.lines++;
			for (o = clients; o; o = o->next) {
				if (o == c || o->closed)
					continue;
				if (o->len == queue_lines) {
					st.dropped++;
					continue;
				}
				o->q[(o->head + o->len) % queue_lines] = m;
				o->len++;
				st.queued++;
				if (o->parked) {
					o->parked = false;
					ids[nwake++] = o->sleep_id;
				}
			}
		}
		memmove(buf, buf + pos, have - pos);
		have -= pos;
		wake(loop, ids, nwake);
	}
	if (c->prev)
		c->prev->next = c->next;
	else
		clients = c->next;
	if (c->next)
		c->next->prev = c->prev;
	nclients--;
	c->closed = true;
	if (c->parked) {
		c->parked = false;
		aring_cancel(loop, c->sleep_id, 0, NULL);
	}
	client_put(loop, c);
	return 0;
}

struct args {
	int port;
	int ret;
};

static int server_main(aring_loop *loop, void *arg)
{
	struct args *a = arg;
	uint16_t port;
	int lfd = example_listen(loop, (uint16_t)a->port, &port);

	if (lfd < 0)
		return a->ret = lfd;
	printf("chat_sleep: listening on 127.0.0.1:%u\n", port);
	fflush(stdout);
	for (;;) {
		int fd = aring_accept(loop, lfd, NULL, NULL, 0, NULL);
		struct client *c;

		if (fd == -EINTR || fd == -ECONNABORTED)
			continue;
		if (fd < 0)
			return a->ret = fd;
		c = calloc(1, sizeof(*c));
		if (c)
			c->q = calloc(queue_lines, sizeof(*c->q));
		if (!c || !c->q || nclients >= MAX_CLIENTS ||
		    (c->fd = fd, c->refs = 1, aring_spawn(loop, reader_task, c, NULL)) < 0) {
			aring_close(loop, fd, NULL);
			if (c)
				free(c->q);
			free(c);
			continue;
		}
		st.clients++;
	}
}

int main(int argc, char **argv)
{
	struct args a = { 0 };
	aring_loop *loop;
	char *end;
	int ret;

	if (argc < 2 || argc > 3 || (a.port = example_port(argv[1])) < 0 ||
	    (argc == 3 && ((queue_lines = (unsigned)strtoul(argv[2], &end, 10)) == 0 || *end))) {
		fprintf(stderr, "usage: %s PORT [QUEUE]\n", argv[0]);
		return 2;
	}
	signal(SIGPIPE, SIG_IGN);
	ret = aring_loop_new(&loop, NULL);
	if (ret == 0)
		ret = aring_spawn(loop, server_main, &a, NULL);
	if (ret == 0)
		ret = aring_run(loop);
	if (ret < 0 || a.ret < 0)
		fprintf(stderr, "chat_sleep: %s\n", strerror(ret < 0 ? -ret : -a.ret));
	return 1;
}
