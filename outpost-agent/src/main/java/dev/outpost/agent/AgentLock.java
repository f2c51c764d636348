package dev.outpost.agent;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Optional;
import java.util.concurrent.locks.LockSupport;

/**
 * The data dir's {@code agent.lock}: an OS file lock held by the running agent for its whole
 * life, with {@code {"pid": …, "api": "http://127.0.0.1:7411"}} written in it. The OS drops the
 * lock when the process dies (also on SIGKILL), so a stale file never blocks a restart. Operator
 * commands {@link #probe} it to find a running agent and its API. Thread-safe.
 */
public final class AgentLock implements AutoCloseable {
  public static final String FILE = "agent.lock";
  /** How long {@link #acquire} keeps trying a lock that may only be held by a probe. */
  static final long PROBE_GRACE_MILLIS = 500;

  /** A running agent found by {@link #probe}: its pid and local API base URL (null if not yet known). */
  public record Running(long pid, String api) {}

  private final Path file;
  private final FileChannel channel;
  private final FileLock lock;

  private AgentLock(Path file, FileChannel channel, FileLock lock) {
    this.file = file;
    this.channel = channel;
    this.lock = lock;
  }

  /** Takes the lock or throws naming the agent that holds it. Creates the data dir if missing. */
  public static AgentLock acquire(Path dataDir) {
    Path file = dataDir.resolve(FILE);
    FileChannel ch = null;
    try {
      Files.createDirectories(dataDir);
      ch = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.READ, StandardOpenOption.WRITE);
      FileLock lock = tryLockPastProbes(ch);
      if (lock == null) {
        Running other = read(ch);
        ch.close();
        throw new IllegalStateException("another agent already runs on data dir " + dataDir
            + (other == null ? "" : " (pid " + other.pid() + ", API " + other.api() + ")")
            + "; stop it first, or give this one another data-dir");
      }
      return new AgentLock(file, ch, lock);
    } catch (IOException e) {
      closeQuietly(ch);
      throw new IllegalStateException("cannot lock data dir " + dataDir + " (" + file + "): " + e, e);
    }
  }

  /**
   * The lock, or null if another agent holds it. {@link #probe} takes the lock for a few
   * microseconds to see whether it is free, so one failed try may be a probe, not an agent (an
   * {@code outpost status} racing an agent's start made it refuse to run): try again for up to
   * {@link #PROBE_GRACE_MILLIS} ms before believing it is held.
   */
  private static FileLock tryLockPastProbes(FileChannel ch) throws IOException {
    long deadline = System.nanoTime() + PROBE_GRACE_MILLIS * 1_000_000L;
    for (int attempt = 0; attempt < PROBE_GRACE_MILLIS; attempt++) {
      try {
        FileLock lock = ch.tryLock();
        if (lock != null) {
          return lock;
        }
      } catch (OverlappingFileLockException e) {
        // held (or being probed) inside this JVM: same answer, same grace
      }
      if (System.nanoTime() >= deadline) {
        return null;
      }
      LockSupport.parkNanos(1_000_000L);
    }
    return null;
  }

  /** Records who holds the lock, for operator commands. */
  public void describe(long pid, String apiUrl) {
    byte[] json = ("{\"pid\": " + pid + ", \"api\": \"" + apiUrl + "\"}\n").getBytes(StandardCharsets.UTF_8);
    try {
      channel.truncate(0);
      channel.write(ByteBuffer.wrap(json), 0);
      channel.force(true);
    } catch (IOException e) {
      throw new IllegalStateException("cannot write " + file + ": " + e, e);
    }
  }

  /** The agent running on {@code dataDir}, if one holds the lock now. Never blocks, never creates. */
  public static Optional<Running> probe(Path dataDir) {
    Path file = dataDir.resolve(FILE);
    if (!Files.exists(file)) {
      return Optional.empty();
    }
    try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
      FileLock lock;
      try {
        lock = ch.tryLock();
      } catch (OverlappingFileLockException e) {
        lock = null; // held in this very JVM (tests)
      }
      if (lock != null) {
        lock.release();
        return Optional.empty();
      }
      Running r = read(ch);
      return Optional.of(r == null ? new Running(-1, null) : r);
    } catch (IOException e) {
      return Optional.empty();
    }
  }

  private static Running read(FileChannel ch) throws IOException {
    ByteBuffer buf = ByteBuffer.allocate(4096);
    ch.read(buf, 0);
    String text = new String(buf.array(), 0, buf.position(), StandardCharsets.UTF_8).trim();
    if (text.isEmpty()) {
      return null;
    }
    try {
      JsonNode n = StatusDocument.JSON.readTree(text);
      return new Running(n.path("pid").asLong(-1), n.path("api").isTextual() ? n.path("api").asText() : null);
    } catch (IOException e) {
      return null;
    }
  }

  @Override
  public void close() {
    try {
      if (lock.isValid()) {
        lock.release();
      }
    } catch (IOException e) {
      // the channel close below drops it anyway
    }
    closeQuietly(channel);
  }

  private static void closeQuietly(FileChannel ch) {
    if (ch != null) {
      try {
        ch.close();
      } catch (IOException e) {
        // nothing left to do
      }
    }
  }
}
