/* SPDX-License-Identifier: MIT */
/*
 * Fault injection (struct aring_sim_opts, parts per million). Each decision
 * is drawn from the fault kind's own stream of the seed, and only when its
 * ppm is not 0. Ops flagged ARING__OPF_NOFAULT (ring control) never fault.
 *
 *   timeout_ppm  an op with a linked timeout stalls until the timeout fires
 *   cancel_ppm   an op that may wait ends with -ECANCELED (-EINTR for
 *                accept/connect, as a signal would give)
 *   short_ppm    an op that moves bytes (ARING__OPF_RW) moves 1..n-1 of n
 *   error_ppm    an error the op can really return, from the table below
 */
#include "config.h"
#include <errno.h>

#include "sim/sim.h"

/*
 * Errors an op can really return: the op table's (core/opdef.c), except that
 * read and write pick by the file kind (a regular file's or a socket's).
 */
static const int16_t err_file_read[] = { -EIO, 0 };
static const int16_t err_file_write[] = { -EIO, -ENOSPC, -EDQUOT, 0 };

static const int16_t *errors_for(const struct sim_req *r)
{
	enum sim_ftype t = r->file ? r->file->type : 0;

	switch (r->opcode) {
	case IORING_OP_READ:
	case IORING_OP_READV:
		return t == SIM_F_REG ? err_file_read :
		       t == SIM_F_SOCK ? aring__opdefs[IORING_OP_RECV].errors : NULL;
	case IORING_OP_WRITE:
	case IORING_OP_WRITEV:
		return t == SIM_F_REG ? err_file_write :
		       t == SIM_F_SOCK ? aring__opdefs[IORING_OP_SEND].errors : NULL;
	default:
		return aring__opdefs[r->opcode].errors;
	}
}

bool aring__sim_fault_inject(struct sim *s, struct sim_req *r)
{
	unsigned flags = aring__opdefs[r->opcode].flags;
	const int16_t *errs;

	if (flags & ARING__OPF_NOFAULT)
		return false;
	if ((flags & ARING__OPF_BLOCKS) && aring__sim_prng_ppm(&s->rng_cancel, s->opts.cancel_ppm)) {
		s->stats.cancels_injected++;
		r->res = (r->opcode == IORING_OP_ACCEPT || r->opcode == IORING_OP_CONNECT) ? -EINTR
											 : -ECANCELED;
		return true;
	}
	errs = errors_for(r);
	if (errs && aring__sim_prng_ppm(&s->rng_error, s->opts.error_ppm)) {
		unsigned n = 0;

		while (errs[n])
			n++;
		s->stats.errors_injected++;
		r->res = errs[aring__sim_prng_range(&s->rng_error, 0, n - 1)];
		return true;
	}
	if ((flags & ARING__OPF_RW) && aring__sim_prng_ppm(&s->rng_short, s->opts.short_ppm))
		r->short_limit = UINT64_MAX; /* decided now, sized when the op knows its length */
	return false;
}

uint64_t aring__sim_fault_limit(struct sim *s, struct sim_req *r, uint64_t want)
{
	if (r->short_limit == UINT64_MAX) {
		if (want < 2)
			return want; /* cannot be shorter and still move a byte */
		r->short_limit = aring__sim_prng_range(&s->rng_short, 1, want - 1);
		s->stats.shorts_injected++;
	}
	if (r->short_limit && want > r->short_limit)
		return r->short_limit;
	return want;
}

bool aring__sim_fault_stall(struct sim *s, struct sim_req *r)
{
	if (aring__opdefs[r->opcode].flags & ARING__OPF_NOFAULT)
		return false;
	if (!aring__sim_prng_ppm(&s->rng_timeout, s->opts.timeout_ppm))
		return false;
	s->stats.timeouts_injected++;
	return true;
}
