/*
 * cicflow.c - CICFlowMeter's columns (cicflow.h).  The definitions, and
 * where each compat behaviour comes from in CICFlowMeter's source, are in
 * flow-stats(1), CICFLOWMETER; the comments here only name them.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "cicflow.h"
#include "stats.h"

static const char *const names[CIC_NCOLS] = {
	"Flow ID", "Src IP", "Src Port", "Dst IP", "Dst Port", "Protocol", "Timestamp",
	"Flow Duration", "Tot Fwd Pkts", "Tot Bwd Pkts", "TotLen Fwd Pkts", "TotLen Bwd Pkts",
	"Fwd Pkt Len Max", "Fwd Pkt Len Min", "Fwd Pkt Len Mean", "Fwd Pkt Len Std",
	"Bwd Pkt Len Max", "Bwd Pkt Len Min", "Bwd Pkt Len Mean", "Bwd Pkt Len Std",
	"Flow Byts/s", "Flow Pkts/s", "Flow IAT Mean", "Flow IAT Std", "Flow IAT Max",
	"Flow IAT Min", "Fwd IAT Tot", "Fwd IAT Mean", "Fwd IAT Std", "Fwd IAT Max", "Fwd IAT Min",
	"Bwd IAT Tot", "Bwd IAT Mean", "Bwd IAT Std", "Bwd IAT Max", "Bwd IAT Min",
	"Fwd PSH Flags", "Bwd PSH Flags", "Fwd URG Flags", "Bwd URG Flags", "Fwd Header Len",
	"Bwd Header Len", "Fwd Pkts/s", "Bwd Pkts/s", "Pkt Len Min", "Pkt Len Max", "Pkt Len Mean",
	"Pkt Len Std", "Pkt Len Var", "FIN Flag Cnt", "SYN Flag Cnt", "RST Flag Cnt", "PSH Flag Cnt",
	"ACK Flag Cnt", "URG Flag Cnt", "CWE Flag Count", "ECE Flag Cnt", "Down/Up Ratio",
	"Pkt Size Avg", "Fwd Seg Size Avg", "Bwd Seg Size Avg", "Fwd Byts/b Avg", "Fwd Pkts/b Avg",
	"Fwd Blk Rate Avg", "Bwd Byts/b Avg", "Bwd Pkts/b Avg", "Bwd Blk Rate Avg",
	"Subflow Fwd Pkts", "Subflow Fwd Byts", "Subflow Bwd Pkts", "Subflow Bwd Byts",
	"Init Fwd Win Byts", "Init Bwd Win Byts", "Fwd Act Data Pkts", "Fwd Seg Size Min",
	"Active Mean", "Active Std", "Active Max", "Active Min", "Idle Mean", "Idle Std", "Idle Max",
	"Idle Min", "Label",
};

const char *cic_name(unsigned i)
{
	return i < CIC_NCOLS ? names[i] : "";
}

/* Times are unsigned offsets from the first packet; a difference is
 * taken modulo 2^64 and read as signed, so that times going backwards (or
 * crafted ones) give negative gaps, never an overflow. */
static int64_t dt(uint64_t a, uint64_t b)
{
	return (int64_t)(a - b);
}

/* Bulk detection of one direction: runs of at least 4 packets with data. */
struct bulk {
	uint64_t nbulk, pkts, bytes;
	double dur;               /* time units of the mode */
	uint64_t run_pkts, run_bytes;
	uint64_t run_start, run_last;
	bool open;
};

static void bulk_add(struct bulk *b, uint64_t t, uint32_t len, int64_t second)
{
	if (!b->open || dt(t, b->run_last) > second) {
		b->open = true;
		b->run_start = b->run_last = t;
		b->run_pkts = 1;
		b->run_bytes = len;
		return;
	}
	b->run_pkts++;
	b->run_bytes += len;
	if (b->run_pkts == 4) {
		b->nbulk++;
		b->pkts += 4;
		b->bytes += b->run_bytes;
		b->dur += (double)dt(t, b->run_start);
	} else if (b->run_pkts > 4) {
		b->pkts++;
		b->bytes += len;
		b->dur += (double)dt(t, b->run_last);
	}
	b->run_last = t;
}

struct side {
	struct st_mom len, iat, seg;
	uint64_t n, bytes, payload, hdr, psh, urg, act;
	uint64_t last;
	int64_t win_first, win_last;
	struct bulk bulk;
};

static void set(struct cic_val *v, double x)
{
	v->t = CV_NUM;
	v->v = x;
}

/* x / y, or in compat mode Java's double division (Infinity, NaN). */
static void set_div(struct cic_val *v, double x, double y, bool java)
{
	if (y != 0) set(v, x / y);
	else if (!java) set(v, 0);
	else v->t = x != 0 ? CV_INF : CV_NAN, v->v = 0;
}

/* Mean, sample std, max, min of m into v[0..3]; 0 when empty (or, with
 * nan_empty, Java's SummaryStatistics of no values: NaN). */
static void set_mom4(struct cic_val *v, const struct st_mom *m, double scale, bool nan_empty)
{
	if (m->n == 0) {
		for (int i = 0; i < 4; i++) {
			v[i].t = nan_empty ? CV_NAN : CV_NUM;
			v[i].v = 0;
		}
		return;
	}
	set(&v[0], st_mom_stat(m, ST_MEAN) / scale);
	set(&v[1], st_mom_stat(m, ST_SSTD) / scale);
	set(&v[2], m->max / scale);
	set(&v[3], m->min / scale);
}

static void set_bulk(struct cic_val *v, const struct bulk *b, double per_s, bool compat)
{
	if (compat) { /* Java long arithmetic: truncating divisions */
		set(&v[0], b->nbulk ? (double)(b->bytes / b->nbulk) : 0);
		set(&v[1], b->nbulk ? (double)(b->pkts / b->nbulk) : 0);
		set(&v[2], b->dur != 0 ? trunc((double)b->bytes / (b->dur / per_s)) : 0);
		return;
	}
	set(&v[0], b->nbulk ? (double)b->bytes / (double)b->nbulk : 0);
	set(&v[1], b->nbulk ? (double)b->pkts / (double)b->nbulk : 0);
	set(&v[2], b->dur != 0 ? (double)b->bytes / (b->dur / per_s) : 0);
}

/*
 * The times of the mode: default, ns from the flow's start; compat,
 * CICFlowMeter's integer timestamps (microseconds for IPv4, milliseconds
 * for IPv6), from the first one.
 */
static uint64_t ctime_of(uint64_t abs_ns, bool compat, bool v6)
{
	if (!compat) return abs_ns;
	return v6 ? abs_ns / 1000000u : abs_ns / 1000u;
}

void cic_compute(const struct rec_flow *f, const struct rec_elem *pk, const struct cic_cfg *cfg,
    struct cic_val v[CIC_NCOLS])
{
	bool c = cfg->compat, v6 = f->ipv == 6, tcp = f->proto == 6;
	/* units per second and per microsecond of the mode's times */
	double per_s = c ? 1e6 : 1e9, per_us = c ? 1 : 1e3;
	int64_t second = c ? 1000000 : 1000000000, dur;
	uint64_t t0, tprev = 0;
	struct side sd[2];
	struct st_mom all, iat, active, idle;
	uint64_t flags[8] = { 0 }, gaps = 0, n;
	uint32_t npk = pk ? rec_pkts_count(pk) : 0;
	uint64_t act_start = 0, act_end = 0;
	struct bulk any;
	int fwd = 0;
	struct rec_pkt p;

	for (unsigned i = CIC_FIRST_NUM; i <= CIC_LAST_NUM; i++) v[i].t = CV_EMPTY, v[i].v = 0;
	if (!pk || npk == 0) return;
	memset(sd, 0, sizeof sd);
	memset(&all, 0, sizeof all);
	memset(&iat, 0, sizeof iat);
	memset(&active, 0, sizeof active);
	memset(&idle, 0, sizeof idle);
	memset(&any, 0, sizeof any);
	sd[0].win_first = sd[1].win_first = -1;
	rec_pkt_get(pk, 0, &p);
	if (c) fwd = p.dir; /* CICFlowMeter: forward is the first packet's source */
	t0 = ctime_of(f->first_ns + p.t_ns, c, v6);
	for (uint32_t i = 0; i < npk; i++) {
		uint64_t t;
		struct side *s;
		uint32_t len, hdr;
		uint16_t fl, win;

		if (i) rec_pkt_get(pk, i, &p);
		t = ctime_of(f->first_ns + p.t_ns, c, v6) - t0;
		s = &sd[p.dir != fwd];
		/* IPv6 packets carry no TCP flags or window in compat mode */
		fl = c && v6 ? 0 : p.tcp_flags;
		win = c && v6 ? 0 : p.window;
		/* header bytes: transport (compat) or IP and transport; a length
		 * below the payload's (damaged input) counts 0 */
		len = c ? p.l4_len : p.ip_len;
		hdr = len >= p.payload_len ? len - p.payload_len : 0;
		len = c ? p.payload_len : p.ip_len;
		st_mom_add(&all, len);
		if (c && i == 0) st_mom_add(&all, len); /* the first packet twice */
		st_mom_add(&s->len, len);
		st_mom_add(&s->seg, c ? hdr : p.payload_len);
		if (s->n) st_mom_add(&s->iat, (double)dt(t, s->last));
		if (i) {
			st_mom_add(&iat, (double)dt(t, tprev));
			if (dt(t, tprev) > second) gaps++;
		}
		s->last = t;
		s->n++;
		s->bytes += p.ip_len;
		s->payload += p.payload_len;
		s->hdr += hdr;
		if (!c || i == 0) { /* compat: PSH and URG of the first packet only */
			if (fl & 0x08) s->psh++;
			if (fl & 0x20) s->urg++;
		}
		if (p.payload_len && (!c || i)) s->act++;
		for (int b = 0; b < 8; b++)
			if (fl & (1u << b)) flags[b]++;
		if (tcp && s->win_first < 0) s->win_first = win;
		if (tcp) s->win_last = win;
		if (p.payload_len) {
			if (c) {
				bulk_add(&any, t, p.payload_len, second);
			} else {
				/* data the other way ends this direction's run */
				sd[p.dir == fwd].bulk.open = false;
				bulk_add(&s->bulk, t, p.payload_len, second);
			}
		}
		/* active and idle periods */
		if (i == 0) {
			act_start = act_end = t;
		} else if (!c) {
			if (dt(t, tprev) > (int64_t)cfg->idle_ns) {
				st_mom_add(&active, (double)dt(act_end, act_start));
				st_mom_add(&idle, (double)dt(t, act_end));
				act_start = t;
			}
			act_end = t;
		} else if (dt(t, tprev) > second) { /* compat: looked at after a 1 s gap only */
			if (dt(t, act_end) > (int64_t)cfg->activity_us) {
				if (dt(act_end, act_start) > 0)
					st_mom_add(&active, (double)dt(act_end, act_start));
				st_mom_add(&idle, (double)dt(t, act_end));
				act_start = act_end = t;
			} else {
				act_end = t;
			}
		}
		tprev = t;
	}
	if (!c) {
		st_mom_add(&active, (double)dt(act_end, act_start));
	} else {
		if (dt(act_end, act_start) > 0) st_mom_add(&active, (double)dt(act_end, act_start));
		if (f->end_reason != END_FIN && dt(cfg->flow_timeout_us, act_end) > 0)
			st_mom_add(&idle, (double)dt(cfg->flow_timeout_us, act_end));
	}

	n = sd[0].n + sd[1].n;
	/* compat: the last packet's time minus the first's, in its units */
	dur = c ? dt(tprev, 0) : dt(f->last_ns, f->first_ns);
	set(&v[7], (double)dur / per_us);
	set(&v[8], (double)sd[0].n);
	set(&v[9], (double)sd[1].n);
	set(&v[10], c ? (double)sd[0].payload : (double)sd[0].bytes);
	set(&v[11], c ? (double)sd[1].payload : (double)sd[1].bytes);
	for (int d = 0; d < 2; d++) {
		struct st_mom *m = &sd[d].len;
		struct cic_val *o = &v[12 + 4 * d];

		set(&o[0], m->n ? m->max : 0);
		set(&o[1], m->n ? m->min : 0);
		set(&o[2], st_mom_stat(m, ST_MEAN));
		set(&o[3], st_mom_stat(m, ST_SSTD));
	}
	set_div(&v[20], c ? (double)(sd[0].payload + sd[1].payload) : (double)(sd[0].bytes + sd[1].bytes),
	    (double)dur / per_s, c);
	set_div(&v[21], (double)n, (double)dur / per_s, c);
	set_mom4(&v[22], &iat, per_us, c);
	for (int d = 0; d < 2; d++) {
		struct cic_val *o = &v[26 + 5 * d];

		if (sd[d].n > 1) {
			set(&o[0], sd[d].iat.sum / per_us);
			set_mom4(&o[1], &sd[d].iat, per_us, false);
		} else {
			for (int k = 0; k < 5; k++) set(&o[k], 0);
		}
	}
	set(&v[36], (double)sd[0].psh);
	set(&v[37], (double)sd[1].psh);
	set(&v[38], (double)sd[0].urg);
	set(&v[39], (double)sd[1].urg);
	set(&v[40], (double)sd[0].hdr);
	set(&v[41], (double)sd[1].hdr);
	set(&v[42], dur > 0 ? (double)sd[0].n / ((double)dur / per_s) : 0);
	set(&v[43], dur > 0 ? (double)sd[1].n / ((double)dur / per_s) : 0);
	set(&v[44], all.min);
	set(&v[45], all.max);
	set(&v[46], st_mom_stat(&all, ST_MEAN));
	set(&v[47], st_mom_stat(&all, ST_SSTD));
	set(&v[48], st_mom_stat(&all, ST_SVAR));
	{
		static const int order[8] = { 0, 1, 2, 3, 4, 5, 7, 6 }; /* FIN .. URG, CWR, ECE */

		for (int k = 0; k < 8; k++) set(&v[49 + k], (double)flags[order[k]]);
	}
	if (sd[0].n == 0) set(&v[57], 0);
	else if (c) set(&v[57], (double)(sd[1].n / sd[0].n));
	else set(&v[57], (double)sd[1].n / (double)sd[0].n);
	set(&v[58], all.sum / (double)n);
	set(&v[59], sd[0].n ? (double)sd[0].payload / (double)sd[0].n : 0);
	set(&v[60], sd[1].n ? (double)sd[1].payload / (double)sd[1].n : 0);
	if (c) {
		struct bulk none;

		memset(&none, 0, sizeof none);
		set_bulk(&v[61], &none, per_s, c);
		set_bulk(&v[64], &any, per_s, c);
	} else {
		set_bulk(&v[61], &sd[0].bulk, per_s, c);
		set_bulk(&v[64], &sd[1].bulk, per_s, c);
	}
	for (int d = 0; d < 2; d++) {
		uint64_t bytes = c ? sd[d].payload : sd[d].bytes;

		if (c) {
			set(&v[67 + 2 * d], gaps ? (double)(sd[d].n / gaps) : 0);
			set(&v[68 + 2 * d], gaps ? (double)(bytes / gaps) : 0);
		} else {
			set(&v[67 + 2 * d], (double)sd[d].n / (double)(gaps + 1));
			set(&v[68 + 2 * d], (double)bytes / (double)(gaps + 1));
		}
	}
	if (c) {
		set(&v[71], tcp && sd[0].win_first >= 0 ? (double)sd[0].win_first : 0);
		set(&v[72], tcp && sd[1].n ? (double)sd[1].win_last : 0);
	} else {
		if (sd[0].win_first >= 0) set(&v[71], (double)sd[0].win_first);
		if (sd[1].win_first >= 0) set(&v[72], (double)sd[1].win_first);
	}
	set(&v[73], (double)sd[0].act);
	set(&v[74], sd[0].n ? sd[0].seg.min : 0);
	set_mom4(&v[75], &active, per_us, false);
	set_mom4(&v[79], &idle, per_us, false);
}

int cic_timestamp(uint64_t ns, bool compat, char out[40])
{
	time_t t = (time_t)(ns / 1000000000u);
	uint64_t frac = ns % 1000000000u;
	struct tm tm;
	int n, h;

	if (!gmtime_r(&t, &tm)) {
		out[0] = 0;
		return 0;
	}
	if (compat) {
		h = tm.tm_hour % 12;
		return snprintf(out, 40, "%02d/%02d/%04d %02d:%02d:%02d %s", tm.tm_mday, tm.tm_mon + 1,
		    tm.tm_year + 1900, h ? h : 12, tm.tm_min, tm.tm_sec, tm.tm_hour < 12 ? "AM" : "PM");
	}
	n = snprintf(out, 40, "%04d-%02d-%02d %02d:%02d:%02d", tm.tm_year + 1900, tm.tm_mon + 1,
	    tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
	if (frac % 1000u == 0)
		n += snprintf(out + n, (size_t)(40 - n), ".%06llu", (unsigned long long)(frac / 1000u));
	else
		n += snprintf(out + n, (size_t)(40 - n), ".%09llu", (unsigned long long)frac);
	return n;
}
