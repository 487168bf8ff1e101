// The film page: follow processing every 2 s, then reload so the server renders the result
// (the player only for people the policy lets watch). Without this file the page still
// shows the state as of loading; reloading it shows the new one.
(function (root) {
  "use strict";

  var page = document.getElementById("film");
  if (!page) { return; }
  var filmId = page.getAttribute("data-film");
  var state = page.getAttribute("data-state");
  var bar = document.getElementById("film-progress");
  var stepText = document.getElementById("film-step");
  var retryButton = document.getElementById("film-retry");
  var problem = document.getElementById("film-problem");
  var POLL_MS = 2000;
  var failures = 0;

  function csrfToken() {
    var meta = document.querySelector("meta[name=csrf-token]");
    return meta ? meta.getAttribute("content") : "";
  }

  function describe(film) {
    var jobs = film.jobs || [];
    var total = 0;
    var running = null;
    jobs.forEach(function (job) {
      total += job.state === "done" ? 1 : job.progress;
      if (job.state === "running" || (job.state === "queued" && !running)) { running = job; }
    });
    if (bar) {
      // Two steps lead to playback; the second is queued only when the first ends.
      var share = Math.min(1, total / Math.max(jobs.length, 2));
      bar.value = Math.round(share * 1000);
      bar.textContent = Math.floor(share * 100) + "%";
    }
    if (stepText) {
      stepText.textContent = running && running.message ? running.message : "waiting to start";
    }
    return jobs.some(function (job) { return job.state === "failed"; });
  }

  function poll() {
    fetch("/api/films/" + encodeURIComponent(filmId), {
      credentials: "same-origin",
      cache: "no-store",
      headers: { "Accept": "application/json" }
    }).then(function (response) {
      if (!response.ok) { throw new Error("status " + response.status); }
      return response.json();
    }).then(function (film) {
      failures = 0;
      var stuck = describe(film);
      if (film.state !== state || stuck) {
        // Processing ended (or stopped): the server renders what comes next.
        root.location.reload();
        return;
      }
      setTimeout(poll, POLL_MS);
    }).catch(function () {
      // A dropped line: keep asking, less often.
      failures += 1;
      setTimeout(poll, Math.min(30000, POLL_MS * Math.pow(2, failures)));
    });
  }

  if (state === "processing" && page.getAttribute("data-stuck") !== "1") {
    setTimeout(poll, POLL_MS);
  }

  if (retryButton) {
    retryButton.hidden = false;
    retryButton.addEventListener("click", function () {
      retryButton.disabled = true;
      fetch("/api/films/" + encodeURIComponent(filmId) + "/retry", {
        method: "POST",
        credentials: "same-origin",
        headers: { "X-CSRF-Token": csrfToken(), "Accept": "application/json" }
      }).then(function (response) {
        if (!response.ok) { throw new Error("status " + response.status); }
        root.location.reload();
      }).catch(function () {
        retryButton.disabled = false;
        if (problem) {
          problem.textContent = "Trying again did not start. Check the connection and retry.";
          problem.hidden = false;
        }
      });
    });
  }
})(window);
