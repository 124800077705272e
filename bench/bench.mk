# bench/bench.mk: what make bench runs besides bench/run.py (included by ../Makefile).
#   $(BUILD)/bench/kvm-floor        a bare KVM_RUN loop: the floor of an exit's cost
#   $(BUILD)/bench/exitloop-*.bin   guests making EXITLOOP_COUNT port-read exits

BENCH_OUT := $(BUILD)/bench
EXITLOOP_COUNT := 200000
# 0x500: HC_PORT (include/mini-kvm/hypercall.h); 0x61: the PIT's port B, in KVM's PIT.
EXITLOOP_PORT_hc := 0x500
EXITLOOP_PORT_pit := 0x61
BENCH_BINS := $(BENCH_OUT)/kvm-floor $(BENCH_OUT)/exitloop-hc.bin $(BENCH_OUT)/exitloop-pit.bin

.PHONY: bench-build
bench-build: $(BENCH_BINS)

$(BENCH_OUT)/kvm-floor: bench/kvm_floor.c
	@mkdir -p $(@D)
	$(CC) $(CFLAGS_COMMON) $(CFLAGS) $< -o $@

$(BENCH_OUT)/exitloop-%.bin: bench/guests/exitloop.S guests/lib/hc.inc include/mini-kvm/hypercall.h
	@mkdir -p $(@D)
	$(CC) -c -Iinclude -Iguests/lib -Wa,--noexecstack -DEXITLOOP_COUNT=$(EXITLOOP_COUNT) \
		-DEXITLOOP_PORT=$(EXITLOOP_PORT_$*) $< -o $(@:.bin=.o)
	$(LD) -m elf_x86_64 -Ttext=0x0 -e _start $(@:.bin=.o) -o $(@:.bin=.elf)
	objcopy -O binary -j .text $(@:.bin=.elf) $@
