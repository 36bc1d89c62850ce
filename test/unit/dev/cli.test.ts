import { parseDevNodeArguments } from '../../../dev/bigchaindb/cli';
import { thrown } from '../../helpers/thrown';

const DEFAULTS = {
  host: undefined,
  port: undefined,
  wsPort: undefined,
  dataDir: '.devnode',
  advertisedHost: undefined,
  blockIntervalMs: undefined,
};

describe('parseDevNodeArguments', () => {
  describe('defaults', () => {
    it('leaves every option to the node except the chain folder, which is .devnode', () => {
      expect(parseDevNodeArguments([])).toStrictEqual(DEFAULTS);
    });
  });

  describe('each flag', () => {
    it.each([
      [['--host', '0.0.0.0'], { host: '0.0.0.0' }],
      [['--host=::1'], { host: '::1' }],
      [['--port', '8080'], { port: 8080 }],
      [['--port=0'], { port: 0 }],
      [['--port', '65535'], { port: 65535 }],
      [['--port', '007'], { port: 7 }],
      [['--ws-port', '9999'], { wsPort: 9999 }],
      [['--ws-port', '0'], { wsPort: 0 }],
      [['--data', '/var/lib/devnode'], { dataDir: '/var/lib/devnode' }],
      [['--data=chain dir'], { dataDir: 'chain dir' }],
      [['--memory'], { dataDir: undefined }],
      [['--advertised-host', 'bigchaindb'], { advertisedHost: 'bigchaindb' }],
      [['--block-interval-ms', '1000'], { blockIntervalMs: 1000 }],
      [['--block-interval-ms', '60000'], { blockIntervalMs: 60_000 }],
      [['--port', '1', '--port', '2'], { port: 2 }],
    ])('%j sets only %j', (args, expected) => {
      expect(parseDevNodeArguments(args)).toStrictEqual({ ...DEFAULTS, ...expected });
    });

    it('takes every flag together', () => {
      const args = [
        '--host',
        '0.0.0.0',
        '--port',
        '19984',
        '--ws-port',
        '19985',
        '--data',
        'chain',
        '--advertised-host',
        'localhost',
        '--block-interval-ms',
        '250',
      ];

      expect(parseDevNodeArguments(args)).toStrictEqual({
        host: '0.0.0.0',
        port: 19984,
        wsPort: 19985,
        dataDir: 'chain',
        advertisedHost: 'localhost',
        blockIntervalMs: 250,
      });
    });
  });

  describe('--memory with --data', () => {
    it.each([[['--memory', '--data', 'chain']], [['--data', 'chain', '--memory']]])('%j is refused', (args) => {
      expect(thrown(() => parseDevNodeArguments(args))).toStrictEqual(
        new Error('--memory and --data cannot be used together'),
      );
    });
  });

  describe('bad numbers', () => {
    it.each([
      ['--port', 'abc', 65535],
      ['--port', '', 65535],
      ['--port', '-1', 65535],
      ['--port', '65536', 65535],
      ['--port', '1.5', 65535],
      ['--port', '0x10', 65535],
      ['--port', ' 80', 65535],
      ['--port', '1e3', 65535],
      ['--port', '99999999999999999999', 65535],
      ['--ws-port', 'ninety', 65535],
      ['--ws-port', '70000', 65535],
      ['--block-interval-ms', '60001', 60_000],
      ['--block-interval-ms', '1s', 60_000],
    ])('%s=%j is refused with a message naming the flag, the range and the text', (flag, raw, max) => {
      expect(thrown(() => parseDevNodeArguments([`${flag}=${raw}`]))).toStrictEqual(
        new Error(`${flag} must be a whole number from 0 to ${max}, got "${raw}"`),
      );
    });
  });

  describe('malformed command lines', () => {
    it.each([
      [['--verbose'], 'ERR_PARSE_ARGS_UNKNOWN_OPTION', /^Unknown option '--verbose'/],
      [['-p', '80'], 'ERR_PARSE_ARGS_UNKNOWN_OPTION', /^Unknown option '-p'/],
      [['chain'], 'ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL', /^Unexpected argument 'chain'/],
      [['--port'], 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE', /^Option '--port <value>' argument missing$/],
      [['--port', '-1'], 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE', /^Option '--port' argument is ambiguous\./],
      [['--memory=yes'], 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE', /^Option '--memory' does not take an argument$/],
    ])('%j is refused with %s', (args, code, message) => {
      // Node's own TypeError comes from outside jest's sandbox, so `toBeInstanceOf(TypeError)` cannot match it.
      expect(thrown(() => parseDevNodeArguments(args))).toMatchObject({
        name: 'TypeError',
        code,
        message: expect.stringMatching(message) as unknown,
      });
    });
  });

  describe('--help', () => {
    it.each([
      [['--help']],
      [['-h']],
      [['--port', '80', '--help']],
      [['--memory', '--data', 'chain', '--help']],
      [['--port=abc', '-h']],
    ])('%j asks for the usage text, even beside flags that would be refused', (args) => {
      expect(parseDevNodeArguments(args)).toBe('help');
    });
  });
});
