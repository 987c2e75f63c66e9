/* SPDX-License-Identifier: MIT */
/*
 * One table of io_uring opcodes, indexed by opcode (like the kernel's
 * io_uring/opdef.c): names for traces and docs, and the properties the core
 * and the simulator share.
 */
#ifndef ARING_CORE_OPDEF_H
#define ARING_CORE_OPDEF_H

#include "core/abi.h"

enum {
	ARING__OPF_RW      = 1u << 0, /* moves bytes: short transfers apply */
	ARING__OPF_NET     = 1u << 1, /* socket op */
	ARING__OPF_FS      = 1u << 2, /* file system op */
	ARING__OPF_BLOCKS  = 1u << 3, /* may wait indefinitely (pipe/socket/poll/timeout) */
	ARING__OPF_NOFAULT = 1u << 4, /* ring-internal: never fault-injected */
};

struct aring__opdef {
	const char *name;   /* "read", "timeout", ...: io_uring_prep_ name */
	unsigned flags;     /* ARING__OPF_* */
};

extern const struct aring__opdef aring__opdefs[ARING_OP_LAST];

static inline const char *aring__op_name(unsigned opcode)
{
	return opcode < ARING_OP_LAST ? aring__opdefs[opcode].name : "unknown";
}

#endif /* ARING_CORE_OPDEF_H */
