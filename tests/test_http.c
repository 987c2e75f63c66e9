/* SPDX-License-Identifier: MIT */
/*
 * The HTTP example (examples/http.c): the server and its clients as tasks of
 * one loop, over real 127.0.0.1 sockets on uring and simulated ones on the
 * sim (some runs with short transfers, errors and stalled ops), plus the
 * real examples/http_server binary driven over real sockets (uring).
 * Checked: status, headers and exact bodies; keep-alive and pipelining;
 * 400/404/405/413; no way out of the root; idle connections closed on the
 * read timeout; under faults a 200 always carries the exact file and a 404
 * only a missing one; the graceful shutdown: a signal while a response is
 * under way, the response completes, idle connections close, new ones are
 * refused, and the server returns 0.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "examples/http.h"
#include "tests/helpers.h"

#define MS (1000ull * 1000u)
#define BIG_LEN 100000u                  /* over HTTP_FILE_CHUNK: the statx path, several chunks */
#define HUGE_LEN (16u * 1024 * 1024)     /* more than loopback buffers hold */

struct file {
	const char *url, *name;
	char *data;
	size_t len;
};

static char index_html[] = "<h1>hello</h1>\n";
static char sub_txt[] = "a file in a subdirectory\n";
static struct file files[] = {
	{ "/", "index.html", index_html, sizeof(index_html) - 1 },
	{ "/index.html", "index.html", index_html, sizeof(index_html) - 1 },
	{ "/sub/a%20b.txt", "sub/a b.txt", sub_txt, sizeof(sub_txt) - 1 },
	{ "/./sub//a%20b.txt?x=1#f", "sub/a b.txt", sub_txt, sizeof(sub_txt) - 1 },
	{ "/big.bin", "big.bin", NULL, BIG_LEN },
	{ "/missing.html", NULL, NULL, 0 },
};
#define NFILES (sizeof(files) / sizeof(files[0]))

static char *pattern(size_t len, unsigned salt)
{
	char *p = malloc(len);
	size_t i;

	for (i = 0; p && i < len; i++)
		p[i] = (char)((i * 131 + i / 4096 + salt) & 0xff);
	return p;
}

struct site {
	char dir[128];
	int dirfd;
	char *huge;                 /* HUGE_LEN bytes, when made */
};

static int put_file(aring_loop *loop, const char *dir, const char *name, const char *data, size_t len)
{
	char path[256];
	int fd, ret;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	fd = aring_openat(loop, AT_FDCWD, path, O_WRONLY | O_CREAT | O_TRUNC, 0644, NULL);
	if (fd < 0)
		return fd;
	ret = 0;
	while (len && ret >= 0) {
		size_t n = len < (1u << 20) ? len : (1u << 20);

		ret = aring_write_all(loop, fd, data, n, NULL);
		data += n;
		len -= n;
	}
	aring_close(loop, fd, NULL);
	return ret < 0 ? ret : 0;
}

/* Up to 20 tries: the fixture is made on a loop that may inject faults already. */
#define TRIES 20

/* The document root: index.html, sub/a b.txt, big.bin, and huge.bin if asked. */
static int site_make(aring_loop *loop, struct site *s, bool huge)
{
	char path[256];
	int i, ret = -1;

	if (!files[4].data)
		files[4].data = pattern(BIG_LEN, 7);
	for (i = 0; i < TRIES && ret < 0; i++)
		ret = th_is_sim() ? aring_mkdirat(loop, AT_FDCWD, "/tmp/x", 0700, NULL) : 0;
	if (th_is_sim() && ret == -EEXIST)
		ret = 0;
	CU_ASSERT_EQUAL(ret, 0);
	if (th_is_sim())
		snprintf(s->dir, sizeof(s->dir), "/tmp/x");
	else if (th_tmpdir(loop, s->dir, sizeof(s->dir)) < 0)
		return -1;
	snprintf(path, sizeof(path), "%s/sub", s->dir);
	for (ret = -1, i = 0; i < TRIES && ret < 0 && ret != -EEXIST; i++)
		ret = aring_mkdirat(loop, AT_FDCWD, path, 0755, NULL);
	CU_ASSERT(ret == 0 || ret == -EEXIST);
	for (ret = -1, i = 0; i < TRIES && ret < 0; i++)
		ret = put_file(loop, s->dir, "index.html", index_html, strlen(index_html));
	CU_ASSERT_EQUAL(ret, 0);
	for (ret = -1, i = 0; i < TRIES && ret < 0; i++)
		ret = put_file(loop, s->dir, "sub/a b.txt", sub_txt, strlen(sub_txt));
	CU_ASSERT_EQUAL(ret, 0);
	for (ret = -1, i = 0; i < TRIES && ret < 0; i++)
		ret = put_file(loop, s->dir, "big.bin", files[4].data, BIG_LEN);
	CU_ASSERT_EQUAL(ret, 0);
	/* Outside the root: what a ".." would reach. */
	for (ret = -1, i = 0; i < TRIES && ret < 0; i++)
		ret = put_file(loop, "/tmp", "aring-http-secret", "secret\n", 7);
	CU_ASSERT_EQUAL(ret, 0);
	if (huge) {
		s->huge = pattern(HUGE_LEN, 3);
		CU_ASSERT_EQUAL(put_file(loop, s->dir, "huge.bin", s->huge, HUGE_LEN), 0);
	}
	for (s->dirfd = -1, i = 0; i < TRIES && s->dirfd < 0; i++)
		s->dirfd = aring_openat(loop, AT_FDCWD, s->dir, O_RDONLY | O_DIRECTORY, 0, NULL);
	CU_ASSERT(s->dirfd >= 0);
	return s->dirfd < 0 ? -1 : 0;
}

static void site_free(aring_loop *loop, struct site *s)
{
	aring_close(loop, s->dirfd, NULL);
	if (!th_is_sim()) {
		th_tmpdir_remove(loop, s->dir);
		unlink("/tmp/aring-http-secret");
	}
	free(s->huge);
}

/* ---- a small HTTP client */

struct client {
	int fd;
	uint64_t timeout_ns;
	size_t have;
	char in[16384];
};

struct resp {
	int status;
	long clen;                  /* -1: none */
	bool close;                 /* Connection: close */
	bool allow;                 /* an Allow header */
	size_t got;                 /* body bytes read */
	bool body_ok;               /* they matched the expected body */
	size_t want_len;            /* its length */
};

static int client_connect(aring_loop *loop, struct client *c, uint16_t port)
{
	struct sockaddr_in a = th_addr(port);
	int ret;

	c->have = 0;
	c->fd = aring_socket(loop, AF_INET, SOCK_STREAM, 0, 0, NULL);
	if (c->fd < 0)
		return c->fd;
	ret = aring_connect(loop, c->fd, (struct sockaddr *)&a, sizeof(a), NULL);
	if (ret < 0) {
		aring_close(loop, c->fd, NULL);
		c->fd = -1;
	}
	return ret;
}

static int client_fill(aring_loop *loop, struct client *c)
{
	struct aring_opt opt = { .timeout_ns = c->timeout_ns };
	int n = aring_recv(loop, c->fd, c->in + c->have, (unsigned)(sizeof(c->in) - c->have), 0, &opt);

	if (n == 0)
		return -ECONNRESET;
	if (n > 0)
		c->have += (size_t)n;
	return n;
}

/* Body bytes until r->got is upto, compared with want (NULL: not compared). */
static int read_body(aring_loop *loop, struct client *c, struct resp *r, const char *want,
		     size_t upto)
{
	while (r->got < upto) {
		size_t n = c->have < upto - r->got ? c->have : upto - r->got;
		int ret;

		if (n) {
			if (want && (r->got + n > r->want_len || memcmp(c->in, want + r->got, n)))
				r->body_ok = false;
			r->got += n;
			memmove(c->in, c->in + n, c->have - n);
			c->have -= n;
			continue;
		}
		ret = client_fill(loop, c);
		if (ret < 0)
			return ret;
	}
	return 0;
}

/*
 * Read one response; compare its body with want[0, want_len) (want NULL: do
 * not compare). stop_after > 0: return once that many body bytes came (the
 * caller reads on with read_body). Returns 0 or -errno.
 */
static int read_resp(aring_loop *loop, struct client *c, bool head, struct resp *r, const char *want,
		     size_t want_len, size_t stop_after)
{
	char *end, *p;
	size_t hlen;
	int ret;

	memset(r, 0, sizeof(*r));
	r->clen = -1;
	r->body_ok = true;
	r->want_len = want_len;
	while (!(end = memmem(c->in, c->have, "\r\n\r\n", 4))) {
		if (c->have == sizeof(c->in))
			return -E2BIG;
		ret = client_fill(loop, c);
		if (ret < 0)
			return ret;
	}
	hlen = (size_t)(end - c->in) + 4;
	*end = '\0';
	if (sscanf(c->in, "HTTP/1.1 %d ", &r->status) != 1)
		return -EPROTO;
	p = strcasestr(c->in, "\r\nContent-Length: ");
	if (p)
		r->clen = strtol(p + 18, NULL, 10);
	r->close = strcasestr(c->in, "\r\nConnection: close") != NULL;
	r->allow = strcasestr(c->in, "\r\nAllow: GET, HEAD") != NULL;
	memmove(c->in, c->in + hlen, c->have - hlen);
	c->have -= hlen;
	if (head || r->clen <= 0)
		return 0;
	if (r->status != 200)
		want = NULL;  /* an error's text, not the file */
	return read_body(loop, c, r, want,
			 stop_after && stop_after < (size_t)r->clen ? stop_after : (size_t)r->clen);
}

static int client_send(aring_loop *loop, struct client *c, const char *req)
{
	struct aring_opt opt = { .timeout_ns = c->timeout_ns };
	int ret = aring_send_all(loop, c->fd, req, strlen(req), MSG_NOSIGNAL, &opt);

	return ret < 0 ? ret : 0;
}

/* After a "Connection: close" response: the server closes, nothing more comes. */
static void expect_eof(aring_loop *loop, struct client *c)
{
	CU_ASSERT_EQUAL(c->have, 0);
	CU_ASSERT_EQUAL(client_fill(loop, c), -ECONNRESET);
}

static void client_close(aring_loop *loop, struct client *c)
{
	if (c->fd >= 0)
		aring_close(loop, c->fd, NULL);
	c->fd = -1;
}

/* ---- requests and answers */

struct fixture {
	struct site site;
	struct http_server *srv;
	struct http_stats st;
	uint16_t port;
};

static int fixture_start(aring_loop *loop, struct fixture *f, const struct http_opts *o, bool huge)
{
	int lfd, i;

	if (site_make(loop, &f->site, huge) < 0)
		return -1;
	for (lfd = -1, i = 0; i < TRIES && lfd < 0; i++)
		lfd = th_listen(loop, &f->port);
	CU_ASSERT(lfd >= 0);
	if (lfd < 0)
		return -1;
	CU_ASSERT_EQUAL(http_server_start(loop, lfd, f->site.dirfd, o, &f->srv), 0);
	return 0;
}

static void fixture_stop(aring_loop *loop, struct fixture *f)
{
	CU_ASSERT_EQUAL(http_server_shutdown(loop, f->srv, &f->st), 0);
	site_free(loop, &f->site);
}

static char req_buf[HTTP_HEADER_MAX + 256];

/* A request in buf (each task its own: a send suspends). */
static const char *request(char *buf, size_t len, const char *method, const char *url)
{
	snprintf(buf, len, "%s %s HTTP/1.1\r\nHost: t\r\nUser-Agent: test\r\n\r\n", method, url);
	return buf;
}

#define get(method, url) request((char[256]){ 0 }, 256, method, url)

/* One request on a connection: status, body compared with want. */
static void exchange(aring_loop *loop, struct client *c, const char *method, const char *url,
		     int status, const char *want, long want_len, bool keep)
{
	struct resp r;

	CU_ASSERT_EQUAL_FATAL(client_send(loop, c, get(method, url)), 0);
	CU_ASSERT_EQUAL(read_resp(loop, c, strcmp(method, "HEAD") == 0, &r, want, want ? (size_t)want_len : 0, 0), 0);
	CU_ASSERT_EQUAL(r.status, status);
	if (want_len >= 0)
		CU_ASSERT_EQUAL(r.clen, want_len);
	CU_ASSERT_TRUE(r.body_ok);
	CU_ASSERT_EQUAL(r.close, !keep);
	if (status == 405)
		CU_ASSERT_TRUE(r.allow);
	if (!keep)
		expect_eof(loop, c);
}

static int requests_main(aring_loop *loop, void *arg)
{
	struct http_opts o = { 0 };
	struct fixture f = { 0 };
	struct client c = { .fd = -1, .timeout_ns = 2000 * MS };
	char *big = files[4].data;
	struct resp r;
	size_t i;

	/* arg: http_server -b, a pool of 4 buffers of 100 bytes (headers and
	   pipelined requests span buffers) */
	if (arg)
		CU_ASSERT_EQUAL_FATAL(aring_bufpool_new(loop, &o.pool, 2, 4, 100, 0), 0);
	if (fixture_start(loop, &f, &o, false) < 0)
		return -1;
	big = files[4].data;
	CU_ASSERT_EQUAL_FATAL(client_connect(loop, &c, f.port), 0);
	/* One keep-alive connection: files, HEAD, 404, 405. */
	for (i = 0; i < NFILES; i++)
		if (files[i].name)
			exchange(loop, &c, "GET", files[i].url, 200, files[i].data, (long)files[i].len, true);
	exchange(loop, &c, "HEAD", "/big.bin", 200, NULL, BIG_LEN, true);
	exchange(loop, &c, "GET", "/missing.html", 404, NULL, -1, true);
	exchange(loop, &c, "GET", "/sub", 404, NULL, -1, true);     /* a directory */
	exchange(loop, &c, "DELETE", "/", 405, NULL, -1, true);
	/* Pipelined: two requests in one send, two responses in order. */
	snprintf(req_buf, sizeof(req_buf),
		 "GET /big.bin HTTP/1.1\r\nHost: t\r\n\r\nGET /sub/a%%20b.txt HTTP/1.1\r\nHost: t\r\n\r\n");
	CU_ASSERT_EQUAL(client_send(loop, &c, req_buf), 0);
	CU_ASSERT_EQUAL(read_resp(loop, &c, false, &r, big, BIG_LEN, 0), 0);
	CU_ASSERT(r.status == 200 && r.clen == BIG_LEN && r.got == BIG_LEN && r.body_ok);
	CU_ASSERT_EQUAL(read_resp(loop, &c, false, &r, sub_txt, strlen(sub_txt), 0), 0);
	CU_ASSERT(r.status == 200 && r.got == strlen(sub_txt) && r.body_ok);
	/* A request with a body (dropped) and Connection: close. */
	CU_ASSERT_EQUAL(client_send(loop, &c, "GET / HTTP/1.1\r\nHost: t\r\nContent-Length: 5\r\n"
					      "Connection: close\r\n\r\nhello"), 0);
	CU_ASSERT_EQUAL(read_resp(loop, &c, false, &r, index_html, strlen(index_html), 0), 0);
	CU_ASSERT(r.status == 200 && r.close && r.body_ok);
	expect_eof(loop, &c);
	client_close(loop, &c);

	/* Each of these closes its connection. */
	{
		static const char *bad[] = { "/../aring-http-secret", "/%2e%2e/aring-http-secret",
					     "/sub/%2E%2E/../aring-http-secret", "/%zz", "/a%00b",
					     "/%", "http://t/index.html", "*" };

		for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
			CU_ASSERT_EQUAL_FATAL(client_connect(loop, &c, f.port), 0);
			exchange(loop, &c, "GET", bad[i], 400, NULL, -1, false);
			client_close(loop, &c);
		}
	}
	CU_ASSERT_EQUAL_FATAL(client_connect(loop, &c, f.port), 0);
	CU_ASSERT_EQUAL(client_send(loop, &c, "GET / HTTP/1.1\r\n\r\n"), 0);  /* no Host */
	CU_ASSERT_EQUAL(read_resp(loop, &c, false, &r, NULL, 0, 0), 0);
	CU_ASSERT_EQUAL(r.status, 400);
	client_close(loop, &c);
	/* A header over HTTP_HEADER_MAX: 413. */
	CU_ASSERT_EQUAL_FATAL(client_connect(loop, &c, f.port), 0);
	memset(req_buf, 0, sizeof(req_buf));
	strcpy(req_buf, "GET / HTTP/1.1\r\nHost: t\r\nX-Big: ");
	memset(req_buf + strlen(req_buf), 'a', HTTP_HEADER_MAX);
	strcat(req_buf, "\r\n\r\n");
	CU_ASSERT_EQUAL(client_send(loop, &c, req_buf), 0);
	CU_ASSERT_EQUAL(read_resp(loop, &c, false, &r, NULL, 0, 0), 0);
	CU_ASSERT_EQUAL(r.status, 413);
	CU_ASSERT_TRUE(r.close);
	client_close(loop, &c);
	/* HTTP/1.0: close unless asked. */
	CU_ASSERT_EQUAL_FATAL(client_connect(loop, &c, f.port), 0);
	CU_ASSERT_EQUAL(client_send(loop, &c, "GET / HTTP/1.0\r\n\r\n"), 0);
	CU_ASSERT_EQUAL(read_resp(loop, &c, false, &r, index_html, strlen(index_html), 0), 0);
	CU_ASSERT(r.status == 200 && r.close && r.body_ok);
	expect_eof(loop, &c);
	client_close(loop, &c);

	fixture_stop(loop, &f);
	CU_ASSERT_EQUAL(f.st.status_5xx, 0);
	CU_ASSERT_EQUAL(f.st.requests, f.st.responses);
	if (o.pool) {
		CU_ASSERT_EQUAL(aring_bufpool_avail(o.pool), 4);
		CU_ASSERT_EQUAL(aring_bufpool_free(o.pool), 0);
	}
	return 0;
}

static void test_requests(void)
{
	CU_ASSERT_EQUAL(th_run(requests_main, NULL, 0), 0);
}

static void test_requests_bufring(void)
{
	CU_ASSERT_EQUAL(th_run(requests_main, "-b", 0), 0);
}

static int parse(const char *s, struct http_req *req)
{
	return http_parse(s, strlen(s), req);
}

static void test_parse(void)
{
	struct http_req req;

	if (th_is_sim() && th_cfg->seed != 1)
		return;  /* pure functions: once is enough */
	CU_ASSERT_EQUAL(parse("GET / HTTP/1.1\r\nHost: x\r\n", &req), -EAGAIN);
	CU_ASSERT_EQUAL(parse("\r\nGET /a/./b/ HTTP/1.1\r\nHost: x\r\n\r\n", &req), 0);
	CU_ASSERT_STRING_EQUAL(req.path, "a/b/index.html");
	CU_ASSERT_EQUAL(req.header_len, 35);
	CU_ASSERT_EQUAL(parse("GET /%41%2f..%2fb HTTP/1.1\nHost: x\n\n", &req), 400);
	CU_ASSERT_EQUAL(parse("GET /x HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n", &req), 0);
	CU_ASSERT_TRUE(req.keep_alive);
	CU_ASSERT_EQUAL(parse("POST /x HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\n", &req),
			405);
	CU_ASSERT_EQUAL(req.body_len, 3);
	CU_ASSERT_EQUAL(parse("GET /x HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\n"
				   "Content-Length: 2\r\n\r\n", &req), 400);
	CU_ASSERT_EQUAL(parse("GET /x HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n", &req), 400);
	CU_ASSERT_EQUAL(parse("GET /x HTTP/2.0\r\nHost: x\r\n\r\n", &req), 400);
	CU_ASSERT_EQUAL(parse("GET /x HTTP/1.1\r\nBad Name: x\r\nHost: x\r\n\r\n", &req), 400);
}

/* ---- many clients, faults */

struct load {
	struct fixture *f;
	unsigned id, requests;
	bool faults;
	unsigned ok, errors;
	bool bad;
};

static int load_client(aring_loop *loop, void *arg)
{
	struct load *l = arg;
	struct client c = { .fd = -1, .timeout_ns = 1000 * MS };
	unsigned i;

	for (i = 0; i < l->requests; i++) {
		const struct file *fl = &files[(l->id * 7 + i * 3) % NFILES];
		bool head = (i + l->id) % 5 == 0;
		struct resp r;
		int ret;

		if (c.fd < 0 && client_connect(loop, &c, l->f->port) < 0) {
			l->errors++;
			continue;
		}
		ret = client_send(loop, &c, get(head ? "HEAD" : "GET", fl->url));
		if (ret == 0)
			ret = read_resp(loop, &c, head, &r, fl->data, fl->len, 0);
		if (ret < 0 && getenv("HTTP_DEBUG"))
			fprintf(stderr, "client %u req %u %s: %d\n", l->id, i, fl->url, ret);
		if (ret < 0) {
			/* The connection broke (a fault, or a read timeout): only faults explain it. */
			if (!l->faults)
				l->bad = true;
			l->errors++;
			client_close(loop, &c);
			continue;
		}
		l->ok++;
		if (getenv("HTTP_DEBUG"))
			fprintf(stderr, "client %u req %u %s %s: status %d clen %ld got %zu ok %d close %d\n",
				l->id, i, head ? "HEAD" : "GET", fl->url, r.status, r.clen, r.got, r.body_ok,
				r.close);
		if (r.status == 200) {
			if (!fl->name || r.clen != (long)fl->len || !r.body_ok ||
			    (!head && r.got != fl->len))
				l->bad = true;
		} else if (r.status == 404) {
			if (fl->name)
				l->bad = true;  /* an existing file is never "not found" */
		} else if (r.status != 500 || !l->faults) {
			l->bad = true;
		}
		if (r.close)
			client_close(loop, &c);
	}
	client_close(loop, &c);
	return 0;
}

struct load_run {
	bool bufring;       /* http_server -b: http_opts.pool */
	bool faults;
	unsigned nclients, requests;
	struct load l[16];
	struct http_stats st;
};

static int load_main(aring_loop *loop, void *arg)
{
	struct load_run *lr = arg;
	struct http_opts o = { .read_timeout_ns = 500 * MS, .write_timeout_ns = 500 * MS };
	struct fixture f = { 0 };
	aring_task *t[16];
	unsigned i;

	/* -b: a pool of 8 buffers of 64 bytes: requests span buffers, and the
	   clients' connections run the pool dry (-ENOBUFS, re-armed) */
	if (lr->bufring)
		CU_ASSERT_EQUAL_FATAL(aring_bufpool_new(loop, &o.pool, 1, 8, 64, 0), 0);
	if (fixture_start(loop, &f, &o, false) < 0)
		return -1;
	for (i = 0; i < lr->nclients; i++) {
		lr->l[i] = (struct load){ .f = &f, .id = i, .requests = lr->requests, .faults = lr->faults };
		t[i] = th_spawn(loop, load_client, &lr->l[i]);
	}
	for (i = 0; i < lr->nclients; i++)
		th_join(loop, t[i]);
	CU_ASSERT_EQUAL(http_server_shutdown(loop, f.srv, &lr->st), 0);
	site_free(loop, &f.site);
	if (o.pool) {
		CU_ASSERT_EQUAL(aring_bufpool_avail(o.pool), 8);
		CU_ASSERT_EQUAL(aring_bufpool_free(o.pool), 0);
	}
	return 0;
}

static void run_load(struct load_run *lr, const struct aring_sim_opts *so)
{
	aring_loop *loop = th_loop_new_sim(0, so);
	unsigned i, ok = 0;

	CU_ASSERT_FATAL(loop != NULL);
	CU_ASSERT_EQUAL(th_run_on(loop, load_main, lr), 0);
	aring_loop_free(loop);
	for (i = 0; i < lr->nclients; i++) {
		CU_ASSERT_FALSE(lr->l[i].bad);
		ok += lr->l[i].ok;
		if (!lr->faults)
			CU_ASSERT_EQUAL(lr->l[i].ok, lr->requests);
	}
	CU_ASSERT(ok > 0);
	CU_ASSERT(lr->st.responses <= lr->st.requests);
}

static void test_load(void)
{
	struct load_run lr = { .nclients = 8, .requests = 25 };

	run_load(&lr, NULL);
	CU_ASSERT_EQUAL(lr.st.responses, 8 * 25);
	CU_ASSERT_EQUAL(lr.st.status_5xx, 0);
}

/* http_server -b: the same load through a small buffer pool. */
static void test_load_bufring(void)
{
	struct load_run lr = { .bufring = true, .nclients = 8, .requests = 25 };

	run_load(&lr, NULL);
	CU_ASSERT_EQUAL(lr.st.responses, 8 * 25);
	CU_ASSERT_EQUAL(lr.st.status_5xx, 0);
}

static void test_load_short(void)
{
	struct aring_sim_opts so = { .short_ppm = 300000, .latency_max_ns = 100000 };
	struct load_run lr = { .nclients = 8, .requests = 25 };

	run_load(&lr, &so);
	CU_ASSERT_EQUAL(lr.st.responses, 8 * 25);
}

static void test_load_faults(void)
{
	struct aring_sim_opts so = { .short_ppm = 100000, .error_ppm = 10000, .timeout_ppm = 5000,
				     .cancel_ppm = 3000, .latency_max_ns = 200000 };
	struct load_run lr = { .nclients = 8, .requests = 25, .faults = th_is_sim() };

	run_load(&lr, &so);
}

/* ---- timeouts */

static int idle_main(aring_loop *loop, void *arg)
{
	struct http_opts o = { .read_timeout_ns = 50 * MS };
	struct fixture f = { 0 };
	struct client c = { .fd = -1, .timeout_ns = 5000 * MS };
	uint64_t t0;

	(void)arg;
	if (fixture_start(loop, &f, &o, false) < 0)
		return -1;
	CU_ASSERT_EQUAL_FATAL(client_connect(loop, &c, f.port), 0);
	exchange(loop, &c, "GET", "/", 200, index_html, (long)strlen(index_html), true);
	/* Idle on a keep-alive connection: closed once the read timeout passes. */
	t0 = aring_now_ns(loop);
	CU_ASSERT_EQUAL(client_fill(loop, &c), -ECONNRESET);
	CU_ASSERT(aring_now_ns(loop) - t0 >= 50 * MS);
	client_close(loop, &c);
	/* Half a request, then silence: closed too, without a response. */
	CU_ASSERT_EQUAL_FATAL(client_connect(loop, &c, f.port), 0);
	CU_ASSERT_EQUAL(client_send(loop, &c, "GET / HTTP/1.1\r\nHo"), 0);
	CU_ASSERT_EQUAL(client_fill(loop, &c), -ECONNRESET);
	CU_ASSERT_EQUAL(c.have, 0);
	client_close(loop, &c);
	fixture_stop(loop, &f);
	CU_ASSERT_EQUAL(f.st.requests, 1);
	return 0;
}

static void test_idle_timeout(void)
{
	CU_ASSERT_EQUAL(th_run(idle_main, NULL, 0), 0);
}

/* ---- graceful shutdown on a signal */

struct serve_arg {
	int lfd, dirfd;
	struct http_stats st;
};

static int serve_task(aring_loop *loop, void *arg)
{
	struct serve_arg *a = arg;

	return http_serve(loop, a->lfd, a->dirfd, NULL, &a->st);
}

static void raise_sigterm(aring_loop *loop)
{
	int ret = th_is_sim() ? aring_sim_signal(loop, SIGTERM) : kill(getpid(), SIGTERM);

	CU_ASSERT_EQUAL(ret, 0);
}

static int shutdown_main(aring_loop *loop, void *arg)
{
	struct site site = { 0 };
	struct serve_arg sa = { 0 };
	struct client idle = { .fd = -1, .timeout_ns = 10000 * MS };
	struct client busy = { .fd = -1, .timeout_ns = 10000 * MS };
	struct client late = { .fd = -1 };
	struct resp r;
	aring_task *t;
	uint16_t port = 0;

	(void)arg;
	if (site_make(loop, &site, true) < 0)
		return -1;
	sa.dirfd = site.dirfd;
	sa.lfd = th_listen(loop, &port);
	CU_ASSERT_FATAL(sa.lfd >= 0);
	t = th_spawn(loop, serve_task, &sa);
	CU_ASSERT_EQUAL_FATAL(client_connect(loop, &idle, port), 0);
	exchange(loop, &idle, "GET", "/", 200, index_html, (long)strlen(index_html), true);
	CU_ASSERT_EQUAL_FATAL(client_connect(loop, &busy, port), 0);
	/* A second request pipelined behind: not answered once the shutdown began. */
	CU_ASSERT_EQUAL(client_send(loop, &busy, "GET /huge.bin HTTP/1.1\r\nHost: t\r\n\r\n"
						 "GET / HTTP/1.1\r\nHost: t\r\n\r\n"), 0);
	/* The first 64 KiB of 16 MiB: the rest is still to be sent. Now the signal. */
	CU_ASSERT_EQUAL(read_resp(loop, &busy, false, &r, site.huge, HUGE_LEN, 65536), 0);
	CU_ASSERT_EQUAL(r.got, 65536);
	raise_sigterm(loop);
	CU_ASSERT_EQUAL(read_body(loop, &busy, &r, site.huge, HUGE_LEN), 0);
	CU_ASSERT_EQUAL(r.got, HUGE_LEN);
	CU_ASSERT_TRUE(r.body_ok);
	expect_eof(loop, &busy);           /* then the server closes it, the second request unread */
	expect_eof(loop, &idle);           /* the idle keep-alive connection is closed */
	CU_ASSERT_EQUAL(th_join(loop, t), 0);  /* http_serve returned 0 */
	CU_ASSERT(client_connect(loop, &late, port) < 0);  /* no longer listening */
	CU_ASSERT_EQUAL(sa.st.signal, SIGTERM);
	CU_ASSERT_EQUAL(sa.st.inflight_at_stop, 1);
	CU_ASSERT_EQUAL(sa.st.finished_in_drain, 1);
	CU_ASSERT_EQUAL(sa.st.responses, 2);
	client_close(loop, &idle);
	client_close(loop, &busy);
	client_close(loop, &late);
	site_free(loop, &site);
	return 0;
}

static void test_graceful_shutdown(void)
{
	CU_ASSERT_EQUAL(th_run(shutdown_main, NULL, 0), 0);
}

/* ---- the real binary (uring) */

/* examples/http_server next to this test's build directory. */
static void server_path(char *buf, size_t len)
{
	char exe[512];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	char *slash;

	exe[n > 0 ? n : 0] = '\0';
	while ((slash = strrchr(exe, '/')) && (!strcmp(slash, "/.libs") || !strcmp(slash, "/tests") ||
					       strncmp(slash, "/lt-", 4) == 0 ||
					       strcmp(slash, "/test_http") == 0))
		*slash = '\0';
	snprintf(buf, len, "%s/examples/http_server", exe);
}

static int make_site_posix(char *dir, size_t len, char **huge)
{
	char path[256];
	int fd;

	snprintf(dir, len, "/tmp/aring-http-XXXXXX");
	if (!mkdtemp(dir))
		return -errno;
	*huge = pattern(HUGE_LEN, 5);
	snprintf(path, sizeof(path), "%s/huge.bin", dir);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (fd < 0 || write(fd, *huge, HUGE_LEN) != (ssize_t)HUGE_LEN)
		return -EIO;
	close(fd);
	return 0;
}

static void test_binary_sigterm(void)
{
	char bin[600], dir[64], line[256], *huge = NULL, *p, buf[65536];
	struct sockaddr_in a;
	int out[2], status, sock, port = 0;
	size_t got = 0, hdr = 0;
	bool ok = true;
	FILE *f;
	pid_t pid;

	if (th_is_sim())
		return;  /* a real process: uring only */
	server_path(bin, sizeof(bin));
	CU_ASSERT_EQUAL_FATAL(access(bin, X_OK), 0);
	CU_ASSERT_EQUAL_FATAL(make_site_posix(dir, sizeof(dir), &huge), 0);
	CU_ASSERT_EQUAL_FATAL(pipe(out), 0);
	pid = fork();
	CU_ASSERT_FATAL(pid >= 0);
	if (pid == 0) {
		sigset_t none;

		sigemptyset(&none);
		sigprocmask(SIG_SETMASK, &none, NULL);
		dup2(out[1], 1);
		execl(bin, bin, "0", dir, (char *)NULL);
		_exit(127);
	}
	close(out[1]);
	f = fdopen(out[0], "r");
	if (f && fgets(line, sizeof(line), f) && (p = strstr(line, "127.0.0.1:")))
		port = atoi(p + 10);
	CU_ASSERT_FATAL(port > 0);
	a = th_addr((uint16_t)port);
	sock = socket(AF_INET, SOCK_STREAM, 0);
	CU_ASSERT_FATAL(connect(sock, (struct sockaddr *)&a, sizeof(a)) == 0);
	p = "GET /huge.bin HTTP/1.1\r\nHost: t\r\n\r\n";
	CU_ASSERT(write(sock, p, strlen(p)) == (ssize_t)strlen(p));
	/* Header and the first bytes, then SIGTERM with 16 MiB less a little still to come. */
	while (got < 65536) {
		ssize_t n = read(sock, buf + got, sizeof(buf) - got);

		if (n <= 0)
			break;
		got += (size_t)n;
	}
	p = memmem(buf, got, "\r\n\r\n", 4);
	CU_ASSERT_FATAL(p != NULL);
	hdr = (size_t)(p + 4 - buf);
	CU_ASSERT(strncmp(buf, "HTTP/1.1 200 OK\r\n", 17) == 0);
	CU_ASSERT_EQUAL(kill(pid, SIGTERM), 0);
	ok = memcmp(buf + hdr, huge, got - hdr) == 0;
	got -= hdr;
	for (;;) {
		ssize_t n = read(sock, buf, sizeof(buf));

		if (n <= 0)
			break;
		if (got + (size_t)n > HUGE_LEN || memcmp(buf, huge + got, (size_t)n))
			ok = false;
		got += (size_t)n;
	}
	CU_ASSERT_EQUAL(got, HUGE_LEN);   /* every byte came, then EOF */
	CU_ASSERT_TRUE(ok);
	CU_ASSERT_EQUAL(waitpid(pid, &status, 0), pid);
	CU_ASSERT(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	close(sock);
	if (f)
		fclose(f);
	snprintf(line, sizeof(line), "%s/huge.bin", dir);
	unlink(line);
	rmdir(dir);
	free(huge);
}

static CU_TestInfo tests[] = {
	{ "parser", test_parse },
	{ "files, HEAD, keep-alive, pipelining, 400/404/405/413, no escape", test_requests },
	{ "the same, buffer ring mode (-b)", test_requests_bufring },
	{ "8 clients x 25 requests", test_load },
	{ "8 clients x 25 requests, buffer ring mode (-b)", test_load_bufring },
	{ "8 clients, short transfers (sim)", test_load_short },
	{ "8 clients, errors, cancels, stalls (sim): 200 is exact, 404 is missing", test_load_faults },
	{ "idle keep-alive and half requests closed on the read timeout", test_idle_timeout },
	{ "SIGTERM mid-response: it completes, idle closed, exit 0", test_graceful_shutdown },
	{ "examples/http_server: SIGTERM mid-response, exit status 0", test_binary_sigterm },
	CU_TEST_INFO_NULL,
};

int main(int argc, char **argv)
{
	sigset_t set;

	/* A SIGTERM the test sends itself waits for aring_signal_wait, whatever thread runs. */
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigprocmask(SIG_BLOCK, &set, NULL);
	th_ignore_sigpipe();
	return th_main(argc, argv, "http", tests, TH_BOTH);
}
