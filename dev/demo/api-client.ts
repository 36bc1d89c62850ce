/** A reply of the app's HTTP API. */
export interface ApiReply {
  readonly status: number;
  readonly body: unknown;
}

/** The app's HTTP API failed a call the demo needed; names the call and the app's error. */
export class ApiCallError extends Error {
  override readonly name = 'ApiCallError';
  constructor(
    readonly call: string,
    readonly reply: ApiReply | undefined,
    cause?: unknown,
  ) {
    const detail =
      reply === undefined
        ? `no reply (${cause instanceof Error ? cause.message : String(cause)})`
        : `HTTP ${reply.status} ${JSON.stringify(reply.body)}`;
    super(`${call} failed: ${detail}`, cause === undefined ? undefined : { cause });
  }
}

/** A small client of the app's HTTP API (`…/api`), sending the function key on every call. */
export class LeasingApi {
  constructor(
    private readonly apiUrl: string,
    private readonly functionKey: string | undefined,
  ) {}

  /**
   * Calls `method path` and returns the parsed reply when its status is one of `expected`.
   *
   * @throws ApiCallError for any other status or a network failure.
   */
  async call(method: string, path: string, body: unknown, expected: readonly number[]): Promise<unknown> {
    const label = `${method} /api/${path}`;
    let reply: ApiReply;
    try {
      const response = await fetch(`${this.apiUrl.replace(/\/+$/, '')}/${path}`, {
        method,
        headers: {
          ...(this.functionKey === undefined ? {} : { 'x-functions-key': this.functionKey }),
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
      const text = await response.text();
      reply = { status: response.status, body: text === '' ? undefined : (JSON.parse(text) as unknown) };
    } catch (error: unknown) {
      throw new ApiCallError(label, undefined, error);
    }
    if (!expected.includes(reply.status)) throw new ApiCallError(label, reply);
    return reply.body;
  }
}
