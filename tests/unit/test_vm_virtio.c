/* SPDX-License-Identifier: MIT */
/* Unit tests of a VM's virtio-mmio devices (src/vm_virtio.c): slots, the bus, I/O threads, interrupts, notes. */
#include "unit.h"

#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "arch/x86/layout.h"
#include "bus.h"
#include "error.h"
#include "virtio/virtio.h"
#include "virtio_driver.h"
#include "vm.h"
#include "vm_virtio.h"

#define DISK_SIZE     4096
#define SECTOR	      512
#define REQ_HEADER    16
#define WAIT_MS	      5000
#define POLL_STEP_NS  1000000L
#define MAX_IRQ_CALLS 64
#define BLK_T_IN      0
#define BLK_S_OK      0
#define BLK_F_RO      5
#define QUEUE_SIZE    16
#define FIRST_GSI     16 /* the I/O APIC pin of slot 0, as the DSDT says */
#define MMIO_REG_SIZE 4

/* What the fallback interrupt path was asked to do: (gsi, level) pairs. */
struct irq_log {
	pthread_mutex_t lock;
	unsigned int gsi[MAX_IRQ_CALLS];
	int level[MAX_IRQ_CALLS];
	unsigned int n;
};

static void fake_irq_line(void *opaque, unsigned int gsi, int level)
{
	struct irq_log *log = opaque;

	pthread_mutex_lock(&log->lock);
	if (log->n < MAX_IRQ_CALLS) {
		log->gsi[log->n] = gsi;
		log->level[log->n] = level;
		log->n++;
	}
	pthread_mutex_unlock(&log->lock);
}

static unsigned int irq_calls(struct irq_log *log)
{
	unsigned int n;

	pthread_mutex_lock(&log->lock);
	n = log->n;
	pthread_mutex_unlock(&log->lock);
	return n;
}

struct fixture {
	struct guest_memory mem;
	struct bus mmio;
	struct vm_virtio v;
	struct irq_log irq;
	struct virtio_blk disks[LAYOUT_VIRTIO_MMIO_COUNT + 1];
	char paths[LAYOUT_VIRTIO_MMIO_COUNT + 1][UNIT_TEMP_PATH_MAX];
	unsigned int ndisks;
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	if (!f || guest_memory_init(&f->mem, VDRV_RAM_SIZE))
		return -1;
	f->mmio.name = "mmio";
	pthread_mutex_init(&f->irq.lock, NULL);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	vm_virtio_destroy(&f->v);
	for (unsigned int i = 0; i < f->ndisks; i++) {
		virtio_blk_close(&f->disks[i]);
		unlink(f->paths[i]);
	}
	guest_memory_destroy(&f->mem);
	pthread_mutex_destroy(&f->irq.lock);
	free(f);
	return 0;
}

/* n disk files of DISK_SIZE bytes, byte i of disk d being (d * 16 + i) & 0xff; opened. */
static void make_disks(struct fixture *f, unsigned int n, bool read_only)
{
	uint8_t data[DISK_SIZE];

	for (unsigned int d = 0; d < n; d++) {
		for (unsigned int i = 0; i < DISK_SIZE; i++)
			data[i] = (uint8_t)(d * 16 + i);
		unit_temp_file(data, sizeof(data), f->paths[d]);
		assert_int_equal(virtio_blk_open(&f->disks[d], f->paths[d], read_only, NULL), 0);
		f->ndisks++;
	}
}

static int init(struct fixture *f, unsigned int ndisks, bool rng)
{
	const struct vm_virtio_irq_ops irq = { .irq_line = fake_irq_line, .opaque = &f->irq };

	return vm_virtio_init(&f->v, &f->mem, &f->mmio, f->disks, ndisks, rng, &irq);
}

static uint32_t mmio_read32(struct fixture *f, unsigned int slot, uint64_t reg)
{
	uint32_t value = 0;

	assert_int_equal(bus_read(&f->mmio, LAYOUT_VIRTIO_MMIO(slot) + reg, &value, MMIO_REG_SIZE),
			 0);
	return value;
}

static void test_slots_in_order(void **state)
{
	struct fixture *f = *state;
	const struct bus_range *r;
	uint32_t value = 0;

	make_disks(f, 2, false);
	assert_int_equal(init(f, 2, true), 0);
	assert_int_equal(vm_virtio_count(&f->v), 3);
	/* Disks first (vda, vdb), then the entropy device, each in its own window. */
	for (unsigned int n = 0; n < 3; n++) {
		r = bus_find(&f->mmio, LAYOUT_VIRTIO_MMIO(n), MMIO_REG_SIZE);
		assert_non_null(r);
		assert_int_equal(r->base, LAYOUT_VIRTIO_MMIO(n));
		assert_int_equal(r->len, VIRTIO_MMIO_SIZE);
		assert_int_equal(mmio_read32(f, n, VIRTIO_MMIO_MAGIC_VALUE), VIRTIO_MMIO_MAGIC);
		assert_int_equal(mmio_read32(f, n, VIRTIO_MMIO_VERSION), VIRTIO_MMIO_VERSION_2);
	}
	assert_int_equal(mmio_read32(f, 0, VIRTIO_MMIO_DEVICE_ID), VIRTIO_ID_BLOCK);
	assert_int_equal(mmio_read32(f, 1, VIRTIO_MMIO_DEVICE_ID), VIRTIO_ID_BLOCK);
	assert_int_equal(mmio_read32(f, 2, VIRTIO_MMIO_DEVICE_ID), VIRTIO_ID_ENTROPY);
	assert_contains(bus_find(&f->mmio, LAYOUT_VIRTIO_MMIO(1), 1)->dev.name, f->paths[1]);
	assert_string_equal(bus_find(&f->mmio, LAYOUT_VIRTIO_MMIO(2), 1)->dev.name, "virtio-rng");
	/* Nothing in the next window. */
	assert_null(bus_find(&f->mmio, LAYOUT_VIRTIO_MMIO(3), 1));
	assert_int_equal(bus_read(&f->mmio, LAYOUT_VIRTIO_MMIO(3), &value, MMIO_REG_SIZE),
			 BUS_UNCLAIMED);
}

static void test_read_only_disk_offers_ro(void **state)
{
	struct fixture *f = *state;

	make_disks(f, 1, true);
	assert_int_equal(init(f, 1, false), 0);
	/* DeviceFeaturesSel is 0 after reset: the low word. */
	assert_true(mmio_read32(f, 0, VIRTIO_MMIO_DEVICE_FEATURES) & (1U << BLK_F_RO));
}

/* Wait until queue 0 of the driver has a used entry; false after WAIT_MS. */
static bool wait_used(struct vdrv *d, uint32_t *id, uint32_t *len)
{
	const struct timespec step = { .tv_nsec = POLL_STEP_NS };

	for (int i = 0; i < WAIT_MS; i++) {
		if (vdrv_take_used(d, 0, id, len))
			return true;
		nanosleep(&step, NULL);
	}
	return false;
}

/*
 * A read request served end to end as a guest's would be: QueueNotify through the bus
 * (where KVM_IOEVENTFD is missing), the I/O thread, the disk, the used ring, then an
 * edge on slot 1's GSI through the KVM_IRQ_LINE fallback.
 */
static void test_request_through_the_io_thread(void **state)
{
	struct fixture *f = *state;
	uint32_t notify = 0, id = 0, len = 0;
	struct virtio_mmio *t;
	uint8_t *header, *data, *status;
	struct vdrv d;
	gpa_t h, b, s;

	make_disks(f, 2, false);
	assert_int_equal(init(f, 2, false), 0);
	t = &f->v.slots[1].transport;
	vdrv_init(&d, &f->mem, t);
	assert_true(vdrv_negotiate(&d, VIRTIO_FEATURE(VIRTIO_F_VERSION_1)) &
		    VIRTIO_STATUS_FEATURES_OK);
	vdrv_setup_queue(&d, 0, QUEUE_SIZE);
	vdrv_driver_ok(&d);
	assert_int_equal(vm_virtio_start(&f->v), 0);

	h = vdrv_alloc(&d, REQ_HEADER);
	b = vdrv_alloc(&d, SECTOR);
	s = vdrv_alloc(&d, 1);
	header = vdrv_ptr(&d, h, REQ_HEADER);
	header[0] = BLK_T_IN; /* type IN, sector 1 (bytes 8-15) */
	header[8] = 1;
	status = vdrv_ptr(&d, s, 1);
	*status = 0xff;
	vdrv_submit(&d, 0,
		    (const struct vdrv_buf[]){
			    { h, REQ_HEADER, false }, { b, SECTOR, true }, { s, 1, true } },
		    3);
	assert_int_equal(bus_write(&f->mmio, LAYOUT_VIRTIO_MMIO(1) + VIRTIO_MMIO_QUEUE_NOTIFY,
				   &notify, MMIO_REG_SIZE, NULL),
			 0);
	assert_true(wait_used(&d, &id, &len));
	assert_int_equal(len, SECTOR + 1);
	assert_int_equal(*status, BLK_S_OK);
	data = vdrv_ptr(&d, b, SECTOR);
	for (unsigned int i = 0; i < SECTOR; i++)
		assert_int_equal(data[i], (uint8_t)(1 * 16 + SECTOR + i)); /* disk 1, sector 1 */
	vm_virtio_stop(&f->v);
	/* The interrupt: an edge (1 then 0) on slot 1's GSI, after the used entry. */
	assert_true(irq_calls(&f->irq) >= 2);
	assert_int_equal(f->irq.gsi[0], FIRST_GSI + 1);
	assert_int_equal(f->irq.gsi[0], IRQ_VIRTIO_MMIO(1));
	assert_int_equal(f->irq.level[0], 1);
	assert_int_equal(f->irq.gsi[1], FIRST_GSI + 1);
	assert_int_equal(f->irq.level[1], 0);
	assert_true(mmio_read32(f, 1, VIRTIO_MMIO_INTERRUPT_STATUS) & VIRTIO_MMIO_INT_VRING);
}

/* What a transport logs is kept, one line per class, for main to print at the end. */
static void test_notes(void **state)
{
	struct fixture *f = *state;
	uint32_t value = 1;
	char *notes;

	make_disks(f, 1, false);
	assert_int_equal(init(f, 1, true), 0);
	assert_null(vm_virtio_notes(&f->v));
	/* A write to the read-only MagicValue, twice, and one to the rng's. */
	for (int i = 0; i < 2; i++)
		assert_int_equal(bus_write(&f->mmio,
					   LAYOUT_VIRTIO_MMIO(0) + VIRTIO_MMIO_MAGIC_VALUE, &value,
					   MMIO_REG_SIZE, NULL),
				 0);
	assert_int_equal(bus_write(&f->mmio, LAYOUT_VIRTIO_MMIO(1) + VIRTIO_MMIO_MAGIC_VALUE,
				   &value, MMIO_REG_SIZE, NULL),
			 0);
	notes = vm_virtio_notes(&f->v);
	assert_non_null(notes);
	assert_contains(notes, f->paths[0]);
	assert_contains(notes, "read-only or unknown register 0x000; ignored");
	assert_contains(notes, "virtio-rng: write of 0x1");
	/* Two lines: the disk's second misuse was only counted. */
	assert_int_equal(strchr(strchr(notes, '\n') + 1, '\n')[1], '\0');
	free(notes);
}

static void test_too_many_devices(void **state)
{
	struct fixture *f = *state;

	make_disks(f, LAYOUT_VIRTIO_MMIO_COUNT, true);
	assert_int_equal(init(f, LAYOUT_VIRTIO_MMIO_COUNT, true), -EINVAL);
	assert_contains(error_message(), "8 disks and an entropy device: more virtio devices "
					 "than the 8 slots");
	assert_int_equal(vm_virtio_count(&f->v), 0);
	assert_null(bus_find(&f->mmio, LAYOUT_VIRTIO_MMIO(0), 1));
	/* Eight disks alone fill every slot. */
	vm_virtio_destroy(&f->v);
	memset(&f->mmio, 0, sizeof(f->mmio));
	assert_int_equal(init(f, LAYOUT_VIRTIO_MMIO_COUNT, false), 0);
	assert_int_equal(vm_virtio_count(&f->v), LAYOUT_VIRTIO_MMIO_COUNT);
	assert_non_null(bus_find(&f->mmio, LAYOUT_VIRTIO_MMIO(LAYOUT_VIRTIO_MMIO_COUNT - 1), 1));
}

/* A window someone else holds: the device is refused, and destroy still cleans up. */
static void test_window_taken(void **state)
{
	struct fixture *f = *state;
	const struct bus_device other = { .name = "squatter" };

	make_disks(f, 1, false);
	assert_int_equal(bus_register(&f->mmio, LAYOUT_VIRTIO_MMIO(0), 1, &other), 0);
	assert_int_equal(init(f, 1, false), -EEXIST);
}

/* vm_init() (no KVM) puts the configured devices on the VM's MMIO bus. */
static void test_vm_init_wires_them(void **state)
{
	struct fixture *f = *state;
	struct console console;
	struct vm_config config;
	struct vm *vm = calloc(1, sizeof(*vm));
	uint32_t magic = 0;

	assert_non_null(vm);
	make_disks(f, 1, false);
	console_init(&console, 1, "fake", false, NULL, -1);
	config = (struct vm_config){ .index = 1,
				     .name = "fake",
				     .mem_size = VDRV_RAM_SIZE,
				     .cpus = 1,
				     .console = &console,
				     .virtio_disks = f->disks,
				     .nvirtio_disks = 1,
				     .virtio_rng = true };
	assert_int_equal(vm_init(vm, &config), 0);
	assert_int_equal(vm_virtio_count(&vm->virtio), 2);
	assert_int_equal(bus_read(&vm->mmio, LAYOUT_VIRTIO_MMIO(1) + VIRTIO_MMIO_MAGIC_VALUE,
				  &magic, MMIO_REG_SIZE),
			 0);
	assert_int_equal(magic, VIRTIO_MMIO_MAGIC);
	/* The I/O threads start and stop with no vCPU (vm_run()'s order, without KVM). */
	assert_int_equal(vm_virtio_start(&vm->virtio), 0);
	vm_virtio_stop(&vm->virtio);
	vm_destroy(vm);
	console_destroy(&console);
	free(vm);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_slots_in_order, setup, teardown),
		cmocka_unit_test_setup_teardown(test_read_only_disk_offers_ro, setup, teardown),
		cmocka_unit_test_setup_teardown(test_request_through_the_io_thread, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_notes, setup, teardown),
		cmocka_unit_test_setup_teardown(test_too_many_devices, setup, teardown),
		cmocka_unit_test_setup_teardown(test_window_taken, setup, teardown),
		cmocka_unit_test_setup_teardown(test_vm_init_wires_them, setup, teardown),
	};

	return cmocka_run_group_tests_name("vm_virtio", tests, NULL, NULL);
}
