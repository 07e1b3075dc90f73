/** Turns anything thrown in a request into the one error body and the right status. */
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { HTTP_STATUS, MloopError, isMloopError, type ValidationIssue } from '../errors/index.js';

/** Fastify's own error codes that are the client's fault, with the code and status to answer. */
const FASTIFY_ERRORS: Record<string, { code: MloopError['code']; status: number }> = {
  FST_ERR_CTP_BODY_TOO_LARGE: { code: 'RESOURCE_EXHAUSTED', status: 413 },
  FST_ERR_CTP_INVALID_MEDIA_TYPE: { code: 'INVALID_ARGUMENT', status: 415 },
  FST_ERR_CTP_EMPTY_JSON_BODY: { code: 'INVALID_ARGUMENT', status: 400 },
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: { code: 'INVALID_ARGUMENT', status: 400 },
  FST_ERR_CTP_INVALID_JSON_BODY: { code: 'INVALID_ARGUMENT', status: 400 },
  FST_ERR_VALIDATION: { code: 'INVALID_ARGUMENT', status: 400 },
};

/** The body limit a request was read under, to name in a 413: its bytes and, when it is a setting, the setting. */
export interface BodyLimit {
  bytes: number;
  setting?: string;
}

/** The body limit of routes that read the server's limit (`server.bodyLimitBytes`). */
export const serverBodyLimit = (bytes: number): BodyLimit => ({ bytes, setting: 'server.bodyLimitBytes' });

/** Maps anything thrown to the error and status to answer; `bodyLimit` makes a 413 name the limit (and its setting). */
export function toHttpError(err: unknown, bodyLimit?: BodyLimit): { status: number; error: MloopError } {
  if (isMloopError(err)) return { status: HTTP_STATUS[err.code], error: err };
  const fe = err as FastifyError;
  if (fe && Array.isArray(fe.validation)) {
    const issues: ValidationIssue[] = fe.validation.map((v) => ({
      path: `${fe.validationContext ?? 'body'}${v.instancePath ? v.instancePath.replace(/\//g, '.') : ''}`,
      code: v.keyword,
      message: v.message ?? 'is invalid',
    }));
    const first = issues[0];
    return {
      status: 400,
      error: MloopError.validation(first ? `${first.path} ${first.message}` : 'invalid request', issues),
    };
  }
  if (fe?.code === 'FST_ERR_CTP_BODY_TOO_LARGE' && bodyLimit !== undefined) {
    const { bytes, setting } = bodyLimit;
    return {
      status: 413,
      error: MloopError.resourceExhausted(`the request body is larger than the limit of ${bytes} bytes${setting === undefined ? '' : ` (setting ${setting})`}`, {
        details: { limit: bytes, ...(setting === undefined ? {} : { setting }) },
      }),
    };
  }
  const known = fe?.code ? FASTIFY_ERRORS[fe.code] : undefined;
  if (known) return { status: known.status, error: new MloopError(known.code, fe.message) };
  if (typeof fe?.statusCode === 'number' && fe.statusCode >= 400 && fe.statusCode < 500) {
    return { status: fe.statusCode, error: MloopError.invalidArgument(fe.message) };
  }
  return { status: 500, error: MloopError.internal('internal error', { cause: err }) };
}

/** The one error body, `{error: {code, message, request_id[, details]}}` (details only below 500). */
export function errorBody(status: number, error: MloopError, requestId: string): { error: Record<string, unknown> } {
  const body: Record<string, unknown> = { code: error.code, message: error.message, request_id: requestId };
  if (error.details !== undefined && status < 500) body['details'] = error.details;
  return { error: body };
}

/** Answers `err` with the one error body; `bodyLimit` as in {@link toHttpError}. */
export function sendError(request: FastifyRequest, reply: FastifyReply, err: unknown, bodyLimit?: BodyLimit): FastifyReply {
  const { status, error } = toHttpError(err, bodyLimit);
  if (status >= 500) request.log.error({ err: error.cause ?? error, code: error.code }, 'request failed');
  else request.log.info({ code: error.code, msg: error.message }, 'request rejected');
  return reply.status(status).send(errorBody(status, error, request.id));
}
