package dev.outpost.sim;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.outpost.core.Batch;
import dev.outpost.core.Message;
import dev.outpost.core.MessageId;
import dev.outpost.core.Priority;
import dev.outpost.core.RecordResult;
import dev.outpost.core.wire.WireCodec;
import dev.outpost.server.OutpostServer;
import dev.outpost.server.ServerConfig;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The checker and the proxy against the real server (SQLite store) over loopback HTTP. */
class DeliveryCheckerServerTest {
  private static final long EPOCH = 0x5EED;
  private static final String ADMIN = "admin-token";
  @TempDir Path dir;
  private OutpostServer server;
  private FaultProxy proxy;
  private HttpClient http;
  private String token;
  private final AckLedger ledger = AckLedger.inMemory();

  @BeforeEach
  void start() throws IOException {
    server = OutpostServer.start(ServerConfig.builder().port(0).dataDir(dir).adminToken(ADMIN).build());
    token = server.devices().add("dev-1");
    proxy = FaultProxy.start("edge", new InetSocketAddress("127.0.0.1", server.port()));
    http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
  }

  @AfterEach
  void stop() {
    if (http != null) {
      http.close();
    }
    if (proxy != null) {
      proxy.close();
    }
    if (server != null) {
      server.close();
    }
  }

  private static Batch batch(long firstSeq, int count) {
    List<Message> ms = new ArrayList<>();
    for (long seq = firstSeq; seq < firstSeq + count; seq++) {
      byte[] payload = seq % 5 == 0
          ? new byte[] {(byte) 0xff, (byte) 0xfe, (byte) seq} // not UTF-8: read back as payload64
          : ("reading " + seq).getBytes(StandardCharsets.UTF_8);
      ms.add(new Message(seq, seq % 2 == 0 ? "sensors/a" : "sensors/b",
          seq % 3 == 0 ? Priority.HIGH : Priority.NORMAL, 1_700_000_000_000L + seq, Map.of(), payload));
    }
    return new Batch("dev-1", EPOCH, ms);
  }

  /** Sends through the proxy like an edge would; acks every record the server answered for. */
  private List<RecordResult> send(Batch b) throws IOException, InterruptedException {
    HttpRequest request = HttpRequest.newBuilder(proxy.uri().resolve("/v1/ingest"))
        .timeout(Duration.ofSeconds(5))
        .header("Authorization", "Bearer " + token)
        .header("Content-Type", WireCodec.JSON)
        .POST(HttpRequest.BodyPublishers.ofByteArray(WireCodec.encodeJson(b)))
        .build();
    HttpResponse<byte[]> response = http.send(request, HttpResponse.BodyHandlers.ofByteArray());
    assertThat(response.statusCode()).as(new String(response.body(), StandardCharsets.UTF_8))
        .isEqualTo(200);
    List<RecordResult> results = WireCodec.decodeResult(response.body()).results();
    for (Message m : b.messages()) {
      ledger.acknowledged(new MessageId(b.deviceId(), b.epoch(), m.seq()), m.topic(), m.priority());
    }
    return results;
  }

  private DeliveryReport check() throws Exception {
    return DeliveryChecker.builder(URI.create(server.url()), ADMIN).pageSize(4).build().check(ledger);
  }

  @Test
  void aLostAnswerShowsAsUnexpectedUntilTheRetryIsAnsweredDuplicate() throws Exception {
    assertThat(send(batch(1, 5))).allMatch(r -> r.status() == RecordResult.Status.STORED);

    proxy.setFault(Fault.loseAnswer());
    assertThatThrownBy(() -> send(batch(6, 5))).isInstanceOf(IOException.class);
    assertThat(proxy.stats().faults(Fault.Kind.LOSE_ANSWER)).isEqualTo(1);

    proxy.heal();
    send(batch(11, 5));
    DeliveryReport afterLoss = check();
    assertThat(afterLoss.ok()).as(afterLoss.toString()).isTrue();
    assertThat(afterLoss.acknowledged()).isEqualTo(10);
    assertThat(afterLoss.stored()).isEqualTo(15);
    assertThat(afterLoss.unexpected()).isEqualTo(5); // stored, but the edge never heard
    assertThat(afterLoss.unexpectedSample()).first().isEqualTo(new MessageId("dev-1", EPOCH, 6));

    assertThat(send(batch(6, 5))).allMatch(r -> r.status() == RecordResult.Status.DUPLICATE);
    DeliveryReport afterRetry = check();
    assertThat(afterRetry.ok()).as(afterRetry.toString()).isTrue();
    assertThat(afterRetry.stored()).isEqualTo(15); // the retry stored nothing twice
    assertThat(afterRetry.unexpected()).isZero();
    assertThat(afterRetry.acknowledged()).isEqualTo(15);
  }

  @Test
  void aBatchTornByAResetIsNotStoredAndItsRetryIs() throws Exception {
    proxy.setFault(Fault.reset());
    assertThatThrownBy(() -> send(batch(1, 50))).isInstanceOf(IOException.class);
    proxy.heal();
    DeliveryReport torn = check();
    assertThat(torn.stored()).as("the server got half a body and stored nothing").isZero();

    assertThat(send(batch(1, 50))).allMatch(r -> r.status() == RecordResult.Status.STORED);
    DeliveryReport r = check();
    assertThat(r.ok()).as(r.toString()).isTrue();
    assertThat(r.stored()).isEqualTo(50);
    assertThat(r.acknowledged()).isEqualTo(50);
  }

  @Test
  void anAckTheServerNeverStoredIsReportedLost() throws Exception {
    send(batch(1, 3));
    ledger.acknowledged(new MessageId("dev-1", EPOCH, 4), "sensors/a", Priority.NORMAL);
    DeliveryReport r = check();
    assertThat(r.ok()).isFalse();
    assertThat(r.lost()).isEqualTo(1);
    assertThat(r.lostSample()).containsExactly(new MessageId("dev-1", EPOCH, 4));
  }
}
