// The baseline every HTTP benchmark is measured against: a bare Hono app on
// @hono/node-server answering a fixed 302 (and a fixed 1x1 GIF, or a given file), nothing else.
import { readFileSync } from "node:fs";
import { serve } from "@hono/node-server";
import { Hono } from "hono";

const GIF = new Uint8Array([
  0x47, 0x49, 0x46, 0x38, 0x39, 0x61, 0x01, 0x00, 0x01, 0x00, 0x80, 0x00, 0x00, 0x00, 0x00, 0x00, 0xff, 0xff,
  0xff, 0x21, 0xf9, 0x04, 0x01, 0x00, 0x00, 0x00, 0x00, 0x2c, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00, 0x01, 0x00,
  0x00, 0x02, 0x02, 0x44, 0x01, 0x00, 0x3b,
]);
const app = new Hono();
app.get("/c/:id", (c) => c.redirect("https://shop.example/landing", 302));
app.get("/o/:file", (c) => c.body(GIF, 200, { "Content-Type": "image/gif" }));
// BASELINE_FILE's bytes as a GIF: what the load generator alone manages with a live image's
// own body, so a figure bound by the client can be told from a slow server.
const file = new Uint8Array(
  process.env.BASELINE_FILE ? readFileSync(process.env.BASELINE_FILE) : new Uint8Array(0),
);
app.get("/file", (c) => c.body(file, 200, { "Content-Type": "image/gif" }));
const server = serve({ fetch: app.fetch, port: 0, hostname: "127.0.0.1" }, (info) => {
  console.log(JSON.stringify({ port: info.port, msg: "baseline listening" }));
});
process.on("SIGTERM", () => server.close(() => process.exit(0)));
