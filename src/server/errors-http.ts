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

export function toHttpError(err: unknown): { status: number; error: MloopError } {
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

export function sendError(request: FastifyRequest, reply: FastifyReply, err: unknown): FastifyReply {
  const { status, error } = toHttpError(err);
  if (status >= 500) request.log.error({ err: error.cause ?? error, code: error.code }, 'request failed');
  else request.log.info({ code: error.code, msg: error.message }, 'request rejected');
  return reply.status(status).send(errorBody(status, error, request.id));
}
