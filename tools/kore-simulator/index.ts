/**
 * Kore.ai Quality AI Raw Data API simulator, for tests, the benchmark and the local demo. It serves
 * `POST /qualityai/api/v1/public/qualitymanagement/app/{streamId}/rawdata` on 127.0.0.1 with the
 * vendor's auth, validation, window, ordering and paging rules, deterministic seeded contacts in the
 * vendor's shapes, and injectable faults.
 *
 * @example
 * ```ts
 * const sim = await startKoreSimulator({ credentials, seed: 7, contactsPerHour: 50 });
 * sim.inject({ kind: 'status', status: 503 }, { times: 2 });
 * // ... run the client against sim.url ...
 * expect(archived).toEqual(sim.contactsInWindow('st-1', hourStart, hourEnd));
 * await sim.close();
 * ```
 */
export { startKoreSimulator, rawDataPath, RAW_DATA_ROUTE } from './server';
export { mintTestToken, MAX_TOKEN_LIFETIME_SECONDS, TOKEN_EXPIRED } from './auth';
export { formatKoreDate, parseKoreDate } from './request-body';
export { DEFAULT_BEHAVIOUR } from './behaviour';
export { BIG_ID_KEY, PROTO_FIELD_VALUE } from './text-quirks';
export type {
  ContactQueryOptions,
  Fault,
  InjectOptions,
  KoreSimulator,
  MalformedVariant,
  RawContactLike,
  ServingBehaviour,
  SimChange,
  SimRequestLog,
  SimulatorCredentials,
  SimulatorOptions,
  WindowFault,
} from './types';
