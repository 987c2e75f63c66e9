/* SPDX-License-Identifier: MIT */
/*
 * File commands: URING_CMD (kernel io_uring/uring_cmd.c, and for sockets
 * io_uring/cmd_net.c) and RECV_ZC (kernel io_uring/net.c, zcrx.c).
 *
 * URING_CMD runs the file's ->uring_cmd: of the sim's files only sockets
 * have one (io_uring_cmd_sock()); a regular file, a directory or a pipe
 * answers -EOPNOTSUPP, as io_uring_cmd() does for a file without it. On a
 * socket the sim models SIOCINQ (bytes to read), SIOCOUTQ (bytes sent and
 * not yet delivered: in flight to a peer on another node), and GETSOCKOPT
 * at SOL_SOCKET of SO_TYPE, SO_PROTOCOL, SO_DOMAIN, SO_ACCEPTCONN and
 * SO_ERROR; another option, SETSOCKOPT and any other command are not
 * modelled (-EOPNOTSUPP).
 *
 * RECV_ZC receives into the pages of a zero-copy receive interface queue
 * registered on the ring (IORING_REGISTER_ZCRX_IFQ, which needs a NIC with
 * header split and flow steering). The sim registers none, so RECV_ZC
 * always fails at prep with -EINVAL, as io_recvzc_prep() answers when no
 * queue has the SQE's index.
 */
#include "config.h"
#include <errno.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>

#include "sim/sim.h"

#define URING_CMD_FIXED_ 1u                   /* IORING_URING_CMD_FIXED */
#define URING_CMD_MASK_ (URING_CMD_FIXED_ | ARING__URING_CMD_MULTISHOT)

/* kernel io_uring/uring_cmd.c io_uring_cmd_prep() */
static int prep_uring_cmd(struct sim *s, struct sim_req *r)
{
	unsigned flags = r->sqe.uring_cmd_flags;

	(void)s;
	if (r->sqe.__pad1)
		return -EINVAL;
	if (flags & ~URING_CMD_MASK_)
		return -EINVAL;
	if ((flags & URING_CMD_FIXED_) && (flags & ARING__URING_CMD_MULTISHOT))
		return -EINVAL;
	/* multishot iff buffer select, which the sim refuses before this (ring.c) */
	if (flags & ARING__URING_CMD_MULTISHOT)
		return -EINVAL;
	return 0;
}

/*
 * kernel net/core/sock.c sk_getsockopt() for the int options the sim
 * models: 0 with the value, or -EOPNOTSUPP (not modelled).
 */
static int sol_socket(struct sim_sock *k, int optname, int *v)
{
	switch (optname) {
	case SO_TYPE:
		*v = SOCK_STREAM;
		return 0;
	case SO_PROTOCOL:
		*v = IPPROTO_TCP;
		return 0;
	case SO_DOMAIN:
		*v = k->family;
		return 0;
	case SO_ACCEPTCONN:
		*v = k->state == SIM_SOCK_LISTEN;
		return 0;
	case SO_ERROR:
		*v = k->err; /* sock_error(): read and cleared */
		k->err = 0;
		return 0;
	default:
		return -EOPNOTSUPP;
	}
}

/* kernel io_uring/cmd_net.c io_uring_cmd_getsockopt() -> do_sock_getsockopt() */
static int getsockopt_(struct sim_sock *k, const struct io_uring_sqe *sqe)
{
	int level = (int)(uint32_t)sqe->addr, optname = (int)(uint32_t)(sqe->addr >> 32);
	int len = (int)sqe->file_index, v = 0, ret;

	if (level != SOL_SOCKET)
		return -EOPNOTSUPP;
	if (len < 0)
		return -EINVAL;
	ret = sol_socket(k, optname, &v);
	if (ret)
		return ret;
	if (len > (int)sizeof(v))
		len = (int)sizeof(v);
	if (!sim_user_ok(sqe->addr3, (uint64_t)len))
		return -EFAULT;
	memcpy((void *)(uintptr_t)sqe->addr3, &v, (size_t)len);
	return len;
}

/*
 * kernel io_uring/uring_cmd.c io_uring_cmd(): no ->uring_cmd -EOPNOTSUPP;
 * io_uring/cmd_net.c io_uring_cmd_sock() and net/ipv4/tcp.c tcp_ioctl():
 * SIOCINQ and SIOCOUTQ of a listener -EINVAL.
 */
static enum sim_exec op_uring_cmd(struct sim *s, struct sim_req *r)
{
	struct sim_sock *k;

	(void)s;
	if (r->file->type != SIM_F_SOCK) {
		r->res = -EOPNOTSUPP;
		return SIM_DONE;
	}
	k = r->file->sock;
	switch (r->sqe.cmd_op) {
	case ARING_SOCKET_URING_OP_SIOCINQ:
		r->res = k->state == SIM_SOCK_LISTEN ? -EINVAL : (int32_t)sim_rx_ready(k);
		break;
	case ARING_SOCKET_URING_OP_SIOCOUTQ:
		if (k->state == SIM_SOCK_LISTEN)
			r->res = -EINVAL;
		else
			r->res = k->peer && k->cross ? (int32_t)k->peer->rx_flight : 0;
		break;
	case ARING_SOCKET_URING_OP_GETSOCKOPT:
		r->res = getsockopt_(k, &r->sqe);
		break;
	default:
		r->res = -EOPNOTSUPP;
		break;
	}
	return SIM_DONE;
}

/* kernel io_uring/net.c io_recvzc_prep(): no interface queue at that index. */
static int prep_recv_zc(struct sim *s, struct sim_req *r)
{
	(void)s;
	(void)r;
	return -EINVAL;
}

static enum sim_exec op_recv_zc(struct sim *s, struct sim_req *r)
{
	(void)s;
	r->res = -EINVAL; /* never reached: prep refuses every RECV_ZC */
	return SIM_DONE;
}

/* The ops this file models: its part of the sim's op table (sim/ops.c). */
const struct sim_opdef aring__sim_cmd_ops[ARING_OP_LAST] = {
	[IORING_OP_URING_CMD] = { .prep = prep_uring_cmd, .exec = op_uring_cmd, .instant = 1 },
	[ARING_OP_RECV_ZC]    = { .prep = prep_recv_zc, .exec = op_recv_zc },
};
