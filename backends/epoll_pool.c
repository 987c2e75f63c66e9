/* SPDX-License-Identifier: MIT */
/*
 * The epoll executor's worker pool: blocking file and file system calls run
 * here, as the kernel runs them in io-wq and libuv in its threadpool
 * (src/threadpool.c). Workers start lazily, up to a bound. A queued request
 * can be stopped; one a worker runs cannot (-EALREADY, io-wq's
 * IO_WQ_CANCEL_RUNNING). A worker never touches the soft ring: it stores the
 * result, puts the request on the done list and wakes the loop through an
 * eventfd; the loop thread completes it (aring__ep_pool_reap).
 */
#include "config.h"
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "backends/epoll.h"

static void list_push(struct ep_req **head, struct ep_req **tail, struct ep_req *r)
{
	r->next = NULL;
	r->prev = *tail;
	if (*tail)
		(*tail)->next = r;
	else
		*head = r;
	*tail = r;
}

static void list_del(struct ep_req **head, struct ep_req **tail, struct ep_req *r)
{
	if (r->prev)
		r->prev->next = r->next;
	else
		*head = r->next;
	if (r->next)
		r->next->prev = r->prev;
	else
		*tail = r->prev;
	r->next = r->prev = NULL;
}

static void *worker(void *arg)
{
	struct ep_pool *p = arg;

	pthread_mutex_lock(&p->mu);
	for (;;) {
		struct ep_req *r;
		int32_t res;

		while (!p->qhead && !p->stop) {
			p->nidle++;
			pthread_cond_wait(&p->work, &p->mu);
			p->nidle--;
		}
		if (p->stop)
			break;
		r = p->qhead;
		list_del(&p->qhead, &p->qtail, r);
		r->where = EPW_RUNNING;
		pthread_mutex_unlock(&p->mu);
		res = p->run(r);
		pthread_mutex_lock(&p->mu);
		r->res = res;
		r->where = EPW_DONE;
		list_push(&p->dhead, &p->dtail, r);
		if (!p->efd_armed) {
			uint64_t one = 1;

			p->efd_armed = true;
			if (write(p->efd, &one, sizeof(one)) < 0)
				abort(); /* an eventfd write fails only on overflow */
		}
		pthread_cond_broadcast(&p->idle);
	}
	pthread_mutex_unlock(&p->mu);
	return NULL;
}

int aring__ep_pool_init(struct ep_pool *p, unsigned max_threads, int32_t (*run)(struct ep_req *))
{
	memset(p, 0, sizeof(*p));
	p->efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (p->efd < 0)
		return -errno;
	p->threads = calloc(max_threads, sizeof(*p->threads));
	if (!p->threads) {
		close(p->efd);
		return -ENOMEM;
	}
	pthread_mutex_init(&p->mu, NULL);
	pthread_cond_init(&p->work, NULL);
	pthread_cond_init(&p->idle, NULL);
	p->max_threads = max_threads;
	p->run = run;
	return 0;
}

void aring__ep_pool_destroy(struct ep_pool *p)
{
	unsigned i;

	if (!p->threads)
		return;
	pthread_mutex_lock(&p->mu);
	p->stop = true;
	pthread_cond_broadcast(&p->work);
	pthread_mutex_unlock(&p->mu);
	for (i = 0; i < p->nthreads; i++)
		pthread_join(p->threads[i], NULL);
	pthread_cond_destroy(&p->work);
	pthread_cond_destroy(&p->idle);
	pthread_mutex_destroy(&p->mu);
	free(p->threads);
	p->threads = NULL;
	close(p->efd);
}

/* A new worker, with every signal blocked: signals are the loop thread's. */
static int start_worker(struct ep_pool *p)
{
	sigset_t all, old;
	int ret;

	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	ret = pthread_create(&p->threads[p->nthreads], NULL, worker, p);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (ret)
		return -ret;
	p->nthreads++;
	return 0;
}

int aring__ep_pool_queue(struct ep_pool *p, struct ep_req *r)
{
	int ret = 0;

	pthread_mutex_lock(&p->mu);
	if (p->nidle == 0 && p->nthreads < p->max_threads)
		ret = start_worker(p);
	if (ret == 0 || p->nthreads > 0) {
		ret = 0;
		r->where = EPW_QUEUED;
		list_push(&p->qhead, &p->qtail, r);
		pthread_cond_signal(&p->work);
	}
	pthread_mutex_unlock(&p->mu);
	return ret;
}

int aring__ep_pool_stop(struct ep_pool *p, struct ep_req *r)
{
	int ret = -EALREADY;

	pthread_mutex_lock(&p->mu);
	if (r->where == EPW_QUEUED) {
		list_del(&p->qhead, &p->qtail, r);
		r->where = EPW_NONE;
		ret = 0;
	}
	pthread_mutex_unlock(&p->mu);
	return ret;
}

void aring__ep_pool_drop(struct ep_pool *p, struct ep_req *r)
{
	pthread_mutex_lock(&p->mu);
	if (r->where == EPW_QUEUED)
		list_del(&p->qhead, &p->qtail, r);
	while (r->where == EPW_RUNNING)
		pthread_cond_wait(&p->idle, &p->mu);
	if (r->where == EPW_DONE)
		list_del(&p->dhead, &p->dtail, r);
	r->where = EPW_NONE;
	pthread_mutex_unlock(&p->mu);
}

struct ep_req *aring__ep_pool_reap(struct ep_pool *p)
{
	struct ep_req *list;
	uint64_t v;

	pthread_mutex_lock(&p->mu);
	list = p->dhead;
	p->dhead = p->dtail = NULL;
	if (p->efd_armed) {
		p->efd_armed = false;
		if (read(p->efd, &v, sizeof(v)) < 0 && errno != EAGAIN)
			abort();
	}
	pthread_mutex_unlock(&p->mu);
	return list;
}
