import { describe, expect, it } from 'vitest';
import { FakeSocket } from '../test-socket';
import { Conversation } from './ask.svelte';

function conversation(): { talk: Conversation; sockets: FakeSocket[] } {
  const sockets: FakeSocket[] = [];
  const talk = new Conversation(100, (url) => {
    const socket = new FakeSocket(url);
    sockets.push(socket);
    return socket as unknown as WebSocket;
  });
  return { talk, sockets };
}

const flush = (): Promise<void> => new Promise((resolve) => setTimeout(resolve, 0));

describe('Conversation', () => {
  it('fills a turn in as events stream, and sends earlier questions as context', async () => {
    const { talk, sockets } = conversation();
    talk.ask('How many errors happened in the last hour?');
    const socket = sockets[0]!;
    expect(socket.url).toMatch(/\/ws\/query$/);
    socket.open();
    await flush();
    expect(JSON.parse(socket.sent[0]!)).toMatchObject({ question: 'How many errors happened in the last hour?', context: [] });
    socket.receive({ type: 'node_start', node: 'retrieve_schema', progress: 5 });
    socket.receive({ type: 'node_end', node: 'retrieve_schema', progress: 15 });
    socket.receive({ type: 'node_start', node: 'generate_sql', progress: 20 });
    socket.receive({ type: 'token', field: 'sql', content: 'SELECT ' });
    socket.receive({ type: 'token', field: 'sql', content: 'count(*)' });
    const turn = talk.turns[0]!;
    expect(turn.sql).toBe('SELECT count(*)');
    expect(turn.steps.generate_sql).toBe('active');
    expect(turn.progress).toBe(20);
    socket.receive({
      type: 'result',
      sql: 'SELECT count(*) FROM logs',
      reading: 'Number of logs, all time',
      columns: ['n'],
      results: [{ n: 3 }],
      count: 1,
      truncated: false,
      execution_time_ms: 1,
      total_time_ms: 5,
      insight: '3 errors.',
      chart: 'stat',
      chart_spec: { type: 'stat', y: ['n'] },
      engine: 'offline',
      attempts: 1,
    });
    socket.receive({ type: 'done' });
    expect(turn.status).toBe('answered');
    expect(turn.progress).toBe(100);
    expect(turn.result?.results).toEqual([{ n: 3 }]);
    expect(turn.result?.reading).toBe('Number of logs, all time');

    talk.ask('and by service?');
    await flush();
    expect(sockets).toHaveLength(1); // the same socket carries the conversation
    expect((JSON.parse(socket.sent[1]!) as { context: unknown }).context).toEqual(['How many errors happened in the last hour?']);
  });

  it('cancels with Esc’s message, and a dropped socket is an error in words', async () => {
    const { talk, sockets } = conversation();
    talk.ask('slow question');
    sockets[0]!.open();
    await flush();
    talk.cancel();
    expect(JSON.parse(sockets[0]!.sent[1]!)).toEqual({ type: 'cancel' });
    expect(talk.turns[0]!.status).toBe('cancelled');

    talk.ask('another');
    await flush();
    sockets[0]!.close();
    expect(talk.turns[1]!.status).toBe('error');
    expect(talk.turns[1]!.errorKind).toBe('dropped');
  });

  it('reports a refused query with the server’s reason', async () => {
    const { talk, sockets } = conversation();
    talk.ask('delete everything');
    sockets[0]!.open();
    await flush();
    sockets[0]!.receive({ type: 'error', message: 'only SELECT statements are allowed', outcome: 'refused' });
    sockets[0]!.receive({ type: 'done' });
    expect(talk.turns[0]).toMatchObject({ status: 'error', errorKind: 'refused', error: 'only SELECT statements are allowed' });
  });
});
