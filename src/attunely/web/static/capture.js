// Filming in the browser: the camera's recording goes to the server second by second while
// it is made, so it never sits in the tablet's camera roll, downloads or caches.
// The only copy on the device is the few seconds not yet sent, held in memory; when the
// connection drops, at most the page's buffer limit waits, then filming pauses until they are sent.
(function (root) {
  "use strict";

  var form = document.getElementById("capture-form");
  if (!form || !root.AttunelyUpload) { return; }
  var U = root.AttunelyUpload;

  var caseId = form.getAttribute("data-case");
  var labelInput = document.getElementById("label");
  var cameraButton = document.getElementById("camera-on");
  var stage = document.getElementById("capture-stage");
  var preview = document.getElementById("preview");
  var startButton = document.getElementById("record-start");
  var stopButton = document.getElementById("record-stop");
  var elapsedText = document.getElementById("elapsed");
  var recordingBadge = document.getElementById("recording");
  var statusText = document.getElementById("capture-status");
  var connectionWarning = document.getElementById("capture-warning");
  var pausedWarning = document.getElementById("capture-paused");
  var batteryWarning = document.getElementById("battery-warning");
  var batteryLevel = document.getElementById("battery-level");
  var problem = document.getElementById("capture-problem");

  // WebM first: VP8/Opus is what Chromium and Firefox record; Safari records MP4.
  var MIME_TYPES = [
    "video/webm;codecs=vp8,opus",
    "video/webm;codecs=vp9,opus",
    "video/webm",
    "video/mp4;codecs=avc1.42E01E,mp4a.40.2",
    "video/mp4"
  ];
  var TIMESLICE_MS = 1000;
  // Unsent film held in memory at most, unless the page says otherwise (data-buffer-limit):
  // about 100 s of film at 2.5 Mbit/s.
  var QUEUE_LIMIT = 32 * 1024 * 1024;
  var LOW_BATTERY = 0.2;

  var stream = null;
  var recorder = null;
  var upload = null;
  var hasher = null;
  var queue = []; // recorded bytes not yet acknowledged by the server, oldest first
  var queued = 0;
  var acked = 0; // bytes the server holds
  var produced = 0; // bytes recorded
  var partLimit = 4 * 1024 * 1024;
  var queueLimit = QUEUE_LIMIT;
  var chunks = Promise.resolve(); // keeps recorded chunks in order while they are read
  var pumping = false;
  var recorderStopped = false;
  var finishing = false;
  var failed = false;
  var pausedForSpace = false;
  var offline = false;
  var clock = { total: 0, since: null, timer: null };
  var wakeLock = null;

  function show(element, message) {
    element.textContent = message;
    element.hidden = !message;
  }

  function pickMimeType() {
    if (typeof root.MediaRecorder !== "function") { return null; }
    for (var i = 0; i < MIME_TYPES.length; i++) {
      if (root.MediaRecorder.isTypeSupported(MIME_TYPES[i])) { return MIME_TYPES[i]; }
    }
    return "";
  }

  function checklistDone() {
    var boxes = form.querySelectorAll("input[data-check]");
    for (var i = 0; i < boxes.length; i++) {
      if (!boxes[i].checked) { return false; }
    }
    return true;
  }

  // --- the clock ----------------------------------------------------------------------

  function elapsedMs() {
    return clock.total + (clock.since === null ? 0 : Date.now() - clock.since);
  }

  function showClock() {
    var seconds = Math.floor(elapsedMs() / 1000);
    var h = Math.floor(seconds / 3600), m = Math.floor(seconds / 60) % 60, s = seconds % 60;
    var two = function (v) { return (v < 10 ? "0" : "") + v; };
    elapsedText.textContent = (h ? h + ":" + two(m) : String(m)) + ":" + two(s);
  }

  function runClock() {
    if (clock.since === null) { clock.since = Date.now(); }
    if (clock.timer === null) { clock.timer = setInterval(showClock, 250); }
    showClock();
  }

  function holdClock() {
    if (clock.since !== null) {
      clock.total += Date.now() - clock.since;
      clock.since = null;
    }
    showClock();
  }

  function stopClock() {
    holdClock();
    if (clock.timer !== null) {
      clearInterval(clock.timer);
      clock.timer = null;
    }
  }

  // --- battery and screen -------------------------------------------------------------

  function watchBattery() {
    if (typeof navigator.getBattery !== "function") {
      batteryLevel.textContent = "This browser does not report the battery: check it yourself.";
      return;
    }
    navigator.getBattery().then(function (battery) {
      function update() {
        var percent = Math.round(battery.level * 100);
        batteryLevel.textContent = "Battery " + percent + "%" +
          (battery.charging ? ", charging" : "");
        var low = !battery.charging && battery.level <= LOW_BATTERY;
        show(batteryWarning, low ? "Battery low (" + percent + "%): plug the tablet in " +
          "before filming, or keep the film short." : "");
      }
      update();
      battery.addEventListener("levelchange", update);
      battery.addEventListener("chargingchange", update);
    }).catch(function () {
      batteryLevel.textContent = "The battery level is not available: check it yourself.";
    });
  }

  function keepScreenOn() {
    if (navigator.wakeLock && typeof navigator.wakeLock.request === "function") {
      navigator.wakeLock.request("screen").then(function (lock) { wakeLock = lock; },
        function () { /* not granted: the tablet may dim, filming carries on */ });
    }
  }

  function releaseScreen() {
    if (wakeLock) {
      wakeLock.release().catch(function () { /* already released */ });
      wakeLock = null;
    }
  }

  // --- the camera ---------------------------------------------------------------------

  function cameraProblem(error) {
    var name = error && error.name;
    if (name === "NotAllowedError" || name === "SecurityError") {
      return "The camera was not allowed. Allow the camera and microphone for this site " +
        "in the browser's settings, then reload the page.";
    }
    if (name === "NotFoundError" || name === "OverconstrainedError") {
      return "No camera (or no microphone) was found on this device.";
    }
    if (name === "NotReadableError") {
      return "The camera is in use by another app. Close it, then try again.";
    }
    return "The camera could not be started (" + (name || "unknown problem") + ").";
  }

  function stopCamera() {
    if (stream) {
      stream.getTracks().forEach(function (track) { track.stop(); });
    }
    preview.srcObject = null;
  }

  cameraButton.addEventListener("click", function () {
    show(problem, "");
    if (!navigator.mediaDevices || typeof navigator.mediaDevices.getUserMedia !== "function") {
      show(problem, "This browser cannot use the camera on this page. Open Attunely in " +
        "Chrome, Safari or Firefox over https.");
      return;
    }
    if (pickMimeType() === null) {
      show(problem, "This browser cannot record video. Update it, or use Chrome or Safari.");
      return;
    }
    cameraButton.disabled = true;
    navigator.mediaDevices.getUserMedia({
      video: {
        facingMode: "environment",
        width: { ideal: 1280 },
        height: { ideal: 720 },
        frameRate: { ideal: 30, max: 30 }
      },
      // Voice processing would flatten the baby's sounds and the parent's tone of voice,
      // which the feedback (and later analysis) look at: record the room as it is.
      audio: { echoCancellation: false, noiseSuppression: false, autoGainControl: false }
    }).then(function (media) {
      stream = media;
      preview.srcObject = media;
      stage.hidden = false;
      cameraButton.hidden = true;
      startButton.disabled = false;
      show(statusText, "The camera is on. Tick the checklist, then start filming.");
      media.getVideoTracks().forEach(function (track) {
        track.addEventListener("ended", function () {
          if (recorder && recorder.state !== "inactive") {
            show(problem, "The camera stopped. What was filmed until now is kept.");
            stopRecording();
          }
        });
      });
    }, function (error) {
      cameraButton.disabled = false;
      show(problem, cameraProblem(error));
    });
  });

  // --- sending ------------------------------------------------------------------------

  // The oldest queued bytes, at most `limit` of them, as one part (not yet removed).
  function nextPart(limit) {
    var size = 0, count = 0;
    while (count < queue.length && size < limit) {
      size += queue[count].length;
      count += 1;
    }
    size = Math.min(size, limit);
    var part = new Uint8Array(size);
    var at = 0;
    for (var i = 0; i < count && at < size; i++) {
      var piece = queue[i].subarray(0, size - at);
      part.set(piece, at);
      at += piece.length;
    }
    return part;
  }

  // Forget the oldest `count` bytes: the server has them.
  function drop(count) {
    queued -= count;
    while (count > 0) {
      var head = queue[0];
      if (head.length <= count) {
        queue.shift();
        count -= head.length;
      } else {
        queue[0] = head.subarray(count);
        count = 0;
      }
    }
  }

  function waitingSeconds() {
    // Roughly how much film is waiting, from the average rate recorded so far.
    var rate = produced / Math.max(1, elapsedMs() / 1000);
    return Math.round(queued / Math.max(1, rate));
  }

  function connectionLost() {
    offline = true;
    show(connectionWarning, "Connection lost — keep the page open, we'll catch up. " +
      (queued ? "About " + waitingSeconds() + " s of film is waiting to be sent." : ""));
  }

  function connectionBack() {
    if (offline) {
      offline = false;
      show(connectionWarning, "");
    }
  }

  function reportSent() {
    if (failed || finishing) { return; }
    var doing = recorderStopped ? "Sending the last seconds" : "Filming";
    show(statusText, doing + " — " + U.formatBytes(acked) + " safely on the server.");
  }

  function pump() {
    if (pumping || !upload || failed) { return; }
    pumping = true;
    function next() {
      if (failed) { pumping = false; return; }
      if (!queue.length) {
        pumping = false;
        maybeFinish();
        return;
      }
      var part = nextPart(partLimit);
      var from = acked;
      U.sendWithRetry(upload.id, from, part, {
        onWait: connectionLost,
        stopped: function () { return failed; }
      }).then(function (serverOffset) {
        if (serverOffset < from || serverOffset > from + queued) {
          throw new U.UploadError("the server's copy of the recording does not match", {});
        }
        drop(serverOffset - from);
        acked = serverOffset;
        if (navigator.onLine !== false) { connectionBack(); }
        if (pausedForSpace && queued < queueLimit / 4) { resumeAfterSpace(); }
        reportSent();
        next();
      }).catch(stopWithProblem);
    }
    next();
  }

  function pauseForSpace() {
    if (pausedForSpace || !recorder || recorder.state !== "recording") { return; }
    recorder.pause();
    pausedForSpace = true;
    holdClock();
    recordingBadge.textContent = "Paused";
    show(pausedWarning, "Filming is paused: the connection has been lost for too long " +
      "and this device holds no more film. It carries on by itself once the waiting film " +
      "is sent. Keep the page open.");
  }

  function resumeAfterSpace() {
    pausedForSpace = false;
    if (recorder && recorder.state === "paused" && !recorderStopped) {
      recorder.resume();
      runClock();
      recordingBadge.textContent = "Recording";
      show(pausedWarning, "");
    }
  }

  // A recorded chunk: hash it (in recording order), queue it, send it.
  function accept(bytes) {
    if (failed || !bytes.length) { return; }
    hasher.update(bytes);
    queue.push(bytes);
    queued += bytes.length;
    produced += bytes.length;
    if (queued > queueLimit) { pauseForSpace(); }
    pump();
  }

  function maybeFinish() {
    if (!recorderStopped || pumping || queue.length || finishing || failed) { return; }
    finishing = true;
    stopButton.hidden = true;
    if (produced === 0) {
      U.cancelUpload(upload.id).catch(function () { /* removed later by the server */ });
      show(problem, "Nothing was recorded. Reload the page to film again.");
      return;
    }
    show(statusText, "All of the film is on the server. Checking it arrived whole…");
    U.finish(upload.id, hasher.hex(), connectionLost).then(function (film) {
      upload = null;
      show(statusText, "The film is safely stored. Opening it…");
      root.location.assign("/films/" + encodeURIComponent(film.id));
    }).catch(stopWithProblem);
  }

  function stopWithProblem(error) {
    if (failed) { return; }
    failed = true;
    queue = [];
    queued = 0;
    if (recorder && recorder.state !== "inactive") { recorder.stop(); }
    stopCamera();
    stopClock();
    releaseScreen();
    recordingBadge.hidden = true;
    stopButton.hidden = true;
    show(connectionWarning, "");
    show(pausedWarning, "");
    show(statusText, "");
    show(problem, "Filming stopped: " + ((error && error.message) || "unknown problem") +
      ". Nothing more is being sent; " + U.formatBytes(acked) + " had arrived, and an " +
      "unfinished recording is removed from the server automatically.");
  }

  // --- recording ----------------------------------------------------------------------

  function todayTime() {
    var now = new Date();
    var two = function (v) { return (v < 10 ? "0" : "") + v; };
    return now.getFullYear() + "-" + two(now.getMonth() + 1) + "-" + two(now.getDate()) +
      " " + two(now.getHours()) + ":" + two(now.getMinutes());
  }

  function beginRecording() {
    var mimeType = pickMimeType();
    var options = { videoBitsPerSecond: 2500000, audioBitsPerSecond: 128000 };
    if (mimeType) { options.mimeType = mimeType; }
    hasher = root.AttunelySha256.create();
    recorder = new root.MediaRecorder(stream, options);
    recorder.addEventListener("dataavailable", function (event) {
      var blob = event.data;
      if (!blob || !blob.size) { return; }
      // Read into memory at once and let go of the Blob: large Blobs may be paged to disk.
      chunks = chunks.then(function () { return blob.arrayBuffer(); }).then(function (buffer) {
        accept(new Uint8Array(buffer));
      });
    });
    recorder.addEventListener("stop", function () {
      chunks = chunks.then(function () {
        recorderStopped = true;
        pausedForSpace = false;
        show(pausedWarning, "");
        stopCamera();
        stopClock();
        releaseScreen();
        recordingBadge.hidden = true;
        reportSent();
        maybeFinish();
      });
    });
    recorder.addEventListener("error", function (event) {
      stopWithProblem({ message: "the recorder failed (" +
        ((event.error && event.error.name) || "unknown") + ")" });
    });
    recorder.start(TIMESLICE_MS);
    runClock();
    keepScreenOn();
    recordingBadge.hidden = false;
    recordingBadge.textContent = "Recording";
    startButton.hidden = true;
    stopButton.hidden = false;
    stopButton.disabled = false;
    show(statusText, "Filming.");
  }

  function stopRecording() {
    if (!recorder || recorder.state === "inactive") { return; }
    stopButton.disabled = true;
    show(statusText, "Stopping…");
    recorder.stop();
  }

  startButton.addEventListener("click", function () {
    show(problem, "");
    if (!stream) {
      show(problem, "Turn on the camera first.");
      return;
    }
    if (!checklistDone()) {
      show(problem, "Tick each item of the checklist before filming.");
      return;
    }
    if (!labelInput.value.trim()) { labelInput.value = "Filmed " + todayTime(); }
    startButton.disabled = true;
    show(statusText, "Getting ready…");
    U.createSession(caseId, U.visitFields(form)).then(function (session) {
      return U.startUpload(session.id, { label: labelInput.value.trim(), source: "capture" });
    }).then(function (opened) {
      upload = opened;
      acked = opened.offset;
      partLimit = Math.min(opened.part_size, opened.max_part_size);
      // Read when filming starts, so the limit cannot change halfway through.
      queueLimit = Number(form.getAttribute("data-buffer-limit")) || QUEUE_LIMIT;
      beginRecording();
    }).catch(function (error) {
      startButton.disabled = false;
      show(statusText, "");
      show(problem, "Filming could not start: " + (error.message || "unknown problem") +
        ". Check the connection and try again.");
    });
  });

  stopButton.addEventListener("click", stopRecording);

  root.addEventListener("offline", function () {
    if (recorder && !finishing && !failed) { connectionLost(); }
  });
  root.addEventListener("online", function () {
    if (!queue.length) { connectionBack(); }
  });

  root.addEventListener("beforeunload", function (event) {
    var recording = recorder && recorder.state !== "inactive";
    if (!failed && upload && (recording || queue.length || !recorderStopped || finishing)) {
      event.preventDefault();
      event.returnValue = "";
    }
  });

  watchBattery();
})(window);
