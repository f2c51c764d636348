package dev.outpost.sim.chaos;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;

/**
 * A device clock that runs with the system clock plus an offset the test moves by days, forward
 * or back, as an NTP step or a dead RTC battery would. Thread-safe.
 */
final class JumpingClock extends Clock {
  private volatile Duration offset = Duration.ZERO;

  void jump(Duration by) {
    offset = offset.plus(by);
  }

  @Override
  public Instant instant() {
    return Instant.now().plus(offset);
  }

  @Override
  public long millis() {
    return instant().toEpochMilli();
  }

  @Override
  public ZoneId getZone() {
    return ZoneOffset.UTC;
  }

  @Override
  public Clock withZone(ZoneId zone) {
    throw new UnsupportedOperationException("fixed to UTC");
  }
}
