/* SPDX-License-Identifier: MIT */
/*
 * Futexes (kernel io_uring/futex.c on kernel/futex/): FUTEX_WAIT, FUTEX_WAKE
 * and FUTEX_WAITV between the tasks of a sim loop.
 *
 * A futex is a 32-bit word of the program's memory, named by its address.
 * A wait reads the word: another value than the one given -EAGAIN, else it
 * sleeps until a wake of that address whose mask shares a bit with its own
 * (then 0). A wake wakes up to val sleepers of the address, oldest first,
 * and returns how many. A waitv sleeps on up to 128 words at once and
 * returns the index of the one woken; if one of them already differs,
 * -EAGAIN.
 *
 * The sim models FUTEX2_SIZE_U32 (the only size the kernel implements:
 * futex_flags_valid()) and FUTEX2_PRIVATE (same as shared within one
 * process); FUTEX2_NUMA and FUTEX2_MPOL are not modelled (-EOPNOTSUPP).
 * They run at once when issued, as the kernel issues them inline (no
 * io-wq). The sleepers are the loop's: each sim loop is a process of its own, so a
 * wake in one loop does not reach a sleeper of another.
 */
#include "config.h"
#include <errno.h>
#include <string.h>

#include "sim/sim.h"

#define FUTEX2_SIZE_U32_ 0x02u       /* include/uapi/linux/futex.h */
#define FUTEX2_SIZE_MASK_ 0x03u
#define FUTEX2_NUMA_ 0x04u
#define FUTEX2_MPOL_ 0x08u
#define FUTEX2_PRIVATE_ 128u
#define FUTEX2_VALID_MASK_ (FUTEX2_SIZE_MASK_ | FUTEX2_NUMA_ | FUTEX2_MPOL_ | FUTEX2_PRIVATE_)
#define FUTEX_WAITV_MAX_ 128u

/* struct futex_waitv (include/uapi/linux/futex.h) */
struct waitv {
	uint64_t val;
	uint64_t uaddr;
	uint32_t flags;
	uint32_t reserved;
};

/* The loop's sleepers (lazily made: the sim is calloc'd). */
static struct sim_waitq *sleepers(struct sim *s)
{
	if (!s->futexq.head.next)
		aring__sim_waitq_init(&s->futexq);
	return &s->futexq;
}

/*
 * kernel futex.h futex2_to_flags(), futex_flags_valid(),
 * futex_validate_input(): the flags of one futex and a value or mask for it.
 */
static int check_flags(uint32_t flags)
{
	if (flags & ~FUTEX2_VALID_MASK_)
		return -EINVAL;
	if ((flags & FUTEX2_SIZE_MASK_) != FUTEX2_SIZE_U32_)
		return -EINVAL;
	if (flags & (FUTEX2_NUMA_ | FUTEX2_MPOL_))
		return -EOPNOTSUPP; /* not modelled */
	return 0;
}

/* kernel io_uring/futex.c io_futex_prep() */
static int prep_futex(struct sim *s, struct sim_req *r)
{
	int ret;

	(void)s;
	/* sqe->rw_flags is the kernel's sqe->futex_flags (one union) */
	if (r->sqe.len || r->sqe.rw_flags || r->sqe.buf_index || r->sqe.file_index)
		return -EINVAL;
	ret = check_flags((uint32_t)r->sqe.fd);
	if (ret)
		return ret;
	if ((r->sqe.addr2 >> 32) || (r->sqe.addr3 >> 32))
		return -EINVAL;
	return 0;
}

/*
 * kernel io_uring/futex.c io_futexv_prep() and kernel/futex/syscalls.c
 * futex_parse_waitv(): no fd, mask or flags; 1 to FUTEX_WAITV_MAX entries;
 * an array it cannot read -EFAULT; each entry's flags and value as above,
 * its reserved word 0.
 */
static int prep_waitv(struct sim *s, struct sim_req *r)
{
	const struct waitv *v = (const struct waitv *)(uintptr_t)r->sqe.addr;
	uint32_t i, n = r->sqe.len;
	int ret;

	(void)s;
	if (r->sqe.fd || r->sqe.buf_index || r->sqe.file_index || r->sqe.addr2 ||
	    r->sqe.rw_flags || r->sqe.addr3)
		return -EINVAL;
	if (!n || n > FUTEX_WAITV_MAX_)
		return -EINVAL;
	if (!sim_user_ptr_ok(v, (uint64_t)n * sizeof(*v)))
		return -EFAULT;
	for (i = 0; i < n; i++) {
		if ((v[i].flags & ~FUTEX2_VALID_MASK_) || v[i].reserved)
			return -EINVAL;
		ret = check_flags(v[i].flags);
		if (ret)
			return ret;
		if (v[i].val >> 32)
			return -EINVAL;
	}
	return 0;
}

/* kernel/futex/core.c get_futex_key() and the read of the word: 0, -EINVAL, -EFAULT. */
static int read_word(uint64_t addr, uint32_t *val)
{
	if (addr % 4)
		return -EINVAL;
	if (!sim_user_ok(addr, 4))
		return -EFAULT;
	memcpy(val, (const void *)(uintptr_t)addr, 4);
	return 0;
}

/* The word at addr holds val (0), another value (-EAGAIN), or read_word()'s error. */
static int check_word(uint64_t addr, uint64_t val)
{
	uint32_t cur;
	int ret = read_word(addr, &cur);

	return ret ? ret : cur != (uint32_t)val ? -EAGAIN : 0;
}

/*
 * A woken sleeper runs again with done_bytes = 1 + the index of the word
 * that woke it (0 for FUTEX_WAIT).
 */
static enum sim_exec woken(struct sim_req *r)
{
	r->res = r->opcode == ARING_OP_FUTEX_WAITV ? (int32_t)(r->done_bytes - 1) : 0;
	return SIM_DONE;
}

/* kernel io_uring/futex.c io_futex_wait() -> kernel/futex/waitwake.c futex_wait_setup() */
static enum sim_exec op_wait(struct sim *s, struct sim_req *r)
{
	int ret;

	if (r->done_bytes)
		return woken(r);
	ret = r->sqe.addr3 ? check_word(r->sqe.addr, r->sqe.addr2) : -EINVAL; /* a zero mask */
	if (ret) {
		r->res = ret;
		return SIM_DONE;
	}
	aring__sim_wait(s, r, sleepers(s));
	return SIM_BLOCK;
}

/* kernel io_uring/futex.c io_futexv_wait() -> futex_wait_multiple_setup() */
static enum sim_exec op_waitv(struct sim *s, struct sim_req *r)
{
	const struct waitv *v = (const struct waitv *)(uintptr_t)r->sqe.addr;
	uint32_t i;
	int ret;

	if (r->done_bytes)
		return woken(r);
	for (i = 0; i < r->sqe.len; i++) {
		ret = check_word(v[i].uaddr, v[i].val);
		if (ret) {
			r->res = ret;
			return SIM_DONE;
		}
	}
	aring__sim_wait(s, r, sleepers(s));
	return SIM_BLOCK;
}

/* The index + 1 of r's word at addr that mask wakes, or 0. */
static uint64_t matches(const struct sim_req *r, uint64_t addr, uint64_t mask)
{
	const struct waitv *v = (const struct waitv *)(uintptr_t)r->sqe.addr;
	uint32_t i;

	if (r->opcode == ARING_OP_FUTEX_WAIT)
		return r->sqe.addr == addr && (r->sqe.addr3 & mask) ? 1 : 0;
	for (i = 0; i < r->sqe.len; i++)
		if (v[i].uaddr == addr)
			return i + 1u; /* waitv's words wait with FUTEX_BITSET_MATCH_ANY */
	return 0;
}

/*
 * kernel io_uring/futex.c io_futex_wake() -> kernel/futex/waitwake.c
 * futex_wake() with FLAGS_STRICT: a zero mask -EINVAL, a misaligned word
 * -EINVAL, an unmapped one -EFAULT, val 0 wakes none (0).
 */
static enum sim_exec op_wake(struct sim *s, struct sim_req *r)
{
	struct sim_waitq *q = sleepers(s);
	struct sim_list *p, *next;
	uint64_t addr = r->sqe.addr, nr = r->sqe.addr2, mask = r->sqe.addr3;
	uint32_t cur;
	int32_t woke = 0;
	int ret;

	if (!mask) {
		r->res = -EINVAL;
		return SIM_DONE;
	}
	ret = read_word(addr, &cur);
	if (ret) {
		r->res = ret;
		return SIM_DONE;
	}
	for (p = q->head.next; p != &q->head && (uint64_t)woke < nr; p = next) {
		struct sim_req *w = sim_container_of(p, struct sim_req, wait);
		uint64_t idx = matches(w, addr, mask);

		next = p->next;
		if (!idx)
			continue;
		sim_list_del(&w->wait);
		w->done_bytes = idx;
		w->state = SIM_REQ_EXEC;
		aring__sim_heap_push(s, w, s->now_ns);
		woke++;
	}
	r->res = woke;
	return SIM_DONE;
}

/* The ops this file models: its part of the sim's op table (sim/ops.c). */
const struct sim_opdef aring__sim_futex_ops[ARING_OP_LAST] = {
	[ARING_OP_FUTEX_WAIT]  = { .prep = prep_futex, .exec = op_wait, .instant = 1 },
	[ARING_OP_FUTEX_WAKE]  = { .prep = prep_futex, .exec = op_wake, .instant = 1 },
	[ARING_OP_FUTEX_WAITV] = { .prep = prep_waitv, .exec = op_waitv, .instant = 1 },
};
