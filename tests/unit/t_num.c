/*
 * t_num.c - unit tests of common/num.c's double printer: num_fmt_double
 * must give the bytes of the snprintf("%.15g"/"%.16g"/"%.17g") and strtod
 * loop (num_fmt_double_ref) for every value: random bit patterns, short
 * decimals, ratios of small integers (means, rates), times in seconds,
 * values near powers of ten and of two, and the special ones.
 *
 *   t_num         the tests
 *   t_num -b N    time N values of each printer (a benchmark)
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "num.h"

#include "tap.h"

static unsigned long bad;

static void check(double x)
{
	char a[NUM_DBL_LEN], b[NUM_DBL_LEN];
	size_t n = num_fmt_double(a, x), m = num_fmt_double_ref(b, x);

	if (n != m || memcmp(a, b, n) != 0) {
		if (bad++ < 10) diag("%.17g: got %.*s, want %.*s", x, (int)n, a, (int)m, b);
	}
}

static double bits(uint64_t u)
{
	double x;

	memcpy(&x, &u, 8);
	return x;
}

static double secs(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
	static const double special[] = {
		0.0, -0.0, 1.0, -1.0, 0.5, 0.1, 0.3, 2e-06, 0.0003325, 83.81818181818181,
		3.3333333333333335, 0.6309038567106239, 1e15 + 0.5, 4503599627370495.5,
		9007199254740992.0, 1e16, 1e21, 1e22, 1e300, 1e-300, 5e-324, 1e-5, 1e-4, 1e-11,
		9.999999999999999e-5, 0.0001, 123456789012345.6, 1234567890123456.7,
		2.2250738585072014e-308, 1.7976931348623157e308,
	};
	unsigned long n0;

	if (argc == 3 && strcmp(argv[1], "-b") == 0) {
		long n = atol(argv[2]);
		char s[NUM_DBL_LEN];
		size_t sink = 0;
		double t0, t1, t2;

		t0 = secs();
		for (long i = 0; i < n; i++) sink += num_fmt_double(s, (double)(i + 1) / 7.0);
		t1 = secs();
		for (long i = 0; i < n; i++) sink += num_fmt_double_ref(s, (double)(i + 1) / 7.0);
		t2 = secs();
		printf("fast %.1f ns, loop %.1f ns per value (%zu)\n", (t1 - t0) / (double)n * 1e9,
		    (t2 - t1) / (double)n * 1e9, sink);
		return 0;
	}
	for (size_t i = 0; i < sizeof special / sizeof special[0]; i++) check(special[i]);
	check(INFINITY);
	check(-INFINITY);
	check(NAN);
	ok(bad == 0, "special values and the golden ones");
	n0 = bad;
	for (int i = 0; i < 300000; i++) {
		double x = bits(rng());

		if (!isnan(x)) check(x);
	}
	ok(bad == n0, "300000 random bit patterns");
	n0 = bad;
	for (int i = 0; i < 300000; i++) {
		uint64_t u = rng();
		double x = bits((u & 0x800fffffffffffffull) | ((uint64_t)(1023 - 45 + (u >> 52) % 200) << 52));

		check(x);
	}
	ok(bad == n0, "300000 random values from 1e-14 to 1e46");
	n0 = bad;
	for (int i = 0; i < 300000; i++) {
		uint64_t u = rng();
		double x = (double)(u % 100000000) / pow(10, (double)((u >> 40) % 20));

		check(x);
		check(-x);
	}
	ok(bad == n0, "short decimals");
	n0 = bad;
	for (int i = 0; i < 300000; i++) {
		uint64_t u = rng();
		double a = (double)(u % 1000000), b = (double)((u >> 20) % 10000 + 1);

		check(a / b);
		check(sqrt(a / b));
		check((double)(int64_t)(u % 100000000000ull) / 1e9);
	}
	for (int i = 0; i < 100000; i++) {
		uint64_t u = rng();

		check((double)(u >> (u % 16))); /* integers past 2^53 */
		check(1704067200.0 * 1e9 + (double)(u % 1000000000000ull));
	}
	ok(bad == n0, "ratios, square roots, times in seconds, large integers");
	n0 = bad;
	for (int k = -20; k <= 22; k++) {
		double p = pow(10, k);

		for (int j = -40; j <= 40; j++) {
			double x = p;

			for (int s = 0; s < abs(j); s++) x = nextafter(x, j < 0 ? 0 : INFINITY);
			check(x);
		}
	}
	for (int k = -60; k <= 60; k++) {
		double x = ldexp(1, k);

		check(x);
		check(nextafter(x, 0));
		check(nextafter(x, INFINITY));
		check(ldexp(3, k));
	}
	ok(bad == n0, "near powers of ten and of two");
	n0 = bad;
	for (int i = 0; i < 300000; i++) {
		uint64_t u = rng();
		/* Exact binary fractions: finite decimals, so ties at 15-17 digits. */
		double x = ldexp((double)(u >> (11 + u % 40)), -(int)(u >> 58) - (int)(u % 23));

		check(x);
		check(ldexp((double)(u % 100000000000000000ull >> 7), -(int)(u % 60)));
	}
	for (uint64_t k = 1; k < 200000; k++) {
		/* n + 1/2 ulp-ish decimals: half-way cases of %.15g..%.17g. */
		check(((double)k * 1e10 + 0.5) / 1e12);
		check((double)k / 1024.0 + 1e-6);
	}
	ok(bad == n0, "binary fractions (exact ties) and half-way decimals");
	printf("1..%u\n", ntest);
	return nfail != 0;
}
