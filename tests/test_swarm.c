/* SPDX-License-Identifier: MIT */
/*
 * The swarm (sim only), through aring_sim_swarm: the echo server and client
 * of examples/echo.c, as they are, plus a file writer, under many seeds,
 * each seed in its own child process with fault rates drawn from the seed
 * (aring_sim_swarm_opts_for). Invariants checked on every seed:
 *  - each client's output is byte-exact: what came back is a prefix of what
 *    the client read from its input and sent, and all of it when the client
 *    returned 0. A client may fail only by returning -errno, and only if an
 *    error, cancel or timeout was injected: short transfers alone must not
 *    fail anything;
 *  - every record the writer saw acknowledged (its write and a later fsync
 *    succeeded) reads back intact after a reopen;
 *  - the run ends: every op carries a timeout, aring_run returns 0 (not
 *    -EDEADLK), no request is left in flight, virtual time stays bounded;
 *  - the same seed gives the same trace hash (test_determinism).
 *
 * ARING_SWARM_PLANT=short-write turns on the bug planted in examples/echo.c
 * (a single send whose short count is ignored); test_plant sets it itself
 * and checks that the swarm finds it and shrinks it to a few faults. The
 * swarm's own variables (include/aring/sim.h) work here: ARING_SIM_SEEDS=<n>
 * or <a>..<b> (default 1..200), ARING_SIM_SEED=<n> (that seed only, in this
 * process, with its faults listed), ARING_SIM_KEEP=<list>,
 * ARING_SIM_SHRINK=1, ARING_SIM_TRACE=1.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include "examples/echo.h"
#include "tests/helpers.h"

#define DEFAULT_SEEDS 200u  /* about 0.3 s in children; under ASan+UBSan a few s */
#define DETERMINISM_SEEDS 8u
#define SHRUNK_SMALL 5u     /* "a handful": the planted bug needs one short send */

#define MS (1000ull * 1000u)
#define SEC (1000ull * MS)
#define CLIENT_TIMEOUT_NS SEC          /* on every op of a client */
#define SERVER_TIMEOUT_NS (2 * SEC)    /* per recv/write of a connection */
#define ACCEPT_TIMEOUT_NS SEC          /* the server stops when idle this long */
#define OP_TIMEOUT_NS SEC              /* on every op of the harness and the writer */
#define MAX_VIRTUAL_NS (600 * SEC)     /* a run that takes longer is a hang */
#define MAX_CLIENTS 3
#define MAX_INPUT_BYTES (32u * 1024u)  /* below the pipe's 64 KiB: the feeder never waits */
#define MAX_RECORDS 48
#define MAX_RECORD_BYTES 1024
#define TRIES 50                       /* attempts of a harness op under faults */
#define MAX_SEED_FAILS 8               /* messages printed per seed */

/* ---------------------------------------------------------------- seed-derived choices */

static uint64_t mix(uint64_t *s)  /* splitmix64 */
{
	uint64_t z = (*s += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static uint64_t below(uint64_t *s, uint64_t n)
{
	return n ? mix(s) % n : 0;
}

/* ---------------------------------------------------------------- one seed's world */

struct run;

struct client {
	struct run *run;
	unsigned id;
	uint64_t rng;
	uint8_t *in;              /* the client's input: lines of any byte but '\n' */
	size_t in_len;
	size_t fed;               /* bytes the feeder put into the input pipe */
	size_t left;              /* bytes still in the pipe when the client returned */
	uint8_t *out;             /* what the client wrote to its output pipe */
	size_t out_len, out_cap;
	int ret;                  /* echo_client's result, or the socket/connect error */
	int harness_err;          /* an op of the feeder/sink/drain failed as it cannot */
	int in_fds[2], out_fds[2];
};

enum { REC_NONE, REC_WRITTEN, REC_ACKED };

struct writer {
	struct run *run;
	uint64_t rng;
	char path[64];
	unsigned nrec, rec_bytes;
	uint64_t off[MAX_RECORDS];
	uint8_t state[MAX_RECORDS];
	unsigned acked;
	int open_err;             /* the first open failed every try */
};

struct run {
	uint64_t seed;
	struct aring_sim_opts so;
	unsigned nclients;
	struct client clients[MAX_CLIENTS];
	struct writer writer;
	uint16_t port;
	int lfd;
	int server_ret;
	/* results */
	struct aring_sim_stats st;
	uint64_t hash, virtual_ns;
	unsigned fails;
	bool quiet;               /* a second run of the seed: count, do not print */
};


static void fail(struct run *r, const char *fmt, ...) ARING_PRINTF(2, 3);
static void fail(struct run *r, const char *fmt, ...)
{
	va_list ap;

	if (r->fails++ >= MAX_SEED_FAILS || r->quiet)
		return;
	printf("swarm: FAIL ARING_SIM_SEED=%" PRIu64 ": ", r->seed);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
}

static const struct aring_opt op_opt = { .timeout_ns = OP_TIMEOUT_NS };

static void fill_record(uint64_t seed, unsigned k, uint8_t *buf, unsigned len)
{
	uint64_t s = seed * 1000003u + k, v = 0;
	unsigned i;

	for (i = 0; i < len; i++) {
		if (i % 8 == 0)
			v = mix(&s);
		buf[i] = (uint8_t)(v >> (8 * (i % 8)));
	}
}

static void make_world(struct run *r)
{
	uint64_t rng = r->seed * 0x2545f4914f6cdd1dull + 1;
	unsigned c;

	r->nclients = 1 + (unsigned)below(&rng, MAX_CLIENTS);
	for (c = 0; c < r->nclients; c++) {
		struct client *cl = &r->clients[c];
		unsigned lines = 1 + (unsigned)below(&rng, 24), l;

		cl->run = r;
		cl->id = c;
		cl->rng = mix(&rng);
		cl->in = malloc(MAX_INPUT_BYTES);
		for (l = 0; l < lines && cl->in_len < MAX_INPUT_BYTES - 1; l++) {
			/* Mostly short lines; now and then one longer than the client's buffer. */
			size_t len = below(&rng, 8) ? below(&rng, 200) : 4000 + below(&rng, 6000), i;

			if (len > MAX_INPUT_BYTES - 1 - cl->in_len)
				len = MAX_INPUT_BYTES - 1 - cl->in_len;
			for (i = 0; i < len; i++) {
				uint8_t b = (uint8_t)mix(&rng);

				cl->in[cl->in_len++] = b == '\n' ? 'n' : b;
			}
			/* The last line may lack its newline. */
			if (l + 1 < lines || below(&rng, 2))
				cl->in[cl->in_len++] = '\n';
		}
		cl->out_cap = cl->in_len + 4096; /* room to see too much output */
		cl->out = malloc(cl->out_cap);
		cl->in_fds[0] = cl->in_fds[1] = cl->out_fds[0] = cl->out_fds[1] = -1;
	}
	r->writer.run = r;
	r->writer.rng = mix(&rng);
	r->writer.nrec = 8 + (unsigned)below(&rng, MAX_RECORDS - 8 + 1);
	r->writer.rec_bytes = 64 + (unsigned)below(&rng, MAX_RECORD_BYTES - 64 + 1);
	snprintf(r->writer.path, sizeof(r->writer.path), "/tmp/swarm-%" PRIu64, r->seed);
	r->lfd = -1;
}

static void free_world(struct run *r)
{
	unsigned c;

	for (c = 0; c < r->nclients; c++) {
		free(r->clients[c].in);
		free(r->clients[c].out);
	}
}

/* ---------------------------------------------------------------- harness ops, retried */

static int pipe_retry(aring_loop *loop, int fds[2])
{
	int k, ret = -EIO;

	for (k = 0; k < TRIES && ret < 0; k++)
		ret = aring_pipe(loop, fds, 0, &op_opt);
	return ret;
}

static int open_retry(aring_loop *loop, const char *path, int flags)
{
	int k, ret = -EIO;

	for (k = 0; k < TRIES && ret < 0; k++)
		ret = aring_openat(loop, AT_FDCWD, path, flags, 0644, &op_opt);
	return ret;
}

static int64_t size_retry(aring_loop *loop, const char *path)
{
	struct statx stx;
	int k, ret = -EIO;

	for (k = 0; k < TRIES && ret < 0; k++)
		ret = aring_statx(loop, AT_FDCWD, path, 0, STATX_SIZE, &stx, &op_opt);
	return ret < 0 ? ret : (int64_t)stx.stx_size;
}

static int listen_retry(aring_loop *loop, uint16_t *port)
{
	int k, ret = -EIO;

	for (k = 0; k < TRIES && ret < 0; k++)
		ret = th_listen(loop, port);
	return ret;
}

static int socket_retry(aring_loop *loop)
{
	int k, ret = -EIO;

	for (k = 0; k < TRIES && ret < 0; k++)
		ret = aring_socket(loop, AF_INET, SOCK_STREAM, 0, 0, &op_opt);
	return ret;
}

/* What a fault may make a pipe op return: retry those. */
static bool pipe_fault(int ret)
{
	return ret == -ECANCELED || ret == -EINTR || ret == -ETIME;
}

/* ---------------------------------------------------------------- tasks */

/* Writes the client's input into its stdin pipe in pieces, then closes it. */
static int feeder(aring_loop *loop, void *arg)
{
	struct client *c = arg;
	int faults = 0;

	while (c->fed < c->in_len) {
		size_t want = 1 + below(&c->rng, 600);
		int n;

		if (want > c->in_len - c->fed)
			want = c->in_len - c->fed;
		n = aring_write(loop, c->in_fds[1], c->in + c->fed, (unsigned)want, (uint64_t)-1, &op_opt);
		if (n > 0) {
			c->fed += (size_t)n;
		} else if (pipe_fault(n) && ++faults < TRIES) {
			continue;
		} else {
			if (!pipe_fault(n))
				c->harness_err = n ? n : -EIO;
			break;  /* the client sees EOF after what was fed */
		}
		aring_sleep(loop, below(&c->rng, 100000));
	}
	aring_close(loop, c->in_fds[1], NULL);
	return 0;
}

/* Collects what the client writes to its stdout pipe, until EOF. */
static int sink(aring_loop *loop, void *arg)
{
	struct client *c = arg;
	int faults = 0;

	for (;;) {
		uint8_t *at = c->out + c->out_len;
		size_t room = c->out_cap - c->out_len;
		int n = aring_read(loop, c->out_fds[0], at, room ? (unsigned)room : 1u, (uint64_t)-1,
				   &op_opt);

		if (n == 0)
			return 0;
		if (n > 0 && room) {
			c->out_len += (size_t)n;
		} else if (n > 0) {
			return 0; /* more than out_cap: the check reports it */
		} else if (!pipe_fault(n) || ++faults >= 1000) {
			c->harness_err = n;
			return 0;
		}
	}
}

/* After the client returned: count the input it left unread. */
static void drain(aring_loop *loop, struct client *c)
{
	uint8_t buf[4096];
	int faults = 0;

	for (;;) {
		int n = aring_read(loop, c->in_fds[0], buf, sizeof(buf), (uint64_t)-1, &op_opt);

		if (n == 0)
			return;
		if (n > 0) {
			c->left += (size_t)n;
		} else if (!pipe_fault(n) || ++faults >= 1000) {
			c->harness_err = n;
			return;
		}
	}
}

/* One client: stdin and stdout are pipes fed and drained by the harness. */
static int client_task(aring_loop *loop, void *arg)
{
	struct client *c = arg;
	struct sockaddr_in a = th_addr(c->run->port);
	aring_task *tf, *ts;
	int sock, ret;

	ret = pipe_retry(loop, c->in_fds);
	if (ret == 0)
		ret = pipe_retry(loop, c->out_fds);
	if (ret < 0) {
		c->harness_err = ret;
		return 0;
	}
	if (aring_spawn(loop, feeder, c, &tf) < 0 || aring_spawn(loop, sink, c, &ts) < 0) {
		c->harness_err = -ENOMEM;
		return 0;
	}
	sock = socket_retry(loop);
	ret = sock < 0 ? sock : aring_connect(loop, sock, (struct sockaddr *)&a, sizeof(a), &op_opt);
	if (ret == 0)
		ret = echo_client(loop, c->in_fds[0], c->out_fds[1], sock, CLIENT_TIMEOUT_NS);
	c->ret = ret;
	if (sock >= 0)
		aring_close(loop, sock, NULL);
	aring_close(loop, c->out_fds[1], NULL);
	aring_join(loop, tf, NULL);
	drain(loop, c);
	aring_close(loop, c->in_fds[0], NULL);
	aring_join(loop, ts, NULL);
	aring_close(loop, c->out_fds[0], NULL);
	return 0;
}

static int server_task(aring_loop *loop, void *arg)
{
	struct run *r = arg;

	r->server_ret = echo_serve_for(loop, r->lfd, SERVER_TIMEOUT_NS, r->nclients,
				       ACCEPT_TIMEOUT_NS);
	return 0;
}

/* Read len bytes at off, retrying faults. 0, or -errno. */
static int read_at(aring_loop *loop, int fd, uint8_t *buf, unsigned len, uint64_t off)
{
	unsigned got = 0;
	int faults = 0;

	while (got < len) {
		int n = aring_read(loop, fd, buf + got, len - got, off + got, &op_opt);

		if (n == 0)
			return -ENODATA;
		if (n > 0)
			got += (unsigned)n;
		else if (++faults >= TRIES)
			return n;
	}
	return 0;
}

/*
 * Records go one after another through aring_write_all at the file position;
 * the writer tracks each record's offset (after a failed write it asks
 * statx where the file now ends). Every few records an fsync acknowledges
 * the records written before it. Then reopen and check every acknowledged
 * record.
 */
static int writer_task(aring_loop *loop, void *arg)
{
	struct writer *w = arg;
	struct run *r = w->run;
	uint8_t rec[MAX_RECORD_BYTES], back[MAX_RECORD_BYTES];
	unsigned batch = 1 + (unsigned)below(&w->rng, 5), k, j;
	uint64_t pos = 0;
	int fd, ret;

	fd = open_retry(loop, w->path, O_CREAT | O_TRUNC | O_WRONLY);
	if (fd < 0) {
		w->open_err = fd;
		return 0;
	}
	for (k = 0; k < w->nrec; k++) {
		fill_record(r->seed, k, rec, w->rec_bytes);
		w->off[k] = pos;
		ret = aring_write_all(loop, fd, rec, w->rec_bytes, &op_opt);
		if (ret == (int)w->rec_bytes) {
			w->state[k] = REC_WRITTEN;
			pos += w->rec_bytes;
		} else {
			int64_t size = size_retry(loop, w->path);

			if (size < 0)
				break;  /* where the next record would go is unknown: stop */
			pos = (uint64_t)size;
		}
		if ((k + 1) % batch == 0 && aring_fsync(loop, fd, 0, &op_opt) == 0)
			for (j = 0; j <= k; j++)
				if (w->state[j] == REC_WRITTEN)
					w->state[j] = REC_ACKED;
	}
	for (j = 0; j < TRIES && aring_fsync(loop, fd, 0, &op_opt) < 0; j++)
		;
	if (j < TRIES)
		for (k = 0; k < w->nrec; k++)
			if (w->state[k] == REC_WRITTEN)
				w->state[k] = REC_ACKED;
	aring_close(loop, fd, NULL);

	fd = open_retry(loop, w->path, O_RDONLY);
	if (fd < 0) {
		fail(r, "writer: reopening %s failed %d times (last %d)", w->path, TRIES, fd);
		return 0;
	}
	for (k = 0; k < w->nrec; k++) {
		if (w->state[k] != REC_ACKED)
			continue;
		w->acked++;
		ret = read_at(loop, fd, back, w->rec_bytes, w->off[k]);
		fill_record(r->seed, k, rec, w->rec_bytes);
		if (ret < 0) {
			fail(r, "writer: acknowledged record %u (%u bytes at offset %" PRIu64
				"): read back failed: %s", k, w->rec_bytes, w->off[k], strerror(-ret));
		} else if (memcmp(rec, back, w->rec_bytes)) {
			for (j = 0; rec[j] == back[j]; j++)
				;
			fail(r, "writer: acknowledged record %u (%u bytes at offset %" PRIu64
				") differs at byte %u: 0x%02x, wrote 0x%02x", k, w->rec_bytes, w->off[k],
			     j, back[j], rec[j]);
		}
	}
	aring_close(loop, fd, NULL);
	return 0;
}

static int swarm_main(aring_loop *loop, void *arg)
{
	struct run *r = arg;
	aring_task *server = NULL, *clients[MAX_CLIENTS], *writer;
	unsigned c;

	r->lfd = listen_retry(loop, &r->port);
	if (r->lfd >= 0 && aring_spawn(loop, server_task, r, &server) < 0)
		return -ENOMEM;
	if (r->lfd < 0)
		r->server_ret = r->lfd;
	for (c = 0; c < r->nclients; c++) {
		if (r->lfd < 0) {
			r->clients[c].ret = r->lfd;
			clients[c] = NULL;
		} else if (aring_spawn(loop, client_task, &r->clients[c], &clients[c]) < 0) {
			return -ENOMEM;
		}
	}
	if (aring_spawn(loop, writer_task, &r->writer, &writer) < 0)
		return -ENOMEM;
	for (c = 0; c < r->nclients; c++)
		if (clients[c])
			aring_join(loop, clients[c], NULL);
	aring_join(loop, writer, NULL);
	if (server)
		aring_join(loop, server, NULL);
	if (r->lfd >= 0)
		aring_close(loop, r->lfd, NULL);
	return 0;
}

/* ---------------------------------------------------------------- checks */

static void check_client(struct run *r, const struct client *c, bool clean)
{
	size_t consumed = c->fed - c->left, j;

	if (c->harness_err) {
		fail(r, "client %u: a harness pipe op failed: %s", c->id, strerror(-c->harness_err));
		return;
	}
	if (c->left > c->fed) {
		fail(r, "client %u: %zu bytes left in its input, only %zu fed", c->id, c->left, c->fed);
		return;
	}
	if (c->out_len > consumed) {
		fail(r, "client %u: %zu bytes came back, only %zu were read and sent (returned %d)",
		     c->id, c->out_len, consumed, c->ret);
		return;
	}
	if (memcmp(c->out, c->in, c->out_len)) {
		for (j = 0; c->out[j] == c->in[j]; j++)
			;
		fail(r, "client %u: wrong data: byte %zu came back as 0x%02x, sent 0x%02x "
			"(returned %d)", c->id, j, c->out[j], c->in[j], c->ret);
		return;
	}
	if (c->ret == 0 && c->out_len != consumed)
		fail(r, "client %u: silent loss: returned 0 but only %zu of the %zu bytes it read "
			"came back", c->id, c->out_len, consumed);
	if (clean && (c->ret != 0 || c->fed != c->in_len || c->left != 0))
		fail(r, "client %u: with no error, cancel or timeout injected it returned %d "
			"(%zu of %zu bytes fed, %zu left unread, %zu echoed)", c->id, c->ret, c->fed,
		     c->in_len, c->left, c->out_len);
}

static void check_run(struct run *r, int run_ret, int main_ret)
{
	const struct aring_sim_stats *st = &r->st;
	bool clean = !st->errors_injected && !st->cancels_injected && !st->timeouts_injected;
	unsigned c;

	if (run_ret != 0)
		fail(r, "aring_run returned %d (%s)", run_ret, strerror(-run_ret));
	if (main_ret != 0)
		fail(r, "the harness task returned %d", main_ret);
	if (st->inflight)
		fail(r, "%" PRIu64 " requests still in flight after the run", st->inflight);
	if (r->virtual_ns > MAX_VIRTUAL_NS)
		fail(r, "the run took %" PRIu64 " ms of virtual time", (uint64_t)(r->virtual_ns / MS));
	for (c = 0; c < r->nclients; c++)
		check_client(r, &r->clients[c], clean);
	if (clean && r->server_ret != 0)
		fail(r, "server: with no error, cancel or timeout injected it returned %d",
		     r->server_ret);
	if (clean && r->writer.acked != r->writer.nrec)
		fail(r, "writer: with no error, cancel or timeout injected only %u of %u records "
			"were acknowledged", r->writer.acked, r->writer.nrec);
}

/* ---------------------------------------------------------------- the scenario */

/* Run one seed's world once; results in r. */
static void run_once(struct run *r, uint64_t seed, bool quiet)
{
	struct aring_loop_opts o = { .backend = ARING_BACKEND_SIM };
	aring_loop *loop;
	aring_task *t;
	int ret, run_ret, main_ret = -12345;
	uint64_t t0;

	memset(r, 0, sizeof(*r));
	r->seed = seed;
	r->quiet = quiet;
	aring_sim_swarm_opts_for(seed, &r->so);
	/* The writer takes every fsync as durable and every read back as good:
	   no disk faults here (test_sim_disk and test_kv_swarm have them). */
	r->so.disk_read_error_ppm = r->so.disk_fsync_error_ppm = r->so.disk_nospace_ppm = 0;
	o.sim = &r->so;
	make_world(r);
	ret = aring_loop_new(&loop, &o);
	if (ret < 0) {
		fail(r, "aring_loop_new: %s", strerror(-ret));
		return;
	}
	t0 = aring_now_ns(loop);
	ret = aring_spawn(loop, swarm_main, r, &t);
	run_ret = ret < 0 ? ret : aring_run(loop);
	if (ret == 0 && run_ret == 0)
		aring_join(loop, t, &main_ret);
	r->virtual_ns = aring_now_ns(loop) - t0;
	aring_sim_stats(loop, &r->st);
	r->hash = aring_sim_trace_hash(loop);
	check_run(r, run_ret, main_ret);
	aring_loop_free(loop);
}

/* The plant comes from the environment, so a printed replay command carries it. */
static void set_plant(void)
{
	const char *plant = getenv("ARING_SWARM_PLANT");

	echo_plant_short_write = plant && !strcmp(plant, "short-write");
}

/* aring_sim_swarm's scenario: 0 when every invariant held. */
static int scenario(uint64_t seed, void *arg)
{
	static struct run r;
	uint64_t *hash = arg;

	set_plant();
	run_once(&r, seed, false);
	if (r.fails)
		printf("swarm: seed %" PRIu64 ": %u client(s), %u/%u records acknowledged, %" PRIu64
		       " ops, %" PRIu64 " ms virtual; faults timeout_ppm=%" PRIu32 " cancel_ppm=%"
		       PRIu32 " short_ppm=%" PRIu32 " error_ppm=%" PRIu32 "; injected %" PRIu64
		       " timeouts, %" PRIu64 " cancels, %" PRIu64 " shorts, %" PRIu64 " errors\n",
		       seed, r.nclients, r.writer.acked, r.writer.nrec, r.st.ops,
		       (uint64_t)(r.virtual_ns / MS), r.so.timeout_ppm, r.so.cancel_ppm,
		       r.so.short_ppm, r.so.error_ppm, r.st.timeouts_injected, r.st.cancels_injected,
		       r.st.shorts_injected, r.st.errors_injected);
	if (hash)
		*hash = r.hash;
	free_world(&r);
	return r.fails ? 1 : 0;
}

/* ---------------------------------------------------------------- tests */

static bool replaying(void)
{
	const char *e = getenv("ARING_SIM_SEED");

	return e && *e;
}

/* Seeds 1..200 pass (or the environment's seeds, or ARING_SIM_SEED's one). */
static void test_swarm(void)
{
	struct aring_sim_swarm_opts o = { .first_seed = 1, .seeds = DEFAULT_SEEDS };

	CU_ASSERT_EQUAL(aring_sim_swarm(scenario, NULL, &o), 0);
}

/* The same seed twice, in this process: the same trace hash. */
static void test_determinism(void)
{
	uint64_t seed, a, b;

	if (replaying())
		return; /* ARING_SIM_KEEP would number the two runs differently */
	for (seed = 1; seed <= DETERMINISM_SEEDS; seed++) {
		scenario(seed, &a);
		scenario(seed, &b);
		CU_ASSERT_EQUAL(a, b);
	}
}

/*
 * The planted bug: the swarm finds it, and shrinks its first failing seed
 * to a handful of faults; replaying with only those fails, with none
 * passes, and with any one of them removed passes (1-minimal).
 */
static void test_plant(void)
{
	struct aring_sim_swarm_opts o = { .first_seed = 1, .seeds = DEFAULT_SEEDS, .shrink = 1 };
	struct aring_sim_swarm_result *res;
	struct aring_sim_fault *keep;
	const char *old = getenv("ARING_SWARM_PLANT");
	unsigned i, j, n;
	int ret;

	if (replaying() || old)
		return; /* a replay, or a plant chosen by hand: test_swarm shows it */
	res = calloc(1, sizeof(*res));
	o.result = res;
	setenv("ARING_SWARM_PLANT", "short-write", 1);
	ret = aring_sim_swarm(scenario, NULL, &o);
	printf("swarm: the planted short write failed %d of %" PRIu64 " seeds; first %" PRIu64
	       ", shrunk from %" PRIu64 " to %" PRIu32 " faults\n", ret, res->seeds_run,
	       res->first_failed_seed, res->faults_before, res->nshrunk);
	CU_ASSERT(ret > 0);
	CU_ASSERT_EQUAL(res->shrunk_ok, 1);
	CU_ASSERT(res->nshrunk >= 1 && res->nshrunk <= SHRUNK_SMALL);
	n = res->nshrunk <= SHRUNK_SMALL ? res->nshrunk : 0;
	keep = res->shrunk;
	if (ret > 0 && n) {
		/* Only those faults (by identity): it still fails. */
		CU_ASSERT_EQUAL(aring_sim_replay_faults(scenario, NULL, res->first_failed_seed, keep,
							n, 0), 1);
		/* None of them (no fault at all): it passes. */
		CU_ASSERT_EQUAL(aring_sim_replay_faults(scenario, NULL, res->first_failed_seed, keep,
							0, 0), 0);
		/* Without any one of them: it passes. */
		for (i = 0; i < n; i++) {
			struct aring_sim_fault less[SHRUNK_SMALL];
			unsigned m = 0;

			for (j = 0; j < n; j++)
				if (j != i)
					less[m++] = keep[j];
			CU_ASSERT_EQUAL(aring_sim_replay_faults(scenario, NULL, res->first_failed_seed,
								less, m, 0), 0);
		}
	}
	unsetenv("ARING_SWARM_PLANT");
	free(res);
}

/* ---------------------------------------------------------------- the decisions */

#define DECISIONS_MAX 4096
#define IO_ROUNDS 150

/* Writes and reads at fixed offsets, each with a timeout: no result changes what comes next. */
static int io_rounds(aring_loop *loop, void *arg)
{
	static const struct aring_opt tmo = { .timeout_ns = MS };
	uint8_t buf[64];
	unsigned i;
	int fd;

	(void)arg;
	fd = aring_openat(loop, AT_FDCWD, "/tmp/d", O_CREAT | O_RDWR, 0644, NULL);
	if (fd < 0)
		return fd;
	memset(buf, 'x', sizeof(buf));
	for (i = 0; i < IO_ROUNDS; i++) {
		aring_write(loop, fd, buf, sizeof(buf), i * sizeof(buf), &tmo);
		aring_read(loop, fd, buf, sizeof(buf), i * sizeof(buf), &tmo);
	}
	return aring_close(loop, fd, NULL);
}

/* One run of io_rounds on a faulty loop with only keep (NULL: all): the decisions taken. */
static long decisions(const uint64_t *keep, size_t nkeep, struct aring_sim_fault *out,
		      struct aring_sim_stats *st)
{
	struct aring_sim_opts so = { .seed = 77, .timeout_ppm = 30000, .cancel_ppm = 30000,
				     .short_ppm = 100000, .error_ppm = 30000 };
	struct aring_loop_opts o = { .backend = ARING_BACKEND_SIM, .sim = &so };
	aring_loop *loop;
	long n;

	CU_ASSERT_EQUAL_FATAL(aring_sim_faults_begin(keep, nkeep), 0);
	CU_ASSERT_EQUAL_FATAL(aring_loop_new(&loop, &o), 0);
	CU_ASSERT_EQUAL(aring_spawn(loop, io_rounds, NULL, NULL), 0);
	CU_ASSERT_EQUAL(aring_run(loop), 0);
	aring_sim_stats(loop, st);
	aring_loop_free(loop);
	n = aring_sim_faults_taken(out, DECISIONS_MAX);
	CU_ASSERT(n >= 0 && n <= DECISIONS_MAX);
	return n;
}

static bool same_decision(const struct aring_sim_fault *a, const struct aring_sim_fault *b)
{
	return a->seq == b->seq && a->kind == b->kind && a->opcode == b->opcode &&
	       a->detail == b->detail && !strcmp(a->node, b->node);
}

/* io_rounds on decisions()'s loop, in a replay's child: exactly the fault *arg, as it was. */
static int keeps_one(uint64_t seed, void *arg)
{
	const struct aring_sim_fault *want = arg;
	struct aring_sim_opts so = { .seed = seed, .timeout_ppm = 30000, .cancel_ppm = 30000,
				     .short_ppm = 100000, .error_ppm = 30000 };
	struct aring_loop_opts o = { .backend = ARING_BACKEND_SIM, .sim = &so };
	struct aring_sim_fault got[2];
	char a[200], b[200];
	aring_loop *loop;

	if (aring_loop_new(&loop, &o) || aring_spawn(loop, io_rounds, NULL, NULL) ||
	    aring_run(loop))
		return 2;
	aring_loop_free(loop);
	if (aring_sim_faults_taken(got, 2) != 1)
		return 1;
	aring_sim_fault_id(&got[0], a, sizeof(a));
	aring_sim_fault_id(want, b, sizeof(b));
	return strcmp(a, b) || got[0].kind != want->kind || got[0].opcode != want->opcode ||
	       got[0].detail != want->detail || got[0].nth != want->nth;
}

/*
 * A decision kept by identity (ARING_SIM_KEEP=loop0/read/short/12, the
 * swarm's shrinking) is the same fault, on the same op, with the same
 * errno, when every decision before it is removed: for the last decision of
 * each kind. Its identity names the node, op, kind and its op's count.
 */
static void test_keep_identity(void)
{
	static struct aring_sim_fault all[DECISIONS_MAX];
	struct aring_sim_stats st;
	unsigned kind, seen = 0;
	char id[200];
	long n, i;

	if (replaying())
		return;
	n = decisions(NULL, 0, all, &st);
	for (kind = ARING_SIM_FAULT_TIMEOUT; kind <= ARING_SIM_FAULT_ERROR; kind++) {
		for (i = n - 1; i >= 0 && all[i].kind != kind; i--)
			;
		if (i < 0)
			continue;
		seen++;
		CU_ASSERT(all[i].nth >= 1);
		CU_ASSERT(aring_sim_fault_id(&all[i], id, sizeof(id)) > 0);
		CU_ASSERT(!strncmp(id, "loop0/", 6));
		CU_ASSERT_PTR_NOT_NULL(strstr(id, aring_sim_fault_kind_name(kind)));
		CU_ASSERT_EQUAL(aring_sim_replay_faults(keeps_one, &all[i], 77, &all[i], 1, 0), 0);
	}
	CU_ASSERT_EQUAL(seen, 4);
	CU_ASSERT_EQUAL(aring_sim_fault_id(NULL, id, sizeof(id)), -EINVAL);
	CU_ASSERT_EQUAL(aring_sim_replay_faults(keeps_one, NULL, 77, NULL, 1, 0), -EINVAL);
	CU_ASSERT_EQUAL(aring_sim_replay_faults(keeps_one, NULL, 0, all, 1, 0), -EINVAL);
}

/*
 * Suppressing one decision leaves every other one as it was (same number,
 * kind, op, errno; same virtual time up to the suppressed one): for one
 * decision of each kind. Keeping none injects nothing.
 */
static void test_suppress_one(void)
{
	static struct aring_sim_fault all[DECISIONS_MAX], got[DECISIONS_MAX];
	static uint64_t keep[DECISIONS_MAX];
	struct aring_sim_stats st;
	unsigned kind, seen = 0;
	long n, m, i, j, k;

	if (replaying())
		return;
	n = decisions(NULL, 0, all, &st);
	CU_ASSERT_EQUAL(st.timeouts_injected + st.cancels_injected + st.shorts_injected +
				st.errors_injected, (uint64_t)n);
	for (kind = ARING_SIM_FAULT_TIMEOUT; kind <= ARING_SIM_FAULT_ERROR; kind++) {
		for (i = n / 2; i < n && all[i].kind != kind; i++)
			;
		if (i == n)
			continue;
		seen++;
		for (j = k = 0; j < n; j++)
			if (j != i)
				keep[k++] = all[j].seq;
		m = decisions(keep, (size_t)k, got, &st);
		CU_ASSERT_EQUAL(m, n - 1);
		for (j = 0; j < m && j < n - 1; j++) {
			const struct aring_sim_fault *want = &all[j < i ? j : j + 1];

			CU_ASSERT(same_decision(&got[j], want));
			if (j < i)
				CU_ASSERT_EQUAL(got[j].time_ns, want->time_ns);
		}
	}
	CU_ASSERT_EQUAL(seen, 4); /* the run has every kind past its middle */
	m = decisions(keep, 0, got, &st);
	CU_ASSERT_EQUAL(m, 0);
	CU_ASSERT_EQUAL(st.timeouts_injected + st.cancels_injected + st.shorts_injected +
				st.errors_injected, 0);
}

/* ---------------------------------------------------------------- network faults */

#define NET_PORT 7000
#define NET_MSGS 200

struct net_run {
	uint64_t got;            /* bytes the server received */
};

static int net_server(aring_loop *loop, void *arg)
{
	struct net_run *nr = arg;
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(NET_PORT) };
	char buf[256];
	int l = aring_socket(loop, AF_INET, SOCK_STREAM, 0, 0, NULL), c, n;

	if (l < 0 || aring_bind(loop, l, (struct sockaddr *)&a, sizeof(a), NULL) < 0 ||
	    aring_listen(loop, l, 4, NULL) < 0)
		return -1;
	c = aring_accept(loop, l, NULL, NULL, 0, NULL);
	while (c >= 0 && (n = aring_recv(loop, c, buf, sizeof(buf), 0, NULL)) > 0)
		nr->got += (uint64_t)n;
	if (c >= 0)
		aring_close(loop, c, NULL);
	aring_close(loop, l, NULL);
	return 0;
}

static int net_client(aring_loop *loop, void *arg)
{
	struct sockaddr_in a;
	socklen_t len = sizeof(a);
	char msg[64];
	int fd, i;

	(void)arg;
	memset(msg, 'n', sizeof(msg));
	aring_sleep(loop, MS);
	if (aring_sim_resolve(loop, "server", (struct sockaddr *)&a, &len) < 0)
		return -1;
	a.sin_port = htons(NET_PORT);
	fd = aring_socket(loop, AF_INET, SOCK_STREAM, 0, 0, NULL);
	if (fd < 0 || aring_connect(loop, fd, (struct sockaddr *)&a, sizeof(a), NULL) < 0)
		return -1;
	for (i = 0; i < NET_MSGS; i++) {
		if (aring_send(loop, fd, msg, sizeof(msg), 0, NULL) != (int)sizeof(msg))
			break;
		aring_sleep(loop, 100000);
	}
	aring_close(loop, fd, NULL);
	return 0;
}

/* A world of "server" and "client" with network faults; the decisions taken. */
static long net_decisions(const uint64_t *keep, size_t nkeep, struct aring_sim_fault *out,
			  struct net_run *nr)
{
	struct aring_sim_opts o = { .seed = 11, .net_latency_min_ns = 10000,
				    .net_latency_max_ns = MS, .net_reset_ppm = 3000,
				    .net_clog_ppm = 100000, .net_clog_min_ns = MS,
				    .net_clog_max_ns = 5 * MS };
	aring_sim_world *w;
	aring_loop *srv, *cli;

	memset(nr, 0, sizeof(*nr));
	CU_ASSERT_EQUAL_FATAL(aring_sim_faults_begin(keep, nkeep), 0);
	CU_ASSERT_EQUAL_FATAL(aring_sim_world_new(&w, &o), 0);
	CU_ASSERT_EQUAL_FATAL(aring_sim_node_new(w, "server", NULL, &srv), 0);
	CU_ASSERT_EQUAL_FATAL(aring_sim_node_new(w, "client", NULL, &cli), 0);
	aring_spawn(srv, net_server, nr, NULL);
	aring_spawn(cli, net_client, NULL, NULL);
	CU_ASSERT_EQUAL(aring_sim_world_run(w), 0);
	aring_sim_world_free(w);
	return aring_sim_faults_taken(out, DECISIONS_MAX);
}

/*
 * The network's resets and clogs are fault decisions too: recorded with the
 * node's name, the same twice, and none with none kept (then every byte
 * arrives).
 */
static void test_net_decisions(void)
{
	static struct aring_sim_fault a[DECISIONS_MAX], b[DECISIONS_MAX];
	static const uint64_t none[1];
	struct net_run nr;
	long n, m, i, clogs = 0;

	if (replaying())
		return;
	n = net_decisions(NULL, 0, a, &nr);
	CU_ASSERT(n > 0);
	for (i = 0; i < n && i < DECISIONS_MAX; i++) {
		CU_ASSERT(a[i].kind == ARING_SIM_FAULT_NET_CLOG || a[i].kind == ARING_SIM_FAULT_NET_RESET);
		CU_ASSERT(!strcmp(a[i].node, "server") || !strcmp(a[i].node, "client"));
		CU_ASSERT_EQUAL(a[i].opcode, ARING_SIM_FAULT_NO_OP);
		clogs += a[i].kind == ARING_SIM_FAULT_NET_CLOG;
	}
	CU_ASSERT(clogs > 0);
	m = net_decisions(NULL, 0, b, &nr);
	CU_ASSERT_EQUAL(m, n);
	for (i = 0; i < n && i < m && i < DECISIONS_MAX; i++)
		CU_ASSERT(same_decision(&a[i], &b[i]) && a[i].time_ns == b[i].time_ns);
	m = net_decisions(none, 0, b, &nr);
	CU_ASSERT_EQUAL(m, 0);
	CU_ASSERT_EQUAL(nr.got, NET_MSGS * 64);
}

/* ---------------------------------------------------------------- crashes and hangs */

static int crashes_or_hangs(uint64_t seed, void *arg)
{
	(void)arg;
	if (seed == 3)
		abort();
	if (seed == 5)
		for (;;)
			pause();
	return seed == 6;
}

/* A crash, a hang and a failure are three failing seeds; the rest pass. */
static void test_crash_hang(void)
{
	struct aring_sim_swarm_result res;
	struct aring_sim_swarm_opts o = { .first_seed = 1, .seeds = 8, .jobs = 2,
					  .watchdog_ms = 300, .result = &res };

	if (replaying() || getenv("ARING_SIM_SEEDS"))
		return;
	CU_ASSERT_EQUAL(aring_sim_swarm(crashes_or_hangs, NULL, &o), 3);
	CU_ASSERT_EQUAL(res.seeds_run, 8);
	CU_ASSERT_EQUAL(res.first_failed_seed, 3);
	CU_ASSERT_EQUAL(aring_sim_replay(crashes_or_hangs, NULL, 1, NULL, 0, 300), 0);
	CU_ASSERT_EQUAL(aring_sim_replay(crashes_or_hangs, NULL, 5, NULL, 0, 300), 1);
	/* ARING_SIM_SEEDS overrides the seeds: a range, or a count from first_seed. */
	setenv("ARING_SIM_SEEDS", "6..8", 1);
	CU_ASSERT_EQUAL(aring_sim_swarm(crashes_or_hangs, NULL, &o), 1);
	CU_ASSERT_EQUAL(res.seeds_run, 3);
	CU_ASSERT_EQUAL(res.first_failed_seed, 6);
	setenv("ARING_SIM_SEEDS", "2", 1);
	CU_ASSERT_EQUAL(aring_sim_swarm(crashes_or_hangs, NULL, &o), 0);
	CU_ASSERT_EQUAL(res.seeds_run, 2);
	setenv("ARING_SIM_SEEDS", "0..3", 1);
	CU_ASSERT_EQUAL(aring_sim_swarm(crashes_or_hangs, NULL, &o), -EINVAL);
	unsetenv("ARING_SIM_SEEDS");
	o.seeds = 0;
	CU_ASSERT_EQUAL(aring_sim_swarm(crashes_or_hangs, NULL, &o), -EINVAL);
	CU_ASSERT_EQUAL(aring_sim_swarm(NULL, NULL, &o), -EINVAL);
	CU_ASSERT_EQUAL(aring_sim_replay(crashes_or_hangs, NULL, 1, NULL, 1, 0), -EINVAL);
	CU_ASSERT_EQUAL(aring_sim_replay(crashes_or_hangs, NULL, 0, NULL, 0, 0), -EINVAL);
}

static CU_TestInfo tests[] = {
	{ "echo pair and file writer under seeded faults", test_swarm },
	{ "the same seed gives the same trace hash", test_determinism },
	{ "the planted short write is found and shrunk", test_plant },
	{ "suppressing one fault leaves the others as they were", test_suppress_one },
	{ "a fault kept by identity is the same fault without those before it",
	  test_keep_identity },
	{ "network resets and clogs are fault decisions", test_net_decisions },
	{ "a crash, a hang and a failure are failing seeds", test_crash_hang },
	CU_TEST_INFO_NULL,
};

int main(void)
{
	const char *plant = getenv("ARING_SWARM_PLANT");
	CU_SuiteInfo suites[] = {
		{ "swarm", NULL, NULL, NULL, NULL, tests },
		CU_SUITE_INFO_NULL,
	};
	unsigned failed;

	if (plant && *plant && strcmp(plant, "short-write")) {
		fprintf(stderr, "ARING_SWARM_PLANT: unknown plant '%s' (known: short-write)\n", plant);
		return 2;
	}
	if (CU_initialize_registry() != CUE_SUCCESS || CU_register_suites(suites) != CUE_SUCCESS)
		return 1;
	CU_basic_set_mode(CU_BRM_VERBOSE);
	CU_basic_run_tests();
	failed = CU_get_number_of_tests_failed() + CU_get_number_of_failures();
	CU_cleanup_registry();
	return failed ? 1 : 0;
}
