import { parseHostArguments } from '../../../dev/functions-host/cli';
import { thrown } from '../../helpers/thrown';

const DEFAULTS = {
  appRoot: '.',
  host: undefined,
  port: undefined,
  environment: 'Development',
  verbose: false,
};

describe('parseHostArguments', () => {
  describe('defaults', () => {
    it('runs the app in the current folder in Development, leaving host and port to the host', () => {
      expect(parseHostArguments([])).toStrictEqual(DEFAULTS);
    });
  });

  describe('each flag', () => {
    it.each([
      [['--app', 'test/fixtures/functions-app'], { appRoot: 'test/fixtures/functions-app' }],
      [['--app=dist'], { appRoot: 'dist' }],
      [['--host', '0.0.0.0'], { host: '0.0.0.0' }],
      [['--port', '7072'], { port: 7072 }],
      [['--port=0'], { port: 0 }],
      [['--port', '65535'], { port: 65535 }],
      [['--port', '007'], { port: 7 }],
      [['--production'], { environment: 'Production' }],
      [['--verbose'], { verbose: true }],
    ])('%j sets only %j', (args, expected) => {
      expect(parseHostArguments(args)).toStrictEqual({ ...DEFAULTS, ...expected });
    });

    it('takes every flag together', () => {
      const args = ['--app', 'functions', '--host', '::1', '--port', '8080', '--production', '--verbose'];

      expect(parseHostArguments(args)).toStrictEqual({
        appRoot: 'functions',
        host: '::1',
        port: 8080,
        environment: 'Production',
        verbose: true,
      });
    });
  });

  describe('bad port text', () => {
    it.each(['x', '', '1.5', '7071a', '0x10', '65536', '-1', ' 80', '1e3'])(
      'refuses --port=%j with the allowed range',
      (port) => {
        const error = thrown(() => parseHostArguments([`--port=${port}`]));

        expect(error).toBeInstanceOf(Error);
        expect((error as Error).message).toBe(`--port must be a whole number from 0 to 65535, got "${port}"`);
      },
    );

    it('refuses --port with no value, with the parseArgs code', () => {
      expect(thrown(() => parseHostArguments(['--port']))).toMatchObject({
        code: 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE',
        message: "Option '--port <value>' argument missing",
      });
    });
  });

  describe('unknown arguments', () => {
    it('refuses an unknown flag with the parseArgs code', () => {
      expect(thrown(() => parseHostArguments(['--bogus']))).toMatchObject({
        code: 'ERR_PARSE_ARGS_UNKNOWN_OPTION',
        message: "Unknown option '--bogus'",
      });
    });

    it('refuses a positional argument with the parseArgs code', () => {
      expect(thrown(() => parseHostArguments(['functions']))).toMatchObject({
        code: 'ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL',
        message: "Unexpected argument 'functions'. This command does not take positional arguments",
      });
    });

    it('refuses a value for a boolean flag', () => {
      expect(thrown(() => parseHostArguments(['--production=yes']))).toMatchObject({
        code: 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE',
        message: "Option '--production' does not take an argument",
      });
    });
  });

  describe('help', () => {
    it.each([[['--help']], [['-h']], [['--port', '1', '--help']], [['--help', '--port', 'x']]])(
      'answers help for %j',
      (args) => {
        expect(parseHostArguments(args)).toBe('help');
      },
    );

    it('still refuses an unknown flag next to --help', () => {
      expect(thrown(() => parseHostArguments(['--help', '--bogus']))).toMatchObject({
        code: 'ERR_PARSE_ARGS_UNKNOWN_OPTION',
      });
    });
  });
});
