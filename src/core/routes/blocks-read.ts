import type { App } from "../app-env.js";
import { blockView, findBlock } from "./blocks-shared.js";

export function registerBlocksRead(app: App): void {
  app.get("/v1/blocks/:id", async (c) => {
    const s = c.get("services");
    return c.json(blockView(s, await findBlock(s, c.req.param("id"))));
  });
}
