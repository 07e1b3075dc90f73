/** Renders docs/errors.md from the code tables, so the catalogue can never drift from the code. */
import { ERROR_CODES, ERROR_DOCS, EXIT_CODE, HTTP_STATUS } from './error-codes.js';

export function renderErrorsDoc(): string {
  const lines = [
    '# Errors',
    '',
    '<!-- Generated from src/errors/error-codes.ts by `npm run docs`; a test fails when this page is stale. -->',
    '',
    'Every failure mloop reports carries one code from a closed set. The code decides the HTTP status',
    'of the API response and the exit code of the CLI.',
    '',
    '- **HTTP**: the body is always `{"error": {"code", "message", "details", "request_id"}}`.',
    '  `details.issues` lists validation problems as `{path, code, message}`. Unknown failures are',
    '  `INTERNAL` with a generic message; their stack is in the server log under the request id.',
    '- **CLI**: one line `error[CODE]: message` on stderr, then `hint: …` where there is one. With',
    '  `--json` the same error is also printed as one JSON document on stdout. `--verbose` prints the',
    '  cause chain with stack traces; without it, users never see a stack trace or a driver message.',
    '- **Exit codes**: 0 success; 1 the command ran and its check failed (a validation or gate that',
    '  did not pass); 2 and up, an error, by code as below.',
    '',
    '| code | HTTP | exit | cause | fix |',
    '|---|---|---|---|---|',
  ];
  for (const code of ERROR_CODES) {
    lines.push(`| \`${code}\` | ${HTTP_STATUS[code]} | ${EXIT_CODE[code]} | ${ERROR_DOCS[code].cause} | ${ERROR_DOCS[code].fix} |`);
  }
  lines.push(
    '',
    'Two HTTP statuses are refinements of a code: a request body over `server.bodyLimitBytes` is',
    '`RESOURCE_EXHAUSTED` with status 413 (not 429), and an unsupported content type is',
    '`INVALID_ARGUMENT` with status 415.',
    '',
  );
  return lines.join('\n');
}
