package dev.outpost.server.internal;

import java.util.Optional;

/** Where a store keeps the hash of the admin token. Thread-safe. */
public interface AdminTokenStore {

  /** The stored admin token hash, if one was set. */
  Optional<String> adminTokenHash();

  /** Stores the admin hash unless one exists; returns the one in force afterwards. */
  String initAdminTokenHash(String hash);
}
