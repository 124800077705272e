# SPDX-License-Identifier: MIT
# bench/matmul/matmul.mk: the matmul benchmark's programs (included by bench/bench.mk).
#   $(BUILD)/bench/matmul-native         the kernel as a Linux program (the yardstick)
#   $(BUILD)/bench/matmul-native-static  the same, static: Linux runs it under QEMU TCG
#   $(BUILD)/bench/matmul-kvm.elf        bare ELF64 guest for mini-kvm (hypercalls)
#   $(BUILD)/bench/matmul-pc.elf         bare Multiboot ELF32 for QEMU's -kernel (PC devices)
#
# The kernel (matmul.c) and its driver (driver.c) are compiled ONCE, with MATMUL_CFLAGS,
# and the same objects are linked into all four: the runners differ in how they start,
# tell time and print, never in the arithmetic, so their checksums must agree bit for
# bit. -ffp-contract=off: no fused multiply-add even where the target has one; x86-64
# doubles use SSE2, not x87. Freestanding, non-PIC and without a red zone, so that the
# objects also suit the bare guest; -fno-tree-loop-distribute-patterns keeps gcc from
# calling memset for the zeroing of C. -falign-functions: the kernel's loops sit at the
# same offsets within a cache line in every executable.

MATMUL_OUT := $(BENCH_OUT)/matmul
MATMUL_CFLAGS := -std=gnu11 -Wall -Wextra $(WERROR_FLAG) -O2 -g -ffp-contract=off \
		 -ffreestanding -fno-pic -fno-pie -fno-stack-protector -mno-red-zone \
		 -fno-asynchronous-unwind-tables -fno-tree-loop-distribute-patterns \
		 -falign-functions=64 -m64 -mcmodel=small
MATMUL_GUEST_CPPFLAGS := -Iinclude -Iguests/lib -Ibench/matmul -Ibench/matmul/guest \
			 -DMINI_KVM_GUEST
MATMUL_LDFLAGS := -m elf_x86_64 -nostdlib -static --build-id=none -z noexecstack \
		  -z max-page-size=0x1000 -T bench/matmul/guest/guest.ld

MATMUL_KERNEL := $(MATMUL_OUT)/matmul.o $(MATMUL_OUT)/driver.o
# guests/lib's formatter (for the report line) and mem* (gcc may call them).
MATMUL_GUEST_COMMON := $(MATMUL_OUT)/ring3.o $(MATMUL_OUT)/main.o $(MATMUL_OUT)/format.o \
		       $(MATMUL_OUT)/string.o $(MATMUL_KERNEL)
MATMUL_BINS := $(BENCH_OUT)/matmul-native $(BENCH_OUT)/matmul-native-static \
	       $(BENCH_OUT)/matmul-kvm.elf $(BENCH_OUT)/matmul-pc.elf
MATMUL_HEADERS := bench/matmul/matmul.mk bench/matmul/matmul.h bench/matmul/guest/platform.h \
		  bench/matmul/guest/selectors.h include/mini-kvm/hypercall.h

$(MATMUL_OUT)/%.o: bench/matmul/%.c $(MATMUL_HEADERS)
	@mkdir -p $(@D)
	$(CC) $(MATMUL_CFLAGS) $(MATMUL_GUEST_CPPFLAGS) -c $< -o $@

$(MATMUL_OUT)/%.o: bench/matmul/guest/%.c $(MATMUL_HEADERS)
	@mkdir -p $(@D)
	$(CC) $(MATMUL_CFLAGS) $(MATMUL_GUEST_CPPFLAGS) -c $< -o $@

$(MATMUL_OUT)/%.o: bench/matmul/guest/%.S bench/matmul/guest/selectors.h bench/matmul/matmul.mk
	@mkdir -p $(@D)
	$(CC) -m64 $(MATMUL_GUEST_CPPFLAGS) -Wa,--noexecstack -Wa,--fatal-warnings -c $< -o $@

$(MATMUL_OUT)/%.o: guests/lib/%.c bench/matmul/matmul.mk
	@mkdir -p $(@D)
	$(CC) $(MATMUL_CFLAGS) $(MATMUL_GUEST_CPPFLAGS) -c $< -o $@

# native.c is a hosted program; the kernel objects are not PIC, hence -no-pie.
$(MATMUL_OUT)/native.o: bench/matmul/native.c bench/matmul/matmul.h bench/matmul/matmul.mk
	@mkdir -p $(@D)
	$(CC) $(CFLAGS_COMMON) $(CFLAGS) -Ibench/matmul -c $< -o $@

$(BENCH_OUT)/matmul-native: $(MATMUL_OUT)/native.o $(MATMUL_KERNEL)
	$(CC) $(CFLAGS_COMMON) $(CFLAGS) -no-pie $^ -o $@

$(BENCH_OUT)/matmul-native-static: $(MATMUL_OUT)/native.o $(MATMUL_KERNEL)
	$(CC) $(CFLAGS_COMMON) $(CFLAGS) -static $^ -o $@

$(BENCH_OUT)/matmul-kvm.elf: $(MATMUL_GUEST_COMMON) $(MATMUL_OUT)/platform_hc.o \
			     bench/matmul/guest/guest.ld
	$(LD) $(MATMUL_LDFLAGS) -e _start64 $(filter %.o,$^) -o $@

# QEMU's Multiboot loader refuses ELF64 ("give a 32bit one"): link as usual, then copy
# the same bytes into an ELF32 (entry _start32, 32-bit code; the rest is 64-bit code
# the CPU reaches after boot32.S turns long mode on).
$(MATMUL_OUT)/matmul-pc64.elf: $(MATMUL_OUT)/boot32.o $(MATMUL_GUEST_COMMON) \
			       $(MATMUL_OUT)/platform_pc.o bench/matmul/guest/guest.ld
	$(LD) $(MATMUL_LDFLAGS) -e _start32 $(filter %.o,$^) -o $@

$(BENCH_OUT)/matmul-pc.elf: $(MATMUL_OUT)/matmul-pc64.elf
	objcopy -O elf32-i386 $< $@
