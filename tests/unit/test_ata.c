/* SPDX-License-Identifier: MIT */
/* Unit tests of the ATA channel (src/devices/ata.c): commands, error bits, hostile hosts. */
#include "unit.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>

#include "devices/ata.h"
#include "error.h"

#define SECTOR	     ATA_SECTOR_SIZE
#define WORDS	     (SECTOR / 2)
#define DISK_SECTORS 320 /* more than 256: a count of 0 fits */
#define IDLE	     (ATA_SR_DRDY | ATA_SR_DSC)
#define DRQ	     (IDLE | ATA_SR_DRQ)
#define FAILED	     (IDLE | ATA_SR_ERR)
#define DEV_LBA	     0xe0 /* obsolete bits 7 and 5, as classic drivers write them, and LBA */
#define DEV_CHS	     0xa0
#define DEV_SLAVE    (DEV_LBA | ATA_DEV_DEV)

struct fixture {
	struct ata_channel ch;
	struct ata_disk disk[ATA_DRIVES];
	char path[ATA_DRIVES][UNIT_TEMP_PATH_MAX];
	int level;	      /* INTRQ as last reported */
	unsigned int changes; /* calls to the irq hook */
	bool restoring;	      /* ata_restore() reports the level even when unchanged */
};

/* Byte i of sector s of disk d: distinct per sector and per disk. */
static uint8_t pattern(unsigned int d, uint32_t s, unsigned int i)
{
	return (uint8_t)(s * 37u + i * 11u + d * 101u + (i >> 8) + 1);
}

static void fake_irq(void *opaque, int level)
{
	struct fixture *f = opaque;

	assert_true(level == 0 || level == 1);
	if (!f->restoring)
		assert_int_not_equal(level, f->level); /* only changes are reported */
	f->level = level;
	f->changes++;
}

static void make_disk(struct fixture *f, unsigned int d, bool read_only)
{
	static uint8_t data[DISK_SECTORS * SECTOR];

	for (uint32_t s = 0; s < DISK_SECTORS; s++)
		for (unsigned int i = 0; i < SECTOR; i++)
			data[s * SECTOR + i] = pattern(d, s, i);
	unit_temp_file(data, sizeof(data), f->path[d]);
	assert_int_equal(ata_disk_open(&f->disk[d], f->path[d], read_only), 0);
	assert_int_equal(f->disk[d].sectors, DISK_SECTORS);
}

static int setup_channel(void **state, unsigned int ndisks, bool read_only)
{
	struct fixture *f = calloc(1, sizeof(*f));
	const struct ata_ops ops = { .irq = fake_irq, .opaque = f };

	if (!f)
		return -1;
	for (unsigned int d = 0; d < ATA_DRIVES; d++)
		f->disk[d].fd = -1;
	ata_init(&f->ch, 0, &ops);
	for (unsigned int d = 0; d < ndisks; d++) {
		make_disk(f, d, read_only);
		if (ata_attach(&f->ch, d, &f->disk[d]))
			return -1;
	}
	*state = f;
	return 0;
}

static int setup(void **state)
{
	return setup_channel(state, 1, false);
}

static int setup_two(void **state)
{
	return setup_channel(state, 2, false);
}

static int setup_ro(void **state)
{
	return setup_channel(state, 1, true);
}

static int setup_empty(void **state)
{
	return setup_channel(state, 0, false);
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	ata_destroy(&f->ch);
	for (unsigned int d = 0; d < ATA_DRIVES; d++) {
		if (f->disk[d].fd >= 0)
			assert_int_equal(ata_disk_close(&f->disk[d]), 0);
		if (f->path[d][0])
			unlink(f->path[d]);
	}
	free(f);
	return 0;
}

/* --- register access helpers ---------------------------------------------- */

static uint8_t inb(struct fixture *f, unsigned int reg)
{
	uint8_t v = 0;

	assert_int_equal(ata_cmd_read(&f->ch, reg, &v, 1), 0);
	return v;
}

static void outb(struct fixture *f, unsigned int reg, uint8_t v)
{
	assert_int_equal(ata_cmd_write(&f->ch, reg, &v, 1), 0);
}

static uint8_t alt_status(struct fixture *f)
{
	uint8_t v = 0;

	assert_int_equal(ata_ctrl_read(&f->ch, 0, &v, 1), 0);
	return v;
}

static void devctl(struct fixture *f, uint8_t v)
{
	assert_int_equal(ata_ctrl_write(&f->ch, 0, &v, 1), 0);
}

static uint16_t inw(struct fixture *f)
{
	uint16_t v = 0;

	assert_int_equal(ata_cmd_read(&f->ch, ATA_REG_DATA, &v, 2), 0);
	return v;
}

static void outw(struct fixture *f, uint16_t v)
{
	assert_int_equal(ata_cmd_write(&f->ch, ATA_REG_DATA, &v, 2), 0);
}

static void read_words(struct fixture *f, uint8_t *buf, unsigned int words)
{
	for (unsigned int i = 0; i < words; i++) {
		uint16_t w = inw(f);

		buf[2 * i] = (uint8_t)w;
		buf[2 * i + 1] = (uint8_t)(w >> 8);
	}
}

static void write_words(struct fixture *f, const uint8_t *buf, unsigned int words)
{
	for (unsigned int i = 0; i < words; i++)
		outw(f, buf[2 * i] | (uint16_t)(buf[2 * i + 1] << 8));
}

/* Load the task file with an LBA28 address and count on device dev, then the command. */
static void issue(struct fixture *f, uint8_t device, uint8_t command, uint32_t lba, uint8_t count)
{
	outb(f, ATA_REG_NSECT, count);
	outb(f, ATA_REG_LBAL, (uint8_t)lba);
	outb(f, ATA_REG_LBAM, (uint8_t)(lba >> 8));
	outb(f, ATA_REG_LBAH, (uint8_t)(lba >> 16));
	outb(f, ATA_REG_DEVICE, (uint8_t)(device | ((lba >> 24) & ATA_DEV_HEAD_MASK)));
	outb(f, ATA_REG_COMMAND, command);
}

static void command(struct fixture *f, uint8_t command, uint32_t lba, uint8_t count)
{
	issue(f, DEV_LBA, command, lba, count);
}

static uint32_t task_file_lba(struct fixture *f)
{
	return inb(f, ATA_REG_LBAL) | (uint32_t)inb(f, ATA_REG_LBAM) << 8 |
	       (uint32_t)inb(f, ATA_REG_LBAH) << 16 |
	       (uint32_t)(inb(f, ATA_REG_DEVICE) & ATA_DEV_HEAD_MASK) << 24;
}

/* A command that failed: ERR, the error register, an interrupt (acknowledged here). */
static void expect_error(struct fixture *f, uint8_t error)
{
	assert_int_equal(f->level, 1);
	assert_int_equal(inb(f, ATA_REG_ERROR), error);
	assert_int_equal(inb(f, ATA_REG_STATUS), FAILED);
	assert_int_equal(f->level, 0);
}

static void expect_ok(struct fixture *f)
{
	assert_int_equal(f->level, 1);
	assert_int_equal(inb(f, ATA_REG_STATUS), IDLE);
	assert_int_equal(inb(f, ATA_REG_ERROR), 0);
	assert_int_equal(f->level, 0);
}

static void expect_sector(const uint8_t *buf, unsigned int d, uint32_t s)
{
	for (unsigned int i = 0; i < SECTOR; i++)
		if (buf[i] != pattern(d, s, i))
			fail_msg("disk %u sector %u byte %u: 0x%02x, expected 0x%02x", d, s, i,
				 buf[i], pattern(d, s, i));
}

/* The file's bytes, through a descriptor of its own. */
static void file_sector(struct fixture *f, unsigned int d, uint32_t s, uint8_t *buf)
{
	int fd = open(f->path[d], O_RDONLY);

	assert_true(fd >= 0);
	assert_int_equal(pread(fd, buf, SECTOR, (off_t)s * SECTOR), SECTOR);
	close(fd);
}

static void expect_file_untouched(struct fixture *f, unsigned int d, uint32_t s)
{
	uint8_t buf[SECTOR];

	file_sector(f, d, s, buf);
	expect_sector(buf, d, s);
}

/* --- the disk backend ----------------------------------------------------- */

static void test_disk_open_refuses_bad_files(void **state)
{
	static uint8_t data[2 * SECTOR + 1];
	char path[UNIT_TEMP_PATH_MAX], fifo[UNIT_TEMP_PATH_MAX + 8];
	struct ata_disk disk;
	int fd;

	(void)state;
	assert_int_equal(ata_disk_open(&disk, "/nonexistent/disk.img", false), -ENOENT);
	assert_contains(error_message(), "/nonexistent/disk.img");
	assert_int_equal(disk.fd, -1);
	assert_int_equal(ata_disk_open(&disk, "/tmp", false), -EISDIR); /* open(2) refuses */
	assert_int_equal(ata_disk_open(&disk, "/tmp", true), -EINVAL);	/* fstat refuses */
	assert_contains(error_message(), "not a regular file");

	/* Not whole sectors: refused rather than rounded down. */
	unit_temp_file(data, sizeof(data), path);
	assert_int_equal(ata_disk_open(&disk, path, false), -EINVAL);
	assert_contains(error_message(), "1025 bytes");
	/* Empty. */
	assert_int_equal(truncate(path, 0), 0);
	assert_int_equal(ata_disk_open(&disk, path, false), -EINVAL);
	/* Beyond LBA28 (a sparse file). */
	if (truncate(path, ((off_t)ATA_LBA28_MAX_SECTORS + 1) * SECTOR) == 0) {
		assert_int_equal(ata_disk_open(&disk, path, false), -EFBIG);
		assert_int_equal(truncate(path, (off_t)ATA_LBA28_MAX_SECTORS * SECTOR), 0);
		assert_int_equal(ata_disk_open(&disk, path, true), 0);
		assert_int_equal(disk.sectors, ATA_LBA28_MAX_SECTORS);
		assert_int_equal(ata_disk_close(&disk), 0);
	}
	/* A FIFO: refused without hanging in open(). */
	snprintf(fifo, sizeof(fifo), "%s.fifo", path);
	assert_int_equal(mkfifo(fifo, 0600), 0);
	assert_int_equal(ata_disk_open(&disk, fifo, true), -EINVAL);
	unlink(fifo);
	/* Read-only access to a file this process may only read. */
	assert_int_equal(truncate(path, SECTOR), 0);
	assert_int_equal(chmod(path, 0400), 0);
	if (geteuid() != 0) {
		assert_int_equal(ata_disk_open(&disk, path, false), -EACCES);
	}
	assert_int_equal(ata_disk_open(&disk, path, true), 0);
	assert_true(disk.read_only);
	fd = disk.fd;
	assert_true(fcntl(fd, F_GETFD) & FD_CLOEXEC);
	assert_int_equal(fcntl(fd, F_GETFL) & O_NONBLOCK, 0);
	assert_int_equal(ata_disk_close(&disk), 0);
	assert_int_equal(disk.fd, -1);
	assert_int_equal(ata_disk_close(&disk), 0); /* closing twice is harmless */
	unlink(path);
}

static void test_disk_locks(void **state)
{
	static uint8_t data[4 * SECTOR];
	char path[UNIT_TEMP_PATH_MAX];
	struct ata_disk rw, other, ro1, ro2;
	int fd;

	(void)state;
	unit_temp_file(data, sizeof(data), path);
	assert_int_equal(ata_disk_open(&rw, path, false), 0);
	/* flock conflicts between open files, even in one process. */
	assert_int_equal(ata_disk_open(&other, path, false), -EBUSY);
	assert_contains(error_message(), "in use");
	assert_int_equal(ata_disk_open(&ro1, path, true), -EBUSY);
	/* --disk (blk.c) takes the same exclusive lock. */
	fd = open(path, O_RDWR);
	assert_int_equal(flock(fd, LOCK_EX | LOCK_NB), -1);
	assert_int_equal(errno, EWOULDBLOCK);
	close(fd);
	assert_int_equal(ata_disk_close(&rw), 0);

	/* Readers share; a writer waits for them all. */
	assert_int_equal(ata_disk_open(&ro1, path, true), 0);
	assert_int_equal(ata_disk_open(&ro2, path, true), 0);
	assert_int_equal(ata_disk_open(&rw, path, false), -EBUSY);
	assert_int_equal(ata_disk_close(&ro1), 0);
	assert_int_equal(ata_disk_close(&ro2), 0);
	assert_int_equal(ata_disk_open(&rw, path, false), 0);
	assert_int_equal(ata_disk_close(&rw), 0);
	unlink(path);
}

static void test_attach_errors(void **state)
{
	struct fixture *f = *state;
	struct ata_channel ch;
	struct ata_disk closed = { .fd = -1 };

	ata_init(&ch, 1, NULL);
	assert_int_equal(ata_attach(&ch, 2, &f->disk[0]), -EINVAL);
	assert_int_equal(ata_attach(&ch, 0, &closed), -EINVAL);
	assert_int_equal(ata_attach(&ch, 0, NULL), -EINVAL);
	assert_int_equal(ata_attach(&ch, 1, &f->disk[0]), -EINVAL); /* a slave needs a master */
	assert_contains(error_message(), "master");
	assert_int_equal(ata_attach(&ch, 0, &f->disk[0]), 0);
	assert_int_equal(ata_attach(&ch, 0, &f->disk[0]), -EINVAL); /* taken */
	ata_destroy(&ch);
	/* The fixture's channel already has its master. */
	assert_int_equal(ata_attach(&f->ch, 0, &f->disk[0]), -EINVAL);
}

/* --- registers after reset and IDENTIFY ----------------------------------- */

/* The signature a reset or diagnostic leaves (ATA/ATAPI-6 9.12), device register aside. */
static void expect_signature_regs(struct fixture *f)
{
	assert_int_equal(inb(f, ATA_REG_NSECT), 1);
	assert_int_equal(inb(f, ATA_REG_LBAL), 1);
	assert_int_equal(inb(f, ATA_REG_LBAM), 0);
	assert_int_equal(inb(f, ATA_REG_LBAH), 0);
	assert_int_equal(inb(f, ATA_REG_ERROR), ATA_DIAG_PASSED);
}

static void expect_signature(struct fixture *f)
{
	expect_signature_regs(f);
	assert_int_equal(inb(f, ATA_REG_DEVICE), 0);
}

static void test_power_on_state(void **state)
{
	struct fixture *f = *state;

	expect_signature(f);
	assert_int_equal(inb(f, ATA_REG_STATUS), IDLE);
	assert_int_equal(alt_status(f), IDLE);
	assert_int_equal(f->changes, 0);
	/* Registers other than command read back what was written. */
	outb(f, ATA_REG_NSECT, 0x12);
	outb(f, ATA_REG_LBAL, 0x34);
	outb(f, ATA_REG_LBAM, 0x56);
	outb(f, ATA_REG_LBAH, 0x78);
	outb(f, ATA_REG_DEVICE, 0xe9);
	assert_int_equal(inb(f, ATA_REG_NSECT), 0x12);
	assert_int_equal(inb(f, ATA_REG_LBAL), 0x34);
	assert_int_equal(inb(f, ATA_REG_LBAM), 0x56);
	assert_int_equal(inb(f, ATA_REG_LBAH), 0x78);
	assert_int_equal(inb(f, ATA_REG_DEVICE), 0xe9);
	/* Features is write-only: its port reads the error register. */
	outb(f, ATA_REG_FEATURES, 0x77);
	assert_int_equal(inb(f, ATA_REG_ERROR), ATA_DIAG_PASSED);
}

static uint16_t id_word(const uint8_t *id, unsigned int w)
{
	return unit_rd16(id + 2 * w);
}

/* An ATA string out of IDENTIFY data: the first character of a word is its high byte. */
static void id_string(const uint8_t *id, unsigned int word, unsigned int words, char *out)
{
	for (unsigned int i = 0; i < words; i++) {
		out[2 * i] = (char)(id_word(id, word + i) >> 8);
		out[2 * i + 1] = (char)id_word(id, word + i);
	}
	out[2 * words] = '\0';
}

static void identify(struct fixture *f, uint8_t device, uint8_t *id)
{
	outb(f, ATA_REG_DEVICE, device);
	outb(f, ATA_REG_COMMAND, ATA_CMD_IDENTIFY);
	assert_int_equal(f->level, 1);
	assert_int_equal(alt_status(f), DRQ);
	assert_int_equal(f->level, 1); /* alternate status leaves the interrupt pending */
	assert_int_equal(inb(f, ATA_REG_STATUS), DRQ);
	assert_int_equal(f->level, 0);
	read_words(f, id, WORDS);
	/* PIO data-in ends without an interrupt. */
	assert_int_equal(f->level, 0);
	assert_int_equal(inb(f, ATA_REG_STATUS), IDLE);
}

static void test_identify(void **state)
{
	struct fixture *f = *state;
	uint8_t id[SECTOR];
	char text[41];

	identify(f, DEV_LBA, id);
	assert_int_equal(id_word(id, 0), 0x0040); /* ATA device, fixed */
	/* Default translation of 320 sectors: smaller than one 16 x 63 cylinder. */
	assert_int_equal(id_word(id, 1), 5);
	assert_int_equal(id_word(id, 3), 1);
	assert_int_equal(id_word(id, 6), 63);
	id_string(id, 10, 10, text);
	assert_string_equal(text, "MKVM-ATA-0          ");
	id_string(id, 23, 4, text);
	assert_string_equal(text, "1.0     ");
	id_string(id, 27, 20, text);
	assert_string_equal(text, "mini-kvm ATA disk                       ");
	assert_int_equal(id[2 * 27], 'i'); /* byte-swapped: "mi" is 0x6d69 */
	assert_int_equal(id[2 * 27 + 1], 'm');
	assert_int_equal(id_word(id, 47), 0x8000 | ATA_MAX_MULTIPLE);
	assert_int_equal(id_word(id, 49) & 0x0300, 0x0200); /* LBA, no DMA */
	assert_int_equal(id_word(id, 50), 0x4000);
	assert_int_equal(id_word(id, 53), 0x0007);
	assert_int_equal(id_word(id, 54), 5); /* current translation = default */
	assert_int_equal(id_word(id, 55), 1);
	assert_int_equal(id_word(id, 56), 63);
	assert_int_equal(id_word(id, 57) | (uint32_t)id_word(id, 58) << 16, 5 * 63);
	assert_int_equal(id_word(id, 59), 0); /* multiple mode off */
	assert_int_equal(id_word(id, 60) | (uint32_t)id_word(id, 61) << 16, DISK_SECTORS);
	assert_int_equal(id_word(id, 63), 0); /* no multiword DMA */
	assert_int_equal(id_word(id, 64), 0x0003);
	assert_int_equal(id_word(id, 80), 0x007e);
	assert_int_equal(id_word(id, 82), 0x0068); /* look-ahead, write cache, PM */
	assert_int_equal(id_word(id, 83), 0x5000); /* FLUSH CACHE; no 48-bit */
	assert_int_equal(id_word(id, 84), 0x4000);
	assert_int_equal(id_word(id, 85), 0x0068); /* all three enabled */
	assert_int_equal(id_word(id, 86), 0x1000);
	assert_int_equal(id_word(id, 87), 0x4000);
	assert_int_equal(id_word(id, 88), 0); /* no Ultra DMA */
	assert_int_equal(id_word(id, 100), 0);
	assert_int_equal(id[510], 0xa5);
	assert_int_equal(unit_sum8(id, SECTOR), 0);
	/* The task file is not an address after IDENTIFY: left alone. */
	assert_int_equal(inb(f, ATA_REG_DEVICE), DEV_LBA);
}

static void test_identify_secondary_and_slave(void **state)
{
	struct fixture *f = *state;
	struct ata_channel ch;
	uint8_t id[SECTOR];
	char text[21];

	identify(f, DEV_SLAVE, id);
	id_string(id, 10, 10, text);
	assert_string_equal(text, "MKVM-ATA-1          ");
	identify(f, DEV_LBA, id);
	id_string(id, 10, 10, text);
	assert_string_equal(text, "MKVM-ATA-0          ");

	/* The secondary channel's master is the third disk. */
	ata_init(&ch, 1, NULL);
	assert_int_equal(ata_attach(&ch, 0, &f->disk[0]), 0);
	{
		uint8_t v = ATA_CMD_IDENTIFY;

		assert_int_equal(ata_cmd_write(&ch, ATA_REG_COMMAND, &v, 1), 0);
		for (unsigned int i = 0; i < WORDS; i++)
			assert_int_equal(ata_cmd_read(&ch, ATA_REG_DATA, id + 2 * i, 2), 0);
	}
	id_string(id, 10, 10, text);
	assert_string_equal(text, "MKVM-ATA-2          ");
	ata_destroy(&ch);
}

/* --- reads and writes ----------------------------------------------------- */

static void test_read_sectors(void **state)
{
	struct fixture *f = *state;
	uint8_t buf[SECTOR];

	command(f, ATA_CMD_READ_SECTORS, 5, 3);
	for (uint32_t s = 5; s < 8; s++) {
		/* One interrupt and one DRQ block per sector (ATA/ATAPI-6 9.5). */
		assert_int_equal(f->level, 1);
		assert_int_equal(inb(f, ATA_REG_STATUS), DRQ);
		assert_int_equal(f->level, 0);
		read_words(f, buf, WORDS);
		expect_sector(buf, 0, s);
	}
	assert_int_equal(f->level, 0);
	assert_int_equal(inb(f, ATA_REG_STATUS), IDLE);
	assert_int_equal(inb(f, ATA_REG_ERROR), 0);
	/* The task file: the last sector read, nothing left. */
	assert_int_equal(task_file_lba(f), 7);
	assert_int_equal(inb(f, ATA_REG_NSECT), 0);
	/* Reading on: nothing moves any more. */
	assert_int_equal(inw(f), 0xffff);
	assert_int_equal(alt_status(f), IDLE);
}

static void test_read_no_retry_and_count_256(void **state)
{
	struct fixture *f = *state;
	uint8_t buf[SECTOR];

	command(f, ATA_CMD_READ_SECTORS_NORETRY, 300, 2);
	for (uint32_t s = 300; s < 302; s++) {
		read_words(f, buf, WORDS);
		expect_sector(buf, 0, s);
	}
	/* Sector count 0 means 256. */
	command(f, ATA_CMD_READ_SECTORS, 10, 0);
	for (uint32_t s = 10; s < 266; s++) {
		assert_int_equal(inb(f, ATA_REG_STATUS), DRQ);
		read_words(f, buf, WORDS);
		expect_sector(buf, 0, s);
	}
	assert_int_equal(inb(f, ATA_REG_STATUS), IDLE);
	assert_int_equal(task_file_lba(f), 265);
}

static void test_read_lba_bits_27_24(void **state)
{
	struct fixture *f = *state;

	/* The device register's low nibble is LBA bits 27:24: 0x1000000 + 5 is off the disk. */
	command(f, ATA_CMD_READ_SECTORS, 0x1000005, 1);
	expect_error(f, ATA_ER_IDNF);
	assert_int_equal(task_file_lba(f), 0x1000005);
}

static void test_write_sectors(void **state)
{
	struct fixture *f = *state;
	uint8_t out[2][SECTOR], back[SECTOR];

	for (unsigned int i = 0; i < SECTOR; i++) {
		out[0][i] = (uint8_t)(i ^ 0x5a);
		out[1][i] = (uint8_t)(i ^ 0xa5);
	}
	command(f, ATA_CMD_WRITE_SECTORS, 40, 2);
	/* PIO data-out: DRQ at once, no interrupt for the first block (9.6). */
	assert_int_equal(f->level, 0);
	assert_int_equal(alt_status(f), DRQ);
	write_words(f, out[0], WORDS);
	/* The block is in the file before the next is asked for, with an interrupt. */
	file_sector(f, 0, 40, back);
	assert_memory_equal(back, out[0], SECTOR);
	assert_int_equal(f->level, 1);
	assert_int_equal(inb(f, ATA_REG_STATUS), DRQ);
	write_words(f, out[1], WORDS);
	/* The end of the command interrupts too. */
	assert_int_equal(f->level, 1);
	assert_int_equal(inb(f, ATA_REG_STATUS), IDLE);
	assert_int_equal(task_file_lba(f), 41);
	assert_int_equal(inb(f, ATA_REG_NSECT), 0);
	file_sector(f, 0, 41, back);
	assert_memory_equal(back, out[1], SECTOR);
	expect_file_untouched(f, 0, 39);
	expect_file_untouched(f, 0, 42);

	/* And a read gives it back; 0x31 writes as 0x30 does. */
	command(f, ATA_CMD_WRITE_SECTORS_NORETRY, 42, 1);
	write_words(f, out[0], WORDS);
	command(f, ATA_CMD_READ_SECTORS, 41, 2);
	read_words(f, back, WORDS);
	assert_memory_equal(back, out[1], SECTOR);
	read_words(f, back, WORDS);
	assert_memory_equal(back, out[0], SECTOR);
}

static void test_multiple(void **state)
{
	struct fixture *f = *state;
	static uint8_t out[6 * SECTOR], back[6 * SECTOR];
	uint8_t id[SECTOR];

	/* Not enabled: READ/WRITE MULTIPLE abort. */
	command(f, ATA_CMD_READ_MULTIPLE, 0, 1);
	expect_error(f, ATA_ER_ABRT);
	command(f, ATA_CMD_WRITE_MULTIPLE, 0, 1);
	expect_error(f, ATA_ER_ABRT);
	/* Block sizes: powers of two up to word 47's 16. */
	command(f, ATA_CMD_SET_MULTIPLE, 0, 3);
	expect_error(f, ATA_ER_ABRT);
	command(f, ATA_CMD_SET_MULTIPLE, 0, 32);
	expect_error(f, ATA_ER_ABRT);
	command(f, ATA_CMD_SET_MULTIPLE, 0, 4);
	expect_ok(f);
	identify(f, DEV_LBA, id);
	assert_int_equal(id_word(id, 59), 0x0104);
	/* A refused size keeps the setting. */
	command(f, ATA_CMD_SET_MULTIPLE, 0, 5);
	expect_error(f, ATA_ER_ABRT);
	identify(f, DEV_LBA, id);
	assert_int_equal(id_word(id, 59), 0x0104);

	for (unsigned int i = 0; i < sizeof(out); i++)
		out[i] = (uint8_t)(i * 7 + 3);
	/* Six sectors: a block of 4, then one of 2, an interrupt after each. */
	command(f, ATA_CMD_WRITE_MULTIPLE, 100, 6);
	assert_int_equal(f->level, 0);
	write_words(f, out, 4 * WORDS - 1);
	assert_int_equal(alt_status(f), DRQ); /* one word short of the block */
	write_words(f, out + 4 * SECTOR - 2, 1);
	assert_int_equal(f->level, 1);
	assert_int_equal(inb(f, ATA_REG_STATUS), DRQ);
	assert_int_equal(inb(f, ATA_REG_NSECT), 2); /* progress: two sectors left */
	write_words(f, out + 4 * SECTOR, 2 * WORDS);
	assert_int_equal(f->level, 1);
	assert_int_equal(inb(f, ATA_REG_STATUS), IDLE);

	command(f, ATA_CMD_READ_MULTIPLE, 100, 6);
	assert_int_equal(inb(f, ATA_REG_STATUS), DRQ);
	read_words(f, back, 4 * WORDS);
	assert_int_equal(f->level, 1); /* the second block */
	assert_int_equal(inb(f, ATA_REG_STATUS), DRQ);
	read_words(f, back + 4 * SECTOR, 2 * WORDS);
	assert_int_equal(f->level, 0);
	assert_int_equal(inb(f, ATA_REG_STATUS), IDLE);
	assert_memory_equal(back, out, sizeof(out));

	/* 0 disables multiple mode again. */
	command(f, ATA_CMD_SET_MULTIPLE, 0, 0);
	expect_ok(f);
	command(f, ATA_CMD_READ_MULTIPLE, 0, 1);
	expect_error(f, ATA_ER_ABRT);
}

static void test_flush_and_power_commands(void **state)
{
	struct fixture *f = *state;
	static const uint8_t ok[] = { ATA_CMD_FLUSH_CACHE,    ATA_CMD_STANDBY_IMMEDIATE,
				      ATA_CMD_IDLE_IMMEDIATE, ATA_CMD_STANDBY,
				      ATA_CMD_IDLE,	      ATA_CMD_SLEEP,
				      ATA_CMD_RECALIBRATE,    ATA_CMD_RECALIBRATE | 0xf,
				      ATA_CMD_SEEK,	      ATA_CMD_SEEK | 0xf };

	for (size_t i = 0; i < ARRAY_SIZE(ok); i++) {
		command(f, ok[i], 0, 1);
		expect_ok(f);
	}
	command(f, ATA_CMD_CHECK_POWER_MODE, 0, 0);
	expect_ok(f);
	assert_int_equal(inb(f, ATA_REG_NSECT), 0xff); /* active or idle */
}

/* Commands this drive does not implement: ERR, ABRT, an interrupt, nothing else. */
static const uint8_t aborted_commands[] = {
	0x00, /* NOP: always aborted */
	0x08, /* DEVICE RESET: PACKET devices only */
	0x24, /* READ SECTOR(S) EXT: no 48-bit addressing */
	0x34, /* WRITE SECTOR(S) EXT */
	0x40, /* READ VERIFY SECTOR(S) */
	0xa0, /* PACKET */
	0xa1, /* IDENTIFY PACKET DEVICE: this is an ATA device */
	0xc8, /* READ DMA: PIO only */
	0xca, /* WRITE DMA */
	0xea, /* FLUSH CACHE EXT */
	0xf8, /* READ NATIVE MAX ADDRESS */
	0xff,
};

static void test_unsupported_commands_abort(void **state)
{
	struct fixture *f = *state;

	for (size_t i = 0; i < ARRAY_SIZE(aborted_commands); i++) {
		command(f, aborted_commands[i], 9, 1);
		assert_int_equal(f->level, 1);
		if (inb(f, ATA_REG_ERROR) != ATA_ER_ABRT)
			fail_msg("command 0x%02x not aborted", aborted_commands[i]);
		assert_int_equal(inb(f, ATA_REG_STATUS), FAILED);
		assert_int_equal(inw(f), 0xffff); /* no data phase */
		/* The next command clears the error. */
		command(f, ATA_CMD_FLUSH_CACHE, 0, 1);
		expect_ok(f);
	}
}

static void test_execute_diagnostic(void **state)
{
	struct fixture *f = *state;

	issue(f, DEV_SLAVE, ATA_CMD_EXECUTE_DIAGNOSTIC, 0x123456, 9);
	/* Executed by both devices; device 0 selected and interrupting (8.11). */
	assert_int_equal(f->level, 1);
	expect_signature(f);
	assert_int_equal(inb(f, ATA_REG_STATUS), IDLE);
	assert_int_equal(f->level, 0);
	outb(f, ATA_REG_DEVICE, DEV_SLAVE);
	assert_int_equal(inb(f, ATA_REG_STATUS), 0); /* device 1 absent */
}

static void test_chs(void **state)
{
	struct fixture *f = *state;
	uint8_t buf[SECTOR], id[SECTOR];

	/* Default translation 5/1/63: C0 H0 S1 is sector 0, C1 H0 S2 is sector 64. */
	outb(f, ATA_REG_NSECT, 1);
	outb(f, ATA_REG_LBAL, 2);
	outb(f, ATA_REG_LBAM, 1);
	outb(f, ATA_REG_LBAH, 0);
	outb(f, ATA_REG_DEVICE, DEV_CHS);
	outb(f, ATA_REG_COMMAND, ATA_CMD_READ_SECTORS);
	read_words(f, buf, WORDS);
	expect_sector(buf, 0, 64);

	/* INITIALIZE DEVICE PARAMETERS: 8 sectors a track, 4 heads -> 10 cylinders. */
	outb(f, ATA_REG_NSECT, 8);
	outb(f, ATA_REG_DEVICE, DEV_CHS | 3);
	outb(f, ATA_REG_COMMAND, ATA_CMD_INITIALIZE_PARAMETERS);
	expect_ok(f);
	identify(f, DEV_CHS, id);
	assert_int_equal(id_word(id, 54), 10);
	assert_int_equal(id_word(id, 55), 4);
	assert_int_equal(id_word(id, 56), 8);
	assert_int_equal(id_word(id, 57), 320);
	assert_int_equal(id_word(id, 1), 5); /* the default translation stays */

	/* C2 H1 S8, two sectors: (2 * 4 + 1) * 8 + 7 = 79, then 80 = C2 H2 S1. */
	outb(f, ATA_REG_NSECT, 2);
	outb(f, ATA_REG_LBAL, 8);
	outb(f, ATA_REG_LBAM, 2);
	outb(f, ATA_REG_LBAH, 0);
	outb(f, ATA_REG_DEVICE, DEV_CHS | 1);
	outb(f, ATA_REG_COMMAND, ATA_CMD_READ_SECTORS);
	read_words(f, buf, WORDS);
	expect_sector(buf, 0, 79);
	read_words(f, buf, WORDS);
	expect_sector(buf, 0, 80);
	/* Progress is reported in CHS. */
	assert_int_equal(inb(f, ATA_REG_LBAL), 1);
	assert_int_equal(inb(f, ATA_REG_LBAM), 2);
	assert_int_equal(inb(f, ATA_REG_DEVICE), DEV_CHS | 2);

	/* Addresses outside the translation: IDNF, and nothing moves. */
	static const struct {
		uint8_t sector, cyl_lo, head;
	} bad[] = { { 0, 0, 0 }, { 9, 0, 0 }, { 1, 10, 0 }, { 1, 0, 4 } };
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		outb(f, ATA_REG_NSECT, 1);
		outb(f, ATA_REG_LBAL, bad[i].sector);
		outb(f, ATA_REG_LBAM, bad[i].cyl_lo);
		outb(f, ATA_REG_DEVICE, DEV_CHS | bad[i].head);
		outb(f, ATA_REG_COMMAND, ATA_CMD_READ_SECTORS);
		expect_error(f, ATA_ER_IDNF);
	}
	/* 0 sectors a track is no translation: aborted, the old one kept. */
	outb(f, ATA_REG_NSECT, 0);
	outb(f, ATA_REG_COMMAND, ATA_CMD_INITIALIZE_PARAMETERS);
	expect_error(f, ATA_ER_ABRT);
	identify(f, DEV_CHS, id);
	assert_int_equal(id_word(id, 56), 8);
	/* A translation larger than the disk leaves no cylinder: CHS gets IDNF. */
	outb(f, ATA_REG_NSECT, 255);
	outb(f, ATA_REG_DEVICE, DEV_CHS | 15);
	outb(f, ATA_REG_COMMAND, ATA_CMD_INITIALIZE_PARAMETERS);
	expect_ok(f);
	outb(f, ATA_REG_NSECT, 1);
	outb(f, ATA_REG_LBAL, 1);
	outb(f, ATA_REG_LBAM, 0);
	outb(f, ATA_REG_DEVICE, DEV_CHS);
	outb(f, ATA_REG_COMMAND, ATA_CMD_READ_SECTORS);
	expect_error(f, ATA_ER_IDNF);
	/* LBA is unaffected by the translation. */
	command(f, ATA_CMD_READ_SECTORS, 0, 1);
	read_words(f, buf, WORDS);
	expect_sector(buf, 0, 0);
}

static void set_feature(struct fixture *f, uint8_t feature, uint8_t count)
{
	outb(f, ATA_REG_FEATURES, feature);
	command(f, ATA_CMD_SET_FEATURES, 0, count);
}

static void test_set_features(void **state)
{
	struct fixture *f = *state;
	uint8_t id[SECTOR];
	static const uint8_t modes_ok[] = { 0x00, 0x01, 0x08, 0x0b, 0x0c };
	static const uint8_t modes_bad[] = { 0x02, 0x0d, 0x10, 0x22, 0x45, 0xff };

	set_feature(f, ATA_FEAT_WRITE_CACHE_OFF, 0);
	expect_ok(f);
	set_feature(f, ATA_FEAT_LOOK_AHEAD_OFF, 0);
	expect_ok(f);
	identify(f, DEV_LBA, id);
	assert_int_equal(id_word(id, 85), 0x0008);
	assert_int_equal(id_word(id, 82), 0x0068); /* still supported */
	set_feature(f, ATA_FEAT_WRITE_CACHE_ON, 0);
	expect_ok(f);
	identify(f, DEV_LBA, id);
	assert_int_equal(id_word(id, 85), 0x0028);
	set_feature(f, ATA_FEAT_LOOK_AHEAD_ON, 0);
	expect_ok(f);

	/* Transfer modes: PIO, with or without flow control up to mode 4; no DMA. */
	for (size_t i = 0; i < ARRAY_SIZE(modes_ok); i++) {
		set_feature(f, ATA_FEAT_SET_TRANSFER_MODE, modes_ok[i]);
		expect_ok(f);
	}
	for (size_t i = 0; i < ARRAY_SIZE(modes_bad); i++) {
		set_feature(f, ATA_FEAT_SET_TRANSFER_MODE, modes_bad[i]);
		expect_error(f, ATA_ER_ABRT);
	}
	set_feature(f, 0x99, 0);
	expect_error(f, ATA_ER_ABRT);

	/* Without reverting, settings survive SRST; with it, SRST restores the defaults. */
	set_feature(f, ATA_FEAT_WRITE_CACHE_OFF, 0);
	expect_ok(f);
	devctl(f, ATA_CTL_SRST);
	devctl(f, 0);
	identify(f, DEV_LBA, id);
	assert_int_equal(id_word(id, 85) & 0x0020, 0);
	set_feature(f, ATA_FEAT_REVERT_ON, 0);
	expect_ok(f);
	devctl(f, ATA_CTL_SRST);
	devctl(f, 0);
	identify(f, DEV_LBA, id);
	assert_int_equal(id_word(id, 85), 0x0068);
	set_feature(f, ATA_FEAT_REVERT_OFF, 0);
	expect_ok(f);
}

static void test_write_cache_off_writes_through(void **state)
{
	struct fixture *f = *state;
	uint8_t out[SECTOR], back[SECTOR];

	memset(out, 0x3c, sizeof(out));
	set_feature(f, ATA_FEAT_WRITE_CACHE_OFF, 0);
	expect_ok(f);
	command(f, ATA_CMD_WRITE_SECTORS, 3, 1);
	write_words(f, out, WORDS);
	expect_ok(f);
	file_sector(f, 0, 3, back);
	assert_memory_equal(back, out, SECTOR);
}

/* --- hostile hosts -------------------------------------------------------- */

static void test_data_port_without_command(void **state)
{
	struct fixture *f = *state;

	for (unsigned int i = 0; i < 2 * WORDS; i++)
		assert_int_equal(inw(f), 0xffff);
	for (unsigned int i = 0; i < 2 * WORDS; i++)
		outw(f, 0x1234);
	assert_int_equal(inb(f, ATA_REG_STATUS), IDLE);
	assert_int_equal(inb(f, ATA_REG_ERROR), ATA_DIAG_PASSED);
	assert_int_equal(f->changes, 0);
	for (uint32_t s = 0; s < 4; s++)
		expect_file_untouched(f, 0, s);
}

static void test_beyond_the_disk(void **state)
{
	struct fixture *f = *state;

	/* The last sector is fine. */
	command(f, ATA_CMD_READ_SECTORS, DISK_SECTORS - 1, 1);
	assert_int_equal(inb(f, ATA_REG_STATUS), DRQ);
	command(f, ATA_CMD_FLUSH_CACHE, 0, 1); /* abandon it */
	expect_ok(f);
	/* One more is not: IDNF before any data, the address of the first missing sector. */
	command(f, ATA_CMD_READ_SECTORS, DISK_SECTORS - 1, 2);
	expect_error(f, ATA_ER_IDNF);
	assert_int_equal(task_file_lba(f), DISK_SECTORS);
	assert_int_equal(inb(f, ATA_REG_NSECT), 2);
	assert_int_equal(inw(f), 0xffff);
	command(f, ATA_CMD_READ_SECTORS, DISK_SECTORS, 1);
	expect_error(f, ATA_ER_IDNF);
	/* The highest LBA28 with a count of 256 does not wrap. */
	command(f, ATA_CMD_READ_SECTORS, ATA_LBA28_MAX_SECTORS, 0);
	expect_error(f, ATA_ER_IDNF);
	assert_int_equal(task_file_lba(f), ATA_LBA28_MAX_SECTORS);
	/* Writes too, and the file keeps its last sector. */
	command(f, ATA_CMD_WRITE_SECTORS, DISK_SECTORS - 1, 2);
	expect_error(f, ATA_ER_IDNF);
	for (unsigned int i = 0; i < WORDS; i++)
		outw(f, 0xdead);
	expect_file_untouched(f, 0, DISK_SECTORS - 1);
	command(f, ATA_CMD_SET_MULTIPLE, 0, 16);
	expect_ok(f);
	command(f, ATA_CMD_WRITE_MULTIPLE, DISK_SECTORS - 20, 21);
	expect_error(f, ATA_ER_IDNF);
}

static void test_new_command_mid_transfer(void **state)
{
	struct fixture *f = *state;
	uint8_t id[SECTOR], buf[SECTOR];

	/* DRQ ignored during a read: the new command runs, the old transfer is gone. */
	command(f, ATA_CMD_READ_SECTORS, 5, 4);
	read_words(f, buf, 100);
	identify(f, DEV_LBA, id);
	assert_int_equal(unit_sum8(id, SECTOR), 0);
	assert_int_equal(inw(f), 0xffff);

	/* A command without data abandons a transfer just as well. */
	command(f, ATA_CMD_READ_SECTORS, 5, 2);
	read_words(f, buf, 10);
	command(f, ATA_CMD_FLUSH_CACHE, 0, 1);
	expect_ok(f);
	assert_int_equal(inw(f), 0xffff);
	assert_int_equal(alt_status(f), IDLE);

	/* During a write: the half-written block never reaches the file. */
	command(f, ATA_CMD_WRITE_SECTORS, 7, 2);
	for (unsigned int i = 0; i < WORDS / 2; i++)
		outw(f, 0xbeef);
	command(f, ATA_CMD_READ_SECTORS, 7, 1);
	assert_int_equal(inb(f, ATA_REG_STATUS), DRQ);
	read_words(f, buf, WORDS);
	expect_sector(buf, 0, 7);
	expect_file_untouched(f, 0, 7);
	expect_file_untouched(f, 0, 8);
	assert_int_equal(inb(f, ATA_REG_STATUS), IDLE);
}

static void test_access_sizes(void **state)
{
	struct fixture *f = *state;
	uint8_t wide[8], buf[SECTOR];
	uint16_t w2[2];

	/* Sizes a bus never makes are a VMM bug, reported, not a crash. */
	assert_int_equal(ata_cmd_read(&f->ch, 0, wide, 0), -EINVAL);
	assert_int_equal(ata_cmd_read(&f->ch, 0, wide, 9), -EINVAL);
	assert_int_equal(ata_cmd_write(&f->ch, 7, wide, 16), -EINVAL);
	assert_int_equal(ata_ctrl_read(&f->ch, 0, wide, 0), -EINVAL);
	assert_int_equal(ata_ctrl_write(&f->ch, 0, wide, 12), -EINVAL);

	/* 32-bit data accesses move two words. */
	command(f, ATA_CMD_READ_SECTORS, 2, 1);
	for (unsigned int i = 0; i < WORDS / 2; i++) {
		assert_int_equal(ata_cmd_read(&f->ch, ATA_REG_DATA, w2, 4), 0);
		memcpy(buf + 4 * i, w2, 4);
	}
	expect_sector(buf, 0, 2);
	assert_int_equal(inb(f, ATA_REG_STATUS), IDLE);
	/* 64-bit: four words. */
	command(f, ATA_CMD_READ_SECTORS, 3, 1);
	for (unsigned int i = 0; i < WORDS / 4; i++)
		assert_int_equal(ata_cmd_read(&f->ch, ATA_REG_DATA, buf + 8 * i, 8), 0);
	expect_sector(buf, 0, 3);
	/* 8-bit: each access takes a whole word; its high byte is lost. */
	command(f, ATA_CMD_READ_SECTORS, 4, 1);
	for (unsigned int i = 0; i < WORDS; i++) {
		uint8_t b;

		assert_int_equal(ata_cmd_read(&f->ch, ATA_REG_DATA, &b, 1), 0);
		assert_int_equal(b, pattern(0, 4, 2 * i));
	}
	assert_int_equal(inb(f, ATA_REG_STATUS), IDLE);

	/* 32-bit writes; and 8-bit writes zero the high byte. */
	command(f, ATA_CMD_WRITE_SECTORS, 6, 2);
	for (unsigned int i = 0; i < WORDS / 2; i++) {
		uint8_t v[4] = { (uint8_t)i, 1, 2, 3 };

		assert_int_equal(ata_cmd_write(&f->ch, ATA_REG_DATA, v, 4), 0);
	}
	for (unsigned int i = 0; i < WORDS; i++) {
		uint8_t v = 0x77;

		assert_int_equal(ata_cmd_write(&f->ch, ATA_REG_DATA, &v, 1), 0);
	}
	expect_ok(f);
	file_sector(f, 0, 6, buf);
	assert_int_equal(buf[4], 1);
	assert_int_equal(buf[5], 1);
	assert_int_equal(buf[7], 3);
	file_sector(f, 0, 7, buf);
	assert_int_equal(buf[0], 0x77);
	assert_int_equal(buf[1], 0);

	/* Wider accesses to byte registers reach the next registers, as on ISA. */
	outb(f, ATA_REG_NSECT, 0x11);
	outb(f, ATA_REG_LBAL, 0x22);
	assert_int_equal(ata_cmd_read(&f->ch, ATA_REG_NSECT, w2, 2), 0);
	assert_int_equal(w2[0], 0x2211);
	w2[0] = 0x4433;
	assert_int_equal(ata_cmd_write(&f->ch, ATA_REG_LBAM, w2, 2), 0);
	assert_int_equal(inb(f, ATA_REG_LBAM), 0x33);
	assert_int_equal(inb(f, ATA_REG_LBAH), 0x44);
	/* ... and stop at the end of the block. */
	memset(wide, 0, sizeof(wide));
	assert_int_equal(ata_cmd_read(&f->ch, ATA_REG_DEVICE, wide, 4), 0);
	assert_int_equal(wide[2], 0xff);
	assert_int_equal(wide[3], 0xff);
	assert_int_equal(ata_ctrl_read(&f->ch, 0, wide, 4), 0);
	assert_int_equal(wide[0], IDLE);
	assert_int_equal(wide[1], 0xff);
}

static void test_slave_absent(void **state)
{
	struct fixture *f = *state;
	uint8_t buf[SECTOR];

	outb(f, ATA_REG_NSECT, 0x42);
	outb(f, ATA_REG_DEVICE, DEV_SLAVE);
	/* Device 0 answers for device 1, but status is 00h (ATA/ATAPI-6 9.16.1). */
	assert_int_equal(inb(f, ATA_REG_STATUS), 0);
	assert_int_equal(alt_status(f), 0);
	assert_int_equal(inb(f, ATA_REG_NSECT), 0x42);
	assert_int_equal(inb(f, ATA_REG_DEVICE), DEV_SLAVE); /* with DEV set */
	/* Commands to it are ignored: no interrupt, no data, device 0 untouched. */
	outb(f, ATA_REG_COMMAND, ATA_CMD_IDENTIFY);
	outb(f, ATA_REG_COMMAND, 0xff);
	assert_int_equal(f->changes, 0);
	assert_int_equal(inw(f), 0xffff);
	outb(f, ATA_REG_DEVICE, DEV_LBA);
	assert_int_equal(inb(f, ATA_REG_STATUS), IDLE);
	assert_int_equal(inb(f, ATA_REG_ERROR), ATA_DIAG_PASSED);

	/* Device 0's interrupt is released while device 1 is selected, and comes back. */
	command(f, ATA_CMD_READ_SECTORS, 1, 1);
	assert_int_equal(f->level, 1);
	outb(f, ATA_REG_DEVICE, DEV_SLAVE);
	assert_int_equal(f->level, 0);
	assert_int_equal(inb(f, ATA_REG_STATUS), 0); /* does not acknowledge device 0's */
	assert_int_equal(inw(f), 0xffff);	     /* nor move its data */
	outb(f, ATA_REG_DEVICE, DEV_LBA);
	assert_int_equal(f->level, 1);
	assert_int_equal(inb(f, ATA_REG_STATUS), DRQ);
	read_words(f, buf, WORDS);
	expect_sector(buf, 0, 1);

	/* EXECUTE DEVICE DIAGNOSTIC is the one command taken with device 1 selected. */
	outb(f, ATA_REG_DEVICE, DEV_SLAVE);
	outb(f, ATA_REG_COMMAND, ATA_CMD_EXECUTE_DIAGNOSTIC);
	assert_int_equal(f->level, 1);
	expect_signature(f);
}

static void test_two_disks(void **state)
{
	struct fixture *f = *state;
	uint8_t buf[SECTOR], out[SECTOR];

	/* Each device reads its own disk. */
	issue(f, DEV_SLAVE, ATA_CMD_READ_SECTORS, 9, 1);
	read_words(f, buf, WORDS);
	expect_sector(buf, 1, 9);
	issue(f, DEV_LBA, ATA_CMD_READ_SECTORS, 9, 1);
	read_words(f, buf, WORDS);
	expect_sector(buf, 0, 9);

	/* A write to the slave reaches its file only. */
	memset(out, 0x99, sizeof(out));
	issue(f, DEV_SLAVE, ATA_CMD_WRITE_SECTORS, 2, 1);
	write_words(f, out, WORDS);
	expect_ok(f);
	file_sector(f, 1, 2, buf);
	assert_memory_equal(buf, out, SECTOR);
	expect_file_untouched(f, 0, 2);

	/* Status of device 1 present: its own. Device 0's pending interrupt stays its own. */
	issue(f, DEV_LBA, ATA_CMD_FLUSH_CACHE, 0, 1);
	assert_int_equal(f->level, 1);
	outb(f, ATA_REG_DEVICE, DEV_SLAVE);
	assert_int_equal(f->level, 0);
	assert_int_equal(inb(f, ATA_REG_STATUS), IDLE);
	outb(f, ATA_REG_DEVICE, DEV_LBA);
	assert_int_equal(f->level, 1);
	assert_int_equal(inb(f, ATA_REG_STATUS), IDLE);
	assert_int_equal(f->level, 0);

	/* A failed command on one device leaves the other's error register alone. */
	issue(f, DEV_SLAVE, 0x00, 0, 1);
	expect_error(f, ATA_ER_ABRT);
	outb(f, ATA_REG_DEVICE, DEV_LBA);
	assert_int_equal(inb(f, ATA_REG_ERROR), 0);
}

static void test_srst_mid_transfer(void **state)
{
	struct fixture *f = *state;
	uint8_t buf[SECTOR];

	command(f, ATA_CMD_SET_MULTIPLE, 0, 8);
	expect_ok(f);
	command(f, ATA_CMD_READ_SECTORS, 20, 2);
	read_words(f, buf, 10);
	assert_int_equal(f->level, 1);
	devctl(f, ATA_CTL_SRST);
	/* In reset: BSY everywhere, no interrupt, no data, no commands. */
	assert_int_equal(f->level, 0);
	assert_int_equal(alt_status(f), ATA_SR_BSY);
	assert_int_equal(inb(f, ATA_REG_STATUS), ATA_SR_BSY);
	assert_int_equal(inb(f, ATA_REG_LBAL), ATA_SR_BSY);
	assert_int_equal(inw(f), 0xffff);
	outb(f, ATA_REG_COMMAND, ATA_CMD_IDENTIFY);
	outb(f, ATA_REG_LBAM, 0x55);
	devctl(f, ATA_CTL_SRST); /* held */
	assert_int_equal(alt_status(f), ATA_SR_BSY);
	devctl(f, 0);
	/* Released: signature, ready, no interrupt, no data (ATA/ATAPI-6 9.2, 9.12). */
	assert_int_equal(f->level, 0);
	assert_int_equal(alt_status(f), IDLE);
	expect_signature(f);
	assert_int_equal(inw(f), 0xffff);
	assert_int_equal(inb(f, ATA_REG_STATUS), IDLE);
	/* SRST keeps the multiple setting. */
	command(f, ATA_CMD_READ_MULTIPLE, 20, 8);
	assert_int_equal(inb(f, ATA_REG_STATUS), DRQ);
	read_words(f, buf, WORDS);
	expect_sector(buf, 0, 20);

	/* SRST with device 1 selected: device 0 resets, and is selected after. */
	outb(f, ATA_REG_DEVICE, DEV_SLAVE);
	devctl(f, ATA_CTL_SRST);
	assert_int_equal(alt_status(f), 0); /* device 1 absent */
	devctl(f, 0);
	assert_int_equal(alt_status(f), IDLE);
	expect_signature(f);
}

static void test_srst_two_disks(void **state)
{
	struct fixture *f = *state;
	uint8_t buf[SECTOR] = { 0 };

	issue(f, DEV_SLAVE, ATA_CMD_WRITE_SECTORS, 0, 1);
	write_words(f, buf, 10);
	devctl(f, ATA_CTL_SRST);
	devctl(f, 0);
	expect_signature(f);
	/* Selecting device 1 writes both device registers; the rest is its signature. */
	outb(f, ATA_REG_DEVICE, DEV_SLAVE);
	expect_signature_regs(f);
	assert_int_equal(inb(f, ATA_REG_STATUS), IDLE);
	expect_file_untouched(f, 1, 0);
}

static void test_nien(void **state)
{
	struct fixture *f = *state;

	devctl(f, ATA_CTL_NIEN);
	command(f, ATA_CMD_FLUSH_CACHE, 0, 1);
	/* The interrupt is pending, but INTRQ is not driven. */
	assert_int_equal(f->changes, 0);
	assert_int_equal(alt_status(f), IDLE);
	devctl(f, 0);
	assert_int_equal(f->level, 1); /* pending: asserted once enabled */
	devctl(f, ATA_CTL_NIEN);
	assert_int_equal(f->level, 0);
	/* Reading status with nIEN set acknowledges it all the same. */
	assert_int_equal(inb(f, ATA_REG_STATUS), IDLE);
	devctl(f, 0);
	assert_int_equal(f->level, 0);
	assert_int_equal(f->changes, 2);
	/* A pending interrupt is also cleared by the next command (here one that does
	 * not interrupt: PIO data-out asks for its first block without one). */
	devctl(f, ATA_CTL_NIEN);
	command(f, ATA_CMD_FLUSH_CACHE, 0, 1);
	command(f, ATA_CMD_WRITE_SECTORS, 0, 1);
	devctl(f, 0);
	assert_int_equal(f->level, 0);
	assert_int_equal(alt_status(f), DRQ);
	command(f, ATA_CMD_FLUSH_CACHE, 0, 1); /* abandons the write */
	expect_ok(f);
	expect_file_untouched(f, 0, 0);
}

static void test_read_only_disk(void **state)
{
	struct fixture *f = *state;
	uint8_t buf[SECTOR];

	/* A write to a read-only disk aborts before any data phase. */
	command(f, ATA_CMD_WRITE_SECTORS, 0, 1);
	expect_error(f, ATA_ER_ABRT);
	for (unsigned int i = 0; i < WORDS; i++)
		outw(f, 0);
	command(f, ATA_CMD_SET_MULTIPLE, 0, 2);
	expect_ok(f);
	command(f, ATA_CMD_WRITE_MULTIPLE, 0, 2);
	expect_error(f, ATA_ER_ABRT);
	expect_file_untouched(f, 0, 0);
	/* Reads and flushes work. */
	command(f, ATA_CMD_READ_SECTORS, 0, 1);
	read_words(f, buf, WORDS);
	expect_sector(buf, 0, 0);
	command(f, ATA_CMD_FLUSH_CACHE, 0, 1);
	expect_ok(f);
	set_feature(f, ATA_FEAT_WRITE_CACHE_OFF, 0);
	expect_ok(f);
}

static void test_host_io_errors(void **state)
{
	struct fixture *f = *state;
	uint8_t buf[SECTOR];
	int fd;

	/* The file shrinks behind the drive's back: a read fails as a bad sector would. */
	assert_int_equal(truncate(f->path[0], 100 * SECTOR), 0);
	command(f, ATA_CMD_READ_SECTORS, 99, 2);
	assert_int_equal(inb(f, ATA_REG_STATUS), DRQ);
	read_words(f, buf, WORDS);
	expect_sector(buf, 0, 99);
	expect_error(f, ATA_ER_UNC);
	assert_int_equal(task_file_lba(f), 100);
	assert_int_equal(inb(f, ATA_REG_NSECT), 1);

	/* The host cannot write: a device fault (DF, ABRT) at the failing block. */
	fd = open(f->path[0], O_RDONLY);
	assert_true(fd >= 0);
	assert_int_equal(dup2(fd, f->disk[0].fd), f->disk[0].fd);
	close(fd);
	command(f, ATA_CMD_WRITE_SECTORS, 10, 1);
	write_words(f, buf, WORDS);
	assert_int_equal(f->level, 1);
	assert_int_equal(inb(f, ATA_REG_ERROR), ATA_ER_ABRT);
	assert_int_equal(inb(f, ATA_REG_STATUS), FAILED | ATA_SR_DF);
	assert_int_equal(task_file_lba(f), 10);
}

static void test_empty_channel(void **state)
{
	struct fixture *f = *state;

	/* Nothing on the cable: the bus floats high, commands go nowhere. */
	assert_int_equal(inb(f, ATA_REG_STATUS), 0xff);
	assert_int_equal(alt_status(f), 0xff);
	assert_int_equal(inb(f, ATA_REG_NSECT), 0xff);
	command(f, ATA_CMD_IDENTIFY, 0, 1);
	outb(f, ATA_REG_COMMAND, ATA_CMD_EXECUTE_DIAGNOSTIC);
	devctl(f, ATA_CTL_SRST);
	devctl(f, 0);
	assert_int_equal(inw(f), 0xffff);
	assert_int_equal(inb(f, ATA_REG_STATUS), 0xff);
	assert_int_equal(f->changes, 0);
}

static void test_hardware_reset(void **state)
{
	struct fixture *f = *state;
	uint8_t id[SECTOR];

	command(f, ATA_CMD_SET_MULTIPLE, 0, 4);
	devctl(f, ATA_CTL_NIEN);
	devctl(f, 0);
	command(f, ATA_CMD_READ_SECTORS, 0, 2);
	assert_int_equal(f->level, 1);
	ata_reset(&f->ch);
	assert_int_equal(f->level, 0);
	expect_signature(f);
	assert_int_equal(inb(f, ATA_REG_STATUS), IDLE);
	identify(f, DEV_LBA, id);
	assert_int_equal(id_word(id, 59), 0); /* power-on default: multiple off */
}

/* --- save and restore ----------------------------------------------------- */

static void test_save_restore_mid_transfer(void **state)
{
	struct fixture *f = *state;
	static struct ata_state saved, again;
	static const struct ata_drive_state empty;
	struct ata_channel ch;
	uint8_t buf[SECTOR];

	command(f, ATA_CMD_SET_MULTIPLE, 0, 2);
	expect_ok(f);
	command(f, ATA_CMD_READ_MULTIPLE, 30, 5);
	read_words(f, buf, 70);
	ata_save(&f->ch, &saved);
	assert_int_equal(saved.version, ATA_STATE_VERSION);
	assert_int_equal(saved.irq_level, 1);
	assert_int_equal(saved.drives[0].buf_pos, 140);
	assert_int_equal(saved.drives[0].buf_len, 2 * SECTOR);
	assert_memory_equal(&saved.drives[1], &empty, sizeof(empty)); /* no slave */

	/* A fresh channel with the same disk carries on where the first stopped. */
	ata_init(&ch, 0, NULL);
	assert_int_equal(ata_attach(&ch, 0, &f->disk[0]), 0);
	assert_int_equal(ata_restore(&ch, &saved), 0);
	ata_save(&ch, &again);
	assert_memory_equal(&saved, &again, sizeof(saved));
	for (unsigned int i = 70; i < WORDS; i++)
		assert_int_equal(ata_cmd_read(&ch, ATA_REG_DATA, buf + 2 * i, 2), 0);
	for (unsigned int i = 140; i < SECTOR; i++)
		assert_int_equal(buf[i], pattern(0, 30, i));
	for (uint32_t s = 31; s < 35; s++) {
		for (unsigned int i = 0; i < WORDS; i++)
			assert_int_equal(ata_cmd_read(&ch, ATA_REG_DATA, buf + 2 * i, 2), 0);
		expect_sector(buf, 0, s);
	}
	{
		uint8_t st;

		assert_int_equal(ata_cmd_read(&ch, ATA_REG_STATUS, &st, 1), 0);
		assert_int_equal(st, IDLE);
	}
	ata_destroy(&ch);

	/* Restore tells the VM the line's level. */
	f->level = 0;
	assert_int_equal(ata_restore(&f->ch, &saved), 0);
	assert_int_equal(f->level, 1);
}

/* One named row per way a saved state can be damaged (each row is a cmocka case). */
struct bad_state {
	const char *name;
	void (*spoil)(struct ata_state *s);
	const char *message;
};

static void spoil_version(struct ata_state *s)
{
	s->version = 99;
}
static void spoil_reserved(struct ata_state *s)
{
	s->reserved = 1;
}
static void spoil_selected(struct ata_state *s)
{
	s->selected = 2;
}
static void spoil_irq_level(struct ata_state *s)
{
	s->irq_level = 0; /* the drive has an interrupt pending */
}
static void spoil_absent_slot(struct ata_state *s)
{
	s->drives[1].nsect = 1;
}
static void spoil_sectors(struct ata_state *s)
{
	s->drives[0].sectors++;
}
static void spoil_drive_reserved(struct ata_state *s)
{
	s->drives[0].reserved[5] = 1;
}
static void spoil_flag(struct ata_state *s)
{
	s->drives[0].chs = 2;
}
static void spoil_multiple(struct ata_state *s)
{
	s->drives[0].multiple = 3;
}
static void spoil_heads(struct ata_state *s)
{
	s->drives[0].heads = 17;
}
static void spoil_spt(struct ata_state *s)
{
	s->drives[0].spt = 0;
}
static void spoil_geometry(struct ata_state *s)
{
	s->drives[0].cylinders = 1000;
}
static void spoil_bsy(struct ata_state *s)
{
	s->drives[0].status |= ATA_SR_BSY;
}
static void spoil_drq(struct ata_state *s)
{
	s->drives[0].status &= ~ATA_SR_DRQ;
}
static void spoil_xfer(struct ata_state *s)
{
	s->drives[0].xfer = 3;
}
static void spoil_command(struct ata_state *s)
{
	s->drives[0].command = ATA_CMD_WRITE_SECTORS; /* with a data-in transfer */
}
static void spoil_block(struct ata_state *s)
{
	s->drives[0].block = 2; /* READ SECTORS moves one sector a block */
}
static void spoil_buf_pos_odd(struct ata_state *s)
{
	s->drives[0].buf_pos = 141;
}
static void spoil_buf_pos_end(struct ata_state *s)
{
	s->drives[0].buf_pos = s->drives[0].buf_len;
}
static void spoil_buf_len(struct ata_state *s)
{
	s->drives[0].buf_len = ATA_BUF_SIZE + SECTOR;
}
static void spoil_remaining(struct ata_state *s)
{
	s->drives[0].remaining = 0;
}
static void spoil_range(struct ata_state *s)
{
	s->drives[0].lba = DISK_SECTORS - 1; /* 3 sectors left from there */
}
static void spoil_count(struct ata_state *s)
{
	s->drives[0].remaining = ATA_MAX_COUNT + 1;
}
static void spoil_leftover(struct ata_state *s)
{
	s->drives[0].xfer = ATA_XFER_NONE;
	s->drives[0].status &= ~ATA_SR_DRQ;
}
static void spoil_reset_intrq(struct ata_state *s)
{
	s->devctl |= ATA_CTL_SRST;
	s->drives[0].status = ATA_SR_BSY;
	s->drives[0].xfer = ATA_XFER_NONE;
	s->drives[0].command = 0;
	s->drives[0].lba = s->drives[0].remaining = s->drives[0].block = 0;
	s->drives[0].buf_pos = s->drives[0].buf_len = 0; /* but intrq still set */
}

static const struct bad_state bad_states[] = {
	{ "restore_refuses_version", spoil_version, "version" },
	{ "restore_refuses_reserved", spoil_reserved, "channel" },
	{ "restore_refuses_selected", spoil_selected, "channel" },
	{ "restore_refuses_irq_level", spoil_irq_level, "INTRQ" },
	{ "restore_refuses_absent_slot", spoil_absent_slot, "no disk" },
	{ "restore_refuses_sectors", spoil_sectors, "size" },
	{ "restore_refuses_drive_reserved", spoil_drive_reserved, "reserved" },
	{ "restore_refuses_flag", spoil_flag, "flag" },
	{ "restore_refuses_multiple", spoil_multiple, "multiple" },
	{ "restore_refuses_heads", spoil_heads, "CHS" },
	{ "restore_refuses_spt", spoil_spt, "CHS" },
	{ "restore_refuses_geometry", spoil_geometry, "CHS" },
	{ "restore_refuses_bsy", spoil_bsy, "BSY" },
	{ "restore_refuses_drq", spoil_drq, "DRQ" },
	{ "restore_refuses_xfer", spoil_xfer, "transfer command" },
	{ "restore_refuses_command", spoil_command, "transfer command" },
	{ "restore_refuses_block", spoil_block, "transfer command" },
	{ "restore_refuses_buf_pos_odd", spoil_buf_pos_odd, "position" },
	{ "restore_refuses_buf_pos_end", spoil_buf_pos_end, "position" },
	{ "restore_refuses_buf_len", spoil_buf_len, "position" },
	{ "restore_refuses_remaining", spoil_remaining, "position" },
	{ "restore_refuses_range", spoil_range, "position" },
	{ "restore_refuses_count", spoil_count, "position" },
	{ "restore_refuses_leftover", spoil_leftover, "leftover" },
	{ "restore_refuses_reset_intrq", spoil_reset_intrq, "reset" },
};

static void test_restore_rejects(void **state)
{
	const struct bad_state *row = *state;
	struct fixture *f;
	static struct ata_state good, bad, after;

	assert_int_equal(setup(state), 0);
	f = *state;
	command(f, ATA_CMD_READ_SECTORS, DISK_SECTORS - 4, 3);
	read_words(f, (uint8_t[SECTOR]){ 0 }, 70);
	ata_save(&f->ch, &good);
	f->restoring = true;
	f->changes = 0;
	assert_int_equal(ata_restore(&f->ch, &good), 0); /* the unspoiled state is fine */
	assert_int_equal(f->changes, 1);		 /* and the VM hears the level */
	bad = good;
	row->spoil(&bad);
	error_clear();
	if (ata_restore(&f->ch, &bad) != -EINVAL)
		fail_msg("row '%s': restored", row->name);
	assert_contains(error_message(), row->message);
	/* Refused means untouched. */
	ata_save(&f->ch, &after);
	assert_memory_equal(&good, &after, sizeof(good));
	teardown(state);
	*state = (void *)row;
}

static void test_restore_ro_write(void **state)
{
	struct fixture *f = *state;
	static struct ata_state s;

	/* A write in progress cannot be restored onto a read-only disk. */
	f->restoring = true;
	ata_save(&f->ch, &s);
	s.drives[0].command = ATA_CMD_WRITE_SECTORS;
	s.drives[0].xfer = ATA_XFER_OUT;
	s.drives[0].status |= ATA_SR_DRQ;
	s.drives[0].remaining = s.drives[0].block = 1;
	s.drives[0].buf_len = SECTOR;
	assert_int_equal(ata_restore(&f->ch, &s), -EINVAL);
	s.drives[0].command = ATA_CMD_READ_SECTORS;
	s.drives[0].xfer = ATA_XFER_IN;
	assert_int_equal(ata_restore(&f->ch, &s), 0);
}

/* A cmocka case named after its row, with the row as its state. */
#define BAD_STATE_TEST(i)                                                                    \
	{                                                                                    \
		bad_states[i].name, test_restore_rejects, NULL, NULL, (void *)&bad_states[i] \
	}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_disk_open_refuses_bad_files),
		cmocka_unit_test(test_disk_locks),
		cmocka_unit_test_setup_teardown(test_attach_errors, setup, teardown),
		cmocka_unit_test_setup_teardown(test_power_on_state, setup, teardown),
		cmocka_unit_test_setup_teardown(test_identify, setup, teardown),
		cmocka_unit_test_setup_teardown(test_identify_secondary_and_slave, setup_two,
						teardown),
		cmocka_unit_test_setup_teardown(test_read_sectors, setup, teardown),
		cmocka_unit_test_setup_teardown(test_read_no_retry_and_count_256, setup, teardown),
		cmocka_unit_test_setup_teardown(test_read_lba_bits_27_24, setup, teardown),
		cmocka_unit_test_setup_teardown(test_write_sectors, setup, teardown),
		cmocka_unit_test_setup_teardown(test_multiple, setup, teardown),
		cmocka_unit_test_setup_teardown(test_flush_and_power_commands, setup, teardown),
		cmocka_unit_test_setup_teardown(test_unsupported_commands_abort, setup, teardown),
		cmocka_unit_test_setup_teardown(test_execute_diagnostic, setup, teardown),
		cmocka_unit_test_setup_teardown(test_chs, setup, teardown),
		cmocka_unit_test_setup_teardown(test_set_features, setup, teardown),
		cmocka_unit_test_setup_teardown(test_write_cache_off_writes_through, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_data_port_without_command, setup, teardown),
		cmocka_unit_test_setup_teardown(test_beyond_the_disk, setup, teardown),
		cmocka_unit_test_setup_teardown(test_new_command_mid_transfer, setup, teardown),
		cmocka_unit_test_setup_teardown(test_access_sizes, setup, teardown),
		cmocka_unit_test_setup_teardown(test_slave_absent, setup, teardown),
		cmocka_unit_test_setup_teardown(test_two_disks, setup_two, teardown),
		cmocka_unit_test_setup_teardown(test_srst_mid_transfer, setup, teardown),
		cmocka_unit_test_setup_teardown(test_srst_two_disks, setup_two, teardown),
		cmocka_unit_test_setup_teardown(test_nien, setup, teardown),
		cmocka_unit_test_setup_teardown(test_read_only_disk, setup_ro, teardown),
		cmocka_unit_test_setup_teardown(test_host_io_errors, setup, teardown),
		cmocka_unit_test_setup_teardown(test_empty_channel, setup_empty, teardown),
		cmocka_unit_test_setup_teardown(test_hardware_reset, setup, teardown),
		cmocka_unit_test_setup_teardown(test_save_restore_mid_transfer, setup, teardown),
		cmocka_unit_test_setup_teardown(test_restore_ro_write, setup_ro, teardown),
		BAD_STATE_TEST(0),
		BAD_STATE_TEST(1),
		BAD_STATE_TEST(2),
		BAD_STATE_TEST(3),
		BAD_STATE_TEST(4),
		BAD_STATE_TEST(5),
		BAD_STATE_TEST(6),
		BAD_STATE_TEST(7),
		BAD_STATE_TEST(8),
		BAD_STATE_TEST(9),
		BAD_STATE_TEST(10),
		BAD_STATE_TEST(11),
		BAD_STATE_TEST(12),
		BAD_STATE_TEST(13),
		BAD_STATE_TEST(14),
		BAD_STATE_TEST(15),
		BAD_STATE_TEST(16),
		BAD_STATE_TEST(17),
		BAD_STATE_TEST(18),
		BAD_STATE_TEST(19),
		BAD_STATE_TEST(20),
		BAD_STATE_TEST(21),
		BAD_STATE_TEST(22),
		BAD_STATE_TEST(23),
		BAD_STATE_TEST(24),
	};

	_Static_assert(ARRAY_SIZE(bad_states) == 25, "one BAD_STATE_TEST per row");
	return cmocka_run_group_tests(tests, NULL, NULL);
}
