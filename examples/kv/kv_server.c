/*
 * kv_server ID PORT PEER1 PEER2 DATADIR: node ID (0, 1 or 2; 0 is the
 * primary) of the KV store on real io_uring, listening on 127.0.0.1:PORT.
 * PEER1 and PEER2 are the ports of the other two nodes in ID order.
 */
#include "kv.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int main(int argc, char **argv)
{
	static struct kv_node n;
	aring_loop *loop;
	int ports[KV_NODES], r;

	if (argc != 6 || atoi(argv[1]) < 0 || atoi(argv[1]) >= KV_NODES) {
		fprintf(stderr, "usage: %s ID PORT PEER1 PEER2 DATADIR\n", argv[0]);
		return 2;
	}
	n.id = atoi(argv[1]);
	for (int i = 0, k = 3; i < KV_NODES; i++)
		ports[i] = i == n.id ? atoi(argv[2]) : atoi(argv[k++]);
	for (int i = 0; i < KV_NODES; i++) {
		n.addr[i].sin_family = AF_INET;
		n.addr[i].sin_port = htons(ports[i]);
		n.addr[i].sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	}
	n.datadir = argv[5];
	n.timeout_ns = 500000000ull;
	n.plant = kv_plant_from_env();
	if ((r = aring_loop_new(&loop, NULL)) < 0) {
		fprintf(stderr, "kv_server: aring_loop_new: %s\n", strerror(-r));
		return 1;
	}
	aring_spawn(loop, kv_node_main, &n, NULL);
	r = aring_run(loop);
	aring_loop_free(loop);
	return r ? 1 : 0;
}
