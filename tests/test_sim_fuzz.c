/* SPDX-License-Identifier: MIT */
/*
 * A seeded random driver for the simulated ring (white-box: the sim's
 * sources are compiled in, and SQEs go straight to its backend ops table).
 *
 * Each episode makes a sim with random entries, latencies and fault rates,
 * sets up a few real fds (files, a directory, a symlink, a pipe, a listener
 * and a connected pair), then feeds random SQEs and chains: every opcode
 * 0..70, random IOSQE_* flags (links, hard links, drain, skip, async, and
 * bits the sim must refuse), link timeouts, random fields, fds from the ones
 * it made or not, and pointers that are NULL, below 64 KiB, past the user
 * address limit, or into typed slots of a scratch arena (buffers with their
 * lengths in bounds, iovec arrays, msghdrs, paths, timespecs, sockaddrs,
 * open_hows, statx buffers). It reaps as it goes, then cancels whatever
 * still blocks (ASYNC_CANCEL ANY|ALL) and drains until nothing can happen.
 *
 * Checked: no crash, hang (an alarm) or memory error (run it under
 * ASan+UBSan); every CQE is for an SQE it submitted, with a result in
 * [-4095, INT_MAX] and nothing after its final CQE (one without F_MORE);
 * every SQE got its final CQE unless it or an earlier member of its chain had
 * IOSQE_CQE_SKIP_SUCCESS; nothing is in flight or allocated at the end.
 *
 * ARING_FUZZ_SQES=N runs about N SQEs (default 200,000); ARING_FUZZ_SEED=S
 * starts at episode seed S (default 1). A failure prints the episode's seed:
 * ARING_FUZZ_SEED=<seed> ARING_FUZZ_EPISODES=1 replays it.
 */
#include "config.h"
#include <CUnit/Basic.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <linux/openat2.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "sim/sim.h"

#define MAX_OPCODE 70
#define DATA_BYTES (64 * 1024)
#define NIOV 4
#define IOV_ENTRIES (SIM_UIO_MAXIOV + 8)
#define NMSG 4
#define NPATH 24
#define NTS 8
#define NADDR 8
#define NHOW 4
#define NSTATX 4
#define NINT 8
#define MAX_IDS 8192
#define NFDS 48

/* Typed slots: a slot only ever holds its type, so an op in flight that
 * reads its msghdr or iovec again sees new random content, never garbage. */
struct arena {
	uint8_t data[DATA_BYTES];
	struct iovec iov[NIOV][IOV_ENTRIES];
	struct msghdr msg[NMSG];
	uint8_t cmsg[NMSG][256];
	char path[NPATH][512];
	struct __kernel_timespec ts[NTS];
	uint8_t addr[NADDR][128];
	struct open_how how[NHOW];
	struct statx stx[NSTATX];
	int ints[NINT][2];
};

enum { ID_FINAL = 1, ID_SILENT_OK = 2, ID_RELAXED = 4, ID_USED = 8 };

static struct arena *A;
static uint64_t rng_state, episode_seed;
static struct aring__backend *be;
static struct sim *S;
static uint8_t idst[MAX_IDS];
static uint8_t idop[MAX_IDS], idflags[MAX_IDS]; /* for failure reports */
static uint64_t next_id;
static int fds[NFDS];
static unsigned nfds;
static uint16_t listen_port;
static int pipe_rd = -1;
static uint64_t total_sqes, total_cqes, total_episodes;
static uint64_t op_ok[256], op_err[256]; /* ARING_FUZZ_STATS=1 prints them */
static bool failed;

static uint64_t rnd(void)
{
	return aring__sim_splitmix64(&rng_state);
}

static uint64_t below(uint64_t n)
{
	return n ? rnd() % n : 0;
}

static bool chance(unsigned pct)
{
	return below(100) < pct;
}

#define CHECK(cond, ...)                                                                      \
	do {                                                                                  \
		if (!(cond)) {                                                                \
			printf("fuzz: episode seed %" PRIu64 ": %s: ", episode_seed, #cond); \
			printf(__VA_ARGS__);                                                  \
			printf("\nreplay: ARING_FUZZ_SEED=%" PRIu64 " ARING_FUZZ_EPISODES=1\n", \
			       episode_seed);                                                 \
			failed = true;                                                        \
			CU_FAIL_FATAL(#cond);                                                 \
		}                                                                             \
	} while (0)

/* ---------------------------------------------------------------- values */

/* An address the sim must never touch: NULL, below 64 KiB, past the user limit. */
static uint64_t bad_ptr(void)
{
	switch (below(4)) {
	case 0:
		return 0;
	case 1:
		return 1 + below(SIM_USER_MIN - 1);
	case 2:
		return SIM_USER_MAX + below(1u << 20);
	default:
		return UINT64_MAX - below(4096);
	}
}

static uint64_t wild(void)
{
	static const uint64_t v[] = { 0, 1, 2, 5, 16, 4096, 65536, 1u << 31, 1ull << 32,
				      1ull << 62, 1ull << 63, UINT32_MAX, UINT64_MAX, INT32_MAX };

	return chance(70) ? v[below(sizeof(v) / sizeof(v[0]))] : rnd();
}

static uint64_t ptr_of(const void *p)
{
	return (uint64_t)(uintptr_t)p;
}

/* A buffer in the data region with its length in bounds, or a bad one with any length. */
static void buffer(uint64_t *addr, uint64_t *len, uint64_t max)
{
	uint64_t off, room;

	if (chance(12)) {
		*addr = bad_ptr();
		*len = wild();
		return;
	}
	off = below(DATA_BYTES);
	room = DATA_BYTES - off;
	*addr = ptr_of(A->data + off);
	*len = below((room < max ? room : max) + 1);
}

static uint64_t iovec_array(unsigned *nr)
{
	struct iovec *v;
	unsigned k, n;

	if (chance(8)) {
		*nr = (unsigned)wild();
		return bad_ptr();
	}
	v = A->iov[below(NIOV)];
	n = chance(90) ? (unsigned)below(5) : chance(50) ? SIM_UIO_MAXIOV + (unsigned)below(3) : (unsigned)below(IOV_ENTRIES);
	for (k = 0; k < n && k < IOV_ENTRIES; k++) {
		uint64_t a, l;

		buffer(&a, &l, 8192);
		v[k].iov_base = (void *)(uintptr_t)a;
		v[k].iov_len = l;
	}
	*nr = n;
	return ptr_of(v);
}

static uint64_t path(void)
{
	static const char *const names[] = {
		"/tmp/a", "/tmp/b", "/tmp/d", "/tmp/d/x", "/tmp/d/y/", "a", "b", "d", "d/x", ".",
		"..", "/", "", "/tmp/l", "/tmp/l/", "/tmp/loop", "l", "x/..", "///tmp//a",
		"/nonexistent/x", "/tmp/d/..", "d/../a",
	};
	char *p = A->path[below(NPATH)];

	if (chance(5))
		return bad_ptr();
	if (chance(3)) {
		memset(p, 'n', 300); /* a component longer than NAME_MAX */
		p[300] = '\0';
		return ptr_of(p);
	}
	strcpy(p, names[below(sizeof(names) / sizeof(names[0]))]);
	return ptr_of(p);
}

static uint64_t timespec_ptr(void)
{
	struct __kernel_timespec *t = &A->ts[below(NTS)];
	static const int64_t secs[] = { 0, 0, 0, 1, 1, 2, 5, 1000000, 1ll << 40, -1 };
	static const int64_t nsecs[] = { 0, 1, 1000, 1000000, 999999999, 1000000000, -1 };

	if (chance(5))
		return bad_ptr();
	t->tv_sec = chance(90) ? secs[below(sizeof(secs) / sizeof(secs[0]))] : (int64_t)rnd();
	t->tv_nsec = nsecs[below(sizeof(nsecs) / sizeof(nsecs[0]))];
	return ptr_of(t);
}

static uint64_t sockaddr_ptr(void)
{
	uint8_t *a = A->addr[below(NADDR)];
	struct sockaddr_in *in = (struct sockaddr_in *)a;
	struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)a;
	uint16_t port = chance(60) ? listen_port : chance(50) ? 0 : (uint16_t)rnd();

	if (chance(6))
		return bad_ptr();
	memset(a, 0, 128);
	if (chance(80)) {
		in->sin_family = AF_INET;
		in->sin_port = htons(port);
		in->sin_addr.s_addr = chance(50) ? htonl(INADDR_LOOPBACK) : chance(50) ? 0 : (uint32_t)rnd();
	} else if (chance(80)) {
		in6->sin6_family = AF_INET6;
		in6->sin6_port = htons(port);
		if (chance(50))
			in6->sin6_addr = in6addr_loopback;
	} else {
		memcpy(a, &(uint64_t){ rnd() }, 8);
	}
	return ptr_of(a);
}

static uint64_t msghdr_ptr(void)
{
	unsigned k = (unsigned)below(NMSG), nr;
	struct msghdr *m = &A->msg[k];

	if (chance(6))
		return bad_ptr();
	memset(m, 0, sizeof(*m));
	m->msg_iov = (struct iovec *)(uintptr_t)iovec_array(&nr);
	m->msg_iovlen = nr;
	if (chance(20)) {
		m->msg_name = chance(80) ? A->addr[below(NADDR)] : (void *)(uintptr_t)bad_ptr();
		m->msg_namelen = (socklen_t)below(129);
	}
	if (chance(20)) {
		if (chance(80)) {
			m->msg_control = A->cmsg[k];
			m->msg_controllen = below(257);
			for (unsigned b = 0; b < 256; b += 8)
				memcpy(A->cmsg[k] + b, &(uint64_t){ chance(50) ? 0 : rnd() }, 8);
		} else {
			m->msg_control = (void *)(uintptr_t)bad_ptr();
			m->msg_controllen = wild();
		}
	}
	m->msg_flags = (int)rnd();
	return ptr_of(m);
}

static int pick_fd(void)
{
	if (nfds && chance(65))
		return fds[below(nfds)];
	switch (below(5)) {
	case 0:
		return (int)below(3);
	case 1: /* the numbers of the first 128 table slots (sim/sim.h) */
		return sim_fd_number(S, (uint32_t)below(128));
	case 2:
		return -1;
	case 3:
		return AT_FDCWD;
	default:
		return (int)rnd();
	}
}

static void add_fd(int fd)
{
	if (fd < 0)
		return;
	if (nfds < NFDS)
		fds[nfds++] = fd;
	else
		fds[below(NFDS)] = fd;
}

/* Ids of recent SQEs that may still wait: any kind, timeouts, polls. */
static uint64_t waiting[3][16], latest[3];

static uint64_t old_id_of(unsigned kind)
{
	uint64_t w = chance(50) ? latest[kind] : waiting[kind][below(16)];

	if (w && chance(70))
		return w;
	return next_id > 1 && chance(90) ? 1 + below(next_id - 1) : rnd();
}

static uint64_t old_id(void)
{
	return old_id_of(0);
}

/* ---------------------------------------------------------------- SQEs */

static void fill(struct io_uring_sqe *q, unsigned op)
{
	uint64_t a, l;
	unsigned nr;

	q->opcode = (uint8_t)op;
	q->fd = pick_fd();
	switch (op) {
	case IORING_OP_READ:
	case IORING_OP_WRITE:
	case IORING_OP_SEND:
	case IORING_OP_RECV:
	case IORING_OP_SEND_ZC:
		buffer(&a, &l, 16384);
		q->addr = a;
		q->len = (uint32_t)l;
		q->off = chance(50) ? UINT64_MAX : chance(80) ? below(20000) : wild();
		if (op == IORING_OP_READ || op == IORING_OP_WRITE)
			q->rw_flags = chance(80) ? 0 : (int)(rnd() & 0x3f);
		else
			q->msg_flags = chance(60) ? 0 : (uint32_t)(rnd() & (MSG_DONTWAIT | MSG_WAITALL | MSG_PEEK | MSG_NOSIGNAL | MSG_OOB | MSG_ERRQUEUE));
		break;
	case IORING_OP_READV:
	case IORING_OP_WRITEV:
		q->addr = iovec_array(&nr);
		q->len = nr;
		q->off = chance(50) ? UINT64_MAX : below(20000);
		q->rw_flags = chance(80) ? 0 : (int)(rnd() & 0x3f);
		break;
	case IORING_OP_SENDMSG:
	case IORING_OP_RECVMSG:
	case IORING_OP_SENDMSG_ZC:
		q->addr = msghdr_ptr();
		q->msg_flags = chance(60) ? 0 : (uint32_t)(rnd() & (MSG_DONTWAIT | MSG_WAITALL | MSG_PEEK));
		break;
	case IORING_OP_TIMEOUT:
	case IORING_OP_LINK_TIMEOUT:
		q->addr = timespec_ptr();
		q->len = chance(90) ? 1 : (uint32_t)wild();
		q->off = chance(60) ? 0 : below(4);
		q->timeout_flags = chance(50) ? 0 : (uint32_t)(rnd() & 0x7f);
		if (op == IORING_OP_TIMEOUT && chance(25)) {
			/* A valid timeout that stays a while (for remove and update). */
			A->ts[1].tv_sec = 1 + (int64_t)below(5);
			A->ts[1].tv_nsec = 0;
			q->addr = ptr_of(&A->ts[1]);
			q->len = 1;
			q->off = below(2) * below(20);
			q->timeout_flags = chance(70) ? 0 : IORING_TIMEOUT_ETIME_SUCCESS;
		} else if (chance(5)) {
			/* A valid multishot timeout, often with a zero interval. */
			A->ts[0].tv_sec = 0;
			A->ts[0].tv_nsec = chance(50) ? 0 : (long long)below(1000);
			q->addr = ptr_of(&A->ts[0]);
			q->timeout_flags = ARING_TIMEOUT_MULTISHOT;
			q->off = below(3);
		}
		break;
	case IORING_OP_TIMEOUT_REMOVE:
		q->addr = old_id_of(1);
		q->addr2 = timespec_ptr();
		q->timeout_flags = chance(50) ? 0 : chance(50) ? IORING_TIMEOUT_UPDATE : (uint32_t)(rnd() & 0x3f);
		break;
	case IORING_OP_ASYNC_CANCEL:
		q->addr = old_id();
		q->cancel_flags = chance(60) ? 0 : (uint32_t)(rnd() & 0x3f);
		q->len = chance(70) ? 0 : (uint32_t)below(MAX_OPCODE + 1);
		break;
	case IORING_OP_POLL_ADD:
		q->poll32_events = chance(80) ? (uint32_t)(rnd() & (POLLIN | POLLOUT | POLLPRI | POLLRDHUP | POLLERR | POLLHUP)) : (uint32_t)rnd();
		q->len = chance(60) ? 0 : (uint32_t)(rnd() & 3);
		if (chance(30)) {
			/* A poll that waits (for remove and update). */
			q->fd = pipe_rd;
			q->poll32_events = chance(70) ? POLLPRI : POLLIN;
			q->len = chance(50) ? 0 : IORING_POLL_ADD_MULTI;
		}
		break;
	case IORING_OP_POLL_REMOVE:
		q->addr = old_id_of(2);
		q->len = chance(50) ? 0 : (uint32_t)(rnd() & 7);
		q->poll32_events = (uint32_t)(rnd() & (POLLIN | POLLOUT | POLLPRI));
		if (q->len & IORING_POLL_UPDATE_USER_DATA) {
			/* The target's CQEs may come under a new id from now on. */
			q->off = next_id < MAX_IDS - 1 ? ++next_id : 0;
			idst[q->off] |= ID_USED | ID_RELAXED | ID_SILENT_OK;
			if (q->addr < MAX_IDS)
				idst[q->addr] |= ID_RELAXED;
		}
		break;
	case IORING_OP_ACCEPT:
		q->addr = chance(40) ? 0 : chance(80) ? ptr_of(A->addr[below(NADDR)]) : bad_ptr();
		if (q->addr) {
			int *len = &A->ints[below(NINT)][0];

			*len = chance(70) ? (int)below(129) : (int)rnd();
			q->off = chance(85) ? ptr_of(len) : bad_ptr();
		}
		q->accept_flags = chance(70) ? 0 : (uint32_t)(rnd() & (SOCK_NONBLOCK | SOCK_CLOEXEC | 1));
		q->ioprio = chance(85) ? 0 : (uint16_t)(rnd() & 3);
		break;
	case IORING_OP_CONNECT:
		q->addr = sockaddr_ptr();
		q->off = chance(80) ? sizeof(struct sockaddr_in) : wild() & 0xff;
		break;
	case ARING_OP_BIND:
		q->addr = sockaddr_ptr();
		q->addr2 = chance(80) ? sizeof(struct sockaddr_in) : wild() & 0xff;
		break;
	case ARING_OP_LISTEN:
		q->len = (uint32_t)wild();
		break;
	case IORING_OP_SOCKET:
		q->fd = chance(70) ? AF_INET : chance(50) ? AF_INET6 : (int)below(50);
		q->off = chance(80) ? SOCK_STREAM | (rnd() & SOCK_NONBLOCK) : below(16);
		q->len = chance(90) ? 0 : (uint32_t)below(300);
		break;
	case IORING_OP_OPENAT:
	case IORING_OP_OPENAT2:
		if (chance(50))
			q->fd = AT_FDCWD;
		q->addr = path();
		if (op == IORING_OP_OPENAT) {
			q->open_flags = (uint32_t)(rnd() & (O_ACCMODE | O_CREAT | O_EXCL | O_TRUNC | O_APPEND | O_DIRECTORY | O_NOFOLLOW | O_PATH | O_NONBLOCK));
			q->len = (uint32_t)(rnd() & 0777);
		} else {
			struct open_how *h = &A->how[below(NHOW)];

			h->flags = rnd() & (O_ACCMODE | O_CREAT | O_EXCL | O_TRUNC | O_DIRECTORY | O_NOFOLLOW);
			h->mode = chance(80) ? (h->flags & O_CREAT ? 0644 : 0) : rnd() & 07777;
			h->resolve = chance(70) ? 0 : rnd() & 0x3f;
			q->off = chance(90) ? ptr_of(h) : bad_ptr();
			q->len = chance(90) ? sizeof(*h) : (uint32_t)below(64);
		}
		break;
	case IORING_OP_STATX:
		if (chance(50))
			q->fd = AT_FDCWD;
		q->addr = path();
		q->addr2 = chance(90) ? ptr_of(&A->stx[below(NSTATX)]) : bad_ptr();
		q->statx_flags = chance(60) ? 0 : (uint32_t)(rnd() & (AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW | 0x6000));
		q->len = STATX_BASIC_STATS;
		break;
	case IORING_OP_UNLINKAT:
	case IORING_OP_MKDIRAT:
		if (chance(50))
			q->fd = AT_FDCWD;
		q->addr = path();
		if (op == IORING_OP_UNLINKAT)
			q->unlink_flags = chance(50) ? 0 : (uint32_t)(rnd() & (AT_REMOVEDIR | 1));
		else
			q->len = 0755;
		break;
	case IORING_OP_SYMLINKAT:
		if (chance(50))
			q->fd = AT_FDCWD;
		q->addr = path();
		q->addr2 = path();
		break;
	case IORING_OP_LINKAT:
	case IORING_OP_RENAMEAT:
		if (chance(50))
			q->fd = AT_FDCWD;
		q->addr = path();
		q->len = chance(50) ? (uint32_t)AT_FDCWD : (uint32_t)pick_fd();
		q->addr2 = path();
		q->rw_flags = chance(60) ? 0 : (int)(rnd() & 0x1407);
		break;
	case IORING_OP_FALLOCATE:
		q->off = chance(80) ? below(1 << 20) : wild();
		/* The length: small, or past the 4 GiB file limit (not 512 MiB of pages). */
		q->addr = chance(80) ? below(1 << 18) : (1ull << 32) + (wild() & (1ull << 63));
		q->len = chance(60) ? 0 : (uint32_t)(rnd() & 0x1f);
		break;
	case ARING_OP_FTRUNCATE:
		q->off = chance(80) ? below(1 << 20) : wild();
		break;
	case ARING_OP_PIPE:
		q->addr = chance(90) ? ptr_of(A->ints[below(NINT)]) : bad_ptr();
		q->rw_flags = chance(70) ? 0 : (int)(rnd() & (O_NONBLOCK | O_CLOEXEC | O_DIRECT | 1));
		q->fd = 0;
		break;
	case IORING_OP_NOP:
		q->rw_flags = chance(70) ? 0 : (int)(rnd() & 3);
		q->len = (uint32_t)rnd();
		break;
	case IORING_OP_FSYNC:
	case IORING_OP_SYNC_FILE_RANGE:
	case IORING_OP_FADVISE:
	case IORING_OP_MADVISE:
	case IORING_OP_SHUTDOWN:
	case IORING_OP_CLOSE:
		q->off = chance(70) ? 0 : wild();
		q->len = chance(70) ? (uint32_t)below(3) : (uint32_t)wild();
		q->rw_flags = chance(70) ? 0 : (int)below(16);
		if (op == IORING_OP_MADVISE)
			q->addr = chance(50) ? 0 : wild(); /* not dereferenced */
		break;
	default:
		/* Not modelled: every field raw, pointers never valid. */
		q->addr = bad_ptr();
		q->addr2 = bad_ptr();
		q->off = wild();
		q->len = (uint32_t)rnd();
		q->rw_flags = (int)rnd();
		break;
	}
	/* Fields most ops must find zero (half the SQEs are left clean). */
	if (chance(50))
		return;
	if (chance(8))
		q->ioprio = (uint16_t)rnd();
	if (chance(3))
		q->buf_index = (uint16_t)rnd();
	if (chance(2))
		q->personality = (uint16_t)rnd();
	if (chance(3))
		q->splice_fd_in = (int32_t)below(8);
	if (chance(2))
		q->addr3 = rnd();
}

static uint8_t sqe_flags(void)
{
	uint8_t f = 0;

	if (chance(14))
		f |= IOSQE_IO_LINK;
	if (chance(5))
		f |= IOSQE_IO_HARDLINK;
	if (chance(3))
		f |= IOSQE_IO_DRAIN;
	if (chance(10))
		f |= IOSQE_CQE_SKIP_SUCCESS;
	if (chance(10))
		f |= IOSQE_ASYNC;
	if (chance(2))
		f |= IOSQE_FIXED_FILE;
	if (chance(2))
		f |= IOSQE_BUFFER_SELECT;
	if (chance(1))
		f |= 0x80;
	return f;
}

/* ---------------------------------------------------------------- ring */

static void on_cqe(const struct io_uring_cqe *c)
{
	uint64_t id = c->user_data;

	total_cqes++;
	CHECK(id > 0 && id < MAX_IDS && (idst[id] & ID_USED), "CQE for user_data %" PRIu64
	      " that was never submitted (res %d)", id, c->res);
	/* Any result is an -errno or a count, but a NOP's IORING_NOP_INJECT_RESULT (kernel nop.c). */
	CHECK(c->res >= -4095 || idop[id] == IORING_OP_NOP, "CQE res %d for user_data %" PRIu64 " (%s)",
	      c->res, id, aring__op_name(idop[id]));
	CHECK(!(idst[id] & ID_FINAL) || (idst[id] & ID_RELAXED),
	      "CQE (res %d flags %#x) after the final one for user_data %" PRIu64, c->res, c->flags, id);
	if (!(c->flags & IORING_CQE_F_MORE))
		idst[id] |= ID_FINAL;
	/* New fds join the pool. */
	if (c->res >= 0 && !(idst[id] & ID_RELAXED) &&
	    (idop[id] == IORING_OP_SOCKET || idop[id] == IORING_OP_ACCEPT ||
	     idop[id] == IORING_OP_OPENAT || idop[id] == IORING_OP_OPENAT2))
		add_fd(c->res);
	if (c->res >= 0)
		op_ok[idop[id]]++;
	else
		op_err[idop[id]]++;
}

static unsigned reap(void)
{
	struct io_uring_cqe *c[64];
	unsigned got, k, n = 0;

	while ((got = be->ops->peek(be, c, 64))) {
		for (k = 0; k < got; k++)
			on_cqe(c[k]);
		be->ops->advance(be, got);
		n += got;
	}
	return n;
}

static int submit(unsigned wait)
{
	int ret;

	for (;;) {
		ret = be->ops->submit(be, wait);
		reap();
		if (ret != -EBUSY)
			return ret;
	}
}

static struct io_uring_sqe *get_sqe(void)
{
	struct io_uring_sqe *q = be->ops->get_sqe(be);

	if (!q) {
		int ret = submit(0);

		CHECK(ret >= 0, "submit: %d", ret);
		q = be->ops->get_sqe(be);
		CHECK(q != NULL, "no SQE after a submit");
	}
	/* The sim must not rely on SQEs being clean: poison, then fill every field. */
	memset(q, 0xa5, sizeof(*q));
	memset(q, 0, sizeof(*q));
	return q;
}

static uint64_t new_id(void)
{
	uint64_t id = ++next_id;

	CHECK(id < MAX_IDS, "too many ids");
	idst[id] |= ID_USED;
	return id;
}

/* ---------------------------------------------------------------- episode */

static int setup_op(void (*prep)(struct io_uring_sqe *q, void *ctx), void *ctx)
{
	struct io_uring_sqe *q = get_sqe();
	struct io_uring_cqe *c[1];
	uint64_t id = new_id();
	int res = -1;

	prep(q, ctx);
	q->user_data = id;
	total_sqes++;
	for (unsigned spins = 0;; spins++) {
		int ret = be->ops->submit(be, 1);

		CHECK(ret >= 0 || ret == -EDEADLK || ret == -EBUSY, "submit: %d", ret);
		while (be->ops->peek(be, c, 1)) {
			if (c[0]->user_data == id && !(c[0]->flags & IORING_CQE_F_MORE))
				res = c[0]->res;
			on_cqe(c[0]);
			be->ops->advance(be, 1);
		}
		if (idst[id] & ID_FINAL)
			return res;
		CHECK(spins < 100000, "setup op never completed");
	}
}

static void p_open(struct io_uring_sqe *q, void *ctx)
{
	io_uring_prep_openat(q, AT_FDCWD, ctx, O_CREAT | O_RDWR, 0644);
}

static void p_mkdir(struct io_uring_sqe *q, void *ctx)
{
	io_uring_prep_mkdirat(q, AT_FDCWD, ctx, 0755);
}

static void p_opendir(struct io_uring_sqe *q, void *ctx)
{
	io_uring_prep_openat(q, AT_FDCWD, ctx, O_RDONLY | O_DIRECTORY, 0);
}

static void p_symlink(struct io_uring_sqe *q, void *ctx)
{
	io_uring_prep_symlinkat(q, ctx, AT_FDCWD, "/tmp/l");
}

static void p_loop(struct io_uring_sqe *q, void *ctx)
{
	io_uring_prep_symlinkat(q, ctx, AT_FDCWD, "/tmp/loop");
}

static void p_pipe(struct io_uring_sqe *q, void *ctx)
{
	aring__prep_pipe(q, ctx, 0);
}

static void p_socket(struct io_uring_sqe *q, void *ctx)
{
	(void)ctx;
	io_uring_prep_socket(q, AF_INET, SOCK_STREAM, 0, 0);
}

static struct sockaddr_in sa;

static void p_bind(struct io_uring_sqe *q, void *ctx)
{
	aring__prep_bind(q, *(int *)ctx, (struct sockaddr *)&sa, sizeof(sa));
}

static void p_listen(struct io_uring_sqe *q, void *ctx)
{
	aring__prep_listen(q, *(int *)ctx, 64);
}

static void p_connect(struct io_uring_sqe *q, void *ctx)
{
	io_uring_prep_connect(q, *(int *)ctx, (struct sockaddr *)&sa, sizeof(sa));
}

static void p_accept(struct io_uring_sqe *q, void *ctx)
{
	io_uring_prep_accept(q, *(int *)ctx, NULL, NULL, 0);
}

static void setup_world(void)
{
	int p[2], l, c, fd;
	socklen_t len = sizeof(sa);

	add_fd(setup_op(p_open, "/tmp/a"));
	add_fd(setup_op(p_open, "/tmp/b"));
	setup_op(p_mkdir, "/tmp/d");
	add_fd(setup_op(p_opendir, "/tmp/d"));
	setup_op(p_symlink, "/tmp/a");
	setup_op(p_loop, "/tmp/loop");
	if (setup_op(p_pipe, p) == 0) {
		pipe_rd = p[0];
		add_fd(p[0]);
		add_fd(p[1]);
	}
	l = setup_op(p_socket, NULL);
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	CHECK(setup_op(p_bind, &l) == 0, "bind");
	CHECK(setup_op(p_listen, &l) == 0, "listen");
	CHECK(aring__sim_getsockname(S, l, (struct sockaddr *)&sa, &len, false) == 0, "getsockname");
	listen_port = ntohs(sa.sin_port);
	add_fd(l);
	c = setup_op(p_socket, NULL);
	CHECK(setup_op(p_connect, &c) == 0, "connect");
	fd = setup_op(p_accept, &l);
	add_fd(c);
	add_fd(fd);
}

static void cancel_all_inside(void)
{
	aring__soft_cancel_all(S->ring);
}

/* Cancel everything that can be, and run until nothing can ever happen. */
static void drain(void)
{
	unsigned round, spins;

	/* End the chain being built first (queued as it is), so no cancel joins it. */
	CHECK(submit(0) >= 0, "submit");
	for (round = 0; round < 100; round++) {
		struct io_uring_sqe *q = get_sqe();

		q->opcode = IORING_OP_ASYNC_CANCEL;
		q->cancel_flags = IORING_ASYNC_CANCEL_ANY | IORING_ASYNC_CANCEL_ALL;
		q->user_data = new_id();
		total_sqes++;
		for (spins = 0; spins < 10000; spins++) {
			int ret = submit(1);

			if (ret == -EDEADLK)
				break;
			CHECK(ret >= 0, "submit: %d", ret);
		}
		if (aring__soft_live(S->ring) == 0)
			return;
		/*
		 * A cancel submitted behind a drain waits for what it would
		 * cancel (as in the kernel), and a repeating timer keeps the
		 * ring busy: cancel from outside, as the kernel's ring exit
		 * does (io_uring_try_cancel_requests()).
		 */
		cancel_all_inside();
	}
	if (aring__soft_live(S->ring))
		printf("sim heap %u\n", S->heap_len);
	CHECK(aring__soft_live(S->ring) == 0,
	      "%" PRIu64 " requests still in flight after cancelling everything",
	      aring__soft_live(S->ring));
}

static void episode(uint64_t seed, uint64_t nsqes)
{
	struct aring_sim_opts so = { .seed = seed };
	struct aring_loop_opts o = { .backend = ARING_BACKEND_SIM, .sim = &so };
	uint64_t k, id;
	bool in_chain = false, chain_skip = false;

	episode_seed = seed;
	rng_state = seed * 0x9e3779b97f4a7c15ull + 1;
	o.entries = 1u << below(7);
	so.latency_max_ns = chance(50) ? 0 : chance(50) ? 1000 : 1000000;
	so.latency_min_ns = below(so.latency_max_ns + 1);
	CHECK(aring__sim_new(&o, &be) == 0, "aring__sim_new");
	S = sim_of(be);
	memset(idst, 0, sizeof(idst));
	memset(A, 0, sizeof(*A));
	next_id = 0;
	nfds = 0;
	memset(waiting, 0, sizeof(waiting));
	memset(latest, 0, sizeof(latest));
	alarm(120);
	setup_world();
	if (chance(30)) {
		/* Faults on once the fixture stands (white-box: the sim's options). */
		S->opts.timeout_ppm = (uint32_t)below(200000);
		S->opts.cancel_ppm = (uint32_t)below(200000);
		S->opts.short_ppm = (uint32_t)below(300000);
		S->opts.error_ppm = (uint32_t)below(200000);
	}

	for (k = 0; k < nsqes; k++) {
		struct io_uring_sqe *q = get_sqe();
		unsigned op;

		/* After a linked request, sometimes its link timeout. */
		op = in_chain && chance(25) ? IORING_OP_LINK_TIMEOUT : (unsigned)below(MAX_OPCODE + 1);
		fill(q, op);
		q->flags = chance(40) ? 0 : sqe_flags();
		id = new_id();
		q->user_data = id;
		idop[id] = q->opcode;
		idflags[id] = q->flags;
		if (op < ARING_OP_LAST && (aring__opdefs[op].flags & ARING__OPF_BLOCKS))
			waiting[0][below(16)] = latest[0] = id;
		if (op == IORING_OP_TIMEOUT)
			waiting[1][below(16)] = latest[1] = id;
		if (op == IORING_OP_POLL_ADD)
			waiting[2][below(16)] = latest[2] = id;
		/* May end without a CQE: it or an earlier member of its chain skips success. */
		if ((q->flags & IOSQE_CQE_SKIP_SUCCESS) || (in_chain && chain_skip))
			idst[id] |= ID_SILENT_OK;
		chain_skip = (in_chain && chain_skip) || (q->flags & IOSQE_CQE_SKIP_SUCCESS);
		in_chain = q->flags & (IOSQE_IO_LINK | IOSQE_IO_HARDLINK);
		if (!in_chain)
			chain_skip = false;
		total_sqes++;
		if (chance(10)) {
			int ret = submit(chance(50) ? 1 : 0);

			CHECK(ret >= 0 || ret == -EDEADLK, "submit: %d", ret);
			/* The chain being built was cut by the submit (queued as it is). */
			in_chain = chain_skip = false;
		}
		if (next_id > MAX_IDS - 600)
			break;
	}
	drain();
	reap();
	for (id = 1; id <= next_id; id++)
		CHECK((idst[id] & (ID_FINAL | ID_SILENT_OK | ID_RELAXED)),
		      "user_data %" PRIu64 " (%s, flags %#x, after %s flags %#x) never got its final CQE",
		      id, aring__op_name(idop[id]), idflags[id], aring__op_name(idop[id - 1]),
		      idflags[id - 1]);
	CHECK(aring__soft_live(S->ring) == 0, "%" PRIu64 " requests still allocated",
	      aring__soft_live(S->ring));
	be->ops->destroy(be);
	be = NULL;
	S = NULL;
	alarm(0);
	total_episodes++;
}

static void on_alarm(int sig)
{
	static const char msg[] = "fuzz: episode hung (alarm)\n";

	(void)sig;
	if (write(2, msg, sizeof(msg) - 1) < 0)
		_exit(2);
	_exit(1);
}

static uint64_t env_u64(const char *name, uint64_t def)
{
	const char *e = getenv(name);

	return e && *e ? strtoull(e, NULL, 0) : def;
}

static void test_fuzz(void)
{
	uint64_t want = env_u64("ARING_FUZZ_SQES", 200000);
	uint64_t seed = env_u64("ARING_FUZZ_SEED", 1);
	uint64_t episodes = env_u64("ARING_FUZZ_EPISODES", UINT64_MAX);

	A = malloc(sizeof(*A));
	CU_ASSERT_FATAL(A != NULL);
	signal(SIGALRM, on_alarm);
	signal(SIGPIPE, SIG_IGN);
	while (total_sqes < want && total_episodes < episodes && !failed) {
		rng_state = seed;
		episode(seed, 50 + below(3000));
		seed++;
	}
	free(A);
	if (getenv("ARING_FUZZ_STATS"))
		for (unsigned op = 0; op <= MAX_OPCODE; op++)
			printf("%-16s ok %10" PRIu64 " err %10" PRIu64 "\n", aring__op_name(op), op_ok[op],
			       op_err[op]);
	printf("\nfuzz: %" PRIu64 " SQEs, %" PRIu64 " CQEs in %" PRIu64 " episodes, seeds %" PRIu64
	       "..%" PRIu64 "\n", total_sqes, total_cqes, total_episodes,
	       env_u64("ARING_FUZZ_SEED", 1), seed - 1);
}

/*
 * Regression (found by the fuzzer): a multishot timeout with a zero interval
 * re-armed at the same instant forever, so virtual time stopped and the CQ
 * overflow grew until abort. The kernel's hrtimer_forward() moves it by at
 * least hrtimer_resolution (1 ns).
 */
static void test_multishot_zero(void)
{
	struct aring_sim_opts so = { .seed = 1 };
	struct aring_loop_opts o = { .backend = ARING_BACKEND_SIM, .sim = &so, .entries = 8 };
	struct __kernel_timespec ts = { 0, 0 };
	struct io_uring_cqe *c[64];
	struct io_uring_sqe *q;
	uint64_t t0, more = 0, final = 0;
	unsigned k, n;

	CU_ASSERT_FATAL(aring__sim_new(&o, &be) == 0);
	S = sim_of(be);
	t0 = S->now_ns;
	q = be->ops->get_sqe(be);
	memset(q, 0, sizeof(*q));
	io_uring_prep_timeout(q, &ts, 0, ARING_TIMEOUT_MULTISHOT);
	q->user_data = 1;
	for (k = 0; k < 10; k++) {
		CU_ASSERT_FATAL(be->ops->submit(be, 1) >= 0);
		while ((n = be->ops->peek(be, c, 64))) {
			more += n;
			be->ops->advance(be, n);
		}
	}
	CU_ASSERT(more >= 10);
	CU_ASSERT(S->now_ns > t0); /* time moves */
	q = be->ops->get_sqe(be);
	memset(q, 0, sizeof(*q));
	io_uring_prep_cancel64(q, 1, 0);
	q->user_data = 2;
	CU_ASSERT_FATAL(be->ops->submit(be, 0) >= 0);
	while ((n = be->ops->peek(be, c, 64))) {
		for (k = 0; k < n; k++)
			if (c[k]->user_data == 1 && !(c[k]->flags & IORING_CQE_F_MORE))
				final += c[k]->res == -ECANCELED;
		be->ops->advance(be, n);
	}
	CU_ASSERT_EQUAL(final, 1);
	CU_ASSERT_EQUAL(aring__soft_live(S->ring), 0);
	be->ops->destroy(be);
	be = NULL;
	S = NULL;
}

/*
 * Regression (found by the fuzzer): once long timeouts carried virtual time
 * to its end, a multishot timeout's next expiry saturated to the present and
 * it fired forever at one instant (CQ overflow, abort). Expiry times are the
 * kernel's ktime_t: they saturate at KTIME_MAX, and a timer due there never
 * fires (backends/soft/timeout.c arm()).
 */
static void test_end_of_time(void)
{
	struct aring_sim_opts so = { .seed = 1 };
	struct aring_loop_opts o = { .backend = ARING_BACKEND_SIM, .sim = &so, .entries = 8 };
	/* Up to 2 s before KTIME_MAX (virtual time starts at 1 s). */
	struct __kernel_timespec near = { INT64_MAX / 1000000000ll - 3, 0 };
	struct __kernel_timespec far = { INT64_MAX / 1000000000ll, 0 }, tick = { 0, 100000000 };
	struct io_uring_cqe *c[64];
	struct io_uring_sqe *q;
	unsigned k, n, ticks = 0, cancelled = 0;
	int ret = 0;

	CU_ASSERT_FATAL(aring__sim_new(&o, &be) == 0);
	S = sim_of(be);
	q = be->ops->get_sqe(be);
	memset(q, 0, sizeof(*q));
	io_uring_prep_timeout(q, &near, 0, 0);
	q->user_data = 1;
	CU_ASSERT_FATAL(be->ops->submit(be, 1) >= 0);
	CU_ASSERT(S->now_ns > (uint64_t)INT64_MAX - 3000000000ull);
	q = be->ops->get_sqe(be);
	memset(q, 0, sizeof(*q));
	io_uring_prep_timeout(q, &far, 0, 0);
	q->user_data = 2; /* due past KTIME_MAX: never fires */
	q = be->ops->get_sqe(be);
	memset(q, 0, sizeof(*q));
	io_uring_prep_timeout(q, &tick, 0, ARING_TIMEOUT_MULTISHOT);
	q->user_data = 3;
	for (k = 0; k < 100 && ret >= 0; k++) {
		ret = be->ops->submit(be, 1);
		while ((n = be->ops->peek(be, c, 64))) {
			for (unsigned j = 0; j < n; j++)
				ticks += c[j]->user_data == 3;
			be->ops->advance(be, n);
		}
	}
	CU_ASSERT_EQUAL(ret, -EDEADLK);
	CU_ASSERT(ticks >= 1 && ticks <= 30); /* every 100 ms until KTIME_MAX */
	q = be->ops->get_sqe(be);
	memset(q, 0, sizeof(*q));
	io_uring_prep_cancel64(q, 0, IORING_ASYNC_CANCEL_ANY | IORING_ASYNC_CANCEL_ALL);
	q->user_data = 4;
	CU_ASSERT_FATAL(be->ops->submit(be, 0) >= 0);
	while ((n = be->ops->peek(be, c, 64))) {
		for (k = 0; k < n; k++)
			cancelled += c[k]->res == -ECANCELED;
		be->ops->advance(be, n);
	}
	CU_ASSERT_EQUAL(cancelled, 2); /* the far timeout and the multishot one */
	CU_ASSERT_EQUAL(aring__soft_live(S->ring), 0);
	be->ops->destroy(be);
	be = NULL;
	S = NULL;
}

/*
 * Regression (found by the fuzzer): poll_remove of a poll still in its
 * latency on a regular file (running, not cancellable) asserted. It is
 * -EALREADY, as io_poll_disarm() answers for a poll it cannot take.
 */
static void test_poll_remove_running(void)
{
	struct aring_sim_opts so = { .seed = 1, .latency_min_ns = 1000, .latency_max_ns = 1000 };
	struct aring_loop_opts o = { .backend = ARING_BACKEND_SIM, .sim = &so, .entries = 8 };
	struct io_uring_cqe *c[8];
	struct io_uring_sqe *q;
	int res[3] = { 0, 0, 0 };
	unsigned k, n;

	CU_ASSERT_FATAL(aring__sim_new(&o, &be) == 0);
	S = sim_of(be);
	q = be->ops->get_sqe(be);
	memset(q, 0, sizeof(*q));
	io_uring_prep_openat(q, AT_FDCWD, "/tmp/f", O_CREAT | O_RDWR, 0644);
	q->user_data = 0;
	CU_ASSERT_FATAL(be->ops->submit(be, 1) >= 0);
	CU_ASSERT_FATAL(be->ops->peek(be, c, 1) == 1 && c[0]->res == (int)ARING_SIM_FD_BASE);
	be->ops->advance(be, 1);
	q = be->ops->get_sqe(be);
	memset(q, 0, sizeof(*q));
	io_uring_prep_poll_add(q, (int)ARING_SIM_FD_BASE, POLLIN);
	q->user_data = 1;
	q = be->ops->get_sqe(be);
	memset(q, 0, sizeof(*q));
	io_uring_prep_poll_remove(q, 1);
	q->user_data = 2;
	CU_ASSERT_FATAL(be->ops->submit(be, 2) >= 0);
	while ((n = be->ops->peek(be, c, 8))) {
		for (k = 0; k < n; k++)
			res[c[k]->user_data] = c[k]->res;
		be->ops->advance(be, n);
	}
	CU_ASSERT_EQUAL(res[2], -EALREADY);
	CU_ASSERT_EQUAL(res[1], POLLIN);
	be->ops->destroy(be);
	be = NULL;
	S = NULL;
}

/* The fd table's and the port table's bitmap against a naive model, at full size. */
static void test_bits(void)
{
	static const uint32_t sizes[] = { 64, 4096, 65536, SIM_MAX_FDS };
	unsigned z, k;

	rng_state = 42;
	for (z = 0; z < sizeof(sizes) / sizeof(sizes[0]); z++) {
		uint32_t n = sizes[z], i;
		uint8_t *naive = calloc(n, 1);
		struct sim_bits b;

		CU_ASSERT_FATAL(naive != NULL);
		CU_ASSERT_FATAL(aring__sim_bits_init(&b, n) == 0);
		CU_ASSERT_EQUAL(aring__sim_bits_find(&b, 0), 0);
		/* Fill every bit in order: each find gives the next one, then -1. */
		for (i = 0; i < n; i++) {
			CU_ASSERT_EQUAL_FATAL(aring__sim_bits_find(&b, 0), (int64_t)i);
			aring__sim_bits_set(&b, i);
			naive[i] = 1;
		}
		CU_ASSERT_EQUAL(aring__sim_bits_find(&b, 0), -1);
		CU_ASSERT_EQUAL(aring__sim_bits_find(&b, n - 1), -1);
		CU_ASSERT_EQUAL(aring__sim_bits_find(&b, n), -1);
		/* Random clears and sets; find from random starts agrees with a scan. */
		for (k = 0; k < 20000; k++) {
			uint32_t from = (uint32_t)below(n), x = (uint32_t)below(n);
			int64_t want = -1;

			if (chance(50)) {
				aring__sim_bits_clear(&b, x);
				naive[x] = 0;
			} else {
				aring__sim_bits_set(&b, x);
				naive[x] = 1;
			}
			for (i = from; i < n; i++)
				if (!naive[i]) {
					want = i;
					break;
				}
			CU_ASSERT_EQUAL_FATAL(aring__sim_bits_find(&b, from), want);
		}
		aring__sim_bits_free(&b);
		free(naive);
	}
}

static CU_TestInfo tests[] = {
	{ "bitmap of lowest free fds and ports", test_bits },
	{ "multishot timeout with a zero interval", test_multishot_zero },
	{ "multishot timeout at the end of virtual time", test_end_of_time },
	{ "poll_remove of a poll that is running", test_poll_remove_running },
	{ "random SQEs and chains on the sim", test_fuzz },
	CU_TEST_INFO_NULL,
};

int main(void)
{
	CU_SuiteInfo suites[] = { { "sim fuzz", NULL, NULL, NULL, NULL, tests }, CU_SUITE_INFO_NULL };
	unsigned f;

	if (CU_initialize_registry() != CUE_SUCCESS || CU_register_suites(suites) != CUE_SUCCESS)
		return 1;
	CU_basic_set_mode(CU_BRM_VERBOSE);
	CU_basic_run_tests();
	f = CU_get_number_of_failures();
	CU_cleanup_registry();
	return f ? 1 : 0;
}
