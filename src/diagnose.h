/* Death diagnoses: the host limitation, confirmed by a probe, behind a guest's death. */
#ifndef MINI_KVM_DIAGNOSE_H
#define MINI_KVM_DIAGNOSE_H

struct kvm_host;
struct vm;

/*
 * After vm died (VM_END_DIED, its vCPUs stopped), look for a known limitation of
 * host's KVM that explains the death -- the boot mode it cannot run, ring-0
 * instructions its emulator lacks (only when the dead instruction is one of them),
 * system calls that do not reach ring 0 -- confirming it with a probe; failing that,
 * for a bare guest whose first VM exit was its triple fault, what such an early death
 * usually is. Returns a malloc()ed sentence, or NULL when nothing known explains it.
 */
char *diagnose_death(const struct kvm_host *host, const struct vm *vm);

#endif
