/* Death diagnoses: the host limitation, confirmed by a probe, behind a guest's death. */
#ifndef MINI_KVM_DIAGNOSE_H
#define MINI_KVM_DIAGNOSE_H

#include <stdint.h>

struct guest_image;
struct kvm_host;
struct vm;

/*
 * After vm died (VM_END_DIED, its vCPUs stopped), look for what explains the death:
 * a flat binary started in real mode by default (no --mode) that died still in real
 * mode is likely 32- or 64-bit code run in the wrong mode (img: the guest's image,
 * NULL for Linux); or a known limitation of host's KVM -- the boot mode it cannot
 * run, ring-0 instructions its emulator lacks (only when the dead instruction is
 * one of them), system calls that do not reach ring 0 -- confirmed with a probe.
 * Returns a malloc()ed sentence, or NULL when nothing known explains it.
 */
char *diagnose_death(const struct kvm_host *host, const struct vm *vm,
		     const struct guest_image *img);

/*
 * The wrong-mode diagnosis alone: img was started in real mode because it is a flat
 * binary and --mode did not say otherwise, and its vCPU died still in real mode
 * (cr0: its CR0 at death). Pure. Returns a malloc()ed sentence or NULL.
 */
char *diagnose_wrong_mode(const struct guest_image *img, uint64_t cr0);

#endif
