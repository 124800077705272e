# SPDX-License-Identifier: MIT
# guests/guests.mk: builds the bundled guest programs into $(BUILD)/guests/ (included by ../Makefile).
#
#   real mode, flat .bin:  minimal hello counter multiplication hctest echo   (GNU as, .code16)
#   protected, flat .bin:  pmode                                              (GNU as, .code32)
#   ELF32 higher half:     paging.elf   (freestanding C + guests/lib, 32-bit paging)
#   ELF64:                 long.elf     (freestanding C + guests/lib, long mode)
#
# Objects, linker scripts and the ELF images behind the .bin files (handy for
# objdump) go to $(BUILD)/guests/obj/. Nothing here uses CFLAGS: flags meant for
# the VMM (sanitizers, -fPIE ...) have no place in a guest.

GUEST_OUT := $(BUILD)/guests
GUEST_OBJ := $(GUEST_OUT)/obj

GUEST_LD      ?= ld
GUEST_OBJCOPY ?= objcopy

GUEST_REAL := minimal hello counter multiplication hctest echo
GUEST_LIB  := console format string

GUEST_CPPFLAGS := -Iinclude -Iguests/lib -DMINI_KVM_GUEST

# --noexecstack marks the objects as not needing an executable stack (else ld
# warns); --fatal-warnings turns a truncated immediate into an error.
GUEST_ASFLAGS := -Wall -Wextra $(WERROR_FLAG) -Wa,--noexecstack -Wa,--fatal-warnings

# $(WERROR_FLAG): -Werror where the Makefile says (docs/install.md, "Warnings").
# Freestanding: no libc, no libgcc, no SSE (ring-0 code may be emulated without
# it; the guests never set up the FPU). -fno-pie: Debian's gcc defaults to PIE.
# -fno-tree-loop-distribute-patterns: keeps gcc from turning memset's own loop
# into a call to memset.
GUEST_CFLAGS := -std=gnu11 -Wall -Wextra $(WERROR_FLAG) -O2 -g \
		-ffreestanding -fno-pic -fno-pie -fno-stack-protector \
		-mgeneral-regs-only -nostdlib -fno-asynchronous-unwind-tables \
		-fno-tree-loop-distribute-patterns
GUEST_CFLAGS_32 := -m32
# The long guest is linked below 2 GiB, so the default small code model fits.
GUEST_CFLAGS_64 := -m64 -mno-red-zone -mcmodel=small

# max-page-size: align segments to 4 KiB (MKVM_PAGE_SIZE), not ld's 2 MiB default.
GUEST_LDFLAGS := -nostdlib -static --build-id=none -z noexecstack \
		 -z max-page-size=0x1000
# A flat binary is one blob that is both code and data: RWX is the point.
GUEST_LDFLAGS_FLAT := $(GUEST_LDFLAGS) --no-warn-rwx-segments

# Linker scripts are preprocessed with mini-kvm/boot.h (-undef: no predefined "i386"
# or "linux" macros to mangle the script; LINKER_SCRIPT: constants without the
# ULL suffix that ld's script parser rejects).
GUEST_LDS_CPP := $(CC) -E -P -undef -x c -DLINKER_SCRIPT $(GUEST_CPPFLAGS)

GUEST_BINS := $(GUEST_REAL:%=$(GUEST_OUT)/%.bin) $(GUEST_OUT)/pmode.bin
GUEST_ELFS := $(GUEST_OUT)/paging.elf $(GUEST_OUT)/long.elf
GUEST_LIB32 := $(GUEST_OBJ)/lib32/entry32.o $(GUEST_LIB:%=$(GUEST_OBJ)/lib32/%.o)
GUEST_LIB64 := $(GUEST_OBJ)/lib64/entry64.o $(GUEST_LIB:%=$(GUEST_OBJ)/lib64/%.o)
GUEST_DEPS := $(patsubst %.o,%.d,$(GUEST_LIB32) $(GUEST_LIB64) \
		$(GUEST_REAL:%=$(GUEST_OBJ)/%.o) $(GUEST_OBJ)/pmode.o \
		$(GUEST_OBJ)/paging.o $(GUEST_OBJ)/long.o)

guests: $(GUEST_BINS) $(GUEST_ELFS)

# --- Linker scripts -----------------------------------------------------------

$(GUEST_OBJ)/real.ld: guests/lib/flat.ld.S include/mini-kvm/boot.h
	@mkdir -p $(@D)
	$(GUEST_LDS_CPP) -DFLAT_ORIGIN=MKVM_REAL_LOAD $< > $@

$(GUEST_OBJ)/protected.ld: guests/lib/flat.ld.S include/mini-kvm/boot.h
	@mkdir -p $(@D)
	$(GUEST_LDS_CPP) -DFLAT_ORIGIN=MKVM_FLAT_LOAD $< > $@

# The higher-half kernel: virtual MKVM_HIGHER_HALF + x, physical x.
$(GUEST_OBJ)/paging.ld: guests/lib/elf.ld.S include/mini-kvm/boot.h
	@mkdir -p $(@D)
	$(GUEST_LDS_CPP) -DELF_LOAD_PHYS=MKVM_FLAT_LOAD \
		-DELF_VIRT_OFFSET=MKVM_HIGHER_HALF $< > $@

# The 64-bit guest: identity-mapped at 1 MiB, clear of the VMM's boot structures.
$(GUEST_OBJ)/long.ld: guests/lib/elf.ld.S include/mini-kvm/boot.h
	@mkdir -p $(@D)
	$(GUEST_LDS_CPP) -DELF_LOAD_PHYS=MKVM_HIGH_MEM \
		-DELF_VIRT_OFFSET=0 $< > $@

# --- Flat binaries --------------------------------------------------------------

# .code16/.code32 inside the source choose the instruction size; the object is ELF32.
$(GUEST_OBJ)/%.o: guests/%.S
	@mkdir -p $(@D)
	$(CC) -m32 $(GUEST_CPPFLAGS) $(GUEST_ASFLAGS) -MMD -MP -c $< -o $@

$(GUEST_REAL:%=$(GUEST_OBJ)/%.elf): $(GUEST_OBJ)/%.elf: $(GUEST_OBJ)/%.o $(GUEST_OBJ)/real.ld
	$(GUEST_LD) -m elf_i386 $(GUEST_LDFLAGS_FLAT) -T $(GUEST_OBJ)/real.ld $< -o $@

$(GUEST_OBJ)/pmode.elf: $(GUEST_OBJ)/pmode.o $(GUEST_OBJ)/protected.ld
	$(GUEST_LD) -m elf_i386 $(GUEST_LDFLAGS_FLAT) -T $(GUEST_OBJ)/protected.ld $< -o $@

$(GUEST_OUT)/%.bin: $(GUEST_OBJ)/%.elf
	$(GUEST_OBJCOPY) -O binary $< $@

# --- C guests and guests/lib, once per word size ------------------------------

$(GUEST_OBJ)/lib32/%.o: guests/lib/%.c
	@mkdir -p $(@D)
	$(CC) $(GUEST_CPPFLAGS) $(GUEST_CFLAGS) $(GUEST_CFLAGS_32) -MMD -MP -c $< -o $@

$(GUEST_OBJ)/lib32/%.o: guests/lib/%.S
	@mkdir -p $(@D)
	$(CC) -m32 $(GUEST_CPPFLAGS) $(GUEST_ASFLAGS) -MMD -MP -c $< -o $@

$(GUEST_OBJ)/lib64/%.o: guests/lib/%.c
	@mkdir -p $(@D)
	$(CC) $(GUEST_CPPFLAGS) $(GUEST_CFLAGS) $(GUEST_CFLAGS_64) -MMD -MP -c $< -o $@

$(GUEST_OBJ)/lib64/%.o: guests/lib/%.S
	@mkdir -p $(@D)
	$(CC) -m64 $(GUEST_CPPFLAGS) $(GUEST_ASFLAGS) -MMD -MP -c $< -o $@

$(GUEST_OBJ)/paging.o: guests/paging.c
	@mkdir -p $(@D)
	$(CC) $(GUEST_CPPFLAGS) $(GUEST_CFLAGS) $(GUEST_CFLAGS_32) -MMD -MP -c $< -o $@

$(GUEST_OBJ)/long.o: guests/long.c
	@mkdir -p $(@D)
	$(CC) $(GUEST_CPPFLAGS) $(GUEST_CFLAGS) $(GUEST_CFLAGS_64) -MMD -MP -c $< -o $@

$(GUEST_OUT)/paging.elf: $(GUEST_OBJ)/paging.o $(GUEST_LIB32) $(GUEST_OBJ)/paging.ld
	$(GUEST_LD) -m elf_i386 $(GUEST_LDFLAGS) -T $(GUEST_OBJ)/paging.ld \
		$(filter %.o,$^) -o $@

$(GUEST_OUT)/long.elf: $(GUEST_OBJ)/long.o $(GUEST_LIB64) $(GUEST_OBJ)/long.ld
	$(GUEST_LD) -m elf_x86_64 $(GUEST_LDFLAGS) -T $(GUEST_OBJ)/long.ld \
		$(filter %.o,$^) -o $@

-include $(GUEST_DEPS)

# The teaching OS: its kernel, user programs and their embedding.
include guests/os/os.mk
