import { describe, expect, it } from "vitest";
import { createSigner } from "../../src/core/util/signer.js";
import { createNodeSigner } from "../../src/node/node-signer.js";

describe("node signer", () => {
  it("signs exactly like the Web Crypto signer, so ids made by one verify with the other", async () => {
    const web = createSigner("a-secret-that-is-long-enough-123");
    const node = createNodeSigner("a-secret-that-is-long-enough-123");
    for (const [purpose, data, len] of [
      ["link", "abc", 8],
      ["erased", "e:ann@x.com", 43],
      ["img", "eyJkZWFk", 22],
      ["block", "ünïcödé ✓", 12],
    ] as const) {
      const s = await web.sign(purpose, data, len);
      expect(await node.sign(purpose, data, len)).toBe(s);
      expect(await node.verify(purpose, data, s)).toBe(true);
      expect(await web.verify(purpose, data, await node.sign(purpose, data, len))).toBe(true);
      expect(await node.verify(purpose, `${data}x`, s)).toBe(false);
    }
    expect(await node.verify("link", "abc", "short")).toBe(false);
  });
});
