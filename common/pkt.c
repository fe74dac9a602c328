/*
 * pkt.c - packet decoding (see pkt.h).
 *
 * One decoder state, struct dx, walks the frame: a cursor over the
 * captured bytes and the offset where the frame (later: the datagram)
 * ends on the wire.  A header that does not fit in the captured bytes is
 * "truncated" when it would fit on the wire, and malformed otherwise;
 * dx_short() makes that call in one place.
 *
 * Fixed-size headers are taken as one checked span (cur_bytes) and their
 * fields then read from the span with be16/be32, so a header costs one
 * bounds check.
 *
 * Most frames are Ethernet, IPv4 or IPv6 and TCP or UDP with nothing
 * unusual about them: pkt_decode() takes those through one straight-line
 * check and store (fast_eth) and everything else through the layer-by-
 * layer decoder, pkt_decode_general(), whose result the shortcut matches
 * field for field.
 */
#include "pkt.h"

#include <stdbool.h>
#include <stddef.h>
#include <string.h>

#include "bytes.h"

struct dx {
	const uint8_t *base;  /* start of the buffer: offsets are from here */
	struct cur c;         /* what is left of the captured bytes */
	uint32_t wire_end;    /* where the frame (or datagram) ends on the wire */
};

static inline uint32_t dx_off(const struct dx *d) { return (uint32_t)(d->c.p - d->base); }

/* A header of n bytes at the cursor does not fit in the captured bytes. */
static int dx_short(const struct dx *d, struct pkt_info *pi, size_t n, int bad)
{
	if ((uint64_t)dx_off(d) + n <= d->wire_end) {
		pi->flags |= PKT_F_SNAPLEN;
		return PKT_E_TRUNC;
	}
	return bad;
}

static inline void add_encap(struct pkt_info *pi, uint8_t kind, uint32_t val)
{
	if (pi->n_encap < PKT_MAX_ENCAP) {
		pi->encap_kind[pi->n_encap] = kind;
		pi->encap_val[pi->n_encap] = val;
		pi->n_encap++;
	} else {
		pi->flags |= PKT_F_ENCAP_MORE;
	}
}

static inline void set_payload(struct pkt_info *pi, uint32_t off, uint32_t len)
{
	uint32_t cap = pi->caplen > off ? pi->caplen - off : 0;
	pi->payload_off = off;
	pi->payload_len = len;
	pi->payload_caplen = len < cap ? len : cap;
	pi->layers |= PKT_L_PAYLOAD;
}

/* ---------------------------------------------------------------- transport */

/* ICMP (RFC 792) and ICMPv6 (RFC 4443 §2.1): type, code, checksum and four
 * bytes that echo messages use for identifier and sequence.  Error
 * messages quote the offending IP header right after those 8 bytes (RFC
 * 792 "Internet Header + 64 bits of Original Data"; RFC 4443 §3). */
static int dec_icmp(struct dx *d, struct pkt_info *pi, int v6)
{
	const uint8_t *h;
	uint32_t off = dx_off(d), end;

	if (!cur_bytes(&d->c, 8, &h)) return dx_short(d, pi, 8, PKT_E_TRANS);
	pi->icmp_type = h[0];
	pi->icmp_code = h[1];
	pi->icmp_id = be16(h + 4);
	pi->icmp_seq = be16(h + 6);
	pi->trans_hdr_len = 8;
	pi->layers |= PKT_L_TRANS;
	set_payload(pi, off + 8, pi->trans_len - 8);
	if (v6 ? h[0] < 128 : (h[0] == 3 || h[0] == 4 || h[0] == 5 || h[0] == 11 || h[0] == 12)) {
		pi->flags |= PKT_F_ICMP_ERR;
		end = (uint32_t)(d->c.end - d->base);
		if (end > off + 8) {
			pi->icmpq_off = off + 8;
			pi->icmpq_len = end - (off + 8);
			pi->layers |= PKT_L_ICMPQ;
		}
	}
	return PKT_OK;
}

/* TCP header, RFC 9293 §3.1: the fixed part's fields (also the fast
 * path's).  The reserved bit just before CWR is AE (AccECN, RFC 9768; the
 * old NS bit of RFC 3540): reported as 0x100. */
static inline void tcp_put(struct pkt_info *pi, const uint8_t *h)
{
	pi->sport = be16(h);
	pi->dport = be16(h + 2);
	pi->tcp_seq = be32(h + 4);
	pi->tcp_ack = be32(h + 8);
	pi->tcp_flags = (uint16_t)((h[12] & 1u) << 8 | h[13]);
	pi->tcp_win = be16(h + 14);
	pi->tcp_urp = be16(h + 18);
}

static int dec_tcp(struct dx *d, struct pkt_info *pi)
{
	const uint8_t *h;
	uint32_t off = dx_off(d), hl;

	if (!cur_bytes(&d->c, 20, &h)) return dx_short(d, pi, 20, PKT_E_TRANS);
	tcp_put(pi, h);
	hl = (uint32_t)(h[12] >> 4) * 4;
	pi->trans_hdr_len = hl;
	if (hl < 20 || hl > pi->trans_len) return PKT_E_TCPHDR;
	pi->layers |= PKT_L_TRANS;
	/* Options: hl <= trans_len, so a miss here can only be the snaplen. */
	if (!cur_skip(&d->c, hl - 20)) return dx_short(d, pi, hl - 20, PKT_E_TCPHDR);
	set_payload(pi, off + hl, pi->trans_len - hl);
	return PKT_OK;
}

/* UDP, RFC 768.  Its length bounds the payload (bytes after it up to the
 * IP length are padding); a length past the IP payload is clamped to it.  Length 0 is the jumbogram convention of RFC
 * 2675 §4: the IP payload length rules. */
static int dec_udp(struct dx *d, struct pkt_info *pi)
{
	const uint8_t *h;
	uint32_t off = dx_off(d), ul;

	if (!cur_bytes(&d->c, 8, &h)) return dx_short(d, pi, 8, PKT_E_TRANS);
	pi->sport = be16(h);
	pi->dport = be16(h + 2);
	pi->udp_len = be16(h + 4);
	pi->trans_hdr_len = 8;
	ul = pi->udp_len;
	if (ul == 0 && (pi->flags & (PKT_F_JUMBO | PKT_F_IPLEN_DERIVED)))
		ul = pi->trans_len;
	if (pi->flags & PKT_F_FRAG) {
		/* The first fragment holds only part of the datagram. */
		ul = pi->trans_len;
	} else if (ul < 8) {
		return PKT_E_UDPLEN;
	} else if (ul > pi->trans_len) {
		/* As with an IP length past the frame: keep what is there. */
		ul = pi->trans_len;
		pi->flags |= PKT_F_UDPLEN_CLAMPED;
	}
	pi->layers |= PKT_L_TRANS;
	set_payload(pi, off + 8, ul - 8);
	return PKT_OK;
}

/* SCTP common header, RFC 9260 §3.1: ports, verification tag, checksum. */
static int dec_sctp(struct dx *d, struct pkt_info *pi)
{
	const uint8_t *h;
	uint32_t off = dx_off(d);

	if (!cur_bytes(&d->c, 12, &h)) return dx_short(d, pi, 12, PKT_E_TRANS);
	pi->sport = be16(h);
	pi->dport = be16(h + 2);
	pi->sctp_vtag = be32(h + 4);
	pi->trans_hdr_len = 12;
	pi->layers |= PKT_L_TRANS;
	set_payload(pi, off + 12, pi->trans_len - 12);
	return PKT_OK;
}

/* The cursor is at the upper-layer header, the datagram ends at d->c.end
 * (captured) and d->wire_end (on the wire). */
static int dec_l4(struct dx *d, struct pkt_info *pi)
{
	uint32_t off = dx_off(d);
	int rc;

	pi->trans_off = off;
	pi->trans_len = d->wire_end - off;
	switch (pi->proto) {
	case 6: rc = dec_tcp(d, pi); break;
	case 17: rc = dec_udp(d, pi); break;
	case 1: rc = dec_icmp(d, pi, 0); break;
	case 58: rc = dec_icmp(d, pi, 1); break;
	case 132: rc = dec_sctp(d, pi); break;
	case 59: /* IPv6 no next header: nothing follows (RFC 8200 §4.7) */
		set_payload(pi, off, 0);
		return PKT_OK;
	default:
		set_payload(pi, off, pi->trans_len);
		return PKT_OK;
	}
	/* A first fragment need not hold a whole transport header: what it
	 * holds is decoded, the rest waits for reassembly. */
	if (rc != PKT_OK && (pi->flags & PKT_F_FRAG)) rc = PKT_OK;
	return rc;
}

/* ---------------------------------------------------------------- network */

/* Bound the decoder to the datagram [net_off, net_off + ip_len) and note
 * what lies around it in the frame. */
static void dx_bound(struct dx *d, struct pkt_info *pi)
{
	uint32_t end = pi->net_off + pi->ip_len;
	uint32_t capend = (uint32_t)(d->c.end - d->base);

	if (end < d->wire_end) pi->flags |= PKT_F_TRAILER;
	if (end > capend) pi->flags |= PKT_F_SNAPLEN;
	else d->c.end = d->base + end;
	d->wire_end = end;
}

/* The buffer ends inside the fixed IP header: say where it is, so that
 * pkt_locate can list what is stored of its fields. */
static int ip_cut(struct dx *d, struct pkt_info *pi, uint8_t ver, size_t n)
{
	pi->ipver = ver;
	pi->layers |= PKT_L_IPCUT;
	return dx_short(d, pi, n, PKT_E_IPHDR);
}

/* The fields of the IPv4 header h (RFC 791 §3.1) with total length tot
 * and header length hl (also the fast path's); fo is the flags and
 * fragment offset word. */
static inline void ip4_put(struct pkt_info *pi, const uint8_t *h, uint32_t tot, uint32_t hl,
    uint32_t fo)
{
	pi->ipver = 4;
	pi->tos = h[1];
	pi->ttl = h[8];
	pi->proto = h[9];
	pi->frag_nexthdr = h[9];
	pi->flowlabel = 0;
	pi->saddr = h + 12;
	pi->daddr = h + 16;
	pi->ip_len = tot;
	pi->ip_hdr_len = hl;
	pi->sport = pi->dport = 0;
	pi->frag_id = be16(h + 4);
	pi->frag_off = (fo & 0x1fffu) * 8;
	pi->frag_data_off = hl;
	pi->frag_nh_off = 0;
}

/* IPv4 header, RFC 791 §3.1. */
static int dec_ip4(struct dx *d, struct pkt_info *pi)
{
	const uint8_t *h;
	uint32_t off = dx_off(d), hl, tot, fo;

	if (!cur_bytes(&d->c, 20, &h)) return ip_cut(d, pi, 4, 20);
	hl = (uint32_t)(h[0] & 15) * 4;
	if (hl < 20) return PKT_E_IPHDR;
	tot = be16(h + 2);
	if (tot == 0) {
		/* Segmentation offload hands the capture one big packet whose
		 * length field is left at 0: the frame is the datagram. */
		tot = d->wire_end - off;
		pi->flags |= PKT_F_IPLEN_DERIVED;
		if (tot < hl) return PKT_E_IPLEN;
	} else if (tot < hl) {
		return PKT_E_IPLEN;
	} else if (tot > d->wire_end - off) {
		/* Longer than the frame: a padding middlebox or a lying header.
		 * Decode what the frame holds, as receivers and Wireshark do. */
		tot = d->wire_end - off;
		pi->flags |= PKT_F_IPLEN_CLAMPED;
	}
	fo = be16(h + 6);
	ip4_put(pi, h, tot, hl, fo);
	/* Flags: bit 1 DF, bit 2 MF (RFC 791 §3.1). */
	pi->flags |= (uint16_t)((fo & 0x4000u ? PKT_F_DF : 0) | (fo & 0x2000u ? PKT_F_MF : 0) |
	    (fo & 0x3fffu ? PKT_F_FRAG : 0) | (hl > 20 ? PKT_F_IPOPTS : 0));
	pi->layers |= PKT_L_NET;
	dx_bound(d, pi);
	if (!cur_skip(&d->c, hl - 20)) return dx_short(d, pi, hl - 20, PKT_E_IPHDR);
	if (pi->frag_off) {
		/* Later fragments carry no transport header. */
		pi->trans_off = off + hl;
		pi->trans_len = tot - hl;
		return PKT_OK;
	}
	return dec_l4(d, pi);
}

/* The hop-by-hop options header at h (hlen bytes): the Jumbo Payload
 * option (RFC 2675 §2, type 0xC2, length 4), or 0. */
static uint32_t find_jumbo(const uint8_t *h, uint32_t hlen)
{
	struct cur c = cur_make(h + 2, hlen - 2);
	uint8_t type, len;
	const uint8_t *v;

	while (cur_u8(&c, &type)) {
		if (type == 0) continue; /* Pad1 */
		if (!cur_u8(&c, &len) || !cur_bytes(&c, len, &v)) break;
		if (type == 0xC2 && len == 4) return be32(v);
	}
	return 0;
}

/* The fields of the fixed IPv6 header h (RFC 8200 §3), also the fast
 * path's; proto is the next header until the extension headers say more. */
static inline void ip6_put(struct pkt_info *pi, const uint8_t *h)
{
	uint32_t vtf = be32(h);

	pi->ipver = 6;
	pi->tos = (uint8_t)(vtf >> 20);
	pi->flowlabel = vtf & 0xfffffu;
	pi->ttl = h[7];
	pi->saddr = h + 8;
	pi->daddr = h + 24;
	pi->proto = h[6];
	pi->sport = pi->dport = 0;
	pi->frag_off = 0;
}

/* IPv6 header, RFC 8200 §3, and its extension headers (§4). */
static int dec_ip6(struct dx *d, struct pkt_info *pi)
{
	const uint8_t *h, *e;
	uint32_t off = dx_off(d), plen, len, hoff, elen, nhoff;
	uint8_t nh;

	if (!cur_bytes(&d->c, 40, &h)) return ip_cut(d, pi, 6, 40);
	plen = be16(h + 4);
	nh = h[6];
	ip6_put(pi, h);
	if (plen == 0 && nh != 59) {
		/* A jumbogram (RFC 2675) or a segmentation-offload packet. */
		uint32_t jumbo = 0;
		if (nh == 0 && cur_left(&d->c) >= 8 &&
		    (uint64_t)(d->c.p[1] + 1) * 8 <= cur_left(&d->c))
			jumbo = find_jumbo(d->c.p, (uint32_t)(d->c.p[1] + 1) * 8);
		if (jumbo) {
			len = 40 + jumbo;
			if (jumbo > d->wire_end - off - 40) return PKT_E_IPLEN;
			pi->flags |= PKT_F_JUMBO;
		} else {
			len = d->wire_end - off;
			pi->flags |= PKT_F_IPLEN_DERIVED;
		}
	} else {
		len = 40 + plen;
		if (len > d->wire_end - off) {
			len = d->wire_end - off;
			pi->flags |= PKT_F_IPLEN_CLAMPED;
		}
	}
	pi->ip_len = len;
	pi->layers |= PKT_L_NET;
	dx_bound(d, pi);

	hoff = 40;   /* from net_off */
	nhoff = 6;   /* the byte that names the header at hoff */
	for (;;) {
		switch (nh) {
		case 0:   /* hop-by-hop options, §4.3 */
		case 43:  /* routing, §4.4 */
		case 60:  /* destination options, §4.6 */
		case 135: /* mobility, RFC 6275 §6.1 */
		case 139: /* HIP, RFC 7401 §5.1 */
		case 140: /* shim6, RFC 5533 §5.1 */
			if (cur_left(&d->c) < 2) return dx_short(d, pi, 2, PKT_E_IP6EXT);
			elen = ((uint32_t)d->c.p[1] + 1) * 8;
			break;
		case 51:  /* authentication header, RFC 4302 §2.2: length in 4-byte units */
			if (cur_left(&d->c) < 2) return dx_short(d, pi, 2, PKT_E_IP6EXT);
			elen = ((uint32_t)d->c.p[1] + 2) * 4;
			break;
		case 44:  /* fragment, §4.5: nh, reserved, offset<<3 | M, identification */
			if (!cur_bytes(&d->c, 8, &e)) return dx_short(d, pi, 8, PKT_E_IP6EXT);
			pi->flags |= PKT_F_FRAGHDR | PKT_F_IP6EXT;
			pi->frag_nh_off = nhoff;
			pi->frag_data_off = hoff + 8;
			pi->frag_nexthdr = e[0];
			pi->frag_off = be16(e + 2) & 0xfff8u;
			pi->frag_id = be32(e + 4);
			if (e[3] & 1) pi->flags |= PKT_F_MF;
			if ((e[3] & 1) || pi->frag_off) pi->flags |= PKT_F_FRAG;
			nhoff = hoff;
			hoff += 8;
			nh = e[0];
			if (pi->frag_off) {
				/* The rest is fragment data, not headers. */
				pi->proto = nh;
				pi->ip_hdr_len = hoff;
				pi->trans_off = off + hoff;
				pi->trans_len = len - hoff;
				return PKT_OK;
			}
			continue;
		default:  /* ESP (50), no next header (59), a transport or unknown */
			pi->proto = nh;
			pi->ip_hdr_len = hoff;
			return dec_l4(d, pi);
		}
		pi->flags |= PKT_F_IP6EXT;
		pi->proto = nh;
		pi->ip_hdr_len = hoff;
		e = d->c.p;
		if (!cur_skip(&d->c, elen)) return dx_short(d, pi, elen, PKT_E_IP6EXT);
		nhoff = hoff;
		hoff += elen;
		nh = e[0];
	}
}

/* The cursor is at an IP header; want is 4, 6 or 0 (the version nibble decides). */
static int dec_ip(struct dx *d, struct pkt_info *pi, unsigned want)
{
	unsigned v;

	pi->net_off = dx_off(d);
	if (cur_left(&d->c) < 1) return dx_short(d, pi, 1, PKT_E_IPHDR);
	v = d->c.p[0] >> 4;
	if (want && v != want) return PKT_E_IPVER;
	if (v == 4) {
		pi->ethertype = 0x0800;
		return dec_ip4(d, pi);
	}
	if (v == 6) {
		pi->ethertype = 0x86dd;
		return dec_ip6(d, pi);
	}
	return PKT_E_IPVER;
}

/* ---------------------------------------------------------------- link */

/* MPLS label stack, RFC 3032 §2.1: 20-bit label, 3-bit TC, bottom-of-stack
 * bit, TTL.  Below the stack there is no type field: IPv4 and IPv6 are
 * told apart by the version nibble; anything else (a pseudowire control
 * word, RFC 4385 §3) is not decoded. */
static int dec_mpls(struct dx *d, struct pkt_info *pi)
{
	const uint8_t *h;
	unsigned v;

	do {
		if (!cur_bytes(&d->c, 4, &h)) return dx_short(d, pi, 4, PKT_E_LINK);
		add_encap(pi, PKT_ENC_MPLS, be32(h) >> 12);
	} while (!(h[2] & 1));
	if (cur_left(&d->c) < 1) return dx_short(d, pi, 1, PKT_E_LINK);
	v = d->c.p[0] >> 4;
	if (v == 4 || v == 6) return dec_ip(d, pi, v);
	return PKT_E_NOTIP;
}

/* PPP protocol field (RFC 1661 §2): two bytes, or one when compressed
 * (protocol-field compression, §6.5: the low bit of the first byte is 1).
 * 0x0021 is IPv4 (RFC 1332), 0x0057 IPv6 (RFC 5072). */
static int ppp_proto(struct dx *d, struct pkt_info *pi, unsigned *ver)
{
	uint8_t b0, b1;
	uint16_t proto;

	if (!cur_u8(&d->c, &b0)) return dx_short(d, pi, 1, PKT_E_LINK);
	if (b0 & 1) {
		proto = b0;
	} else {
		if (!cur_u8(&d->c, &b1)) return dx_short(d, pi, 1, PKT_E_LINK);
		proto = (uint16_t)(b0 << 8 | b1);
	}
	*ver = proto == 0x0021 ? 4 : proto == 0x0057 ? 6 : 0;
	return PKT_OK;
}

/* PPPoE session stage, RFC 2516 §4 and §7: ver/type 0x11, code 0, session
 * id, length, then a PPP protocol field. */
static int dec_pppoe(struct dx *d, struct pkt_info *pi)
{
	const uint8_t *h;
	unsigned v;
	uint32_t end;
	int rc;

	if (!cur_bytes(&d->c, 6, &h)) return dx_short(d, pi, 6, PKT_E_LINK);
	if (h[0] != 0x11 || h[1] != 0) return PKT_E_LINK;
	add_encap(pi, PKT_ENC_PPPOE, be16(h + 2));
	/* The length field bounds the PPP frame; what follows is padding. */
	end = dx_off(d) + be16(h + 4);
	if (end < d->wire_end) {
		d->wire_end = end;
		if (d->c.end > d->base + end) d->c.end = d->base + end;
	}
	if ((rc = ppp_proto(d, pi, &v)) != PKT_OK) return rc;
	return v ? dec_ip(d, pi, v) : PKT_E_NOTIP;
}

/* The cursor is after a field holding an Ethernet type: VLAN tags (IEEE
 * 802.1Q C-tag 0x8100; 802.1ad S-tag 0x88a8 and the older 0x9100/0x9200)
 * stack until an IP, MPLS or PPPoE type. */
static int dec_ethertype(struct dx *d, struct pkt_info *pi, uint16_t type)
{
	const uint8_t *h;

	for (;;) {
		switch (type) {
		case 0x0800:
			return dec_ip(d, pi, 4);
		case 0x86dd:
			return dec_ip(d, pi, 6);
		case 0x8100: case 0x88a8: case 0x9100: case 0x9200:
			if (!cur_bytes(&d->c, 4, &h)) return dx_short(d, pi, 4, PKT_E_LINK);
			add_encap(pi, type == 0x8100 ? PKT_ENC_VLAN : PKT_ENC_SVLAN, be16(h));
			type = be16(h + 2);
			continue;
		case 0x8847: case 0x8848:
			pi->ethertype = type;
			return dec_mpls(d, pi);
		case 0x8864:
			pi->ethertype = type;
			return dec_pppoe(d, pi);
		default:
			pi->ethertype = type;
			return PKT_E_NOTIP;
		}
	}
}

/* Ethernet II (RFC 894) or 802.3 with an LLC/SNAP header (RFC 1042). */
static int dec_eth(struct dx *d, struct pkt_info *pi)
{
	const uint8_t *h, *s;
	uint16_t type;

	pi->mac_dst_off = 0;
	pi->mac_src_off = 6;
	if (!cur_bytes(&d->c, 14, &h)) {
		pi->layers |= PKT_L_MACDSTCUT | PKT_L_MACSRCCUT;
		return dx_short(d, pi, 14, PKT_E_LINK);
	}
	pi->l2_len = 14;
	pi->layers |= PKT_L_LINK | PKT_L_MACDST | PKT_L_MACSRC;
	type = be16(h + 12);
	if (type < 0x0600) {
		/* An 802.3 length: only SNAP with a zero OUI carries an Ethernet type. */
		if (cur_left(&d->c) >= 8 && d->c.p[0] == 0xaa && d->c.p[1] == 0xaa &&
		    d->c.p[2] == 0x03 && d->c.p[3] == 0 && d->c.p[4] == 0 && d->c.p[5] == 0 &&
		    cur_bytes(&d->c, 8, &s)) {
			type = be16(s + 6);
		} else {
			pi->ethertype = 0;
			return PKT_E_NOTIP;
		}
	}
	return dec_ethertype(d, pi, type);
}

/* Linux cooked capture v1 (LINKTYPE_LINUX_SLL): packet type, ARPHRD type,
 * address length, 8 address bytes, protocol.  Protocol values below 0x0600
 * are Linux pseudo-protocols (802.3, 802.2 LLC, CAN...), not IP. */
static int dec_sll(struct dx *d, struct pkt_info *pi)
{
	const uint8_t *h;
	uint16_t proto;

	if (!cur_bytes(&d->c, 16, &h)) {
		/* The address of an Ethernet device starts at 6, after its
		 * ARPHRD type and length. */
		h = d->c.p;
		if (cur_left(&d->c) > 6 && be16(h + 2) == 1 && be16(h + 4) == 6) {
			pi->mac_src_off = 6;
			pi->layers |= PKT_L_MACSRCCUT;
		}
		return dx_short(d, pi, 16, PKT_E_LINK);
	}
	pi->l2_len = 16;
	pi->layers |= PKT_L_LINK;
	if (be16(h + 2) == 1 && be16(h + 4) == 6) {
		pi->mac_src_off = 6;
		pi->layers |= PKT_L_MACSRC;
	}
	proto = be16(h + 14);
	if (proto < 0x0600) {
		pi->ethertype = proto;
		return PKT_E_NOTIP;
	}
	return dec_ethertype(d, pi, proto);
}

/* Linux cooked capture v2 (LINKTYPE_LINUX_SLL2): protocol, reserved,
 * interface index, ARPHRD type, packet type, address length, 8 address bytes. */
static int dec_sll2(struct dx *d, struct pkt_info *pi)
{
	const uint8_t *h;
	uint16_t proto;

	if (!cur_bytes(&d->c, 20, &h)) {
		h = d->c.p;
		if (cur_left(&d->c) > 12 && be16(h + 8) == 1 && h[11] == 6) {
			pi->mac_src_off = 12;
			pi->layers |= PKT_L_MACSRCCUT;
		}
		return dx_short(d, pi, 20, PKT_E_LINK);
	}
	pi->l2_len = 20;
	pi->layers |= PKT_L_LINK;
	if (be16(h + 8) == 1 && h[11] == 6) {
		pi->mac_src_off = 12;
		pi->layers |= PKT_L_MACSRC;
	}
	proto = be16(h);
	if (proto < 0x0600) {
		pi->ethertype = proto;
		return PKT_E_NOTIP;
	}
	return dec_ethertype(d, pi, proto);
}

/* BSD address families for IP: AF_INET is 2 everywhere; AF_INET6 is 10
 * (Linux), 24 (NetBSD, OpenBSD), 28 (FreeBSD), 30 (macOS). */
static unsigned af_version(uint32_t af)
{
	switch (af) {
	case 2: return 4;
	case 10: case 24: case 28: case 30: return 6;
	default: return 0;
	}
}

/* LINKTYPE_NULL: the family is in the writer's byte order, which the
 * reader does not know; a family is small, so the order that gives a
 * value below 65536 is the right one.  LINKTYPE_LOOP: network order. */
static int dec_null(struct dx *d, struct pkt_info *pi, int loop)
{
	const uint8_t *h;
	uint32_t af;
	unsigned v;

	if (!cur_bytes(&d->c, 4, &h)) return dx_short(d, pi, 4, PKT_E_LINK);
	pi->l2_len = 4;
	pi->layers |= PKT_L_LINK;
	af = loop ? be32(h) : le32(h);
	if (!loop && af > 0xffffu) af = be32(h);
	v = af_version(af);
	if (!v) {
		pi->ethertype = 0;
		return PKT_E_NOTIP;
	}
	return dec_ip(d, pi, v);
}

/* LINKTYPE_NFLOG: a 4-byte header (family, version, resource id), then
 * TLVs whose 16-bit length (header included) and type are in the host
 * order of the writer, each padded to 4 bytes; the packet is the value of
 * NFULA_PAYLOAD (type 9).  The order is guessed from the first TLV: the
 * right one gives a length that fits the frame. */
static int dec_nflog(struct dx *d, struct pkt_info *pi)
{
	const uint8_t *h, *t;
	uint16_t (*rd)(const uint8_t *) = le16;
	uint32_t len, type, step, off;
	int first = 1;

	if (!cur_bytes(&d->c, 4, &h)) return dx_short(d, pi, 4, PKT_E_LINK);
	if (h[1] != 0) return PKT_E_LINK; /* version 0 is the only one */
	for (;;) {
		if (cur_left(&d->c) < 4) {
			if (cur_left(&d->c) == 0 && dx_off(d) >= d->wire_end) return PKT_E_NOTIP;
			return dx_short(d, pi, 4, PKT_E_LINK);
		}
		t = d->c.p;
		off = dx_off(d);
		if (first) {
			first = 0;
			len = le16(t);
			if (len < 4 || len > d->wire_end - off) rd = be16;
		}
		len = rd(t);
		type = rd(t + 2) & 0x3fffu; /* the top bits are netlink flags */
		if (len < 4 || len > d->wire_end - off) return PKT_E_LINK;
		if (type == 9) {
			(void)cur_skip(&d->c, 4); /* cur_left >= 4: checked above */
			pi->l2_len = off + 4;
			pi->layers |= PKT_L_LINK;
			if (off + len < d->wire_end) d->wire_end = off + len;
			if (d->c.end > d->base + d->wire_end) d->c.end = d->base + d->wire_end;
			return dec_ip(d, pi, h[0] == 2 ? 4 : h[0] == 10 ? 6 : 0);
		}
		step = (len + 3) & ~3u;
		if (step > d->wire_end - off) step = len;
		if (!cur_skip(&d->c, step)) return dx_short(d, pi, step, PKT_E_LINK);
	}
}

/* LINKTYPE_PPP: RFC 1662 address/control (0xff 0x03) may precede the
 * protocol field.  LINKTYPE_PPP_HDLC also carries Cisco HDLC frames
 * (address 0x0f or 0x8f, control 0, then an Ethernet type), which is all
 * LINKTYPE_C_HDLC carries. */
static int dec_ppp(struct dx *d, struct pkt_info *pi, uint32_t lt)
{
	const uint8_t *h, *t;
	unsigned v;
	int rc;

	if (lt != PKT_LT_PPP) {
		if (!cur_bytes(&d->c, 2, &h)) return dx_short(d, pi, 2, PKT_E_LINK);
		if (h[0] == 0x0f || h[0] == 0x8f) {
			if (!cur_bytes(&d->c, 2, &t)) return dx_short(d, pi, 2, PKT_E_LINK);
			pi->l2_len = 4;
			pi->layers |= PKT_L_LINK;
			return dec_ethertype(d, pi, be16(t));
		}
		if (lt == PKT_LT_C_HDLC || h[0] != 0xff || h[1] != 0x03) return PKT_E_LINK;
	} else if (cur_left(&d->c) >= 2 && d->c.p[0] == 0xff && d->c.p[1] == 0x03) {
		(void)cur_skip(&d->c, 2);
	}
	if ((rc = ppp_proto(d, pi, &v)) != PKT_OK) return rc;
	pi->l2_len = dx_off(d);
	pi->layers |= PKT_L_LINK;
	return v ? dec_ip(d, pi, v) : PKT_E_NOTIP;
}

/* ---------------------------------------------------------------- entry points */

static const uint8_t empty_frame[1];

static inline void pi_init(struct pkt_info *pi, struct dx *d, const uint8_t *buf,
    uint32_t caplen, uint32_t wirelen)
{
	if (buf == NULL) {
		buf = empty_frame;
		caplen = 0;
	}
	if (wirelen < caplen) wirelen = caplen;
	d->base = buf;
	d->c = cur_make(buf, caplen);
	d->wire_end = wirelen;
	pi->caplen = caplen;
	pi->wirelen = wirelen;
	pi->flags = 0;
	pi->layers = 0;
	pi->n_encap = 0;
	pi->ethertype = 0;
	pi->l2_len = 0;
	pi->net_off = 0;
}

/*
 * The common frame, decoded in one piece: Ethernet II, at most one 802.1Q
 * tag, IPv4 without options or IPv6 without extension headers, not a
 * fragment, TCP or UDP whose header the buffer holds whole, lengths that
 * agree (no clamping, no derived length).  Everything is checked before
 * anything is stored, so a frame the fast path declines (false) leaves pi
 * as it was and the general decoder starts from the same struct.  What it
 * stores is exactly what the general decoder stores for such a frame,
 * field for field, and no more (fuzz_pkt checks this against
 * pkt_decode_general): the general decoder stays the definition.
 */

/* The TCP or UDP header at th, toff bytes into the frame, with tlen bytes
 * of transport header and payload in the datagram: its header length
 * (TCP 20 to 60, UDP 8) when the fast path takes it, else 0. */
static inline uint32_t fast_l4_len(const uint8_t *th, uint8_t proto, uint32_t toff,
    uint32_t tlen, uint32_t caplen)
{
	uint32_t hl, ul;

	if (proto == 6) {
		if (caplen < toff + 20) return 0;
		hl = (uint32_t)(th[12] >> 4) * 4;
		if (hl < 20 || hl > tlen || toff + hl > caplen) return 0;
		return hl;
	}
	if (proto == 17) {
		if (caplen < toff + 8) return 0;
		ul = be16(th + 4);
		if (ul < 8 || ul > tlen) return 0;
		return 8;
	}
	return 0;
}

/* What every fast frame stores: the link group and the frame's flags.
 * end is where the datagram ends. */
static inline void fast_link_put(struct pkt_info *pi, uint32_t caplen, uint32_t wirelen,
    uint32_t end, uint16_t flags, uint32_t net, uint16_t type, uint16_t tci)
{
	if (end < wirelen) flags |= PKT_F_TRAILER;
	if (end > caplen) flags |= PKT_F_SNAPLEN;
	pi->caplen = caplen;
	pi->wirelen = wirelen;
	pi->flags = flags;
	pi->layers = PKT_L_LINK | PKT_L_MACDST | PKT_L_MACSRC | PKT_L_NET | PKT_L_TRANS |
	    PKT_L_PAYLOAD;
	pi->n_encap = 0;
	if (net == 18) {
		pi->n_encap = 1;
		pi->encap_kind[0] = PKT_ENC_VLAN;
		pi->encap_val[0] = tci;
	}
	pi->ethertype = type;
	pi->l2_len = 14;
	pi->mac_dst_off = 0;
	pi->mac_src_off = 6;
	pi->net_off = net;
}

/* The transport group and the payload (hl from fast_l4_len: 8 is UDP). */
static inline void fast_l4_put(struct pkt_info *pi, const uint8_t *th, uint32_t toff,
    uint32_t tlen, uint32_t hl, uint32_t caplen)
{
	uint32_t end = tlen;   /* where the payload ends, from toff */

	pi->trans_off = toff;
	pi->trans_len = tlen;
	pi->trans_hdr_len = hl;
	if (hl == 8) {
		pi->sport = be16(th);
		pi->dport = be16(th + 2);
		pi->udp_len = be16(th + 4);
		end = pi->udp_len;
	} else {
		tcp_put(pi, th);
	}
	/* The header is inside the buffer (toff + hl <= caplen). */
	pi->payload_off = toff + hl;
	pi->payload_len = end - hl;
	pi->payload_caplen = end - hl < caplen - (toff + hl) ? end - hl : caplen - (toff + hl);
}

/* IPv4, version 4 and IHL 5, at ip = f + net: the offset and MF zero (DF
 * may be set), a total length from 20 up to what the frame holds on the
 * wire. */
static bool fast_ip4(const uint8_t *f, uint32_t caplen, uint32_t wirelen, struct pkt_info *pi,
    uint32_t net, uint16_t tci)
{
	const uint8_t *ip = f + net;
	uint32_t tot, fo, hl;

	if (caplen < net + 20 || ip[0] != 0x45) return false;
	tot = be16(ip + 2);
	fo = be16(ip + 6);
	if (tot < 20 || tot > wirelen - net || (fo & 0x3fffu)) return false;
	hl = fast_l4_len(ip + 20, ip[9], net + 20, tot - 20, caplen);
	if (!hl) return false;

	fast_link_put(pi, caplen, wirelen, net + tot, fo & 0x4000u ? PKT_F_DF : 0, net, 0x0800,
	    tci);
	ip4_put(pi, ip, tot, 20, 0);
	fast_l4_put(pi, ip + 20, net + 20, tot - 20, hl, caplen);
	return true;
}

/* IPv6 at ip = f + net whose next header is the transport (no extension
 * headers, so the fragment fields are not written); a payload length of
 * 0 (a jumbogram, offload) or past the frame on the wire is not taken. */
static bool fast_ip6(const uint8_t *f, uint32_t caplen, uint32_t wirelen, struct pkt_info *pi,
    uint32_t net, uint16_t tci)
{
	const uint8_t *ip = f + net;
	uint32_t plen, hl;

	if (caplen < net + 40 || (ip[0] >> 4) != 6) return false;
	plen = be16(ip + 4);
	if (plen == 0 || plen > wirelen - net - 40) return false;
	hl = fast_l4_len(ip + 40, ip[6], net + 40, plen, caplen);
	if (!hl) return false;

	fast_link_put(pi, caplen, wirelen, net + 40 + plen, 0, net, 0x86dd, tci);
	ip6_put(pi, ip);
	pi->ip_len = 40 + plen;
	pi->ip_hdr_len = 40;
	fast_l4_put(pi, ip + 40, net + 40, plen, hl, caplen);
	return true;
}

/* Ethernet II, optionally one 802.1Q tag; the frame's smallest is
 * Ethernet, IPv4 and UDP headers. */
static inline bool fast_eth(const uint8_t *f, uint32_t caplen, uint32_t wirelen,
    struct pkt_info *pi)
{
	uint16_t type, tci = 0;
	uint32_t net = 14;

	if (caplen < 14 + 20 + 8) return false;
	type = be16(f + 12);
	if (type == 0x8100) {
		tci = be16(f + 14);
		type = be16(f + 16);
		net = 18;
	}
	if (type == 0x0800) return fast_ip4(f, caplen, wirelen, pi, net, tci);
	if (type == 0x86dd) return fast_ip6(f, caplen, wirelen, pi, net, tci);
	return false;
}

int pkt_decode(uint32_t linktype, const uint8_t *frame, uint32_t caplen, uint32_t wirelen,
    struct pkt_info *pi)
{
	if (linktype == PKT_LT_EN10MB && frame != NULL &&
	    fast_eth(frame, caplen, wirelen > caplen ? wirelen : caplen, pi))
		return PKT_OK;
	return pkt_decode_general(linktype, frame, caplen, wirelen, pi);
}

int pkt_decode_general(uint32_t linktype, const uint8_t *frame, uint32_t caplen,
    uint32_t wirelen, struct pkt_info *pi)
{
	struct dx d;

	pi_init(pi, &d, frame, caplen, wirelen);
	switch (linktype) {
	case PKT_LT_EN10MB:
		return dec_eth(&d, pi);
	case PKT_LT_RAW: case PKT_LT_RAW12: case PKT_LT_RAW14:
		pi->layers |= PKT_L_LINK;
		return dec_ip(&d, pi, 0);
	case PKT_LT_IPV4:
		pi->layers |= PKT_L_LINK;
		return dec_ip(&d, pi, 4);
	case PKT_LT_IPV6:
		pi->layers |= PKT_L_LINK;
		return dec_ip(&d, pi, 6);
	case PKT_LT_SLL:
		return dec_sll(&d, pi);
	case PKT_LT_SLL2:
		return dec_sll2(&d, pi);
	case PKT_LT_NULL:
		return dec_null(&d, pi, 0);
	case PKT_LT_LOOP:
		return dec_null(&d, pi, 1);
	case PKT_LT_NFLOG:
		return dec_nflog(&d, pi);
	case PKT_LT_PPP: case PKT_LT_PPP_HDLC: case PKT_LT_C_HDLC:
		return dec_ppp(&d, pi, linktype);
	default:
		return PKT_E_LINKTYPE;
	}
}

int pkt_decode_ip(const uint8_t *ip, uint32_t caplen, uint32_t wirelen, struct pkt_info *pi)
{
	struct dx d;

	pi_init(pi, &d, ip, caplen, wirelen);
	return dec_ip(&d, pi, 0);
}

const char *pkt_strerror(int code)
{
	static const char *const names[PKT_NERR] = {
		"ok", "truncated", "unknown link type", "not IP", "bad link header",
		"bad IP version", "bad IP header", "bad IP length", "bad IPv6 extension header",
		"transport header past datagram", "bad TCP header length", "bad UDP length",
	};
	if (code > 0 || code <= -PKT_NERR) return "unknown error";
	return names[-code];
}

static const struct {
	uint32_t lt;
	const char *name;
} linktypes[] = {
	{ PKT_LT_NULL, "NULL" }, { PKT_LT_EN10MB, "EN10MB" }, { PKT_LT_PPP, "PPP" },
	{ PKT_LT_RAW12, "RAW" }, { PKT_LT_RAW14, "RAW" }, { PKT_LT_PPP_HDLC, "PPP_HDLC" },
	{ PKT_LT_RAW, "RAW" }, { PKT_LT_C_HDLC, "C_HDLC" }, { PKT_LT_LOOP, "LOOP" },
	{ PKT_LT_SLL, "LINUX_SLL" }, { PKT_LT_IPV4, "IPV4" }, { PKT_LT_IPV6, "IPV6" },
	{ PKT_LT_NFLOG, "NFLOG" }, { PKT_LT_SLL2, "LINUX_SLL2" },
};

const char *pkt_linktype_name(uint32_t linktype)
{
	for (size_t i = 0; i < sizeof linktypes / sizeof linktypes[0]; i++)
		if (linktypes[i].lt == linktype) return linktypes[i].name;
	return NULL;
}

int pkt_linktype_known(uint32_t linktype) { return pkt_linktype_name(linktype) != NULL; }

/* ---------------------------------------------------------------- field positions */

/* Where locate_at() puts the entries of one header. */
struct fpw {
	struct pkt_ftab *t;
	uint32_t base;        /* offset of the decoded buffer in the located one */
	uint32_t n;           /* bytes of the decoded buffer */
	uint8_t hdr, depth, flags;
};

/* One field of len bytes at off (from the decoded buffer); listed when it
 * starts inside the buffer. */
static inline void loc_add(struct fpw *w, unsigned kind, uint32_t off, uint32_t len)
{
	struct pkt_fpos *f;

	if (off >= w->n) return;
	if (w->t->n == PKT_FP_MAX) {
		w->t->lost++;
		return;
	}
	if (w->depth == 0 && w->t->first[kind] == 0xff) w->t->first[kind] = (uint8_t)w->t->n;
	f = &w->t->f[w->t->n++];
	f->off = w->base + off;
	f->len = (uint8_t)len;
	f->have = (uint8_t)(len < w->n - off ? len : w->n - off);
	f->kind = (uint8_t)kind;
	f->hdr = w->hdr;
	f->depth = w->depth;
	f->flags = w->flags;
}

/* TCP options from off to hend (the header's end): the timestamps option
 * (kind 8, length 10; RFC 7323 §3.2), whose 8 value bytes are listed, also
 * when the stored bytes end inside them (have says how many are there). */
static void loc_tcp_opts(struct fpw *w, const uint8_t *b, uint32_t off, uint32_t hend)
{
	while (off < hend && off < w->n) {
		uint32_t len;

		if (b[off] == 0) return;      /* end of options */
		if (b[off] == 1) {            /* no-operation */
			off++;
			continue;
		}
		if (off + 1 >= hend || off + 1 >= w->n) return;
		len = b[off + 1];
		if (len < 2 || (uint64_t)off + len > hend) return;
		if (b[off] == 8 && len == 10) loc_add(w, PKT_FK_TCPTS, off + 2, 8);
		off += len;
	}
}

static void locate_at(const struct pkt_info *pi, const uint8_t *b, struct fpw *w, unsigned quotes)
{
	uint32_t o, t, thl;
	unsigned hdr;

	w->n = pi->caplen;
	w->flags = 0;
	w->hdr = PKT_H_LINK;
	if (pi->layers & PKT_L_MACDST) loc_add(w, PKT_FK_MACDST, pi->mac_dst_off, 6);
	if (pi->layers & PKT_L_MACSRC) loc_add(w, PKT_FK_MACSRC, pi->mac_src_off, 6);
	if (pi->layers & (PKT_L_MACDSTCUT | PKT_L_MACSRCCUT)) {
		w->flags = PKT_FP_CUT;
		if (pi->layers & PKT_L_MACDSTCUT) loc_add(w, PKT_FK_MACDST, pi->mac_dst_off, 6);
		if (pi->layers & PKT_L_MACSRCCUT) loc_add(w, PKT_FK_MACSRC, pi->mac_src_off, 6);
		w->flags = 0;
	}
	if (!(pi->layers & (PKT_L_NET | PKT_L_IPCUT))) return;
	o = pi->net_off;
	if (!(pi->layers & PKT_L_NET)) w->flags = PKT_FP_CUT;
	if (pi->ipver == 4) {
		/* RFC 791 §3.1 */
		w->hdr = PKT_H_IP4;
		loc_add(w, PKT_FK_IPLEN, o + 2, 2);
		loc_add(w, PKT_FK_IPID, o + 4, 2);
		loc_add(w, PKT_FK_TTL, o + 8, 1);
		loc_add(w, PKT_FK_IPCSUM, o + 10, 2);
		loc_add(w, PKT_FK_SADDR, o + 12, 4);
		loc_add(w, PKT_FK_DADDR, o + 16, 4);
	} else {
		/* RFC 8200 §3 */
		w->hdr = PKT_H_IP6;
		loc_add(w, PKT_FK_FLOWLABEL, o + 1, 3);
		loc_add(w, PKT_FK_IPLEN, o + 4, 2);
		loc_add(w, PKT_FK_TTL, o + 7, 1);
		loc_add(w, PKT_FK_SADDR, o + 8, 16);
		loc_add(w, PKT_FK_DADDR, o + 24, 16);
	}
	/* Later fragments hold no transport header. */
	if (!(pi->layers & PKT_L_NET) || pi->frag_off) return;
	if (pi->layers & PKT_L_TRANS) {
		t = pi->trans_off;
	} else if (pi->ip_hdr_len) {
		/* Cut by the end of the buffer or malformed: what is stored of
		 * its fixed part is still located. */
		t = o + pi->ip_hdr_len;
		w->flags = PKT_FP_CUT;
	} else {
		return;
	}
	switch (pi->proto) {
	case 6: hdr = PKT_H_TCP; break;
	case 17: hdr = PKT_H_UDP; break;
	case 136: hdr = PKT_H_UDPLITE; w->flags = 0; break; /* not decoded: RFC 3828 §3 layout */
	case 132: hdr = PKT_H_SCTP; break;
	case 1: hdr = PKT_H_ICMP; break;
	case 58: hdr = PKT_H_ICMP6; break;
	default: return;
	}
	w->hdr = (uint8_t)hdr;
	if (hdr == PKT_H_ICMP || hdr == PKT_H_ICMP6) {
		loc_add(w, PKT_FK_L4CSUM, t + 2, 2);
	} else {
		loc_add(w, PKT_FK_SPORT, t, 2);
		loc_add(w, PKT_FK_DPORT, t + 2, 2);
	}
	switch (hdr) {
	case PKT_H_TCP: /* RFC 9293 §3.1 */
		loc_add(w, PKT_FK_SEQ, t + 4, 4);
		loc_add(w, PKT_FK_ACK, t + 8, 4);
		loc_add(w, PKT_FK_L4CSUM, t + 16, 2);
		/* A header cut short still says its length when its data
		 * offset byte is stored: its options are walked as far as
		 * they are there (the decoder may not have set trans_hdr_len). */
		if (!w->flags) thl = pi->trans_hdr_len;
		else thl = t + 12 < w->n ? (uint32_t)(b[t + 12] >> 4) * 4 : 0;
		if (thl > 20) loc_tcp_opts(w, b, t + 20, t + thl);
		break;
	case PKT_H_UDP: case PKT_H_UDPLITE: /* RFC 768, RFC 3828 §3 */
		loc_add(w, PKT_FK_UDPLEN, t + 4, 2);
		loc_add(w, PKT_FK_L4CSUM, t + 6, 2);
		break;
	case PKT_H_SCTP: /* RFC 9260 §3.1 */
		loc_add(w, PKT_FK_L4CSUM, t + 8, 4);
		break;
	}
	/* An error message quotes the offending header, addresses and all. */
	if (quotes && (pi->layers & PKT_L_ICMPQ) && pi->icmpq_off < pi->caplen) {
		struct pkt_info q;
		uint32_t qn = pi->icmpq_len, base = w->base;
		uint8_t depth = w->depth;

		if (qn > pi->caplen - pi->icmpq_off) qn = pi->caplen - pi->icmpq_off;
		memset(&q, 0, sizeof q);
		pkt_decode_ip(b + pi->icmpq_off, qn, UINT32_MAX, &q);
		w->base = base + pi->icmpq_off;
		w->depth = (uint8_t)(depth + 1);
		locate_at(&q, b + pi->icmpq_off, w, quotes - 1);
		w->base = base;
		w->depth = depth;
	}
}

void pkt_locate(const struct pkt_info *pi, const uint8_t *buf, unsigned quotes,
    struct pkt_ftab *t)
{
	struct fpw w = { t, 0, 0, 0, 0, 0 };

	t->n = 0;
	t->lost = 0;
	memset(t->first, 0xff, sizeof t->first);
	if (quotes > PKT_FP_MAXDEPTH) quotes = PKT_FP_MAXDEPTH;
	locate_at(pi, buf, &w, quotes);
}

const char *pkt_fk_name(unsigned kind)
{
	static const char *const names[PKT_FK_N] = {
		"", "macdst", "macsrc", "ipid", "flowlabel", "ttl", "ipcsum", "saddr", "daddr", "sport",
		"dport", "seq", "ack", "l4csum", "tcpts", "iplen", "udplen",
	};
	return kind > 0 && kind < PKT_FK_N ? names[kind] : NULL;
}

const struct pkt_fpos *pkt_fp_find(const struct pkt_ftab *t, unsigned kind, unsigned depth)
{
	if (depth == 0) return kind < PKT_FK_N && t->first[kind] != 0xff ? &t->f[t->first[kind]] : NULL;
	for (uint32_t i = 0; i < t->n; i++)
		if (t->f[i].kind == kind && t->f[i].depth == depth) return &t->f[i];
	return NULL;
}

uint8_t *pkt_fp_span(uint8_t *buf, uint32_t n, const struct pkt_fpos *f)
{
	if (f == NULL || f->off > n || f->len > n - f->off) return NULL;
	return buf + f->off;
}

uint32_t pkt_fp_zero(uint8_t *buf, uint32_t n, const struct pkt_fpos *f)
{
	uint32_t k;

	if (f == NULL || f->off >= n) return 0;
	k = f->have < n - f->off ? f->have : n - f->off;
	memset(buf + f->off, 0, k);
	return k;
}
