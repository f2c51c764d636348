package dev.outpost.server.internal;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.outpost.core.sync.SyncBinary;
import java.io.IOException;
import dev.outpost.core.sync.Document;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Function;

/**
 * The server's replicated documents and their change feed. Every change to a document gives it
 * the next feed position ({@code seq}); one transaction takes consecutive positions, and a
 * position is only ever visible once its transaction committed, in commit order (the next
 * transaction waits for the feed head until the last one committed). So a reader that got position
 * 105 can never later see 100 appear: no pull cursor skips a row. Thread-safe.
 */
public interface DocStore {

  /**
   * A document as stored; its state stays bytes and its view JSON text until asked for (a binary
   * pull passes the state through as it is).
   *
   * @param seq its feed position: the change that made this state
   * @param txEnd the last feed position its transaction took (a pull page ends at one)
   * @param stateBytes the whole merge state ({@link SyncBinary})
   * @param viewJson what a reader sees, or null when deleted
   */
  record StoredDoc(String collection, String id, byte[] stateBytes, String viewJson, long seq, long txEnd) {
    private static final ObjectMapper JSON = new ObjectMapper();

    /** The merge state, decoded. */
    public Document state() {
      try {
        return SyncBinary.decode(collection, id, stateBytes);
      } catch (IllegalArgumentException e) {
        throw new StoreException("document " + collection + "/" + id + " has an unreadable state: " + e.getMessage(), e);
      }
    }

    /** The view, or null when deleted. */
    public ObjectNode view() {
      return viewJson == null ? null : (ObjectNode) parse(viewJson);
    }

    private JsonNode parse(String json) {
      try {
        return JSON.readTree(json);
      } catch (IOException e) {
        throw new StoreException("document " + collection + "/" + id + " has unreadable JSON: " + e.getMessage(), e);
      }
    }
  }

  /**
   * A register field two writers changed without seeing each other's write ({@code manual}
   * collections). Values are JSON text (null: the field was absent); times are HLCs, whose node
   * says who wrote.
   */
  record ConflictRow(long id, String collection, String docId, String field, String current, String currentAt,
      String proposed, String proposedAt, long createdAt, Long resolvedAt, String resolution) {}

  /** The sync config text the admin API or {@code --sync-config} stored last, if any. */
  Optional<String> syncConfig();

  /** Stores the sync config text (replacing what was stored). */
  void saveSyncConfig(String text);

  /** How many conflicts wait for a person. */
  long openConflicts();

  /** Conflicts with id after {@code afterId}, by id; only unresolved ones if {@code openOnly}. */
  List<ConflictRow> conflicts(boolean openOnly, long afterId, int limit);

  /**
   * Resolves an open conflict in one transaction: {@code resolve} gets the document and the
   * conflict and changes the document (the chosen value, as a new write); the document is written
   * at a new feed position and the conflict marked resolved with {@code resolution}. Empty if
   * there is no such conflict; {@link IllegalStateException} if it was resolved already.
   */
  Optional<Document> resolve(long conflictId, java.util.function.BiConsumer<Document, ConflictRow> resolve,
      String resolution, long now);

  /** What one update changes: the documents' new states; the result is handed back to the caller. */
  record Change<T>(List<Document> changed, T result) {}

  Optional<StoredDoc> get(String collection, String id);

  /** Existing (not deleted) documents of a collection with id after {@code afterId} (null: from the start), by id. */
  List<StoredDoc> list(String collection, String afterId, int limit);

  /**
   * Reads the current states of some documents of a collection (new empty ones for those absent),
   * lets {@code change} decide, and writes every changed document with new, consecutive feed
   * positions, all in one transaction. What {@code change} throws leaves everything as it was.
   */
  <T> T update(String collection, Collection<String> ids, Function<Map<String, Document>, Change<T>> change);

  /** {@link #update(String, Collection, Function)} of one document. */
  default <T> T update(String collection, String id, Function<Document, Change<T>> change) {
    return update(collection, List.of(id), docs -> change.apply(docs.get(id)));
  }

  /**
   * Changes after feed position {@code after} in the given collections, in feed order, at most
   * about {@code limit}: a page never ends inside a transaction, so it may hold a few more.
   */
  List<StoredDoc> feed(long after, int limit, Set<String> collections);

  /** The last feed position handed out (0 before the first change). */
  long feedHead();

  /**
   * Removes the tombstones of documents deleted before {@code beforeMillis} (by their HLC) and
   * returns how many. A cursor at or below the highest position removed missed those deletions:
   * the feed answers it with a resync ({@link #compactedHead()}).
   */
  long compact(long beforeMillis);

  /** The highest feed position compaction removed (0: none). */
  long compactedHead();

  /** Waits until the feed head is past {@code after}, at most {@code timeoutMillis}; returns the head. */
  long awaitPast(long after, long timeoutMillis);
}
