/*
 * num.c - strict parsing of numbers from text (command lines, JSON, label
 * files): the whole string, no sign or blank in front, range-checked.
 */
#include <errno.h>
#include <float.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

/* Unsigned decimal digits of u into s, returns their count. */
static size_t put_digits(char *s, uint64_t u)
{
	char t[24];
	size_t n = 0;

	do t[n++] = (char)('0' + u % 10); while ((u /= 10) != 0);
	for (size_t i = 0; i < n; i++) s[i] = t[n - 1 - i];
	return n;
}

static size_t fmt_int(char *s, double x)
{
	size_t k = 0;

	if (x < 0) {
		s[k++] = '-';
		x = -x;
	}
	return k + put_digits(s + k, (uint64_t)x);
}

size_t num_fmt_double_ref(char *s, double x)
{
	char t[NUM_DBL_LEN];
	int n;

	if (x == 0) x = 0; /* -0 prints as 0 */
	if (x == floor(x) && fabs(x) < 9007199254740992.0) return fmt_int(s, x);
	for (int prec = 15;; prec++) {
		n = snprintf(t, sizeof t, "%.*g", prec, x);
		if (prec == 17 || strtod(t, NULL) == x) break;
	}
	memcpy(s, t, (size_t)n);
	return (size_t)n;
}

/*
 * %.Pg of the decimal value N * 10^(e - P + 1), N having exactly P digits
 * (P the precision), e the decimal exponent: trailing zeros dropped,
 * exponent form when e < -4 or e >= P, as printf does.
 */
static size_t fmt_g(char *s, bool neg, uint64_t n, int e, int prec)
{
	char d[24];
	size_t nd, k = 0;

	while (n % 10 == 0) n /= 10; /* n > 0 */
	nd = put_digits(d, n);
	if (neg) s[k++] = '-';
	if (e < -4 || e >= prec) {
		s[k++] = d[0];
		if (nd > 1) {
			s[k++] = '.';
			memcpy(s + k, d + 1, nd - 1);
			k += nd - 1;
		}
		s[k++] = 'e';
		s[k++] = e < 0 ? '-' : '+';
		if (e < 0) e = -e;
		if (e >= 100) s[k++] = (char)('0' + e / 100);
		s[k++] = (char)('0' + e / 10 % 10);
		s[k++] = (char)('0' + e % 10);
		return k;
	}
	if (e < 0) {
		s[k++] = '0';
		s[k++] = '.';
		for (int i = -1; i > e; i--) s[k++] = '0';
		memcpy(s + k, d, nd);
		return k + nd;
	}
	for (size_t i = 0; i < nd || i <= (size_t)e; i++) {
		if (i == (size_t)e + 1) s[k++] = '.';
		s[k++] = i < nd ? d[i] : '0';
	}
	return k;
}

#if LDBL_MANT_DIG >= 64
static long double pow10l_tab[28];

/* The powers of ten exact in long double (5^27 < 2^64). */
static void init_pow10(void)
{
	long double p = 1;

	for (int i = 0; i < 28; i++, p *= 10) pow10l_tab[i] = p;
}

/* a * 10^p, |p| <= 27, correctly rounded to long double. */
static long double scale(long double a, int p)
{
	return p >= 0 ? a * pow10l_tab[p] : a / pow10l_tab[-p];
}
#endif

size_t num_fmt_double(char *s, double x)
{
#if LDBL_MANT_DIG >= 64
	static const uint64_t lim[18] = {
		1, 10, 100, 1000, 10000, 100000, 1000000, 10000000, 100000000, 1000000000,
		10000000000ull, 100000000000ull, 1000000000000ull, 10000000000000ull,
		100000000000000ull, 1000000000000000ull, 10000000000000000ull,
		100000000000000000ull,
	};
	double a, lo, hi;
	bool neg;
	int e;

	if (x == 0) x = 0;
	if (x == floor(x) && fabs(x) < 9007199254740992.0) return fmt_int(s, x);
	a = fabs(x);
	/* 17 digits need 10^(16 - e) exact: -11 <= e <= 43. */
	if (!(a >= 1e-11 && a < 1e43)) return num_fmt_double_ref(s, x);
	if (pow10l_tab[0] == 0) init_pow10();
	neg = x < 0;
	e = (int)floor(log10(a));
	if (e < -11) e = -11;
	{ /* log10 a hair off near a power of ten */
		long double y = scale(a, 16 - e);

		if (y >= (long double)lim[17]) e++;
		else if (y < (long double)lim[16] && e > -11) e--;
	}
	/* The half distances to the neighbours (the lower one is smaller at a power of 2). */
	lo = (a - nextafter(a, 0)) / 2;
	hi = (nextafter(a, INFINITY) - a) / 2;
	for (int prec = 15; prec <= 17; prec++) {
		int p = prec - 1 - e; /* a * 10^p has prec digits before the point */
		long double y, f, q, dq;
		uint64_t n;
		int ee = e;

		if (p > 27 || p < -27) return num_fmt_double_ref(s, x);
		y = scale(a, p); /* relative error 2^-64 */
		f = floorl(y);
		if (fabsl(y - f - 0.5L) < y * 0x1p-61L) return num_fmt_double_ref(s, x); /* near a tie */
		if (f >= (long double)lim[prec]) return num_fmt_double_ref(s, x); /* e was wrong */
		n = (uint64_t)f + (y - f > 0.5L);
		if (n >= lim[prec]) { /* rounded up to 10^prec */
			n /= 10;
			ee++;
		}
		if (n < lim[prec - 1]) return num_fmt_double_ref(s, x); /* e was wrong */
		/* Does the decimal n * 10^-p read back to a?  q is it within 2^-64. */
		q = scale((long double)n, -p);
		if (ee != e) q = scale((long double)n * 10, -p);
		dq = q - (long double)a;
		if (dq < 0 ? -dq < lo * (1 - 1.0L / 256) : dq < hi * (1 - 1.0L / 256))
			return fmt_g(s, neg, n, ee, prec);
		if (!(dq < 0 ? -dq > lo * (1 + 1.0L / 256) : dq > hi * (1 + 1.0L / 256)))
			return num_fmt_double_ref(s, x); /* too near the boundary to tell */
		if (prec == 17) return num_fmt_double_ref(s, x); /* cannot happen */
	}
#endif
	return num_fmt_double_ref(s, x);
}

int num_hexval(int c)
{
	if (c >= '0' && c <= '9') return c - '0';
	if (c >= 'a' && c <= 'f') return c - 'a' + 10;
	if (c >= 'A' && c <= 'F') return c - 'A' + 10;
	return -1;
}
