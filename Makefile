# SPDX-License-Identifier: MIT
# mini-kvm: one `make` builds the VMM, its static twin for the nested lane, every
# bundled guest and the test guests, with a C toolchain alone; `make check` adds the
# unit tests (cmocka) and the test lanes (pytest, QEMU). See README.md and docs/.

BUILD      ?= build
CC         = gcc
CFLAGS     ?=
# zlib: the CRC-32 of snapshot files (src/snapshot/format.c), linked in from its
# libz.a (zlib1g-dev) even where the rest is shared: a shared libz cost every run its
# loading and ~0.1 MiB of peak RSS (make bench, "tiny") for one function. libseccomp is
# the build's alone (SANDBOX_COMPILE below), not the VMM's.
ZLIB_LIBS  := -Wl,-Bstatic -lz -Wl,-Bdynamic
LDLIBS     := -pthread $(ZLIB_LIBS)
STATIC_LDLIBS := -pthread -lz

# -Werror (docs/install.md, "Warnings"): on where the code is developed and tested --
# the goals of DEV_GOALS, and CI (CI=true) -- so that no warning lands; off for a plain
# `make` or `make install`, so that a user's newer compiler with a new warning still
# builds mini-kvm. WERROR=1 or WERROR=0 on the command line decides alone.
DEV_GOALS  := check check-slow unit unit-build integration bench bench-smoke bench-build
WERROR     ?= $(if $(filter true 1,$(CI))$(filter $(DEV_GOALS),$(MAKECMDGOALS)),1,0)
WERROR_FLAG := $(if $(filter 1,$(WERROR)),-Werror)

CFLAGS_COMMON := -std=gnu11 -Wall -Wextra $(WERROR_FLAG) -O2 -g -D_GNU_SOURCE \
		 -Iinclude -Isrc

# `mini-kvm version`: `git describe` in a git checkout, VERSION_FALLBACK elsewhere (a
# release tarball, or no git installed).
VERSION_FALLBACK := 0.1
VERSION    := $(shell test -e .git && git describe --always --dirty 2>/dev/null || \
		echo $(VERSION_FALLBACK))

# make install (PREFIX=/usr/local DESTDIR=): where Debian's tools look for each file.
PREFIX     ?= /usr/local
BINDIR     ?= $(PREFIX)/bin
MANDIR     ?= $(PREFIX)/share/man
BASHCOMPDIR ?= $(PREFIX)/share/bash-completion/completions

VMM_SRCS := $(wildcard src/*.c src/arch/x86/*.c src/loaders/*.c src/devices/*.c src/virtio/*.c \
			  src/gdb/*.c src/snapshot/*.c src/net/*.c)
# The seccomp filters (src/sandbox.c), compiled to BPF at build time: src/sandbox/compile.c
# runs each kind's allow-list (src/sandbox/rules.h) through Debian's libseccomp-dev into
# a generated C file that the VMM links; the VMM installs them with seccomp(2) alone.
SANDBOX_COMPILE := $(BUILD)/tools/sandbox-compile
SANDBOX_FILTERS := $(BUILD)/gen/sandbox_filters.c
SANDBOX_FILTERS_OBJ := $(BUILD)/obj/gen/sandbox_filters.o

VMM_OBJS := $(patsubst %.c,$(BUILD)/obj/%.o,$(VMM_SRCS)) $(BUILD)/obj/src/probes/blob.o \
	    $(SANDBOX_FILTERS_OBJ)

# --net user is libslirp (Debian's libslirp-dev), which Debian ships as a shared library
# only: build/mini-kvm loads it with dlopen() when --net user is first used (it is not
# linked: its glib and pcre2 would weigh on every start), so only its header is needed
# here; the static twin compiles src/net/net_user.c without it (--net user then says
# so). slirp.pc requires glib's .pc, which libslirp-dev does not pull in: fall back to
# the header's directory.
SLIRP_CFLAGS := $(shell pkg-config --cflags slirp 2>/dev/null || echo -I/usr/include/slirp)
NET_USER_OBJ := $(BUILD)/obj/src/net/net_user.o
NET_USER_STATIC_OBJ := $(BUILD)/obj-static/src/net/net_user.o
STATIC_OBJS := $(filter-out $(NET_USER_OBJ),$(VMM_OBJS)) $(NET_USER_STATIC_OBJ)

.PHONY: all vmm guests test-guests check check-layers check-license check-slow unit integration run \
	run-os bench bench-smoke clean format install uninstall asan-vmm check-asan FORCE
all: vmm guests test-guests

vmm: $(BUILD)/mini-kvm $(BUILD)/mini-kvm-static $(BUILD)/mini-kvm-sandbox-test

# The compiler and flags of the last build: objects built with others (WERROR) are rebuilt.
FLAGS_STAMP := $(BUILD)/flags
$(FLAGS_STAMP): FORCE
	@mkdir -p $(@D)
	@echo '$(CC) $(CFLAGS_COMMON) $(CFLAGS)' | cmp -s - $@ || \
		echo '$(CC) $(CFLAGS_COMMON) $(CFLAGS)' > $@

# The version, rewritten only when it changes: main.o alone depends on it.
$(BUILD)/version: FORCE
	@mkdir -p $(@D)
	@echo '$(VERSION)' | cmp -s - $@ || echo '$(VERSION)' > $@
$(BUILD)/obj/src/main.o: $(BUILD)/version
$(BUILD)/obj/src/main.o: CFLAGS_VERSION = -DMINI_KVM_VERSION='"$(VERSION)"'

$(BUILD)/obj/%.o: %.c $(FLAGS_STAMP)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_COMMON) $(CFLAGS) $(CFLAGS_VERSION) -MMD -MP -c $< -o $@

$(NET_USER_OBJ): CFLAGS_COMMON += -DMKVM_HAVE_SLIRP $(SLIRP_CFLAGS)

# A build tool: the compiler's flags without $(CFLAGS) (no sanitizers in check-asan's build).
$(SANDBOX_COMPILE): src/sandbox/compile.c $(FLAGS_STAMP)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS_COMMON) -MMD -MP -MF $@.d $< -o $@ -lseccomp

# Rebuilt when a rule changes (the compiler depends on src/sandbox/rules.h).
$(SANDBOX_FILTERS): $(SANDBOX_COMPILE)
	@mkdir -p $(@D)
	$(SANDBOX_COMPILE) > $@.tmp && mv $@.tmp $@

$(SANDBOX_FILTERS_OBJ): $(SANDBOX_FILTERS) $(FLAGS_STAMP)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS_COMMON) $(CFLAGS) -MMD -MP -c $< -o $@

$(NET_USER_STATIC_OBJ): src/net/net_user.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_COMMON) $(CFLAGS) -MMD -MP -c $< -o $@

$(BUILD)/mini-kvm: $(VMM_OBJS)
	$(CC) $(CFLAGS_COMMON) $(CFLAGS) $^ -o $@ $(LDLIBS)

# A binary with no shared libraries, for machines without libslirp (no --net user).
$(BUILD)/mini-kvm-static: $(STATIC_OBJS)
	$(CC) $(CFLAGS_COMMON) $(CFLAGS) -static $^ -o $@ $(STATIC_LDLIBS)

# A test build whose sandboxed threads make a forbidden system call on request
# (MINI_KVM_SANDBOX_TEST=vcpu ...): tests/integration/test_sandbox.py sees the filters bite.
$(BUILD)/obj-test/src/sandbox.o: src/sandbox.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_COMMON) $(CFLAGS) -DSANDBOX_TEST_HOOK -MMD -MP -c $< -o $@

$(BUILD)/mini-kvm-sandbox-test: $(filter-out $(BUILD)/obj/src/sandbox.o,$(VMM_OBJS)) \
		$(BUILD)/obj-test/src/sandbox.o
	$(CC) $(CFLAGS_COMMON) $(CFLAGS) $^ -o $@ $(LDLIBS)

include src/probes/probes.mk
include guests/guests.mk
include tests/unit/unit.mk
include tests/guests/test-guests.mk
include bench/bench.mk
include fuzz/fuzz.mk

-include $(VMM_OBJS:.o=.d) $(BUILD)/obj-test/src/sandbox.d $(NET_USER_STATIC_OBJ:.o=.d) \
	 $(SANDBOX_COMPILE).d

# Debian's pytest and pexpect live under the system python, not a pyenv one.
PYTHON ?= /usr/bin/python3
PYTEST_ARGS ?=

check: all
	$(MAKE) check-layers
	$(MAKE) check-license
	$(MAKE) unit
	$(MAKE) integration

# The include rule of docs/architecture.md, and a self-test that it catches back-edges.
check-layers:
	$(PYTHON) scripts/check-layers
	$(PYTHON) scripts/check-layers --self-test

# The licence line in every source file (LICENSE), and a self-test that the check bites.
check-license:
	$(PYTHON) scripts/check-license
	$(PYTHON) scripts/check-license --self-test

# test_bench.py (make bench QUICK=1, ~90 s) is CI's separate step, bench-smoke: it
# would take make check too close to its 10-minute budget on 2 cores.
# make check keeps within 10 minutes on 2 cores: the long Linux boots of the nested
# lanes beyond one (@pytest.mark.slow: SMP, gdb, snapshots, the virtio root, panic,
# reboot ...) are make check-slow, which CI runs as its next step (docs/testing.md).
integration: all
	$(PYTHON) -m pytest tests/integration -v --ignore=tests/integration/test_bench.py \
		-m "not slow" $(PYTEST_ARGS)

check-slow: all
	$(PYTHON) -m pytest tests/integration -v --ignore=tests/integration/test_bench.py \
		-m slow $(PYTEST_ARGS)

bench-smoke: all bench-build
	$(PYTHON) -m pytest tests/integration/test_bench.py -v $(PYTEST_ARGS)

# The sanitizer lane: the host lane's tests against the VMM built with AddressSanitizer
# and UndefinedBehaviorSanitizer (any report fails the test that ran it; leaks too).
# The guests and everything else come from the normal build; the nested lane keeps the
# static binary (no sanitizer runtime links statically).
ASAN_BUILD ?= build-asan
ASAN_CFLAGS := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all
ASAN_ENV := MINI_KVM_VMM=$(ASAN_BUILD)/mini-kvm MINI_KVM_LANES=host \
	    ASAN_OPTIONS=detect_leaks=1:abort_on_error=0:exitcode=99 \
	    UBSAN_OPTIONS=print_stacktrace=1

asan-vmm:
	$(MAKE) BUILD=$(ASAN_BUILD) CFLAGS="$(ASAN_CFLAGS)" $(ASAN_BUILD)/mini-kvm

check-asan: all asan-vmm
	$(ASAN_ENV) $(PYTHON) -m pytest tests/integration -v \
		--ignore=tests/integration/test_bench.py $(PYTEST_ARGS)

# Linux to a shell where this host's KVM runs it, else four bare guests at once.
run: all
	BUILD=$(BUILD) scripts/run-demo.sh

# The teaching OS with a disk of its own (kept between runs: delete it to start afresh).
# --mtime: a fixed date, so that the archive does not depend on the checkout's time.
# GDB=1: held before its first instruction until gdb attaches on GDB_PORT (docs/gdb.md).
OS_DISK ?= $(BUILD)/os-disk.tar
OS_DISK_ROOM := 64K
GDB_PORT ?= 1234
run-os: all
	@test -f $(OS_DISK) || { tar -C guests/os/disk --owner=0 --group=0 --mtime=2026-01-01 \
		-cf $(OS_DISK) welcome.txt && truncate -s $(OS_DISK_ROOM) $(OS_DISK); }
	@$(if $(GDB),echo "run-os: in another terminal: gdb $(BUILD)/guests/os/kernel.elf \
		-ex 'target remote :$(GDB_PORT)'")
	$(BUILD)/mini-kvm run --irqchip --disk $(OS_DISK) \
		$(if $(GDB),--gdb $(GDB_PORT) --gdb-wait) $(BUILD)/guests/os/kernel.elf

# Benchmarks (bench/run.py) -> bench/RESULTS.md; QUICK=1 runs each case once.
bench: all bench-build
	$(PYTHON) bench/run.py $(if $(QUICK),--quick) $(BENCH_ARGS)

clean:
	rm -rf $(BUILD) $(ASAN_BUILD)

# The VMM, its man page and its bash completion (docs/install.md). DESTDIR stages
# the tree for a package; uninstall removes exactly these files.
INSTALLED := $(DESTDIR)$(BINDIR)/mini-kvm $(DESTDIR)$(MANDIR)/man1/mini-kvm.1 \
	     $(DESTDIR)$(BASHCOMPDIR)/mini-kvm
install: $(BUILD)/mini-kvm
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(MANDIR)/man1 $(DESTDIR)$(BASHCOMPDIR)
	install -m 755 $(BUILD)/mini-kvm $(DESTDIR)$(BINDIR)/mini-kvm
	install -m 644 man/mini-kvm.1 $(DESTDIR)$(MANDIR)/man1/mini-kvm.1
	install -m 644 completion/mini-kvm.bash $(DESTDIR)$(BASHCOMPDIR)/mini-kvm

uninstall:
	rm -f $(INSTALLED)

format:
	clang-format -i $$(git ls-files '*.c' '*.h')
