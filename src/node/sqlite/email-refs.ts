import type Database from "better-sqlite3";

/**
 * Which profiles named an address that another profile holds (profile_email_refs, migration
 * 18): a shared inbox. Written with the group commits, moved by merges, read and cleared by
 * erasure, which takes the address out of those profiles too.
 */
export function createEmailRefs(db: Database.Database) {
  const insert = db.prepare("INSERT OR IGNORE INTO profile_email_refs (email, profile_id) VALUES (?, ?)");
  const copy = db.prepare(
    "INSERT OR IGNORE INTO profile_email_refs (email, profile_id) SELECT email, ? FROM profile_email_refs WHERE profile_id = ?",
  );
  const ofProfile = db.prepare("DELETE FROM profile_email_refs WHERE profile_id = ?");
  const ofEmail = db.prepare("DELETE FROM profile_email_refs WHERE email = ?");
  const holders = db.prepare("SELECT profile_id FROM profile_email_refs WHERE email = ?").pluck();
  return {
    add(refs: readonly (readonly [string, string])[]): void {
      for (const [email, profileId] of refs) insert.run(email, profileId);
    },
    /** A merge: `from`'s references become `to`'s. */
    move(from: string, to: string): void {
      copy.run(to, from);
      ofProfile.run(from);
    },
    /** Profile id → the addresses among `emails` it named. */
    holders(emails: readonly string[]): Map<string, string[]> {
      const out = new Map<string, string[]>();
      for (const e of emails)
        for (const id of holders.all(e) as string[]) out.set(id, [...(out.get(id) ?? []), e]);
      return out;
    },
    forget(profileId: string | null, emails: readonly string[]): void {
      if (profileId) ofProfile.run(profileId);
      for (const e of emails) ofEmail.run(e);
    },
  };
}
