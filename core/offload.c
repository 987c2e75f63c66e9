/* SPDX-License-Identifier: MIT */
/*
 * aring_offload: blocking work on a pool of worker threads.
 *
 * Each loop has its own pool, started on the first offload and grown one
 * thread at a time while work waits and fewer than offload_threads run
 * (struct aring_loop_opts). The work item (struct item) lives on the
 * calling task's stack: the task stays suspended until the item has come
 * back through the loop's ring (an IORING_OP_MSG_RING from the worker's
 * thread, core/post.c), so no other thread touches the stack once the task
 * resumes.
 *
 * Cancel and timeout, as the kernel's io-wq treats its work (and libuv's
 * threadpool): an item still queued is taken off the queue and never runs,
 * and the call returns -ECANCELED or -ETIME; an item a worker has started
 * runs to its end, and the call waits for it (aring_task_cancel no longer
 * ends that wait) and returns fn's result.
 *
 * On the sim there are no threads: the call waits a seed-chosen virtual
 * latency (offload_sim), during which a cancel or timeout ends it with fn
 * never run, then fn runs on the loop's thread, on the task's stack.
 */
#include "config.h"
#include <errno.h>
#include <arpa/inet.h>
#include <netdb.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "core/internal.h"
#include "aring/sim.h"

enum { ITEM_QUEUED = 1, ITEM_RUNNING, ITEM_DONE };

struct item {
	struct aring__xmsg m;    /* first: the record core/post.c carries */
	struct item *next;
	int (*fn)(void *arg);
	void *arg;
	int result;
	int state;               /* ITEM_*, under the pool's lock */
	bool back;               /* the loop got it back (loop thread only) */
	struct aring__waitq q;   /* the task waiting for it */
	struct aring__waiter w;
};

struct aring__pool {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	struct item *head, *tail;
	aring_loop *loop;
	unsigned nthreads, idle, max;
	bool stop;
	pthread_t *threads;      /* max of them */
};

static void *worker(void *arg)
{
	struct aring__pool *p = arg;

	pthread_mutex_lock(&p->lock);
	for (;;) {
		struct item *it;
		int r;

		while (!p->head && !p->stop) {
			p->idle++;
			pthread_cond_wait(&p->cond, &p->lock);
			p->idle--;
		}
		if (p->stop)
			break;
		it = p->head;
		p->head = it->next;
		if (!p->head)
			p->tail = NULL;
		it->state = ITEM_RUNNING;
		pthread_mutex_unlock(&p->lock);

		r = it->fn(it->arg);

		pthread_mutex_lock(&p->lock);
		it->result = r;
		it->state = ITEM_DONE;
		pthread_mutex_unlock(&p->lock);
		/* The loop is registered until the pool stopped (aring_loop_free):
		 * this cannot give -ESHUTDOWN. A full CQ overflows in the kernel;
		 * only a failed allocation there fails, and is retried. */
		while (aring__post_send(p->loop, &it->m) < 0)
			sched_yield();
		pthread_mutex_lock(&p->lock);
	}
	pthread_mutex_unlock(&p->lock);
	return NULL;
}

static int pool_get(aring_loop *loop, struct aring__pool **out)
{
	struct aring__pool *p = loop->pool;

	if (ARING_LIKELY(p != NULL)) {
		*out = p;
		return 0;
	}
	p = calloc(1, sizeof(*p));
	if (!p)
		return -ENOMEM;
	p->threads = calloc(loop->offload_threads, sizeof(*p->threads));
	if (!p->threads) {
		free(p);
		return -ENOMEM;
	}
	pthread_mutex_init(&p->lock, NULL);
	pthread_cond_init(&p->cond, NULL);
	p->loop = loop;
	p->max = loop->offload_threads;
	loop->pool = p;
	*out = p;
	return 0;
}

/* Queue it (pool lock held): a new worker if none is idle and the bound allows. */
static int pool_push(struct aring__pool *p, struct item *it)
{
	if (!p->idle && p->nthreads < p->max) {
		int ret = pthread_create(&p->threads[p->nthreads], NULL, worker, p);

		if (ret == 0)
			p->nthreads++;
		else if (!p->nthreads)
			return -ret;  /* no worker at all: -EAGAIN */
	}
	it->next = NULL;
	it->state = ITEM_QUEUED;
	if (p->tail)
		p->tail->next = it;
	else
		p->head = it;
	p->tail = it;
	pthread_cond_signal(&p->cond);
	return 0;
}

/* Take it off the queue if no worker started it (pool lock held). */
static bool pool_unqueue(struct aring__pool *p, struct item *it)
{
	struct item **pp = &p->head, *prev = NULL;

	if (it->state != ITEM_QUEUED)
		return false;
	while (*pp != it) {
		prev = *pp;
		pp = &(*pp)->next;
	}
	*pp = it->next;
	if (p->tail == it)
		p->tail = prev;
	return true;
}

void aring__offload_done(aring_loop *loop, struct aring__xmsg *m)
{
	struct item *it = (struct item *)m;

	assert(loop->offload_pending > 0);
	loop->offload_pending--;
	it->back = true;
	if (it->w.res == ARING__WAIT_PENDING)
		aring__wait_end(loop, &it->w, 0);
}

void aring__offload_stop(aring_loop *loop)
{
	struct aring__pool *p = loop->pool;
	unsigned i;

	if (!p)
		return;
	pthread_mutex_lock(&p->lock);
	p->stop = true;
	pthread_cond_broadcast(&p->cond);
	pthread_mutex_unlock(&p->lock);
	for (i = 0; i < p->nthreads; i++)
		pthread_join(p->threads[i], NULL);
	/* Items that came back and were not reaped belong to tasks that will
	 * never run again (their stacks are freed with the loop). */
	pthread_cond_destroy(&p->cond);
	pthread_mutex_destroy(&p->lock);
	free(p->threads);
	free(p);
	loop->pool = NULL;
}

/*
 * The sim: fn runs after a virtual latency drawn from the loop's seed
 * (SIM_LATENCY_MIN_NS..SIM_LATENCY_MAX_NS, one draw per offload), slept as
 * a ring timeout so that cancels reach it. A timeout in opt no longer than
 * the latency ends the call at that time with -ETIME, fn never run.
 */
#define SIM_LATENCY_MIN_NS 1000u
#define SIM_LATENCY_MAX_NS 1000000u

static uint64_t splitmix64(uint64_t x)
{
	x += 0x9e3779b97f4a7c15ull;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
	return x ^ (x >> 31);
}

static int offload_sim(aring_loop *loop, int (*fn)(void *arg), void *arg,
		       const struct aring_opt *opt)
{
	struct aring_opt o = { .id = opt ? opt->id : NULL };
	uint64_t ns = SIM_LATENCY_MIN_NS +
		      splitmix64(aring_sim_seed(loop) ^ ++loop->sim_offloads) %
			      (SIM_LATENCY_MAX_NS - SIM_LATENCY_MIN_NS + 1);
	bool timed_out = opt && opt->timeout_ns && opt->timeout_ns <= ns;
	struct __kernel_timespec ts;
	int ret;

	if (timed_out)
		ns = opt->timeout_ns;
	ts.tv_sec = (long long)(ns / 1000000000u);
	ts.tv_nsec = (long long)(ns % 1000000000u);
	ret = aring_timeout(loop, &ts, 0, 0, &o);
	if (ret != -ETIME)
		return ret < 0 ? ret : -ECANCELED;  /* cancelled (0: a count, never here) */
	return timed_out ? -ETIME : fn(arg);
}

ARING_API int aring_offload(aring_loop *loop, int (*fn)(void *arg), void *arg,
			    const struct aring_opt *opt)
{
	struct aring__pool *p;
	struct item it;
	int ret;

	ret = aring__wait_check(loop, opt);
	if (ret < 0)
		return ret;
	if (!fn)
		return -EINVAL;
	/* (a sim loop standing in for epoll has no worker pool either: below) */
	if (loop->kind == ARING_BACKEND_SIM && !aring__sim_as_epoll(loop->be))
		return offload_sim(loop, fn, arg, opt);
	/* Work comes back as a MSG_RING CQE (core/post.c): a kernel ring only. */
	if (!loop->be->ops->ring(loop->be))
		return -EOPNOTSUPP;
	ret = pool_get(loop, &p);
	if (ret < 0)
		return ret;
	memset(&it, 0, sizeof(it));
	it.m.kind = ARING__XMSG_OFFLOAD;
	it.fn = fn;
	it.arg = arg;
	pthread_mutex_lock(&p->lock);
	ret = pool_push(p, &it);
	pthread_mutex_unlock(&p->lock);
	if (ret < 0)
		return ret;
	loop->offload_pending++;

	ret = aring__wait(loop, &it.q, &it.w, opt);
	if (it.back)
		return it.result;
	/* Cancelled or timed out before it came back. */
	assert(ret < 0);
	pthread_mutex_lock(&p->lock);
	if (pool_unqueue(p, &it)) {
		pthread_mutex_unlock(&p->lock);
		loop->offload_pending--;
		return ret;  /* never ran */
	}
	pthread_mutex_unlock(&p->lock);
	/* A worker runs it: wait for it, whatever cancels come. */
	while (!it.back)
		aring__wait_nocancel(loop, &it.q, &it.w);
	return it.result;
}

/* ---------------------------------------------------------------- getaddrinfo */

struct gai {
	const char *node, *service;
	const struct addrinfo *hints;
	struct addrinfo *res;
	int err;                 /* errno for EAI_SYSTEM */
};

/* EAI_* to -errno: the mapping aring.h documents. */
static int gai_errno(int eai, int err)
{
	switch (eai) {
	case 0:
		return 0;
	case EAI_NONAME:
		return -ENOENT;
#ifdef EAI_NODATA
	case EAI_NODATA:
		return -ENODATA;
#endif
#ifdef EAI_ADDRFAMILY
	case EAI_ADDRFAMILY:
		return -EADDRNOTAVAIL;
#endif
	case EAI_AGAIN:
		return -EAGAIN;
	case EAI_FAIL:
		return -EIO;
	case EAI_MEMORY:
		return -ENOMEM;
	case EAI_FAMILY:
		return -EAFNOSUPPORT;
	case EAI_SOCKTYPE:
		return -ESOCKTNOSUPPORT;
	case EAI_SERVICE:
		return -ESRCH;
	case EAI_BADFLAGS:
		return -EINVAL;
	case EAI_OVERFLOW:
		return -EOVERFLOW;
	case EAI_SYSTEM:
		return err ? -err : -EIO;
	default:
		return -EIO;
	}
}

static int gai_fn(void *arg)
{
	struct gai *g = arg;
	int eai;

	errno = 0;
	eai = getaddrinfo(g->node, g->service, g->hints, &g->res);
	g->err = errno;
	return gai_errno(eai, g->err);
}

/*
 * The sim: no DNS. "localhost" is the loopback address, a numeric address
 * is itself (AI_NUMERICHOST: getaddrinfo reads no file and asks no
 * server); any other name is a node of the loop's world (aring_sim_resolve,
 * sim/world.c), whose address then goes through getaddrinfo as a numeric
 * one, so the list is glibc's own (freeaddrinfo frees it). Else -ENOENT.
 */
struct gai_sim {
	struct gai g;
	aring_loop *loop;
};

static int gai_sim(void *arg)
{
	struct gai_sim *gs = arg;
	struct gai *g = &gs->g;
	struct addrinfo h = { 0 };
	const char *node = g->node;
	char ip[INET6_ADDRSTRLEN];
	int eai;

	if (g->hints)
		h = *g->hints;
	if (node && strcmp(node, "localhost") == 0)
		node = h.ai_family == AF_INET6 ? "::1" : "127.0.0.1";
	h.ai_flags |= AI_NUMERICHOST;
	eai = getaddrinfo(node, g->service, &h, &g->res);
	if (eai == EAI_NONAME && node) {
		struct sockaddr_storage ss;
		socklen_t len = sizeof(ss);
		const void *a;

		if (aring_sim_resolve(gs->loop, node, (struct sockaddr *)&ss, &len) < 0)
			return -ENOENT;
		a = ss.ss_family == AF_INET6 ? (const void *)&((struct sockaddr_in6 *)&ss)->sin6_addr
					     : (const void *)&((struct sockaddr_in *)&ss)->sin_addr;
		if (!inet_ntop(ss.ss_family, a, ip, sizeof(ip)))
			return -ENOENT;
		eai = getaddrinfo(ip, g->service, &h, &g->res);
	}
	return eai == EAI_NONAME ? -ENOENT : gai_errno(eai, errno);
}

ARING_API int aring_getaddrinfo(aring_loop *loop, const char *node, const char *service,
				const struct addrinfo *hints, struct addrinfo **res,
				const struct aring_opt *opt)
{
	struct gai_sim gs = { .g = { .node = node, .service = service, .hints = hints },
			      .loop = loop };
	struct gai *g = &gs.g;
	int ret;

	if (!res || (!node && !service))
		return -EINVAL;
	*res = NULL;
	if (loop && loop->kind == ARING_BACKEND_SIM)
		ret = aring_offload(loop, gai_sim, &gs, opt);
	else
		ret = aring_offload(loop, gai_fn, g, opt);
	if (ret < 0) {
		if (g->res)
			freeaddrinfo(g->res);
		return ret;
	}
	*res = g->res;
	return 0;
}
