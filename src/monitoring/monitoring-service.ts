/**
 * The monitoring service: reports of a model over windows of its prediction log, alert rules,
 * the alert history and `run` (every deployed model evaluated once, alerts recorded and delivered).
 */
import type { DatasetService } from '../datasets/index.js';
import { MloopError } from '../errors/index.js';
import type { RegistryService } from '../registry/index.js';
import type { ServingService } from '../serving/index.js';
import { newId } from '../storage/index.js';
import { evaluateRule } from './alerts/alert-rules.js';
import { parseWebhookUrl, postWebhook, slackBody, type WebhookOptions } from './alerts/webhook.js';
import { estimateLatestAccuracy, monitoredFeatures, monitorModel, type LatestEstimate, type LatestEstimateRequest, type MonitorRequest, type MonitoringReport } from './model-monitor.js';
import { checkMetric, parseWindow, ruleJson, RULE_OPS, type Alert, type AlertPageQuery, type AlertRule, type RuleOp } from './monitoring.js';
import type { LogState, MonitoringStore } from './monitoring-store.js';

/** A new alert rule. */
export interface NewRule {
  name: string;
  model: string;
  metric: string;
  op: string;
  threshold: number;
  /** Default 1. */
  consecutive?: number;
  /** Default `7d`. */
  window?: string;
  webhook?: string | null;
}

/** Changes to a rule; what is left out stays. `webhook: null` removes the webhook. */
export type RuleChanges = Partial<NewRule> & { enabled?: boolean };

/** Where rule changes are written for the audit log (the workspace wires `AuthService.recordAudit`). */
export type MonitoringAuditSink = (entry: { at: string; actor: string; action: string; target: string; details: Record<string, unknown> }) => Promise<void>;

/** What `run` did for one rule. */
export interface RuleOutcome {
  rule: string;
  /** `new`: a breach first seen now (delivered); `ongoing`: already alerted; `resolved`; `ok`. */
  state: 'new' | 'ongoing' | 'resolved' | 'ok';
  alert: Alert | null;
  delivery: Alert['delivery'] | null;
  delivery_error: string | null;
}

/** What `run` did for one model (a failing model is reported, not thrown). */
export interface ModelRunResult {
  model: string;
  windows: number;
  dataset_drift: MonitoringReport['dataset_drift'];
  realized_accuracy: number | null;
  estimated_accuracy: number | null;
  review_share: number | null;
  rules: RuleOutcome[];
  error: { code: string; message: string } | null;
}

export interface MonitoringServiceOptions {
  clock?: () => Date;
  /** `monitoring.allowPrivateWebhooks`. */
  allowPrivateWebhooks?: boolean;
  /** Resolver for webhook hosts (tests). */
  resolve?: WebhookOptions['resolve'];
  webhookTimeoutMs?: number;
  /** Records rule changes (create, update, delete) in the audit log. */
  audit?: MonitoringAuditSink;
}

export class MonitoringService {
  private readonly clock: () => Date;

  constructor(
    readonly store: MonitoringStore,
    private readonly registry: RegistryService,
    private readonly datasets: DatasetService,
    private readonly serving: Pick<ServingService, 'listDeployments'>,
    private readonly options: MonitoringServiceOptions = {},
  ) {
    this.clock = options.clock ?? (() => new Date());
  }

  /**
   * A monitoring report of a model over windows of its prediction log.
   *
   * @example
   * const r = await ws.monitoring.report({ model: 'support@champion', window: '7d' });
   */
  report(req: MonitorRequest): Promise<MonitoringReport> {
    return monitorModel({ store: this.store, registry: this.registry, datasets: this.datasets, clock: this.clock }, req);
  }

  /**
   * The estimated (CBPE) and realized accuracy of the window holding the model's newest prediction
   * (`last`), the same number as the report's window there, without computing drift.
   */
  estimateLatest(req: LatestEstimateRequest): Promise<LatestEstimate> {
    return estimateLatestAccuracy({ store: this.store, registry: this.registry, datasets: this.datasets, clock: this.clock }, req);
  }

  /**
   * Checks that `metric` is a monitored value (INVALID_ARGUMENT listing them) of a model that
   * exists (NOT_FOUND), and that a `drift.<feature>` names one of the inputs the model's report
   * tests (NOT_FOUND listing them): a rule on a value that never exists would stay `ok` forever.
   */
  async checkRuleMetric(model: string, metric: string): Promise<void> {
    const version = await this.registry.resolve(model);
    checkMetric(metric);
    if (!metric.startsWith('drift.') || metric === 'drift.share' || metric === 'drift.count') return;
    const features = monitoredFeatures(version);
    const name = metric.slice('drift.'.length);
    if (features.includes(name) || (name.endsWith('.statistic') && features.includes(name.slice(0, -'.statistic'.length)))) return;
    throw MloopError.notFound('feature', `${version.ref}:${name.replace(/\.statistic$/, '')}`, {
      hint: features.length === 0 ? `${version.ref} has no inputs drift tests compare` : `features of ${version.ref}: ${features.join(', ')}`,
    });
  }

  /** Checks a rule's fields as given; returns them normalised (window text, webhook URL). */
  private async checkRule(input: NewRule): Promise<Pick<AlertRule, 'name' | 'model' | 'metric' | 'op' | 'threshold' | 'consecutive' | 'window' | 'webhook'>> {
    if (!/^[a-z0-9][a-z0-9._-]{0,62}$/.test(input.name)) throw MloopError.invalidArgument(`invalid rule name '${input.name}': use 1–63 lowercase letters, digits, '.', '_' or '-'`);
    await this.checkRuleMetric(input.model, input.metric);
    if (!(RULE_OPS as readonly string[]).includes(input.op)) throw MloopError.invalidArgument(`invalid comparison '${input.op}'`, { hint: `use one of ${RULE_OPS.join(' ')}` });
    if (!Number.isFinite(input.threshold)) throw MloopError.invalidArgument('threshold must be a finite number');
    const consecutive = input.consecutive ?? 1;
    if (!Number.isInteger(consecutive) || consecutive < 1 || consecutive > 1000) throw MloopError.invalidArgument(`consecutive must be a whole number from 1 to 1000, got ${consecutive}`);
    const window = parseWindow(input.window ?? '7d').text;
    const webhook = input.webhook ? parseWebhookUrl(input.webhook).toString() : null;
    return { name: input.name, model: input.model, metric: input.metric, op: input.op as RuleOp, threshold: input.threshold, consecutive, window, webhook };
  }

  /** A rule as the audit log keeps it: the webhook by origin only (Slack-style URLs carry their secret in the path). */
  private auditRule(actor: string, action: 'create' | 'update' | 'delete', rule: AlertRule, at: string): Promise<void> {
    const json = ruleJson(rule);
    let webhook: string | null = null;
    if (json.webhook !== null) {
      try {
        webhook = `${new URL(json.webhook).origin}/…`;
      } catch {
        webhook = '…';
      }
    }
    const { name, model, metric, op, threshold, consecutive, window, enabled } = json;
    return this.options.audit?.({ at, actor, action: `rule.${action}`, target: `model:${model.split('@')[0]}`, details: { rule: name, id: rule.id, model, metric, op, threshold, consecutive, window, enabled, webhook } }) ?? Promise.resolve();
  }

  /** Adds an alert rule after checking the model, metric, comparison, window and webhook. */
  async addRule(actor: string, input: NewRule): Promise<AlertRule> {
    const fields = await this.checkRule(input);
    const at = this.clock().toISOString();
    const rule = await this.store.insertRule({ id: newId('rul'), ...fields, enabled: true, createdAt: at, createdBy: actor });
    await this.auditRule(actor, 'create', rule, at);
    return rule;
  }

  /** Changes a rule (by id or name) after checking the result as {@link addRule} does; its id, alerts and creator stay. */
  async updateRule(actor: string, idOrName: string, changes: RuleChanges): Promise<AlertRule> {
    const rule = await this.store.getRule(idOrName);
    if (!rule) throw MloopError.notFound('alert rule', idOrName);
    const merged: NewRule = {
      name: changes.name ?? rule.name,
      model: changes.model ?? rule.model,
      metric: changes.metric ?? rule.metric,
      op: changes.op ?? rule.op,
      threshold: changes.threshold ?? rule.threshold,
      consecutive: changes.consecutive ?? rule.consecutive,
      window: changes.window ?? rule.window,
      webhook: changes.webhook === undefined ? rule.webhook : changes.webhook,
    };
    const updated: AlertRule = { ...rule, ...(await this.checkRule(merged)), enabled: changes.enabled ?? rule.enabled };
    if (!(await this.store.updateRule(updated))) throw MloopError.notFound('alert rule', idOrName);
    await this.auditRule(actor, 'update', updated, this.clock().toISOString());
    return updated;
  }

  listRules(filter: { model?: string } = {}): Promise<AlertRule[]> {
    return this.store.listRules(filter);
  }

  async removeRule(actor: string, idOrName: string): Promise<AlertRule> {
    const rule = await this.store.getRule(idOrName);
    if (!rule) throw MloopError.notFound('alert rule', idOrName);
    await this.store.deleteRule(rule.id);
    await this.auditRule(actor, 'delete', rule, this.clock().toISOString());
    return rule;
  }

  /** One page of the alert history, filtered, sorted and cut by the store (see {@link AlertPageQuery}). */
  pageAlerts(query: AlertPageQuery): Promise<{ alerts: Alert[]; total: number }> {
    return this.store.pageAlerts(query);
  }

  /** What the model's reports depend on in the log (see {@link LogState}). */
  logState(model: string): Promise<LogState> {
    return this.store.logState(model);
  }

  listAlerts(filter: { model?: string; status?: Alert['status']; limit?: number } = {}): Promise<Alert[]> {
    return this.store.listAlerts({ ...filter, limit: Math.min(Math.max(filter.limit ?? 100, 1), 10000) });
  }

  private async deliver(alert: Alert, rule: AlertRule, event: 'firing' | 'resolved'): Promise<Pick<RuleOutcome, 'delivery' | 'delivery_error'>> {
    if (!rule.webhook) return { delivery: 'none', delivery_error: null };
    try {
      await postWebhook(rule.webhook, slackBody(alert, event), {
        allowPrivate: this.options.allowPrivateWebhooks ?? false,
        ...(this.options.resolve ? { resolve: this.options.resolve } : {}),
        ...(this.options.webhookTimeoutMs ? { timeoutMs: this.options.webhookTimeoutMs } : {}),
      });
      await this.store.setDelivery(alert.id, 'delivered', null, this.clock().toISOString());
      return { delivery: 'delivered', delivery_error: null };
    } catch (err) {
      const message = err instanceof MloopError ? `${err.code}: ${err.message}` : 'delivery failed';
      await this.store.setDelivery(alert.id, 'failed', message, null);
      return { delivery: 'failed', delivery_error: message };
    }
  }

  /** Evaluates one rule on a report: records a new or ongoing breach, resolves ended ones, delivers changes. */
  async applyRule(rule: AlertRule, report: MonitoringReport): Promise<RuleOutcome> {
    const breach = evaluateRule(rule, report.windows);
    const now = this.clock().toISOString();
    if (!breach) {
      const resolved = await this.store.resolveAlerts(rule.id, null, now);
      let last: RuleOutcome = { rule: rule.name, state: 'ok', alert: null, delivery: null, delivery_error: null };
      for (const a of resolved) last = { rule: rule.name, state: 'resolved', alert: a, ...(await this.deliver(a, rule, 'resolved')) };
      return last;
    }
    const dedupKey = `${rule.id}:${breach.firstWindow}`;
    await this.store.resolveAlerts(rule.id, dedupKey, now);
    const { alert, created } = await this.store.upsertAlert({
      id: newId('alt'),
      ruleId: rule.id,
      ruleName: rule.name,
      model: report.model,
      metric: rule.metric,
      dedupKey,
      status: 'firing',
      firstWindow: breach.firstWindow,
      lastWindow: breach.lastWindow,
      windows: breach.windows,
      value: breach.value,
      threshold: rule.threshold,
      message: breach.message,
      createdAt: now,
      updatedAt: now,
      resolvedAt: null,
      delivery: 'none',
      deliveryError: null,
      deliveredAt: null,
    });
    if (!created) return { rule: rule.name, state: 'ongoing', alert, delivery: alert.delivery, delivery_error: alert.deliveryError };
    return { rule: rule.name, state: 'new', alert, ...(await this.deliver(alert, rule, 'firing')) };
  }

  /**
   * Evaluates everything once: every deployed model's report (window `7d`) and every enabled
   * rule (on its own model and window), recording and delivering alerts. One result per model;
   * a model that fails is reported with its error. INVALID_ARGUMENT, before anything is evaluated,
   * for a bad `window` (a fault of the call, not of any model).
   */
  async run(options: { window?: string; now?: string } = {}): Promise<ModelRunResult[]> {
    const summary = parseWindow(options.window ?? '7d').text;
    const rules = (await this.store.listRules()).filter((r) => r.enabled);
    const deployed = (await this.serving.listDeployments()).map((d) => d.ref);
    const models = [...new Set([...deployed, ...rules.map((r) => r.model)])].sort();
    const results: ModelRunResult[] = [];
    for (const model of models) {
      const mine = rules.filter((r) => r.model === model);
      const windows = [...new Set([summary, ...mine.map((r) => r.window)])];
      const result: ModelRunResult = { model, windows: 0, dataset_drift: null, realized_accuracy: null, estimated_accuracy: null, review_share: null, rules: [], error: null };
      try {
        for (const w of windows) {
          const report = await this.report({ model, window: w, ...(options.now ? { to: options.now } : {}) });
          if (w === windows[0]) {
            const latest = report.windows.at(-1);
            result.windows = report.windows.length;
            result.dataset_drift = report.dataset_drift;
            result.realized_accuracy = latest?.performance.realized_accuracy?.value ?? null;
            result.estimated_accuracy = latest?.performance.estimated_accuracy?.value ?? null;
            result.review_share = latest?.prediction.review_share ?? null;
          }
          for (const rule of mine.filter((r) => r.window === w)) result.rules.push(await this.applyRule(rule, report));
        }
      } catch (err) {
        if (!(err instanceof MloopError)) throw err;
        result.error = { code: err.code, message: err.message };
      }
      results.push(result);
    }
    return results;
  }
}
