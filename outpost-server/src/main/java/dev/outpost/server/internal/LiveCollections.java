package dev.outpost.server.internal;

import dev.outpost.server.SyncCollections;
import java.util.Optional;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The collections a server serves now. They start from {@code --sync-config} (which is then
 * stored) or, without one, from what the store holds; the admin API replaces them
 * ({@code PUT /v1/sync/config}) and stores them, and every server on the same database picks the
 * stored text up within {@link #refresh() a refresh}. Each request reads {@link #get()} once and
 * keeps that snapshot. Thread-safe.
 */
public final class LiveCollections implements Supplier<SyncCollections> {
  private static final Logger LOG = LoggerFactory.getLogger(LiveCollections.class);
  private final DocStore docs;
  private volatile SyncCollections current;

  /**
   * @param given the server's configured collections; {@link SyncCollections#none()} means none
   *     were given: the stored ones (if any) are served
   */
  public LiveCollections(SyncCollections given, DocStore docs) {
    this.docs = docs;
    if (given != SyncCollections.none()) {
      docs.saveSyncConfig(given.source());
      current = given;
    } else {
      current = docs.syncConfig().map(LiveCollections::stored).orElse(SyncCollections.none());
    }
  }

  @Override
  public SyncCollections get() {
    return current;
  }

  /** Checks {@code text} (a refusal names the key), stores it and serves it from now on. */
  public SyncCollections replace(String text) {
    SyncCollections next = SyncCollections.parse(text, "PUT /v1/sync/config");
    docs.saveSyncConfig(text);
    current = next;
    LOG.info("sync config replaced through the admin API: collections {}", next.all().keySet());
    return next;
  }

  /** Takes up what another server stored; a stored text this server cannot read is logged and skipped. */
  public void refresh() {
    Optional<String> stored = docs.syncConfig();
    if (stored.isPresent() && !stored.get().equals(current.source())) {
      try {
        current = SyncCollections.parse(stored.get(), "the store's sync config");
        LOG.info("sync config changed in the store: collections {}", current.all().keySet());
      } catch (IllegalArgumentException e) {
        LOG.warn("the store's sync config cannot be read, keeping the current one: {}", e.getMessage());
      }
    }
  }

  private static SyncCollections stored(String text) {
    try {
      return SyncCollections.parse(text, "the store's sync config");
    } catch (IllegalArgumentException e) {
      throw new StoreException(e.getMessage() + "; start the server with --sync-config FILE to replace it", e);
    }
  }
}
