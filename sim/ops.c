/* SPDX-License-Identifier: MIT */
/*
 * The simulator's op table, indexed by opcode: the model's own checks at
 * submit, how to run each op, whether it runs with no latency. The generic
 * facts (name, file, ioprio, multishot, errors, modelled or not, whether
 * sqe->off is a value the trace may hash) are core/opdef.c's.
 *
 * An opcode with no exec is not modelled: it fails with -EOPNOTSUPP at
 * submit. ARING__OPF_SIM in core/opdef.c says the same (checked at start).
 */
#include "config.h"
#include <errno.h>

#include "sim/sim.h"

static struct sim_opdef table[ARING_OP_LAST];
const struct sim_opdef *const aring__sim_opdefs = table;

/*
 * Each concern's file holds the rows of the ops it models, next to their
 * models; the table is their union, made once when the library loads.
 */
__attribute__((constructor)) static void build_table(void)
{
	const struct sim_opdef *parts[] = { aring__sim_fs_ops, aring__sim_net_ops,
					    aring__sim_pipe_ops, aring__sim_poll_ops,
					    aring__sim_xattr_ops, aring__sim_futex_ops,
					    aring__sim_proc_ops, aring__sim_cmd_ops,
					    aring__sim_splice_ops, aring__sim_msgring_ops,
					    aring__sim_epoll_ops };
	unsigned k, op;

	for (k = 0; k < sizeof(parts) / sizeof(parts[0]); k++)
		for (op = 0; op < ARING_OP_LAST; op++)
			if (parts[k][op].exec) {
				assert(!table[op].exec); /* one model per op */
				table[op] = parts[k][op];
			}
}

bool aring__sim_has_op(unsigned opcode)
{
	return opcode < ARING_OP_LAST && aring__sim_opdefs[opcode].exec != NULL;
}

/* The op table's ARING__OPF_SIM agrees with the model's table. */
bool aring__sim_opdefs_agree(void)
{
	unsigned op;

	for (op = 0; op < ARING_OP_LAST; op++) {
		unsigned f = aring__opdefs[op].flags;
		bool modelled = (f & ARING__OPF_SIM) && !(f & ARING__OPF_RING);

		if (modelled != aring__sim_has_op(op))
			return false;
	}
	return true;
}
