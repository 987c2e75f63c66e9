/* hello.c: two tasks on one loop. */
#include <aring.h>
#include <stdio.h>
#include <string.h>

static int greet(aring_loop *loop, void *arg)
{
	const char *name = arg;

	aring_sleep(loop, 100 * 1000 * 1000);  /* 100 ms; the other task runs meanwhile */
	return aring_printf(loop, 1, "hello, %s\n", name);  /* bytes written, or -errno */
}

int main(void)
{
	aring_loop *loop;
	aring_task *a, *b;
	int ret, ra = -1, rb = -1;

	ret = aring_loop_new(&loop, NULL);  /* NULL: io_uring, else epoll; defaults */
	if (ret < 0) {
		fprintf(stderr, "aring_loop_new: %s\n", strerror(-ret));
		return 1;
	}
	if (aring_spawn(loop, greet, "world", &a) < 0 || aring_spawn(loop, greet, "aring", &b) < 0)
		return 1;
	ret = aring_run(loop);  /* until both tasks have returned */
	if (ret == 0) {
		aring_join(loop, a, &ra);  /* their return values */
		aring_join(loop, b, &rb);
	}
	printf("aring_run: %d, the tasks returned %d and %d\n", ret, ra, rb);
	aring_loop_free(loop);
	return ret == 0 && ra > 0 && rb > 0 ? 0 : 1;
}
