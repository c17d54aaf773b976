/**
 * The serving behaviour of the simulated API, as pure functions: which range of which timestamp a
 * request selects, in which order, and which slice of it a page serves.
 */
import type { Rng } from './prng';
import type { TimeField } from './store';
import type { ServingBehaviour } from './types';

/** The faithful mode: start time, inclusive bounds, stable order, no clamping, `limit` over the maximum refused. */
export const DEFAULT_BEHAVIOUR: Readonly<ServingBehaviour> = Object.freeze({
  windowField: 'start',
  startBound: 'inclusive',
  order: 'stable',
  pageClamp: undefined,
  overLimit: 'reject',
});

function oneOf<T extends string>(name: string, value: T | undefined, allowed: readonly T[]): void {
  if (value !== undefined && !allowed.includes(value)) throw new RangeError(`${name} must be one of ${allowed.join(', ')}`);
}

/** `base` with `patch` over it, validated; the message names the offending option. */
export function mergeBehaviour(base: Readonly<ServingBehaviour>, patch: Partial<ServingBehaviour>): ServingBehaviour {
  oneOf('windowField', patch.windowField, ['start', 'end']);
  oneOf('startBound', patch.startBound, ['inclusive', 'exclusive']);
  oneOf('order', patch.order, ['stable', 'shuffled']);
  oneOf('overLimit', patch.overLimit, ['reject', 'clamp']);
  const clamp = patch.pageClamp;
  if (clamp !== undefined) {
    if (!(Number.isInteger(clamp.max) && clamp.max >= 1)) throw new RangeError('pageClamp.max must be a whole number >= 1');
    oneOf('pageClamp.skipBy', clamp.skipBy, ['served', 'requested']);
  }
  // Only the behaviour's own keys: `patch` may be the whole SimulatorOptions (credentials included).
  const pick = <K extends keyof ServingBehaviour>(key: K): ServingBehaviour[K] =>
    // An explicit `pageClamp: undefined` switches clamping off; other undefined keys keep their value.
    patch[key] !== undefined || (key === 'pageClamp' && Object.hasOwn(patch, key)) ? (patch[key] as ServingBehaviour[K]) : base[key];
  return {
    windowField: pick('windowField'),
    startBound: pick('startBound'),
    order: pick('order'),
    pageClamp: pick('pageClamp'),
    overLimit: pick('overLimit'),
  };
}

/** A request's bounds: `startDate` and `endDate` as epoch ms (whole seconds). */
export interface RequestBounds {
  readonly startMs: number;
  readonly endMs: number;
}

/** The half-open ms range `[fromMs, toMs)` a request selects on the window field. */
export function selectedRange(q: RequestBounds, b: Readonly<ServingBehaviour>): { fromMs: number; toMs: number; field: TimeField } {
  // Bounds are whole seconds compared at ms precision: inclusive `[start.000, end.000]` is `[start, end + 1 ms)`.
  return { fromMs: q.startMs + (b.startBound === 'exclusive' ? 1 : 0), toMs: q.endMs + 1, field: b.windowField };
}

/** Which slice of the ordered result a page serves. */
export interface PagePlan {
  /** Records skipped before the page. */
  readonly skip: number;
  /** Records served at most. */
  readonly size: number;
  /** The page step the totals are reported with (`totalPages = ceil(total / step)`). */
  readonly step: number;
}

/** The page of a request with `offset`, `limit` (already capped to the maximum) and `page`. */
export function planPage(q: { offset: number; limit: number; page: number }, b: Readonly<ServingBehaviour>): PagePlan {
  const size = b.pageClamp ? Math.min(q.limit, b.pageClamp.max) : q.limit;
  const step = b.pageClamp?.skipBy === 'requested' ? q.limit : size;
  return { skip: q.offset + (q.page - 1) * step, size, step };
}

/** A copy of `items` in an order drawn from `rng` (Fisher-Yates). */
export function shuffled<T>(items: readonly T[], rng: Rng): T[] {
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(rng.next() * (i + 1));
    [out[i], out[j]] = [out[j] as T, out[i] as T];
  }
  return out;
}
