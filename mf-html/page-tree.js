/*
 * page-tree.js - the call tree: built from the model and the values of the
 * source for the current filters (hide, thread), and zoom paths into it.
 * Part of the page script (see page-model.js).
 */

  /* ---------------------------------------------------------------- tree */

  var NO_KIDS = [];
  /*
   * The numeric fields start as doubles (1.5, then 0): they hold byte
   * counts that outgrow small integers, and an object whose field changes
   * representation later is migrated, slowly, one by one.
   */
  /* o, oSelf, oCount, oSelfCount: the same sums of the source's other side (a diff's). */
  function newNode(id, frame, parent, depth) {
    var n = { id: id, f: frame, parent: parent, depth: depth, kids: NO_KIDS, byFrame: null,
              total: 1.5, self: 1.5, count: 1.5, selfCount: 1.5, x: 1.5, height: 0,
              o: 1.5, oSelf: 1.5, oCount: 1.5, oSelfCount: 1.5 };
    n.total = n.self = n.count = n.selfCount = n.x = 0;
    n.o = n.oSelf = n.oCount = n.oSelfCount = 0;
    return n;
  }

  /*
   * The child of node for frame f, or undefined.  Most nodes have a few
   * children, found by a scan; one with many finds them in its own Map
   * (a Map over the whole tree needs keys past small integers, slower).
   */
  var KIDS_SCAN = 8;
  function findKid(node, f) {
    var kids = node.kids;
    if (kids.length > KIDS_SCAN) return node.byFrame.get(f);
    for (var k = 0; k < kids.length; k++) if (kids[k].f === f) return kids[k];
    return undefined;
  }
  function addKid(node, kid) {
    if (node.kids === NO_KIDS) node.kids = [kid]; else node.kids.push(kid);
    if (node.kids.length > KIDS_SCAN + 1) node.byFrame.set(kid.f, kid);
    else if (node.kids.length === KIDS_SCAN + 1) node.byFrame = new Map(node.kids.map(function (k) { return [k.f, k]; }));
  }

  /*
   * Build the call tree of the stacks that pass the filters.  A hidden
   * frame is skipped: its callees attach to its caller, merging with
   * callees of the same frame, so its bytes stay with its caller.
   * Speed: children are found by findKid, and a stack's prefix shared with the stack before it (the input is sorted)
   * is reused without any lookup.  A source with another side (vals.other,
   * vals.otherCount: a diff's, page-diff.js) has it summed into the same
   * nodes; a stack of that side alone makes nodes of width 0.
   */
  function buildTree(model, vals, opts) {
    var root = newNode(0, -1, null, 0), all = [root];
    var frames = model.frames, stacks = model.stacks;
    var path = [root], pframes = [], other = vals.other, otherCount = vals.otherCount;
    for (var s = 0; s < stacks.length; s++) {
      var v = vals.value[s], c = vals.count[s], ov = other ? other[s] : 0, oc = other ? otherCount[s] : 0;
      if (opts.thread !== null && opts.threadOf[s] !== opts.thread) continue;
      if (v === 0 && c === 0 && ov === 0 && oc === 0) continue;
      var node = root, d = 0, same = true, fr = stacks[s].frames;
      for (var i = 0; i < fr.length; i++) {
        var f = fr[i];
        /* CPython's own frames are hidden only where Python frames are (markPython). */
        if (opts.hide && frames[f].hidden && !(frames[f].withPython && !stacks[s].python)) continue;
        if (same && d < pframes.length && pframes[d] === f) { node = path[++d]; continue; }
        same = false;
        var kid = findKid(node, f);
        if (!kid) {
          kid = newNode(all.length, f, node, node.depth + 1);
          all.push(kid);
          addKid(node, kid);
        }
        node = kid;
        pframes[d] = f;
        path[++d] = kid;
      }
      pframes.length = d;
      path.length = d + 1;
      node.self += v;
      node.selfCount += c;
      node.oSelf += ov;
      node.oSelfCount += oc;
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
      n.o += n.oSelf;
      n.oCount += n.oSelfCount;
      var p = n.parent;
      if (p) {
        p.total += n.total;
        p.count += n.count;
        p.o += n.o;
        p.oCount += n.oCount;
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

