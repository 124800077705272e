/* SPDX-License-Identifier: MIT */
/* An ATA channel after ATA/ATAPI-6 (T13/1410D r3b): task file, PIO in/out, INTRQ, resets, disks. */
#include "devices/ata.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "error.h"
#include "file.h"

/* IDENTIFY DEVICE data: word numbers (ATA/ATAPI-6, 8.15, table "IDENTIFY DEVICE information"). */
#define ID_CONFIG	       0
#define ID_CYLINDERS	       1 /* default CHS translation: words 1, 3, 6 */
#define ID_HEADS	       3
#define ID_SPT		       6
#define ID_SERIAL	       10 /* 20 characters */
#define ID_SERIAL_WORDS	       10
#define ID_FIRMWARE	       23 /* 8 characters */
#define ID_FIRMWARE_WORDS      4
#define ID_MODEL	       27 /* 40 characters */
#define ID_MODEL_WORDS	       20
#define ID_MAX_MULTIPLE	       47
#define ID_CAPABILITIES	       49
#define ID_CAPABILITIES2       50
#define ID_PIO_TIMING	       51 /* obsolete: PIO mode in bits 15:8 */
#define ID_FIELD_VALID	       53
#define ID_CUR_CYLINDERS       54 /* current CHS translation: words 54-58 */
#define ID_CUR_HEADS	       55
#define ID_CUR_SPT	       56
#define ID_CUR_CAPACITY	       57 /* two words, low first */
#define ID_MULTIPLE	       59
#define ID_LBA_CAPACITY	       60 /* two words, low first */
#define ID_PIO_MODES	       64
#define ID_MIN_PIO_CYCLE       67
#define ID_MIN_PIO_CYCLE_IORDY 68
#define ID_MAJOR_VERSION       80
#define ID_SUPPORTED	       82 /* command sets supported: 82, 83, 84 */
#define ID_SUPPORTED2	       83
#define ID_SUPPORTED_EXT       84
#define ID_ENABLED	       85 /* and enabled: 85, 86, 87 */
#define ID_ENABLED2	       86
#define ID_ENABLED_EXT	       87
#define ID_UDMA		       88
#define ID_INTEGRITY	       255

#define ID_CONFIG_FIXED	       0x0040 /* obsolete "not removable" bit that old drivers test */
#define ID_MAX_MULTIPLE_MARK   0x8000 /* word 47 bits 15:8 are 80h */
#define ID_CAP_LBA	       (1u << 9)
#define ID_CAP_IORDY	       (1u << 11)
#define ID_CAP2_ONE	       (1u << 14) /* word 50 bit 14 shall be one */
#define ID_PIO_TIMING_MODE2    0x0200
#define ID_VALID_CHS	       (1u << 0) /* words 54-58 valid */
#define ID_VALID_TIMING	       (1u << 1) /* words 64-70 valid */
#define ID_VALID_UDMA	       (1u << 2) /* word 88 valid: 0, no Ultra DMA */
#define ID_MULTIPLE_VALID      (1u << 8)
#define ID_PIO_MODES_3_4       0x0003
#define ID_PIO_CYCLE_NS	       120	 /* PIO mode 4 */
#define ID_MAJOR_ATA1_TO_ATA6  0x007e	 /* bits 1-6 */
#define ID_CS_PM	       (1u << 3) /* word 82/85: Power Management feature set */
#define ID_CS_WRITE_CACHE      (1u << 5)
#define ID_CS_LOOK_AHEAD       (1u << 6)
#define ID_CS2_FLUSH_CACHE     (1u << 12) /* word 83/86 */
#define ID_CS_WORD_VALID       (1u << 14) /* words 83, 84, 87: bit 14 one, bit 15 zero */
#define ID_INTEGRITY_SIGNATURE 0xa5	  /* word 255 bits 7:0; bits 15:8 the checksum */

#define ATA_MODEL	  "mini-kvm ATA disk"
#define ATA_FIRMWARE	  "1.0"
#define ATA_SERIAL_FORMAT "MKVM-ATA-%u"

/* The default CHS translation, as drives of up to 8 GiB report it (words 1, 3, 6). */
#define CHS_DEFAULT_HEADS	  16
#define CHS_DEFAULT_SPT		  63
#define CHS_MAX_DEFAULT_CYLINDERS 16383
#define CHS_MAX_CYLINDERS	  65535
#define CHS_MAX_HEADS		  16 /* the head number has 4 bits */

#define CHECK_POWER_MODE_ACTIVE 0xff   /* sector count after CHECK POWER MODE: active or idle */
#define ATA_WORD_NONE		0xffff /* what the data register reads without a DRQ block */
#define ATA_BUS_FLOATING	0xff   /* register reads on a channel with no device */
#define COMMAND_GROUP_MASK	0xf0   /* RECALIBRATE is 1xh, SEEK 7xh */
#define ATA_MAX_ACCESS		8      /* bytes: the widest access a bus makes */

/* ------------------------------------------------------------------------- */
/* The disk backend                                                          */

int ata_disk_open(struct ata_disk *disk, const char *path, bool read_only)
{
	uint64_t size;
	int fd, ret;

	disk->fd = -1;
	disk->sectors = 0;
	disk->read_only = read_only;
	disk->path = path;
	ret = file_open_disk(path, read_only, &fd, &size);
	if (ret < 0)
		return ret;
	if (size == 0 || size % ATA_SECTOR_SIZE) {
		ret = error_set(EINVAL,
				"disk '%s': size %llu bytes is not a whole, non-zero number of "
				"%d-byte sectors",
				path, (unsigned long long)size, ATA_SECTOR_SIZE);
		goto fail;
	}
	if (size / ATA_SECTOR_SIZE > ATA_LBA28_MAX_SECTORS) {
		ret = error_set(EFBIG, "disk '%s': larger than %u sectors (LBA28)", path,
				ATA_LBA28_MAX_SECTORS);
		goto fail;
	}
	disk->fd = fd;
	disk->sectors = (uint32_t)(size / ATA_SECTOR_SIZE);
	return 0;
fail:
	close(fd);
	return ret;
}

int ata_disk_close(struct ata_disk *disk)
{
	int ret = 0;

	if (disk->fd < 0)
		return 0;
	if (!disk->read_only && fsync(disk->fd) < 0)
		ret = error_errno(errno, "disk '%s': flushing it failed", disk->path);
	close(disk->fd); /* drops the lock */
	disk->fd = -1;
	return ret;
}

/* Move count sectors at lba between buf and the file. Returns 0, or -EIO (error or short). */
static int disk_io(const struct ata_disk *disk, bool write, uint8_t *buf, uint32_t lba,
		   uint32_t count)
{
	size_t len = (size_t)count * ATA_SECTOR_SIZE;
	off_t offset = (off_t)lba * ATA_SECTOR_SIZE;

	while (len) {
		ssize_t n = write ? pwrite(disk->fd, buf, len, offset)
				  : pread(disk->fd, buf, len, offset);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -EIO;
		buf += n;
		offset += n;
		len -= (size_t)n;
	}
	return 0;
}

/*
 * Write count sectors at lba, each DRQ block whole or not at all (as --disk writes):
 * the block's space is reserved first, so that a full host file system fails the
 * block before any byte of it changes (EOPNOTSUPP: no such promise; written anyway).
 * Returns 0, or -errno.
 */
static int disk_write(const struct ata_disk *disk, uint8_t *buf, uint32_t lba, uint32_t count)
{
	if (fallocate(disk->fd, 0, (off_t)lba * ATA_SECTOR_SIZE, (off_t)count * ATA_SECTOR_SIZE) <
		    0 &&
	    errno != EOPNOTSUPP)
		return -errno;
	return disk_io(disk, true, buf, lba, count);
}

/* Write back what the host caches for a writable disk. Returns 0 or -errno. */
static int disk_flush(const struct ata_disk *disk)
{
	if (disk->read_only)
		return 0;
	return fdatasync(disk->fd) < 0 ? -errno : 0;
}

/* ------------------------------------------------------------------------- */
/* Drive state                                                               */

static bool multiple_valid(unsigned int n)
{
	/* 0 (disabled) or a power of two the drive supports. */
	return n <= ATA_MAX_MULTIPLE && (n & (n - 1)) == 0;
}

/* The translation a drive reports as its default (words 1, 3, 6): 16 heads, 63 sectors. */
static void default_chs(uint32_t sectors, uint16_t *cylinders, uint16_t *heads, uint16_t *spt)
{
	uint32_t c = sectors / (CHS_DEFAULT_HEADS * CHS_DEFAULT_SPT);

	if (c) {
		*heads = CHS_DEFAULT_HEADS;
		*spt = CHS_DEFAULT_SPT;
		*cylinders = c > CHS_MAX_DEFAULT_CYLINDERS ? CHS_MAX_DEFAULT_CYLINDERS : c;
		return;
	}
	/* Smaller than one 16 x 63 cylinder: one head, so that CHS still reaches sectors. */
	*heads = 1;
	*spt = sectors < CHS_DEFAULT_SPT ? sectors : CHS_DEFAULT_SPT;
	*cylinders = sectors / *spt;
}

static void end_transfer(struct ata_drive *d)
{
	d->command = 0;
	d->xfer = ATA_XFER_NONE;
	d->lba = d->remaining = d->block = 0;
	d->buf_pos = d->buf_len = 0;
	d->status &= ~ATA_SR_DRQ;
}

/* The signature of a non-PACKET device after a reset or diagnostic (ATA/ATAPI-6, 9.12). */
static void set_signature(struct ata_drive *d)
{
	d->nsect = 1;
	d->lbal = 1;
	d->lbam = 0;
	d->lbah = 0;
	d->device = 0;
	d->error = ATA_DIAG_PASSED;
}

/* SET FEATURES settings at power-on, and after SRST when reverting is enabled. */
static void default_features(struct ata_drive *d)
{
	d->write_cache = true;
	d->look_ahead = true;
}

static void power_on(struct ata_drive *d)
{
	end_transfer(d);
	default_features(d);
	d->revert = false;
	d->multiple = 0;
	default_chs(d->disk->sectors, &d->cylinders, &d->heads, &d->spt);
	set_signature(d);
	d->features = 0;
	d->status = ATA_SR_DRDY | ATA_SR_DSC;
	d->intrq = false;
}

/* INTRQ: driven by the selected device only, and only while nIEN is clear (5.2.9). */
static int intrq_level(const struct ata_channel *ch)
{
	const struct ata_drive *d = &ch->drives[ch->selected];

	return d->disk && d->intrq && !(ch->devctl & ATA_CTL_NIEN);
}

static void update_irq(struct ata_channel *ch)
{
	int level = intrq_level(ch);

	if (level == ch->irq_level)
		return;
	ch->irq_level = level;
	if (ch->ops.irq)
		ch->ops.irq(ch->ops.opaque, level);
}

/* ------------------------------------------------------------------------- */
/* Addresses                                                                 */

/*
 * The sector the task file addresses: an LBA28 (device bit LBA set) or a CHS
 * address in the current translation (ATA-3 clause 6, "logical CHS"). Returns
 * false for a CHS address outside the translation, which a drive reports as IDNF.
 */
static bool task_file_lba(const struct ata_drive *d, uint32_t *lba)
{
	uint32_t cylinder = d->lbam | (uint32_t)d->lbah << 8;
	uint32_t head = d->device & ATA_DEV_HEAD_MASK, sector = d->lbal;

	if (d->device & ATA_DEV_LBA) {
		*lba = d->lbal | (uint32_t)d->lbam << 8 | (uint32_t)d->lbah << 16 | head << 24;
		return true;
	}
	if (sector == 0 || sector > d->spt || head >= d->heads || cylinder >= d->cylinders)
		return false;
	*lba = (cylinder * d->heads + head) * d->spt + sector - 1;
	return true;
}

/*
 * Put an address and a count in the task file, as drives report progress and errors
 * (ATA-2 and ATA-3 READ/WRITE SECTOR(S) outputs; ATA-6 leaves them to the drive):
 * the last sector transferred and 0 when done, or the sector in error and the
 * sectors not transferred. In CHS when the command came in CHS.
 */
static void report_address(struct ata_drive *d, uint32_t lba, uint32_t count)
{
	uint32_t per_cylinder, cylinder, rest;

	d->nsect = (uint8_t)count; /* 256 reads as 0, as it was written */
	if (!d->chs) {
		d->lbal = (uint8_t)lba;
		d->lbam = (uint8_t)(lba >> 8);
		d->lbah = (uint8_t)(lba >> 16);
		d->device = (d->device & ~ATA_DEV_HEAD_MASK) | ((lba >> 24) & ATA_DEV_HEAD_MASK);
		return;
	}
	per_cylinder = (uint32_t)d->heads * d->spt; /* both at least 1 */
	cylinder = lba / per_cylinder;
	rest = lba % per_cylinder;
	d->lbal = (uint8_t)(rest % d->spt + 1);
	d->lbam = (uint8_t)cylinder;
	d->lbah = (uint8_t)(cylinder >> 8);
	d->device = (d->device & ~ATA_DEV_HEAD_MASK) | (uint8_t)(rest / d->spt);
}

/* ------------------------------------------------------------------------- */
/* Command completion and PIO protocols (ATA/ATAPI-6 clause 9)               */

static void command_ok(struct ata_drive *d)
{
	d->status = ATA_SR_DRDY | ATA_SR_DSC;
	d->intrq = true;
}

static void command_error(struct ata_drive *d, uint8_t error, uint8_t status)
{
	end_transfer(d);
	d->error = error;
	d->status = ATA_SR_DRDY | ATA_SR_DSC | ATA_SR_ERR | status;
	d->intrq = true;
}

/* Sectors in the next DRQ block. */
static uint32_t block_sectors(const struct ata_drive *d)
{
	return d->remaining < d->block ? d->remaining : d->block;
}

/* PIO data-in: read the next block from the disk and offer it, with an interrupt (9.5). */
static void read_block(struct ata_drive *d)
{
	uint32_t n = block_sectors(d);

	if (disk_io(d->disk, false, d->buf, d->lba, n) < 0) {
		report_address(d, d->lba, d->remaining);
		command_error(d, ATA_ER_UNC, 0);
		return;
	}
	d->buf_pos = 0;
	d->buf_len = n * ATA_SECTOR_SIZE;
	d->status = ATA_SR_DRDY | ATA_SR_DSC | ATA_SR_DRQ;
	d->intrq = true;
}

/* PIO data-out: ask for the next block; every block but the first comes with an interrupt. */
static void request_block(struct ata_drive *d, bool interrupt)
{
	d->buf_pos = 0;
	d->buf_len = block_sectors(d) * ATA_SECTOR_SIZE;
	d->status = ATA_SR_DRDY | ATA_SR_DSC | ATA_SR_DRQ;
	if (interrupt)
		d->intrq = true;
}

/* The host moved the whole DRQ block: write it out (data-out), then go on or finish. */
static void block_done(struct ata_drive *d)
{
	uint32_t n = d->buf_len / ATA_SECTOR_SIZE;
	bool out = d->xfer == ATA_XFER_OUT;

	if (d->command == ATA_CMD_IDENTIFY) {
		end_transfer(d);
		d->status = ATA_SR_DRDY | ATA_SR_DSC;
		return;
	}
	if (out && (disk_write(d->disk, d->buf, d->lba, n) < 0 ||
		    (!d->write_cache && disk_flush(d->disk) < 0))) {
		/* The host could not take the data: a write fault (DF, ABRT). */
		report_address(d, d->lba, d->remaining);
		command_error(d, ATA_ER_ABRT, ATA_SR_DF);
		return;
	}
	d->remaining -= n;
	d->lba += n;
	report_address(d, d->lba - 1, d->remaining);
	if (d->remaining) {
		if (out)
			request_block(d, true);
		else
			read_block(d);
		return;
	}
	/* Data-in ends without an interrupt (the last block had one); data-out with one. */
	end_transfer(d);
	d->status = ATA_SR_DRDY | ATA_SR_DSC;
	if (out)
		d->intrq = true;
}

static uint16_t data_read(struct ata_channel *ch)
{
	struct ata_drive *d = &ch->drives[ch->selected];
	uint16_t word;

	/* No DRQ block (no command, or device 1 absent): nothing moves. */
	if (!d->disk || d->xfer != ATA_XFER_IN)
		return ATA_WORD_NONE;
	word = d->buf[d->buf_pos] | (uint16_t)(d->buf[d->buf_pos + 1] << 8);
	d->buf_pos += 2;
	if (d->buf_pos >= d->buf_len)
		block_done(d);
	return word;
}

static void data_write(struct ata_channel *ch, uint16_t word)
{
	struct ata_drive *d = &ch->drives[ch->selected];

	if (!d->disk || d->xfer != ATA_XFER_OUT)
		return;
	d->buf[d->buf_pos] = (uint8_t)word;
	d->buf[d->buf_pos + 1] = (uint8_t)(word >> 8);
	d->buf_pos += 2;
	if (d->buf_pos >= d->buf_len)
		block_done(d);
}

/* ------------------------------------------------------------------------- */
/* Commands (ATA/ATAPI-6 clause 8)                                           */

/* READ/WRITE SECTOR(S) and READ/WRITE MULTIPLE: check the range, then start PIO. */
static void start_sectors(struct ata_drive *d, uint8_t command, bool write, uint32_t block)
{
	uint32_t count = d->nsect ? d->nsect : ATA_MAX_COUNT, lba, bad;

	d->chs = !(d->device & ATA_DEV_LBA);
	if (write && d->disk->read_only) {
		command_error(d, ATA_ER_ABRT, 0);
		return;
	}
	if (!task_file_lba(d, &lba)) {
		command_error(d, ATA_ER_IDNF, 0);
		return;
	}
	/* The whole range is checked first: nothing moves if any of it is missing. */
	if ((uint64_t)lba + count > d->disk->sectors) {
		bad = lba > d->disk->sectors ? lba : d->disk->sectors;
		report_address(d, bad, count);
		command_error(d, ATA_ER_IDNF, 0);
		return;
	}
	d->command = command;
	d->xfer = write ? ATA_XFER_OUT : ATA_XFER_IN;
	d->lba = lba;
	d->remaining = count;
	d->block = block;
	if (write)
		request_block(d, false);
	else
		read_block(d);
}

static void put_word(uint8_t *buf, unsigned int word, uint16_t value)
{
	buf[2 * word] = (uint8_t)value;
	buf[2 * word + 1] = (uint8_t)(value >> 8);
}

/* An ATA string: space padded, two characters a word, the first in bits 15:8 (ATA-3 3.2.5). */
static void put_string(uint8_t *buf, unsigned int word, unsigned int words, const char *s)
{
	size_t len = strlen(s);

	for (unsigned int i = 0; i < 2 * words; i++)
		buf[2 * (word + i / 2) + ((i & 1) ? 0 : 1)] = i < len ? (uint8_t)s[i] : ' ';
}

/* IDENTIFY DEVICE data (ATA/ATAPI-6, 8.15): a PIO-only LBA28 disk with a write cache. */
static void identify_data(const struct ata_channel *ch, const struct ata_drive *d,
			  unsigned int slot, uint8_t *buf)
{
	uint16_t cylinders, heads, spt;
	uint32_t chs_capacity = (uint32_t)d->cylinders * d->heads * d->spt;
	char serial[2 * ID_SERIAL_WORDS + 1];
	uint8_t sum = 0;

	memset(buf, 0, ATA_SECTOR_SIZE);
	default_chs(d->disk->sectors, &cylinders, &heads, &spt);
	snprintf(serial, sizeof(serial), ATA_SERIAL_FORMAT, ch->index * ATA_DRIVES + slot);

	put_word(buf, ID_CONFIG, ID_CONFIG_FIXED);
	put_word(buf, ID_CYLINDERS, cylinders);
	put_word(buf, ID_HEADS, heads);
	put_word(buf, ID_SPT, spt);
	put_string(buf, ID_SERIAL, ID_SERIAL_WORDS, serial);
	put_string(buf, ID_FIRMWARE, ID_FIRMWARE_WORDS, ATA_FIRMWARE);
	put_string(buf, ID_MODEL, ID_MODEL_WORDS, ATA_MODEL);
	put_word(buf, ID_MAX_MULTIPLE, ID_MAX_MULTIPLE_MARK | ATA_MAX_MULTIPLE);
	put_word(buf, ID_CAPABILITIES, ID_CAP_LBA | ID_CAP_IORDY); /* no DMA */
	put_word(buf, ID_CAPABILITIES2, ID_CAP2_ONE);
	put_word(buf, ID_PIO_TIMING, ID_PIO_TIMING_MODE2);
	put_word(buf, ID_FIELD_VALID, ID_VALID_CHS | ID_VALID_TIMING | ID_VALID_UDMA);
	put_word(buf, ID_CUR_CYLINDERS, d->cylinders);
	put_word(buf, ID_CUR_HEADS, d->heads);
	put_word(buf, ID_CUR_SPT, d->spt);
	put_word(buf, ID_CUR_CAPACITY, (uint16_t)chs_capacity);
	put_word(buf, ID_CUR_CAPACITY + 1, (uint16_t)(chs_capacity >> 16));
	put_word(buf, ID_MULTIPLE, d->multiple ? ID_MULTIPLE_VALID | d->multiple : 0);
	put_word(buf, ID_LBA_CAPACITY, (uint16_t)d->disk->sectors);
	put_word(buf, ID_LBA_CAPACITY + 1, (uint16_t)(d->disk->sectors >> 16));
	put_word(buf, ID_PIO_MODES, ID_PIO_MODES_3_4);
	put_word(buf, ID_MIN_PIO_CYCLE, ID_PIO_CYCLE_NS);
	put_word(buf, ID_MIN_PIO_CYCLE_IORDY, ID_PIO_CYCLE_NS);
	put_word(buf, ID_MAJOR_VERSION, ID_MAJOR_ATA1_TO_ATA6);
	put_word(buf, ID_SUPPORTED, ID_CS_PM | ID_CS_WRITE_CACHE | ID_CS_LOOK_AHEAD);
	put_word(buf, ID_SUPPORTED2, ID_CS_WORD_VALID | ID_CS2_FLUSH_CACHE);
	put_word(buf, ID_SUPPORTED_EXT, ID_CS_WORD_VALID);
	put_word(buf, ID_ENABLED,
		 ID_CS_PM | (d->write_cache ? ID_CS_WRITE_CACHE : 0) |
			 (d->look_ahead ? ID_CS_LOOK_AHEAD : 0));
	put_word(buf, ID_ENABLED2, ID_CS2_FLUSH_CACHE);
	put_word(buf, ID_ENABLED_EXT, ID_CS_WORD_VALID);
	put_word(buf, ID_UDMA, 0);
	/* Integrity word: the 512 bytes sum to 0 modulo 256. */
	buf[2 * ID_INTEGRITY] = ID_INTEGRITY_SIGNATURE;
	for (unsigned int i = 0; i < ATA_SECTOR_SIZE - 1; i++)
		sum += buf[i];
	buf[2 * ID_INTEGRITY + 1] = (uint8_t)-sum;
}

static void identify(struct ata_channel *ch, struct ata_drive *d, unsigned int slot)
{
	identify_data(ch, d, slot, d->buf);
	d->command = ATA_CMD_IDENTIFY;
	d->xfer = ATA_XFER_IN;
	d->remaining = d->block = 1;
	d->buf_pos = 0;
	d->buf_len = ATA_SECTOR_SIZE;
	d->status = ATA_SR_DRDY | ATA_SR_DSC | ATA_SR_DRQ;
	d->intrq = true;
}

/* EXECUTE DEVICE DIAGNOSTIC (8.11): both devices, signature, device 0 interrupts. */
static void diagnostic(struct ata_channel *ch)
{
	for (unsigned int i = 0; i < ATA_DRIVES; i++) {
		struct ata_drive *d = &ch->drives[i];

		if (!d->disk)
			continue;
		end_transfer(d);
		set_signature(d);
		d->status = ATA_SR_DRDY | ATA_SR_DSC;
		d->intrq = false;
	}
	ch->selected = 0;
	if (ch->drives[0].disk)
		ch->drives[0].intrq = true;
}

/* INITIALIZE DEVICE PARAMETERS: sectors per track and heads of the CHS translation. */
static void initialize_parameters(struct ata_drive *d)
{
	uint32_t spt = d->nsect, heads = (d->device & ATA_DEV_HEAD_MASK) + 1u, cylinders;

	if (!spt) {
		command_error(d, ATA_ER_ABRT, 0);
		return;
	}
	cylinders = d->disk->sectors / (heads * spt);
	d->spt = (uint16_t)spt;
	d->heads = (uint16_t)heads;
	/* May be 0 for a tiny disk: CHS commands then get IDNF until a smaller geometry. */
	d->cylinders = cylinders > CHS_MAX_CYLINDERS ? CHS_MAX_CYLINDERS : (uint16_t)cylinders;
	command_ok(d);
}

static bool transfer_mode_supported(uint8_t mode)
{
	if (mode == ATA_XFER_PIO_DEFAULT || mode == ATA_XFER_PIO_DEFAULT_NOIORDY)
		return true;
	/* PIO flow control modes 0-4; the DMA modes are refused: PIO only. */
	return (mode & ~7u) == ATA_XFER_PIO_FLOW && (mode & 7u) <= ATA_XFER_PIO_MAX_MODE;
}

/* SET FEATURES (8.46): the common subcommands; the others abort. */
static void set_features(struct ata_drive *d)
{
	switch (d->features) {
	case ATA_FEAT_WRITE_CACHE_ON:
		d->write_cache = true;
		break;
	case ATA_FEAT_WRITE_CACHE_OFF:
		/* What the cache holds reaches the medium first. */
		if (disk_flush(d->disk) < 0) {
			command_error(d, ATA_ER_ABRT, ATA_SR_DF);
			return;
		}
		d->write_cache = false;
		break;
	case ATA_FEAT_LOOK_AHEAD_ON:
	case ATA_FEAT_LOOK_AHEAD_OFF:
		d->look_ahead = d->features == ATA_FEAT_LOOK_AHEAD_ON;
		break;
	case ATA_FEAT_REVERT_ON:
	case ATA_FEAT_REVERT_OFF:
		d->revert = d->features == ATA_FEAT_REVERT_ON;
		break;
	case ATA_FEAT_SET_TRANSFER_MODE:
		if (!transfer_mode_supported(d->nsect)) {
			command_error(d, ATA_ER_ABRT, 0);
			return;
		}
		break;
	default:
		command_error(d, ATA_ER_ABRT, 0);
		return;
	}
	command_ok(d);
}

static void execute(struct ata_channel *ch, uint8_t command)
{
	unsigned int slot = ch->selected;
	struct ata_drive *d = &ch->drives[slot];

	if (ch->devctl & ATA_CTL_SRST)
		return; /* in reset: BSY, nothing is taken */
	if (command == ATA_CMD_EXECUTE_DIAGNOSTIC) {
		diagnostic(ch); /* for both devices, whichever is selected */
		return;
	}
	/* Device 0 only configuration: device 1's commands are ignored (9.16.1). */
	if (!d->disk)
		return;
	/*
	 * A command written during a PIO transfer (the host ignored DRQ) abandons the
	 * transfer: a partly written block never reaches the disk. Writing the command
	 * register clears a pending interrupt (5.2.9).
	 */
	end_transfer(d);
	d->intrq = false;
	d->error = 0;
	d->status = ATA_SR_DRDY | ATA_SR_DSC;
	if ((command & COMMAND_GROUP_MASK) == ATA_CMD_RECALIBRATE ||
	    (command & COMMAND_GROUP_MASK) == ATA_CMD_SEEK) {
		command_ok(d); /* obsolete; nothing to move on a disk without heads */
		return;
	}
	switch (command) {
	case ATA_CMD_READ_SECTORS:
	case ATA_CMD_READ_SECTORS_NORETRY:
		start_sectors(d, command, false, 1);
		break;
	case ATA_CMD_WRITE_SECTORS:
	case ATA_CMD_WRITE_SECTORS_NORETRY:
		start_sectors(d, command, true, 1);
		break;
	case ATA_CMD_READ_MULTIPLE:
	case ATA_CMD_WRITE_MULTIPLE:
		/* Multiple mode not enabled by SET MULTIPLE MODE: aborted. */
		if (!d->multiple)
			command_error(d, ATA_ER_ABRT, 0);
		else
			start_sectors(d, command, command == ATA_CMD_WRITE_MULTIPLE, d->multiple);
		break;
	case ATA_CMD_SET_MULTIPLE:
		if (!multiple_valid(d->nsect)) {
			command_error(d, ATA_ER_ABRT, 0);
			break;
		}
		d->multiple = d->nsect;
		command_ok(d);
		break;
	case ATA_CMD_IDENTIFY:
		identify(ch, d, slot);
		break;
	case ATA_CMD_INITIALIZE_PARAMETERS:
		initialize_parameters(d);
		break;
	case ATA_CMD_SET_FEATURES:
		set_features(d);
		break;
	case ATA_CMD_FLUSH_CACHE:
		if (disk_flush(d->disk) < 0)
			command_error(d, ATA_ER_ABRT, ATA_SR_DF);
		else
			command_ok(d);
		break;
	case ATA_CMD_CHECK_POWER_MODE:
		d->nsect = CHECK_POWER_MODE_ACTIVE;
		command_ok(d);
		break;
	case ATA_CMD_STANDBY_IMMEDIATE:
	case ATA_CMD_IDLE_IMMEDIATE:
	case ATA_CMD_STANDBY:
	case ATA_CMD_IDLE:
	case ATA_CMD_SLEEP:
		command_ok(d); /* a file has no spindle: always active */
		break;
	default:
		/* Unknown, IDENTIFY PACKET DEVICE (not a PACKET device), 48-bit, DMA ... */
		command_error(d, ATA_ER_ABRT, 0);
		break;
	}
}

/* ------------------------------------------------------------------------- */
/* Registers                                                                 */

static uint8_t cmd_read_byte(struct ata_channel *ch, unsigned int reg)
{
	struct ata_drive *selected = &ch->drives[ch->selected];
	/* Device 0 answers for an absent device 1 (9.16.1), except status. */
	const struct ata_drive *d = selected->disk ? selected : &ch->drives[0];

	if (!d->disk)
		return ATA_BUS_FLOATING;
	if (reg == ATA_REG_STATUS) {
		if (!selected->disk)
			return 0;
		selected->intrq = false; /* reading status acknowledges the interrupt */
		return selected->status;
	}
	if (d->status & ATA_SR_BSY)
		return d->status; /* while busy every register reads as status */
	switch (reg) {
	case ATA_REG_ERROR:
		return d->error;
	case ATA_REG_NSECT:
		return d->nsect;
	case ATA_REG_LBAL:
		return d->lbal;
	case ATA_REG_LBAM:
		return d->lbam;
	case ATA_REG_LBAH:
		return d->lbah;
	case ATA_REG_DEVICE:
		return d->device;
	}
	return ATA_BUS_FLOATING;
}

static void cmd_write_byte(struct ata_channel *ch, unsigned int reg, uint8_t value)
{
	if (reg == ATA_REG_COMMAND) {
		execute(ch, value);
		return;
	}
	if (ch->devctl & ATA_CTL_SRST)
		return;		    /* devices in reset take no register writes */
	ch->devctl &= ~ATA_CTL_HOB; /* any command block write clears HOB */
	for (unsigned int i = 0; i < ATA_DRIVES; i++) {
		struct ata_drive *d = &ch->drives[i];

		if (!d->disk)
			continue;
		switch (reg) {
		case ATA_REG_FEATURES:
			d->features = value;
			break;
		case ATA_REG_NSECT:
			d->nsect = value;
			break;
		case ATA_REG_LBAL:
			d->lbal = value;
			break;
		case ATA_REG_LBAM:
			d->lbam = value;
			break;
		case ATA_REG_LBAH:
			d->lbah = value;
			break;
		case ATA_REG_DEVICE:
			d->device = value;
			break;
		}
	}
	if (reg == ATA_REG_DEVICE)
		ch->selected = (value & ATA_DEV_DEV) ? 1 : 0;
}

static uint8_t alt_status(const struct ata_channel *ch)
{
	const struct ata_drive *d = &ch->drives[ch->selected];

	if (!ch->drives[0].disk)
		return ATA_BUS_FLOATING;
	return d->disk ? d->status : 0;
}

/* Device control: nIEN, and SRST, which resets both devices while held (9.2). */
static void control_write(struct ata_channel *ch, uint8_t value)
{
	bool was_reset = ch->devctl & ATA_CTL_SRST, reset = value & ATA_CTL_SRST;

	ch->devctl = value;
	for (unsigned int i = 0; i < ATA_DRIVES; i++) {
		struct ata_drive *d = &ch->drives[i];

		if (!d->disk)
			continue;
		if (!was_reset && reset) {
			end_transfer(d);
			d->intrq = false;
			d->status = ATA_SR_BSY;
		} else if (was_reset && !reset) {
			/* Reset done: signature, ready, and no interrupt. */
			if (d->revert)
				default_features(d);
			set_signature(d);
			d->status = ATA_SR_DRDY | ATA_SR_DSC;
		}
	}
	if (was_reset && !reset)
		ch->selected = 0;
}

/* ------------------------------------------------------------------------- */
/* Public API                                                                */

void ata_init(struct ata_channel *ch, unsigned int index, const struct ata_ops *ops)
{
	memset(ch, 0, sizeof(*ch));
	pthread_mutex_init(&ch->lock, NULL);
	if (ops)
		ch->ops = *ops;
	ch->index = index;
}

void ata_destroy(struct ata_channel *ch)
{
	pthread_mutex_destroy(&ch->lock);
}

int ata_attach(struct ata_channel *ch, unsigned int slot, struct ata_disk *disk)
{
	int ret = 0;

	if (slot >= ATA_DRIVES)
		return error_set(EINVAL, "ATA: no drive slot %u", slot);
	if (!disk || disk->fd < 0 || !disk->sectors)
		return error_set(EINVAL, "ATA: slot %u: the disk is not open", slot);
	pthread_mutex_lock(&ch->lock);
	if (ch->drives[slot].disk)
		ret = error_set(EINVAL, "ATA: slot %u already has a disk", slot);
	else if (slot == 1 && !ch->drives[0].disk)
		ret = error_set(EINVAL, "ATA: a slave disk needs a master on its channel");
	if (!ret) {
		ch->drives[slot].disk = disk;
		power_on(&ch->drives[slot]);
	}
	pthread_mutex_unlock(&ch->lock);
	return ret;
}

void ata_reset(struct ata_channel *ch)
{
	pthread_mutex_lock(&ch->lock);
	ch->devctl = 0;
	ch->selected = 0;
	for (unsigned int i = 0; i < ATA_DRIVES; i++)
		if (ch->drives[i].disk)
			power_on(&ch->drives[i]);
	update_irq(ch);
	pthread_mutex_unlock(&ch->lock);
}

int ata_cmd_read(void *opaque, uint64_t offset, void *data, uint32_t size)
{
	struct ata_channel *ch = opaque;
	uint8_t *out = data;

	if (!size || size > ATA_MAX_ACCESS)
		return error_set(EINVAL, "ATA: %u-byte register access", size);
	pthread_mutex_lock(&ch->lock);
	if (offset == ATA_REG_DATA) {
		for (uint32_t i = 0; i < size; i += 2) {
			uint16_t word = data_read(ch);

			out[i] = (uint8_t)word;
			if (i + 1 < size)
				out[i + 1] = (uint8_t)(word >> 8);
		}
	} else {
		for (uint32_t i = 0; i < size; i++)
			out[i] = offset + i < ATA_CMD_PORTS
					 ? cmd_read_byte(ch, (unsigned int)(offset + i))
					 : ATA_BUS_FLOATING;
	}
	update_irq(ch);
	pthread_mutex_unlock(&ch->lock);
	return 0;
}

int ata_cmd_write(void *opaque, uint64_t offset, const void *data, uint32_t size)
{
	struct ata_channel *ch = opaque;
	const uint8_t *in = data;

	if (!size || size > ATA_MAX_ACCESS)
		return error_set(EINVAL, "ATA: %u-byte register access", size);
	pthread_mutex_lock(&ch->lock);
	if (offset == ATA_REG_DATA) {
		for (uint32_t i = 0; i < size; i += 2)
			data_write(ch, in[i] | (i + 1 < size ? (uint16_t)(in[i + 1] << 8) : 0));
	} else {
		for (uint32_t i = 0; i < size && offset + i < ATA_CMD_PORTS; i++)
			cmd_write_byte(ch, (unsigned int)(offset + i), in[i]);
	}
	update_irq(ch);
	pthread_mutex_unlock(&ch->lock);
	return 0;
}

int ata_ctrl_read(void *opaque, uint64_t offset, void *data, uint32_t size)
{
	struct ata_channel *ch = opaque;
	uint8_t *out = data;

	if (!size || size > ATA_MAX_ACCESS)
		return error_set(EINVAL, "ATA: %u-byte register access", size);
	pthread_mutex_lock(&ch->lock);
	memset(out, ATA_BUS_FLOATING, size);
	/* Alternate status: the status without acknowledging the interrupt. */
	if (offset == 0)
		out[0] = alt_status(ch);
	pthread_mutex_unlock(&ch->lock);
	return 0;
}

int ata_ctrl_write(void *opaque, uint64_t offset, const void *data, uint32_t size)
{
	struct ata_channel *ch = opaque;

	if (!size || size > ATA_MAX_ACCESS)
		return error_set(EINVAL, "ATA: %u-byte register access", size);
	pthread_mutex_lock(&ch->lock);
	if (offset == 0)
		control_write(ch, *(const uint8_t *)data);
	update_irq(ch);
	pthread_mutex_unlock(&ch->lock);
	return 0;
}

/* ------------------------------------------------------------------------- */
/* Save and restore                                                          */

void ata_save(const struct ata_channel *ch, struct ata_state *out)
{
	/* Locking does not change the state: the lock is not part of it. */
	pthread_mutex_t *lock = (pthread_mutex_t *)&ch->lock;

	memset(out, 0, sizeof(*out));
	pthread_mutex_lock(lock);
	out->version = ATA_STATE_VERSION;
	out->devctl = ch->devctl;
	out->selected = (uint8_t)ch->selected;
	out->irq_level = (uint8_t)ch->irq_level;
	for (unsigned int i = 0; i < ATA_DRIVES; i++) {
		const struct ata_drive *d = &ch->drives[i];
		struct ata_drive_state *s = &out->drives[i];

		if (!d->disk)
			continue;
		s->sectors = d->disk->sectors;
		s->lba = d->lba;
		s->remaining = d->remaining;
		s->block = d->block;
		s->buf_pos = d->buf_pos;
		s->buf_len = d->buf_len;
		s->cylinders = d->cylinders;
		s->heads = d->heads;
		s->spt = d->spt;
		s->error = d->error;
		s->features = d->features;
		s->nsect = d->nsect;
		s->lbal = d->lbal;
		s->lbam = d->lbam;
		s->lbah = d->lbah;
		s->device = d->device;
		s->status = d->status;
		s->command = d->command;
		s->xfer = (uint8_t)d->xfer;
		s->chs = d->chs;
		s->intrq = d->intrq;
		s->multiple = d->multiple;
		s->write_cache = d->write_cache;
		s->look_ahead = d->look_ahead;
		s->revert = d->revert;
		memcpy(s->buf, d->buf, d->buf_len);
	}
	pthread_mutex_unlock(lock);
}

static bool all_zero(const void *p, size_t len)
{
	const uint8_t *b = p;

	for (size_t i = 0; i < len; i++)
		if (b[i])
			return false;
	return true;
}

/* A saved PIO transfer's command, direction and block size go together. */
static bool transfer_consistent(const struct ata_drive_state *s, bool read_only)
{
	switch (s->command) {
	case ATA_CMD_IDENTIFY:
		return s->xfer == ATA_XFER_IN && s->block == 1 && s->remaining == 1 && s->lba == 0;
	case ATA_CMD_READ_SECTORS:
	case ATA_CMD_READ_SECTORS_NORETRY:
		return s->xfer == ATA_XFER_IN && s->block == 1;
	case ATA_CMD_WRITE_SECTORS:
	case ATA_CMD_WRITE_SECTORS_NORETRY:
		return s->xfer == ATA_XFER_OUT && s->block == 1 && !read_only;
	case ATA_CMD_READ_MULTIPLE:
		return s->xfer == ATA_XFER_IN && s->multiple && s->block == s->multiple;
	case ATA_CMD_WRITE_MULTIPLE:
		return s->xfer == ATA_XFER_OUT && s->multiple && s->block == s->multiple &&
		       !read_only;
	}
	return false;
}

static int check_drive_state(const struct ata_drive_state *s, const struct ata_disk *disk,
			     bool in_reset, unsigned int slot)
{
	const char *why = NULL;
	uint32_t block_len;

	if (!disk) {
		if (!all_zero(s, sizeof(*s)))
			return error_set(EINVAL, "ATA state: slot %u: a drive, but no disk here",
					 slot);
		return 0;
	}
	if (s->sectors != disk->sectors)
		why = "the disk's size differs";
	else if (!all_zero(s->reserved, sizeof(s->reserved)))
		why = "reserved bytes are not zero";
	else if (s->chs > 1 || s->intrq > 1 || s->write_cache > 1 || s->look_ahead > 1 ||
		 s->revert > 1)
		why = "a flag is not 0 or 1";
	else if (!multiple_valid(s->multiple))
		why = "bad multiple setting";
	else if (!s->heads || s->heads > CHS_MAX_HEADS || !s->spt || s->spt > UINT8_MAX ||
		 (uint64_t)s->cylinders * s->heads * s->spt > disk->sectors)
		why = "bad CHS translation";
	else if (!(s->status & ATA_SR_BSY) != !in_reset)
		why = "BSY does not match SRST";
	else if (in_reset && (s->xfer != ATA_XFER_NONE || s->intrq))
		why = "a transfer or interrupt during reset";
	else if (!(s->status & ATA_SR_DRQ) != (s->xfer == ATA_XFER_NONE))
		why = "DRQ does not match the transfer";
	if (why)
		return error_set(EINVAL, "ATA state: slot %u: %s", slot, why);
	if (s->xfer == ATA_XFER_NONE) {
		if (s->command || s->lba || s->remaining || s->block || s->buf_pos || s->buf_len)
			return error_set(EINVAL, "ATA state: slot %u: leftover transfer", slot);
		return 0;
	}
	if (s->xfer > ATA_XFER_OUT || !transfer_consistent(s, disk->read_only))
		return error_set(EINVAL, "ATA state: slot %u: bad transfer command 0x%02x", slot,
				 s->command);
	block_len = (s->remaining < s->block ? s->remaining : s->block) * ATA_SECTOR_SIZE;
	if (!s->remaining || s->remaining > ATA_MAX_COUNT || s->buf_len != block_len ||
	    s->buf_pos >= s->buf_len || s->buf_pos % 2 ||
	    (s->command != ATA_CMD_IDENTIFY && (uint64_t)s->lba + s->remaining > disk->sectors))
		return error_set(EINVAL, "ATA state: slot %u: bad transfer position", slot);
	return 0;
}

int ata_restore(struct ata_channel *ch, const struct ata_state *in)
{
	const struct ata_drive_state *sel = &in->drives[in->selected % ATA_DRIVES];
	bool in_reset = in->devctl & ATA_CTL_SRST;
	int ret = 0, level;

	if (in->version != ATA_STATE_VERSION)
		return error_set(EINVAL, "ATA state: version %u, expected %u", in->version,
				 ATA_STATE_VERSION);
	if (in->reserved || in->selected >= ATA_DRIVES || in->irq_level > 1)
		return error_set(EINVAL, "ATA state: bad channel fields");
	/* The line level follows from the rest (as intrq_level() computes it). */
	level = sel->sectors && sel->intrq && !(in->devctl & ATA_CTL_NIEN);
	if (level != in->irq_level)
		return error_set(EINVAL, "ATA state: INTRQ level %u does not follow the state",
				 in->irq_level);
	pthread_mutex_lock(&ch->lock);
	for (unsigned int i = 0; i < ATA_DRIVES && !ret; i++)
		ret = check_drive_state(&in->drives[i], ch->drives[i].disk, in_reset, i);
	if (ret) {
		pthread_mutex_unlock(&ch->lock);
		return ret;
	}
	for (unsigned int i = 0; i < ATA_DRIVES; i++) {
		struct ata_drive *d = &ch->drives[i];
		const struct ata_drive_state *s = &in->drives[i];

		if (!d->disk)
			continue;
		d->lba = s->lba;
		d->remaining = s->remaining;
		d->block = s->block;
		d->buf_pos = s->buf_pos;
		d->buf_len = s->buf_len;
		d->cylinders = s->cylinders;
		d->heads = s->heads;
		d->spt = s->spt;
		d->error = s->error;
		d->features = s->features;
		d->nsect = s->nsect;
		d->lbal = s->lbal;
		d->lbam = s->lbam;
		d->lbah = s->lbah;
		d->device = s->device;
		d->status = s->status;
		d->command = s->command;
		d->xfer = (enum ata_xfer)s->xfer;
		d->chs = s->chs;
		d->intrq = s->intrq;
		d->multiple = s->multiple;
		d->write_cache = s->write_cache;
		d->look_ahead = s->look_ahead;
		d->revert = s->revert;
		memcpy(d->buf, s->buf, s->buf_len);
	}
	ch->devctl = in->devctl;
	ch->selected = in->selected;
	ch->irq_level = level;
	/* Tell the VM the line's level even if unchanged: its interrupt controller may not know. */
	if (ch->ops.irq)
		ch->ops.irq(ch->ops.opaque, level);
	pthread_mutex_unlock(&ch->lock);
	return 0;
}
