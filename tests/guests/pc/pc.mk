# SPDX-License-Identifier: MIT
# tests/guests/pc/: classic-PC test guests (boot sectors, Multiboot, SMP, tk), built into
# $(BUILD)/test-guests/. Only PC ports (COM1, ATA, isa-debug-exit at 0xf4): the same
# images boot on QEMU -M pc, which the pcboot benchmark compares against.
#
#   bs-ata.img       real-mode boot sector + second stage read over ATA PIO
#   bs-ata-err.img   boot sector misusing the ATA drive, printing its status/error bits
#   bs-pse.img       boot sector that enters protected mode and turns on PSE paging
#   mb-info.elf      Multiboot kernel printing its memory map and command line
#   smp.elf          two-CPU bare kernel: MP table, INIT/SIPI
#   tk.elf           the tk teaching kernel (Multiboot header; 4 MiB paging, SMP, IDE)
#   tk-disk0.img     tk's boot sector and tk.elf: the disk it boots from
#   tk-fs.img        tk's file system, for the IDE slave

PC_GUEST_DIR := tests/guests/pc
PC_GUEST_OBJ := $(TEST_GUEST_OUT)/pc-obj
PC_GUEST_CFLAGS := -m32 -ffreestanding -fno-pic -fno-pie -fno-stack-protector -nostdlib -O2 \
	-mgeneral-regs-only -Wall -Werror -fno-asynchronous-unwind-tables --param=min-pagesize=0 \
	-Wa,--noexecstack
PC_GUEST_LD := $(LD) -m elf_i386 --no-warn-rwx-segments
PC_GUESTS := $(addprefix $(TEST_GUEST_OUT)/,bs-ata.img bs-ata-err.img bs-pse.img mb-info.elf smp.elf tk.elf \
	tk-disk0.img tk-fs.img)
PC_TK_FILES := $(PC_GUEST_DIR)/tk/fs/hello.txt $(PC_GUEST_DIR)/tk/fs/numbers.txt

test-guests: $(PC_GUESTS)

$(PC_GUEST_OBJ)/%.o: $(PC_GUEST_DIR)/%.S $(PC_GUEST_DIR)/pc.inc
	@mkdir -p $(@D)
	$(CC) $(PC_GUEST_CFLAGS) -c $< -o $@

$(PC_GUEST_OBJ)/crt32-mb.o: $(PC_GUEST_DIR)/crt32.S
	@mkdir -p $(@D)
	$(CC) $(PC_GUEST_CFLAGS) -DMULTIBOOT -c $< -o $@

$(PC_GUEST_OBJ)/%.o: $(PC_GUEST_DIR)/%.c $(PC_GUEST_DIR)/pclib.h
	@mkdir -p $(@D)
	$(CC) $(PC_GUEST_CFLAGS) -c $< -o $@

$(PC_GUEST_OBJ)/tk/boot.o: $(PC_GUEST_DIR)/tk/boot.S
	@mkdir -p $(@D)
	$(CC) $(PC_GUEST_CFLAGS) -c $< -o $@

# The boot loader must fit its sector: -Os.
$(PC_GUEST_OBJ)/tk/bootmain.o: $(PC_GUEST_DIR)/tk/bootmain.c
	@mkdir -p $(@D)
	$(CC) $(PC_GUEST_CFLAGS) -Os -c $< -o $@

$(PC_GUEST_OBJ)/tk/entry.o: $(PC_GUEST_DIR)/tk/entry.S
	@mkdir -p $(@D)
	$(CC) $(PC_GUEST_CFLAGS) -c $< -o $@

$(PC_GUEST_OBJ)/tk/kernel.o: $(PC_GUEST_DIR)/tk/kernel.c $(PC_GUEST_DIR)/pclib.h
	@mkdir -p $(@D)
	$(CC) $(PC_GUEST_CFLAGS) -c $< -o $@

$(TEST_GUEST_OUT)/bs-ata.img: $(PC_GUEST_OBJ)/bs_ata.o
	$(PC_GUEST_LD) -Ttext=0x7c00 -e _start $< -o $(@:.img=.elf)
	objcopy -O binary -j .text $(@:.img=.elf) $@

$(TEST_GUEST_OUT)/bs-ata-err.img: $(PC_GUEST_OBJ)/bs_ata_err.o
	$(PC_GUEST_LD) -Ttext=0x7c00 -e _start $< -o $(@:.img=.elf)
	objcopy -O binary -j .text $(@:.img=.elf) $@

$(TEST_GUEST_OUT)/bs-pse.img: $(PC_GUEST_OBJ)/bs_pse.o
	$(PC_GUEST_LD) -Ttext=0x7c00 -e _start $< -o $(@:.img=.elf)
	objcopy -O binary -j .text $(@:.img=.elf) $@

$(TEST_GUEST_OUT)/mb-info.elf: $(PC_GUEST_OBJ)/crt32-mb.o $(PC_GUEST_OBJ)/mb_info.o \
		$(PC_GUEST_DIR)/guest32.ld
	$(PC_GUEST_LD) -T $(PC_GUEST_DIR)/guest32.ld $(filter %.o,$^) -o $@

$(TEST_GUEST_OUT)/smp.elf: $(PC_GUEST_OBJ)/crt32.o $(PC_GUEST_OBJ)/smp.o $(PC_GUEST_DIR)/guest32.ld
	$(PC_GUEST_LD) -T $(PC_GUEST_DIR)/guest32.ld $(filter %.o,$^) -o $@

$(TEST_GUEST_OUT)/tk.elf: $(PC_GUEST_OBJ)/tk/entry.o $(PC_GUEST_OBJ)/tk/kernel.o \
		$(PC_GUEST_DIR)/tk/kernel.ld
	$(PC_GUEST_LD) -T $(PC_GUEST_DIR)/tk/kernel.ld $(filter %.o,$^) -o $@

$(TEST_GUEST_OUT)/tk-boot.bin: $(PC_GUEST_OBJ)/tk/boot.o $(PC_GUEST_OBJ)/tk/bootmain.o \
		$(PC_GUEST_DIR)/tk/boot.ld
	$(PC_GUEST_LD) -T $(PC_GUEST_DIR)/tk/boot.ld $(filter %.o,$^) -o $(@:.bin=.elf)
	objcopy -O binary $(@:.bin=.elf) $@

$(TEST_GUEST_OUT)/tk-disk0.img: $(TEST_GUEST_OUT)/tk-boot.bin $(TEST_GUEST_OUT)/tk.elf \
		$(PC_GUEST_DIR)/tk/mkdisk.py
	$(PYTHON) $(PC_GUEST_DIR)/tk/mkdisk.py boot $(TEST_GUEST_OUT)/tk-boot.bin \
		$(TEST_GUEST_OUT)/tk.elf $@

$(TEST_GUEST_OUT)/tk-fs.img: $(PC_TK_FILES) $(PC_GUEST_DIR)/tk/mkdisk.py
	$(PYTHON) $(PC_GUEST_DIR)/tk/mkdisk.py fs $@ $(PC_TK_FILES)
