/* SPDX-License-Identifier: MIT */
/* The host's KVM: /dev/kvm, its API version, the capabilities mini-kvm relies on. */
#ifndef MINI_KVM_KVM_H
#define MINI_KVM_KVM_H

#include <stdbool.h>
#include <stdint.h>

#define KVM_DEVICE_PATH "/dev/kvm"
/* The stable KVM API has been version 12 since Linux 2.6.22. */
#define KVM_EXPECTED_API_VERSION 12

struct kvm_cpuid2;
struct kvm_cpuid_read;

struct kvm_host {
	int fd;			/* /dev/kvm, O_RDWR | O_CLOEXEC */
	int api_version;	/* KVM_GET_API_VERSION */
	int vcpu_mmap_size;	/* bytes of struct kvm_run and its data pages */
	uint32_t sync_regs;	/* KVM_CAP_SYNC_REGS: KVM_SYNC_X86_* bits */
	int max_vcpus;		/* KVM_CAP_MAX_VCPUS (or NR_VCPUS) */
	bool identity_map_addr; /* KVM_CAP_SET_IDENTITY_MAP_ADDR */
	char module[32];	/* kvm_intel, kvm_amd, kvm_pvm ... or "unknown" */
	/* KVM_GET_SUPPORTED_CPUID, read once, when first asked: kvm_host_cpuid() */
	struct kvm_cpuid_read *cpuid_read;
};

/*
 * Open path (normally KVM_DEVICE_PATH), check the API version and every capability
 * mini-kvm needs, and make room for the supported CPUID (kvm_host_cpuid()). Returns 0 or -errno with a message that says what is wrong and
 * how to fix it: -ENOENT (no device: module not loaded), -EACCES (no permission: group
 * kvm), -EPROTO (API version), -ENOTSUP (capability), -ENOMEM.
 */
int kvm_host_open(struct kvm_host *host, const char *path);

/* Free the CPUID table and close the device (no thread may use host any more). */
void kvm_host_close(struct kvm_host *host);

/*
 * The host's KVM_GET_SUPPORTED_CPUID table, read once by the first thread that asks
 * (thread-safe: the others wait for it). It costs about a millisecond where CPUID
 * itself exits to a hypervisor below (a nested KVM: every leaf is a host CPUID), so
 * the runner asks with kvm_host_read_cpuid() on its main thread, which would only
 * wait, while the guest threads create their VMs; vcpu_create() asks before any vCPU
 * runs. Returns 0 with the table in *out (the host's: do not free it), or the ioctl's
 * -errno with a message ("KVM_GET_SUPPORTED_CPUID: ...").
 */
int kvm_host_cpuid(const struct kvm_host *host, const struct kvm_cpuid2 **out);

/*
 * Read the KVM_GET_SUPPORTED_CPUID table now on this thread, unless another thread
 * has (or is reading it: then wait). Its error, if any, is kvm_host_cpuid()'s to report.
 */
void kvm_host_read_cpuid(const struct kvm_host *host);

/* KVM_CHECK_EXTENSION on fd (the device or a VM): the capability's value, 0 if absent. */
int kvm_check_cap(int fd, long cap);

/* Name of the loaded KVM vendor module, found under /sys/module; "unknown" if none. */
void kvm_module_name(char *buf, unsigned long size);

/* "IO", "HLT", "SHUTDOWN" ... for a KVM_EXIT_* reason; "UNKNOWN" otherwise. */
const char *kvm_exit_reason_name(uint32_t reason);

/* "emulation failure" ... for a KVM_INTERNAL_ERROR_* suberror; "unknown" otherwise. */
const char *kvm_internal_error_name(uint32_t suberror);

#endif
