import { fireEvent, render, screen, within } from '@testing-library/svelte';
import { describe, expect, it, vi } from 'vitest';
import type { Turn } from '../lib/ask.svelte';
import type { LogRecord, QueryResult } from '../lib/types';
import AnswerCard from './AnswerCard.svelte';
import LogRow from './LogRow.svelte';
import ResultTable from './ResultTable.svelte';
import SqlView from './SqlView.svelte';
import StepIndicator from './StepIndicator.svelte';

function turn(change: Partial<Turn>): Turn {
  return {
    id: 1,
    question: '지난 1시간 에러 수',
    status: 'running',
    progress: 20,
    steps: {
      retrieve_schema: 'done',
      generate_sql: 'active',
      validate_sql: 'pending',
      execute_query: 'pending',
      generate_insight: 'pending',
    },
    sql: 'SELECT count(*)',
    insight: '',
    result: null,
    error: null,
    errorKind: null,
    suggestions: [],
    startedAt: 0,
    elapsedMs: null,
    ...change,
  };
}

const RESULT: QueryResult = {
  sql: "SELECT count(*) AS errors FROM logs WHERE level = 'ERROR'",
  reading: 'Number of errors, level ERROR, last hour',
  columns: ['errors'],
  results: [{ errors: 1234 }],
  count: 1,
  truncated: false,
  execution_time_ms: 3.2,
  total_time_ms: 41,
  insight: '1,234 errors in the last hour.',
  chart: 'stat',
  chart_spec: { type: 'stat', x: null, y: ['errors'] },
  engine: 'offline',
  attempts: 1,
};

describe('ResultTable', () => {
  const rows = [
    { service: 'b-api', errors: 2 },
    { service: 'a-api', errors: 10 },
    { service: '결제', errors: null },
  ];

  it('sorts by a column, numbers largest first, then the other way', async () => {
    render(ResultTable, { columns: ['service', 'errors'], rows });
    const cells = (): string[] =>
      within(screen.getByTestId('result-table'))
        .getAllByRole('row')
        .slice(1)
        .map((row) => row.querySelector('td')!.textContent.trim());
    expect(cells()).toEqual(['b-api', 'a-api', '결제']);
    await fireEvent.click(screen.getByRole('button', { name: /errors/ }));
    expect(cells()).toEqual(['a-api', 'b-api', '결제']); // empty last
    await fireEvent.click(screen.getByRole('button', { name: /errors/ }));
    expect(cells()).toEqual(['b-api', 'a-api', '결제']);
    await fireEvent.click(screen.getByRole('button', { name: /service/ }));
    expect(cells()).toEqual(['a-api', 'b-api', '결제']);
    expect(screen.getByTestId('row-count')).toHaveTextContent('3 rows');
  });

  it('copies the rows as tab-separated text', async () => {
    const writeText = vi.fn().mockResolvedValue(undefined);
    Object.assign(navigator, { clipboard: { writeText } });
    render(ResultTable, { columns: ['service', 'errors'], rows });
    await fireEvent.click(screen.getByRole('button', { name: 'Copy' }));
    expect(writeText).toHaveBeenCalledWith('service\terrors\nb-api\t2\na-api\t10\n결제\t');
  });
});

describe('SqlView', () => {
  it('highlights keywords and shows a caret while streaming', () => {
    const { container } = render(SqlView, { sql: 'SELECT 1', streaming: true });
    expect(container.querySelector('.tok-keyword')).toHaveTextContent('SELECT');
    expect(container.querySelector('code')).toHaveClass('caret');
    expect(screen.queryByRole('button', { name: 'Copy' })).toBeNull();
  });
});

describe('StepIndicator', () => {
  it('shows progress and the state of each step', () => {
    render(StepIndicator, { steps: turn({}).steps, progress: 45, running: true });
    expect(screen.getByRole('progressbar')).toHaveAttribute('aria-valuenow', '45');
    expect(screen.getByText('Writing SQL').closest('li')).toHaveAttribute('data-state', 'active');
    expect(screen.getByText('Reading the schema').closest('li')).toHaveAttribute('data-state', 'done');
  });
});

describe('AnswerCard', () => {
  it('streams: steps and partial SQL, no table yet', () => {
    render(AnswerCard, { turn: turn({}), onretry: vi.fn(), onask: vi.fn() });
    expect(screen.getByTestId('steps')).toBeInTheDocument();
    expect(screen.getByTestId('sql')).toHaveTextContent('SELECT count(*)');
    expect(screen.queryByTestId('result-table')).toBeNull();
  });

  it('answers with a big number, the table and the insight', () => {
    render(AnswerCard, {
      turn: turn({ status: 'answered', result: RESULT, sql: RESULT.sql, insight: RESULT.insight, progress: 100 }),
      onretry: vi.fn(),
      onask: vi.fn(),
    });
    expect(screen.getByTestId('stat')).toHaveTextContent('1,234');
    expect(screen.getByTestId('insight')).toHaveTextContent('1,234 errors in the last hour.');
    expect(screen.getByTestId('result-table')).toBeInTheDocument();
    expect(screen.queryByTestId('steps')).toBeNull();
  });

  it('says what was computed, just above the SQL, once the answer is in', async () => {
    const { rerender } = render(AnswerCard, { turn: turn({}), onretry: vi.fn(), onask: vi.fn() });
    expect(screen.queryByTestId('reading')).toBeNull(); // streaming: not read yet
    await rerender({ turn: turn({ status: 'answered', result: RESULT, sql: RESULT.sql, insight: RESULT.insight }) });
    const reading = screen.getByTestId('reading');
    expect(reading).toHaveTextContent('Read as: Number of errors, level ERROR, last hour');
    const sql = screen.getByTestId('sql');
    expect(reading.compareDocumentPosition(sql) & Node.DOCUMENT_POSITION_FOLLOWING).toBeTruthy();
  });

  it('says what went wrong in words, with suggestions and a retry', async () => {
    const onretry = vi.fn();
    const onask = vi.fn();
    const failed = turn({
      status: 'error',
      error: 'The logs have no column for the weather.',
      errorKind: 'unanswerable',
      suggestions: ['How many errors happened today?'],
    });
    render(AnswerCard, { turn: failed, onretry, onask });
    expect(screen.getByRole('alert')).toHaveTextContent('loglens cannot answer that from the logs');
    await fireEvent.click(screen.getByRole('button', { name: 'How many errors happened today?' }));
    expect(onask).toHaveBeenCalledWith('How many errors happened today?');
    await fireEvent.click(screen.getByRole('button', { name: 'Retry' }));
    expect(onretry).toHaveBeenCalledWith(failed);
  });
});

describe('LogRow', () => {
  const log: LogRecord = {
    log_type: 'BACKEND',
    environment: 'production',
    service_version: 'v2.4.1',
    span_id: null,
    session_id: null,
    error_type: 'DatabaseConnectionTimeout',
    path: '/api/v1/payments',
    method: 'POST',
    action_type: null,
    function_name: 'process_payment',
    file_path: 'app/payments.py',
    duration_ms: 5012.5,
    id: 7,
    created_at: '2025-03-01T12:00:00+00:00',
    level: 'ERROR',
    service: 'payment-api',
    message: 'DatabaseConnectionTimeout: pool exhausted',
    message_length: 41,
    trace_id: '4bf92f3577b34da6a3ce929d0e0e4736',
    user_id: 'user_0042',
    stack_trace: 'Traceback (most recent call last):\n  ...',
    metadata: { ip: '10.0.0.1', http_status: 503 },
  };

  it('expands to every field, the stack trace and metadata, with links that filter', async () => {
    const onfilter = vi.fn();
    render(LogRow, { log, expanded: true, ontoggle: vi.fn(), onfilter });
    expect(screen.getByTestId('stack-trace')).toHaveTextContent('Traceback');
    expect(screen.getByTestId('metadata').textContent).toBe('{\n  "ip": "10.0.0.1",\n  "http_status": 503\n}');
    await fireEvent.click(screen.getByRole('button', { name: log.trace_id! }));
    expect(onfilter).toHaveBeenCalledWith('trace_id', log.trace_id);
    await fireEvent.click(screen.getByRole('button', { name: 'user_0042' }));
    expect(onfilter).toHaveBeenCalledWith('user_id', 'user_0042');
  });

  it('is one line until opened', async () => {
    const ontoggle = vi.fn();
    render(LogRow, { log, expanded: false, ontoggle, onfilter: vi.fn() });
    expect(screen.queryByTestId('log-detail')).toBeNull();
    await fireEvent.click(screen.getByRole('button', { expanded: false }));
    expect(ontoggle).toHaveBeenCalled();
  });
});
