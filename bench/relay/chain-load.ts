import { Agent, request } from 'node:http';

import { Transaction } from 'bigchaindb-driver';

import { generateKeyPair, signTransaction } from '../../shared/transaction/signing';

// Transactions for the relay to carry: signed CREATEs, committed to the dev node over HTTP with 64
// requests in flight (the dev node's own benchmark setting).

const IN_FLIGHT = 64;

/** `count` signed CREATE transactions as request bodies, each a car with a VIN numbered from `first`. */
export function signCreates(first: number, count: number): string[] {
  const company = generateKeyPair();
  return Array.from({ length: count }, (_, i) => {
    const n = first + i;
    const output = Transaction.makeOutput(Transaction.makeEd25519Condition(company.publicKey));
    const asset = { vin: `WVWZZZ1KZAW${String(n).padStart(7, '0')}`, make: 'Volkswagen' };
    return JSON.stringify(
      signTransaction(Transaction.makeCreateTransaction(asset, { n }, [output], company.publicKey), [company]),
    );
  });
}

function post(agent: Agent, url: URL, body: string): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: 'POST', agent, headers: { 'content-type': 'application/json' } }, (res) => {
      let text = '';
      res.setEncoding('utf8').on('data', (chunk: string) => (text += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

/**
 * Posts one transaction in `commit` mode. A kept-alive connection the server closes just as a request goes out fails
 * with ECONNRESET; the request is then sent again, and "already exists" means the first one got through.
 */
async function commit(agent: Agent, url: URL, body: string): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      const { status, text } = await post(agent, url, body);
      if (status === 202 || (attempt > 1 && status === 400 && text.includes('already exists'))) return;
      throw new Error(`the dev node answered ${status}: ${text}`);
    } catch (error: unknown) {
      const code = (error as NodeJS.ErrnoException).code;
      if (attempt === 3 || (code !== 'ECONNRESET' && code !== 'EPIPE')) throw error;
    }
  }
}

/** Posts every body in `commit` mode; resolves once all are in blocks. */
export async function commitAll(apiUrl: string, bodies: readonly string[]): Promise<void> {
  const agent = new Agent({ keepAlive: true, maxSockets: IN_FLIGHT });
  const url = new URL(`${apiUrl}transactions?mode=commit`);
  let next = 0;
  try {
    await Promise.all(
      Array.from({ length: IN_FLIGHT }, async () => {
        while (next < bodies.length) await commit(agent, url, bodies[next++] as string);
      }),
    );
  } finally {
    agent.destroy();
  }
}

/** Signs and commits `count` transactions in chunks, so that a chain of 100,000 never sits in memory as request bodies. */
export async function preloadChain(apiUrl: string, first: number, count: number): Promise<void> {
  const chunk = 5_000;
  for (let done = 0; done < count; done += chunk)
    await commitAll(apiUrl, signCreates(first + done, Math.min(chunk, count - done)));
}
