/*
 * pack.h - the packed form of the page data (docs/REPORT.md, "Page data"),
 * which mf-html writes for pages of PACK_MIN_STACKS stacks or more: a
 * compiler's run gives tens of thousands of deep stacks over thousands of
 * long C++ names, and the readable form (every frame's text, every number
 * in decimal) spends most of the page on them.
 *
 * Numbers are written in base 45 as ASCII characters that need no escape
 * in a JSON string inside <script> ('#' to '~' without '<' and '\'), most
 * significant digit first; every digit but the last is shifted by 45, so a
 * number below 45 is one character, below 2025 two.
 *
 * Frames share their function names and files through string tables:
 * each frame is its name's index, then 0 (no location), 2*FILE+1 (the
 * location is the file FILE, a module's name) or 2*FILE+2 followed by a
 * line (the location is FILE:LINE).  A name is its scope ("ns::Class::"),
 * its own part and its parameter list, scopes and parameter lists in
 * tables of their own: C++ names repeat those where they differ.  Scopes
 * and parameter lists are written as words (runs of name characters, runs
 * of the others) of one table, most used first; own parts sorted, each
 * without the characters it shares with the one before.
 *
 * Frames are written in the order of their texts as the page compares
 * them (JavaScript's < on the strings the browser reads from the page's
 * UTF-8; texts it reads alike in the order first seen), so the page breaks
 * ties between frames by their ids without making their texts; "frames"
 * starts with their number.
 *
 * "stacks" starts with the number of stacks and of their new frames (the
 * page sizes its arrays once); then a stack is, as in the readable form,
 * SHARED frames of the one before it and N new ones, then its values;
 * each new frame is coded against its caller: K > 0 is the K-th distinct callee that caller has had so far
 * (in the order they came), 0 a new callee, whose frame id follows.  A
 * call graph is narrow, so most frames take one character.
 */
#ifndef MF_PACK_H
#define MF_PACK_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "intern.h"

/* From this many stacks on, the page data is packed; below, readable. */
#define PACK_MIN_STACKS 1000

/* Append v in the packed number form. */
void pack_number(struct buf *b, uint64_t v);
/*
 * Append "words":[...],"scopes":"...","params":"...","names":[...],
 * "nameparts":"...","files":[...],"frames":"..." for the frame table;
 * place (frames->count entries) gets each frame id's place in it.
 */
void pack_frames(struct buf *b, const struct intern *frames, uint32_t *place);
/*
 * Append the stacks, given as the readable form's numbers (SHARED, N,
 * N frame ids, then per_stack values), packed, without quotes; each frame
 * id as its place given by pack_frames.
 */
void pack_stacks(struct buf *b, const uint64_t *nums, size_t n, size_t per_stack, const uint32_t *place);

/*
 * The next character of text s (n bytes) at *i, which moves past it, as
 * the browser reads the page (UTF-8 by the WHATWG decoder: each maximal
 * part of a sequence that is not UTF-8 reads as one U+FFFD).
 */
uint32_t page_char(const unsigned char *s, size_t n, size_t *i);

#endif
