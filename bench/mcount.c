/* SPDX-License-Identifier: MIT */
/*
 * LD_PRELOAD library that counts heap calls of the process it is loaded
 * into. The counters live in a shared memory file whose descriptor is in
 * BENCH_MCOUNT_FD (a memfd the benchmark driver made and the server
 * inherited), so the driver reads them while the server runs. Without
 * BENCH_MCOUNT_FD the counts stay private.
 */
#include <malloc.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/mman.h>

#include "bench/mcount.h"

extern void *__libc_malloc(size_t size);
extern void *__libc_calloc(size_t n, size_t size);
extern void *__libc_realloc(void *p, size_t size);
extern void *__libc_memalign(size_t align, size_t size);
extern void __libc_free(void *p);

static struct bench_mcount local_counts;
static struct bench_mcount *counts = &local_counts;

__attribute__((constructor)) static void mcount_init(void)
{
	const char *fd = getenv("BENCH_MCOUNT_FD");
	void *p;

	if (!fd)
		return;
	p = mmap(NULL, sizeof(struct bench_mcount), PROT_READ | PROT_WRITE, MAP_SHARED, atoi(fd), 0);
	if (p != MAP_FAILED)
		counts = p;
}

static inline void bump(uint64_t *c)
{
	__atomic_fetch_add(c, 1, __ATOMIC_RELAXED);
}

__attribute__((visibility("default"))) void *malloc(size_t size)
{
	bump(&counts->allocs);
	return __libc_malloc(size);
}

__attribute__((visibility("default"))) void *calloc(size_t n, size_t size)
{
	bump(&counts->allocs);
	return __libc_calloc(n, size);
}

__attribute__((visibility("default"))) void *realloc(void *p, size_t size)
{
	bump(&counts->allocs);
	return __libc_realloc(p, size);
}

__attribute__((visibility("default"))) int posix_memalign(void **out, size_t align, size_t size)
{
	void *p;

	bump(&counts->allocs);
	p = __libc_memalign(align, size);
	if (!p)
		return 12; /* ENOMEM */
	*out = p;
	return 0;
}

__attribute__((visibility("default"))) void *aligned_alloc(size_t align, size_t size)
{
	bump(&counts->allocs);
	return __libc_memalign(align, size);
}

__attribute__((visibility("default"))) void *memalign(size_t align, size_t size)
{
	bump(&counts->allocs);
	return __libc_memalign(align, size);
}

__attribute__((visibility("default"))) void free(void *p)
{
	if (p)
		bump(&counts->frees);
	__libc_free(p);
}
