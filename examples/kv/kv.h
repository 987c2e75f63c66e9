/*
 * A replicated key-value store of three nodes on aring (the showcase of the
 * simulated world; protocol and assumptions in README.md).
 */
#ifndef KV_H
#define KV_H

#include <aring.h>
#include <netinet/in.h>
#include <stdint.h>

#define KV_NODES 3
#define KV_KEYS 16
#define KV_MAX_RECS 4096

enum { KV_PUT = 1, KV_GET, KV_REPL, KV_OK, KV_ERR, KV_NEED };

/* One message on the wire (host byte order: the three nodes share a build). */
struct kv_msg {
	uint32_t type, key;
	uint64_t seq;    /* PUT reply / REPL: the record's seq; GET: the client's min seq;
	                    GET reply: the prefix served; NEED: the backup's log length */
	uint64_t val;    /* the value (the client's op number: increasing) */
	uint64_t commit; /* REPL: the primary's commit index */
};

/* A log record: length-prefixed and checksummed (40 bytes: not a divisor of 512). */
struct kv_rec {
	uint32_t len, crc; /* len: bytes after this header (32); crc over them */
	uint64_t seq;
	uint64_t val;
	uint32_t key, pad;
	uint64_t spare;
};

/* Planted bugs (KV_PLANT): none, ack-before-fsync, short-read-log, stale-primary. */
enum kv_plant { KV_PLANT_NONE, KV_PLANT_ACK_BEFORE_FSYNC, KV_PLANT_SHORT_READ_LOG,
	        KV_PLANT_STALE_PRIMARY };
enum kv_plant kv_plant_from_env(void);

struct kv_node {
	int id;
	struct sockaddr_in addr[KV_NODES]; /* every node's address and port (addr[id]: bind) */
	const char *datadir;
	uint64_t timeout_ns;               /* per network op */
	enum kv_plant plant;
	/* process state (reset by kv_node_main: a restart is a new process) */
	int logfd, lfd;
	int peer_fd[KV_NODES];
	uint64_t len, commit;              /* records in the log; highest seq known committed */
	uint64_t maxval;                   /* the largest value in the log */
	struct kv_rec recs[KV_MAX_RECS];   /* recs[i]: seq i+1 */
	int synced;                        /* node 0: bit b, pulled from backup b */
	struct aring_mutex mu;
};

/* The node's program: replay the log, then serve (never returns but on error). */
int kv_node_main(aring_loop *loop, void *arg);

/* A client: one request to one node, with a timeout (ops of the library). */
struct kv_client {
	struct sockaddr_in addr[KV_NODES];
	int fd[KV_NODES];
	uint64_t timeout_ns, minseq;       /* minseq: the highest committed seq seen */
	int primary;                       /* the node tried first */
	int debug;                         /* KV_DEBUG set: print each get */
};
void kv_client_init(struct kv_client *c, const struct sockaddr_in *addr, uint64_t timeout_ns);
/* PUT key=val: 0 (acknowledged: durable on all three nodes) or -errno. */
int kv_put(aring_loop *loop, struct kv_client *c, uint32_t key, uint64_t val);
/* GET key: 0 and *val (0: never written), or -errno. Fails over between nodes. */
int kv_get(aring_loop *loop, struct kv_client *c, uint32_t key, uint64_t *val);
void kv_client_close(aring_loop *loop, struct kv_client *c);

#endif
