/* SPDX-License-Identifier: MIT */
/*
 * epoll over sim files (kernel fs/eventpoll.c, io_uring/epoll.c):
 * EPOLL_CTL (add, modify, delete) and EPOLL_WAIT (Linux 6.15) on epoll
 * instances made by aring_epoll_create(), which on the sim installs one in
 * the loop's fd table.
 *
 * An item watches a file that can be polled (pipes, sockets, other epoll
 * instances; a regular file or directory cannot: -EPERM, as the kernel's
 * file_can_poll()). Its events are those asked for plus EPOLLERR and
 * EPOLLHUP, reported when the file's readiness (sim/poll.c) has them:
 *   level-triggered: while ready;
 *   EPOLLET: once per edge, an edge being the item's arming (add, modify)
 *     or a wake-up of the file's wait queue (any change of the file: the
 *     sim's pipes and sockets have one queue for both directions, so a
 *     read of a pipe is an edge for an EPOLLET reader of it too, where the
 *     kernel's separate read and write queues would not report one);
 *   EPOLLONESHOT: once, then disabled until EPOLL_CTL_MOD arms it again.
 * Items are reported in the order they were added (the kernel's ready list
 * is in the order they became ready). EPOLL_WAIT with nothing ready waits,
 * as the kernel's io_epoll_wait() does by polling the epoll file. An item
 * goes when its file's last reference does (eventpoll_release()), not when
 * an fd of it is closed while another remains.
 * Not modelled: EPOLLEXCLUSIVE and EPOLLWAKEUP are taken and ignored.
 */
#include "config.h"
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>

#include "sim/sim.h"

#define EP_MAX_EVENTS_ (INT32_MAX / sizeof(struct epoll_event)) /* fs/eventpoll.c */
#define EP_MAX_NESTS_ 4

struct sim_epoll {
	struct sim_list items;     /* sim_epitem.in_ep, in the order added */
	struct sim_waitq wq;       /* EPOLL_WAITs, and items of epolls watching this one */
	struct sim_file *file;     /* its own file */
};

struct sim_epitem {
	struct sim_epoll *ep;
	struct sim_file *file;     /* watched (no ref: it goes when the file goes) */
	int fd;
	uint32_t events;
	uint64_t data;
	uint64_t gen_seen;         /* EPOLLET: the file's queue generation last reported */
	bool armed;                /* EPOLLET: an edge not yet reported (add, modify) */
	struct sim_list in_ep;     /* ep->items */
	struct sim_list in_file;   /* file->epitems */
	struct sim_list in_wq;     /* the watched file's waitq ->watch */
};

static struct sim_list *file_items(struct sim_file *f)
{
	if (!f->epitems.next)
		sim_list_init(&f->epitems);
	return &f->epitems;
}

int aring__sim_epoll_create(struct sim *s, int flags)
{
	struct sim_epoll *ep;
	struct sim_file *f;
	int fd;

	/* fs/eventpoll.c do_epoll_create(): EPOLL_CLOEXEC (O_CLOEXEC) only */
	if (flags & ~EPOLL_CLOEXEC)
		return -EINVAL;
	ep = calloc(1, sizeof(*ep));
	if (!ep)
		return -ENOMEM;
	f = aring__sim_file_new(s, SIM_F_EPOLL, O_RDWR);
	if (!f) {
		free(ep);
		return -ENOMEM;
	}
	sim_list_init(&ep->items);
	aring__sim_waitq_init(&ep->wq);
	ep->file = f;
	f->ep = ep;
	fd = aring__sim_fd_install(s, f);
	if (fd < 0)
		aring__sim_file_put(s, f);
	return fd;
}

int aring__sim_epoll_new(struct aring__backend *be, int flags)
{
	return aring__sim_epoll_create(sim_of(be), flags);
}

static void item_free(struct sim_epitem *it)
{
	sim_list_del(&it->in_ep);
	sim_list_del(&it->in_file);
	if (sim_list_linked(&it->in_wq))
		sim_list_del(&it->in_wq);
	free(it);
}

void aring__sim_epoll_closed(struct sim *s, struct sim_file *f)
{
	struct sim_epoll *ep = f->ep;

	(void)s;
	while (!sim_list_empty(&ep->items))
		item_free(sim_container_of(ep->items.next, struct sim_epitem, in_ep));
	/* EPOLL_WAITs hold a ref on the file: none waits now; watchers went with forget() */
	assert(sim_list_empty(&ep->wq.head) && sim_list_empty(&ep->wq.watch));
	free(ep);
	f->ep = NULL;
}

void aring__sim_epoll_forget(struct sim *s, struct sim_file *f)
{
	struct sim_list *l;

	(void)s;
	if (!f->epitems.next)
		return;
	l = &f->epitems;
	while (!sim_list_empty(l))
		item_free(sim_container_of(l->next, struct sim_epitem, in_file));
}

/* The events of it ready now (0: none to report). */
static uint32_t item_ready(struct sim_epitem *it, uint32_t depth);

static uint32_t ep_ready(struct sim_epoll *ep, uint32_t depth)
{
	struct sim_list *p;

	if (depth > EP_MAX_NESTS_)
		return 0;
	for (p = ep->items.next; p != &ep->items; p = p->next)
		if (item_ready(sim_container_of(p, struct sim_epitem, in_ep), depth + 1))
			return EPOLLIN | EPOLLRDNORM;
	return 0;
}

static uint32_t file_mask(struct sim_file *f, uint32_t depth)
{
	return f->type == SIM_F_EPOLL ? ep_ready(f->ep, depth) : aring__sim_poll_mask(f);
}

uint32_t aring__sim_epoll_mask(struct sim_file *f)
{
	return ep_ready(f->ep, 0);
}

struct sim_waitq *aring__sim_epoll_waitq(struct sim_file *f)
{
	return &f->ep->wq;
}

void aring__sim_epoll_woken(struct sim *s, struct sim_list *watch_entry)
{
	struct sim_epitem *it = sim_container_of(watch_entry, struct sim_epitem, in_wq);

	aring__sim_wake(s, &it->ep->wq);
}

static uint32_t item_ready(struct sim_epitem *it, uint32_t depth)
{
	uint32_t want = it->events & ~(uint32_t)(EPOLLET | EPOLLONESHOT | EPOLLEXCLUSIVE |
						 EPOLLWAKEUP);
	struct sim_waitq *wq = aring__sim_file_waitq(it->file);
	uint32_t mask;

	if (!want)
		return 0; /* a oneshot item that fired */
	if ((it->events & EPOLLET) && !it->armed && wq && wq->gen == it->gen_seen)
		return 0;
	mask = file_mask(it->file, depth) & want;
	return mask;
}

static struct sim_epitem *find(struct sim_epoll *ep, struct sim_file *f, int fd)
{
	struct sim_list *p;

	for (p = ep->items.next; p != &ep->items; p = p->next) {
		struct sim_epitem *it = sim_container_of(p, struct sim_epitem, in_ep);

		if (it->file == f && it->fd == fd)
			return it;
	}
	return NULL;
}

/* Can ep reach target through its items (an epoll inside, ...)? fs/eventpoll.c ep_loop_check(). */
static bool reaches(struct sim_epoll *ep, struct sim_epoll *target, uint32_t depth)
{
	struct sim_list *p;

	if (ep == target)
		return true;
	if (depth > EP_MAX_NESTS_)
		return true; /* too deep: -ELOOP as well */
	for (p = ep->items.next; p != &ep->items; p = p->next) {
		struct sim_epitem *it = sim_container_of(p, struct sim_epitem, in_ep);

		if (it->file->type == SIM_F_EPOLL && reaches(it->file->ep, target, depth + 1))
			return true;
	}
	return false;
}

/* (Re)arm it: an edge now, and a look at the file (ep_insert(), ep_modify()). */
static void arm(struct sim *s, struct sim_epitem *it)
{
	it->armed = true;
	aring__sim_wake(s, &it->ep->wq);
}

/* kernel io_uring/epoll.c io_epoll_ctl_prep() */
static int prep_ctl(struct sim *s, struct sim_req *r)
{
	(void)s;
	if (r->sqe.buf_index || r->sqe.splice_fd_in)
		return -EINVAL;
	if (r->sqe.len != EPOLL_CTL_DEL && !sim_user_ok(r->sqe.addr, sizeof(struct epoll_event)))
		return -EFAULT; /* copy_from_user() of the event */
	return 0;
}

/*
 * kernel fs/eventpoll.c do_epoll_ctl(): a bad epfd or fd -EBADF; a file
 * that cannot be polled -EPERM; epfd no epoll, or fd epfd itself -EINVAL;
 * EPOLLEXCLUSIVE with MOD, or on an epoll, -EINVAL; a loop of epolls
 * -ELOOP; ADD of a present item -EEXIST; DEL or MOD of a missing one
 * -ENOENT; another op -EINVAL.
 */
static int do_ctl(struct sim *s, struct sim_req *r)
{
	struct sim_file *ef = aring__sim_fd_get(s, r->sqe.fd);
	struct sim_file *tf = aring__sim_fd_get(s, (int)r->sqe.off);
	int op = (int)r->sqe.len;
	struct epoll_event ev = { 0 };
	struct sim_epitem *it;
	struct sim_waitq *wq;

	if (op != EPOLL_CTL_DEL)
		memcpy(&ev, (const void *)(uintptr_t)r->sqe.addr, sizeof(ev));
	if (!ef || !tf)
		return -EBADF;
	wq = aring__sim_file_waitq(tf);
	if (!wq)
		return -EPERM;
	if (ef == tf || ef->type != SIM_F_EPOLL)
		return -EINVAL;
	if (op != EPOLL_CTL_DEL && (ev.events & EPOLLEXCLUSIVE) &&
	    (op == EPOLL_CTL_MOD || tf->type == SIM_F_EPOLL))
		return -EINVAL;
	if (op == EPOLL_CTL_ADD && tf->type == SIM_F_EPOLL && reaches(tf->ep, ef->ep, 0))
		return -ELOOP;
	it = find(ef->ep, tf, (int)r->sqe.off);
	switch (op) {
	case EPOLL_CTL_ADD:
		if (it)
			return -EEXIST;
		it = calloc(1, sizeof(*it));
		if (!it)
			return -ENOMEM;
		it->ep = ef->ep;
		it->file = tf;
		it->fd = (int)r->sqe.off;
		it->events = ev.events | EPOLLERR | EPOLLHUP;
		it->data = ev.data.u64;
		it->gen_seen = wq->gen;
		sim_list_add_tail(&ef->ep->items, &it->in_ep);
		sim_list_add_tail(file_items(tf), &it->in_file);
		sim_list_add_tail(&wq->watch, &it->in_wq);
		arm(s, it);
		return 0;
	case EPOLL_CTL_DEL:
		if (!it)
			return -ENOENT;
		item_free(it);
		return 0;
	case EPOLL_CTL_MOD:
		if (!it)
			return -ENOENT;
		if (!(it->events & EPOLLEXCLUSIVE)) {
			it->events = ev.events | EPOLLERR | EPOLLHUP;
			it->data = ev.data.u64;
			arm(s, it);
		}
		return 0;
	default:
		return -EINVAL;
	}
}

static enum sim_exec op_ctl(struct sim *s, struct sim_req *r)
{
	r->res = do_ctl(s, r);
	return SIM_DONE;
}

/* kernel io_uring/epoll.c io_epoll_wait_prep() */
static int prep_wait(struct sim *s, struct sim_req *r)
{
	(void)s;
	if (r->sqe.off || r->sqe.rw_flags || r->sqe.buf_index || r->sqe.splice_fd_in)
		return -EINVAL;
	return 0;
}

/*
 * kernel io_uring/epoll.c io_epoll_wait() -> fs/eventpoll.c
 * epoll_sendevents(): no epoll -EINVAL, maxevents <= 0 or too many
 * -EINVAL, an array it cannot write -EFAULT; the ready items, or wait.
 */
static enum sim_exec op_wait(struct sim *s, struct sim_req *r)
{
	struct epoll_event *out = (struct epoll_event *)(uintptr_t)r->sqe.addr;
	int max = (int)r->sqe.len, n = 0;
	struct sim_epoll *ep;
	struct sim_list *p;

	if (r->file->type != SIM_F_EPOLL || max <= 0 || (uint64_t)max > EP_MAX_EVENTS_) {
		r->res = -EINVAL;
		return SIM_DONE;
	}
	if (!sim_access_ok(r->sqe.addr, (uint64_t)max * sizeof(*out))) {
		r->res = -EFAULT;
		return SIM_DONE;
	}
	ep = r->file->ep;
	for (p = ep->items.next; p != &ep->items && n < max; p = p->next) {
		struct sim_epitem *it = sim_container_of(p, struct sim_epitem, in_ep);
		uint32_t mask = item_ready(it, 1);
		struct sim_waitq *wq;

		if (!mask)
			continue;
		if (!sim_user_ptr_ok(&out[n], sizeof(*out))) {
			r->res = n ? n : -EFAULT;
			return SIM_DONE;
		}
		out[n].events = mask;
		out[n].data.u64 = it->data;
		n++;
		wq = aring__sim_file_waitq(it->file);
		it->armed = false;
		it->gen_seen = wq ? wq->gen : 0;
		if (it->events & EPOLLONESHOT)
			it->events &= EPOLLWAKEUP | EPOLLONESHOT | EPOLLET | EPOLLEXCLUSIVE;
	}
	if (n) {
		r->res = n;
		return SIM_DONE;
	}
	aring__sim_wait(s, r, &ep->wq);
	return SIM_BLOCK;
}

/* The ops this file models: its part of the sim's op table (sim/ops.c). */
const struct sim_opdef aring__sim_epoll_ops[ARING_OP_LAST] = {
	[IORING_OP_EPOLL_CTL]  = { .prep = prep_ctl, .exec = op_ctl, .instant = 1 },
	[ARING_OP_EPOLL_WAIT]  = { .prep = prep_wait, .exec = op_wait },
};
