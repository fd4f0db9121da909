/**
 * A tiny Prometheus registry: counters and fixed-bucket histograms with labels, rendered
 * in the text exposition format. Hand-written because prom-client pulls in node:* modules
 * the edge core may not import, and the core needs only these two types.
 */
type Labels = Record<string, string>;

const escapeLabel = (v: string) => v.replace(/\\/g, "\\\\").replace(/\n/g, "\\n").replace(/"/g, '\\"');
const renderLabels = (labels: Labels) =>
  Object.keys(labels)
    .sort()
    .map((k) => `${k}="${escapeLabel(labels[k]!)}"`)
    .join(",");

/**
 * Hot path: every request bumps two series. Rendering label text (sort, escape) happens once
 * per distinct label set; later calls only join the values (callers pass keys in one order).
 */
const rendered = new Map<string, string>();
function labelKey(labels: Labels): string {
  let fast = "";
  for (const k in labels) fast += `${k}\u0001${labels[k]}\u0002`;
  let key = rendered.get(fast);
  if (key === undefined) {
    key = renderLabels(labels);
    if (rendered.size < 10_000) rendered.set(fast, key);
  }
  return key;
}

export class Counter {
  readonly values = new Map<string, number>();
  constructor(
    readonly name: string,
    readonly help: string,
  ) {}
  inc(labels: Labels = {}, by = 1): void {
    this.incRendered(labelKey(labels), by);
  }
  /** `key` is a label set as series(): hot callers render it once and keep it. */
  incRendered(key: string, by = 1): void {
    this.values.set(key, (this.values.get(key) ?? 0) + by);
  }
  render(): string {
    let out = `# HELP ${this.name} ${this.help}\n# TYPE ${this.name} counter\n`;
    for (const [k, v] of this.values) out += `${this.name}${k ? `{${k}}` : ""} ${v}\n`;
    return out;
  }
}

export class Histogram {
  private readonly series = new Map<string, { counts: number[]; sum: number; count: number }>();
  constructor(
    readonly name: string,
    readonly help: string,
    readonly buckets: readonly number[],
  ) {}
  observe(labels: Labels, value: number): void {
    this.observeRendered(labelKey(labels), value);
  }
  observeRendered(k: string, value: number): void {
    let s = this.series.get(k);
    if (!s) {
      s = { counts: new Array(this.buckets.length).fill(0), sum: 0, count: 0 };
      this.series.set(k, s);
    }
    // One bucket per observation; render() makes them cumulative as Prometheus wants.
    let i = 0;
    while (i < this.buckets.length && value > this.buckets[i]!) i++;
    if (i < this.buckets.length) s.counts[i]!++;
    s.sum += value;
    s.count++;
  }
  render(): string {
    let out = `# HELP ${this.name} ${this.help}\n# TYPE ${this.name} histogram\n`;
    for (const [k, s] of this.series) {
      const sep = k ? "," : "";
      let cumulative = 0;
      this.buckets.forEach((b, i) => {
        cumulative += s.counts[i]!;
        out += `${this.name}_bucket{${k}${sep}le="${b}"} ${cumulative}\n`;
      });
      out += `${this.name}_bucket{${k}${sep}le="+Inf"} ${s.count}\n`;
      out += `${this.name}_sum${k ? `{${k}}` : ""} ${s.sum}\n${this.name}_count${k ? `{${k}}` : ""} ${s.count}\n`;
    }
    return out;
  }
}

/** A label set rendered once, for the *Rendered methods of hot callers. */
export const series = (labels: Labels): string => labelKey(labels);

export class Metrics {
  readonly requests = new Counter(
    "opentime_http_requests_total",
    "HTTP requests by route, method and status",
  );
  readonly latency = new Histogram(
    "opentime_http_request_duration_seconds",
    "HTTP request latency by route",
    [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
  );
  readonly eventsRecorded = new Counter(
    "opentime_events_recorded_total",
    "Opens and clicks accepted, by kind and class",
  );
  readonly eventsWritten = new Counter(
    "opentime_events_written_total",
    "Events durably written to the event log",
  );
  readonly batchSize = new Histogram(
    "opentime_event_batch_size",
    "Events per group commit",
    [1, 10, 50, 100, 250, 500, 1000, 2500, 5000],
  );
  readonly batchSeconds = new Histogram(
    "opentime_event_batch_duration_seconds",
    "Time to write one batch",
    [0.0005, 0.001, 0.005, 0.01, 0.05, 0.1, 0.5],
  );
  // Gauges and counters kept elsewhere, read when /metrics is rendered.
  private readonly polled = new Map<
    string,
    { help: string; read: () => number; type: "gauge" | "counter" }
  >();
  private readonly externals: (() => string)[] = [];
  // Rendered label sets of requests by route, method and status (bounded: routes are
  // patterns, methods and statuses few), so counting a request renders nothing.
  private readonly requestKeys = new Map<string, { count: string; time: string }>();

  /** One answered request: counted by route, method and status; timed by route. */
  request(route: string, method: string, status: number, seconds: number): void {
    const id = `${route} ${method} ${status}`;
    let keys = this.requestKeys.get(id);
    if (!keys) {
      keys = { count: series({ route, method, status: String(status) }), time: series({ route }) };
      if (this.requestKeys.size < 10_000) this.requestKeys.set(id, keys);
    }
    this.requests.incRendered(keys.count);
    this.latency.observeRendered(keys.time, seconds);
  }

  gauge(name: string, help: string, read: () => number): void {
    this.polled.set(name, { help, read, type: "gauge" });
  }

  /** A counter kept by someone else (only ever grows), read when rendered. */
  countedBy(name: string, help: string, read: () => number): void {
    this.polled.set(name, { help, read, type: "counter" });
  }

  /** Series an adapter renders itself (text exposition format), appended to render(). */
  external(render: () => string): void {
    this.externals.push(render);
  }

  render(): string {
    let out = "";
    for (const m of [
      this.requests,
      this.latency,
      this.eventsRecorded,
      this.eventsWritten,
      this.batchSize,
      this.batchSeconds,
    ])
      out += m.render();
    for (const [name, g] of this.polled)
      out += `# HELP ${name} ${g.help}\n# TYPE ${name} ${g.type}\n${name} ${g.read()}\n`;
    for (const render of this.externals) out += render();
    return out;
  }
}
