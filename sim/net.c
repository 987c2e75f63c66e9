/* SPDX-License-Identifier: MIT */
/*
 * Stream sockets on simulated addresses (kernel net/ipv4/af_inet.c,
 * tcp.c, inet_connection_sock.c, as io_uring/net.c drives them).
 *
 * AF_INET and AF_INET6, SOCK_STREAM only. Every address is local. A connect
 * to a port nobody listens on is -ECONNREFUSED; otherwise the connection is
 * established at once and waits in the listener's accept queue (bounded by
 * the backlog: connect waits for room). Each socket has a bounded receive
 * buffer; a blocking send waits until all its bytes are in the peer's buffer.
 *
 * Ports: sockets are hashed by port (a bucket per port, like the kernel's
 * inet_bind_bucket) and listeners are kept apart in their bucket, so bind,
 * listen and connect cost the same with 2 or 20,000 connections open. An
 * ephemeral port is the next port at or after a seeded cursor that has no
 * socket at all, found in a summarised bitmap: at most 28,232 (32768-60999)
 * sockets hold ephemeral ports at once (-EADDRINUSE beyond). Receive buffers
 * grow on demand up to 256 KiB.
 *
 * User memory: an iovec, msghdr or address the kernel could not read or
 * write gives -EFAULT as the kernel's would (see SIM_USER_MIN in sim.h).
 *
 * Closing: a socket closed with unread data resets the connection (the peer
 * reads what it has, then -ECONNRESET, then 0; its sends get -ECONNRESET then
 * -EPIPE). A clean close sends FIN: the peer reads its data, then 0 (EOF);
 * its first send after that still "succeeds" and draws a reset, so the next
 * one gets -ECONNRESET and later ones -EPIPE, as on Linux.
 */
#include "config.h"
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "sim/sim.h"

#define EPHEMERAL_LO 32768u
#define EPHEMERAL_HI 60999u
#define SIM_ACCEPT_DONTWAIT (1U << 1)   /* IORING_ACCEPT_DONTWAIT (uapi io_uring.h, 6.10) */
#define SIM_ACCEPT_POLL_FIRST (1U << 2) /* IORING_ACCEPT_POLL_FIRST */

int aring__sim_net_init(struct sim *s)
{
	sim_list_init(&s->socks);
	s->next_port = (uint16_t)aring__sim_prng_range(&s->rng_net, EPHEMERAL_LO, EPHEMERAL_HI);
	return aring__sim_bits_init(&s->port_used, 65536);
}

/* ---------------------------------------------------------------- ports */

/*
 * The table slot of a port. The table is two-level (a block of 256 slots
 * made at the first bind in it): a loop binds a few ports, and a flat
 * table of 65,536 pointers cost a page fault per port bound in a fresh
 * process (a swarm's child) besides its mmap.
 */
static struct sim_port **port_slot(struct sim *s, uint16_t port, bool make)
{
	struct sim_port ***blk = &s->ports[port >> 8];

	if (!*blk && (!make || !(*blk = calloc(256, sizeof(**blk)))))
		return NULL;
	return &(*blk)[port & 255];
}

static struct sim_port *port_get(struct sim *s, uint16_t port, bool make)
{
	struct sim_port **slot = port_slot(s, port, make);
	struct sim_port *b = slot ? *slot : NULL;

	if (!b && make && slot) {
		b = calloc(1, sizeof(*b));
		if (!b)
			return NULL;
		sim_list_init(&b->socks);
		sim_list_init(&b->listeners);
		*slot = b;
	}
	return b;
}

/* k (its port set) joins its port's bucket. */
static int port_add(struct sim *s, struct sim_sock *k)
{
	struct sim_port *b = port_get(s, k->port, true);

	if (!b)
		return -ENOMEM;
	sim_list_add_tail(&b->socks, &k->in_port);
	if (b->nsocks++ == 0)
		aring__sim_bits_set(&s->port_used, k->port);
	return 0;
}

static void port_del(struct sim *s, struct sim_sock *k)
{
	struct sim_port *b;

	if (sim_list_linked(&k->in_listen))
		sim_list_del(&k->in_listen);
	if (!sim_list_linked(&k->in_port))
		return;
	b = port_get(s, k->port, false);
	sim_list_del(&k->in_port);
	if (--b->nsocks == 0) {
		aring__sim_bits_clear(&s->port_used, k->port);
		*port_slot(s, k->port, false) = NULL;
		free(b);
	}
}

static struct sim_sock *sock_new(struct sim *s, int family)
{
	struct sim_sock *k = calloc(1, sizeof(*k));

	if (!k)
		return NULL;
	k->family = family;
	k->state = SIM_SOCK_NEW;
	k->owner = s;
	sim_list_init(&k->in_flight);
	aring__sim_waitq_init(&k->wq);
	sim_list_init(&k->in_port);
	sim_list_init(&k->in_listen);
	sim_list_add_tail(&s->socks, &k->all);
	return k;
}

static void sock_free(struct sim *s, struct sim_sock *k)
{
	assert(sim_list_empty(&k->wq.head));
	assert(k->owner == s);
	aring__sim_net_forget(k);
	port_del(s, k);
	sim_list_del(&k->all);
	free(k->rx);
	free(k->acceptq);
	free(k);
}

/* Any change on a connection wakes both ends (readers, writers, pollers). */
static void conn_wake(struct sim *s, struct sim_sock *k)
{
	aring__sim_wake(s, &k->wq);
	if (k->peer)
		aring__sim_wake(s, &k->peer->wq);
}

/* ---------------------------------------------------------------- addresses */

static uint32_t addr_len(int family)
{
	return family == AF_INET ? sizeof(struct sockaddr_in) : sizeof(struct sockaddr_in6);
}

static uint16_t addr_port(const uint8_t *a, int family)
{
	return ntohs(family == AF_INET ? ((const struct sockaddr_in *)a)->sin_port
				       : ((const struct sockaddr_in6 *)a)->sin6_port);
}

static void addr_set_port(uint8_t *a, int family, uint16_t port)
{
	if (family == AF_INET)
		((struct sockaddr_in *)a)->sin_port = htons(port);
	else
		((struct sockaddr_in6 *)a)->sin6_port = htons(port);
}

static const uint8_t *addr_ip(const uint8_t *a, int family, size_t *len)
{
	if (family == AF_INET) {
		*len = 4;
		return (const uint8_t *)&((const struct sockaddr_in *)a)->sin_addr;
	}
	*len = 16;
	return (const uint8_t *)&((const struct sockaddr_in6 *)a)->sin6_addr;
}

static bool ip_any(const uint8_t *a, int family)
{
	size_t n, k;
	const uint8_t *ip = addr_ip(a, family, &n);

	for (k = 0; k < n; k++)
		if (ip[k])
			return false;
	return true;
}

static bool ip_eq(const uint8_t *a, const uint8_t *b, int family)
{
	size_t n;
	const uint8_t *x = addr_ip(a, family, &n), *y = addr_ip(b, family, &n);

	return memcmp(x, y, n) == 0;
}

/*
 * kernel net/socket.c move_addr_to_kernel() (length, then the copy), then
 * net/ipv4/af_inet.c inet_bind()/__inet_stream_connect() checks
 */
static int addr_in(const struct sim_sock *k, const void *uaddr, uint64_t len, uint8_t *out)
{
	const struct sockaddr *sa = uaddr;

	if (len > 128)
		return -EINVAL;
	if (!sim_user_ptr_ok(sa, len))
		return -EFAULT; /* (a length of 0 copies nothing) */
	if (len < sizeof(sa->sa_family))
		return -EINVAL;
	if (sa->sa_family != k->family)
		return -EAFNOSUPPORT;
	if (k->family == AF_INET ? len < sizeof(struct sockaddr_in) : len < 24)
		return -EINVAL;
	memset(out, 0, 28);
	memcpy(out, sa, addr_len(k->family) < len ? addr_len(k->family) : len);
	return 0;
}

static bool port_used(struct sim *s, const struct sim_sock *self, const uint8_t *a, uint16_t port)
{
	struct sim_port *b = port_get(s, port, false);
	struct sim_list *p;

	if (!b)
		return false;
	for (p = b->socks.next; p != &b->socks; p = p->next) {
		struct sim_sock *k = sim_container_of(p, struct sim_sock, in_port);

		if (k == self || !k->bound || k->port != port || k->listener)
			continue;
		if (k->family != self->family || ip_any(k->local, k->family) ||
		    ip_any(a, self->family) || ip_eq(k->local, a, k->family))
			return true;
	}
	return false;
}

static int do_bind(struct sim *s, struct sim_sock *k, const uint8_t *a)
{
	uint16_t port = addr_port(a, k->family);
	int ret;

	if (port == 0) {
		/*
		 * kernel inet_csk_get_port(): an ephemeral port. Here the next one
		 * at or after a seeded cursor that no socket holds, wrapping once.
		 */
		int64_t cand = aring__sim_bits_find(&s->port_used, s->next_port);

		if (cand < 0 || cand > EPHEMERAL_HI)
			cand = aring__sim_bits_find(&s->port_used, EPHEMERAL_LO);
		if (cand < 0 || cand > EPHEMERAL_HI)
			return -EADDRINUSE;
		port = (uint16_t)cand;
		s->next_port = (uint16_t)(port >= EPHEMERAL_HI ? EPHEMERAL_LO : port + 1u);
	} else if (port_used(s, k, a, port)) {
		return -EADDRINUSE;
	}
	memcpy(k->local, a, 28);
	addr_set_port(k->local, k->family, port);
	k->local_len = addr_len(k->family);
	k->port = port;
	ret = port_add(s, k);
	if (ret)
		return ret;
	k->bound = true;
	if (k->state == SIM_SOCK_NEW)
		k->state = SIM_SOCK_BOUND;
	return 0;
}

static void any_addr(uint8_t *a, int family)
{
	memset(a, 0, 28);
	((struct sockaddr *)a)->sa_family = (sa_family_t)family;
}

/* ---------------------------------------------------------------- socket ops */

static struct sim_sock *sock_of(struct sim_req *r)
{
	return r->file && r->file->type == SIM_F_SOCK ? r->file->sock : NULL;
}

/* kernel io_uring/net.c io_socket_prep()/io_socket(); net/socket.c __sys_socket() */
enum sim_exec aring__sim_op_socket(struct sim *s, struct sim_req *r)
{
	int domain = r->sqe.fd, type = (int)r->sqe.off, proto = (int)r->sqe.len;
	struct sim_sock *k;
	struct sim_file *f;
	int fd;

	/* a direct descriptor (file_index) has no SOCK_CLOEXEC: io_socket_prep() */
	if (r->sqe.addr || r->sqe.rw_flags || r->sqe.buf_index ||
	    (r->sqe.file_index && (type & SOCK_CLOEXEC)) ||
	    (type & ~(0xf | SOCK_NONBLOCK | SOCK_CLOEXEC))) {
		r->res = -EINVAL;
		return SIM_DONE;
	}
	if (domain != AF_INET && domain != AF_INET6) {
		r->res = -EAFNOSUPPORT;
		return SIM_DONE;
	}
	if ((type & 0xf) != SOCK_STREAM) {
		r->res = -EOPNOTSUPP; /* datagram and raw sockets are not modelled */
		return SIM_DONE;
	}
	if (proto != 0 && proto != IPPROTO_TCP) {
		r->res = -EPROTONOSUPPORT;
		return SIM_DONE;
	}
	k = sock_new(s, domain);
	f = k ? aring__sim_file_new(s, SIM_F_SOCK, O_RDWR | ((type & SOCK_NONBLOCK) ? O_NONBLOCK : 0))
	      : NULL;
	if (!f) {
		if (k)
			sock_free(s, k);
		r->res = -ENOMEM;
		return SIM_DONE;
	}
	f->sock = k;
	k->file = f;
	/* io_socket(): a direct descriptor goes to the fixed table (backends/soft/rsrc.c) */
	if (r->sqe.file_index) {
		r->res = aring__soft_fixed_install(s->ring, f, r->sqe.file_index);
		return SIM_DONE;
	}
	fd = aring__sim_fd_install(s, f);
	if (fd < 0)
		aring__sim_file_put(s, f);
	r->res = fd;
	return SIM_DONE;
}

/* kernel io_uring/net.c io_bind_prep()/io_bind() */
/* In a world, a node binds only to INADDR_ANY, 127/8 and its own address. */
static bool own_addr(struct sim *s, const struct sim_sock *k, const uint8_t *a)
{
	uint32_t ip;

	if (!s->world || k->family != AF_INET)
		return true;
	ip = ntohl(((const struct sockaddr_in *)a)->sin_addr.s_addr);
	return ip == 0 || (ip >> 24) == 127 || ip == sim_node_ip(s->node);
}

enum sim_exec aring__sim_op_bind(struct sim *s, struct sim_req *r)
{
	struct sim_sock *k = sock_of(r);
	uint8_t a[28] __attribute__((aligned(8)));

	r->res = 0;
	if (r->sqe.len || r->sqe.buf_index || r->sqe.rw_flags || r->sqe.splice_fd_in ||
	    r->sqe.addr3)
		r->res = -EINVAL;
	else if (!k)
		r->res = -ENOTSOCK;
	else if ((r->res = addr_in(k, (const void *)(uintptr_t)r->sqe.addr, r->sqe.addr2, a)))
		;
	else if (k->bound || k->state != SIM_SOCK_NEW)
		r->res = -EINVAL;
	else if (!own_addr(s, k, a))
		r->res = -EADDRNOTAVAIL; /* kernel inet_bind(): not a local address */
	else
		r->res = do_bind(s, k, a);
	return SIM_DONE;
}

/* kernel io_uring/net.c io_listen_prep()/io_listen(); inet_listen() */
enum sim_exec aring__sim_op_listen(struct sim *s, struct sim_req *r)
{
	struct sim_sock *k = sock_of(r);
	int backlog = (int)r->sqe.len;
	uint8_t a[28] __attribute__((aligned(8)));

	r->res = 0;
	if (r->sqe.addr || r->sqe.buf_index || r->sqe.rw_flags || r->sqe.file_index ||
	    r->sqe.addr2 || r->sqe.addr3)
		r->res = -EINVAL;
	else if (!k)
		r->res = -ENOTSOCK;
	else if (k->state != SIM_SOCK_NEW && k->state != SIM_SOCK_BOUND && k->state != SIM_SOCK_LISTEN)
		r->res = -EINVAL;
	if (r->res)
		return SIM_DONE;
	if (!k->bound) {
		any_addr(a, k->family);
		r->res = do_bind(s, k, a);
		if (r->res)
			return SIM_DONE;
	}
	if (backlog < 1)
		backlog = 1;
	if ((unsigned)backlog > SIM_MAX_LISTEN_BACKLOG)
		backlog = SIM_MAX_LISTEN_BACKLOG;
	if ((unsigned)backlog > k->acceptq_cap) {
		/* the queue holds the backlog (a power of two, in order from 0) */
		uint32_t cap = 8, i;
		struct sim_sock **q;

		while (cap < (unsigned)backlog)
			cap *= 2;
		q = malloc(cap * sizeof(*q));
		if (!q) {
			r->res = -ENOMEM;
			return SIM_DONE;
		}
		for (i = 0; i < k->acceptq_len; i++)
			q[i] = k->acceptq[(k->acceptq_head + i) % k->acceptq_cap];
		free(k->acceptq);
		k->acceptq = q;
		k->acceptq_cap = cap;
		k->acceptq_head = 0;
	}
	k->backlog = (uint32_t)backlog;
	k->state = SIM_SOCK_LISTEN;
	if (!sim_list_linked(&k->in_listen))
		sim_list_add_tail(&port_get(s, k->port, false)->listeners, &k->in_listen);
	aring__sim_wake(s, &k->wq);
	return SIM_DONE;
}

static struct sim_sock *find_listener(struct sim *s, int family, const uint8_t *a)
{
	uint16_t port = addr_port(a, family);
	struct sim_port *b = port_get(s, port, false);
	struct sim_list *p;

	if (!b)
		return NULL;
	for (p = b->listeners.next; p != &b->listeners; p = p->next) {
		struct sim_sock *k = sim_container_of(p, struct sim_sock, in_listen);

		if (k->state == SIM_SOCK_LISTEN && k->family == family && k->port == port &&
		    (ip_any(k->local, family) || ip_any(a, family) || ip_eq(k->local, a, family)))
			return k;
	}
	return NULL;
}

static void loopback(uint8_t *a, int family)
{
	if (family == AF_INET)
		((struct sockaddr_in *)a)->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	else
		((struct sockaddr_in6 *)a)->sin6_addr = in6addr_loopback;
}

/*
 * The node an address names (include/aring/sim.h "worlds"): a lone loop
 * owns every address; in a world 127/8 and the node's own address are
 * itself, 10.0.0.(i+1) node i, anything else unreachable.
 */
static int route(struct sim *s, const struct sim_sock *k, const uint8_t *a, struct sim **t)
{
	uint32_t ip;

	*t = s;
	if (!s->world || k->family != AF_INET)
		return 0;
	ip = ntohl(((const struct sockaddr_in *)a)->sin_addr.s_addr);
	if ((ip >> 24) == 127)
		return 0;
	if ((ip & 0xffffff00u) == (10u << 24) && (ip & 0xffu) >= 1)
		*t = aring__sim_world_node(s, (ip & 0xffu) - 1);
	else
		*t = NULL;
	return *t ? 0 : -ENETUNREACH;
}

/* kernel io_uring/net.c io_connect(); tcp_v4_connect() and the 3-way handshake */
enum sim_exec aring__sim_op_connect(struct sim *s, struct sim_req *r)
{
	struct sim_sock *k = sock_of(r), *l, *srv;
	uint8_t a[28] __attribute__((aligned(8))), local[28] __attribute__((aligned(8)));
	struct sim *t = s;
	int ret;

	if (r->sqe.len || r->sqe.buf_index || r->sqe.rw_flags || r->sqe.splice_fd_in) {
		r->res = -EINVAL;
		return SIM_DONE;
	}
	if (!k) {
		r->res = -ENOTSOCK;
		return SIM_DONE;
	}
	ret = addr_in(k, (const void *)(uintptr_t)r->sqe.addr, r->sqe.off, a);
	if (ret) {
		r->res = ret;
		return SIM_DONE;
	}
	if (k->state != SIM_SOCK_NEW && k->state != SIM_SOCK_BOUND) {
		r->res = k->state == SIM_SOCK_CLOSED ? -EINVAL : -EISCONN;
		return SIM_DONE;
	}
	if (ip_any(a, k->family))
		loopback(a, k->family);
	ret = route(s, k, a, &t);
	if (ret) {
		r->res = ret;
		return SIM_DONE;
	}
	if (t != s) {
		struct sim_net *net = aring__sim_world_net(s);

		if (aring__sim_net_cut(net, s->node, t->node) || aring__sim_net_cut(net, t->node, s->node)) {
			/*
			 * kernel tcp_retransmit_timer(): the SYN is sent again after
			 * 1, 2, 4, ... 64 s (tcp_syn_retries 6), then -ETIMEDOUT.
			 */
			if (r->done_bytes == 7) {
				r->res = -ETIMEDOUT;
				return SIM_DONE;
			}
			aring__sim_heap_push(s, r, s->now_ns + (1000000000ull << r->done_bytes));
			r->done_bytes++;
			r->syn_answered = false;
			return SIM_BLOCK;
		}
		/* The SYN goes out and its answer (SYN-ACK or RST) comes back. */
		if (!r->syn_answered) {
			uint64_t rtt = aring__sim_net_rtt(net, s->node, t->node);

			r->syn_answered = true;
			if (rtt) {
				aring__sim_heap_push(s, r, s->now_ns + rtt);
				return SIM_BLOCK;
			}
		}
	}
	l = find_listener(t, k->family, a);
	if (!l) {
		r->res = -ECONNREFUSED;
		return SIM_DONE;
	}
	if (l->acceptq_len >= l->backlog) {
		/* SYNs to a full backlog are dropped; the client retries. */
		aring__sim_wait(s, r, &l->wq);
		return SIM_BLOCK;
	}
	if (!k->bound) {
		memcpy(local, a, 28);
		addr_set_port(local, k->family, 0);
		if (t != s) /* the source address is the node's own */
			((struct sockaddr_in *)local)->sin_addr.s_addr = htonl(sim_node_ip(s->node));
		ret = do_bind(s, k, local);
		if (ret) {
			r->res = ret;
			return SIM_DONE;
		}
	}
	srv = sock_new(t, k->family);
	if (!srv) {
		r->res = -ENOMEM;
		return SIM_DONE;
	}
	memcpy(srv->local, a, 28);
	srv->local_len = addr_len(k->family);
	srv->port = l->port;
	if (port_add(t, srv)) {
		sock_free(t, srv);
		r->res = -ENOMEM;
		return SIM_DONE;
	}
	srv->bound = true;
	memcpy(srv->remote, k->local, 28);
	srv->remote_len = k->local_len;
	memcpy(k->remote, a, 28);
	k->remote_len = addr_len(k->family);
	srv->state = k->state = SIM_SOCK_CONNECTED;
	srv->peer = k;
	k->peer = srv;
	srv->listener = l;
	if (t != s) {
		srv->cross = k->cross = true;
		srv->peer_node = s->node;
		k->peer_node = t->node;
	}
	l->acceptq[(l->acceptq_head + l->acceptq_len++) % l->acceptq_cap] = srv;
	aring__sim_wake(t, &l->wq);
	r->res = 0;
	return SIM_DONE;
}

/*
 * kernel net/socket.c move_addr_to_user(): read *ulen (-EFAULT), refuse a
 * negative one (-EINVAL), copy the address truncated to it (-EFAULT), store
 * the full size. Checks everything before writing anything.
 */
static int check_addr_out(void *uaddr, socklen_t *ulen, socklen_t len)
{
	if (!uaddr)
		return 0;
	if (!sim_user_ptr_ok(ulen, sizeof(*ulen)))
		return -EFAULT;
	if ((int)*ulen < 0)
		return -EINVAL;
	if (!sim_user_ptr_ok(uaddr, *ulen < len ? *ulen : len))
		return -EFAULT;
	return 0;
}

static int fill_addr(const struct sim_sock *k, bool peer, void *uaddr, socklen_t *ulen)
{
	uint8_t z[28] __attribute__((aligned(8)));
	const uint8_t *a = peer ? k->remote : k->local;
	socklen_t len = peer ? k->remote_len : k->local_len;
	int ret;

	if (!len) {
		/* unbound: the family and zeros */
		any_addr(z, k->family);
		a = z;
		len = addr_len(k->family);
	}
	ret = check_addr_out(uaddr, ulen, len);
	if (ret || !uaddr)
		return ret;
	memcpy(uaddr, a, *ulen < len ? *ulen : len);
	*ulen = len;
	return 0;
}

/* kernel io_uring/net.c io_accept_prep()/io_accept(); inet_csk_accept() */
enum sim_exec aring__sim_op_accept(struct sim *s, struct sim_req *r)
{
	struct sim_sock *k = sock_of(r), *c;
	unsigned flags = r->sqe.accept_flags;
	struct sim_file *f;
	int fd, ret;

	/* io_accept_prep(): a direct descriptor has no SOCK_CLOEXEC, and a
	 * multishot accept allocates its slots */
	if (r->sqe.len || r->sqe.buf_index ||
	    (flags & ~(unsigned)(SOCK_NONBLOCK | SOCK_CLOEXEC)) ||
	    (r->sqe.ioprio & ~(IORING_ACCEPT_MULTISHOT | SIM_ACCEPT_DONTWAIT | SIM_ACCEPT_POLL_FIRST)) ||
	    (r->sqe.file_index && ((flags & SOCK_CLOEXEC) ||
				   ((r->sqe.ioprio & IORING_ACCEPT_MULTISHOT) &&
				    r->sqe.file_index != IORING_FILE_INDEX_ALLOC)))) {
		r->res = -EINVAL;
		return SIM_DONE;
	}
	r->multishot = r->sqe.ioprio & IORING_ACCEPT_MULTISHOT;
	if (!k) {
		r->res = -ENOTSOCK;
		return SIM_DONE;
	}
	if (k->state != SIM_SOCK_LISTEN) {
		r->res = -EINVAL;
		return SIM_DONE;
	}
	/* kernel io_uring/net.c io_accept(): an fd first (not for a direct
	 * descriptor); the queue is untouched without one */
	if (!r->sqe.file_index && !aring__sim_fd_available(s)) {
		r->res = -EMFILE;
		return SIM_DONE;
	}
	if (!k->acceptq_len) {
		/* kernel io_accept(): an O_NONBLOCK listener still waits (poll
		   armed); only IORING_ACCEPT_DONTWAIT sets REQ_F_NOWAIT */
		if (r->sqe.ioprio & SIM_ACCEPT_DONTWAIT) {
			r->res = -EAGAIN;
			return SIM_DONE;
		}
		aring__sim_wait(s, r, &k->wq);
		return SIM_BLOCK;
	}
	f = aring__sim_file_new(s, SIM_F_SOCK, O_RDWR | ((flags & SOCK_NONBLOCK) ? O_NONBLOCK : 0));
	if (!f) {
		r->res = -ENOMEM;
		return SIM_DONE;
	}
	c = k->acceptq[k->acceptq_head];
	k->acceptq_head = (k->acceptq_head + 1) % k->acceptq_cap;
	k->acceptq_len--;
	aring__sim_wake(s, &k->wq); /* room in the backlog for waiting connects */
	/* kernel io_accept(): inet_csk_accept() says whether more are queued
	   (arg->is_empty), whatever the result is then */
	if (k->acceptq_len)
		r->cflags |= IORING_CQE_F_SOCK_NONEMPTY;
	c->listener = NULL;
	c->file = f;
	f->sock = c;
	/*
	 * kernel net/socket.c do_accept(): the connection is taken, then the
	 * peer's address copied out; if that faults, the new file is put (the
	 * peer sees the connection close) and no fd is installed.
	 */
	ret = fill_addr(c, true, (void *)(uintptr_t)r->sqe.addr, (socklen_t *)(uintptr_t)r->sqe.off);
	if (!ret && r->sqe.file_index) {
		/* io_accept(): io_fixed_fd_install() (backends/soft/rsrc.c) puts the file on failure */
		fd = aring__soft_fixed_install(s->ring, f, r->sqe.file_index);
		r->res = fd;
		if (r->multishot && fd >= 0)
			return SIM_MORE;
		return SIM_DONE;
	}
	fd = ret ? ret : aring__sim_fd_install(s, f);
	if (fd < 0) {
		aring__sim_file_put(s, f);
		r->res = fd;
		return SIM_DONE;
	}
	r->res = fd;
	if (r->multishot && r->res >= 0)
		return SIM_MORE;
	return SIM_DONE;
}

/* ---------------------------------------------------------------- data */

/*
 * kernel io_uring/net.c io_send()/io_recv(): O_NONBLOCK on the socket does
 * not make io_uring give -EAGAIN (it arms poll and retries); only
 * MSG_DONTWAIT does (REQ_F_NOWAIT). Checked on Linux 6.18.
 */
static bool dontwait(const struct sim_file *f, unsigned flags)
{
	(void)f;
	return flags & MSG_DONTWAIT;
}

/* Room for need bytes in k's receive ring (grown by doubling, linearised). */
static int rx_reserve(struct sim_sock *k, uint32_t need)
{
	uint32_t cap = k->rx_cap ? k->rx_cap : 512, first; /* grows: most messages are small */
	uint8_t *n;

	assert(need <= SIM_SOCK_BUF);
	if (need <= k->rx_cap)
		return 0;
	while (cap < need)
		cap *= 2;
	if (cap > SIM_SOCK_BUF)
		cap = SIM_SOCK_BUF;
	n = malloc(cap);
	if (!n)
		return -ENOMEM;
	first = k->rx_cap - k->rx_head < k->rx_len ? k->rx_cap - k->rx_head : k->rx_len;
	if (k->rx_len) {
		memcpy(n, k->rx + k->rx_head, first);
		memcpy(n + first, k->rx, k->rx_len - first);
	}
	free(k->rx);
	k->rx = n;
	k->rx_cap = cap;
	k->rx_head = 0;
	return 0;
}

/*
 * MSG_OOB (TCP urgent data, SO_OOBINLINE off): a send's last byte is urgent
 * (kernel tcp_sendmsg_locked() -> tcp_mark_urg()); the receiver's normal
 * reads stop before it and skip it (tcp_recvmsg_locked()); recv(MSG_OOB)
 * reads it once, else -EINVAL (tcp_recv_urg()). A newer urgent byte
 * replaces the mark (the older one stays in line). Checked on Linux 6.18:
 * send("abc", MSG_OOB) = 3, then send("de"): recv gives "ab", then "de".
 */
static void mark_urg(struct sim_sock *p, const struct sim_req *r, unsigned flags)
{
	if ((flags & MSG_OOB) && p && r->done_bytes) {
		p->urg_at = p->rx_len;
		p->urg_read = false;
	}
}

static enum sim_exec recv_urg(struct sim_req *r, struct sim_sock *k, const struct sim_iov *v,
			      uint64_t n, unsigned flags)
{
	uint8_t b;

	if (!k->urg_at || k->urg_read) {
		r->res = -EINVAL;
		return SIM_DONE;
	}
	b = k->rx[(k->rx_head + k->urg_at - 1) % k->rx_cap];
	if (n && aring__sim_iov_copy_in(v, 0, &b, 1)) {
		r->res = -EFAULT;
		return SIM_DONE;
	}
	if (!(flags & MSG_PEEK))
		k->urg_read = true;
	r->res = n ? 1 : 0;
	return SIM_DONE;
}

/* kernel net/ipv4/tcp.c tcp_recvmsg_locked(): data, then sk_err, then EOF. */
enum sim_exec aring__sim_sock_recv(struct sim *s, struct sim_req *r, struct sim_file *f,
				   const struct sim_iov *v, uint64_t n, unsigned flags)
{
	struct sim_sock *k = f->sock;
	uint8_t tmp[4096];

	/* kernel tcp_recvmsg() -> inet_recv_error(): the error queue is always empty here */
	if (flags & MSG_ERRQUEUE) {
		r->res = -EAGAIN;
		return SIM_DONE;
	}
	if (k->state == SIM_SOCK_NEW || k->state == SIM_SOCK_BOUND || k->state == SIM_SOCK_LISTEN) {
		r->res = -ENOTCONN;
		return SIM_DONE;
	}
	if (flags & MSG_OOB)
		return recv_urg(r, k, v, n, flags);
	if (n == 0) {
		r->res = 0;
		return SIM_DONE;
	}
	while (sim_rx_ready(k) && r->done_bytes < n) {
		uint32_t c = n - r->done_bytes < sizeof(tmp) ? (uint32_t)(n - r->done_bytes)
							       : (uint32_t)sizeof(tmp);
		uint32_t at = k->rx_head, got = 0;

		if (c > sim_rx_ready(k))
			c = sim_rx_ready(k);
		/* kernel tcp_recvmsg_locked(): stop at the urgent byte, skip it (out of line) */
		if (k->urg_at == 1) {
			if (r->done_bytes || (flags & MSG_PEEK))
				break;
			k->rx_head = (k->rx_head + 1) % k->rx_cap;
			k->rx_len--;
			k->urg_at = 0;
			continue;
		}
		if (k->urg_at && c > k->urg_at - 1)
			c = k->urg_at - 1;
		while (got < c) {
			uint32_t run = k->rx_cap - at < c - got ? k->rx_cap - at : c - got;

			memcpy(tmp + got, k->rx + at, run);
			at = (at + run) % k->rx_cap;
			got += run;
		}
		/* kernel tcp_recvmsg_locked(): a fault keeps the data; -EFAULT if nothing
		   moved; MSG_TRUNC copies nothing (the data is discarded) */
		if (!(flags & MSG_TRUNC) && aring__sim_iov_copy_in(v, r->done_bytes, tmp, c)) {
			if (!r->done_bytes) {
				r->res = -EFAULT;
				return SIM_DONE;
			}
			break;
		}
		r->done_bytes += c;
		if (flags & MSG_PEEK)
			break;
		k->rx_head = at;
		k->rx_len -= c;
		if (k->urg_at)
			k->urg_at -= c;
		if (!k->rx_len)
			k->rx_head = 0;
	}
	if (r->done_bytes && !(flags & MSG_PEEK))
		conn_wake(s, k); /* room for the peer's sends */
	if (r->done_bytes >= n || (r->done_bytes && !(flags & MSG_WAITALL)) ||
	    (r->done_bytes && (flags & MSG_PEEK)) || (r->done_bytes && sim_rx_ready(k))) {
		r->res = (int32_t)r->done_bytes;
		return SIM_DONE;
	}
	if (k->err && !r->done_bytes) {
		r->res = -k->err;
		k->err = 0;
		return SIM_DONE;
	}
	/* Bytes still in flight come before the FIN (sim/netsim.c). */
	if ((k->rd_eof || k->state == SIM_SOCK_CLOSED || k->err) && !k->rx_flight) {
		r->res = (int32_t)r->done_bytes;
		return SIM_DONE;
	}
	if (dontwait(f, flags)) {
		r->res = r->done_bytes ? (int32_t)r->done_bytes : -EAGAIN;
		return SIM_DONE;
	}
	aring__sim_wait(s, r, &k->wq);
	return SIM_BLOCK;
}

/* kernel net/ipv4/tcp.c tcp_sendmsg_locked() under io_send()'s MSG_DONTWAIT: what fits. */
enum sim_exec aring__sim_sock_send(struct sim *s, struct sim_req *r, struct sim_file *f,
				   const struct sim_iov *v, uint64_t n, unsigned flags)
{
	struct sim_sock *k = f->sock, *p;
	uint8_t tmp[4096];

	/* kernel tcp_sendmsg_locked() -> tcp_sendmsg_fastopen() -> __inet_stream_connect() */
	if ((flags & MSG_FASTOPEN) && k->state == SIM_SOCK_CONNECTED) {
		r->res = -EISCONN;
		return SIM_DONE;
	}
	for (;;) {
		if (k->err) {
			r->res = r->done_bytes ? (int32_t)r->done_bytes : -k->err;
			if (!r->done_bytes)
				k->err = 0;
			return SIM_DONE;
		}
		if (k->state != SIM_SOCK_CONNECTED || k->wr_shut) {
			r->res = r->done_bytes ? (int32_t)r->done_bytes : -EPIPE;
			return SIM_DONE;
		}
		if (k->peer_gone) {
			/* The data goes out; the closed peer answers with a reset. */
			r->res = (int32_t)n;
			k->peer_gone = false;
			k->err = ECONNRESET;
			k->wr_shut = k->rd_eof = true;
			k->state = SIM_SOCK_CLOSED;
			aring__sim_wake(s, &k->wq);
			return SIM_DONE;
		}
		if (r->done_bytes >= n)
			break;
		p = k->peer;
		assert(p);
		if (p->rx_len == SIM_SOCK_BUF) {
			/* kernel io_send(): min_ret is 0 without MSG_WAITALL, so a
			   nonblocking tcp_sendmsg() that moved some bytes completes
			   short (no io_net_retry()); it waits only while none fit */
			if (dontwait(f, flags) || (r->done_bytes && !(flags & MSG_WAITALL))) {
				r->res = r->done_bytes ? (int32_t)r->done_bytes : -EAGAIN;
				mark_urg(p, r, flags);
				return SIM_DONE;
			}
			aring__sim_wait(s, r, &k->wq);
			return SIM_BLOCK;
		}
		{
			uint64_t left = n - r->done_bytes;
			uint32_t room = SIM_SOCK_BUF - p->rx_len;
			uint32_t c = left < sizeof(tmp) ? (uint32_t)left : (uint32_t)sizeof(tmp);
			uint32_t done = 0;

			if (c > room)
				c = room;
			/* kernel tcp_sendmsg_locked(): a fault sends nothing more */
			if (aring__sim_iov_copy_out(v, r->done_bytes, tmp, c)) {
				r->res = r->done_bytes ? (int32_t)r->done_bytes : -EFAULT;
				return SIM_DONE;
			}
			if (rx_reserve(p, p->rx_len + c)) {
				r->res = r->done_bytes ? (int32_t)r->done_bytes : -ENOMEM;
				return SIM_DONE;
			}
			while (done < c) {
				uint32_t at = (p->rx_head + p->rx_len) % p->rx_cap;
				uint32_t run = p->rx_cap - at < c - done ? p->rx_cap - at : c - done;

				memcpy(p->rx + at, tmp + done, run);
				p->rx_len += run;
				done += run;
			}
			r->done_bytes += c;
			if (!p->cross)
				aring__sim_wake(s, &p->wq);
			else if (aring__sim_net_send(aring__sim_world_net(s), s, p, c)) {
				p->rx_len -= c; /* not sent after all */
				r->done_bytes -= c;
				r->res = r->done_bytes ? (int32_t)r->done_bytes : -ENOMEM;
				return SIM_DONE;
			}
		}
	}
	r->res = (int32_t)r->done_bytes;
	mark_urg(k->peer, r, flags);
	return SIM_DONE;
}

#define SEND_IOPRIO (IORING_RECVSEND_POLL_FIRST)
#define BUNDLE ARING_RECVSEND_BUNDLE
#define SEND_VEC ARING_SEND_VECTORIZED

/*
 * kernel io_sendmsg_prep(), io_recvmsg_prep(), io_send_zc_prep(): the
 * ioprio flags each takes: a bundle is a send's or a recv's; every send
 * takes IORING_SEND_VECTORIZED (only send and send_zc use it).
 */
static int sendrecv_ioprio(const struct sim_req *r, bool zc)
{
	bool recv = r->opcode == IORING_OP_RECV || r->opcode == IORING_OP_RECVMSG;
	bool bundle = r->opcode == IORING_OP_SEND || r->opcode == IORING_OP_RECV;

	if (r->sqe.ioprio & ~(SEND_IOPRIO |
			      (zc ? IORING_RECVSEND_FIXED_BUF | ARING_SEND_ZC_REPORT_USAGE : 0) |
			      (recv ? IORING_RECV_MULTISHOT : SEND_VEC) | (bundle ? BUNDLE : 0)))
		return -EINVAL;
	return 0;
}

static int check_sendrecv(struct sim_req *r, bool zc)
{
	if (sendrecv_ioprio(r, zc))
		return -EINVAL;
	if (zc && (r->sqe.ioprio & IORING_RECVSEND_FIXED_BUF))
		return -EFAULT; /* no registered buffers */
	if (!r->file || r->file->type != SIM_F_SOCK)
		return -ENOTSOCK;
	return 0;
}

/*
 * kernel io_uring/net.c io_recvmsg_prep() (recv and recvmsg): a multishot
 * receive needs provided buffers and takes no MSG_WAITALL.
 */
int aring__sim_prep_recv(struct sim *s, struct sim_req *r)
{
	bool recv = r->opcode == IORING_OP_RECV || r->opcode == IORING_OP_RECVMSG;

	(void)s;
	if ((r->sqe.ioprio & IORING_RECV_MULTISHOT) && recv) {
		if (!(r->sqe.flags & IOSQE_BUFFER_SELECT))
			return -EINVAL;
		if (r->sqe.msg_flags & MSG_WAITALL)
			return -EINVAL;
	}
	/* sqe->optlen (file_index's union, Linux 6.17) is a multishot recv's byte limit only */
	if (recv && r->sqe.file_index &&
	    (r->opcode != IORING_OP_RECV || !(r->sqe.ioprio & IORING_RECV_MULTISHOT)))
		return -EINVAL;
	return 0;
}

/*
 * kernel io_recv_finish(): a multishot recv's byte limit (sqe->optlen,
 * IORING_RECV_MSHOT_LIM; kept in r->sqe.file_index) goes down by what a
 * CQE reports (a bundle's running total, as the kernel counts it); once it
 * is reached, that CQE is the last.
 */
static void mshot_limit(struct sim_req *r, int32_t res)
{
	uint32_t lim = r->sqe.file_index;

	if (!r->multishot || !lim || res <= 0)
		return;
	lim -= (uint32_t)res < lim ? (uint32_t)res : lim;
	r->sqe.file_index = lim;
	if (!lim)
		r->multishot = false;
}

/*
 * A receive of IORING_OP_RECV / RECVMSG: aring__sim_sock_recv(), and the
 * CQE's IORING_CQE_F_SOCK_NONEMPTY. kernel io_recv_finish() sets it when
 * msg_inq > 0; io_recv()/io_recvmsg() ask for it (msg_get_inq) and
 * tcp_recvmsg() fills it when it returns >= 0 (an error leaves -1) with
 * tcp_inq_hint(): the bytes received and not read (an urgent byte not yet
 * skipped counts; bytes in flight between nodes do not), or 1 once the
 * peer's FIN came (SOCK_DONE). So a receive of 0 bytes, MSG_PEEK, MSG_OOB
 * and the read at EOF after a FIN all report it; a read at EOF after our
 * own SHUT_RD or a reset does not. Checked on Linux 6.18
 * (tests/conform_cases.c net_recv_*).
 */
static enum sim_exec recv_sock(struct sim *s, struct sim_req *r, const struct sim_iov *v,
			       uint64_t n, unsigned flags)
{
	enum sim_exec e = aring__sim_sock_recv(s, r, r->file, v, n, flags);
	const struct sim_sock *k = r->file->sock;

	if (e == SIM_DONE && r->res >= 0 && (sim_rx_ready(k) || (k->fin && !k->rx_flight)))
		r->cflags |= IORING_CQE_F_SOCK_NONEMPTY;
	return e;
}

/* A send's own buffer: sqe->addr and len, or an iovec array with IORING_SEND_VECTORIZED. */
static int send_import(const struct sim_req *r, struct sim_iov *v)
{
	if (r->sqe.ioprio & SEND_VEC)
		return aring__sim_iov_import(v, (const struct iovec *)(uintptr_t)r->sqe.addr, r->sqe.len);
	return aring__sim_iov_ubuf(v, r->sqe.addr, r->sqe.len);
}

/*
 * kernel io_send_setup() at prep: IORING_SEND_VECTORIZED imports the iovec
 * array (io_net_import_vec(): -EFAULT, -EINVAL), not with a provided
 * buffer, and not with a registered one (-EINVAL).
 */
static int prep_send(struct sim *s, struct sim_req *r)
{
	bool zc = r->opcode == IORING_OP_SEND_ZC;
	struct sim_iov v;

	(void)s;
	if (!(r->sqe.ioprio & SEND_VEC) || sendrecv_ioprio(r, zc) ||
	    (r->sqe.flags & IOSQE_BUFFER_SELECT))
		return 0;
	if (zc && (r->sqe.ioprio & IORING_RECVSEND_FIXED_BUF))
		return -EINVAL;
	return send_import(r, &v);
}

static enum sim_exec recv_xfer(struct sim *s, struct sim_req *r, const struct sim_iov *v,
			       uint64_t n, void *arg)
{
	enum sim_exec e = recv_sock(s, r, v, n, *(unsigned *)arg);

	if (e == SIM_DONE)
		mshot_limit(r, r->res);
	return e;
}

/*
 * kernel io_send() from a provided buffer (IOSQE_BUFFER_SELECT, Linux
 * 6.10): the buffer is picked at the first issue
 * (aring__soft_send_buffer_select(); sqe->addr and sqe->len hold it from
 * then on, as the kernel's sr->buf and sr->len do) and kept while the send
 * waits for room (a ring's is committed already; a legacy one the kernel
 * puts back when it arms poll and picks again from the head: the same one
 * unless another request took it meanwhile). The CQE names it whatever
 * the result, an error too (io_send_finish() -> io_put_kbuf()).
 */
static enum sim_exec send_bufsel(struct sim *s, struct sim_req *r, unsigned flags)
{
	struct sim_iov v;
	uint64_t addr;
	uint32_t len = r->sqe.len;
	enum sim_exec e = SIM_DONE;
	int ret;

	if (!r->sr.kbuf) {
		ret = aring__soft_send_buffer_select(s->ring, &r->sr, &addr, &len);
		if (ret) {
			r->res = ret;
			return SIM_DONE;
		}
		r->sqe.addr = addr;
		r->sqe.len = len;
	}
	ret = aring__sim_iov_ubuf(&v, r->sqe.addr, r->sqe.len);
	if (ret)
		r->res = ret;
	else
		e = aring__sim_sock_send(s, r, r->file, &v,
					 aring__sim_fault_limit(s, r, v.one.iov_len), flags);
	if (e != SIM_DONE)
		return e;
	r->cflags |= aring__soft_put_kbuf(s->ring, &r->sr, r->res);
	if ((flags & MSG_WAITALL) && r->res >= 0 && (uint64_t)r->res < r->sqe.len)
		r->fail = true;
	return SIM_DONE;
}

/* kernel io_bundle_nbufs(): how many of the n buffers len bytes used. */
static unsigned bundle_nbufs(const struct iovec *iov, unsigned n, int32_t len)
{
	unsigned k = 0;

	if (len <= 0)
		return 0;
	if (n == 1)
		return 1;
	while (k < n && len > 0) {
		size_t seg = iov[k++].iov_len;

		len -= seg < (size_t)len ? (int32_t)seg : len;
	}
	return k;
}

/* r's array for a bundle's buffers (SOFT_PEEK_MAX: off the task's stack), freed with r. */
static struct iovec *bvec_of(struct sim_req *r)
{
	if (!r->bvec)
		r->bvec = malloc(SOFT_PEEK_MAX * sizeof(*r->bvec));
	return r->bvec;
}

/* tcp_inq_hint() (see recv_sock()): the bytes queued, and the FIN's sequence number. */
static uint32_t sock_inq(const struct sim_sock *k)
{
	return sim_rx_ready(k) + (k->fin && !k->rx_flight);
}

/*
 * A receive bundle (IORING_RECVSEND_BUNDLE into a buffer ring, Linux 6.10;
 * 6.18's io_recv(), io_recv_buf_select(), io_recv_finish()). The first
 * receive maps one buffer (sqe->len 0) or as many as sqe->len needs
 * (aring__soft_buffers_peek()); if it filled them, more than one byte is
 * queued, and the peek neither took the last entry nor cut one, a second
 * receive maps what is queued and adds to the first: one CQE, res the
 * total, the first buffer's bid, SOCK_NONEMPTY as the last receive left it.
 * The buffers used are taken (io_put_kbufs()); nothing moved, they stay.
 * Multishot posts a bundle per CQE (F_MORE) until 0 bytes, an error or
 * -ENOBUFS, or its byte limit (mshot_limit()), which also caps each peek.
 * Not modelled: MSG_WAITALL (the kernel commits what came and goes on
 * later; the sim completes with what came, as without it).
 */
static enum sim_exec recv_bundle(struct sim *s, struct sim_req *r, unsigned flags)
{
	struct iovec *iov = bvec_of(r);
	uint32_t max_len = r->sqe.len, first = 0;
	int32_t total = 0;
	unsigned pass;

	if (!iov) {
		r->res = -ENOMEM;
		return SIM_DONE;
	}
	if (r->polled && !(aring__sim_poll_mask(r->file) & (POLLIN | POLLRDNORM | POLLHUP | POLLERR))) {
		aring__sim_wait(s, r, aring__sim_file_waitq(r->file));
		return SIM_BLOCK;
	}
	for (pass = 0;; pass++) {
		uint32_t lim = r->multishot ? r->sqe.file_index : 0;
		unsigned pf, nb;
		int n = aring__soft_buffers_peek(s->ring, &r->sr,
						 lim && (!max_len || lim < max_len) ? lim : max_len,
						 false, iov, &pf);
		struct sim_iov v = { .iov = iov };
		enum sim_exec e;

		if (n < 0) {
			/* the second peek failed: the first's bytes, and the link fails */
			r->res = pass ? total : n;
			r->fail = pass;
			break;
		}
		v.nr = (unsigned)n;
		for (nb = 0; nb < v.nr; nb++)
			v.len += iov[nb].iov_len;
		r->done_bytes = 0;
		r->cflags &= ~IORING_CQE_F_SOCK_NONEMPTY;
		e = recv_sock(s, r, &v, aring__sim_fault_limit(s, r, v.len), flags & ~MSG_WAITALL);
		if (e != SIM_DONE) {
			aring__soft_kbuf_recycle(s->ring, &r->sr);
			r->polled = true;
			return e;
		}
		if (r->res <= 0) {
			aring__soft_kbuf_recycle(s->ring, &r->sr);
			if (pass) {
				r->fail = r->res < 0;
				r->res = total;
			}
			break;
		}
		nb = bundle_nbufs(iov, v.nr, r->res);
		if (!pass)
			first = aring__soft_put_kbufs(s->ring, &r->sr, r->res, nb);
		else
			(void)aring__soft_put_kbufs(s->ring, &r->sr, r->res, nb);
		total += r->res;
		mshot_limit(r, total);
		if (pass || (pf & (SOFT_PEEK_EMPTY | SOFT_PEEK_PARTIAL)) || (uint64_t)r->res < v.len ||
		    sock_inq(r->file->sock) <= 1 || (lim && !r->multishot)) {
			r->res = total;
			break;
		}
		max_len = sock_inq(r->file->sock);
	}
	r->cflags |= first;
	if (r->multishot && r->res > 0) {
		r->polled = true;
		return SIM_MORE;
	}
	return SIM_DONE;
}

/*
 * A send bundle (IORING_RECVSEND_BUNDLE, Linux 6.10; 6.18's io_send(),
 * io_send_select_buffer(), io_send_finish()): as many ring buffers as
 * sqe->len needs (all there are, 256 at most, for 0) are taken at once and
 * sent as one, waiting for room (MSG_WAITALL); the CQE names the first. If
 * the send never waited and entries are left, it posts with F_MORE and
 * goes on with the rest (sqe->len 0 from then on). Without
 * IOSQE_BUFFER_SELECT the kernel does the same on the request's own
 * buffer: the bytes with F_MORE, then a send of nothing, 0.
 */
static enum sim_exec send_bundle(struct sim *s, struct sim_req *r, struct sim_iov *v,
				 unsigned flags)
{
	bool bsel = r->sqe.flags & IOSQE_BUFFER_SELECT;
	enum sim_exec e;
	int32_t res;

	if (bsel && !r->bnr) {
		struct iovec *iov = bvec_of(r);
		unsigned pf, k;
		int n = iov ? aring__soft_buffers_peek(s->ring, &r->sr,
						       r->sqe.len ? r->sqe.len : INT32_MAX, true, iov, &pf)
			    : -ENOMEM;

		if (n < 0) {
			r->res = n;
			return SIM_DONE;
		}
		r->bnr = (uint16_t)n;
		r->bflags = (uint8_t)pf;
		for (r->sqe.len = 0, k = 0; k < r->bnr; k++)
			r->sqe.len += (uint32_t)iov[k].iov_len;
	}
	if (bsel)
		*v = (struct sim_iov){ .iov = r->bvec, .nr = r->bnr, .len = r->sqe.len };
	e = aring__sim_sock_send(s, r, r->file, v, aring__sim_fault_limit(s, r, v->len),
				 flags | MSG_WAITALL);
	if (e != SIM_DONE) {
		r->polled = true;
		return e;
	}
	res = r->res;
	if (bsel) {
		r->cflags |= aring__soft_put_kbufs(s->ring, &r->sr, res,
						   bundle_nbufs(r->bvec, r->bnr, res));
		r->bnr = 0;
	}
	if (res >= 0 && (uint64_t)res < v->len)
		r->fail = true;
	if (res <= 0 || r->polled || (bsel && (r->bflags & SOFT_PEEK_EMPTY)))
		return SIM_DONE;
	r->done_bytes = 0;
	r->sqe.len = 0;
	return SIM_MORE;
}

/* kernel io_uring/net.c io_send(), io_recv(), io_send_zc() */
enum sim_exec aring__sim_op_sendrecv(struct sim *s, struct sim_req *r)
{
	bool zc = r->opcode == IORING_OP_SEND_ZC;
	bool send = r->opcode != IORING_OP_RECV;
	unsigned flags = r->sqe.msg_flags;
	struct sim_iov v = { 0 };
	uint64_t n;
	enum sim_exec e;
	int ret = check_sendrecv(r, zc);

	/* a provided buffer (io_recv_buf_select()); sqe->len caps each receive */
	if (!ret && !send && (r->sqe.flags & IOSQE_BUFFER_SELECT)) {
		r->multishot = r->sqe.ioprio & IORING_RECV_MULTISHOT;
		if (r->sqe.ioprio & BUNDLE)
			return recv_bundle(s, r, flags);
		return aring__sim_bufsel(s, r, r->sqe.len, false, recv_xfer, &flags);
	}
	if (!ret && send && (r->sqe.flags & IOSQE_BUFFER_SELECT) && !(r->sqe.ioprio & BUNDLE))
		return send_bufsel(s, r, flags);
	if (!ret && !(send && (r->sqe.flags & IOSQE_BUFFER_SELECT)))
		ret = send ? send_import(r, &v) : aring__sim_iov_ubuf(&v, r->sqe.addr, r->sqe.len);
	if (ret) {
		r->res = ret;
		return SIM_DONE;
	}
	/* (a recv bundle without provided buffers is a plain recv: io_recv_finish()
	   tries again only into the buffer it filled, and gets nothing) */
	if (send && (r->sqe.ioprio & BUNDLE))
		return send_bundle(s, r, &v, flags);
	n = aring__sim_fault_limit(s, r, aring__sim_iov_len(&v));
	e = send ? aring__sim_sock_send(s, r, r->file, &v, n, flags)
		 : recv_sock(s, r, &v, n, flags);
	/* kernel io_uring/net.c: MSG_WAITALL short of its length fails the link. */
	if (e == SIM_DONE && (flags & MSG_WAITALL) && r->res >= 0 && (uint64_t)r->res < v.len)
		r->fail = true;
	if (e == SIM_DONE && zc)
		return SIM_DONE_NOTIF;
	return e;
}

/*
 * The msghdr and its iovec, as the kernel's io_uring/net.c io_msg_copy_hdr()
 * reads them at prep: an unreadable msghdr -EFAULT, msg_iovlen > UIO_MAXIOV
 * -EMSGSIZE, then lib/iov_iter.c __import_iovec() (-EFAULT, -EINVAL).
 */
static int msg_import(struct sim_req *r, struct msghdr **out, struct sim_iov *v)
{
	struct msghdr *msg = (struct msghdr *)(uintptr_t)r->sqe.addr;

	if (!sim_user_ptr_ok(msg, sizeof(*msg)))
		return -EFAULT;
	if (msg->msg_iovlen > SIM_UIO_MAXIOV)
		return -EMSGSIZE;
	*out = msg;
	return aring__sim_iov_import(v, msg->msg_iov, msg->msg_iovlen);
}

int aring__sim_prep_msg(struct sim *s, struct sim_req *r)
{
	struct msghdr *msg;
	struct sim_iov v;
	int ret = aring__sim_prep_recv(s, r);

	/* io_sendmsg_prep(), io_recvmsg_prep(), io_send_zc_prep(), before the
	   msghdr: no bundle, no addr2, and a send no file_index */
	if (!ret && ((r->sqe.ioprio & BUNDLE) || r->sqe.addr2 ||
		     (r->opcode != IORING_OP_RECVMSG && r->sqe.file_index)))
		ret = -EINVAL;

	if (ret)
		return ret;
	if (r->opcode == IORING_OP_RECVMSG && (r->sqe.flags & IOSQE_BUFFER_SELECT)) {
		/* kernel io_recvmsg_copy_hdr(): with a provided buffer, at most one iovec */
		msg = (struct msghdr *)(uintptr_t)r->sqe.addr;
		if (!sim_user_ptr_ok(msg, sizeof(*msg)))
			return -EFAULT;
		if (msg->msg_iovlen > 1)
			return -EINVAL;
		if (msg->msg_iovlen && !sim_user_ptr_ok(msg->msg_iov, sizeof(struct iovec)))
			return -EFAULT;
		return 0;
	}
	return msg_import(r, &msg, &v);
}

struct recvmsg_arg {
	struct msghdr *msg;
	unsigned flags;
};

/*
 * recvmsg into a provided buffer. Multishot (kernel io_recvmsg_multishot()):
 * the buffer begins with struct io_uring_recvmsg_out, then msg_namelen
 * bytes for the name and msg_controllen for control data, then the
 * payload; the result is the header's size plus the payload's, so the CQE
 * at EOF carries a buffer too (payloadlen 0), and is the last (checked on
 * 6.18: net_recvmsg_mshot in tests/conform_cases.c). A stream socket has no
 * address or control data to give (namelen, controllen, flags 0).
 */
static enum sim_exec recvmsg_xfer(struct sim *s, struct sim_req *r, const struct sim_iov *v,
				  uint64_t n, void *arg)
{
	struct recvmsg_arg *a = arg;
	struct io_uring_recvmsg_out out;
	uint64_t hdr = sizeof(out) + a->msg->msg_namelen + a->msg->msg_controllen;
	struct sim_iov pv;
	enum sim_exec e;

	if (!r->multishot) {
		e = recv_sock(s, r, v, n, a->flags);
		if (e == SIM_DONE && r->res >= 0) {
			if (a->msg->msg_name)
				a->msg->msg_namelen = 0;
			a->msg->msg_flags = 0;
			a->msg->msg_controllen = 0;
		}
		return e;
	}
	/* kernel io_recvmsg_prep_multishot(): no room for the header */
	if (v->one.iov_len < hdr) {
		r->res = -EFAULT;
		return SIM_DONE;
	}
	aring__sim_iov_ubuf(&pv, (uint64_t)(uintptr_t)v->one.iov_base + hdr, v->one.iov_len - hdr);
	e = recv_sock(s, r, &pv, n > hdr ? n - hdr : 0, a->flags);
	if (e != SIM_DONE || r->res < 0)
		return e;
	/* io_recvmsg_multishot(): a read of nothing (EOF) finishes the request,
	   its header-only CQE the last (no F_MORE; io_recv_finish()) */
	if (!r->res)
		r->multishot = false;
	memset(&out, 0, sizeof(out));
	out.payloadlen = (uint32_t)r->res;
	if (aring__sim_iov_copy_in(v, 0, &out, sizeof(out))) {
		r->res = -EFAULT;
		return SIM_DONE;
	}
	r->res += (int32_t)hdr;
	return SIM_DONE;
}

/*
 * kernel net/socket.c ____sys_sendmsg() (control length and copy) and
 * net/core/sock.c sock_cmsg_send() (as tcp_sendmsg_locked() calls it: a
 * malformed cmsg, or a SOL_SOCKET one TCP does not take, is -EINVAL; other
 * levels are ignored).
 */
static int msg_control(const struct msghdr *msg)
{
	const struct cmsghdr *c;

	if (!msg->msg_controllen)
		return 0;
	if (msg->msg_controllen > INT_MAX)
		return -ENOBUFS;
	if (!sim_user_ptr_ok(msg->msg_control, msg->msg_controllen))
		return -EFAULT;
	for (c = CMSG_FIRSTHDR(msg); c; c = CMSG_NXTHDR((struct msghdr *)msg, (struct cmsghdr *)c)) {
		if (c->cmsg_len < sizeof(*c) ||
		    c->cmsg_len > msg->msg_controllen - (size_t)((const char *)c -
								 (const char *)msg->msg_control))
			return -EINVAL;
		if (c->cmsg_level == SOL_SOCKET && c->cmsg_type != SCM_RIGHTS &&
		    c->cmsg_type != SCM_CREDENTIALS && c->cmsg_type != SO_MARK &&
		    c->cmsg_type != SO_PRIORITY && c->cmsg_type != SO_TIMESTAMPING_OLD &&
		    c->cmsg_type != SCM_TXTIME)
			return -EINVAL;
	}
	return 0;
}

/* kernel io_uring/net.c io_sendmsg(), io_recvmsg() */
enum sim_exec aring__sim_op_msg(struct sim *s, struct sim_req *r)
{
	bool send = r->opcode != IORING_OP_RECVMSG;
	unsigned flags = r->sqe.msg_flags;
	struct msghdr *msg;
	struct sim_iov v;
	uint64_t n, want;
	enum sim_exec e;
	int ret = msg_import(r, &msg, &v);

	if (!ret)
		ret = check_sendrecv(r, false);
	if (!ret && send)
		ret = msg_control(msg);
	if (ret) {
		r->res = ret;
		return SIM_DONE;
	}
	if (!send && (r->sqe.flags & IOSQE_BUFFER_SELECT)) {
		struct recvmsg_arg a = { msg, flags };

		r->multishot = r->sqe.ioprio & IORING_RECV_MULTISHOT;
		return aring__sim_bufsel(s, r, msg->msg_iovlen ? (uint32_t)msg->msg_iov[0].iov_len : 0,
					 false, recvmsg_xfer, &a);
	}
	want = aring__sim_iov_len(&v);
	n = aring__sim_fault_limit(s, r, want);
	e = send ? aring__sim_sock_send(s, r, r->file, &v, n, flags)
		 : recv_sock(s, r, &v, n, flags);
	if (e == SIM_DONE && !send && r->res >= 0) {
		/* net/socket.c ____sys_recvmsg(): TCP has no address, flags or cmsgs to give */
		if (msg->msg_name)
			msg->msg_namelen = 0;
		msg->msg_flags = 0;
		msg->msg_controllen = 0;
	}
	if (e == SIM_DONE && (flags & MSG_WAITALL) && r->res >= 0 && (uint64_t)r->res < want)
		r->fail = true;
	if (e == SIM_DONE && r->opcode == IORING_OP_SENDMSG_ZC)
		return SIM_DONE_NOTIF;
	return e;
}

/* kernel io_uring/net.c io_shutdown_prep(); inet_shutdown(), tcp_shutdown() */
enum sim_exec aring__sim_op_shutdown(struct sim *s, struct sim_req *r)
{
	struct sim_sock *k = sock_of(r);
	unsigned how = r->sqe.len;

	/* io_shutdown_prep()'s checks and io_shutdown()'s -ENOTSOCK fail the
	   request in the core; __sys_shutdown_sock()'s errors leave its link
	   alone (ARING__OPF_KEEPLINK) */
	r->fail = true;
	if (r->sqe.off || r->sqe.addr || r->sqe.rw_flags || r->sqe.buf_index ||
	    r->sqe.splice_fd_in || r->sqe.addr3) {
		r->res = -EINVAL;
		return SIM_DONE;
	}
	if (!k) {
		r->res = -ENOTSOCK;
		return SIM_DONE;
	}
	r->fail = false;
	if (how > SHUT_RDWR) {
		r->res = -EINVAL;
		return SIM_DONE;
	}
	if (k->state != SIM_SOCK_CONNECTED) {
		r->res = -ENOTCONN;
		return SIM_DONE;
	}
	if (how == SHUT_RD || how == SHUT_RDWR)
		k->rd_eof = true;
	if ((how == SHUT_WR || how == SHUT_RDWR) && !k->wr_shut) {
		k->wr_shut = true;
		if (k->peer)
			k->peer->rd_eof = k->peer->fin = true; /* FIN */
	}
	conn_wake(s, k);
	r->res = 0;
	return SIM_DONE;
}

/* ---------------------------------------------------------------- close */

static void reset_peer(struct sim *s, struct sim_sock *p)
{
	aring__sim_net_forget(p);
	p->err = ECONNRESET;
	p->rd_eof = p->wr_shut = true;
	p->state = SIM_SOCK_CLOSED;
	p->peer = NULL;
	p->peer_gone = false;
	aring__sim_wake(s, &p->wq);
}

void aring__sim_sock_abort(struct sim_sock *k, int err)
{
	if (k->peer)
		k->peer->peer = NULL;
	k->peer = NULL;
	reset_peer(k->owner, k);
	k->err = err;
}

static void sock_release(struct sim *s, struct sim_sock *k)
{
	struct sim_sock *p = k->peer;

	if (k->state == SIM_SOCK_LISTEN) {
		while (k->acceptq_len) {
			struct sim_sock *c =
				k->acceptq[(k->acceptq_head + --k->acceptq_len) % k->acceptq_cap];

			c->listener = NULL;
			sock_release(s, c);
		}
	}
	if (p) {
		p->peer = NULL;
		if (k->rx_len) {
			reset_peer(s, p); /* unread data: RST (kernel tcp_close()) */
		} else {
			p->rd_eof = p->fin = true; /* FIN */
			if (!p->wr_shut)
				p->peer_gone = true;
			aring__sim_wake(s, &p->wq);
		}
	}
	k->peer = NULL;
	aring__sim_wake(s, &k->wq);
	sock_free(s, k);
}

void aring__sim_sock_closed(struct sim *s, struct sim_sock *k)
{
	k->file = NULL;
	sock_release(s, k);
}

void aring__sim_net_destroy(struct sim *s)
{
	/* After the fd table: sockets held by files went with it, queued ones with their listener. */
	while (s->socks.next && !sim_list_empty(&s->socks)) {
		struct sim_sock *k = sim_container_of(s->socks.next, struct sim_sock, all);

		assert(!k->file);
		if (k->peer)
			k->peer->peer = NULL;
		k->peer = NULL;
		sock_free(s, k);
	}
	for (unsigned i = 0; i < 256; i++) {
		free(s->ports[i]);
		s->ports[i] = NULL;
	}
	aring__sim_bits_free(&s->port_used);
}

int aring__sim_getsockname(struct sim *s, int fd, struct sockaddr *addr, socklen_t *addrlen,
			   bool peer)
{
	struct sim_file *f = aring__sim_fd_get(s, fd);

	if (!f)
		return -EBADF;
	if (f->type != SIM_F_SOCK)
		return -ENOTSOCK;
	if (!addr)
		return -EFAULT;
	if (peer && f->sock->state != SIM_SOCK_CONNECTED)
		return -ENOTCONN;
	return fill_addr(f->sock, peer, addr, addrlen);
}

/* The ops this file models: its part of the sim's op table (sim/ops.c). */
const struct sim_opdef aring__sim_net_ops[ARING_OP_LAST] = {
	[IORING_OP_SENDMSG]         = { .prep = aring__sim_prep_msg, .exec = aring__sim_op_msg },
	[IORING_OP_RECVMSG]         = { .prep = aring__sim_prep_msg, .exec = aring__sim_op_msg },
	[IORING_OP_ACCEPT]          = { .exec = aring__sim_op_accept },
	[IORING_OP_CONNECT]         = { .exec = aring__sim_op_connect },
	[IORING_OP_SEND]            = { .prep = prep_send, .exec = aring__sim_op_sendrecv },
	[IORING_OP_RECV]            = { .prep = aring__sim_prep_recv, .exec = aring__sim_op_sendrecv },
	[IORING_OP_SHUTDOWN]        = { .exec = aring__sim_op_shutdown },
	[IORING_OP_SOCKET]          = { .exec = aring__sim_op_socket },
	[IORING_OP_SEND_ZC]         = { .prep = prep_send, .exec = aring__sim_op_sendrecv },
	[IORING_OP_SENDMSG_ZC]      = { .prep = aring__sim_prep_msg, .exec = aring__sim_op_msg },
	[ARING_OP_BIND]             = { .exec = aring__sim_op_bind },
	[ARING_OP_LISTEN]           = { .exec = aring__sim_op_listen },
};
