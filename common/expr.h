/*
 * expr.h - the flow expression language of flow-filter(1): a lexer and a
 * recursive-descent parser that turn a text such as
 *
 *	proto == tcp and dport in {80, 443} and not net 10.0.0.0/8
 *
 * into a tree once, and an evaluator that runs the tree on decoded
 * records through the field registry (field.h) and the field values
 * (fval.h), without copying or re-parsing.  flow-filter(1) has the
 * grammar in EBNF and the meaning of every operator.
 *
 * A comparison on a field with several values (per-packet columns,
 * repeated metadata, u16 lists) is true when one value matches ("any"),
 * or with the prefix "all" when every value does and there is at least
 * one.  A comparison on an absent field is false, whatever its operator.
 */
#ifndef FK_EXPR_H
#define FK_EXPR_H

#include <stdbool.h>
#include <stddef.h>

#include "rec.h"

struct ex;

/*
 * ex_compile(text, name, line, err, errlen): parse text (NUL-terminated).
 * name and line name the text in messages, whose form is
 * "NAME:LINE:COLUMN: what was expected" (columns count bytes from 1;
 * line is the number of the text's first line).  Returns the compiled
 * expression, or NULL with the message in err.  '#' starts a comment that
 * runs to the end of the line.
 */
struct ex *ex_compile(const char *text, const char *name, unsigned line, char *err,
    size_t errlen);
/* ex_match(e, f): does the decoded flow f match? */
bool ex_match(struct ex *e, const struct rec_flow *f);
void ex_free(struct ex *e);

#endif
