/*
 * label.h - labels and class tables: keyword maps (a capture's file name ->
 * a label), class files (a label -> a class id), classes.txt, and the label
 * of a capture by --label, --label-map or --label-dir.  One text grammar
 * for every file (flowkit(7), LABELS):
 *
 *   - lines of any length up to LABEL_MAX_LINE bytes, LF or CR LF;
 *   - blanks are spaces and tabs; a '#' at the start of a field starts a
 *     comment; blank and comment lines are skipped;
 *   - every other line holds exactly two fields separated by blanks; a
 *     field holds any byte but NUL, written "\xHH" (two hex digits) when
 *     it is a blank, a control byte, a backslash ("\\" also works) or a
 *     leading '#' or '%';
 *   - a line whose first field starts with a plain '%' is a directive:
 *     "%match longest" (the default) or "%match first", in keyword maps.
 *
 * A keyword map's lines are "keyword label"; a class file's "name id"; a
 * classes.txt's "id name".  Ids are 0 to LABEL_MAX_ID; LABEL_UNKNOWN is the
 * class of a label that is not in a fixed table.
 *
 * Functions that can fail return -1 and write "FILE: line N: why" (or
 * "FILE: why") into err[errlen]; they print nothing and never exit.
 */
#ifndef FK_LABEL_H
#define FK_LABEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define LABEL_MAX_ID    254u
#define LABEL_UNKNOWN   255u
#define LABEL_MAX_NAMES 4096u
#define LABEL_MAX_LINE  65536u
#define LABEL_ERRLEN    400u

/* ---- keyword maps ---- */

enum label_match {
	LABEL_LONGEST, /* the longest keyword found in the name; the first of equal length */
	LABEL_FIRST,   /* the first keyword of the map found in the name (seed 001) */
};

struct label_kw {
	char *kw;    /* lowercased (ASCII), NUL-terminated */
	char *label; /* at most REC_MAX_LABEL bytes */
	size_t kwlen;
};

struct label_map {
	struct label_kw *v;
	size_t n;
	enum label_match match;
	bool match_set; /* a %match directive was read */
};

/*
 * label_map_load(m, path, err, errlen): add the keywords of the map file
 * at path to m (zeroed before the first call; several files may be
 * loaded into one map).  label_map_read does the same from an open
 * stream, with name for messages.  0, or -1 with err set; a map without
 * keywords, a keyword given twice and two different %match are errors.
 * A path without a slash that is not in the current directory is looked
 * up in FK_DATADIR/labels (the installed maps), as given and with ".map"
 * added; class files the same way with ".classes".
 */
int label_map_load(struct label_map *m, const char *path, char *err, size_t errlen);
int label_map_read(struct label_map *m, FILE *fp, const char *name, char *err, size_t errlen);
/* label_map_match(m, name): the label for a file name (its directory part
 * is ignored, the rest lowercased), or NULL when no keyword is found. */
const char *label_map_match(const struct label_map *m, const char *name);
void label_map_free(struct label_map *m);

/* ---- the label of a capture ---- */

/* At most one of the three is set. */
struct label_config {
	const char *fixed;           /* every capture gets this label */
	const struct label_map *map; /* by keyword in the file name */
	bool dir;                    /* the name of the directory holding the file */
};

/*
 * label_for_input(c, path, &label, why, whylen): the label of the capture
 * at path (NULL: the standard input or a live capture, which have no file
 * name).  Returns 0 with *label a malloc'd string the caller frees, or
 * NULL when c asks for no label; 1 with *label NULL when c asks for one
 * and the capture gets none: why then says why, for a warning after the
 * input's name.  For c->dir the directory is the one the path names, as
 * the shell's cd would take it: symbolic links are not followed, "." and
 * ".." are resolved by name, a relative path starts at $PWD when $PWD is
 * the current directory.
 */
int label_for_input(const struct label_config *c, const char *path, char **label, char *why,
    size_t whylen);

/* ---- class tables ---- */

struct label_class {
	char *name; /* NUL-terminated, len bytes */
	size_t len;
	uint8_t id;
};

struct label_classes {
	struct label_class *v;
	size_t n, cap;
	unsigned next_id; /* the id a new name gets: one more than the largest */
	bool fixed;       /* unknown names are LABEL_UNKNOWN instead of new classes */
	size_t hit;       /* last lookup + 1, or 0 */
};

/* The two column orders of a class table file. */
enum label_cols {
	LABEL_NAME_ID, /* class files, "name id" */
	LABEL_ID_NAME, /* classes.txt written by flow-idx, "id name" */
};

/*
 * label_classes_load(t, path, cols, err, errlen): add the classes of the
 * file at path to t (zeroed, or holding earlier ones); label_classes_read
 * from a stream.  0, or -1: a bad line, an id out of range, a name given
 * twice or longer than REC_MAX_LABEL bytes, a file without classes.
 * Several names may share an id.
 */
int label_classes_load(struct label_classes *t, const char *path, enum label_cols cols, char *err,
    size_t errlen);
int label_classes_read(struct label_classes *t, FILE *fp, const char *name, enum label_cols cols,
    char *err, size_t errlen);
/* label_class_lookup(t, name, len): the class of those len bytes, or NULL.
 * The pointer is valid until the next name is added. */
const struct label_class *label_class_lookup(struct label_classes *t, const void *name, size_t len);
/*
 * label_class_id(t, name, len, err, errlen): the id of a flow's label: its
 * class, or LABEL_UNKNOWN in a fixed table, or else a new class with the
 * next id; -1 (err set) when all LABEL_MAX_ID + 1 ids are taken or the
 * table holds LABEL_MAX_NAMES names.
 */
int label_class_id(struct label_classes *t, const void *name, size_t len, char *err, size_t errlen);
/* label_class_name(t, id): the first name with that id, or NULL. */
const char *label_class_name(const struct label_classes *t, unsigned id);
/* label_classes_write(t, fp): t as classes.txt, "id name" lines by id, in
 * the order the names came within an id.  0, or -1 on a write error. */
int label_classes_write(const struct label_classes *t, FILE *fp);
/* label_put_field(fp, s, n): n bytes as one field of the grammar. */
void label_put_field(FILE *fp, const char *s, size_t n);
void label_classes_free(struct label_classes *t);

#endif
