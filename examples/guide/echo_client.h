/* echo_client.h: clients of the echo server, that check what comes back. */
#include <aring.h>

#include "echo.h"

#define MSG_BYTES 3000

struct echo_clients {
	struct echo_server srv;
	int clients;                   /* how many; the last to finish stops the server */
	int finished, echoed, failed;  /* clients */
	int wrong;                     /* bytes that came back changed: the bug to catch */
};

int echo_client(aring_loop *loop, void *clients);  /* a task: send, read back, compare */
