package dev.outpost.edge.internal;

import dev.outpost.core.Message;
import dev.outpost.core.Priority;
import dev.outpost.edge.DeadLetter;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;

/**
 * The {@code dead_letters} table: listing (on the read connection, a page at a time), retry
 * (back to {@code records} as pending, same seq, attempts 0, no expiry) and purge (deleted for
 * good, counted). Retry and purge run inside a write transaction, under the commit lock.
 * Stateless.
 */
public final class DeadLetterRows {
  private static final String LIST = "SELECT seq, topic, priority, ts, headers, payload, reason,"
      + " attempts, dead_at FROM dead_letters WHERE seq > ? ORDER BY seq LIMIT ?";
  private static final String SIZE = "SELECT priority, length(payload) FROM dead_letters WHERE seq = ?";
  private static final String BACK = "INSERT INTO records (seq, topic, priority, ts, headers, payload, size)"
      + " SELECT seq, topic, priority, ts, headers, payload, length(payload) FROM dead_letters WHERE seq = ?";
  private static final String PURGE = "DELETE FROM dead_letters WHERE seq = ?";

  private DeadLetterRows() {}

  public static List<DeadLetter> list(Connection read, long afterSeq, int limit) throws SQLException {
    List<DeadLetter> out = new ArrayList<>();
    try (PreparedStatement p = read.prepareStatement(LIST)) {
      p.setLong(1, afterSeq);
      p.setInt(2, limit);
      try (ResultSet rs = p.executeQuery()) {
        while (rs.next()) {
          Message m = new Message(rs.getLong(1), rs.getString(2), Priority.ofRank(rs.getInt(3)),
              rs.getLong(4), HeaderCodec.decode(rs.getBytes(5)), rs.getBytes(6));
          out.add(new DeadLetter(m, rs.getString(7), rs.getInt(8), Instant.ofEpochMilli(rs.getLong(9))));
        }
      }
    }
    return out;
  }

  /** Back to pending; the lease scan cursor of the record's priority is lowered to it. */
  static int retry(Txn txn, Collection<Long> seqs, LeaseTable leases) throws SQLException {
    int n = 0;
    for (long seq : seqs) {
      PreparedStatement size = txn.prepare(SIZE);
      size.setLong(1, seq);
      int rank;
      long bytes;
      try (ResultSet rs = size.executeQuery()) {
        if (!rs.next()) {
          continue;
        }
        rank = rs.getInt(1);
        bytes = rs.getLong(2);
      }
      PreparedStatement back = txn.prepare(BACK);
      back.setLong(1, seq);
      back.executeUpdate();
      purgeRow(txn, seq);
      txn.delta.pending(rank, 1, bytes);
      leases.pendingAgain(txn, rank, seq);
      txn.delta.deadLetters--;
      n++;
    }
    return n;
  }

  static int purge(Txn txn, Collection<Long> seqs) throws SQLException {
    int n = 0;
    for (long seq : seqs) {
      if (purgeRow(txn, seq)) {
        txn.delta.deadLetters--;
        txn.delta.purged++;
        n++;
      }
    }
    return n;
  }

  private static boolean purgeRow(Txn txn, long seq) throws SQLException {
    PreparedStatement p = txn.prepare(PURGE);
    p.setLong(1, seq);
    boolean gone = p.executeUpdate() == 1;
    txn.deletedRows |= gone;
    return gone;
  }
}
