package dev.outpost.edge.sync.internal;

import dev.outpost.core.Batch;
import dev.outpost.core.Message;
import dev.outpost.core.RecordResult;
import dev.outpost.edge.sync.ErrorKind;
import dev.outpost.edge.Lease;
import dev.outpost.edge.sync.SendOutcome;
import dev.outpost.edge.sync.Transport;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.BooleanSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Sends one leased batch and sorts every record of it by the server's answer: ack (stored or
 * duplicate), reject (with the server's reason), or release (no answer). 413 and whole-batch
 * 400/422 split the batch in halves, sent in order, until the bad record is alone and rejected
 * with the server's reason; any other failure releases everything not yet answered. Parts go one
 * after the other, so a lane's order holds.
 *
 * <p>Writes nothing to the outbox: the caller applies the {@link Verdict} (releases first, so
 * the send order can be kept). Stateless and thread-safe.
 */
public final class BatchDelivery {
  private static final Logger LOG = LoggerFactory.getLogger(BatchDelivery.class);

  /** Requests up to this many payload bytes tell the link's latency; bigger ones its bandwidth. */
  public static final int LATENCY_SAMPLE_BYTES = 64 * 1024;

  /**
   * What happened.
   *
   * @param ack seqs the server holds
   * @param reject seqs refused for good, with the server's reason
   * @param release seqs without an answer, to send again
   * @param answered true if at least one request got an answer proving the link works
   * @param latency the latency of the last answered request, or null if that request was too
   *     large for its time to say anything about the link (over {@link #LATENCY_SAMPLE_BYTES})
   * @param failure the failure that stopped delivery, or null
   * @param smallestTooLarge the smallest part size the server answered 413 for, 0 if none
   */
  public record Verdict(
      List<Long> ack, Map<Long, String> reject, List<Long> release, boolean answered,
      Duration latency, SendOutcome.Failed failure, int smallestTooLarge) {}

  private final Transport transport;
  private final String deviceId;

  public BatchDelivery(Transport transport, String deviceId) {
    this.transport = transport;
    this.deviceId = deviceId;
  }

  public Verdict deliver(Lease lease) {
    return deliver(lease, null);
  }

  /** The whole lease as one request body, built now (see {@link Transport#prepare}). */
  public Transport.Prepared prepare(Lease lease) {
    return transport.prepare(new Batch(deviceId, lease.epoch(), lease.messages()));
  }

  /** As {@link #deliver(Lease)}, sending {@code prepared} (from {@link #prepare}, or null) first. */
  public Verdict deliver(Lease lease, Transport.Prepared prepared) {
    return deliver(lease, prepared, null);
  }

  /** As {@link #deliver(Lease, Transport.Prepared, Transport.Chain, BooleanSupplier)}, unchained. */
  public Verdict deliver(Lease lease, Transport.Prepared prepared, Transport.Chain chain) {
    return deliver(lease, prepared, chain, () -> true);
  }

  /**
   * As {@link #deliver(Lease, Transport.Prepared)}; the whole batch's request carries
   * {@code chain} (its name, and the batch the server must have committed first). Parts of a
   * split go unchained: they follow a refusal of the whole, which the server counts as this
   * batch failing, so its chained successors are refused too. But a refusal of the whole (413,
   * 400, 422) says nothing about the batch it was chained after, which may still be on its way
   * (splitting too): the parts go only once {@code predecessorStored} (which blocks until that
   * batch's answer) says it was stored in full; if it was not, everything is released.
   */
  public Verdict deliver(Lease lease, Transport.Prepared prepared, Transport.Chain chain,
      BooleanSupplier predecessorStored) {
    List<Long> ack = new ArrayList<>(lease.size());
    Map<Long, String> reject = new LinkedHashMap<>();
    List<Long> release = new ArrayList<>();
    Deque<List<Message>> parts = new ArrayDeque<>();
    parts.push(lease.messages());
    boolean answered = false;
    Duration latency = Duration.ZERO;
    int smallestTooLarge = 0;
    SendOutcome.Failed failure = null;
    while (!parts.isEmpty()) {
      List<Message> part = parts.pop();
      SendOutcome o;
      if (part == lease.messages()) {
        o = transport.send(prepared != null ? prepared : prepare(lease), chain);
      } else {
        o = transport.send(transport.prepare(new Batch(deviceId, lease.epoch(), part)), null);
      }
      if (o instanceof SendOutcome.Answered a) {
        answered = true;
        latency = sample(part, a.latency());
        sort(part, a.result().results(), ack, reject, release);
        continue;
      }
      SendOutcome.Failed f = (SendOutcome.Failed) o;
      boolean splittable = f.kind() == ErrorKind.TOO_LARGE || f.kind() == ErrorKind.BAD_REQUEST;
      if (splittable && part == lease.messages() && chain != null && chain.after() != null
          && !predecessorStored.getAsBoolean()) {
        // the batch before it failed: its parts would overtake that batch's records
        f = new SendOutcome.Failed(ErrorKind.PREDECESSOR, f.status(),
            "not split: the batch before it was not stored (" + f.message() + ")", null, f.latency());
        splittable = false;
      }
      if (!splittable) {
        failure = f;
        release.addAll(seqs(part));
        parts.forEach(p -> release.addAll(seqs(p)));
        break;
      }
      answered = true;
      latency = sample(part, f.latency());
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
        reject.put(m.seq(), f.message());
        LOG.warn("record {} ({}) dead-lettered: {}", m.seq(), m.topic(), f.message());
      }
    }
    return new Verdict(ack, reject, release, answered, latency, failure, smallestTooLarge);
  }

  private static Duration sample(List<Message> part, Duration latency) {
    long bytes = 0;
    for (Message m : part) {
      bytes += m.approximateBytes();
      if (bytes > LATENCY_SAMPLE_BYTES) {
        return null;
      }
    }
    return latency;
  }

  private static void sort(List<Message> part, List<RecordResult> results, List<Long> ack,
      Map<Long, String> reject, List<Long> release) {
    // the server answers in request order: match by position, by seq only when that fails
    Map<Long, RecordResult> bySeq = null;
    int missing = 0;
    int rejected = 0;
    for (int i = 0; i < part.size(); i++) {
      Message m = part.get(i);
      RecordResult r = i < results.size() ? results.get(i) : null;
      if (r == null || r.seq() != m.seq()) {
        if (bySeq == null) {
          bySeq = new HashMap<>(results.size() * 2);
          for (RecordResult x : results) {
            bySeq.put(x.seq(), x);
          }
        }
        r = bySeq.get(m.seq());
      }
      if (r == null) {
        release.add(m.seq());
        missing++;
      } else if (r.delivered()) {
        ack.add(m.seq());
      } else {
        reject.put(m.seq(), r.reason());
        rejected++;
        if (rejected == 1) {
          LOG.warn("server rejected record {} ({}), dead-lettering it: {}", m.seq(), m.topic(), r.reason());
        }
      }
    }
    if (missing > 0) {
      LOG.warn("server answered {} of {} records; releasing the other {} for a retry",
          part.size() - missing, part.size(), missing);
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
