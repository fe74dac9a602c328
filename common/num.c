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

static const uint64_t pow10_tab[20] = {
	1, 10, 100, 1000, 10000, 100000, 1000000, 10000000, 100000000, 1000000000,
	10000000000ull, 100000000000ull, 1000000000000ull, 10000000000000ull,
	100000000000000ull, 1000000000000000ull, 10000000000000000ull,
	100000000000000000ull, 1000000000000000000ull, 10000000000000000000ull,
};

/* "00" to "99": two digits a division (a third of the printer's time). */
static const char digit_pairs[201] =
	"00010203040506070809101112131415161718192021222324"
	"25262728293031323334353637383940414243444546474849"
	"50515253545556575859606162636465666768697071727374"
	"75767778798081828384858687888990919293949596979899";

/* Unsigned decimal digits of u into s, returns their count. */
static size_t put_digits(char *s, uint64_t u)
{
	size_t n = 1, i;

	if (u < 10) { /* most of what flow-stats prints: small counts */
		s[0] = (char)('0' + u);
		return 1;
	}
	if (u >= pow10_tab[15]) n = 16; /* the 17-digit means and deviations */
	while (n < 20 && u >= pow10_tab[n]) n++;
	i = n;
	while (u >= 100) {
		unsigned r = (unsigned)(u % 100);

		u /= 100;
		i -= 2;
		memcpy(s + i, digit_pairs + 2 * r, 2);
	}
	if (u >= 10) memcpy(s, digit_pairs + 2 * u, 2);
	else s[0] = (char)('0' + u);
	return n;
}

size_t num_fmt_u64(char *s, uint64_t u) { return put_digits(s, u); }

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

/* The 8 digits of u < 10^8 into s, leading zeros included. */
static inline void put8(char *s, uint32_t u)
{
	uint32_t hi = u / 10000, lo = u % 10000;

	memcpy(s, digit_pairs + 2 * (hi / 100), 2);
	memcpy(s + 2, digit_pairs + 2 * (hi % 100), 2);
	memcpy(s + 4, digit_pairs + 2 * (lo / 100), 2);
	memcpy(s + 6, digit_pairs + 2 * (lo % 100), 2);
}

/*
 * %.Pg of the decimal value N * 10^(e - 16), N having exactly 17 digits
 * (the value rounded to P digits, P the precision, times 10^(17 - P)),
 * e the decimal exponent, e <= 15: trailing zeros dropped, exponent form
 * when e < -4 or e >= P, as printf does.  The digits are copied in
 * fixed-size blocks: s needs NUM_DBL_LEN bytes whatever the length.
 */
static size_t fmt_g(char *s, bool neg, uint64_t n, int e, int prec)
{
	char d[40];
	size_t nd = 17, k = 0;
	uint64_t r = n % pow10_tab[16];
	uint32_t hi = (uint32_t)(r / 100000000u), lo = (uint32_t)(r % 100000000u);

	d[0] = (char)('0' + n / pow10_tab[16]);
	put8(d + 1, hi);
	put8(d + 9, lo);
	memset(d + 17, '0', sizeof d - 17);
	if (lo == 0) nd = hi == 0 ? 1 : 9; /* eight zeros at a time, then one */
	while (d[nd - 1] == '0') nd--; /* n > 0 */
	if (neg) s[k++] = '-';
	if (e < -4 || e >= prec) {
		s[k] = d[0];
		s[k + 1] = '.';
		memcpy(s + k + 2, d + 1, 16);
		k += nd > 1 ? nd + 1 : 1;
		s[k++] = 'e';
		s[k++] = e < 0 ? '-' : '+';
		if (e < 0) e = -e;
		if (e >= 100) s[k++] = (char)('0' + e / 100);
		s[k++] = (char)('0' + e / 10 % 10);
		s[k++] = (char)('0' + e % 10);
		return k;
	}
	if (e < 0) { /* "0.", -e - 1 zeros (at most 3), the digits */
		memcpy(s + k, "0.000", 5);
		memcpy(s + k + 1 - e, d, 24);
		return k + 1 - (size_t)e + nd;
	}
	memcpy(s + k, d, 16); /* the integer part, e + 1 <= 16 digits (zeros past nd) */
	if (nd <= (size_t)e + 1) return k + (size_t)e + 1;
	s[k + (size_t)e + 1] = '.';
	memcpy(s + k + (size_t)e + 2, d + e + 1, 16);
	return k + nd + 1;
}

/*
 * The digits of a = m * 2^E (m < 2^53, the double's integer significand),
 * exactly, in 128-bit integers: a * 10^p = m * 5^p / 2^s with s = -(E + p),
 * so the floor, the remainder and the distances to the neighbours'
 * midpoints are all integers.  Needs 0 <= p <= 27 (5^27 < 2^63) and
 * 1 <= s <= 64 (so 10^17 * 2^(s+2) < 2^128): a from about 1e-11 to 1e15,
 * the non-integers flow-stats prints.
 */
typedef unsigned __int128 u128;

/* 5^0 .. 5^27, constant so that threads share it */
static const uint64_t pow5_tab[28] = {
	1ull, 5ull, 25ull, 125ull,
	625ull, 3125ull, 15625ull, 78125ull,
	390625ull, 1953125ull, 9765625ull, 48828125ull,
	244140625ull, 1220703125ull, 6103515625ull, 30517578125ull,
	152587890625ull, 762939453125ull, 3814697265625ull, 19073486328125ull,
	95367431640625ull, 476837158203125ull, 2384185791015625ull, 11920928955078125ull,
	59604644775390625ull, 298023223876953125ull, 1490116119384765625ull, 7450580596923828125ull,
};

struct exact {
	u128 mm;    /* m * 5^p */
	uint64_t q; /* floor(a * 10^p) */
	u128 r;     /* mm - q * 2^s */
	int s;
	uint64_t hg; /* floor(5^p / 2^(s+1)): half the gap to a neighbour, in units of q */
};

static int exact_at(uint64_t m, int E, int p, struct exact *x)
{
	if (p < 0 || p > 27) return -1;
	x->s = -(E + p);
	if (x->s < 1 || x->s > 64) return -1;
	x->mm = (u128)m * pow5_tab[p];
	x->q = (uint64_t)(x->mm >> x->s);
	x->r = x->mm - ((u128)x->q << x->s);
	x->hg = x->s >= 63 ? 0 : pow5_tab[p] >> (x->s + 1);
	return 0;
}

/*
 * Does the decimal d * 10^-p read back (strtod, round half to even) as
 * a = m * 2^E?  In units of 2^-s * 10^-p the decimal is d * 2^s, a is mm,
 * and half the gap to the neighbour above is 5^p / 2 (below the same, or
 * 5^p / 4 when m is a power of two).
 */
static bool reads_back(uint64_t m, uint64_t d, const struct exact *x, int p)
{
	u128 v = (u128)d << x->s, f = pow5_tab[p], t;

	if (v >= x->mm) t = (v - x->mm) * 2;
	else t = (x->mm - v) * (m == (1ull << 52) ? 4 : 2);
	return t < f || (t == f && (m & 1) == 0);
}

/*
 * ex.q (17 digits) rounded to 17 - log10(div) digits, as a 17-digit
 * value into *out: 0 if it does not read back, 1 if it does, 2 if it
 * does and rounded up to 10^17 (*out is then 10^16, the exponent one more).
 */
static inline int round_to(uint64_t m, const struct exact *ex, int e, uint64_t div,
    uint64_t *out)
{
	uint64_t n = ex->q / div, rem = ex->q % div;
	bool up;

	if (div == 1) {
		u128 half = (u128)1 << (ex->s - 1);

		up = ex->r > half || (ex->r == half && (n & 1));
	} else {
		up = rem > div / 2 || (rem == div / 2 && (ex->r != 0 || (n & 1)));
	}
	n = (n + up) * div;
	/* Farther from q than the gap allows (a is within 1 of q): no need
	 * for the exact test. */
	if ((n > ex->q ? n - ex->q : ex->q - n) > ex->hg + 2) return 0;
	if (!reads_back(m, n, ex, 16 - e)) return 0;
	if (n >= pow10_tab[17]) {
		*out = pow10_tab[16];
		return 2;
	}
	*out = n;
	return 1;
}

/*
 * A double that is not an integer below 2^53.  Kept out of line so that
 * the integers (most calls) do not pay for its registers.
 */
__attribute__((noinline)) static size_t fmt_nonint(char *s, double x)
{
	struct exact ex;
	uint64_t bits, m, n;
	int be, E, e, r;

	memcpy(&bits, &x, sizeof bits);
	be = (int)(bits >> 52 & 0x7ff);
	if (be == 0 || be == 0x7ff) return num_fmt_double_ref(s, x); /* subnormal, inf, nan */
	m = (bits & ((1ull << 52) - 1)) | 1ull << 52;
	E = be - 1075;
	/* e = floor(log10 a): floor((be - 1023) * log10 2) or one more. */
	e = (be - 1023) * 78913;
	e = e >= 0 ? e >> 18 : -((-e + (1 << 18) - 1) >> 18);
	if (exact_at(m, E, 16 - e, &ex) < 0) return num_fmt_double_ref(s, x);
	if (ex.q >= pow10_tab[17] && (++e, exact_at(m, E, 16 - e, &ex) < 0))
		return num_fmt_double_ref(s, x);
	if (ex.q < pow10_tab[16] || ex.q >= pow10_tab[17]) return num_fmt_double_ref(s, x);
	/* floor(a * 10^(16-e)) has 17 digits: round it to 15, 16, 17 (each
	 * with its divisor a constant: no division instruction). */
	if ((r = round_to(m, &ex, e, 100, &n)) != 0) return fmt_g(s, x < 0, n, e + r - 1, 15);
	if ((r = round_to(m, &ex, e, 10, &n)) != 0) return fmt_g(s, x < 0, n, e + r - 1, 16);
	if ((r = round_to(m, &ex, e, 1, &n)) != 0) return fmt_g(s, x < 0, n, e + r - 1, 17);
	return num_fmt_double_ref(s, x); /* cannot happen */
}

size_t num_fmt_double(char *s, double x)
{
	if (fabs(x) < 9007199254740992.0) { /* an integer: no libm floor */
		int64_t i = (int64_t)x;

		if ((double)i == x) {
			if (i >= 0) return put_digits(s, (uint64_t)i);
			s[0] = '-';
			return 1 + put_digits(s + 1, (uint64_t)-i);
		}
	}
	return fmt_nonint(s, x);
}

int num_hexval(int c)
{
	if (c >= '0' && c <= '9') return c - '0';
	if (c >= 'a' && c <= 'f') return c - 'a' + 10;
	if (c >= 'A' && c <= 'F') return c - 'A' + 10;
	return -1;
}
