/* SPDX-License-Identifier: MIT */
/* What the example servers (chat, http) share: listen, accept, main. */
#ifndef ARING_EXAMPLES_SERVER_H
#define ARING_EXAMPLES_SERVER_H

#include <aring.h>
#include <stdint.h>

/*
 * Listen on 127.0.0.1:port (0 = any free port; SO_REUSEADDR), backlog 1024.
 * Call from a task. Returns the fd (the bound port in *bound), or -errno.
 */
int example_listen(aring_loop *loop, uint16_t port, uint16_t *bound);

/*
 * Take a slot from slots (a bound on connections), then accept on lfd.
 * Retries what a busy server can meet (-EINTR, -ECONNABORTED; -EMFILE,
 * -ENFILE, -ENOBUFS, -ENOMEM after a 10 ms pause). Returns the new fd (the
 * caller gives the slot back when that connection ends), or -errno with the
 * slot given back: -ECANCELED when the task was cancelled.
 */
int example_accept(aring_loop *loop, int lfd, struct aring_sem *slots);

/* PORT from a command line argument: 0..65535, or -1. */
int example_port(const char *arg);

/*
 * main() of a server: ignore SIGPIPE, block SIGINT and SIGTERM (for
 * aring_signal_wait), run fn(loop, arg) as the only task of a new loop.
 * Returns 0, or -errno of aring_loop_new, aring_spawn or aring_run
 * (printed after name).
 */
int example_main(const char *name, aring_fn fn, void *arg);

#endif
