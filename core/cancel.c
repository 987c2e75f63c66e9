/* SPDX-License-Identifier: MIT */
/*
 * Op ids: cancellation, timeout removal and update, poll removal.
 *
 * An op made with opt->id gets the next number of a 64-bit counter (never
 * reused) and joins the loop's registry until its task resumes. Cancelling
 * an id looks it up there: an id that is not in flight gives -ENOENT at once
 * and sends nothing to the kernel, so a stale id can never hit another op
 * that reused the same stack address. A found op is cancelled by its
 * user_data (kernel io_uring/cancel.c io_async_cancel()).
 *
 * The registry is an open-addressing hash table (linear probing) of
 * {id, op} slots, the op being on its task's stack. Ids are hashed
 * multiplicatively (Fibonacci hashing), which spreads sequential ids evenly
 * whatever mix of short- and long-lived ops holds them. The table is kept at
 * most half full, so an add, a lookup and a removal each probe a small
 * expected number of slots however many ops are in flight; removal shifts
 * the following slots back (no tombstones). The table doubles when it would
 * pass half full and halves below an eighth (never under MIN_SLOTS): a grow
 * or shrink rehashes every entry, once per doubling or halving, so add and
 * remove are O(1) amortized. aring__op_begin reserves room before it takes
 * any SQE (aring__id_reserve, the only allocation, -ENOMEM if it fails), so
 * adding never fails; in the steady state nothing is allocated.
 */
#include "config.h"
#include <errno.h>
#include <stdlib.h>

#include "core/internal.h"

#define MIN_SLOTS 64u

/* Home slot of id in a table of 2^(64 - shift) slots. */
static inline uint32_t slot_of(uint64_t id, unsigned shift)
{
	return (uint32_t)((id * 0x9e3779b97f4a7c15ull) >> shift);
}

/* Rehash into a table of nslots (a power of two); false if out of memory. */
static bool resize(struct aring__ids *t, uint32_t nslots)
{
	struct aring__id_slot *slots = calloc(nslots, sizeof(*slots));
	unsigned shift = 64 - (unsigned)__builtin_ctz(nslots);
	uint32_t i;

	if (!slots)
		return false;
	for (i = 0; t->slots && i <= t->mask; i++) {
		uint32_t j;

		if (!t->slots[i].op)
			continue;
		for (j = slot_of(t->slots[i].id, shift); slots[j].op; j = (j + 1) & (nslots - 1))
			;
		slots[j] = t->slots[i];
	}
	free(t->slots);
	t->slots = slots;
	t->mask = nslots - 1;
	t->shift = shift;
	return true;
}

int aring__id_reserve(aring_loop *loop)
{
	struct aring__ids *t = &loop->ids;

	if (t->slots && 2 * (t->count + 1) <= t->mask + 1)
		return 0;
	if (!t->slots)
		return resize(t, MIN_SLOTS) ? 0 : -ENOMEM;
	if (t->mask + 1 > UINT32_MAX / 2)
		return -ENOMEM;
	return resize(t, 2 * (t->mask + 1)) ? 0 : -ENOMEM;
}

/*
 * An entry is an op, or a wait (core/wait.c: a task waiting on a channel,
 * lock, ...) marked by bit 0 of the pointer (both are 8-aligned): a cancel
 * by id ends a wait at once, without the ring.
 */
#define WAIT_BIT ((uintptr_t)1)

static inline bool entry_is_wait(const struct aring__op *e)
{
	return ((uintptr_t)e & WAIT_BIT) != 0;
}

static inline struct aring__waiter *entry_wait(struct aring__op *e)
{
	return (struct aring__waiter *)((uintptr_t)e & ~WAIT_BIT);
}

static uint64_t add_entry(aring_loop *loop, struct aring__op *entry)
{
	struct aring__ids *t = &loop->ids;
	uint64_t id = ++loop->next_id;
	uint32_t i;

	assert(t->slots && 2 * (t->count + 1) <= t->mask + 1);  /* aring__id_reserve */
	for (i = slot_of(id, t->shift); t->slots[i].op; i = (i + 1) & t->mask)
		;
	t->slots[i].id = id;
	t->slots[i].op = entry;
	t->count++;
	return id;
}

void aring__id_add(aring_loop *loop, struct aring__op *op)
{
	op->id = add_entry(loop, op);
	op->flags |= ARING__OP_ID;
}

void aring__id_add_wait(aring_loop *loop, struct aring__waiter *w)
{
	w->id = add_entry(loop, (struct aring__op *)((uintptr_t)w | WAIT_BIT));
}

/* The slot holding id, or -1. */
static int64_t find_slot(const struct aring__ids *t, uint64_t id)
{
	uint32_t i;

	if (!t->slots)
		return -1;
	for (i = slot_of(id, t->shift); t->slots[i].op; i = (i + 1) & t->mask)
		if (t->slots[i].id == id)
			return i;
	return -1;
}

static void del_entry(aring_loop *loop, uint64_t id, struct aring__op *entry)
{
	struct aring__ids *t = &loop->ids;
	int64_t found = find_slot(t, id);
	uint32_t i, j;

	assert(found >= 0 && t->slots[found].op == entry);
	(void)entry;
	/* Backward-shift deletion (Knuth, TAOCP 6.4 Algorithm R): move back
	 * every later entry of the run whose home slot is not in (i, j]. */
	i = (uint32_t)found;
	for (j = (i + 1) & t->mask; t->slots[j].op; j = (j + 1) & t->mask) {
		uint32_t home = slot_of(t->slots[j].id, t->shift);

		if (((j - home) & t->mask) >= ((j - i) & t->mask)) {
			t->slots[i] = t->slots[j];
			i = j;
		}
	}
	t->slots[i].op = NULL;
	t->count--;
	/* Shrinking may fail for lack of memory: the table then stays as is. */
	if (t->mask + 1 > MIN_SLOTS && 8 * t->count < t->mask + 1)
		resize(t, (t->mask + 1) / 2);
}

void aring__id_del(aring_loop *loop, struct aring__op *op)
{
	del_entry(loop, op->id, op);
	op->flags &= (uint8_t)~ARING__OP_ID;
}

void aring__id_del_wait(aring_loop *loop, struct aring__waiter *w)
{
	del_entry(loop, w->id, (struct aring__op *)((uintptr_t)w | WAIT_BIT));
	w->id = 0;
}

/* The entry (an op, or a wait: entry_is_wait) with this id, or NULL. */
static struct aring__op *find_entry(aring_loop *loop, uint64_t id)
{
	int64_t i = id ? find_slot(&loop->ids, id) : -1;

	return i < 0 ? NULL : loop->ids.slots[i].op;
}

struct aring__op *aring__id_find(aring_loop *loop, uint64_t id)
{
	struct aring__op *e = find_entry(loop, id);

	return e && !entry_is_wait(e) ? e : NULL;
}

void aring__id_free(aring_loop *loop)
{
	free(loop->ids.slots);
	loop->ids.slots = NULL;
}

enum id_cmd { CMD_CANCEL, CMD_TIMEOUT_REMOVE, CMD_TIMEOUT_UPDATE, CMD_POLL_REMOVE };

static int submit_cmd(aring_loop *loop, enum id_cmd cmd, uint64_t ud, unsigned flags,
		      struct __kernel_timespec *ts, const struct aring_opt *opt)
{
	struct aring__op op;
	struct io_uring_sqe *sqe;
	int ret;

	sqe = aring__op_sqe(loop, &op, opt, &ret);
	if (!sqe)
		return ret;
	switch (cmd) {
	case CMD_CANCEL:
		io_uring_prep_cancel64(sqe, ud, (int)flags);
		break;
	case CMD_TIMEOUT_REMOVE:
		io_uring_prep_timeout_remove(sqe, ud, flags);
		break;
	case CMD_TIMEOUT_UPDATE:
		io_uring_prep_timeout_update(sqe, ts, ud, flags);
		break;
	case CMD_POLL_REMOVE:
		io_uring_prep_poll_remove(sqe, ud);
		break;
	}
	return aring__op_run(loop, &op, opt, sqe);
}

int aring__cancel_ud(aring_loop *loop, uint64_t ud)
{
	aring_task *self = loop->current;
	int ret;

	/* The library's own cleanup: it runs in a cancelled task too. */
	self->exempt++;
	ret = submit_cmd(loop, CMD_CANCEL, ud, 0, NULL, NULL);
	self->exempt--;
	return ret;
}

/* Rounds of cancel_chain before it gives up on a chain it cannot find. */
#define CHAIN_CANCEL_ROUNDS 8

/*
 * An aring_do_n chain: while an earlier link runs, the last SQE waits on
 * the link and no cancel finds it. Cancel the earlier links (they share one
 * user_data); the kernel then fails the rest of the chain with -ECANCELED.
 * With IORING_ASYNC_CANCEL_ALL the kernel returns how many it cancelled,
 * and 0 when none matched (kernel io_uring/cancel.c __io_async_cancel): the
 * earlier links are done, and the last SQE is the one to cancel. Between
 * two links (the next one queued as task work) neither may be found: try
 * again while the chain is in flight.
 */
static int cancel_chain(aring_loop *loop, uint64_t id, const struct aring_opt *opt)
{
	struct aring__op *target = aring__id_find(loop, id);
	unsigned round;
	int ret;

	for (round = 0; round < CHAIN_CANCEL_ROUNDS; round++) {
		ret = submit_cmd(loop, CMD_CANCEL, aring__op_ud(target, ARING__TAG_CHAIN),
				 IORING_ASYNC_CANCEL_ALL, NULL, opt);
		if (ret > 0)
			return 0;
		if (ret < 0 && ret != -ENOENT)
			return ret;
		target = aring__id_find(loop, id);  /* we suspended: look again */
		if (!target)
			return -ENOENT;
		ret = submit_cmd(loop, CMD_CANCEL, aring__op_ud(target, ARING__TAG_MAIN), 0, NULL,
				 opt);
		if (ret != -ENOENT)
			return ret > 0 ? 0 : ret; /* a futex: counted (by_id) */
		target = aring__id_find(loop, id);
		if (!target)
			return -ENOENT;
	}
	return -EALREADY;  /* in flight, but never found: it completes on its own */
}

/*
 * The target's task cannot resume (and leave the registry, and reuse the
 * address) before this task suspends in submit_cmd, and its next SQE would
 * come after ours in the SQ, which the kernel issues in order.
 */
static int by_id(aring_loop *loop, enum id_cmd cmd, uint64_t id, unsigned flags,
		 struct __kernel_timespec *ts, const struct aring_opt *opt)
{
	struct aring__op *target = find_entry(loop, id);
	int ret;

	if (!target)
		return -ENOENT;
	if (entry_is_wait(target)) {
		struct aring__waiter *w = entry_wait(target);

		/* A wait is no timeout or poll: only a cancel finds it. One
		 * that ended (its task not yet resumed) is as a completed op. */
		if (cmd != CMD_CANCEL || w->res != ARING__WAIT_PENDING)
			return -ENOENT;
		aring__wait_end(loop, w, -ECANCELED);
		return 0;
	}
	/*
	 * The op's deadline (core/timer.c): a cancel sent before its own
	 * decides (-ECANCELED, and the deadline sends none); after it, the op
	 * is ending with -ETIME. The kernel would answer 0 to both cancels
	 * while the first has not yet completed the op (io_poll_cancel_req()
	 * leaves it hashed until its task work runs).
	 */
	if (cmd == CMD_CANCEL) {
		if (target->flags & ARING__OP_EXPIRED)
			return -EALREADY;
		target->flags |= ARING__OP_CANCELLED;
	}
	if (cmd == CMD_CANCEL && (target->flags & ARING__OP_CHAIN))
		return cancel_chain(loop, id, opt);
	ret = submit_cmd(loop, cmd, aring__op_ud(target, ARING__TAG_MAIN), flags, ts, opt);
	/* A cancel of a futex or waitid op says 1, the number it cancelled
	   (kernel cancel.c io_futex_cancel(), io_waitid_cancel()): found. */
	return cmd == CMD_CANCEL && ret > 0 ? 0 : ret;
}

ARING_API int aring_cancel(aring_loop *loop, uint64_t id, unsigned flags, const struct aring_opt *opt)
{
	if (flags & ~IORING_ASYNC_CANCEL_ALL)
		return -EINVAL;
	if (!loop->current)
		return -EPERM;
	if (loop->current->cancelled)
		return -ECANCELED;  /* an op, as any other (aring_task_cancel) */
	return by_id(loop, CMD_CANCEL, id, 0, NULL, opt);
}

ARING_API int aring_timeout_remove(aring_loop *loop, uint64_t id, unsigned flags,
				   const struct aring_opt *opt)
{
	if (!loop->current)
		return -EPERM;
	return by_id(loop, CMD_TIMEOUT_REMOVE, id, flags, NULL, opt);
}

ARING_API int aring_timeout_update(aring_loop *loop, struct __kernel_timespec *ts, uint64_t id,
				   unsigned flags, const struct aring_opt *opt)
{
	if (!loop->current)
		return -EPERM;
	if (!ts)
		return -EFAULT;
	return by_id(loop, CMD_TIMEOUT_UPDATE, id, flags, ts, opt);
}

ARING_API int aring_poll_remove(aring_loop *loop, uint64_t id, const struct aring_opt *opt)
{
	if (!loop->current)
		return -EPERM;
	return by_id(loop, CMD_POLL_REMOVE, id, 0, NULL, opt);
}
