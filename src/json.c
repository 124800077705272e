/* SPDX-License-Identifier: MIT */
/* Writing JSON (RFC 8259): nesting, commas and string escapes, straight to a FILE. */
#include "json.h"

#include <inttypes.h>
#include <string.h>

/* The UTF-8 encoding (RFC 3629, section 4): lead bytes and their continuation counts. */
#define UTF8_CONT_MASK	 0xc0
#define UTF8_CONT	 0x80
#define UTF8_LEAD2_MIN	 0xc2 /* 0xc0 and 0xc1 would be overlong */
#define UTF8_LEAD3_MIN	 0xe0
#define UTF8_LEAD4_MIN	 0xf0
#define UTF8_LEAD_MAX	 0xf4 /* above: beyond U+10FFFF */
#define JSON_CONTROL_END 0x20 /* U+0000..U+001F must be escaped */

void json_init(struct json *j, FILE *out)
{
	memset(j, 0, sizeof(*j));
	j->out = out;
}

/* How many bytes of a valid UTF-8 sequence start at p (0: not one). */
static size_t utf8_length(const unsigned char *p)
{
	size_t n;

	if (p[0] < UTF8_CONT)
		return 1;
	if (p[0] < UTF8_LEAD2_MIN || p[0] > UTF8_LEAD_MAX)
		return 0;
	n = p[0] >= UTF8_LEAD4_MIN ? 4 : p[0] >= UTF8_LEAD3_MIN ? 3 : 2;
	for (size_t i = 1; i < n; i++)
		if ((p[i] & UTF8_CONT_MASK) != UTF8_CONT)
			return 0;
	/* Overlong three- and four-byte forms, surrogates and beyond U+10FFFF. */
	if ((p[0] == 0xe0 && p[1] < 0xa0) || (p[0] == 0xed && p[1] >= 0xa0) ||
	    (p[0] == 0xf0 && p[1] < 0x90) || (p[0] == 0xf4 && p[1] >= 0x90))
		return 0;
	return n;
}

void json_write_string(FILE *out, const char *s)
{
	const unsigned char *p = (const unsigned char *)s;

	fputc('"', out);
	while (*p) {
		size_t n;

		if (*p == '"' || *p == '\\') {
			fprintf(out, "\\%c", *p++);
			continue;
		}
		if (*p < JSON_CONTROL_END) {
			fprintf(out, "\\u%04x", *p++);
			continue;
		}
		n = utf8_length(p);
		if (!n) {
			fprintf(out, "\\u%04x", *p++); /* not UTF-8: the byte as Latin-1 */
			continue;
		}
		fwrite(p, 1, n, out);
		p += n;
	}
	fputc('"', out);
}

/* The comma and key before a value at the current depth. */
static void prefix(struct json *j, const char *key)
{
	if (j->comma[j->depth])
		fputc(',', j->out);
	j->comma[j->depth] = true;
	if (key) {
		json_write_string(j->out, key);
		fputc(':', j->out);
	}
}

static void open_level(struct json *j, const char *key, char c)
{
	prefix(j, key);
	fputc(c, j->out);
	if (j->depth == JSON_MAX_DEPTH) {
		j->broken = true;
		return;
	}
	j->comma[++j->depth] = false;
}

static void close_level(struct json *j, char c)
{
	if (j->depth == 0)
		j->broken = true;
	else
		j->depth--;
	fputc(c, j->out);
}

void json_begin_object(struct json *j, const char *key)
{
	open_level(j, key, '{');
}

void json_end_object(struct json *j)
{
	close_level(j, '}');
}

void json_begin_array(struct json *j, const char *key)
{
	open_level(j, key, '[');
}

void json_end_array(struct json *j)
{
	close_level(j, ']');
}

void json_u64(struct json *j, const char *key, uint64_t v)
{
	prefix(j, key);
	fprintf(j->out, "%" PRIu64, v);
}

void json_i64(struct json *j, const char *key, int64_t v)
{
	prefix(j, key);
	fprintf(j->out, "%" PRId64, v);
}

void json_bool(struct json *j, const char *key, bool v)
{
	prefix(j, key);
	fputs(v ? "true" : "false", j->out);
}

void json_null(struct json *j, const char *key)
{
	prefix(j, key);
	fputs("null", j->out);
}

void json_string(struct json *j, const char *key, const char *s)
{
	prefix(j, key);
	json_write_string(j->out, s);
}

bool json_ok(const struct json *j)
{
	return !j->broken && j->depth == 0;
}
