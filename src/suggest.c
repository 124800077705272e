/* SPDX-License-Identifier: MIT */
/* Edit distance (optimal string alignment) and the closest known word to a typo. */
#include "suggest.h"

#include <string.h>

/* The most edits a suggestion may be away, and the share of the word's length. */
#define SUGGEST_MAX_EDITS 2
#define SUGGEST_LEN_SHARE 3

static size_t min3(size_t a, size_t b, size_t c)
{
	size_t m = a < b ? a : b;

	return m < c ? m : c;
}

size_t suggest_distance(const char *a, const char *b)
{
	/* Three rows of the dynamic-programming table: i-2, i-1 and i. */
	size_t rows[3][SUGGEST_MAX_LEN + 1];
	size_t la = strlen(a), lb = strlen(b);

	if (la > SUGGEST_MAX_LEN || lb > SUGGEST_MAX_LEN)
		return SUGGEST_FAR;
	for (size_t j = 0; j <= lb; j++)
		rows[0][j] = j;
	for (size_t i = 1; i <= la; i++) {
		size_t *prev2 = rows[(i + 1) % 3], *prev = rows[(i - 1) % 3], *cur = rows[i % 3];

		cur[0] = i;
		for (size_t j = 1; j <= lb; j++) {
			size_t cost = a[i - 1] != b[j - 1];

			cur[j] = min3(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + cost);
			if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] &&
			    prev2[j - 2] + 1 < cur[j])
				cur[j] = prev2[j - 2] + 1;
		}
	}
	return rows[la % 3][lb];
}

const char *suggest_word(const char *word, const char *const *candidates, size_t n)
{
	size_t limit = strlen(word) / SUGGEST_LEN_SHARE, best = SUGGEST_FAR;
	const char *found = NULL;

	if (limit < 1)
		limit = 1;
	if (limit > SUGGEST_MAX_EDITS)
		limit = SUGGEST_MAX_EDITS;
	for (size_t i = 0; i < n; i++) {
		size_t d = suggest_distance(word, candidates[i]);

		if (d > 0 && d <= limit && d < best) {
			best = d;
			found = candidates[i];
		}
	}
	return found;
}
