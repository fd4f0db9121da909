import Database from "better-sqlite3";
import { expect, it } from "vitest";
import { tempDbFiles } from "../testing/temp-files.js";
import { MIGRATIONS } from "./migrations.js";
import { createSqliteProfileStore } from "./profile-store.js";
import { openDatabase } from "./store.js";

// A database from before migration 20 has shared inboxes but no record of them: the
// upgrade finds them in the documents' traits.email, so erasing the address reaches them.
const file = tempDbFiles("opentime-email-refs-");

it("the upgrade records profiles whose traits.email is another profile's address", async () => {
  const path = file();
  const old = new Database(path);
  for (const m of MIGRATIONS.slice(0, 17)) old.exec(m);
  old.pragma("user_version = 17");
  const doc = (id: string, traits: object) => JSON.stringify({ id, traits });
  const profile = old.prepare("INSERT INTO profiles (id, doc, updated_at) VALUES (?, ?, 1)");
  profile.run("P", doc("P", { email: "family@x.com" }));
  profile.run("C", doc("C", { email: " Family@X.com ", name: "Kim" }));
  profile.run("O", doc("O", { email: "own@x.com" }));
  profile.run("N", doc("N", { email: "not an address" }));
  profile.run("T", doc("T", { email: 42 }));
  const key = old.prepare("INSERT INTO profile_identities (key, profile_id) VALUES (?, ?)");
  key.run("e:family@x.com", "P");
  key.run("e:own@x.com", "O");
  old.close();

  const store = createSqliteProfileStore(openDatabase(path));
  expect(await store.emailHolders(["family@x.com", "own@x.com"])).toEqual(new Map([["C", ["family@x.com"]]]));
});
