/*
 * ssh.h - the clear-text start of an SSH connection (RFC 4253 4.2, 7.1):
 * the identification string and the KEXINIT message of one side, and
 * the HASSH fingerprints (salesforce/hassh) computed from it.
 */
#ifndef FK_SSH_H
#define FK_SSH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SSH_MAXBANNER 255
#define SSH_MAXPKT 35000 /* RFC 4253 6.1: packets of 35000 bytes */

enum { SSH_MORE = 0, SSH_OK = 1, SSH_BAD = -1 };

struct ssh_side {
	char banner[SSH_MAXBANNER + 1]; /* without CR LF */
	bool kexinit;                   /* a KEXINIT was parsed */
	char hassh[33];                 /* MD5 hex of the algorithm string */
	char algs[1024];                /* the HASSH string, cut to fit (hassh is
	                                   * of the whole string) */
};

/* ssh_start: "SSH-" starts the stream (content detection). */
bool ssh_start(const uint8_t *p, size_t n);
/*
 * ssh_parse: the first bytes of one direction (server: lines before the
 * identification string are skipped, RFC 4253 4.2).  SSH_OK once the
 * banner and the KEXINIT are read, SSH_MORE when more bytes are needed,
 * SSH_BAD when the bytes are not SSH (s holds what was read).
 */
int ssh_parse(const uint8_t *p, size_t n, bool server, struct ssh_side *s);

#endif
