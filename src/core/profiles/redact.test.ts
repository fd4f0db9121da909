import { describe, expect, it } from "vitest";
import { redact, redactBody } from "./redact.js";

describe("redact", () => {
  it("drops the address as a value, cuts it out of longer strings, drops keys holding it, any case", () => {
    const out = redact(
      {
        email: "Family@Example.com",
        note: "write to family@example.com or call",
        list: ["FAMILY@example.com", "other@example.com", { to: "family@example.com", n: 1 }],
        "family@example.com": true,
        kept: { deep: [1, null, "x"] },
      },
      ["family@example.com"],
    );
    expect(JSON.parse(JSON.stringify(out))).toEqual({
      note: "write to  or call",
      list: ["other@example.com", { n: 1 }],
      kept: { deep: [1, null, "x"] },
    });
  });

  it("leaves a body without the address alone (null: nothing to rewrite)", () => {
    expect(redactBody('{"traits":{"email":"a@x.com"}}', ["b@x.com"])).toBeNull();
    expect(redactBody('{"traits":{"email":"B@x.com","n":"Kim"}}', ["b@x.com"])).toBe(
      '{"traits":{"n":"Kim"}}',
    );
  });
});
