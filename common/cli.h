/*
 * cli.h - the command-line rules every flowkit tool shares: program name
 * and messages, exit codes, strict number parsing, inputs ("-" is stdin),
 * output files written to a temporary name and renamed, provenance, and a
 * progress meter on stderr when it is a terminal.
 */
#ifndef FK_CLI_H
#define FK_CLI_H

#include <stdint.h>
#include <stdio.h>

#define FK_VERSION "0.1.0"

enum { EXIT_OK = 0, EXIT_DATA = 1, EXIT_USAGE = 2 };

/* cli_init: remember the program name and command line; call first in main. */
void cli_init(const char *prog, int argc, char **argv);
const char *cli_prog(void);

/* "prog: message" on stderr.  cli_die exits with status after removing
 * unfinished output files. */
void cli_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void cli_die(int status, const char *fmt, ...)
    __attribute__((format(printf, 2, 3), noreturn));
/* cli_usage_error: "prog: message" + "Try 'prog --help'." and exit 2. */
void cli_usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
/* cli_version: print "prog (flowkit) VERSION" on stdout and exit 0. */
void cli_version(void) __attribute__((noreturn));

/* Strict parsing: the whole string, in [min, max].  0 ok, -1 otherwise. */
int cli_parse_u64(const char *s, uint64_t min, uint64_t max, uint64_t *out);
int cli_parse_double(const char *s, double min, double max, double *out);

/*
 * The command line as one string for provenance: argv words joined by
 * spaces, each quoted for the shell when needed.  Words that follow an
 * option listed with cli_secret_option() are replaced by "<secret>".
 */
const char *cli_cmdline(void);
void cli_secret_option(const char *opt);

/*
 * Output files.  cli_out_open(o, path): path NULL or "-" is stdout;
 * otherwise a temporary file next to path, renamed over it by
 * cli_out_commit().  Unfinished temporary files are removed by cli_die()
 * and when the process is ended by SIGINT, SIGTERM or SIGHUP.
 */
/* At most this many output files may be open (unfinished) at once. */
#define CLI_MAX_OUT 64

struct cli_out {
	FILE *fp;
	char *path, *tmp;
	const char *name; /* for messages: path, or "stdout" */
};
int cli_out_open(struct cli_out *o, const char *path);
/* Flush, check for errors, close, rename.  0 ok; -1 after a message. */
int cli_out_commit(struct cli_out *o);
void cli_out_abort(struct cli_out *o);

/* Check and close stdout at exit: a write error is reported, exit 1. */
void cli_close_stdout(void);

/*
 * Progress meter: call often with what has been done; it draws at most a
 * few times a second, and only when stderr is a terminal.  cli_progress_end
 * clears the line.
 */
void cli_progress(const char *what, uint64_t done, uint64_t total);
void cli_progress_end(void);

#endif
