/* SPDX-License-Identifier: MIT */
/*
 * kvm-floor: the least a VMM can do per VM exit, as a yardstick for mini-kvm's exit
 * cost (make bench, "exits"). It runs a flat real-mode guest at GPA 0 with one vCPU
 * and a KVM_RUN loop that only answers port reads with 0 and stops at the first
 * port write (the guest's HC_EXIT) or HLT: no device table, no statistics, no
 * threads.
 *
 *   kvm-floor [--pit | --pit-no-reinject] GUEST.bin
 *
 * --pit creates KVM's in-kernel irqchip and PIT first (KVM_CREATE_IRQCHIP,
 * KVM_CREATE_PIT2), so that the PIT's ports are answered inside the kernel;
 * --pit-no-reinject also turns the PIT's reinjection of lost ticks off
 * (KVM_REINJECT_CONTROL), as mini-kvm does for bare guests: closing the VM then
 * waits for no SRCU grace periods (the "tiny" benchmark). Prints
 * one line: "user_exits M ns T": M the exits that came out to this program, T the
 * nanoseconds (CLOCK_MONOTONIC) from the first KVM_RUN to the guest's end. The guest's
 * own exit count is its loop count (bench/guests/exitloop.S), which the caller knows.
 * Exit status 0, or 1 with a message.
 *
 * Not the VMM: a benchmark tool, so its error handling is main()'s.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/kvm.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#define GUEST_RAM_SIZE (1u << 20) /* 1 MiB: a real-mode guest sees no more */

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static int fail(const char *what, const char *why)
{
	fprintf(stderr, "kvm-floor: %s: %s\n", what, why);
	return 1;
}

int main(int argc, char **argv)
{
	int no_reinject = argc == 3 && strcmp(argv[1], "--pit-no-reinject") == 0;
	int pit = no_reinject || (argc == 3 && strcmp(argv[1], "--pit") == 0);
	const char *path = argv[argc - 1];

	if (argc != 2 + pit)
		return fail("usage", "kvm-floor [--pit | --pit-no-reinject] GUEST.bin");

	int kvm = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	if (kvm < 0)
		return fail("/dev/kvm", strerror(errno));
	int vm = ioctl(kvm, KVM_CREATE_VM, 0);
	if (vm < 0)
		return fail("KVM_CREATE_VM", strerror(errno));

	uint8_t *ram = mmap(NULL, GUEST_RAM_SIZE, PROT_READ | PROT_WRITE,
			    MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (ram == MAP_FAILED)
		return fail("mmap guest RAM", strerror(errno));
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return fail(path, strerror(errno));
	ssize_t len = read(fd, ram, GUEST_RAM_SIZE);
	close(fd);
	if (len <= 0)
		return fail(path, len < 0 ? strerror(errno) : "empty file");

	struct kvm_userspace_memory_region region = {
		.slot = 0,
		.guest_phys_addr = 0,
		.memory_size = GUEST_RAM_SIZE,
		.userspace_addr = (uintptr_t)ram,
	};
	if (ioctl(vm, KVM_SET_USER_MEMORY_REGION, &region) < 0)
		return fail("KVM_SET_USER_MEMORY_REGION", strerror(errno));
	if (pit) {
		struct kvm_pit_config pit_config = { .flags = KVM_PIT_SPEAKER_DUMMY };

		if (ioctl(vm, KVM_CREATE_IRQCHIP, 0) < 0)
			return fail("KVM_CREATE_IRQCHIP", strerror(errno));
		if (ioctl(vm, KVM_CREATE_PIT2, &pit_config) < 0)
			return fail("KVM_CREATE_PIT2", strerror(errno));
		struct kvm_reinject_control reinject = { .pit_reinject = 0 };

		if (no_reinject && ioctl(vm, KVM_REINJECT_CONTROL, &reinject) < 0)
			return fail("KVM_REINJECT_CONTROL", strerror(errno));
	}

	int vcpu = ioctl(vm, KVM_CREATE_VCPU, 0);
	if (vcpu < 0)
		return fail("KVM_CREATE_VCPU", strerror(errno));
	int run_size = ioctl(kvm, KVM_GET_VCPU_MMAP_SIZE, 0);
	if (run_size < 0)
		return fail("KVM_GET_VCPU_MMAP_SIZE", strerror(errno));
	struct kvm_run *run =
		mmap(NULL, (size_t)run_size, PROT_READ | PROT_WRITE, MAP_SHARED, vcpu, 0);
	if (run == MAP_FAILED)
		return fail("mmap kvm_run", strerror(errno));

	/* Real mode at 0:0, as mini-kvm starts a flat guest. */
	struct kvm_sregs sregs;
	if (ioctl(vcpu, KVM_GET_SREGS, &sregs) < 0)
		return fail("KVM_GET_SREGS", strerror(errno));
	sregs.cs.base = 0;
	sregs.cs.selector = 0;
	if (ioctl(vcpu, KVM_SET_SREGS, &sregs) < 0)
		return fail("KVM_SET_SREGS", strerror(errno));
	struct kvm_regs regs = { .rip = 0, .rsp = 0xfff0, .rflags = 0x2 };
	if (ioctl(vcpu, KVM_SET_REGS, &regs) < 0)
		return fail("KVM_SET_REGS", strerror(errno));

	uint64_t user_exits = 0, start = now_ns();
	for (;;) {
		if (ioctl(vcpu, KVM_RUN, 0) < 0) {
			if (errno == EINTR)
				continue;
			return fail("KVM_RUN", strerror(errno));
		}
		user_exits++;
		if (run->exit_reason == KVM_EXIT_HLT)
			break;
		if (run->exit_reason != KVM_EXIT_IO) {
			char why[64];

			snprintf(why, sizeof(why), "unexpected exit reason %u", run->exit_reason);
			return fail(path, why);
		}
		if (run->io.direction == KVM_EXIT_IO_OUT)
			break; /* HC_EXIT */
		memset((uint8_t *)run + run->io.data_offset, 0, run->io.size * run->io.count);
	}
	uint64_t elapsed = now_ns() - start;

	printf("user_exits %llu ns %llu\n", (unsigned long long)user_exits,
	       (unsigned long long)elapsed);
	return 0;
}
