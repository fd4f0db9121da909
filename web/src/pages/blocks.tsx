import { useEffect, useState } from "preact/hooks";
import { DIALECTS, type Dialect, recipientTag } from "../../../src/core/wrap/dialects.js";
import { ApiFailure, api, type Block, type User } from "../api.js";
import { BLOCK_SPECS, type FieldSpec, getPath, setPath } from "../blocks-spec.js";
import { ErrorBox, Field, TableWrap, when } from "../ui.js";

export function BlocksPage(props: { id?: string; user: User }) {
  if (props.id?.startsWith("new-"))
    return <BlockEditor key={props.id} type={props.id.slice(4)} user={props.user} />;
  if (props.id) return <LoadBlock key={props.id} id={props.id} user={props.user} />;
  return <BlockList />;
}

function NewButtons() {
  return (
    <div class="actions">
      {Object.entries(BLOCK_SPECS).map(([type, s]) => (
        <a class="button" href={`#/blocks/new-${type}`}>
          New {s.title.toLowerCase()}
        </a>
      ))}
    </div>
  );
}

function BlockList() {
  const [blocks, setBlocks] = useState<Block[] | null>(null);
  const [error, setError] = useState<unknown>(null);
  useEffect(() => {
    api<{ blocks: Block[] }>("/v1/blocks").then((r) => setBlocks(r.blocks), setError);
  }, []);
  return (
    <section>
      <h1>Blocks</h1>
      <ErrorBox error={error} />
      {blocks && blocks.length === 0 && (
        <div class="empty">
          <h2>No live images yet</h2>
          <p>
            A countdown timer is the quickest start: pick an end time, preview it, and paste the snippet into
            your email.
          </p>
          <a class="button primary big" href="#/blocks/new-countdown">
            Create your first timer
          </a>
        </div>
      )}
      {blocks && blocks.length > 0 && (
        <>
          <NewButtons />
          <TableWrap>
            <table>
              <caption class="sr-only">Your blocks, most recently changed first</caption>
              <thead>
                <tr>
                  <th scope="col">Block</th>
                  <th scope="col">Type</th>
                  <th scope="col">Campaign</th>
                  <th scope="col">Changed</th>
                </tr>
              </thead>
              <tbody>
                {blocks.map((b) => (
                  <tr>
                    <td>
                      <a href={`#/blocks/${b.id}`}>
                        {String(b.options.headline ?? b.options.productId ?? b.id)}
                      </a>
                    </td>
                    <td>{BLOCK_SPECS[b.type]?.title ?? b.type}</td>
                    <td>
                      <a href={`#/campaigns/${encodeURIComponent(String(b.options.campaign ?? b.id))}`}>
                        {String(b.options.campaign ?? b.id)}
                      </a>
                    </td>
                    <td>{when(b.updatedAt)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </TableWrap>
        </>
      )}
      {!blocks && !error && <p>Loading…</p>}
    </section>
  );
}

function LoadBlock(props: { id: string; user: User }) {
  const [block, setBlock] = useState<Block | null>(null);
  const [error, setError] = useState<unknown>(null);
  useEffect(() => {
    api<Block>(`/v1/blocks/${encodeURIComponent(props.id)}`).then(setBlock, setError);
  }, [props.id]);
  if (error) return <ErrorBox error={error} />;
  if (!block) return <p>Loading…</p>;
  return <BlockEditor type={block.type} initial={block} user={props.user} />;
}

const covered = (spec: FieldSpec[]) => new Set(spec.map((f) => f.key.split(".")[0]!));

function BlockEditor(props: { type: string; initial?: Block; user: User }) {
  const spec = BLOCK_SPECS[props.type];
  const [block, setBlock] = useState<Block | null>(props.initial ?? null);
  const [values, setValues] = useState<Record<string, string>>(() => {
    const v: Record<string, string> = {};
    for (const f of spec?.fields ?? []) {
      const cur = props.initial ? getPath(props.initial.options, f.key) : undefined;
      v[f.key] = cur !== undefined ? String(cur) : props.initial ? "" : (f.initial?.() ?? "");
    }
    return v;
  });
  const [extra, setExtra] = useState(() => {
    if (!props.initial || !spec) return "";
    const top = covered(spec.fields);
    const rest = Object.fromEntries(Object.entries(props.initial.options).filter(([k]) => !top.has(k)));
    return Object.keys(rest).length ? JSON.stringify(rest, null, 2) : "";
  });
  const [error, setError] = useState<unknown>(null);
  const [saved, setSaved] = useState("");
  if (!spec) return <ErrorBox error={`No builder for "${props.type}"`} />;

  const options = (): Record<string, unknown> => {
    let o: Record<string, unknown> = {};
    if (extra.trim()) {
      const parsed = JSON.parse(extra) as unknown;
      if (!parsed || typeof parsed !== "object" || Array.isArray(parsed))
        throw new Error("Advanced options must be a JSON object");
      o = parsed as Record<string, unknown>;
    }
    for (const f of spec.fields) {
      const raw = values[f.key]?.trim() ?? "";
      if (raw === "") continue;
      setPath(o, f.key, f.kind === "number" ? Number(raw) : raw);
    }
    return o;
  };
  const issues =
    error instanceof ApiFailure ? (error.details as string[]).filter((d) => typeof d === "string") : [];
  const fieldError = (key: string) =>
    issues
      .find((i) => i.startsWith(`${key}:`) || i.startsWith(`${key.split(".")[0]}:`))
      ?.replace(/^[^:]*:\s*/, "");

  const save = async (e: Event) => {
    e.preventDefault();
    setError(null);
    setSaved("");
    try {
      const o = options();
      let b: Block;
      if (block) {
        const patch: Record<string, unknown> = { ...o };
        for (const k of Object.keys(block.options)) if (!(k in o)) patch[k] = null;
        b = await api<Block>(`/v1/blocks/${block.id}`, { method: "PATCH", json: { options: patch } });
      } else {
        b = await api<Block>("/v1/blocks", { method: "POST", json: { type: props.type, options: o } });
        history.replaceState(null, "", `#/blocks/${b.id}`);
      }
      setBlock(b);
      setSaved(`Saved (version ${b.version})`);
    } catch (err) {
      setError(err);
    }
  };

  return (
    <section>
      <h1>{block ? spec.title : `New ${spec.title.toLowerCase()}`}</h1>
      <div class="builder">
        <form class="panel" onSubmit={save} aria-label="Options" noValidate>
          <h2>Options</h2>
          {spec.fields.map((f) => {
            const id = `opt-${f.key.replace(/\./g, "-")}`;
            const err = fieldError(f.key);
            const common = {
              id,
              value: values[f.key] ?? "",
              "aria-invalid": err ? true : undefined,
              "aria-describedby":
                [f.hint && `${id}-hint`, err && `${id}-err`].filter(Boolean).join(" ") || undefined,
              onInput: (e: Event) =>
                setValues({ ...values, [f.key]: (e.currentTarget as HTMLInputElement).value }),
            };
            return (
              <Field label={f.label} id={id} hint={f.hint} error={err}>
                {f.kind === "select" ? (
                  <select {...common}>
                    <option value="">(default)</option>
                    {f.choices!.map((c) => (
                      <option value={c}>{c}</option>
                    ))}
                  </select>
                ) : (
                  <input
                    {...common}
                    type={
                      (f.kind === "datetime"
                        ? "datetime-local"
                        : f.kind === "number"
                          ? "number"
                          : "text") as "text"
                    }
                    step={f.kind === "number" ? "any" : undefined}
                  />
                )}
              </Field>
            );
          })}
          <Field
            label="Advanced options (JSON)"
            id="opt-extra"
            hint="Anything else the API takes: variants, slots, content, …"
          >
            <textarea
              id="opt-extra"
              rows={4}
              value={extra}
              onInput={(e) => setExtra(e.currentTarget.value)}
              spellcheck={false}
            />
          </Field>
          <ErrorBox error={error} />
          <div class="actions">
            <button class="primary" type="submit">
              {block ? "Save changes" : "Save and preview"}
            </button>
            <span role="status">{saved}</span>
          </div>
        </form>
        <div class="side">
          {block ? (
            <>
              <Preview block={block} />
              <Snippet block={block} user={props.user} />
            </>
          ) : (
            <p class="panel muted">Save to see the preview and get the snippet for your email.</p>
          )}
        </div>
      </div>
    </section>
  );
}

const DEVICES: Record<string, string> = {
  "Desktop (Chrome)":
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36",
  "iPhone (Apple Mail)":
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148",
  "Android (Gmail)":
    "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Mobile Safari/537.36",
  "Outlook for Windows": "Microsoft Outlook 16.0.17328; Windows NT 10.0",
};

function Preview({ block }: { block: Block }) {
  const [u, setU] = useState("");
  const [at, setAt] = useState("");
  const [device, setDevice] = useState(Object.keys(DEVICES)[0]!);
  const [variant, setVariant] = useState("");
  const [img, setImg] = useState<{ src: string; note: string } | null>(null);
  const variants = Array.isArray(block.options.variants)
    ? (block.options.variants as { name?: string }[]).map((v) => v.name).filter((n): n is string => !!n)
    : [];
  useEffect(() => {
    const q = new URLSearchParams();
    if (u) q.set("u", u);
    if (at) q.set("at", new Date(at).toISOString());
    q.set("ua", DEVICES[device]!);
    if (variant) q.set("variant", variant);
    q.set("v", String(block.version));
    const ext = block.type === "countdown" ? "gif" : "png";
    let url = "";
    let live = true;
    const t = setTimeout(async () => {
      const res = await fetch(`/v1/blocks/${block.id}/preview.${ext}?${q}`, { credentials: "same-origin" });
      if (!live) return;
      if (!res.ok) {
        const e = await res.json().catch(() => null);
        setImg({ src: "", note: e?.error?.message ?? `HTTP ${res.status}` });
        return;
      }
      url = URL.createObjectURL(await res.blob());
      const fb = res.headers.get("x-opentime-fallback");
      const shown = res.headers.get("x-opentime-variant");
      setImg({ src: url, note: fb ? `Fallback image shown: ${fb}` : shown ? `Variant shown: ${shown}` : "" });
    }, 250);
    return () => {
      live = false;
      clearTimeout(t);
      if (url) URL.revokeObjectURL(url);
    };
  }, [block.id, block.version, u, at, device, variant]);
  return (
    <div class="panel">
      <h2>Preview</h2>
      <div class="grid2">
        <Field label="As recipient" id="pv-u" hint="Email or id; empty: anonymous">
          <input id="pv-u" value={u} onInput={(e) => setU(e.currentTarget.value)} />
        </Field>
        <Field label="At time" id="pv-at" hint="Empty: now">
          <input id="pv-at" type="datetime-local" value={at} onInput={(e) => setAt(e.currentTarget.value)} />
        </Field>
        <Field label="Device" id="pv-device">
          <select id="pv-device" value={device} onInput={(e) => setDevice(e.currentTarget.value)}>
            {Object.keys(DEVICES).map((d) => (
              <option value={d}>{d}</option>
            ))}
          </select>
        </Field>
        <Field label="Variant" id="pv-variant">
          <select id="pv-variant" value={variant} onInput={(e) => setVariant(e.currentTarget.value)}>
            <option value="">As the rules choose</option>
            {["default", ...variants].map((v) => (
              <option value={v}>{v}</option>
            ))}
          </select>
        </Field>
      </div>
      <div class="preview" aria-live="polite">
        {img?.src ? (
          <img id="preview-img" src={img.src} alt={`Preview of the ${block.type} block`} />
        ) : (
          <p class="muted">{img?.note || "Rendering…"}</p>
        )}
        {img?.src && img.note && <p class="muted">{img.note}</p>}
      </div>
    </div>
  );
}

const escapeAttr = (s: string) => s.replace(/&/g, "&amp;").replace(/"/g, "&quot;").replace(/</g, "&lt;");

function Snippet({ block, user }: { block: Block; user: User }) {
  const [dialect, setDialect] = useState<Dialect>("mailchimp");
  const [field, setField] = useState<"email" | "id">("email");
  const [dest, setDest] = useState("");
  const [alt, setAlt] = useState("");
  const [link, setLink] = useState<{ dest: string; url: string } | null>(null);
  const [key, setKey] = useState<string | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [copied, setCopied] = useState("");
  const spec = BLOCK_SPECS[block.type]!;
  useEffect(() => {
    if (spec.profile && user.role === "admin")
      api<{ key: string }>("/v1/recipients/key").then(
        (r) => setKey(r.key),
        () => {},
      );
  }, [spec.profile, user.role]);
  useEffect(() => {
    if (!dest) return setLink(null);
    const t = setTimeout(() => {
      const campaign = String(block.options.campaign ?? block.id);
      api<{ url: string }>("/v1/links", { method: "POST", json: { url: dest, campaign } }).then((r) => {
        setError(null);
        setLink({ dest, url: r.url });
      }, setError);
    }, 400);
    return () => clearTimeout(t);
  }, [dest]);

  const tag = recipientTag(dialect, field);
  const q = tag ? `?u=${tag}` : "";
  // Profile content needs `us`, the recipient's proof (HMAC-SHA256 of u with the recipient key).
  let us = "";
  let usNote = "";
  if (spec.profile && tag) {
    const liquid = dialect === "braze" || dialect === "customerio";
    if (liquid && key)
      us = `&us=${tag.replace(/\}\}$/, ` | downcase | hmac_sha256: '${key}'}}`).replace(/ \| url_param_escape| \| url_encode/, "")}`;
    else {
      us = "&us=RECIPIENT_PROOF";
      usNote =
        user.role === "admin"
          ? "Replace RECIPIENT_PROOF with the hex HMAC-SHA256 of the recipient (as in u, lowercased) under the recipient key from GET /v1/recipients/key, computed by your ESP or sending system. Without it the image shows its defaults."
          : "This block reads people's profiles: ask an admin for the recipient proof (us) your ESP should add. Without it the image shows its defaults.";
    }
  }
  const [w, h] = [Number(block.options.width ?? spec.size[0]), Number(block.options.height ?? spec.size[1])];
  const img = `<img src="${escapeAttr(`${block.url}${q}${us}`)}" width="${w}" height="${h}" alt="${escapeAttr(alt)}" style="display:block;border:0;max-width:100%;height:auto">`;
  const snippet = link && link.dest === dest ? `<a href="${escapeAttr(`${link.url}${q}`)}">${img}</a>` : img;
  const copy = async () => {
    try {
      await navigator.clipboard.writeText(snippet);
      setCopied("Copied to the clipboard");
    } catch {
      (document.getElementById("snippet") as HTMLTextAreaElement | null)?.select();
      setCopied("Selected: press Ctrl+C (⌘C) to copy");
    }
  };
  return (
    <div class="panel">
      <h2>Snippet for your email</h2>
      <div class="grid2">
        <Field label="Your ESP" id="sn-dialect">
          <select
            id="sn-dialect"
            value={dialect}
            onInput={(e) => setDialect(e.currentTarget.value as Dialect)}
          >
            {DIALECTS.map((d) => (
              <option value={d}>{d}</option>
            ))}
          </select>
        </Field>
        <Field label="Recipient by" id="sn-field">
          <select
            id="sn-field"
            value={field}
            onInput={(e) => setField(e.currentTarget.value as "email" | "id")}
          >
            <option value="email">email</option>
            <option value="id">id</option>
          </select>
        </Field>
        <Field label="Link to (optional)" id="sn-dest" hint="Clicks on the image go here, tracked">
          <input
            id="sn-dest"
            type="url"
            placeholder="https://shop.example/sale"
            value={dest}
            onInput={(e) => setDest(e.currentTarget.value)}
          />
        </Field>
        <Field label="Alt text" id="sn-alt">
          <input id="sn-alt" value={alt} onInput={(e) => setAlt(e.currentTarget.value)} />
        </Field>
      </div>
      <ErrorBox error={error} />
      <Field label="HTML" id="snippet">
        <textarea id="snippet" rows={5} readOnly value={snippet} spellcheck={false} />
      </Field>
      {usNote && <p class="note">{usNote}</p>}
      <div class="actions">
        <button class="primary" type="button" onClick={copy}>
          Copy snippet
        </button>
        <a
          class="button"
          href={`#/campaigns/${encodeURIComponent(String(block.options.campaign ?? block.id))}`}
        >
          See its opens and clicks
        </a>
        <span role="status">{copied}</span>
      </div>
    </div>
  );
}
