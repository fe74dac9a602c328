/*
 * capflow.c - captures to flows: the per-packet pipeline (see capflow.h).
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bytes.h"
#include "capflow.h"
#include "msg.h"
#include "rec.h"

struct cf {
	struct cf_config cfg;
	struct cf_stats st;
	struct ft_table *ft;
	struct frag *fr;
	struct cap_bpf *bpf;
	bool wire_warned;                    /* in the current input */
	uint8_t linktype_warned[65536 / 8]; /* a bit per link type */
	uint8_t encap[PKT_MAX_ENCAP * 5];    /* the ENCAP value of the packet in ft_packet */
};

static const char *const drop_names[CF_D_N] = {
	"filtered by BPF", "unknown link type", "not IP", "malformed or cut before the IP header",
	"TCP control (--drop-control)", "UDP to port 53 (--drop-dns)", "fragments held or discarded",
};

struct cf *cf_new(const struct cf_config *cfg, struct ft_table *ft, struct frag *fr,
    struct cap_bpf *bpf)
{
	struct cf *cf = xcalloc(1, sizeof *cf);

	cf->cfg = *cfg;
	cf->ft = ft;
	cf->fr = fr;
	cf->bpf = bpf;
	return cf;
}

void cf_free(struct cf *cf)
{
	free(cf);
}

const struct cf_stats *cf_stats(const struct cf *cf)
{
	return &cf->st;
}

const char *cf_drop_name(int i)
{
	return i >= 0 && i < CF_D_N ? drop_names[i] : "?";
}

/* ICMP and ICMPv6 echo request and reply: the identifier keys the flow. */
static bool is_echo(uint8_t proto, uint8_t type)
{
	if (proto == 1) return type == 0 || type == 8;
	return type == 128 || type == 129;
}

/*
 * Fill an ft_pkt from a decoded packet.  pi describes the IP datagram at
 * ipbase: the frame's (ipbase == cp->data, lk == pi) or a reassembled
 * datagram's (then lk describes the frame of its last fragment, which
 * gives the link addresses and the encapsulation).  wire is the length on
 * the wire: the frame's, or the sum of the fragments' frames.
 * fp points into cp->data, ipbase and cf->encap; nothing else is copied.
 */
static void to_ft(struct cf *cf, struct ft_pkt *fp, const struct pkt_info *pi,
    const struct pkt_info *lk, const struct cap_pkt *cp, uint64_t ts, const uint8_t *ipbase,
    uint8_t pflags, uint32_t wire)
{
	unsigned i, alen = pi->ipver == 4 ? 4 : 16;

	memset(fp->src, 0, 16);
	memset(fp->dst, 0, 16);
	memcpy(fp->src, pi->saddr, alen);
	memcpy(fp->dst, pi->daddr, alen);
	fp->ts_ns = ts;
	fp->ipv = pi->ipver;
	fp->proto = pi->proto;
	fp->ttl = pi->ttl;
	fp->tos = pi->tos;
	fp->ip_len = pi->ip_len;
	fp->pflags = pflags;
	fp->is_tcp = false;
	fp->sport = fp->dport = fp->rec_sport = fp->rec_dport = 0;
	fp->tcp_flags = fp->window = 0;
	fp->seq = 0;
	fp->l4_len = fp->payload_len = fp->payload_caplen = 0;
	fp->payload = NULL;
	if (pi->layers & PKT_L_TRANS) {
		fp->l4_len = pi->trans_len;
		if (pi->proto == 1 || pi->proto == 58) {
			uint16_t tc = (uint16_t)(pi->icmp_type << 8 | pi->icmp_code);

			fp->rec_sport = tc;
			if (is_echo(pi->proto, pi->icmp_type)) {
				fp->sport = fp->dport = pi->icmp_id;
				fp->rec_dport = pi->icmp_id;
			} else {
				fp->sport = tc;
			}
		} else {
			fp->sport = fp->rec_sport = pi->sport;
			fp->dport = fp->rec_dport = pi->dport;
		}
		if (pi->proto == 6) {
			fp->is_tcp = true;
			fp->tcp_flags = pi->tcp_flags;
			fp->window = pi->tcp_win;
			fp->seq = pi->tcp_seq;
		}
		/* TCP options cut by the snapshot length: the lengths are
		 * still known from the IP header. */
		if (!(pi->layers & PKT_L_PAYLOAD) && pi->trans_hdr_len <= pi->trans_len)
			fp->payload_len = pi->trans_len - pi->trans_hdr_len;
	}
	if (pi->layers & PKT_L_PAYLOAD) {
		fp->payload_len = pi->payload_len;
		fp->payload_caplen = pi->payload_caplen;
		fp->payload = ipbase + pi->payload_off;
	}
	fp->wire_len = wire;
	fp->mac_src = fp->mac_dst = NULL;
	fp->encap = NULL;
	fp->encap_len = 0;
	if (lk->layers & PKT_L_MACSRC) fp->mac_src = cp->data + lk->mac_src_off;
	if (lk->layers & PKT_L_MACDST) fp->mac_dst = cp->data + lk->mac_dst_off;
	for (i = 0; i < lk->n_encap; i++) {
		cf->encap[5 * i] = lk->encap_kind[i];
		put_be32(cf->encap + 5 * i + 1, lk->encap_val[i]);
	}
	if (lk->n_encap) {
		fp->encap = cf->encap;
		fp->encap_len = (uint8_t)(5 * lk->n_encap);
	}
	if (ipbase == cp->data && pi->net_off > UINT16_MAX) {
		/* A link header too long for PKTBYTES' link_len: nothing stored. */
		fp->frame = fp->ip = NULL;
		fp->caplen = cp->caplen;
		fp->orig_len = lk->wirelen;
		fp->linktype = cp->linktype;
		fp->link_len = 0;
		fp->ip_caplen = fp->link_caplen = 0;
	} else if (ipbase == cp->data) {
		uint32_t have = cp->caplen - pi->net_off;

		fp->frame = cp->data;
		fp->caplen = cp->caplen;
		fp->orig_len = lk->wirelen;
		fp->linktype = cp->linktype;
		fp->link_len = (uint16_t)pi->net_off;
		fp->ip = cp->data + pi->net_off;
		fp->ip_caplen = have < pi->ip_len ? have : pi->ip_len;
		/* The Ethernet trailer (bytes after the datagram) is not stored
		 * unless asked for. */
		fp->link_caplen = cf->cfg.trailer ? cp->caplen : pi->net_off + fp->ip_caplen;
	} else {
		/* A reassembled datagram has no frame of its own: stored as
		 * a raw IP packet. */
		fp->frame = ipbase;
		fp->caplen = fp->orig_len = pi->ip_len;
		fp->linktype = PKT_LT_RAW;
		fp->link_len = 0;
		fp->ip = ipbase;
		fp->ip_caplen = fp->link_caplen = pi->ip_len;
	}
}

/* The seed scripts' packet filters: true when fp is dropped (counted). */
static bool seed_drop(struct cf *cf, const struct ft_pkt *fp)
{
	if (cf->cfg.drop_control && fp->is_tcp && fp->payload_len == 0 && (fp->tcp_flags & 0x13)) {
		cf->st.drops[CF_D_CONTROL]++;
		return true;
	}
	/* Both seeds drop UDP to port 53 only: TCP to port 53 and every
	 * answer are kept. */
	if (cf->cfg.drop_dns && fp->proto == 17 && fp->rec_dport == 53) {
		cf->st.drops[CF_D_DNS]++;
		return true;
	}
	return false;
}

static void malformed(struct cf *cf, int rc)
{
	cf->st.drops[CF_D_MALFORMED]++;
	cf->st.malformed[rc < 0 && -rc < PKT_NERR ? -rc : 0]++;
}

/*
 * One captured packet, with its time in ns since 1970 and its 1-based
 * number in its input (1 starts a new input for the once-per-input
 * warnings).  A packet cut by the snapshot length is used as far as it was
 * decoded; any other decoding error drops it, as receivers and tshark's
 * conversation tables do.  Static and called once, so that it is inlined
 * into the read loop (an exported function here costs ~2% of the run).
 */
static inline __attribute__((always_inline)) void packet(struct cf *cf, const struct cap_pkt *cp,
    uint64_t ts, uint64_t pkt_no)
{
	struct pkt_info pi, dpi;
	struct ft_pkt fp;
	int rc;
	uint8_t pflags = 0;
	uint64_t wire;
	uint32_t wirelen = cp->wirelen;

	if (pkt_no == 1) cf->wire_warned = false;   /* a new input */
	cf->st.read++;
	if (cf->bpf) {
		int m = cap_bpf_match(cf->bpf, cp);

		if (m < 0) msg_warn("%s", cap_bpf_errmsg(cf->bpf));
		if (m <= 0) {
			cf->st.drops[CF_D_BPF]++;
			return;
		}
	}
	if (wirelen > CF_MAX_WIRE && wirelen > cp->caplen) {
		wirelen = cp->caplen > CF_MAX_WIRE ? cp->caplen : CF_MAX_WIRE;
		if (!cf->wire_warned)
			msg_warn("%s: packet %llu: recorded wire length %lu is not believable: taken as "
			    "%lu (later ones of this input are counted by -v)", ft_source(cf->ft),
			    (unsigned long long)pkt_no, (unsigned long)cp->wirelen,
			    (unsigned long)wirelen);
		cf->wire_warned = true;
		cf->st.wire_clamped++;
	}
	rc = pkt_decode(cp->linktype, cp->data, cp->caplen, wirelen, &pi);
	if (rc == PKT_E_LINKTYPE) {
		if (!(cf->linktype_warned[cp->linktype >> 3] & 1u << (cp->linktype & 7))) {
			msg_warn("link type %u is not decoded; its packets are counted and skipped",
			    cp->linktype);
			cf->linktype_warned[cp->linktype >> 3] |= (uint8_t)(1u << (cp->linktype & 7));
		}
		cf->st.drops[CF_D_LINKTYPE]++;
		return;
	}
	if (rc == PKT_E_NOTIP) {
		cf->st.drops[CF_D_NOTIP]++;
		return;
	}
	if (!(pi.layers & PKT_L_NET) || (rc != PKT_OK && rc != PKT_E_TRUNC)) {
		malformed(cf, rc);
		return;
	}
	if (pi.flags & PKT_F_SNAPLEN) {
		cf->st.snaplen++;
		pflags |= RP_SNAPLEN;
	}
	if (pi.flags & PKT_F_FRAG) {
		uint32_t len;
		const uint8_t *dg = frag_feed(cf->fr, &pi, cp->data, ts, &len);

		if (dg == NULL) {
			cf->st.drops[CF_D_FRAG_HELD]++;
			return;
		}
		rc = pkt_decode_ip(dg, len, len, &dpi);
		if (rc != PKT_OK) {
			malformed(cf, rc);
			return;
		}
		wire = frag_wirelen(cf->fr);
		to_ft(cf, &fp, &dpi, &pi, cp, ts, dg, (uint8_t)(pflags | RP_FRAG),
		    wire > UINT32_MAX ? UINT32_MAX : (uint32_t)wire);
	} else {
		to_ft(cf, &fp, &pi, &pi, cp, ts, cp->data, pflags, pi.wirelen);
	}
	fp.pkt_no = pkt_no;
	cf->st.decoded++;
	if (seed_drop(cf, &fp)) return;
	ft_packet(cf->ft, &fp);
}

static bool stopped(const struct cf *cf)
{
	return cf->cfg.stop && *cf->cfg.stop;
}

int cf_read(struct cf *cf, struct cap *c, const char *display, const char *label)
{
	struct cap_pkt cp;
	int rc, ret = 0;
	uint64_t n = 0, ts, last_ts = 0;

	ft_set_source(cf->ft, display, label);
	cf->st.inputs++;
	for (;;) {
		rc = cap_next(c, &cp);
		if (rc == CAP_TIMEOUT) {
			struct timespec now;

			if (stopped(cf)) break;
			clock_gettime(CLOCK_REALTIME, &now);
			ft_expire(cf->ft, (uint64_t)now.tv_sec * 1000000000ull + (uint64_t)now.tv_nsec);
			continue;
		}
		if (rc != CAP_OK) break;
		n++;
		ts = cp.ts > 0 ? (uint64_t)cp.ts : 0;
		if (cp.flags & CAP_PKT_NOTS) ts = last_ts;
		last_ts = ts;
		packet(cf, &cp, ts, n);
		if ((n & 0xffff) == 0) msg_progress(display, n, 0);
		if (cf->cfg.count && n >= cf->cfg.count) break;
		if (stopped(cf)) break;
	}
	msg_progress_end();
	if (rc == CAP_TRUNC || rc == CAP_ERR) {
		msg_warn("%s", cap_errmsg(c));
		cf->st.bad_inputs++;
		ret = -1;
	}
	frag_flush(cf->fr);
	ft_flush(cf->ft, END_EOF);
	return ret;
}
