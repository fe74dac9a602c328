/*
 * fuzz_ssh.c - libFuzzer harness for common/ssh.c: the input as the
 * start of the client's and of the server's stream.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ssh.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ssh_side s;
	int side;

	for (side = 0; side < 2; side++) {
		int r = ssh_parse(data, size, side, &s);

		if (strnlen(s.banner, sizeof s.banner) > SSH_MAXBANNER ||
		    strnlen(s.algs, sizeof s.algs) == sizeof s.algs)
			abort();
		if (r == SSH_OK && (!s.kexinit || strlen(s.hassh) != 32)) abort();
	}
	return 0;
}
