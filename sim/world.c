/* SPDX-License-Identifier: MIT */
/*
 * Worlds of nodes (include/aring/sim.h "worlds"): one virtual clock, one
 * network, several aring loops on the simulated backend.
 *
 * How the clock is shared: a node's executor wait() (sim/ring.c) never moves
 * time itself. It runs what is due now; when time would have to pass it
 * "parks": it records the soft ring's next timer and returns -EDEADLK, so
 * the node's aring_run returns with its tasks blocked where they stand
 * (exactly as after a deadlock on a lone loop, from which aring_run can be
 * called again). aring_sim_world_run then runs every other node that has
 * something to do at this instant, delivers the network's due segments, and
 * when nothing anywhere can run without time passing, moves every node's
 * clock to the earliest next event of any node (an op's latency, a soft
 * ring timer) or of the network, and goes round again. Nodes run in
 * creation order: one seed gives one run of the whole world.
 *
 * Nothing in the core knows about worlds: a node is a plain sim loop whose
 * sim has s->world set.
 */
#include "config.h"
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>

#include "core/internal.h"
#include "sim/sim.h"

#define NODE_NAME_MAX 63

/*
 * The core's, weak: the white-box tests (tests/test_sim_ring) link the sim
 * without the core, and never make a world.
 */
int aring_run(aring_loop *loop) __attribute__((weak));
int aring_loop_new(aring_loop **loop, const struct aring_loop_opts *opts) __attribute__((weak));
void aring_loop_free(aring_loop *loop) __attribute__((weak));

struct world_node {
	aring_loop *loop;
	struct sim *s;
	bool kick;                     /* run it at the next round whatever its state */
	char name[NODE_NAME_MAX + 1];
};

struct aring_sim_world {
	struct aring_sim_opts opts;
	uint64_t seed;
	uint64_t now_ns;
	bool running;
	struct sim_net *net;
	uint32_t n;
	struct world_node *nodes;      /* n of them, room for cap (doubling) */
	uint32_t cap;
};

static struct sim *sim_from_loop(aring_loop *loop)
{
	if (!loop || loop->kind != ARING_BACKEND_SIM)
		return NULL;
	return sim_of(aring__loop_backend(loop));
}

ARING_API int aring_sim_world_new(aring_sim_world **out, const struct aring_sim_opts *opts)
{
	static const struct aring_sim_opts defaults;
	aring_sim_world *w;
	int ret;

	if (!out)
		return -EINVAL;
	*out = NULL;
	if (!opts)
		opts = &defaults;
	ret = aring__sim_opts_check(opts);
	if (ret)
		return ret;
	w = calloc(1, sizeof(*w));
	if (!w)
		return -ENOMEM;
	w->opts = *opts;
	w->seed = opts->seed ? opts->seed : aring__sim_seed_from_env();
	w->opts.seed = w->seed;
	w->now_ns = SIM_START_NS;
	ret = aring__sim_net_world_new(&w->net, w->seed);
	if (ret) {
		free(w);
		return ret;
	}
	aring__sim_net_set(w->net, &w->opts);
	*out = w;
	return 0;
}

ARING_API void aring_sim_world_free(aring_sim_world *w)
{
	uint32_t i;

	if (!w)
		return;
	assert(!w->running);
	for (i = 0; i < w->n; i++)
		aring_loop_free(w->nodes[i].loop);
	aring__sim_net_world_free(w->net);
	free(w->nodes);
	free(w);
}

ARING_API int aring_sim_node_new(aring_sim_world *w, const char *name,
				 const struct aring_loop_opts *opts, aring_loop **node)
{
	static const struct aring_loop_opts defaults;
	struct aring_loop_opts lo;
	struct aring_sim_opts so;
	struct world_node *wn;
	uint64_t st;
	size_t len;
	uint32_t i;
	int ret;

	if (!w || !name || !node)
		return -EINVAL;
	*node = NULL;
	len = strnlen(name, NODE_NAME_MAX + 1);
	if (len == 0 || len > NODE_NAME_MAX || !strcmp(name, "localhost"))
		return -EINVAL;
	if (!opts)
		opts = &defaults;
	if (w->running)
		return -EBUSY;
	for (i = 0; i < w->n; i++)
		if (!strcmp(w->nodes[i].name, name))
			return -EEXIST;
	if (w->n == ARING_SIM_MAX_NODES)
		return -ENOSPC;
	if (w->n == w->cap) {
		uint32_t cap = w->cap ? 2 * w->cap : 4;
		struct world_node *nn = realloc(w->nodes, cap * sizeof(*nn));

		if (!nn)
			return -ENOMEM;
		w->nodes = nn;
		w->cap = cap;
	}
	so = opts->sim ? *opts->sim : w->opts;
	/* Each node draws from its own stream of the world's seed. */
	st = w->seed ^ ((uint64_t)(w->n + 1) * 0x9e3779b97f4a7c15ull) ^ SIM_STREAM_NODE;
	so.seed = aring__sim_splitmix64(&st);
	if (!so.seed)
		so.seed = 1;
	so.time_limit_ns = 0; /* the world's */
	so.flags |= ARING_SIM_HIGH_FDS;
	lo = *opts;
	lo.backend = ARING_BACKEND_SIM;
	lo.sim = &so;
	wn = &w->nodes[w->n];
	memset(wn, 0, sizeof(*wn));
	ret = aring_loop_new(&wn->loop, &lo);
	if (ret)
		return ret;
	wn->s = sim_from_loop(wn->loop);
	/* the backend its program asked for (include/aring/sim.h) */
	ret = aring__sim_set_asked(wn->s, opts->backend);
	if (ret) {
		aring_loop_free(wn->loop);
		wn->loop = NULL;
		return ret;
	}
	wn->s->world = w;
	wn->s->node = w->n;
	wn->s->now_ns = w->now_ns;
	wn->s->park_deadline_ns = UINT64_MAX;
	wn->kick = true;
	memcpy(wn->name, name, len + 1);
	_Static_assert(sizeof(wn->s->node_name) > NODE_NAME_MAX, "a node's name fits");
	memcpy(wn->s->node_name, name, len + 1); /* its fault records (sim/fault.c) name it */
	w->n++;
	*node = wn->loop;
	return 0;
}

int aring__sim_world_wait(struct sim *s, uint64_t deadline_ns)
{
	struct sim_req *top = aring__sim_heap_top(s);

	if (top && top->event_ns <= s->now_ns) {
		aring__sim_run_due(s);
		return 1;
	}
	if (deadline_ns <= s->now_ns)
		return 0;
	/* Time must pass: only the world moves it (aring_sim_world_run). */
	s->park_deadline_ns = deadline_ns;
	return -EDEADLK;
}

struct sim *aring__sim_world_node(struct sim *s, uint32_t i)
{
	aring_sim_world *w = s->world;

	return w && i < w->n ? w->nodes[i].s : NULL;
}

struct sim_net *aring__sim_world_net(struct sim *s)
{
	return s->world ? s->world->net : NULL;
}

/* Has the node anything to do at this instant? */
static bool node_busy(const struct world_node *wn)
{
	struct sim *s = wn->s;
	aring_loop *l = wn->loop;
	struct sim_req *top = aring__sim_heap_top(s);

	if (wn->kick || l->ready.head || l->batch.head || l->cancelq_head)
		return true;
	if (!l->nlive)
		return false;
	return (top && top->event_ns <= s->now_ns) || s->park_deadline_ns <= s->now_ns;
}

/* The earliest instant anything of the world happens, or UINT64_MAX. */
static uint64_t world_next(aring_sim_world *w)
{
	uint64_t next = aring__sim_net_next(w->net, w->now_ns);
	uint32_t i;

	for (i = 0; i < w->n; i++) {
		struct sim *s = w->nodes[i].s;
		struct sim_req *top = aring__sim_heap_top(s);

		/* A node with no task left is not run again (its aring_run returns at once). */
		if (!w->nodes[i].loop->nlive)
			continue;
		if (top && top->event_ns < next)
			next = top->event_ns;
		if (s->park_deadline_ns < next)
			next = s->park_deadline_ns;
	}
	return next;
}

static void world_set_now(aring_sim_world *w, uint64_t t)
{
	uint32_t i;

	if (t <= w->now_ns)
		return;
	w->now_ns = t;
	for (i = 0; i < w->n; i++)
		w->nodes[i].s->now_ns = t;
}

/* Run every node with something to do now, and the network, until all are idle. */
static int run_instant(aring_sim_world *w)
{
	bool any;

	do {
		uint32_t i;

		any = false;
		for (i = 0; i < w->n; i++) {
			struct world_node *wn = &w->nodes[i];
			int ret;

			if (!node_busy(wn))
				continue;
			wn->kick = false;
			wn->s->park_deadline_ns = UINT64_MAX;
			ret = aring_run(wn->loop);
			if (ret != 0 && ret != -EDEADLK)
				return ret;
			any = true;
		}
		if (aring__sim_net_run_due(w->net, w->now_ns))
			any = true;
	} while (any);
	return 0;
}

ARING_API int aring_sim_world_run(aring_sim_world *w)
{
	uint64_t limit;
	uint32_t i;
	int ret;

	if (!w)
		return -EINVAL;
	if (w->running)
		return -EBUSY;
	w->running = true;
	limit = w->opts.time_limit_ns ? SIM_START_NS + w->opts.time_limit_ns : UINT64_MAX;
	if (limit < SIM_START_NS)
		limit = UINT64_MAX;
	for (i = 0; i < w->n; i++)
		w->nodes[i].kick = true;
	for (;;) {
		uint64_t next;
		bool live = false;

		ret = run_instant(w);
		if (ret)
			break;
		for (i = 0; i < w->n; i++)
			live |= w->nodes[i].loop->nlive != 0;
		if (!live)
			break;
		next = world_next(w);
		if (next == UINT64_MAX) {
			ret = -EDEADLK;
			break;
		}
		if (next > limit) {
			world_set_now(w, limit);
			ret = -ETIMEDOUT;
			break;
		}
		world_set_now(w, next);
	}
	w->running = false;
	return ret;
}

ARING_API aring_sim_world *aring_sim_world_of(aring_loop *node)
{
	struct sim *s = sim_from_loop(node);

	return s ? s->world : NULL;
}

ARING_API uint64_t aring_sim_world_now_ns(aring_sim_world *w)
{
	return w ? w->now_ns : 0;
}

ARING_API uint64_t aring_sim_world_trace_hash(aring_sim_world *w)
{
	uint64_t h = 0x776f726c64ull; /* "world" */
	uint32_t i;

	if (!w)
		return 0;
	for (i = 0; i < w->n; i++) {
		uint64_t st = h ^ w->nodes[i].s->hash;

		h = aring__sim_splitmix64(&st);
	}
	return h;
}

static int put_addr(uint32_t ip, struct sockaddr *addr, socklen_t *addrlen)
{
	struct sockaddr_in in;

	if (!addr || !addrlen)
		return -EINVAL;
	memset(&in, 0, sizeof(in));
	in.sin_family = AF_INET;
	in.sin_addr.s_addr = htonl(ip);
	memcpy(addr, &in, *addrlen < sizeof(in) ? *addrlen : sizeof(in));
	*addrlen = sizeof(in);
	return 0;
}

ARING_API int aring_sim_node_addr(aring_loop *node, struct sockaddr *addr, socklen_t *addrlen)
{
	struct sim *s = sim_from_loop(node);

	if (!s)
		return -EINVAL;
	return put_addr(sim_node_ip(s->world ? s->node : 0), addr, addrlen);
}

ARING_API int aring_sim_resolve(aring_loop *node, const char *name, struct sockaddr *addr,
				socklen_t *addrlen)
{
	struct sim *s = sim_from_loop(node);
	uint32_t i;

	if (!s || !name || !addr || !addrlen)
		return -EINVAL;
	if (!strcmp(name, "localhost"))
		return put_addr(INADDR_LOOPBACK, addr, addrlen);
	if (!s->world)
		return -ENOENT;
	for (i = 0; i < s->world->n; i++)
		if (!strcmp(s->world->nodes[i].name, name))
			return put_addr(sim_node_ip(i), addr, addrlen);
	return -ENOENT;
}

/* a and b: two different nodes of one world. */
static int pair(aring_loop *a, aring_loop *b, struct sim **sa, struct sim **sb)
{
	*sa = sim_from_loop(a);
	*sb = sim_from_loop(b);
	if (!*sa || !*sb || !(*sa)->world || (*sa)->world != (*sb)->world || *sa == *sb)
		return -EINVAL;
	return 0;
}

ARING_API int aring_sim_partition(aring_loop *a, aring_loop *b, unsigned flags)
{
	struct sim *sa, *sb;
	int ret = pair(a, b, &sa, &sb);

	if (!ret)
		ret = aring__sim_net_partition(sa->world->net, sa->node, sb->node, flags);
	if (!ret)
		aring__sim_trace_note(sa, "partition", sb->node, flags);
	return ret;
}

ARING_API int aring_sim_heal(aring_loop *a, aring_loop *b)
{
	struct sim *sa, *sb;
	int ret = pair(a, b, &sa, &sb);

	if (ret)
		return ret;
	aring__sim_net_heal(sa->world->net, sa->node, sb->node);
	aring__sim_trace_note(sa, "heal", sb->node, 0);
	return 0;
}

/* Take every rate and latency of o, keep the seed and the time limit. */
static void apply_faults(struct aring_sim_opts *to, const struct aring_sim_opts *o)
{
	uint64_t seed = to->seed, limit = to->time_limit_ns;
	struct aring_sim_opts kept = *to;

	*to = *o;
	to->seed = seed;
	to->time_limit_ns = limit;
	/* the kernel's profile is the loop's for life */
	memcpy(to->missing_ops, kept.missing_ops, sizeof(to->missing_ops));
	to->uring_errno = kept.uring_errno;
}

ARING_API int aring_sim_set_faults(aring_loop *loop, const struct aring_sim_opts *o)
{
	struct sim *s = sim_from_loop(loop);

	if (!s || !o || aring__sim_opts_check(o))
		return -EINVAL;
	apply_faults(&s->opts, o);
	aring__sim_trace_note(s, "set_faults", 0, 0);
	if (s->world) {
		apply_faults(&s->world->opts, o);
		aring__sim_net_set(s->world->net, &s->world->opts);
	}
	return 0;
}

ARING_API int aring_sim_world_set_faults(aring_sim_world *w, const struct aring_sim_opts *o)
{
	uint32_t i;

	if (!w || !o || aring__sim_opts_check(o))
		return -EINVAL;
	for (i = 0; i < w->n; i++)
		aring_sim_set_faults(w->nodes[i].loop, o);
	apply_faults(&w->opts, o);
	aring__sim_net_set(w->net, &w->opts);
	return 0;
}
