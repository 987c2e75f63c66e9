/*
 * The KV swarm's speed: seeds per second of tests/test_kv_swarm's scenario
 * (3 KV nodes + a client, at most 1 s of virtual time each) through
 * aring_sim_swarm, and virtual / real time; baseline: the same seeds one
 * after another in this process (no fork).
 *
 * Wall-clock figures depend on what else the machine runs; the CPU time
 * per seed (user + system, the swarm's children included) does much less:
 * on an idle machine of N CPUs, virtual / real time is about N times the
 * virtual time per CPU second (the last row).
 */
#include <aring/sim.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <unistd.h>

#include "bench/bench.h"
#include "examples/kv/kv_sim.h"

/* CPU seconds (user + system) of this process, or of its waited-for children. */
static double cpu_s(int who)
{
	struct rusage ru;

	getrusage(who, &ru);
	return (double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
	       (double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

int main(void)
{
	struct aring_sim_swarm_result res = { 0 };
	struct aring_sim_swarm_opts o = { .first_seed = 1, .quiet = 1, .result = &res };
	double scale = bench_scale(), swarm_s, here_s, vr, here_v = 0, c0, swarm_cpu, here_cpu;
	uint64_t seeds = (uint64_t)(2000 * scale) + 1, i, t0;
	int ret;

	unsetenv("ARING_SIM_SEED");
	unsetenv("ARING_SIM_SEEDS");
	unsetenv("KV_PLANT");
	o.seeds = seeds;
	c0 = cpu_s(RUSAGE_SELF) + cpu_s(RUSAGE_CHILDREN);
	t0 = bench_now_ns();
	ret = aring_sim_swarm(kv_sim_scenario, NULL, &o);
	swarm_s = (double)(bench_now_ns() - t0) / 1e9;
	swarm_cpu = cpu_s(RUSAGE_SELF) + cpu_s(RUSAGE_CHILDREN) - c0;
	if (ret != 0)
		bench_die("aring_sim_swarm (kv)", ret < 0 ? ret : -EPROTO);
	c0 = cpu_s(RUSAGE_SELF);
	t0 = bench_now_ns();
	for (i = 0; i < seeds; i++) {
		struct kv_sim_stats st;
		if (kv_sim_run(o.first_seed + i, &st) != 0)
			bench_die("kv world", EPROTO);
		here_v += (double)st.virtual_ns;
	}
	here_s = (double)(bench_now_ns() - t0) / 1e9;
	here_cpu = cpu_s(RUSAGE_SELF) - c0;
	vr = (double)res.virtual_ns / 1e9 / swarm_s;
	bench_row(bench_fmt("swarm: KV seeds per second (3 nodes + client, <= 1 s virtual, "
			    "%ld CPUs; baseline: in one process)", sysconf(_SC_NPROCESSORS_ONLN)),
		  bench_fmt("%.0f /s", seeds / swarm_s), bench_fmt("%.0f /s", seeds / here_s),
		  (seeds / swarm_s) / (seeds / here_s), BENCH_ABS_GE, seeds / swarm_s, 200,
		  ">= 200 /s");
	bench_row("swarm: virtual time / real time (KV swarm; baseline: in one process)",
		  bench_fmt("%.0fx", vr), bench_fmt("%.0fx", here_v / 1e9 / here_s),
		  vr / (here_v / 1e9 / here_s), BENCH_ABS_GE, vr, 1000, ">= 1000x");
	bench_row("swarm: KV CPU time per seed (user + system, children included; baseline: in one process)",
		  bench_fmt("%.2f ms", swarm_cpu * 1e3 / seeds), bench_fmt("%.2f ms", here_cpu * 1e3 / seeds),
		  swarm_cpu / here_cpu, BENCH_INFO, 0, 0, "report");
	bench_row("swarm: KV virtual time per CPU second (baseline: in one process)",
		  bench_fmt("%.0fx", (double)res.virtual_ns / 1e9 / swarm_cpu),
		  bench_fmt("%.0fx", here_v / 1e9 / here_cpu),
		  ((double)res.virtual_ns / swarm_cpu) / (here_v / here_cpu), BENCH_INFO, 0, 0,
		  "report");
	return 0;
}
