/*
 * audit.c - the leakage audit of an image data set (audit.h).
 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "audit.h"
#include "bytes.h"
#include "idx.h"
#include "pkt.h"

/* An image as the examples name it: its part and place, and the capture
 * file (an index into the names, or UINT32_MAX) and first packet. */
struct au_ref {
	uint64_t index, first_pkt;
	uint32_t src;
	uint8_t part, cls;
};

/* A distinct image. */
struct au_img {
	struct au_ref first;
	uint32_t count;
	uint16_t parts;           /* bit p: the image is in part p */
	bool conflict;            /* seen with another class than the first's */
};

/* Two images of a finding. */
struct au_ex {
	struct au_ref a, b;
};

struct au_finding {
	uint64_t n;
	struct au_ex ex[AU_MAX_EXAMPLES];
	unsigned nex;
};

struct audit {
	struct au_config c;
	uint32_t il, npos;
	uint64_t n, class_n[DS_NCLASS];
	uint32_t *cnt[DS_NCLASS];  /* npos x 256 counts of each class, or NULL */
	uint32_t *fk;              /* npos x AU_NKIND: the field each position is in */
	uint8_t *kind_at;          /* npos: the field of each position of one image */
	struct ds_sha sha;
	struct ds_set seen;        /* image digest -> index in img */
	struct au_img *img;
	size_t nimg, capimg;
	struct ds_set srcset;      /* name digest -> index in src */
	char **src;
	uint32_t *srclen;
	size_t nsrc, capsrc;
	uint64_t part_n[DS_MAX_PARTS], part_distinct[DS_MAX_PARTS];
	struct au_finding within, across, conflict;
};

struct audit *au_new(const struct au_config *c)
{
	struct audit *a = xcalloc(1, sizeof *a);

	a->c = *c;
	if (a->c.nparts == 0) a->c.nparts = 1;
	a->il = c->rows * c->cols;
	a->npos = a->il < AU_MAX_POS ? a->il : AU_MAX_POS;
	a->fk = xcalloc((size_t)a->npos * AU_NKIND, sizeof *a->fk);
	a->kind_at = xmalloc(a->npos ? a->npos : 1);
	ds_sha_new(&a->sha);
	return a;
}

void au_free(struct audit *a)
{
	unsigned k;

	if (a == NULL) return;
	for (k = 0; k < DS_NCLASS; k++) free(a->cnt[k]);
	for (size_t i = 0; i < a->nsrc; i++) free(a->src[i]);
	free(a->src);
	free(a->srclen);
	free(a->fk);
	free(a->kind_at);
	free(a->img);
	ds_set_free(&a->seen);
	ds_set_free(&a->srcset);
	ds_sha_free(&a->sha);
	free(a);
}

void au_set_linktype(struct audit *a, uint32_t lt) { a->c.linktype = lt; }

/* ---- which field each position holds ---- */

/* Note the fields of t (located in the bytes at base) in kind_at. */
static void mark(struct audit *a, uint32_t base, const struct pkt_ftab *t)
{
	for (uint32_t i = 0; i < t->n; i++) {
		const struct pkt_fpos *f = &t->f[i];

		for (uint32_t b = 0; b < f->have; b++) {
			uint64_t pos = (uint64_t)base + f->off + b;

			if (pos < a->npos && a->kind_at[pos] == 0) a->kind_at[pos] = f->kind;
		}
	}
}

/* One packet at o (at most left bytes of the image): its fields; returns
 * the bytes it takes (link header and IP datagram), 0 when unknown. */
static uint32_t locate_one(struct audit *a, const uint8_t *p, uint32_t o, uint32_t left, bool ip)
{
	struct pkt_info pi;
	struct pkt_ftab t;
	uint32_t net, len;

	memset(&pi, 0, sizeof pi);
	if (ip) pkt_decode_ip(p, left, UINT32_MAX, &pi);
	else pkt_decode(a->c.linktype, p, left, UINT32_MAX, &pi);
	pkt_locate(&pi, p, 1, &t);
	mark(a, o, &t);
	if (!(pi.layers & (PKT_L_NET | PKT_L_IPCUT))) return 0;
	net = pi.net_off;
	if (net >= left) return 0;
	len = ses_ip_len(p + net, left - net);
	return len < 20 ? 0 : net + len;
}

/* Read the image back into its packets as the session was built
 * (session.h): back to back, each as long as its IP length says; with
 * the pcap framing, as its record header says. */
static void locate_image(struct audit *a, const uint8_t *img)
{
	uint32_t n = a->il, o = 0, len;

	memset(a->kind_at, 0, a->npos);
	if (a->c.layer == SES_PAYLOAD) return;
	if (a->c.framing) {
		for (o = 24; o < n; o += len) {
			uint32_t incl;

			for (uint32_t b = 0; b < 8 && o + b < a->npos; b++) a->kind_at[o + b] = AU_K_PCAPTS;
			if (n - o < 16) return;
			incl = be32(img + o + 8);
			o += 16;
			if (o >= n) return;
			len = n - o;
			locate_one(a, img + o, o, incl < len ? incl : len, false);
			if (incl >= len) return;
			len = incl;
		}
		return;
	}
	while (o < n) {
		const uint8_t *p = img + o;

		if (a->c.layer == SES_NETWORK && p[0] >> 4 != 4 && p[0] >> 4 != 6) return;
		len = locate_one(a, p, o, n - o, a->c.layer == SES_NETWORK);
		/* The bytes after a datagram (a trailer) have no length field:
		 * the next packet's start is unknown. */
		if (len == 0 || a->c.trailer || len >= n - o) return;
		o += len;
	}
}

/* ---- duplicates ---- */

static uint32_t src_id(struct audit *a, const struct au_origin *o)
{
	uint8_t dg[32];
	uint32_t v = (uint32_t)a->nsrc;

	if (o->src == NULL) return UINT32_MAX;
	ds_sha_begin(&a->sha);
	ds_sha_add(&a->sha, o->src, o->srclen);
	ds_sha_end(&a->sha, dg);
	if (ds_set_find_or_add(&a->srcset, dg, &v)) return v;
	if (a->nsrc == a->capsrc) {
		a->capsrc = a->capsrc ? a->capsrc * 2 : 16;
		a->src = xrealloc(a->src, a->capsrc * sizeof *a->src);
		a->srclen = xrealloc(a->srclen, a->capsrc * sizeof *a->srclen);
	}
	a->src[a->nsrc] = xmalloc(o->srclen + 1);
	memcpy(a->src[a->nsrc], o->src, o->srclen);
	a->src[a->nsrc][o->srclen] = '\0';
	a->srclen[a->nsrc] = o->srclen;
	return (uint32_t)a->nsrc++;
}

static void finding(struct au_finding *f, const struct au_ref *x, const struct au_ref *y)
{
	f->n++;
	if (f->nex < AU_MAX_EXAMPLES) {
		f->ex[f->nex].a = *x;
		f->ex[f->nex].b = *y;
		f->nex++;
	}
}

static void dups(struct audit *a, const uint8_t *image, const struct au_ref *r)
{
	uint8_t dg[32];
	uint32_t v = (uint32_t)a->nimg;
	struct au_img *e;
	uint16_t bit = (uint16_t)(1u << r->part);

	ds_sha_begin(&a->sha);
	ds_sha_add(&a->sha, image, a->il);
	ds_sha_end(&a->sha, dg);
	if (!ds_set_find_or_add(&a->seen, dg, &v)) {
		if (a->nimg == a->capimg) {
			a->capimg = a->capimg ? a->capimg * 2 : 1024;
			a->img = xrealloc(a->img, a->capimg * sizeof *a->img);
		}
		e = &a->img[a->nimg++];
		e->first = *r;
		e->count = 1;
		e->parts = bit;
		e->conflict = false;
		a->part_distinct[r->part]++;
		return;
	}
	e = &a->img[v];
	e->count++;
	if (e->parts & bit) {
		finding(&a->within, &e->first, r);
	} else {
		/* Counted once per image, when it reaches its second part. */
		if ((e->parts & (e->parts - 1)) == 0) finding(&a->across, &e->first, r);
		e->parts |= bit;
		a->part_distinct[r->part]++;
	}
	if (r->cls != e->first.cls && !e->conflict) {
		e->conflict = true;
		finding(&a->conflict, &e->first, r);
	}
}

void au_add(struct audit *a, const uint8_t *image, uint8_t cls, const struct au_origin *o)
{
	struct au_ref r;
	uint32_t *c;

	r.index = o->index;
	r.first_pkt = o->first_pkt;
	r.src = src_id(a, o);
	r.part = (uint8_t)(o->part < a->c.nparts ? o->part : 0);
	r.cls = cls;
	a->n++;
	a->class_n[cls]++;
	a->part_n[r.part]++;
	if (a->cnt[cls] == NULL) a->cnt[cls] = xcalloc((size_t)a->npos * 256, sizeof *a->cnt[cls]);
	c = a->cnt[cls];
	for (uint32_t i = 0; i < a->npos; i++) c[(size_t)i * 256 + image[i]]++;
	locate_image(a, image);
	for (uint32_t i = 0; i < a->npos; i++) a->fk[(size_t)i * AU_NKIND + a->kind_at[i]]++;
	dups(a, image, &r);
}

int au_read_idx(struct audit *a, const char *prefix, unsigned part, char *err, size_t errlen)
{
	const char *name = part < a->c.nparts ? a->c.part_name[part] : NULL;
	size_t pl = strlen(prefix) + (name ? strlen(name) + 1 : 0) + 24;
	char *ip = xmalloc(pl), *lp = xmalloc(pl);
	struct idx_info ii, li;
	FILE *fi = NULL, *fl = NULL;
	uint8_t *im = xmalloc(a->il ? a->il : 1);
	char e[256];
	int rc = -1, ch;

	snprintf(ip, pl, "%s%s%s-images-idx3-ubyte", prefix, name ? "-" : "", name ? name : "");
	snprintf(lp, pl, "%s%s%s-labels-idx1-ubyte", prefix, name ? "-" : "", name ? name : "");
	if (idx_read_info(ip, 3, &ii, e, sizeof e) < 0 || idx_read_info(lp, 1, &li, e, sizeof e) < 0) {
		snprintf(err, errlen, "%s: %s", access(ip, F_OK) == 0 ? lp : ip, e);
		goto out;
	}
	if (ii.dim[1] != a->c.rows || ii.dim[2] != a->c.cols) {
		snprintf(err, errlen, "%s: images are %lux%lu, not %lux%lu", ip, (unsigned long)ii.dim[1],
		    (unsigned long)ii.dim[2], (unsigned long)a->c.rows, (unsigned long)a->c.cols);
		goto out;
	}
	if (ii.dim[0] != li.dim[0]) {
		snprintf(err, errlen, "%s holds %lu images but %s %lu labels", ip,
		    (unsigned long)ii.dim[0], lp, (unsigned long)li.dim[0]);
		goto out;
	}
	if ((fi = fopen(ip, "rb")) == NULL || (fl = fopen(lp, "rb")) == NULL ||
	    fseek(fi, (long)ii.hdr, SEEK_SET) != 0 || fseek(fl, (long)li.hdr, SEEK_SET) != 0) {
		snprintf(err, errlen, "%s: %s", fi ? lp : ip, strerror(errno));
		goto out;
	}
	for (uint32_t k = 0; k < ii.dim[0]; k++) {
		struct au_origin o = { part, k, NULL, 0, 0 };

		if (fread(im, 1, a->il, fi) != a->il || (ch = getc(fl)) == EOF) {
			snprintf(err, errlen, "%s: read error", ip);
			goto out;
		}
		au_add(a, im, (uint8_t)ch, &o);
	}
	rc = 0;
out:
	if (fi) fclose(fi);
	if (fl) fclose(fl);
	free(im);
	free(ip);
	free(lp);
	return rc;
}

/* ---- the report ---- */

struct au_pos {
	uint32_t pos, values, kind;
	double mi, mi_plugin, share;
	bool flagged;
};

/* n log2(n), 0 for 0. */
static double nlog(double n) { return n > 0 ? n * log2(n) : 0; }

/*
 * The mutual information between the byte at pos and the class, in bits:
 * the plug-in estimate H(V) + H(C) - H(V,C) from the counts, and that
 * estimate with the Miller-Madow correction of each entropy, (m - 1) /
 * (2 N ln 2) for m occupied cells.
 */
static void mi_at(const struct audit *a, uint32_t pos, struct au_pos *r)
{
	double N = (double)a->n, hv = 0, hc = 0, hvc = 0;
	uint64_t nv[256] = { 0 };
	unsigned mv = 0, mc = 0, mvc = 0, k, v;

	for (k = 0; k < DS_NCLASS; k++) {
		const uint32_t *c = a->cnt[k];

		if (c == NULL || a->class_n[k] == 0) continue;
		mc++;
		hc -= nlog((double)a->class_n[k]);
		for (v = 0; v < 256; v++) {
			uint32_t x = c[(size_t)pos * 256 + v];

			if (x == 0) continue;
			nv[v] += x;
			mvc++;
			hvc -= nlog(x);
		}
	}
	for (v = 0; v < 256; v++)
		if (nv[v]) {
			mv++;
			hv -= nlog((double)nv[v]);
		}
	/* Sum of -n log n over cells, then H = log2 N + that / N. */
	hv = log2(N) + hv / N;
	hc = log2(N) + hc / N;
	hvc = log2(N) + hvc / N;
	r->values = mv;
	r->mi_plugin = hv + hc - hvc;
	r->mi = r->mi_plugin + ((double)mv - 1 + (double)mc - 1 - ((double)mvc - 1)) / (2 * N * log(2));
	/* One value: exactly 0 either way (rounding aside). */
	if (mv <= 1) r->mi = r->mi_plugin = 0;
}

static double label_entropy(const struct audit *a)
{
	double h = 0, N = (double)a->n;

	for (unsigned k = 0; k < DS_NCLASS; k++) h -= nlog((double)a->class_n[k]);
	return a->n ? log2(N) + h / N : 0;
}

static const char *kind_name(unsigned k)
{
	if (k == AU_K_PCAPTS) return "pcapts";
	return pkt_fk_name(k);
}

/* The --mask field that removes a field kind (0: none). */
static unsigned kind_mask(unsigned k)
{
	return k == AU_K_PCAPTS ? SES_M_TS : ses_mask_bit(k);
}

static int cmp_mi(const void *x, const void *y)
{
	const struct au_pos *p = x, *q = y;

	/* Equal up to rounding: by position. */
	if (fabs(p->mi - q->mi) > 1e-9) return p->mi < q->mi ? 1 : -1;
	return p->pos < q->pos ? -1 : p->pos > q->pos;
}

static const char *part_label(const struct audit *a, unsigned p)
{
	return a->c.part_name[p] ? a->c.part_name[p] : "whole";
}

static const char *cname(const struct label_classes *t, unsigned id)
{
	const char *s;

	if (id == LABEL_UNKNOWN) return "(unknown)";
	s = t ? label_class_name(t, id) : NULL;
	return s ? s : "";
}

static void ref_text(const struct audit *a, const struct au_ref *r, FILE *fp)
{
	fprintf(fp, "part %s image %llu class %u", part_label(a, r->part), (unsigned long long)r->index,
	    r->cls);
	if (r->src != UINT32_MAX)
		fprintf(fp, " (%s, packet %llu)", a->src[r->src], (unsigned long long)r->first_pkt);
}

static json_t *ref_json(const struct audit *a, const struct au_ref *r)
{
	json_t *o = json_object();

	json_object_set_new(o, "part", a->c.part_name[r->part] ? json_string(a->c.part_name[r->part])
	    : json_null());
	json_object_set_new(o, "index", json_integer((json_int_t)r->index));
	json_object_set_new(o, "class", json_integer(r->cls));
	if (r->src != UINT32_MAX) {
		json_object_set_new(o, "source", json_stringn(a->src[r->src], a->srclen[r->src]));
		json_object_set_new(o, "first_pkt", json_integer((json_int_t)r->first_pkt));
	}
	return o;
}

static json_t *finding_json(const struct audit *a, const struct au_finding *f, const char *count)
{
	json_t *o = json_object(), *ex = json_array();

	json_object_set_new(o, count, json_integer((json_int_t)f->n));
	for (unsigned i = 0; i < f->nex; i++) {
		json_t *pair = json_array();

		json_array_append_new(pair, ref_json(a, &f->ex[i].a));
		json_array_append_new(pair, ref_json(a, &f->ex[i].b));
		json_array_append_new(ex, pair);
	}
	json_object_set_new(o, "examples", ex);
	return o;
}

static void finding_text(const struct audit *a, const struct au_finding *f, const char *what,
    FILE *fp)
{
	for (unsigned i = 0; i < f->nex; i++) {
		fprintf(fp, "audit %s: ", what);
		ref_text(a, &f->ex[i].b, fp);
		fprintf(fp, " = ");
		ref_text(a, &f->ex[i].a, fp);
		fputc('\n', fp);
	}
}

int au_report(struct audit *a, const struct label_classes *classes, FILE *human, FILE *json)
{
	struct au_pos *ps = xcalloc(a->npos ? a->npos : 1, sizeof *ps), *sorted;
	double hl = label_entropy(a), thr = a->c.threshold * hl;
	uint64_t conflict_images = 0;
	unsigned flagged = 0, mask = 0, nclass = 0, p, k;
	char masktxt[64];
	uint32_t i;

	for (size_t j = 0; j < a->nimg; j++)
		if (a->img[j].conflict) conflict_images += a->img[j].count;
	for (k = 0; k < DS_NCLASS; k++) nclass += a->class_n[k] > 0;
	for (i = 0; i < a->npos && a->n; i++) {
		struct au_pos *r = &ps[i];
		const uint32_t *f = a->fk + (size_t)i * AU_NKIND;
		unsigned best = 0;

		r->pos = i;
		mi_at(a, i, r);
		for (k = 1; k < AU_NKIND; k++)
			if (f[k] > f[best]) best = k;
		r->kind = best;
		r->share = (double)f[best] / (double)a->n;
		/* A field the images were masked with is zero where it is that
		 * field: what the position tells comes from the other images. */
		r->flagged = hl > 0 && r->mi >= thr && kind_mask(best) != 0 &&
		    !(kind_mask(best) & a->c.mask);
		if (r->flagged) {
			flagged++;
			mask |= kind_mask(best);
		}
	}
	ses_mask_list(mask, masktxt, sizeof masktxt);
	if (human) {
		fprintf(human, "audit images %llu, distinct %llu, classes %u, label entropy %.4f bits\n",
		    (unsigned long long)a->n, (unsigned long long)a->nimg, nclass, hl);
		for (p = 0; p < a->c.nparts; p++)
			fprintf(human, "audit part %s: images %llu, distinct %llu, duplicates %llu\n",
			    part_label(a, p), (unsigned long long)a->part_n[p],
			    (unsigned long long)a->part_distinct[p],
			    (unsigned long long)(a->part_n[p] - a->part_distinct[p]));
		fprintf(human, "audit duplicates within parts %llu\n", (unsigned long long)a->within.n);
		finding_text(a, &a->within, "duplicate", human);
		fprintf(human, "audit images in more than one part %llu\n", (unsigned long long)a->across.n);
		finding_text(a, &a->across, "across parts", human);
		fprintf(human, "audit identical images with conflicting labels %llu (%llu images)\n",
		    (unsigned long long)a->conflict.n, (unsigned long long)conflict_images);
		finding_text(a, &a->conflict, "conflicting labels", human);
		sorted = xmalloc((a->npos ? a->npos : 1) * sizeof *sorted);
		memcpy(sorted, ps, a->npos * sizeof *ps);
		qsort(sorted, a->npos, sizeof *sorted, cmp_mi);
		for (i = 0; i < a->npos && i < 10 && a->n; i++) {
			const struct au_pos *r = &sorted[i];

			if (r->mi <= 0) break;
			fprintf(human, "audit position %lu: mi %.4f bits (plug-in %.4f), %lu values, %s %.0f%%%s\n",
			    (unsigned long)r->pos, r->mi, r->mi_plugin, (unsigned long)r->values,
			    r->kind ? kind_name(r->kind) : "no header field", 100 * r->share,
			    r->flagged ? ": flagged" : "");
		}
		free(sorted);
		fprintf(human, "audit flagged positions %u (mi >= %.4f bits, %.2f of H(label))", flagged, thr,
		    a->c.threshold);
		if (flagged) fprintf(human, ": remove with --mask %s", masktxt);
		fputc('\n', human);
	}
	if (json) {
		json_t *o = json_object(), *parts = json_array(), *pos = json_array(), *fl = json_array();
		json_t *cls = json_array();
		int rc;

		json_object_set_new(o, "images", json_integer((json_int_t)a->n));
		json_object_set_new(o, "distinct", json_integer((json_int_t)a->nimg));
		json_object_set_new(o, "rows", json_integer(a->c.rows));
		json_object_set_new(o, "cols", json_integer(a->c.cols));
		for (k = 0; k < DS_NCLASS; k++) {
			json_t *c;

			if (a->class_n[k] == 0) continue;
			c = json_object();
			json_object_set_new(c, "id", json_integer(k));
			json_object_set_new(c, "name", json_string(cname(classes, k)));
			json_object_set_new(c, "images", json_integer((json_int_t)a->class_n[k]));
			json_array_append_new(cls, c);
		}
		json_object_set_new(o, "classes", cls);
		json_object_set_new(o, "label_entropy_bits", json_real(hl));
		for (p = 0; p < a->c.nparts; p++) {
			json_t *x = json_object();

			json_object_set_new(x, "name", a->c.part_name[p] ? json_string(a->c.part_name[p])
			    : json_null());
			json_object_set_new(x, "images", json_integer((json_int_t)a->part_n[p]));
			json_object_set_new(x, "distinct", json_integer((json_int_t)a->part_distinct[p]));
			json_object_set_new(x, "duplicates",
			    json_integer((json_int_t)(a->part_n[p] - a->part_distinct[p])));
			json_array_append_new(parts, x);
		}
		json_object_set_new(o, "parts", parts);
		json_object_set_new(o, "duplicates_within_parts", finding_json(a, &a->within, "images"));
		json_object_set_new(o, "across_parts", finding_json(a, &a->across, "images"));
		{
			json_t *c = finding_json(a, &a->conflict, "distinct");

			json_object_set_new(c, "images", json_integer((json_int_t)conflict_images));
			json_object_set_new(o, "conflicting_labels", c);
		}
		json_object_set_new(o, "threshold_fraction", json_real(a->c.threshold));
		json_object_set_new(o, "threshold_bits", json_real(thr));
		for (i = 0; i < a->npos && a->n; i++) {
			json_t *x = json_object();
			const struct au_pos *r = &ps[i];

			json_object_set_new(x, "pos", json_integer(r->pos));
			json_object_set_new(x, "mi_bits", json_real(r->mi));
			json_object_set_new(x, "mi_plugin_bits", json_real(r->mi_plugin));
			json_object_set_new(x, "values", json_integer(r->values));
			json_object_set_new(x, "field", r->kind ? json_string(kind_name(r->kind)) : json_null());
			json_object_set_new(x, "field_share", json_real(r->share));
			json_object_set_new(x, "flagged", json_boolean(r->flagged));
			json_array_append_new(pos, x);
			if (r->flagged) json_array_append_new(fl, json_integer(r->pos));
		}
		json_object_set_new(o, "positions", pos);
		json_object_set_new(o, "flagged", fl);
		json_object_set_new(o, "mask", mask ? json_string(masktxt) : json_null());
		rc = json_dumpf(o, json, JSON_INDENT(1) | JSON_REAL_PRECISION(12));
		json_decref(o);
		if (rc < 0 || fputc('\n', json) == EOF) {
			free(ps);
			return -1;
		}
	}
	free(ps);
	return (int)flagged;
}
