// The workspace's data: what the server has confirmed, the changes still on their way, and
// undo/redo. Every change is shown at once and sent in order through one queue; a change
// that cannot be sent (offline, server restarting) waits and is retried, so nothing typed is
// lost. The queue is also kept in this browser's localStorage (coding and notes only, never
// footage) so a reload while offline keeps it; it is removed as soon as it is sent.
//
// Two tabs never overwrite each other: each change names the revision it was made from, and
// the server refuses a stale one with the current state (409), which is then shown here.
(function (root) {
  "use strict";

  var NS = root.Attunely = root.Attunely || {};
  var FIELDS = {
    annotation: ["scheme_version_id", "code", "subject", "start_frame", "end_frame", "note"],
    clip: ["in_frame", "out_frame", "title", "scheme_version_id", "principles", "caption", "questions", "helping_question_id"],
    still: ["frame", "caption"]
  };
  var WORDS = { annotation: "coded event", clip: "clip", still: "still" };
  // Kinds other scripts add (proposal reviews): { fields, word, request(op, film), saved(store, op, body, before) }.
  var KINDS = {};
  var STALE_TAB_MS = 60000;

  function csrfToken() {
    var meta = document.querySelector("meta[name=csrf-token]");
    return meta ? meta.getAttribute("content") : "";
  }

  function newId() {
    if (root.crypto && root.crypto.randomUUID) { return root.crypto.randomUUID(); }
    var b = new Uint8Array(16);
    root.crypto.getRandomValues(b);
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    var h = Array.prototype.map.call(b, function (x) { return (x + 0x100).toString(16).slice(1); }).join("");
    return h.slice(0, 8) + "-" + h.slice(8, 12) + "-" + h.slice(12, 16) + "-" + h.slice(16, 20) + "-" + h.slice(20);
  }

  function pick(obj, keys) {
    var out = {};
    keys.forEach(function (k) { if (obj && Object.prototype.hasOwnProperty.call(obj, k)) { out[k] = obj[k]; } });
    return out;
  }

  function same(a, b) { return JSON.stringify(a) === JSON.stringify(b); }

  function Store(options) {
    this.filmId = options.filmId;
    this.onChange = options.onChange || function () {};
    this.onStatus = options.onStatus || function () {};
    this.onNotice = options.onNotice || function () {};
    this.server = { annotation: new Map(), clip: new Map(), still: new Map() };
    var server = this.server;
    Object.keys(KINDS).forEach(function (kind) { server[kind] = new Map(); });
    this.pending = [];
    this.undoStack = [];
    this.redoStack = [];
    this.sending = false;
    this.failures = 0;
    this.timer = null;
    this.state = "saved";
    this.replaying = false;
    this.storageKey = null;
    try {
      this.storage = root.localStorage;
      var tab = root.sessionStorage.getItem("attunely.tab");
      if (!tab) { tab = newId(); root.sessionStorage.setItem("attunely.tab", tab); }
      this.storageKey = "attunely.ws." + this.filmId + "." + tab;
    } catch (e) {
      this.storage = null;
    }
    var self = this;
    root.addEventListener("online", function () { self.kick(true); });
    root.addEventListener("beforeunload", function (event) {
      if (self.pending.length && !self.storage) { event.preventDefault(); event.returnValue = ""; }
    });
  }

  Store.prototype.newId = newId;

  // --- what is shown ---------------------------------------------------------------------

  Store.prototype.load = function (workspace) {
    var self = this;
    ["annotation", "clip", "still"].forEach(function (kind) { self.server[kind].clear(); });
    workspace.annotations.forEach(function (a) { self.server.annotation.set(a.id, a); });
    workspace.clips.forEach(function (c) { self.server.clip.set(c.id, c); });
    workspace.stills.forEach(function (s) { self.server.still.set(s.id, s); });
    this.restore();
    this.changed();
    this.kick(true);
  };

  // The server's state with the waiting changes applied on top.
  Store.prototype.view = function (kind) {
    var items = new Map();
    this.server[kind].forEach(function (v, k) { items.set(k, Object.assign({}, v)); });
    var nextPosition = 0;
    items.forEach(function (v) { if (kind === "clip") { nextPosition = Math.max(nextPosition, v.position + 1); } });
    this.pending.forEach(function (op) {
      if (op.kind === "order" && kind === "clip") {
        op.ids.forEach(function (id, index) { var c = items.get(id); if (c) { c.position = index; } });
        return;
      }
      if (op.kind !== kind) { return; }
      if (op.action === "create") {
        var made = Object.assign({ id: op.id, revision: 0 }, op.fields);
        if (kind === "clip") { made.position = nextPosition++; }
        made.unsaved = true;
        items.set(op.id, made);
      } else if (op.action === "update" && items.has(op.id)) {
        Object.assign(items.get(op.id), op.fields, { unsaved: true });
      } else if (op.action === "delete") {
        items.delete(op.id);
      }
    });
    var list = Array.from(items.values());
    if (kind === "annotation") {
      list.sort(function (a, b) { return a.start_frame - b.start_frame || (a.created_at || "~").localeCompare(b.created_at || "~"); });
    } else if (kind === "clip") {
      list.sort(function (a, b) { return a.position - b.position; });
    } else {
      list.sort(function (a, b) { return a.frame - b.frame; });
    }
    return list;
  };

  Store.prototype.get = function (kind, id) {
    return this.view(kind).find(function (x) { return x.id === id; }) || null;
  };

  Store.prototype.changed = function () {
    this.persist();
    this.onChange();
    this.report();
  };

  // --- changes ---------------------------------------------------------------------------

  // The revision the server will hold once the waiting changes before this one are made.
  Store.prototype.expectedRevision = function (kind, id) {
    var known = this.server[kind].get(id);
    var revision = known ? known.revision : 0;
    this.pending.forEach(function (op) {
      if (op.kind === kind && op.id === id) {
        if (op.action === "create") { revision = Math.max(revision, 1); }
        if (op.action === "update") { revision += 1; }
        // Deleted, then made again (undo, redo): it starts again at revision 1.
        if (op.action === "delete") { revision = 0; }
      }
      if (op.kind === "order" && kind === "clip" && op.ids.indexOf(id) >= 0) { revision += 1; }
    });
    return revision;
  };

  Store.prototype.enqueue = function (op) {
    op.seq = Date.now() + Math.random();
    this.pending.push(op);
    this.changed();
    this.kick(false);
  };

  Store.prototype.record = function (entry) {
    if (this.replaying) { return; }
    this.undoStack.push(entry);
    if (this.undoStack.length > 200) { this.undoStack.shift(); }
    this.redoStack = [];
  };

  Store.prototype.create = function (kind, fields, id) {
    id = id || newId();
    var clean = pick(fields, FIELDS[kind]);
    this.record({ undo: ["remove", kind, id], redo: ["create", kind, clean, id] });
    this.enqueue({ kind: kind, action: "create", id: id, fields: clean });
    return id;
  };

  Store.prototype.update = function (kind, id, fields) {
    var current = this.get(kind, id);
    if (!current) { return; }
    var clean = pick(fields, FIELDS[kind]);
    var before = pick(current, Object.keys(clean));
    if (same(before, clean)) { return; }
    this.record({ undo: ["update", kind, id, before], redo: ["update", kind, id, clean] });
    this.enqueue({ kind: kind, action: "update", id: id, fields: clean, base: this.expectedRevision(kind, id) });
  };

  Store.prototype.remove = function (kind, id) {
    var current = this.get(kind, id);
    if (!current) { return; }
    this.record({ undo: ["create", kind, pick(current, FIELDS[kind]), id], redo: ["remove", kind, id] });
    var inFlight = this.sending ? this.pending[0] : null;
    var unsent = !this.server[kind].has(id) && this.pending.some(function (op) {
      return op.kind === kind && op.id === id && op.action === "create" && op !== inFlight;
    });
    if (unsent) {
      // Never sent: forget it and its changes instead of creating then deleting it.
      this.pending = this.pending.filter(function (op) { return !(op.kind === kind && op.id === id); });
      this.changed();
      return;
    }
    this.enqueue({ kind: kind, action: "delete", id: id, base: this.expectedRevision(kind, id) });
  };

  Store.prototype.orderClips = function (ids) {
    var before = this.view("clip").map(function (c) { return c.id; });
    if (same(before, ids)) { return; }
    var self = this;
    this.record({ undo: ["order", before], redo: ["order", ids] });
    var bases = {};
    ids.forEach(function (id) { bases[id] = self.expectedRevision("clip", id); });
    this.enqueue({ kind: "order", action: "order", id: this.filmId, ids: ids.slice(), bases: bases });
  };

  Store.prototype.apply = function (step) {
    if (step[0] === "create") { this.create(step[1], step[2], step[3]); }
    else if (step[0] === "update") { this.update(step[1], step[2], step[3]); }
    else if (step[0] === "remove") { this.remove(step[1], step[2]); }
    else if (step[0] === "order") { this.orderClips(step[1]); }
  };

  Store.prototype.undo = function () {
    var entry = this.undoStack.pop();
    if (!entry) { return false; }
    this.replaying = true;
    try { this.apply(entry.undo); } finally { this.replaying = false; }
    this.redoStack.push(entry);
    this.onChange();
    return true;
  };

  Store.prototype.redo = function () {
    var entry = this.redoStack.pop();
    if (!entry) { return false; }
    this.replaying = true;
    try { this.apply(entry.redo); } finally { this.replaying = false; }
    this.undoStack.push(entry);
    this.onChange();
    return true;
  };

  // --- sending ---------------------------------------------------------------------------

  Store.prototype.request = function (op) {
    var film = encodeURIComponent(this.filmId);
    if (KINDS[op.kind]) { return KINDS[op.kind].request(op, film); }
    var plural = { annotation: "annotations", clip: "clips", still: "stills" }[op.kind];
    if (op.kind === "order") {
      var bases = op.bases;
      return ["PUT", "/api/films/" + film + "/clip-order",
        { clips: op.ids.map(function (id) { return { id: id, revision: bases[id] }; }) }];
    }
    if (op.action === "create") {
      return ["POST", "/api/films/" + film + "/" + plural, Object.assign({ id: op.id }, op.fields)];
    }
    var item = "/api/" + plural + "/" + encodeURIComponent(op.id);
    if (op.action === "update") { return ["PATCH", item, Object.assign({ revision: op.base }, op.fields)]; }
    return ["DELETE", item + "?revision=" + op.base, null];
  };

  // Send the next change now, unless one is on its way or (when `now` is false) a retry is
  // already scheduled.
  Store.prototype.kick = function (now) {
    if (this.sending || !this.pending.length) { this.report(); return; }
    if (this.timer && !now) { return; }
    clearTimeout(this.timer);
    this.timer = null;
    this.sendNext();
  };

  Store.prototype.retryLater = function (state) {
    var self = this;
    this.failures += 1;
    this.state = state;
    this.report();
    var wait = Math.min(15000, 500 * Math.pow(2, Math.min(this.failures, 5)));
    this.timer = setTimeout(function () { self.timer = null; self.kick(true); }, wait);
    this.persist();
  };

  Store.prototype.sendNext = function () {
    var self = this;
    var op = this.pending[0];
    if (!op) { this.state = "saved"; this.report(); return; }
    this.sending = true;
    this.state = "saving";
    this.report();
    var parts = this.request(op);
    var init = {
      method: parts[0],
      credentials: "same-origin",
      cache: "no-store",
      headers: { "Accept": "application/json", "X-CSRF-Token": csrfToken() }
    };
    if (parts[2] !== null) {
      init.headers["Content-Type"] = "application/json";
      init.body = JSON.stringify(parts[2]);
    }
    fetch(parts[1], init).then(function (response) {
      if (response.status === 204) { return { status: 204, body: null }; }
      return response.json().then(
        function (body) { return { status: response.status, body: body }; },
        function () { return { status: response.status, body: null }; }
      );
    }).then(function (answer) {
      self.sending = false;
      self.settle(op, answer.status, answer.body);
    }, function () {
      // No answer at all: offline, or the server is restarting. Keep the change and retry.
      self.sending = false;
      self.retryLater("offline");
    });
  };

  Store.prototype.drop = function (op) {
    // Drop this change and every later change to the same thing: they were built on it.
    this.pending = this.pending.filter(function (other) {
      return other === op ? false : !(other.kind === op.kind && other.id === op.id && other.seq > op.seq);
    });
  };

  Store.prototype.settle = function (op, status, body) {
    var error = body && body.error ? body.error : null;
    var code = error ? error.code : "";
    var map = op.kind === "order" ? this.server.clip : this.server[op.kind];
    if (status >= 200 && status < 300) {
      this.failures = 0;
      this.pending.shift();
      if (op.kind === "order") {
        body.forEach(function (c) { map.set(c.id, c); });
      } else if (op.action === "delete") {
        map.delete(op.id);
      } else {
        var before = map.get(body.id);
        map.set(body.id, body);
        if (KINDS[op.kind] && KINDS[op.kind].saved) { KINDS[op.kind].saved(this, op, body, before); }
      }
      this.state = this.pending.length ? "saving" : "saved";
      this.changed();
      this.kick(true);
      return;
    }
    if (status === 0 || status === 502 || status === 503 || status === 504 || status === 429 ||
        code === "authentication_required" || code === "csrf_failed" || code === "mfa_required") {
      this.retryLater(status === 401 || status === 403 ? "signed-out" : "offline");
      return;
    }
    if (status >= 500 && this.failures < 4) {
      this.retryLater("offline");
      return;
    }
    this.failures = 0;
    var what = WORDS[op.kind] || "list of clips";
    if (op.action === "delete" && status === 404) {
      map.delete(op.id);
      this.pending.shift();
    } else if (code === "stale_revision") {
      var current = error.current;
      if (op.kind === "order") {
        (current || []).forEach(function (c) { map.set(c.id, c); });
        this.drop(op);
        this.onNotice("The clips were changed in another tab or by someone else; their order there was kept.");
      } else if (current && op.action === "update" && same(pick(current, Object.keys(op.fields)), op.fields)) {
        // Our own change arrived before its answer was lost: nothing to undo.
        map.set(current.id, current);
        this.pending.shift();
      } else {
        if (current) { map.set(current.id, current); }
        this.drop(op);
        this.onNotice("This " + what + " was changed in another tab or by someone else, so your " +
          (op.action === "delete" ? "deletion" : "change") + " was not applied. The latest version is shown." +
          (op.fields && op.fields.note ? " Your note was: “" + op.fields.note + "”" : "") +
          (op.fields && op.fields.caption ? " Your caption was: “" + op.fields.caption + "”" : ""));
      }
    } else if (status === 404) {
      map.delete(op.id);
      this.drop(op);
      this.onNotice("This " + what + " was deleted in another tab or by someone else.");
    } else {
      this.drop(op);
      this.onNotice((error && error.message ? error.message.charAt(0).toUpperCase() + error.message.slice(1) : "The change was refused") + ".");
    }
    this.state = this.pending.length ? "saving" : "saved";
    this.changed();
    this.kick(true);
  };

  Store.prototype.report = function () {
    var waiting = this.pending.length;
    var state = waiting ? (this.state === "saved" ? "saving" : this.state) : "saved";
    this.onStatus(state, waiting);
  };

  // --- keeping the queue across a reload -------------------------------------------------

  Store.prototype.persist = function () {
    if (!this.storage || !this.storageKey) { return; }
    try {
      if (this.pending.length) {
        this.storage.setItem(this.storageKey, JSON.stringify({ at: Date.now(), ops: this.pending }));
      } else {
        this.storage.removeItem(this.storageKey);
      }
    } catch (e) { /* storage full or refused: the in-memory queue still holds everything */ }
  };

  // Take back this tab's waiting changes, and those of tabs closed with changes unsent.
  Store.prototype.restore = function () {
    if (!this.storage) { return; }
    var prefix = "attunely.ws." + this.filmId + ".";
    var found = [];
    for (var i = 0; i < this.storage.length; i++) {
      var key = this.storage.key(i);
      if (!key || key.indexOf(prefix) !== 0) { continue; }
      try {
        var saved = JSON.parse(this.storage.getItem(key));
        if (key === this.storageKey || Date.now() - saved.at > STALE_TAB_MS) {
          found.push([key, saved.ops || []]);
        }
      } catch (e) { /* unreadable: leave it */ }
    }
    var self = this;
    var known = new Set(this.pending.map(function (op) { return op.seq; }));
    found.forEach(function (entry) {
      entry[1].forEach(function (op) { if (!known.has(op.seq)) { self.pending.push(op); } });
      if (entry[0] !== self.storageKey) { self.storage.removeItem(entry[0]); }
    });
    this.pending.sort(function (a, b) { return a.seq - b.seq; });
  };

  // Let another script queue its own kind of change (with autosave, offline queue and undo).
  Store.addKind = function (kind, spec) {
    KINDS[kind] = spec;
    FIELDS[kind] = spec.fields;
    WORDS[kind] = spec.word;
  };

  NS.Store = Store;
})(window);
