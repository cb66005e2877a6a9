/*
 * page-match.js - regular expressions from the user (the search box, the
 * fragment's search, mf-html --hide) matched without backtracking.
 *
 * The browser's own engine backtracks: (a+)+$ on 32 a's and a '!' keeps it
 * busy for a minute, and the tab with it.  A pattern that repeats anything
 * is parsed here into a program of a few instructions (CHAR, SPLIT, JMP,
 * ASSERT, MATCH) and run as a Thompson simulation: every way the pattern
 * can be at a point of the text is one thread, and each text position
 * visits each instruction at most once, so matching costs at most the
 * text's length times the program's size.  A pattern with nothing to
 * choose (no repetition, no '|') cannot backtrack and goes to RegExp as it
 * is.  On top, every match
 * has a time budget (a deadline): a pattern too large for the text stops
 * there, and the caller says it was too slow.
 *
 * The syntax is JavaScript's, without flags (RegExp checks it first, so the
 * errors are the browser's).  Backreferences and lookaround need
 * backtracking: such a pattern is refused.  Part of the page script (see
 * page-model.js).
 */

  var MATCH_STATES = 50000;         /* the largest program compiled */
  var MATCH_BUDGET_MS = 1000;       /* the longest a search (or the --hide patterns) may take */
  var SLOW = { slow: true };        /* thrown when a match passes its deadline */

  var OP_CHAR = 0, OP_SPLIT = 1, OP_JMP = 2, OP_ASSERT = 3, OP_MATCH = 4;

  /* Character sets as sorted [lo, hi] ranges of UTF-16 code units. */
  var SET_DIGIT = [[48, 57]];
  var SET_WORD = [[48, 57], [65, 90], [95, 95], [97, 122]];
  var SET_SPACE = [[9, 13], [32, 32], [160, 160], [5760, 5760], [8192, 8202], [8232, 8233],
                   [8239, 8239], [8287, 8287], [12288, 12288], [65279, 65279]];
  var SET_LINE = [[10, 10], [13, 13], [8232, 8233]];

  function setNormal(r) {
    r = r.slice().sort(function (a, b) { return a[0] - b[0]; });
    var out = [];
    r.forEach(function (x) {
      var last = out[out.length - 1];
      if (last && x[0] <= last[1] + 1) last[1] = Math.max(last[1], x[1]);
      else out.push([x[0], x[1]]);
    });
    return out;
  }
  function setNot(r) {
    var out = [], at = 0;
    setNormal(r).forEach(function (x) { if (x[0] > at) out.push([at, x[0] - 1]); at = x[1] + 1; });
    if (at <= 0xffff) out.push([at, 0xffff]);
    return out;
  }
  /* A set as a test: a table for ASCII, the ranges above it. */
  function setTest(r) {
    r = setNormal(r);
    var ascii = new Uint8Array(128), lo = [], hi = [];
    r.forEach(function (x) {
      for (var c = x[0]; c <= Math.min(x[1], 127); c++) ascii[c] = 1;
      if (x[1] > 127) { lo.push(Math.max(x[0], 128)); hi.push(x[1]); }
    });
    return function (c) {
      if (c < 128) return ascii[c] === 1;
      for (var i = 0; i < lo.length; i++) if (c >= lo[i] && c <= hi[i]) return true;
      return false;
    };
  }

  /* ------------------------------------------------------------ parser */

  /* Pattern text -> tree of { t: 'alt'|'cat'|'set'|'rep'|'assert', ... }; throws a reason. */
  function parsePattern(src) {
    var i = 0, reps = 0, alts = 0;
    var named = /\(\?<[^=!]/.test(src);

    function peek() { return src.charAt(i); }
    function hex(n) {
      var h = src.substr(i, n);
      if (h.length !== n || !/^[0-9A-Fa-f]+$/.test(h)) return -1;
      i += n;
      return parseInt(h, 16);
    }
    /* After a backslash: a set, an assertion, or one code unit. */
    function escape(inClass) {
      var c = src.charAt(i++);
      switch (c) {
        case 'd': return { set: SET_DIGIT };
        case 'D': return { set: setNot(SET_DIGIT) };
        case 'w': return { set: SET_WORD };
        case 'W': return { set: setNot(SET_WORD) };
        case 's': return { set: SET_SPACE };
        case 'S': return { set: setNot(SET_SPACE) };
        case 'b': return inClass ? { code: 8 } : { assert: 'b' };
        case 'B': if (!inClass) return { assert: 'B' }; break;
        case 't': return { code: 9 };
        case 'n': return { code: 10 };
        case 'v': return { code: 11 };
        case 'f': return { code: 12 };
        case 'r': return { code: 13 };
        case 'c':
          if (/[A-Za-z]/.test(peek())) return { code: src.charCodeAt(i++) % 32 };
          i--;
          return { code: 92 };           /* "\c" without a letter is a backslash */
        case 'x': { var x = hex(2); return { code: x >= 0 ? x : 120 }; }
        case 'u': { var u = hex(4); return { code: u >= 0 ? u : 117 }; }
        case 'k': if (named) throw 'backreferences are not supported'; break;
      }
      if (/[0-9]/.test(c)) {
        if (c === '0' && !/[0-9]/.test(peek())) return { code: 0 };
        if (!inClass) throw 'backreferences are not supported';
        var oct = /^[0-7]{1,3}/.exec(src.slice(i - 1));
        if (!oct) return { code: c.charCodeAt(0) };
        var v = parseInt(oct[0], 8);
        if (v > 255) { oct[0] = oct[0].slice(0, 2); v = parseInt(oct[0], 8); }
        i += oct[0].length - 1;
        return { code: v };
      }
      return { code: c.charCodeAt(0) };
    }
    function classAtom() {
      var c = src.charAt(i++);
      return c === '\\' ? escape(true) : { code: c.charCodeAt(0) };
    }
    function charClass() {
      var neg = false, r = [];
      if (peek() === '^') { neg = true; i++; }
      while (i < src.length && peek() !== ']') {
        var a = classAtom();
        if (peek() === '-' && src.charAt(i + 1) !== ']' && i + 1 < src.length) {
          i++;
          var b = classAtom();
          if (a.set || b.set) {           /* [\w-z]: the set, '-' and z */
            r = r.concat(a.set || [[a.code, a.code]], [[45, 45]], b.set || [[b.code, b.code]]);
            continue;
          }
          r.push([a.code, b.code]);
          continue;
        }
        r = r.concat(a.set || [[a.code, a.code]]);
      }
      i++;
      return { t: 'set', set: neg ? setNot(r) : setNormal(r) };
    }
    function group() {
      if (src.startsWith('?:', i)) i += 2;
      else if (/^\?(=|!|<=|<!)/.test(src.slice(i, i + 3))) throw 'lookahead and lookbehind are not supported';
      else if (src.startsWith('?<', i)) i = src.indexOf('>', i) + 1;
      var e = alt();
      i++;                                /* ')' */
      return e;
    }
    function atom() {
      var c = src.charAt(i++);
      switch (c) {
        case '^': return { t: 'assert', k: '^' };
        case '$': return { t: 'assert', k: '$' };
        case '.': return { t: 'set', set: setNot(SET_LINE) };
        case '[': return charClass();
        case '(': return group();
        case '\\': {
          var e = escape(false);
          if (e.assert) return { t: 'assert', k: e.assert };
          return { t: 'set', set: e.set || [[e.code, e.code]] };
        }
      }
      var code = c.charCodeAt(0);
      return { t: 'set', set: [[code, code]] };
    }
    /* A quantifier after an atom, or null. */
    function quantifier() {
      var c = peek(), q = null;
      if (c === '*') q = [0, Infinity];
      else if (c === '+') q = [1, Infinity];
      else if (c === '?') q = [0, 1];
      if (q) i++;
      else if (c === '{') {
        var m = /^\{(\d+)(,(\d*))?\}/.exec(src.slice(i));
        if (!m) return null;
        i += m[0].length;
        q = [Number(m[1]), m[2] === undefined ? Number(m[1]) : m[3] === '' ? Infinity : Number(m[3])];
      } else return null;
      if (peek() === '?') i++;            /* lazy: the same for "does it match" */
      return q;
    }
    function seq() {
      var items = [];
      while (i < src.length && peek() !== '|' && peek() !== ')') {
        var a = atom(), q = quantifier();
        if (q) { a = { t: 'rep', e: a, min: q[0], max: q[1] }; reps++; }
        items.push(a);
      }
      return { t: 'cat', a: items };
    }
    function alt() {
      var a = [seq()];
      while (peek() === '|') { i++; a.push(seq()); alts++; }
      return a.length === 1 ? a[0] : { t: 'alt', a: a };
    }
    var tree = alt();
    return { tree: tree, choices: reps + alts };
  }

  /* ----------------------------------------------------------- program */

  /* Tree -> program: parallel arrays op, x, y (targets, or a set's index), sets. */
  function compilePattern(tree) {
    var op = [], x = [], y = [], sets = [];
    function emit(o, a, b) {
      if (op.length >= MATCH_STATES) throw 'the pattern is too large';
      op.push(o); x.push(a); y.push(b);
      return op.length - 1;
    }
    function gen(n) {
      var k, j, L;
      switch (n.t) {
        case 'set': sets.push(setTest(n.set)); emit(OP_CHAR, sets.length - 1, 0); return;
        case 'assert': emit(OP_ASSERT, ASSERTS[n.k], 0); return;
        case 'cat': n.a.forEach(gen); return;
        case 'alt': {
          var jumps = [];
          for (k = 0; k < n.a.length - 1; k++) {
            var split = emit(OP_SPLIT, op.length + 1, 0);
            gen(n.a[k]);
            jumps.push(emit(OP_JMP, 0, 0));
            y[split] = op.length;
          }
          gen(n.a[n.a.length - 1]);
          jumps.forEach(function (p) { x[p] = op.length; });
          return;
        }
        case 'rep':
          for (k = 0; k < n.min; k++) gen(n.e);
          if (n.max === Infinity) {
            L = emit(OP_SPLIT, op.length + 1, 0);
            gen(n.e);
            emit(OP_JMP, L, 0);
            y[L] = op.length;
          } else {
            for (j = n.min; j < n.max; j++) {
              L = emit(OP_SPLIT, op.length + 1, 0);
              gen(n.e);
              y[L] = op.length;
            }
          }
      }
    }
    gen(tree);
    emit(OP_MATCH, 0, 0);
    var size = op.length;
    /* The simulation's lists and marks, made once: a search runs it on every frame. */
    return { op: Int8Array.from(op), x: Int32Array.from(x), y: Int32Array.from(y), sets: sets,
             cur: new Int32Array(size), next: new Int32Array(size),
             mark: new Float64Array(size), stack: new Int32Array(2 * size + 2), gen: 0 };
  }

  function isWordCode(c) {
    return c >= 48 && c <= 57 || c >= 65 && c <= 90 || c === 95 || c >= 97 && c <= 122;
  }

  /* Where the word-boundary assertions look: the text being matched. */
  var ASSERTS = { '^': 0, '$': 1, 'b': 2, 'B': 3 };
  function holds(k, s, pos) {
    if (k === 0) return pos === 0;
    if (k === 1) return pos === s.length;
    var before = pos > 0 && isWordCode(s.charCodeAt(pos - 1));
    var after = pos < s.length && isWordCode(s.charCodeAt(pos));
    return k === 2 ? before !== after : before === after;
  }

  /*
   * Add pc to list (of length len) with every instruction it reaches
   * without reading, at text position pos; mark[pc] === gen says a pc is in
   * already.  Returns the new length.
   */
  function addThread(p, list, len, pc, s, pos, gen) {
    var stack = p.stack, mark = p.mark, op = p.op, sp = 0;
    stack[sp++] = pc;
    while (sp) {
      pc = stack[--sp];
      if (mark[pc] === gen) continue;
      mark[pc] = gen;
      switch (op[pc]) {
        case OP_JMP: stack[sp++] = p.x[pc]; break;
        case OP_SPLIT: stack[sp++] = p.y[pc]; stack[sp++] = p.x[pc]; break;
        case OP_ASSERT: if (holds(p.x[pc], s, pos)) stack[sp++] = pc + 1; break;
        default: list[len++] = pc;
      }
    }
    return len;
  }

  /*
   * Does the program match anywhere in s?  Throws SLOW once the clock
   * passes deadline (checked every few thousand steps).
   */
  function runProgram(p, s, deadline) {
    var n = s.length, cur = p.cur, next = p.next, nc = 0, nn = 0, steps = 0;
    var op = p.op, x = p.x, sets = p.sets, gen = p.gen;
    for (var i = 0; i <= n; i++) {
      gen++;
      nc = addThread(p, cur, nc, 0, s, i, gen);   /* unanchored: a new start at each position */
      var c = i < n ? s.charCodeAt(i) : -1;
      nn = 0;
      for (var k = 0; k < nc; k++) {
        var pc = cur[k];
        if (op[pc] === OP_MATCH) { p.gen = gen + 1; return true; }
        if (c >= 0 && sets[x[pc]](c)) nn = addThread(p, next, nn, pc + 1, s, i + 1, gen + 1);
      }
      steps += nc;
      if (steps > 4096) {
        steps = 0;
        if (performance.now() > deadline) { p.gen = gen + 1; throw SLOW; }
      }
      var t = cur; cur = next; next = t;
      nc = nn;
    }
    p.gen = gen + 1;
    return false;
  }

  /*
   * A user's pattern as { test(s, deadline) }, or { error: reason } when
   * it is not a valid regular expression or cannot be matched here.
   * test throws SLOW when the deadline (a performance.now() time) passes.
   */
  function compileMatcher(src) {
    var native;
    try { native = new RegExp(src); } catch (e) { return { error: 'not a valid regular expression' }; }
    var parsed, prog;
    try {
      parsed = parsePattern(src);
      if (parsed.choices === 0) return { test: function (s) { return native.test(s); } };
      prog = compilePattern(parsed.tree);
    } catch (e) {
      if (typeof e === 'string') return { error: e };
      throw e;
    }
    return { test: function (s, deadline) { return runProgram(prog, s, deadline); } };
  }
