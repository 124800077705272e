/* SPDX-License-Identifier: MIT */
/* ACPI tables for a hardware-reduced x86 guest (ACPI 6.5): RSDP, XSDT, RSDT, FADT, DSDT, MADT. */
#include "arch/x86/acpi.h"

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <string.h>

#include "error.h"
#include "arch/x86/irq_routing.h"
#include "arch/x86/fwtable.h"
#include "arch/x86/layout.h"

/*
 * Who made the tables (ACPI 6.5 5.2.6): a 6-byte OEM ID, an 8-byte OEM table ID, a
 * 4-byte creator ID; the same in every table. The FADT also names the hypervisor (8).
 */
#define ACPI_OEM_ID	      "MINKVM"
#define ACPI_OEM_TABLE_ID     "MINI-KVM"
#define ACPI_OEM_REVISION     1
#define ACPI_CREATOR_ID	      "MKVM"
#define ACPI_CREATOR_REVISION 1
#define ACPI_HYPERVISOR_ID    "MINI-KVM"

/* Table signatures (ACPI 6.5 table 5.5 and 5.6). */
#define ACPI_SIG_RSDP "RSD PTR "
#define ACPI_SIG_XSDT "XSDT"
#define ACPI_SIG_RSDT "RSDT"
#define ACPI_SIG_FADT "FACP"
#define ACPI_SIG_DSDT "DSDT"
#define ACPI_SIG_MADT "APIC"

/* Revisions of the structures as ACPI 6.5 defines them. */
#define ACPI_RSDP_REVISION	2 /* 5.2.5.3: ACPI 2.0 and later (has the XSDT address) */
#define ACPI_XSDT_REVISION	1 /* 5.2.8 */
#define ACPI_RSDT_REVISION	1 /* 5.2.7 */
#define ACPI_FADT_REVISION	6 /* 5.2.9, table 5.9: major version 6 ... */
#define ACPI_FADT_MINOR_VERSION 5 /* ... and minor version 5, i.e. ACPI 6.5 */
#define ACPI_DSDT_REVISION	2 /* 5.2.11.1: 2 and above make AML integers 64 bits wide */
#define ACPI_MADT_REVISION	6 /* 5.2.12, table 5.19 */

/* Each table starts 16-byte aligned: the RSDP must be (5.2.5.1), the rest follow suit. */
#define ACPI_TABLE_ALIGN 16

/* Root System Description Pointer (ACPI 6.5 5.2.5.3). */
struct acpi_rsdp {
	char signature[8];	   /* "RSD PTR " */
	uint8_t checksum;	   /* the first ACPI_RSDP_V1_SIZE bytes sum to 0 */
	char oem_id[6];		   /* */
	uint8_t revision;	   /* ACPI_RSDP_REVISION */
	uint32_t rsdt_address;	   /* for ACPI 1.0 parsers */
	uint32_t length;	   /* of this whole structure */
	uint64_t xsdt_address;	   /* what ACPI 2.0+ OSes follow */
	uint8_t extended_checksum; /* all bytes sum to 0 */
	uint8_t reserved[3];
} __attribute__((packed));
_Static_assert(sizeof(struct acpi_rsdp) == 36, "RSDP: 36 bytes");
FWTABLE_ASSERT_OFFSET(struct acpi_rsdp, rsdt_address, 16);
FWTABLE_ASSERT_OFFSET(struct acpi_rsdp, length, 20);
FWTABLE_ASSERT_OFFSET(struct acpi_rsdp, xsdt_address, 24);
FWTABLE_ASSERT_OFFSET(struct acpi_rsdp, extended_checksum, 32);
/* The ACPI 1.0 part, which the first checksum covers. */
#define ACPI_RSDP_V1_SIZE offsetof(struct acpi_rsdp, length)

/* System Description Table header, the start of every table but the RSDP (5.2.6). */
struct acpi_sdt_header {
	char signature[4];
	uint32_t length; /* of the whole table, header included */
	uint8_t revision;
	uint8_t checksum; /* all length bytes sum to 0 */
	char oem_id[6];
	char oem_table_id[8];
	uint32_t oem_revision;
	char creator_id[4];
	uint32_t creator_revision;
} __attribute__((packed));
_Static_assert(sizeof(struct acpi_sdt_header) == 36, "SDT header: 36 bytes");
FWTABLE_ASSERT_OFFSET(struct acpi_sdt_header, length, 4);
FWTABLE_ASSERT_OFFSET(struct acpi_sdt_header, checksum, 9);
FWTABLE_ASSERT_OFFSET(struct acpi_sdt_header, oem_table_id, 16);
FWTABLE_ASSERT_OFFSET(struct acpi_sdt_header, creator_revision, 32);

_Static_assert(sizeof(ACPI_OEM_ID) - 1 == sizeof(((struct acpi_sdt_header *)0)->oem_id),
	       "OEM ID: 6 characters");
_Static_assert(sizeof(ACPI_OEM_TABLE_ID) - 1 == sizeof(((struct acpi_sdt_header *)0)->oem_table_id),
	       "OEM table ID: 8 characters");
_Static_assert(sizeof(ACPI_CREATOR_ID) - 1 == sizeof(((struct acpi_sdt_header *)0)->creator_id),
	       "creator ID: 4 characters");

/* The tables the XSDT and RSDT list (the DSDT is reached through the FADT). */
enum acpi_listed { ACPI_LISTED_FADT, ACPI_LISTED_MADT, ACPI_LISTED_COUNT };

/* Extended System Description Table (5.2.8): 64-bit table addresses. */
struct acpi_xsdt {
	struct acpi_sdt_header header; /* "XSDT" */
	uint64_t entry[ACPI_LISTED_COUNT];
} __attribute__((packed));
FWTABLE_ASSERT_OFFSET(struct acpi_xsdt, entry, 36);

/* Root System Description Table (5.2.7): the same list, 32-bit, for ACPI 1.0 parsers. */
struct acpi_rsdt {
	struct acpi_sdt_header header; /* "RSDT" */
	uint32_t entry[ACPI_LISTED_COUNT];
} __attribute__((packed));
FWTABLE_ASSERT_OFFSET(struct acpi_rsdt, entry, 36);

/* Generic Address Structure (5.2.3.2): where a register is and how to access it. */
struct acpi_gas {
	uint8_t space_id;    /* ACPI_GAS_SYSTEM_IO: an I/O port */
	uint8_t bit_width;   /* of the register */
	uint8_t bit_offset;  /* of the register in the address */
	uint8_t access_size; /* ACPI_GAS_ACCESS_BYTE: 8-bit in/out */
	uint64_t address;    /* the port */
} __attribute__((packed));
_Static_assert(sizeof(struct acpi_gas) == 12, "GAS: 12 bytes");
FWTABLE_ASSERT_OFFSET(struct acpi_gas, address, 4);

#define ACPI_GAS_SYSTEM_IO    1
#define ACPI_GAS_ACCESS_BYTE  1
#define ACPI_GAS_BITS_IN_BYTE 8

/*
 * Fixed ACPI Description Table, revision 6 (5.2.9, table 5.9). On a hardware-reduced
 * platform (4.1) the PM1/PM2/PM timer/GPE blocks, SCI, SMI command and FACS are all
 * absent, so their fields stay zero.
 */
struct acpi_fadt {
	struct acpi_sdt_header header; /* "FACP" */
	uint32_t firmware_ctrl;	       /* FACS; none */
	uint32_t dsdt;		       /* the DSDT (32-bit) */
	uint8_t reserved0;	       /* ACPI 1.0's INT_MODEL */
	uint8_t preferred_pm_profile;
	uint16_t sci_int;
	uint32_t smi_cmd;
	uint8_t acpi_enable;
	uint8_t acpi_disable;
	uint8_t s4bios_req;
	uint8_t pstate_cnt;
	uint32_t pm1a_evt_blk;
	uint32_t pm1b_evt_blk;
	uint32_t pm1a_cnt_blk;
	uint32_t pm1b_cnt_blk;
	uint32_t pm2_cnt_blk;
	uint32_t pm_tmr_blk;
	uint32_t gpe0_blk;
	uint32_t gpe1_blk;
	uint8_t pm1_evt_len;
	uint8_t pm1_cnt_len;
	uint8_t pm2_cnt_len;
	uint8_t pm_tmr_len;
	uint8_t gpe0_blk_len;
	uint8_t gpe1_blk_len;
	uint8_t gpe1_base;
	uint8_t cst_cnt;
	uint16_t p_lvl2_lat;
	uint16_t p_lvl3_lat;
	uint16_t flush_size;
	uint16_t flush_stride;
	uint8_t duty_offset;
	uint8_t duty_width;
	uint8_t day_alrm;
	uint8_t mon_alrm;
	uint8_t century;
	uint16_t iapc_boot_arch; /* ACPI_IAPC_* (5.2.9.3) */
	uint8_t reserved1;
	uint32_t flags;		   /* ACPI_FADT_* (table 5.10) */
	struct acpi_gas reset_reg; /* write reset_value here to reset the system (4.8.3.6) */
	uint8_t reset_value;
	uint16_t arm_boot_arch;
	uint8_t fadt_minor_version;
	uint64_t x_firmware_ctrl;
	uint64_t x_dsdt; /* the DSDT (64-bit) */
	struct acpi_gas x_pm1a_evt_blk;
	struct acpi_gas x_pm1b_evt_blk;
	struct acpi_gas x_pm1a_cnt_blk;
	struct acpi_gas x_pm1b_cnt_blk;
	struct acpi_gas x_pm2_cnt_blk;
	struct acpi_gas x_pm_tmr_blk;
	struct acpi_gas x_gpe0_blk;
	struct acpi_gas x_gpe1_blk;
	struct acpi_gas sleep_control_reg; /* hardware-reduced sleep (4.8.3.7) */
	struct acpi_gas sleep_status_reg;
	char hypervisor_vendor_id[8];
} __attribute__((packed));
_Static_assert(sizeof(struct acpi_fadt) == 276, "FADT revision 6: 276 bytes");
FWTABLE_ASSERT_OFFSET(struct acpi_fadt, dsdt, 40);
FWTABLE_ASSERT_OFFSET(struct acpi_fadt, sci_int, 46);
FWTABLE_ASSERT_OFFSET(struct acpi_fadt, pm1a_evt_blk, 56);
FWTABLE_ASSERT_OFFSET(struct acpi_fadt, pm1_evt_len, 88);
FWTABLE_ASSERT_OFFSET(struct acpi_fadt, p_lvl2_lat, 96);
FWTABLE_ASSERT_OFFSET(struct acpi_fadt, iapc_boot_arch, 109);
FWTABLE_ASSERT_OFFSET(struct acpi_fadt, flags, 112);
FWTABLE_ASSERT_OFFSET(struct acpi_fadt, reset_reg, 116);
FWTABLE_ASSERT_OFFSET(struct acpi_fadt, reset_value, 128);
FWTABLE_ASSERT_OFFSET(struct acpi_fadt, arm_boot_arch, 129);
FWTABLE_ASSERT_OFFSET(struct acpi_fadt, fadt_minor_version, 131);
FWTABLE_ASSERT_OFFSET(struct acpi_fadt, x_firmware_ctrl, 132);
FWTABLE_ASSERT_OFFSET(struct acpi_fadt, x_dsdt, 140);
FWTABLE_ASSERT_OFFSET(struct acpi_fadt, x_pm1a_evt_blk, 148);
FWTABLE_ASSERT_OFFSET(struct acpi_fadt, x_gpe1_blk, 232);
FWTABLE_ASSERT_OFFSET(struct acpi_fadt, sleep_control_reg, 244);
FWTABLE_ASSERT_OFFSET(struct acpi_fadt, sleep_status_reg, 256);
FWTABLE_ASSERT_OFFSET(struct acpi_fadt, hypervisor_vendor_id, 268);
_Static_assert(sizeof(ACPI_HYPERVISOR_ID) - 1 ==
		       sizeof(((struct acpi_fadt *)0)->hypervisor_vendor_id),
	       "hypervisor vendor identity: 8 characters");

/* FADT fixed feature flags (table 5.10). */
#define ACPI_FADT_WBINVD	  (1U << 0)  /* WBINVD works (required since ACPI 2.0) */
#define ACPI_FADT_PROC_C1	  (1U << 2)  /* C1 (HLT) works on every processor */
#define ACPI_FADT_PWR_BUTTON	  (1U << 4)  /* no fixed-feature power button */
#define ACPI_FADT_SLP_BUTTON	  (1U << 5)  /* no fixed-feature sleep button */
#define ACPI_FADT_RESET_REG_SUP	  (1U << 10) /* RESET_REG works */
#define ACPI_FADT_HW_REDUCED_ACPI (1U << 20) /* no fixed hardware: 4.1 */

/* IA-PC boot architecture flags (5.2.9.3). */
#define ACPI_IAPC_LEGACY_DEVICES       (1U << 0) /* ISA/LPC devices: COM1 */
#define ACPI_IAPC_8042		       (1U << 1) /* an 8042 at ports 0x60/0x64: left clear */
#define ACPI_IAPC_VGA_NOT_PRESENT      (1U << 2) /* do not probe VGA */
#define ACPI_IAPC_CMOS_RTC_NOT_PRESENT (1U << 5) /* no MC146818 RTC at ports 0x70/0x71 */

/* The Multiple APIC Description Table's fixed part (5.2.12, table 5.19). */
struct acpi_madt {
	struct acpi_sdt_header header; /* "APIC" */
	uint32_t lapic_address;	       /* every local APIC's MMIO base */
	uint32_t flags;		       /* ACPI_MADT_PCAT_COMPAT */
} __attribute__((packed));
_Static_assert(sizeof(struct acpi_madt) == 44, "MADT: 44 bytes before its structures");
FWTABLE_ASSERT_OFFSET(struct acpi_madt, lapic_address, 36);
FWTABLE_ASSERT_OFFSET(struct acpi_madt, flags, 40);

/* The dual 8259s exist too (KVM's in-kernel PICs), so an OS must mask them to use APICs. */
#define ACPI_MADT_PCAT_COMPAT (1U << 0)

/* Interrupt controller structure types (table 5.21). */
#define ACPI_MADT_LAPIC	    0
#define ACPI_MADT_IOAPIC    1
#define ACPI_MADT_ISO	    2
#define ACPI_MADT_LAPIC_NMI 4

/* Processor Local APIC (5.2.12.2). */
struct acpi_madt_lapic {
	uint8_t type;	 /* ACPI_MADT_LAPIC */
	uint8_t length;	 /* 8 */
	uint8_t uid;	 /* ACPI Processor UID */
	uint8_t apic_id; /* its local APIC ID */
	uint32_t flags;	 /* ACPI_MADT_LAPIC_ENABLED */
} __attribute__((packed));
_Static_assert(sizeof(struct acpi_madt_lapic) == 8, "MADT local APIC: 8 bytes");
FWTABLE_ASSERT_OFFSET(struct acpi_madt_lapic, flags, 4);

/* Usable now (then Online Capable, bit 1, must be 0). */
#define ACPI_MADT_LAPIC_ENABLED (1U << 0)

/* I/O APIC (5.2.12.3). */
struct acpi_madt_ioapic {
	uint8_t type;	/* ACPI_MADT_IOAPIC */
	uint8_t length; /* 12 */
	uint8_t ioapic_id;
	uint8_t reserved;
	uint32_t address;  /* its MMIO base */
	uint32_t gsi_base; /* the GSI of its pin 0 */
} __attribute__((packed));
_Static_assert(sizeof(struct acpi_madt_ioapic) == 12, "MADT I/O APIC: 12 bytes");
FWTABLE_ASSERT_OFFSET(struct acpi_madt_ioapic, address, 4);
FWTABLE_ASSERT_OFFSET(struct acpi_madt_ioapic, gsi_base, 8);

/* Interrupt Source Override (5.2.12.5): ISA IRQ source arrives on GSI gsi. */
struct acpi_madt_iso {
	uint8_t type;	/* ACPI_MADT_ISO */
	uint8_t length; /* 10 */
	uint8_t bus;	/* ACPI_MADT_BUS_ISA */
	uint8_t source; /* the ISA IRQ */
	uint32_t gsi;
	uint16_t flags; /* MPS INTI flags: IRQ_INTI_* */
} __attribute__((packed));
_Static_assert(sizeof(struct acpi_madt_iso) == 10, "MADT interrupt source override: 10 bytes");
FWTABLE_ASSERT_OFFSET(struct acpi_madt_iso, gsi, 4);
FWTABLE_ASSERT_OFFSET(struct acpi_madt_iso, flags, 8);

#define ACPI_MADT_BUS_ISA 0

/* Local APIC NMI (5.2.12.7): which LINT input of which processors is NMI. */
struct acpi_madt_lapic_nmi {
	uint8_t type;	/* ACPI_MADT_LAPIC_NMI */
	uint8_t length; /* 6 */
	uint8_t uid;	/* ACPI_MADT_ALL_PROCESSORS */
	uint16_t flags; /* MPS INTI flags */
	uint8_t lint;	/* 0 or 1 */
} __attribute__((packed));
_Static_assert(sizeof(struct acpi_madt_lapic_nmi) == 6, "MADT local APIC NMI: 6 bytes");
FWTABLE_ASSERT_OFFSET(struct acpi_madt_lapic_nmi, lint, 5);

#define ACPI_MADT_ALL_PROCESSORS 0xff

/*
 * The DSDT's AML (ACPI 6.5 chapter 20), assembled by hand from this ASL:
 *
 *   DefinitionBlock ("", "DSDT", 2, "MINKVM", "MINI-KVM", 1)
 *   {
 *       Name (_S5, Package () { 5, 5, 0, 0 })          // ACPI_S5_SLEEP_TYPE twice
 *       Scope (\_SB)
 *       {
 *           Device (COM1)                              // the 16550A UART
 *           {
 *               Name (_HID, EisaId ("PNP0501"))
 *               Name (_UID, One)
 *               Name (_CRS, ResourceTemplate ()
 *               {
 *                   IO (Decode16, 0x03F8, 0x03F8, 0x01, 0x08)
 *                   IRQNoFlags () {4}
 *               })
 *           }
 *           Device (VIO0)                              // virtio-mmio device 0, if any
 *           {
 *               Name (_HID, "LNRO0005")
 *               Name (_UID, 0)
 *               Name (_CRS, ResourceTemplate ()
 *               {
 *                   Memory32Fixed (ReadWrite, 0xD0000000, 0x00000200)
 *                   Interrupt (ResourceConsumer, Edge, ActiveHigh, Exclusive) {16}
 *               })
 *           }
 *           ...                                        // VIO1 to VIOn: the next windows
 *       }
 *   }
 *
 * \_S5 (7.4.2.6) gives the SLP_TYP that OSPM writes to SLEEP_CONTROL_REG to power off.
 * COM1 is described so that Linux's 8250_pnp driver learns its IRQ through ACPI: with
 * HW_REDUCED_ACPI, Linux drops the legacy PIC and so sets up no ISA IRQs on its own
 * (arch/x86/kernel/acpi/boot.c, acpi_generic_reduced_hw_init); a device's _CRS is what
 * maps IRQ 4 to its GSI. The bytes, with each length worked out:
 *
 *   08 5F 53 35 5F           NameOp "_S5_"
 *   12 08 04                 PackageOp, PkgLength 8 (itself + the 7 bytes after), 4 elements
 *   0A 05 0A 05 00 00        BytePrefix 5 (SLP_TYPa), BytePrefix 5 (SLP_TYPb), Zero, Zero
 *   10 xx [xx] 5C 5F 53 42 5F  ScopeOp, PkgLength (one byte while it is below 64, two
 *                            with virtio devices: 20.2.4), "\_SB_"
 *   5B 82 2B 43 4F 4D 31     DeviceOp, PkgLength 43 (itself + "COM1" + 38 bytes of names)
 *   08 5F 48 49 44           NameOp "_HID"
 *   0C 41 D0 05 01           DWordPrefix, EisaId ("PNP0501") = 0x0105D041
 *   08 5F 55 49 44 01        NameOp "_UID", One
 *   08 5F 43 52 53           NameOp "_CRS"
 *   11 10 0A 0D              BufferOp, PkgLength 16 (itself + 2 + 13), BufferSize 13
 *   47 01 F8 03 F8 03 01 08  I/O port descriptor (6.4.2.5): 16-bit decode, min 0x3F8,
 *                            max 0x3F8, alignment 1, 8 ports
 *   22 10 00                 IRQ descriptor without flags byte (6.4.2.1): IRQ mask bit 4;
 *                            edge-triggered, active high, exclusive
 *   79 00                    End tag (6.4.2.9), checksum 0: "the resources are valid"
 *
 * A virtio-mmio device n (virtio 1.2, 4.2; Linux's virtio_mmio driver matches _HID
 * "LNRO0005", as QEMU's microvm describes its devices), 61 bytes:
 *
 *   5B 82 3B 56 49 4F 30     DeviceOp, PkgLength 59, "VIO0" (the digit is n, in hex)
 *   08 5F 48 49 44           NameOp "_HID"
 *   0D 4C 4E 52 4F 30 30 30 35 00   StringPrefix "LNRO0005" NUL (20.2.3)
 *   08 5F 55 49 44 0A 00     NameOp "_UID", BytePrefix n
 *   08 5F 43 52 53           NameOp "_CRS"
 *   11 1A 0A 17              BufferOp, PkgLength 26 (itself + 2 + 23), BufferSize 23
 *   86 09 00 01              32-bit fixed memory range (6.4.3.4): length 9, read-write,
 *   00 00 00 D0 00 02 00 00  base LAYOUT_VIRTIO_MMIO(n), length LAYOUT_VIRTIO_MMIO_SIZE
 *   89 06 00 03 01           Extended interrupt (6.4.3.6): length 6, flags consumer |
 *   10 00 00 00              edge (active high, exclusive), one interrupt: GSI 16 + n
 *   79 00                    End tag
 *
 * The fixed parts are byte list macros below; the DSDT is assembled at run time (the
 * devices vary) by a small writer that inserts each PkgLength once the bytes it covers
 * are known (aml_begin(), aml_end()), so no length is counted by hand.
 */
#define AML_ZERO_OP	  0x00 /* 20.2.3: the integer 0 */
#define AML_ONE_OP	  0x01 /* 20.2.3: the integer 1 */
#define AML_NAME_OP	  0x08 /* 20.2.5.1: NameOp NameString DataRefObject */
#define AML_BYTE_PREFIX	  0x0a /* 20.2.3: BytePrefix ByteData */
#define AML_DWORD_PREFIX  0x0c /* 20.2.3: DWordPrefix DWordData */
#define AML_STRING_PREFIX 0x0d /* 20.2.3: StringPrefix AsciiCharList NullChar */
#define AML_SCOPE_OP	  0x10 /* 20.2.5.1: ScopeOp PkgLength NameString TermList */
#define AML_BUFFER_OP	  0x11 /* 20.2.5.4: BufferOp PkgLength BufferSize ByteList */
#define AML_PACKAGE_OP	  0x12 /* 20.2.5.4: PackageOp PkgLength NumElements Elements */
#define AML_EXT_OP_PREFIX 0x5b /* 20.2.5.2: DeviceOp is ExtOpPrefix 0x82 */
#define AML_DEVICE_OP	  0x82 /* ... PkgLength NameString TermList */
#define AML_ROOT_CHAR	  0x5c /* '\': the name that follows starts at the root */
#define AML_NAMESEG_SIZE  4    /* 20.2.2: a NameSeg is 4 characters */

/* The size of a byte list, as an integer constant expression. */
#define AML_LEN(...) sizeof((const uint8_t[]){ __VA_ARGS__ })
/*
 * PkgLength (20.2.4) counts its own bytes plus those after it. In one byte, bits 7:6
 * are 0 and bits 5:0 hold the length, up to AML_PKGLEN1_MAX. Longer, bits 7:6 of the
 * lead byte count the 1 to 3 bytes that follow, its bits 3:0 hold the length's low
 * nibble and each following byte the next 8 bits: up to AML_PKGLEN_MAX in all.
 */
#define AML_PKGLEN_SIZE		1
#define AML_PKGLEN1_MAX		0x3f
#define AML_PKGLEN_BYTES_MAX	4
#define AML_PKGLEN_FOLLOW_SHIFT 6
#define AML_PKGLEN_NIBBLE_BITS	4
#define AML_PKGLEN_NIBBLE_MASK	0x0f
#define AML_PKGLEN_MAX		((1U << 28) - 1)
#define AML_PKGLEN(...)		(AML_PKGLEN_SIZE + AML_LEN(__VA_ARGS__))
/*
 * ASL's EisaId (19.6, EISAID): a 16-bit vendor code of three letters, 5 bits each ('A'
 * is 1), then the 16-bit product number (four hex digits), both stored big-endian.
 */
#define AML_EISA_CHAR(c)   ((c) - '@')
#define AML_EISA_CHAR_BITS 5
#define AML_EISA_VENDOR(a, b, c)                          \
	((AML_EISA_CHAR(a) << (2 * AML_EISA_CHAR_BITS)) | \
	 (AML_EISA_CHAR(b) << AML_EISA_CHAR_BITS) | AML_EISA_CHAR(c))

/* Small resource descriptors (6.4.2): tag byte = type << 3 | length of what follows. */
#define ACPI_RES_SMALL(type, len) (((type) << 3) | (len))
#define ACPI_RES_IRQ		  0x04 /* 6.4.2.1: IRQ mask (16 bits) */
#define ACPI_RES_IRQ_LEN	  2
#define ACPI_RES_IO		  0x08 /* 6.4.2.5: information, min, max, alignment, length */
#define ACPI_RES_IO_LEN		  7
#define ACPI_RES_IO_DECODE16	  0x01 /* information bit 0: decodes all 16 address bits */
#define ACPI_RES_IO_ALIGN	  1
#define ACPI_RES_END		  0x0f /* 6.4.2.9: checksum */
#define ACPI_RES_END_LEN	  1
#define ACPI_RES_END_NO_CHECKSUM  0x00

/* Large resource descriptors (6.4.3): tag byte = 0x80 | item name, then a 16-bit length. */
#define ACPI_RES_LARGE(name)	  (0x80 | (name))
#define ACPI_RES_MEM32_FIXED	  0x06 /* 6.4.3.4: information, base, length (32 bits each) */
#define ACPI_RES_MEM32_FIXED_LEN  9
#define ACPI_RES_MEM32_READ_WRITE 0x01 /* information bit 0: writable */
#define ACPI_RES_EXT_IRQ	  0x09 /* 6.4.3.6: flags, count, 32-bit interrupt numbers */
#define ACPI_RES_EXT_IRQ_LEN(n)	  (2 + 4 * (n)) /* without a resource source */
#define ACPI_RES_EXT_IRQ_CONSUMER 0x01		/* flags bit 0: the device consumes it */
#define ACPI_RES_EXT_IRQ_EDGE	  0x02 /* bit 1: edge-triggered (bit 2 clear: active high, */
				       /* bit 3 clear: exclusive, bit 4 clear: no wake) */

/* SLP_TYP is bits 4:2 of SLEEP_CONTROL_REG (4.8.3.7). */
#define ACPI_SLP_TYP_MAX 7
#define DSDT_S5_COUNT	 4 /* Package () { SLP_TYPa, SLP_TYPb, reserved, reserved } (7.4.2) */

/* What Linux's virtio_mmio driver matches (drivers/virtio/virtio_mmio.c, its ACPI table). */
#define ACPI_VIRTIO_MMIO_HID "LNRO0005"
/* Device n's name: VIO0 ... VIO7 (the last character the hex digit n). */
#define DSDT_VIRTIO_NAME      'V', 'I', 'O'
#define DSDT_VIRTIO_NAME_BASE 16 /* n is one hex digit */

/* The largest DSDT body: _S5 and the \_SB scope with COM1 and every virtio device fit. */
#define ACPI_DSDT_AML_MAX 1024

/* The byte lists, one AML term a line, as in the listing above. */
/* clang-format off */
#define AML_BYTE_MASK  0xff
#define AML_BYTE_SHIFT 8
#define AML_U16(v)     ((v) & AML_BYTE_MASK), (((v) >> AML_BYTE_SHIFT) & AML_BYTE_MASK)
#define AML_U32(v)     AML_U16(v), AML_U16((v) >> (2 * AML_BYTE_SHIFT))
#define AML_U16_BE(v)  (((v) >> AML_BYTE_SHIFT) & AML_BYTE_MASK), ((v) & AML_BYTE_MASK)
#define AML_EISAID(a, b, c, product) AML_U16_BE(AML_EISA_VENDOR(a, b, c)), AML_U16_BE(product)

#define DSDT_S5_ELEMENTS						\
	DSDT_S5_COUNT,							\
	AML_BYTE_PREFIX, ACPI_S5_SLEEP_TYPE,				\
	AML_BYTE_PREFIX, ACPI_S5_SLEEP_TYPE,				\
	AML_ZERO_OP,							\
	AML_ZERO_OP
#define DSDT_S5								\
	AML_NAME_OP, '_', 'S', '5', '_',				\
	AML_PACKAGE_OP, AML_PKGLEN(DSDT_S5_ELEMENTS), DSDT_S5_ELEMENTS

#define DSDT_COM1_RESOURCES						\
	ACPI_RES_SMALL(ACPI_RES_IO, ACPI_RES_IO_LEN), ACPI_RES_IO_DECODE16, \
		AML_U16(PORT_COM1), AML_U16(PORT_COM1),			\
		ACPI_RES_IO_ALIGN, PORT_COM_SIZE,			\
	ACPI_RES_SMALL(ACPI_RES_IRQ, ACPI_RES_IRQ_LEN), AML_U16(1U << IRQ_COM1), \
	ACPI_RES_SMALL(ACPI_RES_END, ACPI_RES_END_LEN), ACPI_RES_END_NO_CHECKSUM
#define DSDT_COM1_CRS_BUFFER						\
	AML_BYTE_PREFIX, AML_LEN(DSDT_COM1_RESOURCES), DSDT_COM1_RESOURCES

/* Device (COM1) { _HID, _UID, _CRS }, after its PkgLength. */
#define DSDT_COM1_DEVICE						\
	'C', 'O', 'M', '1',						\
	AML_NAME_OP, '_', 'H', 'I', 'D',				\
	AML_DWORD_PREFIX, AML_EISAID('P', 'N', 'P', 0x0501),		\
	AML_NAME_OP, '_', 'U', 'I', 'D',				\
	AML_ONE_OP,							\
	AML_NAME_OP, '_', 'C', 'R', 'S',				\
	AML_BUFFER_OP, AML_PKGLEN(DSDT_COM1_CRS_BUFFER), DSDT_COM1_CRS_BUFFER

/* A virtio-mmio device's resources: its register window and its edge interrupt. */
#define DSDT_VIRTIO_RESOURCES(base, gsi)				\
	ACPI_RES_LARGE(ACPI_RES_MEM32_FIXED), AML_U16(ACPI_RES_MEM32_FIXED_LEN), \
		ACPI_RES_MEM32_READ_WRITE, AML_U32(base),		\
		AML_U32(LAYOUT_VIRTIO_MMIO_SIZE),			\
	ACPI_RES_LARGE(ACPI_RES_EXT_IRQ), AML_U16(ACPI_RES_EXT_IRQ_LEN(1)), \
		ACPI_RES_EXT_IRQ_CONSUMER | ACPI_RES_EXT_IRQ_EDGE, 1,	\
		AML_U32(gsi),						\
	ACPI_RES_SMALL(ACPI_RES_END, ACPI_RES_END_LEN), ACPI_RES_END_NO_CHECKSUM

static const uint8_t dsdt_s5[] = { DSDT_S5 };
static const uint8_t dsdt_sb_name[] = { AML_ROOT_CHAR, '_', 'S', 'B', '_' };
static const uint8_t dsdt_com1_device[] = { DSDT_COM1_DEVICE };
/* clang-format on */

_Static_assert(ACPI_S5_SLEEP_TYPE <= ACPI_SLP_TYP_MAX, "SLP_TYP is 3 bits of SLEEP_CONTROL_REG");
_Static_assert(AML_PKGLEN(DSDT_S5_ELEMENTS) <= AML_PKGLEN1_MAX &&
		       AML_PKGLEN(DSDT_COM1_CRS_BUFFER) <= AML_PKGLEN1_MAX,
	       "the PkgLengths of the byte lists above must fit in one byte");
_Static_assert(IRQ_COM1 < IRQ_ISA_COUNT, "COM1's IRQ must be an ISA IRQ for IRQNoFlags");
_Static_assert(LAYOUT_VIRTIO_MMIO_COUNT <= DSDT_VIRTIO_NAME_BASE, "one hex digit per device");
_Static_assert(IRQ_VIRTIO_MMIO_BASE >= IRQ_ISA_COUNT,
	       "virtio interrupts are above the ISA IRQs, which the MADT may override");
_Static_assert(LAYOUT_VIRTIO_MMIO_END <= LAYOUT_4GIB, "Memory32Fixed holds 32-bit addresses");
_Static_assert(sizeof(ACPI_VIRTIO_MMIO_HID) == 9, "a _HID string: 8 characters and a NUL");

/* A DSDT body being assembled: its bytes, and whether they outgrew the buffer. */
struct aml_buf {
	uint8_t bytes[ACPI_DSDT_AML_MAX];
	size_t len;
	bool overflow;
};

static void aml_put(struct aml_buf *a, const void *bytes, size_t n)
{
	if (a->overflow || n > sizeof(a->bytes) - a->len) {
		a->overflow = true;
		return;
	}
	memcpy(a->bytes + a->len, bytes, n);
	a->len += n;
}

static void aml_byte(struct aml_buf *a, uint8_t byte)
{
	aml_put(a, &byte, 1);
}

/* NameOp and a NameSeg of 4 characters (name must have 4 before its NUL). */
static void aml_name(struct aml_buf *a, const char *name)
{
	aml_byte(a, AML_NAME_OP);
	aml_put(a, name, AML_NAMESEG_SIZE);
}

/* Where the body of a package-like term (Scope, Device, Buffer) starts. */
static size_t aml_begin(const struct aml_buf *a)
{
	return a->len;
}

/*
 * The PkgLength of a term whose body after it has body bytes (20.2.4), into out
 * (AML_PKGLEN_BYTES_MAX bytes). Returns the bytes the encoding takes, or 0 when
 * body is too long for any.
 */
static unsigned int aml_pkglen_encode(size_t body, uint8_t *out)
{
	if (body + AML_PKGLEN_SIZE <= AML_PKGLEN1_MAX) {
		out[0] = (uint8_t)(body + AML_PKGLEN_SIZE);
		return AML_PKGLEN_SIZE;
	}
	for (unsigned int n = 2; n <= AML_PKGLEN_BYTES_MAX; n++) {
		size_t total = body + n;

		if (total >> (AML_PKGLEN_NIBBLE_BITS + AML_BYTE_SHIFT * (n - 1)))
			continue; /* does not fit in this many bytes */
		out[0] = (uint8_t)(((n - 1) << AML_PKGLEN_FOLLOW_SHIFT) |
				   (total & AML_PKGLEN_NIBBLE_MASK));
		for (unsigned int i = 1; i < n; i++)
			out[i] = (uint8_t)(total >>
					   (AML_PKGLEN_NIBBLE_BITS + AML_BYTE_SHIFT * (i - 1)));
		return n;
	}
	return 0;
}

/* End the term whose body began at start: put its PkgLength in front of the body. */
static void aml_end(struct aml_buf *a, size_t start)
{
	uint8_t pkglen[AML_PKGLEN_BYTES_MAX];
	unsigned int n;

	if (a->overflow)
		return;
	n = aml_pkglen_encode(a->len - start, pkglen);
	if (n == 0 || n > sizeof(a->bytes) - a->len) {
		a->overflow = true;
		return;
	}
	memmove(a->bytes + start + n, a->bytes + start, a->len - start);
	memcpy(a->bytes + start, pkglen, n);
	a->len += n;
}

/* Device (VIOn): virtio-mmio device n, its window and its GSI (layout.h). */
static void dsdt_virtio_device(struct aml_buf *a, unsigned int n)
{
	static const char hex[] = "0123456789ABCDEF";
	const uint8_t name[] = { DSDT_VIRTIO_NAME, hex[n % DSDT_VIRTIO_NAME_BASE] };
	const uint8_t resources[] = { DSDT_VIRTIO_RESOURCES((uint32_t)LAYOUT_VIRTIO_MMIO(n),
							    IRQ_VIRTIO_MMIO(n)) };
	size_t device, buffer;

	aml_byte(a, AML_EXT_OP_PREFIX);
	aml_byte(a, AML_DEVICE_OP);
	device = aml_begin(a);
	aml_put(a, name, sizeof(name));
	aml_name(a, "_HID");
	aml_byte(a, AML_STRING_PREFIX);
	aml_put(a, ACPI_VIRTIO_MMIO_HID, sizeof(ACPI_VIRTIO_MMIO_HID)); /* with its NUL */
	aml_name(a, "_UID");
	aml_byte(a, AML_BYTE_PREFIX);
	aml_byte(a, (uint8_t)n);
	aml_name(a, "_CRS");
	aml_byte(a, AML_BUFFER_OP);
	buffer = aml_begin(a);
	aml_byte(a, AML_BYTE_PREFIX);
	aml_byte(a, sizeof(resources));
	aml_put(a, resources, sizeof(resources));
	aml_end(a, buffer);
	aml_end(a, device);
}

/* The DSDT's body after its header: \_S5, then \_SB with COM1 and nvirtio devices. */
static void dsdt_build(struct aml_buf *a, unsigned int nvirtio)
{
	size_t scope, com1;

	a->len = 0;
	a->overflow = false;
	aml_put(a, dsdt_s5, sizeof(dsdt_s5));
	aml_byte(a, AML_SCOPE_OP);
	scope = aml_begin(a);
	aml_put(a, dsdt_sb_name, sizeof(dsdt_sb_name));
	aml_byte(a, AML_EXT_OP_PREFIX);
	aml_byte(a, AML_DEVICE_OP);
	com1 = aml_begin(a);
	aml_put(a, dsdt_com1_device, sizeof(dsdt_com1_device));
	aml_end(a, com1);
	for (unsigned int n = 0; n < nvirtio; n++)
		dsdt_virtio_device(a, n);
	aml_end(a, scope);
}

/* Where each table goes, for ncpus vCPUs. */
struct acpi_layout {
	gpa_t rsdp, xsdt, rsdt, fadt, dsdt, madt;
	uint32_t dsdt_size, madt_size;
	gpa_t end; /* first byte after the last table */
};

static gpa_t acpi_align(gpa_t gpa)
{
	return (gpa + ACPI_TABLE_ALIGN - 1) & ~(gpa_t)(ACPI_TABLE_ALIGN - 1);
}

static unsigned int acpi_isa_override_count(void)
{
	unsigned int n = 0;

	for (unsigned int irq = 0; irq < IRQ_ISA_COUNT; irq++)
		n += irq_isa_is_overridden(irq);
	return n;
}

/*
 * The fixed-size tables first, so their addresses do not depend on ncpus; the MADT,
 * which grows with the vCPUs, last.
 */
static void acpi_plan(unsigned int ncpus, uint32_t dsdt_body, struct acpi_layout *l)
{
	l->rsdp = LAYOUT_ACPI;
	l->xsdt = acpi_align(l->rsdp + sizeof(struct acpi_rsdp));
	l->rsdt = acpi_align(l->xsdt + sizeof(struct acpi_xsdt));
	l->fadt = acpi_align(l->rsdt + sizeof(struct acpi_rsdt));
	l->dsdt = acpi_align(l->fadt + sizeof(struct acpi_fadt));
	l->dsdt_size = sizeof(struct acpi_sdt_header) + dsdt_body;
	l->madt = acpi_align(l->dsdt + l->dsdt_size);
	l->madt_size = sizeof(struct acpi_madt) + ncpus * sizeof(struct acpi_madt_lapic) +
		       sizeof(struct acpi_madt_ioapic) +
		       acpi_isa_override_count() * sizeof(struct acpi_madt_iso) +
		       sizeof(struct acpi_madt_lapic_nmi);
	l->end = l->madt + l->madt_size;
}

/* Fill in a table header (checksum 0, for acpi_seal() to set once the table is whole). */
static void acpi_header(struct acpi_sdt_header *h, const char *signature, uint32_t length,
			uint8_t revision)
{
	memcpy(h->signature, signature, sizeof(h->signature));
	h->length = length;
	h->revision = revision;
	h->checksum = 0;
	memcpy(h->oem_id, ACPI_OEM_ID, sizeof(h->oem_id));
	memcpy(h->oem_table_id, ACPI_OEM_TABLE_ID, sizeof(h->oem_table_id));
	h->oem_revision = ACPI_OEM_REVISION;
	memcpy(h->creator_id, ACPI_CREATOR_ID, sizeof(h->creator_id));
	h->creator_revision = ACPI_CREATOR_REVISION;
}

/* Set the checksum of the whole table at table, as written in guest RAM. */
static void acpi_seal(uint8_t *table)
{
	struct acpi_sdt_header h;

	memcpy(&h, table, sizeof(h));
	table[offsetof(struct acpi_sdt_header, checksum)] = fwtable_checksum(table, h.length);
}

/* An 8-bit register at an I/O port. */
static struct acpi_gas acpi_port8(uint16_t port)
{
	return (struct acpi_gas){ .space_id = ACPI_GAS_SYSTEM_IO,
				  .bit_width = ACPI_GAS_BITS_IN_BYTE,
				  .bit_offset = 0,
				  .access_size = ACPI_GAS_ACCESS_BYTE,
				  .address = port };
}

static void acpi_write_fadt(uint8_t *table, const struct acpi_layout *l,
			    const struct acpi_config *cfg)
{
	struct acpi_fadt fadt;

	memset(&fadt, 0, sizeof(fadt));
	acpi_header(&fadt.header, ACPI_SIG_FADT, sizeof(fadt), ACPI_FADT_REVISION);
	fadt.fadt_minor_version = ACPI_FADT_MINOR_VERSION;
	/* Both DSDT fields, equal (ACPICA warns when they differ); an OS prefers X_DSDT. */
	fadt.dsdt = (uint32_t)l->dsdt;
	fadt.x_dsdt = l->dsdt;
	fadt.flags = ACPI_FADT_WBINVD | ACPI_FADT_PROC_C1 | ACPI_FADT_PWR_BUTTON |
		     ACPI_FADT_SLP_BUTTON | ACPI_FADT_RESET_REG_SUP | ACPI_FADT_HW_REDUCED_ACPI;
	/*
	 * Legacy devices yes (COM1 is an ISA device), VGA no (there is none: an OS must not
	 * poke 0xa0000 or ports 0x3c0-0x3df), and 8042 no: ACPI_IAPC_8042 stays clear
	 * because mini-kvm emulates no keyboard controller at ports 0x60/0x64. Linux 6.1
	 * then marks the i8042 "firmware absent" (arch/x86/kernel/acpi/boot.c,
	 * acpi_parse_fadt), and since the DSDT lists no PNP0303/PNP0F13 device the i8042
	 * driver gives up without probing the ports (drivers/input/serio/
	 * i8042-acpipnpio.h, i8042_pnp_init) instead of waiting on a controller that never
	 * answers. No CMOS RTC either: Linux then registers no rtc_cmos device and reads
	 * the wall clock from kvm-clock (arch/x86/kernel/rtc.c, add_rtc_cmos). A bare PC
	 * guest (--irqchip) has the RTC and a text-mode VGA's CRTC and buffer: the flags
	 * say what is there (cfg).
	 */
	fadt.iapc_boot_arch = ACPI_IAPC_LEGACY_DEVICES;
	if (!cfg->vga_text)
		fadt.iapc_boot_arch |= ACPI_IAPC_VGA_NOT_PRESENT;
	if (!cfg->cmos_rtc)
		fadt.iapc_boot_arch |= ACPI_IAPC_CMOS_RTC_NOT_PRESENT;
	fadt.reset_reg = acpi_port8(PORT_ACPI_RESET);
	fadt.reset_value = ACPI_RESET_VALUE;
	/* OSPM writes SLP_TYP << 2 | SLP_EN and polls WAK_STS here (4.8.3.7, 7.4.2.6). */
	fadt.sleep_control_reg = acpi_port8(PORT_ACPI_SLEEP_CONTROL);
	fadt.sleep_status_reg = acpi_port8(PORT_ACPI_SLEEP_STATUS);
	memcpy(fadt.hypervisor_vendor_id, ACPI_HYPERVISOR_ID, sizeof(fadt.hypervisor_vendor_id));
	memcpy(table, &fadt, sizeof(fadt));
}

static void acpi_write_dsdt(uint8_t *table, const struct acpi_layout *l, const struct aml_buf *aml)
{
	struct acpi_sdt_header h;

	acpi_header(&h, ACPI_SIG_DSDT, l->dsdt_size, ACPI_DSDT_REVISION);
	memcpy(table, &h, sizeof(h));
	memcpy(table + sizeof(h), aml->bytes, aml->len);
}

static void acpi_write_madt(uint8_t *table, const struct acpi_layout *l, unsigned int ncpus)
{
	struct acpi_madt madt = { .lapic_address = LAYOUT_LAPIC, .flags = ACPI_MADT_PCAT_COMPAT };
	struct acpi_madt_ioapic ioapic = { .type = ACPI_MADT_IOAPIC,
					   .length = sizeof(ioapic),
					   .ioapic_id = irq_ioapic_id(ncpus),
					   .address = LAYOUT_IOAPIC,
					   .gsi_base = IRQ_IOAPIC_GSI_BASE };
	/* LINT1 of every processor is NMI, edge-triggered active high, as on a PC. */
	struct acpi_madt_lapic_nmi nmi = { .type = ACPI_MADT_LAPIC_NMI,
					   .length = sizeof(nmi),
					   .uid = ACPI_MADT_ALL_PROCESSORS,
					   .flags = IRQ_INTI_CONFORMS,
					   .lint = IRQ_LINT_NMI };
	size_t off = 0;

	acpi_header(&madt.header, ACPI_SIG_MADT, l->madt_size, ACPI_MADT_REVISION);
	off += fwtable_put(table + off, &madt, sizeof(madt));
	/* vCPU i: ACPI Processor UID i, APIC ID i (what KVM gives vCPU i, see cpuid.c). */
	for (unsigned int cpu = 0; cpu < ncpus; cpu++) {
		struct acpi_madt_lapic lapic = { .type = ACPI_MADT_LAPIC,
						 .length = sizeof(lapic),
						 .uid = cpu,
						 .apic_id = cpu,
						 .flags = ACPI_MADT_LAPIC_ENABLED };

		off += fwtable_put(table + off, &lapic, sizeof(lapic));
	}
	off += fwtable_put(table + off, &ioapic, sizeof(ioapic));
	/*
	 * ISA IRQs that do not arrive on the GSI of their own number: only the PIT's. A PC
	 * also overrides IRQ 9 for its level-triggered SCI; a hardware-reduced platform
	 * has no SCI.
	 */
	for (unsigned int irq = 0; irq < IRQ_ISA_COUNT; irq++) {
		struct acpi_madt_iso iso = { .type = ACPI_MADT_ISO,
					     .length = sizeof(iso),
					     .bus = ACPI_MADT_BUS_ISA,
					     .source = irq,
					     .gsi = irq_isa_to_gsi(irq),
					     .flags = IRQ_INTI_CONFORMS };

		if (irq_isa_is_overridden(irq))
			off += fwtable_put(table + off, &iso, sizeof(iso));
	}
	off += fwtable_put(table + off, &nmi, sizeof(nmi));
}

static void acpi_write_roots(uint8_t *xsdt_table, uint8_t *rsdt_table, const struct acpi_layout *l)
{
	struct acpi_xsdt xsdt = {
		.entry = { [ACPI_LISTED_FADT] = l->fadt, [ACPI_LISTED_MADT] = l->madt }
	};
	struct acpi_rsdt rsdt = { .entry = { [ACPI_LISTED_FADT] = (uint32_t)l->fadt,
					     [ACPI_LISTED_MADT] = (uint32_t)l->madt } };

	acpi_header(&xsdt.header, ACPI_SIG_XSDT, sizeof(xsdt), ACPI_XSDT_REVISION);
	acpi_header(&rsdt.header, ACPI_SIG_RSDT, sizeof(rsdt), ACPI_RSDT_REVISION);
	memcpy(xsdt_table, &xsdt, sizeof(xsdt));
	memcpy(rsdt_table, &rsdt, sizeof(rsdt));
}

static void acpi_write_rsdp(uint8_t *p, const struct acpi_layout *l)
{
	struct acpi_rsdp rsdp = { .revision = ACPI_RSDP_REVISION,
				  .rsdt_address = (uint32_t)l->rsdt,
				  .length = sizeof(rsdp),
				  .xsdt_address = l->xsdt };

	memcpy(rsdp.signature, ACPI_SIG_RSDP, sizeof(rsdp.signature));
	memcpy(rsdp.oem_id, ACPI_OEM_ID, sizeof(rsdp.oem_id));
	/* The ACPI 1.0 checksum first: the extended one covers it. */
	rsdp.checksum = fwtable_checksum(&rsdp, ACPI_RSDP_V1_SIZE);
	rsdp.extended_checksum = fwtable_checksum(&rsdp, sizeof(rsdp));
	memcpy(p, &rsdp, sizeof(rsdp));
}

/* The tables live below 4 GiB: the RSDT and the FADT's DSDT field hold 32-bit addresses. */
_Static_assert(LAYOUT_ACPI_END <= LAYOUT_4GIB, "ACPI tables must be 32-bit addressable");

int64_t acpi_build(const struct guest_memory *mem, const struct acpi_config *cfg)
{
	struct acpi_layout l;
	struct aml_buf aml;
	uint8_t *base;

	if (cfg->ncpus == 0 || cfg->ncpus > ACPI_MAX_CPUS)
		return error_set(EINVAL, "ACPI tables for %u vCPUs: must be 1 to %u", cfg->ncpus,
				 ACPI_MAX_CPUS);
	if (cfg->virtio_mmio_devices > LAYOUT_VIRTIO_MMIO_COUNT)
		return error_set(EINVAL, "ACPI tables for %u virtio-mmio devices: at most %u",
				 cfg->virtio_mmio_devices, LAYOUT_VIRTIO_MMIO_COUNT);
	dsdt_build(&aml, cfg->virtio_mmio_devices);
	if (aml.overflow) /* ACPI_DSDT_AML_MAX holds every device: a bug, not a guest's fault */
		return error_set(ENOSPC, "the DSDT outgrew its %u bytes", ACPI_DSDT_AML_MAX);
	acpi_plan(cfg->ncpus, (uint32_t)aml.len, &l);
	if (l.end > LAYOUT_ACPI_END)
		return error_set(
			ENOSPC,
			"ACPI tables for %u vCPUs need 0x%llx-0x%llx, past their end 0x%llx",
			cfg->ncpus, (unsigned long long)l.rsdp, (unsigned long long)l.end,
			LAYOUT_ACPI_END);
	/* One check for the whole range, so that a failure writes nothing. */
	base = guest_ptr(mem, LAYOUT_ACPI, l.end - LAYOUT_ACPI);
	if (!base)
		return error_set(EFAULT, "ACPI tables at 0x%llx-0x%llx: not guest RAM",
				 (unsigned long long)l.rsdp, (unsigned long long)l.end);

	memset(base, 0, l.end - LAYOUT_ACPI);
	acpi_write_fadt(base + (l.fadt - LAYOUT_ACPI), &l, cfg);
	acpi_write_dsdt(base + (l.dsdt - LAYOUT_ACPI), &l, &aml);
	acpi_write_madt(base + (l.madt - LAYOUT_ACPI), &l, cfg->ncpus);
	acpi_write_roots(base + (l.xsdt - LAYOUT_ACPI), base + (l.rsdt - LAYOUT_ACPI), &l);
	acpi_seal(base + (l.fadt - LAYOUT_ACPI));
	acpi_seal(base + (l.dsdt - LAYOUT_ACPI));
	acpi_seal(base + (l.madt - LAYOUT_ACPI));
	acpi_seal(base + (l.xsdt - LAYOUT_ACPI));
	acpi_seal(base + (l.rsdt - LAYOUT_ACPI));
	acpi_write_rsdp(base + (l.rsdp - LAYOUT_ACPI), &l);
	return (int64_t)l.rsdp;
}
