/**
 * What the exit-span tests share: the events the agent shipped to the test intake server,
 * grouped by transaction, and the checks every shipped span must pass (the intake schema,
 * and trace id, transaction id and parent id pointing where they should).
 */
import { expect } from 'vitest';
import type { IntakeServer } from './intake-server.js';
import { schemaErrors } from './spec.js';

export type Event = Record<string, any>;

export function shipped(intake: IntakeServer, kind: string): Event[] {
  return intake.events.filter((e) => e.kind === kind).map((e) => e.event as Event);
}

/** The shipped transaction with this id, and the spans that name it. */
export function traceOf(intake: IntakeServer, txId: string): { tx: Event; spans: Event[] } {
  const tx = shipped(intake, 'transaction').find((t) => t.id === txId);
  if (tx === undefined) throw new Error(`transaction ${txId} was not shipped`);
  const spans = shipped(intake, 'span').filter((s) => s.transaction_id === txId);
  return { tx, spans };
}

/** Every span valid against the intake schema and linked into `tx` (directly under it unless `parentId`). */
export function expectLinked(spans: Event[], tx: Event, parentId: string = tx.id): void {
  for (const span of spans) {
    expect(schemaErrors('span', span), JSON.stringify(span)).toBe('');
    expect(span.trace_id).toBe(tx.trace_id);
    expect(span.transaction_id).toBe(tx.id);
    expect(span.parent_id).toBe(parentId);
  }
}

export function byName(spans: Event[], name: string): Event {
  const span = spans.find((s) => s.name === name);
  if (span === undefined) throw new Error(`no span named ${name} among ${spans.map((s) => s.name).join(', ')}`);
  return span;
}
