/*
 * page-diff.js - the differential mode, for mf-diff's output (model.diff,
 * docs/REPORT.md): widths from NEW, or toggled from BASE (then what
 * vanished is visible); each frame coloured by how its bytes, its own and
 * its callees', changed: red for growth, blue for shrinkage, the
 * saturation the change over the largest change of any frame, near-white
 * for none.  It supplies the source, the header, the legend, the tooltip's
 * rows, the "largest changes" list, the fragment key widths=base and its
 * part of window.mf; the other parts call it where model.diff says so.
 * Part of the page script (see page-model.js).
 */

  var DIFF_WHITE = [246, 246, 246], DIFF_RED = [214, 32, 32], DIFF_BLUE = [32, 96, 214];
  var DIFF_LIST = 20;       /* frames in the "largest changes" list */

  var diffView = { base: false };      /* widths from BASE instead of NEW */
  /* Per tree: the largest change of any frame, and the largest own changes by frame. */
  var diffCache = { tree: null, max: 0, list: [] };

  /* The values of both sides; value is the side that gives the widths. */
  var diffSource = {
    name: 'diff',
    values: function (model) {
      var st = model.st, a = st.value, ac = st.count, b = st.before, bc = st.beforeCount;
      return diffView.base ? { value: b, count: bc, other: a, otherCount: ac }
                           : { value: a, count: ac, other: b, otherCount: bc };
    }
  };

  /* Before and after of node n, whole and own. */
  function diffSides(n) {
    var t = app.tree;
    return diffView.base
      ? { before: t.total[n], after: t.o[n], beforeSelf: t.self[n], afterSelf: t.oSelf[n], beforeCount: t.count[n], afterCount: t.oCount[n] }
      : { before: t.o[n], after: t.total[n], beforeSelf: t.oSelf[n], afterSelf: t.self[n], beforeCount: t.oCount[n], afterCount: t.count[n] };
  }

  /*
   * The largest change and the list, once per tree (after a rebuild).  No
   * object per node or frame: per frame id, typed arrays of its own change,
   * before and after summed over its nodes, and the node of its largest own
   * change (the first met in the walk, which goes through the callees last
   * first); then the DIFF_LIST largest by one pass, not a sort of them all.
   */
  function diffPrepare() {
    if (diffCache.tree === app.tree) return;
    var t = app.tree, nf = model.frames.length, max = 0, sign = diffView.base ? -1 : 1;
    var change = new Float64Array(nf), before = new Float64Array(nf), after = new Float64Array(nf);
    var nodeCh = new Float64Array(nf).fill(-1), node = new Int32Array(nf);
    var stack = Array.prototype.slice.call(t.kids, t.kidStart[ROOT], t.kidStart[ROOT] + t.kidN[ROOT]);
    while (stack.length) {
      var n = stack.pop(), f = t.f[n], ch = Math.abs(t.total[n] - t.o[n]);
      if (ch > max) max = ch;
      var selfCh = sign * (t.self[n] - t.oSelf[n]);
      change[f] += selfCh;
      before[f] += diffView.base ? t.self[n] : t.oSelf[n];
      after[f] += diffView.base ? t.oSelf[n] : t.self[n];
      if (Math.abs(selfCh) > nodeCh[f]) { nodeCh[f] = Math.abs(selfCh); node[f] = n; }
      for (var k = t.kidStart[n], k1 = k + t.kidN[n]; k < k1; k++) stack.push(t.kids[k]);
    }
    var order = function (x, y) {
      var tx = model.frames[x].text, ty = model.frames[y].text;
      return Math.abs(change[y]) - Math.abs(change[x]) || (tx < ty ? -1 : tx > ty ? 1 : 0);
    };
    var top = [];
    for (f = 0; f < nf; f++) {
      if (change[f] === 0 || top.length === DIFF_LIST && order(f, top[DIFF_LIST - 1]) >= 0) continue;
      var i = top.length === DIFF_LIST ? DIFF_LIST - 1 : top.length;
      while (i > 0 && order(f, top[i - 1]) < 0) { top[i] = top[i - 1]; i--; }
      top[i] = f;
    }
    var list = top.map(function (id) { return { f: id, change: change[id], before: before[id], after: after[id], node: node[id] }; });
    diffCache = { tree: app.tree, max: max, list: list };
    diffShowList();
  }

  function diffMix(to, r) {
    return 'rgb(' + DIFF_WHITE.map(function (w, i) { return Math.round(w + (to[i] - w) * r); }).join(',') + ')';
  }

  function diffColour(n) {
    diffPrepare();
    var ch = (diffView.base ? -1 : 1) * (app.tree.total[n] - app.tree.o[n]);
    if (ch === 0 || diffCache.max === 0) return diffMix(DIFF_RED, 0);
    return diffMix(ch > 0 ? DIFF_RED : DIFF_BLUE, Math.min(1, Math.abs(ch) / diffCache.max));
  }

  /* "+1.5 KiB", "-200 B", "0 B"; counts as numbers. */
  function diffSigned(v) {
    var t = model.unit === 'count' ? fmtInt(Math.abs(v)) : fmtBytes(Math.abs(v));
    return (v > 0 ? '+' : v < 0 ? '\u2212' : '') + t;
  }
  /* The change as a share of before: "+50.0%", "new" when there was nothing. */
  function diffPct(before, after) {
    if (before === 0) return after === 0 ? '0%' : 'new';
    var x = (after - before) / before;
    return (x > 0 ? '+' : x < 0 ? '\u2212' : '') + fmtPct(Math.abs(x));
  }

  function diffTipRows(n) {
    var s = diffSides(n);
    var rows = [
      ['Before', valueText(s.before)],
      ['After', valueText(s.after)],
      ['Change', diffSigned(s.after - s.before) + ' (' + diffPct(s.before, s.after) + ')'],
      ['Own change', diffSigned(s.afterSelf - s.beforeSelf) + ' (' + valueText(s.beforeSelf) + ' \u2192 ' + valueText(s.afterSelf) + ')']
    ];
    if (model.counted && model.unit !== 'count') rows.push(['Allocations', fmtInt(s.beforeCount) + ' \u2192 ' + fmtInt(s.afterCount)]);
    return rows;
  }

  function diffFrameInfo(n, info) {
    var s = diffSides(n);
    info.before = s.before; info.after = s.after; info.change = s.after - s.before;
    info.selfBefore = s.beforeSelf; info.selfAfter = s.afterSelf;
    info.countBefore = s.beforeCount; info.countAfter = s.afterCount;
    info.colour = n !== ROOT ? diffColour(n) : null;
  }

  /* "$ cmd" and when it was recorded, for one side (prefix base_ or new_). */
  function diffSide(prefix) {
    var m = model.meta, get = function (k) { return m[prefix + k]; };
    var argv = get('argv'), cmd = Array.isArray(argv) && argv.every(function (w) { return typeof w === 'string'; })
      ? argv.map(shellWord).join(' ') : typeof get('command') === 'string' ? get('command') : '';
    var when = typeof get('start_ms') === 'number' ? fmtDate(get('start_ms')) : '';
    if (typeof get('at_ms') === 'number') when += (when ? ', ' : '') + 'at ' + fmtMs(get('at_ms'));
    var kind = typeof get('reducer') === 'string' ? get('reducer') : 'folded stacks';
    return { cmd: cmd, when: when, kind: kind };
  }

  function diffTotals() {
    var s = diffSides(ROOT);
    return s;
  }

  function diffHeader() {
    var b = diffSide('base_'), a = diffSide('new_'), m = model.meta;
    var kind = 'Difference: ' + b.kind + (a.kind !== b.kind ? ' \u2192 ' + a.kind : '') + (m.inverted === true ? ' (inverted)' : '');
    document.title = model.title || kind + (a.cmd ? ': ' + a.cmd : '');
    $('mf-title').textContent = model.title || 'mf \u2014 memory difference flame graph';
    $('mf-kind').textContent = kind + (m.normalized === true ? ', before normalized' : '');
    $('mf-inverted').hidden = m.inverted !== true;
    var c = $('mf-command');
    c.textContent = '';
    [['before: ', b], ['after: ', a]].forEach(function (p, i) {
      var line = el('div');
      line.appendChild(el('b', p[0]));
      line.appendChild(document.createTextNode((p[1].cmd ? '$ ' + p[1].cmd : '(no command)') + (p[1].when ? '  \u00b7 ' + p[1].when : '')));
      line.id = i ? 'mf-diff-new' : 'mf-diff-base';
      c.appendChild(line);
    });
    diffHeaderTotals();
    /* The list now: the first draw makes it (diffColour), but a side with nothing to show draws nothing. */
    diffPrepare();
    $('mf-help-what').textContent = 'This report shows what changed between two reductions (mf-diff): widths are the ' +
      (diffView.base ? 'before' : 'after') + ' side\'s ' + (model.unit === 'count' ? 'numbers of allocations' : 'bytes') +
      '; red frames grew, blue ones shrank, the stronger the colour the larger the change next to the largest one; near-white frames did not change.';
  }

  function diffHeaderTotals() {
    var t = $('mf-totals'), s = diffTotals();
    t.textContent = '';
    var parts = [['Before: ', valueText(s.before)], ['After: ', valueText(s.after)],
                 ['Change: ', diffSigned(s.after - s.before) + ' (' + diffPct(s.before, s.after) + ')']];
    if (model.counted && model.unit !== 'count') parts.push(['Allocations: ', fmtInt(s.beforeCount) + ' \u2192 ' + fmtInt(s.afterCount)]);
    parts.forEach(function (p, i) {
      if (i) t.appendChild(document.createTextNode(' \u00b7 '));
      t.appendChild(document.createTextNode(p[0]));
      t.appendChild(el('b', p[1]));
    });
  }

  function diffLegend(lg) {
    [['grew', diffMix(DIFF_RED, 1)], ['shrank', diffMix(DIFF_BLUE, 1)], ['unchanged', diffMix(DIFF_RED, 0)]].forEach(function (p) {
      var s = el('span', undefined, 'mf-diff-key');
      var sw = el('span', undefined, 'mf-sw');
      sw.style.background = p[1];
      s.appendChild(sw);
      s.appendChild(document.createTextNode(p[0]));
      lg.appendChild(s);
    });
    var m = el('span');
    m.appendChild(el('span', undefined, 'mf-sw mf-sw-match'));
    m.appendChild(document.createTextNode('search match'));
    lg.appendChild(m);
    lg.appendChild(el('span', 'colour strength = the change next to the largest change of any frame', 'mf-diff-strength'));
    lg.appendChild(el('span', '', 'mf-diff-width'));
    diffLegendWidth();
  }

  function diffLegendWidth() {
    var w = document.querySelector('#mf-legend .mf-diff-width');
    if (w) w.textContent = 'width = ' + (model.unit === 'count' ? 'allocations' : 'bytes') + ' ' + (diffView.base ? 'before (BASE)' : 'after (NEW)');
  }

  /* The toggle and the list, in #mf-extension. */
  function diffControls(box) {
    var bar = el('div', undefined, 'mf-diff-bar');
    var btn = el('button', '', 'mf-diff-toggle');
    btn.type = 'button';
    btn.id = 'mf-diff-widths';
    btn.title = 'Widths from the before side (what vanished shows) or from the after side';
    btn.addEventListener('click', function () { diffSetWidths(!diffView.base); saveState(false); });
    bar.appendChild(btn);
    box.appendChild(bar);
    var panel = el('section', undefined, 'mf-diff-list');
    panel.id = 'mf-diff-list';
    panel.appendChild(el('h2', 'Largest changes'));
    panel.appendChild(el('ol'));
    box.appendChild(panel);
    diffSyncToggle();
  }

  function diffSyncToggle() {
    var btn = $('mf-diff-widths');
    if (btn) btn.textContent = diffView.base ? 'Widths: before (show after)' : 'Widths: after (show before)';
    diffLegendWidth();
  }

  function diffSetWidths(base) {
    if (base === diffView.base) return;
    diffView.base = base;
    diffSyncToggle();
    refresh();
    diffHeader();
  }

  function diffShowList() {
    var ol = document.querySelector('#mf-diff-list ol'), t = app.tree;
    if (!ol) return;
    ol.textContent = '';
    /* Nothing on either side ("No allocations to show."): no list, not even its heading. */
    if ((ol.parentNode.hidden = t.total[ROOT] === 0 && t.o[ROOT] === 0)) return;
    if (!diffCache.list.length) ol.appendChild(el('li', 'no frame changed', 'mf-diff-none'));
    diffCache.list.forEach(function (e) {
      var f = model.frames[e.f], li = el('li');
      var b = el('button', undefined, e.change > 0 ? 'mf-diff-up' : 'mf-diff-down');
      b.type = 'button';
      b.title = f.text + ': ' + valueText(e.before) + ' \u2192 ' + valueText(e.after) + ' (click to zoom)';
      b.appendChild(el('span', diffSigned(e.change), 'mf-diff-change'));
      b.appendChild(el('span', f.kind === 'thread' ? f.text : f.func, 'mf-diff-name'));
      b.addEventListener('click', function () { zoomTo(e.node, true); });
      li.appendChild(b);
      ol.appendChild(li);
    });
  }

  /* The extension entry of the diff mode: the fragment key, window.mf.extension(). */
  var diffExt = {
    fragment: function (q) { if (diffView.base) q.set('widths', 'base'); },
    applyFragment: function (q) {
      var base = q.get('widths') === 'base';
      if (base === diffView.base) return false;
      diffView.base = base;
      diffSyncToggle();
      return true;
    },
    api: Object.freeze({
      mode: 'diff',
      widths: function () { return diffView.base ? 'base' : 'new'; },
      setWidths: function (w) { diffSetWidths(w === 'base'); saveState(false); },
      largest: function () {
        diffPrepare();
        return diffCache.list.map(function (e) {
          return { frame: model.frames[e.f].text, name: model.frames[e.f].func, change: e.change, before: e.before, after: e.after };
        });
      },
      maxChange: function () { diffPrepare(); return diffCache.max; }
    })
  };

  /* At the start, before the first build: the diff's source and controls. */
  function diffInstall() {
    app.source = diffSource;
    app.ext = diffExt;
    document.documentElement.classList.add('mf-diff');
    diffControls($('mf-extension'));
  }
