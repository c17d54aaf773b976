/**
 * The simulated contact database: contacts generated lazily per (stream, hour) and cached, plus
 * contacts added at run time. Contacts are kept as their JSON text, which is what the API sends, so
 * responses are cheap to build and every reader gets a fresh copy.
 */
import { buildContact, pickVariant, type ContactVariant, type Direction } from './generator';
import { Rng } from './prng';
import type { RawContactLike } from './types';

export const HOUR_MS = 3_600_000;

/** One stored contact: the fields the API filters and sorts on, and its JSON as UTF-8 bytes. */
export interface StoredContact {
  readonly startMs: number;
  readonly id: string;
  readonly belowThreshold: boolean;
  readonly direction: Direction | undefined;
  readonly customFields: Readonly<Record<string, string>> | undefined;
  /** `JSON.stringify(contact)` encoded once, so a page is a plain concatenation of buffers. */
  readonly json: Buffer;
}

/** Filters of a query, as the request body expresses them. */
export interface ContactFilter {
  readonly includeBelowThreshold?: boolean;
  readonly contactDirection?: Direction;
  /** Exact match on every given key; contacts without custom fields never match a non-empty filter. */
  readonly customFields?: Readonly<Record<string, unknown>>;
}

export interface ContactStoreOptions {
  readonly seed: number;
  readonly contactsPerHour: number | ((streamId: string, hourStart: Date) => number);
  readonly edgeContacts: boolean;
  /** Budget of cached generated JSON in bytes (default 256 MiB); least recently used hours are dropped first. */
  readonly cacheBytes?: number;
}

/** Overrides for added contacts, so they match the filters of the request that triggered them. */
export interface AddOverrides {
  readonly direction?: Direction;
  readonly customFields?: Readonly<Record<string, string>>;
}

/** Sort order of the API: start time, then conversation id. */
export function compareContacts(a: StoredContact, b: StoredContact): number {
  return a.startMs - b.startMs || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
}

function toStored(contact: RawContactLike, startMs: number, id: string): StoredContact {
  const direction = contact.contactDirection;
  return {
    startMs,
    id,
    belowThreshold: contact.duration_status === 'below_threshold',
    direction: direction === 'inbound' || direction === 'outbound' ? direction : undefined,
    customFields: contact.custom_fields as Record<string, string> | undefined,
    json: Buffer.from(JSON.stringify(contact), 'utf8'),
  };
}

function matches(c: StoredContact, f: ContactFilter): boolean {
  if (c.belowThreshold && !f.includeBelowThreshold) return false;
  if (f.contactDirection !== undefined && c.direction !== f.contactDirection) return false;
  if (f.customFields) {
    for (const [key, want] of Object.entries(f.customFields)) {
      if (c.customFields?.[key] !== String(want)) return false;
    }
  }
  return true;
}

function mergeSorted(a: readonly StoredContact[], b: readonly StoredContact[]): StoredContact[] {
  const out: StoredContact[] = [];
  let i = 0;
  let j = 0;
  while (i < a.length && j < b.length) {
    out.push(compareContacts(a[i] as StoredContact, b[j] as StoredContact) <= 0 ? (a[i++] as StoredContact) : (b[j++] as StoredContact));
  }
  while (i < a.length) out.push(a[i++] as StoredContact);
  while (j < b.length) out.push(b[j++] as StoredContact);
  return out;
}

/** Generated and added contacts of every stream, queried by time range. */
export class ContactStore {
  private readonly generated = new Map<string, { contacts: StoredContact[]; bytes: number }>();
  private readonly added = new Map<string, StoredContact[]>();
  private readonly addSeq = new Map<string, number>();
  private cachedBytes = 0;
  private readonly cacheBytes: number;

  constructor(private readonly options: ContactStoreOptions) {
    this.cacheBytes = options.cacheBytes ?? 256 * 1024 * 1024;
  }

  /**
   * Contacts of `streamId` with `fromMs <= start < toMs`, matching `filter`, in API order.
   */
  query(streamId: string, fromMs: number, toMs: number, filter: ContactFilter): StoredContact[] {
    const out: StoredContact[] = [];
    if (toMs <= fromMs) return out;
    const firstHour = Math.floor(fromMs / HOUR_MS) * HOUR_MS;
    for (let hour = firstHour; hour < toMs; hour += HOUR_MS) {
      for (const c of this.hour(streamId, hour)) {
        if (c.startMs >= fromMs && c.startMs < toMs && matches(c, filter)) out.push(c);
      }
    }
    return out;
  }

  /** Adds evaluated current-shape contacts starting at the given instants; returns them. */
  add(streamId: string, startTimes: readonly number[], overrides: AddOverrides = {}): StoredContact[] {
    const created: StoredContact[] = [];
    for (const startMs of startTimes) {
      const seq = (this.addSeq.get(streamId) ?? 0) + 1;
      this.addSeq.set(streamId, seq);
      const rng = Rng.keyed(this.options.seed, streamId, 'added', seq);
      // Variant digit 'a' keeps added ids disjoint from generated ones (digit '8').
      const id = `c-${rng.uuid('a')}`;
      const contact = buildContact(rng, { streamId, conversationId: id, startMs, variant: 'current', ...overrides });
      const stored = toStored(contact, startMs, id);
      const key = this.key(streamId, Math.floor(startMs / HOUR_MS) * HOUR_MS);
      const list = this.added.get(key) ?? [];
      list.push(stored);
      list.sort(compareContacts);
      this.added.set(key, list);
      created.push(stored);
    }
    return created;
  }

  /** Start times of `count` contacts spread evenly (with jitter) over `[fromMs, toMs)`. */
  spread(streamId: string, fromMs: number, toMs: number, count: number): number[] {
    const span = toMs - fromMs;
    if (span <= 0 || count <= 0) return [];
    const rng = Rng.keyed(this.options.seed, streamId, 'spread', fromMs, toMs, this.addSeq.get(streamId) ?? 0);
    return Array.from({ length: count }, (_, i) => fromMs + Math.min(span - 1, Math.floor(((i + rng.next()) * span) / count)));
  }

  private key(streamId: string, hourMs: number): string {
    return `${streamId}\u0001${hourMs}`;
  }

  private hour(streamId: string, hourMs: number): readonly StoredContact[] {
    const key = this.key(streamId, hourMs);
    const generated = this.generatedHour(key, streamId, hourMs);
    const added = this.added.get(key);
    return added ? mergeSorted(generated, added) : generated;
  }

  private generatedHour(key: string, streamId: string, hourMs: number): readonly StoredContact[] {
    const hit = this.generated.get(key);
    if (hit) {
      // Re-insert to mark as most recently used.
      this.generated.delete(key);
      this.generated.set(key, hit);
      return hit.contacts;
    }
    const contacts = this.generate(streamId, hourMs);
    const bytes = contacts.reduce((n, c) => n + c.json.length, 0);
    this.generated.set(key, { contacts, bytes });
    this.cachedBytes += bytes;
    for (const [oldKey, entry] of this.generated) {
      if (this.cachedBytes <= this.cacheBytes || oldKey === key) break;
      this.generated.delete(oldKey);
      this.cachedBytes -= entry.bytes;
    }
    return contacts;
  }

  private countFor(streamId: string, hourMs: number): number {
    const { contactsPerHour } = this.options;
    const n = typeof contactsPerHour === 'function' ? contactsPerHour(streamId, new Date(hourMs)) : contactsPerHour;
    if (!Number.isInteger(n) || n < 0) {
      throw new RangeError(`contactsPerHour must be a whole number >= 0, got ${String(n)} for ${streamId} ${new Date(hourMs).toISOString()}`);
    }
    return n;
  }

  private generate(streamId: string, hourMs: number): StoredContact[] {
    const { seed, edgeContacts } = this.options;
    const n = this.countFor(streamId, hourMs);
    const out: StoredContact[] = [];
    const make = (slot: string | number, startAt: ((rng: Rng) => number), variantOf: (rng: Rng) => ContactVariant): void => {
      const rng = Rng.keyed(seed, streamId, hourMs, slot);
      const id = `c-${rng.uuid('8')}`;
      const startMs = startAt(rng);
      const contact = buildContact(rng, { streamId, conversationId: id, startMs, variant: variantOf(rng) });
      out.push(toStored(contact, startMs, id));
    };
    for (let i = 0; i < n; i++) make(i, (rng) => hourMs + Math.floor(rng.next() * HOUR_MS), pickVariant);
    if (edgeContacts && n > 0) {
      make('edge-first', () => hourMs, () => 'current');
      make('edge-last', () => hourMs + HOUR_MS - 1, () => 'current');
    }
    return out.sort(compareContacts);
  }
}
