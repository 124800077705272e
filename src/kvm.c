/* SPDX-License-Identifier: MIT */
/* Opening /dev/kvm and checking that it offers what mini-kvm needs. */
#include "kvm.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/kvm.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "error.h"

/* Room for every CPUID leaf KVM reports (it returns -E2BIG when too small). */
#define KVM_CPUID_MAX_ENTRIES 256

/* Capabilities without which mini-kvm cannot run a guest. */
static const struct {
	long cap;
	const char *name;
} required_caps[] = {
	{ KVM_CAP_USER_MEMORY, "KVM_CAP_USER_MEMORY" },
	{ KVM_CAP_SET_TSS_ADDR, "KVM_CAP_SET_TSS_ADDR" },
	{ KVM_CAP_EXT_CPUID, "KVM_CAP_EXT_CPUID" },
	{ KVM_CAP_IMMEDIATE_EXIT, "KVM_CAP_IMMEDIATE_EXIT" },
	{ KVM_CAP_SYNC_REGS, "KVM_CAP_SYNC_REGS" },
};

int kvm_check_cap(int fd, long cap)
{
	int ret = ioctl(fd, KVM_CHECK_EXTENSION, cap);

	return ret < 0 ? 0 : ret;
}

void kvm_module_name(char *buf, unsigned long size)
{
	DIR *dir = opendir("/sys/module");
	struct dirent *de;

	snprintf(buf, size, "unknown");
	if (!dir)
		return;
	/* The vendor module is the one named kvm_<something> (kvm itself is the core). */
	while ((de = readdir(dir))) {
		if (!strncmp(de->d_name, "kvm_", strlen("kvm_"))) {
			snprintf(buf, size, "%s", de->d_name);
			break;
		}
	}
	closedir(dir);
}

static int open_device(const char *path)
{
	int fd = open(path, O_RDWR | O_CLOEXEC);

	if (fd >= 0)
		return fd;
	switch (errno) {
	case ENOENT:
		return error_set(
			ENOENT,
			"%s: no such device: the KVM module is not loaded "
			"(modprobe kvm_intel or kvm_amd; is virtualization enabled in the firmware?)",
			path);
	case EACCES:
	case EPERM:
		return error_set(EACCES,
				 "%s: permission denied: add your user to group 'kvm' "
				 "(sudo usermod -aG kvm $USER, then log in again) or run as root",
				 path);
	default:
		return error_errno(errno, "%s: cannot open", path);
	}
}

/* Where the host's KVM_GET_SUPPORTED_CPUID table is (kvm_host_cpuid()). */
enum cpuid_state {
	CPUID_UNREAD,  /* nobody has asked yet */
	CPUID_READING, /* one thread is in the ioctl; others wait for done */
	CPUID_READ,    /* err and table are final */
};

/* KVM_GET_SUPPORTED_CPUID, read once by whichever thread comes first. */
struct kvm_cpuid_read {
	int fd; /* /dev/kvm */
	pthread_mutex_t lock;
	pthread_cond_t done;	  /* state became CPUID_READ */
	enum cpuid_state state;	  /* under lock */
	int err;		  /* the ioctl's errno, 0 if it succeeded */
	struct kvm_cpuid2 *table; /* KVM_CPUID_MAX_ENTRIES entries of room */
};

/* Read the table on this thread unless another has or does: then wait for it. */
static void read_supported_cpuid(struct kvm_cpuid_read *r)
{
	pthread_mutex_lock(&r->lock);
	if (r->state == CPUID_UNREAD) {
		r->state = CPUID_READING;
		pthread_mutex_unlock(&r->lock);
		r->table->nent = KVM_CPUID_MAX_ENTRIES;
		r->err = ioctl(r->fd, KVM_GET_SUPPORTED_CPUID, r->table) < 0 ? errno : 0;
		pthread_mutex_lock(&r->lock);
		r->state = CPUID_READ;
		pthread_cond_broadcast(&r->done);
	}
	while (r->state != CPUID_READ)
		pthread_cond_wait(&r->done, &r->lock);
	pthread_mutex_unlock(&r->lock);
}

static void cpuid_read_free(struct kvm_cpuid_read *r)
{
	if (!r)
		return;
	pthread_cond_destroy(&r->done);
	pthread_mutex_destroy(&r->lock);
	free(r->table);
	free(r);
}

/* The table's room, allocated here: no thread needs a malloc arena of its own for it. */
static int cpuid_read_alloc(struct kvm_host *host)
{
	struct kvm_cpuid_read *r = calloc(1, sizeof(*r));

	if (!r)
		return error_set(ENOMEM, "cannot allocate the CPUID table");
	r->table =
		calloc(1, sizeof(*r->table) + KVM_CPUID_MAX_ENTRIES * sizeof(r->table->entries[0]));
	if (!r->table) {
		free(r);
		return error_set(ENOMEM, "cannot allocate the CPUID table");
	}
	r->fd = host->fd;
	pthread_mutex_init(&r->lock, NULL);
	pthread_cond_init(&r->done, NULL);
	r->state = CPUID_UNREAD;
	host->cpuid_read = r;
	return 0;
}

void kvm_host_read_cpuid(const struct kvm_host *host)
{
	if (host->cpuid_read)
		read_supported_cpuid(host->cpuid_read);
}

int kvm_host_cpuid(const struct kvm_host *host, const struct kvm_cpuid2 **out)
{
	struct kvm_cpuid_read *r = host->cpuid_read;

	if (!r)
		return error_set(EBADF, "KVM_GET_SUPPORTED_CPUID: /dev/kvm is not open");
	read_supported_cpuid(r);
	if (r->err)
		return error_errno(r->err, "KVM_GET_SUPPORTED_CPUID");
	*out = r->table;
	return 0;
}

int kvm_host_open(struct kvm_host *host, const char *path)
{
	int ret;

	memset(host, 0, sizeof(*host));
	host->fd = -1;
	kvm_module_name(host->module, sizeof(host->module));

	ret = open_device(path);
	if (ret < 0)
		return ret;
	host->fd = ret;

	host->api_version = ioctl(host->fd, KVM_GET_API_VERSION, 0);
	if (host->api_version != KVM_EXPECTED_API_VERSION) {
		ret = error_set(EPROTO, "%s: KVM API version %d, mini-kvm needs %d", path,
				host->api_version, KVM_EXPECTED_API_VERSION);
		goto fail;
	}
	for (size_t i = 0; i < sizeof(required_caps) / sizeof(required_caps[0]); i++) {
		if (!kvm_check_cap(host->fd, required_caps[i].cap)) {
			ret = error_set(ENOTSUP, "%s (%s): capability %s missing", path,
					host->module, required_caps[i].name);
			goto fail;
		}
	}
	/* Hypercalls read registers and the CPU mode from kvm_run, without an ioctl. */
	host->sync_regs = kvm_check_cap(host->fd, KVM_CAP_SYNC_REGS);
	if ((host->sync_regs & (KVM_SYNC_X86_REGS | KVM_SYNC_X86_SREGS)) !=
	    (KVM_SYNC_X86_REGS | KVM_SYNC_X86_SREGS)) {
		ret = error_set(ENOTSUP,
				"%s (%s): KVM_CAP_SYNC_REGS lacks general or segment registers",
				path, host->module);
		goto fail;
	}
	host->vcpu_mmap_size = ioctl(host->fd, KVM_GET_VCPU_MMAP_SIZE, 0);
	if (host->vcpu_mmap_size < (int)sizeof(struct kvm_run)) {
		ret = error_errno(errno, "%s: KVM_GET_VCPU_MMAP_SIZE", path);
		goto fail;
	}
	host->max_vcpus = kvm_check_cap(host->fd, KVM_CAP_MAX_VCPUS);
	if (!host->max_vcpus)
		host->max_vcpus = kvm_check_cap(host->fd, KVM_CAP_NR_VCPUS);
	host->identity_map_addr = kvm_check_cap(host->fd, KVM_CAP_SET_IDENTITY_MAP_ADDR);
	ret = cpuid_read_alloc(host);
	if (ret < 0)
		goto fail;
	return 0;
fail:
	kvm_host_close(host);
	return ret;
}

void kvm_host_close(struct kvm_host *host)
{
	cpuid_read_free(host->cpuid_read);
	host->cpuid_read = NULL;
	if (host->fd >= 0)
		close(host->fd);
	host->fd = -1;
}

const char *kvm_exit_reason_name(uint32_t reason)
{
	static const char *const names[] = {
		[KVM_EXIT_UNKNOWN] = "UNKNOWN",
		[KVM_EXIT_EXCEPTION] = "EXCEPTION",
		[KVM_EXIT_IO] = "IO",
		[KVM_EXIT_HYPERCALL] = "HYPERCALL",
		[KVM_EXIT_DEBUG] = "DEBUG",
		[KVM_EXIT_HLT] = "HLT",
		[KVM_EXIT_MMIO] = "MMIO",
		[KVM_EXIT_IRQ_WINDOW_OPEN] = "IRQ_WINDOW_OPEN",
		[KVM_EXIT_SHUTDOWN] = "SHUTDOWN",
		[KVM_EXIT_FAIL_ENTRY] = "FAIL_ENTRY",
		[KVM_EXIT_INTR] = "INTR",
		[KVM_EXIT_SET_TPR] = "SET_TPR",
		[KVM_EXIT_TPR_ACCESS] = "TPR_ACCESS",
		[KVM_EXIT_NMI] = "NMI",
		[KVM_EXIT_INTERNAL_ERROR] = "INTERNAL_ERROR",
		[KVM_EXIT_SYSTEM_EVENT] = "SYSTEM_EVENT",
		[KVM_EXIT_IOAPIC_EOI] = "IOAPIC_EOI",
		[KVM_EXIT_HYPERV] = "HYPERV",
		[KVM_EXIT_X86_RDMSR] = "X86_RDMSR",
		[KVM_EXIT_X86_WRMSR] = "X86_WRMSR",
		[KVM_EXIT_DIRTY_RING_FULL] = "DIRTY_RING_FULL",
		[KVM_EXIT_X86_BUS_LOCK] = "X86_BUS_LOCK",
	};

	if (reason < sizeof(names) / sizeof(names[0]) && names[reason])
		return names[reason];
	return "UNKNOWN";
}

const char *kvm_internal_error_name(uint32_t suberror)
{
	switch (suberror) {
	case KVM_INTERNAL_ERROR_EMULATION:
		return "emulation failure (KVM's instruction emulator could not run the instruction)";
	case KVM_INTERNAL_ERROR_SIMUL_EX:
		return "simultaneous exceptions (an exception while delivering another)";
	case KVM_INTERNAL_ERROR_DELIVERY_EV:
		return "event delivery failed (an exit while delivering an interrupt or exception)";
	case KVM_INTERNAL_ERROR_UNEXPECTED_EXIT_REASON:
		return "unexpected hardware exit reason";
	}
	return "unknown suberror";
}
