/* SPDX-License-Identifier: MIT */
/*
 * System calls. Why syscall and not int 0x80: it is the x86-64 way (one MSR-set entry
 * point, no IDT gate, no memory access to find the handler), and on kvm_pvm, whose
 * ring-3 -> ring-0 transitions are broken, it is the one that can be rescued: there
 * `syscall` lands at LSTAR still in ring 3, the fetch from the supervisor-only kernel
 * page faults, and the page-fault handler (trap.c) finishes the call; `int $0x80`
 * through a DPL-3 gate triple-faults there, which no kernel can catch.
 */
#include "abi.h"
#include "tty.h"
#include "fs.h"
#include "page.h"
#include "proc.h"
#include "segments.h"
#include "str.h"
#include "syscall.h"
#include "trap.h"
#include "pagetable.h"
#include "privileged.h"

/* STAR (SDM 3A, 5.8.8): kernel CS at bits 47:32, the sysret base at bits 63:48. */
#define STAR_KERNEL_SHIFT 32
#define STAR_USER_SHIFT	  48
/* Cleared on entry: interrupts stay off in the kernel, DF as the ABI wants, no single-step. */
#define RFLAGS_TF    (1u << 8)
#define SFMASK_VALUE (RFLAGS_IF | RFLAGS_DF | RFLAGS_TF)
#define LISTING_MAX  1024 /* ps and ls output: ample for 16 entries of each */

void syscall_init(void)
{
	wrmsr(MSR_EFER, rdmsr(MSR_EFER) | EFER_SCE);
	wrmsr(MSR_STAR,
	      (uint64_t)SYSRET_BASE << STAR_USER_SHIFT | (uint64_t)KERNEL_CS << STAR_KERNEL_SHIFT);
	wrmsr(MSR_LSTAR, (uint64_t)(uintptr_t)syscall_entry);
	wrmsr(MSR_SFMASK, SFMASK_VALUE);
}

/* A user buffer the kernel may read (or write): mapped user pages in the running process. */
static int user_ok(uint64_t va, uint64_t len, int write)
{
	return vm_user_range_ok(proc_pml4(), va, len, write);
}

/* Copy a NUL-terminated user string of fewer than cap bytes; 0 or OS_EFAULT/OS_ENAMETOOLONG. */
static int copy_string(char *dst, uint64_t va, size_t cap)
{
	for (size_t i = 0; i < cap; i++) {
		if ((i == 0 || (va + i) % USER_PAGE_SIZE == 0) && !user_ok(va + i, 1, 0))
			return OS_EFAULT;
		dst[i] = *(const char *)(uintptr_t)(va + i);
		if (!dst[i])
			return 0;
	}
	return OS_ENAMETOOLONG;
}

static int64_t sys_write(uint64_t buf, uint64_t len)
{
	if (!user_ok(buf, len, 0))
		return OS_EFAULT;
	for (uint64_t i = 0; i < len; i++)
		console_putc(((const char *)(uintptr_t)buf)[i]);
	return (int64_t)len;
}

static int64_t sys_readfile(uint64_t name_va, uint64_t buf, uint64_t len)
{
	char name[FILE_NAME_MAX];
	int ret = copy_string(name, name_va, sizeof(name));

	if (ret)
		return ret;
	if (!user_ok(buf, len, 1))
		return OS_EFAULT;
	return fs_read(name, (void *)(uintptr_t)buf, len);
}

static int64_t sys_writefile(uint64_t name_va, uint64_t data, uint64_t len)
{
	char name[FILE_NAME_MAX];
	int ret = copy_string(name, name_va, sizeof(name));

	if (ret)
		return ret;
	if (!user_ok(data, len, 0))
		return OS_EFAULT;
	return fs_write(name, (const void *)(uintptr_t)data, len);
}

/* ls and ps: format into a kernel buffer, then copy what fits. */
static int64_t copy_listing(uint64_t buf, uint64_t len, size_t (*list)(char *, size_t))
{
	static char text[LISTING_MAX];
	size_t n = list(text, sizeof(text));

	if (n > len)
		n = len;
	if (!user_ok(buf, n, 1))
		return OS_EFAULT;
	page_copy((void *)(uintptr_t)buf, text, n);
	return (int64_t)n;
}

static int64_t sys_spawn(uint64_t name_va)
{
	char name[PROC_NAME_MAX];
	int ret = copy_string(name, name_va, sizeof(name));

	return ret ? ret : proc_spawn(name, proc_pid());
}

void syscall_dispatch(struct trap_frame *f)
{
	uint64_t a = f->rdi, b = f->rsi, c = f->rdx;
	int64_t ret;

	switch (f->rax) {
	case SYS_EXIT:
		proc_exit((int)a);
	case SYS_PUTCHAR:
		console_putc((char)a);
		ret = 0;
		break;
	case SYS_GETCHAR:
		ret = proc_getchar();
		break;
	case SYS_WRITE:
		ret = sys_write(a, b);
		break;
	case SYS_YIELD:
		sched_yield();
		ret = 0;
		break;
	case SYS_READFILE:
		ret = sys_readfile(a, b, c);
		break;
	case SYS_WRITEFILE:
		ret = sys_writefile(a, b, c);
		break;
	case SYS_LISTFILES:
		ret = copy_listing(a, b, fs_list);
		break;
	case SYS_PS:
		ret = copy_listing(a, b, proc_list);
		break;
	case SYS_SPAWN:
		ret = sys_spawn(a);
		break;
	case SYS_WAIT:
		ret = proc_wait((int)a);
		break;
	case SYS_GETPID:
		ret = proc_pid();
		break;
	case SYS_TICKS:
		ret = (int64_t)trap_ticks();
		break;
	case SYS_FREEPAGES:
		ret = (int64_t)page_free_count();
		break;
	case SYS_CRASH:
		/*
		 * What a kernel bug looks like: a load from address 0 in ring 0. Nothing is
		 * mapped there, so the page fault's handler sees a kernel-mode fault and
		 * stops the VM (panic, OS_PANIC_STATUS). In asm, so that the compiler
		 * cannot treat the NULL dereference as undefined and drop or replace it.
		 */
		__asm__ volatile("mov 0, %%rax" : : : "rax", "memory");
		ret = 0;
		break;
	default:
		ret = OS_ENOSYS;
		break;
	}
	f->rax = (uint64_t)ret;
}
