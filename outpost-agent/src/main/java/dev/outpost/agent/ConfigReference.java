package dev.outpost.agent;

/**
 * Renders the key table of docs/config.md from {@link AgentConfig#keys()}, so the reference
 * cannot drift from the code (a test compares them). Regenerate with
 * {@code java -cp outpost-edge/target/classes:... dev.outpost.agent.ConfigReference}.
 */
public final class ConfigReference {
  public static final String BEGIN = "<!-- BEGIN GENERATED KEY TABLE (ConfigReference) -->";
  public static final String END = "<!-- END GENERATED KEY TABLE -->";

  private ConfigReference() {}

  public static String markdownTable() {
    StringBuilder sb = new StringBuilder();
    sb.append(BEGIN).append('\n');
    sb.append("| key | environment variable | default | allowed | what it does |\n");
    sb.append("|---|---|---|---|---|\n");
    for (ConfigKey<?> k : AgentConfig.keys()) {
      sb.append("| `").append(k.name()).append("` | `").append(k.envName()).append("` | ")
          .append(k.defaultText() == null ? "—" : "`" + k.defaultText() + "`").append(" | ")
          .append(escape(k.allowed())).append(" | ").append(escape(k.doc())).append(" |\n");
    }
    sb.append(END).append('\n');
    return sb.toString();
  }

  private static String escape(String s) {
    return s.replace("|", "\\|");
  }

  public static void main(String[] args) {
    System.out.print(markdownTable());
  }
}
