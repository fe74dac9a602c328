/*
 * capwalk.c - capture operands to inputs (see capwalk.h).
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "bytes.h"
#include "capwalk.h"
#include "msg.h"

static int cmpstr(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Whether name ends in a capture's extension after its first n bytes. */
static bool capture_ext(const char *name, size_t n)
{
	static const char *const ext[] = { ".pcap", ".pcapng", ".cap", ".pcap.ng" };
	size_t i;

	for (i = 0; i < sizeof ext / sizeof ext[0]; i++) {
		size_t k = strlen(ext[i]);

		if (n > k && strncasecmp(name + n - k, ext[i], k) == 0) return true;
	}
	return false;
}

bool cw_capture_name(const char *name)
{
	static const char *const z[] = { ".gz", ".zst", ".xz" };
	size_t n = strlen(name), i;

	if (capture_ext(name, n)) return true;
	for (i = 0; i < sizeof z / sizeof z[0]; i++) {
		size_t k = strlen(z[i]);

		if (n > k && strcasecmp(name + n - k, z[i]) == 0 && capture_ext(name, n - k)) return true;
	}
	return false;
}

/* Take path (allocated) into the list. */
static void push(struct cw_list *l, char *path)
{
	l->paths = xrealloc(l->paths, (l->n + 1) * sizeof *l->paths);
	l->paths[l->n++] = path;
}

/* Append the captures under dir to the list, depth first, names sorted. */
static void walk(struct cw_list *l, const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	char **names = NULL;
	size_t nn = 0, i;

	if (!d) {
		msg_warn("%s: %s", dir, strerror(errno));
		l->unreadable++;
		return;
	}
	while ((de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0) continue;
		names = xrealloc(names, (nn + 1) * sizeof *names);
		names[nn++] = xstrdup(de->d_name);
	}
	closedir(d);
	if (nn) qsort(names, nn, sizeof *names, cmpstr);  /* qsort(NULL, 0) is undefined */
	for (i = 0; i < nn; i++) {
		size_t len = strlen(dir) + strlen(names[i]) + 2;
		char *path = xmalloc(len);
		struct stat sb;

		snprintf(path, len, "%s%s%s", dir, dir[strlen(dir) - 1] == '/' ? "" : "/", names[i]);
		if (lstat(path, &sb) == 0 && S_ISDIR(sb.st_mode)) {
			walk(l, path);
			free(path);
		} else if (stat(path, &sb) == 0 && S_ISREG(sb.st_mode) && cw_capture_name(names[i])) {
			push(l, path);
		} else {
			free(path);
		}
		free(names[i]);
	}
	free(names);
}

void cw_add(struct cw_list *l, const char *op)
{
	struct stat sb;

	if (strcmp(op, "-") != 0 && stat(op, &sb) == 0 && S_ISDIR(sb.st_mode)) {
		size_t n0 = l->n;
		uint64_t u0 = l->unreadable;

		walk(l, op);
		/* Reading nothing from a directory is never what was asked. */
		if (l->n == n0 && l->unreadable == u0) {
			msg_warn("%s: no capture files in this directory", op);
			l->unreadable++;
		}
	} else
		push(l, xstrdup(op));
}

void cw_operands(struct cw_list *l, char *const *ops, size_t n)
{
	size_t i;

	if (n == 0) cw_add(l, "-");
	for (i = 0; i < n; i++) cw_add(l, ops[i]);
}

void cw_free(struct cw_list *l)
{
	size_t i;

	for (i = 0; i < l->n; i++) free(l->paths[i]);
	free(l->paths);
	l->paths = NULL;
	l->n = 0;
}
