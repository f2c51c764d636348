package dev.outpost.edge;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.outpost.core.sync.PullPage;
import dev.outpost.edge.internal.SqliteReplica;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Consumer;

/**
 * A device's own copy of the replicated documents it needs, in the outbox's store file: read and
 * written with no network, converging with the server through the change feed (docs/sync-model.md).
 *
 * <p>A local write is durable and atomic with its upload: the document change and the op that
 * carries it up (a {@code $sync} record in the {@link Outbox}) commit in one SQLite transaction,
 * so a crash leaves neither without the other. The ops then go up through the ordinary sync
 * engine: batching, backoff, exactly-once and dead letters. Pulled pages are applied with
 * {@link #apply}: each in one transaction with its cursor, merged by the same rules as the
 * server's, so a local op not yet acknowledged is never lost to a pulled change of its document.
 * Reads never touch the network. Thread-safe.
 */
public interface Replica extends AutoCloseable {

  /** Opens the replica beside {@code outbox} (the one {@link Outbox#open} returned). */
  static Replica open(Outbox outbox, ReplicaConfig config) {
    return SqliteReplica.open(outbox, config);
  }

  /** A configured collection; unknown names are an {@link IllegalArgumentException} listing the known. */
  Documents collection(String name);

  /** This replica's HLC node id: {@code <device>.<store suffix>}, new for every new store file. */
  String node();

  /**
   * Applies a pulled page in one transaction with its cursor: states merged into the local copies,
   * removals dropping them, a {@code resync} starting a snapshot (documents the snapshot does not
   * list are dropped at its end, local writes kept). Observers hear each document it changed;
   * returns how many.
   */
  int apply(PullPage page);

  /** The cursor to pull from next (empty before the first page). */
  Optional<String> cursor();

  /** When a page was last applied (epoch millis; 0 if never): how old the local copy is. */
  long lastPullMillis();

  /**
   * Calls {@code listener} after every committed change of {@code collection}'s documents, local
   * or pulled, on the replica's notification thread (never the writer's, never the caller's).
   * Closing the handle stops it.
   */
  AutoCloseable observe(String collection, Consumer<Change> listener);

  /**
   * The documents of {@code collection} changed after local change number {@code after} (a local
   * write or an applied pull), each at its latest change, in change order: what an app that polls
   * reacts to. A deleted document, and one that left the replica (collected by the server, out of
   * the subscription, or not in a resync's snapshot), comes with a null doc. Complete for any
   * {@code after} at or above {@link #changesCompleteAfter()}.
   */
  List<Change> changesAfter(String collection, long after, int limit);

  /**
   * The lowest {@code after} for which {@link #changesAfter} lists every change: removals older
   * than this were pruned (the newest 100,000 are kept). A poller behind it drops its copy and
   * reads again from 0. 0 while nothing was pruned.
   */
  long changesCompleteAfter();

  /**
   * Local writes not yet acknowledged by the server, by collection (every configured collection,
   * 0 when none wait): with {@link #lastPullMillis()}, how far this copy is from the server's.
   */
  Map<String, Long> pendingOps();

  /**
   * Local writes whose document held times more than the max skew ahead of this device's clock:
   * its clock is far behind (a reset real-time clock); they were stamped after those times anyway.
   */
  long skewedWrites();

  /** The newest local change number handed out (0 before any). */
  long lastChange();

  @Override
  void close();

  /** A committed change: the document's new view (null when deleted or removed) and its local number. */
  record Change(String collection, String id, ObjectNode doc, boolean local, long number) {}

  /** One page of a query: the documents by id, and the id to continue after (null at the end). */
  record Page(List<Doc> docs, String next) {}

  /** A document as a reader sees it. */
  record Doc(String id, ObjectNode fields) {}

  /** One collection's documents. Writes return the document's new view once durable. */
  interface Documents {
    String name();

    /** The document, or empty when absent or deleted. Never touches the network. */
    Optional<ObjectNode> get(String id);

    /** Documents whose fields equal {@code where} (all if empty), by id after {@code afterId}, at most {@code limit}. */
    Page query(Map<String, JsonNode> where, String afterId, int limit);

    /** Replaces the register fields (counters and sets stay). */
    ObjectNode put(String id, ObjectNode fields);

    /** A JSON merge patch, plus {@code {"$inc": n}}, {@code {"$add": [..]}}, {@code {"$remove": [..]}}. */
    ObjectNode patch(String id, ObjectNode patch);

    /** Deletes the document; false if it did not exist. */
    boolean delete(String id);

    ObjectNode increment(String id, String field, long delta);

    ObjectNode add(String id, String field, List<JsonNode> elements);

    ObjectNode remove(String id, String field, List<JsonNode> elements);
  }
}
