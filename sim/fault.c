/* SPDX-License-Identifier: MIT */
/*
 * Fault injection (struct aring_sim_opts, parts per million), and the one
 * mechanism every fault source goes through: aring__sim_fault_record().
 *
 *   timeout_ppm  an op with a linked timeout stalls until the timeout fires
 *   cancel_ppm   an op that may wait ends with -ECANCELED (-EINTR for
 *                accept/connect, as a signal would give)
 *   short_ppm    an op that moves bytes (ARING__OPF_RW) moves 1..n-1 of n
 *   error_ppm    an error the op can really return, from the table below
 *
 * Each kind draws from its own stream of the seed, and only when its ppm is
 * not 0. Ops flagged ARING__OPF_NOFAULT (ring control) never fault.
 *
 * Decisions: a hit is numbered (the run's decision counter, process-wide,
 * so a world of several loops numbers them in one sequence), logged when
 * the swarm asks, and takes effect unless the run's filter (ARING_SIM_KEEP
 * / ARING_SIM_SUPPRESS, or the swarm's) suppresses it. The rule that keeps
 * the rest of the run the same: a caller draws exactly what it would draw
 * if the fault took effect (the errno's index, the short length), and when
 * the fault is suppressed it draws nothing that an injected fault would not
 * have drawn (a suppressed cancel does not go on to draw an error).
 */
#include "config.h"
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim/sim.h"

/* r->short_limit while a short transfer is decided but not yet sized: this
   bit, with the length's hash below it. */
#define SHORT_PENDING (1ull << 63)
#define LOG_MAX (1u << 18) /* decisions logged per run (numbered beyond, not logged) */
#define CLASS_MAX (1u << 16) /* identity classes counted per run (more: counted as one) */

enum { FILTER_ALL, FILTER_KEEP, FILTER_SUPPRESS };

/* The run's decisions: one process, one run (the swarm forks one per seed). */
static struct {
	pthread_mutex_t mu;
	bool env_read;
	uint64_t next_seq;          /* decisions numbered so far */
	int mode;                   /* FILTER_* */
	bool ids;                   /* set holds identity hashes, not decision numbers */
	uint64_t *set;              /* sorted decision numbers (identity hashes) of the filter */
	size_t nset;
	bool log_on;
	struct aring_sim_fault *log;
	size_t len, cap;
	uint32_t next_node;         /* loops made in the process */
	uint64_t virtual_ns;        /* virtual time of the loops ended */
	/* decisions of other sources, counted per class (node, op or name, kind) */
	struct fault_class { uint64_t key; uint64_t n; } *cls;
	size_t ncls, nused;         /* table size (a power of two), classes in it */
	uint64_t overflow_n;        /* decisions of classes beyond CLASS_MAX */
} g = { .mu = PTHREAD_MUTEX_INITIALIZER };

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static uint64_t fnv(uint64_t h, const char *s)
{
	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 0x100000001b3ull;
	return h;
}

#define FNV_START 0xcbf29ce484222325ull

/*
 * Parse "1,5,9" (or ""), or "kv1/read/short/3,..." (identities, hashed):
 * the sorted set, *ids telling which; -EINVAL (a bad number, both kinds of
 * item, an empty item) or -ENOMEM.
 */
static int parse_set(const char *str, uint64_t **set, size_t *n, bool *ids)
{
	size_t cap = 1, k = 0;
	int nums = 0, names = 0;
	const char *p;
	uint64_t *v;

	for (p = str; *p; p++)
		cap += *p == ',';
	v = malloc(cap * sizeof(*v));
	if (!v)
		return -ENOMEM;
	for (p = str; *p;) {
		size_t len = strcspn(p, ",");
		char item[512], *end;

		if (len == 0 || len >= sizeof(item))
			goto bad;
		memcpy(item, p, len);
		item[len] = 0;
		if (strspn(item, "0123456789") == len) {
			errno = 0;
			v[k++] = strtoull(item, &end, 10);
			if (errno)
				goto bad;
			nums = 1;
		} else {
			v[k++] = fnv(FNV_START, item);
			names = 1;
		}
		p += len;
		if (*p == ',' && p[1])
			p++;
		else if (*p)
			goto bad;
	}
	if (nums && names)
		goto bad;
	qsort(v, k, sizeof(*v), cmp_u64);
	*set = v;
	*n = k;
	*ids = names;
	return 0;
bad:
	free(v);
	return -EINVAL;
}

static void set_filter(int mode, uint64_t *set, size_t n, bool ids)
{
	free(g.set);
	g.mode = mode;
	g.set = set;
	g.nset = n;
	g.ids = ids;
}

/* The filter from ARING_SIM_KEEP / ARING_SIM_SUPPRESS. Under g.mu. */
static void read_env(void)
{
	const char *keep = getenv("ARING_SIM_KEEP"), *sup = getenv("ARING_SIM_SUPPRESS");
	const char *name = keep ? "ARING_SIM_KEEP" : "ARING_SIM_SUPPRESS";
	const char *val = keep ? keep : sup;
	uint64_t *set = NULL;
	size_t n = 0;
	bool ids = false;

	g.env_read = true;
	set_filter(FILTER_ALL, NULL, 0, false);
	if (!val)
		return;
	if (keep && sup)
		fprintf(stderr, "aring-sim: both ARING_SIM_KEEP and ARING_SIM_SUPPRESS set; "
				"ARING_SIM_KEEP wins\n");
	if (parse_set(val, &set, &n, &ids) < 0) {
		fprintf(stderr, "aring-sim: %s=%s is not a list of decision numbers or of "
				"identities; ignored\n", name, val);
		return;
	}
	set_filter(keep ? FILTER_KEEP : FILTER_SUPPRESS, set, n, ids);
}

void aring__sim_faults_begin(const uint64_t *keep, size_t nkeep, bool ids, bool from_env,
			     bool log)
{
	uint64_t *set = NULL;

	pthread_mutex_lock(&g.mu);
	g.next_seq = 0;
	g.len = 0;
	g.log_on = log;
	g.next_node = 0;
	g.virtual_ns = 0;
	free(g.cls);
	g.cls = NULL;
	g.ncls = g.nused = 0;
	g.overflow_n = 0;
	if (from_env) {
		read_env();
	} else if (!keep) {
		g.env_read = true;
		set_filter(FILTER_ALL, NULL, 0, false);
	} else {
		g.env_read = true;
		set = malloc((nkeep ? nkeep : 1) * sizeof(*set));
		if (set) {
			memcpy(set, keep, nkeep * sizeof(*set));
			qsort(set, nkeep, sizeof(*set), cmp_u64);
			set_filter(FILTER_KEEP, set, nkeep, ids);
		} else {
			/* No memory for the list: keep nothing rather than everything. */
			set_filter(FILTER_KEEP, NULL, 0, false);
		}
	}
	pthread_mutex_unlock(&g.mu);
}

size_t aring__sim_faults_log(const struct aring_sim_fault **log)
{
	*log = g.log;
	return g.len;
}

uint64_t aring__sim_faults_count(void)
{
	return g.next_seq;
}

uint64_t aring__sim_faults_virtual_ns(void)
{
	return g.virtual_ns;
}

void aring__sim_fault_loop_new(struct sim *s)
{
	pthread_mutex_lock(&g.mu);
	if (!g.env_read)
		read_env();
	snprintf(s->node_name, sizeof(s->node_name), "loop%" PRIu32, g.next_node++);
	pthread_mutex_unlock(&g.mu);
}

void aring__sim_fault_loop_end(struct sim *s)
{
	pthread_mutex_lock(&g.mu);
	if (s->node == 0) /* a lone loop, or a world's first node: its clock counted once */
		g.virtual_ns += s->now_ns - SIM_START_NS;
	pthread_mutex_unlock(&g.mu);
}

static bool in_set(uint64_t v)
{
	size_t lo = 0, hi = g.nset;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (g.set[mid] == v)
			return true;
		if (g.set[mid] < v)
			lo = mid + 1;
		else
			hi = mid;
	}
	return false;
}

/* The middle part of an identity: the scenario's name, else the op (crash outcomes: "-"). */
static const char *id_middle(unsigned kind, unsigned opcode, const char *what)
{
	if (kind == ARING_SIM_FAULT_SCENARIO && what && what[0])
		return what;
	if (opcode == ARING_SIM_FAULT_NO_OP || kind == ARING_SIM_FAULT_CRASH_LOST ||
	    kind == ARING_SIM_FAULT_CRASH_TORN || kind == ARING_SIM_FAULT_CRASH_UNDONE)
		return "-";
	return aring__op_name(opcode);
}

static int id_text(const char *node, unsigned kind, unsigned opcode, const char *what,
		   uint64_t nth, char *buf, size_t len)
{
	return snprintf(buf, len, "%.63s/%.*s/%s/%" PRIu64, node, ARING_SIM_WHAT_MAX - 1,
			id_middle(kind, opcode, what), aring_sim_fault_kind_name(kind), nth);
}

static uint64_t id_hash(const char *node, unsigned kind, unsigned opcode, const char *what,
			uint64_t nth)
{
	char buf[200];

	id_text(node, kind, opcode, what, nth, buf, sizeof(buf));
	return fnv(FNV_START, buf);
}

uint64_t aring__sim_fault_id_hash(const struct aring_sim_fault *f)
{
	return id_hash(f->node, f->kind, f->opcode, f->what, f->nth);
}

/* Is the identity listed in the run's identity filter? (Only with g.ids.) */
static bool id_listed(struct sim *s, unsigned kind, unsigned opcode, const char *what,
		      uint64_t nth)
{
	bool r;

	pthread_mutex_lock(&g.mu);
	r = in_set(id_hash(s->node_name, kind, opcode, what, nth));
	pthread_mutex_unlock(&g.mu);
	return r;
}

static bool keep_by_id(void)
{
	return g.mode == FILTER_KEEP && g.ids;
}

/* Slot of key in a table of ncls (a power of two) with a free slot. */
static struct fault_class *class_slot(struct fault_class *t, size_t ncls, uint64_t key)
{
	size_t mask = ncls - 1, i;

	for (i = key & mask; t[i].n != 0 && t[i].key != key; i = (i + 1) & mask)
		;
	return &t[i];
}

/*
 * The n-th decision of a class (node, middle, kind) of a source that counts
 * hits. Under g.mu. The table starts small and doubles at half full (a run
 * has a few dozen classes; a table of CLASS_MAX, touched at hashed places,
 * paged in a page per class in every swarm child).
 */
static uint64_t class_next(struct sim *s, unsigned kind, unsigned opcode, const char *what)
{
	uint64_t key = fnv(fnv(fnv(FNV_START, s->node_name), id_middle(kind, opcode, what)),
			   aring_sim_fault_kind_name(kind));
	struct fault_class *c;

	if (2 * (g.nused + 1) > g.ncls) {
		size_t n = g.ncls ? 2 * g.ncls : 64, i;
		struct fault_class *t;

		if (n > CLASS_MAX || !(t = calloc(n, sizeof(*t)))) {
			/* full (or no memory): the old table, while it has room */
			if (g.nused + 1 >= g.ncls)
				return ++g.overflow_n;
		} else {
			for (i = 0; i < g.ncls; i++)
				if (g.cls[i].n)
					*class_slot(t, n, g.cls[i].key) = g.cls[i];
			free(g.cls);
			g.cls = t;
			g.ncls = n;
		}
	}
	c = class_slot(g.cls, g.ncls, key);
	if (c->n == 0) {
		c->key = key;
		g.nused++;
	}
	return ++c->n;
}

/*
 * Number and record a decision with identity (s, kind, opcode, what, nth);
 * nth 0: the next of its class. Takes effect unless the filter suppresses
 * it; forced: listed in an identity keep list (taken as kept).
 */
static bool record(struct sim *s, unsigned kind, unsigned opcode, int64_t detail,
		   const char *what, uint64_t nth)
{
	struct aring_sim_fault f;
	bool inject;

	pthread_mutex_lock(&g.mu);
	if (!nth)
		nth = class_next(s, kind, opcode, what);
	f.seq = ++g.next_seq;
	f.time_ns = s->now_ns;
	f.kind = kind;
	f.opcode = opcode;
	f.detail = detail;
	f.nth = nth;
	memcpy(f.node, s->node_name, sizeof(f.node));
	memset(f.what, 0, sizeof(f.what));
	if (what)
		strncpy(f.what, what, sizeof(f.what) - 1);
	inject = g.mode == FILTER_ALL ||
		 (g.mode == FILTER_KEEP) == in_set(g.ids ? aring__sim_fault_id_hash(&f) : f.seq);
	if (inject && g.log_on && g.len < LOG_MAX) {
		if (g.len == g.cap) {
			size_t cap = g.cap ? 2 * g.cap : 256;
			struct aring_sim_fault *l = realloc(g.log, cap * sizeof(*l));

			if (l) {
				g.log = l;
				g.cap = cap;
			}
		}
		if (g.len < g.cap)
			g.log[g.len++] = f;
	}
	pthread_mutex_unlock(&g.mu);
	if (s->trace) {
		char line[200], id[200];

		aring_sim_fault_format(&f, line, sizeof(line));
		aring_sim_fault_id(&f, id, sizeof(id));
		fprintf(stderr, "aring-sim %s [%s]%s\n", line, id, inject ? "" : " (suppressed)");
	}
	return inject;
}

bool aring__sim_fault_record_what(struct sim *s, unsigned kind, unsigned opcode, int64_t detail,
				  const char *what)
{
	return record(s, kind, opcode, detail, what, 0);
}

bool aring__sim_fault_record(struct sim *s, unsigned kind, unsigned opcode, int64_t detail)
{
	return record(s, kind, opcode, detail, NULL, 0);
}

bool aring__sim_fault_decide(struct sim *s, struct sim_prng *rng, uint32_t ppm, unsigned kind,
			     unsigned opcode)
{
	return aring__sim_prng_ppm(rng, ppm) && record(s, kind, opcode, 0, NULL, 0);
}

/*
 * A value of the decision's own, the same whatever ran before it: from the
 * seed, the node's index in its world and the identity's kind, op and n
 * (not the name: a lone loop's "loop<n>" counts the loops of the process).
 */
static uint64_t id_value(struct sim *s, unsigned kind, unsigned opcode, uint64_t nth)
{
	uint64_t st = s->seed ^ ((uint64_t)s->node << 56) ^ ((uint64_t)kind << 48) ^
		      ((uint64_t)opcode << 36) ^ nth;

	aring__sim_splitmix64(&st);
	return aring__sim_splitmix64(&st);
}

/*
 * The op's fault of this kind: 1 it happens, 0 no fault decided, -1 decided
 * and suppressed. The op's identity is its number nth among the node's ops
 * of its opcode that reached this point. Drawn from the kind's stream
 * (ppm), except with an identity keep list: there exactly the listed
 * identities happen, drawn or not, so a kept fault stays on "the 3rd read
 * of kv1" whatever the faults removed before it.
 */
static bool op_decided(struct sim *s, struct sim_prng *rng, uint32_t ppm, unsigned kind,
		       const struct sim_req *r, uint64_t nth)
{
	if (keep_by_id())
		return id_listed(s, kind, r->opcode, NULL, nth);
	return aring__sim_prng_ppm(rng, ppm);
}

static int op_fault(struct sim *s, struct sim_prng *rng, uint32_t ppm, unsigned kind,
		    const struct sim_req *r, uint64_t nth, int64_t detail)
{
	if (!op_decided(s, rng, ppm, kind, r, nth))
		return 0;
	return record(s, kind, r->opcode, detail, NULL, nth) ? 1 : -1;
}

/*
 * Errors an op can really return: the op table's (core/opdef.c), except that
 * read and write pick by the file kind (a regular file's or a socket's).
 */
static const int16_t err_file_read[] = { -EIO, 0 };
static const int16_t err_file_write[] = { -EIO, -ENOSPC, -EDQUOT, 0 };

static const int16_t *errors_for(const struct sim_req *r)
{
	enum sim_ftype t = r->file ? r->file->type : 0;

	switch (r->opcode) {
	case IORING_OP_READ:
	case IORING_OP_READV:
		return t == SIM_F_REG ? err_file_read :
		       t == SIM_F_SOCK ? aring__opdefs[IORING_OP_RECV].errors : NULL;
	case IORING_OP_WRITE:
	case IORING_OP_WRITEV:
		return t == SIM_F_REG ? err_file_write :
		       t == SIM_F_SOCK ? aring__opdefs[IORING_OP_SEND].errors : NULL;
	default:
		return aring__opdefs[r->opcode].errors;
	}
}

bool aring__sim_fault_inject(struct sim *s, struct sim_req *r)
{
	unsigned flags = aring__opdefs[r->opcode].flags;
	const int16_t *errs;
	uint64_t nth;
	int hit;

	if (flags & ARING__OPF_NOFAULT)
		return false;
	nth = ++s->fault_ops[1][r->opcode];
	if (flags & ARING__OPF_BLOCKS) {
		int32_t res = (r->opcode == IORING_OP_ACCEPT || r->opcode == IORING_OP_CONNECT) ? -EINTR
											 : -ECANCELED;

		hit = op_fault(s, &s->rng_cancel, s->opts.cancel_ppm, ARING_SIM_FAULT_CANCEL, r, nth,
			       res);
		if (hit < 0)
			return false; /* suppressed: the op runs, drawing no error or short */
		if (hit) {
			s->stats.cancels_injected++;
			r->res = res;
			return true;
		}
	}
	errs = errors_for(r);
	if (errs && op_decided(s, &s->rng_error, s->opts.error_ppm, ARING_SIM_FAULT_ERROR, r, nth)) {
		unsigned n = 0;
		int32_t res;

		/* which error: from the op's identity, found only once it fails */
		while (errs[n])
			n++;
		res = errs[id_value(s, ARING_SIM_FAULT_ERROR, r->opcode, nth) % n];
		if (!record(s, ARING_SIM_FAULT_ERROR, r->opcode, res, NULL, nth))
			return false; /* suppressed: the op runs, drawing no short */
		s->stats.errors_injected++;
		r->res = res;
		return true;
	}
	if ((flags & ARING__OPF_RW) &&
	    op_fault(s, &s->rng_short, s->opts.short_ppm, ARING_SIM_FAULT_SHORT, r, nth, 0) > 0)
		/* Decided now, sized when the op knows its length. */
		r->short_limit = SHORT_PENDING |
				 (id_value(s, ARING_SIM_FAULT_SHORT, r->opcode, nth) >> 1);
	return false;
}

uint64_t aring__sim_fault_limit(struct sim *s, struct sim_req *r, uint64_t want)
{
	if (r->short_limit & SHORT_PENDING) {
		uint64_t h = r->short_limit & ~SHORT_PENDING;

		if (want < 2)
			return want; /* cannot be shorter and still move a byte */
		r->short_limit = 1 + h % (want - 1);
		s->stats.shorts_injected++;
	}
	if (r->short_limit && want > r->short_limit)
		return r->short_limit;
	return want;
}

bool aring__sim_fault_stall(struct sim *s, struct sim_req *r)
{
	uint64_t nth;
	int hit;

	if (aring__opdefs[r->opcode].flags & ARING__OPF_NOFAULT)
		return false;
	nth = ++s->fault_ops[0][r->opcode];
	hit = op_fault(s, &s->rng_timeout, s->opts.timeout_ppm, ARING_SIM_FAULT_TIMEOUT, r, nth, 0);
	if (hit < 0) {
		/*
		 * Suppressed: the op runs, but a stalled op never ran, so it
		 * draws no cancel, error or short either (as if already drawn).
		 */
		r->started = true;
		return false;
	}
	if (!hit)
		return false;
	s->stats.timeouts_injected++;
	return true;
}

/* ---------------------------------------------------------------- public */

ARING_API const char *aring_sim_fault_kind_name(unsigned kind)
{
	static const char *const names[ARING_SIM_FAULT_KIND_LAST] = {
		[ARING_SIM_FAULT_TIMEOUT] = "timeout-stall",
		[ARING_SIM_FAULT_CANCEL] = "cancel",
		[ARING_SIM_FAULT_SHORT] = "short",
		[ARING_SIM_FAULT_ERROR] = "error",
		[ARING_SIM_FAULT_NET_RESET] = "net-reset",
		[ARING_SIM_FAULT_NET_CLOG] = "net-clog",
		[ARING_SIM_FAULT_DISK_READ] = "disk-read-eio",
		[ARING_SIM_FAULT_DISK_FSYNC] = "fsync-eio",
		[ARING_SIM_FAULT_DISK_NOSPACE] = "enospc",
		[ARING_SIM_FAULT_SCENARIO] = "scenario",
		[ARING_SIM_FAULT_SQ_FULL] = "sq-full",
		[ARING_SIM_FAULT_CQ_PRESSURE] = "cq-pressure",
		[ARING_SIM_FAULT_CANCEL_RACE] = "cancel-race",
		[ARING_SIM_FAULT_SHUFFLE] = "shuffle",
		[ARING_SIM_FAULT_CRASH_LOST] = "crash-lost",
		[ARING_SIM_FAULT_CRASH_TORN] = "crash-torn",
		[ARING_SIM_FAULT_CRASH_UNDONE] = "crash-undone",
	};

	return kind < ARING_SIM_FAULT_KIND_LAST && names[kind] ? names[kind] : "unknown";
}

ARING_API int aring_sim_fault_format(const struct aring_sim_fault *f, char *buf, size_t len)
{
	char what[48];

	if (!f || (!buf && len))
		return -EINVAL;
	if (f->kind == ARING_SIM_FAULT_ERROR || f->kind == ARING_SIM_FAULT_CANCEL)
		snprintf(what, sizeof(what), "%s %" PRId64 " (%s)", aring_sim_fault_kind_name(f->kind),
			 f->detail, strerror((int)-f->detail));
	else if (f->kind == ARING_SIM_FAULT_NET_RESET)
		snprintf(what, sizeof(what), "%s (from node %" PRId64 ")",
			 aring_sim_fault_kind_name(f->kind), f->detail);
	else if (f->kind == ARING_SIM_FAULT_NET_CLOG)
		snprintf(what, sizeof(what), "%s (held %" PRId64 " ns)",
			 aring_sim_fault_kind_name(f->kind), f->detail);
	else
		snprintf(what, sizeof(what), "%s", aring_sim_fault_kind_name(f->kind));
	return snprintf(buf, len, "fault %" PRIu64 ": %.63s, %.*s, t=%" PRIu64 ".%09" PRIu64 " s, %s",
			f->seq, f->node, ARING_SIM_WHAT_MAX - 1,
			f->what[0] ? f->what :
			f->opcode == ARING_SIM_FAULT_NO_OP ? "-" : aring__op_name(f->opcode),
			f->time_ns / 1000000000u, f->time_ns % 1000000000u, what);
}

ARING_API int aring_sim_decide(aring_loop *node, const char *what, uint32_t ppm)
{
	struct sim *s = aring__sim_from_loop(node);
	uint64_t nth;
	bool drawn;

	if (!s || !what || !what[0] || strnlen(what, ARING_SIM_WHAT_MAX) == ARING_SIM_WHAT_MAX ||
	    ppm > 1000000)
		return -EINVAL;
	/* Its identity: the n-th call with this name on this node, hit or not. */
	pthread_mutex_lock(&g.mu);
	nth = class_next(s, ARING_SIM_FAULT_SCENARIO, ARING_SIM_FAULT_NO_OP, what);
	pthread_mutex_unlock(&g.mu);
	drawn = aring__sim_prng_ppm(&s->rng_scenario, ppm);
	if (keep_by_id() ? !id_listed(s, ARING_SIM_FAULT_SCENARIO, ARING_SIM_FAULT_NO_OP, what, nth)
			 : !drawn)
		return 0;
	return record(s, ARING_SIM_FAULT_SCENARIO, ARING_SIM_FAULT_NO_OP, 0, what, nth);
}

ARING_API int aring_sim_fault_id(const struct aring_sim_fault *f, char *buf, size_t len)
{
	if (!f || (!buf && len))
		return -EINVAL;
	return id_text(f->node, f->kind, f->opcode, f->what, f->nth, buf, len);
}

ARING_API int aring_sim_faults_begin(const uint64_t *keep, size_t nkeep)
{
	if (nkeep && !keep)
		return -EINVAL;
	aring__sim_faults_begin(keep, nkeep, false, false, true);
	return 0;
}

ARING_API long aring_sim_faults_taken(struct aring_sim_fault *out, size_t max)
{
	size_t n;

	if (!out && max)
		return -EINVAL;
	pthread_mutex_lock(&g.mu);
	n = g.len;
	if (max)
		memcpy(out, g.log, (n < max ? n : max) * sizeof(*out));
	pthread_mutex_unlock(&g.mu);
	return (long)n;
}
