/*
 * cli.c - the shared command-line rules (cli.h).
 */
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "bytes.h"
#include "cli.h"

static int g_argc;
static char **g_argv;
static char *cmdline;
static const char *secret_opts[8];
static size_t nsecret;

void cli_init(const char *name, int argc, char **argv)
{
	msg_init(name);
	g_argc = argc;
	g_argv = argv;
}

void cli_usage_error(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	msg_vwarn(fmt, ap);
	va_end(ap);
	fprintf(stderr, "Try '%s --help' for more information.\n", msg_prog());
	msg_exit(EXIT_USAGE);
}

uint64_t cli_count(const char *opt, const char *s, uint64_t min, uint64_t max)
{
	uint64_t v;

	if (num_parse_u64(s, min, max, &v) < 0)
		cli_usage_error("%s: '%s' is not a whole number from %llu to %llu", opt, s,
		    (unsigned long long)min, (unsigned long long)max);
	return v;
}

double cli_seconds(const char *opt, const char *s, double min, double max)
{
	double v;

	if (num_parse_double(s, min, max, &v) < 0)
		cli_usage_error("%s: '%s' is not a number of seconds from %g to %g", opt, s, min, max);
	return v;
}

void cli_version(void)
{
	printf("%s (flowkit) %s\n", msg_prog(), FK_VERSION);
	out_close_stdout();
	exit(EXIT_OK);
}

void cli_help(const char *text)
{
	fputs(text, stdout);
	out_close_stdout();
	exit(EXIT_OK);
}

void cli_bad_option(int c, char *const *argv)
{
	if (c == ':') cli_usage_error("option %s needs an argument", argv[optind - 1]);
	if (optopt) cli_usage_error("unknown option -%c", optopt);
	cli_usage_error("unknown option %s", argv[optind - 1]);
}

void cli_secret_option(const char *opt)
{
	if (nsecret < sizeof secret_opts / sizeof secret_opts[0]) secret_opts[nsecret++] = opt;
	free(cmdline);
	cmdline = NULL;
}

static bool is_secret_opt(const char *w, bool *inline_value)
{
	size_t i, n;

	for (i = 0; i < nsecret; i++) {
		n = strlen(secret_opts[i]);
		if (strcmp(w, secret_opts[i]) == 0) {
			*inline_value = false;
			return true;
		}
		if (strncmp(w, secret_opts[i], n) == 0 && (w[n] == '=' ||
		    (secret_opts[i][1] != '-' && w[n] != '\0'))) {
			*inline_value = true;
			return true;
		}
	}
	return false;
}

static void put_word(struct buf *b, const char *w)
{
	const char *s;
	bool plain = *w != '\0';

	for (s = w; *s; s++)
		if (!strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_./:=,+@%-", *s))
			plain = false;
	if (plain) {
		buf_put(b, w, strlen(w));
		return;
	}
	buf_put8(b, '\'');
	for (s = w; *s; s++) {
		if (*s == '\'') buf_put(b, "'\\''", 4);
		else buf_put8(b, (uint8_t)*s);
	}
	buf_put8(b, '\'');
}

const char *cli_cmdline(void)
{
	struct buf b = { 0 };
	int i;
	bool inl, hide_next = false;

	if (cmdline) return cmdline;
	for (i = 0; i < g_argc; i++) {
		const char *w = g_argv[i];

		if (i) buf_put8(&b, ' ');
		if (i == 0) {
			const char *slash = strrchr(w, '/');

			put_word(&b, slash ? slash + 1 : w);
		} else if (hide_next) {
			buf_put(&b, "<secret>", 8);
			hide_next = false;
		} else if (is_secret_opt(w, &inl)) {
			if (inl) {
				const char *eq = strchr(w, '=');
				size_t keep = eq ? (size_t)(eq - w) + 1 : 2;

				buf_put(&b, w, keep);
				buf_put(&b, "<secret>", 8);
			} else {
				put_word(&b, w);
				hide_next = true;
			}
		} else {
			put_word(&b, w);
		}
	}
	buf_put8(&b, '\0');
	cmdline = (char *)b.p;
	return cmdline;
}
