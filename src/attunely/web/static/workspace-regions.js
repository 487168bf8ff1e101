// Regions of interest: the adult's and the child's boxes that motion analysis measures in.
// Drawn and adjusted on the frame shown (drag to draw, drag a box to move it, its corner to
// resize it; arrow keys move a focused box, Shift with arrows resizes it), saved as fractions
// of the picture, and "Measure movement again" queues the motion part of the analysis.
(function (root) {
  "use strict";

  var page = document.getElementById("workspace");
  var panel = document.getElementById("ws-regions");
  if (!page || !panel || page.getAttribute("data-ready") !== "1") { return; }
  var filmId = page.getAttribute("data-film");
  var mayEdit = page.getAttribute("data-may-edit") === "1";
  var video = document.getElementById("ws-video");
  var box = video.parentNode;
  var el = function (id) { return document.getElementById(id); };
  var WHO = { adult: "Adult", child: "Child" };
  var MIN = 0.04;
  var state = { revision: 0, adult: null, child: null, proposed_adult: null, proposed_child: null, motion: null };
  var saveTimer = null;
  var pollTimer = null;

  var layer = document.createElement("div");
  layer.className = "ws-region-layer";
  layer.hidden = true;
  box.classList.add("ws-has-regions");
  box.appendChild(layer);
  var shapes = {};
  ["adult", "child"].forEach(function (who) {
    var s = document.createElement("div");
    s.className = "ws-region ws-region-" + who;
    s.tabIndex = mayEdit ? 0 : -1;
    s.setAttribute("role", "group");
    s.setAttribute("data-who", who);
    var label = document.createElement("span");
    label.className = "ws-region-label";
    label.textContent = WHO[who];
    var handle = document.createElement("span");
    handle.className = "ws-region-handle";
    handle.setAttribute("aria-hidden", "true");
    s.append(label, handle);
    s.hidden = true;
    layer.appendChild(s);
    shapes[who] = s;
  });

  function token() { return document.querySelector("meta[name=csrf-token]").getAttribute("content"); }

  function call(method, path, body) {
    return fetch(path, {
      method: method,
      credentials: "same-origin",
      cache: "no-store",
      headers: { "Accept": "application/json", "Content-Type": "application/json", "X-CSRF-Token": token() },
      body: body ? JSON.stringify(body) : undefined
    }).then(function (r) {
      return r.json().catch(function () { return {}; }).then(function (data) { return [r, data]; });
    });
  }

  function say(text) { el("ws-regions-status").textContent = text; }

  // Where the picture is drawn inside the video element (letterboxed by object-fit: contain).
  function picture() {
    var w = video.clientWidth, h = video.clientHeight;
    var vw = video.videoWidth || 16, vh = video.videoHeight || 9;
    var scale = Math.min(w / vw, h / vh);
    var pw = vw * scale, ph = vh * scale;
    return { left: video.offsetLeft + (w - pw) / 2, top: video.offsetTop + (h - ph) / 2, width: pw, height: ph };
  }

  function place() {
    var p = picture();
    layer.style.left = p.left + "px";
    layer.style.top = p.top + "px";
    layer.style.width = p.width + "px";
    layer.style.height = p.height + "px";
    ["adult", "child"].forEach(function (who) {
      var b = state[who];
      var s = shapes[who];
      s.hidden = !b;
      if (!b) { return; }
      s.style.left = (b[0] * 100) + "%";
      s.style.top = (b[1] * 100) + "%";
      s.style.width = (b[2] * 100) + "%";
      s.style.height = (b[3] * 100) + "%";
      var pct = function (v) { return Math.round(v * 100) + "%"; };
      s.setAttribute("aria-label", WHO[who] + "'s region: left " + pct(b[0]) + ", top " + pct(b[1]) +
        ", width " + pct(b[2]) + ", height " + pct(b[3]) + (mayEdit ? ". Arrow keys move it; Shift and arrow keys resize it." : ""));
    });
    page.setAttribute("data-regions", JSON.stringify({ adult: state.adult, child: state.child, revision: state.revision }));
  }

  function clampBox(b) {
    var w = Math.max(MIN, Math.min(1, b[2])), h = Math.max(MIN, Math.min(1, b[3]));
    var x = Math.max(0, Math.min(1 - w, b[0])), y = Math.max(0, Math.min(1 - h, b[1]));
    var r = function (v) { return Math.round(v * 10000) / 10000; };
    return [r(x), r(y), r(w), r(h)];
  }

  function describeMotion() {
    var m = state.motion;
    if (!m) { return; }
    var words = {
      none: "Movement has not been measured in drawn regions yet.",
      queued: "Waiting to measure movement in these regions…",
      running: "Measuring movement in these regions…",
      failed: "Movement could not be measured: " + (m.note || "unknown reason") + "."
    };
    if (m.state !== "done") { say(words[m.state] || ""); return; }
    var when = m.at ? new Date(m.at).toLocaleString() : "";
    call("GET", "/api/films/" + encodeURIComponent(filmId) + "/regions/motion").then(function (pair) {
      if (!pair[0].ok) { return; }
      var d = pair[1];
      var mean = function (xs) { return xs.length ? xs.reduce(function (a, b) { return a + b; }, 0) / xs.length : 0; };
      var text = "Movement measured " + when + (m.current ? " in these regions" : " in earlier regions (measure again to use these)") +
        ": on average " + (mean(d.motion.adult) * 100).toFixed(1) + "% of the adult's region and " +
        (mean(d.motion.child) * 100).toFixed(1) + "% of the child's region changed between pictures. ";
      if (d.synchrony) {
        var above = d.synchrony.windows.filter(function (w) { return w.above_chance; }).length;
        text += "They moved together more than chance would give in " + above + " of " + d.synchrony.windows.length + " stretches of the film.";
      } else {
        text += d.note || "";
      }
      say(text);
    });
  }

  function show(data) {
    state = data;
    place();
    el("ws-regions-proposed").disabled = !mayEdit || !(data.proposed_adult || data.proposed_child);
    el("ws-regions-measure").disabled = !mayEdit || !data.adult || !data.child ||
      data.motion.state === "queued" || data.motion.state === "running";
    panel.setAttribute("data-motion", data.motion.state);
    describeMotion();
    clearTimeout(pollTimer);
    if (data.motion.state === "queued" || data.motion.state === "running") {
      pollTimer = setTimeout(load, 1500);
    }
  }

  function load() {
    call("GET", "/api/films/" + encodeURIComponent(filmId) + "/regions").then(function (pair) {
      if (pair[0].ok) { show(pair[1]); } else { say("The regions could not be loaded."); }
    }).catch(function () { say("The regions could not be loaded: check the connection."); });
  }

  // One save at a time; boxes changed while one is on its way are sent after it, and the
  // answer to the earlier one does not take them back.
  var edits = 0;
  var saving = false;

  function save() {
    clearTimeout(saveTimer);
    if (saving) { saveTimer = setTimeout(save, 200); return; }
    saving = true;
    var sent = edits;
    var frame = parseInt(page.getAttribute("data-frame") || "0", 10) || 0;
    var asBox = function (b) { return b ? { x: b[0], y: b[1], w: b[2], h: b[3] } : null; };
    say("Saving the regions…");
    call("PUT", "/api/films/" + encodeURIComponent(filmId) + "/regions", {
      revision: state.revision, adult: asBox(state.adult), child: asBox(state.child), frame: frame
    }).then(function (pair) {
      saving = false;
      if (pair[0].ok && edits !== sent) {
        var mine = { adult: state.adult, child: state.child };
        show(Object.assign(pair[1], mine));
        save();
        return;
      }
      if (pair[0].ok) { show(pair[1]); say("Regions saved."); return; }
      var error = pair[1].error || {};
      if (pair[0].status === 409 && error.current) {
        show(Object.assign({}, state, error.current));
        say("The regions were changed in another tab; theirs are shown. Draw again if needed.");
        return;
      }
      say(error.message || "The regions could not be saved.");
    }).catch(function () {
      saving = false;
      say("The regions could not be saved: check the connection and try again.");
    });
  }

  function soon() { edits += 1; clearTimeout(saveTimer); saveTimer = setTimeout(save, 400); }

  // --- pointer: draw, move, resize ---------------------------------------------------------

  var drag = null;

  function at(e) {
    var rect = layer.getBoundingClientRect();
    return [(e.clientX - rect.left) / rect.width, (e.clientY - rect.top) / rect.height];
  }

  layer.addEventListener("pointerdown", function (e) {
    if (!mayEdit || e.button !== 0) { return; }
    e.preventDefault();
    var p = at(e);
    var target = e.target.closest(".ws-region");
    var who = target ? target.getAttribute("data-who") : document.querySelector("input[name=ws-region-who]:checked").value;
    var mode = !target ? "draw" : e.target.classList.contains("ws-region-handle") ? "resize" : "move";
    drag = { who: who, mode: mode, from: p, start: state[who] ? state[who].slice() : null };
    layer.setPointerCapture(e.pointerId);
  });

  layer.addEventListener("pointermove", function (e) {
    if (!drag) { return; }
    var p = at(e);
    var dx = p[0] - drag.from[0], dy = p[1] - drag.from[1];
    var b;
    if (drag.mode === "draw") {
      b = [Math.min(p[0], drag.from[0]), Math.min(p[1], drag.from[1]), Math.abs(dx), Math.abs(dy)];
      b = [Math.max(0, b[0]), Math.max(0, b[1]), Math.min(b[2], 1 - Math.max(0, b[0])), Math.min(b[3], 1 - Math.max(0, b[1]))];
    } else if (drag.mode === "move") {
      b = [drag.start[0] + dx, drag.start[1] + dy, drag.start[2], drag.start[3]];
    } else {
      b = [drag.start[0], drag.start[1], drag.start[2] + dx, drag.start[3] + dy];
    }
    state[drag.who] = clampBox(b);
    place();
  });

  function finish() {
    if (!drag) { return; }
    drag = null;
    soon();
  }
  layer.addEventListener("pointerup", finish);
  layer.addEventListener("pointercancel", finish);

  // --- keyboard: a focused box moves with the arrows, and resizes with Shift ---------------

  Object.keys(shapes).forEach(function (who) {
    shapes[who].addEventListener("keydown", function (e) {
      var moves = { ArrowLeft: [-1, 0], ArrowRight: [1, 0], ArrowUp: [0, -1], ArrowDown: [0, 1] };
      if (!mayEdit || !moves[e.key] || !state[who]) { return; }
      // The workspace's own keys (arrows jump in time) wait while a box has the focus.
      e.preventDefault();
      e.stopPropagation();
      var d = moves[e.key].map(function (v) { return v * 0.01; });
      var b = state[who].slice();
      if (e.shiftKey) { b[2] += d[0]; b[3] += d[1]; } else { b[0] += d[0]; b[1] += d[1]; }
      state[who] = clampBox(b);
      place();
      soon();
    });
  });

  // --- the panel ---------------------------------------------------------------------------

  panel.addEventListener("toggle", function () {
    layer.hidden = !panel.open;
    if (panel.open) { place(); }
  });
  el("ws-regions-proposed").addEventListener("click", function () {
    if (state.proposed_adult) { state.adult = clampBox(state.proposed_adult); }
    if (state.proposed_child) { state.child = clampBox(state.proposed_child); }
    place();
    edits += 1;
    save();
  });
  el("ws-regions-measure").addEventListener("click", function () {
    clearTimeout(saveTimer);
    call("POST", "/api/films/" + encodeURIComponent(filmId) + "/regions/motion?revision=" + state.revision).then(function (pair) {
      if (pair[0].ok) { show(pair[1]); return; }
      say((pair[1].error || {}).message || "The movement could not be measured.");
    });
  });
  root.addEventListener("resize", function () { if (panel.open) { place(); } });
  video.addEventListener("loadedmetadata", place);
  load();
})(window);
