package dev.outpost.sim.internal;

import dev.outpost.core.MessageId;
import dev.outpost.sim.AckLedger;
import dev.outpost.sim.DeliveryReport;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Compares stored records, fed in server order, with acknowledged ones. Memory grows with the
 * number of distinct stored ids (one map entry each). Not thread-safe: one checker run.
 */
public final class DeliveryTally {
  private record Lane(String device, long epoch, String topic, String priority) {}

  private final Map<MessageId, StoredRecord> firstCopy = new HashMap<>();
  private final Map<Lane, Long> lastSeq = new HashMap<>();
  private long stored;
  private long duplicates;
  private final List<MessageId> duplicateSample = new ArrayList<>();
  private long orderViolations;
  private final List<String> orderSample = new ArrayList<>();

  /** Adds the next stored record; records must come in server order. */
  public void add(StoredRecord r) {
    stored++;
    if (firstCopy.putIfAbsent(r.id(), r) != null) {
      duplicates++;
      sample(duplicateSample, r.id());
      return; // a duplicate is counted once, not also as an order violation
    }
    Lane lane = new Lane(r.id().deviceId(), r.id().epoch(), r.topic(), r.priority().name());
    Long before = lastSeq.get(lane);
    if (before != null && r.id().seq() < before) {
      orderViolations++;
      sample(orderSample, r.id() + " (" + r.topic() + ", " + r.priority() + ") stored at serverSeq "
          + r.serverSeq() + " after seq " + before);
    } else {
      lastSeq.put(lane, r.id().seq());
    }
  }

  /** The report for these acknowledgements against everything added so far. */
  public DeliveryReport report(Collection<AckLedger.Entry> acked) {
    long lost = 0;
    long mismatched = 0;
    List<MessageId> lostSample = new ArrayList<>();
    List<String> mismatchSample = new ArrayList<>();
    Set<MessageId> ackedIds = new HashSet<>(acked.size() * 2);
    List<AckLedger.Entry> sorted = new ArrayList<>(acked);
    sorted.sort(Comparator.comparing((AckLedger.Entry e) -> e.id().deviceId())
        .thenComparingLong(e -> e.id().epoch())
        .thenComparingLong(e -> e.id().seq()));
    for (AckLedger.Entry e : sorted) {
      ackedIds.add(e.id());
      StoredRecord s = firstCopy.get(e.id());
      if (s == null) {
        lost++;
        sample(lostSample, e.id());
      } else if (!s.topic().equals(e.topic()) || s.priority() != e.priority()) {
        mismatched++;
        sample(mismatchSample, e.id() + " acked as (" + e.topic() + ", " + e.priority()
            + ") but stored as (" + s.topic() + ", " + s.priority() + ")");
      }
    }
    long unexpected = 0;
    List<StoredRecord> extra = new ArrayList<>();
    for (StoredRecord s : firstCopy.values()) {
      if (!ackedIds.contains(s.id())) {
        unexpected++;
        extra.add(s);
      }
    }
    extra.sort(Comparator.comparingLong(StoredRecord::serverSeq));
    List<MessageId> unexpectedSample = new ArrayList<>();
    for (StoredRecord s : extra) {
      if (!sample(unexpectedSample, s.id())) {
        break;
      }
    }
    return new DeliveryReport(ackedIds.size(), stored, lost, lostSample, duplicates,
        duplicateSample, unexpected, unexpectedSample, orderViolations, orderSample,
        mismatched, mismatchSample);
  }

  private static <T> boolean sample(List<T> sample, T item) {
    if (sample.size() < DeliveryReport.SAMPLE_SIZE) {
      sample.add(item);
      return true;
    }
    return false;
  }
}
