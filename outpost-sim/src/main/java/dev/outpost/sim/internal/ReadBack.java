package dev.outpost.sim.internal;

import com.fasterxml.jackson.databind.JsonNode;
import dev.outpost.core.MessageId;
import dev.outpost.core.Priority;
import dev.outpost.core.wire.WireCodec;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.function.Consumer;

/**
 * Pages through the server's read-back API, {@code GET /v1/messages?after=C&limit=N} with the
 * admin token, and hands every record to a consumer in server order. An empty {@code messages}
 * array ends the walk; {@code next} is the cursor of the following page. Read-only; one walk per
 * call; uses the caller's HttpClient (thread-safe).
 */
public final class ReadBack {
  private final HttpClient http;
  private final URI server;
  private final String adminToken;
  private final int pageSize;
  private final Duration timeout;
  private final long maxRecords;

  public ReadBack(
      HttpClient http, URI server, String adminToken, int pageSize, Duration timeout,
      long maxRecords) {
    this.http = http;
    this.server = server;
    this.adminToken = adminToken;
    this.pageSize = pageSize;
    this.timeout = timeout;
    this.maxRecords = maxRecords;
  }

  /** Reads every stored record; returns how many. */
  public long readAll(Consumer<StoredRecord> sink) throws IOException, InterruptedException {
    long after = 0;
    long total = 0;
    while (true) {
      URI uri = server.resolve("/v1/messages?after=" + after + "&limit=" + pageSize);
      HttpRequest request = HttpRequest.newBuilder(uri)
          .timeout(timeout)
          .header("Authorization", "Bearer " + adminToken)
          .header("Accept", WireCodec.JSON)
          .GET()
          .build();
      HttpResponse<byte[]> response = http.send(request, HttpResponse.BodyHandlers.ofByteArray());
      if (response.statusCode() != 200) {
        String body = new String(response.body(), StandardCharsets.UTF_8);
        String hint = response.statusCode() == 401 || response.statusCode() == 403
            ? " (check the admin token)" : "";
        throw new IOException("read-back GET " + uri + " answered " + response.statusCode() + hint
            + ": " + body.substring(0, Math.min(300, body.length())));
      }
      JsonNode page;
      try {
        page = WireCodec.mapper().readTree(response.body());
      } catch (IOException e) {
        throw new IOException("read-back page after " + after + " is not JSON: " + e.getMessage(), e);
      }
      JsonNode messages = page == null ? null : page.get("messages");
      if (messages == null || !messages.isArray()) {
        throw new IOException("read-back page after " + after + " has no 'messages' array");
      }
      if (messages.isEmpty()) {
        return total;
      }
      long last = after;
      for (JsonNode m : messages) {
        StoredRecord r = parse(m, after);
        last = r.serverSeq();
        sink.accept(r);
      }
      total += messages.size();
      long next = page.hasNonNull("next") ? page.get("next").asLong() : last;
      if (next <= after) {
        throw new IOException("read-back cursor did not advance: after=" + after + ", next=" + next);
      }
      if (total > maxRecords) {
        throw new IOException("read-back returned more than " + maxRecords + " records; raise maxRecords");
      }
      after = next;
    }
  }

  private static StoredRecord parse(JsonNode m, long after) throws IOException {
    try {
      MessageId id = new MessageId(
          text(m, "device"), number(m, "epoch"), number(m, "seq"));
      return new StoredRecord(
          number(m, "serverSeq"), id, text(m, "topic"), Priority.parse(text(m, "priority")),
          optionalNumber(m, "ts"), optionalNumber(m, "receivedAt"));
    } catch (IllegalArgumentException e) {
      throw new IOException("read-back record in page after " + after + " is malformed: "
          + e.getMessage() + " in " + m, e);
    }
  }

  private static String text(JsonNode m, String field) {
    JsonNode v = m.get(field);
    if (v == null || !v.isTextual()) {
      throw new IllegalArgumentException("field '" + field + "' is missing or not a string");
    }
    return v.asText();
  }

  private static long optionalNumber(JsonNode m, String field) {
    JsonNode v = m.get(field);
    return v != null && v.isIntegralNumber() ? v.asLong() : -1;
  }

  private static long number(JsonNode m, String field) {
    JsonNode v = m.get(field);
    if (v == null || !v.isIntegralNumber()) {
      throw new IllegalArgumentException("field '" + field + "' is missing or not an integer");
    }
    return v.asLong();
  }
}
