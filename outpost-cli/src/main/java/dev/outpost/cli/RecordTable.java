package dev.outpost.cli;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.outpost.agent.StatusDocument;
import dev.outpost.edge.StoreMaintenance.Row;
import java.io.PrintWriter;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Base64;
import java.util.List;

/** Prints pages of records or dead letters for {@code outpost inspect} and {@code outpost dlq list}. */
final class RecordTable {
  private RecordTable() {}

  static void print(PrintWriter out, List<Row> rows, boolean dead, boolean payloads, boolean json, String nextCommand) {
    if (json) {
      ArrayNode arr = StatusDocument.JSON.createArrayNode();
      for (Row r : rows) {
        ObjectNode n = arr.addObject();
        n.put("seq", r.seq()).put("state", r.state()).put("priority", r.priority().name()).put("topic", r.topic())
            .put("attempts", r.attempts()).put("bytes", r.payload().length)
            .put("appended", Instant.ofEpochMilli(r.ts()).toString());
        if (dead) {
          n.put("reason", r.reason());
        }
        if (payloads) {
          n.put("payload_base64", Base64.getEncoder().encodeToString(r.payload()));
        }
      }
      out.println(arr.toPrettyString());
      return;
    }
    out.printf("%-10s %-9s %-8s %-24s %8s %8s  %-24s%s%n", "SEQ", "STATE", "PRIORITY", "TOPIC", "ATTEMPTS", "BYTES",
        "APPENDED", dead ? "  REASON" : payloads ? "  PAYLOAD" : "");
    for (Row r : rows) {
      String extra = dead ? "  " + r.reason() : payloads ? "  " + preview(r.payload()) : "";
      out.printf("%-10d %-9s %-8s %-24s %8d %8d  %-24s%s%n", r.seq(), r.state(), r.priority(), clip(r.topic(), 24),
          r.attempts(), r.payload().length, Instant.ofEpochMilli(r.ts()), extra);
      if (dead && payloads) {
        out.println("           payload: " + preview(r.payload()));
      }
    }
    if (rows.isEmpty()) {
      out.println("(none)");
    } else {
      out.println("-- " + rows.size() + " shown; next page: " + nextCommand + " --after " + rows.getLast().seq());
    }
  }

  /** UTF-8 text when it is valid, printable text; else base64. At most 80 characters. */
  static String preview(byte[] payload) {
    try {
      String s = StandardCharsets.UTF_8.newDecoder().decode(ByteBuffer.wrap(payload)).toString();
      if (s.chars().allMatch(ch -> ch >= 0x20 || ch == '\t')) {
        return clip(s, 80);
      }
    } catch (CharacterCodingException e) {
      // binary: fall through
    }
    return "base64:" + clip(Base64.getEncoder().encodeToString(payload), 73);
  }

  private static String clip(String s, int max) {
    return s.length() <= max ? s : s.substring(0, max - 1) + "…";
  }
}
