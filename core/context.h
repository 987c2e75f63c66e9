/* SPDX-License-Identifier: MIT */
/*
 * The context switch, inline for the scheduler's hot path: Boost.Context's
 * jump_fcontext, annotated for AddressSanitizer. See core/context.c.
 */
#ifndef ARING_CORE_CONTEXT_H
#define ARING_CORE_CONTEXT_H

#include "core/internal.h"

#if defined(__SANITIZE_ADDRESS__)
#define ARING_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define ARING_ASAN 1
#endif
#endif

#ifdef ARING_ASAN
#include <sanitizer/asan_interface.h>
#include <sanitizer/common_interface_defs.h>
#endif
#ifdef HAVE_VALGRIND_VALGRIND_H
#include <valgrind/valgrind.h>
#endif

/* The C ABI of Boost.Context's fcontext (boost/context/detail/fcontext.hpp). */
typedef struct {
	aring__fctx fctx;
	void *data;
} transfer_t;

extern transfer_t jump_fcontext(aring__fctx const to, void *vp);

/*
 * Boost 1.74's jump_fcontext resumes the other context with `jmp *%r8`, not
 * `ret`: every `call jump_fcontext` leaves an entry on the CPU's return stack
 * buffer that no `ret` pops, and every return after a resume mispredicts.
 * aring__jump enters jump_fcontext with a pushed (not called) return address
 * and ends in a plain `ret`, so calls and returns stay paired: the returns of
 * the resumed context (which ran through the same call chain) predict right.
 */
extern transfer_t aring__jump(aring__fctx const to, void *vp);
extern aring__fctx make_fcontext(void *sp, size_t size, void (*fn)(transfer_t));

/* What a switch hands to the context it resumes. */
struct xfer {
	struct aring__ctx *from;
	struct aring__ctx *to;
	bool exiting;
};

static inline void after_switch(transfer_t t)
{
	struct xfer *x = t.data;

	x->from->fctx = t.fctx;
#ifdef ARING_ASAN
	{
		const void *lo = NULL;
		size_t size = 0;

		__sanitizer_finish_switch_fiber(x->to->asan_fake_stack, &lo, &size);
		if (!x->from->stack_lo && !x->exiting) {
			/* First switch away from the thread's own stack: learn it. */
			x->from->stack_lo = (void *)lo;
			x->from->stack_size = size;
		}
	}
#endif
}

static inline void before_switch(struct xfer *x)
{
#ifdef ARING_ASAN
	__sanitizer_start_switch_fiber(x->exiting ? NULL : &x->from->asan_fake_stack,
				       x->to->stack_lo, x->to->stack_size);
#else
	(void)x;
#endif
}

/* Save the running context in from and continue to. Returns when resumed. */
static inline void aring__ctx_switch(struct aring__ctx *from, struct aring__ctx *to)
{
	struct xfer x = { .from = from, .to = to, .exiting = false };
	transfer_t t;

	before_switch(&x);
	t = aring__jump(to->fctx, &x);
	after_switch(t);
}

#endif /* ARING_CORE_CONTEXT_H */
