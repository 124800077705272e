/* SPDX-License-Identifier: MIT */
/*
 * The file system: a ustar archive (POSIX.1-2001 pax, "ustar Interchange Format") on
 * the paravirtual disk. Read whole at boot; every write rewrites the archive, so the
 * host file is a valid tar whenever the VM stops.
 */
#include <mini-kvm/hypercall.h>

#include "abi.h"
#include "tty.h"
#include "fs.h"
#include "memlayout.h"
#include "page.h"
#include "str.h"

#define FS_FILES      16
#define SECTOR	      HC_BLK_SECTOR_SIZE
#define FILE_SECTORS  (FILE_DATA_MAX / SECTOR)
#define END_SECTORS   2 /* an archive ends with two zero blocks */
#define OCTAL	      8
#define MODE_FILE     0644
#define TYPE_FILE     '0'
#define TYPE_FILE_OLD '\0' /* pre-POSIX tar */
#define CHKSUM_DIGITS 6	   /* then a NUL and a space, as GNU tar writes it */

/* The header block (512 bytes). */
struct ustar {
	char name[100], mode[8], uid[8], gid[8], size[12], mtime[12], chksum[8];
	char typeflag, linkname[100], magic[6], version[2], uname[32], gname[32];
	char devmajor[8], devminor[8], prefix[155], pad[12];
};
_Static_assert(sizeof(struct ustar) == SECTOR, "a ustar header is one block");

struct file {
	int used;
	char name[FILE_NAME_MAX];
	uint64_t size, mtime;
	uint8_t data[FILE_DATA_MAX] __attribute__((aligned(SECTOR)));
};

static struct file files[FS_FILES];
static struct ustar header;
static uint32_t disk_sectors; /* 0: no disk */
static int disk_read_only;    /* entries we could not load: rewriting would lose them */

static uint64_t octal_parse(const char *field, size_t len)
{
	uint64_t v = 0;

	for (size_t i = 0; i < len && field[i] >= '0' && field[i] <= '7'; i++)
		v = v * OCTAL + (uint64_t)(field[i] - '0');
	return v;
}

/* len - 1 octal digits, zero-padded, then a NUL. */
static void octal_put(char *field, size_t len, uint64_t v)
{
	field[len - 1] = '\0';
	for (size_t i = len - 1; i > 0; i--, v /= OCTAL)
		field[i - 1] = (char)('0' + v % OCTAL);
}

/* The sum of the header's bytes with the checksum field counted as spaces. */
static uint64_t header_sum(const struct ustar *h)
{
	const uint8_t *b = (const uint8_t *)h;
	uint64_t sum = 0;

	for (size_t i = 0; i < sizeof(*h); i++)
		sum += (i >= offsetof(struct ustar, chksum) &&
			i < offsetof(struct ustar, chksum) + sizeof(h->chksum))
			       ? ' '
			       : b[i];
	return sum;
}

static int zero_block(const struct ustar *h)
{
	const uint8_t *b = (const uint8_t *)h;

	for (size_t i = 0; i < sizeof(*h); i++)
		if (b[i])
			return 0;
	return 1;
}

static struct file *file_find(const char *name)
{
	for (int i = 0; i < FS_FILES; i++)
		if (files[i].used && !strcmp(files[i].name, name))
			return &files[i];
	return 0;
}

static struct file *file_free_slot(void)
{
	for (int i = 0; i < FS_FILES; i++)
		if (!files[i].used)
			return &files[i];
	return 0;
}

static uint32_t sectors_of(uint64_t bytes)
{
	return (uint32_t)((bytes + SECTOR - 1) / SECTOR);
}

/* Load the entry whose header is in `header` and whose data starts at sector; 0 if kept. */
static int load_entry(uint32_t sector, uint64_t size)
{
	struct file *f;

	if (header.typeflag != TYPE_FILE && header.typeflag != TYPE_FILE_OLD)
		return -1;
	if (header.prefix[0] || header.name[sizeof(header.name) - 1] || size > FILE_DATA_MAX)
		return -1;
	f = file_free_slot();
	if (!f || (size && hc_blk_read(sector, (uint32_t)virt_to_phys(f->data), sectors_of(size))))
		return -1;
	str_copy(f->name, header.name, sizeof(f->name));
	f->size = size;
	f->mtime = octal_parse(header.mtime, sizeof(header.mtime));
	f->used = 1;
	return 0;
}

void fs_init(void)
{
	int32_t sectors = hc_blk_info();
	uint32_t sector = 0;
	int count = 0;

	if (sectors < 0) {
		kprintf("fs: no disk (error %d): files live in memory only\n", sectors);
		return;
	}
	disk_sectors = (uint32_t)sectors;
	while (sector < disk_sectors) {
		uint64_t size;

		if (hc_blk_read(sector, (uint32_t)virt_to_phys(&header), 1)) {
			kprintf("fs: cannot read sector %u\n", sector);
			disk_read_only = 1;
			break;
		}
		if (zero_block(&header))
			break;
		if (octal_parse(header.chksum, sizeof(header.chksum)) != header_sum(&header)) {
			kprintf("fs: bad tar header checksum at sector %u: ignoring the rest\n",
				sector);
			disk_read_only = 1;
			break;
		}
		size = octal_parse(header.size, sizeof(header.size));
		if (load_entry(sector + 1, size)) {
			header.name[sizeof(header.name) - 1] = '\0';
			kprintf("fs: %s: not a regular file of at most %u bytes: not loaded\n",
				header.name, FILE_DATA_MAX);
			disk_read_only = 1;
		} else {
			count++;
		}
		sector += 1 + sectors_of(size);
	}
	kprintf("fs: %d files from a tar disk of %u sectors%s\n", count, disk_sectors,
		disk_read_only ? " (read-only: it holds entries this OS cannot keep)" : "");
}

int64_t fs_read(const char *name, void *buf, uint64_t len)
{
	const struct file *f = file_find(name);

	if (!f)
		return OS_ENOENT;
	if (len > f->size)
		len = f->size;
	page_copy(buf, f->data, len);
	return (int64_t)len;
}

static void header_build(const struct file *f)
{
	uint8_t *b = (uint8_t *)&header;

	for (size_t i = 0; i < sizeof(header); i++)
		b[i] = 0;
	str_copy(header.name, f->name, sizeof(header.name));
	octal_put(header.mode, sizeof(header.mode), MODE_FILE);
	octal_put(header.uid, sizeof(header.uid), 0);
	octal_put(header.gid, sizeof(header.gid), 0);
	octal_put(header.size, sizeof(header.size), f->size);
	octal_put(header.mtime, sizeof(header.mtime), f->mtime);
	header.typeflag = TYPE_FILE;
	page_copy(header.magic, "ustar", sizeof(header.magic)); /* with its NUL */
	header.version[0] = header.version[1] = '0';
	str_copy(header.uname, "root", sizeof(header.uname));
	str_copy(header.gname, "root", sizeof(header.gname));
	octal_put(header.chksum, CHKSUM_DIGITS + 1, header_sum(&header));
	header.chksum[CHKSUM_DIGITS + 1] = ' ';
}

/* Write every file, then the two zero blocks, from sector 0. */
static int64_t fs_flush(void)
{
	uint32_t sector = 0, need = END_SECTORS;

	for (int i = 0; i < FS_FILES; i++)
		if (files[i].used)
			need += 1 + sectors_of(files[i].size);
	if (need > disk_sectors)
		return OS_ENOSPC;
	for (int i = 0; i < FS_FILES; i++) {
		const struct file *f = &files[i];

		if (!f->used)
			continue;
		header_build(f);
		if (hc_blk_write(sector, (uint32_t)virt_to_phys(&header), 1))
			return OS_EIO;
		if (f->size &&
		    hc_blk_write(sector + 1, (uint32_t)virt_to_phys(f->data), sectors_of(f->size)))
			return OS_EIO;
		sector += 1 + sectors_of(f->size);
	}
	for (size_t i = 0; i < sizeof(header); i++)
		((uint8_t *)&header)[i] = 0;
	for (int i = 0; i < END_SECTORS; i++)
		if (hc_blk_write(sector + i, (uint32_t)virt_to_phys(&header), 1))
			return OS_EIO;
	return 0;
}

int64_t fs_write(const char *name, const void *data, uint64_t len)
{
	struct file *f = file_find(name);

	if (!name[0])
		return OS_EINVAL;
	if (len > FILE_DATA_MAX)
		return OS_EFBIG;
	if (disk_read_only)
		return OS_EROFS;
	if (!f && !(f = file_free_slot()))
		return OS_ENOSPC;
	str_copy(f->name, name, sizeof(f->name));
	page_copy(f->data, data, len);
	/* The archive pads data to whole blocks with zeroes. */
	for (uint64_t i = len; i < (uint64_t)sectors_of(len) * SECTOR; i++)
		f->data[i] = 0;
	f->size = len;
	f->used = 1;
	return disk_sectors ? fs_flush() : 0;
}

size_t fs_list(char *buf, size_t cap)
{
	size_t len = 0;

	for (int i = 0; i < FS_FILES; i++)
		if (files[i].used)
			len += str_printf(buf + len, cap - len, "%s %llu\n", files[i].name,
					  (unsigned long long)files[i].size);
	return len;
}
