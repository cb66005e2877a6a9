/*
 * page-draw.js - drawing: the flame graph on the canvas, finding the frame
 * under the pointer, the tooltip, and the memory sparkline and chart.
 * Part of the page script (see page-model.js).
 */

  var ROW = 18;            /* px per frame row */
  var MIN_WIDTH = 1;       /* frames narrower than this many px are not drawn */
  var LABEL_FONT = '12px ui-monospace, "DejaVu Sans Mono", Menlo, monospace';

  /* ---------------------------------------------------------------- draw */

  /*
   * The canvas is never taller than the window: #mf-graph is as tall as
   * every row, and the canvas inside it covers only the part that can be on
   * screen, from layout.off (px from the graph's top), redrawn as the page
   * scrolls.  A canvas of every row would pass the browsers' limit of
   * 65,535 pixels at about 3,600 rows and show nothing; this way a deep
   * stack costs nothing.
   */
  var canvas = $('mf-canvas'), ctx = canvas.getContext('2d');
  var charW = 7.2;
  var layout = { width: 0, rows: 0, x0: 0, scale: 0, off: 0, view: 0 };

  /* The colour of node n (an index into app.tree, page-tree.js). */
  function frameColour(n) {
    var id = app.tree.f[n];
    if (id < 0) return app.dark ? 'hsl(220,8%,42%)' : 'hsl(220,8%,78%)';
    var f = model.frames[id];
    if (app.matchOf && app.matchOf[id]) return app.dark ? '#d6336c' : '#f06595';
    if (model.diff) return diffColour(n);      /* page-diff.js: by change */
    var h = hashStr(f.func), l = app.dark ? 8 : 0;
    switch (f.kind) {
      case 'user': return 'hsl(' + (8 + h % 38) + ',' + (78 + h % 17) + '%,' + (58 + (h >> 8) % 12 - l) + '%)';
      case 'lib': return 'hsl(' + (185 + h % 35) + ',' + (45 + h % 20) + '%,' + (60 + (h >> 8) % 12 - l) + '%)';
      case 'thread': return 'hsl(265,45%,' + (68 + h % 8 - l) + '%)';
      default: return 'hsl(220,' + (4 + h % 5) + '%,' + (68 + (h >> 8) % 10 - l) + '%)';
    }
  }

  function label(n) {
    if (n === ROOT) {
      var what = app.view.thread !== null ? 'thread ' + app.view.thread + ' only' : 'all threads';
      return '<root>  ' + valueText(app.tree.total[n]) + (split ? ' (' + what + ')' : '');
    }
    var f = model.frames[app.tree.f[n]];
    if (f.kind === 'thread') return f.text;
    return f.func;
  }

  /* The label's second part, shown when there is room: "file.c:12". */
  function labelLoc(n) {
    if (n === ROOT) return '';
    var f = model.frames[app.tree.f[n]];
    return f.kind === 'thread' || !f.loc ? '' : f.loc.replace(/^.*\//, '');
  }

  function rowY(depth) {
    return app.view.flame ? (layout.rows - 1 - depth) * ROW : depth * ROW;
  }

  function draw() {
    var t = performance.now();
    var t0 = app.tree, zoom = app.view.zoom;
    var empty = !t0 || t0.total[ROOT] === 0;
    $('mf-empty').hidden = !empty;
    $('mf-graph').hidden = empty;
    $('mf-reset').disabled = zoom === ROOT;
    if (empty) { drawn(t); return; }
    var width = $('mf-graph').clientWidth || 800;
    var depth = t0.depth, total = t0.total, kids = t0.kids, kidStart = t0.kidStart, kidN = t0.kidN;
    var rows = depth[zoom] + t0.height[zoom] + 1;
    var dpr = window.devicePixelRatio || 1;
    layout.width = width;
    layout.rows = rows;
    layout.x0 = t0.x[zoom];
    layout.scale = total[zoom] ? width / total[zoom] : 0;
    placeCanvas(rows * ROW);
    canvas.width = Math.round(width * dpr);
    canvas.height = Math.round(layout.view * dpr);
    ctx.setTransform(dpr, 0, 0, dpr, 0, -layout.off * dpr);
    ctx.clearRect(0, layout.off, width, layout.view);
    ctx.font = LABEL_FONT;
    ctx.textBaseline = 'middle';
    charW = ctx.measureText('M').width || charW;
    /* The depths on the canvas: the others are not drawn. */
    var r0 = Math.floor(layout.off / ROW), r1 = Math.ceil((layout.off + layout.view) / ROW);
    var dmin = app.view.flame ? rows - r1 : r0, dmax = app.view.flame ? rows - 1 - r0 : r1;
    /* The zoomed frame's callers span the whole width, dimmed. */
    ctx.globalAlpha = 0.55;
    for (var a = t0.parent[zoom]; a >= 0; a = t0.parent[a]) if (depth[a] >= dmin && depth[a] <= dmax) box(a, 0, width);
    ctx.globalAlpha = 1;
    var stack = [zoom];
    while (stack.length) {
      var n = stack.pop();
      var x = (t0.x[n] - layout.x0) * layout.scale, w = total[n] * layout.scale;
      if (w < MIN_WIDTH || depth[n] > dmax) continue;      /* and so are all its callees */
      if (depth[n] >= dmin) box(n, x, w);
      /* Callees are widest first: past the first too narrow, all are. */
      for (var k = kidStart[n], k1 = k + kidN[n]; k < k1 && total[kids[k]] * layout.scale >= MIN_WIDTH; k++) ;
      for (k--; k >= kidStart[n]; k--) stack.push(kids[k]);
    }
    drawn(t);
  }

  /* An empty report's "No allocations to show." is its first render too. */
  function drawn(t) {
    app.drawTime = performance.now() - t;
    if (!app.firstRender) app.firstRender = performance.now();
  }

  /* Size the graph to height px and put the canvas over the part of it on screen. */
  function placeCanvas(height) {
    var graph = $('mf-graph');
    graph.style.height = height + 'px';
    layout.view = Math.min(height, Math.max(window.innerHeight, ROW));
    layout.off = canvasOffset(height);
    canvas.style.top = layout.off + 'px';
    canvas.style.height = layout.view + 'px';
  }
  function canvasOffset(height) {
    var top = $('mf-graph').getBoundingClientRect().top;
    return Math.max(0, Math.min(height - layout.view, Math.floor(-top)));
  }

  /* After a scroll: redraw when the canvas must move (a graph taller than the window). */
  var scrollPending = false;
  function onScroll() {
    if (scrollPending || !app.tree || layout.view >= layout.rows * ROW) return;
    scrollPending = true;
    requestAnimationFrame(function () {
      scrollPending = false;
      if (canvasOffset(layout.rows * ROW) !== layout.off) draw();
    });
  }

  function box(n, x, w) {
    var y = rowY(app.tree.depth[n]);
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
    var f = n === ROOT ? null : model.frames[app.tree.f[n]];
    if (text.length > fit && f && frameShort(f)) text = frameShort(f);
    if (text.length > fit) text = fit >= 3 ? text.slice(0, fit - 1) + '\u2026' : '';
    if (!text) return;
    ctx.fillStyle = '#111';
    ctx.fillText(text, x + 3, y + ROW / 2);
  }

  /* The node under canvas point (px, py), or -1. */
  function nodeAt(px, py) {
    var zoom = app.view.zoom, t = app.tree;
    var row = Math.floor((py + layout.off) / ROW);
    var depth = app.view.flame ? layout.rows - 1 - row : row;
    if (depth < 0 || depth >= layout.rows) return -1;
    if (depth < t.depth[zoom]) {
      var a = zoom;
      while (t.depth[a] > depth) a = t.parent[a];
      return a;
    }
    var v = layout.x0 + px / layout.scale, n = zoom;
    if (v < t.x[n] || v >= t.x[n] + t.total[n]) return -1;
    while (t.depth[n] < depth) {
      var next = -1;
      for (var k = t.kidStart[n], k1 = k + t.kidN[n]; k < k1; k++) {
        var c = t.kids[k];
        if (v >= t.x[c] && v < t.x[c] + t.total[c]) { next = c; break; }
      }
      if (next < 0) return -1;
      n = next;
    }
    return (t.total[n] * layout.scale) >= MIN_WIDTH ? n : -1;
  }

  /* ------------------------------------------------------------- tooltip */

  var tip = $('mf-tip');
  function showTip(n, cx, cy) {
    tip.textContent = '';
    var t = app.tree, f = n === ROOT ? null : model.frames[t.f[n]];
    tip.appendChild(el('div', f ? f.func : '<root>', 'mf-tip-fn'));
    tip.appendChild(el('div', f ? (f.loc || 'unknown location') : 'all allocations', 'mf-tip-loc'));
    var rows = [
      ['Total', valueText(t.total[n])],
      ['Self', valueText(t.self[n])],
      ['Share of total', t.total[ROOT] ? fmtPct(t.total[n] / t.total[ROOT]) : '-']
    ];
    if (model.counted && model.unit !== 'count') rows.push(['Allocations', fmtInt(t.count[n]) + (t.selfCount[n] ? ' (' + fmtInt(t.selfCount[n]) + ' here)' : '')]);
    if (model.diff) rows = diffTipRows(n);     /* page-diff.js: before, after, change */
    if (f && f.hidden && !app.view.hide) rows.push(['Kind', 'irrelevant frame (shown because hiding is off)']);
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

