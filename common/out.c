/*
 * out.c - output files and groups, written safely (out.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bytes.h"
#include "out.h"

/* fsync's answer for files that cannot be synced (pipes, some devices,
 * read-only or odd file systems) is not a write error. */
static bool sync_failed(int fd)
{
	return fsync(fd) != 0 && errno != EINVAL && errno != EROFS && errno != ENOTSUP;
}

/* names_open_file(path): /dev/stdout, /dev/fd/N, /proc/self/fd/N and the
 * like name a file already open, not a place to put a new one. */
static bool names_open_file(const char *p)
{
	return strncmp(p, "/proc/", 6) == 0 || strncmp(p, "/dev/fd/", 8) == 0 ||
	    strcmp(p, "/dev/stdout") == 0 || strcmp(p, "/dev/stderr") == 0;
}

/* follow_links(path): path with the symbolic links of its last component
 * followed to their end, or to the first name of an open file
 * (xmalloc'd); NULL with errno ELOOP. */
static char *follow_links(const char *path)
{
	char *p = xstrdup(path), link[PATH_MAX];
	struct stat st;
	int hops;

	for (hops = 0; hops < 40; hops++) {
		const char *slash;
		ssize_t n;
		size_t dl;
		char *q;

		if (names_open_file(p) || lstat(p, &st) != 0 || !S_ISLNK(st.st_mode)) return p;
		n = readlink(p, link, sizeof link - 1);
		if (n < 0) return p; /* open reports it */
		link[n] = '\0';
		slash = strrchr(p, '/');
		dl = link[0] == '/' || slash == NULL ? 0 : (size_t)(slash - p) + 1;
		q = xmalloc(dl + (size_t)n + 1);
		memcpy(q, p, dl);
		memcpy(q + dl, link, (size_t)n + 1);
		free(p);
		p = q;
	}
	free(p);
	errno = ELOOP;
	return NULL;
}

static void release(struct out_file *o)
{
	if (o->tmp) msg_unfinished_remove(o->tmp);
	free(o->tmp);
	free(o->dest);
	free(o->path);
	free(o->buf);
	o->tmp = o->dest = o->path = o->buf = NULL;
	o->fp = NULL;
}

/* open_fd_name(path): for /dev/stdout, /dev/stderr, /dev/fd/N and
 * /proc/self/fd/N a duplicate of that descriptor; otherwise -1 with errno
 * 0. */
static int open_fd_name(const char *p)
{
	const char *n = NULL;
	uint64_t v = 0;

	errno = 0;
	if (strcmp(p, "/dev/stdout") == 0) return fcntl(1, F_DUPFD_CLOEXEC, 3);
	if (strcmp(p, "/dev/stderr") == 0) return fcntl(2, F_DUPFD_CLOEXEC, 3);
	if (strncmp(p, "/dev/fd/", 8) == 0) n = p + 8;
	else if (strncmp(p, "/proc/self/fd/", 14) == 0) n = p + 14;
	if (n == NULL || *n == '\0') return -1;
	for (; *n; n++) {
		if (*n < '0' || *n > '9' || v > INT_MAX / 10) return -1;
		v = v * 10 + (uint64_t)(*n - '0');
	}
	if (v > INT_MAX) return -1;
	return fcntl((int)v, F_DUPFD_CLOEXEC, 3);
}

/* The stdio buffer of a file output: large writes (glibc's default is the
 * 4 KiB block size). */
#define OUT_BUF (256u << 10)

static int open_direct(struct out_file *o, bool need_regular)
{
	int fd;

	if (need_regular) {
		msg_warn("%s: not a regular file", o->name);
		release(o);
		return -1;
	}
	/* A name of one of our own descriptors is that descriptor, with its
	 * offset and append mode: "-o /dev/stdout >>log" must append. */
	fd = open_fd_name(o->path);
	if (fd < 0 && errno == 0)
		fd = open(o->path, O_WRONLY | O_CREAT | O_TRUNC | O_NOCTTY | O_CLOEXEC, 0666);
	if (fd < 0 || (o->fp = fdopen(fd, "wb")) == NULL) {
		msg_warn("%s: %s", o->name, strerror(errno));
		if (fd >= 0) close(fd);
		release(o);
		return -1;
	}
	o->buf = xmalloc(OUT_BUF);
	setvbuf(o->fp, o->buf, _IOFBF, OUT_BUF);
	o->direct = true;
	return 0;
}

static int open_(struct out_file *o, const char *path, bool need_regular)
{
	static char stdout_buf[1 << 16];
	struct stat st;
	size_t n;
	mode_t mask;
	int fd;

	memset(o, 0, sizeof *o);
	if (path == NULL || strcmp(path, "-") == 0) {
		if (need_regular) {
			msg_warn("stdout: not a regular file");
			return -1;
		}
		setvbuf(stdout, stdout_buf, _IOFBF, sizeof stdout_buf);
		o->fp = stdout;
		o->name = "stdout";
		o->direct = true;
		return 0;
	}
	o->path = xstrdup(path);
	o->name = o->path;
	if (stat(path, &st) == 0 && !S_ISREG(st.st_mode)) return open_direct(o, need_regular);
	o->dest = follow_links(path);
	if (o->dest == NULL) {
		msg_warn("%s: %s", path, strerror(errno));
		release(o);
		return -1;
	}
	if (names_open_file(o->dest)) {
		free(o->dest);
		o->dest = NULL;
		return open_direct(o, need_regular);
	}
	n = strlen(o->dest) + 16;
	o->tmp = xmalloc(n);
	snprintf(o->tmp, n, "%s.tmp.XXXXXX", o->dest);
	fd = mkostemp(o->tmp, O_CLOEXEC);
	if (fd < 0) {
		msg_warn("%s: %s", path, strerror(errno));
		free(o->tmp);
		o->tmp = NULL;
		release(o);
		return -1;
	}
	if (msg_unfinished_add(o->tmp) < 0) {
		msg_warn("%s: more than %d output files at once", path, MSG_MAX_UNFINISHED);
		close(fd);
		unlink(o->tmp);
		free(o->tmp);
		o->tmp = NULL;
		release(o);
		return -1;
	}
	/* mkstemp makes 0600; the result should look like any new file. */
	mask = umask(0);
	umask(mask);
	fchmod(fd, 0666 & ~mask);
	o->fp = fdopen(fd, "wb");
	if (o->fp == NULL) msg_die(EXIT_DATA, "%s: %s", path, strerror(errno));
	/* not setvbuf(fp, NULL, ...): glibc ignores the size without a
	 * buffer, and flow-idx wrote its images 4 KiB a write */
	o->buf = xmalloc(OUT_BUF);
	setvbuf(o->fp, o->buf, _IOFBF, OUT_BUF);
	return 0;
}

int out_open(struct out_file *o, const char *path) { return open_(o, path, false); }
int out_open_regular(struct out_file *o, const char *path) { return open_(o, path, true); }

/* werr(o): report a write error once; errno is read first. */
static int werr(struct out_file *o)
{
	int e = errno;

	msg_warn("%s: write error: %s", o->name, e ? strerror(e) : "I/O error");
	return -1;
}

int out_finish(struct out_file *o)
{
	if (o->fp == NULL) return -1;
	if (o->synced) return 0;
	errno = 0;
	if (fflush(o->fp) != 0 || ferror(o->fp)) return werr(o);
	if (o->fp != stdout && sync_failed(fileno(o->fp))) return werr(o);
	o->synced = true;
	return 0;
}

int out_copy_range(struct out_file *o, const char *src, uint64_t off, uint64_t len)
{
	FILE *fp = fopen(src, "rb");
	char *b;
	size_t n;

	if (fp == NULL || fseeko(fp, (off_t)off, SEEK_SET) != 0) {
		msg_warn("%s: %s", src, strerror(errno));
		if (fp) fclose(fp);
		return -1;
	}
	b = xmalloc(1 << 16);
	while (len) {
		n = fread(b, 1, len < (1u << 16) ? (size_t)len : 1u << 16, fp);
		if (n == 0) {
			msg_warn("%s: %s", src, ferror(fp) ? strerror(errno) : "file shrank while read");
			break;
		}
		if (fwrite(b, 1, n, o->fp) != n) {
			msg_warn("%s: write error: %s", o->name, strerror(errno));
			break;
		}
		len -= n;
	}
	free(b);
	fclose(fp);
	return len ? -1 : 0;
}

/* sync_dir(path): fsync the directory that holds path. */
static int sync_dir(const char *path)
{
	const char *slash = strrchr(path, '/');
	char *d;
	int fd, rc = 0;

	if (slash == NULL) d = xstrdup(".");
	else if (slash == path) d = xstrdup("/");
	else {
		d = xmalloc((size_t)(slash - path) + 1);
		memcpy(d, path, (size_t)(slash - path));
		d[slash - path] = '\0';
	}
	/* A directory we may not open (write and search permission only) is
	 * one we cannot sync: that is no write error. */
	fd = open(d, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd >= 0 && sync_failed(fd)) {
		msg_warn("%s: cannot sync the directory: %s", d, strerror(errno));
		rc = -1;
	}
	if (fd >= 0) close(fd);
	free(d);
	return rc;
}

/* same_dir(a, b): a and b name files of one directory (as spelled). */
static bool same_dir(const char *a, const char *b)
{
	const char *sa = strrchr(a, '/'), *sb = strrchr(b, '/');
	size_t la = sa ? (size_t)(sa - a) : 0, lb = sb ? (size_t)(sb - b) : 0;

	return la == lb && memcmp(a, b, la) == 0;
}

/* close_rename(o): the second half of a commit, after out_finish. */
static int close_rename(struct out_file *o)
{
	int rc = 0;

	if (o->fp == stdout) {
		o->fp = NULL;
		return 0;
	}
	errno = 0;
	if (fclose(o->fp) != 0) rc = werr(o);
	o->fp = NULL;
	if (rc == 0 && o->tmp && rename(o->tmp, o->dest) != 0) {
		msg_warn("%s: %s", o->name, strerror(errno));
		rc = -1;
	}
	if (rc < 0 && o->tmp) unlink(o->tmp);
	if (rc == 0 && o->tmp) { /* renamed: nothing left to remove */
		msg_unfinished_remove(o->tmp);
		free(o->tmp);
		o->tmp = NULL;
	}
	return rc;
}

int out_commit(struct out_file *o)
{
	int rc;

	if (o->fp == NULL) return -1;
	if (out_finish(o) < 0) {
		out_abort(o);
		return -1;
	}
	rc = close_rename(o);
	if (rc == 0 && o->dest) rc = sync_dir(o->dest);
	release(o);
	return rc;
}

void out_abort(struct out_file *o)
{
	if (o->fp && o->fp != stdout) fclose(o->fp);
	if (o->tmp) unlink(o->tmp);
	release(o);
}

void out_group_add(struct out_group *g, struct out_file *f)
{
	if (g->n == OUT_GROUP_MAX) msg_die(EXIT_DATA, "more than %d files in one output group", OUT_GROUP_MAX);
	g->f[g->n++] = f;
}

int out_group_commit(struct out_group *g)
{
	unsigned i, j;
	int rc = 0;

	for (i = 0; i < g->n; i++)
		if (out_finish(g->f[i]) < 0) {
			out_group_abort(g);
			return -1;
		}
	for (i = 0; i < g->n; i++)
		if (rc == 0 && close_rename(g->f[i]) < 0) rc = -1;
	for (i = 0; i < g->n; i++) {
		struct out_file *o = g->f[i];
		bool seen = false;

		if (rc == 0 && o->dest) {
			/* One sync per directory. */
			for (j = 0; j < i; j++)
				if (g->f[j]->dest && same_dir(g->f[j]->dest, o->dest)) seen = true;
			if (!seen && sync_dir(o->dest) < 0) rc = -1;
		}
	}
	for (i = 0; i < g->n; i++) out_abort(g->f[i]); /* frees; removes what was not renamed */
	g->n = 0;
	return rc;
}

void out_group_abort(struct out_group *g)
{
	unsigned i;

	for (i = 0; i < g->n; i++) out_abort(g->f[i]);
	g->n = 0;
}

int out_lock(const char *path)
{
	int fd = open(path, O_RDWR | O_CREAT | O_NOCTTY | O_CLOEXEC, 0666);

	if (fd < 0) {
		msg_warn("%s: cannot lock: %s", path, strerror(errno));
		return -1;
	}
	while (flock(fd, LOCK_EX) != 0)
		if (errno != EINTR) {
			msg_warn("%s: cannot lock: %s", path, strerror(errno));
			close(fd);
			return -1;
		}
	return 0; /* the descriptor stays open: the lock lasts until exit */
}

void out_close_stdout(void)
{
	bool bad;

	errno = 0;
	bad = fflush(stdout) != 0 || ferror(stdout);
	if (fclose(stdout) != 0) bad = true;
	if (bad) msg_die(EXIT_DATA, "stdout: write error: %s", errno ? strerror(errno) : "I/O error");
}
