import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** A tiny Secrets Manager endpoint on loopback: answers GetSecretValue (AWS JSON 1.1) from memory. */
export interface LocalSecrets {
  /** `http://127.0.0.1:PORT`, for `AWS_ENDPOINT_URL_SECRETS_MANAGER` or the client's `endpoint`. */
  readonly endpoint: string;
  /** Every secret id asked for, in order. */
  readonly requests: readonly string[];
  set(secretId: string, value: string): void;
  close(): Promise<void>;
}

function reply(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/x-amz-json-1.1' });
  res.end(JSON.stringify(body));
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

/**
 * Starts the endpoint. Secrets Manager cannot run locally, and this is the smallest faithful stand-in: the real
 * SDK client signs and sends a real request, so the code path is the Lambda's own.
 */
export async function startLocalSecrets(initial: Record<string, string> = {}, options: { port?: number } = {}): Promise<LocalSecrets> {
  const secrets = new Map(Object.entries(initial));
  const requests: string[] = [];
  const server = createServer((req, res) => {
    void (async () => {
      const target = req.headers['x-amz-target'];
      const body = await readBody(req);
      if (req.method !== 'POST' || target !== 'secretsmanager.GetSecretValue') {
        reply(res, 400, { __type: 'InvalidRequestException', message: `unsupported operation ${String(target)}` });
        return;
      }
      const { SecretId: id } = JSON.parse(body) as { SecretId?: string };
      requests.push(String(id));
      const value = id === undefined ? undefined : secrets.get(id);
      if (id === undefined || value === undefined) {
        reply(res, 400, { __type: 'ResourceNotFoundException', message: "Secrets Manager can't find the specified secret." });
        return;
      }
      reply(res, 200, {
        ARN: `arn:aws:secretsmanager:us-east-1:000000000000:secret:${id}`,
        Name: id,
        SecretString: value,
        VersionId: '00000000-0000-0000-0000-000000000000',
        VersionStages: ['AWSCURRENT'],
        CreatedDate: Date.now() / 1000,
      });
    })().catch(() => reply(res, 500, { __type: 'InternalServiceError', message: 'local secrets endpoint failed' }));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', resolve);
  });
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    requests,
    set: (secretId, value) => void secrets.set(secretId, value),
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((err) => (err ? reject(err) : resolve()));
      }),
  };
}
