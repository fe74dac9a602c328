/*
 * cli.h - the command-line rules every flowkit tool shares: usage errors,
 * --version, and the command line quoted for provenance (secrets hidden).
 * Messages, exit codes and the version are in msg.h, output files in
 * out.h, strict number parsing in num.h; all are included here for the
 * tools.  No module of common/ includes this header.
 */
#ifndef FK_CLI_H
#define FK_CLI_H

#include <stdint.h>
#include <stdio.h>

#include "msg.h"
#include "num.h"
#include "out.h"

/* cli_init: msg_init(prog) and remember the command line; call first in main. */
void cli_init(const char *prog, int argc, char **argv);

/* cli_usage_error: "prog: message" + "Try 'prog --help'." and exit 2. */
void cli_usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
/* cli_help(text): print the usage text on stdout and exit 0. */
void cli_help(const char *text) __attribute__((noreturn));
/*
 * cli_bad_option(c, argv): what getopt_long (opterr 0, optstring starting
 * with ':') returned for a bad option: ':' is an option without its
 * argument, anything else an unknown option.  A usage error (exit 2).
 */
void cli_bad_option(int c, char *const *argv) __attribute__((noreturn));
/*
 * cli_count(opt, s, min, max): the option argument s as a whole number in
 * min..max, or a usage error naming opt.  cli_seconds(opt, s, min, max):
 * the same for a number of seconds (a decimal fraction allowed).
 */
uint64_t cli_count(const char *opt, const char *s, uint64_t min, uint64_t max);
double cli_seconds(const char *opt, const char *s, double min, double max);
/* cli_version: print "prog (flowkit) VERSION" on stdout and exit 0. */
void cli_version(void) __attribute__((noreturn));

/*
 * The command line as one string for provenance: argv words joined by
 * spaces, each quoted for the shell when needed.  Words that follow an
 * option listed with cli_secret_option() are replaced by "<secret>".
 */
const char *cli_cmdline(void);
void cli_secret_option(const char *opt);

#endif
