/* SPDX-License-Identifier: MIT */
/*
 * Buffers the kernel picks: pools over provided buffer rings, and multishot
 * receives as iterators (aring.h, "Provided buffers").
 *
 * A pool is a struct io_uring_buf_ring (nbufs entries of 16 bytes, page
 * aligned) and one mapping of nbufs * bufsize bytes. The program gives a
 * buffer back by writing its entry and moving the ring's tail
 * (io_uring_buf_ring_add/advance, liburing 2.3); the kernel, or the soft
 * ring's kbuf.c on the sim and epoll backends, takes buffers at the head.
 * The pool counts the buffers in the ring (avail): each CQE that carries a
 * buffer the kernel used up takes one out, each release puts one back.
 *
 * An iterator owns one multishot request. Its CQEs come through the core's
 * completion path (core/op.c, ARING__OP_ITER) to iter_cqe(), which queues
 * them in the iterator (a ring that doubles when full: a slow consumer's
 * backlog is bounded by the pool, nbufs CQEs and the last one) and wakes the
 * task waiting in aring_recv_next (a core wait: core/wait.c, so timeouts
 * and cancellation by id or of the task work as for any wait).
 *
 * The kernel ends a multishot receive with -ENOBUFS when it finds the pool
 * empty (io_uring/net.c io_recv(), rw.c io_read_mshot()). That CQE is not
 * handed to the task: once the task took what was queued before it, the
 * request is armed again, or -ENOBUFS is returned while the pool is empty.
 */
#include "config.h"
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "backends/soft/soft.h"
#include "core/internal.h"

#define POOL_MAX_BUFS 32768u  /* ring entries: a power of two below 65536 */

enum { BID_IN_RING = 0, BID_OUT = 1 };

struct aring_bufpool {
	aring_loop *loop;
	struct io_uring_buf_ring *br;
	size_t br_bytes;
	uint8_t *mem;
	size_t mem_bytes;
	uint32_t nbufs, bufsize, mask;
	uint32_t avail;            /* entries in the ring the kernel may still use */
	uint32_t armed;            /* iterators with a request in flight */
	uint16_t bgid;
	bool inc;
	uint8_t *state;            /* per bid: BID_IN_RING or BID_OUT */
	uint32_t *refs;            /* inc: pieces of each buffer the program holds */
	uint32_t *off;             /* inc: bytes of each buffer filled before (kernel order) */
	struct aring__waitq waitq; /* tasks in aring_bufpool_wait */
};

/* ---------------------------------------------------------------- pools */

static bool on_uring(aring_loop *loop)
{
	return loop->be->ops->ring(loop->be) != NULL;
}

static int pbuf_register(aring_bufpool *p)
{
	struct io_uring_buf_reg reg;

	memset(&reg, 0, sizeof(reg));
	reg.ring_addr = (uint64_t)(uintptr_t)p->br;
	reg.ring_entries = p->nbufs;
	reg.bgid = p->bgid;
	aring__buf_reg_set_flags(&reg, p->inc ? ARING_IOU_PBUF_RING_INC : 0);
	if (on_uring(p->loop))
		return io_uring_register_buf_ring(p->loop->be->ops->ring(p->loop->be), &reg, 0);
	return aring__soft_register_pbuf_ring(p->loop->be, &reg);
}

static void pbuf_unregister(aring_bufpool *p)
{
	struct io_uring_buf_reg reg;

	if (on_uring(p->loop)) {
		io_uring_unregister_buf_ring(p->loop->be->ops->ring(p->loop->be), p->bgid);
		return;
	}
	memset(&reg, 0, sizeof(reg));
	reg.bgid = p->bgid;
	aring__soft_unregister_pbuf_ring(p->loop->be, &reg);
}

/* Put bid in the ring (its whole buffer) and publish it. */
static void ring_add(aring_bufpool *p, unsigned bid)
{
	io_uring_buf_ring_add(p->br, p->mem + (size_t)bid * p->bufsize, p->bufsize,
			      (unsigned short)bid, (int)p->mask, 0);
	io_uring_buf_ring_advance(p->br, 1);
	p->state[bid] = BID_IN_RING;
	p->avail++;
	/* one buffer, one waiter (FIFO): no herd when the pool was dry */
	if (p->waitq.head)
		aring__wait_end(p->loop, p->waitq.head, 0);
}

static void pool_unmap(aring_bufpool *p)
{
	if (p->br)
		munmap(p->br, p->br_bytes);
	if (p->mem)
		munmap(p->mem, p->mem_bytes);
	free(p->state);
	free(p->refs);
	free(p->off);
	free(p);
}

ARING_API int aring_bufpool_new(aring_loop *loop, aring_bufpool **pool, unsigned bgid,
				unsigned nbufs, unsigned bufsize, unsigned flags)
{
	long page = sysconf(_SC_PAGESIZE);
	aring_bufpool *p;
	unsigned i;
	int ret;

	if (pool)
		*pool = NULL;
	if (!loop || !pool || bgid > 0xffff || !nbufs || nbufs > POOL_MAX_BUFS ||
	    (nbufs & (nbufs - 1)) || !bufsize || bufsize > ARING_MAX_RW_COUNT ||
	    (flags & ~ARING_BUFPOOL_INC))
		return -EINVAL;
	if ((uint64_t)nbufs * bufsize > ((uint64_t)1 << 40))
		return -ENOMEM;
	p = calloc(1, sizeof(*p));
	if (!p)
		return -ENOMEM;
	p->loop = loop;
	p->nbufs = nbufs;
	p->bufsize = bufsize;
	p->mask = (uint32_t)io_uring_buf_ring_mask(nbufs);
	p->bgid = (uint16_t)bgid;
	p->inc = flags & ARING_BUFPOOL_INC;
	p->br_bytes = ((size_t)nbufs * sizeof(struct io_uring_buf) + (size_t)page - 1) &
		      ~((size_t)page - 1);
	p->mem_bytes = (size_t)nbufs * bufsize;
	p->br = mmap(NULL, p->br_bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p->br == MAP_FAILED)
		p->br = NULL;
	p->mem = mmap(NULL, p->mem_bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p->mem == MAP_FAILED)
		p->mem = NULL;
	p->state = malloc(nbufs);
	p->refs = p->inc ? calloc(nbufs, sizeof(*p->refs)) : NULL;
	p->off = p->inc ? calloc(nbufs, sizeof(*p->off)) : NULL;
	if (!p->br || !p->mem || !p->state || (p->inc && (!p->refs || !p->off))) {
		pool_unmap(p);
		return -ENOMEM;
	}
	io_uring_buf_ring_init(p->br);
	ret = pbuf_register(p);
	if (ret < 0) {
		pool_unmap(p);
		return ret;
	}
	for (i = 0; i < nbufs; i++)
		ring_add(p, i);
	*pool = p;
	return 0;
}

/* A buffer (or, incremental, a piece of one) the program has not released. */
static bool pool_held(const aring_bufpool *p)
{
	unsigned i;

	if (p->avail != p->nbufs)
		return true;
	for (i = 0; p->inc && i < p->nbufs; i++)
		if (p->refs[i])
			return true;
	return false;
}

ARING_API int aring_bufpool_free(aring_bufpool *pool)
{
	if (!pool)
		return 0;
	if (pool->armed || pool->waitq.head || pool_held(pool))
		return -EBUSY;
	pbuf_unregister(pool);
	pool_unmap(pool);
	return 0;
}

ARING_API unsigned aring_bufpool_bgid(const aring_bufpool *pool)
{
	return pool ? pool->bgid : 0;
}

ARING_API void *aring_bufpool_buf(aring_bufpool *pool, unsigned bid)
{
	if (!pool || bid >= pool->nbufs)
		return NULL;
	return pool->mem + (size_t)bid * pool->bufsize;
}

ARING_API unsigned aring_bufpool_avail(const aring_bufpool *pool)
{
	return pool ? pool->avail : 0;
}

ARING_API int aring_bufpool_wait(aring_loop *loop, aring_bufpool *pool, const struct aring_opt *opt)
{
	struct aring__waiter w;
	int ret = aring__wait_check(loop, opt);

	if (ret < 0)
		return ret;
	if (!pool || pool->loop != loop)
		return -EINVAL;
	if (pool->avail) {
		if (opt && opt->cqe_flags)
			*opt->cqe_flags = 0;
		return 0;
	}
	return aring__wait(loop, &pool->waitq, &w, opt);
}

ARING_API int aring_bufpool_take(aring_bufpool *pool, unsigned bid)
{
	if (!pool || bid >= pool->nbufs)
		return -EINVAL;
	if (pool->state[bid] != BID_IN_RING)
		return -EALREADY;
	pool->state[bid] = BID_OUT;
	pool->avail--;
	return 0;
}

ARING_API int aring_bufpool_recycle(aring_bufpool *pool, unsigned bid)
{
	if (!pool || bid >= pool->nbufs)
		return -EINVAL;
	if (pool->state[bid] == BID_IN_RING)
		return -EALREADY;
	if (pool->inc)
		pool->refs[bid] = pool->off[bid] = 0;
	ring_add(pool, bid);
	return 0;
}

/*
 * A CQE of the pool's group carried buffer bid (IORING_CQE_F_BUFFER):
 * with an incremental ring, IORING_CQE_F_BUF_MORE says the kernel keeps
 * filling it (kernel kbuf.c __io_put_kbufs()); otherwise it left the ring.
 */
static unsigned pool_cqe(aring_bufpool *p, unsigned bid, unsigned cflags, int res)
{
	unsigned off = 0;

	if (bid >= p->nbufs)
		return 0;
	if (p->inc) {
		/* pieces of one buffer come in the order the kernel filled it,
		 * whichever request it filled them for */
		off = p->off[bid];
		p->refs[bid]++;
		if (cflags & ARING_CQE_F_BUF_MORE) {
			p->off[bid] = off + (res > 0 ? (unsigned)res : 0);
			return off;
		}
		p->off[bid] = 0;
	}
	if (p->state[bid] == BID_IN_RING) {
		p->state[bid] = BID_OUT;
		p->avail--;
	}
	return off;
}

/* Where the data of a CQE for bid starts: an incremental buffer is filled piece by piece. */
static void *pool_data(aring_bufpool *p, unsigned bid, unsigned off)
{
	return p->mem + (size_t)bid * p->bufsize + off;
}

ARING_API int aring_buf_release(struct aring_buf *buf)
{
	aring_bufpool *p;
	unsigned bid;

	if (!buf || !(p = buf->pool) || !(buf->flags & 1u) || buf->bid >= p->nbufs)
		return -EINVAL;
	bid = buf->bid;
	buf->flags = 0;
	buf->pool = NULL;
	if (p->inc) {
		if (!p->refs[bid])
			return -EINVAL;
		/* back in the ring once the kernel moved past it and no piece is held */
		if (--p->refs[bid] == 0 && p->state[bid] == BID_OUT)
			ring_add(p, bid);
		return 0;
	}
	if (p->state[bid] != BID_OUT)
		return -EINVAL;
	ring_add(p, bid);
	return 0;
}

/* ---------------------------------------------------------------- iterators */

struct iter_cqe {
	int32_t res;
	uint32_t flags;
	uint32_t off;              /* where its data starts in the buffer (inc) */
};

struct aring_recv_iter {
	struct aring__op op;       /* the multishot request while armed */
	struct aring__op tmr;      /* the timer of opt->timeout_ns waits, while armed */
	struct __kernel_timespec ts;
	bool tmr_armed;
	aring_bufpool *pool;
	int fd;
	uint8_t opcode;
	unsigned flags;            /* msg_flags */
	struct msghdr msg;         /* recvmsg: the name and control space to reserve */
	bool armed;
	bool ended;
	int end_res;
	bool nomem;                /* a CQE could not be queued: its buffer was given back */
	struct iter_cqe *q;        /* CQEs not yet returned, a ring of qcap */
	uint32_t qhead, qlen, qcap;
	struct aring__waitq wq;    /* the task in aring_recv_next */
};

static int iter_new(aring_loop *loop, int fd, aring_bufpool *pool, uint8_t opcode,
		    unsigned flags, aring_recv_iter **it)
{
	aring_recv_iter *i;

	if (it)
		*it = NULL;
	if (!loop || !pool || !it || fd < 0 || pool->loop != loop)
		return -EINVAL;
	i = calloc(1, sizeof(*i));
	if (!i)
		return -ENOMEM;
	i->pool = pool;
	i->fd = fd;
	i->opcode = opcode;
	i->flags = flags;
	*it = i;
	return 0;
}

ARING_API int aring_recv_multishot(aring_loop *loop, int fd, aring_bufpool *pool, int flags,
				   aring_recv_iter **it)
{
	/* kernel net.c io_recvmsg_prep(): no MSG_WAITALL with multishot */
	if (flags & MSG_WAITALL)
		return -EINVAL;
	return iter_new(loop, fd, pool, IORING_OP_RECV, (unsigned)flags, it);
}

ARING_API int aring_recvmsg_multishot(aring_loop *loop, int fd, aring_bufpool *pool,
				      const struct msghdr *msg, unsigned flags,
				      aring_recv_iter **it)
{
	int ret;

	if (!msg || (flags & MSG_WAITALL))
		return -EINVAL;
	ret = iter_new(loop, fd, pool, IORING_OP_RECVMSG, flags, it);
	if (ret == 0) {
		(*it)->msg.msg_namelen = msg->msg_namelen;
		(*it)->msg.msg_controllen = msg->msg_controllen;
	}
	return ret;
}

ARING_API int aring_read_multishot(aring_loop *loop, int fd, aring_bufpool *pool,
				   aring_recv_iter **it)
{
	return iter_new(loop, fd, pool, ARING_OP_READ_MULTISHOT, 0, it);
}

static bool q_push(aring_recv_iter *it, int32_t res, uint32_t flags, uint32_t off)
{
	if (it->qlen == it->qcap) {
		uint32_t cap = it->qcap ? it->qcap * 2 : 8, k;
		struct iter_cqe *n = malloc(cap * sizeof(*n));

		if (!n)
			return false;
		for (k = 0; k < it->qlen; k++)
			n[k] = it->q[(it->qhead + k) % it->qcap];
		free(it->q);
		it->q = n;
		it->qcap = cap;
		it->qhead = 0;
	}
	it->q[(it->qhead + it->qlen++) % it->qcap] = (struct iter_cqe){ res, flags, off };
	return true;
}

static struct iter_cqe q_pop(aring_recv_iter *it)
{
	struct iter_cqe c = it->q[it->qhead];

	it->qhead = (it->qhead + 1) % it->qcap;
	it->qlen--;
	return c;
}

/* The data of a CQE that carried a buffer, as an aring_buf held by the program. */
static void fill_buf(aring_recv_iter *it, const struct iter_cqe *c, struct aring_buf *b)
{
	aring_bufpool *p = it->pool;
	unsigned bid = c->flags >> IORING_CQE_BUFFER_SHIFT;

	b->data = pool_data(p, bid, c->off);
	b->len = c->res > 0 ? (unsigned)c->res : 0;
	b->bid = bid;
	b->pool = p;
	b->flags = 1u;
}

/* A CQE of the iterator's request or of its timer (core/op.c complete_slow()). */
void aring__iter_cqe(aring_loop *loop, struct aring__op *op, const struct io_uring_cqe *cqe)
{
	aring_recv_iter *it = (aring_recv_iter *)op;
	unsigned off = 0;

	if (!(op->flags & ARING__OP_MULTISHOT)) {
		/* the timer fired (or was removed): the waiter looks at its deadline */
		it = (aring_recv_iter *)((char *)op - offsetof(aring_recv_iter, tmr));
		it->tmr_armed = false;
		loop->inflight--;
		if (it->wq.head)
			aring__wait_end(loop, it->wq.head, 0);
		return;
	}

	if (cqe->flags & IORING_CQE_F_BUFFER)
		off = pool_cqe(it->pool, cqe->flags >> IORING_CQE_BUFFER_SHIFT, cqe->flags, cqe->res);
	if (!(cqe->flags & IORING_CQE_F_MORE)) {
		it->armed = false;
		it->pool->armed--;
		loop->inflight--;
		aring__ms_disarm(loop, op);
	}
	if (!q_push(it, cqe->res, cqe->flags, off)) {
		/* No room to remember it: give its buffer back, and end (-ENOMEM). */
		struct aring_buf b;
		struct iter_cqe c = { cqe->res, cqe->flags, off };

		if (cqe->flags & IORING_CQE_F_BUFFER) {
			fill_buf(it, &c, &b);
			aring_buf_release(&b);
		}
		it->nomem = true;
	}
	if (it->wq.head)
		aring__wait_end(loop, it->wq.head, 0);
}

/* Submit the multishot request. */
static int iter_arm(aring_loop *loop, aring_recv_iter *it)
{
	struct aring__op *op = &it->op;
	struct io_uring_sqe *sqe;
	int ret;

	sqe = aring__op_begin1(loop, op, NULL, &ret);
	if (!sqe)
		return ret;
	switch (it->opcode) {
	case IORING_OP_RECV:
		io_uring_prep_rw(IORING_OP_RECV, sqe, it->fd, NULL, 0, 0);
		sqe->msg_flags = it->flags;
		sqe->ioprio = IORING_RECV_MULTISHOT;
		break;
	case IORING_OP_RECVMSG:
		io_uring_prep_rw(IORING_OP_RECVMSG, sqe, it->fd, &it->msg, 1, 0);
		sqe->msg_flags = it->flags;
		sqe->ioprio = IORING_RECV_MULTISHOT;
		break;
	default:
		io_uring_prep_rw(ARING_OP_READ_MULTISHOT, sqe, it->fd, NULL, 0, (uint64_t)-1);
		break;
	}
	sqe->flags |= IOSQE_BUFFER_SELECT;
	sqe->buf_group = it->pool->bgid;
	op->flags = ARING__OP_MULTISHOT | ARING__OP_ITER;
	op->ms_stop = 0;
	op->ms_closing = false;
	op->ms_fd = it->fd;
	op->pending = 1;
	sqe->user_data = aring__op_ud(op, ARING__TAG_MAIN);
	aring__ms_arm(loop, op);
	loop->inflight++;
	it->armed = true;
	it->pool->armed++;
	return 0;
}

/*
 * opt->timeout_ns bounds each wait of aring_recv_next. A timer per wait
 * (core/wait.c: a timeout, and a removal when data comes first) would cost
 * two SQEs and two CQEs per receive; the iterator instead keeps one timer
 * in flight, armed for the deadline of the wait that armed it, and left
 * armed when data comes first. When it fires, the waiting call compares
 * the clock with its own deadline: -ETIME, or the timer again for the time
 * left. So a busy connection with a 30 s timeout arms a timer every 30 s,
 * and -ETIME still comes at the deadline exactly (virtual time on the sim).
 */
static int iter_timer_arm(aring_loop *loop, aring_recv_iter *it, uint64_t ns)
{
	struct io_uring_sqe *sqe;
	int ret = aring__sq_room(loop, 1);

	if (ret < 0)
		return ret;
	sqe = aring__get_sqe(loop);
	if (!sqe)
		return -EAGAIN;
	it->ts.tv_sec = (long long)(ns / 1000000000u);
	it->ts.tv_nsec = (long long)(ns % 1000000000u);
	io_uring_prep_timeout(sqe, &it->ts, 0, 0);
	it->tmr.flags = ARING__OP_ITER;
	sqe->user_data = aring__op_ud(&it->tmr, ARING__TAG_MAIN);
	it->tmr_armed = true;
	loop->inflight++;
	return 0;
}

/* Remove the timer and wait for its CQE (before the iterator is freed). */
static void iter_timer_stop(aring_loop *loop, aring_recv_iter *it)
{
	struct io_uring_sqe *sqe;

	if (!it->tmr_armed)
		return;
	loop->current->exempt++;
	if (aring__sq_room(loop, 1) == 0 && (sqe = aring__get_sqe(loop))) {
		io_uring_prep_timeout_remove(sqe, aring__op_ud(&it->tmr, ARING__TAG_MAIN), 0);
		sqe->user_data = aring__op_ud(&loop->discard, ARING__TAG_MAIN);
	}
	while (it->tmr_armed) {
		struct aring__waiter w;

		aring__wait_nocancel(loop, &it->wq, &w);
	}
	loop->current->exempt--;
}

/* Give back the buffers of every queued CQE. */
static void iter_drop_queue(aring_recv_iter *it)
{
	while (it->qlen) {
		struct iter_cqe c = q_pop(it);
		struct aring_buf b;

		if (c.flags & IORING_CQE_F_BUFFER) {
			fill_buf(it, &c, &b);
			aring_buf_release(&b);
		}
	}
}

/* Cancel the request and wait for its last CQE (a cleanup: runs in a cancelled task). */
static void iter_stop(aring_loop *loop, aring_recv_iter *it)
{
	aring_task *self = loop->current;

	if (!it->armed)
		return;
	self->exempt++;
	it->op.ms_stop = 2;
	aring__cancel_ud(loop, aring__op_ud(&it->op, ARING__TAG_MAIN));
	while (it->armed) {
		struct aring__waiter w;

		aring__wait_nocancel(loop, &it->wq, &w);
	}
	self->exempt--;
}

static int iter_end(aring_loop *loop, aring_recv_iter *it, int res)
{
	iter_stop(loop, it);
	iter_drop_queue(it);
	it->ended = true;
	it->end_res = res;
	return res;
}

ARING_API int aring_recv_next(aring_loop *loop, aring_recv_iter *it, struct aring_buf *buf,
			      const struct aring_opt *opt)
{
	struct aring_opt wopt;
	uint64_t deadline = 0;
	int ret;

	if (opt && opt->id)
		*opt->id = 0;
	if (!loop || !it || !buf || (opt && opt->sqe_flags))
		return -EINVAL;
	if (!loop->current)
		return -EPERM;
	if (it->ended)
		return it->end_res;
	if (loop->current->cancelled)
		return iter_end(loop, it, -ECANCELED);
	for (;;) {
		struct aring__waiter w;

		if (it->nomem)
			return iter_end(loop, it, -ENOMEM);
		if (it->qlen) {
			struct iter_cqe c = q_pop(it);

			if (opt && opt->cqe_flags)
				*opt->cqe_flags = c.flags;
			if (c.flags & IORING_CQE_F_BUFFER) {
				fill_buf(it, &c, buf);
				return c.res;
			}
			if (c.res > 0)
				return c.res;  /* no buffer: not one of ours (cannot happen) */
			/* The last CQE. -ENOBUFS: the pool ran dry; arm again below. */
			if (c.res == -ENOBUFS && !it->op.ms_closing)
				continue;
			it->ended = true;
			it->end_res = c.res;
			iter_drop_queue(it);
			return c.res;
		}
		if (!it->armed) {
			if (!it->pool->avail)
				return -ENOBUFS;
			ret = iter_arm(loop, it);
			if (ret < 0)
				return ret;
		}
		if (opt && opt->timeout_ns) {
			uint64_t now = loop->be->ops->now_ns(loop->be);

			if (!deadline)
				deadline = now + opt->timeout_ns;
			if (now >= deadline)
				return -ETIME;  /* the request stays armed */
			if (!it->tmr_armed && (ret = iter_timer_arm(loop, it, deadline - now)) < 0)
				return ret;
			wopt = *opt;
			wopt.timeout_ns = 0;  /* the iterator's own timer, above */
			ret = aring__wait(loop, &it->wq, &w, &wopt);
		} else {
			ret = aring__wait(loop, &it->wq, &w, opt);
		}
		if (ret == -ECANCELED)
			return iter_end(loop, it, -ECANCELED);
		if (ret < 0)
			return ret;
	}
}

ARING_API int aring_recv_end(aring_loop *loop, aring_recv_iter *it)
{
	if (!it)
		return 0;
	if (it->armed || it->tmr_armed) {
		if (!loop || !loop->current)
			return -EPERM;
		iter_stop(loop, it);
		iter_timer_stop(loop, it);
	}
	iter_drop_queue(it);
	free(it->q);
	free(it);
	return 0;
}
