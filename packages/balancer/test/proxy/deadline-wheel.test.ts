import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Deadline, DeadlineWheel } from '../../src/proxy/deadline-wheel.js';
import { ManualClock } from './manual-clock.js';
import { propertySettings } from '../property/fast-check-settings.js';

function setup(tickMs = 100, slots = 16) {
  const clock = new ManualClock();
  const errors: unknown[] = [];
  const wheel = new DeadlineWheel({ tickMs, slots, clock, onError: (err) => errors.push(err) });
  const fired: { name: string; at: number }[] = [];
  const expire = (owner: { name: string }): void => void fired.push({ name: owner.name, at: clock.now() });
  const deadline = (name: string) => new Deadline({ name }, expire);
  return { clock, wheel, fired, deadline, errors };
}

describe('DeadlineWheel', () => {
  it('fires a deadline at the first tick at or after it, never before', () => {
    const { clock, wheel, fired, deadline } = setup();
    const start = clock.now();
    wheel.arm(deadline('a'), 250);
    clock.advance(249);
    expect(fired).toEqual([]);
    clock.advance(200);
    expect(fired).toHaveLength(1);
    expect(fired[0]!.at - start).toBeGreaterThanOrEqual(250);
    expect(fired[0]!.at - start).toBeLessThan(250 + 100);
    expect(wheel.size).toBe(0);
  });

  it('does not fire a disarmed deadline, and fires a re-armed one at its last time only', () => {
    const { clock, wheel, fired, deadline } = setup();
    const a = deadline('a');
    const b = deadline('b');
    const start = clock.now();
    wheel.arm(a, 300);
    wheel.arm(b, 300);
    wheel.disarm(a);
    wheel.arm(b, 1_000); // replaces its 300 ms
    expect(wheel.size).toBe(1);
    clock.advance(5_000);
    expect(fired.map((f) => f.name)).toEqual(['b']);
    expect(fired[0]!.at - start).toBeGreaterThanOrEqual(1_000);
    expect(a.armed).toBe(false);
  });

  it('keeps a deadline further away than one turn of the wheel until its own turn', () => {
    const { clock, wheel, fired, deadline } = setup(100, 4); // a turn is 400 ms
    const start = clock.now();
    wheel.arm(deadline('far'), 1_050);
    clock.advance(1_000);
    expect(fired).toEqual([]);
    clock.advance(200);
    expect(fired).toHaveLength(1);
    expect(fired[0]!.at - start).toBeGreaterThanOrEqual(1_050);
  });

  it('after an event-loop stall, fires every deadline that came due in it, in one late tick', () => {
    const { clock, wheel, fired, deadline } = setup(100, 8);
    for (const [name, ms] of [
      ['a', 150],
      ['b', 420],
      ['c', 2_000],
      ['later', 9_000],
    ] as const)
      wheel.arm(deadline(name), ms);
    clock.stall(5_000); // longer than a turn (800 ms): every slot is looked at once
    expect(fired.map((f) => f.name).sort()).toEqual(['a', 'b', 'c']);
    clock.advance(5_000);
    expect(fired.map((f) => f.name)).toContain('later');
  });

  it('ticks only while something is armed', () => {
    const { clock, wheel, deadline } = setup();
    expect(clock.ticking).toBe(false);
    const a = deadline('a');
    wheel.arm(a, 200);
    expect(clock.ticking).toBe(true);
    clock.advance(500);
    expect(clock.ticking).toBe(false);
    wheel.arm(a, 200);
    wheel.disarm(a);
    clock.advance(150); // the next tick finds nothing and stops
    expect(clock.ticking).toBe(false);
    expect(clock.starts).toBe(2);
  });

  it('an expire function may arm deadlines (itself included); one that throws does not stop the others', () => {
    const clock = new ManualClock();
    const errors: unknown[] = [];
    const wheel = new DeadlineWheel({ tickMs: 50, slots: 8, clock, onError: (err) => errors.push(err) });
    let rounds = 0;
    const again = new Deadline(wheel, (w: DeadlineWheel) => {
      if (++rounds < 3) w.arm(again, 0);
    });
    const boom = new Deadline(undefined, () => {
      throw new Error('boom');
    });
    let after = false;
    const later = new Deadline(undefined, () => (after = true));
    wheel.arm(boom, 10);
    wheel.arm(again, 10);
    wheel.arm(later, 10);
    clock.advance(1_000);
    expect(rounds).toBe(3);
    expect(after).toBe(true);
    expect(errors).toEqual([new Error('boom')]);
    expect(wheel.size).toBe(0);
  });

  it('destroy forgets every deadline and stops ticking', () => {
    const { clock, wheel, fired, deadline } = setup();
    const a = deadline('a');
    wheel.arm(a, 100);
    wheel.destroy();
    expect(a.armed).toBe(false);
    expect(clock.ticking).toBe(false);
    clock.advance(1_000);
    expect(fired).toEqual([]);
  });

  it('refuses a tick that is not a positive number', () => {
    expect(() => new DeadlineWheel({ tickMs: 0 })).toThrow(/positive/);
    expect(() => new DeadlineWheel({ tickMs: Number.NaN })).toThrow(/positive/);
  });

  it('against a model: each armed deadline fires exactly once, no earlier than due and less than a tick after', () => {
    const op = fc.oneof(
      fc.record({ kind: fc.constant('arm' as const), which: fc.nat(5), delay: fc.integer({ min: -50, max: 3_000 }) }),
      fc.record({ kind: fc.constant('disarm' as const), which: fc.nat(5) }),
      fc.record({ kind: fc.constant('advance' as const), ms: fc.integer({ min: 0, max: 900 }) }),
    );
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 200 }),
        fc.integer({ min: 1, max: 12 }),
        fc.array(op, { maxLength: 60 }),
        (tickMs, slots, ops) => {
          const clock = new ManualClock(12_345.25);
          const wheel = new DeadlineWheel({ tickMs, slots, clock });
          const due = new Map<number, number>(); // the model: which deadline is due when
          const fired: { which: number; at: number; due: number }[] = [];
          const deadlines = Array.from(
            { length: 6 },
            (_, which) =>
              new Deadline(which, (w: number) => {
                fired.push({ which: w, at: clock.now(), due: due.get(w)! });
                due.delete(w);
              }),
          );
          for (const o of ops) {
            if (o.kind === 'arm') {
              wheel.arm(deadlines[o.which]!, o.delay);
              due.set(o.which, clock.now() + Math.max(0, o.delay));
            } else if (o.kind === 'disarm') {
              wheel.disarm(deadlines[o.which]!);
              due.delete(o.which);
            } else clock.advance(o.ms);
          }
          clock.advance(3_000 + 2 * tickMs);
          expect(due.size).toBe(0); // everything armed and not disarmed fired
          for (const f of fired) {
            expect(f.at).toBeGreaterThanOrEqual(f.due);
            expect(f.at - f.due).toBeLessThanOrEqual(tickMs);
          }
          expect(wheel.size).toBe(0);
        },
      ),
      propertySettings(300),
    );
  });
});
