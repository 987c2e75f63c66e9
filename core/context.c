/* SPDX-License-Identifier: MIT */
/*
 * The context-switch glue: Boost.Context's fcontext assembly (make_fcontext,
 * jump_fcontext from libboost_context.a), annotated for AddressSanitizer
 * (__sanitizer_{start,finish}_switch_fiber) and Valgrind
 * (VALGRIND_STACK_REGISTER) so both tools follow the stack switches.
 */
#include "config.h"
#include "core/internal.h"

#if defined(__SANITIZE_ADDRESS__)
#define ARING_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define ARING_ASAN 1
#endif
#endif

#ifdef ARING_ASAN
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
extern aring__fctx make_fcontext(void *sp, size_t size, void (*fn)(transfer_t));

/* What a switch hands to the context it resumes. */
struct xfer {
	struct aring__ctx *from;
	struct aring__ctx *to;
	bool exiting;
};

static void after_switch(transfer_t t)
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

static void before_switch(struct xfer *x)
{
#ifdef ARING_ASAN
	__sanitizer_start_switch_fiber(x->exiting ? NULL : &x->from->asan_fake_stack,
				       x->to->stack_lo, x->to->stack_size);
#else
	(void)x;
#endif
}

static void ctx_entry(transfer_t t)
{
	struct xfer *x = t.data;
	struct aring__ctx *self = x->to;

	after_switch(t);
	self->fn(self->arg);
	/* fn never returns: tasks leave through aring__ctx_exit(). */
	__builtin_trap();
}

void aring__ctx_make(struct aring__ctx *ctx, void (*fn)(void *arg), void *arg)
{
	ctx->fn = fn;
	ctx->arg = arg;
	ctx->asan_fake_stack = NULL;
	ctx->fctx = make_fcontext((char *)ctx->stack_lo + ctx->stack_size, ctx->stack_size, ctx_entry);
}

void aring__ctx_switch(struct aring__ctx *from, struct aring__ctx *to)
{
	struct xfer x = { .from = from, .to = to, .exiting = false };
	transfer_t t;

	before_switch(&x);
	t = jump_fcontext(to->fctx, &x);
	after_switch(t);
}

void aring__ctx_exit(struct aring__ctx *from, struct aring__ctx *to)
{
	struct xfer x = { .from = from, .to = to, .exiting = true };

	before_switch(&x);
	jump_fcontext(to->fctx, &x);
	__builtin_trap();
}

void aring__ctx_register_stack(struct aring__ctx *ctx)
{
#ifdef HAVE_VALGRIND_VALGRIND_H
	ctx->valgrind_id = VALGRIND_STACK_REGISTER(ctx->stack_lo, (char *)ctx->stack_lo + ctx->stack_size);
#else
	(void)ctx;
#endif
}

void aring__ctx_unregister_stack(struct aring__ctx *ctx)
{
#ifdef HAVE_VALGRIND_VALGRIND_H
	VALGRIND_STACK_DEREGISTER(ctx->valgrind_id);
#else
	(void)ctx;
#endif
}
