/* coop.c: workers fed by a channel, a wait group, and a group cancelled at once. */
#include <aring.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#define MS (1000ull * 1000)
#define WORKERS 4
#define JOBS 20
#define SLEEPERS 100

struct pool {
	aring_chan *jobs;      /* of ints: the work */
	struct aring_wg done;  /* workers still running */
	long sum;
};

static int worker(aring_loop *loop, void *arg)
{
	struct pool *p = arg;
	int job;

	while (aring_chan_recv(loop, p->jobs, &job, NULL) == 0) {  /* -EPIPE: closed, drained */
		aring_sleep(loop, (uint64_t)job * MS);  /* stands for real I/O */
		p->sum += job;  /* no lock: tasks switch only where they suspend */
	}
	aring_wg_done(loop, &p->done);
	return 0;
}

static int sleeper(aring_loop *loop, void *arg)
{
	int *cancelled = arg;

	if (aring_sleep(loop, 3600 * 1000 * MS) == -ECANCELED)  /* an hour */
		++*cancelled;
	return 0;
}

static int boss(aring_loop *loop, void *arg)
{
	struct pool p = { .sum = 0 };
	aring_group *g;
	long want = 0;
	int i, ret, cancelled = 0;

	ret = aring_chan_new(loop, sizeof(int), 8, &p.jobs);  /* 8 messages of an int */
	if (ret < 0)
		return ret;
	aring_wg_init(&p.done);
	for (i = 0; i < WORKERS; i++) {
		aring_wg_add(&p.done, 1);
		if (aring_spawn(loop, worker, &p, NULL) < 0)
			aring_wg_done(loop, &p.done);
	}
	for (i = 1; i <= JOBS; i++) {
		if (aring_chan_send(loop, p.jobs, &i, NULL) == 0)  /* waits while 8 are queued */
			want += i;
	}
	aring_chan_close(loop, p.jobs);  /* the workers drain it, then get -EPIPE */
	aring_wg_wait(loop, &p.done, NULL);
	aring_chan_free(p.jobs);
	aring_printf(loop, 1, "%d workers, %d jobs: sum %ld, sent %ld\n", WORKERS, JOBS, p.sum, want);

	/* A group: tasks that are cancelled and waited for together. */
	ret = aring_group_new(loop, &g);
	if (ret < 0)
		return ret;
	for (i = 0; i < SLEEPERS; i++)
		aring_group_spawn(g, sleeper, &cancelled);
	aring_sleep(loop, 10 * MS);
	aring_group_cancel(loop, g);   /* every sleep ends with -ECANCELED */
	aring_group_wait(loop, g, NULL);
	aring_group_free(g);
	aring_printf(loop, 1, "%d sleepers cancelled: %d saw -ECANCELED\n", SLEEPERS, cancelled);
	return p.sum == want && want > 0 && cancelled == SLEEPERS ? 0 : -1;
}

int main(void)
{
	aring_loop *loop;
	aring_task *t;
	int ret, result = -1;

	ret = aring_loop_new(&loop, NULL);
	if (ret < 0) {
		fprintf(stderr, "aring_loop_new: %s\n", strerror(-ret));
		return 1;
	}
	ret = aring_spawn(loop, boss, NULL, &t);
	if (ret == 0)
		ret = aring_join(loop, t, &result);
	aring_loop_free(loop);
	return ret == 0 && result == 0 ? 0 : 1;
}
