/* SPDX-License-Identifier: MIT */
/* Death diagnoses: the host limitation, confirmed by a probe, behind a guest's death. */
#ifndef MINI_KVM_DIAGNOSE_H
#define MINI_KVM_DIAGNOSE_H

#include <stdbool.h>
#include <stddef.h>
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
 * one of them), system calls that do not reach ring 0 -- confirmed with a probe;
 * failing that, for a bare guest whose first VM exit was its triple fault, what such
 * an early death usually is. Returns a malloc()ed sentence, or NULL when nothing
 * known explains it.
 */
char *diagnose_death(const struct kvm_host *host, const struct vm *vm,
		     const struct guest_image *img);

/* What suggests that a guest ran in the wrong mode. */
enum wrong_mode_sign {
	WRONG_MODE_DIED,     /* it died (triple fault, emulation failure) */
	WRONG_MODE_IN_ZEROS, /* it was stopped while executing zero-filled memory */
};

/*
 * The wrong-mode diagnosis alone: img was started in real mode because it is a flat
 * binary and --mode did not say otherwise, its vCPU is still in real mode (cr0: its
 * CR0 at the end), and sign says how it ended. Pure. Returns a malloc()ed sentence
 * or NULL.
 */
char *diagnose_wrong_mode(const struct guest_image *img, uint64_t cr0, enum wrong_mode_sign sign);

/*
 * Whether the instruction at the start of len bytes of code is the one zero-filled
 * memory decodes to, 00 00 (add %al,(%bx,%si)): a vCPU on such a sled. Only the
 * instruction counts, not what follows: a sled wraps around its 64 KiB segment and
 * passes over the program's own bytes, where a timeout may catch it (the nested lane
 * caught one at "00 00 00 e5"). The sled's add also writes one byte, which it then
 * runs over: 00 XX followed by at least 6 zero bytes (to the end of the window) is a
 * sled too (caught at "00 85 00 00 ..."). Pure.
 */
bool diagnose_code_is_zeros(const uint8_t *code, size_t len);

/*
 * After vm was stopped from outside (--timeout, a signal, Ctrl-A x; its vCPUs
 * stopped): the wrong mode again, when its vCPU 0 was executing zero-filled memory
 * in real mode -- where 32-bit code decoded as 16-bit often runs off to, and where a
 * hardware KVM lets it run for ever rather than fail. img: NULL for Linux. Returns a
 * malloc()ed sentence or NULL.
 */
char *diagnose_stopped(const struct vm *vm, const struct guest_image *img);

#endif
