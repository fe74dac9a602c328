/*
 * num.h - strict number parsing, for every module that reads numbers from
 * text.  No atoi: the whole string must be the number.
 */
#ifndef FK_NUM_H
#define FK_NUM_H

#include <stddef.h>
#include <stdint.h>

/* The whole string, in [min, max].  0 ok, -1 otherwise (*out untouched). */
int num_parse_u64(const char *s, uint64_t min, uint64_t max, uint64_t *out);
int num_parse_double(const char *s, double min, double max, double *out);

/* num_hexval(c): the value of the hex digit c (either case), or -1. */
int num_hexval(int c);

/*
 * num_fmt_double: x as text into s (at least NUM_DBL_LEN bytes, not
 * NUL-terminated), returns the length: -0 as 0, integers below 2^53 in
 * magnitude as integers, any other value as the first of %.15g, %.16g
 * and %.17g that reads back to x (so the fewest digits, up to 17).  The
 * same bytes as that snprintf/strtod loop, many times faster: the digits
 * and the read-back test are exact 128-bit integer arithmetic from about
 * 1e-11 to 1e15, and the loop itself outside (nan, inf, tiny, huge).
 */
/* num_fmt_u64: u's decimal digits at s (at most 20, no NUL), returns
 * their count. */
size_t num_fmt_u64(char *s, uint64_t u);
#define NUM_DBL_LEN 40
size_t num_fmt_double(char *s, double x);
/* num_fmt_double_ref: the snprintf/strtod loop itself (for the tests). */
size_t num_fmt_double_ref(char *s, double x);

#endif
