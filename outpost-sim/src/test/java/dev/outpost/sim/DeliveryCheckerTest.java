package dev.outpost.sim;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.outpost.core.MessageId;
import dev.outpost.core.Priority;
import java.io.IOException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class DeliveryCheckerTest {
  private static final long EPOCH = 0xABCDEFL;
  private CannedReadBack server;
  private AckLedger ledger;

  @BeforeEach
  void setUp() throws IOException {
    server = new CannedReadBack("admin");
    ledger = AckLedger.inMemory();
  }

  @AfterEach
  void tearDown() {
    server.close();
  }

  private DeliveryReport check() throws Exception {
    return DeliveryChecker.builder(server.uri(), "admin").pageSize(3).build().check(ledger);
  }

  private void ackAndStore(String device, long seq, String topic, Priority p) {
    ledger.acknowledged(new MessageId(device, EPOCH, seq), topic, p);
    server.add(device, EPOCH, seq, topic, p.name());
  }

  @Test
  void everythingStoredOnceInOrderIsOkAcrossPages() throws Exception {
    for (int seq = 1; seq <= 10; seq++) {
      ackAndStore("dev-1", seq, seq % 2 == 0 ? "a" : "b", seq % 3 == 0 ? Priority.HIGH : Priority.LOW);
    }
    server.rows.add(new CannedReadBack.Row("dev-2", 1, 1, "bin", "NORMAL", "AAECAw=="));
    ledger.acknowledged(new MessageId("dev-2", 1, 1), "bin", Priority.NORMAL);

    DeliveryReport r = check();

    assertThat(r.ok()).as(r.toString()).isTrue();
    assertThat(r.acknowledged()).isEqualTo(11);
    assertThat(r.stored()).isEqualTo(11);
    assertThat(server.pagesServed.get()).isEqualTo(5); // 4 pages of 3, then the empty one
    assertThat(r.toString()).startsWith("delivery OK");
  }

  @Test
  void ackedButNotStoredIsLostAndNamed() throws Exception {
    for (int seq = 1; seq <= 10; seq++) {
      ledger.acknowledged(new MessageId("dev-1", EPOCH, seq), "t", Priority.NORMAL);
      if (seq != 4 && seq != 7) {
        server.add("dev-1", EPOCH, seq, "t", "NORMAL");
      }
    }
    DeliveryReport r = check();
    assertThat(r.ok()).isFalse();
    assertThat(r.lost()).isEqualTo(2);
    assertThat(r.lostSample()).containsExactly(
        new MessageId("dev-1", EPOCH, 4), new MessageId("dev-1", EPOCH, 7));
    assertThat(r.toString()).startsWith("delivery FAILED").contains("lost=2", "dev-1/abcdef/4");
  }

  @Test
  void theSameIdStoredTwiceIsADuplicateNotAnOrderViolation() throws Exception {
    for (int seq = 1; seq <= 5; seq++) {
      ackAndStore("dev-1", seq, "t", Priority.HIGH);
    }
    server.add("dev-1", EPOCH, 3, "t", "HIGH");
    DeliveryReport r = check();
    assertThat(r.duplicates()).isEqualTo(1);
    assertThat(r.duplicateSample()).containsExactly(new MessageId("dev-1", EPOCH, 3));
    assertThat(r.orderViolations()).isZero();
    assertThat(r.stored()).isEqualTo(6);
    assertThat(r.ok()).isFalse();
  }

  @Test
  void storedButNeverAckedIsCountedButAllowed() throws Exception {
    ackAndStore("dev-1", 1, "t", Priority.NORMAL);
    server.add("dev-1", EPOCH, 2, "t", "NORMAL"); // appended, the ack died with the producer
    DeliveryReport r = check();
    assertThat(r.unexpected()).isEqualTo(1);
    assertThat(r.unexpectedSample()).containsExactly(new MessageId("dev-1", EPOCH, 2));
    assertThat(r.ok()).isTrue();
  }

  @Test
  void orderIsCheckedPerLaneOnly() throws Exception {
    // lanes interleave freely: HIGH drains before LOW, topics and epochs are independent
    ackAndStore("dev-1", 5, "t", Priority.HIGH);
    ackAndStore("dev-1", 1, "t", Priority.LOW);
    ackAndStore("dev-1", 6, "t", Priority.HIGH);
    ackAndStore("dev-1", 2, "u", Priority.LOW);
    ackAndStore("dev-2", 1, "t", Priority.HIGH);
    assertThat(check().orderViolations()).isZero();

    ackAndStore("dev-1", 4, "t", Priority.HIGH); // after 6 in lane (dev-1, t, HIGH)
    DeliveryReport r = check();
    assertThat(r.orderViolations()).isEqualTo(1);
    assertThat(r.orderViolationSample().getFirst())
        .contains("dev-1/abcdef/4", "after seq 6", "serverSeq 60");
    assertThat(r.ok()).isFalse();
  }

  @Test
  void anotherTopicOrPriorityThanAckedIsAMismatch() throws Exception {
    ledger.acknowledged(new MessageId("dev-1", EPOCH, 1), "t", Priority.CRITICAL);
    server.add("dev-1", EPOCH, 1, "t", "LOW");
    DeliveryReport r = check();
    assertThat(r.mismatched()).isEqualTo(1);
    assertThat(r.mismatchSample().getFirst()).contains("CRITICAL", "LOW");
    assertThat(r.ok()).isFalse();
  }

  @Test
  void anEmptyServerAndLedgerIsTriviallyOk() throws Exception {
    DeliveryReport r = check();
    assertThat(r.ok()).isTrue();
    assertThat(r.stored()).isZero();
  }

  @Test
  void aWrongAdminTokenFailsWithAHint() {
    DeliveryChecker checker = DeliveryChecker.builder(server.uri(), "wrong").build();
    assertThatThrownBy(() -> checker.check(ledger))
        .isInstanceOf(IOException.class)
        .hasMessageContaining("401")
        .hasMessageContaining("admin token");
  }

  @Test
  void badSettingsNameTheValue() {
    assertThatThrownBy(() -> DeliveryChecker.builder(server.uri(), " "))
        .hasMessageContaining("adminToken");
    assertThatThrownBy(() -> DeliveryChecker.builder(server.uri(), "a").pageSize(0))
        .hasMessageContaining("pageSize");
  }
}
