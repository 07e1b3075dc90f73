import { PassThrough } from 'node:stream';
import { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import { COMMAND_MODULES, COMMAND_OWNERS, main, modulesFor, type Runner } from './program.js';

const ALL = COMMAND_MODULES.map(([name]) => name);

async function runMain(argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = '';
  let err = '';
  stdout.on('data', (d: Buffer) => (out += d.toString()));
  stderr.on('data', (d: Buffer) => (err += d.toString()));
  const code = await main(argv, { stdout, stderr, env: {}, cwd: process.cwd() });
  return { code, stdout: out, stderr: err };
}

describe('command modules load on demand', () => {
  it('names, for every top-level command, exactly the modules that define or extend it', async () => {
    const program = new Command('mloop');
    const run: Runner = () => async () => undefined;
    const owners = new Map<string, string[]>();
    for (const [name, load] of COMMAND_MODULES) {
      const before = new Map(program.commands.map((c) => [c.name(), c.commands.length]));
      (await load())(program, run);
      for (const c of program.commands) {
        if (before.get(c.name()) !== c.commands.length) owners.set(c.name(), [...(owners.get(c.name()) ?? []), name]);
      }
    }
    expect(Object.fromEntries([...owners].sort(([a], [b]) => a.localeCompare(b)))).toEqual(
      Object.fromEntries(Object.entries(COMMAND_OWNERS).sort(([a], [b]) => a.localeCompare(b))),
    );
  });

  it('picks the modules of the command, skipping global options and their values', () => {
    expect(modulesFor(['data', 'import', 'f.csv', '--name', 'x'])).toEqual(['data', 'label-issues']);
    expect(modulesFor(['--json', '--workspace', 'data', 'status'])).toEqual(['status']);
    expect(modulesFor(['--workspace=data', 'models', 'list'])).toEqual(['models', 'retraining']);
    expect(modulesFor(['policies', 'show', 'm'])).toEqual(['retraining']);
    expect(modulesFor(['--version'])).toEqual([]);
  });

  it('loads every module when there is no known command, so help and suggestions see them all', () => {
    expect(modulesFor([])).toEqual(ALL);
    expect(modulesFor(['--help'])).toEqual(ALL);
    expect(modulesFor(['--help', 'data'])).toEqual(ALL);
    expect(modulesFor(['--json', '-h', 'models', 'list'])).toEqual(ALL);
    expect(modulesFor(['help', 'data'])).toEqual(ALL);
    expect(modulesFor(['dta'])).toEqual(ALL);
    expect(modulesFor(['constructor'])).toEqual(ALL);
    expect(modulesFor(['--workspace'])).toEqual(ALL);
  });

  it('lists every command in --help and every data subcommand in data --help', async () => {
    const help = await runMain(['--help']);
    expect(help.code).toBe(0);
    for (const name of Object.keys(COMMAND_OWNERS)) expect(help.stdout).toMatch(new RegExp(`^  ${name}\\b`, 'm'));
    const before = await runMain(['--help', 'data']);
    expect(before.stdout).toBe(help.stdout);
    const data = await runMain(['data', '--help']);
    expect(data.code).toBe(0);
    for (const sub of ['import', 'list', 'show', 'validate', 'profile', 'label-issues']) expect(data.stdout).toMatch(new RegExp(`^  ${sub}\\b`, 'm'));
  });

  it('still suggests a command for a typo, and rejects an unknown subcommand of a loaded command', async () => {
    const typo = await runMain(['dta']);
    expect(typo.code).toBe(2);
    expect(typo.stderr).toMatch(/unknown command 'dta'/);
    expect(typo.stderr).toMatch(/data/);
    const sub = await runMain(['data', 'imprt']);
    expect(sub.code).toBe(2);
    expect(sub.stderr).toMatch(/unknown command 'imprt'/);
    expect(sub.stderr).toMatch(/import/);
  });
});
