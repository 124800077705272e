# SPDX-License-Identifier: MIT
# Guests that only the tests use (exit statuses, faults, hostile I/O), built into $(BUILD)/test-guests/.

TEST_GUEST_OUT := $(BUILD)/test-guests
TEST_GUEST_OBJ := $(TEST_GUEST_OUT)/obj
TEST_GUESTS := exit7 exit9 spin wild_io triple_fault hostile disk flood disk_write mmio_flood count
TEST_GUEST_BINS := $(TEST_GUESTS:%=$(TEST_GUEST_OUT)/%.bin)

# Flat binaries; real-mode ones load at 0, protected- and long-mode ones at MKVM_FLAT_LOAD.
test_guest_origin = $(if $(filter triple_fault hostile disk disk_write mmio_flood,$1),0x1000,0x0)
test_guest_src = $(if $(filter exit%,$1),tests/guests/exit_status.S,tests/guests/$1.S)
test_guest_defs = $(if $(filter exit%,$1),-DSTATUS=$(patsubst exit%,%,$1))

test-guests: $(TEST_GUEST_BINS)

$(TEST_GUEST_OBJ)/%.o: tests/guests/exit_status.S tests/guests/spin.S tests/guests/wild_io.S \
		tests/guests/triple_fault.S tests/guests/hostile.S tests/guests/disk.S tests/guests/flood.S tests/guests/disk_write.S tests/guests/mmio_flood.S \
		tests/guests/count.S \
		guests/lib/hc.inc \
		include/mini-kvm/hypercall.h include/mini-kvm/boot.h
	@mkdir -p $(@D)
	$(CC) -c -Iinclude -Iguests/lib -Wa,--noexecstack $(call test_guest_defs,$*) \
		$(call test_guest_src,$*) -o $@

$(TEST_GUEST_OUT)/%.bin: $(TEST_GUEST_OBJ)/%.o
	$(LD) -m elf_x86_64 -Ttext=$(call test_guest_origin,$*) -e _start $< -o $(@:.bin=.elf)
	objcopy -O binary -j .text $(@:.bin=.elf) $@

# The gdb tests' C guest: long mode, linked like guests/long.elf, built without
# optimisation so that gdb sees every local (tests/integration/test_gdb.py).
TEST_GUEST_ELFS := $(TEST_GUEST_OUT)/gdb_guest.elf

test-guests: $(TEST_GUEST_ELFS)

$(TEST_GUEST_OBJ)/gdb_guest.o: tests/guests/gdb_guest.c guests/lib/console.h
	@mkdir -p $(@D)
	$(CC) $(GUEST_CPPFLAGS) $(GUEST_CFLAGS) $(GUEST_CFLAGS_64) -O0 -c $< -o $@

$(TEST_GUEST_OUT)/gdb_guest.elf: $(TEST_GUEST_OBJ)/gdb_guest.o $(GUEST_LIB64) $(GUEST_OBJ)/long.ld
	$(GUEST_LD) -m elf_x86_64 $(GUEST_LDFLAGS) -T $(GUEST_OBJ)/long.ld $(filter %.o,$^) -o $@
include tests/guests/pc/pc.mk
