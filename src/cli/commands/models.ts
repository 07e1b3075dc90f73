import type { Command } from 'commander';
import { localPrincipal } from '../../auth/index.js';
import { readFileSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { MloopError } from '../../errors/index.js';
import { buildModelCard, generateSigningKey, modelJson, moveJson, renderCardHtml, renderCardMarkdown, versionJson } from '../../registry/index.js';
import { table } from '../context.js';
import { exportFormat, exportOnnxCommand, importOnnxCommand } from './models-onnx.js';
import { parseIntOption } from '../options.js';
import type { Runner } from '../program.js';

export function registerModels(program: Command, run: Runner): void {
  const models = program.command('models').description('the model registry: versions, aliases and their history');
  models
    .command('list')
    .description('list models with their latest version and aliases')
    .action(
      run(async (ctx) => {
        const list = await ctx.withWorkspace((ws) => ws.registry.listModels());
        ctx.emit({ models: list.map(modelJson) }, (r) =>
          r.models.length === 0
            ? "no models yet; 'mloop train' registers one"
            : table(['model', 'task', 'latest', 'aliases'], r.models.map((m) => [m.name, m.task, m.latest_version, Object.entries(m.aliases).map(([a, v]) => `${a}→${v}`).join(' ')])),
        );
      }),
    );
  models
    .command('show')
    .description('show a model (all versions) or one version: name, name@N or name@alias')
    .argument('<ref>', 'model reference')
    .action(
      run(async (ctx, ref: string) => {
        type Shown = { version?: ReturnType<typeof versionJson>; model?: ReturnType<typeof modelJson>; versions?: Array<ReturnType<typeof versionJson>> };
        const result = await ctx.withWorkspace(async (ws): Promise<Shown> => {
          if (ref.includes('@')) return { version: versionJson(await ws.registry.resolve(ref)) };
          const model = await ws.registry.getModel(ref);
          return { model: modelJson(model), versions: (await ws.registry.listVersions(ref)).map(versionJson) };
        });
        ctx.emit(result, (r) => {
          if (r.version !== undefined) {
            const v = r.version;
            return [
              `${v.ref} (${v.task})${v.aliases.length ? ` — aliases: ${v.aliases.join(', ')}` : ''}`,
              `created ${v.created_at} by ${v.created_by}; learner ${v.record.learner}, seed ${v.record.seed}, code ${v.record.codeVersion}`,
              `trained on ${v.record.datasets.join(', ') || '-'}`,
              `input columns: ${v.record.inputSchema.map((c) => `${c.name} (${c.type}${c.role ? `, ${c.role}` : ''})`).join(', ') || '-'}`,
              `metrics: ${Object.entries(v.record.metrics).map(([k, x]) => `${k}=${typeof x === 'number' ? x.toFixed(4) : JSON.stringify(x)}`).join(', ')}`,
              `artifacts: ${v.artifacts.map((a) => `${a.name} (${a.size} B)`).join(', ')}`,
            ].join('\n');
          }
          return [
            `${r.model!.name} (${r.model!.task}), latest version ${r.model!.latest_version}`,
            '',
            table(['version', 'created', 'aliases', 'datasets'], r.versions!.map((v) => [v.version, v.created_at, v.aliases.join(' '), v.record.datasets.join(' ')])),
          ].join('\n');
        });
      }),
    );
  const alias = models.command('alias').description('point an alias (champion, challenger, …) at a version');
  alias
    .command('set')
    .description('move an alias to a version; the move is recorded with its reason')
    .argument('<model>', 'model name')
    .argument('<alias>', 'alias name')
    .argument('<version>', 'version number', parseIntOption(1, 2 ** 31 - 1))
    .requiredOption('--reason <text>', 'why (kept in the history)')
    .action(
      run(async (ctx, model: string, name: string, version: number, opts: { reason: string }) => {
        const move = await ctx.withWorkspace(async (ws) => {
          const v = await ws.registry.resolve(`${model}@${version}`);
          return ws.registry.setAlias(localPrincipal().userName, model, name, version, opts.reason, { metrics: v.record.metrics });
        });
        ctx.emit(moveJson(move), (m) => `${m.model}@${m.alias}: ${m.from_version ?? '(none)'} → ${m.to_version} (${m.reason})`);
      }),
    );
  alias
    .command('remove')
    .description('remove an alias; recorded in the history')
    .argument('<model>', 'model name')
    .argument('<alias>', 'alias name')
    .requiredOption('--reason <text>', 'why (kept in the history)')
    .action(
      run(async (ctx, model: string, name: string, opts: { reason: string }) => {
        const { move, warnings } = await ctx.withWorkspace(async (ws) => {
          const removed = await ws.registry.removeAlias(localPrincipal().userName, model, name, opts.reason);
          return { move: removed, warnings: await ws.serving.aliasRemovalWarnings(removed.model, removed.alias, removed.fromVersion) };
        });
        for (const w of warnings) ctx.note(`warning: ${w}`);
        ctx.emit({ ...moveJson(move), warnings }, (m) => `${m.model}@${m.alias} removed (was ${m.from_version}; ${m.reason})`);
      }),
    );
  models
    .command('history')
    .description('every alias move of a model: who, when, from which version to which, why')
    .argument('<model>', 'model name')
    .option('--alias <alias>', 'only this alias')
    .action(
      run(async (ctx, model: string, opts: { alias?: string }) => {
        const moves = await ctx.withWorkspace((ws) => ws.registry.history(model, opts.alias));
        ctx.emit({ model, history: moves.map(moveJson) }, (r) =>
          r.history.length === 0
            ? `no alias moves for '${model}' yet`
            : table(['when', 'alias', 'from', 'to', 'who', 'why'], r.history.map((m) => [m.at, m.alias, m.from_version, m.to_version, m.actor, m.reason])),
        );
      }),
    );
  models
    .command('describe')
    .description("edit a model's intended use, out-of-scope use and known limitations (shown in its card)")
    .argument('<model>', 'model name')
    .option('--intended-use <text>', 'what the model is for')
    .option('--out-of-scope <text>', 'where it must not be used')
    .option('--limitations <text>', 'known limitations')
    .action(
      run(async (ctx, model: string, opts: { intendedUse?: string; outOfScope?: string; limitations?: string }) => {
        const m = await ctx.withWorkspace((ws) =>
          ws.registry.describe(model, {
            ...(opts.intendedUse === undefined ? {} : { intendedUse: opts.intendedUse }),
            ...(opts.outOfScope === undefined ? {} : { outOfScopeUse: opts.outOfScope }),
            ...(opts.limitations === undefined ? {} : { limitations: opts.limitations }),
          }),
        );
        ctx.emit(modelJson(m), (r) => `Updated the description of '${r.name}'.`);
      }),
    );
  models
    .command('card')
    .description('the model card, generated from recorded evidence (Markdown; --html for a self-contained page)')
    .argument('<ref>', 'model reference: name, name@N or name@alias')
    .option('--html <file>', 'also write a self-contained HTML page')
    .action(
      run(async (ctx, ref: string, opts: { html?: string }) => {
        const card = await ctx.withWorkspace((ws) => buildModelCard({ registry: ws.registry, datasets: ws.datasets }, ref));
        if (opts.html !== undefined) {
          const target = resolve(ctx.io.cwd, opts.html);
          try {
            writeFileSync(target, renderCardHtml(card));
          } catch (err) {
            throw MloopError.invalidArgument(`cannot write ${opts.html}: ${(err as NodeJS.ErrnoException).code ?? 'error'}`);
          }
          ctx.note(`wrote ${target}`);
        }
        ctx.emit(card, (c) => renderCardMarkdown(c));
      }),
    );
  models
    .command('export')
    .description('write a version as one bundle file (manifest with hashes, data-only weights) or, with --format onnx, as an ONNX model')
    .argument('<ref>', 'model reference: name@N or name@alias')
    .requiredOption('--output <file>', 'file to write (e.g. model.mloop or model.onnx)')
    .option('--format <format>', `mloop (a bundle) or onnx (GBDT and linear models; see docs/onnx.md)`, 'mloop')
    .option('--sign <private-key.pem>', 'sign the manifest with this Ed25519 private key')
    .option('--force', 'replace the output file if it exists')
    .action(
      run(async (ctx, ref: string, opts: { output: string; format?: string; sign?: string; force?: boolean }) => {
        if (exportFormat(opts.format) === 'onnx') return exportOnnxCommand(ctx, ref, opts);
        const key = opts.sign === undefined ? undefined : readKey(ctx.io.cwd, opts.sign);
        const r = await ctx.withWorkspace((ws) =>
          ws.registry.exportBundle(localPrincipal().userName, ref, resolve(ctx.io.cwd, opts.output), { ...(key === undefined ? {} : { signingKey: key }), force: opts.force === true }),
        );
        ctx.emit(r, (x) => `Wrote ${x.ref} to ${x.output} (${x.bytes} bytes${x.signed ? ', signed' : ''}; sha256 ${x.sha256.slice(0, 16)}…)`);
      }),
    );
  models
    .command('import')
    .description('verify a bundle (hashes, structure, optional signature) and register it as a new version; or, with --schema, register an ONNX model made elsewhere')
    .argument('<file>', 'bundle file, or an .onnx file with --schema')
    .option('--name <model>', 'register under this model name (default: the name in the bundle; required for ONNX)')
    .option('--schema <schema.json>', 'import an ONNX model: which columns feed its inputs, its output and classes (docs/onnx.md)')
    .option('--trust <public-key.pem...>', 'trusted Ed25519 public keys; a signed bundle must verify against one')
    .option('--require-signature', 'refuse bundles without a valid signature from a trusted key, and ONNX files (they carry no signature)')
    .action(
      run(async (ctx, file: string, opts: { name?: string; schema?: string; trust?: string[]; requireSignature?: boolean }) => {
        if (opts.schema !== undefined || file.toLowerCase().endsWith('.onnx')) return importOnnxCommand(ctx, file, opts);
        const trustedKeys = (opts.trust ?? []).map((k) => readKey(ctx.io.cwd, k));
        const r = await ctx.withWorkspace((ws) =>
          ws.registry.importBundle(localPrincipal().userName, resolve(ctx.io.cwd, file), {
            trustedKeys,
            requireSignature: opts.requireSignature === true,
            ...(opts.name === undefined ? {} : { name: opts.name }),
          }),
        );
        ctx.emit({ ...versionJson(r.version), created: r.created, signed_by: r.signedBy, source: r.source }, (x) =>
          `${x.created ? 'Registered' : 'Already registered as'} ${x.ref} from ${x.source.model}@${x.source.version}${x.signed_by ? ` (signature by key ${x.signed_by} verified)` : ''}.`,
        );
      }),
    );
  models
    .command('keygen')
    .description('create an Ed25519 key pair for signing bundles')
    .requiredOption('--out <prefix>', 'writes <prefix>.pem (private, mode 600) and <prefix>.pub.pem')
    .action(
      run(async (ctx, opts: { out: string }) => {
        const key = generateSigningKey();
        const base = resolve(ctx.io.cwd, opts.out);
        try {
          writeFileSync(`${base}.pem`, key.privateKey, { mode: 0o600, flag: 'wx' });
          writeFileSync(`${base}.pub.pem`, key.publicKey, { flag: 'wx' });
        } catch (err) {
          if ((err as NodeJS.ErrnoException).code === 'EEXIST') throw MloopError.alreadyExists('key file', `${base}.pem or ${base}.pub.pem`);
          throw MloopError.invalidArgument(`cannot write the key files at ${base}: ${(err as NodeJS.ErrnoException).code ?? 'error'}`);
        }
        ctx.emit({ private_key: `${base}.pem`, public_key: `${base}.pub.pem`, key_id: key.keyId }, (x) => `Wrote ${x.private_key} and ${x.public_key} (key id ${x.key_id}).`);
      }),
    );
}

function readKey(cwd: string, path: string): string {
  try {
    return readFileSync(resolve(cwd, path), 'utf8');
  } catch (err) {
    throw MloopError.invalidArgument(`cannot read key file ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
}
