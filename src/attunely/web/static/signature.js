// Signature pad for the consent form: pointer events (finger, stylus, mouse), kept as strokes
// of whole CSS pixels and sent as JSON in the hidden "signature" field (consent.signature).
(function () {
  "use strict";

  function setup(pad) {
    const canvas = pad.querySelector("canvas");
    const field = pad.querySelector("input[name=signature]");
    const clear = pad.querySelector("#signature-clear");
    const status = pad.querySelector("#signature-status");
    const form = pad.closest("form");
    const ctx = canvas.getContext("2d");
    let strokes = [];
    let current = null;
    let width = 0;
    let height = 0;

    function draw() {
      const ratio = window.devicePixelRatio || 1;
      ctx.setTransform(ratio, 0, 0, ratio, 0, 0);
      ctx.clearRect(0, 0, width, height);
      ctx.lineWidth = 2.5;
      ctx.lineCap = "round";
      ctx.lineJoin = "round";
      ctx.strokeStyle = "#1d2b36";
      for (const s of strokes) {
        ctx.beginPath();
        ctx.moveTo(s[0], s[1]);
        if (s.length === 2) ctx.lineTo(s[0] + 0.1, s[1]);
        for (let i = 2; i < s.length; i += 2) ctx.lineTo(s[i], s[i + 1]);
        ctx.stroke();
      }
    }

    function resize() {
      const box = canvas.getBoundingClientRect();
      if (!box.width || !box.height) return;
      const w = Math.round(box.width);
      const h = Math.round(box.height);
      // Turning the tablet changes the pad's size: keep what is drawn, scaled to fit.
      if (width && height && (w !== width || h !== height)) {
        const sx = w / width;
        const sy = h / height;
        strokes = strokes.map((s) => s.map((v, i) => Math.round(v * (i % 2 ? sy : sx))));
      }
      width = w;
      height = h;
      const ratio = window.devicePixelRatio || 1;
      canvas.width = Math.round(w * ratio);
      canvas.height = Math.round(h * ratio);
      draw();
      sync();
    }

    function sync() {
      const signed = strokes.some((s) => s.length >= 4);
      field.value = signed ? JSON.stringify({ v: 1, w: width, h: height, strokes: strokes }) : "";
      status.textContent = signed ? "Signed" : "Not signed yet";
    }

    function point(event) {
      const box = canvas.getBoundingClientRect();
      return [
        Math.max(0, Math.min(width, Math.round(event.clientX - box.left))),
        Math.max(0, Math.min(height, Math.round(event.clientY - box.top))),
      ];
    }

    function add(event) {
      const [x, y] = point(event);
      const n = current.length;
      if (Math.abs(current[n - 2] - x) + Math.abs(current[n - 1] - y) < 2) return;
      current.push(x, y);
    }

    canvas.addEventListener("pointerdown", (event) => {
      if (event.button !== 0) return;
      event.preventDefault();
      canvas.setPointerCapture(event.pointerId);
      current = point(event);
      strokes.push(current);
      draw();
    });
    canvas.addEventListener("pointermove", (event) => {
      if (!current) return;
      event.preventDefault();
      const events = event.getCoalescedEvents ? event.getCoalescedEvents() : [];
      for (const e of events.length ? events : [event]) add(e);
      draw();
    });
    function finish() {
      if (!current) return;
      current = null;
      sync();
    }
    canvas.addEventListener("pointerup", finish);
    canvas.addEventListener("pointercancel", finish);
    canvas.addEventListener("lostpointercapture", finish);

    clear.addEventListener("click", () => {
      strokes = [];
      current = null;
      draw();
      sync();
      canvas.focus();
    });

    // The pad is only for a drawn signature; hide it for the other ways of giving consent.
    const methods = form.querySelectorAll("input[name=method]");
    function showPad() {
      const chosen = form.querySelector("input[name=method]:checked");
      pad.hidden = !chosen || chosen.value !== "signature";
      if (!pad.hidden) resize();
    }
    methods.forEach((m) => m.addEventListener("change", showPad));
    window.addEventListener("resize", resize);
    showPad();
    resize();
  }

  const pad = document.getElementById("signature-pad");
  if (pad) setup(pad);
})();
