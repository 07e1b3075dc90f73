/**
 * Test support: the registry record of a one-input text model `m@1` (alias `champion`) with the
 * given stored thresholds, for serving tests that stub the registry and the predictor.
 */
import type { ModelVersion } from '../../registry/index.js';

/** Version 1 of text model `m`, input `text`, with `thresholds` as its stored decision thresholds. */
export function textVersion(thresholds: Record<string, unknown>): ModelVersion {
  return {
    id: 'mv_1',
    model: 'm',
    version: 1,
    ref: 'm@1',
    task: 'text-classification',
    runKey: null,
    record: { datasets: ['d@1'], inputSchema: [{ name: 'text', type: 'text' }], learner: 'text-softmax', params: {}, seed: 1, codeVersion: 't', metrics: {}, thresholds },
    artifacts: [],
    tags: {},
    notes: '',
    aliases: ['champion'],
    createdAt: '',
    createdBy: '',
  };
}
