# SPDX-License-Identifier: MIT
# bench/bench.mk: what make bench runs besides bench/run.py (included by ../Makefile).
#   $(BUILD)/bench/kvm-floor        a bare KVM_RUN loop: the floor of an exit's cost
#   $(BUILD)/bench/kvm-floor-static the same, static, for the nested lane's busybox L1
#   $(BUILD)/bench/exitloop-*.bin   guests making EXITLOOP_COUNT port-read exits
#   $(BUILD)/bench/exitloop-nested-*.bin  the same with EXITLOOP_COUNT_NESTED, for the
#                                   nested lane (an exit there costs ~50 us, not ~7)
#   $(BUILD)/bench/tiny.bin         HC_EXIT 0 and nothing else: start-to-exit ("tiny")
#   $(BUILD)/bench/matmul-*         the matmul benchmark's runners (bench/matmul/matmul.mk)
#   $(BUILD)/bench/diskio-static    the disk benchmark's I/O program (bench/diskio.c), for the
#                                   Linux guest's root image

BENCH_OUT := $(BUILD)/bench
EXITLOOP_COUNT := 200000
EXITLOOP_COUNT_NESTED := 20000
# 0x500: HC_PORT (include/mini-kvm/hypercall.h); 0x61: the PIT's port B, in KVM's PIT.
EXITLOOP_PORT_hc := 0x500
EXITLOOP_PORT_pit := 0x61
BENCH_BINS := $(BENCH_OUT)/kvm-floor $(BENCH_OUT)/kvm-floor-static \
	      $(BENCH_OUT)/exitloop-hc.bin $(BENCH_OUT)/exitloop-pit.bin \
	      $(BENCH_OUT)/exitloop-nested-hc.bin $(BENCH_OUT)/exitloop-nested-pit.bin \
	      $(BENCH_OUT)/diskio-static $(BENCH_OUT)/tiny.bin

include bench/matmul/matmul.mk

.PHONY: bench-build
bench-build: $(BENCH_BINS) $(MATMUL_BINS)

$(BENCH_OUT)/kvm-floor: bench/kvm_floor.c
	@mkdir -p $(@D)
	$(CC) $(CFLAGS_COMMON) $(CFLAGS) $< -o $@

$(BENCH_OUT)/kvm-floor-static: bench/kvm_floor.c
	@mkdir -p $(@D)
	$(CC) $(CFLAGS_COMMON) $(CFLAGS) -static $< -o $@

$(BENCH_OUT)/diskio-static: bench/diskio.c
	@mkdir -p $(@D)
	$(CC) $(CFLAGS_COMMON) $(CFLAGS) -static $< -o $@

EXITLOOP_DEPS := bench/guests/exitloop.S bench/bench.mk guests/lib/hc.inc \
		 include/mini-kvm/hypercall.h

$(BENCH_OUT)/exitloop-%.bin: $(EXITLOOP_DEPS)
	@mkdir -p $(@D)
	$(CC) -c -Iinclude -Iguests/lib -Wa,--noexecstack -DEXITLOOP_COUNT=$(EXITLOOP_COUNT) \
		-DEXITLOOP_PORT=$(EXITLOOP_PORT_$*) $< -o $(@:.bin=.o)
	$(LD) -m elf_x86_64 -Ttext=0x0 -e _start $(@:.bin=.o) -o $(@:.bin=.elf)
	objcopy -O binary -j .text $(@:.bin=.elf) $@

$(BENCH_OUT)/exitloop-nested-%.bin: $(EXITLOOP_DEPS)
	@mkdir -p $(@D)
	$(CC) -c -Iinclude -Iguests/lib -Wa,--noexecstack -DEXITLOOP_COUNT=$(EXITLOOP_COUNT_NESTED) \
		-DEXITLOOP_PORT=$(EXITLOOP_PORT_$*) $< -o $(@:.bin=.o)
	$(LD) -m elf_x86_64 -Ttext=0x0 -e _start $(@:.bin=.o) -o $(@:.bin=.elf)
	objcopy -O binary -j .text $(@:.bin=.elf) $@

$(BENCH_OUT)/tiny.bin: bench/guests/tiny.S guests/lib/hc.inc include/mini-kvm/hypercall.h
	@mkdir -p $(@D)
	$(CC) -c -Iinclude -Iguests/lib -Wa,--noexecstack $< -o $(@:.bin=.o)
	$(LD) -m elf_x86_64 -Ttext=0x0 -e _start $(@:.bin=.o) -o $(@:.bin=.elf)
	objcopy -O binary -j .text $(@:.bin=.elf) $@
