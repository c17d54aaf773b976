/**
 * The page bodies of one stream-hour exactly as the simulated API sends them, fetched over HTTP like the function
 * fetches them: the input of the bare-minimum baseline, so both work on the same bytes.
 */
import { writeFile } from 'node:fs/promises';
import { formatKoreDate, mintTestToken, rawDataPath, type KoreSimulator, type SimulatorCredentials } from '../../tools/kore-simulator';
import { HOUR_MS } from '../../functions/lib/sync/windows';

/** Fetches every page of `[hour, hour + 1 h]` and writes them to `file` as a JSON array of strings; returns the page count. */
export async function savePages(sim: KoreSimulator, credentials: SimulatorCredentials, streamId: string, hour: Date, pageSize: number, file: string): Promise<number> {
  const auth = await mintTestToken(credentials);
  const bodies: string[] = [];
  for (let page = 1; ; page += 1) {
    const res = await fetch(`${sim.url}${rawDataPath(streamId)}`, {
      method: 'POST',
      headers: { auth, accountId: credentials.accountId, orgId: credentials.orgId, 'content-type': 'application/json' },
      body: JSON.stringify({
        startDate: formatKoreDate(hour),
        endDate: formatKoreDate(new Date(hour.getTime() + HOUR_MS)),
        limit: pageSize,
        page,
        offset: 0,
        include_below_threshold: true,
      }),
    });
    const text = await res.text();
    if (res.status !== 200) throw new Error(`page ${page} of ${streamId}: HTTP ${res.status}`);
    bodies.push(text);
    if ((JSON.parse(text) as { hasMore?: boolean }).hasMore !== true) break;
  }
  await writeFile(file, JSON.stringify(bodies));
  return bodies.length;
}
