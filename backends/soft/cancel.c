/* SPDX-License-Identifier: MIT */
/*
 * Requests in flight by user_data, IORING_OP_ASYNC_CANCEL (kernel
 * io_uring/cancel.c) and IORING_OP_NOP (kernel io_uring/nop.c).
 *
 * In flight means started with the executor, or a timeout or linked timeout
 * armed here. Each such request is in a hash by user_data (chained, grown
 * at load 1/2: O(1) lookup) and in one list, which only the keys that must
 * look at every request (CANCEL_ANY, CANCEL_FD, CANCEL_OP) walk.
 */
#include "config.h"
#include <errno.h>
#include <stdlib.h>

#include "backends/soft/ring.h"

/* ---------------------------------------------------------------- hash */

#define HASH_MIN 64u

static uint64_t hash_ud(uint64_t ud)
{
	ud ^= ud >> 33;
	ud *= 0xff51afd7ed558ccdull;
	ud ^= ud >> 33;
	return ud;
}

/*
 * Two chained hashes of the requests in flight, newest first in each chain:
 * by user_data (index 0: hnext/hprev, key hkey) and by file (index 1:
 * fhnext/fhprev, key file). Each doubles at load 1/2: with 100 k requests
 * in flight the buckets and requests are out of cache, and at load 1 half
 * of the adds found a bucket in use and wrote its head's prev, a miss on an
 * unrelated request (and the cancel walked it); at 1/2 that is a third of
 * them, for 8 more bytes of buckets per request (bench_scale's cancel row).
 */
struct index {
	struct aring__soft_req ***b;
	uint64_t *mask, *n;
	bool by_file;
};

static struct index ud_index(struct aring__soft *s)
{
	return (struct index){ &s->hash, &s->hash_mask, &s->nhashed, false };
}

static struct index file_index(struct aring__soft *s)
{
	return (struct index){ &s->fhash, &s->fhash_mask, &s->nfhashed, true };
}

static uint64_t key_of(const struct index *x, const struct aring__soft_req *r)
{
	return x->by_file ? r->fkey : r->hkey;
}

static struct aring__soft_req **next_of(const struct index *x, struct aring__soft_req *r)
{
	return x->by_file ? &r->fhnext : &r->hnext;
}

static struct aring__soft_req **prev_of(const struct index *x, struct aring__soft_req *r)
{
	return x->by_file ? &r->fhprev : &r->hprev;
}

static void bucket_add(const struct index *x, struct aring__soft_req **b, struct aring__soft_req *r)
{
	*prev_of(x, r) = NULL;
	*next_of(x, r) = *b;
	if (*b)
		*prev_of(x, *b) = r;
	*b = r;
}

static void grow(const struct index *x)
{
	uint64_t n = (*x->mask + 1) * 2, i;
	struct aring__soft_req **h = calloc(n, sizeof(*h));

	if (!h)
		return; /* longer chains, still correct */
	for (i = 0; i <= *x->mask; i++) {
		struct aring__soft_req *r = (*x->b)[i], *nx, *last = NULL;

		/* Re-add oldest first, so that each chain stays newest first. */
		for (; r; r = *next_of(x, r))
			last = r;
		for (r = last; r; r = nx) {
			nx = *prev_of(x, r);
			bucket_add(x, &h[hash_ud(key_of(x, r)) & (n - 1)], r);
		}
	}
	free(*x->b);
	*x->b = h;
	*x->mask = n - 1;
}

static void index_add(const struct index *x, struct aring__soft_req *r)
{
	if (2 * *x->n > *x->mask)
		grow(x);
	bucket_add(x, &(*x->b)[hash_ud(key_of(x, r)) & *x->mask], r);
	(*x->n)++;
}

static void index_del(const struct index *x, struct aring__soft_req *r)
{
	struct aring__soft_req *nx = *next_of(x, r), *pv = *prev_of(x, r);

	if (pv)
		*next_of(x, pv) = nx;
	else
		(*x->b)[hash_ud(key_of(x, r)) & *x->mask] = nx;
	if (nx)
		*prev_of(x, nx) = pv;
	*next_of(x, r) = *prev_of(x, r) = NULL;
	(*x->n)--;
}

int aring__soft_hash_init(struct aring__soft *s)
{
	s->hash = calloc(HASH_MIN, sizeof(*s->hash));
	s->fhash = calloc(HASH_MIN, sizeof(*s->fhash));
	if (!s->hash || !s->fhash)
		return -ENOMEM;
	s->hash_mask = s->fhash_mask = HASH_MIN - 1;
	return 0;
}

void aring__soft_hash_free(struct aring__soft *s)
{
	free(s->hash);
	free(s->fhash);
	s->hash = s->fhash = NULL;
}

void aring__soft_hash_add(struct aring__soft *s, struct aring__soft_req *r)
{
	struct index x = ud_index(s);

	assert(!(r->flags & SOFT_F_HASHED));
	r->hkey = r->sqe.user_data;
	index_add(&x, r);
	r->fprev = NULL;
	r->fnext = s->flight;
	if (s->flight)
		s->flight->fprev = r;
	s->flight = r;
	r->flags |= SOFT_F_HASHED;
}

void aring__soft_file_add(struct aring__soft *s, struct aring__soft_req *r)
{
	struct index x = file_index(s);

	assert((r->flags & SOFT_F_HASHED) && !(r->flags & SOFT_F_FILE_HASHED) && r->file);
	r->fkey = (uint64_t)(uintptr_t)r->file;
	index_add(&x, r);
	r->flags |= SOFT_F_FILE_HASHED;
}

void aring__soft_hash_del(struct aring__soft *s, struct aring__soft_req *r)
{
	struct index x = ud_index(s), f = file_index(s);

	if (!(r->flags & SOFT_F_HASHED))
		return;
	index_del(&x, r);
	if (r->flags & SOFT_F_FILE_HASHED)
		index_del(&f, r);
	if (r->fprev)
		r->fprev->fnext = r->fnext;
	else
		s->flight = r->fnext;
	if (r->fnext)
		r->fnext->fprev = r->fprev;
	r->fnext = r->fprev = NULL;
	r->flags &= (uint16_t)~(SOFT_F_HASHED | SOFT_F_FILE_HASHED);
}

void aring__soft_rekey(struct aring__soft *s, struct aring__soft_req *r)
{
	struct index x = ud_index(s);

	if ((r->flags & SOFT_F_HASHED) && r->hkey != r->sqe.user_data) {
		index_del(&x, r);
		r->hkey = r->sqe.user_data;
		index_add(&x, r);
	}
}

struct aring__soft_req *aring__soft_find(struct aring__soft *s, uint64_t user_data, int opcode)
{
	struct aring__soft_req *r = s->hash[hash_ud(user_data) & s->hash_mask], *found = NULL;

	/* Chains are newest first: the last match is the oldest. */
	for (; r; r = r->hnext)
		if (r->hkey == user_data && (opcode < 0 || r->opcode == opcode))
			found = r;
	return found;
}

/* ---------------------------------------------------------------- cancel */

/*
 * Stop one request in flight (kernel io_try_cancel() on the request it
 * matched): an armed timeout is removed; a started request is stopped by
 * the executor. Either completes with res through task work, as the
 * kernel's io_req_task_queue_fail() and io_poll_cancel() do. 0 when
 * stopped, but 1 for a futex or waitid request: the kernel finds those in
 * lists of their own (io_futex_cancel(), io_waitid_cancel() through
 * io_cancel_remove()), which answer the number cancelled; so its cancel
 * CQE, or its linked timeout's, says 1 (checked on Linux 6.18).
 */
int aring__soft_cancel_req(struct aring__soft *s, struct aring__soft_req *r, int32_t res)
{
	int ret;

	if (r->opcode == IORING_OP_TIMEOUT)
		return aring__soft_timeout_cancel(s, r);
	if (r->state != SOFT_STARTED || r->opcode == IORING_OP_LINK_TIMEOUT)
		return -ENOENT;
	ret = s->exec->stop(s->ex, r);
	if (ret < 0)
		return ret;
	aring__soft_hash_del(s, r);
	aring__soft_tw_add(s, r, SOFT_TW_FAIL, res);
	return r->opcode == ARING_OP_FUTEX_WAIT || r->opcode == ARING_OP_FUTEX_WAITV ||
	       r->opcode == ARING_OP_WAITID;
}

struct cancel_data {
	uint64_t data;
	unsigned flags;
	unsigned opcode;
	const void *file;
};

/* kernel cancel.c io_cancel_req_match() */
static bool match(const struct cancel_data *cd, const struct aring__soft_req *r)
{
	bool match_ud = cd->flags & ARING_ASYNC_CANCEL_USERDATA;

	/* Linked timeouts are in no list a cancel looks at. */
	if (r->opcode == IORING_OP_LINK_TIMEOUT)
		return false;
	if (!(cd->flags & (IORING_ASYNC_CANCEL_FD | ARING_ASYNC_CANCEL_OP)))
		match_ud = true;
	if (cd->flags & IORING_ASYNC_CANCEL_ANY)
		return true;
	if (cd->flags & IORING_ASYNC_CANCEL_FD) {
		/* io_try_cancel(): a file key never matches a timeout. */
		if (!r->file || r->file != cd->file || r->opcode == IORING_OP_TIMEOUT)
			return false;
	}
	if ((cd->flags & ARING_ASYNC_CANCEL_OP) && r->opcode != cd->opcode)
		return false;
	if (match_ud && r->sqe.user_data != cd->data)
		return false;
	return true;
}

int aring__soft_cancel_prep(struct aring__soft *s, struct aring__soft_req *r)
{
	(void)s;
	(void)r;
	return 0; /* every check is the SQE's: core/opdef.c prep_cancel() */
}

/*
 * kernel cancel.c io_async_cancel() / __io_async_cancel(): one request, or
 * with ALL/ANY every match, counted (0 when none matched). A request that
 * is running cannot be stopped: -EALREADY for one, not counted for ALL.
 */
void aring__soft_cancel_issue(struct aring__soft *s, struct aring__soft_req *c)
{
	struct cancel_data cd = {
		.data = c->sqe.addr,
		.flags = c->sqe.cancel_flags,
		.opcode = c->sqe.len,
	};
	bool all = cd.flags & (IORING_ASYNC_CANCEL_ALL | IORING_ASYNC_CANCEL_ANY);
	struct aring__soft_req *r, **found = NULL;
	size_t n = 0, cap = 0, i;
	int ret = -ENOENT, nr = 0, which;

	if (cd.flags & IORING_ASYNC_CANCEL_FD) {
		if (cd.flags & IORING_ASYNC_CANCEL_FD_FIXED) {
			/* kernel io_async_cancel(): io_file_get_fixed(), the slot's file (rsrc.c) */
			void *f = aring__soft_fixed_file(s, (unsigned)c->sqe.fd);

			cd.file = f && s->exec->file_of_ref ? s->exec->file_of_ref(s->ex, f) : f;
		} else {
			cd.file = s->exec->file_of_fd(s->ex, c->sqe.fd);
		}
		if (!cd.file) {
			ret = -EBADF;
			goto done;
		}
	}
	/*
	 * The requests to look at: by user_data or by file from their hash
	 * chain; for ANY or OP alone, every request in flight. Each list is
	 * newest first. The matches are collected first (stopping changes the
	 * lists); ALL and ANY cancel every match, oldest first, and count
	 * them; otherwise only the oldest is cancelled.
	 */
	if (cd.flags & IORING_ASYNC_CANCEL_ANY)
		r = s->flight, which = 2;
	else if (cd.flags & IORING_ASYNC_CANCEL_FD)
		r = s->fhash[hash_ud((uint64_t)(uintptr_t)cd.file) & s->fhash_mask], which = 1;
	else if (cd.flags & ARING_ASYNC_CANCEL_OP)
		r = s->flight, which = 2;
	else
		r = s->hash[hash_ud(cd.data) & s->hash_mask], which = 0;
	for (; r; r = which == 0 ? r->hnext : which == 1 ? r->fhnext : r->fnext) {
		if (r == c || !match(&cd, r))
			continue;
		if (!all)
			n = 0; /* keep the oldest only */
		if (n == cap) {
			size_t nc = cap ? cap * 2 : 16;
			struct aring__soft_req **f = realloc(found, nc * sizeof(*f));

			if (!f)
				abort();
			found = f;
			cap = nc;
		}
		found[n++] = r;
	}
	for (i = n; i-- > 0;) {
		int one = aring__soft_cancel_req(s, found[i], -ECANCELED);

		if (!all) {
			ret = one;
			break;
		}
		if (one >= 0)
			nr++;
	}
	free(found);
	if (all)
		ret = nr;
done:
	if (ret < 0)
		aring__soft_set_fail(c);
	aring__soft_done(s, c, ret);
}

unsigned aring__soft_cancel_all(struct aring__soft *s)
{
	struct aring__soft_req *r, *n;
	unsigned nr = 0;

	for (r = s->flight; r; r = n) {
		n = r->fnext; /* a cancel takes r (only r) off the list */
		if (aring__soft_cancel_req(s, r, -ECANCELED) >= 0)
			nr++;
	}
	return nr;
}

/* ---------------------------------------------------------------- nop */

/* kernel nop.c io_nop() */
void aring__soft_nop_issue(struct aring__soft *s, struct aring__soft_req *r)
{
	unsigned flags = (unsigned)r->sqe.rw_flags;
	int32_t ret = (flags & ARING_NOP_INJECT_RESULT) ? (int32_t)r->sqe.len : 0;

	if ((flags & ARING_NOP_FILE) &&
	    !((flags & ARING_NOP_FIXED_FILE) ? aring__soft_fixed_file(s, (unsigned)r->sqe.fd) :
	      s->exec->file_of_fd(s->ex, r->sqe.fd)))
		ret = -EBADF; /* an empty slot (rsrc.c); or fd names none */
	else if ((flags & ARING_NOP_FIXED_BUFFER) &&
		 !(r->sqe.buf_index < s->rsrc.nr_bufs && s->rsrc.bufs[r->sqe.buf_index].iov_base))
		ret = -EFAULT; /* io_find_buf_node(): no registered buffer there */
	if (ret < 0)
		aring__soft_set_fail(r);
	if (flags & ARING_NOP_TW)
		aring__soft_tw_add(s, r, SOFT_TW_COMPLETE, ret); /* completed from task work */
	else
		aring__soft_done(s, r, ret);
}
