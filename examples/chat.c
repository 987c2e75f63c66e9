/* SPDX-License-Identifier: MIT */
#include "examples/chat.h"
#include "examples/server.h"

#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

bool chat_next_line(const char *buf, size_t have, size_t *pos, struct chat_msg *msg)
{
	size_t left = have - *pos, len = left < CHAT_LINE_MAX ? left : CHAT_LINE_MAX;
	const char *nl = memchr(buf + *pos, '\n', len);

	if (nl)
		len = (size_t)(nl - (buf + *pos)) + 1;
	else if (left < CHAT_LINE_MAX)
		return false;
	memcpy(msg->text, buf + *pos, len);
	msg->len = (uint32_t)len;
	*pos += len;
	return true;
}

struct client {
	struct chat_server *s;
	struct client *prev, *next;
	aring_chan *ch;
	int fd;
	int refs;                   /* the reader and the writer */
};

struct chat_server {
	int lfd;
	struct chat_opts o;
	aring_group *group;
	struct aring_sem slots;
	struct client *head;
	unsigned nclients;
	struct chat_stats st;
};

static void client_put(aring_loop *loop, struct client *c)
{
	if (--c->refs)
		return;
	aring_close(loop, c->fd, NULL);
	aring_chan_free(c->ch);
	aring_sem_release(loop, &c->s->slots);
	free(c);
}

/* Offer the line to every other client; never waits. */
static void broadcast(aring_loop *loop, struct chat_server *s, struct client *from, const struct chat_msg *m)
{
	struct client *o;

	s->st.lines++;
	for (o = s->head; o; o = o->next) {
		int ret;

		if (o == from)
			continue;
		ret = aring_chan_try_send(loop, o->ch, m);
		if (ret == 0)
			s->st.queued++;
		else if (ret == -EAGAIN)
			s->st.dropped++;
	}
}

static int writer_task(aring_loop *loop, void *arg)
{
	struct client *c = arg;
	struct aring_opt wopt = { .timeout_ns = c->s->o.write_timeout_ns };
	char out[16 * CHAT_LINE_MAX];
	struct chat_msg m;

	/* One line waited for, then whatever else is queued, in one send. */
	while (aring_chan_recv(loop, c->ch, &m, NULL) == 0) {
		size_t len = 0;
		unsigned lines = 0;

		do {
			memcpy(out + len, m.text, m.len);
			len += m.len;
			lines++;
		} while (len + CHAT_LINE_MAX <= sizeof(out) && aring_chan_try_recv(loop, c->ch, &m) == 0);
		if (aring_send_all(loop, c->fd, out, len, MSG_NOSIGNAL, &wopt) < 0) {
			/* Gone, or not reading: cut it off; its reader's recv sees EOF. */
			c->s->st.disconnected++;
			aring_shutdown(loop, c->fd, SHUT_RDWR, NULL);
			break;
		}
		c->s->st.sent += lines;
	}
	client_put(loop, c);
	return 0;
}

static int client_task(aring_loop *loop, void *arg)
{
	struct client *c = arg;
	struct chat_server *s = c->s;
	struct aring_opt ropt = { .timeout_ns = s->o.read_timeout_ns };
	char buf[CHAT_READ_BUF];
	size_t have = 0;

	c->next = s->head;
	if (s->head)
		s->head->prev = c;
	s->head = c;
	s->nclients++;
	if (aring_group_spawn(s->group, writer_task, c) == 0)
		c->refs++;
	else
		aring_chan_close(loop, c->ch);
	while (c->refs == 2) {
		struct chat_msg m;
		size_t pos = 0;
		int n = aring_recv(loop, c->fd, buf + have, (unsigned)(sizeof(buf) - have), 0, &ropt);

		if (n <= 0)  /* EOF, idle too long, an error, or cancelled */
			break;
		have += (size_t)n;
		while (chat_next_line(buf, have, &pos, &m))
			broadcast(loop, s, c, &m);
		memmove(buf, buf + pos, have - pos);
		have -= pos;
	}
	if (c->prev)
		c->prev->next = c->next;
	else
		s->head = c->next;
	if (c->next)
		c->next->prev = c->prev;
	s->nclients--;
	aring_chan_close(loop, c->ch);  /* the writer sends what is queued, then ends */
	client_put(loop, c);
	return 0;
}

static int acceptor_task(aring_loop *loop, void *arg)
{
	struct chat_server *s = arg;

	for (;;) {
		struct client *c;
		int fd = example_accept(loop, s->lfd, &s->slots), ret;

		if (fd < 0)
			return fd == -ECANCELED ? 0 : fd;
		c = calloc(1, sizeof(*c));
		ret = c ? aring_chan_new(loop, sizeof(struct chat_msg), s->o.queue_lines, &c->ch) : -ENOMEM;
		if (ret == 0) {
			c->s = s;
			c->fd = fd;
			c->refs = 1;
			ret = aring_group_spawn(s->group, client_task, c);
			if (ret < 0)
				aring_chan_free(c->ch);
		}
		if (ret < 0) {
			aring_close(loop, fd, NULL);
			free(c);
			aring_sem_release(loop, &s->slots);
			continue;
		}
		s->st.clients++;
	}
}

int chat_server_start(aring_loop *loop, int lfd, const struct chat_opts *opts,
		      struct chat_server **out)
{
	struct chat_server *s;
	int ret;

	if (!loop || !out || lfd < 0)
		return -EINVAL;
	s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	s->lfd = lfd;
	if (opts)
		s->o = *opts;
	if (!s->o.read_timeout_ns)
		s->o.read_timeout_ns = CHAT_READ_TIMEOUT_NS;
	if (!s->o.write_timeout_ns)
		s->o.write_timeout_ns = CHAT_WRITE_TIMEOUT_NS;
	if (!s->o.queue_lines)
		s->o.queue_lines = CHAT_QUEUE_LINES;
	if (!s->o.max_clients)
		s->o.max_clients = CHAT_MAX_CLIENTS;
	aring_sem_init(&s->slots, s->o.max_clients);
	ret = aring_group_new(loop, &s->group);
	if (ret == 0) {
		ret = aring_group_spawn(s->group, acceptor_task, s);
		if (ret < 0)
			aring_group_free(s->group);
	}
	if (ret < 0) {
		free(s);
		return ret;
	}
	*out = s;
	return 0;
}

unsigned chat_server_clients(const struct chat_server *s)
{
	return s->nclients;
}

int chat_server_stop(aring_loop *loop, struct chat_server *s, struct chat_stats *stats)
{
	int ret;

	aring_group_cancel(loop, s->group);
	ret = aring_group_wait(loop, s->group, NULL);
	aring_group_free(s->group);
	aring_close(loop, s->lfd, NULL);
	if (stats)
		*stats = s->st;
	free(s);
	return ret;
}

int chat_serve(aring_loop *loop, int lfd, const struct chat_opts *opts, struct chat_stats *stats)
{
	struct chat_server *s;
	sigset_t set;
	int sig, ret;

	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	ret = chat_server_start(loop, lfd, opts, &s);
	if (ret < 0)
		return ret;
	sig = aring_signal_wait(loop, &set, NULL);
	ret = chat_server_stop(loop, s, stats);
	return sig < 0 ? sig : ret;
}
