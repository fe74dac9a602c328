/*
 * t_pkt.c - unit tests of common/pkt.c, TAP output.
 *
 *   t_pkt [DATADIR]       hand-built frames, then the captures in DATADIR
 *                         (default tests/data)
 *   t_pkt -d FILE         one line per packet of a capture (for tests/pkt.t,
 *                         which compares it with tshark):
 *                         number, result, ip version, protocol, IP length,
 *                         ports and payload length (TCP/UDP only)
 *   t_pkt -p FILE         the field position table (pkt_locate) of every
 *                         packet, one field a line: number, depth, kind,
 *                         offset, length, stored length, flags (for
 *                         tests/pkt_pos_check.py, which compares it with
 *                         tshark's PDML field positions)
 *
 * Frames are built by hand in a small buffer, with every length written
 * out, and copied into a heap block of exactly their size before they are
 * decoded, so that AddressSanitizer sees any read past caplen.
 */
#include <pcap/pcap.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pkt.h"
#include "rec.h"

#include "tap.h"

/* ------------------------------------------------------------ frame builder */

struct fb {
	uint8_t b[4096];
	uint32_t n;
};

static void f8(struct fb *f, unsigned v) { f->b[f->n++] = (uint8_t)v; }
static void f16(struct fb *f, unsigned v) { f8(f, v >> 8); f8(f, v); }
static void f32(struct fb *f, uint32_t v) { f16(f, v >> 16); f16(f, v & 0xffff); }
static void fle16(struct fb *f, unsigned v) { f8(f, v); f8(f, v >> 8); }
static void fle32(struct fb *f, uint32_t v) { fle16(f, v & 0xffff); fle16(f, v >> 16); }
static void fzero(struct fb *f, unsigned n) { while (n--) f8(f, 0); }
static void fbytes(struct fb *f, const char *s) { while (*s) f8(f, (uint8_t)*s++); }

static void eth(struct fb *f, unsigned type)
{
	static const uint8_t mac[12] = { 2, 0, 0, 0, 0, 1, 2, 0, 0, 0, 0, 2 };
	for (int i = 0; i < 12; i++) f8(f, mac[i]);
	f16(f, type);
}

/* IPv4 header: total = header + plen, opts bytes of NOP options. */
static uint32_t ip4(struct fb *f, unsigned proto, unsigned plen, unsigned opts, unsigned fragfield,
    unsigned id)
{
	uint32_t at = f->n;
	f8(f, 0x40 | (5 + opts / 4));
	f8(f, 0x28);                    /* TOS */
	f16(f, 20 + opts + plen);
	f16(f, id);
	f16(f, fragfield);
	f8(f, 64);                      /* TTL */
	f8(f, proto);
	f16(f, 0);
	f32(f, 0x0a000001);
	f32(f, 0xc0a80102);
	for (unsigned i = 0; i < opts; i++) f8(f, 1);
	return at;
}

static uint32_t ip6(struct fb *f, unsigned nh, unsigned plen)
{
	uint32_t at = f->n;
	f32(f, 0x6 << 28 | 0xb8u << 20 | 0x12345);
	f16(f, plen);
	f8(f, nh);
	f8(f, 55);
	f32(f, 0x20010db8); f32(f, 0); f32(f, 0); f32(f, 1);
	f32(f, 0x20010db8); f32(f, 0); f32(f, 0); f32(f, 2);
	return at;
}

static void tcp(struct fb *f, unsigned sport, unsigned dport, unsigned flags, unsigned optlen)
{
	f16(f, sport);
	f16(f, dport);
	f32(f, 0x01020304);
	f32(f, 0x0a0b0c0d);
	f8(f, ((20 + optlen) / 4) << 4 | (flags >> 8 & 1));
	f8(f, flags & 0xff);
	f16(f, 29200);
	f16(f, 0);
	f16(f, 7);
	for (unsigned i = 0; i < optlen; i++) f8(f, 1);
}

static void udp(struct fb *f, unsigned sport, unsigned dport, unsigned len)
{
	f16(f, sport);
	f16(f, dport);
	f16(f, len);
	f16(f, 0);
}

/* Decode the first caplen bytes of f from an exact-size heap copy. */
static int dec(uint32_t lt, const struct fb *f, uint32_t caplen, uint32_t wirelen, struct pkt_info *pi)
{
	uint8_t *p = malloc(caplen ? caplen : 1);
	int rc;

	memcpy(p, f->b, caplen);
	rc = pkt_decode(lt, p, caplen, wirelen, pi);
	/* Pointers into the copy must not outlive it: re-aim them at f. */
	if (pi->layers & PKT_L_NET) {
		pi->saddr = f->b + (pi->saddr - p);
		pi->daddr = f->b + (pi->daddr - p);
	}
	free(p);
	return rc;
}
static int decf(uint32_t lt, const struct fb *f, struct pkt_info *pi)
{
	return dec(lt, f, f->n, f->n, pi);
}

/* ------------------------------------------------------------ hand-built cases */

static void t_ethernet(void)
{
	struct fb f = { .n = 0 };
	struct pkt_info pi;
	int rc;

	/* Ethernet / IPv4 / TCP with 10 bytes of payload and 6 of trailer. */
	eth(&f, 0x0800);
	ip4(&f, 6, 20 + 10, 0, 0x4000, 77);
	tcp(&f, 40000, 443, 0x118, 0);
	fbytes(&f, "0123456789");
	fzero(&f, 6);
	rc = decf(PKT_LT_EN10MB, &f, &pi);
	is(rc, PKT_OK, "eth/ipv4/tcp: ok");
	is(pi.layers, PKT_L_LINK | PKT_L_MACDST | PKT_L_MACSRC | PKT_L_NET | PKT_L_TRANS | PKT_L_PAYLOAD,
	    "eth/ipv4/tcp: layers");
	is(pi.l2_len, 14, "l2_len 14");
	is(pi.mac_dst_off, 0, "dst mac at 0");
	is(pi.mac_src_off, 6, "src mac at 6");
	is(pi.ethertype, 0x0800, "ethertype");
	is(pi.net_off, 14, "net_off");
	is(pi.ipver, 4, "ipver");
	is(pi.proto, 6, "proto");
	is(pi.ttl, 64, "ttl");
	is(pi.tos, 0x28, "tos");
	is(pi.ip_len, 50, "ip_len from the header, not the frame");
	is(pi.ip_hdr_len, 20, "ip_hdr_len");
	ok(pi.saddr == f.b + 26 && pi.daddr == f.b + 30, "address pointers");
	is(pi.frag_id, 77, "ip id");
	ok((pi.flags & PKT_F_DF) && !(pi.flags & (PKT_F_MF | PKT_F_FRAG)), "DF, not a fragment");
	ok(pi.flags & PKT_F_TRAILER, "trailer flagged");
	ok(!(pi.flags & PKT_F_SNAPLEN), "not snaplen-cut");
	is(pi.trans_off, 34, "trans_off");
	is(pi.trans_len, 30, "trans_len");
	is(pi.trans_hdr_len, 20, "tcp header length");
	is(pi.sport, 40000, "sport");
	is(pi.dport, 443, "dport");
	is(pi.tcp_seq, 0x01020304, "seq");
	is(pi.tcp_ack, 0x0a0b0c0d, "ack");
	is(pi.tcp_flags, 0x118, "flags with AE bit");
	is(pi.tcp_win, 29200, "window");
	is(pi.tcp_urp, 7, "urgent pointer");
	is(pi.payload_off, 54, "payload_off");
	is(pi.payload_len, 10, "payload_len excludes the trailer");
	is(pi.payload_caplen, 10, "payload_caplen");
	is(pi.n_encap, 0, "no encapsulation");

	/* Snaplen: cut 4 bytes into the payload. */
	rc = dec(PKT_LT_EN10MB, &f, 58, f.n, &pi);
	is(rc, PKT_OK, "payload cut by snaplen: still ok");
	ok(pi.flags & PKT_F_SNAPLEN, "payload cut by snaplen: flagged");
	is(pi.payload_len, 10, "payload cut: payload_len from headers");
	is(pi.payload_caplen, 4, "payload cut: payload_caplen");
	/* Cut inside the TCP header. */
	rc = dec(PKT_LT_EN10MB, &f, 40, f.n, &pi);
	is(rc, PKT_E_TRUNC, "tcp header cut: truncated");
	ok((pi.layers & PKT_L_NET) && !(pi.layers & PKT_L_TRANS), "tcp header cut: network only");
	is(pi.sport, 0, "tcp header cut: ports 0");
	/* The same bytes as the whole frame: malformed, not truncated. */
	rc = dec(PKT_LT_EN10MB, &f, 40, 40, &pi);
	is(rc, PKT_E_TRANS, "frame shorter than the ip length: no room for tcp");
	ok(pi.flags & PKT_F_IPLEN_CLAMPED, "ip length clamped to the frame");
	is(pi.ip_len, 26, "clamped ip_len");
	ok((pi.layers & PKT_L_NET) && !(pi.layers & PKT_L_TRANS), "no transport in a 6-byte segment");
	/* Cut inside the Ethernet header. */
	rc = dec(PKT_LT_EN10MB, &f, 10, f.n, &pi);
	is(rc, PKT_E_TRUNC, "ethernet header cut: truncated");
	is(pi.layers, PKT_L_MACDSTCUT | PKT_L_MACSRCCUT,
	    "ethernet header cut: nothing decoded, the MACs' places told");
	rc = dec(PKT_LT_EN10MB, &f, 10, 10, &pi);
	is(rc, PKT_E_LINK, "10-byte frame: bad link header");
	rc = dec(PKT_LT_EN10MB, &f, 0, 0, &pi);
	is(rc, PKT_E_LINK, "empty frame: bad link header");
	rc = pkt_decode(PKT_LT_EN10MB, NULL, 0, 0, &pi);
	is(rc, PKT_E_LINK, "NULL frame: bad link header");
	/* Cut inside the IP header. */
	rc = dec(PKT_LT_EN10MB, &f, 30, f.n, &pi);
	is(rc, PKT_E_TRUNC, "ip header cut: truncated");
	ok(!(pi.layers & PKT_L_NET), "ip header cut: no network layer");

	/* ARP. */
	f.n = 0;
	eth(&f, 0x0806);
	fzero(&f, 28);
	rc = decf(PKT_LT_EN10MB, &f, &pi);
	is(rc, PKT_E_NOTIP, "arp: not ip");
	is(pi.ethertype, 0x0806, "arp: ethertype reported");
	ok(pi.layers & PKT_L_LINK, "arp: link decoded");

	/* 802.3 + LLC/SNAP carrying IPv4; and plain LLC. */
	f.n = 0;
	eth(&f, 8 + 20 + 8);
	f8(&f, 0xaa); f8(&f, 0xaa); f8(&f, 0x03); f8(&f, 0); f8(&f, 0); f8(&f, 0); f16(&f, 0x0800);
	ip4(&f, 17, 8, 0, 0, 1);
	udp(&f, 53, 53, 8);
	rc = decf(PKT_LT_EN10MB, &f, &pi);
	is(rc, PKT_OK, "802.3 snap: ok");
	is(pi.net_off, 22, "802.3 snap: net_off");
	f.b[14] = 0x42;
	rc = decf(PKT_LT_EN10MB, &f, &pi);
	is(rc, PKT_E_NOTIP, "802.3 llc: not ip");

	/* IP version does not match the ethertype. */
	f.n = 0;
	eth(&f, 0x86dd);
	ip4(&f, 17, 8, 0, 0, 1);
	udp(&f, 1, 2, 8);
	rc = decf(PKT_LT_EN10MB, &f, &pi);
	is(rc, PKT_E_IPVER, "ipv4 under 0x86dd: bad version");
}

static void t_vlan_mpls_pppoe(void)
{
	struct fb f = { .n = 0 };
	struct pkt_info pi;
	int rc;

	/* 802.1ad S-tag, 802.1Q C-tag, IPv4 UDP. */
	eth(&f, 0x88a8);
	f16(&f, 0x2064); f16(&f, 0x8100);
	f16(&f, 0x000a); f16(&f, 0x0800);
	ip4(&f, 17, 8 + 4, 0, 0, 2);
	udp(&f, 1000, 2000, 12);
	fbytes(&f, "abcd");
	rc = decf(PKT_LT_EN10MB, &f, &pi);
	is(rc, PKT_OK, "qinq 88a8/8100: ok");
	is(pi.n_encap, 2, "qinq: two tags");
	ok(pi.encap_kind[0] == PKT_ENC_SVLAN && pi.encap_val[0] == 0x2064, "qinq: outer S-tag TCI");
	ok(pi.encap_kind[1] == PKT_ENC_VLAN && pi.encap_val[1] == 10, "qinq: inner C-tag TCI");
	is(pi.l2_len, 14, "qinq: l2_len is the Ethernet header");
	is(pi.net_off, 22, "qinq: net_off");
	is(pi.udp_len, 12, "udp length");
	is(pi.payload_len, 4, "udp payload");

	/* 0x9100 outer. */
	f.b[12] = 0x91; f.b[13] = 0x00;
	rc = decf(PKT_LT_EN10MB, &f, &pi);
	ok(rc == PKT_OK && pi.encap_kind[0] == PKT_ENC_SVLAN, "qinq 9100: S-tag");

	/* Ten tags: the list is cut at PKT_MAX_ENCAP and says so. */
	f.n = 0;
	eth(&f, 0x8100);
	for (int i = 0; i < 9; i++) { f16(&f, i); f16(&f, 0x8100); }
	f16(&f, 9); f16(&f, 0x0800);
	ip4(&f, 17, 8, 0, 0, 2);
	udp(&f, 1, 2, 8);
	rc = decf(PKT_LT_EN10MB, &f, &pi);
	is(rc, PKT_OK, "10 vlan tags: ok");
	is(pi.n_encap, PKT_MAX_ENCAP, "10 vlan tags: list full");
	ok(pi.flags & PKT_F_ENCAP_MORE, "10 vlan tags: flagged");
	is(pi.net_off, 14 + 40, "10 vlan tags: net_off");
	rc = dec(PKT_LT_EN10MB, &f, 16, 16, &pi);
	is(rc, PKT_E_LINK, "vlan tag past the frame: bad link");
	rc = dec(PKT_LT_EN10MB, &f, 16, f.n, &pi);
	is(rc, PKT_E_TRUNC, "vlan tag cut by snaplen: truncated");

	/* MPLS: two labels, then IPv6. */
	f.n = 0;
	eth(&f, 0x8847);
	f32(&f, 1000u << 12 | 0 << 8 | 64);
	f32(&f, 0xfffffu << 12 | 1 << 8 | 64);
	ip6(&f, 17, 8);
	udp(&f, 5, 6, 8);
	rc = decf(PKT_LT_EN10MB, &f, &pi);
	is(rc, PKT_OK, "mpls/ipv6: ok");
	is(pi.n_encap, 2, "mpls: two labels");
	ok(pi.encap_kind[0] == PKT_ENC_MPLS && pi.encap_val[0] == 1000 && pi.encap_val[1] == 0xfffff,
	    "mpls: labels");
	is(pi.net_off, 22, "mpls: net_off");
	is(pi.ipver, 6, "mpls: guessed IPv6");
	f.b[22] = 0x00; /* a pseudowire control word */
	rc = decf(PKT_LT_EN10MB, &f, &pi);
	is(rc, PKT_E_NOTIP, "mpls/control word: not ip");
	is(pi.ethertype, 0x8847, "mpls/control word: ethertype 8847");
	rc = dec(PKT_LT_EN10MB, &f, 22, 22, &pi);
	is(rc, PKT_E_LINK, "mpls with nothing below: bad link");
	rc = dec(PKT_LT_EN10MB, &f, 20, f.n, &pi);
	is(rc, PKT_E_TRUNC, "mpls cut: truncated");

	/* VLAN then MPLS then IPv4. */
	f.n = 0;
	eth(&f, 0x8100);
	f16(&f, 300); f16(&f, 0x8847);
	f32(&f, 16u << 12 | 1 << 8 | 1);
	ip4(&f, 6, 20, 0, 0, 3);
	tcp(&f, 1, 2, 0x02, 0);
	rc = decf(PKT_LT_EN10MB, &f, &pi);
	ok(rc == PKT_OK && pi.n_encap == 2 && pi.encap_kind[0] == PKT_ENC_VLAN &&
	    pi.encap_kind[1] == PKT_ENC_MPLS && pi.encap_val[1] == 16 && pi.net_off == 22,
	    "vlan/mpls/ipv4");

	/* PPPoE session: IPv4, then IPv6; the PPPoE length bounds the frame. */
	f.n = 0;
	eth(&f, 0x8864);
	f8(&f, 0x11); f8(&f, 0); f16(&f, 0x1234); f16(&f, 2 + 20 + 20);
	f16(&f, 0x0021);
	ip4(&f, 6, 20 + 6, 0, 0, 4); /* claims 6 bytes more than PPPoE carries */
	tcp(&f, 80, 1234, 0x10, 0);
	fzero(&f, 6);
	rc = decf(PKT_LT_EN10MB, &f, &pi);
	is(rc, PKT_OK, "pppoe/ipv4: ok");
	ok(pi.n_encap == 1 && pi.encap_kind[0] == PKT_ENC_PPPOE && pi.encap_val[0] == 0x1234,
	    "pppoe: session id");
	is(pi.net_off, 22, "pppoe: net_off");
	ok(pi.flags & PKT_F_IPLEN_CLAMPED, "pppoe: ip length past pppoe length clamped");
	is(pi.payload_len, 0, "pppoe: padding is not payload");
	f.b[20] = 0x00; f.b[21] = 0x57;
	rc = decf(PKT_LT_EN10MB, &f, &pi);
	is(rc, PKT_E_IPVER, "pppoe: ppp says ipv6, packet is ipv4");
	f.b[21] = 0x21; f.b[14] = 0x12;
	rc = decf(PKT_LT_EN10MB, &f, &pi);
	is(rc, PKT_E_LINK, "pppoe: bad version/type");
	f.b[14] = 0x11; f.b[20] = 0xc0; f.b[21] = 0x21;
	rc = decf(PKT_LT_EN10MB, &f, &pi);
	is(rc, PKT_E_NOTIP, "pppoe: LCP is not ip");
}

static void t_cooked(void)
{
	struct fb f = { .n = 0 };
	struct pkt_info pi;
	int rc;

	/* SLL, with a VLAN tag inside. */
	f16(&f, 0); f16(&f, 1); f16(&f, 6);
	for (int i = 0; i < 6; i++) f8(&f, 0x10 + i);
	f16(&f, 0);
	f16(&f, 0x8100);
	f16(&f, 42); f16(&f, 0x0800);
	ip4(&f, 17, 8, 0, 0, 5);
	udp(&f, 67, 68, 8);
	rc = decf(PKT_LT_SLL, &f, &pi);
	is(rc, PKT_OK, "sll/vlan/ipv4: ok");
	is(pi.l2_len, 16, "sll: l2_len");
	ok((pi.layers & PKT_L_MACSRC) && !(pi.layers & PKT_L_MACDST) && pi.mac_src_off == 6,
	    "sll: source mac only");
	ok(pi.n_encap == 1 && pi.encap_val[0] == 42, "sll: vlan tag");
	is(pi.net_off, 20, "sll: net_off");
	f.b[14] = 0; f.b[15] = 4;
	rc = decf(PKT_LT_SLL, &f, &pi);
	is(rc, PKT_E_NOTIP, "sll: 802.2 pseudo-protocol is not ip");

	/* SLL2, IPv6 TCP. */
	f.n = 0;
	f16(&f, 0x86dd); f16(&f, 0); f32(&f, 3); f16(&f, 1); f8(&f, 4); f8(&f, 6);
	for (int i = 0; i < 8; i++) f8(&f, i < 6 ? 0x20 + i : 0);
	ip6(&f, 6, 20);
	tcp(&f, 22, 5555, 0x12, 0);
	rc = decf(PKT_LT_SLL2, &f, &pi);
	is(rc, PKT_OK, "sll2/ipv6: ok");
	is(pi.l2_len, 20, "sll2: l2_len");
	ok((pi.layers & PKT_L_MACSRC) && pi.mac_src_off == 12, "sll2: source mac");
	is(pi.net_off, 20, "sll2: net_off");
	is(pi.tos, 0xb8, "ipv6 traffic class");
	is(pi.flowlabel, 0x12345, "ipv6 flow label");
	is(pi.ttl, 55, "ipv6 hop limit");
	is(pi.ip_len, 60, "ipv6 ip_len = 40 + payload length");
	rc = dec(PKT_LT_SLL2, &f, 19, f.n, &pi);
	is(rc, PKT_E_TRUNC, "sll2 cut: truncated");
}

static void t_raw_null(void)
{
	struct fb f = { .n = 0 };
	struct pkt_info pi;
	static const uint32_t af6[] = { 10, 24, 28, 30 };

	ip4(&f, 17, 8, 0, 0, 6);
	udp(&f, 123, 123, 8);
	is(decf(PKT_LT_RAW, &f, &pi), PKT_OK, "raw 101 ipv4");
	ok(pi.net_off == 0 && pi.l2_len == 0 && (pi.layers & PKT_L_LINK), "raw: no link header");
	is(decf(PKT_LT_RAW12, &f, &pi), PKT_OK, "raw 12 ipv4");
	is(decf(PKT_LT_RAW14, &f, &pi), PKT_OK, "raw 14 ipv4");
	is(decf(PKT_LT_IPV4, &f, &pi), PKT_OK, "linktype 228 ipv4");
	is(decf(PKT_LT_IPV6, &f, &pi), PKT_E_IPVER, "linktype 229 with ipv4: bad version");
	f.b[0] = 0x75;
	is(decf(PKT_LT_RAW, &f, &pi), PKT_E_IPVER, "raw with version 7: bad version");

	f.n = 0;
	ip6(&f, 17, 8);
	udp(&f, 546, 547, 8);
	is(decf(PKT_LT_RAW12, &f, &pi), PKT_OK, "raw 12 ipv6");
	is(pi.ipver, 6, "raw 12: guessed v6");
	is(decf(PKT_LT_IPV6, &f, &pi), PKT_OK, "linktype 229 ipv6");
	is(decf(PKT_LT_IPV4, &f, &pi), PKT_E_IPVER, "linktype 228 with ipv6: bad version");

	/* NULL: family in either byte order. */
	f.n = 0;
	fle32(&f, 2);
	ip4(&f, 17, 8, 0, 0, 7);
	udp(&f, 1, 2, 8);
	is(decf(PKT_LT_NULL, &f, &pi), PKT_OK, "null AF_INET little-endian");
	is(pi.net_off, 4, "null: net_off");
	f.b[0] = 0; f.b[3] = 2;
	is(decf(PKT_LT_NULL, &f, &pi), PKT_OK, "null AF_INET big-endian");
	is(decf(PKT_LT_LOOP, &f, &pi), PKT_OK, "loop AF_INET network order");
	f.b[3] = 7;
	is(decf(PKT_LT_NULL, &f, &pi), PKT_E_NOTIP, "null unknown family: not ip");
	for (unsigned i = 0; i < 4; i++) {
		f.n = 0;
		fle32(&f, af6[i]);
		ip6(&f, 17, 8);
		udp(&f, 1, 2, 8);
		is(decf(PKT_LT_NULL, &f, &pi), PKT_OK, "null AF_INET6 = %u (LE)", af6[i]);
		f.b[0] = 0; f.b[3] = (uint8_t)af6[i];
		is(decf(PKT_LT_NULL, &f, &pi), PKT_OK, "null AF_INET6 = %u (BE)", af6[i]);
	}
	f.b[3] = 2;
	is(decf(PKT_LT_NULL, &f, &pi), PKT_E_IPVER, "null AF_INET with ipv6: bad version");
	is(dec(PKT_LT_NULL, &f, 3, 3, &pi), PKT_E_LINK, "null 3 bytes: bad link");
	is(dec(PKT_LT_LOOP, &f, 3, 50, &pi), PKT_E_TRUNC, "loop cut: truncated");
}

static void nflog_frame(struct fb *f, int be, unsigned family)
{
	void (*p16)(struct fb *, unsigned) = be ? f16 : fle16;

	f->n = 0;
	f8(f, family); f8(f, 0); f16(f, 5);
	p16(f, 8); p16(f, 1); f16(f, 0x0800); f8(f, 3); f8(f, 0); /* PACKET_HDR */
	p16(f, 4 + 5); p16(f, 10); fbytes(f, "hello"); fzero(f, 3); /* PREFIX, padded */
	p16(f, 4 + 28); p16(f, 9);                                  /* PAYLOAD */
	ip4(f, 17, 8, 0, 0, 8);
	udp(f, 53, 3333, 8);
}

static void t_nflog(void)
{
	struct fb f;
	struct pkt_info pi;

	nflog_frame(&f, 0, 2);
	is(decf(PKT_LT_NFLOG, &f, &pi), PKT_OK, "nflog little-endian TLVs");
	is(pi.net_off, 4 + 8 + 12 + 4, "nflog: net_off after the payload TLV");
	is(pi.l2_len, pi.net_off, "nflog: l2_len");
	ok((pi.layers & PKT_L_TRANS) && pi.sport == 53, "nflog: udp decoded");
	nflog_frame(&f, 1, 2);
	is(decf(PKT_LT_NFLOG, &f, &pi), PKT_OK, "nflog big-endian TLVs");
	is(pi.net_off, 28, "nflog be: net_off");
	nflog_frame(&f, 0, 10);
	is(decf(PKT_LT_NFLOG, &f, &pi), PKT_E_IPVER, "nflog AF_INET6 with ipv4: bad version");
	nflog_frame(&f, 0, 0);
	is(decf(PKT_LT_NFLOG, &f, &pi), PKT_OK, "nflog AF_UNSPEC: version guessed");
	/* The payload TLV bounds the packet: bytes after it are not payload. */
	nflog_frame(&f, 0, 2);
	fzero(&f, 4);
	is(decf(PKT_LT_NFLOG, &f, &pi), PKT_OK, "nflog with bytes after the payload TLV");
	ok(pi.ip_len == 28 && pi.payload_len == 0, "nflog: bytes after the TLV are not payload");
	nflog_frame(&f, 0, 2);
	f.n = 24; /* header + two TLVs, no payload */
	is(decf(PKT_LT_NFLOG, &f, &pi), PKT_E_NOTIP, "nflog without payload TLV: not ip");
	nflog_frame(&f, 0, 2);
	f.b[4] = 2; /* TLV length 2 < 4 */
	is(decf(PKT_LT_NFLOG, &f, &pi), PKT_E_LINK, "nflog TLV length < 4: bad link");
	nflog_frame(&f, 0, 2);
	f.b[1] = 1;
	is(decf(PKT_LT_NFLOG, &f, &pi), PKT_E_LINK, "nflog version 1: bad link");
	nflog_frame(&f, 0, 2);
	is(dec(PKT_LT_NFLOG, &f, 14, f.n, &pi), PKT_E_TRUNC, "nflog cut in a TLV: truncated");
}

static void t_ppp(void)
{
	struct fb f = { .n = 0 };
	struct pkt_info pi;

	f8(&f, 0xff); f8(&f, 0x03); f16(&f, 0x0021);
	ip4(&f, 17, 8, 0, 0, 9);
	udp(&f, 1, 2, 8);
	is(decf(PKT_LT_PPP, &f, &pi), PKT_OK, "ppp with address/control");
	is(pi.net_off, 4, "ppp: net_off");
	is(decf(PKT_LT_PPP_HDLC, &f, &pi), PKT_OK, "ppp_hdlc");
	is(decf(PKT_LT_C_HDLC, &f, &pi), PKT_E_LINK, "c_hdlc with a ppp frame: bad link");
	f.n = 0;
	f8(&f, 0x21);
	ip4(&f, 17, 8, 0, 0, 9);
	udp(&f, 1, 2, 8);
	is(decf(PKT_LT_PPP, &f, &pi), PKT_OK, "ppp compressed protocol field");
	is(pi.net_off, 1, "ppp compressed: net_off");
	f.n = 0;
	f16(&f, 0x0057);
	ip6(&f, 59, 0);
	is(decf(PKT_LT_PPP, &f, &pi), PKT_OK, "ppp ipv6");
	f.b[1] = 0x2b; /* 0x002b: IPX control */
	is(decf(PKT_LT_PPP, &f, &pi), PKT_E_NOTIP, "ppp ipx: not ip");
	f.n = 0;
	f8(&f, 0x0f); f8(&f, 0); f16(&f, 0x0800);
	ip4(&f, 17, 8, 0, 0, 9);
	udp(&f, 1, 2, 8);
	is(decf(PKT_LT_C_HDLC, &f, &pi), PKT_OK, "cisco hdlc");
	is(decf(PKT_LT_PPP_HDLC, &f, &pi), PKT_OK, "cisco hdlc under ppp_hdlc");
	is(pi.l2_len, 4, "cisco hdlc: l2_len");
}

static void t_ipv4(void)
{
	struct fb f = { .n = 0 };
	struct pkt_info pi;
	int rc;

	/* Options. */
	ip4(&f, 6, 20, 8, 0, 10);
	tcp(&f, 1, 2, 0x02, 12);
	f.b[2] = 0; f.b[3] = 28 + 32;
	rc = decf(PKT_LT_RAW, &f, &pi);
	is(rc, PKT_OK, "ipv4 options + tcp options: ok");
	ok(pi.flags & PKT_F_IPOPTS, "ipv4 options flagged");
	is(pi.ip_hdr_len, 28, "ipv4 header with options");
	is(pi.trans_off, 28, "trans_off after options");
	is(pi.trans_hdr_len, 32, "tcp header with options");
	is(pi.payload_len, 0, "no payload");
	is(dec(PKT_LT_RAW, &f, 24, f.n, &pi), PKT_E_TRUNC, "ipv4 options cut: truncated");
	ok(pi.layers & PKT_L_NET, "ipv4 options cut: addresses known");
	is(dec(PKT_LT_RAW, &f, 50, f.n, &pi), PKT_E_TRUNC, "tcp options cut: truncated");
	ok(pi.layers & PKT_L_TRANS, "tcp options cut: ports known");
	/* Bad IHL and total length. */
	f.b[0] = 0x44;
	is(decf(PKT_LT_RAW, &f, &pi), PKT_E_IPHDR, "IHL 4: bad ip header");
	f.b[0] = 0x47;
	f.b[3] = 20;
	is(decf(PKT_LT_RAW, &f, &pi), PKT_E_IPLEN, "total length < IHL: bad ip length");
	f.b[3] = 0;
	rc = decf(PKT_LT_RAW, &f, &pi);
	is(rc, PKT_OK, "total length 0 (TSO): ok");
	ok(pi.flags & PKT_F_IPLEN_DERIVED, "total length 0: derived");
	is(pi.ip_len, f.n, "total length 0: ip_len from the frame");
	f.b[0] = 0x4f;
	is(dec(PKT_LT_RAW, &f, 56, 56, &pi), PKT_E_IPLEN, "TSO and IHL past the frame: bad ip length");
	is(dec(PKT_LT_RAW, &f, 19, 19, &pi), PKT_E_IPHDR, "19-byte datagram: bad ip header");

	/* Fragments. */
	f.n = 0;
	ip4(&f, 17, 16, 0, 0x2000, 0xbeef);
	udp(&f, 500, 500, 1000);
	fzero(&f, 8);
	rc = decf(PKT_LT_RAW, &f, &pi);
	is(rc, PKT_OK, "first fragment: ok");
	ok((pi.flags & PKT_F_FRAG) && (pi.flags & PKT_F_MF), "first fragment: FRAG, MF");
	ok((pi.layers & PKT_L_TRANS) && pi.sport == 500, "first fragment: ports decoded");
	is(pi.payload_len, 8, "first fragment: payload is what the fragment holds");
	is(pi.frag_id, 0xbeef, "fragment id");
	is(pi.frag_off, 0, "fragment offset 0");
	is(pi.frag_data_off, 20, "fragment data offset");
	f.b[6] = 0x00; f.b[7] = 0x02;
	rc = decf(PKT_LT_RAW, &f, &pi);
	is(rc, PKT_OK, "last fragment: ok");
	ok((pi.flags & PKT_F_FRAG) && !(pi.flags & PKT_F_MF), "last fragment: FRAG, no MF");
	is(pi.frag_off, 16, "fragment offset in bytes");
	ok(!(pi.layers & PKT_L_TRANS), "later fragment: no transport");
	is(pi.trans_len, 16, "later fragment: data length");
	is(pi.sport, 0, "later fragment: ports 0");
	/* A first fragment too short for its TCP header is not an error. */
	f.n = 0;
	ip4(&f, 6, 8, 0, 0x2000, 1);
	fzero(&f, 8);
	is(decf(PKT_LT_RAW, &f, &pi), PKT_OK, "tiny first fragment: ok");
	ok(!(pi.layers & PKT_L_TRANS), "tiny first fragment: no transport");

	/* Unknown protocol: addresses + protocol, the rest is payload. */
	f.n = 0;
	ip4(&f, 47, 12, 0, 0, 1);
	fzero(&f, 12);
	is(decf(PKT_LT_RAW, &f, &pi), PKT_OK, "gre: ok");
	ok(pi.proto == 47 && !(pi.layers & PKT_L_TRANS) && (pi.layers & PKT_L_PAYLOAD) &&
	    pi.payload_off == 20 && pi.payload_len == 12, "gre: payload after the ip header");
}

static void t_transport(void)
{
	struct fb f = { .n = 0 };
	struct pkt_info pi, q;
	int rc;

	/* TCP data offset. */
	ip4(&f, 6, 20, 0, 0, 1);
	tcp(&f, 1, 2, 0x10, 0);
	f.b[32] = 0x40;
	is(decf(PKT_LT_RAW, &f, &pi), PKT_E_TCPHDR, "tcp data offset 4: bad tcp header");
	f.b[32] = 0xf0;
	is(decf(PKT_LT_RAW, &f, &pi), PKT_E_TCPHDR, "tcp data offset past the segment: bad tcp header");
	is(dec(PKT_LT_RAW, &f, 30, 30, &pi), PKT_E_TRANS, "10-byte tcp segment (clamped): past datagram");
	ok(!(pi.layers & PKT_L_TRANS), "10-byte tcp segment: no transport");
	f.b[2] = 0; f.b[3] = 30;
	is(dec(PKT_LT_RAW, &f, 40, 40, &pi), PKT_E_TRANS, "10-byte tcp segment in a longer frame: past datagram");
	ok(pi.flags & PKT_F_TRAILER, "... and the rest is trailer");

	/* UDP lengths. */
	f.n = 0;
	ip4(&f, 17, 8 + 4, 0, 0, 1);
	udp(&f, 1, 2, 7);
	fzero(&f, 4);
	is(decf(PKT_LT_RAW, &f, &pi), PKT_E_UDPLEN, "udp length 7: bad udp length");
	f.b[25] = 20;
	is(decf(PKT_LT_RAW, &f, &pi), PKT_OK, "udp length past ip payload: ok");
	ok(pi.flags & PKT_F_UDPLEN_CLAMPED, "udp length clamped");
	is(pi.payload_len, 4, "udp clamped payload");
	f.b[25] = 10;
	is(decf(PKT_LT_RAW, &f, &pi), PKT_OK, "udp length below ip payload");
	is(pi.payload_len, 2, "udp payload from the udp length");

	/* ICMP echo. */
	f.n = 0;
	ip4(&f, 1, 8 + 4, 0, 0, 1);
	f8(&f, 8); f8(&f, 0); f16(&f, 0); f16(&f, 0x4242); f16(&f, 9);
	fbytes(&f, "ping");
	is(decf(PKT_LT_RAW, &f, &pi), PKT_OK, "icmp echo: ok");
	ok(pi.icmp_type == 8 && pi.icmp_code == 0 && pi.icmp_id == 0x4242 && pi.icmp_seq == 9,
	    "icmp echo fields");
	ok(!(pi.flags & PKT_F_ICMP_ERR) && !(pi.layers & PKT_L_ICMPQ), "echo quotes nothing");
	is(pi.payload_len, 4, "icmp payload");
	is(dec(PKT_LT_RAW, &f, 26, f.n, &pi), PKT_E_TRUNC, "icmp header cut: truncated");

	/* ICMP port unreachable quoting IPv4/UDP. */
	f.n = 0;
	ip4(&f, 1, 8 + 28, 0, 0, 1);
	f8(&f, 3); f8(&f, 3); f16(&f, 0); f32(&f, 0);
	ip4(&f, 17, 100, 0, 0, 2);
	udp(&f, 4444, 53, 108);
	is(decf(PKT_LT_RAW, &f, &pi), PKT_OK, "icmp unreachable: ok");
	ok(pi.flags & PKT_F_ICMP_ERR, "icmp unreachable: error flagged");
	ok((pi.layers & PKT_L_ICMPQ) && pi.icmpq_off == 28 && pi.icmpq_len == 28, "icmp quote offset/length");
	rc = pkt_decode_ip(f.b + pi.icmpq_off, pi.icmpq_len, UINT32_MAX, &q);
	is(rc, PKT_OK, "quoted header decodes");
	ok(q.ipver == 4 && q.proto == 17 && q.sport == 4444 && q.dport == 53 && q.ip_len == 120,
	    "quoted udp ports and length");
	ok(q.flags & PKT_F_SNAPLEN, "quote flagged as cut");
	ok(!(q.layers & PKT_L_LINK) && q.net_off == 0 && q.n_encap == 0, "decode_ip: no link layer");

	/* ICMPv6 echo and error. */
	f.n = 0;
	ip6(&f, 58, 8);
	f8(&f, 128); f8(&f, 0); f16(&f, 0); f16(&f, 7); f16(&f, 8);
	is(decf(PKT_LT_RAW, &f, &pi), PKT_OK, "icmpv6 echo: ok");
	ok(pi.icmp_type == 128 && pi.icmp_id == 7 && pi.icmp_seq == 8 && !(pi.flags & PKT_F_ICMP_ERR),
	    "icmpv6 echo fields");
	f.n = 0;
	ip6(&f, 58, 8 + 60);
	f8(&f, 1); f8(&f, 4); f16(&f, 0); f32(&f, 0);
	ip6(&f, 6, 20);
	tcp(&f, 80, 81, 2, 0);
	is(decf(PKT_LT_RAW, &f, &pi), PKT_OK, "icmpv6 unreachable: ok");
	ok((pi.flags & PKT_F_ICMP_ERR) && (pi.layers & PKT_L_ICMPQ) && pi.icmpq_off == 48 &&
	    pi.icmpq_len == 60, "icmpv6 quote");
	rc = pkt_decode_ip(f.b + pi.icmpq_off, 44, UINT32_MAX, &q);
	is(rc, PKT_E_TRUNC, "quoted ipv6/tcp cut inside tcp: truncated");
	ok(q.ipver == 6 && q.proto == 6 && (q.layers & PKT_L_NET), "quoted ipv6 addresses");

	/* SCTP. */
	f.n = 0;
	ip4(&f, 132, 12 + 16, 0, 0, 1);
	f16(&f, 2905); f16(&f, 2906); f32(&f, 0xcafef00d); f32(&f, 0);
	fzero(&f, 16);
	is(decf(PKT_LT_RAW, &f, &pi), PKT_OK, "sctp: ok");
	ok(pi.sport == 2905 && pi.dport == 2906 && pi.sctp_vtag == 0xcafef00d && pi.payload_len == 16,
	    "sctp fields");
	is(dec(PKT_LT_RAW, &f, 28, 28, &pi), PKT_E_TRANS, "8-byte sctp datagram (clamped): past datagram");
	ok(!(pi.layers & PKT_L_TRANS), "8-byte sctp: no transport");
}

static void ext(struct fb *f, unsigned nh, unsigned len8)
{
	f8(f, nh);
	f8(f, len8);
	fzero(f, 6 + 8 * len8);
}

static void t_ipv6(void)
{
	static struct fb big; /* a jumbogram does not fit struct fb */
	static uint8_t jbuf[70000];
	struct fb f = { .n = 0 };
	struct pkt_info pi;
	int rc;

	/* Hop-by-hop, routing (16 bytes), destination options, TCP. */
	ip6(&f, 0, 8 + 16 + 8 + 20 + 3);
	ext(&f, 43, 0);
	ext(&f, 60, 1);
	ext(&f, 6, 0);
	tcp(&f, 8080, 443, 0x18, 0);
	fbytes(&f, "xyz");
	rc = decf(PKT_LT_RAW, &f, &pi);
	is(rc, PKT_OK, "ipv6 hbh/rt/dst/tcp: ok");
	ok(pi.flags & PKT_F_IP6EXT, "extension headers flagged");
	is(pi.ip_hdr_len, 72, "ip_hdr_len covers extension headers");
	is(pi.proto, 6, "proto is tcp");
	is(pi.trans_off, 72, "trans_off");
	is(pi.payload_len, 3, "payload");
	rc = dec(PKT_LT_RAW, &f, 60, f.n, &pi);
	is(rc, PKT_E_TRUNC, "extension header cut: truncated");
	is(pi.proto, 43, "... proto is the header that could not be read");
	f.b[4] = 0; f.b[5] = 30;
	rc = decf(PKT_LT_RAW, &f, &pi);
	is(rc, PKT_E_IP6EXT, "extension header past the payload length: bad ext header");

	/* AH then UDP. */
	f.n = 0;
	ip6(&f, 51, 16 + 8);
	f8(&f, 17); f8(&f, 2); fzero(&f, 14); /* (2 + 2) * 4 = 16 bytes */
	udp(&f, 500, 4500, 8);
	is(decf(PKT_LT_RAW, &f, &pi), PKT_OK, "ipv6 ah/udp: ok");
	ok(pi.proto == 17 && pi.trans_off == 56 && pi.sport == 500, "ah length in 4-byte units");

	/* ESP and no-next-header stop the walk. */
	f.n = 0;
	ip6(&f, 60, 8 + 16);
	ext(&f, 50, 0);
	fzero(&f, 16);
	is(decf(PKT_LT_RAW, &f, &pi), PKT_OK, "ipv6 dst/esp: ok");
	ok(pi.proto == 50 && pi.payload_off == 48 && pi.payload_len == 16, "esp: payload after ext headers");
	f.b[40] = 59;
	is(decf(PKT_LT_RAW, &f, &pi), PKT_OK, "ipv6 no next header: ok");
	ok(pi.proto == 59 && pi.payload_len == 0, "no next header: empty payload");

	/* Fragment header: first, later, atomic. */
	f.n = 0;
	ip6(&f, 0, 8 + 8 + 8 + 8);
	ext(&f, 44, 0);
	f8(&f, 17); f8(&f, 0); f16(&f, 0 | 1); f32(&f, 0xdeadbeef);
	udp(&f, 53, 53, 100);
	fzero(&f, 8);
	rc = decf(PKT_LT_RAW, &f, &pi);
	is(rc, PKT_OK, "ipv6 first fragment: ok");
	ok((pi.flags & PKT_F_FRAG) && (pi.flags & PKT_F_FRAGHDR) && (pi.flags & PKT_F_MF), "first fragment flags");
	ok(pi.frag_id == 0xdeadbeef && pi.frag_off == 0 && pi.frag_data_off == 56 && pi.frag_nh_off == 40 &&
	    pi.frag_nexthdr == 17, "fragment header fields");
	ok((pi.layers & PKT_L_TRANS) && pi.sport == 53 && pi.payload_len == 8, "first fragment: udp ports");
	f.b[50] = 0x01; f.b[51] = 0x00; /* offset 256, M=0 */
	rc = decf(PKT_LT_RAW, &f, &pi);
	is(rc, PKT_OK, "ipv6 later fragment: ok");
	ok((pi.flags & PKT_F_FRAG) && !(pi.flags & PKT_F_MF) && pi.frag_off == 256, "later fragment offset");
	ok(!(pi.layers & PKT_L_TRANS) && pi.proto == 17 && pi.trans_off == 56 && pi.trans_len == 16,
	    "later fragment: data, no transport");
	f.b[50] = 0; f.b[51] = 0; f.b[60] = 0; f.b[61] = 16;
	rc = decf(PKT_LT_RAW, &f, &pi);
	is(rc, PKT_OK, "ipv6 atomic fragment: ok");
	ok((pi.flags & PKT_F_FRAGHDR) && !(pi.flags & PKT_F_FRAG), "atomic fragment is not a fragment");
	ok(pi.layers & PKT_L_TRANS, "atomic fragment: transport decoded");

	/* Payload length 0: segmentation offload (derived) and jumbogram. */
	f.n = 0;
	ip6(&f, 6, 0);
	tcp(&f, 1, 2, 0x10, 0);
	fbytes(&f, "data");
	rc = decf(PKT_LT_RAW, &f, &pi);
	ok(rc == PKT_OK && (pi.flags & PKT_F_IPLEN_DERIVED) && pi.ip_len == f.n && pi.payload_len == 4,
	    "ipv6 payload length 0: derived from the frame");
	big.n = 0;
	ip6(&big, 0, 0);
	f8(&big, 17); f8(&big, 0); f8(&big, 0xc2); f8(&big, 4); f32(&big, 8 + 8 + 65600);
	udp(&big, 9, 9, 0);
	memcpy(jbuf, big.b, big.n);
	rc = pkt_decode(PKT_LT_RAW, jbuf, big.n + 65600, big.n + 65600, &pi);
	is(rc, PKT_OK, "jumbogram: ok");
	ok(pi.flags & PKT_F_JUMBO, "jumbogram flagged");
	is(pi.ip_len, 40 + 8 + 8 + 65600, "jumbogram length");
	is(pi.payload_len, 65600, "jumbogram udp length 0: payload from ip");
	jbuf[46] = 0xff;
	rc = pkt_decode(PKT_LT_RAW, jbuf, big.n + 65600, big.n + 65600, &pi);
	is(rc, PKT_E_IPLEN, "jumbo length past the frame: bad ip length");
}

/* Every prefix of a set of frames, as truncated and as malformed, and a
 * few thousand mutations: no crash, no read past caplen (ASan), and the
 * result is consistent with the layers. */
static uint32_t rnd_state = 12345;
static uint32_t rnd(void)
{
	rnd_state ^= rnd_state << 13;
	rnd_state ^= rnd_state >> 17;
	rnd_state ^= rnd_state << 5;
	return rnd_state;
}

static void t_robust(void)
{
	struct fb fs[6];
	static const uint32_t lts[6] = { PKT_LT_EN10MB, PKT_LT_EN10MB, PKT_LT_SLL, PKT_LT_NFLOG,
		PKT_LT_RAW, PKT_LT_EN10MB };
	static const uint32_t all_lt[] = { 0, 1, 9, 12, 14, 50, 101, 104, 108, 113, 228, 229, 239, 276 };
	struct pkt_info pi;
	int bad = 0, rc;
	unsigned n = 0;

	for (int i = 0; i < 6; i++) fs[i].n = 0;
	eth(&fs[0], 0x8100); f16(&fs[0], 1); f16(&fs[0], 0x86dd);
	ip6(&fs[0], 0, 8 + 8 + 20 + 4); ext(&fs[0], 44, 0);
	f8(&fs[0], 6); f8(&fs[0], 0); f16(&fs[0], 0); f32(&fs[0], 1);
	tcp(&fs[0], 1, 2, 0x18, 0); fbytes(&fs[0], "abcd");
	eth(&fs[1], 0x8864); f8(&fs[1], 0x11); f8(&fs[1], 0); f16(&fs[1], 1); f16(&fs[1], 2 + 36);
	f16(&fs[1], 0x0021); ip4(&fs[1], 1, 16, 0, 0, 1);
	f8(&fs[1], 3); f8(&fs[1], 1); f16(&fs[1], 0); f32(&fs[1], 0); fzero(&fs[1], 8);
	f16(&fs[2], 0); f16(&fs[2], 1); f16(&fs[2], 6); fzero(&fs[2], 8); f16(&fs[2], 0x0800);
	ip4(&fs[2], 6, 32, 4, 0, 1); tcp(&fs[2], 1, 2, 2, 12);
	nflog_frame(&fs[3], 0, 2);
	ip6(&fs[4], 58, 8 + 48); f8(&fs[4], 3); f8(&fs[4], 0); f16(&fs[4], 0); f32(&fs[4], 0);
	ip6(&fs[4], 17, 8); udp(&fs[4], 1, 2, 8);
	eth(&fs[5], 0x8847); f32(&fs[5], 1u << 8); ip4(&fs[5], 132, 12, 0, 0, 1); fzero(&fs[5], 12);

	for (int i = 0; i < 6; i++) {
		rc = decf(lts[i], &fs[i], &pi);
		if (rc != PKT_OK) {
			bad++;
			printf("# robust frame %d: %s\n", i, pkt_strerror(rc));
		}
		for (uint32_t len = 0; len < fs[i].n; len++) {
			rc = dec(lts[i], &fs[i], len, fs[i].n, &pi);
			if (rc == PKT_OK && !(pi.flags & PKT_F_SNAPLEN)) bad++;
			rc = dec(lts[i], &fs[i], len, len, &pi);
			if (rc == PKT_E_TRUNC) bad++;
			n += 2;
		}
	}
	is(bad, 0, "every prefix of %u: cut ones flagged, whole ones never 'truncated'", n);

	bad = 0;
	for (int k = 0; k < 20000; k++) {
		struct fb m = fs[rnd() % 6];
		uint32_t lt = all_lt[rnd() % (sizeof all_lt / sizeof all_lt[0])];
		int nmut = 1 + rnd() % 4;
		for (int j = 0; j < nmut; j++) m.b[rnd() % m.n] = (uint8_t)rnd();
		if (rnd() % 4 == 0) m.n = rnd() % (m.n + 1);
		rc = dec(lt, &m, m.n, m.n + (rnd() % 3 == 0 ? rnd() % 100 : 0), &pi);
		if (rc > 0 || rc <= -PKT_NERR) bad++;
		if (rc == PKT_OK && !(pi.layers & PKT_L_NET)) bad++;
		if ((pi.layers & PKT_L_PAYLOAD) &&
		    ((uint64_t)pi.payload_off + pi.payload_caplen > m.n)) bad++;
		if ((pi.layers & PKT_L_TRANS) && pi.trans_off + pi.trans_hdr_len > m.n &&
		    !(pi.flags & PKT_F_SNAPLEN)) bad++;
		if ((pi.layers & PKT_L_ICMPQ) && (uint64_t)pi.icmpq_off + pi.icmpq_len > m.n) bad++;
	}
	is(bad, 0, "20000 mutated frames: results consistent");
}

static void t_misc(void)
{
	struct fb f = { .n = 0 };
	struct pkt_info pi;
	const char *names[PKT_NERR];
	int distinct = 1;

	ip4(&f, 17, 8, 0, 0, 1);
	udp(&f, 1, 2, 8);
	is(decf(147, &f, &pi), PKT_E_LINKTYPE, "link type 147: unknown link type");
	is(decf(105, &f, &pi), PKT_E_LINKTYPE, "link type 105 (802.11): unknown link type");
	ok(pkt_linktype_known(1) && pkt_linktype_known(276) && pkt_linktype_known(12) &&
	    !pkt_linktype_known(147), "pkt_linktype_known");
	ok(!strcmp(pkt_linktype_name(113), "LINUX_SLL") && pkt_linktype_name(2) == NULL, "pkt_linktype_name");
	for (int i = 0; i < PKT_NERR; i++) {
		names[i] = pkt_strerror(-i);
		for (int j = 0; j < i; j++)
			if (!strcmp(names[i], names[j])) distinct = 0;
	}
	ok(distinct, "pkt_strerror: a distinct name for each code");
	ok(!strcmp(pkt_strerror(PKT_OK), "ok") && !strcmp(pkt_strerror(PKT_E_TRUNC), "truncated"),
	    "pkt_strerror names");
	ok(!strcmp(pkt_strerror(5), "unknown error") && !strcmp(pkt_strerror(-99), "unknown error"),
	    "pkt_strerror: unknown codes");
	ok((int)PKT_ENC_VLAN == (int)ENCAP_VLAN && (int)PKT_ENC_SVLAN == (int)ENCAP_SVLAN &&
	    (int)PKT_ENC_MPLS == (int)ENCAP_MPLS && (int)PKT_ENC_PPPOE == (int)ENCAP_PPPOE,
	    "encapsulation kinds match flowrec ENCAP");
}

/* ------------------------------------------------------------ field positions */

/* Locate the fields of the first caplen bytes of f, from an exact-size
 * heap copy (so that a read past caplen shows under ASan). */
static int loc(uint32_t lt, const struct fb *f, uint32_t caplen, uint32_t wirelen, unsigned quotes,
    struct pkt_ftab *t)
{
	uint8_t *p = malloc(caplen ? caplen : 1);
	struct pkt_info pi;
	int rc;

	memcpy(p, f->b, caplen);
	memset(&pi, 0, sizeof pi);
	rc = pkt_decode(lt, p, caplen, wirelen, &pi);
	pkt_locate(&pi, p, quotes, t);
	free(p);
	return rc;
}

/* "off/len/have/flags" of the field, or "-". */
static const char *fpos(const struct pkt_ftab *t, unsigned kind, unsigned depth)
{
	static char s[64];
	const struct pkt_fpos *f = pkt_fp_find(t, kind, depth);

	if (!f) return "-";
	snprintf(s, sizeof s, "%u/%u/%u/%u", f->off, f->len, f->have, f->flags);
	return s;
}

/* The field's position is want ("off/len/have/flags" or "-"). */
#define is_pos(got, want, ...) do { \
	const char *g_ = (got); \
	tap_result(strcmp(g_, want) == 0, __LINE__, __VA_ARGS__); \
	if (strcmp(g_, want) != 0) printf("#   got %s, want %s\n", g_, want); \
} while (0)

static void t_positions(void)
{
	struct fb f = { .n = 0 }, q;
	struct pkt_ftab t;
	uint8_t buf[64];
	struct pkt_fpos fz;

	/* Ethernet, VLAN, IPv4 with 4 bytes of options, TCP with NOP, NOP,
	 * timestamps (kind 8, length 10). */
	eth(&f, 0x8100);
	f16(&f, 5);
	f16(&f, 0x0800);
	ip4(&f, 6, 32, 4, 0, 77);
	tcp(&f, 1000, 80, 0x10, 0);
	f.b[18 + 24 + 12] = 8 << 4; /* data offset 32 */
	f8(&f, 1); f8(&f, 1); f8(&f, 8); f8(&f, 10);
	f32(&f, 0x11111111); f32(&f, 0x22222222);
	is(loc(PKT_LT_EN10MB, &f, f.n, f.n, 0, &t), PKT_OK, "positions: tcp frame decodes");
	is_pos(fpos(&t, PKT_FK_MACDST, 0), "0/6/6/0", "positions: destination MAC");
	is_pos(fpos(&t, PKT_FK_MACSRC, 0), "6/6/6/0", "positions: source MAC");
	is_pos(fpos(&t, PKT_FK_IPID, 0), "22/2/2/0", "positions: IPv4 id after a VLAN tag");
	is_pos(fpos(&t, PKT_FK_TTL, 0), "26/1/1/0", "positions: TTL");
	is_pos(fpos(&t, PKT_FK_SADDR, 0), "30/4/4/0", "positions: IPv4 source");
	is_pos(fpos(&t, PKT_FK_SPORT, 0), "42/2/2/0", "positions: TCP after IPv4 options");
	is_pos(fpos(&t, PKT_FK_ACK, 0), "50/4/4/0", "positions: TCP ack");
	is_pos(fpos(&t, PKT_FK_L4CSUM, 0), "58/2/2/0", "positions: TCP checksum");
	is_pos(fpos(&t, PKT_FK_TCPTS, 0), "66/8/8/0", "positions: TCP timestamps option values");
	ok(t.lost == 0 && t.n == 14, "positions: 14 fields (%u)", t.n);

	/* The same frame cut by the snapshot length inside the timestamps:
	 * the option is listed as partly stored. */
	loc(PKT_LT_EN10MB, &f, 70, f.n, 0, &t);
	is_pos(fpos(&t, PKT_FK_TCPTS, 0), "66/8/4/0", "positions: timestamps cut by the snaplen");
	/* Cut inside the TCP fixed header: ports kept, flagged as of a cut header. */
	loc(PKT_LT_EN10MB, &f, 45, f.n, 0, &t);
	is_pos(fpos(&t, PKT_FK_SPORT, 0), "42/2/2/1", "positions: port of a cut TCP header");
	is_pos(fpos(&t, PKT_FK_DPORT, 0), "44/2/1/1", "positions: port cut in the middle");
	is_pos(fpos(&t, PKT_FK_SEQ, 0), "-", "positions: a field past the end is not listed");
	/* Cut inside the IPv4 fixed header: what is there of the addresses. */
	loc(PKT_LT_EN10MB, &f, 32, f.n, 0, &t);
	is_pos(fpos(&t, PKT_FK_SADDR, 0), "30/4/2/1", "positions: address of a cut IPv4 header");
	is_pos(fpos(&t, PKT_FK_DADDR, 0), "-", "positions: the other address is not stored");
	/* Cut inside the Ethernet header: what is there of the MACs. */
	loc(PKT_LT_EN10MB, &f, 10, f.n, 0, &t);
	is_pos(fpos(&t, PKT_FK_MACDST, 0), "0/6/6/1", "positions: MAC of a cut Ethernet header");
	is_pos(fpos(&t, PKT_FK_MACSRC, 0), "6/6/4/1", "positions: the other MAC cut in the middle");
	ok(t.n == 2, "positions: nothing else in 10 bytes (%u)", t.n);

	/* Bounds-checked writes. */
	memset(buf, 0xff, sizeof buf);
	fz = (struct pkt_fpos){ .off = 60, .len = 8, .have = 4, .kind = PKT_FK_TCPTS };
	is(pkt_fp_zero(buf, 62, &fz), 2u, "pkt_fp_zero stops at the buffer's end");
	ok(buf[59] == 0xff && buf[60] == 0 && buf[61] == 0 && buf[62] == 0xff,
	    "pkt_fp_zero writes only inside");
	ok(pkt_fp_span(buf, 64, &fz) == NULL, "pkt_fp_span refuses a field past the buffer");
	fz.off = 56;
	ok(pkt_fp_span(buf, 64, &fz) == buf + 56, "pkt_fp_span gives a whole field");
	fz.off = UINT32_MAX - 2;
	ok(pkt_fp_span(buf, 64, &fz) == NULL && pkt_fp_zero(buf, 64, &fz) == 0,
	    "no wrap-around at huge offsets");

	/* IPv6 with a hop-by-hop header, UDP. */
	memset(&f, 0, sizeof f);
	eth(&f, 0x86dd);
	ip6(&f, 0, 16);
	f8(&f, 17); f8(&f, 0); f8(&f, 1); f8(&f, 4); fzero(&f, 4);
	udp(&f, 53, 5353, 8);
	loc(PKT_LT_EN10MB, &f, f.n, f.n, 0, &t);
	is_pos(fpos(&t, PKT_FK_FLOWLABEL, 0), "15/3/3/0", "positions: IPv6 flow label");
	is_pos(fpos(&t, PKT_FK_TTL, 0), "21/1/1/0", "positions: hop limit");
	is_pos(fpos(&t, PKT_FK_DADDR, 0), "38/16/16/0", "positions: IPv6 destination");
	is_pos(fpos(&t, PKT_FK_UDPLEN, 0), "66/2/2/0", "positions: UDP after an extension header");
	is_pos(fpos(&t, PKT_FK_L4CSUM, 0), "68/2/2/0", "positions: UDP checksum");

	/* ICMP port unreachable quoting IPv4 + UDP, itself in IPv4: depth 1. */
	memset(&q, 0, sizeof q);
	eth(&q, 0x0800);
	ip4(&q, 1, 8 + 28, 0, 0, 1);
	f8(&q, 3); f8(&q, 3); f16(&q, 0); f32(&q, 0);
	ip4(&q, 17, 8, 0, 0, 2);
	udp(&q, 4444, 53, 8);
	loc(PKT_LT_EN10MB, &q, q.n, q.n, 0, &t);
	is_pos(fpos(&t, PKT_FK_SADDR, 1), "-", "positions: quotes only when asked");
	loc(PKT_LT_EN10MB, &q, q.n, q.n, 1, &t);
	is_pos(fpos(&t, PKT_FK_L4CSUM, 0), "36/2/2/0", "positions: ICMP checksum");
	is_pos(fpos(&t, PKT_FK_IPID, 1), "46/2/2/0", "positions: quoted IPv4 id");
	is_pos(fpos(&t, PKT_FK_SADDR, 1), "54/4/4/0", "positions: quoted IPv4 source");
	is_pos(fpos(&t, PKT_FK_SPORT, 1), "62/2/2/0", "positions: quoted UDP port");
	/* The quote cut short: the quoted UDP header is listed as stored. */
	loc(PKT_LT_EN10MB, &q, q.n - 5, q.n - 5, 1, &t);
	is_pos(fpos(&t, PKT_FK_DPORT, 1), "64/2/1/1", "positions: quoted port cut by the frame's end, of a cut header");
}

/* ------------------------------------------------------------ real captures */

struct cap_count {
	unsigned n, rc[PKT_NERR], snaplen, frag, trailer, tcp, udp, icmp, sctp, v6, ext6;
	unsigned vlan, svlan, mpls, pppoe, icmpq;
	int linktype;
};

typedef void (*pkt_cb)(unsigned no, int rc, const struct pkt_info *pi, const uint8_t *frame, void *arg);

static int read_capture(const char *dir, const char *name, struct cap_count *cc, pkt_cb cb, void *arg)
{
	char path[4096], err[PCAP_ERRBUF_SIZE];
	pcap_t *p;
	struct pcap_pkthdr *h;
	const u_char *d;
	struct pkt_info pi;
	int r;

	memset(cc, 0, sizeof *cc);
	snprintf(path, sizeof path, "%s/%s", dir, name);
	if (!(p = pcap_open_offline(path, err))) {
		printf("# %s\n", err);
		return -1;
	}
	cc->linktype = pcap_datalink(p);
	while ((r = pcap_next_ex(p, &h, &d)) == 1) {
		uint8_t *copy = malloc(h->caplen ? h->caplen : 1);
		int rc;
		memcpy(copy, d, h->caplen);
		rc = pkt_decode((uint32_t)cc->linktype, copy, h->caplen, h->len, &pi);
		cc->n++;
		if (rc <= 0 && rc > -PKT_NERR) cc->rc[-rc]++;
		cc->snaplen += !!(pi.flags & PKT_F_SNAPLEN);
		cc->frag += !!(pi.flags & PKT_F_FRAG);
		cc->trailer += !!(pi.flags & PKT_F_TRAILER);
		cc->ext6 += !!(pi.flags & PKT_F_IP6EXT);
		if (pi.layers & PKT_L_NET) cc->v6 += pi.ipver == 6;
		if (pi.layers & PKT_L_TRANS) {
			cc->tcp += pi.proto == 6;
			cc->udp += pi.proto == 17;
			cc->icmp += pi.proto == 1 || pi.proto == 58;
			cc->sctp += pi.proto == 132;
		}
		cc->icmpq += !!(pi.layers & PKT_L_ICMPQ);
		for (int i = 0; i < pi.n_encap; i++) {
			cc->vlan += pi.encap_kind[i] == PKT_ENC_VLAN;
			cc->svlan += pi.encap_kind[i] == PKT_ENC_SVLAN;
			cc->mpls += pi.encap_kind[i] == PKT_ENC_MPLS;
			cc->pppoe += pi.encap_kind[i] == PKT_ENC_PPPOE;
		}
		if (cb) cb(cc->n, rc, &pi, copy, arg);
		free(copy);
	}
	pcap_close(p);
	return 0;
}

/* ipv6_all_ext_headers.pcap: HBH, routing, fragment (atomic), dst-opts, UDP. */
static void cb_allext(unsigned no, int rc, const struct pkt_info *pi, const uint8_t *frame, void *arg)
{
	int *good = arg;
	(void)frame;
	*good = no == 1 && rc == PKT_OK && pi->proto == 17 && (pi->flags & PKT_F_FRAGHDR) &&
	    (pi->layers & PKT_L_TRANS);
}

/* nflog_dns.pcap: every packet is UDP port 53. */
static void cb_dns53(unsigned no, int rc, const struct pkt_info *pi, const uint8_t *frame, void *arg)
{
	int *bad = arg;
	(void)no; (void)frame;
	if (rc != PKT_OK || pi->proto != 17 || (pi->sport != 53 && pi->dport != 53) ||
	    pi->payload_len + 8 != pi->udp_len) (*bad)++;
}

/* Every packet: payload stays inside the IP datagram and inside caplen. */
static void cb_bounds(unsigned no, int rc, const struct pkt_info *pi, const uint8_t *frame, void *arg)
{
	int *bad = arg;
	(void)no; (void)rc; (void)frame;
	if ((pi->layers & PKT_L_PAYLOAD) &&
	    ((uint64_t)pi->payload_off + pi->payload_len > (uint64_t)pi->net_off + pi->ip_len ||
	     pi->payload_off + pi->payload_caplen > pi->caplen)) (*bad)++;
}

static int opened(int r, const char *name)
{
	if (r) tap_result(0, __LINE__, "open %s", name);
	return r == 0;
}

static void t_captures(const char *dir)
{
	struct cap_count c;
	int x;

#define CAP(name) if (opened(read_capture(dir, name, &c, NULL, NULL), name))
	CAP("eth_vlan_http.pcap") {
		ok(c.n == 14 && c.rc[0] == 14 && c.vlan == 14 && c.tcp == 14, "eth_vlan_http: 14 vlan tcp");
	}
	CAP("eth_qinq_http.pcap") {
		ok(c.n == 14 && c.rc[0] == 14 && c.vlan == 28 && c.tcp == 14, "eth_qinq_http: two tags each");
	}
	CAP("eth_8021ad_qinq.pcap") {
		ok(c.n == 2 && c.rc[-PKT_E_NOTIP] == 2 && c.svlan == 2 && c.vlan == 2,
		    "eth_8021ad_qinq: S-tag + C-tag, ARP inside");
	}
	CAP("eth_mpls_in_vlan.pcap") {
		ok(c.n == 3 && c.rc[0] == 3 && c.vlan == 3 && c.mpls >= 3, "eth_mpls_in_vlan: vlan + mpls");
	}
	CAP("eth_vlan_mpls_qinq_tcp.pcap") {
		ok(c.n == 2 && c.rc[0] == 1 && c.rc[-PKT_E_NOTIP] == 1 && c.snaplen == 0 && c.trailer == 1 &&
		    c.mpls >= 2, "eth_vlan_mpls_qinq_tcp: only the trailer is cut; pseudowire not decoded");
	}
	CAP("eth_qinq_pppoe_tls_retrans.pcap") {
		ok(c.n == 86 && c.rc[0] == 86 && c.pppoe == 86 && c.tcp == 86, "eth_qinq_pppoe: pppoe sessions");
	}
	CAP("eth_vlan_mpls_mixed.pcap") {
		ok(c.n == 47 && c.rc[0] == 47 && c.mpls > 0 && c.vlan > 0 && c.tcp == 47, "eth_vlan_mpls_mixed");
	}
	CAP("pcap_nsec_le_sll_tcp.pcap") {
		ok(c.linktype == 113 && c.n == 3 && c.rc[0] == 3 && c.tcp == 3, "sll: tcp handshake");
	}
	CAP("sll2_misc.pcap") {
		ok(c.linktype == 276 && c.n == 6 && c.rc[0] == 4 && c.rc[-PKT_E_NOTIP] == 2 && c.icmp == 4,
		    "sll2: icmp, icmpv6 and arp");
	}
	CAP("sll2_tls13_openjdk.pcap") {
		ok(c.linktype == 276 && c.n == 6 && c.rc[0] == 6 && c.tcp == 6, "sll2: tls over tcp");
	}
	CAP("rawip101_tls_split_ch.pcap") {
		ok(c.n == 13 && c.rc[0] == 13 && c.tcp == 7 && c.udp == 6, "raw 101: tcp and udp");
	}
	CAP("rawip12_ipv6_http.pcap") {
		ok(c.linktype == 12 && c.n == 81 && c.rc[0] == 81 && c.v6 == 81 && c.tcp == 81, "raw 12: ipv6 tcp");
	}
	CAP("rawipv4_228_syslog.pcap") {
		ok(c.linktype == 228 && c.n == 10 && c.rc[0] == 10 && c.tcp == 10, "ipv4 228: tcp");
	}
	CAP("rawipv6_229_mld.pcap") {
		ok(c.linktype == 229 && c.n == 5 && c.rc[0] == 5 && c.icmp == 5 && c.v6 == 5, "ipv6 229: icmpv6");
	}
	CAP("rawip14_fuzz_malformed.pcap") {
		ok(c.linktype == 14 && c.n >= 1, "raw 14: a fuzzed capture decodes without harm");
	}
	CAP("null_loopback_quic.pcap") {
		ok(c.linktype == 0 && c.n == 18 && c.rc[0] == 18 && c.udp == 18, "null loopback: udp");
	}
	CAP("nflog_dns.pcap") {
		x = 0;
		read_capture(dir, "nflog_dns.pcap", &c, cb_dns53, &x);
		ok(c.linktype == 239 && c.n == 4 && x == 0, "nflog: 4 dns packets, udp length = payload + 8");
	}
	CAP("ipv6_all_ext_headers.pcap") {
		x = 0;
		read_capture(dir, "ipv6_all_ext_headers.pcap", &c, cb_allext, &x);
		ok(x, "ipv6_all_ext_headers: the chain is walked to udp");
	}
	CAP("ipv6_exthdr_frag_http.pcap") {
		ok(c.n == 38 && c.rc[0] == 38 && c.ext6 == 18 && c.tcp == 36, "ipv6_exthdr_frag_http: tcp behind ext headers");
	}
	CAP("ipv4_frag_tcp.pcap") {
		ok(c.n == 6 && c.rc[0] == 6 && c.frag == 4, "ipv4_frag_tcp: 4 fragments");
	}
	CAP("ipv6_fragmented_dns.pcap") {
		ok(c.n == 8 && c.rc[0] == 8 && c.frag == 4, "ipv6_fragmented_dns: 4 fragments");
	}
	CAP("bad_ip4_trunc.pcap") {
		ok(c.n == 1 && c.rc[-PKT_E_TRUNC] == 1 && c.snaplen == 1, "bad_ip4_trunc: truncated");
	}
	CAP("bad_ip6_ext_trunc.pcap") {
		ok(c.n == 1 && c.rc[-PKT_E_IP6EXT] == 1, "bad_ip6_ext_trunc: bad extension header");
	}
	CAP("bad_icmp_hdr_trunc.pcap") {
		ok(c.n == 2 && c.rc[-PKT_E_TRUNC] == 2, "bad_icmp_hdr_trunc: truncated");
	}
	CAP("bad_ipv6_hdr_overflow.pcap") {
		ok(c.n == 1 && c.rc[-PKT_E_TRUNC] == 1, "bad_ipv6_hdr_overflow: truncated");
	}
	CAP("bad_gre_overflow.pcap") {
		ok(c.n == 2 && c.rc[0] == 1 && c.rc[-PKT_E_NOTIP] == 1, "bad_gre_overflow: gre is payload");
	}
	CAP("tcp_snaplen_truncated_hdr.pcap") {
		ok(c.n == 24 && c.snaplen == 12 && c.rc[-PKT_E_TRUNC] == 1 && c.rc[0] == 23,
		    "tcp_snaplen_truncated_hdr: 12 payloads cut, one cut in the tcp options");
	}
	CAP("pcap_be_sctp.pcap") {
		ok(c.n == 4 && c.rc[0] == 4 && c.sctp == 4, "sctp");
	}
	CAP("icmpv6_ping.pcap") {
		ok(c.n == 8 && c.rc[0] == 8 && c.icmp == 8, "icmpv6 ping");
	}
	CAP("pcap_be_fuzz_mixed_malformed.pcap") {
		x = 0;
		read_capture(dir, "pcap_be_fuzz_mixed_malformed.pcap", &c, cb_bounds, &x);
		ok(c.n == 691 && x == 0, "fuzzed capture: %u packets, %u ok, payload within bounds", c.n, c.rc[0]);
	}
}

/* ------------------------------------------------------------ dump mode */

static int dump(const char *path)
{
	char err[PCAP_ERRBUF_SIZE];
	pcap_t *p = pcap_open_offline(path, err);
	struct pcap_pkthdr *h;
	const u_char *d;
	struct pkt_info pi;
	unsigned n = 0;
	int lt, rc;

	if (!p) {
		fprintf(stderr, "t_pkt: %s\n", err);
		return 1;
	}
	lt = pcap_datalink(p);
	while (pcap_next_ex(p, &h, &d) == 1) {
		rc = pkt_decode((uint32_t)lt, d, h->caplen, h->len, &pi);
		printf("%u\t%s", ++n, pkt_strerror(rc));
		if (pi.layers & PKT_L_NET)
			printf("\t%u\t%u\t%u\t%u", pi.ipver, pi.proto, pi.ip_len, !!(pi.flags & PKT_F_FRAG));
		else
			printf("\t\t\t\t");
		if ((pi.layers & PKT_L_TRANS) && (pi.proto == 6 || pi.proto == 17))
			printf("\t%u\t%u\t%u", pi.sport, pi.dport, pi.payload_len);
		else
			printf("\t\t\t");
		printf("\n");
	}
	pcap_close(p);
	return 0;
}

static int dump_pos(const char *path)
{
	char err[PCAP_ERRBUF_SIZE];
	pcap_t *p = pcap_open_offline(path, err);
	struct pcap_pkthdr *h;
	const u_char *d;
	struct pkt_info pi;
	struct pkt_ftab t;
	unsigned n = 0;
	int lt;

	if (!p) {
		fprintf(stderr, "t_pkt: %s\n", err);
		return 1;
	}
	lt = pcap_datalink(p);
	while (pcap_next_ex(p, &h, &d) == 1) {
		memset(&pi, 0, sizeof pi);
		pkt_decode((uint32_t)lt, d, h->caplen, h->len, &pi);
		pkt_locate(&pi, d, PKT_FP_MAXDEPTH, &t);
		n++;
		for (uint32_t i = 0; i < t.n; i++)
			printf("%u\t%u\t%s\t%u\t%u\t%u\t%u\n", n, t.f[i].depth,
			    pkt_fk_name(t.f[i].kind) ? pkt_fk_name(t.f[i].kind) : "?",
			    t.f[i].off, t.f[i].len, t.f[i].have, t.f[i].flags);
	}
	pcap_close(p);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc == 3 && !strcmp(argv[1], "-d")) return dump(argv[2]);
	if (argc == 3 && !strcmp(argv[1], "-p")) return dump_pos(argv[2]);
	t_ethernet();
	t_vlan_mpls_pppoe();
	t_cooked();
	t_raw_null();
	t_nflog();
	t_ppp();
	t_ipv4();
	t_transport();
	t_ipv6();
	t_robust();
	t_misc();
	t_positions();
	t_captures(argc > 1 ? argv[1] : "tests/data");
	printf("1..%d\n", ntest);
	return nfail != 0;
}
