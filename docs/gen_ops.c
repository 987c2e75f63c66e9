/* SPDX-License-Identifier: MIT */
/*
 * Prints docs/ops.md from the op table (core/opdef.c): one row per opcode
 * with its wrapper, the first Linux release that has it, whether the sim
 * and the epoll backend model it, whether its error breaks a link, and the
 * test that covers it.
 * `make check` (docs/check-ops) compares the output with docs/ops.md;
 * `make ops-doc` rewrites the file.
 */
#include "config.h"
#include <stdio.h>

#include "core/opdef.h"

/* Ops the soft ring runs itself run on every soft backend (sim and epoll). */
static int on_sim(const struct aring__opdef *d)
{
	return (d->flags & ARING__OPF_SIM) != 0;
}

static int on_epoll(const struct aring__opdef *d)
{
	return d->epoll || (d->flags & ARING__OPF_RING);
}

int main(void)
{
	unsigned op, nsim = 0, nepoll = 0;

	printf("# io_uring opcodes in aring\n\n"
	       "Generated from the op table (`core/opdef.c`) by `docs/gen_ops.c`: do not\n"
	       "edit; `make ops-doc` rewrites it, `make check` fails when it is stale.\n\n"
	       "- **wrapper**: the aring function that issues the opcode (`aring_do` issues\n"
	       "  any SQE); \"-\" when there is none yet.\n"
	       "- **since**: the first Linux release with the opcode.\n"
	       "- **sim**, **epoll**: whether that backend runs it; where not, it fails\n"
	       "  with -EOPNOTSUPP (`aring_op_supported()` says false).\n"
	       "- **error breaks link**: whether an error result cancels the rest of its\n"
	       "  `IOSQE_IO_LINK` chain (-ECANCELED), as the kernel's handler decides\n"
	       "  (`req_set_fail()`; the list in `core/opdef.c`). \"n\": the handler only\n"
	       "  stores its error and the next op runs; an fd that names no file or an\n"
	       "  SQE its prep refuses still breaks it. A short read or write, a short\n"
	       "  send or receive with `MSG_WAITALL`, a short splice or tee break it too;\n"
	       "  a timeout's -ETIME does not with `IORING_TIMEOUT_ETIME_SUCCESS`.\n"
	       "- **test**: the test program (`tests/<name>.c`) that covers it.\n\n"
	       "| # | opcode | wrapper | since | sim | epoll | error breaks link | test |\n"
	       "|---|--------|---------|-------|-----|-------|-------------------|------|\n");
	for (op = 0; op < ARING_OP_LAST; op++) {
		const struct aring__opdef *d = &aring__opdefs[op];
		int sim = on_sim(d), ep = on_epoll(d);

		nsim += sim;
		nepoll += ep;
		printf("| %u | %s | ", op, d->name);
		if (!d->wrapper)
			printf("`aring_%s`", d->name);
		else if (d->wrapper[0])
			printf("`%s`", d->wrapper);
		else
			printf("-");
		printf(" | %s | %s | %s | %s | %s |\n", d->since ? d->since : "?", sim ? "y" : "n",
		       ep ? "y" : "n", (d->flags & ARING__OPF_KEEPLINK) ? "n" : "y",
		       d->test ? d->test : "-");
	}
	printf("\nTotals: sim: %u of %u, epoll: %u of %u.\n", nsim, (unsigned)ARING_OP_LAST, nepoll,
	       (unsigned)ARING_OP_LAST);
	return 0;
}
