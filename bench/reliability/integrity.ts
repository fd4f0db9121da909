import Database from "better-sqlite3";

/**
 * Corruption checks on the raw database file, read beside the running server (WAL lets a
 * reader in while it writes): SQLite's own checks, then every count the store keeps beside
 * its log against the log itself. Call after the server has settled its derived tables
 * (a campaign stats read folds every logged hit first), with no traffic arriving.
 */
export interface IntegrityReport {
  /** PRAGMA integrity_check: "ok" or its first complaints. */
  integrity: string;
  foreignKeyViolations: number;
  /** One line per count that disagrees with what it counts. */
  mismatches: string[];
}

export function checkIntegrity(dbFile: string): IntegrityReport {
  const db = new Database(dbFile, { readonly: true, fileMustExist: true });
  try {
    return db.transaction(() => {
      const integrity = (db.pragma("integrity_check", { simple: false }) as { integrity_check: string }[])
        .map((r) => r.integrity_check)
        .slice(0, 5)
        .join("; ");
      const foreignKeyViolations = (db.pragma("foreign_key_check") as unknown[]).length;
      const mismatches = [
        ...countersVsLog(db),
        ...uniqueCountsVsUniques(db),
        ...uniquesVsLog(db),
        ...activityVsLog(db),
        ...profilesVsEvents(db),
        ...identitiesVsProfiles(db),
      ];
      return { integrity, foreignKeyViolations, mismatches };
    })();
  } finally {
    db.close();
  }
}

/** Lines for the rows of a FULL OUTER JOIN-like comparison that differ. */
function differing(db: Database.Database, what: string, sql: string): string[] {
  return (db.prepare(sql).all() as Record<string, unknown>[])
    .slice(0, 10)
    .map((r) => `${what}: ${JSON.stringify(r)}`);
}

// Totals per campaign, kind and class are bumped in the log's own transaction.
function countersVsLog(db: Database.Database): string[] {
  return differing(
    db,
    "campaign_counters vs events",
    `WITH log AS (SELECT campaign, kind, class, count(*) AS n FROM events GROUP BY 1, 2, 3)
     SELECT c.campaign, c.kind, c.class, c.total AS counter, coalesce(l.n, 0) AS logged
       FROM campaign_counters c LEFT JOIN log l USING (campaign, kind, class)
      WHERE c.total != coalesce(l.n, 0)
     UNION ALL
     SELECT l.campaign, l.kind, l.class, NULL, l.n FROM log l
      WHERE NOT EXISTS (SELECT 1 FROM campaign_counters c
                         WHERE c.campaign = l.campaign AND c.kind = l.kind AND c.class = l.class)`,
  );
}

// Unique counts are kept by triggers on campaign_uniques.
function uniqueCountsVsUniques(db: Database.Database): string[] {
  return differing(
    db,
    "campaign_unique_counts vs campaign_uniques",
    `WITH u AS (SELECT campaign, kind, class, count(*) AS n FROM campaign_uniques GROUP BY 1, 2, 3)
     SELECT c.campaign, c.kind, c.class, c.n AS counted, coalesce(u.n, 0) AS rows
       FROM campaign_unique_counts c LEFT JOIN u USING (campaign, kind, class)
      WHERE c.n != coalesce(u.n, 0)
     UNION ALL
     SELECT u.campaign, u.kind, u.class, NULL, u.n FROM u
      WHERE NOT EXISTS (SELECT 1 FROM campaign_unique_counts c
                         WHERE c.campaign = u.campaign AND c.kind = u.kind AND c.class = u.class)`,
  );
}

// One unique per recipient seen in the log, for each campaign and kind (once folded).
function uniquesVsLog(db: Database.Database): string[] {
  return differing(
    db,
    "campaign_uniques vs distinct recipients in events",
    `WITH l AS (SELECT campaign, kind, count(DISTINCT recipient) AS n FROM events
                 WHERE recipient IS NOT NULL GROUP BY 1, 2),
          u AS (SELECT campaign, kind, count(*) AS n FROM campaign_uniques GROUP BY 1, 2)
     SELECT l.campaign, l.kind, l.n AS logged, coalesce(u.n, 0) AS uniques
       FROM l LEFT JOIN u USING (campaign, kind) WHERE l.n != coalesce(u.n, 0)
     UNION ALL
     SELECT u.campaign, u.kind, 0, u.n FROM u
      WHERE NOT EXISTS (SELECT 1 FROM l WHERE l.campaign = u.campaign AND l.kind = u.kind)`,
  );
}

// Each person's email activity is the fold of their log rows up to activity_fold_state.through.
function activityVsLog(db: Database.Database): string[] {
  const state = db.prepare("SELECT through, window_end FROM activity_fold_state").get() as
    | { through: number; window_end: number | null }
    | undefined;
  const maxSeq = (db.prepare("SELECT coalesce(max(seq), 0) FROM events").pluck().get() as number) ?? 0;
  if (!state) return ["activity_fold_state: missing"];
  if (state.through !== maxSeq || state.window_end !== null) {
    return [`email_activity: not settled (folded through ${state.through} of ${maxSeq})`];
  }
  const logged = db
    .prepare(
      `SELECT coalesce(sum(kind = 'open'), 0) AS opens, coalesce(sum(kind = 'click'), 0) AS clicks
         FROM events WHERE recipient IS NOT NULL`,
    )
    .get() as { opens: number; clicks: number };
  const folded = db
    .prepare(
      `SELECT coalesce(sum(opens + machine_opens), 0) AS opens, coalesce(sum(clicks + machine_clicks), 0) AS clicks
         FROM email_activity`,
    )
    .get() as { opens: number; clicks: number };
  return logged.opens === folded.opens && logged.clicks === folded.clicks
    ? []
    : [`email_activity vs events: folded ${JSON.stringify(folded)}, logged ${JSON.stringify(logged)}`];
}

// A profile's event count is its rows in profile_events, none lost and none twice.
function profilesVsEvents(db: Database.Database): string[] {
  const rows = db
    .prepare(
      `SELECT id, json_extract(doc, '$.counts.events') AS counted,
              (SELECT count(*) FROM profile_events e WHERE e.profile_id = p.id) AS stored
         FROM profiles p`,
    )
    .all() as { id: string; counted: number; stored: number }[];
  return rows
    .filter((r) => r.counted !== r.stored)
    .slice(0, 10)
    .map((r) => `profile ${r.id}: counts.events ${r.counted}, profile_events rows ${r.stored}`);
}

// The schema declares no foreign keys; these are the references it relies on.
function identitiesVsProfiles(db: Database.Database): string[] {
  return differing(
    db,
    "reference to a missing profile",
    `SELECT 'profile_identities' AS t, key, profile_id FROM profile_identities i
      WHERE NOT EXISTS (SELECT 1 FROM profiles p WHERE p.id = i.profile_id)
     UNION ALL
     SELECT 'profile_events', message_id, profile_id FROM profile_events e
      WHERE NOT EXISTS (SELECT 1 FROM profiles p WHERE p.id = e.profile_id)`,
  );
}
