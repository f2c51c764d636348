package dev.outpost.sim;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.net.ConnectException;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class FaultProxyTest {
  private FarEnd farEnd;
  private FaultProxy proxy;
  private HttpClient client;

  @BeforeEach
  void setUp() throws IOException {
    farEnd = new FarEnd();
    proxy = FaultProxy.start("t", farEnd.address());
    client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(1)).build();
  }

  @AfterEach
  void tearDown() {
    client.close();
    proxy.close();
    farEnd.close();
  }

  private HttpResponse<String> post(String body) throws IOException, InterruptedException {
    return post(body, Duration.ofSeconds(3));
  }

  private HttpResponse<String> post(String body, Duration timeout)
      throws IOException, InterruptedException {
    HttpRequest request = HttpRequest.newBuilder(proxy.uri().resolve("/echo"))
        .timeout(timeout)
        .POST(HttpRequest.BodyPublishers.ofString(body))
        .build();
    return client.send(request, HttpResponse.BodyHandlers.ofString());
  }

  @Test
  void passForwardsBothWaysWithLengthAndChunkedBodies() throws Exception {
    assertThat(post("hello").body()).isEqualTo("ok:hello");
    String big = "x".repeat(100_000);
    HttpRequest chunked = HttpRequest.newBuilder(proxy.uri().resolve("/echo"))
        .timeout(Duration.ofSeconds(3))
        .POST(HttpRequest.BodyPublishers.ofInputStream(
            () -> new ByteArrayInputStream(big.getBytes(StandardCharsets.UTF_8))))
        .build();
    assertThat(client.send(chunked, HttpResponse.BodyHandlers.ofString()).body())
        .isEqualTo("ok:" + big);

    ProxyStats stats = proxy.stats();
    assertThat(farEnd.received).containsExactly("hello", big);
    assertThat(stats.requests()).isEqualTo(2);
    assertThat(stats.connections()).isEqualTo(1); // kept alive
    assertThat(stats.faults(Fault.Kind.PASS)).isEqualTo(2);
    // A pump counts its bytes after the write returns, so the client can hold the whole answer
    // a moment before the count catches up (CI once read 98,387 of it).
    await().atMost(Duration.ofSeconds(2)).untilAsserted(() -> {
      assertThat(proxy.stats().bytesUp()).isGreaterThan(100_000);
      assertThat(proxy.stats().bytesDown()).isGreaterThan(100_000);
    });
  }

  @Test
  void refuseFailsConnectsAtOnceCutsOpenConnectionsAndHealsOnTheSamePort() throws Exception {
    post("before");
    assertThat(proxy.stats().openConnections()).isEqualTo(1);
    int port = proxy.port();

    proxy.setFault(Fault.refuse());
    await().atMost(Duration.ofSeconds(2)).until(() -> proxy.stats().openConnections() == 0);
    long start = System.nanoTime();
    assertThatThrownBy(() -> new Socket(proxy.address().getAddress(), port).close())
        .isInstanceOf(ConnectException.class);
    assertThatThrownBy(() -> post("during")).isInstanceOf(IOException.class);
    assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(1));

    proxy.heal();
    assertThat(proxy.port()).isEqualTo(port);
    assertThat(post("after").body()).isEqualTo("ok:after");
    assertThat(farEnd.received).containsExactly("before", "after");
    assertThat(proxy.stats().faults(Fault.Kind.REFUSE)).isEqualTo(1); // the cut connection
  }

  @Test
  void resetTearsTheRequestAndTheServerStoresNothing() {
    proxy.setFault(Fault.reset());
    long start = System.nanoTime();
    assertThatThrownBy(() -> post("torn".repeat(5000)))
        .isInstanceOf(IOException.class)
        .isNotInstanceOf(HttpTimeoutException.class);
    assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(2));
    await().atMost(Duration.ofSeconds(2)).until(() -> farEnd.torn.get() == 1); // saw half a body
    assertThat(farEnd.received).isEmpty();
    assertThat(proxy.stats().faults(Fault.Kind.RESET)).isEqualTo(1);
    assertThat(proxy.stats().bytesUp()).isBetween(10_000L, 20_000L);
  }

  @Test
  void blackholeStallsUntilTheClientTimesOut() {
    proxy.setFault(Fault.blackhole());
    assertThatThrownBy(() -> post("void", Duration.ofMillis(300)))
        .isInstanceOf(HttpTimeoutException.class);
    assertThat(farEnd.received).isEmpty();
    // counted once the proxy has read the request head, which a loaded machine may do late
    await().atMost(Duration.ofSeconds(2)).until(() -> proxy.stats().faults(Fault.Kind.BLACKHOLE) == 1);
  }

  @Test
  void trickleLimitsTheRateButDeliversEverything() throws Exception {
    proxy.setFault(Fault.trickle(8 * 1024));
    long start = System.nanoTime();
    HttpRequest request = HttpRequest.newBuilder(proxy.uri().resolve("/big?n=6000"))
        .timeout(Duration.ofSeconds(5)).build();
    HttpResponse<byte[]> response = client.send(request, HttpResponse.BodyHandlers.ofByteArray());
    Duration took = Duration.ofNanos(System.nanoTime() - start);

    assertThat(response.body()).hasSize(6000);
    assertThat(took).isGreaterThan(Duration.ofMillis(600)); // 6 KB at 8 KiB/s is ~0.75 s
    assertThat(proxy.stats().faults(Fault.Kind.TRICKLE)).isEqualTo(1);
  }

  @Test
  void httpStatusAnswersWithoutForwardingOnTheSameKeptAliveConnection() throws Exception {
    proxy.setFault(Fault.httpStatus(503, 7));
    HttpResponse<String> r1 = post("a");
    assertThat(r1.statusCode()).isEqualTo(503);
    assertThat(r1.headers().firstValue("Retry-After")).hasValue("7");
    assertThat(r1.body()).contains("\"code\":\"injected_503\"");

    proxy.setFault(Fault.httpStatus(429));
    HttpResponse<String> r2 = post("b");
    assertThat(r2.statusCode()).isEqualTo(429);
    assertThat(r2.headers().firstValue("Retry-After")).isEmpty();

    assertThat(farEnd.received).isEmpty();
    assertThat(proxy.stats().connections()).isEqualTo(1);
    assertThat(proxy.stats().faults(Fault.Kind.HTTP_STATUS)).isEqualTo(2);
  }

  @Test
  void httpStatusDoesNotWaitForABodyHeldBackByExpectContinue() throws Exception {
    proxy.setFault(Fault.httpStatus(500));
    HttpRequest request = HttpRequest.newBuilder(proxy.uri().resolve("/echo"))
        .timeout(Duration.ofSeconds(3))
        .expectContinue(true)
        .POST(HttpRequest.BodyPublishers.ofString("held back"))
        .build();
    long start = System.nanoTime();
    assertThat(client.send(request, HttpResponse.BodyHandlers.ofString()).statusCode()).isEqualTo(500);
    assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(2));
    proxy.heal();
    assertThat(client.send(request, HttpResponse.BodyHandlers.ofString()).body())
        .isEqualTo("ok:held back"); // the server handles 100-continue itself
  }

  @Test
  void loseAnswerLetsTheServerCommitButTheClientSeesAnError() {
    proxy.setFault(Fault.loseAnswer());
    assertThatThrownBy(() -> post("committed"))
        .isInstanceOf(IOException.class)
        .isNotInstanceOf(HttpTimeoutException.class);
    assertThat(farEnd.received).containsExactly("committed");
    assertThat(proxy.stats().faults(Fault.Kind.LOSE_ANSWER)).isEqualTo(1);
    assertThat(proxy.stats().bytesDown()).isZero();
  }

  @Test
  void aModeSwitchAppliesToTheNextRequestOfAKeptAliveConnection() throws Exception {
    assertThat(post("1").statusCode()).isEqualTo(200);
    proxy.setFault(Fault.httpStatus(500));
    assertThat(post("2").statusCode()).isEqualTo(500);
    proxy.heal();
    assertThat(post("3").statusCode()).isEqualTo(200);
    proxy.setFault(Fault.loseAnswer());
    assertThatThrownBy(() -> post("4")).isInstanceOf(IOException.class);

    assertThat(farEnd.received).containsExactly("1", "3", "4");
    assertThat(proxy.stats().connections()).isEqualTo(1); // all four on one connection
  }

  @Test
  void aMixDrawsFaultsPerRequestFromASeededRandom() throws Exception {
    proxy.setMix(FaultMix.builder(new Random(7)).add(Fault.httpStatus(500), 0.5).build());
    List<Integer> statuses = new ArrayList<>();
    for (int i = 0; i < 40; i++) {
      statuses.add(post("m" + i).statusCode());
    }
    long errors = statuses.stream().filter(s -> s == 500).count();
    assertThat(errors).isBetween(8L, 32L);
    assertThat(proxy.stats().faults(Fault.Kind.HTTP_STATUS)).isEqualTo(errors);
    assertThat(farEnd.received).hasSize(40 - (int) errors);

    FaultMix again = FaultMix.builder(new Random(7)).add(Fault.httpStatus(500), 0.5).build();
    List<Integer> replay = new ArrayList<>();
    for (int i = 0; i < 40; i++) {
      replay.add(again.pick().kind() == Fault.Kind.HTTP_STATUS ? 500 : 200);
    }
    assertThat(replay).isEqualTo(statuses);
  }

  @Test
  void aMixOfEveryQuickFaultAccountsForEveryRequest() throws Exception {
    proxy.setMix(FaultMix.builder(new Random(11))
        .add(Fault.reset(), 0.15)
        .add(Fault.refuse(), 0.1)
        .add(Fault.httpStatus(503, 1), 0.15)
        .add(Fault.loseAnswer(), 0.15)
        .add(Fault.trickle(64 * 1024), 0.1)
        .build());
    int ok = 0;
    int errors = 0;
    int failures = 0;
    for (int i = 0; i < 60; i++) {
      try {
        int status = post("r" + i).statusCode();
        if (status == 200) {
          ok++;
        } else {
          errors++;
        }
      } catch (IOException e) {
        failures++;
      }
    }
    ProxyStats s = proxy.stats();
    assertThat(s.requests()).isEqualTo(60); // the JDK client does not retry POSTs
    assertThat(s.faults(Fault.Kind.PASS) + s.faults(Fault.Kind.TRICKLE)).isEqualTo(ok);
    assertThat(s.faults(Fault.Kind.HTTP_STATUS)).isEqualTo(errors);
    assertThat(s.faults(Fault.Kind.RESET) + s.faults(Fault.Kind.REFUSE)
        + s.faults(Fault.Kind.LOSE_ANSWER)).isEqualTo(failures);
    assertThat(farEnd.received).hasSize(ok + (int) s.faults(Fault.Kind.LOSE_ANSWER));
    for (Fault.Kind k : List.of(Fault.Kind.RESET, Fault.Kind.REFUSE, Fault.Kind.HTTP_STATUS,
        Fault.Kind.LOSE_ANSWER, Fault.Kind.TRICKLE, Fault.Kind.PASS)) {
      assertThat(s.faults(k)).as(k.name()).isPositive();
    }
    await().atMost(Duration.ofSeconds(2)).until(() -> proxy.stats().openConnections() <= 1);
  }

  @Test
  void concurrentClientsAllGetThrough() throws Exception {
    try (HttpClient patient = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build()) {
      sendConcurrently(patient);
    }
  }

  private void sendConcurrently(HttpClient patient) throws Exception {
    List<CompletableFuture<HttpResponse<String>>> all = new ArrayList<>();
    for (int i = 0; i < 200; i++) { // up to 200 connections at once
      all.add(patient.sendAsync(HttpRequest.newBuilder(proxy.uri().resolve("/echo"))
          .timeout(Duration.ofSeconds(10))
          .POST(HttpRequest.BodyPublishers.ofString("c" + i)).build(),
          HttpResponse.BodyHandlers.ofString()));
    }
    for (int i = 0; i < all.size(); i++) {
      assertThat(all.get(i).get(10, java.util.concurrent.TimeUnit.SECONDS).body()).isEqualTo("ok:c" + i);
    }
    assertThat(farEnd.received).hasSize(200);
    assertThat(proxy.stats().requests()).isEqualTo(200);
  }

  @Test
  void closeEndsEveryThreadAndConnectionEvenMidFault() throws Exception {
    long fdsBefore = openFileDescriptors();
    FaultProxy leaky = FaultProxy.start("leak", farEnd.address());
    try (HttpClient other = HttpClient.newHttpClient()) {
      closeMidFault(leaky, other);
    }
    // every socket of the proxy, its clients and its upstream connections is closed again
    await().atMost(Duration.ofSeconds(5)).until(() -> openFileDescriptors() <= fdsBefore);
  }

  private static long openFileDescriptors() {
    return ((com.sun.management.UnixOperatingSystemMXBean)
        java.lang.management.ManagementFactory.getOperatingSystemMXBean()).getOpenFileDescriptorCount();
  }

  private static void closeMidFault(FaultProxy leaky, HttpClient other) throws Exception {
    String prefix = ProxyConfig.THREAD_PREFIX + "leak-";
    URI uri = leaky.uri().resolve("/big?n=100000");
    leaky.setFault(Fault.trickle(1024));
    List<CompletableFuture<HttpResponse<String>>> pending = new ArrayList<>();
    for (int i = 0; i < 3; i++) { // three slow downloads in flight
      pending.add(other.sendAsync(
          HttpRequest.newBuilder(uri).build(), HttpResponse.BodyHandlers.ofString()));
    }
    await().atMost(Duration.ofSeconds(5)).until(() -> leaky.stats().openConnections() == 3);
    leaky.setFault(Fault.blackhole());
    pending.add(other.sendAsync(
        HttpRequest.newBuilder(uri).build(), HttpResponse.BodyHandlers.ofString()));
    await().atMost(Duration.ofSeconds(5))
        .until(() -> leaky.stats().faults(Fault.Kind.BLACKHOLE) == 1);
    // accept loop + (serve + answer pump) per trickle + serve of the blackholed one
    await().atMost(Duration.ofSeconds(5)).until(() -> ThreadCensus.count(prefix) >= 1 + 3 * 2 + 1);

    leaky.close();

    await().atMost(Duration.ofSeconds(5)).until(() -> ThreadCensus.count(prefix) == 0);
    assertThat(leaky.stats().openConnections()).isZero();
    for (CompletableFuture<HttpResponse<String>> f : pending) {
      assertThatThrownBy(() -> f.get(5, java.util.concurrent.TimeUnit.SECONDS))
          .hasCauseInstanceOf(IOException.class);
    }
    assertThatThrownBy(() -> new Socket(leaky.address().getAddress(), leaky.port()).close())
        .isInstanceOf(ConnectException.class);
    assertThatThrownBy(() -> leaky.setFault(Fault.pass()))
        .isInstanceOf(IllegalStateException.class).hasMessageContaining("closed");
  }
}
