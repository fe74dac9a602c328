/*
 * fuzz_dns.c - libFuzzer harness for common/dns.c: one message; names
 * must be NUL-terminated and at most DNS_MAXNAME bytes, answers at most
 * DNS_MAXANS, addresses 0, 4 or 16 bytes.  Compression loops must end
 * (the harness's timeout catches a hang).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dns.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct dns_msg m;
	unsigned i;

	dns_parse(data, size, &m);
	(void)dns_plausible(&m);
	if (strnlen(m.qname, sizeof m.qname) > DNS_MAXNAME || m.nans > DNS_MAXANS) abort();
	for (i = 0; i < m.nans; i++)
		if (strnlen(m.ans[i].name, sizeof m.ans[i].name) > DNS_MAXNAME ||
		    (m.ans[i].alen != 0 && m.ans[i].alen != 4 && m.ans[i].alen != 16))
			abort();
	return 0;
}
