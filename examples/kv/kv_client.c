/*
 * kv_client PORT0 PORT1 PORT2 put KEY VALUE | get KEY: one request to the KV
 * store on 127.0.0.1 (writes to node 0, reads with fail-over).
 */
#include "kv.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct req { struct kv_client c; char **argv; int argc, ret; };

static int run(aring_loop *loop, void *arg)
{
	struct req *q = arg;
	uint32_t key = strtoul(q->argv[5], NULL, 10);
	uint64_t val;

	if (!strcmp(q->argv[4], "put") && q->argc == 7) {
		q->ret = kv_put(loop, &q->c, key, strtoull(q->argv[6], NULL, 10));
		if (!q->ret)
			printf("ok\n");
	} else if (!strcmp(q->argv[4], "get")) {
		q->ret = kv_get(loop, &q->c, key, &val);
		if (!q->ret)
			printf("%llu\n", (unsigned long long)val);
	}
	kv_client_close(loop, &q->c);
	return 0;
}

int main(int argc, char **argv)
{
	struct sockaddr_in a[KV_NODES];
	struct req q = { .argv = argv, .argc = argc, .ret = -22 };
	aring_loop *loop;

	if (argc < 6) {
		fprintf(stderr, "usage: %s PORT0 PORT1 PORT2 put KEY VALUE | get KEY\n"
			"  (KEY < %d, VALUE > every value written before)\n", argv[0], KV_KEYS);
		return 2;
	}
	for (int i = 0; i < KV_NODES; i++) {
		memset(&a[i], 0, sizeof(a[i]));
		a[i].sin_family = AF_INET;
		a[i].sin_port = htons(atoi(argv[1 + i]));
		a[i].sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	}
	kv_client_init(&q.c, a, 1000000000ull);
	if (aring_loop_new(&loop, NULL) < 0)
		return 1;
	aring_spawn(loop, run, &q, NULL);
	aring_run(loop);
	aring_loop_free(loop);
	if (q.ret)
		fprintf(stderr, "kv_client: %s\n", strerror(-q.ret));
	return q.ret ? 1 : 0;
}
