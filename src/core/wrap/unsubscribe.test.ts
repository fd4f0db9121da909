import { describe, expect, it } from "vitest";
import { unsubscribeTag, unsubscribeText, unsubscribeUrl } from "./unsubscribe.js";
import { wrapHtml } from "./wrap-html.js";

const url = (u: string) => unsubscribeUrl(new URL(u));

describe("unsubscribe links", () => {
  it("leaves content whose URL merely mentions preferences or opting out to be tracked", () => {
    for (const u of [
      "https://shop.example/collections/preferences-gift-set",
      "https://shop.example/blog/how-to-opt-out-of-ads",
      "https://shop.example/pages/opt-out-of-plastic-pledge",
      "https://shop.example/blog/unsubscribing-from-fast-fashion",
      "https://shop.example/account/preferences?tab=sizes",
      "https://shop.example/subscriptions/manage",
      "https://shop.example/p?utm_content=preferences",
      "https://unsubscribe.example/",
    ])
      expect(url(u), u).toBeNull();
    for (const u of [
      "https://shop.example/?e={{ person.email }}",
      "https://shop.example/preferences-gift-set?e=*|EMAIL|*",
      "{{ product.url }}",
    ])
      expect(unsubscribeTag(u), u).toBeNull();
  });

  it("knows the ESPs' unsubscribe and preference merge tags by their own names", () => {
    for (const tag of [
      "*|UNSUB|*",
      "*|UPDATE_PROFILE|*",
      "{% unsubscribe_url %}",
      "{% manage_preferences_url %}",
      "<%asm_group_unsubscribe_raw_url%>",
      "<%asm_preferences_raw_url%>",
      "{{{unsubscribe}}}",
      "{{{unsubscribe_preferences}}}",
      "{{ unsubscribe_link_all }}",
      "{{ update_profile }}",
      "{{unsubscribeUrl}}",
      "{{{ pm:unsubscribe }}}",
      // biome-ignore lint/suspicious/noTemplateCurlyInString: Braze Liquid syntax, not a JS template
      "{{${set_user_to_unsubscribed_url}}}",
      "%%unsub_center_url%%",
      "%%profile_center_url%%",
      "%%subscription_center_url%%",
      "[[UNSUB_LINK_EN]]",
      "%unsubscribe_url%",
      "%tag_unsubscribe_url%",
      "%UNSUBSCRIBELINK%",
      "[unsubscribe]",
    ])
      expect(unsubscribeTag(`https://x.example/r?to=${tag}`), tag).toMatch(/merge tag /);
  });

  it("knows hosted unsubscribe pages and List-Unsubscribe-style paths", () => {
    expect(url("https://acme.us1.list-manage.com/unsubscribe?u=1&id=2")).toContain("Mailchimp");
    expect(url("https://acme.us1.list-manage.com/profile?u=1")).toContain("Mailchimp");
    expect(url("https://manage.kmail-lists.com/subscriptions/unsubscribe?a=1")).toContain("Klaviyo");
    expect(url("https://u123.ct.sendgrid.net/asm/?user_id=1")).toContain("SendGrid");
    expect(url("https://visitor.constantcontact.com/do?p=un&m=1")).toContain("Constant Contact");
    expect(url("https://shop.example/email/unsubscribe/abc123")).toBe("path segment /unsubscribe");
    expect(url("https://shop.example/Unsubscribe.aspx?id=1")).toBe("path segment /unsubscribe");
    expect(url("https://shop.example/hs/manage-preferences/unsubscribe")).toBe(
      "path segment /manage-preferences",
    );
    expect(url("https://shop.example/preference_center")).toBe("path segment /preference-center");
    expect(url("https://shop.example/newsletter/preferences")).toBe("path /newsletter/preferences");
    expect(url("https://lists.example/?p=unsubscribe&uid=9")).toBe("query p=unsubscribe");
  });

  it("reads what a link says, in the languages marketers write", () => {
    for (const t of [
      "Unsubscribe",
      "Click here to unsubscribe.",
      "unsubscribe from this list",
      "Manage preferences",
      "Update your email preferences",
      "Email settings",
      "Preference Centre",
      "Opt out",
      "Opt-out of these emails",
      "Newsletter abmelden",
      "Se désabonner",
      "Darse de baja",
      "Annulla l'iscrizione",
      "Uitschrijven",
      "Cancelar inscrição",
    ])
      expect(unsubscribeText(t), t).toBe(`link text "${t}"`);
    for (const t of [
      "How to opt out of targeted ads on every app you own",
      "Set your size preferences",
      "Camp Preferences gift set",
      "Subscribe",
      "Manage your coffee subscription",
      "",
    ])
      expect(unsubscribeText(t), t).toBeNull();
  });

  it("honours markers on a link and on the section around it, and reports why", async () => {
    const html = [
      `<a class="footer Unsubscribe--unsubscribeLink" href="https://shop.example/bye">x</a>`,
      `<a data-unsubscribe href="https://shop.example/a">x</a>`,
      `<a data-unsubscribe="false" href="https://shop.example/b">x</a>`,
      `<a href="https://shop.example/c"><img src="https://cdn.example/u.png" alt="Unsubscribe"></a>`,
      `<a href="https://shop.example/d" title="Manage preferences">⚙</a>`,
      `<div data-type="unsubscribe"><div><a href="https://shop.example/e">leave</a></div>`,
      `<a href="https://shop.example/f">leave</a></div>`,
      `<a href="https://shop.example/g">after the section</a>`,
      `<table><tr><td data-type="unsubscribe"><a href="https://shop.example/h">in a td left open</a></table>`,
      `<a href="/account/email">Unsubscribe</a>`,
      `<a href="mailto:leave@shop.example">Unsubscribe</a>`,
    ].join("");
    const r = await wrapHtml(html, {
      campaign: "c",
      dialect: "none",
      clickUrl: (id) => `https://ot.example/c/${id}`,
      openPixelUrl: "https://ot.example/o/c.gif",
      register: async (urls) => urls.map((_, i) => `L${i}`),
      addOpenPixel: false,
    });
    expect(r.links.map((l) => l.url)).toEqual([
      "https://shop.example/b",
      "https://shop.example/g",
      "https://shop.example/h",
    ]);
    expect(r.skipped).toEqual([
      {
        url: "https://shop.example/bye",
        reason: "unsubscribe",
        detail: "class Unsubscribe--unsubscribeLink",
      },
      { url: "https://shop.example/a", reason: "unsubscribe", detail: "data-unsubscribe attribute" },
      { url: "https://shop.example/c", reason: "unsubscribe", detail: 'link text "Unsubscribe"' },
      { url: "https://shop.example/d", reason: "unsubscribe", detail: 'link text "Manage preferences"' },
      {
        url: "https://shop.example/e",
        reason: "unsubscribe",
        detail: 'inside a data-type="unsubscribe" section',
      },
      {
        url: "https://shop.example/f",
        reason: "unsubscribe",
        detail: 'inside a data-type="unsubscribe" section',
      },
      { url: "/account/email", reason: "unsubscribe", detail: 'link text "Unsubscribe"' },
      { url: "mailto:leave@shop.example", reason: "mailto" },
    ]);
  });
});
