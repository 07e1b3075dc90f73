/** `mloop deploy`, `mloop undeploy`, `mloop deployments`: what `mloop server` processes serve. */
import type { Command } from 'commander';
import { localPrincipal } from '../../auth/index.js';
import { deploymentJson } from '../../serving/index.js';
import { table } from '../context.js';
import { parseIntOption } from '../options.js';
import type { Runner } from '../program.js';

export function registerDeploy(program: Command, run: Runner): void {
  program
    .command('deploy')
    .description('serve <model>@<alias> (follows alias moves without restart) or <model>@<N> (pinned) from every mloop server on this workspace')
    .argument('<ref>', 'model reference: name@alias or name@N')
    .option('--name <name>', 'endpoint name (default: the model name): /v1/models/<name>:predict')
    .option('--shadow <ref>', 'also run this version on every request; its outputs are logged, never returned')
    .option('--canary <ref>', 'answer a share of requests with this version')
    .option('--canary-percent <n>', 'share of requests for the canary (default 10 with --canary)', parseIntOption(0, 100))
    .action(
      run(async (ctx, ref: string, opts: { name?: string; shadow?: string; canary?: string; canaryPercent?: number }) => {
        const d = await ctx.withWorkspace((ws) =>
          ws.serving.deploy(localPrincipal().userName, ref, {
            ...(opts.name === undefined ? {} : { name: opts.name }),
            ...(opts.shadow === undefined ? {} : { shadow: opts.shadow }),
            ...(opts.canary === undefined ? {} : { canary: opts.canary }),
            ...(opts.canaryPercent === undefined ? {} : { canaryPercent: opts.canaryPercent }),
          }),
        );
        ctx.emit(deploymentJson(d), (r) =>
          [
            `deployed ${r.ref} as '${r.name}': POST /v1/models/${r.name}:predict, POST /v2/models/${r.name}/infer`,
            r.shadow ? `shadow: ${r.shadow} (logged, never returned)` : '',
            r.canary ? `canary: ${r.canary.ref} answers ${r.canary.percent}% of requests` : '',
            'running servers pick it up within their poll interval (2 s)',
          ]
            .filter((l) => l !== '')
            .join('\n'),
        );
      }),
    );
  program
    .command('undeploy')
    .description('stop serving a deployment (servers drop it within their poll interval)')
    .argument('<name>', 'deployment name')
    .action(
      run(async (ctx, name: string) => {
        const d = await ctx.withWorkspace((ws) => ws.serving.undeploy(localPrincipal().userName, name));
        ctx.emit(deploymentJson(d), (r) => `undeployed '${r.name}' (was ${r.ref})`);
      }),
    );
  program
    .command('deployments')
    .description('list deployments: what is served, with shadow and canary')
    .action(
      run(async (ctx) => {
        const list = await ctx.withWorkspace((ws) => ws.serving.listDeployments());
        ctx.emit({ deployments: list.map(deploymentJson) }, (r) =>
          r.deployments.length === 0
            ? "no deployments; 'mloop deploy <model>@<alias>' makes one"
            : table(
                ['name', 'serves', 'shadow', 'canary', 'updated', 'by'],
                r.deployments.map((d) => [d.name, d.ref, d.shadow, d.canary ? `${d.canary.ref} ${d.canary.percent}%` : null, d.updated_at, d.updated_by]),
              ),
        );
      }),
    );
}
