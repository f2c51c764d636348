package dev.outpost.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.outpost.core.Batch;
import dev.outpost.core.Message;
import dev.outpost.core.Priority;
import dev.outpost.core.wire.WireCodec;
import dev.outpost.server.OutpostServer;
import dev.outpost.server.ServerConfig;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code outpost device} and {@code outpost export} against a real SQLite server store. */
class ServerCommandsTest {
  @TempDir Path dir;

  @Test
  void addDeviceIngestExportListRevoke() throws Exception {
    MainTest.Result added = MainTest.run("device", "add", "gw-1", "--data-dir", dir.toString());
    assertThat(added.code()).as(added.err()).isZero();
    String token = added.out().lines().reduce((a, b) -> b).orElseThrow().trim();
    assertThat(token).startsWith("opd_");
    assertThat(MainTest.run("device", "add", "gw-1", "--data-dir", dir.toString()).err()).contains("already exists");
    MainTest.run("device", "add", "gw-2", "--data-dir", dir.toString());

    try (OutpostServer server = OutpostServer.start(ServerConfig.builder().port(0).dataDir(dir).adminToken("admin-secret").build());
        HttpClient http = HttpClient.newHttpClient()) {
      List<Message> ms = new ArrayList<>();
      for (int i = 1; i <= 2500; i++) {
        ms.add(new Message(i, i % 2 == 0 ? "even" : "odd", Priority.NORMAL, i, Map.of(), ("m" + i).getBytes(StandardCharsets.UTF_8)));
      }
      HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(server.url() + "/v1/ingest"))
          .header("Authorization", "Bearer " + token).header("Content-Type", WireCodec.BINARY)
          .POST(HttpRequest.BodyPublishers.ofByteArray(WireCodec.encodeBinary(new Batch("gw-1", 5, ms)))).build(),
          HttpResponse.BodyHandlers.ofString());
      assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
    }

    MainTest.Result export = MainTest.run("export", "--data-dir", dir.toString(), "--device", "gw-1");
    assertThat(export.code()).as(export.err()).isZero();
    List<String> lines = export.out().lines().toList();
    assertThat(lines).hasSize(2500);
    long prev = 0;
    for (String line : lines) {
      JsonNode n = WireCodec.mapper().readTree(line);
      assertThat(n.get("serverSeq").asLong()).isGreaterThan(prev);
      prev = n.get("serverSeq").asLong();
    }
    assertThat(WireCodec.mapper().readTree(lines.get(0)).get("payload").asText()).isEqualTo("m1");
    assertThat(MainTest.run("export", "--data-dir", dir.toString(), "--topic", "even").out().lines()).hasSize(1250);
    assertThat(MainTest.run("export", "--data-dir", dir.toString(), "--device", "gw-2").out()).isEmpty();

    MainTest.Result list = MainTest.run("device", "list", "--data-dir", dir.toString());
    assertThat(list.out()).contains("gw-1").contains("2500").contains("gw-2");
    assertThat(MainTest.run("device", "revoke", "gw-2", "--data-dir", dir.toString()).code()).isZero();
    assertThat(MainTest.run("device", "revoke", "gw-2", "--data-dir", dir.toString()).code()).isEqualTo(1);
    assertThat(MainTest.run("device", "list", "--data-dir", dir.toString()).out()).contains("revoked");
  }

  @Test
  void badStoreOptionsNameTheOption() {
    MainTest.Result r = MainTest.run("device", "list", "--store", "mysql", "--data-dir", dir.toString());
    assertThat(r.code()).isEqualTo(1);
    assertThat(r.err()).contains("--store must be sqlite or postgres");
    assertThat(MainTest.run("export", "--data-dir", dir.toString(), "--format", "csv").err()).contains("--format");
  }

  @Test
  void aBadTombstoneRetentionNamesTheOptionAndWhatItTakes() {
    MainTest.Result r = MainTest.run("server", "--port", "0", "--data-dir", dir.toString(), "--tombstone-retention", "soon");
    assertThat(r.code()).isNotZero();
    assertThat(r.err()).contains("--tombstone-retention: 'soon' is not a duration").contains("e.g. 30s");
    assertThat(MainTest.run("server", "--port", "0", "--data-dir", dir.toString(), "--tombstone-retention", "5s").err())
        .contains("out of range");
  }
}
