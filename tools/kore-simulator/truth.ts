/**
 * The test-facing view of the simulator's truth: what a window holds now (parsed or as exact text), direct
 * edits (add, remove, duplicate, update), and the requests spent on a window.
 */
import { selectedRange } from './behaviour';
import { parseKoreDate } from './request-body';
import type { ContactStore, StoredContact } from './store';
import type { ContactQueryOptions, RawContactLike, ServingBehaviour, SimRequestLog } from './types';

function wholeAtLeast(name: string, value: number, min: number): void {
  if (!(Number.isInteger(value) && value >= min)) throw new RangeError(`${name} must be a whole number >= ${min}`);
}

/** Each conversation id once (its first entry), order kept. */
function unique(contacts: readonly StoredContact[]): StoredContact[] {
  const seen = new Set<string>();
  return contacts.filter((c) => {
    if (seen.has(c.id)) return false;
    seen.add(c.id);
    return true;
  });
}

const wholeSecond = (d: Date): number => Math.floor(d.getTime() / 1000) * 1000;

/** Reads and edits the truth of a simulator. */
export class TruthView {
  constructor(
    private readonly store: ContactStore,
    private readonly streamExists: (streamId: string) => boolean,
    private readonly behaviour: () => Readonly<ServingBehaviour>,
  ) {}

  /** The entries a truth read selects (duplicates included), in stable API order. */
  select(streamId: string, from: Date, to: Date, opts: ContactQueryOptions = {}): StoredContact[] {
    if (!this.streamExists(streamId)) return [];
    const b = this.behaviour();
    const range = opts.asRequest
      ? selectedRange({ startMs: wholeSecond(from), endMs: wholeSecond(to) }, b)
      : { fromMs: from.getTime(), toMs: to.getTime() };
    const filter = { includeBelowThreshold: opts.includeBelowThreshold, contactDirection: opts.contactDirection };
    return this.store.query(streamId, range.fromMs, range.toMs, filter, b.windowField);
  }

  contactsInWindow(streamId: string, from: Date, to: Date, opts?: ContactQueryOptions): RawContactLike[] {
    return unique(this.select(streamId, from, to, opts)).map((c) => JSON.parse(c.json.toString('utf8')) as RawContactLike);
  }

  truthText(streamId: string, from: Date, to: Date, opts?: ContactQueryOptions): Map<string, string> {
    return new Map(unique(this.select(streamId, from, to, opts)).map((c) => [c.id, c.json.toString('utf8')]));
  }

  addContacts(streamId: string, from: Date, to: Date, count: number): string[] {
    wholeAtLeast('addContacts: count', count, 0);
    const field = this.behaviour().windowField;
    const times = this.store.spread(streamId, from.getTime(), to.getTime(), count);
    return this.store.add(streamId, times, { anchor: field }).map((c) => c.id);
  }

  removeContacts(streamId: string, conversationIds: readonly string[]): string[] {
    const found = conversationIds.map((id) => this.store.find(streamId, id)).filter((c): c is StoredContact => c !== undefined);
    return [...new Set(this.store.remove(streamId, found).map((c) => c.id))];
  }

  duplicateContacts(streamId: string, from: Date, to: Date, count: number): string[] {
    wholeAtLeast('duplicateContacts: count', count, 1);
    const visible = unique(this.select(streamId, from, to));
    const visibleIds = new Set(visible.map((c) => c.id));
    const candidates = [...visible, ...unique(this.select(streamId, from, to, { includeBelowThreshold: true })).filter((c) => !visibleIds.has(c.id))];
    if (candidates.length < count) throw new RangeError(`duplicateContacts: the window holds ${candidates.length} contacts, fewer than ${count}`);
    // Evenly spaced picks, so duplicates fall on different pages.
    const picked = Array.from({ length: count }, (_, i) => candidates[Math.floor(((i + 0.5) * candidates.length) / count)] as StoredContact);
    for (const c of picked) this.store.duplicate(streamId, c);
    return picked.map((c) => c.id);
  }

  updateContact(streamId: string, conversationId: string, patch: Readonly<Record<string, unknown>>): string {
    const old = this.store.find(streamId, conversationId);
    if (!old) throw new RangeError(`updateContact: ${conversationId} is not in a loaded hour of ${streamId}; read its window first`);
    const merged = { ...(JSON.parse(old.json.toString('utf8')) as RawContactLike), ...patch };
    return this.store.replace(streamId, old, JSON.stringify(merged)).json.toString('utf8');
  }

  /** Requests of `streamId` whose body's `startDate..endDate` lies within `[from, to]`. */
  static requestsFor(requests: readonly SimRequestLog[], streamId: string, from: Date, to: Date): SimRequestLog[] {
    return requests.filter((r) => {
      if (r.streamId !== streamId || typeof r.body !== 'object' || r.body === null) return false;
      const body = r.body as Record<string, unknown>;
      const start = parseKoreDate(body.startDate);
      const end = parseKoreDate(body.endDate);
      return start !== undefined && end !== undefined && start >= from.getTime() && end <= to.getTime();
    });
  }
}
