/* SPDX-License-Identifier: MIT */
/*
 * Every backend hands the core a zeroed SQE (DESIGN.md; core/backend.h), so
 * a prep may set only the fields its op uses, as liburing 2.6 and later prep
 * helpers do. The test first fills every SQ slot with garbage through a
 * custom op (a NOP with every other byte 0xA5, which the ring rejects),
 * then checks that every SQE a prep receives afterwards is all zero: single
 * ops, ops with a linked timeout, and chains.
 */
#include <errno.h>
#include <string.h>

#include "tests/helpers.h"

#define ENTRIES 8u
#define POISON 0xA5

static unsigned dirty_sqes;

static void prep_poison(struct io_uring_sqe *sqe, void *arg)
{
	(void)arg;
	memset(sqe, POISON, sizeof(*sqe));
	sqe->opcode = IORING_OP_NOP;
}

static bool is_zero(const struct io_uring_sqe *sqe)
{
	const unsigned char *p = (const unsigned char *)sqe;
	size_t i;

	for (i = 0; i < sizeof(*sqe); i++)
		if (p[i])
			return false;
	return true;
}

static void prep_check(struct io_uring_sqe *sqe, void *arg)
{
	(void)arg;
	if (!is_zero(sqe))
		dirty_sqes++;
	io_uring_prep_nop(sqe);
}

static void prep_check_n(struct io_uring_sqe **sqes, void *arg)
{
	unsigned i, n = *(unsigned *)arg;

	for (i = 0; i < n; i++)
		prep_check(sqes[i], NULL);
}

static void poison_all(aring_loop *loop)
{
	unsigned i;

	/* Twice round the SQ: every slot gets garbage. The ring refuses it
	 * (unknown SQE flag, NOP flags, personality): the result does not matter. */
	for (i = 0; i < 2 * ENTRIES; i++)
		CU_ASSERT(aring_do(loop, prep_poison, NULL, NULL) <= 0);
}

static int zero_task(aring_loop *loop, void *arg)
{
	unsigned i, n;

	(void)arg;
	poison_all(loop);
	for (i = 0; i < 2 * ENTRIES; i++)
		CU_ASSERT_EQUAL(aring_do(loop, prep_check, NULL, NULL), 0);
	CU_ASSERT_EQUAL(dirty_sqes, 0);
	/* With a linked timeout: two SQEs per op. */
	poison_all(loop);
	for (i = 0; i < 2 * ENTRIES; i++)
		CU_ASSERT_EQUAL(aring_do(loop, prep_check, NULL,
					 &(struct aring_opt){ .timeout_ns = 1000000000u }), 0);
	CU_ASSERT_EQUAL(dirty_sqes, 0);
	/* A chain over every slot but one. */
	poison_all(loop);
	n = ENTRIES - 1;
	for (i = 0; i < 3; i++)
		CU_ASSERT_EQUAL(aring_do_n(loop, n, prep_check_n, &n, NULL), 0);
	CU_ASSERT_EQUAL(dirty_sqes, 0);
	return 0;
}

static void test_sqe_zeroed(void)
{
	dirty_sqes = 0;
	CU_ASSERT_EQUAL(th_run(zero_task, NULL, ENTRIES), 0);
}

/* A ring of 128-byte SQEs (uring only): all 128 bytes are zeroed. */
static unsigned dirty_big;

static void prep_poison_big(struct io_uring_sqe *sqe, void *arg)
{
	(void)arg;
	memset(sqe, POISON, 2 * sizeof(*sqe));
	sqe->opcode = IORING_OP_NOP;
}

static void prep_check_big(struct io_uring_sqe *sqe, void *arg)
{
	(void)arg;
	if (!is_zero(sqe) || !is_zero(sqe + 1))
		dirty_big++;
	io_uring_prep_nop(sqe);
}

static int big_task(aring_loop *loop, void *arg)
{
	unsigned i;

	(void)arg;
	for (i = 0; i < 2 * ENTRIES; i++)
		CU_ASSERT(aring_do(loop, prep_poison_big, NULL, NULL) <= 0);
	for (i = 0; i < 2 * ENTRIES; i++)
		CU_ASSERT_EQUAL(aring_do(loop, prep_check_big, NULL, NULL), 0);
	return 0;
}

static void test_sqe128_zeroed(void)
{
	struct aring_loop_opts o = { .entries = ENTRIES, .setup_flags = IORING_SETUP_SQE128 };
	aring_loop *loop = NULL;

	if (th_is_sim())
		return;  /* a kernel ring's setup flag */
	CU_ASSERT_EQUAL_FATAL(aring_loop_new(&loop, &o), 0);
	dirty_big = 0;
	CU_ASSERT_EQUAL(th_run_on(loop, big_task, NULL), 0);
	CU_ASSERT_EQUAL(dirty_big, 0);
	aring_loop_free(loop);
}

static CU_TestInfo tests[] = {
	{ "every SQE a prep gets is zeroed, after garbage in every slot", test_sqe_zeroed },
	{ "128-byte SQEs are zeroed whole", test_sqe128_zeroed },
	CU_TEST_INFO_NULL,
};

int main(int argc, char **argv)
{
	/* The sim's SQEs come from the soft ring (backends/soft/), which zeroes them. */
	return th_main(argc, argv, "sqe_zero", tests, TH_BOTH);
}
