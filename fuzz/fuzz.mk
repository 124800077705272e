# SPDX-License-Identifier: MIT
# fuzz/fuzz.mk: the libFuzzer targets (included by ../Makefile; docs/testing.md, "Fuzzing").
#
#   make fuzz-build                    build every fuzz/fuzz_NAME.c into $(BUILD)/fuzz/fuzz_NAME
#   make fuzz [FUZZ_SECONDS=N]         run each target for N seconds (default 60); fails if
#             [FUZZ_TARGETS='a b']     any crashes, leaks, trips a sanitizer or hangs, and
#                                      prints the reproducer's path
#
# clang only (libFuzzer), with ASan and UBSan; the VMM's sources are compiled again with
# coverage instrumentation into their own library, $(BUILD)/fuzz/libvmm.a, apart from
# the gcc build. Runs start from fuzz/corpus/NAME/ copied into $(BUILD)/fuzz/corpus/NAME/
# (kept between runs: what one run finds seeds the next); the tree's corpora are never
# written to.

FUZZ_CC := clang
FUZZ_OUT := $(BUILD)/fuzz
FUZZ_OBJ := $(FUZZ_OUT)/obj
FUZZ_SECONDS ?= 60
FUZZ_TARGETS ?= $(patsubst fuzz/fuzz_%.c,%,$(wildcard fuzz/fuzz_*.c))

FUZZ_SANITIZE := -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
# The tree is gcc's gnu11: clang would warn about the GNU extensions it uses (kvm_msrs).
FUZZ_CFLAGS := -std=gnu11 -Wall -Wextra -Werror -Wno-gnu-variable-sized-type-not-at-end -g -O1 \
	       -D_GNU_SOURCE -Iinclude -Isrc -Itests/unit $(FUZZ_SANITIZE)

# Test doubles a target links beyond the library (tests/unit/), per target.
FUZZ_FAKES_gdb_stub := tests/unit/gdb_fake_target.c

FUZZ_LIB := $(FUZZ_OUT)/libvmm.a
FUZZ_LIB_SRCS := $(filter-out src/main.c,$(VMM_SRCS))
FUZZ_LIB_OBJS := $(FUZZ_LIB_SRCS:%.c=$(FUZZ_OBJ)/%.o) $(BUILD)/obj/src/probes/blob.o \
		 $(FUZZ_OBJ)/gen/sandbox_filters.o
FUZZ_BINS := $(FUZZ_TARGETS:%=$(FUZZ_OUT)/fuzz_%)

.PHONY: fuzz fuzz-build
fuzz-build: $(FUZZ_BINS)

fuzz: fuzz-build
	FUZZ_OUT=$(FUZZ_OUT) FUZZ_SECONDS=$(FUZZ_SECONDS) scripts/fuzz $(FUZZ_TARGETS)

# The library: coverage for libFuzzer, no main() of libFuzzer's yet.
$(FUZZ_OBJ)/%.o: %.c
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link -MMD -MP -c $< -o $@

$(FUZZ_OBJ)/gen/sandbox_filters.o: $(SANDBOX_FILTERS)
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link -MMD -MP -c $< -o $@

$(FUZZ_LIB): $(FUZZ_LIB_OBJS)
	@rm -f $@
	$(AR) rcs $@ $^

define FUZZ_LINK
$(FUZZ_OUT)/fuzz_$(1): $(FUZZ_OBJ)/fuzz/fuzz_$(1).o $(FUZZ_FAKES_$(1):%.c=$(FUZZ_OBJ)/%.o) $(FUZZ_LIB)
	$$(FUZZ_CC) $$(FUZZ_CFLAGS) -fsanitize=fuzzer $$^ -o $$@ $$(LDLIBS)
endef
$(foreach t,$(FUZZ_TARGETS),$(eval $(call FUZZ_LINK,$(t))))

-include $(FUZZ_LIB_OBJS:.o=.d) $(FUZZ_TARGETS:%=$(FUZZ_OBJ)/fuzz/fuzz_%.d) \
	 $(foreach t,$(FUZZ_TARGETS),$(FUZZ_FAKES_$(t):%.c=$(FUZZ_OBJ)/%.d))
