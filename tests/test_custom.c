/* SPDX-License-Identifier: MIT */
/* Custom ops: aring_do, aring_do_n and linked chains (soft and hard links). */
#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "tests/helpers.h"

#define MS (1000u * 1000u)

struct chain {
	int fds[2];
	char out[16];
	int first_fd;
	bool hard;
	uint8_t saw_flags;
};

/* sqes[0] writes (to first_fd), then nops, the last one reads. */
static void prep_chain3(struct io_uring_sqe **sqes, void *arg)
{
	struct chain *c = arg;
	unsigned i;

	for (i = 0; i < 3; i++)
		c->saw_flags |= sqes[i]->flags;  /* zeroed by the library */
	io_uring_prep_write(sqes[0], c->first_fd, "abc", 3, 0);
	if (c->hard)
		sqes[0]->flags |= IOSQE_IO_HARDLINK;
	io_uring_prep_nop(sqes[1]);
	io_uring_prep_read(sqes[2], c->fds[0], c->out, sizeof(c->out), 0);
}

static int chain_task(aring_loop *loop, void *arg)
{
	struct chain c;
	unsigned cqe_flags = ~0u;

	memset(&c, 0, sizeof(c));
	CU_ASSERT_EQUAL(aring_pipe(loop, c.fds, 0, NULL), 0);
	c.first_fd = c.fds[1];
	CU_ASSERT_EQUAL(aring_do_n(loop, 3, prep_chain3, &c, &(struct aring_opt){ .cqe_flags = &cqe_flags }), 3);
	CU_ASSERT_STRING_EQUAL(c.out, "abc");
	CU_ASSERT_EQUAL(c.saw_flags, 0);
	CU_ASSERT_EQUAL(cqe_flags, 0);
	/* The first link fails: the rest are cancelled and the result is -ECANCELED. */
	c.first_fd = 9999;
	memset(c.out, 0, sizeof(c.out));
	CU_ASSERT_EQUAL(aring_do_n(loop, 3, prep_chain3, &c, NULL), -ECANCELED);
	/* A hard link goes on after the failure: the read then waits for data. */
	c.hard = true;
	CU_ASSERT_EQUAL(aring_write(loop, c.fds[1], "hard", 4, 0, NULL), 4);
	CU_ASSERT_EQUAL(aring_do_n(loop, 3, prep_chain3, &c, NULL), 4);
	CU_ASSERT_STRING_EQUAL(c.out, "hard");
	th_close_pair(loop, c.fds);
	return 0;
}

static void test_do_n_chains(void)
{
	CU_ASSERT_EQUAL(th_run(chain_task, NULL, 0), 0);
}

static void prep_nop(struct io_uring_sqe *sqe, void *arg)
{
	io_uring_prep_nop(sqe);
	/* The library owns user_data: whatever prep puts there is replaced. */
	sqe->user_data = 0;
}

static void prep_read(struct io_uring_sqe *sqe, void *arg)
{
	int *fd = arg;
	static char buf[4];

	io_uring_prep_read(sqe, *fd, buf, sizeof(buf), 0);
}

static void prep_nops(struct io_uring_sqe **sqes, void *arg)
{
	unsigned *n = arg, i;

	for (i = 0; i < *n; i++)
		io_uring_prep_nop(sqes[i]);
}

static int do_task(aring_loop *loop, void *arg)
{
	unsigned n;
	int fds[2];

	CU_ASSERT_EQUAL(aring_do(loop, prep_nop, NULL, NULL), 0);
	CU_ASSERT_EQUAL(aring_do(loop, NULL, NULL, NULL), -EINVAL);
	/* A custom op takes a linked timeout like any other. */
	CU_ASSERT_EQUAL(aring_pipe(loop, fds, 0, NULL), 0);
	CU_ASSERT_EQUAL(aring_do(loop, prep_read, &fds[0], &(struct aring_opt){ .timeout_ns = MS }), -ETIME);
	/* ... and an id to cancel it by is covered in test_zig, chains in test_chain; here the limits. */
	n = 1;
	CU_ASSERT_EQUAL(aring_do_n(loop, 1, prep_nops, &n, NULL), 0);
	n = 7;
	CU_ASSERT_EQUAL(aring_do_n(loop, 7, prep_nops, &n, &(struct aring_opt){ .timeout_ns = 1000 * MS }), 0);
	CU_ASSERT_EQUAL(aring_do_n(loop, 0, prep_nops, &n, NULL), -EINVAL);
	CU_ASSERT_EQUAL(aring_do_n(loop, 2, NULL, &n, NULL), -EINVAL);
	/* More SQEs than the ring (8 entries) has. */
	n = 9;
	CU_ASSERT_EQUAL(aring_do_n(loop, 9, prep_nops, &n, NULL), -EINVAL);
	/* All 8, but no room left for a linked timeout; a deadline takes no SQE. */
	n = 8;
	CU_ASSERT_EQUAL(aring_do_n(loop, 8, prep_nops, &n, NULL), 0);
	CU_ASSERT_EQUAL(aring_do_n(loop, 8, prep_nops, &n,
				   &(struct aring_opt){ .timeout_ns = MS, .flags = ARING_OPT_LINKED_TIMEOUT }),
			-EINVAL);
	CU_ASSERT_EQUAL(aring_do_n(loop, 8, prep_nops, &n, &(struct aring_opt){ .timeout_ns = 1000 * MS }), 0);
	th_close_pair(loop, fds);
	return 0;
}

static void test_do_and_limits(void)
{
	CU_ASSERT_EQUAL(th_run(do_task, NULL, 8), 0);
}

/* A prep that sets link / skip flags: aring_do clears them. */
static void prep_nop_bad_flags(struct io_uring_sqe *sqe, void *arg)
{
	io_uring_prep_nop(sqe);
	sqe->flags = *(unsigned char *)arg;
}

static int bad_flags_task(aring_loop *loop, void *arg)
{
	static const unsigned char flags[] = { IOSQE_IO_LINK, IOSQE_IO_HARDLINK,
					       IOSQE_CQE_SKIP_SUCCESS,
					       IOSQE_IO_LINK | IOSQE_CQE_SKIP_SUCCESS };
	unsigned i;

	for (i = 0; i < sizeof(flags); i++) {
		unsigned char f = flags[i];

		/* Without the clearing, a skipped CQE would leave this task
		 * suspended for ever (aring_run: -EDEADLK), and a link would
		 * chain into the next op, which the cancel below would fail. */
		CU_ASSERT_EQUAL(aring_do(loop, prep_nop_bad_flags, &f, NULL), 0);
		CU_ASSERT_EQUAL(aring_nop(loop, NULL), 0);
	}
	return 0;
}

static void test_do_clears_link_and_skip(void)
{
	CU_ASSERT_EQUAL(th_run(bad_flags_task, NULL, 0), 0);
}

static CU_TestInfo tests[] = {
	{ "aring_do clears link and skip flags set by prep", test_do_clears_link_and_skip },
	{ "aring_do_n: linked chains, failure cancels the rest, hard links", test_do_n_chains },
	{ "aring_do and aring_do_n: timeouts and limits", test_do_and_limits },
	CU_TEST_INFO_NULL,
};

int main(int argc, char **argv)
{
	return th_main(argc, argv, "custom", tests, TH_BOTH);
}
