// The coding-scheme editor: one row of fields per code, saved through the JSON API as the
// scheme's next version (or its first). The API applies every rule; this page checks the
// ones a person can fix at once (names, unique identifiers and keys) before sending.
(function () {
  "use strict";

  var form = document.getElementById("scheme-edit");
  if (!form) { return; }
  var start = JSON.parse(document.getElementById("se-start").textContent);
  var teamId = form.getAttribute("data-team");
  var schemeId = form.getAttribute("data-scheme");
  var list = document.getElementById("se-codes");
  var version = start.version;
  var counter = 0;

  function el(tag, attrs, text) {
    var n = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) { n.setAttribute(k, attrs[k]); });
    if (text !== undefined) { n.textContent = text; }
    return n;
  }

  function field(row, label, input, hint) {
    var id = "se-" + input.getAttribute("data-name") + "-" + row;
    input.id = id;
    var wrap = el("div", { "class": "se-field se-field-" + input.getAttribute("data-name") });
    wrap.append(el("label", { "for": id }, label), input);
    if (hint) {
      var h = el("p", { "class": "hint", id: id + "-hint" }, hint);
      input.setAttribute("aria-describedby", h.id);
      wrap.appendChild(h);
    }
    return wrap;
  }

  function slug(text) {
    var s = text.toLowerCase().normalize("NFKD").replace(/[^a-z0-9]+/g, "_").replace(/^_+|_+$/g, "");
    if (!/^[a-z]/.test(s)) { s = "code_" + s; }
    return s.slice(0, 32).replace(/_+$/, "");
  }

  function addRow(code) {
    counter += 1;
    var n = counter;
    var li = el("li", { "class": "se-code card" });
    var name = el("input", { "data-name": "name", maxlength: "80", required: "" });
    name.value = code.name;
    var ident = el("input", { "data-name": "code", maxlength: "32", pattern: "[a-z][a-z0-9_]*", autocomplete: "off" });
    ident.value = code.code;
    var category = el("input", { "data-name": "category", maxlength: "60" });
    category.value = code.category || "";
    var type = el("select", { "data-name": "type" });
    [["point", "Moment (a point in time)"], ["state", "State (held while it lasts)"]].forEach(function (o) {
      var opt = el("option", { value: o[0] }, o[1]);
      type.appendChild(opt);
    });
    type.value = code.type || "point";
    var colour = el("input", { "data-name": "colour", type: "color" });
    colour.value = code.colour || "#2f6f62";
    var key = el("input", { "data-name": "key", maxlength: "1", autocomplete: "off", "class": "se-key-input" });
    key.value = code.key || "";
    var behaviours = el("textarea", { "data-name": "behaviours", rows: "3" });
    behaviours.value = (code.behaviours || []).join("\n");
    var description = el("textarea", { "data-name": "description", rows: "2", maxlength: "500" });
    description.value = code.description || "";
    var tools = el("div", { "class": "se-tools" });
    [["up", "Move up"], ["down", "Move down"], ["remove", "Remove"]].forEach(function (t) {
      var b = el("button", { type: "button", "class": "se-" + t[0] }, t[1]);
      b.addEventListener("click", function () {
        if (t[0] === "up" && li.previousElementSibling) { list.insertBefore(li, li.previousElementSibling); }
        if (t[0] === "down" && li.nextElementSibling) { list.insertBefore(li.nextElementSibling, li); }
        if (t[0] === "remove") { li.remove(); }
        relabel();
      });
      tools.appendChild(b);
    });
    name.addEventListener("change", function () { if (!ident.value) { ident.value = slug(name.value); } });
    var grid = el("div", { "class": "se-grid" });
    grid.append(
      field(n, "Name", name),
      field(n, "Identifier", ident, "Stored with each coded event; lower-case letters, digits and _."),
      field(n, "Category", category),
      field(n, "Kind", type),
      field(n, "Colour", colour),
      field(n, "Key", key, "One letter or digit."),
      field(n, "Behaviours to look for (one a line)", behaviours),
      field(n, "Description", description)
    );
    li.append(el("h3", { "class": "se-code-h" }), grid, tools);
    list.appendChild(li);
    relabel();
    return li;
  }

  // Name each row's buttons after its code, so a screen reader says which code they move.
  function relabel() {
    Array.prototype.forEach.call(list.children, function (li, i) {
      var name = li.querySelector("[data-name=name]").value || "new code";
      li.querySelector(".se-code-h").textContent = "Code " + (i + 1) + ": " + name;
      li.querySelector(".se-up").setAttribute("aria-label", "Move " + name + " up");
      li.querySelector(".se-down").setAttribute("aria-label", "Move " + name + " down");
      li.querySelector(".se-remove").setAttribute("aria-label", "Remove " + name);
    });
  }

  function collect() {
    return Array.prototype.map.call(list.children, function (li) {
      var get = function (name) { return li.querySelector("[data-name=" + name + "]").value; };
      return {
        code: get("code").trim() || slug(get("name")),
        name: get("name").trim(),
        category: get("category").trim(),
        type: get("type"),
        colour: get("colour").toLowerCase(),
        key: get("key").trim().toLowerCase(),
        behaviours: get("behaviours").split("\n").map(function (b) { return b.trim(); }).filter(Boolean),
        description: get("description").trim()
      };
    });
  }

  function problem(codes) {
    if (!document.getElementById("se-name").value.trim()) { return ["se-name", "Give the scheme a name."]; }
    if (!codes.length) { return ["se-add", "A scheme needs at least one code."]; }
    var seen = {}, keys = {};
    for (var i = 0; i < codes.length; i++) {
      var c = codes[i];
      var row = list.children[i];
      if (!c.name) { return [row.querySelector("[data-name=name]").id, "Code " + (i + 1) + " needs a name."]; }
      if (!/^[a-z][a-z0-9_]{0,31}$/.test(c.code)) {
        return [row.querySelector("[data-name=code]").id, "The identifier of “" + c.name + "” must start with a letter and use only a–z, 0–9 and _."];
      }
      if (seen[c.code]) { return [row.querySelector("[data-name=code]").id, "Two codes have the identifier “" + c.code + "”."]; }
      seen[c.code] = true;
      if (c.key && !/^[a-z0-9]$/.test(c.key)) {
        return [row.querySelector("[data-name=key]").id, "The key of “" + c.name + "” must be one letter or digit."];
      }
      if (c.key && keys[c.key]) {
        return [row.querySelector("[data-name=key]").id, "The key " + c.key + " is given to both “" + keys[c.key] + "” and “" + c.name + "”."];
      }
      if (c.key) { keys[c.key] = c.name; }
    }
    return null;
  }

  function notice(text, focusId) {
    var box = document.getElementById("se-notice");
    box.textContent = text;
    box.hidden = !text;
    if (focusId) {
      var target = document.getElementById(focusId);
      if (target) { target.setAttribute("aria-invalid", "true"); target.focus(); }
    }
  }

  form.addEventListener("submit", function (e) {
    e.preventDefault();
    Array.prototype.forEach.call(form.querySelectorAll("[aria-invalid]"), function (n) { n.removeAttribute("aria-invalid"); });
    var codes = collect();
    var bad = problem(codes);
    if (bad) { notice(bad[1], bad[0]); return; }
    notice("");
    var body = {
      name: document.getElementById("se-name").value.trim(),
      description: document.getElementById("se-description").value.trim(),
      codes: codes
    };
    if (schemeId) { body.version = version; }
    var token = document.querySelector("meta[name=csrf-token]").getAttribute("content");
    var status = document.getElementById("se-status");
    status.textContent = "Saving…";
    fetch(schemeId ? "/api/schemes/" + schemeId : "/api/teams/" + teamId + "/schemes", {
      method: schemeId ? "PUT" : "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "Accept": "application/json", "X-CSRF-Token": token },
      body: JSON.stringify(body)
    }).then(function (response) {
      return response.json().then(function (data) { return [response, data]; });
    }).then(function (pair) {
      var response = pair[0], data = pair[1];
      if (response.ok) {
        version = data.version;
        schemeId = data.scheme_id;
        form.setAttribute("data-scheme", schemeId);
        form.setAttribute("data-version", String(version));
        status.textContent = "Saved as version " + data.version + ".";
        document.getElementById("se-save").textContent = "Save as version " + (data.version + 1);
        return;
      }
      status.textContent = "";
      var error = data.error || {};
      if (response.status === 409) {
        notice("Someone else saved this scheme meanwhile. Nothing was overwritten: reload the page to see their version, then make your change again.");
      } else {
        notice(error.message || "The scheme could not be saved.");
      }
    }).catch(function () {
      status.textContent = "";
      notice("The scheme could not be saved: check the connection and try again.");
    });
  });

  document.getElementById("se-add").addEventListener("click", function () {
    var li = addRow({ code: "", name: "", type: "point", colour: "#2f6f62", key: "", behaviours: [] });
    li.querySelector("[data-name=name]").focus();
  });
  list.addEventListener("input", function (e) { if (e.target.getAttribute("data-name") === "name") { relabel(); } });

  document.getElementById("se-name").value = start.name;
  document.getElementById("se-description").value = start.description;
  start.codes.forEach(addRow);
  form.setAttribute("data-version", String(version));
  form.setAttribute("data-ready", "1");
})();
