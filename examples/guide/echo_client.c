/* echo_client.c: one client of the echo server. */
#include <errno.h>
#include <netinet/in.h>
#include <string.h>

#include "echo_client.h"

int echo_client(aring_loop *loop, void *arg)
{
	struct echo_clients *t = arg;
	struct sockaddr_in addr = {
		.sin_family = AF_INET,
		.sin_port = htons(t->srv.port),
		.sin_addr.s_addr = htonl(INADDR_LOOPBACK),
	};
	char out[MSG_BYTES], in[MSG_BYTES];
	size_t got = 0;
	int fd, ret, i;

	for (i = 0; i < MSG_BYTES; i++)
		out[i] = (char)(i * 31 + t->finished);
	for (i = 0; i < 100; i++) {  /* the server may not listen yet: try again 1 ms later */
		fd = aring_socket(loop, AF_INET, SOCK_STREAM, 0, 0, NULL);
		ret = fd < 0 ? fd : aring_connect(loop, fd, (struct sockaddr *)&addr, sizeof(addr), NULL);
		if (ret != -ECONNREFUSED)
			break;
		aring_close(loop, fd, NULL);
		fd = -1;
		aring_sleep(loop, 1000 * 1000);
	}
	if (ret == 0)
		ret = aring_send_all(loop, fd, out, sizeof(out), MSG_NOSIGNAL, NULL);
	while (ret >= 0 && got < sizeof(in)) {
		ret = aring_recv(loop, fd, in + got, sizeof(in) - got, 0, NULL);
		if (ret > 0)
			got += (size_t)ret;
		else if (ret == 0)
			ret = -ECONNRESET;  /* EOF before everything came back */
	}
	if (memcmp(in, out, got) != 0)
		t->wrong++;  /* an error is allowed under faults; wrong bytes never are */
	if (got == sizeof(in))
		t->echoed++;
	else
		t->failed++;
	if (fd >= 0)
		aring_close(loop, fd, NULL);
	if (++t->finished == t->clients)
		echo_stop(loop, &t->srv);
	return 0;
}
