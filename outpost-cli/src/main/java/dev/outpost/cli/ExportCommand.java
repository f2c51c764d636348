package dev.outpost.cli;

import com.fasterxml.jackson.core.JsonGenerator;
import dev.outpost.core.wire.WireCodec;
import dev.outpost.server.ServerStore;
import dev.outpost.server.StoredRecord;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.Writer;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/**
 * {@code outpost export}: writes stored records in server order, one JSON object per line (the
 * same fields as {@code GET /v1/messages}), a page at a time so memory stays flat.
 */
@Command(name = "export", mixinStandardHelpOptions = true,
    description = "Export stored records in server order as JSON lines, straight from the store.")
public final class ExportCommand implements Callable<Integer> {
  static final int PAGE = 1000;

  @Spec CommandSpec spec;

  @Mixin StoreOptions store = new StoreOptions();

  @Option(names = "--device", paramLabel = "ID", description = "Only this device's records")
  String device;

  @Option(names = "--topic", paramLabel = "T", description = "Only this topic's records")
  String topic;

  @Option(names = "--after", paramLabel = "SEQ", defaultValue = "0", description = "Start after this server sequence. Default: 0")
  long after;

  @Option(names = "--format", paramLabel = "FMT", defaultValue = "jsonl", description = "Output format: jsonl (the only one)")
  String format;

  @Override
  public Integer call() throws IOException {
    if (!format.equals("jsonl")) {
      throw new IllegalArgumentException("--format must be jsonl, was '" + format + "'");
    }
    PrintWriter out = spec.commandLine().getOut();
    long count = 0;
    try (ServerStore s = ServerStore.open(store.configure().build());
        JsonGenerator g = WireCodec.mapper().getFactory().createGenerator(nonClosing(out))) {
      g.setRootValueSeparator(null);
      long cursor = after;
      while (true) {
        List<StoredRecord> page = s.page(cursor, PAGE, device, topic);
        for (StoredRecord r : page) {
          r.writeJson(g);
          g.writeRaw('\n');
          count++;
        }
        g.flush();
        if (page.isEmpty()) {
          break;
        }
        cursor = page.getLast().serverSeq();
      }
    }
    out.flush();
    spec.commandLine().getErr().println("exported " + count + " records");
    return 0;
  }

  private static Writer nonClosing(Writer w) {
    return new java.io.FilterWriter(w) {
      @Override
      public void close() throws IOException {
        flush();
      }
    };
  }

}
