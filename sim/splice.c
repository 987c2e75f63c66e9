/* SPDX-License-Identifier: MIT */
/*
 * SPLICE and TEE (kernel io_uring/splice.c on fs/splice.c) between sim
 * pipes, regular files and sockets.
 *
 * sqe->fd is the file written (fd_out), sqe->splice_fd_in the file read;
 * an offset of -1 means the file's position, any other value is used (and
 * the position is left alone). The kernel runs both ops in io-wq, blocking
 * (REQ_F_FORCE_ASYNC): a splice waits for data in its input pipe or socket
 * and for room in its output pipe, unless SPLICE_F_NONBLOCK is given or
 * either file is O_NONBLOCK (-EAGAIN then).
 *
 * splice (do_splice()): one end at least must be a pipe, else -EINVAL; an
 * offset on a pipe -ESPIPE; an offset on a socket -EINVAL (no
 * FMODE_PREAD/PWRITE); an O_APPEND output -EINVAL; the same pipe at both
 * ends -EINVAL; an input not open for reading or an output not open for
 * writing -EBADF; a length of 0 is 0 before any of these checks (io_splice()).
 * tee (do_tee()): both ends pipes (and not the same one), else -EINVAL; it
 * copies up to len bytes of the input pipe's buffers without consuming them.
 *
 * A pipe holds 16 buffers: a file's bytes go in one buffer per page piece
 * (filemap_splice_read()), a socket's in buffers of up to a page, and
 * pipe-to-pipe moves whole buffers and splits the last (splice_pipe_to_pipe()).
 *
 * SPLICE_F_FD_IN_FIXED: splice_fd_in is a slot of the registered file table
 * (backends/soft/rsrc.c); an empty slot, one past the table or no table
 * -EBADF (io_splice_get_file()).
 *
 * Not modelled: a splice blocked in the kernel's io-wq is interrupted by a
 * cancel (-EINTR), the sim's is cancelled (-ECANCELED).
 */
#include "config.h"
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/socket.h>

#include "sim/sim.h"

#define SPLICE_F_ALL_ 0x0fu                 /* MOVE | NONBLOCK | MORE | GIFT */
#define SPLICE_F_NONBLOCK_ 0x02u
#define SPLICE_F_FD_IN_FIXED_ (1u << 31)    /* include/uapi/linux/io_uring.h */

/* kernel io_uring/splice.c __io_splice_prep(), io_tee_prep() */
static int prep_splice(struct sim *s, struct sim_req *r)
{
	(void)s;
	if (r->opcode == IORING_OP_TEE && (r->sqe.splice_off_in || r->sqe.off))
		return -EINVAL;
	if ((unsigned)r->sqe.splice_flags & ~(SPLICE_F_FD_IN_FIXED_ | SPLICE_F_ALL_))
		return -EINVAL;
	return 0;
}

static bool readable(const struct sim_file *f)
{
	int acc = f->flags & O_ACCMODE;

	return f->type == SIM_F_PIPE_R || f->type == SIM_F_SOCK ||
	       (f->type != SIM_F_PIPE_W && (acc == O_RDONLY || acc == O_RDWR));
}

static bool writable(const struct sim_file *f)
{
	int acc = f->flags & O_ACCMODE;

	return f->type == SIM_F_PIPE_W || f->type == SIM_F_SOCK ||
	       (f->type != SIM_F_PIPE_R && (acc == O_WRONLY || acc == O_RDWR));
}

static struct sim_pipe *pipe_of(const struct sim_file *f)
{
	return f->type == SIM_F_PIPE_R || f->type == SIM_F_PIPE_W ? f->pipe : NULL;
}

/* A buffer of its own in p (no merge with the last): n bytes, n <= a page. */
static void put_buf(struct sim_pipe *p, const void *src, uint32_t n)
{
	assert(n <= SIM_PAGE && p->pg_n < p->pg_max);
	aring__sim_pipe_put_buf(p, src, n);
}

static uint32_t free_bufs(const struct sim_pipe *p)
{
	return p->pg_max - p->pg_n;
}

/*
 * kernel fs/splice.c ipipe_prep(): 0 when p has data or no writer (EOF),
 * else -EAGAIN (nonblocking) or r waits (SIM_BLOCK through *e).
 */
static int wait_data(struct sim *s, struct sim_req *r, struct sim_pipe *p, bool nb)
{
	if (p->len || !p->writers)
		return 0;
	if (nb)
		return -EAGAIN;
	aring__sim_wait(s, r, &p->wq);
	return 1;
}

/* kernel fs/splice.c opipe_prep() / wait_for_space(): no reader -EPIPE; full: as above. */
static int wait_room(struct sim *s, struct sim_req *r, struct sim_pipe *p, bool nb)
{
	if (!p->readers)
		return -EPIPE;
	if (aring__sim_pipe_alloc(p) < 0)
		return -ENOMEM; /* a stdio pipe's memory, made at its first write */
	if (free_bufs(p))
		return 0;
	if (nb)
		return -EAGAIN;
	aring__sim_wait(s, r, &p->wq);
	return 1;
}

/* kernel fs/splice.c splice_pipe_to_pipe(): whole buffers move, the last one splits. */
static int pipe_to_pipe(struct sim_pipe *in, struct sim_pipe *out, uint64_t len)
{
	uint8_t tmp[SIM_PAGE];
	uint64_t done = 0;

	while (done < len && in->pg_n && free_bufs(out)) {
		const struct sim_pipe_pg *b = &in->pg[in->pg_tail];
		uint32_t c = b->len < len - done ? b->len : (uint32_t)(len - done);

		aring__sim_pipe_get(in, tmp, c, false);
		put_buf(out, tmp, c);
		done += c;
	}
	return (int)done;
}

/* kernel fs/splice.c link_pipe(): copies of in's buffers, in untouched. */
static int tee_pipe(struct sim_pipe *in, struct sim_pipe *out, uint64_t len)
{
	uint8_t tmp[SIM_PAGE];
	uint32_t i, at = 0;
	uint64_t done = 0;

	for (i = 0; i < in->pg_n && done < len && free_bufs(out); i++) {
		const struct sim_pipe_pg *b = &in->pg[(in->pg_tail + i) % in->pg_max];
		uint32_t c = b->len < len - done ? b->len : (uint32_t)(len - done);
		uint32_t k, pos = (in->head + at) % in->cap;

		for (k = 0; k < c; k++)
			tmp[k] = in->buf[(pos + k) % in->cap];
		put_buf(out, tmp, c);
		at += b->len;
		done += c;
	}
	return (int)done;
}

/* kernel mm/filemap.c filemap_splice_read(): one buffer per page piece, up to EOF. */
static int64_t file_to_pipe(struct sim *s, struct sim_file *f, struct sim_pipe *p, uint64_t off,
			    uint64_t len)
{
	uint8_t tmp[SIM_PAGE];
	uint64_t done = 0;

	while (done < len && free_bufs(p)) {
		uint64_t c = SIM_PAGE - (off + done) % SIM_PAGE;
		struct sim_iov v;
		int64_t got;

		if (c > len - done)
			c = len - done;
		aring__sim_iov_ubuf(&v, (uint64_t)(uintptr_t)tmp, c);
		got = aring__sim_reg_read(s, f, &v, c, off + done);
		if (got <= 0)
			return done ? (int64_t)done : got;
		put_buf(p, tmp, (uint32_t)got);
		done += (uint64_t)got;
		if ((uint64_t)got < c)
			break;
	}
	return (int64_t)done;
}

/* kernel fs/splice.c iter_file_splice_write(): the pipe's bytes, up to len. */
static int64_t pipe_to_file(struct sim *s, struct sim_pipe *p, struct sim_file *f, uint64_t off,
			    uint64_t len)
{
	uint8_t tmp[SIM_PAGE];
	uint64_t done = 0;

	while (done < len && p->len) {
		uint32_t c = aring__sim_pipe_get(p, tmp, len - done < SIM_PAGE ? (uint32_t)(len - done)
									  : SIM_PAGE, true);
		struct sim_iov v;
		int64_t put;

		aring__sim_iov_ubuf(&v, (uint64_t)(uintptr_t)tmp, c);
		put = aring__sim_reg_write(s, f, &v, c, off + done);
		if (put <= 0)
			return done ? (int64_t)done : put;
		aring__sim_pipe_get(p, NULL, (uint32_t)put, false);
		done += (uint64_t)put;
		if ((uint64_t)put < c)
			break;
	}
	return (int64_t)done;
}

/*
 * A socket's recv or send of up to n bytes of tmp, never waiting: the
 * bytes moved, -EAGAIN, or the socket's error (net.c's models, with
 * MSG_DONTWAIT; r's progress is kept out of it).
 */
static int sock_io(struct sim *s, struct sim_req *r, struct sim_file *k, void *tmp, uint32_t n,
		   bool send)
{
	struct sim_iov v;
	uint64_t saved = r->done_bytes;
	enum sim_exec e;

	aring__sim_iov_ubuf(&v, (uint64_t)(uintptr_t)tmp, n);
	r->done_bytes = 0;
	e = send ? aring__sim_sock_send(s, r, k, &v, n, MSG_DONTWAIT | MSG_NOSIGNAL)
		 : aring__sim_sock_recv(s, r, k, &v, n, MSG_DONTWAIT);
	assert(e == SIM_DONE);
	(void)e;
	r->done_bytes = saved;
	return r->res;
}

/* Wait for the socket's next change; 1 (r waits). */
static int wait_sock(struct sim *s, struct sim_req *r, struct sim_file *k)
{
	aring__sim_wait(s, r, &k->sock->wq);
	return 1;
}

/* kernel net/ipv4/tcp.c tcp_splice_read(): what the socket holds, in page buffers. */
static int sock_to_pipe(struct sim *s, struct sim_req *r, struct sim_file *k, struct sim_pipe *p,
			uint64_t len, bool nb)
{
	uint8_t tmp[SIM_PAGE];
	uint64_t done = 0;

	while (done < len && free_bufs(p)) {
		uint32_t c = len - done < SIM_PAGE ? (uint32_t)(len - done) : SIM_PAGE;
		int got = sock_io(s, r, k, tmp, c, false);

		if (got <= 0) {
			if (done)
				break;
			if (got == -EAGAIN && !nb)
				return wait_sock(s, r, k);
			return got;
		}
		put_buf(p, tmp, (uint32_t)got);
		done += (uint32_t)got;
	}
	return (int)done;
}

/* kernel fs/splice.c splice_to_socket(): the pipe's bytes, as many as the socket takes. */
static int pipe_to_sock(struct sim *s, struct sim_req *r, struct sim_pipe *p, struct sim_file *k,
			uint64_t len, bool nb)
{
	uint8_t tmp[SIM_PAGE];
	uint64_t done = 0;

	while (done < len && p->len) {
		uint32_t c = aring__sim_pipe_get(p, tmp, len - done < SIM_PAGE ? (uint32_t)(len - done)
									  : SIM_PAGE, true);
		int put = sock_io(s, r, k, tmp, c, true);

		if (put <= 0) {
			if (done)
				break;
			if (put == -EAGAIN && !nb)
				return wait_sock(s, r, k);
			return put;
		}
		aring__sim_pipe_get(p, NULL, (uint32_t)put, false);
		done += (uint32_t)put;
	}
	return (int)done;
}

/* An offset from the SQE: NULL for -1 (the file's position). */
static const uint64_t *off_ptr(const uint64_t *v)
{
	return *v == UINT64_MAX ? NULL : v;
}

/* kernel fs/read_write.c rw_verify_area() on a regular file: a negative offset -EINVAL. */
static int verify(uint64_t off, uint64_t len)
{
	return (int64_t)off < 0 || (int64_t)(off + len) < 0 ? -EINVAL : 0;
}

/*
 * kernel fs/splice.c do_splice(): > 0 moved, 0, -errno; 1 with r waiting
 * is told apart by *wait.
 */
static int64_t do_splice(struct sim *s, struct sim_req *r, struct sim_file *in, struct sim_file *out,
			 bool *wait)
{
	uint64_t oin = r->sqe.splice_off_in, oout = r->sqe.off, len = r->sqe.len, off;
	const uint64_t *pin = off_ptr(&oin), *pout = off_ptr(&oout);
	struct sim_pipe *ip = pipe_of(in), *op = pipe_of(out);
	bool nb = (unsigned)r->sqe.splice_flags & SPLICE_F_NONBLOCK_;
	int64_t ret;
	int w;

	*wait = false;
	if (!readable(in) || !writable(out))
		return -EBADF;
	if (ip && op) {
		if (pin || pout)
			return -ESPIPE;
		if (ip == op)
			return -EINVAL;
		nb |= ((in->flags | out->flags) & O_NONBLOCK) != 0;
		w = wait_data(s, r, ip, nb);
		if (!w)
			w = wait_room(s, r, op, nb);
		if (w)
			return (*wait = w > 0) ? 0 : w;
		return pipe_to_pipe(ip, op, len);
	}
	if (!ip && !op)
		return -EINVAL;
	/* One end is a pipe, the other f, at offset o (NULL: its position). */
	{
		struct sim_file *f = ip ? out : in;
		const uint64_t *o = ip ? pout : pin;
		struct sim_pipe *p = ip ? ip : op;

		if (ip ? pin != NULL : pout != NULL)
			return -ESPIPE;
		if (o && f->type != SIM_F_REG)
			return -EINVAL; /* no FMODE_PREAD / FMODE_PWRITE */
		if (ip && (out->flags & O_APPEND))
			return -EINVAL;
		if (f->type != SIM_F_REG && f->type != SIM_F_SOCK)
			return -EINVAL; /* a directory: no splice_read / splice_write */
		off = o ? *o : f->pos;
		if (f->type == SIM_F_REG && verify(off, len))
			return -EINVAL; /* rw_verify_area() */
		nb |= ((ip ? in : out)->flags & O_NONBLOCK) != 0;
		w = ip ? wait_data(s, r, ip, nb) : wait_room(s, r, op, nb);
		if (w)
			return (*wait = w > 0) ? 0 : w;
		if (f->type == SIM_F_SOCK) {
			ret = ip ? pipe_to_sock(s, r, ip, out, len, nb) : sock_to_pipe(s, r, in, op, len, nb);
			*wait = r->state == SIM_REQ_BLOCKED;
			if (*wait)
				return 0;
		} else {
			ret = ip ? pipe_to_file(s, ip, out, off, len) : file_to_pipe(s, in, op, off, len);
			if (ret > 0 && !o)
				f->pos = off + (uint64_t)ret;
		}
		if (ret > 0)
			aring__sim_wake(s, &p->wq); /* who waits for room, or for data */
		return ret;
	}
}

/* kernel fs/splice.c do_tee() */
static int64_t do_tee(struct sim *s, struct sim_req *r, struct sim_file *in, struct sim_file *out,
		      bool *wait)
{
	struct sim_pipe *ip = pipe_of(in), *op = pipe_of(out);
	bool nb = (unsigned)r->sqe.splice_flags & SPLICE_F_NONBLOCK_;
	int64_t ret;
	int w;

	*wait = false;
	if (!readable(in) || !writable(out))
		return -EBADF;
	if (!ip || !op || ip == op)
		return -EINVAL;
	nb |= ((in->flags | out->flags) & O_NONBLOCK) != 0;
	w = wait_data(s, r, ip, nb);
	if (!w)
		w = wait_room(s, r, op, nb);
	if (w)
		return (*wait = w > 0) ? 0 : w;
	ret = tee_pipe(ip, op, r->sqe.len);
	if (ret > 0)
		aring__sim_wake(s, &op->wq);
	return ret;
}

/* kernel io_uring/splice.c io_splice(), io_tee() */
static enum sim_exec op_splice(struct sim *s, struct sim_req *r)
{
	bool wait;
	int64_t ret;

	if (!r->file2) {
		/*
		 * io_splice_get_file(): the input is looked up at issue, with
		 * SPLICE_F_FD_IN_FIXED in the fixed table (io_rsrc_node_lookup():
		 * the s32 index compared unsigned, so a negative one finds none)
		 */
		struct sim_file *in = ((unsigned)r->sqe.splice_flags & SPLICE_F_FD_IN_FIXED_)
			? aring__soft_fixed_file(s->ring, (unsigned)r->sqe.splice_fd_in)
			: aring__sim_fd_get(s, r->sqe.splice_fd_in);

		if (!in) {
			r->res = -EBADF;
			r->fail = true;
			return SIM_DONE;
		}
		aring__sim_file_get(in);
		r->file2 = in;
	}
	if (!r->sqe.len) {
		r->res = 0;
		return SIM_DONE;
	}
	ret = r->opcode == IORING_OP_TEE ? do_tee(s, r, r->file2, r->file, &wait)
					 : do_splice(s, r, r->file2, r->file, &wait);
	if (wait)
		return SIM_BLOCK;
	r->res = (int32_t)ret;
	/* io_splice(): a result other than len fails the link */
	r->fail = ret != (int64_t)r->sqe.len;
	return SIM_DONE;
}

/* The ops this file models: its part of the sim's op table (sim/ops.c). */
const struct sim_opdef aring__sim_splice_ops[ARING_OP_LAST] = {
	[IORING_OP_SPLICE] = { .prep = prep_splice, .exec = op_splice },
	[IORING_OP_TEE]    = { .prep = prep_splice, .exec = op_splice },
};
