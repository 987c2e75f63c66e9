/* SPDX-License-Identifier: MIT */
/*
 * Pipes (kernel fs/pipe.c): a bounded byte ring (64 KiB, like the kernel's
 * default 16 pages) shared by a read end and a write end.
 *
 * read:  data -> up to n bytes; empty with a writer -> wait (-EAGAIN if
 *        O_NONBLOCK or RWF_NOWAIT); empty with no writer -> 0 (EOF).
 * write: no reader -> -EPIPE (or the bytes written so far); otherwise write
 *        what fits and wait for room until all n bytes are in, as a blocking
 *        pipe_write() does (-EAGAIN if nothing fits and O_NONBLOCK).
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

struct sim_pipe *aring__sim_pipe_new(uint32_t cap)
{
	struct sim_pipe *p = calloc(1, sizeof(*p));

	if (!p)
		return NULL;
	p->buf = malloc(cap);
	if (!p->buf) {
		free(p);
		return NULL;
	}
	p->cap = cap;
	aring__sim_waitq_init(&p->wq);
	return p;
}

static void pipe_free(struct sim_pipe *p)
{
	assert(sim_list_empty(&p->wq.head));
	free(p->buf);
	free(p);
}

uint32_t aring__sim_pipe_put(struct sim_pipe *p, const void *src, uint32_t n)
{
	uint32_t room = p->cap - p->len, done = 0;

	if (n > room)
		n = room;
	while (done < n) {
		uint32_t at = (p->head + p->len) % p->cap;
		uint32_t c = p->cap - at < n - done ? p->cap - at : n - done;

		memcpy(p->buf + at, (const uint8_t *)src + done, c);
		p->len += c;
		done += c;
	}
	return done;
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
	return (f->flags & O_NONBLOCK) || ((unsigned)r->sqe.rw_flags & RWF_NOWAIT);
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
	bool moved = false;

	for (;;) {
		if (!p->readers) {
			/* kernel fs/pipe.c pipe_write(): -EPIPE unless something was written */
			r->res = r->done_bytes ? (int32_t)r->done_bytes : -EPIPE;
			return SIM_DONE;
		}
		if (r->done_bytes >= n)
			break;
		if (p->len == p->cap) {
			if (nowait(r, f)) {
				r->res = r->done_bytes ? (int32_t)r->done_bytes : -EAGAIN;
				return SIM_DONE;
			}
			if (moved)
				aring__sim_wake(s, &p->wq);
			aring__sim_wait(s, r, &p->wq);
			return SIM_BLOCK;
		}
		{
			uint64_t left = n - r->done_bytes;
			uint32_t c = left < sizeof(tmp) ? (uint32_t)left : (uint32_t)sizeof(tmp);

			if (c > p->cap - p->len)
				c = p->cap - p->len;
			if (aring__sim_iov_copy_out(v, r->done_bytes, tmp, c)) {
				/* kernel fs/pipe.c pipe_write(): -EFAULT unless something was written */
				if (moved)
					aring__sim_wake(s, &p->wq);
				r->res = r->done_bytes ? (int32_t)r->done_bytes : -EFAULT;
				return SIM_DONE;
			}
			c = aring__sim_pipe_put(p, tmp, c);
			r->done_bytes += c;
			moved = true;
		}
	}
	aring__sim_wake(s, &p->wq); /* readers waiting for data */
	r->res = (int32_t)r->done_bytes;
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
		free(p->buf);
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
	    (flags & ~(O_CLOEXEC | O_NONBLOCK | O_DIRECT))) {
		r->res = -EINVAL;
		return SIM_DONE;
	}
	if (r->sqe.file_index) {
		r->res = -EINVAL; /* direct descriptors are not modelled */
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
