/**
 * Faults scoped to the requests of one stream and time window: transient empty answers and changes to
 * the truth while a client pages through it. A request belongs to a window when its
 * `startDate..endDate` lies within `[from, to]`, so an hour's request and every slice of it match.
 */
import type { WindowFault } from './types';

interface Entry {
  readonly streamId: string;
  readonly fromMs: number;
  readonly toMs: number;
  readonly fault: WindowFault;
  /** Matching requests answered since the injection. */
  seen: number;
}

/** What a window fault does to the request being answered. */
export interface WindowVerdict {
  /** Answer 200 with no results and totals 0. */
  readonly empty: boolean;
  /** Changes to make to the truth right after this answer. */
  readonly changes: readonly Exclude<WindowFault, { kind: 'empty' }>[];
}

/** A short label of a window fault for the request log, e.g. `empty` or `insert:3`. */
export function describeWindowFault(fault: WindowFault): string {
  return fault.kind === 'insert' || fault.kind === 'delete' ? `${fault.kind}:${fault.count}` : fault.kind;
}

function validate(fault: WindowFault, fromMs: number, toMs: number): void {
  const whole = (v: number | undefined, min: number): boolean => v === undefined || (Number.isInteger(v) && v >= min);
  if (!(Number.isFinite(fromMs) && Number.isFinite(toMs) && fromMs <= toMs)) throw new RangeError('injectWindow: from must be a date not after to');
  switch (fault.kind) {
    case 'empty':
      if (!whole(fault.times, 1)) throw new RangeError('injectWindow: empty times must be a whole number >= 1');
      return;
    case 'insert':
    case 'delete':
      if (!whole(fault.count, 1)) throw new RangeError(`injectWindow: ${fault.kind} count must be a whole number >= 1`);
      break;
    case 'oneOutOneIn':
      break;
    default:
      throw new RangeError(`injectWindow: unknown kind ${String((fault as { kind: unknown }).kind)}`);
  }
  if (!whole(fault.afterRequest, 1)) throw new RangeError('injectWindow: afterRequest must be a whole number >= 1');
}

/** The window faults of a simulator. */
export class WindowFaults {
  private entries: Entry[] = [];

  inject(streamId: string, fromMs: number, toMs: number, fault: WindowFault): void {
    validate(fault, fromMs, toMs);
    this.entries.push({ streamId, fromMs, toMs, fault, seen: 0 });
  }

  clear(): void {
    this.entries = [];
  }

  /** Counts a request about to be answered 200 for every window it belongs to; spent entries are dropped. */
  onAnswer(streamId: string, startMs: number, endMs: number): WindowVerdict {
    let empty = false;
    const changes: Exclude<WindowFault, { kind: 'empty' }>[] = [];
    this.entries = this.entries.filter((e) => {
      if (e.streamId !== streamId || startMs < e.fromMs || endMs > e.toMs) return true;
      e.seen++;
      if (e.fault.kind === 'empty') {
        empty = true;
        return e.seen < (e.fault.times ?? 1);
      }
      if (e.seen < (e.fault.afterRequest ?? 1)) return true;
      changes.push(e.fault);
      return false;
    });
    return { empty, changes };
  }

  get size(): number {
    return this.entries.length;
  }
}
