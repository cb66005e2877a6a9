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
   * 4): { stack, start, entries }: the stack of each line, where its
   * entries start (start[lines] is their number), and the entries as the
   * readable form has them, width numbers each.
   */
  function packedStackSeries(s, width) {
    var v = packedNumbers(s), lines = 0, total = 0, i = 0;
    while (i < v.length) {
      var n = v[i + 1];
      i += 2 + n * width;
      if (!(i <= v.length)) throw new Error('the packed page data is damaged: a per-stack series ends early');
      lines++;
      total += n;
    }
    var out = { stack: new Float64Array(lines), start: new Float64Array(lines + 1), entries: new Float64Array(total * width) };
    var e = out.entries, at = 0, stack = 0;
    i = 0;
    for (var l = 0; l < lines; l++) {
      stack += v[i];
      var end = at + v[i + 1] * width, before = 0, count = 0, bytes = 0;
      out.stack[l] = stack;
      out.start[l] = at / width;
      for (i += 2; at < end; at += width, i += width) {
        e[at] = before = before + unzigzag(v[i]);
        if (width === 4) {
          e[at + 1] = before + unzigzag(v[i + 1]);
          e[at + 2] = unzigzag(v[i + 2]);
          e[at + 3] = unzigzag(v[i + 3]);
        } else {
          var c = unzigzag(v[i + 1]), b = unzigzag(v[i + 2]);
          e[at + 1] = c - count;
          e[at + 2] = b - bytes;
          count = c;
          bytes = b;
        }
      }
    }
    out.start[lines] = total;
    return out;
  }

  var SERIES_WIDTHS = { stack_live: 3, stack_lifetimes: 4 };

  /*
   * The packed "series" of d into the model m: memory records into
   * m.memory, slice_peaks into m.meta; returns model.series, each packed
   * per-stack key's reader (a function giving packedStackSeries's object).
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
      if (typeof p[key] === 'string') out[key] = function () { return packedStackSeries(p[key], SERIES_WIDTHS[key]); };
    });
    return out;
  }
