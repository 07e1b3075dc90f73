/** The JSON shapes of registry entities, shared by the CLI (`--json`) and the HTTP API. */
import type { AliasMove, Model, ModelVersion } from './registry.js';

export function modelJson(m: Model) {
  return { name: m.name, task: m.task, latest_version: m.latestVersion, aliases: m.aliases, description: m.description, created_at: m.createdAt, created_by: m.createdBy };
}

export function versionJson(v: ModelVersion) {
  return {
    ref: v.ref,
    model: v.model,
    version: v.version,
    task: v.task,
    aliases: v.aliases,
    created_at: v.createdAt,
    created_by: v.createdBy,
    run_key: v.runKey,
    tags: v.tags,
    notes: v.notes,
    record: v.record,
    artifacts: v.artifacts,
  };
}

export function moveJson(m: AliasMove) {
  return { seq: m.seq, model: m.model, alias: m.alias, from_version: m.fromVersion, to_version: m.toVersion, at: m.at, actor: m.actor, reason: m.reason, evidence: m.evidence };
}
