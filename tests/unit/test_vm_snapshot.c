/* SPDX-License-Identifier: MIT */
/* Unit tests of the VM's snapshot parts that need no KVM (src/vm_snapshot.c): devices, disk, machine. */
#include "unit.h"

#include <errno.h>
#include <stdlib.h>
#include <unistd.h>

#include "arch/x86/layout.h"
#include "error.h"
#include "snapshot/format.h"
#include "trace.h"
#include "virtio/virtio.h"
#include "virtio/virtio_blk.h"
#include "virtio/virtio_mmio.h"
#include "vm.h"
#include "vm_snapshot.h"

#define RAM	  (4 * LAYOUT_MIB)
#define SCRATCH	  0x42
#define SECTIONS  4
#define DISK_PATH "/srv/disks/os.tar"
#define DISK_SIZE 65536

/* Two VMs as vm_init() makes them (no KVM): one to save, one to restore into. */
struct fixture {
	struct vm_config config;
	struct vm from, to;
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	if (!f)
		return -1;
	f->config = (struct vm_config){ .index = 1, .name = "snap", .mem_size = RAM, .cpus = 1 };
	if (vm_init(&f->from, &f->config) || vm_init(&f->to, &f->config))
		return -1;
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	vm_destroy(&f->from);
	vm_destroy(&f->to);
	free(f);
	return 0;
}

/* A snapshot made of b's sections as they are (what snapshot_find() reads). */
static struct snapshot as_snapshot(struct snapshot_builder *b)
{
	return (struct snapshot){ .sections = b->sections,
				  .data = b->data,
				  .nsections = (uint32_t)b->nsections };
}

static void test_devices_round_trip(void **state)
{
	struct fixture *f = *state;
	struct snapshot_builder b;
	struct snapshot snap;

	assert_int_equal(serial_write(&f->from.com1, UART_SCR, SCRATCH), 0);
	assert_int_equal(serial_write(&f->from.com1, UART_LCR, 0x03), 0);
	snapshot_builder_init(&b);
	assert_int_equal(vm_snapshot_save_devices(&f->from, &b), 0);
	assert_int_equal(b.nsections, 1);
	assert_int_equal(b.sections[0].type, SNAPSHOT_SEC_DEVICE);
	assert_int_equal(b.sections[0].id, SNAPSHOT_DEV_SERIAL(0));
	assert_int_equal(b.sections[0].length, sizeof(struct serial_state));
	snap = as_snapshot(&b);
	assert_int_equal(serial_read(&f->to.com1, UART_SCR), 0);
	assert_int_equal(vm_snapshot_restore_devices(&f->to, &snap), 0);
	assert_int_equal(serial_read(&f->to.com1, UART_SCR), SCRATCH);
	assert_int_equal(serial_read(&f->to.com1, UART_LCR), 0x03);
	snapshot_builder_free(&b);
}

/* A virtio transport's Status register, as the guest reads it. */
static uint32_t virtio_status(struct vm *vm, unsigned int slot)
{
	uint32_t value = 0;

	assert_int_equal(
		virtio_mmio_bus_read(&vm->virtio.slots[slot].transport, VIRTIO_MMIO_STATUS, &value, 4),
		0);
	return value;
}

/*
 * A Linux guest's virtio devices: a disk's own state and its transport's, the entropy
 * device's transport, saved while paused and loaded into a VM built the same way.
 */
static void test_virtio_devices_round_trip(void **state)
{
	const uint32_t found = VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER;
	char path[] = "/tmp/mini-kvm-test-XXXXXX";
	struct virtio_blk disks[2] = { { .fd = -1 }, { .fd = -1 } };
	struct vm_config config = { .index = 1, .name = "snap", .mem_size = RAM, .cpus = 1,
				    .virtio_rng = true, .nvirtio_disks = 1 };
	static struct vm from, to; /* big */
	struct snapshot_builder b;
	struct snapshot snap;
	int fd = mkstemp(path);

	(void)state;
	assert_true(fd >= 0);
	assert_int_equal(ftruncate(fd, DISK_SIZE), 0);
	close(fd);
	/* Read-only: two VMs hold the one file at once (a shared lock). */
	assert_int_equal(virtio_blk_open(&disks[0], path, true, NULL), 0);
	assert_int_equal(virtio_blk_open(&disks[1], path, true, NULL), 0);
	config.virtio_disks = &disks[0];
	assert_int_equal(vm_init(&from, &config), 0);
	config.virtio_disks = &disks[1];
	assert_int_equal(vm_init(&to, &config), 0);
	assert_int_equal(vm_virtio_count(&from.virtio), 2);
	for (unsigned int slot = 0; slot < 2; slot++)
		assert_int_equal(virtio_mmio_bus_write(&from.virtio.slots[slot].transport,
						       VIRTIO_MMIO_STATUS, &found, 4),
				 0);
	snapshot_builder_init(&b);
	vm_virtio_pause(&from.virtio);
	assert_int_equal(vm_snapshot_save_devices(&from, &b), 0);
	vm_virtio_resume(&from.virtio);
	/* COM1, then slot 0's disk and transport, then slot 1's transport. */
	assert_int_equal(b.nsections, 4);
	assert_int_equal(b.sections[1].id, SNAPSHOT_DEV_VIRTIO_BLK(0));
	assert_int_equal(b.sections[1].length, sizeof(struct virtio_blk_state));
	assert_int_equal(b.sections[2].id, SNAPSHOT_DEV_VIRTIO_MMIO(0));
	assert_int_equal(b.sections[3].id, SNAPSHOT_DEV_VIRTIO_MMIO(1));
	assert_int_equal(b.sections[3].length, sizeof(struct virtio_mmio_state));
	snap = as_snapshot(&b);
	assert_int_equal(virtio_status(&to, 0), 0);
	assert_int_equal(vm_snapshot_restore_devices(&to, &snap), 0);
	assert_int_equal(virtio_status(&to, 0), found);
	assert_int_equal(virtio_status(&to, 1), found);
	snapshot_builder_free(&b);
	vm_destroy(&from);
	vm_destroy(&to);
	virtio_blk_close(&disks[0]);
	virtio_blk_close(&disks[1]);
	unlink(path);
}

/* A device the snapshot does not mention keeps its reset state. */
static void test_device_missing_keeps_reset_state(void **state)
{
	struct fixture *f = *state;
	struct snapshot snap = { 0 };

	assert_int_equal(serial_write(&f->to.com1, UART_SCR, SCRATCH), 0);
	assert_int_equal(vm_snapshot_restore_devices(&f->to, &snap), 0);
	assert_int_equal(serial_read(&f->to.com1, UART_SCR), SCRATCH);
}

/* What a row of the refusals puts in a snapshot's device sections. */
struct bad_devices {
	const char *name;
	uint32_t id;
	size_t len;
	size_t offset; /* a byte of the state to spoil, or SIZE_MAX */
	uint8_t value;
	const char *message;
};

static const struct bad_devices bad_devices[] = {
	{ "a device the VM lacks", SNAPSHOT_DEV_CMOS, sizeof(struct serial_state), SIZE_MAX, 0,
	  "holds device 0x0200, which this VM does not have" },
	{ "a second UART", SNAPSHOT_DEV_SERIAL(1), sizeof(struct serial_state), SIZE_MAX, 0,
	  "holds device 0x0101" },
	{ "a state too short", SNAPSHOT_DEV_SERIAL(0), sizeof(struct serial_state) - 1, SIZE_MAX, 0,
	  "device serial's state is 31 bytes, this mini-kvm's is 32" },
	{ "a state too long", SNAPSHOT_DEV_SERIAL(0), sizeof(struct serial_state) + 8, SIZE_MAX, 0,
	  "is 40 bytes" },
	{ "a state the device refuses", SNAPSHOT_DEV_SERIAL(0), sizeof(struct serial_state),
	  offsetof(struct serial_state, rx_head), 200,
	  "device serial (0x0100): UART state: RX FIFO head 200" },
};

static void test_devices_refused(void **state)
{
	const struct bad_devices *row = *state;
	struct vm_config config = { .index = 1, .name = "snap", .mem_size = RAM, .cpus = 1 };
	uint8_t bytes[sizeof(struct serial_state) + 8] = { 0 };
	struct snapshot_builder b;
	struct snapshot snap;
	struct vm vm;

	assert_int_equal(vm_init(&vm, &config), 0);
	serial_save(&vm.com1, (struct serial_state *)bytes);
	if (row->offset != SIZE_MAX)
		bytes[row->offset] = row->value;
	snapshot_builder_init(&b);
	assert_int_equal(snapshot_builder_add(&b, SNAPSHOT_SEC_DEVICE, row->id, bytes, row->len, 0),
			 0);
	snap = as_snapshot(&b);
	assert_int_equal(vm_snapshot_restore_devices(&vm, &snap), -EINVAL);
	assert_contains(error_message(), row->message);
	snapshot_builder_free(&b);
	vm_destroy(&vm);
}

static void test_disk(void **state)
{
	uint8_t bytes[sizeof(struct snapshot_disk) + sizeof(DISK_PATH)];
	const struct snapshot_disk d = { .size = DISK_SIZE,
					 .kind = SNAPSHOT_DISK_HC_BLK,
					 .path_len = sizeof(DISK_PATH) };
	struct snapshot_builder b;
	struct snapshot snap;
	uint64_t size = 0;

	(void)state;
	snapshot_builder_init(&b);
	snap = as_snapshot(&b);
	assert_null(vm_snapshot_disk(&snap, &size));
	memcpy(bytes, &d, sizeof(d));
	memcpy(bytes + sizeof(d), DISK_PATH, sizeof(DISK_PATH));
	assert_int_equal(snapshot_builder_add(&b, SNAPSHOT_SEC_DISK, 0, bytes, sizeof(bytes), 0),
			 0);
	snap = as_snapshot(&b);
	assert_string_equal(vm_snapshot_disk(&snap, &size), DISK_PATH);
	assert_int_equal(size, DISK_SIZE);
	snapshot_builder_free(&b);
}

/* A restored VM is the snapshot's machine: RAM, vCPUs, irqchip; nothing else is touched. */
static void test_config(void **state)
{
	const struct snapshot_machine m = { .mem_size = 256 * LAYOUT_MIB,
					    .ncpus = 3,
					    .flags = SNAPSHOT_MACHINE_IRQCHIP |
						     SNAPSHOT_MACHINE_LINUX };
	const struct snapshot snap = { .machine = &m };
	struct snapshot_machine m2 = m;
	const struct snapshot snap2 = { .machine = &m2 };
	static const struct trace trace; /* --trace's sink: the snapshot leaves it alone */
	struct vm_config config = { .index = 7, .name = "kept", .trace = &trace };

	(void)state;
	assert_int_equal(vm_snapshot_config(&snap, &config), 0);
	assert_int_equal(config.mem_size, 256 * LAYOUT_MIB);
	assert_int_equal(config.cpus, 3);
	assert_true(config.irqchip);
	assert_false(config.virtio_rng);
	assert_int_equal(config.index, 7);
	assert_string_equal(config.name, "kept");
	assert_ptr_equal(config.trace, &trace);
	m2.flags |= SNAPSHOT_MACHINE_VIRTIO_RNG;
	assert_int_equal(vm_snapshot_config(&snap2, &config), 0);
	assert_true(config.virtio_rng);
}

/* Devices whose state a snapshot does not hold: refused before anything is paused. */
static void test_unsupported_devices_refused(void **state)
{
	static struct vm vm; /* zeroed: no KVM, nothing running; static: it is big */
	struct vm_snapshot_info info;

	(void)state;
	vm.virtio.has_net = true;
	assert_int_equal(vm_snapshot_take(&vm, "x.snap", true, true, &info), -ENOTSUP);
	assert_contains(error_message(), "cannot snapshot a VM with a virtio-net NIC (--net)");
	vm.virtio.has_net = false;
	vm.gdb = (struct gdb_vm *)&vm; /* only compared with NULL before the refusal */
	assert_int_equal(vm_snapshot_take(&vm, "x.snap", false, true, &info), -ENOTSUP);
	assert_contains(error_message(), "a gdb stub (--gdb)");
	vm.gdb = NULL;
}

/* ATA disks by slot: path, size and read-only as saved; other slots and --disk apart. */
static void test_ata_disks(void **state)
{
	uint8_t bytes[sizeof(struct snapshot_disk) + sizeof(DISK_PATH)];
	const struct snapshot_disk d = { .size = DISK_SIZE,
					 .kind = SNAPSHOT_DISK_ATA_RO,
					 .path_len = sizeof(DISK_PATH) };
	struct snapshot_builder b;
	struct snapshot snap;
	uint64_t size = 0;
	bool read_only = false;

	(void)state;
	snapshot_builder_init(&b);
	memcpy(bytes, &d, sizeof(d));
	memcpy(bytes + sizeof(d), DISK_PATH, sizeof(DISK_PATH));
	assert_int_equal(snapshot_builder_add(&b, SNAPSHOT_SEC_DISK, SNAPSHOT_DISK_ID_ATA(2), bytes,
					      sizeof(bytes), 0),
			 0);
	snap = as_snapshot(&b);
	assert_string_equal(vm_snapshot_ata_disk(&snap, 2, &size, &read_only), DISK_PATH);
	assert_int_equal(size, DISK_SIZE);
	assert_true(read_only);
	assert_null(vm_snapshot_ata_disk(&snap, 0, &size, &read_only));
	assert_null(vm_snapshot_ata_disk(&snap, VM_ATA_DISKS, &size, &read_only));
	assert_null(vm_snapshot_disk(&snap, &size));
	assert_null(vm_snapshot_virtio_disk(&snap, 0, &size, &read_only));
	snapshot_builder_free(&b);
}

/* Virtio disks by number: path, size and read-only as saved; ATA slots apart. */
static void test_virtio_disks(void **state)
{
	uint8_t bytes[sizeof(struct snapshot_disk) + sizeof(DISK_PATH)];
	const struct snapshot_disk d = { .size = DISK_SIZE,
					 .kind = SNAPSHOT_DISK_VIRTIO,
					 .path_len = sizeof(DISK_PATH) };
	struct snapshot_builder b;
	struct snapshot snap;
	uint64_t size = 0;
	bool read_only = true;

	(void)state;
	snapshot_builder_init(&b);
	memcpy(bytes, &d, sizeof(d));
	memcpy(bytes + sizeof(d), DISK_PATH, sizeof(DISK_PATH));
	assert_int_equal(snapshot_builder_add(&b, SNAPSHOT_SEC_DISK, SNAPSHOT_DISK_ID_VIRTIO(1),
					      bytes, sizeof(bytes), 0),
			 0);
	snap = as_snapshot(&b);
	assert_string_equal(vm_snapshot_virtio_disk(&snap, 1, &size, &read_only), DISK_PATH);
	assert_int_equal(size, DISK_SIZE);
	assert_false(read_only);
	assert_null(vm_snapshot_virtio_disk(&snap, 0, &size, &read_only));
	assert_null(vm_snapshot_virtio_disk(&snap, SNAPSHOT_VIRTIO_DISKS, &size, &read_only));
	assert_null(vm_snapshot_ata_disk(&snap, 1, &size, &read_only));
	snapshot_builder_free(&b);
}

int main(void)
{
	static const struct CMUnitTest cases[] = {
		cmocka_unit_test_setup_teardown(test_devices_round_trip, setup, teardown),
		cmocka_unit_test_setup_teardown(test_device_missing_keeps_reset_state, setup,
						teardown),
		cmocka_unit_test(test_disk),
		cmocka_unit_test(test_ata_disks),
		cmocka_unit_test(test_virtio_disks),
		cmocka_unit_test(test_virtio_devices_round_trip),
		cmocka_unit_test(test_config),
		cmocka_unit_test(test_unsupported_devices_refused),
	};
	struct CMUnitTest tests[ARRAY_SIZE(bad_devices) + ARRAY_SIZE(cases)];

	UNIT_TABLE_CASES(tests, bad_devices, test_devices_refused);
	memcpy(tests + ARRAY_SIZE(bad_devices), cases, sizeof(cases));
	return cmocka_run_group_tests_name("vm snapshot", tests, NULL, NULL);
}
