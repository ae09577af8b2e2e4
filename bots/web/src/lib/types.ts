// The shapes the agent's server sends (agent/engine.py, agent/explore.py, agent/history.py).

export type Level = 'TRACE' | 'DEBUG' | 'INFO' | 'WARN' | 'ERROR' | 'FATAL';
export const LEVELS: readonly Level[] = ['TRACE', 'DEBUG', 'INFO', 'WARN', 'ERROR', 'FATAL'];

export type Cell = string | number | boolean | null | Cell[] | { [key: string]: Cell };
export type Row = Record<string, Cell>;

export type ChartType = 'line' | 'bar' | 'stat' | 'table';
export interface ChartSpec {
  type: ChartType;
  x?: string | null;
  y?: string[] | null;
}

export interface QueryResult {
  sql: string;
  reading: string; // what the SQL computes, in one line in the question's language
  columns: string[];
  results: Row[];
  count: number;
  truncated: boolean;
  execution_time_ms: number;
  total_time_ms: number;
  insight: string;
  chart: ChartType;
  chart_spec: ChartSpec;
  engine: string;
  attempts: number;
}

// The events of WS /ws/query: the protocol of agent/events.py, whose JSON Schema
// tests/agent/test_events.py holds these two types to (a field left out is optional, never null).
export type Step = 'retrieve_schema' | 'generate_sql' | 'validate_sql' | 'execute_query' | 'generate_insight';

export type QueryEvent =
  | { type: 'node_start'; node: Step; progress: number; attempt?: number }
  | {
      type: 'node_end';
      node: Step;
      progress: number;
      ok?: boolean;
      error?: string;
      row_count?: number;
      execution_time_ms?: number;
    }
  | { type: 'token'; field: 'sql' | 'insight'; content: string }
  | ({ type: 'result' } & QueryResult)
  | { type: 'error'; message: string; outcome?: string; suggestions?: string[] }
  | { type: 'done' };

export interface LogRecord {
  id: number;
  created_at: string;
  level: Level;
  log_type: string | null;
  service: string | null;
  environment: string | null;
  service_version: string | null;
  trace_id: string | null;
  span_id: string | null;
  user_id: string | null;
  session_id: string | null;
  error_type: string | null;
  message: string;
  message_length: number;
  stack_trace: string | null;
  path: string | null;
  method: string | null;
  action_type: string | null;
  function_name: string | null;
  file_path: string | null;
  duration_ms: number | null;
  metadata: Record<string, Cell> | null;
}

export interface LogPage {
  items: LogRecord[];
  next_cursor: string | null;
}

export interface Volume {
  from: string;
  to: string;
  bucket_seconds: number;
  buckets: string[];
  levels: Partial<Record<Level, number[]>>;
  total: number;
}

export interface FacetValue {
  value: string;
  count: number;
}

export interface Facets {
  level: FacetValue[];
  service: FacetValue[];
  environment: FacetValue[];
  total: number;
}

export interface HistoryItem {
  id: number;
  asked_at: string;
  question: string;
  source: string;
  engine: string;
  outcome: 'answered' | 'refused' | 'failed' | 'unanswerable' | (string & {}); // and any the server adds
  sql: string | null;
  row_count: number | null;
  execution_time_ms: number | null;
  total_time_ms: number | null;
  attempts: number | null;
  insight: string | null;
  error: string | null;
}

export type TailMessage =
  | { type: 'logs'; items: LogRecord[]; skipped: number; backfill?: boolean }
  | { type: 'status'; state: 'live' | 'paused' }
  | { type: 'error'; message: string };
