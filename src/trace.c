/* SPDX-License-Identifier: MIT */
/* --trace: the filter (--trace=io,mmio,port=0x3f8) and one line per VM exit it takes. */
#include "trace.h"

#include <errno.h>
#include <inttypes.h>
#include <linux/kvm.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "console.h"
#include "error.h"
#include "kvm.h"
#include "vcpu.h"

/* The longest filter item we keep for messages, and the longest trace line. */
#define TRACE_ITEM_MAX 64
#define TRACE_LINE_MAX 256

/* A number in C syntax (0x3f8, 1016, 0777), the whole of text. */
static int parse_number(const char *text, uint64_t *value)
{
	char *end;

	if (*text < '0' || *text > '9')
		return -EINVAL;
	errno = 0;
	*value = strtoull(text, &end, 0);
	return errno || *end ? -EINVAL : 0;
}

/* "P" or "P-Q" into an inclusive range. */
static int parse_range(char *text, struct trace_range *r)
{
	char *dash = strchr(text, '-');

	if (dash)
		*dash = '\0';
	if (parse_number(text, &r->first) < 0)
		return -EINVAL;
	r->last = r->first;
	if (dash && parse_number(dash + 1, &r->last) < 0)
		return -EINVAL;
	return r->last < r->first ? -EINVAL : 0;
}

static int add_range(const char *item, char *value, struct trace_range *ranges, unsigned int *n)
{
	if (*n == TRACE_MAX_RANGES)
		return error_set(EINVAL, "more than %d port= or addr= items", TRACE_MAX_RANGES);
	if (parse_range(value, &ranges[*n]) < 0)
		return error_set(EINVAL,
				 "'%s': not a number or a range FIRST-LAST (0x3f8, "
				 "0x3f8-0x3ff)",
				 item);
	(*n)++;
	return 0;
}

static int parse_item(const char *item, struct trace_filter *f)
{
	char copy[TRACE_ITEM_MAX];

	if (strlen(item) >= sizeof(copy))
		return error_set(EINVAL, "'%.20s...': too long", item);
	strcpy(copy, item);
	if (!strcmp(item, "io"))
		f->io = true;
	else if (!strcmp(item, "mmio"))
		f->mmio = true;
	else if (!strcmp(item, "other"))
		f->other = true;
	else if (!strcmp(item, "all"))
		f->io = f->mmio = f->other = true;
	else if (!strncmp(item, "port=", 5)) {
		f->io = true;
		return add_range(item, copy + 5, f->ports, &f->nports);
	} else if (!strncmp(item, "addr=", 5)) {
		f->mmio = true;
		return add_range(item, copy + 5, f->addrs, &f->naddrs);
	} else
		return error_set(EINVAL,
				 "unknown item '%s' (io, mmio, other, all, port=P[-Q], "
				 "addr=A[-B])",
				 item);
	return 0;
}

int trace_filter_parse(const char *text, struct trace_filter *f)
{
	memset(f, 0, sizeof(*f));
	if (!text || !*text) {
		f->io = f->mmio = f->other = true;
		return 0;
	}
	while (*text) {
		size_t len = strcspn(text, ",");
		char item[TRACE_ITEM_MAX];
		int ret;

		if (!len)
			return error_set(EINVAL, "an empty item");
		snprintf(item, sizeof(item), "%.*s", (int)len, text);
		if (len >= sizeof(item))
			return error_set(EINVAL, "'%.20s...': too long", item);
		ret = parse_item(item, f);
		if (ret < 0)
			return ret;
		text += len;
		if (*text == ',' && !*++text)
			return error_set(EINVAL, "an empty item");
	}
	return 0;
}

static bool in_ranges(const struct trace_range *r, unsigned int n, uint64_t addr)
{
	if (!n)
		return true;
	for (unsigned int i = 0; i < n; i++)
		if (addr >= r[i].first && addr <= r[i].last)
			return true;
	return false;
}

bool trace_filter_match(const struct trace_filter *f, uint32_t reason, uint64_t addr)
{
	if (reason == KVM_EXIT_IO)
		return f->io && in_ranges(f->ports, f->nports, addr);
	if (reason == KVM_EXIT_MMIO)
		return f->mmio && in_ranges(f->addrs, f->naddrs, addr);
	return f->other;
}

int trace_exit(const struct trace *t, unsigned int vcpu, const struct exit_record *rec)
{
	char line[TRACE_LINE_MAX];
	int len;

	if (!trace_filter_match(&t->sink->filter, rec->reason, rec->addr))
		return 0;
	if (rec->reason == KVM_EXIT_IO || rec->reason == KVM_EXIT_MMIO)
		len = snprintf(line, sizeof(line),
			       "%s vcpu%u %s rip=0x%" PRIx64 " %s 0x%" PRIx64
			       " size=%u count=%u data=0x%" PRIx64 "\n",
			       t->label, vcpu, kvm_exit_reason_name(rec->reason), rec->rip,
			       rec->write ? "write" : "read", rec->addr, rec->size, rec->count,
			       rec->data);
	else
		len = snprintf(line, sizeof(line), "%s vcpu%u %s rip=0x%" PRIx64 "\n", t->label,
			       vcpu, kvm_exit_reason_name(rec->reason), rec->rip);
	if (len < 0)
		return error_set(EINVAL, "trace: cannot format a line");
	if ((size_t)len >= sizeof(line)) {
		len = sizeof(line) - 1;
		line[len - 1] = '\n';
	}
	return console_side_write(t->sink->fd, line, (size_t)len);
}
