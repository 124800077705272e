# mini-kvm: one `make` builds the VMM, its static twin for the nested lane, every
# bundled guest and the unit tests. See README.md and docs/ for the targets.

BUILD      ?= build
CC         = gcc
CFLAGS_COMMON := -std=gnu11 -Wall -Wextra -Werror -O2 -g -D_GNU_SOURCE \
		 -Iinclude -Isrc
CFLAGS     ?=
# zlib: the CRC-32 of snapshot files (src/snapshot/format.c).
LDLIBS     := -pthread -lz

VMM_SRCS := $(wildcard src/*.c src/arch/x86/*.c src/loaders/*.c src/devices/*.c src/virtio/*.c \
			  src/gdb/*.c src/snapshot/*.c)
VMM_OBJS := $(patsubst %.c,$(BUILD)/obj/%.o,$(VMM_SRCS)) $(BUILD)/obj/src/probes/blob.o

.PHONY: all vmm guests test-guests check check-layers unit integration run run-os bench \
	bench-smoke clean format
all: vmm guests test-guests unit-build bench-build

vmm: $(BUILD)/mini-kvm $(BUILD)/mini-kvm-static

$(BUILD)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_COMMON) $(CFLAGS) -MMD -MP -c $< -o $@

$(BUILD)/mini-kvm: $(VMM_OBJS)
	$(CC) $(CFLAGS_COMMON) $(CFLAGS) $^ -o $@ $(LDLIBS)

# The nested lane copies this into a busybox initramfs: no shared libraries there.
$(BUILD)/mini-kvm-static: $(VMM_OBJS)
	$(CC) $(CFLAGS_COMMON) $(CFLAGS) -static $^ -o $@ $(LDLIBS)

include src/probes/probes.mk
include guests/guests.mk
include tests/unit/unit.mk
include tests/guests/test-guests.mk
include bench/bench.mk

-include $(VMM_OBJS:.o=.d)

# Debian's pytest and pexpect live under the system python, not a pyenv one.
PYTHON ?= /usr/bin/python3
PYTEST_ARGS ?=

check: all
	$(MAKE) check-layers
	$(MAKE) unit
	$(MAKE) integration

# The include rule of docs/architecture.md, and a self-test that it catches back-edges.
check-layers:
	$(PYTHON) scripts/check-layers
	$(PYTHON) scripts/check-layers --self-test

# test_bench.py (make bench QUICK=1, ~90 s) is CI's separate step, bench-smoke: it
# would take make check too close to its 10-minute budget on 2 cores.
integration: all
	$(PYTHON) -m pytest tests/integration -v --ignore=tests/integration/test_bench.py \
		$(PYTEST_ARGS)

bench-smoke: all
	$(PYTHON) -m pytest tests/integration/test_bench.py -v $(PYTEST_ARGS)

# Linux to a shell where this host's KVM runs it, else four bare guests at once.
run: all
	BUILD=$(BUILD) scripts/run-demo.sh

# The teaching OS with a disk of its own (kept between runs: delete it to start afresh).
# --mtime: a fixed date, so that the archive does not depend on the checkout's time.
OS_DISK ?= $(BUILD)/os-disk.tar
OS_DISK_ROOM := 64K
run-os: all
	@test -f $(OS_DISK) || { tar -C guests/os/disk --owner=0 --group=0 --mtime=2026-01-01 \
		-cf $(OS_DISK) welcome.txt && truncate -s $(OS_DISK_ROOM) $(OS_DISK); }
	$(BUILD)/mini-kvm run --irqchip --disk $(OS_DISK) $(BUILD)/guests/os/kernel.elf

# Benchmarks (bench/run.py) -> bench/RESULTS.md; QUICK=1 runs each case once.
bench: all
	$(PYTHON) bench/run.py $(if $(QUICK),--quick) $(BENCH_ARGS)

clean:
	rm -rf $(BUILD)

format:
	clang-format -i $$(git ls-files '*.c' '*.h')
