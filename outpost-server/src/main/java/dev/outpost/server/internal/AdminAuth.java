package dev.outpost.server.internal;

import io.helidon.http.HeaderNames;
import io.helidon.webserver.http.ServerRequest;
import java.util.Optional;

/**
 * Guards the read and admin endpoints with the admin bearer token. The token is either
 * configured, or generated on the first start of a store and kept there as a SHA-256 hash (the
 * plaintext is handed out once, by {@link #generatedToken()}). Thread-safe, immutable.
 */
public final class AdminAuth {
  private final String hash;
  private final String generated;

  private AdminAuth(String hash, String generated) {
    this.hash = hash;
    this.generated = generated;
  }

  /** Uses the configured token, else the store's, else makes and stores a new one. */
  public static AdminAuth init(String configured, AdminTokenStore store, Tokens tokens) {
    if (configured != null) {
      return new AdminAuth(Tokens.hash(configured), null);
    }
    Optional<String> existing = store.adminTokenHash();
    if (existing.isPresent()) {
      return new AdminAuth(existing.get(), null);
    }
    String token = tokens.newToken(Tokens.ADMIN_PREFIX);
    String mine = Tokens.hash(token);
    String inForce = store.initAdminTokenHash(mine);
    // Another server on the same database may have won the race: then its token is the one.
    return new AdminAuth(inForce, inForce.equals(mine) ? token : null);
  }

  /** The admin token if this start generated it (show it once), else empty. */
  public Optional<String> generatedToken() {
    return Optional.ofNullable(generated);
  }

  void check(ServerRequest req) {
    String token = Tokens.bearer(req.headers().first(HeaderNames.AUTHORIZATION).orElse(null));
    if (token == null) {
      throw ApiException.unauthorized("missing 'Authorization: Bearer <admin token>' header");
    }
    if (!Tokens.sameHash(hash, Tokens.hash(token))) {
      throw ApiException.unauthorized("wrong admin token");
    }
  }
}
