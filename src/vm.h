/* SPDX-License-Identifier: MIT */
/* A virtual machine: the KVM VM, its RAM, buses and devices, its vCPU threads and how it ended. */
#ifndef MINI_KVM_VM_H
#define MINI_KVM_VM_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "arch/x86/boot_state.h"
#include "arch/x86/irq_routing.h"
#include "bus.h"
#include "clock.h"
#include "console.h"
#include "devices/acpi_pm.h"
#include "devices/ata.h"
#include "devices/cmos.h"
#include "devices/crtc.h"
#include "devices/debug_exit.h"
#include "devices/debugcon.h"
#include "devices/hypercall_port.h"
#include "devices/i8042.h"
#include "devices/nobios_trap.h"
#include "devices/serial.h"
#include "kvm.h"
#include "memory.h"
#include "timeline.h"
#include "vcpu.h"
#include "vm_virtio.h"
#include "vga_text.h"

struct guest_image;
struct gdb_vm;
struct snapshot_ram_extent;

/* How a VM ended; main maps it to an exit status (see README, "Exit status"). */
enum vm_end {
	VM_END_RUNNING = 0,
	VM_END_HALT,	 /* HLT with nothing left to run: status 0 */
	VM_END_EXIT,	 /* HC_EXIT: the guest's status */
	VM_END_DIED,	 /* triple fault, failed entry, KVM internal error: status 3 */
	VM_END_ERROR,	 /* a VMM-side failure (stdout closed, ioctl failed): status 1 */
	VM_END_TIMEOUT,	 /* --timeout expired */
	VM_END_SIGNAL,	 /* mini-kvm got SIGINT/SIGTERM/SIGHUP */
	VM_END_POWEROFF, /* the guest powered off (ACPI S5): status 0 */
	VM_END_RESET, /* the guest reset itself (8042, ACPI reset; for Linux a triple fault): 0 */
	VM_END_QUIT,  /* the user typed Ctrl-A x: status 0 */
	VM_END_GDB_KILL,      /* gdb's kill: status 0, as Ctrl-A x */
	VM_END_OUTPUT_CLOSED, /* stdout's reader went away (EPIPE): status 0, quietly, as cat */
	VM_END_SNAPSHOT,      /* stopped after saving a snapshot (--snapshot-and-exit): status 0 */
};

#define VM_MESSAGE_MAX 512

struct vm_result {
	enum vm_end end;
	int status;		      /* guest status (VM_END_EXIT) or signal number */
	int vcpu;		      /* the vCPU that ended the VM, -1 if none */
	char message[VM_MESSAGE_MAX]; /* why it ended, for VM_END_DIED/ERROR */
	char *dump;		      /* register dump of a dead vCPU (malloc()ed) or NULL */
	/* What the guest's state at death suggests about the host, for the dump. */
	uint32_t exit_reason;
};

/* What this host's KVM traps for gdb at one privilege level (the probes of `mini-kvm check`). */
struct vm_gdb_host {
	bool sw_bp; /* int3 exits (KVM_GUESTDBG_USE_SW_BP) */
	bool hw_bp; /* DR0-DR3 execution breakpoints (KVM_GUESTDBG_USE_HW_BP) */
	bool watch; /* DR0-DR3 data watchpoints */
	bool step;  /* KVM_GUESTDBG_SINGLESTEP */
};

/* --gdb: a gdb stub for this VM (gdb_target.c). address NULL: none. */
struct vm_gdb_config {
	const char *address; /* "[ADDR:]PORT" to listen on */
	bool wait;	     /* --gdb-wait: every vCPU held before its first instruction */
	/*
	 * host_known: what this host's KVM traps in ring 0 and real mode (kernel) and
	 * in ring 3 (user), as the runner probed it; gdb's requests that cannot work
	 * here are refused with a hint, or done another way (kvm_pvm: int3 in ring 0 is
	 * not trapped, so `break` there takes a debug register). Not known: everything
	 * works, as on hardware.
	 */
	bool host_known;
	struct vm_gdb_host kernel, user;
	/* One line for the user (listening, connected, refused ...), without newline. */
	void (*log)(void *opaque, const char *line);
	void *log_opaque;
};
/* ATA disks a VM can have: two channels of two drives (--ata). */
#define VM_ATA_DISKS (2 * ATA_DRIVES)

struct vm_config {
	unsigned int index;	   /* 1-based guest number, for messages */
	const char *name;	   /* guest name, for messages */
	uint64_t mem_size;	   /* bytes */
	unsigned int cpus;	   /* 1..VM_MAX_VCPUS (options.c checks) */
	const struct trace *trace; /* --trace: one line per VM exit (trace.h), or NULL */
	bool halt_watch;	   /* end the VM when its vCPU halts with IF=0 (vcpu_idle.h) */
	bool irqchip;	  /* in-kernel PIC, IOAPIC, LAPIC and PIT (HLT then stays in KVM) */
	bool large_image; /* loads a large image (Linux): THP whatever the RAM size (memory.h) */
	uint64_t process_start_ns; /* when mini-kvm started, for the boot timeline */
	struct console *console;
	const struct blk_dev *disk; /* --disk, for HC_BLK_*; NULL for none */
	/*
	 * -k --disk: virtio-blk disks (the guest's vda, vdb ...), opened by the runner,
	 * which closes them after the VM is destroyed; and --rng. Both need irqchip.
	 */
	struct virtio_blk *virtio_disks;
	unsigned int nvirtio_disks;
	bool virtio_rng;
	struct vm_gdb_config gdb; /* --gdb, --gdb-wait */
	/* Hooks for every vCPU's loop when there is no --gdb (probe.c's debugging probes). */
	const struct vcpu_debug *debug;
	/* The classic PC's devices (docs/usage.md, "Classic PC kernels"); all off for Linux. */
	bool bare;     /* a bare guest (not Linux): the debug console on PORT_DEBUGCON */
	bool pc;       /* bare with --irqchip: CMOS/RTC, CRTC, text buffer (and pc.c's tables) */
	bool nobios;   /* a boot sector: the trap port of its no-BIOS stub */
	bool vga_text; /* --vga-text: render the text buffer on the console (needs pc) */
	unsigned int vga_text_flags; /* VGA_TEXT_ANSI (a terminal of its own), VGA_TEXT_UTF8 */
	bool debug_exit;	     /* --debug-exit: an isa-debug-exit port at debug_exit_port */
	uint16_t debug_exit_port;
	/* --ata: primary master, slave, secondary master, slave (NULL: none); open, not owned */
	struct ata_disk *ata[VM_ATA_DISKS];
	const struct net_config *net; /* -k --net: a virtio-net NIC; NULL for none */
};

/*
 * vCPUs per VM: the firmware tables give each an 8-bit xAPIC ID and the I/O APIC
 * the next one (irq_routing.h); the host's KVM may allow fewer (KVM_CAP_MAX_VCPUS).
 */
#define VM_MAX_VCPUS IRQ_MAX_CPUS
/* Why VM_MAX_VCPUS is what it is, for messages. */
#define VM_MAX_VCPUS_WHY "its MP table and MADT give each vCPU and the I/O APIC an 8-bit xAPIC ID"

/*
 * What the kind of guest makes of its ends (Linux: linux.c). Zeroed, a VM treats
 * its guest as a bare one.
 */
struct vm_policy {
	/* A triple fault resets the VM (Linux's last-resort reboot) rather than killing it. */
	bool triple_fault_resets;
	/*
	 * Called by vm_stop() under vm->lock with the end about to be recorded: may turn
	 * it into another (a kernel that panicked and then reset died). NULL: none.
	 */
	void (*amend_end)(void *opaque, struct vm_result *end);
	void *opaque;
};

struct vm {
	const struct kvm_host *host;
	const struct vm_config *config;
	int fd; /* from KVM_CREATE_VM */
	struct guest_memory mem;
	struct bus pio; /* ranges fixed before the first KVM_RUN */
	struct bus mmio;
	struct serial com1;
	struct hypercall_dev hypercall;
	struct i8042 i8042;
	struct acpi_pm acpi_pm;
	struct vm_virtio virtio; /* virtio-mmio devices (Linux guests), vm_virtio.c */
	/* The classic PC's devices, set up by vm_init() as the config asks (pc_devices). */
	bool pc_devices;	   /* cmos and crtc initialised */
	bool ata_devices;	   /* ata[] initialised */
	struct ata_channel ata[2]; /* primary, secondary */
	struct cmos cmos;
	struct crtc crtc;
	struct debugcon debugcon;
	struct debug_exit debug_exit;
	struct nobios_trap nobios;
	struct vga_text_view vga; /* --vga-text's renderer */
	atomic_bool serial_used;  /* the guest wrote its UART (--vga-text stops drawing) */
	struct vm_policy policy;
	char trace_label[CONSOLE_NAME_MAX + 16]; /* "[N:name]", for --trace */
	enum boot_mode boot_mode;		 /* how vCPU 0 was started (for death hints) */
	bool has_irqchip;   /* KVM_CREATE_IRQCHIP done: interrupts go through KVM */
	struct vcpu *vcpus; /* config->cpus of them, calloc()ed */
	unsigned int nvcpus;
	struct gdb_vm *gdb; /* --gdb: the stub and its server (gdb_target.h), or NULL */

	atomic_bool stopping;	 /* set once by vm_stop(); vCPUs leave their loops */
	pthread_mutex_t lock;	 /* guards result; stopping is set under it */
	pthread_cond_t stopped;	 /* broadcast (under lock) when stopping is set */
	struct vm_result result; /* the first vm_stop() wins */
	uint64_t start_ns, end_ns;
	struct timeline timeline; /* boot milestones (Linux guests) */

	/*
	 * Pausing (vm_pause()): vCPUs park while pausing is set, counted in parked (under
	 * lock); `stopped` is broadcast when either changes.
	 */
	atomic_bool pausing;
	unsigned int parked;
	/*
	 * Work for the thread in vm_run() (snapshots): vm_request() sets bits (under lock)
	 * and that thread calls on_request(vm, bits, request_opaque) without the lock.
	 */
	unsigned int requests;
	void (*on_request)(struct vm *vm, unsigned int requests, void *opaque);
	void *request_opaque;
	/*
	 * RAM mapped from a file (a restored VM's snapshot, a PVH kernel's vmlinux): saved
	 * in a snapshot even if untouched. Only gpa and size are read.
	 */
	const struct snapshot_ram_extent *file_extents;
	size_t nfile_extents;
};

/* vm_request() bits. */
#define VM_REQUEST_SNAPSHOT 0x1

/*
 * The parts of a VM that need no KVM: RAM, the buses with the platform's devices on
 * them, a bare guest's policy. vm_create() starts with this; unit tests drive a VM
 * made this way with fake exits. Returns 0 or -errno with a message; on failure
 * nothing is left to destroy (vm_destroy() undoes it otherwise).
 */
int vm_init(struct vm *vm, const struct vm_config *config);

/*
 * Whether host's KVM lets a VM have cpus vCPUs (KVM_CAP_MAX_VCPUS; host->max_vcpus
 * 0 means unknown, not checked). mini-kvm's own limit, VM_MAX_VCPUS, is the command
 * line's to check (options.c). Returns 0, or -EINVAL with a message giving the limit.
 */
int vm_check_host_vcpus(const struct kvm_host *host, unsigned int cpus);

/*
 * Create a VM on host for config: KVM_CREATE_VM, TSS and identity-map addresses,
 * guest RAM as memory slots, the devices on their buses, config->cpus vCPUs.
 * Returns 0 or -errno with a message (-EINVAL: more vCPUs than the host's KVM
 * allows). On failure nothing is left to destroy.
 */
int vm_create(struct vm *vm, const struct kvm_host *host, const struct vm_config *config);

/*
 * Place img into RAM and put vCPU 0 in img->mode at img->entry.
 * Returns 0 or -errno with a message (the image does not fit, bad entry, ioctl).
 */
int vm_load_image(struct vm *vm, const struct guest_image *img);

/*
 * Run every vCPU on its own thread until the VM ends (or timeout_ns passes, if
 * not 0). The outcome is in vm->result. Returns 0, or -errno if threads could
 * not be started.
 */
int vm_run(struct vm *vm, uint64_t timeout_ns);

/*
 * End the VM: record end/status (the first call wins; later ones are ignored),
 * then kick every vCPU out of KVM_RUN. Thread-safe; callable from vCPUs, devices
 * and signal handlers' threads. vcpu: index of the vCPU that ended it, or -1.
 * message: printf format for result.message, or NULL.
 */
void vm_stop(struct vm *vm, enum vm_end end, int status, int vcpu, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));

/*
 * How vcpu's outcome o (vcpu.h) ends vm: HLT a halt, a triple fault a death (or a
 * reset, under a policy that says so), a failure a death, a VMM-side failure an
 * error, each with the vCPU's message; VCPU_STOPPED (ended elsewhere) nothing.
 * Called by the vCPU's thread when vcpu_run() returns; exposed for unit tests.
 */
void vm_vcpu_ended(struct vm *vm, const struct vcpu *vcpu, enum vcpu_outcome o);

/* Close vCPUs and the VM, unmap RAM, free the result's dump. */
void vm_destroy(struct vm *vm);

/*
 * Set ISA interrupt line gsi (a KVM GSI: 0-15 are ISA IRQs, see gsi.h) to level
 * (0 or 1) on the in-kernel irqchip; nothing without one. Thread-safe (KVM
 * serializes). A failing KVM_IRQ_LINE stops the VM with VM_END_ERROR.
 */
void vm_irq_line(struct vm *vm, unsigned int gsi, int level);

/*
 * Ask the thread in vm_run() to call vm->on_request with these VM_REQUEST_* bits,
 * soon, between its waits (requests made meanwhile are merged). Thread-safe; may be
 * called under a console's lock (lock order: console, then vm->lock).
 */
void vm_request(struct vm *vm, unsigned int bits);

/*
 * Pause the running VM: kick every vCPU out of KVM_RUN and wait until each has parked
 * with its last exit's I/O completed (vcpu.h, VCPU_PAUSED), and hold back console
 * input from the UART. Then the vCPUs' state, the irqchip's and the devices' can be
 * read and written. For the thread in vm_run() (on_request). Returns 0, -ECANCELED if
 * the VM stopped meanwhile, or -EBUSY if a vCPU did not park within
 * VM_PAUSE_TIMEOUT_NS (blocked in a device: HC_GETCHAR waiting for input, a stalled
 * stdout), each with a message; on failure the VM runs on.
 */
int vm_pause(struct vm *vm);

/*
 * Start pausing the VM without waiting: every vCPU parks at its next exit or entry
 * (the calling vCPU's included, on its way back to KVM_RUN), until vm_pause() and
 * vm_resume() or a stop. For a vCPU thread that asks for a snapshot (--snapshot-at,
 * under the console's lock) so that the guest runs no further than the line it
 * printed; the thread that handles the request then calls vm_pause(), and
 * vm_resume() whatever happens if the VM is to run on.
 */
void vm_pause_soon(struct vm *vm);

/*
 * Keep console input away from the UART (hold true) while the VM's state is read or
 * written (vm_pause(), a restore), or let it through again (false), with what arrived
 * meanwhile. Not under vm->lock (it takes the console's notify_lock).
 */
void vm_hold_input(struct vm *vm, bool hold);

/* Let the paused VM run again; console input that arrived meanwhile reaches the UART. */
void vm_resume(struct vm *vm);

/* How long vm_pause() waits for the vCPUs to park. */
#define VM_PAUSE_TIMEOUT_NS (2 * NS_PER_SEC)

/* VM exits so far, over all vCPUs (for the boot timeline; approximate while running). */
uint64_t vm_exits(const struct vm *vm);

/* Name of the device at addr on the PIO or MMIO bus, or "" (for --stats). */
const char *vm_device_name(uint64_t addr, bool mmio, void *vm);

#endif
