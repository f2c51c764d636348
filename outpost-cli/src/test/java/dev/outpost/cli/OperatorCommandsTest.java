package dev.outpost.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.outpost.core.Priority;
import dev.outpost.edge.LeaseRequest;
import dev.outpost.edge.NewRecord;
import dev.outpost.edge.Outbox;
import dev.outpost.edge.OutboxConfig;
import dev.outpost.agent.Agent;
import dev.outpost.agent.AgentConfig;
import dev.outpost.agent.StatusDocument;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The agent's operator commands, in-process through {@link Main#run}, on real store files. */
class OperatorCommandsTest {
  @TempDir Path tmp;

  private static MainTest.Result run(String... args) {
    return MainTest.run(args);
  }

  /** 200 records (seq 1..200); seq 1..3 dead-lettered. */
  private Path store() {
    Path dir = tmp.resolve("data");
    try (Outbox o = Outbox.open(dir, OutboxConfig.defaults())) {
      List<NewRecord> batch = new ArrayList<>();
      for (int i = 1; i <= 200; i++) {
        batch.add(new NewRecord("sensors/" + (i % 2), ("reading " + i).getBytes(StandardCharsets.UTF_8),
            i % 2 == 0 ? Priority.HIGH : Priority.LOW));
      }
      o.appendAll(batch);
      List<Long> leased = new ArrayList<>(o.lease(LeaseRequest.of(200)).seqs());
      o.reject(Map.of(1L, "schema mismatch", 2L, "schema mismatch", 3L, "too old"));
      leased.removeAll(List.of(1L, 2L, 3L));
      o.release(leased);
    }
    return dir;
  }

  @Test
  void aConfigErrorExitsTwoNamesTheKeyAndLeavesTheStoreAlone() throws Exception {
    Path dir = store();
    List<String> before = listing(dir);
    byte[] db = Files.readAllBytes(dir.resolve("outbox.db"));
    MainTest.Result r = run("agent", "--server", "http://127.0.0.1:1", "--device-id", "gw-1",
        "--token", "token-123456", "--data-dir", dir.toString(), "--set", "outbox.budget-bytes=lots");
    assertThat(r.code()).isEqualTo(2);
    assertThat(r.err()).contains("config key 'outbox.budget-bytes' (from command line): 'lots' is not a size")
        .contains("allowed:");
    assertThat(listing(dir)).isEqualTo(before);
    assertThat(Files.readAllBytes(dir.resolve("outbox.db"))).isEqualTo(db);
    assertThat(run("agent", "--data-dir", dir.toString(), "--set", "outbox.budjet=1GiB").err())
        .contains("unknown key (did you mean 'outbox.budget-bytes'?)");
  }

  @Test
  void printConfigShowsSourcesAndMasksTheToken() {
    MainTest.Result r = run("agent", "--print-config", "--token", "very-secret-token", "--api-port", "9000",
        "--data-dir", tmp.toString());
    assertThat(r.code()).isZero();
    assertThat(r.out()).contains("api.port = 9000  # command line").contains("token = ********")
        .doesNotContain("very-secret-token").contains("outbox.budget-bytes = 524288000  # default");
  }

  @Test
  void operatorCommandsOnAStoppedAgent() throws Exception {
    Path dir = store();
    String d = dir.toString();
    MainTest.Result status = run("status", "--data-dir", d);
    assertThat(status.code()).as(status.err()).isZero();
    assertThat(status.out()).contains("agent         stopped").contains("197 pending").contains("dead letters  3");
    JsonNode json = StatusDocument.JSON.readTree(run("status", "--data-dir", d, "--json").out());
    assertThat(json.at("/backlog/by_priority/HIGH/records").asLong()).isEqualTo(99); // seq 2 is dead
    assertThat(json.at("/link/state").asText()).isEqualTo("STOPPED");

    MainTest.Result page = run("inspect", "--data-dir", d, "--limit", "2", "--payload");
    assertThat(page.out()).contains("reading 4").contains("next page: outpost inspect --after 5");
    assertThat(run("inspect", "--data-dir", d, "--after", "5", "--limit", "1", "--priority", "low", "--payload").out())
        .contains("reading 7");
    assertThat(run("inspect", "--data-dir", d, "--dead").out()).contains("schema mismatch").contains("too old");
    assertThat(run("dlq", "list", "--data-dir", d).out()).contains("too old");

    MainTest.Result retry = run("dlq", "retry", "--data-dir", d, "3");
    assertThat(retry.code()).as(retry.err()).isZero();
    assertThat(retry.out()).contains("1 dead letter(s) moved back to pending");
    assertThat(run("dlq", "purge", "--data-dir", d, "--all").code()).isEqualTo(2);
    assertThat(run("dlq", "purge", "--data-dir", d, "--all", "--yes").out()).contains("2 dead letter(s) purged");
    assertThat(run("dlq", "retry", "--data-dir", d).code()).isEqualTo(2);

    MainTest.Result doctor = run("doctor", "--data-dir", d);
    assertThat(doctor.code()).as(doctor.out() + doctor.err()).isZero();
    assertThat(doctor.out()).contains("integrity    ok").contains("reclaimable").contains("last close   clean");
    MainTest.Result repair = run("doctor", "--data-dir", d, "--repair");
    assertThat(repair.code()).as(repair.err()).isZero();
    assertThat(repair.out()).contains("vacuumed");
    try (Outbox o = Outbox.open(dir, OutboxConfig.defaults())) {
      assertThat(o.stats().pendingTotal()).isEqualTo(198);
      assertThat(o.stats().deadLetters()).isZero();
      assertThat(o.stats().purged()).isEqualTo(2);
    }
    assertThat(run("status", "--data-dir", tmp.resolve("none").toString()).err()).contains("no outbox store in");
  }

  @Test
  void operatorCommandsWorkAndWriteThroughARunningAgent() throws Exception {
    Path dir = store();
    String d = dir.toString();
    AgentConfig config = AgentConfig.load(null, Map.of(), Map.of("server-url", "http://127.0.0.1:1",
        "device-id", "gw-1", "token", "token-123456", "data-dir", d, "api.port", "0"), true);
    try (Agent agent = Agent.start(config)) {
      JsonNode json = StatusDocument.JSON.readTree(run("status", "--data-dir", d, "--json").out());
      assertThat(json.get("agent").asText()).isEqualTo("running");
      assertThat(json.get("device_id").asText()).isEqualTo("gw-1");
      assertThat(run("inspect", "--data-dir", d, "--dead").out()).contains("too old");

      MainTest.Result retry = run("dlq", "retry", "--data-dir", d, "--all");
      assertThat(retry.code()).as(retry.err()).isZero();
      assertThat(retry.out()).contains("3 dead letter(s) moved back to pending");
      assertThat(retry.err()).contains("through the running agent");
      assertThat(agent.outbox().stats().deadLetters()).isZero();

      MainTest.Result doctor = run("doctor", "--data-dir", d);
      assertThat(doctor.code()).isZero();
      assertThat(doctor.out()).contains("(agent running)").contains("integrity    ok");
      MainTest.Result repair = run("doctor", "--data-dir", d, "--repair");
      assertThat(repair.code()).isEqualTo(1);
      assertThat(repair.err()).contains("--repair needs the agent stopped");
    }
  }

  @Test
  void doctorFindsDamageAndRepairSalvagesIt() throws Exception {
    Path dir = store();
    Path db = dir.resolve("outbox.db");
    long pages = Files.size(db) / 4096;
    try (RandomAccessFile f = new RandomAccessFile(db.toFile(), "rw")) {
      byte[] junk = new byte[4096];
      new Random(7).nextBytes(junk);
      f.seek((pages - 1) * 4096);
      f.write(junk);
    }
    MainTest.Result check = run("doctor", "--data-dir", dir.toString());
    assertThat(check.code()).as(check.out()).isEqualTo(1);
    assertThat(check.out()).contains("problem(s)").contains("outpost doctor --repair");

    MainTest.Result repair = run("doctor", "--data-dir", dir.toString(), "--repair");
    assertThat(repair.code()).as(repair.out() + repair.err()).isZero();
    assertThat(repair.out()).contains("salvaged").contains("(kept)").contains("moved aside");
    assertThat(repair.err()).contains("records: seq");
    try (Stream<Path> files = Files.list(dir)) {
      assertThat(files.map(p -> p.getFileName().toString())).anyMatch(n -> n.startsWith("outbox-damaged-"));
    }
    MainTest.Result after = run("doctor", "--data-dir", dir.toString());
    assertThat(after.code()).as(after.out()).isZero();
    assertThat(after.out()).contains("moved aside  1");
  }

  private static List<String> listing(Path dir) throws Exception {
    try (Stream<Path> files = Files.list(dir)) {
      return files.map(p -> p.getFileName() + ":" + p.toFile().length() + ":" + p.toFile().lastModified()).sorted().toList();
    }
  }
}
