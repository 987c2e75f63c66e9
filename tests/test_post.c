/* SPDX-License-Identifier: MIT */
/*
 * aring_loop_post: tasks started on a loop from its own tasks, between runs,
 * from a task of a loop on another thread, from a plain thread, onto a loop
 * being freed; foreign MSG_RING CQEs stay ignored beside posts. The thread
 * cases are uring-only: a sim loop has one thread (another thread's post is
 * -EINVAL, tested).
 */
#include <arpa/inet.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "tests/helpers.h"

#define POSTS 10000

/* ---------------------------------------------------------------- one loop */

struct order {
	int seen[8];
	int n;
};

struct rec {
	struct order *o;
	int idx;
};

static int record_rec(aring_loop *loop, void *arg)
{
	struct rec *r = arg;

	(void)loop;
	r->o->seen[r->o->n++] = r->idx;
	return 0;
}

static int poster(aring_loop *loop, void *arg)
{
	struct rec *r = arg;
	int i;

	for (i = 0; i < 3; i++)
		if (aring_loop_post(loop, record_rec, &r[i]) != 0)
			return -1;
	/* Started at the next scheduling point, not inside the call. */
	if (r[0].o->n != 0)
		return -2;
	aring_yield(loop);
	return r[0].o->n;
}

/* From a task of the loop and between runs: each runs once, in post order. */
static void test_post_same_loop(void)
{
	aring_loop *loop = th_loop_new(0);
	struct order o = { 0 };
	struct rec r[6];
	int i;

	for (i = 0; i < 6; i++)
		r[i] = (struct rec){ &o, i };
	CU_ASSERT_EQUAL(th_run_on(loop, poster, r), 3);
	CU_ASSERT_EQUAL(o.n, 3);
	/* Between runs, from the loop's own thread. */
	for (i = 3; i < 6; i++)
		CU_ASSERT_EQUAL(aring_loop_post(loop, record_rec, &r[i]), 0);
	CU_ASSERT_EQUAL(aring_run(loop), 0);
	CU_ASSERT_EQUAL(o.n, 6);
	for (i = 0; i < 6; i++)
		CU_ASSERT_EQUAL(o.seen[i], i);
	aring_loop_free(loop);
}

static void test_post_bad_args(void)
{
	aring_loop *loop = th_loop_new(0);

	CU_ASSERT_EQUAL(aring_loop_post(NULL, record_rec, NULL), -EINVAL);
	CU_ASSERT_EQUAL(aring_loop_post(loop, NULL, NULL), -EINVAL);
	CU_ASSERT_EQUAL(aring_loop_hold(NULL, 1), -EINVAL);
	CU_ASSERT_EQUAL(aring_loop_hold(loop, -1), -EINVAL);
	CU_ASSERT_EQUAL(aring_loop_hold(loop, 1), 1);
	CU_ASSERT_EQUAL(aring_loop_hold(loop, -1), 0);
	aring_loop_free(loop);
	/* Freed: no longer registered (the pointer is only compared). */
	CU_ASSERT_EQUAL(aring_loop_post(loop, record_rec, NULL), -ESHUTDOWN);
}

/* ---------------------------------------------------------------- two threads */

struct target {
	aring_loop *loop;
	unsigned setup_flags;
	unsigned char ran[POSTS];
	int count, want;
	struct aring_wg wg;
	int run;                 /* aring_run's result */
	pthread_mutex_t lock;
	pthread_cond_t cond;
	bool ready;
};

struct hit {
	struct target *t;
	int idx;
};

static int on_target(aring_loop *loop, void *arg)
{
	struct hit *h = arg;

	h->t->ran[h->idx]++;
	h->t->count++;
	aring_wg_done(loop, &h->t->wg);
	return 0;
}

static int target_main(aring_loop *loop, void *arg)
{
	struct target *t = arg;
	int ret;

	ret = aring_wg_wait(loop, &t->wg, NULL);
	aring_loop_hold(loop, -1);
	return ret;
}

static void *target_thread(void *arg)
{
	struct target *t = arg;
	struct aring_loop_opts o = { .setup_flags = t->setup_flags };

	t->run = aring_loop_new(&t->loop, &o);
	if (t->run == 0) {
		aring_wg_init(&t->wg);
		aring_wg_add(&t->wg, t->want);
		aring_loop_hold(t->loop, 1);
		aring_spawn(t->loop, target_main, t, NULL);
	}
	pthread_mutex_lock(&t->lock);
	t->ready = true;
	pthread_cond_broadcast(&t->cond);
	pthread_mutex_unlock(&t->lock);
	if (t->run == 0)
		t->run = aring_run(t->loop);
	return NULL;
}

static void target_start(struct target *t, pthread_t *th, unsigned flags, int want)
{
	memset(t, 0, sizeof(*t));
	t->setup_flags = flags;
	t->want = want;
	pthread_mutex_init(&t->lock, NULL);
	pthread_cond_init(&t->cond, NULL);
	CU_ASSERT_FATAL(pthread_create(th, NULL, target_thread, t) == 0);
	pthread_mutex_lock(&t->lock);
	while (!t->ready)
		pthread_cond_wait(&t->cond, &t->lock);
	pthread_mutex_unlock(&t->lock);
}

static void target_finish(struct target *t, pthread_t th)
{
	int i, once = 0;

	pthread_join(th, NULL);
	CU_ASSERT_EQUAL(t->run, 0);
	CU_ASSERT_EQUAL(t->count, t->want);
	for (i = 0; i < t->want; i++)
		once += t->ran[i] == 1;
	CU_ASSERT_EQUAL(once, t->want);  /* each ran exactly once */
	aring_loop_free(t->loop);
	pthread_mutex_destroy(&t->lock);
	pthread_cond_destroy(&t->cond);
}

struct source {
	struct target *t;
	struct hit *hits;
	int from, to;
	int err;
};

static int source_main(aring_loop *loop, void *arg)
{
	struct source *s = arg;
	int i;

	for (i = s->from; i < s->to; i++) {
		int ret = aring_loop_post(s->t->loop, on_target, &s->hits[i]);

		if (ret < 0 && !s->err)
			s->err = ret;
		if (i % 64 == 0)
			aring_yield(loop);  /* the source loop keeps running */
	}
	return 0;
}

static void *source_loop_thread(void *arg)
{
	struct source *s = arg;
	aring_loop *loop;

	s->err = aring_loop_new(&loop, NULL);
	if (s->err)
		return NULL;
	aring_spawn(loop, source_main, s, NULL);
	if (aring_run(loop) != 0 && !s->err)
		s->err = -EIO;
	aring_loop_free(loop);
	return NULL;
}

static void *source_plain_thread(void *arg)
{
	struct source *s = arg;
	int i;

	for (i = s->from; i < s->to; i++) {
		int ret = aring_loop_post(s->t->loop, on_target, &s->hits[i]);

		if (ret < 0 && !s->err)
			s->err = ret;
	}
	return NULL;
}

/* POSTS posts, half from a task of a loop on another thread, half from a
 * plain thread, at once: every one runs exactly once on the target. */
static void two_threads(unsigned flags)
{
	static struct target t;
	static struct hit hits[POSTS];
	struct source a, b;
	pthread_t tt, ta, tb;
	int i;

	target_start(&t, &tt, flags, POSTS);
	CU_ASSERT_FATAL(t.run == 0);
	for (i = 0; i < POSTS; i++)
		hits[i] = (struct hit){ &t, i };
	a = (struct source){ &t, hits, 0, POSTS / 2, 0 };
	b = (struct source){ &t, hits, POSTS / 2, POSTS, 0 };
	CU_ASSERT_FATAL(pthread_create(&ta, NULL, source_loop_thread, &a) == 0);
	CU_ASSERT_FATAL(pthread_create(&tb, NULL, source_plain_thread, &b) == 0);
	pthread_join(ta, NULL);
	pthread_join(tb, NULL);
	CU_ASSERT_EQUAL(a.err, 0);
	CU_ASSERT_EQUAL(b.err, 0);
	target_finish(&t, tt);
}

static void test_post_two_threads(void)
{
	if (th_is_sim())
		return;  /* threads: uring only */
	two_threads(0);
	two_threads(IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN);
}

/* A foreign MSG_RING CQE (data outside aring's range) beside posts: counted
 * and ignored, and the posts still run. */
struct foreign {
	struct target *t;
	struct hit *hits;
	int err;
};

static int foreign_main(aring_loop *loop, void *arg)
{
	struct foreign *f = arg;
	int fd = aring_ring(f->t->loop)->ring_fd;

	f->err = aring_loop_post(f->t->loop, on_target, &f->hits[0]);
	if (!f->err)
		f->err = aring_msg_ring(loop, fd, 5, 0x1234, 0, NULL);
	if (!f->err)
		f->err = aring_loop_post(f->t->loop, on_target, &f->hits[1]);
	return 0;
}

static void test_post_foreign(void)
{
	static struct target t;
	struct hit hits[2];
	struct foreign f;
	pthread_t tt;

	if (th_is_sim())
		return;  /* threads: uring only */
	target_start(&t, &tt, 0, 2);
	CU_ASSERT_FATAL(t.run == 0);
	hits[0] = (struct hit){ &t, 0 };
	hits[1] = (struct hit){ &t, 1 };
	f = (struct foreign){ &t, hits, 0 };
	CU_ASSERT_EQUAL(th_run(foreign_main, &f, 0), 0);
	CU_ASSERT_EQUAL(f.err, 0);
	pthread_join(tt, NULL);
	CU_ASSERT_EQUAL(t.run, 0);
	CU_ASSERT_EQUAL(t.count, 2);
	CU_ASSERT_EQUAL(aring_foreign_cqes(t.loop), 1);
	aring_loop_free(t.loop);
}

/* ---------------------------------------------------------------- being freed */

struct freeing {
	aring_loop *loop;
	int ran;                 /* on the target's (main) thread */
	int ok, shutdown, other;
	bool go;
};

static int count_run(aring_loop *loop, void *arg)
{
	(void)loop;
	((struct freeing *)arg)->ran++;
	return 0;
}

static void *freeing_poster(void *arg)
{
	struct freeing *f = arg;

	while (!__atomic_load_n(&f->go, __ATOMIC_ACQUIRE))
		;
	for (;;) {
		int ret = aring_loop_post(f->loop, count_run, f);

		if (ret == 0)
			f->ok++;
		else if (ret == -ESHUTDOWN)
			break;
		else
			f->other++;
	}
	f->shutdown = 1;
	return NULL;
}

static int spin_a_little(aring_loop *loop, void *arg)
{
	int i;

	(void)arg;
	for (i = 0; i < 50; i++)
		aring_nop(loop, NULL);
	return 0;
}

/* A plain thread posts without pause while the loop runs, then is freed:
 * the posts before run or are dropped, then -ESHUTDOWN; no crash, no leak
 * (ASan, Valgrind: .ci/run). */
static void test_post_to_loop_being_freed(void)
{
	struct freeing f = { 0 };
	pthread_t th;

	if (th_is_sim())
		return;  /* threads: uring only */
	f.loop = th_loop_new(0);
	CU_ASSERT_FATAL(pthread_create(&th, NULL, freeing_poster, &f) == 0);
	__atomic_store_n(&f.go, true, __ATOMIC_RELEASE);
	CU_ASSERT_EQUAL(th_run_on(f.loop, spin_a_little, NULL), 0);
	aring_loop_free(f.loop);
	pthread_join(th, NULL);
	CU_ASSERT_EQUAL(f.shutdown, 1);
	CU_ASSERT_EQUAL(f.other, 0);
	CU_ASSERT(f.ran <= f.ok);
}

/* ---------------------------------------------------------------- sim */

struct sim_other {
	aring_loop *loop;
	int ret;
};

static void *sim_poster(void *arg)
{
	struct sim_other *s = arg;

	s->ret = aring_loop_post(s->loop, record_rec, NULL);
	return NULL;
}

/* The sim has one thread: another thread's post is refused. */
static void test_post_sim_other_thread(void)
{
	struct sim_other s = { 0 };
	pthread_t th;

	if (!th_is_sim())
		return;
	s.loop = th_loop_new(0);
	CU_ASSERT_FATAL(pthread_create(&th, NULL, sim_poster, &s) == 0);
	pthread_join(th, NULL);
	CU_ASSERT_EQUAL(s.ret, -EINVAL);
	aring_loop_free(s.loop);
}

/* ---------------------------------------------------------------- echo_server -t 2 */

static void example_path(char *buf, size_t len, const char *name)
{
	char exe[512];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	char *slash;

	exe[n > 0 ? n : 0] = '\0';
	while ((slash = strrchr(exe, '/')) && (!strcmp(slash, "/.libs") || !strcmp(slash, "/tests") ||
					       strncmp(slash, "/lt-", 4) == 0 ||
					       strcmp(slash, "/test_post") == 0))
		*slash = '\0';
	snprintf(buf, len, "%s/examples/%s", exe, name);
}

static int proc_threads(pid_t pid)
{
	char path[64], line[128];
	int n = -1;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	f = fopen(path, "r");
	while (f && fgets(line, sizeof(line), f))
		if (sscanf(line, "Threads: %d", &n) == 1)
			break;
	if (f)
		fclose(f);
	return n;
}

/*
 * Start examples/NAME -t 2 0 [dir] with stdout (and stderr to *err_fd if
 * err_fd) on pipes and a clear signal mask; its port from the first line.
 */
static pid_t start_example(const char *name, const char *dir, int *port, FILE **out_f, int *err_fd)
{
	char bin[600], line[256], *p;
	int out[2], errp[2] = { -1, -1 };
	pid_t pid;

	*port = 0;
	example_path(bin, sizeof(bin), name);
	if (access(bin, X_OK) != 0 || pipe(out) != 0 || (err_fd && pipe(errp) != 0))
		return -1;
	pid = fork();
	if (pid == 0) {
		sigset_t none;

		sigemptyset(&none);
		sigprocmask(SIG_SETMASK, &none, NULL);
		dup2(out[1], 1);
		if (err_fd)
			dup2(errp[1], 2);
		execl(bin, bin, "-t", "2", "0", dir, (char *)NULL);
		_exit(127);
	}
	close(out[1]);
	if (err_fd) {
		close(errp[1]);
		*err_fd = errp[0];
	}
	*out_f = fdopen(out[0], "r");
	if (*out_f && fgets(line, sizeof(line), *out_f) && (p = strstr(line, "127.0.0.1:")))
		*port = atoi(p + 10);
	return pid;
}

#define ECHO_CONNS 32

/* echo_server -t 2 on an ephemeral port: two threads, two loops; 32
 * connections each get their own bytes back. */
static void test_echo_server_two_threads(void)
{
	int fds[ECHO_CONNS], port, i, status, threads = -1, tries;
	FILE *f = NULL;
	pid_t pid;

	if (th_is_sim())
		return;  /* a real process with threads: uring only */
	pid = start_example("echo_server", NULL, &port, &f, NULL);
	CU_ASSERT_FATAL(pid > 0);
	CU_ASSERT_FATAL(port > 0);
	for (i = 0; i < ECHO_CONNS; i++) {
		struct sockaddr_in a = th_addr((uint16_t)port);

		fds[i] = socket(AF_INET, SOCK_STREAM, 0);
		CU_ASSERT_FATAL(connect(fds[i], (struct sockaddr *)&a, sizeof(a)) == 0);
	}
	for (i = 0; i < ECHO_CONNS; i++) {
		char msg[32], back[32];
		int len = snprintf(msg, sizeof(msg), "hello %d", i), got = 0;

		CU_ASSERT(write(fds[i], msg, (size_t)len) == len);
		while (got < len) {
			ssize_t n = read(fds[i], back + got, sizeof(back) - (size_t)got);

			if (n <= 0)
				break;
			got += (int)n;
		}
		CU_ASSERT(got == len && memcmp(msg, back, (size_t)len) == 0);
	}
	/* The second thread starts once the first listens: it may still be on its way. */
	for (tries = 0; tries < 1000 && (threads = proc_threads(pid)) < 2; tries++)
		usleep(1000);
	CU_ASSERT_EQUAL(threads, 2);
	for (i = 0; i < ECHO_CONNS; i++)
		close(fds[i]);
	kill(pid, SIGKILL);
	CU_ASSERT_EQUAL(waitpid(pid, &status, 0), pid);
	if (f)
		fclose(f);
}

/* http_server -t 2: requests answered by two loops; on SIGTERM the first
 * thread stops the second through aring_loop_post, both shut down
 * gracefully, the counters printed are the sums, exit 0. */
static void test_http_server_two_threads(void)
{
	char err[512], dir[] = "/tmp/aring-post-XXXXXX", path[64], *p;
	int port, i, status, threads = -1, tries, err_fd = -1;
	unsigned long long conns = 0, reqs = 0;
	ssize_t n;
	FILE *f = NULL, *ef;
	pid_t pid;

	if (th_is_sim())
		return;  /* a real process with threads: uring only */
	CU_ASSERT_FATAL(mkdtemp(dir) != NULL);
	snprintf(path, sizeof(path), "%s/index.html", dir);
	f = fopen(path, "w");
	CU_ASSERT_FATAL(f != NULL);
	fputs("hello", f);
	fclose(f);
	pid = start_example("http_server", dir, &port, &f, &err_fd);
	CU_ASSERT_FATAL(pid > 0);
	CU_ASSERT_FATAL(port > 0);
	for (i = 0; i < 8; i++) {
		struct sockaddr_in a = th_addr((uint16_t)port);
		const char *req = "GET /index.html HTTP/1.0\r\n\r\n";
		char buf[512];
		size_t got = 0;
		int fd = socket(AF_INET, SOCK_STREAM, 0);

		CU_ASSERT_FATAL(connect(fd, (struct sockaddr *)&a, sizeof(a)) == 0);
		CU_ASSERT(write(fd, req, strlen(req)) == (ssize_t)strlen(req));
		while (got < sizeof(buf) - 1 && (n = read(fd, buf + got, sizeof(buf) - 1 - got)) > 0)
			got += (size_t)n;
		buf[got] = '\0';
		CU_ASSERT(strncmp(buf, "HTTP/1.0 200", 12) == 0 || strncmp(buf, "HTTP/1.1 200", 12) == 0);
		CU_ASSERT(got >= 5 && strcmp(buf + got - 5, "hello") == 0);
		close(fd);
	}
	for (tries = 0; tries < 1000 && (threads = proc_threads(pid)) < 2; tries++)
		usleep(1000);
	CU_ASSERT_EQUAL(threads, 2);
	CU_ASSERT_EQUAL(kill(pid, SIGTERM), 0);
	CU_ASSERT_EQUAL(waitpid(pid, &status, 0), pid);
	CU_ASSERT(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	ef = fdopen(err_fd, "r");
	err[0] = '\0';
	if (ef && !fgets(err, sizeof(err), ef))
		err[0] = '\0';
	if (ef)
		fclose(ef);
	p = strstr(err, "finished after the signal; ");
	if (p)
		sscanf(p, "finished after the signal; %llu connections, %llu requests", &conns, &reqs);
	CU_ASSERT_EQUAL(conns, 8);
	CU_ASSERT_EQUAL(reqs, 8);
	if (f)
		fclose(f);
	unlink(path);
	rmdir(dir);
}

static CU_TestInfo tests[] = {
	{ "post from a task of the loop and between runs, in order", test_post_same_loop },
	{ "bad arguments, a freed loop", test_post_bad_args },
	{ "10,000 posts from a loop's task and a plain thread, each runs once",
	  test_post_two_threads },
	{ "a foreign MSG_RING CQE beside posts is ignored", test_post_foreign },
	{ "posting to a loop being freed: -ESHUTDOWN, no crash", test_post_to_loop_being_freed },
	{ "sim: a post from another thread is -EINVAL", test_post_sim_other_thread },
	{ "echo_server -t 2: two loops on one port echo", test_echo_server_two_threads },
	{ "http_server -t 2: two loops answer, SIGTERM stops both", test_http_server_two_threads },
	CU_TEST_INFO_NULL,
};

int main(int argc, char **argv)
{
	/* Not on epoll: aring_loop_post and aring_offload travel by IORING_OP_MSG_RING
	   and answer -EOPNOTSUPP on a loop without a kernel ring (include/aring.h). */
	return th_main(argc, argv, "post", tests, TH_URING | TH_SIM);
}
