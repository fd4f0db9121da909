import { join } from "node:path";
import { parseArgs } from "node:util";
import { parseCountdownBlock } from "./core/blocks/countdown-block.js";
import { signedImageUrl } from "./core/blocks/signed-url.js";
import { publicUrlOf } from "./core/config.js";
import { Links } from "./core/links/links.js";
import { systemClock, webRandom } from "./core/services.js";
import { createSigner } from "./core/util/signer.js";
import { DIALECTS, WrapError, type WrapResult, wrapEmail, wrapRequest } from "./core/wrap/index.js";
import { loadConfig } from "./node/config.js";
import { createCountdownKit } from "./node/countdown-kit.js";
import { DB_FILE } from "./node/server.js";
import { createSqliteStore } from "./node/sqlite/store.js";

const USAGE = `usage:
  opentime serve                      run the server (same as npm start)
  opentime wrap --dialect <esp> [--campaign <id>] [--field email|id] [--no-pixel] < in.html > out.html
      registers the links in OPENTIME_DATA_DIR (the server's store) and prints the tracked HTML
      dialects: ${DIALECTS.join(", ")}
  opentime url countdown --deadline <ISO with offset | local time> [--tz <IANA zone>] [--locale de]
                         [--width 600] [--height 120] [--layout boxes] [--font Roboto-Bold] [--format gif]
                         [--campaign <id>] [--options '<JSON>']
      prints a signed countdown image URL (no API call; signed with OPENTIME_SECRET from the data dir)
`;

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of process.stdin) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString("utf8");
}

// Which flag (or stdin) each field of the wrap request comes from, to name it in an error.
const WRAP_SOURCES: Readonly<Record<string, string>> = {
  html: "the HTML on stdin",
  campaign: "--campaign",
  dialect: "--dialect",
  recipientField: "--field",
  "utm.source": "--utm-source",
  "utm.medium": "--utm-medium",
  "utm.campaign": "--utm-campaign",
};

async function wrap(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      dialect: { type: "string", default: "none" },
      campaign: { type: "string", default: "default" },
      field: { type: "string", default: "email" },
      "no-pixel": { type: "boolean", default: false },
      "utm-source": { type: "string" },
      "utm-medium": { type: "string" },
      "utm-campaign": { type: "string" },
    },
  });
  const utm = Object.fromEntries(
    (["source", "medium", "campaign"] as const).flatMap((k) => {
      const v = values[`utm-${k}`];
      return v === undefined ? [] : [[k, v]];
    }),
  );
  // The API's request schema, so the CLI accepts and refuses exactly what the API does.
  const parsed = wrapRequest.safeParse({
    html: await readStdin(),
    campaign: values.campaign,
    dialect: values.dialect,
    recipientField: values.field,
    utm: Object.keys(utm).length ? utm : undefined,
    openPixel: !values["no-pixel"],
  });
  if (!parsed.success) {
    for (const i of parsed.error.issues.slice(0, 5)) {
      const field = i.path.join(".");
      process.stderr.write(`opentime wrap: ${WRAP_SOURCES[field] ?? field}: ${i.message}\n`);
    }
    process.stderr.write(USAGE);
    return 2;
  }
  const { config } = loadConfig();
  const store = createSqliteStore(join(config.OPENTIME_DATA_DIR, DB_FILE));
  try {
    const links = new Links(store.links, createSigner(config.OPENTIME_SECRET), systemClock, webRandom);
    let result: WrapResult;
    try {
      result = await wrapEmail(links, publicUrlOf(config), parsed.data);
    } catch (err) {
      if (!(err instanceof WrapError)) throw err;
      process.stderr.write(`opentime wrap: ${err.message}\n`);
      return 2;
    }
    process.stdout.write(result.html);
    for (const s of result.skipped)
      process.stderr.write(
        `opentime wrap: left alone (${s.reason}${s.detail ? `: ${s.detail}` : ""}): ${s.url}\n`,
      );
    process.stderr.write(
      `opentime wrap: ${result.links.length} links tracked, ${result.skipped.length} left alone\n`,
    );
    return 0;
  } finally {
    await store.close();
  }
}

async function url(argv: string[]): Promise<number> {
  const [kind, ...rest] = argv;
  if (kind !== "countdown") {
    process.stderr.write(`opentime url: only "countdown" is available\n${USAGE}`);
    return 2;
  }
  const { values } = parseArgs({
    args: rest,
    options: {
      deadline: { type: "string" },
      tz: { type: "string" },
      locale: { type: "string" },
      width: { type: "string" },
      height: { type: "string" },
      layout: { type: "string" },
      font: { type: "string" },
      format: { type: "string", default: "gif" },
      campaign: { type: "string" },
      options: { type: "string" },
    },
  });
  const options: Record<string, unknown> = values.options ? JSON.parse(values.options) : {};
  if (values.deadline)
    options.deadline = values.tz ? { local: values.deadline, timeZone: values.tz } : values.deadline;
  for (const k of ["locale", "layout", "font", "campaign"] as const) if (values[k]) options[k] = values[k];
  for (const k of ["width", "height"] as const) if (values[k]) options[k] = Number(values[k]);
  if (!["gif", "png", "jpg", "webp"].includes(values.format!)) {
    process.stderr.write("opentime url: --format must be gif, png, jpg or webp\n");
    return 2;
  }
  const kit = await createCountdownKit();
  const parsed = parseCountdownBlock(options, kit.fontIds);
  if (!parsed.ok) {
    process.stderr.write(`opentime url: ${parsed.issues.join("; ")}\n`);
    return 2;
  }
  const { config } = loadConfig();
  const signer = createSigner(config.OPENTIME_SECRET);
  process.stdout.write(`${await signedImageUrl(signer, publicUrlOf(config), options, values.format!)}\n`);
  return 0;
}

async function main(argv: string[]): Promise<number> {
  process.umask(0o077); // the store `wrap` opens is its owner's alone, as the server's is
  const [cmd, ...rest] = argv;
  switch (cmd) {
    case "wrap":
      return wrap(rest);
    case "url":
      return url(rest);
    case "serve":
      await import("./node/main.js");
      return -1; // keep running
    default:
      process.stdout.write(USAGE);
      return cmd === undefined || cmd === "help" || cmd === "--help" ? 0 : 2;
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    if (code >= 0) process.exitCode = code;
  },
  (err) => {
    process.stderr.write(`opentime: ${err?.message ?? err}\n`);
    process.exitCode = 1;
  },
);
