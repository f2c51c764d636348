package dev.outpost.edge.sync;

import dev.outpost.core.Backoff;
import dev.outpost.core.LinkState;
import dev.outpost.core.sync.PullPage;
import dev.outpost.edge.Replica;
import java.io.IOException;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The downlink: keeps a {@link Replica} up to date from the server's change feed. While the link
 * is up it long-polls the feed from the replica's cursor and applies each page (in one
 * transaction with its cursor, so a crash resumes from the last page applied); with more waiting
 * it pulls again at once. The link state decides how hard: ONLINE pulls big pages, DEGRADED small
 * ones (the uplink's urgent records go first), OFFLINE pulls nothing until the link monitor sees
 * the link again. A transient failure is retried with backoff; a refused cursor (the server no
 * longer knows it) starts a whole-subscription resync, keeping local writes. Runs on one thread of
 * its own; thread-safe.
 */
public final class Downlink implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(Downlink.class);

  /**
   * @param pageLimit documents per page while ONLINE
   * @param degradedPageLimit documents per page while DEGRADED
   * @param pollWait how long one long-poll waits for a change (at most 30 s)
   * @param backoff the delay before retrying after the n-th failure in a row
   */
  public record Settings(int pageLimit, int degradedPageLimit, Duration pollWait, Backoff backoff) {
    /** Pages of 5,000 while ONLINE: an initial sync commits once per 5,000 documents. */
    public static final Settings DEFAULTS = new Settings(5000, 100, Duration.ofSeconds(25),
        Backoff.exponential(Duration.ofMillis(500), 2.0));

    public Settings {
      if (pageLimit < 1 || pageLimit > 10_000 || degradedPageLimit < 1 || degradedPageLimit > pageLimit) {
        throw new IllegalArgumentException("page limits must be 1..10000 with the degraded one at most the other,"
            + " were " + pageLimit + " and " + degradedPageLimit);
      }
      if (pollWait.isNegative() || pollWait.toSeconds() > 30) {
        throw new IllegalArgumentException("pollWait must be 0..30 s, was " + pollWait);
      }
      Objects.requireNonNull(backoff, "backoff");
    }
  }

  /** What the downlink has done: pages and documents applied, failures, the last failure. */
  public record Status(long pages, long changes, long failures, long resyncs, String lastError, boolean running) {}

  private static final Duration MAX_RETRY_DELAY = Duration.ofMinutes(1);

  private final Replica replica;
  private final ChangeFeed feed;
  private final LinkMonitor link;
  private final Settings settings;
  private final Thread thread;
  private final java.util.concurrent.ExecutorService fetcher = java.util.concurrent.Executors.newSingleThreadExecutor(
      Thread.ofPlatform().name("outpost-downlink-fetch").daemon(true).factory());
  private final ReentrantLock lock = new ReentrantLock();
  private final Condition wake = lock.newCondition();
  private final AtomicLong pages = new AtomicLong();
  private final AtomicLong changes = new AtomicLong();
  private final AtomicLong failures = new AtomicLong();
  private final AtomicLong resyncs = new AtomicLong();
  private volatile String lastError;
  private volatile boolean running = true;

  private Downlink(Replica replica, ChangeFeed feed, LinkMonitor link, Settings settings) {
    this.replica = replica;
    this.feed = feed;
    this.link = link;
    this.settings = settings;
    if (link != null) {
      link.addListener((from, to) -> signal());
    }
    this.thread = Thread.ofPlatform().name("outpost-downlink").daemon(true).unstarted(this::run);
  }

  /**
   * Starts pulling into {@code replica}.
   *
   * @param link the link monitor whose state decides when and how hard to pull (the sync
   *     engine's, {@link SyncEngine#linkMonitor()}); null: always as if ONLINE
   */
  public static Downlink start(Replica replica, ChangeFeed feed, LinkMonitor link, Settings settings) {
    Downlink d = new Downlink(Objects.requireNonNull(replica, "replica"), Objects.requireNonNull(feed, "feed"), link,
        Objects.requireNonNull(settings, "settings"));
    d.thread.start();
    return d;
  }

  public Status status() {
    return new Status(pages.get(), changes.get(), failures.get(), resyncs.get(), lastError, running);
  }

  private void run() {
    int failed = 0;
    // while one page is applied, the next is already on its way (a catch-up or an initial sync
    // pulls page after page): the pull and the apply overlap instead of taking turns
    java.util.concurrent.Future<PullPage> prefetched = null;
    try {
      while (running) {
        LinkState state = link == null ? LinkState.ONLINE : link.state();
        if (state == LinkState.OFFLINE) {
          prefetched = cancel(prefetched);
          pause(Duration.ofSeconds(1)); // woken at once by a link state change
          continue;
        }
        int limit = state == LinkState.DEGRADED ? settings.degradedPageLimit() : settings.pageLimit();
        try {
          PullPage page = prefetched != null ? take(prefetched) : feed.pull(replica.cursor().orElse(null), limit, settings.pollWait());
          prefetched = null;
          if (!running) {
            return; // closing: a page not applied is pulled again after a restart
          }
          if (page.more() && !page.cursor().isEmpty()) {
            prefetched = fetcher.submit(() -> feed.pull(page.cursor(), limit, settings.pollWait()));
          }
          if (page.resync()) {
            resyncs.incrementAndGet();
            LOG.info("downlink: resync ordered by the server: {}", page.reason());
          }
          int applied = replica.apply(page);
          pages.incrementAndGet();
          changes.addAndGet(applied);
          failed = 0;
          lastError = null;
        } catch (ChangeFeed.Refused e) {
          prefetched = cancel(prefetched);
          failed++;
          failures.incrementAndGet();
          lastError = e.getMessage();
          if (e.badCursor()) {
            // the server does not know this cursor (a restored server, a rotated key): start over
            // from the beginning, dropping at the end what the snapshot does not list
            LOG.warn("downlink: {}; pulling the whole subscription again", e.getMessage());
            resyncs.incrementAndGet();
            replica.apply(new PullPage(List.of(), "", true, true, e.getMessage()));
          } else {
            LOG.warn("downlink: {}", e.getMessage());
          }
          pause(delay(failed));
        } catch (IOException | RuntimeException e) {
          prefetched = cancel(prefetched); // it followed a page that may not be applied
          failed++;
          failures.incrementAndGet();
          lastError = e.getMessage();
          if (running) {
            LOG.debug("downlink: pull failed ({} in a row): {}", failed, e.toString());
            pause(delay(failed));
          }
        }
      }
    } finally {
      cancel(prefetched);
      fetcher.shutdownNow();
    }
  }

  private static PullPage take(java.util.concurrent.Future<PullPage> f) throws IOException {
    try {
      return f.get();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("interrupted", e);
    } catch (java.util.concurrent.ExecutionException e) {
      if (e.getCause() instanceof IOException io) {
        throw io;
      }
      if (e.getCause() instanceof RuntimeException r) {
        throw r;
      }
      throw new IOException(e.getCause());
    }
  }

  private static java.util.concurrent.Future<PullPage> cancel(java.util.concurrent.Future<PullPage> f) {
    if (f != null) {
      f.cancel(true);
    }
    return null;
  }

  private Duration delay(int failed) {
    Duration d = settings.backoff().delay(failed);
    return d.compareTo(MAX_RETRY_DELAY) > 0 ? MAX_RETRY_DELAY : d;
  }

  private void pause(Duration d) {
    lock.lock();
    try {
      if (running) {
        wake.await(d.toNanos(), TimeUnit.NANOSECONDS);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      running = false;
    } finally {
      lock.unlock();
    }
  }

  private void signal() {
    lock.lock();
    try {
      wake.signalAll();
    } finally {
      lock.unlock();
    }
  }

  /** Stops pulling; a long-poll in flight is abandoned (its page is pulled again next time). */
  @Override
  public void close() {
    running = false;
    signal();
    thread.interrupt();
    try {
      thread.join(TimeUnit.SECONDS.toMillis(10));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
