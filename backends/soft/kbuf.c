/* SPDX-License-Identifier: MIT */
/*
 * Provided buffers: the kernel's io_uring/kbuf.c in the soft ring.
 *
 * A buffer group (kernel struct io_buffer_list) is either legacy, a list of
 * buffers given by IORING_OP_PROVIDE_BUFFERS, or ring-mapped, a struct
 * io_uring_buf_ring in the program's memory registered by
 * aring__soft_register_pbuf_ring() (the kernel's IORING_REGISTER_PBUF_RING:
 * the soft ring has no io_uring_register, so the core calls this). The
 * program adds buffers to a ring by writing entries and then the tail
 * (io_uring_buf_ring_add/advance); the soft ring reads the tail with an
 * acquire load and keeps the head, as the kernel does.
 *
 * An executor that runs a request with IOSQE_BUFFER_SELECT calls
 *   aring__soft_buffer_select()  before the transfer (io_buffer_select()),
 *   aring__soft_put_kbuf()       after a transfer that keeps the buffer
 *                                (io_put_kbuf(): its CQE flags),
 *   aring__soft_kbuf_recycle()   after one that does not (io_kbuf_recycle():
 *                                an error, no data yet, a recv at EOF).
 * Each cites the kernel function it follows. The results were checked on
 * Linux 6.18 (tests/conform_cases.c: the kbuf cases).
 */
#include "config.h"
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "backends/soft/ring.h"

#define KBUF_BUCKETS 64u
#define MAX_BIDS_PER_BGID (1u << 16)  /* kernel kbuf.h */
#define PEEK_MAXIOV 1024u             /* UIO_MAXIOV; SOFT_PEEK_MAX is PEEK_MAX_IMPORT */

/* kernel struct io_buffer: one legacy buffer. */
struct soft_buf {
	struct soft_buf *next;
	uint64_t addr;
	uint32_t len;
	uint16_t bid;
};

/* kernel struct io_buffer_list */
struct soft_bl {
	struct soft_bl *hnext;
	uint16_t bgid;
	bool ring;                  /* IOBL_BUF_RING */
	bool inc;                   /* IOBL_INC: incremental consumption */
	/* legacy: a FIFO (kernel buf_list) */
	struct soft_buf *head, *tail;
	uint32_t nbufs;
	/* ring-mapped */
	struct io_uring_buf_ring *br;
	uint16_t rhead;             /* bl->head */
	uint16_t mask;
};

struct aring__soft_kbuf {
	struct soft_bl *b[KBUF_BUCKETS];
};

/* kernel io_buffer_get_list() */
static struct soft_bl *bl_get(struct aring__soft *s, unsigned bgid)
{
	struct soft_bl *bl;

	if (!s->kbuf)
		return NULL;
	for (bl = s->kbuf->b[bgid % KBUF_BUCKETS]; bl; bl = bl->hnext)
		if (bl->bgid == bgid)
			return bl;
	return NULL;
}

/* kernel io_buffer_add_list() */
static struct soft_bl *bl_new(struct aring__soft *s, unsigned bgid)
{
	struct soft_bl *bl;

	if (!s->kbuf && !(s->kbuf = calloc(1, sizeof(*s->kbuf))))
		return NULL;
	bl = calloc(1, sizeof(*bl));
	if (!bl)
		return NULL;
	bl->bgid = (uint16_t)bgid;
	bl->hnext = s->kbuf->b[bgid % KBUF_BUCKETS];
	s->kbuf->b[bgid % KBUF_BUCKETS] = bl;
	return bl;
}

static void bl_free_bufs(struct soft_bl *bl)
{
	struct soft_buf *b, *n;

	for (b = bl->head; b; b = n) {
		n = b->next;
		free(b);
	}
	bl->head = bl->tail = NULL;
	bl->nbufs = 0;
}

/* kernel io_destroy_bl(): take bl out of the table and free it. */
static void bl_destroy(struct aring__soft *s, struct soft_bl *bl)
{
	struct soft_bl **p = &s->kbuf->b[bl->bgid % KBUF_BUCKETS];

	while (*p != bl)
		p = &(*p)->hnext;
	*p = bl->hnext;
	bl_free_bufs(bl);
	free(bl);
}

void aring__soft_kbuf_free(struct aring__soft *s)
{
	unsigned i;

	if (!s->kbuf)
		return;
	for (i = 0; i < KBUF_BUCKETS; i++)
		while (s->kbuf->b[i])
			bl_destroy(s, s->kbuf->b[i]);
	free(s->kbuf);
	s->kbuf = NULL;
}

/* ---------------------------------------------------------------- legacy */

/* kernel io_provide_buffers_prep() */
static int provide_prep(const struct io_uring_sqe *q)
{
	uint64_t nbufs = (uint32_t)q->fd, size;

	if (q->rw_flags || q->splice_fd_in)
		return -EINVAL;
	if (!nbufs || nbufs > MAX_BIDS_PER_BGID)
		return -E2BIG;
	if (!q->len)
		return -EINVAL;
	size = (uint64_t)q->len * nbufs;
	if (q->addr + size < q->addr)
		return -EOVERFLOW;
	/* access_ok() only: the memory is touched when a transfer uses it */
	if (size > 0x7ffffffff000ull || q->addr > 0x7ffffffff000ull - size)
		return -EFAULT;
	if (q->off > 0xffff)
		return -E2BIG;
	if (q->off + nbufs > MAX_BIDS_PER_BGID)
		return -EINVAL;
	return 0;
}

/* kernel io_remove_buffers_prep() */
static int remove_prep(const struct io_uring_sqe *q)
{
	uint64_t nbufs = (uint32_t)q->fd;

	if (q->rw_flags || q->addr || q->len || q->off || q->splice_fd_in)
		return -EINVAL;
	if (!nbufs || nbufs > MAX_BIDS_PER_BGID)
		return -EINVAL;
	return 0;
}

int aring__soft_kbuf_prep(struct aring__soft *s, struct aring__soft_req *r)
{
	(void)s;
	return r->opcode == IORING_OP_PROVIDE_BUFFERS ? provide_prep(&r->sqe) : remove_prep(&r->sqe);
}

/* kernel io_add_buffers(): 0, or -ENOMEM / -EOVERFLOW if none was added. */
static int add_buffers(struct soft_bl *bl, const struct io_uring_sqe *q)
{
	uint32_t nbufs = (uint32_t)q->fd, i;
	uint64_t addr = q->addr;
	unsigned bid = q->off;
	int ret = -ENOMEM;

	for (i = 0; i < nbufs; i++) {
		struct soft_buf *b;

		/* a bid must name one buffer: at most USHRT_MAX per list */
		if (bl->nbufs == 0xffff) {
			ret = -EOVERFLOW;
			break;
		}
		b = malloc(sizeof(*b));
		if (!b)
			break;
		b->next = NULL;
		b->addr = addr;
		b->len = q->len < ARING_MAX_RW_COUNT ? q->len : ARING_MAX_RW_COUNT;
		b->bid = (uint16_t)bid;
		if (bl->tail)
			bl->tail->next = b;
		else
			bl->head = b;
		bl->tail = b;
		bl->nbufs++;
		addr += q->len;
		bid++;
	}
	return i ? 0 : ret;
}

/* kernel io_remove_buffers_legacy(): how many were removed. */
static int remove_buffers(struct soft_bl *bl, uint32_t nbufs)
{
	uint32_t i;

	for (i = 0; i < nbufs && bl->head; i++) {
		struct soft_buf *b = bl->head;

		bl->head = b->next;
		if (!bl->head)
			bl->tail = NULL;
		bl->nbufs--;
		free(b);
	}
	return (int)i;
}

/* kernel io_manage_buffers_legacy(): PROVIDE_BUFFERS and REMOVE_BUFFERS. */
void aring__soft_kbuf_issue(struct aring__soft *s, struct aring__soft_req *r)
{
	struct soft_bl *bl = bl_get(s, r->sqe.buf_group);
	int ret;

	if (r->opcode == IORING_OP_REMOVE_BUFFERS) {
		if (!bl)
			ret = -ENOENT;
		else if (bl->ring)
			ret = -EINVAL; /* not on a mapped buffer ring */
		else
			ret = remove_buffers(bl, (uint32_t)r->sqe.fd);
	} else if (!bl && !(bl = bl_new(s, r->sqe.buf_group))) {
		ret = -ENOMEM;
	} else if (bl->ring) {
		ret = -EINVAL; /* can't add buffers to a mapped buffer ring */
	} else {
		ret = add_buffers(bl, &r->sqe);
	}
	if (ret < 0)
		aring__soft_set_fail(r);
	aring__soft_done(s, r, ret);
}

/* ---------------------------------------------------------------- ring-mapped */

int aring__soft_register_pbuf_ring(struct aring__backend *be, const struct io_uring_buf_reg *reg)
{
	struct aring__soft *s = (struct aring__soft *)be;
	unsigned flags = aring__buf_reg_flags(reg);
	struct soft_bl *bl;
	uint64_t bytes;

	/* kernel io_register_pbuf_ring() */
	if (reg->resv[0] || reg->resv[1] || reg->resv[2])
		return -EINVAL;
	if (flags & ~(unsigned)ARING_IOU_PBUF_RING_INC)
		return -EINVAL; /* IOU_PBUF_RING_MMAP: the soft ring maps nothing */
	if (!reg->ring_entries || (reg->ring_entries & (reg->ring_entries - 1)))
		return -EINVAL;
	if (reg->ring_entries >= 65536)
		return -EINVAL; /* head and tail are 16 bits: full and empty would look alike */
	/* io_create_region() on user memory: page aligned, then pinned */
	if (!reg->ring_addr)
		return -EFAULT;
	if (reg->ring_addr & 4095)
		return -EINVAL;
	bytes = (uint64_t)reg->ring_entries * sizeof(struct io_uring_buf);
	if (!aring__soft_user_ok(reg->ring_addr, bytes))
		return -EFAULT;
	bl = bl_get(s, reg->bgid);
	if (bl) {
		/* a mapped ring, or a legacy list with buffers, is there already */
		if (bl->ring || bl->head)
			return -EEXIST;
	} else if (!(bl = bl_new(s, reg->bgid))) {
		return -ENOMEM;
	}
	bl->ring = true;
	bl->inc = (flags & ARING_IOU_PBUF_RING_INC) != 0;
	bl->br = (struct io_uring_buf_ring *)(uintptr_t)reg->ring_addr;
	bl->rhead = 0;
	bl->mask = (uint16_t)(reg->ring_entries - 1);
	return 0;
}

int aring__soft_unregister_pbuf_ring(struct aring__backend *be, const struct io_uring_buf_reg *reg)
{
	struct aring__soft *s = (struct aring__soft *)be;
	struct soft_bl *bl;

	/* kernel io_unregister_pbuf_ring() */
	if (reg->resv[0] || reg->resv[1] || reg->resv[2] || aring__buf_reg_flags(reg))
		return -EINVAL;
	bl = bl_get(s, reg->bgid);
	if (!bl)
		return -ENOENT;
	if (!bl->ring)
		return -EINVAL;
	bl_destroy(s, bl);
	return 0;
}

/* ---------------------------------------------------------------- select and put */

/* kernel io_ring_head_to_buf() */
static struct io_uring_buf *head_buf(struct soft_bl *bl)
{
	return &bl->br->bufs[bl->rhead & bl->mask];
}

/*
 * kernel io_kbuf_commit(): the transfer used len bytes of the head buffer.
 * False if an incremental buffer still has room (IORING_CQE_F_BUF_MORE).
 */
static bool ring_commit(struct soft_bl *bl, int len, unsigned nbufs)
{
	if (len < 0)
		return true;
	if (!bl->inc) {
		bl->rhead = (uint16_t)(bl->rhead + nbufs);
		return true;
	}
	/*
	 * kernel io_kbuf_inc_commit(): each entry's addr and len move past what
	 * was used; the head moves past the ones used up. A transfer of 0
	 * bytes leaves the head entry as it was, with IORING_CQE_F_BUF_MORE
	 * (checked on 6.18: a read at a pipe's EOF).
	 */
	do {
		struct io_uring_buf *buf = head_buf(bl);
		uint32_t buf_len = __atomic_load_n(&buf->len, __ATOMIC_RELAXED);
		uint32_t this_len = (uint32_t)len < buf_len ? (uint32_t)len : buf_len;

		buf_len -= this_len;
		if (buf_len || !this_len) {
			buf->addr += this_len;
			buf->len = buf_len;
			return false;
		}
		buf->len = 0;
		bl->rhead++;
		len -= (int)this_len;
	} while (len);
	return true;
}

int aring__soft_buffer_select(struct aring__soft *s, struct aring__soft_req *r, bool can_poll,
			      uint64_t *addr, uint32_t *len)
{
	struct soft_bl *bl = bl_get(s, r->sqe.buf_group);

	assert(!r->kbuf);
	if (!bl)
		return -ENOBUFS;
	if (bl->ring) {
		/* kernel io_ring_buffer_select() */
		uint16_t tail = __atomic_load_n(&bl->br->tail, __ATOMIC_ACQUIRE);
		struct io_uring_buf *buf;
		uint32_t buf_len;

		if (tail == bl->rhead)
			return -ENOBUFS;
		buf = head_buf(bl);
		buf_len = __atomic_load_n(&buf->len, __ATOMIC_RELAXED);
		if (*len == 0 || *len > buf_len)
			*len = buf_len;
		*addr = buf->addr;
		r->bid = buf->bid;
		r->kbuf = SOFT_KBUF_RING;
		r->kbuf_list = bl;
		/*
		 * kernel io_should_commit(): a file that cannot be polled (a
		 * regular file) takes the buffer now, for the length selected;
		 * else the commit waits for the transfer's length (put_kbuf).
		 */
		r->kbuf_commit = can_poll;
		if (!can_poll)
			r->kbuf_more = !ring_commit(bl, (int)*len, 1);
		return 0;
	}
	/* kernel io_provided_buffer_select(): the list's first buffer */
	if (!bl->head)
		return -ENOBUFS;
	{
		struct soft_buf *b = bl->head;

		bl->head = b->next;
		if (!bl->head)
			bl->tail = NULL;
		bl->nbufs--;
		b->next = NULL;
		if (*len == 0 || *len > b->len)
			*len = b->len;
		*addr = b->addr;
		r->bid = b->bid;
		r->kbuf = SOFT_KBUF_LEGACY;
		r->kbuf_list = b;
	}
	return 0;
}

/*
 * kernel io_buffers_select() as io_send_select_buffer() calls it (one
 * iovec, max_len = sqe->len or INT_MAX): no group is -ENOENT; a ring
 * (io_ring_buffers_peek()) refuses an empty head entry and commits the
 * buffer at once (the send keeps it while it waits for room); a legacy
 * buffer (io_provided_buffers_select() with out_len 0) is taken whole.
 * Checked on Linux 6.18 (tests/conform_cases.c net_send_bufsel).
 */
int aring__soft_send_buffer_select(struct aring__soft *s, struct aring__soft_req *r,
				   uint64_t *addr, uint32_t *len)
{
	struct soft_bl *bl = bl_get(s, r->sqe.buf_group);

	if (!bl)
		return -ENOENT;
	if (!bl->ring)
		*len = 0;
	else if (__atomic_load_n(&bl->br->tail, __ATOMIC_ACQUIRE) != bl->rhead &&
		 !__atomic_load_n(&head_buf(bl)->len, __ATOMIC_RELAXED))
		return -ENOBUFS;
	return aring__soft_buffer_select(s, r, false, addr, len);
}

void aring__soft_kbuf_recycle(struct aring__soft *s, struct aring__soft_req *r)
{
	if (r->kbuf == SOFT_KBUF_LEGACY) {
		/* kernel io_kbuf_recycle_legacy(): back at the head of its list */
		struct soft_buf *b = r->kbuf_list;
		struct soft_bl *bl = bl_get(s, r->sqe.buf_group);

		if (bl && !bl->ring) {
			b->next = bl->head;
			bl->head = b;
			if (!bl->tail)
				bl->tail = b;
			bl->nbufs++;
		} else {
			free(b);
		}
	}
	/* kernel io_kbuf_recycle_ring(): the head was not moved (or it was
	 * committed at select, and the buffer is the request's) */
	r->kbuf = 0;
	r->kbuf_list = NULL;
}

/*
 * kernel io_buffers_peek() (a receive bundle) and, select, io_buffers_select()
 * (a send bundle: the buffers are taken at once, a legacy one whole, max_len
 * or not): io_ring_buffers_peek() maps
 * up to as many ring entries as max_len needs (256 at most; 0: just the
 * head entry, of any length), an entry longer than what is left cut to it
 * (a later one of a plain ring is left out instead: SOFT_PEEK_PARTIAL);
 * SOFT_PEEK_EMPTY when it took every entry there was (REQ_F_BL_EMPTY). A
 * legacy list gives its first buffer (io_provided_buffers_select(), capped
 * by max_len unless 0). The bid is the first buffer's.
 */
int aring__soft_buffers_peek(struct aring__soft *s, struct aring__soft_req *r, uint32_t max_len,
			     bool select, struct iovec *iov, unsigned *flags)
{
	struct soft_bl *bl = bl_get(s, r->sqe.buf_group);
	uint16_t tail, head;
	unsigned nr, n = 0;
	uint32_t out = 0;

	assert(!r->kbuf);
	*flags = 0;
	if (!bl)
		return -ENOENT;
	if (!bl->ring) {
		uint64_t addr;
		uint32_t len = select ? 0 : max_len;
		int ret = aring__soft_buffer_select(s, r, false, &addr, &len);

		if (ret)
			return ret;
		iov[0].iov_base = (void *)(uintptr_t)addr;
		iov[0].iov_len = len;
		if (!bl->head)
			*flags |= SOFT_PEEK_EMPTY;
		return 1;
	}
	tail = __atomic_load_n(&bl->br->tail, __ATOMIC_ACQUIRE);
	head = bl->rhead;
	nr = (uint16_t)(tail - head) < PEEK_MAXIOV ? (uint16_t)(tail - head) : PEEK_MAXIOV;
	if (!nr)
		return -ENOBUFS;
	if (max_len) {
		uint32_t len = __atomic_load_n(&head_buf(bl)->len, __ATOMIC_RELAXED);
		uint64_t needed;

		if (!len)
			return -ENOBUFS;
		needed = ((uint64_t)max_len + len - 1) / len;
		if (needed > SOFT_PEEK_MAX)
			needed = SOFT_PEEK_MAX;
		if (nr > needed)
			nr = (unsigned)needed;
	} else {
		nr = 1;               /* no array for a speculative peek */
		max_len = INT32_MAX;
	}
	r->bid = __atomic_load_n(&head_buf(bl)->bid, __ATOMIC_RELAXED);
	do {
		struct io_uring_buf *buf = &bl->br->bufs[head & bl->mask];
		uint32_t len = __atomic_load_n(&buf->len, __ATOMIC_RELAXED);

		if (len > max_len) {
			len = max_len;
			if (!bl->inc) {
				*flags |= SOFT_PEEK_PARTIAL;
				if (n)
					break;
			}
		}
		iov[n].iov_base = (void *)(uintptr_t)__atomic_load_n(&buf->addr, __ATOMIC_RELAXED);
		iov[n++].iov_len = len;
		out += len;
		max_len -= len;
		if (!max_len)
			break;
		head++;
	} while (--nr);
	if (head == tail)
		*flags |= SOFT_PEEK_EMPTY;
	r->kbuf = SOFT_KBUF_RING;
	r->kbuf_list = bl;
	r->kbuf_commit = !select;
	if (select)
		r->kbuf_more = !ring_commit(bl, (int)out, n);
	return (int)n;
}

uint32_t aring__soft_put_kbuf(struct aring__soft *s, struct aring__soft_req *r, int len)
{
	return aring__soft_put_kbufs(s, r, len, 1);
}

uint32_t aring__soft_put_kbufs(struct aring__soft *s, struct aring__soft_req *r, int len,
			       unsigned nbufs)
{
	uint32_t cflags;

	(void)s;
	if (!r->kbuf)
		return 0;
	/* kernel __io_put_kbufs() */
	cflags = IORING_CQE_F_BUFFER | ((uint32_t)r->bid << IORING_CQE_BUFFER_SHIFT);
	if (r->kbuf == SOFT_KBUF_LEGACY) {
		free(r->kbuf_list); /* io_kbuf_drop_legacy() */
	} else if (r->kbuf_commit) {
		if (!ring_commit(r->kbuf_list, len, nbufs))
			cflags |= ARING_CQE_F_BUF_MORE;
	} else if (r->kbuf_more) {
		cflags |= ARING_CQE_F_BUF_MORE;
	}
	r->kbuf = 0;
	r->kbuf_list = NULL;
	r->kbuf_commit = r->kbuf_more = false;
	return cflags;
}
