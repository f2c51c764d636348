package dev.outpost.sim;

import dev.outpost.sim.internal.ProxiedConnection;
import dev.outpost.sim.internal.ProxyCounters;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executor;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A TCP proxy for HTTP/1.1 on loopback that injects the faults of a bad field link on command:
 * refused connections, resets mid-request, stalls, trickling bandwidth, 5xx/429 answers and lost
 * answers (the server commits, the client never hears). Tests, the chaos suite and the fleet
 * demo put one between an edge and the server.
 *
 * <pre>
 * try (FaultProxy proxy = FaultProxy.start("dev-1", new InetSocketAddress("127.0.0.1", server.port()))) {
 *   // point the edge at proxy.uri() instead of the server
 *   proxy.setFault(Fault.loseAnswer());          // or refuse(), httpStatus(503, 2), trickle(2048) …
 *   proxy.setMix(FaultMix.builder(new Random(7)).add(Fault.reset(), 0.1).build());
 *   proxy.heal();
 *   proxy.stats();                               // connections, requests, bytes, faults by kind
 * }
 * </pre>
 *
 * <p><b>When a fault takes effect.</b> The proxy reads each HTTP request head and draws the
 * fault for that request, so a {@link #setFault} or {@link #setMix} applies to the very next
 * request, also on kept-alive connections. A request already forwarded finishes under the fault
 * it started with. {@link Fault.Kind#REFUSE} is a link-level fault: it closes the listener (new
 * connects get ECONNREFUSED at once) and RSTs every open connection; leaving REFUSE listens again
 * on the same port. {@link #cutAll()} RSTs every open connection on demand.
 *
 * <p><b>Threads and sockets.</b> Every thread is a virtual thread named
 * {@code outpost-proxy-<name>-<n>}: one accepts, two per connection copy. {@link #close()}
 * closes the listener, RSTs every connection and waits for every thread to end.
 *
 * <p>Thread-safe. Keeps no state on disk; a crash of the process just drops the connections.
 * Only HTTP/1.1 without pipelining is understood; an {@code h2c} upgrade offer is stripped.
 */
public final class FaultProxy implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(FaultProxy.class);

  private final ProxyConfig config;
  private final int port;
  private final ExecutorService executor;
  private final ProxyCounters counters = new ProxyCounters();
  private final Set<ProxiedConnection> open = ConcurrentHashMap.newKeySet();
  private final Object lock = new Object();
  private volatile Fault fixed = Fault.pass();
  private volatile FaultMix mix; // when set, wins over fixed
  private ServerSocket listener; // guarded by lock; null while refusing or closed
  private Future<?> accepting; // guarded by lock; the accept loop of listener
  private volatile boolean closed;

  private FaultProxy(ProxyConfig config, ServerSocket listener) {
    this.config = config;
    this.listener = listener;
    this.port = listener.getLocalPort();
    this.executor = Executors.newThreadPerTaskExecutor(
        Thread.ofVirtual().name(ProxyConfig.THREAD_PREFIX + config.name() + "-", 0).factory());
  }

  /** Starts listening; the proxy passes everything until told otherwise. */
  public static FaultProxy start(ProxyConfig config) throws IOException {
    Objects.requireNonNull(config, "config");
    FaultProxy proxy = new FaultProxy(config, listen(config, config.port()));
    proxy.accepting = proxy.acceptOn(proxy.listener);
    log.debug("proxy {} listening on {} -> {}", config.name(), proxy.port, config.target());
    return proxy;
  }

  /** Convenience: a proxy named {@code name} on a free loopback port in front of {@code target}. */
  public static FaultProxy start(String name, InetSocketAddress target) throws IOException {
    return start(ProxyConfig.builder(target).name(name).build());
  }

  public int port() {
    return port;
  }

  public InetSocketAddress address() {
    return new InetSocketAddress(config.bindAddress(), port);
  }

  /** {@code http://<bind address>:<port>} — the base URI a client should use instead of the target's. */
  public URI uri() {
    return URI.create("http://" + config.bindAddress().getHostAddress() + ":" + port);
  }

  public ProxyConfig config() {
    return config;
  }

  /** Every request from now on gets {@code fault}; see the class comment for timing. */
  public void setFault(Fault fault) {
    Objects.requireNonNull(fault, "fault");
    synchronized (lock) {
      requireOpen();
      Fault before = fixed;
      fixed = fault;
      mix = null;
      if (fault.kind() == Fault.Kind.REFUSE) {
        stopListening();
        for (ProxiedConnection c : open) {
          counters.fault(Fault.Kind.REFUSE);
          c.abort();
        }
      } else {
        listenAgain();
      }
      if (!fault.equals(before)) {
        log.debug("proxy {}: {} -> {}", config.name(), before, fault);
      }
    }
  }

  /** Every request from now on draws its fault from {@code mix}. */
  public void setMix(FaultMix mix) {
    Objects.requireNonNull(mix, "mix");
    synchronized (lock) {
      requireOpen();
      this.mix = mix;
      listenAgain();
      log.debug("proxy {}: {}", config.name(), mix);
    }
  }

  /** Back to {@link Fault#pass()}. */
  public void heal() {
    setFault(Fault.pass());
  }

  /** The current mode, for logs: a fault or a mix. */
  public String mode() {
    FaultMix m = mix;
    return m != null ? m.toString() : fixed.toString();
  }

  /** RSTs every open connection (clients and their upstreams); returns how many. */
  public int cutAll() {
    int n = 0;
    for (ProxiedConnection c : open) {
      c.abort();
      n++;
    }
    return n;
  }

  public ProxyStats stats() {
    return counters.snapshot(open.size());
  }

  /** Stops listening, RSTs every connection and waits (up to 5 s) for every thread to end. */
  @Override
  public void close() {
    synchronized (lock) {
      if (closed) {
        return;
      }
      closed = true;
      stopListening();
    }
    cutAll();
    executor.shutdownNow();
    try {
      if (!executor.awaitTermination(5, TimeUnit.SECONDS)) {
        log.warn("proxy {}: threads still running 5 s after close", config.name());
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    log.debug("proxy {} closed: {}", config.name(), stats());
  }

  private static ServerSocket listen(ProxyConfig config, int port) throws IOException {
    ServerSocket ss = new ServerSocket();
    try {
      ss.setReuseAddress(true);
      ss.bind(new InetSocketAddress(config.bindAddress(), port), 1024); // a fleet connects at once
      return ss;
    } catch (IOException e) {
      ss.close();
      throw new IOException("proxy " + config.name() + " cannot listen on "
          + config.bindAddress().getHostAddress() + ":" + port + ": " + e.getMessage(), e);
    }
  }

  private void requireOpen() {
    if (closed) {
      throw new IllegalStateException("proxy " + config.name() + " is closed");
    }
  }

  /** Closes the listener and waits for its accept loop, which releases the port. */
  private void stopListening() {
    if (listener != null) {
      try {
        listener.close();
      } catch (IOException e) {
        log.debug("closing listener: {}", e.toString());
      }
      listener = null;
      try {
        accepting.get(2, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      } catch (ExecutionException | TimeoutException e) {
        log.warn("proxy {}: accept loop did not end cleanly: {}", config.name(), e.toString());
      }
    }
  }

  private void listenAgain() {
    if (listener == null) {
      try {
        listener = listen(config, port);
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
      accepting = acceptOn(listener);
    }
  }

  private Future<?> acceptOn(ServerSocket ss) {
    return executor.submit(() -> acceptLoop(ss));
  }

  private void acceptLoop(ServerSocket ss) {
    Host host = new Host();
    while (!ss.isClosed()) {
      Socket s;
      try {
        s = ss.accept();
        s.setTcpNoDelay(true);
      } catch (IOException e) {
        return; // listener closed (refuse or close)
      }
      ProxiedConnection c = new ProxiedConnection(s, host);
      open.add(c);
      counters.connectionAccepted();
      if (closed) {
        c.abort();
        return;
      }
      try {
        executor.execute(c::serve);
      } catch (RejectedExecutionException e) {
        c.abort();
        return;
      }
    }
  }

  /** What connections see of this proxy. */
  private final class Host implements ProxiedConnection.Host {
    @Override
    public Fault pick() {
      FaultMix m = mix;
      return m != null ? m.pick() : fixed;
    }

    @Override
    public ProxyCounters counters() {
      return counters;
    }

    @Override
    public InetSocketAddress target() {
      return config.target();
    }

    @Override
    public int connectTimeoutMillis() {
      return (int) Math.min(Integer.MAX_VALUE, config.connectTimeout().toMillis());
    }

    @Override
    public Executor executor() {
      return executor;
    }

    @Override
    public void closed(ProxiedConnection connection) {
      open.remove(connection);
    }
  }
}
