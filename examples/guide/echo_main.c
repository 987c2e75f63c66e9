/* echo_main.c: the echo server on io_uring. Usage: echo_main [port] */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "echo.h"

int main(int argc, char **argv)
{
	struct echo_server srv = { .port = argc > 1 ? (uint16_t)atoi(argv[1]) : 7000 };
	aring_loop *loop;
	aring_task *server;
	int ret, result = 0;

	ret = aring_loop_new(&loop, NULL);
	if (ret < 0) {
		fprintf(stderr, "aring_loop_new: %s\n", strerror(-ret));
		return 1;
	}
	printf("echo server on 127.0.0.1:%u\n", (unsigned)srv.port);
	fflush(stdout);
	ret = aring_spawn(loop, echo_serve, &srv, &server);
	if (ret == 0)
		ret = aring_join(loop, server, &result);  /* runs the loop until the server returns */
	if (ret == 0 && result < 0)
		fprintf(stderr, "echo server: %s\n", strerror(-result));
	aring_loop_free(loop);
	return ret == 0 && result == 0 ? 0 : 1;
}
