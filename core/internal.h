/* SPDX-License-Identifier: MIT */
/* aring's private core: the loop, tasks, ops. Never installed. */
#ifndef ARING_CORE_INTERNAL_H
#define ARING_CORE_INTERNAL_H

#include <assert.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "aring.h"
#include "core/abi.h"
#include "core/backend.h"

#define ARING_ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define ARING_LIKELY(x) __builtin_expect(!!(x), 1)
#define ARING_UNLIKELY(x) __builtin_expect(!!(x), 0)

/* ---------------------------------------------------------------- context */
/* core/context.c: fcontext glue with ASan and Valgrind annotations. */

typedef void *aring__fctx;

struct aring__ctx {
	aring__fctx fctx;        /* saved context while not running */
	void *stack_lo;          /* lowest usable address (NULL: the thread's stack) */
	size_t stack_size;
	void *asan_fake_stack;   /* ASan's fake-stack handle while switched away */
	unsigned valgrind_id;
	void (*fn)(void *arg);   /* entry, for a fresh context */
	void *arg;
};

/* Make ctx start fn(arg) on [stack_lo, stack_lo + size). */
void aring__ctx_make(struct aring__ctx *ctx, void (*fn)(void *arg), void *arg);
/* Leave a context for good (its stack may be freed once this returns elsewhere). */
__attribute__((noreturn)) void aring__ctx_exit(struct aring__ctx *from, struct aring__ctx *to);
void aring__ctx_register_stack(struct aring__ctx *ctx);
void aring__ctx_unregister_stack(struct aring__ctx *ctx);

/* ---------------------------------------------------------------- stacks */
/* core/stack.c: pooled stacks with guard regions; overflow reporting. */

struct aring__stack_pool;

int aring__stack_pool_new(size_t stack_size, struct aring__stack_pool **out);
void aring__stack_pool_free(struct aring__stack_pool *pool);
/* A stack of the pool's size (size == 0) or of its own size. NULL: -ENOMEM. */
void *aring__stack_get(struct aring__stack_pool *pool, size_t size, size_t *usable, bool *pooled);
void aring__stack_put(struct aring__stack_pool *pool, void *top, size_t usable, bool pooled);

/* ---------------------------------------------------------------- tasks */

enum aring__task_state {
	ARING__TASK_READY = 1,
	ARING__TASK_RUNNING,
	ARING__TASK_BLOCKED,
	ARING__TASK_DONE,
	ARING__TASK_FREED,      /* joined (or detached and returned); stack back in the pool */
};

struct aring_task {
	struct aring__ctx ctx;
	aring_loop *loop;
	aring_fn fn;
	void *arg;
	int result;
	uint8_t state;
	bool detached;
	bool pooled_stack;         /* from the pool's free list */
	aring_task *next;          /* ready queue */
	aring_task *joiner;        /* task waiting in aring_join */
	void *stack_top;           /* for aring__stack_put */
	size_t stack_size;
};

struct aring__taskq {
	aring_task *head, *tail;
};

static inline void aring__taskq_push(struct aring__taskq *q, aring_task *t)
{
	t->next = NULL;
	if (q->tail)
		q->tail->next = t;
	else
		q->head = t;
	q->tail = t;
}

static inline aring_task *aring__taskq_pop(struct aring__taskq *q)
{
	aring_task *t = q->head;

	if (t) {
		q->head = t->next;
		if (!q->head)
			q->tail = NULL;
	}
	return t;
}

/* ---------------------------------------------------------------- ops */

/*
 * user_data of every SQE the core submits: ARING_UD_TAG in the top 16 bits
 * (the range aring.h reserves), the address of the aring__op on the task's
 * stack in bits 3..47 (x86_64 user addresses are below 2^47), and in the low
 * bits which of the op's SQEs the CQE belongs to. A CQE without the tag was
 * not made by aring (aring_msg_ring from another ring, a raw SQE submitted
 * through aring_ring()): it is counted and ignored, never dereferenced.
 */
enum {
	ARING__TAG_MAIN = 0,    /* the op (or the last SQE of an aring_do_n chain) */
	ARING__TAG_TIMEOUT = 1, /* its linked timeout */
	ARING__TAG_CHAIN = 2,   /* an earlier SQE of an aring_do_n chain */
	ARING__TAG_MASK = 3,
};

#define ARING__UD_PTR_MASK ((((uint64_t)1 << ARING_UD_TAG_SHIFT) - 1) & ~(uint64_t)ARING__TAG_MASK)

enum {
	ARING__OP_TIMEOUT = 1u << 0,    /* has a linked timeout */
	ARING__OP_ID = 1u << 1,         /* is in the id registry */
	ARING__OP_MULTISHOT = 1u << 2,  /* ms_fn gets every CQE */
	ARING__OP_CHAIN = 1u << 3,      /* an aring_do_n chain: earlier links are TAG_CHAIN */
	ARING__OP_DISCARD = 1u << 4,    /* loop->discard: CQEs of SQEs aring threw away */
};

struct aring__op {
	aring_task *task;
	int32_t res;            /* the main CQE's res */
	uint32_t cqe_flags;     /* the main CQE's flags */
	uint32_t pending;       /* CQEs still to come */
	uint8_t flags;          /* ARING__OP_*; the fields below are valid per flag */
	uint8_t ms_stop;        /* multishot: 1 = fn asked to stop, 2 = cancel sent */
	int32_t timeout_res;    /* the linked timeout's res */
	uint64_t id;
	struct aring__op *id_prev, *id_next;  /* loop->ids */
	aring_multishot_fn ms_fn;
	void *ms_arg;
	struct aring__op *ms_prev, *ms_next;  /* loop->ms_ops */
	int ms_fd;              /* the multishot's fd; -1 for a fixed file */
	bool ms_closing;        /* aring_close of ms_fd cancelled it */
	struct __kernel_timespec ts;          /* the linked timeout's time */
	struct io_uring_sqe *tsqe;            /* its SQE, between begin and wait */
	int *results;           /* aring_do_chain: every member's result, or NULL */
	uint32_t chain_idx;     /* the member the next chain CQE belongs to */
	uint32_t chain_n;       /* members */
	int32_t chain_prev_res; /* the previous member's res ... */
	bool chain_prev_skip;   /* ... which skipped its CQE and was reported as 0 */
} __attribute__((aligned(8)));

static inline uint64_t aring__op_ud(struct aring__op *op, unsigned tag)
{
	return ARING_UD_TAG | (uint64_t)(uintptr_t)op | tag;
}

static inline struct aring__op *aring__ud_op(uint64_t ud)
{
	return (struct aring__op *)(uintptr_t)(ud & ARING__UD_PTR_MASK);
}

/*
 * Start an op from the running task: check opt, make room in the SQ for
 * nsqes SQEs plus a linked timeout, take them (sqes[0..nsqes-1]).
 * Returns 0 or -errno (-EPERM outside a task, -EINVAL for bad opt).
 */
int aring__op_begin(aring_loop *loop, struct aring__op *op, const struct aring_opt *opt,
		    struct io_uring_sqe **sqes, unsigned nsqes);
/*
 * Finish setting up the SQEs (user_data, flags, timeout), suspend, return the
 * result. A chain (nsqes > 1) stores every member's result in op->results
 * unless it is NULL.
 */
int aring__op_wait(aring_loop *loop, struct aring__op *op, const struct aring_opt *opt,
		   struct io_uring_sqe **sqes, unsigned nsqes);
/* Give up SQEs taken by aring__op_begin: they become NOPs whose CQEs are ignored. */
void aring__op_discard(aring_loop *loop, struct aring__op *op, struct io_uring_sqe **sqes,
		       unsigned nsqes);

/* ---------------------------------------------------------------- loop */

/* Ids are sequential, so id % buckets spreads them evenly (core/cancel.c). */
#define ARING__ID_BUCKETS 1024u

struct aring_loop {
	struct aring__backend *be;
	struct io_uring *ring;           /* the uring backend's ring (fast paths), or NULL
	                                    (sim; a uring with 128-byte SQEs) */
	aring_task *current;             /* running task, NULL in the scheduler */
	struct aring__taskq ready;       /* runnable, next batch */
	struct aring__taskq batch;       /* runnable, this batch */
	uint64_t inflight;               /* CQEs the core still expects */
	aring_task *zombie;              /* finished detached task to free */
	struct aring__ctx sched;         /* the context aring_run runs in */
	enum aring_backend kind;
	struct aring__stack_pool *stacks;
	uint64_t nlive;                  /* not yet returned */
	uint64_t next_id;                /* ids for aring_cancel, never reused */
	struct aring__op *ids[ARING__ID_BUCKETS]; /* ops with an id in flight, by id */
	bool running;
	bool outside_join;               /* aring_join from outside a task is running the loop */
	uint64_t foreign_cqes;           /* CQEs without ARING_UD_TAG, ignored */
	struct aring__op *ms_ops;        /* multishot ops armed (aring_close cancels them) */
	unsigned ms_armed;               /* how many: 0 keeps aring_close plain */
	struct aring__op discard;        /* user_data of SQEs whose CQEs are ignored */
};

/* Suspend the running task until someone makes it ready (core/task.c). */
void aring__task_suspend(aring_loop *loop);

/* Make a blocked task runnable. */
static inline void aring__task_wake(aring_loop *loop, aring_task *task)
{
	if (task->state != ARING__TASK_BLOCKED)
		return;
	task->state = ARING__TASK_READY;
	aring__taskq_push(&loop->ready, task);
}

/*
 * A zeroed SQE (every backend's contract, core/backend.h), or NULL when the
 * SQ is full. liburing 2.6 and later prep helpers no longer clear every
 * field, and a custom prep sets only what it needs. The inline path zeroes
 * 64 bytes: a ring with 128-byte SQEs has no loop->ring (core/loop.c) and
 * goes through the backend, which zeroes all 128.
 */
static inline struct io_uring_sqe *aring__get_sqe(aring_loop *loop)
{
	if (ARING_LIKELY(loop->ring != NULL)) {
		struct io_uring_sqe *sqe = io_uring_get_sqe(loop->ring);

		if (ARING_LIKELY(sqe != NULL))
			memset(sqe, 0, sizeof(*sqe));
		return sqe;
	}
	return loop->be->ops->get_sqe(loop->be);
}

/*
 * The wrappers' frame (core/ops.c). The common case, no opt and room in the
 * SQ, is inline; anything else goes through aring__op_begin/aring__op_wait.
 */
static inline struct io_uring_sqe *aring__op_sqe(aring_loop *loop, struct aring__op *op,
						 const struct aring_opt *opt, int *err)
{
	struct io_uring_sqe *sqe = NULL;

	if (ARING_LIKELY(!opt && loop->current)) {
		sqe = aring__get_sqe(loop);
		if (ARING_LIKELY(sqe != NULL)) {
			op->task = loop->current;
			op->flags = 0;
			*err = 0;
			return sqe;
		}
	}
	*err = aring__op_begin(loop, op, opt, &sqe, 1);
	return sqe;
}

static inline int aring__op_run(aring_loop *loop, struct aring__op *op,
				const struct aring_opt *opt, struct io_uring_sqe *sqe)
{
	if (ARING_LIKELY(!opt)) {
		sqe->user_data = aring__op_ud(op, ARING__TAG_MAIN);
		op->pending = 1;
		loop->inflight++;
		do
			aring__task_suspend(loop);
		while (op->pending);
		return op->res;
	}
	return aring__op_wait(loop, op, opt, &sqe, 1);
}

/* Submit queued SQEs, and reap CQEs; wait for one if `wait`. */
int aring__loop_poll(aring_loop *loop, bool wait);
/* Reap ready CQEs without submitting or waiting. */
unsigned aring__loop_reap(aring_loop *loop);
/* Id registry (core/cancel.c). */
void aring__id_add(aring_loop *loop, struct aring__op *op);
void aring__id_del(aring_loop *loop, struct aring__op *op);
struct aring__op *aring__id_find(aring_loop *loop, uint64_t id);
/* Cancel the request with this user_data (one op of the running task): its result. */
int aring__cancel_ud(aring_loop *loop, uint64_t ud);

static inline struct aring__backend *aring__loop_backend(aring_loop *loop)
{
	return loop->be;
}

#endif /* ARING_CORE_INTERNAL_H */
