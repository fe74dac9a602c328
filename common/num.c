/*
 * num.c - strict parsing of numbers from text (command lines, JSON, label
 * files): the whole string, no sign or blank in front, range-checked.
 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>

#include "num.h"

int num_parse_u64(const char *s, uint64_t min, uint64_t max, uint64_t *out)
{
	unsigned long long v;
	char *end;

	if (s == NULL || *s < '0' || *s > '9') return -1; /* no sign, no space */
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || *end != '\0' || v < min || v > max) return -1;
	*out = v;
	return 0;
}

int num_parse_double(const char *s, double min, double max, double *out)
{
	double v;
	char *end;

	if (s == NULL || *s == '\0' || *s == ' ' || *s == '\t') return -1;
	errno = 0;
	v = strtod(s, &end);
	if (errno || *end != '\0' || !isfinite(v) || v < min || v > max) return -1;
	*out = v;
	return 0;
}
