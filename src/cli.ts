import { join } from "node:path";
import { parseArgs } from "node:util";
import { AppAuth } from "./core/auth/sessions.js";
import { parseCountdownBlock } from "./core/blocks/countdown-block.js";
import { signedImageUrl } from "./core/blocks/signed-url.js";
import { publicUrlOf } from "./core/config.js";
import { Links } from "./core/links/links.js";
import { ROLES, type Role } from "./core/ports/users.js";
import { PASSWORD_MIN } from "./core/routes/app-auth-shared.js";
import { systemClock, webRandom } from "./core/services.js";
import { base64url } from "./core/util/encoding.js";
import { createSigner } from "./core/util/signer.js";
import { DIALECTS, WrapError, type WrapResult, wrapEmail, wrapRequest } from "./core/wrap/index.js";
import { createScryptHasher } from "./node/auth/scrypt.js";
import { loadConfig } from "./node/config.js";
import { createCountdownKit } from "./node/countdown-kit.js";
import { privateDataDir } from "./node/data-dir.js";
import { DB_FILE } from "./node/server.js";
import { createSqliteStore, openDatabase } from "./node/sqlite/store.js";
import { SqliteUserStore } from "./node/sqlite/user-store.js";

const USAGE = `usage:
  opentime serve                      run the server (same as npm start)
  opentime wrap --dialect <esp> [--campaign <id>] [--field email|id] [--no-pixel] < in.html > out.html
      registers the links in OPENTIME_DATA_DIR (the server's store) and prints the tracked HTML
      dialects: ${DIALECTS.join(", ")}
  opentime url countdown --deadline <ISO with offset | local time> [--tz <IANA zone>] [--locale de]
                         [--width 600] [--height 120] [--layout boxes] [--font Roboto-Bold] [--format gif]
                         [--campaign <id>] [--options '<JSON>']
      prints a signed countdown image URL (no API call; signed with OPENTIME_SECRET from the data dir)
  opentime user add <email> [--role admin|editor] [--password-stdin]
      a person who signs in to the web app (/app); without --password-stdin a password is
      generated and printed once
  opentime user list | opentime user remove <email>
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

async function user(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      role: { type: "string", default: "editor" },
      "password-stdin": { type: "boolean", default: false },
    },
  });
  const [sub, email] = positionals;
  const role = values.role as Role;
  if (!sub || (sub !== "list" && !email) || !ROLES.includes(role)) {
    process.stderr.write(USAGE);
    return 2;
  }
  const { config } = loadConfig();
  privateDataDir(config.OPENTIME_DATA_DIR);
  const db = openDatabase(join(config.OPENTIME_DATA_DIR, DB_FILE));
  try {
    const users = new SqliteUserStore(db);
    const auth = new AppAuth(users, createScryptHasher(), systemClock, webRandom);
    if (sub === "list") {
      for (const u of await users.listUsers()) process.stdout.write(`${u.email}\t${u.role}\n`);
      return 0;
    }
    if (sub === "remove") {
      const u = await users.userByEmail(email!.trim().toLowerCase());
      if (!u) throw new Error(`no user ${email}`);
      await users.deleteUser(u.id);
      process.stdout.write(`removed ${u.email} and their sessions\n`);
      return 0;
    }
    if (sub !== "add") {
      process.stderr.write(USAGE);
      return 2;
    }
    const given = values["password-stdin"] ? (await readStdin()).replace(/\r?\n$/, "") : null;
    if (given !== null && given.length < PASSWORD_MIN)
      throw new Error(`the password needs at least ${PASSWORD_MIN} characters`);
    const password = given ?? base64url(webRandom(15));
    const u = await auth.addUser(email!, password, role);
    process.stdout.write(`added ${u.email} (${u.role})${given === null ? `; password: ${password}` : ""}\n`);
    return 0;
  } catch (err) {
    process.stderr.write(`opentime user: ${(err as Error).message}\n`);
    return 1;
  } finally {
    db.close();
  }
}

async function main(argv: string[]): Promise<number> {
  process.umask(0o077); // the store `wrap` opens is its owner's alone, as the server's is
  const [cmd, ...rest] = argv;
  switch (cmd) {
    case "wrap":
      return wrap(rest);
    case "url":
      return url(rest);
    case "user":
      return user(rest);
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
