/* SPDX-License-Identifier: MIT */
/*
 * Task stacks: carved from slabs of one mmap each, every stack with a guard
 * region below it. The guard is made with MADV_GUARD_INSTALL (Linux 6.13),
 * which marks page table entries and does not split the mapping, so 100,000
 * stacks cost a few thousand VMAs (vm.max_map_count is 65530); on older
 * kernels it falls back to mprotect(PROT_NONE), two VMAs per stack.
 *
 * Free stacks of the pool's size go on a LIFO free list (the most recently
 * used, still-resident stack is reused first); a spawn with a warm pool makes
 * no system call. A new slab is carved lazily: a slot is handed out, and its
 * guard installed, only when the free list is empty, so a loop that runs ten
 * tasks touches ten stacks' pages and makes ten guards, not SLAB_STACKS.
 * Stacks of other sizes are mapped one at a time, and kept (their memory
 * below the top page released) for the next spawn of that size. Every stack
 * stays mapped until the loop is freed: a freed task's struct, at the top of
 * its stack, stays readable (core/task.c).
 *
 * When a loop is freed its pooled slabs, guards in place, go to a small
 * process-wide cache (the 8 newest keep their pages; older ones hand them
 * back with MADV_FREE, which the kernel reclaims only under memory
 * pressure), and the next loop with the
 * same stack size takes them: a program (a test, a swarm of simulated
 * worlds) that makes and frees loops one after another maps, guards and
 * faults in its stacks once, not per loop. A slot's guard is always in
 * place before the slot is first handed out, and a cached slab is the same
 * mapping with the same guards: the protection is the same as a new slab's.
 *
 * Pooled stacks are coloured: slots are multiples of 64 KiB apart, so their
 * tops (where the task struct and the hot frames live) would all fall in the
 * same L1 cache sets and evict each other on every switch. Each slot gets
 * one extra page, and its top starts COLOR_STEP * (slot % COLORS) bytes
 * below the slot's end: the hot lines spread over all sets, and a parked
 * task still touches a single page.
 *
 * A task that runs off the bottom of its stack faults in the guard; the
 * SIGSEGV handler (on an alternate signal stack) recognises the address,
 * prints which stack overflowed, and aborts.
 */
#include "config.h"
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "core/internal.h"
#include "core/context.h"

#ifndef MADV_GUARD_INSTALL
#define MADV_GUARD_INSTALL 102
#endif

#define GUARD_BYTES (64u * 1024u)
#define SLAB_STACKS 64u
#define COLORS 32u
#define COLOR_STEP 64u
#define COLOR_PAGE 4096u  /* COLORS * COLOR_STEP <= half a page */
#define CACHE_SLABS 32u   /* slabs kept from freed pools (2,048 stacks) */
#define CACHE_HOT 8u      /* of which the newest keep their pages */

_Static_assert(COLORS * COLOR_STEP <= COLOR_PAGE / 2, "a coloured top stays in its page");

/* One mapping holding nslots stacks, each [guard][usable]. */
struct slab {
	struct slab *next;          /* in the pool */
	struct slab *gnext;         /* in the global registry */
	char *base;
	size_t len;
	size_t slot_bytes;          /* guard + usable */
	size_t guard_bytes;
	unsigned nslots;
	unsigned guarded;           /* slots [0, guarded) have their guard */
	unsigned carved;            /* slots [0, carved) were handed out by this pool */
	bool single;                /* one stack of a size other than the pool's */
	bool idle;                  /* single, and its task was freed */
	bool resident;              /* cached with its pages (not yet MADV_FREE) */
};

struct free_stack {
	struct free_stack *next;
};

struct aring__stack_pool {
	size_t stack_size;          /* usable bytes per stack, at least */
	size_t slot_usable;         /* stack_size + COLOR_PAGE */
	struct slab *slabs;
	struct slab *carving;       /* the slab new slots come from (NULL: none yet) */
	struct free_stack *free;    /* stored at the top of each free stack */
};

/* Registry of every slab, read by the SIGSEGV handler without locks. */
static struct slab *_Atomic registry;
static pthread_mutex_t registry_lock = PTHREAD_MUTEX_INITIALIZER;
/* Slabs of freed pools, most recently freed first (linked through next). */
static struct slab *cache;
static unsigned ncache;
static pthread_mutex_t cache_lock = PTHREAD_MUTEX_INITIALIZER;
static struct sigaction old_segv;
static pthread_once_t handler_once = PTHREAD_ONCE_INIT;
static __thread void *altstack;

static size_t page_size(void)
{
	static size_t ps;

	if (!ps)
		ps = (size_t)sysconf(_SC_PAGESIZE);
	return ps;
}

/* n is at most ARING_MAX_STACK_SIZE (checked at loop_new and spawn): no overflow. */
static size_t round_up(size_t n, size_t to)
{
	return (n + to - 1) / to * to;
}

static void registry_add(struct slab *s)
{
	pthread_mutex_lock(&registry_lock);
	s->gnext = registry;
	registry = s;
	pthread_mutex_unlock(&registry_lock);
}

static void registry_del(struct slab *s)
{
	struct slab *_Atomic *pp;

	pthread_mutex_lock(&registry_lock);
	for (pp = &registry; *pp; pp = (struct slab *_Atomic *)&(*pp)->gnext) {
		if (*pp == s) {
			*pp = s->gnext;
			break;
		}
	}
	pthread_mutex_unlock(&registry_lock);
}

/* Async-signal-safe formatting for the overflow message. */
static size_t fmt_hex(char *out, uintptr_t v)
{
	static const char digits[] = "0123456789abcdef";
	char tmp[2 + 16];
	size_t n = 0, i;

	do {
		tmp[n++] = digits[v & 15];
		v >>= 4;
	} while (v);
	out[0] = '0';
	out[1] = 'x';
	for (i = 0; i < n; i++)
		out[2 + i] = tmp[n - 1 - i];
	return n + 2;
}

static size_t fmt_dec(char *out, size_t v)
{
	char tmp[24];
	size_t n = 0, i;

	do {
		tmp[n++] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	for (i = 0; i < n; i++)
		out[i] = tmp[n - 1 - i];
	return n;
}

static size_t fmt_str(char *out, const char *s)
{
	size_t n = strlen(s);

	memcpy(out, s, n);
	return n;
}

static void segv_handler(int sig, siginfo_t *si, void *uc)
{
	uintptr_t addr = (uintptr_t)si->si_addr;
	struct slab *s;

	for (s = registry; s; s = s->gnext) {
		uintptr_t base = (uintptr_t)s->base;
		uintptr_t off, slot_lo;

		if (addr < base || addr >= base + s->len)
			continue;
		off = (addr - base) % s->slot_bytes;
		if (off >= s->guard_bytes)
			break;  /* inside a stack, not its guard: not ours */
		slot_lo = addr - off;
		{
			char msg[256];
			size_t n = 0;
			size_t usable = s->slot_bytes - s->guard_bytes;

			n += fmt_str(msg + n, "aring: stack overflow in a task: its stack ");
			n += fmt_hex(msg + n, slot_lo + s->guard_bytes);
			n += fmt_str(msg + n, "-");
			n += fmt_hex(msg + n, slot_lo + s->slot_bytes);
			n += fmt_str(msg + n, " (");
			n += fmt_dec(msg + n, usable);
			n += fmt_str(msg + n, " bytes) ran into its guard page at ");
			n += fmt_hex(msg + n, addr);
			n += fmt_str(msg + n, "; give the task a larger stack "
					      "(aring_loop_opts.stack_size or aring_spawn_stack)\n");
			if (write(STDERR_FILENO, msg, n) < 0) {
				/* nothing more to do */
			}
		}
		signal(SIGABRT, SIG_DFL);
		abort();
	}
	/* Not a guard page: hand the fault to whoever handled it before. */
	if (old_segv.sa_flags & SA_SIGINFO) {
		if (old_segv.sa_sigaction) {
			old_segv.sa_sigaction(sig, si, uc);
			return;
		}
	} else if (old_segv.sa_handler != SIG_DFL && old_segv.sa_handler != SIG_IGN) {
		old_segv.sa_handler(sig);
		return;
	}
	/* Default action: restore it and return; the access faults again. */
	signal(SIGSEGV, SIG_DFL);
}

static void install_handler(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = segv_handler;
	sa.sa_flags = SA_SIGINFO | SA_ONSTACK;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGSEGV, &sa, &old_segv);
}

/* The handler must run on a stack that is not the overflowing one. */
static void ensure_altstack(void)
{
	stack_t cur;

	if (altstack)
		return;  /* this thread's is ours: no system call per loop */
	if (sigaltstack(NULL, &cur) == 0 && !(cur.ss_flags & SS_DISABLE))
		return;
	altstack = malloc(64 * 1024);
	if (!altstack)
		return;
	cur.ss_sp = altstack;
	cur.ss_size = 64 * 1024;
	cur.ss_flags = 0;
	sigaltstack(&cur, NULL);
}

/* 0, or -ENOMEM when neither way can make the guard. */
static int guard(char *lo, size_t len)
{
	if (madvise(lo, len, MADV_GUARD_INSTALL) == 0 || mprotect(lo, len, PROT_NONE) == 0)
		return 0;
	return -ENOMEM;
}

/* A mapping for nslots stacks; no guard is installed yet (see carve). */
static struct slab *slab_new(size_t usable, unsigned nslots)
{
	struct slab *s = calloc(1, sizeof(*s));

	if (!s)
		return NULL;
	s->guard_bytes = GUARD_BYTES;
	s->slot_bytes = GUARD_BYTES + usable;
	s->nslots = nslots;
	s->len = s->slot_bytes * nslots;
	s->base = mmap(NULL, s->len, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (s->base == MAP_FAILED) {
		free(s);
		return NULL;
	}
	registry_add(s);
	return s;
}

static void slab_free(struct slab *s)
{
	registry_del(s);
#ifdef ARING_ASAN
	/* Tasks leave their frames' poison behind (they never return); a later
	 * mapping at this address must not inherit it. */
	__asan_unpoison_memory_region(s->base, s->len);
#endif
	munmap(s->base, s->len);
	free(s);
}

/* A cached slab of nslots slots of slot_bytes, or NULL. */
static struct slab *cache_take(size_t slot_bytes, unsigned nslots)
{
	struct slab *s, **pp;

	pthread_mutex_lock(&cache_lock);
	for (pp = &cache; (s = *pp); pp = &s->next) {
		if (s->slot_bytes == slot_bytes && s->nslots == nslots) {
			*pp = s->next;
			ncache--;
			break;
		}
	}
	pthread_mutex_unlock(&cache_lock);
	if (s) {
#ifdef ARING_ASAN
		__asan_unpoison_memory_region(s->base, s->len);
#endif
		s->next = NULL;
		s->carved = 0;
	}
	return s;
}

/*
 * Keep a freed slab for the next pool (or alone stack), or unmap it when the
 * cache is full. The CACHE_HOT most recently freed keep their pages; an
 * older one hands them back (MADV_FREE) as it leaves that set, once: a
 * program that makes and frees a few loops at a time (a swarm child: one
 * world, then exit) makes no madvise per loop.
 */
static void cache_put(struct slab *s)
{
	struct slab *old;
	bool kept = false;
	unsigned i;

	pthread_mutex_lock(&cache_lock);
	if (ncache < CACHE_SLABS) {
		s->next = cache;
		s->resident = true;
		cache = s;
		ncache++;
		kept = true;
		for (old = cache, i = 0; old && i < CACHE_HOT; i++)
			old = old->next;
		/* Slots never guarded were never touched: nothing to hand back there. */
		if (old && old->resident && old->guarded)
			madvise(old->base, (size_t)old->guarded * old->slot_bytes, MADV_FREE);
		if (old)
			old->resident = false;
	}
	pthread_mutex_unlock(&cache_lock);
	if (!kept)
		slab_free(s);
}

/* The top of slot i of s (coloured), its guard installed; NULL: -ENOMEM. */
static struct free_stack *carve(struct slab *s, unsigned i)
{
	char *end = s->base + (size_t)(i + 1) * s->slot_bytes;

	if (i >= s->guarded) {
		assert(i == s->guarded);
		if (guard(s->base + (size_t)i * s->slot_bytes, s->guard_bytes) < 0)
			return NULL;
		s->guarded = i + 1;
	}
	return (struct free_stack *)(end - (i % COLORS) * COLOR_STEP) - 1;
}

/* A slab of one stack of size bytes, its guard installed; NULL: -ENOMEM. */
static struct slab *slab_one(size_t size)
{
	struct slab *s = slab_new(size, 1);

	if (s && !carve(s, 0)) {
		slab_free(s);
		s = NULL;
	}
	return s;
}

int aring__stack_pool_new(size_t stack_size, struct aring__stack_pool **out)
{
	struct aring__stack_pool *p = calloc(1, sizeof(*p));

	if (!p)
		return -ENOMEM;
	p->stack_size = round_up(stack_size, page_size());
	p->slot_usable = p->stack_size + COLOR_PAGE;
	pthread_once(&handler_once, install_handler);
	ensure_altstack();
	*out = p;
	return 0;
}

void aring__stack_pool_free(struct aring__stack_pool *p)
{
	struct slab *s, *next;

	if (!p)
		return;
	for (s = p->slabs; s; s = next) {
		next = s->next;
		if (s->single)
			slab_free(s);
		else
			cache_put(s);
	}
	free(p);
}

/*
 * Returns the top (highest address, exclusive) of a stack with at least
 * size bytes (0: the pool's size) below it, in *usable; *pooled tells
 * aring__stack_put where it goes back.
 */
void *aring__stack_get(struct aring__stack_pool *p, size_t size, size_t *usable, bool *pooled)
{
	struct slab *s;

	if (size == 0 || round_up(size, page_size()) == p->stack_size) {
		struct free_stack *f;
		char *top;

		if (p->free) {
			f = p->free;
			p->free = f->next;
		} else {
			s = p->carving;
			if (!s || s->carved == s->nslots) {
				s = cache_take(GUARD_BYTES + p->slot_usable, SLAB_STACKS);
				if (!s)
					s = slab_new(p->slot_usable, SLAB_STACKS);
				if (!s)
					return NULL;
				s->next = p->slabs;
				p->slabs = s;
				p->carving = s;
			}
			f = carve(s, s->carved);
			if (!f)
				return NULL;
			s->carved++;
		}
		top = (char *)(f + 1);
		/* The slot ends at the next page boundary at or above top. */
		*usable = p->slot_usable - (size_t)(round_up((uintptr_t)top, COLOR_PAGE) - (uintptr_t)top);
		*pooled = true;
		return top;
	}
	/* Another size: a slab of one, kept for the next spawn of that size. */
	size = round_up(size, page_size());
	for (s = p->slabs; s; s = s->next)
		if (s->idle && s->slot_bytes - s->guard_bytes == size)
			break;
	if (s) {
		s->idle = false;
	} else {
		s = slab_one(size);
		if (!s)
			return NULL;
		s->single = true;
		s->next = p->slabs;
		p->slabs = s;
	}
	*usable = size;
	*pooled = false;
	return s->base + s->len;
}

void aring__stack_put(struct aring__stack_pool *p, void *top, size_t usable, bool pooled)
{
	struct slab *s;

	if (pooled) {
		struct free_stack *f = (struct free_stack *)top - 1;

		f->next = p->free;
		p->free = f;
		return;
	}
	/*
	 * Stacks of other sizes stay mapped until the pool is freed, like the
	 * pooled ones, so that a stale task handle still reads a freed task
	 * (core/task.c); their memory below the top page goes back to the
	 * kernel.
	 */
	for (s = p->slabs; s; s = s->next) {
		if (s->single && (char *)top == s->base + s->len &&
		    s->slot_bytes - s->guard_bytes == usable) {
			assert(!s->idle);
			s->idle = true;
			madvise(s->base + s->guard_bytes, usable - page_size(), MADV_DONTNEED);
			return;
		}
	}
	assert(!"aring: stack not from this pool");
}

/*
 * A stack of its own (the soft ring's submit context): a slab of one slot,
 * its guard installed, taken from the process-wide cache when it holds one
 * of that size. Returns a handle for aring__stack_alone_put and the stack's
 * top in *top (size bytes below it are the stack), or NULL: -ENOMEM.
 */
void *aring__stack_alone_get(size_t size, void **top)
{
	struct slab *s;

	size = round_up(size, page_size());
	s = cache_take(GUARD_BYTES + size, 1);
	if (!s)
		s = slab_one(size);
	if (!s)
		return NULL;
	*top = s->base + s->len;
	return s;
}

void aring__stack_alone_put(void *handle)
{
	if (handle)
		cache_put(handle);
}

/* The calling thread's own stack, [lo, hi) (both 1: unknown), found once per thread. */
static __thread uintptr_t thr_lo __attribute__((tls_model("initial-exec")));
static __thread uintptr_t thr_hi __attribute__((tls_model("initial-exec")));

static void thread_stack_bounds(void)
{
	pthread_attr_t a;
	void *addr;
	size_t size;

	thr_lo = thr_hi = 1;
	if (pthread_getattr_np(pthread_self(), &a) != 0)
		return;
	if (pthread_attr_getstack(&a, &addr, &size) == 0 && addr && size) {
		/* the lowest page may be the thread's guard */
		thr_lo = (uintptr_t)addr + page_size();
		thr_hi = (uintptr_t)addr + size;
	}
	pthread_attr_destroy(&a);
}

bool aring__stack_room(size_t need)
{
	uintptr_t sp = (uintptr_t)__builtin_frame_address(0);

	if (ARING_UNLIKELY(!thr_hi))
		thread_stack_bounds();
	/* on a task's stack (or a signal stack), sp is outside the thread's */
	return sp > thr_lo && sp < thr_hi && sp - thr_lo >= need;
}
