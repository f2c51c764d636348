package dev.outpost.sim;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/** A clock and scheduler that move only when the test says so. Not thread-safe: one test thread. */
final class ManualTime extends Clock implements ChaosSchedule.Scheduler {
  private record Task(Instant due, long order, Runnable run) {}

  private Instant now = Instant.parse("2026-01-01T00:00:00Z");
  private final List<Task> tasks = new ArrayList<>();
  private long order;

  @Override
  public Runnable schedule(Duration delay, Runnable task) {
    Task t = new Task(now.plus(delay), order++, task);
    tasks.add(t);
    return () -> tasks.remove(t);
  }

  /** Moves time forward, running every task that falls due on the way, in due order. */
  void advance(Duration d) {
    Instant end = now.plus(d);
    for (int guard = 0; guard < 100_000; guard++) {
      Task next = tasks.stream()
          .filter(t -> !t.due().isAfter(end))
          .min(Comparator.comparing(Task::due).thenComparingLong(Task::order))
          .orElse(null);
      if (next == null) {
        break;
      }
      tasks.remove(next);
      now = next.due();
      next.run().run();
    }
    now = end;
  }

  int pending() {
    return tasks.size();
  }

  @Override
  public Instant instant() {
    return now;
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
