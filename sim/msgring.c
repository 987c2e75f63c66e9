/* SPDX-License-Identifier: MIT */
/*
 * MSG_RING between sim loops (kernel io_uring/msg_ring.c).
 *
 * On the kernel a ring is a file: MSG_RING's sqe->fd names the target ring,
 * and a loop on uring finds its ring's fd as aring_ring(loop)->ring_fd. A
 * sim loop has no ring fd of its own; aring_sim_ring_fd() installs one, in
 * a loop's fd table, for a target loop (itself included). Sim loops made
 * alone (not nodes of a world) are threads of one process and may name
 * each other; a node of a world only itself (another node is another
 * machine).
 *
 * IORING_MSG_DATA posts a CQE to the target: user_data sqe->off, res
 * sqe->len, flags 0 (or sqe->file_index with IORING_MSG_RING_FLAGS_PASS),
 * and the sender's CQE says 0. IORING_MSG_SEND_FD would put the file in
 * the sender's registered slot sqe->addr3 into the target's registered
 * table (backends/soft/rsrc.c) at slot sqe->file_index - 1, or a free one
 * with IORING_FILE_INDEX_ALLOC: the sim checks both tables as the kernel
 * does (see below). The CQE arrives in the target's CQ at once; the target
 * reaps it when it runs. A target loop freed meanwhile takes the message
 * silently (MSG_SEND_FD too: res 0), as the kernel's ring that lives on
 * while an fd names it.
 *
 * Not modelled: each lone sim loop has a world of its own (file system,
 * pipes, sockets, clock), so a file of one cannot work in another, and a
 * ring file never sits in a registered table (sim/ring.c sim_file_ref(), as
 * the kernel's io_sqe_files_register() refuses it). SEND_FD therefore makes
 * every check the kernel makes, in its order, and where the kernel would
 * install the file answers -EXDEV, leaving the target's table alone.
 */
#include "config.h"
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>

#include "core/internal.h"
#include "sim/sim.h"

#define MSG_DATA_ 0u                    /* IORING_MSG_DATA */
#define MSG_SEND_FD_ 1u                 /* IORING_MSG_SEND_FD */
#define MSG_RING_CQE_SKIP_ (1u << 0)    /* IORING_MSG_RING_CQE_SKIP */
#define MSG_RING_FLAGS_PASS_ (1u << 1)  /* IORING_MSG_RING_FLAGS_PASS */

static struct sim_list *ring_files(struct sim *s)
{
	if (!s->ring_files.next)
		sim_list_init(&s->ring_files);
	return &s->ring_files;
}

void aring__sim_ring_file_closed(struct sim_file *f)
{
	if (f->ring)
		sim_list_del(&f->in_ring);
	f->ring = NULL;
}

void aring__sim_ring_files_drop(struct sim *s)
{
	struct sim_list *l = ring_files(s);

	while (!sim_list_empty(l)) {
		struct sim_file *f = sim_container_of(l->next, struct sim_file, in_ring);

		aring__sim_ring_file_closed(f);
	}
}

static struct sim *sim_of_loop(aring_loop *loop)
{
	return loop && loop->kind == ARING_BACKEND_SIM ? sim_of(aring__loop_backend(loop)) : NULL;
}

static int ring_fd(struct sim *s, struct sim *t)
{
	struct sim_file *f;
	int fd;

	f = aring__sim_file_new(s, SIM_F_RING, O_RDWR);
	if (!f)
		return -ENOMEM;
	f->ring = t;
	sim_list_add_tail(ring_files(t), &f->in_ring);
	fd = aring__sim_fd_install(s, f);
	if (fd < 0)
		aring__sim_file_put(s, f);
	return fd;
}

ARING_API int aring_sim_ring_fd(aring_loop *loop, aring_loop *target)
{
	struct sim *s = sim_of_loop(loop), *t = sim_of_loop(target);

	if (!s || !t)
		return -EINVAL;
	if ((s->world || t->world) && s != t)
		return -EXDEV;
	return ring_fd(s, t);
}

int aring__sim_ring_fd_self(struct aring__backend *be)
{
	struct sim *s = sim_of(be);

	return ring_fd(s, s);
}

/* kernel io_uring/msg_ring.c __io_msg_ring_prep() (sqe->rw_flags: msg_ring_flags) */
static int prep_msg_ring(struct sim *s, struct sim_req *r)
{
	(void)s;
	if (r->sqe.buf_index || r->sqe.personality)
		return -EINVAL;
	if ((unsigned)r->sqe.rw_flags & ~(MSG_RING_CQE_SKIP_ | MSG_RING_FLAGS_PASS_))
		return -EINVAL;
	return 0;
}

/* kernel io_uring/msg_ring.c __io_msg_ring_data() */
static int msg_data(struct sim_req *r, struct sim *t)
{
	unsigned flags = (unsigned)r->sqe.rw_flags;

	if (r->sqe.addr3 || (flags & ~MSG_RING_FLAGS_PASS_))
		return -EINVAL;
	if (!(flags & MSG_RING_FLAGS_PASS_) && r->sqe.file_index)
		return -EINVAL;
	if (t)
		aring__soft_post_aux(t->ring, r->sqe.off, (int32_t)r->sqe.len,
				     (flags & MSG_RING_FLAGS_PASS_) ? r->sqe.file_index : 0);
	return 0;
}

/*
 * kernel io_uring/msg_ring.c io_msg_send_fd(): len set -EINVAL, the
 * sender's own ring -EINVAL; io_msg_grab_file(): the sender's slot
 * sqe->addr3 (a u32) empty, past its table, or no table -EBADF;
 * io_msg_install_complete() -> filetable.c __io_fixed_fd_install() into
 * the target's table: no table -ENXIO (-ENFILE to allocate), file_index 0
 * or a slot past it -EINVAL, no free slot -ENFILE; else the install, not
 * modelled (-EXDEV). Returns the sender's res.
 */
static int msg_send_fd(struct sim *s, struct sim_req *r, struct sim *t)
{
	struct sim_file *f;
	int ret;

	if (r->sqe.len || t == s)
		return -EINVAL;
	f = aring__soft_fixed_file(s->ring, (uint32_t)r->sqe.addr3);
	if (!f)
		return -EBADF;
	if (!t)
		return 0; /* a freed target: the message goes nowhere */
	ret = aring__soft_fixed_check(t->ring, r->sqe.file_index);
	/* not modelled: the install itself (see the top of this file) */
	return ret < 0 ? ret : -EXDEV;
}

/*
 * kernel io_uring/msg_ring.c io_msg_ring(): a file that is no ring -EBADFD;
 * another command -EINVAL.
 */
static enum sim_exec op_msg_ring(struct sim *s, struct sim_req *r)
{
	struct sim_file *f = r->file;

	uint32_t cmd = (uint32_t)r->sqe.addr; /* io_msg_ring_prep(): msg->cmd is a u32 */

	if (f->type != SIM_F_RING)
		r->res = -EBADFD;
	else if (cmd == MSG_DATA_)
		r->res = msg_data(r, f->ring);
	else if (cmd == MSG_SEND_FD_)
		r->res = msg_send_fd(s, r, f->ring);
	else
		r->res = -EINVAL;
	return SIM_DONE;
}

/* The ops this file models: its part of the sim's op table (sim/ops.c). */
const struct sim_opdef aring__sim_msgring_ops[ARING_OP_LAST] = {
	[IORING_OP_MSG_RING] = { .prep = prep_msg_ring, .exec = op_msg_ring, .instant = 1 },
};
