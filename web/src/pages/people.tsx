import { useEffect, useState } from "preact/hooks";
import { api, download, type User } from "../api.js";
import { CLASS_LABEL } from "../chart.js";
import { ErrorBox, Field, when } from "../ui.js";

interface Profile {
  id: string;
  userId: string | null;
  identities: { userIds: string[]; anonymousIds: string[]; emails: string[]; recipientIds: string[] };
  traits: Record<string, unknown>;
  createdAt: number;
  lastSeenAt: number | null;
  cart: {
    items: { productId: string; name?: string; quantity: number; price?: number }[];
    value: number;
  } | null;
  consent: Record<string, unknown> | null;
  suppressions: unknown;
  email: Record<string, unknown>;
  engagement: { score?: number };
  history: {
    at: number;
    type: string;
    event?: string;
    productId?: string;
    value?: number;
    campaign?: string;
    class?: string;
  }[];
}

interface Send {
  id: string;
  status: string;
  template?: string;
  channel?: string;
  createdAt: number | string;
}

export function PeoplePage(props: { id?: string; user: User }) {
  const [q, setQ] = useState(props.id ?? "");
  const go = (e: Event) => {
    e.preventDefault();
    if (q.trim()) location.hash = `#/people/${encodeURIComponent(q.trim())}`;
  };
  return (
    <section>
      <h1>People</h1>
      <form class="search" aria-label="Find a person" onSubmit={go}>
        <Field label="Email, user id or profile id" id="person-q">
          <input id="person-q" type="search" value={q} onInput={(e) => setQ(e.currentTarget.value)} />
        </Field>
        <button class="primary" type="submit">
          Find
        </button>
      </form>
      {props.id && <Person key={props.id} id={props.id} user={props.user} />}
    </section>
  );
}

function Person({ id, user }: { id: string; user: User }) {
  const [p, setP] = useState<Profile | null>(null);
  const [sends, setSends] = useState<Send[]>([]);
  const [error, setError] = useState<unknown>(null);
  const [confirm, setConfirm] = useState("");
  const [erased, setErased] = useState(false);
  const enc = encodeURIComponent(id);
  useEffect(() => {
    api<Profile>(`/v1/profiles/${enc}`).then(setP, setError);
    api<{ sends: Send[] }>(`/v1/profiles/${enc}/sends`).then(
      (r) => setSends(r.sends),
      () => {},
    );
  }, [id]);
  if (erased) return <p role="status">Erased. Nothing about this person is kept.</p>;
  if (error) return <ErrorBox error={error} />;
  if (!p) return <p>Loading…</p>;
  const name = p.identities.emails[0] ?? p.userId ?? p.id;
  const exportIt = async () =>
    download(`person-${p.id}.json`, JSON.stringify(await api(`/v1/profiles/${enc}/export`), null, 2));
  const erase = async (e: Event) => {
    e.preventDefault();
    try {
      await api(`/v1/profiles/${enc}`, { method: "DELETE" });
      setErased(true);
    } catch (err) {
      setError(err);
    }
  };
  const timeline = [
    ...p.history.map((h) => ({
      at: h.at,
      what: h.type === "email" ? `email ${h.event}` : h.type === "track" ? (h.event ?? "event") : h.type,
      detail: [
        h.campaign && `campaign ${h.campaign}`,
        h.productId,
        h.value !== undefined && `value ${h.value}`,
      ]
        .filter(Boolean)
        .join(", "),
      cls: h.class,
    })),
    ...sends.map((s) => ({
      at: typeof s.createdAt === "number" ? s.createdAt : Date.parse(s.createdAt),
      what: "send",
      detail: [s.template, s.channel, s.status].filter(Boolean).join(", "),
      cls: undefined,
    })),
  ].sort((a, b) => b.at - a.at);
  return (
    <article class="person">
      <h2>{name}</h2>
      <dl class="facts">
        <dt>Profile id</dt>
        <dd>{p.id}</dd>
        <dt>Emails</dt>
        <dd>{p.identities.emails.join(", ") || "–"}</dd>
        <dt>User ids</dt>
        <dd>{p.identities.userIds.join(", ") || "–"}</dd>
        <dt>First seen / last seen</dt>
        <dd>
          {when(p.createdAt)} / {when(p.lastSeenAt)}
        </dd>
        <dt>Engagement score</dt>
        <dd>{p.engagement?.score !== undefined ? p.engagement.score.toFixed(2) : "–"}</dd>
        <dt>Consent</dt>
        <dd>{p.consent ? JSON.stringify(p.consent) : "–"}</dd>
        <dt>Suppressed</dt>
        <dd>
          {p.suppressions &&
          JSON.stringify(p.suppressions) !== "[]" &&
          JSON.stringify(p.suppressions) !== "{}"
            ? JSON.stringify(p.suppressions)
            : "no"}
        </dd>
        <dt>Cart</dt>
        <dd>
          {p.cart?.items.length
            ? `${p.cart.items.map((i) => `${i.quantity}× ${i.name ?? i.productId}`).join(", ")} (${p.cart.value})`
            : "empty"}
        </dd>
      </dl>
      <h3>Timeline</h3>
      {timeline.length === 0 ? (
        <p class="muted">Nothing yet.</p>
      ) : (
        <ol class="timeline" id="timeline">
          {timeline.map((t) => (
            <li>
              <time dateTime={new Date(t.at).toISOString()}>{when(t.at)}</time> <strong>{t.what}</strong>
              {t.cls && (
                <span class={`badge ${t.cls === "human" ? "human" : "machine"}`}>
                  {CLASS_LABEL[t.cls] ?? t.cls}
                </span>
              )}
              {t.detail && <span class="muted"> {t.detail}</span>}
            </li>
          ))}
        </ol>
      )}
      {user.role === "admin" ? (
        <div class="danger panel">
          <h3>Data rights</h3>
          <div class="actions">
            <button type="button" onClick={exportIt}>
              Export everything (JSON)
            </button>
          </div>
          <form onSubmit={erase}>
            <Field label={`To erase this person for good, type ${p.id}`} id="erase-confirm">
              <input
                id="erase-confirm"
                value={confirm}
                onInput={(e) => setConfirm(e.currentTarget.value)}
                autoComplete="off"
              />
            </Field>
            <button class="danger" type="submit" disabled={confirm !== p.id}>
              Erase
            </button>
          </form>
        </div>
      ) : (
        <p class="muted">Export and erasure are for admins.</p>
      )}
    </article>
  );
}
