/* SPDX-License-Identifier: MIT */
/* ELF32/ELF64 executables for x86: PT_LOAD segments at their physical addresses. */
#include <elf.h>
#include <errno.h>
#include <string.h>

#include "error.h"
#include "loaders/image.h"

bool elf_is_elf(const uint8_t *buf, size_t size)
{
	return size >= SELFMAG && !memcmp(buf, ELFMAG, SELFMAG);
}

/* One program header, widened to 64 bits whatever the class. */
struct phdr {
	uint32_t type;
	uint64_t offset, vaddr, paddr, filesz, memsz;
};

static struct phdr read_phdr(const uint8_t *p, bool is64)
{
	struct phdr ph;

	if (is64) {
		Elf64_Phdr h;

		memcpy(&h, p, sizeof(h));
		ph = (struct phdr){ h.p_type,  h.p_offset, h.p_vaddr,
				    h.p_paddr, h.p_filesz, h.p_memsz };
	} else {
		Elf32_Phdr h;

		memcpy(&h, p, sizeof(h));
		ph = (struct phdr){ h.p_type,  h.p_offset, h.p_vaddr,
				    h.p_paddr, h.p_filesz, h.p_memsz };
	}
	return ph;
}

/* An ELF32 guest lives below 4 GiB. */
#define ELF32_ADDRESS_LIMIT (1ULL << 32)

#define elf_error(img, fmt, ...) error_set(ENOEXEC, "ELF '%s': " fmt, (img)->path, ##__VA_ARGS__)

/* The program header table's place in the file, from the ELF header (no checks of it). */
static bool phdr_table(const uint8_t *buf, size_t size, uint64_t *offset, uint64_t *len,
		       bool *is64)
{
	if (!elf_is_elf(buf, size) || size < EI_NIDENT)
		return false;
	*is64 = buf[EI_CLASS] == ELFCLASS64;
	if (*is64 && size >= sizeof(Elf64_Ehdr)) {
		Elf64_Ehdr eh;

		memcpy(&eh, buf, sizeof(eh));
		*offset = eh.e_phoff;
		*len = (uint64_t)eh.e_phnum * sizeof(Elf64_Phdr);
		return true;
	}
	if (!*is64 && size >= sizeof(Elf32_Ehdr)) {
		Elf32_Ehdr eh;

		memcpy(&eh, buf, sizeof(eh));
		*offset = eh.e_phoff;
		*len = (uint64_t)eh.e_phnum * sizeof(Elf32_Phdr);
		return true;
	}
	return false;
}

unsigned int elf_file_ranges(const uint8_t *buf, size_t size, enum elf_parts parts,
			     struct file_range *ranges, unsigned int max)
{
	uint64_t offset, len;
	unsigned int n = 0;
	bool is64;

	if (!max || !phdr_table(buf, size, &offset, &len, &is64) || offset > size ||
	    len > size - offset)
		return 0;
	ranges[n++] = (struct file_range){ offset, len };
	if (parts == ELF_PARTS_PHDRS)
		return n;
	for (uint64_t at = offset; at < offset + len && n < max;
	     at += is64 ? sizeof(Elf64_Phdr) : sizeof(Elf32_Phdr)) {
		struct phdr ph = read_phdr(buf + at, is64);

		if (parts == ELF_PARTS_NOT_LOADED && ph.type == PT_LOAD)
			continue;
		if (ph.filesz && ph.offset <= size && ph.filesz <= size - ph.offset)
			ranges[n++] = (struct file_range){ ph.offset, ph.filesz };
	}
	return n;
}

int elf_parse(const uint8_t *buf, size_t size, struct guest_image *img)
{
	uint64_t phoff, entry;
	uint16_t type, machine, phentsize, phnum;
	size_t ehdr_size, phdr_size;
	bool is64;

	if (!elf_is_elf(buf, size))
		return elf_error(img, "no ELF magic");
	if (size < EI_NIDENT)
		return elf_error(img, "truncated in e_ident (%zu bytes)", size);
	if (buf[EI_CLASS] != ELFCLASS32 && buf[EI_CLASS] != ELFCLASS64)
		return elf_error(img, "unknown class %u in e_ident[EI_CLASS]", buf[EI_CLASS]);
	if (buf[EI_DATA] != ELFDATA2LSB)
		return elf_error(img, "not little-endian (e_ident[EI_DATA] = %u)", buf[EI_DATA]);
	is64 = buf[EI_CLASS] == ELFCLASS64;
	ehdr_size = is64 ? sizeof(Elf64_Ehdr) : sizeof(Elf32_Ehdr);
	phdr_size = is64 ? sizeof(Elf64_Phdr) : sizeof(Elf32_Phdr);
	if (size < ehdr_size)
		return elf_error(img, "truncated: %zu bytes, the ELF header needs %zu", size,
				 ehdr_size);

	if (is64) {
		Elf64_Ehdr eh;

		memcpy(&eh, buf, sizeof(eh));
		type = eh.e_type, machine = eh.e_machine, entry = eh.e_entry;
		phoff = eh.e_phoff, phentsize = eh.e_phentsize, phnum = eh.e_phnum;
	} else {
		Elf32_Ehdr eh;

		memcpy(&eh, buf, sizeof(eh));
		type = eh.e_type, machine = eh.e_machine, entry = eh.e_entry;
		phoff = eh.e_phoff, phentsize = eh.e_phentsize, phnum = eh.e_phnum;
	}
	if (type != ET_EXEC)
		return elf_error(img, "e_type %u is not ET_EXEC (a static executable)", type);
	if (is64 && machine != EM_X86_64)
		return elf_error(img, "e_machine %u is not EM_X86_64 (%u)", machine, EM_X86_64);
	if (!is64 && machine != EM_386)
		return elf_error(img, "e_machine %u is not EM_386 (%u)", machine, EM_386);
	if (phnum == 0)
		return elf_error(img, "no program headers");
	if (phentsize != phdr_size)
		return elf_error(img, "e_phentsize %u, expected %zu", phentsize, phdr_size);
	if (phoff > size || (uint64_t)phnum * phentsize > size - phoff)
		return elf_error(
			img,
			"truncated: program headers at 0x%llx (%u x %u bytes) end beyond the file (%zu bytes)",
			(unsigned long long)phoff, phnum, phentsize, size);

	img->format = is64 ? IMAGE_ELF64 : IMAGE_ELF32;
	img->entry = entry;
	img->nsegs = 0;
	for (unsigned int i = 0; i < phnum; i++) {
		struct phdr ph = read_phdr(buf + phoff + (uint64_t)i * phentsize, is64);

		if (ph.type != PT_LOAD)
			continue;
		if (ph.filesz > ph.memsz)
			return elf_error(img, "segment %u: p_filesz 0x%llx > p_memsz 0x%llx", i,
					 (unsigned long long)ph.filesz,
					 (unsigned long long)ph.memsz);
		if (ph.memsz == 0)
			continue;
		if (ph.offset > size || ph.filesz > size - ph.offset)
			return elf_error(
				img,
				"truncated: segment %u needs bytes [0x%llx, 0x%llx), the file has %zu",
				i, (unsigned long long)ph.offset,
				(unsigned long long)(ph.offset + ph.filesz), size);
		if (ph.paddr + ph.memsz < ph.paddr)
			return elf_error(img, "segment %u wraps around the address space", i);
		if (!is64 && ph.paddr + ph.memsz > ELF32_ADDRESS_LIMIT)
			return elf_error(
				img, "segment %u ends beyond the 4 GiB a 32-bit guest can address",
				i);
		if (img->nsegs == IMAGE_MAX_SEGMENTS)
			return elf_error(img, "more than %d PT_LOAD segments", IMAGE_MAX_SEGMENTS);
		img->segs[img->nsegs++] = (struct image_segment){ .gpa = ph.paddr,
								  .data = buf + ph.offset,
								  .filesz = ph.filesz,
								  .memsz = ph.memsz };
		/* A higher-half kernel: remember that virtual and physical differ. */
		if (ph.vaddr != ph.paddr)
			img->higher_half = true;
	}
	if (img->nsegs == 0)
		return elf_error(img, "no PT_LOAD segment to load");
	return 0;
}
