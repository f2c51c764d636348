package dev.outpost.agent;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.outpost.core.Priority;
import dev.outpost.edge.OutboxStats;
import dev.outpost.agent.UplinkStatus;
import java.time.Instant;

/**
 * The JSON shape of the agent's status, shared by {@code GET /v1/status} and
 * {@code outpost status --json} so both read the same:
 *
 * <pre>
 * {"device_id": "gw-1", "agent": "running", "epoch": "5f1c…", "last_seq": 1042,
 *  "link": {"state": "ONLINE", "last_sync": "2026-…Z", "last_error": null,
 *           "last_error_at": null, "auth_problem": false, "delivered": 1000},
 *  "backlog": {"total": 42, "in_flight": 0, "oldest_age_ms": 1200,
 *              "by_priority": {"CRITICAL": {"records": 0, "bytes": 0}, …}},
 *  "storage": {"bytes_used": 81920, "budget_bytes": 524288000, "fullness_warning": 0},
 *  "dead_letters": 3,
 *  "counters": {"evicted": 0, "expired": 0, "dead_lettered": 3, "corrupt_stores_moved_aside": 0}}
 * </pre>
 *
 * Stateless.
 */
public final class StatusDocument {
  public static final ObjectMapper JSON = new ObjectMapper();

  private StatusDocument() {}

  public static ObjectNode of(String deviceId, String agentState, OutboxStats s, UplinkStatus u) {
    ObjectNode root = JSON.createObjectNode();
    root.put("device_id", deviceId);
    root.put("agent", agentState);
    root.put("epoch", Long.toUnsignedString(s.epoch(), 16));
    root.put("last_seq", s.lastSeq());
    ObjectNode link = root.putObject("link");
    link.put("state", u.linkState());
    link.put("last_sync", instant(u.lastSyncAt()));
    link.put("last_error", u.lastError());
    link.put("last_error_at", instant(u.lastErrorAt()));
    link.put("auth_problem", u.authProblem());
    link.put("delivered", u.delivered());
    ObjectNode backlog = root.putObject("backlog");
    backlog.put("total", s.pendingTotal());
    backlog.put("in_flight", s.inFlight());
    backlog.put("oldest_age_ms", s.oldestPendingAgeMillis());
    ObjectNode byPriority = backlog.putObject("by_priority");
    for (Priority p : Priority.values()) {
      ObjectNode n = byPriority.putObject(p.name());
      n.put("records", s.pendingCount().getOrDefault(p, 0L));
      n.put("bytes", s.pendingBytes().getOrDefault(p, 0L));
    }
    ObjectNode storage = root.putObject("storage");
    storage.put("bytes_used", s.bytesUsed());
    storage.put("budget_bytes", s.budgetBytes());
    storage.put("fullness_warning", s.fullnessWarning());
    storage.put("disk_full_refusals", s.diskFullRefusals());
    storage.put("last_error", s.lastStorageError());
    root.put("dead_letters", s.deadLetters());
    ObjectNode counters = root.putObject("counters");
    counters.put("evicted", s.evicted());
    counters.put("expired", s.expired());
    counters.put("dead_lettered", s.deadLettered());
    counters.put("corrupt_stores_moved_aside", s.corruptStoresMovedAside());
    return root;
  }

  /** A human table of a status document (for {@code outpost status}). */
  public static String table(JsonNode doc) {
    StringBuilder sb = new StringBuilder();
    JsonNode link = doc.path("link");
    JsonNode storage = doc.path("storage");
    row(sb, "device", doc.path("device_id").asText("-"));
    row(sb, "agent", doc.path("agent").asText());
    row(sb, "store epoch", doc.path("epoch").asText() + "  (last seq " + doc.path("last_seq").asLong() + ")");
    row(sb, "link", link.path("state").asText()
        + (link.path("auth_problem").asBoolean() ? "  (AUTH PROBLEM: the server refuses the token)" : ""));
    row(sb, "last sync", text(link.path("last_sync")));
    row(sb, "last error", text(link.path("last_error"))
        + (link.path("last_error_at").isNull() ? "" : "  at " + link.path("last_error_at").asText()));
    long used = storage.path("bytes_used").asLong();
    long budget = storage.path("budget_bytes").asLong();
    row(sb, "storage", ValueType.formatBytesApprox(used) + " of " + ValueType.formatBytesApprox(budget)
        + String.format(" (%.1f%%)", budget == 0 ? 0.0 : 100.0 * used / budget)
        + (storage.path("fullness_warning").asInt() > 0
            ? "  WARNING: above " + storage.path("fullness_warning").asInt() + "%" : ""));
    if (storage.path("disk_full_refusals").asLong() > 0 || !"-".equals(text(storage.path("last_error")))) {
      row(sb, "storage error", text(storage.path("last_error")) + "  (" + storage.path("disk_full_refusals").asLong()
          + " appends refused: disk full)");
    }
    JsonNode backlog = doc.path("backlog");
    row(sb, "backlog", backlog.path("total").asLong() + " pending, " + backlog.path("in_flight").asLong()
        + " in flight, oldest " + backlog.path("oldest_age_ms").asLong() / 1000 + " s");
    sb.append(String.format("  %-10s %12s %14s%n", "priority", "records", "bytes"));
    backlog.path("by_priority").properties().forEach(e -> sb.append(String.format(
        "  %-10s %12d %14s%n", e.getKey(), e.getValue().path("records").asLong(),
        ValueType.formatBytesApprox(e.getValue().path("bytes").asLong()))));
    row(sb, "dead letters", String.valueOf(doc.path("dead_letters").asLong()));
    JsonNode replica = doc.path("replica");
    if (replica.isObject()) {
      JsonNode age = replica.path("data_age_ms");
      row(sb, "replica", (age.isNumber() ? "data pulled " + age.asLong() / 1000 + " s ago" : "never pulled yet")
          + "  (node " + replica.path("node").asText() + ", local change " + replica.path("last_change").asLong() + ")");
      StringBuilder pending = new StringBuilder();
      replica.path("pending_ops").properties().forEach(e -> pending.append(pending.isEmpty() ? "" : ", ")
          .append(e.getKey()).append(' ').append(e.getValue().asLong()));
      row(sb, "unsent writes", pending.isEmpty() ? "-" : pending.toString());
    }
    JsonNode c = doc.path("counters");
    row(sb, "ever", c.path("evicted").asLong() + " evicted, " + c.path("expired").asLong() + " expired, "
        + c.path("dead_lettered").asLong() + " dead-lettered");
    return sb.toString();
  }

  private static void row(StringBuilder sb, String name, String value) {
    sb.append(String.format("%-13s %s%n", name, value));
  }

  private static String text(JsonNode n) {
    return n == null || n.isNull() || n.isMissingNode() ? "-" : n.asText();
  }

  private static String instant(Instant i) {
    return i == null ? null : i.toString();
  }
}
