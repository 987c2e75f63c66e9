/* SPDX-License-Identifier: MIT */
/*
 * The soft ring: io_uring's generic layer in user space.
 *
 * What the kernel's io_uring/io_uring.c, timeout.c and cancel.c do between
 * the SQ and the CQ is done here, for any world: SQ and CQ (with the
 * overflow list of IORING_FEAT_NODROP), submit-time checks from the op table
 * (core/opdef.c), SQ-order inline issue, links and hard links, drain, CQE
 * skip, linked timeouts, timeouts with counts, timeout remove/update, async
 * cancel and NOP. The soft ring never touches a file: every other request
 * goes to an EXECUTOR through struct aring__soft_exec, which completes it
 * (at once or later) with aring__soft_complete(), and whose clock the soft
 * ring reads for timeouts.
 *
 * Files:
 *   soft.h     this interface
 *   ring.c     SQ, CQ, submit, issue, links, drain, completion batches and
 *              task work, the backend ops table
 *   timeout.c  timers (a binary heap by deadline), count timeouts (a heap
 *              by target sequence), linked timeouts, TIMEOUT_REMOVE/UPDATE
 *   cancel.c   requests in flight by user_data (a hash), ASYNC_CANCEL, NOP
 *   rsrc.c     registered files and buffers (kernel rsrc.c, filetable.c):
 *              io_uring_register(2) for them, IOSQE_FIXED_FILE, direct
 *              descriptors, FILES_UPDATE, FIXED_FD_INSTALL
 *
 * Two executors fit this interface:
 *   - sim/ (virtual time, an in-memory world): start() runs the model or
 *     schedules it after a seeded latency; wait() advances virtual time to
 *     the next event or to the soft ring's next timer, whichever is first.
 *   - an epoll executor (real system calls): start() tries the call
 *     non-blocking and, on EAGAIN, registers the fd with epoll (sockets,
 *     pipes) or queues the call on a worker pool (regular files); stop()
 *     removes a request from epoll or from the pool's queue, and answers
 *     -EALREADY once a worker runs it (as io-wq does); now_ns() is
 *     CLOCK_MONOTONIC; wait() blocks in epoll_wait() until an fd is ready, a
 *     worker finished (an eventfd), or the deadline (the next timer) passed.
 *     Completions found by wait() are handed to aring__soft_complete() from
 *     the loop's thread, never from a worker.
 *
 * Stack: the backend's submit runs on a 256 KiB stack of the soft ring's own
 * (ring.c soft_submit()), whoever calls it (the core submits from a task's
 * small stack when it makes room in a full SQ), and so do every executor
 * call and every completion it makes from there.
 *
 * Cost: nothing here walks every request in flight or every timer per
 * operation. Timers and count timeouts are heaps (O(log n)); requests in
 * flight are hashed by user_data and by file (O(1) cancel by user_data or
 * CANCEL_FD); only CANCEL_OP, and CANCEL_ANY with ALL, walk every request
 * in flight.
 */
#ifndef ARING_BACKENDS_SOFT_SOFT_H
#define ARING_BACKENDS_SOFT_SOFT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/backend.h"
#include "core/opdef.h"

struct aring__soft;

/* ---------------------------------------------------------------- requests */

enum aring__soft_state {
	SOFT_FREE = 0,
	SOFT_LINKED,    /* waiting for its link predecessor (or for the chain's end) */
	SOFT_DEFERRED,  /* a chain head held by a drain */
	SOFT_QUEUED,    /* in the task-work queue */
	SOFT_STARTED,   /* with the executor */
	SOFT_TIMER,     /* a timeout or linked timeout armed in the soft ring */
	SOFT_DONE,      /* completed; its CQE waits for the batch's flush */
};

/* Request flags (the kernel's REQ_F_* this layer needs). */
enum {
	SOFT_F_LINK = 1u << 0,           /* IOSQE_IO_LINK */
	SOFT_F_HARDLINK = 1u << 1,       /* IOSQE_IO_HARDLINK */
	SOFT_F_FAIL = 1u << 2,           /* REQ_F_FAIL: breaks a (soft) link */
	SOFT_F_CQE_SKIP = 1u << 3,       /* post no CQE */
	SOFT_F_SKIP_LINK_CQES = 1u << 4, /* failed with CQE_SKIP_SUCCESS: links post none */
	SOFT_F_DRAIN = 1u << 5,          /* REQ_F_IO_DRAIN on a chain head */
	SOFT_F_ARM_LTIMEOUT = 1u << 6,   /* followed by a linked timeout not yet armed */
	SOFT_F_LTIMEOUT = 1u << 7,       /* its linked timeout is armed */
	SOFT_F_TIMEOUT_SEQ = 1u << 8,    /* a count timeout in the count heap */
	SOFT_F_HASHED = 1u << 9,         /* in the user_data hash */
	SOFT_F_INIT_FAILED = 1u << 10,   /* failed its submit-time checks */
	SOFT_F_FORCE_ASYNC = 1u << 11,   /* IOSQE_ASYNC or held by a drain */
	SOFT_F_FILE_HASHED = 1u << 12,   /* in the hash by file */
};

/* Work a request waits for in the task-work queue (kernel io_req_task_work_add). */
enum aring__soft_tw {
	SOFT_TW_ISSUE = 1,   /* issue it (next link, released by a drain) */
	SOFT_TW_COMPLETE,    /* complete it with tw_res (io_req_queue_tw_complete) */
	SOFT_TW_FAIL,        /* fail it with tw_res (io_req_task_queue_fail) */
	SOFT_TW_LTIMEOUT,    /* a linked timeout fired: cancel its request */
	SOFT_TW_TIMEOUT,     /* a timeout fired: post, re-arm or complete it */
};

/*
 * One request. The executor's request struct begins with it (the soft ring
 * allocates exec->req_size bytes), and its first member is the SQE, copied
 * at submit: the SQ slot is reused at once.
 */
struct aring__soft_req {
	struct io_uring_sqe sqe;
	uint64_t seq;                   /* submission number, from 1 */
	uint8_t opcode;
	uint8_t state;                  /* enum aring__soft_state */
	uint8_t tw;                     /* enum aring__soft_tw while SOFT_QUEUED */
	uint16_t flags;                 /* SOFT_F_* */
	int32_t res;                    /* result (CQE res) */
	uint32_t cflags;                /* CQE flags */
	int32_t tw_res;
	struct aring__soft_req *link;   /* next in its chain */
	struct aring__soft_req *next;   /* batch, task-work, defer or free list */
	/* In flight (with the executor, or an armed timeout): user_data hash and list. */
	struct aring__soft_req *hnext, *hprev;
	uint64_t hkey;                  /* the user_data it is hashed under */
	struct aring__soft_req *fhnext, *fhprev; /* by file (CANCEL_FD), once started */
	uint64_t fkey;                  /* the file it is hashed under */
	struct aring__soft_req *fnext, *fprev;
	/* Timeouts (timeout.c). */
	struct aring__soft_req *lt_head; /* linked timeout: the request it guards */
	uint64_t ts_ns;                 /* the timespec, in ns */
	uint64_t deadline_ns;
	uint64_t target_seq;            /* count timeout: fires when the CQ sequence reaches it */
	uint32_t tflags;                /* timeout_flags */
	uint32_t repeats;               /* multishot: shots left (0: forever) */
	uint32_t heap_idx, cnt_idx;     /* positions in the heaps, SOFT_NO_HEAP if none */
	const void *file;               /* the executor's file identity (CANCEL_FD) */
	uint64_t cancel_seq;            /* last cancel that matched it */
	void *fixed;                    /* IOSQE_FIXED_FILE: the table's file (rsrc.c), set at
	                                   issue before start(); the executor takes its own ref */
	/* The provided buffer it selected (kbuf.c), while kbuf != 0. */
	void *kbuf_list;                /* legacy: the buffer; ring: its list */
	uint16_t bid;
	uint8_t kbuf;                   /* SOFT_KBUF_* */
	bool kbuf_commit;               /* ring: commit at put (kernel REQ_F_BUFFERS_COMMIT) */
	bool kbuf_more;                 /* committed at select, and the buffer has room left */
};

enum { SOFT_KBUF_LEGACY = 1, SOFT_KBUF_RING = 2 };

#define SOFT_NO_HEAP UINT32_MAX

/*
 * User memory the soft ring may read (a timespec), as the kernel sees it on
 * x86-64: nothing is mapped below vm.mmap_min_addr (64 KiB), and access_ok()
 * refuses a range past the user address limit; else -EFAULT.
 */
static inline bool aring__soft_user_ok(uint64_t addr, uint64_t len)
{
	return addr >= 0x10000ull && len <= 0x7ffffffff000ull && addr <= 0x7ffffffff000ull - len;
}

/* ---------------------------------------------------------------- executor */

struct aring__soft_exec {
	/* Size of the executor's request struct, which begins with struct aring__soft_req. */
	size_t req_size;
	/*
	 * Optional submit-time checks the executor adds to the op table's
	 * (kernel io_*_prep of ops it models); may set its own fields of req.
	 * 0 or -errno: the request fails, and its chain with it.
	 */
	int (*prep)(void *ex, struct aring__soft_req *req);
	/*
	 * Issue req (kernel io_issue_sqe), in SQ order. The executor completes
	 * it with aring__soft_complete(), inside start() (an inline completion,
	 * posted with the submit batch) or later from wait(); it may post
	 * several CQEs (IORING_CQE_F_MORE in all but the last). It owns req's
	 * file: -EBADF for an fd that names none (kernel io_assign_file()).
	 */
	void (*start)(void *ex, struct aring__soft_req *req);
	/*
	 * Stop a started request that has not completed (async cancel, a
	 * linked timeout firing, teardown). Checking and stopping are one call,
	 * so that a worker pool can decide under its lock: 0 = stopped (the
	 * executor forgets req and never completes it; the soft ring posts its
	 * result), -EALREADY = running, it will complete on its own (io-wq's
	 * IO_WQ_CANCEL_RUNNING).
	 */
	int (*stop)(void *ex, struct aring__soft_req *req);
	/* Release a started request at teardown (no CQE any more). An executor
	 * whose worker runs it waits for the worker before returning. */
	void (*drop)(void *ex, struct aring__soft_req *req);
	/*
	 * The open file behind fd as an identity (CANCEL_FD matches the file,
	 * not the number: kernel cancel.c io_cancel_req_match()), or NULL. The
	 * executor sets req->file to the same identity in start(). (sim: its
	 * struct sim_file; epoll: fds that kcmp(KCMP_FILE) finds equal share one.)
	 */
	const void *(*file_of_fd)(void *ex, int fd);
	/* The clock: monotonic ns (virtual on the sim). */
	uint64_t (*now_ns)(void *ex);
	/*
	 * Let time pass until the executor completed something or the clock
	 * reached deadline_ns (UINT64_MAX: no deadline), whichever is first.
	 * Returns 0, -EINTR, or -EDEADLK when there is no deadline and nothing
	 * can ever complete.
	 */
	int (*wait)(void *ex, uint64_t deadline_ns);
	/* wait() returns 1 if it ran something, 0 if the clock reached deadline_ns first. */
	/* Can the executor run this opcode (backend has_op)? */
	bool (*has_op)(void *ex, unsigned opcode);
	/*
	 * Optional: does the kernel being modelled know this opcode at all?
	 * false: the SQE fails -EINVAL as one at or past IORING_OP_LAST (an
	 * older kernel: io_init_req()). NULL: every opcode below ARING_OP_LAST.
	 */
	bool (*opcode_known)(void *ex, unsigned opcode);
	/* Optional observers: an SQE accepted, a CQE posted (traces, stats). */
	void (*on_sqe)(void *ex, const struct aring__soft_req *req);
	void (*on_cqe)(void *ex, const struct aring__soft_req *req, int32_t res, uint32_t cflags);
	/* Free the executor; called last by aring__soft_free(). */
	void (*destroy)(void *ex);
	/*
	 * Registered files (rsrc.c: the fixed file table holds executor file
	 * references, opaque to the soft ring). NULL: the executor has none, and
	 * registering files answers -EOPNOTSUPP.
	 *   file_ref      a reference to the open file behind fd (kernel fget()):
	 *                 0 and *file, or -EBADF (-errno);
	 *   file_unref    drop one (fput(): a slot emptied, replaced, unregistered);
	 *   file_install  a new fd for a table file (kernel receive_fd():
	 *                 IORING_OP_FIXED_FD_INSTALL): the fd or -errno (-EMFILE);
	 *   file_of_ref   its identity as file_of_fd() gives it (CANCEL_FD_FIXED);
	 *                 NULL: the reference is the identity.
	 */
	int (*file_ref)(void *ex, int fd, void **file);
	void (*file_unref)(void *ex, void *file);
	int (*file_install)(void *ex, void *file, bool cloexec);
	const void *(*file_of_ref)(void *ex, void *file);
};

/* ---------------------------------------------------------------- the ring */

struct aring__soft_stats {
	uint64_t sqes, cqes, overflows;
};

/*
 * A soft ring of `entries` SQ entries (rounded up to a power of two, as the
 * kernel does) and twice as many CQ entries, on executor ex. The soft ring
 * begins with struct aring__backend: the core uses it through its ops table.
 * Returns 0, -EINVAL (entries 0 or above ARING_MAX_ENTRIES), -ENOMEM.
 */
int aring__soft_new(unsigned entries, const struct aring__soft_exec *exec, void *ex,
		    const char *name, struct aring__soft **out);
/* Release the ring (every request in flight is dropped without a CQE), then the executor. */
void aring__soft_free(struct aring__soft *ring);
struct aring__backend *aring__soft_backend(struct aring__soft *ring);
/* The executor behind a soft ring's backend. */
void *aring__soft_executor(struct aring__backend *be);
/*
 * From now on the CQ takes at most n CQEs (0 or >= its size: all of it);
 * the rest wait in the overflow list, as in a ring set up with a CQ of n
 * entries (the sim's CQ overflow pressure). Nothing posted is lost.
 */
void aring__soft_set_cq_limit(struct aring__soft *ring, unsigned n);

/*
 * Complete a started request with res and CQE flags. With IORING_CQE_F_MORE
 * the CQE is posted and req stays started (multishot, the first CQE of a
 * zero-copy send); otherwise req is done: its CQE joins the current batch
 * and its chain goes on (or fails, if req failed).
 */
void aring__soft_complete(struct aring__soft *ring, struct aring__soft_req *req, int32_t res,
			  uint32_t cflags);
/*
 * Post a CQE no request of this ring made (a MSG_RING from another ring:
 * kernel io_uring/msg_ring.c io_msg_ring_data() -> io_post_aux_cqe()).
 */
void aring__soft_post_aux(struct aring__soft *ring, uint64_t user_data, int32_t res,
			  uint32_t cflags);
/*
 * Mark req failed (kernel req_set_fail()): its link chain breaks. The ring
 * does so itself for a negative result, except for an ARING__OPF_KEEPLINK
 * op; call it for what else the kernel fails: a short transfer
 * (res >= 0), or a KEEPLINK op's error that the kernel's core sees (a bad
 * fd: io_assign_file(); a check its prep makes). Before aring__soft_complete().
 */
void aring__soft_req_set_fail(struct aring__soft_req *req);
/*
 * A request in flight (started or an armed timeout) with this user_data and
 * opcode (opcode < 0: any), oldest first; NULL if none. O(1).
 */
struct aring__soft_req *aring__soft_find(struct aring__soft *ring, uint64_t user_data,
					 int opcode);
/*
 * req's user_data changed (a poll update with IORING_POLL_UPDATE_USER_DATA):
 * file it under the new one, as the kernel's re-arm does.
 */
void aring__soft_rekey(struct aring__soft *ring, struct aring__soft_req *req);
/* Cancel a started request as async cancel does: 0 or -EALREADY. */
int aring__soft_cancel_req(struct aring__soft *ring, struct aring__soft_req *req, int32_t res);
/*
 * Cancel every request in flight that can be stopped, as the kernel's ring
 * exit does (io_uring_try_cancel_requests()): armed timeouts, and started
 * requests the executor can stop. Returns how many.
 */
unsigned aring__soft_cancel_all(struct aring__soft *ring);
/* ---------------------------------------------------------------- provided buffers */
/*
 * kbuf.c, the kernel's io_uring/kbuf.c. For a request with
 * IOSQE_BUFFER_SELECT an executor calls, in one step of its model:
 *   aring__soft_buffer_select()  pick a buffer of group sqe.buf_group
 *                                (kernel io_buffer_select()): 0 with *addr
 *                                and *len (in: the most the op asks, 0 =
 *                                the buffer's length), or -ENOBUFS; can_poll:
 *                                the file can be polled (else a ring
 *                                buffer is taken at once, io_should_commit());
 *   aring__soft_put_kbuf()       the transfer kept it, having moved len bytes
 *                                (io_put_kbuf()): the CQE flags to post
 *                                (IORING_CQE_F_BUFFER, the bid, BUF_MORE);
 *   aring__soft_kbuf_recycle()   it was not used (io_kbuf_recycle()): an
 *                                error, no data yet, a recv at EOF.
 */
int aring__soft_buffer_select(struct aring__soft *ring, struct aring__soft_req *req, bool can_poll,
			      uint64_t *addr, uint32_t *len);
/*
 * A send's buffer (kernel io_send_select_buffer() -> io_buffers_select(),
 * one buffer): -ENOENT without the group, -ENOBUFS without a buffer (or a
 * ring's head entry of length 0); a ring's buffer is capped by *len (0: no
 * cap) and taken at once; a legacy one is whole (*len ignored).
 */
int aring__soft_send_buffer_select(struct aring__soft *ring, struct aring__soft_req *req,
				   uint64_t *addr, uint32_t *len);
uint32_t aring__soft_put_kbuf(struct aring__soft *ring, struct aring__soft_req *req, int len);
/*
 * Bundles (IORING_RECVSEND_BUNDLE, Linux 6.10): aring__soft_buffers_peek()
 * maps up to SOFT_PEEK_MAX buffers into iov (kbuf.c says how; select: a
 * send's, taken at once), returns how many or -ENOENT / -ENOBUFS, and sets
 * SOFT_PEEK_* in *flags; aring__soft_put_kbufs() is aring__soft_put_kbuf()
 * for nbufs of them.
 */
#define SOFT_PEEK_MAX 256u
#define SOFT_PEEK_PARTIAL 1u  /* an entry longer than what was left was cut or left out */
#define SOFT_PEEK_EMPTY   2u  /* every entry there was is mapped (REQ_F_BL_EMPTY) */
int aring__soft_buffers_peek(struct aring__soft *ring, struct aring__soft_req *req, uint32_t max_len,
			     bool select, struct iovec *iov, unsigned *flags);
uint32_t aring__soft_put_kbufs(struct aring__soft *ring, struct aring__soft_req *req, int len,
			       unsigned nbufs);
void aring__soft_kbuf_recycle(struct aring__soft *ring, struct aring__soft_req *req);
/*
 * IORING_REGISTER_PBUF_RING / IORING_UNREGISTER_PBUF_RING on a soft ring's
 * backend (kernel io_register_pbuf_ring(), io_unregister_pbuf_ring()); the
 * soft ring reads the ring in place. The kernel's reg.flags
 * (ARING_IOU_PBUF_RING_INC) is read with aring__buf_reg_flags(). 0 or
 * -errno: -EINVAL, -EFAULT, -EEXIST, -ENOENT, -ENOMEM, as the kernel.
 */
int aring__soft_register_pbuf_ring(struct aring__backend *be, const struct io_uring_buf_reg *reg);
int aring__soft_unregister_pbuf_ring(struct aring__backend *be, const struct io_uring_buf_reg *reg);

/* Requests accepted and not yet freed. */
uint64_t aring__soft_live(const struct aring__soft *ring);

/* ---------------------------------------------------------------- registered resources (rsrc.c) */

/*
 * Put file (a reference from the executor, taken over) in the fixed file
 * table, as an op with sqe->file_index does (kernel filetable.c
 * io_fixed_fd_install()): file_index is slot + 1, or IORING_FILE_INDEX_ALLOC
 * for a free slot of the allocation range. Returns 0 (a given slot), the
 * slot allocated, or -errno with the reference dropped: -ENXIO (no table),
 * -EINVAL (slot out of range), -ENFILE (no free slot, or no table, on alloc).
 */
int aring__soft_fixed_install(struct aring__soft *ring, void *file, unsigned file_index);
/*
 * A pipe's two ends as direct descriptors (kernel pipe.c io_pipe_fixed()):
 * slots[] gets their slots. Takes over both references. 0, or
 * aring__soft_fixed_install()'s errors, -EINVAL with cloexec.
 */
int aring__soft_fixed_install_pair(struct aring__soft *ring, void *rd, void *wr,
				   unsigned file_index, bool cloexec, int slots[2]);
/*
 * What aring__soft_fixed_install(ring, file, file_index) would return,
 * without installing anything (its checks, kernel filetable.c
 * __io_fixed_fd_install()): 0, the slot an allocation would take, or -errno.
 */
int aring__soft_fixed_check(struct aring__soft *ring, unsigned file_index);
/* Empty slot (kernel io_fixed_fd_remove()): 0, -ENXIO (no table), -EINVAL (out of range), -EBADF (empty). */
int aring__soft_fixed_remove(struct aring__soft *ring, unsigned slot);
/* The file in slot, or NULL (no table, out of range, empty: kernel io_file_get_fixed()). */
void *aring__soft_fixed_file(struct aring__soft *ring, unsigned slot);
/*
 * [addr, addr + len) lies in registered buffer buf_index (kernel rsrc.c
 * io_import_reg_buf() -> io_import_fixed()): 0, or -EFAULT (no such
 * buffer, an empty slot, or the range reaches outside it).
 */
int aring__soft_fixed_buf(struct aring__soft *ring, unsigned buf_index, uint64_t addr, uint64_t len);
/* Drop every registered file and buffer (teardown; a crash of the sim's process). */
void aring__soft_rsrc_free(struct aring__soft *ring);
const struct aring__soft_stats *aring__soft_stats(const struct aring__soft *ring);

#endif /* ARING_BACKENDS_SOFT_SOFT_H */
