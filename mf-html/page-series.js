/*
 * page-series.js - reads the packed series of large pages (mf-html/
 * pack_series.h, docs/REPORT.md "Embedded data"): the memory records and
 * slice_peaks, which decodeModel puts where the readable form's metadata
 * lines would have put them, and the temporal per-stack series, which
 * stay packed in model.series until the temporal mode asks for them (a
 * series is needed when the window moves, not at first paint).
 * Part of the page script (see page-model.js).
 */

  /* A packed string's numbers (pack.h's base 45), as they were written. */
  function packedNumbers(s) {
    var n = 0, i, c, d, more = false;
    for (i = 0; i < s.length; i++) {
      c = s.charCodeAt(i);
      d = c < 128 ? PACK_DIGIT[c] : -1;
      if (d < 0) throw new Error('the packed page data is damaged at character ' + i);
      more = d >= PACK_BASE;
      if (!more) n++;
    }
    if (more) throw new Error('the packed page data is damaged at its end');
    var out = new Float64Array(n), v = 0, k = 0;
    for (i = 0; i < s.length; i++) {
      d = PACK_DIGIT[s.charCodeAt(i)];
      if (d >= PACK_BASE) v = v * PACK_BASE + d - PACK_BASE;
      else { out[k++] = v * PACK_BASE + d; v = 0; }
    }
    return out;
  }

  /* A zigzag-coded number back to its sign: 2v for v >= 0, -2v-1 below. */
  function unzigzag(v) { return v % 2 ? -(v + 1) / 2 : v / 2; }

  /* Columns of differences (zigzag-coded, width of them a row) back to their values, into rows. */
  function packedRows(s, width) {
    var v = packedNumbers(s), rows = [], prev = new Float64Array(width);
    if (v.length % width) throw new Error('the packed page data is damaged: a series of ' + width + ' columns ends early');
    for (var i = 0; i < v.length; i += width) {
      var row = [];
      for (var j = 0; j < width; j++) { prev[j] += unzigzag(v[i + j]); row.push(prev[j]); }
      rows.push(row);
    }
    return rows;
  }

  /*
   * One per-stack series (stack_live, width 3, or stack_lifetimes, width
   * 4), read a part at a time so that a page can read it between frames:
   * step(until) reads whole lines until performance.now() passes until (or
   * the end: then it returns true); lines, and the arrays below, say what
   * is read so far; result() gives, once all is read, { stack, start,
   * entries }: the stack of each line, where its entries start (start[lines]
   * is their number), and the entries as the readable form has them, width
   * numbers each.  A damaged string throws, as packedNumbers does.
   */
  function StackSeriesReader(s, width) {
    this.s = s; this.width = width; this.pos = 0; this.prevStack = 0;
    this.lines = 0; this.total = 0;
    /* The entries sized at once: a line's stack and count and an entry's width numbers end in a last digit each,
       so there are at most (last digits) / width entries (doubling as they came cost a sixth of the reading). */
    for (var i = 0, ends = 0; i < s.length; i++) if (PACK_DIGIT[s.charCodeAt(i) & 127] < PACK_BASE) ends++;
    this.stack = new Float64Array(256); this.start = new Float64Array(257); this.entries = new Float64Array(Math.ceil(ends / width) * width);
  }
  /* The next number; its first character must be there (else the lines end early). */
  StackSeriesReader.prototype.num = function () {
    var s = this.s, v = 0, d, c;
    if (this.pos >= s.length) throw new Error('the packed page data is damaged: a per-stack series ends early');
    do {
      if (this.pos >= s.length) throw new Error('the packed page data is damaged at its end');
      c = s.charCodeAt(this.pos++);
      d = c < 128 ? PACK_DIGIT[c] : -1;
      if (d < 0) throw new Error('the packed page data is damaged at character ' + (this.pos - 1));
      v = v * PACK_BASE + (d >= PACK_BASE ? d - PACK_BASE : d);
    } while (d >= PACK_BASE);
    return v;
  };
  /* One line: its stack, its entries back from their differences and running sums. */
  StackSeriesReader.prototype.line = function () {
    var width = this.width, stack = this.prevStack += this.num(), n = this.num(), l = this.lines;
    if (l + 1 >= this.start.length) { this.stack = grown(this.stack, l * 2 + 2); this.start = grown(this.start, l * 2 + 3); }
    this.stack[l] = stack;
    this.start[l] = this.total;
    for (var k = 0, before = 0, count = 0, bytes = 0; k < n; k++) {
      var at = this.total * width;
      if (at + width > this.entries.length) this.entries = grown(this.entries, 2 * (at + width));
      var e = this.entries;
      e[at] = before = before + unzigzag(this.num());
      if (width === 4) {
        e[at + 1] = before + unzigzag(this.num());
        e[at + 2] = unzigzag(this.num());
        e[at + 3] = unzigzag(this.num());
      } else {
        var c = unzigzag(this.num()), b = unzigzag(this.num());
        e[at + 1] = c - count;
        e[at + 2] = b - bytes;
        count = c;
        bytes = b;
      }
      this.total++;
    }
    this.start[++this.lines] = this.total;
  };
  StackSeriesReader.prototype.step = function (until) {
    while (this.pos < this.s.length) {
      for (var i = 0; i < 256 && this.pos < this.s.length; i++) this.line();
      if (performance.now() >= until) break;
    }
    return this.pos >= this.s.length;
  };
  StackSeriesReader.prototype.result = function () {
    return { stack: this.stack.subarray(0, this.lines), start: this.start.subarray(0, this.lines + 1),
             entries: this.entries.subarray(0, this.total * this.width) };
  };

  /* One per-stack series at once: StackSeriesReader's result. */
  function packedStackSeries(s, width) {
    var r = new StackSeriesReader(s, width);
    r.step(Infinity);
    return r.result();
  }

  var SERIES_WIDTHS = { stack_live: 3, stack_lifetimes: 4 };

  /*
   * The packed "series" of d into the model m: memory records into
   * m.memory, slice_peaks into m.meta; returns model.series, each packed
   * per-stack key's reader (a function giving packedStackSeries's object,
   * and its reader() a StackSeriesReader, to read it a part at a time).
   */
  function unpackSeries(d, m) {
    var p = d.series, out = Object.create(null);
    if (!p || typeof p !== 'object') return out;
    if (typeof p.memory === 'string') packedRows(p.memory, 3).forEach(function (r) { m.memory.push(r); });
    if (typeof p.slice_peaks === 'string') {
      var v = packedNumbers(p.slice_peaks), peaks = [], b = 0;
      for (var i = 0; i < v.length; i++) peaks.push(b += unzigzag(v[i]));
      m.meta.slice_peaks = peaks;
    }
    Object.keys(SERIES_WIDTHS).forEach(function (key) {
      if (typeof p[key] !== 'string') return;
      out[key] = function () { return packedStackSeries(p[key], SERIES_WIDTHS[key]); };
      out[key].reader = function () { return new StackSeriesReader(p[key], SERIES_WIDTHS[key]); };
    });
    return out;
  }
