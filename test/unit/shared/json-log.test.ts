import { jsonLinesLog } from '../../../shared/json-log';

describe('jsonLinesLog', () => {
  test('writes one JSON line per entry with a timestamp, and drops entries below the minimum level', () => {
    const lines: string[] = [];
    const log = jsonLinesLog((line) => lines.push(line), 'info');

    log({ level: 'debug', msg: 'hidden' });
    log({ level: 'warn', msg: 'shown', height: 7 });

    expect(lines).toHaveLength(1);
    expect(JSON.parse(lines[0] as string)).toEqual({
      time: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
      level: 'warn',
      msg: 'shown',
      height: 7,
    });
    expect(lines[0]).toMatch(/\n$/);
  });

  test('never writes connection strings, keys or secrets, at any depth', () => {
    const lines: string[] = [];
    jsonLinesLog((line) => lines.push(line))({
      level: 'info',
      msg: 'settings',
      connectionString: 'AccountKey=abc',
      nested: { privateKey: 'k', webhookSecret: 's', list: [{ authorization: 'Bearer x' }] },
    });

    expect(JSON.parse(lines[0] as string)).toMatchObject({
      connectionString: '[redacted]',
      nested: { privateKey: '[redacted]', webhookSecret: '[redacted]', list: [{ authorization: '[redacted]' }] },
    });
  });

  test('writes errors as name, message and code', () => {
    const lines: string[] = [];
    const error = Object.assign(new Error('lost'), { code: 'RELAY_LEASE_LOST' });
    jsonLinesLog((line) => lines.push(line))({ level: 'error', msg: 'failed', error });

    expect((JSON.parse(lines[0] as string) as { error: unknown }).error).toEqual({
      name: 'Error',
      message: 'lost',
      code: 'RELAY_LEASE_LOST',
    });
  });
});
