/* SPDX-License-Identifier: MIT */
/*
 * Shared helpers of the benchmarks: a clock, RSS, medians, and the row
 * printer. Every benchmark prints rows of one Markdown table (the header is
 * printed by bench/run.sh):
 *
 *   | metric | aring | baseline | ratio | target | met? |
 *
 * Each aring figure is measured in the same process (or the same run) as its
 * baseline, alternating the two, so the ratio survives a noisy machine.
 */
#ifndef ARING_BENCH_H
#define ARING_BENCH_H

#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <aring.h>
#include <aring/sim.h>

static inline uint64_t bench_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* CPU time of the process (every thread, user and system), in ns. */
static inline uint64_t bench_cpu_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* Resident set size in bytes, from /proc/self/statm. */
static inline size_t bench_rss_bytes(void)
{
	unsigned long size = 0, resident = 0;
	FILE *f = fopen("/proc/self/statm", "r");

	if (!f)
		return 0;
	if (fscanf(f, "%lu %lu", &size, &resident) != 2)
		resident = 0;
	fclose(f);
	return (size_t)resident * (size_t)sysconf(_SC_PAGESIZE);
}

static inline int bench_cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/* Median of n values (sorts them). */
static inline double bench_median(double *v, unsigned n)
{
	qsort(v, n, sizeof(*v), bench_cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

/* Seconds each timed run aims for; BENCH_SCALE=0.2 makes everything shorter. */
static inline double bench_scale(void)
{
	const char *s = getenv("BENCH_SCALE");
	double v = s ? atof(s) : 1.0;

	return v > 0 ? v : 1.0;
}

enum bench_goal {
	BENCH_INFO,     /* no target: reported only */
	BENCH_RATIO_LE, /* ratio <= target */
	BENCH_RATIO_GE, /* ratio >= target */
	BENCH_ABS_LE,   /* the aring figure <= target */
	BENCH_ABS_GE,   /* the aring figure >= target */
};

/*
 * One table row. aring and baseline are preformatted figures (with units);
 * ratio < 0 prints "-". target_text is shown as is.
 */
static inline void bench_row(const char *metric, const char *aring, const char *baseline,
			     double ratio, enum bench_goal goal, double aring_value,
			     double target, const char *target_text)
{
	const char *met = "-";
	char ratio_text[32] = "-";

	if (ratio >= 0)
		snprintf(ratio_text, sizeof(ratio_text), "%.3f", ratio);
	switch (goal) {
	case BENCH_INFO:
		break;
	case BENCH_RATIO_LE:
		met = ratio <= target ? "yes" : "NO";
		break;
	case BENCH_RATIO_GE:
		met = ratio >= target ? "yes" : "NO";
		break;
	case BENCH_ABS_LE:
		met = aring_value <= target ? "yes" : "NO";
		break;
	case BENCH_ABS_GE:
		met = aring_value >= target ? "yes" : "NO";
		break;
	}
	printf("| %s | %s | %s | %s | %s | %s |\n", metric, aring, baseline, ratio_text,
	       target_text, met);
	fflush(stdout);
}

/* snprintf into a small static ring of buffers, for row arguments. */
static inline const char *bench_fmt(const char *fmt, ...)
{
	static char bufs[8][128];
	static unsigned next;
	char *b = bufs[next++ % 8];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(b, sizeof(bufs[0]), fmt, ap);
	va_end(ap);
	return b;
}

static inline void bench_die(const char *what, int err)
{
	fprintf(stderr, "bench: %s: %s\n", what, strerror(err < 0 ? -err : err));
	exit(1);
}

/* A loop on backend be (seed: the sim's); dies on error. */
static inline aring_loop *bench_loop_new(enum aring_backend be, uint64_t seed)
{
	struct aring_sim_opts so = { .seed = seed };
	struct aring_loop_opts o = { .backend = be, .sim = &so };
	aring_loop *loop;
	int ret = aring_loop_new(&loop, &o);

	if (ret < 0)
		bench_die("aring_loop_new", ret);
	return loop;
}

/* The C ABI of Boost.Context's fcontext, declared as core/context.c does. */
typedef void *bench_fctx;
typedef struct {
	bench_fctx fctx;
	void *data;
} bench_transfer;
extern bench_transfer jump_fcontext(bench_fctx const to, void *vp);
extern bench_fctx make_fcontext(void *sp, size_t size, void (*fn)(bench_transfer));

/* A task doing *(uint64_t *)arg NOPs. */
static inline int bench_nop_task(aring_loop *loop, void *arg)
{
	uint64_t i, n = *(uint64_t *)arg;

	for (i = 0; i < n; i++)
		if (aring_nop(loop, NULL) != 0)
			return -1;
	return 0;
}

/* Write bytes (a multiple of 1 MiB) to fd and read them back: in the page cache. */
static inline void bench_fill_cached(int fd, uint64_t bytes)
{
	char *buf = malloc(1u << 20);
	uint64_t off;

	if (!buf)
		bench_die("malloc", ENOMEM);
	memset(buf, 'b', 1u << 20);
	for (off = 0; off < bytes; off += 1u << 20)
		if (pwrite(fd, buf, 1u << 20, (off_t)off) != 1 << 20)
			bench_die("pwrite", errno);
	for (off = 0; off < bytes; off += 1u << 20)
		if (pread(fd, buf, 1u << 20, (off_t)off) != 1 << 20)
			bench_die("pread", errno);
	free(buf);
}

/* An unlinked, page-cached file of bytes under $TMPDIR (else /var/tmp); its fd. */
static inline int bench_cached_file(uint64_t bytes, const char *name)
{
	const char *tmp = getenv("TMPDIR");
	char path[512];
	int fd;

	snprintf(path, sizeof(path), "%s/aring-%s-XXXXXX", tmp && *tmp ? tmp : "/var/tmp", name);
	fd = mkstemp(path);
	if (fd < 0)
		bench_die("mkstemp", errno);
	unlink(path);
	bench_fill_cached(fd, bytes);
	return fd;
}

/* A task reading n random blocks of 4 KiB below file_bytes of fd (xorshift64 from seed). */
#define BENCH_BLOCK 4096u
struct bench_reader {
	int fd;
	uint64_t n, seed, file_bytes;
};

static inline int bench_reader_task(aring_loop *loop, void *arg)
{
	struct bench_reader *r = arg;
	char buf[BENCH_BLOCK];
	uint64_t i, x = r->seed;

	for (i = 0; i < r->n; i++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		if (aring_read(loop, r->fd, buf, BENCH_BLOCK,
			       (x % (r->file_bytes / BENCH_BLOCK)) * BENCH_BLOCK, NULL) != (int)BENCH_BLOCK)
			bench_die("read", EIO);
	}
	return 0;
}

/* aring_run(loop), then free it; returns the seconds aring_run took. */
static inline double bench_run_free(aring_loop *loop)
{
	uint64_t t0 = bench_now_ns();
	int ret = aring_run(loop);

	t0 = bench_now_ns() - t0;
	if (ret < 0)
		bench_die("aring_run", ret);
	aring_loop_free(loop);
	return (double)t0 / 1e9;
}

#endif /* ARING_BENCH_H */
