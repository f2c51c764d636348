package dev.outpost.edge.internal;

import static org.assertj.core.api.Assertions.assertThat;

import dev.outpost.core.Message;
import dev.outpost.core.Priority;
import dev.outpost.edge.Lease;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class SendOrderTest {
  private long seq;

  private Lease lease(String topic, Priority p, int n) {
    Message[] ms = new Message[n];
    for (int i = 0; i < n; i++) {
      ms[i] = new Message(++seq, topic, p, 0, Map.of(), new byte[] {1});
    }
    return new Lease(7, List.of(ms), new int[n]);
  }

  @Test
  void disjointLanesGoAtOnceTheSameLaneWaitsForItsPredecessor() {
    SendOrder order = new SendOrder();
    SendOrder.Ticket a1 = order.register(lease("a", Priority.NORMAL, 3), order.releaseEpoch(), 0);
    SendOrder.Ticket b1 = order.register(lease("b", Priority.NORMAL, 3), order.releaseEpoch(), 0);
    SendOrder.Ticket a2 = order.register(lease("a", Priority.NORMAL, 3), order.releaseEpoch(), 0);
    assertThat(a1.predecessorsOk()).isCompletedWithValue(true);
    assertThat(b1.predecessorsOk()).isCompletedWithValue(true);
    assertThat(a2.predecessorsOk()).isNotDone();
    order.answered(a1, true);
    assertThat(a2.predecessorsOk()).isCompletedWithValue(true);
    assertThat(order.inFlight()).isEqualTo(3);
    order.finished(a1);
    assertThat(order.inFlight()).isEqualTo(2);
  }

  @Test
  void aFailedPredecessorFailsItsSuccessorsInCascade() {
    SendOrder order = new SendOrder();
    SendOrder.Ticket a1 = order.register(lease("a", Priority.HIGH, 2), order.releaseEpoch(), 0);
    SendOrder.Ticket a2 = order.register(lease("a", Priority.HIGH, 2), order.releaseEpoch(), 0);
    SendOrder.Ticket a3 = order.register(lease("a", Priority.HIGH, 2), order.releaseEpoch(), 0);
    order.releasing();
    order.answered(a1, false);
    assertThat(a2.predecessorsOk()).isCompletedWithValue(false);
    order.answered(a2, false);
    assertThat(a3.predecessorsOk()).isCompletedWithValue(false);
  }

  @Test
  void aLeaseTakenWhileARecordWasReleasedIsRefused() {
    SendOrder order = new SendOrder();
    long before = order.releaseEpoch();
    order.releasing(); // another batch released records while we were leasing
    assertThat(order.register(lease("a", Priority.LOW, 1), before, 0)).isNull();
    assertThat(order.inFlight()).isZero();
    // after the release, a fresh lease sees the released records in order: no dependency left
    assertThat(order.register(lease("a", Priority.LOW, 1), order.releaseEpoch(), 0).predecessorsOk())
        .isCompletedWithValue(true);
  }

  @Test
  void lessUrgentBatchesWaitForMoreUrgentOnesInFlight() {
    SendOrder order = new SendOrder();
    SendOrder.Ticket critical = order.register(lease("alarm", Priority.CRITICAL, 1), order.releaseEpoch(), 0);
    SendOrder.Ticket low = order.register(lease("logs", Priority.LOW, 1), order.releaseEpoch(), 0);
    SendOrder.Ticket critical2 = order.register(lease("other", Priority.CRITICAL, 1), order.releaseEpoch(), 0);
    assertThat(low.predecessorsOk()).isNotDone();
    assertThat(critical2.predecessorsOk()).isCompletedWithValue(true);
    order.answered(critical, true);
    assertThat(low.predecessorsOk()).isCompletedWithValue(true);
  }
}
