/* SPDX-License-Identifier: MIT */
/* Unit tests of the ACPI tables (src/arch/x86/acpi.c), read back the way an OS finds and checks them. */
#include "unit.h"

#include <errno.h>
#include <stdbool.h>

#include "arch/x86/acpi.h"
#include "error.h"
#include "arch/x86/layout.h"
#include "memory.h"

#define TEST_RAM (2 * LAYOUT_MIB)

/*
 * Offsets from the ACPI 6.5 spec's tables, written out here rather than taken from
 * acpi.c's structs, so that the tests check those structs too.
 */
#define RSDP_SIG	     0
#define RSDP_SIG_LEN	     8
#define RSDP_CHECKSUM_LEN    20 /* the ACPI 1.0 part */
#define RSDP_REVISION	     15
#define RSDP_RSDT	     16
#define RSDP_LENGTH	     20
#define RSDP_XSDT	     24
#define RSDP_SIZE	     36
#define RSDP_ALIGN	     16
#define SDT_SIG_LEN	     4
#define SDT_LENGTH	     4
#define SDT_REVISION	     8
#define SDT_HEADER_SIZE	     36
#define XSDT_ENTRY_SIZE	     8
#define RSDT_ENTRY_SIZE	     4
#define FADT_FIRMWARE_CTRL   36
#define FADT_DSDT	     40
#define FADT_SCI_INT	     46
#define FADT_SMI_CMD	     48
#define FADT_PM1A_EVT_BLK    56
#define FADT_PM1A_CNT_BLK    64
#define FADT_PM_TMR_BLK	     76
#define FADT_GPE0_BLK	     80
#define FADT_IAPC_BOOT_ARCH  109
#define FADT_FLAGS	     112
#define FADT_RESET_REG	     116
#define FADT_RESET_VALUE     128
#define FADT_MINOR_VERSION   131
#define FADT_X_FIRMWARE_CTRL 132
#define FADT_X_DSDT	     140
#define FADT_X_PM1A_EVT_BLK  148
#define FADT_X_PM1A_CNT_BLK  172
#define FADT_X_PM_TMR_BLK    208
#define FADT_X_GPE0_BLK	     220
#define FADT_SLEEP_CONTROL   244
#define FADT_SLEEP_STATUS    256
#define FADT_SIZE	     276
#define GAS_SPACE_ID	     0
#define GAS_BIT_WIDTH	     1
#define GAS_BIT_OFFSET	     2
#define GAS_ACCESS_SIZE	     3
#define GAS_ADDRESS	     4
#define GAS_SYSTEM_IO	     1
#define GAS_ACCESS_BYTE	     1
#define MADT_LAPIC_ADDRESS   36
#define MADT_FLAGS	     40
#define MADT_ENTRIES	     44
#define MADT_TYPE	     0
#define MADT_LEN	     1

#define FADT_FLAG_RESET_REG_SUP	  (1U << 10)
#define FADT_FLAG_HW_REDUCED_ACPI (1U << 20)
#define IAPC_8042		  (1U << 1)
#define IAPC_VGA_NOT_PRESENT	  (1U << 2)
#define IAPC_CMOS_RTC_NOT_PRESENT (1U << 5)
#define FADT_MINOR_MASK		  0x0f
#define MADT_PCAT_COMPAT	  (1U << 0)
#define LAPIC_ENABLED		  (1U << 0)
#define LAPIC_ONLINE_CAPABLE	  (1U << 1)
#define ALL_PROCESSORS		  0xff
#define XAPIC_ID_COUNT		  256

/* What OSPM writes to SLEEP_CONTROL_REG to enter a sleep state (ACPI 6.5 4.8.3.7). */
#define SLP_TYP_SHIFT 2
#define SLP_EN	      (1U << 5)

static int setup(void **state)
{
	return unit_memory_setup(state, TEST_RAM);
}

/* The tables an OS reaches from the RSDP. */
struct parsed {
	uint64_t rsdp;
	const uint8_t *fadt, *dsdt, *madt;
	uint32_t dsdt_len, madt_len;
};

/* As Linux does (acpi_find_root_pointer): 16-byte steps, signature and checksum. */
static uint64_t find_rsdp(const struct guest_memory *mem)
{
	uint64_t found = 0;
	unsigned int hits = 0;

	for (uint64_t a = LAYOUT_BIOS_AREA; a < LAYOUT_BIOS_AREA_END; a += RSDP_ALIGN) {
		const uint8_t *p = guest_ptr(mem, a, RSDP_SIZE);

		if (p && !memcmp(p + RSDP_SIG, "RSD PTR ", RSDP_SIG_LEN) &&
		    unit_sum8(p, RSDP_CHECKSUM_LEN) == 0) {
			found = a;
			hits++;
		}
	}
	assert_int_equal(hits, 1);
	return found;
}

/* A table at addr: within the ACPI area, long enough, checksummed, with signature sig. */
static const uint8_t *check_table(const struct guest_memory *mem, uint64_t addr, const char *sig)
{
	const uint8_t *p = guest_ptr(mem, addr, SDT_HEADER_SIZE);
	uint32_t len;

	assert_non_null(p);
	len = unit_rd32(p + SDT_LENGTH);
	assert_true(len >= SDT_HEADER_SIZE);
	assert_true(addr >= LAYOUT_ACPI && addr + len <= LAYOUT_ACPI_END);
	p = guest_ptr(mem, addr, len);
	assert_non_null(p);
	if (sig && memcmp(p, sig, SDT_SIG_LEN))
		fail_msg("table at 0x%llx is \"%.4s\", not \"%s\"", (unsigned long long)addr, p,
			 sig);
	if (unit_sum8(p, len) != 0)
		fail_msg("table \"%.4s\" has a bad checksum", p);
	return p;
}

static void parse(const struct guest_memory *mem, struct parsed *out)
{
	const uint8_t *rsdp, *xsdt, *rsdt;
	uint32_t nx, nr;

	memset(out, 0, sizeof(*out));
	out->rsdp = find_rsdp(mem);
	rsdp = guest_ptr(mem, out->rsdp, RSDP_SIZE);
	assert_int_equal(rsdp[RSDP_REVISION], 2);
	assert_int_equal(unit_rd32(rsdp + RSDP_LENGTH), RSDP_SIZE);
	assert_int_equal(unit_sum8(rsdp, RSDP_SIZE), 0); /* the extended checksum */

	xsdt = check_table(mem, unit_rd64(rsdp + RSDP_XSDT), "XSDT");
	rsdt = check_table(mem, unit_rd32(rsdp + RSDP_RSDT), "RSDT");
	assert_int_equal((unit_rd32(xsdt + SDT_LENGTH) - SDT_HEADER_SIZE) % XSDT_ENTRY_SIZE, 0);
	assert_int_equal((unit_rd32(rsdt + SDT_LENGTH) - SDT_HEADER_SIZE) % RSDT_ENTRY_SIZE, 0);
	nx = (unit_rd32(xsdt + SDT_LENGTH) - SDT_HEADER_SIZE) / XSDT_ENTRY_SIZE;
	nr = (unit_rd32(rsdt + SDT_LENGTH) - SDT_HEADER_SIZE) / RSDT_ENTRY_SIZE;
	assert_int_equal(nx, nr);
	for (uint32_t i = 0; i < nx; i++) {
		uint64_t addr = unit_rd64(xsdt + SDT_HEADER_SIZE + i * XSDT_ENTRY_SIZE);
		const uint8_t *t = check_table(mem, addr, NULL);

		/* The RSDT lists the same tables for ACPI 1.0 parsers. */
		assert_int_equal(unit_rd32(rsdt + SDT_HEADER_SIZE + i * RSDT_ENTRY_SIZE), addr);
		if (!memcmp(t, "FACP", SDT_SIG_LEN)) {
			assert_null(out->fadt);
			out->fadt = t;
		} else if (!memcmp(t, "APIC", SDT_SIG_LEN)) {
			assert_null(out->madt);
			out->madt = t;
			out->madt_len = unit_rd32(t + SDT_LENGTH);
		} else {
			fail_msg("unexpected table \"%.4s\" in the XSDT", t);
		}
	}
	assert_non_null(out->fadt);
	assert_non_null(out->madt);
	/* The DSDT is reached through the FADT; both of its pointers agree. */
	assert_int_equal(unit_rd32(out->fadt + FADT_DSDT), unit_rd64(out->fadt + FADT_X_DSDT));
	out->dsdt = check_table(mem, unit_rd64(out->fadt + FADT_X_DSDT), "DSDT");
	out->dsdt_len = unit_rd32(out->dsdt + SDT_LENGTH);
}

static void assert_gas_port8(const uint8_t *gas, uint16_t port)
{
	assert_int_equal(gas[GAS_SPACE_ID], GAS_SYSTEM_IO);
	assert_int_equal(gas[GAS_BIT_WIDTH], 8);
	assert_int_equal(gas[GAS_BIT_OFFSET], 0);
	assert_int_equal(gas[GAS_ACCESS_SIZE], GAS_ACCESS_BYTE);
	assert_int_equal(unit_rd64(gas + GAS_ADDRESS), port);
}

static void check_fadt(const uint8_t *fadt)
{
	uint32_t flags = unit_rd32(fadt + FADT_FLAGS);
	uint16_t iapc = unit_rd16(fadt + FADT_IAPC_BOOT_ARCH);

	assert_int_equal(unit_rd32(fadt + SDT_LENGTH), FADT_SIZE);
	assert_int_equal(fadt[SDT_REVISION], 6);
	assert_int_equal(fadt[FADT_MINOR_VERSION] & FADT_MINOR_MASK, 5);
	assert_true(flags & FADT_FLAG_HW_REDUCED_ACPI);
	assert_true(flags & FADT_FLAG_RESET_REG_SUP);
	assert_false(iapc & IAPC_8042);
	assert_true(iapc & IAPC_VGA_NOT_PRESENT);
	assert_true(iapc & IAPC_CMOS_RTC_NOT_PRESENT); /* mini-kvm has no RTC */
	assert_gas_port8(fadt + FADT_RESET_REG, PORT_ACPI_RESET);
	assert_int_equal(fadt[FADT_RESET_VALUE], ACPI_RESET_VALUE);
	assert_gas_port8(fadt + FADT_SLEEP_CONTROL, PORT_ACPI_SLEEP_CONTROL);
	assert_gas_port8(fadt + FADT_SLEEP_STATUS, PORT_ACPI_SLEEP_STATUS);
	/* Hardware-reduced: no FACS, SCI, SMI port, PM1 blocks, PM timer or GPEs. */
	assert_int_equal(unit_rd32(fadt + FADT_FIRMWARE_CTRL), 0);
	assert_int_equal(unit_rd64(fadt + FADT_X_FIRMWARE_CTRL), 0);
	assert_int_equal(unit_rd16(fadt + FADT_SCI_INT), 0);
	assert_int_equal(unit_rd32(fadt + FADT_SMI_CMD), 0);
	assert_int_equal(unit_rd32(fadt + FADT_PM1A_EVT_BLK), 0);
	assert_int_equal(unit_rd32(fadt + FADT_PM1A_CNT_BLK), 0);
	assert_int_equal(unit_rd32(fadt + FADT_PM_TMR_BLK), 0);
	assert_int_equal(unit_rd32(fadt + FADT_GPE0_BLK), 0);
	assert_int_equal(unit_rd64(fadt + FADT_X_PM1A_EVT_BLK + GAS_ADDRESS), 0);
	assert_int_equal(unit_rd64(fadt + FADT_X_PM1A_CNT_BLK + GAS_ADDRESS), 0);
	assert_int_equal(unit_rd64(fadt + FADT_X_PM_TMR_BLK + GAS_ADDRESS), 0);
	assert_int_equal(unit_rd64(fadt + FADT_X_GPE0_BLK + GAS_ADDRESS), 0);
}

/*
 * A small AML reader, for the terms our DSDT uses (ACPI 6.5 20.2): enough to check that
 * every PkgLength ends where the next term begins and to find named objects.
 */
#define AML_NAMESEG	4
#define AML_MAX_OBJECTS 40
#define AML_PATH_MAX	32

struct aml_object {
	char path[AML_PATH_MAX]; /* e.g. "\\_SB_.COM1._CRS" */
	const uint8_t *value;	 /* the DataRefObject after the name */
	const uint8_t *end;
};

struct aml_objects {
	struct aml_object obj[AML_MAX_OBJECTS];
	unsigned int n;
};

/* Decode a PkgLength at p (20.2.4); returns its value, *size = bytes it takes. */
static uint32_t aml_pkglen(const uint8_t *p, unsigned int *size)
{
	unsigned int follow = p[0] >> 6;
	uint32_t len;

	if (!follow) {
		*size = 1;
		return p[0] & 0x3f;
	}
	len = p[0] & 0x0f;
	for (unsigned int i = 1; i <= follow; i++)
		len |= (uint32_t)p[i] << (4 + 8 * (i - 1));
	*size = follow + 1;
	return len;
}

/* The end of the data object at p (integers, strings, packages, buffers). */
static const uint8_t *aml_data_end(const uint8_t *p)
{
	unsigned int size;

	switch (p[0]) {
	case 0x0d: /* StringPrefix AsciiCharList NullChar */
		return p + 2 + strlen((const char *)p + 1);
	case 0x00: /* ZeroOp */
	case 0x01: /* OneOp */
		return p + 1;
	case 0x0a: /* BytePrefix */
		return p + 2;
	case 0x0b: /* WordPrefix */
		return p + 3;
	case 0x0c: /* DWordPrefix */
		return p + 5;
	case 0x0e: /* QWordPrefix */
		return p + 9;
	case 0x11: /* BufferOp */
	case 0x12: /* PackageOp */
		return p + 1 + aml_pkglen(p + 1, &size);
	}
	fail_msg("unexpected AML data object 0x%02x", p[0]);
	return NULL;
}

static void aml_walk(const uint8_t *p, const uint8_t *end, const char *scope,
		     struct aml_objects *out)
{
	while (p < end) {
		char path[AML_PATH_MAX];
		const uint8_t *body, *term_end;
		unsigned int size;
		uint32_t len;

		switch (p[0]) {
		case 0x08: /* NameOp NameSeg DataRefObject */
			assert_true(out->n < AML_MAX_OBJECTS);
			snprintf(out->obj[out->n].path, AML_PATH_MAX, "%s%s%.4s", scope,
				 *scope && strcmp(scope, "\\") ? "." : "", (const char *)p + 1);
			out->obj[out->n].value = p + 1 + AML_NAMESEG;
			term_end = aml_data_end(out->obj[out->n].value);
			out->obj[out->n].end = term_end;
			out->n++;
			break;
		case 0x10: /* ScopeOp PkgLength NameString TermList */
			len = aml_pkglen(p + 1, &size);
			term_end = p + 1 + len;
			body = p + 1 + size;
			if (*body == '\\') {
				snprintf(path, sizeof(path), "\\%.4s", (const char *)body + 1);
				body += 1 + AML_NAMESEG;
			} else {
				snprintf(path, sizeof(path), "%s.%.4s", scope, (const char *)body);
				body += AML_NAMESEG;
			}
			assert_true(term_end <= end);
			aml_walk(body, term_end, path, out);
			break;
		case 0x5b: /* ExtOpPrefix: only DeviceOp PkgLength NameSeg TermList */
			assert_int_equal(p[1], 0x82);
			len = aml_pkglen(p + 2, &size);
			term_end = p + 2 + len;
			body = p + 2 + size;
			snprintf(path, sizeof(path), "%s.%.4s", scope, (const char *)body);
			assert_true(term_end <= end);
			aml_walk(body + AML_NAMESEG, term_end, path, out);
			break;
		default:
			fail_msg("unexpected AML opcode 0x%02x", p[0]);
			return;
		}
		p = term_end;
	}
	/* Every term ended exactly at its parent's end: no PkgLength is off by one. */
	assert_ptr_equal(p, end);
}

static const struct aml_object *aml_find(const struct aml_objects *objs, const char *path)
{
	for (unsigned int i = 0; i < objs->n; i++)
		if (!strcmp(objs->obj[i].path, path))
			return &objs->obj[i];
	fail_msg("no %s in the DSDT", path);
	return NULL;
}

/* Small resource descriptors (ACPI 6.5 6.4.2): tag = type << 3 | length. */
#define RES_TYPE(tag) (((tag) >> 3) & 0x0f)
#define RES_LEN(tag)  ((tag)&0x07)
#define RES_IRQ	      0x04
#define RES_IO	      0x08
#define RES_END	      0x0f

static void check_com1_resources(const struct aml_object *crs)
{
	const uint8_t *p = crs->value, *end = crs->end;
	unsigned int size, seen_io = 0, seen_irq = 0;

	assert_int_equal(p[0], 0x11); /* BufferOp */
	aml_pkglen(p + 1, &size);
	p += 1 + size;
	assert_int_equal(p[0], 0x0a);	     /* BufferSize is a BytePrefix integer ... */
	assert_int_equal(p + 2 + p[1], end); /* ... that counts exactly the bytes left */
	for (p += 2; p < end; p += 1 + RES_LEN(p[0])) {
		switch (RES_TYPE(p[0])) {
		case RES_IO:
			assert_int_equal(RES_LEN(p[0]), 7);
			assert_int_equal(p[1] & 1, 1); /* 16-bit decode */
			assert_int_equal(unit_rd16(p + 2), PORT_COM1);
			assert_int_equal(unit_rd16(p + 4), PORT_COM1);
			assert_int_equal(p[7], PORT_COM_SIZE);
			seen_io++;
			break;
		case RES_IRQ:
			assert_int_equal(RES_LEN(p[0]), 2); /* no flags: edge, active high */
			assert_int_equal(unit_rd16(p + 1), 1U << IRQ_COM1);
			seen_irq++;
			break;
		case RES_END:
			assert_int_equal(p + 1 + RES_LEN(p[0]), end); /* the end tag is last */
			break;
		default:
			fail_msg("unexpected resource descriptor 0x%02x", p[0]);
		}
	}
	assert_int_equal(seen_io, 1);
	assert_int_equal(seen_irq, 1);
}

/* Large resource descriptors (6.4.3): tag 0x80 | name, 16-bit length. */
#define RES_LARGE	    0x80
#define RES_MEM32_FIXED	    0x86
#define RES_EXT_IRQ	    0x89
#define EXT_IRQ_CONSUMER    (1U << 0)
#define EXT_IRQ_EDGE	    (1U << 1)
#define EXT_IRQ_ACTIVE_LOW  (1U << 2)
#define EXT_IRQ_SHARED	    (1U << 3)
#define VIRTIO_WINDOW_SIZE  0x200
#define VIRTIO_FIRST_WINDOW 0xd0000000U
#define VIRTIO_FIRST_GSI    16

/* A virtio-mmio device's _CRS: its window and one edge-triggered, active-high GSI. */
static void check_virtio_resources(const struct aml_object *crs, unsigned int n)
{
	const uint8_t *p = crs->value, *end = crs->end;
	unsigned int size, seen_mem = 0, seen_irq = 0;

	assert_int_equal(p[0], 0x11); /* BufferOp */
	aml_pkglen(p + 1, &size);
	p += 1 + size;
	assert_int_equal(p[0], 0x0a);
	assert_int_equal(p + 2 + p[1], end);
	for (p += 2; p < end;) {
		if (p[0] & RES_LARGE) {
			uint16_t len = unit_rd16(p + 1);

			assert_true(p + 3 + len <= end);
			switch (p[0]) {
			case RES_MEM32_FIXED:
				assert_int_equal(len, 9);
				assert_int_equal(p[3] & 1, 1); /* read-write */
				assert_int_equal(unit_rd32(p + 4),
						 VIRTIO_FIRST_WINDOW + n * VIRTIO_WINDOW_SIZE);
				assert_int_equal(unit_rd32(p + 8), VIRTIO_WINDOW_SIZE);
				assert_int_equal(unit_rd32(p + 4), LAYOUT_VIRTIO_MMIO(n));
				seen_mem++;
				break;
			case RES_EXT_IRQ:
				assert_int_equal(len, 6);
				assert_true(p[3] & EXT_IRQ_CONSUMER);
				assert_true(p[3] & EXT_IRQ_EDGE);
				assert_false(p[3] & (EXT_IRQ_ACTIVE_LOW | EXT_IRQ_SHARED));
				assert_int_equal(p[4], 1); /* one interrupt */
				assert_int_equal(unit_rd32(p + 5), VIRTIO_FIRST_GSI + n);
				assert_int_equal(unit_rd32(p + 5), IRQ_VIRTIO_MMIO(n));
				seen_irq++;
				break;
			default:
				fail_msg("unexpected large resource descriptor 0x%02x", p[0]);
			}
			p += 3 + len;
			continue;
		}
		assert_int_equal(RES_TYPE(p[0]), RES_END);
		assert_int_equal(p + 1 + RES_LEN(p[0]), end);
		p += 1 + RES_LEN(p[0]);
	}
	assert_int_equal(seen_mem, 1);
	assert_int_equal(seen_irq, 1);
}

#define VIO_PREFIX "\\_SB_.VIO"

static void check_virtio_devices(const struct aml_objects *objs, unsigned int nvirtio)
{
	static const char hid[] = "LNRO0005";

	for (unsigned int n = 0; n < nvirtio; n++) {
		const struct aml_object *o;
		char path[AML_PATH_MAX];

		snprintf(path, sizeof(path), "\\_SB_.VIO%X._HID", n);
		o = aml_find(objs, path);
		assert_int_equal(o->value[0], 0x0d);		      /* a string ... */
		assert_string_equal((const char *)o->value + 1, hid); /* ... "LNRO0005" */
		snprintf(path, sizeof(path), "\\_SB_.VIO%X._UID", n);
		o = aml_find(objs, path);
		assert_int_equal(o->value[0], 0x0a);
		assert_int_equal(o->value[1], n); /* _UID n: /sys/.../LNRO0005:0n */
		snprintf(path, sizeof(path), "\\_SB_.VIO%X._CRS", n);
		check_virtio_resources(aml_find(objs, path), n);
	}
	/* No more devices than asked for. */
	for (unsigned int i = 0; i < objs->n; i++)
		if (!strncmp(objs->obj[i].path, VIO_PREFIX, strlen(VIO_PREFIX)))
			assert_true(strtoul(objs->obj[i].path + strlen(VIO_PREFIX), NULL, 16) <
				    nvirtio);
}

static void check_dsdt(const uint8_t *dsdt, uint32_t len, unsigned int nvirtio)
{
	/* The _S5 object, assembled by hand here too: Name (_S5, Package () { 5, 5, 0, 0 }). */
	static const uint8_t s5[] = { 0x08, '_',
				      'S',  '5',
				      '_',  0x12,
				      0x08, 0x04,
				      0x0a, ACPI_S5_SLEEP_TYPE,
				      0x0a, ACPI_S5_SLEEP_TYPE,
				      0x00, 0x00 };
	static const uint8_t pnp0501[] = { 0x0c, 0x41, 0xd0, 0x05, 0x01 };
	struct aml_objects objs = { .n = 0 };
	const struct aml_object *o;
	unsigned int size;
	uint32_t slp_typ;

	assert_int_equal(dsdt[SDT_REVISION], 2); /* 64-bit AML integers */
	assert_non_null(memmem(dsdt, len, s5, sizeof(s5)));

	aml_walk(dsdt + SDT_HEADER_SIZE, dsdt + len, "\\", &objs);
	/* \_S5: what Linux reads for SLP_TYPa, and so writes to SLEEP_CONTROL_REG. */
	o = aml_find(&objs, "\\_S5_");
	assert_int_equal(o->value[0], 0x12);
	aml_pkglen(o->value + 1, &size);
	assert_int_equal(o->value[1 + size], 4); /* NumElements */
	assert_int_equal(o->value[2 + size], 0x0a);
	slp_typ = o->value[3 + size];
	assert_int_equal((slp_typ << SLP_TYP_SHIFT) | SLP_EN,
			 (ACPI_S5_SLEEP_TYPE << SLP_TYP_SHIFT) | SLP_EN);
	/* COM1: a PNP0501 with its ports and IRQ. */
	o = aml_find(&objs, "\\_SB_.COM1._HID");
	assert_memory_equal(o->value, pnp0501, sizeof(pnp0501));
	check_com1_resources(aml_find(&objs, "\\_SB_.COM1._CRS"));
	aml_find(&objs, "\\_SB_.COM1._UID");
	check_virtio_devices(&objs, nvirtio);
}

static void check_madt(const uint8_t *madt, uint32_t len, unsigned int ncpus)
{
	bool lapic_id_used[XAPIC_ID_COUNT] = { false };
	unsigned int nlapic = 0, nioapic = 0, niso = 0, nnmi = 0, ioapic_id = 0;

	assert_int_equal(unit_rd32(madt + MADT_LAPIC_ADDRESS), LAYOUT_LAPIC);
	assert_true(unit_rd32(madt + MADT_FLAGS) & MADT_PCAT_COMPAT);
	for (uint32_t off = MADT_ENTRIES; off < len; off += madt[off + MADT_LEN]) {
		const uint8_t *e = madt + off;

		assert_true(e[MADT_LEN] >= 2 && off + e[MADT_LEN] <= len);
		switch (e[MADT_TYPE]) {
		case 0: /* Processor Local APIC: UID, APIC ID, flags */
			assert_int_equal(e[MADT_LEN], 8);
			assert_int_equal(e[2], nlapic); /* UID */
			assert_int_equal(e[3], nlapic); /* APIC ID */
			assert_int_equal(unit_rd32(e + 4) & (LAPIC_ENABLED | LAPIC_ONLINE_CAPABLE),
					 LAPIC_ENABLED);
			assert_false(lapic_id_used[e[3]]);
			lapic_id_used[e[3]] = true;
			nlapic++;
			break;
		case 1: /* I/O APIC: ID, reserved, address, GSI base */
			assert_int_equal(e[MADT_LEN], 12);
			ioapic_id = e[2];
			assert_int_equal(unit_rd32(e + 4), LAYOUT_IOAPIC);
			assert_int_equal(unit_rd32(e + 8), 0);
			nioapic++;
			break;
		case 2: /* Interrupt Source Override: bus, source, GSI, flags */
			assert_int_equal(e[MADT_LEN], 10);
			assert_int_equal(e[2], 0);	       /* ISA */
			assert_int_equal(e[3], 0);	       /* the PIT's IRQ 0 ... */
			assert_int_equal(unit_rd32(e + 4), 2); /* ... arrives on GSI 2 */
			assert_int_equal(unit_rd16(e + 8), 0); /* conforms to ISA: edge, high */
			niso++;
			break;
		case 4: /* Local APIC NMI: UID, flags, LINT# */
			assert_int_equal(e[MADT_LEN], 6);
			assert_int_equal(e[2], ALL_PROCESSORS);
			assert_int_equal(e[5], 1);
			nnmi++;
			break;
		default:
			fail_msg("unexpected MADT structure type %u", e[MADT_TYPE]);
		}
	}
	assert_int_equal(nlapic, ncpus);
	assert_int_equal(nioapic, 1);
	assert_int_equal(niso, 1);
	assert_int_equal(nnmi, 1);
	/* The I/O APIC's ID is no vCPU's, nor the broadcast ID. */
	assert_false(lapic_id_used[ioapic_id]);
	assert_int_not_equal(ioapic_id, ALL_PROCESSORS);
	assert_int_equal(ioapic_id, ncpus);
}

static void check_tables_virtio(struct guest_memory *mem, unsigned int ncpus, unsigned int nvirtio)
{
	struct acpi_config cfg = { .ncpus = ncpus, .virtio_mmio_devices = nvirtio };
	struct parsed t;

	assert_int_equal(acpi_build(mem, &cfg), LAYOUT_ACPI);
	parse(mem, &t);
	assert_int_equal(t.rsdp, LAYOUT_ACPI);
	check_fadt(t.fadt);
	check_dsdt(t.dsdt, t.dsdt_len, nvirtio);
	check_madt(t.madt, t.madt_len, ncpus);
}

static void check_tables(struct guest_memory *mem, unsigned int ncpus)
{
	check_tables_virtio(mem, ncpus, 0);
}

/* A bare PC guest has the CMOS RTC and a text-mode VGA: the FADT must not deny them. */
static void test_pc_fadt_flags(void **state)
{
	struct acpi_config cfg = { .ncpus = 2, .cmos_rtc = true, .vga_text = true };
	struct parsed t;
	uint16_t iapc;

	assert_int_equal(acpi_build(*state, &cfg), LAYOUT_ACPI);
	parse(*state, &t);
	iapc = unit_rd16(t.fadt + FADT_IAPC_BOOT_ARCH);
	assert_false(iapc & IAPC_VGA_NOT_PRESENT);
	assert_false(iapc & IAPC_CMOS_RTC_NOT_PRESENT);
	assert_false(iapc & IAPC_8042);
	check_madt(t.madt, t.madt_len, 2);
	cfg.vga_text = false;
	assert_int_equal(acpi_build(*state, &cfg), LAYOUT_ACPI);
	parse(*state, &t);
	iapc = unit_rd16(t.fadt + FADT_IAPC_BOOT_ARCH);
	assert_true(iapc & IAPC_VGA_NOT_PRESENT);
	assert_false(iapc & IAPC_CMOS_RTC_NOT_PRESENT);
}

static void test_1_cpu(void **state)
{
	check_tables(*state, 1);
}

static void test_2_cpus(void **state)
{
	check_tables(*state, 2);
}

static void test_8_cpus(void **state)
{
	check_tables(*state, 8);
}

static void test_64_cpus(void **state)
{
	check_tables(*state, 64);
}

/* APIC IDs 0-253 and the I/O APIC's 254, all inside the ACPI area (check_table). */
static void test_max_cpus(void **state)
{
	check_tables(*state, ACPI_MAX_CPUS);
}

/* Rebuilding for fewer vCPUs over bigger tables leaves them consistent; fixed tables stay put. */
static void test_rebuild(void **state)
{
	struct guest_memory *mem = *state;
	struct parsed big, small;

	check_tables(mem, 64);
	parse(mem, &big);
	check_tables(mem, 1);
	parse(mem, &small);
	assert_ptr_equal(big.fadt, small.fadt);
	assert_ptr_equal(big.dsdt, small.dsdt);
	assert_ptr_equal(big.madt, small.madt);
	assert_true(small.madt_len < big.madt_len);
}

/* One device, as the AML would be assembled by hand (the listing in acpi.c). */
static void test_virtio_device_bytes(void **state)
{
	/* clang-format off */
	static const uint8_t vio0[] = {
		0x5b, 0x82, 0x3b, 'V', 'I', 'O', '0',		/* Device (VIO0), PkgLength 59 */
		0x08, '_', 'H', 'I', 'D',			/* Name (_HID, "LNRO0005") */
		0x0d, 'L', 'N', 'R', 'O', '0', '0', '0', '5', 0x00,
		0x08, '_', 'U', 'I', 'D', 0x0a, 0x00,		/* Name (_UID, 0) */
		0x08, '_', 'C', 'R', 'S',			/* Name (_CRS, Buffer (23) { */
		0x11, 0x1a, 0x0a, 0x17,
		0x86, 0x09, 0x00, 0x01,				/* Memory32Fixed (ReadWrite, */
		0x00, 0x00, 0x00, 0xd0, 0x00, 0x02, 0x00, 0x00,	/*   0xD0000000, 0x200) */
		0x89, 0x06, 0x00, 0x03, 0x01,			/* Interrupt (Consumer, Edge, */
		0x10, 0x00, 0x00, 0x00,				/*   ActiveHigh, Exclusive) {16} */
		0x79, 0x00,					/* EndTag }) */
	};
	static const uint8_t vio7_tail[] = {
		'V', 'I', 'O', '7',
		0x08, '_', 'H', 'I', 'D', 0x0d, 'L', 'N', 'R', 'O', '0', '0', '0', '5', 0x00,
		0x08, '_', 'U', 'I', 'D', 0x0a, 0x07,
		0x08, '_', 'C', 'R', 'S', 0x11, 0x1a, 0x0a, 0x17,
		0x86, 0x09, 0x00, 0x01, 0x00, 0x0e, 0x00, 0xd0, 0x00, 0x02, 0x00, 0x00,
		0x89, 0x06, 0x00, 0x03, 0x01, 0x17, 0x00, 0x00, 0x00,
		0x79, 0x00,
	};
	/*
	 * Scope (\_SB) with COM1 and 8 devices: PkgLength 2 + 5 + 45 + 8 * 61 = 540 = 0x21c,
	 * as lead byte 0x40 (one more byte) | 0xc (the low nibble), then 0x21 (the rest).
	 */
	static const uint8_t scope8[] = { 0x10, 0x4c, 0x21, '\\', '_', 'S', 'B', '_' };
	/* clang-format on */
	struct guest_memory *mem = *state;
	struct parsed t;

	check_tables_virtio(mem, 1, 1);
	parse(mem, &t);
	/*
	 * The device ends the DSDT, whose length and checksum check_table() checked: _S5,
	 * then ScopeOp, a PkgLength of two bytes (111 + 2 > 63), "\_SB_", COM1 and VIO0.
	 */
	assert_int_equal(t.dsdt_len, SDT_HEADER_SIZE + 14 + 1 + 2 + 5 + 45 + sizeof(vio0));
	assert_memory_equal(t.dsdt + t.dsdt_len - sizeof(vio0), vio0, sizeof(vio0));
	/* Eight: the scope's PkgLength takes two bytes (ACPI 6.5 20.2.4), the last device. */
	check_tables_virtio(mem, 1, LAYOUT_VIRTIO_MMIO_COUNT);
	parse(mem, &t);
	assert_int_equal(t.dsdt_len, SDT_HEADER_SIZE + 14 + sizeof(scope8) + 45 + 8 * sizeof(vio0));
	assert_memory_equal(t.dsdt + SDT_HEADER_SIZE + 14, scope8, sizeof(scope8));
	assert_memory_equal(t.dsdt + t.dsdt_len - sizeof(vio7_tail), vio7_tail, sizeof(vio7_tail));
}

static void test_virtio_devices(void **state)
{
	for (unsigned int n = 0; n <= LAYOUT_VIRTIO_MMIO_COUNT; n++) {
		check_tables_virtio(*state, 1, n);
		check_tables_virtio(*state, 4, n);
	}
	check_tables_virtio(*state, ACPI_MAX_CPUS, LAYOUT_VIRTIO_MMIO_COUNT);
}

static bool bios_area_is_zero(const struct guest_memory *mem)
{
	const uint8_t *p =
		guest_ptr(mem, LAYOUT_BIOS_AREA, LAYOUT_BIOS_AREA_END - LAYOUT_BIOS_AREA);

	for (uint64_t i = 0; i < LAYOUT_BIOS_AREA_END - LAYOUT_BIOS_AREA; i++)
		if (p[i])
			return false;
	return true;
}

static void test_bad_cpu_counts(void **state)
{
	struct guest_memory *mem = *state;
	struct acpi_config cfg = { .ncpus = 0 };
	char expect[64];

	assert_int_equal(acpi_build(mem, &cfg), -EINVAL);
	assert_contains(error_message(), "0 vCPUs");
	cfg.ncpus = ACPI_MAX_CPUS + 1;
	assert_int_equal(acpi_build(mem, &cfg), -EINVAL);
	snprintf(expect, sizeof(expect), "must be 1 to %u", ACPI_MAX_CPUS);
	assert_contains(error_message(), expect);
	assert_true(bios_area_is_zero(mem));
}

static void test_too_many_virtio_devices(void **state)
{
	struct guest_memory *mem = *state;
	struct acpi_config cfg = { .ncpus = 1,
				   .virtio_mmio_devices = LAYOUT_VIRTIO_MMIO_COUNT + 1 };

	assert_int_equal(acpi_build(mem, &cfg), -EINVAL);
	assert_contains(error_message(), "9 virtio-mmio devices: at most 8");
	assert_true(bios_area_is_zero(mem));
}

static void test_ram_too_small(void **state)
{
	struct guest_memory *mem = *state;
	struct acpi_config cfg = { .ncpus = 2 };
	uint64_t size = mem->regions[0].size;
	const uint8_t *p;

	/* RAM that ends where the tables would start ... */
	mem->regions[0].size = LAYOUT_ACPI;
	assert_int_equal(acpi_build(mem, &cfg), -EFAULT);
	assert_contains(error_message(), "not guest RAM");
	/* ... or in the middle of them: nothing is written, not even the RSDP. */
	mem->regions[0].size = LAYOUT_ACPI + LAYOUT_PAGE_SIZE / 16;
	assert_int_equal(acpi_build(mem, &cfg), -EFAULT);
	p = guest_ptr(mem, LAYOUT_ACPI, LAYOUT_PAGE_SIZE / 16);
	assert_non_null(p);
	for (uint64_t i = 0; i < LAYOUT_PAGE_SIZE / 16; i++)
		assert_int_equal(p[i], 0);
	mem->regions[0].size = size;
	assert_true(bios_area_is_zero(mem));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_1_cpu, setup, unit_memory_teardown),
		cmocka_unit_test_setup_teardown(test_pc_fadt_flags, setup, unit_memory_teardown),
		cmocka_unit_test_setup_teardown(test_2_cpus, setup, unit_memory_teardown),
		cmocka_unit_test_setup_teardown(test_8_cpus, setup, unit_memory_teardown),
		cmocka_unit_test_setup_teardown(test_64_cpus, setup, unit_memory_teardown),
		cmocka_unit_test_setup_teardown(test_max_cpus, setup, unit_memory_teardown),
		cmocka_unit_test_setup_teardown(test_rebuild, setup, unit_memory_teardown),
		cmocka_unit_test_setup_teardown(test_bad_cpu_counts, setup, unit_memory_teardown),
		cmocka_unit_test_setup_teardown(test_virtio_device_bytes, setup,
						unit_memory_teardown),
		cmocka_unit_test_setup_teardown(test_virtio_devices, setup, unit_memory_teardown),
		cmocka_unit_test_setup_teardown(test_too_many_virtio_devices, setup,
						unit_memory_teardown),
		cmocka_unit_test_setup_teardown(test_ram_too_small, setup, unit_memory_teardown),
	};

	return cmocka_run_group_tests_name("acpi", tests, NULL, NULL);
}
