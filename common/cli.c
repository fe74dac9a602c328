/*
 * cli.c - the shared command-line rules (cli.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "bytes.h"
#include "cli.h"

static const char *prog = "flowkit";
static int g_argc;
static char **g_argv;
static char *cmdline;
static const char *secret_opts[8];
static size_t nsecret;

/* Temporary output files to remove if we die; touched by the signal handler. */
#define MAX_TMP CLI_MAX_OUT
static char *volatile tmp_files[MAX_TMP];

static void remove_tmp_files(void)
{
	size_t i;

	for (i = 0; i < MAX_TMP; i++)
		if (tmp_files[i]) unlink(tmp_files[i]);
}

static void on_signal(int sig)
{
	remove_tmp_files();
	signal(sig, SIG_DFL);
	raise(sig);
}

void cli_init(const char *name, int argc, char **argv)
{
	prog = name;
	g_argc = argc;
	g_argv = argv;
	/* A closed pipe must end us quietly, whatever our parent ignored. */
	signal(SIGPIPE, SIG_DFL);
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	signal(SIGHUP, on_signal);
}

const char *cli_prog(void) { return prog; }

static void vwarn_(const char *fmt, va_list ap)
{
	char msg[1024];

	cli_progress_end();
	vsnprintf(msg, sizeof msg, fmt, ap);
	fprintf(stderr, "%s: %s\n", prog, msg);
}

void cli_warn(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vwarn_(fmt, ap);
	va_end(ap);
}

void cli_die(int status, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vwarn_(fmt, ap);
	va_end(ap);
	remove_tmp_files();
	exit(status);
}

void cli_usage_error(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vwarn_(fmt, ap);
	va_end(ap);
	fprintf(stderr, "Try '%s --help' for more information.\n", prog);
	remove_tmp_files();
	exit(EXIT_USAGE);
}

void cli_version(void)
{
	printf("%s (flowkit) %s\n", prog, FK_VERSION);
	cli_close_stdout();
	exit(EXIT_OK);
}

int cli_parse_u64(const char *s, uint64_t min, uint64_t max, uint64_t *out)
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

int cli_parse_double(const char *s, double min, double max, double *out)
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

/* Remember a temporary file for removal; -1 when the table is full. */
static int tmp_register(char *path)
{
	size_t i;

	for (i = 0; i < MAX_TMP; i++)
		if (tmp_files[i] == NULL) {
			tmp_files[i] = path;
			return 0;
		}
	return -1;
}

static void tmp_unregister(const char *path)
{
	size_t i;

	for (i = 0; i < MAX_TMP; i++)
		if (tmp_files[i] == path) tmp_files[i] = NULL;
}

int cli_out_open(struct cli_out *o, const char *path)
{
	static char stdout_buf[1 << 16];
	int fd;
	mode_t mask;

	memset(o, 0, sizeof *o);
	if (path == NULL || strcmp(path, "-") == 0) {
		setvbuf(stdout, stdout_buf, _IOFBF, sizeof stdout_buf);
		o->fp = stdout;
		o->name = "stdout";
		return 0;
	}
	o->path = xstrdup(path);
	o->name = o->path;
	o->tmp = xmalloc(strlen(path) + 16);
	snprintf(o->tmp, strlen(path) + 16, "%s.tmp.XXXXXX", path);
	fd = mkstemp(o->tmp);
	if (fd < 0) {
		cli_warn("%s: %s", path, strerror(errno));
		free(o->tmp);
		free(o->path);
		return -1;
	}
	if (tmp_register(o->tmp) < 0) {
		cli_warn("%s: more than %d output files at once", path, CLI_MAX_OUT);
		close(fd);
		unlink(o->tmp);
		free(o->tmp);
		free(o->path);
		return -1;
	}
	/* mkstemp makes 0600; the result should look like any new file. */
	mask = umask(0);
	umask(mask);
	fchmod(fd, 0666 & ~mask);
	o->fp = fdopen(fd, "wb");
	if (o->fp == NULL) cli_die(EXIT_DATA, "%s: %s", path, strerror(errno));
	setvbuf(o->fp, NULL, _IOFBF, 1 << 16);
	return 0;
}

int cli_out_commit(struct cli_out *o)
{
	int rc = 0;

	if (o->tmp == NULL) {
		if (fflush(stdout) != 0 || ferror(stdout)) {
			cli_warn("stdout: write error: %s", strerror(errno));
			return -1;
		}
		return 0;
	}
	if (fflush(o->fp) != 0 || ferror(o->fp)) {
		cli_warn("%s: write error: %s", o->path, strerror(errno));
		rc = -1;
	}
	if (fclose(o->fp) != 0 && rc == 0) {
		cli_warn("%s: write error: %s", o->path, strerror(errno));
		rc = -1;
	}
	if (rc == 0 && rename(o->tmp, o->path) != 0) {
		cli_warn("%s: %s", o->path, strerror(errno));
		rc = -1;
	}
	if (rc < 0) unlink(o->tmp);
	tmp_unregister(o->tmp);
	free(o->tmp);
	free(o->path);
	o->tmp = o->path = NULL;
	o->fp = NULL;
	return rc;
}

void cli_out_abort(struct cli_out *o)
{
	if (o->tmp == NULL) return;
	fclose(o->fp);
	unlink(o->tmp);
	tmp_unregister(o->tmp);
	free(o->tmp);
	free(o->path);
	o->tmp = o->path = NULL;
	o->fp = NULL;
}

void cli_close_stdout(void)
{
	bool bad = fflush(stdout) != 0 || ferror(stdout);

	if (fclose(stdout) != 0) bad = true;
	if (bad) cli_die(EXIT_DATA, "stdout: write error: %s", strerror(errno));
}

static int progress_tty = -1;
static bool progress_drawn;
static struct timespec progress_last;

void cli_progress(const char *what, uint64_t done, uint64_t total)
{
	struct timespec now;
	long ms;

	if (progress_tty < 0) progress_tty = isatty(2);
	if (!progress_tty) return;
	clock_gettime(CLOCK_MONOTONIC, &now);
	ms = (now.tv_sec - progress_last.tv_sec) * 1000 + (now.tv_nsec - progress_last.tv_nsec) / 1000000;
	if (progress_drawn && ms < 250) return;
	progress_last = now;
	if (total)
		fprintf(stderr, "\r%s: %s: %llu/%llu (%.0f%%)\033[K", prog, what,
		    (unsigned long long)done, (unsigned long long)total, 100.0 * (double)done / (double)total);
	else
		fprintf(stderr, "\r%s: %s: %llu\033[K", prog, what, (unsigned long long)done);
	progress_drawn = true;
}

void cli_progress_end(void)
{
	if (progress_drawn) {
		fputs("\r\033[K", stderr);
		progress_drawn = false;
	}
}
