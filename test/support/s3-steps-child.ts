/**
 * Child process of the fault-proxy kill tests: a fixed sequence of S3 requests through the endpoint in
 * S3_ENDPOINT (the proxy), so a test can SIGKILL it at any one of them. Exits 0 when all are done.
 * Credentials come from the environment (s3rver's fixed local pair).
 */
import { CompleteMultipartUploadCommand, CreateMultipartUploadCommand, PutObjectCommand, UploadPartCommand } from '@aws-sdk/client-s3';
import { createS3Client } from '../../functions/lib/aws/s3-client';

const endpoint = process.env.S3_ENDPOINT;
const Bucket = process.env.S3_BUCKET;
if (!endpoint || !Bucket) throw new Error('S3_ENDPOINT and S3_BUCKET must be set');
const s3 = createS3Client({ endpoint });

await s3.send(new PutObjectCommand({ Bucket, Key: 'steps/a.txt', Body: 'a' }));
const { UploadId } = await s3.send(new CreateMultipartUploadCommand({ Bucket, Key: 'steps/b.txt' }));
const part = await s3.send(new UploadPartCommand({ Bucket, Key: 'steps/b.txt', UploadId, PartNumber: 1, Body: 'b' }));
await s3.send(
  new CompleteMultipartUploadCommand({ Bucket, Key: 'steps/b.txt', UploadId, MultipartUpload: { Parts: [{ ETag: part.ETag, PartNumber: 1 }] } }),
);
await s3.send(new PutObjectCommand({ Bucket, Key: 'steps/c.txt', Body: 'c' }));
s3.destroy();
