/* SPDX-License-Identifier: MIT */
/* VMs: KVM_CREATE_VM, RAM slots, the device table, vCPU threads, and how a VM ends. */
#include "vm.h"

#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

#include "arch/x86/gsi.h"
#include "arch/x86/layout.h"
#include "clock.h"
#include "error.h"
#include "gdb_target.h"
#include "loaders/bootsector.h"
#include "loaders/image.h"
#include "mini-kvm/hypercall.h"
#include "sandbox.h"
#include "util.h"
#include "vcpu_idle.h"

/* How often a stopping VM's vCPU threads are kicked again until they leave. */
#define VCPU_REKICK_NS (50 * NS_PER_MSEC)

/* --- devices ------------------------------------------------------------- */

static int serial_tx(void *opaque, uint8_t byte)
{
	struct vm *vm = opaque;

	atomic_store(&vm->serial_used, true); /* --vga-text: the UART is the console now */
	return console_write(vm->config->console, &byte, 1);
}

static int serial_rx(void *opaque, uint8_t *byte)
{
	struct vm *vm = opaque;

	return console_poll(vm->config->console, byte);
}

static void serial_irq(void *opaque, int level)
{
	struct vm *vm = opaque;

	vm_irq_line(vm, IRQ_COM1, level);
}

/* The virtio devices' interrupt where KVM_IRQFD is missing: a GSI above the ISA IRQs. */
static void virtio_irq_line(void *opaque, unsigned int gsi, int level)
{
	vm_irq_line(opaque, gsi, level);
}

static void serial_input_arrived(void *opaque)
{
	serial_rx_poll(opaque);
}

/* The capabilities the VM lends its devices: each ends the VM in its own way. */
static void guest_exit(void *opaque, uint32_t status)
{
	vm_stop(opaque, VM_END_EXIT, (int)status, -1, NULL);
}

static void guest_reset(void *opaque, const char *why)
{
	vm_stop(opaque, VM_END_RESET, 0, -1, "%s", why);
}

static void guest_poweroff(void *opaque, const char *why)
{
	vm_stop(opaque, VM_END_POWEROFF, 0, -1, "%s", why);
}

/*
 * The platform's devices, in port order: what a guest finds on its buses. Any
 * other port reads as all ones and drops writes (counted in --stats). With the
 * in-kernel irqchip, KVM itself also claims the PIT (0x40-0x43, 0x61), the PICs
 * (0x20-0x21, 0xa0-0xa1, 0x4d0-0x4d1) and the I/O APIC and LAPIC MMIO.
 *
 * Every vCPU thread calls these handlers, concurrently, with no lock of the bus's
 * (the table is fixed before the first KVM_RUN). Who guards what: the UART's
 * registers, its own lock (serial.h); guest output lines and input, the console's
 * locks (console.h); how the VM ends, vm->lock. The i8042, the ACPI registers and the
 * hypercall port keep no state of their own: they end the VM through the callbacks
 * above (vm_stop()) or write to the console. The virtio-mmio devices (vm_virtio.c,
 * after this table: their windows from LAYOUT_VIRTIO_MMIO_BASE) guard their registers
 * and each queue with the transport's locks (virtio_mmio.h: register lock, then queue
 * locks; the I/O thread takes one queue lock), their notes with vm->virtio.notes_lock.
 */
static int register_devices(struct vm *vm)
{
	const struct {
		struct bus *bus;
		uint64_t base, len;
		struct bus_device dev;
	} table[] = {
		/* 0x0060: 8042 keyboard controller, data (no keyboard: reads 0 or a reply; output port) */
		{ &vm->pio,
		  PORT_I8042_DATA,
		  1,
		  { .name = "i8042 data",
		    .read = i8042_data_read,
		    .write = i8042_data_write,
		    .opaque = &vm->i8042 } },
		/* 0x0064: 8042 status and command (0xfe: reset; 0xd1, 0xdd, 0xdf: A20) */
		{ &vm->pio,
		  PORT_I8042_COMMAND,
		  1,
		  { .name = "i8042 command",
		    .read = i8042_status_read,
		    .write = i8042_command_write,
		    .opaque = &vm->i8042 } },
		/* 0x0080: POST code / Linux's I/O delay port: written, never read */
		{ &vm->pio, PORT_POST, 1, { .name = "POST/io delay" } },
		/* 0x03f8 - 0x03ff: 16550A UART, COM1 */
		{ &vm->pio,
		  PORT_COM1,
		  PORT_COM_SIZE,
		  { .name = "serial COM1",
		    .read = serial_bus_read,
		    .write = serial_bus_write,
		    .opaque = &vm->com1 } },
		/* 0x0500: mini-kvm hypercalls (include/mini-kvm/hypercall.h): the vCPU's registers */
		{ &vm->pio,
		  HC_PORT,
		  1,
		  { .name = "hypercall",
		    .read = hypercall_bus_read,
		    .call = hypercall_bus_call,
		    .opaque = &vm->hypercall } },
		/* 0x0600 - 0x0602: ACPI sleep control, sleep status, reset (the FADT's) */
		{ &vm->pio,
		  PORT_ACPI_SLEEP_CONTROL,
		  ACPI_PM_PORTS,
		  { .name = "ACPI power",
		    .read = acpi_pm_bus_read,
		    .write = acpi_pm_bus_write,
		    .opaque = &vm->acpi_pm } },
	};
	const struct serial_ops com1_ops = { .tx = serial_tx, .rx = serial_rx, .irq = serial_irq };
	struct console *console = vm->config->console;

	serial_init(&vm->com1, &com1_ops, vm);
	vm->hypercall = (struct hypercall_dev){ .mem = &vm->mem,
						.console = console,
						.disk = vm->config->disk,
						.ops = { .exit = guest_exit, .opaque = vm } };
	vm->i8042 = (struct i8042){ .reset = guest_reset, .opaque = vm };
	vm->acpi_pm =
		(struct acpi_pm){ .poweroff = guest_poweroff, .reset = guest_reset, .opaque = vm };
	for (size_t i = 0; i < ARRAY_SIZE(table); i++) {
		int ret = bus_register(table[i].bus, table[i].base, table[i].len, &table[i].dev);

		if (ret < 0)
			return ret;
	}
	/* Input that arrives while the guest waits for it raises the UART's interrupt. */
	if (console && console->input)
		console_input_set_notify(console->input, serial_input_arrived, &vm->com1);
	return 0;
}

/* 0xd0000000 + n * 0x200: the virtio-mmio devices, disks first, then the entropy source. */
static int register_virtio(struct vm *vm)
{
	const struct vm_virtio_irq_ops irq = { .irq_line = virtio_irq_line, .opaque = vm };
	const struct vm_config *c = vm->config;

	int ret = vm_virtio_init(&vm->virtio, &vm->mem, &vm->mmio, c->virtio_disks,
				 c->nvirtio_disks, c->virtio_rng, &irq);

	if (ret == 0 && c->net)
		ret = vm_virtio_add_net(&vm->virtio, &vm->mem, &vm->mmio, c->net, c->index);
	return ret;
}

/* --- the classic PC's devices --------------------------------------------- */

static void ata_primary_irq(void *opaque, int level)
{
	vm_irq_line(opaque, IRQ_ATA_PRIMARY, level);
}

static void ata_secondary_irq(void *opaque, int level)
{
	vm_irq_line(opaque, IRQ_ATA_SECONDARY, level);
}

static int debugcon_output(void *opaque, uint8_t byte)
{
	struct vm *vm = opaque;

	return console_write(vm->config->console, &byte, 1);
}

/* isa-debug-exit: status (value << 1) | 1, whose low 8 bits become the exit status. */
static void guest_debug_exit(void *opaque, uint64_t status)
{
	vm_stop(opaque, VM_END_EXIT, (int)(status & 0xff), -1, NULL);
}

/* The index of the vCPU whose thread this is (set by vcpu_thread()), or -1. */
static __thread int this_vcpu = -1;

/* The vCPU whose thread calls, or -1 (a device handler runs on its vCPU's thread). */
static int current_vcpu(const struct vm *vm)
{
	return this_vcpu >= 0 && (unsigned int)this_vcpu < vm->nvcpus ? this_vcpu : -1;
}

/*
 * A boot sector reached the no-BIOS trap stub through vector: the guest died, and
 * bootsector_diagnose() says why from the vCPU's state (synced into its kvm_run at
 * this exit), e.g. "INT 13h called at 0000:7C25, but there is no BIOS ...".
 */
static void guest_nobios_trap(void *opaque, uint8_t vector)
{
	struct vm *vm = opaque;
	int index = current_vcpu(vm);
	char msg[VM_MESSAGE_MAX] = "";
	const char *hint = bootsector_bios_hint(vector);

	if (index >= 0) {
		const struct kvm_run *run = vm->vcpus[index].run;
		const struct bootsector_cpu cpu = {
			.cs = run->s.regs.sregs.cs.selector,
			.ip = (uint16_t)run->s.regs.regs.rip,
			.ss = run->s.regs.sregs.ss.selector,
			.sp = (uint16_t)run->s.regs.regs.rsp,
		};

		if (bootsector_diagnose(&vm->mem, &cpu, msg, sizeof(msg)) > 0) {
			vm_stop(vm, VM_END_DIED, 0, index, "%s", msg);
			return;
		}
	}
	vm_stop(vm, VM_END_DIED, 0, index,
		"INT %02Xh (or exception/interrupt %u) reached the no-BIOS trap: there is no BIOS%s%s%s",
		vector, vector, hint ? " (" : "", hint ? hint : "", hint ? ")" : "");
}

/*
 * The classic PC's devices, in port order (docs/usage.md, "Classic PC kernels"), each
 * present when the VM's config asks for it. Locking: the ATA channels, the CMOS and
 * the CRTC each have their own lock (their headers); the debug console writes through
 * the console's locks; debug-exit and the no-BIOS trap end the VM (vm_stop()).
 */
static int register_pc_devices(struct vm *vm)
{
	const struct vm_config *c = vm->config;
	bool ata_secondary = c->ata[2] != NULL;
	const struct {
		bool present;
		uint64_t base, len;
		struct bus_device dev;
	} table[] = {
		/* 0x0070 - 0x0071: MC146818A RTC and CMOS RAM (the guest's RAM sizes) */
		{ c->pc,
		  PORT_CMOS_INDEX,
		  CMOS_PORTS,
		  { .name = "CMOS/RTC",
		    .read = cmos_read,
		    .write = cmos_write,
		    .opaque = &vm->cmos } },
		/* 0x0092: system control port A: fast A20 (always on), fast reset */
		{ c->pc,
		  PORT_SYSCTL_A,
		  1,
		  { .name = "port 92h",
		    .read = i8042_sysctl_read,
		    .write = i8042_sysctl_write,
		    .opaque = &vm->i8042 } },
		/* 0x00e9: Bochs/QEMU debug console */
		{ c->bare,
		  PORT_DEBUGCON,
		  DEBUGCON_PORTS,
		  { .name = "debugcon",
		    .read = debugcon_read,
		    .write = debugcon_write,
		    .opaque = &vm->debugcon } },
		/* 0x0170 - 0x0177: ATA secondary channel, command block (IRQ 15) */
		{ ata_secondary,
		  PORT_ATA_SECONDARY_CMD,
		  ATA_CMD_PORTS,
		  { .name = "ATA secondary",
		    .read = ata_cmd_read,
		    .write = ata_cmd_write,
		    .opaque = &vm->ata[1] } },
		/* 0x01f0 - 0x01f7: ATA primary channel, command block (IRQ 14) */
		{ c->ata[0] != NULL,
		  PORT_ATA_PRIMARY_CMD,
		  ATA_CMD_PORTS,
		  { .name = "ATA primary",
		    .read = ata_cmd_read,
		    .write = ata_cmd_write,
		    .opaque = &vm->ata[0] } },
		/* 0x0376: ATA secondary channel, control block */
		{ ata_secondary,
		  PORT_ATA_SECONDARY_CTRL,
		  ATA_CTRL_PORTS,
		  { .name = "ATA secondary control",
		    .read = ata_ctrl_read,
		    .write = ata_ctrl_write,
		    .opaque = &vm->ata[1] } },
		/* 0x03d4 - 0x03d5: CGA/VGA CRT controller (cursor, start address) */
		{ c->pc,
		  PORT_CRTC_INDEX,
		  CRTC_PORTS,
		  { .name = "CRTC", .read = crtc_read, .write = crtc_write, .opaque = &vm->crtc } },
		/* 0x03f6: ATA primary channel, control block */
		{ c->ata[0] != NULL,
		  PORT_ATA_PRIMARY_CTRL,
		  ATA_CTRL_PORTS,
		  { .name = "ATA primary control",
		    .read = ata_ctrl_read,
		    .write = ata_ctrl_write,
		    .opaque = &vm->ata[0] } },
		/* 0x0510: the boot sector's no-BIOS trap stub reports its vector */
		{ c->nobios,
		  PORT_NOBIOS_TRAP,
		  NOBIOS_TRAP_PORTS,
		  { .name = "no-BIOS trap",
		    .read = nobios_trap_read,
		    .write = nobios_trap_write,
		    .opaque = &vm->nobios } },
		/* --debug-exit PORT: isa-debug-exit, the user's port */
		{ c->debug_exit,
		  c->debug_exit_port,
		  DEBUG_EXIT_PORTS,
		  { .name = "debug-exit",
		    .read = debug_exit_read,
		    .write = debug_exit_write,
		    .opaque = &vm->debug_exit } },
	};
	const struct ata_ops ata_ops[] = { { .irq = ata_primary_irq, .opaque = vm },
					   { .irq = ata_secondary_irq, .opaque = vm } };
	const struct debugcon_ops debugcon_ops = { .output = debugcon_output, .opaque = vm };
	const struct debug_exit_ops debug_exit_ops = { .exit = guest_debug_exit, .opaque = vm };

	if (c->pc) {
		cmos_init(&vm->cmos, NULL, c->mem_size);
		crtc_init(&vm->crtc);
		vm->pc_devices = true;
	}
	if (c->ata[0]) {
		for (unsigned int ch = 0; ch < ARRAY_SIZE(vm->ata); ch++)
			ata_init(&vm->ata[ch], ch, &ata_ops[ch]);
		vm->ata_devices = true;
		for (unsigned int i = 0; i < VM_ATA_DISKS; i++) {
			int ret;

			if (!c->ata[i])
				continue;
			ret = ata_attach(&vm->ata[i / ATA_DRIVES], i % ATA_DRIVES, c->ata[i]);
			if (ret < 0)
				return ret;
		}
	}
	debugcon_init(&vm->debugcon, &debugcon_ops);
	debug_exit_init(&vm->debug_exit, &debug_exit_ops);
	vm->nobios.ops = (struct nobios_trap_ops){ .trap = guest_nobios_trap, .opaque = vm };
	for (size_t i = 0; i < ARRAY_SIZE(table); i++) {
		int ret;

		if (!table[i].present)
			continue;
		ret = bus_register(&vm->pio, table[i].base, table[i].len, &table[i].dev);
		if (ret < 0)
			return error_wrap(-ret, "%s at port 0x%llx", table[i].dev.name,
					  (unsigned long long)table[i].base);
	}
	return 0;
}

static void destroy_pc_devices(struct vm *vm)
{
	if (vm->ata_devices)
		for (unsigned int ch = 0; ch < ARRAY_SIZE(vm->ata); ch++)
			ata_destroy(&vm->ata[ch]);
	vm->ata_devices = false;
	if (vm->pc_devices) {
		cmos_destroy(&vm->cmos);
		crtc_destroy(&vm->crtc);
	}
	vm->pc_devices = false;
}

const char *vm_device_name(uint64_t addr, bool mmio, void *opaque)
{
	struct vm *vm = opaque;
	const struct bus_range *r = bus_find(mmio ? &vm->mmio : &vm->pio, addr, 1);

	return r ? r->dev.name : "";
}

/* --- creation ------------------------------------------------------------ */

static int set_memory(struct vm *vm)
{
	for (unsigned int i = 0; i < vm->mem.nregions; i++) {
		const struct guest_region *r = &vm->mem.regions[i];
		struct kvm_userspace_memory_region slot = {
			.slot = i,
			.guest_phys_addr = r->gpa,
			.memory_size = r->size,
			.userspace_addr = (uintptr_t)r->hva,
		};

		if (ioctl(vm->fd, KVM_SET_USER_MEMORY_REGION, &slot) < 0)
			return error_errno(
				errno, "KVM_SET_USER_MEMORY_REGION slot %u (GPA 0x%llx, %llu MiB)",
				i, (unsigned long long)r->gpa,
				(unsigned long long)(r->size / LAYOUT_MIB));
	}
	return 0;
}

/* In-kernel 8259 PICs, IOAPIC and per-vCPU LAPICs, plus the 8254 PIT on IRQ 0. */
static int create_irqchip(struct vm *vm)
{
	struct kvm_pit_config pit = { .flags = 0 };
	struct kvm_irq_routing *routing;
	int ret;

	if (!kvm_check_cap(vm->host->fd, KVM_CAP_IRQCHIP) ||
	    !kvm_check_cap(vm->host->fd, KVM_CAP_PIT2))
		return error_set(ENOTSUP, "this host's KVM (%s) has no in-kernel irqchip or PIT",
				 vm->host->module);
	if (ioctl(vm->fd, KVM_CREATE_IRQCHIP, 0) < 0)
		return error_errno(errno, "KVM_CREATE_IRQCHIP");
	/* The PIT on I/O APIC pin 2, as the MADT and MP table say (gsi.h). */
	routing = gsi_routing_pc();
	if (!routing)
		return error_set(ENOMEM, "no memory for the GSI routing table");
	ret = ioctl(vm->fd, KVM_SET_GSI_ROUTING, routing);
	free(routing);
	if (ret < 0)
		return error_errno(errno, "KVM_SET_GSI_ROUTING");
	if (ioctl(vm->fd, KVM_CREATE_PIT2, &pit) < 0)
		return error_errno(errno, "KVM_CREATE_PIT2");
	/*
	 * A bare guest's PIT drops the ticks it could not deliver instead of
	 * reinjecting them (KVM_REINJECT_CONTROL, Documentation/virt/kvm/api.rst
	 * 4.74): KVM then needs no interrupt-ack notifier, whose removal when the VM
	 * is closed waits for two SRCU grace periods (kvm_free_pit(): ~20 ms here, on
	 * every run's way out). Switched off now, before any vCPU runs, the grace
	 * periods are idle ones (~4 ms, docs/benchmarks.md, "tiny"). Linux keeps
	 * reinjection: its boot is seconds, and its PIT calibration is KVM's default.
	 */
	if (vm->config->bare) {
		struct kvm_reinject_control reinject = { .pit_reinject = 0 };

		if (ioctl(vm->fd, KVM_REINJECT_CONTROL, &reinject) < 0)
			return error_errno(errno, "KVM_REINJECT_CONTROL");
	}
	vm->has_irqchip = true;
	return 0;
}

static int set_private_pages(struct vm *vm)
{
	uint64_t identity = LAYOUT_IDENTITY_MAP;

	/* Must precede KVM_CREATE_VCPU; Intel needs them for real mode without unrestricted guest. */
	if (vm->host->identity_map_addr && ioctl(vm->fd, KVM_SET_IDENTITY_MAP_ADDR, &identity) < 0)
		return error_errno(errno, "KVM_SET_IDENTITY_MAP_ADDR 0x%llx", LAYOUT_IDENTITY_MAP);
	if (ioctl(vm->fd, KVM_SET_TSS_ADDR, (unsigned long)LAYOUT_TSS) < 0)
		return error_errno(errno, "KVM_SET_TSS_ADDR 0x%llx", LAYOUT_TSS);
	return 0;
}

int vm_check_host_vcpus(const struct kvm_host *host, unsigned int cpus)
{
	if (host->max_vcpus > 0 && cpus > (unsigned int)host->max_vcpus)
		return error_set(
			EINVAL,
			"%u vCPUs: this host's KVM (%s) runs at most %d in a VM (KVM_CAP_MAX_VCPUS)",
			cpus, host->module, host->max_vcpus);
	return 0;
}

/* A condition variable whose timed waits use the now_ns() clock (CLOCK_MONOTONIC). */
static void init_stopped_cond(pthread_cond_t *cond)
{
	pthread_condattr_t attr;

	pthread_condattr_init(&attr);
	pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
	pthread_cond_init(cond, &attr);
	pthread_condattr_destroy(&attr);
}

int vm_init(struct vm *vm, const struct vm_config *config)
{
	size_t ata_end = offsetof(struct vm, ata) + sizeof(vm->ata);
	int ret;

	/*
	 * All but the ATA channels (33 KiB of the struct's 67), which ata_init() clears
	 * when the VM has ATA disks (vm->ata_devices) and which nothing reads otherwise: a
	 * VM without them leaves those pages of its thread's stack untouched (peak RSS;
	 * make bench, "tiny").
	 */
	memset(vm, 0, offsetof(struct vm, ata));
	memset((char *)vm + ata_end, 0, sizeof(*vm) - ata_end);
	vm->config = config;
	vm->pio.name = "pio";
	vm->mmio.name = "mmio";
	timeline_init(&vm->timeline,
		      config->process_start_ns ? config->process_start_ns : now_ns());
	pthread_mutex_init(&vm->lock, NULL);
	init_stopped_cond(&vm->stopped);
	vm->fd = -1;
	snprintf(vm->trace_label, sizeof(vm->trace_label), "[%u:%s]", config->index, config->name);
	ret = guest_memory_init(&vm->mem, config->mem_size);
	if (ret == 0 && guest_memory_hugepages_pay(config->mem_size, config->large_image))
		guest_memory_advise_hugepages(&vm->mem);
	if (ret == 0)
		ret = register_devices(vm);
	if (ret == 0)
		ret = register_virtio(vm);
	if (ret == 0)
		ret = register_pc_devices(vm);
	if (ret < 0)
		vm_destroy(vm);
	return ret;
}

int vm_create(struct vm *vm, const struct kvm_host *host, const struct vm_config *config)
{
	int ret = vm_check_host_vcpus(host, config->cpus);

	if (ret < 0)
		return ret;
	ret = vm_init(vm, config);
	if (ret < 0)
		return ret;
	vm->host = host;
	vm->vcpus = calloc(config->cpus, sizeof(*vm->vcpus));
	if (!vm->vcpus) {
		ret = error_set(ENOMEM, "no memory for %u vCPUs", config->cpus);
		goto fail;
	}
	for (unsigned int i = 0; i < config->cpus; i++)
		vm->vcpus[i].fd = -1;
	if (config->gdb.address) {
		ret = gdb_vm_create(vm, &vm->gdb); /* before the vCPUs: they take its hooks */
		/* The socket now: the guest thread's sandbox has no socket() (sandbox.c). */
		if (ret == 0)
			ret = gdb_vm_listen(vm->gdb);
		if (ret < 0)
			goto fail;
	}
	vm->fd = ioctl(host->fd, KVM_CREATE_VM, 0);
	if (vm->fd < 0) {
		ret = error_errno(errno, "KVM_CREATE_VM");
		goto fail;
	}
	ret = set_memory(vm);
	if (ret < 0)
		goto fail;
	ret = set_private_pages(vm);
	if (ret < 0)
		goto fail;
	if (config->irqchip) {
		ret = create_irqchip(vm); /* before the vCPUs, which get LAPICs */
		if (ret < 0)
			goto fail;
	}
	if (vm_virtio_count(&vm->virtio)) {
		if (!vm->has_irqchip) {
			ret = error_set(EINVAL, "virtio devices need the in-kernel irqchip");
			goto fail;
		}
		ret = vm_virtio_attach_kvm(&vm->virtio, vm->fd,
					   kvm_check_cap(vm->fd, KVM_CAP_IOEVENTFD) > 0,
					   kvm_check_cap(vm->fd, KVM_CAP_IRQFD) > 0);
		if (ret < 0)
			goto fail;
	}
	for (unsigned int i = 0; i < config->cpus; i++) {
		const struct vcpu_env env = { .pio = &vm->pio,
					      .mmio = &vm->mmio,
					      .stopping = &vm->stopping,
					      .trace = config->trace,
					      .halt_watch = config->halt_watch,
					      .debug = vm->gdb ? gdb_vm_hooks(vm->gdb)
							       : config->debug,
					      .pausing = &vm->pausing };

		ret = vcpu_create(&vm->vcpus[i], vm->fd, host, i, config->cpus, &env);
		if (ret < 0)
			goto fail;
		vm->nvcpus++;
	}
	return 0;
fail:
	vm_destroy(vm);
	return ret;
}

int vm_load_image(struct vm *vm, const struct guest_image *img)
{
	struct kvm_sregs sregs;
	struct kvm_regs regs;
	int ret;

	vm->boot_mode = img->mode;
	ret = image_place(img, &vm->mem);
	if (ret < 0)
		return ret;
	ret = vcpu_get_sregs(&vm->vcpus[0], &sregs);
	if (ret < 0)
		return ret;
	ret = boot_setup(img->mode, img->entry, &vm->mem, &sregs, &regs);
	if (ret < 0)
		return error_wrap(-ret, "guest '%s'", img->path);
	return vcpu_set_state(&vm->vcpus[0], &sregs, &regs);
}

void vm_destroy(struct vm *vm)
{
	struct console *console = vm->config ? vm->config->console : NULL;

	/* The stdin reader outlives this VM: it must not reach the UART afterwards. */
	if (console && console->input)
		console_input_set_notify(console->input, NULL, NULL);
	/* The gdb server may still read vCPU registers: it goes first. */
	gdb_vm_destroy(vm->gdb);
	vm->gdb = NULL;
	for (unsigned int i = 0; vm->vcpus && i < vm->config->cpus; i++)
		if (vm->vcpus[i].fd >= 0 || vm->vcpus[i].run)
			vcpu_destroy(&vm->vcpus[i]);
	free(vm->vcpus);
	vm->vcpus = NULL;
	if (vm->fd >= 0)
		close(vm->fd);
	vm->fd = -1;
	/* The I/O threads reach guest memory: they end before it goes. */
	vm_virtio_destroy(&vm->virtio);
	destroy_pc_devices(vm);
	guest_memory_destroy(&vm->mem);
	free(vm->result.dump);
	vm->result.dump = NULL;
}

/* --- running ------------------------------------------------------------- */

void vm_stop(struct vm *vm, enum vm_end end, int status, int vcpu, const char *fmt, ...)
{
	va_list ap;

	pthread_mutex_lock(&vm->lock);
	if (vm->result.end == VM_END_RUNNING) {
		struct vm_result *r = &vm->result;

		r->end = end;
		r->status = status;
		r->vcpu = vcpu;
		if (vcpu >= 0 && (unsigned int)vcpu < vm->nvcpus && vm->vcpus[vcpu].run)
			r->exit_reason = vm->vcpus[vcpu].run->exit_reason;
		if (fmt) {
			va_start(ap, fmt);
			vsnprintf(r->message, sizeof(r->message), fmt, ap);
			va_end(ap);
		}
		if (vm->policy.amend_end)
			vm->policy.amend_end(vm->policy.opaque, r);
	}
	atomic_store(&vm->stopping, true);
	pthread_cond_broadcast(&vm->stopped);
	pthread_mutex_unlock(&vm->lock);

	for (unsigned int i = 0; i < vm->nvcpus; i++)
		if ((int)i != vcpu)
			vcpu_kick(&vm->vcpus[i]);
	/* A vCPU blocked in HC_GETCHAR or on a stalled stdout must not keep the VM alive. */
	if (vm->config->console)
		console_cancel(vm->config->console);
}

void vm_irq_line(struct vm *vm, unsigned int gsi, int level)
{
	struct kvm_irq_level irq = { .irq = gsi, .level = level };

	if (!vm->has_irqchip)
		return;
	if (ioctl(vm->fd, KVM_IRQ_LINE, &irq) < 0)
		vm_stop(vm, VM_END_ERROR, 0, -1, "KVM_IRQ_LINE %u level %d: %s", gsi, level,
			strerror(errno));
}

uint64_t vm_exits(const struct vm *vm)
{
	uint64_t exits = 0;

	for (unsigned int i = 0; i < vm->nvcpus; i++)
		exits += __atomic_load_n(&vm->vcpus[i].nexits, __ATOMIC_RELAXED);
	return exits;
}

static void kick_handler(int sig)
{
	(void)sig; /* its only job is to interrupt KVM_RUN with EINTR */
}

static void install_kick_handler(void)
{
	struct sigaction sa = { .sa_handler = kick_handler };

	sigemptyset(&sa.sa_mask);
	sa.sa_flags = 0; /* no SA_RESTART: KVM_RUN must return */
	sigaction(VCPU_KICK_SIGNAL, &sa, NULL);
}

/* Add vcpu's register dump to the result's (vm->lock held). */
static void append_dump(struct vm *vm, const struct vcpu *vcpu)
{
	char *text = NULL;
	size_t size;
	FILE *out = open_memstream(&text, &size);

	if (!out)
		return;
	if (vm->result.dump)
		fputs(vm->result.dump, out);
	vcpu_dump(vcpu, &vm->mem, out);
	fclose(out);
	free(vm->result.dump);
	vm->result.dump = text;
}

void vm_vcpu_ended(struct vm *vm, const struct vcpu *vcpu, enum vcpu_outcome o)
{
	int index = (int)vcpu->index;

	switch (o) {
	case VCPU_CONTINUE:
	case VCPU_STOPPED:
	case VCPU_PAUSED:
		break;
	case VCPU_HALTED:
		if (vcpu->message[0]) /* the halt watch says why (vcpu_idle.h) */
			vm_stop(vm, VM_END_HALT, 0, index, "%s", vcpu->message);
		else
			vm_stop(vm, VM_END_HALT, 0, index, NULL);
		break;
	case VCPU_SHUTDOWN:
		if (vm->policy.triple_fault_resets)
			vm_stop(vm, VM_END_RESET, 0, index, "reset by triple fault");
		else
			vm_stop(vm, VM_END_DIED, 0, index, "%s", vcpu->message);
		break;
	case VCPU_FAILED:
		vm_stop(vm, VM_END_DIED, 0, index, "%s", vcpu->message);
		break;
	case VCPU_IO_ERROR:
	case VCPU_KVM_ERROR:
		vm_stop(vm, VM_END_ERROR, 0, index, "%s", vcpu->message);
		break;
	}
}

/* A paused vCPU's thread waits here, out of KVM_RUN, until vm_resume() or a stop. */
static void park(struct vm *vm)
{
	pthread_mutex_lock(&vm->lock);
	vm->parked++;
	pthread_cond_broadcast(&vm->stopped);
	while (atomic_load(&vm->pausing) && !atomic_load(&vm->stopping))
		pthread_cond_wait(&vm->stopped, &vm->lock);
	vm->parked--;
	pthread_mutex_unlock(&vm->lock);
}

/* What a vCPU thread runs: which vCPU, and the VM its outcome ends. */
struct vcpu_thread_arg {
	struct vm *vm;
	struct vcpu *vcpu;
};

static void *vcpu_thread(void *opaque)
{
	struct vcpu_thread_arg *arg = opaque;
	struct vm *vm = arg->vm;
	struct vcpu *vcpu = arg->vcpu;
	sigset_t kick;

	sigemptyset(&kick);
	sigaddset(&kick, VCPU_KICK_SIGNAL);
	pthread_sigmask(SIG_UNBLOCK, &kick, NULL);
	this_vcpu = (int)vcpu->index;
	/* Set up by vm_create(): from here on, only what a vCPU needs (sandbox.c). */
	if (sandbox_enter(SANDBOX_VCPU) < 0) {
		vm_stop(vm, VM_END_ERROR, 0, -1, "vCPU %u: %s", vcpu->index, error_message());
		return NULL;
	}

	if (vcpu->index == 0)
		timeline_mark(&vm->timeline, TIMELINE_FIRST_RUN, now_ns(), 0);
	for (;;) {
		enum vcpu_outcome o = vcpu_run(vcpu);

		if (o != VCPU_PAUSED) {
			vm_vcpu_ended(vm, vcpu, o);
			break;
		}
		park(vm);
	}

	/*
	 * The vCPU that died explains itself while its state is fresh; after a
	 * --timeout every vCPU says where it was stuck.
	 */
	pthread_mutex_lock(&vm->lock);
	if ((vm->result.end == VM_END_DIED && vm->result.vcpu == (int)vcpu->index) ||
	    vm->result.end == VM_END_TIMEOUT)
		append_dump(vm, vcpu);
	pthread_mutex_unlock(&vm->lock);
	return NULL;
}

/*
 * Sleep until the VM stops, or until deadline_ns (now_ns() clock; 0: none) passes,
 * when it is stopped for --timeout. Nothing wakes this thread while the guest runs:
 * periodic wake-ups would be interrupts an L1 host must take while its guest runs.
 */
static void wait_for_stop(struct vm *vm, uint64_t deadline_ns, uint64_t timeout_ns)
{
	bool timed_out = false;

	/* The halt watch (vcpu_idle.h) wakes this thread now and then; nothing else does. */
	uint64_t next_look = vm->config->halt_watch ? now_ns() + VCPU_IDLE_CHECK_NS : 0;

	pthread_mutex_lock(&vm->lock);
	while (!atomic_load(&vm->stopping) && !timed_out) {
		uint64_t wake = deadline_ns, now;
		struct timespec until;

		if (vm->requests) {
			unsigned int requests = vm->requests;

			vm->requests = 0;
			pthread_mutex_unlock(&vm->lock);
			if (vm->on_request)
				vm->on_request(vm, requests, vm->request_opaque);
			pthread_mutex_lock(&vm->lock);
			continue;
		}
		if (next_look && (!wake || next_look < wake))
			wake = next_look;
		if (!wake) {
			pthread_cond_wait(&vm->stopped, &vm->lock);
			continue;
		}
		now = now_ns();
		if (deadline_ns && now >= deadline_ns) {
			timed_out = true;
			break;
		}
		if (next_look && now >= next_look) {
			for (unsigned int i = 0; i < vm->nvcpus; i++)
				vcpu_idle_poll(&vm->vcpus[i]);
			next_look = now + VCPU_IDLE_CHECK_NS;
			continue;
		}
		until.tv_sec = wake / NS_PER_SEC;
		until.tv_nsec = wake % NS_PER_SEC;
		pthread_cond_timedwait(&vm->stopped, &vm->lock, &until);
	}
	pthread_mutex_unlock(&vm->lock);
	if (timed_out)
		vm_stop(vm, VM_END_TIMEOUT, 0, -1, "still running after %.3f s (--timeout)",
			timeout_ns / (double)NS_PER_SEC);
}

void vm_request(struct vm *vm, unsigned int bits)
{
	pthread_mutex_lock(&vm->lock);
	vm->requests |= bits;
	pthread_cond_broadcast(&vm->stopped);
	pthread_mutex_unlock(&vm->lock);
}

void vm_hold_input(struct vm *vm, bool hold)
{
	struct console *console = vm->config->console;

	if (!console || !console->input)
		return;
	console_input_set_notify(console->input, hold ? NULL : serial_input_arrived, &vm->com1);
	if (!hold)
		serial_rx_poll(&vm->com1); /* what came while it was held */
}

int vm_pause(struct vm *vm)
{
	uint64_t deadline = now_ns() + VM_PAUSE_TIMEOUT_NS;
	int ret = 0;

	pthread_mutex_lock(&vm->lock);
	atomic_store(&vm->pausing, true);
	while (vm->parked < vm->nvcpus && !atomic_load(&vm->stopping)) {
		uint64_t now = now_ns(), until_ns = now + VCPU_REKICK_NS;
		struct timespec until;

		if (now >= deadline) {
			ret = -EBUSY;
			break;
		}
		/* Kicked again each round: a kick can land just before a thread blocks. */
		pthread_mutex_unlock(&vm->lock);
		for (unsigned int i = 0; i < vm->nvcpus; i++)
			vcpu_kick(&vm->vcpus[i]);
		pthread_mutex_lock(&vm->lock);
		if (until_ns > deadline)
			until_ns = deadline;
		until.tv_sec = until_ns / NS_PER_SEC;
		until.tv_nsec = until_ns % NS_PER_SEC;
		if (vm->parked < vm->nvcpus && !atomic_load(&vm->stopping))
			pthread_cond_timedwait(&vm->stopped, &vm->lock, &until);
	}
	if (ret == 0 && atomic_load(&vm->stopping))
		ret = -ECANCELED;
	if (ret < 0) {
		atomic_store(&vm->pausing, false);
		pthread_cond_broadcast(&vm->stopped);
	}
	pthread_mutex_unlock(&vm->lock);
	if (ret == -EBUSY)
		return error_set(EBUSY,
				 "a vCPU did not pause within %llu ms: it is blocked in a device "
				 "(waiting for console input, or for a stalled stdout)",
				 (unsigned long long)(VM_PAUSE_TIMEOUT_NS / NS_PER_MSEC));
	if (ret == -ECANCELED)
		return error_set(ECANCELED, "the VM stopped first");
	vm_hold_input(vm, true);
	return 0;
}

void vm_pause_soon(struct vm *vm)
{
	pthread_mutex_lock(&vm->lock);
	atomic_store(&vm->pausing, true);
	pthread_mutex_unlock(&vm->lock);
	for (unsigned int i = 0; i < vm->nvcpus; i++)
		vcpu_kick(&vm->vcpus[i]);
}

void vm_resume(struct vm *vm)
{
	vm_hold_input(vm, false);
	pthread_mutex_lock(&vm->lock);
	atomic_store(&vm->pausing, false);
	pthread_cond_broadcast(&vm->stopped);
	pthread_mutex_unlock(&vm->lock);
}

/*
 * Join the thread of vcpu of a stopping VM, kicking it again every VCPU_REKICK_NS:
 * a kick that landed just before the thread blocked (in a write to a stalled
 * stdout, say) would otherwise be lost.
 */
static void join_vcpu(struct vcpu *vcpu)
{
	for (;;) {
		struct timespec until;
		uint64_t ns;

		vcpu_kick(vcpu);
		clock_gettime(CLOCK_REALTIME, &until);
		ns = (uint64_t)until.tv_nsec + VCPU_REKICK_NS;
		until.tv_sec += ns / NS_PER_SEC;
		until.tv_nsec = ns % NS_PER_SEC;
		if (pthread_timedjoin_np(vcpu->thread, NULL, &until) == 0)
			return;
	}
}

int vm_run(struct vm *vm, uint64_t timeout_ns)
{
	static pthread_once_t once = PTHREAD_ONCE_INIT;
	struct vcpu_thread_arg *args = calloc(vm->nvcpus, sizeof(*args));
	unsigned int started = 0;
	int ret = 0;

	if (!args)
		return error_set(ENOMEM, "no memory for %u vCPU threads", vm->nvcpus);
	pthread_once(&once, install_kick_handler);
	if (vm->gdb) {
		/* gdb can attach from here on; the vCPUs are held already with --gdb-wait. */
		ret = gdb_vm_start(vm->gdb);
		if (ret < 0) {
			vm_stop(vm, VM_END_ERROR, 0, -1, "%s", error_message());
			free(args);
			return ret;
		}
	}
	vm->start_ns = now_ns();
	/* The devices' I/O threads serve the queues before any vCPU can fill them. */
	ret = vm_virtio_start(&vm->virtio);
	if (ret < 0) {
		vm_stop(vm, VM_END_ERROR, 0, -1, "%s", error_message());
		free(args);
		vm->end_ns = now_ns();
		return ret;
	}
	for (; started < vm->nvcpus; started++) {
		struct vcpu *vcpu = &vm->vcpus[started];

		args[started] = (struct vcpu_thread_arg){ .vm = vm, .vcpu = vcpu };
		ret = pthread_create(&vcpu->thread, NULL, vcpu_thread, &args[started]);
		if (ret) {
			vm_stop(vm, VM_END_ERROR, 0, -1, "cannot start vCPU %u's thread: %s",
				started, strerror(ret));
			ret = -ret;
			break;
		}
		atomic_store(&vcpu->thread_started, true);
	}

	/* --vga-text: the text screen on the console, drawn by a thread of its own. */
	if (started == vm->nvcpus && vm->config->vga_text && vm->pc_devices) {
		vm->vga = (struct vga_text_view){ .mem = &vm->mem,
						  .crtc = &vm->crtc,
						  .console = vm->config->console,
						  .serial_used = &vm->serial_used,
						  .flags = vm->config->vga_text_flags };
		if (vga_text_start(&vm->vga) < 0)
			vm_stop(vm, VM_END_ERROR, 0, -1, "%s", error_message());
	}
	/* Every vCPU thread ends only when the VM stops (vm_vcpu_ended()). */
	if (started)
		wait_for_stop(vm, timeout_ns ? vm->start_ns + timeout_ns : 0, timeout_ns);
	/* Tell gdb how the VM ended; vCPUs parked for it leave their loops. */
	if (vm->gdb)
		gdb_vm_end(vm->gdb);
	for (unsigned int i = 0; i < started; i++)
		join_vcpu(&vm->vcpus[i]);
	if (vm->gdb)
		gdb_vm_stop(vm->gdb); /* gdb gets its last reply (W or X) */
	if (vga_text_stop(&vm->vga) < 0)
		vm_stop(vm, VM_END_ERROR, 0, -1, "--vga-text: writing the text screen: %s",
			error_message());
	for (unsigned int i = 0; i < started; i++)
		atomic_store(&vm->vcpus[i].thread_started, false);
	/* No vCPU notifies any more: the batches in progress finish, then the threads go. */
	vm_virtio_stop(&vm->virtio);
	free(args);
	vm->end_ns = now_ns();
	return ret;
}
