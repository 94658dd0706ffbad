/**
 * Time for the media plane behind an interface, so watchdogs, backoff and rates are tested on
 * simulated time. `nowMs` is monotonic (not wall-clock): it only measures intervals.
 */
export interface TimerHandle {
  readonly __timerHandle?: never;
}

export interface Timers {
  nowMs(): number;
  setTimeout(callback: () => void, delayMs: number): TimerHandle;
  clearTimeout(handle: TimerHandle): void;
}

export const systemTimers: Timers = {
  nowMs: () => performance.now(),
  setTimeout: (callback, delayMs) => {
    const handle = setTimeout(callback, delayMs);
    handle.unref?.();
    return handle as unknown as TimerHandle;
  },
  clearTimeout: (handle) => {
    clearTimeout(handle as unknown as NodeJS.Timeout);
  },
};
