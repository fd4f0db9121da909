import { inject } from "vitest";

declare module "vitest" {
  export interface ProvidedContext {
    startMs: number;
  }
}

/**
 * How long the server took to start as this run began (ms; vitest.config.ts measures it):
 * the unit for timing budgets of in-process tests, which grow with the machine's load.
 */
export const runStartMs = inject("startMs");

/**
 * How many times slower than at rest the machine was as the run began: one start of the
 * server in seconds (about one at rest), at least 1. Real-time limits a test relies on
 * (a fetch timeout, a latency bound) are stretched by it.
 */
export const SLOWDOWN = Math.max(1, runStartMs / 1000);
