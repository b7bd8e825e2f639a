/**
 * Which socket read we are in. undici calls onResponseData once per HTTP chunk, so one socket read
 * holding several chunked-encoding chunks arrives as several calls, microseconds apart, inside the
 * same synchronous turn. Node drains microtasks after every I/O callback, so a counter that is
 * bumped on the first call of a turn and re-armed by a microtask numbers the reads: calls with
 * the same number came from one read. One queueMicrotask per read (not per token), no allocation.
 */
let turn = 0;
let armed = false;
const rearm = (): void => {
  armed = false;
};

export function currentReadTurn(): number {
  if (!armed) {
    armed = true;
    turn++;
    queueMicrotask(rearm);
  }
  return turn;
}
