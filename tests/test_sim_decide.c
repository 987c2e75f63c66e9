/*
 * aring_sim_decide: a scenario's own fault decisions, recorded, kept and
 * suppressed like the simulator's own.
 */
#include <CUnit/Basic.h>
#include <aring/sim.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

static aring_loop *sim_loop(uint64_t seed)
{
	struct aring_sim_opts so = { .seed = seed };
	struct aring_loop_opts lo = { .backend = ARING_BACKEND_SIM, .sim = &so };
	aring_loop *loop = NULL;

	CU_ASSERT_EQUAL_FATAL(aring_loop_new(&loop, &lo), 0);
	return loop;
}

static void test_einval(void)
{
	aring_loop *loop = sim_loop(1);
	char name[ARING_SIM_WHAT_MAX + 1];

	memset(name, 'x', sizeof(name) - 1);
	name[ARING_SIM_WHAT_MAX] = 0;
	CU_ASSERT_EQUAL(aring_sim_decide(NULL, "crash", 1), -EINVAL);
	CU_ASSERT_EQUAL(aring_sim_decide(loop, NULL, 1), -EINVAL);
	CU_ASSERT_EQUAL(aring_sim_decide(loop, "", 1), -EINVAL);
	CU_ASSERT_EQUAL(aring_sim_decide(loop, name, 1), -EINVAL);  /* 32 bytes */
	name[ARING_SIM_WHAT_MAX - 1] = 0;
	CU_ASSERT_EQUAL(aring_sim_decide(loop, name, 0), 0);        /* 31 bytes */
	CU_ASSERT_EQUAL(aring_sim_decide(loop, "crash", 1000001), -EINVAL);
	aring_loop_free(loop);
}

static void test_recorded(void)
{
	struct aring_sim_fault f[4];
	aring_loop *loop;
	char line[200];

	CU_ASSERT_EQUAL(aring_sim_faults_begin(NULL, 0), 0);
	loop = sim_loop(7);
	CU_ASSERT_EQUAL(aring_sim_decide(loop, "never", 0), 0);
	CU_ASSERT_EQUAL(aring_sim_decide(loop, "crash kv1", 1000000), 1);
	CU_ASSERT_EQUAL_FATAL(aring_sim_faults_taken(f, 4), 1);
	CU_ASSERT_EQUAL(f[0].seq, 1);
	CU_ASSERT_EQUAL(f[0].kind, ARING_SIM_FAULT_SCENARIO);
	CU_ASSERT_EQUAL(f[0].opcode, ARING_SIM_FAULT_NO_OP);
	CU_ASSERT_EQUAL(f[0].time_ns, ARING_SIM_START_NS);
	CU_ASSERT_STRING_EQUAL(f[0].what, "crash kv1");
	CU_ASSERT_STRING_EQUAL(aring_sim_fault_kind_name(f[0].kind), "scenario");
	aring_sim_fault_format(&f[0], line, sizeof(line));
	CU_ASSERT_PTR_NOT_NULL(strstr(line, ", crash kv1, t=1.000000000 s, scenario"));
	aring_loop_free(loop);
}

/* 200 draws at 50%: the hits, and then the same run keeping only the odd-numbered hits. */
static void test_suppressed(void)
{
	int all[200], kept[200];
	uint64_t keep[200];
	size_t nkeep = 0;
	aring_loop *loop;
	long n;
	int k;

	CU_ASSERT_EQUAL(aring_sim_faults_begin(NULL, 0), 0);
	loop = sim_loop(11);
	for (k = 0; k < 200; k++)
		all[k] = aring_sim_decide(loop, "partition", 500000);
	aring_loop_free(loop);
	n = aring_sim_faults_taken(NULL, 0);
	CU_ASSERT(n > 50 && n < 150);
	for (uint64_t seq = 1; seq <= (uint64_t)n; seq += 2)
		keep[nkeep++] = seq;
	CU_ASSERT_EQUAL(aring_sim_faults_begin(keep, nkeep), 0);
	loop = sim_loop(11);
	for (k = 0; k < 200; k++)
		kept[k] = aring_sim_decide(loop, "partition", 500000);
	aring_loop_free(loop);
	/* the same draws: a hit that was kept happens, a suppressed one gives 0 */
	for (k = 0, n = 0; k < 200; k++) {
		if (all[k]) {
			n++;
			CU_ASSERT_EQUAL(kept[k], n % 2);
		} else {
			CU_ASSERT_EQUAL(kept[k], 0);
		}
	}
	CU_ASSERT_EQUAL(aring_sim_faults_taken(NULL, 0), (long)nkeep);
	CU_ASSERT_EQUAL(aring_sim_faults_begin(NULL, 0), 0);
}

int main(void)
{
	CU_TestInfo tests[] = {
		{ "einval", test_einval },
		{ "recorded", test_recorded },
		{ "suppressed", test_suppressed },
		CU_TEST_INFO_NULL,
	};
	CU_SuiteInfo suites[] = { { "sim_decide", NULL, NULL, NULL, NULL, tests }, CU_SUITE_INFO_NULL };
	unsigned failed;

	if (CU_initialize_registry() != CUE_SUCCESS || CU_register_suites(suites) != CUE_SUCCESS)
		return 1;
	CU_basic_set_mode(CU_BRM_VERBOSE);
	CU_basic_run_tests();
	failed = CU_get_number_of_failures();
	CU_cleanup_registry();
	return failed ? 1 : 0;
}
