import { describe, expect, it } from 'vitest';
import { canTransition, isFetchable, isFinished, JOB_STATES, JobState } from './job-state.ts';

describe('job-state machine', () => {
  it('never moves a finished job', () => {
    // Prepare
    const finished = [JobState.completed, JobState.aborted, JobState.canceled];
    // Act
    const moves = finished.flatMap((from) => JOB_STATES.filter((to) => canTransition(from, to)));
    // Assess
    expect(moves).toEqual([]);
    expect(finished.every(isFinished)).toBe(true);
  });

  it('follows pending → processing → processing-stopped ⇄ processing → completed | aborted', () => {
    // Act + Assess
    expect(canTransition('pending', 'processing')).toBe(true);
    expect(canTransition('processing', 'processing-stopped')).toBe(true);
    expect(canTransition('processing-stopped', 'processing')).toBe(true);
    expect(canTransition('processing', 'completed')).toBe(true);
    expect(canTransition('processing-stopped', 'aborted')).toBe(true);
    expect(canTransition('pending', 'completed')).toBe(false);
    expect(canTransition('pending-held', 'processing')).toBe(false);
  });

  it('lets every unfinished state be canceled', () => {
    // Act
    const cancelable = JOB_STATES.filter((s) => canTransition(s, 'canceled'));
    // Assess
    expect(cancelable.sort()).toEqual(['pending', 'pending-held', 'processing', 'processing-stopped']);
  });
});

describe('isFetchable', () => {
  const now = new Date('2026-01-01T12:00:00.000Z');

  it('offers pending jobs and leased jobs whose lease ran out, nothing else', () => {
    // Act + Assess
    expect(isFetchable({ state: 'pending' }, now)).toBe(true);
    expect(isFetchable({ state: 'processing', leaseExpiresAt: '2026-01-01T11:59:59.000Z' }, now)).toBe(true);
    expect(
      isFetchable({ state: 'processing-stopped', leaseExpiresAt: '2026-01-01T11:00:00.000Z' }, now),
    ).toBe(true);
    expect(isFetchable({ state: 'processing', leaseExpiresAt: '2026-01-01T12:00:01.000Z' }, now)).toBe(false);
    expect(isFetchable({ state: 'completed' }, now)).toBe(false);
    expect(isFetchable({ state: 'pending-held' }, now)).toBe(false);
  });
});
