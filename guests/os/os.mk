# SPDX-License-Identifier: MIT
# guests/os/os.mk: the teaching OS (included by guests/guests.mk).
#
#   $(BUILD)/guests/os/kernel.elf   the kernel, an ELF64 linked in the higher half,
#                                   with the user programs embedded (programs.S)
#   $(BUILD)/guests/obj/os/user/*.bin  the user programs, flat images at USER_BASE
#
# Run: build/mini-kvm run --irqchip --disk DISK.tar build/guests/os/kernel.elf

OS_OUT := $(GUEST_OUT)/os
OS_OBJ := $(GUEST_OBJ)/os

OS_PROGRAMS := shell hello null spin true

OS_CPPFLAGS := $(GUEST_CPPFLAGS) -Iguests/os/include/os -Iguests/os/lib
# -mcmodel=kernel: the kernel lives in the top 2 GiB (memlayout.h); user programs
# sit at USER_BASE, low, where the default small model fits.
OS_KERNEL_CFLAGS := $(GUEST_CFLAGS) -m64 -mno-red-zone -mcmodel=kernel -Iguests/os/kernel
OS_USER_CFLAGS := $(GUEST_CFLAGS) -m64 -mcmodel=small -Iguests/os/user

OS_KERNEL_C := $(wildcard guests/os/kernel/*.c)
OS_KERNEL_OBJS := $(OS_KERNEL_C:guests/os/kernel/%.c=$(OS_OBJ)/kernel/%.o) \
	$(OS_OBJ)/kernel/boot.o $(OS_OBJ)/kernel/entry.o $(OS_OBJ)/kernel/programs.o \
	$(OS_OBJ)/kernel/str.o $(OS_OBJ)/kernel/format.o $(OS_OBJ)/kernel/string.o
OS_ULIB_OBJS := $(OS_OBJ)/user/crt0.o $(OS_OBJ)/user/ulib.o $(OS_OBJ)/user/str.o \
	$(OS_OBJ)/user/format.o $(OS_OBJ)/user/string.o
OS_USER_BINS := $(OS_PROGRAMS:%=$(OS_OBJ)/user/%.bin)

guests: $(OS_OUT)/kernel.elf

# --- kernel -----------------------------------------------------------------------

$(OS_OBJ)/kernel/%.o: guests/os/kernel/%.c
	@mkdir -p $(@D)
	$(CC) $(OS_CPPFLAGS) $(OS_KERNEL_CFLAGS) -MMD -MP -c $< -o $@

$(OS_OBJ)/kernel/%.o: guests/os/lib/%.c
	@mkdir -p $(@D)
	$(CC) $(OS_CPPFLAGS) $(OS_KERNEL_CFLAGS) -MMD -MP -c $< -o $@

$(OS_OBJ)/kernel/%.o: guests/lib/%.c
	@mkdir -p $(@D)
	$(CC) $(OS_CPPFLAGS) $(OS_KERNEL_CFLAGS) -MMD -MP -c $< -o $@

# programs.S .incbin's the user programs, found through -I.
$(OS_OBJ)/kernel/programs.o: $(OS_USER_BINS)
$(OS_OBJ)/kernel/%.o: guests/os/kernel/%.S
	@mkdir -p $(@D)
	$(CC) -m64 $(OS_CPPFLAGS) -Iguests/os/kernel $(GUEST_ASFLAGS) -Wa,-I$(OS_OBJ)/user \
		-MMD -MP -c $< -o $@

$(OS_OBJ)/kernel.ld: guests/os/kernel/kernel.ld.S guests/os/kernel/memlayout.h
	@mkdir -p $(@D)
	$(GUEST_LDS_CPP) -Iguests/os/kernel $< > $@

$(OS_OUT)/kernel.elf: $(OS_KERNEL_OBJS) $(OS_OBJ)/kernel.ld
	@mkdir -p $(@D)
	$(GUEST_LD) -m elf_x86_64 $(GUEST_LDFLAGS) -T $(OS_OBJ)/kernel.ld \
		$(filter %.o,$^) -o $@

# --- user programs ----------------------------------------------------------------

$(OS_OBJ)/user/%.o: guests/os/user/%.c
	@mkdir -p $(@D)
	$(CC) $(OS_CPPFLAGS) $(OS_USER_CFLAGS) -MMD -MP -c $< -o $@

$(OS_OBJ)/user/%.o: guests/os/lib/%.c
	@mkdir -p $(@D)
	$(CC) $(OS_CPPFLAGS) $(OS_USER_CFLAGS) -MMD -MP -c $< -o $@

$(OS_OBJ)/user/%.o: guests/lib/%.c
	@mkdir -p $(@D)
	$(CC) $(OS_CPPFLAGS) $(OS_USER_CFLAGS) -MMD -MP -c $< -o $@

$(OS_OBJ)/user/%.o: guests/os/user/%.S
	@mkdir -p $(@D)
	$(CC) -m64 $(OS_CPPFLAGS) $(GUEST_ASFLAGS) -MMD -MP -c $< -o $@

$(OS_OBJ)/user.ld: guests/os/user/user.ld.S guests/os/include/os/abi.h
	@mkdir -p $(@D)
	$(GUEST_LDS_CPP) -Iguests/os/include/os $< > $@

# The ELF stays for objdump; the flat .bin is what the kernel embeds.
$(OS_OBJ)/user/%.elf: $(OS_OBJ)/user/%.o $(OS_ULIB_OBJS) $(OS_OBJ)/user.ld
	$(GUEST_LD) -m elf_x86_64 $(GUEST_LDFLAGS_FLAT) -T $(OS_OBJ)/user.ld \
		$(filter %.o,$^) -o $@

$(OS_OBJ)/user/%.bin: $(OS_OBJ)/user/%.elf
	$(GUEST_OBJCOPY) -O binary $< $@

.PRECIOUS: $(OS_OBJ)/user/%.elf $(OS_OBJ)/user/%.o

-include $(OS_KERNEL_OBJS:.o=.d) $(OS_ULIB_OBJS:.o=.d) $(OS_PROGRAMS:%=$(OS_OBJ)/user/%.d)
