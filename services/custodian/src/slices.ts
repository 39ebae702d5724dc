/**
 * Long CPU work in slices, so one call cannot hold the event loop: between
 * slices the node answers /health, witnesses checkpoints, takes deliveries.
 * A release of 10 000 envelopes is tens of seconds of scalar multiplications
 * (binding proofs, partials and their DLEQ proofs; docs/PROTOCOL.md §3.2–§3.3).
 */
import { setImmediate as nextTurn } from 'node:timers/promises';

/** How long one slice may run before it yields, ms: well under any timeout of a call the node answers meanwhile. */
export const SLICE_MS = 10;

/**
 * `fn` over `items` in order, yielding to the event loop whenever a slice has
 * run `SLICE_MS`; `between` runs after each yield (it may throw to stop, e.g.
 * when the node was sealed meanwhile).
 */
export async function mapInSlices<T, R>(items: readonly T[], fn: (item: T, index: number) => R, between?: () => void): Promise<R[]> {
  const out: R[] = new Array<R>(items.length);
  let sliceStart = performance.now();
  for (let i = 0; i < items.length; i++) {
    if (performance.now() - sliceStart >= SLICE_MS) {
      await nextTurn();
      between?.();
      sliceStart = performance.now();
    }
    out[i] = fn(items[i]!, i);
  }
  return out;
}
