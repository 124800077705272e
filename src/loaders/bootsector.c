/* SPDX-License-Identifier: MIT */
/* Boot sectors at 0000:7C00 without a BIOS: placement, the IVT trap stub, and the diagnosis of BIOS calls. */
#include "loaders/bootsector.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "arch/x86/x86.h"
#include "error.h"

#define bs_error(bs, fmt, ...) error_set(ENOEXEC, "disk '%s': " fmt, (bs)->path, ##__VA_ARGS__)

int bootsector_parse(const uint8_t *buf, size_t size, struct bootsector *bs)
{
	if (size < BOOT_SECTOR_SIZE)
		return bs_error(bs, "%zu bytes, shorter than one %d-byte sector: no boot sector",
				size, BOOT_SECTOR_SIZE);
	if (buf[BOOT_SIGNATURE_OFFSET] != BOOT_SIGNATURE_0 ||
	    buf[BOOT_SIGNATURE_OFFSET + 1] != BOOT_SIGNATURE_1)
		return bs_error(
			bs,
			"sector 0 is not bootable: bytes %d-%d are 0x%02x 0x%02x, not the boot signature 0x%02x 0x%02x",
			BOOT_SIGNATURE_OFFSET, BOOT_SIGNATURE_OFFSET + 1,
			buf[BOOT_SIGNATURE_OFFSET], buf[BOOT_SIGNATURE_OFFSET + 1],
			BOOT_SIGNATURE_0, BOOT_SIGNATURE_1);
	memcpy(bs->sector, buf, BOOT_SECTOR_SIZE);
	return 0;
}

int bootsector_read(const char *path, struct bootsector *bs)
{
	uint8_t buf[BOOT_SECTOR_SIZE];
	size_t got = 0;
	struct stat st;
	int fd, ret = 0;

	memset(bs, 0, sizeof(*bs));
	snprintf(bs->path, sizeof(bs->path), "%s", path);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return error_errno(errno, "disk '%s'", path);
	if (fstat(fd, &st) < 0) {
		ret = error_errno(errno, "disk '%s'", path);
		goto out;
	}
	if (!S_ISREG(st.st_mode) && !S_ISBLK(st.st_mode)) {
		ret = bs_error(bs, "not a regular file or block device");
		goto out;
	}
	while (got < sizeof(buf)) {
		ssize_t n = pread(fd, buf + got, sizeof(buf) - got, got);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			ret = error_errno(EIO, "disk '%s': reading sector 0", path);
			goto out;
		}
		if (n == 0)
			break;
		got += n;
	}
	ret = bootsector_parse(buf, got, bs);
out:
	close(fd);
	return ret;
}

/* 16-bit opcodes of the stub (SDM 2, instruction set reference). */
#define OP_PUSH_AX	0x50
#define OP_PUSH_DX	0x52
#define OP_MOV_RM16_SEG 0x8c /* mov r/m16, Sreg */
#define MODRM_AX_CS	0xc8 /* mod 11, reg 1 (CS), r/m 0 (AX) */
#define OP_SUB_AX_IMM16 0x2d
#define OP_MOV_DX_IMM16 0xba
#define OP_OUT_DX_AL	0xee
#define OP_HLT		0xf4
#define OP_JMP_REL8	0xeb
#define LOW_BYTE(x)	((uint8_t)((x)&0xff))
#define HIGH_BYTE(x)	((uint8_t)(((x) >> 8) & 0xff))
/* Offsets into the stub: after `push ax` (1 word pushed), after `push dx` (2 words). */
#define STUB_AFTER_PUSH_AX 1
#define STUB_AFTER_PUSHES  2
#define STUB_PUSHES	   2

int bootsector_trap_stub(uint8_t *buf, size_t len)
{
	/* clang-format off */
	const uint8_t stub[] = {
		OP_PUSH_AX,					/* push %ax: the caller's AH (function) */
		OP_PUSH_DX,					/* push %dx: and DL (drive), for a dump */
		OP_MOV_RM16_SEG, MODRM_AX_CS,			/* mov %cs, %ax */
		OP_SUB_AX_IMM16, LOW_BYTE(NOBIOS_STUB_SEGMENT_BASE),
		HIGH_BYTE(NOBIOS_STUB_SEGMENT_BASE),		/* sub $BASE, %ax: AL = vector */
		OP_MOV_DX_IMM16, LOW_BYTE(PORT_NOBIOS_TRAP),
		HIGH_BYTE(PORT_NOBIOS_TRAP),			/* mov $PORT_NOBIOS_TRAP, %dx */
		OP_OUT_DX_AL,					/* out %al, (%dx): the VMM stops */
		OP_HLT,						/* 1: hlt */
		OP_JMP_REL8, (uint8_t)-3,			/* jmp 1b */
	};
	/* clang-format on */
	_Static_assert(sizeof(stub) == NOBIOS_STUB_SIZE, "NOBIOS_STUB_SIZE is the stub's size");

	if (len < sizeof(stub))
		return -ENOSPC;
	memcpy(buf, stub, sizeof(stub));
	return sizeof(stub);
}

int bootsector_install_traps(const struct guest_memory *mem)
{
	uint8_t *stub = guest_ptr(mem, LAYOUT_NOBIOS_STUB, NOBIOS_STUB_SIZE);
	uint8_t *ivt = guest_ptr(mem, LAYOUT_IVT, IVT_VECTORS * IVT_ENTRY_SIZE);

	if (!stub || !ivt)
		return error_set(EFAULT, "the IVT and the trap stub at 0x%llx are not guest RAM",
				 LAYOUT_NOBIOS_STUB);
	bootsector_trap_stub(stub, NOBIOS_STUB_SIZE);
	for (unsigned int n = 0; n < IVT_VECTORS; n++) {
		/* A real-mode vector: offset, then segment (SDM 3A 20.1.4). */
		uint16_t entry[2] = { NOBIOS_STUB_OFFSET(n), NOBIOS_STUB_SEGMENT(n) };

		memcpy(ivt + n * IVT_ENTRY_SIZE, entry, sizeof(entry));
	}
	return 0;
}

int bootsector_place(const struct bootsector *bs, const struct guest_memory *mem,
		     struct loader_entry *entry)
{
	int ret;

	if (guest_write(mem, LAYOUT_BOOT_SECTOR, bs->sector, BOOT_SECTOR_SIZE))
		return error_set(EFAULT, "disk '%s': 0x%llx is not guest RAM", bs->path,
				 LAYOUT_BOOT_SECTOR);
	ret = bootsector_install_traps(mem);
	if (ret < 0)
		return ret;
	*entry = (struct loader_entry){ .mode = BOOT_MODE_REAL,
					.entry = LAYOUT_BOOT_SECTOR,
					.edx = BOOT_DRIVE_FIRST_HD,
					.esp = LAYOUT_BOOT_SECTOR_STACK };
	return 0;
}

/* PC BIOS service vectors (IBM PC/AT Technical Reference, BIOS listing). */
#define BIOS_INT_VIDEO	   0x10
#define BIOS_INT_EQUIPMENT 0x11
#define BIOS_INT_MEMORY	   0x12
#define BIOS_INT_DISK	   0x13
#define BIOS_INT_SERIAL	   0x14
#define BIOS_INT_SYSTEM	   0x15
#define BIOS_INT_KEYBOARD  0x16
#define BIOS_INT_PRINTER   0x17
#define BIOS_INT_BASIC	   0x18
#define BIOS_INT_BOOTSTRAP 0x19
#define BIOS_INT_CLOCK	   0x1a

const char *bootsector_bios_hint(unsigned int vector)
{
	switch (vector) {
	case BIOS_INT_VIDEO:
		return "video: write text to COM1, I/O ports 0x3F8-0x3FF";
	case BIOS_INT_EQUIPMENT:
		return "equipment list: there is none";
	case BIOS_INT_MEMORY:
		return "memory size: RAM runs from 0 to the EBDA at 0x9FC00";
	case BIOS_INT_DISK:
		return "disk: use ATA PIO ports 0x1F0-0x1F7";
	case BIOS_INT_SERIAL:
		return "serial: program COM1 at I/O ports 0x3F8-0x3FF directly";
	case BIOS_INT_SYSTEM:
		return "system services: none; A20 is already enabled";
	case BIOS_INT_KEYBOARD:
		return "keyboard: read COM1 at I/O ports 0x3F8-0x3FF";
	case BIOS_INT_PRINTER:
		return "printer: there is none";
	case BIOS_INT_BASIC:
		return "ROM BASIC: there is none";
	case BIOS_INT_BOOTSTRAP:
		return "bootstrap: sector 0 is already at 0x7C00";
	case BIOS_INT_CLOCK:
		return "time of day: there is no clock service";
	}
	return NULL;
}

/* Instruction bytes the diagnosis looks for (SDM 2, INT n/INTO/INT3/INT1). */
#define OP_INT_IMM8  0xcd
#define OP_INT3	     0xcc
#define OP_INTO	     0xce
#define INT_IMM8_LEN 2
#define VECTOR_BP    3
#define VECTOR_OF    4
/* Real-mode stack words and IVT entries (SDM 3A 20.1.4: offset, then segment). */
#define REAL_WORD	  2
#define IVT_SEGMENT_FIELD 2
#define AH_SHIFT	  8
#define EXTRA_MAX	  32 /* "; AH was 02h" */

/* Real-mode addresses: selector * 16 + a 16-bit offset (which wraps within its segment). */
static uint64_t linear(uint16_t seg, uint16_t off)
{
	return ((uint64_t)seg << X86_REAL_SEGMENT_SHIFT) + off;
}

static int read8(const struct guest_memory *mem, uint16_t seg, uint16_t off, uint8_t *v)
{
	return guest_read(mem, linear(seg, off), v, 1);
}

static int read16(const struct guest_memory *mem, uint16_t seg, uint16_t off, uint16_t *v)
{
	uint8_t lo, hi;

	if (read8(mem, seg, off, &lo) || read8(mem, seg, (uint16_t)(off + 1), &hi))
		return -EFAULT;
	*v = lo | hi << 8;
	return 0;
}

/* The IVT entry of vector as a linear address, or -EFAULT. */
static int64_t ivt_target(const struct guest_memory *mem, unsigned int vector)
{
	uint16_t off, seg;

	if (read16(mem, 0, vector * IVT_ENTRY_SIZE, &off) ||
	    read16(mem, 0, vector * IVT_ENTRY_SIZE + IVT_SEGMENT_FIELD, &seg))
		return -EFAULT;
	return linear(seg, off);
}

/* True if the two bytes before seg:ret are INT vector. */
static bool int_before(const struct guest_memory *mem, uint16_t seg, uint16_t ret,
		       unsigned int vector)
{
	uint8_t op, imm;

	return !read8(mem, seg, (uint16_t)(ret - INT_IMM8_LEN), &op) &&
	       !read8(mem, seg, (uint16_t)(ret - 1), &imm) && op == OP_INT_IMM8 && imm == vector;
}

static bool byte_before_is(const struct guest_memory *mem, uint16_t seg, uint16_t ret, uint8_t want)
{
	uint8_t op;

	return !read8(mem, seg, (uint16_t)(ret - 1), &op) && op == want;
}

static int say(char *msg, size_t size, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static int say(char *msg, size_t size, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(msg, size, fmt, ap);
	va_end(ap);
	if (n < 0)
		return 0;
	return (size_t)n < size ? n : (int)size - 1;
}

/* "INT 13h called at 0000:7C25, but there is no BIOS ... (hint)" */
static int say_bios_call(char *msg, size_t size, unsigned int vector, uint16_t seg, uint16_t at,
			 const char *extra)
{
	const char *hint = bootsector_bios_hint(vector);

	return say(
		msg, size,
		"INT %02Xh called at %04X:%04X, but there is no BIOS: mini-kvm boots sectors without BIOS services (%s)%s",
		vector, seg, at, hint ? hint : "and nothing handles this vector", extra);
}

/* CS:IP is in the stub: which vector brought the CPU there, and from where. */
static int diagnose_stub(const struct guest_memory *mem, const struct bootsector_cpu *cpu,
			 char *msg, size_t size)
{
	uint64_t off = linear(cpu->cs, cpu->ip) - LAYOUT_NOBIOS_STUB;
	unsigned int pushed = off >= STUB_AFTER_PUSHES	  ? STUB_PUSHES
			      : off >= STUB_AFTER_PUSH_AX ? 1
							  : 0;
	uint16_t frame = cpu->sp + REAL_WORD * pushed; /* the INT's frame: IP, CS, FLAGS */
	uint16_t ret_ip, ret_cs, ax = 0;
	bool have_ax = false;
	unsigned int vector;
	char extra[EXTRA_MAX] = "";

	if (cpu->cs < NOBIOS_STUB_SEGMENT_BASE || cpu->cs >= NOBIOS_STUB_SEGMENT(IVT_VECTORS))
		return say(
			msg, size,
			"the guest reached the no-BIOS trap stub at %04X:%04X, not through an IVT vector (there is no BIOS)",
			cpu->cs, cpu->ip);
	vector = cpu->cs - NOBIOS_STUB_SEGMENT_BASE;
	if (read16(mem, cpu->ss, frame, &ret_ip) ||
	    read16(mem, cpu->ss, frame + REAL_WORD, &ret_cs))
		return say(
			msg, size,
			"vector %02Xh was raised, but there is no BIOS to handle it (the return address at %04X:%04X is not readable)",
			vector, cpu->ss, frame);
	/* AX is the stub's first push: the word just below the frame. */
	if (pushed >= 1 && !read16(mem, cpu->ss, frame - REAL_WORD, &ax))
		have_ax = true;
	if (have_ax)
		snprintf(extra, sizeof(extra), "; AH was %02Xh", ax >> AH_SHIFT);

	if (int_before(mem, ret_cs, ret_ip, vector))
		return say_bios_call(msg, size, vector, ret_cs, (uint16_t)(ret_ip - INT_IMM8_LEN),
				     extra);
	if ((vector == VECTOR_BP && byte_before_is(mem, ret_cs, ret_ip, OP_INT3)) ||
	    (vector == VECTOR_OF && byte_before_is(mem, ret_cs, ret_ip, OP_INTO)))
		return say(msg, size,
			   "%s at %04X:%04X, but there is no BIOS or debugger to catch it",
			   vector == VECTOR_BP ? "INT3" : "INTO", ret_cs, (uint16_t)(ret_ip - 1));
	if (vector < X86_NR_EXCEPTIONS)
		return say(
			msg, size,
			"CPU exception %02Xh (%s) with return address %04X:%04X, and there is no BIOS to handle it",
			vector, x86_exception_name(vector), ret_cs, ret_ip);
	return say(
		msg, size,
		"vector %02Xh was raised with return address %04X:%04X (no INT %02Xh there: an interrupt), and there is no BIOS to handle it",
		vector, ret_cs, ret_ip, vector);
}

/* True if every byte of [0, end] is zero: what an empty vector runs into from 0000:0000. */
static bool in_low_zeroes(const struct guest_memory *mem, uint64_t end)
{
	const uint8_t *p;

	if (end >= LAYOUT_BOOT_SECTOR || !(p = guest_ptr(mem, 0, end + 1)))
		return false;
	for (uint64_t i = 0; i <= end; i++) {
		if (p[i])
			return false;
	}
	return true;
}

int bootsector_diagnose(const struct guest_memory *mem, const struct bootsector_cpu *cpu, char *msg,
			size_t size)
{
	uint64_t here = linear(cpu->cs, cpu->ip);
	uint16_t ret_ip, ret_cs;
	uint8_t op, imm;

	if (!size)
		return -EINVAL;
	msg[0] = '\0';
	if (here >= LAYOUT_NOBIOS_STUB && here < LAYOUT_NOBIOS_STUB + NOBIOS_STUB_SIZE)
		return diagnose_stub(mem, cpu, msg, size);

	/* An empty vector: the CPU went to 0000:0000 and runs the zeroes there (00 00 is an
	 * ADD) with the INT's frame still on top of the stack. */
	if (in_low_zeroes(mem, here) && !read16(mem, cpu->ss, cpu->sp, &ret_ip) &&
	    !read16(mem, cpu->ss, (uint16_t)(cpu->sp + REAL_WORD), &ret_cs) &&
	    !read8(mem, ret_cs, (uint16_t)(ret_ip - 1), &imm) && ivt_target(mem, imm) == 0 &&
	    int_before(mem, ret_cs, ret_ip, imm))
		return say_bios_call(msg, size, imm, ret_cs, (uint16_t)(ret_ip - INT_IMM8_LEN),
				     "; its IVT vector is 0000:0000");

	/* About to call a vector that is empty. */
	if (!read8(mem, cpu->cs, cpu->ip, &op) && op == OP_INT_IMM8 &&
	    !read8(mem, cpu->cs, (uint16_t)(cpu->ip + 1), &imm) && ivt_target(mem, imm) == 0)
		return say_bios_call(msg, size, imm, cpu->cs, cpu->ip,
				     "; its IVT vector is 0000:0000");
	return 0;
}
