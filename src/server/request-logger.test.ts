import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { lazyChildLoggerFactory } from './request-logger.js';

/** A pino logger writing JSON lines into `lines`. */
function capture(level = 'info'): { logger: pino.Logger; lines: Array<Record<string, unknown>> } {
  const lines: Array<Record<string, unknown>> = [];
  const logger = pino({ level, base: { service: 'mloop' }, timestamp: false }, { write: (l: string) => lines.push(JSON.parse(l) as Record<string, unknown>) });
  return { logger, lines };
}

describe('lazyChildLoggerFactory', () => {
  it('writes exactly the lines a pino child would, with its bindings and level', () => {
    for (const options of [{}, { level: 'warn' }]) {
      const lazy = capture();
      const eager = capture();
      const a = lazyChildLoggerFactory(lazy.logger, { reqId: 'r1' }, options);
      const b = eager.logger.child({ reqId: 'r1' }, options);
      for (const l of [a, b]) {
        l.debug('not written');
        l.info({ code: 'X' }, 'rejected');
        l.warn({ n: 1 }, 'careful');
        l.error({ err: new Error('boom') }, 'failed');
        l.child({ more: true }).error('from a grandchild');
      }
      expect(lazy.lines).toEqual(eager.lines);
      expect(lazy.lines.length).toBe(options.level === 'warn' ? 3 : 4);
      expect(a.level).toBe(b.level);
      expect((a as unknown as pino.Logger).isLevelEnabled('info')).toBe(b.isLevelEnabled('info'));
    }
  });

  it('makes no pino child for a request that logs nothing at its level', () => {
    const { logger, lines } = capture();
    let children = 0;
    const child = logger.child.bind(logger);
    logger.child = ((...args: Parameters<typeof child>) => {
      children++;
      return child(...args);
    }) as typeof logger.child;
    const quiet = lazyChildLoggerFactory(logger, { reqId: 'r2' }, { level: 'warn' });
    quiet.info('incoming request');
    quiet.info('request completed');
    expect(children).toBe(0);
    quiet.warn('slow');
    expect(children).toBe(1);
    expect(lines).toEqual([{ level: 40, service: 'mloop', reqId: 'r2', msg: 'slow' }]);
  });
});
