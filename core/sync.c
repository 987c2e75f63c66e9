/* SPDX-License-Identifier: MIT */
/*
 * Mutex, condition variable, semaphore, wait group: a word of state and a
 * FIFO of waiters each (core/wait.c). The uncontended paths are a few loads
 * and stores; only a task that must wait goes to aring__wait.
 *
 * Ownership and units are handed over, never raced for: an unlock with
 * waiters makes the first waiter the owner before it runs, a release with
 * waiters gives its unit to the first, so nobody barges ahead of a woken
 * waiter (FIFO).
 */
#include "config.h"
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include "core/internal.h"

/* ---------------------------------------------------------------- mutex */

ARING_API void aring_mutex_init(struct aring_mutex *m)
{
	memset(m, 0, sizeof(*m));
}

ARING_API int aring_mutex_lock(aring_loop *loop, struct aring_mutex *m, const struct aring_opt *opt)
{
	struct aring__waiter w;
	aring_task *self;
	int ret;

	if (ARING_UNLIKELY(!m))
		return -EINVAL;
	ret = aring__wait_check(loop, opt);
	if (ARING_UNLIKELY(ret < 0))
		return ret;
	self = loop->current;
	if (ARING_LIKELY(!m->owner)) {
		m->owner = self;
		return 0;
	}
	if (m->owner == self)
		return -EDEADLK;
	return aring__wait(loop, &m->waiters, &w, opt);  /* owner on success: aring_mutex_unlock */
}

ARING_API int aring_mutex_trylock(aring_loop *loop, struct aring_mutex *m)
{
	if (!loop || !m)
		return -EINVAL;
	if (!loop->current)
		return -EPERM;
	if (m->owner)
		return -EBUSY;
	m->owner = loop->current;
	return 0;
}

/* Hand m to its first waiter, or free it. */
static void mutex_release(aring_loop *loop, struct aring_mutex *m)
{
	struct aring__waiter *w = aring__waitq_first(&m->waiters);

	if (ARING_LIKELY(!w)) {
		m->owner = NULL;
		return;
	}
	m->owner = w->task;
	aring__wait_end(loop, w, 0);
}

ARING_API int aring_mutex_unlock(aring_loop *loop, struct aring_mutex *m)
{
	if (ARING_UNLIKELY(!loop || !m))
		return -EINVAL;
	if (ARING_UNLIKELY(!loop->current || m->owner != loop->current))
		return -EPERM;
	mutex_release(loop, m);
	return 0;
}

/* ---------------------------------------------------------------- condition */

ARING_API void aring_cond_init(struct aring_cond *c)
{
	memset(c, 0, sizeof(*c));
}

ARING_API int aring_cond_wait(aring_loop *loop, struct aring_cond *c, struct aring_mutex *m,
			      const struct aring_opt *opt)
{
	struct aring__waiter w, lw;
	int ret;

	if (!c || !m)
		return -EINVAL;
	if (!loop || !loop->current || m->owner != loop->current)
		return loop ? -EPERM : -EINVAL;
	ret = aring__wait_check(loop, opt);
	if (ret < 0)
		return ret;  /* m still held */
	/* Queued on c before m goes: a signal after the unlock finds us. The
	 * wait below queues w (aring__wait); the unlock's hand-over only makes
	 * the next owner ready, it does not run before we suspend. */
	mutex_release(loop, m);
	ret = aring__wait(loop, &c->waiters, &w, opt);
	/* Relock whatever happened: no timeout, no cancel (m is held again on
	 * every return). The hand-over makes us the owner (mutex_release). */
	if (m->owner) {
		assert(m->owner != loop->current);
		aring__wait_nocancel(loop, &m->waiters, &lw);
		assert(m->owner == loop->current);
	} else {
		m->owner = loop->current;
	}
	return ret;
}

ARING_API void aring_cond_signal(aring_loop *loop, struct aring_cond *c)
{
	struct aring__waiter *w;

	if (loop && c && (w = aring__waitq_first(&c->waiters)))
		aring__wait_end(loop, w, 0);
}

ARING_API void aring_cond_broadcast(aring_loop *loop, struct aring_cond *c)
{
	if (loop && c)
		aring__wait_end_all(loop, &c->waiters, 0);
}

/* ---------------------------------------------------------------- semaphore */

ARING_API void aring_sem_init(struct aring_sem *s, uint64_t value)
{
	memset(s, 0, sizeof(*s));
	s->value = value;
}

ARING_API int aring_sem_acquire(aring_loop *loop, struct aring_sem *s, const struct aring_opt *opt)
{
	struct aring__waiter w;
	int ret;

	if (!s)
		return -EINVAL;
	ret = aring__wait_check(loop, opt);
	if (ret < 0)
		return ret;
	if (s->value) {  /* then nobody waits: release hands units to waiters */
		s->value--;
		return 0;
	}
	return aring__wait(loop, &s->waiters, &w, opt);
}

ARING_API int aring_sem_try_acquire(aring_loop *loop, struct aring_sem *s)
{
	if (!loop || !s)
		return -EINVAL;
	if (!s->value)
		return -EAGAIN;
	s->value--;
	return 0;
}

ARING_API void aring_sem_release(aring_loop *loop, struct aring_sem *s)
{
	struct aring__waiter *w;

	if (!loop || !s)
		return;
	if ((w = aring__waitq_first(&s->waiters)))
		aring__wait_end(loop, w, 0);
	else if (s->value != UINT64_MAX)
		s->value++;
}

/* ---------------------------------------------------------------- wait group */

ARING_API void aring_wg_init(struct aring_wg *wg)
{
	memset(wg, 0, sizeof(*wg));
}

ARING_API void aring_wg_add(struct aring_wg *wg, int64_t n)
{
	int64_t v;

	if (!wg)
		return;
	if (__builtin_add_overflow(wg->count, n, &v) || v < 0) {
		fprintf(stderr, "aring_wg_add: the counter went below zero\n");
		abort();
	}
	wg->count = v;
	/* The waiters' tasks know their loop (aring_wg_add takes none). */
	while (v == 0 && wg->waiters.head)
		aring__wait_end(wg->waiters.head->task->loop, wg->waiters.head, 0);
}

ARING_API void aring_wg_done(aring_loop *loop, struct aring_wg *wg)
{
	(void)loop;
	aring_wg_add(wg, -1);
}

ARING_API int aring_wg_wait(aring_loop *loop, struct aring_wg *wg, const struct aring_opt *opt)
{
	struct aring__waiter w;
	int ret;

	if (!wg)
		return -EINVAL;
	ret = aring__wait_check(loop, opt);
	if (ret < 0)
		return ret;
	if (wg->count == 0)
		return 0;
	return aring__wait(loop, &wg->waiters, &w, opt);
}
