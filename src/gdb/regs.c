/* SPDX-License-Identifier: MIT */
/* gdb's view of an x86 vCPU: register tables for the g/G/p/P formats, and the matching XML. */
#include "gdb/regs.h"

#include <errno.h>
#include <string.h>

#include "arch/x86/x86.h"

/* One register on the wire: its name, wire size, and the struct gdb_regs field behind it. */
struct reg_desc {
	const char *name;
	uint8_t wire;	 /* bytes on the wire (the XML's bitsize / 8) */
	uint8_t size;	 /* bytes of the field in struct gdb_regs */
	uint16_t offset; /* of that field */
	bool pc;	 /* the program counter: a linear address on the wire */
};

#define FIELD_SIZE(field) sizeof(((struct gdb_regs *)0)->field)
#define REG(name, wire, field)                                                         \
	{                                                                              \
		name, wire, FIELD_SIZE(field), offsetof(struct gdb_regs, field), false \
	}
#define PC_REG(name, wire, field)                                                     \
	{                                                                             \
		name, wire, FIELD_SIZE(field), offsetof(struct gdb_regs, field), true \
	}

/* org.mini-kvm.x86.system, in both layouts: what a kernel debugger wants beyond user state. */
/* clang-format off */
#define SYSTEM_REGS \
	REG("cr0", 8, cr0), \
	REG("cr2", 8, cr2), \
	REG("cr3", 8, cr3), \
	REG("cr4", 8, cr4), \
	REG("cr8", 8, cr8), \
	REG("efer", 8, efer), \
	REG("cs_base", 8, seg[GDB_SEG_CS].base), \
	REG("ss_base", 8, seg[GDB_SEG_SS].base), \
	REG("ds_base", 8, seg[GDB_SEG_DS].base), \
	REG("es_base", 8, seg[GDB_SEG_ES].base), \
	REG("cs_limit", 4, seg[GDB_SEG_CS].limit), \
	REG("ss_limit", 4, seg[GDB_SEG_SS].limit), \
	REG("ds_limit", 4, seg[GDB_SEG_DS].limit), \
	REG("es_limit", 4, seg[GDB_SEG_ES].limit), \
	REG("fs_limit", 4, seg[GDB_SEG_FS].limit), \
	REG("gs_limit", 4, seg[GDB_SEG_GS].limit), \
	REG("gdtr_base", 8, gdtr.base), \
	REG("gdtr_limit", 4, gdtr.limit), \
	REG("idtr_base", 8, idtr.base), \
	REG("idtr_limit", 4, idtr.limit), \
	REG("ldtr", 4, ldtr.selector), \
	REG("ldtr_base", 8, ldtr.base), \
	REG("ldtr_limit", 4, ldtr.limit), \
	REG("tr", 4, tr.selector), \
	REG("tr_base", 8, tr.base), \
	REG("tr_limit", 4, tr.limit),
/* clang-format on */

/*
 * In target-description order, which gives the register numbers: the document
 * order of target.xml and its includes (GDB manual, G.2 Target Description
 * Format, regnum: "one greater than that of the previous register").
 */
static const struct reg_desc regs64[] = {
	/* org.gnu.gdb.i386.core (G.5.4 i386 Features; names and order gdb requires) */
	REG("rax", 8, gpr[GDB_RAX]), REG("rbx", 8, gpr[GDB_RBX]), REG("rcx", 8, gpr[GDB_RCX]),
	REG("rdx", 8, gpr[GDB_RDX]), REG("rsi", 8, gpr[GDB_RSI]), REG("rdi", 8, gpr[GDB_RDI]),
	REG("rbp", 8, gpr[GDB_RBP]), REG("rsp", 8, gpr[GDB_RSP]), REG("r8", 8, gpr[GDB_R8]),
	REG("r9", 8, gpr[GDB_R9]), REG("r10", 8, gpr[GDB_R10]), REG("r11", 8, gpr[GDB_R11]),
	REG("r12", 8, gpr[GDB_R12]), REG("r13", 8, gpr[GDB_R13]), REG("r14", 8, gpr[GDB_R14]),
	REG("r15", 8, gpr[GDB_R15]), PC_REG("rip", 8, rip), REG("eflags", 4, rflags),
	REG("cs", 4, seg[GDB_SEG_CS].selector), REG("ss", 4, seg[GDB_SEG_SS].selector),
	REG("ds", 4, seg[GDB_SEG_DS].selector), REG("es", 4, seg[GDB_SEG_ES].selector),
	REG("fs", 4, seg[GDB_SEG_FS].selector), REG("gs", 4, seg[GDB_SEG_GS].selector),
	REG("st0", 10, st[0]), REG("st1", 10, st[1]), REG("st2", 10, st[2]), REG("st3", 10, st[3]),
	REG("st4", 10, st[4]), REG("st5", 10, st[5]), REG("st6", 10, st[6]), REG("st7", 10, st[7]),
	REG("fctrl", 4, fctrl), REG("fstat", 4, fstat), REG("ftag", 4, ftag),
	REG("fiseg", 4, fiseg), REG("fioff", 4, fioff), REG("foseg", 4, foseg),
	REG("fooff", 4, fooff), REG("fop", 4, fop),
	/* org.gnu.gdb.i386.sse */
	REG("xmm0", 16, xmm[0]), REG("xmm1", 16, xmm[1]), REG("xmm2", 16, xmm[2]),
	REG("xmm3", 16, xmm[3]), REG("xmm4", 16, xmm[4]), REG("xmm5", 16, xmm[5]),
	REG("xmm6", 16, xmm[6]), REG("xmm7", 16, xmm[7]), REG("xmm8", 16, xmm[8]),
	REG("xmm9", 16, xmm[9]), REG("xmm10", 16, xmm[10]), REG("xmm11", 16, xmm[11]),
	REG("xmm12", 16, xmm[12]), REG("xmm13", 16, xmm[13]), REG("xmm14", 16, xmm[14]),
	REG("xmm15", 16, xmm[15]), REG("mxcsr", 4, mxcsr),
	/* org.gnu.gdb.i386.segments */
	REG("fs_base", 8, seg[GDB_SEG_FS].base), REG("gs_base", 8, seg[GDB_SEG_GS].base),
	SYSTEM_REGS
};

/* The same for a vCPU not in long mode: gdb's i386 layout (hardware order of the GPRs). */
static const struct reg_desc regs32[] = {
	/* org.gnu.gdb.i386.core */
	REG("eax", 4, gpr[GDB_RAX]), REG("ecx", 4, gpr[GDB_RCX]), REG("edx", 4, gpr[GDB_RDX]),
	REG("ebx", 4, gpr[GDB_RBX]), REG("esp", 4, gpr[GDB_RSP]), REG("ebp", 4, gpr[GDB_RBP]),
	REG("esi", 4, gpr[GDB_RSI]), REG("edi", 4, gpr[GDB_RDI]), PC_REG("eip", 4, rip),
	REG("eflags", 4, rflags), REG("cs", 4, seg[GDB_SEG_CS].selector),
	REG("ss", 4, seg[GDB_SEG_SS].selector), REG("ds", 4, seg[GDB_SEG_DS].selector),
	REG("es", 4, seg[GDB_SEG_ES].selector), REG("fs", 4, seg[GDB_SEG_FS].selector),
	REG("gs", 4, seg[GDB_SEG_GS].selector), REG("st0", 10, st[0]), REG("st1", 10, st[1]),
	REG("st2", 10, st[2]), REG("st3", 10, st[3]), REG("st4", 10, st[4]), REG("st5", 10, st[5]),
	REG("st6", 10, st[6]), REG("st7", 10, st[7]), REG("fctrl", 4, fctrl),
	REG("fstat", 4, fstat), REG("ftag", 4, ftag), REG("fiseg", 4, fiseg),
	REG("fioff", 4, fioff), REG("foseg", 4, foseg), REG("fooff", 4, fooff), REG("fop", 4, fop),
	/* org.gnu.gdb.i386.sse */
	REG("xmm0", 16, xmm[0]), REG("xmm1", 16, xmm[1]), REG("xmm2", 16, xmm[2]),
	REG("xmm3", 16, xmm[3]), REG("xmm4", 16, xmm[4]), REG("xmm5", 16, xmm[5]),
	REG("xmm6", 16, xmm[6]), REG("xmm7", 16, xmm[7]), REG("mxcsr", 4, mxcsr),
	/* org.mini-kvm.x86.bases32 (see tdesc_bases32) */
	REG("fs_base", 4, seg[GDB_SEG_FS].base), REG("gs_base", 4, seg[GDB_SEG_GS].base),
	SYSTEM_REGS
};

struct layout {
	const struct reg_desc *regs;
	unsigned int count;
};

static const struct layout layout64 = { regs64, sizeof(regs64) / sizeof(regs64[0]) };
static const struct layout layout32 = { regs32, sizeof(regs32) / sizeof(regs32[0]) };

_Static_assert(GDB_REGNO_RIP == 16 && GDB_REGNO_CR0 == 59, "register numbers follow regs64");

/* i386 and i8086 share a layout; AUTO, or anything else, is x86-64. */
static const struct layout *layout_of(enum gdb_arch arch)
{
	return arch == GDB_ARCH_I386 || arch == GDB_ARCH_I8086 ? &layout32 : &layout64;
}

/* EFLAGS.VM: virtual-8086 mode, 16-bit code under protected mode (SDM vol. 1, 3.4.3.3). */
#define X86_RFLAGS_VM (1ULL << 17)

/* Outside 64-bit code a linear address has 32 bits (SDM 3A 3.4: segment base + offset). */
#define LINEAR32_MASK 0xffffffffULL

/* x87 tag values (SDM vol. 1, 8.1.7) and the extended-precision layout (4.2.2). */
#define X87_TAG_VALID	0
#define X87_TAG_ZERO	1
#define X87_TAG_SPECIAL 2
#define X87_TAG_EMPTY	3
#define X87_TAG_BITS	2
#define X87_TAG_MASK	3
#define X87_TOP_SHIFT	11
#define X87_TOP_MASK	7
#define X87_EXP_MAX	0x7fff
#define X87_EXP_MASK	0x7fff
#define X87_INTEGER_BIT (1ULL << 63)

unsigned int gdb_regs_count(enum gdb_arch arch)
{
	return layout_of(arch)->count;
}

size_t gdb_regs_wire_size(enum gdb_arch arch)
{
	const struct layout *l = layout_of(arch);
	size_t i, total = 0;

	for (i = 0; i < l->count; i++)
		total += l->regs[i].wire;
	return total;
}

const char *gdb_regs_name(enum gdb_arch arch, unsigned int regno)
{
	const struct layout *l = layout_of(arch);

	return regno < l->count ? l->regs[regno].name : NULL;
}

size_t gdb_regs_size(enum gdb_arch arch, unsigned int regno)
{
	const struct layout *l = layout_of(arch);

	return regno < l->count ? l->regs[regno].wire : 0;
}

enum gdb_arch gdb_regs_arch(const struct gdb_regs *r)
{
	if (r->efer & X86_EFER_LMA)
		return GDB_ARCH_X86_64;
	if ((r->cr0 & X86_CR0_PE) && !(r->rflags & X86_RFLAGS_VM))
		return GDB_ARCH_I386;
	return GDB_ARCH_I8086; /* real mode, or virtual-8086 mode */
}

bool gdb_regs_code64(const struct gdb_regs *r)
{
	return (r->efer & X86_EFER_LMA) && r->seg[GDB_SEG_CS].l;
}

uint64_t gdb_regs_pc(const struct gdb_regs *r)
{
	if (gdb_regs_code64(r))
		return r->rip;
	return (r->seg[GDB_SEG_CS].base + r->rip) & LINEAR32_MASK;
}

void gdb_regs_set_pc(struct gdb_regs *r, uint64_t linear_pc)
{
	if (gdb_regs_code64(r))
		r->rip = linear_pc;
	else
		r->rip = (linear_pc - r->seg[GDB_SEG_CS].base) & LINEAR32_MASK;
}

/* One register's wire bytes (little-endian; the host is x86 too). */
static void get_one(const struct gdb_regs *r, const struct reg_desc *d, uint8_t *out)
{
	uint64_t pc;

	memset(out, 0, d->wire);
	if (d->pc) {
		pc = gdb_regs_pc(r);
		memcpy(out, &pc, d->wire < sizeof(pc) ? d->wire : sizeof(pc));
		return;
	}
	memcpy(out, (const uint8_t *)r + d->offset, d->wire < d->size ? d->wire : d->size);
}

static void set_one(struct gdb_regs *r, const struct reg_desc *d, const uint8_t *in)
{
	uint8_t *field = (uint8_t *)r + d->offset;
	uint64_t pc = 0;

	if (d->pc) {
		memcpy(&pc, in, d->wire < sizeof(pc) ? d->wire : sizeof(pc));
		gdb_regs_set_pc(r, pc);
		return;
	}
	memset(field, 0, d->size);
	memcpy(field, in, d->wire < d->size ? d->wire : d->size);
}

void gdb_regs_to_wire(enum gdb_arch arch, const struct gdb_regs *r, uint8_t *out)
{
	const struct layout *l = layout_of(arch);
	size_t i;

	for (i = 0; i < l->count; i++) {
		get_one(r, &l->regs[i], out);
		out += l->regs[i].wire;
	}
}

void gdb_regs_from_wire(enum gdb_arch arch, struct gdb_regs *r, const uint8_t *in)
{
	const struct layout *l = layout_of(arch);
	const uint8_t *pc_bytes = NULL;
	size_t i, pc_index = 0;

	for (i = 0; i < l->count; i++) {
		if (l->regs[i].pc) {
			pc_bytes = in;
			pc_index = i;
		} else {
			set_one(r, &l->regs[i], in);
		}
		in += l->regs[i].wire;
	}
	/* Last: the program counter is linear, relative to the CS base just set. */
	if (pc_bytes)
		set_one(r, &l->regs[pc_index], pc_bytes);
}

ssize_t gdb_regs_get(enum gdb_arch arch, const struct gdb_regs *r, unsigned int regno, uint8_t *out)
{
	const struct layout *l = layout_of(arch);

	if (regno >= l->count)
		return -EINVAL;
	get_one(r, &l->regs[regno], out);
	return l->regs[regno].wire;
}

int gdb_regs_set(enum gdb_arch arch, struct gdb_regs *r, unsigned int regno, const uint8_t *in,
		 size_t len)
{
	const struct layout *l = layout_of(arch);

	if (regno >= l->count || len != l->regs[regno].wire)
		return -EINVAL;
	set_one(r, &l->regs[regno], in);
	return 0;
}

/* The class of one 80-bit register's contents, as a tag (SDM vol. 1, table 8-3 / 4.8). */
static unsigned int x87_classify(const uint8_t reg[GDB_X87_REG_SIZE])
{
	uint64_t significand;
	unsigned int exponent = (unsigned int)(reg[9] << 8 | reg[8]) & X87_EXP_MASK;

	memcpy(&significand, reg, sizeof(significand));
	if (exponent == X87_EXP_MAX)
		return X87_TAG_SPECIAL; /* infinity or NaN */
	if (exponent == 0)
		return significand ? X87_TAG_SPECIAL : X87_TAG_ZERO; /* denormal or zero */
	return (significand & X87_INTEGER_BIT) ? X87_TAG_VALID : X87_TAG_SPECIAL; /* unnormal */
}

uint16_t gdb_x87_tag_full(uint8_t abridged, uint16_t fstat,
			  const uint8_t st[GDB_X87_REGS][GDB_X87_REG_SIZE])
{
	unsigned int top = (fstat >> X87_TOP_SHIFT) & X87_TOP_MASK, i, tag;
	uint16_t full = 0;

	for (i = 0; i < GDB_X87_REGS; i++) {
		if (abridged & (1u << i))
			tag = x87_classify(st[(i - top) & X87_TOP_MASK]);
		else
			tag = X87_TAG_EMPTY;
		full |= (uint16_t)(tag << (X87_TAG_BITS * i));
	}
	return full;
}

uint8_t gdb_x87_tag_abridged(uint16_t full)
{
	uint8_t abridged = 0;
	unsigned int i;

	for (i = 0; i < GDB_X87_REGS; i++) {
		if (((full >> (X87_TAG_BITS * i)) & X87_TAG_MASK) != X87_TAG_EMPTY)
			abridged |= (uint8_t)(1u << i);
	}
	return abridged;
}

/*
 * The target descriptions (GDB manual, G Target Descriptions; the i386 features of
 * G.5.4). Their reg elements must match regs64[] and regs32[], name for name and
 * size for size: test_gdb_stub checks. Types: G.3 Predefined Target Types, G.4
 * Enum/Flags/Union/Vector types; flag bit positions from the Intel SDM (EFLAGS vol.
 * 1 3.4.3, MXCSR vol. 1 10.2.3, CR0/CR4 vol. 3A 2.5, EFER vol. 3A 2.2.1).
 */
/* clang-format off */
#define XML_HEAD(kind) "<?xml version=\"1.0\"?>\n<!DOCTYPE " kind " SYSTEM \"gdb-target.dtd\">\n"

#define TARGET_XML(arch, bits, bases)                          \
	XML_HEAD("target")                                     \
	"<target version=\"1.0\">\n"                           \
	"  <architecture>" arch "</architecture>\n"            \
	"  <osabi>none</osabi>\n"                              \
	"  <xi:include href=\"mini-kvm-core" bits ".xml\"/>\n" \
	"  <xi:include href=\"mini-kvm-sse" bits ".xml\"/>\n"  \
	"  <xi:include href=\"" bases "\"/>\n"                 \
	"  <xi:include href=\"mini-kvm-system.xml\"/>\n"       \
	"</target>\n"

static const char tdesc_target64[] = TARGET_XML("i386:x86-64", "64", "mini-kvm-segments64.xml");
static const char tdesc_target32[] = TARGET_XML("i386", "32", "mini-kvm-bases32.xml");
static const char tdesc_target16[] = TARGET_XML("i8086", "32", "mini-kvm-bases32.xml");

#define EFLAGS_TYPE                                           \
	"  <flags id=\"x86_eflags\" size=\"4\">\n"            \
	"    <field name=\"CF\" start=\"0\" end=\"0\"/>\n"    \
	"    <field name=\"\" start=\"1\" end=\"1\"/>\n"      \
	"    <field name=\"PF\" start=\"2\" end=\"2\"/>\n"    \
	"    <field name=\"AF\" start=\"4\" end=\"4\"/>\n"    \
	"    <field name=\"ZF\" start=\"6\" end=\"6\"/>\n"    \
	"    <field name=\"SF\" start=\"7\" end=\"7\"/>\n"    \
	"    <field name=\"TF\" start=\"8\" end=\"8\"/>\n"    \
	"    <field name=\"IF\" start=\"9\" end=\"9\"/>\n"    \
	"    <field name=\"DF\" start=\"10\" end=\"10\"/>\n"  \
	"    <field name=\"OF\" start=\"11\" end=\"11\"/>\n"  \
	"    <field name=\"NT\" start=\"14\" end=\"14\"/>\n"  \
	"    <field name=\"RF\" start=\"16\" end=\"16\"/>\n"  \
	"    <field name=\"VM\" start=\"17\" end=\"17\"/>\n"  \
	"    <field name=\"AC\" start=\"18\" end=\"18\"/>\n"  \
	"    <field name=\"VIF\" start=\"19\" end=\"19\"/>\n" \
	"    <field name=\"VIP\" start=\"20\" end=\"20\"/>\n" \
	"    <field name=\"ID\" start=\"21\" end=\"21\"/>\n"  \
	"  </flags>\n"

/* From eflags on, the same in both layouts. */
#define CORE_TAIL                                                               \
	"  <reg name=\"eflags\" bitsize=\"32\" type=\"x86_eflags\"/>\n"         \
	"  <reg name=\"cs\" bitsize=\"32\" type=\"int32\"/>\n"                  \
	"  <reg name=\"ss\" bitsize=\"32\" type=\"int32\"/>\n"                  \
	"  <reg name=\"ds\" bitsize=\"32\" type=\"int32\"/>\n"                  \
	"  <reg name=\"es\" bitsize=\"32\" type=\"int32\"/>\n"                  \
	"  <reg name=\"fs\" bitsize=\"32\" type=\"int32\"/>\n"                  \
	"  <reg name=\"gs\" bitsize=\"32\" type=\"int32\"/>\n"                  \
	"  <reg name=\"st0\" bitsize=\"80\" type=\"i387_ext\"/>\n"              \
	"  <reg name=\"st1\" bitsize=\"80\" type=\"i387_ext\"/>\n"              \
	"  <reg name=\"st2\" bitsize=\"80\" type=\"i387_ext\"/>\n"              \
	"  <reg name=\"st3\" bitsize=\"80\" type=\"i387_ext\"/>\n"              \
	"  <reg name=\"st4\" bitsize=\"80\" type=\"i387_ext\"/>\n"              \
	"  <reg name=\"st5\" bitsize=\"80\" type=\"i387_ext\"/>\n"              \
	"  <reg name=\"st6\" bitsize=\"80\" type=\"i387_ext\"/>\n"              \
	"  <reg name=\"st7\" bitsize=\"80\" type=\"i387_ext\"/>\n"              \
	"  <reg name=\"fctrl\" bitsize=\"32\" type=\"int\" group=\"float\"/>\n" \
	"  <reg name=\"fstat\" bitsize=\"32\" type=\"int\" group=\"float\"/>\n" \
	"  <reg name=\"ftag\" bitsize=\"32\" type=\"int\" group=\"float\"/>\n"  \
	"  <reg name=\"fiseg\" bitsize=\"32\" type=\"int\" group=\"float\"/>\n" \
	"  <reg name=\"fioff\" bitsize=\"32\" type=\"int\" group=\"float\"/>\n" \
	"  <reg name=\"foseg\" bitsize=\"32\" type=\"int\" group=\"float\"/>\n" \
	"  <reg name=\"fooff\" bitsize=\"32\" type=\"int\" group=\"float\"/>\n" \
	"  <reg name=\"fop\" bitsize=\"32\" type=\"int\" group=\"float\"/>\n"   \
	"</feature>\n"

static const char tdesc_core64[] =
	XML_HEAD("feature")
	"<feature name=\"org.gnu.gdb.i386.core\">\n"
	EFLAGS_TYPE
	"  <reg name=\"rax\" bitsize=\"64\" type=\"int64\"/>\n"
	"  <reg name=\"rbx\" bitsize=\"64\" type=\"int64\"/>\n"
	"  <reg name=\"rcx\" bitsize=\"64\" type=\"int64\"/>\n"
	"  <reg name=\"rdx\" bitsize=\"64\" type=\"int64\"/>\n"
	"  <reg name=\"rsi\" bitsize=\"64\" type=\"int64\"/>\n"
	"  <reg name=\"rdi\" bitsize=\"64\" type=\"int64\"/>\n"
	"  <reg name=\"rbp\" bitsize=\"64\" type=\"data_ptr\"/>\n"
	"  <reg name=\"rsp\" bitsize=\"64\" type=\"data_ptr\"/>\n"
	"  <reg name=\"r8\" bitsize=\"64\" type=\"int64\"/>\n"
	"  <reg name=\"r9\" bitsize=\"64\" type=\"int64\"/>\n"
	"  <reg name=\"r10\" bitsize=\"64\" type=\"int64\"/>\n"
	"  <reg name=\"r11\" bitsize=\"64\" type=\"int64\"/>\n"
	"  <reg name=\"r12\" bitsize=\"64\" type=\"int64\"/>\n"
	"  <reg name=\"r13\" bitsize=\"64\" type=\"int64\"/>\n"
	"  <reg name=\"r14\" bitsize=\"64\" type=\"int64\"/>\n"
	"  <reg name=\"r15\" bitsize=\"64\" type=\"int64\"/>\n"
	"  <reg name=\"rip\" bitsize=\"64\" type=\"code_ptr\"/>\n"
	CORE_TAIL;

static const char tdesc_core32[] =
	XML_HEAD("feature")
	"<feature name=\"org.gnu.gdb.i386.core\">\n"
	EFLAGS_TYPE
	"  <reg name=\"eax\" bitsize=\"32\" type=\"int32\"/>\n"
	"  <reg name=\"ecx\" bitsize=\"32\" type=\"int32\"/>\n"
	"  <reg name=\"edx\" bitsize=\"32\" type=\"int32\"/>\n"
	"  <reg name=\"ebx\" bitsize=\"32\" type=\"int32\"/>\n"
	"  <reg name=\"esp\" bitsize=\"32\" type=\"data_ptr\"/>\n"
	"  <reg name=\"ebp\" bitsize=\"32\" type=\"data_ptr\"/>\n"
	"  <reg name=\"esi\" bitsize=\"32\" type=\"int32\"/>\n"
	"  <reg name=\"edi\" bitsize=\"32\" type=\"int32\"/>\n"
	"  <reg name=\"eip\" bitsize=\"32\" type=\"code_ptr\"/>\n"
	CORE_TAIL;

#define SSE_HEAD                                                        \
	XML_HEAD("feature")                                             \
	"<feature name=\"org.gnu.gdb.i386.sse\">\n"                     \
	"  <vector id=\"x86_v4f\" type=\"ieee_single\" count=\"4\"/>\n" \
	"  <vector id=\"x86_v2d\" type=\"ieee_double\" count=\"2\"/>\n" \
	"  <vector id=\"x86_v16i8\" type=\"int8\" count=\"16\"/>\n"     \
	"  <vector id=\"x86_v8i16\" type=\"int16\" count=\"8\"/>\n"     \
	"  <vector id=\"x86_v4i32\" type=\"int32\" count=\"4\"/>\n"     \
	"  <vector id=\"x86_v2i64\" type=\"int64\" count=\"2\"/>\n"     \
	"  <union id=\"x86_vec128\">\n"                                 \
	"    <field name=\"v4_float\" type=\"x86_v4f\"/>\n"             \
	"    <field name=\"v2_double\" type=\"x86_v2d\"/>\n"            \
	"    <field name=\"v16_int8\" type=\"x86_v16i8\"/>\n"           \
	"    <field name=\"v8_int16\" type=\"x86_v8i16\"/>\n"           \
	"    <field name=\"v4_int32\" type=\"x86_v4i32\"/>\n"           \
	"    <field name=\"v2_int64\" type=\"x86_v2i64\"/>\n"           \
	"    <field name=\"uint128\" type=\"uint128\"/>\n"              \
	"  </union>\n"                                                  \
	"  <flags id=\"x86_mxcsr\" size=\"4\">\n"                       \
	"    <field name=\"IE\" start=\"0\" end=\"0\"/>\n"              \
	"    <field name=\"DE\" start=\"1\" end=\"1\"/>\n"              \
	"    <field name=\"ZE\" start=\"2\" end=\"2\"/>\n"              \
	"    <field name=\"OE\" start=\"3\" end=\"3\"/>\n"              \
	"    <field name=\"UE\" start=\"4\" end=\"4\"/>\n"              \
	"    <field name=\"PE\" start=\"5\" end=\"5\"/>\n"              \
	"    <field name=\"DAZ\" start=\"6\" end=\"6\"/>\n"             \
	"    <field name=\"IM\" start=\"7\" end=\"7\"/>\n"              \
	"    <field name=\"DM\" start=\"8\" end=\"8\"/>\n"              \
	"    <field name=\"ZM\" start=\"9\" end=\"9\"/>\n"              \
	"    <field name=\"OM\" start=\"10\" end=\"10\"/>\n"            \
	"    <field name=\"UM\" start=\"11\" end=\"11\"/>\n"            \
	"    <field name=\"PM\" start=\"12\" end=\"12\"/>\n"            \
	"    <field name=\"FZ\" start=\"15\" end=\"15\"/>\n"            \
	"  </flags>\n"

#define XMM_REG(n) "  <reg name=\"xmm" #n "\" bitsize=\"128\" type=\"x86_vec128\"/>\n"
#define MXCSR_REG  "  <reg name=\"mxcsr\" bitsize=\"32\" type=\"x86_mxcsr\" group=\"vector\"/>\n"
#define XMM0_7 \
	XMM_REG(0) XMM_REG(1) XMM_REG(2) XMM_REG(3) XMM_REG(4) XMM_REG(5) XMM_REG(6) XMM_REG(7)
#define XMM8_15 \
	XMM_REG(8) XMM_REG(9) XMM_REG(10) XMM_REG(11) XMM_REG(12) XMM_REG(13) XMM_REG(14) XMM_REG(15)

static const char tdesc_sse64[] = SSE_HEAD XMM0_7 XMM8_15 MXCSR_REG "</feature>\n";
static const char tdesc_sse32[] = SSE_HEAD XMM0_7 MXCSR_REG "</feature>\n";

static const char tdesc_segments64[] =
	XML_HEAD("feature")
	"<feature name=\"org.gnu.gdb.i386.segments\">\n"
	"  <reg name=\"fs_base\" bitsize=\"64\" type=\"int\"/>\n"
	"  <reg name=\"gs_base\" bitsize=\"64\" type=\"int\"/>\n"
	"</feature>\n";

/*
 * The 32-bit bases in a feature of our own: gdb 13 fails an internal assertion
 * (tdesc_use_registers) on org.gnu.gdb.i386.segments in an i386 description.
 */
static const char tdesc_bases32[] =
	XML_HEAD("feature")
	"<feature name=\"org.mini-kvm.x86.bases32\">\n"
	"  <reg name=\"fs_base\" bitsize=\"32\" type=\"int\"/>\n"
	"  <reg name=\"gs_base\" bitsize=\"32\" type=\"int\"/>\n"
	"</feature>\n";

static const char tdesc_system[] =
	XML_HEAD("feature")
	"<feature name=\"org.mini-kvm.x86.system\">\n"
	"  <flags id=\"x86_cr0\" size=\"8\">\n"
	"    <field name=\"PE\" start=\"0\" end=\"0\"/>\n"
	"    <field name=\"MP\" start=\"1\" end=\"1\"/>\n"
	"    <field name=\"EM\" start=\"2\" end=\"2\"/>\n"
	"    <field name=\"TS\" start=\"3\" end=\"3\"/>\n"
	"    <field name=\"ET\" start=\"4\" end=\"4\"/>\n"
	"    <field name=\"NE\" start=\"5\" end=\"5\"/>\n"
	"    <field name=\"WP\" start=\"16\" end=\"16\"/>\n"
	"    <field name=\"AM\" start=\"18\" end=\"18\"/>\n"
	"    <field name=\"NW\" start=\"29\" end=\"29\"/>\n"
	"    <field name=\"CD\" start=\"30\" end=\"30\"/>\n"
	"    <field name=\"PG\" start=\"31\" end=\"31\"/>\n"
	"  </flags>\n"
	"  <flags id=\"x86_cr4\" size=\"8\">\n"
	"    <field name=\"VME\" start=\"0\" end=\"0\"/>\n"
	"    <field name=\"PVI\" start=\"1\" end=\"1\"/>\n"
	"    <field name=\"TSD\" start=\"2\" end=\"2\"/>\n"
	"    <field name=\"DE\" start=\"3\" end=\"3\"/>\n"
	"    <field name=\"PSE\" start=\"4\" end=\"4\"/>\n"
	"    <field name=\"PAE\" start=\"5\" end=\"5\"/>\n"
	"    <field name=\"MCE\" start=\"6\" end=\"6\"/>\n"
	"    <field name=\"PGE\" start=\"7\" end=\"7\"/>\n"
	"    <field name=\"PCE\" start=\"8\" end=\"8\"/>\n"
	"    <field name=\"OSFXSR\" start=\"9\" end=\"9\"/>\n"
	"    <field name=\"OSXMMEXCPT\" start=\"10\" end=\"10\"/>\n"
	"    <field name=\"UMIP\" start=\"11\" end=\"11\"/>\n"
	"    <field name=\"LA57\" start=\"12\" end=\"12\"/>\n"
	"    <field name=\"VMXE\" start=\"13\" end=\"13\"/>\n"
	"    <field name=\"SMXE\" start=\"14\" end=\"14\"/>\n"
	"    <field name=\"FSGSBASE\" start=\"16\" end=\"16\"/>\n"
	"    <field name=\"PCIDE\" start=\"17\" end=\"17\"/>\n"
	"    <field name=\"OSXSAVE\" start=\"18\" end=\"18\"/>\n"
	"    <field name=\"SMEP\" start=\"20\" end=\"20\"/>\n"
	"    <field name=\"SMAP\" start=\"21\" end=\"21\"/>\n"
	"    <field name=\"PKE\" start=\"22\" end=\"22\"/>\n"
	"  </flags>\n"
	"  <flags id=\"x86_efer\" size=\"8\">\n"
	"    <field name=\"SCE\" start=\"0\" end=\"0\"/>\n"
	"    <field name=\"LME\" start=\"8\" end=\"8\"/>\n"
	"    <field name=\"LMA\" start=\"10\" end=\"10\"/>\n"
	"    <field name=\"NXE\" start=\"11\" end=\"11\"/>\n"
	"    <field name=\"SVME\" start=\"12\" end=\"12\"/>\n"
	"    <field name=\"FFXSR\" start=\"14\" end=\"14\"/>\n"
	"  </flags>\n"
	"  <reg name=\"cr0\" bitsize=\"64\" type=\"x86_cr0\"/>\n"
	"  <reg name=\"cr2\" bitsize=\"64\" type=\"int64\"/>\n"
	"  <reg name=\"cr3\" bitsize=\"64\" type=\"int64\"/>\n"
	"  <reg name=\"cr4\" bitsize=\"64\" type=\"x86_cr4\"/>\n"
	"  <reg name=\"cr8\" bitsize=\"64\" type=\"int64\"/>\n"
	"  <reg name=\"efer\" bitsize=\"64\" type=\"x86_efer\"/>\n"
	"  <reg name=\"cs_base\" bitsize=\"64\" type=\"int64\"/>\n"
	"  <reg name=\"ss_base\" bitsize=\"64\" type=\"int64\"/>\n"
	"  <reg name=\"ds_base\" bitsize=\"64\" type=\"int64\"/>\n"
	"  <reg name=\"es_base\" bitsize=\"64\" type=\"int64\"/>\n"
	"  <reg name=\"cs_limit\" bitsize=\"32\" type=\"int32\"/>\n"
	"  <reg name=\"ss_limit\" bitsize=\"32\" type=\"int32\"/>\n"
	"  <reg name=\"ds_limit\" bitsize=\"32\" type=\"int32\"/>\n"
	"  <reg name=\"es_limit\" bitsize=\"32\" type=\"int32\"/>\n"
	"  <reg name=\"fs_limit\" bitsize=\"32\" type=\"int32\"/>\n"
	"  <reg name=\"gs_limit\" bitsize=\"32\" type=\"int32\"/>\n"
	"  <reg name=\"gdtr_base\" bitsize=\"64\" type=\"int64\"/>\n"
	"  <reg name=\"gdtr_limit\" bitsize=\"32\" type=\"int32\"/>\n"
	"  <reg name=\"idtr_base\" bitsize=\"64\" type=\"int64\"/>\n"
	"  <reg name=\"idtr_limit\" bitsize=\"32\" type=\"int32\"/>\n"
	"  <reg name=\"ldtr\" bitsize=\"32\" type=\"int32\"/>\n"
	"  <reg name=\"ldtr_base\" bitsize=\"64\" type=\"int64\"/>\n"
	"  <reg name=\"ldtr_limit\" bitsize=\"32\" type=\"int32\"/>\n"
	"  <reg name=\"tr\" bitsize=\"32\" type=\"int32\"/>\n"
	"  <reg name=\"tr_base\" bitsize=\"64\" type=\"int64\"/>\n"
	"  <reg name=\"tr_limit\" bitsize=\"32\" type=\"int32\"/>\n"
	"</feature>\n";

/* clang-format on */

static const struct {
	const char *annex;
	const char *text;
	size_t len;
} tdesc_documents[] = {
	{ "mini-kvm-core64.xml", tdesc_core64, sizeof(tdesc_core64) - 1 },
	{ "mini-kvm-sse64.xml", tdesc_sse64, sizeof(tdesc_sse64) - 1 },
	{ "mini-kvm-segments64.xml", tdesc_segments64, sizeof(tdesc_segments64) - 1 },
	{ "mini-kvm-core32.xml", tdesc_core32, sizeof(tdesc_core32) - 1 },
	{ "mini-kvm-sse32.xml", tdesc_sse32, sizeof(tdesc_sse32) - 1 },
	{ "mini-kvm-bases32.xml", tdesc_bases32, sizeof(tdesc_bases32) - 1 },
	{ "mini-kvm-system.xml", tdesc_system, sizeof(tdesc_system) - 1 },
};

#define TARGET_ANNEX "target.xml"

const char *gdb_tdesc_document(enum gdb_arch arch, const char *annex, size_t annex_len, size_t *len)
{
	size_t i;

	if (annex_len == strlen(TARGET_ANNEX) && !memcmp(annex, TARGET_ANNEX, annex_len)) {
		if (arch == GDB_ARCH_I386) {
			*len = sizeof(tdesc_target32) - 1;
			return tdesc_target32;
		}
		if (arch == GDB_ARCH_I8086) {
			*len = sizeof(tdesc_target16) - 1;
			return tdesc_target16;
		}
		*len = sizeof(tdesc_target64) - 1;
		return tdesc_target64;
	}
	for (i = 0; i < sizeof(tdesc_documents) / sizeof(tdesc_documents[0]); i++) {
		if (strlen(tdesc_documents[i].annex) == annex_len &&
		    !memcmp(tdesc_documents[i].annex, annex, annex_len)) {
			*len = tdesc_documents[i].len;
			return tdesc_documents[i].text;
		}
	}
	return NULL;
}
