package dev.outpost.edge.internal;

import dev.outpost.edge.OutboxStorageException;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * One open outbox per store directory: an OS file lock on {@code outbox.lock}, held from open to
 * close. A second open (same or another process) fails at once with a clear message instead of
 * two writers handing out the same seqs. The OS drops the lock when the process dies, so a crash
 * never leaves the store locked. Thread-safe.
 */
final class DirectoryLock implements AutoCloseable {
  static final String FILE = "outbox.lock";

  private final FileChannel channel;
  private final FileLock lock;

  private DirectoryLock(FileChannel channel, FileLock lock) {
    this.channel = channel;
    this.lock = lock;
  }

  static DirectoryLock acquire(Path dir) {
    Path file = dir.resolve(FILE);
    FileChannel channel = null;
    try {
      Files.createDirectories(dir);
      channel = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE);
      FileLock lock = channel.tryLock();
      if (lock == null) {
        throw new IllegalStateException(busy(dir, "another process"));
      }
      return new DirectoryLock(channel, lock);
    } catch (OverlappingFileLockException e) {
      StoreFile.closeQuietly(channel);
      throw new IllegalStateException(busy(dir, "this process"), e);
    } catch (IOException e) {
      StoreFile.closeQuietly(channel);
      throw new OutboxStorageException("cannot lock outbox directory " + dir + " (" + file + "): " + e, e);
    } catch (RuntimeException e) {
      StoreFile.closeQuietly(channel);
      throw e;
    }
  }

  private static String busy(Path dir, String who) {
    return "outbox " + dir + " is already open in " + who + "; close it first (one Outbox per directory)";
  }

  @Override
  public void close() {
    try {
      lock.release();
    } catch (IOException e) {
      // closing the channel releases it too
    }
    StoreFile.closeQuietly(channel);
  }
}
