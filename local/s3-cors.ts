/**
 * The documents bucket's CORS rule (infra/data.ts: PUT from any origin, any header, ETag exposed) in
 * front of the embedded S3, which has none: a browser PUTs a large document straight to its presigned
 * URL locally as it does on AWS. Everything else is passed through untouched (fauxqs checks no signature),
 * except a single PUT larger than fauxqs takes (11 MiB a request; S3 takes 5 GB), which is relayed to it
 * as a multipart upload.
 */
import { once } from 'node:events';
import { createServer, type IncomingMessage, request, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export const UPLOAD_CORS = {
  allowedMethods: ['PUT'],
  exposedHeaders: ['ETag'],
  maxAgeSeconds: 3000,
} as const;

/** fauxqs refuses request bodies above 11 MiB; S3 parts must be at least 5 MiB (but the last). */
const SINGLE_PUT_LIMIT = 10 * 1024 * 1024;
const PART_BYTES = 8 * 1024 * 1024;
/** The upload route's own cap is 5 × MAX_DOCUMENT_BYTES; this only bounds what is held in memory. */
const RELAY_LIMIT = 256 * 1024 * 1024;

export interface CorsFront {
  endpoint: string;
  stop(): Promise<void>;
}

export async function startS3CorsFront(target: string): Promise<CorsFront> {
  const upstream = new URL(target);
  const server = createServer((req, res) => {
    const origin = req.headers.origin;
    const cors: Record<string, string> = origin
      ? {
          'access-control-allow-origin': '*',
          'access-control-expose-headers': UPLOAD_CORS.exposedHeaders.join(','),
        }
      : {};
    if (req.method === 'OPTIONS' && origin && req.headers['access-control-request-method']) {
      req.resume();
      const method = String(req.headers['access-control-request-method']).toUpperCase();
      if (!(UPLOAD_CORS.allowedMethods as readonly string[]).includes(method)) {
        res.writeHead(403, { 'content-length': '0' }).end();
        return;
      }
      res
        .writeHead(200, {
          ...cors,
          'access-control-allow-methods': UPLOAD_CORS.allowedMethods.join(','),
          'access-control-allow-headers': String(req.headers['access-control-request-headers'] ?? '*'),
          'access-control-max-age': String(UPLOAD_CORS.maxAgeSeconds),
          'content-length': '0',
        })
        .end();
      return;
    }
    const length = Number(req.headers['content-length'] ?? 0);
    if (req.method === 'PUT' && length > SINGLE_PUT_LIMIT && !req.url?.includes('uploadId=')) {
      relayMultipart(upstream.origin, req, res, cors).catch(() => {
        if (!res.headersSent) res.writeHead(502, cors).end();
        else res.destroy();
      });
      return;
    }
    const forward = request(
      {
        host: upstream.hostname,
        port: upstream.port,
        method: req.method,
        path: req.url,
        headers: req.headers,
      },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, { ...answer.headers, ...cors });
        answer.pipe(res);
      },
    );
    forward.on('error', () => {
      if (!res.headersSent) res.writeHead(502).end();
      else res.destroy();
    });
    req.pipe(forward);
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    stop: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

/** One large PUT as CreateMultipartUpload, UploadPart × n, CompleteMultipartUpload against fauxqs. */
async function relayMultipart(
  origin: string,
  req: IncomingMessage,
  res: ServerResponse,
  cors: Record<string, string>,
): Promise<void> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > RELAY_LIMIT) {
      res.writeHead(413, cors).end();
      req.destroy();
      return;
    }
    chunks.push(chunk);
  }
  const body = Buffer.concat(chunks);
  const object = `${origin}${new URL(req.url ?? '/', 'http://x').pathname}`;
  const contentType = String(req.headers['content-type'] ?? 'application/octet-stream');
  const created = await fetch(`${object}?uploads`, {
    method: 'POST',
    headers: { 'content-type': contentType },
  });
  const uploadId = /<UploadId>([^<]+)<\/UploadId>/.exec(await created.text())?.[1];
  if (!created.ok || !uploadId) throw new Error(`CreateMultipartUpload: ${created.status}`);
  const parts: string[] = [];
  for (let offset = 0, n = 1; offset < body.length; offset += PART_BYTES, n++) {
    const part = await fetch(`${object}?partNumber=${n}&uploadId=${encodeURIComponent(uploadId)}`, {
      method: 'PUT',
      body: body.subarray(offset, offset + PART_BYTES),
    });
    await part.arrayBuffer();
    if (!part.ok) throw new Error(`UploadPart ${n}: ${part.status}`);
    parts.push(`<Part><PartNumber>${n}</PartNumber><ETag>${part.headers.get('etag')}</ETag></Part>`);
  }
  const completed = await fetch(`${object}?uploadId=${encodeURIComponent(uploadId)}`, {
    method: 'POST',
    headers: { 'content-type': 'application/xml' },
    body: `<CompleteMultipartUpload>${parts.join('')}</CompleteMultipartUpload>`,
  });
  const answer = await completed.text();
  if (!completed.ok) throw new Error(`CompleteMultipartUpload: ${completed.status} ${answer}`);
  const etag = /<ETag>([^<]+)<\/ETag>/.exec(answer)?.[1]?.replaceAll('&quot;', '"') ?? '';
  res.writeHead(200, { ...cors, etag, 'content-length': '0' }).end();
}
