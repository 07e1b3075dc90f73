/** Errors: one type, a closed set of codes, and their HTTP and exit-code tables. */
export { MloopError, isMloopError, toMloopError } from './mloop-error.js';
export type { MloopErrorOptions, ValidationIssue } from './mloop-error.js';
export { ERROR_CODES, HTTP_STATUS, EXIT_CODE, ERROR_DOCS } from './error-codes.js';
export type { ErrorCode } from './error-codes.js';
export { renderErrorsDoc } from './errors-doc.js';
