import type { AddressInfo } from "node:net";
import { SMTPServer } from "smtp-server";

export interface ReceivedMail {
  from: string;
  to: string[];
  raw: string;
  /** A header's value (first occurrence, unfolded), lowercase name. */
  header(name: string): string | undefined;
}

/** A real SMTP server on loopback (smtp-server), recording every message it accepts. */
export interface TestSmtp {
  url: string;
  port: number;
  received: ReceivedMail[];
  /** Answer the next DATA commands with this SMTP reply instead of accepting (e.g. 451, 550). */
  refuseNext(code: number, times?: number): void;
  /** Hold every DATA reply until release() (a send in flight); resolves when one is held. */
  hold(): Promise<void>;
  release(): void;
  close(): Promise<void>;
}

function headerOf(raw: string, name: string): string | undefined {
  const head = raw.split(/\r?\n\r?\n/, 1)[0]!.replace(/\r?\n[ \t]+/g, " ");
  const line = head.split(/\r?\n/).find((l) => l.toLowerCase().startsWith(`${name}:`));
  return line?.slice(name.length + 1).trim();
}

export async function startSmtp(): Promise<TestSmtp> {
  const received: ReceivedMail[] = [];
  let refuse: { code: number; times: number } | null = null;
  let holding = false;
  let held: (() => void)[] = [];
  let onHeld: (() => void) | null = null;
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ["STARTTLS"],
    logger: false,
    size: 10 * 1024 * 1024,
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on("data", (c: Buffer) => chunks.push(c));
      stream.on("end", () => {
        const finish = () => {
          if (refuse && refuse.times > 0) {
            refuse.times--;
            const err = Object.assign(new Error(`refused with ${refuse.code}`), {
              responseCode: refuse.code,
            });
            return callback(err);
          }
          const raw = Buffer.concat(chunks).toString("utf8");
          received.push({
            from: session.envelope.mailFrom ? session.envelope.mailFrom.address : "",
            to: session.envelope.rcptTo.map((r) => r.address),
            raw,
            header: (n) => headerOf(raw, n),
          });
          callback();
        };
        if (holding) {
          held.push(finish);
          onHeld?.();
        } else finish();
      });
    },
  });
  await new Promise<void>((res) => server.listen(0, "127.0.0.1", () => res()));
  const port = (server.server.address() as AddressInfo).port;
  return {
    url: `smtp://127.0.0.1:${port}`,
    port,
    received,
    refuseNext(code, times = 1) {
      refuse = { code, times };
    },
    hold() {
      holding = true;
      return new Promise((res) => {
        onHeld = () => {
          onHeld = null;
          res();
        };
      });
    },
    release() {
      holding = false;
      for (const f of held.splice(0)) f();
    },
    close() {
      holding = false;
      held = [];
      return new Promise((res) => server.close(() => res()));
    },
  };
}

/** Polls `check` until it returns a value (not undefined/false), or fails after `ms`. */
export async function waitFor<T>(
  check: () => T | Promise<T>,
  ms = 10_000,
  what = "condition",
): Promise<NonNullable<T>> {
  const until = Date.now() + ms;
  for (;;) {
    const v = await check();
    if (v !== undefined && v !== false && v !== null) return v as NonNullable<T>;
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** The decoded body of the message part with this content type (quoted-printable or base64). */
export function partOf(raw: string, type: "text/html" | "text/plain"): string | undefined {
  const sections = raw.split(/\r?\n--[^\r\n]+\r?\n/);
  for (const s of sections) {
    const [head, ...rest] = s.split(/\r?\n\r?\n/);
    const h = head!.replace(/\r?\n[ \t]+/g, " ").toLowerCase();
    if (!h.includes(`content-type: ${type}`)) continue;
    let body = rest.join("\n\n").replace(/\r?\n--[^\r\n]+--\s*$/, "");
    if (h.includes("content-transfer-encoding: quoted-printable")) {
      body = body.replace(/=\r?\n/g, "");
      const bytes: number[] = [];
      for (let i = 0; i < body.length; i++) {
        if (body[i] === "=" && /^[0-9A-F]{2}$/.test(body.slice(i + 1, i + 3))) {
          bytes.push(Number.parseInt(body.slice(i + 1, i + 3), 16));
          i += 2;
        } else bytes.push(...Buffer.from(body[i]!, "utf8"));
      }
      return Buffer.from(bytes).toString("utf8");
    }
    if (h.includes("content-transfer-encoding: base64")) return Buffer.from(body, "base64").toString("utf8");
    return body;
  }
  return undefined;
}
