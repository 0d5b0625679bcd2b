import { request, type IncomingMessage } from 'node:http';

/** One message of a text/event-stream, as a browser's EventSource would parse it (plus comments). */
export interface StreamMessage {
  readonly event?: string;
  readonly data?: string;
  readonly retry?: number;
  readonly comment?: string;
}

/** A test's reader of `/api/v1/events`: every message so far, and a way to await the next ones. */
export interface EventStreamClient {
  readonly response: IncomingMessage;
  readonly messages: StreamMessage[];
  /** The first message from index `from` on (default: the next one) matching `predicate`. */
  next(predicate: (message: StreamMessage) => boolean, from?: number): Promise<StreamMessage>;
  /** Parsed `data` of the next event named `name`. */
  nextEvent<T>(name: string, from?: number): Promise<T>;
  /** Drops the connection (a browser tab closing). */
  close(): void;
}

/** Opens the event stream at `url`; resolves with the response, whatever its status. */
export function openEventStream(url: string): Promise<EventStreamClient> {
  return new Promise((resolve, reject) => {
    const req = request(url, { headers: { accept: 'text/event-stream' } }, (response) => {
      resolve(readStream(response, () => req.destroy()));
    });
    req.once('error', reject);
    req.end();
  });
}

function readStream(response: IncomingMessage, destroy: () => void): EventStreamClient {
  const messages: StreamMessage[] = [];
  const waiters = new Set<() => void>();
  let buffer = '';
  response.setEncoding('utf8');
  response.on('data', (chunk: string) => {
    buffer += chunk;
    let end: number;
    while ((end = buffer.indexOf('\n\n')) !== -1) {
      messages.push(parseMessage(buffer.slice(0, end)));
      buffer = buffer.slice(end + 2);
    }
    for (const wake of waiters) wake();
  });
  let closed = false;
  response.on('error', () => undefined);
  response.once('close', () => {
    closed = true;
    for (const wake of waiters) wake();
  });
  const next = (predicate: (message: StreamMessage) => boolean, from = messages.length) =>
    new Promise<StreamMessage>((resolve, reject) => {
      const check = () => {
        const found = messages.slice(from).find(predicate);
        if (found === undefined && !closed) return;
        waiters.delete(check);
        if (found === undefined) reject(new Error('the stream closed first'));
        else resolve(found);
      };
      waiters.add(check);
      check();
    });
  return {
    response,
    messages,
    next,
    nextEvent: async <T>(name: string, from?: number) =>
      JSON.parse((await next((message) => message.event === name, from)).data ?? 'null') as T,
    close: destroy,
  };
}

function parseMessage(block: string): StreamMessage {
  const message: { event?: string; data?: string; retry?: number; comment?: string } = {};
  for (const line of block.split('\n')) {
    if (line.startsWith(':')) message.comment = line.slice(1).trim();
    else if (line.startsWith('event: ')) message.event = line.slice(7);
    else if (line.startsWith('data: ')) message.data = line.slice(6);
    else if (line.startsWith('retry: ')) message.retry = Number(line.slice(7));
  }
  return message;
}
