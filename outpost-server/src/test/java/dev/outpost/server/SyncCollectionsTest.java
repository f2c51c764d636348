package dev.outpost.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.outpost.core.sync.CollectionRules;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

class SyncCollectionsTest {

  @Test
  void theDocumentedShapeReadsAsWritten() {
    SyncCollections c = SyncCollections.parse("""
        collections:
          orders:
            conflict: lww            # lww | server-wins | manual
            counters: [qty]          # PN-counter fields
            sets: [tags]             # add-wins set fields
            devices: read-write      # read | read-write
            subscribe: all           # or: {where: {site: "$device.site"}}
            max_doc_bytes: 65536
          prices:
            conflict: server-wins
            subscribe: {where: {site: "$device.site", kind: retail}}
          tickets:
            conflict: manual
        """, "test.yaml");
    SyncCollections.Collection orders = c.get("orders").orElseThrow();
    assertThat(orders.rules()).isEqualTo(new CollectionRules("orders", CollectionRules.Conflict.LWW, Set.of("qty"),
        Set.of("tags"), CollectionRules.Access.READ_WRITE, 65536));
    assertThat(orders.subscribe().all()).isTrue();
    SyncCollections.Collection prices = c.get("prices").orElseThrow();
    assertThat(prices.rules().conflict()).isEqualTo(CollectionRules.Conflict.SERVER_WINS);
    assertThat(prices.rules().devices()).as("default access").isEqualTo(CollectionRules.Access.READ);
    assertThat(prices.rules().maxDocBytes()).isEqualTo(SyncCollections.DEFAULT_MAX_DOC_BYTES);
    assertThat(prices.subscribe().where()).isEqualTo(Map.of("site", "$device.site", "kind", "retail"));
    assertThat(SyncCollections.Subscription.label("$device.site")).contains("site");
    assertThat(SyncCollections.Subscription.label("retail")).isEmpty();
    assertThat(c.get("tickets").orElseThrow().rules().conflict()).isEqualTo(CollectionRules.Conflict.MANUAL);
    assertThat(c.get("nope")).isEmpty();
    assertThat(SyncCollections.parse("", "empty.yaml").all()).isEmpty();
  }

  @Test
  void everyMistakeNamesTheKeyAndWhatIsAllowed() {
    assertThatThrownBy(() -> SyncCollections.parse("collections:\n  orders:\n    conflikt: lww\n", "s.yaml"))
        .hasMessage("sync config s.yaml: unknown key 'collections.orders.conflikt' (allowed: conflict, counters,"
            + " devices, max_doc_bytes, sets, subscribe)");
    assertThatThrownBy(() -> SyncCollections.parse("collections:\n  orders:\n    conflict: newest\n", "s.yaml"))
        .hasMessageContaining("collections.orders.conflict: 'newest' is not a strategy (allowed: lww, server-wins, manual)");
    assertThatThrownBy(() -> SyncCollections.parse("collections:\n  orders:\n    devices: write\n", "s.yaml"))
        .hasMessageContaining("collections.orders.devices: 'write' is not an access (allowed: read, read-write)");
    assertThatThrownBy(() -> SyncCollections.parse("collections:\n  orders:\n    counters: qty\n", "s.yaml"))
        .hasMessageContaining("collections.orders.counters must be a list of field names");
    assertThatThrownBy(() -> SyncCollections.parse("collections:\n  orders:\n    counters: [a]\n    sets: [a]\n", "s.yaml"))
        .hasMessageContaining("field 'a' is both in counters and in sets");
    assertThatThrownBy(() -> SyncCollections.parse("collections:\n  orders:\n    max_doc_bytes: -1\n", "s.yaml"))
        .hasMessageContaining("collections.orders.max_doc_bytes: '-1' is not a size");
    assertThatThrownBy(() -> SyncCollections.parse("collections:\n  orders:\n    subscribe: some\n", "s.yaml"))
        .hasMessageContaining("collections.orders.subscribe: must be 'all' or {where: {field: value}}");
    assertThatThrownBy(() -> SyncCollections.parse("collections:\n  orders:\n    subscribe: {where: {site: $site}}\n", "s.yaml"))
        .hasMessageContaining("'$site' is not a label reference");
    assertThatThrownBy(() -> SyncCollections.parse("collections:\n  bad name:\n    conflict: lww\n", "s.yaml"))
        .hasMessageContaining("collections.bad name: a collection name is 1 to 64");
    assertThatThrownBy(() -> SyncCollections.parse("colections: {}\n", "s.yaml"))
        .hasMessageContaining("unknown key 'colections' (allowed: collections)");
    assertThatThrownBy(() -> SyncCollections.parse("collections:\n  a: {}\n  a: {}\n", "s.yaml"))
        .hasMessageContaining("not valid YAML");
  }
}
