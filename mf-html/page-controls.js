/*
 * page-controls.js - the controls: the view state in the URL fragment,
 * search, the buttons and keys, the header, the panels, the legend and the
 * memory dialog.  Part of the page script (see page-model.js).
 */

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

  /* The search's matches over frames, within MATCH_BUDGET_MS (page-match.js). */
  function computeSearch() {
    var src = app.view.search, box = $('mf-search');
    app.searchRe = null;
    app.matchOf = null;
    app.share = 0;
    app.searchProblem = null;
    box.classList.remove('mf-bad');
    box.title = '';
    if (!src) { $('mf-match').textContent = ''; return; }
    var re = compileMatcher(src), m = new Uint8Array(model.frames.length);
    var deadline = performance.now() + MATCH_BUDGET_MS, problem = re.error;
    try {
      for (var i = 0; i < model.frames.length && !problem; i++) {
        var f = model.frames[i];
        m[i] = re.test(f.func, deadline) || re.test(f.loc, deadline) ? 1 : 0;
      }
    } catch (e) {
      if (e !== SLOW) throw e;
      problem = 'pattern too slow: stopped after ' + MATCH_BUDGET_MS + ' ms';
    }
    if (problem) {
      app.searchProblem = problem;
      box.classList.add('mf-bad');
      box.title = problem;
      $('mf-match').textContent = problem;
      return;
    }
    app.searchRe = re;
    app.matchOf = m;
    /* The share counts each matched subtree once: nested matches add nothing. */
    var t = app.tree, total = 0, stack = [ROOT];
    while (stack.length) {
      var n = stack.pop();
      if (n !== ROOT && m[t.f[n]]) { total += t.total[n]; continue; }
      for (var k = t.kidStart[n], k1 = k + t.kidN[n]; k < k1; k++) stack.push(t.kids[k]);
    }
    app.share = t.total[ROOT] ? total / t.total[ROOT] : 0;
    var out = $('mf-match');
    out.textContent = '';
    out.appendChild(el('b', fmtPct(app.share)));
    out.appendChild(document.createTextNode(' of the total (' + valueText(total) + ')'));
    app.matchTotal = total;
  }

  /* ------------------------------------------------------------ controls */

  function zoomTo(n, push) {
    if (n < 0 || n === app.view.zoom) return;
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
      if (n >= 0) zoomTo(n, true);
    });
    canvas.addEventListener('mousemove', function (e) {
      var r = canvas.getBoundingClientRect();
      var n = nodeAt(e.clientX - r.left, e.clientY - r.top);
      if (n >= 0) showTip(n, e.clientX, e.clientY); else tip.hidden = true;
    });
    canvas.addEventListener('mouseleave', function () { tip.hidden = true; });
    $('mf-reset').addEventListener('click', function () { zoomTo(ROOT, true); });
    $('mf-orient').addEventListener('click', function () {
      app.view.flame = !app.view.flame;
      syncControls(); draw(); saveState(false);
    });
    $('mf-hide').addEventListener('change', function () {
      var zp = zoomPath(app.view.zoom);
      app.view.hide = this.checked;
      rebuild();
      app.view.zoom = zp.length ? findPath(zp.filter(function (f) { return !app.view.hide || !model.frames[f].hidden; })) : ROOT;
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
        sel.appendChild(new Option(t.num + ': ' + (visibleText(t.name) || 'thread ' + t.num), String(t.num)));
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
        zoomTo(ROOT, true);
      }
    });
    window.addEventListener('popstate', applyFragment);
    window.addEventListener('hashchange', applyFragment);
    window.addEventListener('scroll', onScroll, { passive: true });
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

  /* A Map: a reducer named __proto__ or constructor is just unknown. */
  var REDUCERS = new Map(Object.entries({
    peak: ['Peak memory', 'the allocations that were live when heap usage was at its highest'],
    leaks: ['Leaked memory', 'the allocations still live when the recording ended'],
    temporary: ['Temporary allocations', 'allocations freed again soon after they were made'],
    all: ['All allocations', 'every allocation made during the recording'],
    folded: ['Folded stacks', 'the folded stacks given to mf-html'],
    live: ['Live memory', 'the allocations that were live at one moment of the recording (mf-peak --at)'],
    temporal: ['Peak memory', 'the allocations that were live when heap usage was at its highest'],
    'temporal-leaks': ['Leaked memory', 'the allocations still live when the recording ended']
  }));

  function header() {
    if (model.diff) { diffHeader(); return; }      /* page-diff.js */
    var m = model.meta, r = REDUCERS.get(m.reducer) || ['Memory flame graph', 'the folded stacks given to mf-html'];
    var command = commandLine(m);
    var kind = r[0] + (m.inverted === true ? ' (inverted)' : '');
    var title = model.title || kind + (command ? ': ' + command : '');
    document.title = title;
    // Plain flamegraph.pl input has no reducer: its kind already says "flame graph".
    $('mf-title').textContent = model.title ||
      'mf \u2014 ' + r[0].toLowerCase() + (REDUCERS.has(m.reducer) ? ' flame graph' : '');
    $('mf-kind').textContent = m.reducer === 'temporary' && m.temporary_threshold !== undefined
      ? kind + ', threshold ' + m.temporary_threshold : kind;
    $('mf-inverted').hidden = m.inverted !== true;
    if (command) $('mf-command').textContent = '$ ' + command;
    var t = $('mf-totals');
    var shown = app.tree.total[ROOT], count = app.tree.countAll;
    var parts = [];
    var what = /leaks$/.test(m.reducer) ? 'Leaked' : /^(peak|temporal)$/.test(m.reducer) ? 'At the peak' : 'Shown';
    parts.push([what + ': ', valueText(shown)]);
    if (model.counted && model.unit !== 'count') parts.push(['in ', fmtAllocs(count)]);
    if (typeof m.peak_bytes === 'number' && what !== 'At the peak') parts.push(['peak heap ', fmtBytes(m.peak_bytes)]);
    if (typeof m.at_ms === 'number') parts.push(['live at ', fmtMs(m.at_ms)]);
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
    add('Command line', commandLine(m));
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
    add('Shown', valueText(app.tree.total[ROOT]) + (model.counted && model.unit !== 'count' ? ' in ' + fmtAllocs(app.tree.countAll) : ''));
    add('Distinct frames', fmtInt(model.frames.length));
    add('Distinct stacks', fmtInt(model.nstacks));
    if (split) add('Threads', fmtInt(threads.length));
    if (typeof m.interval_ms === 'number') add('Memory sampled every', fmtMs(m.interval_ms));
    rows.forEach(function (r) { dl.appendChild(el('dt', r[0])); dl.appendChild(el('dd', r[1])); });
    var bare = withoutDebugInfo(model.modules);
    if (bare.length) dl.appendChild(el('dt', 'Without debug information'));
    bare.forEach(function (t) { dl.appendChild(el('dd', t)); });
  }

  /*
   * The modules none of whose frames has a line, each with where Debian's
   * debug package (-dbgsym, -dbg) puts its debug file, by build id.
   */
  function withoutDebugInfo(modules) {
    return modules.filter(function (mod) { return !mod.lines && mod.path !== '[python]'; }).map(function (mod) {
      return mod.path + (mod.buildId && mod.buildId.length > 2
        ? ' \u2014 a -dbgsym or -dbg package would install /usr/lib/debug/.build-id/' +
          mod.buildId.slice(0, 2) + '/' + mod.buildId.slice(2) + '.debug'
        : ' \u2014 build id unknown');
    });
  }

  function legend() {
    var lg = $('mf-legend');
    if (model.diff) diffLegend(lg);      /* page-diff.js: growth and shrinkage */
    else [['mf-sw-user', 'your code'], ['mf-sw-lib', 'libraries'], ['mf-sw-sys', 'system / irrelevant'],
     ['mf-sw-thread', 'threads'], ['mf-sw-match', 'search match']].forEach(function (p) {
      var s = el('span');
      s.appendChild(el('span', undefined, 'mf-sw ' + p[0]));
      s.appendChild(document.createTextNode(p[1]));
      lg.appendChild(s);
    });
    if (!model.diff) lg.appendChild(el('span', model.unit === 'count'
      ? 'width = number of allocations'
      : 'width = bytes; B, KiB (1024 B), MiB (1024 KiB), GiB (1024 MiB)'));
    if (model.warnings.length) {
      var w = $('mf-warning');
      w.textContent = model.warnings.join('; ');
      w.hidden = false;
    }
  }

  /*
   * One CSV cell.  A spreadsheet takes a cell starting with =, +, -, @ (or
   * a tab or carriage return) as a formula: such a cell is quoted with a '
   * in front.  The records are numbers (decodeModel checks them), so this
   * is the last guard, not the rule.
   */
  function csvCell(v) {
    var s = String(v);
    if (/^[=+\-@\t\r]/.test(s)) s = "'" + s;
    return /[",\n\r']/.test(s) ? '"' + s.replace(/"/g, '""') + '"' : s;
  }

  function memoryCsv() {
    var lines = ['ms,heap_bytes,rss_bytes'];
    model.memory.forEach(function (r) { lines.push(r.slice(0, 3).map(csvCell).join(',')); });
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

