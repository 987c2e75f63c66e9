/* SPDX-License-Identifier: MIT */
/*
 * The network between the nodes of a world (TigerBeetle's
 * packet_simulator.zig in spirit: links with a delay, partitions, clogging).
 *
 * A connection between two nodes (sim/net.c) puts the bytes a send moves at
 * the tail of the receiver's buffer at once, so that flow control stays the
 * socket's, but they are "in flight" (sim_sock.rx_flight) until their
 * segment is delivered: recv sees only delivered bytes. Each receiving
 * socket holds its segments in a FIFO and only its head is ever delivered,
 * so nothing overtakes anything within a connection, and a segment is
 * delivered once.
 *
 * When a head segment comes due:
 *   - the link from its sender's node is cut (aring_sim_partition): it is
 *     held; once the link heals it is due again one link latency later; if
 *     it is still held after ARING_SIM_RETRANSMIT_TIMEOUT_NS the sender's
 *     connection times out (net.ipv4.tcp_retries2 = 15);
 *   - with net_reset_ppm: the connection is reset (both ends -ECONNRESET);
 *   - with net_clog_ppm (once per segment): held for a while drawn in
 *     [net_clog_min_ns, net_clog_max_ns];
 *   - else delivered: the receiver's waiters wake.
 *
 * Link latency: drawn from the world's seed and the pair (a, b), so it is
 * the same whichever connection first uses the link, and stays fixed.
 */
#include "config.h"
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "sim/sim.h"

struct sim_net {
	uint64_t seed;
	struct aring_sim_opts o;          /* its net_* fields */
	struct sim_prng rng;              /* resets, clogs */
	uint64_t cut[ARING_SIM_MAX_NODES][(ARING_SIM_MAX_NODES + 63) / 64]; /* bit [from][to] */
	struct sim_list flight;           /* sim_sock.in_flight: sockets with segments */
};

int aring__sim_net_world_new(struct sim_net **out, uint64_t seed)
{
	struct sim_net *n = aring__sim_zalloc(sizeof(*n)); /* cut[][]: 8 KiB of bits */

	if (!n)
		return -ENOMEM;
	n->seed = seed;
	aring__sim_prng_seed(&n->rng, seed, SIM_STREAM_LINK);
	sim_list_init(&n->flight);
	*out = n;
	return 0;
}

void aring__sim_net_world_free(struct sim_net *n)
{
	if (!n)
		return;
	/* Every socket was freed with its node (aring__sim_net_forget). */
	assert(sim_list_empty(&n->flight));
	aring__sim_zfree(n, sizeof(*n));
}

void aring__sim_net_set(struct sim_net *n, const struct aring_sim_opts *o)
{
	n->o = *o;
}

bool aring__sim_net_cut(struct sim_net *n, uint32_t a, uint32_t b)
{
	return (n->cut[a][b / 64] >> (b % 64)) & 1;
}

int aring__sim_net_partition(struct sim_net *n, uint32_t a, uint32_t b, unsigned flags)
{
	if (flags & ~ARING_SIM_ONE_WAY)
		return -EINVAL;
	n->cut[a][b / 64] |= 1ull << (b % 64);
	if (!(flags & ARING_SIM_ONE_WAY))
		n->cut[b][a / 64] |= 1ull << (a % 64);
	return 0;
}

void aring__sim_net_heal(struct sim_net *n, uint32_t a, uint32_t b)
{
	n->cut[a][b / 64] &= ~(1ull << (b % 64));
	n->cut[b][a / 64] &= ~(1ull << (a % 64));
}

/* The fixed latency of the link a -> b. */
static uint64_t link_latency(struct sim_net *n, uint32_t a, uint32_t b)
{
	uint64_t lo = n->o.net_latency_min_ns, hi = n->o.net_latency_max_ns;
	uint64_t st = n->seed ^ ((uint64_t)a << 40) ^ ((uint64_t)b << 20) ^ 0x6c696e6bull;

	if (hi <= lo)
		return lo;
	return lo + aring__sim_splitmix64(&st) % (hi - lo + 1);
}

static uint64_t add_sat(uint64_t a, uint64_t b)
{
	return a > UINT64_MAX - b ? UINT64_MAX : a + b;
}

uint64_t aring__sim_net_rtt(struct sim_net *n, uint32_t a, uint32_t b)
{
	return add_sat(link_latency(n, a, b), link_latency(n, b, a));
}

int aring__sim_net_send(struct sim_net *n, struct sim *from, struct sim_sock *p, uint32_t len)
{
	struct sim_seg *g;
	uint64_t due;

	if (p->seg_len == p->seg_cap) {
		uint32_t cap = p->seg_cap ? p->seg_cap * 2 : 8, i;
		struct sim_seg *segs = malloc(cap * sizeof(*segs));

		if (!segs)
			return -ENOMEM;
		for (i = 0; i < p->seg_len; i++)
			segs[i] = p->segs[(p->seg_head + i) % p->seg_cap];
		free(p->segs);
		p->segs = segs;
		p->seg_cap = cap;
		p->seg_head = 0;
	}
	due = add_sat(from->now_ns, link_latency(n, from->node, p->owner->node));
	if (due < p->last_due_ns)
		due = p->last_due_ns;
	p->last_due_ns = due;
	g = &p->segs[(p->seg_head + p->seg_len++) % p->seg_cap];
	memset(g, 0, sizeof(*g));
	g->len = len;
	g->due_ns = due;
	p->rx_flight += len;
	if (!sim_list_linked(&p->in_flight))
		sim_list_add_tail(&n->flight, &p->in_flight);
	aring__sim_trace_note(from, "net_send", p->owner->node, len);
	return 0;
}

void aring__sim_net_forget(struct sim_sock *p)
{
	assert(p->rx_flight <= p->rx_len);
	p->rx_len -= p->rx_flight;
	if (!p->rx_len)
		p->rx_head = 0;
	p->rx_flight = 0;
	p->seg_len = p->seg_head = 0;
	if (sim_list_linked(&p->in_flight))
		sim_list_del(&p->in_flight);
	free(p->segs);
	p->segs = NULL;
	p->seg_cap = 0;
}

static struct sim_seg *head(struct sim_sock *p)
{
	return &p->segs[p->seg_head];
}

uint64_t aring__sim_net_next(struct sim_net *n, uint64_t now_ns)
{
	uint64_t next = UINT64_MAX;
	struct sim_list *l;

	for (l = n->flight.next; l != &n->flight; l = l->next) {
		struct sim_sock *p = sim_container_of(l, struct sim_sock, in_flight);
		struct sim_seg *g = head(p);
		uint64_t t;

		if (!g->held)
			t = g->due_ns;
		else if (aring__sim_net_cut(n, p->peer_node, p->owner->node))
			t = add_sat(g->held_ns, ARING_SIM_RETRANSMIT_TIMEOUT_NS);
		else
			t = now_ns; /* healed: due again */
		if (t < next)
			next = t;
	}
	return next < now_ns ? now_ns : next;
}

/* The sender's retransmissions gave up: it times out, p's data is gone. */
static void timed_out(struct sim_sock *p)
{
	struct sim_sock *k = p->peer;

	aring__sim_trace_note(p->owner, "net_timeout", p->peer_node, p->owner->node);
	aring__sim_net_forget(p);
	if (k)
		aring__sim_sock_abort(k, ETIMEDOUT);
	p->peer = NULL;
	if (!p->wr_shut)
		p->peer_gone = true; /* its next send draws a reset */
	aring__sim_wake(p->owner, &p->wq);
}

static void reset(struct sim_sock *p)
{
	struct sim_sock *k = p->peer;

	aring__sim_trace_note(p->owner, "net_reset", p->peer_node, p->owner->node);
	if (k)
		aring__sim_sock_abort(k, ECONNRESET);
	aring__sim_sock_abort(p, ECONNRESET);
}

/* Run p's head segment if it is due: true if something changed (and p may be done). */
static bool run_head(struct sim_net *n, struct sim_sock *p, uint64_t now_ns)
{
	struct sim_seg *g = head(p);
	bool cut = aring__sim_net_cut(n, p->peer_node, p->owner->node);

	if (g->held) {
		if (cut) {
			if (now_ns - g->held_ns < ARING_SIM_RETRANSMIT_TIMEOUT_NS)
				return false;
			timed_out(p);
			return true;
		}
		g->held = false;
		g->due_ns = add_sat(now_ns, link_latency(n, p->peer_node, p->owner->node));
		return true;
	}
	if (g->due_ns > now_ns)
		return false;
	if (cut) {
		g->held = true;
		g->held_ns = now_ns;
		aring__sim_trace_note(p->owner, "net_held", p->peer_node, g->len);
		return true;
	}
	/* Faults go through sim/fault.c (numbered, recorded, maybe suppressed). */
	if (aring__sim_prng_ppm(&n->rng, n->o.net_reset_ppm)) {
		if (aring__sim_fault_record(p->owner, ARING_SIM_FAULT_NET_RESET, ARING_SIM_FAULT_NO_OP,
					    p->peer_node)) {
			reset(p);
			return true;
		}
	} else if (!g->clogged && aring__sim_prng_ppm(&n->rng, n->o.net_clog_ppm)) {
		uint64_t lo = n->o.net_clog_min_ns, hi = n->o.net_clog_max_ns;
		uint64_t hold = hi <= lo ? lo : aring__sim_prng_range(&n->rng, lo, hi);

		if (!aring__sim_fault_record(p->owner, ARING_SIM_FAULT_NET_CLOG,
					     ARING_SIM_FAULT_NO_OP, (int64_t)hold))
			hold = 0; /* suppressed: delivered now */
		g->due_ns = add_sat(now_ns, hold);
		aring__sim_trace_note(p->owner, "net_clog", p->peer_node, g->due_ns - now_ns);
		g->clogged = true; /* delivered when its new time comes */
		if (g->due_ns > now_ns)
			return true;
	}
	aring__sim_trace_note(p->owner, "net_deliver", p->peer_node, g->len);
	p->rx_flight -= g->len;
	p->seg_head = (p->seg_head + 1) % p->seg_cap;
	p->seg_len--;
	if (!p->seg_len)
		sim_list_del(&p->in_flight);
	aring__sim_wake(p->owner, &p->wq);
	return true;
}

bool aring__sim_net_run_due(struct sim_net *n, uint64_t now_ns)
{
	bool changed = false, again = true;

	while (again) {
		struct sim_list *l, *next;

		again = false;
		for (l = n->flight.next; l != &n->flight; l = next) {
			struct sim_sock *p = sim_container_of(l, struct sim_sock, in_flight);

			next = l->next;
			if (run_head(n, p, now_ns))
				again = changed = true;
			/* p may have left the list (and a reset took its peer's too) */
			if (again)
				break;
		}
	}
	return changed;
}
