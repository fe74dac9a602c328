/*
 * msg.h - the ground floor every module may stand on: the program name,
 * "prog: message" on stderr, exit codes, the fatal exit, the table of
 * unfinished output files removed on a fatal exit or a deadly signal, and
 * the progress line.  It calls nothing of flowkit (not even xmalloc), so
 * bytes.c and everything above may call it.
 */
#ifndef FK_MSG_H
#define FK_MSG_H

#include <stdarg.h>
#include <stdint.h>

#define FK_VERSION "0.1.0"

enum { EXIT_OK = 0, EXIT_DATA = 1, EXIT_USAGE = 2 };

/*
 * msg_init(prog): remember the program name (a string that lives as long
 * as the process) and set the signals: SIGPIPE default (a closed pipe
 * ends a filter quietly), SIGINT/SIGTERM/SIGHUP remove the unfinished
 * outputs and then end the process as the signal would, SIGXFSZ ignored
 * so that a file-size limit makes write(2) fail with EFBIG and is
 * reported like any write error.  Call first in main.
 */
void msg_init(const char *prog);
const char *msg_prog(void);

/* "prog: message" on stderr (clearing the progress line first). */
void msg_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void msg_vwarn(const char *fmt, va_list ap) __attribute__((format(printf, 1, 0)));
/* msg_die: msg_warn, then msg_exit(status). */
void msg_die(int status, const char *fmt, ...)
    __attribute__((format(printf, 2, 3), noreturn));
/* msg_exit: remove the unfinished outputs and exit(status). */
void msg_exit(int status) __attribute__((noreturn));

/*
 * Unfinished outputs: paths (owned by the caller, kept alive until
 * removed from the table) that msg_exit() and the deadly signals unlink.
 * msg_unfinished_add: 0, or -1 when MSG_MAX_UNFINISHED are already there.
 */
#define MSG_MAX_UNFINISHED 64
int msg_unfinished_add(const char *path);
void msg_unfinished_remove(const char *path);

/*
 * Progress line: call often with what has been done; it draws at most a
 * few times a second, and only when stderr is a terminal.
 * msg_progress_end clears the line.
 */
void msg_progress(const char *what, uint64_t done, uint64_t total);
void msg_progress_end(void);

#endif
