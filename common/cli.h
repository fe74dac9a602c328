/*
 * cli.h - the command-line rules every flowkit tool shares: usage errors,
 * --version, strict number parsing, and the command line quoted for
 * provenance (secrets hidden).  Messages and exit codes are in msg.h,
 * output files in out.h; both are included here for the tools.
 */
#ifndef FK_CLI_H
#define FK_CLI_H

#include <stdint.h>
#include <stdio.h>

#include "msg.h"
#include "out.h"

#define FK_VERSION "0.1.0"

/* cli_init: msg_init(prog) and remember the command line; call first in main. */
void cli_init(const char *prog, int argc, char **argv);

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
 * TEMPORARY compatibility names for the parallel work packages: the
 * integrator renames the call sites (sed 's/\bcli_warn\b/msg_warn/g' and
 * so on, one line per macro below) and then deletes this block.
 */
#define cli_prog msg_prog
#define cli_warn msg_warn
#define cli_die msg_die
#define cli_progress msg_progress
#define cli_progress_end msg_progress_end
#define cli_close_stdout out_close_stdout
#define cli_out out_file
#define cli_out_open out_open
#define cli_out_commit out_commit
#define cli_out_abort out_abort
#define CLI_MAX_OUT MSG_MAX_UNFINISHED
/* end of the temporary block */

#endif
