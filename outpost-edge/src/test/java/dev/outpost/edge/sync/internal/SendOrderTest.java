package dev.outpost.edge.sync.internal;

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

  private static SendOrder.Ticket register(SendOrder order, Lease lease, boolean chaining) {
    return order.register(lease, order.releaseEpoch(), 0, chaining);
  }

  @Test
  void disjointLanesGoAtOnceTheSameLaneWaitsForItsPredecessor() {
    SendOrder order = new SendOrder();
    SendOrder.Ticket a1 = register(order, lease("a", Priority.NORMAL, 3), false);
    SendOrder.Ticket b1 = register(order, lease("b", Priority.NORMAL, 3), false);
    SendOrder.Ticket a2 = register(order, lease("a", Priority.NORMAL, 3), false);
    assertThat(a1.ready()).isDone();
    assertThat(b1.ready()).isDone();
    assertThat(order.decide(a1)).isEqualTo(new SendOrder.Go(true, null));
    assertThat(a2.ready()).isNotDone();
    order.sending(a1); // without chaining, a request on its way is not enough
    assertThat(a2.ready()).isNotDone();
    order.answered(a1, true);
    assertThat(a2.ready()).isDone();
    assertThat(order.decide(a2)).isEqualTo(new SendOrder.Go(true, null));
    assertThat(order.inFlight()).isEqualTo(3);
    order.finished(a1);
    assertThat(order.inFlight()).isEqualTo(2);
  }

  @Test
  void aFailedPredecessorFailsItsSuccessorsInCascade() {
    SendOrder order = new SendOrder();
    SendOrder.Ticket a1 = register(order, lease("a", Priority.HIGH, 2), false);
    SendOrder.Ticket a2 = register(order, lease("a", Priority.HIGH, 2), false);
    SendOrder.Ticket a3 = register(order, lease("a", Priority.HIGH, 2), false);
    order.releasing();
    order.answered(a1, false);
    assertThat(a2.ready()).isDone();
    assertThat(order.decide(a2).send()).isFalse();
    order.answered(a2, false);
    assertThat(order.decide(a3).send()).isFalse();
  }

  @Test
  void aLeaseTakenWhileARecordWasReleasedIsRefused() {
    SendOrder order = new SendOrder();
    long before = order.releaseEpoch();
    order.releasing(); // another batch released records while we were leasing
    assertThat(order.register(lease("a", Priority.LOW, 1), before, 0, true)).isNull();
    assertThat(order.inFlight()).isZero();
    // after the release, a fresh lease sees the released records in order: no dependency left
    assertThat(register(order, lease("a", Priority.LOW, 1), true).ready()).isDone();
  }

  @Test
  void lessUrgentBatchesWaitForMoreUrgentOnesInFlight() {
    SendOrder order = new SendOrder();
    SendOrder.Ticket critical = register(order, lease("alarm", Priority.CRITICAL, 1), false);
    SendOrder.Ticket low = register(order, lease("logs", Priority.LOW, 1), false);
    SendOrder.Ticket critical2 = register(order, lease("other", Priority.CRITICAL, 1), false);
    assertThat(low.ready()).isNotDone();
    assertThat(critical2.ready()).isDone();
    order.answered(critical, true);
    assertThat(low.ready()).isDone();
    assertThat(order.decide(low)).isEqualTo(new SendOrder.Go(true, null));
  }

  @Test
  void chainedBatchGoesOnceItsPredecessorIsOnTheWayAndNamesIt() {
    SendOrder order = new SendOrder();
    SendOrder.Ticket a1 = register(order, lease("a", Priority.NORMAL, 3), true);
    SendOrder.Ticket a2 = register(order, lease("a", Priority.NORMAL, 3), true);
    SendOrder.Ticket a3 = register(order, lease("a", Priority.NORMAL, 3), true);
    assertThat(a1.ready()).isDone();
    assertThat(a2.ready()).isNotDone();
    order.sending(a1);
    assertThat(a2.ready()).isDone();
    assertThat(order.decide(a2)).isEqualTo(new SendOrder.Go(true, a1.id()));
    assertThat(a3.ready()).isNotDone();
    order.sending(a2);
    // a1 answered before a3 decides: a3 chains only to a2, the latest predecessor
    order.answered(a1, true);
    assertThat(order.decide(a3)).isEqualTo(new SendOrder.Go(true, a2.id()));
    // once its predecessor was answered, a batch goes unchained
    order.answered(a2, true);
    assertThat(order.decide(a3)).isEqualTo(new SendOrder.Go(true, null));
  }

  @Test
  void chainedBatchWaitsForTheAnswerOfEveryOtherPredecessor() {
    SendOrder order = new SendOrder();
    SendOrder.Ticket a1 = register(order, lease("a", Priority.NORMAL, 1), true);
    SendOrder.Ticket b1 = register(order, lease("b", Priority.NORMAL, 1), true);
    Lease both = new Lease(7, List.of(
        new Message(++seq, "a", Priority.NORMAL, 0, Map.of(), new byte[] {1}),
        new Message(++seq, "b", Priority.NORMAL, 0, Map.of(), new byte[] {1})), new int[2]);
    SendOrder.Ticket ab = register(order, both, true);
    order.sending(a1);
    order.sending(b1);
    assertThat(ab.ready()).as("a1 is not its latest predecessor: its answer is needed").isNotDone();
    order.answered(a1, true);
    assertThat(ab.ready()).isDone();
    assertThat(order.decide(ab)).isEqualTo(new SendOrder.Go(true, b1.id()));
  }

  @Test
  void chainedBatchIsReleasedWhenItsPredecessorFailedBeforeItWent() {
    SendOrder order = new SendOrder();
    SendOrder.Ticket a1 = register(order, lease("a", Priority.NORMAL, 1), true);
    SendOrder.Ticket a2 = register(order, lease("a", Priority.NORMAL, 1), true);
    order.releasing();
    order.answered(a1, false); // released unsent: answered without ever sending
    assertThat(a2.ready()).isDone();
    assertThat(order.decide(a2).send()).isFalse();
  }

  @Test
  void aRefusalAfterAStoredPredecessorTellsTheServerDoesNotSeeTheChain() {
    SendOrder order = new SendOrder();
    SendOrder.Ticket a1 = register(order, lease("a", Priority.NORMAL, 1), true);
    SendOrder.Ticket a2 = register(order, lease("a", Priority.NORMAL, 1), true);
    SendOrder.Ticket b1 = register(order, lease("b", Priority.NORMAL, 1), true);
    order.sending(a1);
    assertThat(order.decide(a2).after()).isEqualTo(a1.id());
    assertThat(order.chainedToStored(a2)).as("predecessor not answered yet").isFalse();
    order.answered(a1, true);
    assertThat(order.chainedToStored(a2)).as("a 409 now means the server lost the chain").isTrue();
    assertThat(order.chainedToStored(b1)).as("not chained at all").isFalse();
    SendOrder.Ticket a3 = register(order, lease("a", Priority.NORMAL, 1), true);
    order.sending(a2);
    order.releasing();
    order.answered(a2, false);
    assertThat(order.chainedToStored(a3)).as("predecessor failed: a 409 is expected").isFalse();
  }

  @Test
  void aBatchAnsweredBeforeTheOneItWasChainedToLeavesTheLaneToThatOne() {
    // a1 is on its way (say, black-holed); a2 was chained to it but was refused, or released
    // unsent because of another failed predecessor: the next batch of lane a must still wait
    // for a1, not overtake it
    SendOrder order = new SendOrder();
    SendOrder.Ticket a1 = register(order, lease("a", Priority.HIGH, 1), true);
    order.sending(a1);
    SendOrder.Ticket a2 = register(order, lease("a", Priority.HIGH, 1), true);
    order.releasing();
    order.answered(a2, false);
    SendOrder.Ticket a3 = register(order, lease("a", Priority.HIGH, 1), true);
    assertThat(a3.ready()).isDone();
    assertThat(order.decide(a3)).isEqualTo(new SendOrder.Go(true, a1.id()));
    SendOrder.Ticket a4 = register(order, lease("a", Priority.HIGH, 1), false);
    assertThat(a4.ready()).as("unchained: waits for a3, which the server stores only after a1").isNotDone();
    order.answered(a1, true);
    order.answered(a3, true);
    assertThat(a4.ready()).isDone();
    assertThat(order.decide(a4)).isEqualTo(new SendOrder.Go(true, null));
  }

  @Test
  void batchIdsAreUniqueWithinARunAndAcrossRuns() {
    SendOrder one = new SendOrder();
    SendOrder two = new SendOrder();
    String a = register(one, lease("a", Priority.LOW, 1), true).id();
    String b = register(one, lease("a", Priority.LOW, 1), true).id();
    String c = register(two, lease("a", Priority.LOW, 1), true).id();
    assertThat(a).isNotEqualTo(b).isNotEqualTo(c).matches("[A-Za-z0-9._:-]{1,64}");
    assertThat(c.substring(0, 12)).isNotEqualTo(a.substring(0, 12));
  }
}
