/**
 * The real handler in a child process, killed by the fault proxy at an exact S3 request (runHandlerInChild):
 * a clean run finishes and reports, and a run killed at its first write dies there with nothing written.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { scheduledEvent, startHarness, type Harness } from '../support/harness';
import { runHandlerInChild } from '../support/kill-run';

let h: Harness;
beforeEach(async () => {
  h = await startHarness();
});
afterEach(async () => {
  h.proxy.releaseHeld();
  await h.close();
});

const EVENT = scheduledEvent('2026-11-20T11:05:00Z');

describe('runHandlerInChild', () => {
  it('runs the handler to the end and brings its summary back', async () => {
    const run = await runHandlerInChild(h.proxy, h.env(), EVENT);
    expect({ code: run.code, signal: run.signal }, run.stderr).toEqual({ code: 0, signal: null });
    expect(run.report?.ok, JSON.stringify(run.report)).toBe(true);
    expect(run.killedAt).toBeUndefined();
    expect(h.proxy.count()).toBeGreaterThan(0);
    expect((await h.s3.listKeys()).length).toBeGreaterThan(0);
  });

  it('SIGKILLs the child at the first write: the request never reaches S3 and nothing after it is sent', async () => {
    h.proxy.addRule({ operation: ['PutObject', 'CreateMultipartUpload', 'CopyObject'], nth: 1, action: 'kill' });
    const run = await runHandlerInChild(h.proxy, h.env(), EVENT);
    expect({ code: run.code, signal: run.signal }, run.stderr).toEqual({ code: null, signal: 'SIGKILL' });
    expect(run.report).toBeUndefined();
    expect(run.killedAt?.operation).toMatch(/^(PutObject|CreateMultipartUpload|CopyObject)$/);
    expect(h.proxy.log.at(-1)).toMatchObject({ seq: run.killedAt?.seq, action: 'kill' });
    expect(await h.s3.listKeys()).toEqual([]);
  });
});
