// Trailglass ingest worker. The page starts it as a module worker with the URLs of its own
// wasm-bindgen glue and wasm (same origin, same files the page loaded, so the HTTP cache
// serves them): worker.js?glue=<url>&wasm=<url>. It loads the app's wasm, says "ready",
// then parses the files it is sent and posts each file's events back packed in one
// transferable buffer (see src/core/store/part.rs), or, for a whole-record search, reads
// files again and answers with the rows that match (and, when asked, the file's n-gram
// sketch, so later searches can skip it). All the logic is in Rust; this file
// only moves bytes. Nothing here contacts anything but the page's own origin.
//
// The page sends a few files ahead; each is read as soon as it arrives (reading a file has
// a latency of its own, about a millisecond, which overlaps with parsing the one before),
// except large files, which are read slice by slice so memory stays bounded.
const WHOLE = 16 << 20;
const SLICE = 1 << 20;
const params = new URL(self.location.href).searchParams;
let wasm = null;
const queue = [];
let pumping = false;

const message = (err) => String(err && err.message ? err.message : err);

self.onmessage = (e) => {
  const msg = e.data;
  if (!msg || (msg.type !== "load" && msg.type !== "search")) return;
  // A search reads the whole file again (its records are found by byte offset).
  if (msg.file && (msg.file.size <= WHOLE || msg.type === "search")) {
    msg.read = msg.file.arrayBuffer().then((b) => ({ bytes: b }), (err) => ({ error: message(err) }));
  }
  queue.push(msg);
  pump();
};

async function pump() {
  if (pumping || !wasm) return;
  pumping = true;
  while (queue.length) {
    const msg = queue.shift();
    const read = msg.read ? await msg.read : null;
    handle(msg, read);
  }
  pumping = false;
}

function handle(msg, read) {
  if (msg.type === "search") return search(msg, read);
  const { id, fileNo, name, file } = msg;
  const started = performance.now();
  let ingest;
  let size = 0;
  try {
    ingest = new wasm.WorkerIngest(fileNo, name);
    const whole = read ? read.bytes : msg.bytes;
    if (read && read.error) {
      ingest.unreadable(read.error);
    } else if (whole) {
      size = whole.byteLength;
      ingest.push(new Uint8Array(whole));
    } else {
      size = file.size;
      const reader = new FileReaderSync();
      let last = 0;
      for (let done = 0; done < file.size && !ingest.stopped(); ) {
        const end = Math.min(file.size, done + SLICE);
        let piece;
        try {
          piece = new Uint8Array(reader.readAsArrayBuffer(file.slice(done, end)));
        } catch (err) {
          ingest.unreadable(message(err));
          break;
        }
        ingest.push(piece);
        done = end;
        const now = performance.now();
        if (now - last > 50) {
          last = now;
          self.postMessage({ type: "progress", id, bytes: done, size });
        }
      }
    }
    const packed = ingest.finish();
    ingest = null;
    self.postMessage({ type: "done", id, size, part: packed.buffer, ms: performance.now() - started }, [packed.buffer]);
  } catch (err) {
    // A panic in the wasm (it aborts) or an exhausted memory: the page reports this file
    // and replaces this worker, whose wasm instance cannot be trusted any more.
    self.postMessage({ type: "failed", id, error: message(err) });
  }
}

// Whole-record search: the page sends each file with the rows to check in it and the
// filter; the answer is the rows that match (see search_file in src/web/worker.rs).
function search(msg, read) {
  const { id, fileNo, name } = msg;
  try {
    if (read && read.error) {
      self.postMessage({ type: "found", id, rows: new Uint32Array(0), errors: [`${name}: could not be read again (${read.error})`] });
      return;
    }
    const bytes = new Uint8Array(read ? read.bytes : msg.bytes);
    const out = wasm.search_file(bytes, fileNo, msg.rows, msg.offsets, msg.lens, msg.fields, msg.text ?? undefined, !!msg.withRecords, !!msg.sketch);
    const transfer = [out.rows.buffer];
    if (out.records) transfer.push(out.records.buffer, out.lens.buffer);
    if (out.sketch) transfer.push(out.sketch.buffer);
    self.postMessage({ type: "found", id, rows: out.rows, records: out.records, lens: out.lens, sketch: out.sketch, errors: out.errors }, transfer);
  } catch (err) {
    self.postMessage({ type: "failed", id, error: message(err) });
  }
}

try {
  const glue = await import(params.get("glue"));
  await glue.default({ module_or_path: params.get("wasm") });
  wasm = glue;
  self.postMessage({ type: "ready" });
  pump();
} catch (err) {
  self.postMessage({ type: "broken", error: message(err) });
}
