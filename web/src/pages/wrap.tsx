import { useState } from "preact/hooks";
import { DIALECTS, type Dialect } from "../../../src/core/wrap/dialects.js";
import { api, download } from "../api.js";
import { ErrorBox, Field, TableWrap } from "../ui.js";

interface WrapResult {
  html: string;
  links: { url: string; trackedUrl: string; count: number }[];
  skipped: { url: string; reason: string; detail?: string }[];
}

const REASONS: Record<string, string> = {
  merge_tag: "holds an ESP merge tag (filled in per recipient)",
  unsubscribe: "an unsubscribe link (left to the ESP)",
  mailto: "not a web link",
  anchor: "a link within the page",
  skip_attribute: "marked data-opentime-skip",
  own: "already an opentime link",
};

export function WrapPage() {
  const [html, setHtml] = useState("");
  const [dialect, setDialect] = useState<Dialect>("mailchimp");
  const [campaign, setCampaign] = useState("");
  const [field, setField] = useState<"email" | "id">("email");
  const [result, setResult] = useState<WrapResult | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);

  const wrap = async (e: Event) => {
    e.preventDefault();
    setError(null);
    setBusy(true);
    try {
      setResult(
        await api<WrapResult>("/v1/emails/wrap", {
          method: "POST",
          json: { html, dialect, campaign, recipientField: field },
        }),
      );
    } catch (err) {
      setError(err);
      setResult(null);
    } finally {
      setBusy(false);
    }
  };
  const upload = async (e: Event) => {
    const f = (e.currentTarget as HTMLInputElement).files?.[0];
    if (f) setHtml(await f.text());
  };
  return (
    <section>
      <h1>Email wrapper</h1>
      <p>
        Paste your ESP's HTML: every link becomes a tracked link carrying the recipient, and an open pixel is
        added.
      </p>
      <form class="panel" onSubmit={wrap}>
        <div class="grid2">
          <Field label="Campaign" id="wr-campaign" hint="Letters, digits and . _ : ~ -">
            <input
              id="wr-campaign"
              required
              value={campaign}
              onInput={(e) => setCampaign(e.currentTarget.value)}
            />
          </Field>
          <Field label="Your ESP" id="wr-dialect">
            <select
              id="wr-dialect"
              value={dialect}
              onInput={(e) => setDialect(e.currentTarget.value as Dialect)}
            >
              {DIALECTS.map((d) => (
                <option value={d}>{d}</option>
              ))}
            </select>
          </Field>
          <Field label="Recipient by" id="wr-field">
            <select
              id="wr-field"
              value={field}
              onInput={(e) => setField(e.currentTarget.value as "email" | "id")}
            >
              <option value="email">email</option>
              <option value="id">id</option>
            </select>
          </Field>
          <Field label="Or upload an .html file" id="wr-file">
            <input id="wr-file" type="file" accept=".html,.htm,text/html" onChange={upload} />
          </Field>
        </div>
        <Field label="Email HTML" id="wr-html">
          <textarea
            id="wr-html"
            rows={10}
            required
            value={html}
            onInput={(e) => setHtml(e.currentTarget.value)}
            spellcheck={false}
          />
        </Field>
        <ErrorBox error={error} />
        <button class="primary" type="submit" disabled={busy}>
          Wrap links
        </button>
      </form>
      {result && (
        <div class="panel" id="wrap-result">
          <h2>
            {result.links.length} link{result.links.length === 1 ? "" : "s"} tracked, {result.skipped.length}{" "}
            left as they were
          </h2>
          <div class="actions">
            <button
              class="primary"
              type="button"
              onClick={() => download(`${campaign || "email"}-wrapped.html`, result.html, "text/html")}
            >
              Download wrapped HTML
            </button>
          </div>
          <TableWrap>
            <table id="tracked-links">
              <caption>Tracked</caption>
              <thead>
                <tr>
                  <th scope="col">Destination</th>
                  <th scope="col" class="num">
                    Times in the email
                  </th>
                </tr>
              </thead>
              <tbody>
                {result.links.map((l) => (
                  <tr>
                    <td class="url">{l.url}</td>
                    <td class="num">{l.count}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </TableWrap>
          {result.skipped.length > 0 && (
            <TableWrap>
              <table id="skipped-links">
                <caption>Not tracked, and why</caption>
                <thead>
                  <tr>
                    <th scope="col">Link</th>
                    <th scope="col">Why</th>
                  </tr>
                </thead>
                <tbody>
                  {result.skipped.map((s) => (
                    <tr>
                      <td class="url">{s.url}</td>
                      <td>
                        {REASONS[s.reason] ?? s.reason}
                        {s.detail ? ` (${s.detail})` : ""}
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </TableWrap>
          )}
        </div>
      )}
    </section>
  );
}
