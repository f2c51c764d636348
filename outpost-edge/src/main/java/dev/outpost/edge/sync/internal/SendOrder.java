package dev.outpost.edge.sync.internal;

import dev.outpost.core.Message;
import dev.outpost.edge.Lane;
import dev.outpost.edge.Lease;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;

/**
 * Keeps the server's per-lane order while batches pipeline. Batches may be leased ahead (the
 * next records of a lane while its previous batch travels). A batch's predecessors are the
 * unfinished earlier batches that share a (topic, priority) lane with it or hold a more urgent
 * priority. Without chaining, a batch is sent only once every predecessor has been answered in
 * full. If such a predecessor fails, its records are released, and so must be the records of
 * every batch that waits on it: they are later in their lanes.
 *
 * <p>Chaining (when the server honours {@code Outpost-After}, see docs/protocol.md): a batch
 * waits for the full answer of every predecessor but the latest one, its {@code chainTo}; of
 * that one it waits only until its request has started, and is then sent naming it. The server
 * stores the batch only after {@code chainTo} committed, and refuses it (409) if that failed,
 * so two batches of one lane are on the way at once and the order still holds. Every batch
 * carries an id unique across restarts, so a successor can never be matched to an older batch.
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
    private final String id;
    private final CompletableFuture<Boolean> answered = new CompletableFuture<>();
    private final CompletableFuture<Void> sending = new CompletableFuture<>();
    private List<Ticket> predecessors = List.of();
    private Ticket chainTo;
    private CompletableFuture<Void> ready;

    private Ticket(Lease lease, long leasedAtNanos, String id) {
      this.lease = lease;
      this.leasedAtNanos = leasedAtNanos;
      this.id = id;
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

    /** This batch's name on the wire ({@code Outpost-Batch}). */
    public String id() {
      return id;
    }

    /** Completes when {@link SendOrder#decide} can tell whether and how to send. */
    public CompletableFuture<Void> ready() {
      return ready;
    }
  }

  /**
   * What to do with a ready batch.
   *
   * @param send false: a predecessor failed, release the records unsent
   * @param after the id to name in {@code Outpost-After}, or null to send unchained
   */
  public record Go(boolean send, String after) {}

  private final List<Ticket> unfinished = new ArrayList<>();
  private final String idPrefix = newIdPrefix();
  private long registered;
  private long releaseEpoch;

  /** 12 random base-36 characters: batch ids of another run of this device never collide. */
  private static String newIdPrefix() {
    SecureRandom r = new SecureRandom();
    StringBuilder b = new StringBuilder(13);
    for (int i = 0; i < 12; i++) {
      b.append(Character.forDigit(r.nextInt(36), 36));
    }
    return b.append('.').toString();
  }

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
   *
   * @param chaining the server honours {@code Outpost-After}: send behind the latest predecessor
   *     as soon as its request has started, instead of after its answer
   */
  public synchronized Ticket register(Lease lease, long epochBeforeLease, long nowNanos, boolean chaining) {
    if (releaseEpoch != epochBeforeLease) {
      return null;
    }
    Ticket t = new Ticket(lease, nowNanos, idPrefix + Long.toString(++registered, 36));
    // Predecessors: for each of its lanes the latest unanswered batch of that lane (the server
    // orders that one behind the earlier ones already), and every unanswered more urgent batch.
    // unfinished is in register order, so walking it backwards finds each lane's latest first.
    Set<Lane> open = new HashSet<>(t.lanes);
    List<Ticket> preds = new ArrayList<>();
    for (int i = unfinished.size() - 1; i >= 0; i--) {
      Ticket u = unfinished.get(i);
      if (u.answered.isDone()) {
        continue; // answered: no longer a predecessor (see answered())
      }
      boolean latestOfALane = !open.isEmpty() && open.removeIf(u.lanes::contains);
      if (latestOfALane || u.topRank < t.topRank) {
        preds.add(0, u);
      }
    }
    unfinished.add(t);
    t.predecessors = List.copyOf(preds);
    t.chainTo = chaining && !preds.isEmpty() ? preds.get(preds.size() - 1) : null;
    List<CompletableFuture<?>> waits = new ArrayList<>(preds.size());
    for (Ticket p : preds) {
      waits.add(p == t.chainTo ? p.sending : p.answered);
    }
    t.ready = CompletableFuture.allOf(waits.toArray(new CompletableFuture<?>[0]));
    return t;
  }

  /**
   * Once {@link Ticket#ready()}: release if a predecessor failed; else send, naming
   * {@code chainTo} if it is still unanswered (the server then orders the two).
   */
  public Go decide(Ticket t) {
    for (Ticket p : t.predecessors) {
      if (p.answered.isDone() && !p.answered.join()) {
        return new Go(false, null);
      }
    }
    Ticket c = t.chainTo;
    return new Go(true, c != null && !c.answered.isDone() ? c.id : null);
  }

  /**
   * True if the batch {@code t} was chained to has been answered in full: a 409 for {@code t}
   * then means the server did not know that batch (restarted, or another server behind a load
   * balancer took it), not that it failed.
   */
  public boolean chainedToStored(Ticket t) {
    Ticket c = t.chainTo;
    return c != null && c.answered.isDone() && c.answered.join();
  }

  /**
   * Blocks until the batch {@code t} was chained to has been answered; true if it was answered in
   * full (every record stored or settled), also when {@code t} was not chained.
   */
  public boolean awaitChainedTo(Ticket t) {
    Ticket c = t.chainTo;
    return c == null || c.answered.join();
  }

  /** The batch's first request is about to go: a successor chained to it may follow. */
  public void sending(Ticket t) {
    t.sending.complete(null);
  }

  /**
   * The server answered every record of the batch ({@code ok}), or not (its unanswered records
   * were released before this call). Successors may go (or must release) from here on.
   */
  public void answered(Ticket t, boolean ok) {
    // From here on no longer a predecessor of later leases. With chaining a batch can be answered
    // (refused, or released unsent) while an earlier batch of its lane is still on its way: that
    // one is then the lane's latest unanswered batch again, so the next lease waits for it.
    t.answered.complete(ok); // not under the monitor: successors start on other threads
    t.sending.complete(null); // released unsent: a chained successor must see the answer first
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
