import { describe, expect, it } from 'vitest';
import { answerOption } from './charts';

const services = ['payment-api', 'order-api', 'web-frontend', 'user-api', 'notification-worker', 'mobile-app', 'auth-service'];

function xAxisLabel(option: Record<string, unknown> | null): Record<string, unknown> {
  const xAxis = option?.xAxis as { axisLabel: Record<string, unknown> };
  return xAxis.axisLabel;
}

describe('the answer chart', () => {
  it('names every bar of a ranking, slanted when there are many', () => {
    const rows = services.map((service, index) => ({ service, errors: 100 - index }));
    const label = xAxisLabel(answerOption({ type: 'bar', x: 'service', y: ['errors'] }, ['service', 'errors'], rows, false));
    expect(label.interval).toBe(0);
    expect(label.rotate).toBe(30);

    const few = xAxisLabel(answerOption({ type: 'bar' }, ['service', 'errors'], rows.slice(0, 3), false));
    expect(few.rotate).toBe(0);
  });

  it('lets a time series thin out its labels', () => {
    const rows = Array.from({ length: 48 }, (_, hour) => ({ hour: `2026-11-27T${String(hour % 24).padStart(2, '0')}:00:00Z`, logs: hour }));
    const label = xAxisLabel(answerOption({ type: 'line', x: 'hour', y: ['logs'] }, ['hour', 'logs'], rows, true));
    expect(label.hideOverlap).toBe(true);
    expect(label.interval).toBeUndefined();
  });
});
