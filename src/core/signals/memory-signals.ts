import type { Logger } from "../ports/index.js";
import type { Signal, Signals } from "../ports/signals.js";

/**
 * The in-process signal bus: emit() calls every listener synchronously, and a listener
 * that throws is logged and skipped, never the emitter's problem (emitters do not wait).
 */
export function createMemorySignals(logger?: Logger): Signals {
  const listeners = new Set<(s: Signal) => void>();
  return {
    emit(signal) {
      for (const l of listeners) {
        try {
          l(signal);
        } catch (err) {
          logger?.error({ err, type: signal.type }, "a signal listener threw");
        }
      }
    },
    on(listener) {
      const own = (s: Signal) => listener(s);
      listeners.add(own);
      return () => listeners.delete(own);
    },
  };
}
