package dev.outpost.edge.internal;

import dev.outpost.core.Batch;
import dev.outpost.core.Message;
import dev.outpost.core.RecordResult;
import dev.outpost.edge.ErrorKind;
import dev.outpost.edge.Lease;
import dev.outpost.edge.Outbox;
import dev.outpost.edge.SendOutcome;
import dev.outpost.edge.Transport;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Sends one leased batch and settles every record of it in the outbox by the server's answer.
 * 413 and whole-batch 400/422 split the batch in halves, sent in order, until the bad record is
 * alone and dead-lettered with the server's reason; any other failure releases everything not
 * yet settled. Parts go one after the other, so a lane's order holds.
 *
 * <p>Thread-safe (stateless but for counters); the caller keeps the batch's lanes busy until
 * {@link #deliver} returns.
 */
public final class Delivery {
  private static final Logger LOG = LoggerFactory.getLogger(Delivery.class);

  /**
   * What happened, for the engine's retry and link logic.
   *
   * @param answered true if at least one request got an answer proving the link works
   * @param latency the latency of the last answered request
   * @param failure the failure that stopped delivery (records released), or null
   * @param smallestTooLarge the smallest part size the server answered 413 for, 0 if none
   */
  public record Verdict(boolean answered, Duration latency, SendOutcome.Failed failure, int smallestTooLarge) {}

  private final Outbox outbox;
  private final Transport transport;
  private final String deviceId;
  private final AtomicLong delivered = new AtomicLong();
  private final AtomicLong deadLettered = new AtomicLong();

  public Delivery(Outbox outbox, Transport transport, String deviceId) {
    this.outbox = outbox;
    this.transport = transport;
    this.deviceId = deviceId;
  }

  public long delivered() {
    return delivered.get();
  }

  public long deadLettered() {
    return deadLettered.get();
  }

  public Verdict deliver(Lease lease) {
    Deque<List<Message>> parts = new ArrayDeque<>();
    parts.push(lease.messages());
    boolean answered = false;
    Duration latency = Duration.ZERO;
    int smallestTooLarge = 0;
    while (!parts.isEmpty()) {
      List<Message> part = parts.pop();
      SendOutcome o = transport.send(new Batch(deviceId, lease.epoch(), part));
      if (o instanceof SendOutcome.Answered a) {
        answered = true;
        latency = a.latency();
        settle(part, a.result().results());
        continue;
      }
      SendOutcome.Failed f = (SendOutcome.Failed) o;
      boolean splittable = f.kind() == ErrorKind.TOO_LARGE || f.kind() == ErrorKind.BAD_REQUEST;
      if (!splittable) {
        List<Long> rest = new ArrayList<>(seqs(part));
        parts.forEach(p -> rest.addAll(seqs(p)));
        outbox.release(rest);
        return new Verdict(answered, latency, f, smallestTooLarge);
      }
      answered = true;
      latency = f.latency();
      if (f.kind() == ErrorKind.TOO_LARGE) {
        smallestTooLarge = smallestTooLarge == 0 ? part.size() : Math.min(smallestTooLarge, part.size());
      }
      if (part.size() > 1) {
        int half = part.size() / 2;
        parts.push(part.subList(half, part.size()));
        parts.push(part.subList(0, half));
        if (part.size() == lease.size()) {
          LOG.info("server refused a batch of {} records ({}); splitting it: {}", part.size(), f.kind(), f.message());
        }
      } else {
        Message m = part.get(0);
        outbox.reject(Map.of(m.seq(), f.message()));
        deadLettered.incrementAndGet();
        LOG.warn("record {} ({}) dead-lettered: {}", m.seq(), m.topic(), f.message());
      }
    }
    return new Verdict(answered, latency, null, smallestTooLarge);
  }

  private void settle(List<Message> part, List<RecordResult> results) {
    Map<Long, RecordResult> bySeq = new HashMap<>(results.size() * 2);
    for (RecordResult r : results) {
      bySeq.put(r.seq(), r);
    }
    List<Long> ack = new ArrayList<>(part.size());
    Map<Long, String> reject = new LinkedHashMap<>();
    List<Long> release = new ArrayList<>();
    for (Message m : part) {
      RecordResult r = bySeq.get(m.seq());
      if (r == null) {
        release.add(m.seq());
      } else if (r.delivered()) {
        ack.add(m.seq());
      } else {
        reject.put(m.seq(), r.reason());
      }
    }
    if (!ack.isEmpty()) {
      outbox.ack(ack);
      delivered.addAndGet(ack.size());
    }
    if (!reject.isEmpty()) {
      outbox.reject(reject);
      deadLettered.addAndGet(reject.size());
      LOG.warn("server rejected {} of {} records (dead-lettered), e.g. seq {}: {}",
          reject.size(), part.size(), reject.keySet().iterator().next(), reject.values().iterator().next());
    }
    if (!release.isEmpty()) {
      outbox.release(release);
      LOG.warn("server answered {} of {} records; released the other {} for a retry",
          part.size() - release.size(), part.size(), release.size());
    }
  }

  private static List<Long> seqs(List<Message> part) {
    List<Long> s = new ArrayList<>(part.size());
    for (Message m : part) {
      s.add(m.seq());
    }
    return s;
  }
}
