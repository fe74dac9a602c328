/*
 * pic.c - PNG contact sheets (pic.h).
 */
#include <errno.h>
#include <setjmp.h>
#include <stdlib.h>
#include <string.h>

#include <png.h>

#include "bytes.h"
#include "out.h"
#include "pic.h"

/*
 * A 3x5 bitmap font: five rows of three bits, high bit left.  Letters are
 * upper case; other bytes print as '?'.
 */
static const char font_chars[] = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ_-.() ?";
static const uint8_t font[][5] = {
	{ 7, 5, 5, 5, 7 }, { 2, 6, 2, 2, 7 }, { 7, 1, 7, 4, 7 }, { 7, 1, 7, 1, 7 },
	{ 5, 5, 7, 1, 1 }, { 7, 4, 7, 1, 7 }, { 7, 4, 7, 5, 7 }, { 7, 1, 1, 1, 1 },
	{ 7, 5, 7, 5, 7 }, { 7, 5, 7, 1, 7 },
	{ 2, 5, 7, 5, 5 }, { 6, 5, 6, 5, 6 }, { 3, 4, 4, 4, 3 }, { 6, 5, 5, 5, 6 },
	{ 7, 4, 6, 4, 7 }, { 7, 4, 6, 4, 4 }, { 3, 4, 5, 5, 3 }, { 5, 5, 7, 5, 5 },
	{ 7, 2, 2, 2, 7 }, { 1, 1, 1, 5, 2 }, { 5, 5, 6, 5, 5 }, { 4, 4, 4, 4, 7 },
	{ 5, 7, 7, 5, 5 }, { 6, 5, 5, 5, 5 }, { 2, 5, 5, 5, 2 }, { 6, 5, 6, 4, 4 },
	{ 2, 5, 5, 6, 3 }, { 6, 5, 6, 5, 5 }, { 3, 4, 2, 1, 6 }, { 7, 2, 2, 2, 2 },
	{ 5, 5, 5, 5, 7 }, { 5, 5, 5, 5, 2 }, { 5, 5, 7, 7, 5 }, { 5, 5, 2, 5, 5 },
	{ 5, 5, 2, 2, 2 }, { 7, 1, 2, 4, 7 },
	{ 0, 0, 0, 0, 7 }, { 0, 0, 7, 0, 0 }, { 0, 0, 0, 0, 2 }, { 1, 2, 2, 2, 1 },
	{ 4, 2, 2, 2, 4 }, { 0, 0, 0, 0, 0 }, { 7, 1, 2, 0, 2 },
};

#define GAP 4        /* pixels between cells */
#define FONT_SCALE 2 /* each font pixel is 2 x 2 */
#define CHAR_W (4 * FONT_SCALE)
#define MAX_CHARS 24 /* longer labels are cut */

static const uint8_t *glyph(char ch)
{
	const char *p;

	if (ch >= 'a' && ch <= 'z') ch = (char)(ch - 'a' + 'A');
	p = ch ? strchr(font_chars, ch) : NULL;
	return font[p ? p - font_chars : (int)sizeof font_chars - 2];
}

/* draw_text: black text at pixel (x0, y0) of an image w pixels wide of bpp bytes per pixel. */
static void draw_text(uint8_t *px, size_t w, unsigned bpp, size_t x0, size_t y0, const char *text)
{
	size_t k, r, b, i, j;

	for (k = 0; text[k] && k < MAX_CHARS; k++) {
		const uint8_t *g = glyph(text[k]);

		for (r = 0; r < 5; r++)
			for (b = 0; b < 3; b++)
				if (g[r] & (4 >> b))
					for (i = 0; i < FONT_SCALE; i++)
						for (j = 0; j < FONT_SCALE; j++)
							memset(px + ((y0 + r * FONT_SCALE + i) * w + x0 +
							    k * CHAR_W + b * FONT_SCALE + j) * bpp, 0, bpp);
	}
}

/* write_png(o, rowp, w, h, bpp): rows of w grey (bpp 1) or RGB (bpp 3)
 * pixels to the open output o.  Kept apart so that nothing but its
 * arguments lives across the setjmp. */
static int write_png(struct out_file *o, uint8_t **rowp, uint32_t w, uint32_t h, unsigned bpp)
{
	png_structp png;
	png_infop info = NULL;

	png = png_create_write_struct(PNG_LIBPNG_VER_STRING, NULL, NULL, NULL);
	if (png) info = png_create_info_struct(png);
	if (info == NULL) {
		png_destroy_write_struct(&png, NULL);
		msg_warn("%s: out of memory", o->name);
		return -1;
	}
	if (setjmp(png_jmpbuf(png))) {
		msg_warn("%s: cannot write the PNG", o->name);
		png_destroy_write_struct(&png, &info);
		return -1;
	}
	png_init_io(png, o->fp);
	png_set_IHDR(png, info, w, h, 8, bpp == 3 ? PNG_COLOR_TYPE_RGB : PNG_COLOR_TYPE_GRAY,
	    PNG_INTERLACE_NONE,
	    PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
	png_write_info(png, info);
	png_write_image(png, rowp);
	png_write_end(png, NULL);
	png_destroy_write_struct(&png, &info);
	return 0;
}

/* sheet: pic_contact_sheet for pixels of bpp bytes (1 grey, 3 RGB). */
static int sheet(struct out_file *o, const uint8_t *const *img, const char *const *labels,
    const unsigned *counts, unsigned nrow, unsigned per_row, uint32_t rows, uint32_t cols,
    unsigned bpp)
{
	unsigned scale = rows <= 64 && cols <= 64 ? 2 : 1;
	size_t cw = (size_t)cols * scale, ch = (size_t)rows * scale, rh, w, h, r, k, y, x;
	size_t label_w = 0;
	uint8_t *px, **rowp;
	int rc;

	for (r = 0; r < nrow; r++) {
		size_t n = strlen(labels[r]);

		if (n > MAX_CHARS) n = MAX_CHARS;
		if (n * CHAR_W > label_w) label_w = n * CHAR_W;
	}
	label_w += GAP;
	rh = ch > 5 * FONT_SCALE ? ch : 5 * FONT_SCALE;
	w = GAP + label_w + per_row * (cw + GAP);
	h = GAP + (nrow ? nrow : 1) * (rh + GAP);
	if (w > 100000 || h > 100000) {
		msg_warn("%s: a contact sheet of %zux%zu pixels is too large", o->name, w, h);
		return -1;
	}
	px = xmalloc(w * h * bpp);
	memset(px, 255, w * h * bpp);
	for (r = 0; r < nrow; r++) {
		size_t top = GAP + r * (rh + GAP);

		draw_text(px, w, bpp, GAP, top, labels[r]);
		for (k = 0; k < counts[r] && k < per_row; k++) {
			const uint8_t *im = img[r] + k * (size_t)rows * cols * bpp;
			size_t left = GAP + label_w + k * (cw + GAP), b;

			for (y = 0; y < ch; y++)
				for (x = 0; x < cw; x++)
					for (b = 0; b < bpp; b++)
						px[((top + y) * w + left + x) * bpp + b] =
						    im[((y / scale) * cols + x / scale) * bpp + b];
		}
	}
	rowp = xmalloc(h * sizeof *rowp);
	for (y = 0; y < h; y++) rowp[y] = px + y * w * bpp;
	rc = write_png(o, rowp, (uint32_t)w, (uint32_t)h, bpp);
	free(rowp);
	free(px);
	return rc;
}

int pic_contact_sheet(struct out_file *o, const uint8_t *const *img, const char *const *labels,
    const unsigned *counts, unsigned nrow, unsigned per_row, uint32_t rows, uint32_t cols)
{
	return sheet(o, img, labels, counts, nrow, per_row, rows, cols, 1);
}

int pic_contact_sheet_rgb(struct out_file *o, const uint8_t *const *img, const char *const *labels,
    const unsigned *counts, unsigned nrow, unsigned per_row, uint32_t rows, uint32_t cols)
{
	return sheet(o, img, labels, counts, nrow, per_row, rows, cols, 3);
}
