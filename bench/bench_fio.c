/* SPDX-License-Identifier: MIT */
/*
 * Random 4 KiB reads from a page-cached 1 GiB file: aring tasks against
 * fio's io_uring engine at the same queue depth (issue 12):
 *
 *   32 and 128 tasks    vs fio --ioengine=io_uring --iodepth=32 / 128
 *   1 task on SQPOLL    vs fio --ioengine=io_uring --iodepth=1 --sqthread_poll=1
 *
 * The file is made in a new directory under $TMPDIR (else /var/tmp: on
 * disk, not tmpfs), read once so that it is in the page cache, and removed
 * at the end. fio gets --invalidate=0 (its default drops the file's pages
 * before the job starts, and the reads would go to the disk). Rounds
 * alternate aring and fio, ROUNDS of each, SECONDS each (times
 * BENCH_SCALE); a row gives the medians and the median of per-round ratios:
 * IOPS (aring / fio, higher is better) and CPU per read (aring / fio, lower
 * is better). CPU is the user + system time of the thread that runs the
 * loop, as fio counts its job's usr_cpu + sys_cpu (getrusage RUSAGE_THREAD:
 * with SQPOLL the kernel's SQ thread, a thread of the process, is not
 * counted on either side; /proc/PID/task shows it polling at 100% on both).
 * fio's defaults submit each read with its own io_uring_enter
 * (iodepth_batch_submit=1); report rows compare with fio batched up to the
 * queue depth as well. Without fio in PATH the rows are skipped with a
 * message.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>
#include <aring.h>

#include "bench/bench.h"

#define ROUNDS 3
#define BLOCK 4096u
#define FILE_BYTES (1ull << 30)
#define SECONDS 2.0

struct shared {
	int fd;
	volatile bool stop;
	uint64_t deadline_ns;
	uint64_t reads;
};

struct reader {
	struct shared *sh;
	uint64_t seed;
};

static int reader_task(aring_loop *loop, void *arg)
{
	struct reader *r = arg;
	struct shared *sh = r->sh;
	char buf[BLOCK];
	uint64_t x = r->seed, n = 0;

	while (!sh->stop) {
		/* xorshift64: a block anywhere in the file */
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		if (aring_read(loop, sh->fd, buf, BLOCK, (x % (FILE_BYTES / BLOCK)) * BLOCK, NULL) !=
		    (int)BLOCK)
			bench_die("read", EIO);
		if ((++n & 63) == 0 && bench_now_ns() >= sh->deadline_ns)
			sh->stop = true;
	}
	sh->reads += n;
	return 0;
}

struct result {
	double iops, cpu_ns;  /* reads per wall second, CPU ns per read */
	double ctx;           /* context switches per read (the loop's thread) */
};

static uint64_t thread_cpu_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static uint64_t ctx_switches(void)
{
	struct rusage ru;

	getrusage(RUSAGE_THREAD, &ru);
	return (uint64_t)(ru.ru_nvcsw + ru.ru_nivcsw);
}

static struct result aring_reads(const char *path, unsigned tasks, unsigned setup_flags)
{
	struct aring_loop_opts o = { .backend = ARING_BACKEND_URING, .setup_flags = setup_flags };
	struct shared sh = { .fd = open(path, O_RDONLY) };
	struct reader *r = calloc(tasks, sizeof(*r));
	uint64_t t0, c0, x0;
	aring_loop *loop;
	unsigned i;
	int ret;

	if (sh.fd < 0 || !r)
		bench_die("open", errno ? errno : ENOMEM);
	ret = aring_loop_new(&loop, &o);
	if (ret < 0)
		bench_die("aring_loop_new", ret);
	for (i = 0; i < tasks; i++) {
		r[i] = (struct reader){ .sh = &sh, .seed = 0x9e3779b97f4a7c15ull * (i + 1) };
		aring_spawn(loop, reader_task, &r[i], NULL);
	}
	t0 = bench_now_ns();
	c0 = thread_cpu_ns();
	x0 = ctx_switches();
	sh.deadline_ns = t0 + (uint64_t)(SECONDS * bench_scale() * 1e9);
	ret = aring_run(loop);
	c0 = thread_cpu_ns() - c0;
	t0 = bench_now_ns() - t0;
	x0 = ctx_switches() - x0;
	if (ret < 0)
		bench_die("aring_run", ret);
	aring_loop_free(loop);
	close(sh.fd);
	free(r);
	return (struct result){ sh.reads * 1e9 / (double)t0, (double)c0 / (double)sh.reads,
				(double)x0 / (double)sh.reads };
}

/* The number after "key" : in s (from `from` on), or -1. */
static double json_num(const char *s, const char *key)
{
	char pat[64];
	const char *p;

	snprintf(pat, sizeof(pat), "\"%s\" : ", key);
	p = strstr(s, pat);
	return p ? atof(p + strlen(pat)) : -1;
}

static struct result fio_reads(const char *path, unsigned depth, bool sqpoll, bool batch)
{
	char extra[128] = "";
	char cmd[1024], *out = malloc(1 << 20);
	const char *rd;
	double ios, runtime_ms, usr, sys, ctx;
	size_t len = 0, n;
	FILE *f;

	if (!out)
		bench_die("malloc", ENOMEM);
	if (sqpoll)
		snprintf(extra, sizeof(extra), " --sqthread_poll=1");
	if (batch)
		snprintf(extra, sizeof(extra),
			 " --iodepth_batch_submit=%u --iodepth_batch_complete_max=%u", depth, depth);
	snprintf(cmd, sizeof(cmd),
		 "fio --name=aring-bench --filename=%s --ioengine=io_uring --rw=randread "
		 "--bs=4k --iodepth=%u%s --invalidate=0 --time_based --runtime=%.1f "
		 "--output-format=json 2>/dev/null",
		 path, depth, extra, SECONDS * bench_scale());
	f = popen(cmd, "r");
	if (!f)
		bench_die("popen fio", errno);
	while (len < (1 << 20) - 1 && (n = fread(out + len, 1, (1 << 20) - 1 - len, f)) > 0)
		len += n;
	out[len] = 0;
	if (pclose(f) != 0)
		bench_die("fio failed", EIO);
	rd = strstr(out, "\"read\" :");
	if (!rd)
		bench_die("fio output", EIO);
	ios = json_num(rd, "total_ios");
	runtime_ms = json_num(rd, "runtime");
	usr = json_num(out, "usr_cpu");
	sys = json_num(out, "sys_cpu");
	ctx = json_num(out, "ctx");
	free(out);
	if (ios <= 0 || runtime_ms <= 0 || usr < 0 || sys < 0)
		bench_die("fio output", EIO);
	return (struct result){ ios * 1e3 / runtime_ms, (usr + sys) / 100 * runtime_ms * 1e6 / ios,
				ctx / ios };
}

static void row_pair(const char *what, unsigned tasks, unsigned depth, unsigned flags,
		     bool sqpoll, const char *path)
{
	double ai[ROUNDS], fi[ROUNDS], qi[ROUNDS], ac[ROUNDS], fc[ROUNDS], qc[ROUNDS];
	double ax[ROUNDS], fx[ROUNDS], bi[ROUNDS], bqi[ROUNDS], bc[ROUNDS], bqc[ROUNDS];
	unsigned k;

	for (k = 0; k < ROUNDS; k++) {
		struct result a = aring_reads(path, tasks, flags);
		struct result f = fio_reads(path, depth, sqpoll, false);
		struct result b = sqpoll ? f : fio_reads(path, depth, false, true);

		ai[k] = a.iops;
		fi[k] = f.iops;
		qi[k] = a.iops / f.iops;
		ac[k] = a.cpu_ns;
		fc[k] = f.cpu_ns;
		qc[k] = a.cpu_ns / f.cpu_ns;
		ax[k] = a.ctx;
		fx[k] = f.ctx;
		bi[k] = b.iops;
		bqi[k] = a.iops / b.iops;
		bc[k] = b.cpu_ns;
		bqc[k] = a.cpu_ns / b.cpu_ns;
	}
	bench_row(bench_fmt("fio: %s, random 4 KiB reads, page-cached 1 GiB: IOPS vs fio", what),
		  bench_fmt("%.0f k/s", bench_median(ai, ROUNDS) / 1e3),
		  bench_fmt("%.0f k/s", bench_median(fi, ROUNDS) / 1e3),
		  bench_median(qi, ROUNDS), BENCH_RATIO_GE, bench_median(qi, ROUNDS), 0.90,
		  ">= 0.90");
	bench_row(bench_fmt("fio: %s: CPU per read vs fio", what),
		  bench_fmt("%.0f ns", bench_median(ac, ROUNDS)),
		  bench_fmt("%.0f ns", bench_median(fc, ROUNDS)), bench_median(qc, ROUNDS),
		  BENCH_RATIO_LE, bench_median(qc, ROUNDS), 1.10, "<= 1.10");
	if (!sqpoll) {
		/* fio's defaults enter the kernel once per read (iodepth_batch_submit=1);
		 * batched, it submits up to the queue depth per enter, as aring does. */
		bench_row(bench_fmt("fio: %s: IOPS vs fio --iodepth_batch_submit=%u "
				    "--iodepth_batch_complete_max=%u", what, depth, depth),
			  bench_fmt("%.0f k/s", bench_median(ai, ROUNDS) / 1e3),
			  bench_fmt("%.0f k/s", bench_median(bi, ROUNDS) / 1e3),
			  bench_median(bqi, ROUNDS), BENCH_INFO, 0, 0, "report");
		bench_row(bench_fmt("fio: %s: CPU per read vs fio batched as above", what),
			  bench_fmt("%.0f ns", bench_median(ac, ROUNDS)),
			  bench_fmt("%.0f ns", bench_median(bc, ROUNDS)), bench_median(bqc, ROUNDS),
			  BENCH_INFO, 0, 0, "report");
	}
	if (sqpoll)
		bench_row(bench_fmt("fio: %s: context switches per read (a sleep per op is 1)", what),
			  bench_fmt("%.3f", bench_median(ax, ROUNDS)),
			  bench_fmt("%.3f", bench_median(fx, ROUNDS)), -1, BENCH_INFO, 0, 0, "report");
}

static char dir[512], path[600];

/* The 1 GiB file goes, whatever ends the run (bench_die exits). */
static void remove_file(void)
{
	if (path[0])
		unlink(path);
	if (dir[0])
		rmdir(dir);
}

int main(int argc, char **argv)
{
	const char *only = argc > 1 ? argv[1] : NULL; /* qd32, qd128 or sqpoll: that row only */
	const char *tmp = getenv("TMPDIR");
	int fd;

	if (system("command -v fio >/dev/null 2>&1") != 0) {
		bench_row("fio rows: fio is not installed (Debian package fio): skipped", "-", "-", -1,
			  BENCH_INFO, 0, 0, "within 10% of fio");
		return 0;
	}
	snprintf(dir, sizeof(dir), "%s/aring-bench-fio-XXXXXX", tmp && *tmp ? tmp : "/var/tmp");
	if (!mkdtemp(dir))
		bench_die("mkdtemp", errno);
	atexit(remove_file);
	snprintf(path, sizeof(path), "%s/file", dir);
	fd = open(path, O_RDWR | O_CREAT | O_EXCL, 0600);
	if (fd < 0)
		bench_die("open", errno);
	bench_fill_cached(fd, FILE_BYTES);
	close(fd);

	if (!only || !strcmp(only, "qd32"))
		row_pair("32 tasks vs --iodepth=32", 32, 32, 0, false, path);
	if (!only || !strcmp(only, "qd128"))
		row_pair("128 tasks vs --iodepth=128", 128, 128, 0, false, path);
	if (!only || !strcmp(only, "sqpoll"))
		row_pair("SQPOLL, 1 task vs --iodepth=1 --sqthread_poll=1", 1, 1,
			 IORING_SETUP_SQPOLL, true, path);

	return 0;
}
