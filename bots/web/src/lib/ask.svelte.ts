// One conversation with the agent over WS /ws/query: each question becomes a turn that fills in
// as the events stream (steps, SQL token by token, the result, the insight), or ends in an error
// said in words a user understands.

import { ApiError, getJson, socketUrl } from './api.svelte';
import type { QueryEvent, QueryResult, Step } from './types';

// A Record, so that a step added to the protocol (Step) does not type-check until it has a label.
const STEP_LABELS: Record<Step, string> = {
  retrieve_schema: 'Reading the schema',
  generate_sql: 'Writing SQL',
  validate_sql: 'Checking it is safe',
  execute_query: 'Running the query',
  generate_insight: 'Explaining the result',
};

export const STEPS: { step: Step; label: string }[] = (Object.keys(STEP_LABELS) as Step[]).map((step) => ({
  step,
  label: STEP_LABELS[step],
}));

export type StepState = 'pending' | 'active' | 'done' | 'failed';
export type TurnStatus = 'running' | 'answered' | 'error' | 'cancelled';
export type ErrorKind = 'refused' | 'failed' | 'unanswerable' | 'unreachable' | 'dropped' | 'auth';

export interface Turn {
  id: number;
  question: string;
  status: TurnStatus;
  progress: number;
  steps: Record<Step, StepState>;
  sql: string;
  insight: string;
  result: QueryResult | null;
  error: string | null;
  errorKind: ErrorKind | null;
  suggestions: string[];
  startedAt: number;
  elapsedMs: number | null;
}

const ERROR_TITLES: Record<ErrorKind, string> = {
  refused: 'The query was refused for safety',
  failed: 'The question could not be answered',
  unanswerable: 'loglens cannot answer that from the logs',
  unreachable: 'Cannot reach the loglens server',
  dropped: 'The connection dropped before the answer was complete',
  auth: 'This loglens server needs an access token',
};

export function errorTitle(kind: ErrorKind | null): string {
  return kind ? ERROR_TITLES[kind] : 'Something went wrong';
}

function freshSteps(): Record<Step, StepState> {
  return Object.fromEntries(STEPS.map(({ step }) => [step, 'pending'])) as Record<Step, StepState>;
}

export type SocketFactory = (url: string) => WebSocket;

export class Conversation {
  turns: Turn[] = $state([]);
  private socket: WebSocket | null = null;
  private opened: Promise<WebSocket> | null = null;
  private active: Turn | null = $state(null);
  private nextId = 1;

  constructor(
    private readonly maxResults = 200,
    private readonly connect: SocketFactory = (url) => new WebSocket(url),
  ) {}

  get running(): boolean {
    return this.active !== null;
  }

  ask(question: string): void {
    const text = question.trim();
    if (!text) return;
    if (this.active) this.finish(this.active, 'cancelled');
    const context = this.turns
      .filter((turn) => turn.status === 'answered')
      .slice(-5)
      .map((turn) => turn.question);
    this.turns.push({
      id: this.nextId++,
      question: text,
      status: 'running',
      progress: 0,
      steps: freshSteps(),
      sql: '',
      insight: '',
      result: null,
      error: null,
      errorKind: null,
      suggestions: [],
      startedAt: performance.now(),
      elapsedMs: null,
    });
    const turn = this.turns[this.turns.length - 1]!; // the reactive proxy, not the object pushed
    this.active = turn;
    this.open()
      .then((socket) => {
        if (this.active !== turn) return;
        socket.send(JSON.stringify({ question: text, max_results: this.maxResults, context, source: 'web' }));
      })
      .catch(() => void this.unreachable(turn));
  }

  retry(turn: Turn): void {
    this.ask(turn.question);
  }

  cancel(): void {
    if (!this.active) return;
    this.socket?.send(JSON.stringify({ type: 'cancel' }));
    this.finish(this.active, 'cancelled');
  }

  clear(): void {
    this.cancel();
    this.turns = [];
  }

  close(): void {
    this.cancel();
    this.socket?.close();
    this.socket = null;
    this.opened = null;
  }

  private open(): Promise<WebSocket> {
    if (this.socket && this.socket.readyState === WebSocket.OPEN) return Promise.resolve(this.socket);
    if (this.opened) return this.opened;
    this.opened = new Promise<WebSocket>((resolve, reject) => {
      const socket = this.connect(socketUrl('/ws/query'));
      let isOpen = false;
      socket.onopen = () => {
        isOpen = true;
        this.socket = socket;
        resolve(socket);
      };
      socket.onmessage = (message: MessageEvent<string>) => {
        try {
          this.handle(JSON.parse(message.data) as QueryEvent);
        } catch {
          // not an event of the protocol: ignored
        }
      };
      socket.onclose = () => {
        this.opened = null;
        if (this.socket === socket) this.socket = null;
        if (!isOpen) reject(new Error('closed before it opened'));
        else if (this.active) this.fail(this.active, 'dropped', 'The server closed the connection. Ask again to retry.');
      };
    });
    return this.opened;
  }

  private async unreachable(turn: Turn): Promise<void> {
    // A refused WebSocket says nothing about why: ask the HTTP API, which does.
    try {
      await getJson('/history', { limit: 1 });
      this.fail(turn, 'unreachable', 'The server is up but refused the live connection. Try again in a moment.');
    } catch (error) {
      if (error instanceof ApiError && error.status === 401) {
        this.fail(turn, 'auth', 'Enter the server’s access token (LOGLENS_API_TOKEN), then retry.');
      } else {
        this.fail(turn, 'unreachable', 'Check that loglens is running (make up) and that this page points at it.');
      }
    }
  }

  private handle(event: QueryEvent): void {
    const turn = this.active;
    if (!turn) return;
    switch (event.type) {
      case 'node_start':
        if (event.node === 'generate_sql') {
          turn.sql = ''; // a new attempt writes its SQL again
          for (const step of ['validate_sql', 'execute_query'] as const) turn.steps[step] = 'pending';
        }
        if (event.node === 'generate_insight') turn.insight = '';
        turn.steps[event.node] = 'active';
        turn.progress = Math.max(turn.progress, event.progress);
        break;
      case 'node_end':
        turn.steps[event.node] = event.ok === false ? 'failed' : 'done';
        turn.progress = Math.max(turn.progress, event.progress);
        break;
      case 'token':
        if (event.field === 'sql') {
          turn.sql += event.content;
          if (turn.steps.generate_sql === 'pending') turn.steps.generate_sql = 'active';
        } else turn.insight += event.content;
        break;
      case 'result': {
        const { type: _type, ...result } = event;
        turn.result = result;
        turn.sql = result.sql;
        turn.insight = result.insight;
        turn.progress = 100;
        for (const { step } of STEPS) turn.steps[step] = 'done';
        break;
      }
      case 'error':
        this.fail(turn, errorKindOf(event.outcome), event.message, event.suggestions ?? []);
        break;
      case 'done':
        if (turn.status === 'running') this.finish(turn, turn.result ? 'answered' : 'error');
        break;
    }
  }

  private fail(turn: Turn, kind: ErrorKind, message: string, suggestions: string[] = []): void {
    turn.error = message;
    turn.errorKind = kind;
    turn.suggestions = suggestions;
    for (const { step } of STEPS) if (turn.steps[step] === 'active') turn.steps[step] = 'failed';
    this.finish(turn, 'error');
  }

  private finish(turn: Turn, status: TurnStatus): void {
    if (turn.status === 'running') {
      turn.status = status;
      turn.elapsedMs = performance.now() - turn.startedAt;
    }
    if (this.active === turn) this.active = null;
  }
}

function errorKindOf(outcome: string | undefined): ErrorKind {
  switch (outcome) {
    case 'refused':
    case 'unanswerable':
    case 'failed':
      return outcome;
    default:
      return 'failed';
  }
}
