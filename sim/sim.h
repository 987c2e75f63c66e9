/* SPDX-License-Identifier: MIT */
/*
 * The simulator's private header: its state and internal API.
 *
 * Files, one concern each:
 *   backend.c  aring__sim_new(): a world on a soft ring (backends/soft/, which
 *              owns SQ, CQ, links, drain, timeouts, cancel and every ring rule)
 *   sched.c    virtual clock and the event heap keyed by (time, tiebreak, seq)
 *   ring.c     the executor: start, stop, wait (virtual time), completion
 *   ops.c      the model's op table indexed by opcode; -EOPNOTSUPP for the rest
 *   fs.c       the in-memory file system and file ops
 *   disk.c     durability: what fsync made durable, what a crash keeps; disk faults
 *   pipe.c     pipes (and fds 0, 1, 2)
 *   net.c      stream sockets on simulated addresses
 *   poll.c     readiness of every file kind; POLL_ADD / POLL_REMOVE
 *   xattr.c    extended attributes of files (SETXATTR, GETXATTR, F*)
 *   futex.c    FUTEX_WAIT, FUTEX_WAKE, FUTEX_WAITV between a loop's tasks
 *   proc.c     WAITID: a process without children
 *   cmd.c      URING_CMD on sockets, RECV_ZC (no zcrx queue: -EINVAL)
 *   splice.c   SPLICE and TEE between pipes, files and sockets
 *   msgring.c  MSG_RING between sim loops (ring fds: aring_sim_ring_fd)
 *   epoll.c    epoll instances, EPOLL_CTL and EPOLL_WAIT over sim files
 *   fault.c    fault injection
 *   prng.c     the seeded generator and its sub-streams
 *   trace.c    trace hash and the ARING_SIM_TRACE=1 event log
 *   api.c      public aring_sim_* functions
 *   world.c    worlds of nodes: one clock, the world's run loop, names, addresses
 *   netsim.c   the network between nodes: links, latency, partitions,
 *              segments in flight, resets, clogging, TCP timeouts
 *
 * Never a pointer or a user_data in the trace, never wall-clock time: one
 * seed gives one run.
 */
#ifndef ARING_SIM_SIM_H
#define ARING_SIM_SIM_H

#include <assert.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "backends/soft/soft.h"
#include "core/backend.h"
#include "core/opdef.h"
#include <aring/sim.h>

/* Virtual time starts here (so that an absolute deadline 0 is in the past). */
#define SIM_START_NS 1000000000ull
#define SIM_MAX_FDS (1u << 20)      /* fds per loop (-EMFILE beyond), the kernel's nr_open */

#define SIM_MAX_REQS (1u << 20)     /* requests in flight (-EAGAIN beyond: never seen) */
#define SIM_PIPE_CAP (64u * 1024u)  /* like the kernel's default 16 pages */
#define SIM_STDIO_CAP (1u << 20)    /* stdin/stdout/stderr pipes */
#define SIM_SOCK_BUF (256u * 1024u) /* per-socket receive buffer */
#define SIM_MAX_FILE_SIZE (1ull << 32)
#define SIM_MAX_FS_BYTES (512ull << 20) /* total file data: -ENOSPC beyond */
#define SIM_PAGE 4096u
#define SIM_MAX_LISTEN_BACKLOG 4096u
#define SIM_UIO_MAXIOV 1024u        /* UIO_MAXIOV */

/*
 * User memory as the kernel sees it (x86-64): nothing is ever mapped below
 * vm.mmap_min_addr (64 KiB), and access_ok() refuses a range that reaches
 * past the user address limit. The sim gives -EFAULT where the kernel would:
 * for a range that fails access_ok() at import, and for one that lies below
 * 64 KiB when it copies. Any other address must be valid memory.
 */
#define SIM_USER_MIN 0x10000ull
#define SIM_USER_MAX 0x7ffffffff000ull

/* kernel access_ok(): the range fits below the user address limit. */
static inline bool sim_access_ok(uint64_t addr, uint64_t len)
{
	return len <= SIM_USER_MAX && addr <= SIM_USER_MAX - len;
}

/* The sim may read or write len bytes at addr (else the kernel would fault). */
static inline bool sim_user_ok(uint64_t addr, uint64_t len)
{
	return len == 0 || (addr >= SIM_USER_MIN && sim_access_ok(addr, len));
}

static inline bool sim_user_ptr_ok(const void *p, uint64_t len)
{
	return sim_user_ok((uint64_t)(uintptr_t)p, len);
}

/* ---------------------------------------------------------------- lists */

struct sim_list {
	struct sim_list *prev, *next;
};

static inline void sim_list_init(struct sim_list *l)
{
	l->prev = l->next = l;
}

static inline bool sim_list_empty(const struct sim_list *l)
{
	return l->next == l;
}

static inline bool sim_list_linked(const struct sim_list *n)
{
	return n->next != NULL && n->next != n;
}

static inline void sim_list_add_tail(struct sim_list *head, struct sim_list *n)
{
	n->prev = head->prev;
	n->next = head;
	head->prev->next = n;
	head->prev = n;
}

static inline void sim_list_del(struct sim_list *n)
{
	n->prev->next = n->next;
	n->next->prev = n->prev;
	n->prev = n->next = n;
}

#define sim_container_of(p, type, member) ((type *)((char *)(p) - offsetof(type, member)))

/* ---------------------------------------------------------------- prng */

/* xoshiro256** seeded through splitmix64; one sub-stream per concern. */
struct sim_prng {
	uint64_t s[4];
};

enum sim_stream {
	SIM_STREAM_SCHED = 1, /* latencies, tiebreaks */
	SIM_STREAM_TIMEOUT,   /* timeout_ppm decisions */
	SIM_STREAM_CANCEL,
	SIM_STREAM_SHORT,
	SIM_STREAM_ERROR,
	SIM_STREAM_NET,       /* ephemeral ports */
	SIM_STREAM_LINK,      /* the world's network: link latencies, resets, clogs */
	SIM_STREAM_NODE,      /* node seeds drawn from the world's */
	SIM_STREAM_DISK = 32, /* disk faults, crash outcomes (sim/disk.c) */
	SIM_STREAM_SHUFFLE,   /* the order of ready tasks (shuffle_ppm) */
	SIM_STREAM_RING,      /* faults of the ring: cancel races, SQ full, CQ pressure */
	SIM_STREAM_SCENARIO,  /* aring_sim_decide: the scenario's own faults */
};

uint64_t aring__sim_splitmix64(uint64_t *state);
void aring__sim_prng_seed(struct sim_prng *p, uint64_t seed, unsigned stream);
uint64_t aring__sim_prng_next(struct sim_prng *p);
/* Uniform in [lo, hi] (inclusive). */
uint64_t aring__sim_prng_range(struct sim_prng *p, uint64_t lo, uint64_t hi);
/* True with probability ppm / 1e6 (never draws when ppm is 0). */
bool aring__sim_prng_ppm(struct sim_prng *p, uint32_t ppm);

/* ---------------------------------------------------------------- bitmaps */

/*
 * A bitmap with two summary levels (bit i of level k+1: word i of level k is
 * all ones), so the lowest clear bit from a start is found in O(1) words per
 * level: the fd table's lowest free fd, the next free ephemeral port.
 */
struct sim_bits {
	uint64_t *l[3];
	uint32_t nwords[3];
	uint32_t nbits;
};

/* Zeroed memory for a large sparse table (mmap from 32 KiB); NULL: -ENOMEM. */
void *aring__sim_zalloc(size_t bytes);
void aring__sim_zfree(void *p, size_t bytes);
int aring__sim_bits_init(struct sim_bits *b, uint32_t nbits);
/* Make b hold nbits (>= its size), its bits kept; 0 or -ENOMEM (b unchanged). */
int aring__sim_bits_grow(struct sim_bits *b, uint32_t nbits);
void aring__sim_bits_free(struct sim_bits *b);
void aring__sim_bits_set(struct sim_bits *b, uint32_t i);
void aring__sim_bits_clear(struct sim_bits *b, uint32_t i);
/* The lowest clear bit >= from, or -1. */
int64_t aring__sim_bits_find(const struct sim_bits *b, uint32_t from);

/* ---------------------------------------------------------------- files */

struct sim;
struct sim_req;

struct sim_waitq {
	struct sim_list head;  /* sim_req.wait */
	struct sim_list watch; /* epoll items watching the file (sim/epoll.c) */
	uint64_t gen;          /* wake-ups so far: EPOLLET's edges */
};

enum sim_itype { SIM_I_REG = 1, SIM_I_DIR, SIM_I_LNK };

/* A name in a directory; every dirent is in the fs-wide hash keyed by (dir, name). */
struct sim_dirent {
	char *name;
	uint64_t hash;
	struct sim_inode *inode;
	struct sim_inode *dir;
	struct sim_dirent *hnext;      /* hash chain */
	struct sim_list in_dir;        /* dir->ents */
};

struct sim_inode {
	enum sim_itype type;
	uint32_t mode;            /* permission bits */
	uint32_t nlink;
	uint32_t opens;           /* open file descriptions on it */
	uint64_t ino;
	uint64_t size;
	uint64_t mtime_ns, ctime_ns, atime_ns;
	/* SIM_I_REG: pages (NULL = hole) */
	uint8_t **pages;
	uint64_t npages_cap;
	uint64_t npages_alloc;
	/* SIM_I_DIR */
	struct sim_list ents;     /* sim_dirent.in_dir */
	uint32_t nents;
	uint32_t kids;            /* directories whose ".." this is (dead ones too) */
	struct sim_inode *parent; /* ".." (the root is its own parent); holds a kids ref */
	/* SIM_I_LNK */
	char *target;
	/* durability (sim/disk.c) */
	struct sim_list all;      /* sim->inodes */
	uint32_t dref;            /* durable entries and pending namespace changes naming it */
	/* SIM_I_REG: the durable image and the unsynced changes since */
	uint8_t **dpages;         /* NULL = hole */
	uint64_t dpages_cap;
	uint64_t dsize;
	struct sim_rec *recs, **recs_tail; /* oldest first */
	uint64_t *bad;            /* sectors whose reads fail (-EIO) until rewritten */
	uint32_t nbad, bad_cap;
	bool fsync_failed;        /* the last fsync got an injected -EIO: the next succeeds */
	/* SIM_I_DIR: its durable entries */
	struct sim_dent *dents;
	struct sim_xattr *xattrs;      /* extended attributes (sim/xattr.c) */
};

/* A durable directory entry (sim/disk.c). */
struct sim_dent {
	struct sim_dent *next;
	struct sim_inode *inode;
	char name[];
};

struct sim_pipe {
	uint8_t *buf;
	uint32_t cap, head, len;
	/* kernel struct pipe_buffer: the pages the bytes sit in, a ring of cap/4096 */
	struct sim_pipe_pg { uint16_t off, len; } *pg;
	uint32_t pg_max, pg_tail, pg_n;
	uint32_t readers, writers;     /* open file descriptions on each end */
	struct sim_waitq wq;           /* both ends wait here */
};

enum sim_sock_state {
	SIM_SOCK_NEW = 1,
	SIM_SOCK_BOUND,
	SIM_SOCK_LISTEN,
	SIM_SOCK_CONNECTED,
	SIM_SOCK_CLOSED,               /* after a reset or once both sides finished */
};

struct sim_sock {
	int family;
	enum sim_sock_state state;
	bool bound;
	/* struct sockaddr_in / sockaddr_in6 */
	uint8_t local[28] __attribute__((aligned(8)));
	uint8_t remote[28] __attribute__((aligned(8)));
	uint32_t local_len, remote_len;
	uint16_t port;
	struct sim_sock *peer;         /* connected peer, NULL once it is gone */
	bool rd_eof;                   /* peer sent FIN (or we shut down reading) */
	bool fin;                      /* the peer's FIN was sent (kernel SOCK_DONE once
	                                  rx_flight is 0); stays set */
	bool wr_shut;                  /* we shut down writing (or were reset) */
	bool peer_gone;                /* peer closed: our next send resets us */
	int err;                       /* pending sk_err (positive errno), 0 = none */
	uint8_t *rx;                   /* receive buffer (ring) */
	uint32_t rx_head, rx_len;
	uint32_t rx_cap;               /* grows up to SIM_SOCK_BUF */
	uint32_t urg_at;               /* MSG_OOB: the urgent byte's rx offset + 1; 0 = none */
	bool urg_read;                 /* it was read with MSG_OOB */
	/* listener: a ring of queued connections */
	struct sim_sock **acceptq;
	uint32_t acceptq_head, acceptq_len, acceptq_cap, backlog;
	struct sim_sock *listener;     /* for a socket in a listener's accept queue */
	/* A connection between nodes of a world (sim/netsim.c): bytes at the
	   tail of rx are in flight until their segment is delivered. */
	struct sim *owner;             /* the node it lives on */
	uint32_t peer_node;            /* the sending node of what arrives here */
	bool cross;                    /* its peer is on another node */
	uint32_t rx_flight;            /* bytes of rx not yet delivered */
	struct sim_seg *segs;          /* a ring of segments in flight to it */
	uint32_t seg_head, seg_len, seg_cap;
	uint64_t last_due_ns;          /* segments are due in order */
	struct sim_list in_flight;     /* world->flight while seg_len > 0 */
	struct sim_file *file;         /* the file that holds it (NULL while queued) */
	struct sim_waitq wq;
	struct sim_list all;           /* sim->socks */
	struct sim_list in_port;       /* its port's socks while bound */
	struct sim_list in_listen;     /* its port's listeners while listening */
};

/* Bytes in flight to a socket, delivered at due_ns unless held. */
struct sim_seg {
	uint32_t len;
	bool held;                     /* met a partition at held_ns */
	bool clogged;                  /* was clogged once (never twice) */
	uint64_t due_ns, held_ns;
};

/* Bytes of k's receive buffer a recv may take. */
static inline uint32_t sim_rx_ready(const struct sim_sock *k)
{
	return k->rx_len - k->rx_flight;
}

/* Sockets bound to one port (kernel inet_bind_bucket). */
struct sim_port {
	struct sim_list socks;         /* sim_sock.in_port */
	struct sim_list listeners;     /* sim_sock.in_listen */
	uint32_t nsocks;
};

enum sim_ftype {
	SIM_F_REG = 1, SIM_F_DIR, SIM_F_PIPE_R, SIM_F_PIPE_W, SIM_F_SOCK,
	SIM_F_RING,   /* a loop's ring (sim/msgring.c): MSG_RING's target */
	SIM_F_EPOLL,  /* an epoll instance (sim/epoll.c) */
};

struct sim_epoll;

/* An open file description. Refs: fd table entries and requests using it. */
struct sim_file {
	enum sim_ftype type;
	uint32_t refs;
	int flags;                     /* O_ACCMODE | O_APPEND | O_NONBLOCK | O_PATH | O_SYNC | O_DSYNC */
	uint64_t pos;
	struct sim_inode *inode;
	struct sim_pipe *pipe;
	struct sim_sock *sock;
	struct sim *ring;              /* SIM_F_RING: its loop's sim, NULL once that is gone */
	struct sim_list in_ring;       /* SIM_F_RING: ring->ring_files */
	struct sim_epoll *ep;          /* SIM_F_EPOLL */
	struct sim_list epitems;       /* epoll items watching this file (made on first use) */
};

/* ---------------------------------------------------------------- requests */

enum sim_req_state {
	SIM_REQ_FREE = 0,    /* not with the sim (not started, or completed) */
	SIM_REQ_EXEC,        /* started: its execution event is in the heap */
	SIM_REQ_BLOCKED,     /* started: waiting on a waitq */
	SIM_REQ_STALLED,     /* started: held by timeout_ppm until its linked timeout */
	SIM_REQ_IDLE,        /* an armed multishot between events */
};

/*
 * The sim's request: the soft ring's request (backends/soft/soft.h), whose
 * first member is the SQE, then the model's state. The union lets the
 * world's code read the SQE as r->sqe.
 */
struct sim_req {
	union {
		struct aring__soft_req sr;    /* the soft ring's part */
		struct io_uring_sqe sqe;      /* sr.sqe */
	};
	uint64_t seq;                 /* sr.seq: submission number (traced instead of user_data) */
	struct sim *sim;              /* the node it runs on (a wake-up from another node finds it) */
	uint8_t opcode;
	uint8_t state;                /* enum sim_req_state */
	bool fail;                    /* the model asks for REQ_F_FAIL (short transfer) */
	bool started;                 /* executed once (faults are drawn once) */
	bool multishot;
	bool syn_answered;            /* connect across nodes: its round trip is done */
	bool polled;                  /* buffer select: waited or posted; look for data first */
	int32_t res;
	uint32_t cflags;
	struct sim_list wait;         /* a waitq while blocked */
	struct sim_file *file;        /* ref taken at start */
	struct sim_file *file2;       /* a second file (splice's input), ref held; NULL: none */
	uint64_t event_ns;            /* heap key */
	uint64_t tiebreak;
	uint32_t heap_idx;            /* SIM_NO_HEAP when not in the heap */
	/* op state */
	uint64_t done_bytes;          /* progress of a blocking write / MSG_WAITALL */
	uint64_t short_limit;         /* injected: move at most this many bytes (0 = none) */
	uint32_t poll_events;
	struct iovec *bvec;           /* a bundle's buffers (sim/net.c; freed with r) */
	uint16_t bnr;                 /* a send bundle holds bnr of them (0: none) */
	uint8_t bflags;               /* their SOFT_PEEK_* */
};

#define SIM_NO_HEAP UINT32_MAX

/* What an op's model did. */
enum sim_exec {
	SIM_DONE = 0,   /* r->res (and r->cflags) is the result */
	SIM_BLOCK,      /* r is on a waitq (aring__sim_wait) */
	SIM_MORE,       /* multishot: post r->res with IORING_CQE_F_MORE, r waits again */
	SIM_DONE_NOTIF, /* send_zc: post r->res with F_MORE, then a F_NOTIF CQE */
};

/* ---------------------------------------------------------------- the sim */

struct sim_stats_priv {
	uint64_t ops, cqes, overflows, timeouts_injected, cancels_injected,
		shorts_injected, errors_injected;
	uint64_t cancel_races, sq_full_injected, cq_pressure_injected;
};

/*
 * The simulated world: an executor of the soft ring (backends/soft/), which
 * owns the SQ, CQ and every io_uring rule. The core holds the soft ring's
 * backend; sim_of() finds the sim behind it.
 */
struct sim {
	struct aring__soft *ring;
	struct aring_sim_opts opts;
	uint64_t seed;
	uint64_t now_ns;
	struct sim_prng rng_sched, rng_timeout, rng_cancel, rng_short, rng_error, rng_net;
	struct sim_prng rng_shuffle, rng_ring, rng_scenario;
	struct aring__backend_ops be_ops; /* the soft ring's, with submit wrapped (ring faults) */
	int (*soft_submit)(struct aring__backend *be, unsigned wait_nr);
	uint32_t sq_stuck;            /* submissions still to refuse (sq_full_ppm) */
	void **shuffle_buf;           /* scratch for aring__sim_shuffle */
	uint32_t shuffle_cap;
	/* events */
	struct sim_req **heap;
	uint32_t heap_len, heap_cap;
	/* world */
	struct sim_file **fds;
	uint32_t fd_base;             /* the number of slot 3 (sim_fd_number) */
	uint32_t fds_cap;             /* grows by doubling up to SIM_MAX_FDS */
	struct sim_bits fd_used;      /* fds in use: the lowest free one in O(1) */
	struct sim_inode *root, *tmp;
	uint64_t next_ino;
	uint64_t fs_bytes;
	struct sim_dirent **dh;       /* dirents hashed by (dir, name) */
	uint64_t dh_mask, dh_count;
	struct sim_pipe *std_in, *std_out, *std_err; /* the sim's ends */
	struct sim_list socks;
	struct sim_port **ports[256]; /* port p: ports[p >> 8][p & 255]; a block on first bind in it */
	struct sim_bits port_used;    /* ports with a socket bound: ephemeral search */
	uint16_t next_port;
	/* world (sim/world.c): NULL for a lone loop, a world of its own */
	struct aring_sim_world *world;
	aring_loop *loop;
	uint32_t node;                /* index in the world; address 10.0.0.(node+1) */
	uint64_t park_deadline_ns;    /* the soft ring's next timer when it last parked */
	/* durability (sim/disk.c) */
	struct sim_list inodes;       /* every inode alive */
	struct sim_nsop *nsops, **nsops_tail; /* namespace changes not yet durable, oldest first */
	struct sim_prng rng_disk;     /* disk faults and crash outcomes */
	bool crashing;                /* aring_sim_crash: every request can be stopped */
	bool down;                    /* crashed and not restarted */
	bool disk_batch;              /* fs-wide durability work: inodes are freed after it */
	/* trace */
	uint64_t hash;
	bool trace;
	struct sim_stats_priv stats;
	char node_name[64];           /* in fault records (fault.c): "loop<n>" or the node's */
	uint32_t fault_ops[2][256];   /* fault.c: ops that reached [0] a stall draw, [1] the
	                                 cancel/error/short draws, per opcode (the identities) */
	struct sim_waitq futexq;      /* futex sleepers (sim/futex.c; made on first use) */
	struct sim_list ring_files;   /* SIM_F_RING files naming this sim (made on first use) */
	/* the kernel's profile (include/aring/sim.h) */
	bool as_epoll;                /* io_uring unavailable to an AUTO program, or a node
	                                 asked for epoll: the epoll backend's op set */
};

/* The profile lacks opcode op (missing_ops; never for a loop standing in for epoll). */
static inline bool sim_op_missing(const struct sim *s, unsigned op)
{
	return !s->as_epoll && op < 64 * ARING_SIM_OPS_WORDS &&
	       (s->opts.missing_ops[op / 64] >> (op % 64) & 1);
}

static inline struct sim *sim_of(struct aring__backend *be)
{
	return (struct sim *)aring__soft_executor(be);
}

/*
 * fd numbers: 0, 1, 2 are themselves; table slot i >= 3 is fd
 * s->fd_base + i - 3: ARING_SIM_FD_BASE, a number no real fd can have (the
 * kernel's fs.nr_open default is 1 << 20), so a real system call made on a
 * sim fd by mistake fails with EBADF instead of touching a real file; or
 * with ARING_SIM_LOW_FDS 3, as the kernel would.
 */
static inline int sim_fd_number(const struct sim *s, uint32_t i)
{
	return i < 3 ? (int)i : (int)(s->fd_base + i - 3);
}

/* The table slot of fd, or -1. */
static inline int64_t sim_fd_index(const struct sim *s, int fd)
{
	if (fd >= 0 && fd < 3)
		return fd;
	if (fd >= (int)s->fd_base && (uint64_t)fd - s->fd_base + 3 < SIM_MAX_FDS)
		return (int64_t)fd - s->fd_base + 3;
	return -1;
}

/* ---------------------------------------------------------------- sched.c */

void aring__sim_heap_push(struct sim *s, struct sim_req *r, uint64_t when_ns);
void aring__sim_heap_remove(struct sim *s, struct sim_req *r);
/* The earliest event, or NULL (inline: the world asks every node, often). */
static inline struct sim_req *aring__sim_heap_top(const struct sim *s)
{
	return s->heap_len ? s->heap[0] : NULL;
}
struct sim_req *aring__sim_heap_pop(struct sim *s);
/* Process every event due at or before now. */
void aring__sim_run_due(struct sim *s);
/* Advance to the next event and run it (and everything due then). false: no events. */
bool aring__sim_step(struct sim *s);
/* A latency drawn for an op of this opcode. */
uint64_t aring__sim_latency(struct sim *s);
struct aring__taskq;
/* The scheduling shuffle: maybe put a batch of ready tasks in a seed-chosen order. */
void aring__sim_shuffle(aring_loop *loop, struct aring__taskq *batch);

/* ---------------------------------------------------------------- ring.c */

/* The executor's table for the soft ring. */
extern const struct aring__soft_exec aring__sim_exec_ops;
/* An event of r is due. */
void aring__sim_event(struct sim *s, struct sim_req *r);
/* Run r's model (first time or after a wake-up). */
void aring__sim_exec(struct sim *s, struct sim_req *r);
/* Complete a started request (the soft ring does links, CQE, timeouts). */
void aring__sim_complete(struct sim *s, struct sim_req *r, int32_t res, uint32_t cflags);
/* Block r on wq until a wake-up. */
void aring__sim_wait(struct sim *s, struct sim_req *r, struct sim_waitq *wq);
/* Wake every request waiting on wq (they run again at the current instant). */
void aring__sim_wake(struct sim *s, struct sim_waitq *wq);
void aring__sim_waitq_init(struct sim_waitq *wq);
/* A started request by user_data with the given opcode (0: any). */
struct sim_req *aring__sim_find(struct sim *s, uint64_t user_data, int opcode);
/* Can r be stopped now (else it is "running": -EALREADY)? */
bool aring__sim_cancellable(struct sim_req *r);
/* Cancel r with res, as async cancel does. */
void aring__sim_cancel_req(struct sim *s, struct sim_req *r, int32_t res);

/* ---------------------------------------------------------------- ops.c */

/*
 * The sim's op table: how the model runs each op it models (the generic
 * facts, and ARING__OPF_SIM, are core/opdef.c's).
 */
struct sim_opdef {
	/* Submit-time checks of the model (kernel io_*_prep); NULL: none. */
	int (*prep)(struct sim *s, struct sim_req *r);
	/* Run the op; NULL: not modelled (-EOPNOTSUPP). */
	enum sim_exec (*exec)(struct sim *s, struct sim_req *r);
	uint8_t instant; /* runs at once when issued, with no latency */
};

/* The table, indexed by opcode: the union of each concern's part. */
extern const struct sim_opdef *const aring__sim_opdefs;
extern const struct sim_opdef aring__sim_fs_ops[ARING_OP_LAST];
extern const struct sim_opdef aring__sim_net_ops[ARING_OP_LAST];
extern const struct sim_opdef aring__sim_pipe_ops[ARING_OP_LAST];
extern const struct sim_opdef aring__sim_poll_ops[ARING_OP_LAST];
extern const struct sim_opdef aring__sim_futex_ops[ARING_OP_LAST];  /* futex.c */
extern const struct sim_opdef aring__sim_proc_ops[ARING_OP_LAST];   /* proc.c: waitid */
extern const struct sim_opdef aring__sim_cmd_ops[ARING_OP_LAST];    /* cmd.c: uring_cmd, recv_zc */
extern const struct sim_opdef aring__sim_splice_ops[ARING_OP_LAST]; /* splice.c: splice, tee */
extern const struct sim_opdef aring__sim_msgring_ops[ARING_OP_LAST]; /* msgring.c */
extern const struct sim_opdef aring__sim_epoll_ops[ARING_OP_LAST];  /* epoll.c */
/* msgring.c: a SIM_F_RING file's last ref; the sim going away (its ring files lose it). */
void aring__sim_ring_file_closed(struct sim_file *f);
void aring__sim_ring_files_drop(struct sim *s);
/* epoll.c: an epoll file's last ref; any file's last ref (its items go). */
void aring__sim_epoll_closed(struct sim *s, struct sim_file *f);
void aring__sim_epoll_forget(struct sim *s, struct sim_file *f);
/* epoll.c: the ready mask of an epoll file (EPOLLIN when an item is ready), its waitq. */
uint32_t aring__sim_epoll_mask(struct sim_file *f);
struct sim_waitq *aring__sim_epoll_waitq(struct sim_file *f);
/* epoll.c: the file an item (its sim_waitq.watch entry) watches was woken. */
void aring__sim_epoll_woken(struct sim *s, struct sim_list *watch_entry);
/* epoll.c: a new epoll file installed in s (flags: EPOLL_CLOEXEC): fd or -errno. */
int aring__sim_epoll_create(struct sim *s, int flags);
bool aring__sim_has_op(unsigned opcode);
bool aring__sim_opdefs_agree(void);

/* ---------------------------------------------------------------- fault.c */

/* At first execution: maybe end r with an injected result (true: r->res set). */
bool aring__sim_fault_inject(struct sim *s, struct sim_req *r);
/* At issue: should r (which has a linked timeout) stall until it fires? */
bool aring__sim_fault_stall(struct sim *s, struct sim_req *r);
/* Bytes r may move now (applies an injected short transfer to want). */
uint64_t aring__sim_fault_limit(struct sim *s, struct sim_req *r, uint64_t want);
/* ring faults (backend.c): does this cancel of r lose the race with its completion? */
bool aring__sim_fault_cancel_race(struct sim *s, struct sim_req *r);

/*
 * The one mechanism of every fault source: number a fault decision that was
 * drawn (a hit), record it, and say whether it takes effect (false: the run
 * suppresses it). The caller draws the same random numbers either way.
 */
bool aring__sim_fault_record(struct sim *s, unsigned kind, unsigned opcode, int64_t detail);
/* The same with a name (at most ARING_SIM_WHAT_MAX - 1 bytes kept) for the op's place. */
bool aring__sim_fault_record_what(struct sim *s, unsigned kind, unsigned opcode, int64_t detail,
				  const char *what);
/* Draw a hit with probability ppm from rng, then aring__sim_fault_record(). */
bool aring__sim_fault_decide(struct sim *s, struct sim_prng *rng, uint32_t ppm, unsigned kind,
			     unsigned opcode);
/* A loop is made / freed (its name; the filter from the environment; virtual time). */
void aring__sim_fault_loop_new(struct sim *s);
void aring__sim_fault_loop_end(struct sim *s);
/*
 * A run begins (swarm.c): numbering from 1, and the filter: from the
 * environment (from_env), else keep[0..nkeep-1] only, or keep NULL: all;
 * keep holds decision numbers, or with ids identity hashes
 * (aring__sim_fault_id_hash); log: record each decision that takes effect.
 */
void aring__sim_faults_begin(const uint64_t *keep, size_t nkeep, bool ids, bool from_env,
			     bool log);
/* The hash of f's identity (aring_sim_fault_id's text), as a keep list holds it. */
uint64_t aring__sim_fault_id_hash(const struct aring_sim_fault *f);
/* The decisions logged in this run. */
size_t aring__sim_faults_log(const struct aring_sim_fault **log);
/* Decisions numbered in this run (suppressed ones too). */
uint64_t aring__sim_faults_count(void);
/* Virtual time of this run's loops that ended. */
uint64_t aring__sim_faults_virtual_ns(void);

/* ---------------------------------------------------------------- files */

/* fs.c */
int aring__sim_fs_init(struct sim *s);
void aring__sim_fs_destroy(struct sim *s);
struct sim_file *aring__sim_file_new(struct sim *s, enum sim_ftype type, int flags);
void aring__sim_file_get(struct sim_file *f);
void aring__sim_file_put(struct sim *s, struct sim_file *f);
/* The file behind fd (no ref), or NULL. */
struct sim_file *aring__sim_fd_get(struct sim *s, int fd);
/* Can a new fd be installed (a free number, or the table can grow)? */
bool aring__sim_fd_available(struct sim *s);
/* Install f at the lowest free fd (takes over the caller's ref): fd, -EMFILE or -ENOMEM. */
int aring__sim_fd_install(struct sim *s, struct sim_file *f);
/* Take fd out of the table and return its file (the table's ref is the caller's), or NULL. */
struct sim_file *aring__sim_fd_remove(struct sim *s, int fd);
/* Bytes from an iovec array or a plain buffer (for read/write families). */
struct sim_iov {
	const struct iovec *iov;
	unsigned nr;
	uint64_t len;                  /* total, capped at MAX_RW_COUNT as the kernel does */
	struct iovec one;
};
/* kernel lib/iov_iter.c import_ubuf(): -EFAULT if the range fails access_ok(). */
int aring__sim_iov_ubuf(struct sim_iov *v, uint64_t addr, uint64_t len);
/*
 * kernel lib/iov_iter.c __import_iovec(): nr > UIO_MAXIOV -EINVAL, an array
 * the sim cannot read -EFAULT, a negative length -EINVAL, a segment failing
 * access_ok() -EFAULT.
 */
int aring__sim_iov_import(struct sim_iov *v, const struct iovec *iov, uint64_t nr);
int aring__sim_iov_from_req(struct sim_req *r, struct sim_iov *v, bool vectored);
uint64_t aring__sim_iov_len(const struct sim_iov *v);
/* Copy n bytes at byte offset off of the iovec: 0, or -EFAULT (nothing copied). */
int aring__sim_iov_copy_in(const struct sim_iov *v, uint64_t off, const void *src, uint64_t n);
int aring__sim_iov_copy_out(const struct sim_iov *v, uint64_t off, void *dst, uint64_t n);

enum sim_exec aring__sim_op_rw(struct sim *s, struct sim_req *r);  /* read/write/v/fixed */
/* One transfer of a model into v (n bytes at most): SIM_DONE with r->res, or SIM_BLOCK. */
typedef enum sim_exec (*sim_xfer_fn)(struct sim *s, struct sim_req *r, const struct sim_iov *v,
				     uint64_t n, void *arg);
/* IOSQE_BUFFER_SELECT: xfer on a provided buffer (fs.c; backends/soft/kbuf.c). */
enum sim_exec aring__sim_bufsel(struct sim *s, struct sim_req *r, uint32_t len, bool keep0,
				sim_xfer_fn xfer, void *arg);
/* Submit-time checks of read/write/readv/writev: the buffer or iovec import. */
int aring__sim_prep_rw(struct sim *s, struct sim_req *r);
enum sim_exec aring__sim_op_fsync(struct sim *s, struct sim_req *r);
enum sim_exec aring__sim_op_sync_file_range(struct sim *s, struct sim_req *r);
enum sim_exec aring__sim_op_fallocate(struct sim *s, struct sim_req *r);
enum sim_exec aring__sim_op_fadvise(struct sim *s, struct sim_req *r);
enum sim_exec aring__sim_op_madvise(struct sim *s, struct sim_req *r);
enum sim_exec aring__sim_op_ftruncate(struct sim *s, struct sim_req *r);
enum sim_exec aring__sim_op_openat(struct sim *s, struct sim_req *r);
enum sim_exec aring__sim_op_close(struct sim *s, struct sim_req *r);
enum sim_exec aring__sim_op_statx(struct sim *s, struct sim_req *r);
enum sim_exec aring__sim_op_renameat(struct sim *s, struct sim_req *r);
enum sim_exec aring__sim_op_unlinkat(struct sim *s, struct sim_req *r);
enum sim_exec aring__sim_op_mkdirat(struct sim *s, struct sim_req *r);
enum sim_exec aring__sim_op_symlinkat(struct sim *s, struct sim_req *r);
enum sim_exec aring__sim_op_linkat(struct sim *s, struct sim_req *r);

/* The inode path names from the cwd (filename_lookup): 0 or -errno. */
int aring__sim_path_inode(struct sim *s, uint64_t path, bool follow, struct sim_inode **out);

/* xattr.c: extended attributes of sim inodes */
struct sim_xattr;
extern const struct sim_opdef aring__sim_xattr_ops[ARING_OP_LAST];
void aring__sim_xattr_free(struct sim_inode *i);

int aring__sim_readdir(struct sim *s, int dfd, const char *path, aring_sim_dirent_fn fn,
		       void *arg);

/* Regular file I/O used by rw. */
int64_t aring__sim_reg_read(struct sim *s, struct sim_file *f, const struct sim_iov *v,
			    uint64_t n, uint64_t off);
int64_t aring__sim_reg_write(struct sim *s, struct sim_file *f, const struct sim_iov *v,
			     uint64_t n, uint64_t off);

/* disk.c: durability, crashes, disk faults */
struct sim_rec;
struct sim_nsop;
/* fs.c made the tree (/ and /tmp): it is durable. */
void aring__sim_disk_init(struct sim *s);
/* Free every durability record (before the inodes go). */
void aring__sim_disk_destroy(struct sim *s);
/* Free i's durable image, records and bad sectors. */
void aring__sim_disk_inode_free(struct sim *s, struct sim_inode *i);
/* fs.c: free i if nothing (name, fd, child, durable reference) refers to it any more. */
void aring__sim_inode_maybe_free(struct sim *s, struct sim_inode *i);
/* Unsynced changes of a regular file, after the live file changed. */
int aring__sim_disk_note_write(struct sim *s, struct sim_inode *i, uint64_t off, uint64_t len);
int aring__sim_disk_note_zero(struct sim *s, struct sim_inode *i, uint64_t off, uint64_t len);
int aring__sim_disk_note_size(struct sim *s, struct sim_inode *i, uint64_t size);
/*
 * An unsynced namespace change: name in dir now names inode (NULL: removed);
 * with dir2, a second change made atomically with the first (rename,
 * exchange). expect (may be NULL): the change applies at a crash only if the
 * name then durably names it (a rename's source).
 */
int aring__sim_disk_note_ns(struct sim *s, struct sim_inode *dir, const char *name,
			    struct sim_inode *inode, struct sim_inode *expect,
			    struct sim_inode *dir2, const char *name2, struct sim_inode *inode2,
			    struct sim_inode *expect2);
/* fsync/fdatasync of i: 0, or -EIO (injected; the unsynced data is gone). */
int aring__sim_disk_fsync(struct sim *s, struct sim_inode *i);
/* sync_file_range(SYNC_FILE_RANGE_WRITE|WAIT_AFTER) of [off, off+len) (len 0: to the end). */
int aring__sim_disk_sync_range(struct sim *s, struct sim_inode *i, uint64_t off, uint64_t len);
/* A read of [off, off+n): bytes readable before a bad sector (n: none), drawing read faults. */
uint64_t aring__sim_disk_read_ok(struct sim *s, struct sim_inode *i, uint64_t off, uint64_t n);
/* A write or fallocate may go ahead (0) or fails with an injected -ENOSPC. */
int aring__sim_disk_nospace(struct sim *s, struct sim_req *r);
/* The disk's capacity in bytes (disk_size_bytes or SIM_MAX_FS_BYTES). */
uint64_t aring__sim_disk_capacity(const struct sim *s);
/* The crash: what each file and directory keeps (fds are already closed). */
void aring__sim_disk_crash(struct sim *s);
/* A disk fault drawn with ppm, through aring__sim_fault_record(): true if it takes effect. */
enum sim_disk_fault { SIM_DISK_READ_EIO = 1, SIM_DISK_FSYNC_EIO, SIM_DISK_NOSPC };
bool aring__sim_disk_fault(struct sim *s, enum sim_disk_fault kind, uint32_t ppm, unsigned opcode);
/* The durable tree := the live one (at start, after a crash). */
void aring__sim_disk_durable_from_live(struct sim *s);
/* fs.c: the live tree := the durable one; what is unreachable is freed. */
void aring__sim_fs_rebuild(struct sim *s);

/* pipe.c */
int aring__sim_stdio_init(struct sim *s);
/* Close the sim's ends of fds 0, 1, 2 (teardown, a crash). */
void aring__sim_stdio_close(struct sim *s);
struct sim_pipe *aring__sim_pipe_new(uint32_t cap);
void aring__sim_pipe_end_closed(struct sim *s, struct sim_pipe *p, bool reader);
/* Read/write up to n bytes; SIM_BLOCK / SIM_DONE with r->res. */
enum sim_exec aring__sim_pipe_read(struct sim *s, struct sim_req *r, struct sim_file *f,
				   const struct sim_iov *v, uint64_t n);
enum sim_exec aring__sim_pipe_write(struct sim *s, struct sim_req *r, struct sim_file *f,
				    const struct sim_iov *v, uint64_t n);
int64_t aring__sim_pipe_put(struct sim_pipe *p, const void *src, uint32_t n);
/*
 * Splice: n bytes (at most a page) as a buffer of their own; a buffer must
 * be free and the pipe's memory made (aring__sim_pipe_alloc: 0 or -ENOMEM;
 * the stdio pipes make theirs at their first write).
 */
void aring__sim_pipe_put_buf(struct sim_pipe *p, const void *src, uint32_t n);
int aring__sim_pipe_alloc(struct sim_pipe *p);
/* Take (or with peek, copy) up to n bytes; dst NULL drops them. */
uint32_t aring__sim_pipe_get(struct sim_pipe *p, void *dst, uint32_t n, bool peek);
enum sim_exec aring__sim_op_pipe(struct sim *s, struct sim_req *r);

/* net.c */
int aring__sim_net_init(struct sim *s);
/* After aring__sim_fs_destroy (which closes every fd). */
void aring__sim_net_destroy(struct sim *s);
void aring__sim_sock_closed(struct sim *s, struct sim_sock *k);
enum sim_exec aring__sim_sock_recv(struct sim *s, struct sim_req *r, struct sim_file *f,
				   const struct sim_iov *v, uint64_t n, unsigned flags);
enum sim_exec aring__sim_sock_send(struct sim *s, struct sim_req *r, struct sim_file *f,
				   const struct sim_iov *v, uint64_t n, unsigned flags);
enum sim_exec aring__sim_op_socket(struct sim *s, struct sim_req *r);
enum sim_exec aring__sim_op_bind(struct sim *s, struct sim_req *r);
enum sim_exec aring__sim_op_listen(struct sim *s, struct sim_req *r);
enum sim_exec aring__sim_op_accept(struct sim *s, struct sim_req *r);
enum sim_exec aring__sim_op_connect(struct sim *s, struct sim_req *r);
enum sim_exec aring__sim_op_sendrecv(struct sim *s, struct sim_req *r);
enum sim_exec aring__sim_op_msg(struct sim *s, struct sim_req *r);
/* Submit-time checks of a multishot recv/recvmsg (provided buffers, no MSG_WAITALL). */
int aring__sim_prep_recv(struct sim *s, struct sim_req *r);
/* Submit-time checks of sendmsg/recvmsg: the msghdr and its iovec. */
int aring__sim_prep_msg(struct sim *s, struct sim_req *r);
enum sim_exec aring__sim_op_shutdown(struct sim *s, struct sim_req *r);
int aring__sim_getsockname(struct sim *s, int fd, struct sockaddr *addr, socklen_t *addrlen,
			   bool peer);

/* poll.c */
/* Ready mask (POLLIN, POLLOUT, POLLHUP, POLLERR, POLLRDHUP) of a file. */
uint32_t aring__sim_poll_mask(struct sim_file *f);
/* The waitq a request on f waits on. */
struct sim_waitq *aring__sim_file_waitq(struct sim_file *f);
int aring__sim_prep_poll_add(struct sim *s, struct sim_req *r);
int aring__sim_prep_poll_remove(struct sim *s, struct sim_req *r);
enum sim_exec aring__sim_op_poll_add(struct sim *s, struct sim_req *r);
enum sim_exec aring__sim_op_poll_remove(struct sim *s, struct sim_req *r);

/* ---------------------------------------------------------------- api.c */

/* backend.c: ARING_SIM_SEED (decimal or 0x hex), else 1. */
uint64_t aring__sim_seed_from_env(void);
/* The sim of a sim loop (a node), or NULL (NULL, not a sim loop). */
struct sim *aring__sim_from_loop(aring_loop *loop);
/* backend.c: a node's program asked for this backend: 0, or the profile's uring_errno. */
int aring__sim_set_asked(struct sim *s, enum aring_backend asked);
/* ring.c: the wrappers' fallback system call (backend sync_op), on the model. */
int aring__sim_sync_op(struct aring__backend *be, const struct io_uring_sqe *sqe);
/* Validate struct aring_sim_opts (ppm <= 1e6, latency range): 0 or -EINVAL. */
int aring__sim_opts_check(const struct aring_sim_opts *o);

/* ---------------------------------------------------------------- world.c */

/*
 * The executor's wait() on a node of a world: run what is due now (1);
 * 0 if deadline_ns is now; otherwise park (-EDEADLK: aring_run returns, and
 * the world moves the clock, then runs the node again).
 */
int aring__sim_world_wait(struct sim *s, uint64_t deadline_ns);
/* The sim of node i of s's world, or NULL. */
struct sim *aring__sim_world_node(struct sim *s, uint32_t i);
/* Node address, host order. */
static inline uint32_t sim_node_ip(uint32_t node)
{
	return (10u << 24) | (node + 1u);
}

/* ---------------------------------------------------------------- netsim.c */

struct sim_net;
int aring__sim_net_world_new(struct sim_net **out, uint64_t seed);
void aring__sim_net_world_free(struct sim_net *n);
/* Apply the net_* fields of opts. */
void aring__sim_net_set(struct sim_net *n, const struct aring_sim_opts *o);
/* Queue len bytes just put at the tail of p's rx, sent from node `from`. */
int aring__sim_net_send(struct sim_net *n, struct sim *from, struct sim_sock *p, uint32_t len);
/* Forget p's segments (a reset, a close, teardown). */
void aring__sim_net_forget(struct sim_sock *p);
/* A round trip between nodes a and b (the two link latencies). */
uint64_t aring__sim_net_rtt(struct sim_net *n, uint32_t a, uint32_t b);
/* Is the link from node a to node b cut? */
bool aring__sim_net_cut(struct sim_net *n, uint32_t a, uint32_t b);
int aring__sim_net_partition(struct sim_net *n, uint32_t a, uint32_t b, unsigned flags);
void aring__sim_net_heal(struct sim_net *n, uint32_t a, uint32_t b);
/* The next instant something of the network happens, or UINT64_MAX. */
uint64_t aring__sim_net_next(struct sim_net *n, uint64_t now_ns);
/* Deliver (or hold, clog, reset, time out) what is due at now: true if anything changed. */
bool aring__sim_net_run_due(struct sim_net *n, uint64_t now_ns);
/* The world's network of s (NULL for a lone loop). */
struct sim_net *aring__sim_world_net(struct sim *s);

/* net.c: end a connection's end k with err (ECONNRESET, ETIMEDOUT): its peer link is cut. */
void aring__sim_sock_abort(struct sim_sock *k, int err);

/* ---------------------------------------------------------------- trace.c */

void aring__sim_trace_init(struct sim *s);
void aring__sim_trace_sqe(struct sim *s, const struct sim_req *r);
void aring__sim_trace_cqe(struct sim *s, const struct sim_req *r, int32_t res, uint32_t flags);
void aring__sim_trace_note(struct sim *s, const char *what, uint64_t a, uint64_t b);

#endif /* ARING_SIM_SIM_H */
