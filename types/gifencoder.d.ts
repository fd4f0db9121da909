// gifencoder ships no types; only what the countdown baseline benchmark uses.
declare module "gifencoder" {
  export default class GIFEncoder {
    constructor(width: number, height: number);
    start(): void;
    finish(): void;
    setRepeat(n: number): void;
    setDelay(ms: number): void;
    setQuality(q: number): void;
    setTransparent(color: number | null): void;
    addFrame(data: Uint8ClampedArray | Uint8Array | CanvasRenderingContext2D): void;
    out: { getData(): Buffer };
  }
}
