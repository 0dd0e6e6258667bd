import { describe, expect, it } from 'vitest';
import { SseParser } from './sse-parser.js';

describe('the SSE parser', () => {
  it('dispatches an event at a blank line with its id, name and data', () => {
    const parser = new SseParser();
    expect(parser.push('id: 7\nevent: order.created\ndata: {"a":1}\n\n')).toEqual([
      { id: '7', event: 'order.created', data: '{"a":1}' },
    ]);
    expect(parser.lastEventId).toBe('7');
  });

  it('joins data lines, ignores comments, and names an unnamed event "message"', () => {
    const parser = new SseParser();
    expect(parser.push(': keep-alive\ndata: a\ndata:b\n\n')).toEqual([
      { id: undefined, event: 'message', data: 'a\nb' },
    ]);
  });

  it('handles events split across chunks and every line ending, CR then LF in two chunks too', () => {
    const parser = new SseParser();
    expect(parser.push('id: 1\r\nda')).toEqual([]);
    expect(parser.push('ta: x\r')).toEqual([]);
    expect(parser.push('\n\r')).toEqual([{ id: '1', event: 'message', data: 'x' }]);
    expect(parser.push('data: y\r\r')).toEqual([{ id: '1', event: 'message', data: 'y' }]);
  });

  it('keeps the last id across events and takes retry only when it is a number', () => {
    const parser = new SseParser('3');
    parser.push('retry: soon\n\nretry: 1500\n\n');
    expect(parser.retryMs).toBe(1500);
    expect(parser.push('data: z\n\n')).toEqual([{ id: '3', event: 'message', data: 'z' }]);
  });

  it("keeps the hub's herald: comments as notes and drops other comments", () => {
    const parser = new SseParser();
    parser.push(': ping\n: herald: events 1-4 are no longer in the log\n\n');
    expect(parser.notes).toEqual(['herald: events 1-4 are no longer in the log']);
  });

  it('dispatches nothing for an event without data', () => {
    const parser = new SseParser();
    expect(parser.push('event: ping\n\n')).toEqual([]);
    expect(parser.push('data: after\n\n')).toEqual([{ id: undefined, event: 'message', data: 'after' }]);
  });
});
