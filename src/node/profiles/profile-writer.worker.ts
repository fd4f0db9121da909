import { workerData } from "node:worker_threads";
import type { EmailEvent } from "../../core/ports/profiles.js";
import { ProfileService } from "../../core/profiles/service.js";
import { recsSink } from "../../core/recs/signals.js";
import type { IngestEvent } from "../../core/segment/event.js";
import { systemClock, webRandom } from "../../core/services.js";
import { createNodeSigner } from "../node-signer.js";
import { createSqliteProfileStore } from "../sqlite/profile-store.js";
import { createSqliteRecsStore } from "../sqlite/recs-store.js";
import { openDatabase } from "../sqlite/store.js";
import { shareLockWaiters } from "../sqlite/write-lock.js";
import { serveRpc, workerLogger } from "../worker-rpc.js";

// The profile writer: every profile write (Segment groups, ESP events, erasure) runs here,
// on its own connection, so the main thread never holds the write lock nor waits on an
// fsync while it has requests to answer.
const { file, secret, lockWaiters } = workerData as {
  file: string;
  secret: string;
  lockWaiters?: SharedArrayBuffer;
};
// Counted with the other threads' waiters for the file's write lock (write-lock.ts).
shareLockWaiters(lockWaiters, "profile_writer");
// SQLite's default checkpoint size here: acknowledgements wait for this thread's commits,
// and a long WAL's checkpoint would land on that wait.
const db = openDatabase(file);
const service = new ProfileService({
  store: createSqliteProfileStore(db),
  secret,
  signer: createNodeSigner(secret),
  clock: systemClock,
  random: webRandom,
  logger: workerLogger(),
  // Co-occurrence and popularity learn from each group in its own transaction (no batch job).
  recs: recsSink(createSqliteRecsStore(db)),
});

serveRpc(
  {
    ingest: async (events: IngestEvent[]) => service.ingest(events),
    email: async (e: EmailEvent) => service.applyEmailEvent(e),
    erase: async (id: string) => service.erase(id),
    expunge: async () => service.expunge(),
    flush: async () => service.flush(),
  },
  async () => {
    await service.close();
    db.close();
  },
);
