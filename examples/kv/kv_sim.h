/* The KV store's swarm scenario: 3 nodes + a client node, 1 s of virtual time. */
#ifndef KV_SIM_H
#define KV_SIM_H
#include <stdint.h>

struct kv_sim_stats {
	uint64_t puts_acked, gets_ok, crashes, partitions, virtual_ns;
	uint64_t unavailable;  /* runs where every node's log had gone unreadable */
};

/*
 * One seed: returns 0 when every invariant held (every acknowledged write
 * readable at the end; no read older than a value read or acknowledged
 * before it), 1 otherwise (the reason on stderr). stats may be NULL.
 */
int kv_sim_run(uint64_t seed, struct kv_sim_stats *stats);
/* aring_sim_swarm's scenario: kv_sim_run(seed, arg). */
int kv_sim_scenario(uint64_t seed, void *arg);

#endif
