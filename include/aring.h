/* SPDX-License-Identifier: MIT */
/*
 * aring: blocking-style I/O on io_uring, one stackful task per unit of work.
 *
 * A task is a coroutine with its own stack. Inside a task, aring_read() and
 * friends put an SQE on the ring, suspend the task, and return the CQE's
 * result when it arrives. The same program runs on the real kernel ring
 * (ARING_BACKEND_URING) or on a deterministic simulated ring
 * (ARING_BACKEND_SIM, see <aring/sim.h>).
 *
 * Return convention everywhere: >= 0 is success (a count, an fd, 0), a
 * negative value is -errno. Nothing in aring sets errno.
 *
 * Ops (everything that suspends) may only be called from inside a task; from
 * anywhere else they return -EPERM.
 */
#ifndef ARING_H
#define ARING_H

#include <stddef.h>
#include <stdint.h>
#include <stdarg.h>
#include <sys/types.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <signal.h>
#include <liburing.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(__GNUC__)
#define ARING_API __attribute__((visibility("default")))
#define ARING_PRINTF(a, b) __attribute__((format(printf, a, b)))
#else
#define ARING_API
#define ARING_PRINTF(a, b)
#endif

struct statx;
struct open_how;
struct epoll_event;
struct futex_waitv;

/* ------------------------------------------------------------------ */
/*  Loop                                                                */
/* ------------------------------------------------------------------ */

typedef struct aring_loop aring_loop;
typedef struct aring_task aring_task;

enum aring_backend {
	ARING_BACKEND_AUTO = 0,    /* uring where io_uring works, else epoll */
	ARING_BACKEND_URING,       /* the kernel ring only */
	ARING_BACKEND_SIM,         /* the soft ring on a simulated world */
	ARING_BACKEND_EPOLL,       /* the soft ring on real system calls (epoll, a worker pool) */
};
/*
 * With ARING_BACKEND_AUTO (the zero value, and opts == NULL) the environment
 * variable ARING_BACKEND=uring|epoll|sim picks the backend, so that one test
 * suite runs on every backend; without it, io_uring is tried and epoll is
 * used when io_uring setup fails with -EPERM (a seccomp profile), -ENOSYS,
 * -ENOMEM (RLIMIT_MEMLOCK), or when /proc/sys/kernel/io_uring_disabled
 * forbids it. An explicit choice in opts is never overridden.
 * aring_loop_backend() tells which backend a loop got.
 */

struct aring_sim_opts;

struct aring_loop_opts {
	enum aring_backend backend;        /* default ARING_BACKEND_AUTO */
	unsigned entries;                  /* SQ entries; 0 = default (256); 1 is made 2
	                                      (an op and its linked timeout) */
	unsigned setup_flags;              /* IORING_SETUP_* for the uring backend;
	                                      0 = aring's default. COOP_TASKRUN and
	                                      DEFER_TASKRUN get TASKRUN_FLAG added.
	                                      epoll and sim accept the scheduling
	                                      and CQ-size flags (and ignore them),
	                                      refuse the rest (aring_loop_new(3)) */
	size_t stack_size;                 /* default task stack; 0 = default (128 KiB) */
	const struct aring_sim_opts *sim;  /* sim backend settings; NULL = defaults */
	unsigned offload_threads;          /* aring_offload's worker threads at most;
	                                      0 = default (4); at most
	                                      ARING_MAX_OFFLOAD_THREADS */
	unsigned cq_entries;               /* uring: CQ entries (IORING_SETUP_CQSIZE,
	                                      set by aring when non-zero); 0 = the
	                                      kernel's default, twice the SQ's */
	unsigned sq_thread_idle_ms;        /* uring, with IORING_SETUP_SQPOLL: how long
	                                      the kernel's SQ thread polls an empty SQ
	                                      before it sleeps; 0 = the kernel's
	                                      default (1 s) */
};

#define ARING_DEFAULT_ENTRIES 256u
#define ARING_DEFAULT_STACK_SIZE (128u * 1024u)
#define ARING_MAX_ENTRIES 32768u
#define ARING_DEFAULT_OFFLOAD_THREADS 4u
#define ARING_MAX_OFFLOAD_THREADS 1024u
/* The largest task stack (aring_loop_opts.stack_size, aring_spawn_stack). */
#define ARING_MAX_STACK_SIZE ((size_t)1 << 30)

/*
 * Make a loop. opts may be NULL (ARING_BACKEND_AUTO, defaults).
 * Returns 0, -EINVAL (unknown backend, entries > ARING_MAX_ENTRIES, a stack
 * size under 16 KiB or over ARING_MAX_STACK_SIZE, offload_threads over
 * ARING_MAX_OFFLOAD_THREADS, ARING_BACKEND set to an unknown name for an
 * AUTO loop, sq_thread_idle_ms without IORING_SETUP_SQPOLL, a setup the
 * kernel refuses, on epoll and sim too; on epoll and sim a flag they do not
 * model: SQE128, CQE32, IOPOLL, ...), -ENOMEM, or what io_uring_queue_init returned
 * (ARING_BACKEND_URING, or AUTO when the epoll fallback failed too).
 */
ARING_API int aring_loop_new(aring_loop **loop, const struct aring_loop_opts *opts);

/*
 * Free a loop. Call it after aring_run() returned. Tasks that never returned
 * (aring_run gave -EDEADLK) have their stacks freed without being resumed.
 */
ARING_API void aring_loop_free(aring_loop *loop);

/*
 * Run until every task has returned. Returns 0; -EDEADLK if tasks remain
 * but none can ever run again (they all wait on aring_join of each other, on
 * channels, locks, ... with no timeout that nothing can wake, or on the sim,
 * on ops that nothing can complete); -EBUSY if called from a task;
 * or a fatal -errno from the backend.
 */
ARING_API int aring_run(aring_loop *loop);

/* Monotonic time in nanoseconds; virtual time on the sim backend. */
ARING_API uint64_t aring_now_ns(aring_loop *loop);

/*
 * The raw ring, for io_uring_register_*(); NULL on the sim and epoll
 * backends. Registered files and buffers have calls of their own that work
 * on every backend (aring_register_files, aring_register_buffers, below).
 */
ARING_API struct io_uring *aring_ring(aring_loop *loop);

/*
 * user_data values aring reserves: those whose top 16 bits are
 * ARING_UD_TAG >> ARING_UD_TAG_SHIFT. Every SQE aring submits carries one;
 * a CQE whose user_data is outside the range (an aring_msg_ring from another
 * loop, a raw SQE submitted through aring_ring(), liburing's own) is not
 * aring's: the loop counts it (aring_foreign_cqes) and otherwise ignores it.
 * Never submit a raw SQE with a user_data inside the range: aring would take
 * its CQE for one of its own ops. aring_msg_ring refuses such data (-EINVAL).
 */
#define ARING_UD_TAG_SHIFT 48
#define ARING_UD_TAG ((uint64_t)0xA71Au << ARING_UD_TAG_SHIFT)
#define ARING_UD_RESERVED(ud) \
	(((uint64_t)(ud) >> ARING_UD_TAG_SHIFT) == (ARING_UD_TAG >> ARING_UD_TAG_SHIFT))

/* CQEs this loop received whose user_data aring did not make (see above). */
ARING_API uint64_t aring_foreign_cqes(aring_loop *loop);

/* The backend the loop runs on (URING, SIM or EPOLL: never AUTO). */
ARING_API enum aring_backend aring_loop_backend(aring_loop *loop);

/*
 * 1 if the backend can run this IORING_OP_* opcode natively, else 0. On the
 * uring backend this is the kernel's probe; on the sim it says whether the
 * sim's op table (sim/ops.c) models the opcode (and the simulated kernel's
 * profile has it: struct aring_sim_opts missing_ops, uring_errno). Ask this function before
 * relying on an op: on the sim, an SQE whose opcode is not modelled
 * completes with -EOPNOTSUPP. Which opcodes the sim (and the epoll
 * backend) model: docs/ops.md, generated from the op table (core/opdef.c)
 * and checked by `make check`.
 */
ARING_API int aring_op_supported(aring_loop *loop, unsigned opcode);

/* ------------------------------------------------------------------ */
/*  Tasks                                                               */
/* ------------------------------------------------------------------ */

typedef int (*aring_fn)(aring_loop *loop, void *arg);

/*
 * Start fn(loop, arg) as a new task; it first runs when the caller next
 * suspends (or when aring_run starts). task == NULL makes it detached: it is
 * freed when it returns. Otherwise *task must be joined exactly once.
 * May be called before aring_run and from tasks. Returns 0, -EINVAL
 * (fn NULL), -ENOMEM (no memory for a stack).
 */
ARING_API int aring_spawn(aring_loop *loop, aring_fn fn, void *arg, aring_task **task);

/*
 * As aring_spawn, with a stack of stack_size bytes (0 = the loop's default;
 * rounded up to pages). Returns 0, -EINVAL (fn NULL, stack_size under 16 KiB
 * or over ARING_MAX_STACK_SIZE), -ENOMEM (the stack cannot be mapped).
 */
ARING_API int aring_spawn_stack(aring_loop *loop, aring_fn fn, void *arg, size_t stack_size,
				aring_task **task);

/*
 * Wait until task returns, store its return value in *result (may be NULL)
 * and free it. From a task it suspends; from outside any task it runs the
 * loop until the task is done. Returns 0, -EINVAL (task NULL or detached),
 * -ESRCH (already joined), -EDEADLK (a task joining itself, or the loop
 * cannot finish it), -EBUSY (another task is already joining it),
 * -ECANCELED (the joining task was cancelled, aring_task_cancel: task is
 * not freed and may be joined again).
 * A joined task's handle stays safe to pass (its stack stays mapped until
 * the loop is freed, and a second join gives -ESRCH, never a second free)
 * until a later aring_spawn reuses that stack: the handle then names the
 * new task, as a reused pthread_t would. Do not join a handle twice.
 */
ARING_API int aring_join(aring_loop *loop, aring_task *task, int *result);

/* Let other ready tasks run, then continue. A no-op outside a task. */
ARING_API void aring_yield(aring_loop *loop);

/* The running task, or NULL outside any task. */
ARING_API aring_task *aring_current(aring_loop *loop);

/* ------------------------------------------------------------------ */
/*  Per-operation options: timeout, cancellation, flags                 */
/* ------------------------------------------------------------------ */

struct aring_opt {
	uint64_t timeout_ns;   /* 0 = none; else a deadline this far from the call */
	uint64_t *id;          /* out: an id for aring_cancel, set before suspending */
	unsigned sqe_flags;    /* extra IOSQE_* flags */
	unsigned *cqe_flags;   /* out: the CQE's flags */
	unsigned flags;        /* ARING_OPT_* */
};

/* opt->flags: timeout_ns is a linked timeout (IORING_OP_LINK_TIMEOUT), see below. */
#define ARING_OPT_LINKED_TIMEOUT (1u << 0)

/*
 * sqe_flags may hold IOSQE_FIXED_FILE, IOSQE_IO_DRAIN, IOSQE_ASYNC and
 * IOSQE_BUFFER_SELECT. With IOSQE_FIXED_FILE the op's fd is a slot of the
 * loop's registered file table (aring_register_files): a direct
 * descriptor; an empty slot gives -EBADF. Any other bit (linking belongs to aring_do_n, and
 * CQE_SKIP_SUCCESS would lose the result) makes the op return -EINVAL
 * without submitting anything.
 *
 * A timeout that fires before the op completes ends it with -ETIME; an op
 * that completes first returns its own result. By default the loop keeps
 * the deadline (a heap; one kernel timeout for the earliest deadline of
 * all; an IORING_OP_ASYNC_CANCEL only for an op whose deadline passed): it
 * costs the kernel nothing when it does not fire, but an op whose
 * completion wins the race with that cancel returns its own result a
 * little after its deadline, and for aring_do_n/aring_do_chain the
 * deadline covers the whole chain. With ARING_OPT_LINKED_TIMEOUT in
 * opt->flags the op is linked to an IORING_OP_LINK_TIMEOUT instead (one
 * more SQ entry, about 700 ns of kernel time per op): the kernel decides
 * atomically between the op and its timer, the time counts from when the
 * kernel issues the op, and a chain's timeout covers its last SQE only.
 * On the sim both end an op whose time passed at exactly its deadline in
 * virtual time. Any other bit in opt->flags gives -EINVAL. An op
 * cancelled through its id returns -ECANCELED. Ids are never reused. An op
 * with an id returns -ENOMEM, without submitting anything, if the loop's id
 * table must grow and cannot (the only allocation an id may make).
 */

/* ------------------------------------------------------------------ */
/*  Cancellation and timeouts                                           */
/* ------------------------------------------------------------------ */

/*
 * Cancel the in-flight op with this id (flags: IORING_ASYNC_CANCEL_ALL is
 * accepted and meaningless for a single id; other bits give -EINVAL).
 * The op may be a single op, an aring_do_n/aring_do_chain chain (whichever
 * member runs is cancelled, and the rest with it) or a multishot op. The id
 * may also be a wait's (a channel, lock, ... call given opt->id): it ends at
 * once, without the ring.
 * Returns 0 (found; the op returns -ECANCELED), -ENOENT (no such op in
 * flight: never existed, or already completed), -EALREADY (it was running
 * and could not be stopped, or a chain was between two members each time
 * it looked; it completes on its own; or its opt->timeout_ns deadline
 * passed and the loop's cancel went first: it returns -ETIME), -EPERM (outside a task), -ECANCELED
 * (the caller was cancelled, aring_task_cancel).
 */
ARING_API int aring_cancel(aring_loop *loop, uint64_t id, unsigned flags, const struct aring_opt *opt);

/*
 * Wait for a timeout, as IORING_OP_TIMEOUT: -ETIME when the time passed (also
 * with IORING_TIMEOUT_ETIME_SUCCESS, which only keeps a link chain going),
 * 0 when count other completions
 * arrived first, -ECANCELED when removed or cancelled, -EINVAL for bad ts.
 */
ARING_API int aring_timeout(aring_loop *loop, struct __kernel_timespec *ts, unsigned count,
			    unsigned flags, const struct aring_opt *opt);

/* Remove the timeout with this id: 0, -ENOENT, -EALREADY (already firing). */
ARING_API int aring_timeout_remove(aring_loop *loop, uint64_t id, unsigned flags,
				   const struct aring_opt *opt);

/* Give the timeout with this id a new ts: 0, -ENOENT, -EINVAL. */
ARING_API int aring_timeout_update(aring_loop *loop, struct __kernel_timespec *ts, uint64_t id,
				   unsigned flags, const struct aring_opt *opt);

/* Sleep ns nanoseconds. Returns 0 once ns have passed; -ECANCELED if cancelled. */
ARING_API int aring_sleep(aring_loop *loop, uint64_t ns);

/* Sleep with options (an id to cancel it by). */
ARING_API int aring_sleep_opt(aring_loop *loop, uint64_t ns, const struct aring_opt *opt);

/* ------------------------------------------------------------------ */
/*  Ops: files and generic I/O                                           */
/*  Argument order is that of io_uring_prep_*() minus the SQE, plus opt. */
/* ------------------------------------------------------------------ */

ARING_API int aring_nop(aring_loop *loop, const struct aring_opt *opt);
ARING_API int aring_read(aring_loop *loop, int fd, void *buf, unsigned nbytes, uint64_t offset,
			 const struct aring_opt *opt);
ARING_API int aring_write(aring_loop *loop, int fd, const void *buf, unsigned nbytes,
			  uint64_t offset, const struct aring_opt *opt);
ARING_API int aring_readv(aring_loop *loop, int fd, const struct iovec *iovecs, unsigned nr_vecs,
			  uint64_t offset, const struct aring_opt *opt);
ARING_API int aring_writev(aring_loop *loop, int fd, const struct iovec *iovecs,
			   unsigned nr_vecs, uint64_t offset, const struct aring_opt *opt);
ARING_API int aring_readv2(aring_loop *loop, int fd, const struct iovec *iovecs, unsigned nr_vecs,
			   uint64_t offset, int flags, const struct aring_opt *opt);
ARING_API int aring_writev2(aring_loop *loop, int fd, const struct iovec *iovecs,
			    unsigned nr_vecs, uint64_t offset, int flags, const struct aring_opt *opt);
ARING_API int aring_read_fixed(aring_loop *loop, int fd, void *buf, unsigned nbytes,
			       uint64_t offset, int buf_index, const struct aring_opt *opt);
ARING_API int aring_write_fixed(aring_loop *loop, int fd, const void *buf, unsigned nbytes,
				uint64_t offset, int buf_index, const struct aring_opt *opt);
ARING_API int aring_readv_fixed(aring_loop *loop, int fd, const struct iovec *iovecs,
				unsigned nr_vecs, uint64_t offset, int flags, int buf_index,
				const struct aring_opt *opt);
ARING_API int aring_writev_fixed(aring_loop *loop, int fd, const struct iovec *iovecs,
				 unsigned nr_vecs, uint64_t offset, int flags, int buf_index,
				 const struct aring_opt *opt);
ARING_API int aring_fsync(aring_loop *loop, int fd, unsigned fsync_flags,
			  const struct aring_opt *opt);
ARING_API int aring_sync_file_range(aring_loop *loop, int fd, unsigned len, uint64_t offset,
				    int flags, const struct aring_opt *opt);
ARING_API int aring_fallocate(aring_loop *loop, int fd, int mode, uint64_t offset, uint64_t len,
			      const struct aring_opt *opt);
ARING_API int aring_fadvise(aring_loop *loop, int fd, uint64_t offset, off_t len, int advice,
			    const struct aring_opt *opt);
ARING_API int aring_madvise(aring_loop *loop, void *addr, off_t length, int advice,
			    const struct aring_opt *opt);
ARING_API int aring_ftruncate(aring_loop *loop, int fd, loff_t len, const struct aring_opt *opt);
ARING_API int aring_openat(aring_loop *loop, int dfd, const char *path, int flags, mode_t mode,
			   const struct aring_opt *opt);
ARING_API int aring_openat2(aring_loop *loop, int dfd, const char *path, struct open_how *how,
			    const struct aring_opt *opt);
/*
 * Close fd. Multishot ops of this loop on fd (aring_accept_multishot,
 * aring_poll_multishot, not through a fixed file) are cancelled first and
 * return -ECANCELED. Returns 0 or -errno (-EBADF, ...). It runs in a
 * cancelled task too (aring_task_cancel), as aring_shutdown does.
 */
ARING_API int aring_close(aring_loop *loop, int fd, const struct aring_opt *opt);
ARING_API int aring_statx(aring_loop *loop, int dfd, const char *path, int flags, unsigned mask,
			  struct statx *statxbuf, const struct aring_opt *opt);
ARING_API int aring_renameat(aring_loop *loop, int olddfd, const char *oldpath, int newdfd,
			     const char *newpath, unsigned flags, const struct aring_opt *opt);
ARING_API int aring_unlinkat(aring_loop *loop, int dfd, const char *path, int flags,
			     const struct aring_opt *opt);
ARING_API int aring_mkdirat(aring_loop *loop, int dfd, const char *path, mode_t mode,
			    const struct aring_opt *opt);
ARING_API int aring_symlinkat(aring_loop *loop, const char *target, int newdirfd,
			      const char *linkpath, const struct aring_opt *opt);
ARING_API int aring_linkat(aring_loop *loop, int olddfd, const char *oldpath, int newdfd,
			   const char *newpath, int flags, const struct aring_opt *opt);
ARING_API int aring_splice(aring_loop *loop, int fd_in, int64_t off_in, int fd_out,
			   int64_t off_out, unsigned nbytes, unsigned splice_flags,
			   const struct aring_opt *opt);
ARING_API int aring_tee(aring_loop *loop, int fd_in, int fd_out, unsigned nbytes,
			unsigned splice_flags, const struct aring_opt *opt);
/* The pipe op needs Linux 6.16; on older kernels the uring backend calls pipe2(2). */
ARING_API int aring_pipe(aring_loop *loop, int fds[2], int flags, const struct aring_opt *opt);
ARING_API int aring_fsetxattr(aring_loop *loop, int fd, const char *name, const char *value,
			      int flags, unsigned len, const struct aring_opt *opt);
ARING_API int aring_setxattr(aring_loop *loop, const char *name, const char *value,
			     const char *path, int flags, unsigned len, const struct aring_opt *opt);
ARING_API int aring_fgetxattr(aring_loop *loop, int fd, const char *name, char *value,
			      unsigned len, const struct aring_opt *opt);
ARING_API int aring_getxattr(aring_loop *loop, const char *name, char *value, const char *path,
			     unsigned len, const struct aring_opt *opt);

/* ------------------------------------------------------------------ */
/*  Ops: polling, epoll, processes, futexes, rings                       */
/* ------------------------------------------------------------------ */

/* Wait for poll_mask (POLLIN, ...) on fd; returns the ready mask. */
ARING_API int aring_poll_add(aring_loop *loop, int fd, unsigned poll_mask,
			     const struct aring_opt *opt);
/* Remove the poll_add with this id: 0 (it returns -ECANCELED), -ENOENT, -EALREADY. */
ARING_API int aring_poll_remove(aring_loop *loop, uint64_t id, const struct aring_opt *opt);
/*
 * A new epoll instance for aring_epoll_ctl and aring_epoll_wait (flags:
 * EPOLL_CLOEXEC): epoll_create1(2) on uring and epoll; on the sim an
 * instance in the sim loop's fd table. Close it with aring_close (or
 * close(2) off the sim). Returns the fd, -EINVAL (loop NULL, unknown
 * flags), -EMFILE, -ENFILE, -ENOMEM. Need not be called from a task.
 */
ARING_API int aring_epoll_create(aring_loop *loop, int flags);
ARING_API int aring_epoll_ctl(aring_loop *loop, int epfd, int fd, int op, struct epoll_event *ev,
			      const struct aring_opt *opt);
ARING_API int aring_epoll_wait(aring_loop *loop, int fd, struct epoll_event *events,
			       int maxevents, unsigned flags, const struct aring_opt *opt);
ARING_API int aring_waitid(aring_loop *loop, idtype_t idtype, id_t id, siginfo_t *infop,
			   int options, unsigned flags, const struct aring_opt *opt);
ARING_API int aring_futex_wait(aring_loop *loop, uint32_t *futex, uint64_t val, uint64_t mask,
			       uint32_t futex_flags, unsigned flags, const struct aring_opt *opt);
ARING_API int aring_futex_wake(aring_loop *loop, uint32_t *futex, uint64_t val, uint64_t mask,
			       uint32_t futex_flags, unsigned flags, const struct aring_opt *opt);
ARING_API int aring_futex_waitv(aring_loop *loop, struct futex_waitv *futex, uint32_t nr_futex,
				unsigned flags, const struct aring_opt *opt);
/*
 * Post a CQE with res = len and user_data = data on the ring behind fd. If
 * that ring is an aring loop's, the CQE is foreign to it and ignored (counted
 * in aring_foreign_cqes). Returns 0 or -errno: -EINVAL if data is in aring's
 * reserved range (ARING_UD_RESERVED), else the kernel's result (-EBADFD: fd
 * is not a ring, -EOVERFLOW: its CQ is full, ...).
 */
ARING_API int aring_msg_ring(aring_loop *loop, int fd, unsigned len, uint64_t data,
			     unsigned flags, const struct aring_opt *opt);
/*
 * IORING_MSG_SEND_FD: put the file in slot source_slot of this loop's
 * registered files into the registered table of the ring behind fd, at
 * slot target_index - 1, or a free one with ARING_FILE_INDEX_ALLOC; that
 * ring gets a CQE with user_data data and res the same as this call's
 * (none with IORING_MSG_RING_CQE_SKIP in flags). Returns 0, the slot
 * allocated, or -errno: -EBADF (source slot empty or no table, or fd not
 * open), -EBADFD (fd is no ring), -EINVAL (fd is this loop's own ring,
 * target_index 0 or past the target's table, unknown flags), -ENXIO (the
 * target has no table), -ENFILE (no free slot to allocate), -EOVERFLOW
 * (the target's CQ is full: the file was installed). See the man page for
 * the sim.
 */
ARING_API int aring_msg_ring_fd(aring_loop *loop, int fd, int source_slot, unsigned target_index,
				uint64_t data, unsigned flags, const struct aring_opt *opt);
/*
 * IORING_OP_FILES_UPDATE: as aring_register_files_update, through the ring
 * (the update is ordered with the loop's other ops); with offset
 * ARING_FILE_INDEX_ALLOC each fd goes to a free slot, whose index replaces
 * it in fds[]. Returns the slots done, or -ENXIO (no table), -EINVAL
 * (nr_fds 0, past the table, opt->sqe_flags IOSQE_FIXED_FILE), -EBADF,
 * -EFAULT, -ENFILE (allocation: no free slot).
 */
ARING_API int aring_files_update(aring_loop *loop, int *fds, unsigned nr_fds, int offset,
				 const struct aring_opt *opt);
/*
 * IORING_OP_FIXED_FD_INSTALL: a new plain fd for the file in slot fd of the
 * registered file table (the slot keeps it); O_CLOEXEC unless flags holds
 * IORING_FIXED_FD_NO_CLOEXEC (1). Returns the fd, or -EBADF (empty slot, no
 * table), -EINVAL (other flags), -EMFILE. aring_fixed_fd_install sets
 * IOSQE_FIXED_FILE itself.
 */
ARING_API int aring_fixed_fd_install(aring_loop *loop, int fd, unsigned flags,
				     const struct aring_opt *opt);
ARING_API int aring_provide_buffers(aring_loop *loop, void *addr, int len, int nr, int bgid,
				   int bid, const struct aring_opt *opt);
ARING_API int aring_remove_buffers(aring_loop *loop, int nr, int bgid, const struct aring_opt *opt);

/* ------------------------------------------------------------------ */
/*  Registered files and buffers                                         */
/* ------------------------------------------------------------------ */

/*
 * io_uring_register(2) for files and buffers, on every backend (the kernel
 * on uring; the soft ring's tables, with the kernel's results, on the sim
 * and epoll). Synchronous: callable from a task or from outside one.
 *
 * A registered file table has slots 0..nr-1, each empty or holding an open
 * file (a reference of its own: closing the fd later does not empty the
 * slot). An op given opt->sqe_flags = IOSQE_FIXED_FILE takes its fd as a
 * slot (-EBADF if empty or out of range, or with no table). Ops that make
 * a file put it in a slot instead of the fd table when given a file index
 * (a direct descriptor): aring_openat_direct, aring_socket_direct,
 * aring_accept_direct, with the slot, or ARING_FILE_INDEX_ALLOC for a free
 * slot; aring_close_direct empties one; aring_fixed_fd_install makes a
 * plain fd of one; aring_files_update (the op) updates slots.
 */
#define ARING_FILE_INDEX_ALLOC IORING_FILE_INDEX_ALLOC

/*
 * Register nr files: fds[i] goes to slot i; -1 leaves the slot empty
 * (sparse). The allocation range becomes the whole table. Returns 0, or
 * -EBUSY (a table is registered already), -EINVAL (nr 0; loop NULL),
 * -EMFILE (nr over 1 << 20; uring: also over RLIMIT_NOFILE), -EBADF (an
 * fd names no open file; nothing is registered), -EFAULT (fds NULL or
 * unreadable), -ENOMEM, -EOPNOTSUPP (a backend without the call).
 */
ARING_API int aring_register_files(aring_loop *loop, const int *fds, unsigned nr);

/* A table of nr empty slots. Returns 0 or aring_register_files' errors (-EBADF excepted). */
ARING_API int aring_register_files_sparse(aring_loop *loop, unsigned nr);

/*
 * Replace slots off..off+nr-1 with fds[0..nr-1]: -1 empties a slot,
 * IORING_REGISTER_FILES_SKIP (-2) leaves it as it is. Returns how many
 * slots were done (fewer than nr when fds[k] failed: slots before k were
 * updated), or when the first one failed: -EBADF (a bad fd), -EFAULT; or
 * -ENXIO (no table), -EINVAL (nr 0, or off + nr past the table),
 * -EOVERFLOW (off + nr overflows 32 bits).
 */
ARING_API int aring_register_files_update(aring_loop *loop, unsigned off, const int *fds,
					  unsigned nr);

/*
 * Where ARING_FILE_INDEX_ALLOC looks for a free slot: off..off+len-1
 * (the whole table after registering). Returns 0, -EINVAL (past the
 * table, or no table), -EOVERFLOW.
 */
ARING_API int aring_register_file_alloc_range(aring_loop *loop, unsigned off, unsigned len);

/* Drop the table and every file in it: 0, or -ENXIO (none registered). */
ARING_API int aring_unregister_files(aring_loop *loop);

/*
 * Register nr buffers for aring_read_fixed and friends (buf_index i is
 * iovecs[i]; an entry { NULL, 0 } is an empty slot). The uring backend pins
 * the memory; the sim and epoll backends keep the ranges and use the memory
 * in place (keep it mapped while registered). Returns 0, -EBUSY (buffers
 * are registered already), -EINVAL (nr 0 or over 16384), -EFAULT (iovecs
 * NULL, a length of 0 with an address, over 1 GiB, or memory that cannot
 * be user memory; uring: memory not mapped), -EOVERFLOW, -ENOMEM (uring:
 * RLIMIT_MEMLOCK without CAP_IPC_LOCK), -EOPNOTSUPP.
 */
ARING_API int aring_register_buffers(aring_loop *loop, const struct iovec *iovecs, unsigned nr);

/* nr empty buffer slots: 0 or aring_register_buffers' errors. */
ARING_API int aring_register_buffers_sparse(aring_loop *loop, unsigned nr);

/* Drop the registered buffers: 0, or -ENXIO (none registered). */
ARING_API int aring_unregister_buffers(aring_loop *loop);

/*
 * A pool of count registered buffers of size bytes each, in one mapping,
 * registered as buffer indexes 0..count-1 (the loop's whole buffer table).
 * Take one with aring_fixed_pool_get (its index for aring_read_fixed in
 * *buf_index; NULL when all are taken), give it back with
 * aring_fixed_pool_put; aring_fixed_pool_free unregisters and unmaps.
 * aring_fixed_pool_new returns 0, -EINVAL (loop or pool NULL, count 0 or
 * over ARING_FIXED_POOL_MAX_COUNT, size 0 or over
 * ARING_FIXED_POOL_MAX_SIZE), -ENOMEM, or aring_register_buffers' errors
 * (-EBUSY: buffers are registered already).
 * aring_fixed_pool_put returns 0 or -EINVAL (not a buffer of the pool, or
 * not taken).
 */
#define ARING_FIXED_POOL_MAX_COUNT 16384u
#define ARING_FIXED_POOL_MAX_SIZE ((size_t)1 << 30)
typedef struct aring_fixed_pool aring_fixed_pool;
ARING_API int aring_fixed_pool_new(aring_loop *loop, unsigned count, size_t size,
				   aring_fixed_pool **pool);
ARING_API void *aring_fixed_pool_get(aring_fixed_pool *pool, int *buf_index);
ARING_API int aring_fixed_pool_put(aring_fixed_pool *pool, void *buf);
/* The size of each buffer (0 for NULL). */
ARING_API size_t aring_fixed_pool_buf_size(const aring_fixed_pool *pool);
ARING_API void aring_fixed_pool_free(aring_fixed_pool *pool);

/*
 * Direct descriptors: as aring_openat, aring_openat2, aring_socket and
 * aring_accept, the new file going to slot file_index (0-based, as in
 * liburing's io_uring_prep_*_direct) of the registered file table
 * (replacing what is there), or with ARING_FILE_INDEX_ALLOC to a free slot
 * of the allocation range. Return 0 (a given slot) or the slot
 * allocated, or -errno: the op's own, and -ENXIO (no table, given slot),
 * -EINVAL (slot past the table; O_CLOEXEC / SOCK_CLOEXEC in flags, which
 * a direct descriptor cannot have), -ENFILE (no free slot, or no table,
 * with ARING_FILE_INDEX_ALLOC). The file is closed again on failure.
 */
ARING_API int aring_openat_direct(aring_loop *loop, int dfd, const char *path, int flags,
				  mode_t mode, unsigned file_index, const struct aring_opt *opt);
ARING_API int aring_openat2_direct(aring_loop *loop, int dfd, const char *path,
				   struct open_how *how, unsigned file_index,
				   const struct aring_opt *opt);
ARING_API int aring_socket_direct(aring_loop *loop, int domain, int type, int protocol,
				  unsigned file_index, unsigned flags, const struct aring_opt *opt);
ARING_API int aring_accept_direct(aring_loop *loop, int fd, struct sockaddr *addr,
				  socklen_t *addrlen, int flags, unsigned file_index,
				  const struct aring_opt *opt);
/*
 * A pipe whose ends are direct descriptors: the read end goes to slot
 * file_index and the write end to file_index + 1 (with
 * ARING_FILE_INDEX_ALLOC, to two free slots); fds[] receives the two
 * slots. When the second end cannot be placed the first slot is emptied
 * again. Returns 0, or -errno: as aring_openat_direct (-EINVAL also for
 * O_CLOEXEC, or the write end's slot past the table), -EFAULT (fds),
 * aring_pipe's errors. It needs the ring's pipe op (Linux 6.16 on uring,
 * else -EINVAL from the kernel): there is no pipe2(2) fallback for it.
 */
ARING_API int aring_pipe_direct(aring_loop *loop, int *fds, int flags, unsigned file_index,
				const struct aring_opt *opt);
/*
 * Empty slot file_index (0-based, as IOSQE_FIXED_FILE takes it) of the
 * registered file table. Returns 0, -EBADF (empty), -EINVAL (past the
 * table), -ENXIO (no table).
 */
ARING_API int aring_close_direct(aring_loop *loop, unsigned file_index,
				 const struct aring_opt *opt);

/* ------------------------------------------------------------------ */
/*  Ops: sockets                                                         */
/* ------------------------------------------------------------------ */

ARING_API int aring_socket(aring_loop *loop, int domain, int type, int protocol, unsigned flags,
			   const struct aring_opt *opt);
/* bind and listen need Linux 6.11; on older kernels the uring backend calls bind(2)/listen(2). */
ARING_API int aring_bind(aring_loop *loop, int fd, const struct sockaddr *addr, socklen_t addrlen,
			 const struct aring_opt *opt);
ARING_API int aring_listen(aring_loop *loop, int fd, int backlog, const struct aring_opt *opt);
ARING_API int aring_accept(aring_loop *loop, int fd, struct sockaddr *addr, socklen_t *addrlen,
			   int flags, const struct aring_opt *opt);
ARING_API int aring_connect(aring_loop *loop, int fd, const struct sockaddr *addr,
			    socklen_t addrlen, const struct aring_opt *opt);
/*
 * The most one read, write, send or recv moves: INT_MAX rounded down to a
 * page, the kernel's MAX_RW_COUNT. aring_send, aring_recv and aring_send_zc
 * clamp a larger len to it (the SQE's len has 32 bits) and return the bytes
 * moved, as read(2) does; loop (aring_send_all) to move more.
 */
#define ARING_MAX_RW_COUNT 0x7ffff000u

ARING_API int aring_send(aring_loop *loop, int fd, const void *buf, size_t len, int flags,
			 const struct aring_opt *opt);
ARING_API int aring_recv(aring_loop *loop, int fd, void *buf, size_t len, int flags,
			 const struct aring_opt *opt);
ARING_API int aring_sendmsg(aring_loop *loop, int fd, const struct msghdr *msg, unsigned flags,
			    const struct aring_opt *opt);
ARING_API int aring_recvmsg(aring_loop *loop, int fd, struct msghdr *msg, unsigned flags,
			    const struct aring_opt *opt);
/* Zero-copy send: returns the bytes sent once the kernel released buf. */
ARING_API int aring_send_zc(aring_loop *loop, int fd, const void *buf, size_t len, int flags,
			    unsigned zc_flags, const struct aring_opt *opt);
ARING_API int aring_sendmsg_zc(aring_loop *loop, int fd, const struct msghdr *msg,
			       unsigned flags, const struct aring_opt *opt);
/* shutdown(2) through the ring: 0 or -errno. Runs in a cancelled task too (aring_task_cancel). */
ARING_API int aring_shutdown(aring_loop *loop, int fd, int how, const struct aring_opt *opt);
/* SOCKET_URING_OP_* (getsockopt/setsockopt/siocinq/siocoutq) through IORING_OP_URING_CMD. */
ARING_API int aring_cmd_sock(aring_loop *loop, int cmd_op, int fd, int level, int optname,
			     void *optval, int optlen, const struct aring_opt *opt);
/*
 * Any IORING_OP_URING_CMD: command cmd_op to the file fd's ->uring_cmd, with
 * cmd_len bytes of command copied into the SQE (at most 16; 80 on a ring set
 * up with IORING_SETUP_SQE128). Returns the file's answer; -EINVAL (cmd_len
 * too big, nothing submitted), -EFAULT (cmd NULL with a length),
 * -EOPNOTSUPP (the file takes no commands, or not this one), -EBADF.
 */
ARING_API int aring_uring_cmd(aring_loop *loop, int fd, uint32_t cmd_op, const void *cmd,
			      size_t cmd_len, const struct aring_opt *opt);

/* ------------------------------------------------------------------ */
/*  Custom operations                                                    */
/* ------------------------------------------------------------------ */

typedef void (*aring_prep_fn)(struct io_uring_sqe *sqe, void *ctx);

/*
 * One op prepared by prep on a zeroed SQE. The library owns user_data and
 * clears IOSQE_IO_LINK, IOSQE_IO_HARDLINK and IOSQE_CQE_SKIP_SUCCESS if prep
 * set them (a link would reach another task's SQE; use aring_do_n for
 * chains). Returns the CQE's res.
 */
ARING_API int aring_do(aring_loop *loop, aring_prep_fn prep, void *ctx, const struct aring_opt *opt);

/*
 * A linked chain of nsqes SQEs: prep fills sqes[0..nsqes-1], zeroed, and the
 * library links them (IOSQE_IO_LINK unless prep set IOSQE_IO_HARDLINK), so
 * each starts once the one before it completed, and a failure cancels the
 * rest (-ECANCELED) unless hard-linked. nsqes may be the ring's SQ size, or
 * that less one with opt->timeout_ns and ARING_OPT_LINKED_TIMEOUT (the linked
 * timeout takes an SQ entry); chains of more than 64 SQEs allocate their
 * table of SQE pointers. opt->timeout_ns is a deadline for the whole chain
 * (whichever member runs when it passes is cancelled, and the rest with
 * it), or with ARING_OPT_LINKED_TIMEOUT a linked timeout on the last SQE
 * only (armed when the kernel issues that SQE), opt->id cancels the chain (aring_cancel),
 * opt->cqe_flags receives the last CQE's flags. Members other than the last
 * may carry IOSQE_CQE_SKIP_SUCCESS (see aring_do_chain); the library clears
 * it on the last, with IO_LINK and HARDLINK.
 * Returns the result of the last SQE (-ETIME if its timeout fired), or,
 * with nothing submitted: -EINVAL (prep NULL, nsqes 0 or too large, a member
 * that posts several CQEs: IORING_OP_SEND_ZC, SENDMSG_ZC, READ_MULTISHOT,
 * RECV_ZC, or multishot accept, recv, recvmsg, poll_add, timeout, uring_cmd;
 * the SQEs prep filled are then replaced by NOPs whose CQEs are ignored),
 * -ENOMEM, -EPERM (outside a task).
 */
ARING_API int aring_do_n(aring_loop *loop, unsigned nsqes,
			 void (*prep)(struct io_uring_sqe **sqes, void *ctx), void *ctx,
			 const struct aring_opt *opt);

/*
 * As aring_do_n, and results[i] (an array of nsqes ints the caller owns)
 * receives SQE i's result: -ECANCELED for a member that a failed link
 * cancelled; 0 for a member that succeeded with IOSQE_CQE_SKIP_SUCCESS.
 * A member carrying IOSQE_CQE_SKIP_SUCCESS reports its own result instead
 * when it failed (res < 0), or when the member after it was cancelled: the
 * kernel fails a link on a short transfer (res >= 0) and then posts the
 * skipping member's CQE too. On the kernel's ring the chain's members post
 * every CQE (aring counts on it, and reports the skip itself), so a skip in
 * a chain does not disable IOSQE_IO_DRAIN on the ring as the kernel's does.
 * Returns the last SQE's result, also in results[nsqes - 1] (-ETIME if the
 * timeout fired). Errors as aring_do_n, and -EFAULT (results NULL), -EINVAL
 * (a member is an IORING_OP_LINK_TIMEOUT: it may complete before its target,
 * and the results could not be told apart; use opt->timeout_ns). results
 * is written while the chain runs: keep it valid and unshared until return.
 */
ARING_API int aring_do_chain(aring_loop *loop, unsigned nsqes,
			     void (*prep)(struct io_uring_sqe **sqes, void *ctx), void *ctx,
			     int *results, const struct aring_opt *opt);

/* ------------------------------------------------------------------ */
/*  Multishot ops                                                        */
/* ------------------------------------------------------------------ */

/*
 * Multishot ops call fn once per CQE with the CQE's res and flags. fn runs
 * inside the loop's completion processing, not on the task's stack: it must
 * not suspend (no aring_* ops, no aring_join); it may aring_spawn (a task
 * per accepted connection, say). fn returns 0 to keep going or non-zero to
 * stop: the library then cancels the request and waits for its last CQE.
 * The call returns when the request ended: 0 if fn stopped it, else the
 * final CQE's res (a final res >= 0 is also delivered to fn).
 *
 * Another task stops it with aring_cancel of the id from opt->id, or by
 * closing its fd with aring_close (which cancels this loop's multishot ops
 * on that fd before closing it: a multishot request holds its own reference
 * to the file, so a plain close would not end it). Either way the call
 * returns -ECANCELED, and aring_cancel returns 0. opt may carry sqe_flags,
 * id and cqe_flags; a timeout_ns gives -EINVAL (no linked timeout on a
 * multishot request).
 */
typedef int (*aring_multishot_fn)(aring_loop *loop, int res, unsigned cqe_flags, void *arg);

ARING_API int aring_accept_multishot(aring_loop *loop, int fd, int flags, aring_multishot_fn fn,
				     void *arg, const struct aring_opt *opt);
ARING_API int aring_poll_multishot(aring_loop *loop, int fd, unsigned poll_mask,
				   aring_multishot_fn fn, void *arg, const struct aring_opt *opt);
/*
 * Zero-copy receive (IORING_OP_RECV_ZC, Linux 6.15), multishot, into the
 * pages of zcrx interface queue ifq_idx, calling fn for each CQE as
 * aring_accept_multishot does. aring registers no such queue (it needs a
 * NIC with header split and flow steering, and a CQE32 ring), so the kernel
 * answers -EINVAL (io_recvzc_prep(): no queue at ifq_idx), as the sim does;
 * -EINVAL too for fn NULL or opt->timeout_ns; -EOPNOTSUPP on epoll.
 */
ARING_API int aring_recv_zc(aring_loop *loop, int fd, unsigned ifq_idx, unsigned len,
			    aring_multishot_fn fn, void *arg, const struct aring_opt *opt);

/* ------------------------------------------------------------------ */
/*  Provided buffers: pools, and multishot receives that use them        */
/* ------------------------------------------------------------------ */

/*
 * A pool of nbufs buffers of bufsize bytes that the kernel picks from when
 * data arrives (a provided buffer ring, IORING_REGISTER_PBUF_RING, Linux
 * 5.19), so that thousands of idle connections hold no buffer each. A pool
 * is a buffer group of its loop (bgid, 0..65535, one pool per bgid). The
 * buffers are one anonymous mapping: memory is only used once a buffer was
 * written. On the sim and epoll backends the pool is registered with the
 * soft ring (backends/soft/kbuf.c), which picks from it as the kernel does.
 * A pool belongs to one loop; use it from that loop's tasks only, and free
 * it (aring_bufpool_free) before the loop.
 */
typedef struct aring_bufpool aring_bufpool;

/* Incremental consumption (IOU_PBUF_RING_INC, Linux 6.12): a receive uses
 * only the bytes it needs, and the next one goes on in the same buffer. */
#define ARING_BUFPOOL_INC 1u

/*
 * Make a pool: *pool gets it. nbufs is a power of two, 1..32768; bufsize
 * 1..ARING_MAX_RW_COUNT. Returns 0 or -errno: -EINVAL (loop or pool NULL,
 * bad nbufs, bufsize or flags; uring: ARING_BUFPOOL_INC on a kernel before
 * 6.12), -EEXIST (bgid is in use on this loop: a pool, or buffers given by
 * aring_provide_buffers), -ENOMEM.
 */
ARING_API int aring_bufpool_new(aring_loop *loop, aring_bufpool **pool, unsigned bgid,
				unsigned nbufs, unsigned bufsize, unsigned flags);
/*
 * Unregister and unmap the pool. Returns 0, or -EBUSY (a multishot receive
 * of it is still armed: end it with aring_recv_end first; or a task waits
 * in aring_bufpool_wait; or the program still holds a buffer of it, taken
 * and not given back with aring_buf_release / aring_bufpool_recycle;
 * nothing is freed). NULL is ignored (0).
 */
ARING_API int aring_bufpool_free(aring_bufpool *pool);
/* The buffer group id of the pool (sqe->buf_group for IOSQE_BUFFER_SELECT). */
ARING_API unsigned aring_bufpool_bgid(const aring_bufpool *pool);
/* Buffer bid's memory (bufsize bytes), or NULL if bid >= nbufs. */
ARING_API void *aring_bufpool_buf(aring_bufpool *pool, unsigned bid);
/* Buffers the kernel may pick now (given back and not yet used up). */
ARING_API unsigned aring_bufpool_avail(const aring_bufpool *pool);
/*
 * Wait until the pool has a buffer the kernel may pick (aring_recv_next
 * returned -ENOBUFS: other tasks hold them all). Waiters are served one per
 * buffer given back, in FIFO order. Returns 0, or as any wait: -ETIME
 * (opt->timeout_ns), -ECANCELED (aring_cancel of opt->id, or the task was
 * cancelled), -EPERM (outside a task), -EINVAL (loop or pool NULL, a pool
 * of another loop, opt->sqe_flags set). A task that holds buffers itself
 * should release them first: it would wait for itself.
 */
ARING_API int aring_bufpool_wait(aring_loop *loop, aring_bufpool *pool, const struct aring_opt *opt);

/*
 * For CQEs the program reaps itself (an op of its own with
 * IOSQE_BUFFER_SELECT and sqe->buf_group = aring_bufpool_bgid()): the
 * buffer a CQE names (IORING_CQE_F_BUFFER, bid = cqe_flags >> 16) has left
 * the pool; aring_bufpool_take marks it so (0, or -EINVAL: bid out of
 * range, -EALREADY: it is not in the ring), aring_bufpool_recycle gives it
 * back to the kernel (0, -EINVAL, -EALREADY: it already is). Buffers from
 * aring_recv_next are given back with aring_buf_release instead.
 */
ARING_API int aring_bufpool_take(aring_bufpool *pool, unsigned bid);
ARING_API int aring_bufpool_recycle(aring_bufpool *pool, unsigned bid);

/* Data a multishot receive delivered, in a buffer of its pool. */
struct aring_buf {
	void *data;              /* the bytes */
	unsigned len;            /* how many (the CQE's res) */
	unsigned bid;            /* the buffer's id in its pool */
	aring_bufpool *pool;
	unsigned flags;          /* private */
};

/*
 * Give a buffer from aring_recv_next back to its pool, for the kernel to
 * fill again (with ARING_BUFPOOL_INC, once every piece of it was released
 * and the kernel moved past it). Returns 0, or -EINVAL (buf NULL, not from
 * aring_recv_next, or already released).
 */
ARING_API int aring_buf_release(struct aring_buf *buf);

/*
 * A multishot receive as an iterator: one request stays armed and posts a
 * CQE for each arrival of data, each in a buffer of the pool; the task
 * takes them in order with aring_recv_next:
 *
 *     aring_recv_iter *it;
 *     struct aring_buf b;
 *     int n;
 *     if (aring_recv_multishot(loop, fd, pool, 0, &it) < 0) ...
 *     while ((n = aring_recv_next(loop, it, &b, NULL)) > 0) {
 *             use(b.data, b.len);
 *             aring_buf_release(&b);
 *     }
 *     aring_recv_end(loop, it);    (always: it frees the iterator)
 *
 * Setting up submits nothing; the first aring_recv_next arms the request
 * (IORING_OP_RECV with IORING_RECV_MULTISHOT, RECVMSG likewise, or
 * IORING_OP_READ_MULTISHOT, Linux 6.7), and the calls after it return the
 * queued CQEs in order, waiting when there is none.
 *
 * aring_recv_next returns the bytes in *buf (> 0; for recvmsg the buffer
 * holds a struct io_uring_recvmsg_out, the name and control space, then the
 * payload: see io_uring_recvmsg_validate(3)), or once it ended: 0 at end of
 * file, or -errno; later calls return the same. -errno:
 *   -ENOBUFS   the pool is empty: every buffer is held by the program. The
 *              kernel ends a multishot request when the pool runs dry; the
 *              iterator arms it again by itself once the data it queued was
 *              taken and the pool has a free buffer, so a consumer slower
 *              than the sender loses nothing. -ENOBUFS does not end the
 *              iterator: release buffers (or, holding none, wait with
 *              aring_bufpool_wait) and call again.
 *   -ETIME     opt->timeout_ns passed with nothing received: the request
 *              stays armed, call again (or aring_recv_end).
 *   -ECANCELED aring_cancel of the id from opt->id (that call's wait),
 *              aring_task_cancel of the task, or aring_close of fd by
 *              another task: the request is stopped, the data queued
 *              before it is given back to the pool, and the iterator ends.
 *   -EINVAL    loop, it or buf NULL, or opt->sqe_flags set.
 *   -EPERM     outside a task.
 *   -EOPNOTSUPP the epoll backend, for recvmsg and read (it selects
 *              buffers for recv only).
 *   and the receive's own errors (-ECONNRESET, -EBADF, -ENOTSOCK, ...;
 *   -EBADFD: aring_read_multishot of a file that cannot be polled).
 * opt->cqe_flags receives the CQE's flags.
 *
 * Set-up returns 0 or -EINVAL (loop, pool or it NULL, fd < 0, flags with
 * MSG_WAITALL), -ENOMEM. A pool may feed any number of iterators.
 */
typedef struct aring_recv_iter aring_recv_iter;

ARING_API int aring_recv_multishot(aring_loop *loop, int fd, aring_bufpool *pool, int flags,
				   aring_recv_iter **it);
/* msg gives msg_namelen and msg_controllen (the space reserved in each buffer); copied. */
ARING_API int aring_recvmsg_multishot(aring_loop *loop, int fd, aring_bufpool *pool,
				      const struct msghdr *msg, unsigned flags,
				      aring_recv_iter **it);
/* Pipes, sockets, eventfds and other pollable files: reads at the file position. */
ARING_API int aring_read_multishot(aring_loop *loop, int fd, aring_bufpool *pool,
				   aring_recv_iter **it);
ARING_API int aring_recv_next(aring_loop *loop, aring_recv_iter *it, struct aring_buf *buf,
			      const struct aring_opt *opt);
/*
 * Stop the request if it is armed (a cancel, then its last CQE), give every
 * queued buffer back to the pool, and free the iterator; it runs in a
 * cancelled task too. Returns 0, or -EPERM (outside a task while the
 * request is armed: nothing is freed). NULL is ignored.
 */
ARING_API int aring_recv_end(aring_loop *loop, aring_recv_iter *it);

/* ------------------------------------------------------------------ */
/*  Writer                                                               */
/* ------------------------------------------------------------------ */

/*
 * Write all len bytes to fd, retrying short writes (at the file position:
 * offset -1). Returns len, or -errno of the first failing write (bytes before
 * it were written). opt applies to each write.
 */
ARING_API int aring_write_all(aring_loop *loop, int fd, const void *buf, size_t len,
			      const struct aring_opt *opt);

/*
 * As aring_write_all, with send(2) on a socket (flags: MSG_NOSIGNAL, ...):
 * the socket's own path, cheaper than a write through the file layer.
 */
ARING_API int aring_send_all(aring_loop *loop, int fd, const void *buf, size_t len, int flags,
			     const struct aring_opt *opt);

/*
 * printf to fd through the ring, retrying short writes. Output of up to
 * 4 KiB is formatted on the task's stack (no heap); longer output goes
 * through one heap buffer. Returns bytes written or -errno (-EINVAL for a
 * bad format, -ENOMEM).
 */
ARING_API int aring_printf(aring_loop *loop, int fd, const char *fmt, ...) ARING_PRINTF(3, 4);
ARING_API int aring_vprintf(aring_loop *loop, int fd, const char *fmt, va_list ap);

/* ------------------------------------------------------------------ */
/*  Cooperating tasks: channels, mutex, condition, semaphore, wait group */
/* ------------------------------------------------------------------ */

/*
 * Tasks of one loop coordinate without threads, locks or the kernel. These
 * objects belong to one loop: never share one between loops (threads).
 *
 * Every call that can wait takes opt (NULL = none): opt->timeout_ns bounds
 * the wait (-ETIME); opt->id receives an id for aring_cancel, which ends the
 * wait with -ECANCELED (aring_cancel returns 0), or 0, an id that matches
 * nothing, when the call returned without waiting; opt->cqe_flags, if set,
 * receives 0; opt->sqe_flags must be 0 (-EINVAL); opt->flags may hold
 * ARING_OPT_LINKED_TIMEOUT, which changes nothing for a wait. A wait's
 * timeout is a deadline kept by the loop, which keeps one IORING_OP_TIMEOUT
 * on the ring for the earliest deadline of all, so on the sim it runs on
 * virtual time; a wait submits nothing of its own. Waiters wait in FIFO order and are
 * served in that order. Nothing is allocated per wait (the waiter's record
 * is on its own stack).
 *
 * Every call that can wait returns -EPERM outside a task, and -ECANCELED at
 * once, whether or not it would have had to wait, in a task that was
 * cancelled (aring_task_cancel); the try_ calls and the calls that never
 * wait (unlock, signal, release, done, close) work as usual there, so a
 * cancelled task can clean up.
 *
 * The structs are declared here so that they can be embedded (no heap);
 * their fields are private. All-zero memory is a valid initial state, as is
 * the _init call. An object must not be moved or freed while tasks wait on
 * it. Tasks that wait with no timeout and that nothing can wake make
 * aring_run return -EDEADLK; the objects they wait on then point into their
 * stacks, so after aring_loop_free only freeing them is safe (not close,
 * unlock, signal, ...).
 */

struct aring__waiter;
/* Private: a FIFO of waiting tasks (core/wait.c). */
struct aring__waitq {
	struct aring__waiter *head, *tail;
};

/*
 * Channels: a FIFO of fixed-size messages between tasks of one loop.
 * capacity 0 is a rendezvous: a send waits until a receiver takes the
 * message. msg_size 0 makes a channel of events (msg may be NULL). A
 * channel made by aring_chan_new is freed with aring_chan_free; one set up
 * by aring_chan_init lives in the caller's memory (all-zero memory is a
 * rendezvous channel of empty messages).
 */
typedef struct aring_chan aring_chan;
struct aring_chan {
	unsigned char *buf;        /* capacity * msg_size bytes */
	size_t msg_size, capacity;
	size_t head, count;        /* the buffered messages */
	struct aring__waitq sendq, recvq;
	uint8_t closed;
	uint8_t allocated;         /* by aring_chan_new */
};

/* The largest msg_size * capacity of a channel's buffer. */
#define ARING_CHAN_MAX_BYTES ((size_t)1 << 30)

/*
 * Make a channel: *ch gets it. Returns 0, -EINVAL (loop or ch NULL,
 * msg_size * capacity overflows or exceeds ARING_CHAN_MAX_BYTES), -ENOMEM.
 */
ARING_API int aring_chan_new(aring_loop *loop, size_t msg_size, size_t capacity, aring_chan **ch);

/*
 * Set up a channel in the caller's memory, with buf (capacity * msg_size
 * bytes, owned by the caller; may be NULL when that is 0) as its buffer.
 * Returns 0, -EINVAL (ch NULL, buf NULL with a non-empty buffer, size over
 * ARING_CHAN_MAX_BYTES or overflowing).
 */
ARING_API int aring_chan_init(aring_chan *ch, size_t msg_size, size_t capacity, void *buf);

/*
 * Free a channel made by aring_chan_new (a channel from aring_chan_init is
 * only checked: its memory is the caller's). NULL is ignored. Freeing a
 * channel that tasks still wait on is a misuse that would leave them
 * pointing at freed memory: it prints "aring_chan_free: tasks still wait on
 * the channel" to stderr and aborts. Close it and let the waiters return
 * first.
 */
ARING_API void aring_chan_free(aring_chan *ch);

/*
 * Send one message (msg_size bytes copied from msg): to a waiting receiver,
 * else into the buffer, else wait for room (or, capacity 0, for a
 * receiver). Returns 0 (sent), -EPIPE (the channel is closed, or was closed
 * while waiting), -ETIME, -ECANCELED (not sent), -EINVAL (ch NULL, msg NULL
 * with msg_size > 0, bad opt), -EPERM (outside a task), -ENOMEM (the id
 * table could not grow).
 */
ARING_API int aring_chan_send(aring_loop *loop, aring_chan *ch, const void *msg,
			      const struct aring_opt *opt);

/*
 * Receive one message into msg (msg_size bytes), oldest first. A closed
 * channel still gives what it buffered. Returns 0, -EPIPE (closed and
 * drained), -ETIME, -ECANCELED (nothing received), -EINVAL, -EPERM, -ENOMEM.
 */
ARING_API int aring_chan_recv(aring_loop *loop, aring_chan *ch, void *msg,
			      const struct aring_opt *opt);

/* As aring_chan_send without waiting: 0, -EAGAIN (full, no receiver), -EPIPE, -EINVAL. */
ARING_API int aring_chan_try_send(aring_loop *loop, aring_chan *ch, const void *msg);

/* As aring_chan_recv without waiting: 0, -EAGAIN (empty, no sender), -EPIPE, -EINVAL. */
ARING_API int aring_chan_try_recv(aring_loop *loop, aring_chan *ch, void *msg);

/*
 * Close the channel: later sends give -EPIPE, receives drain the buffer and
 * then give -EPIPE. Every task waiting on it (senders and receivers) returns
 * -EPIPE. Closing twice, or NULL, does nothing.
 */
ARING_API void aring_chan_close(aring_loop *loop, aring_chan *ch);

/*
 * Mutex: one owner task at a time. Unlocking with waiters hands the mutex to
 * the first of them (FIFO, no barging). A mutex held by a task that was
 * cancelled stays held until that task unlocks it (on its error path): a
 * cancel never releases a lock behind the owner's back, and a task that
 * returns holding a mutex leaves it held for good.
 */
struct aring_mutex {
	aring_task *owner;
	struct aring__waitq waiters;
};

ARING_API void aring_mutex_init(struct aring_mutex *m);

/*
 * Lock m, waiting if another task holds it. Returns 0, -EDEADLK (the caller
 * holds it), -ETIME, -ECANCELED (not locked), -EINVAL (m NULL, bad opt),
 * -EPERM (outside a task), -ENOMEM.
 */
ARING_API int aring_mutex_lock(aring_loop *loop, struct aring_mutex *m, const struct aring_opt *opt);

/* Lock m if it is free: 0, -EBUSY (held, by the caller too), -EINVAL, -EPERM (outside a task). */
ARING_API int aring_mutex_trylock(aring_loop *loop, struct aring_mutex *m);

/* Unlock m: 0, -EPERM (the caller does not hold it, or outside a task), -EINVAL. */
ARING_API int aring_mutex_unlock(aring_loop *loop, struct aring_mutex *m);

/* Condition variable, used with an aring_mutex. */
struct aring_cond {
	struct aring__waitq waiters;
};

ARING_API void aring_cond_init(struct aring_cond *c);

/*
 * Unlock m, wait for aring_cond_signal/broadcast, lock m again. m is held
 * again on every return, also -ETIME and -ECANCELED (relocking waits without
 * a timeout and is not cancellable). Returns 0, -ETIME, -ECANCELED,
 * -EPERM (the caller does not hold m; outside a task), -EINVAL (c or m
 * NULL, bad opt), -ENOMEM. As with any condition variable, recheck the
 * predicate after it returns.
 */
ARING_API int aring_cond_wait(aring_loop *loop, struct aring_cond *c, struct aring_mutex *m,
			      const struct aring_opt *opt);

/* Wake the longest-waiting task of c, if any. */
ARING_API void aring_cond_signal(aring_loop *loop, struct aring_cond *c);

/* Wake every task waiting on c. */
ARING_API void aring_cond_broadcast(aring_loop *loop, struct aring_cond *c);

/* Counting semaphore. */
struct aring_sem {
	uint64_t value;
	struct aring__waitq waiters;
};

ARING_API void aring_sem_init(struct aring_sem *s, uint64_t value);

/*
 * Take one unit, waiting while the value is 0. Returns 0, -ETIME,
 * -ECANCELED (nothing taken), -EINVAL, -EPERM (outside a task), -ENOMEM.
 */
ARING_API int aring_sem_acquire(aring_loop *loop, struct aring_sem *s, const struct aring_opt *opt);

/* Take one unit if there is one: 0, -EAGAIN, -EINVAL. */
ARING_API int aring_sem_try_acquire(aring_loop *loop, struct aring_sem *s);

/* Give one unit back: to the first waiter if any (FIFO), else value + 1 (saturating). */
ARING_API void aring_sem_release(aring_loop *loop, struct aring_sem *s);

/*
 * Wait group: a counter; aring_wg_wait returns once it is 0. It may go up
 * again afterwards and be waited on again.
 */
struct aring_wg {
	int64_t count;
	struct aring__waitq waiters;
};

ARING_API void aring_wg_init(struct aring_wg *wg);

/*
 * Add n (may be negative) to the counter; reaching 0 wakes every waiter.
 * Taking the counter below 0 is a misuse (more done than added): it prints
 * "aring_wg_add: the counter went below zero" to stderr and aborts.
 */
ARING_API void aring_wg_add(struct aring_wg *wg, int64_t n);

/* aring_wg_add(wg, -1). */
ARING_API void aring_wg_done(aring_loop *loop, struct aring_wg *wg);

/*
 * Wait until the counter is 0 (at once if it is). Returns 0, -ETIME,
 * -ECANCELED, -EINVAL, -EPERM (outside a task), -ENOMEM.
 */
ARING_API int aring_wg_wait(aring_loop *loop, struct aring_wg *wg, const struct aring_opt *opt);

/* ------------------------------------------------------------------ */
/*  Cancelling tasks, groups, signals                                   */
/* ------------------------------------------------------------------ */

/*
 * Cancel a task: the op or wait it is blocked in ends with -ECANCELED (an
 * op in the ring is cancelled by its user_data: if the kernel can no longer
 * stop it, it returns its own result; a multishot op ends), and every op or
 * wait it starts afterwards returns -ECANCELED at once without reaching the
 * ring, so the task unwinds through its ordinary error paths. aring_close
 * and aring_shutdown still run (and are not cancelled), so cleanup is
 * possible; so do the calls that never wait (see above). A task may cancel
 * itself. Cancelling twice is harmless. Callable from outside a task.
 * Returns 0, -ESRCH (the task already returned), -EINVAL (task NULL, or
 * detached: cancel it through its group).
 */
ARING_API int aring_task_cancel(aring_loop *loop, aring_task *task);

/* 1 if the running task was cancelled, else 0 (also outside a task). */
ARING_API int aring_task_cancelled(aring_loop *loop);

/*
 * A group owns the tasks spawned into it (detached from the caller: they
 * are freed when they return). Cancel a server's connection tasks and its
 * acceptor with aring_group_cancel, wait with aring_group_wait, then free.
 */
typedef struct aring_group aring_group;

/* Make a group of loop: 0, -EINVAL (NULL argument), -ENOMEM. */
ARING_API int aring_group_new(aring_loop *loop, aring_group **group);

/*
 * Start fn(loop, arg) as a task of the group (also from a task of the group
 * itself). Returns 0, -EINVAL (group or fn NULL), -ENOMEM, -ECANCELED (the
 * group was cancelled: nothing started, arg is still the caller's).
 */
ARING_API int aring_group_spawn(aring_group *group, aring_fn fn, void *arg);

/*
 * Cancel every task of the group (aring_task_cancel) and refuse new ones.
 * Callable from any task or from outside a task; NULL is ignored.
 */
ARING_API void aring_group_cancel(aring_loop *loop, aring_group *group);

/*
 * Wait until every task of the group has returned (at once if none is
 * left). Returns 0, -ETIME, -ECANCELED, -EDEADLK (the caller is a task of
 * the group), -EINVAL (group NULL or of another loop, bad opt), -EPERM
 * (outside a task), -ENOMEM.
 */
ARING_API int aring_group_wait(aring_loop *loop, aring_group *group, const struct aring_opt *opt);

/*
 * Free a group whose tasks have all returned. NULL is ignored. Freeing a
 * group with tasks still running is a misuse (they would point at freed
 * memory): it prints "aring_group_free: the group still has running tasks"
 * to stderr and aborts. Cancel and wait first.
 */
ARING_API void aring_group_free(aring_group *group);

/*
 * Wait for one of the signals in set and return its number. On uring it
 * blocks those signals for the calling thread (they stay blocked when it
 * returns, so a signal that arrives between two waits stays pending for the
 * next) and reads a signalfd through the ring; block them yourself early
 * (pthread_sigmask) if one may arrive before the first wait, or its default
 * action runs. When several are pending, the kernel's order applies (lowest
 * number first). On the sim the thread's real mask is left alone: signals
 * come from aring_sim_signal(), pending ones are taken lowest number first.
 * Returns the signal number, -ETIME, -ECANCELED, -EFAULT (set NULL),
 * -EINVAL (set empty, or holds SIGKILL or SIGSTOP, which cannot be waited
 * for; bad opt), -EPERM (outside a task), or the -errno of pthread_sigmask,
 * signalfd or the read.
 */
ARING_API int aring_signal_wait(aring_loop *loop, const sigset_t *set, const struct aring_opt *opt);

/* ------------------------------------------------------------------ */
/*  Threads and blocking work                                           */
/* ------------------------------------------------------------------ */

struct addrinfo;

/*
 * Start fn(target, arg) as a detached task on target, from any thread,
 * inside a task (of target or of another loop) or not. One loop per thread:
 * the task runs on target's thread; a task never migrates.
 *
 * - From a task of target (or its own thread while aring_run runs it): an
 *   ordinary detached spawn; it runs at the next scheduling point.
 * - uring target, from any other thread: an IORING_OP_MSG_RING posts a CQE
 *   into target's ring (user_data in aring's reserved range, the address of
 *   a heap record), submitted through a small ring the calling thread keeps
 *   (made on its first post, freed when it exits) and completed before the
 *   call returns. target wakes from io_uring_enter for it and starts the
 *   task; posts from one thread start in the order they were made. A post
 *   that comes while target is between runs starts at its next aring_run.
 * - sim target: only from the thread that made it (a task of any loop of
 *   that thread, or between runs): an ordinary spawn, deterministic. From
 *   another thread: -EINVAL (the sim is single-threaded).
 * - A backend without a kernel ring other than the sim: -EOPNOTSUPP.
 *
 * Loops being freed: every loop is registered from aring_loop_new until
 * aring_loop_free begins; a post to a loop that is not (being freed or
 * freed) returns -ESHUTDOWN and touches nothing of it. A post that returned
 * 0 before aring_loop_free began is dropped unrun if the task has not
 * started by then (arg is then not freed by aring: own it elsewhere). The
 * caller guarantees only that no new loop has been made at a freed loop's
 * address while it may still post to the old pointer.
 *
 * A loop whose tasks are all blocked with nothing in the ring returns
 * -EDEADLK from aring_run; a loop that waits for posts from other threads
 * uses aring_loop_hold.
 *
 * Returns 0, -EINVAL (target or fn NULL; sim from another thread),
 * -ESHUTDOWN, -ENOMEM, -EOPNOTSUPP, or the -errno of io_uring_queue_init
 * (the thread's ring) or of the MSG_RING (kernel io_uring/msg_ring.c:
 * -EOVERFLOW when target's CQ could not take the CQE).
 */
ARING_API int aring_loop_post(aring_loop *target, aring_fn fn, void *arg);

/*
 * Add delta to loop's hold count. While it is above 0, aring_run does not
 * give -EDEADLK when every task is blocked and nothing is in the ring: it
 * waits for posts (aring_loop_post) from other threads. aring_run still
 * returns 0 once every task has returned. Any thread may call it. On the
 * sim nothing from outside can come: the run gives -EDEADLK anyway.
 * Returns the new count, or -EINVAL (loop NULL, or the count would go
 * below 0: then unchanged).
 */
ARING_API int aring_loop_hold(aring_loop *loop, int delta);

/*
 * Run fn(arg) on a worker thread and return its result; the calling task
 * suspends meanwhile and the loop keeps running its other tasks. Each loop
 * has its own pool of at most aring_loop_opts.offload_threads workers
 * (default 4), started on the first offload and grown while work waits;
 * aring_loop_free stops them (after what they run has returned). Work
 * beyond the pool waits in FIFO order.
 *
 * Cancel (aring_task_cancel, aring_cancel of *opt->id) and opt->timeout_ns
 * end the call with -ECANCELED / -ETIME only while fn has not started: it is
 * then never run. Once a worker started fn, the call waits for it to return
 * whatever comes (as the kernel's io-wq does with work that has started),
 * and returns fn's result. So nothing on the task's stack (arg may point
 * there) is touched once the call returned. fn must not call aring.
 *
 * On the sim there are no threads: the call waits a virtual latency of
 * 1 us to 1 ms drawn from the seed (a ring timeout, so it may be cancelled;
 * an opt->timeout_ns no longer than the latency ends it with -ETIME at that
 * virtual time), fn never running then; else fn runs on the loop's thread.
 *
 * Returns fn's result, or -EPERM (outside a task), -EINVAL (loop or fn
 * NULL, opt->sqe_flags set), -ECANCELED, -ETIME, -ENOMEM, -EAGAIN (no
 * worker thread could be started), -EOPNOTSUPP (a backend other than the
 * sim without a kernel ring: the work could not come back).
 */
ARING_API int aring_offload(aring_loop *loop, int (*fn)(void *arg), void *arg,
			    const struct aring_opt *opt);

/*
 * getaddrinfo(3) on the offload pool (aring_offload: cancel and timeout
 * as there). On success *res holds the list (free it with freeaddrinfo)
 * and 0 is returned; on failure *res is NULL and the EAI_* code maps to:
 * EAI_NONAME -ENOENT, EAI_NODATA -ENODATA, EAI_ADDRFAMILY -EADDRNOTAVAIL,
 * EAI_AGAIN -EAGAIN, EAI_FAIL -EIO, EAI_MEMORY -ENOMEM, EAI_FAMILY
 * -EAFNOSUPPORT, EAI_SOCKTYPE -ESOCKTNOSUPPORT, EAI_SERVICE -ESRCH,
 * EAI_BADFLAGS -EINVAL, EAI_OVERFLOW -EOVERFLOW, EAI_SYSTEM the -errno,
 * others -EIO. Also -EINVAL (res NULL, node and service both NULL) and
 * aring_offload's errors.
 *
 * On the sim, no DNS and no file is read: "localhost" is 127.0.0.1 (::1
 * with hints->ai_family AF_INET6), a numeric address is itself
 * (AI_NUMERICHOST); any other name is a node of the loop's world
 * (aring_sim_node_new's name, through aring_sim_resolve), else -ENOENT.
 */
ARING_API int aring_getaddrinfo(aring_loop *loop, const char *node, const char *service,
				const struct addrinfo *hints, struct addrinfo **res,
				const struct aring_opt *opt);

#ifdef __cplusplus
}
#endif
#endif /* ARING_H */
