/*
 * sink.c - shared parts of the data set sinks (sink.h).
 */
#include "sink.h"

#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "bytes.h"
#include "msg.h"
#include "out.h"

char *sink_path(const char *prefix, const char *part, const char *what)
{
	size_t n = strlen(prefix) + (part ? strlen(part) + 1 : 0) + strlen(what) + 2;
	char *p = xmalloc(n);

	if (part) snprintf(p, n, "%s-%s-%s", prefix, part, what);
	else snprintf(p, n, "%s-%s", prefix, what);
	return p;
}

void sink_load_classes(struct label_classes *t, const char *path, enum label_cols cols)
{
	char err[LABEL_ERRLEN];

	if (label_classes_load(t, path, cols, err, sizeof err) < 0) msg_die(EXIT_DATA, "%s", err);
}

char *sink_begin(const char *prefix, const char *classfile, bool append, struct label_classes *t,
    bool *had_txt)
{
	char *p = sink_path(prefix, NULL, "lock");
	struct stat sb;

	*had_txt = false;
	if (append && out_lock(p) < 0) msg_die(EXIT_DATA, "%s: not written", prefix);
	free(p);
	p = sink_path(prefix, NULL, "classes.txt");
	if (classfile) {
		sink_load_classes(t, classfile, LABEL_NAME_ID);
		t->fixed = true;
	} else if (append && stat(p, &sb) == 0) {
		if (sb.st_size > 0) sink_load_classes(t, p, LABEL_ID_NAME);
		*had_txt = true;
	}
	return p;
}

uint8_t sink_class_of(struct label_classes *t, const struct rec_flow *f, uint64_t *unlabeled,
    uint64_t *unknown)
{
	const struct rec_elem *e = rec_find(f, RE_LABEL);
	char err[LABEL_ERRLEN];
	int id;

	if (e == NULL) {
		(*unlabeled)++;
		return LABEL_UNKNOWN;
	}
	id = label_class_id(t, e->val, e->len, err, sizeof err);
	if (id < 0) msg_die(EXIT_DATA, "%s; give a class file (-c)", err);
	if (id == (int)LABEL_UNKNOWN) (*unknown)++;
	return (uint8_t)id;
}

const char *sink_class_name(const struct label_classes *t, unsigned id)
{
	const char *nm;

	if (id == LABEL_UNKNOWN) return "(unknown)";
	nm = label_class_name(t, id);
	return nm ? nm : "";
}

void sink_class_stats(FILE *fp, const struct label_classes *t, const uint64_t per_class[256])
{
	unsigned i;

	for (i = 0; i < 256; i++) {
		const char *nm = sink_class_name(t, i);

		if (per_class[i] == 0) continue;
		fprintf(fp, "class %u %llu ", i, (unsigned long long)per_class[i]);
		label_put_field(fp, nm, strlen(nm));
		putc('\n', fp);
	}
}

void sink_warn_gaps(const struct ds *sel, const struct ds_config *c, const struct label_classes *t,
    const char *what)
{
	unsigned pos = 0, part;
	uint64_t others;
	uint8_t k;

	while (ds_next_gap(sel, &pos, &part, &k, &others))
		msg_warn("part %s has no %s of class %u %s (%llu in the other parts)", c->part_name[part],
		    what, k, sink_class_name(t, k), (unsigned long long)others);
}
