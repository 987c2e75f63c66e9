/* SPDX-License-Identifier: MIT */
/*
 * Costs that must not grow with the size of the world (issue 8, item 5).
 * Each row is a curve of two points, the aring column at the large size and
 * the baseline column at the smallest, on the same backend; the ratio is the
 * cost (time per op) at the large size over the cost at the smallest, target
 * <= 2.00x:
 *   - NOPs per second of 100 busy tasks with 1,000 and 100,000 other tasks
 *     parked in aring_sleep (vs none), on the sim and on uring;
 *   - openat+close per second of one file with 100,000 files open (vs none),
 *     on the sim;
 *   - aring_cancel by id with 100,000 ops in flight (vs 1), on uring and the
 *     sim; and, for reference, raw liburing's cancel with 100,000 in flight
 *     (see "cancel by id" below for what is cancelled).
 * Rates are per CPU second of the process (user and system time of every
 * thread), so that other jobs on the machine do not move them; the busy
 * curve is measured in one loop (0, then 1 k, then 100 k sleepers).
 * Every phase is bounded in time: a measurement runs for RUN_S seconds
 * (times BENCH_SCALE); a setup that has not reached its size after SETUP_S
 * seconds stops there and its row says how far it got (and misses).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <aring/sim.h>

#include "bench/bench.h"

#define BUSY_TASKS 100
#define BIG 100000u
#define CHUNK 1024u
#define RUN_S 0.3
#define SETUP_S 5.0
#define HOUR_NS (3600ull * 1000000000ull)
#define NELEM(a) (sizeof(a) / sizeof((a)[0]))
/* A row whose setup stopped short misses whatever its ratio (no ratio is <= -1). */
#define MISSED (-1.0)

static const char *be_name(enum aring_backend be)
{
	return be == ARING_BACKEND_SIM ? "sim" : "uring";
}

/* Per second, with a unit that keeps a few digits. */
static const char *rate_text(double per_s)
{
	if (per_s >= 1e6)
		return bench_fmt("%.2f M/s", per_s / 1e6);
	if (per_s >= 1e3)
		return bench_fmt("%.2f k/s", per_s / 1e3);
	return bench_fmt("%.0f /s", per_s);
}

static uint64_t run_ns(void)
{
	return (uint64_t)(RUN_S * bench_scale() * 1e9);
}

/* ------------------------------------------------------------ sleepers */

struct sleepers {
	bool with_id;
	unsigned want, got;  /* parked so far */
	bool partial;        /* the setup ran out of time */
};

static int sleeper_task(aring_loop *loop, void *arg)
{
	const struct sleepers *s = arg;
	uint64_t id;

	if (s->with_id)
		return aring_sleep_opt(loop, HOUR_NS, &(struct aring_opt){ .id = &id });
	return aring_sleep(loop, HOUR_NS);
}

/* From a task: park s->want sleepers (detached), CHUNK at a time, within SETUP_S. */
static void park(aring_loop *loop, struct sleepers *s)
{
	uint64_t t0 = bench_now_ns();

	while (s->got < s->want) {
		unsigned n = s->want - s->got < CHUNK ? s->want - s->got : CHUNK;
		unsigned i;

		for (i = 0; i < n; i++)
			if (aring_spawn(loop, sleeper_task, s, NULL) < 0)
				bench_die("aring_spawn", ENOMEM);
		aring_yield(loop);  /* they run first and submit their sleeps */
		s->got += n;
		if (s->got < s->want && bench_now_ns() - t0 > (uint64_t)(SETUP_S * 1e9)) {
			s->partial = true;
			break;
		}
	}
}

/* The size a row reached, for its label: "100 k", or "12 k of 100 k". */
static const char *size_text(unsigned got, unsigned want, bool partial)
{
	if (!partial)
		return want >= 1000 ? bench_fmt("%u k", want / 1000) : bench_fmt("%u", want);
	return bench_fmt("%u of %u", got, want);
}

/* ------------------------------------------------------------ busy tasks with sleepers */

/* The sleeper counts of the curve, in one loop: 0, then 1 k, then 100 k. */
static const unsigned busy_sizes[] = { 0, 1000, BIG };

struct busy {
	struct sleepers s;
	uint64_t deadline_ns;
	uint64_t ops;
	bool stop;
	double ops_per_s[NELEM(busy_sizes)];  /* per CPU second; 0: not reached */
	struct sleepers at[NELEM(busy_sizes)];
};

static int busy_task(aring_loop *loop, void *arg)
{
	struct busy *b = arg;

	while (!b->stop) {
		if (aring_nop(loop, NULL) != 0)
			return -1;
		if ((++b->ops & 63) == 0 && bench_now_ns() >= b->deadline_ns)
			b->stop = true;
	}
	return 0;
}

static int busy_ctl(aring_loop *loop, void *arg)
{
	struct busy *b = arg;
	aring_task *t[BUSY_TASKS];
	unsigned i, k;

	for (k = 0; k < NELEM(busy_sizes); k++) {
		uint64_t c0;

		b->s.want = busy_sizes[k];
		park(loop, &b->s);
		b->at[k] = b->s;
		b->ops = 0;
		b->stop = false;
		c0 = bench_cpu_ns();
		b->deadline_ns = bench_now_ns() + run_ns();
		for (i = 0; i < BUSY_TASKS; i++)
			if (aring_spawn(loop, busy_task, b, &t[i]) < 0)
				bench_die("aring_spawn", ENOMEM);
		for (i = 0; i < BUSY_TASKS; i++)
			aring_join(loop, t[i], NULL);
		b->ops_per_s[k] = (double)b->ops * 1e9 / (double)(bench_cpu_ns() - c0);
		if (b->s.partial)
			break;
	}
	return 0;
}

/*
 * Run ctl(arg) as a task and return once it is done, leaving whatever it
 * parked in flight: aring_loop_free then cancels it (uring) or drops it (sim).
 */
static void run_ctl(enum aring_backend be, aring_fn ctl, void *arg)
{
	aring_loop *loop = bench_loop_new(be, 1);
	aring_task *t;
	int ret = aring_spawn(loop, ctl, arg, &t);

	if (ret < 0)
		bench_die("aring_spawn", ret);
	ret = aring_join(loop, t, NULL);
	if (ret < 0)
		bench_die("aring_join", ret);
	aring_loop_free(loop);
}

static void busy_rows(enum aring_backend be)
{
	struct busy b = { 0 };
	unsigned k;

	run_ctl(be, busy_ctl, &b);
	for (k = 1; k < NELEM(busy_sizes) && b.ops_per_s[k] > 0; k++) {
		const struct sleepers *s = &b.at[k];
		double ratio = b.ops_per_s[0] / b.ops_per_s[k];

		bench_row(bench_fmt("scale %s: 100 busy tasks, %s sleepers vs 0 (NOPs per CPU s)",
				    be_name(be), size_text(s->got, s->want, s->partial)),
			  rate_text(b.ops_per_s[k]), rate_text(b.ops_per_s[0]), ratio,
			  BENCH_RATIO_LE, ratio, s->partial ? MISSED : 2.0, "<= 2.00x");
	}
}

/* ------------------------------------------------------------ open with files open */

struct opens {
	unsigned want, got;
	bool partial;
	int err;          /* why the setup stopped early, or 0 */
	double per_s;
};

static int open_ctl(aring_loop *loop, void *arg)
{
	struct opens *o = arg;
	uint64_t t0 = bench_now_ns(), c0, n = 0, deadline;
	int fd, last = -1;

	fd = aring_openat(loop, AT_FDCWD, "/tmp/probe", O_CREAT | O_RDWR, 0644, NULL);
	if (fd < 0)
		bench_die("openat /tmp/probe", fd);
	aring_close(loop, fd, NULL);
	while (o->got < o->want) {
		fd = aring_openat(loop, AT_FDCWD, bench_fmt("/tmp/f%u", o->got), O_CREAT | O_RDWR,
				  0644, NULL);
		if (fd < 0) {
			/* Full: give one fd back for the probe. */
			o->err = fd;
			if (last >= 0 && aring_close(loop, last, NULL) == 0)
				o->got--;
			break;
		}
		last = fd;
		o->got++;
		if ((o->got & 255) == 0 && bench_now_ns() - t0 > (uint64_t)(SETUP_S * 1e9))
			break;
	}
	o->partial = o->got < o->want;
	c0 = bench_cpu_ns();
	deadline = bench_now_ns() + run_ns();
	do {
		fd = aring_openat(loop, AT_FDCWD, "/tmp/probe", O_RDONLY, 0, NULL);
		if (fd < 0)
			bench_die("openat /tmp/probe", fd);
		aring_close(loop, fd, NULL);
		n++;
	} while ((n & 15) || bench_now_ns() < deadline);
	o->per_s = (double)n * 1e9 / (double)(bench_cpu_ns() - c0);
	return 0;
}

static void open_rows(void)
{
	struct opens o0 = { .want = 0 }, o = { .want = BIG };
	double ratio;

	run_ctl(ARING_BACKEND_SIM, open_ctl, &o0);
	run_ctl(ARING_BACKEND_SIM, open_ctl, &o);
	ratio = o0.per_s / o.per_s;
	bench_row(o.partial ? bench_fmt("scale sim: openat+close, %u files open (stopped: %s) vs 0",
					o.got, o.err ? strerror(-o.err) : "time")
			    : "scale sim: openat+close, 100 k files open vs 0 (per CPU s)",
		  rate_text(o.per_s), rate_text(o0.per_s), ratio,
		  BENCH_RATIO_LE, ratio, o.partial ? MISSED : 2.0, "<= 2.00x");
}

/* ------------------------------------------------------------ cancel by id */

/*
 * The cancelled ops are reads on an empty pipe: the kernel arms them by
 * poll and finds them by user_data in its cancel hash, so what grows with
 * the sleepers (kernel timeouts, which the kernel cancels by walking a list)
 * is aring's side.
 *
 * Both sizes do the same work per cancel: VICTIMS tasks wait on a channel
 * (no op in flight, not in the id registry), each is let through in turn,
 * arms one read with an id, is cancelled by that id, and exits. So with 1 in
 * flight the read is the only op in flight; with 100 k, BIG - 1 sleepers
 * (with ids) are in flight beside it. Each cancel hits a task that has not
 * run since it was spawned (a cold stack) at both sizes; only the number
 * of ops in flight differs. (An earlier shape compared one task that
 * re-armed, its stack always in cache, with 4,096 armed tasks cancelled
 * oldest first and exiting: at 4,096 victims and no sleepers it was already
 * 2.6x slower than the re-arming task, so that row measured the victims'
 * working set, not the ops in flight; see bench/README.md.)
 */
#define VICTIMS 4096u

struct cancels {
	struct sleepers s;   /* the other ops in flight, with ids */
	aring_chan gate;     /* the victims wait here, one let through per cancel */
	int pipe[2];
	uint64_t id;         /* the read in flight's id (ids are never reused) */
	double per_s;
	unsigned done;       /* cancels timed */
};

/* Wait at the gate, then a read on an empty pipe, cancelled by id. */
static int victim_task(aring_loop *loop, void *arg)
{
	struct cancels *c = arg;
	char b;
	int ret = aring_chan_recv(loop, &c->gate, NULL, NULL);

	if (ret == -EPIPE)
		return 0;  /* the run is over: not let through */
	if (ret != 0)
		bench_die("victim gate", ret);
	ret = aring_read(loop, c->pipe[0], &b, 1, (uint64_t)-1, &(struct aring_opt){ .id = &c->id });
	if (ret != -ECANCELED)
		bench_die("victim read", ret < 0 ? ret : EPROTO);
	return 0;
}

static int cancel_ctl(aring_loop *loop, void *arg)
{
	struct cancels *c = arg;
	uint64_t c0, deadline, last;
	unsigned i;
	int ret;

	aring_chan_init(&c->gate, 0, 0, NULL);
	if ((ret = aring_pipe(loop, c->pipe, 0, NULL)) < 0)
		bench_die("aring_pipe", ret);
	for (i = 0; i < VICTIMS; i++)
		if ((ret = aring_spawn(loop, victim_task, c, NULL)) < 0)
			bench_die("aring_spawn", ret);
	aring_yield(loop);  /* they run first and wait at the gate */
	c->s.with_id = true;
	park(loop, &c->s);
	c0 = bench_cpu_ns();
	deadline = bench_now_ns() + run_ns();
	do {
		last = c->id;
		if ((ret = aring_chan_try_send(loop, &c->gate, NULL)) != 0)
			bench_die("gate", ret);  /* -EAGAIN: no victim waiting */
		while (c->id == last)
			aring_yield(loop);  /* until it has armed its read */
		if ((ret = aring_cancel(loop, c->id, 0, NULL)) != 0)
			bench_die("aring_cancel", ret);
	} while (++c->done < VICTIMS && ((c->done & 15) || bench_now_ns() < deadline));
	c->per_s = (double)c->done * 1e9 / (double)(bench_cpu_ns() - c0);
	aring_chan_close(loop, &c->gate);  /* the victims left return */
	aring_yield(loop);
	aring_close(loop, c->pipe[0], NULL);
	aring_close(loop, c->pipe[1], NULL);
	return 0;
}

/* Cancels per second with in_flight ops in flight; *out: the sleepers parked. */
static double cancels(enum aring_backend be, unsigned in_flight, struct sleepers *out)
{
	struct cancels c = { .s = { .want = in_flight - 1 } };

	run_ctl(be, cancel_ctl, &c);
	*out = c.s;
	return c.per_s;
}

/*
 * Raw liburing (it has no tasks to let through a gate): VICTIMS pipe
 * reads, then timeouts, to in_flight, the reads cancelled oldest first; or
 * one read that re-arms.
 */
static double raw_cancels(unsigned in_flight)
{
	static const struct __kernel_timespec hour = { .tv_sec = 3600 };
	enum { CANCEL = 1u << 30 };
	struct io_uring ring;
	struct io_uring_sqe *sqe;
	struct io_uring_cqe *cqe;
	uint64_t c0, n = 0, deadline;
	unsigned i, head, seen;
	int p[2], ret;
	char b;

	if ((ret = io_uring_queue_init(256, &ring, 0)) < 0)
		bench_die("io_uring_queue_init", ret);
	if (pipe(p) < 0)
		bench_die("pipe", errno);
	for (i = 0; i < in_flight; i++) {
		while (!(sqe = io_uring_get_sqe(&ring)))
			io_uring_submit(&ring);
		if (i < VICTIMS)
			io_uring_prep_read(sqe, p[0], &b, 1, (uint64_t)-1);
		else
			io_uring_prep_timeout(sqe, (struct __kernel_timespec *)&hour, 0, 0);
		sqe->user_data = i + 1;
	}
	io_uring_submit(&ring);
	c0 = bench_cpu_ns();
	deadline = bench_now_ns() + run_ns();
	do {
		sqe = io_uring_get_sqe(&ring);
		io_uring_prep_cancel64(sqe, n + 1, 0);
		sqe->user_data = CANCEL;
		if ((ret = io_uring_submit_and_wait(&ring, 2)) < 0)
			bench_die("io_uring_submit_and_wait", ret);
		for (seen = 0; seen < 2;) {
			unsigned got = 0;

			io_uring_for_each_cqe(&ring, head, cqe) {
				if ((cqe->user_data == CANCEL && cqe->res != 0) ||
				    (cqe->user_data != CANCEL && cqe->res != -ECANCELED))
					bench_die("raw cancel", cqe->res < 0 ? cqe->res : EPROTO);
				got++;
			}
			io_uring_cq_advance(&ring, got);
			seen += got;
			if (seen < 2 && io_uring_wait_cqe(&ring, &cqe) < 0)
				bench_die("io_uring_wait_cqe", EIO);
		}
		n++;
		if (in_flight == 1) {
			/* One op in flight: re-arm (submitted ahead of the next cancel). */
			sqe = io_uring_get_sqe(&ring);
			io_uring_prep_read(sqe, p[0], &b, 1, (uint64_t)-1);
			sqe->user_data = n + 1;
		}
	} while ((in_flight == 1 || n < VICTIMS) && ((n & 15) || bench_now_ns() < deadline));
	c0 = bench_cpu_ns() - c0;
	io_uring_queue_exit(&ring);
	close(p[0]);
	close(p[1]);
	return (double)n * 1e9 / (double)c0;
}

static void cancel_rows(void)
{
	static const enum aring_backend bes[] = { ARING_BACKEND_URING, ARING_BACKEND_SIM };
	struct sleepers s1, s;
	double big_uring = 0;
	unsigned k;

	for (k = 0; k < NELEM(bes); k++) {
		double base = cancels(bes[k], 1, &s1);
		double r = cancels(bes[k], BIG, &s);
		double ratio = base / r;

		if (bes[k] == ARING_BACKEND_URING && !s.partial)
			big_uring = r;
		bench_row(bench_fmt("scale %s: aring_cancel by id, %s in flight vs 1 (per CPU s)",
				    be_name(bes[k]), size_text(s.got + 1, BIG, s.partial)),
			  rate_text(r), rate_text(base), ratio,
			  BENCH_RATIO_LE, ratio, s.partial ? MISSED : 2.0, "<= 2.00x");
	}
	if (big_uring > 0) {
		double raw1 = raw_cancels(1), raw = raw_cancels(BIG);

		/* The kernel's own curve (its cancel hash has a few buckets). */
		bench_row("scale uring: raw liburing cancel, 100 k in flight vs 1 (per CPU s)",
			  rate_text(raw), rate_text(raw1), raw1 / raw, BENCH_INFO, 0, 0, "report");
		bench_row("scale uring: cancel with 100 k in flight, aring vs raw liburing (per CPU s)",
			  rate_text(big_uring), rate_text(raw),
			  big_uring / raw, BENCH_INFO, 0, 0, "report");
	}
}

int main(void)
{
	busy_rows(ARING_BACKEND_SIM);
	busy_rows(ARING_BACKEND_URING);
	open_rows();
	cancel_rows();
	return 0;
}
