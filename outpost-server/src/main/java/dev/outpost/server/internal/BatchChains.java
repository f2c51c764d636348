package dev.outpost.server.internal;

import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.regex.Pattern;

/**
 * Chained ingest: a device names a batch ({@code Outpost-Batch: id}) and the batch it must come
 * after ({@code Outpost-After: id}). A chained batch is queued for the store only behind its
 * predecessor, and the store commits it only if the predecessor commits (same group commit or
 * a later one, see {@link GroupCommitter}), so a device may have several batches of the same
 * lanes on the way at once and the store still sees every lane in order. If the predecessor
 * fails (or never arrives), the successor fails too (409 {@code predecessor_not_stored}) and
 * the device sends both again. See docs/protocol.md, "Chained sends".
 *
 * <p>Remembers, per device, its last {@value #PER_DEVICE} named batches: in memory only. After
 * a restart every predecessor is unknown, so chained successors wait {@code arrivalWait} and
 * fail: safe (nothing out of order is stored), and the device resends.
 *
 * <p>Thread-safe.
 */
final class BatchChains {
  static final int PER_DEVICE = 256;
  private static final Pattern ID = Pattern.compile("[A-Za-z0-9._:-]{1,64}");
  private static final CompletableFuture<Object> NOT_STORED =
      CompletableFuture.failedFuture(new PredecessorNotStoredException());

  /** One named batch: whether its request has reached the server, and its commit once queued. */
  static final class Link {
    private final CompletableFuture<Void> arrived = new CompletableFuture<>();
    private final CompletableFuture<CompletableFuture<?>> queued = new CompletableFuture<>();

    /**
     * The batch is queued for the store; {@code commit} completes at its commit or failure. Only
     * the outcome is kept, not the commit's per-record flags (one per record, for 256 batches of
     * every device). The outcome is a plain (not async) dependent of the commit: done as soon as
     * the commit is, as {@link GroupCommitter} expects of a predecessor's future.
     */
    void queued(CompletableFuture<?> commit) {
      arrived.complete(null);
      queued.complete(commit.thenApply(flags -> null));
    }

    /** The batch ended before it was queued (refused, or the request broke): not stored. */
    void failedUnlessQueued() {
      arrived.complete(null);
      queued.complete(NOT_STORED);
    }
  }

  private final Map<String, Map<String, Link>> byDevice = new ConcurrentHashMap<>();

  /** Checks a header value; null when absent. */
  static String id(String header, String value) {
    if (value == null) {
      return null;
    }
    if (!ID.matcher(value).matches()) {
      throw ApiException.badRequest("bad_chain_header",
          header + " must be 1 to 64 characters of A-Z a-z 0-9 . _ : -, was '"
              + value.substring(0, Math.min(80, value.length())) + "'");
    }
    return value;
  }

  /**
   * A batch named {@code id} has arrived; the caller must end it with {@link Link#queued} or
   * {@link Link#failedUnlessQueued} on every path.
   * A name seen before starts afresh (successors that already waited on the old one keep its
   * outcome).
   */
  Link arrived(String device, String id) {
    Map<String, Link> links = links(device);
    synchronized (links) {
      Link l = links.get(id);
      if (l == null || l.arrived.isDone()) {
        l = new Link();
        links.remove(id); // re-insert: the newest is evicted last
        links.put(id, l);
      }
      l.arrived.complete(null);
      return l;
    }
  }

  /**
   * Waits until the batch {@code after} of {@code device} is queued for the store, and returns
   * its commit future (which may already have failed); a failed future if it does not arrive
   * within {@code arrivalWait} (it may travel on another connection and be overtaken) or is not
   * queued within {@code queueWait}.
   */
  CompletableFuture<?> awaitQueued(String device, String after, Duration arrivalWait, Duration queueWait)
      throws InterruptedException {
    Link l;
    Map<String, Link> links = links(device);
    synchronized (links) {
      l = links.computeIfAbsent(after, k -> new Link());
    }
    try {
      l.arrived.get(arrivalWait.toNanos(), TimeUnit.NANOSECONDS);
      return l.queued.get(queueWait.toNanos(), TimeUnit.NANOSECONDS);
    } catch (TimeoutException | ExecutionException e) {
      return NOT_STORED;
    }
  }

  private Map<String, Link> links(String device) {
    return byDevice.computeIfAbsent(device, d -> new LinkedHashMap<>(64, 0.75f, false) {
      @Override
      protected boolean removeEldestEntry(Map.Entry<String, Link> eldest) {
        // a waiter holds its Link itself; an evicted one it waits on just times out
        return size() > PER_DEVICE;
      }
    });
  }
}
