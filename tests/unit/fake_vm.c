/* A VM without KVM for unit tests: the pieces vcpu_handle_exit() and the hypercall device touch. */
#include "fake_vm.h"

#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "devices/hypercall.h"
#include "mini-kvm/hypercall.h"
#include "x86.h"

_Static_assert(sizeof(struct kvm_run) <= FAKE_IO_DATA_OFFSET, "kvm_run overlaps the I/O data");

int fake_vm_init(struct fake_vm *f)
{
	const struct bus_device hc = { "hypercall", hypercall_bus_read, hypercall_bus_write,
				       &f->vm.hypercall };
	struct vcpu *vcpu = &f->vcpu0;

	memset(f, 0, sizeof(*f));
	f->vm.vcpus = &f->vcpu0;
	if (pipe(f->out) || fcntl(f->out[0], F_SETFL, O_NONBLOCK))
		return -1;
	f->run = aligned_alloc(FAKE_IO_DATA_OFFSET, FAKE_RUN_SIZE);
	if (!f->run)
		return -1;
	memset(f->run, 0, FAKE_RUN_SIZE);

	console_init(&f->console, FAKE_VM_INDEX, FAKE_VM_NAME, false, NULL, f->out[1]);
	f->config = (struct vm_config){ .index = FAKE_VM_INDEX,
					.name = FAKE_VM_NAME,
					.mem_size = FAKE_VM_RAM,
					.cpus = 1,
					.console = &f->console };
	f->vm.config = &f->config;
	f->vm.fd = -1;
	pthread_mutex_init(&f->vm.lock, NULL);
	if (guest_memory_init(&f->vm.mem, FAKE_VM_RAM))
		return -1;
	f->vm.pio.name = "pio";
	f->vm.mmio.name = "mmio";
	f->vm.hypercall = (struct hypercall_dev){ .mem = &f->vm.mem, .console = &f->console };
	if (bus_register(&f->vm.pio, HC_PORT, 1, &hc))
		return -1;

	vcpu->vm = &f->vm;
	vcpu->index = 0;
	vcpu->fd = -1;
	vcpu->run = f->run;
	vcpu->run_size = FAKE_RUN_SIZE;
	f->vm.nvcpus = 1;
	f->run->kvm_valid_regs = KVM_SYNC_X86_REGS | KVM_SYNC_X86_SREGS;
	fake_vm_real_mode(f, false);
	return 0;
}

void fake_vm_destroy(struct fake_vm *f)
{
	guest_memory_destroy(&f->vm.mem);
	pthread_mutex_destroy(&f->vm.lock);
	console_destroy(&f->console);
	free(f->run);
	close(f->out[0]);
	close(f->out[1]);
}

int fake_vm_setup(void **state)
{
	struct fake_vm *f = malloc(sizeof(*f));

	if (!f || fake_vm_init(f)) {
		free(f);
		return -1;
	}
	*state = f;
	return 0;
}

int fake_vm_teardown(void **state)
{
	struct fake_vm *f = *state;

	fake_vm_destroy(f);
	free(f);
	return 0;
}

void fake_vm_real_mode(struct fake_vm *f, bool real)
{
	struct kvm_sregs *sregs = &f->run->s.regs.sregs;

	if (real)
		sregs->cr0 &= ~X86_CR0_PE;
	else
		sregs->cr0 |= X86_CR0_PE;
}

const char *fake_vm_output(struct fake_vm *f)
{
	ssize_t n = read(f->out[0], f->text, FAKE_OUT_MAX);

	f->text[n > 0 ? n : 0] = '\0';
	return f->text;
}

uint8_t *fake_io(struct fake_vm *f, bool out, uint16_t port, uint8_t size, uint32_t count,
		 const void *data)
{
	uint8_t *area = (uint8_t *)f->run + FAKE_IO_DATA_OFFSET;

	f->run->exit_reason = KVM_EXIT_IO;
	f->run->io.direction = out ? KVM_EXIT_IO_OUT : KVM_EXIT_IO_IN;
	f->run->io.size = size;
	f->run->io.port = port;
	f->run->io.count = count;
	f->run->io.data_offset = FAKE_IO_DATA_OFFSET;
	memset(area, 0, FAKE_IO_DATA_SIZE);
	if (out)
		memcpy(area, data, (size_t)size * count);
	return area;
}

void fake_mmio(struct fake_vm *f, bool write, uint64_t addr, uint32_t len, const void *data)
{
	f->run->exit_reason = KVM_EXIT_MMIO;
	f->run->mmio.phys_addr = addr;
	f->run->mmio.len = len;
	f->run->mmio.is_write = write;
	memset(f->run->mmio.data, 0, sizeof(f->run->mmio.data));
	if (write)
		memcpy(f->run->mmio.data, data, len);
}
