/* SPDX-License-Identifier: MIT */
/* A vCPU without KVM for unit tests: the buses, the hypercall port and a kvm_run in plain memory. */
#include "fake_vcpu.h"

#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "arch/x86/x86.h"
#include "mini-kvm/hypercall.h"

_Static_assert(sizeof(struct kvm_run) <= FAKE_IO_DATA_OFFSET, "kvm_run overlaps the I/O data");

/* HC_EXIT, as vm.c's capability does it: the VM is stopping, with the guest's status. */
static void fake_exit(void *opaque, uint32_t status)
{
	struct fake_vcpu *f = opaque;

	f->exit_status = status;
	atomic_store(&f->stopping, true);
}

int fake_vcpu_init(struct fake_vcpu *f)
{
	const struct bus_device hc = { .name = "hypercall",
				       .read = hypercall_bus_read,
				       .call = hypercall_bus_call,
				       .opaque = &f->hypercall };
	struct vcpu_env env = { .pio = &f->pio, .mmio = &f->mmio, .stopping = &f->stopping };

	memset(f, 0, sizeof(*f));
	f->exit_status = FAKE_NO_EXIT;
	f->pio.name = "pio";
	f->mmio.name = "mmio";
	if (pipe(f->out) || fcntl(f->out[0], F_SETFL, O_NONBLOCK))
		return -1;
	f->run = aligned_alloc(FAKE_IO_DATA_OFFSET, FAKE_RUN_SIZE);
	if (!f->run || guest_memory_init(&f->mem, FAKE_RAM))
		return -1;
	memset(f->run, 0, FAKE_RUN_SIZE);
	console_init(&f->console, FAKE_INDEX, FAKE_NAME, false, NULL, f->out[1]);
	f->hypercall = (struct hypercall_dev){ .mem = &f->mem,
					       .console = &f->console,
					       .ops = { .exit = fake_exit, .opaque = f } };
	if (bus_register(&f->pio, HC_PORT, 1, &hc))
		return -1;

	f->vcpu = (struct vcpu){
		.index = 0, .fd = -1, .run = f->run, .run_size = FAKE_RUN_SIZE, .env = env
	};
	f->run->kvm_valid_regs = KVM_SYNC_X86_REGS | KVM_SYNC_X86_SREGS;
	fake_real_mode(f, false);
	return 0;
}

void fake_vcpu_destroy(struct fake_vcpu *f)
{
	guest_memory_destroy(&f->mem);
	console_destroy(&f->console);
	free(f->run);
	close(f->out[0]);
	close(f->out[1]);
}

int fake_vcpu_setup(void **state)
{
	struct fake_vcpu *f = malloc(sizeof(*f));

	if (!f || fake_vcpu_init(f)) {
		free(f);
		return -1;
	}
	*state = f;
	return 0;
}

int fake_vcpu_teardown(void **state)
{
	struct fake_vcpu *f = *state;

	fake_vcpu_destroy(f);
	free(f);
	return 0;
}

void fake_real_mode(struct fake_vcpu *f, bool real)
{
	struct kvm_sregs *sregs = &f->run->s.regs.sregs;

	if (real)
		sregs->cr0 &= ~X86_CR0_PE;
	else
		sregs->cr0 |= X86_CR0_PE;
}

const char *fake_output(struct fake_vcpu *f)
{
	ssize_t n = read(f->out[0], f->text, FAKE_OUT_MAX);

	f->text[n > 0 ? n : 0] = '\0';
	return f->text;
}

uint8_t *fake_io(struct fake_vcpu *f, bool out, uint16_t port, uint8_t size, uint32_t count,
		 const void *data)
{
	uint8_t *area = (uint8_t *)f->run + FAKE_IO_DATA_OFFSET;

	f->run->exit_reason = KVM_EXIT_IO;
	f->run->io.direction = out ? KVM_EXIT_IO_OUT : KVM_EXIT_IO_IN;
	f->run->io.size = size;
	f->run->io.port = port;
	f->run->io.count = count;
	f->run->io.data_offset = FAKE_IO_DATA_OFFSET;
	f->run->kvm_dirty_regs = 0;
	memset(area, 0, FAKE_IO_DATA_SIZE);
	if (out)
		memcpy(area, data, (size_t)size * count);
	return area;
}

void fake_mmio(struct fake_vcpu *f, bool write, uint64_t addr, uint32_t len, const void *data)
{
	f->run->exit_reason = KVM_EXIT_MMIO;
	f->run->mmio.phys_addr = addr;
	f->run->mmio.len = len;
	f->run->mmio.is_write = write;
	memset(f->run->mmio.data, 0, sizeof(f->run->mmio.data));
	if (write)
		memcpy(f->run->mmio.data, data, len);
}
