import { describe, expect, it } from "vitest";
import type { BlockRecord } from "../../src/core/ports/index.js";
import type { Profile } from "../../src/core/ports/profiles.js";
import type { WeatherCondition } from "../../src/core/ports/weather.js";
import { emptyProfile } from "../../src/core/profiles/model.js";
import { stableBucket } from "../../src/core/rules/bucket.js";
import { armVersion, choose, compileRules, pickByWeight } from "../../src/core/rules/choose.js";
import { type Condition, conditionSchema, MAX_DEPTH } from "../../src/core/rules/conditions.js";
import { devicesOf } from "../../src/core/rules/device.js";
import { compileCondition, type Facts } from "../../src/core/rules/evaluate.js";

const UA = {
  iphone:
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148",
  android:
    "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Mobile Safari/537.36",
  chrome:
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36",
  outlook: "Microsoft Office/16.0 (Windows NT 10.0; Microsoft Outlook 16.0.17928; Pro)",
  outlookIos: "Outlook-iOS/723.4027091.prod.iphone (4.2429.0)",
  gmail: "Mozilla/5.0 (Windows NT 5.1; rv:11.0) Gecko Firefox/11.0 (via ggpht.com GoogleImageProxy)",
  yahoo: "YahooMailProxy; https://help.yahoo.com/kb/yahoo-mail-proxy-SLN28749.html",
  appleMpp: "Mozilla/5.0",
};

interface FactsInput {
  now?: number;
  ua?: string | null;
  ip?: string | null;
  profile?: Profile | null;
  weather?: WeatherCondition | null;
  data?: unknown;
  bucket?: number;
}

/** Facts with counters, so tests can check what was looked up (laziness). */
function facts(input: FactsInput = {}) {
  const calls = { profile: 0, weather: 0 };
  const now = input.now ?? Date.parse("2026-12-20T10:00:00Z");
  const f: Facts = {
    now,
    devices: () => devicesOf(input.ua ?? null, input.ip ?? null, now),
    profile: async () => {
      calls.profile++;
      return input.profile ?? null;
    },
    weather: async () => {
      calls.weather++;
      return input.weather ?? null;
    },
    data: async () => input.data ?? null,
    bucket: () => input.bucket ?? 0.5,
  };
  return { f, calls };
}

/** Validates like the API does, then evaluates: `c` is JSON as a client would send it. */
async function holds(c: unknown, input: FactsInput = {}): Promise<boolean> {
  const parsed = conditionSchema.parse(c);
  return compileCondition(parsed)(facts(input).f);
}

function person(edit: (p: Profile) => void = () => {}): Profile {
  const p = emptyProfile("p_1", 0);
  edit(p);
  return p;
}

describe("conditions: time", () => {
  const at = (iso: string) => ({ now: Date.parse(iso) });

  it("date range: ISO instants (from inclusive, until exclusive)", async () => {
    const c = { time: { from: "2026-12-01T00:00:00Z", until: "2026-12-24T18:00:00+01:00" } };
    expect(await holds(c, at("2026-12-01T00:00:00Z"))).toBe(true);
    expect(await holds(c, at("2026-11-30T23:59:59Z"))).toBe(false);
    expect(await holds(c, at("2026-12-24T16:59:59Z"))).toBe(true);
    expect(await holds(c, at("2026-12-24T17:00:00Z"))).toBe(false);
  });

  it("date range: plain dates are whole days in the zone (both ends inclusive)", async () => {
    const c = { time: { from: "2026-12-24", until: "2026-12-26", timeZone: "Asia/Tokyo" } };
    // 15:00 UTC on the 23rd is already 00:00 on the 24th in Tokyo.
    expect(await holds(c, at("2026-12-23T15:00:00Z"))).toBe(true);
    expect(await holds(c, at("2026-12-23T14:59:59Z"))).toBe(false);
    expect(await holds(c, at("2026-12-26T14:59:59Z"))).toBe(true);
    expect(await holds(c, at("2026-12-26T15:00:00Z"))).toBe(false);
  });

  it("weekdays in the zone", async () => {
    const c = { time: { weekdays: ["sat", "sun"], timeZone: "America/Los_Angeles" } };
    // Saturday 2026-12-19 03:00 UTC is still Friday evening in Los Angeles.
    expect(await holds(c, at("2026-12-19T03:00:00Z"))).toBe(false);
    expect(await holds(c, at("2026-12-19T09:00:00Z"))).toBe(true);
    expect(await holds(c, at("2026-12-21T09:00:00Z"))).toBe(false); // Monday 01:00 there
  });

  it("hour ranges are [from, to) local hours, and wrap past midnight", async () => {
    const office = { time: { hours: { from: 9, to: 17 }, timeZone: "Europe/Berlin" } };
    expect(await holds(office, at("2026-12-20T08:00:00Z"))).toBe(true); // 09:00 CET
    expect(await holds(office, at("2026-12-20T07:59:59Z"))).toBe(false);
    expect(await holds(office, at("2026-12-20T16:00:00Z"))).toBe(false); // 17:00 CET
    const night = { time: { hours: { from: 22, to: 6 }, timeZone: "UTC" } };
    expect(await holds(night, at("2026-12-20T23:30:00Z"))).toBe(true);
    expect(await holds(night, at("2026-12-20T05:59:00Z"))).toBe(true);
    expect(await holds(night, at("2026-12-20T06:00:00Z"))).toBe(false);
  });

  it("is DST-correct: the same UTC hour is 08:xx in winter and 09:xx in summer in Berlin", async () => {
    const c = { time: { hours: { from: 9, to: 10 }, timeZone: "Europe/Berlin" } };
    expect(await holds(c, at("2026-01-15T07:30:00Z"))).toBe(false); // 08:30 CET
    expect(await holds(c, at("2026-07-15T07:30:00Z"))).toBe(true); // 09:30 CEST
    // The spring-forward day: 01:30 UTC is 03:30 CEST (02:xx does not exist that night).
    const three = { time: { hours: { from: 3, to: 4 }, timeZone: "Europe/Berlin" } };
    expect(await holds(three, at("2026-03-29T01:30:00Z"))).toBe(true);
    expect(await holds(three, at("2026-03-28T01:30:00Z"))).toBe(false); // 02:30 CET the day before
  });

  it("without a zone in the rule, uses the profile's traits.timezone, else UTC", async () => {
    const c = { time: { hours: { from: 9, to: 12 } } };
    const tokyo = person((p) => (p.traits.timezone = "Asia/Tokyo"));
    const n = at("2026-12-20T01:00:00Z"); // 10:00 in Tokyo, 01:00 UTC
    expect(await holds(c, { ...n, profile: tokyo })).toBe(true);
    expect(await holds(c, { ...n, profile: null })).toBe(false);
    const bogus = person((p) => (p.traits.timezone = "Mars/Olympus"));
    expect(await holds(c, { ...n, profile: bogus })).toBe(false);
  });

  it("reads no profile when the rule names its zone or uses instants only", async () => {
    for (const c of [
      { time: { hours: { from: 0, to: 24 }, timeZone: "UTC" } },
      { time: { from: "2026-01-01T00:00:00Z" } },
    ] as Condition[]) {
      const { f, calls } = facts({ profile: person() });
      await compileCondition(c)(f);
      expect(calls.profile, JSON.stringify(c)).toBe(0);
    }
  });
});

describe("conditions: device and client", () => {
  const cases: [string, string | null, string | null, string[]][] = [
    ["iPhone Mail", UA.iphone, null, ["ios", "mobile"]],
    ["Android Chrome", UA.android, null, ["android", "mobile"]],
    ["desktop Chrome", UA.chrome, null, ["desktop"]],
    ["Outlook for Windows", UA.outlook, null, ["outlook", "desktop"]],
    ["Outlook for iOS", UA.outlookIos, null, ["outlook", "ios", "mobile"]],
    ["Gmail image proxy", UA.gmail, null, ["gmail_proxy"]],
    ["Yahoo proxy", UA.yahoo, null, ["yahoo_proxy"]],
    ["Apple MPP (bare Mozilla/5.0)", UA.appleMpp, null, ["apple_mpp"]],
    [
      "Apple MPP (stripped WebKit from Apple's network)",
      "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko)",
      "17.58.0.1",
      ["apple_mpp"],
    ],
    ["no user agent", null, null, []],
  ];
  for (const [name, ua, ip, expected] of cases) {
    it(`${name} → ${expected.join(", ") || "nothing"}`, () => {
      expect([...devicesOf(ua, ip, 0)].sort()).toEqual([...expected].sort());
    });
  }

  it("matches one device or any of a list", async () => {
    expect(await holds({ device: "outlook" }, { ua: UA.outlook })).toBe(true);
    expect(await holds({ device: "outlook" }, { ua: UA.chrome })).toBe(false);
    expect(await holds({ device: ["ios", "android"] }, { ua: UA.android })).toBe(true);
    expect(await holds({ device: ["ios", "android"] }, { ua: UA.gmail })).toBe(false);
  });
});

describe("conditions: profile fields", () => {
  const p = person((x) => {
    x.traits = { plan: "pro", age: 41, score: "7.5", address: { country: "DE" }, vip: false };
  });

  it("trait equals / in / exists / gt / lt (dotted paths into nested traits)", async () => {
    expect(await holds({ trait: { name: "plan", equals: "pro" } }, { profile: p })).toBe(true);
    expect(await holds({ trait: { name: "plan", equals: "free" } }, { profile: p })).toBe(false);
    expect(await holds({ trait: { name: "address.country", in: ["AT", "DE"] } }, { profile: p })).toBe(true);
    expect(await holds({ trait: { name: "vip", exists: true } }, { profile: p })).toBe(true);
    expect(await holds({ trait: { name: "nickname", exists: false } }, { profile: p })).toBe(true);
    expect(await holds({ trait: { name: "age", gt: 40, lt: 50 } }, { profile: p })).toBe(true);
    expect(await holds({ trait: { name: "age", lt: 40 } }, { profile: p })).toBe(false);
    expect(await holds({ trait: { name: "score", gt: 7 } }, { profile: p }), "numeric string").toBe(true);
    expect(await holds({ trait: { name: "plan", gt: 1 } }, { profile: p }), "not a number").toBe(false);
  });

  it("never reads inherited properties through a trait path", async () => {
    expect(await holds({ trait: { name: "constructor", exists: true } }, { profile: p })).toBe(false);
    expect(await holds({ trait: { name: "__proto__.x", exists: true } }, { profile: p })).toBe(false);
  });

  it("engagement tier and purchase intent, decayed to the open's time", async () => {
    const now = Date.parse("2026-12-20T10:00:00Z");
    const engaged = person((x) => {
      x.engagement = { v: 20, t: now };
      x.intent = { v: 2, t: now };
    });
    expect(await holds({ engagement: "high" }, { now, profile: engaged })).toBe(true);
    expect(await holds({ engagement: ["medium", "low"] }, { now, profile: engaged })).toBe(false);
    // Two half-lives later (28 days): 20 → 5, a medium.
    const later = now + 28 * 86_400_000;
    expect(await holds({ engagement: "medium" }, { now: later, profile: engaged })).toBe(true);
    // 1 − e^(−2) ≈ 0.86
    expect(await holds({ intent: { atLeast: 0.8 } }, { now, profile: engaged })).toBe(true);
    expect(await holds({ intent: { atLeast: 0.9 } }, { now, profile: engaged })).toBe(false);
  });

  it("has purchased, cart not empty, segment (group or segments trait)", async () => {
    const buyer = person((x) => {
      x.purchases.count = 2;
      x.cart = { items: [{ productId: "sku-1", quantity: 1 }], currency: "EUR", updatedAt: 0 };
      x.groups = { "acme-corp": { traits: {}, at: 0 } };
      x.traits = { segments: ["vip", "newsletter"] };
    });
    const fresh = person();
    expect(await holds({ purchased: true }, { profile: buyer })).toBe(true);
    expect(await holds({ purchased: false }, { profile: fresh })).toBe(true);
    expect(await holds({ cart: "not_empty" }, { profile: buyer })).toBe(true);
    expect(await holds({ cart: "empty" }, { profile: fresh })).toBe(true);
    expect(await holds({ segment: "acme-corp" }, { profile: buyer })).toBe(true);
    expect(await holds({ segment: "vip" }, { profile: buyer })).toBe(true);
    expect(await holds({ segment: "vip" }, { profile: fresh })).toBe(false);
  });

  it("is false without a profile (and `not` of it true)", async () => {
    expect(await holds({ purchased: false }, { profile: null })).toBe(false);
    expect(await holds({ not: { purchased: true } }, { profile: null })).toBe(true);
  });
});

describe("conditions: lifetime value, cart value and data", () => {
  const buyer = person((x) => {
    x.purchases.ltv = { EUR: 400, USD: 200 };
    x.cart = {
      items: [
        { productId: "a", price: 30, quantity: 2 },
        { productId: "b", quantity: 5 },
      ],
      currency: "EUR",
      updatedAt: 0,
    };
  });

  it("ltv in one currency or summed; the cart's price × quantity (unpriced items count 0)", async () => {
    expect(await holds({ ltv: { gt: 500 } }, { profile: buyer })).toBe(true);
    expect(await holds({ ltv: { gt: 500, currency: "EUR" } }, { profile: buyer })).toBe(false);
    expect(await holds({ ltv: { gt: 100, lt: 300, currency: "USD" } }, { profile: buyer })).toBe(true);
    expect(await holds({ cartValue: { gt: 59, lt: 61 } }, { profile: buyer })).toBe(true);
    expect(await holds({ cartValue: { gt: 0 } }, { profile: person() })).toBe(false);
    expect(() => conditionSchema.parse({ ltv: {} })).toThrow();
  });

  it("data: a path in the block's source value, tested like a trait; no value: false", async () => {
    const data = { quote: { change: -3.2, status: "open" }, rows: [{ seats: "4" }] };
    expect(await holds({ data: { path: "quote.change", lt: -2 } }, { data })).toBe(true);
    expect(await holds({ data: { path: "quote.status", in: ["open", "pre"] } }, { data })).toBe(true);
    expect(await holds({ data: { path: "rows.0.seats", gt: 3 } }, { data })).toBe(true);
    expect(await holds({ data: { path: "quote.volume", exists: false } }, { data })).toBe(true);
    expect(await holds({ data: { path: "__proto__.x", exists: true } }, { data })).toBe(false);
    expect(await holds({ data: { path: "quote.change", lt: 0 } }, { data: null })).toBe(false);
    expect(() => conditionSchema.parse({ data: { path: "quote.change" } })).toThrow();
  });
});

describe("conditions: weather and random", () => {
  it("weather matches the condition where the open is", async () => {
    expect(await holds({ weather: ["rain", "drizzle"] }, { weather: "rain" })).toBe(true);
    expect(await holds({ weather: "snow" }, { weather: "rain" })).toBe(false);
    expect(await holds({ weather: "clear" }, { weather: null }), "no weather known").toBe(false);
  });

  it("random percent uses the recipient's bucket", async () => {
    expect(await holds({ random: 20 }, { bucket: 0.19 })).toBe(true);
    expect(await holds({ random: 20 }, { bucket: 0.2 })).toBe(false);
    expect(await holds({ random: 0 }, { bucket: 0 })).toBe(false);
    expect(await holds({ random: 100 }, { bucket: 0.999 })).toBe(true);
  });
});

describe("conditions: combinators and laziness", () => {
  it("all / any / not", async () => {
    const iphone = { ua: UA.iphone };
    expect(await holds({ all: [{ device: "ios" }, { random: 100 }] }, iphone)).toBe(true);
    expect(await holds({ all: [{ device: "ios" }, { random: 0 }] }, iphone)).toBe(false);
    expect(await holds({ any: [{ device: "android" }, { device: "ios" }] }, iphone)).toBe(true);
    expect(await holds({ not: { any: [{ device: "android" }, { device: "desktop" }] } }, iphone)).toBe(true);
  });

  it("looks up the profile and the weather only when a condition needs them, cheap ones first", async () => {
    const c: Condition = { all: [{ weather: "rain" }, { purchased: true }, { device: "ios" }] };
    const test = compileCondition(conditionSchema.parse(c));
    const desktop = facts({ ua: UA.chrome, weather: "rain", profile: person() });
    expect(await test(desktop.f)).toBe(false);
    expect(desktop.calls).toEqual({ profile: 0, weather: 0 });
    const phone = facts({ ua: UA.iphone, weather: "rain", profile: person() });
    expect(await test(phone.f)).toBe(false); // has not purchased: the weather is never asked
    expect(phone.calls).toEqual({ profile: 1, weather: 0 });
  });

  it("a condition of request facts alone is answered synchronously", () => {
    const test = compileCondition({ any: [{ device: "outlook" }, { random: 50 }] });
    expect(typeof test(facts({ ua: UA.outlook }).f)).toBe("boolean");
  });
});

describe("conditions: validation", () => {
  const issues = (c: unknown) => {
    const r = conditionSchema.safeParse(c);
    return r.success ? [] : r.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`);
  };

  it("accepts every condition kind", () => {
    const all: Condition[] = [
      {
        time: { from: "2026-12-01", weekdays: ["mon"], hours: { from: 9, to: 17 }, timeZone: "Europe/Paris" },
      },
      { device: "apple_mpp" },
      { trait: { name: "plan", equals: "pro" } },
      { engagement: ["high"] },
      { intent: { atLeast: 0.5 } },
      { purchased: true },
      { cart: "not_empty" },
      { segment: "vip" },
      { weather: "snow" },
      { random: 12.5 },
    ];
    for (const c of all) expect(issues(c), JSON.stringify(c)).toEqual([]);
    expect(issues({ all })).toEqual([]);
  });

  it("refuses unknown kinds, two keys in one node, bad values, with the path", () => {
    expect(issues({ colour: "red" }).join()).toMatch(/Unrecognized key/);
    expect(issues({ device: "ios", random: 5 }).join()).toMatch(/exactly one key/);
    expect(issues({ device: "blackberry" })[0]).toMatch(/^device/);
    expect(issues({ any: [{ time: { hours: { from: 9, to: 30 } } }] })[0]).toMatch(
      /^any\.0\.time\.hours\.to/,
    );
    expect(issues({ time: { timeZone: "Europe/Paris" } }).join()).toMatch(/at least one of/);
    expect(issues({ time: { from: "2026-12-24T18:00" } }).join()).toMatch(/offset/);
    expect(issues({ time: { timeZone: "Nowhere/City", hours: { from: 1, to: 2 } } }).join()).toMatch(/zone/);
    expect(issues({ trait: { name: "plan", equals: "x", exists: true } }).join()).toMatch(/one of/);
    expect(issues({ random: 101 }).length).toBe(1);
  });

  it("bounds nesting depth, children and nodes", () => {
    let deep: Condition = { random: 1 };
    for (let i = 0; i < MAX_DEPTH; i++) deep = { not: deep };
    expect(issues(deep)).toEqual([]);
    expect(issues({ not: deep }).length).toBeGreaterThan(0);
    expect(issues({ any: Array.from({ length: 17 }, () => ({ random: 1 })) }).join()).toMatch(/16/);
    const wide = {
      all: Array.from({ length: 16 }, () => ({ any: Array.from({ length: 5 }, () => ({ random: 1 })) })),
    };
    expect(issues(wide).join()).toMatch(/at most 64 nodes/);
  });

  it("does not recurse without end on a hostile body", () => {
    let evil: unknown = { random: 1 };
    for (let i = 0; i < 50_000; i++) evil = { not: evil };
    expect(conditionSchema.safeParse(evil).success).toBe(false);
  });
});

// --- choosing variants ---------------------------------------------------------------

function block(options: Record<string, unknown>, version = 3): BlockRecord {
  return { id: "blk_1", type: "countdown", options, version, createdAt: 0, updatedAt: 0 };
}

describe("choose", () => {
  const base = { deadline: "2026-12-24T18:00:00Z", digitColor: "#111111" };

  it("first matching variant wins; none → default with the block's own options", async () => {
    const rules = compileRules(
      block({
        ...base,
        slots: { cta: "https://shop.example/" },
        variants: [
          { name: "outlook", when: { device: "outlook" }, options: { frames: 1 } },
          {
            name: "mobile",
            when: { device: "mobile" },
            options: { width: 320 },
            slots: { cta: "https://m.shop.example/" },
          },
          { name: "late", when: { device: "mobile" }, options: {} },
        ],
      }),
    );
    const outlook = await choose(rules, facts({ ua: UA.outlookIos }).f);
    expect(outlook.name).toBe("outlook");
    expect(outlook.block.options).toEqual({ ...base, frames: 1 });
    expect(outlook.slots).toEqual({ cta: "https://shop.example/" }); // inherits the default slot
    const phone = await choose(rules, facts({ ua: UA.android }).f);
    expect(phone.name).toBe("mobile");
    expect(phone.slots).toEqual({ cta: "https://m.shop.example/" });
    const desk = await choose(rules, facts({ ua: UA.chrome }).f);
    expect(desk.name).toBe("default");
    expect(desk.block.options).toEqual(base); // variants and slots stripped
    expect(desk.block.version).toBe(3);
  });

  it("gives each arm a version key of its own, distinct from every real version", () => {
    const rules = compileRules(
      block(
        {
          ...base,
          variants: [
            { name: "a", options: {} },
            { name: "b", options: {} },
          ],
        },
        7,
      ),
    );
    const keys = [rules.default, ...rules.variants].map((a) => `${a.block.id}:${a.block.version}`);
    expect(new Set(keys).size).toBe(3);
    expect(keys[0]).toBe("blk_1:7");
    for (const v of rules.variants) expect(Number.isInteger(v.block.version)).toBe(false);
    expect(armVersion(7, 15)).toBeLessThan(8);
    expect(armVersion(7, 0)).not.toBe(armVersion(8, 0));
  });

  it("a block without rules is passed through untouched", () => {
    const b = block(base);
    expect(compileRules(b).default.block).toBe(b);
  });

  it("splits a group by weight, with the recipient's stable bucket", async () => {
    const rules = compileRules(
      block({
        ...base,
        variants: [
          { name: "vip", when: { segment: "vip" }, options: {} },
          { name: "red", split: "colour", weight: 1, options: { digitColor: "#cc0000" } },
          { name: "blue", split: "colour", weight: 3, options: { digitColor: "#0000cc" } },
        ],
      }),
    );
    expect((await choose(rules, facts({ bucket: 0.2 }).f)).name).toBe("red");
    expect((await choose(rules, facts({ bucket: 0.25 }).f)).name).toBe("blue");
    expect((await choose(rules, facts({ bucket: 0.99 }).f)).name).toBe("blue");
    const vip = person((p) => (p.traits.segments = ["vip"]));
    expect((await choose(rules, facts({ bucket: 0.2, profile: vip }).f)).name).toBe("vip");
  });

  it("splits only among members whose `when` holds; an empty group falls through", async () => {
    const rules = compileRules(
      block({
        ...base,
        variants: [
          { name: "a", split: "t", when: { device: "ios" }, options: {} },
          { name: "b", split: "t", options: {} },
          { name: "c", split: "u", weight: 0, options: {} },
        ],
      }),
    );
    expect((await choose(rules, facts({ ua: UA.chrome, bucket: 0.1 }).f)).name).toBe("b");
    expect((await choose(rules, facts({ ua: UA.iphone, bucket: 0.1 }).f)).name).toBe("a");
    expect((await choose(rules, facts({ ua: UA.iphone, bucket: 0.9 }).f)).name).toBe("b");
    const never = compileRules(block({ ...base, variants: [{ name: "c", weight: 0, options: {} }] }));
    expect((await choose(never, facts().f)).name).toBe("default");
  });

  it("pickByWeight covers [0, 1) exactly", () => {
    const arms = [{ weight: 1 }, { weight: 0 }, { weight: 1 }];
    expect(pickByWeight(arms, 0)).toBe(arms[0]);
    expect(pickByWeight(arms, 0.4999)).toBe(arms[0]);
    expect(pickByWeight(arms, 0.5)).toBe(arms[2]);
    expect(pickByWeight(arms, 0.999999999)).toBe(arms[2]);
    expect(pickByWeight([{ weight: 0 }], 0.5)).toBeNull();
  });
});

describe("stable buckets", () => {
  it("are deterministic per key and spread evenly", () => {
    expect(stableBucket("blk\u0000split:x\u0000ann@x.com")).toBe(
      stableBucket("blk\u0000split:x\u0000ann@x.com"),
    );
    expect(stableBucket("blk\u0000split:x\u0000ann@x.com")).not.toBe(
      stableBucket("blk\u0000split:x\u0000bob@x.com"),
    );
    const n = 20_000;
    const bins = [0, 0, 0, 0];
    for (let i = 0; i < n; i++) {
      const u = stableBucket(`blk_1\u0000split:\u0000user-${i}@example.com`);
      expect(u >= 0 && u < 1).toBe(true);
      bins[Math.floor(u * 4)]!++;
    }
    for (const b of bins) expect(Math.abs(b - n / 4)).toBeLessThan(n * 0.02);
  });
});
