/**
 * The second two neighbouring hours share. The API's bounds are inclusive and second-precise (its docs: "the
 * start date to include records"), so a contact starting in `[HH+1:00:00, HH+1:00:01)` comes back for hour HH
 * too. It belongs to hour HH+1 and is left to it, but the archive does not take that on trust:
 *
 * - hour HH records those contacts, exactly as sent, in its manifest (`fetch.edge.nextHour`);
 * - when HH+1 is archived, every one its own fetch lacks is added to it (`recovered`);
 * - when HH+1 was archived first, HH checks HH+1's first-second ids and keeps any contact HH+1 lacks (`keptHere`),
 *   and names it (`keptHereIds`) so that HH+1, when it later returns that contact (it appeared late), leaves it
 *   in HH (`leftToPrevious`) instead of archiving it a second time.
 *
 * HH+1's first-second ids are those of every contact its version holds, the ones kept from its previous version
 * included. Either way, an API whose start bound is exclusive loses nothing, no contact is in both hours, and
 * the manifest and a metric say so.
 */
import type { ManifestReader } from '../archive/manifest-store';
import type { ManifestEdge } from '../archive/manifest';
import { formatTimestamp } from '../archive/schema';
import { conversationIdOf } from '../kore/record';
import { detachText } from '../kore/results-text';
import type { ApiContact } from '../types';
import { HOUR_MS } from './windows';

/** What the neighbours of one hour say about the shared seconds. */
export interface Neighbours {
  /** The previous hour's `nextHour` contacts (empty when it is not archived). */
  readonly fromPrevious: readonly ApiContact[];
  /** Conversation ids of the next hour's first second, or undefined when the next hour is not archived yet. */
  readonly nextFirstSecond: ReadonlySet<string> | undefined;
  /** Unknown keys the previous hour already reported (so a drift warning names a key once, not every hour). */
  readonly previousUnknownKeys: readonly string[];
  /** Conversation ids of this hour's first second that the previous hour keeps (its `keptHereIds`). */
  readonly keptByPrevious: ReadonlySet<string>;
}

/** Reads both neighbours' manifests. */
export async function readNeighbours(reader: ManifestReader, streamId: string, hour: Date): Promise<Neighbours> {
  const [previous, next] = await Promise.all([
    reader.read(streamId, new Date(hour.getTime() - HOUR_MS)),
    reader.read(streamId, new Date(hour.getTime() + HOUR_MS)),
  ]);
  return {
    fromPrevious: (previous?.fetch?.edge.nextHour ?? []).map((c) => ({ value: JSON.parse(c.raw) as Record<string, unknown>, text: c.raw })),
    nextFirstSecond: next?.fetch === null || next?.fetch === undefined ? undefined : new Set(next.fetch.edge.firstSecond),
    previousUnknownKeys: Object.keys(previous?.drift.unknownKeys ?? {}),
    keptByPrevious: new Set(previous?.fetch?.edge.keptHereIds ?? []),
  };
}

/** A tracker's state as JSON, for an hour fetched across invocations. */
export interface BoundarySnapshot {
  readonly fetched: readonly string[];
  readonly firstSecond: readonly string[];
  readonly nextHour: ManifestEdge['nextHour'];
  readonly keptHereIds: readonly string[];
  readonly keptHere: number;
  readonly leftToPrevious: number;
}

/** Follows one hour's fetch and decides where its boundary contacts go. */
export class BoundaryTracker {
  readonly #firstSecondPrefix: string;
  readonly #nextFirstSecondPrefix: string;
  /** Ids of the previous hour's boundary contacts this fetch returned: only those are ever asked about. */
  readonly #fetched = new Set<string>();
  readonly #fromPreviousIds: ReadonlySet<string>;
  readonly #firstSecond = new Set<string>();
  readonly #nextHour: ManifestEdge['nextHour'] = [];
  readonly #keptHereIds = new Set<string>();
  #recovered = 0;
  #keptHere = 0;
  #leftToPrevious = 0;

  constructor(
    hour: Date,
    private readonly neighbours: Neighbours,
  ) {
    // Rows carry `conversation_start_time` as "YYYY-MM-DD HH:MM:SS.mmm"; its first 19 characters name the second.
    this.#firstSecondPrefix = (formatTimestamp(hour) ?? '').slice(0, 19);
    this.#nextFirstSecondPrefix = (formatTimestamp(new Date(hour.getTime() + HOUR_MS)) ?? '').slice(0, 19);
    // Remembering every id fetched would grow with the hour; the previous hour hands over a few contacts at most.
    this.#fromPreviousIds = new Set(neighbours.fromPrevious.map((c) => conversationIdOf(c.value)).filter((id) => id !== undefined));
  }

  /** Notes a row written for this hour (its conversation id and start time columns). */
  noteRow(row: Readonly<Record<string, unknown>>): void {
    const id = this.#note(row);
    if (id !== undefined && this.#fromPreviousIds.has(id)) this.#fetched.add(id);
  }

  /**
   * Notes a row kept from the hour's previous version: the previous hour checks it among this hour's first
   * second, and one of the next hour's first second (kept here by an earlier version) stays named as kept here.
   */
  noteRetained(row: Readonly<Record<string, unknown>>): void {
    this.#note(row);
  }

  #note(row: Readonly<Record<string, unknown>>): string | undefined {
    const id = row.conversation_id;
    if (typeof id !== 'string' || id === '') return undefined;
    const start = row.conversation_start_time;
    if (typeof start === 'string' && start.startsWith(this.#firstSecondPrefix)) this.#firstSecond.add(id);
    // Only a contact kept for the next hour lies in the next hour's first second.
    if (typeof start === 'string' && start.startsWith(this.#nextFirstSecondPrefix)) this.#keptHereIds.add(id);
    return id;
  }

  /** The fetched contacts that belong here: those the previous hour keeps (see `keptHereIds`) are left there. */
  own(contacts: readonly ApiContact[]): readonly ApiContact[] {
    if (this.neighbours.keptByPrevious.size === 0) return contacts;
    return contacts.filter((contact) => {
      const id = conversationIdOf(contact.value);
      if (id === undefined || !this.neighbours.keptByPrevious.has(id)) return true;
      this.#leftToPrevious += 1;
      return false;
    });
  }

  /**
   * Contacts of the next hour's first second this fetch returned: those the already archived next hour lacks
   * are returned, to be kept here; the others are remembered for the next hour to check.
   */
  keepOrPass(contacts: readonly ApiContact[]): ApiContact[] {
    const keep: ApiContact[] = [];
    for (const contact of contacts) {
      const id = conversationIdOf(contact.value) ?? null;
      const next = this.neighbours.nextFirstSecond;
      if (next !== undefined && (id === null || !next.has(id))) {
        this.#keptHere += 1;
        keep.push(contact);
      } else {
        // Kept until the window is written: a copy, so it does not pin the page's whole body (see detachText).
        this.#nextHour.push({ conversationId: id, raw: detachText(contact.text) });
      }
    }
    return keep;
  }

  /** Once the fetch is done: the previous hour's boundary contacts this fetch lacked, to be added here. */
  missingFromPrevious(): ApiContact[] {
    const missing = this.neighbours.fromPrevious.filter((c) => {
      const id = conversationIdOf(c.value);
      return id === undefined || !this.#fetched.has(id);
    });
    this.#recovered = missing.length;
    return missing;
  }

  /** The state so far, for the next invocation of a continued hour. */
  snapshot(): BoundarySnapshot {
    return {
      fetched: [...this.#fetched],
      firstSecond: [...this.#firstSecond],
      nextHour: [...this.#nextHour],
      keptHereIds: [...this.#keptHereIds],
      keptHere: this.#keptHere,
      leftToPrevious: this.#leftToPrevious,
    };
  }

  /** Takes over the state an earlier invocation of this hour's fetch left (see {@link snapshot}). */
  restore(snapshot: BoundarySnapshot): void {
    for (const id of snapshot.fetched) this.#fetched.add(id);
    for (const id of snapshot.firstSecond) this.#firstSecond.add(id);
    this.#nextHour.push(...snapshot.nextHour);
    for (const id of snapshot.keptHereIds) this.#keptHereIds.add(id);
    this.#keptHere += snapshot.keptHere;
    this.#leftToPrevious += snapshot.leftToPrevious;
  }

  /** The manifest's `fetch.edge`. */
  edge(): ManifestEdge {
    return {
      firstSecond: [...this.#firstSecond],
      nextHour: [...this.#nextHour],
      recovered: this.#recovered,
      keptHere: this.#keptHere,
      keptHereIds: [...this.#keptHereIds],
      leftToPrevious: this.#leftToPrevious,
    };
  }
}
