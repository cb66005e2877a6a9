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

  function frameColour(n) {
    if (n.f < 0) return app.dark ? 'hsl(220,8%,42%)' : 'hsl(220,8%,78%)';
    var f = model.frames[n.f];
    if (app.matchOf && app.matchOf[n.f]) return app.dark ? '#d6336c' : '#f06595';
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
    for (var a = zoom.parent; a; a = a.parent) if (a.depth >= dmin && a.depth <= dmax) box(a, 0, width);
    ctx.globalAlpha = 1;
    var stack = [zoom];
    while (stack.length) {
      var n = stack.pop();
      var x = (n.x - layout.x0) * layout.scale, w = n.total * layout.scale;
      if (w < MIN_WIDTH || n.depth > dmax) continue;      /* and so are all its callees */
      if (n.depth >= dmin) box(n, x, w);
      for (var k = n.kids.length - 1; k >= 0; k--) stack.push(n.kids[k]);
    }
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
    if (text.length > fit && n.f >= 0 && frameShort(model.frames[n.f])) text = frameShort(model.frames[n.f]);
    if (text.length > fit) text = fit >= 3 ? text.slice(0, fit - 1) + '\u2026' : '';
    if (!text) return;
    ctx.fillStyle = '#111';
    ctx.fillText(text, x + 3, y + ROW / 2);
  }

  /* The node under canvas point (px, py), or null. */
  function nodeAt(px, py) {
    var zoom = app.view.zoom;
    var row = Math.floor((py + layout.off) / ROW);
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

