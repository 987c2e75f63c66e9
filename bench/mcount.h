/* SPDX-License-Identifier: MIT */
/* The counters bench/mcount.c shares with the benchmark driver. */
#ifndef ARING_BENCH_MCOUNT_H
#define ARING_BENCH_MCOUNT_H

#include <stdint.h>

struct bench_mcount {
	uint64_t allocs;  /* malloc, calloc, realloc, posix_memalign, aligned_alloc, memalign */
	uint64_t frees;   /* free of a non-NULL pointer */
};

#endif
