/* SPDX-License-Identifier: MIT */
/*
 * aring_loop_post: start a task on a loop from any thread.
 *
 * A loop runs on one thread and is touched by no other. Another thread
 * reaches it through its ring: IORING_OP_MSG_RING posts a CQE into the
 * target's CQ (kernel io_uring/msg_ring.c io_msg_ring_data; for a target
 * set up with IORING_SETUP_SINGLE_ISSUER or DEFER_TASKRUN the CQE is
 * posted by task work on the target's thread, io_msg_data_remote), and a
 * loop waiting in io_uring_enter wakes for it. The CQE's user_data is the
 * address of a heap record (struct post) in aring's reserved range with the
 * ARING__UD_POST form (core/internal.h), so the target's CQ walk
 * (core/op.c complete) tells it from its own ops and from foreign CQEs.
 *
 * The MSG_RING SQE goes through a small ring of the calling thread (made on
 * its first post, freed when the thread exits), not through the caller's
 * loop, even from a task of another loop: the call submits it and waits
 * for its CQE at once, so it knows the result (a post that returned 0 was
 * delivered), it never leaves an SQE naming the target's ring fd queued
 * after it returned (the target may be freed meanwhile), and it puts
 * nothing on the caller's loop's ring (whose CQ and cancels tests and
 * users count). An eventfd read kept in flight on the target would be seen
 * by IORING_ASYNC_CANCEL_ANY, so aring does not keep one.
 *
 * The same path brings finished aring_offload work back (core/offload.c).
 *
 * Loops being freed: every loop is in a registry (a list under a
 * read-write lock). A post holds the read lock from the lookup until its
 * MSG_RING completed; aring_loop_free takes the write lock to take the
 * loop out first. So a post either completes before the loop is freed (the
 * free then reaps it and drops it unrun) or finds the loop gone: -ESHUTDOWN.
 *
 * On the sim (one thread, deterministic) a post from the loop's own thread
 * spawns the task directly: it runs at the next scheduling point, in spawn
 * order. Another thread cannot post to a sim loop: -EINVAL.
 */
#include "config.h"
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>

#include "core/internal.h"

struct post {
	struct aring__xmsg m;
	aring_fn fn;
	void *arg;
};

/* Writer first: aring_loop_free is not starved by threads posting without
 * pause. No path takes the read lock twice (that would then deadlock). */
static pthread_rwlock_t reg_lock = PTHREAD_RWLOCK_WRITER_NONRECURSIVE_INITIALIZER_NP;
static aring_loop *reg_head;

/* The loop the calling thread is running, if any (set by aring_run). */
static __thread aring_loop *tls_running;

int aring__post_register(aring_loop *loop)
{
	loop->owner = (unsigned long)pthread_self();
	pthread_rwlock_wrlock(&reg_lock);
	loop->reg_prev = NULL;
	loop->reg_next = reg_head;
	if (reg_head)
		reg_head->reg_prev = loop;
	reg_head = loop;
	pthread_rwlock_unlock(&reg_lock);
	return 0;
}

/* A record that was never run: a post is freed, an offload cannot come here. */
static void drop(aring_loop *loop, struct aring__xmsg *m)
{
	if (m->kind == ARING__XMSG_POST) {
		free(m);
		loop->posts_dropped++;
	}
}

void aring__post_unregister(aring_loop *loop)
{
	struct io_uring *ring = loop->be->ops->ring(loop->be);

	pthread_rwlock_wrlock(&reg_lock);
	if (loop->reg_prev)
		loop->reg_prev->reg_next = loop->reg_next;
	else if (reg_head == loop)
		reg_head = loop->reg_next;
	if (loop->reg_next)
		loop->reg_next->reg_prev = loop->reg_prev;
	loop->reg_prev = loop->reg_next = NULL;
	pthread_rwlock_unlock(&reg_lock);

	/* Posts delivered and not yet reaped: dropped (their tasks never
	 * run). Task work of a DEFER_TASKRUN ring is flushed first. */
	loop->freeing = true;
	if (ring && __atomic_load_n(&loop->remote_used, __ATOMIC_ACQUIRE)) {
		io_uring_get_events(ring);
		aring__loop_reap(loop);
	}
}

static bool registered(aring_loop *loop)
{
	aring_loop *l;

	for (l = reg_head; l; l = l->reg_next)
		if (l == loop)
			return true;
	return false;
}

/* The calling thread's ring for MSG_RING SQEs. */
static pthread_key_t tls_key;
static pthread_once_t tls_once = PTHREAD_ONCE_INIT;
static __thread struct io_uring *tls_ring;

static void tls_ring_free(void *p)
{
	io_uring_queue_exit(p);
	free(p);
}

static void tls_init(void)
{
	pthread_key_create(&tls_key, tls_ring_free);
}

static struct io_uring *thread_ring(int *err)
{
	struct io_uring *r = tls_ring;

	if (ARING_LIKELY(r != NULL))
		return r;
	pthread_once(&tls_once, tls_init);
	r = malloc(sizeof(*r));
	if (!r) {
		*err = -ENOMEM;
		return NULL;
	}
	*err = io_uring_queue_init(4, r, 0);
	if (*err < 0) {
		free(r);
		return NULL;
	}
	pthread_setspecific(tls_key, r);
	tls_ring = r;
	return r;
}

/* With the registry's read lock held. */
static int send_locked(aring_loop *loop, struct aring__xmsg *m)
{
	struct io_uring *target = loop->be->ops->ring(loop->be);
	struct io_uring_sqe *sqe;
	struct io_uring_cqe *cqe;
	struct io_uring *r;
	int ret;

	if (!target)
		return -EOPNOTSUPP;  /* a backend without a kernel ring */
	r = thread_ring(&ret);
	if (!r)
		return ret;
	sqe = io_uring_get_sqe(r);
	if (!sqe)
		return -EBUSY;  /* cannot happen: every call reaps its one CQE */
	memset(sqe, 0, sizeof(*sqe));
	io_uring_prep_msg_ring(sqe, target->ring_fd, 0,
			       ARING_UD_TAG | (uint64_t)(uintptr_t)m | ARING__UD_POST, 0);
	sqe->user_data = 0;
	__atomic_store_n(&loop->remote_used, true, __ATOMIC_RELEASE);
	do
		ret = io_uring_submit_and_wait(r, 1);
	while (ret == -EINTR);
	if (ret < 0)
		return ret;
	ret = io_uring_wait_cqe(r, &cqe);
	if (ret < 0)
		return ret;
	ret = cqe->res;
	io_uring_cqe_seen(r, cqe);
	return ret < 0 ? ret : 0;
}

int aring__post_send(aring_loop *loop, struct aring__xmsg *m)
{
	int ret;

	assert(((uintptr_t)m & ARING__UD_FORM_MASK) == 0);
	pthread_rwlock_rdlock(&reg_lock);
	ret = send_locked(loop, m);
	pthread_rwlock_unlock(&reg_lock);
	return ret;
}

static int post_task(aring_loop *loop, void *arg)
{
	struct post p = *(struct post *)arg;

	free(arg);
	return p.fn(loop, p.arg);
}

void aring__post_cqe(aring_loop *loop, const struct io_uring_cqe *cqe)
{
	struct aring__xmsg *m = (struct aring__xmsg *)(uintptr_t)(cqe->user_data & ARING__UD_PTR_MASK &
								  ~(uint64_t)ARING__UD_FORM_MASK);

	if (m->kind == ARING__XMSG_OFFLOAD) {
		aring__offload_done(loop, m);
		return;
	}
	assert(m->kind == ARING__XMSG_POST);
	if (loop->freeing || aring__spawn(loop, post_task, m, 0, true, NULL) < 0)
		drop(loop, m);
}

ARING_API int aring_loop_post(aring_loop *target, aring_fn fn, void *arg)
{
	struct post *p;
	int ret;

	if (!target || !fn)
		return -EINVAL;
	pthread_rwlock_rdlock(&reg_lock);
	if (!registered(target)) {
		ret = -ESHUTDOWN;
		goto out;
	}
	/* The target's own thread, inside its run (a task of it) or, on the
	 * sim, at any time: an ordinary detached spawn. */
	/* A sim loop standing in for epoll answers as epoll: its own tasks may
	   post, anyone else needs the kernel ring it lacks (sim.h). */
	if (tls_running != target && target->kind == ARING_BACKEND_SIM &&
	    aring__sim_as_epoll(target->be)) {
		ret = -EOPNOTSUPP;
		goto out;
	}
	if (tls_running == target ||
	    (target->kind == ARING_BACKEND_SIM &&
	     pthread_equal((pthread_t)target->owner, pthread_self()))) {
		ret = aring__spawn(target, fn, arg, 0, true, NULL);
		goto out;
	}
	if (target->kind == ARING_BACKEND_SIM) {
		ret = -EINVAL;  /* the sim has one thread (aring.h) */
		goto out;
	}
	p = malloc(sizeof(*p));
	if (!p) {
		ret = -ENOMEM;
		goto out;
	}
	p->m.kind = ARING__XMSG_POST;
	p->fn = fn;
	p->arg = arg;
	ret = send_locked(target, &p->m);
	if (ret < 0)
		free(p);
out:
	pthread_rwlock_unlock(&reg_lock);
	return ret;
}

ARING_API int aring_loop_hold(aring_loop *loop, int delta)
{
	int v;

	if (!loop)
		return -EINVAL;
	v = __atomic_add_fetch(&loop->hold, delta, __ATOMIC_ACQ_REL);
	if (v < 0) {
		__atomic_sub_fetch(&loop->hold, delta, __ATOMIC_ACQ_REL);
		return -EINVAL;
	}
	return v;
}

/* aring_run's start and end (core/task.c): which loop this thread runs. */
aring_loop *aring__post_enter(aring_loop *loop)
{
	aring_loop *prev = tls_running;

	tls_running = loop;
	if (__atomic_load_n(&loop->remote_used, __ATOMIC_ACQUIRE))
		aring__loop_reap(loop);  /* posts that came between runs */
	return prev;
}

void aring__post_leave(aring_loop *prev)
{
	tls_running = prev;
}
