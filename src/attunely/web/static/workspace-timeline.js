// The workspace timeline: one lane per code, then clips and stills, under a time ruler, with
// the playhead and the selection. Click to go to a frame, drag to select a range. Drawn on a
// canvas; the lists beside it carry the same facts for screen readers and keyboards.
(function (root) {
  "use strict";

  var NS = root.Attunely = root.Attunely || {};
  var GUTTER = 170;
  var RULER = 22;
  var DRAG_PX = 4;
  var TICKS = [0.1, 0.2, 0.5, 1, 2, 5, 10, 15, 30, 60, 120, 300, 600];

  function Timeline(canvas, options) {
    this.canvas = canvas;
    this.frameCount = Math.max(1, options.frameCount);
    this.fps = options.fps;
    this.onSeek = options.onSeek;
    this.onSelect = options.onSelect;
    this.start = 0;
    this.length = this.frameCount;
    this.data = { frame: 0, selection: null, lanes: [], annotations: [], clips: [], stills: [], tracks: [] };
    // Where frame 0 starts, for anyone pointing at the canvas (the browser tests do).
    canvas.setAttribute("data-gutter", String(GUTTER));
    this.drag = null;
    this.laneHeight = 22;
    var self = this;
    canvas.addEventListener("pointerdown", function (e) { self.down(e); });
    canvas.addEventListener("pointermove", function (e) { self.move(e); });
    canvas.addEventListener("pointerup", function (e) { self.up(e); });
    canvas.addEventListener("pointercancel", function () { self.drag = null; });
    if (root.ResizeObserver) {
      new root.ResizeObserver(function () { self.redraw(); }).observe(canvas);
    } else {
      root.addEventListener("resize", function () { self.redraw(); });
    }
  }

  // Several changes in one task (a load, a seek and its settle) make one drawing, at the next
  // animation frame: with thousands of events a drawing is the costly part.
  Timeline.prototype.set = function (data) {
    Object.assign(this.data, data);
    this.follow();
    this.redraw();
  };

  Timeline.prototype.redraw = function () {
    var self = this;
    if (this.pending) { return; }
    this.pending = true;
    (root.requestAnimationFrame || root.setTimeout)(function () { self.pending = false; self.draw(); });
  };

  // Keep the playhead in view when zoomed in: turn the page when it runs off the edge.
  Timeline.prototype.follow = function () {
    var f = this.data.frame;
    if (f < this.start || f >= this.start + this.length) {
      this.start = Math.max(0, Math.min(this.frameCount - this.length, f - Math.floor(this.length * 0.1)));
    }
  };

  Timeline.prototype.zoom = function (factor) {
    var centre = this.data.frame;
    var length = Math.round(this.length / factor);
    length = Math.max(Math.min(this.frameCount, Math.ceil(this.fps * 2)), Math.min(this.frameCount, length));
    this.length = length;
    this.start = Math.max(0, Math.min(this.frameCount - length, Math.round(centre - length / 2)));
    this.draw();
  };

  Timeline.prototype.fit = function () {
    this.start = 0;
    this.length = this.frameCount;
    this.draw();
  };

  // The width of the last drawing (read once per drawing, not once per event drawn).
  Timeline.prototype.width = function () { return this.drawnWidth || this.canvas.clientWidth; };

  Timeline.prototype.x = function (frame) {
    return GUTTER + (frame - this.start) / this.length * (this.width() - GUTTER);
  };

  Timeline.prototype.frameAt = function (clientX) {
    var rect = this.canvas.getBoundingClientRect();
    var x = clientX - rect.left;
    var f = Math.floor(this.start + (x - GUTTER) / (this.width() - GUTTER) * this.length);
    return Math.max(0, Math.min(this.frameCount - 1, f));
  };

  Timeline.prototype.down = function (e) {
    if (e.button !== undefined && e.button !== 0) { return; }
    this.canvas.setPointerCapture(e.pointerId);
    this.drag = { x: e.clientX, from: this.frameAt(e.clientX), moved: false };
  };

  Timeline.prototype.move = function (e) {
    if (!this.drag) { return; }
    if (Math.abs(e.clientX - this.drag.x) > DRAG_PX) { this.drag.moved = true; }
    if (this.drag.moved) {
      var to = this.frameAt(e.clientX);
      this.onSelect({ in_frame: Math.min(this.drag.from, to), out_frame: Math.max(this.drag.from, to) + 1 });
    }
  };

  Timeline.prototype.up = function (e) {
    if (!this.drag) { return; }
    var drag = this.drag;
    this.drag = null;
    if (!drag.moved) { this.onSeek(this.frameAt(e.clientX)); }
  };

  Timeline.prototype.lanesHeight = function () {
    return RULER + (this.data.lanes.length + 2 + this.data.tracks.length) * this.laneHeight + 4;
  };

  // The text, shortened with an ellipsis to fit `width` pixels.
  function fitted(g, text, width) {
    if (g.measureText(text).width <= width) { return text; }
    var cut = text;
    while (cut.length > 1 && g.measureText(cut + "…").width > width) { cut = cut.slice(0, -1); }
    return cut.trimEnd() + "…";
  }

  function clock(seconds) {
    var m = Math.floor(seconds / 60);
    var s = seconds - m * 60;
    var text = (s < 10 ? "0" : "") + (Number.isInteger(s) ? String(s) : s.toFixed(1));
    return m + ":" + text;
  }

  Timeline.prototype.draw = function () {
    var canvas = this.canvas;
    var width = canvas.clientWidth;
    if (!width) { return; }
    this.drawnWidth = width;
    // Fingers need taller lanes than a mouse does.
    this.laneHeight = root.matchMedia && root.matchMedia("(pointer: coarse)").matches ? 30 : 22;
    var height = this.lanesHeight();
    canvas.style.height = height + "px";
    var ratio = root.devicePixelRatio || 1;
    if (canvas.width !== Math.round(width * ratio) || canvas.height !== Math.round(height * ratio)) {
      canvas.width = Math.round(width * ratio);
      canvas.height = Math.round(height * ratio);
    }
    var g = canvas.getContext("2d");
    g.setTransform(ratio, 0, 0, ratio, 0, 0);
    g.clearRect(0, 0, width, height);
    g.fillStyle = "#ffffff";
    g.fillRect(0, 0, width, height);
    g.font = "12px system-ui, sans-serif";
    g.textBaseline = "middle";
    this.drawRuler(g, width);
    var self = this;
    var lh = this.laneHeight;
    var lanes = this.data.lanes.concat([{ name: "Clips" }, { name: "Stills" }]);
    lanes.forEach(function (lane, i) {
      var y = RULER + i * lh;
      g.fillStyle = i % 2 ? "#f7f5f0" : "#ffffff";
      g.fillRect(0, y, width, lh);
      g.fillStyle = lane.colour || "#5b6b78";
      g.fillRect(4, y + lh / 2 - 5, 10, 10);
      g.fillStyle = "#1d2b36";
      g.save();
      g.beginPath();
      g.rect(0, y, GUTTER - 6, lh);
      g.clip();
      g.fillText(fitted(g, lane.name, GUTTER - 26), 20, y + lh / 2);
      g.restore();
    });
    var end = this.start + this.length;
    var laneOf = {};
    this.data.lanes.forEach(function (lane, i) { if (lane.code) { laneOf[lane.code] = i; } });
    var other = this.data.lanes.length - 1;
    // One path per colour and kind, filled once: far cheaper than a fill per event.
    function drawEvents(target, running) {
      var paths = {};
      var pathFor = function (colour, alpha) {
        var key = colour + "|" + alpha;
        if (!paths[key]) { paths[key] = { colour: colour, alpha: alpha, path: new root.Path2D() }; }
        return paths[key].path;
      };
      self.data.annotations.forEach(function (a) {
        var open = a.end_frame === null || a.end_frame === undefined;
        if (open !== running) { return; }
        var stop = open ? self.data.frame + 1 : a.end_frame;
        if (stop < self.start || a.start_frame > end) { return; }
        var i = laneOf[a.code] !== undefined ? laneOf[a.code] : other;
        var lane = self.data.lanes[i] || {};
        var y = RULER + i * lh + 3;
        var h = lh - 6;
        if (a.subject === "adult") { h = h / 2; }
        if (a.subject === "child") { y += h / 2; h = h / 2; }
        var colour = lane.colourOf ? lane.colourOf(a) : (lane.colour || "#5b6b78");
        var x0 = self.x(a.start_frame);
        if (a.end_frame === a.start_frame) {
          var p = pathFor(colour, 1);
          p.rect(x0 - 1.5, y, 3, h);
          p.moveTo(x0 - 5, y);
          p.lineTo(x0 + 5, y);
          p.lineTo(x0, y + Math.min(8, h));
          p.closePath();
        } else {
          var x1 = Math.max(self.x(stop), x0 + 2);
          pathFor(colour, open ? 0.55 : 0.85).rect(x0, y, x1 - x0, h);
        }
      });
      Object.keys(paths).forEach(function (key) {
        target.fillStyle = paths[key].colour;
        target.globalAlpha = paths[key].alpha;
        target.fill(paths[key].path, "nonzero");
      });
      target.globalAlpha = 1;
    }
    // Finished events change only with the data, the zoom or the size: they are kept drawn
    // on a canvas of their own, so moving the playhead redraws only what moves with it.
    var lanesHeight = Math.max(1, this.data.lanes.length * lh);
    var key = [width, ratio, lh, this.start, this.length].join(",");
    var layer = this.eventLayer;
    if (!layer || layer.key !== key || layer.annotations !== this.data.annotations || layer.lanes !== this.data.lanes) {
      var off = layer ? layer.canvas : document.createElement("canvas");
      off.width = Math.round(width * ratio);
      off.height = Math.round(lanesHeight * ratio);
      var og = off.getContext("2d");
      og.setTransform(ratio, 0, 0, ratio, 0, -RULER * ratio);
      og.clearRect(0, RULER, width, lanesHeight);
      drawEvents(og, false);
      this.eventLayer = { canvas: off, key: key, annotations: this.data.annotations, lanes: this.data.lanes };
    }
    g.drawImage(this.eventLayer.canvas, 0, RULER, width, lanesHeight);
    drawEvents(g, true);
    var clipY = RULER + this.data.lanes.length * lh;
    this.data.clips.forEach(function (c, n) {
      if (c.out_frame < self.start || c.in_frame > end) { return; }
      var x0 = self.x(c.in_frame);
      var x1 = Math.max(self.x(c.out_frame), x0 + 2);
      g.fillStyle = "rgba(47, 111, 98, 0.75)";
      g.fillRect(x0, clipY + 3, x1 - x0, lh - 6);
      g.save();
      g.beginPath();
      g.rect(x0, clipY, x1 - x0, lh);
      g.clip();
      g.fillStyle = "#ffffff";
      g.fillText((n + 1) + ". " + c.title, x0 + 4, clipY + lh / 2);
      g.restore();
    });
    var stillY = clipY + lh;
    g.fillStyle = "#8a4b00";
    this.data.stills.forEach(function (s) {
      if (s.frame < self.start || s.frame > end) { return; }
      var x = self.x(s.frame);
      g.beginPath();
      g.moveTo(x, stillY + 4);
      g.lineTo(x + 6, stillY + lh / 2);
      g.lineTo(x, stillY + lh - 4);
      g.lineTo(x - 6, stillY + lh / 2);
      g.fill();
    });
    this.drawTracks(g, stillY + lh, width);
    var sel = this.data.selection;
    if (sel) {
      var sx0 = Math.max(GUTTER, this.x(sel.in_frame));
      var sx1 = Math.min(width, this.x(sel.out_frame));
      if (sx1 > sx0) {
        g.fillStyle = "rgba(47, 111, 98, 0.16)";
        g.fillRect(sx0, RULER, sx1 - sx0, height - RULER);
        g.fillStyle = "#2f6f62";
        g.fillRect(sx0, RULER, 1.5, height - RULER);
        g.fillRect(sx1 - 1.5, RULER, 1.5, height - RULER);
      }
    }
    var px = this.x(this.data.frame + 0.5);
    if (px >= GUTTER && px <= width) {
      g.fillStyle = "#a3222a";
      g.fillRect(px - 1, 0, 2, height);
      g.beginPath();
      g.moveTo(px - 6, 0);
      g.lineTo(px + 6, 0);
      g.lineTo(px, 8);
      g.fill();
    }
  };

  // Analysis tracks under the lanes, one per entry of data.tracks, in frames:
  // { name, colour, spans: [{ start, end, colour, label, outline }], ticks: [frame],
  //   series: [{ values, step (frames per value), colour }] } (series scaled to their top).
  Timeline.prototype.drawTracks = function (g, top, width) {
    var self = this;
    var lh = this.laneHeight;
    var end = this.start + this.length;
    this.data.tracks.forEach(function (track, i) {
      var y = top + i * lh;
      g.fillStyle = i % 2 ? "#eef3f1" : "#f6f9f8";
      g.fillRect(0, y, width, lh);
      g.fillStyle = track.colour || "#5b6b78";
      g.fillRect(4, y + lh / 2 - 1, 10, 2);
      g.fillStyle = "#1d2b36";
      g.save();
      g.beginPath();
      g.rect(0, y, GUTTER - 6, lh);
      g.clip();
      g.fillText(fitted(g, track.name, GUTTER - 26), 20, y + lh / 2);
      g.restore();
      g.save();
      g.beginPath();
      g.rect(GUTTER, y, width - GUTTER, lh);
      g.clip();
      (track.spans || []).forEach(function (s) {
        if (s.end < self.start || s.start > end) { return; }
        var x0 = self.x(s.start);
        var x1 = Math.max(self.x(s.end), x0 + 2);
        if (s.outline) {
          g.strokeStyle = s.colour || track.colour;
          g.lineWidth = 2;
          g.setLineDash([4, 3]);
          g.strokeRect(x0 + 1, y + 4, x1 - x0 - 2, lh - 8);
          g.setLineDash([]);
        } else {
          g.fillStyle = s.colour || track.colour;
          g.fillRect(x0, y + 4, x1 - x0, lh - 8);
        }
        if (s.label && x1 - x0 > 24) {
          g.fillStyle = s.outline ? "#1d2b36" : "#ffffff";
          g.fillText(fitted(g, s.label, x1 - x0 - 6), x0 + 4, y + lh / 2);
        }
      });
      g.fillStyle = track.colour || "#5b6b78";
      (track.ticks || []).forEach(function (t) {
        if (t < self.start || t > end) { return; }
        var x = self.x(t);
        g.fillRect(x - 1, y + 3, 2, lh - 6);
      });
      (track.series || []).forEach(function (line) {
        var values = line.values || [];
        var top = 0;
        values.forEach(function (v) { if (v > top) { top = v; } });
        if (!top) { return; }
        var from = Math.max(0, Math.floor(self.start / line.step));
        var to = Math.min(values.length - 1, Math.ceil(end / line.step));
        g.strokeStyle = line.colour;
        g.lineWidth = 1.5;
        g.beginPath();
        for (var k = from; k <= to; k++) {
          var px = self.x(k * line.step);
          var py = y + lh - 3 - (values[k] / top) * (lh - 6);
          if (k === from) { g.moveTo(px, py); } else { g.lineTo(px, py); }
        }
        g.stroke();
      });
      g.restore();
    });
  };

  Timeline.prototype.drawRuler = function (g, width) {
    var span = width - GUTTER;
    var secondsShown = this.length / this.fps;
    var step = TICKS[TICKS.length - 1];
    for (var i = 0; i < TICKS.length; i++) {
      if (TICKS[i] / secondsShown * span >= 70) { step = TICKS[i]; break; }
    }
    g.fillStyle = "#eef1f3";
    g.fillRect(0, 0, width, RULER);
    g.fillStyle = "#5b6b78";
    var first = Math.ceil(this.start / this.fps / step) * step;
    var last = (this.start + this.length) / this.fps;
    for (var t = first; t <= last + 1e-9; t += step) {
      var x = this.x(t * this.fps);
      g.fillRect(x, RULER - 6, 1, 6);
      g.fillText(clock(Math.round(t * 10) / 10), x + 3, RULER / 2 - 1);
    }
  };

  NS.Timeline = Timeline;
})(window);
