import { parentPort, workerData } from "node:worker_threads";
import type { TrackEvent } from "../../core/ports/index.js";
import { createSignSync } from "../node-signer.js";
import { createEventWriter, openDatabase } from "./store.js";

// Worker thread: owns one SQLite connection and commits each batch it is sent, in order.
// With a profile secret, each batch's opens/clicks also go to the recipients' email
// activity in the same transaction (see createEventWriter), so the profiles fed by
// /o, /c and /i are current once the batch is acknowledged.
const { file, profileSecret } = workerData as { file: string; profileSecret: string | null };
const db = openDatabase(file);
const sign = profileSecret ? createSignSync(profileSecret) : null;
// The same HMAC the ProfileService keeps for erased people (purpose "erased").
const write = createEventWriter(db, sign ? { hashOf: (k) => sign("erased", k) } : undefined);

type Msg = { id: number; batch: TrackEvent[] } | { close: true };

parentPort!.on("message", (msg: Msg) => {
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
