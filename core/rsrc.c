/* SPDX-License-Identifier: MIT */
/*
 * Registered files and buffers, on every backend: io_uring_register(2)
 * through the backend's register_rsrc (core/backend.h). On uring the kernel
 * answers (io_uring/rsrc.c, filetable.c); on the sim and epoll the soft
 * ring's tables do (backends/soft/rsrc.c), with the kernel's results.
 * Declared in include/aring.h ("Registered files and buffers").
 */
#include "config.h"
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "core/internal.h"

static int reg(aring_loop *loop, unsigned opcode, void *arg, unsigned nr)
{
	struct aring__backend *be;

	if (!loop)
		return -EINVAL;
	be = loop->be;
	if (!be->ops->register_rsrc)
		return -EOPNOTSUPP;
	return be->ops->register_rsrc(be, opcode, arg, nr);
}

/* kernel register.c __io_uring_register(): FILES and BUFFERS want an array first of all. */
ARING_API int aring_register_files(aring_loop *loop, const int *fds, unsigned nr)
{
	if (loop && !fds)
		return -EFAULT;
	return reg(loop, IORING_REGISTER_FILES, (void *)(uintptr_t)fds, nr);
}

/* IORING_REGISTER_FILES2 / BUFFERS2 with IORING_RSRC_REGISTER_SPARSE: nr empty slots. */
static int reg_sparse(aring_loop *loop, unsigned opcode, unsigned nr)
{
	struct io_uring_rsrc_register rr;

	memset(&rr, 0, sizeof(rr));
	rr.nr = nr;
	rr.flags = IORING_RSRC_REGISTER_SPARSE;
	return reg(loop, opcode, &rr, sizeof(rr));
}

ARING_API int aring_register_files_sparse(aring_loop *loop, unsigned nr)
{
	return reg_sparse(loop, IORING_REGISTER_FILES2, nr);
}

ARING_API int aring_register_files_update(aring_loop *loop, unsigned off, const int *fds,
					  unsigned nr)
{
	struct io_uring_rsrc_update up;

	memset(&up, 0, sizeof(up));
	up.offset = off;
	up.data = (uint64_t)(uintptr_t)fds;
	return reg(loop, IORING_REGISTER_FILES_UPDATE, &up, nr);
}

ARING_API int aring_register_file_alloc_range(aring_loop *loop, unsigned off, unsigned len)
{
	struct io_uring_file_index_range range;

	memset(&range, 0, sizeof(range));
	range.off = off;
	range.len = len;
	return reg(loop, IORING_REGISTER_FILE_ALLOC_RANGE, &range, 0);
}

ARING_API int aring_unregister_files(aring_loop *loop)
{
	return reg(loop, IORING_UNREGISTER_FILES, NULL, 0);
}

ARING_API int aring_register_buffers(aring_loop *loop, const struct iovec *iovecs, unsigned nr)
{
	if (loop && !iovecs)
		return -EFAULT;
	return reg(loop, IORING_REGISTER_BUFFERS, (void *)(uintptr_t)iovecs, nr);
}

ARING_API int aring_register_buffers_sparse(aring_loop *loop, unsigned nr)
{
	return reg_sparse(loop, IORING_REGISTER_BUFFERS2, nr);
}

ARING_API int aring_unregister_buffers(aring_loop *loop)
{
	return reg(loop, IORING_UNREGISTER_BUFFERS, NULL, 0);
}

/* ---------------------------------------------------------------- a pool of registered buffers */

struct aring_fixed_pool {
	aring_loop *loop;
	uint8_t *base;          /* count * size bytes, page-aligned, one mapping */
	size_t size, map_len;
	unsigned count, nfree;
	unsigned *free;         /* a stack of free buffer indexes */
	uint8_t *used;          /* per buffer: 1 while handed out */
};

ARING_API int aring_fixed_pool_new(aring_loop *loop, unsigned count, size_t size,
				   aring_fixed_pool **pool)
{
	struct aring_fixed_pool *p;
	struct iovec *iov;
	size_t page = (size_t)sysconf(_SC_PAGESIZE);
	unsigned i;
	int ret;

	if (!loop || !pool)
		return -EINVAL;
	*pool = NULL;
	if (!count || count > ARING_FIXED_POOL_MAX_COUNT || !size ||
	    size > ARING_FIXED_POOL_MAX_SIZE || (uint64_t)count * size > ((uint64_t)1 << 40))
		return -EINVAL;
	p = calloc(1, sizeof(*p));
	iov = calloc(count, sizeof(*iov));
	if (!p || !iov)
		goto nomem;
	p->free = calloc(count, sizeof(*p->free));
	p->used = calloc(count, 1);
	if (!p->free || !p->used)
		goto nomem;
	p->map_len = ((size_t)count * size + page - 1) / page * page;
	p->base = mmap(NULL, p->map_len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p->base == MAP_FAILED) {
		p->base = NULL;
		goto nomem;
	}
	for (i = 0; i < count; i++) {
		iov[i].iov_base = p->base + (size_t)i * size;
		iov[i].iov_len = size;
		p->free[i] = count - 1 - i; /* buffer 0 is handed out first */
	}
	ret = aring_register_buffers(loop, iov, count);
	free(iov);
	if (ret < 0) {
		munmap(p->base, p->map_len);
		free(p->free);
		free(p->used);
		free(p);
		return ret;
	}
	p->loop = loop;
	p->size = size;
	p->count = p->nfree = count;
	*pool = p;
	return 0;
nomem:
	if (p && p->base)
		munmap(p->base, p->map_len);
	if (p) {
		free(p->free);
		free(p->used);
	}
	free(p);
	free(iov);
	return -ENOMEM;
}

ARING_API void *aring_fixed_pool_get(aring_fixed_pool *pool, int *buf_index)
{
	unsigned i;

	if (!pool || !pool->nfree)
		return NULL;
	i = pool->free[--pool->nfree];
	pool->used[i] = 1;
	if (buf_index)
		*buf_index = (int)i;
	return pool->base + (size_t)i * pool->size;
}

ARING_API int aring_fixed_pool_put(aring_fixed_pool *pool, void *buf)
{
	size_t off;
	unsigned i;

	if (!pool || (uint8_t *)buf < pool->base)
		return -EINVAL;
	off = (size_t)((uint8_t *)buf - pool->base);
	if (off % pool->size || off / pool->size >= pool->count)
		return -EINVAL;
	i = (unsigned)(off / pool->size);
	if (!pool->used[i])
		return -EINVAL; /* not handed out: a double put */
	pool->used[i] = 0;
	pool->free[pool->nfree++] = i;
	return 0;
}

ARING_API size_t aring_fixed_pool_buf_size(const aring_fixed_pool *pool)
{
	return pool ? pool->size : 0;
}

ARING_API void aring_fixed_pool_free(aring_fixed_pool *pool)
{
	if (!pool)
		return;
	aring_unregister_buffers(pool->loop);
	munmap(pool->base, pool->map_len);
	free(pool->free);
	free(pool->used);
	free(pool);
}
