# SPDX-License-Identifier: MIT
# The capability probes of `mini-kvm check`: tiny guests built into the VMM itself.

PROBES := real protected paging long ring0-sse ring3 syscall int-gate irq-ring3 \
	  sw-bp hw-bp watch step sw-bp-r3 hw-bp-r3 watch-r3 step-r3
PROBE_RING3_VARIANTS := ring3 syscall int-gate irq-ring3 sw-bp-r3 hw-bp-r3 watch-r3 step-r3
PROBE_BINS := $(PROBES:%=$(BUILD)/probes/%.bin)

probe_src = $(if $(filter $(PROBE_RING3_VARIANTS),$1),src/probes/ring3.S,src/probes/simple.S)
probe_define = -DPROBE_$(subst -,_,$(shell echo $1 | tr a-z A-Z))
probe_origin = $(if $(filter real,$1),0x0,0x1000)

$(BUILD)/probes/%.o: src/probes/simple.S src/probes/ring3.S include/mini-kvm/probe_status.h \
		include/mini-kvm/hypercall.h include/mini-kvm/boot.h
	@mkdir -p $(dir $@)
	$(CC) -c -Iinclude $(call probe_define,$*) $(call probe_src,$*) -o $@

$(BUILD)/probes/%.bin: $(BUILD)/probes/%.o
	$(LD) -m elf_x86_64 -Ttext=$(call probe_origin,$*) -e _start $< -o $(@:.bin=.elf)
	objcopy -O binary $(@:.bin=.elf) $@

$(BUILD)/obj/src/probes/blob.o: src/probes/blob.S $(PROBE_BINS)
	@mkdir -p $(dir $@)
	$(CC) -c -Wa,-I$(BUILD)/probes $< -o $@
