/**
 * The one JSON body parser of the server, used by Fastify (in place of its default parser) and by
 * the direct predict path (fast-predict.ts), so both answer a body alike. It is Fastify's default
 * parser (secure-json-parse, refusing `__proto__` and `constructor.prototype` keys) with errors
 * that say why a body was refused: a forbidden key is named instead of "not valid JSON".
 */
import type { FastifyInstance } from 'fastify';
import { parse as secureJsonParse } from 'secure-json-parse';

const PARSE_OPTIONS = { protoAction: 'error', constructorAction: 'error' } as const;

/** An error answered as Fastify's body error of that code (errors-http.ts maps the code to a status). */
export const bodyError = (code: string, message: string): Error & { code: string } => Object.assign(new Error(message), { code });

/** The message of a body with a forbidden key. */
export const PROTO_KEY_MESSAGE = "the body has a key '__proto__', which is not allowed (it could change the prototype of objects); remove it";
export const CONSTRUCTOR_KEY_MESSAGE = "the body has a key 'constructor' holding a key 'prototype', which is not allowed (it could change the prototype of objects); remove it";

/**
 * Parses a JSON body. Throws errors with Fastify's codes: FST_ERR_CTP_EMPTY_JSON_BODY for an empty
 * body, FST_ERR_CTP_INVALID_JSON_BODY for a body that is not JSON or that holds a forbidden key
 * (the message names the key).
 *
 * @example
 * const body = parseJsonBody('{"instances":[{"text":"hi"}]}');
 */
export function parseJsonBody(text: string): unknown {
  if (text.length === 0) throw bodyError('FST_ERR_CTP_EMPTY_JSON_BODY', "Body cannot be empty when content-type is set to 'application/json'");
  try {
    return secureJsonParse(text, PARSE_OPTIONS);
  } catch {
    throw bodyError('FST_ERR_CTP_INVALID_JSON_BODY', forbiddenKeyMessage(text) ?? "Body is not valid JSON but content-type is set to 'application/json'");
  }
}

/** Which forbidden key made valid JSON fail the guard, if that was the reason (only on the error path). */
function forbiddenKeyMessage(text: string): string | undefined {
  try {
    secureJsonParse(text, { protoAction: 'ignore', constructorAction: 'ignore' });
  } catch {
    return undefined; // not JSON at all
  }
  try {
    secureJsonParse(text, { protoAction: 'error', constructorAction: 'ignore' });
  } catch {
    return PROTO_KEY_MESSAGE;
  }
  return CONSTRUCTOR_KEY_MESSAGE;
}

/** Replaces Fastify's default `application/json` parser with {@link parseJsonBody} (same body limit and reading). */
export function installJsonParser(app: FastifyInstance): void {
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (_request, body, done) => {
    try {
      done(null, parseJsonBody(body as string));
    } catch (err) {
      done(err as Error, undefined);
    }
  });
}
