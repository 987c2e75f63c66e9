/* SPDX-License-Identifier: MIT */
/*
 * Registered resources of the soft ring: the fixed file table and the
 * registered buffer table, as the kernel's io_uring/rsrc.c and
 * io_uring/filetable.c keep them (Linux 6.18), each rule citing the kernel
 * function that decides it; and the two ops that work on them only,
 * IORING_OP_FILES_UPDATE and IORING_OP_FIXED_FD_INSTALL (openclose.c).
 *
 * The table holds the executor's file references (struct
 * aring__soft_exec file_ref/file_unref: the sim's struct sim_file, the
 * epoll executor's dup of the fd), opaque here. A request issued with
 * IOSQE_FIXED_FILE gets its slot's file in req->fixed (ring.c issue(),
 * kernel io_assign_file() -> io_file_get_fixed()) and the executor takes
 * its own reference, so emptying the slot while it runs leaves it running
 * on the file, as the kernel's rsrc node reference does.
 *
 * Registered buffers are kept as the user's (address, length): the soft
 * ring copies to and from user memory directly, so nothing is pinned. What
 * the kernel checks when it pins (io_pin_pages()) is checked as far as user
 * space can: the address range (aring__soft_user_ok()), not whether every
 * page is mapped. RLIMIT_MEMLOCK is not accounted (the kernel does not
 * either for a CAP_IPC_LOCK caller).
 */
#include "config.h"
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "backends/soft/ring.h"

#define MAX_FIXED_FILES (1u << 20) /* kernel rsrc.c IORING_MAX_FIXED_FILES */
#define MAX_REG_BUFFERS (1u << 14) /* kernel rsrc.c IORING_MAX_REG_BUFFERS */
#define MAX_BUF_BYTES (1ull << 30) /* kernel io_buffer_validate(): SZ_1G */
#define NO_CLOEXEC 1u              /* IORING_FIXED_FD_NO_CLOEXEC (Linux 6.8) */

/* ---------------------------------------------------------------- the file table */

/* kernel filetable.h io_file_bitmap_set(): the next allocation looks after it */
static void bitmap_set(struct soft_rsrc *t, unsigned i)
{
	t->bitmap[i / 64] |= 1ull << (i % 64);
	t->alloc_hint = i + 1;
}

/* kernel filetable.h io_file_bitmap_clear(): the next allocation looks from it */
static void bitmap_clear(struct soft_rsrc *t, unsigned i)
{
	t->bitmap[i / 64] &= ~(1ull << (i % 64));
	t->alloc_hint = i;
}

/* find_next_zero_bit(): the first clear bit in [from, nr), else nr. */
static unsigned next_zero(const uint64_t *b, unsigned nr, unsigned from)
{
	unsigned i = from;

	while (i < nr) {
		uint64_t w = ~b[i / 64] >> (i % 64);

		if (w)
			return i + (unsigned)__builtin_ctzll(w) < nr ? i + (unsigned)__builtin_ctzll(w) : nr;
		i = (i / 64 + 1) * 64;
	}
	return nr;
}

/*
 * kernel filetable.c io_file_bitmap_get(): a hint outside the allocation
 * range restarts at its start (the fix to "let to set a range for file
 * slot allocation" that Linux 6.18 carries); from the hint to the end of
 * the range, then from its start to the hint.
 */
static int bitmap_get(struct soft_rsrc *t)
{
	unsigned nr = t->alloc_end, ret;

	if (!t->bitmap)
		return -ENFILE;
	if (t->alloc_hint < t->alloc_start || t->alloc_hint >= t->alloc_end)
		t->alloc_hint = t->alloc_start;
	for (;;) {
		ret = next_zero(t->bitmap, nr, t->alloc_hint);
		if (ret != nr)
			return (int)ret;
		if (t->alloc_hint == t->alloc_start)
			break;
		nr = t->alloc_hint;
		t->alloc_hint = t->alloc_start;
	}
	return -ENFILE;
}

/* kernel filetable.h io_file_table_set_alloc_range() */
static void set_alloc_range(struct soft_rsrc *t, unsigned off, unsigned len)
{
	t->alloc_start = off;
	t->alloc_end = off + len;
	t->alloc_hint = off;
}

/* kernel rsrc.c io_reset_rsrc_node(): drop a slot's file; true if there was one. */
static bool reset_slot(struct aring__soft *s, unsigned i)
{
	void *f = s->rsrc.files[i];

	if (!f)
		return false;
	s->rsrc.files[i] = NULL;
	s->exec->file_unref(s->ex, f);
	return true;
}

/* kernel rsrc.c io_sqe_files_unregister() / filetable.c io_free_file_tables() */
static int files_unregister(struct aring__soft *s)
{
	struct soft_rsrc *t = &s->rsrc;
	unsigned i;

	if (!t->nr_files)
		return -ENXIO;
	for (i = t->nr_files; i-- > 0;)
		reset_slot(s, i);
	free(t->files);
	free(t->bitmap);
	t->files = NULL;
	t->bitmap = NULL;
	t->nr_files = 0;
	set_alloc_range(t, 0, 0);
	return 0;
}

/*
 * kernel rsrc.c io_sqe_files_register(): fds NULL (IORING_RSRC_REGISTER_SPARSE)
 * or -1 entries leave slots empty; a bad fd undoes the whole registration.
 */
static int files_register(struct aring__soft *s, const int *fds, unsigned nr)
{
	struct soft_rsrc *t = &s->rsrc;
	unsigned i;
	int ret;

	if (t->nr_files)
		return -EBUSY;
	if (!nr)
		return -EINVAL;
	if (nr > MAX_FIXED_FILES)
		return -EMFILE;
	if (fds && !aring__soft_user_ok((uint64_t)(uintptr_t)fds, (uint64_t)nr * sizeof(*fds)))
		return -EFAULT;
	t->files = calloc(nr, sizeof(*t->files));
	t->bitmap = calloc((nr + 63) / 64, sizeof(*t->bitmap));
	if (!t->files || !t->bitmap) {
		free(t->files);
		free(t->bitmap);
		t->files = NULL;
		t->bitmap = NULL;
		return -ENOMEM;
	}
	t->nr_files = nr;
	for (i = 0; fds && i < nr; i++) {
		void *f;

		if (fds[i] == -1)
			continue; /* allow sparse sets */
		ret = s->exec->file_ref(s->ex, fds[i], &f);
		if (ret < 0) {
			files_unregister(s);
			return ret;
		}
		t->files[i] = f;
		bitmap_set(t, i);
	}
	set_alloc_range(t, 0, nr); /* default it to the whole table */
	return 0;
}

/*
 * kernel rsrc.c __io_sqe_files_update(): slot by slot; -1 empties a slot,
 * IORING_REGISTER_FILES_SKIP leaves it. Returns how many were done, or the
 * error when the first failed.
 */
static int files_update(struct aring__soft *s, unsigned off, const int32_t *fds, unsigned nr)
{
	struct soft_rsrc *t = &s->rsrc;
	unsigned done;
	int err = 0;

	if (!t->nr_files)
		return -ENXIO;
	if ((uint64_t)off + nr > t->nr_files)
		return -EINVAL;
	for (done = 0; done < nr; done++) {
		unsigned i = off + done;
		int32_t fd;
		void *f;

		if (!aring__soft_user_ok((uint64_t)(uintptr_t)&fds[done], sizeof(fd))) {
			err = -EFAULT;
			break;
		}
		fd = fds[done];
		if (fd == IORING_REGISTER_FILES_SKIP)
			continue;
		if (reset_slot(s, i))
			bitmap_clear(t, i);
		if (fd != -1) {
			err = s->exec->file_ref(s->ex, fd, &f);
			if (err < 0)
				break;
			t->files[i] = f;
			bitmap_set(t, i);
		}
	}
	return done ? (int)done : err;
}

/* kernel filetable.c io_register_file_alloc_range() */
static int file_alloc_range(struct aring__soft *s, const struct io_uring_file_index_range *arg)
{
	struct io_uring_file_index_range r;

	if (!aring__soft_user_ok((uint64_t)(uintptr_t)arg, sizeof(r)))
		return -EFAULT;
	memcpy(&r, arg, sizeof(r));
	if ((uint64_t)r.off + r.len > UINT32_MAX)
		return -EOVERFLOW;
	if (r.resv || r.off + r.len > s->rsrc.nr_files)
		return -EINVAL;
	set_alloc_range(&s->rsrc, r.off, r.len);
	return 0;
}

void *aring__soft_fixed_file(struct aring__soft *s, unsigned slot)
{
	return slot < s->rsrc.nr_files ? s->rsrc.files[slot] : NULL;
}

/* kernel filetable.c io_install_fixed_file(): a file in a slot replaces the one there. */
static int install_file(struct aring__soft *s, void *file, unsigned slot)
{
	struct soft_rsrc *t = &s->rsrc;

	if (!t->nr_files)
		return -ENXIO;
	if (slot >= t->nr_files)
		return -EINVAL;
	if (!reset_slot(s, slot))
		bitmap_set(t, slot); /* a replaced file's bit stays set, and the hint where it was */
	t->files[slot] = file;
	return 0;
}

/* kernel filetable.c __io_fixed_fd_install() and io_fixed_fd_install() */
int aring__soft_fixed_install(struct aring__soft *s, void *file, unsigned file_index)
{
	bool alloc = file_index == IORING_FILE_INDEX_ALLOC;
	int ret;
	unsigned slot = file_index - 1;

	if (alloc) {
		ret = bitmap_get(&s->rsrc);
		if (ret < 0)
			goto fail;
		slot = (unsigned)ret;
	}
	ret = install_file(s, file, slot);
	if (ret < 0)
		goto fail;
	return alloc ? (int)slot : 0;
fail:
	s->exec->file_unref(s->ex, file); /* the kernel fput()s it */
	return ret;
}

int aring__soft_fixed_check(struct aring__soft *s, unsigned file_index)
{
	struct soft_rsrc *t = &s->rsrc;

	if (file_index == IORING_FILE_INDEX_ALLOC)
		return bitmap_get(t);
	if (!t->nr_files)
		return -ENXIO;
	return file_index - 1 < t->nr_files ? 0 : -EINVAL;
}

/*
 * kernel pipe.c io_pipe_fixed(): the read end to slot file_index - 1 (or a
 * free one), the write end to the next (or another free one); when the
 * second fails the first is taken out again. No O_CLOEXEC. slots[] gets the
 * two slots. Takes over both references.
 */
int aring__soft_fixed_install_pair(struct aring__soft *s, void *rd, void *wr, unsigned file_index,
				   bool cloexec, int slots[2])
{
	bool alloc = file_index == IORING_FILE_INDEX_ALLOC;
	int ret;

	if (cloexec) {
		s->exec->file_unref(s->ex, rd);
		s->exec->file_unref(s->ex, wr);
		return -EINVAL;
	}
	ret = aring__soft_fixed_install(s, rd, file_index);
	if (ret < 0) {
		s->exec->file_unref(s->ex, wr);
		return ret;
	}
	slots[0] = alloc ? ret : (int)file_index - 1;
	ret = aring__soft_fixed_install(s, wr, alloc ? file_index : file_index + 1);
	if (ret < 0) {
		aring__soft_fixed_remove(s, (unsigned)slots[0]);
		return ret;
	}
	slots[1] = alloc ? ret : (int)file_index;
	return 0;
}

/* kernel filetable.c io_fixed_fd_remove() */
int aring__soft_fixed_remove(struct aring__soft *s, unsigned slot)
{
	struct soft_rsrc *t = &s->rsrc;

	if (!t->nr_files)
		return -ENXIO;
	if (slot >= t->nr_files)
		return -EINVAL;
	if (!t->files[slot])
		return -EBADF;
	reset_slot(s, slot);
	bitmap_clear(t, slot);
	return 0;
}

/* ---------------------------------------------------------------- buffers */

/* kernel rsrc.c io_sqe_buffers_unregister() */
static int buffers_unregister(struct aring__soft *s)
{
	if (!s->rsrc.nr_bufs)
		return -ENXIO;
	free(s->rsrc.bufs);
	s->rsrc.bufs = NULL;
	s->rsrc.nr_bufs = 0;
	return 0;
}

/*
 * kernel rsrc.c io_buffer_validate(), then io_sqe_buffer_register()'s
 * io_pin_pages() as far as user space can tell (-EFAULT for a range no
 * user memory can be at).
 */
static int buffer_validate(const struct iovec *iov)
{
	uint64_t base = (uint64_t)(uintptr_t)iov->iov_base, len = iov->iov_len;

	if (!base)
		return len ? -EFAULT : 0; /* NULL, 0: an empty slot */
	if (!len)
		return -EFAULT;
	if (len > MAX_BUF_BYTES)
		return -EFAULT;
	if (base + len + 4095 < base)
		return -EOVERFLOW;
	if (!aring__soft_user_ok(base, len))
		return -EFAULT; /* io_pin_pages() */
	return 0;
}

/* kernel rsrc.c io_sqe_buffers_register(): iov NULL (IORING_RSRC_REGISTER_SPARSE): all empty. */
static int buffers_register(struct aring__soft *s, const struct iovec *iov, unsigned nr)
{
	struct iovec *b;
	unsigned i;
	int ret;

	if (s->rsrc.nr_bufs)
		return -EBUSY;
	if (!nr || nr > MAX_REG_BUFFERS)
		return -EINVAL;
	b = calloc(nr, sizeof(*b));
	if (!b)
		return -ENOMEM;
	for (i = 0; iov && i < nr; i++) {
		if (!aring__soft_user_ok((uint64_t)(uintptr_t)&iov[i], sizeof(*iov))) {
			free(b);
			return -EFAULT; /* iovec_from_user() */
		}
		ret = buffer_validate(&iov[i]);
		if (ret < 0) {
			free(b);
			return ret;
		}
		b[i] = iov[i];
	}
	s->rsrc.bufs = b;
	s->rsrc.nr_bufs = nr;
	return 0;
}

/* kernel rsrc.c io_import_reg_buf(): io_find_buf_node(), then io_import_fixed(). */
int aring__soft_fixed_buf(struct aring__soft *s, unsigned buf_index, uint64_t addr, uint64_t len)
{
	const struct iovec *b;
	uint64_t base;

	if (buf_index >= s->rsrc.nr_bufs || !s->rsrc.bufs[buf_index].iov_base)
		return -EFAULT; /* io_rsrc_node_lookup(): no node */
	b = &s->rsrc.bufs[buf_index];
	base = (uint64_t)(uintptr_t)b->iov_base;
	if (addr + len < addr)
		return -EFAULT;
	/* not inside the mapped region */
	if (addr < base || addr + len > base + b->iov_len)
		return -EFAULT;
	return 0;
}

/* ---------------------------------------------------------------- io_uring_register(2) */

/* kernel rsrc.c io_register_rsrc(): IORING_REGISTER_FILES2 / BUFFERS2. */
static int register_rsrc2(struct aring__soft *s, const struct io_uring_rsrc_register *arg,
			  unsigned size, bool files)
{
	struct io_uring_rsrc_register rr;

	if (size != sizeof(rr))
		return -EINVAL;
	if (!aring__soft_user_ok((uint64_t)(uintptr_t)arg, sizeof(rr)))
		return -EFAULT;
	memcpy(&rr, arg, sizeof(rr));
	if (!rr.nr || rr.resv2)
		return -EINVAL;
	if (rr.flags & ~IORING_RSRC_REGISTER_SPARSE)
		return -EINVAL;
	if ((rr.flags & IORING_RSRC_REGISTER_SPARSE) && rr.data)
		return -EINVAL;
	if (rr.tags)
		return -EINVAL; /* resource tags are not modelled */
	if (files)
		return files_register(s, (const int *)(uintptr_t)rr.data, rr.nr);
	return buffers_register(s, (const struct iovec *)(uintptr_t)rr.data, rr.nr);
}

/* kernel rsrc.c io_register_files_update() */
static int register_files_update(struct aring__soft *s, const struct io_uring_rsrc_update *arg,
				 unsigned nr)
{
	struct io_uring_rsrc_update up;

	if (!nr)
		return -EINVAL;
	if (!aring__soft_user_ok((uint64_t)(uintptr_t)arg, sizeof(up)))
		return -EFAULT;
	memcpy(&up, arg, sizeof(up));
	if (up.resv)
		return -EINVAL;
	/* __io_register_rsrc_update(): check_add_overflow() of a u32 */
	if ((uint64_t)up.offset + nr > UINT32_MAX)
		return -EOVERFLOW;
	return files_update(s, up.offset, (const int32_t *)(uintptr_t)up.data, nr);
}

/* kernel register.c __io_uring_register(): the opcodes of files and buffers. */
int aring__soft_rsrc_register(struct aring__soft *s, unsigned opcode, void *arg, unsigned nr)
{
	bool files = opcode == IORING_REGISTER_FILES || opcode == IORING_UNREGISTER_FILES ||
		     opcode == IORING_REGISTER_FILES2 || opcode == IORING_REGISTER_FILES_UPDATE ||
		     opcode == IORING_REGISTER_FILE_ALLOC_RANGE;

	if (files && !s->exec->file_ref)
		return -EOPNOTSUPP;
	switch (opcode) {
	case IORING_REGISTER_FILES:
		if (!arg)
			return -EFAULT;
		return files_register(s, arg, nr);
	case IORING_UNREGISTER_FILES:
		if (arg || nr)
			return -EINVAL;
		return files_unregister(s);
	case IORING_REGISTER_FILES2:
		return register_rsrc2(s, arg, nr, true);
	case IORING_REGISTER_FILES_UPDATE:
		return register_files_update(s, arg, nr);
	case IORING_REGISTER_FILE_ALLOC_RANGE:
		if (!arg || nr)
			return -EINVAL;
		return file_alloc_range(s, arg);
	case IORING_REGISTER_BUFFERS:
		if (!arg)
			return -EFAULT;
		return buffers_register(s, arg, nr);
	case IORING_UNREGISTER_BUFFERS:
		if (arg || nr)
			return -EINVAL;
		return buffers_unregister(s);
	case IORING_REGISTER_BUFFERS2:
		return register_rsrc2(s, arg, nr, false);
	default:
		return -EINVAL;
	}
}

void aring__soft_rsrc_free(struct aring__soft *s)
{
	if (s->rsrc.nr_files)
		files_unregister(s);
	if (s->rsrc.nr_bufs)
		buffers_unregister(s);
}

/* ---------------------------------------------------------------- ops */

/*
 * kernel rsrc.c io_files_update_with_index_alloc(): each fd goes to a free
 * slot, whose index is written back over it; a slot whose index cannot be
 * written back is closed again.
 */
static int files_update_alloc(struct aring__soft *s, int32_t *fds, unsigned nr)
{
	unsigned done;
	int ret = 0;

	if (!s->rsrc.nr_files)
		return -ENXIO;
	for (done = 0; done < nr; done++) {
		void *f;

		if (!aring__soft_user_ok((uint64_t)(uintptr_t)&fds[done], sizeof(*fds))) {
			ret = -EFAULT;
			break;
		}
		ret = s->exec->file_ref(s->ex, fds[done], &f);
		if (ret < 0)
			break;
		ret = aring__soft_fixed_install(s, f, IORING_FILE_INDEX_ALLOC);
		if (ret < 0)
			break;
		fds[done] = ret;
	}
	return done ? (int)done : ret;
}

/* kernel rsrc.c io_files_update() (its prep, io_files_update_prep(), is core/opdef.c's) */
void aring__soft_files_update_issue(struct aring__soft *s, struct aring__soft_req *r)
{
	/* up->offset is a u32 copy of sqe->off */
	uint32_t off = (uint32_t)r->sqe.off;
	int32_t *fds = (int32_t *)(uintptr_t)r->sqe.addr;
	int ret;

	if (!s->exec->file_ref)
		ret = -EOPNOTSUPP;
	else if (off == IORING_FILE_INDEX_ALLOC)
		ret = files_update_alloc(s, fds, r->sqe.len);
	else if ((uint64_t)off + r->sqe.len > UINT32_MAX)
		ret = -EOVERFLOW;
	else
		ret = files_update(s, off, fds, r->sqe.len);
	if (ret < 0)
		aring__soft_set_fail(r);
	aring__soft_done(s, r, ret);
}

/*
 * kernel openclose.c io_install_fixed_fd(): a new fd for the slot's file,
 * O_CLOEXEC unless IORING_FIXED_FD_NO_CLOEXEC (the prep,
 * io_install_fixed_fd_prep(), is core/opdef.c's; io_assign_file() finds the
 * file: -EBADF for an empty slot).
 */
void aring__soft_fixed_fd_install_issue(struct aring__soft *s, struct aring__soft_req *r)
{
	void *f = aring__soft_fixed_file(s, (unsigned)r->sqe.fd);
	int ret;

	if (!s->exec->file_install)
		ret = -EOPNOTSUPP;
	else if (!f)
		ret = -EBADF;
	else
		ret = s->exec->file_install(s->ex, f, !((unsigned)r->sqe.rw_flags & NO_CLOEXEC));
	if (ret < 0)
		aring__soft_set_fail(r);
	aring__soft_done(s, r, ret);
}
