/* SPDX-License-Identifier: MIT */
/*
 * Random 4 KiB reads from a page-cached file, 32 tasks, on the epoll
 * backend against the uring backend (the same program, the backend chosen
 * in aring_loop_opts). The file (64 MiB under $TMPDIR or /var/tmp,
 * unlinked) is read once first so that every read hits the page cache.
 * Rounds alternate the two
 * backends; the median of the per-round ratios (epoll / uring reads per
 * second) is reported.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <aring.h>

#include "bench/bench.h"

#define ROUNDS 5
#define TASKS 32
#define FILE_BYTES (64u << 20)

static double reads_per_s(enum aring_backend b, int fd, uint64_t n)
{
	struct aring_loop_opts o = { .backend = b };
	static struct bench_reader r[TASKS];
	aring_loop *loop;
	unsigned i;
	int ret;

	ret = aring_loop_new(&loop, &o);
	if (ret < 0)
		bench_die("aring_loop_new", ret);
	for (i = 0; i < TASKS; i++) {
		r[i] = (struct bench_reader){ .fd = fd, .n = n, .seed = 0x9e3779b97f4a7c15ull * (i + 1),
					  .file_bytes = FILE_BYTES };
		aring_spawn(loop, bench_reader_task, &r[i], NULL);
	}
	return (double)TASKS * (double)n / bench_run_free(loop);
}

int main(void)
{
	double ratio[ROUNDS], ep[ROUNDS], ur[ROUNDS];
	uint64_t n = (uint64_t)(20000 * bench_scale());
	unsigned k;
	int fd = bench_cached_file(FILE_BYTES, "bench-read");

	for (k = 0; k < ROUNDS; k++) {
		ur[k] = reads_per_s(ARING_BACKEND_URING, fd, n);
		ep[k] = reads_per_s(ARING_BACKEND_EPOLL, fd, n);
		ratio[k] = ep[k] / ur[k];
	}
	bench_row("random 4 KiB reads, page-cached file, 32 tasks: epoll backend vs uring",
		  bench_fmt("%.0f k/s", bench_median(ep, ROUNDS) / 1e3),
		  bench_fmt("%.0f k/s", bench_median(ur, ROUNDS) / 1e3),
		  bench_median(ratio, ROUNDS), BENCH_INFO, 0, 0, "report");
	close(fd);
	return 0;
}
