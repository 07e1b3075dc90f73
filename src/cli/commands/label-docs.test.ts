/** docs/cli.md keeps in step with the `mloop label` subcommands the CLI registers. */
import { readFileSync } from 'node:fs';
import { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import type { Runner } from '../program.js';
import { registerLabel } from './label.js';

describe('docs', () => {
  it('docs/cli.md lists the label subcommands mloop label --help shows, in its order', () => {
    const program = new Command();
    registerLabel(program, ((body: unknown) => body) as unknown as Runner);
    const commands = program.commands.find((c) => c.name() === 'label')!.commands.map((c) => c.name());
    const doc = readFileSync(new URL('../../../docs/cli.md', import.meta.url), 'utf8');
    const row = /`mloop label ([a-z|\\-]+)`/.exec(doc)?.[1]?.split('\\|');
    expect(row).toEqual(commands);
  });
});
