// Sending films to the server in parts, resumably. Two halves:
//  * AttunelyUpload: talking to the upload API (used by this page and by capture.js);
//  * the upload page (runs only where #upload-form exists): choose a file, send it.
// Footage only ever lives in memory here; nothing is written to the browser's storage.
(function (root) {
  "use strict";

  // --- the upload API -----------------------------------------------------------------

  function csrfToken() {
    var meta = document.querySelector("meta[name=csrf-token]");
    return meta ? meta.getAttribute("content") : "";
  }

  // A failure worth retrying (the line dropped, the server is restarting) or not (refused).
  function UploadError(message, options) {
    this.name = "UploadError";
    this.message = message;
    this.retry = Boolean(options && options.retry);
    this.status = (options && options.status) || 0;
    // The server's own position, when it says the upload stands elsewhere (409).
    this.offset = options && typeof options.offset === "number" ? options.offset : null;
  }
  UploadError.prototype = Object.create(Error.prototype);

  var RETRY_STATUSES = [408, 425, 429, 500, 502, 503, 504];

  // One API call; resolves with the parsed JSON, rejects with an UploadError.
  function api(method, url, body, timeoutMs) {
    var controller = typeof AbortController === "function" ? new AbortController() : null;
    var timer = null;
    var headers = { "X-CSRF-Token": csrfToken(), "Accept": "application/json" };
    var payload;
    if (body instanceof Uint8Array || body instanceof ArrayBuffer) {
      headers["Content-Type"] = "application/octet-stream";
      payload = body;
    } else if (body !== undefined) {
      headers["Content-Type"] = "application/json";
      payload = JSON.stringify(body);
    }
    if (controller && timeoutMs) {
      timer = setTimeout(function () { controller.abort(); }, timeoutMs);
    }
    return fetch(url, {
      method: method,
      headers: headers,
      body: payload,
      credentials: "same-origin",
      cache: "no-store",
      signal: controller ? controller.signal : undefined
    }).then(function (response) {
      if (timer) { clearTimeout(timer); }
      if (response.status === 204) { return null; }
      return response.json().catch(function () { return null; }).then(function (data) {
        if (response.ok) { return data; }
        var error = (data && data.error) || {};
        var message = error.message || ("the server answered " + response.status);
        throw new UploadError(message, {
          status: response.status,
          retry: RETRY_STATUSES.indexOf(response.status) >= 0,
          offset: typeof error.offset === "number" ? error.offset : null
        });
      });
    }, function () {
      if (timer) { clearTimeout(timer); }
      throw new UploadError("the connection was lost", { retry: true });
    });
  }

  function sleep(ms) {
    // Wake early when the browser says the network is back.
    return new Promise(function (resolve) {
      var timer = setTimeout(done, ms);
      function done() {
        clearTimeout(timer);
        root.removeEventListener("online", done);
        resolve();
      }
      root.addEventListener("online", done);
    });
  }

  // Seconds to wait after the n-th failure in a row: 1, 2, 4, 8, 16, then 30.
  function backoffMs(failures) {
    return Math.min(30, Math.pow(2, Math.max(0, failures - 1))) * 1000;
  }

  // Time allowed for one part: generous for a weak line (about 32 KB/s), never under 30 s.
  function partTimeoutMs(bytes) {
    return 30000 + Math.ceil(bytes / 32);
  }

  function createSession(caseId, fields) {
    return api("POST", "/api/cases/" + encodeURIComponent(caseId) + "/filming-sessions", fields);
  }

  function startUpload(sessionId, fields) {
    return api("POST", "/api/filming-sessions/" + encodeURIComponent(sessionId) + "/uploads",
      fields);
  }

  function uploadState(uploadId) {
    return api("GET", "/api/uploads/" + encodeURIComponent(uploadId), undefined, 30000);
  }

  function putPart(uploadId, offset, bytes) {
    return api("PUT", "/api/uploads/" + encodeURIComponent(uploadId) + "/parts/" + offset,
      bytes, partTimeoutMs(bytes.length));
  }

  function cancelUpload(uploadId) {
    return api("DELETE", "/api/uploads/" + encodeURIComponent(uploadId), undefined, 30000);
  }

  // Ask where the server stands, retrying with back-off until it answers or refuses.
  function resync(uploadId, onWait, stopped) {
    var failures = 0;
    function attempt() {
      return uploadState(uploadId).then(function (state) {
        if (state.state !== "open") {
          throw new UploadError(state.state === "complete"
            ? "this upload was already finished"
            : "the server closed this upload (it waited too long or it was cancelled); " +
              "please start again", { status: 409 });
        }
        return state.offset;
      }, function (error) {
        if (!error.retry || (stopped && stopped())) { throw error; }
        failures += 1;
        var wait = backoffMs(failures);
        if (onWait) { onWait(wait, failures); }
        return sleep(wait).then(attempt);
      });
    }
    return attempt();
  }

  // Send one part; on a dropped line wait, re-sync with the server and report where it
  // stands. Resolves with the server's new offset (which may differ from offset + length
  // when the line dropped after the server had stored the part).
  function sendWithRetry(uploadId, offset, bytes, hooks) {
    var failures = 0;
    function attempt(at) {
      if (at !== offset) { return Promise.resolve(at); }
      var sent = putPart(uploadId, offset, bytes);
      if (hooks.whileSending) { hooks.whileSending(); }
      return sent.then(function (state) {
        return state.offset;
      }, function (error) {
        if (error.offset !== null) { return error.offset; } // the server stands elsewhere
        if (!error.retry || (hooks.stopped && hooks.stopped())) { throw error; }
        failures += 1;
        var wait = backoffMs(failures);
        if (hooks.onWait) { hooks.onWait(wait, failures); }
        return sleep(wait).then(function () {
          return resync(uploadId, hooks.onWait, hooks.stopped);
        }).then(attempt);
      });
    }
    return attempt(offset);
  }

  function finish(uploadId, sha256, onWait) {
    var failures = 0;
    function attempt() {
      // Finishing twice is harmless: the server answers with the same film.
      return api("POST", "/api/uploads/" + encodeURIComponent(uploadId) + "/complete",
        { sha256: sha256 }, 60000).catch(function (error) {
        if (!error.retry) { throw error; }
        failures += 1;
        var wait = backoffMs(failures);
        if (onWait) { onWait(wait, failures); }
        return sleep(wait).then(attempt);
      });
    }
    return attempt();
  }

  function formatBytes(n) {
    if (n < 1024 * 1024) { return Math.max(1, Math.round(n / 1024)) + " KB"; }
    if (n < 1024 * 1024 * 1024) { return (n / 1048576).toFixed(1) + " MB"; }
    return (n / 1073741824).toFixed(2) + " GB";
  }

  function todayIso() {
    var now = new Date();
    var pad = function (v) { return (v < 10 ? "0" : "") + v; };
    return now.getFullYear() + "-" + pad(now.getMonth() + 1) + "-" + pad(now.getDate());
  }

  // The filming-visit fields of a form (shared by the upload and capture pages).
  function visitFields(form) {
    var people = [];
    form.querySelectorAll("input[name=filmed_people]:checked").forEach(function (box) {
      people.push(box.value);
    });
    return {
      filmed_on: form.querySelector("[name=filmed_on]").value || todayIso(),
      setting: form.querySelector("[name=setting]").value,
      activity: form.querySelector("[name=activity]").value.trim(),
      filmed_people: people
    };
  }

  root.AttunelyUpload = {
    UploadError: UploadError,
    api: api,
    sleep: sleep,
    backoffMs: backoffMs,
    createSession: createSession,
    startUpload: startUpload,
    uploadState: uploadState,
    resync: resync,
    sendWithRetry: sendWithRetry,
    cancelUpload: cancelUpload,
    finish: finish,
    formatBytes: formatBytes,
    visitFields: visitFields
  };

  // --- the upload page ----------------------------------------------------------------

  var form = document.getElementById("upload-form");
  if (!form) { return; }

  var caseId = form.getAttribute("data-case");
  var fileInput = document.getElementById("film-file");
  var labelInput = document.getElementById("label");
  var startButton = document.getElementById("upload-start");
  var panel = document.getElementById("upload-status");
  var bar = document.getElementById("upload-progress");
  var text = document.getElementById("upload-text");
  var warning = document.getElementById("upload-warning");
  var problem = document.getElementById("upload-problem");
  var cancelButton = document.getElementById("upload-cancel");

  // Parts start small (cheap to resend on a weak line) and grow while the line is quick.
  var FIRST_PART = 256 * 1024;
  var QUICK_MS = 3000;
  var RESUME_PREFIX = "attunely.upload.";

  var busy = false;
  var cancelled = false;
  var current = null; // {id, resumeKey}

  function show(element, message) {
    element.textContent = message;
    element.hidden = !message;
  }

  function setProgress(sent, size) {
    var share = size ? sent / size : 0;
    bar.value = Math.round(share * 1000);
    bar.textContent = Math.floor(share * 100) + "%";
    show(text, "Sent " + formatBytes(sent) + " of " + formatBytes(size) + " (" +
      Math.floor(share * 100) + "%)");
  }

  fileInput.addEventListener("change", function () {
    var file = fileInput.files && fileInput.files[0];
    show(problem, "");
    if (file && !labelInput.value) {
      // The file's name without its extension: the practitioner can change it.
      labelInput.value = file.name.replace(/\.[A-Za-z0-9]{1,5}$/, "").slice(0, 120);
    }
  });

  // Where an unfinished upload of this very file is remembered (upload id only, under a
  // hash of the file's name, size and date, so no file name is stored).
  function resumeKey(file) {
    var words = [caseId, file.name, file.size, file.lastModified].join("\n");
    return RESUME_PREFIX + root.AttunelySha256.hex(new TextEncoder().encode(words)).slice(0, 32);
  }

  function remember(key, uploadId) {
    try { root.localStorage.setItem(key, uploadId); } catch (e) { /* private mode: no resume */ }
  }

  function forget(key) {
    try { root.localStorage.removeItem(key); } catch (e) { /* nothing to forget */ }
  }

  function recalled(key) {
    try { return root.localStorage.getItem(key); } catch (e) { return null; }
  }

  // An unfinished upload of the same file that the server still holds open, if any.
  function earlierUpload(file, key) {
    var id = recalled(key);
    if (!id) { return Promise.resolve(null); }
    return uploadState(id).then(function (state) {
      if (state.state === "open" && state.expected_size === file.size) { return state; }
      forget(key);
      return null;
    }, function () {
      forget(key);
      return null;
    });
  }

  function openUpload(file, key) {
    return earlierUpload(file, key).then(function (earlier) {
      if (earlier) {
        show(warning, "Continuing the earlier upload of this file: " +
          formatBytes(earlier.offset) + " had already arrived.");
        return earlier;
      }
      return createSession(caseId, visitFields(form)).then(function (session) {
        return startUpload(session.id, {
          label: labelInput.value.trim(),
          source: "file",
          size: file.size
        });
      }).then(function (upload) {
        remember(key, upload.id);
        return upload;
      });
    });
  }

  function waitMessage(ms) {
    show(warning, "The connection dropped. Trying again in " + Math.round(ms / 1000) +
      " s — keep this page open; the upload carries on from where it stopped.");
  }

  // Read, hash and send the file from the server's offset to the end.
  function sendFile(file, upload) {
    var size = file.size;
    var hasher = root.AttunelySha256.create();
    var hashed = 0;
    var offset = upload.offset;
    var partSize = FIRST_PART;
    var largest = Math.min(upload.part_size, upload.max_part_size);

    function read(start, end) {
      return file.slice(start, end).arrayBuffer().then(function (buffer) {
        return new Uint8Array(buffer);
      });
    }

    // Hash the file up to `target` (after resuming, the part the server already has).
    function hashUpTo(target) {
      if (hashed >= target) { return Promise.resolve(); }
      if (target - hashed > largest) {
        show(text, "Re-reading the part the server already has (" +
          Math.floor(100 * hashed / target) + "%)…");
      }
      var end = Math.min(target, hashed + largest);
      return read(hashed, end).then(function (bytes) {
        hasher.update(bytes);
        hashed = end;
        return hashUpTo(target);
      });
    }

    function step() {
      if (cancelled) { throw new UploadError("cancelled", {}); }
      if (offset >= size) { return hashUpTo(size); }
      var end = Math.min(size, offset + partSize);
      var started = Date.now();
      var from = offset;
      return hashUpTo(from).then(function () {
        return read(from, end);
      }).then(function (bytes) {
        var failed = false;
        return sendWithRetry(upload.id, from, bytes, {
          whileSending: function () {
            // Hash while the part travels: the two overlap instead of adding up.
            if (hashed >= from && hashed < end) {
              hasher.update(bytes.subarray(hashed - from));
              hashed = end;
            }
          },
          onWait: function (ms) {
            failed = true;
            waitMessage(ms);
          },
          stopped: function () { return cancelled; }
        }).then(function (serverOffset) {
          if (failed) {
            partSize = FIRST_PART;
            show(warning, "");
          } else if (Date.now() - started < QUICK_MS) {
            partSize = Math.min(largest, partSize * 2);
          }
          offset = serverOffset;
          setProgress(offset, size);
          return step();
        });
      });
    }
    setProgress(offset, size);
    return step().then(function () { return hasher.hex(); });
  }

  function fail(message) {
    show(problem, message);
    show(warning, "");
    busy = false;
    startButton.disabled = false;
    cancelButton.hidden = true;
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    if (busy) { return; }
    var file = fileInput.files && fileInput.files[0];
    show(problem, "");
    if (!file) { fail("Choose the film to send first."); return; }
    if (file.size === 0) { fail("This file is empty (0 bytes): choose the film itself."); return; }
    if (!labelInput.value.trim()) { fail("Give the film a name."); labelInput.focus(); return; }
    busy = true;
    cancelled = false;
    startButton.disabled = true;
    panel.hidden = false;
    cancelButton.hidden = false;
    show(text, "Starting…");
    var key = resumeKey(file);
    openUpload(file, key).then(function (upload) {
      current = { id: upload.id, key: key };
      return sendFile(file, upload).then(function (sha256) {
        show(text, "Checking the film arrived whole…");
        cancelButton.hidden = true;
        return finish(upload.id, sha256, waitMessage);
      });
    }).then(function (film) {
      forget(key);
      busy = false;
      show(warning, "");
      show(text, "The film has arrived. Opening it…");
      root.location.assign("/films/" + encodeURIComponent(film.id));
    }).catch(function (error) {
      if (cancelled) { return; }
      if (error.status === 409 && current) { forget(current.key); }
      fail("The film could not be sent: " + (error.message || "unknown problem") + ".");
    });
  });

  cancelButton.addEventListener("click", function () {
    if (!busy || !current) { return; }
    cancelled = true;
    busy = false;
    var upload = current;
    cancelButton.hidden = true;
    show(warning, "");
    cancelUpload(upload.id).then(function () {
      forget(upload.key);
      show(text, "Upload cancelled: nothing of it was kept.");
    }, function () {
      show(text, "Upload stopped. The part already sent is removed automatically later.");
    }).then(function () {
      startButton.disabled = false;
    });
  });

  root.addEventListener("beforeunload", function (event) {
    if (busy) {
      // Leaving stops the upload; choosing the same file again later carries it on.
      event.preventDefault();
      event.returnValue = "";
    }
  });
})(window);
