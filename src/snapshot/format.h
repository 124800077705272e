/* SPDX-License-Identifier: MIT */
/* The snapshot file format (docs/snapshot.md): header, section table, sparse page-aligned RAM. */
#ifndef MINI_KVM_SNAPSHOT_FORMAT_H
#define MINI_KVM_SNAPSHOT_FORMAT_H

#include <stddef.h>
#include <stdint.h>

/*
 * A snapshot file, all integers little-endian (the x86-64 host's order):
 *
 *   offset 0        struct snapshot_header
 *   table_offset    nsections x struct snapshot_section
 *   ...             each section's bytes, where its table entry says
 *   page-aligned    SNAPSHOT_SEC_RAM_DATA: the saved RAM, one page-aligned run per
 *                   extent (SNAPSHOT_SEC_RAM_EXTENTS), zero pages inside a run left
 *                   as holes, so that restore maps each run with mmap(MAP_PRIVATE)
 *
 * Every section but RAM_DATA has a CRC-32 (zlib's, ISO-HDLC) in its table entry;
 * the table and the header have their own. RAM is checked per extent, only on
 * request (reading it all is what mapping it lazily avoids).
 */

#define SNAPSHOT_MAGIC	   "MKVMSNAP" /* the first 8 bytes, no NUL */
#define SNAPSHOT_MAGIC_LEN 8
#define SNAPSHOT_VERSION   1
/* RAM runs are aligned to this in the file and in guest-physical space (x86-64's base page). */
#define SNAPSHOT_PAGE_SIZE 4096U

/* Limits a file must respect: what mini-kvm itself could ever have written. */
#define SNAPSHOT_MAX_SECTIONS 8192	   /* 254 vCPUs x 12 sections, devices, with room */
#define SNAPSHOT_MAX_SECTION  (1U << 20)   /* bytes of any section but RAM_DATA */
#define SNAPSHOT_MAX_EXTENTS  16384	   /* each is an mmap(): well below vm.max_map_count */
#define SNAPSHOT_MAX_MEM      (1ULL << 40) /* 1 TiB of guest RAM */
#define SNAPSHOT_MAX_CPUS     254	   /* as VM_MAX_VCPUS: 8-bit APIC IDs */
#define SNAPSHOT_NAME_MAX     64	   /* the guest's name, with its NUL */
#define SNAPSHOT_PATH_MAX     4096	   /* a disk's path, with its NUL */
#define SNAPSHOT_MAX_XSAVE    (64U << 10)  /* bytes of KVM_GET_XSAVE2's area */
#define SNAPSHOT_CRC_NONE     0		   /* the crc field of RAM_DATA: see the extents */

/* At offset 0 of the file: 64 bytes. */
struct snapshot_header {
	uint8_t magic[SNAPSHOT_MAGIC_LEN]; /* SNAPSHOT_MAGIC */
	uint32_t version;		   /* SNAPSHOT_VERSION */
	uint32_t flags;			   /* none defined: 0 */
	uint32_t header_size;		   /* sizeof(struct snapshot_header) */
	uint32_t section_size;		   /* sizeof(struct snapshot_section) */
	uint32_t nsections;		   /* entries in the table, 1 .. SNAPSHOT_MAX_SECTIONS */
	uint32_t page_size;		   /* SNAPSHOT_PAGE_SIZE */
	uint64_t table_offset;		   /* where the table starts (8-byte aligned) */
	uint64_t file_size;		   /* the whole file's bytes: a shorter file was cut */
	uint32_t table_crc;		   /* CRC-32 of the table */
	uint32_t header_crc;		   /* CRC-32 of this header with header_crc 0 */
	uint64_t reserved;		   /* 0 */
};
_Static_assert(sizeof(struct snapshot_header) == 64, "snapshot_header has holes");

/* One entry of the section table: 32 bytes. */
struct snapshot_section {
	uint32_t type;	 /* SNAPSHOT_SEC_* */
	uint32_t id;	 /* which one of its type: vCPU index, PIC/IOAPIC chip, device */
	uint64_t offset; /* where its bytes are in the file */
	uint64_t length; /* how many */
	uint32_t crc;	 /* CRC-32 of its bytes (SNAPSHOT_CRC_NONE for RAM_DATA) */
	uint32_t flags;	 /* SNAPSHOT_SECTION_* */
};
_Static_assert(sizeof(struct snapshot_section) == 32, "snapshot_section has holes");

/* A reader that does not know the section's type skips it instead of refusing the file. */
#define SNAPSHOT_SECTION_OPTIONAL 0x1
#define SNAPSHOT_SECTION_FLAGS	  SNAPSHOT_SECTION_OPTIONAL

/*
 * Section types. Per-vCPU ones have id = the vCPU's index and hold the structure
 * of <linux/kvm.h> that the named ioctl fills (x86-64), as KVM returned it.
 */
enum snapshot_section_type {
	SNAPSHOT_SEC_MACHINE = 1,     /* struct snapshot_machine, once */
	SNAPSHOT_SEC_RAM_EXTENTS = 2, /* struct snapshot_ram_extent[], once, sorted by GPA */
	SNAPSHOT_SEC_RAM_DATA = 3,    /* page-aligned; holds every extent's bytes */
	SNAPSHOT_SEC_DISK = 4,	      /* struct snapshot_disk + path, id = disk index */
	SNAPSHOT_SEC_DEVICE = 5,      /* a device's X_save() struct, id = SNAPSHOT_DEV_* */
	SNAPSHOT_SEC_CLOCK = 16,      /* struct kvm_clock_data: KVM_GET_CLOCK */
	SNAPSHOT_SEC_IRQCHIP = 17,    /* struct kvm_irqchip, id = KVM_IRQCHIP_PIC_MASTER ... */
	SNAPSHOT_SEC_PIT2 = 18,	      /* struct kvm_pit_state2: KVM_GET_PIT2 */
	SNAPSHOT_SEC_CPUID = 32,      /* struct kvm_cpuid_entry2[]: KVM_GET_CPUID2 */
	SNAPSHOT_SEC_REGS = 33,	      /* struct kvm_regs */
	SNAPSHOT_SEC_SREGS = 34,      /* struct kvm_sregs */
	SNAPSHOT_SEC_FPU = 35,	      /* struct kvm_fpu */
	SNAPSHOT_SEC_XSAVE = 36,      /* KVM_GET_XSAVE(2)'s area: 4096 bytes or more */
	SNAPSHOT_SEC_XCRS = 37,	      /* struct kvm_xcrs */
	SNAPSHOT_SEC_MSRS = 38,	    /* struct kvm_msr_entry[]: KVM_GET_MSRS of every readable one */
	SNAPSHOT_SEC_LAPIC = 39,    /* struct kvm_lapic_state (VMs with an irqchip) */
	SNAPSHOT_SEC_MP_STATE = 40, /* struct kvm_mp_state */
	SNAPSHOT_SEC_EVENTS = 41,   /* struct kvm_vcpu_events */
	SNAPSHOT_SEC_DEBUGREGS = 42, /* struct kvm_debugregs */
};

/* SNAPSHOT_SEC_MACHINE: what the VM was, to build the same one again. 96 bytes. */
struct snapshot_machine {
	uint64_t mem_size;  /* bytes of RAM: a multiple of the page, at most SNAPSHOT_MAX_MEM */
	uint32_t ncpus;	    /* 1 .. SNAPSHOT_MAX_CPUS */
	uint32_t flags;	    /* SNAPSHOT_MACHINE_* */
	uint32_t boot_mode; /* enum boot_mode the guest started in (for death hints) */
	uint32_t tsc_khz;   /* KVM_GET_TSC_KHZ of vCPU 0; 0 if unknown */
	uint64_t saved_at;  /* CLOCK_REALTIME of the save, ns since the epoch (informative) */
	char name[SNAPSHOT_NAME_MAX]; /* the guest's name, NUL-terminated */
};
_Static_assert(sizeof(struct snapshot_machine) == 96, "snapshot_machine has holes");

#define SNAPSHOT_MACHINE_IRQCHIP 0x1 /* in-kernel PICs, I/O APIC, LAPICs and PIT */
#define SNAPSHOT_MACHINE_LINUX	 0x2 /* a Linux guest: its policy (linux.c) applies */
/* A virtio-rng in the virtio-mmio slot after the virtio disks (--rng). */
#define SNAPSHOT_MACHINE_VIRTIO_RNG 0x4
#define SNAPSHOT_MACHINE_FLAGS \
	(SNAPSHOT_MACHINE_IRQCHIP | SNAPSHOT_MACHINE_LINUX | SNAPSHOT_MACHINE_VIRTIO_RNG)

/* SNAPSHOT_SEC_RAM_EXTENTS: one run of saved RAM. 32 bytes. */
struct snapshot_ram_extent {
	uint64_t gpa;	 /* first guest-physical byte: page-aligned */
	uint64_t size;	 /* bytes: a non-zero multiple of the page */
	uint64_t offset; /* where they are in the file: page-aligned, inside RAM_DATA */
	uint32_t crc;	 /* CRC-32 of the size bytes (holes read as zeros) */
	uint32_t flags;	 /* none defined: 0 */
};
_Static_assert(sizeof(struct snapshot_ram_extent) == 32, "snapshot_ram_extent has holes");

/* SNAPSHOT_SEC_DISK: a disk the guest had (its contents are not in the snapshot). */
struct snapshot_disk {
	uint64_t size;	   /* bytes, when saved */
	uint32_t kind;	   /* SNAPSHOT_DISK_* */
	uint32_t path_len; /* bytes of the path that follows, with its NUL */
			   /* char path[path_len], NUL-terminated: as given to --disk */
};
_Static_assert(sizeof(struct snapshot_disk) == 16, "snapshot_disk has holes");

#define SNAPSHOT_DISK_HC_BLK 1 /* --disk: the HC_BLK_* hypercall disk; section id 0 */
#define SNAPSHOT_DISK_ATA    2 /* --ata FILE: an ATA disk; section id SNAPSHOT_DISK_ID_ATA(slot) */
#define SNAPSHOT_DISK_ATA_RO 3 /* --ata FILE,ro */
#define SNAPSHOT_DISK_VIRTIO    4 /* -k --disk FILE: virtio disk n; id SNAPSHOT_DISK_ID_VIRTIO(n) */
#define SNAPSHOT_DISK_VIRTIO_RO 5 /* -k --disk FILE,ro */
/* ATA disk slots: primary master, primary slave, secondary master, secondary slave. */
#define SNAPSHOT_ATA_DISKS	   4
#define SNAPSHOT_DISK_ID_ATA(slot) (1U + (slot))
/* virtio disks: the guest's vda, vdb ..., in virtio-mmio slots 0, 1 ... */
#define SNAPSHOT_VIRTIO_DISKS	    8
#define SNAPSHOT_DISK_ID_VIRTIO(n) (SNAPSHOT_DISK_ID_ATA(SNAPSHOT_ATA_DISKS) + (n))

/* Device section ids (SNAPSHOT_SEC_DEVICE): a type in the high byte, an instance below. */
#define SNAPSHOT_DEV_SERIAL(n)	    (0x0100U + (n)) /* 16550A UART: COM1 is 0 */
#define SNAPSHOT_DEV_CMOS	    0x0200U
#define SNAPSHOT_DEV_ATA(channel)   (0x0300U + (channel))
#define SNAPSHOT_DEV_DEBUGCON	    0x0400U
#define SNAPSHOT_DEV_DEBUG_EXIT	    0x0500U
#define SNAPSHOT_DEV_CRTC	    0x0600U
#define SNAPSHOT_DEV_VIRTIO_MMIO(n) (0x1000U + (n)) /* the transport of virtio device n */
#define SNAPSHOT_DEV_VIRTIO_BLK(n)  (0x1100U + (n))

/* CRC-32 (ISO-HDLC, zlib's crc32()) of len bytes, continuing from crc (0 to start). */
uint32_t snapshot_crc32(uint32_t crc, const void *data, size_t len);

/* --- writing ------------------------------------------------------------- */

/* A snapshot being put together in memory (everything but the RAM's bytes). */
struct snapshot_builder {
	struct snapshot_section *sections; /* type, id, length (offsets set by finish) */
	void **data;			   /* each section's bytes, malloc()ed copies */
	size_t nsections, cap;
	struct snapshot_ram_extent *extents; /* gpa, size, crc (offsets set by finish) */
	size_t nextents, extents_cap;
};

/* An empty builder. */
void snapshot_builder_init(struct snapshot_builder *b);
void snapshot_builder_free(struct snapshot_builder *b);

/*
 * Add a section of type and id with len bytes copied from data (len at most
 * SNAPSHOT_MAX_SECTION; flags: SNAPSHOT_SECTION_*). Not for RAM_EXTENTS and
 * RAM_DATA, which finish() writes. Returns 0, -EINVAL (too big, a duplicate of
 * type and id, too many sections) or -ENOMEM, with a message.
 */
int snapshot_builder_add(struct snapshot_builder *b, uint32_t type, uint32_t id, const void *data,
			 size_t len, uint32_t flags);

/*
 * Add a RAM extent: size bytes (page multiple) at gpa (page-aligned), above every
 * extent added before, with CRC-32 crc. Returns 0, -EINVAL or -ENOMEM with a message.
 */
int snapshot_builder_add_extent(struct snapshot_builder *b, uint64_t gpa, uint64_t size,
				uint32_t crc);

/*
 * Lay the file out: the header, the table, the sections in the order added, the
 * extent table, then from the next page boundary each extent's run, in order.
 * Returns 0 with *meta (malloc()ed, *meta_len bytes: everything from offset 0 up to
 * the RAM, checksums filled in) and *file_size; b->extents[i].offset says where
 * extent i's bytes go. -EINVAL or -ENOMEM with a message.
 */
int snapshot_builder_finish(struct snapshot_builder *b, uint8_t **meta, size_t *meta_len,
			    uint64_t *file_size);

/* --- reading ------------------------------------------------------------- */

/* Where a parser gets a file's bytes: a file (pread) in mini-kvm, a buffer in tests. */
struct snapshot_reader {
	/* Read len bytes at offset into buf: 0, or -errno with a message (-EIO if short). */
	int (*read)(void *opaque, uint64_t offset, void *buf, size_t len);
	void *opaque;
	uint64_t size;	  /* the file's size in bytes */
	const char *name; /* for messages */
};

/* A parsed snapshot: every section but RAM_DATA read, checked and kept in memory. */
struct snapshot {
	struct snapshot_header header;
	struct snapshot_section *sections; /* the table */
	void **data;			   /* per section: its bytes (NULL for RAM_DATA, unknown) */
	uint32_t nsections;
	const struct snapshot_machine *machine;	   /* in data[] */
	const struct snapshot_ram_extent *extents; /* in data[], sorted by GPA */
	size_t nextents;
	const struct snapshot_section *ram_data; /* NULL when there are no extents */
};

/*
 * Read and check a snapshot through r: the header (magic, version, sizes, CRC),
 * the table (bounds without overflow, no overlaps, CRC), each section's bytes
 * (CRC) and shape (the size of its type, ids in range, required sections present
 * and none twice), the machine (RAM size, vCPUs, flags), and the RAM extents
 * (aligned, sorted, inside RAM_DATA and inside the machine's RAM as laid out by
 * guest_memory_layout()). RAM bytes are not read. Returns 0 with *snap (free with
 * snapshot_free()), or -EINVAL (a bad file: the message names the field), -EIO or
 * -ENOMEM, with a one-line message starting with "snapshot 'NAME': ".
 */
int snapshot_parse(const struct snapshot_reader *r, struct snapshot *snap);
void snapshot_free(struct snapshot *snap);

/*
 * The bytes of section type/id in snap and their length in *len, or NULL if the
 * snapshot has none.
 */
const void *snapshot_find(const struct snapshot *snap, uint32_t type, uint32_t id, uint64_t *len);

/*
 * Check every extent's CRC-32 by reading its bytes through r (the whole RAM:
 * restore's --verify). Returns 0, or -EINVAL naming the first bad extent, or -EIO.
 */
int snapshot_verify_ram(const struct snapshot_reader *r, const struct snapshot *snap);

#endif
