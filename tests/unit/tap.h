/*
 * tap.h - the few TAP helpers the C unit tests share: ok() and is() print
 * one numbered result each, diag() a comment on stderr, rng() a small
 * deterministic generator (xorshift64*) so that a failure repeats.  Each
 * test program includes it once; define TAP_RNG_SEED first for another
 * sequence.  The caller prints the plan ("1..%u", ntest) at the end and
 * exits with nfail != 0.
 */
#ifndef FK_TAP_H
#define FK_TAP_H

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>

#define TAP_UNUSED __attribute__((unused))

static unsigned ntest, nfail;

static int tap_result(int cond, int line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4))) TAP_UNUSED;
static int tap_result(int cond, int line, const char *fmt, ...)
{
	va_list ap;

	ntest++;
	printf("%s %u - ", cond ? "ok" : "not ok", ntest);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	if (!cond) {
		nfail++;
		printf("#   failed at line %d\n", line);
	}
	return cond;
}

/* ok(cond, fmt, ...): one result; its value is cond. */
#define ok(cond, ...) tap_result(!!(cond), __LINE__, __VA_ARGS__)
/* is(got, want, fmt, ...): integers compared, both shown when they differ. */
#define is(got, want, ...) do { \
	long long g_ = (long long)(got), w_ = (long long)(want); \
	tap_result(g_ == w_, __LINE__, __VA_ARGS__); \
	if (g_ != w_) printf("#   got %lld, want %lld\n", g_, w_); \
} while (0)

static void diag(const char *fmt, ...) __attribute__((format(printf, 1, 2))) TAP_UNUSED;
static void diag(const char *fmt, ...)
{
	va_list ap;

	fflush(stdout);
	fputs("# ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

#ifndef TAP_RNG_SEED
#define TAP_RNG_SEED 0x2545F4914F6CDD1Dull
#endif
static uint64_t rng_state = TAP_RNG_SEED;
static uint64_t rng(void) TAP_UNUSED;
static uint64_t rng(void)
{
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return rng_state * 0x2545F4914F6CDD1Dull;
}

#endif
