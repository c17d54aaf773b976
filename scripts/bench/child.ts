/**
 * The benchmark's child processes: started by the parent with an IPC channel, each reports one message and exits.
 * Memory is the child's own: the kernel's high-water mark of its resident set (`VmHWM` in /proc/self/status),
 * which, unlike `maxRSS` of a forked child, can never include the parent's pages.
 */
import { fork } from 'node:child_process';
import { readFileSync } from 'node:fs';

const MB = 1024 * 1024;
const round1 = (n: number): number => Math.round(n * 10) / 10;

/** What every child sends: its result, or why it failed. */
export type ChildMessage<T> = ({ readonly ok: true } & T) | { readonly ok: false; readonly error: string };

/** Runs `script` under plain `node` (no loader) and resolves with its one message. */
export function runChild<T>(script: string, args: readonly string[], env: NodeJS.ProcessEnv): Promise<ChildMessage<T>> {
  return new Promise((resolve) => {
    let message: ChildMessage<T> | undefined;
    const child = fork(script, [...args], { env, execArgv: [], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    child.on('message', (m) => (message = m as ChildMessage<T>));
    child.on('error', (error) => resolve({ ok: false, error: error.message }));
    child.on('exit', (code, signal) => resolve(message ?? { ok: false, error: `${script} exited (${signal ?? `code ${code}`}) without a report` }));
  });
}

/** A line of /proc/self/status in MB, e.g. `VmHWM` (peak resident set) or `VmRSS` (current). */
function procStatusMb(field: 'VmHWM' | 'VmRSS'): number | undefined {
  try {
    const kb = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(readFileSync('/proc/self/status', 'utf8'))?.[1];
    return kb === undefined ? undefined : round1((Number(kb) * 1024) / MB);
  } catch {
    return undefined;
  }
}

/** Peak resident memory of this process so far, from the kernel. */
export function peakRssMb(): { readonly mb: number; readonly source: 'VmHWM' | 'maxRSS' } {
  const hwm = procStatusMb('VmHWM');
  // Not Linux: maxRSS of this process itself (kilobytes), the closest equivalent.
  return hwm === undefined ? { mb: round1((process.resourceUsage().maxRSS * 1024) / MB), source: 'maxRSS' } : { mb: hwm, source: 'VmHWM' };
}

/** Current resident memory of this process. */
export function rssMb(): number {
  return procStatusMb('VmRSS') ?? round1(process.memoryUsage().rss / MB);
}

/** CPU time (user + system, all threads) since `since`, in ms. */
export function cpuMsSince(since: NodeJS.CpuUsage): number {
  const used = process.cpuUsage(since);
  return Math.round((used.user + used.system) / 1000);
}

/** Sends the child's one message and exits once it is out (idle keep-alive sockets must not keep the child alive). */
export function reportAndExit<T>(message: ChildMessage<T>): void {
  if (process.send === undefined) {
    process.stdout.write(`${JSON.stringify(message)}\n`);
    process.exit(message.ok ? 0 : 1);
  }
  process.send(message, () => process.exit(message.ok ? 0 : 1));
}

/** Runs a child's main function and reports its result or its error. */
export function childMain<T>(main: () => Promise<T>): void {
  main().then(
    (result) => reportAndExit<T>({ ok: true, ...result }),
    (error: unknown) => reportAndExit<T>({ ok: false, error: error instanceof Error ? `${error.name}: ${error.message}` : String(error) }),
  );
}
