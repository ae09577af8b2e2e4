import { describe, expect, it } from 'vitest';
import { MAX_ROWS, TailFeed } from './tail.svelte';
import type { LogRecord } from './types';
import { FakeSocket } from '../test-socket';

function log(id: number): LogRecord {
  return { id, created_at: new Date(1_700_000_000_000 + id).toISOString(), level: 'INFO', message: `m${id}` } as LogRecord;
}

describe('TailFeed', () => {
  it('batches rows into one update per frame, newest first, capped', () => {
    const frames: (() => void)[] = [];
    const sockets: FakeSocket[] = [];
    const feed = new TailFeed(
      (flush) => frames.push(flush),
      (url) => {
        const socket = new FakeSocket(url);
        sockets.push(socket);
        return socket as unknown as WebSocket;
      },
    );
    feed.start({ level: ['ERROR'] });
    const socket = sockets[0]!;
    socket.open();
    expect(JSON.parse(socket.sent[0]!)).toEqual({ type: 'start', filters: { level: ['ERROR'] } });
    socket.receive({ type: 'logs', items: [log(1), log(2)], skipped: 0, backfill: true });
    socket.receive({ type: 'logs', items: [log(3)], skipped: 0 });
    expect(frames).toHaveLength(1); // one frame scheduled for both messages
    expect(feed.rows).toEqual([]);
    frames.shift()!();
    expect(feed.rows.map((row) => row.id)).toEqual([3, 2, 1]);
    expect(feed.state).toBe('live');

    const burst = Array.from({ length: MAX_ROWS + 100 }, (_, i) => log(10 + i));
    socket.receive({ type: 'logs', items: burst, skipped: 2000 });
    frames.shift()!();
    expect(feed.rows).toHaveLength(MAX_ROWS);
    expect(feed.rows[0]!.id).toBe(10 + MAX_ROWS + 99);
    expect(feed.skipped).toBe(2000);
    expect(feed.received).toBe(3 + MAX_ROWS + 100);
  });

  it('pauses and resumes on the server, and stops cleanly', () => {
    const sockets: FakeSocket[] = [];
    const feed = new TailFeed(
      (flush) => (flush(), 0),
      (url) => {
        const socket = new FakeSocket(url);
        sockets.push(socket);
        return socket as unknown as WebSocket;
      },
    );
    feed.start({});
    sockets[0]!.open();
    sockets[0]!.receive({ type: 'status', state: 'live' });
    feed.pause();
    expect(feed.state).toBe('paused');
    feed.resume();
    expect(sockets[0]!.sent.map((text) => (JSON.parse(text) as { type: string }).type)).toEqual(['start', 'pause', 'resume']);
    feed.stop();
    expect(feed.state).toBe('off');
    expect(sockets[0]!.closed).toBe(true);
  });
});
