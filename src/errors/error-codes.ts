/** The closed set of error codes and their one mapping to HTTP statuses and CLI exit codes. */

/** Every error code mloop uses. Adding one means adding a row to both tables and to docs/errors.md. */
export const ERROR_CODES = Object.freeze([
  'NOT_FOUND',
  'ALREADY_EXISTS',
  'INVALID_ARGUMENT',
  'CONFLICT',
  'FAILED_PRECONDITION',
  'UNAUTHENTICATED',
  'PERMISSION_DENIED',
  'RESOURCE_EXHAUSTED',
  'UNAVAILABLE',
  'CANCELLED',
  'INTERNAL',
] as const);

export type ErrorCode = (typeof ERROR_CODES)[number];

/** Code → HTTP status of the error body `{"error":{"code","message","details"}}`. */
export const HTTP_STATUS: Readonly<Record<ErrorCode, number>> = Object.freeze({
  NOT_FOUND: 404,
  ALREADY_EXISTS: 409,
  INVALID_ARGUMENT: 400,
  CONFLICT: 409,
  FAILED_PRECONDITION: 412,
  UNAUTHENTICATED: 401,
  PERMISSION_DENIED: 403,
  RESOURCE_EXHAUSTED: 429,
  UNAVAILABLE: 503,
  // The de-facto status for a request its client gave up on (nginx, gRPC gateways); not in RFC 9110.
  CANCELLED: 499,
  INTERNAL: 500,
});

/**
 * Code → CLI exit code. 0 is success and 1 is reserved for "ran fine, check failed"
 * (a failed validation or gate), so errors start at 2.
 */
export const EXIT_CODE: Readonly<Record<ErrorCode, number>> = Object.freeze({
  INVALID_ARGUMENT: 2,
  NOT_FOUND: 3,
  ALREADY_EXISTS: 4,
  CONFLICT: 5,
  FAILED_PRECONDITION: 6,
  UNAUTHENTICATED: 7,
  PERMISSION_DENIED: 8,
  RESOURCE_EXHAUSTED: 9,
  UNAVAILABLE: 10,
  // 128 + SIGINT, as shells report a run stopped by Ctrl-C.
  CANCELLED: 130,
  INTERNAL: 70,
});

/** One line per code for docs and `mloop help errors`: cause and fix. */
export const ERROR_DOCS: Readonly<Record<ErrorCode, { cause: string; fix: string }>> = Object.freeze({
  NOT_FOUND: {
    cause: 'The named thing (workspace, dataset, model, token, user, route) does not exist.',
    fix: 'Check the name or reference; `list` commands show what exists.',
  },
  ALREADY_EXISTS: {
    cause: 'Something with that name exists already (a workspace, a user).',
    fix: 'Pick another name, or use the existing one.',
  },
  INVALID_ARGUMENT: {
    cause: 'A flag, setting, request body or file is malformed or out of range. `details.issues` lists each problem.',
    fix: 'Correct the value named in the message; `--help` lists valid options.',
  },
  CONFLICT: {
    cause: 'The state changed under the request (a concurrent update, a stale lease or version).',
    fix: 'Read the current state and retry.',
  },
  FAILED_PRECONDITION: {
    cause: 'The system is not in a state that allows the operation (for example, the database schema is newer than this mloop).',
    fix: 'Do what the message says first (upgrade mloop, run `mloop init`, deploy the model).',
  },
  UNAUTHENTICATED: {
    cause: 'The request has no bearer token, or the token is unknown or revoked.',
    fix: 'Send `Authorization: Bearer <token>`; `mloop token create` makes one.',
  },
  PERMISSION_DENIED: {
    cause: "The token's user lacks a role that allows the action.",
    fix: 'Ask an admin to grant a role (`mloop user grant`).',
  },
  RESOURCE_EXHAUSTED: {
    cause: 'A limit was reached: body or file size, batch size, queue length, rate.',
    fix: 'Send less at once or wait; the message names the limit and its setting.',
  },
  UNAVAILABLE: {
    cause: 'A dependency cannot be reached: the database, the artifact store, a model that is still loading.',
    fix: 'Check that the service is running and reachable, then retry.',
  },
  CANCELLED: {
    cause: 'The operation was stopped before it finished: training or label-issue detection aborted by its caller, Ctrl-C, or a job cancelled with `mloop jobs cancel`. Nothing was registered.',
    fix: 'Run it again when wanted; nothing needs cleaning up.',
  },
  INTERNAL: {
    cause: 'A bug or an unexpected failure. Details are in the server log (by request id) or shown with `--verbose`.',
    fix: 'Retry; if it persists, report it with the request id or the `--verbose` output.',
  },
});
