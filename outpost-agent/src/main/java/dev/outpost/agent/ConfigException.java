package dev.outpost.agent;

/**
 * The agent configuration is invalid. The message names the key, where its value came from and
 * the allowed values, e.g. {@code config key 'outbox.budget-bytes' (from env
 * OUTPOST_OUTBOX_BUDGET_BYTES): '5XB' is not a size (allowed: a size from 1MiB to 1024GiB, ...)}.
 * Nothing was opened or written when it is thrown.
 */
public final class ConfigException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  public ConfigException(String message) {
    super(message);
  }

  public ConfigException(String message, Throwable cause) {
    super(message, cause);
  }
}
