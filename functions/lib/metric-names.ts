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
  requestsSpent: 'RequestsSpent',
  windowsQuarantined: 'WindowsQuarantined',
  refreshesOverdue: 'RefreshesOverdue',
  unexpectedOutsideWindow: 'UnexpectedOutsideWindow',
  windowsSliced: 'WindowsSliced',
  refreshShrank: 'RefreshShrank',
  boundaryRecovered: 'BoundaryContactsRecovered',
  unknownKeys: 'UnknownKeys',
  typeMisfits: 'TypeMisfits',
});
