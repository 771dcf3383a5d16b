import { describe, expect, it, vi } from 'vitest';
import { z } from 'zod';
import { logger } from '../adapters/logger.ts';
import { BadRequestError, NotAcceptingJobsError } from '../core/errors.ts';
import { bodySize, errorResponse, prefersHtml, validate } from './http.ts';
import { httpEvent } from './testing/cloud.ts';

describe('errorResponse', () => {
  it('maps an HttpError to its status and JSON body', () => {
    // Act
    const answer = errorResponse(new BadRequestError('body.x: is required', { field: 'body.x' }));
    // Assess
    expect(answer.statusCode).toBe(400);
    expect(JSON.parse(String(answer.body))).toEqual({
      error: 'bad-request',
      message: 'body.x: is required',
      field: 'body.x',
    });
  });

  it('answers anything else with 500 and a fixed message, never the error or its stack', () => {
    // Prepare
    const logged = vi.spyOn(logger, 'error').mockImplementation(() => undefined);
    // Act
    const answer = errorResponse(new Error('secret table name in /var/task/x.js'));
    // Assess
    expect(logged).toHaveBeenCalledOnce();
    expect(answer.statusCode).toBe(500);
    expect(String(answer.body)).toBe('{"error":"internal","message":"Internal server error"}');
  });

  it('shows the refusal of a printer that is not accepting (a deliberate 503)', () => {
    // Act
    const answer = errorResponse(new NotAcceptingJobsError('P1', 'paused', 'Printer P1 is not accepting'));
    // Assess
    expect(answer.statusCode).toBe(503);
    expect(JSON.parse(String(answer.body))).toMatchObject({
      error: 'not-accepting-jobs',
      printerId: 'P1',
      reason: 'paused',
    });
  });
});

describe('prefersHtml', () => {
  it('is true for a browser navigation and false for API clients', () => {
    // Act + Assess
    const browser = 'text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8';
    expect(prefersHtml(httpEvent('POST /x', { headers: { Accept: browser } }))).toBe(true);
    expect(prefersHtml(httpEvent('POST /x', { headers: { accept: 'application/json' } }))).toBe(false);
    expect(
      prefersHtml(httpEvent('POST /x', { headers: { accept: 'application/json, text/html;q=0.5' } })),
    ).toBe(false);
    expect(prefersHtml(httpEvent('POST /x'))).toBe(false);
  });
});

describe('validate and bodySize', () => {
  it('names the failing field and measures base64 bodies without decoding', () => {
    // Prepare
    const schema = z.object({ a: z.object({ b: z.number() }) });
    // Act
    const failure = (() => {
      try {
        validate(schema, { a: { b: 'x' } }, 'body');
      } catch (error) {
        return error as BadRequestError;
      }
    })();
    // Assess
    expect(failure?.details.field).toBe('body.a.b');
    expect(bodySize(httpEvent('POST /x', { body: new Uint8Array(1001) }))).toBe(1001);
  });
});
