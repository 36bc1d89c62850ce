import {
  formatRedriveProgress,
  formatReplayProgress,
  formatReplayShortfall,
  formatStatus,
  parseRelayArguments,
  UsageError,
} from '../../../relay-worker/cli';
import type { RelayStatus } from '../../../relay-worker/operations';
import { thrown } from '../../helpers/thrown';

const usageError = (message: string): UsageError => new UsageError(message);

describe('parseRelayArguments', () => {
  describe('commands', () => {
    it.each([
      [[], { name: 'run' }],
      [['run'], { name: 'run' }],
      [['status'], { name: 'status', json: false }],
      [['status', '--json'], { name: 'status', json: true }],
      [['--json', 'status'], { name: 'status', json: true }],
      [['replay', '--from', '0'], { name: 'replay', from: 0, to: undefined }],
      [['replay', '--from', '7', '--to', '12'], { name: 'replay', from: 7, to: 12 }],
      [['replay', '--from=7', '--to=7'], { name: 'replay', from: 7, to: 7 }],
      [['replay', '--to', '12', '--from', '007'], { name: 'replay', from: 7, to: 12 }],
      [['replay', '--from', '9007199254740991'], { name: 'replay', from: Number.MAX_SAFE_INTEGER, to: undefined }],
      [['redrive'], { name: 'redrive' }],
    ])('%j is %j', (args, expected) => {
      expect(parseRelayArguments(args)).toStrictEqual(expected);
    });
  });

  describe('--help', () => {
    it.each([[['--help']], [['-h']], [['status', '--help']], [['replay', '-h']], [['bogus', '--help']]])(
      '%j asks for help',
      (args) => {
        expect(parseRelayArguments(args)).toStrictEqual({ name: 'help' });
      },
    );
  });

  describe('usage errors', () => {
    it.each([
      [['start'], 'unknown command "start"; expected one of run, status, replay, redrive'],
      [['status', 'now'], 'unexpected argument "now" after status'],
      [['run', 'status'], 'unexpected argument "status" after run'],
      [['--verbose'], 'unknown option "--verbose"'],
      [['status', '-j'], 'unknown option "-j"'],
      [['status', '--json=yes'], "Option '--json' does not take an argument"],
      [['replay'], 'replay needs --from <height>'],
      [['replay', '--to', '5'], 'replay needs --from <height>'],
      [['replay', '--from'], "Option '--from <value>' argument missing"],
      [['replay', '--from', 'abc'], '--from must be a block height (a whole number from 0), got "abc"'],
      [['replay', '--from', ''], '--from must be a block height (a whole number from 0), got ""'],
      [['replay', '--from=-1'], '--from must be a block height (a whole number from 0), got "-1"'],
      [['replay', '--from', '1.5'], '--from must be a block height (a whole number from 0), got "1.5"'],
      [['replay', '--from', '1e3'], '--from must be a block height (a whole number from 0), got "1e3"'],
      [['replay', '--from', '0x10'], '--from must be a block height (a whole number from 0), got "0x10"'],
      [['replay', '--from', ' 1'], '--from must be a block height (a whole number from 0), got " 1"'],
      [
        ['replay', '--from', '9007199254740992'],
        '--from must be a block height (a whole number from 0), got "9007199254740992"',
      ],
      [['replay', '--from', '1', '--to', 'next'], '--to must be a block height (a whole number from 0), got "next"'],
      [['replay', '--from', '5', '--to', '3'], '--from (5) must not be above --to (3)'],
      [['status', '--from', '3'], '--from is not an option of status'],
      [['redrive', '--to', '3'], '--to is not an option of redrive'],
      [['run', '--json'], '--json is not an option of run'],
      [['--json'], '--json is not an option of run'],
      [['replay', '--from', '1', '--json'], '--json is not an option of replay'],
    ])('%j is refused with "%s"', (args, message) => {
      expect(thrown(() => parseRelayArguments(args))).toStrictEqual(usageError(message));
    });

    it('refuses an option value that starts with a dash, pointing at the --from=-x form', () => {
      const error = thrown(() => parseRelayArguments(['replay', '--from', '-1']));

      expect(error).toBeInstanceOf(UsageError);
      expect((error as UsageError).message).toBe(
        "Option '--from' argument is ambiguous.\nDid you forget to specify the option argument for '--from'?\n" +
          "To specify an option argument starting with a dash use '--from=-XYZ'.",
      );
    });

    it('carries the code RELAY_USAGE', () => {
      expect(thrown(() => parseRelayArguments(['start']))).toMatchObject({ name: 'UsageError', code: 'RELAY_USAGE' });
    });
  });
});

const STATUS: RelayStatus = {
  checkpointHeight: 41,
  lease: { state: 'leased', instanceId: 'relay-a', acquiredAt: '2026-11-25T17:00:00.000Z' },
  queue: { name: 'ledger-events', approximateMessagesCount: 12 },
  poisonQueue: { name: 'ledger-events-poison', approximateMessagesCount: 1 },
  newestHeight: 57,
  lag: 16,
};

describe('formatStatus', () => {
  it('prints one labelled line per fact', () => {
    expect(formatStatus(STATUS)).toBe(
      'checkpoint:   block 41\n' +
        'leader lease: leased (held by relay-a since 2026-11-25T17:00:00.000Z)\n' +
        'queue:        ledger-events: 12 messages (approximate)\n' +
        'poison queue: ledger-events-poison: 1 message (approximate)\n' +
        'newest block: block 57\n' +
        'lag:          16 blocks\n',
    );
  });

  it('says what is missing on an empty system', () => {
    const empty: RelayStatus = {
      checkpointHeight: null,
      lease: { state: 'available' },
      queue: { name: 'ledger-events', approximateMessagesCount: 0 },
      poisonQueue: { name: 'ledger-events-poison', approximateMessagesCount: 0 },
      newestHeight: null,
      lag: null,
    };

    expect(formatStatus(empty)).toBe(
      'checkpoint:   none (the relay starts at RELAY_START_HEIGHT)\n' +
        'leader lease: available\n' +
        'queue:        ledger-events: 0 messages (approximate)\n' +
        'poison queue: ledger-events-poison: 0 messages (approximate)\n' +
        'newest block: none (the node has no blocks)\n' +
        'lag:          unknown\n',
    );
  });

  it('names the last holder of a released lease and a lag of one block in the singular', () => {
    const released: RelayStatus = { ...STATUS, lease: { state: 'available', instanceId: 'relay-b' }, lag: 1 };

    expect(formatStatus(released)).toMatch(/^leader lease: available \(last held by relay-b\)\n/m);
    expect(formatStatus(released)).toMatch(/^lag: {10}1 block\n$/m);
  });
});

describe('progress lines', () => {
  it('a replay in progress names blocks, the last height and messages', () => {
    expect(formatReplayProgress({ blocks: 200, messages: 412, lastHeight: 209, done: false })).toBe(
      'replay: 200 blocks (through block 209), 412 messages\n',
    );
  });

  it('a replay that found no block says so in the singular and plural forms it needs', () => {
    expect(formatReplayProgress({ blocks: 0, messages: 0, lastHeight: null, done: true })).toBe(
      'replay done: 0 blocks, 0 messages\n',
    );
    expect(formatReplayProgress({ blocks: 1, messages: 1, lastHeight: 3, done: true })).toBe(
      'replay done: 1 block (through block 3), 1 message\n',
    );
  });

  it.each([
    [{ from: 2, to: undefined }, 9, ''],
    [{ from: 2, to: 9 }, 9, ''],
    [{ from: 2, to: 20 }, 9, 'replay stopped before --to 20: the node has no block 10 yet\n'],
    [{ from: 30, to: 40 }, null, 'replay stopped before --to 40: the node has no block 30 yet\n'],
  ])('a replay of %j that reached %p reports %j', (command, lastHeight, expected) => {
    expect(formatReplayShortfall(command, lastHeight)).toBe(expected);
  });

  it('a redrive counts moved messages', () => {
    expect(formatRedriveProgress({ moved: 32 })).toBe('redrive: 32 messages moved back to the queue\n');
    expect(formatRedriveProgress({ moved: 1 }, true)).toBe('redrive done: 1 message moved back to the queue\n');
  });
});
