/* SPDX-License-Identifier: MIT */
/* -v: one line saying what a guest is and what it is given, before it runs. */
#ifndef MINI_KVM_DESCRIBE_H
#define MINI_KVM_DESCRIBE_H

#include <stddef.h>

struct guest_image;
struct linux_guest;
struct options;

/*
 * "[1:hello] 'hello.bin': flat binary, real mode, 19 bytes at 0x0-0x13, entry 0x0;
 * 128 MiB of RAM, 1 vCPU" into out (size bytes, always NUL-terminated).
 */
void describe_image(char *out, size_t size, const char *label, const struct guest_image *img,
		    const struct options *opts);

/*
 * "[1:linux] bzImage 'vmlinuz' (boot protocol 2.15), initrd 'initrd.img' (N bytes),
 * command line 'pci=off console=ttyS0'; 256 MiB of RAM, 2 vCPUs" into out (for a PVH
 * boot: "vmlinux 'vmlinux' (PVH entry 0x...)").
 */
void describe_linux(char *out, size_t size, const char *label, const struct linux_guest *lg,
		    const struct options *opts);

#endif
