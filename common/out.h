/*
 * out.h - output files: one file or a group of files written under
 * temporary names and committed (synced, renamed, directory synced) only
 * when complete; special files written in place; a lock for the
 * read-modify-commit cycle of appends.
 *
 * The rules (flowkit(7), FILES):
 *   - NULL or "-" is standard output.
 *   - A path that is, or whose symlinks end at, a FIFO, a device, a socket
 *     or anything not a regular file, and any path under /dev or /proc, is
 *     opened and written in place: never renamed over, never removed.
 *   - Otherwise symbolic links are followed: the temporary is made in the
 *     directory of the link's final target and renamed over that target,
 *     so the link stays a link and the file it names is replaced.
 *   - A temporary is "DEST.tmp.XXXXXX" beside DEST; it is removed by
 *     msg_exit() (msg_die) and by SIGINT, SIGTERM, SIGHUP.
 *   - Commit: fflush, ferror, fsync, fclose, rename, fsync of the
 *     directory.  A group syncs every file before the first rename, renames
 *     in the order the files were added, then syncs each directory.
 */
#ifndef FK_OUT_H
#define FK_OUT_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "msg.h"

struct out_file {
	FILE *fp;
	const char *name; /* for messages: the path as given, or "stdout" */
	char *path;       /* the path as given; NULL for stdout */
	char *dest;       /* what the rename replaces (path with its links followed) */
	char *tmp;        /* the temporary; NULL when written in place */
	bool direct;      /* written in place: stdout or a special file */
	bool synced;      /* out_finish succeeded */
	char *buf;        /* the stream's buffer (temporaries), freed after fclose */
};

/*
 * out_open(o, path): open an output as the rules above say.  0, or -1
 * after a message (nothing to abort).  out_open_regular is the same for
 * writers that seek back (IDX): it refuses stdout and non-regular files.
 */
int out_open(struct out_file *o, const char *path);
int out_open_regular(struct out_file *o, const char *path);
/* out_finish: flush, check for errors and fsync, but do not rename.  0, or
 * -1 after a message (the file stays open: commit fails, abort removes). */
int out_finish(struct out_file *o);
/* out_copy_range(o, src, off, len): append len bytes of the file src,
 * from offset off, to o (the old items of an appended file).  0, or -1
 * after a message: src unreadable or shorter, or a write error. */
int out_copy_range(struct out_file *o, const char *src, uint64_t off, uint64_t len);
/* out_commit: out_finish if not done, close, rename, sync the directory.
 * 0, or -1 after a message with the temporary removed.  For stdout only
 * flushes (out_close_stdout closes it at exit). */
int out_commit(struct out_file *o);
/* out_abort: close and remove the temporary (a special file is only
 * closed).  Safe on a file already committed or aborted. */
void out_abort(struct out_file *o);

/* A group of outputs committed together, in the order added: put the file
 * that makes the others count (labels, an index) last. */
#define OUT_GROUP_MAX 64
struct out_group {
	struct out_file *f[OUT_GROUP_MAX];
	unsigned n;
};
/* out_group_add: the file is not copied and must live until commit/abort. */
void out_group_add(struct out_group *g, struct out_file *f);
/* out_group_commit: out_finish every file (on a failure all are aborted
 * and nothing is replaced), then rename in order, then sync the
 * directories.  0, or -1 after a message. */
int out_group_commit(struct out_group *g);
void out_group_abort(struct out_group *g);

/*
 * out_lock(path): take an exclusive flock(2) on path (created empty if
 * missing, never removed), WAITING for other holders; it is held until the
 * process exits.  For a read-modify-commit cycle (appends): take it before
 * reading what will be rewritten.  0, or -1 after a message.
 */
int out_lock(const char *path);

/* out_close_stdout: flush and close stdout at exit; a write error is
 * reported and the process exits 1 (msg_die). */
void out_close_stdout(void);

#endif
