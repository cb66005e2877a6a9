/*
 * page-model.js - the page script's first part: opens the script's one
 * function scope (page-window.js closes it), then decodes the embedded data
 * into the model (type by type: one malformed value only loses itself), and
 * holds the default source, the formatting helpers and the page's state.
 *
 * The page script is nine files concatenated by mf-html/build.mk into one
 * function scope, in this order:
 *   page-model.js    decodeModel(DATA) -> model: metadata, frames, stacks (once);
 *                    source.values(model) -> what each stack weighs now (the
 *                    extension point: a temporal mode swaps the source)
 *   page-match.js    the user's regular expressions, without backtracking
 *   page-tree.js     buildTree(model, values, f) -> tree for the current
 *                    filters (hide, thread); zoom paths
 *   page-draw.js     draw() -> canvas, from the tree and the view state;
 *                    the tooltip and the memory chart
 *   page-controls.js the URL fragment, search, buttons, header and panels
 *   page-diff.js     the differential mode, for mf-diff's output (model.diff)
 *   page-pack.js     the packed form of the data of large pages, for decodeModel
 *   page-series.js   their packed memory records and temporal series, for decodeModel
 *   page-window.js   window.mf (docs/REPORT.md) and the start
 * The parts only declare (functions, and variables set from constants or
 * the document); page-window.js starts the page once all of them are set.
 * No data text ever goes through innerHTML: it is set with textContent or
 * drawn on the canvas.
 */
(function () {
  'use strict';

  /* ---------------------------------------------------------------- model */

  /* Frames hidden by "Hide irrelevant frames" (documented in docs/REPORT.md). */
  var HIDDEN_FUNCTIONS = [
    /* C library start-up and thread trampolines */
    /^(_start|__libc_start_main|__libc_start_main_impl|__libc_start_call_main|__libc_csu_init|start_thread|clone|clone3|__clone|__clone3|__clone_internal|__GI___clone|__GI___clone3|__GI___clone_internal)$/,
    /* dynamic loader internals */
    /^(_dl_[A-Za-z0-9_]*|dl_main|call_init|_dl_start_user)$/,
    /* allocator wrappers: C++ */
    /^operator new(\[\])?(\(|$)/,
    /^(__gnu_cxx::new_allocator|std::__new_allocator|std::allocator|std::allocator_traits)</,
    /* and Rust's: the global allocator's shims, Global, System, RawVec growth */
    /^(__rust_(alloc|alloc_zeroed|realloc)|__rdl_(alloc|alloc_zeroed|realloc)|__rg_(alloc|alloc_zeroed|realloc))$/,
    /^<?alloc::(alloc|raw_vec)::/,
    /^<?std::(alloc::System|sys::.*alloc)\b.*\b(alloc|alloc_zeroed|realloc)$/,
    /(^|::)finish_grow(<|$)/
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

  /*
   * What a frame's name says of it, as bits: FRAME_HIDDEN (a HIDDEN_FUNCTIONS
   * name), FRAME_THREAD (it may be a thread frame: "thread N (NAME)"),
   * FRAME_TOO_DEEP (mf-record's "<STACK TOO DEEP>", which it is only
   * without a location).  A name that starts with none of MAY_FLAG_NAME's
   * characters and has no "finish_grow" in it (the one pattern not at the
   * start) has none: the frame tables test that on a name's parts.
   */
  var FRAME_HIDDEN = 1, FRAME_THREAD = 2, FRAME_TOO_DEEP = 4;
  var MAY_FLAG_NAME = /^[_scdo<at]$/;
  function nameFlags(func) {
    var bits = func === '<STACK TOO DEEP>' ? FRAME_TOO_DEEP : func.startsWith('thread ') ? FRAME_THREAD : 0;
    /* A Rust name demangled with its hash ("::h0afb5a4d462339b5") matches as without it. */
    if (func.length >= 19 && func.charCodeAt(func.length - 17) === 104) func = func.replace(/::h[0-9a-f]{16}$/, '');
    if (MAY_FLAG_NAME.test(func.charAt(0)) || func.indexOf('finish_grow') >= 0)
      for (var i = 0; i < HIDDEN_FUNCTIONS.length; i++) if (HIDDEN_FUNCTIONS[i].test(func)) return bits | FRAME_HIDDEN;
    return bits;
  }
  /* Does a HIDDEN_LOCATIONS pattern hide this location? */
  function locationHidden(loc) {
    /* Each location pattern names ld-linux or libmf-record: most locations need no pattern. */
    if (loc.indexOf('ld-linux') < 0 && loc.indexOf('libmf-record') < 0) return false;
    for (var i = 0; i < HIDDEN_LOCATIONS.length; i++) if (HIDDEN_LOCATIONS[i].test(loc)) return true;
    return false;
  }

  /*
   * The frames of a readable page (texts, the "frames" list), with the
   * interface of a packed page's (PackedFrames, page-pack.js): n, and for
   * frame i its text(i), func(i), loc(i); flags(), each frame's nameFlags
   * (FRAME_HIDDEN for its location too); mayBePython(), whether a location
   * looks like a Python one; ranks(), each frame's place in the order of
   * the texts (null when that is the frames' own order).
   */
  function ReadableFrames(texts) {
    this.n = texts.length;
    this.texts = texts;
    this.parts = texts.map(splitFrame);
  }
  ReadableFrames.prototype.text = function (i) { return this.texts[i]; };
  ReadableFrames.prototype.func = function (i) { return this.parts[i].func; };
  ReadableFrames.prototype.loc = function (i) { return this.parts[i].loc; };
  ReadableFrames.prototype.flags = function () {
    return Uint8Array.from(this.parts, function (p) {
      var f = nameFlags(p.func);
      return p.loc ? (f & ~FRAME_TOO_DEEP) | (locationHidden(p.loc) ? FRAME_HIDDEN : 0) : f;
    });
  };
  ReadableFrames.prototype.mayBePython = function () {
    return this.parts.some(function (p) { return PYTHON_LOC.test(p.loc); });
  };
  /* Frames of one text share a place: the tree then keeps such siblings in the order it made them. */
  ReadableFrames.prototype.ranks = function () {
    var texts = this.texts, order = new Array(this.n), rank = new Int32Array(this.n), i;
    for (i = 0; i < this.n; i++) order[i] = i;
    order.sort(function (a, b) { return texts[a] < texts[b] ? -1 : texts[a] > texts[b] ? 1 : 0; });
    for (i = 1; i < this.n; i++) rank[order[i]] = texts[order[i]] === texts[order[i - 1]] ? rank[order[i - 1]] : i;
    return rank;
  };

  /*
   * Which frames the --hide patterns hide (a Uint8Array over frames), each
   * pattern matched through page-match.js within MATCH_BUDGET_MS: one that
   * is not valid, or too slow for these frames, is left out with a warning.
   */
  function extraHidden(table, patterns, warnings) {
    var out = new Uint8Array(table.n);
    patterns.forEach(function (src) {
      if (typeof src !== 'string') return;
      var m = compileMatcher(src), hit = new Uint8Array(table.n);
      if (m.error) { warnings.push('ignored --hide pattern (' + m.error + '): ' + src); return; }
      var deadline = performance.now() + MATCH_BUDGET_MS;
      try {
        for (var i = 0; i < table.n; i++) hit[i] = m.test(table.func(i), deadline) || m.test(table.loc(i), deadline) ? 1 : 0;
      } catch (e) {
        if (e !== SLOW) throw e;
        warnings.push('ignored --hide pattern that was too slow to match: ' + src);
        return;
      }
      for (var j = 0; j < table.n; j++) out[j] |= hit[j];
    });
    return out;
  }

  /*
   * What a frame is (docs/REPORT.md, "Colours"): decided by the module it
   * is in and the path of its source, never by its name.  The reducers'
   * "# module=" lines (docs/FORMAT.md) say which modules the frames are
   * in, each with its path, whether it is the recorded program, and the
   * files its frames name; a frame is found among them by its location
   * (FILE:LINE, or the module's file name).  Without them (folded stacks
   * from other tools) the paths alone decide.
   */
  var LIB_DIRS = /^\/(usr\/(local\/)?)?lib(32|64|x32)?\//;           /* the system's library directories */
  var PYTHON_LIB = /\/lib\/python\d+(\.\d+)*\//;                      /* an interpreter's standard library and packages */
  var LIB_SOURCES = /^\/usr\/|^\/rustc\/|\/\.cargo\/registry\/|\/\.rustup\/toolchains\//; /* system headers, Rust's std and crates */
  var GLIBC_SOURCES = /^(\.\.?\/)*(csu|sysdeps|elf|nptl|malloc|libio|stdlib|stdio-common|string|misc|posix|dlfcn|iconv|locale|wcsmbs)\//;
  var CPYTHON_MODULE = /^(lib)?python\d+(\.\d+)*[a-z]*(\.so(\.\d+)*)?$/; /* python3.11, libpython3.11.so.1.0 */
  var IMPORT_MACHINERY = /^<frozen importlib\._bootstrap(_external)?>$/;
  var PYTHON_FILE = /\.pyw?$|^<[^>]*>$/;                              /* app.py, <string>, <frozen runpy> */
  var PYTHON_LOC = /\.pyw?:\d+$|^<[^>]*>:\d+$/;                        /* a location whose file is one */

  function baseName(path) { return path.replace(/^.*\//, ''); }

  /* A module line's kind: python (Python code), cpython (the interpreter), user or lib. */
  function moduleKind(mod) {
    var name = baseName(mod.path);
    if (mod.path === '[python]') return 'python';
    if (CPYTHON_MODULE.test(name)) return 'cpython';
    if (PYTHON_LIB.test(mod.path)) return 'lib';
    if (mod.program) return 'user';
    return LIB_DIRS.test(mod.path) ? 'lib' : 'user';
  }

  /* The module lines as lookups: source file -> kinds, module file name -> kinds. */
  function moduleIndex(modules) {
    var byFile = new Map(), byName = new Map();
    function add(map, key, kind) {
      var k = map.get(key);
      if (!k) map.set(key, k = new Set());
      k.add(kind);
    }
    modules.forEach(function (mod) {
      var kind = moduleKind(mod);
      add(byName, baseName(mod.path), kind);
      mod.files.forEach(function (f) { add(byFile, f, kind); });
    });
    return { byFile: byFile, byName: byName, known: modules.length > 0 };
  }

  /* Kinds of the modules a location names, from the module lines, else from the location alone. */
  function locationModules(file, loc, index) {
    var k = file !== null ? index.byFile.get(file) : index.byName.get(loc);
    if (k) return k;
    var guess = new Set();
    if (file !== null) guess.add(PYTHON_FILE.test(file) ? 'python' : GLIBC_SOURCES.test(file) ? 'lib' : 'user');
    else if (CPYTHON_MODULE.test(loc)) guess.add('cpython');
    else if (loc && !index.known && !/\.so(\.|$)/.test(loc)) guess.add('user');  /* an executable's name */
    else guess.add('lib');
    return guess;
  }

  /*
   * { kind, python, cpython } of a frame: kind user or lib (system for the
   * import machinery, and for CPython's own frames in a report with
   * Python frames); python when it is a Python function; cpython when it
   * is the interpreter's (hidden in stacks with Python frames).
   */
  function frameKind(loc, index) {
    var m = /^([\s\S]*):(\d+)$/.exec(loc), file = m ? m[1] : null;
    var kinds = locationModules(file, loc, index);
    if (kinds.has('python')) {
      if (IMPORT_MACHINERY.test(file)) return { kind: 'system', python: true, cpython: true };
      var stdlib = /^<frozen /.test(file) || PYTHON_LIB.test(file);
      return { kind: stdlib ? 'lib' : 'user', python: true, cpython: false };
    }
    if (file !== null && (LIB_SOURCES.test(file) || PYTHON_LIB.test(file)))
      return { kind: 'lib', python: false, cpython: false };
    if (kinds.has('user')) return { kind: 'user', python: false, cpython: false };
    if (kinds.size === 1 && kinds.has('cpython')) return { kind: 'lib', python: false, cpython: true };
    return { kind: 'lib', python: false, cpython: false };
  }

  /*
   * A short form of a C++ or Rust name for narrow boxes: no template
   * arguments, no parameter list, the function's own name and one scope
   * before it ("(anonymous namespace)" does not count as one).
   * "ns::Cls<int>::run(int) const" gives "Cls::run";
   * "v8::internal::(anonymous namespace)::Invoke(...)" gives
   * "internal::Invoke"; "<alloc::vec::Vec<T> as Drop>::drop" gives "Vec::drop".
   */
  function shortName(func) {
    var scopes = [], cur = '', i, c;
    for (i = 0; i < func.length; i++) {
      c = func.charAt(i);
      if (c === '(' && func.startsWith('(anonymous namespace)', i)) i += 20;
      else if (c === '(' && /operator\s*$/.test(cur) && func.charAt(i + 1) === ')') { cur += '()'; i++; }
      else if (c === '(') break;                                   /* the parameter list */
      else if (c === '<' && /operator\s*<*$/.test(cur)) cur += c;
      else if (c === '<' && cur === '' && scopes.length === 0 && func.startsWith('::', closing(func, i) + 1)) {
        /* Rust's <T as Trait>::f */
        cur = selfType(func.slice(i + 1, i = closing(func, i)));
      } else if (c === '<' || c === '[') i = closing(func, i);     /* template arguments, [abi:cxx11] */
      else if (c === '{') cur += func.slice(i, (i = closing(func, i)) + 1); /* {closure}, {lambda(int)#1} */
      else if (c === ':' && func.charAt(i + 1) === ':') { if (cur.trim()) scopes.push(cur.trim()); cur = ''; i++; }
      else cur += c;
    }
    if (cur.trim()) scopes.push(cur.trim());
    /* A template function's name starts with its return type: "int ns::max<int>(int, int)". */
    if (scopes.length && !/^operator\b/.test(scopes[0])) scopes[0] = scopes[0].replace(/^.* /, '');
    return scopes.length ? scopes.slice(-2).join('::') : func;
  }
  /* The index of the bracket closing the one at i (any of <([{ nest), or the end. */
  function closing(s, i) {
    for (var depth = 0; i < s.length; i++) {
      var c = s.charAt(i);
      if (c === '<' || c === '(' || c === '[' || c === '{') depth++;
      else if ((c === '>' || c === ')' || c === ']' || c === '}') && --depth === 0) return i;
    }
    return s.length;
  }
  /* A Python function's: "Outer.method.<locals>.inner" gives "method.inner". */
  function shortPython(func) {
    return func.split('.').filter(function (x) { return x !== '<locals>'; }).slice(-2).join('.');
  }
  /* "alloc::vec::Vec<T> as core::ops::Drop": the type's own name, "Vec". */
  function selfType(inner) {
    var parts = shortName(inner.split(' as ')[0]).split('::');
    return parts[parts.length - 1];
  }

  /* A thread frame's name may hold any byte but NUL, a newline too. */
  var THREAD_FRAME = /^thread (\d+)(?: \(([\s\S]*)\))?$/;

  /*
   * Frame i of a frame table (ReadableFrames, PackedFrames) for the model.
   * hidden: "Hide irrelevant frames" hides it; cpython: it is CPython's
   * own, hidden in a report with Python frames (markPython), and then,
   * unless another rule hides it (withPython), only in the stacks with
   * Python frames (buildTree).  flags: the frame's (table.flags()); rank:
   * its place in the order of texts (table.ranks()).
   */
  function makeFrame(table, i, flags, userHidden, index, rank) {
    var th = flags & FRAME_THREAD ? THREAD_FRAME.exec(table.text(i)) : null;
    if (th) return new Frame(table, i, 'thread ' + th[1], th[2] || '', false, KIND_THREAD, Number(th[1]), rank);
    var hidden = userHidden || (flags & FRAME_HIDDEN) !== 0;
    return new Frame(table, i, null, null, hidden, flags & FRAME_TOO_DEEP ? KIND_SYSTEM : index, -1, rank);
  }

  /*
   * A frame: its text, func (its function) and loc (its location, '' when
   * none) are made from its table when first asked for, as only the frames
   * drawn, hovered or searched need them; its kind, python and cpython
   * (frameKind) too, as only the frames drawn need them before the first
   * paint (markPython asks for all of them when a module line says Python
   * is there, or a location may be Python's; page-window.js works out the
   * rest after the first paint).  A thread frame's func and loc are given
   * (fn, lc: "thread N" and its name).  k: the frameKind result, or the
   * module index to make it from.  rank: its place in the order of the
   * frames' texts, by which the tree orders siblings of equal width
   * without making their texts (orderKids).
   */
  var KIND_THREAD = { kind: 'thread', python: false, cpython: false };
  var KIND_SYSTEM = { kind: 'system', python: false, cpython: false };
  function Frame(table, i, fn, lc, hidden, k, thread, rank) {
    this.table = table;
    this.i = i;
    this.rank = rank;
    this.t = null;
    this.fn = fn;
    this.lc = lc;
    this.hidden = hidden;
    this.withPython = false;
    this.thread = thread;
    this.threadName = thread >= 0 ? lc : '';
    this.short = thread >= 0 ? '' : null;
    this.k = k;
  }
  Frame.prototype.kinds = function () {
    if (this.k.kind === undefined) this.k = frameKind(this.loc, this.k);
    return this.k;
  };
  Object.defineProperties(Frame.prototype, {
    text: { get: function () { return this.t === null ? (this.t = this.table.text(this.i)) : this.t; } },
    func: { get: function () { return this.fn === null ? this.table.func(this.i) : this.fn; } },
    loc: { get: function () { return this.lc === null ? this.table.loc(this.i) : this.lc; } },
    kind: { get: function () { var k = this.kinds(); return this.hidden && k !== KIND_THREAD ? 'system' : k.kind; } },
    python: { get: function () { return this.kinds().python; } },
    cpython: { get: function () { return this.kinds().cpython; } }
  });

  /*
   * A frame's short name ('' for a thread frame), made when first asked
   * for: only the labels of boxes too narrow for the whole name need it,
   * so a page of many frames does not make them all before its first paint.
   */
  function frameShort(f) {
    if (f.short === null) f.short = f.python ? shortPython(f.func) : shortName(f.func);
    return f.short || '';
  }

  /* With Python frames in the report, CPython's own frames are irrelevant: grey, hidden in Python stacks. */
  function markPython(frames, table, st, index) {
    var maybe = index.byName.has('[python]') || table.mayBePython();
    var hasPython = maybe && frames.some(function (f) { return f.python; });
    if (!hasPython) return false;
    frames.forEach(function (f) {
      if (!f.cpython) return;
      f.withPython = !f.hidden;   /* hidden only in stacks with Python frames */
      f.hidden = true;            /* and so of kind system */
    });
    /* Which stacks have a Python frame: in[d] says whether the first d frames do. */
    var has = new Uint8Array(st.maxDepth + 1);
    st.python = new Uint8Array(st.n);
    eachStack(st, function (s, fr, shared, len) {
      for (var j = shared; j < len; j++) has[j + 1] = has[j] || frames[fr[j]].python ? 1 : 0;
      st.python[s] = has[len];
    });
    return true;
  }

  /*
   * The types of the metadata keys the page reads (docs/FORMAT.md): a key
   * of another type is dropped with a warning, so one malformed value only
   * loses itself.  Numbers are finite and not negative; a time since the
   * epoch is one a Date can hold.
   */
  var MAX_TIME_MS = 8.64e15;
  function isCount(v) { return typeof v === 'number' && isFinite(v) && v >= 0; }
  function isTime(v) { return isCount(v) && v <= MAX_TIME_MS; }
  function isText(v) { return typeof v === 'string'; }
  function isFlag(v) { return typeof v === 'boolean'; }
  function isWords(v) { return Array.isArray(v) && v.every(isText); }
  var META_TYPES = new Map([
    ['reducer', [isText, 'a string']], ['value', [isText, 'a string']], ['command', [isText, 'a string']],
    ['ended', [isText, 'a string']], ['argv', [isWords, 'a list of strings']],
    ['inverted', [isFlag, 'true or false']], ['split_threads', [isFlag, 'true or false']],
    ['truncated', [isFlag, 'true or false']],
    ['start_ms', [isTime, 'a time']], ['at_ms', [isTime, 'a time']], ['since_ms', [isTime, 'a time']]
  ]);
  ['pid', 'duration_ms', 'interval_ms', 'temporary_threshold', 'total_allocations', 'total_frees',
   'total_bytes', 'untracked_frees', 'lost_events', 'peak_bytes', 'peak_time_ms', 'peak_allocations',
   'leaked_bytes', 'leaked_allocations', 'shown_bytes', 'shown_allocations', 'slices',
   'max_memory_records'].forEach(function (k) { META_TYPES.set(k, [isCount, 'a number']); });

  function isThread(t) {
    return t !== null && typeof t === 'object' && Number.isSafeInteger(t.thread) && t.thread >= 0 &&
      (t.name === undefined || isText(t.name)) && (t.tid === undefined || isCount(t.tid));
  }
  function isModule(v) {
    return v !== null && typeof v === 'object' && isText(v.path) && (v.program === undefined || isFlag(v.program)) &&
      (v.lines === undefined || isFlag(v.lines)) && (v.build_id === undefined || isText(v.build_id) && /^[0-9a-f]+$/.test(v.build_id)) &&
      (v.files === undefined || isWords(v.files));
  }
  function isMemoryRecord(r) { return Array.isArray(r) && r.length >= 3 && isCount(r[0]) && isCount(r[1]) && isCount(r[2]); }

  /*
   * A module line into the list; one that names a module already there
   * (same path and build id: a diff has most modules from both sides)
   * adds its files to it, and its lines if the other had none.
   */
  function addModule(modules, mod) {
    var same = modules.find(function (x) { return x.path === mod.path && x.buildId === mod.buildId; });
    if (!same) { modules.push(mod); return; }
    same.program = same.program || mod.program;
    same.lines = same.lines || mod.lines;
    var have = new Set(same.files);
    mod.files.forEach(function (f) { if (!have.has(f)) same.files.push(f); });
  }

  /* A diff's metadata keys of one side (mf-diff's base_KEY, new_KEY) that the page reads as KEY. */
  var DIFF_SIDE_KEYS = new Map([['base_module', 'module'], ['new_module', 'module']]);

  /* One metadata line into the model: meta, threads or memory; what it should be when it is not, else ''. */
  function addMeta(m, key, value) {
    if (key === 'thread') {
      if (!isThread(value)) return 'a {"thread":N,"tid":TID,"name":"NAME"}';
      m.threads.push({ thread: value.thread, tid: value.tid === undefined ? null : value.tid, name: value.name || '' });
    } else if (key === 'module') {
      if (!isModule(value)) return 'a {"path":"PATH","program":BOOL,"lines":BOOL,"files":[...]}';
      addModule(m.modules, { path: value.path, program: value.program === true, lines: value.lines !== false,
                             buildId: value.build_id || null, files: value.files || [] });
    } else if (key === 'memory') {
      if (!isMemoryRecord(value)) return 'a [MS,HEAP,RSS] of numbers';
      m.memory.push([value[0], value[1], value[2]]);
    } else {
      /* A diff's base_KEY and new_KEY (mf-diff) are held to KEY's type. */
      var type = META_TYPES.get(key.replace(/^(base|new)_/, ''));
      if (type && !type[0](value)) return type[1];
      m.meta[key] = value;
    }
    return '';
  }

  /*
   * The stacks as the page holds them (model.st), in typed arrays: stack s
   * is its first shared[s] frames of the stack before it, then its own,
   * pool[off[s] .. off[s + 1]); its value, count (and in a diff before,
   * beforeCount); python[s] (markPython) whether it has a Python frame;
   * maxDepth the most frames of any.  No object or array per stack: the
   * tree is built from them in one pass (buildTree).  The arrays are made
   * once, for the n stacks and np new frames the data says it holds.
   */
  function StackList(diff, n, np) {
    this.n = 0; this.np = 0; this.maxDepth = 0; this.python = null; this.diff = diff;
    this.shared = new Int32Array(n); this.off = new Int32Array(n + 1); this.pool = new Int32Array(np);
    this.value = new Float64Array(n); this.count = new Float64Array(n);
    this.before = diff ? new Float64Array(n) : null; this.beforeCount = diff ? new Float64Array(n) : null;
  }
  /* One more stack of n new frames; the offset of its first. */
  StackList.prototype.start = function (shared, n) {
    if (this.n === this.shared.length || this.np + n > this.pool.length)
      throw new Error('the page data holds more stacks or frames than it says');
    if (shared + n > this.maxDepth) this.maxDepth = shared + n;
    this.shared[this.n] = shared;
    return this.np;
  };
  /* The end of the stack started: its values. */
  StackList.prototype.end = function (np, value, count, before, beforeCount) {
    this.np = np;
    this.value[this.n] = value;
    this.count[this.n] = count;
    if (this.diff) { this.before[this.n] = before; this.beforeCount[this.n] = beforeCount; }
    this.off[++this.n] = np;
  };
  /* The list, once every stack is in. */
  StackList.prototype.done = function () {
    if (this.n !== this.shared.length || this.np !== this.pool.length)
      throw new Error('the page data holds fewer stacks or frames than it says');
    return this;
  };

  /* fn(s, fr, shared, len) for each stack s, fr[0 .. len) its frames (an array reused: read it, do not keep it). */
  function eachStack(st, fn) {
    var fr = new Int32Array(st.maxDepth + 1);
    for (var s = 0; s < st.n; s++) {
      var shared = st.shared[s], o = st.off[s], len = shared + st.off[s + 1] - o;
      for (var j = shared; j < len; j++) fr[j] = st.pool[o + j - shared];
      fn(s, fr, shared, len);
    }
  }

  /* The stacks as objects { frames, value, count, python, before, beforeCount }, made when first asked for (temporal.js). */
  function stackObjects(st) {
    var out = new Array(st.n);
    eachStack(st, function (s, fr, shared, len) {
      out[s] = { frames: Array.prototype.slice.call(fr, 0, len), value: st.value[s], count: st.count[s],
                 python: st.python ? st.python[s] === 1 : false,
                 before: st.diff ? st.before[s] : 0, beforeCount: st.diff ? st.beforeCount[s] : 0 };
    });
    return out;
  }

  /* Stacks come prefix-compressed: shared, n, n frame ids, value, count
     (a diff: then before, count before; page-diff.js). */
  function readStacks(a, diff, nframes) {
    var per = diff ? 4 : 2, stacks = 0, fresh = 0, i;
    /* How many stacks and new frames, for StackList's arrays. */
    for (i = 0; i + 1 < a.length && a[i + 1] >= 0; i += 2 + a[i + 1] + per) { stacks++; fresh += a[i + 1]; }
    if (i !== a.length) throw new Error('the page data has a stack cut short');
    var st = new StackList(diff, stacks, fresh), prevLen = 0;
    i = 0;
    while (i < a.length) {
      var shared = a[i++], n = a[i++], np = st.start(shared, n);
      if (!(shared <= prevLen)) throw new Error('the page data shares more frames than the stack before has');
      prevLen = shared + n;
      for (var j = 0; j < n; j++) {
        var id = a[i++];
        if (!(id >= 0 && id < nframes)) throw new Error('the page data names a frame it does not have');
        st.pool[np++] = id;
      }
      st.end(np, a[i++], a[i++], diff ? a[i++] : 0, diff ? a[i++] : 0);
    }
    return st.done();
  }

  function decodeModel(d) {
    var warnings = [];
    /* No prototype: a key named __proto__ or constructor is a key like any other. */
    var m = { meta: Object.create(null), threads: [], memory: [], modules: [] }, stackMeta = [];
    d.meta.forEach(function (kv) {
      /* Per-stack keys stay raw, for a mode that needs them (temporal). */
      if (kv.length > 2) { stackMeta.push({ stack: kv[2], key: kv[0], raw: kv[1] }); return; }
      var r = parseJSON(kv[1]);
      if (!r.ok) { warnings.push('ignored metadata ' + kv[0] + ' that is not valid JSON'); return; }
      var key = d.diff === true && DIFF_SIDE_KEYS.has(kv[0]) ? DIFF_SIDE_KEYS.get(kv[0]) : kv[0];
      var wrong = addMeta(m, key, r.value);
      if (wrong) warnings.push('ignored metadata ' + kv[0] + ' that is not ' + wrong);
    });
    var series = unpackSeries(d, m);    /* page-series.js: a large page's packed memory records and series */
    var meta = m.meta;
    /* The readable form, or the packed one of large pages (page-pack.js). */
    var packed = typeof d.frames === 'string', table = packed ? new PackedFrames(d) : new ReadableFrames(d.frames);
    var extra = extraHidden(table, Array.isArray(d.hide) ? d.hide : [], warnings);
    var index = moduleIndex(m.modules), flags = table.flags(), rank = table.ranks(), frames = new Array(table.n);
    for (var i = 0; i < table.n; i++) frames[i] = makeFrame(table, i, flags[i], extra[i] === 1, index, rank ? rank[i] : i);
    var diff = d.diff === true;
    var st = packed ? unpackStacks(d.stacks, diff, frames.length) : readStacks(d.stacks, diff, frames.length);
    var hasPython = markPython(frames, table, st, index);
    var model = { meta: meta, threads: m.threads, memory: m.memory, modules: m.modules, hasPython: hasPython,
             frames: frames, st: st, nstacks: st.n, stackMeta: stackMeta, series: series,
             counted: !!d.counted, title: d.title, warnings: warnings, diff: diff,
             unit: meta.value === 'count' ? 'count' : 'bytes' };
    var objects = null;
    Object.defineProperty(model, 'stacks', { get: function () { return objects || (objects = stackObjects(st)); } });
    return model;
  }

  /* The thread of each stack (-1 when none): its first thread frame. */
  function stackThreads(model) {
    var st = model.st, out = new Int32Array(st.n).fill(-1), frames = model.frames;
    if (!frames.some(function (f) { return f.thread >= 0; })) return out;
    var th = new Int32Array(st.maxDepth + 1);
    th[0] = -1;
    eachStack(st, function (s, fr, shared, len) {
      for (var j = shared; j < len; j++) th[j + 1] = th[j] >= 0 ? th[j] : frames[fr[j]].thread;
      out[s] = th[len];
    });
    return out;
  }

  /* Threads for the dropdown: "# thread=" lines, then thread frames. */
  function threadList(model) {
    var byNum = new Map();
    model.threads.forEach(function (t) { byNum.set(t.thread, { num: t.thread, name: t.name, tid: t.tid }); });
    model.frames.forEach(function (f) {
      if (f.thread < 0) return;
      var t = byNum.get(f.thread);
      if (!t) byNum.set(f.thread, { num: f.thread, name: f.threadName, tid: null });
      else if (!t.name) t.name = f.threadName;
    });
    return Array.from(byNum.values()).sort(function (x, y) { return x.num - y.num; });
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
    values: function (model) { return { value: model.st.value, count: model.st.count }; }
  };

  /* ------------------------------------------------------------- helpers */

  function fmtBytes(n) {
    var units = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB'], u = 0;
    n = Number(n) || 0;
    while (Math.abs(n) >= 1024 && u < units.length - 1) { n /= 1024; u++; }
    return u === 0 ? n + ' B' : (n >= 100 ? n.toFixed(0) : n >= 10 ? n.toFixed(1) : n.toFixed(2)) + ' ' + units[u];
  }
  /* "1,234,567": by hand, as the first toLocaleString of a page costs ~100 ms. */
  function fmtInt(n) {
    var r = Math.round(Number(n) || 0);
    return (r < 0 ? '-' : '') + String(Math.abs(r)).replace(/\B(?=(\d{3})+(?!\d))/g, ',');
  }
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
  /* A time since the epoch as "2025-11-26 03:30:00 UTC"; '' when a Date cannot hold it. */
  function fmtDate(ms) {
    var d = new Date(ms);
    return isNaN(d.getTime()) ? '' : d.toISOString().replace('T', ' ').replace(/\.\d+Z$/, ' UTC');
  }
  /* Control characters shown as the folded format writes them: "\x0a". */
  function visibleText(s) {
    return s.replace(/[\x00-\x1f\x7f]/g, function (c) { return '\\x' + (c.charCodeAt(0) < 16 ? '0' : '') + c.charCodeAt(0).toString(16); });
  }
  /* One word as a POSIX shell needs it: bare when safe, else in single quotes. */
  function shellWord(w) {
    return /^[A-Za-z0-9_@%+=:,.\/-]+$/.test(w) ? w : "'" + w.replace(/'/g, "'\\''") + "'";
  }
  /* The command line: argv quoted word by word, else the command string. */
  function commandLine(m) {
    if (m.argv) return m.argv.map(shellWord).join(' ');
    return m.command || '';
  }
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

  /*
   * The parts only declare: the page starts in page-window.js, once every
   * part's variables hold their values (decoding uses page-match.js's).
   */
  var timing = { parse: 0, decode: 0, build: 0 };
  var model = null, threadOf = null, threads = null, split = false;

  /* The embedded data into the model, once, at the start. */
  function loadModel() {
    var tp = performance.now();
    var data = JSON.parse($('mf-data').textContent);
    timing.parse = performance.now() - tp;
    tp = performance.now();
    model = decodeModel(data);
    timing.decode = performance.now() - tp;
    threadOf = stackThreads(model);
    threads = threadList(model);
    split = model.meta.split_threads === true || threads.length > 0 && model.frames.some(function (f) { return f.thread >= 0; });
  }

  var app = {
    source: defaultSource,
    vals: null,
    tree: null,
    view: { flame: false, zoom: null, search: '', thread: null, hide: true },
    searchRe: null,        /* the search's matcher (page-match.js) */
    searchProblem: null,   /* why the search matches nothing: invalid, unsupported, too slow */
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
    app.view.zoom = ROOT;
    computeSearch();
  }
