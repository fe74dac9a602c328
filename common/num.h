/*
 * num.h - strict number parsing, for every module that reads numbers from
 * text.  No atoi: the whole string must be the number.
 */
#ifndef FK_NUM_H
#define FK_NUM_H

#include <stdint.h>

/* The whole string, in [min, max].  0 ok, -1 otherwise (*out untouched). */
int num_parse_u64(const char *s, uint64_t min, uint64_t max, uint64_t *out);
int num_parse_double(const char *s, double min, double max, double *out);

#endif
