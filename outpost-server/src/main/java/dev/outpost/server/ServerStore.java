package dev.outpost.server;

import dev.outpost.server.internal.DeviceRegistry;
import dev.outpost.server.internal.PostgresStore;
import dev.outpost.server.internal.SqliteStore;
import dev.outpost.server.internal.Store;
import dev.outpost.server.internal.Tokens;
import java.security.SecureRandom;
import java.util.List;
import java.util.Objects;

/**
 * The server's store opened without the HTTP server: what {@code outpost device} and {@code
 * outpost export} use, and what {@link OutpostServer} runs on. The SQLite store may be opened by
 * the CLI while a server runs on it (SQLite locking makes the writes take turns). Thread-safe.
 */
public final class ServerStore implements AutoCloseable {
  private final Store store;
  private final DeviceRegistry devices;

  private ServerStore(Store store, ServerConfig config) {
    this.store = store;
    this.devices = new DeviceRegistry(store.devices(), new Tokens(new SecureRandom()), config.clock(), config.authCacheTtl());
  }

  /** Opens (and creates or migrates) the store the config names. */
  public static ServerStore open(ServerConfig config) {
    Store s =
        switch (config.store()) {
          case SQLITE -> SqliteStore.open(config.dataDir(), config.storeTimeout());
          case POSTGRES -> PostgresStore.open(config.pgUrl(), config.pgPoolSize(), config.storeTimeout());
        };
    return new ServerStore(s, config);
  }

  public Devices devices() {
    return devices;
  }

  /**
   * Up to {@code limit} records with serverSeq greater than {@code after}, in server order. A page
   * stops early once it holds about 16 MiB, so only an empty page means "nothing more".
   *
   * @param device only this device's records, or null for all
   * @param topic only this topic's records, or null for all
   */
  public List<StoredRecord> page(long after, int limit, String device, String topic) {
    if (after < 0) {
      throw new IllegalArgumentException("after must be >= 0, was " + after);
    }
    if (limit < 1) {
      throw new IllegalArgumentException("limit must be >= 1, was " + limit);
    }
    return store.page(after, limit, device, topic);
  }

  Store internal() {
    return store;
  }

  DeviceRegistry registry() {
    return devices;
  }

  @Override
  public void close() {
    store.close();
  }

  @Override
  public String toString() {
    return "ServerStore{" + Objects.toString(store.getClass().getSimpleName()) + "}";
  }
}
