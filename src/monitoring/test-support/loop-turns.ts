/**
 * Counts the event loop's turns (setImmediate callbacks) while it runs; `stop()` ends the count.
 * A computation that never gives the loop a turn leaves `turns` unchanged.
 */
export function countLoopTurns(): { readonly turns: number; stop(): void } {
  let turns = 0;
  let done = false;
  const spin = (): void => {
    if (done) return;
    turns += 1;
    setImmediate(spin);
  };
  setImmediate(spin);
  return {
    get turns() {
      return turns;
    },
    stop() {
      done = true;
    },
  };
}
