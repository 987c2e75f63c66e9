/* The replicated key-value store (protocol: README.md). */
#include "kv.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

enum kv_plant kv_plant_from_env(void)
{
	const char *p = getenv("KV_PLANT");

	if (!p)
		return KV_PLANT_NONE;
	if (!strcmp(p, "ack-before-fsync"))
		return KV_PLANT_ACK_BEFORE_FSYNC;
	if (!strcmp(p, "short-read-log"))
		return KV_PLANT_SHORT_READ_LOG;
	if (!strcmp(p, "stale-primary"))
		return KV_PLANT_STALE_PRIMARY;
	return KV_PLANT_NONE;
}

/* CRC-32C (Castagnoli, reflected), a byte at a time: check value of "123456789" 0xe3069283. */
static uint32_t crc32c(const void *p, size_t n)
{
	static uint32_t tab[256];
	const uint8_t *b = p;
	uint32_t c = ~0u;

	if (!tab[1])
		for (uint32_t i = 0; i < 256; i++) {
			uint32_t x = i;
			for (int k = 0; k < 8; k++)
				x = (x >> 1) ^ (0x82f63b78u & -(x & 1));
			tab[i] = x;
		}
	while (n--)
		c = (c >> 8) ^ tab[(c ^ *b++) & 0xff];
	return ~c;
}

static void rec_seal(struct kv_rec *r)
{
	r->len = sizeof(*r) - 8;
	r->crc = crc32c((const char *)r + 8, r->len);
}

/* ------------------------------------------------------------ I/O helpers */

/* An op that did not happen (cancelled, interrupted): it may be issued again. */
static int transient(int r)
{
	return r == -ECANCELED || r == -EINTR || r == -EAGAIN;
}

static int read_full(aring_loop *loop, int fd, void *buf, unsigned n, uint64_t off)
{
	unsigned got = 0;

	while (got < n) {
		int r = aring_read(loop, fd, (char *)buf + got, n - got, off + got, NULL);
		if (transient(r))
			continue;
		if (r < 0)
			return r;
		if (r == 0)
			break;
		got += r;
	}
	return got;
}

static int write_full(aring_loop *loop, int fd, const void *buf, unsigned n, uint64_t off)
{
	unsigned put = 0;

	while (put < n) {
		int r = aring_write(loop, fd, (const char *)buf + put, n - put, off + put, NULL);
		if (transient(r))
			continue;
		if (r < 0)
			return r;
		if (r == 0)
			return -EIO;
		put += r;
	}
	return 0;
}

static int recv_msg(aring_loop *loop, int fd, struct kv_msg *m, uint64_t timeout_ns)
{
	struct aring_opt o = { .timeout_ns = timeout_ns };
	size_t got = 0;

	while (got < sizeof(*m)) {
		int r = aring_recv(loop, fd, (char *)m + got, sizeof(*m) - got, 0,
				   timeout_ns ? &o : NULL);
		if (r < 0)
			return r;
		if (r == 0)
			return -ECONNRESET;
		got += r;
	}
	return 0;
}

static int send_msg(aring_loop *loop, int fd, const struct kv_msg *m, uint64_t timeout_ns)
{
	struct aring_opt o = { .timeout_ns = timeout_ns };
	int r = aring_send_all(loop, fd, m, sizeof(*m), MSG_NOSIGNAL, timeout_ns ? &o : NULL);

	return r < 0 ? r : 0;
}

static int dial(aring_loop *loop, const struct sockaddr_in *a, uint64_t timeout_ns)
{
	struct aring_opt o = { .timeout_ns = timeout_ns };
	int fd = aring_socket(loop, AF_INET, SOCK_STREAM, 0, 0, NULL), r;

	if (fd < 0)
		return fd;
	r = aring_connect(loop, fd, (const struct sockaddr *)a, sizeof(*a), &o);
	if (r < 0) {
		aring_close(loop, fd, NULL);
		return r;
	}
	return fd;
}

/* One request/reply on a cached connection; the connection is dropped on any error. */
static int rpc(aring_loop *loop, int *fd, const struct sockaddr_in *a, uint64_t timeout_ns,
	       const struct kv_msg *req, struct kv_msg *rep)
{
	int r;

	if (*fd < 0) {
		*fd = dial(loop, a, timeout_ns);
		if (*fd < 0)
			return *fd;
	}
	r = send_msg(loop, *fd, req, timeout_ns);
	if (!r)
		r = recv_msg(loop, *fd, rep, timeout_ns);
	if (r) {
		aring_close(loop, *fd, NULL);
		*fd = -1;
	}
	return r;
}

/* ------------------------------------------------------------ the log */

/* Append record seq (== len + 1) durably. On failure the node stops serving (dead). */
static int log_append(aring_loop *loop, struct kv_node *n, const struct kv_rec *rec)
{
	int r = write_full(loop, n->logfd, rec, sizeof(*rec), (rec->seq - 1) * sizeof(*rec));

	if (!r && n->plant != KV_PLANT_ACK_BEFORE_FSYNC)
		while (transient(r = aring_fsync(loop, n->logfd, 0, NULL)))
			;
	if (r)
		return r; /* the caller marks the node dead: after a failed fsync
		             the page cache may have dropped the data (Linux) */
	n->recs[rec->seq - 1] = *rec;
	n->len = rec->seq;
	if (rec->val > n->maxval)
		n->maxval = rec->val;
	return 0;
}

/*
 * Replay the log: stop at the end or at the first short, torn or
 * bad-checksum record. A read error fails (the node must not take a log it
 * could not read for a shorter one).
 */
static int log_replay(aring_loop *loop, struct kv_node *n)
{
	struct kv_rec r;

	memset(&r, 0, sizeof(r));
	while (n->len < KV_MAX_RECS) {
		int got;

		if (n->plant == KV_PLANT_SHORT_READ_LOG) /* planted: one read, taken as whole */
			while (transient(got = aring_read(loop, n->logfd, &r, sizeof(r),
							  n->len * sizeof(r), NULL)))
				;
		else
			got = read_full(loop, n->logfd, &r, sizeof(r), n->len * sizeof(r));
		if (got < 0)
			return got;
		if (got == 0)
			break;
		if (n->plant == KV_PLANT_SHORT_READ_LOG && got < (int)sizeof(r))
			r.seq = n->len + 1; /* planted: the rest of the buffer is taken as is */
		else if (got < (int)sizeof(r) || r.len != sizeof(r) - 8 ||
			 r.crc != crc32c((char *)&r + 8, r.len) || r.seq != n->len + 1)
			break;
		n->recs[n->len++] = r;
		if (r.val > n->maxval)
			n->maxval = r.val;
	}
	return 0;
}

static int open_log(aring_loop *loop, struct kv_node *n)
{
	char path[512];
	int dfd, r;

	snprintf(path, sizeof(path), "%s/kv.log", n->datadir);
	n->logfd = aring_openat(loop, AT_FDCWD, path, O_RDWR | O_CREAT, 0644, NULL);
	if (n->logfd < 0)
		return n->logfd;
	/* the log's name is durable only once its directory is synced */
	dfd = aring_openat(loop, AT_FDCWD, n->datadir, O_RDONLY | O_DIRECTORY, 0, NULL);
	if (dfd < 0)
		return dfd;
	r = aring_fsync(loop, dfd, 0, NULL);
	aring_close(loop, dfd, NULL);
	return r;
}

/* ------------------------------------------------------------ serving */

static int dead(struct kv_node *n)
{
	return n->logfd < 0;
}

/* Send record s of our log to backup b; follow its NEED until it has seq upto. */
static int replicate(aring_loop *loop, struct kv_node *n, int b, uint64_t upto)
{
	uint64_t s = upto;

	for (int rounds = 0; rounds < 64; rounds++) {
		struct kv_rec *rec = &n->recs[s - 1];
		struct kv_msg req = { .type = KV_REPL, .key = rec->key, .seq = s, .val = rec->val,
				      .commit = n->commit }, rep;
		int r = rpc(loop, &n->peer_fd[b], &n->addr[b], n->timeout_ns, &req, &rep);

		if (r)
			return r;
		if (rep.type == KV_NEED && rep.seq < s) {
			s = rep.seq + 1;
			continue;
		}
		if (rep.type != KV_OK)
			return -EIO;
		if (s == upto)
			return 0;
		s++;
	}
	return -EAGAIN;
}

/* Node 0, before its first write: pull records a backup has beyond our log. */
static int pull(aring_loop *loop, struct kv_node *n, int b)
{
	for (;;) {
		struct kv_msg req = { .type = KV_GET, .key = UINT32_MAX, .seq = n->len + 1 }, rep;
		struct kv_rec rec = { 0 };
		int r = rpc(loop, &n->peer_fd[b], &n->addr[b], n->timeout_ns, &req, &rep);

		if (r)
			return r;
		if (rep.type != KV_REPL)
			return 0;
		rec.seq = rep.seq, rec.key = rep.key, rec.val = rep.val;
		rec_seal(&rec);
		r = log_append(loop, n, &rec);
		if (r) {
			n->logfd = -1;
			return r;
		}
	}
}

static void handle(aring_loop *loop, struct kv_node *n, const struct kv_msg *m, struct kv_msg *rep)
{
	memset(rep, 0, sizeof(*rep));
	rep->type = KV_ERR;
	if (dead(n))
		return;
	if (m->type == KV_GET && m->key == UINT32_MAX) { /* log pull: record m->seq */
		if (m->seq >= 1 && m->seq <= n->len) {
			const struct kv_rec *r = &n->recs[m->seq - 1];
			rep->type = KV_REPL, rep->key = r->key, rep->seq = r->seq, rep->val = r->val;
		} else {
			rep->type = KV_OK;
		}
		return;
	}
	if (m->type == KV_GET && m->key < KV_KEYS) {
		/* serve the state at a committed prefix: at least what the client saw */
		uint64_t p = n->commit > m->seq ? n->commit : m->seq;
		if (n->plant == KV_PLANT_STALE_PRIMARY)
			p = n->commit < n->len ? n->commit : n->len; /* planted: our own idea */
		if (p > n->len)
			return; /* behind: the client asks another node */
		rep->type = KV_OK, rep->key = m->key, rep->seq = p;
		for (uint64_t i = p; i > 0; i--)
			if (n->recs[i - 1].key == m->key) {
				rep->val = n->recs[i - 1].val;
				break;
			}
		return;
	}
	if (m->type == KV_REPL && n->id != 0) {
		aring_mutex_lock(loop, &n->mu, NULL);
		if (m->seq == n->len + 1 && m->seq <= KV_MAX_RECS) {
			struct kv_rec rec = { .seq = m->seq, .key = m->key, .val = m->val };
			rec_seal(&rec);
			if (log_append(loop, n, &rec)) {
				n->logfd = -1;
				aring_mutex_unlock(loop, &n->mu);
				return;
			}
		}
		if (m->seq <= n->len) {
			rep->type = KV_OK, rep->seq = m->seq;
			uint64_t c = m->commit < n->len ? m->commit : n->len;
			if (c > n->commit)
				n->commit = c;
		} else {
			rep->type = KV_NEED, rep->seq = n->len;
		}
		aring_mutex_unlock(loop, &n->mu);
		return;
	}
	if (m->type == KV_PUT && n->id == 0 && m->key < KV_KEYS) {
		int r = 0;
		aring_mutex_lock(loop, &n->mu, NULL);
		for (int b = 1; b < KV_NODES && !r; b++)
			if (!(n->synced & (1 << b)) && !(r = pull(loop, n, b)))
				n->synced |= 1 << b;
		/* op numbers increase: a late duplicate of an old request is refused */
		if (r || dead(n) || m->val <= n->maxval || n->len >= KV_MAX_RECS)
			goto out;
		struct kv_rec rec = { .seq = n->len + 1, .key = m->key, .val = m->val };
		rec_seal(&rec);
		if (log_append(loop, n, &rec)) {
			n->logfd = -1;
			goto out;
		}
		for (int b = 1; b < KV_NODES; b++)
			if (replicate(loop, n, b, rec.seq))
				goto out;
		n->commit = rec.seq;
		rep->type = KV_OK, rep->seq = rec.seq;
out:
		aring_mutex_unlock(loop, &n->mu);
	}
}

struct conn { struct kv_node *n; int fd; };

static int conn_task(aring_loop *loop, void *arg)
{
	struct conn c = *(struct conn *)arg;
	struct kv_msg m, rep;

	free(arg);
	while (!recv_msg(loop, c.fd, &m, 0)) {
		handle(loop, c.n, &m, &rep);
		if (send_msg(loop, c.fd, &rep, c.n->timeout_ns))
			break;
	}
	aring_close(loop, c.fd, NULL);
	return 0;
}

/* Open and replay the log, listen. */
static int start(aring_loop *loop, struct kv_node *n)
{
	int r;

	n->len = n->commit = n->maxval = 0;
	n->logfd = n->lfd = -1;
	n->synced = 0;
	for (int i = 0; i < KV_NODES; i++)
		n->peer_fd[i] = -1;
	aring_mutex_init(&n->mu);
	if ((r = open_log(loop, n)) < 0 || (r = log_replay(loop, n)) < 0)
		return r;
	n->lfd = aring_socket(loop, AF_INET, SOCK_STREAM, 0, 0, NULL);
	if (n->lfd < 0)
		return n->lfd;
	r = aring_bind(loop, n->lfd, (const struct sockaddr *)&n->addr[n->id],
		       sizeof(n->addr[n->id]), NULL);
	if (!r)
		r = aring_listen(loop, n->lfd, 64, NULL);
	return r;
}

int kv_node_main(aring_loop *loop, void *arg)
{
	struct kv_node *n = arg;

	/* a failed start (an unreadable log, a port not yet free) is tried again */
	while (start(loop, n)) {
		if (n->logfd >= 0)
			aring_close(loop, n->logfd, NULL);
		if (n->lfd >= 0)
			aring_close(loop, n->lfd, NULL);
		n->logfd = -1;
		if (aring_sleep(loop, 10000000) == -ECANCELED)
			return -ECANCELED;
	}
	for (;;) {
		int fd = aring_accept(loop, n->lfd, NULL, NULL, 0, NULL);
		struct conn *c;

		if (fd < 0) {
			if (fd == -ECANCELED)
				return fd;
			continue;
		}
		c = malloc(sizeof(*c));
		if (c)
			c->n = n, c->fd = fd;
		if (!c || aring_spawn(loop, conn_task, c, NULL)) {
			free(c);
			aring_close(loop, fd, NULL);
			continue;
		}
	}
}

/* ------------------------------------------------------------ the client */

void kv_client_init(struct kv_client *c, const struct sockaddr_in *addr, uint64_t timeout_ns)
{
	memset(c, 0, sizeof(*c));
	memcpy(c->addr, addr, sizeof(c->addr));
	for (int i = 0; i < KV_NODES; i++)
		c->fd[i] = -1;
	c->timeout_ns = timeout_ns;
	c->debug = getenv("KV_DEBUG") != NULL;
}

void kv_client_close(aring_loop *loop, struct kv_client *c)
{
	for (int i = 0; i < KV_NODES; i++)
		if (c->fd[i] >= 0) {
			aring_close(loop, c->fd[i], NULL);
			c->fd[i] = -1;
		}
}

int kv_put(aring_loop *loop, struct kv_client *c, uint32_t key, uint64_t val)
{
	struct kv_msg req = { .type = KV_PUT, .key = key, .val = val }, rep;
	int r = rpc(loop, &c->fd[0], &c->addr[0], c->timeout_ns, &req, &rep);

	if (r)
		return r;
	if (rep.type != KV_OK)
		return -EIO;
	if (rep.seq > c->minseq)
		c->minseq = rep.seq;
	return 0;
}

int kv_get(aring_loop *loop, struct kv_client *c, uint32_t key, uint64_t *val)
{
	int r = -EIO;

	for (int k = 0; k < KV_NODES; k++) {
		int i = (c->primary + k) % KV_NODES;
		struct kv_msg req = { .type = KV_GET, .key = key, .seq = c->minseq }, rep;

		r = rpc(loop, &c->fd[i], &c->addr[i], c->timeout_ns, &req, &rep);
		if (!r && rep.type != KV_OK)
			r = -EAGAIN;
		if (r)
			continue;
		if (c->debug)
			fprintf(stderr, "kv: get key %u from node %d at %llu (minseq %llu)\n", key, i,
				(unsigned long long)rep.seq, (unsigned long long)c->minseq);
		c->primary = i;
		if (rep.seq > c->minseq)
			c->minseq = rep.seq;
		*val = rep.val;
		return 0;
	}
	c->primary = 0;
	return r;
}
