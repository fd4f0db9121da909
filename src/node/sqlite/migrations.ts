import type { TrafficClass } from "../../core/tracking/classify.js";

/**
 * Machine classes counted per person in email_activity (every class but human). Fixed by
 * migration 7's columns (migrations are append-only), so not derived from the classifier's
 * list but checked against it: a class added there fails to compile here until a
 * migration adds its column and it is appended to this list.
 */
export const MACHINE_CLASSES = [
  "apple_mpp",
  "gmail_proxy",
  "yahoo_proxy",
  "scanner",
  "bot",
  "unknown",
] as const;
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
const machineClassesAreTheClassifiers: Same<
  (typeof MACHINE_CLASSES)[number],
  Exclude<TrafficClass, "human">
> = true;
void machineClassesAreTheClassifiers;
/**
 * Log rows per epoch of the log's per-recipient index (log-index.ts says why): an entry's
 * epoch is its seq divided by this. Fixed for good: entries written under another value
 * would sit in the wrong epoch.
 */
export const LOG_INDEX_EPOCH = 262_144;
/** One column per UTC hour of day: human opens/clicks for send-time choice. */
export const HOURS = Array.from({ length: 24 }, (_, h) => `h${String(h).padStart(2, "0")}`);

/**
 * Versioned schema. Each entry runs once, in order, inside a transaction; the applied
 * version is kept in PRAGMA user_version. Never edit a shipped migration: add one.
 */
export const MIGRATIONS: readonly string[] = [
  // 1: links, the append-only event log and per-campaign counters.
  `
  CREATE TABLE links (
    id TEXT PRIMARY KEY,
    url TEXT NOT NULL,
    campaign TEXT,
    created_at INTEGER NOT NULL
  ) STRICT;
  CREATE UNIQUE INDEX links_campaign_url ON links(campaign, url) WHERE campaign IS NOT NULL;

  CREATE TABLE events (
    seq INTEGER PRIMARY KEY,
    at INTEGER NOT NULL,
    kind TEXT NOT NULL,
    campaign TEXT NOT NULL,
    link_id TEXT,
    recipient TEXT,
    class TEXT NOT NULL,
    reasons TEXT NOT NULL,
    ip TEXT,
    user_agent TEXT,
    method TEXT NOT NULL
  ) STRICT;
  CREATE INDEX events_campaign ON events(campaign, kind);
  CREATE INDEX events_recipient ON events(recipient) WHERE recipient IS NOT NULL;

  -- Totals per campaign, kind and class, kept in the same transaction as the log.
  CREATE TABLE campaign_counters (
    campaign TEXT NOT NULL,
    kind TEXT NOT NULL,
    class TEXT NOT NULL,
    total INTEGER NOT NULL,
    PRIMARY KEY (campaign, kind, class)
  ) STRICT, WITHOUT ROWID;

  -- One row per recipient and kind: its first class, for unique counts.
  CREATE TABLE campaign_uniques (
    campaign TEXT NOT NULL,
    kind TEXT NOT NULL,
    recipient TEXT NOT NULL,
    class TEXT NOT NULL,
    PRIMARY KEY (campaign, kind, recipient)
  ) STRICT, WITHOUT ROWID;
  `,
  // 2: blocks (live images, editable after send) and per-recipient first-seen times
  // for evergreen timers.
  `
  CREATE TABLE blocks (
    id TEXT PRIMARY KEY,
    type TEXT NOT NULL,
    options TEXT NOT NULL,
    version INTEGER NOT NULL,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
  ) STRICT;

  CREATE TABLE block_first_seen (
    block_id TEXT NOT NULL,
    recipient TEXT NOT NULL,
    at INTEGER NOT NULL,
    PRIMARY KEY (block_id, recipient)
  ) STRICT, WITHOUT ROWID;
  `,
  // 3: live profiles (one JSON document per person), the identities that find them, the
  // accepted Segment/ESP events behind them, durable dedupe keys (bounded retention) and
  // HMACs of erased people's identities.
  `
  CREATE TABLE profiles (
    id TEXT PRIMARY KEY,
    doc TEXT NOT NULL,
    updated_at INTEGER NOT NULL
  ) STRICT;

  CREATE TABLE profile_identities (
    key TEXT PRIMARY KEY,
    profile_id TEXT NOT NULL
  ) STRICT, WITHOUT ROWID;
  CREATE INDEX profile_identities_profile ON profile_identities(profile_id);

  CREATE TABLE profile_events (
    seq INTEGER PRIMARY KEY,
    profile_id TEXT NOT NULL,
    message_id TEXT NOT NULL,
    type TEXT NOT NULL,
    event TEXT,
    at INTEGER NOT NULL,
    received_at INTEGER NOT NULL,
    body TEXT NOT NULL
  ) STRICT;
  CREATE INDEX profile_events_profile ON profile_events(profile_id);

  CREATE TABLE ingest_dedupe (
    key TEXT PRIMARY KEY,
    at INTEGER NOT NULL
  ) STRICT, WITHOUT ROWID;
  CREATE INDEX ingest_dedupe_at ON ingest_dedupe(at);

  CREATE TABLE erased_identities (
    hash TEXT PRIMARY KEY,
    at INTEGER NOT NULL
  ) STRICT, WITHOUT ROWID;
  `,
  // 4: the product catalog behind price cards (one row per product, bumped version on a
  // change) and its price/stock history (appended on change, bounded per product in code).
  `
  CREATE TABLE products (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    price REAL NOT NULL,
    currency TEXT NOT NULL,
    compare_at_price REAL,
    stock INTEGER,
    image_url TEXT,
    url TEXT,
    version INTEGER NOT NULL,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    price_since INTEGER NOT NULL
  ) STRICT;

  CREATE TABLE product_history (
    seq INTEGER PRIMARY KEY,
    product_id TEXT NOT NULL,
    at INTEGER NOT NULL,
    price REAL NOT NULL,
    currency TEXT NOT NULL,
    stock INTEGER
  ) STRICT;
  CREATE INDEX product_history_product ON product_history(product_id, seq);
  `,
  // 5: catalog feeds imported on a schedule (JSON or CSV over the guarded fetcher), one per
  // URL, and the product fields feeds carry (tags: a JSON array, NULL when none).
  `
  CREATE TABLE feeds (
    id TEXT PRIMARY KEY,
    url TEXT NOT NULL UNIQUE,
    format TEXT,
    every_minutes INTEGER NOT NULL,
    created_at INTEGER NOT NULL,
    next_run_at INTEGER NOT NULL,
    last_run_at INTEGER,
    last_status TEXT,
    last_message TEXT,
    last_counts TEXT
  ) STRICT;
  CREATE INDEX feeds_next_run ON feeds(next_run_at);

  ALTER TABLE products ADD COLUMN category TEXT;
  ALTER TABLE products ADD COLUMN brand TEXT;
  ALTER TABLE products ADD COLUMN tags TEXT;
  `,
  // 6: the decision log: which variant of which block a recipient was shown, and when,
  // with what each slot linked to (adaptive links resolve to it; stats count per variant).
  `
  CREATE TABLE decisions (
    seq INTEGER PRIMARY KEY,
    at INTEGER NOT NULL,
    block_id TEXT NOT NULL,
    recipient TEXT,
    variant TEXT NOT NULL,
    slots TEXT
  ) STRICT;
  CREATE INDEX decisions_block_recipient ON decisions(block_id, recipient, seq);
  CREATE INDEX decisions_recipient ON decisions(recipient) WHERE recipient IS NOT NULL;

  -- Opens and adaptive-link clicks per block and variant, kept in the same transaction as
  -- the log: stats read these instead of scanning it.
  CREATE TABLE decision_counts (
    block_id TEXT NOT NULL,
    variant TEXT NOT NULL,
    opens INTEGER NOT NULL,
    clicks INTEGER NOT NULL,
    PRIMARY KEY (block_id, variant)
  ) STRICT, WITHOUT ROWID;

  -- One row per recipient shown a variant, for unique counts (erased with the person).
  CREATE TABLE decision_uniques (
    block_id TEXT NOT NULL,
    variant TEXT NOT NULL,
    recipient TEXT NOT NULL,
    PRIMARY KEY (block_id, variant, recipient)
  ) STRICT, WITHOUT ROWID;
  CREATE INDEX decision_uniques_recipient ON decision_uniques(recipient);
  `,
  // 7: email activity (opens/clicks from opentime's URLs) per recipient key, apart from
  // the profile documents (src/core/profiles/activity.ts says why). Plain columns, so a
  // hit is one UPDATE doing arithmetic in SQLite (activity-table.ts), no JSON per hit.
  // events_campaign was never read (stats come from the counters): one index less to
  // maintain per logged hit. Profile history is now read from profile_events by time.
  `
  CREATE TABLE email_activity (
    key TEXT PRIMARY KEY,
    opens INTEGER NOT NULL,
    clicks INTEGER NOT NULL,
    machine_opens INTEGER NOT NULL,
    machine_clicks INTEGER NOT NULL,
    ${MACHINE_CLASSES.map((c) => `m_${c} INTEGER NOT NULL`).join(",\n    ")},
    last_open_at INTEGER,
    last_click_at INTEGER,
    engagement REAL NOT NULL,
    engagement_at INTEGER NOT NULL,
    ${HOURS.map((h) => `${h} INTEGER NOT NULL`).join(",\n    ")},
    first_at INTEGER NOT NULL,
    last_at INTEGER NOT NULL
  ) STRICT, WITHOUT ROWID;
  DROP INDEX events_campaign;
  -- A profile's latest events are its history (src/core/profiles/history.ts), read newest first.
  CREATE INDEX profile_events_profile_at ON profile_events(profile_id, at);
  DROP INDEX profile_events_profile;
  `,
  // 8: the log's per-recipient index becomes a table filled in sorted chunks (log-index.ts
  // says why). Rows appended since the last chunk (seq > through) are read by a range scan.
  `
  CREATE TABLE events_by_recipient (
    recipient TEXT NOT NULL,
    seq INTEGER NOT NULL,
    PRIMARY KEY (recipient, seq)
  ) STRICT, WITHOUT ROWID;
  CREATE TABLE log_index_state (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    through INTEGER NOT NULL
  ) STRICT;
  INSERT INTO events_by_recipient (recipient, seq)
    SELECT recipient, seq FROM events WHERE recipient IS NOT NULL ORDER BY recipient, seq;
  INSERT INTO log_index_state (id, through) VALUES (1, (SELECT coalesce(max(seq), 0) FROM events));
  DROP INDEX events_recipient;
  `,
  // 9: unique recipients counted as they are added (and erased), so a campaign's stats read
  // a few rows instead of counting its uniques: 0.6 s of the main thread per read for a
  // million-recipient campaign, stalling every redirect meanwhile. And the uniques get a
  // per-recipient index filled in chunks with the log's (log-index.ts): erasing one person
  // scanned every campaign's uniques (~100 ms per million rows) holding the write lock the
  // event writer waits on (busy_timeout: 5 s); an SQL index cost ~20 µs per new unique.
  `
  CREATE TABLE campaign_uniques_by_recipient (
    recipient TEXT NOT NULL,
    campaign TEXT NOT NULL,
    kind TEXT NOT NULL,
    PRIMARY KEY (recipient, campaign, kind)
  ) STRICT, WITHOUT ROWID;
  INSERT INTO campaign_uniques_by_recipient (recipient, campaign, kind)
    SELECT recipient, campaign, kind FROM campaign_uniques ORDER BY recipient, campaign, kind;
  CREATE TABLE campaign_unique_counts (
    campaign TEXT NOT NULL,
    kind TEXT NOT NULL,
    class TEXT NOT NULL,
    n INTEGER NOT NULL,
    PRIMARY KEY (campaign, kind, class)
  ) STRICT, WITHOUT ROWID;
  INSERT INTO campaign_unique_counts (campaign, kind, class, n)
    SELECT campaign, kind, class, count(*) FROM campaign_uniques GROUP BY campaign, kind, class;
  CREATE TRIGGER campaign_uniques_added AFTER INSERT ON campaign_uniques BEGIN
    INSERT INTO campaign_unique_counts (campaign, kind, class, n)
      VALUES (new.campaign, new.kind, new.class, 1)
      ON CONFLICT (campaign, kind, class) DO UPDATE SET n = n + 1;
  END;
  CREATE TRIGGER campaign_uniques_removed AFTER DELETE ON campaign_uniques BEGIN
    UPDATE campaign_unique_counts SET n = n - 1
     WHERE campaign = old.campaign AND kind = old.kind AND class = old.class;
  END;
  `,
  // 10: evergreen timers' first opens by recipient, for erasure (it scanned every block's
  // rows under the write lock). An SQL index here: one entry per person's first open of an
  // evergreen timer, whose render costs far more than the index write. And a variant's
  // unique recipients counted as for campaigns (migration 9): a block's stats counted them
  // per read, 110 ms of the main thread for a million.
  `
  CREATE INDEX block_first_seen_recipient ON block_first_seen(recipient);
  ALTER TABLE decision_counts ADD COLUMN uniques INTEGER NOT NULL DEFAULT 0;
  UPDATE decision_counts SET uniques = (SELECT count(*) FROM decision_uniques u
    WHERE u.block_id = decision_counts.block_id AND u.variant = decision_counts.variant);
  CREATE TRIGGER decision_uniques_added AFTER INSERT ON decision_uniques BEGIN
    INSERT INTO decision_counts (block_id, variant, opens, clicks, uniques)
      VALUES (new.block_id, new.variant, 0, 0, 1)
      ON CONFLICT (block_id, variant) DO UPDATE SET uniques = uniques + 1;
  END;
  CREATE TRIGGER decision_uniques_removed AFTER DELETE ON decision_uniques BEGIN
    UPDATE decision_counts SET uniques = uniques - 1
     WHERE block_id = old.block_id AND variant = old.variant;
  END;
  `,
  // 11: email activity is folded from the log every few seconds (activity-fold.ts); this is
  // the log seq up to which email_activity has every hit. Until now every batch added its
  // hits at once, so the whole log is in.
  `
  CREATE TABLE activity_fold_state (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    through INTEGER NOT NULL
  ) STRICT;
  INSERT INTO activity_fold_state (id, through) SELECT 1, coalesce(max(seq), 0) FROM events;
  `,
  // 12: render decisions lose their two indexes by recipient, read only to erase a person:
  // each cost a random page per render at open. CPU per render, batches of 1,500 (`npm run
  // bench -- writer`, same run): 50,000 recipients 20.4 -> 11.3 µs, a million 38.0 -> 16.3.
  // Erasure now goes block by block (decision-store.ts: createDecisionEraser).
  `
  DROP INDEX decisions_recipient;
  DROP INDEX decision_uniques_recipient;
  `,
  // 13: email activity is folded in slices of people, each its own transaction; while a
  // window is part-way, its people up to done_key (JS string order) are in the table for
  // the log rows up to window_end (activity-fold.ts).
  `
  ALTER TABLE activity_fold_state ADD COLUMN window_end INTEGER;
  ALTER TABLE activity_fold_state ADD COLUMN done_key TEXT;
  `,
  // 14: a campaign unique's entry by recipient is written with the unique, by a trigger,
  // instead of from the log in chunks (log-index.ts): the chunks read every log row again
  // and looked its entry up, a repeat open or click included; the trigger runs only for a
  // new unique, which the fold writes in key order. Uniques written since the last chunk
  // (those of the log's unindexed tail) get theirs here.
  `
  CREATE TRIGGER campaign_uniques_indexed AFTER INSERT ON campaign_uniques BEGIN
    INSERT OR IGNORE INTO campaign_uniques_by_recipient (recipient, campaign, kind)
      VALUES (new.recipient, new.campaign, new.kind);
  END;
  INSERT OR IGNORE INTO campaign_uniques_by_recipient (recipient, campaign, kind)
    SELECT DISTINCT u.recipient, u.campaign, u.kind
      FROM events e JOIN campaign_uniques u
        ON u.campaign = e.campaign AND u.kind = e.kind AND u.recipient = e.recipient
     WHERE e.seq > (SELECT through FROM log_index_state)
     ORDER BY 1, 2, 3;
  `,
  // 15: deleted blocks whose decisions and first opens are still being deleted, a slice at
  // a time (block-purge.ts); the block row itself goes at once.
  `
  CREATE TABLE blocks_deleted (
    block_id TEXT PRIMARY KEY,
    at INTEGER NOT NULL
  ) STRICT, WITHOUT ROWID;
  `,
  // 16: the log's per-recipient index is ordered by epoch (a run of LOG_INDEX_EPOCH seqs)
  // first, so a chunk lands on the pages of the current epoch only, however big the index
  // has grown (log-index.ts: its cost per hit had grown from 2.5 to ~20 µs by 3 million
  // rows); a person's rows are then read epoch by epoch.
  `
  CREATE TABLE events_by_recipient_new (
    epoch INTEGER NOT NULL,
    recipient TEXT NOT NULL,
    seq INTEGER NOT NULL,
    PRIMARY KEY (epoch, recipient, seq)
  ) STRICT, WITHOUT ROWID;
  INSERT INTO events_by_recipient_new (epoch, recipient, seq)
    SELECT seq / ${LOG_INDEX_EPOCH}, recipient, seq FROM events_by_recipient ORDER BY 1, 2, 3;
  DROP TABLE events_by_recipient;
  ALTER TABLE events_by_recipient_new RENAME TO events_by_recipient;
  `,
  // 17: a campaign unique's entry by recipient is no longer written with the unique (a
  // random page per new unique): erasure finds a person's uniques through their log rows,
  // and retention writes the entries of the rows it prunes (log-index.ts:
  // UNIQUES_OF_RECIPIENT_SQL). Entries written so far stay and are still read.
  `
  DROP TRIGGER campaign_uniques_indexed;
  `,
  // 18: sending (sending-store.ts). Templates keep every version (a send records the one it
  // used); templates' rowid is the creation order lists page by. Every attempt is one sends
  // row: its indexed fields as columns, the rest as JSON, the rendered message apart (it is
  // dropped once sent).
  `
  CREATE TABLE templates (
    id TEXT PRIMARY KEY,
    latest INTEGER NOT NULL
  ) STRICT;
  CREATE TABLE template_versions (
    id TEXT NOT NULL,
    version INTEGER NOT NULL,
    body TEXT NOT NULL,
    PRIMARY KEY (id, version)
  ) STRICT, WITHOUT ROWID;
  CREATE TABLE sends (
    id TEXT PRIMARY KEY,
    key TEXT NOT NULL UNIQUE,
    profile_id TEXT NOT NULL,
    status TEXT NOT NULL,
    priority INTEGER NOT NULL,
    next_at INTEGER,
    provider TEXT,
    provider_id TEXT,
    campaign TEXT NOT NULL,
    u TEXT,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    body TEXT NOT NULL,
    message TEXT
  ) STRICT, WITHOUT ROWID;
  CREATE INDEX sends_person ON sends (profile_id, created_at);
  CREATE INDEX sends_queued ON sends (next_at) WHERE status = 'queued';
  CREATE INDEX sends_dead ON sends (updated_at) WHERE status = 'dead';
  CREATE INDEX sends_provider ON sends (provider_id) WHERE provider_id IS NOT NULL;
  CREATE INDEX sends_recipient ON sends (campaign, u, created_at) WHERE u IS NOT NULL;
  `,
  // 19: corrections in the log (TrackEvent.corrects: a link scanner's first clicks, known for
  // one only once its burst shows it). The log stays append-only: a correction is a row of
  // its own, moving its hit's count from one class to another. A unique keeps its first
  // hit's time, so a correction of that very hit moves the unique too (and no other does);
  // uniques from before have none and are never moved.
  `
  ALTER TABLE events ADD COLUMN corrects TEXT;
  ALTER TABLE campaign_uniques ADD COLUMN first_at INTEGER;
  CREATE TRIGGER campaign_uniques_reclassified AFTER UPDATE OF class ON campaign_uniques BEGIN
    UPDATE campaign_unique_counts SET n = n - 1
     WHERE campaign = old.campaign AND kind = old.kind AND class = old.class;
    INSERT INTO campaign_unique_counts (campaign, kind, class, n)
      VALUES (new.campaign, new.kind, new.class, 1)
      ON CONFLICT (campaign, kind, class) DO UPDATE SET n = n + 1;
  END;
  `,
  // 20: profiles that named an address another profile holds (a shared inbox: two users who
  // identified with one address keep one key, the first user's), so erasing the address
  // clears it from them too. Filled from the documents' traits.email for profiles stored
  // before (only the latest address each had there is known).
  `
  CREATE TABLE profile_email_refs (
    email TEXT NOT NULL,
    profile_id TEXT NOT NULL,
    PRIMARY KEY (email, profile_id)
  ) STRICT, WITHOUT ROWID;
  CREATE INDEX profile_email_refs_profile ON profile_email_refs(profile_id);
  INSERT OR IGNORE INTO profile_email_refs (email, profile_id)
    SELECT e.email, e.id FROM (
      SELECT p.id, lower(trim(json_extract(p.doc, '$.traits.email'))) AS email FROM profiles p
       WHERE json_type(p.doc, '$.traits.email') = 'text') e
     WHERE e.email LIKE '%_@_%'
       AND EXISTS (SELECT 1 FROM profile_identities i WHERE i.key = 'e:' || e.email AND i.profile_id <> e.id);
  `,
  // 21: live content (issue 25): data sources (options as JSON, secrets never stored: only the
  // names of environment variables), one poll vote per person, coupon pools (a code is given
  // to at most one person: unique (pool, recipient)) and the grants offers made.
  `
  CREATE TABLE sources (
    id TEXT PRIMARY KEY,
    body TEXT NOT NULL,
    created_at INTEGER NOT NULL
  ) STRICT, WITHOUT ROWID;
  CREATE TABLE poll_votes (
    poll_id TEXT NOT NULL,
    recipient TEXT NOT NULL,
    option TEXT NOT NULL,
    at INTEGER NOT NULL,
    PRIMARY KEY (poll_id, recipient)
  ) STRICT, WITHOUT ROWID;
  CREATE TABLE coupon_codes (
    pool TEXT NOT NULL,
    code TEXT NOT NULL,
    recipient TEXT,
    assigned_at INTEGER,
    redeemed_at INTEGER,
    added_at INTEGER NOT NULL,
    PRIMARY KEY (pool, code)
  ) STRICT;
  CREATE UNIQUE INDEX coupon_codes_recipient ON coupon_codes (pool, recipient) WHERE recipient IS NOT NULL;
  CREATE INDEX coupon_codes_free ON coupon_codes (pool, added_at) WHERE recipient IS NULL;
  CREATE INDEX coupon_codes_code ON coupon_codes (code);
  CREATE TABLE offer_grants (
    offer_id TEXT NOT NULL,
    recipient TEXT NOT NULL,
    level TEXT NOT NULL,
    pool TEXT,
    code TEXT,
    at INTEGER NOT NULL,
    PRIMARY KEY (offer_id, recipient)
  ) STRICT, WITHOUT ROWID;
  CREATE INDEX offer_grants_level ON offer_grants (offer_id, level);
  `,
  // 22: people who sign in to the web app (/app), their sessions (the cookie's token kept as
  // its SHA-256 only) and the first-run setup token; and the log by campaign and time, which
  // the campaign series (GET /v1/campaigns/:id/series) reads as a range.
  `
  CREATE TABLE app_users (
    id TEXT PRIMARY KEY,
    email TEXT NOT NULL UNIQUE,
    role TEXT NOT NULL CHECK (role IN ('admin', 'editor')),
    password_hash TEXT NOT NULL,
    created_at INTEGER NOT NULL
  ) STRICT;
  CREATE TABLE app_sessions (
    token_hash TEXT PRIMARY KEY,
    user_id TEXT NOT NULL,
    csrf TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL
  ) STRICT, WITHOUT ROWID;
  CREATE INDEX app_sessions_user ON app_sessions(user_id);
  CREATE TABLE app_setup_tokens (
    token_hash TEXT PRIMARY KEY,
    expires_at INTEGER NOT NULL
  ) STRICT, WITHOUT ROWID;
  CREATE INDEX events_campaign_at ON events(campaign, at);
  `,
  // 23: recommendations (src/node/sqlite/recs-store.ts): co-occurrence bounded per product,
  // decayed popularity (scores grow with time instead of being rewritten: ports/recs.ts), each
  // person's recently viewed and bought products; products by category and age (new arrivals).
  `
  CREATE TABLE recs_pairs (
    kind TEXT NOT NULL,
    a TEXT NOT NULL,
    b TEXT NOT NULL,
    score REAL NOT NULL,
    PRIMARY KEY (kind, a, b)
  ) STRICT, WITHOUT ROWID;
  CREATE INDEX recs_pairs_top ON recs_pairs (kind, a, score);
  CREATE TABLE recs_popular (
    kind TEXT NOT NULL,
    product_id TEXT NOT NULL,
    score REAL NOT NULL,
    category TEXT,
    brand TEXT,
    PRIMARY KEY (kind, product_id)
  ) STRICT, WITHOUT ROWID;
  CREATE INDEX recs_popular_top ON recs_popular (kind, score);
  CREATE INDEX recs_popular_category ON recs_popular (kind, category, score) WHERE category IS NOT NULL;
  CREATE INDEX recs_popular_brand ON recs_popular (kind, brand, score) WHERE brand IS NOT NULL;
  CREATE TABLE recs_person (
    profile_id TEXT NOT NULL,
    kind TEXT NOT NULL,
    product_id TEXT NOT NULL,
    at INTEGER NOT NULL,
    PRIMARY KEY (profile_id, kind, product_id)
  ) STRICT, WITHOUT ROWID;
  CREATE INDEX products_category_created ON products (category, created_at);
  CREATE INDEX products_created ON products (created_at);
  `,
  // 24: learning (issue 22): counters per block arm, slot and currency (the bandit's stats,
  // kept in memory and incremented; read once per block per process), each person's last
  // human click on an adaptive link (last-click attribution), the orders credited to them
  // (once per order and block), and trained score models.
  `
  CREATE TABLE learn_counts (
    block_id TEXT NOT NULL,
    arm TEXT NOT NULL,
    slot TEXT NOT NULL,
    currency TEXT NOT NULL,
    impressions INTEGER NOT NULL DEFAULT 0,
    clicks INTEGER NOT NULL DEFAULT 0,
    orders INTEGER NOT NULL DEFAULT 0,
    revenue REAL NOT NULL DEFAULT 0,
    PRIMARY KEY (block_id, arm, slot, currency)
  ) STRICT, WITHOUT ROWID;
  CREATE TABLE learn_touches (
    key TEXT PRIMARY KEY,
    block_id TEXT NOT NULL,
    arm TEXT NOT NULL,
    slot TEXT NOT NULL,
    url TEXT NOT NULL,
    campaign TEXT NOT NULL,
    at INTEGER NOT NULL
  ) STRICT, WITHOUT ROWID;
  CREATE INDEX learn_touches_at ON learn_touches(at);
  CREATE INDEX learn_touches_block ON learn_touches(block_id);
  CREATE TABLE learn_orders (
    order_id TEXT NOT NULL,
    block_id TEXT NOT NULL,
    arm TEXT NOT NULL,
    slot TEXT NOT NULL,
    product TEXT,
    campaign TEXT NOT NULL,
    flow TEXT,
    step TEXT,
    currency TEXT NOT NULL,
    revenue REAL NOT NULL,
    click_at INTEGER NOT NULL,
    at INTEGER NOT NULL,
    PRIMARY KEY (order_id, block_id)
  ) STRICT;
  CREATE INDEX learn_orders_block ON learn_orders(block_id, at);
  CREATE TABLE learn_models (
    name TEXT PRIMARY KEY,
    json TEXT NOT NULL,
    at INTEGER NOT NULL
  ) STRICT;
  `,
  // 25: flows. Every version of each definition; runs with their timer (wake_at) and a lease
  // (claimed_until) so each due timer is taken by one scheduler pass and a crashed one's claim
  // lapses; what each step did; counters per flow and step; sends for conversions; the products
  // people watch (catalog triggers).
  `
  CREATE TABLE flows (
    id TEXT NOT NULL,
    version INTEGER NOT NULL,
    status TEXT NOT NULL,
    builtin TEXT,
    body TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    PRIMARY KEY (id, version)
  ) STRICT, WITHOUT ROWID;
  CREATE TABLE flow_runs (
    id TEXT PRIMARY KEY,
    flow_id TEXT NOT NULL,
    version INTEGER NOT NULL,
    profile_id TEXT NOT NULL,
    status TEXT NOT NULL,
    step_id TEXT NOT NULL,
    wake_at INTEGER,
    claimed_until INTEGER,
    waiting_for TEXT,
    data TEXT NOT NULL,
    started_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
  ) STRICT, WITHOUT ROWID;
  CREATE INDEX flow_runs_due ON flow_runs (wake_at) WHERE status = 'active';
  CREATE INDEX flow_runs_person ON flow_runs (profile_id, started_at);
  CREATE INDEX flow_runs_flow ON flow_runs (flow_id, profile_id, started_at);
  CREATE TABLE flow_steps (
    run_id TEXT NOT NULL,
    seq INTEGER NOT NULL,
    step_id TEXT NOT NULL,
    at INTEGER NOT NULL,
    outcome TEXT NOT NULL,
    detail TEXT,
    PRIMARY KEY (run_id, seq)
  ) STRICT, WITHOUT ROWID;
  CREATE TABLE flow_counters (
    flow_id TEXT NOT NULL,
    step_id TEXT NOT NULL,
    name TEXT NOT NULL,
    n REAL NOT NULL,
    PRIMARY KEY (flow_id, step_id, name)
  ) STRICT, WITHOUT ROWID;
  CREATE TABLE flow_sends (
    profile_id TEXT NOT NULL,
    at INTEGER NOT NULL,
    flow_id TEXT NOT NULL,
    step_id TEXT NOT NULL,
    run_id TEXT NOT NULL,
    PRIMARY KEY (profile_id, at, run_id, step_id)
  ) STRICT, WITHOUT ROWID;
  CREATE TABLE flow_watches (
    product_id TEXT NOT NULL,
    profile_id TEXT NOT NULL,
    kind TEXT NOT NULL,
    at INTEGER NOT NULL,
    PRIMARY KEY (product_id, profile_id, kind)
  ) STRICT, WITHOUT ROWID;
  `,
];
