/* SPDX-License-Identifier: MIT */
/*
 * The id registry (core/cancel.c) under load: thousands of ops with an id in
 * flight at once (the table grows several times), cancelled in a shuffled
 * order (removals from the middle of probe runs), ids that outlive several
 * grows and shrinks, and stale ids that must give -ENOENT afterwards.
 */
#include <errno.h>
#include <stdlib.h>

#include "tests/helpers.h"

#define HOUR_NS (3600ull * 1000 * 1000 * 1000)
#define WAVE 2000u

struct sleeper {
	uint64_t id;
	int res;
};

static int sleeper(aring_loop *loop, void *arg)
{
	struct sleeper *s = arg;

	s->res = aring_sleep_opt(loop, HOUR_NS, &(struct aring_opt){ .id = &s->id });
	return 0;
}

/* A seeded Fisher-Yates shuffle of 0..n-1. */
static void shuffle(unsigned *v, unsigned n, uint64_t seed)
{
	unsigned i;

	for (i = 0; i < n; i++)
		v[i] = i;
	for (i = n - 1; i > 0; i--) {
		unsigned j, tmp;

		seed = seed * 6364136223846793005ull + 1442695040888963407ull;
		j = (unsigned)((seed >> 33) % (i + 1));
		tmp = v[i];
		v[i] = v[j];
		v[j] = tmp;
	}
}

/* Start n sleepers; returns once every one of them holds an id. */
static void start(aring_loop *loop, struct sleeper *s, aring_task **t, unsigned n)
{
	unsigned i;

	for (i = 0; i < n; i++) {
		s[i].id = 0;
		s[i].res = 1;
		t[i] = th_spawn(loop, sleeper, &s[i]);
	}
	aring_yield(loop);
	for (i = 0; i < n; i++)
		CU_ASSERT_NOT_EQUAL(s[i].id, 0);
}

/* Cancel sleepers order[from..to-1] by id, join them, and check their results. */
static void cancel_some(aring_loop *loop, struct sleeper *s, aring_task **t,
			const unsigned *order, unsigned from, unsigned to)
{
	unsigned k;

	for (k = from; k < to; k++)
		CU_ASSERT_EQUAL(aring_cancel(loop, s[order[k]].id, 0, NULL), 0);
	for (k = from; k < to; k++) {
		th_join(loop, t[order[k]]);
		CU_ASSERT_EQUAL(s[order[k]].res, -ECANCELED);
		/* Gone from the registry once its task resumed. */
		CU_ASSERT_EQUAL(aring_cancel(loop, s[order[k]].id, 0, NULL), -ENOENT);
	}
}

static int many_ids_task(aring_loop *loop, void *arg)
{
	struct sleeper *s = calloc(2 * WAVE, sizeof(*s));
	aring_task **t = calloc(2 * WAVE, sizeof(*t));
	unsigned *order = calloc(2 * WAVE, sizeof(*order));
	unsigned *rest = calloc(2 * WAVE, sizeof(*rest));
	struct sleeper old = { 0 };
	aring_task *old_task;
	unsigned i;

	CU_ASSERT_FATAL(s && t && order && rest);
	/* One id from before every grow, cancelled after them all. */
	old_task = th_spawn(loop, sleeper, &old);
	aring_yield(loop);
	start(loop, s, t, WAVE);
	shuffle(order, WAVE, th_cfg->seed + 1);
	/* Half of the first wave, in a shuffled order. */
	cancel_some(loop, s, t, order, 0, WAVE / 2);
	/* A second wave on top of the rest of the first. */
	start(loop, s + WAVE, t + WAVE, WAVE);
	/* Everything still in flight, shuffled as one set: the table shrinks. */
	for (i = 0; i < WAVE / 2; i++)
		rest[i] = order[WAVE / 2 + i];
	for (i = 0; i < WAVE; i++)
		rest[WAVE / 2 + i] = WAVE + i;
	shuffle(order, WAVE + WAVE / 2, th_cfg->seed + 2);
	for (i = 0; i < WAVE + WAVE / 2; i++)
		order[i] = rest[order[i]];
	cancel_some(loop, s, t, order, 0, WAVE + WAVE / 2);
	CU_ASSERT_EQUAL(aring_cancel(loop, old.id, 0, NULL), 0);
	th_join(loop, old_task);
	CU_ASSERT_EQUAL(old.res, -ECANCELED);
	/* Every id seen is now stale; so is one never handed out. */
	for (i = 0; i < 2 * WAVE; i++)
		CU_ASSERT_EQUAL(aring_cancel(loop, s[i].id, 0, NULL), -ENOENT);
	CU_ASSERT_EQUAL(aring_cancel(loop, old.id, 0, NULL), -ENOENT);
	CU_ASSERT_EQUAL(aring_cancel(loop, s[2 * WAVE - 1].id + 1000, 0, NULL), -ENOENT);
	free(rest);
	free(order);
	free(t);
	free(s);
	return 0;
}

static void test_many_ids(void)
{
	CU_ASSERT_EQUAL(th_run(many_ids_task, NULL, 0), 0);
}

static CU_TestInfo tests[] = {
	{ "thousands of ids in flight, cancelled in a shuffled order", test_many_ids },
	CU_TEST_INFO_NULL,
};

int main(int argc, char **argv)
{
	return th_main(argc, argv, "ids", tests, TH_BOTH);
}
