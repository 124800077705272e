# SPDX-License-Identifier: MIT
# tests/unit/unit.mk: cmocka unit tests, one binary per area (included by ../../Makefile).
#
#   make unit-build   build every test binary into $(BUILD)/unit/
#   make unit         build them and run them all; fails if any test fails
#
# Every VMM source but main.c is compiled again with ASan and UBSan into one static
# library, $(BUILD)/unit/libvmm.a (-fno-sanitize-recover: undefined behaviour aborts
# the test). A test binary links its test file, the fakes it names and the library:
# the linker takes only the objects the test reaches, so a device's test gets that
# device, the bus and its fake ops, and nothing of the VM. No test needs /dev/kvm:
# the exit-handling tests fake struct kvm_run.

UNIT_OUT := $(BUILD)/unit
UNIT_OBJ := $(UNIT_OUT)/obj

UNIT_SANITIZE := -fsanitize=address,undefined -fno-omit-frame-pointer \
		 -fno-sanitize-recover=all
UNIT_CFLAGS := $(CFLAGS_COMMON) $(CFLAGS) $(UNIT_SANITIZE) -Itests/unit
UNIT_LDLIBS := -lcmocka $(LDLIBS)

# How the binaries run: leaks count as failures, UBSan says where it tripped.
UNIT_ENV ?= ASAN_OPTIONS=detect_leaks=1:strict_string_checks=1 \
	    UBSAN_OPTIONS=print_stacktrace=1

UNIT_TESTS := options elf serial bus memory boot console stats hypercall exit acpi mptable sandbox \
	      bzimage platform devices blk insn vm timeline ata cmos pc_misc

# Test doubles beyond the library, per binary.
UNIT_FAKES_exit := tests/unit/fake_vcpu.c
UNIT_FAKES_hypercall := tests/unit/fake_vcpu.c

UNIT_LIB := $(UNIT_OUT)/libvmm.a
UNIT_LIB_SRCS := $(filter-out src/main.c,$(VMM_SRCS))
UNIT_LIB_OBJS := $(UNIT_LIB_SRCS:%.c=$(UNIT_OBJ)/%.o) $(BUILD)/obj/src/probes/blob.o \
		 $(UNIT_OBJ)/gen/sandbox_filters.o

# virtio: the split virtqueue, the virtio-mmio transport and its devices, driven by a
# small fake driver (tests/unit/virtio_driver.c) over fake guest RAM.
UNIT_TESTS += virtqueue virtio_mmio virtio_blk virtio_rng
UNIT_FAKES_virtqueue := tests/unit/virtio_driver.c
UNIT_FAKES_virtio_mmio := tests/unit/virtio_driver.c
UNIT_FAKES_virtio_blk := tests/unit/virtio_driver.c
UNIT_FAKES_virtio_rng := tests/unit/virtio_driver.c
UNIT_TESTS += virtio_net
UNIT_FAKES_virtio_net := tests/unit/virtio_driver.c
# --net user's threads on the host's libslirp (loaded when first used, as by the VMM).
UNIT_TESTS += net_user
$(UNIT_OBJ)/src/net/net_user.o: UNIT_CFLAGS += -DMKVM_HAVE_SLIRP $(SLIRP_CFLAGS)
# The VM's virtio-mmio slots (src/vm_virtio.c): the bus, the I/O threads, the interrupt.
UNIT_TESTS += vm_virtio
UNIT_FAKES_vm_virtio := tests/unit/virtio_driver.c

# The PVH, Multiboot and boot-sector loaders (tests/unit/loader_test.h has their helpers).
UNIT_TESTS += pvh multiboot bootsector

# The classic PC: the --vga-text renderer.
UNIT_TESTS += vga_text pc
# The usability round: the command line's helpers, the outputs (JSON, console log,
# held trace lines, --serial backends), the diagnoses.
UNIT_TESTS += cli outputs diagnose

# The gdb stub: codec, engine and socket side with a fake target; all-stop run control.
UNIT_TESTS += gdb_rsp gdb_stub gdb_server gdb_runctl gdb_target
UNIT_FAKES_gdb_stub := tests/unit/gdb_fake_target.c
UNIT_FAKES_gdb_server := tests/unit/gdb_fake_target.c

# Snapshots: the file format, the RAM scan and files on disk, CPUID compatibility.
UNIT_TESTS += snapshot snapshot_ram vm_snapshot

UNIT_BINS := $(UNIT_TESTS:%=$(UNIT_OUT)/test_%)
UNIT_OBJS := $(sort $(UNIT_TESTS:%=$(UNIT_OBJ)/tests/unit/test_%.o) \
		    $(foreach t,$(UNIT_TESTS),$(UNIT_FAKES_$(t):%.c=$(UNIT_OBJ)/%.o)) \
		    $(UNIT_LIB_SRCS:%.c=$(UNIT_OBJ)/%.o))

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

$(UNIT_OBJ)/%.o: %.c $(FLAGS_STAMP)
	@mkdir -p $(dir $@)
	$(CC) $(UNIT_CFLAGS) -MMD -MP -c $< -o $@

# The generated seccomp filters (../../Makefile), with the sanitizer rules in this build.
$(UNIT_OBJ)/gen/sandbox_filters.o: $(SANDBOX_FILTERS) $(FLAGS_STAMP)
	@mkdir -p $(dir $@)
	$(CC) $(UNIT_CFLAGS) -MMD -MP -c $< -o $@

$(UNIT_LIB): $(UNIT_LIB_OBJS)
	@rm -f $@
	$(AR) rcs $@ $^

define UNIT_LINK
$(UNIT_OUT)/test_$(1): $(UNIT_OBJ)/tests/unit/test_$(1).o $(UNIT_FAKES_$(1):%.c=$(UNIT_OBJ)/%.o) \
		$(UNIT_LIB)
	$$(CC) $$(UNIT_CFLAGS) $$^ -o $$@ $$(UNIT_LDLIBS)
endef
$(foreach t,$(UNIT_TESTS),$(eval $(call UNIT_LINK,$(t))))

-include $(UNIT_OBJS:.o=.d) $(UNIT_OBJ)/gen/sandbox_filters.d
