import { parentPort, workerData } from "node:worker_threads";
import type { TrackEvent } from "../../core/ports/index.js";
import { createEventWriter, openDatabase } from "./store.js";

// Worker thread: owns one SQLite connection and commits each batch it is sent, in order.
const db = openDatabase((workerData as { file: string }).file);
const write = createEventWriter(db);

parentPort!.on("message", (msg: { id: number; batch: TrackEvent[] } | { close: true }) => {
  if ("close" in msg) {
    db.close();
    process.exit(0);
  }
  try {
    write(msg.batch);
    parentPort!.postMessage({ id: msg.id, ok: true });
  } catch (err) {
    parentPort!.postMessage({ id: msg.id, ok: false, message: (err as Error).message });
  }
});
