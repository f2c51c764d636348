package dev.outpost.edge.internal;

import dev.outpost.core.Priority;
import dev.outpost.edge.OutboxConfig;
import dev.outpost.edge.OutboxFullException;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The byte budget. Bytes used are the live pages of the database file, {@code (page_count -
 * freelist_count) * page_size}, measured inside the write transaction after every group commit
 * (two header reads, no scan); between measurements each admitted record adds an estimate. The
 * WAL is not counted: it is transient, checkpointed and cut back to {@code journal_size_limit}.
 *
 * <p>Admission: CRITICAL and HIGH may fill the whole budget; NORMAL and LOW are refused above the
 * high watermark, which keeps the last share of the budget for urgent records. When an append
 * does not fit and LOW eviction is on, the oldest pending LOW records (never leased ones) are deleted (counted as
 * evicted, logged once per eviction run) down to the low watermark before the append is refused.
 * A batch ({@code appendAll}) is admitted or refused as a whole, under the rule of its most
 * urgent record.
 * Warnings are logged once per crossing of 80% and 90%, not per record.
 *
 * <p>Used under the writer's lock ({@code CommitLoop}'s {@code SingleWriter}), except {@link #used()} and {@link #warningLevel()}.
 */
final class Budget {
  private static final Logger log = LoggerFactory.getLogger(Budget.class);
  private static final int EVICT_CHUNK = 2000;
  private static final String OLDEST_LOW = "SELECT seq, size FROM records"
      + " INDEXED BY records_drain WHERE state = 0 AND priority = 3 AND seq >= ? ORDER BY seq";

  private static final String LIVE_PAGES = "SELECT p.page_count - f.freelist_count"
      + " FROM pragma_page_count() p, pragma_freelist_count() f";

  private final OutboxConfig config;
  private final LeaseTable leases;
  private long pageSize;
  private final String store;
  private volatile long used;
  private volatile int warningLevel;

  Budget(OutboxConfig config, LeaseTable leases, String store) {
    this.config = config;
    this.leases = leases;
    this.store = store;
  }

  long used() {
    return used;
  }

  int warningLevel() {
    return warningLevel;
  }

  static long estimate(String topic, byte[] headers, byte[] payload) {
    return payload.length + topic.length() + (headers == null ? 0 : headers.length) + 48L;
  }

  /** Re-reads the live page count (inside or outside a transaction) and logs crossings. */
  void measure(Txn txn) throws SQLException {
    if (pageSize == 0) {
      try (Statement s = txn.connection.createStatement()) {
        pageSize = single(s, "PRAGMA page_size");
      }
    }
    try (ResultSet rs = txn.prepare(LIVE_PAGES).executeQuery()) {
      rs.next();
      used = rs.getLong(1) * pageSize;
    }
    int level = used >= config.budgetBytes() * 0.9 ? 90 : used >= config.budgetBytes() * 0.8 ? 80 : 0;
    if (level > warningLevel) {
      log.warn("Outbox {} is {}% full: {} of {} used", store, level, mib(used), mib(config.budgetBytes()));
    } else if (level < warningLevel) {
      log.info("Outbox {} is back below {}% full: {} of {} used", store, warningLevel, mib(used),
          mib(config.budgetBytes()));
    }
    warningLevel = level;
  }

  /**
   * Admits {@code bytes} more of {@code priority} into the transaction, evicting LOW if allowed;
   * returns null, or the exception to fail the append with (nothing written for it).
   */
  OutboxFullException admit(Txn txn, int rank, long bytes, LiveTally live) throws SQLException {
    if (fits(rank, bytes)) {
      used += bytes;
      return null;
    }
    if (config.evictLowWhenFull() && live.pending(3) + txn.delta.pendingCount[3] > 0) {
      evictLow(txn);
      if (fits(rank, bytes)) {
        used += bytes;
        return null;
      }
    }
    Tally now = live.snapshot();
    now.add(txn.delta);
    String rule = rank <= Priority.HIGH.rank()
        ? "CRITICAL and HIGH records are never evicted"
        : Priority.ofRank(rank) + " records are refused above the "
            + Math.round(config.highWatermark() * 100) + "% high watermark";
    return new OutboxFullException("outbox full: " + used + " of " + config.budgetBytes() + " bytes ("
        + mib(used) + " of " + mib(config.budgetBytes()) + ") used, " + now.describePending()
        + "; a " + Priority.ofRank(rank) + " record of " + bytes + " bytes does not fit (" + rule
        + (config.evictLowWhenFull() ? "" : "; LOW eviction is off")
        + "). Deliver or purge records, or raise budgetBytes");
  }

  private boolean fits(int rank, long bytes) {
    double limit = rank <= Priority.HIGH.rank()
        ? config.budgetBytes()
        : config.budgetBytes() * config.highWatermark();
    return used + bytes <= limit;
  }

  /** Deletes the oldest pending LOW records until used is at the low watermark or none are left. */
  void evictLow(Txn txn) throws SQLException {
    long target = (long) (config.budgetBytes() * config.lowWatermark());
    long evicted = 0;
    measure(txn);
    PreparedStatement p = txn.prepare(OLDEST_LOW);
    long[] seqs = new long[EVICT_CHUNK];
    while (used > target) {
      int n = 0;
      long bytes = 0;
      // pending LOW rows below the scan cursor are all leased: start there, skip leased ones
      p.setLong(1, leases.scanFrom(3));
      try (ResultSet rs = p.executeQuery()) {
        while (n < EVICT_CHUNK && rs.next()) {
          long seq = rs.getLong(1);
          if (!leases.isLeased(seq)) {
            seqs[n++] = seq;
            bytes += rs.getLong(2);
          }
        }
      }
      Deliveries.deleteRows(txn, seqs, n);
      if (n == 0) {
        break;
      }
      txn.delta.pending(3, -n, -bytes);
      txn.delta.evicted += n;
      txn.deletedRows = true;
      evicted += n;
      measure(txn);
    }
    if (evicted > 0) {
      log.warn("Outbox {} over budget: evicted the {} oldest pending LOW records, {} of {} now used",
          store, evicted, mib(used), mib(config.budgetBytes()));
    }
  }

  /** Evicts LOW when over the high watermark (housekeeping), if allowed. */
  void evictIfOverHighWatermark(Txn txn, LiveTally live) throws SQLException {
    measure(txn);
    if (config.evictLowWhenFull() && live.pending(3) > 0
        && used > config.budgetBytes() * config.highWatermark()) {
      evictLow(txn);
    }
  }

  private static long single(Statement s, String sql) throws SQLException {
    try (ResultSet rs = s.executeQuery(sql)) {
      rs.next();
      return rs.getLong(1);
    }
  }

  static String mib(long bytes) {
    return String.format(java.util.Locale.ROOT, "%.1f MiB", bytes / 1048576.0);
  }
}
