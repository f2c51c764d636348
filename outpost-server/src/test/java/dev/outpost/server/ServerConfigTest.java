package dev.outpost.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;

class ServerConfigTest {
  @Test
  void defaultsToEmbeddedSqliteOnLoopback() {
    ServerConfig c = ServerConfig.builder().dataDir(Path.of("x")).build();
    assertThat(c.store()).isEqualTo(StoreKind.SQLITE);
    assertThat(c.host()).isEqualTo("127.0.0.1");
    assertThat(c.adminToken()).isNull();
    assertThat(c.newBuilder().port(0).build().port()).isZero();
    assertThat(c.chainWait()).isEqualTo(Duration.ofSeconds(2));
    assertThat(c.newBuilder().chainWait(Duration.ZERO).build().newBuilder().build().chainWait()).isZero();
  }

  @Test
  void pgUrlImpliesPostgres() {
    ServerConfig c = ServerConfig.builder().pgUrl("jdbc:postgresql://127.0.0.1/x").build();
    assertThat(c.store()).isEqualTo(StoreKind.POSTGRES);
  }

  @Test
  void badValuesAreNamed() {
    assertThatThrownBy(() -> ServerConfig.builder().port(70000)).hasMessageContaining("port");
    assertThatThrownBy(() -> ServerConfig.builder().maxBatchRecords(0)).hasMessageContaining("maxBatchRecords");
    assertThatThrownBy(() -> ServerConfig.builder().pgUrl("postgres://x")).hasMessageContaining("pgUrl");
    assertThatThrownBy(() -> ServerConfig.builder().adminToken("short")).hasMessageContaining("adminToken");
    assertThatThrownBy(() -> ServerConfig.builder().storeTimeout(Duration.ZERO)).hasMessageContaining("storeTimeout");
    assertThatThrownBy(() -> ServerConfig.builder().chainWait(Duration.ofMillis(-1))).hasMessageContaining("chainWait");
    assertThatThrownBy(() -> ServerConfig.builder().chainWait(null)).hasMessageContaining("chainWait");
    assertThatThrownBy(() -> ServerConfig.builder().build()).hasMessageContaining("dataDir");
    assertThatThrownBy(() -> ServerConfig.builder().store(StoreKind.POSTGRES).build()).hasMessageContaining("pgUrl");
    assertThatThrownBy(() -> ServerConfig.builder().dataDir(Path.of("x")).maxBodyBytes(10).maxInflatedBytes(5).build())
        .hasMessageContaining("maxInflatedBytes");
  }
}
