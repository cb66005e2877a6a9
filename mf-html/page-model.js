/*
 * page-model.js - the page script's first part: opens the script's one
 * function scope (page-window.js closes it), then decodes the embedded data
 * into the model (type by type: one malformed value only loses itself), and
 * holds the default source, the formatting helpers and the page's state.
 *
 * The page script is seven files concatenated by mf-html/build.mk into one
 * function scope, in this order:
 *   page-model.js    decodeModel(DATA) -> model: metadata, frames, stacks (once);
 *                    source.values(model) -> what each stack weighs now (the
 *                    extension point: a temporal mode swaps the source)
 *   page-match.js    the user's regular expressions, without backtracking
 *   page-tree.js     buildTree(model, values, f) -> tree for the current
 *                    filters (hide, thread); zoom paths
 *   page-draw.js     draw() -> canvas, from the tree and the view state;
 *                    the tooltip and the memory chart
 *   page-controls.js the URL fragment, search, buttons, header and panels
 *   page-diff.js     the differential mode, for mf-diff's output (model.diff)
 *   page-window.js   window.mf (docs/REPORT.md) and the start
 * The parts only declare (functions, and variables set from constants or
 * the document); page-window.js starts the page once all of them are set.
 * No data text ever goes through innerHTML: it is set with textContent or
 * drawn on the canvas.
 */
(function () {
  'use strict';

  /* ---------------------------------------------------------------- model */

  /* Frames hidden by "Hide irrelevant frames" (documented in docs/REPORT.md). */
  var HIDDEN_FUNCTIONS = [
    /* C library start-up and thread trampolines */
    /^(_start|__libc_start_main|__libc_start_main_impl|__libc_start_call_main|__libc_csu_init|start_thread|clone|clone3|__clone|__clone3|__clone_internal|__GI___clone|__GI___clone3|__GI___clone_internal)$/,
    /* dynamic loader internals */
    /^(_dl_[A-Za-z0-9_]*|dl_main|call_init|_dl_start_user)$/,
    /* allocator wrappers */
    /^operator new(\[\])?(\(|$)/,
    /^(__gnu_cxx::new_allocator|std::__new_allocator|std::allocator|std::allocator_traits)</
  ];
  var HIDDEN_LOCATIONS = [
    /(^|\/)ld-linux[^/]*$/,              /* the dynamic loader module */
    /(^|\/)ld-linux[^/]*\+0x/,
    /(^|\/)libmf-record\.so/             /* the recorder's own frames */
  ];

  function parseJSON(raw) {
    try { return { ok: true, value: JSON.parse(raw) }; } catch (e) { return { ok: false }; }
  }

  /* "func (loc)" -> func, loc: the same split as lib/folded.c. */
  function splitFrame(text) {
    var n = text.length;
    if (n < 4 || text.charAt(n - 1) !== ')') return { func: text, loc: '' };
    for (var i = n - 2; i >= 0; i--) {
      var c = text.charAt(i);
      if (c === ')') break;
      if (c === '(') {
        if (i === 0 || text.charAt(i - 1) !== ' ' || i + 1 === n - 1) break;
        return { func: text.slice(0, i - 1), loc: text.slice(i + 1, n - 1) };
      }
    }
    return { func: text, loc: '' };
  }

  function isHidden(func, loc) {
    var i;
    for (i = 0; i < HIDDEN_FUNCTIONS.length; i++) if (HIDDEN_FUNCTIONS[i].test(func)) return true;
    for (i = 0; i < HIDDEN_LOCATIONS.length; i++) if (HIDDEN_LOCATIONS[i].test(loc)) return true;
    return false;
  }

  /*
   * Which frames the --hide patterns hide (a Uint8Array over frames), each
   * pattern matched through page-match.js within MATCH_BUDGET_MS: one that
   * is not valid, or too slow for these frames, is left out with a warning.
   */
  function extraHidden(parts, patterns, warnings) {
    var out = new Uint8Array(parts.length);
    patterns.forEach(function (src) {
      if (typeof src !== 'string') return;
      var m = compileMatcher(src), hit = new Uint8Array(parts.length);
      if (m.error) { warnings.push('ignored --hide pattern (' + m.error + '): ' + src); return; }
      var deadline = performance.now() + MATCH_BUDGET_MS;
      try {
        for (var i = 0; i < parts.length; i++) hit[i] = m.test(parts[i].func, deadline) || m.test(parts[i].loc, deadline) ? 1 : 0;
      } catch (e) {
        if (e !== SLOW) throw e;
        warnings.push('ignored --hide pattern that was too slow to match: ' + src);
        return;
      }
      for (var j = 0; j < parts.length; j++) out[j] |= hit[j];
    });
    return out;
  }

  function isLibrary(func, loc) {
    if (loc === '' || !/:\d+$/.test(loc)) return true;      /* a module, no line information */
    if (/^\/usr\//.test(loc)) return true;                  /* system headers and sources */
    if (/^(\.\.?\/)+(csu|sysdeps|elf|nptl|malloc|libio|stdlib|string|misc)\//.test(loc)) return true; /* glibc's own sources */
    return /^(std::|__gnu_cxx::|__cxxabiv1::|_IO_|__libc_|__GI_)/.test(func) || /\+0x[0-9a-f]+$/.test(func);
  }

  /*
   * A short form of a C++ name for narrow boxes: no template arguments, no
   * parameter list, the last two scopes.  "ns::Cls<int>::run(int) const"
   * gives "Cls::run".
   */
  function shortName(func) {
    var out = '', depth = 0, i, c;
    for (i = 0; i < func.length; i++) {
      c = func.charAt(i);
      if (c === '<' && !/operator\s*<*$/.test(func.slice(0, i))) depth++;
      else if (c === '>' && depth > 0) depth--;
      else if (depth === 0) out += c;
    }
    var paren = out.indexOf('(');
    if (paren > 0 && !/operator\s*\(?$/.test(out.slice(0, paren))) out = out.slice(0, paren);
    var parts = out.split('::');
    return parts.length > 2 ? parts.slice(-2).join('::') : out;
  }

  /* A thread frame's name may hold any byte but NUL, a newline too. */
  var THREAD_FRAME = /^thread (\d+)(?: \(([\s\S]*)\))?$/;

  function makeFrame(text, p, userHidden) {
    var th = THREAD_FRAME.exec(text);
    if (th) return { text: text, func: 'thread ' + th[1], loc: th[2] || '', kind: 'thread',
                     hidden: false, thread: Number(th[1]), threadName: th[2] || '' };
    var hidden = userHidden || isHidden(p.func, p.loc);
    var kind = hidden ? 'system' : text === '<STACK TOO DEEP>' ? 'system' : isLibrary(p.func, p.loc) ? 'lib' : 'user';
    return { text: text, func: p.func, loc: p.loc, kind: kind, hidden: hidden, thread: -1, threadName: '',
             short: shortName(p.func) };
  }

  /*
   * The types of the metadata keys the page reads (docs/FORMAT.md): a key
   * of another type is dropped with a warning, so one malformed value only
   * loses itself.  Numbers are finite and not negative; a time since the
   * epoch is one a Date can hold.
   */
  var MAX_TIME_MS = 8.64e15;
  function isCount(v) { return typeof v === 'number' && isFinite(v) && v >= 0; }
  function isText(v) { return typeof v === 'string'; }
  function isFlag(v) { return typeof v === 'boolean'; }
  function isWords(v) { return Array.isArray(v) && v.every(isText); }
  var META_TYPES = new Map([
    ['reducer', [isText, 'a string']], ['value', [isText, 'a string']], ['command', [isText, 'a string']],
    ['ended', [isText, 'a string']], ['argv', [isWords, 'a list of strings']],
    ['inverted', [isFlag, 'true or false']], ['split_threads', [isFlag, 'true or false']],
    ['truncated', [isFlag, 'true or false']],
    ['start_ms', [function (v) { return isCount(v) && v <= MAX_TIME_MS; }, 'a time']]
  ]);
  ['pid', 'duration_ms', 'interval_ms', 'temporary_threshold', 'total_allocations', 'total_frees',
   'total_bytes', 'untracked_frees', 'lost_events', 'peak_bytes', 'peak_time_ms', 'peak_allocations',
   'leaked_bytes', 'leaked_allocations', 'shown_bytes', 'shown_allocations', 'slices',
   'max_memory_records', 'at_ms', 'since_ms'].forEach(function (k) { META_TYPES.set(k, [isCount, 'a number']); });

  function isThread(t) {
    return t !== null && typeof t === 'object' && Number.isSafeInteger(t.thread) && t.thread >= 0 &&
      (t.name === undefined || isText(t.name)) && (t.tid === undefined || isCount(t.tid));
  }
  function isMemoryRecord(r) { return Array.isArray(r) && r.length >= 3 && isCount(r[0]) && isCount(r[1]) && isCount(r[2]); }

  /* One metadata line into the model: meta, threads or memory; what it should be when it is not, else ''. */
  function addMeta(m, key, value) {
    if (key === 'thread') {
      if (!isThread(value)) return 'a {"thread":N,"tid":TID,"name":"NAME"}';
      m.threads.push({ thread: value.thread, tid: value.tid === undefined ? null : value.tid, name: value.name || '' });
    } else if (key === 'memory') {
      if (!isMemoryRecord(value)) return 'a [MS,HEAP,RSS] of numbers';
      m.memory.push([value[0], value[1], value[2]]);
    } else {
      var type = META_TYPES.get(key);
      if (type && !type[0](value)) return type[1];
      m.meta[key] = value;
    }
    return '';
  }

  function decodeModel(d) {
    var warnings = [];
    /* No prototype: a key named __proto__ or constructor is a key like any other. */
    var m = { meta: Object.create(null), threads: [], memory: [] }, stackMeta = [];
    d.meta.forEach(function (kv) {
      /* Per-stack keys stay raw, for a mode that needs them (temporal). */
      if (kv.length > 2) { stackMeta.push({ stack: kv[2], key: kv[0], raw: kv[1] }); return; }
      var r = parseJSON(kv[1]);
      if (!r.ok) { warnings.push('ignored metadata ' + kv[0] + ' that is not valid JSON'); return; }
      var wrong = addMeta(m, kv[0], r.value);
      if (wrong) warnings.push('ignored metadata ' + kv[0] + ' that is not ' + wrong);
    });
    var meta = m.meta;
    var parts = d.frames.map(splitFrame);
    var extra = extraHidden(parts, Array.isArray(d.hide) ? d.hide : [], warnings);
    var frames = d.frames.map(function (t, i) { return makeFrame(t, parts[i], extra[i] === 1); });
    /* Stacks come prefix-compressed: shared, n, n frame ids, value, count
       (a diff: then before, count before; page-diff.js). */
    var stacks = [], prev = [], a = d.stacks, i = 0, diff = d.diff === true;
    while (i < a.length) {
      var shared = a[i++], n = a[i++];
      var fr = prev.slice(0, shared);
      for (var j = 0; j < n; j++) fr.push(a[i++]);
      var st = { frames: fr, value: a[i++], count: a[i++], before: 0, beforeCount: 0 };
      if (diff) { st.before = a[i++]; st.beforeCount = a[i++]; }
      stacks.push(st);
      prev = fr;
    }
    return { meta: meta, threads: m.threads, memory: m.memory, frames: frames, stacks: stacks, stackMeta: stackMeta,
             counted: !!d.counted, title: d.title, warnings: warnings, diff: diff,
             unit: meta.value === 'count' ? 'count' : 'bytes' };
  }

  /* The thread of each stack (-1 when none): its first thread frame. */
  function stackThreads(model) {
    return model.stacks.map(function (s) {
      for (var i = 0; i < s.frames.length; i++) {
        var f = model.frames[s.frames[i]];
        if (f.thread >= 0) return f.thread;
      }
      return -1;
    });
  }

  /* Threads for the dropdown: "# thread=" lines, then thread frames. */
  function threadList(model) {
    var byNum = new Map();
    model.threads.forEach(function (t) { byNum.set(t.thread, { num: t.thread, name: t.name, tid: t.tid }); });
    model.frames.forEach(function (f) {
      if (f.thread < 0) return;
      var t = byNum.get(f.thread);
      if (!t) byNum.set(f.thread, { num: f.thread, name: f.threadName, tid: null });
      else if (!t.name) t.name = f.threadName;
    });
    return Array.from(byNum.values()).sort(function (x, y) { return x.num - y.num; });
  }

  /* ------------------------------------------------------------- sources */

  /*
   * A source says what each stack weighs: values(model) returns
   * { value: Float64Array, count: Float64Array } indexed like model.stacks.
   * The default is the folded input as it is.  A temporal mode registers
   * another source (selected by two range sliders) through
   * mf.extend({ source: ... }) and calls refresh() when its selection moves.
   */
  var defaultSource = {
    name: 'snapshot',
    values: function (model) {
      var n = model.stacks.length, v = new Float64Array(n), c = new Float64Array(n);
      for (var i = 0; i < n; i++) { v[i] = model.stacks[i].value; c[i] = model.stacks[i].count; }
      return { value: v, count: c };
    }
  };

  /* ------------------------------------------------------------- helpers */

  function fmtBytes(n) {
    var units = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB'], u = 0;
    n = Number(n) || 0;
    while (Math.abs(n) >= 1024 && u < units.length - 1) { n /= 1024; u++; }
    return u === 0 ? n + ' B' : (n >= 100 ? n.toFixed(0) : n >= 10 ? n.toFixed(1) : n.toFixed(2)) + ' ' + units[u];
  }
  function fmtInt(n) { return Math.round(Number(n) || 0).toLocaleString('en-US'); }
  /* "1 allocation", "5 allocations". */
  function fmtAllocs(n) { return fmtInt(n) + (Math.round(Number(n) || 0) === 1 ? ' allocation' : ' allocations'); }
  function fmtMs(ms) {
    ms = Number(ms) || 0;
    if (ms < 1000) return ms + ' ms';
    if (ms < 60000) return (ms / 1000).toFixed(2) + ' s';
    var m = Math.floor(ms / 60000);
    return m + ' min ' + ((ms - m * 60000) / 1000).toFixed(1) + ' s';
  }
  function fmtPct(x) { return (x * 100).toFixed(x >= 0.1 ? 1 : 2) + '%'; }
  /* A time since the epoch as "2025-11-26 03:30:00 UTC"; '' when a Date cannot hold it. */
  function fmtDate(ms) {
    var d = new Date(ms);
    return isNaN(d.getTime()) ? '' : d.toISOString().replace('T', ' ').replace(/\.\d+Z$/, ' UTC');
  }
  /* Control characters shown as the folded format writes them: "\x0a". */
  function visibleText(s) {
    return s.replace(/[\x00-\x1f\x7f]/g, function (c) { return '\\x' + (c.charCodeAt(0) < 16 ? '0' : '') + c.charCodeAt(0).toString(16); });
  }
  /* One word as a POSIX shell needs it: bare when safe, else in single quotes. */
  function shellWord(w) {
    return /^[A-Za-z0-9_@%+=:,.\/-]+$/.test(w) ? w : "'" + w.replace(/'/g, "'\\''") + "'";
  }
  /* The command line: argv quoted word by word, else the command string. */
  function commandLine(m) {
    if (m.argv) return m.argv.map(shellWord).join(' ');
    return m.command || '';
  }
  function $(id) { return document.getElementById(id); }
  function el(tag, text, cls) {
    var e = document.createElement(tag);
    if (text !== undefined) e.textContent = text;
    if (cls) e.className = cls;
    return e;
  }
  function hashStr(s) {
    var h = 2166136261;
    for (var i = 0; i < s.length; i++) { h ^= s.charCodeAt(i); h = Math.imul(h, 16777619); }
    return h >>> 0;
  }

  /* --------------------------------------------------------------- state */

  /*
   * The parts only declare: the page starts in page-window.js, once every
   * part's variables hold their values (decoding uses page-match.js's).
   */
  var timing = { parse: 0, decode: 0, build: 0 };
  var model = null, threadOf = null, threads = null, split = false;

  /* The embedded data into the model, once, at the start. */
  function loadModel() {
    var tp = performance.now();
    var data = JSON.parse($('mf-data').textContent);
    timing.parse = performance.now() - tp;
    tp = performance.now();
    model = decodeModel(data);
    timing.decode = performance.now() - tp;
    threadOf = stackThreads(model);
    threads = threadList(model);
    split = model.meta.split_threads === true || threads.length > 0 && model.frames.some(function (f) { return f.thread >= 0; });
  }

  var app = {
    source: defaultSource,
    vals: null,
    tree: null,
    view: { flame: false, zoom: null, search: '', thread: null, hide: true },
    searchRe: null,        /* the search's matcher (page-match.js) */
    searchProblem: null,   /* why the search matches nothing: invalid, unsupported, too slow */
    matchOf: null,         /* Uint8Array over frames: does the search match it */
    share: 0,
    dark: false,
    drawTime: 0,
    firstRender: 0,
    ext: null              /* the extension given to mf.extend, if any */
  };

  function valueText(n) { return model.unit === 'count' ? fmtAllocs(n) : fmtBytes(n); }

  function rebuild() {
    var tb = performance.now();
    if (!app.vals) app.vals = app.source.values(model);
    app.tree = buildTree(model, app.vals, { hide: app.view.hide, thread: app.view.thread, threadOf: threadOf });
    timing.build = performance.now() - tb;
    app.view.zoom = app.tree;
    computeSearch();
  }
