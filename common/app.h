/*
 * app.h - application metadata of a flow: detection by content, bounded
 * reassembly of each TCP direction's first bytes, the protocol parsers
 * (tls with x509, quic, http, dns, ssh), and the encoding of the TLS,
 * HTTP, DNS, QUIC, SSH and APP elements of flowrec(5).
 *
 * The flow table owns one struct app_flow pointer per flow (NULL until
 * the flow carries payload) and hands every packet's payload to
 * app_packet(); once a flow's protocol is parsed (or not recognised)
 * app_packet says so and the table's packet costs one test.  Memory:
 * per flow the parsed fields (each list and name bounded by its parser)
 * and, while a parse is under way, its state and up to reasm_bytes per
 * TCP direction from a pool of pool_bytes shared by all flows; a flow
 * whose parses are over keeps only a small head and its fields in one
 * block.
 */
#ifndef FK_APP_H
#define FK_APP_H

#include <stdbool.h>
#include <stdint.h>

#include "rec.h"

struct app_config {
	uint32_t reasm_bytes;   /* bytes reassembled per TCP direction (default 16384) */
	uint64_t pool_bytes;    /* reassembly bytes held by all flows at once (default 256 MiB) */
	uint32_t max_dns;       /* DNS messages parsed per flow (default 64) */
	uint64_t hole_ns;       /* a TCP direction waits this long for a hole to fill
	                         * (capture time; default 30 s; 0: until the flow ends) */
};

/* APP status bits (app.status): why a parse did not complete. */
#define APP_S_GAP        0x0001u /* bytes missing in the stream */
#define APP_S_BUDGET     0x0002u /* the reassembly budget ran out */
#define APP_S_SNAPLEN    0x0004u /* segments cut by the snapshot length */
#define APP_S_RANGES     0x0008u /* too many out-of-order segments */
#define APP_S_MALFORMED  0x0010u /* a message did not parse */
#define APP_S_INCOMPLETE 0x0020u /* the flow ended before the message did */
#define APP_S_CUT        0x0040u /* a list, name or count exceeded its bound */

/* One packet's transport payload. */
struct app_seg {
	bool is_tcp, retrans;
	uint16_t tcp_flags;
	uint32_t seq;
	const uint8_t *payload;
	uint32_t caplen, len;   /* captured and original payload bytes */
	uint64_t ts;            /* capture time, ns */
};

struct app_ctx;
struct app_flow;

void app_config_default(struct app_config *c);
struct app_ctx *app_new(const struct app_config *c);
void app_free(struct app_ctx *a);
/*
 * app_packet: one packet of direction dir (0 initiator, 1 responder).
 * Returns false when the flow's later packets would change nothing: the
 * caller may stop passing them, but must then call app_expire() at those
 * of them (of every TCP and UDP flow) that come after app_due().
 */
bool app_packet(struct app_ctx *a, struct app_flow **fp, int dir, const struct app_seg *s);
/* app_expire: the TCP directions whose wait for a hole to fill ran out
 * by capture time now give up (app_packet does this itself first). */
void app_expire(struct app_ctx *a, uint64_t now);
/* app_due: the capture time after which app_expire() has work to do
 * (UINT64_MAX: none); only app_packet and app_expire change it. */
uint64_t app_due(const struct app_ctx *a);
/* app_emit: add the flow's metadata elements to r; their values live in
 * a until the next app_emit. */
void app_emit(struct app_ctx *a, const struct app_flow *f, struct rec_flow *r);
void app_flow_free(struct app_ctx *a, struct app_flow *f);

#endif
