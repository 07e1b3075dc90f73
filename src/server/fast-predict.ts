/**
 * The direct path of `POST /v1/models/{name}:predict`: the busiest route, answered from Node's
 * request event without Fastify's routing, hooks, request and reply objects (which cost a
 * prediction about as much CPU as the model itself).
 *
 * It takes only the usual request — a JSON body, a bearer token this server verified within
 * `server.authCacheMs` and allowed to predict with that deployment, the server not shutting down —
 * and hands everything else to Fastify untouched (before reading a byte of the body), so every
 * unusual case (no or bad token, another media type, a compressed body, a query string, a
 * percent-encoded name, shutdown) gets Fastify's own answer. What it answers itself it answers as
 * the Fastify route does: the same body limit and Content-Length check, the same JSON parser (json-body.ts)
 * with the same prototype-poisoning guard, the same body shape check (and ajv's `coerceTypes: 'array'`
 * coercion of a scalar `instances`), the same runtime call, answer bytes, error bodies, status
 * codes, `Retry-After`, `X-Request-Id` and request metrics. A test sends the same requests to both
 * paths and compares the answers.
 */
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { isAllowed, type AuthService } from '../auth/index.js';
import { MloopError } from '../errors/index.js';
import { predictAnswerJson, type ServingRuntime } from '../serving/index.js';
import { errorBody, serverBodyLimit, toHttpError } from './errors-http.js';
import { bodyError, parseJsonBody } from './json-body.js';

/** What the direct path needs from the server. */
export interface FastPredictDeps {
  auth: AuthService;
  runtime: ServingRuntime;
  /** Read on every request: while true, every request goes to Fastify (it adds `Connection: close`). */
  isClosing(): boolean;
  bodyLimitBytes: number;
  /** Counts an answered request (the same counter as the Fastify route's onResponse hook). */
  count(deployment: string, served: { model: string; version: number } | null, status: number): void;
  /** Where 5xx answers are logged (the Fastify route logs them at error level too). */
  logError(details: Record<string, unknown>, message: string): void;
}

/** Returns true when it took the request; false leaves it to Fastify (nothing read, nothing written). */
export type FastPredict = (req: IncomingMessage, res: ServerResponse) => boolean;

const PREFIX = '/v1/models/';
const SUFFIX = ':predict';
/** The Fastify route's name parameter; anything else (a `?`, `%`, `/`) goes to Fastify. */
const NAME = /^[a-z0-9][a-z0-9._-]{0,62}$/;
const REQUEST_ID = /^[A-Za-z0-9._-]{1,128}$/;
const BEARER = /^Bearer\s+(\S+)\s*$/i;
const JSON_TYPE = 'application/json; charset=utf-8';

/** Fastify's own body errors (fastify/lib/errors.js), answered through the same mapping (errors-http.ts). */
const TOO_LARGE = () => bodyError('FST_ERR_CTP_BODY_TOO_LARGE', 'Request body is too large');
const BAD_LENGTH = () => bodyError('FST_ERR_CTP_INVALID_CONTENT_LENGTH', 'Request body size did not match Content-Length');

/** True for the media types Fastify's JSON parser takes: `application/json`, with parameters or not. */
function isJson(contentType: string | undefined): boolean {
  return contentType === 'application/json' || (contentType !== undefined && contentType.startsWith('application/json;'));
}

/**
 * The body's shape as the route's schema checks it (`{instances: unknown[]}`, other keys allowed)
 * with ajv's `coerceTypes: 'array'`: a scalar or null `instances` becomes a one-row array.
 */
function instancesOf(body: unknown): unknown[] {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw MloopError.validation('body must be object', [{ path: 'body', code: 'type', message: 'must be object' }]);
  }
  if (!Object.prototype.hasOwnProperty.call(body, 'instances')) {
    throw MloopError.validation("body must have required property 'instances'", [{ path: 'body', code: 'required', message: "must have required property 'instances'" }]);
  }
  const instances = (body as { instances: unknown }).instances;
  if (Array.isArray(instances)) return instances;
  if (instances === null || typeof instances === 'string' || typeof instances === 'number' || typeof instances === 'boolean') {
    const coerced = [instances];
    (body as { instances: unknown }).instances = coerced;
    return coerced;
  }
  throw MloopError.validation('body.instances must be array', [{ path: 'body.instances', code: 'type', message: 'must be array' }]);
}

/**
 * Makes the direct predict path.
 *
 * @example
 * const fast = createFastPredict(deps);
 * http.createServer((req, res) => { if (!fast(req, res)) fastifyHandler(req, res); });
 */
export function createFastPredict(deps: FastPredictDeps): FastPredict {
  const { auth, runtime, bodyLimitBytes: limit } = deps;
  const bodyLimit = serverBodyLimit(limit);

  function send(res: ServerResponse, requestId: string, status: number, body: string, retryAfter?: string, close = false): void {
    const headers: Record<string, string | number> = { 'content-type': JSON_TYPE, 'content-length': Buffer.byteLength(body), 'x-request-id': requestId };
    if (retryAfter !== undefined) headers['retry-after'] = retryAfter;
    if (close) headers['connection'] = 'close';
    res.writeHead(status, headers);
    res.end(body);
  }

  /** Answers an error; `bodyFailed`: the body could not be read or parsed, so (as Fastify does) the connection closes after the answer. */
  function fail(res: ServerResponse, requestId: string, name: string, err: unknown, bodyFailed = false): void {
    const { status, error } = toHttpError(err, bodyLimit);
    if (status >= 500) deps.logError({ reqId: requestId, err: error.cause ?? error, code: error.code }, 'request failed');
    let retryAfter: string | undefined;
    if (error.code === 'UNAVAILABLE') {
      const s = error.details?.['retry_after_s'];
      retryAfter = String(typeof s === 'number' ? s : 1);
    }
    send(res, requestId, status, JSON.stringify(errorBody(status, error, requestId)), retryAfter, bodyFailed);
    deps.count(name, null, status);
  }

  function serve(res: ServerResponse, requestId: string, name: string, text: string): void {
    let body: unknown;
    try {
      body = parseJsonBody(text);
    } catch (err) {
      fail(res, requestId, name, err, true);
      return;
    }
    let instances: unknown[];
    try {
      instances = instancesOf(body);
    } catch (err) {
      fail(res, requestId, name, err);
      return;
    }
    runtime.predict(name, instances, { requestId }).then(
      (served) => {
        send(res, requestId, 200, predictAnswerJson(served));
        deps.count(name, { model: served.model, version: served.version }, 200);
      },
      (err: unknown) => fail(res, requestId, name, err),
    );
  }

  return (req, res) => {
    if (req.method !== 'POST') return false;
    const url = req.url;
    if (url === undefined || !url.startsWith(PREFIX) || !url.endsWith(SUFFIX)) return false;
    const name = url.slice(PREFIX.length, url.length - SUFFIX.length);
    if (!NAME.test(name) || deps.isClosing()) return false;
    const headers = req.headers;
    if (!isJson(headers['content-type']) || headers['content-encoding'] !== undefined) return false;
    const header = headers.authorization;
    if (header === undefined) return false;
    const match = BEARER.exec(header);
    if (match === null) return false;
    // Only a token verified within the cache's lifetime: verifying one (and answering 401/403) is Fastify's.
    const principal = auth.cachedPrincipal(match[1]!);
    if (principal === undefined || !isAllowed(principal, 'serving:predict', { project: name })) return false;

    const given = headers['x-request-id'];
    const requestId = typeof given === 'string' && REQUEST_ID.test(given) ? given : randomUUID();
    const declared = headers['content-length'];
    const contentLength = declared === undefined ? Number.NaN : Number(declared);
    if (contentLength > limit) {
      fail(res, requestId, name, TOO_LARGE(), true);
      return true;
    }
    const chunks: Buffer[] = [];
    let received = 0;
    const onData = (chunk: Buffer) => {
      received += chunk.length;
      if (received > limit) {
        done();
        fail(res, requestId, name, TOO_LARGE(), true);
        return;
      }
      chunks.push(chunk);
    };
    const onEnd = (err?: Error) => {
      done();
      if (err !== undefined && err !== null) {
        // As Fastify: a stream error is the client's (400) unless it says otherwise.
        const status = (err as { statusCode?: unknown }).statusCode;
        fail(res, requestId, name, typeof status === 'number' && status >= 400 ? err : Object.assign(err, { statusCode: 400 }), true);
        return;
      }
      if (!Number.isNaN(contentLength) && received !== contentLength) {
        fail(res, requestId, name, BAD_LENGTH(), true);
        return;
      }
      serve(res, requestId, name, chunks.length === 1 ? chunks[0]!.toString('utf8') : Buffer.concat(chunks, received).toString('utf8'));
    };
    const done = () => {
      req.removeListener('data', onData);
      req.removeListener('end', onEnd);
      req.removeListener('error', onEnd);
    };
    req.on('data', onData);
    req.on('end', onEnd);
    req.on('error', onEnd);
    return true;
  };
}
