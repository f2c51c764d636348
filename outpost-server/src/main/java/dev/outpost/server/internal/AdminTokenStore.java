package dev.outpost.server.internal;

import java.util.Optional;

/** Where a store keeps the server's secrets: the hash of the admin token, the key that signs pull cursors. Thread-safe. */
public interface AdminTokenStore {

  /** Stores {@code value} as the secret {@code name} unless one exists; returns the one in force afterwards. */
  String initSecret(String name, String value);

  /** The stored admin token hash, if one was set. */
  Optional<String> adminTokenHash();

  /** Stores the admin hash unless one exists; returns the one in force afterwards. */
  String initAdminTokenHash(String hash);
}
