import type { Clock, Logger, RandomBytes } from "../ports/index.js";
import type { ChannelKind, Messenger, SendOutcome, SendRequest } from "../ports/messaging.js";
import type { Profile } from "../ports/profiles.js";
import type {
  Channel,
  OutboundMessage,
  SendChanges,
  SendingStore,
  SendRecord,
  SendWrite,
  TemplateRecord,
} from "../ports/sending.js";
import type { Profiles } from "../profiles/service.js";
import { CAMPAIGN_RE } from "../tracking/recipient.js";
import { type AckedBatches, createAckedBatches } from "../util/acked-batches.js";
import { base64url } from "../util/encoding.js";
import { TemplateError } from "./liquid.js";
import { Outbox } from "./outbox.js";
import {
  addressOf,
  capFreeAt,
  chooseChannels,
  HISTORY_MS,
  higherHolds,
  inQuiet,
  isUnengaged,
  quietUntil,
  unreachable,
} from "./policy.js";
import type { MessageRenderer } from "./render.js";
import { bestLocalHour, nextLocalHour, populationPrior, zoneOf } from "./send-time.js";
import type { SendingMetrics } from "./sending-metrics.js";
import type { SendingSettings } from "./settings.js";

export interface SendingServiceOptions {
  store: SendingStore;
  profiles: Pick<Profiles, "find">;
  /** The channel that carries each kind (routing: OPENTIME_SEND_EMAIL_VIA…); absent kinds cannot be used. */
  channels: ReadonlyMap<ChannelKind, Channel>;
  renderer: MessageRenderer;
  settings: SendingSettings;
  clock: Clock;
  random: RandomBytes;
  logger: Logger;
  metrics: SendingMetrics;
  maxInFlight?: number;
  /** The one-click unsubscribe URL of an email send attempt (absent: emails carry none). */
  unsubscribeUrl?: (sendId: string) => Promise<string>;
}

/**
 * Attempt writes (decisions, outcomes) within this window share one transaction: on SQLite
 * each commit is an fsync that blocks the thread, so one per send would bound sending.
 */
const WRITE_WINDOW_MS = 4;
/** Most of a person's recent attempts read per decision (caps, holds, answers per channel). */
const MAX_HISTORY = 500;

/**
 * The Messenger flows call: decides whether, when and how a message goes (consent,
 * suppression, caps, quiet hours, priority, channel), renders it, and hands it to the
 * outbox. One decision per person at a time, so two flows cannot both take the last slot
 * under a cap. Every request leaves one attempt row, found again by its key: a repeat of
 * a key answers what was decided, and never sends twice.
 */
export class SendingService implements Messenger {
  readonly outbox: Outbox;
  private readonly writes: AckedBatches<SendWrite>;
  private readonly locks = new Map<string, Promise<unknown>>();
  private readonly prior: number[];

  constructor(private readonly o: SendingServiceOptions) {
    this.writes = createAckedBatches((batch) => o.store.sends.write(batch), { windowMs: WRITE_WINDOW_MS });
    this.prior = populationPrior(o.settings.defaultHour);
    this.outbox = new Outbox({
      log: o.store.sends,
      writes: this.writes,
      channels: o.channels,
      settings: o.settings,
      clock: o.clock,
      random: o.random,
      logger: o.logger,
      metrics: o.metrics,
      recheck: (row) => this.recheck(row),
      maxInFlight: o.maxInFlight,
    });
  }

  async send(req: SendRequest): Promise<SendOutcome> {
    const invalid = invalidRequest(req);
    if (invalid) return this.count({ status: "failed", reason: invalid });
    return this.count(await this.exclusive(req.person, () => this.decide(req)));
  }

  async bestTime(person: string, after: number): Promise<number> {
    const p = await this.o.profiles.find(person, { history: false });
    const zone = zoneOf(p, this.o.settings.defaultZone);
    const q = this.o.settings.quietHours;
    // An hour inside email's quiet hours is never the best: the send would only be deferred.
    const allowed = (h: number) =>
      !q || !this.o.settings.quietChannels.includes("email") || !inQuiet(q, h * 60 + 30);
    return nextLocalHour(zone, bestLocalHour(p, zone, after, this.prior, allowed), after);
  }

  /** Deletes every attempt of a person (erasure). */
  erase(profileId: string): Promise<void> {
    return this.exclusive(profileId, () => this.writes.add({ erase: profileId }));
  }

  /** A dead letter queued again (rendered again when it died before it had a message). */
  async retry(id: string): Promise<SendRecord | "not_found" | "not_dead" | { failed: string }> {
    const row = await this.o.store.sends.get(id);
    if (!row) return "not_found";
    return this.exclusive(row.person, async () => {
      const fresh = await this.o.store.sends.get(id);
      if (fresh?.status !== "dead") return "not_dead";
      const now = this.o.clock.now();
      let message = fresh.message;
      let templateVersion = fresh.templateVersion;
      if (!message) {
        const p = await this.o.profiles.find(fresh.profileId, { history: false });
        const t = await this.o.store.templates.get(fresh.template);
        if (!p || !t || !fresh.channel)
          return { failed: !t ? `template ${fresh.template} not found` : "no channel" };
        try {
          message = await this.message(fresh, p, t, fresh.channel);
          templateVersion = t.version;
        } catch (err) {
          if (err instanceof TemplateError) return { failed: `template: ${err.message}` };
          throw err;
        }
      }
      const set: SendChanges = {
        status: "queued",
        reason: null,
        tries: 0,
        nextAt: now,
        message,
        templateVersion,
        updatedAt: now,
      };
      await this.writes.add({ update: id, set });
      const queued = { ...fresh, ...set };
      this.outbox.enqueue(queued);
      return queued;
    });
  }

  private async decide(req: SendRequest): Promise<SendOutcome> {
    const { store, clock, settings } = this.o;
    const existing = await store.sends.byKey(req.key);
    if (existing && existing.status !== "deferred") return outcomeOf(existing);
    const now = clock.now();
    const p = await this.o.profiles.find(req.person, { history: false });
    const row = existing ?? this.newRecord(req, p?.id ?? req.person, now);
    if (!p) return this.finish(row, existing, { status: "skipped", reason: "no_channel" }, now);
    const template = await store.templates.get(req.template);
    if (!template)
      return this.finish(
        row,
        existing,
        { status: "failed", reason: `template ${req.template} not found` },
        now,
      );
    if (req.deadline !== undefined && now > req.deadline)
      return this.finish(row, existing, { status: "skipped", reason: "deadline_passed" }, now);

    const history = await store.sends.ofPerson(p.id, { since: now - HISTORY_MS, limit: MAX_HISTORY });
    const choice = chooseChannels(
      p,
      template,
      req.channels,
      history,
      settings,
      new Set(this.o.channels.keys()),
    );
    const channel = choice.usable[0];
    if (!channel) return this.finish(row, existing, { status: "skipped", reason: choice.blocked }, now);

    // The earliest instant both outside quiet hours and under every cap.
    const zone = zoneOf(p, settings.defaultZone);
    const unengaged = isUnengaged(p, channel, history, now);
    const holds = higherHolds(history, channel, req.key, req.priority, now);
    let at = now;
    let why: "quiet_hours" | "frequency_cap" = "quiet_hours";
    for (let i = 0; i < 8; i++) {
      const quiet = quietUntil(settings, channel, zone, at);
      if (quiet > at) why = "quiet_hours";
      const free = capFreeAt(
        history,
        channel,
        req.source.flowId,
        settings,
        quiet,
        unengaged,
        quiet === now ? holds : 0,
      );
      if (free > quiet) why = "frequency_cap";
      if (free === at) break;
      at = free;
    }
    if (at > now) {
      const late = req.deadline !== undefined && at > req.deadline;
      if (!Number.isFinite(at) || late)
        return this.finish(
          row,
          existing,
          { status: "skipped", reason: why === "quiet_hours" ? "deadline_passed" : "frequency_cap" },
          now,
        );
      row.channel = channel;
      return this.finish(row, existing, { status: "deferred", until: at, reason: why }, now);
    }

    let message: OutboundMessage;
    try {
      message = await this.message(row, p, template, channel);
    } catch (err) {
      if (!(err instanceof TemplateError)) throw err;
      row.channel = channel;
      return this.finish(row, existing, { status: "failed", reason: `template: ${err.message}` }, now);
    }
    const accepted: SendChanges = {
      status: "queued",
      reason: null,
      channel,
      provider: this.o.channels.get(channel)!.provider,
      u: message.to.u,
      templateVersion: template.version,
      message,
      nextAt: now,
      acceptedAt: now,
      updatedAt: now,
    };
    await this.save(row, existing, accepted);
    this.outbox.enqueue({ ...row, ...accepted });
    return { status: "accepted", attemptId: row.id, channel };
  }

  /** Records a decision that sends nothing now (deferred, skipped, dead) and answers it. */
  private async finish(
    row: SendRecord,
    existing: SendRecord | null,
    out: Exclude<SendOutcome, { status: "accepted" }>,
    now: number,
  ): Promise<SendOutcome> {
    const set: SendChanges =
      out.status === "deferred"
        ? { status: "deferred", reason: out.reason, nextAt: out.until, channel: row.channel, updatedAt: now }
        : out.status === "skipped"
          ? { status: "skipped", reason: out.reason, nextAt: null, channel: row.channel, updatedAt: now }
          : { status: "dead", reason: out.reason, nextAt: null, channel: row.channel, updatedAt: now };
    await this.save(row, existing, set);
    return out;
  }

  private save(row: SendRecord, existing: SendRecord | null, set: SendChanges): Promise<void> {
    return this.writes.add(existing ? { update: row.id, set } : { insert: { ...row, ...set } });
  }

  private async message(
    row: SendRecord,
    p: Profile,
    t: TemplateRecord,
    channel: ChannelKind,
  ): Promise<OutboundMessage> {
    const email = addressOf(p, "email");
    // opentime's links carry the address (what ESP merge tags put there too), else the profile id.
    const u = email ?? p.id;
    const unsubscribeUrl = channel === "email" ? await this.o.unsubscribeUrl?.(row.id) : undefined;
    const rendered = await this.o.renderer.render({
      template: t,
      profile: p,
      u,
      campaign: row.campaign,
      sendId: row.id,
      data: row.request.data,
      ...(unsubscribeUrl ? { unsubscribeUrl } : {}),
    });
    const phone = addressOf(p, "sms");
    return {
      sendId: row.id,
      key: row.key,
      channel,
      to: {
        profileId: p.id,
        u,
        ...(email ? { email } : {}),
        ...(phone ? { phone } : {}),
        ...(p.userId ? { userId: p.userId } : {}),
      },
      campaign: row.campaign,
      template: { id: t.id, version: t.version, name: t.name },
      ...(t.from ? { from: t.from } : {}),
      ...(t.replyTo ? { replyTo: t.replyTo } : {}),
      ...rendered,
      ...(t.esp ? { esp: t.esp } : {}),
      ...(unsubscribeUrl ? { unsubscribeUrl } : {}),
      data: row.request.data,
    };
  }

  private newRecord(req: SendRequest, profileId: string, now: number): SendRecord {
    return {
      id: `s_${base64url(this.o.random(12))}`,
      key: req.key,
      profileId,
      person: req.person,
      status: "deferred",
      reason: null,
      channel: null,
      provider: null,
      providerId: null,
      u: null,
      template: req.template,
      templateVersion: null,
      campaign: req.campaign,
      flowId: req.source.flowId,
      stepId: req.source.stepId,
      runId: req.source.runId,
      priority: req.priority,
      deadline: req.deadline ?? null,
      request: { channels: req.channels, data: req.data, flowVersion: req.source.flowVersion },
      message: null,
      tries: 0,
      nextAt: null,
      createdAt: now,
      acceptedAt: null,
      sentAt: null,
      updatedAt: now,
      events: {},
    };
  }

  /** At the moment of sending (a retry, a send resumed after a restart): still allowed? */
  private async recheck(row: SendRecord): Promise<"suppressed" | "no_consent" | null> {
    if (!row.channel) return null;
    const p = await this.o.profiles.find(row.profileId, { history: false });
    if (!p) return null;
    const b = unreachable(p, row.channel, this.o.settings);
    return b === "suppressed" || b === "no_consent" ? b : null;
  }

  private count(out: SendOutcome): SendOutcome {
    const reason =
      out.status === "skipped" || out.status === "deferred"
        ? out.reason
        : out.status === "failed"
          ? "failed"
          : "";
    this.o.metrics.decisions.inc({ outcome: out.status, reason });
    return out;
  }

  private exclusive<T>(person: string, fn: () => Promise<T>): Promise<T> {
    const key = person.trim().toLowerCase();
    const prev = this.locks.get(key) ?? Promise.resolve();
    const next = prev.then(fn, fn);
    const tail = next.catch(() => undefined);
    this.locks.set(key, tail);
    void tail.then(() => {
      if (this.locks.get(key) === tail) this.locks.delete(key);
    });
    return next;
  }
}

/** What a key's attempt answers when it is asked for again. */
function outcomeOf(r: SendRecord): SendOutcome {
  switch (r.status) {
    case "queued":
    case "sent":
      return { status: "accepted", attemptId: r.id, channel: r.channel! };
    case "skipped":
      return {
        status: "skipped",
        reason: (r.reason ?? "no_channel") as Extract<SendOutcome, { status: "skipped" }>["reason"],
      };
    default:
      return { status: "failed", reason: r.reason ?? "failed" };
  }
}

function invalidRequest(req: SendRequest): string | null {
  if (!req.key || req.key.length > 256) return "invalid request: key must be 1-256 characters";
  if (!req.person || req.person.length > 320) return "invalid request: person must be 1-320 characters";
  if (!CAMPAIGN_RE.test(req.campaign))
    return "invalid request: campaign must be 1-128 of A-Z a-z 0-9 . _ : ~ -";
  if (!Number.isFinite(req.priority) || req.priority < 0 || req.priority > 100)
    return "invalid request: priority must be 0-100";
  if (req.channels !== "auto" && req.channels.length === 0) return "invalid request: no channels";
  return null;
}
