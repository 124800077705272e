/* SPDX-License-Identifier: MIT */
/* Unit tests of the boot-sector loader (src/loaders/bootsector.c): signature, placement, the trap stub, the diagnosis. */
#include "loader_test.h"

#include <errno.h>
#include <sys/stat.h>

#include "arch/x86/layout.h"
#include "loaders/bootsector.h"

#define DISK_NAME "test-disk.img"
#define DISK_SIZE (64 * 1024)

/* The stub as objdump -m i8086 shows it (push, push, mov cs, sub, mov dx, out, hlt, jmp). */
static const uint8_t expected_stub[NOBIOS_STUB_SIZE] = {
	0x50, 0x52, 0x8c, 0xc8, 0x2d, 0xc1, 0x9e, 0xba, 0x10, 0x05, 0xee, 0xf4, 0xeb, 0xfd,
};
#define STUB_AT_OUT 0x0a /* offset of `out %al, (%dx)` */
#define STUB_AT_HLT 0x0b

/* Where the synthetic boot sectors below keep their code and stack. */
#define CALL_IP	    0x7c20 /* an INT n instruction */
#define STACK_TOP   0x7c00 /* SS:SP before the INT */
#define GUEST_FLAGS 0x0202 /* FLAGS pushed by the INT: IF set, bit 1 */
#define GUEST_AX    0x0201 /* AH = 02h (read sectors), AL = 1 */
#define GUEST_DX    0x0080

static uint8_t *sector_build(void)
{
	uint8_t *buf = calloc(1, DISK_SIZE);

	assert_non_null(buf);
	unit_fill_pattern(buf, BOOT_SIGNATURE_OFFSET);
	buf[BOOT_SIGNATURE_OFFSET] = BOOT_SIGNATURE_0;
	buf[BOOT_SIGNATURE_OFFSET + 1] = BOOT_SIGNATURE_1;
	buf[BOOT_SECTOR_SIZE] = 0x99; /* sector 1: not part of the boot sector */
	return buf;
}

static void bs_init(struct bootsector *bs)
{
	memset(bs, 0, sizeof(*bs));
	snprintf(bs->path, sizeof(bs->path), "%s", DISK_NAME);
}

static int parse_copy(const uint8_t *buf, size_t size)
{
	struct bootsector bs;
	uint8_t *copy = unit_exact_copy(buf, size);
	int ret;

	bs_init(&bs);
	error_clear();
	ret = bootsector_parse(copy, size, &bs);
	free(copy);
	return ret;
}

/* --- parse and read ---------------------------------------------------------- */

static void test_parse_valid(void **state)
{
	struct bootsector bs;
	uint8_t *buf = sector_build();

	(void)state;
	bs_init(&bs);
	assert_int_equal(bootsector_parse(buf, DISK_SIZE, &bs), 0);
	assert_memory_equal(bs.sector, buf, BOOT_SECTOR_SIZE);
	/* Exactly one sector is enough. */
	assert_int_equal(parse_copy(buf, BOOT_SECTOR_SIZE), 0);
	free(buf);
}

struct bad_sector {
	const char *name;
	size_t size;
	uint8_t sig0, sig1;
	const char *message;
};

/* clang-format off */
static const struct bad_sector bad_sectors[] = {
	{ "empty", 0, BOOT_SIGNATURE_0, BOOT_SIGNATURE_1,
	  "disk '" DISK_NAME "': 0 bytes, shorter than one 512-byte sector: no boot sector" },
	{ "one_byte_short", BOOT_SECTOR_SIZE - 1, BOOT_SIGNATURE_0, BOOT_SIGNATURE_1,
	  "disk '" DISK_NAME "': 511 bytes, shorter than one 512-byte sector" },
	{ "no_signature", BOOT_SECTOR_SIZE, 0, 0,
	  "disk '" DISK_NAME "': sector 0 is not bootable: bytes 510-511 are 0x00 0x00, not the boot signature 0x55 0xaa" },
	{ "signature_swapped", BOOT_SECTOR_SIZE, BOOT_SIGNATURE_1, BOOT_SIGNATURE_0,
	  "bytes 510-511 are 0xaa 0x55, not the boot signature" },
	{ "signature_half", DISK_SIZE, BOOT_SIGNATURE_0, 0x00, "bytes 510-511 are 0x55 0x00" },
};
/* clang-format on */

static void test_bad_sector(void **state)
{
	const struct bad_sector *row = *state;
	uint8_t *buf = sector_build();

	buf[BOOT_SIGNATURE_OFFSET] = row->sig0;
	buf[BOOT_SIGNATURE_OFFSET + 1] = row->sig1;
	assert_int_equal(parse_copy(buf, row->size), -ENOEXEC);
	assert_contains(error_message(), row->message);
	free(buf);
}

static void test_read(void **state)
{
	struct bootsector bs;
	char path[UNIT_TEMP_PATH_MAX], dir[UNIT_TEMP_PATH_MAX];
	const char *tmp = getenv("TMPDIR");
	uint8_t *buf = sector_build();

	(void)state;
	unit_temp_file(buf, DISK_SIZE, path);
	assert_int_equal(bootsector_read(path, &bs), 0);
	assert_string_equal(bs.path, path);
	assert_memory_equal(bs.sector, buf, BOOT_SECTOR_SIZE);
	unlink(path);
	/* Short and unsigned images name the file. */
	unit_temp_file(buf, 100, path);
	assert_int_equal(bootsector_read(path, &bs), -ENOEXEC);
	assert_contains(error_message(), path);
	assert_contains(error_message(), "100 bytes, shorter than one 512-byte sector");
	unlink(path);
	buf[BOOT_SIGNATURE_OFFSET] = 0;
	unit_temp_file(buf, DISK_SIZE, path);
	assert_int_equal(bootsector_read(path, &bs), -ENOEXEC);
	assert_contains(error_message(), path);
	assert_contains(error_message(), "not the boot signature 0x55 0xaa");
	unlink(path);
	assert_int_equal(bootsector_read("/nonexistent/disk.img", &bs), -ENOENT);
	assert_contains(error_message(), "disk '/nonexistent/disk.img': No such file or directory");
	snprintf(dir, sizeof(dir), "%s/mini-kvm-unit-XXXXXX", tmp && *tmp ? tmp : "/tmp");
	assert_non_null(mkdtemp(dir));
	assert_int_equal(bootsector_read(dir, &bs), -ENOEXEC);
	assert_contains(error_message(), "not a regular file or block device");
	assert_int_equal(rmdir(dir), 0);
	free(buf);
}

/* --- the trap stub, the IVT and placement --------------------------------------- */

static void test_trap_stub(void **state)
{
	uint8_t buf[NOBIOS_STUB_SIZE + 2];

	(void)state;
	memset(buf, UNIT_RAM_POISON, sizeof(buf));
	assert_int_equal(bootsector_trap_stub(buf, sizeof(buf)), NOBIOS_STUB_SIZE);
	assert_memory_equal(buf, expected_stub, NOBIOS_STUB_SIZE);
	assert_int_equal(buf[NOBIOS_STUB_SIZE], UNIT_RAM_POISON);
	assert_int_equal(bootsector_trap_stub(buf, NOBIOS_STUB_SIZE - 1), -ENOSPC);
	/* Its operands are the named constants. */
	assert_int_equal(unit_rd16(expected_stub + 5), NOBIOS_STUB_SEGMENT_BASE);
	assert_int_equal(unit_rd16(expected_stub + 8), PORT_NOBIOS_TRAP);
}

static void test_install_traps(void **state)
{
	struct guest_memory *mem = *state;
	const uint8_t *ivt = guest_ptr(mem, LAYOUT_IVT, IVT_VECTORS * IVT_ENTRY_SIZE);

	memset(mem->map, 0, LAYOUT_LOW_RAM_END);
	assert_int_equal(bootsector_install_traps(mem), 0);
	assert_memory_equal(guest_ptr(mem, LAYOUT_NOBIOS_STUB, NOBIOS_STUB_SIZE), expected_stub,
			    NOBIOS_STUB_SIZE);
	/* Every vector reaches the stub, and its CS tells the stub which vector it is. */
	for (unsigned int n = 0; n < IVT_VECTORS; n++) {
		uint16_t off = unit_rd16(ivt + n * IVT_ENTRY_SIZE);
		uint16_t seg = unit_rd16(ivt + n * IVT_ENTRY_SIZE + 2);

		assert_int_equal(((uint32_t)seg << 4) + off, LAYOUT_NOBIOS_STUB);
		assert_int_equal(seg - NOBIOS_STUB_SEGMENT_BASE, n);
	}
	/* The BDA after the IVT stays as it was. */
	assert_int_equal(*(const uint8_t *)guest_ptr(mem, LAYOUT_BDA, 1), 0);
}

static void test_place(void **state)
{
	struct guest_memory *mem = *state;
	struct bootsector bs;
	struct loader_entry entry;
	uint8_t *buf = sector_build();

	memset(mem->map, UNIT_RAM_POISON, mem->ram_size);
	bs_init(&bs);
	assert_int_equal(bootsector_parse(buf, DISK_SIZE, &bs), 0);
	assert_int_equal(bootsector_place(&bs, mem, &entry), 0);
	assert_memory_equal(guest_ptr(mem, 0x7c00, BOOT_SECTOR_SIZE), buf, BOOT_SECTOR_SIZE);
	/* Only sector 0: the byte after it is untouched. */
	assert_int_equal(*(uint8_t *)guest_ptr(mem, 0x7c00 + BOOT_SECTOR_SIZE, 1), UNIT_RAM_POISON);
	assert_memory_equal(guest_ptr(mem, LAYOUT_NOBIOS_STUB, NOBIOS_STUB_SIZE), expected_stub,
			    NOBIOS_STUB_SIZE);
	assert_int_equal(entry.mode, BOOT_MODE_REAL);
	assert_int_equal(entry.entry, 0x7c00);
	assert_int_equal(entry.edx, 0x80);
	assert_int_equal(entry.esp, 0x7c00);
	assert_int_equal(entry.eax, 0);
	assert_int_equal(entry.ebx, 0);
	assert_false(entry.tss32);
	free(buf);
}

/* As a BIOS leaves it: real mode, CS:IP = 0000:7C00, DS = ES = SS = 0, DL = 80h. */
static void test_entry_state(void **state)
{
	struct guest_memory *mem = *state;
	struct bootsector bs;
	struct loader_entry entry;
	struct kvm_sregs sregs;
	struct kvm_regs regs;
	uint8_t *buf = sector_build();

	bs_init(&bs);
	assert_int_equal(bootsector_parse(buf, DISK_SIZE, &bs), 0);
	assert_int_equal(bootsector_place(&bs, mem, &entry), 0);
	unit_reset_sregs(&sregs);
	memset(&regs, UNIT_RAM_POISON, sizeof(regs));
	assert_int_equal(loader_entry_setup(&entry, mem, &sregs, &regs), 0);
	assert_int_equal(sregs.cs.selector, 0);
	assert_int_equal(sregs.cs.base, 0);
	assert_int_equal(regs.rip, 0x7c00);
	assert_int_equal(sregs.ds.selector, 0);
	assert_int_equal(sregs.es.selector, 0);
	assert_int_equal(sregs.ss.selector, 0);
	assert_int_equal(sregs.ss.base, 0);
	assert_int_equal(regs.rdx & 0xff, 0x80);
	assert_int_equal(regs.rsp, 0x7c00);
	assert_false(sregs.cr0 & X86_CR0_PE);
	assert_false(regs.rflags & X86_RFLAGS_IF);
	free(buf);
}

static void test_bios_hint(void **state)
{
	(void)state;
	assert_string_equal(bootsector_bios_hint(0x13), "disk: use ATA PIO ports 0x1F0-0x1F7");
	assert_contains(bootsector_bios_hint(0x10), "COM1");
	assert_contains(bootsector_bios_hint(0x16), "keyboard");
	assert_contains(bootsector_bios_hint(0x1a), "time of day");
	assert_null(bootsector_bios_hint(0x21));
	assert_null(bootsector_bios_hint(0x0f));
	assert_null(bootsector_bios_hint(0x1b));
}

/* --- the diagnosis, one case per synthetic state ----------------------------------- */

static void put8(struct guest_memory *mem, uint16_t seg, uint16_t off, uint8_t v)
{
	assert_int_equal(guest_write(mem, ((uint64_t)seg << 4) + off, &v, 1), 0);
}

static void put16(struct guest_memory *mem, uint16_t seg, uint16_t off, uint16_t v)
{
	put8(mem, seg, off, v & 0xff);
	put8(mem, seg, off + 1, v >> 8);
}

/*
 * The state of a CPU that raised vector at 0000:ret (the INT's return address) and
 * reached the trap stub's byte at_stub: the INT frame (FLAGS, CS, IP) below STACK_TOP,
 * then as many of the stub's pushes (AX, DX) as it has done by at_stub.
 */
static void enter_stub(struct guest_memory *mem, struct bootsector_cpu *cpu, unsigned int vector,
		       uint16_t ret, unsigned int at_stub)
{
	uint16_t sp = STACK_TOP;

	put16(mem, 0, sp -= 2, GUEST_FLAGS);
	put16(mem, 0, sp -= 2, 0);
	put16(mem, 0, sp -= 2, ret);
	if (at_stub >= 1)
		put16(mem, 0, sp -= 2, GUEST_AX);
	if (at_stub >= 2)
		put16(mem, 0, sp -= 2, GUEST_DX);
	*cpu = (struct bootsector_cpu){ .cs = NOBIOS_STUB_SEGMENT(vector),
					.ip = NOBIOS_STUB_OFFSET(vector) + at_stub,
					.ss = 0,
					.sp = sp };
}

/* INT vector at 0000:CALL_IP, caught by the stub at its OUT. */
static void call_through_stub(struct guest_memory *mem, struct bootsector_cpu *cpu,
			      unsigned int vector, unsigned int at_stub)
{
	put8(mem, 0, CALL_IP, 0xcd);
	put8(mem, 0, CALL_IP + 1, vector);
	enter_stub(mem, cpu, vector, CALL_IP + 2, at_stub);
}

static void state_int13(struct guest_memory *mem, struct bootsector_cpu *cpu)
{
	call_through_stub(mem, cpu, 0x13, STUB_AT_HLT);
}

static void state_int10_at_out(struct guest_memory *mem, struct bootsector_cpu *cpu)
{
	call_through_stub(mem, cpu, 0x10, STUB_AT_OUT);
}

static void state_int16_stub_start(struct guest_memory *mem, struct bootsector_cpu *cpu)
{
	call_through_stub(mem, cpu, 0x16, 0);
}

static void state_int15_after_push_ax(struct guest_memory *mem, struct bootsector_cpu *cpu)
{
	call_through_stub(mem, cpu, 0x15, 1);
}

static void state_int13_after_pushes(struct guest_memory *mem, struct bootsector_cpu *cpu)
{
	call_through_stub(mem, cpu, 0x13, 2);
}

static void state_int21(struct guest_memory *mem, struct bootsector_cpu *cpu)
{
	call_through_stub(mem, cpu, 0x21, STUB_AT_HLT);
}

static void state_divide_error(struct guest_memory *mem, struct bootsector_cpu *cpu)
{
	put8(mem, 0, 0x7c30, 0xf7); /* div %cx: a fault returns to the instruction */
	put8(mem, 0, 0x7c31, 0xf1);
	enter_stub(mem, cpu, 0, 0x7c30, STUB_AT_HLT);
}

static void state_int3(struct guest_memory *mem, struct bootsector_cpu *cpu)
{
	put8(mem, 0, 0x7c2f, 0xcc);
	enter_stub(mem, cpu, 3, 0x7c30, STUB_AT_HLT);
}

static void state_into(struct guest_memory *mem, struct bootsector_cpu *cpu)
{
	put8(mem, 0, 0x7c2f, 0xce);
	enter_stub(mem, cpu, 4, 0x7c30, STUB_AT_HLT);
}

static void state_interrupt(struct guest_memory *mem, struct bootsector_cpu *cpu)
{
	put8(mem, 0, 0x7c2e, 0x90);
	put8(mem, 0, 0x7c2f, 0x90);
	enter_stub(mem, cpu, 0x70, 0x7c30, STUB_AT_HLT);
}

/* An INT 13h whose return address is preceded by CD 10: the vector decides, not the bytes. */
static void state_int_mismatch(struct guest_memory *mem, struct bootsector_cpu *cpu)
{
	put8(mem, 0, CALL_IP, 0xcd);
	put8(mem, 0, CALL_IP + 1, 0x10);
	enter_stub(mem, cpu, 0x13, CALL_IP + 2, STUB_AT_HLT);
}

/*
 * The stub's address through a segment no vector uses (9FC0:xxxx would be vector
 * FFh's own: NOBIOS_STUB_SEGMENT(255) is 9FC0).
 */
#define FAR_SEGMENT 0x9000

static void state_stub_jumped_into(struct guest_memory *mem, struct bootsector_cpu *cpu)
{
	(void)mem;
	*cpu = (struct bootsector_cpu){ .cs = FAR_SEGMENT,
					.ip = LAYOUT_NOBIOS_STUB - (FAR_SEGMENT << 4) + STUB_AT_HLT,
					.sp = STACK_TOP };
}

static void state_stack_unreadable(struct guest_memory *mem, struct bootsector_cpu *cpu)
{
	(void)mem;
	*cpu = (struct bootsector_cpu){ .cs = NOBIOS_STUB_SEGMENT(0x13),
					.ip = NOBIOS_STUB_OFFSET(0x13) + STUB_AT_HLT,
					.ss = 0xffff,
					.sp = 0xfff0 };
}

/* No traps: INT 13h sent the CPU to 0000:0000, where it runs the zeroes. */
static void state_zero_ivt_running(struct guest_memory *mem, struct bootsector_cpu *cpu)
{
	uint16_t sp = STACK_TOP;

	put8(mem, 0, CALL_IP, 0xcd);
	put8(mem, 0, CALL_IP + 1, 0x13);
	put16(mem, 0, sp -= 2, GUEST_FLAGS);
	put16(mem, 0, sp -= 2, 0);
	put16(mem, 0, sp -= 2, CALL_IP + 2);
	*cpu = (struct bootsector_cpu){ .cs = 0, .ip = 0x10, .ss = 0, .sp = sp };
}

/* No traps: about to execute INT 10h, whose vector is 0000:0000. */
static void state_zero_ivt_at_int(struct guest_memory *mem, struct bootsector_cpu *cpu)
{
	put8(mem, 0, CALL_IP, 0xcd);
	put8(mem, 0, CALL_IP + 1, 0x10);
	*cpu = (struct bootsector_cpu){ .cs = 0, .ip = CALL_IP, .ss = 0, .sp = STACK_TOP };
}

static void state_halted(struct guest_memory *mem, struct bootsector_cpu *cpu)
{
	put8(mem, 0, 0x7c40, 0xf4);
	*cpu = (struct bootsector_cpu){ .cs = 0, .ip = 0x7c41, .ss = 0, .sp = STACK_TOP };
}

/* The guest installed its own INT 13h handler: calling it is no BIOS call. */
static void state_own_handler(struct guest_memory *mem, struct bootsector_cpu *cpu)
{
	put16(mem, 0, 0x13 * IVT_ENTRY_SIZE, 0x0010);
	put16(mem, 0, 0x13 * IVT_ENTRY_SIZE + 2, 0x07e0);
	state_zero_ivt_at_int(mem, cpu);
	put8(mem, 0, CALL_IP + 1, 0x13);
}

/* In the zeroes at 0, but the stack holds no INT frame. */
static void state_zeroes_no_frame(struct guest_memory *mem, struct bootsector_cpu *cpu)
{
	put16(mem, 0, STACK_TOP - 6, 0x7c41); /* after a HLT, not an INT */
	put8(mem, 0, 0x7c40, 0xf4);
	*cpu = (struct bootsector_cpu){ .cs = 0, .ip = 0x10, .ss = 0, .sp = STACK_TOP - 6 };
}

/* Zeroes from 0 up past where the sector would be: outside the recognised run. */
static void state_zeroes_past_sector(struct guest_memory *mem, struct bootsector_cpu *cpu)
{
	uint16_t sp = 0x8800; /* above CS:IP: the zeroes below it stay zeroes */

	put8(mem, 0, 0x9000, 0xcd);
	put8(mem, 0, 0x9001, 0x13);
	put16(mem, 0, sp, 0x9002);
	*cpu = (struct bootsector_cpu){ .cs = 0, .ip = 0x8000, .ss = 0, .sp = sp };
}

/* Past the end of RAM, and a frame that wraps its segment: nothing to read, no crash. */
static void state_beyond_ram(struct guest_memory *mem, struct bootsector_cpu *cpu)
{
	(void)mem;
	*cpu = (struct bootsector_cpu){ .cs = 0xffff, .ip = 0xffff, .ss = 0xffff, .sp = 0xffff };
}

static void state_wrapping_frame(struct guest_memory *mem, struct bootsector_cpu *cpu)
{
	uint16_t sp = 0x7000;

	put16(mem, 0, sp, 0x0001); /* return IP 1: the INT would be at 0000:FFFF */
	put16(mem, 0, sp + 2, 0);
	*cpu = (struct bootsector_cpu){ .cs = 0, .ip = 0x8, .ss = 0, .sp = sp };
}

struct diagnosis {
	const char *name;
	bool traps; /* bootsector_install_traps() first */
	void (*setup)(struct guest_memory *mem, struct bootsector_cpu *cpu);
	const char *message; /* NULL: not recognised */
};

/* clang-format off */
static const struct diagnosis diagnoses[] = {
	{ "int13_via_stub", true, state_int13,
	  "INT 13h called at 0000:7C20, but there is no BIOS: mini-kvm boots sectors without BIOS services (disk: use ATA PIO ports 0x1F0-0x1F7); AH was 02h" },
	{ "int10_at_the_out", true, state_int10_at_out,
	  "INT 10h called at 0000:7C20, but there is no BIOS: mini-kvm boots sectors without BIOS services (video: write text to COM1, I/O ports 0x3F8-0x3FF); AH was 02h" },
	{ "int16_at_stub_start", true, state_int16_stub_start,
	  "INT 16h called at 0000:7C20, but there is no BIOS: mini-kvm boots sectors without BIOS services (keyboard: read COM1 at I/O ports 0x3F8-0x3FF)" },
	{ "int15_after_push_ax", true, state_int15_after_push_ax,
	  "INT 15h called at 0000:7C20, but there is no BIOS: mini-kvm boots sectors without BIOS services (system services: none; A20 is already enabled); AH was 02h" },
	{ "int13_after_both_pushes", true, state_int13_after_pushes,
	  "INT 13h called at 0000:7C20, but there is no BIOS: mini-kvm boots sectors without BIOS services (disk: use ATA PIO ports 0x1F0-0x1F7); AH was 02h" },
	{ "int21_no_hint", true, state_int21,
	  "INT 21h called at 0000:7C20, but there is no BIOS: mini-kvm boots sectors without BIOS services (and nothing handles this vector); AH was 02h" },
	{ "divide_error", true, state_divide_error,
	  "CPU exception 00h (#DE divide error) with return address 0000:7C30, and there is no BIOS to handle it" },
	{ "int3", true, state_int3, "INT3 at 0000:7C2F, but there is no BIOS or debugger to catch it" },
	{ "into", true, state_into, "INTO at 0000:7C2F, but there is no BIOS or debugger to catch it" },
	{ "interrupt", true, state_interrupt,
	  "vector 70h was raised with return address 0000:7C30 (no INT 70h there: an interrupt), and there is no BIOS to handle it" },
	{ "int_bytes_for_another_vector", true, state_int_mismatch,
	  "CPU exception 13h (#XM SIMD exception) with return address 0000:7C22, and there is no BIOS to handle it" },
	{ "stub_jumped_into", true, state_stub_jumped_into,
	  "the guest reached the no-BIOS trap stub at 9000:FC0B, not through an IVT vector (there is no BIOS)" },
	{ "stack_unreadable", true, state_stack_unreadable,
	  "vector 13h was raised, but there is no BIOS to handle it (the return address at FFFF:FFF4 is not readable)" },
	{ "zero_ivt_running_zeroes", false, state_zero_ivt_running,
	  "INT 13h called at 0000:7C20, but there is no BIOS: mini-kvm boots sectors without BIOS services (disk: use ATA PIO ports 0x1F0-0x1F7); its IVT vector is 0000:0000" },
	{ "zero_ivt_at_int", false, state_zero_ivt_at_int,
	  "INT 10h called at 0000:7C20, but there is no BIOS: mini-kvm boots sectors without BIOS services (video: write text to COM1, I/O ports 0x3F8-0x3FF); its IVT vector is 0000:0000" },
	{ "halted_not_recognised", true, state_halted, NULL },
	{ "own_handler_not_recognised", false, state_own_handler, NULL },
	{ "zeroes_without_int_frame", false, state_zeroes_no_frame, NULL },
	{ "zeroes_past_the_sector_not_recognised", false, state_zeroes_past_sector, NULL },
	{ "beyond_ram_not_recognised", false, state_beyond_ram, NULL },
	{ "wrapping_frame_not_recognised", false, state_wrapping_frame, NULL },
};
/* clang-format on */

static void test_diagnosis(void **state)
{
	const struct diagnosis *row = *state;
	struct guest_memory mem;
	struct bootsector_cpu cpu;
	char msg[512];
	int ret;

	assert_int_equal(guest_memory_init(&mem, LAYOUT_MEM_MIN), 0);
	if (row->traps)
		assert_int_equal(bootsector_install_traps(&mem), 0);
	row->setup(&mem, &cpu);
	memset(msg, 'x', sizeof(msg));
	ret = bootsector_diagnose(&mem, &cpu, msg, sizeof(msg));
	if (row->message) {
		assert_string_equal(msg, row->message);
		assert_int_equal(ret, strlen(row->message));
	} else {
		assert_int_equal(ret, 0);
		assert_string_equal(msg, "");
	}
	guest_memory_destroy(&mem);
}

/* A short buffer gets a truncated, terminated message; none at all is -EINVAL. */
static void test_diagnosis_buffer(void **state)
{
	struct guest_memory *mem = *state;
	struct bootsector_cpu cpu;
	char msg[16];

	memset(mem->map, 0, LAYOUT_LOW_RAM_END);
	assert_int_equal(bootsector_install_traps(mem), 0);
	state_int13(mem, &cpu);
	assert_int_equal(bootsector_diagnose(mem, &cpu, msg, sizeof(msg)), sizeof(msg) - 1);
	assert_string_equal(msg, "INT 13h called ");
	assert_int_equal(bootsector_diagnose(mem, &cpu, msg, 0), -EINVAL);
}

static int mem_setup(void **state)
{
	return unit_memory_setup(state, LAYOUT_MEM_MIN);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_valid),
		cmocka_unit_test(test_read),
		cmocka_unit_test(test_trap_stub),
		cmocka_unit_test_setup_teardown(test_install_traps, mem_setup,
						unit_memory_teardown),
		cmocka_unit_test_setup_teardown(test_place, mem_setup, unit_memory_teardown),
		cmocka_unit_test_setup_teardown(test_entry_state, mem_setup, unit_memory_teardown),
		cmocka_unit_test(test_bios_hint),
		cmocka_unit_test_setup_teardown(test_diagnosis_buffer, mem_setup,
						unit_memory_teardown),
	};
	int failed = cmocka_run_group_tests(tests, NULL, NULL);

	failed += unit_run_table("bootsector_bad_sectors", bad_sectors, sizeof(bad_sectors[0]),
				 ARRAY_SIZE(bad_sectors), test_bad_sector);
	failed += unit_run_table("bootsector_diagnoses", diagnoses, sizeof(diagnoses[0]),
				 ARRAY_SIZE(diagnoses), test_diagnosis);
	return failed;
}
