package dev.outpost.sim;

import dev.outpost.core.MessageId;
import java.util.List;

/**
 * What the {@link DeliveryChecker} found: the edge's acknowledgements against the server's
 * store. Immutable. Samples hold the first few offenders, in server (or ledger) order.
 *
 * @param acknowledged distinct ids the edge acknowledged to producers
 * @param stored records the server returned (duplicates included)
 * @param lost acknowledged but never stored: data loss
 * @param duplicates stored copies beyond the first of the same id: exactly-once broken
 * @param unexpected stored but never acknowledged (allowed: e.g. appended, then the producer
 *     crashed before it heard the ack); counted, not a failure
 * @param orderViolations records stored after a higher seq of the same (device, epoch, topic,
 *     priority) lane
 * @param mismatched acknowledged and stored, but with another topic or priority
 */
public record DeliveryReport(
    long acknowledged,
    long stored,
    long lost,
    List<MessageId> lostSample,
    long duplicates,
    List<MessageId> duplicateSample,
    long unexpected,
    List<MessageId> unexpectedSample,
    long orderViolations,
    List<String> orderViolationSample,
    long mismatched,
    List<String> mismatchSample) {

  /** How many offenders of each kind a report lists by name. */
  public static final int SAMPLE_SIZE = 10;

  public DeliveryReport {
    lostSample = List.copyOf(lostSample);
    duplicateSample = List.copyOf(duplicateSample);
    unexpectedSample = List.copyOf(unexpectedSample);
    orderViolationSample = List.copyOf(orderViolationSample);
    mismatchSample = List.copyOf(mismatchSample);
  }

  /** Nothing lost, nothing stored twice, order kept in every lane, every field as acked. */
  public boolean ok() {
    return lost == 0 && duplicates == 0 && orderViolations == 0 && mismatched == 0;
  }

  @Override
  public String toString() {
    StringBuilder sb = new StringBuilder()
        .append(ok() ? "delivery OK" : "delivery FAILED").append(": acknowledged=")
        .append(acknowledged).append(", stored=").append(stored)
        .append(", lost=").append(lost).append(", duplicates=").append(duplicates)
        .append(", unexpected=").append(unexpected).append(" (allowed)")
        .append(", orderViolations=").append(orderViolations)
        .append(", mismatched=").append(mismatched);
    sample(sb, "lost", lost, lostSample);
    sample(sb, "duplicates", duplicates, duplicateSample);
    sample(sb, "unexpected", unexpected, unexpectedSample);
    sample(sb, "order violations", orderViolations, orderViolationSample);
    sample(sb, "mismatched", mismatched, mismatchSample);
    return sb.toString();
  }

  private static void sample(StringBuilder sb, String what, long count, List<?> sample) {
    if (count > 0) {
      sb.append("\n  ").append(what).append(": ").append(sample);
      if (count > sample.size()) {
        sb.append(" … and ").append(count - sample.size()).append(" more");
      }
    }
  }
}
