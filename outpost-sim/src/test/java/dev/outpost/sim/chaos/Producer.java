package dev.outpost.sim.chaos;

import dev.outpost.core.Priority;
import dev.outpost.sim.AckLedger;
import java.io.IOException;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Publishes single records to one agent's local API over real HTTP, as an application on the
 * device would, and records every 202 (seq, with the epoch of the instance that answered) in
 * the {@link AckLedger}. A failed publish (agent down, killed mid-request, 507) is not
 * acknowledged and only counted. One thread per producer; {@link #stop} ends it.
 */
final class Producer implements Runnable {
  static final String[] TOPICS = {"sensors/temp", "sensors/vib", "alarms"};
  private static final Pattern SEQ = Pattern.compile("\"seq\"\\s*:\\s*(\\d+)");

  private final AgentChild agent;
  private final AckLedger ledger;
  private final SplittableRandom random;
  private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
      .connectTimeout(Duration.ofSeconds(1)).build();
  private final AtomicBoolean stopped = new AtomicBoolean();
  final AtomicLong acknowledged = new AtomicLong();
  final AtomicLong failed = new AtomicLong();
  private Thread thread;

  Producer(AgentChild agent, AckLedger ledger, SplittableRandom random) {
    this.agent = agent;
    this.ledger = ledger;
    this.random = random;
  }

  void start(String name) {
    thread = Thread.ofPlatform().daemon().name(name).start(this);
  }

  @Override
  public void run() {
    long n = 0;
    while (!stopped.get()) {
      AgentChild.Endpoint e = agent.endpoint();
      if (e == null) {
        LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(20)); // agent down: retry at 50/s
        continue;
      }
      String topic = TOPICS[random.nextInt(TOPICS.length)];
      Priority priority = Priority.values()[random.nextInt(Priority.values().length)];
      String payload = "{\"n\":" + n++ + ",\"device\":\"" + agent.device + "\"}";
      try {
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(
                e.api().resolve("/v1/publish/" + topic + "?priority=" + priority))
            .timeout(Duration.ofSeconds(5))
            .POST(HttpRequest.BodyPublishers.ofString(payload, StandardCharsets.UTF_8)).build(),
            HttpResponse.BodyHandlers.ofString());
        Matcher m = SEQ.matcher(r.body());
        if (r.statusCode() == 202 && m.find()) {
          ledger.acknowledged(agent.device, e.epoch(), Long.parseLong(m.group(1)), topic, priority);
          acknowledged.incrementAndGet();
        } else {
          failed.incrementAndGet();
        }
      } catch (IOException ex) {
        failed.incrementAndGet(); // killed mid-request or not up yet: not acknowledged
        LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(20));
      } catch (InterruptedException ex) {
        Thread.currentThread().interrupt();
        return;
      }
    }
  }

  /** Stops and waits (bounded) for the thread. */
  void stop() throws InterruptedException {
    stopped.set(true);
    if (thread != null) {
      thread.join(TimeUnit.SECONDS.toMillis(15));
    }
    http.close();
  }
}
