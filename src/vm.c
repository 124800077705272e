/* VMs: KVM_CREATE_VM, RAM slots, the device table, vCPU threads, and how a VM ends. */
#include "vm.h"

#include <errno.h>
#include <signal.h>
#include <stdarg.h>
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
#include "loaders/image.h"
#include "mini-kvm/hypercall.h"
#include "util.h"

/* How often a stopping VM's vCPU threads are kicked again until they leave. */
#define VCPU_REKICK_NS (50 * NS_PER_MSEC)

/* --- devices ------------------------------------------------------------- */

static int serial_tx(void *opaque, uint8_t byte)
{
	struct vm *vm = opaque;

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
 * above (vm_stop()) or write to the console.
 */
static int register_devices(struct vm *vm)
{
	const struct {
		struct bus *bus;
		uint64_t base, len;
		struct bus_device dev;
	} table[] = {
		/* 0x0060: 8042 keyboard controller, data (no keyboard: reads 0) */
		{ &vm->pio,
		  PORT_I8042_DATA,
		  1,
		  { .name = "i8042 data", .read = i8042_data_read, .opaque = &vm->i8042 } },
		/* 0x0064: 8042 status and command (0xfe: reset) */
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
	int ret;

	memset(vm, 0, sizeof(*vm));
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
	if (ret == 0)
		ret = register_devices(vm);
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
	for (unsigned int i = 0; i < config->cpus; i++) {
		const struct vcpu_env env = { .pio = &vm->pio,
					      .mmio = &vm->mmio,
					      .stopping = &vm->stopping,
					      .pausing = &vm->pausing,
					      .trace_label =
						      config->trace ? vm->trace_label : NULL };

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
	for (unsigned int i = 0; vm->vcpus && i < vm->config->cpus; i++)
		if (vm->vcpus[i].fd >= 0 || vm->vcpus[i].run)
			vcpu_destroy(&vm->vcpus[i]);
	free(vm->vcpus);
	vm->vcpus = NULL;
	if (vm->fd >= 0)
		close(vm->fd);
	vm->fd = -1;
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

	pthread_mutex_lock(&vm->lock);
	while (!atomic_load(&vm->stopping) && !timed_out) {
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
		if (!deadline_ns) {
			pthread_cond_wait(&vm->stopped, &vm->lock);
			continue;
		}
		if (now_ns() >= deadline_ns) {
			timed_out = true;
			break;
		}
		until.tv_sec = deadline_ns / NS_PER_SEC;
		until.tv_nsec = deadline_ns % NS_PER_SEC;
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
	vm->start_ns = now_ns();
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

	/* Every vCPU thread ends only when the VM stops (vm_vcpu_ended()). */
	if (started)
		wait_for_stop(vm, timeout_ns ? vm->start_ns + timeout_ns : 0, timeout_ns);
	for (unsigned int i = 0; i < started; i++)
		join_vcpu(&vm->vcpus[i]);
	for (unsigned int i = 0; i < started; i++)
		atomic_store(&vm->vcpus[i].thread_started, false);
	free(args);
	vm->end_ns = now_ns();
	return ret;
}
