/* Placeholder until the simulated ring lands: the sim backend is not built yet. */
#include <errno.h>
#include "core/backend.h"
#include <aring/sim.h>

int aring__sim_new(const struct aring_loop_opts *opts, struct aring__backend **out)
{
	(void)opts;
	*out = NULL;
	return -EOPNOTSUPP;
}

ARING_API uint64_t aring_sim_trace_hash(aring_loop *loop)
{
	(void)loop;
	return 0;
}

ARING_API int aring_sim_getsockname(aring_loop *loop, int fd, struct sockaddr *addr,
				    socklen_t *addrlen)
{
	(void)loop; (void)fd; (void)addr; (void)addrlen;
	return -EOPNOTSUPP;
}
