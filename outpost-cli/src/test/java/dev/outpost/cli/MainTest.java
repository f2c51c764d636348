package dev.outpost.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import org.junit.jupiter.api.Test;

class MainTest {
  record Result(int code, String out, String err) {}

  static Result run(String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    int code = Main.run(args, new PrintWriter(out, true), new PrintWriter(err, true));
    return new Result(code, out.toString(), err.toString());
  }

  @Test
  void helpListsUsageAndExitsZero() {
    Result r = run("--help");
    assertThat(r.code()).isZero();
    assertThat(r.out()).contains("Usage: outpost");
  }

  @Test
  void unknownSubcommandPrintsUsageAndExitsTwo() {
    Result r = run("frobnicate");
    assertThat(r.code()).isEqualTo(2);
    assertThat(r.err()).contains("frobnicate").contains("Usage: outpost");
  }

  @Test
  void noSubcommandIsAUsageError() {
    Result r = run();
    assertThat(r.code()).isEqualTo(2);
    assertThat(r.err()).contains("Usage: outpost");
  }
}
