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
