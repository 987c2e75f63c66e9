/* echo.h: an echo server, on any backend. */
#include <aring.h>

struct echo_server {
	uint16_t port;       /* on 127.0.0.1 */
	int stop;            /* set by echo_stop */
	uint64_t accept_id;  /* the accept in flight, for aring_cancel */
};

int echo_serve(aring_loop *loop, void *srv);  /* a task: listen, a task per connection */
void echo_stop(aring_loop *loop, struct echo_server *srv);
