/* SPDX-License-Identifier: MIT */
/*
 * Channels: a ring buffer of fixed-size messages plus a queue of waiting
 * senders and one of waiting receivers (as Go's hchan, libdill's chan.c).
 *
 * Invariants: senders wait only while the buffer is full (or, capacity 0,
 * always until a receiver comes); receivers wait only while it is empty.
 * So a message is handed straight to the first waiting receiver, and a
 * receiver that empties a slot refills it from the first waiting sender:
 * FIFO order is kept, and a message moves at the moment its waiter is
 * woken, so a wait that ends otherwise (timeout, cancel) moved nothing.
 * A waiter's message stays on its own stack (w->buf) until then.
 */
#include "config.h"
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/internal.h"

/* msg_size * capacity, or SIZE_MAX if it overflows or exceeds the bound. */
static size_t buf_bytes(size_t msg_size, size_t capacity)
{
	size_t n;

	if (__builtin_mul_overflow(msg_size, capacity, &n) || n > ARING_CHAN_MAX_BYTES)
		return SIZE_MAX;
	return n;
}

ARING_API int aring_chan_init(aring_chan *ch, size_t msg_size, size_t capacity, void *buf)
{
	size_t n = buf_bytes(msg_size, capacity);

	if (!ch || n == SIZE_MAX || (n && !buf))
		return -EINVAL;
	memset(ch, 0, sizeof(*ch));
	ch->buf = buf;
	ch->msg_size = msg_size;
	ch->capacity = capacity;
	return 0;
}

ARING_API int aring_chan_new(aring_loop *loop, size_t msg_size, size_t capacity, aring_chan **out)
{
	size_t n = buf_bytes(msg_size, capacity);
	aring_chan *ch;

	if (!loop || !out || n == SIZE_MAX)
		return -EINVAL;
	ch = malloc(sizeof(*ch) + n);
	if (!ch)
		return -ENOMEM;
	aring_chan_init(ch, msg_size, capacity, n ? ch + 1 : NULL);
	ch->allocated = 1;
	*out = ch;
	return 0;
}

ARING_API void aring_chan_free(aring_chan *ch)
{
	if (!ch)
		return;
	if (ch->sendq.head || ch->recvq.head) {
		fprintf(stderr, "aring_chan_free: tasks still wait on the channel\n");
		abort();
	}
	if (ch->allocated)
		free(ch);
}

static inline void copy(aring_chan *ch, void *to, const void *from)
{
	/* Constant sizes become plain moves: the common messages are words. */
	switch (ch->msg_size) {
	case 0:
		break;
	case 4:
		memcpy(to, from, 4);
		break;
	case 8:
		memcpy(to, from, 8);
		break;
	case 16:
		memcpy(to, from, 16);
		break;
	default:
		memcpy(to, from, ch->msg_size);
	}
}

static inline unsigned char *slot(aring_chan *ch, size_t i)
{
	i += ch->head;
	if (i >= ch->capacity)
		i -= ch->capacity;
	return ch->buf + i * ch->msg_size;
}

/* 0 if sent without waiting, -EAGAIN if it must wait, -EPIPE if closed. */
static int send_now(aring_loop *loop, aring_chan *ch, const void *msg)
{
	struct aring__waiter *w;

	if (ch->closed)
		return -EPIPE;
	if ((w = aring__waitq_first(&ch->recvq))) {
		copy(ch, w->buf, msg);
		aring__wait_end(loop, w, 0);
		return 0;
	}
	if (ch->count < ch->capacity) {
		copy(ch, slot(ch, ch->count), msg);
		ch->count++;
		return 0;
	}
	return -EAGAIN;
}

/* 0 if received without waiting, -EAGAIN if it must wait, -EPIPE if closed and drained. */
static int recv_now(aring_loop *loop, aring_chan *ch, void *msg)
{
	struct aring__waiter *w = aring__waitq_first(&ch->sendq);

	if (ch->count) {
		copy(ch, msg, slot(ch, 0));
		ch->head = ch->head + 1 == ch->capacity ? 0 : ch->head + 1;
		ch->count--;
		if (w) {  /* the buffer was full: the first sender's message moves in */
			copy(ch, slot(ch, ch->count), w->buf);
			ch->count++;
			aring__wait_end(loop, w, 0);
		}
		return 0;
	}
	if (w) {  /* rendezvous */
		copy(ch, msg, w->buf);
		aring__wait_end(loop, w, 0);
		return 0;
	}
	return ch->closed ? -EPIPE : -EAGAIN;
}

static int msg_bad(const aring_chan *ch, const void *msg)
{
	return !ch || (!msg && ch->msg_size);
}

/* aring_chan_send (send) and aring_chan_recv. */
static int chan_wait(aring_loop *loop, aring_chan *ch, void *msg, const struct aring_opt *opt,
		     bool send)
{
	struct aring__waiter w;
	int ret = aring__wait_check(loop, opt);

	if (ARING_UNLIKELY(ret < 0))
		return ret;
	if (msg_bad(ch, msg))
		return -EINVAL;
	ret = send ? send_now(loop, ch, msg) : recv_now(loop, ch, msg);
	if (ret != -EAGAIN)
		return ret;
	w.buf = msg;
	return aring__wait(loop, send ? &ch->sendq : &ch->recvq, &w, opt);
}

ARING_API int aring_chan_send(aring_loop *loop, aring_chan *ch, const void *msg,
			      const struct aring_opt *opt)
{
	return chan_wait(loop, ch, (void *)(uintptr_t)msg, opt, true);
}

ARING_API int aring_chan_recv(aring_loop *loop, aring_chan *ch, void *msg,
			      const struct aring_opt *opt)
{
	return chan_wait(loop, ch, msg, opt, false);
}

ARING_API int aring_chan_try_send(aring_loop *loop, aring_chan *ch, const void *msg)
{
	if (!loop || msg_bad(ch, msg))
		return -EINVAL;
	return send_now(loop, ch, msg);
}

ARING_API int aring_chan_try_recv(aring_loop *loop, aring_chan *ch, void *msg)
{
	if (!loop || msg_bad(ch, msg))
		return -EINVAL;
	return recv_now(loop, ch, msg);
}

ARING_API void aring_chan_close(aring_loop *loop, aring_chan *ch)
{
	if (!loop || !ch || ch->closed)
		return;
	ch->closed = 1;
	aring__wait_end_all(loop, &ch->sendq, -EPIPE);
	aring__wait_end_all(loop, &ch->recvq, -EPIPE);
}
