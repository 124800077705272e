/* SPDX-License-Identifier: MIT */
/* A small JSON writer (RFC 8259) for mini-kvm's machine-readable output: no parser, no DOM. */
#ifndef MINI_KVM_JSON_H
#define MINI_KVM_JSON_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

/* Objects and arrays nested deeper than this are not written (a bug; see json_ok()). */
#define JSON_MAX_DEPTH 16

/*
 * Writes compact JSON to a FILE as it goes: values in an object take a key, values
 * in an array or at the top take NULL. Strings are escaped as RFC 8259, section 7
 * asks; bytes that are not UTF-8 become \u00XX (their Latin-1 reading), so any C
 * string makes valid JSON.
 */
struct json {
	FILE *out;
	unsigned int depth;
	bool comma[JSON_MAX_DEPTH + 1]; /* a value at this depth needs a comma first */
	bool broken;			/* nesting went wrong (too deep, unbalanced) */
};

void json_init(struct json *j, FILE *out);
void json_begin_object(struct json *j, const char *key);
void json_end_object(struct json *j);
void json_begin_array(struct json *j, const char *key);
void json_end_array(struct json *j);
void json_u64(struct json *j, const char *key, uint64_t v);
void json_i64(struct json *j, const char *key, int64_t v);
void json_bool(struct json *j, const char *key, bool v);
void json_null(struct json *j, const char *key);
void json_string(struct json *j, const char *key, const char *s);

/* Write s as a JSON string (with its quotes) to out. */
void json_write_string(FILE *out, const char *s);

/* Whether everything written was balanced and within JSON_MAX_DEPTH. */
bool json_ok(const struct json *j);

#endif
