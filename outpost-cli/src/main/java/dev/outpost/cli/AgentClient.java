package dev.outpost.cli;

import com.fasterxml.jackson.databind.JsonNode;
import dev.outpost.agent.AgentLock;
import dev.outpost.agent.StatusDocument;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;

/**
 * Talks to the agent running on a data dir (found through its {@code agent.lock}) over its local
 * API. Operator commands write through it while an agent runs, so the live outbox stays the only
 * writer and its counters stay right. Immutable.
 */
final class AgentClient {
  private final String api;
  private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

  private AgentClient(String api) {
    this.api = api;
  }

  /** The running agent's client; empty when no agent holds the data dir. */
  static Optional<AgentClient> find(Path dataDir) {
    Optional<AgentLock.Running> running = AgentLock.probe(dataDir);
    if (running.isEmpty()) {
      return Optional.empty();
    }
    if (running.get().api() == null) {
      throw new IllegalStateException("an agent holds " + dataDir + " but has not published its API address yet;"
          + " try again in a moment");
    }
    return Optional.of(new AgentClient(running.get().api()));
  }

  String api() {
    return api;
  }

  JsonNode get(String path) {
    return send(HttpRequest.newBuilder(URI.create(api + path)).GET());
  }

  JsonNode post(String path, String json) {
    return send(HttpRequest.newBuilder(URI.create(api + path)).header("Content-Type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofString(json)));
  }

  private JsonNode send(HttpRequest.Builder request) {
    try {
      HttpResponse<String> r = http.send(request.timeout(Duration.ofSeconds(60)).build(),
          HttpResponse.BodyHandlers.ofString());
      JsonNode body = StatusDocument.JSON.readTree(r.body());
      if (r.statusCode() >= 300) {
        throw new IllegalStateException("the agent at " + api + " answered " + r.statusCode() + ": "
            + body.at("/error/message").asText(r.body()));
      }
      return body;
    } catch (IOException e) {
      throw new IllegalStateException("cannot reach the agent's API at " + api + ": " + e, e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted", e);
    }
  }
}
