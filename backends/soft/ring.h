/* SPDX-License-Identifier: MIT */
/* The soft ring's private state, shared by ring.c, timeout.c and cancel.c. */
#ifndef ARING_BACKENDS_SOFT_RING_H
#define ARING_BACKENDS_SOFT_RING_H

#include <assert.h>
#include <sys/uio.h>

#include "backends/soft/soft.h"
#include "core/internal.h"

#define SOFT_MAX_OVERFLOW (1u << 22) /* CQEs kept while the CQ is full */

/* A FIFO of requests through their `next` pointer. */
struct soft_fifo {
	struct aring__soft_req *head, *tail;
};

/* Registered files and buffers (rsrc.c; kernel ctx->file_table, ctx->buf_table). */
struct soft_rsrc {
	void **files;                    /* executor file references; NULL = empty slot */
	uint64_t *bitmap;                /* slots in use (file_table.bitmap) */
	unsigned nr_files;               /* 0: no table */
	unsigned alloc_start, alloc_end, alloc_hint; /* IORING_REGISTER_FILE_ALLOC_RANGE */
	struct iovec *bufs;              /* iov_base NULL = empty slot */
	unsigned nr_bufs;                /* 0: no table */
};

struct aring__soft {
	struct aring__backend be;        /* first: the core sees this */
	const struct aring__soft_exec *exec;
	void *ex;
	const char *name;
	/* SQ */
	struct io_uring_sqe *sq;
	unsigned sq_entries, sq_head, sq_tail;
	/* CQ and its overflow ring (IORING_FEAT_NODROP) */
	struct io_uring_cqe *cq;
	unsigned cq_entries, cq_head, cq_tail;
	unsigned cq_limit;               /* aring__soft_set_cq_limit(); 0 = cq_entries */
	struct io_uring_cqe *ovf;
	unsigned ovf_cap, ovf_head, ovf_len;
	/* requests */
	struct aring__soft_req *free_reqs;
	uint64_t nalloc;                 /* alive (kernel ctx->nr_req_allocated) */
	uint64_t ndrained;               /* in deferred chains (ctx->nr_drained) */
	uint64_t next_seq;
	struct soft_fifo defer;          /* ctx->defer_list: deferred chain heads */
	bool drain_active, drain_next, drain_disabled;
	struct aring__soft_req *link_head, *link_last; /* ctx->submit_state.link */
	struct soft_fifo batch;          /* completed, CQE not posted (state.compl_reqs) */
	struct soft_fifo tw;             /* task work */
	/* CQ sequence for count timeouts (kernel cached_cq_tail - cq_timeouts) */
	uint64_t cq_events, cq_timeouts;
	uint64_t cancel_seq;
	/* timers: armed timeouts and linked timeouts by deadline */
	struct aring__soft_req **timers;
	uint32_t ntimers, timers_cap;
	/* count timeouts by target sequence */
	struct aring__soft_req **counts;
	uint32_t ncounts, counts_cap;
	/* in flight: started or armed, by user_data, and in one list */
	struct aring__soft_req **hash;
	uint64_t hash_mask, nhashed;
	struct aring__soft_req **fhash;  /* started requests by file */
	uint64_t fhash_mask, nfhashed;
	struct aring__soft_req *flight;  /* fnext/fprev list, newest first */
	struct aring__soft_stats stats;
	struct soft_rsrc rsrc;           /* rsrc.c */
	struct aring__soft_kbuf *kbuf;   /* buffer groups (kbuf.c), NULL until the first */
	/* The submit context: submit work runs on this stack, not the caller's. */
	struct aring__ctx sub_ctx;
	struct aring__ctx *sub_caller;
	void *sub_map;                 /* the submit stack (core/stack.c) */
	unsigned sub_wait_nr;
	int sub_ret;
};

static inline void soft_fifo_push(struct soft_fifo *f, struct aring__soft_req *r)
{
	r->next = NULL;
	if (f->tail)
		f->tail->next = r;
	else
		f->head = r;
	f->tail = r;
}

static inline struct aring__soft_req *soft_fifo_take(struct soft_fifo *f)
{
	struct aring__soft_req *r = f->head;

	f->head = f->tail = NULL;
	return r;
}

static inline uint64_t soft_now(struct aring__soft *s)
{
	return s->exec->now_ns(s->ex);
}

/* ring.c */
void aring__soft_post(struct aring__soft *s, struct aring__soft_req *r, int32_t res, uint32_t cflags);
/* Complete r now (its CQE joins the batch): kernel io_req_complete_defer(). */
void aring__soft_done(struct aring__soft *s, struct aring__soft_req *r, int32_t res);
/* Queue task work for r (kernel io_req_task_work_add()). */
void aring__soft_tw_add(struct aring__soft *s, struct aring__soft_req *r, enum aring__soft_tw tw,
			int32_t res);
void aring__soft_set_fail(struct aring__soft_req *r);

/* timeout.c */
int aring__soft_timeout_prep(struct aring__soft *s, struct aring__soft_req *r);
int aring__soft_timeout_remove_prep(struct aring__soft *s, struct aring__soft_req *r);
void aring__soft_timeout_issue(struct aring__soft *s, struct aring__soft_req *r);
void aring__soft_timeout_remove_issue(struct aring__soft *s, struct aring__soft_req *r);
/* Arm r's linked timeout (kernel io_queue_linked_timeout()). */
void aring__soft_ltimeout_arm(struct aring__soft *s, struct aring__soft_req *r);
/* r completes: remove its linked timeout (kernel io_disarm_next()). */
void aring__soft_disarm_next(struct aring__soft *s, struct aring__soft_req *r);
/* Fire every timer due at now; true if one fired. */
bool aring__soft_timers_run(struct aring__soft *s, uint64_t now);
uint64_t aring__soft_timers_next(struct aring__soft *s);
/* Count timeouts whose count was reached (kernel io_flush_timeouts()). */
void aring__soft_flush_timeouts(struct aring__soft *s);
/* Task work of a timeout that fired. */
void aring__soft_timeout_tw(struct aring__soft *s, struct aring__soft_req *r);
void aring__soft_ltimeout_tw(struct aring__soft *s, struct aring__soft_req *r);
/* Cancel an armed timeout (kernel io_timeout_cancel()): 0 or -ENOENT. */
int aring__soft_timeout_cancel(struct aring__soft *s, struct aring__soft_req *r);
void aring__soft_timer_del(struct aring__soft *s, struct aring__soft_req *r);
void aring__soft_timers_free(struct aring__soft *s);

/* cancel.c */
int aring__soft_cancel_prep(struct aring__soft *s, struct aring__soft_req *r);
void aring__soft_cancel_issue(struct aring__soft *s, struct aring__soft_req *r);
void aring__soft_nop_issue(struct aring__soft *s, struct aring__soft_req *r);
void aring__soft_hash_add(struct aring__soft *s, struct aring__soft_req *r);
void aring__soft_hash_del(struct aring__soft *s, struct aring__soft_req *r);
/* A started request's file is known: hash it by file too (CANCEL_FD). */
void aring__soft_file_add(struct aring__soft *s, struct aring__soft_req *r);
int aring__soft_hash_init(struct aring__soft *s);
void aring__soft_hash_free(struct aring__soft *s);

/* rsrc.c */
/* io_uring_register(2) for files and buffers (the backend's register_rsrc). */
int aring__soft_rsrc_register(struct aring__soft *s, unsigned opcode, void *arg, unsigned nr_args);
void aring__soft_files_update_issue(struct aring__soft *s, struct aring__soft_req *r);
void aring__soft_fixed_fd_install_issue(struct aring__soft *s, struct aring__soft_req *r);
/* kbuf.c: PROVIDE_BUFFERS / REMOVE_BUFFERS, and every group at teardown. */
int aring__soft_kbuf_prep(struct aring__soft *s, struct aring__soft_req *r);
void aring__soft_kbuf_issue(struct aring__soft *s, struct aring__soft_req *r);
void aring__soft_kbuf_free(struct aring__soft *s);

#endif /* ARING_BACKENDS_SOFT_RING_H */
