import { useEffect, useRef, useState } from "preact/hooks";
import { api, type Block, type CampaignStats, type Series } from "../api.js";
import { CLASS_LABEL, ClassChart } from "../chart.js";
import { ErrorBox, fmt, pct, TableWrap } from "../ui.js";

export function CampaignsPage(props: { id?: string }) {
  return props.id ? <Campaign key={props.id} id={props.id} /> : <CampaignList />;
}

function CampaignList() {
  const [list, setList] = useState<{ campaign: string; opens: number; clicks: number }[] | null>(null);
  const [error, setError] = useState<unknown>(null);
  useEffect(() => {
    api<{ campaigns: typeof list }>("/v1/campaigns").then((r) => setList(r.campaigns), setError);
  }, []);
  return (
    <section>
      <h1>Campaigns</h1>
      <ErrorBox error={error} />
      {list?.length === 0 && (
        <div class="empty">
          <h2>No opens or clicks yet</h2>
          <p>
            Campaigns appear here with their first open or click. Put a timer or a wrapped email in front of
            people first.
          </p>
          <a class="button primary big" href="#/blocks/new-countdown">
            Create your first timer
          </a>
        </div>
      )}
      {list && list.length > 0 && (
        <TableWrap>
          <table>
            <caption class="sr-only">Campaigns with their opens and clicks (all traffic)</caption>
            <thead>
              <tr>
                <th scope="col">Campaign</th>
                <th scope="col" class="num">
                  Opens
                </th>
                <th scope="col" class="num">
                  Clicks
                </th>
              </tr>
            </thead>
            <tbody>
              {list.map((c) => (
                <tr>
                  <td>
                    <a href={`#/campaigns/${encodeURIComponent(c.campaign)}`}>{c.campaign}</a>
                  </td>
                  <td class="num">{fmt(c.opens)}</td>
                  <td class="num">{fmt(c.clicks)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </TableWrap>
      )}
    </section>
  );
}

const RANGES: Record<string, number> = {
  "Last hour": 3_600_000,
  "Last 24 hours": 86_400_000,
  "Last 7 days": 7 * 86_400_000,
  "Last 30 days": 30 * 86_400_000,
};
const MACHINE = ["apple_mpp", "gmail_proxy", "yahoo_proxy", "scanner", "bot", "unknown"];
const sumMachines = (m: Record<string, number>) => MACHINE.reduce((s, c) => s + (m[c] ?? 0), 0);

function Campaign({ id }: { id: string }) {
  const [stats, setStats] = useState<CampaignStats | null>(null);
  const [series, setSeries] = useState<Series | null>(null);
  const [range, setRange] = useState("Last 24 hours");
  const [error, setError] = useState<unknown>(null);
  const [live, setLive] = useState<"connecting" | "live" | "offline">("connecting");
  const [news, setNews] = useState("");
  const last = useRef<CampaignStats | null>(null);
  const enc = encodeURIComponent(id);

  const loadSeries = () => {
    const to = Date.now();
    api<Series>(`/v1/campaigns/${enc}/series?from=${to - RANGES[range]!}&to=${to + 60_000}`).then(
      setSeries,
      setError,
    );
  };
  useEffect(loadSeries, [id, range]);
  useEffect(() => {
    api<CampaignStats>(`/v1/campaigns/${enc}/stats`).then((s) => {
      last.current ??= s;
      setStats(s);
    }, setError);
    const es = new EventSource(`/v1/campaigns/${enc}/live`);
    let timer: ReturnType<typeof setTimeout> | undefined;
    es.onopen = () => setLive("live");
    es.onerror = () => setLive("offline");
    es.addEventListener("stats", (ev) => {
      const s = JSON.parse((ev as MessageEvent).data) as CampaignStats;
      const before = last.current;
      if (before) {
        const dOpens = s.opens.total - before.opens.total;
        const dClicks = s.clicks.total - before.clicks.total;
        if (dOpens || dClicks)
          setNews(
            `New: ${dOpens} open${dOpens === 1 ? "" : "s"}, ${dClicks} click${dClicks === 1 ? "" : "s"} at ${new Date().toLocaleTimeString()}`,
          );
      }
      last.current = s;
      setStats(s);
      clearTimeout(timer);
      timer = setTimeout(loadSeries, 300);
    });
    return () => {
      es.close();
      clearTimeout(timer);
    };
  }, [id]);

  const humanOpens = stats?.opens.uniqueByClass.human ?? 0;
  const humanClicks = stats?.clicks.uniqueByClass.human ?? 0;
  return (
    <section>
      <p>
        <a href="#/campaigns">← Campaigns</a>
      </p>
      <h1>Campaign {id}</h1>
      <p class={`live ${live}`} role="status">
        {live === "live"
          ? "● Live: new opens and clicks appear as they arrive"
          : live === "connecting"
            ? "Connecting…"
            : "Live updates paused (reconnecting)"}
      </p>
      <p class="news" aria-live="polite" id="live-news">
        {news}
      </p>
      <ErrorBox error={error} />
      {stats && (
        <div class="cards">
          <Stat
            label="People who opened"
            value={humanOpens}
            sub={`${fmt(stats.opens.byClass.human ?? 0)} opens in all`}
            id="stat-human-opens"
          />
          <Stat
            label="Machine opens"
            value={sumMachines(stats.opens.byClass)}
            sub="Apple MPP, Gmail/Yahoo proxies, scanners, bots"
            id="stat-machine-opens"
          />
          <Stat
            label="People who clicked"
            value={humanClicks}
            sub={`${fmt(stats.clicks.byClass.human ?? 0)} clicks in all`}
            id="stat-human-clicks"
          />
          <Stat
            label="Machine clicks"
            value={sumMachines(stats.clicks.byClass)}
            sub="Link scanners and bots, set apart"
            id="stat-machine-clicks"
          />
          <Stat label="Click-to-open (people)" value={pct(humanClicks, humanOpens)} id="stat-ctor" />
        </div>
      )}
      <div class="actions">
        <label for="range">Period</label>
        <select id="range" value={range} onInput={(e) => setRange(e.currentTarget.value)}>
          {Object.keys(RANGES).map((r) => (
            <option value={r}>{r}</option>
          ))}
        </select>
      </div>
      {series && (
        <div class="charts">
          <ClassChart title="Opens" times={series.times} byClass={series.opens.byClass} />
          <ClassChart title="Clicks" times={series.times} byClass={series.clicks.byClass} />
        </div>
      )}
      {stats && <ClassTable stats={stats} />}
      <BlocksOf campaign={id} />
    </section>
  );
}

function Stat(props: { label: string; value: number | string; sub?: string; id: string }) {
  return (
    <div class="card" id={props.id}>
      <div class="card-label">{props.label}</div>
      <div class="card-value">{typeof props.value === "number" ? fmt(props.value) : props.value}</div>
      {props.sub && <div class="card-sub">{props.sub}</div>}
    </div>
  );
}

function ClassTable({ stats }: { stats: CampaignStats }) {
  const classes = ["human", ...MACHINE].filter(
    (c) => stats.opens.byClass[c] || stats.clicks.byClass[c] || c === "human",
  );
  return (
    <TableWrap>
      <table id="class-table">
        <caption>Who opened and clicked: people apart from machines</caption>
        <thead>
          <tr>
            <th scope="col">Traffic</th>
            <th scope="col" class="num">
              Opens
            </th>
            <th scope="col" class="num">
              Unique opens
            </th>
            <th scope="col" class="num">
              Clicks
            </th>
            <th scope="col" class="num">
              Unique clicks
            </th>
          </tr>
        </thead>
        <tbody>
          {classes.map((c) => (
            <tr data-class={c}>
              <th scope="row">{CLASS_LABEL[c] ?? c}</th>
              <td class="num">{fmt(stats.opens.byClass[c] ?? 0)}</td>
              <td class="num">{fmt(stats.opens.uniqueByClass[c] ?? 0)}</td>
              <td class="num">{fmt(stats.clicks.byClass[c] ?? 0)}</td>
              <td class="num">{fmt(stats.clicks.uniqueByClass[c] ?? 0)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </TableWrap>
  );
}

type VariantStats = { name: string; opens: number; uniqueRecipients: number; clicks: number };

function BlocksOf({ campaign }: { campaign: string }) {
  const [rows, setRows] = useState<{ block: Block; variants: VariantStats[] }[]>([]);
  useEffect(() => {
    api<{ blocks: Block[] }>("/v1/blocks").then(
      async (r) => {
        const mine = r.blocks.filter((b) => String(b.options.campaign ?? b.id) === campaign);
        setRows(
          await Promise.all(
            mine.map(async (block) => ({
              block,
              variants: (await api<{ variants: VariantStats[] }>(`/v1/blocks/${block.id}/stats`)).variants,
            })),
          ),
        );
      },
      () => {},
    );
  }, [campaign]);
  if (!rows.length) return null;
  return (
    <>
      <h2>Blocks and variants</h2>
      {rows.map(({ block, variants }) => {
        const best = variants.reduce<VariantStats | null>(
          (b, v) =>
            v.uniqueRecipients >= 20 && (!b || v.clicks / v.uniqueRecipients > b.clicks / b.uniqueRecipients)
              ? v
              : b,
          null,
        );
        return (
          <TableWrap>
            <table>
              <caption>
                <a href={`#/blocks/${block.id}`}>
                  {block.type} {block.id.slice(0, 8)}…
                </a>
                {best && ` — ahead: ${best.name}`}
              </caption>
              <thead>
                <tr>
                  <th scope="col">Variant</th>
                  <th scope="col" class="num">
                    Opens
                  </th>
                  <th scope="col" class="num">
                    Recipients
                  </th>
                  <th scope="col" class="num">
                    Clicks
                  </th>
                  <th scope="col" class="num">
                    Clicks per recipient
                  </th>
                </tr>
              </thead>
              <tbody>
                {variants.map((v) => (
                  <tr>
                    <th scope="row">{v.name}</th>
                    <td class="num">{fmt(v.opens)}</td>
                    <td class="num">{fmt(v.uniqueRecipients)}</td>
                    <td class="num">{fmt(v.clicks)}</td>
                    <td class="num">{pct(v.clicks, v.uniqueRecipients)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </TableWrap>
        );
      })}
    </>
  );
}
