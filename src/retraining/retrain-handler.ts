/** The `retrain` job type: one retraining run per job key. */
import type { ValidationIssue } from '../errors/index.js';
import type { JobHandler } from '../jobs/index.js';
import { runJson } from './retraining.js';
import type { RetrainingService } from './retraining-service.js';

/** `retrain`: runs the model's retraining policy; a retried job resumes its run and makes one challenger. */
export function retrainHandler(service: RetrainingService): JobHandler {
  return {
    type: 'retrain',
    description: "run a model's retraining policy: training data → challenger → evaluation against the champion → gate → promote or ask for approval",
    validate(p) {
      const issues: ValidationIssue[] = [];
      if (typeof p['model'] !== 'string' || p['model'] === '') issues.push({ path: 'model', code: 'required', message: 'payload.model is required (a model with a retraining policy)' });
      for (const k of Object.keys(p)) if (k !== 'model') issues.push({ path: k, code: 'unknown_field', message: `payload.${k} is not known; retrain takes {model}` });
      return issues;
    },
    async run(ctx) {
      const run = await service.run({ key: ctx.job.key, model: ctx.job.payload['model'] as string, actor: ctx.job.createdBy, log: (m) => ctx.log(m) });
      const { steps: _steps, ...summary } = runJson(run);
      return summary;
    },
  };
}
