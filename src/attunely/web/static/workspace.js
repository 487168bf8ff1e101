// The micro-analysis workspace: a frame-accurate player, keyboard coding, the timeline, and
// clip, still and note editing. Data goes through Attunely.Store (autosave, offline queue,
// undo); the timeline is Attunely.Timeline.
//
// Frame accuracy: the playback copy has a constant frame rate, so frame N is on screen from
// N / fps to (N + 1) / fps. Going to frame N sets currentTime to the middle of that span,
// (N + 0.5) / fps (exactly N / fps can round to the frame before), and where the browser
// offers requestVideoFrameCallback the frame actually presented is read back from its
// timestamp, so the number shown is the frame on screen, and the frame coded.
(function (root) {
  "use strict";

  var page = document.getElementById("workspace");
  if (!page || page.getAttribute("data-ready") !== "1") { return; }
  var NS = root.Attunely;
  var filmId = page.getAttribute("data-film");
  var mayEdit = page.getAttribute("data-may-edit") === "1";
  var video = document.getElementById("ws-video");
  var el = function (id) { return document.getElementById(id); };
  var announcer = document.createElement("p");
  announcer.className = "visually-hidden";
  announcer.setAttribute("aria-live", "polite");
  page.appendChild(announcer);

  var num = 30, den = 1, fps = 30, frameCount = 1;
  var frame = 0;
  var selection = null;
  var seekTarget = null;
  var seekTries = 0;
  var settleTimer = null;
  var previewUntil = null;
  var ws = null;
  var scheme = null;
  var versions = {};
  var keymap = {};
  var store = null;
  var timeline = null;
  var noticeTimer = null;

  // --- time and frames -------------------------------------------------------------------

  function clamp(n) { return Math.max(0, Math.min(frameCount - 1, n)); }
  function timeOf(n) { return (n + 0.5) * den / num; }
  function frameOfTime(t) { return clamp(Math.floor(t * num / den + 1e-6)); }
  function two(n) { return (n < 10 ? "0" : "") + n; }
  function clock(n) {
    var hundredths = Math.floor(n * den * 100 / num + 1e-6);
    var s = Math.floor(hundredths / 100);
    return two(Math.floor(s / 60)) + ":" + two(s % 60) + "." + two(hundredths % 100);
  }

  // --- notices ---------------------------------------------------------------------------

  function notice(text) {
    var box = el("ws-notice");
    box.textContent = text;
    box.hidden = false;
    clearTimeout(noticeTimer);
    noticeTimer = setTimeout(function () { box.hidden = true; }, 12000);
  }

  function announce(text) { announcer.textContent = text; }

  function showStatus(state, waiting) {
    var words = {
      saved: "All changes saved",
      saving: "Saving…",
      offline: "Offline: " + waiting + " change" + (waiting === 1 ? "" : "s") +
        " waiting in this browser; they are sent when the connection is back",
      "signed-out": "Signed out: sign in again (in another tab) to send " + waiting + " waiting change" +
        (waiting === 1 ? "" : "s")
    };
    el("ws-sync").textContent = words[state] || "";
    page.setAttribute("data-sync", state);
    page.setAttribute("data-waiting", String(waiting));
  }

  // --- the player ------------------------------------------------------------------------

  function settle(shown) {
    clearTimeout(settleTimer);
    seekTarget = null;
    frame = shown;
    page.setAttribute("data-settled", "1");
    render();
  }

  function seek(n) {
    n = clamp(n);
    frame = n;
    seekTarget = n;
    seekTries = 0;
    page.setAttribute("data-settled", "0");
    video.currentTime = timeOf(n);
    watchFrames();
    render();
  }

  function onPresented(now, meta) {
    var shown = clamp(Math.round(meta.mediaTime * num / den));
    if (video.seeking) { watchFrames(); return; }
    if (!video.paused) {
      frame = shown;
      if (previewUntil !== null && frame >= previewUntil - 1) { previewUntil = null; video.pause(); }
      if (el("ws-loop").checked && selection && frame >= selection.out_frame - 1) {
        video.currentTime = timeOf(selection.in_frame);
      }
      render();
      watchFrames();
      return;
    }
    if (seekTarget !== null && shown !== seekTarget && seekTries < 2) {
      // Landed next to the frame asked for: ask again for the middle of it.
      seekTries += 1;
      video.currentTime = timeOf(seekTarget);
      watchFrames();
      return;
    }
    settle(shown);
  }

  var watching = false;
  function watchFrames() {
    if (!video.requestVideoFrameCallback) { return; }
    if (watching) { return; }
    watching = true;
    video.requestVideoFrameCallback(function (now, meta) {
      watching = false;
      onPresented(now, meta);
    });
  }

  function tickWithoutCallback() {
    // Browsers without requestVideoFrameCallback: follow currentTime while playing.
    if (video.paused) { return; }
    frame = frameOfTime(video.currentTime);
    render();
    root.requestAnimationFrame(tickWithoutCallback);
  }

  video.addEventListener("seeked", function () {
    if (seekTarget === null) { return; }
    clearTimeout(settleTimer);
    // A seek to the frame already on screen presents nothing new; settle on the target.
    var target = seekTarget;
    settleTimer = setTimeout(function () { if (seekTarget === target) { settle(target); } },
      video.requestVideoFrameCallback ? 300 : 0);
  });
  video.addEventListener("play", function () {
    page.setAttribute("data-settled", "0");
    if (video.requestVideoFrameCallback) { watchFrames(); } else { tickWithoutCallback(); }
    renderPlay();
  });
  video.addEventListener("pause", function () {
    renderPlay();
    // Line the time up with the middle of the frame on screen, so what is coded next is it.
    seek(video.requestVideoFrameCallback ? frame : frameOfTime(video.currentTime));
  });
  video.addEventListener("contextmenu", function (e) { e.preventDefault(); });

  function togglePlay() {
    if (video.paused) {
      if (frame >= frameCount - 1) { seek(0); }
      video.play().catch(function () { notice("The film could not start playing."); });
    } else {
      video.pause();
    }
  }

  function step(frames) {
    if (!video.paused) { video.pause(); }
    previewUntil = null;
    seek((seekTarget !== null ? seekTarget : frame) + frames);
  }

  function setSpeed(delta) {
    var select = el("ws-speed");
    var index = Math.max(0, Math.min(select.options.length - 1, select.selectedIndex + delta));
    select.selectedIndex = index;
    video.playbackRate = parseFloat(select.value);
    announce("Speed " + select.options[index].text);
  }

  function renderPlay() {
    var button = el("ws-play");
    var playing = !video.paused;
    button.textContent = playing ? "Pause" : "Play";
    button.setAttribute("aria-label", playing ? "Pause" : "Play");
    el("ws-playing").textContent = playing ? "playing at " + el("ws-speed").selectedOptions[0].text : "";
  }

  // --- coding ----------------------------------------------------------------------------

  function allCodes(versionId) {
    var v = versions[versionId];
    return v ? v.codes : [];
  }

  function codeOf(a) {
    return allCodes(a.scheme_version_id).find(function (c) { return c.code === a.code; }) || null;
  }

  function subject() {
    var checked = document.querySelector("input[name=ws-subject]:checked");
    return checked ? checked.value : "adult";
  }

  function running(code, who) {
    return store.view("annotation").find(function (a) {
      return a.scheme_version_id === scheme.id && a.code === code && a.subject === who && a.end_frame === null;
    }) || null;
  }

  function codeIt(def, held) {
    if (!mayEdit) { notice("Only the case's guider changes the coding."); return; }
    var who = held ? held.who : subject();
    var at = frame;
    var events = store.view("annotation");
    if (def.type === "point") {
      var twice = events.some(function (a) {
        return a.scheme_version_id === scheme.id && a.code === def.code && a.subject === who && a.start_frame === at;
      });
      if (twice) { notice("“" + def.name + "” is already coded for the " + who + " at this frame."); return; }
      showEventsNear(at);
      store.create("annotation", {
        scheme_version_id: scheme.id, code: def.code, subject: who, start_frame: at, end_frame: at, note: ""
      });
      announce(def.name + ", " + who + ", at " + clock(at));
    } else {
      var open = running(def.code, who);
      if (open) {
        if (at < open.start_frame) {
          notice("“" + def.name + "” started at frame " + open.start_frame + "; go to that frame or later to stop it.");
          return;
        }
        // The state runs through the frame on screen.
        store.update("annotation", open.id, { end_frame: at + 1 });
        announce(def.name + " stopped at " + clock(at));
      } else {
        var covered = events.some(function (a) {
          return a.scheme_version_id === scheme.id && a.code === def.code && a.subject === who &&
            a.start_frame <= at && a.end_frame !== null && at < a.end_frame;
        });
        if (covered) { notice("“" + def.name + "” is already on for the " + who + " at this frame."); return; }
        showEventsNear(at);
        store.create("annotation", {
          scheme_version_id: scheme.id, code: def.code, subject: who, start_frame: at, end_frame: null, note: ""
        });
        announce(def.name + " started at " + clock(at) + "; press its key again to stop it");
        if (held) { holds[held.id] = { def: def, who: who, frame: at, since: Date.now() }; }
      }
    }
    var button = document.querySelector(".ws-code[data-code='" + def.code + "']");
    if (button) {
      button.classList.remove("flash");
      void button.offsetWidth;
      button.classList.add("flash");
    }
  }

  // Press-and-hold for state codes: holding a state's key (or its button, by touch or mouse)
  // starts it and letting go stops it at the frame then on screen. A quick tap, with the frame
  // unchanged, leaves the state running, so start/stop by two presses still works. Each key
  // and each finger is its own hold, so several states can run from one instant.
  var HOLD_MS = 400;
  var holds = {};

  function pressState(holdId, def) {
    if (holds[holdId]) { return; }
    codeIt(def, { id: holdId, who: subject() });
  }

  function releaseState(holdId) {
    var hold = holds[holdId];
    if (!hold) { return; }
    delete holds[holdId];
    if (Date.now() - hold.since < HOLD_MS && frame === hold.frame) { return; }
    if (running(hold.def.code, hold.who)) { codeIt(hold.def, { id: holdId, who: hold.who }); }
  }

  root.addEventListener("blur", function () { Object.keys(holds).forEach(releaseState); });

  function keysFor(schemeId) {
    var saved = {};
    try { saved = JSON.parse(root.localStorage.getItem("attunely.keys." + schemeId) || "{}"); } catch (e) { saved = {}; }
    var map = {};
    scheme.codes.forEach(function (c) {
      var key = Object.prototype.hasOwnProperty.call(saved, c.code) ? saved[c.code] : c.key;
      if (key) { map[key] = c; }
    });
    return map;
  }

  function keyOf(def) {
    var found = Object.keys(keymap).find(function (k) { return keymap[k].code === def.code; });
    return found || "";
  }

  function chooseScheme(versionId) {
    scheme = versions[versionId] || ws.schemes[0];
    keymap = keysFor(scheme.scheme_id);
    el("ws-scheme-name").textContent = "version " + scheme.version;
    buildCodeButtons();
    buildKeymap();
    renderAll();
  }

  function buildCodeButtons() {
    var box = el("ws-codes");
    box.textContent = "";
    scheme.codes.forEach(function (def) {
      var button = document.createElement("button");
      button.type = "button";
      button.className = "ws-code";
      button.setAttribute("data-code", def.code);
      var key = keyOf(def);
      var label = def.name + (def.type === "state" ? " (hold, or press to start or stop)" : "") + (key ? ", key " + key : "");
      button.setAttribute("aria-label", label);
      button.title = def.behaviours.join("; ");
      if (def.type === "state") { button.setAttribute("aria-pressed", "false"); }
      var k = document.createElement("span");
      k.className = "ws-key";
      k.textContent = key || "·";
      var swatch = document.createElement("span");
      swatch.className = "ws-swatch";
      swatch.style.background = def.colour;
      var name = document.createElement("span");
      name.className = "ws-code-name";
      name.textContent = def.name;
      var kind = document.createElement("span");
      kind.className = "ws-code-kind";
      kind.textContent = def.type === "state" ? "state" : "moment";
      button.append(k, swatch, name, kind);
      button.disabled = !mayEdit;
      var pointed = false;
      if (def.type === "state") {
        button.addEventListener("pointerdown", function (e) {
          if (e.button !== 0 || button.disabled) { return; }
          pointed = true;
          pressState("pointer" + e.pointerId, def);
        });
        ["pointerup", "pointercancel", "lostpointercapture"].forEach(function (type) {
          button.addEventListener(type, function (e) { releaseState("pointer" + e.pointerId); });
        });
        button.addEventListener("contextmenu", function (e) { e.preventDefault(); });
      }
      // A pointer press was handled on pointerdown; a click from the keyboard codes here.
      button.addEventListener("click", function () { if (pointed) { pointed = false; return; } codeIt(def); });
      box.appendChild(button);
    });
  }

  function buildKeymap() {
    var box = el("ws-keymap");
    if (!box) { return; }
    box.textContent = "";
    scheme.codes.forEach(function (def) {
      var row = document.createElement("div");
      row.className = "ws-keyrow";
      var id = "ws-key-" + def.code;
      var label = document.createElement("label");
      label.setAttribute("for", id);
      label.textContent = def.name;
      var input = document.createElement("input");
      input.id = id;
      input.maxLength = 1;
      input.value = keyOf(def);
      input.setAttribute("autocomplete", "off");
      input.addEventListener("change", function () {
        var key = input.value.trim().toLowerCase();
        if (key && !/^[a-z0-9]$/.test(key)) {
          notice("A key is one letter or digit.");
          input.value = keyOf(def);
          return;
        }
        if (key && keymap[key] && keymap[key].code !== def.code) {
          notice("The key " + key + " already codes “" + keymap[key].name + "”.");
          input.value = keyOf(def);
          return;
        }
        var saved = {};
        scheme.codes.forEach(function (c) { saved[c.code] = keyOf(c); });
        saved[def.code] = key;
        try { root.localStorage.setItem("attunely.keys." + scheme.scheme_id, JSON.stringify(saved)); } catch (e) { /* kept for this visit */ }
        keymap = {};
        scheme.codes.forEach(function (c) { if (saved[c.code]) { keymap[saved[c.code]] = c; } });
        buildCodeButtons();
        renderCodes();
      });
      var looks = document.createElement("p");
      looks.className = "hint";
      looks.textContent = def.behaviours.join(" · ");
      row.append(label, input, looks);
      box.appendChild(row);
    });
  }

  // --- selection, clips, stills ----------------------------------------------------------

  function select(range) {
    selection = range && range.out_frame > range.in_frame ? range : null;
    renderSelection();
    timeline.set({ selection: selection });
  }

  function makeClip() {
    if (!selection) { notice("Select a range first: drag on the timeline, or use Set in and Set out."); return; }
    var clash = store.view("clip").find(function (c) {
      return c.in_frame < selection.out_frame && selection.in_frame < c.out_frame;
    });
    if (clash) { notice("This range overlaps the clip “" + clash.title + "”; clips may not overlap."); return; }
    // Suggest the principles coded inside the range; the guider decides.
    var inside = {};
    store.view("annotation").forEach(function (a) {
      var end = a.end_frame === null ? frame + 1 : Math.max(a.end_frame, a.start_frame + 1);
      if (a.scheme_version_id === scheme.id && a.start_frame < selection.out_frame && selection.in_frame < end) {
        inside[a.code] = true;
      }
    });
    var principles = scheme.codes.map(function (c) { return c.code; }).filter(function (c) { return inside[c]; });
    var id = store.create("clip", {
      in_frame: selection.in_frame,
      out_frame: selection.out_frame,
      title: "Clip " + (store.view("clip").length + 1),
      scheme_version_id: scheme.id,
      principles: principles,
      caption: "",
      questions: []
    });
    announce("Clip made");
    var title = document.querySelector("#ws-clips li[data-id='" + id + "'] .ws-title");
    if (title) { title.focus(); title.select(); }
  }

  function makeStill() {
    var id = store.create("still", { frame: frame, caption: "" });
    announce("Still of frame " + frame + " made");
    var caption = document.querySelector("#ws-stills li[data-id='" + id + "'] .ws-caption");
    if (caption) { caption.focus(); }
  }

  // --- lists -----------------------------------------------------------------------------

  function setValue(input, value) {
    if (document.activeElement !== input && input.value !== value) { input.value = value; }
  }

  function node(tag, className, text) {
    var n = document.createElement(tag);
    if (className) { n.className = className; }
    if (text !== undefined) { n.textContent = text; }
    return n;
  }

  function labelled(tag, labelText, id, className) {
    var wrap = node("div", "ws-field");
    var label = node("label", "", labelText);
    label.setAttribute("for", id);
    var input = node(tag, className);
    input.id = id;
    wrap.append(label, input);
    return [wrap, input];
  }

  // Keep one element per item, updated in place, so typing is never interrupted.
  function syncList(list, items, make, update) {
    var existing = new Map();
    Array.prototype.forEach.call(list.children, function (li) { existing.set(li.getAttribute("data-id"), li); });
    var previous = null;
    items.forEach(function (item) {
      var li = existing.get(item.id);
      if (!li) { li = make(item); li.setAttribute("data-id", item.id); }
      existing.delete(item.id);
      update(li, item);
      var wanted = previous ? previous.nextSibling : list.firstChild;
      if (wanted !== li) { list.insertBefore(li, wanted); }
      previous = li;
    });
    existing.forEach(function (li) { li.remove(); });
  }

  function goButton(li) {
    var go = node("button", "ws-go");
    go.type = "button";
    go.addEventListener("click", function () {
      if (!video.paused) { video.pause(); }
      seek(parseInt(li.getAttribute("data-frame"), 10));
    });
    return go;
  }

  function deleteButton(kind, li) {
    var del = node("button", "ws-delete", "Delete");
    del.type = "button";
    del.disabled = !mayEdit;
    del.addEventListener("click", function () { store.remove(kind, li.getAttribute("data-id")); });
    return del;
  }

  function makeEvent(item) {
    var li = node("li", "ws-item");
    var head = node("div", "ws-item-head");
    var swatch = node("span", "ws-swatch");
    var name = node("span", "ws-name");
    var detail = node("span", "hint ws-detail");
    head.append(goButton(li), swatch, name, detail);
    var subjectField = labelled("select", "Who", "ws-subj-" + item.id, "ws-subject-select");
    ["adult", "child", "both"].forEach(function (s) {
      var o = node("option", "", s.charAt(0).toUpperCase() + s.slice(1));
      o.value = s;
      subjectField[1].appendChild(o);
    });
    subjectField[0].classList.add("ws-field-subject");
    subjectField[1].disabled = !mayEdit;
    subjectField[1].addEventListener("change", function () {
      store.update("annotation", item.id, { subject: subjectField[1].value });
    });
    var noteField = labelled("input", "Note", "ws-note-" + item.id, "ws-note");
    noteField[1].maxLength = 2000;
    noteField[1].readOnly = !mayEdit;
    noteField[1].addEventListener("change", function () {
      store.update("annotation", item.id, { note: noteField[1].value });
    });
    var row = node("div", "ws-item-fields");
    row.append(subjectField[0], noteField[0], deleteButton("annotation", li));
    li.append(head, row);
    return li;
  }

  function updateEvent(li, a) {
    var def = codeOf(a);
    var name = def ? def.name : a.code;
    li.setAttribute("data-frame", String(a.start_frame));
    li.classList.toggle("unsaved", !!a.unsaved);
    var go = li.querySelector(".ws-go");
    go.textContent = clock(a.start_frame);
    go.setAttribute("aria-label", "Go to " + name + " at " + clock(a.start_frame) + ", frame " + a.start_frame);
    li.querySelector(".ws-swatch").style.background = def ? def.colour : "#5b6b78";
    li.querySelector(".ws-name").textContent = name;
    var span = a.end_frame === a.start_frame ? "moment, frame " + a.start_frame
      : a.end_frame === null ? "running since frame " + a.start_frame
        : "frames " + a.start_frame + "–" + (a.end_frame - 1) + " (" + ((a.end_frame - a.start_frame) * den / num).toFixed(2) + " s)";
    li.querySelector(".ws-detail").textContent = span;
    setValue(li.querySelector(".ws-subject-select"), a.subject);
    setValue(li.querySelector(".ws-note"), a.note || "");
    li.querySelector(".ws-delete").setAttribute("aria-label", "Delete " + name + " at " + clock(a.start_frame));
  }

  function makeClipItem(item) {
    var li = node("li", "ws-item ws-clip");
    var head = node("div", "ws-item-head");
    var play = node("button", "ws-play-clip", "Play clip");
    play.type = "button";
    play.addEventListener("click", function () {
      var c = store.get("clip", li.getAttribute("data-id"));
      if (!c) { return; }
      select({ in_frame: c.in_frame, out_frame: c.out_frame });
      seek(c.in_frame);
      previewUntil = c.out_frame;
      video.play().catch(function () { notice("The clip could not start playing."); });
    });
    var range = node("span", "hint ws-range");
    var up = node("button", "ws-up", "↑");
    up.type = "button";
    var down = node("button", "ws-down", "↓");
    down.type = "button";
    [[up, -1], [down, 1]].forEach(function (pair) {
      pair[0].disabled = !mayEdit;
      pair[0].addEventListener("click", function () {
        var ids = store.view("clip").map(function (c) { return c.id; });
        var at = ids.indexOf(li.getAttribute("data-id"));
        var to = at + pair[1];
        if (at < 0 || to < 0 || to >= ids.length) { return; }
        ids.splice(to, 0, ids.splice(at, 1)[0]);
        store.orderClips(ids);
      });
    });
    head.append(goButton(li), play, range, up, down, deleteButton("clip", li));
    var title = labelled("input", "Title", "ws-title-" + item.id, "ws-title");
    title[1].maxLength = 120;
    title[1].readOnly = !mayEdit;
    title[1].addEventListener("change", function () {
      if (!title[1].value.trim()) { notice("A clip needs a title."); return; }
      store.update("clip", item.id, { title: title[1].value.trim() });
    });
    var principles = node("fieldset", "ws-principles");
    principles.appendChild(node("legend", "", "Principles"));
    var caption = labelled("textarea", "What is going well (caption)", "ws-caption-" + item.id, "ws-clip-caption");
    caption[1].maxLength = 1000;
    caption[1].readOnly = !mayEdit;
    caption[1].placeholder = "Describe the strength you see, e.g. “You waited, and she showed you the bus.”";
    caption[1].addEventListener("change", function () {
      store.update("clip", item.id, { caption: caption[1].value });
    });
    var questions = labelled("textarea", "Questions for the parent (one a line)", "ws-questions-" + item.id, "ws-questions");
    questions[1].readOnly = !mayEdit;
    questions[1].placeholder = "What do you notice your child doing here?";
    questions[1].addEventListener("change", function () {
      var lines = questions[1].value.split("\n").map(function (q) { return q.trim(); }).filter(Boolean).slice(0, 10);
      store.update("clip", item.id, { questions: lines });
    });
    var helping = labelled("select", "The parent's helping question it speaks to", "ws-helping-" + item.id, "ws-helping");
    helping[1].disabled = !mayEdit;
    helping[1].addEventListener("change", function () {
      store.update("clip", item.id, { helping_question_id: helping[1].value || null });
    });
    li.append(head, title[0], principles, caption[0], questions[0], helping[0]);
    return li;
  }

  // The case's helping questions: active ones, and an inactive one only where a clip names it.
  function helpingOptions(select, chosen) {
    var questions = (ws.helping_questions || []).filter(function (q) { return q.active || q.id === chosen; });
    var signature = questions.map(function (q) { return q.id + q.revision; }).join(",");
    if (select.getAttribute("data-questions") !== signature) {
      select.setAttribute("data-questions", signature);
      select.textContent = "";
      var none = node("option", "", questions.length ? "None chosen" : "None set for this case yet");
      none.value = "";
      select.appendChild(none);
      questions.forEach(function (q) {
        var o = node("option", "", q.text + (q.active ? "" : " (no longer active)"));
        o.value = q.id;
        select.appendChild(o);
      });
    }
    setValue(select, chosen || "");
  }

  function updateClip(li, c) {
    li.setAttribute("data-frame", String(c.in_frame));
    li.classList.toggle("unsaved", !!c.unsaved);
    var go = li.querySelector(".ws-go");
    go.textContent = clock(c.in_frame);
    go.setAttribute("aria-label", "Go to the start of " + c.title);
    li.querySelector(".ws-range").textContent = clock(c.in_frame) + "–" + clock(c.out_frame) +
      " (" + ((c.out_frame - c.in_frame) * den / num).toFixed(1) + " s)";
    li.querySelector(".ws-up").setAttribute("aria-label", "Move " + c.title + " up");
    li.querySelector(".ws-down").setAttribute("aria-label", "Move " + c.title + " down");
    li.querySelector(".ws-delete").setAttribute("aria-label", "Delete " + c.title);
    li.querySelector(".ws-play-clip").setAttribute("aria-label", "Play " + c.title);
    setValue(li.querySelector(".ws-title"), c.title);
    setValue(li.querySelector(".ws-clip-caption"), c.caption || "");
    var qs = li.querySelector(".ws-questions");
    if (document.activeElement !== qs) { qs.value = (c.questions || []).join("\n"); }
    helpingOptions(li.querySelector(".ws-helping"), c.helping_question_id || "");
    var box = li.querySelector(".ws-principles");
    var codes = allCodes(c.scheme_version_id || scheme.id);
    var signature = codes.map(function (d) { return d.code; }).join(",");
    if (box.getAttribute("data-codes") !== signature) {
      box.setAttribute("data-codes", signature);
      Array.prototype.slice.call(box.querySelectorAll("label")).forEach(function (l) { l.remove(); });
      codes.forEach(function (d) {
        var label = node("label", "check");
        var input = node("input");
        input.type = "checkbox";
        input.value = d.code;
        input.disabled = !mayEdit;
        input.addEventListener("change", function () {
          var chosen = Array.prototype.filter.call(box.querySelectorAll("input"), function (i) { return i.checked; })
            .map(function (i) { return i.value; });
          store.update("clip", li.getAttribute("data-id"), {
            principles: chosen, scheme_version_id: c.scheme_version_id || scheme.id
          });
        });
        label.append(input, document.createTextNode(" " + d.name));
        box.appendChild(label);
      });
    }
    Array.prototype.forEach.call(box.querySelectorAll("input"), function (i) {
      i.checked = (c.principles || []).indexOf(i.value) >= 0;
    });
  }

  function makeStillItem(item) {
    var li = node("li", "ws-item");
    var head = node("div", "ws-item-head");
    head.append(goButton(li), node("span", "hint ws-still-frame"));
    var caption = labelled("input", "Caption", "ws-still-" + item.id, "ws-caption");
    caption[1].maxLength = 500;
    caption[1].readOnly = !mayEdit;
    caption[1].addEventListener("change", function () {
      store.update("still", item.id, { caption: caption[1].value });
    });
    var row = node("div", "ws-item-fields");
    row.append(caption[0], deleteButton("still", li));
    li.append(head, row);
    return li;
  }

  function updateStill(li, s) {
    li.setAttribute("data-frame", String(s.frame));
    li.classList.toggle("unsaved", !!s.unsaved);
    var go = li.querySelector(".ws-go");
    go.textContent = clock(s.frame);
    go.setAttribute("aria-label", "Go to the still at " + clock(s.frame));
    li.querySelector(".ws-still-frame").textContent = "frame " + s.frame;
    li.querySelector(".ws-delete").setAttribute("aria-label", "Delete the still at " + clock(s.frame));
    setValue(li.querySelector(".ws-caption"), s.caption || "");
  }

  // --- rendering -------------------------------------------------------------------------

  function renderSelection() {
    var out = el("ws-sel");
    if (!out) { return; }
    out.textContent = selection
      ? clock(selection.in_frame) + " – " + clock(selection.out_frame) + " (frames " + selection.in_frame +
        "–" + (selection.out_frame - 1) + ", " + ((selection.out_frame - selection.in_frame) * den / num).toFixed(2) + " s)"
      : "none";
  }

  function renderCodes() {
    Array.prototype.forEach.call(document.querySelectorAll(".ws-code[aria-pressed]"), function (b) {
      b.setAttribute("aria-pressed", running(b.getAttribute("data-code"), subject()) ? "true" : "false");
    });
  }

  function lanes(events) {
    var list = scheme.codes.map(function (c) {
      return { code: c.code, name: c.name, colour: c.colour, key: keyOf(c) };
    });
    // Codes the chosen scheme does not have (another scheme's) share one lane at the end.
    var known = {};
    scheme.codes.forEach(function (c) { known[c.code] = true; });
    var others = events.some(function (a) { return !known[a.code]; });
    if (others) {
      list.push({ name: "Other codes", colour: "#5b6b78", colourOf: function (a) { var d = codeOf(a); return d ? d.colour : "#5b6b78"; } });
    }
    return list;
  }

  // A long list shows one page of events at a time (the timeline shows them all): thousands
  // of rows of fields would make the page slow to open and to lay out after every change.
  var EVENT_PAGE = 50;
  var eventsFrom = 0;
  var eventsTotal = 0;

  function eventWindow(events) {
    eventsTotal = events.length;
    var pager = el("ws-events-pager");
    if (events.length <= EVENT_PAGE) {
      eventsFrom = 0;
      if (pager) { pager.hidden = true; }
      return events;
    }
    eventsFrom = Math.max(0, Math.min(events.length - EVENT_PAGE, eventsFrom));
    if (!pager) { pager = makePager(); }
    pager.hidden = false;
    el("ws-events-range").textContent = "Showing " + (eventsFrom + 1) + "–" + (eventsFrom + EVENT_PAGE) + " of " + events.length;
    el("ws-events-earlier").disabled = eventsFrom === 0;
    el("ws-events-later").disabled = eventsFrom + EVENT_PAGE >= events.length;
    return events.slice(eventsFrom, eventsFrom + EVENT_PAGE);
  }

  function makePager() {
    var pager = node("div", "ws-buttons ws-pager");
    pager.id = "ws-events-pager";
    var range = node("p", "hint ws-sel-text");
    range.id = "ws-events-range";
    range.setAttribute("aria-live", "polite");
    var buttons = [["ws-events-earlier", "Earlier", -EVENT_PAGE], ["ws-events-near", "Near the playhead", 0],
      ["ws-events-later", "Later", EVENT_PAGE]].map(function (spec) {
      var b = node("button", "", spec[1]);
      b.type = "button";
      b.id = spec[0];
      b.addEventListener("click", function () {
        if (spec[2]) { eventsFrom += spec[2]; } else { showEventsNear(frame); }
        renderAll();
      });
      return b;
    });
    pager.append.apply(pager, [range].concat(buttons));
    el("ws-events").insertAdjacentElement("afterend", pager);
    return pager;
  }

  function showEventsNear(at) {
    if (eventsTotal <= EVENT_PAGE) { return; }
    var events = store.view("annotation");
    var index = events.findIndex(function (a) { return a.start_frame >= at; });
    eventsFrom = (index < 0 ? events.length : index) - Math.floor(EVENT_PAGE / 5);
  }

  function renderAll() {
    if (!store || !scheme) { return; }
    var events = store.view("annotation");
    var clips = store.view("clip");
    var stills = store.view("still");
    syncList(el("ws-events"), eventWindow(events), makeEvent, updateEvent);
    syncList(el("ws-clips"), clips, makeClipItem, updateClip);
    syncList(el("ws-stills"), stills, makeStillItem, updateStill);
    el("ws-events-empty").hidden = events.length > 0;
    el("ws-clips-empty").hidden = clips.length > 0;
    el("ws-stills-empty").hidden = stills.length > 0;
    el("ws-events-count").textContent = events.length ? "(" + events.length + ")" : "";
    if (el("ws-undo")) {
      el("ws-undo").disabled = !store.undoStack.length;
      el("ws-redo").disabled = !store.redoStack.length;
    }
    timeline.set({ lanes: lanes(events), annotations: events, clips: clips, stills: stills });
    renderCodes();
    render();
  }

  function render() {
    el("ws-time").textContent = clock(frame);
    el("ws-frame").textContent = String(frame);
    page.setAttribute("data-frame", String(frame));
    var canvas = el("ws-timeline");
    canvas.setAttribute("aria-valuenow", String(frame));
    canvas.setAttribute("aria-valuetext", "frame " + frame + ", " + clock(frame));
    if (timeline) { timeline.set({ frame: frame }); }
  }

  // --- keyboard --------------------------------------------------------------------------

  function typing(target) {
    if (!target || !target.tagName) { return false; }
    if (target.isContentEditable || target.tagName === "TEXTAREA" || target.tagName === "SELECT") { return true; }
    return target.tagName === "INPUT" && target.type !== "checkbox" && target.type !== "radio";
  }

  document.addEventListener("keydown", function (e) {
    if (typing(e.target)) { return; }
    var key = e.key;
    if ((e.ctrlKey || e.metaKey) && !e.altKey) {
      var lower = key.toLowerCase();
      if (lower === "z" && !e.shiftKey) { e.preventDefault(); store.undo(); return; }
      if ((lower === "z" && e.shiftKey) || lower === "y") { e.preventDefault(); store.redo(); return; }
      return;
    }
    if (e.altKey || e.ctrlKey || e.metaKey) { return; }
    if (e.target.type === "radio" && key.indexOf("Arrow") === 0) { return; }
    var second = Math.round(fps);
    var handled = true;
    if (key === " " || key === "Spacebar") { togglePlay(); }
    else if (key === ",") { step(-1); }
    else if (key === ".") { step(1); }
    else if (key === "ArrowLeft") { step(-(e.shiftKey ? 5 : 1) * second); }
    else if (key === "ArrowRight") { step((e.shiftKey ? 5 : 1) * second); }
    else if (key === "Home") { step(-frameCount); }
    else if (key === "End") { step(frameCount); }
    else if (key === "[" && mayEdit) { setIn(); }
    else if (key === "]" && mayEdit) { setOut(); }
    else if (key === "-") { setSpeed(-1); }
    else if (key === "=" || key === "+") { setSpeed(1); }
    else if (keymap[key.toLowerCase()] && e.repeat) { /* held: the first press counted */ }
    else if (keymap[key.toLowerCase()] && keymap[key.toLowerCase()].type === "state") {
      pressState("key" + key.toLowerCase(), keymap[key.toLowerCase()]);
    }
    else if (keymap[key.toLowerCase()]) { codeIt(keymap[key.toLowerCase()]); }
    else { handled = false; }
    if (handled) { e.preventDefault(); }
  });

  document.addEventListener("keyup", function (e) { releaseState("key" + e.key.toLowerCase()); });

  function setIn() {
    select({ in_frame: frame, out_frame: selection && selection.out_frame > frame ? selection.out_frame : frame + 1 });
  }

  function setOut() {
    select({ in_frame: selection && selection.in_frame <= frame ? selection.in_frame : frame, out_frame: frame + 1 });
  }

  // --- start -----------------------------------------------------------------------------

  function bind(id, handler) {
    var b = el(id);
    if (b) { b.addEventListener("click", handler); }
  }

  function start(data) {
    ws = data;
    var parts = (data.film.fps || "30/1").split("/");
    num = parseInt(parts[0], 10) || 30;
    den = parseInt(parts[1], 10) || 1;
    fps = num / den;
    frameCount = Math.max(1, data.film.frame_count);
    el("ws-frames").textContent = String(frameCount - 1);
    el("ws-timeline").setAttribute("aria-valuemax", String(frameCount - 1));
    data.schemes.concat(data.older_versions).forEach(function (v) { versions[v.id] = v; });
    var chooser = el("ws-scheme");
    data.schemes.forEach(function (v) {
      var o = node("option", "", v.name + " (version " + v.version + ")");
      o.value = v.id;
      chooser.appendChild(o);
    });
    chooser.addEventListener("change", function () { chooseScheme(chooser.value); });
    timeline = new NS.Timeline(el("ws-timeline"), {
      frameCount: frameCount,
      fps: fps,
      onSeek: function (n) { if (!video.paused) { video.pause(); } previewUntil = null; seek(n); },
      onSelect: function (range) { select(range); }
    });
    store = new NS.Store({ filmId: filmId, onChange: renderAll, onStatus: showStatus, onNotice: notice });
    scheme = data.schemes[0];
    chooseScheme(scheme.id);
    store.load(data);
    seek(0);
    announceStarted();
  }

  // Tell other workspace scripts (proposed moments) the workspace is running, and how to
  // work with it.
  function announceStarted() {
    var detail = {
      filmId: filmId,
      mayEdit: mayEdit,
      store: store,
      timeline: timeline,
      fps: fps,
      frameCount: frameCount,
      frame: function () { return frame; },
      selection: function () { return selection; },
      scheme: function () { return scheme; },
      seek: function (n) { if (!video.paused) { video.pause(); } previewUntil = null; seek(n); },
      select: select,
      clock: clock,
      notice: notice,
      announce: announce
    };
    NS.workspace = detail;
    document.dispatchEvent(new CustomEvent("attunely:workspace", { detail: detail }));
  }

  bind("ws-play", togglePlay);
  bind("ws-prev", function () { step(-1); });
  bind("ws-next", function () { step(1); });
  bind("ws-back1", function () { step(-Math.round(fps)); });
  bind("ws-fwd1", function () { step(Math.round(fps)); });
  bind("ws-back5", function () { step(-5 * Math.round(fps)); });
  bind("ws-fwd5", function () { step(5 * Math.round(fps)); });
  bind("ws-in", setIn);
  bind("ws-out", setOut);
  bind("ws-clear", function () { select(null); });
  bind("ws-make-clip", makeClip);
  bind("ws-make-still", makeStill);
  bind("ws-undo", function () { store.undo(); });
  bind("ws-redo", function () { store.redo(); });
  bind("ws-zoom-in", function () { timeline.zoom(2); });
  bind("ws-zoom-out", function () { timeline.zoom(0.5); });
  bind("ws-zoom-fit", function () { timeline.fit(); });
  el("ws-speed").addEventListener("change", function () { video.playbackRate = parseFloat(el("ws-speed").value); renderPlay(); });
  Array.prototype.forEach.call(document.querySelectorAll("input[name=ws-subject]"), function (r) {
    r.addEventListener("change", renderCodes);
  });

  fetch("/api/films/" + encodeURIComponent(filmId) + "/workspace", {
    credentials: "same-origin", cache: "no-store", headers: { "Accept": "application/json" }
  }).then(function (response) {
    if (!response.ok) { throw new Error("status " + response.status); }
    return response.json();
  }).then(start).catch(function () {
    el("ws-sync").textContent = "";
    notice("The workspace could not be loaded. Check the connection and reload the page.");
  });
})(window);
