import { describe, expect, it } from "vitest";
import { type Classification, classify, type Hit, TRAFFIC_CLASSES } from "./classify.js";
import { RecentActivity } from "./recent-activity.js";

// Real user agents (as seen in ESP event dumps and browser release notes).
const UA = {
  gmail: "Mozilla/5.0 (Windows NT 5.1; rv:11.0) Gecko Firefox/11.0 (via ggpht.com GoogleImageProxy)",
  yahoo: "YahooMailProxy; https://help.yahoo.com/kb/yahoo-mail-proxy-SLN28749.html",
  appleMpp: "Mozilla/5.0",
  macStripped: "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko)",
  chrome:
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36",
  firefox: "Mozilla/5.0 (X11; Linux x86_64; rv:125.0) Gecko/20100101 Firefox/125.0",
  safari:
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4.1 Safari/605.1.15",
  edge: "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36 Edg/124.0.2478.80",
  iphoneMail:
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148",
  androidGmailWebView:
    "Mozilla/5.0 (Linux; Android 14; Pixel 8 Build/AP1A.240405.002; wv) AppleWebKit/537.36 (KHTML, like Gecko) Version/4.0 Chrome/124.0.6367.82 Mobile Safari/537.36",
  outlookDesktop:
    "Mozilla/4.0 (compatible; MSIE 7.0; Windows NT 10.0; WOW64; Trident/7.0; .NET4.0C; .NET4.0E; Microsoft Outlook 16.0.5417; ms-office; MSOffice 16)",
  officeLinkCheck: "Microsoft Office/16.0 (Windows NT 10.0; Microsoft Outlook 16.0.17328; Pro)",
  thunderbird: "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:115.0) Gecko/20100101 Thunderbird/115.10.1",
  curl: "curl/8.5.0",
  pythonRequests: "python-requests/2.31.0",
  goHttp: "Go-http-client/1.1",
  headless:
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/120.0.6099.109 Safari/537.36",
  slack: "Slackbot-LinkExpanding 1.0 (+https://api.slack.com/robots)",
  googlebot: "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
  facebook: "facebookexternalhit/1.1 (+http://www.facebook.com/externalhit_uatext.php)",
  whatsapp: "WhatsApp/2.24.6.77 A",
  cubotPhone:
    "Mozilla/5.0 (Linux; Android 10; CUBOT X30) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Mobile Safari/537.36",
};

const T0 = 1_700_000_000_000;

function hit(partial: Partial<Hit>): Hit {
  return { kind: "open", method: "GET", userAgent: UA.chrome, ip: "203.0.113.7", at: T0, ...partial };
}

function expectClass(c: Classification, cls: string, ...reasons: string[]): void {
  expect(c.class, JSON.stringify(c)).toBe(cls);
  for (const r of reasons) expect(c.reasons, JSON.stringify(c)).toContain(r);
}

describe("classify: mailbox proxies", () => {
  it("Gmail image proxy by UA, Google IP adds a reason", () => {
    expectClass(
      classify(hit({ userAgent: UA.gmail, ip: "66.249.93.10" })),
      "gmail_proxy",
      "ua_google_image_proxy",
      "ip_google",
    );
    const noIp = classify(hit({ userAgent: UA.gmail, ip: null }));
    expectClass(noIp, "gmail_proxy", "ua_google_image_proxy");
    expect(noIp.reasons).not.toContain("ip_google");
  });

  it("Yahoo mail proxy", () => {
    expectClass(
      classify(hit({ userAgent: UA.yahoo, ip: "98.137.1.1" })),
      "yahoo_proxy",
      "ua_yahoo_mail_proxy",
      "ip_yahoo",
    );
  });

  it("Apple MPP: exact Mozilla/5.0 on an open, strengthened by 17/8", () => {
    expectClass(
      classify(hit({ userAgent: UA.appleMpp, ip: "17.58.63.1" })),
      "apple_mpp",
      "ua_bare_mozilla",
      "ip_apple",
    );
    expectClass(classify(hit({ userAgent: UA.appleMpp, ip: "::ffff:17.58.63.1" })), "apple_mpp", "ip_apple");
    expectClass(
      classify(hit({ userAgent: UA.appleMpp, ip: "198.51.100.4" })),
      "apple_mpp",
      "ua_bare_mozilla",
    );
  });

  it("stripped macOS WebKit UA is MPP only from Apple space; elsewhere it is Apple Mail (human)", () => {
    expectClass(
      classify(hit({ userAgent: UA.macStripped, ip: "17.1.2.3" })),
      "apple_mpp",
      "ua_stripped_webkit",
      "ip_apple",
    );
    expectClass(classify(hit({ userAgent: UA.macStripped, ip: "198.51.100.4" })), "human", "ua_browser");
  });

  it("a bare Mozilla/5.0 click is not MPP (MPP fetches images, not links)", () => {
    expectClass(
      classify(hit({ kind: "click", userAgent: UA.appleMpp, ip: "17.1.2.3" })),
      "unknown",
      "ua_bare_mozilla",
    );
  });
});

describe("classify: humans", () => {
  for (const [name, ua] of Object.entries({
    chrome: UA.chrome,
    firefox: UA.firefox,
    safari: UA.safari,
    edge: UA.edge,
    iphoneMail: UA.iphoneMail,
    androidGmailWebView: UA.androidGmailWebView,
    cubotPhone: UA.cubotPhone,
  })) {
    it(`${name} open and click are human`, () => {
      expectClass(classify(hit({ userAgent: ua })), "human", "ua_browser");
      expectClass(classify(hit({ kind: "click", userAgent: ua, at: T0 + 60_000, firstOpenAt: T0 })), "human");
    });
  }

  it("Outlook desktop and Thunderbird opens are human mail clients", () => {
    expectClass(classify(hit({ userAgent: UA.outlookDesktop })), "human", "ua_mail_client");
    expectClass(classify(hit({ userAgent: UA.officeLinkCheck })), "human", "ua_mail_client");
    expectClass(classify(hit({ userAgent: UA.thunderbird })), "human", "ua_mail_client");
  });

  it("one weak signal (datacenter IP) keeps a browser human but says so", () => {
    const c = classify(hit({ kind: "click", ip: "52.1.2.3" }));
    expectClass(c, "human", "ip_datacenter", "weak_signal_ignored", "ua_browser");
  });

  it("a lone click 500 ms after the open is recorded but not decisive", () => {
    const c = classify(hit({ kind: "click", at: T0 + 500, firstOpenAt: T0 }));
    expectClass(c, "human", "click_within_2s_of_open", "weak_signal_ignored");
  });
});

describe("classify: scanners", () => {
  it("HEAD request is decisive even with a browser UA", () => {
    expectClass(classify(hit({ kind: "click", method: "HEAD" })), "scanner", "head_request");
    expectClass(classify(hit({ kind: "click", method: "head" })), "scanner", "head_request");
  });

  it("Safe Links fetch from 40.94.x.x with a browser UA", () => {
    expectClass(classify(hit({ kind: "click", ip: "40.94.29.84" })), "scanner", "ip_microsoft_eop");
    expectClass(classify(hit({ kind: "click", ip: "::ffff:40.107.218.12" })), "scanner", "ip_microsoft_eop");
    expectClass(classify(hit({ kind: "click", ip: "2a01:111:f400:fe1e::1" })), "scanner", "ip_microsoft_eop");
    // EOP is inside Azure's 40.64.0.0/10: the vendor verdict wins and the weak one is not added.
    expect(classify(hit({ kind: "click", ip: "40.94.29.84" })).reasons).not.toContain("ip_datacenter");
  });

  it("security vendor networks", () => {
    expectClass(classify(hit({ kind: "click", ip: "148.163.150.20" })), "scanner", "ip_proofpoint");
    expectClass(classify(hit({ kind: "click", ip: "67.231.149.1" })), "scanner", "ip_proofpoint");
    expectClass(classify(hit({ kind: "click", ip: "205.139.110.30" })), "scanner", "ip_mimecast");
    expectClass(classify(hit({ kind: "click", ip: "64.235.150.1" })), "scanner", "ip_barracuda");
  });

  it("scanner user agents", () => {
    expectClass(
      classify(hit({ kind: "click", userAgent: UA.headless })),
      "scanner",
      "ua_scanner_headless_chrome",
    );
    expectClass(
      classify(hit({ userAgent: "Mozilla/5.0 safelinks.protection.outlook.com" })),
      "scanner",
      "ua_scanner_safelinks",
    );
    expectClass(
      classify(hit({ kind: "click", userAgent: "Barracuda Sentinel (EE)" })),
      "scanner",
      "ua_scanner_barracuda",
    );
    expectClass(
      classify(hit({ kind: "click", userAgent: "Mimecast URL Protect" })),
      "scanner",
      "ua_scanner_mimecast",
    );
    expectClass(
      classify(hit({ kind: "click", userAgent: "Microsoft Office Existence Discovery" })),
      "scanner",
      "ua_scanner_office_link_check",
    );
  });

  it("Office's own pre-request for a clicked link is a machine, unlike the Outlook image fetch", () => {
    expectClass(
      classify(hit({ kind: "click", userAgent: UA.officeLinkCheck })),
      "scanner",
      "ua_scanner_office_link_check",
    );
    expectClass(
      classify(hit({ kind: "click", userAgent: UA.outlookDesktop })),
      "scanner",
      "ua_scanner_office_link_check",
    );
  });

  it("two soft signals agree: fast click from a cloud address", () => {
    const c = classify(hit({ kind: "click", ip: "34.200.1.1", at: T0 + 500, firstOpenAt: T0 }));
    expectClass(c, "scanner", "click_within_2s_of_open", "ip_datacenter");
    expect(c.reasons).not.toContain("weak_signal_ignored");
  });

  it("click within 2 s of the send and of the open", () => {
    const c = classify(hit({ kind: "click", at: T0 + 1500, sentAt: T0, firstOpenAt: T0 + 200 }));
    expectClass(c, "scanner", "click_within_2s_of_send", "click_within_2s_of_open");
  });

  it("3 links in 1 s right after the open (driven through RecentActivity)", () => {
    const act = new RecentActivity();
    act.noteOpen("c1", "r@example.com", T0);
    let last: Classification | undefined;
    for (const [i, link] of ["a", "b", "c"].entries()) {
      const at = T0 + 300 + i * 300;
      const recentClicks = act.noteClick("c1", "r@example.com", link, at);
      last = classify(
        hit({ kind: "click", at, firstOpenAt: act.firstOpenAt("c1", "r@example.com"), recentClicks }),
      );
    }
    expectClass(last!, "scanner", "many_links_at_once", "click_within_2s_of_open");
  });

  it("opens are never judged on click timing", () => {
    const c = classify(hit({ kind: "open", at: T0 + 100, sentAt: T0, recentClicks: 9 }));
    expectClass(c, "human");
    expect(c.reasons).not.toContain("many_links_at_once");
  });
});

describe("classify: bots and unknowns", () => {
  it("generic automation and link previews are bots", () => {
    expectClass(classify(hit({ kind: "click", userAgent: UA.curl })), "bot", "ua_bot_token:curl");
    expectClass(
      classify(hit({ kind: "click", userAgent: UA.pythonRequests })),
      "bot",
      "ua_bot_token:python-requests",
    );
    expectClass(classify(hit({ kind: "click", userAgent: UA.goHttp })), "bot", "ua_bot_token:go-http-client");
    expectClass(classify(hit({ kind: "click", userAgent: UA.slack })), "bot", "ua_bot_token:slackbot");
    expectClass(
      classify(hit({ kind: "click", userAgent: UA.facebook })),
      "bot",
      "ua_bot_token:facebookexternalhit",
    );
    expectClass(classify(hit({ kind: "click", userAgent: UA.whatsapp })), "bot", "ua_bot_token:whatsapp");
    expectClass(
      classify(hit({ kind: "click", userAgent: UA.googlebot, ip: "8.8.8.8" })),
      "bot",
      "ua_bot_token:bot",
    );
  });

  it("a bot token from a security vendor network is a scanner, with both reasons", () => {
    expectClass(
      classify(hit({ kind: "click", userAgent: UA.curl, ip: "148.163.130.1" })),
      "scanner",
      "ip_proofpoint",
      "ua_bot_token:curl",
    );
  });

  it("missing, empty and unrecognised UAs are unknown", () => {
    expectClass(classify(hit({ userAgent: null })), "unknown", "ua_empty");
    expectClass(classify(hit({ userAgent: "   " })), "unknown", "ua_empty");
    expectClass(classify(hit({ userAgent: "SomeMailer/1.0" })), "unknown", "ua_unrecognized");
  });

  it("reasons are stable snake_case codes and classes are in TRAFFIC_CLASSES", () => {
    for (const ua of Object.values(UA)) {
      for (const kind of ["open", "click"] as const) {
        const c = classify(
          hit({ kind, userAgent: ua, ip: "40.94.1.1", at: T0 + 10, sentAt: T0, recentClicks: 5 }),
        );
        expect(TRAFFIC_CLASSES).toContain(c.class);
        for (const r of c.reasons) expect(r).toMatch(/^[a-z0-9_]+(:[a-z0-9_.-]+)?$/);
        expect(new Set(c.reasons).size).toBe(c.reasons.length);
      }
    }
  });
});

describe("classify: hostile input never throws", () => {
  it("10 KB user agent", () => {
    const big = `Mozilla/5.0 (Windows NT 10.0) AppleWebKit/537.36 Chrome/1 ${"A".repeat(10_240)}`;
    const c = classify(hit({ userAgent: big }));
    expectClass(c, "unknown", "ua_oversized");
    const tail = classify(hit({ userAgent: `${"a".repeat(10_240)} curl/8.0` }));
    expect(tail.class).not.toBe("human");
  });

  it("garbage IPs, methods, times and counters", () => {
    const garbage: Array<Partial<Hit>> = [
      { ip: "not an ip" },
      { ip: "999.999.999.999" },
      { ip: "::ffff:zz" },
      { ip: "x".repeat(10_000) },
      { ip: "" },
      { method: "" },
      { method: "G".repeat(10_000) },
      { at: Number.NaN, kind: "click", firstOpenAt: Number.POSITIVE_INFINITY, sentAt: Number.NaN },
      { kind: "click", recentClicks: Number.NaN },
      // Untyped callers (JS, bad JSON) must not crash the redirect either.
      { userAgent: 42 as unknown as string, ip: {} as unknown as string, method: null as unknown as string },
      { kind: "weird" as unknown as "open" },
    ];
    for (const g of garbage) {
      expect(() => classify(hit(g)), JSON.stringify(g).slice(0, 80)).not.toThrow();
    }
    expectClass(classify(hit({ ip: "not an ip" })), "human", "ip_invalid");
  });
});

describe("a user agent read once", () => {
  it("gives every hit the same verdict, never another hit's own reasons", () => {
    const office = "Microsoft Office/16.0 (Windows NT 10.0; Microsoft Outlook 16.0.17531; Pro)";
    const headClick = classify(hit({ kind: "click", method: "HEAD", userAgent: office, ip: "40.94.1.1" }));
    expect(headClick.class).toBe("scanner");
    expect(headClick.reasons).toContain("head_request");
    expect(headClick.reasons).toContain("ua_scanner_office_link_check");
    // The same UA again, as an open: Outlook rendering images is a person; nothing of the
    // click's verdict (HEAD, office link check) carries over.
    const open = classify(hit({ kind: "open", method: "GET", userAgent: office, ip: "203.0.113.5" }));
    expect(open).toEqual({ class: "human", reasons: ["ua_mail_client"] });
    expect(classify(hit({ kind: "click", method: "HEAD", userAgent: office, ip: "40.94.1.1" }))).toEqual(
      headClick,
    );
  });

  it("stays right past its bound (many distinct user agents)", () => {
    for (let i = 0; i < 10_000; i++) {
      const chrome = classify(hit({ userAgent: `${UA.chrome} Build/${i}` }));
      expect(chrome.class).toBe("human");
      if (i % 997 === 0) expect(classify(hit({ userAgent: `curl/8.${i}` })).class).toBe("bot");
    }
    expect(classify(hit({ userAgent: UA.gmail })).class).toBe("gmail_proxy");
  });
});
