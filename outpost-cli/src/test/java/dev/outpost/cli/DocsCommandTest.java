package dev.outpost.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.outpost.server.OutpostServer;
import dev.outpost.server.ServerConfig;
import dev.outpost.server.SyncCollections;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code outpost docs} and {@code outpost conflicts} against a real server on loopback. */
class DocsCommandTest {
  @TempDir Path dir;

  @Test
  void writeReadListDeleteAndConflictsFromTheShell() {
    try (OutpostServer server = OutpostServer.start(ServerConfig.builder().port(0).dataDir(dir).adminToken("admin-secret")
        .syncCollections(SyncCollections.parse("collections:\n  orders:\n    counters: [qty]\n", "test")).build())) {
      String[] at = {"--server", server.url(), "--admin-token", "admin-secret"};
      MainTest.Result put = MainTest.run(args("docs", "put", "orders", "wo-1", "{\"status\":\"open\"}", at));
      assertThat(put.code()).as(put.err()).isZero();
      assertThat(put.out()).contains("\"status\":\"open\"");
      assertThat(MainTest.run(args("docs", "patch", "orders", "wo-1", "{\"qty\":{\"$inc\":2}}", at)).out()).contains("\"qty\":2");
      assertThat(MainTest.run(args("docs", "get", "orders", "wo-1", null, at)).out()).contains("\"qty\":2");
      assertThat(MainTest.run(args("docs", "list", "orders", null, null, at)).out()).contains("\"id\":\"wo-1\"");

      MainTest.Result bad = MainTest.run(args("docs", "patch", "orders", "wo-1", "{\"qty\":5}", at));
      assertThat(bad.code()).isEqualTo(1);
      assertThat(bad.err()).contains("answered 400").contains("orders.qty is a counter");

      assertThat(MainTest.run(args("docs", "delete", "orders", "wo-1", null, at)).out()).contains("deleted orders/wo-1");
      assertThat(MainTest.run(args("docs", "get", "orders", "wo-1", null, at)).err()).contains("answered 404");
      assertThat(MainTest.run(args("conflicts", "list", null, null, null, at)).out()).contains("\"conflicts\":[]");
      assertThat(MainTest.run(args("conflicts", "resolve", "9", null, null, at)).err()).contains("--take");
      assertThat(MainTest.run("docs", "get", "orders", "wo-1", "--server", server.url(), "--admin-token", "wrong").err())
          .contains("answered 401");
    }
    assertThat(MainTest.run("docs", "get", "orders", "x", "--server", "http://127.0.0.1:9", "--admin-token", "t").err())
        .contains("cannot reach the server");
  }

  private static String[] args(String cmd, String sub, String a, String b, String c, String[] at) {
    java.util.List<String> l = new java.util.ArrayList<>(java.util.List.of(cmd, sub));
    for (String x : new String[] {a, b, c}) {
      if (x != null) {
        l.add(x);
      }
    }
    l.addAll(java.util.List.of(at));
    return l.toArray(String[]::new);
  }
}
