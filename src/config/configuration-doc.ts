/** Renders docs/configuration.md from the settings table, so the page can never drift from the code. */
import { SETTINGS } from './settings.js';

export function renderConfigurationDoc(): string {
  const lines = [
    '# Configuration',
    '',
    '<!-- Generated from src/config/settings.ts by `npm run docs`; a test fails when this page is stale. -->',
    '',
    'mloop reads its settings, in increasing order of precedence, from built-in defaults, the',
    'workspace file `mloop.json` (nested keys, e.g. `{"server": {"port": 8080}}`), `MLOOP_*`',
    'environment variables, and command-line flags where a command has one (`mloop server --port`).',
    'The parsed configuration is validated as a whole: a bad value, or an unknown key in `mloop.json`,',
    'stops the command with `error[INVALID_ARGUMENT]` naming each setting at fault.',
    '',
    'The workspace itself is found like git finds a repository: `--workspace <dir>`, else',
    '`MLOOP_WORKSPACE`, else the nearest folder from the current one upwards that holds `mloop.json`.',
    '',
    '| key in mloop.json | environment variable | type | default | meaning |',
    '|---|---|---|---|---|',
  ];
  for (const s of SETTINGS) {
    const type = s.type === 'enum' ? `one of ${(s.values ?? []).map((v) => `\`${v}\``).join(', ')}` : s.type;
    const range = s.type === 'integer' && (s.min !== undefined || s.max !== undefined) ? ` (${s.min ?? ''}–${s.max ?? ''})` : '';
    const def = s.default === null ? (s.defaultDoc ?? '(computed)') : `\`${String(s.default)}\``;
    lines.push(`| \`${s.key}\` | \`${s.env}\` | ${type}${range} | ${def} | ${s.doc} |`);
  }
  lines.push(
    '',
    '`MLOOP_WORKSPACE` (path, default: found from the current folder) selects the workspace and is',
    'not a file setting. Credentials in `MLOOP_DATABASE_URL` are never printed: `mloop status` and',
    'the logs show the URL with its password replaced by `***`.',
    '',
  );
  return lines.join('\n');
}
