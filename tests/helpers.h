/* SPDX-License-Identifier: MIT */
/*
 * Test helpers (like liburing's test/helpers.h). Every test file is one
 * CUnit program; th_main() runs its tests once per configuration: the uring
 * backend, and the sim backend under several seeds (FOR_ALL_TEST_CONFIGS in
 * liburing). ARING_SIM_SEED=<n> runs the sim configurations with seed n only;
 * a test that fails on the sim prints the seed that replays it.
 */
#ifndef ARING_TESTS_HELPERS_H
#define ARING_TESTS_HELPERS_H

#include <CUnit/Basic.h>
#include <aring.h>
#include <aring/sim.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdint.h>

/*
 * Which backends a file's tests run on. TH_BOTH is the shared mask: every
 * backend (the name stayed from when there were two). A file that leaves
 * one out says why next to its th_main() call.
 */
enum {
	TH_URING = 1u << 0,
	TH_SIM = 1u << 1,
	TH_EPOLL = 1u << 2,
	TH_BOTH = TH_URING | TH_SIM | TH_EPOLL,
};

struct th_config {
	enum aring_backend backend;
	uint64_t seed;          /* sim only */
	char name[64];
};

/* The configuration the running test is in. */
extern const struct th_config *th_cfg;

/* A loop for the current configuration (entries 0 = default); fails the test on error. */
aring_loop *th_loop_new(unsigned entries);
/* Same, with sim fault settings (ignored on uring). */
/*
 * The fd a sim loop gives where the kernel's lowest-free rule gives n:
 * 0, 1, 2 themselves, the rest counted from ARING_SIM_FD_BASE.
 */
static inline int th_sim_fd(int n)
{
	return n < 3 ? n : (int)ARING_SIM_FD_BASE + n - 3;
}

aring_loop *th_loop_new_sim(unsigned entries, const struct aring_sim_opts *sim);

/* New loop, run fn(loop, arg) as a task, aring_run, free; returns fn's result. */
int th_run(aring_fn fn, void *arg, unsigned entries);
/* Same on a loop the caller made (not freed). */
int th_run_on(aring_loop *loop, aring_fn fn, void *arg);

static inline bool th_is_sim(void)
{
	return th_cfg && th_cfg->backend == ARING_BACKEND_SIM;
}

/*
 * A sim world with the current configuration's seed and o's other fields
 * (o NULL: defaults), and a node of it; both fail the test on error.
 */
aring_sim_world *th_world_new(const struct aring_sim_opts *o);
aring_loop *th_node_new(aring_sim_world *w, const char *name);

static inline bool th_is_epoll(void)
{
	return th_cfg && th_cfg->backend == ARING_BACKEND_EPOLL;
}

/* A socket address 127.0.0.1:port (port 0 = ephemeral). */
struct sockaddr_in th_addr(uint16_t port);

/*
 * Listening TCP socket on 127.0.0.1, ephemeral port, made through the ring
 * (works on both backends); port in *port. Call from a task.
 */
int th_listen(aring_loop *loop, uint16_t *port);
/* A connected pair through the ring (client, server side). Call from a task. */
int th_tcp_pair(aring_loop *loop, int *client, int *server);

/*
 * Run the tests of one file over the configurations in `backends`.
 * ARING_BACKEND=uring|sim|epoll in the environment keeps only that
 * backend's configurations (none left: exit 77).
 * Exit status: 0 all passed, 1 a failure, 77 (skip) only when `skip_why` is
 * set by the caller before calling (the running kernel lacks a feature).
 * The sim runs seeds 1, 2 and 0x5eed; ARING_SIM_SEED=<n> only seed n;
 * ARING_SIM_SEEDS=<n> or <a>..<b> those seeds through aring_sim_swarm (each
 * in its own process, a crash or hang a failing seed, each failing seed
 * printed with its replay command).
 */
int th_main(int argc, char **argv, const char *suite, CU_TestInfo *tests, unsigned backends);

/* ---- added for the per-feature tests (tests/test_*.c) ---- */

/*
 * A fresh temporary directory for one test, from a task: on uring a new
 * mkdtemp() directory under /tmp, on the sim "/tmp/x" made with aring_mkdirat
 * (each sim loop has its own file system). Returns 0, or -errno after
 * failing the test.
 */
int th_tmpdir(aring_loop *loop, char *path, size_t len);
/* Remove the directory and everything under it (uring; on the sim the world dies with the loop). */
void th_tmpdir_remove(aring_loop *loop, const char *path);
/* "dir/name" into buf (truncated to len). Returns buf. */
const char *th_path(char *buf, size_t len, const char *dir, const char *name);
/* Create (truncate) dir/name through the ring, write data, return an O_RDWR fd or -errno. */
int th_file(aring_loop *loop, const char *dir, const char *name, const char *data);
/* Size of path (AT_FDCWD-relative) through aring_statx, or -errno. */
int64_t th_file_size(aring_loop *loop, const char *path);

/* Close both fds of a pair (a pipe), failing the test if either close fails. */
void th_close_pair(aring_loop *loop, const int fds[2]);

/* SIGPIPE ignored, so a write to a closed pipe or socket gives -EPIPE. */
void th_ignore_sigpipe(void);

/*
 * True if the running kernel's ring offers opcode; else prints
 * "<what>: the kernel lacks IORING_OP_<name>" so the caller can exit 77.
 */
bool th_kernel_has(unsigned opcode, const char *name);

/* Spawn fn(loop, arg) as a task that must be joined (fails the test on error). */
aring_task *th_spawn(aring_loop *loop, aring_fn fn, void *arg);
/*
 * A task that sleeps 1 ms (virtual time on the sim), then writes data to fd
 * (a waiter's other side); th_join gives the write's result.
 */
aring_task *th_write_later(aring_loop *loop, int fd, const char *data);
/* Join a task from a task or from outside; returns its result (-12345 if the join failed). */
int th_join(aring_loop *loop, aring_task *t);

/*
 * Run child(arg) in a forked process (stderr captured), and check that it
 * aborts (SIGABRT) printing msg: a documented abort on misuse.
 */
void th_expect_abort(void (*child)(void *arg), void *arg, const char *msg);

#endif
