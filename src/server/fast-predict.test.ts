/**
 * The direct predict path (fast-predict.ts) against the Fastify route it stands in for: two real
 * listeners on one workspace, one with `fastPredict` on and one with it off, get the same requests
 * (good ones, every body error, auth failures, unusual media types) and must give the same status,
 * headers and body (prediction and request ids aside).
 */
import { connect } from 'node:net';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { localPrincipal } from '../auth/index.js';
import { servingFixture, type ServingFixture } from '../serving/test-support/serving-fixture.js';
import { openWorkspace, type Workspace } from '../workspace/index.js';
import { buildServer } from './index.js';

interface Side {
  ws: Workspace;
  app: FastifyInstance & { mloopState: { closing: boolean } };
  base: string;
}

let f: ServingFixture;
let fast: Side;
let slow: Side;
let viewer: string;
const env = { MLOOP_BODY_LIMIT_BYTES: '4096', MLOOP_AUTH_CACHE_MS: '60000' };

async function side(fastPredict: boolean, serving: { maxInflight?: number } = {}): Promise<Side> {
  const ws = await openWorkspace({ workspace: f.dir, env });
  const app = await buildServer(ws, { fastPredict, serving: { pollIntervalMs: 60_000, maxRowsPerRequest: 5, log: { flushIntervalMs: 10 }, ...serving } });
  await app.listen({ host: '127.0.0.1', port: 0 });
  const address = app.server.address();
  return { ws, app, base: `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}` };
}

/** Closes a side, and the client's idle keep-alive sockets with it (the server lets them linger on close). */
async function stop(s: Side | undefined): Promise<void> {
  if (!s) return;
  const closing = s.app.close();
  s.app.server.closeAllConnections();
  await closing;
  await s.ws.close();
}

beforeAll(async () => {
  f = await servingFixture();
  await f.ws.serving.deploy('test', 'support@champion');
  await f.ws.auth.createUser(localPrincipal(), 'vic', ['viewer']);
  viewer = (await f.ws.auth.createToken(localPrincipal(), { user: 'vic' })).token;
  fast = await side(true);
  slow = await side(false);
}, 120_000);
afterAll(async () => {
  for (const s of [fast, slow]) await stop(s);
  await f?.cleanup();
});

interface Call {
  body?: string;
  headers?: Record<string, string>;
  name?: string;
  path?: string;
  /** Send the body in chunks of this many bytes, without Content-Length (chunked transfer). */
  chunked?: number;
}

async function call(s: Side, c: Call): Promise<{ status: number; headers: Record<string, string | null>; body: string }> {
  const headers: Record<string, string> = { 'content-type': 'application/json', authorization: `Bearer ${f.adminToken}`, ...c.headers };
  for (const [k, v] of Object.entries(headers)) if (v === '') delete headers[k];
  const text = c.body ?? JSON.stringify({ instances: [{ text: f.texts[0] }] });
  const bytes = new TextEncoder().encode(text);
  const size = c.chunked ?? 0;
  const body =
    size > 0
      ? new ReadableStream<Uint8Array>({
          start(controller) {
            for (let i = 0; i < bytes.length; i += size) controller.enqueue(bytes.slice(i, i + size));
            controller.close();
          },
        })
      : text;
  const res = await fetch(`${s.base}${c.path ?? `/v1/models/${c.name ?? 'support'}:predict`}`, { method: 'POST', headers, body, ...(size > 0 ? { duplex: 'half' } : {}) } as RequestInit);
  const pick = ['content-type', 'retry-after', 'connection'];
  return { status: res.status, headers: Object.fromEntries(pick.map((h) => [h, res.headers.get(h)])), body: await res.text() };
}

/** The answer without what differs by design between two calls: ids. */
function normal(body: string): unknown {
  return JSON.parse(body.replace(/prd_[0-9a-f]{32}/g, 'prd_').replace(/"request_id":"[^"]*"/g, '"request_id":""'));
}

const text = (i: number) => f.texts[i]!;
const cases: Array<[string, Call]> = [
  ['one row', {}],
  ['three rows with extra fields', { body: JSON.stringify({ instances: [{ text: 'I was charged twice this month', x: 1 }, { text: 'where is my parcel?' }, { text: 'reset my password please' }], other: true }) }],
  ['a charset parameter', { headers: { 'content-type': 'application/json; charset=utf-8' } }],
  ['a row missing its field', { body: JSON.stringify({ instances: [{ text: 'a' }, { txt: 'b' }] }) }],
  ['a mistyped field', { body: JSON.stringify({ instances: [{ text: 42 }] }) }],
  ['no rows', { body: '{"instances":[]}' }],
  ['a scalar instances (coerced to one row, as ajv does)', { body: '{"instances":"hello"}' }],
  ['a null instances', { body: '{"instances":null}' }],
  ['an object instances', { body: '{"instances":{"text":"x"}}' }],
  ['no instances', { body: '{"rows":[]}' }],
  ['an array body', { body: '[{"text":"x"}]' }],
  ['a null body', { body: 'null' }],
  ['a string body', { body: '"x"' }],
  ['invalid JSON', { body: '{"instances": [' }],
  ['an empty body', { body: '' }],
  ['a prototype-poisoning body', { body: '{"instances":[{"text":"x"}],"__proto__":{"polluted":true}}' }],
  ['a constructor-poisoning body', { body: '{"instances":[{"text":"x"}],"constructor":{"prototype":{"polluted":true}}}' }],
  ['a body over the limit', { body: JSON.stringify({ instances: Array.from({ length: 200 }, () => ({ text: 'a long enough text' })) }) }],
  ['a chunked body', { chunked: 7 }],
  ['a chunked body over the limit', { chunked: 1000, body: JSON.stringify({ instances: Array.from({ length: 200 }, () => ({ text: 'a long enough text' })) }) }],
  ['too many rows', { body: JSON.stringify({ instances: Array.from({ length: 6 }, () => ({ text: 'x' })) }) }],
  ['an unknown deployment', { name: 'nope' }],
  ['a name the route does not take', { name: 'Bad_Name' }],
  ['a query string', { path: '/v1/models/support:predict?x=1' }],
  ['no token', { headers: { authorization: '' } }],
  ['a malformed Authorization header', { headers: { authorization: 'Token abc' } }],
  ['an unknown token', { headers: { authorization: 'Bearer mlp_unknown' } }],
  ['a token without serving:predict', { headers: { authorization: 'Bearer VIEWER' } }],
  ['text/plain', { headers: { 'content-type': 'text/plain' } }],
  ['no content type', { headers: { 'content-type': '' } }],
  ['a compressed body', { headers: { 'content-encoding': 'gzip' } }],
];

describe('the direct predict path', () => {
  it.each(cases)('answers as the Fastify route does: %s', async (_label, c) => {
    const resolved = { ...c, ...(c.headers?.authorization === 'Bearer VIEWER' ? { headers: { authorization: `Bearer ${viewer}` } } : {}) };
    // Twice on each side: the first call of a token verifies and caches it on the Fastify path.
    await call(fast, resolved);
    const a = await call(fast, resolved);
    await call(slow, resolved);
    const b = await call(slow, resolved);
    expect(a.status).toBe(b.status);
    expect(a.headers).toEqual(b.headers);
    expect(normal(a.body)).toEqual(normal(b.body));
  });

  it.each([
    ['header names in capitals', (t: string) => `CONTENT-TYPE: application/json\r\nAUTHORIZATION: Bearer ${t}\r\nX-REQUEST-ID: caps-1\r\n`],
    ['a repeated Content-Type', (t: string) => `Content-Type: application/json\r\nContent-Type: text/plain\r\nAuthorization: Bearer ${t}\r\n`],
    ['a repeated Authorization', (t: string) => `Content-Type: application/json\r\nAuthorization: Bearer ${t}\r\nAuthorization: Bearer ${viewer}\r\n`],
    ['a repeated X-Request-Id', (t: string) => `Content-Type: application/json\r\nAuthorization: Bearer ${t}\r\nX-Request-Id: a\r\nX-Request-Id: b\r\n`],
  ])('answers raw requests with %s as the Fastify route does', async (_label, head) => {
    const body = JSON.stringify({ instances: [{ text: text(7) }] });
    const raw = async (s: Side) => {
      const port = new URL(s.base).port;
      return new Promise<string>((resolve, reject) => {
        const socket = connect(Number(port), '127.0.0.1', () => {
          socket.end(`POST /v1/models/support:predict HTTP/1.1\r\nHost: x\r\nConnection: close\r\n${head(f.adminToken)}Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`);
        });
        let out = '';
        socket.on('data', (d) => (out += String(d)));
        socket.on('end', () => resolve(out));
        socket.on('error', reject);
      });
    };
    const answer = (text: string) => {
      const [head, ...rest] = text.split('\r\n\r\n');
      const lines = head!.split('\r\n');
      const header = (n: string) => lines.find((l) => l.toLowerCase().startsWith(`${n}:`))?.slice(n.length + 1).trim() ?? null;
      const id = header('x-request-id');
      return { status: lines[0], type: header('content-type'), id: id !== null && /^[0-9a-f-]{36}$/.test(id) ? 'uuid' : id, body: normal(rest.join('\r\n\r\n')) };
    };
    await raw(fast);
    await raw(slow);
    const verify = vi.spyOn(fast.ws.auth, 'authenticate');
    try {
      expect(answer(await raw(fast))).toEqual(answer(await raw(slow)));
      // Node reads header names in any case and settles repeated ones before either path sees them
      // (the first Content-Type and Authorization, X-Request-Ids joined with a comma): the direct path takes these.
      expect(verify).not.toHaveBeenCalled();
    } finally {
      verify.mockRestore();
    }
  });

  it('takes usual requests without Fastify: no token verification per request, one answer each', async () => {
    await call(fast, {});
    const verify = vi.spyOn(fast.ws.auth, 'authenticate');
    try {
      const answers = await Promise.all(Array.from({ length: 20 }, (_, i) => call(fast, { body: JSON.stringify({ instances: [{ text: text(i) }] }) })));
      expect(answers.every((r) => r.status === 200)).toBe(true);
      expect(verify).not.toHaveBeenCalled();
      // A request the direct path hands on (another media type) is verified by the route.
      await call(fast, { headers: { 'content-type': 'text/plain' } });
      expect(verify).toHaveBeenCalledTimes(1);
    } finally {
      verify.mockRestore();
    }
  });

  it('refuses a body of another media type with 415 naming application/json (v1 and v2), and takes JSON', async () => {
    const error = (body: string) => (JSON.parse(body) as { error: { code: string; message: string } }).error;
    for (const s of [fast, slow]) {
      const plain = await call(s, { headers: { 'content-type': 'text/plain' } });
      expect(plain.status).toBe(415);
      expect(error(plain.body)).toMatchObject({ code: 'INVALID_ARGUMENT', message: "unsupported content type 'text/plain': send the body as JSON with content-type: application/json" });
      const csv = await call(s, { headers: { 'content-type': 'text/csv; charset=utf-8' } });
      expect([csv.status, error(csv.body).message]).toEqual([415, "unsupported content type 'text/csv; charset=utf-8': send the body as JSON with content-type: application/json"]);
      const form = await call(s, { headers: { 'content-type': 'application/x-www-form-urlencoded' } });
      expect([form.status, error(form.body).message]).toEqual([415, "unsupported content type 'application/x-www-form-urlencoded': send the body as JSON with content-type: application/json"]);
      // A stream body: fetch adds no content type.
      const untyped = await call(s, { headers: { 'content-type': '' }, chunked: 5 });
      expect([untyped.status, error(untyped.body).message]).toEqual([415, 'a body without a content type: send the body as JSON with content-type: application/json']);
      const v2 = await call(s, { path: '/v2/models/support/infer', headers: { 'content-type': 'text/plain' }, body: JSON.stringify({ inputs: [{ name: 'text', datatype: 'BYTES', shape: [1], data: ['x'] }] }) });
      expect([v2.status, error(v2.body).message]).toEqual([415, "unsupported content type 'text/plain': send the body as JSON with content-type: application/json"]);
      // JSON in any case, with parameters, is taken.
      expect((await call(s, { headers: { 'content-type': 'Application/JSON; charset=utf-8' } })).status).toBe(200);
      expect((await call(s, { path: '/v2/models/support/infer', body: JSON.stringify({ inputs: [{ name: 'text', datatype: 'BYTES', shape: [1], data: ['x'] }] }) })).status).toBe(200);
    }
    // No body and no content type: the schema's answer, as before.
    const res = await fetch(`${slow.base}/v1/models/support:predict`, { method: 'POST', headers: { authorization: `Bearer ${f.adminToken}` } });
    expect(res.status).toBe(400);
  });

  it('names a forbidden key instead of calling the body invalid JSON, and still says so of invalid JSON', async () => {
    const message = async (s: Side, body: string) => {
      const r = await call(s, { body });
      return [r.status, (JSON.parse(r.body) as { error: { code: string; message: string } }).error.code, (JSON.parse(r.body) as { error: { message: string } }).error.message];
    };
    for (const s of [fast, slow]) {
      expect(await message(s, '{"instances":[{"text":"hi","__proto__":{"x":1}}]}')).toEqual([400, 'INVALID_ARGUMENT', "the body has a key '__proto__', which is not allowed (it could change the prototype of objects); remove it"]);
      expect(await message(s, '{"instances":[{"text":"hi"}],"\\u005f_proto__":{}}')).toEqual([400, 'INVALID_ARGUMENT', "the body has a key '__proto__', which is not allowed (it could change the prototype of objects); remove it"]);
      expect(await message(s, '{"instances":[{"text":"hi","constructor":{"prototype":{"x":1}}}]}')).toEqual([400, 'INVALID_ARGUMENT', "the body has a key 'constructor' holding a key 'prototype', which is not allowed (it could change the prototype of objects); remove it"]);
      expect(await message(s, '{"instances":[{"text":"hi","__proto__":')).toEqual([400, 'INVALID_ARGUMENT', "Body is not valid JSON but content-type is set to 'application/json'"]);
      // A 'constructor' or 'proto' key without the danger is a field like any other.
      expect((await call(s, { body: '{"instances":[{"text":"hi","constructor":"x","proto":1}]}' })).status).toBe(200);
    }
    // Other JSON routes answer alike (Fastify's JSON parser is replaced for the whole server).
    const feedback = await fetch(`${slow.base}/v1/feedback`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${f.adminToken}` }, body: '{"prediction_id":"x","label":"y","__proto__":{}}' });
    expect(feedback.status).toBe(400);
    expect(((await feedback.json()) as { error: { message: string } }).error.message).toMatch(/key '__proto__', which is not allowed/);
  });

  it('names each limit and its setting: the body limit (413) and the rows per request (429)', async () => {
    const big = JSON.stringify({ instances: Array.from({ length: 200 }, () => ({ text: 'a long enough text' })) });
    const error = (body: string) => (JSON.parse(body) as { error: { code: string; message: string; details: unknown } }).error;
    for (const s of [fast, slow]) {
      for (const c of [{ body: big }, { body: big, chunked: 1000 }]) {
        const r = await call(s, c);
        expect(r.status).toBe(413);
        expect(error(r.body)).toMatchObject({
          code: 'RESOURCE_EXHAUSTED',
          message: 'the request body is larger than the limit of 4096 bytes (setting server.bodyLimitBytes)',
          details: { limit: 4096, setting: 'server.bodyLimitBytes' },
        });
      }
      const rows = await call(s, { body: JSON.stringify({ instances: Array.from({ length: 6 }, () => ({ text: 'x' })) }) });
      expect(rows.status).toBe(429);
      expect(error(rows.body)).toMatchObject({
        code: 'RESOURCE_EXHAUSTED',
        message: '6 rows in one request: at most 5 are allowed (setting serving.maxRowsPerRequest)',
        details: { limit: 5, rows: 6, setting: 'serving.maxRowsPerRequest' },
      });
    }
    // Other JSON routes read the server's limit too.
    const feedback = await fetch(`${slow.base}/v1/feedback`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${f.adminToken}` }, body: JSON.stringify({ prediction_id: 'x', label: 'y'.repeat(5000) }) });
    expect(feedback.status).toBe(413);
    expect(error(await feedback.text()).message).toBe('the request body is larger than the limit of 4096 bytes (setting server.bodyLimitBytes)');
    // Within the limits: answered.
    expect((await call(fast, { body: JSON.stringify({ instances: Array.from({ length: 5 }, () => ({ text: 'x' })) }) })).status).toBe(200);
  });

  it('echoes a valid X-Request-Id and puts it in the error body, and makes one otherwise', async () => {
    const given = await fetch(`${fast.base}/v1/models/support:predict`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${f.adminToken}`, 'x-request-id': 'req-42' },
      body: '{"rows":[]}',
    });
    expect(given.headers.get('x-request-id')).toBe('req-42');
    expect(((await given.json()) as { error: { request_id: string } }).error.request_id).toBe('req-42');
    const made = await fetch(`${fast.base}/v1/models/support:predict`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${f.adminToken}`, 'x-request-id': 'bad id!' }, body: '{"instances":[{"text":"x"}]}' });
    expect(made.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('counts its requests and errors in the same metrics as the route', async () => {
    const metrics = async () => (await fetch(`${fast.base}/metrics`, { headers: { authorization: `Bearer ${f.adminToken}` } })).text();
    const count = (text: string, status: string) => {
      const m = new RegExp(`mloop_serving_requests_total\\{[^}]*deployment="support"[^}]*protocol="v1",status="${status}"[^}]*\\} (\\d+)`).exec(text);
      return m ? Number(m[1]) : 0;
    };
    const before = await metrics();
    await call(fast, {});
    await call(fast, { body: '{"rows":[]}' });
    const after = await metrics();
    expect(count(after, '200') - count(before, '200')).toBe(1);
    expect(count(after, '400') - count(before, '400')).toBe(1);
  });

  it('logs its predictions with the request id', async () => {
    const res = await fetch(`${fast.base}/v1/models/support:predict`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${f.adminToken}`, 'x-request-id': 'logged-1' }, body: JSON.stringify({ instances: [{ text: text(5) }] }) });
    const id = ((await res.json()) as { predictions: Array<{ prediction_id: string }> }).predictions[0]!.prediction_id;
    await fast.ws.serving.runtime().log.flush();
    const logged = await fast.ws.serving.prediction(id);
    expect(logged).toMatchObject({ id, requestId: 'logged-1', deployment: 'support', inputs: { text: text(5) } });
  });

  it('leaves requests to Fastify while the server shuts down (Connection: close)', async () => {
    fast.app.mloopState.closing = true;
    try {
      const res = await call(fast, {});
      expect(res.status).toBe(200);
      expect(res.headers.connection).toBe('close');
    } finally {
      fast.app.mloopState.closing = false;
    }
  });

  it('answers overload as the route does: 503 with Retry-After at once', async () => {
    const sides = [await side(true, { maxInflight: 0 }), await side(false, { maxInflight: 0 })];
    try {
      const [a, b] = [await call(sides[0]!, {}), await call(sides[1]!, {})];
      const [a2, b2] = [await call(sides[0]!, {}), await call(sides[1]!, {})];
      for (const r of [a, b, a2, b2]) expect(r.status).toBe(503);
      expect(a2.headers).toEqual(b2.headers);
      expect(a2.headers['retry-after']).toMatch(/^\d+$/);
      expect(normal(a2.body)).toEqual(normal(b2.body));
    } finally {
      for (const s of sides) await stop(s);
    }
  });
});
