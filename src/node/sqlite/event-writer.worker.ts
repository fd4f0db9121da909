import { parentPort, workerData } from "node:worker_threads";
import type { Logger, TrackEvent } from "../../core/ports/index.js";
import { ProfileService } from "../../core/profiles/service.js";
import { systemClock, webRandom } from "../../core/services.js";
import { createNodeSigner } from "../node-signer.js";
import { createSqliteProfileStore } from "./profile-store.js";
import { createEventWriter, openDatabase } from "./store.js";

// Worker thread: owns one SQLite connection and commits each batch it is sent, in order.
const { file, profileSecret } = workerData as { file: string; profileSecret: string | null };
const db = openDatabase(file);
const write = createEventWriter(db);

const send = (level: "warn" | "error") => (obj: object, msg?: string) => {
  const err = (obj as { err?: unknown }).err;
  // Errors do not survive postMessage with their fields; their message is what matters.
  const safe = err instanceof Error ? { ...obj, err: { message: err.message, stack: err.stack } } : obj;
  parentPort!.postMessage({ log: level, obj: safe, msg: msg ?? "" });
};
const logger: Logger = { debug() {}, info() {}, warn: send("warn"), error: send("error") };

// Opens/clicks also feed the live profiles, here rather than on the main thread (loading,
// applying and writing a person's JSON per event stalled every redirect in flight). The
// same core ProfileService as the main thread's, on this thread's connection; the store's
// transact (BEGIN IMMEDIATE) keeps its groups and the main thread's from interleaving.
const profiles = profileSecret
  ? new ProfileService({
      store: createSqliteProfileStore(db),
      secret: profileSecret,
      signer: createNodeSigner(profileSecret),
      clock: systemClock,
      random: webRandom,
      logger,
    })
  : null;

type Msg = { id: number; batch: TrackEvent[] } | { close: true };

// Profile groups await (HMACs), so messages are handled one at a time through a chain:
// batches stay in order and a close waits for the batches before it.
let chain: Promise<void> = Promise.resolve();
parentPort!.on("message", (msg: Msg) => {
  chain = chain.then(() => handle(msg));
});

async function handle(msg: Msg): Promise<void> {
  if ("close" in msg) {
    await profiles?.close();
    db.close();
    process.exit(0);
  }
  try {
    write(msg.batch);
  } catch (err) {
    parentPort!.postMessage({ id: msg.id, ok: false, message: (err as Error).message });
    return;
  }
  // The log has the batch; the profile side is best effort like before (the service logs
  // a failed group and retries its jobs one by one; it never throws for opens/clicks).
  if (profiles)
    await profiles.applyTrackEvents(msg.batch).catch((err) => logger.error({ err }, "profile batch failed"));
  parentPort!.postMessage({ id: msg.id, ok: true });
}
