/* The KV store in a simulated world, under crashes, partitions and faults. */
#include "kv.h"
#include "kv_sim.h"

#include <aring/sim.h>
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MS 1000000ull
#define PORT 7000

struct world {
	aring_sim_world *w;
	aring_loop *node[KV_NODES], *client;
	struct kv_node kv[KV_NODES];
	int down[KV_NODES];
	uint64_t rng, crng; /* the client's and the controller's generators */
	uint32_t crash_ppm, partition_ppm; /* the controller's rates, drawn per seed */
	uint64_t floor[KV_KEYS];  /* the newest value acked or read, per key */
	uint64_t issued;          /* op numbers handed out */
	uint64_t t0;              /* virtual time at the start */
	int failed, done;
	int debug;                /* KV_DEBUG set: print what happens */
	struct kv_sim_stats st;
};

static uint64_t rnd_of(uint64_t *st)
{
	uint64_t z = (*st += 0x9e3779b97f4a7c15ull);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static uint64_t rnd(struct world *w)
{
	return rnd_of(&w->rng);
}

/* The controller's own stream: its schedule does not move with the client's ops. */
static uint64_t crnd(struct world *w)
{
	return rnd_of(&w->crng);
}

static uint64_t now(struct world *w, aring_loop *loop)
{
	return aring_now_ns(loop) - w->t0;
}

/* After the recovery: every node is up but stopped by an unreadable log. */
static int all_logs_unreadable(const struct world *w)
{
	for (int i = 0; i < KV_NODES; i++)
		if (w->down[i] || w->kv[i].logfd >= 0)
			return 0;
	return 1;
}

static void fail(struct world *w, const char *what, uint32_t key, uint64_t got, uint64_t want)
{
	if (!w->failed)
		fprintf(stderr, "kv: %s: key %u: got %llu, expected at least %llu\n", what, key,
			(unsigned long long)got, (unsigned long long)want);
	w->failed = 1;
}

static void check_read(struct world *w, uint32_t key, uint64_t v, const char *what)
{
	if (w->debug)
		fprintf(stderr, "kv: read key %u = %llu\n", key, (unsigned long long)v);
	if (v && (v % KV_KEYS != key || v / KV_KEYS > w->issued))
		fail(w, "a value never written", key, v, w->floor[key]);
	else if (v < w->floor[key])
		fail(w, what, key, v, w->floor[key]);
	else
		w->floor[key] = v;
}

static int client_task(aring_loop *loop, void *arg)
{
	struct world *w = arg;
	struct kv_client c;
	uint64_t v;

	kv_client_init(&c, (const struct sockaddr_in[KV_NODES]){ w->kv[0].addr[0],
		       w->kv[0].addr[1], w->kv[0].addr[2] }, 50 * MS);
	while (now(w, loop) < 700 * MS && !w->failed) {
		uint32_t key = rnd(w) % KV_KEYS;

		if (rnd(w) % 2) {
			uint64_t val = ++w->issued * KV_KEYS + key;
			if (!kv_put(loop, &c, key, val)) {
				w->st.puts_acked++;
				if (w->debug)
					fprintf(stderr, "kv: acked key %u = %llu seq %llu\n", key,
						(unsigned long long)val, (unsigned long long)c.minseq);
				if (val > w->floor[key])
					w->floor[key] = val;
			}
		} else if (!kv_get(loop, &c, key, &v)) {
			w->st.gets_ok++;
			check_read(w, key, v, "a read went back in time");
		}
		if (rnd(w) % 4 == 0)
			aring_sleep(loop, rnd(w) % (5 * MS));
	}
	/* the cluster recovers (the controller heals and restarts at 650 ms): every key */
	for (uint32_t key = 0; key < KV_KEYS && !w->failed; key++) {
		int r;
		while ((r = kv_get(loop, &c, key, &v)) && now(w, loop) < 990 * MS)
			aring_sleep(loop, 5 * MS);
		if (r && all_logs_unreadable(w)) {
			/* every node's log has a sector gone bad, and a node will
			   not take an unreadable log for a shorter one: no node can
			   serve without forgetting acknowledged writes. Unavailable,
			   which is right; nothing was lost or went back in time. */
			w->st.unavailable++;
			break;
		}
		if (r) {
			fail(w, "no node answers after recovery", key, 0, w->floor[key]);
			for (int i = 0; i < KV_NODES; i++)
				fprintf(stderr, "kv: node %d: %s, log %llu, commit %llu, client minseq %llu, last error %d\n",
					i, w->down[i] ? "down" : w->kv[i].logfd < 0 ? "stopped (disk error)" : "up",
					(unsigned long long)w->kv[i].len, (unsigned long long)w->kv[i].commit,
					(unsigned long long)c.minseq, r);
		}
		else
			check_read(w, key, v, "an acknowledged write was lost");
	}
	kv_client_close(loop, &c);
	w->done = 1;
	return 0;
}

/*
 * The controller: every 20-120 ms it picks a node and an action from the
 * scenario's own generator, and asks the simulator whether the fault
 * happens (aring_sim_decide), so that each crash, restart, partition and
 * heal is a fault decision the swarm's shrinking can remove. A decision
 * that is suppressed does not happen: a crash or a partition is not made;
 * a restart or a heal is not made either, so the node stays down (the
 * link cut) until the recovery at 650 ms, which is not a decision.
 * Decisions are asked for at the same points whatever the earlier ones
 * gave (the "is it down" checks come after), so their numbers stay put.
 * It draws from its own generator (crnd), not the client's: sharing one
 * made every fault that changed how many ops the client did move the whole
 * schedule (which node, which action, when), and short-read-log's first
 * failure then shrank to 90 decisions instead of 5.
 */
static int controller_task(aring_loop *loop, void *arg)
{
	struct world *w = arg;
	aring_loop *all[KV_NODES + 1] = { w->node[0], w->node[1], w->node[2], w->client };
	static const char *const name[KV_NODES + 1] = { "kv0", "kv1", "kv2", "client" };

	while (now(w, loop) < 600 * MS) {
		aring_sleep(loop, (20 + crnd(w) % 100) * MS);
		int i = crnd(w) % KV_NODES;
		switch (crnd(w) % 3) {
		case 0: /* crash a node; it restarts a while later */
			if (aring_sim_decide(w->node[i], "crash", w->crash_ppm) > 0 && !w->down[i] &&
			    !aring_sim_crash(w->node[i])) {
				w->down[i] = 1;
				w->st.crashes++;
				if (w->debug)
					fprintf(stderr, "kv: t=%llu ms: crash kv%d\n",
						(unsigned long long)(now(w, loop) / MS), i);
			}
			break;
		case 1:
			if (aring_sim_decide(w->node[i], "restart", 1000000) > 0 && w->down[i] &&
			    !aring_sim_restart(w->node[i], kv_node_main, &w->kv[i])) {
				w->down[i] = 0;
				if (w->debug)
					fprintf(stderr, "kv: t=%llu ms: restart kv%d\n",
						(unsigned long long)(now(w, loop) / MS), i);
			}
			break;
		default: { /* cut a link (node-node or node-client) for a while */
			int j = (i + 1 + crnd(w) % KV_NODES) % (KV_NODES + 1);
			unsigned way = crnd(w) % 2 ? ARING_SIM_ONE_WAY : 0;
			char what[ARING_SIM_WHAT_MAX];

			snprintf(what, sizeof(what), "partition %s %s", way ? "->" : "<->", name[j]);
			if (aring_sim_decide(all[i], what, w->partition_ppm) > 0 &&
			    !aring_sim_partition(all[i], all[j], way)) {
				w->st.partitions++;
				if (w->debug)
					fprintf(stderr, "kv: t=%llu ms: partition %d %s %d\n",
						(unsigned long long)(now(w, loop) / MS), i,
						way ? "->" : "<->", j);
			}
			aring_sleep(loop, (5 + crnd(w) % 80) * MS);
			snprintf(what, sizeof(what), "heal %s", name[j]);
			if (aring_sim_decide(all[i], what, 1000000) > 0)
				aring_sim_heal(all[i], all[j]);
		}
		}
	}
	if (now(w, loop) < 650 * MS)
		aring_sleep(loop, 650 * MS - now(w, loop));
	struct aring_sim_opts calm = { 0 };
	aring_sim_world_set_faults(w->w, &calm); /* recovery: faults off, every link healed */
	for (int i = 0; i < KV_NODES + 1; i++)
		for (int j = i + 1; j < KV_NODES + 1; j++)
			aring_sim_heal(all[i], all[j]);
	for (int i = 0; i < KV_NODES; i++) {
		/* the supervisor restarts a node that stopped on a disk error */
		if (!w->down[i] && w->kv[i].logfd < 0 && !aring_sim_crash(w->node[i]))
			w->down[i] = 1;
		if (w->down[i] && !aring_sim_restart(w->node[i], kv_node_main, &w->kv[i]))
			w->down[i] = 0;
	}
	return 0;
}

/*
 * Zero the world but the nodes' logs (recs[i] is only read below len, which
 * kv_node_main sets): in a swarm's forked child, zeroing those 480 KiB would
 * page every one of them in for nothing.
 */
static void world_reset(struct world *w)
{
	const size_t recs_end = offsetof(struct kv_node, recs) + sizeof(w->kv[0].recs);

	memset(w, 0, offsetof(struct world, kv));
	for (int i = 0; i < KV_NODES; i++) {
		memset(&w->kv[i], 0, offsetof(struct kv_node, recs));
		memset((char *)&w->kv[i] + recs_end, 0, sizeof(w->kv[i]) - recs_end);
	}
	memset(w->down, 0, sizeof(*w) - offsetof(struct world, down));
}

int kv_sim_run(uint64_t seed, struct kv_sim_stats *stats)
{
	static struct world w; /* large (the logs): one per process, as the swarm runs it */
	struct aring_sim_opts so;
	struct aring_loop_opts lo = { .backend = ARING_BACKEND_SIM };
	static const char *names[KV_NODES] = { "kv0", "kv1", "kv2" };
	enum kv_plant plant = kv_plant_from_env();
	int r;

	world_reset(&w);
	aring_sim_swarm_opts_for(seed, &so);
	w.rng = seed * 0x2545f4914f6cdd1dull + 1;
	w.crng = seed * 0x9e3779b97f4a7c15ull + 7;
	w.debug = getenv("KV_DEBUG") != NULL;
	w.crash_ppm = 250000 + rnd(&w) % 750001;
	w.partition_ppm = 250000 + rnd(&w) % 750001;
	lo.sim = &so;
	so.time_limit_ns = 1000 * MS; /* 1 s of virtual time from ARING_SIM_START_NS */
	if (aring_sim_world_new(&w.w, &so))
		return 1;
	w.t0 = aring_sim_world_now_ns(w.w);
	for (int i = 0; i < KV_NODES; i++)
		aring_sim_node_new(w.w, names[i], &lo, &w.node[i]);
	aring_sim_node_new(w.w, "client", &lo, &w.client);
	for (int i = 0; i < KV_NODES; i++) {
		struct kv_node *n = &w.kv[i];
		n->id = i;
		n->datadir = ".";
		n->timeout_ns = 50 * MS;
		n->plant = plant;
		for (int j = 0; j < KV_NODES; j++) {
			socklen_t len = sizeof(n->addr[j]);
			aring_sim_resolve(w.client, names[j], (struct sockaddr *)&n->addr[j], &len);
			n->addr[j].sin_port = htons(PORT);
		}
		aring_spawn(w.node[i], kv_node_main, n, NULL);
	}
	aring_spawn(w.client, client_task, &w, NULL);
	aring_spawn(w.client, controller_task, &w, NULL);
	r = aring_sim_world_run(w.w);
	w.st.virtual_ns = aring_sim_world_now_ns(w.w) - w.t0;
	if (r != -ETIMEDOUT && r != 0 && r != -EDEADLK) {
		fprintf(stderr, "kv: world_run %d\n", r);
		w.failed = 1;
	}
	if (!w.done && !w.failed) {
		fprintf(stderr, "kv: the client did not finish\n");
		w.failed = 1;
	}
	if (w.failed && w.debug)
		for (int i = 0; i < KV_NODES; i++)
			for (uint64_t k = 0; k < w.kv[i].len; k++)
				fprintf(stderr, "kv: node %d seq %llu key %u val %llu\n", i,
					(unsigned long long)w.kv[i].recs[k].seq, w.kv[i].recs[k].key,
					(unsigned long long)w.kv[i].recs[k].val);
	aring_sim_world_free(w.w);
	if (stats)
		*stats = w.st;
	return w.failed;
}

int kv_sim_scenario(uint64_t seed, void *arg)
{
	return kv_sim_run(seed, arg);
}
