/* `mini-kvm check`: tiny probe guests that find out what this host's KVM can run. */
#ifndef MINI_KVM_CHECK_H
#define MINI_KVM_CHECK_H

#include <stdbool.h>
#include <stdio.h>

struct kvm_host;
struct vm;

/*
 * Open /dev/kvm, run every probe and print one line per capability on out:
 * "<name> yes|no <detail>", after a header naming the KVM module.
 * Returns 0, or -errno with a message when KVM cannot be opened.
 */
int check_run(FILE *out);

/*
 * Can host run a stock Linux kernel? Linux's user space enters the kernel with
 * syscall; a KVM that cannot deliver that to ring 0 (the 'syscall' probe) would
 * spend minutes emulating the kernel before dying. Returns 0, or -ENOTSUP with a
 * message naming the host's KVM and the failing probe.
 */
int check_linux_host(const struct kvm_host *host);

/*
 * After vm died (VM_END_DIED), look for a known host limitation that explains
 * its death, confirming it with a probe. Returns a malloc()ed sentence or NULL.
 */
char *check_explain_death(const struct kvm_host *host, const struct vm *vm);

#endif
