/*
 * mf-html temporal mode: for mf-temporal's output (docs/TEMPORAL.md), a
 * chart of the heap and RSS over time above the flame graph, with two range
 * sliders choosing a window of whole slices [S, E].  The flame graph then
 * shows, for that window:
 *   reducer "temporal":       the allocations live at the window's highest
 *                             point (the slice k in [S, E] with the largest
 *                             slice_peaks[k], the first of a tie);
 *   reducer "temporal-leaks": the allocations made in the window and not
 *                             freed by its end.
 * It plugs into page.js through mf.extend (docs/REPORT.md): a source of
 * per-stack values, its controls in #mf-extension, its keys (from, to) in
 * the URL fragment, and mf.extension() for scripts and tests.
 *
 * Speed: the per-stack series are flattened once into typed arrays sorted
 * by slice, with an offset per slice (a prefix index).  Moving the window
 * then touches only the entries between the old and the new highest slice
 * (peak) or the entries made inside the window (leaks), never every slice
 * of every stack.  The chart's static layer is drawn once per size and
 * copied under the window's overlay on every move.
 */
(function () {
  'use strict';

  var mf = window.mf, opening = performance.now();
  if (!mf || typeof mf.extend !== 'function') return;
  var reducer = mf.meta.reducer;
  if (reducer !== 'temporal' && reducer !== 'temporal-leaks') return;
  var LEAKS = reducer === 'temporal-leaks';
  var KEY = LEAKS ? 'stack_lifetimes' : 'stack_live';
  var WIDTH = LEAKS ? 4 : 3;          /* integers per entry */
  var CHART_H = 170;

  var model = null, api = null;
  var N = 0, I = 0;                   /* slices, interval in ms */
  var peaks = null;                   /* Float64Array(N): slice_peaks */
  var M = 0;                          /* stacks */
  /* Entries sorted by slice (K, or MADE with leaks); off[k]..off[k+1] are slice k's. */
  var off = null, eStack = null, eFreed = null, eCount = null, eBytes = null;
  var problem = '';
  var win = { s: 0, e: 0 };
  /* The peak source's running sums: each stack at slice curK's high-water mark. */
  var cur = { k: -1, value: null, count: null };
  var shown = { bytes: 0, count: 0, stacks: 0, high: -1 };
  var timing = { prepareMs: 0, lastUpdateMs: 0, lastValuesMs: 0 };
  var maxPoints = 0;                  /* cap of chart points, 0: none */
  var ui = {};

  /* ---------------------------------------------------------- the data */

  function isInt(x) { return typeof x === 'number' && Math.floor(x) === x && isFinite(x); }
  /* mf-temporal writes at most this many slices (its MAX_SLICES): more is not its output. */
  var MAX_SLICES = 10000000;

  /* An entry's slices out of range: K (MADE) outside the slices, or FREED before MADE or after the last. */
  function badEntry(e0, e1) { return e0 < 0 || e0 >= N || (LEAKS && (e1 < e0 || e1 > N)); }
  function entryProblem(stack) {
    return KEY + ' of stack ' + (stack + 1) + ' has an entry that is not ' +
      (LEAKS ? '[MADE,FREED,COUNT,BYTES] with 0 <= MADE <= FREED <= ' + N : '[K,DCOUNT,DBYTES] with 0 <= K < ' + N);
  }

  /* Checks the header keys; returns a problem or ''. */
  function prepare() {
    var m = model.meta;
    if (!isInt(m.slices) || m.slices < 1 || m.slices > MAX_SLICES) return 'no valid "slices" key (1 to ' + MAX_SLICES + ')';
    if (!isInt(m.interval_ms) || m.interval_ms < 1) return 'no valid "interval_ms" key';
    N = m.slices;
    I = m.interval_ms;
    M = model.nstacks;
    if (!LEAKS) {
      var sp = m.slice_peaks;
      if (!Array.isArray(sp) || sp.length !== N || !sp.every(function (v) { return isInt(v) && v >= 0; }))
        return '"slice_peaks" is not ' + N + ' byte counts';
      peaks = Float64Array.from(sp);
    }
    return '';
  }

  /*
   * The per-stack series flattened, a part at a time: step(until) works
   * until performance.now() passes until, and returns true once done (with
   * problem set when the series have one).  First the raw lines
   * (model.stackMeta, all of a small page's) at once, then a large page's
   * packed ones as page-series.js's reader gives them, each line checked
   * and its entries counted by slice as it comes (damage found later in
   * the packed text still comes first, as when it was read whole), then the
   * counting sort by slice: off[k] is where slice k's entries start.
   */
  function seriesJob() {
    var lists = [], total = 0, bad = '', r = null, checked = 0, putAt = 0, fill = null, phase = 0;

    /* The raw lines, parsed, checked and counted; returns a problem or ''. */
    function rawLines() {
      var i, j;
      for (i = 0; i < model.stackMeta.length; i++) {
        var sm = model.stackMeta[i];
        if (sm.key !== KEY) continue;
        var v;
        try { v = JSON.parse(sm.raw); } catch (e) { return KEY + ' of stack ' + (sm.stack + 1) + ' is not JSON'; }
        if (!isInt(sm.stack) || sm.stack < 0 || sm.stack >= M || !Array.isArray(v))
          return KEY + ' of stack ' + (sm.stack + 1) + ' is not a list of entries';
        for (j = 0; j < v.length; j++) {
          var en = v[j];
          if (!Array.isArray(en) || en.length !== WIDTH || !en.every(isInt) || badEntry(en[0], en[1]))
            return entryProblem(sm.stack);
        }
        lists.push([sm.stack, v]);
        total += v.length;
      }
      off = new Int32Array(N + 1);
      lists.forEach(function (l) { l[1].forEach(function (en) { off[en[0] + 1]++; }); });
      return '';
    }
    /* The packed lines read since the last call: checked (the first problem kept for the end) and counted. */
    function checkPacked() {
      var e = r.entries, i, j;
      for (; checked < r.lines && !bad; checked++) {
        if (r.stack[checked] >= M) { bad = KEY + ' of stack ' + (r.stack[checked] + 1) + ' is not a list of entries'; break; }
        for (j = r.start[checked] * WIDTH; j < r.start[checked + 1] * WIDTH; j += WIDTH) {
          if (badEntry(e[j], e[j + 1])) { bad = entryProblem(r.stack[checked]); break; }
          off[e[j] + 1]++;
        }
      }
    }
    function put(stack, e, at) {
      var to = fill[e[at]]++;
      eStack[to] = stack;
      if (LEAKS) { eFreed[to] = e[at + 1]; eCount[to] = e[at + 2]; eBytes[to] = e[at + 3]; }
      else { eCount[to] = e[at + 1]; eBytes[to] = e[at + 2]; }
    }
    /* Every entry counted: the offsets, the arrays, and the raw lines' entries in them. */
    function startSort() {
      if (r) { r = r.result(); total += r.start[r.stack.length]; }
      for (var i = 0; i < N; i++) off[i + 1] += off[i];
      fill = off.slice(0, N);
      eStack = new Int32Array(total);
      eCount = new Float64Array(total);
      eBytes = new Float64Array(total);
      if (LEAKS) eFreed = new Int32Array(total);
      lists.forEach(function (l) { l[1].forEach(function (en) { put(l[0], en, 0); }); });
    }
    /* Up to n of the packed lines into the arrays. */
    function putPacked(n) {
      for (var end = Math.min(r.stack.length, putAt + n); putAt < end; putAt++)
        for (var j = r.start[putAt] * WIDTH; j < r.start[putAt + 1] * WIDTH; j += WIDTH) put(r.stack[putAt], r.entries, j);
    }

    function step(until) {
      if (phase === 0) {
        if ((problem = rawLines())) return true;
        try { r = model.series && model.series[KEY] ? model.series[KEY].reader() : null; } catch (e) { problem = KEY + ': ' + e.message; return true; }
        phase = 1;
      }
      if (phase === 1) {
        if (r) {
          var read;
          try { read = r.step(until); } catch (e) { problem = KEY + ': ' + e.message; return true; }
          checkPacked();
          if (!read) return false;
          if (bad) { problem = bad; return true; }
        }
        startSort();
        phase = 2;
      }
      while (r && putAt < r.stack.length && performance.now() < until) putPacked(2048);
      if (r && putAt < r.stack.length) return false;
      cur.value = new Float64Array(M);
      cur.count = new Float64Array(M);
      return true;
    }
    return { step: step };
  }

  /* The first slice with the largest high-water mark in [s, e]. */
  function highest(s, e) {
    var k = s;
    for (var i = s + 1; i <= e; i++) if (peaks[i] > peaks[k]) k = i;
    return k;
  }

  /* Move the running sums to slice k's high-water mark: only the entries between. */
  function moveTo(k) {
    var v = cur.value, c = cur.count, i;
    if (k > cur.k) {
      for (i = off[cur.k + 1]; i < off[k + 1]; i++) { v[eStack[i]] += eBytes[i]; c[eStack[i]] += eCount[i]; }
    } else if (k < cur.k) {
      for (i = off[k + 1]; i < off[cur.k + 1]; i++) { v[eStack[i]] -= eBytes[i]; c[eStack[i]] -= eCount[i]; }
    }
    cur.k = k;
  }

  /* Each stack's value for the window: what source.values returns. */
  function windowValues() {
    var t = performance.now(), value, count, i;
    /* The whole recording before the series are read: the stack lines are its report (docs/TEMPORAL.md). */
    var early = !seriesRead && !problem && isWhole();
    if (early || !readSeries()) {
      /* The stack lines' own values (the page's default source gives the same arrays: nothing writes them). */
      value = model.st.value;
      count = model.st.count;
      shown.high = early && !LEAKS ? highest(0, N - 1) : -1;
    } else if (LEAKS) {
      value = new Float64Array(M);
      count = new Float64Array(M);
      for (i = off[win.s]; i < off[win.e + 1]; i++) {
        if (eFreed[i] <= win.e) continue;      /* freed inside the window */
        value[eStack[i]] += eBytes[i];
        count[eStack[i]] += eCount[i];
      }
      shown.high = -1;
    } else {
      shown.high = highest(win.s, win.e);
      moveTo(shown.high);
      value = cur.value.slice();
      count = cur.count.slice();
    }
    var b = 0, c = 0, n = 0;
    for (i = 0; i < value.length; i++) {
      if (count[i] === 0 && value[i] === 0) continue;
      b += value[i]; c += count[i]; n++;
    }
    shown.bytes = b; shown.count = c; shown.stacks = n;
    timing.lastValuesMs = performance.now() - t;
    return { value: value, count: count };
  }

  /*
   * A large page's series come packed (page-series.js) and are read when
   * first needed (a window other than the whole recording, the script
   * interface), or else a part at a time between frames once the first is
   * painted (readInBackground).  Returns false when that showed a problem
   * (the page then says so).
   */
  var seriesRead = false, container = null, job = null;
  function readSeries() {
    if (!seriesRead && !problem) readPart(Infinity);
    return !problem;
  }
  /* Reads the series until performance.now() passes until; true once all is read. */
  function readPart(until) {
    var t = performance.now();
    if (!job) { job = seriesJob(); job.began = t; }
    var done = job.step(until);
    timing.prepareMs += performance.now() - t;
    if (!done) return false;
    /* For benchmarks and tests (docs/REPORT.md): from the first part to the last, and the time spent in them. */
    performance.measure('mf-temporal series', { start: job.began, end: performance.now(), detail: { ms: timing.prepareMs } });
    seriesRead = true;
    job = null;
    if (problem && container) {
      container.textContent = '';
      showProblem(container);
      series = { heap: [], rss: [] };
    }
    return true;
  }
  function readSeriesLater() {
    if (!seriesRead && !readSeries()) api.refresh();
  }
  /* Parts of at most 20 ms in the browser's idle time, so that frames and input go first. */
  function readInBackground() {
    var idle = window.requestIdleCallback || function (f) { return setTimeout(f, 0); };
    function part(deadline) {
      if (seriesRead || problem) return;
      var budget = deadline && deadline.timeRemaining ? Math.min(Math.max(deadline.timeRemaining(), 4), 20) : 10;
      if (!readPart(performance.now() + budget)) idle(part);
      else if (problem) api.refresh();
    }
    requestAnimationFrame(function () { idle(part); });
  }

  /* ------------------------------------------------------------ window */

  function isWhole() { return win.s === 0 && win.e === N - 1; }

  function clampWindow(s, e) {
    s = Math.max(0, Math.min(N - 1, Math.floor(Number(s) || 0)));
    e = Math.max(0, Math.min(N - 1, Math.floor(Number(e) || 0)));
    return s <= e ? { s: s, e: e } : { s: e, e: s };
  }

  /* from=MS&to=MS: the slices [floor(from / I), floor(to / I)] (docs/TEMPORAL.md). */
  function windowFromQuery(q) {
    var from = q.get('from'), to = q.get('to');
    var s = from !== null && /^\d+$/.test(from) ? Math.floor(Number(from) / I) : 0;
    var e = to !== null && /^\d+$/.test(to) ? Math.floor(Number(to) / I) : N - 1;
    return clampWindow(s, e);
  }

  /*
   * Move the window and redraw.  save: 'now' writes the fragment at once,
   * 'later' once the slider rests (browsers throttle history updates, and a
   * drag makes dozens a second).
   */
  var saveTimer = 0;
  function setWindow(s, e, save) {
    var t = performance.now();
    var w = clampWindow(s, e);
    var changed = w.s !== win.s || w.e !== win.e;
    win = w;
    if (changed) api.refresh();
    syncControls();
    drawChart();
    clearTimeout(saveTimer);
    if (save === 'now') api.save();
    else if (save === 'later') saveTimer = setTimeout(api.save, 250);
    timing.lastUpdateMs = performance.now() - t;
    return changed;
  }

  /* --------------------------------------------------------- the chart */

  /* Points of a series [[t0, t1, tAt, v], ...], at most cap of them: each bucket
     of consecutive points keeps its maximum, so the highest is never lost. */
  function bucket(points, cap) {
    if (!cap || points.length <= cap) return points;
    var out = [], per = points.length / cap;
    for (var b = 0; b < cap; b++) {
      var lo = Math.floor(b * per), hi = Math.floor((b + 1) * per), best = lo;
      for (var i = lo + 1; i < hi; i++) if (points[i][3] > points[best][3]) best = i;
      out.push([points[lo][0], points[hi - 1][1], points[best][2], points[best][3]]);
    }
    return out;
  }

  var series = null;
  function chartSeries() {
    var heap = [], rss = [], mem = model.memory, i;
    if (!LEAKS && !problem) {
      for (i = 0; i < N; i++) heap.push([i * I, (i + 1) * I, i * I, peaks[i]]);
    } else {
      for (i = 0; i < mem.length; i++) heap.push([mem[i][0], mem[i][0], mem[i][0], mem[i][1]]);
    }
    for (i = 0; i < mem.length; i++) rss.push([mem[i][0], mem[i][0], mem[i][0], mem[i][2]]);
    return { heap: bucket(heap, maxPoints), rss: bucket(rss, maxPoints) };
  }

  /* A round axis top: 4 steps of 1, 1.5, 2, 2.5, 3, 4, 5, 6 or 8 times a power of ten of a binary unit. */
  var UNITS = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB'];
  function niceBytes(v) {
    var u = 0;
    while (v / Math.pow(1024, u) >= 1000 && u < UNITS.length - 1) u++;
    var x = v / Math.pow(1024, u) / 4, p = Math.pow(10, Math.floor(Math.log10(Math.max(x, 1e-9))));
    var step = [1, 1.5, 2, 2.5, 3, 4, 5, 6, 8, 10].map(function (m) { return m * p; }).filter(function (m) { return m >= x; })[0];
    if (u === 0) step = Math.max(1, Math.ceil(step));
    return { top: step * 4 * Math.pow(1024, u), unit: u };
  }
  function tickBytes(v, u) {
    var x = v / Math.pow(1024, u);
    return (Math.round(x * 100) / 100) + ' ' + UNITS[u];
  }
  /* Time ticks every 1, 2 or 5 times a power of ten ms, at most 8 of them. */
  function timeStep(tmax) {
    var x = tmax / 8, p = Math.pow(10, Math.floor(Math.log10(Math.max(x, 1))));
    return [1, 2, 5, 10].map(function (m) { return m * p; }).filter(function (m) { return m >= x; })[0];
  }

  function css(name) { return getComputedStyle(document.documentElement).getPropertyValue(name).trim(); }

  var geom = { w: 0, L: 70, R: 12, T: 12, B: 22, tmax: 1, vmax: 1, unit: 0 };
  function X(t) { return geom.L + (geom.w - geom.L - geom.R) * t / geom.tmax; }
  function Y(v) { return CHART_H - geom.B - (CHART_H - geom.T - geom.B) * v / geom.vmax; }

  var layer = null, layerKey = '';
  /* Axes, the heap area and the RSS line: drawn once per width and theme. */
  function staticLayer(w, dpr) {
    var key = w + ':' + dpr + ':' + document.documentElement.className;
    if (layer && key === layerKey) return layer;
    layerKey = key;
    layer = layer || document.createElement('canvas');
    layer.width = Math.round(w * dpr);
    layer.height = Math.round(CHART_H * dpr);
    var c = layer.getContext('2d'), i, p;
    c.setTransform(dpr, 0, 0, dpr, 0, 0);
    c.clearRect(0, 0, w, CHART_H);
    c.strokeStyle = css('--grid'); c.fillStyle = css('--muted');
    c.font = '11px system-ui, sans-serif'; c.lineWidth = 1;
    for (i = 0; i <= 4; i++) {
      var v = geom.vmax * i / 4, y = Math.round(Y(v)) + 0.5;
      c.beginPath(); c.moveTo(geom.L, y); c.lineTo(w - geom.R, y); c.stroke();
      c.textAlign = 'right'; c.textBaseline = 'middle'; c.fillText(tickBytes(v, geom.unit), geom.L - 6, y);
    }
    var step = timeStep(geom.tmax);
    c.textBaseline = 'top';
    for (var t = 0; t <= geom.tmax; t += step) {
      var x = Math.round(X(t)) + 0.5;
      c.beginPath(); c.moveTo(x, CHART_H - geom.B); c.lineTo(x, CHART_H - geom.B + 4); c.stroke();
      c.textAlign = t === 0 ? 'left' : X(t) > w - geom.R - 30 ? 'right' : 'center';
      c.fillText(api.fmtMs(t), x, CHART_H - geom.B + 5);
    }
    /* Heap: a step per slice (or bucket) at its high-water mark, filled; at most one step per device pixel
       of the plot (the highest of those it covers): a path of one per slice takes ~50 ms to fill. */
    var px = Math.max(1, Math.round((w - geom.L - geom.R) * dpr));
    var heap = bucket(series.heap, px), rss = bucket(series.rss, px), heapColour = css('--heap');
    if (heap.length) {
      c.beginPath();
      c.moveTo(X(heap[0][0]), Y(0));
      for (i = 0; i < heap.length; i++) {
        p = heap[i];
        c.lineTo(X(p[0]), Y(p[3]));
        c.lineTo(X(p[1]), Y(p[3]));
      }
      c.lineTo(X(heap[heap.length - 1][1]), Y(0));
      c.closePath();
      c.globalAlpha = 0.28; c.fillStyle = heapColour; c.fill();
      c.globalAlpha = 1; c.strokeStyle = heapColour; c.lineWidth = 1.5; c.stroke();
    }
    if (rss.length > 1) {
      c.beginPath();
      rss.forEach(function (q, k) { if (k) c.lineTo(X(q[2]), Y(q[3])); else c.moveTo(X(q[2]), Y(q[3])); });
      c.strokeStyle = css('--rss'); c.lineWidth = 1.5; c.stroke();
    }
    return layer;
  }

  function drawChart() {
    var cv = ui.chart, w = cv.clientWidth || 800, dpr = window.devicePixelRatio || 1;
    geom.w = w;
    if (cv.width !== Math.round(w * dpr)) { cv.width = Math.round(w * dpr); cv.height = Math.round(CHART_H * dpr); }
    var c = cv.getContext('2d');
    c.setTransform(1, 0, 0, 1, 0, 0);
    c.clearRect(0, 0, cv.width, cv.height);
    c.drawImage(staticLayer(w, dpr), 0, 0);
    c.setTransform(dpr, 0, 0, dpr, 0, 0);
    var x0 = X(win.s * I), x1 = X((win.e + 1) * I), top = geom.T, bottom = CHART_H - geom.B;
    /* Outside the window: veiled. */
    c.fillStyle = css('--bg'); c.globalAlpha = 0.7;
    c.fillRect(geom.L, top, x0 - geom.L, bottom - top);
    c.fillRect(x1, top, w - geom.R - x1, bottom - top);
    c.globalAlpha = 1;
    c.strokeStyle = css('--accent'); c.lineWidth = 2;
    c.beginPath(); c.moveTo(x0 + 1, top); c.lineTo(x0 + 1, bottom); c.moveTo(x1 - 1, top); c.lineTo(x1 - 1, bottom); c.stroke();
    if (shown.high >= 0) {
      /* The slice of the window's high-water mark. */
      var hx0 = X(shown.high * I), hx1 = Math.max(X((shown.high + 1) * I), hx0 + 3), hy = Y(peaks[shown.high]);
      c.fillStyle = css('--accent'); c.globalAlpha = 0.35;
      c.fillRect(hx0, top, hx1 - hx0, bottom - top);
      c.globalAlpha = 1;
      c.beginPath(); c.arc((hx0 + hx1) / 2, hy, 4, 0, 2 * Math.PI); c.fill();
      var text = api.fmtBytes(peaks[shown.high]) + ' in ' + sliceSpan(shown.high);
      c.font = '600 11.5px system-ui, sans-serif'; c.textBaseline = 'bottom';
      var tw = c.measureText(text).width, tx = (hx0 + hx1) / 2 + 7;
      if (tx + tw > w - geom.R) tx = (hx0 + hx1) / 2 - 7 - tw;
      var ty = Math.max(hy - 3, top + 13);
      c.fillStyle = css('--bg'); c.globalAlpha = 0.8;
      c.fillRect(tx - 2, ty - 13, tw + 4, 14);
      c.globalAlpha = 1; c.fillStyle = css('--fg');
      c.fillText(text, tx, ty);
    }
  }

  /* ---------------------------------------------------------- controls */

  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined) e.textContent = text;
    return e;
  }

  function slider(id, label) {
    var row = el('label', 'mf-t-slider');
    row.appendChild(el('span', 'mf-t-slider-name', label));
    var input = el('input');
    input.type = 'range'; input.id = id; input.min = '0'; input.max = String(N - 1); input.step = '1';
    row.appendChild(input);
    row.appendChild(el('span'));
    /* The track spans the chart's plot area: the thumb's centre travels from L to w - R. */
    row.style.gridTemplateColumns = (geom.L - 8) + 'px 1fr ' + Math.max(geom.R - 8, 0) + 'px';
    ui.sliders.appendChild(row);
    return { input: input };
  }

  /* A count as toLocaleString('en-US') writes it ("1,234,567"), whole ones without its first call's cost (~100 ms). */
  function thousands(n) {
    return Number.isSafeInteger(n) ? String(n).replace(/\B(?=(\d{3})+(?!\d))/g, ',') : n.toLocaleString('en-US');
  }

  function sliceText(k, end) { return api.fmtMs((end ? k + 1 : k) * I); }
  /* Slice k as the time it covers: "20 ms \u2013 30 ms" (an escape: one non-ASCII byte makes the browser decode
     the whole page, data and script, as two-byte text, several times slower). */
  function sliceSpan(k) { return api.fmtMs(k * I) + '\u2013' + api.fmtMs((k + 1) * I); }

  function syncControls() {
    ui.start.input.value = String(win.s);
    ui.end.input.value = String(win.e);
    ui.start.input.setAttribute('aria-valuetext', 'from ' + sliceText(win.s, false) + ', slice ' + win.s);
    ui.end.input.setAttribute('aria-valuetext', 'to ' + sliceText(win.e, true) + ', slice ' + win.e);
    ui.whole.disabled = isWhole();
    var s = ui.summary;
    s.textContent = '';
    function part(label, value) {
      if (s.childNodes.length) s.appendChild(document.createTextNode(' \u00b7 '));
      s.appendChild(document.createTextNode(label));
      s.appendChild(el('b', '', value));
    }
    part('Window ', sliceText(win.s, false) + ' \u2013 ' + sliceText(win.e, true));
    if (shown.high >= 0) part('highest point ', api.fmtBytes(peaks[shown.high]) + ' in ' + sliceSpan(shown.high));
    part(LEAKS ? 'made in it and not freed by its end: ' : 'live then: ',
      api.fmtBytes(shown.bytes) + ' in ' + thousands(shown.count) + ' allocation' + (shown.count === 1 ? '' : 's'));
  }

  function wire() {
    var pending = null;
    /* Slider moves are coalesced to one update per frame. */
    function schedule(s, e) {
      if (!pending) requestAnimationFrame(function () { var p = pending; pending = null; setWindow(p.s, p.e, 'later'); });
      pending = { s: s, e: e };
    }
    ui.start.input.addEventListener('input', function () {
      var s = Number(this.value);
      schedule(s, Math.max(s, Number(ui.end.input.value)));
    });
    ui.end.input.addEventListener('input', function () {
      var e = Number(this.value);
      schedule(Math.min(e, Number(ui.start.input.value)), e);
    });
    ui.whole.addEventListener('click', function () { setWindow(0, N - 1, 'now'); });
    /* Dragging across the chart selects a window too. */
    var anchor = -1;
    function sliceAt(ev) {
      var r = ui.chart.getBoundingClientRect();
      var t = (ev.clientX - r.left - geom.L) / (geom.w - geom.L - geom.R) * geom.tmax;
      return Math.max(0, Math.min(N - 1, Math.floor(t / I)));
    }
    ui.chart.addEventListener('pointerdown', function (ev) {
      anchor = sliceAt(ev);
      ui.chart.setPointerCapture(ev.pointerId);
      schedule(anchor, anchor);
    });
    ui.chart.addEventListener('pointermove', function (ev) {
      if (anchor < 0) return;
      var k = sliceAt(ev);
      schedule(Math.min(anchor, k), Math.max(anchor, k));
    });
    ui.chart.addEventListener('pointerup', function () { anchor = -1; });
    var resizeTimer = 0;
    window.addEventListener('resize', function () { clearTimeout(resizeTimer); resizeTimer = setTimeout(drawChart, 60); });
    /* The theme button changes colours: redraw the static layer. */
    new MutationObserver(function () { drawChart(); })
      .observe(document.documentElement, { attributes: true, attributeFilter: ['class'] });
  }

  function build(container) {
    var box = el('div', 'mf-t');
    var head = el('div', 'mf-t-head');
    head.appendChild(el('h2', '', LEAKS ? 'Leaks over time' : 'Memory over time'));
    ui.summary = el('span', 'mf-t-summary');
    ui.summary.setAttribute('aria-live', 'polite');
    head.appendChild(ui.summary);
    ui.whole = el('button', '', 'Whole recording');
    ui.whole.type = 'button';
    ui.whole.id = 'mf-t-whole';
    head.appendChild(ui.whole);
    box.appendChild(head);
    ui.chart = el('canvas', 'mf-t-chart');
    ui.chart.id = 'mf-t-chart';
    ui.chart.style.height = CHART_H + 'px';
    ui.chart.title = 'Drag across the chart to choose a window';
    box.appendChild(ui.chart);
    ui.sliders = el('div', 'mf-t-sliders');
    box.appendChild(ui.sliders);
    ui.start = slider('mf-t-start', 'Start');
    ui.end = slider('mf-t-end', 'End');
    var legend = el('p', 'mf-t-legend');
    [['mf-sw mf-sw-heap', LEAKS ? 'heap (sampled)' : 'heap: highest point of each ' + api.fmtMs(I) + ' slice'],
     ['mf-sw mf-sw-rss', 'resident set size'],
     ['mf-sw mf-t-sw-high', LEAKS ? '' : 'the window\u2019s highest point, shown below']].forEach(function (p) {
      if (!p[1]) return;
      var s = el('span');
      s.appendChild(el('span', p[0]));
      s.appendChild(document.createTextNode(p[1]));
      legend.appendChild(s);
    });
    legend.appendChild(el('span', 'mf-t-what', LEAKS
      ? 'The graph shows the allocations made inside the window and not freed by its end.'
      : 'The graph shows the allocations live at the highest point of heap usage inside the window.'));
    box.appendChild(legend);
    container.appendChild(box);
  }

  function showProblem(container) {
    container.appendChild(el('div', 'mf-warning', 'The time window is not available: ' + problem +
      '. The graph shows the whole recording.'));
  }

  /* --------------------------------------------------- script interface */

  /*
   * The texts of the stacks whose want(i) holds (others undefined): their
   * frames' texts joined by ';'.  From model.st, where each stack shares
   * its first shared[i] frames with the one before (page-model.js).
   */
  function stackTexts(want) {
    var st = model.st, frames = model.frames, out = new Array(st.n), fr = [];
    for (var i = 0; i < st.n; i++) {
      var shared = st.shared[i], o = st.off[i], len = shared + st.off[i + 1] - o;
      for (var j = shared; j < len; j++) fr[j] = frames[st.pool[o + j - shared]].text;
      fr.length = len;
      if (want(i)) out[i] = fr.join(';');
    }
    return out;
  }

  var ifc = Object.freeze({
    name: 'temporal',
    mode: LEAKS ? 'leaks' : 'peak',
    /* The window and what it shows: slices [start, end], times in ms. */
    window: function () {
      readSeriesLater();
      return {
        start: win.s, end: win.e, slices: N, intervalMs: I, whole: isWhole(),
        startMs: win.s * I, endMs: (win.e + 1) * I,
        highSlice: shown.high >= 0 ? shown.high : null,
        highBytes: shown.high >= 0 ? peaks[shown.high] : null,
        bytes: shown.bytes, count: shown.count, stacks: shown.stacks,
        problem: problem || null,
        prepareMs: timing.prepareMs, lastUpdateMs: timing.lastUpdateMs, lastValuesMs: timing.lastValuesMs
      };
    },
    /* Move the window (slices, clamped and ordered), as the sliders do. */
    setWindow: function (s, e) { setWindow(s, e, 'now'); return ifc.window(); },
    /* Every stack shown now, in input order: { stack, count, bytes }. */
    shown: function () {
      readSeriesLater();
      var v = windowValues(), out = [];
      function on(i) { return v.count[i] !== 0 || v.value[i] !== 0; }
      var text = stackTexts(on);
      for (var i = 0; i < v.value.length; i++)
        if (on(i)) out.push({ stack: text[i], count: v.count[i], bytes: v.value[i] });
      return out;
    },
    /* The points drawn: [[fromMs, toMs, atMs, bytes], ...] of the heap and the RSS. */
    chart: function () {
      return { heap: series.heap.map(function (p) { return p.slice(); }), rss: series.rss.map(function (p) { return p.slice(); }),
               maxPoints: maxPoints || null,
               plot: { left: geom.L, right: geom.w - geom.R, top: geom.T, bottom: CHART_H - geom.B } };
    }
  });

  mf.extend({
    source: { name: LEAKS ? 'temporal-leaks' : 'temporal', values: function () { return windowValues(); } },
    api: ifc,
    init: function (box, pageApi) {
      var t = performance.now();
      api = pageApi;
      model = api.model;
      /* mf-html --max-memory-records N passes N as this key. */
      var cap = model.meta.max_memory_records;
      maxPoints = isInt(cap) && cap > 0 ? cap : 0;
      problem = prepare();
      timing.prepareMs = performance.now() - t;
      /* Packed series wait for the first paint; the raw ones of a small page are read now. */
      if (model.series && model.series[KEY]) readInBackground();
      else readSeries();
      if (problem) { showProblem(box); series = { heap: [], rss: [] }; return; }
      container = box;
      series = chartSeries();
      geom.tmax = N * I;
      geom.vmax = 1;
      series.heap.concat(series.rss).forEach(function (p) { if (p[3] > geom.vmax) geom.vmax = p[3]; });
      var nice = niceBytes(geom.vmax * 1.1);      /* room for the label above the highest point */
      geom.vmax = nice.top;
      geom.unit = nice.unit;
      win = windowFromQuery(new URLSearchParams(location.hash.replace(/^#/, '')));
      build(box);
      wire();
    },
    fragment: function (q) {
      if (problem || !N || isWhole()) return;
      q.set('from', String(win.s * I));
      q.set('to', String(win.e * I));
    },
    applyFragment: function (q) {
      if (problem || !N) return false;
      var w = windowFromQuery(q), changed = w.s !== win.s || w.e !== win.e;
      win = w;
      if (ui.chart) requestAnimationFrame(function () { syncControls(); drawChart(); });
      return changed;
    }
  });
  /* extend has refreshed the graph from the window: the controls follow. */
  if (!problem && ui.chart) { syncControls(); drawChart(); }
  /* The temporal mode's share of the page's start (docs/REPORT.md), which mf.state()'s times leave out. */
  performance.measure('mf-temporal open', { start: opening, end: performance.now() });
}());
