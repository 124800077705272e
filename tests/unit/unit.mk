# tests/unit/unit.mk: cmocka unit tests, one binary per area (included by ../../Makefile).
#
#   make unit-build   build every test binary into $(BUILD)/unit/
#   make unit         build them and run them all; fails if any test fails
#
# Each binary links only the src/ files it tests, compiled again with ASan and
# UBSan into $(BUILD)/unit/obj/ (-fno-sanitize-recover: undefined behaviour aborts
# the test). No test needs /dev/kvm: the exit-handling tests fake struct kvm_run.

UNIT_OUT := $(BUILD)/unit
UNIT_OBJ := $(UNIT_OUT)/obj

UNIT_SANITIZE := -fsanitize=address,undefined -fno-omit-frame-pointer \
		 -fno-sanitize-recover=all
UNIT_CFLAGS := $(CFLAGS_COMMON) $(CFLAGS) $(UNIT_SANITIZE) -Itests/unit
UNIT_LDLIBS := -lcmocka -pthread

# How the binaries run: leaks count as failures, UBSan says where it tripped.
UNIT_ENV ?= ASAN_OPTIONS=detect_leaks=1:strict_string_checks=1 \
	    UBSAN_OPTIONS=print_stacktrace=1

UNIT_TESTS := options elf serial bus memory boot console stats hypercall exit acpi mptable \
	      bzimage platform devices blk gdb_rsp gdb_stub gdb_server \
	      gdb_runctl

# The src/ files behind each binary (besides tests/unit/test_<name>.c).
UNIT_BOOT_SRCS := src/arch/x86/boot.c src/arch/x86/gdt.c src/arch/x86/paging.c \
		  src/memory.c src/error.c
UNIT_SRCS_options := src/options.c $(UNIT_BOOT_SRCS)
UNIT_SRCS_elf := src/loaders/elf.c src/loaders/flat.c src/loaders/image.c src/file.c \
		 $(UNIT_BOOT_SRCS)
UNIT_SRCS_serial := src/devices/serial.c src/bus.c src/error.c
UNIT_SRCS_bus := src/bus.c src/error.c
UNIT_SRCS_memory := src/memory.c src/error.c
UNIT_SRCS_boot := $(UNIT_BOOT_SRCS)
UNIT_SRCS_console := src/console.c src/error.c
UNIT_SRCS_stats := src/stats.c src/kvm.c src/error.c
# vcpu.c and vm.c (for the real vm_stop()) pull in the rest of the VMM but main.
UNIT_SRCS_vm := tests/unit/fake_vm.c src/vcpu.c src/vm.c src/kvm.c src/dump.c src/timeline.c \
		src/arch/x86/gsi.c src/arch/x86/bios.c src/devices/i8042.c src/devices/acpi_pm.c \
		src/arch/x86/cpuid.c src/arch/x86/x86.c src/bus.c src/stats.c \
		src/console.c src/devices/hypercall.c src/devices/blk.c src/devices/serial.c \
		src/loaders/elf.c src/loaders/flat.c src/loaders/image.c src/file.c \
		src/linux.c src/loaders/bzimage.c src/arch/x86/e820.c src/arch/x86/acpi.c \
		src/arch/x86/mptable.c $(UNIT_BOOT_SRCS)
UNIT_SRCS_hypercall := $(UNIT_SRCS_vm)
UNIT_SRCS_exit := $(UNIT_SRCS_vm)
UNIT_SRCS_devices := $(UNIT_SRCS_vm)
UNIT_SRCS_acpi := src/arch/x86/acpi.c src/memory.c src/error.c
UNIT_SRCS_mptable := src/arch/x86/mptable.c src/arch/x86/acpi.c src/memory.c src/error.c
UNIT_SRCS_bzimage := src/loaders/bzimage.c src/arch/x86/e820.c src/file.c src/memory.c \
		     src/error.c
UNIT_SRCS_blk := src/devices/blk.c src/memory.c src/error.c
UNIT_SRCS_platform := src/arch/x86/e820.c src/arch/x86/gsi.c src/memory.c src/error.c
UNIT_GDB_SRCS := src/gdb/rsp.c src/gdb/regs.c src/gdb/stub.c src/gdb/hwbp.c src/error.c
UNIT_SRCS_gdb_rsp := src/gdb/rsp.c src/error.c
UNIT_SRCS_gdb_stub := tests/unit/gdb_fake_target.c $(UNIT_GDB_SRCS)
UNIT_SRCS_gdb_server := src/gdb/gdb_server.c tests/unit/gdb_fake_target.c $(UNIT_GDB_SRCS)
UNIT_SRCS_gdb_runctl := src/gdb/runctl.c

UNIT_BINS := $(UNIT_TESTS:%=$(UNIT_OUT)/test_%)
UNIT_OBJS := $(sort $(UNIT_TESTS:%=$(UNIT_OBJ)/tests/unit/test_%.o) \
		    $(foreach t,$(UNIT_TESTS),$(UNIT_SRCS_$(t):%.c=$(UNIT_OBJ)/%.o)))

.PHONY: unit unit-build
unit-build: $(UNIT_BINS)

# Run every binary even after a failure, then fail if any did.
unit: unit-build
	@failed=; \
	for t in $(UNIT_BINS); do \
		echo "== $$t"; \
		$(UNIT_ENV) $$t || failed="$$failed $${t##*/}"; \
	done; \
	if [ -n "$$failed" ]; then echo "unit: FAILED:$$failed"; exit 1; fi; \
	echo "unit: all $(words $(UNIT_BINS)) test binaries passed"

$(UNIT_OBJ)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(UNIT_CFLAGS) -MMD -MP -c $< -o $@

define UNIT_LINK
$(UNIT_OUT)/test_$(1): $(UNIT_OBJ)/tests/unit/test_$(1).o $(UNIT_SRCS_$(1):%.c=$(UNIT_OBJ)/%.o)
	$$(CC) $$(UNIT_CFLAGS) $$^ -o $$@ $$(UNIT_LDLIBS)
endef
$(foreach t,$(UNIT_TESTS),$(eval $(call UNIT_LINK,$(t))))

-include $(UNIT_OBJS:.o=.d)
