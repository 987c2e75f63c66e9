/* SPDX-License-Identifier: MIT */
/*
 * One table of io_uring opcodes, indexed by opcode (like the kernel's
 * io_uring/opdef.c): the generic facts of each op, which the soft ring
 * (submit-time checks), the simulator (fault injection, what it models) and
 * the docs share.
 *
 * Adding an opcode end to end touches at most four files:
 *   core/opdef.c     its row here: name, flags, errors, submit-time checks;
 *   core/ops.c       its aring_ wrapper;
 *   include/aring.h  the wrapper's declaration;
 *   sim/<concern>.c  if the sim models it (ARING__OPF_SIM): its model and its
 *                    row in that file's table (sim/fs.c, net.c, pipe.c, poll.c).
 * (core/abi.h too, in place of the sim's file, for an op liburing 2.3 lacks
 * and the sim does not model.) The soft ring needs no change for an op it
 * hands to an executor.
 */
#ifndef ARING_CORE_OPDEF_H
#define ARING_CORE_OPDEF_H

#include <stdbool.h>
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
	ARING__OPF_MULTI   = 1u << 8,  /* always posts several CQEs (zero-copy sends post a
	                                  notification; recv_zc, read_multishot); other ops
	                                  do when their multishot bit is set (ms_field) */
	ARING__OPF_RING    = 1u << 9,  /* run by the soft ring itself, never by an executor */
	ARING__OPF_SIM     = 1u << 10, /* the simulator models it (else -EOPNOTSUPP) */
	ARING__OPF_OFF_VAL = 1u << 11, /* sqe->off is a value (offset, count), not a pointer */
	ARING__OPF_NOFIXED = 1u << 12, /* its prep refuses IOSQE_FIXED_FILE with -EBADF (path
	                                  ops and close: kernel io_openat_prep() & co) */
	ARING__OPF_KEEPLINK = 1u << 13, /* a negative result alone does not break its link
	                                  chain: see "Which failures break a link" in
	                                  core/opdef.c */
};

/* Which SQE field holds the bits (opdef.ms_mask) that make an op multishot. */
enum aring__ms_field {
	ARING__MS_NONE = 0,
	ARING__MS_IOPRIO,     /* sqe->ioprio: accept, recv, recvmsg */
	ARING__MS_LEN,        /* sqe->len: poll_add */
	ARING__MS_OP_FLAGS,   /* sqe->timeout_flags / uring_cmd_flags (one union) */
};

/* sqe->uring_cmd_flags (Linux 6.17), absent from older headers. */
#define ARING__URING_CMD_MULTISHOT (1u << 1)

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
	uint8_t ms_field;       /* enum aring__ms_field */
	uint32_t ms_mask;       /* bits of that field that make it multishot */
	/*
	 * The facts of docs/ops.md (docs/gen_ops.c prints the table from them;
	 * `make check` compares it with the file, `make ops-doc` rewrites it):
	 */
	const char *since;      /* the first Linux release with the opcode: "5.1" */
	const char *wrapper;    /* its aring_ wrapper; NULL: "aring_" name */
	const char *test;       /* the test program that covers it: "test_rw"; NULL: none */
	uint8_t epoll;          /* the epoll backend runs it (backends/epoll.c ep_has_op) */
};

extern const struct aring__opdef aring__opdefs[ARING_OP_LAST];

/*
 * Whether this SQE may post more than one CQE: a zero-copy send (result and
 * notification), or a multishot request (IORING_CQE_F_MORE until its last).
 * An unknown opcode posts one CQE (-EINVAL).
 */
static inline bool aring__sqe_multi_cqe(const struct io_uring_sqe *sqe)
{
	const struct aring__opdef *d;
	uint32_t v;

	if (sqe->opcode >= ARING_OP_LAST)
		return false;
	d = &aring__opdefs[sqe->opcode];
	if (d->flags & ARING__OPF_MULTI)
		return true;
	switch (d->ms_field) {
	case ARING__MS_IOPRIO:
		v = sqe->ioprio;
		break;
	case ARING__MS_LEN:
		v = sqe->len;
		break;
	case ARING__MS_OP_FLAGS:
		v = sqe->timeout_flags;
		break;
	default:
		return false;
	}
	return (v & d->ms_mask) != 0;
}

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
