/* SPDX-License-Identifier: MIT */
#include "examples/http.h"
#include "examples/server.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/stat.h>

/* ---------------------------------------------------------------- parsing */

const char *http_reason(int status)
{
	switch (status) {
	case 200: return "OK";
	case 400: return "Bad Request";
	case 404: return "Not Found";
	case 405: return "Method Not Allowed";
	case 413: return "Payload Too Large";
	case 500: return "Internal Server Error";
	default: return "";
	}
}

static const char *content_type(const char *path)
{
	static const struct { const char *ext, *type; } types[] = {
		{ "html", "text/html; charset=utf-8" }, { "htm", "text/html; charset=utf-8" },
		{ "txt", "text/plain; charset=utf-8" }, { "css", "text/css" },
		{ "js", "text/javascript" },            { "json", "application/json" },
		{ "png", "image/png" },                  { "jpg", "image/jpeg" },
		{ "jpeg", "image/jpeg" },                { "gif", "image/gif" },
		{ "svg", "image/svg+xml" },
	};
	const char *dot, *slash;
	size_t i;

	if (!path)
		return "text/plain; charset=utf-8";
	dot = strrchr(path, '.');
	slash = strrchr(path, '/');
	if (dot && (!slash || dot > slash))
		for (i = 0; i < sizeof(types) / sizeof(types[0]); i++)
			if (strcasecmp(dot + 1, types[i].ext) == 0)
				return types[i].type;
	return "application/octet-stream";
}

size_t http_header(char *buf, size_t cap, int status, uint64_t content_length, const char *path,
		   bool keep_alive)
{
	int n = snprintf(buf, cap,
			 "HTTP/1.1 %d %s\r\nServer: aring\r\nContent-Length: %llu\r\n"
			 "Content-Type: %s\r\nConnection: %s\r\n%s\r\n",
			 status, http_reason(status), (unsigned long long)content_length,
			 content_type(path), keep_alive ? "keep-alive" : "close",
			 status == 405 ? "Allow: GET, HEAD\r\n" : "");

	return n < 0 || (size_t)n >= cap ? 0 : (size_t)n;
}

/* RFC 9110 5.6.2 tchar. */
static bool is_tchar(unsigned char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c && strchr("!#$%&'*+-.^_`|~", c));
}

static bool is_token(const char *p, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (!is_tchar((unsigned char)p[i]))
			return false;
	return n > 0;
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/*
 * The origin-form target [p, p + n) to a path relative to the root:
 * percent-decoded first, then split on '/'; "." and empty segments dropped,
 * ".." rejected (so nothing decoded can climb out), a trailing '/' (or the
 * root) served as index.html. Returns 0 or 400.
 */
static int decode_path(const char *p, size_t n, char *out)
{
	char dec[HTTP_PATH_MAX];
	size_t i, d = 0, o = 0, seg;

	if (n == 0 || p[0] != '/')
		return 400;  /* absolute-form, authority-form and "*" are not served */
	for (i = 0; i < n && p[i] != '?' && p[i] != '#'; i++) {
		char c = p[i];

		if (c == '%') {
			int hi = i + 2 < n ? hexval(p[i + 1]) : -1, lo = hi >= 0 ? hexval(p[i + 2]) : -1;

			if (lo < 0)
				return 400;
			c = (char)(hi << 4 | lo);
			i += 2;
		}
		if (c == '\0' || d + 1 >= sizeof(dec))
			return 400;
		dec[d++] = c;
	}
	for (i = 0; i < d; i = seg + 1) {
		for (seg = i; seg < d && dec[seg] != '/'; seg++)
			;
		if (seg == i || (seg - i == 1 && dec[i] == '.'))
			continue;
		if (seg - i == 2 && dec[i] == '.' && dec[i + 1] == '.')
			return 400;
		if (o + (seg - i) + 2 >= HTTP_PATH_MAX)
			return 400;
		if (o)
			out[o++] = '/';
		memcpy(out + o, dec + i, seg - i);
		o += seg - i;
	}
	if (d == 0 || dec[d - 1] == '/' || o == 0) {
		static const char index[] = "index.html";

		if (o + sizeof(index) + 1 >= HTTP_PATH_MAX)
			return 400;
		if (o)
			out[o++] = '/';
		memcpy(out + o, index, sizeof(index) - 1);
		o += sizeof(index) - 1;
	}
	out[o] = '\0';
	return 0;
}

/* Does the comma-separated list [v, v + n) hold token tok (case-insensitive)? */
static bool list_has(const char *v, size_t n, const char *tok)
{
	size_t t = strlen(tok), i = 0;

	while (i < n) {
		size_t j;

		while (i < n && (v[i] == ' ' || v[i] == '\t' || v[i] == ','))
			i++;
		for (j = i; j < n && v[j] != ','; j++)
			;
		while (j > i && (v[j - 1] == ' ' || v[j - 1] == '\t'))
			j--;
		if (j - i == t && strncasecmp(v + i, tok, t) == 0)
			return true;
		for (i = j; i < n && v[i] != ','; i++)
			;
	}
	return false;
}

/* Next line of [p, end): its length without CR LF in *n; the next line's start, or NULL. */
static const char *next_line(const char *p, const char *end, size_t *n)
{
	const char *nl = memchr(p, '\n', (size_t)(end - p));

	if (!nl)
		return NULL;
	*n = (size_t)(nl - p) - (nl > p && nl[-1] == '\r');
	return nl + 1;
}

int http_parse(const char *buf, size_t len, struct http_req *req)
{
	const char *end = buf + (len < HTTP_HEADER_MAX ? len : HTTP_HEADER_MAX), *p = buf, *next;
	const char *sp1, *sp2, *line;
	bool method_ok, have_len = false, http11;
	unsigned hosts = 0;
	size_t n;
	int ret;

	memset(req, 0, sizeof(*req));
	/* RFC 9112 2.2: empty lines before the request line are ignored. */
	while ((next = next_line(p, end, &n)) && n == 0)
		p = next;
	line = p;
	if (!next)
		return len >= HTTP_HEADER_MAX ? 413 : -EAGAIN;
	/* The whole header first, so a 413 wins over anything found in it. */
	for (p = next; (next = next_line(p, end, &n)) && n; p = next)
		;
	if (!next)
		return len >= HTTP_HEADER_MAX ? 413 : -EAGAIN;
	req->header_len = (size_t)(next - buf);

	/* Request line: method SP target SP version. */
	next = next_line(line, end, &n);
	sp1 = memchr(line, ' ', n);
	sp2 = sp1 ? memchr(sp1 + 1, ' ', n - (size_t)(sp1 + 1 - line)) : NULL;
	if (!sp2 || !is_token(line, (size_t)(sp1 - line)))
		return 400;
	if (line + n - (sp2 + 1) != 8 || memcmp(sp2 + 1, "HTTP/1.", 7) ||
	    (sp2[8] != '0' && sp2[8] != '1'))
		return 400;
	http11 = sp2[8] == '1';
	req->keep_alive = http11;
	method_ok = true;
	if (sp1 - line == 3 && memcmp(line, "GET", 3) == 0)
		req->method = HTTP_GET;
	else if (sp1 - line == 4 && memcmp(line, "HEAD", 4) == 0)
		req->method = HTTP_HEAD;
	else
		method_ok = false;
	ret = decode_path(sp1 + 1, (size_t)(sp2 - sp1 - 1), req->path);
	if (ret && method_ok)
		return ret;

	/* Header fields: name ":" OWS value OWS. */
	for (p = next; (next = next_line(p, end, &n)) && n; p = next) {
		const char *colon = memchr(p, ':', n), *v;
		size_t name_len, vn;

		if (!colon || !is_token(p, (size_t)(colon - p)))
			return 400;
		name_len = (size_t)(colon - p);
		for (v = colon + 1; v < p + n && (*v == ' ' || *v == '\t'); v++)
			;
		vn = (size_t)(p + n - v);
		while (vn && (v[vn - 1] == ' ' || v[vn - 1] == '\t'))
			vn--;
		if (name_len == 10 && strncasecmp(p, "connection", 10) == 0) {
			if (list_has(v, vn, "close"))
				req->keep_alive = false;
			else if (list_has(v, vn, "keep-alive"))
				req->keep_alive = true;
		} else if (name_len == 14 && strncasecmp(p, "content-length", 14) == 0) {
			uint64_t cl = 0;
			size_t i;

			if (vn == 0 || vn > 19)
				return 400;
			for (i = 0; i < vn; i++) {
				if (v[i] < '0' || v[i] > '9')
					return 400;
				cl = cl * 10 + (uint64_t)(v[i] - '0');
			}
			if (have_len && cl != req->body_len)
				return 400;
			have_len = true;
			req->body_len = cl;
		} else if (name_len == 17 && strncasecmp(p, "transfer-encoding", 17) == 0) {
			return 400;  /* no request bodies but by Content-Length */
		} else if (name_len == 4 && strncasecmp(p, "host", 4) == 0) {
			hosts++;
		}
	}
	if (http11 && hosts != 1)
		return 400;  /* RFC 9112 3.2: exactly one Host in HTTP/1.1 */
	if (req->body_len > HTTP_BODY_MAX)
		return 413;
	return method_ok ? 0 : 405;
}

/* ---------------------------------------------------------------- the server */

struct http_server {
	aring_loop *loop;
	int lfd, dirfd;
	struct http_opts o;
	aring_group *acceptors, *conns;
	struct aring_sem slots;     /* free connection slots: max_conns */
	struct aring_wg busy;       /* responses under way */
	unsigned inflight;
	bool draining;
	struct http_stats st;
};

struct conn {
	struct http_server *s;
	int fd;
	size_t have;                /* bytes in in[] */
	size_t used;                /* of them, the current request's (header and body) */
	bool linger;                /* closing after an error: drain what the client still sends */
	aring_recv_iter *it;        /* -b: the multishot recv, NULL otherwise */
	struct aring_buf pend;      /* -b: the chunk being copied out (pend.pool NULL: none) */
	size_t pend_off;
	struct http_req req;
	char in[HTTP_HEADER_MAX];
	char out[HTTP_HEAD_ROOM + HTTP_FILE_CHUNK];
};

/*
 * A receive into dst, as aring_recv: with a pool (-b) from the
 * connection's multishot recv, a chunk copied out over one or more calls.
 */
static int conn_recv(aring_loop *loop, struct conn *c, char *dst, size_t cap,
		     const struct aring_opt *opt)
{
	size_t n;
	int r;

	if (!c->it)
		return aring_recv(loop, c->fd, dst, cap, 0, opt);
	if (!c->pend.pool) {
		/* -ENOBUFS: every buffer is out with other connections; wait for one */
		while ((r = aring_recv_next(loop, c->it, &c->pend, opt)) == -ENOBUFS)
			if ((r = aring_bufpool_wait(loop, c->s->o.pool, opt)) < 0)
				return r;
		if (r == -EOPNOTSUPP) {
			/* no buffer selection on this backend: plain receives */
			aring_recv_end(loop, c->it);
			c->it = NULL;
			return aring_recv(loop, c->fd, dst, cap, 0, opt);
		}
		if (r <= 0)
			return r;
		c->pend_off = 0;
	}
	n = c->pend.len - c->pend_off < cap ? c->pend.len - c->pend_off : cap;
	memcpy(dst, (char *)c->pend.data + c->pend_off, n);
	c->pend_off += n;
	if (c->pend_off == c->pend.len)
		aring_buf_release(&c->pend);  /* clears pend.pool */
	return (int)n;
}

/*
 * Read one request into c->in and drop its body. Returns 0 or an error
 * status (http_parse), or -errno to close the connection without a response
 * (EOF, a timeout, an error, a cancel).
 */
static int read_request(aring_loop *loop, struct conn *c)
{
	struct aring_opt ropt = { .timeout_ns = c->s->o.read_timeout_ns };
	uint64_t drop;
	int ret, n;

	for (;;) {
		ret = c->have ? http_parse(c->in, c->have, &c->req) : -EAGAIN;
		if (ret != -EAGAIN)
			break;
		n = conn_recv(loop, c, c->in + c->have, sizeof(c->in) - c->have, &ropt);
		if (n <= 0)
			return n == 0 ? -ECONNRESET : n;
		c->have += (size_t)n;
	}
	if (ret != 0 && ret != 405)
		return ret;
	if (c->req.body_len <= c->have - c->req.header_len) {
		c->used = c->req.header_len + (size_t)c->req.body_len;
		return ret;
	}
	drop = c->req.body_len - (c->have - c->req.header_len);
	c->used = c->have;
	while (drop) {
		n = conn_recv(loop, c, c->out, drop < sizeof(c->out) ? (size_t)drop : sizeof(c->out), &ropt);
		if (n <= 0)
			return n == 0 ? -ECONNRESET : n;
		drop -= (uint64_t)n;
	}
	return ret;
}

static int send_out(aring_loop *loop, struct conn *c, const char *buf, size_t len)
{
	struct aring_opt wopt = { .timeout_ns = c->s->o.write_timeout_ns };

	return aring_send_all(loop, c->fd, buf, len, MSG_NOSIGNAL, &wopt);
}

static void count_status(struct http_server *s, int status)
{
	if (status < 300)
		s->st.status_2xx++;
	else if (status < 500)
		s->st.status_4xx++;
	else
		s->st.status_5xx++;
}

/* An error response with a short text body. Returns keep-alive (true) or close. */
static bool send_error(aring_loop *loop, struct conn *c, int status, bool head)
{
	bool keep = (status == 404 || status == 405) && c->req.keep_alive && !c->s->draining;
	char body[64];
	int blen = snprintf(body, sizeof(body), "%d %s\n", status, http_reason(status));
	size_t hlen = http_header(c->out, sizeof(c->out), status, (uint64_t)blen, NULL, keep);

	memcpy(c->out + hlen, body, head ? 0 : (size_t)blen);
	count_status(c->s, status);
	c->linger = !keep;
	if (send_out(loop, c, c->out, hlen + (head ? 0 : (size_t)blen)) < 0)
		return false;
	c->s->st.responses++;
	return keep;
}

/*
 * Serve c->req.path: read up to a chunk; if the file ended within it, that
 * is its size (no statx: one read past the end is cheaper); else ask statx.
 * The header is written just before the first chunk, so a small file goes
 * out in one send. Returns keep-alive or close.
 */
static bool serve_file(aring_loop *loop, struct conn *c)
{
	struct http_server *s = c->s;
	struct open_how how = { .flags = O_RDONLY | O_CLOEXEC | O_NONBLOCK,
				.resolve = RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS };
	bool head = c->req.method == HTTP_HEAD, keep = c->req.keep_alive && !s->draining;
	char *body = c->out + HTTP_HEAD_ROOM, hdr[HTTP_HEAD_ROOM];
	uint64_t size, off = 0;
	bool eof = false;
	size_t hlen;
	int ffd, n;

	ffd = aring_openat2(loop, s->dirfd, c->req.path, &how, NULL);
	if (ffd < 0)
		return send_error(loop, c, ffd == -ENOMEM || ffd == -ENFILE || ffd == -EMFILE ||
					   ffd == -ECANCELED ? 500 : 404, head);
	while (off < HTTP_FILE_CHUNK) {
		n = aring_read(loop, ffd, body + off, (unsigned)(HTTP_FILE_CHUNK - off), off, NULL);
		if (n < 0) {
			aring_close(loop, ffd, NULL);
			return send_error(loop, c, n == -EISDIR ? 404 : 500, head);
		}
		if (n == 0) {
			eof = true;
			break;
		}
		off += (uint64_t)n;
	}
	size = off;
	if (!eof) {
		struct statx stx;

		n = aring_statx(loop, ffd, "", AT_EMPTY_PATH, STATX_SIZE, &stx, NULL);
		if (n < 0) {
			aring_close(loop, ffd, NULL);
			return send_error(loop, c, 500, head);
		}
		if (stx.stx_size > size)
			size = stx.stx_size;
	}
	hlen = http_header(hdr, sizeof(hdr), 200, size, c->req.path, keep);
	memcpy(body - hlen, hdr, hlen);
	count_status(s, 200);
	if (send_out(loop, c, body - hlen, hlen + (head ? 0 : off)) < 0) {
		aring_close(loop, ffd, NULL);
		return false;
	}
	while (!head && off < size) {
		uint64_t want = size - off < HTTP_FILE_CHUNK ? size - off : HTTP_FILE_CHUNK;

		n = aring_read(loop, ffd, body, (unsigned)want, off, NULL);
		if (n <= 0 || send_out(loop, c, body, (size_t)n) < 0) {
			/* Shorter than it said, or the client is gone: only a close ends it now. */
			aring_close(loop, ffd, NULL);
			return false;
		}
		off += (uint64_t)n;
	}
	aring_close(loop, ffd, NULL);
	s->st.responses++;
	return keep;
}

static int conn_task(aring_loop *loop, void *arg)
{
	struct conn *c = arg;
	struct http_server *s = c->s;

	if (s->o.pool && aring_recv_multishot(loop, c->fd, s->o.pool, 0, &c->it) < 0)
		c->it = NULL;
	for (;;) {
		int status = read_request(loop, c);
		bool keep;

		if (status < 0)
			break;
		/* A response begins: the shutdown waits for it (no suspension since the read). */
		s->st.requests++;
		s->inflight++;
		aring_wg_add(&s->busy, 1);
		if (status == 0)
			keep = serve_file(loop, c);
		else
			keep = send_error(loop, c, status, c->req.method == HTTP_HEAD);
		s->inflight--;
		if (s->draining)
			s->st.finished_in_drain++;
		aring_wg_done(loop, &s->busy);
		if (!keep || s->draining)
			break;  /* during a shutdown no new request is read */
		memmove(c->in, c->in + c->used, c->have - c->used);
		c->have -= c->used;
	}
	if (c->linger) {
		/*
		 * A lingering close (as nginx's lingering_close): closing with
		 * unread bytes would send a RST, which may destroy the error
		 * response before the client reads it. Send FIN, then drop what
		 * still comes for a while (64 KiB, one read timeout at most).
		 */
		struct aring_opt lopt = { .timeout_ns = s->o.read_timeout_ns < 1000000000u ?
							 s->o.read_timeout_ns : 1000000000u };
		size_t dropped = 0;
		int n = aring_shutdown(loop, c->fd, SHUT_WR, NULL);

		while (n >= 0 && dropped < 65536 &&
		       (n = conn_recv(loop, c, c->out, sizeof(c->out), &lopt)) > 0)
			dropped += (size_t)n;
	}
	if (c->pend.pool)
		aring_buf_release(&c->pend);
	aring_recv_end(loop, c->it);
	aring_close(loop, c->fd, NULL);
	free(c);
	aring_sem_release(loop, &s->slots);
	return 0;
}

static int acceptor_task(aring_loop *loop, void *arg)
{
	struct http_server *s = arg;

	for (;;) {
		int fd = example_accept(loop, s->lfd, &s->slots), ret = -ENOMEM;
		struct conn *c;

		if (fd < 0)
			return fd == -ECANCELED ? 0 : fd;
		c = malloc(sizeof(*c));
		if (c) {
			c->s = s;
			c->fd = fd;
			c->have = c->used = 0;
			c->linger = false;
			c->it = NULL;
			c->pend.pool = NULL;
			ret = aring_group_spawn(s->conns, conn_task, c);
		}
		if (ret < 0) {
			aring_close(loop, fd, NULL);
			free(c);
			aring_sem_release(loop, &s->slots);
			continue;
		}
		s->st.conns++;
	}
}

int http_server_start(aring_loop *loop, int lfd, int dirfd, const struct http_opts *opts,
		      struct http_server **out)
{
	struct http_server *s;
	int ret;

	if (!loop || !out || lfd < 0 || dirfd < 0)
		return -EINVAL;
	s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	s->loop = loop;
	s->lfd = lfd;
	s->dirfd = dirfd;
	if (opts)
		s->o = *opts;
	if (!s->o.read_timeout_ns)
		s->o.read_timeout_ns = HTTP_READ_TIMEOUT_NS;
	if (!s->o.write_timeout_ns)
		s->o.write_timeout_ns = HTTP_WRITE_TIMEOUT_NS;
	if (!s->o.drain_timeout_ns)
		s->o.drain_timeout_ns = HTTP_DRAIN_TIMEOUT_NS;
	if (!s->o.max_conns)
		s->o.max_conns = HTTP_MAX_CONNS;
	aring_sem_init(&s->slots, s->o.max_conns);
	aring_wg_init(&s->busy);
	ret = aring_group_new(loop, &s->conns);
	if (ret == 0) {
		ret = aring_group_new(loop, &s->acceptors);
		if (ret < 0)
			aring_group_free(s->conns);
	}
	if (ret == 0) {
		ret = aring_group_spawn(s->acceptors, acceptor_task, s);
		if (ret < 0) {
			aring_group_free(s->acceptors);
			aring_group_free(s->conns);
		}
	}
	if (ret < 0) {
		free(s);
		return ret;
	}
	*out = s;
	return 0;
}

void http_server_stats(const struct http_server *s, struct http_stats *stats)
{
	*stats = s->st;
}

int http_server_shutdown(aring_loop *loop, struct http_server *s, struct http_stats *stats)
{
	uint64_t deadline = aring_now_ns(loop) + s->o.drain_timeout_ns;
	int ret = 0;

	/* Stop accepting: the acceptor ends (-ECANCELED), the listening socket closes. */
	s->draining = true;
	s->st.inflight_at_stop = s->inflight;
	aring_group_cancel(loop, s->acceptors);
	aring_group_wait(loop, s->acceptors, NULL);
	aring_close(loop, s->lfd, NULL);
	/* Let the responses under way finish (a new one may begin meanwhile: wait again). */
	while (s->inflight) {
		uint64_t now = aring_now_ns(loop);
		struct aring_opt opt = { .timeout_ns = deadline > now ? deadline - now : 1 };

		ret = aring_wg_wait(loop, &s->busy, &opt);
		if (ret < 0)
			break;
	}
	/* Then end the rest: idle keep-alive connections and half-read requests. */
	aring_group_cancel(loop, s->conns);
	aring_group_wait(loop, s->conns, NULL);
	aring_group_free(s->conns);
	aring_group_free(s->acceptors);
	if (stats)
		*stats = s->st;
	free(s);
	return ret;
}

int http_serve(aring_loop *loop, int lfd, int dirfd, const struct http_opts *opts,
	       struct http_stats *stats)
{
	struct http_server *s;
	sigset_t set;
	int sig, ret;

	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	ret = http_server_start(loop, lfd, dirfd, opts, &s);
	if (ret < 0)
		return ret;
	sig = aring_signal_wait(loop, &set, NULL);
	ret = http_server_shutdown(loop, s, stats);
	if (stats)
		stats->signal = sig > 0 ? sig : 0;
	return sig < 0 ? sig : ret;
}
