/**
 * The one error type of mloop. Every failure a user can see carries one code from a closed set;
 * the code decides the HTTP status and the CLI exit code (see `error-codes.ts`).
 */
import { ERROR_CODES, type ErrorCode } from './error-codes.js';

/** One problem found while validating input: a path into the input, a code and a message. */
export interface ValidationIssue {
  /** Where the problem is: a setting name, a column, a JSON path such as `rows.3.age`. */
  path: string;
  /** A short machine-readable code such as `invalid_type` or `out_of_range`. */
  code: string;
  /** One human sentence naming the problem. */
  message: string;
}

/** Options accepted by every {@link MloopError} constructor and helper. */
export interface MloopErrorOptions {
  /** Structured details shown to users (server body `details`, CLI `--json`). Must be safe to show. */
  details?: Record<string, unknown>;
  /** A hint printed under the error line in the CLI (`hint: …`). */
  hint?: string;
  /** The underlying error. Never shown to users except with `--verbose`. */
  cause?: unknown;
}

/**
 * An error whose message is safe to show to a user.
 *
 * @example
 * throw MloopError.notFound('model', 'support@champion');
 */
export class MloopError extends Error {
  override readonly name = 'MloopError';
  readonly code: ErrorCode;
  readonly details: Record<string, unknown> | undefined;
  readonly hint: string | undefined;

  constructor(code: ErrorCode, message: string, options: MloopErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    if (!ERROR_CODES.includes(code)) throw new TypeError(`unknown error code ${String(code)}`);
    this.code = code;
    this.details = options.details;
    this.hint = options.hint;
  }

  /** `kind` named `ref` does not exist. */
  static notFound(kind: string, ref: string, options: MloopErrorOptions = {}): MloopError {
    return new MloopError('NOT_FOUND', `${kind} '${ref}' not found`, {
      ...options,
      details: { kind, ref, ...options.details },
    });
  }

  /** `kind` named `ref` exists already. */
  static alreadyExists(kind: string, ref: string, options: MloopErrorOptions = {}): MloopError {
    return new MloopError('ALREADY_EXISTS', `${kind} '${ref}' already exists`, {
      ...options,
      details: { kind, ref, ...options.details },
    });
  }

  /** The caller passed a bad value. */
  static invalidArgument(message: string, options: MloopErrorOptions = {}): MloopError {
    return new MloopError('INVALID_ARGUMENT', message, options);
  }

  /** Input failed validation; each issue is kept as data under `details.issues`. */
  static validation(message: string, issues: ValidationIssue[], options: MloopErrorOptions = {}): MloopError {
    return new MloopError('INVALID_ARGUMENT', message, {
      ...options,
      details: { ...options.details, issues },
    });
  }

  /** The state changed under the caller (stale version, lost lease, concurrent update). */
  static conflict(message: string, options: MloopErrorOptions = {}): MloopError {
    return new MloopError('CONFLICT', message, options);
  }

  /** The system is not in a state that allows the operation. */
  static failedPrecondition(message: string, options: MloopErrorOptions = {}): MloopError {
    return new MloopError('FAILED_PRECONDITION', message, options);
  }

  /** No valid credentials. */
  static unauthenticated(message = 'a valid bearer token is required', options: MloopErrorOptions = {}): MloopError {
    return new MloopError('UNAUTHENTICATED', message, options);
  }

  /** Valid credentials, but not allowed. */
  static permissionDenied(message: string, options: MloopErrorOptions = {}): MloopError {
    return new MloopError('PERMISSION_DENIED', message, options);
  }

  /** A limit was reached (size, rate, queue). */
  static resourceExhausted(message: string, options: MloopErrorOptions = {}): MloopError {
    return new MloopError('RESOURCE_EXHAUSTED', message, options);
  }

  /** A dependency (database, artifact store) cannot be reached; retrying may help. */
  static unavailable(message: string, options: MloopErrorOptions = {}): MloopError {
    return new MloopError('UNAVAILABLE', message, options);
  }

  /** A bug or an unexpected failure. The message shown to users stays generic. */
  static internal(message = 'internal error', options: MloopErrorOptions = {}): MloopError {
    return new MloopError('INTERNAL', message, options);
  }
}

/** True when `value` is a {@link MloopError} (also across module copies). */
export function isMloopError(value: unknown): value is MloopError {
  return value instanceof MloopError || (value instanceof Error && value.name === 'MloopError' && 'code' in value);
}

/**
 * Turns anything thrown into a {@link MloopError}. Known errors pass through; anything else
 * becomes INTERNAL with a generic message, keeping the original as `cause` for logs.
 */
export function toMloopError(value: unknown): MloopError {
  if (isMloopError(value)) return value;
  return MloopError.internal('internal error', { cause: value });
}
