/* SPDX-License-Identifier: MIT */
/*
 * The trace: a 64-bit digest of every SQE accepted and every CQE posted, and,
 * with ARING_SIM_TRACE=1 in the environment, the same events printed to
 * stderr. Only values go in: the request's acceptance number stands in for
 * user_data, sqe->off only where it is an offset or a count (never a
 * pointer), never sqe->addr. Same seed and same program, same hash, on every
 * machine and build.
 */
#include "config.h"
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim/sim.h"

/*
 * An event's words are absorbed with one rotate, xor and multiply each (a
 * bijection of the state for a fixed word, so a change in any one word
 * changes the state), and the event ends with murmur3's fmix64 over the
 * state. One full mix per word cost three dependent multiplies a word:
 * 6-9% of a KV swarm seed's CPU time.
 */
static inline uint64_t absorb(uint64_t h, uint64_t x)
{
	return ((h << 23 | h >> 41) ^ x) * 0x9e3779b97f4a7c15ull;
}

static inline void seal(struct sim *s, uint64_t h)
{
	/* murmur3's fmix64 */
	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdull;
	h ^= h >> 33;
	h *= 0xc4ceb9fe1a85ec53ull;
	h ^= h >> 33;
	s->hash = h;
}

static void mix(struct sim *s, uint64_t x)
{
	seal(s, absorb(s->hash, x));
}

void aring__sim_trace_init(struct sim *s)
{
	const char *e = getenv("ARING_SIM_TRACE");

	s->trace = e && strcmp(e, "0") != 0 && *e;
	s->hash = 0x6172696e6773696dull; /* "aringsim" */
	mix(s, s->seed);
	if (s->trace)
		fprintf(stderr, "aring-sim: seed=%" PRIu64 " (replay with ARING_SIM_SEED=%" PRIu64 ")\n",
			s->seed, s->seed);
}

static void print_time(struct sim *s)
{
	fprintf(stderr, "aring-sim %" PRIu64 ".%09" PRIu64 " ", s->now_ns / 1000000000u,
		s->now_ns % 1000000000u);
}

void aring__sim_trace_sqe(struct sim *s, const struct sim_req *r)
{
	const struct io_uring_sqe *q = &r->sqe;
	uint64_t off = q->opcode < ARING_OP_LAST &&
		       (aring__opdefs[q->opcode].flags & ARING__OPF_OFF_VAL) ? q->off : 0;

	uint64_t h = absorb(s->hash, 1);

	h = absorb(h, r->seq);
	h = absorb(h, s->now_ns);
	h = absorb(h, (uint64_t)q->opcode | (uint64_t)q->flags << 8 | (uint64_t)q->ioprio << 16 |
			      (uint64_t)(uint32_t)q->fd << 32);
	h = absorb(h, (uint64_t)q->len | (uint64_t)q->rw_flags << 32);
	h = absorb(h, off);
	h = absorb(h, (uint64_t)q->buf_index | (uint64_t)q->personality << 16 |
			      (uint64_t)q->file_index << 32);
	seal(s, h);
	if (s->trace) {
		print_time(s);
		fprintf(stderr, "sqe #%" PRIu64 " %s flags=0x%x fd=%d len=%u off=%" PRIu64
			" opflags=0x%x\n", r->seq, aring__op_name(q->opcode), q->flags, q->fd,
			q->len, off, (unsigned)q->rw_flags);
	}
}

void aring__sim_trace_cqe(struct sim *s, const struct sim_req *r, int32_t res, uint32_t flags)
{
	uint64_t h = absorb(s->hash, 2);

	h = absorb(h, r->seq);
	h = absorb(h, s->now_ns);
	seal(s, absorb(h, (uint64_t)(uint32_t)res | (uint64_t)flags << 32));
	if (s->trace) {
		print_time(s);
		fprintf(stderr, "cqe #%" PRIu64 " %s res=%d flags=0x%x\n", r->seq,
			aring__op_name(r->opcode), res, flags);
	}
}

void aring__sim_trace_note(struct sim *s, const char *what, uint64_t a, uint64_t b)
{
	seal(s, absorb(absorb(absorb(s->hash, 3), a), b));
	if (s->trace) {
		print_time(s);
		fprintf(stderr, "%s %" PRIu64 " %" PRIu64 "\n", what, a, b);
	}
}
