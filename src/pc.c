/* SPDX-License-Identifier: MIT */
/* Classic PC guests: boot sectors and Multiboot kernels, and the PC that bare --irqchip guests find. */
#include "pc.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "arch/x86/acpi.h"
#include "arch/x86/bios.h"
#include "arch/x86/bootparams.h"
#include "arch/x86/layout.h"
#include "arch/x86/mptable.h"
#include "error.h"
#include "file.h"
#include "vm.h"

/* The setup header's magic "HdrS", where a bzImage has it (boot.rst). */
#define PC_BZIMAGE_MAGIC_OFFSET 0x202
/* What the BIOS data area says (IBM PC/AT BIOS listing; MP 1.4, 4.1): the EBDA's segment ... */
#define PC_BDA_EBDA_SEGMENT ((uint16_t)(LAYOUT_EBDA >> 4))
/* ... and the KiB of base memory below it: 639. */
#define PC_BDA_BASE_MEM_KIB ((uint16_t)(LAYOUT_EBDA / LAYOUT_KIB))

int pc_kernel_kind(const char *path, const char *what)
{
	uint8_t head[MULTIBOOT_SEARCH];
	uint64_t size;
	uint32_t magic;
	long found;
	int fd, ret;

	ret = file_open_regular(path, what, &fd, &size);
	if (ret < 0)
		return ret;
	if (size > sizeof(head))
		size = sizeof(head);
	ret = file_pread_all(fd, path, what, head, size, 0);
	close(fd);
	if (ret < 0)
		return ret;
	if (size >= PC_BZIMAGE_MAGIC_OFFSET + sizeof(magic)) {
		memcpy(&magic, head + PC_BZIMAGE_MAGIC_OFFSET, sizeof(magic));
		if (magic == SETUP_HDRS_MAGIC)
			return PC_KERNEL_BZIMAGE;
	}
	found = multiboot_find_header(head, size, path);
	if (found >= 0)
		return PC_KERNEL_MULTIBOOT;
	if (found == -ENOENT)
		return PC_KERNEL_OTHER;
	return (int)found;
}

void pc_free(struct pc_guest *g)
{
	if (!g)
		return;
	if (g->boot == PC_BOOT_MULTIBOOT)
		multiboot_free(&g->mb);
	free(g->module);
	free(g);
}

int pc_multiboot_open(const char *path, const char *initrd, const char *params, uint64_t ram_size,
		      struct pc_guest **out)
{
	struct pc_guest *g = calloc(1, sizeof(*g));
	int ret;

	if (!g)
		return error_set(ENOMEM, "no memory for a Multiboot kernel");
	g->boot = PC_BOOT_MULTIBOOT;
	ret = multiboot_open(path, &g->mb);
	if (ret < 0) {
		free(g);
		return ret;
	}
	if (initrd) {
		char limit[64];

		snprintf(limit, sizeof(limit), "the guest's %llu MiB of RAM (-m)",
			 (unsigned long long)(ram_size / LAYOUT_MIB));
		ret = file_read_all(initrd, "Multiboot module", ram_size, limit, &g->module,
				    &g->module_size);
		if (ret < 0) {
			pc_free(g);
			return ret;
		}
		g->module_path = initrd;
	}
	g->cmdline = params;
	*out = g;
	return 0;
}

int pc_boot_disk_open(const char *path, struct pc_guest **out)
{
	struct pc_guest *g = calloc(1, sizeof(*g));
	int ret;

	if (!g)
		return error_set(ENOMEM, "no memory for a boot sector");
	g->boot = PC_BOOT_BOOT_SECTOR;
	snprintf(g->bs.path, sizeof(g->bs.path), "%s", path);
	ret = bootsector_read(path, &g->bs);
	if (ret < 0) {
		free(g);
		return ret;
	}
	*out = g;
	return 0;
}

static int put_bda_word(const struct guest_memory *mem, uint64_t gpa, uint16_t value)
{
	if (guest_write(mem, gpa, &value, sizeof(value)))
		return error_set(EFAULT, "BIOS data area word at 0x%llx is not guest RAM",
				 (unsigned long long)gpa);
	return 0;
}

int pc_bda_setup(struct vm *vm)
{
	int ret = put_bda_word(&vm->mem, LAYOUT_BDA_EBDA_SEGMENT, PC_BDA_EBDA_SEGMENT);

	if (ret < 0)
		return ret;
	return put_bda_word(&vm->mem, LAYOUT_BDA_BASE_MEM_KIB, PC_BDA_BASE_MEM_KIB);
}

int pc_platform_setup(struct vm *vm)
{
	struct acpi_config acpi = { .ncpus = vm->nvcpus, .cmos_rtc = true, .vga_text = true };
	int64_t rsdp;
	int ret;

	ret = mptable_build(&vm->mem, vm->nvcpus);
	if (ret < 0)
		return ret;
	rsdp = acpi_build(&vm->mem, &acpi);
	if (rsdp < 0)
		return (int)rsdp;
	return bios_install(&vm->mem);
}

int pc_load(struct pc_guest *g, struct vm *vm)
{
	struct loader_entry entry;
	struct kvm_sregs sregs;
	struct kvm_regs regs;
	const char *path;
	int ret;

	if (g->boot == PC_BOOT_MULTIBOOT) {
		const struct multiboot_boot boot = { .cmdline = g->cmdline,
						     .module = g->module,
						     .module_size = g->module_size,
						     .module_string = g->module_path };

		path = g->mb.img.path;
		ret = multiboot_place(&g->mb, &vm->mem, &boot, &entry);
	} else {
		path = g->bs.path;
		ret = bootsector_place(&g->bs, &vm->mem, &entry);
	}
	if (ret < 0)
		return ret;
	vm->boot_mode = entry.mode;
	ret = vcpu_get_sregs(&vm->vcpus[0], &sregs);
	if (ret < 0)
		return ret;
	ret = loader_entry_setup(&entry, &vm->mem, &sregs, &regs);
	if (ret < 0)
		return error_wrap(-ret, "guest '%s'", path);
	return vcpu_set_state(&vm->vcpus[0], &sregs, &regs);
}
