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
   * kids[kidStart[i] .. kidStart[i] + kidN[i]).  self, selfCount, count,
   * oSelf and oSelfCount are made when first read (newTree); the arrays
   * may be longer than the tree's n nodes.
   */
  var ROOT = 0;

  /* A copy of a with room for n elements, the first a.length kept. */
  function grown(a, n) {
    var b = new a.constructor(n);
    b.set(a);
    return b;
  }

  /*
   * Callees while the tree is built: each node's list through firstKid and
   * nextKid (node ids + 1, newest first), and kidN counts them.  Most of a
   * stack's frames make new nodes, and a node made for this stack has no
   * callees yet, so a callee is only looked for under a node made before:
   * in its list while that is short (FEW_KIDS), else in a KidIndex that
   * gets all of a node's callees when it gets more than FEW_KIDS, and its
   * new callees after.  A hash over every node cost a million probes, all
   * cache misses, at a million nodes.
   */
  var FEW_KIDS = 8;

  /* (parent, frame) -> node by open addressing, the key beside the node: one cache line a probe. */
  function KidIndex() {
    this.slots = new Int32Array(4 * 1024);
    this.mask = 1023;
    this.used = 0;
  }
  KidIndex.prototype.home = function (p, f) {
    var h = (Math.imul(p, 0x9e3779b1) ^ Math.imul(f + 1, 0x85ebca77)) >>> 0;
    return (h ^ h >>> 15) & this.mask;
  };
  KidIndex.prototype.find = function (p, f) {
    for (var i = this.home(p, f); ; i = (i + 1) & this.mask) {
      var b = i * 4, n = this.slots[b];
      if (n === 0) return -1;
      if (this.slots[b + 1] === p && this.slots[b + 2] === f) return n - 1;
    }
  };
  /* Node (a callee of p for frame f, not in the index yet). */
  KidIndex.prototype.add = function (p, f, node) {
    if (++this.used * 2 > this.mask + 1) this.grow();
    for (var i = this.home(p, f); this.slots[i * 4] !== 0; i = (i + 1) & this.mask) ;
    this.slots[i * 4] = node + 1;
    this.slots[i * 4 + 1] = p;
    this.slots[i * 4 + 2] = f;
  };
  KidIndex.prototype.grow = function () {
    var old = this.slots;
    this.slots = new Int32Array(old.length * 2);
    this.mask = this.mask * 2 + 1;
    for (var b = 0; b < old.length; b += 4) {
      if (old[b] === 0) continue;
      for (var i = this.home(old[b + 1], old[b + 2]); this.slots[i * 4] !== 0; i = (i + 1) & this.mask) ;
      /* Copied one by one: a subarray per entry cost more than the whole copy. */
      this.slots[i * 4] = old[b];
      this.slots[i * 4 + 1] = old[b + 1];
      this.slots[i * 4 + 2] = old[b + 2];
    }
  };

  var TREE_ARRAYS = ['parent', 'f', 'depth', 'total', 'o', 'oCount', 'firstKid', 'nextKid', 'kidN'];

  /*
   * An empty tree with room for cap nodes, with the root, for the stacks
   * of model.st and their values vals.  A stack's value goes into its
   * leaf's total (finishTree adds the callees').  Memory is most of the
   * build's cost: each page of a new array costs a fault when first
   * written, so no array is copied, depths take 16 bits unless a stack is
   * deeper (maxDepth), and self, selfCount, oSelf, oSelfCount and count,
   * which the first paint does not read, are made when one is first read
   * (selfSums, counts), from the stacks' leaves (leafOf, -1 for a stack
   * left out); countAll is the root's count.
   */
  function newTree(cap, st, vals) {
    var Depth = st.maxDepth < 65535 ? Uint16Array : Int32Array, other = vals.other || null;
    var t = { n: 1, parent: new Int32Array(cap), f: new Int32Array(cap), depth: new Depth(cap), height: null,
              total: new Float64Array(cap), countAll: 0,
              o: other ? new Float64Array(cap) : null, oCount: other ? new Float64Array(cap) : null,
              firstKid: new Int32Array(cap), nextKid: new Int32Array(cap), kidN: new Int32Array(cap),
              kidStart: null, kids: null, x: null,
              vals: vals, leafOf: new Int32Array(st.n).fill(-1),
              get self() { return selfSums(this).self; },
              get selfCount() { return selfSums(this).selfCount; },
              get oSelf() { return selfSums(this).oSelf; },
              get oSelfCount() { return selfSums(this).oSelfCount; },
              get count() { return counts(this); } };
    t.parent[0] = -1;
    t.f[0] = -1;
    return t;
  }

  /*
   * The tree's own values per node, summed over the stacks in their order,
   * as the build summed the totals; they take the getters' place, so that
   * a walk of every node (page-diff.js) reads plain arrays.
   */
  function selfSums(t) {
    var n = t.n, v = t.vals, other = v.other || null, leafOf = t.leafOf;
    var a = { self: new Float64Array(n), selfCount: new Float64Array(n),
              oSelf: other ? new Float64Array(n) : null, oSelfCount: other ? new Float64Array(n) : null };
    for (var s = 0; s < leafOf.length; s++) {
      var leaf = leafOf[s];
      if (leaf < 0) continue;
      a.self[leaf] += v.value[s];
      a.selfCount[leaf] += v.count[s];
      if (other) { a.oSelf[leaf] += other[s]; a.oSelfCount[leaf] += v.otherCount[s]; }
    }
    Object.keys(a).forEach(function (k) { Object.defineProperty(t, k, { value: a[k], writable: true, enumerable: true }); });
    return a;
  }
  /* Allocations per node, callees' included: its own, summed up as finishTree sums the totals. */
  function counts(t) {
    var count = new Float64Array(t.selfCount), parent = t.parent;
    for (var i = t.n - 1; i > 0; i--) count[parent[i]] += count[i];
    Object.defineProperty(t, 'count', { value: count, writable: true, enumerable: true });
    return count;
  }
  function growTree(t) {
    var cap = t.parent.length * 2;
    TREE_ARRAYS.forEach(function (k) {
      if (t[k]) t[k] = grown(t[k], cap);
    });
  }

  /* The callee of node p (made before this stack) for frame f, or -1. */
  function findKid(t, index, p, f) {
    var c;
    if (t.kidN[p] <= FEW_KIDS) {
      for (c = t.firstKid[p] - 1; c >= 0; c = t.nextKid[c] - 1) if (t.f[c] === f) return c;
      return -1;
    }
    return index.find(p, f);
  }

  /* Node (just made, a callee of p for frame f) into the index if p has more than a few callees now, with the others if it has just got there. */
  function indexKid(t, index, p, f, node) {
    if (t.kidN[p] > FEW_KIDS + 1) index.add(p, f, node);
    else for (var c = t.firstKid[p] - 1; c >= 0; c = t.nextKid[c] - 1) index.add(p, t.f[c], c);
  }

  /*
   * Build the call tree of the stacks that pass the filters.  A hidden
   * frame is skipped: its callees attach to its caller, merging with
   * callees of the same frame, so its bytes stay with its caller.
   * One pass over the stacks as the model holds them (each one's frames
   * after those it shares with the one before): the nodes of the shared
   * frames are those of the stack before, kept in at[] by depth, so only
   * a stack's new frames are looked for (findKid: a stack whose callers
   * came before, not right before it, finds their nodes; the input's
   * order is by text, where "a;b" and "a;b;c" may have "a;b!x" between
   * them).  A source with another side (vals.other, vals.otherCount: a
   * diff's, page-diff.js) has it summed into the same nodes; a stack of
   * that side alone makes nodes of width 0.
   */
  function buildTree(model, vals, opts) {
    var frames = model.frames, st = model.st, other = vals.other || null, otherCount = vals.otherCount;
    var t = newTree(st.pool.length + 1, st, vals), index = new KidIndex(), leafOf = t.leafOf;
    var hidden = new Uint8Array(frames.length), hiddenOutsidePython = new Uint8Array(frames.length);
    for (var i = 0; i < frames.length; i++) {
      hidden[i] = opts.hide && frames[i].hidden ? 1 : 0;
      /* CPython's own frames are hidden only where Python frames are (markPython). */
      hiddenOutsidePython[i] = hidden[i] && !frames[i].withPython ? 1 : 0;
    }
    var fr = new Int32Array(st.maxDepth + 1), at = new Int32Array(st.maxDepth + 2);
    var valid = 0, lastPython = -1, len = 0, n = t.n;
    var parent = t.parent, fa = t.f, depth = t.depth, firstKid = t.firstKid, nextKid = t.nextKid, kidN = t.kidN;
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
      var hid = py ? hidden : hiddenOutsidePython, fresh = n;
      at[0] = ROOT;
      for (var d = valid; d < len; d++) {
        var p = at[d], f = fr[d];
        if (hid[f]) { at[d + 1] = p; continue; }
        /* A node of this stack (p >= fresh) has no callees yet. */
        var node = p >= fresh ? -1 : findKid(t, index, p, f);
        if (node < 0) {
          /* A new callee of p; the arrays are read through locals, each t.x costs a load. */
          if (n === parent.length) {
            growTree(t);
            parent = t.parent; fa = t.f; depth = t.depth; firstKid = t.firstKid; nextKid = t.nextKid; kidN = t.kidN;
          }
          node = n++;
          parent[node] = p;
          fa[node] = f;
          depth[node] = depth[p] + 1;
          nextKid[node] = firstKid[p];
          firstKid[p] = node + 1;
          if (++kidN[p] > FEW_KIDS) indexKid(t, index, p, f, node);
        }
        at[d + 1] = node;
      }
      valid = len;
      var leaf = leafOf[s] = at[len];
      t.total[leaf] += v;
      t.countAll += c;
      if (other) { t.o[leaf] += ov; t.oCount[leaf] += oc; }
    }
    t.n = n;
    finishTree(t, model);
    app.nodes = t.n;
    return t;
  }

  /*
   * Totals and heights, then child lists and their order.  Nodes are in
   * creation order: every parent comes before its children.
   */
  function finishTree(t, model) {
    var n = t.n, i, p, parent = t.parent, total = t.total, o = t.o, oCount = t.oCount;
    var height = t.height = new t.depth.constructor(n);
    for (i = n - 1; i > 0; i--) {
      p = parent[i];
      total[p] += total[i];
      if (o) { o[p] += o[i]; oCount[p] += oCount[i]; }
      if (height[i] + 1 > height[p]) height[p] = height[i] + 1;
    }
    orderKids(t, model.frames);
  }

  /*
   * Each node's callees, from its list of the build, into kids[kidStart[i]
   * ..), widest first, then by frame text; their x offsets.  One pass:
   * kidStart takes the place of firstKid, read just before.
   */
  function orderKids(t, frames) {
    var total = t.total, f = t.f, n = t.n, kidN = t.kidN, firstKid = t.firstKid, nextKid = t.nextKid;
    var byWidth = function (a, b) {
      if (total[a] !== total[b]) return total[b] - total[a];
      /* By text, through each frame's place in the order of texts: no text is made. */
      return frames[f[a]].rank - frames[f[b]].rank;
    };
    var kids = t.kids = new Int32Array(Math.max(n - 1, 0)), kidStart = t.kidStart = firstKid, x = t.x = new Float64Array(n);
    /* Sorted in a plain array, used again: a subarray per node costs more than its sort. */
    var list = [], k0 = 0, k1 = 0;
    for (var i = 0; i < n; i++) {
      var at = x[i], k, a, c = firstKid[i] - 1;
      k0 = k1;
      k1 += kidN[i];
      kidStart[i] = k0;
      /* The list is newest first: filled from its end, the callees are in creation order. */
      for (k = k1; c >= 0; c = nextKid[c] - 1) kids[--k] = c;
      if (k1 - k0 === 2) {
        /* Most lists of more than one are of two: no sort for them. */
        if (byWidth(kids[k0], kids[k0 + 1]) > 0) { a = kids[k0]; kids[k0] = kids[k0 + 1]; kids[k0 + 1] = a; }
      } else if (k1 - k0 > 2) {
        list.length = 0;
        for (k = k0; k < k1; k++) list.push(kids[k]);
        list.sort(byWidth);
        for (k = k0; k < k1; k++) kids[k] = list[k - k0];
      }
      for (k = k0; k < k1; k++) { x[kids[k]] = at; at += total[kids[k]]; }
    }
    t.firstKid = t.nextKid = null;
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
