package dev.outpost.edge.internal;

import dev.outpost.edge.OutboxConfig;
import dev.outpost.sqlite.WalCheckpointer;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Housekeeping, run on the writer thread between group commits: leases past their deadline back
 * to pending, expired records (TTL) deleted and counted (pending ones only: a record in flight
 * is left to its ack or its lease's end), acked records past their retention
 * deleted, LOW evicted when over the high watermark, then free pages returned to the file system
 * ({@code PRAGMA incremental_vacuum}) and the WAL checkpointed and truncated. Deletes go in
 * chunks of {@value #CHUNK} rows, each its own transaction, at most {@value #MAX_CHUNKS} chunks
 * per run, so memory and the pause seen by appends stay bounded; {@link #run} returns true when
 * work is left for another run.
 *
 * <p>When to vacuum ({@link #worthVacuuming}): while the disk is full, as soon as any page is free;
 * otherwise only when at least {@value #VACUUM_FREE_PAGES} pages are free AND the free pages are at
 * least {@value #VACUUM_FREE_TO_USED} times the pages in use ({@code page_count - freelist_count}),
 * AND either the pages in use fit one run's slice ({@value #VACUUM_PAGES_PER_RUN}) or no drain is
 * about to delete them anyway. An incremental vacuum first moves live pages from the end of the
 * file into the free holes, then truncates. During a drain the acks free the oldest records (the
 * front of the file) while the records not yet sent sit at the end: vacuuming then would copy
 * records that are about to be deleted anyway (measured: ~2.3 of ~6.6 us per record of a
 * 1M-record drain), and the free pages are reused by new appends anyway. The ratio alone let a
 * vacuum start in the last fifth of a long drain and move all of its unsent records: in a
 * 3M-record drain that cost 6.8 s of the writer's CPU (2.3 us per record; 110k instead of 210k
 * records/s) whenever a run fell in that window. So while acks come in fast enough to delete
 * every live record within {@value #DRAIN_WAIT_RUNS} housekeeping intervals, the vacuum waits:
 * the drain frees those pages itself, and the next run after it ends (or stalls) gives the space
 * back with few moves. The WAL is truncated every run.
 *
 * <p>Runs under the writer's lock ({@code CommitLoop}'s {@code SingleWriter}). A crash mid-run loses nothing: each chunk commits alone.
 */
final class Housekeeper {
  private static final Logger log = LoggerFactory.getLogger(Housekeeper.class);
  static final int CHUNK = 5000;
  static final int MAX_CHUNKS = 20;
  /** Fewest free pages worth a vacuum when the disk is not full. */
  static final long VACUUM_FREE_PAGES = 256;
  /**
   * Free pages must also be at least this many times the pages in use: a vacuum moves up to the
   * live pages at the end of the file, which mid-drain are records about to be acked and deleted.
   */
  static final long VACUUM_FREE_TO_USED = 4;
  /**
   * Most pages one run vacuums (8 MiB, some tens of ms) unless the disk is full: the writer is
   * held while it runs, so a large vacuum (100k pages took 1.6 s) goes in slices with appends
   * and acks in between, one run after the other.
   */
  static final long VACUUM_PAGES_PER_RUN = 2048;
  /** Most pages one vacuum transaction frees: 4 MiB, half the writer's page cache (see reclaimSpace). */
  static final long VACUUM_PAGES_PER_TXN = 1024;
  /**
   * A drain that will have acked every live record within this many housekeeping intervals, at
   * the pace since the last run, frees the pages a vacuum would move: the vacuum waits for it.
   */
  static final int DRAIN_WAIT_RUNS = 4;
  private static final String EXPIRED = "SELECT seq, priority, size FROM records"
      + " INDEXED BY records_expiry WHERE expires_at <= ? AND state = 0";
  private static final String FORGET = "DELETE FROM records WHERE seq IN (SELECT seq FROM records"
      + " WHERE state = 2 AND lease_until <= ? LIMIT " + CHUNK + ")";

  private final CommitLoop loop;
  private final Deliveries deliveries;
  private final LeaseTable leases;
  private final Budget budget;
  private final LiveTally live;
  private final OutboxConfig config;
  private final DiskReserve reserve;
  private final String store;
  private final WalCheckpointer checkpointer;
  /** The ack count and time at the previous run: the drain's pace (writer thread only). */
  private long ackedAtLastRun;
  private long lastRunAt;

  Housekeeper(CommitLoop loop, Deliveries deliveries, LeaseTable leases, Budget budget, LiveTally live,
      OutboxConfig config, DiskReserve reserve, String store, WalCheckpointer checkpointer) {
    this.checkpointer = checkpointer;
    this.loop = loop;
    this.deliveries = deliveries;
    this.leases = leases;
    this.budget = budget;
    this.live = live;
    this.config = config;
    this.reserve = reserve;
    this.store = store;
    this.lastRunAt = config.clock().millis();
  }

  /** One bounded run; true when rows are left for the next run. */
  boolean run() throws SQLException {
    loop.inTransaction(deliveries::requeueTimedOut);
    long expired = 0;
    int chunks = 0;
    int n;
    do {
      n = loop.inTransaction(this::expireChunk);
      expired += n;
    } while (n == CHUNK && ++chunks < MAX_CHUNKS);
    if (expired > 0) {
      log.warn("Outbox {}: {} records expired (TTL passed before delivery) and were removed", store, expired);
    }
    if (config.ackedRetention().isPositive()) {
      long cutoff = config.clock().millis() - config.ackedRetention().toMillis();
      do {
        n = loop.inTransaction(txn -> forgetChunk(txn, cutoff));
      } while (n == CHUNK && ++chunks < MAX_CHUNKS);
    }
    loop.inTransaction(txn -> {
      budget.evictIfOverHighWatermark(txn, live);
      return null;
    });
    boolean morePages = reclaimSpace(reserve.full() ? Long.MAX_VALUE : VACUUM_PAGES_PER_RUN, drainEndsSoon());
    return chunks >= MAX_CHUNKS || morePages;
  }

  /**
   * Whether acks, at their pace since the last run, delete every live record (pending and in
   * flight) within {@value #DRAIN_WAIT_RUNS} housekeeping intervals.
   */
  private boolean drainEndsSoon() {
    long now = config.clock().millis();
    long acked = deliveries.ackedSinceOpen();
    long ackedSince = acked - ackedAtLastRun;
    long elapsed = Math.max(1, now - lastRunAt);
    ackedAtLastRun = acked;
    lastRunAt = now;
    long liveRecords = live.live();
    long waitMillis = DRAIN_WAIT_RUNS * config.housekeepingInterval().toMillis();
    return ackedSince > 0 && (double) ackedSince / elapsed * waitMillis >= liveRecords;
  }

  /** Deletes up to CHUNK pending expired rows; rows in flight (leased) are left alone. */
  private int expireChunk(Txn txn) throws SQLException {
    PreparedStatement p = txn.prepare(EXPIRED);
    p.setLong(1, txn.now);
    long[] seqs = new long[CHUNK];
    int n = 0;
    try (ResultSet rs = p.executeQuery()) {
      while (n < CHUNK && rs.next()) {
        long seq = rs.getLong(1);
        if (!leases.isLeased(seq)) {
          seqs[n++] = seq;
          txn.delta.pending(rs.getInt(2), -1, -rs.getLong(3));
        }
      }
    }
    Deliveries.deleteRows(txn, seqs, n);
    txn.delta.expired += n;
    return n;
  }

  private int forgetChunk(Txn txn, long cutoff) throws SQLException {
    PreparedStatement p = txn.prepare(FORGET);
    p.setLong(1, cutoff);
    int n = p.executeUpdate();
    txn.delta.retained -= n;
    txn.deletedRows |= n > 0;
    return n;
  }

  /**
   * Gives up to {@code maxPages} free pages back to the file system when {@link #worthVacuuming}
   * says so (true: more are left for another run; {@code drainEndsSoon}: acks are deleting the
   * live records fast, see the class comment), and always
   * truncates the WAL. While the disk is full every free page counts (the reserve comes back only
   * once the file system has room), and the vacuum transaction goes through the writer's recovery
   * (rollback, reopen) like any other.
   */
  boolean reclaimSpace(long maxPages, boolean drainEndsSoon) throws SQLException {
    long free;
    long used;
    try (Statement s = loop.connection().connection().createStatement()) {
      free = freePages(s);
      used = pageCount(s) - free;
    }
    boolean more = false;
    if (worthVacuuming(free, used, reserve.full(), drainEndsSoon)) {
      long before = free;
      long target = Math.max(0, free - maxPages);
      long after = before;
      // One transaction per VACUUM_PAGES_PER_TXN pages: a page the vacuum frees is dirtied on
      // its way off the free list, and a transaction that dirties more pages than the page cache
      // holds spills them into the WAL before COMMIT (which otherwise skips the pages past the
      // new end of the file). Freeing 197 MB in one transaction wrote 194 MB of WAL first: on a
      // full disk that is room the store does not have.
      for (long txns = 0; after > target && txns <= (before - target) / VACUUM_PAGES_PER_TXN + 4; txns++) {
        long from = after;
        long goal = Math.max(target, from - VACUUM_PAGES_PER_TXN);
        long left = loop.inTransaction(txn -> vacuumTo(txn, goal, from));
        if (left >= from) {
          break; // nothing freed: nothing more to free this run
        }
        after = left;
      }
      more = target > 0; // stopped at the slice: the rest in the next run
      log.debug("Outbox {}: returned {} free pages to the file system{}", store, before - after,
          more ? ", more next run" : "");
    }
    if (!checkpointer.checkpoint(loop.connection().connection(), "TRUNCATE")) {
      log.debug("Outbox {}: WAL checkpoint was busy; it will be retried", store);
    }
    return more;
  }

  /**
   * The vacuum rule: on a full disk any free page; otherwise {@value #VACUUM_FREE_PAGES}+ free pages
   * that are also {@value #VACUUM_FREE_TO_USED}+ times the pages in use (so not mid-drain, when the
   * vacuum would move the unsent records at the end of the file into the holes at the front), and,
   * while a drain is about to delete the live records anyway, only if they fit one run's slice.
   */
  static boolean worthVacuuming(long freePages, long usedPages, boolean diskFull, boolean drainEndsSoon) {
    if (diskFull) {
      return freePages >= 1;
    }
    if (freePages < VACUUM_FREE_PAGES || freePages < VACUUM_FREE_TO_USED * usedPages) {
      return false;
    }
    return !drainEndsSoon || usedPages <= VACUUM_PAGES_PER_RUN;
  }

  /**
   * Frees pages from the end of the file until {@code goal} free pages are left ({@code free}
   * now); returns the free pages left. sqlite-jdbc steps this pragma once per execute and each
   * step frees one page, so it is stepped once per page, a few rounds at most.
   */
  private static long vacuumTo(Txn txn, long goal, long free) throws SQLException {
    long left = free;
    // not cached: the pragma's statement stays in progress until closed, and COMMIT needs none
    try (Statement s = txn.connection.createStatement();
        PreparedStatement vacuum = txn.connection.prepareStatement("PRAGMA incremental_vacuum")) {
      for (int round = 0; round < 4 && left > goal; round++) {
        for (long i = goal; i < left; i++) {
          vacuum.execute();
        }
        left = freePages(s);
      }
    }
    return left;
  }

  private static long pageCount(Statement s) throws SQLException {
    try (ResultSet rs = s.executeQuery("PRAGMA page_count")) {
      return rs.next() ? rs.getLong(1) : 0;
    }
  }

  private static long freePages(Statement s) throws SQLException {
    try (ResultSet rs = s.executeQuery("PRAGMA freelist_count")) {
      return rs.next() ? rs.getLong(1) : 0;
    }
  }
}
