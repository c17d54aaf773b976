/**
 * The simulated contact database: contacts generated lazily per (stream, hour of start) and cached, plus
 * run-time edits (added, removed, duplicated, replaced contacts). An edited hour is pinned: its whole list
 * is kept in memory from then on, so an edit survives cache eviction. Contacts are kept as their JSON
 * text, which is what the API sends, so responses are plain concatenations and every reader gets a copy.
 */
import { applyDocumentedValues } from './documented-values';
import { buildContact, MAX_DURATION_MS, pickVariant, type ContactVariant, type Direction } from './generator';
import { Rng } from './prng';
import { applyTextQuirks, serializeContact } from './text-quirks';
import type { RawContactLike } from './types';

export const HOUR_MS = 3_600_000;

/** Which timestamp of a contact a time range applies to. */
export type TimeField = 'start' | 'end';

/** One stored contact: the fields the API filters and sorts on, and its JSON as UTF-8 bytes. */
export interface StoredContact {
  readonly startMs: number;
  /** `undefined` when the contact has no end time (`duration_unavailable`). */
  readonly endMs: number | undefined;
  readonly id: string;
  readonly belowThreshold: boolean;
  readonly direction: Direction | undefined;
  readonly customFields: Readonly<Record<string, string>> | undefined;
  /** The contact's exact JSON text, encoded once, so a page is a plain concatenation of buffers. */
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
  /** Apply {@link applyDocumentedValues} to every contact. Default false. */
  readonly documentedValues?: boolean;
  /** Share (0..1) of contacts whose text carries {@link applyTextQuirks}. Default 0. */
  readonly rawQuirks?: number;
}

/** Overrides for added contacts, so they match the filters of the request that triggered them. */
export interface AddOverrides {
  readonly direction?: Direction;
  readonly customFields?: Readonly<Record<string, string>>;
  /** Whether the given instants are start times (default) or end times of the new contacts. */
  readonly anchor?: TimeField;
}

/** Sort order of the API: start time, then conversation id. */
export function compareContacts(a: StoredContact, b: StoredContact): number {
  return a.startMs - b.startMs || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
}

/** The timestamp of `c` a range on `field` applies to. */
export function timeOf(c: StoredContact, field: TimeField): number | undefined {
  return field === 'start' ? c.startMs : c.endMs;
}

/** A stored contact from its object form and exact text (by default the object serialized). */
export function toStored(contact: RawContactLike, text = serializeContact(contact)): StoredContact {
  const direction = contact.contactDirection;
  const start = Date.parse(String(contact['Conversation Start Time']));
  const end = typeof contact['Conversation End Time'] === 'string' ? Date.parse(contact['Conversation End Time']) : Number.NaN;
  if (!Number.isFinite(start)) throw new RangeError('a stored contact needs a valid "Conversation Start Time"');
  return {
    startMs: start,
    endMs: Number.isFinite(end) ? end : undefined,
    id: String(contact['Conversation ID']),
    belowThreshold: contact.duration_status === 'below_threshold',
    direction: direction === 'inbound' || direction === 'outbound' ? direction : undefined,
    customFields: contact.custom_fields as Record<string, string> | undefined,
    json: Buffer.from(text, 'utf8'),
  };
}

function matches(c: StoredContact, f: ContactFilter): boolean {
  if (c.belowThreshold && !f.includeBelowThreshold) return false;
  if (f.contactDirection !== undefined && c.direction !== f.contactDirection) return false;
  if (f.customFields) {
    for (const [key, want] of Object.entries(f.customFields)) {
      if (!Object.hasOwn(c.customFields ?? {}, key) || c.customFields?.[key] !== String(want)) return false;
    }
  }
  return true;
}

/** Inserts `c` after every entry that sorts before or with it (a duplicate lands right after its original). */
function insertSorted(list: StoredContact[], c: StoredContact): void {
  let i = list.length;
  while (i > 0 && compareContacts(list[i - 1] as StoredContact, c) > 0) i--;
  list.splice(i, 0, c);
}

const hourOf = (ms: number): number => Math.floor(ms / HOUR_MS) * HOUR_MS;
/** Hours before a range whose contacts can still end inside it. */
const LOOKBACK_HOURS = Math.ceil(MAX_DURATION_MS / HOUR_MS);

/** Generated and edited contacts of every stream, queried by time range. */
export class ContactStore {
  private readonly generated = new Map<string, { contacts: StoredContact[]; bytes: number }>();
  private readonly pinned = new Map<string, StoredContact[]>();
  private readonly addSeq = new Map<string, number>();
  private cachedBytes = 0;
  private readonly cacheBytes: number;

  constructor(private readonly options: ContactStoreOptions) {
    this.cacheBytes = options.cacheBytes ?? 256 * 1024 * 1024;
  }

  /**
   * Contacts of `streamId` whose `field` timestamp `t` has `fromMs <= t < toMs`, matching `filter`, in API
   * order. With `field` `end`, contacts without an end time never match.
   */
  query(streamId: string, fromMs: number, toMs: number, filter: ContactFilter, field: TimeField = 'start'): StoredContact[] {
    const out: StoredContact[] = [];
    if (toMs <= fromMs) return out;
    const firstHour = hourOf(fromMs) - (field === 'end' ? LOOKBACK_HOURS * HOUR_MS : 0);
    for (let hour = firstHour; hour < toMs; hour += HOUR_MS) {
      for (const c of this.hour(streamId, hour)) {
        const t = timeOf(c, field);
        if (t !== undefined && t >= fromMs && t < toMs && matches(c, filter)) out.push(c);
      }
    }
    return out;
  }

  /** Adds evaluated current-shape contacts starting (or, with `anchor: 'end'`, ending) at the given instants. */
  add(streamId: string, instants: readonly number[], overrides: AddOverrides = {}): StoredContact[] {
    const { anchor = 'start', ...forced } = overrides;
    return instants.map((at) => {
      const seq = (this.addSeq.get(streamId) ?? 0) + 1;
      this.addSeq.set(streamId, seq);
      const rng = Rng.keyed(this.options.seed, streamId, 'added', seq);
      // Variant digit 'a' keeps added ids disjoint from generated ones (digit '8').
      const id = `c-${rng.uuid('a')}`;
      const placement = anchor === 'end' ? { startMs: at, endAt: at } : { startMs: at };
      const stored = this.finish(buildContact(rng, { streamId, conversationId: id, variant: 'current', ...placement, ...forced }), streamId);
      insertSorted(this.pin(streamId, hourOf(stored.startMs)), stored);
      return stored;
    });
  }

  /** Removes every entry of the given contacts (duplicates included); returns what was removed. */
  remove(streamId: string, targets: readonly Pick<StoredContact, 'id' | 'startMs'>[]): StoredContact[] {
    const removed: StoredContact[] = [];
    for (const target of targets) {
      const list = this.pin(streamId, hourOf(target.startMs));
      for (let i = list.length - 1; i >= 0; i--) {
        if ((list[i] as StoredContact).id === target.id) removed.push(...list.splice(i, 1));
      }
    }
    return removed;
  }

  /** Stores a second, identical entry of `c`, so a query returns it twice. */
  duplicate(streamId: string, c: StoredContact): void {
    insertSorted(this.pin(streamId, hourOf(c.startMs)), c);
  }

  /** Replaces every entry of `id` with `text` (which may move it to another hour); returns the new entry. */
  replace(streamId: string, old: Pick<StoredContact, 'id' | 'startMs'>, text: string): StoredContact {
    const parsed = JSON.parse(text) as RawContactLike;
    const next = toStored(parsed, text);
    if (next.id !== old.id) throw new RangeError(`replace: the new text has conversation id ${next.id}, not ${old.id}`);
    this.remove(streamId, [old]);
    insertSorted(this.pin(streamId, hourOf(next.startMs)), next);
    return next;
  }

  /** The stored entry of `id` in a loaded hour of `streamId` (pinned, or generated and still cached). */
  find(streamId: string, id: string): StoredContact | undefined {
    const prefix = `${streamId}\u0001`;
    for (const [key, list] of this.pinned) {
      const hit = key.startsWith(prefix) ? list.find((c) => c.id === id) : undefined;
      if (hit) return hit;
    }
    for (const [key, { contacts }] of this.generated) {
      // A pinned hour's generated list is stale: a contact removed from the pin must not be found there.
      const hit = key.startsWith(prefix) && !this.pinned.has(key) ? contacts.find((c) => c.id === id) : undefined;
      if (hit) return hit;
    }
    return undefined;
  }

  /** `count` instants spread evenly (with jitter) over `[fromMs, toMs)`. */
  spread(streamId: string, fromMs: number, toMs: number, count: number): number[] {
    const span = toMs - fromMs;
    if (span <= 0 || count <= 0) return [];
    const rng = Rng.keyed(this.options.seed, streamId, 'spread', fromMs, toMs, this.addSeq.get(streamId) ?? 0);
    return Array.from({ length: count }, (_, i) => fromMs + Math.min(span - 1, Math.floor(((i + rng.next()) * span) / count)));
  }

  private key(streamId: string, hourMs: number): string {
    return `${streamId}\u0001${hourMs}`;
  }

  /** Documented values and text quirks, each from its own generator so the base contact does not change. */
  private finish(contact: RawContactLike, streamId: string): StoredContact {
    const id = String(contact['Conversation ID']);
    const { seed, documentedValues = false, rawQuirks = 0 } = this.options;
    if (documentedValues) applyDocumentedValues(Rng.keyed(seed, streamId, id, 'documented'), contact);
    if (rawQuirks > 0) {
      const rng = Rng.keyed(seed, streamId, id, 'quirks');
      if (rawQuirks >= 1 || rng.chance(rawQuirks)) applyTextQuirks(rng, contact);
    }
    return toStored(contact);
  }

  private hour(streamId: string, hourMs: number): readonly StoredContact[] {
    const key = this.key(streamId, hourMs);
    return this.pinned.get(key) ?? this.generatedHour(key, streamId, hourMs);
  }

  /** The editable list of an hour, pinned in memory from now on. */
  private pin(streamId: string, hourMs: number): StoredContact[] {
    const key = this.key(streamId, hourMs);
    let list = this.pinned.get(key);
    if (!list) {
      list = [...this.generatedHour(key, streamId, hourMs)];
      this.pinned.set(key, list);
    }
    return list;
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
      out.push(this.finish(buildContact(rng, { streamId, conversationId: id, startMs, variant: variantOf(rng) }), streamId));
    };
    for (let i = 0; i < n; i++) make(i, (rng) => hourMs + Math.floor(rng.next() * HOUR_MS), pickVariant);
    if (edgeContacts && n > 0) {
      make('edge-first', () => hourMs, () => 'current');
      make('edge-last', () => hourMs + HOUR_MS - 1, () => 'current');
    }
    return out.sort(compareContacts);
  }
}
