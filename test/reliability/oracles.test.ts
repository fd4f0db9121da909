import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { check, imageProblem, RegisteredTargets } from "../../bench/reliability/fuzz-oracles.js";
import { send, type WireRequest } from "../../bench/reliability/wire.js";
import { TRANSPARENT_GIF } from "../../src/core/tracking/answers.js";
import { openDatabase } from "../../src/node/sqlite/store.js";
import { tempDir } from "../helpers/server.js";

/**
 * The fuzz's checks against a server with each defect planted: a 5xx, a redirect nobody
 * registered, an image that does not decode, a keep-alive connection dropped under the next
 * request. What the harness reports as 0 must be a check that can say otherwise.
 */
let server: Server;
let port: number;
let targets: RegisteredTargets;
const dir = tempDir();

beforeAll(async () => {
  const db = openDatabase(join(dir, "opentime.db"));
  db.prepare(
    "INSERT INTO links (id, url, campaign, created_at) VALUES ('l1', 'https://shop.example/ok', NULL, 0)",
  ).run();
  db.close();
  targets = new RegisteredTargets(join(dir, "opentime.db"));
  // Sockets whose next request is dropped unanswered (after a keep-alive answer).
  const dropNext = new WeakSet<object>();
  server = createServer((req, res) => {
    const socket = req.socket;
    if (dropNext.has(socket)) {
      socket.destroy();
      return;
    }
    switch (req.url) {
      case "/boom":
        res.writeHead(500, { "content-type": "application/json" }).end('{"error":{"code":"internal"}}');
        return;
      case "/away":
        res.writeHead(302, { location: "https://evil.example/" }).end();
        return;
      case "/ok":
        res.writeHead(302, { location: "https://shop.example/ok" }).end();
        return;
      case "/i/bad.gif":
        res.writeHead(200, { "content-type": "image/gif" }).end(Buffer.from("GIF89a\x01\x00\x01\x00garbage"));
        return;
      case "/i/json.gif":
        res.writeHead(404, { "content-type": "application/json" }).end("{}");
        return;
      case "/i/good.gif":
        res.writeHead(200, { "content-type": "image/gif" }).end(Buffer.from(TRANSPARENT_GIF));
        return;
      case "/drop":
        dropNext.add(socket);
        res.writeHead(200, { "content-type": "text/plain" }).end("ok");
        return;
      default:
        res.writeHead(200, { "content-type": "text/plain" }).end("ok");
    }
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  port = (server.address() as AddressInfo).port;
});

afterAll(async () => {
  targets.close();
  await new Promise((r) => server.close(r));
});

const get = (target: string): WireRequest => ({ method: "GET", target, headers: [] });
async function findings(target: string) {
  const req = get(target);
  return (await check(target, req, await send(port, req), targets)).map((f) => f.kind);
}

describe("the fuzz's checks", () => {
  it("flag a 5xx, a redirect to an unregistered URL, a broken image, a non-image on an image route", async () => {
    expect(await findings("/boom")).toEqual(["5xx"]);
    expect(await findings("/away")).toEqual(["open_redirect"]);
    expect(await findings("/i/bad.gif")).toEqual(["bad_image"]);
    expect(await findings("/i/json.gif")).toEqual(["bad_image"]);
  });

  it("flag a keep-alive connection dropped under the next request", async () => {
    expect(await findings("/drop")).toEqual(["broken_connection"]);
  });

  it("pass a registered redirect, a whole image and a plain answer", async () => {
    expect(await findings("/ok")).toEqual([]);
    expect(await findings("/i/good.gif")).toEqual([]);
    expect(await findings("/plain")).toEqual([]);
    expect(await imageProblem("image/gif", Buffer.from(TRANSPARENT_GIF))).toBeNull();
    expect(await imageProblem("image/png", Buffer.from(TRANSPARENT_GIF))).toMatch(/not image\/png/);
  });
});
