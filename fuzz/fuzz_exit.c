/* SPDX-License-Identifier: MIT */
/* libFuzzer entry for VM-exit dispatch: fake exits (ports, MMIO, hypercalls with hostile registers) into a VM without KVM. */
#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "arch/x86/layout.h"
#include "arch/x86/x86.h"
#include "console.h"
#include "devices/blk.h"
#include "linux.h"
#include "mini-kvm/hypercall.h"
#include "vm.h"

/*
 * A VM as vm_init() makes it (RAM, the buses with every platform device: i8042,
 * POST, COM1, the hypercall port, ACPI power) and one vCPU whose kvm_run is plain
 * memory, as tests/unit/test_vm.c builds it; each exit goes through
 * vcpu_handle_exit() and vm_vcpu_ended(), the vCPU thread's two steps.
 *
 * Input: a settings byte (bit 0: a Linux guest's policy and console watch; bit 1: a
 * disk for HC_BLK_*; bit 2: several guests' console, prefixed, with visible
 * controls), then records of struct fuzz_exit (a short last one is zero-filled).
 * The data of an I/O exit repeats the record's 8 data bytes; KVM never gives more
 * than a page of it, nor a data_offset outside the kvm_run mapping, so neither does
 * this. Registers are anything: hypercalls must survive hostile ones. A VM that
 * stopped is made to run again for the next record, as if restarted.
 * Oracle: ASan/UBSan, and a stopped VM has an end and a running one none.
 */
#define FUZZ_RAM	  (2 * LAYOUT_MIB)
#define FUZZ_IO_DATA	  4096 /* where KVM puts I/O data: the page after struct kvm_run */
#define FUZZ_RUN_SIZE	  (2 * FUZZ_IO_DATA)
#define FUZZ_DISK_SECTORS 16
#define FUZZ_LINUX	  0x01
#define FUZZ_DISK	  0x02
#define FUZZ_PREFIXED	  0x04
#define FUZZ_OUT	  0x01 /* flags: OUT / MMIO write */
#define FUZZ_REAL_MODE	  0x02 /* flags: CR0.PE clear */
#define FUZZ_SIZE_SHIFT	  2    /* flags: bits 2-3 pick the I/O size */
#define FUZZ_SIZE_MASK	  0x03
#define FUZZ_RAM_TEXT	  "fuzz: hello from guest RAM\n"
#define FUZZ_RAM_TEXT_GPA 0x1000

struct fuzz_exit {
	uint8_t kind; /* enum below, modulo its count; else exit_reason = kind itself */
	uint8_t flags;
	uint16_t port;
	uint16_t count;	 /* I/O elements (limited to a page of data) */
	uint16_t length; /* MMIO access length, as given (KVM gives 1..8) */
	uint64_t addr;	 /* MMIO address */
	uint64_t data;	 /* MMIO data; I/O data, repeated */
	uint64_t rax, rbx, rcx, rdx, rsi, rdi;
} __attribute__((packed));

enum {
	KIND_IO,
	KIND_MMIO,
	KIND_HLT,
	KIND_SHUTDOWN,
	KIND_INTR,
	KIND_FAIL_ENTRY,
	KIND_INTERNAL,
	KIND_RAW,
	KIND_COUNT
};

static const uint8_t io_sizes[] = { 1, 2, 4, 4 };

static struct vm vm;
static struct vm_config config;
static struct console console;
static struct linux_guest lg;
static struct blk_dev disk = { .fd = -1 };
static struct vcpu vcpu;
static struct kvm_run *run;

/* A scratch disk of FUZZ_DISK_SECTORS zeroed sectors, unlinked at once. */
static void make_disk(void)
{
	char path[] = "/tmp/fuzz-exit-XXXXXX";
	int fd = mkstemp(path);

	if (fd < 0 || ftruncate(fd, FUZZ_DISK_SECTORS * HC_BLK_SECTOR_SIZE) < 0)
		abort();
	close(fd);
	if (blk_open(&disk, path) < 0)
		abort();
	unlink(path);
}

static void setup_once(void)
{
	int null = open("/dev/null", O_WRONLY | O_CLOEXEC);

	if (null < 0)
		abort();
	console_init(&console, 1, "fuzz", false, NULL, null);
	config = (struct vm_config){
		.index = 1, .name = "fuzz", .mem_size = FUZZ_RAM, .cpus = 1, .console = &console
	};
	if (vm_init(&vm, &config) < 0)
		abort();
	run = aligned_alloc(FUZZ_IO_DATA, FUZZ_RUN_SIZE);
	if (!run)
		abort();
	make_disk();
	pthread_mutex_init(&lg.lock, NULL);
}

/* A fresh start for each input: RAM, console, disk, policy and the VM's end. */
static void reset(uint8_t settings)
{
	memset(vm.mem.map, 0, FUZZ_RAM);
	memcpy((uint8_t *)vm.mem.map + FUZZ_RAM_TEXT_GPA, FUZZ_RAM_TEXT, sizeof(FUZZ_RAM_TEXT));
	memset(run, 0, FUZZ_RUN_SIZE);
	run->kvm_valid_regs = KVM_SYNC_X86_REGS | KVM_SYNC_X86_SREGS;
	if (ftruncate(disk.fd, 0) < 0 ||
	    ftruncate(disk.fd, FUZZ_DISK_SECTORS * HC_BLK_SECTOR_SIZE) < 0)
		abort();
	vm.hypercall.disk = settings & FUZZ_DISK ? &disk : NULL;
	console.prefixed = settings & FUZZ_PREFIXED;
	console.visible_controls = settings & FUZZ_PREFIXED;
	console.len = 0;
	console.c1_lead_pending = false;
	console.watch = (struct console_watch){ 0 };
	console.wrote = false;
	console.watch_len = 0;
	vm.policy = (struct vm_policy){ 0 };
	memset(lg.panic, 0, sizeof(lg.panic));
	lg.vm = NULL;
	if (settings & FUZZ_LINUX)
		linux_attach(&lg, &vm);
	vcpu = (struct vcpu){
		.index = 0,
		.fd = -1,
		.run = run,
		.run_size = FUZZ_RUN_SIZE,
		.env = { .pio = &vm.pio, .mmio = &vm.mmio, .stopping = &vm.stopping }
	};
	vm.vcpus = &vcpu;
	vm.nvcpus = 1;
}

/* Let a stopped VM run again: no end, not stopping, output no longer cancelled. */
static void restart(void)
{
	free(vm.result.dump);
	memset(&vm.result, 0, sizeof(vm.result));
	atomic_store(&vm.stopping, false);
	atomic_store(&console.cancelled, false);
}

static void fill_exit(const struct fuzz_exit *e)
{
	struct kvm_regs *regs = &run->s.regs.regs;
	uint8_t *io = (uint8_t *)run + FUZZ_IO_DATA;
	uint8_t size = io_sizes[(e->flags >> FUZZ_SIZE_SHIFT) & FUZZ_SIZE_MASK];

	*regs = (struct kvm_regs){ .rax = e->rax,
				   .rbx = e->rbx,
				   .rcx = e->rcx,
				   .rdx = e->rdx,
				   .rsi = e->rsi,
				   .rdi = e->rdi };
	if (e->flags & FUZZ_REAL_MODE)
		run->s.regs.sregs.cr0 &= ~X86_CR0_PE;
	else
		run->s.regs.sregs.cr0 |= X86_CR0_PE;
	run->kvm_dirty_regs = 0;
	switch (e->kind % KIND_COUNT) {
	case KIND_IO:
		run->exit_reason = KVM_EXIT_IO;
		run->io.direction = e->flags & FUZZ_OUT ? KVM_EXIT_IO_OUT : KVM_EXIT_IO_IN;
		run->io.size = size;
		run->io.port = e->port;
		run->io.count = e->count <= FUZZ_IO_DATA / size ? e->count : FUZZ_IO_DATA / size;
		run->io.data_offset = FUZZ_IO_DATA;
		for (size_t i = 0; i < FUZZ_IO_DATA; i++)
			io[i] = (uint8_t)(e->data >> (8 * (i % sizeof(e->data))));
		break;
	case KIND_MMIO:
		run->exit_reason = KVM_EXIT_MMIO;
		run->mmio.phys_addr = e->addr;
		run->mmio.len = e->length;
		run->mmio.is_write = e->flags & FUZZ_OUT;
		memcpy(run->mmio.data, &e->data, sizeof(run->mmio.data));
		break;
	case KIND_HLT:
		run->exit_reason = KVM_EXIT_HLT;
		break;
	case KIND_SHUTDOWN:
		run->exit_reason = KVM_EXIT_SHUTDOWN;
		break;
	case KIND_INTR:
		run->exit_reason = KVM_EXIT_INTR;
		break;
	case KIND_FAIL_ENTRY:
		run->exit_reason = KVM_EXIT_FAIL_ENTRY;
		run->fail_entry.hardware_entry_failure_reason = e->data;
		break;
	case KIND_INTERNAL:
		run->exit_reason = KVM_EXIT_INTERNAL_ERROR;
		run->internal.suberror = (uint32_t)e->data;
		run->internal.ndata = e->count;
		for (size_t i = 0; i < sizeof(run->internal.data) / sizeof(run->internal.data[0]);
		     i++)
			run->internal.data[i] = e->rax + i;
		break;
	default:
		run->exit_reason = e->port;
		break;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static bool ready;

	if (!ready) {
		setup_once();
		ready = true;
	}
	if (!size)
		return 0;
	reset(data[0]);
	for (size_t at = 1; at < size; at += sizeof(struct fuzz_exit)) {
		struct fuzz_exit e = { 0 };
		enum vcpu_outcome o;

		memcpy(&e, data + at, size - at < sizeof(e) ? size - at : sizeof(e));
		fill_exit(&e);
		o = vcpu_handle_exit(&vcpu);
		vm_vcpu_ended(&vm, &vcpu, o);
		if (atomic_load(&vm.stopping) != (vm.result.end != VM_END_RUNNING))
			abort();
		if (o != VCPU_CONTINUE && o != VCPU_STOPPED && vm.result.end == VM_END_RUNNING)
			abort();
		if (atomic_load(&vm.stopping))
			restart();
	}
	console_flush(&console);
	restart();
	return 0;
}
