package dev.outpost.edge;

import dev.outpost.core.Priority;
import java.time.Duration;
import java.util.Map;

/**
 * A record to append in a batch.
 *
 * @param ttl how long the record may wait for delivery before it expires; null uses the
 *     priority's default from {@link OutboxConfig}
 */
public record NewRecord(String topic, byte[] payload, Priority priority, Map<String, String> headers, Duration ttl) {
  public NewRecord {
    headers = headers == null ? Map.of() : headers;
  }

  public NewRecord(String topic, byte[] payload, Priority priority) {
    this(topic, payload, priority, Map.of(), null);
  }
}
