/** What a test asserts of an HTTP response: status line, content type and the exact body text. */
export interface RawResponse {
  readonly status: number;
  readonly statusText: string;
  readonly contentType: string | null;
  readonly text: string;
}

/** Reads a fetch response into a {@link RawResponse}. */
export async function raw(response: Response): Promise<RawResponse> {
  return {
    status: response.status,
    statusText: response.statusText,
    contentType: response.headers.get('content-type'),
    text: await response.text(),
  };
}
