/* SPDX-License-Identifier: MIT */
/* Helpers for the loader tests (PVH, Multiboot, boot sector): ELF images in memory, reset sregs, table runs. */
#ifndef MINI_KVM_LOADER_TEST_H
#define MINI_KVM_LOADER_TEST_H

#include "unit.h"

#include <elf.h>
#include <linux/kvm.h>
#include <stdbool.h>

#include "arch/x86/x86.h"
#include "error.h"

/* CR0 after reset (SDM 3A 9.1.1): CD, NW and ET set. */
#define UNIT_CR0_RESET	   0x60000010ULL
#define UNIT_RESET_LIMIT   0xffff
#define UNIT_RESET_CS	   0xf000
#define UNIT_RESET_CS_BASE 0xffff0000
#define UNIT_FLAT_LIMIT	   0xffffffffU
#define UNIT_TSS16_BUSY	   3 /* SVM's reset TR type */
#define UNIT_RAM_POISON	   0xaa

/* KVM's reset state, as far as boot_setup() and loader_entry_setup() read or keep it. */
static inline void unit_reset_sregs(struct kvm_sregs *s)
{
	const struct kvm_segment data = { .base = 0,
					  .limit = UNIT_RESET_LIMIT,
					  .selector = 0,
					  .type = X86_SEG_TYPE_DATA_RW,
					  .present = 1,
					  .s = 1 };

	memset(s, 0, sizeof(*s));
	s->cs = data;
	s->cs.selector = UNIT_RESET_CS;
	s->cs.base = UNIT_RESET_CS_BASE;
	s->cs.type = X86_SEG_TYPE_CODE_XR;
	s->ds = s->es = s->fs = s->gs = s->ss = data;
	s->tr = (struct kvm_segment){ .limit = UNIT_RESET_LIMIT,
				      .type = UNIT_TSS16_BUSY,
				      .present = 1 };
	s->cr0 = UNIT_CR0_RESET;
	s->gdt.limit = UNIT_RESET_LIMIT;
	s->idt.limit = UNIT_RESET_LIMIT;
}

/* A flat 4 GiB segment as the protected-mode boot ABIs want it. */
static inline void unit_assert_flat(const struct kvm_segment *seg, bool code)
{
	assert_int_equal(seg->base, 0);
	assert_int_equal(seg->limit, UNIT_FLAT_LIMIT);
	assert_int_equal(seg->present, 1);
	assert_int_equal(seg->s, 1);
	assert_int_equal(seg->db, 1); /* 32-bit */
	assert_int_equal(seg->l, 0);
	assert_int_equal(seg->type, code ? X86_SEG_TYPE_CODE_XR : X86_SEG_TYPE_DATA_RW);
}

/* One program header of a test ELF image, widened to 64 bits. */
struct unit_phdr {
	uint32_t type;
	uint64_t offset, vaddr, paddr, filesz, memsz;
};

#define UNIT_ELF_MAX_PHDRS 6

/* An ELF executable to build: its header fields, program headers and size. */
struct unit_elf {
	bool is64;
	uint16_t machine; /* 0: EM_X86_64 or EM_386 by class */
	uint64_t entry;
	unsigned int nphdrs;
	struct unit_phdr ph[UNIT_ELF_MAX_PHDRS];
	size_t size; /* bytes of the file (zero-filled beyond the headers) */
};

static inline size_t unit_elf_phoff(bool is64)
{
	return is64 ? sizeof(Elf64_Ehdr) : sizeof(Elf32_Ehdr);
}

static inline size_t unit_elf_phentsize(bool is64)
{
	return is64 ? sizeof(Elf64_Phdr) : sizeof(Elf32_Phdr);
}

/* File offset of program header i. */
static inline size_t unit_elf_phdr_at(bool is64, unsigned int i)
{
	return unit_elf_phoff(is64) + i * unit_elf_phentsize(is64);
}

/* Write program header ph as the i-th of buf (an ELF of class is64). */
static inline void unit_elf_put_phdr(uint8_t *buf, bool is64, unsigned int i,
				     const struct unit_phdr *ph)
{
	if (is64) {
		Elf64_Phdr h = { .p_type = ph->type,
				 .p_flags = PF_R | PF_X,
				 .p_offset = ph->offset,
				 .p_vaddr = ph->vaddr,
				 .p_paddr = ph->paddr,
				 .p_filesz = ph->filesz,
				 .p_memsz = ph->memsz,
				 .p_align = 4 };

		memcpy(buf + unit_elf_phdr_at(is64, i), &h, sizeof(h));
	} else {
		Elf32_Phdr h = { .p_type = ph->type,
				 .p_offset = (Elf32_Off)ph->offset,
				 .p_vaddr = (Elf32_Addr)ph->vaddr,
				 .p_paddr = (Elf32_Addr)ph->paddr,
				 .p_filesz = (Elf32_Word)ph->filesz,
				 .p_memsz = (Elf32_Word)ph->memsz,
				 .p_flags = PF_R | PF_X,
				 .p_align = 4 };

		memcpy(buf + unit_elf_phdr_at(is64, i), &h, sizeof(h));
	}
}

/* A zero-filled, malloc()ed image of spec->size bytes with the ELF and program headers. */
static inline uint8_t *unit_elf_build(const struct unit_elf *spec)
{
	uint8_t *buf = calloc(1, spec->size);

	assert_non_null(buf);
	assert_true(unit_elf_phdr_at(spec->is64, spec->nphdrs) <= spec->size);
	if (spec->is64) {
		Elf64_Ehdr eh = { .e_type = ET_EXEC,
				  .e_machine = spec->machine ? spec->machine : EM_X86_64,
				  .e_version = EV_CURRENT,
				  .e_entry = spec->entry,
				  .e_phoff = sizeof(Elf64_Ehdr),
				  .e_ehsize = sizeof(Elf64_Ehdr),
				  .e_phentsize = sizeof(Elf64_Phdr),
				  .e_phnum = spec->nphdrs };

		memcpy(eh.e_ident, ELFMAG, SELFMAG);
		eh.e_ident[EI_CLASS] = ELFCLASS64;
		eh.e_ident[EI_DATA] = ELFDATA2LSB;
		eh.e_ident[EI_VERSION] = EV_CURRENT;
		memcpy(buf, &eh, sizeof(eh));
	} else {
		Elf32_Ehdr eh = { .e_type = ET_EXEC,
				  .e_machine = spec->machine ? spec->machine : EM_386,
				  .e_version = EV_CURRENT,
				  .e_entry = (Elf32_Addr)spec->entry,
				  .e_phoff = sizeof(Elf32_Ehdr),
				  .e_ehsize = sizeof(Elf32_Ehdr),
				  .e_phentsize = sizeof(Elf32_Phdr),
				  .e_phnum = spec->nphdrs };

		memcpy(eh.e_ident, ELFMAG, SELFMAG);
		eh.e_ident[EI_CLASS] = ELFCLASS32;
		eh.e_ident[EI_DATA] = ELFDATA2LSB;
		eh.e_ident[EI_VERSION] = EV_CURRENT;
		memcpy(buf, &eh, sizeof(eh));
	}
	for (unsigned int i = 0; i < spec->nphdrs; i++)
		unit_elf_put_phdr(buf, spec->is64, i, &spec->ph[i]);
	return buf;
}

/* Byte j of a test segment: never zero, not periodic in 256 or a page. */
static inline uint8_t unit_pattern(size_t j)
{
	return (uint8_t)(j % 251 + 1);
}

static inline void unit_fill_pattern(uint8_t *p, size_t len)
{
	for (size_t j = 0; j < len; j++)
		p[j] = unit_pattern(j);
}

static inline void unit_put32(uint8_t *p, uint32_t v)
{
	memcpy(p, &v, sizeof(v));
}

static inline void unit_put64(uint8_t *p, uint64_t v)
{
	memcpy(p, &v, sizeof(v));
}

/* A heap copy of exactly size bytes (at least 1 allocated), so that ASan sees an overread. */
static inline uint8_t *unit_exact_copy(const uint8_t *buf, size_t size)
{
	uint8_t *copy = malloc(size ? size : 1);

	assert_non_null(copy);
	memcpy(copy, buf, size);
	return copy;
}

/*
 * STYLE.md, "Rejection tests as a table": one named cmocka case per row. rows points
 * at n structs of row_size bytes, each starting with its `const char *name`; fn gets
 * the row as its state (*state). Returns the number of failed cases.
 */
static inline int unit_run_table(const char *group, const void *rows, size_t row_size, size_t n,
				 CMUnitTestFunction fn)
{
	struct CMUnitTest *tests = calloc(n, sizeof(*tests));
	int failed;

	assert_non_null(tests);
	for (size_t i = 0; i < n; i++) {
		const void *row = (const uint8_t *)rows + i * row_size;

		tests[i].name = *(const char *const *)row;
		tests[i].test_func = fn;
		tests[i].initial_state = (void *)row;
	}
	failed = _cmocka_run_group_tests(group, tests, n, NULL, NULL);
	free(tests);
	return failed;
}

#endif
