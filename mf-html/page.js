/*
 * mf-html page script: decodes the embedded data once, builds a call tree,
 * draws it on a canvas and keeps the view state in the URL fragment.
 *
 * Layers, each a plain function of the one before (docs/REPORT.md):
 *   decodeModel(DATA)           -> model: metadata, frames, stacks (once)
 *   source.values(model)        -> what each stack weighs now (the extension
 *                                  point: a temporal mode swaps the source)
 *   buildTree(model, values, f) -> tree for the current filters (hide, thread)
 *   draw()                      -> canvas, from the tree and the view state
 * No data text ever goes through innerHTML: it is set with textContent or
 * drawn on the canvas.
 */
(function () {
  'use strict';

  var ROW = 18;            /* px per frame row */
  var MIN_WIDTH = 1;       /* frames narrower than this many px are not drawn */
  var LABEL_FONT = '12px ui-monospace, "DejaVu Sans Mono", Menlo, monospace';

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

  /* ---------------------------------------------------------------- tree */

  var NO_KIDS = [];
  /*
   * The numeric fields start as doubles (1.5, then 0): they hold byte
   * counts that outgrow small integers, and an object whose field changes
   * representation later is migrated, slowly, one by one.
   */
  function newNode(id, frame, parent, depth) {
    var n = { id: id, f: frame, parent: parent, depth: depth, kids: NO_KIDS,
              total: 1.5, self: 1.5, count: 1.5, selfCount: 1.5, x: 1.5, height: 0 };
    n.total = n.self = n.count = n.selfCount = n.x = 0;
    return n;
  }

  /*
   * Build the call tree of the stacks that pass the filters.  A hidden
   * frame is skipped: its callees attach to its caller, merging with
   * callees of the same frame, so its bytes stay with its caller.
   * Speed: children are found in one Map keyed by (parent, frame), and a
   * stack's prefix shared with the stack before it (the input is sorted)
   * is reused without any lookup.
   */
  function buildTree(model, vals, opts) {
    var root = newNode(0, -1, null, 0), all = [root];
    var frames = model.frames, stacks = model.stacks, F = frames.length + 1;
    var index = new Map(), path = [root], pframes = [];
    for (var s = 0; s < stacks.length; s++) {
      var v = vals.value[s], c = vals.count[s];
      if (opts.thread !== null && opts.threadOf[s] !== opts.thread) continue;
      if (v === 0 && c === 0) continue;
      var node = root, d = 0, same = true, fr = stacks[s].frames;
      for (var i = 0; i < fr.length; i++) {
        var f = fr[i];
        if (opts.hide && frames[f].hidden) continue;
        if (same && d < pframes.length && pframes[d] === f) { node = path[++d]; continue; }
        same = false;
        var key = node.id * F + f, kid = index.get(key);
        if (!kid) {
          kid = newNode(all.length, f, node, node.depth + 1);
          all.push(kid);
          index.set(key, kid);
          if (node.kids === NO_KIDS) node.kids = [kid]; else node.kids.push(kid);
        }
        node = kid;
        pframes[d] = f;
        path[++d] = kid;
      }
      pframes.length = d;
      path.length = d + 1;
      node.self += v;
      node.selfCount += c;
    }
    finishTree(all, model);
    app.nodes = all.length;
    return root;
  }

  /*
   * Totals, child order (widest first, then by name), x offsets, heights.
   * all[] is in creation order, so every parent comes before its children.
   */
  function finishTree(all, model) {
    var n, i, frames = model.frames;
    var byWidth = function (a, b) {
      return b.total - a.total || (frames[a.f].text < frames[b.f].text ? -1 : frames[a.f].text > frames[b.f].text ? 1 : 0);
    };
    for (i = all.length - 1; i >= 0; i--) {
      n = all[i];
      n.total += n.self;
      n.count += n.selfCount;
      var p = n.parent;
      if (p) {
        p.total += n.total;
        p.count += n.count;
        if (n.height + 1 > p.height) p.height = n.height + 1;
      }
    }
    for (i = 0; i < all.length; i++) {
      n = all[i];
      if (n.kids.length > 1) n.kids.sort(byWidth);
      var x = n.x;
      for (var k = 0; k < n.kids.length; k++) { n.kids[k].x = x; x += n.kids[k].total; }
    }
  }

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

  /* The zoomed node as a path of frame ids from the root. */
  function zoomPath(n) {
    var p = [];
    for (; n && n.parent; n = n.parent) p.unshift(n.f);
    return p;
  }
  /*
   * The node at path p, or its deepest existing ancestor.  Frames that are
   * hidden now may be missing from p (it was saved while they were hidden):
   * they are stepped through.
   */
  function findPath(p) {
    var n = app.tree;
    for (var i = 0; i < p.length; i++) {
      var next = childThroughHidden(n, p[i], 8);
      if (!next) break;
      n = next;
    }
    return n;
  }
  function childThroughHidden(n, f, depth) {
    var k, c;
    for (k = 0; k < n.kids.length; k++) if (n.kids[k].f === f) return n.kids[k];
    if (depth === 0) return null;
    for (k = 0; k < n.kids.length; k++) {
      if (!model.frames[n.kids[k].f].hidden) continue;
      c = childThroughHidden(n.kids[k], f, depth - 1);
      if (c) return c;
    }
    return null;
  }

  /* ----------------------------------------------------------- fragment */

  function fragment() {
    var q = new URLSearchParams();
    if (app.view.flame) q.set('view', 'flame');
    var zp = zoomPath(app.view.zoom);
    if (zp.length) q.set('zoom', zp.join('.'));
    if (app.view.search) q.set('search', app.view.search);
    if (app.view.thread !== null) q.set('thread', String(app.view.thread));
    if (!app.view.hide) q.set('hide', '0');
    if (app.ext && app.ext.fragment) app.ext.fragment(q);   /* its own keys (temporal: from, to) */
    var s = q.toString();
    return s ? '#' + s : '';
  }

  function saveState(push) {
    var f = fragment();
    if (f === location.hash || (f === '' && location.hash === '')) return;
    var url = location.pathname + location.search + (f || '#');
    if (push) history.pushState(null, '', url); else history.replaceState(null, '', url);
  }

  function applyFragment() {
    var q = new URLSearchParams(location.hash.replace(/^#/, ''));
    var v = app.view;
    var hide = q.get('hide') !== '0';
    var thread = q.has('thread') && /^\d+$/.test(q.get('thread')) ? Number(q.get('thread')) : null;
    if (thread !== null && !split) thread = null;
    var needBuild = !app.tree || hide !== v.hide || thread !== v.thread;
    v.hide = hide;
    v.thread = thread;
    v.flame = q.get('view') === 'flame';
    v.search = q.get('search') || '';
    /* The extension reads its keys; true when its selection changed. */
    if (app.ext && app.ext.applyFragment && app.ext.applyFragment(q)) { app.vals = null; needBuild = true; }
    if (needBuild) rebuild();
    var zp = (q.get('zoom') || '').split('.').filter(function (s) { return /^\d+$/.test(s); }).map(Number);
    v.zoom = findPath(zp);
    computeSearch();
    syncControls();
    draw();
  }

  /* -------------------------------------------------------------- search */

  function computeSearch() {
    var src = app.view.search, box = $('mf-search');
    app.searchRe = null;
    app.matchOf = null;
    app.share = 0;
    box.classList.remove('mf-bad');
    if (!src) { $('mf-match').textContent = ''; return; }
    try { app.searchRe = new RegExp(src); }
    catch (e) { box.classList.add('mf-bad'); $('mf-match').textContent = 'not a valid regular expression'; return; }
    var m = new Uint8Array(model.frames.length);
    for (var i = 0; i < model.frames.length; i++) {
      var f = model.frames[i];
      m[i] = app.searchRe.test(f.func) || app.searchRe.test(f.loc) ? 1 : 0;
    }
    app.matchOf = m;
    /* The share counts each matched subtree once: nested matches add nothing. */
    var total = 0, stack = [app.tree];
    while (stack.length) {
      var n = stack.pop();
      if (n.f >= 0 && m[n.f]) { total += n.total; continue; }
      for (var k = 0; k < n.kids.length; k++) stack.push(n.kids[k]);
    }
    app.share = app.tree.total ? total / app.tree.total : 0;
    var out = $('mf-match');
    out.textContent = '';
    out.appendChild(el('b', fmtPct(app.share)));
    out.appendChild(document.createTextNode(' of the total (' + valueText(total) + ')'));
    app.matchTotal = total;
  }

  /* ---------------------------------------------------------------- draw */

  var canvas = $('mf-canvas'), ctx = canvas.getContext('2d');
  var charW = 7.2;
  var layout = { width: 0, rows: 0, x0: 0, scale: 0 };

  function frameColour(n) {
    if (n.f < 0) return app.dark ? 'hsl(220,8%,42%)' : 'hsl(220,8%,78%)';
    var f = model.frames[n.f];
    if (app.matchOf && app.matchOf[n.f]) return app.dark ? '#d6336c' : '#f06595';
    var h = hashStr(f.func), l = app.dark ? 8 : 0;
    switch (f.kind) {
      case 'user': return 'hsl(' + (8 + h % 38) + ',' + (78 + h % 17) + '%,' + (58 + (h >> 8) % 12 - l) + '%)';
      case 'lib': return 'hsl(' + (185 + h % 35) + ',' + (45 + h % 20) + '%,' + (60 + (h >> 8) % 12 - l) + '%)';
      case 'thread': return 'hsl(265,45%,' + (68 + h % 8 - l) + '%)';
      default: return 'hsl(220,' + (4 + h % 5) + '%,' + (68 + (h >> 8) % 10 - l) + '%)';
    }
  }

  function label(n) {
    if (n.f < 0) {
      var what = app.view.thread !== null ? 'thread ' + app.view.thread + ' only' : 'all threads';
      return '<root>  ' + valueText(n.total) + (split ? ' (' + what + ')' : '');
    }
    var f = model.frames[n.f];
    if (f.kind === 'thread') return f.text;
    return f.func;
  }

  /* The label's second part, shown when there is room: "file.c:12". */
  function labelLoc(n) {
    if (n.f < 0) return '';
    var f = model.frames[n.f];
    return f.kind === 'thread' || !f.loc ? '' : f.loc.replace(/^.*\//, '');
  }

  function rowY(depth) {
    return app.view.flame ? (layout.rows - 1 - depth) * ROW : depth * ROW;
  }

  function draw() {
    var t = performance.now();
    var tree = app.tree, zoom = app.view.zoom;
    var empty = !tree || tree.total === 0;
    $('mf-empty').hidden = !empty;
    $('mf-graph').hidden = empty;
    $('mf-reset').disabled = zoom === tree;
    if (empty) { app.drawTime = performance.now() - t; return; }
    var width = $('mf-graph').clientWidth || 800;
    var rows = zoom.depth + zoom.height + 1;
    var dpr = window.devicePixelRatio || 1;
    layout.width = width;
    layout.rows = rows;
    layout.x0 = zoom.x;
    layout.scale = zoom.total ? width / zoom.total : 0;
    canvas.style.height = rows * ROW + 'px';
    canvas.width = Math.round(width * dpr);
    canvas.height = Math.round(rows * ROW * dpr);
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    ctx.clearRect(0, 0, width, rows * ROW);
    ctx.font = LABEL_FONT;
    ctx.textBaseline = 'middle';
    charW = ctx.measureText('M').width || charW;
    /* The zoomed frame's callers span the whole width, dimmed. */
    ctx.globalAlpha = 0.55;
    for (var a = zoom.parent; a; a = a.parent) box(a, 0, width);
    ctx.globalAlpha = 1;
    var stack = [zoom];
    while (stack.length) {
      var n = stack.pop();
      var x = (n.x - layout.x0) * layout.scale, w = n.total * layout.scale;
      if (w < MIN_WIDTH) continue;      /* and so are all its callees */
      box(n, x, w);
      for (var k = n.kids.length - 1; k >= 0; k--) stack.push(n.kids[k]);
    }
    app.drawTime = performance.now() - t;
    if (!app.firstRender) app.firstRender = performance.now();
  }

  function box(n, x, w) {
    var y = rowY(n.depth);
    ctx.fillStyle = frameColour(n);
    ctx.fillRect(x, y, Math.max(w - (w > 3 ? 1 : 0), 0.5), ROW - 1);
    if (w < charW * 3 + 6) return;
    var text = label(n), loc = labelLoc(n), fit = Math.floor((w - 6) / charW);
    if (loc && text.length + 2 + loc.length <= fit) {
      ctx.fillStyle = '#111';
      ctx.fillText(text, x + 3, y + ROW / 2);
      ctx.fillStyle = '#4a4a4a';
      ctx.fillText(loc, x + 3 + (text.length + 2) * charW, y + ROW / 2);
      return;
    }
    if (text.length > fit && n.f >= 0 && model.frames[n.f].short) text = model.frames[n.f].short;
    if (text.length > fit) text = fit >= 3 ? text.slice(0, fit - 1) + '\u2026' : '';
    if (!text) return;
    ctx.fillStyle = '#111';
    ctx.fillText(text, x + 3, y + ROW / 2);
  }

  /* The node under canvas point (px, py), or null. */
  function nodeAt(px, py) {
    var zoom = app.view.zoom;
    var row = Math.floor(py / ROW);
    var depth = app.view.flame ? layout.rows - 1 - row : row;
    if (depth < 0 || depth >= layout.rows) return null;
    if (depth < zoom.depth) {
      var a = zoom;
      while (a.depth > depth) a = a.parent;
      return a;
    }
    var v = layout.x0 + px / layout.scale, n = zoom;
    if (v < n.x || v >= n.x + n.total) return null;
    while (n.depth < depth) {
      var next = null;
      for (var k = 0; k < n.kids.length; k++) {
        var c = n.kids[k];
        if (v >= c.x && v < c.x + c.total) { next = c; break; }
      }
      if (!next) return null;
      n = next;
    }
    return (n.total * layout.scale) >= MIN_WIDTH ? n : null;
  }

  /* ------------------------------------------------------------- tooltip */

  var tip = $('mf-tip');
  function showTip(n, cx, cy) {
    tip.textContent = '';
    var f = n.f >= 0 ? model.frames[n.f] : null;
    tip.appendChild(el('div', f ? f.func : '<root>', 'mf-tip-fn'));
    tip.appendChild(el('div', f ? (f.loc || 'unknown location') : 'all allocations', 'mf-tip-loc'));
    var rows = [
      ['Total', valueText(n.total)],
      ['Self', valueText(n.self)],
      ['Share of total', app.tree.total ? fmtPct(n.total / app.tree.total) : '-']
    ];
    if (model.counted && model.unit !== 'count') rows.push(['Allocations', fmtInt(n.count) + (n.selfCount ? ' (' + fmtInt(n.selfCount) + ' here)' : '')]);
    if (f && f.hidden) rows.push(['Kind', 'irrelevant frame (shown because hiding is off)']);
    var table = el('table');
    rows.forEach(function (r) {
      var tr = el('tr');
      tr.appendChild(el('td', r[0]));
      tr.appendChild(el('td', r[1]));
      table.appendChild(tr);
    });
    tip.appendChild(table);
    tip.hidden = false;
    var w = tip.offsetWidth, h = tip.offsetHeight;
    var x = cx + 14, y = cy + 16;
    if (x + w > window.innerWidth - 4) x = Math.max(4, cx - w - 10);
    if (y + h > window.innerHeight - 4) y = Math.max(4, cy - h - 10);
    tip.style.left = x + 'px';
    tip.style.top = y + 'px';
  }

  /* ------------------------------------------------------------ controls */

  function zoomTo(n, push) {
    if (!n || n === app.view.zoom) return;
    app.view.zoom = n;
    draw();
    saveState(push);
  }

  function syncControls() {
    $('mf-orient').textContent = app.view.flame ? 'Icicle view' : 'Flame view';
    $('mf-hide').checked = app.view.hide;
    if (document.activeElement !== $('mf-search')) $('mf-search').value = app.view.search;
    if (split) $('mf-thread').value = app.view.thread === null ? '' : String(app.view.thread);
  }

  function setTheme(dark) {
    app.dark = dark;
    document.documentElement.classList.toggle('mf-dark', dark);
    $('mf-theme').textContent = dark ? 'Light theme' : 'Dark theme';
    draw();
    drawSpark();
  }

  function wireControls() {
    canvas.addEventListener('click', function (e) {
      var r = canvas.getBoundingClientRect();
      var n = nodeAt(e.clientX - r.left, e.clientY - r.top);
      if (n) zoomTo(n, true);
    });
    canvas.addEventListener('mousemove', function (e) {
      var r = canvas.getBoundingClientRect();
      var n = nodeAt(e.clientX - r.left, e.clientY - r.top);
      if (n) showTip(n, e.clientX, e.clientY); else tip.hidden = true;
    });
    canvas.addEventListener('mouseleave', function () { tip.hidden = true; });
    $('mf-reset').addEventListener('click', function () { zoomTo(app.tree, true); });
    $('mf-orient').addEventListener('click', function () {
      app.view.flame = !app.view.flame;
      syncControls(); draw(); saveState(false);
    });
    $('mf-hide').addEventListener('change', function () {
      var zp = zoomPath(app.view.zoom);
      app.view.hide = this.checked;
      rebuild();
      app.view.zoom = zp.length ? findPath(zp.filter(function (f) { return !app.view.hide || !model.frames[f].hidden; })) : app.tree;
      draw(); saveState(false);
    });
    var searchTimer = 0;
    $('mf-search').addEventListener('input', function () {
      var box = this;
      clearTimeout(searchTimer);
      searchTimer = setTimeout(function () {
        app.view.search = box.value;
        computeSearch(); draw(); saveState(false);
      }, 120);
    });
    $('mf-search').addEventListener('keydown', function (e) {
      if (e.key === 'Enter') {
        clearTimeout(searchTimer);
        app.view.search = this.value;
        computeSearch(); draw(); saveState(false);
      }
    });
    if (split) {
      var sel = $('mf-thread');
      sel.appendChild(new Option('Reset (all threads)', ''));
      threads.forEach(function (t) {
        sel.appendChild(new Option(t.num + ': ' + (t.name || 'thread ' + t.num), String(t.num)));
      });
      $('mf-thread-box').hidden = false;
      sel.addEventListener('change', function () {
        app.view.thread = this.value === '' ? null : Number(this.value);
        rebuild(); draw(); saveState(false);
      });
    }
    $('mf-theme').addEventListener('click', function () {
      setTheme(!app.dark);
      try { localStorage.setItem('mf-theme', app.dark ? 'dark' : 'light'); } catch (e) { /* file: may refuse */ }
    });
    togglePanel('mf-stats-btn', 'mf-stats');
    togglePanel('mf-help-btn', 'mf-help');
    document.addEventListener('keydown', function (e) {
      var inField = e.target && (e.target.tagName === 'INPUT' || e.target.tagName === 'SELECT');
      if (e.key === '/' && !inField) { e.preventDefault(); $('mf-search').focus(); $('mf-search').select(); }
      else if (e.key === 'Escape' && !$('mf-memory').open) {
        if (inField) e.target.blur();
        zoomTo(app.tree, true);
      }
    });
    window.addEventListener('popstate', applyFragment);
    window.addEventListener('hashchange', applyFragment);
    var resizeTimer = 0;
    window.addEventListener('resize', function () { clearTimeout(resizeTimer); resizeTimer = setTimeout(draw, 60); });
  }

  function togglePanel(btn, panel) {
    $(btn).addEventListener('click', function () {
      var p = $(panel);
      p.hidden = !p.hidden;
      this.setAttribute('aria-expanded', String(!p.hidden));
    });
  }

  /* -------------------------------------------------------------- header */

  var REDUCERS = {
    peak: ['Peak memory', 'the allocations that were live when heap usage was at its highest'],
    leaks: ['Leaked memory', 'the allocations still live when the recording ended'],
    temporary: ['Temporary allocations', 'allocations freed again soon after they were made'],
    all: ['All allocations', 'every allocation made during the recording'],
    folded: ['Folded stacks', 'the folded stacks given to mf-html'],
    temporal: ['Peak memory', 'the allocations that were live when heap usage was at its highest'],
    'temporal-leaks': ['Leaked memory', 'the allocations still live when the recording ended']
  };

  function header() {
    var m = model.meta, r = REDUCERS[m.reducer] || ['Memory flame graph', 'the folded stacks given to mf-html'];
    var kind = r[0] + (m.inverted === true ? ' (inverted)' : '');
    var title = model.title || kind + (m.command ? ': ' + m.command : '');
    document.title = title;
    // Plain flamegraph.pl input has no reducer: its kind already says "flame graph".
    $('mf-title').textContent = model.title ||
      'mf \u2014 ' + r[0].toLowerCase() + (REDUCERS[m.reducer] ? ' flame graph' : '');
    $('mf-kind').textContent = m.reducer === 'temporary' && m.temporary_threshold !== undefined
      ? kind + ', threshold ' + m.temporary_threshold : kind;
    $('mf-inverted').hidden = m.inverted !== true;
    if (m.command) $('mf-command').textContent = '$ ' + m.command;
    var t = $('mf-totals');
    var shown = app.tree.total, count = app.tree.count;
    var parts = [];
    var what = /leaks$/.test(m.reducer) ? 'Leaked' : /^(peak|temporal)$/.test(m.reducer) ? 'At the peak' : 'Shown';
    parts.push([what + ': ', valueText(shown)]);
    if (model.counted && model.unit !== 'count') parts.push(['in ', fmtAllocs(count)]);
    if (typeof m.peak_bytes === 'number' && what !== 'At the peak') parts.push(['peak heap ', fmtBytes(m.peak_bytes)]);
    if (typeof m.peak_time_ms === 'number') parts.push(['peak at ', fmtMs(m.peak_time_ms)]);
    if (typeof m.duration_ms === 'number') parts.push(['duration ', fmtMs(m.duration_ms)]);
    if (typeof m.total_allocations === 'number') parts.push(['', fmtInt(m.total_allocations) + ' allocations in all']);
    parts.forEach(function (p, i) {
      if (i) t.appendChild(document.createTextNode(' \u00b7 '));
      t.appendChild(document.createTextNode(p[0]));
      t.appendChild(el('b', p[1]));
    });
    if (m.truncated === true) model.warnings.push('the recording was incomplete: this report shows what could be computed');
    $('mf-help-what').textContent = 'This report shows ' + r[1] +
      (m.inverted === true ? ', inverted: the functions that allocated are next to the root and their callers follow' : '') +
      '. Widths are ' + (model.unit === 'count' ? 'numbers of allocations' : 'bytes (1 KiB = 1024 bytes)') + '.';
  }

  function statsPanel() {
    var m = model.meta, dl = $('mf-stats-list');
    var rows = [];
    function add(k, v) { if (v !== undefined && v !== null && v !== '') rows.push([k, String(v)]); }
    add('Command line', m.command);
    add('Process id', m.pid);
    if (typeof m.start_ms === 'number') add('Start time', fmtDate(m.start_ms));
    if (typeof m.start_ms === 'number' && typeof m.duration_ms === 'number') add('End time', fmtDate(m.start_ms + m.duration_ms));
    if (typeof m.duration_ms === 'number') add('Duration', fmtMs(m.duration_ms));
    add('Ended with', m.ended);
    if (typeof m.total_allocations === 'number') add('Total allocations', fmtInt(m.total_allocations));
    if (typeof m.total_frees === 'number') add('Total frees', fmtInt(m.total_frees));
    if (typeof m.total_bytes === 'number') add('Total allocated', fmtBytes(m.total_bytes));
    if (typeof m.peak_bytes === 'number') add('Peak heap', fmtBytes(m.peak_bytes) + ' (' + fmtInt(m.peak_bytes) + ' bytes)');
    if (typeof m.peak_time_ms === 'number') add('Peak reached at', fmtMs(m.peak_time_ms));
    if (typeof m.peak_allocations === 'number') add('Live allocations at the peak', fmtInt(m.peak_allocations));
    if (typeof m.leaked_bytes === 'number') add('Leaked', fmtBytes(m.leaked_bytes) + ' in ' + fmtAllocs(m.leaked_allocations));
    add('Shown', valueText(app.tree.total) + (model.counted && model.unit !== 'count' ? ' in ' + fmtAllocs(app.tree.count) : ''));
    add('Distinct frames', fmtInt(model.frames.length));
    add('Distinct stacks', fmtInt(model.stacks.length));
    if (split) add('Threads', fmtInt(threads.length));
    if (typeof m.interval_ms === 'number') add('Memory sampled every', fmtMs(m.interval_ms));
    rows.forEach(function (r) { dl.appendChild(el('dt', r[0])); dl.appendChild(el('dd', r[1])); });
  }

  function legend() {
    var lg = $('mf-legend');
    [['mf-sw-user', 'your code'], ['mf-sw-lib', 'libraries'], ['mf-sw-sys', 'system / irrelevant'],
     ['mf-sw-thread', 'threads'], ['mf-sw-match', 'search match']].forEach(function (p) {
      var s = el('span');
      s.appendChild(el('span', undefined, 'mf-sw ' + p[0]));
      s.appendChild(document.createTextNode(p[1]));
      lg.appendChild(s);
    });
    lg.appendChild(el('span', model.unit === 'count'
      ? 'width = number of allocations'
      : 'width = bytes; B, KiB (1024 B), MiB (1024 KiB), GiB (1024 MiB)'));
    if (model.warnings.length) {
      var w = $('mf-warning');
      w.textContent = model.warnings.join('; ');
      w.hidden = false;
    }
  }

  /* -------------------------------------------------------------- memory */

  function chart(cv, w, h, opts) {
    var c = cv.getContext('2d'), mem = model.memory, dpr = window.devicePixelRatio || 1;
    cv.width = w * dpr; cv.height = h * dpr;
    cv.style.width = w + 'px'; cv.style.height = h + 'px';
    c.setTransform(dpr, 0, 0, dpr, 0, 0);
    c.clearRect(0, 0, w, h);
    var cs = getComputedStyle(document.documentElement);
    var tmax = mem[mem.length - 1][0] || 1, vmax = 1;
    mem.forEach(function (r) { vmax = Math.max(vmax, r[1], r[2]); });
    var L = opts.axes ? 70 : 2, R = 8, T = opts.axes ? 10 : 3, B = opts.axes ? 26 : 3;
    var X = function (t) { return L + (w - L - R) * t / tmax; };
    var Y = function (v) { return h - B - (h - T - B) * v / vmax; };
    if (opts.axes) {
      c.strokeStyle = cs.getPropertyValue('--grid'); c.fillStyle = cs.getPropertyValue('--muted');
      c.font = '11px system-ui, sans-serif'; c.lineWidth = 1;
      for (var i = 0; i <= 4; i++) {
        var v = vmax * i / 4, y = Y(v);
        c.beginPath(); c.moveTo(L, y); c.lineTo(w - R, y); c.stroke();
        c.textAlign = 'right'; c.textBaseline = 'middle'; c.fillText(fmtBytes(v), L - 6, y);
        var tt = tmax * i / 4;
        c.textAlign = 'center'; c.textBaseline = 'top'; c.fillText(fmtMs(Math.round(tt)), X(tt), h - B + 6);
      }
      if (typeof model.meta.peak_time_ms === 'number') {
        c.strokeStyle = cs.getPropertyValue('--muted'); c.setLineDash([4, 4]);
        c.beginPath(); c.moveTo(X(model.meta.peak_time_ms), T); c.lineTo(X(model.meta.peak_time_ms), h - B); c.stroke();
        c.setLineDash([]);
      }
    }
    [[2, '--rss'], [1, '--heap']].forEach(function (s) {
      c.strokeStyle = cs.getPropertyValue(s[1]); c.lineWidth = opts.axes ? 2 : 1.3;
      c.beginPath();
      mem.forEach(function (r, k) { if (k) c.lineTo(X(r[0]), Y(r[s[0]])); else c.moveTo(X(r[0]), Y(r[s[0]])); });
      c.stroke();
    });
  }

  function drawSpark() {
    if (model.memory.length < 2) return;
    chart($('mf-spark'), 180, 36, { axes: false });
    if ($('mf-memory').open) chart($('mf-memory-chart'), 900, 360, { axes: true });
  }

  function memoryCsv() {
    var lines = ['ms,heap_bytes,rss_bytes'];
    model.memory.forEach(function (r) { lines.push(r[0] + ',' + r[1] + ',' + r[2]); });
    return lines.join('\n') + '\n';
  }

  function wireMemory() {
    if (model.memory.length < 2) return;
    $('mf-spark').hidden = false;
    $('mf-spark').addEventListener('click', function () {
      $('mf-memory').showModal();
      chart($('mf-memory-chart'), 900, 360, { axes: true });
    });
    $('mf-memory-close').addEventListener('click', function () { $('mf-memory').close(); });
    $('mf-csv').addEventListener('click', function () {
      var url = URL.createObjectURL(new Blob([memoryCsv()], { type: 'text/csv' }));
      var a = el('a');
      a.href = url;
      a.download = 'memory.csv';
      document.body.appendChild(a);
      a.click();
      a.remove();
      setTimeout(function () { URL.revokeObjectURL(url); }, 1000);
    });
  }

  /* ------------------------------------------------ window interface */

  function frameInfo(n, canvasTop) {
    var f = n.f >= 0 ? model.frames[n.f] : null;
    var inZoom = isInside(n, app.view.zoom);
    var x = 0, w = 0;
    if (inZoom) { x = (n.x - layout.x0) * layout.scale; w = n.total * layout.scale; }
    else if (isInside(app.view.zoom, n)) { x = 0; w = layout.width; }
    return {
      name: f ? f.func : '<root>', location: f ? f.loc : '', frame: f ? f.text : '<root>',
      kind: f ? f.kind : 'root', hidden: f ? f.hidden : false,
      bytes: n.total, self: n.self, count: n.count, selfCount: n.selfCount, depth: n.depth,
      x: x, y: rowY(n.depth) + canvasTop, width: w, height: ROW - 1,
      drawn: w >= MIN_WIDTH, matched: !!(f && app.matchOf && app.matchOf[n.f])
    };
  }
  function isInside(n, anc) { for (; n; n = n.parent) if (n === anc) return true; return false; }

  function publish() {
    var totals = Object.freeze({
      value: app.tree.total, bytes: model.unit === 'bytes' ? app.tree.total : null,
      count: model.counted ? app.tree.count : null, unit: model.unit,
      stacks: model.stacks.length, frames: model.frames.length
    });
    var api = {
      version: 1,
      totals: totals,
      meta: JSON.parse(JSON.stringify(model.meta)),
      /* Every frame of the tree now shown (after hiding and the thread
         filter), callers before callees; x, y, width in CSS pixels of the
         canvas; width 0 outside the zoomed frame. */
      frames: function () {
        var out = [], stack = [app.tree];
        while (stack.length) {
          var n = stack.pop();
          out.push(frameInfo(n, 0));
          for (var k = n.kids.length - 1; k >= 0; k--) stack.push(n.kids[k]);
        }
        return out;
      },
      state: function () {
        var z = app.view.zoom;
        return {
          view: app.view.flame ? 'flame' : 'icicle',
          zoom: zoomPath(z).map(function (f) { return model.frames[f].text; }),
          zoomBytes: z.total,
          search: app.view.search, searchValid: !app.view.search || !!app.searchRe,
          searchShare: app.share, searchBytes: app.searchRe ? app.matchTotal : 0,
          thread: app.view.thread, hide: app.view.hide, theme: app.dark ? 'dark' : 'light',
          total: app.tree.total, count: model.counted ? app.tree.count : null,
          rows: layout.rows, fragment: fragment(),
          firstRenderMs: app.firstRender, lastDrawMs: app.drawTime, source: app.source.name,
          parseMs: timing.parse, decodeMs: timing.decode, buildMs: timing.build, nodes: app.nodes
        };
      },
      threads: function () { return threads.map(function (t) { return { thread: t.num, name: t.name, tid: t.tid }; }); },
      memory: function () { return model.memory.map(function (r) { return r.slice(); }); },
      /* The interface of the extension (ext.api), or null: the temporal
         mode's window and what it shows (docs/REPORT.md). */
      extension: function () { return app.ext && app.ext.api ? app.ext.api : null; },
      /* Extension point: a temporal mode calls extend({ source, init }) before
         the page is drawn; init(container, api) builds its controls in the
         #mf-extension section and calls api.refresh() when its range moves,
         api.save() to keep it in the URL fragment (ext.fragment(q) adds its
         keys, ext.applyFragment(q) reads them back). */
      extend: function (ext) {
        app.ext = ext;
        if (ext.source) { app.source = ext.source; app.vals = null; }
        if (ext.init) ext.init($('mf-extension'), { model: model, refresh: refresh, fmtBytes: fmtBytes, fmtMs: fmtMs,
                                                    save: function () { saveState(false); } });
        refresh();
      }
    };
    Object.freeze(api);
    Object.defineProperty(window, 'mf', { value: api, writable: false, configurable: false });
  }

  /* Recompute values from the source and redraw, keeping the zoom if it still exists. */
  function refresh() {
    var zp = zoomPath(app.view.zoom);
    app.vals = null;
    rebuild();
    app.view.zoom = findPath(zp);
    draw();
  }

  /* ---------------------------------------------------------------- start */

  var stored = null;
  try { stored = localStorage.getItem('mf-theme'); } catch (e) { /* file: may refuse */ }
  app.dark = stored ? stored === 'dark' : !!(window.matchMedia && window.matchMedia('(prefers-color-scheme: dark)').matches);
  document.documentElement.classList.toggle('mf-dark', app.dark);
  $('mf-theme').textContent = app.dark ? 'Light theme' : 'Dark theme';
  rebuild();
  header();
  statsPanel();
  legend();
  wireControls();
  wireMemory();
  publish();
  applyFragment();
  drawSpark();
}());
