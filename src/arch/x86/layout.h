/* SPDX-License-Identifier: MIT */
/* Every fixed guest-physical address, port and IRQ line of a mini-kvm guest, in one place. */
#ifndef MINI_KVM_LAYOUT_H
#define MINI_KVM_LAYOUT_H

/*
 * Guest-physical memory map (low 1 MiB as on a PC, RAM from 0 up to --mem):
 *
 *   0x0000_0000  real-mode flat guests load here, entered at CS:IP = 0:0
 *                (seed-compatible; they own the IVT/BDA area)
 *   0x0000_0500  boot GDT (flat segments; per boot mode, see gdt.c)
 *   0x0000_1000  protected/paging/long flat guests load here by default
 *   0x0000_6000  PVH / Multiboot boot information (one page)
 *   0x0000_7000  Linux zero page (struct boot_params)
 *   0x0002_0000  Linux kernel command line
 *   0x0008_f000  top of the boot stack of protected/paging/long guests
 *   0x0009_0000  boot page tables (long mode: PML4, PDPT, 4 PDs; paging: 1 PD)
 *   0x0009_fc00  EBDA (reserved in the E820 map)
 *   0x000a_0000  legacy VGA/BIOS hole (not RAM in the E820 map)
 *   0x000e_0000  BIOS area: ACPI RSDP and tables
 *   0x000f_0000  BIOS area: MP floating pointer and configuration table
 *   0x0010_0000  1 MiB: high memory, where a bzImage's kernel goes
 *   0xc000_0000  3 GiB: PCI/MMIO hole up to 4 GiB; RAM above 3 GiB continues at 4 GiB
 *   0xd000_0000  virtio-mmio register windows, 0x200 bytes per device (Linux guests)
 *   0xfec0_0000  I/O APIC; 0xfee0_0000 local APICs (the in-kernel irqchip)
 *
 * What a bare guest may rely on is public, in include/mini-kvm/boot.h (MKVM_*): this
 * header takes those values under its own names and adds what only the VMM uses.
 * Addresses derive from each other where they can; the asserts at the end keep
 * regions apart. Only the VMM's C code includes it; guests, probes and test guests
 * include boot.h alone.
 */
#include "mini-kvm/boot.h"

#define LAYOUT_U64(x) MKVM_U64(x)

#define LAYOUT_KIB	 MKVM_KIB
#define LAYOUT_MIB	 MKVM_MIB
#define LAYOUT_GIB	 (LAYOUT_MIB * LAYOUT_KIB)
#define LAYOUT_PAGE_SIZE MKVM_PAGE_SIZE

/* Real mode (seed-compatible): load at 0, enter at 0:0, stack just below 64 KiB. */
#define LAYOUT_REAL_LOAD      MKVM_REAL_LOAD
#define LAYOUT_REAL_STACK_TOP MKVM_REAL_STACK_TOP

/* Boot GDT: room for 8 descriptors (null, code, data, TSS ...). */
#define LAYOUT_GDT	MKVM_GDT
#define LAYOUT_GDT_SIZE LAYOUT_U64(0x40)
/* Its selectors for protected, paging and long mode guests: flat ring-0 code and data. */
#define GDT_SEL_CODE MKVM_GDT_SEL_CODE
#define GDT_SEL_DATA MKVM_GDT_SEL_DATA
/* Selectors the Linux 64-bit boot protocol requires (boot.rst, "64-bit Boot Protocol"). */
#define GDT_SEL_BOOT_CS 0x10
#define GDT_SEL_BOOT_DS 0x18

/* Default load address and entry of protected/paging/long flat guests. */
#define LAYOUT_FLAT_LOAD MKVM_FLAT_LOAD

/*
 * One page for the boot information of a PVH or Multiboot guest (never both in one
 * VM): PVH's hvm_start_info, module list and memory map, or Multiboot's information
 * structure, module list, memory map and boot loader name. Below the Linux zero page,
 * above the boot GDT.
 */
#define LAYOUT_BOOT_INFO      LAYOUT_U64(0x6000)
#define LAYOUT_BOOT_INFO_SIZE LAYOUT_PAGE_SIZE
#define LAYOUT_BOOT_INFO_END  (LAYOUT_BOOT_INFO + LAYOUT_BOOT_INFO_SIZE)

/* Linux boot: zero page and command line (Documentation/arch/x86/boot.rst). */
#define LAYOUT_ZERO_PAGE   LAYOUT_U64(0x7000)
#define LAYOUT_CMDLINE	   LAYOUT_U64(0x20000)
#define LAYOUT_CMDLINE_MAX LAYOUT_U64(0x10000)

/* Boot page tables, 4 KiB aligned, one page each. */
#define LAYOUT_PAGE_TABLES     MKVM_BOOT_PAGE_TABLES
#define LAYOUT_PML4	       LAYOUT_PAGE_TABLES
#define LAYOUT_PDPT	       (LAYOUT_PML4 + LAYOUT_PAGE_SIZE)
#define LAYOUT_PD	       (LAYOUT_PDPT + LAYOUT_PAGE_SIZE) /* 4 PDs: identity-map 4 GiB */
#define LAYOUT_PD_COUNT	       LAYOUT_U64(4)
#define LAYOUT_PAGE_TABLES_END (LAYOUT_PD + LAYOUT_PD_COUNT * LAYOUT_PAGE_SIZE)
/* 32-bit paging mode uses one page directory of 4 MiB pages at the same place. */
#define LAYOUT_PD32 LAYOUT_PAGE_TABLES

/* Boot stack of protected/paging/long guests: grows down from just below the tables. */
#define LAYOUT_FLAT_STACK_TOP MKVM_FLAT_STACK_TOP

/* Paging mode maps virtual LAYOUT_HIGHER_HALF + x to physical x (a higher-half kernel). */
#define LAYOUT_HIGHER_HALF MKVM_HIGHER_HALF

/* Extended BIOS data area: the last KiB of conventional memory, reserved. */
#define LAYOUT_EBDA LAYOUT_U64(0x9fc00)
/* End of conventional RAM in the E820 map; the VGA/BIOS hole follows. */
#define LAYOUT_LOW_RAM_END LAYOUT_U64(0xa0000)
/* BIOS read-only area, searched for the ACPI RSDP (ACPI 6.x, 5.2.5.1). */
#define LAYOUT_BIOS_AREA     LAYOUT_U64(0xe0000)
#define LAYOUT_BIOS_AREA_END LAYOUT_U64(0x100000)

/* ACPI: RSDP (16-byte aligned, in the BIOS area where OSes search, ACPI 6.4 5.2.5.1), then tables. */
#define LAYOUT_ACPI	LAYOUT_BIOS_AREA
#define LAYOUT_ACPI_END LAYOUT_U64(0xf0000)
/* MP floating pointer (16-byte aligned, BIOS ROM area, MP spec 1.4 4.1), then the table. */
#define LAYOUT_MPTABLE	   LAYOUT_ACPI_END
#define LAYOUT_MPTABLE_END LAYOUT_BIOS_AREA_END

/* Interrupt controllers' MMIO (the in-kernel irqchip's fixed addresses). */
#define LAYOUT_IOAPIC LAYOUT_U64(0xfec00000)
#define LAYOUT_LAPIC  LAYOUT_U64(0xfee00000)

/*
 * The real-mode reset vector, F000:FFF0: where a CPU starts after a reset and
 * where Linux jumps to "reboot through the BIOS" (machine_real_restart). mini-kvm
 * puts a stub there that resets the VM (bios.c).
 */
#define LAYOUT_RESET_VECTOR	 LAYOUT_U64(0xffff0)
#define LAYOUT_RESET_VECTOR_SIZE LAYOUT_U64(0x10)

/* High memory: a bzImage's protected-mode kernel loads at or above here. */
#define LAYOUT_HIGH_MEM MKVM_HIGH_MEM

/* 32-bit MMIO hole: RAM beyond LAYOUT_MMIO_HOLE continues at 4 GiB. */
#define LAYOUT_MMIO_HOLE MKVM_MMIO_HOLE
#define LAYOUT_4GIB	 (LAYOUT_U64(4) * LAYOUT_GIB)

/*
 * virtio-mmio devices of a Linux guest (virtio 1.2, 4.2; src/vm_virtio.c): device n
 * (0 to LAYOUT_VIRTIO_MMIO_COUNT - 1: the --disk files in order, then --rng) has its
 * register window of LAYOUT_VIRTIO_MMIO_SIZE bytes (virtio_mmio.h's VIRTIO_MMIO_SIZE:
 * registers, then the config space) at LAYOUT_VIRTIO_MMIO(n), in the MMIO hole far
 * below the interrupt controllers, and its interrupt on GSI IRQ_VIRTIO_MMIO(n). The
 * DSDT describes each (acpi.c), since the stock kernel finds virtio-mmio devices only
 * through ACPI or a device tree. 0xd000_0000 is where the hole's first 256 MiB end: room
 * below for a PCI window, should mini-kvm ever get one.
 */
#define LAYOUT_VIRTIO_MMIO_BASE	 LAYOUT_U64(0xd0000000)
#define LAYOUT_VIRTIO_MMIO_SIZE	 LAYOUT_U64(0x200)
#define LAYOUT_VIRTIO_MMIO_COUNT 8 /* one per I/O APIC pin above the ISA IRQs: 16-23 */
#define LAYOUT_VIRTIO_MMIO(n)	 (LAYOUT_VIRTIO_MMIO_BASE + (n)*LAYOUT_VIRTIO_MMIO_SIZE)
#define LAYOUT_VIRTIO_MMIO_END	 LAYOUT_VIRTIO_MMIO(LAYOUT_VIRTIO_MMIO_COUNT)

/*
 * KVM_SET_IDENTITY_MAP_ADDR and KVM_SET_TSS_ADDR: one page plus three pages that
 * Intel VMX needs for real-mode emulation without unrestricted guest. Inside the
 * MMIO hole, below the IOAPIC/LAPIC/BIOS ranges, never RAM.
 */
#define LAYOUT_IDENTITY_MAP LAYOUT_U64(0xfffbc000)
#define LAYOUT_TSS	    (LAYOUT_IDENTITY_MAP + LAYOUT_PAGE_SIZE)
#define LAYOUT_TSS_SIZE	    (LAYOUT_U64(3) * LAYOUT_PAGE_SIZE)

/* Guest RAM limits for --mem. */
#define LAYOUT_MEM_MIN	   LAYOUT_MIB
#define LAYOUT_MEM_DEFAULT (LAYOUT_U64(128) * LAYOUT_MIB)

/* I/O ports (PC/AT assignments). */
#define PORT_COM1     MKVM_COM1 /* 0x3f8 - 0x3ff: 16550A UART, COM1 */
#define PORT_COM_SIZE 8
/*
 * 0x600 - 0x602: ACPI hardware-reduced registers (ACPI 6.4 4.8.3.7, 5.2.9): the FADT's
 * SLEEP_CONTROL_REG and SLEEP_STATUS_REG, and its RESET_REG.
 */
#define PORT_ACPI_SLEEP_CONTROL 0x600
#define PORT_ACPI_SLEEP_STATUS	0x601
#define PORT_ACPI_RESET		0x602
#define ACPI_RESET_VALUE	0x1  /* what the guest writes to PORT_ACPI_RESET */
#define ACPI_S5_SLEEP_TYPE	0x5  /* SLP_TYP of the _S5 (soft-off) package in the DSDT */
#define PORT_POST		0x80 /* POST codes; Linux writes it as an I/O delay */
/* MKVM_HYPERCALL_PORT (0x500, HC_PORT in include/mini-kvm/hypercall.h): the hypercall device */

/* ISA IRQ lines. */
#define IRQ_COM1 MKVM_COM1_IRQ
/*
 * The GSIs of the virtio-mmio devices: the I/O APIC's pins 16-23, which no ISA IRQ
 * uses (gsi.c routes them; edge-triggered, active high, as the DSDT says).
 */
#define IRQ_VIRTIO_MMIO_BASE 16
#define IRQ_VIRTIO_MMIO(n)   (IRQ_VIRTIO_MMIO_BASE + (n))

/*
 * The classic PC devices (docs/usage.md, "Classic PC kernels"), in port order. Bare
 * guests always get the debug console; with --irqchip also the CMOS/RTC, the CRTC and
 * the 80x25 text buffer; --ata adds ATA channels, --debug-exit its port.
 */
/* 0x0070 - 0x0071: MC146818A RTC and CMOS RAM (index, data); bit 7 of the index: NMI off. */
#define PORT_CMOS_INDEX 0x70
#define PORT_CMOS_DATA	0x71
#define CMOS_PORTS	2
#define IRQ_RTC		8 /* the RTC's ISA line: not raised (no periodic/alarm/update interrupts) */
/* 0x0092: system control port A (PS/2 "fast A20" and fast reset). */
#define PORT_SYSCTL_A 0x92
/* 0x00e9: the Bochs/QEMU debug console: a byte written goes to the guest's console. */
#define PORT_DEBUGCON	  0xe9
#define DEBUGCON_PORTS	  1
#define DEBUGCON_READBACK 0xe9 /* what a read returns: how a guest detects the port */
/*
 * The ATA (IDE) channels of a PC/AT (ATA/ATAPI-6; 0x3f7/0x377, the obsolete drive
 * address register, belong to the floppy controller):
 *   0x0170 - 0x0177  secondary channel command block; 0x0376 its control block; IRQ 15
 *   0x01f0 - 0x01f7  primary channel command block; 0x03f6 its control block; IRQ 14
 */
#define PORT_ATA_PRIMARY_CMD	0x1f0
#define PORT_ATA_PRIMARY_CTRL	0x3f6
#define IRQ_ATA_PRIMARY		14
#define PORT_ATA_SECONDARY_CMD	0x170
#define PORT_ATA_SECONDARY_CTRL 0x376
#define IRQ_ATA_SECONDARY	15
#define ATA_CMD_PORTS		8 /* command block: data .. status/command */
#define ATA_CTRL_PORTS		1 /* control block: device control / alternate status */
/* 0x03d4 - 0x03d5: the CGA/VGA CRT controller's index and data ports. */
#define PORT_CRTC_INDEX 0x3d4
#define PORT_CRTC_DATA	0x3d5
#define CRTC_PORTS	2
/*
 * --debug-exit PORT: an isa-debug-exit port of the user's choosing (QEMU's default
 * 0x501); DEBUG_EXIT_PORTS ports are claimed so that an `outl` fits, as test kernels
 * written for `-device isa-debug-exit,iobase=0xf4,iosize=0x04` do.
 */
#define PORT_DEBUG_EXIT_DEFAULT 0x501
#define DEBUG_EXIT_PORTS	4
/*
 * 0x0510: where the boot-sector guest's no-BIOS trap stub reports the vector it was
 * entered through (loaders/bootsector.h). Beside the hypercall port, in no PC
 * device's range.
 */
#define PORT_NOBIOS_TRAP 0x510

/* The colour text buffer (80x25 cells of character and attribute): plain guest RAM. */
#define VGA_TEXT_BASE	LAYOUT_U64(0xb8000)
#define VGA_TEXT_WINDOW LAYOUT_U64(0x8000) /* the 32 KiB the CRTC start address moves in */

/*
 * Real-mode areas of the classic PC (boot-sector guests; and the BIOS data area words
 * of every bare --irqchip guest): the interrupt vector table, the BIOS data area, the
 * boot sector's load address.
 */
#define LAYOUT_IVT		LAYOUT_U64(0x0) /* 256 real-mode vectors, offset:segment */
#define IVT_VECTORS		256
#define IVT_ENTRY_SIZE		4
#define LAYOUT_BDA		LAYOUT_U64(0x400) /* BIOS data area */
#define LAYOUT_BDA_EBDA_SEGMENT LAYOUT_U64(0x40e) /* word: the EBDA's real-mode segment */
#define LAYOUT_BDA_BASE_MEM_KIB LAYOUT_U64(0x413) /* word: KiB of conventional memory */
#define LAYOUT_BOOT_SECTOR	LAYOUT_U64(0x7c00)

#if !defined(__ASSEMBLER__) && !defined(LINKER_SCRIPT)
/* The private regions against the public contract (include/mini-kvm/boot.h). */
_Static_assert(LAYOUT_GDT + LAYOUT_GDT_SIZE <= MKVM_FLAT_LOAD,
	       "GDT overlaps the flat load address");
_Static_assert(LAYOUT_ZERO_PAGE >= MKVM_FLAT_LOAD && LAYOUT_ZERO_PAGE < MKVM_FLAT_STACK_TOP,
	       "the zero page sits in the flat guests' space, below their stack");
_Static_assert(LAYOUT_PAGE_TABLES_END <= LAYOUT_EBDA, "boot page tables end below the EBDA");
_Static_assert(MKVM_REAL_STACK_TOP < LAYOUT_U64(0x10000), "real-mode stack in the first 64 KiB");
_Static_assert(MKVM_HYPERCALL_PORT != PORT_COM1 && MKVM_HYPERCALL_PORT != PORT_POST &&
		       (MKVM_HYPERCALL_PORT < PORT_ACPI_SLEEP_CONTROL ||
			MKVM_HYPERCALL_PORT > PORT_ACPI_RESET),
	       "the hypercall port is its own");
_Static_assert(LAYOUT_IOAPIC > MKVM_MMIO_HOLE && LAYOUT_LAPIC > MKVM_MMIO_HOLE,
	       "interrupt controllers live in the MMIO hole");
_Static_assert(LAYOUT_GDT + LAYOUT_GDT_SIZE <= LAYOUT_FLAT_LOAD, "GDT overlaps flat guests");
_Static_assert(LAYOUT_ZERO_PAGE + LAYOUT_PAGE_SIZE <= LAYOUT_CMDLINE, "zero page overlaps cmdline");
_Static_assert(LAYOUT_CMDLINE + LAYOUT_CMDLINE_MAX <= LAYOUT_FLAT_STACK_TOP,
	       "cmdline overlaps stack");
_Static_assert(LAYOUT_PAGE_TABLES % LAYOUT_PAGE_SIZE == 0, "page tables must be page aligned");
_Static_assert(LAYOUT_PAGE_TABLES_END <= LAYOUT_EBDA, "page tables overlap the EBDA");
_Static_assert(LAYOUT_EBDA < LAYOUT_LOW_RAM_END, "EBDA must be conventional RAM");
_Static_assert(LAYOUT_ACPI % 16 == 0 && LAYOUT_MPTABLE % 16 == 0,
	       "RSDP and MP pointer: 16-byte aligned");
_Static_assert(LAYOUT_ACPI_END <= LAYOUT_MPTABLE, "ACPI tables overlap the MP table");
_Static_assert(LAYOUT_RESET_VECTOR + LAYOUT_RESET_VECTOR_SIZE == LAYOUT_BIOS_AREA_END,
	       "the reset vector is the last 16 bytes below 1 MiB");
_Static_assert(LAYOUT_VIRTIO_MMIO_BASE >= LAYOUT_MMIO_HOLE &&
		       LAYOUT_VIRTIO_MMIO_END <= LAYOUT_IOAPIC &&
		       LAYOUT_VIRTIO_MMIO_END <= LAYOUT_IDENTITY_MAP,
	       "virtio-mmio windows sit in the MMIO hole, below KVM's pages and the APICs");
_Static_assert(LAYOUT_VIRTIO_MMIO_BASE % LAYOUT_PAGE_SIZE == 0,
	       "virtio-mmio windows start on a page (Linux maps each with ioremap)");
_Static_assert(PORT_NOBIOS_TRAP != MKVM_HYPERCALL_PORT &&
		       PORT_NOBIOS_TRAP < PORT_ACPI_SLEEP_CONTROL,
	       "the no-BIOS trap port is its own");
_Static_assert(PORT_DEBUGCON != PORT_POST && (PORT_DEBUGCON < PORT_ATA_SECONDARY_CMD),
	       "the debug console port is its own");
_Static_assert(PORT_SYSCTL_A > PORT_POST && PORT_SYSCTL_A < PORT_DEBUGCON, "port 0x92 is free");
_Static_assert(PORT_ATA_SECONDARY_CMD + ATA_CMD_PORTS <= PORT_ATA_PRIMARY_CMD &&
		       PORT_ATA_PRIMARY_CMD + ATA_CMD_PORTS <= PORT_ATA_SECONDARY_CTRL &&
		       PORT_ATA_SECONDARY_CTRL + ATA_CTRL_PORTS <= PORT_CRTC_INDEX &&
		       PORT_CRTC_INDEX + CRTC_PORTS <= PORT_ATA_PRIMARY_CTRL &&
		       PORT_ATA_PRIMARY_CTRL + ATA_CTRL_PORTS <= PORT_COM1,
	       "ATA, CRTC and COM1 ports apart");
_Static_assert(VGA_TEXT_BASE >= LAYOUT_LOW_RAM_END &&
		       VGA_TEXT_BASE + VGA_TEXT_WINDOW <= LAYOUT_BIOS_AREA,
	       "the text buffer sits in the VGA hole");
_Static_assert(LAYOUT_IVT + IVT_VECTORS * IVT_ENTRY_SIZE <= LAYOUT_BDA, "IVT below the BDA");
_Static_assert(LAYOUT_BDA + 0x100 <= LAYOUT_GDT, "the BDA ends where the boot GDT starts");
_Static_assert(LAYOUT_GDT + LAYOUT_GDT_SIZE <= LAYOUT_BOOT_INFO, "boot info overlaps the GDT");
_Static_assert(LAYOUT_BOOT_INFO_END <= LAYOUT_ZERO_PAGE, "boot info overlaps the zero page");
_Static_assert(LAYOUT_BOOT_INFO % LAYOUT_PAGE_SIZE == 0, "boot info is page aligned");
_Static_assert(LAYOUT_IDENTITY_MAP >= LAYOUT_MMIO_HOLE, "KVM's private pages must not be RAM");
_Static_assert(LAYOUT_TSS + LAYOUT_TSS_SIZE <= LAYOUT_4GIB, "TSS pages must sit below 4 GiB");
#endif

#endif /* MINI_KVM_LAYOUT_H */
