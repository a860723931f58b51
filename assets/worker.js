// Trailglass ingest worker. The page starts it as a module worker with the URLs of its own
// wasm-bindgen glue and wasm (same origin, same files the page loaded, so the HTTP cache
// serves them): worker.js?glue=<url>&wasm=<url>. It loads the app's wasm, says "ready",
// then parses the files it is sent and posts each file's events back packed in one
// transferable buffer (see src/core/store/part.rs). All the logic is in Rust; this file
// only moves bytes. Nothing here contacts anything but the page's own origin.
const SLICE = 1 << 20;
const params = new URL(self.location.href).searchParams;
let wasm = null;
const early = [];
self.onmessage = (e) => (wasm ? handle(e.data) : early.push(e.data));

function handle(msg) {
  if (!msg || msg.type !== "load") return;
  const { id, fileNo, name, file, bytes } = msg;
  let ingest;
  try {
    ingest = new wasm.WorkerIngest(fileNo, name);
    const size = file ? file.size : bytes.byteLength;
    const reader = file ? new FileReaderSync() : null;
    let done = 0;
    let last = 0;
    while (done < size && !ingest.stopped()) {
      const end = Math.min(size, done + SLICE);
      let piece;
      try {
        piece = file ? new Uint8Array(reader.readAsArrayBuffer(file.slice(done, end))) : new Uint8Array(bytes, done, end - done);
      } catch (err) {
        ingest.unreadable(String(err && err.message ? err.message : err));
        break;
      }
      ingest.push(piece);
      done = end;
      const now = performance.now();
      if (now - last > 50) {
        last = now;
        self.postMessage({ type: "progress", id, bytes: done });
      }
    }
    const packed = ingest.finish();
    ingest = null;
    self.postMessage({ type: "done", id, part: packed.buffer }, [packed.buffer]);
  } catch (err) {
    // A panic in the wasm (it aborts) or an exhausted memory: the page reports this file
    // and replaces this worker, whose wasm instance cannot be trusted any more.
    self.postMessage({ type: "failed", id, error: String(err && err.message ? err.message : err) });
  }
}

try {
  const glue = await import(params.get("glue"));
  await glue.default({ module_or_path: params.get("wasm") });
  wasm = glue;
  self.postMessage({ type: "ready" });
  for (const msg of early.splice(0)) handle(msg);
} catch (err) {
  self.postMessage({ type: "broken", error: String(err && err.message ? err.message : err) });
}
