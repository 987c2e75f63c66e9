/* SPDX-License-Identifier: MIT */
/*
 * Pipes (kernel fs/pipe.c): a bounded byte ring (64 KiB, like the kernel's
 * default 16 pages) shared by a read end and a write end.
 *
 * read:  data -> up to n bytes; empty with a writer -> wait (-EAGAIN only
 *        with RWF_NOWAIT); empty with no writer -> 0 (EOF).
 * write: 0 bytes -> 0; no reader -> -EPIPE; otherwise wait until some of
 *        it fits, write what fits and complete with that count, short or
 *        not (-EAGAIN instead of waiting only with RWF_NOWAIT). What fits is
 *        the kernel's page rule (pipe_room()): a pipe holds 16 pages, a
 *        write's first len % 4096 bytes merge into the last page if they
 *        fit there; so a write of up to PIPE_BUF is atomic.
 *
 * O_NONBLOCK on the pipe changes nothing for io_uring: io_read()/io_write()
 * (kernel io_uring/rw.c) always try nonblocking first and, on -EAGAIN, arm
 * poll and retry when ready, unless REQ_F_NOWAIT (RWF_NOWAIT) is set; a
 * nonblocking pipe_write() that moved some bytes returns that short count,
 * which io_write() completes as is (need_complete_io() is false for pipes).
 * Checked on Linux 6.18: a 1 MiB write to an empty pipe completes with 65536,
 * a read of an empty O_NONBLOCK pipe waits. IOSQE_ASYNC changes nothing:
 * io_wq_submit_work() issues it nonblocking too, a pipe being pollable.
 *
 * fds 0, 1 and 2 are pipes too: the sim holds the other end, and tests feed
 * stdin and drain stdout/stderr through <aring/sim.h>.
 */
#include "config.h"
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>

#include "sim/sim.h"

#define SIM_PIPE_PG 4096u               /* PAGE_SIZE: a pipe holds cap / PAGE_SIZE pages */
#define SIM_O_NOTIFICATION_PIPE O_EXCL  /* include/uapi/linux/watch_queue.h */

struct sim_pipe *aring__sim_pipe_new(uint32_t cap)
{
	struct sim_pipe *p = calloc(1, sizeof(*p));

	if (!p)
		return NULL;
	p->pg_max = cap / SIM_PIPE_PG;
	p->cap = cap;
	aring__sim_waitq_init(&p->wq);
	return p;
}

/*
 * The byte buffer and its page ring are allocated at the first write: the stdio pipes of a
 * loop (1 MiB each) are mostly never written, and a world makes several
 * loops. 0 or -ENOMEM (kernel fs/pipe.c pipe_write(): a page it cannot
 * allocate fails the write with -ENOMEM unless something was written).
 */
static int pipe_buf(struct sim_pipe *p)
{
	if (!p->pg && !(p->pg = calloc(p->pg_max, sizeof(*p->pg))))
		return -ENOMEM;
	if (!p->buf && !(p->buf = malloc(p->cap)))
		return -ENOMEM;
	return 0;
}

static void pipe_free(struct sim_pipe *p)
{
	assert(sim_list_empty(&p->wq.head));
	free(p->buf);
	free(p->pg);
	free(p);
}

/*
 * kernel fs/pipe.c pipe_write(): how many of a write's total bytes go in
 * now. Its first total % PAGE_SIZE bytes merge into the last page if they
 * fit there (*merge), the rest fills free pages, whole pages first.
 */
static uint32_t pipe_room(const struct sim_pipe *p, uint64_t total, uint32_t *merge)
{
	uint32_t chars = (uint32_t)(total % SIM_PIPE_PG);
	uint64_t rest, free_bytes = (uint64_t)(p->pg_max - p->pg_n) * SIM_PIPE_PG;

	*merge = 0;
	if (chars && p->pg_n) {
		const struct sim_pipe_pg *last = &p->pg[(p->pg_tail + p->pg_n - 1) % p->pg_max];

		if (last->off + last->len + chars <= SIM_PIPE_PG)
			*merge = chars;
	}
	rest = total - *merge;
	return *merge + (uint32_t)(rest < free_bytes ? rest : free_bytes);
}

/* n bytes were written, the first merge of them into the last page. */
static void pg_add(struct sim_pipe *p, uint32_t n, uint32_t merge)
{
	if (merge && n) {
		uint32_t c = merge < n ? merge : n;

		p->pg[(p->pg_tail + p->pg_n - 1) % p->pg_max].len += (uint16_t)c;
		n -= c;
	}
	while (n) {
		uint32_t c = n < SIM_PIPE_PG ? n : SIM_PIPE_PG;

		assert(p->pg_n < p->pg_max);
		p->pg[(p->pg_tail + p->pg_n) % p->pg_max] = (struct sim_pipe_pg){ 0, (uint16_t)c };
		p->pg_n++;
		n -= c;
	}
}

/* n bytes were read: pages emptied are freed (pipe_read()). */
static void pg_take(struct sim_pipe *p, uint32_t n)
{
	while (n) {
		struct sim_pipe_pg *first = &p->pg[p->pg_tail];
		uint32_t c = n < first->len ? n : first->len;

		assert(p->pg_n);
		first->off = (uint16_t)(first->off + c);
		first->len = (uint16_t)(first->len - c);
		n -= c;
		if (!first->len) {
			p->pg_tail = (p->pg_tail + 1) % p->pg_max;
			p->pg_n--;
		}
	}
}

static uint32_t put_bytes(struct sim_pipe *p, const void *src, uint32_t n)
{
	uint32_t done = 0;

	assert(n <= p->cap - p->len);
	while (done < n) {
		uint32_t at = (p->head + p->len) % p->cap;
		uint32_t c = p->cap - at < n - done ? p->cap - at : n - done;

		memcpy(p->buf + at, (const uint8_t *)src + done, c);
		p->len += c;
		done += c;
	}
	return done;
}

int64_t aring__sim_pipe_put(struct sim_pipe *p, const void *src, uint32_t n)
{
	uint32_t merge;

	n = pipe_room(p, n, &merge);
	if (n && pipe_buf(p))
		return -ENOMEM;
	put_bytes(p, src, n);
	pg_add(p, n, merge);
	return n;
}

int aring__sim_pipe_alloc(struct sim_pipe *p)
{
	return pipe_buf(p);
}

/* kernel fs/splice.c: spliced bytes come as pipe buffers of their own, never merged. */
void aring__sim_pipe_put_buf(struct sim_pipe *p, const void *src, uint32_t n)
{
	assert(n <= SIM_PIPE_PG && p->pg_n < p->pg_max && p->buf);
	put_bytes(p, src, n);
	p->pg[(p->pg_tail + p->pg_n) % p->pg_max] = (struct sim_pipe_pg){ 0, (uint16_t)n };
	p->pg_n++;
}

uint32_t aring__sim_pipe_get(struct sim_pipe *p, void *dst, uint32_t n, bool peek)
{
	uint32_t done = 0, head = p->head, len = p->len;

	if (n > len)
		n = len;
	while (done < n) {
		uint32_t c = p->cap - head < n - done ? p->cap - head : n - done;

		if (dst)
			memcpy((uint8_t *)dst + done, p->buf + head, c);
		head = (head + c) % p->cap;
		done += c;
	}
	if (!peek) {
		p->head = p->len == n ? 0 : head;
		p->len -= n;
		pg_take(p, n);
	}
	return done;
}

void aring__sim_pipe_end_closed(struct sim *s, struct sim_pipe *p, bool reader)
{
	if (reader) {
		assert(p->readers > 0);
		p->readers--;
	} else {
		assert(p->writers > 0);
		p->writers--;
	}
	aring__sim_wake(s, &p->wq);
	if (!p->readers && !p->writers)
		pipe_free(p);
}

static bool nowait(const struct sim_req *r, const struct sim_file *f)
{
	(void)f; /* O_NONBLOCK is not REQ_F_NOWAIT: see the top of this file */
	return (unsigned)r->sqe.rw_flags & RWF_NOWAIT;
}

enum sim_exec aring__sim_pipe_read(struct sim *s, struct sim_req *r, struct sim_file *f,
				   const struct sim_iov *v, uint64_t n)
{
	struct sim_pipe *p = f->pipe;
	uint8_t tmp[4096];
	uint64_t done = 0;

	if (n == 0) {
		r->res = 0;
		return SIM_DONE;
	}
	if (p->len == 0) {
		if (!p->writers) {
			r->res = 0;
			return SIM_DONE;
		}
		if (nowait(r, f)) {
			r->res = -EAGAIN;
			return SIM_DONE;
		}
		aring__sim_wait(s, r, &p->wq);
		return SIM_BLOCK;
	}
	while (done < n && p->len) {
		uint32_t c = n - done < sizeof(tmp) ? (uint32_t)(n - done) : (uint32_t)sizeof(tmp);

		c = aring__sim_pipe_get(p, tmp, c, true);
		/* kernel fs/pipe.c pipe_read(): a fault keeps the data, -EFAULT if nothing moved */
		if (aring__sim_iov_copy_in(v, done, tmp, c))
			break;
		aring__sim_pipe_get(p, NULL, c, false);
		done += c;
	}
	if (done)
		aring__sim_wake(s, &p->wq); /* writers waiting for room */
	r->res = done ? (int32_t)done : -EFAULT;
	return SIM_DONE;
}

enum sim_exec aring__sim_pipe_write(struct sim *s, struct sim_req *r, struct sim_file *f,
				    const struct sim_iov *v, uint64_t n)
{
	struct sim_pipe *p = f->pipe;
	uint8_t tmp[4096];
	uint32_t room, merge, moved = 0;

	/* kernel fs/pipe.c pipe_write(): nothing to write is 0, reader or not */
	if (r->done_bytes >= n) {
		r->res = (int32_t)r->done_bytes;
		return SIM_DONE;
	}
	if (!p->readers) {
		/* -EPIPE unless something was written */
		r->res = r->done_bytes ? (int32_t)r->done_bytes : -EPIPE;
		return SIM_DONE;
	}
	room = pipe_room(p, n - r->done_bytes, &merge);
	if (!room) {
		if (nowait(r, f)) {
			r->res = r->done_bytes ? (int32_t)r->done_bytes : -EAGAIN;
			return SIM_DONE;
		}
		aring__sim_wait(s, r, &p->wq);
		return SIM_BLOCK;
	}
	if (pipe_buf(p)) {
		r->res = r->done_bytes ? (int32_t)r->done_bytes : -ENOMEM;
		return SIM_DONE;
	}
	while (moved < room) {
		uint32_t c = room - moved < sizeof(tmp) ? room - moved : (uint32_t)sizeof(tmp);

		/* kernel fs/pipe.c pipe_write(): -EFAULT unless something was written */
		if (aring__sim_iov_copy_out(v, r->done_bytes + moved, tmp, c))
			break;
		put_bytes(p, tmp, c);
		moved += c;
	}
	pg_add(p, moved, merge);
	r->done_bytes += moved;
	if (moved)
		aring__sim_wake(s, &p->wq); /* readers waiting for data */
	r->res = r->done_bytes ? (int32_t)r->done_bytes : -EFAULT;
	return SIM_DONE;
}

static int pipe_files(struct sim *s, uint32_t cap, int flags, struct sim_file **rd,
		      struct sim_file **wr)
{
	struct sim_pipe *p = aring__sim_pipe_new(cap);

	*rd = *wr = NULL;
	if (!p)
		return -ENOMEM;
	*rd = aring__sim_file_new(s, SIM_F_PIPE_R, O_RDONLY | (flags & O_NONBLOCK));
	*wr = aring__sim_file_new(s, SIM_F_PIPE_W, O_WRONLY | (flags & O_NONBLOCK));
	if (!*rd || !*wr) {
		free(*rd);
		free(*wr);
		*rd = *wr = NULL;
		free(p->pg);
		free(p);
		return -ENOMEM;
	}
	(*rd)->pipe = (*wr)->pipe = p;
	p->readers = p->writers = 1;
	return 0;
}

/* kernel io_uring/openclose.c io_pipe_prep()/io_pipe() */
enum sim_exec aring__sim_op_pipe(struct sim *s, struct sim_req *r)
{
	int *fds = (int *)(uintptr_t)r->sqe.addr;
	int flags = r->sqe.rw_flags;
	struct sim_file *rd, *wr;
	int ret, a, b;

	if (r->sqe.fd || r->sqe.off || r->sqe.addr3 || r->sqe.len || r->sqe.buf_index ||
	    (flags & ~(O_CLOEXEC | O_NONBLOCK | O_DIRECT | SIM_O_NOTIFICATION_PIPE))) {
		r->res = -EINVAL;
		return SIM_DONE;
	}
	/* kernel fs/pipe.c create_pipe_files() -> watch_queue_init(): the sim is
	   a kernel built with CONFIG_WATCH_QUEUE=n (as Linux 6.18 here is) */
	if (flags & SIM_O_NOTIFICATION_PIPE) {
		r->res = -ENOPKG;
		return SIM_DONE;
	}
	if (!sim_user_ptr_ok(fds, 2 * sizeof(*fds))) {
		r->res = -EFAULT;
		return SIM_DONE;
	}
	ret = pipe_files(s, SIM_PIPE_CAP, flags, &rd, &wr);
	if (ret) {
		r->res = ret;
		return SIM_DONE;
	}
	if (r->sqe.file_index) {
		/* kernel pipe.c io_pipe_fixed(): direct descriptors (backends/soft/rsrc.c) */
		int slots[2];

		r->res = aring__soft_fixed_install_pair(s->ring, rd, wr, r->sqe.file_index,
							flags & O_CLOEXEC, slots);
		if (!r->res)
			memcpy(fds, slots, sizeof(slots));
		return SIM_DONE;
	}
	a = aring__sim_fd_install(s, rd);
	if (a < 0) {
		aring__sim_file_put(s, rd);
		aring__sim_file_put(s, wr);
		r->res = a;
		return SIM_DONE;
	}
	b = aring__sim_fd_install(s, wr);
	if (b < 0) {
		aring__sim_fd_remove(s, a);
		aring__sim_file_put(s, rd);
		aring__sim_file_put(s, wr);
		r->res = b;
		return SIM_DONE;
	}
	fds[0] = a;
	fds[1] = b;
	r->res = 0;
	return SIM_DONE;
}

/* fds 0, 1, 2: the program's ends are installed; the sim keeps the others. */
int aring__sim_stdio_init(struct sim *s)
{
	struct sim_file *rd, *wr;
	int ret, fd;

	ret = pipe_files(s, SIM_STDIO_CAP, 0, &rd, &wr);
	if (ret)
		return ret;
	fd = aring__sim_fd_install(s, rd);
	assert(fd == 0);
	s->std_in = wr->pipe;
	free(wr); /* the sim's end is the pipe itself: writers stays 1 until closed */
	for (int k = 1; k <= 2; k++) {
		ret = pipe_files(s, SIM_STDIO_CAP, 0, &rd, &wr);
		if (ret)
			return ret;
		fd = aring__sim_fd_install(s, wr);
		assert(fd == k);
		if (k == 1)
			s->std_out = rd->pipe;
		else
			s->std_err = rd->pipe;
		free(rd); /* readers stays 1: the sim reads for the test */
	}
	return 0;
}

void aring__sim_stdio_close(struct sim *s)
{
	if (s->std_in)
		aring__sim_pipe_end_closed(s, s->std_in, false);
	if (s->std_out)
		aring__sim_pipe_end_closed(s, s->std_out, true);
	if (s->std_err)
		aring__sim_pipe_end_closed(s, s->std_err, true);
	s->std_in = s->std_out = s->std_err = NULL;
}

/* The ops this file models: its part of the sim's op table (sim/ops.c). */
const struct sim_opdef aring__sim_pipe_ops[ARING_OP_LAST] = {
	[ARING_OP_PIPE]             = { .exec = aring__sim_op_pipe },
};
