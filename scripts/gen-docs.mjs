// Writes the generated reference pages (configuration, errors) from the compiled code tables.
import { writeFileSync, mkdirSync } from 'node:fs';
import { renderConfigurationDoc } from '../dist/config/index.js';
import { renderErrorsDoc } from '../dist/errors/index.js';

const docs = new URL('../docs/', import.meta.url);
mkdirSync(docs, { recursive: true });
writeFileSync(new URL('configuration.md', docs), renderConfigurationDoc());
writeFileSync(new URL('errors.md', docs), renderErrorsDoc());
console.log('wrote docs/configuration.md and docs/errors.md');
