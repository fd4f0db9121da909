import type { ZodError } from "zod";

/**
 * zod issues as the blocks API reports them ("path: message", prefixed with `options.` by
 * the route). An unknown key names the key itself, so a root-level typo reads
 * "options.colour: unknown option" rather than "options.: Unrecognized key(s)…".
 */
export function optionIssues(error: ZodError): string[] {
  return error.issues.flatMap((i) => {
    const at = i.path.join(".");
    if (i.code === "unrecognized_keys") return i.keys.map((k) => `${at ? `${at}.` : ""}${k}: unknown option`);
    return [`${at}: ${i.message}`];
  });
}
