/*
 * capwalk.h - the capture operands of a command line turned into the list
 * of inputs to read, in order: a file name stays as it is, "-" is standard
 * input, a directory is walked recursively, depth first, each directory's
 * entries sorted by name (strcmp, the C locale's byte order), for the
 * regular files (or symbolic links to them) whose names end in .pcap,
 * .pcapng, .cap or .pcap.ng, each alone or followed by .gz, .zst or .xz,
 * in any case; symbolic links to directories are not followed below the
 * operands.  No operand at all is standard input.
 *
 * Typical use:
 *
 *	struct cw_list l = { 0 };
 *	cw_operands(&l, argv + optind, argc - optind);
 *	for (i = 0; i < l.n; i++) read(l.paths[i]);   // "-": standard input
 *	cw_free(&l);
 *
 * A directory that cannot be read is warned of ("DIR: why") and counted;
 * the walk goes on.  So is a directory operand in which no capture file
 * was found ("DIR: no capture files in this directory"): reading nothing
 * from it is an error, not a silent success.  Nothing is opened but directories: whether a file can
 * be read is for the reader to find out.
 */
#ifndef FK_CAPWALK_H
#define FK_CAPWALK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct cw_list {
	char **paths;           /* allocated, each allocated */
	size_t n;
	uint64_t unreadable;    /* directories that could not be read, or held no
	                           capture (warned) */
};

/* cw_operands(l, ops, n): append the inputs named by the n operands ops
 * (n == 0: "-") to l. */
void cw_operands(struct cw_list *l, char *const *ops, size_t n);
/* cw_add(l, op): append the inputs named by one operand. */
void cw_add(struct cw_list *l, const char *op);
/* Whether a file name (its last component) is a capture's by its extension. */
bool cw_capture_name(const char *name);
/* Free the paths; l is left empty (its count of unreadable ones kept). */
void cw_free(struct cw_list *l);

#endif
