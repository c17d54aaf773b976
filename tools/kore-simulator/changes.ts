/**
 * Changes to the simulator's truth while a client pages through a window: contacts inserted before and
 * after the paging position, contacts removed that were already served, and one out, one in. Each is a
 * real change to the store, so every later request and the truth readers see it.
 */
import type { ContactStore, StoredContact, TimeField } from './store';
import { timeOf } from './store';
import type { Direction } from './generator';
import type { WindowFault } from './types';

/** The request after whose answer a change happens. */
export interface ChangeContext {
  readonly store: ContactStore;
  readonly streamId: string;
  /** The ms range the request selected, on `field`. */
  readonly fromMs: number;
  readonly toMs: number;
  readonly field: TimeField;
  /** What the request selected before the change, in stable order. */
  readonly selected: readonly StoredContact[];
  /** The records the request served, in the order served. */
  readonly served: readonly StoredContact[];
  /** Filters of the request, so that added contacts match them. */
  readonly direction: Direction | undefined;
  readonly customFields: Readonly<Record<string, unknown>> | undefined;
}

/** Ids a change added and removed. */
export interface ChangeResult {
  readonly added: string[];
  readonly removed: string[];
}

type Change = Exclude<WindowFault, { kind: 'empty' }>;

/** Applies one change; `insert` also implements the queued `addContacts` fault. */
export function applyChange(ctx: ChangeContext, change: Change): ChangeResult {
  switch (change.kind) {
    case 'insert':
      return { added: insert(ctx, Math.ceil(change.count / 2), change.count - Math.ceil(change.count / 2)), removed: [] };
    case 'delete':
      return { added: [], removed: remove(ctx, change.count) };
    case 'oneOutOneIn': {
      const removed = remove(ctx, 1);
      return { added: insert(ctx, 0, 1), removed };
    }
  }
}

/** The latest served timestamp: the client's paging position in time. */
function pivot(ctx: ChangeContext): number | undefined {
  const times = ctx.served.map((c) => timeOf(c, ctx.field)).filter((t): t is number => t !== undefined);
  return times.length > 0 ? Math.max(...times) : undefined;
}

/** Adds `before` contacts strictly before the paging position and `after` strictly after it (where there is room). */
function insert(ctx: ChangeContext, before: number, after: number): string[] {
  const { store, streamId, fromMs, toMs } = ctx;
  const at = pivot(ctx) ?? toMs;
  const roomBefore = at > fromMs;
  const roomAfter = at + 1 < toMs;
  const total = before + after;
  const times =
    roomBefore && roomAfter
      ? [...store.spread(streamId, fromMs, at, before), ...store.spread(streamId, at + 1, toMs, after)]
      : roomBefore
        ? store.spread(streamId, fromMs, at, total)
        : roomAfter
          ? store.spread(streamId, at + 1, toMs, total)
          : store.spread(streamId, fromMs, toMs, total);
  const customFields = ctx.customFields
    ? Object.fromEntries(Object.entries(ctx.customFields).map(([k, v]) => [k, String(v)]))
    : undefined;
  return store.add(streamId, times, { direction: ctx.direction, customFields, anchor: ctx.field }).map((c) => c.id);
}

/** Removes `count` contacts: those served first (in serving order), then earlier ones (nearest first), then later ones. */
function remove(ctx: ChangeContext, count: number): string[] {
  const served = new Set(ctx.served.map((c) => c.id));
  const first = ctx.selected.findIndex((c) => served.has(c.id));
  const earlier = first < 0 ? [] : ctx.selected.slice(0, first).reverse();
  const rest = ctx.selected.filter((c, i) => !served.has(c.id) && (first < 0 || i > first));
  const picked: StoredContact[] = [];
  const ids = new Set<string>();
  for (const c of [...ctx.served, ...earlier, ...rest]) {
    if (picked.length >= count) break;
    if (ids.has(c.id)) continue;
    ids.add(c.id);
    picked.push(c);
  }
  ctx.store.remove(ctx.streamId, picked);
  return picked.map((c) => c.id);
}
