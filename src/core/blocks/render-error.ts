/** Why an open got the fallback image; the reason goes into a response header and the log. */
export class RenderError extends Error {
  constructor(readonly reason: string) {
    super(reason);
  }
}
