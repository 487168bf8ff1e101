// Proposed moments in the workspace: the list (accept, reject with a reason, take back, move
// the boundaries), the analysis tracks on the timeline (speech by speaker, turns, movement,
// synchrony, moments) and speaker corrections. Reviews go through the workspace's Store like
// every other change (autosave, offline queue, undo, two-tab conflicts); a speaker
// correction is sent straight away, since turns are recounted on the server.
(function (root) {
  "use strict";

  var NS = root.Attunely = root.Attunely || {};
  var panel = document.getElementById("ws-proposals");
  if (!panel || !NS.Store) { return; }
  var el = function (id) { return document.getElementById(id); };
  var DECISIONS = { open: "Proposed", accepted: "Accepted", rejected: "Rejected" };
  var SPEAKERS = { ADULT: "Adult", CHILD: "Child" };
  var POLL_MS = 4000;
  var ws = null;
  var data = null;
  var sending = false;
  // Reasons being typed, by proposal: kept when the list is redrawn under the guider's hands.
  var drafts = {};

  NS.Store.addKind("review", {
    fields: ["decision", "reason", "start_frame", "end_frame", "scheme_version_id", "code", "annotation_id"],
    word: "proposed moment",
    request: function (op, film) {
      return ["PATCH", "/api/films/" + film + "/proposals/" + encodeURIComponent(op.id),
        Object.assign({ revision: op.base }, op.fields)];
    },
    saved: function (store, op, body, before) {
      // An acceptance codes an event on the server; taking it back removes that event.
      if (before && before.annotation_id && before.annotation_id !== body.annotation_id) {
        store.server.annotation.delete(before.annotation_id);
      }
      if (body.annotation) { store.server.annotation.set(body.annotation.id, body.annotation); }
    }
  });

  function node(tag, cls, text) {
    var n = document.createElement(tag);
    if (cls) { n.className = cls; }
    if (text !== undefined) { n.textContent = text; }
    return n;
  }

  function button(text, cls, label) {
    var b = node("button", cls, text);
    b.type = "button";
    if (label) { b.setAttribute("aria-label", label); }
    return b;
  }

  function capital(text) { return text ? text.charAt(0).toUpperCase() + text.slice(1) : text; }

  function frameOf(seconds) { return Math.max(0, Math.min(ws.frameCount - 1, Math.floor(seconds * ws.fps + 1e-6))); }

  function seconds(frames) { return (frames / ws.fps).toFixed(1); }

  // --- loading ---------------------------------------------------------------------------

  function status(text) {
    var box = el("ws-proposal-status");
    box.textContent = text;
    box.hidden = !text;
  }

  function load() {
    fetch("/api/films/" + encodeURIComponent(ws.filmId) + "/proposals", {
      credentials: "same-origin", cache: "no-store", headers: { "Accept": "application/json" }
    }).then(function (response) {
      if (!response.ok) { throw new Error("status " + response.status); }
      return response.json();
    }).then(show).catch(function () {
      status("The proposed moments could not be loaded. Check the connection and reload the page.");
    });
  }

  function show(body) {
    data = body;
    panel.setAttribute("data-status", body.status);
    if (body.status !== "ready") {
      status(body.message + (body.status === "analysing" && body.progress ?
        " (" + Math.round(body.progress * 100) + " % done)" : ""));
      if (body.status === "analysing" || body.status === "preparing") { setTimeout(load, POLL_MS); }
      el("ws-speech").hidden = true;
      var words = { analysing: "running", failed: "could not be made", preparing: "after transcoding" };
      ws.timeline.set({ tracks: [{ name: "Analysis: " + (words[body.status] || "none yet"), spans: [] }] });
      return;
    }
    status(body.proposals.length ? "" : "The analysis proposed no moments in this film." +
      (body.notes.length ? " " + body.notes.join("; ") + "." : ""));
    var map = ws.store.server.review;
    body.proposals.forEach(function (p) { map.set(p.id, p); });
    renderSpeech();
    render();
  }

  // --- the list --------------------------------------------------------------------------

  function proposals() {
    if (!data || data.status !== "ready") { return []; }
    var known = {};
    data.proposals.forEach(function (p) { known[p.id] = true; });
    return ws.store.view("review").filter(function (p) { return known[p.id]; })
      .sort(function (a, b) { return a.start_frame - b.start_frame; });
  }

  function overlapping(id, start, end) {
    return proposals().find(function (p) { return p.id !== id && p.start_frame < end && start < p.end_frame; }) || null;
  }

  function review(p, fields) {
    if (!ws.mayEdit) { ws.notice("Only the case's guider reviews the proposed moments."); return; }
    ws.store.update("review", p.id, fields);
  }

  function accept(p) {
    var scheme = ws.scheme();
    review(p, { decision: "accepted", scheme_version_id: scheme.id, annotation_id: ws.store.newId() });
    ws.announce("Moment " + p.id + " accepted and coded");
  }

  function adjust(p, start, end) {
    if (!(end > start)) { ws.notice("A moment needs at least one frame: its end must come after its start."); return false; }
    if (start < 0 || end > ws.frameCount) { ws.notice("A moment must lie inside the film (frames 0 to " + (ws.frameCount - 1) + ")."); return false; }
    var clash = overlapping(p.id, start, end);
    if (clash) { ws.notice("The moment would overlap the proposed moment " + clash.id + "; proposed moments may not overlap."); return false; }
    review(p, { start_frame: start, end_frame: end });
    return true;
  }

  function makeClip(p) {
    var clash = ws.store.view("clip").find(function (c) { return c.in_frame < p.end_frame && p.start_frame < c.out_frame; });
    if (clash) { ws.notice("This moment overlaps the clip “" + clash.title + "”; clips may not overlap."); return; }
    var scheme = ws.scheme();
    var code = p.code && p.scheme_version_id === scheme.id ? [p.code] : [];
    ws.store.create("clip", {
      in_frame: p.start_frame,
      out_frame: p.end_frame,
      title: capital(p.principle),
      scheme_version_id: scheme.id,
      principles: code,
      caption: "",
      questions: []
    });
    ws.announce("Clip made from moment " + p.id);
  }

  function numberField(label, id, value) {
    var wrap = node("div", "ws-field ws-bound");
    var l = node("label", "", label);
    l.setAttribute("for", id);
    var input = node("input");
    input.id = id;
    input.type = "number";
    input.min = "0";
    input.max = String(ws.frameCount);
    input.step = "1";
    input.value = String(value);
    input.readOnly = !ws.mayEdit;
    wrap.append(l, input);
    return [wrap, input];
  }

  function item(p) {
    var li = node("li", "ws-item ws-proposal");
    li.setAttribute("data-id", p.id);
    li.setAttribute("data-decision", p.decision);
    li.classList.toggle("unsaved", !!p.unsaved);
    var head = node("div", "ws-item-head");
    var go = button(ws.clock(p.start_frame), "ws-go", "Go to moment " + p.id + " at " + ws.clock(p.start_frame));
    go.addEventListener("click", function () {
      ws.select({ in_frame: p.start_frame, out_frame: p.end_frame });
      ws.seek(p.start_frame);
    });
    var badge = node("span", "ws-decision ws-decision-" + p.decision, DECISIONS[p.decision] || p.decision);
    head.append(go, node("span", "ws-name", capital(p.principle)), badge,
      node("span", "hint", p.id + " · " + ws.clock(p.start_frame) + "–" + ws.clock(p.end_frame) +
        " (" + seconds(p.end_frame - p.start_frame) + " s)" + (p.adjusted ? " · boundaries moved" : "")));
    li.appendChild(head);
    var reasons = node("ul", "ws-reasons");
    (p.reasons || []).forEach(function (r) { reasons.appendChild(node("li", "", r)); });
    li.appendChild(reasons);
    if (p.flag) { li.appendChild(node("p", "ws-flag", p.flag)); }
    if (p.decision === "rejected" && p.reason) { li.appendChild(node("p", "hint", "Reason: " + p.reason)); }
    if (p.decision === "accepted") {
      var coded = node("p", "hint ws-coded", p.code ? "Coded as “" + codeName(p) + "”; a clip candidate." : "Accepted; a clip candidate.");
      li.appendChild(coded);
    }
    if (!ws.mayEdit) { return li; }
    var actions = node("div", "ws-buttons ws-review");
    if (p.decision !== "accepted") {
      var yes = button("Accept", "primary ws-accept", "Accept moment " + p.id);
      yes.addEventListener("click", function () { accept(p); });
      actions.appendChild(yes);
    } else {
      var clip = button("Make a clip of it", "ws-clip-it", "Make a clip of moment " + p.id);
      clip.addEventListener("click", function () { makeClip(p); });
      actions.appendChild(clip);
    }
    if (p.decision !== "open") {
      var back = button("Undecide", "ws-reopen", "Take back the decision on moment " + p.id);
      back.addEventListener("click", function () { review(p, { decision: "open" }); });
      actions.appendChild(back);
    }
    li.appendChild(actions);
    var fields = node("div", "ws-item-fields");
    if (p.decision !== "rejected") {
      var why = node("div", "ws-field");
      var whyLabel = node("label", "", "Why not (optional)");
      whyLabel.setAttribute("for", "ws-why-" + p.id);
      var whyInput = node("input");
      whyInput.id = "ws-why-" + p.id;
      whyInput.maxLength = 500;
      whyInput.value = drafts[p.id] || "";
      whyInput.addEventListener("input", function () { drafts[p.id] = whyInput.value; });
      why.append(whyLabel, whyInput);
      var no = button("Reject", "ws-reject", "Reject moment " + p.id);
      no.addEventListener("click", function () {
        review(p, { decision: "rejected", reason: whyInput.value.trim() });
        delete drafts[p.id];
        ws.announce("Moment " + p.id + " rejected");
      });
      fields.append(why, no);
    }
    var from = numberField("Starts at frame", "ws-from-" + p.id, p.start_frame);
    var to = numberField("Ends before frame", "ws-to-" + p.id, p.end_frame);
    var change = function () {
      var start = parseInt(from[1].value, 10);
      var end = parseInt(to[1].value, 10);
      if (isNaN(start) || isNaN(end) || !adjust(p, start, end)) {
        from[1].value = String(p.start_frame);
        to[1].value = String(p.end_frame);
      }
    };
    from[1].addEventListener("change", change);
    to[1].addEventListener("change", change);
    var useSel = button("Use the selection", "ws-use-selection", "Set moment " + p.id + " to the selected range");
    useSel.addEventListener("click", function () {
      var sel = ws.selection();
      if (!sel) { ws.notice("Select a range on the timeline first."); return; }
      adjust(p, sel.in_frame, sel.out_frame);
    });
    fields.append(from[0], to[0], useSel);
    li.appendChild(fields);
    return li;
  }

  function codeName(p) {
    var scheme = ws.scheme();
    var def = scheme && scheme.id === p.scheme_version_id ?
      scheme.codes.find(function (c) { return c.code === p.code; }) : null;
    return def ? def.name : p.code;
  }

  // Redraw only the moments that changed, so typing elsewhere in the list is not interrupted.
  var drawn = {};
  var order = "";
  function render() {
    if (!data || data.status !== "ready") { return; }
    var list = proposals();
    var counts = { accepted: 0, rejected: 0, open: 0 };
    list.forEach(function (p) { counts[p.decision] = (counts[p.decision] || 0) + 1; });
    var line = el("ws-proposal-counts");
    line.hidden = !list.length;
    line.textContent = counts.accepted + " accepted · " + counts.rejected + " rejected · " +
      counts.open + " still to look at, of " + list.length + " proposed";
    panel.setAttribute("data-accepted", String(counts.accepted));
    panel.setAttribute("data-rejected", String(counts.rejected));
    el("ws-proposal-tally").textContent = list.length ? "(" + list.length + ")" : "";
    var box = el("ws-proposal-list");
    var focused = document.activeElement && box.contains(document.activeElement) ? document.activeElement.id : null;
    var ids = list.map(function (p) { return p.id; }).join(",");
    if (ids !== order) {
      order = ids;
      drawn = {};
      box.textContent = "";
    }
    list.forEach(function (p) {
      var sig = JSON.stringify([p.decision, p.reason, p.start_frame, p.end_frame, p.flag, p.code,
        p.adjusted, !!p.unsaved, ws.scheme().id]);
      var old = drawn[p.id];
      if (old && old.sig === sig) { return; }
      var li = item(p);
      if (old) { box.replaceChild(li, old.li); } else { box.appendChild(li); }
      drawn[p.id] = { sig: sig, li: li };
    });
    if (focused && el(focused) && document.activeElement !== el(focused)) { el(focused).focus(); }
    drawTracks(list);
  }

  // --- timeline tracks -------------------------------------------------------------------

  function drawTracks(list) {
    var spans = function (speaker, colour) {
      return data.segments.filter(function (s) { return s.speaker === speaker; }).map(function (s) {
        return { start: frameOf(s.start), end: frameOf(s.end) + 1, colour: s.corrected ? "#6b3fa0" : colour };
      });
    };
    var tracks = [
      { name: "Adult speech", colour: "#1f5f99", spans: spans("ADULT", "#1f5f99") },
      { name: "Child speech", colour: "#c0571b", spans: spans("CHILD", "#c0571b") },
      { name: "Turns (" + data.turn_count + ")", colour: "#2f6f62", ticks: data.turns.map(function (t) { return frameOf(t.time); }) }
    ];
    if (data.motion) {
      var step = ws.fps / data.motion.rate_hz;
      tracks.push({ name: "Movement", colour: "#5b6b78", series: [
        { values: data.motion.adult || [], step: step, colour: "#1f5f99" },
        { values: data.motion.child || [], step: step, colour: "#c0571b" }
      ] });
    }
    if (data.synchrony.length) {
      tracks.push({ name: "Moving together", colour: "#7fb8a4", spans: data.synchrony.filter(function (w) { return w.above_chance; })
        .map(function (w) { return { start: frameOf(w.start), end: frameOf(w.end) + 1, colour: "rgba(47, 111, 98, 0.35)" }; }) });
    }
    tracks.push({ name: "Proposed moments", colour: "#a35b00", spans: list.map(function (p) {
      return {
        start: p.start_frame,
        end: p.end_frame,
        label: p.id,
        outline: p.decision === "open",
        colour: p.decision === "accepted" ? "#2f6f62" : p.decision === "rejected" ? "#9aa5ad" : "#a35b00"
      };
    }) });
    ws.timeline.set({ tracks: tracks });
  }

  // --- who spoke -------------------------------------------------------------------------

  function renderSpeech() {
    var details = el("ws-speech");
    details.hidden = !data.segments.length;
    var corrected = data.segments.filter(function (s) { return s.corrected; }).length;
    el("ws-speech-summary").textContent = data.segments.length + " stretches of speech · " + data.turn_count +
      " turns" + (corrected ? " (the analysis counted " + data.analysed_turn_count + "; " + corrected + " corrected)" : "");
    details.setAttribute("data-turns", String(data.turn_count));
    var box = el("ws-speech-list");
    box.textContent = "";
    data.segments.forEach(function (s) {
      var li = node("li", "ws-item ws-segment" + (s.corrected ? " ws-corrected" : ""));
      li.setAttribute("data-index", String(s.index));
      var head = node("div", "ws-item-head");
      var from = frameOf(s.start);
      var go = button(ws.clock(from), "ws-go", "Go to speech at " + ws.clock(from));
      go.addEventListener("click", function () { ws.seek(from); });
      var id = "ws-speaker-" + s.index;
      var label = node("label", "visually-hidden", "Speaker of the speech at " + ws.clock(from));
      label.setAttribute("for", id);
      var select = node("select", "ws-speaker");
      select.id = id;
      select.disabled = !ws.mayEdit || sending;
      Object.keys(SPEAKERS).forEach(function (k) {
        var o = node("option", "", SPEAKERS[k]);
        o.value = k;
        o.selected = s.speaker === k;
        select.appendChild(o);
      });
      select.addEventListener("change", function () { correct(s, select.value); });
      head.append(go, node("span", "hint", (s.end - s.start).toFixed(1) + " s"), label, select,
        node("span", "hint", s.corrected ? "corrected (heard as " + SPEAKERS[s.original_speaker].toLowerCase() + ")" : ""));
      li.appendChild(head);
      box.appendChild(li);
    });
  }

  function correct(segment, speaker) {
    sending = true;
    var token = document.querySelector("meta[name=csrf-token]");
    fetch("/api/films/" + encodeURIComponent(ws.filmId) + "/speech-segments/" + segment.index, {
      method: "PUT",
      credentials: "same-origin",
      cache: "no-store",
      headers: {
        "Accept": "application/json",
        "Content-Type": "application/json",
        "X-CSRF-Token": token ? token.getAttribute("content") : ""
      },
      body: JSON.stringify({ revision: segment.revision, speaker: speaker })
    }).then(function (response) {
      return response.json().then(function (body) { return { ok: response.ok, body: body }; });
    }).then(function (answer) {
      sending = false;
      if (!answer.ok) {
        var error = answer.body && answer.body.error;
        ws.notice(error && error.code === "stale_revision"
          ? "This speaker was corrected meanwhile (in another tab or by someone else); the latest is shown."
          : capital(error && error.message ? error.message : "the correction was refused") + ".");
        load();
        return;
      }
      show(answer.body);
      ws.announce("Speaker corrected; " + answer.body.turn_count + " turns now");
    }, function () {
      sending = false;
      ws.notice("The correction could not be sent: the connection is down. Try again when it is back.");
      renderSpeech();
    });
  }

  // --- start -----------------------------------------------------------------------------

  function begin(detail) {
    if (ws) { return; }
    ws = detail;
    var changed = ws.store.onChange;
    ws.store.onChange = function () { changed(); render(); };
    load();
  }

  if (NS.workspace) { begin(NS.workspace); }
  document.addEventListener("attunely:workspace", function (e) { begin(e.detail); });
})(window);
