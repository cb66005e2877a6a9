/*
 * page-window.js - the window interface (window.mf, docs/REPORT.md) for
 * scripts, tests and extensions, and the start of the page; closes the
 * script's function scope that page-model.js opened.
 * Part of the page script (see page-model.js).
 */

  /* ------------------------------------------------ window interface */

  function frameInfo(n, canvasTop) {
    var t = app.tree, id = t.f[n], f = id >= 0 ? model.frames[id] : null;
    var inZoom = isInside(n, app.view.zoom);
    var x = 0, w = 0;
    if (inZoom) { x = (t.x[n] - layout.x0) * layout.scale; w = t.total[n] * layout.scale; }
    else if (isInside(app.view.zoom, n)) { x = 0; w = layout.width; }
    var info = {
      name: f ? f.func : '<root>', location: f ? f.loc : '', frame: f ? f.text : '<root>',
      kind: f ? f.kind : 'root', hidden: f ? f.hidden : false, short: f ? frameShort(f) : '',
      bytes: t.total[n], self: t.self[n], count: t.count[n], selfCount: t.selfCount[n], depth: t.depth[n],
      x: x, y: rowY(t.depth[n]) - layout.off + canvasTop, width: w, height: ROW - 1,
      drawn: w >= MIN_WIDTH, matched: !!(f && app.matchOf && app.matchOf[id])
    };
    if (model.diff) diffFrameInfo(n, info);    /* page-diff.js: before, after, colour */
    return info;
  }

  function publish() {
    var totals = Object.freeze({
      value: app.tree.total[ROOT], bytes: model.unit === 'bytes' ? app.tree.total[ROOT] : null,
      count: model.counted ? app.tree.countAll : null, unit: model.unit,
      stacks: model.nstacks, frames: model.frames.length
    });
    var api = {
      version: 1,
      totals: totals,
      meta: JSON.parse(JSON.stringify(model.meta)),
      /* Every frame of the tree now shown (after hiding and the thread
         filter), callers before callees; x, y, width in CSS pixels of the
         canvas (y from its top where it is now: it covers only the part of
         a deep graph on screen); width 0 outside the zoomed frame. */
      frames: function () {
        var t = app.tree, out = [], stack = [ROOT];
        while (stack.length) {
          var n = stack.pop();
          out.push(frameInfo(n, 0));
          for (var k = t.kidStart[n] + t.kidN[n] - 1; k >= t.kidStart[n]; k--) stack.push(t.kids[k]);
        }
        return out;
      },
      state: function () {
        var z = app.view.zoom;
        return {
          view: app.view.flame ? 'flame' : 'icicle',
          zoom: zoomPath(z).map(function (f) { return model.frames[f].text; }),
          zoomBytes: app.tree.total[z],
          search: app.view.search, searchValid: !app.view.search || !!app.searchRe, searchProblem: app.searchProblem,
          searchShare: app.share, searchBytes: app.searchRe ? app.matchTotal : 0,
          thread: app.view.thread, hide: app.view.hide, theme: app.dark ? 'dark' : 'light',
          total: app.tree.total[ROOT], count: model.counted ? app.tree.countAll : null,
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
        var before = app.vals;
        app.ext = ext;
        if (ext.source) { app.source = ext.source; app.vals = null; }
        if (ext.init) ext.init($('mf-extension'), { model: model, refresh: refresh, fmtBytes: fmtBytes, fmtMs: fmtMs,
                                                    save: function () { saveState(false); } });
        refresh(before);
      }
    };
    Object.freeze(api);
    Object.defineProperty(window, 'mf', { value: api, writable: false, configurable: false });
  }

  /*
   * Recompute values from the source and redraw, keeping the zoom if it
   * still exists.  Values that are the very arrays of before (given by
   * extend: a temporal page opens on the stack lines' own) keep the tree.
   */
  function refresh(before) {
    var zp = zoomPath(app.view.zoom), v = app.vals = before ? app.source.values(model) : null;
    if (!v || !['value', 'count', 'other', 'otherCount'].every(function (k) { return v[k] === before[k]; })) {
      rebuild();
      app.view.zoom = findPath(zp);
    }
    draw();
  }

  /* ---------------------------------------------------------------- start */

  loadModel();
  if (model.diff) diffInstall();
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
  /* What the first paint did not need, worked out after it in small tasks: each frame's kind (its colour), so a zoom does not. */
  function warmFrames(from) {
    var end = Math.min(model.frames.length, from + 2000);
    for (var i = from; i < end; i++) model.frames[i].kinds();
    if (end < model.frames.length) setTimeout(function () { warmFrames(end); }, 0);
  }
  requestAnimationFrame(function () { setTimeout(function () { warmFrames(0); }, 0); });
}());
