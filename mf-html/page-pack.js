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
   * The function names, each made whole (scope, own part, parameter list)
   * when first asked for: a page of many frames does not make every name
   * before its first paint.  Own parts come front-coded (d.names without
   * the characters they share with the one before), so they are made up
   * front; scopes and parameter lists are words.
   */
  function PackedNames(d) {
    var r = new PackReader(d.nameparts), n = Array.isArray(d.names) ? d.names.length : 0, own = '';
    this.scopes = unpackWords(d.scopes, d.words);
    this.params = unpackWords(d.params, d.words);
    this.scope = new Int32Array(n);
    this.param = new Int32Array(n);
    this.own = new Array(n);
    this.whole = new Array(n);
    for (var i = 0; i < n; i++) {
      this.scope[i] = r.next();
      this.param[i] = r.next();
      packEntry(this.scopes, this.scope[i]);
      packEntry(this.params, this.param[i]);
      own = own.slice(0, r.next()) + packEntry(d.names, i);
      this.own[i] = own;
    }
  }
  PackedNames.prototype.name = function (i) {
    var w = this.whole[i];
    if (w === undefined) w = this.whole[i] = this.scopes[this.scope[i]] + this.own[i] + this.params[this.param[i]];
    return w;
  };
  /*
   * May name i be one a frame flag is about (nameFlags: hidden, a thread, too
   * deep)?  Told from its parts, without making it whole: its first
   * character, and whether it holds "finish_grow" (which has no ':' or '(',
   * so it cannot straddle a scope ending in "::" or a parameter list
   * starting with '('; a name split otherwise is made whole to be sure).
   */
  PackedNames.prototype.mayFlag = function (i) {
    var scope = this.scopes[this.scope[i]], own = this.own[i], param = this.params[this.param[i]];
    var first = scope ? scope.charAt(0) : own ? own.charAt(0) : param.charAt(0);
    if (MAY_FLAG_NAME.test(first)) return true;
    if (scope && !scope.endsWith('::') || param && param.charAt(0) !== '(') return this.name(i).indexOf('finish_grow') >= 0;
    return own.indexOf('finish_grow') >= 0 || scope.indexOf('finish_grow') >= 0 || param.indexOf('finish_grow') >= 0;
  };

  /*
   * The frames of a packed page (their number first), each its name's
   * index, its location's code (0 none, 2*FILE+1 the file, 2*FILE+2
   * FILE:LINE) and line, its strings made when asked for (the same
   * interface as ReadableFrames, page-model.js).  The flags that decide
   * which frames are hidden are worked out once per name and per file, not
   * per frame.  mf-html wrote the frames in the order of their texts
   * (pack.h).
   */
  function PackedFrames(d) {
    var r = new PackReader(typeof d.frames === 'string' ? d.frames : ''), names = new PackedNames(d), nn = names.own.length;
    var files = Array.isArray(d.files) ? d.files : [], n = 0, all = r.more() ? r.next() : 0;
    for (var f = 0; f < files.length; f++) packEntry(files, f);
    /* Each frame takes two characters or more. */
    if (!(all <= r.s.length / 2)) throw new Error('the packed page data has fewer frames than it says');
    var name = new Int32Array(all), code = new Int32Array(all), line = new Int32Array(all);
    while (r.more()) {
      if (n === all) throw new Error('the packed page data has more frames than it says');
      var nm = r.next(), c = r.next();
      if (!(nm < nn && c <= 2 * files.length)) throw new Error('the packed page data names an entry its tables do not have');
      name[n] = nm;
      code[n] = c;
      line[n++] = c && c % 2 === 0 ? r.next() : 0;
    }
    if (n !== all) throw new Error('the packed page data has fewer frames than it says');
    this.n = n;
    this.names = names;
    this.files = files;
    this.name = name;
    this.code = code;
    this.line = line;
  }
  /* The frames' own order is that of their texts. */
  PackedFrames.prototype.ranks = function () { return null; };
  PackedFrames.prototype.func = function (i) { return this.names.name(this.name[i]); };
  PackedFrames.prototype.loc = function (i) {
    var c = this.code[i];
    return c ? this.files[(c - 1) >>> 1] + (c % 2 === 0 ? ':' + this.line[i] : '') : '';
  };
  PackedFrames.prototype.text = function (i) {
    var loc = this.loc(i);
    return loc ? this.func(i) + ' (' + loc + ')' : this.func(i);
  };
  /* Each frame's flags (nameFlags, FRAME_HIDDEN for its location too), from each name's and each file's. */
  PackedFrames.prototype.flags = function () {
    var names = this.names, nf = new Uint8Array(names.own.length), ff = new Uint8Array(this.files.length);
    var out = new Uint8Array(this.n), i;
    for (i = 0; i < nf.length; i++) nf[i] = names.mayFlag(i) ? nameFlags(names.name(i)) : 0;
    /* FILE:LINE is hidden when FILE is: the location patterns never reach into ":LINE". */
    for (i = 0; i < ff.length; i++) ff[i] = locationHidden(this.files[i]) ? FRAME_HIDDEN : 0;
    for (i = 0; i < this.n; i++) {
      var c = this.code[i], f = nf[this.name[i]];
      out[i] = c ? (f & ~FRAME_TOO_DEEP) | ff[(c - 1) >>> 1] : f;
    }
    return out;
  };
  /*
   * Does any frame's location look like a Python one (PYTHON_LOC)?  FILE:LINE
   * does when FILE is a Python file (PYTHON_FILE); a module's location
   * when it matches the pattern itself.
   */
  PackedFrames.prototype.mayBePython = function () {
    var files = this.files, line = new Uint8Array(files.length), mod = new Uint8Array(files.length), i;
    for (i = 0; i < files.length; i++) { line[i] = PYTHON_FILE.test(files[i]) ? 1 : 0; mod[i] = PYTHON_LOC.test(files[i]) ? 1 : 0; }
    for (i = 0; i < this.n; i++) {
      var c = this.code[i];
      if (c && (c % 2 === 0 ? line : mod)[(c - 1) >>> 1]) return true;
    }
    return false;
  };

  /*
   * The stacks of a packed "stacks" string: the number of stacks and of
   * their new frames, then per stack SHARED, N, N frame codes, the values.
   * A frame code K > 0 is the K-th distinct callee of the frame before it
   * (of the root for a stack's first frame), 0 a new callee whose id
   * follows.
   */
  function unpackStacks(s, diff, nframes) {
    s = typeof s === 'string' ? s : '';
    var r = new PackReader(s), stacks = r.more() ? r.next() : 0, fresh = r.more() ? r.next() : 0;
    /* Each stack takes four characters or more, each new frame one or more. */
    if (!(stacks <= s.length / 4 && fresh <= s.length)) throw new Error('the packed page data has fewer stacks than it says');
    var st = new StackList(diff, stacks, fresh), fr = new Int32Array(64), callees = [], prevLen = 0;
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
