/* SPDX-License-Identifier: MIT */
/*
 * chat_server PORT [QUEUE]: a line from any client goes to all the others,
 * on 127.0.0.1:PORT (0 = any free port; the port is printed).
 *
 * One task per client reads its lines; a writer task per client sends it the
 * others' lines from a channel of QUEUE lines (default 128). A slow client
 * does not hold up the rest: when its channel is full, the line is dropped
 * for that client only; a client that takes nothing for 10 s is
 * disconnected, and so is one that sends nothing for 300 s. Lines over 256
 * bytes are relayed in pieces. SIGINT or SIGTERM: cancel every task (one
 * group), close every socket, exit 0. The logic is examples/chat.c.
 *
 *   ./examples/chat_server 7000 &  nc 127.0.0.1 7000   (in two terminals)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "examples/chat.h"
#include "examples/server.h"

struct args {
	int port;
	struct chat_opts o;
	struct chat_stats st;
	int ret;
};

static int server_main(aring_loop *loop, void *arg)
{
	struct args *a = arg;
	uint16_t port;
	int lfd = example_listen(loop, (uint16_t)a->port, &port);

	if (lfd < 0) {
		fprintf(stderr, "chat_server: listen: %s\n", strerror(-lfd));
		return a->ret = lfd;
	}
	printf("chat_server: listening on 127.0.0.1:%u\n", port);
	fflush(stdout);
	a->ret = chat_serve(loop, lfd, &a->o, &a->st);  /* closes lfd */
	return 0;
}

int main(int argc, char **argv)
{
	struct args a = { 0 };
	char *end;

	if (argc < 2 || argc > 3 || (a.port = example_port(argv[1])) < 0 ||
	    (argc == 3 && ((a.o.queue_lines = (unsigned)strtoul(argv[2], &end, 10)) == 0 || *end))) {
		fprintf(stderr, "usage: %s PORT [QUEUE]\n", argv[0]);
		return 2;
	}
	if (example_main("chat_server", server_main, &a) < 0 || a.ret < 0)
		return 1;
	fprintf(stderr, "chat_server: %llu clients, %llu lines in, %llu copies sent, %llu dropped, "
		"%llu clients disconnected\n",
		(unsigned long long)a.st.clients, (unsigned long long)a.st.lines,
		(unsigned long long)a.st.sent, (unsigned long long)a.st.dropped,
		(unsigned long long)a.st.disconnected);
	return 0;
}
