import { CronExpressionParser } from 'cron-parser';

/** When a timer function runs next. */
export interface TimerSchedule {
  next(after: Date): Date;
}

/** A schedule the host cannot use; names the function and the schedule. */
export class TimerScheduleError extends Error {
  override readonly name = 'TimerScheduleError';
  readonly code = 'HOST_TIMER_SCHEDULE_INVALID';
}

/**
 * Parses a timer schedule as the host does: a six-field NCRONTAB expression
 * (`{second} {minute} {hour} {day} {month} {day-of-week}`, in UTC), or a TimeSpan interval
 * (`"00:05:00"`).
 *
 * @throws TimerScheduleError for anything else, five-field cron included.
 */
export function parseTimerSchedule(functionName: string, schedule: string): TimerSchedule {
  const interval = /^(\d{1,2}):(\d{2}):(\d{2})$/.exec(schedule.trim());
  if (interval) {
    const [, hours = '0', minutes = '0', seconds = '0'] = interval;
    const periodMs = ((Number(hours) * 60 + Number(minutes)) * 60 + Number(seconds)) * 1000;
    if (periodMs <= 0)
      throw new TimerScheduleError(`function ${functionName}: schedule "${schedule}" is an empty interval`);
    return { next: (after) => new Date(after.getTime() + periodMs) };
  }
  if (schedule.trim().split(/\s+/).length !== 6) {
    throw new TimerScheduleError(
      `function ${functionName}: schedule "${schedule}" must have six fields: {second} {minute} {hour} {day} {month} {day-of-week}`,
    );
  }
  try {
    CronExpressionParser.parse(schedule, { tz: 'UTC' });
  } catch (error) {
    throw new TimerScheduleError(
      `function ${functionName}: schedule "${schedule}" is not valid NCRONTAB: ${String(error)}`,
    );
  }
  return { next: (after) => CronExpressionParser.parse(schedule, { tz: 'UTC', currentDate: after }).next().toDate() };
}

/** The timer payload the host hands to the worker (the library camel-cases it). */
export interface TimerInfo {
  readonly Schedule: { readonly AdjustForDST: boolean };
  readonly ScheduleStatus: { readonly Last: string; readonly Next: string; readonly LastUpdated: string } | null;
  readonly IsPastDue: boolean;
}

/** Options of {@link startTimerTrigger}. */
export interface TimerTriggerOptions {
  readonly functionName: string;
  readonly schedule: TimerSchedule;
  readonly runOnStartup: boolean;
  /** Runs the function; a rejection is logged and the schedule goes on, as in the host. */
  readonly invoke: (timer: TimerInfo) => Promise<void>;
}

/** A running timer trigger. */
export interface TimerTrigger {
  /** Stops scheduling and waits for a run in progress. */
  stop(): Promise<void>;
}

// setTimeout cannot wait longer than 2^31-1 ms; longer waits are chained.
const MAX_TIMEOUT_MS = 2 ** 31 - 1;

/** Runs a timer function on its schedule, one run at a time, and once at start with `runOnStartup`. */
export function startTimerTrigger(options: TimerTriggerOptions): TimerTrigger {
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> = Promise.resolve();
  let stopped = false;
  let last: Date | undefined;

  const run = (due: Date, next: Date): void => {
    const status = last && {
      Last: last.toISOString(),
      Next: next.toISOString(),
      LastUpdated: new Date().toISOString(),
    };
    last = due;
    running = options
      .invoke({
        Schedule: { AdjustForDST: true },
        ScheduleStatus: status ?? null,
        IsPastDue: Date.now() - due.getTime() > 1000,
      })
      .catch(() => undefined) // the invoker logged the failure; the schedule goes on
      .finally(schedule);
  };
  const waitUntil = (due: Date): void => {
    const delay = due.getTime() - Date.now();
    timer = setTimeout(
      () => (delay > MAX_TIMEOUT_MS ? waitUntil(due) : run(due, options.schedule.next(due))),
      Math.min(Math.max(delay, 0), MAX_TIMEOUT_MS),
    );
  };
  function schedule(): void {
    if (!stopped) waitUntil(options.schedule.next(new Date()));
  }

  if (options.runOnStartup) run(new Date(), options.schedule.next(new Date()));
  else schedule();
  return {
    async stop() {
      stopped = true;
      clearTimeout(timer);
      await running;
    },
  };
}
