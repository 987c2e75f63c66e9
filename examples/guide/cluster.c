/* cluster.c: a durable store and its client on two simulated nodes, under crashes and partitions. */
#include <aring.h>
#include <aring/sim.h>
#include <fcntl.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MS (1000ull * 1000)
#define PORT 7000
#define MAX_VALUES 4096

struct cluster {
	aring_loop *db, *client;         /* the two nodes */
	int db_up;                       /* crashed and not restarted: 0 */
	int ack_early;                   /* the planted bug: acknowledge before the fsync */
	uint64_t rng, end_ns;            /* the controller's dice; when the workload stops */
	unsigned char acked[MAX_VALUES]; /* acked[v]: the store acknowledged v */
	unsigned lost;                   /* acknowledged values gone after the last crash */
};

static uint64_t roll(struct cluster *c, uint64_t n)  /* splitmix64: 0 .. n-1 */
{
	uint64_t z = (c->rng += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return (z ^ (z >> 31)) % n;
}

/*
 * The store (node "db"): value v arrives as 8 bytes, goes to offset 8 (v - 1)
 * of /data, is fsynced, and only then goes back as the acknowledgement.
 */
static int db_main(aring_loop *loop, void *arg)
{
	struct cluster *c = arg;
	struct aring_opt idle = { .timeout_ns = 200 * MS };
	struct sockaddr_in addr = { .sin_family = AF_INET, .sin_port = htons(PORT) };
	int data, dir, lfd, fd;
	uint64_t v;

	/* A new file's name is durable only once its directory is fsynced. */
	data = aring_openat(loop, AT_FDCWD, "/data", O_CREAT | O_WRONLY, 0644, NULL);
	dir = aring_openat(loop, AT_FDCWD, "/", O_RDONLY | O_DIRECTORY, 0, NULL);
	if (data < 0 || dir < 0 || aring_fsync(loop, dir, 0, NULL) < 0)
		return 1;  /* the process exits (the controller's next crash and restart revive it) */
	aring_close(loop, dir, NULL);
	lfd = aring_socket(loop, AF_INET, SOCK_STREAM, 0, 0, NULL);
	if (lfd < 0 || aring_bind(loop, lfd, (struct sockaddr *)&addr, sizeof(addr), NULL) < 0 ||
	    aring_listen(loop, lfd, 8, NULL) < 0)
		return 1;
	for (;;) {  /* one client at a time */
		fd = aring_accept(loop, lfd, NULL, NULL, 0, NULL);
		if (fd < 0)
			continue;
		while (aring_recv(loop, fd, &v, sizeof(v), MSG_WAITALL, &idle) == sizeof(v) &&
		       v > 0 && v < MAX_VALUES) {
			if (c->ack_early && aring_send_all(loop, fd, &v, sizeof(v), MSG_NOSIGNAL, NULL) < 0)
				break;
			if (aring_write(loop, data, &v, sizeof(v), (v - 1) * sizeof(v), NULL) != sizeof(v) ||
			    aring_fsync(loop, data, 0, NULL) < 0)
				break;  /* not durable: no acknowledgement */
			if (!c->ack_early && aring_send_all(loop, fd, &v, sizeof(v), MSG_NOSIGNAL, NULL) < 0)
				break;
		}
		aring_close(loop, fd, NULL);
	}
}

/* The client (node "client"): writes 1, 2, 3, ... and notes which were acknowledged. */
static int client_main(aring_loop *loop, void *arg)
{
	struct cluster *c = arg;
	struct aring_opt quick = { .timeout_ns = 50 * MS };  /* every op gives up after 50 ms */
	struct sockaddr_in db;
	socklen_t len = sizeof(db);
	uint64_t v = 1, ack;
	int fd = -1;

	aring_sim_resolve(loop, "db", (struct sockaddr *)&db, &len);  /* 10.0.0.1 */
	db.sin_port = htons(PORT);
	for (; aring_now_ns(loop) < c->end_ns && v < MAX_VALUES; v++) {
		if (fd < 0) {
			fd = aring_socket(loop, AF_INET, SOCK_STREAM, 0, 0, NULL);
			if (fd >= 0 && aring_connect(loop, fd, (struct sockaddr *)&db, sizeof(db), &quick) < 0) {
				aring_close(loop, fd, NULL);
				fd = -1;
			}
		}
		if (fd >= 0 && aring_send_all(loop, fd, &v, sizeof(v), MSG_NOSIGNAL, &quick) == sizeof(v) &&
		    aring_recv(loop, fd, &ack, sizeof(ack), MSG_WAITALL, &quick) == sizeof(ack) && ack == v) {
			c->acked[v] = 1;
			aring_sleep(loop, MS);  /* a value every millisecond or so */
			continue;
		}
		/* No answer: a crash, a partition or a fault. v may or may not be stored. */
		if (fd >= 0)
			aring_close(loop, fd, NULL);
		fd = -1;
		aring_sleep(loop, 10 * MS);
	}
	if (fd >= 0)
		aring_close(loop, fd, NULL);
	return 0;
}

/*
 * The controller (a task of the client node): crashes, restarts, partitions.
 * roll() picks what to try; aring_sim_decide() makes each try a fault
 * decision of the run (recorded, so shrinking can take it out: a
 * suppressed decision returns 0 and nothing happens).
 */
static int controller(aring_loop *loop, void *arg)
{
	struct cluster *c = arg;

	while (aring_now_ns(loop) < c->end_ns) {
		aring_sleep(loop, (20 + roll(c, 80)) * MS);
		switch (roll(c, 3)) {
		case 0:  /* the power goes: unsynced writes may be lost or torn */
			if (aring_sim_decide(c->db, "crash", 1000000) > 0 && c->db_up &&
			    aring_sim_crash(c->db) == 0)
				c->db_up = 0;
			break;
		case 1:  /* the store comes back on what its disk kept */
			if (aring_sim_decide(c->db, "restart", 1000000) > 0 && !c->db_up &&
			    aring_sim_restart(c->db, db_main, c) == 0)
				c->db_up = 1;
			break;
		default:  /* the network between them fails for a while */
			if (aring_sim_decide(c->client, "partition", 1000000) > 0) {
				aring_sim_partition(c->client, c->db, roll(c, 2) ? ARING_SIM_ONE_WAY : 0);
				aring_sleep(loop, roll(c, 60) * MS);
				aring_sim_heal(c->client, c->db);
			}
		}
	}
	if (c->db_up)
		aring_sim_crash(c->db);  /* the end: one last crash, then count what survived */
	return 0;
}

/* After the last crash (node "db" again, faults off): every acknowledged value is there. */
static int verify(aring_loop *loop, void *arg)
{
	struct cluster *c = arg;
	uint64_t slot[512];
	unsigned char found[MAX_VALUES] = { 0 };
	int data = aring_openat(loop, AT_FDCWD, "/data", O_RDONLY, 0, NULL);
	int n, i;
	uint64_t off = 0, v;

	while (data >= 0 && (n = aring_read(loop, data, slot, sizeof(slot), off, NULL)) > 0) {
		for (i = 0; i < n / 8; i++)
			if (slot[i] == off / 8 + i + 1)
				found[slot[i]] = 1;  /* a hole or a torn write does not count */
		off += (uint64_t)n;
	}
	for (v = 1; v < MAX_VALUES; v++)
		if (c->acked[v] && !found[v]) {
			printf("value %" PRIu64 " was acknowledged and is gone\n", v);
			c->lost++;
		}
	return 0;
}

/* One seed of the swarm: 0 when every acknowledged value survived. */
static int scenario(uint64_t seed, void *arg)
{
	struct aring_sim_opts sim, calm = { 0 };
	struct cluster *c = calloc(1, sizeof(*c));
	aring_sim_world *world;
	int ret;

	aring_sim_swarm_opts_for(seed, &sim);  /* this seed's faults, the network's too */
	sim.time_limit_ns = 2000 * MS;         /* a livelock ends the run (-ETIMEDOUT) */
	if (!c || aring_sim_world_new(&world, &sim) < 0)
		return 1;
	aring_sim_node_new(world, "db", NULL, &c->db);
	aring_sim_node_new(world, "client", NULL, &c->client);
	c->ack_early = *(int *)arg;
	c->rng = seed;
	c->end_ns = aring_sim_world_now_ns(world) + 500 * MS;
	c->db_up = 1;
	aring_spawn(c->db, db_main, c, NULL);
	aring_spawn(c->client, client_main, c, NULL);
	aring_spawn(c->client, controller, c, NULL);
	ret = aring_sim_world_run(world);  /* 0: the client and the controller returned */
	if (ret == 0) {
		aring_sim_world_set_faults(world, &calm);  /* check with faults off */
		aring_sim_restart(c->db, verify, c);
		ret = aring_sim_world_run(world);
	}
	if (ret != 0)
		printf("aring_sim_world_run: %s\n", strerror(-ret));
	ret = ret != 0 || c->lost;
	aring_sim_world_free(world);
	free(c);
	return ret;
}

int main(int argc, char **argv)
{
	int ack_early = argc > 1 && !strcmp(argv[1], "ack-early");
	struct aring_sim_swarm_opts so = { .first_seed = 1, .seeds = 100, .shrink = 1 };
	int failed = aring_sim_swarm(scenario, &ack_early, &so);

	if (failed < 0) {
		fprintf(stderr, "aring_sim_swarm: %s\n", strerror(-failed));
		return 2;
	}
	return failed ? 1 : 0;
}
