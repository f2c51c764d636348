package dev.outpost.edge.internal;

import dev.outpost.core.Message;
import dev.outpost.edge.Lane;
import dev.outpost.edge.Lease;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;

/**
 * Keeps the server's per-lane order while batches pipeline. Batches may be leased ahead (the
 * next records of a lane while its previous batch travels), but a batch is sent only once every
 * unfinished earlier batch that shares a (topic, priority) lane with it, or holds a more urgent
 * priority, has been answered in full. If such a predecessor fails, its records are released,
 * and so must be the records of every batch that waits on it: they are later in their lanes.
 *
 * <p>A release makes earlier records pending again, so a lease taken concurrently with a
 * release may hold records that now come after pending ones: {@link #register} refuses a lease
 * if any release began since {@link #releaseEpoch()} was read before leasing. Every release must
 * be announced with {@link #releasing()} before the outbox call.
 *
 * <p>Thread-safe (all state under this object's monitor). Holds no records; on a crash the
 * outbox's leases simply time out.
 */
public final class SendOrder {

  /** One leased batch on its way. */
  public static final class Ticket {
    private final Lease lease;
    private final Set<Lane> lanes;
    private final int topRank;
    private final long leasedAtNanos;
    private final CompletableFuture<Boolean> answered = new CompletableFuture<>();
    private CompletableFuture<Boolean> predecessorsOk;

    private Ticket(Lease lease, long leasedAtNanos) {
      this.lease = lease;
      this.leasedAtNanos = leasedAtNanos;
      Set<Lane> l = new HashSet<>();
      int top = Integer.MAX_VALUE;
      for (Message m : lease.messages()) {
        l.add(new Lane(m.topic(), m.priority()));
        top = Math.min(top, m.priority().rank());
      }
      this.lanes = Set.copyOf(l);
      this.topRank = top;
    }

    public Lease lease() {
      return lease;
    }

    public long leasedAtNanos() {
      return leasedAtNanos;
    }

    /** Completes true when every predecessor was answered in full, false if one failed. */
    public CompletableFuture<Boolean> predecessorsOk() {
      return predecessorsOk;
    }
  }

  private final Map<Lane, Ticket> lastOfLane = new HashMap<>();
  private final List<Ticket> unfinished = new ArrayList<>();
  private long releaseEpoch;

  /** Read before leasing; pass to {@link #register}. */
  public synchronized long releaseEpoch() {
    return releaseEpoch;
  }

  /** Call before releasing records in the outbox. */
  public synchronized void releasing() {
    releaseEpoch++;
  }

  /**
   * Registers a fresh lease, or returns null if a release began since {@code epochBeforeLease}
   * (the caller must then release the lease without sending it).
   */
  public synchronized Ticket register(Lease lease, long epochBeforeLease, long nowNanos) {
    if (releaseEpoch != epochBeforeLease) {
      return null;
    }
    Ticket t = new Ticket(lease, nowNanos);
    Set<Ticket> deps = new HashSet<>();
    for (Lane lane : t.lanes) {
      Ticket prev = lastOfLane.put(lane, t);
      if (prev != null) {
        deps.add(prev);
      }
    }
    for (Ticket u : unfinished) {
      if (u.topRank < t.topRank && !u.answered.isDone()) {
        deps.add(u); // most urgent first, also across batches in flight
      }
    }
    unfinished.add(t);
    if (deps.isEmpty()) {
      t.predecessorsOk = CompletableFuture.completedFuture(true);
    } else {
      List<CompletableFuture<Boolean>> fs = deps.stream().map(d -> d.answered).toList();
      t.predecessorsOk = CompletableFuture.allOf(fs.toArray(new CompletableFuture<?>[0]))
          .thenApply(v -> fs.stream().allMatch(CompletableFuture::join));
    }
    return t;
  }

  /**
   * The server answered every record of the batch ({@code ok}), or not (its unanswered records
   * were released before this call). Successors may go (or must release) from here on.
   */
  public void answered(Ticket t, boolean ok) {
    synchronized (this) {
      for (Lane lane : t.lanes) {
        lastOfLane.remove(lane, t);
      }
    }
    t.answered.complete(ok); // outside the monitor: successors start on other threads
  }

  /** The batch is fully settled in the outbox: it no longer counts as in flight. */
  public synchronized void finished(Ticket t) {
    unfinished.remove(t);
  }

  /** Batches leased and not yet settled. */
  public synchronized int inFlight() {
    return unfinished.size();
  }
}
