/* SPDX-License-Identifier: MIT */
/*
 * The epoll executor's private header (backends/epoll.c: readiness and the
 * executor; backends/epoll_pool.c: the worker pool for blocking calls).
 */
#ifndef ARING_BACKENDS_EPOLL_H
#define ARING_BACKENDS_EPOLL_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "backends/soft/soft.h"

struct ep;
struct ep_file;

/* Where a request is while the executor holds it. */
enum ep_where {
	EPW_NONE = 0,  /* being issued, or done */
	EPW_FD,        /* waiting on its file's readiness */
	EPW_QUEUED,    /* in the pool's queue: can be stopped */
	EPW_RUNNING,   /* a worker runs it: cannot be stopped (-EALREADY) */
	EPW_DONE,      /* a worker finished it; its result waits for the loop thread */
};

struct ep_req {
	struct aring__soft_req sr;      /* first: the soft ring's part */
	struct ep_file *f;              /* the file it holds (a reference), or NULL */
	struct ep_req *next, *prev;     /* its file's wait list, or the pool's lists */
	uint8_t where;                  /* enum ep_where */
	uint8_t dir;                    /* wait list: EP_RD, EP_WR, EP_POLL */
	bool dropped;                   /* teardown: forgotten, never completed */
	int32_t res;                    /* a worker's result */
	uint64_t done_bytes;            /* MSG_WAITALL progress */
	uint32_t poll_events;           /* poll_add: the events asked (with ERR, HUP) */
};

/* ---------------------------------------------------------------- the pool (epoll_pool.c) */

struct ep_pool {
	pthread_mutex_t mu;
	pthread_cond_t work, idle;      /* work queued; a request finished (drop waits) */
	struct ep_req *qhead, *qtail;   /* queued, FIFO */
	struct ep_req *dhead, *dtail;   /* done, FIFO, for the loop thread */
	pthread_t *threads;
	unsigned nthreads, max_threads, nidle;
	bool stop;
	int efd;                        /* eventfd: the loop's wake-up */
	bool efd_armed;                 /* a write is pending on efd */
	int32_t (*run)(struct ep_req *r); /* the blocking call */
};

int aring__ep_pool_init(struct ep_pool *p, unsigned max_threads, int32_t (*run)(struct ep_req *));
void aring__ep_pool_destroy(struct ep_pool *p);
/* Queue r; starts a worker if none is idle and the bound allows. 0 or -errno. */
int aring__ep_pool_queue(struct ep_pool *p, struct ep_req *r);
/* 0: removed from the queue; -EALREADY: running or finished. */
int aring__ep_pool_stop(struct ep_pool *p, struct ep_req *r);
/* Forget r: out of the queue, or wait for its worker and take it off the done list. */
void aring__ep_pool_drop(struct ep_pool *p, struct ep_req *r);
/* The finished requests (a list through ->next), taken from the done list. */
struct ep_req *aring__ep_pool_reap(struct ep_pool *p);

#endif /* ARING_BACKENDS_EPOLL_H */
