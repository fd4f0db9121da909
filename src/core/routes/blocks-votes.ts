import type { App } from "../app-env.js";
import { ApiError } from "../http/errors.js";
import { findBlock } from "./blocks-shared.js";

/** GET /v1/blocks/:id/votes — a poll's tally: human votes of known recipients, one each. */
export function registerBlocksVotes(app: App): void {
  app.get("/v1/blocks/:id/votes", async (c) => {
    const s = c.get("services");
    const block = await findBlock(s, c.req.param("id"));
    if (block.type !== "poll" || !s.polls) throw new ApiError("not_found", "this block is not a poll");
    const tally = await s.polls.tally(block.id);
    const options = Array.isArray(block.options.options) ? (block.options.options as { id: string }[]) : [];
    const votes = options.map((o) => ({
      option: o.id,
      votes: Object.hasOwn(tally, o.id) ? tally[o.id]! : 0,
    }));
    return c.json({ votes, total: votes.reduce((a, v) => a + v.votes, 0) });
  });
}
