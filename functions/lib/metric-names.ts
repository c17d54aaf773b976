/**
 * CloudWatch metric names and namespace, shared by the function (which emits them through Powertools)
 * and the CDK stack (which alarms on them).
 */
export const METRICS = Object.freeze({
  namespace: 'KoreQaArchive',
  service: 'kore-qa-archive',
  contactsArchived: 'ContactsArchived',
  pagesFetched: 'PagesFetched',
  retries: 'ApiRetries',
  bytesWritten: 'BytesWritten',
  hoursArchived: 'HoursArchived',
  hoursBehind: 'HoursBehind',
  recordProblems: 'RecordProblems',
  windowFailures: 'WindowFailures',
  /** Every request sent to the Kore API (pages, verification passes, retries): the budget's spending. */
  requestsSpent: 'RequestsSpent',
  /** Stream-hours that failed too often and wait for their daily retry (the ledger's quarantine). */
  windowsQuarantined: 'WindowsQuarantined',
  /** Refreshes whose due time has passed without being done. */
  refreshesOverdue: 'RefreshesOverdue',
  /** Contacts a refresh found answered differently (a late score, an audit, `NA` becoming a score). */
  contactsUpdated: 'ContactsUpdated',
  unexpectedOutsideWindow: 'UnexpectedOutsideWindow',
  windowsSliced: 'WindowsSliced',
  /** Hours an invocation stopped for its deadline and checkpointed, to be continued by the next. */
  windowsCheckpointed: 'WindowsCheckpointed',
  /** Hours completed from a checkpoint (fetched across several invocations). */
  windowsContinued: 'WindowsContinued',
  refreshShrank: 'RefreshShrank',
  boundaryRecovered: 'BoundaryContactsRecovered',
  unknownKeys: 'UnknownKeys',
  typeMisfits: 'TypeMisfits',
});
