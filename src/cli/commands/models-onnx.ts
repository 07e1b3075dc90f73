/** `mloop models export --format onnx` and `mloop models import model.onnx --schema schema.json`. */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { localPrincipal } from '../../auth/index.js';
import { MloopError } from '../../errors/index.js';
import { checkOnnxImportAllowed, exportOnnx, importOnnx, versionJson } from '../../registry/index.js';
import type { CommandContext } from '../context.js';

/** Export formats of `mloop models export`. */
export const EXPORT_FORMATS = Object.freeze(['mloop', 'onnx'] as const);

/** Checks `--format`; INVALID_ARGUMENT listing the valid ones. */
export function exportFormat(format: string | undefined): (typeof EXPORT_FORMATS)[number] {
  const f = format ?? 'mloop';
  if (!(EXPORT_FORMATS as readonly string[]).includes(f)) throw MloopError.invalidArgument(`unknown export format '${f}'; valid formats: ${EXPORT_FORMATS.join(', ')}`);
  return f as (typeof EXPORT_FORMATS)[number];
}

/** Writes `ref` as an ONNX file. */
export async function exportOnnxCommand(ctx: CommandContext, ref: string, opts: { output: string; sign?: string; force?: boolean }): Promise<void> {
  if (opts.sign !== undefined) throw MloopError.invalidArgument('--sign applies to bundles; an ONNX file carries no signature', { hint: 'sign a bundle instead (--format mloop), or publish the sha256 printed here' });
  const r = await ctx.withWorkspace((ws) => exportOnnx(ws.registry, ref, resolve(ctx.io.cwd, opts.output), { force: opts.force === true }));
  ctx.emit(r, (x) =>
    [
      `Wrote ${x.ref} to ${x.output} as ONNX (${x.bytes} bytes; sha256 ${x.sha256.slice(0, 16)}…)`,
      `inputs: ${x.inputs.map((i) => `${i.name} (${i.type}[N,1])`).join(', ')}`,
      `outputs: ${x.outputs.join(', ')}${x.classes ? `; classes: ${x.classes.join(', ')}` : ''}`,
    ].join('\n'),
  );
}

/** Registers an ONNX file made elsewhere, as its schema file describes; refused with `--require-signature` (an ONNX file carries no signature). */
export async function importOnnxCommand(ctx: CommandContext, file: string, opts: { name?: string; schema?: string; requireSignature?: boolean }): Promise<void> {
  const requireSignature = opts.requireSignature === true;
  checkOnnxImportAllowed({ requireSignature });
  if (opts.schema === undefined) throw MloopError.invalidArgument('an ONNX model needs --schema schema.json: which columns feed its inputs, its output and classes', { hint: 'docs/onnx.md shows a schema' });
  if (opts.name === undefined) throw MloopError.invalidArgument('--name is required to import an ONNX model', { hint: 'mloop models import model.onnx --name <model> --schema schema.json' });
  const schema = readSchema(ctx.io.cwd, opts.schema);
  const r = await ctx.withWorkspace((ws) => importOnnx(ws.registry, localPrincipal().userName, resolve(ctx.io.cwd, file), { name: opts.name!, schema, requireSignature }));
  ctx.emit({ ...versionJson(r.version), created: r.created }, (x) => `${x.created ? 'Registered' : 'Already registered as'} ${x.ref} from ONNX (${x.tags['producer'] ?? 'unknown producer'}).`);
}

function readSchema(cwd: string, path: string): unknown {
  let text: string;
  try {
    text = readFileSync(resolve(cwd, path), 'utf8');
  } catch (err) {
    throw MloopError.invalidArgument(`cannot read schema file ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  try {
    return JSON.parse(text) as unknown;
  } catch (err) {
    throw MloopError.invalidArgument(`schema file ${path} is not valid JSON: ${(err as Error).message}`, { cause: err });
  }
}
