/*
 * page-pack.js - reads the packed form of the page data, which mf-html
 * writes for large pages (mf-html/pack.h, docs/REPORT.md "Page data"):
 * numbers in base 45 as characters, frames through tables of function
 * names and files, each stack's new frames coded against their callers.
 * decodeModel (page-model.js) calls it when "frames" is a string.
 * Part of the page script (see page-model.js).
 */

  var PACK_BASE = 45;
  /* Each character code's digit: below 45 a number's last digit, from 45 one with more to come; -1 none. */
  var PACK_DIGIT = (function () {
    var t = new Int8Array(128).fill(-1), d = 0;
    for (var c = 35; c < 127; c++) if (c !== 60 && c !== 92) t[c] = d++;
    return t;
  })();

  /* The numbers of a packed string, one by one. */
  function PackReader(s) { this.s = s; this.pos = 0; }
  PackReader.prototype.more = function () { return this.pos < this.s.length; };
  PackReader.prototype.next = function () {
    var s = this.s, v = 0, d;
    do {
      var c = s.charCodeAt(this.pos++);
      d = c < 128 ? PACK_DIGIT[c] : -1;
      if (d < 0) throw new Error('the packed page data is damaged at character ' + (this.pos - 1));
      v = v * PACK_BASE + (d >= PACK_BASE ? d - PACK_BASE : d);
    } while (d >= PACK_BASE);
    return v;
  };

  /* A table entry, or an error: the data was written by mf-html, so a bad index means damage. */
  function packEntry(table, i) {
    if (!Array.isArray(table) || i >= table.length || typeof table[i] !== 'string')
      throw new Error('the packed page data names an entry its tables do not have');
    return table[i];
  }

  /* A packed list of strings: each its number of words, then their indexes in words. */
  function unpackWords(s, words) {
    var r = new PackReader(typeof s === 'string' ? s : ''), out = [];
    while (r.more()) {
      var n = r.next(), t = '';
      for (var j = 0; j < n; j++) t += packEntry(words, r.next());
      out.push(t);
    }
    return out;
  }

  /*
   * The function names: each one's scope, own part and parameter list.
   * Own parts come front-coded (d.names without the characters they share
   * with the one before), scopes and parameter lists as words.
   */
  function unpackNames(d) {
    var r = new PackReader(d.nameparts), names = [], n = Array.isArray(d.names) ? d.names.length : 0;
    var scopes = unpackWords(d.scopes, d.words), params = unpackWords(d.params, d.words), own = '';
    for (var i = 0; i < n; i++) {
      var scope = packEntry(scopes, r.next()), param = packEntry(params, r.next());
      own = own.slice(0, r.next()) + packEntry(d.names, i);
      names.push(scope + own + param);
    }
    return names;
  }

  /* The frames' texts and their { func, loc } parts from the names, d.files and d.frames. */
  function unpackFrames(d) {
    var r = new PackReader(d.frames), names = unpackNames(d), texts = [], parts = [];
    while (r.more()) {
      var func = packEntry(names, r.next()), code = r.next(), loc = '';
      if (code) loc = packEntry(d.files, (code - 1) >>> 1) + (code % 2 === 0 ? ':' + r.next() : '');
      parts.push({ func: func, loc: loc });
      texts.push(loc ? func + ' (' + loc + ')' : func);
    }
    return { texts: texts, parts: parts };
  }

  /*
   * The stacks of a packed "stacks" string: SHARED, N, N frame codes, the
   * values.  A frame code K > 0 is the K-th distinct callee of the frame
   * before it (of the root for a stack's first frame), 0 a new callee
   * whose id follows.
   */
  function unpackStacks(s, diff, nframes) {
    var r = new PackReader(s), st = new StackList(diff), fr = new Int32Array(64), callees = [], prevLen = 0;
    /* One list per caller (the root first), made up front: an array filled at random large indexes is a slow sparse one. */
    for (var c = 0; c <= nframes; c++) callees.push(null);
    while (r.more()) {
      var shared = r.next(), n = r.next(), np = st.start(shared, n);
      if (!(shared <= prevLen)) throw new Error('the packed page data shares more frames than the stack before has');
      if (shared + n > fr.length) fr = grown(fr, Math.max(fr.length * 2, shared + n));
      for (var j = shared; j < shared + n; j++) {
        var caller = j ? fr[j - 1] + 1 : 0, k = r.next();
        var list = callees[caller] || (callees[caller] = []), id = k ? list[k - 1] : r.next();
        if (!k) list.push(id);
        if (!(id < nframes)) throw new Error('the packed page data names a frame it does not have');
        fr[j] = id;
        st.pool[np++] = id;
      }
      prevLen = shared + n;
      st.end(np, r.next(), r.next(), diff ? r.next() : 0, diff ? r.next() : 0);
    }
    return st.done();
  }
