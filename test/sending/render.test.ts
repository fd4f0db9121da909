import { describe, expect, it } from "vitest";
import { Links } from "../../src/core/links/links.js";
import type { TemplateRecord } from "../../src/core/ports/sending.js";
import { emptyProfile } from "../../src/core/profiles/model.js";
import { RecipientProof } from "../../src/core/profiles/recipient-proof.js";
import { LiquidEngine, TemplateError } from "../../src/core/sending/liquid.js";
import { MessageRenderer } from "../../src/core/sending/render.js";
import { createMemoryStore } from "../../src/core/testing/memory-store.js";
import { createSigner } from "../../src/core/util/signer.js";

// The renderer on its own: what a send's HTML becomes for one person.
const signer = createSigner("unit-secret-0123456789abcdefghijkl");
const store = createMemoryStore();
const renderer = new MessageRenderer(
  new LiquidEngine(),
  new Links(store.links, signer, { now: () => 0 }, (n) => crypto.getRandomValues(new Uint8Array(n))),
  new RecipientProof(signer),
  () => "https://ot.example",
  () => 0,
);
const profile = Object.assign(emptyProfile("p_1", 0), {
  emails: ["ann@x.com"],
  traits: { first_name: "Ann" },
});
let v = 0;
const template = (html: string, extra: Partial<TemplateRecord> = {}): TemplateRecord => ({
  id: "t",
  version: ++v,
  name: "t",
  subject: "s",
  html,
  createdAt: 0,
  updatedAt: 0,
  ...extra,
});
const render = (t: TemplateRecord, data: Record<string, unknown> = {}) =>
  renderer.render({ template: t, profile, u: "ann@x.com", campaign: "c1", sendId: "s_1", data });
const TRACKED = /^https:\/\/ot\.example\/c\/[\w-]+\?u=ann%40x\.com&amp;us=[0-9a-f]{64}$/;
const hrefs = (html: string) => [...html.matchAll(/href="([^"]*)"/g)].map((m) => m[1]!);

describe("rendering a send", () => {
  it("tracks the links of plain-text parts (text, SMS, push) with u only, as the HTML's", async () => {
    const out = await render(
      template('<a href="https://shop.example/a">a</a>', {
        text: "See https://shop.example/a. Or (https://shop.example/b), mailto:x@y.z, https://ot.example/u/tok.",
        sms: "{{ person.first_name }}: https://shop.example/cart?id=9!",
        push: { title: "Cart", body: "https://shop.example/cart?id=9" },
      }),
    );
    const plain = /https:\/\/ot\.example\/c\/([\w-]+)\?u=ann%40x\.com/g;
    const [a, b] = [...out.text!.matchAll(plain)].map((m) => m[1]);
    expect(out.text).toMatch(/^See https:\/\/ot\.example\/c\/[\w-]+\?u=ann%40x\.com\. Or \(https:/);
    expect(out.text).toContain("), mailto:x@y.z, https://ot.example/u/tok.");
    expect(a).not.toBe(b);
    // One id per destination and campaign: the HTML's link and the text's are the same link.
    expect(hrefs(out.html!)[0]).toContain(`/c/${a}?`);
    const [cart] = [...out.sms!.matchAll(plain)].map((m) => m[1]);
    expect(out.sms).toBe(`Ann: https://ot.example/c/${cart}?u=ann%40x.com!`);
    expect(out.push!.body).toBe(`https://ot.example/c/${cart}?u=ann%40x.com`);
    expect((await store.links.get(cart!))?.url).toBe("https://shop.example/cart?id=9");
  });

  it("tracks Liquid-made links like static ones, and leaves what the wrap leaves", async () => {
    const out = await render(
      template(
        '<a href="https://shop.example/a">a</a>' +
          '<a href="{{ product.url }}">p</a>' +
          "<a href='{{ product.url }}?ref=x&amp;y=1'>q</a>" +
          '<a href="mailto:{{ person.email }}">m</a>' +
          '<a href="{{ unsub }}">u</a>' +
          '<a href="https://ot.example/c/blk_1/tile1?u=old">tile</a>',
      ),
      { product: { url: "https://shop.example/p/1" }, unsub: "https://shop.example/unsubscribe?e=1" },
    );
    const [a, p, q, m, u, tile] = hrefs(out.html!.replaceAll("'", '"'));
    expect(a).toMatch(TRACKED);
    expect(p).toMatch(TRACKED);
    expect(q).toMatch(TRACKED);
    expect(p).not.toBe(q);
    expect(m).toBe("mailto:ann@x.com");
    expect(u).toBe("https://shop.example/unsubscribe?e=1");
    expect(tile).toMatch(/^https:\/\/ot\.example\/c\/blk_1\/tile1\?u=ann%40x\.com&amp;us=[0-9a-f]{64}$/);
    // The same destination keeps one tracked link per campaign, static or Liquid-made.
    const again = await render(template('<a href="{{ product.url }}">p</a>'), {
      product: { url: "https://shop.example/a" },
    });
    expect(hrefs(again.html!)[0]!.split("?")[0]).toBe(a!.split("?")[0]);
    expect(out.html).toContain('<img src="https://ot.example/o/c1.gif?u=ann%40x.com&amp;us=');
  });

  it("leaves opentime_link alone outside the HTML, and bounds a runaway loop", async () => {
    const out = await render(
      template("<p>x</p>", {
        text: "{{ 'https://shop.example/x' | opentime_link }}",
        subject: "{{ 'https://shop.example/x' | opentime_link }}",
      }),
    );
    expect(out.text).toMatch(/^https:\/\/ot\.example\/c\/[\w-]+\?u=ann%40x\.com$/);
    expect(out.subject).toBe("https://shop.example/x");
    await expect(render(template("{% for i in (1..100000000) %}{{ i }}{% endfor %}"))).rejects.toThrow(
      TemplateError,
    );
    await expect(render(template("{{ nothing.here }}"))).rejects.toThrow(
      /^html: undefined variable: nothing/,
    );
  });
});
