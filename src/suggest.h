/* SPDX-License-Identifier: MIT */
/* "Did you mean ...?": the closest of a few known words to a mistyped one, by edit distance. */
#ifndef MINI_KVM_SUGGEST_H
#define MINI_KVM_SUGGEST_H

#include <stddef.h>

/*
 * The optimal string alignment distance between a and b: the fewest insertions,
 * deletions, substitutions and swaps of two adjacent characters that turn one into
 * the other ("chek" -> "check": 1, "cehck" -> "check": 1). Case-sensitive. Strings
 * longer than SUGGEST_MAX_LEN bytes count as SUGGEST_FAR from anything.
 * Source: Damerau, "A technique for computer detection and correction of spelling
 * errors", CACM 7(3), 1964; the restricted form as in Navarro, "A guided tour to
 * approximate string matching", ACM Computing Surveys 33(1), 2001, section 2.
 */
size_t suggest_distance(const char *a, const char *b);

#define SUGGEST_MAX_LEN 64
#define SUGGEST_FAR	((size_t)-1)

/*
 * The candidate (of n) closest to word, if it is close enough to be a likely typo:
 * at most a third of word's length away (at least 1, at most 2 edits), and
 * not word itself. Ties go to the earlier candidate. Returns the candidate, or NULL.
 */
const char *suggest_word(const char *word, const char *const *candidates, size_t n);

#endif
