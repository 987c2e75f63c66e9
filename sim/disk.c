/* SPDX-License-Identifier: MIT */
/*
 * Durability: what a crash of the node keeps, and the disk's faults.
 *
 * Each regular file has its live state (what reads see: sim/fs.c's pages
 * and size, the page cache) and a durable image (what is on the platter),
 * plus the list of its unsynced changes since, oldest first: writes (with a
 * copy of the bytes written), zeroed ranges (FALLOC_FL_PUNCH_HOLE,
 * FALLOC_FL_ZERO_RANGE) and size changes (ftruncate, O_TRUNC, a fallocate
 * that extends). What counts as a sync:
 *   - fsync and fdatasync (IORING_OP_FSYNC, with or without
 *     IORING_FSYNC_DATASYNC) of any fd of the file make every change
 *     durable: data and size; so does a write that completes on an fd
 *     opened O_DSYNC or O_SYNC, or with RWF_DSYNC or RWF_SYNC (as if an
 *     fdatasync followed it: its -EIO fault is the write's result);
 *   - sync_file_range with SYNC_FILE_RANGE_WRITE and
 *     SYNC_FILE_RANGE_WAIT_AFTER makes the data of the range [off, off+len)
 *     (len 0: to the end of the file) durable, but not the size (Linux
 *     writes no metadata for it): bytes it synced past the durable size are
 *     only seen after a crash if the size change that covers them survives
 *     too. Without both flags it makes nothing durable.
 * Directories: every namespace change (create, mkdir, symlink, link,
 * unlink, rmdir, rename, exchange) is unsynced until an fsync of a
 * directory it changed. The strict rule: a new file's own fsync does not
 * make its name durable (ext4 happens to commit it too; POSIX does not
 * promise it). An fsync of a directory commits the namespace changes in
 * order, as a journal does, up to the last one that changed it. A rename is
 * one change: it survives or is undone whole, so a name that was durable
 * names the old or the new file after a crash, never nothing.
 *
 * The crash (aring_sim_crash): every file is rewritten to its durable image
 * plus a seed-chosen subset of its unsynced changes, replayed in order:
 * each is lost, kept, or (a write) torn, each with probability 1/3. A torn
 * write keeps a seed-chosen subset of its 512-byte sectors (sectors of the
 * file: offset / 512), each with probability 1/2, and grows the size only
 * to the end of its last kept sector. Each unsynced namespace change is
 * kept or undone (1/2 each), in order; one that no longer applies (its
 * source name is gone) is undone. What is then unreachable from "/" is
 * gone.
 *
 * Faults (struct aring_sim_opts, ppm): each is drawn from the disk's own
 * stream of the seed and goes through the sim's one fault mechanism
 * (aring__sim_fault_record(), sim/fault.c), so the swarm records, replays
 * and shrinks them like every other fault (kinds ARING_SIM_FAULT_DISK_*).
 * The crash's own choices (what each unsynced change becomes) are drawn
 * from the same stream, and each that loses something is a fault decision
 * too (ARING_SIM_FAULT_CRASH_LOST, _TORN, _UNDONE; the crash itself is the
 * scenario's act, or its aring_sim_decide): the no-fault outcome of a
 * crash keeps every unsynced change, as if it had been flushed in time.
 *   disk_read_error_ppm   per read of a regular file: one sector of the
 *                         range goes bad; a read reaching a bad sector ends
 *                         short before it, or fails with -EIO if it starts
 *                         in it. A write touching the sector heals it.
 *   disk_fsync_error_ppm  per fsync/fdatasync of a regular file: -EIO, and
 *                         every unsynced change of the file is dropped (live
 *                         state back to the durable image), as Linux drops
 *                         dirty pages after a writeback error; the next
 *                         fsync of the file succeeds.
 *   disk_nospace_ppm      per write to a regular file or fallocate: -ENOSPC.
 *   disk_size_bytes       file data beyond this (pages of 4 KiB) is -ENOSPC.
 */
#include "config.h"
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim/sim.h"

#define SECTOR 512u

enum { REC_WRITE = 1, REC_ZERO, REC_SIZE };
enum { SZ_NONE = 0, SZ_GROW, SZ_EXACT };

/* An unsynced change of a regular file. */
struct sim_rec {
	struct sim_rec *next;
	uint8_t kind;
	uint8_t size_op;        /* SZ_GROW: size = max(size, size_val); SZ_EXACT: size = size_val */
	uint64_t off, len;      /* REC_WRITE, REC_ZERO */
	uint64_t size_val;
	uint8_t data[];         /* REC_WRITE: len bytes */
};

/* One unsynced namespace change: up to two names set at once. */
struct sim_nsact {
	struct sim_inode *dir;
	struct sim_inode *inode;   /* what the name now names; NULL: removed */
	struct sim_inode *expect;  /* it applies only if the name durably names this (NULL: any) */
	char *name;
};

struct sim_nsop {
	struct sim_nsop *next;
	unsigned n;
	struct sim_nsact act[2];
};

static void dref_get(struct sim_inode *i)
{
	if (i)
		i->dref++;
}

/* The last durable reference gone: the inode may be freed (unless fs-wide work is under way). */
static void dref_put(struct sim *s, struct sim_inode *i)
{
	if (i) {
		assert(i->dref > 0);
		if (--i->dref == 0 && !s->disk_batch)
			aring__sim_inode_maybe_free(s, i);
	}
}

/* ---------------------------------------------------------------- faults */

/* A drawn disk fault goes through the sim's one fault mechanism (sim/fault.c). */
static bool disk_fault_record(struct sim *s, enum sim_disk_fault kind, unsigned opcode)
{
	static const unsigned public_kind[] = {
		[SIM_DISK_READ_EIO] = ARING_SIM_FAULT_DISK_READ,
		[SIM_DISK_FSYNC_EIO] = ARING_SIM_FAULT_DISK_FSYNC,
		[SIM_DISK_NOSPC] = ARING_SIM_FAULT_DISK_NOSPACE,
	};

	if (!aring__sim_fault_record(s, public_kind[kind], opcode,
				     kind == SIM_DISK_NOSPC ? -ENOSPC : -EIO))
		return false;
	s->stats.errors_injected++;
	return true;
}

bool aring__sim_disk_fault(struct sim *s, enum sim_disk_fault kind, uint32_t ppm, unsigned opcode)
{
	if (!aring__sim_prng_ppm(&s->rng_disk, ppm))
		return false;
	return disk_fault_record(s, kind, opcode);
}

uint64_t aring__sim_disk_capacity(const struct sim *s)
{
	return s->opts.disk_size_bytes ? s->opts.disk_size_bytes : SIM_MAX_FS_BYTES;
}

int aring__sim_disk_nospace(struct sim *s, struct sim_req *r)
{
	return aring__sim_disk_fault(s, SIM_DISK_NOSPC, s->opts.disk_nospace_ppm, r->opcode) ? -ENOSPC
											     : 0;
}

static void bad_heal(struct sim_inode *i, uint64_t off, uint64_t len)
{
	uint32_t k = 0;

	while (k < i->nbad) {
		uint64_t b = i->bad[k] * SECTOR;

		if (b < off + len && off < b + SECTOR)
			i->bad[k] = i->bad[--i->nbad];
		else
			k++;
	}
}

uint64_t aring__sim_disk_read_ok(struct sim *s, struct sim_inode *i, uint64_t off, uint64_t n)
{
	uint64_t first = UINT64_MAX;
	uint32_t k;

	/* The sector is drawn whether or not the run suppresses the fault. */
	if (n && aring__sim_prng_ppm(&s->rng_disk, s->opts.disk_read_error_ppm)) {
		uint64_t sec = aring__sim_prng_range(&s->rng_disk, off / SECTOR, (off + n - 1) / SECTOR);

		if (!disk_fault_record(s, SIM_DISK_READ_EIO, IORING_OP_READ))
			sec = UINT64_MAX;
		if (sec != UINT64_MAX && i->nbad == i->bad_cap) {
			uint32_t cap = i->bad_cap ? i->bad_cap * 2 : 4;
			uint64_t *b = realloc(i->bad, cap * sizeof(*b));

			if (b) {
				i->bad = b;
				i->bad_cap = cap;
			}
		}
		if (sec != UINT64_MAX && i->nbad < i->bad_cap)
			i->bad[i->nbad++] = sec;
	}
	for (k = 0; k < i->nbad; k++) {
		uint64_t b = i->bad[k] * SECTOR;

		if (b < off + n && off < b + SECTOR && b < first)
			first = b;
	}
	if (first == UINT64_MAX)
		return n;
	return first <= off ? 0 : first - off;
}

/* ---------------------------------------------------------------- the durable image */

static uint8_t *dpage(struct sim_inode *i, uint64_t pg, bool alloc)
{
	if (pg >= i->dpages_cap) {
		uint64_t cap = i->dpages_cap ? i->dpages_cap : 4;
		uint8_t **p;

		if (!alloc)
			return NULL;
		while (cap <= pg)
			cap *= 2;
		p = realloc(i->dpages, cap * sizeof(*p));
		if (!p)
			abort(); /* the model cannot go on without its image */
		memset(p + i->dpages_cap, 0, (cap - i->dpages_cap) * sizeof(*p));
		i->dpages = p;
		i->dpages_cap = cap;
	}
	if (!i->dpages[pg] && alloc) {
		i->dpages[pg] = calloc(1, SIM_PAGE);
		if (!i->dpages[pg])
			abort();
	}
	return i->dpages[pg];
}

/* Put len bytes (src NULL: zeros) at off of the durable image. */
static void dput(struct sim_inode *i, uint64_t off, const uint8_t *src, uint64_t len)
{
	while (len) {
		uint64_t pg = off / SIM_PAGE, po = off % SIM_PAGE;
		uint64_t c = SIM_PAGE - po < len ? SIM_PAGE - po : len;
		uint8_t *p = dpage(i, pg, src != NULL);

		if (p) {
			if (src)
				memcpy(p + po, src, c);
			else
				memset(p + po, 0, c);
		}
		if (src)
			src += c;
		off += c;
		len -= c;
	}
}

/* Nothing of the durable image past size (zeros if the file grows again). */
static void dtrim(struct sim_inode *i, uint64_t size)
{
	uint64_t pg;

	if (size % SIM_PAGE)
		dput(i, size, NULL, SIM_PAGE - size % SIM_PAGE);
	for (pg = (size + SIM_PAGE - 1) / SIM_PAGE; pg < i->dpages_cap; pg++) {
		free(i->dpages[pg]);
		i->dpages[pg] = NULL;
	}
}

static void dsize_set(struct sim_inode *i, uint64_t size)
{
	if (size < i->dsize)
		dtrim(i, size);
	i->dsize = size;
}

static void size_apply(struct sim_inode *i, uint8_t op, uint64_t val)
{
	if (op == SZ_EXACT)
		dsize_set(i, val);
	else if (op == SZ_GROW && val > i->dsize)
		i->dsize = val;
}

/* Apply rec to the durable image whole. */
static void rec_apply(struct sim_inode *i, const struct sim_rec *rec)
{
	if (rec->kind == REC_WRITE)
		dput(i, rec->off, rec->data, rec->len);
	else if (rec->kind == REC_ZERO)
		dput(i, rec->off, NULL, rec->len);
	size_apply(i, rec->size_op, rec->size_val);
}

/*
 * A torn write: each sector kept with probability 1/2; the size grows to the
 * last kept byte. apply false: draw the same, change nothing (a tear the run
 * suppressed).
 */
static void rec_tear(struct sim *s, struct sim_inode *i, const struct sim_rec *rec, bool apply)
{
	uint64_t end = rec->off + rec->len, a = rec->off, top = 0;

	while (a < end) {
		uint64_t b = (a / SECTOR + 1) * SECTOR;

		if (b > end)
			b = end;
		if ((aring__sim_prng_next(&s->rng_disk) & 1) && apply) {
			dput(i, a, rec->data + (a - rec->off), b - a);
			top = b;
		}
		a = b;
	}
	if (rec->size_op == SZ_GROW && top)
		size_apply(i, SZ_GROW, top < rec->size_val ? top : rec->size_val);
}

/* The live state := the durable image (a crash, an fsync that failed). */
static void live_from_durable(struct sim *s, struct sim_inode *i)
{
	uint64_t pg;

	for (pg = 0; pg < i->npages_cap; pg++) {
		if (i->pages[pg]) {
			free(i->pages[pg]);
			i->pages[pg] = NULL;
			i->npages_alloc--;
			s->fs_bytes -= SIM_PAGE;
		}
	}
	if (i->dpages_cap > i->npages_cap) {
		uint8_t **p = realloc(i->pages, i->dpages_cap * sizeof(*p));

		if (!p)
			abort();
		memset(p + i->npages_cap, 0, (i->dpages_cap - i->npages_cap) * sizeof(*p));
		i->pages = p;
		i->npages_cap = i->dpages_cap;
	}
	for (pg = 0; pg < i->dpages_cap; pg++) {
		if (!i->dpages[pg] || pg * SIM_PAGE >= i->dsize)
			continue;
		i->pages[pg] = malloc(SIM_PAGE);
		if (!i->pages[pg])
			abort();
		memcpy(i->pages[pg], i->dpages[pg], SIM_PAGE);
		i->npages_alloc++;
		s->fs_bytes += SIM_PAGE;
	}
	i->size = i->dsize;
}

static void recs_free(struct sim_inode *i)
{
	struct sim_rec *r, *next;

	for (r = i->recs; r; r = next) {
		next = r->next;
		free(r);
	}
	i->recs = NULL;
	i->recs_tail = &i->recs;
}

void aring__sim_disk_inode_free(struct sim *s, struct sim_inode *i)
{
	uint64_t pg;

	recs_free(i);
	for (pg = 0; pg < i->dpages_cap; pg++)
		free(i->dpages[pg]);
	free(i->dpages);
	i->dpages = NULL;
	i->dpages_cap = 0;
	free(i->bad);
	i->bad = NULL;
	while (i->dents) {
		struct sim_dent *d = i->dents;

		i->dents = d->next;
		dref_put(s, d->inode);
		free(d);
	}
}

/* ---------------------------------------------------------------- unsynced file changes */

static struct sim_rec *rec_add(struct sim_inode *i, uint8_t kind, uint64_t off, uint64_t len,
			       uint64_t data_len)
{
	struct sim_rec *r = malloc(sizeof(*r) + data_len);

	if (!r)
		return NULL;
	memset(r, 0, sizeof(*r));
	r->kind = kind;
	r->off = off;
	r->len = len;
	if (!i->recs_tail)
		i->recs_tail = &i->recs;
	*i->recs_tail = r;
	i->recs_tail = &r->next;
	return r;
}

int aring__sim_disk_note_write(struct sim *s, struct sim_inode *i, uint64_t off, uint64_t len)
{
	struct sim_rec *r;
	uint64_t done = 0;

	(void)s;
	bad_heal(i, off, len);
	r = rec_add(i, REC_WRITE, off, len, len);
	if (!r)
		return -ENOMEM;
	r->size_op = SZ_GROW;
	r->size_val = off + len;
	while (done < len) {
		uint64_t pg = (off + done) / SIM_PAGE, po = (off + done) % SIM_PAGE;
		uint64_t c = SIM_PAGE - po < len - done ? SIM_PAGE - po : len - done;

		if (pg < i->npages_cap && i->pages[pg])
			memcpy(r->data + done, i->pages[pg] + po, c);
		else
			memset(r->data + done, 0, c);
		done += c;
	}
	return 0;
}

int aring__sim_disk_note_zero(struct sim *s, struct sim_inode *i, uint64_t off, uint64_t len)
{
	(void)s;
	return rec_add(i, REC_ZERO, off, len, 0) ? 0 : -ENOMEM;
}

int aring__sim_disk_note_size(struct sim *s, struct sim_inode *i, uint64_t size)
{
	struct sim_rec *r = rec_add(i, REC_SIZE, 0, 0, 0);

	(void)s;
	if (!r)
		return -ENOMEM;
	r->size_op = SZ_EXACT;
	r->size_val = size;
	return 0;
}

/* ---------------------------------------------------------------- namespace */

static struct sim_dent **dent_find(struct sim_inode *dir, const char *name)
{
	struct sim_dent **pp;

	for (pp = &dir->dents; *pp; pp = &(*pp)->next)
		if (!strcmp((*pp)->name, name))
			return pp;
	return pp;
}

/* Make name in dir durably name inode (NULL: no entry). */
static void dent_set(struct sim *s, struct sim_inode *dir, const char *name, struct sim_inode *inode)
{
	struct sim_dent **pp = dent_find(dir, name), *d = *pp;

	if (d && inode) {
		dref_get(inode);
		dref_put(s, d->inode);
		d->inode = inode;
	} else if (d) {
		*pp = d->next;
		dref_put(s, d->inode);
		free(d);
	} else if (inode) {
		size_t n = strlen(name) + 1;

		d = malloc(sizeof(*d) + n);
		if (!d)
			abort();
		memcpy(d->name, name, n);
		d->inode = inode;
		dref_get(inode);
		d->next = NULL;
		*pp = d;
	}
}

static bool nsop_applies(const struct sim_nsop *op)
{
	unsigned k;

	for (k = 0; k < op->n; k++) {
		const struct sim_nsact *a = &op->act[k];
		struct sim_dent *d;

		if (!a->expect)
			continue;
		d = *dent_find(a->dir, a->name);
		if (!d || d->inode != a->expect)
			return false;
	}
	return true;
}

static void nsop_apply(struct sim *s, struct sim_nsop *op)
{
	unsigned k;

	if (!nsop_applies(op))
		return;
	for (k = 0; k < op->n; k++)
		dent_set(s, op->act[k].dir, op->act[k].name, op->act[k].inode);
}

static void nsop_free(struct sim *s, struct sim_nsop *op)
{
	unsigned k;

	for (k = 0; k < op->n; k++) {
		dref_put(s, op->act[k].dir);
		dref_put(s, op->act[k].inode);
		dref_put(s, op->act[k].expect);
		free(op->act[k].name);
	}
	free(op);
}

int aring__sim_disk_note_ns(struct sim *s, struct sim_inode *dir, const char *name,
			    struct sim_inode *inode, struct sim_inode *expect,
			    struct sim_inode *dir2, const char *name2, struct sim_inode *inode2,
			    struct sim_inode *expect2)
{
	struct sim_nsop *op = calloc(1, sizeof(*op));
	unsigned k;

	if (!op)
		return -ENOMEM;
	op->act[0] = (struct sim_nsact){ dir, inode, expect, strdup(name) };
	op->n = 1;
	if (dir2) {
		op->act[1] = (struct sim_nsact){ dir2, inode2, expect2, strdup(name2) };
		op->n = 2;
	}
	for (k = 0; k < op->n; k++) {
		if (!op->act[k].name)
			abort();
		dref_get(op->act[k].dir);
		dref_get(op->act[k].inode);
		dref_get(op->act[k].expect);
	}
	if (!s->nsops_tail)
		s->nsops_tail = &s->nsops;
	*s->nsops_tail = op;
	s->nsops_tail = &op->next;
	return 0;
}

static bool nsop_touches(const struct sim_nsop *op, const struct sim_inode *dir)
{
	unsigned k;

	for (k = 0; k < op->n; k++)
		if (op->act[k].dir == dir)
			return true;
	return false;
}

/* fsync of a directory: commit the namespace log up to its last change of dir. */
static void dir_sync(struct sim *s, struct sim_inode *dir)
{
	struct sim_nsop *op, *last = NULL;

	for (op = s->nsops; op; op = op->next)
		if (nsop_touches(op, dir))
			last = op;
	if (!last)
		return;
	for (;;) {
		op = s->nsops;
		s->nsops = op->next;
		nsop_apply(s, op);
		nsop_free(s, op);
		if (op == last)
			break;
	}
	if (!s->nsops)
		s->nsops_tail = &s->nsops;
}

/* ---------------------------------------------------------------- syncs */

int aring__sim_disk_fsync(struct sim *s, struct sim_inode *i)
{
	struct sim_rec *r;

	if (i->type == SIM_I_DIR) {
		dir_sync(s, i);
		return 0;
	}
	if (i->type != SIM_I_REG)
		return 0;
	if (!i->fsync_failed &&
	    aring__sim_disk_fault(s, SIM_DISK_FSYNC_EIO, s->opts.disk_fsync_error_ppm,
				  IORING_OP_FSYNC)) {
		/* Linux: the dirty pages were dropped (mapping_set_error); reported once. */
		i->fsync_failed = true;
		recs_free(i);
		dtrim(i, i->dsize);
		live_from_durable(s, i);
		return -EIO;
	}
	i->fsync_failed = false;
	for (r = i->recs; r; r = r->next)
		rec_apply(i, r);
	recs_free(i);
	return 0;
}

int aring__sim_disk_sync_range(struct sim *s, struct sim_inode *i, uint64_t off, uint64_t len)
{
	uint64_t end = len ? off + len : UINT64_MAX;
	struct sim_rec **pp, *r;

	(void)s;
	if (i->type != SIM_I_REG)
		return 0;
	if (end < off)
		end = UINT64_MAX;
	/* Each data change meeting the range: its part inside becomes durable
	 * (data only), the parts outside (and its size change) stay unsynced,
	 * in its place in the order. */
	for (pp = &i->recs; (r = *pp);) {
		uint64_t a, b, rend = r->off + r->len;
		struct sim_rec *left = NULL, *right = NULL, *sz = NULL, **tail;

		if (r->kind == REC_SIZE || r->len == 0 || rend <= off || r->off >= end) {
			pp = &r->next;
			continue;
		}
		a = r->off > off ? r->off : off;
		b = rend < end ? rend : end;
		if (r->kind == REC_WRITE)
			dput(i, a, r->data + (a - r->off), b - a);
		else
			dput(i, a, NULL, b - a);
		/* The rest: [r->off, a) and [b, rend), then the size change. */
		if (a > r->off) {
			left = malloc(sizeof(*left) + (r->kind == REC_WRITE ? a - r->off : 0));
			if (!left)
				abort();
			*left = *r;
			left->len = a - r->off;
			left->size_op = SZ_NONE;
			if (r->kind == REC_WRITE)
				memcpy(left->data, r->data, a - r->off);
		}
		if (b < rend) {
			right = malloc(sizeof(*right) + (r->kind == REC_WRITE ? rend - b : 0));
			if (!right)
				abort();
			*right = *r;
			right->off = b;
			right->len = rend - b;
			if (r->kind == REC_WRITE)
				memcpy(right->data, r->data + (b - r->off), rend - b);
		} else if (r->size_op != SZ_NONE) {
			sz = malloc(sizeof(*sz));
			if (!sz)
				abort();
			*sz = *r;
			sz->kind = REC_SIZE;
			sz->off = sz->len = 0;
		}
		/* Splice left, right / sz in r's place. */
		tail = pp;
		if (left) {
			*tail = left;
			tail = &left->next;
		}
		if (right) {
			*tail = right;
			tail = &right->next;
		}
		if (sz) {
			*tail = sz;
			tail = &sz->next;
		}
		*tail = r->next;
		if (i->recs_tail == &r->next)
			i->recs_tail = tail;
		free(r);
		pp = tail;
	}
	return 0;
}

/* ---------------------------------------------------------------- crash */

void aring__sim_disk_durable_from_live(struct sim *s)
{
	struct sim_inode *i;
	struct sim_list *l;
	bool batch = s->disk_batch;

	s->disk_batch = true; /* nothing is freed while the list is walked */
	for (l = s->inodes.next; l != &s->inodes; l = l->next) {
		i = sim_container_of(l, struct sim_inode, all);
		while (i->dents) {
			struct sim_dent *d = i->dents;

			i->dents = d->next;
			dref_put(s, d->inode);
			free(d);
		}
	}
	for (l = s->inodes.next; l != &s->inodes; l = l->next) {
		i = sim_container_of(l, struct sim_inode, all);
		if (i->type == SIM_I_DIR) {
			struct sim_list *e;

			for (e = i->ents.next; e != &i->ents; e = e->next) {
				struct sim_dirent *de = sim_container_of(e, struct sim_dirent, in_dir);

				dent_set(s, i, de->name, de->inode);
			}
		}
	}
	s->disk_batch = batch;
}

void aring__sim_disk_init(struct sim *s)
{
	s->nsops = NULL;
	s->nsops_tail = &s->nsops;
	aring__sim_prng_seed(&s->rng_disk, s->seed, SIM_STREAM_DISK);
	aring__sim_disk_durable_from_live(s); /* the tree fs.c made is durable */
}

void aring__sim_disk_destroy(struct sim *s)
{
	while (s->nsops) {
		struct sim_nsop *op = s->nsops;

		s->nsops = op->next;
		nsop_free(s, op);
	}
	s->nsops_tail = &s->nsops;
}

/* A crash outcome that loses something: a fault decision ("ino 12 @4096+40", "undo kv.log"). */
static bool crash_fault(struct sim *s, unsigned kind, const struct sim_inode *i,
			const struct sim_rec *r, const char *name)
{
	char what[ARING_SIM_WHAT_MAX];

	if (name)
		snprintf(what, sizeof(what), "undo %s", name);
	else if (r->kind == REC_WRITE)
		snprintf(what, sizeof(what), "ino %llu @%llu+%llu", (unsigned long long)i->ino,
			 (unsigned long long)r->off, (unsigned long long)r->len);
	else
		snprintf(what, sizeof(what), "ino %llu %s", (unsigned long long)i->ino,
			 r->kind == REC_ZERO ? "zero" : "size");
	return aring__sim_fault_record_what(s, kind, ARING_SIM_FAULT_NO_OP, (int64_t)i->ino, what);
}

void aring__sim_disk_crash(struct sim *s)
{
	struct sim_list *l;
	uint64_t kept = 0, lost = 0, torn = 0;

	s->disk_batch = true; /* fs.c's rebuild frees what is left unreachable */
	/*
	 * Namespace changes, in order: each kept or undone. Kept is the
	 * no-fault outcome; an undo is a fault decision (suppressed: kept).
	 */
	while (s->nsops) {
		struct sim_nsop *op = s->nsops;

		s->nsops = op->next;
		if ((aring__sim_prng_next(&s->rng_disk) & 1) ||
		    !crash_fault(s, ARING_SIM_FAULT_CRASH_UNDONE, op->act[0].dir, NULL,
				 op->act[0].name))
			nsop_apply(s, op);
		nsop_free(s, op);
	}
	s->nsops_tail = &s->nsops;
	/*
	 * File data: the durable image plus each change lost, kept or torn.
	 * Kept (as if it had been flushed) is the no-fault outcome; a loss or
	 * a tear is a fault decision, and one the run suppresses is kept (a
	 * tear draws its sectors all the same).
	 */
	for (l = s->inodes.next; l != &s->inodes; l = l->next) {
		struct sim_inode *i = sim_container_of(l, struct sim_inode, all);
		struct sim_rec *r;

		if (i->type != SIM_I_REG)
			continue;
		for (r = i->recs; r; r = r->next) {
			uint64_t c = aring__sim_prng_range(&s->rng_disk, 0, 2);

			if (c == 0 && crash_fault(s, ARING_SIM_FAULT_CRASH_LOST, i, r, NULL)) {
				lost++;
			} else if (c == 0 || c == 1 || r->kind != REC_WRITE) {
				rec_apply(i, r);
				kept++;
			} else if (crash_fault(s, ARING_SIM_FAULT_CRASH_TORN, i, r, NULL)) {
				rec_tear(s, i, r, true);
				torn++;
			} else {
				rec_tear(s, i, r, false);
				rec_apply(i, r);
				kept++;
			}
		}
		recs_free(i);
		i->fsync_failed = false;
		dtrim(i, i->dsize); /* what sync_file_range wrote past a size that was lost */
		live_from_durable(s, i);
	}
	aring__sim_trace_note(s, "crash_disk", kept, lost * 65536 + torn);
	aring__sim_fs_rebuild(s);
	s->disk_batch = false;
}
