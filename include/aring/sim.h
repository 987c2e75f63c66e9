/* SPDX-License-Identifier: MIT */
/*
 * aring's deterministic simulated ring: seed, faults, virtual clock, trace.
 * Select it with aring_loop_opts.backend = ARING_BACKEND_SIM.
 */
#ifndef ARING_SIM_H
#define ARING_SIM_H

#include <aring.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Words of struct aring_sim_opts.missing_ops: a bit for each of the 256 SQE opcodes. */
#define ARING_SIM_OPS_WORDS 4
/* Mark opcode op missing in a struct aring_sim_opts *so. */
#define ARING_SIM_OP_MISSING(so, op) \
	((so)->missing_ops[(unsigned)(op) / 64 % ARING_SIM_OPS_WORDS] |= 1ull << ((unsigned)(op) % 64))

struct aring_sim_opts {
	uint64_t seed;             /* 0 = take ARING_SIM_SEED from the environment, else 1 */
	uint32_t timeout_ppm;      /* per op with a timeout (opt->timeout_ns), ppm:
	                              hold it until its timeout fires */
	uint32_t cancel_ppm;       /* end it with -ECANCELED / -EINTR as a kernel may */
	uint32_t short_ppm;        /* a read/write/send/recv moves fewer bytes than asked */
	uint32_t error_ppm;        /* fail it with an errno that op can really return */
	uint64_t latency_min_ns, latency_max_ns;  /* per-op virtual latency */
	/*
	 * Ends aring_run (a lone sim loop) and aring_sim_world_run with
	 * -ETIMEDOUT once virtual time would pass ARING_SIM_START_NS +
	 * time_limit_ns (the clock stops there). 0 = no limit.
	 */
	uint64_t time_limit_ns;
	uint32_t flags;            /* ARING_SIM_LOW_FDS (ARING_SIM_HIGH_FDS); others -EINVAL */
	/*
	 * Scheduling shuffle: per batch of ready tasks, with this probability
	 * the batch runs in a seed-chosen order instead of FIFO (sim loops only).
	 */
	uint32_t shuffle_ppm;
	/*
	 * Faults of the ring itself (sim/fault.c's ring part, sim/backend.c):
	 * - cancel_race_ppm: a cancel (async cancel, a linked timeout, a task
	 *   cancel) of an op still in its issue latency loses the race with its
	 *   completion: the cancel gets -EALREADY (kernel io_uring/cancel.c, an
	 *   io-wq request already running) and the op completes at once with
	 *   its own result.
	 * - sq_full_ppm: per submission, the SQ stays full for the next 1 to 16
	 *   submissions: each takes no SQE and returns -EAGAIN, as
	 *   io_uring_enter(2) does when it lacks the resources to take them
	 *   ("wait for some completions and try again").
	 * - cq_pressure_ppm: per submission, the CQ behaves as if it had only 1
	 *   to 8 entries (a ring set up with a small
	 *   IORING_SETUP_CQSIZE): the rest of the CQEs wait in the overflow
	 *   list (IORING_FEAT_NODROP), never lost, in order.
	 * Each hit is a fault decision (ARING_SIM_FAULT_CANCEL_RACE, _SQ_FULL,
	 * _CQ_PRESSURE); suppressed, the cancel wins as usual, the SQ takes
	 * the SQEs, the CQ keeps its size. The same for shuffle_ppm
	 * (ARING_SIM_FAULT_SHUFFLE): suppressed, the batch runs in FIFO order.
	 */
	uint32_t cancel_race_ppm;
	uint32_t sq_full_ppm;
	uint32_t cq_pressure_ppm;
	/*
	 * The network between nodes of a world (sim/netsim.c). Each directed
	 * link (a -> b) gets one latency drawn from the seed in
	 * [net_latency_min_ns, net_latency_max_ns] the first time it carries
	 * data. At each segment's delivery: with net_reset_ppm the connection
	 * is reset (both ends see -ECONNRESET, the data in flight is lost);
	 * with net_clog_ppm the segment, and everything behind it on that
	 * connection, is held for a while drawn in [net_clog_min_ns,
	 * net_clog_max_ns]. Within a connection nothing is ever delivered twice
	 * or out of order.
	 */
	uint64_t net_latency_min_ns, net_latency_max_ns;
	uint32_t net_reset_ppm;
	uint32_t net_clog_ppm;
	uint64_t net_clog_min_ns, net_clog_max_ns;
	/*
	 * Disk faults (each 0 by default; ppm at most 1000000, else
	 * aring_loop_new gives -EINVAL):
	 * - disk_read_error_ppm: per read of a regular file, one 512-byte
	 *   sector of the range read goes bad. A read that reaches a bad sector
	 *   stops short before it, or fails with -EIO if it starts in it; the
	 *   sector stays bad until a write touches it.
	 * - disk_fsync_error_ppm: per fsync/fdatasync of a regular file, -EIO;
	 *   every change of the file not yet durable is then gone (reads see
	 *   the durable data; Linux drops the dirty pages after a writeback
	 *   error), and the next fsync of that file succeeds.
	 * - disk_nospace_ppm: per write to a regular file, and per fallocate
	 *   that allocates: -ENOSPC.
	 * - disk_size_bytes: the node's disk; file data past it (4 KiB pages)
	 *   gives -ENOSPC. 0: 512 MiB.
	 */
	uint32_t disk_read_error_ppm;
	uint32_t disk_fsync_error_ppm;
	uint32_t disk_nospace_ppm;
	uint64_t disk_size_bytes;
	/*
	 * The simulated kernel's profile (0: today's kernel, every op there):
	 * - missing_ops: opcodes the kernel lacks, as an older kernel would: bit
	 *   (op % 64) of missing_ops[op / 64] (ARING_SIM_OP_MISSING() sets it).
	 *   An SQE with such an opcode completes -EINVAL, as io_init_req()
	 *   answers an opcode at or past its IORING_OP_LAST, aring_op_supported()
	 *   gives 0 (the kernel's probe does not list it), and the wrappers that
	 *   fall back to a system call without the op (aring_bind, aring_listen,
	 *   aring_pipe) run the sim's model of that system call (never a real
	 *   one). The ring's own ops (nop, timeouts, cancel: Linux 5.5) cannot
	 *   be missing: aring_loop_new gives -EINVAL.
	 * - uring_errno: io_uring unavailable: io_uring_setup(2) would fail
	 *   with this -errno (-ENOSYS: a kernel without io_uring; -EPERM:
	 *   seccomp or sysctl kernel.io_uring_disabled; -ENOMEM: RLIMIT_MEMLOCK
	 *   before 5.12). 0: available. See "The backend the program asked for"
	 *   below.
	 */
	uint64_t missing_ops[ARING_SIM_OPS_WORDS];
	int32_t uring_errno;
};

/*
 * aring_loop_new() refuses (-EINVAL) sim options with a ppm above 1000000,
 * latency_min_ns > latency_max_ns, or latency_max_ns above this bound (one
 * day of virtual time per op), so virtual time can never overflow.
 */
#define ARING_SIM_MAX_LATENCY_NS (86400ull * 1000000000ull)

/*
 * The simulator in brief (details in the sim/ sources):
 * - Virtual time starts at ARING_SIM_START_NS and moves only when every task
 *   is blocked, straight to the next event. aring_now_ns() reads it.
 * - io_uring's own rules (SQ-order issue, links, drain, CQE skip, timeouts,
 *   cancel, the CQ) are the soft ring's, as the kernel's: nop, timeout,
 *   link_timeout, timeout_remove/update and cancel complete inline with no
 *   latency, as in the kernel. Every other op completes after a latency
 *   drawn in [latency_min_ns, latency_max_ns] (both 0 by default: inline, in
 *   SQ order). Ops due at the same later instant complete in a seed-chosen
 *   order. Timers fire exactly on time.
 * - seed 0 takes ARING_SIM_SEED from the environment (decimal or 0x hex),
 *   else 1. ARING_SIM_TRACE=1 prints every SQE and CQE to stderr.
 * - The CQ holds twice the SQ entries; CQEs beyond go to an overflow list and
 *   are never lost (IORING_FEAT_NODROP); submit still takes SQEs meanwhile,
 *   as the kernel's does.
 * - The world has the kernel's limits and answers: up to 1,048,576 fds per
 *   loop (nr_open; lowest free first, -EMFILE beyond); any number of files,
 *   sockets and names, looked up by hash; ephemeral ports 32768-60999 (at
 *   most 28,232 sockets hold one at a time, -EADDRINUSE beyond).
 * - User memory: an address below 64 KiB (vm.mmap_min_addr) or a range past
 *   the x86-64 user limit gives -EFAULT where the kernel's copy would fault
 *   (iovecs, msghdrs, paths, timespecs, socket addresses, statx buffers,
 *   pipe fds); any other address must be valid memory. iovecs and msghdrs
 *   are checked at submit as the kernel's prep does (UIO_MAXIOV 1024:
 *   readv/writev -EINVAL, sendmsg/recvmsg -EMSGSIZE; a negative length
 *   -EINVAL); a copy that faults leaves pipe and socket data unread.
 * - Files: a directory removed while open stays usable as a dfd (its ".."
 *   too) and refuses new names with -ENOENT; a lookup follows at most 40
 *   symlinks (-ELOOP beyond) without recursion, so a 16 KiB task stack is
 *   enough. poll on a regular file or directory completes at once with the
 *   ready bits asked for (POLLIN/POLLOUT), -EINVAL if none or with
 *   IORING_POLL_ADD_LEVEL, as the kernel answers for a file with no wait
 *   queue.
 * - Virtual time saturates at UINT64_MAX; a zero-interval multishot timeout
 *   repeats every 1 ns (hrtimer resolution).
 * - Not modelled (complete with -EOPNOTSUPP): the opcodes docs/ops.md
 *   lists without "sim" (generated from core/opdef.c); datagram sockets
 *   and O_TMPFILE. A sim loop has no children (waitid: -ECHILD), no zcrx
 *   queue (recv_zc: -EINVAL), and a ring fd only through aring_sim_ring_fd.
 */
#define ARING_SIM_START_NS 1000000000ull

/*
 * The backend the program asked for. The sim stands in for the kernel, so
 * what a program gets depends on what it asked of aring_loop_new:
 * - ARING_BACKEND_AUTO (a lone loop made with AUTO and ARING_BACKEND=sim;
 *   a node whose opts->backend is AUTO, the default) and ARING_BACKEND_SIM
 *   (taken as AUTO): with uring_errno set, the choice core/loop.c makes for
 *   a real AUTO loop (the same function decides) falls back to epoll for
 *   -EPERM, -ENOSYS and -ENOMEM: the loop then behaves as the epoll
 *   backend would: aring_loop_backend() gives ARING_BACKEND_EPOLL, only
 *   the ops backends/epoll.c runs are there (aring_op_supported; any other
 *   SQE completes -EOPNOTSUPP, as the epoll backend's), missing_ops do not
 *   matter (no kernel ring), and aring_loop_post / aring_offload give
 *   -EOPNOTSUPP. Any other uring_errno fails aring_loop_new with it, as
 *   the real AUTO does.
 * - ARING_BACKEND_URING (a node's opts->backend): with uring_errno set,
 *   aring_sim_node_new fails with it, as the real aring_loop_new would.
 * - ARING_BACKEND_EPOLL (a node's opts->backend): the loop behaves as the
 *   epoll backend, whatever uring_errno.
 * It is still a sim loop (virtual time, faults, aring_sim_* calls).
 */

/*
 * Simulated fds other than 0, 1 and 2 are numbered from ARING_SIM_FD_BASE
 * (lowest free first, as the kernel does, counted from there), on a lone
 * sim loop and on every node of a world: no real fd can have such a number
 * (the kernel's fs.nr_open is 1 << 20 unless raised), so a real system call
 * made on a sim fd by mistake (write(2), fstat(2), close(2) ...) fails with
 * EBADF instead of reaching some real file.
 *
 * ARING_SIM_LOW_FDS in aring_sim_opts.flags numbers them 3, 4, ... as the
 * kernel would, for a program that indexes a table by fd (an array of
 * FD_SETSIZE or of the process's RLIMIT_NOFILE entries), which the high
 * numbers would overflow. ARING_SIM_HIGH_FDS, once the way to ask for
 * high numbers, is now the default and changes nothing; with both flags,
 * ARING_SIM_LOW_FDS wins.
 */
#define ARING_SIM_FD_BASE (1u << 20)
#define ARING_SIM_HIGH_FDS (1u << 0)
#define ARING_SIM_LOW_FDS (1u << 1)
#define ARING_SIM_FLAGS_ALL (ARING_SIM_HIGH_FDS | ARING_SIM_LOW_FDS)

/*
 * Digest of every SQE accepted and CQE posted so far (no pointers). 0 on
 * uring. On a node of a world: the whole world's (aring_sim_world_trace_hash).
 */
ARING_API uint64_t aring_sim_trace_hash(aring_loop *loop);

/* The seed the loop runs with (after the ARING_SIM_SEED fallback). 0 on uring. */
ARING_API uint64_t aring_sim_seed(aring_loop *loop);

/* What the simulator did and injected so far. */
struct aring_sim_stats {
	uint64_t ops;               /* SQEs accepted */
	uint64_t cqes;              /* CQEs posted */
	uint64_t cq_overflows;      /* CQEs that waited in the overflow list */
	uint64_t inflight;          /* requests accepted and not completed */
	uint64_t timeouts_injected; /* ops held until their timeout fired */
	uint64_t cancels_injected;  /* ops ended with -ECANCELED / -EINTR */
	uint64_t shorts_injected;   /* short transfers */
	uint64_t errors_injected;   /* injected errnos */
	uint64_t cancel_races;      /* cancels answered -EALREADY by cancel_race_ppm */
	uint64_t sq_full_injected;  /* submissions refused with -EAGAIN by sq_full_ppm */
	uint64_t cq_pressure_injected; /* submissions run with a shrunken CQ */
};

/* Fill *stats. 0, or -EINVAL (not a sim loop, stats NULL). */
ARING_API int aring_sim_stats(aring_loop *loop, struct aring_sim_stats *stats);

/*
 * Feed the program's stdin (fd 0): queue up to len bytes, waking readers.
 * Returns the bytes queued (fewer than len when the 1 MiB pipe is full),
 * -EPIPE if the program closed fd 0, -EINVAL (not a sim loop, stdin closed),
 * -ENOMEM (the pipe's buffer, allocated at the first write, could not be).
 */
ARING_API int aring_sim_stdin_write(aring_loop *loop, const void *buf, size_t len);
/* Close the sim's end of stdin: the program reads EOF. 0 or -EINVAL. */
ARING_API int aring_sim_stdin_close(aring_loop *loop);
/*
 * Take up to len bytes the program wrote to stdout (fd 1) / stderr (fd 2).
 * Returns the bytes copied (0: nothing there), or -EINVAL.
 */
ARING_API int aring_sim_stdout_read(aring_loop *loop, void *buf, size_t len);
ARING_API int aring_sim_stderr_read(aring_loop *loop, void *buf, size_t len);

/*
 * getsockname(2)/getpeername(2) for a sim socket fd (not an io_uring op):
 * copies up to *addrlen bytes of the address and sets *addrlen to its size.
 * Returns 0, -EBADF, -ENOTSOCK, -ENOTCONN (peer of an unconnected socket),
 * -EFAULT, -EINVAL (not a sim loop).
 */
ARING_API int aring_sim_getsockname(aring_loop *loop, int fd, struct sockaddr *addr,
				    socklen_t *addrlen);
ARING_API int aring_sim_getpeername(aring_loop *loop, int fd, struct sockaddr *addr,
				    socklen_t *addrlen);

/*
 * Raise signal sig on a sim loop (node): the first task in aring_signal_wait
 * whose set holds it (FIFO) returns sig; with none, it stays pending (once,
 * as a standard signal) until a wait takes it. Nothing else happens: the sim
 * has no default actions. Callable from a task or between runs.
 * Returns 0, -EINVAL (not a sim loop; sig not in 1..64, SIGKILL, SIGSTOP).
 */
ARING_API int aring_sim_signal(aring_loop *node, int sig);

/*
 * List a directory of a sim loop's file system (there is no getdents op in
 * io_uring): fn(arg, name, d_type) for each name in path (relative to dfd
 * as openat resolves it, following symlinks), in the order the names were
 * made, without "." and ".."; d_type is DT_REG, DT_DIR or DT_LNK. fn must
 * not change the directory; a non-zero return from fn stops the listing
 * and is returned. Not an op: no SQE, no virtual time, no fault.
 * Returns the number of names, fn's non-zero value, or -ENOENT, -ENOTDIR,
 * -EACCES (no read permission), -EBADF (dfd), -EFAULT (path),
 * -ENAMETOOLONG, -ELOOP, -EINVAL (not a sim loop, fn NULL).
 */
typedef int (*aring_sim_dirent_fn)(void *arg, const char *name, unsigned char d_type);
ARING_API int aring_sim_readdir(aring_loop *loop, int dfd, const char *path,
				aring_sim_dirent_fn fn, void *arg);

/* ---------------------------------------------------------------- crashes */

/*
 * Durability, as a crash sees it (details in sim/disk.c):
 * - A write (or a truncate, or a fallocate) to a regular file is durable
 *   once an fsync or fdatasync of the file completed after it; a write on
 *   an fd opened O_DSYNC or O_SYNC (or with RWF_DSYNC, RWF_SYNC) is
 *   durable when it completes. A
 *   sync_file_range with SYNC_FILE_RANGE_WRITE | SYNC_FILE_RANGE_WAIT_AFTER
 *   makes the data of writes within its range (len 0: to the end) durable,
 *   but not the file's size (Linux writes no metadata for it).
 * - A namespace change (create, mkdir, symlink, link, unlink, rmdir,
 *   rename) is durable once an fsync of a directory it changed completed
 *   after it (the strict rule: the new file's own fsync is not enough).
 *   An fsync of a directory also makes every namespace change before its
 *   last one durable (a journal commits in order). A rename is atomic.
 * - At a crash, each change that is not durable is lost, kept, or (a
 *   write) torn at 512-byte sector boundaries (each sector of it kept or
 *   not), each with probability 1/3, replayed in order; each namespace
 *   change is kept or undone (1/2 each). A name that was durable names
 *   its old or its new file after a crash, never nothing. Files no longer
 *   reachable from "/" are gone. All drawn from the seed.
 * - Each outcome that loses something is a fault decision (below): a lost
 *   change ARING_SIM_FAULT_CRASH_LOST, a torn write ARING_SIM_FAULT_CRASH_TORN
 *   (one per unsynced change of each file), an undone namespace change
 *   ARING_SIM_FAULT_CRASH_UNDONE. The no-fault outcome keeps the change,
 *   as if it had been flushed before the power went: a suppressed loss,
 *   tear or undo is kept (and draws the same random numbers). So a crash
 *   with every outcome suppressed loses nothing but the processes.
 */

/*
 * Crash a node (a lone sim loop is a node): its process dies.
 * - Every task of the node ends where it stands: none of its code runs
 *   again, its stack is freed; a handle to it is stale (aring_join gives
 *   -ESRCH until a new task reuses the stack: drop such handles). Waits it
 *   was in are left, with its group; objects it shared with other nodes'
 *   tasks (channels, locks) stay usable by them. Called from a task of the
 *   node itself (a lone loop's controller), every other task ends and the
 *   caller goes on, as a harness outside the process would.
 * - Every request of its ring is dropped (no CQE reaches anyone); an SQE
 *   queued and not yet submitted is issued first, so a write the program
 *   handed over may land in the page cache before the power goes.
 * - Every fd is closed. A connection to another node is reset: that
 *   node's end gets -ECONNRESET at its next op (what was in flight is
 *   lost). A connection within the node ends as by close. Pipes go too
 *   (fds 0, 1, 2: what the program wrote to stdout and was not read is
 *   gone).
 * - Its disk keeps what was durable plus a seed-chosen part of the rest.
 * - Then the node is down with a fresh fd table (0, 1, 2 new pipes): its
 *   disk can still be inspected by ops on the loop (a controller's), and
 *   aring_sim_restart starts its program again.
 * Callable from a task of any node or between runs.
 * Returns 0, -EINVAL (not a sim loop), -EALREADY (down: crashed and not
 * restarted), -EBUSY (its scheduler is running below the caller: a run
 * nested in one of its tasks), -ENOMEM (its new fds 0, 1, 2).
 */
ARING_API int aring_sim_crash(aring_loop *node);

/*
 * Start fn(node, arg) as a new detached task on a node that crashed, on the
 * disk the crash left, and mark the node up again. It runs at the next
 * aring_run / aring_sim_world_run. Callable from a task of any node or
 * between runs.
 * Returns 0, -EINVAL (not a sim loop; fn NULL), -EALREADY (the node is up:
 * never crashed, or restarted already), -ENOMEM.
 */
ARING_API int aring_sim_restart(aring_loop *node, aring_fn fn, void *arg);
/* ---------------------------------------------------------------- faults */

/*
 * Every injected fault is a decision, made through one mechanism (sim/fault.c)
 * whatever its source: the decision is drawn from the seed, numbered in the
 * run (1, 2, ... in the order they are drawn, across every loop of the
 * process), recorded, and then takes effect unless the run suppresses it.
 * A suppressed decision draws every random number it would have drawn, so
 * the other decisions of the run stay the same as long as the program does
 * the same ops (each fault kind has its own random stream; the latencies
 * and same-instant orders share one stream for every op, so an op a
 * suppressed fault lets run can change those that follow it).
 *
 * Each decision also has an identity that does not depend on what happened
 * before it elsewhere: "<node>/<op>/<kind>/<n>" (aring_sim_fault_id), e.g.
 * "kv1/read/short/3", the n-th chance of that node's ops of that opcode at
 * that kind of fault: the 3rd read of kv1 that reached the short-transfer
 * draw. For timeout, cancel, error and short faults n counts the node's
 * ops of that opcode (each op is one chance of each kind); for a scenario
 * fault <op> is aring_sim_decide's name and n counts the calls with that
 * name on that node ("kv1/crash/scenario/2"); for every other source n
 * counts that node's decisions of that kind at that op ("-" for none, and
 * for crash outcomes). The details of a timeout, cancel, error or short
 * fault (the errno, the short length) come from the seed and the identity
 * alone, so a fault kept by identity is the same fault whatever was removed
 * before it.
 *
 * Which decisions take effect (read from the environment when the first sim
 * loop is made, and set by aring_sim_swarm in its children):
 *   ARING_SIM_KEEP=3,7       only decisions 3 and 7; every other one is
 *                            suppressed (ARING_SIM_KEEP= with no number: none)
 *   ARING_SIM_SUPPRESS=1,5   every decision but 1 and 5
 *   ARING_SIM_KEEP=kv1/crash/scenario/2,kv1/read/short/3
 *                            exactly these identities: each such chance is
 *                            a fault whether its draw hit or not (with the
 *                            details above), and no other timeout, cancel,
 *                            error, short or scenario fault is even drawn;
 *                            a fault of the other sources happens when it is
 *                            drawn and listed. The swarm's shrinking works on
 *                            identities and prints such lists.
 *   ARING_SIM_SUPPRESS=<identities>  every decision drawn but these
 * Numbers are decimal; an identity is its text; items are separated by
 * commas (a list is numbers or identities, not both; a name with a comma
 * cannot be listed); a bad list is ignored with a message on stderr.
 */
enum aring_sim_fault_kind {
	ARING_SIM_FAULT_TIMEOUT = 1, /* timeout_ppm: held until its linked timeout fired */
	ARING_SIM_FAULT_CANCEL,      /* cancel_ppm: ended with -ECANCELED / -EINTR */
	ARING_SIM_FAULT_SHORT,       /* short_ppm: moves fewer bytes than asked */
	ARING_SIM_FAULT_ERROR,       /* error_ppm: failed with detail (-errno) */
	ARING_SIM_FAULT_NET_RESET,   /* net_reset_ppm: a connection reset; detail: the
	                                sending node's index, the node is the receiver */
	ARING_SIM_FAULT_NET_CLOG,    /* net_clog_ppm: a segment held; detail: ns held */
	ARING_SIM_FAULT_DISK_READ,   /* disk_read_error_ppm: a sector of a file went bad;
	                                detail -EIO */
	ARING_SIM_FAULT_DISK_FSYNC,  /* disk_fsync_error_ppm: fsync -EIO, unsynced data dropped */
	ARING_SIM_FAULT_DISK_NOSPACE,/* disk_nospace_ppm: a write or fallocate got -ENOSPC */
	ARING_SIM_FAULT_SCENARIO,    /* aring_sim_decide: the scenario's own fault; what: its name */
	ARING_SIM_FAULT_SQ_FULL,     /* sq_full_ppm: the SQ stays full; detail: submissions refused */
	ARING_SIM_FAULT_CQ_PRESSURE, /* cq_pressure_ppm: detail: the CQ's entries for a submit */
	ARING_SIM_FAULT_CANCEL_RACE, /* cancel_race_ppm: a cancel lost the race (-EALREADY) */
	ARING_SIM_FAULT_SHUFFLE,     /* shuffle_ppm: detail: ready tasks run in a drawn order */
	ARING_SIM_FAULT_CRASH_LOST,  /* a crash lost an unsynced change; detail: inode number,
	                                what: "ino <n> @<off>+<len>" (or "zero", "size") */
	ARING_SIM_FAULT_CRASH_TORN,  /* a crash tore an unsynced write at sectors; as LOST */
	ARING_SIM_FAULT_CRASH_UNDONE,/* a crash undid an unsynced namespace change; detail: the
	                                directory's inode, what: "undo <name>" */
	ARING_SIM_FAULT_KIND_LAST    /* sources added later number from here */
};

/* The opcode of a fault that hit no op (the network's, a disk's). */
#define ARING_SIM_FAULT_NO_OP 0xffffffffu

/* A scenario fault's name: 1 to ARING_SIM_WHAT_MAX - 1 bytes. */
#define ARING_SIM_WHAT_MAX 32

/* One recorded fault decision. */
struct aring_sim_fault {
	uint64_t seq;      /* its number in the run: what ARING_SIM_KEEP=<numbers> lists */
	uint64_t time_ns;  /* virtual time of the decision */
	uint32_t kind;     /* enum aring_sim_fault_kind */
	uint32_t opcode;   /* the op it hit (IORING_OP_*) */
	int64_t detail;    /* ERROR, CANCEL: the -errno injected; NET_RESET: the
	                      sending node's index; NET_CLOG: ns held; else 0 */
	uint64_t nth;      /* the n of its identity (aring_sim_fault_id) */
	char node[64];     /* the node's name (aring_sim_node_new); "loop<n>" for
	                      the n-th loop made in the process (from 0) */
	char what[ARING_SIM_WHAT_MAX]; /* printed in the op's place when set: SCENARIO:
	                      the name aring_sim_decide was given; CRASH_*: the
	                      change ("ino 3 @40+40", "undo kv.log"); else "" */
};

/* The kind's name: "timeout-stall", "cancel", "short", "error", "net-reset",
   "net-clog", "disk-read-eio", "fsync-eio", "enospc", "scenario", "sq-full",
   "cq-pressure", "cancel-race", "shuffle", "crash-lost", "crash-torn",
   "crash-undone"; "unknown" for any other value. */
ARING_API const char *aring_sim_fault_kind_name(unsigned kind);

/*
 * Format f as one line "node, op, virtual time, fault" (no newline), e.g.
 * "fault 7: loop0, send, t=1.000213000 s, short". Returns the length
 * snprintf would give, or -EINVAL (f NULL, buf NULL with len > 0).
 */
ARING_API int aring_sim_fault_format(const struct aring_sim_fault *f, char *buf, size_t len);

/*
 * Format f's identity "<node>/<op>/<kind>/<n>" (above; no newline), e.g.
 * "kv1/read/short/3", as ARING_SIM_KEEP lists it. Returns the length
 * snprintf would give, or -EINVAL (f NULL, buf NULL with len > 0).
 */
ARING_API int aring_sim_fault_id(const struct aring_sim_fault *f, char *buf, size_t len);

/*
 * Begin a new run of fault decisions in this process: numbering from 1,
 * the decisions that take effect recorded (up to 262,144), and only those
 * numbered in keep[0..nkeep-1] taking effect (keep NULL: every one; keep
 * with nkeep 0: none). aring_sim_swarm does this in each child; a test may
 * call it between runs of its loops. Returns 0, or -EINVAL (nkeep > 0 with
 * keep NULL).
 */
ARING_API int aring_sim_faults_begin(const uint64_t *keep, size_t nkeep);

/*
 * Copy up to max of the decisions that took effect since
 * aring_sim_faults_begin (in order) to out; returns how many were recorded
 * (0 if aring_sim_faults_begin was not called), or -EINVAL (out NULL with
 * max > 0).
 */
ARING_API long aring_sim_faults_taken(struct aring_sim_fault *out, size_t max);

/*
 * A fault of the scenario itself (a controller that crashes, restarts or
 * partitions nodes), made a fault decision like the simulator's own, so
 * that shrinking can remove it: draws from node's own stream of the seed
 * whether it happens (probability ppm / 1000000; ppm 1000000: always
 * drawn as a hit), and numbers and records a hit as an
 * ARING_SIM_FAULT_SCENARIO decision of that node at the current virtual
 * time, with what (e.g. "crash", "partition kv0<->kv2") in the op's place;
 * its identity is "<node>/<what>/scenario/<n>", the n-th call with that
 * name on that node (with an identity keep list, exactly the listed calls
 * give 1, drawn or not).
 * A hit the run suppresses (ARING_SIM_KEEP, ARING_SIM_SUPPRESS, the
 * swarm's shrinking) gives 0, as if no fault was drawn: the scenario then
 * does what it does without the fault. The draw is the same either way, so
 * the rest of the run keeps its decisions; a scenario should call it at
 * the same points whether earlier calls gave 0 or 1 (do the checks that
 * depend on earlier faults, such as "is the node up", after it).
 * node may be up or down (crashed); the call is not an op (no SQE, no
 * virtual time). Callable from a task of any node or between runs.
 * Returns 1 (the fault happens), 0 (it does not), or -EINVAL (node not a
 * sim loop, what NULL, empty or ARING_SIM_WHAT_MAX bytes or longer, ppm
 * above 1000000).
 */
ARING_API int aring_sim_decide(aring_loop *node, const char *what, uint32_t ppm);

/* ---------------------------------------------------------------- the swarm */

/*
 * aring_sim_swarm runs scenario(seed, arg) for seeds first_seed ..
 * first_seed + seeds - 1, each in a forked child process: scenario builds
 * its loops (or a world) from the seed, runs them and returns 0 when its
 * invariants held. A seed fails when scenario returns non-zero, when the
 * child dies of a signal (a crash, an abort, a sanitizer report), or when it
 * runs longer than watchdog_ms of real time (a hang: the child is killed).
 * A failure never ends the run.
 *
 * Each failing seed is printed to stdout with the command that replays it:
 * the environment variables ARING_* the process has, ARING_SIM_SEED=<seed>,
 * and the process's argv. With shrink, the first failing seed is run again
 * with the recorded fault decisions; whole classes of them (every decision
 * of one kind, then of one kind at one op or scenario name) are dropped
 * while it still fails, then delta debugging (Zeller's ddmin) over the rest
 * finds a 1-minimal set that still fails (removing any one of it
 * passes). Shrinking keeps and drops decisions by identity
 * (aring_sim_fault_id), which faults removed before them do not move. It
 * is done twice, the second time dropping node classes too (every
 * decision of a node, then of a kind at a node), and the smaller set is
 * kept. It is printed, one "node, op, virtual time, fault  [identity]"
 * line each, with the command that replays it
 * (ARING_SIM_KEEP=<its identities>).
 *
 * The environment overrides opts, so these work on any test binary that
 * calls aring_sim_swarm:
 *   ARING_SIM_SEED=<n>      run seed n only, in this process (no fork, so a
 *                           debugger follows it), and print its faults
 *   ARING_SIM_SEEDS=<n>     n seeds from first_seed; or <a>..<b> (or <a>-<b>):
 *                           seeds a to b
 *   ARING_SIM_SHRINK=1      shrink (0: do not)
 *   ARING_SIM_JOBS=<n>      parallel children
 *   ARING_SIM_WATCHDOG_MS=<n>  the per-seed watchdog
 *   ARING_SIM_TRACE=1       every SQE and CQE of every loop to stderr
 *   ARING_SIM_KEEP, ARING_SIM_SUPPRESS (above) with ARING_SIM_SEED
 */
#define ARING_SIM_SHRUNK_MAX 64
#define ARING_SIM_WATCHDOG_MS_DEFAULT 60000u

struct aring_sim_swarm_result {
	uint64_t seeds_run, seeds_failed;
	uint64_t first_failed_seed;  /* 0: none failed */
	uint64_t virtual_ns;         /* virtual time of every loop of every seed, summed */
	uint64_t faults_before;      /* shrink: fault decisions of the failing run */
	uint32_t nshrunk;            /* shrink: the 1-minimal set's size (0: not shrunk,
	                                or the seed fails with no fault at all) */
	int shrunk_ok;               /* shrink ran and found the set (1), else 0 */
	struct aring_sim_fault shrunk[ARING_SIM_SHRUNK_MAX];
};

struct aring_sim_swarm_opts {
	uint64_t first_seed, seeds;   /* seeds to run (first_seed 0 is taken as 1) */
	unsigned jobs;                /* parallel processes; 0 = one per CPU */
	int shrink;                   /* on failure, find the smallest set of faults that still fails */
	uint32_t watchdog_ms;         /* real time per seed; 0 = ARING_SIM_WATCHDOG_MS_DEFAULT */
	int quiet;                    /* print failing seeds only, no summary line */
	struct aring_sim_swarm_result *result; /* NULL, or filled before return */
};

/*
 * Returns the number of failing seeds (0 when all passed), or -EINVAL
 * (scenario or opts NULL, seeds 0, a seed range that wraps, a bad
 * ARING_SIM_SEEDS), -ENOMEM, or the -errno of fork/pipe/poll (-EAGAIN ...).
 */
ARING_API int aring_sim_swarm(int (*scenario)(uint64_t seed, void *arg), void *arg,
			      const struct aring_sim_swarm_opts *opts);

/*
 * Run scenario(seed, arg) once in a child, as the swarm does, with only the
 * fault decisions numbered in keep[0..nkeep-1] taking effect (keep NULL:
 * every decision). Returns 0 when it passed, 1 when it failed (non-zero
 * return, crash or hang past watchdog_ms; 0 = the default), or -EINVAL
 * (scenario NULL, seed 0, nkeep > 0 with keep NULL), -ENOMEM, -errno of fork/pipe.
 */
ARING_API int aring_sim_replay(int (*scenario)(uint64_t seed, void *arg), void *arg,
			       uint64_t seed, const uint64_t *keep, size_t nkeep,
			       uint32_t watchdog_ms);

/*
 * The same, with only the faults whose identities (aring_sim_fault_id)
 * are those of keep[0..nkeep-1] (as ARING_SIM_KEEP=<identities>): e.g. the
 * swarm's result.shrunk. Returns 0 (passed), 1 (failed), or -EINVAL
 * (scenario NULL, seed 0, nkeep > 0 with keep NULL), -ENOMEM, -errno of
 * fork/pipe.
 */
ARING_API int aring_sim_replay_faults(int (*scenario)(uint64_t seed, void *arg), void *arg,
				      uint64_t seed, const struct aring_sim_fault *keep,
				      size_t nkeep, uint32_t watchdog_ms);

/*
 * Swarm testing: fault rates drawn from the seed, so that seeds differ in
 * which kinds of faults they inject and how often. Fills *so: seed, and
 * for 1 seed in 8 no faults at all; otherwise each of timeout, cancel,
 * short and error is on with probability 1/2 at a rate drawn between 0.01%
 * and 10% (log-uniform; short up to 50%), and per-op latency is 0 or a
 * seed-drawn range up to 2 ms; for a world's network, each with probability
 * 1/2: link latency in a range up to 6 ms, resets at 0.001%..1%, clogs at
 * 0.01%..10% holding up to 110 ms; for the disk, each with probability 1/2:
 * read errors, fsync errors and -ENOSPC each at 0.001%..1%. A scenario
 * builds its loops from it (and may
 * change fields after), so a replay of the seed gets the same rates.
 * Returns 0, or -EINVAL (so NULL, seed 0).
 */
ARING_API int aring_sim_swarm_opts_for(uint64_t seed, struct aring_sim_opts *so);

/* ---------------------------------------------------------------- worlds */

/*
 * A world: several nodes (each an aring loop: a process on its own machine,
 * with its own fd table, file system and IPv4 address), one virtual clock
 * and one network. A loop made with ARING_BACKEND_SIM alone is a world of
 * one node of its own, and behaves exactly as before.
 *
 * Time: virtual time moves only when every task of every node is blocked,
 * and jumps to the next event of any node (an op's latency, a timer, a
 * segment's delivery). Every node reads the same clock (aring_now_ns).
 *
 * Addresses: node i (from 0, in creation order) is 10.0.0.(i+1) (AF_INET;
 * nothing leaves the process). A node reaches another by connecting to that
 * address (aring_sim_node_addr, aring_sim_resolve) and a port the other
 * listens on; 127.0.0.0/8 and INADDR_ANY are the node itself. Any other
 * address gives -ENETUNREACH at connect. AF_INET6 sockets stay on their
 * own node (::1, ::). Connections between nodes carry their data over the
 * world's network (latency, partitions, resets, clogging); connections
 * within a node are instant, as on loopback.
 *
 * A connect to another node takes a round trip (the SYN there, the SYN-ACK
 * or RST back: both link latencies) before it completes or is refused.
 *
 * TCP timeouts (kernel defaults):
 * - connect to a node across a partition: the SYN is retransmitted after
 *   1, 2, 4, ..., 64 s (net.ipv4.tcp_syn_retries = 6); a heal is noticed at
 *   the next retransmission; after ARING_SIM_CONNECT_TIMEOUT_NS (127 s) the
 *   connect fails with -ETIMEDOUT.
 * - data of an established connection that meets a partition is held (not
 *   lost) until the link heals; if it is still held after
 *   ARING_SIM_RETRANSMIT_TIMEOUT_NS (924.6 s: net.ipv4.tcp_retries2 = 15
 *   with TCP_RTO_MIN 200 ms), the sender's connection ends: its next op gets
 *   -ETIMEDOUT, the data in flight is dropped, and the receiver's next send
 *   draws a reset.
 * - Not modelled: FIN and RST cross the network at once, whatever the
 *   partition or the latency (a receiver still reads every byte sent before
 *   the FIN first).
 */
#define ARING_SIM_CONNECT_TIMEOUT_NS (127ull * 1000000000ull)
#define ARING_SIM_RETRANSMIT_TIMEOUT_NS (924600ull * 1000000ull)
#define ARING_SIM_MAX_NODES 254u

typedef struct aring_sim_world aring_sim_world;

/*
 * A new empty world. opts (NULL: all defaults) gives the seed (0: take
 * ARING_SIM_SEED, else 1), time_limit_ns and the network fields; its other
 * fields are every node's default sim options.
 * Returns 0, -EINVAL (world NULL; opts refused as aring_loop_new would),
 * -ENOMEM.
 */
ARING_API int aring_sim_world_new(aring_sim_world **world, const struct aring_sim_opts *opts);

/* Free the world and every node's loop (tasks still blocked are dropped). NULL is a no-op. */
ARING_API void aring_sim_world_free(aring_sim_world *world);

/*
 * A new node named name (1 to 63 bytes, unique in the world): an aring loop
 * on the simulated backend, stored in *node, owned by the world (free it
 * with aring_sim_world_free, never aring_loop_free). opts may be NULL;
 * a node is always a sim loop, and opts->backend is the backend its program
 * asked for (AUTO by default; see "The backend the program asked for");
 * opts->sim,
 * if set, replaces the world's fault rates and latencies for this node,
 * but the seed and the time limit are always the world's (each node draws
 * from its own stream of the world's seed). Returns 0, -EINVAL (NULL
 * argument, bad name, bad opts), -EEXIST (name taken), -ENOSPC (already
 * ARING_SIM_MAX_NODES nodes), -EBUSY (called while the world runs from a
 * task: spawn tasks on existing nodes instead), -ENOMEM, or the profile's
 * uring_errno (opts->backend ARING_BACKEND_URING, or AUTO with an errno
 * AUTO does not fall back on).
 */
ARING_API int aring_sim_node_new(aring_sim_world *world, const char *name,
				 const struct aring_loop_opts *opts, aring_loop **node);

/*
 * Run every node until all their tasks returned (0), nothing can ever run
 * again (-EDEADLK: every task blocked, no event pending anywhere), or
 * virtual time would pass time_limit_ns (-ETIMEDOUT). Tasks still blocked
 * stay so: tasks may be spawned and the world run again. Another error of a
 * node's loop (-ENOMEM) is returned as it is. -EINVAL (world NULL), -EBUSY
 * (already running).
 *
 * aring_run on a node of a world runs only what that node can do without
 * virtual time passing, then returns -EDEADLK: the world's clock moves
 * only in aring_sim_world_run.
 */
ARING_API int aring_sim_world_run(aring_sim_world *world);

/* The world a node belongs to; NULL for a lone sim loop, a uring loop or NULL. */
ARING_API aring_sim_world *aring_sim_world_of(aring_loop *node);

/* Virtual time of the world (aring_now_ns of any of its nodes). */
ARING_API uint64_t aring_sim_world_now_ns(aring_sim_world *world);

/*
 * Digest of the whole world: every SQE and CQE of every node, with its
 * virtual time, in node order. aring_sim_trace_hash() of a node of a world
 * returns this same digest. 0 for NULL.
 */
ARING_API uint64_t aring_sim_world_trace_hash(aring_sim_world *world);

/*
 * The node's address: a struct sockaddr_in, 10.0.0.(i+1) port 0 (a lone
 * sim loop is 10.0.0.1). Copies up to *addrlen bytes, sets *addrlen to the
 * full size. Returns 0, -EINVAL (not a sim loop; NULL argument).
 */
ARING_API int aring_sim_node_addr(aring_loop *node, struct sockaddr *addr, socklen_t *addrlen);

/*
 * Resolve a node's name in the world of `node` (any node of it, or a lone
 * sim loop, whose only name is "localhost"): its address as
 * aring_sim_node_addr gives it. "localhost" is always 127.0.0.1.
 * aring_getaddrinfo on a sim loop resolves through this.
 * Returns 0, -ENOENT (no such node), -EINVAL (NULL argument, not a sim loop).
 */
ARING_API int aring_sim_resolve(aring_loop *node, const char *name, struct sockaddr *addr,
				socklen_t *addrlen);

#define ARING_SIM_ONE_WAY 1u

/*
 * Cut the network between nodes a and b of one world: both ways, or with
 * ARING_SIM_ONE_WAY only from a to b. Traffic is held, not lost (see the TCP
 * timeouts above), until aring_sim_heal. Partitioning a cut link again is a
 * no-op. Callable from a task of any node or between runs.
 * Returns 0, -EINVAL (not nodes of one world, a == b, unknown flags).
 */
ARING_API int aring_sim_partition(aring_loop *a, aring_loop *b, unsigned flags);

/* Restore both directions between a and b. Returns 0, -EINVAL as aring_sim_partition. */
ARING_API int aring_sim_heal(aring_loop *a, aring_loop *b);

/*
 * Change fault rates and latencies while running: from opts, every field
 * but seed, time_limit_ns and the kernel's profile (missing_ops,
 * uring_errno: the loop's for life) is applied to the loop (a node or a lone sim
 * loop) from its next op on; the net_* fields apply to the node's world.
 * Returns 0, -EINVAL (not a sim loop, opts NULL or refused as by
 * aring_loop_new).
 */
ARING_API int aring_sim_set_faults(aring_loop *loop, const struct aring_sim_opts *opts);
/* The same for every node of a world, and its network. 0 or -EINVAL. */
ARING_API int aring_sim_world_set_faults(aring_sim_world *world, const struct aring_sim_opts *opts);

/*
 * A file descriptor, in loop's fd table, for target's ring: what
 * aring_ring(target)->ring_fd is on uring, for IORING_OP_MSG_RING
 * (aring_msg_ring). target may be loop itself. Sim loops made alone are
 * threads of one process; a node of a world may name only itself. Close it
 * with aring_close. Returns the fd, -EINVAL (a loop NULL or not a sim
 * loop), -EXDEV (nodes of a world, or a node and a lone loop), -EMFILE,
 * -ENOMEM.
 */
ARING_API int aring_sim_ring_fd(aring_loop *loop, aring_loop *target);

#ifdef __cplusplus
}
#endif
#endif /* ARING_SIM_H */
