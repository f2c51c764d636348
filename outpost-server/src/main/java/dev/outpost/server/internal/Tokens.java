package dev.outpost.server.internal;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.HexFormat;

/**
 * Bearer tokens: 32 random bytes, base64url, with a prefix that says what they are for ({@code
 * opd_} device, {@code opa_} admin). Only their SHA-256 is ever stored: the tokens are
 * high-entropy, so a plain hash is enough (no salt or slow KDF needed). Thread-safe.
 */
public final class Tokens {
  public static final String DEVICE_PREFIX = "opd_";
  public static final String ADMIN_PREFIX = "opa_";

  private final SecureRandom random;

  public Tokens(SecureRandom random) {
    this.random = random;
  }

  public String newToken(String prefix) {
    byte[] b = new byte[32];
    random.nextBytes(b);
    return prefix + Base64.getUrlEncoder().withoutPadding().encodeToString(b);
  }

  /** Lower-case hex SHA-256 of the token's UTF-8 bytes. */
  public static String hash(String token) {
    try {
      MessageDigest md = MessageDigest.getInstance("SHA-256");
      return HexFormat.of().formatHex(md.digest(token.getBytes(StandardCharsets.UTF_8)));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 missing from this JDK", e);
    }
  }

  /** Compares two hashes in time that does not depend on where they differ. */
  public static boolean sameHash(String a, String b) {
    return a != null
        && b != null
        && MessageDigest.isEqual(a.getBytes(StandardCharsets.US_ASCII), b.getBytes(StandardCharsets.US_ASCII));
  }

  /** The token of an {@code Authorization: Bearer ...} header, or null. */
  public static String bearer(String authorization) {
    if (authorization == null) {
      return null;
    }
    String a = authorization.trim();
    if (a.length() > 7 && a.regionMatches(true, 0, "Bearer ", 0, 7)) {
      String t = a.substring(7).trim();
      return t.isEmpty() || t.length() > 512 ? null : t;
    }
    return null;
  }
}
