/* SPDX-License-Identifier: MIT */
/*
 * One table of io_uring opcodes, indexed by opcode (like the kernel's
 * io_uring/opdef.c): the generic facts of each op, which the soft ring
 * (submit-time checks), the simulator (fault injection, what it models) and
 * the docs share.
 *
 * Adding an opcode end to end touches at most four files:
 *   core/abi.h    its number (if liburing 2.3 lacks it) and prep helper;
 *   core/opdef.c  its row here: name, flags, errors, submit-time checks;
 *   core/ops.c    its aring_ wrapper (plus its line in include/aring.h);
 *   sim/ops.c     the model's exec function in the sim's table (with the
 *                 model itself in the sim file of its concern), if the sim
 *                 models it (ARING__OPF_SIM).
 * The soft ring needs no change for an op the executor runs.
 */
#ifndef ARING_CORE_OPDEF_H
#define ARING_CORE_OPDEF_H

#include <stdint.h>

#include "core/abi.h"

enum {
	ARING__OPF_RW      = 1u << 0,  /* moves bytes: short transfers apply */
	ARING__OPF_NET     = 1u << 1,  /* socket op */
	ARING__OPF_FS      = 1u << 2,  /* file system op */
	ARING__OPF_BLOCKS  = 1u << 3,  /* may wait indefinitely (pipe/socket/poll/timeout) */
	ARING__OPF_NOFAULT = 1u << 4,  /* ring-internal: never fault-injected */
	ARING__OPF_FILE    = 1u << 5,  /* sqe->fd names its file (kernel def->needs_file) */
	ARING__OPF_IOPRIO  = 1u << 6,  /* reads sqe->ioprio (kernel def->ioprio); else it must be 0 */
	ARING__OPF_BUFSEL  = 1u << 7,  /* IOSQE_BUFFER_SELECT allowed (kernel def->buffer_select) */
	ARING__OPF_MULTI   = 1u << 8,  /* may post several CQEs (multishot, zero-copy notif) */
	ARING__OPF_RING    = 1u << 9,  /* run by the soft ring itself, never by an executor */
	ARING__OPF_SIM     = 1u << 10, /* the simulator models it (else -EOPNOTSUPP) */
};

struct aring__opdef {
	const char *name;       /* "read", "timeout", ...: io_uring_prep_ name */
	unsigned flags;         /* ARING__OPF_* */
	/*
	 * Submit-time checks of the SQE alone, as the kernel's io_*_prep does
	 * (reserved fields, unknown flags): 0 or -errno. NULL: none beyond the
	 * generic ones (ioprio, SQE flags). Checks that need ring state (a
	 * linked timeout needs a link) are the soft ring's.
	 */
	int (*prep)(const struct io_uring_sqe *sqe);
	/* Errors the op can really return (fault injection), 0-terminated; NULL: none. */
	const int16_t *errors;
};

extern const struct aring__opdef aring__opdefs[ARING_OP_LAST];

static inline const char *aring__op_name(unsigned opcode)
{
	return opcode < ARING_OP_LAST ? aring__opdefs[opcode].name : "unknown";
}

/* Kernel uapi values liburing 2.3 lacks (include/uapi/linux/io_uring.h). */
#define ARING_NOP_INJECT_RESULT (1U << 0)
#define ARING_NOP_FILE          (1U << 1)
#define ARING_NOP_FIXED_FILE    (1U << 2)
#define ARING_NOP_FIXED_BUFFER  (1U << 3)
#define ARING_NOP_TW            (1U << 4)

#endif /* ARING_CORE_OPDEF_H */
