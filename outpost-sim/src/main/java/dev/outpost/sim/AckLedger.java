package dev.outpost.sim;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.outpost.core.MessageId;
import dev.outpost.core.Priority;
import dev.outpost.core.wire.WireCodec;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Collection;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The records an edge acknowledged to its producers, for the {@link DeliveryChecker}. Producers
 * call {@link #acknowledged} from any thread once an append returned; the same id twice is kept
 * once.
 *
 * <p><b>File form</b> (optional, {@link #appendingTo}): one JSON object per line,
 * {@code {"device":"dev-1","epoch":123,"seq":5,"topic":"t","priority":"HIGH"}\n}, appended with
 * one write per line to a file opened in append mode. A line written survives the death of the
 * producer process (SIGKILL), not a machine crash (no fsync). {@link #read} skips a torn last
 * line (a producer killed mid-write: that ack never reached its caller either) and fails on a
 * malformed line anywhere else, naming file and line. Several processes should use one file each.
 *
 * <p>Thread-safe.
 */
public final class AckLedger implements AutoCloseable {
  /** One acknowledged record. */
  public record Entry(MessageId id, String topic, Priority priority) {
    public Entry {
      Objects.requireNonNull(id, "id");
      Objects.requireNonNull(topic, "topic");
      Objects.requireNonNull(priority, "priority");
    }
  }

  private static final ObjectMapper MAPPER = WireCodec.mapper();

  private final ConcurrentHashMap<MessageId, Entry> entries = new ConcurrentHashMap<>();
  private final FileChannel file; // null for an in-memory ledger
  private final Path path;
  private int tornLines;

  private AckLedger(FileChannel file, Path path) {
    this.file = file;
    this.path = path;
  }

  public static AckLedger inMemory() {
    return new AckLedger(null, null);
  }

  /** A ledger that also appends every new entry to {@code file} (created if missing). */
  public static AckLedger appendingTo(Path file) throws IOException {
    FileChannel ch = FileChannel.open(file,
        StandardOpenOption.CREATE, StandardOpenOption.WRITE, StandardOpenOption.APPEND);
    return new AckLedger(ch, file);
  }

  /** Reads and merges ledger files (e.g. one per producer process) into an in-memory ledger. */
  public static AckLedger read(List<Path> files) throws IOException {
    AckLedger ledger = inMemory();
    for (Path f : files) {
      ledger.load(f);
    }
    return ledger;
  }

  public static AckLedger read(Path file) throws IOException {
    return read(List.of(file));
  }

  /** Notes that the record {@code id} was acknowledged to its producer. */
  public void acknowledged(MessageId id, String topic, Priority priority) {
    Entry e = new Entry(id, topic, priority);
    if (entries.putIfAbsent(id, e) == null && file != null) {
      append(e);
    }
  }

  /** Same as {@link #acknowledged(MessageId, String, Priority)}, for an outbox's append result. */
  public void acknowledged(String deviceId, long epoch, long seq, String topic, Priority priority) {
    acknowledged(new MessageId(deviceId, epoch, seq), topic, priority);
  }

  public int size() {
    return entries.size();
  }

  public boolean contains(MessageId id) {
    return entries.containsKey(id);
  }

  /** A snapshot of every entry, in no particular order. */
  public Collection<Entry> entries() {
    return List.copyOf(entries.values());
  }

  /** Torn last lines skipped while reading files (at most one per file). */
  public synchronized int tornLines() {
    return tornLines;
  }

  @Override
  public void close() throws IOException {
    if (file != null) {
      synchronized (this) {
        file.close();
      }
    }
  }

  private void append(Entry e) {
    ObjectNode n = MAPPER.createObjectNode()
        .put("device", e.id().deviceId())
        .put("epoch", e.id().epoch())
        .put("seq", e.id().seq())
        .put("topic", e.topic())
        .put("priority", e.priority().name());
    ByteBuffer line = ByteBuffer.wrap((n + "\n").getBytes(StandardCharsets.UTF_8));
    synchronized (this) {
      try {
        while (line.hasRemaining()) {
          file.write(line);
        }
      } catch (IOException ex) {
        throw new UncheckedIOException("cannot append to ack ledger " + path + ": " + ex.getMessage(), ex);
      }
    }
  }

  private void load(Path f) throws IOException {
    String[] lines = new String(Files.readAllBytes(f), StandardCharsets.UTF_8).split("\n", -1);
    for (int i = 0; i < lines.length; i++) {
      if (i == lines.length - 1) { // after the last newline: empty, or a torn line
        if (!lines[i].isEmpty()) {
          synchronized (this) {
            tornLines++;
          }
        }
        break;
      }
      if (lines[i].isBlank()) {
        continue;
      }
      try {
        JsonNode n = MAPPER.readTree(lines[i]);
        MessageId id = new MessageId(
            n.get("device").asText(), n.get("epoch").asLong(), n.get("seq").asLong());
        acknowledged(id, n.get("topic").asText(), Priority.parse(n.get("priority").asText()));
      } catch (IOException | RuntimeException e) {
        throw new IOException(
            "ack ledger " + f + " line " + (i + 1) + " is malformed: " + e.getMessage(), e);
      }
    }
  }
}
