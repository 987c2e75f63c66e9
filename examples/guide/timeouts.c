/* timeouts.c: a timeout on one op, and cancelling another from a second task. */
#include <aring.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#define MS (1000ull * 1000)

struct shared {
	int rfd;            /* the read end of a pipe nobody writes to */
	uint64_t read_id;   /* set by aring_read before it suspends */
	int cancel_result;  /* what aring_cancel returned */
	int stale_result;   /* cancelling the same id again */
};

static int canceller(aring_loop *loop, void *arg)
{
	struct shared *sh = arg;

	aring_sleep(loop, 20 * MS);
	sh->cancel_result = aring_cancel(loop, sh->read_id, 0, NULL);  /* 0: found it */
	sh->stale_result = aring_cancel(loop, sh->read_id, 0, NULL);   /* -ENOENT: gone */
	return 0;
}

static int reader(aring_loop *loop, void *arg)
{
	struct shared *sh = arg;
	struct aring_opt timed = { .timeout_ns = 50 * MS };
	struct aring_opt cancellable = { .id = &sh->read_id };
	aring_task *other;
	char buf[64];
	uint64_t t0 = aring_now_ns(loop);
	int ret;

	ret = aring_read(loop, sh->rfd, buf, sizeof(buf), (uint64_t)-1, &timed);
	aring_printf(loop, 1, "read with a 50 ms timeout: %s after %llu ms\n", strerror(-ret),
		     (unsigned long long)((aring_now_ns(loop) - t0) / MS));
	if (ret != -ETIME)
		return -1;

	/* The canceller first runs when we suspend in the read below: by then
	 * sh->read_id holds the read's id. */
	if (aring_spawn(loop, canceller, sh, &other) < 0)
		return -1;
	ret = aring_read(loop, sh->rfd, buf, sizeof(buf), (uint64_t)-1, &cancellable);
	aring_printf(loop, 1, "read with an id: %s\n", strerror(-ret));
	aring_join(loop, other, NULL);
	aring_printf(loop, 1, "aring_cancel: %d, then %d\n", sh->cancel_result, sh->stale_result);
	return ret == -ECANCELED && sh->cancel_result == 0 && sh->stale_result == -ENOENT ? 0 : -1;
}

static int start(aring_loop *loop, void *arg)
{
	struct shared *sh = arg;
	int fds[2], ret;

	ret = aring_pipe(loop, fds, 0, NULL);
	if (ret < 0)
		return ret;
	sh->rfd = fds[0];
	ret = reader(loop, sh);
	aring_close(loop, fds[0], NULL);
	aring_close(loop, fds[1], NULL);
	return ret;
}

int main(void)
{
	struct shared sh = { .rfd = -1 };
	aring_loop *loop;
	aring_task *t;
	int ret, result = -1;

	ret = aring_loop_new(&loop, NULL);
	if (ret < 0) {
		fprintf(stderr, "aring_loop_new: %s\n", strerror(-ret));
		return 1;
	}
	ret = aring_spawn(loop, start, &sh, &t);
	if (ret == 0)
		ret = aring_join(loop, t, &result);
	aring_loop_free(loop);
	return ret == 0 && result == 0 ? 0 : 1;
}
