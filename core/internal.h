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
/* A guarded stack of size bytes below *top, outside any pool; NULL: -ENOMEM. */
void *aring__stack_alone_get(size_t size, void **top);
void aring__stack_alone_put(void *handle);
/* Is the caller on its thread's own stack (not a task's) with need bytes below it? */
bool aring__stack_room(size_t need);

/* ---------------------------------------------------------------- tasks */

enum aring__task_state {
	ARING__TASK_READY = 1,
	ARING__TASK_RUNNING,
	ARING__TASK_BLOCKED,
	ARING__TASK_DONE,
	ARING__TASK_FREED,      /* joined (or detached and returned); stack back in the pool */
};

/*
 * What every switch touches (next, state, ctx.fctx) shares the struct's
 * first cache line (the struct is 64-byte aligned, core/task.c): with
 * hundreds of tasks in a round, each line costs an L1 miss per switch.
 */
struct aring_task {
	aring_task *next;          /* ready queue */
	uint8_t state;
	bool detached;
	bool pooled_stack;         /* from the pool's free list */
	int result;
	struct aring__ctx ctx;
	aring_loop *loop;
	aring_fn fn;
	void *arg;
	void *stack_top;           /* for aring__stack_put */
	size_t stack_size;
	/* Cancellation and waits (core/wait.c, core/task.c). Every suspension
	 * sets cur_op (an op in the ring) or wait (anything else) first. */
	struct aring__op *cur_op;    /* the ring op it is (or was last) blocked in */
	struct aring__waiter *wait;  /* the wait it is blocked in, or NULL */
	bool cancelled;              /* aring_task_cancel: ops and waits fail fast */
	uint8_t exempt;              /* in aring_close/aring_shutdown: they still run */
	bool cancel_queued;          /* on loop->cancelq: its ring op gets a cancel SQE */
	aring_task *cancel_next;     /* loop->cancelq */
	struct aring__waitq joinq;   /* the task in aring_join of this one */
	struct aring_group *group;   /* the group it belongs to, or NULL */
	aring_task *gprev, *gnext;   /* the group's list of tasks */
	aring_task *all_prev, *all_next; /* loop->tasks: spawned and not yet freed */
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

/* ---------------------------------------------------------------- deadlines */
/* core/timer.c: opt->timeout_ns kept by the loop (FIFOs and a pairing heap), one kernel timeout. */

enum aring__timer_kind { ARING__TIMER_OP = 1, ARING__TIMER_WAIT = 2 };

/* In an op or a waiter, on the task's stack. */
struct aring__timer {
	uint64_t deadline_ns;      /* on the backend's clock (aring_now_ns) */
	uint64_t seq;              /* arming order: equal deadlines expire first armed first */
	struct aring__timer *child, *next;
	struct aring__timer *prev; /* previous sibling, or the parent of a first child */
	uint8_t kind;              /* enum aring__timer_kind */
	uint8_t where;             /* ARING__TIMER_OUT, _IN_HEAP, _DUE, _FIFO */
	uint8_t fifo;              /* _FIFO: which */
};

enum { ARING__TIMER_OUT = 0, ARING__TIMER_IN_HEAP = 1, ARING__TIMER_DUE = 2, ARING__TIMER_FIFO = 3 };

/* Deadlines of one timeout value come in order: a FIFO keeps them (core/timer.c). */
#define ARING__TIMER_FIFOS 4
struct aring__timer_fifo {
	uint64_t timeout_ns;       /* 0: not yet claimed */
	struct aring__timer *head, *tail;
};

#define ARING__TIMER_NONE UINT64_MAX

struct aring__timers {
	struct aring__timer *root; /* the heap's earliest deadline */
	struct aring__timer_fifo fifo[ARING__TIMER_FIFOS];
	uint64_t count;            /* deadlines in the heap and the FIFOs */
	uint64_t seq;
	uint64_t armed_ns;         /* the kernel timeout's expiry, ARING__TIMER_NONE if none */
	struct aring__timer *due_head, *due_tail; /* ops past their deadline, cancel not yet sent */
	uint32_t out;              /* kernel timeouts whose CQE is still to come (in inflight) */
	uint8_t ts_idx;
	struct __kernel_timespec ts[2];
};

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

/*
 * A record another thread sent this loop (core/post.c): an aring_loop_post
 * or a finished aring_offload, carried by an IORING_OP_MSG_RING CQE. Its
 * user_data is ARING_UD_TAG | the record's address | ARING__UD_POST: low
 * bits 100, which no op's user_data has (ops are 8-aligned, so bit 2 is 0
 * with TAG_MAIN/TIMEOUT/CHAIN).
 */
#define ARING__UD_FORM_MASK 7u
#define ARING__UD_POST 4u

enum {
	ARING__OP_TIMEOUT = 1u << 0,    /* has a linked timeout (ARING_OPT_LINKED_TIMEOUT) */
	ARING__OP_ID = 1u << 1,         /* is in the id registry */
	ARING__OP_MULTISHOT = 1u << 2,  /* ms_fn gets every CQE */
	ARING__OP_CHAIN = 1u << 3,      /* an aring_do_n chain: earlier links are TAG_CHAIN */
	ARING__OP_DISCARD = 1u << 4,    /* loop->discard: CQEs of SQEs aring threw away */
	ARING__OP_DEADLINE = 1u << 5,   /* op->tm is (or was) in the loop's heap (core/timer.c) */
	ARING__OP_EXPIRED = 1u << 6,    /* its deadline passed: cancels sent (TAG_TIMEOUT CQEs) */
	ARING__OP_CANCELLED = 1u << 7,  /* aring_cancel reached it before its deadline */
	ARING__OP_ITER = 1u << 8,       /* a multishot iterator's: aring__iter_cqe gets every CQE */
	/* the flags that need complete_slow */
	ARING__OP_SLOW = ((1u << 5) - 1) | ARING__OP_ITER,
};

struct aring__op {
	aring_task *task;
	int32_t res;            /* the main CQE's res */
	uint32_t cqe_flags;     /* the main CQE's flags */
	uint32_t pending;       /* CQEs still to come */
	uint16_t flags;         /* ARING__OP_*; the fields below are valid per flag */
	uint8_t ms_stop;        /* multishot: 1 = fn asked to stop, 2 = cancel sent */
	int32_t timeout_res;    /* the linked timeout's res (or the last expiry cancel's) */
	uint64_t id;
	union {  /* a multishot op takes no timeout (-EINVAL) */
		struct {
			aring_multishot_fn ms_fn;
			void *ms_arg;
			struct aring__op *ms_prev, *ms_next;  /* loop->ms_ops */
			int ms_fd;      /* the multishot's fd; -1 for a fixed file */
			bool ms_closing; /* aring_close of ms_fd cancelled it */
		};
		struct {
			struct __kernel_timespec ts;  /* the linked timeout's time */
			struct io_uring_sqe *tsqe;    /* its SQE, between begin and wait */
		};
		struct aring__timer tm;               /* ARING__OP_DEADLINE */
	};
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
/* aring__op_begin for one SQE: the SQE, or NULL with *err set. */
struct io_uring_sqe *aring__op_begin1(aring_loop *loop, struct aring__op *op,
				      const struct aring_opt *opt, int *err);
/*
 * Finish setting up the SQEs (user_data, flags, timeout), suspend, return the
 * result. A chain (nsqes > 1) stores every member's result in op->results
 * unless it is NULL.
 */
int aring__op_wait(aring_loop *loop, struct aring__op *op, const struct aring_opt *opt,
		   struct io_uring_sqe **sqes, unsigned nsqes);
/* The loop's list of armed multishot ops, which aring_close cancels (core/ops.c). */
void aring__ms_arm(aring_loop *loop, struct aring__op *op);
void aring__ms_disarm(aring_loop *loop, struct aring__op *op);
/* core/bufring.c: a CQE of an iterator's multishot request (ARING__OP_ITER). */
void aring__iter_cqe(aring_loop *loop, struct aring__op *op, const struct io_uring_cqe *cqe);
/* Give up SQEs taken by aring__op_begin: they become NOPs whose CQEs are ignored. */
void aring__op_discard(aring_loop *loop, struct aring__op *op, struct io_uring_sqe **sqes,
		       unsigned nsqes);

/* ---------------------------------------------------------------- waits */
/*
 * core/wait.c: a task waiting on a channel, lock, condition, semaphore,
 * wait group, group, join or signal. The record is on the waiter's stack;
 * the object holds a FIFO of them (struct aring__waitq, aring.h).
 */
#define ARING__WAIT_PENDING INT32_MIN

struct aring__waiter {
	struct aring__waiter *prev, *next;
	struct aring__waitq *q;   /* the queue it is on; NULL once ended */
	aring_task *task;
	int res;                  /* ARING__WAIT_PENDING until ended */
	uint64_t id;              /* opt->id's, or 0 */
	void *buf;                /* chan: the message; signal: the set */
	bool nocancel;            /* aring_task_cancel leaves it alone (cond_wait's relock) */
	struct aring__timer tm;   /* opt->timeout_ns (core/timer.c) */
};

/* Queue w (its buf set by the caller) on q and suspend until it ends; its result. */
int aring__wait(aring_loop *loop, struct aring__waitq *q, struct aring__waiter *w,
		const struct aring_opt *opt);
/* The same, and aring_task_cancel does not end it (no opt). */
int aring__wait_nocancel(aring_loop *loop, struct aring__waitq *q, struct aring__waiter *w);
/* End a wait: off its queue, result res, its task woken. */
void aring__wait_end(aring_loop *loop, struct aring__waiter *w, int res);
/* End every wait of q with res. */
void aring__wait_end_all(aring_loop *loop, struct aring__waitq *q, int res);

/* core/timer.c. Put t among the loop's deadlines, due timeout_ns from now (t->where must be OUT). */
void aring__timer_add(aring_loop *loop, struct aring__timer *t, uint64_t timeout_ns,
		      enum aring__timer_kind kind);
/* Take t out of the deadlines (or the due list), if it is there. */
void aring__timer_del(aring_loop *loop, struct aring__timer *t);
/* An expired chain moved on to a link its cancel missed: cancel again. */
void aring__timer_expire_again(aring_loop *loop, struct aring__op *op);
/* Before a submit: expire what passed, arm (or remove) the kernel timeout. */
void aring__timers_flush(aring_loop *loop, bool wait);
/* A CQE of the loop's kernel timeout (TAG_TIMEOUT of loop->discard). */
void aring__timers_cqe(aring_loop *loop, int res);
/* aring__loop_crash: every request was dropped. */
void aring__timers_reset(aring_loop *loop);
/* sim: is ud the main SQE of an op with a deadline (timeout_ppm stalls it)? */
bool aring__ud_deadline(uint64_t ud);

static inline struct aring__waiter *aring__waitq_first(const struct aring__waitq *q)
{
	return q->head;
}

/* core/task.c: send cancel SQEs for the ring ops of cancelled tasks (before a submit). */
void aring__cancel_flush(aring_loop *loop);
/* Start a task; detached ones are still returned in *out (groups). */
int aring__spawn(aring_loop *loop, aring_fn fn, void *arg, size_t stack_size, bool detached,
		 aring_task **out);
/* Cancel t (any task, detached or not). */
void aring__task_cancel(aring_loop *loop, aring_task *t);
/* core/group.c: a task of a group returned. */
void aring__group_task_done(aring_loop *loop, aring_task *t);
/* core/signal.c: a signal raised on a sim loop (aring_sim_signal). */
int aring__signal_raise(aring_loop *loop, int sig);
/* core/op.c: room for n SQEs in the SQ (submitting, reaping): 0 or -errno. */
int aring__sq_room(aring_loop *loop, unsigned n);

/* ---------------------------------------------------------------- loop */

/* The id registry (core/cancel.c): an open-addressing hash of the ops in flight with an id. */
struct aring__id_slot {
	uint64_t id;
	struct aring__op *op;   /* NULL: a free slot */
};

struct aring__ids {
	struct aring__id_slot *slots;  /* mask + 1 slots, NULL until the first id */
	uint32_t mask;
	uint32_t count;
	unsigned shift;                /* 64 - log2(mask + 1) */
};

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
	struct aring__ids ids;           /* ops with an id in flight, by id */
	struct aring__timers timers;     /* deadlines (core/timer.c) */
	bool running;
	bool outside_join;               /* aring_join from outside a task is running the loop */
	uint64_t foreign_cqes;           /* CQEs without ARING_UD_TAG, ignored */
	struct aring__op *ms_ops;        /* multishot ops armed (aring_close cancels them) */
	unsigned ms_armed;               /* how many: 0 keeps aring_close plain */
	struct aring__op discard;        /* user_data of SQEs whose CQEs are ignored */
	aring_task *cancelq_head, *cancelq_tail; /* cancelled tasks whose ring op needs a cancel SQE */
	unsigned batch_handoffs;         /* waiters woken into this batch (core/wait.c) */
	uint64_t sig_pending;            /* sim: signals raised and not yet waited for (bit sig-1) */
	struct aring__waitq sigq;        /* sim: tasks in aring_signal_wait */
	/* sim: reorders each new batch (aring_sim_opts.shuffle_ppm); NULL elsewhere */
	void (*shuffle)(aring_loop *loop, struct aring__taskq *batch);
	aring_task *tasks;               /* every task not yet freed (aring__loop_crash) */
	/* Threads (core/post.c, core/offload.c). */
	aring_loop *reg_prev, *reg_next; /* the registry of live loops */
	unsigned long owner;             /* pthread_t of the thread that made the loop */
	int hold;                        /* aring_loop_hold (atomic) */
	bool remote_used;                /* a post was sent here (atomic): reap at run start */
	bool freeing;                    /* aring_loop_free: posts that arrive are dropped */
	uint64_t offload_pending;        /* offloads not yet come back */
	uint64_t sim_offloads;           /* sim: offloads so far (their latency draws) */
	uint64_t posts_dropped;          /* posts that arrived but could not be spawned */
	unsigned offload_threads;        /* the pool's bound */
	struct aring__pool *pool;        /* NULL until the first offload */
};

/* ---------------------------------------------------------------- threads */
/* core/post.c and core/offload.c: records other threads send a loop. */
enum { ARING__XMSG_POST = 1, ARING__XMSG_OFFLOAD = 2 };

struct aring__xmsg {
	uint32_t kind;          /* ARING__XMSG_* */
} __attribute__((aligned(8)));

/* Register a new loop (aring_loop_post finds it) / unregister it: 0 or -errno. */
int aring__post_register(aring_loop *loop);
/* aring_loop_free: no post reaches the loop after this returns. */
void aring__post_unregister(aring_loop *loop);
/* A CQE with the ARING__UD_POST form. */
void aring__post_cqe(aring_loop *loop, const struct io_uring_cqe *cqe);
/* Send a record to loop from any thread (IORING_OP_MSG_RING): 0 or -errno. */
int aring__post_send(aring_loop *loop, struct aring__xmsg *m);
/* core/offload.c: a finished offload came back; stop the pool (loop_free). */
void aring__offload_done(aring_loop *loop, struct aring__xmsg *m);
void aring__offload_stop(aring_loop *loop);
/* aring_run's start (returns what to pass to leave) and end. */
aring_loop *aring__post_enter(aring_loop *loop);
void aring__post_leave(aring_loop *prev);

/* While true, aring_run waits for other threads instead of giving -EDEADLK. */
static inline bool aring__remote_wait(const aring_loop *loop)
{
	return loop->offload_pending ||
	       __atomic_load_n(&loop->hold, __ATOMIC_RELAXED) > 0;
}

/*
 * sim (aring_sim_crash): end every task of the loop but the running one
 * where it stands (no more of its code runs; its stack goes back to the
 * pool, a stale handle's join gives -ESRCH), and forget every CQE the core
 * expected: the caller has already dropped every request of the ring.
 */
void aring__loop_crash(aring_loop *loop);

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
	if (ARING_LIKELY(!opt && loop->current && !loop->current->cancelled)) {
		struct io_uring_sqe *sqe = aring__get_sqe(loop);

		if (ARING_LIKELY(sqe != NULL)) {
			op->task = loop->current;
			op->flags = 0;
			*err = 0;
			return sqe;
		}
	}
	return aring__op_begin1(loop, op, opt, err);
}

static inline int aring__op_run(aring_loop *loop, struct aring__op *op,
				const struct aring_opt *opt, struct io_uring_sqe *sqe)
{
	if (ARING_LIKELY(!opt)) {
		sqe->user_data = aring__op_ud(op, ARING__TAG_MAIN);
		op->task->cur_op = op;
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
/* Id registry (core/cancel.c). Room for one more id: 0 or -ENOMEM. */
int aring__id_reserve(aring_loop *loop);
/* Never fails after aring__id_reserve (no suspension between the two). */
void aring__id_add(aring_loop *loop, struct aring__op *op);
void aring__id_del(aring_loop *loop, struct aring__op *op);
/* The same for a wait (w->id set from the counter). */
void aring__id_add_wait(aring_loop *loop, struct aring__waiter *w);
void aring__id_del_wait(aring_loop *loop, struct aring__waiter *w);
struct aring__op *aring__id_find(aring_loop *loop, uint64_t id);
/* Cancel the request with this user_data (one op of the running task): its result. */
int aring__cancel_ud(aring_loop *loop, uint64_t ud);
void aring__id_free(aring_loop *loop);

static inline struct aring__backend *aring__loop_backend(aring_loop *loop)
{
	return loop->be;
}

/*
 * Checks at the start of every call that may wait: 0, -EPERM, -ECANCELED,
 * -EINVAL. opt->id reads 0 (no such id) unless the call then waits.
 */
static inline int aring__wait_check(aring_loop *loop, const struct aring_opt *opt)
{
	aring_task *self;

	if (opt && opt->id)
		*opt->id = 0;
	if (ARING_UNLIKELY(!loop))
		return -EINVAL;
	self = loop->current;
	if (ARING_UNLIKELY(!self))
		return -EPERM;
	if (ARING_UNLIKELY(self->cancelled))
		return -ECANCELED;
	if (ARING_UNLIKELY(opt && (opt->sqe_flags || (opt->flags & ~ARING_OPT_LINKED_TIMEOUT))))
		return -EINVAL;  /* a wait is no SQE */
	return 0;
}

#endif /* ARING_CORE_INTERNAL_H */
