/* SPDX-License-Identifier: MIT */
/* The async writer: write everything, printf through the ring. */
#include "config.h"
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>

#include "core/internal.h"

#define STACK_FMT_BYTES 4096

/* The loop behind aring_write_all and aring_send_all. */
static int move_all(aring_loop *loop, int fd, const void *buf, size_t len, int send_flags,
		    bool send, const struct aring_opt *opt)
{
	const char *p = buf;
	size_t done = 0;

	if (len > INT_MAX)
		return -EINVAL;
	while (done < len) {
		size_t chunk = len - done;
		int ret = send ? aring_send(loop, fd, p + done, chunk, send_flags, opt)
			       : aring_write(loop, fd, p + done, (unsigned)chunk, (uint64_t)-1, opt);

		if (ret < 0)
			return ret;
		if (ret == 0)
			return -EIO;  /* a transfer that moves nothing would loop forever */
		done += (size_t)ret;
	}
	return (int)done;
}

ARING_API int aring_write_all(aring_loop *loop, int fd, const void *buf, size_t len,
			      const struct aring_opt *opt)
{
	return move_all(loop, fd, buf, len, 0, false, opt);
}

ARING_API int aring_send_all(aring_loop *loop, int fd, const void *buf, size_t len, int flags,
			     const struct aring_opt *opt)
{
	return move_all(loop, fd, buf, len, flags, true, opt);
}

ARING_API int aring_vprintf(aring_loop *loop, int fd, const char *fmt, va_list ap)
{
	char small[STACK_FMT_BYTES];
	va_list ap2;
	char *buf = small;
	int n, ret;

	if (!fmt)
		return -EINVAL;
	va_copy(ap2, ap);
	n = vsnprintf(small, sizeof(small), fmt, ap2);
	va_end(ap2);
	if (n < 0)
		return -EINVAL;
	if ((size_t)n >= sizeof(small)) {
		buf = malloc((size_t)n + 1);
		if (!buf)
			return -ENOMEM;
		vsnprintf(buf, (size_t)n + 1, fmt, ap);
	}
	ret = aring_write_all(loop, fd, buf, (size_t)n, NULL);
	if (buf != small)
		free(buf);
	return ret;
}

ARING_API int aring_printf(aring_loop *loop, int fd, const char *fmt, ...)
{
	va_list ap;
	int ret;

	va_start(ap, fmt);
	ret = aring_vprintf(loop, fd, fmt, ap);
	va_end(ap);
	return ret;
}
