/* SPDX-License-Identifier: MIT */
/*
 * The context-switch glue: Boost.Context's fcontext assembly (make_fcontext,
 * jump_fcontext from libboost_context.a), annotated for AddressSanitizer
 * (__sanitizer_{start,finish}_switch_fiber) and Valgrind
 * (VALGRIND_STACK_REGISTER) so both tools follow the stack switches.
 */
#include "config.h"
#include "core/internal.h"

#include "core/context.h"

__asm__(".text\n"
	".globl aring__jump\n"
	".hidden aring__jump\n"
	".type aring__jump, @function\n"
	"aring__jump:\n"
	"	leaq 1f(%rip), %rax\n"
	"	pushq %rax\n"
	"	jmp jump_fcontext@PLT\n"
	"1:	ret\n"
	".size aring__jump, .-aring__jump\n");

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
#ifdef ARING_ASAN
	/* A pooled stack keeps the shadow of its last task's frames (a task
	 * leaves through aring__ctx_exit, never returning from them). */
	__asan_unpoison_memory_region(ctx->stack_lo, ctx->stack_size);
#endif
	ctx->fctx = make_fcontext((char *)ctx->stack_lo + ctx->stack_size, ctx->stack_size, ctx_entry);
}

void aring__ctx_exit(struct aring__ctx *from, struct aring__ctx *to)
{
	struct xfer x = { .from = from, .to = to, .exiting = true };

	before_switch(&x);
	aring__jump(to->fctx, &x);
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
