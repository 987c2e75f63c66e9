/* SPDX-License-Identifier: MIT */
/*
 * The simulator's randomness: one 64-bit seed; every concern (scheduling,
 * each fault kind, ports) draws from its own xoshiro256** stream, seeded
 * through splitmix64 from (seed, stream number). So turning one fault knob
 * does not change the latencies or the other faults a seed gives.
 */
#include "config.h"
#include "sim/sim.h"

uint64_t aring__sim_splitmix64(uint64_t *state)
{
	uint64_t z = (*state += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

void aring__sim_prng_seed(struct sim_prng *p, uint64_t seed, unsigned stream)
{
	uint64_t st = seed ^ ((uint64_t)stream * 0xd1b54a32d192ed03ull);
	unsigned i;

	for (i = 0; i < 4; i++)
		p->s[i] = aring__sim_splitmix64(&st);
	if (!(p->s[0] | p->s[1] | p->s[2] | p->s[3]))
		p->s[0] = 1; /* the all-zero state is a fixed point */
}

static inline uint64_t rotl(uint64_t x, int k)
{
	return (x << k) | (x >> (64 - k));
}

uint64_t aring__sim_prng_next(struct sim_prng *p)
{
	uint64_t *s = p->s;
	uint64_t result = rotl(s[1] * 5, 7) * 9;
	uint64_t t = s[1] << 17;

	s[2] ^= s[0];
	s[3] ^= s[1];
	s[1] ^= s[2];
	s[0] ^= s[3];
	s[2] ^= t;
	s[3] = rotl(s[3], 45);
	return result;
}

uint64_t aring__sim_prng_range(struct sim_prng *p, uint64_t lo, uint64_t hi)
{
	uint64_t span, x, limit;

	assert(lo <= hi);
	span = hi - lo + 1;
	if (span == 0) /* the whole 64-bit range */
		return aring__sim_prng_next(p);
	/* Rejection sampling: no modulo bias. Bounded: each try succeeds with p > 1/2. */
	limit = UINT64_MAX - (UINT64_MAX % span);
	do
		x = aring__sim_prng_next(p);
	while (x >= limit);
	return lo + x % span;
}

bool aring__sim_prng_ppm(struct sim_prng *p, uint32_t ppm)
{
	if (ppm == 0)
		return false;
	if (ppm >= 1000000)
		return true;
	return aring__sim_prng_range(p, 0, 999999) < ppm;
}
