/**
 * The queue of injected faults. Faults are consumed in order, one per raw-data request; the head
 * entry first lets `afterRequests` requests pass, then applies to the next `times` requests.
 */
import type { Fault, InjectOptions } from './types';

interface QueuedFault {
  readonly fault: Fault;
  remaining: number;
  skip: number;
}

/** A short label of a fault for the request log, e.g. `status:503` or `latency:200`. */
export function describeFault(fault: Fault): string {
  switch (fault.kind) {
    case 'status':
      return `status:${fault.status}`;
    case 'malformed':
      return `malformed:${fault.variant ?? 'results-not-array'}`;
    case 'latency':
      return `latency:${fault.ms}`;
    case 'addContacts':
      return `addContacts:${fault.count}`;
    default:
      return fault.kind;
  }
}

function validate(fault: Fault, opts: InjectOptions): void {
  const whole = (v: number | undefined, min: number): boolean => v === undefined || (Number.isInteger(v) && v >= min);
  if (!whole(opts.times, 1)) throw new RangeError('inject: times must be a whole number >= 1');
  if (!whole(opts.afterRequests, 0)) throw new RangeError('inject: afterRequests must be a whole number >= 0');
  if (fault.kind === 'status' && (!Number.isInteger(fault.status) || fault.status < 100 || fault.status > 599)) {
    throw new RangeError('inject: status must be an HTTP status code');
  }
  if (fault.kind === 'latency' && !(fault.ms >= 0)) throw new RangeError('inject: latency ms must be >= 0');
  if (fault.kind === 'addContacts' && !whole(fault.count, 1)) throw new RangeError('inject: addContacts count must be a whole number >= 1');
}

/** FIFO of injected faults. */
export class FaultQueue {
  private readonly queue: QueuedFault[] = [];

  inject(fault: Fault, opts: InjectOptions = {}): void {
    validate(fault, opts);
    this.queue.push({ fault, remaining: opts.times ?? 1, skip: opts.afterRequests ?? 0 });
  }

  clear(): void {
    this.queue.length = 0;
  }

  /** The fault for the current raw-data request, if any; consumes it. */
  next(): Fault | undefined {
    const head = this.queue[0];
    if (!head) return undefined;
    if (head.skip > 0) {
      head.skip--;
      return undefined;
    }
    head.remaining--;
    if (head.remaining <= 0) this.queue.shift();
    return head.fault;
  }

  get size(): number {
    return this.queue.length;
  }
}
