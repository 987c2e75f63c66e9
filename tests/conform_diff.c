/* SPDX-License-Identifier: MIT */
/*
 * The seeded random-program differential (issue 8 item 3).
 *
 * A program is 1-3 submits of chains built from a seed: nops, injected
 * failures (NOP_INJECT_RESULT -EIO), reads of a closed fd (-EBADF), full
 * and short reads of a 64-byte file, writes to another file, pipe reads
 * (a prefilled pipe) and writes, reads of an empty pipe that block, links,
 * hard links, drain, CQE_SKIP_SUCCESS, linked timeouts and cancels by
 * user_data. Every outcome is decided by construction: a blocking read
 * ends only by its linked timeout (1 ms: fires) or by a cancel in the same
 * or a later submit; a linked timeout on anything else is 10 s (disarmed);
 * file writes never touch the file that is read.
 *
 * The generator's model of the kernel (chain breaking, hard links, CQE
 * skip and REQ_F_SKIP_LINK_CQES, linked timeouts) says how many CQEs each
 * submit brings, so each backend's run waits for exactly those. Then:
 *   - uring must agree with the model (else the model is wrong: "MODEL");
 *   - every other backend must post, submit by submit, the same multiset
 *     of (user_data, res, flags) as uring;
 *   - on every backend, each chain's CQEs (linked timeouts aside: their
 *     CQE races the chain's) come in chain order, and a drained chain's
 *     CQEs come after those of everything submitted before it and before
 *     those of everything after it (io_drain_req, io_queue_deferred).
 * Seeds 1..n; ARING_CONFORM_PROGRAMS=n (default 2000) runs n programs,
 * ARING_CONFORM_SEED=s runs program s alone and prints it. A failure
 * prints the seed and the program. ARING_CONFORM_FEATURES="+name,-name"
 * turns feature switches on or off for one run (to see whether a switch
 * that is off could be turned on).
 */
#include "config.h"
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tests/conform.h"

/*
 * Feature switches: what programs may contain. A feature a backend gets
 * wrong today is tied to the conformance cases that show it (blocked_by in
 * parse_features): it is off while one of them is listed in
 * known_sim_divergences[], and comes on by itself when the list loses them.
 * The run prints each switch and what holds it off.
 */
static struct {
	bool links;          /* IOSQE_IO_LINK chains */
	bool hardlinks;      /* IOSQE_IO_HARDLINK */
	bool skip;           /* IOSQE_CQE_SKIP_SUCCESS on ops (not linked timeouts) */
	bool ltimeout;       /* linked timeouts: fired (1 ms on a blocking read), disarmed (10 s) */
	bool ltimeout_skip;  /* CQE_SKIP on linked timeouts */
	bool cancel;         /* async cancel by user_data: found (0) and not found (-ENOENT) */
	bool drain;          /* IOSQE_IO_DRAIN on chain heads */
	bool drain_order;    /* check drain barriers in the CQE order */
	bool file_io;        /* file reads (full and short) and writes */
	bool pipe_io;        /* pipe reads and writes that complete at issue */
	bool fail_ops;       /* NOP_INJECT_RESULT -EIO, reads of a closed fd */
	bool timeouts;       /* 1 ms timeouts (count 0): -ETIME, a failure unless
				IORING_TIMEOUT_ETIME_SUCCESS */
	bool poll;           /* POLL_ADD on a pipe with data: POLLIN at once */
	bool invalid;        /* members that fail at submit (an unknown IOSQE_* bit): the
				whole chain fails at once (io_submit_fail_init) */
	bool invalid_ioprio; /* the same with ioprio set on a nop */
	bool invalid_head_ltimeout; /* such a chain's head has a linked timeout */
} feat = {
	.links = true,
	.hardlinks = true,
	.skip = true,
	.ltimeout = true,
	.ltimeout_skip = true,
	.cancel = true,
	.drain = true,
	.drain_order = true,
	.file_io = true,
	.pipe_io = true,
	.fail_ops = true,
	.timeouts = true,
	.poll = true,
	.invalid = true,
	.invalid_ioprio = true,
	.invalid_head_ltimeout = true,
};

enum kind {
	K_NOP, K_FAIL, K_BADFD, K_FREAD, K_FWRITE, K_PREAD, K_PWRITE, K_BLOCK, K_LTMO, K_CANCEL,
	K_TMO, K_POLL,
};
static const char *const kind_name[] = {
	"nop", "nop(-EIO)", "read(badfd)", "read(file)", "write(file)", "read(pipe)",
	"write(pipe)", "read(empty pipe)", "link_timeout", "cancel", "timeout", "poll(ready)",
};

#define P_MAX 96
#define P_BATCH_MAX 40
#define FILE_SIZE 64
#define NO_SUCH_UD 5000

struct pop {
	uint8_t kind;
	uint8_t flags;       /* IOSQE_* */
	uint8_t batch;       /* submitted with submit #batch */
	uint8_t post_batch;  /* its CQE comes during this submit's wait */
	uint16_t chain;      /* chain id (program-wide) */
	bool by_cancel;      /* K_BLOCK ended by a cancel; K_CANCEL that ends one */
	bool fired;          /* K_LTMO on a blocking read */
	uint8_t invalid;     /* fails at submit: 1 unknown SQE flag, 2 ioprio on a nop */
	uint32_t len;
	uint64_t off;
	uint64_t target;     /* K_CANCEL */
	/* the model's outcome */
	int32_t res;
	bool posted;
};

struct prog {
	uint64_t seed;
	unsigned n, nbatch, nchains;
	bool drain, skip;
	struct pop op[P_MAX];
	unsigned want[4];    /* CQEs per submit */
};

/* ---------------------------------------------------------------- prng */

static uint64_t rng;

static uint64_t next(void)
{
	uint64_t z = (rng += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static unsigned rnd(unsigned n)
{
	return (unsigned)(next() % n);
}

/* ---------------------------------------------------------------- model */

static bool immediate(unsigned k)
{
	/* completes at issue on every backend, whatever the file system */
	return k == K_NOP || k == K_FAIL || k == K_BADFD || k == K_PREAD || k == K_PWRITE ||
	       k == K_POLL;
}

/*
 * The outcome of chain [first, end) (io_uring.c io_fail_links,
 * io_disarm_next, req_set_fail; timeout.c io_link_timeout_fn).
 * pending_from: the index from which CQEs wait for a cancel (or end).
 */
static void model_chain(struct prog *p, unsigned first, unsigned end)
{
	bool broken = false, skip_rest = false;
	unsigned i, post = p->op[first].batch;

	for (i = first; i < end && !p->op[i].invalid; i++)
		;
	if (i < end) {
		/*
		 * io_submit_fail_init: the invalid member gets its error, the head
		 * -ECANCELED (req_fail_link_node: a skipping head turns its skip
		 * into REQ_F_SKIP_LINK_CQES); at the chain's end
		 * io_queue_sqe_fallback fails the head and io_fail_links the rest:
		 * -ECANCELED, or their own error, none posted if the head skipped.
		 */
		bool quiet = p->op[first].flags & IOSQE_CQE_SKIP_SUCCESS;

		for (i = first; i < end; i++) {
			p->op[i].res = p->op[i].invalid ? -EINVAL : -ECANCELED;
			p->op[i].posted = i == first || !quiet;
			p->op[i].post_batch = (uint8_t)post;
		}
		/* the head's own linked timeout is disarmed (io_disarm_next), not failed */
		if (first + 1 < end && p->op[first + 1].kind == K_LTMO)
			p->op[first + 1].posted = !(p->op[first + 1].flags & IOSQE_CQE_SKIP_SUCCESS);
		return;
	}

	for (i = first; i < end; i++) {
		struct pop *o = &p->op[i];
		struct pop *t = i + 1 < end && p->op[i + 1].kind == K_LTMO ? &p->op[i + 1] : NULL;
		bool failed = false;

		if (broken) {
			/* io_fail_links: -ECANCELED, posted unless the failed one skipped */
			o->res = -ECANCELED;
			o->posted = !skip_rest;
			o->post_batch = (uint8_t)post;
			if (t) {
				t->res = -ECANCELED;
				t->posted = !skip_rest;
				t->post_batch = (uint8_t)post;
				i++;
			}
			continue;
		}
		switch (o->kind) {
		case K_NOP:
		case K_FWRITE:
		case K_PWRITE:
		case K_PREAD:
			o->res = (int32_t)(o->kind == K_NOP ? 0 : o->len);
			break;
		case K_FAIL:
			o->res = -EIO;
			failed = true;
			break;
		case K_BADFD:
			o->res = -EBADF;
			failed = true;
			break;
		case K_FREAD: {
			uint64_t avail = o->off >= FILE_SIZE ? 0 : FILE_SIZE - o->off;

			o->res = (int32_t)(o->len < avail ? o->len : avail);
			failed = (uint32_t)o->res != o->len;  /* short: rw.c req_set_fail */
			break;
		}
		case K_BLOCK:
			o->res = -ECANCELED;
			failed = true;
			if (o->by_cancel)
				post = 0xff;  /* set when its cancel is made */
			break;
		case K_CANCEL:
			o->res = o->by_cancel ? 0 : -ENOENT;
			failed = !o->by_cancel;
			break;
		case K_TMO:
			/* timeout.c io_timeout_fn: req_set_fail unless ETIME_SUCCESS */
			o->res = -ETIME;
			failed = !o->len;
			break;
		case K_POLL:
			o->res = POLLIN;
			break;
		}
		o->post_batch = (uint8_t)post;
		/* a failure is posted even with CQE_SKIP; a success only without */
		o->posted = failed || !(o->flags & IOSQE_CQE_SKIP_SUCCESS);
		if (t) {
			/* fired: -ETIME; else disarmed: -ECANCELED; skipped either way */
			t->res = t->fired ? -ETIME : -ECANCELED;
			t->posted = !(t->flags & IOSQE_CQE_SKIP_SUCCESS);
			t->post_batch = (uint8_t)post;
			i++;
		}
		if (failed && !(o->flags & IOSQE_IO_HARDLINK)) {
			broken = true;
			skip_rest = o->flags & IOSQE_CQE_SKIP_SUCCESS;
		}
	}
}

/* ---------------------------------------------------------------- generator */

/*
 * may_block: every member before it in the chain completes at issue. After
 * a file op (which may complete on io-wq, as the file system decides) the
 * chain goes on in an io-wq worker, where a read of an empty pipe blocks
 * the worker and a linked timeout ends it with -EINTR or -ECANCELED
 * (liburing test/skip-cqe.c test_ltimeout_fire accepts both): not decided
 * by construction, so not generated.
 */
static unsigned pick_kind(bool head, bool can_block_cancel, bool may_block)
{
	for (;;) {
		unsigned k = rnd(10);

		switch (k) {
		case 0:
		case 1:
			return K_NOP;
		case 2:
			if (feat.fail_ops)
				return K_FAIL;
			break;
		case 3:
			if (feat.fail_ops)
				return K_BADFD;
			break;
		case 4:
			if (feat.file_io)
				return rnd(2) ? K_FREAD : K_FWRITE;
			break;
		case 5:
			if (feat.pipe_io)
				return rnd(2) ? K_PREAD : K_PWRITE;
			break;
		case 6:
			if (may_block && (feat.ltimeout || (head && can_block_cancel)))
				return K_BLOCK;
			break;
		case 7:
			if (feat.cancel)
				return K_CANCEL;
			break;
		case 8:
			if (feat.timeouts)
				return K_TMO;
			break;
		default:
			if (feat.poll)
				return K_POLL;
			break;
		}
	}
}

static void gen(struct prog *p, uint64_t seed)
{
	unsigned b, pending[P_MAX], npending = 0, done_before = 0;

	memset(p, 0, sizeof(*p));
	p->seed = seed;
	rng = seed * 0x2545f4914f6cdd1dull;
	p->nbatch = 1 + rnd(3);
	p->drain = feat.drain && rnd(4) == 0;
	/* once a ring saw CQE_SKIP, drain gets -EOPNOTSUPP (io_init_req): one or the other */
	p->skip = feat.skip && !p->drain && rnd(2);
	for (b = 0; b < p->nbatch; b++) {
		unsigned start = p->n, nch = 1 + rnd(5), ch, i;

		for (ch = 0; ch < nch && p->n + 10 < P_MAX && p->n - start < P_BATCH_MAX - 10; ch++) {
			unsigned len = feat.links ? 1 + rnd(4) : 1, u, first = p->n;
			uint16_t chain = (uint16_t)p->nchains++;
			bool may_block = true;
			int inv_at = (feat.invalid || feat.invalid_ioprio) && rnd(6) == 0
					     ? (int)rnd(len) : -1;

			for (u = 0; u < len; u++) {
				bool head = u == 0, last = u == len - 1;
				/* a chain that fails at submit never blocks: nothing to cancel */
				bool can_cancel = feat.cancel && !p->drain && inv_at < 0;
				struct pop *o = &p->op[p->n++];
				unsigned lflag = 0;

				o->kind = (uint8_t)pick_kind(head, can_cancel, may_block);
				if (head && inv_at >= 0 && !feat.invalid_head_ltimeout &&
				    o->kind == K_BLOCK)
					o->kind = K_NOP;  /* it would need a linked timeout */
				if (o->kind == K_FREAD || o->kind == K_FWRITE)
					may_block = false;
				if (o->kind == K_BLOCK)
					o->by_cancel = !feat.ltimeout || (head && can_cancel && rnd(2));
				if (o->kind == K_CANCEL) {
					/*
					 * A request surely gone: one whose CQE an earlier submit's
					 * wait saw, or none. (One that posts no CQE may still run:
					 * a skipped file write on io-wq is found and cancelled;
					 * one behind a blocked read may run by the time the
					 * cancel does.)
					 */
					o->target = done_before && rnd(2) ? 1 + rnd(done_before) : NO_SUCH_UD;
					if (o->target != NO_SUCH_UD && (!p->op[o->target - 1].posted ||
									p->op[o->target - 1].post_batch >= b))
						o->target = NO_SUCH_UD;
				}
				o->len = 1 + rnd(16);
				if (o->kind == K_TMO)
					o->len = rnd(2);  /* 1: IORING_TIMEOUT_ETIME_SUCCESS */
				if (o->kind == K_FREAD) {
					o->len = 1 + rnd(32);
					o->off = rnd(FILE_SIZE + 8);
				} else if (o->kind == K_FWRITE) {
					o->off = rnd(256);
				}
				if (!last)
					lflag = feat.hardlinks && rnd(3) == 0 ? IOSQE_IO_HARDLINK
									      : IOSQE_IO_LINK;
				if (p->skip && rnd(3) == 0)
					o->flags |= IOSQE_CQE_SKIP_SUCCESS;
				if (p->drain && head && rnd(3) == 0)
					o->flags |= IOSQE_IO_DRAIN;
				o->batch = (uint8_t)b;
				o->chain = chain;
				if ((int)u == inv_at)
					o->invalid = feat.invalid_ioprio && o->kind == K_NOP &&
						     (!feat.invalid || rnd(2)) ? 2 : 1;
				if ((o->kind == K_BLOCK && !o->by_cancel) ||
				    (feat.ltimeout && immediate(o->kind) && rnd(5) == 0 &&
				     !(head && inv_at >= 0 && !feat.invalid_head_ltimeout))) {
					struct pop *t = &p->op[p->n++];

					/* the op links to its timeout with either kind of link */
					o->flags |= lflag ? lflag : IOSQE_IO_LINK;
					t->kind = K_LTMO;
					t->fired = o->kind == K_BLOCK;
					t->flags = (uint8_t)lflag;
					if (feat.ltimeout_skip && p->skip && rnd(2))
						t->flags |= IOSQE_CQE_SKIP_SUCCESS;
					t->batch = (uint8_t)b;
					t->chain = chain;
				} else {
					o->flags |= (uint8_t)lflag;
				}
				if (o->kind == K_BLOCK && o->by_cancel)
					pending[npending++] = (unsigned)(o - p->op);
			}
			model_chain(p, first, p->n);
		}
		/* cancels that end blocked reads: now, or surely in the last submit */
		for (i = 0; i < npending;) {
			if (b + 1 < p->nbatch && rnd(2)) {
				i++;
				continue;
			}
			{
				struct pop *o = &p->op[p->n++];
				unsigned t = pending[i], k;

				o->kind = K_CANCEL;
				o->by_cancel = true;
				o->target = t + 1;
				o->batch = o->post_batch = (uint8_t)b;
				o->chain = (uint16_t)p->nchains++;
				if (p->skip && rnd(3) == 0)
					o->flags |= IOSQE_CQE_SKIP_SUCCESS;
				model_chain(p, p->n - 1, p->n);
				/* the read and the rest of its chain end now */
				for (k = t; k < p->n && p->op[k].chain == p->op[t].chain; k++)
					p->op[k].post_batch = (uint8_t)b;
				pending[i] = pending[--npending];
			}
		}
		done_before = p->n;
		/* a request still blocked is not "surely gone" */
	}
	for (b = 0; b < p->n; b++)
		if (p->op[b].posted)
			p->want[p->op[b].post_batch]++;
}

static void print_prog(FILE *f, const struct prog *p)
{
	unsigned i;

	fprintf(f, "  program (seed %" PRIu64 "): %u SQEs in %u submit(s)%s%s\n", p->seed, p->n,
		p->nbatch, p->drain ? ", drain" : "", p->skip ? ", skip" : "");
	for (i = 0; i < p->n; i++) {
		const struct pop *o = &p->op[i];

		fprintf(f, "    s%u ud %-3u %-16s", o->batch, i + 1, kind_name[o->kind]);
		if (o->kind == K_FREAD || o->kind == K_FWRITE)
			fprintf(f, " len %u off %" PRIu64, o->len, o->off);
		else if (o->kind == K_PREAD || o->kind == K_PWRITE)
			fprintf(f, " len %u", o->len);
		else if (o->kind == K_CANCEL)
			fprintf(f, " ud %" PRIu64, o->target);
		else if (o->kind == K_LTMO)
			fprintf(f, " %s", o->fired ? "1 ms" : "10 s");
		else if (o->kind == K_TMO)
			fprintf(f, " 1 ms%s", o->len ? " ETIME_SUCCESS" : "");
		if (o->invalid)
			fprintf(f, " INVALID(%s)", o->invalid == 1 ? "flag" : "ioprio");
		fprintf(f, "%s%s%s%s", o->flags & IOSQE_IO_LINK ? " LINK" : "",
			o->flags & IOSQE_IO_HARDLINK ? " HARDLINK" : "",
			o->flags & IOSQE_IO_DRAIN ? " DRAIN" : "",
			o->flags & IOSQE_CQE_SKIP_SUCCESS ? " SKIP" : "");
		if (o->posted)
			fprintf(f, "  -> %d (in s%u)\n", o->res, o->post_batch);
		else
			fprintf(f, "  -> %d, no CQE\n", o->res);
	}
}

/* ---------------------------------------------------------------- running */

struct result {
	int err;                      /* harness/setup failure (-errno), else 0 */
	char why[200];                /* what the harness said when it bailed */
	unsigned seg[4];              /* CQEs taken after each submit (end index) */
	unsigned n;
	struct c_cqe cqe[2 * P_MAX];
};

static void queue_op(struct cx *c, const struct prog *p, unsigned i, const int *fds)
{
	const struct pop *o = &p->op[i];
	uint64_t ud = i + 1;
	struct io_uring_sqe *q;

	switch (o->kind) {
	case K_NOP:
		q = nop(c, ud, o->flags);
		break;
	case K_FAIL:
		q = nopx(c, ud, o->flags, C_NOP_INJECT_RESULT, (uint32_t)-EIO, -1);
		break;
	case K_BADFD:
		q = bad(c, ud, o->flags);
		break;
	case K_FREAD:
		q = rd(c, ud, o->flags, fds[0], cbuf(c), o->len, o->off);
		break;
	case K_FWRITE:
		q = wr(c, ud, o->flags, fds[1], "0123456789abcdef", o->len, o->off);
		break;
	case K_PREAD:
		q = rd(c, ud, o->flags, fds[2], cbuf(c), o->len, 0);
		break;
	case K_PWRITE:
		q = wr(c, ud, o->flags, fds[5], "0123456789abcdef", o->len, 0);
		break;
	case K_BLOCK:
		q = rd(c, ud, o->flags, fds[3], cbuf(c), 8, 0);
		break;
	case K_LTMO:
		q = ltmo(c, ud, o->flags, o->fired ? ms(c, 1) : ts(c, 10, 0), 0);
		break;
	case K_TMO:
		q = tmo(c, ud, o->flags, ms(c, 1), 0, o->len ? IORING_TIMEOUT_ETIME_SUCCESS : 0);
		break;
	case K_POLL:
		q = padd(c, ud, o->flags, fds[2], POLLIN, 0);
		break;
	default:
		q = cnl(c, ud, o->flags, o->target, 0, 0);
		break;
	}
	if (o->invalid == 1)
		q->flags |= C_SQE_UNKNOWN_FLAG;  /* io_init_req: -EINVAL */
	else if (o->invalid == 2)
		q->ioprio = 1;  /* io_init_req: ioprio on an op without it: -EINVAL */
}

/* conform_diff_teardown_check(): the last program's fds; a dup of its kernel ring's fd */
static int last_fds[C_MAX_FDS], held_ring = -1;
static unsigned last_nfds;
static bool hold_ring;

static void run_prog(const struct prog *p, const struct c_backend *bd, struct result *r)
{
	static struct cx cx;
	struct cx *c = &cx;
	static char pattern[FILE_SIZE];
	static char fill[4096];
	unsigned b, i;
	int fds[6], pd[2], pe[2], pw[2];

	memset(r, 0, sizeof(*r));
	r->err = cx_open(c, bd, 64);
	if (r->err < 0)
		return;
	if (setjmp(c->bail)) {
		r->err = -EPROTO;
		fflush(c->rep);
		snprintf(r->why, sizeof(r->why), ": %s",
			 c->report && strstr(c->report, "harness: ") ?
			 strstr(c->report, "harness: ") + 9 : "?");
		r->why[strcspn(r->why, "\n")] = 0;
		goto out;
	}
	memset(pattern, 'p', sizeof(pattern));
	fds[0] = mkfile(c, pattern, FILE_SIZE);
	fds[1] = mkfile(c, NULL, 0);
	mkpipe(c, pd);
	mkpipe(c, pe);
	mkpipe(c, pw);
	fds[2] = pd[0];
	fds[3] = pe[0];
	fds[4] = pe[1];
	fds[5] = pw[1];
	if (setup_run(c, wr(c, 0, 0, pd[1], fill, sizeof(fill), 0)) != (int)sizeof(fill))
		c_bail(c, "prefill");
	for (b = 0; b < p->nbatch; b++) {
		for (i = 0; i < p->n; i++)
			if (p->op[i].batch == b)
				queue_op(c, p, i, fds);
		c_wait(c, p->want[b]);
		c->got_done = c->ngot;
		r->seg[b] = c->ngot;
	}
	if (c->ngot > sizeof(r->cqe) / sizeof(r->cqe[0]))
		c_bail(c, "%u CQEs", c->ngot);
	r->n = c->ngot;
	memcpy(r->cqe, c->got, c->ngot * sizeof(c->got[0]));
out:
	last_nfds = c->nfds;
	memcpy(last_fds, c->fds, c->nfds * sizeof(c->fds[0]));
	if (hold_ring && c->be->ops->ring(c->be))
		held_ring = dup(c->be->ops->ring(c->be)->ring_fd);
	cx_close(c);
	free(c->report);
}

/* ---------------------------------------------------------------- checks */

static int cmp_cqe(const void *a, const void *b)
{
	const struct c_cqe *x = a, *y = b;

	if (x->ud != y->ud)
		return x->ud < y->ud ? -1 : 1;
	if (x->res != y->res)
		return x->res < y->res ? -1 : 1;
	return x->flags < y->flags ? -1 : x->flags > y->flags;
}

/* Segment b of r, sorted. */
static unsigned seg_sorted(const struct result *r, unsigned b, struct c_cqe *out)
{
	unsigned from = b ? r->seg[b - 1] : 0, n = r->seg[b] - from;

	memcpy(out, r->cqe + from, n * sizeof(*out));
	qsort(out, n, sizeof(*out), cmp_cqe);
	return n;
}

/* The model's CQEs of submit b, sorted. */
static unsigned model_sorted(const struct prog *p, unsigned b, struct c_cqe *out)
{
	unsigned i, n = 0;

	for (i = 0; i < p->n; i++)
		if (p->op[i].posted && p->op[i].post_batch == b)
			out[n++] = (struct c_cqe){ i + 1, p->op[i].res, 0, 0, 0 };
	qsort(out, n, sizeof(*out), cmp_cqe);
	return n;
}

static bool same(const struct c_cqe *a, unsigned na, const struct c_cqe *b, unsigned nb)
{
	unsigned i;

	if (na != nb)
		return false;
	for (i = 0; i < na; i++)
		if (cmp_cqe(&a[i], &b[i]))
			return false;
	return true;
}

/* Chain order and drain barriers in r's CQE stream; NULL if they hold. */
static const char *order_violation(const struct prog *p, const struct result *r)
{
	static char why[160];
	unsigned pos[P_MAX + 1], i, j;
	bool at_submit[P_MAX] = { false };

	for (i = 0; i <= P_MAX; i++)
		pos[i] = ~0u;
	for (i = 0; i < r->n; i++)
		if (r->cqe[i].ud >= 1 && r->cqe[i].ud <= p->n)
			pos[r->cqe[i].ud - 1] = i;
	for (i = 0; i < p->n; i++) {
		if (pos[i] == ~0u || p->op[i].kind == K_LTMO)
			continue;
		for (j = i + 1; j < p->n && p->op[j].chain == p->op[i].chain; j++) {
			if (pos[j] == ~0u || p->op[j].kind == K_LTMO)
				continue;
			if (pos[j] < pos[i]) {
				snprintf(why, sizeof(why), "chain order: ud %u before ud %u", j + 1, i + 1);
				return why;
			}
		}
	}
	/* chains that fail at submit: never deferred behind a drain (io_queue_sqe_fallback) */
	for (i = 0; i < p->n; i++)
		if (p->op[i].invalid)
			for (j = 0; j < p->n; j++)
				at_submit[j] |= p->op[j].chain == p->op[i].chain;
	for (i = 0; i < p->n; i++) {
		unsigned end;

		if (!(p->op[i].flags & IOSQE_IO_DRAIN) || !feat.drain_order || at_submit[i])
			continue;
		for (end = i; end < p->n && p->op[end].chain == p->op[i].chain; end++)
			;
		for (j = 0; j < p->n; j++) {
			unsigned k;

			if ((j >= i && j < end) || pos[j] == ~0u || at_submit[j])
				continue;
			for (k = i; k < end; k++) {
				if (pos[k] == ~0u)
					continue;
				if ((j < i && pos[j] > pos[k]) || (j >= end && pos[j] < pos[k])) {
					snprintf(why, sizeof(why),
						 "drain: ud %u (drained chain of ud %u) and ud %u out of order",
						 k + 1, i + 1, j + 1);
					return why;
				}
			}
		}
	}
	return NULL;
}

static void print_result(FILE *f, const char *name, const struct prog *p, const struct result *r)
{
	unsigned b, i, from = 0;

	fprintf(f, "    %s:", name);
	if (r->err) {
		fprintf(f, " harness error %d%s\n", r->err, r->why);
		return;
	}
	for (b = 0; b < p->nbatch; b++) {
		fprintf(f, " [s%u]", b);
		for (i = from; i < r->seg[b]; i++)
			fprintf(f, " (%" PRIu64 " %d%s)", r->cqe[i].ud, r->cqe[i].res,
				r->cqe[i].flags ? " f" : "");
		from = r->seg[b];
	}
	fprintf(f, "\n");
}

/* 0 if every backend agrees; prints what differs. */
static bool quiet;  /* the self-test: failures expected, not printed */

/* Backend k runs programs: uring (the reference) always, others unless cases-only or off. */
static bool in_diff(unsigned k)
{
	return !k || (!conform_backends[k].cases_only && conform_backend_on(k));
}

static int check_prog(const struct prog *p, bool verbose)
{
	static struct result res[8];
	struct c_cqe a[2 * P_MAX], m[2 * P_MAX];
	unsigned nb = conform_nbackends, b, k, na, nm;
	int bad = 0;
	const char *why;
	char msg[256];

	for (k = 0; k < nb; k++)
		if (in_diff(k))
			run_prog(p, &conform_backends[k], &res[k]);
	for (k = 0; k < nb; k++) {
		const struct c_backend *bd = &conform_backends[k];

		if (!in_diff(k))
			continue;
		msg[0] = 0;
		if (res[k].err) {
			snprintf(msg, sizeof(msg), "harness error %d%s", res[k].err, res[k].why);
		} else if (k == 0) {
			/* uring against the model: a difference is the model's error */
			for (b = 0; b < p->nbatch && !msg[0]; b++) {
				na = seg_sorted(&res[0], b, a);
				nm = model_sorted(p, b, m);
				if (!same(a, na, m, nm))
					snprintf(msg, sizeof(msg), "MODEL: uring differs from the "
						 "generator's model after submit %u", b);
			}
		} else {
			for (b = 0; b < p->nbatch && !msg[0]; b++) {
				struct c_cqe u[2 * P_MAX];
				unsigned nu = seg_sorted(&res[0], b, u);

				na = seg_sorted(&res[k], b, a);
				if (!same(a, na, u, nu))
					snprintf(msg, sizeof(msg), "CQEs differ from uring's after submit %u", b);
			}
		}
		if (!msg[0] && !res[k].err && (why = order_violation(p, &res[k])))
			snprintf(msg, sizeof(msg), "%s", why);
		if (msg[0]) {
			if (!quiet)
				printf("DIFF FAIL seed %" PRIu64 " on %s: %s\n", p->seed, bd->name, msg);
			bad = 1;
		}
	}
	if ((bad && !quiet) || verbose) {
		print_prog(stdout, p);
		for (k = 0; k < nb; k++)
			if (in_diff(k))
				print_result(stdout, conform_backends[k].name, p, &res[k]);
		if (bad)
			printf("    replay: ARING_CONFORM_SEED=%" PRIu64 " tests/test_conform\n", p->seed);
	}
	return bad;
}

static uint64_t env_u64(const char *name, uint64_t def)
{
	const char *e = getenv(name);
	char *end;
	unsigned long long v;

	if (!e || !*e)
		return def;
	v = strtoull(e, &end, 0);
	return *end ? def : v;
}

/*
 * The checks can fail: a program whose model is wrong in one result, or
 * that a backend runs with one SQE changed, is reported. 0 if so.
 */
int conform_diff_selftest(void)
{
	static struct prog p;
	unsigned i;
	int bad = 0;

	quiet = true;
	gen(&p, 1);
	for (i = 0; i < p.n && !p.op[i].posted; i++)
		;
	if (i < p.n) {
		p.op[i].res ^= 1;  /* the model says otherwise than every backend */
		bad |= !check_prog(&p, false);
		p.op[i].res ^= 1;
		p.op[i].posted = false;  /* the model expects one CQE less */
		bad |= !check_prog(&p, false);
	} else {
		bad = 1;
	}
	quiet = false;
	return bad;
}

/*
 * The teardown keeps a kernel program's fds open while its ring lives
 * (here a dup of the ring's fd keeps it), and closes them once the ring is
 * freed. Seed 1786's own program (its skipped read may be issued after the
 * CQEs the harness waits for). 0 if so, 77 without io_uring.
 */
int conform_diff_teardown_check(void)
{
	static struct prog p;
	static struct result r;
	unsigned k;
	int bad = 0;

	if (cx_unpark(true) < 0)
		return 1;
	gen(&p, 1786);
	hold_ring = true;
	run_prog(&p, &conform_backends[0], &r);
	hold_ring = false;
	if (r.err == -ENOSYS || r.err == -EPERM)
		return 77;  /* io_uring blocked here */
	if (r.err || held_ring < 0 || last_nfds == 0)
		return 1;
	for (k = 0; k < last_nfds; k++)
		bad |= fcntl(last_fds[k], F_GETFD) < 0;  /* the ring may still use them */
	close(held_ring);
	held_ring = -1;
	bad |= cx_unpark(true) != 0;  /* the ring is freed now */
	for (k = 0; k < last_nfds; k++)
		bad |= fcntl(last_fds[k], F_GETFD) >= 0 || errno != EBADF;
	return bad;
}

/*
 * Switch off what a listed divergence blocks, then apply
 * ARING_CONFORM_FEATURES; print the switches. -1 on an unknown name.
 */
static int parse_features(void)
{
	static const struct {
		const char *name;
		bool *on;
		const char *const blocked_by[4];  /* conformance cases showing the divergence */
	} sw[] = {
		{ "links", &feat.links, { NULL } },
		{ "hardlinks", &feat.hardlinks, { NULL } },
		{ "skip", &feat.skip, { NULL } },
		{ "ltimeout", &feat.ltimeout, { NULL } },
		/* a skipped linked timeout's CQE posted anyway */
		{ "ltimeout_skip", &feat.ltimeout_skip,
		  { "ltimeout_skip_fired", "ltimeout_skip_disarmed", "ltimeout_skip_chain", NULL } },
		{ "cancel", &feat.cancel, { NULL } },
		{ "drain", &feat.drain, { NULL } },
		/* requests after a drained one posted before it */
		{ "drain_order", &feat.drain_order, { "drain_nothing_before", NULL } },
		{ "file_io", &feat.file_io, { NULL } },
		{ "pipe_io", &feat.pipe_io, { NULL } },
		{ "fail_ops", &feat.fail_ops, { NULL } },
		{ "timeouts", &feat.timeouts, { NULL } },
		{ "poll", &feat.poll, { NULL } },
		{ "invalid", &feat.invalid, { NULL } },
		/* ioprio not checked; a hard chain with an invalid member runs */
		{ "invalid_ioprio", &feat.invalid_ioprio,
		  { "val_ioprio_nop", "val_invalid_in_hardlink", NULL } },
		/* the skipping head's linked timeout posts nothing */
		{ "invalid_head_ltimeout", &feat.invalid_head_ltimeout,
		  { "val_invalid_chain_head_ltimeout", NULL } },
	};
	const char *e = getenv("ARING_CONFORM_FEATURES");
	unsigned i, k;

	for (i = 0; i < sizeof(sw) / sizeof(sw[0]); i++)
		for (k = 0; sw[i].blocked_by[k]; k++)
			if (conform_listed(sw[i].blocked_by[k]))
				*sw[i].on = false;

	while (e && *e) {
		size_t len = strcspn(e + 1, ",");
		unsigned i;

		if (*e != '+' && *e != '-')
			return -1;
		for (i = 0; i < sizeof(sw) / sizeof(sw[0]); i++)
			if (strlen(sw[i].name) == len && !strncmp(sw[i].name, e + 1, len))
				break;
		if (i == sizeof(sw) / sizeof(sw[0]))
			return -1;
		*sw[i].on = *e == '+';
		e += 1 + len;
		if (*e == ',')
			e++;
	}
	printf("differential features:");
	for (i = 0; i < sizeof(sw) / sizeof(sw[0]); i++) {
		const char *sep = "(known divergence: ";

		printf(" %s=%s", sw[i].name, *sw[i].on ? "on" : "OFF");
		for (k = 0; !*sw[i].on && sw[i].blocked_by[k]; k++)
			if (conform_listed(sw[i].blocked_by[k])) {
				printf("%s%s", sep, sw[i].blocked_by[k]);
				sep = ",";
			}
		if (sep[0] == ',')
			printf(")");
	}
	printf("\n");
	return 0;
}

int conform_diff_run(void)
{
	static struct prog p;
	uint64_t one = env_u64("ARING_CONFORM_SEED", 0);
	uint64_t n = env_u64("ARING_CONFORM_PROGRAMS", 2000), s;
	unsigned fails = 0, sqes = 0, cqes = 0, fired = 0, found = 0, drains = 0, skips = 0;
	unsigned hard = 0, shorts = 0, failed = 0, b, nb;

	if (parse_features() < 0) {
		printf("differential: bad ARING_CONFORM_FEATURES (\"+name,-name,...\")\n");
		return 1;
	}

	if (one) {
		gen(&p, one);
		fails = check_prog(&p, true);
		return cx_unpark(true) < 0 || fails;
	}
	for (s = 1; s <= n; s++) {
		gen(&p, s);
		sqes += p.n;
		for (b = 0; b < p.nbatch; b++)
			cqes += p.want[b];
		for (b = 0; b < p.n; b++) {
			const struct pop *o = &p.op[b];

			fired += o->kind == K_LTMO && o->res == -ETIME;
			found += o->kind == K_CANCEL && o->res == 0;
			drains += !!(o->flags & IOSQE_IO_DRAIN);
			skips += !!(o->flags & IOSQE_CQE_SKIP_SUCCESS);
			hard += !!(o->flags & IOSQE_IO_HARDLINK);
			shorts += o->kind == K_FREAD && o->res >= 0 && (uint32_t)o->res != o->len;
			failed += o->res == -ECANCELED && o->kind != K_LTMO;
		}
		if (check_prog(&p, false) && ++fails >= 10) {
			printf("differential: stopping after 10 failing programs\n");
			break;
		}
	}
	for (b = 0, nb = 0; b < conform_nbackends; b++)
		nb += in_diff(b);
	printf("differential: %" PRIu64 " programs (%u SQEs, %u CQEs each on %u backends), "
	       "%u failed\n", s > n ? n : s, sqes, cqes, nb, fails);
	printf("  with %u fired linked timeouts, %u cancels that found their target, %u drains, "
	       "%u CQE skips, %u hard links, %u short reads, %u requests cancelled\n",
	       fired, found, drains, skips, hard, shorts, failed);
	if (cx_unpark(true) < 0) {
		printf("differential: closed kernel rings not freed in 10 s\n");
		fails++;
	}
	return fails ? 1 : 0;
}
