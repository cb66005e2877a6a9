/*
 * page-model.js - the page script's first part: opens the script's one
 * function scope (page-window.js closes it), then decodes the embedded data
 * once into the model, and holds the default source, the formatting helpers
 * and the page's state.
 *
 * The page script is five files concatenated by mf-html/build.mk into one
 * function scope, in this order:
 *   page-model.js    decodeModel(DATA) -> model: metadata, frames, stacks (once);
 *                    source.values(model) -> what each stack weighs now (the
 *                    extension point: a temporal mode swaps the source)
 *   page-tree.js     buildTree(model, values, f) -> tree for the current
 *                    filters (hide, thread); zoom paths
 *   page-draw.js     draw() -> canvas, from the tree and the view state;
 *                    the tooltip and the memory chart
 *   page-controls.js the URL fragment, search, buttons, header and panels
 *   page-window.js   window.mf (docs/REPORT.md) and the start
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

  function compileHide(extra, warnings) {
    var res = [];
    extra.forEach(function (src) {
      try { res.push(new RegExp(src)); }
      catch (e) { warnings.push('ignored --hide pattern that is not a valid regular expression: ' + src); }
    });
    return res;
  }

  function isHidden(func, loc, extra) {
    var i;
    for (i = 0; i < HIDDEN_FUNCTIONS.length; i++) if (HIDDEN_FUNCTIONS[i].test(func)) return true;
    for (i = 0; i < HIDDEN_LOCATIONS.length; i++) if (HIDDEN_LOCATIONS[i].test(loc)) return true;
    for (i = 0; i < extra.length; i++) if (extra[i].test(func) || extra[i].test(loc)) return true;
    return false;
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

  function makeFrame(text, extraHide) {
    var th = /^thread (\d+)(?: \((.*)\))?$/.exec(text);
    if (th) return { text: text, func: 'thread ' + th[1], loc: th[2] || '', kind: 'thread',
                     hidden: false, thread: Number(th[1]), threadName: th[2] || '' };
    var p = splitFrame(text);
    var hidden = isHidden(p.func, p.loc, extraHide);
    var kind = hidden ? 'system' : text === '<STACK TOO DEEP>' ? 'system' : isLibrary(p.func, p.loc) ? 'lib' : 'user';
    return { text: text, func: p.func, loc: p.loc, kind: kind, hidden: hidden, thread: -1, threadName: '',
             short: shortName(p.func) };
  }

  function decodeModel(d) {
    var warnings = [];
    var meta = {}, threads = [], memory = [], stackMeta = [];
    d.meta.forEach(function (kv) {
      /* Per-stack keys stay raw, for a mode that needs them (temporal). */
      if (kv.length > 2) { stackMeta.push({ stack: kv[2], key: kv[0], raw: kv[1] }); return; }
      var r = parseJSON(kv[1]);
      if (!r.ok) { warnings.push('ignored metadata ' + kv[0] + ' that is not valid JSON'); return; }
      if (kv[0] === 'thread') threads.push(r.value);
      else if (kv[0] === 'memory') { if (Array.isArray(r.value) && r.value.length >= 3) memory.push(r.value); }
      else meta[kv[0]] = r.value;
    });
    var extraHide = compileHide(d.hide || [], warnings);
    var frames = d.frames.map(function (t) { return makeFrame(t, extraHide); });
    /* Stacks come prefix-compressed: shared, n, n frame ids, value, count. */
    var stacks = [], prev = [], a = d.stacks, i = 0;
    while (i < a.length) {
      var shared = a[i++], n = a[i++];
      var fr = prev.slice(0, shared);
      for (var j = 0; j < n; j++) fr.push(a[i++]);
      stacks.push({ frames: fr, value: a[i++], count: a[i++] });
      prev = fr;
    }
    return { meta: meta, threads: threads, memory: memory, frames: frames, stacks: stacks, stackMeta: stackMeta,
             counted: !!d.counted, title: d.title, warnings: warnings,
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
    var byNum = {};
    model.threads.forEach(function (t) {
      if (t && typeof t.thread === 'number') byNum[t.thread] = { num: t.thread, name: String(t.name || ''), tid: t.tid };
    });
    model.frames.forEach(function (f) {
      if (f.thread >= 0 && !byNum[f.thread]) byNum[f.thread] = { num: f.thread, name: f.threadName, tid: null };
      else if (f.thread >= 0 && !byNum[f.thread].name) byNum[f.thread].name = f.threadName;
    });
    return Object.keys(byNum).map(function (k) { return byNum[k]; })
      .sort(function (x, y) { return x.num - y.num; });
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
  function fmtDate(ms) { return new Date(ms).toISOString().replace('T', ' ').replace(/\.\d+Z$/, ' UTC'); }
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

  var timing = { parse: 0, decode: 0, build: 0 };
  var tp = performance.now();
  var DATA = JSON.parse($('mf-data').textContent);
  timing.parse = performance.now() - tp;
  tp = performance.now();
  var model = decodeModel(DATA);
  timing.decode = performance.now() - tp;
  var threadOf = stackThreads(model);
  var threads = threadList(model);
  var split = model.meta.split_threads === true || threads.length > 0 && model.frames.some(function (f) { return f.thread >= 0; });

  var app = {
    source: defaultSource,
    vals: null,
    tree: null,
    view: { flame: false, zoom: null, search: '', thread: null, hide: true },
    searchRe: null,
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
