/**
 * The source of one helper thread of the wasm thread pool (./threads.ts), as a string: it runs as a
 * Node worker_threads worker (`eval: true`) or as a browser Worker from a Blob URL, so it needs no
 * bundler entry and no TypeScript loader in either place. Plain ES2020, no imports.
 *
 * The helper instantiates build/sparrow-mt.wasm on the pool's shared WebAssembly.Memory, says
 * 'ready', then loops: spin on the job counter for `spinMs`, then Atomics.wait on it; on a new job
 * it claims parts (compare-exchange on the claim word) and calls the named kernel export with each
 * part's integer arguments, bumping the done counter per part. A trap is caught and reported in
 * ERR (never a lost count).
 * Control block layout: the header of ./threads.ts; its offsets arrive as `layout` (LAYOUT there)
 * in the start message, so the two files cannot drift apart.
 */
export const HELPER_SOURCE = String.raw`
(function () {
  var post, onStart;
  function start(msg) {
    var c = new Int32Array(msg.ctrl);
    var L = msg.layout;
    WebAssembly.instantiate(msg.module, { env: { memory: msg.memory, abort: function () { throw new Error('wasm: kernel aborted'); } } })
      .then(function (inst) {
        var fns = msg.names.map(function (n) { return inst.exports[n]; });
        post('ready');
        loop(c, L, fns, msg.spinMs);
      })
      .catch(function (e) { post({ error: String(e && e.message || e) }); });
  }
  function loop(c, L, fns, spinMs) {
    var seen = Atomics.load(c, L.GEN);
    // Adaptive spin (like an adaptive mutex): a spin that saw the next job arrive doubles the budget
    // (up to spinMs); a spin that timed out halves it, down to 4 µs (never 0, so back-to-back jobs
    // can raise it again). On a quiet core, back-to-back ops keep it spinning; when this thread
    // shares a core with the caller, no job can arrive while it spins, so it soon spins only µs and
    // sleeps until notified instead of spinning away the caller's time.
    var budget = spinMs;
    for (;;) {
      var g = Atomics.load(c, L.GEN);
      if (g === seen) {
        var t0 = performance.now(), i = 0, slept = false;
        while ((g = Atomics.load(c, L.GEN)) === seen) {
          if ((++i & 255) === 0 && performance.now() - t0 > budget) {
            slept = true;
            Atomics.wait(c, L.GEN, seen, 1000);
          }
        }
        budget = slept ? Math.max(budget / 2, 0.004) : Math.min(spinMs, budget * 2);
      }
      seen = g;
      if (c[L.ID] === -2) return; // pool disposed
      // Claim parts of job g until none is left (or the word belongs to another job).
      for (;;) {
        var v = Atomics.load(c, L.NEXT);
        if ((v >>> 16) !== g) break;
        var idx = v & 255;
        if (idx >= ((v >>> 8) & 255)) break;
        if (Atomics.compareExchange(c, L.NEXT, v, v + 1) !== v) continue;
        var id = c[L.ID];
        if (id === -2) return;
        var a = L.ARGS + idx * L.MAX_ARGS, n = c[L.ARGC];
        try {
          var f = fns[id];
          // i32 slots pass straight through: ToInt32 keeps a pointer's bits even above 2^31.
          switch (n) {
            case 5: f(c[a], c[a + 1], c[a + 2], c[a + 3], c[a + 4]); break;
            case 6: f(c[a], c[a + 1], c[a + 2], c[a + 3], c[a + 4], c[a + 5]); break;
            case 7: f(c[a], c[a + 1], c[a + 2], c[a + 3], c[a + 4], c[a + 5], c[a + 6]); break;
            case 8: f(c[a], c[a + 1], c[a + 2], c[a + 3], c[a + 4], c[a + 5], c[a + 6], c[a + 7]); break;
            case 9: f(c[a], c[a + 1], c[a + 2], c[a + 3], c[a + 4], c[a + 5], c[a + 6], c[a + 7], c[a + 8]); break;
            case 10: f(c[a], c[a + 1], c[a + 2], c[a + 3], c[a + 4], c[a + 5], c[a + 6], c[a + 7], c[a + 8], c[a + 9]); break;
            default: f.apply(null, Array.prototype.slice.call(c, a, a + n));
          }
        } catch (e) {
          Atomics.store(c, L.ERR, idx + 1);
        }
        Atomics.add(c, L.DONE, 1);
        Atomics.notify(c, L.DONE);
      }
    }
  }
  if (typeof self === 'undefined' || typeof self.postMessage !== 'function') {
    var port = require('node:worker_threads').parentPort;
    post = function (m) { port.postMessage(m); };
    port.once('message', start);
  } else {
    post = function (m) { self.postMessage(m); };
    self.onmessage = function (e) { self.onmessage = null; start(e.data); };
  }
})();
`;
