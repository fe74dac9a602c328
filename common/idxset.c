/*
 * idxset.c - an IDX data set built from flow records (idxset.h).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "audit.h"
#include "bytes.h"
#include "idx.h"
#include "idxset.h"
#include "label.h"
#include "msg.h"
#include "out.h"
#include "pic.h"
#include "sink.h"

struct part {
	const char *name;  /* NULL without a split: PREFIX-images-idx3-ubyte */
	struct idx_writer img, lab;
	uint64_t new_n;    /* images this run wrote to the part */
};

struct idxset {
	struct idxset_config c;
	struct ds *sel;
	struct label_classes classes; /* names (several may share an id in a class file) */
	char *cls_path;               /* PREFIX-classes.txt */
	struct part parts[DS_MAX_PARTS];
	unsigned nparts;
	uint32_t il;                  /* bytes of an image */
	uint8_t *image;
	struct buf ses;
	struct idxset_stats st;
	uint8_t *pv_img[256];         /* the preview's first images of each class */
	unsigned pv_n[256];
	struct audit *audit;          /* or NULL */
	bool linktype_known;          /* the audit's link type was taken from a flow */
};

static void hook(const struct idxset *s, const char *where)
{
	if (s->c.hook) s->c.hook(where);
}

/* remember_images: note the images already in an appended part, so that
 * the split keeps new copies of them on the same side. */
static void remember_images(struct idxset *s, const char *path, const struct idx_info *inf,
    unsigned part)
{
	FILE *fp = fopen(path, "rb");
	uint8_t *im = xmalloc(inf->item);
	uint32_t k;

	if (fp == NULL || fseek(fp, (long)inf->hdr, SEEK_SET) != 0)
		msg_die(EXIT_DATA, "%s: %s", path, strerror(errno));
	for (k = 0; k < inf->dim[0]; k++) {
		if (fread(im, 1, inf->item, fp) != inf->item)
			msg_die(EXIT_DATA, "%s: read error", path);
		ds_note_old_item(s->sel, part, im);
	}
	fclose(fp);
	free(im);
}

/* count_labels: add the labels already in an appended file to the
 * per-class totals that the class cap and the empty-part warning look at. */
static void count_labels(struct idxset *s, const char *path, const struct idx_info *inf,
    unsigned part)
{
	FILE *fp = fopen(path, "rb");
	uint32_t k;
	int ch;

	if (fp == NULL || fseek(fp, (long)inf->hdr, SEEK_SET) != 0)
		msg_die(EXIT_DATA, "%s: %s", path, strerror(errno));
	for (k = 0; k < inf->dim[0]; k++) {
		if ((ch = getc(fp)) == EOF) msg_die(EXIT_DATA, "%s: read error", path);
		ds_note_old_label(s->sel, part, (uint8_t)ch);
	}
	fclose(fp);
}

/* check_old: appending, the old pair of a part: 0 when it exists (ii and
 * li filled), -1 when neither file does; exits on anything else. */
static int check_old(const struct idxset *s, const char *ip, const char *lp, struct idx_info *ii,
    struct idx_info *li)
{
	char e1[256], e2[256];
	int ri, rl, ei, el;

	ri = idx_read_info(ip, 3, ii, e1, sizeof e1);
	ei = ri < 0 ? errno : 0;
	rl = idx_read_info(lp, 1, li, e2, sizeof e2);
	el = rl < 0 ? errno : 0;
	if (ri < 0 && ei != ENOENT) msg_die(EXIT_DATA, "%s: %s", ip, e1);
	if (rl < 0 && el != ENOENT) msg_die(EXIT_DATA, "%s: %s", lp, e2);
	if ((ri == 0) != (rl == 0))
		msg_die(EXIT_DATA, "%s: exists without %s; not appending to half a data set",
		    ri == 0 ? ip : lp, ri == 0 ? lp : ip);
	if (ri == 0 && ii->dim[0] != li->dim[0])
		msg_die(EXIT_DATA, "%s holds %lu images but %s %lu labels: an earlier run "
		    "was interrupted between its renames; rebuild the data set",
		    ip, (unsigned long)ii->dim[0], lp, (unsigned long)li->dim[0]);
	if (ri == 0 && (ii->dim[1] != s->c.rows || ii->dim[2] != s->c.cols))
		msg_die(EXIT_DATA, "%s: images are %lux%lu, not %lux%lu", ip,
		    (unsigned long)ii->dim[1], (unsigned long)ii->dim[2],
		    (unsigned long)s->c.rows, (unsigned long)s->c.cols);
	return ri;
}

/* Open the writers of every part; appending, copy the old items first.
 * True when some part had old files. */
static bool open_parts(struct idxset *s)
{
	bool appended = false;
	unsigned i;

	for (i = 0; i < s->nparts; i++) {
		struct part *p = &s->parts[i];
		char *ip = sink_path(s->c.prefix, p->name, "images-idx3-ubyte");
		char *lp = sink_path(s->c.prefix, p->name, "labels-idx1-ubyte");
		struct idx_info ii, li;
		int old = s->c.append ? check_old(s, ip, lp, &ii, &li) : -1;

		if (idx_create(&p->img, ip, 3, s->c.rows, s->c.cols) < 0 ||
		    idx_create(&p->lab, lp, 1, 0, 0) < 0)
			msg_die(EXIT_DATA, "cannot write the data set");
		if (old == 0) {
			if (idx_copy_from(&p->img, ip) < 0 || idx_copy_from(&p->lab, lp) < 0)
				msg_die(EXIT_DATA, "cannot append to %s", s->c.prefix);
			if (s->nparts > 1) remember_images(s, ip, &ii, i);
			count_labels(s, lp, &li, i);
			appended = true;
		}
		free(ip);
		free(lp);
	}
	return appended;
}

/* The audit of the images c describes. */
static struct audit *au_new_for(const struct idxset_config *c)
{
	struct au_config ac;
	unsigned i;

	memset(&ac, 0, sizeof ac);
	ac.rows = c->rows;
	ac.cols = c->cols;
	ac.nparts = c->sel.nparts > 1 ? c->sel.nparts : 1;
	for (i = 0; c->sel.nparts > 1 && i < c->sel.nparts; i++) ac.part_name[i] = c->sel.part_name[i];
	ac.layer = c->ses.layer;
	ac.framing = c->ses.framing;
	ac.trailer = c->ses.trailer;
	ac.linktype = PKT_LT_EN10MB;
	ac.threshold = c->audit_threshold;
	ac.mask = c->ses.mask;
	return au_new(&ac);
}

struct idxset *idxset_open(const struct idxset_config *c)
{
	struct idxset *s = xcalloc(1, sizeof *s);
	struct ds_config *dc = &s->c.sel;
	bool had_txt = false;

	s->c = *c;
	s->il = c->rows * c->cols;
	for (s->nparts = 0; s->nparts < dc->nparts; s->nparts++)
		s->parts[s->nparts].name = dc->part_name[s->nparts];
	if (s->nparts == 0) s->nparts = 1;
	s->c.ses.want = s->il;
	dc->item_len = s->il;
	/* Without a cap nothing is left out, and nothing need be held. */
	if (dc->max_per_class == 0) dc->cap = DS_CAP_FIRST;

	s->cls_path = sink_begin(c->prefix, c->classes, c->append, &s->classes, &had_txt);
	s->sel = ds_new(dc);
	if (open_parts(s) && !c->classes && !had_txt)
		msg_die(EXIT_DATA, "%s: missing; without it or -c the class ids of the files "
		    "appended to are unknown", s->cls_path);
	s->image = xmalloc(s->il);
	if (c->audit) s->audit = au_new_for(c);
	return s;
}

const struct idxset_stats *idxset_stats(const struct idxset *s)
{
	return &s->st;
}

/* emit: write one image to its part (or the part of an identical one);
 * f is its flow, or NULL when the cap held it. */
static void emit(struct idxset *s, const uint8_t *image, unsigned part, uint8_t cls, uint64_t len,
    bool short_store, const struct rec_flow *f)
{
	unsigned p = ds_place(s->sel, image, part, cls);
	struct idxset_stats *st = &s->st;

	if (s->audit) {
		struct au_origin o = { p, s->parts[p].img.n, NULL, 0, 0 };
		const struct rec_elem *src = f ? rec_find(f, RE_SOURCE) : NULL;

		if (src) rec_source_get(src, &o.first_pkt, &o.src, &o.srclen);
		au_add(s->audit, image, cls, &o);
	}

	if (idx_put(&s->parts[p].img, image) < 0 || idx_put(&s->parts[p].lab, &cls) < 0)
		msg_die(EXIT_DATA, "giving up: nothing was changed at %s", s->c.prefix);
	s->parts[p].new_n++;
	if (++st->written == 1000) hook(s, "midway");
	st->per_class[cls]++;
	st->orig_sum += len;
	if (short_store) st->short_store++;
	if (len > s->il) st->truncated++;
	else if (len < s->il) st->padded++;
	else st->full++;
	if (s->c.preview && s->pv_n[cls] < IDXSET_PREVIEW_PER_CLASS) {
		if (s->pv_img[cls] == NULL) s->pv_img[cls] = xmalloc((size_t)s->il * IDXSET_PREVIEW_PER_CLASS);
		memcpy(s->pv_img[cls] + (size_t)s->il * s->pv_n[cls]++, image, s->il);
	}
}

void idxset_take(struct idxset *s, const struct rec_flow *f)
{
	struct idxset_stats *st = &s->st;
	uint32_t il = s->il, len;
	struct buf *b = &s->ses;
	struct ses_info si;
	unsigned part;
	uint8_t cls;

	st->read++;
	cls = sink_class_of(&s->classes, f, &st->unlabeled, &st->unknown);
	if (ds_sampled(s->sel, f)) return;
	buf_reset(b);
	switch (ses_build(&s->c.ses, f, b, &si)) {
	case SES_E_NETSTORE:
		msg_die(EXIT_DATA, "the stream holds packet bytes from the network layer; "
		    "--layer link and --pcap-framing need pcap-flows --link");
	case SES_NOBYTES:
		st->nobytes++;
		break;
	case SES_PROTO:
		st->other_proto++;
		return;
	}
	if (s->audit && !s->linktype_known && s->c.ses.layer == SES_LINK) {
		const struct rec_elem *e = rec_find(f, RE_PKTBYTES);
		struct rec_pb_iter pit;
		struct rec_pb pb;
		uint32_t count;
		uint8_t layer;

		if (e) {
			rec_pb_begin(e, &layer, &count, &pit);
			if (rec_pb_next(&pit, &pb)) {
				au_set_linktype(s->audit, pb.linktype);
				s->linktype_known = true;
			}
		}
	}
	st->payload_dropped += si.payload_dropped;
	len = (uint32_t)b->len;
	if (len == 0) {
		st->empty++;
		return;
	}
	if (ds_is_dup(s->sel, f, b->p, len)) return;
	if (s->c.sel.cap == DS_CAP_FIRST && ds_cap_full(s->sel, cls)) return;
	if (len < il && s->c.short_drop) {
		st->dropped_short++;
		return;
	}
	if (len > il && s->c.long_drop) {
		st->dropped_long++;
		return;
	}
	if (len >= il) {
		memcpy(s->image, b->p, il);
	} else {
		memcpy(s->image, b->p, len);
		memset(s->image + len, s->c.pad, il - len);
	}
	part = ds_part_pick(s->sel, f);
	if (s->c.sel.cap == DS_CAP_LARGEST) ds_offer(s->sel, cls, len, si.short_store, part, s->image);
	else emit(s, s->image, part, cls, len, si.short_store, f);
}

void idxset_write_stats(const struct idxset *s, FILE *fp)
{
	const struct ds_stats *ds = ds_stats(s->sel);
	const struct idxset_stats *st = &s->st;
	const struct idxset_config *c = &s->c;
	unsigned i;

	fprintf(fp, "sessions read %llu\n", (unsigned long long)st->read);
	fprintf(fp, "sessions written %llu\n", (unsigned long long)st->written);
	fprintf(fp, "empty %llu\n", (unsigned long long)st->empty);
	fprintf(fp, "duplicates removed %llu\n", (unsigned long long)ds->dups);
	fprintf(fp, "over class cap %llu\n", (unsigned long long)ds->capped);
	fprintf(fp, "dropped short %llu\n", (unsigned long long)st->dropped_short);
	fprintf(fp, "dropped long %llu\n", (unsigned long long)st->dropped_long);
	if (c->sel.sample > 0 && c->sel.sample < 1)
		fprintf(fp, "sampled out %llu\n", (unsigned long long)ds->sampled_out);
	if (c->ses.tcp_udp_only)
		fprintf(fp, "not TCP or UDP %llu\n", (unsigned long long)st->other_proto);
	if (c->ses.min_payload > 1)
		fprintf(fp, "payloads under %lu bytes left out %llu\n", (unsigned long)c->ses.min_payload,
		    (unsigned long long)st->payload_dropped);
	fprintf(fp, "without label %llu\n", (unsigned long long)st->unlabeled);
	fprintf(fp, "unknown label %llu\n", (unsigned long long)st->unknown);
	fprintf(fp, "short store %llu\n", (unsigned long long)st->short_store);
	fprintf(fp, "truncated %llu\n", (unsigned long long)st->truncated);
	fprintf(fp, "padded %llu\n", (unsigned long long)st->padded);
	fprintf(fp, "used full length %llu\n", (unsigned long long)st->full);
	fprintf(fp, "average original length %.2f\n",
	    st->written ? (double)st->orig_sum / (double)st->written : 0.0);
	if (s->nparts > 1) {
		fprintf(fp, "moved to keep identical images together %llu\n", (unsigned long long)ds->moved);
		for (i = 0; i < s->nparts; i++)
			fprintf(fp, "part %s %llu\n", s->parts[i].name, (unsigned long long)s->parts[i].new_n);
	}
	sink_class_stats(fp, &s->classes, st->per_class);
}

/* write_preview: the contact sheet of the first images of each class. */
static void write_preview(struct idxset *s, struct out_file *o)
{
	const uint8_t *rowsv[256];
	char *labels[256];
	unsigned counts[256], k, nr = 0;

	for (k = 0; k < 256; k++)
		if (s->pv_n[k]) {
			const char *nm = sink_class_name(&s->classes, k);

			labels[nr] = xmalloc(strlen(nm) + 8);
			sprintf(labels[nr], "%u %s", k, nm);
			counts[nr] = s->pv_n[k];
			rowsv[nr++] = s->pv_img[k];
		}
	if (out_open(o, s->c.preview) < 0 ||
	    pic_contact_sheet(o, rowsv, (const char *const *)labels, counts, nr,
	    IDXSET_PREVIEW_PER_CLASS, s->c.rows, s->c.cols) < 0)
		msg_die(EXIT_DATA, "%s: not written", s->c.prefix);
	for (k = 0; k < nr; k++) free(labels[k]);
	for (k = 0; k < 256; k++) free(s->pv_img[k]);
}

/* commit: finish everything, then rename: labels last, so that a reader
 * that finds matching counts finds a complete pair.  Returns the status. */
static int commit(struct idxset *s)
{
	const struct idxset_config *c = &s->c;
	const char *prefix = c->prefix;
	struct out_file cls_out, stats_out, pv_out;
	int status = EXIT_OK;
	unsigned i;

	if (out_open(&cls_out, s->cls_path) < 0) msg_die(EXIT_DATA, "%s: not written", prefix);
	if (label_classes_write(&s->classes, cls_out.fp) < 0 || fflush(cls_out.fp) != 0 ||
	    ferror(cls_out.fp))
		msg_die(EXIT_DATA, "%s: write error: %s", s->cls_path, strerror(errno));
	if (c->stats) {
		if (out_open(&stats_out, c->stats) < 0) msg_die(EXIT_DATA, "%s: not written", prefix);
		idxset_write_stats(s, stats_out.fp);
		if (fflush(stats_out.fp) != 0 || ferror(stats_out.fp))
			msg_die(EXIT_DATA, "%s: write error: %s", c->stats, strerror(errno));
	}
	if (c->preview) write_preview(s, &pv_out);
	for (i = 0; i < s->nparts; i++)
		if (idx_finish(&s->parts[i].img) < 0 || idx_finish(&s->parts[i].lab) < 0)
			msg_die(EXIT_DATA, "%s: not written", prefix);
	/* Everything on the disk before the first rename. */
	if (out_finish(&cls_out) < 0 || (c->stats && out_finish(&stats_out) < 0) ||
	    (c->preview && out_finish(&pv_out) < 0))
		msg_die(EXIT_DATA, "%s: not written", prefix);
	hook(s, "before-rename");
	if (out_commit(&cls_out) < 0) msg_die(EXIT_DATA, "%s: not written", prefix);
	for (i = 0; i < s->nparts; i++) {
		if (idx_commit(&s->parts[i].img) < 0) msg_die(EXIT_DATA, "%s: not written", prefix);
		hook(s, "between-renames");
		if (idx_commit(&s->parts[i].lab) < 0)
			msg_die(EXIT_DATA, "%s: labels not renamed: the images are new and the labels "
			    "old; rebuild the data set", prefix);
	}
	if (c->preview && out_commit(&pv_out) < 0) status = EXIT_DATA;
	if (c->stats) {
		if (out_commit(&stats_out) < 0) status = EXIT_DATA;
	} else if (!c->quiet) {
		idxset_write_stats(s, stderr);
	}
	return status;
}

/* audit_out: the audit's report on stderr (unless quiet) and as JSON to
 * c->audit_json (atomically).  Returns the exit status. */
static int audit_out(const struct idxset_config *c, struct audit *a, const struct label_classes *t)
{
	struct out_file o;

	if (!c->quiet) au_report(a, t, stderr, NULL);
	if (c->audit_json == NULL) return EXIT_OK;
	if (out_open(&o, c->audit_json) < 0) return EXIT_DATA;
	if (au_report(a, t, NULL, o.fp) < 0) {
		msg_warn("%s: write error: %s", c->audit_json, strerror(errno));
		out_abort(&o);
		return EXIT_DATA;
	}
	return out_commit(&o) < 0 ? EXIT_DATA : EXIT_OK;
}

int idxset_audit_files(const struct idxset_config *c)
{
	struct label_classes t;
	struct audit *a = au_new_for(c);
	char *cls = sink_path(c->prefix, NULL, "classes.txt");
	char err[512];
	struct stat sb;
	unsigned i, n = c->sel.nparts > 1 ? c->sel.nparts : 1;
	int status;

	memset(&t, 0, sizeof t);
	if (c->classes) sink_load_classes(&t, c->classes, LABEL_NAME_ID);
	else if (stat(cls, &sb) == 0 && sb.st_size > 0) sink_load_classes(&t, cls, LABEL_ID_NAME);
	for (i = 0; i < n; i++)
		if (au_read_idx(a, c->prefix, i, err, sizeof err) < 0) msg_die(EXIT_DATA, "%s", err);
	status = audit_out(c, a, &t);
	au_free(a);
	label_classes_free(&t);
	free(cls);
	return status;
}

int idxset_close(struct idxset *s, bool input_ok)
{
	int status;

	if (s->c.sel.cap == DS_CAP_LARGEST && input_ok) {
		size_t n, k;
		struct ds_held *const *h = ds_drain(s->sel, &n);

		for (k = 0; k < n; k++)
			emit(s, h[k]->item, h[k]->part, h[k]->cls, h[k]->weight, h[k]->tag, NULL);
	}
	if (s->st.read && s->st.nobytes == s->st.read)
		msg_warn("no flow carries packet bytes: run pcap-flows with --bytes N (N >= %lu)",
		    (unsigned long)s->il);
	/* A bad input leaves the data set as it was: a partial data set
	 * would look complete. */
	if (!input_ok) msg_die(EXIT_DATA, "%s: not written", s->c.prefix);
	/* A part without a class the others hold cannot evaluate it. */
	sink_warn_gaps(s->sel, &s->c.sel, &s->classes, "image");
	status = commit(s);
	if (s->audit) {
		if (audit_out(&s->c, s->audit, &s->classes) != EXIT_OK) status = EXIT_DATA;
		au_free(s->audit);
	}
	free(s->image);
	free(s->cls_path);
	label_classes_free(&s->classes);
	buf_free(&s->ses);
	ds_free(s->sel);
	free(s);
	return status;
}
