package dev.outpost.agent;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

class AgentJvmOptionsTest {
  @Test
  void theShippedFlagsBoundTheHeapPickTheSerialCollectorAndExitOnOutOfMemory() {
    assertThat(AgentJvmOptions.shipped())
        .contains("-XX:+UseSerialGC", "-XX:+ExitOnOutOfMemoryError")
        .anyMatch(f -> f.startsWith("-Xmx"))
        .noneMatch(f -> f.startsWith("#") || f.isBlank());
  }

  @Test
  void theDeploymentDocsUseExactlyTheShippedFlags() throws Exception {
    String deploy = Files.readString(Path.of("").toAbsolutePath().getParent().resolve("docs/deploy.md"));
    String plain = String.join(" ", AgentJvmOptions.shipped());
    String quoted =
        AgentJvmOptions.shipped().stream().map(f -> "\"" + f + "\"").collect(Collectors.joining(", "));
    assertThat(deploy).as("systemd ExecStart").contains("ALL-UNNAMED " + plain + " ");
    assertThat(deploy).as("container ENTRYPOINT").contains("\"--enable-native-access=ALL-UNNAMED\", " + quoted + ", \"-jar\"");
  }
}
