/* SPDX-License-Identifier: MIT */
/* The opcode table: see core/opdef.h. */
#include "core/opdef.h"

#define RW ARING__OPF_RW
#define NET ARING__OPF_NET
#define FS ARING__OPF_FS
#define BLK ARING__OPF_BLOCKS
#define NOF ARING__OPF_NOFAULT
#define MULTI ARING__OPF_MULTI
/* Multishot when these bits are set in that SQE field. */
#define IOPRIO_MS(bits) ARING__MS_IOPRIO, (bits)
#define LEN_MS(bits) ARING__MS_LEN, (bits)
#define FLAGS_MS(bits) ARING__MS_OP_FLAGS, (bits)

const struct aring__opdef aring__opdefs[ARING_OP_LAST] = {
	[IORING_OP_NOP]             = { "nop", NOF },
	[IORING_OP_READV]           = { "readv", RW | BLK },
	[IORING_OP_WRITEV]          = { "writev", RW | BLK },
	[IORING_OP_FSYNC]           = { "fsync", FS },
	[IORING_OP_READ_FIXED]      = { "read_fixed", RW | BLK },
	[IORING_OP_WRITE_FIXED]     = { "write_fixed", RW | BLK },
	[IORING_OP_POLL_ADD]        = { "poll_add", BLK, LEN_MS(IORING_POLL_ADD_MULTI) },
	[IORING_OP_POLL_REMOVE]     = { "poll_remove", NOF },
	[IORING_OP_SYNC_FILE_RANGE] = { "sync_file_range", FS },
	[IORING_OP_SENDMSG]         = { "sendmsg", RW | NET | BLK },
	[IORING_OP_RECVMSG]         = { "recvmsg", RW | NET | BLK, IOPRIO_MS(IORING_RECV_MULTISHOT) },
	[IORING_OP_TIMEOUT]         = { "timeout", BLK | NOF, FLAGS_MS(ARING_TIMEOUT_MULTISHOT) },
	[IORING_OP_TIMEOUT_REMOVE]  = { "timeout_remove", NOF },
	[IORING_OP_ACCEPT]          = { "accept", NET | BLK, IOPRIO_MS(IORING_ACCEPT_MULTISHOT) },
	[IORING_OP_ASYNC_CANCEL]    = { "cancel", NOF },
	[IORING_OP_LINK_TIMEOUT]    = { "link_timeout", BLK | NOF },
	[IORING_OP_CONNECT]         = { "connect", NET | BLK },
	[IORING_OP_FALLOCATE]       = { "fallocate", FS },
	[IORING_OP_OPENAT]          = { "openat", FS },
	[IORING_OP_CLOSE]           = { "close", 0 },
	[IORING_OP_FILES_UPDATE]    = { "files_update", 0 },
	[IORING_OP_STATX]           = { "statx", FS },
	[IORING_OP_READ]            = { "read", RW | BLK },
	[IORING_OP_WRITE]           = { "write", RW | BLK },
	[IORING_OP_FADVISE]         = { "fadvise", FS },
	[IORING_OP_MADVISE]         = { "madvise", 0 },
	[IORING_OP_SEND]            = { "send", RW | NET | BLK },
	[IORING_OP_RECV]            = { "recv", RW | NET | BLK, IOPRIO_MS(IORING_RECV_MULTISHOT) },
	[IORING_OP_OPENAT2]         = { "openat2", FS },
	[IORING_OP_EPOLL_CTL]       = { "epoll_ctl", 0 },
	[IORING_OP_SPLICE]          = { "splice", RW | BLK },
	[IORING_OP_PROVIDE_BUFFERS] = { "provide_buffers", NOF },
	[IORING_OP_REMOVE_BUFFERS]  = { "remove_buffers", NOF },
	[IORING_OP_TEE]             = { "tee", RW | BLK },
	[IORING_OP_SHUTDOWN]        = { "shutdown", NET },
	[IORING_OP_RENAMEAT]        = { "renameat", FS },
	[IORING_OP_UNLINKAT]        = { "unlinkat", FS },
	[IORING_OP_MKDIRAT]         = { "mkdirat", FS },
	[IORING_OP_SYMLINKAT]       = { "symlinkat", FS },
	[IORING_OP_LINKAT]          = { "linkat", FS },
	[IORING_OP_MSG_RING]        = { "msg_ring", 0 },
	[IORING_OP_FSETXATTR]       = { "fsetxattr", FS },
	[IORING_OP_SETXATTR]        = { "setxattr", FS },
	[IORING_OP_FGETXATTR]       = { "fgetxattr", FS },
	[IORING_OP_GETXATTR]        = { "getxattr", FS },
	[IORING_OP_SOCKET]          = { "socket", NET },
	[IORING_OP_URING_CMD]       = { "uring_cmd", 0, FLAGS_MS(ARING__URING_CMD_MULTISHOT) },
	[IORING_OP_SEND_ZC]         = { "send_zc", RW | NET | BLK | MULTI },
	[IORING_OP_SENDMSG_ZC]      = { "sendmsg_zc", RW | NET | BLK | MULTI },
	[ARING_OP_READ_MULTISHOT]   = { "read_multishot", RW | BLK | MULTI },
	[ARING_OP_WAITID]           = { "waitid", BLK },
	[ARING_OP_FUTEX_WAIT]       = { "futex_wait", BLK },
	[ARING_OP_FUTEX_WAKE]       = { "futex_wake", 0 },
	[ARING_OP_FUTEX_WAITV]      = { "futex_waitv", BLK },
	[ARING_OP_FIXED_FD_INSTALL] = { "fixed_fd_install", 0 },
	[ARING_OP_FTRUNCATE]        = { "ftruncate", FS },
	[ARING_OP_BIND]             = { "bind", NET },
	[ARING_OP_LISTEN]           = { "listen", NET },
	[ARING_OP_RECV_ZC]          = { "recv_zc", RW | NET | BLK | MULTI },
	[ARING_OP_EPOLL_WAIT]       = { "epoll_wait", BLK },
	[ARING_OP_READV_FIXED]      = { "readv_fixed", RW | BLK },
	[ARING_OP_WRITEV_FIXED]     = { "writev_fixed", RW | BLK },
	[ARING_OP_PIPE]             = { "pipe", 0 },
};

_Static_assert(sizeof(aring__opdefs) / sizeof(aring__opdefs[0]) == ARING_OP_LAST,
	       "one opdef per opcode");
