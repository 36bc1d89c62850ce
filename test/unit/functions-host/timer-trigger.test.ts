import {
  parseTimerSchedule,
  startTimerTrigger,
  type TimerInfo,
  TimerScheduleError,
} from '../../../dev/functions-host/timer-trigger';
import { thrown } from '../../helpers/thrown';

const nextAfter = (schedule: string, after: string): string =>
  parseTimerSchedule('nightly', schedule).next(new Date(after)).toISOString();

/** Every occurrence after `after`, `count` of them, each computed from the one before. */
function occurrences(schedule: string, after: string, count: number): string[] {
  const parsed = parseTimerSchedule('poller', schedule);
  const result: string[] = [];
  let at = new Date(after);
  for (let i = 0; i < count; i += 1) {
    at = parsed.next(at);
    result.push(at.toISOString());
  }
  return result;
}

function scheduleError(schedule: string): { name: string; code: string; message: string } {
  const error = thrown(() => parseTimerSchedule('nightly', schedule));
  expect(error).toBeInstanceOf(TimerScheduleError);
  const { name, code, message } = error as TimerScheduleError;
  return { name, code, message };
}

/** Lets every pending callback and promise reaction run, so that anything not waiting has settled. */
const settle = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

describe('parseTimerSchedule', () => {
  describe('six-field NCRONTAB', () => {
    it('finds the next 03:00 UTC on the following day when today’s has passed', () => {
      expect(nextAfter('0 0 3 * * *', '2026-01-01T05:00:00Z')).toBe('2026-01-02T03:00:00.000Z');
    });

    it('finds the next 03:00 UTC on the same day when it is still ahead', () => {
      expect(nextAfter('0 0 3 * * *', '2026-01-01T02:59:59.500Z')).toBe('2026-01-01T03:00:00.000Z');
    });

    it('returns a time strictly after the one given, even when that time matches', () => {
      expect(nextAfter('0 0 3 * * *', '2026-01-01T03:00:00Z')).toBe('2026-01-02T03:00:00.000Z');
    });

    it('steps every 15 seconds with */15 in the seconds field', () => {
      expect(occurrences('*/15 * * * * *', '2026-01-01T00:00:07Z', 5)).toEqual([
        '2026-01-01T00:00:15.000Z',
        '2026-01-01T00:00:30.000Z',
        '2026-01-01T00:00:45.000Z',
        '2026-01-01T00:01:00.000Z',
        '2026-01-01T00:01:15.000Z',
      ]);
    });

    it('steps every 5 minutes at second 0 with 0 */5 * * * *', () => {
      expect(occurrences('0 */5 * * * *', '2026-01-01T23:52:45.001Z', 3)).toEqual([
        '2026-01-01T23:55:00.000Z',
        '2026-01-02T00:00:00.000Z',
        '2026-01-02T00:05:00.000Z',
      ]);
    });

    it('skips to Monday for a weekday schedule read on a Friday afternoon', () => {
      expect(nextAfter('0 30 9 * * 1-5', '2026-01-02T10:00:00Z')).toBe('2026-01-05T09:30:00.000Z');
    });
  });

  describe('TimeSpan intervals', () => {
    it('adds 5 minutes for 00:05:00', () => {
      expect(nextAfter('00:05:00', '2026-01-01T00:00:45.001Z')).toBe('2026-01-01T00:05:45.001Z');
    });

    it('adds hours, minutes and seconds for 01:02:03', () => {
      expect(nextAfter('01:02:03', '2026-01-01T00:00:00Z')).toBe('2026-01-01T01:02:03.000Z');
    });
  });

  describe('refusals', () => {
    it.each(['0 */5 * * *', '0 3 * * 1', '0 0 3 * * * *'])('refuses %j, which does not have six fields', (schedule) => {
      expect(scheduleError(schedule)).toEqual({
        name: 'TimerScheduleError',
        code: 'HOST_TIMER_SCHEDULE_INVALID',
        message: `function nightly: schedule "${schedule}" must have six fields: {second} {minute} {hour} {day} {month} {day-of-week}`,
      });
    });

    it.each([
      ['0 0 25 * * *', 'Error: Constraint error, got value 25 expected range 0-23'],
      ['a b c d e f', 'Error: Invalid characters, got value: a'],
    ])('refuses the invalid expression %j with the parser’s reason', (schedule, reason) => {
      expect(scheduleError(schedule)).toEqual({
        name: 'TimerScheduleError',
        code: 'HOST_TIMER_SCHEDULE_INVALID',
        message: `function nightly: schedule "${schedule}" is not valid NCRONTAB: ${reason}`,
      });
    });

    it('refuses the empty interval 00:00:00', () => {
      expect(scheduleError('00:00:00')).toEqual({
        name: 'TimerScheduleError',
        code: 'HOST_TIMER_SCHEDULE_INVALID',
        message: 'function nightly: schedule "00:00:00" is an empty interval',
      });
    });
  });
});

describe('startTimerTrigger', () => {
  describe('with runOnStartup', () => {
    it('runs once at start with the host’s timer payload, and stop() waits for that run', async () => {
      const calls: TimerInfo[] = [];
      const events: string[] = [];
      let runStarted!: () => void;
      const started = new Promise<void>((resolve) => (runStarted = resolve));
      let finishRun!: () => void;
      const mayFinish = new Promise<void>((resolve) => (finishRun = resolve));

      const trigger = startTimerTrigger({
        functionName: 'nightly',
        // Next occurrence a day away: nothing but the start-up run can happen during the test.
        schedule: parseTimerSchedule('nightly', '23:59:59'),
        runOnStartup: true,
        invoke: async (timer) => {
          calls.push(timer);
          runStarted();
          await mayFinish;
          events.push('run finished');
        },
      });
      await started;

      expect(calls).toEqual([{ Schedule: { AdjustForDST: true }, ScheduleStatus: null, IsPastDue: false }]);

      const stopping = trigger.stop().then(() => events.push('stopped'));
      await settle();

      expect(events).toEqual([]);

      finishRun();
      await stopping;

      expect(events).toEqual(['run finished', 'stopped']);
      expect(calls).toHaveLength(1);
    });
  });

  describe('on schedule', () => {
    afterEach(() => {
      jest.useRealTimers();
    });

    it('runs at each occurrence, not at start, reporting the previous run in ScheduleStatus', async () => {
      jest.useFakeTimers({ now: new Date('2026-01-01T00:00:07Z') });
      const calls: TimerInfo[] = [];
      const trigger = startTimerTrigger({
        functionName: 'poller',
        schedule: parseTimerSchedule('poller', '*/15 * * * * *'),
        runOnStartup: false,
        invoke: async (timer) => void calls.push(timer),
      });

      await jest.advanceTimersByTimeAsync(7_999);
      expect(calls).toEqual([]);

      await jest.advanceTimersByTimeAsync(1);
      await jest.advanceTimersByTimeAsync(15_000);
      await trigger.stop();

      expect(calls).toEqual([
        { Schedule: { AdjustForDST: true }, ScheduleStatus: null, IsPastDue: false },
        {
          Schedule: { AdjustForDST: true },
          ScheduleStatus: {
            Last: '2026-01-01T00:00:15.000Z',
            Next: '2026-01-01T00:00:45.000Z',
            LastUpdated: '2026-01-01T00:00:30.000Z',
          },
          IsPastDue: false,
        },
      ]);
    });
  });
});
