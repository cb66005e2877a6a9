/*
 * page-tree.js - the call tree: built from the model and the values of the
 * source for the current filters (hide, thread), and zoom paths into it.
 * Part of the page script (see page-model.js).
 */

  /* ---------------------------------------------------------------- tree */

  /*
   * The tree is a struct of typed arrays, a node an index into them (the
   * root is node 0, its frame -1): 100,000 stacks make several hundred
   * thousand nodes, which as objects cost more to make and collect than
   * the whole build otherwise takes.  Per node: parent (-1 for the root),
   * f (frame id), depth, height (rows below it), total and self (the
   * source's value, its callees' included or not), count and selfCount
   * (allocations), x (its offset in value units from the root's left
   * edge); o, oSelf, oCount, oSelfCount the same sums of the source's
   * other side (a diff's, page-diff.js), null without one.  A node's
   * callees, widest first and then by frame text, are
   * kids[kidStart[i] .. kidStart[i] + kidN[i]).
   */
  var ROOT = 0;

  /* A copy of a with room for n elements, the first a.length kept. */
  function grown(a, n) {
    var b = new a.constructor(n);
    b.set(a);
    return b;
  }

  /*
   * Node (parent, frame) -> node: open addressing over node ids + 1, so a
   * stack whose callers came before, not right before it, finds their
   * nodes (hidden frames skipped; the input's order is by text, where
   * "a;b" and "a;b;c" may have "a;b!x" between them).
   */
  function NodeIndex(cap) {
    var size = 1024;
    while (size < cap * 2) size *= 2;
    this.slots = new Int32Array(size);
    this.mask = size - 1;
  }
  NodeIndex.prototype.slot = function (t, p, f) {
    var h = (Math.imul(p, 0x9e3779b1) ^ Math.imul(f + 1, 0x85ebca77)) >>> 0;
    for (var i = (h ^ h >>> 15) & this.mask; ; i = (i + 1) & this.mask) {
      var n = this.slots[i];
      if (n === 0 || t.parent[n - 1] === p && t.f[n - 1] === f) return i;
    }
  };

  /* An empty tree with room for cap nodes, with the root. */
  function newTree(cap, other) {
    var t = { n: 1, parent: new Int32Array(cap), f: new Int32Array(cap), depth: new Int32Array(cap),
              self: new Float64Array(cap), selfCount: new Float64Array(cap),
              oSelf: other ? new Float64Array(cap) : null, oSelfCount: other ? new Float64Array(cap) : null };
    t.parent[0] = -1;
    t.f[0] = -1;
    return t;
  }
  function growTree(t) {
    var cap = t.parent.length * 2;
    ['parent', 'f', 'depth', 'self', 'selfCount', 'oSelf', 'oSelfCount'].forEach(function (k) {
      if (t[k]) t[k] = grown(t[k], cap);
    });
  }

  /*
   * Build the call tree of the stacks that pass the filters.  A hidden
   * frame is skipped: its callees attach to its caller, merging with
   * callees of the same frame, so its bytes stay with its caller.
   * One pass over the stacks as the model holds them (each one's frames
   * after those it shares with the one before): the nodes of the shared
   * frames are those of the stack before, kept in at[] by depth, so only
   * a stack's new frames are looked up.  A source with another side
   * (vals.other, vals.otherCount: a diff's, page-diff.js) has it summed
   * into the same nodes; a stack of that side alone makes nodes of width 0.
   */
  function buildTree(model, vals, opts) {
    var frames = model.frames, st = model.st, other = vals.other || null, otherCount = vals.otherCount;
    var t = newTree(st.pool.length + 1, other), index = new NodeIndex(st.pool.length + 1);
    var hidden = new Uint8Array(frames.length), hiddenOutsidePython = new Uint8Array(frames.length);
    for (var i = 0; i < frames.length; i++) {
      hidden[i] = opts.hide && frames[i].hidden ? 1 : 0;
      /* CPython's own frames are hidden only where Python frames are (markPython). */
      hiddenOutsidePython[i] = hidden[i] && !frames[i].withPython ? 1 : 0;
    }
    var fr = new Int32Array(st.maxDepth + 1), at = new Int32Array(st.maxDepth + 2);
    var valid = 0, lastPython = -1, len = 0;
    for (var s = 0; s < st.n; s++) {
      /* The frames of stack s: those it shares with the stack before, then its own. */
      var shared = st.shared[s], o = st.off[s], end = st.off[s + 1];
      len = shared + end - o;
      for (var j = shared; j < len; j++) fr[j] = st.pool[o + j - shared];
      if (shared < valid) valid = shared;
      var v = vals.value[s], c = vals.count[s], ov = other ? other[s] : 0, oc = other ? otherCount[s] : 0;
      if (opts.thread !== null && opts.threadOf[s] !== opts.thread) continue;
      if (v === 0 && c === 0 && ov === 0 && oc === 0) continue;
      var py = st.python ? st.python[s] : 0;
      if (py !== lastPython) { valid = 0; lastPython = py; }
      var hid = py ? hidden : hiddenOutsidePython;
      at[0] = ROOT;
      for (var d = valid; d < len; d++) {
        var p = at[d], f = fr[d];
        if (hid[f]) { at[d + 1] = p; continue; }
        var slot = index.slot(t, p, f), node = index.slots[slot] - 1;
        if (node < 0) {
          if (t.n === t.parent.length) growTree(t);
          node = t.n++;
          t.parent[node] = p;
          t.f[node] = f;
          t.depth[node] = t.depth[p] + 1;
          index.slots[slot] = node + 1;
          if (t.n * 2 > index.slots.length) index = rehash(t);
        }
        at[d + 1] = node;
      }
      valid = len;
      var leaf = at[len];
      t.self[leaf] += v;
      t.selfCount[leaf] += c;
      if (other) { t.oSelf[leaf] += ov; t.oSelfCount[leaf] += oc; }
    }
    finishTree(t, model);
    app.nodes = t.n;
    return t;
  }
  function rehash(t) {
    var index = new NodeIndex(t.parent.length);
    for (var n = 0; n < t.n; n++) if (t.parent[n] >= 0) index.slots[index.slot(t, t.parent[n], t.f[n])] = n + 1;
    return index;
  }

  /*
   * Totals, heights, child lists and order (widest first, then by frame
   * text), x offsets.  Nodes are in creation order: every parent comes
   * before its children.
   */
  function finishTree(t, model) {
    var n = t.n, i, p, frames = model.frames;
    t.total = t.self.slice(0, n);
    t.count = t.selfCount.slice(0, n);
    t.o = t.oSelf ? t.oSelf.slice(0, n) : null;
    t.oCount = t.oSelfCount ? t.oSelfCount.slice(0, n) : null;
    t.height = new Int32Array(n);
    t.kidN = new Int32Array(n);
    for (i = n - 1; i > 0; i--) {
      p = t.parent[i];
      t.total[p] += t.total[i];
      t.count[p] += t.count[i];
      if (t.o) { t.o[p] += t.o[i]; t.oCount[p] += t.oCount[i]; }
      if (t.height[i] + 1 > t.height[p]) t.height[p] = t.height[i] + 1;
      t.kidN[p]++;
    }
    t.kidStart = new Int32Array(n);
    for (i = 1; i < n; i++) t.kidStart[i] = t.kidStart[i - 1] + t.kidN[i - 1];
    t.kids = new Int32Array(Math.max(n - 1, 0));
    var fill = t.kidStart.slice();
    for (i = 1; i < n; i++) t.kids[fill[t.parent[i]]++] = i;
    var total = t.total, f = t.f;
    var byWidth = function (a, b) {
      if (total[a] !== total[b]) return total[b] - total[a];
      var ta = frames[f[a]].text, tb = frames[f[b]].text;
      return ta < tb ? -1 : ta > tb ? 1 : 0;
    };
    t.x = new Float64Array(n);
    /* Sorted in a plain array, used again: a subarray per node costs more than its sort. */
    var list = [];
    for (i = 0; i < n; i++) {
      var k0 = t.kidStart[i], k1 = k0 + t.kidN[i], x = t.x[i], k;
      if (k1 - k0 > 1) {
        list.length = 0;
        for (k = k0; k < k1; k++) list.push(t.kids[k]);
        list.sort(byWidth);
        for (k = k0; k < k1; k++) t.kids[k] = list[k - k0];
      }
      for (k = k0; k < k1; k++) { t.x[t.kids[k]] = x; x += total[t.kids[k]]; }
    }
  }

  /* The zoomed node as a path of frame ids from the root. */
  function zoomPath(n) {
    var p = [], t = app.tree;
    for (; n > ROOT; n = t.parent[n]) p.unshift(t.f[n]);
    return p;
  }
  /*
   * The node at path p, or its deepest existing ancestor.  Frames that are
   * hidden now may be missing from p (it was saved while they were hidden):
   * they are stepped through.
   */
  function findPath(p) {
    var n = ROOT;
    for (var i = 0; i < p.length; i++) {
      var next = childThroughHidden(n, p[i], 8);
      if (next < 0) break;
      n = next;
    }
    return n;
  }
  function childThroughHidden(n, f, depth) {
    var t = app.tree, k, c, k0 = t.kidStart[n], k1 = k0 + t.kidN[n];
    for (k = k0; k < k1; k++) if (t.f[t.kids[k]] === f) return t.kids[k];
    if (depth === 0) return -1;
    for (k = k0; k < k1; k++) {
      if (!model.frames[t.f[t.kids[k]]].hidden) continue;
      c = childThroughHidden(t.kids[k], f, depth - 1);
      if (c >= 0) return c;
    }
    return -1;
  }

  /* Is node n anc or inside it. */
  function isInside(n, anc) {
    var t = app.tree;
    for (; n >= 0; n = t.parent[n]) if (n === anc) return true;
    return false;
  }
