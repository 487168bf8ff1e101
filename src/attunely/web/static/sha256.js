// Incremental SHA-256 (FIPS 180-4), so a film can be checked end to end while it is sent.
// WebCrypto's digest() wants the whole message at once: impossible for a multi-gigabyte
// file read in parts, or for a recording that is still going on.
//
//   var h = AttunelySha256.create(); h.update(bytes1); h.update(bytes2); h.hex()
(function (root) {
  "use strict";

  var K = new Int32Array([
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
    0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
    0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
    0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
    0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
    0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
    0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
    0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2
  ]);
  var INITIAL = [
    0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19
  ];

  function Sha256() {
    this.state = new Int32Array(INITIAL);
    this.block = new Uint8Array(64); // bytes waiting for a whole 64-byte block
    this.used = 0;
    this.length = 0; // bytes hashed so far; a double is exact far beyond any film's size
    this.words = new Int32Array(64);
    this.finished = false;
  }

  // Mix the 64-byte blocks of bytes[at, end) into the state. Int32 arithmetic with |0 keeps
  // every value a 32-bit integer, which is what the standard's "mod 2^32" asks for; the
  // state stays in local variables across blocks because that is several times faster.
  Sha256.prototype.compress = function (bytes, at, end) {
    var w = this.words, s = this.state, i, t1, t2, x, y;
    var a, b, c, d, e, f, g, h;
    var s0 = s[0], s1 = s[1], s2 = s[2], s3 = s[3], s4 = s[4], s5 = s[5], s6 = s[6], s7 = s[7];
    for (; at + 64 <= end; at += 64) {
      for (i = 0; i < 16; i++) {
        x = at + i * 4;
        w[i] = (bytes[x] << 24) | (bytes[x + 1] << 16) | (bytes[x + 2] << 8) | bytes[x + 3];
      }
      for (i = 16; i < 64; i++) {
        x = w[i - 15];
        y = w[i - 2];
        t1 = ((x >>> 7) | (x << 25)) ^ ((x >>> 18) | (x << 14)) ^ (x >>> 3);
        t2 = ((y >>> 17) | (y << 15)) ^ ((y >>> 19) | (y << 13)) ^ (y >>> 10);
        w[i] = (t1 + w[i - 7] + t2 + w[i - 16]) | 0;
      }
      a = s0; b = s1; c = s2; d = s3; e = s4; f = s5; g = s6; h = s7;
      for (i = 0; i < 64; i++) {
        t1 = (h + (((e >>> 6) | (e << 26)) ^ ((e >>> 11) | (e << 21)) ^ ((e >>> 25) | (e << 7))) +
          ((e & f) ^ (~e & g)) + K[i] + w[i]) | 0;
        t2 = ((((a >>> 2) | (a << 30)) ^ ((a >>> 13) | (a << 19)) ^ ((a >>> 22) | (a << 10))) +
          ((a & b) ^ (a & c) ^ (b & c))) | 0;
        h = g; g = f; f = e; e = (d + t1) | 0;
        d = c; c = b; b = a; a = (t1 + t2) | 0;
      }
      s0 = (s0 + a) | 0; s1 = (s1 + b) | 0; s2 = (s2 + c) | 0; s3 = (s3 + d) | 0;
      s4 = (s4 + e) | 0; s5 = (s5 + f) | 0; s6 = (s6 + g) | 0; s7 = (s7 + h) | 0;
    }
    s[0] = s0; s[1] = s1; s[2] = s2; s[3] = s3; s[4] = s4; s[5] = s5; s[6] = s6; s[7] = s7;
  };

  // Add bytes (Uint8Array or ArrayBuffer); may be called any number of times.
  Sha256.prototype.update = function (data) {
    if (this.finished) { throw new Error("SHA-256: update after digest"); }
    var bytes = data instanceof Uint8Array ? data : new Uint8Array(data);
    var n = bytes.length, i = 0;
    this.length += n;
    if (this.used > 0) {
      var take = Math.min(64 - this.used, n);
      this.block.set(bytes.subarray(0, take), this.used);
      this.used += take;
      i = take;
      if (this.used < 64) { return this; }
      this.compress(this.block, 0, 64);
      this.used = 0;
    }
    // Whole blocks straight from the caller's bytes: no copying on the hot path.
    var whole = i + Math.floor((n - i) / 64) * 64;
    this.compress(bytes, i, whole);
    i = whole;
    if (i < n) {
      this.block.set(bytes.subarray(i), 0);
      this.used = n - i;
    }
    return this;
  };

  // Finish: pad with 0x80, zeros and the message length in bits (64-bit big-endian).
  Sha256.prototype.digest = function () {
    if (!this.finished) {
      var block = this.block, used = this.used;
      block[used++] = 0x80;
      if (used > 56) {
        block.fill(0, used);
        this.compress(block, 0, 64);
        used = 0;
      }
      block.fill(0, used, 56);
      // length * 8 split into two 32-bit words without leaving exact double arithmetic.
      var high = Math.floor(this.length / 0x20000000);
      var low = (this.length % 0x20000000) * 8;
      var view = new DataView(block.buffer);
      view.setUint32(56, high);
      view.setUint32(60, low);
      this.compress(block, 0, 64);
      this.finished = true;
    }
    var out = new Uint8Array(32);
    var outView = new DataView(out.buffer);
    for (var i = 0; i < 8; i++) { outView.setInt32(i * 4, this.state[i]); }
    return out;
  };

  Sha256.prototype.hex = function () {
    var bytes = this.digest(), text = "";
    for (var i = 0; i < bytes.length; i++) { text += (bytes[i] + 0x100).toString(16).slice(1); }
    return text;
  };

  root.AttunelySha256 = {
    create: function () { return new Sha256(); },
    hex: function (data) { return new Sha256().update(data).hex(); }
  };
})(window);
