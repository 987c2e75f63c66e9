/* SPDX-License-Identifier: MIT */
/*
 * aring__sim_new(): a simulated world on a soft ring. The soft ring
 * (backends/soft/) is the backend the core sees: SQ, CQ with its overflow
 * list, submit-time checks, links, drain, timeouts and cancel. The sim is
 * its executor (sim/ring.c): the world, the virtual clock and the events.
 */
#include "config.h"
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "sim/sim.h"

void aring__sim_destroy(void *ex);

void aring__sim_destroy(void *ex)
{
	struct sim *s = ex;

	if (!s)
		return;
	aring__sim_fault_loop_end(s);
	/* The sim's ends of fds 0, 1, 2. */
	aring__sim_stdio_close(s);
	aring__sim_fs_destroy(s);
	aring__sim_net_destroy(s);
	free(s->heap);
	free(s);
}

uint64_t aring__sim_seed_from_env(void)
{
	const char *e = getenv("ARING_SIM_SEED");
	char *end;
	unsigned long long v;

	if (!e || !*e)
		return 1;
	errno = 0;
	v = strtoull(e, &end, 0);
	if (errno || *end || v == 0)
		return 1;
	return v;
}

int aring__sim_new(const struct aring_loop_opts *opts, struct aring__backend **out)
{
	static const struct aring_sim_opts defaults;
	const struct aring_sim_opts *so = opts && opts->sim ? opts->sim : &defaults;
	unsigned entries = opts && opts->entries ? opts->entries : ARING_DEFAULT_ENTRIES;
	struct sim *s;
	int ret;

	*out = NULL;
	assert(aring__sim_opdefs_agree());
	if (entries > ARING_MAX_ENTRIES)
		return -EINVAL;
	ret = aring__sim_opts_check(so);
	if (ret)
		return ret;
	s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	s->opts = *so;
	s->seed = so->seed ? so->seed : aring__sim_seed_from_env();
	s->now_ns = SIM_START_NS;
	aring__sim_fault_loop_new(s);
	aring__sim_prng_seed(&s->rng_sched, s->seed, SIM_STREAM_SCHED);
	aring__sim_prng_seed(&s->rng_timeout, s->seed, SIM_STREAM_TIMEOUT);
	aring__sim_prng_seed(&s->rng_cancel, s->seed, SIM_STREAM_CANCEL);
	aring__sim_prng_seed(&s->rng_short, s->seed, SIM_STREAM_SHORT);
	aring__sim_prng_seed(&s->rng_error, s->seed, SIM_STREAM_ERROR);
	aring__sim_prng_seed(&s->rng_net, s->seed, SIM_STREAM_NET);
	aring__sim_trace_init(s);
	ret = aring__sim_net_init(s);
	if (ret == 0)
		ret = aring__sim_fs_init(s);
	if (ret == 0)
		ret = aring__sim_stdio_init(s);
	if (ret == 0)
		ret = aring__soft_new(entries, &aring__sim_exec_ops, s, "sim", &s->ring);
	if (ret < 0) {
		aring__sim_destroy(s);
		return ret;
	}
	*out = aring__soft_backend(s->ring);
	return 0;
}
