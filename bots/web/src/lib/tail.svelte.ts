// The live tail over WS /ws/tail. Rows can arrive by the hundred per second: they are buffered
// and handed to the page once per animation frame (one DOM update a frame, whatever the rate),
// and the list keeps only the newest MAX_ROWS.

import { socketUrl } from './api.svelte';
import type { LogRecord, TailMessage } from './types';

export const MAX_ROWS = 500;
export type TailState = 'off' | 'connecting' | 'live' | 'paused' | 'error';

export class TailFeed {
  rows: LogRecord[] = $state.raw([]); // newest first
  state: TailState = $state('off');
  rate = $state(0); // rows per second, over the last few seconds
  received = $state(0);
  skipped = $state(0);
  error: string | null = $state(null);

  private socket: WebSocket | null = null;
  private buffer: LogRecord[] = [];
  private frame = 0;
  private arrivals: [number, number][] = []; // (time, rows)
  private filters: Record<string, string | string[]> = {};
  private retry = 0;

  constructor(
    private readonly schedule: (flush: () => void) => number = (flush) => requestAnimationFrame(flush),
    private readonly connect: (url: string) => WebSocket = (url) => new WebSocket(url),
  ) {}

  start(filters: Record<string, string | string[]>): void {
    this.stop();
    this.filters = filters;
    this.rows = [];
    this.received = 0;
    this.skipped = 0;
    this.error = null;
    this.state = 'connecting';
    const socket = this.connect(socketUrl('/ws/tail'));
    this.socket = socket;
    socket.onopen = () => socket.send(JSON.stringify({ type: 'start', filters }));
    socket.onmessage = (message: MessageEvent<string>) => this.handle(JSON.parse(message.data) as TailMessage);
    socket.onclose = () => {
      if (this.socket !== socket) return;
      this.socket = null;
      if (this.state === 'off') return;
      this.state = 'error';
      this.error = 'The live connection dropped; reconnecting…';
      clearTimeout(this.retry);
      this.retry = window.setTimeout(() => {
        if (this.state === 'error') this.start(this.filters);
      }, 2000);
    };
  }

  pause(): void {
    if (this.state !== 'live') return;
    this.socket?.send(JSON.stringify({ type: 'pause' }));
    this.state = 'paused';
  }

  resume(): void {
    if (this.state !== 'paused') return;
    this.socket?.send(JSON.stringify({ type: 'resume' }));
    this.state = 'live';
  }

  stop(): void {
    this.state = 'off';
    clearTimeout(this.retry);
    const socket = this.socket;
    this.socket = null;
    socket?.close();
    this.buffer = [];
    this.rate = 0;
  }

  private handle(message: TailMessage): void {
    if (message.type === 'status') {
      if (this.state !== 'off') this.state = message.state;
    } else if (message.type === 'error') {
      this.error = message.message;
    } else {
      this.error = null;
      if (this.state === 'connecting') this.state = 'live';
      this.buffer.push(...message.items);
      this.skipped += message.skipped;
      if (!message.backfill) this.arrivals.push([performance.now(), message.items.length]);
      if (!this.frame) this.frame = this.schedule(() => this.flush());
    }
  }

  /** Move buffered rows into the list: one reactive update, however many rows came. */
  flush(): void {
    this.frame = 0;
    if (this.buffer.length === 0) return;
    const incoming = this.buffer.slice(-MAX_ROWS).reverse();
    this.received += this.buffer.length;
    this.buffer = [];
    this.rows = incoming.length >= MAX_ROWS ? incoming : incoming.concat(this.rows.slice(0, MAX_ROWS - incoming.length));
    const now = performance.now();
    this.arrivals = this.arrivals.filter(([at]) => now - at < 5000);
    const span = Math.max(1000, now - (this.arrivals[0]?.[0] ?? now));
    this.rate = Math.round((this.arrivals.reduce((sum, [, n]) => sum + n, 0) * 1000) / span);
  }
}
