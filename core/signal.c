/* SPDX-License-Identifier: MIT */
/*
 * aring_signal_wait. On uring: block the set for the thread and read a
 * signalfd through the ring (a blocking fd: io_uring returns -EAGAIN at
 * once for an O_NONBLOCK file, kernel io_uring/rw.c io_rw_init_file sets
 * REQ_F_NOWAIT for it; a blocking one is armed on the file's poll and read
 * when a signal is pending). On the sim: signals raised by
 * aring_sim_signal(), a pending set per loop and a FIFO of waiters.
 */
#include "config.h"
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include "core/internal.h"

#define NSIG_MAX 64

static int set_check(const sigset_t *set)
{
	int sig, any = 0;

	if (!set)
		return -EFAULT;
	if (sigismember(set, SIGKILL) == 1 || sigismember(set, SIGSTOP) == 1)
		return -EINVAL;
	for (sig = 1; sig <= NSIG_MAX && !any; sig++)
		any = sigismember(set, sig) == 1;
	return any ? 0 : -EINVAL;
}

/* The lowest pending signal of set, taken; 0 if none. */
static int take_pending(aring_loop *loop, const sigset_t *set)
{
	int sig;

	for (sig = 1; sig <= NSIG_MAX; sig++) {
		uint64_t bit = (uint64_t)1 << (sig - 1);

		if ((loop->sig_pending & bit) && sigismember(set, sig) == 1) {
			loop->sig_pending &= ~bit;
			return sig;
		}
	}
	return 0;
}

int aring__signal_raise(aring_loop *loop, int sig)
{
	struct aring__waiter *w;

	if (sig < 1 || sig > NSIG_MAX || sig == SIGKILL || sig == SIGSTOP)
		return -EINVAL;
	for (w = loop->sigq.head; w; w = w->next)
		if (sigismember((const sigset_t *)w->buf, sig) == 1) {
			aring__wait_end(loop, w, sig);
			return 0;
		}
	loop->sig_pending |= (uint64_t)1 << (sig - 1);
	return 0;
}

static int sim_wait(aring_loop *loop, const sigset_t *set, const struct aring_opt *opt)
{
	struct aring__waiter w;
	int sig = take_pending(loop, set);

	if (sig)
		return sig;
	w.buf = (void *)(uintptr_t)set;
	return aring__wait(loop, &loop->sigq, &w, opt);
}

ARING_API int aring_signal_wait(aring_loop *loop, const sigset_t *set, const struct aring_opt *opt)
{
	struct signalfd_siginfo si;
	int fd, ret;

	ret = set_check(set);
	if (ret < 0)
		return ret;
	ret = aring__wait_check(loop, opt);
	if (ret < 0)
		return ret;
	if (loop->kind == ARING_BACKEND_SIM)
		return sim_wait(loop, set, opt);
	ret = pthread_sigmask(SIG_BLOCK, set, NULL);
	if (ret)
		return -ret;
	fd = signalfd(-1, set, SFD_CLOEXEC);
	if (fd < 0)
		return -errno;
	ret = aring_read(loop, fd, &si, sizeof(si), 0, opt);
	close(fd);
	if (ret < 0)
		return ret;
	return ret == (int)sizeof(si) ? (int)si.ssi_signo : -EIO;
}
