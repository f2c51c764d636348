package dev.outpost.agent;

import dev.outpost.agent.ValueType;
import java.util.Locale;
import java.util.Objects;

/**
 * One agent configuration key: its dotted name (as written in the YAML file), its environment
 * variable, its default and what values it allows. The full list is {@link AgentConfig#keys()}.
 * Immutable.
 */
public final class ConfigKey<T> {
  private final String name;
  private final ValueType<T> type;
  private final String defaultText;
  private final String doc;
  private final boolean secret;

  ConfigKey(String name, ValueType<T> type, String defaultText, String doc, boolean secret) {
    this.name = Objects.requireNonNull(name, "name");
    this.type = Objects.requireNonNull(type, "type");
    this.defaultText = defaultText;
    this.doc = Objects.requireNonNull(doc, "doc");
    this.secret = secret;
  }

  /** e.g. {@code outbox.budget-bytes}. */
  public String name() {
    return name;
  }

  /** e.g. {@code OUTPOST_OUTBOX_BUDGET_BYTES}. */
  public String envName() {
    return envName(name);
  }

  /** The default as text, or null when the key has none (required or optional). */
  public String defaultText() {
    return defaultText;
  }

  /** What values are accepted, for messages and docs. */
  public String allowed() {
    return type.allowed();
  }

  public String doc() {
    return doc;
  }

  /** Whether the value must never be printed (the device token). */
  public boolean secret() {
    return secret;
  }

  T parse(String text) {
    return type.parse(text);
  }

  static String envName(String key) {
    return AgentConfig.ENV_PREFIX
        + key.toUpperCase(Locale.ROOT).replace('.', '_').replace('-', '_');
  }

  @Override
  public String toString() {
    return name;
  }
}
