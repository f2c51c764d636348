package dev.outpost.sim.internal;

import dev.outpost.sim.Fault;
import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One client connection through the proxy and its (lazily opened) connection to the target.
 *
 * <p>Two threads: {@link #serve()} reads HTTP/1.1 requests from the client one at a time, asks
 * the host for a fault per request and acts on it; a second thread, started with the upstream
 * socket, copies the server's bytes back. Responses are not parsed: clients do not pipeline, so
 * any server bytes after a request was forwarded belong to that request's answer — that is what
 * lets {@code LOSE_ANSWER} cut exactly when the server has committed and started to answer.
 *
 * <p>Thread-safe; closing is idempotent. An abort sends TCP RST to both sides.
 */
public final class ProxiedConnection {
  private static final Logger log = LoggerFactory.getLogger(ProxiedConnection.class);
  private static final HttpRequestHead.Sink DISCARD = (b, off, len) -> { };

  /** What a connection needs from its proxy. */
  public interface Host {
    /** The fault for the request just read. */
    Fault pick();

    ProxyCounters counters();

    InetSocketAddress target();

    int connectTimeoutMillis();

    Executor executor();

    void closed(ProxiedConnection connection);
  }

  private final Socket client;
  private final Host host;
  private final ProxyCounters counters;
  private final Object clientWriteLock = new Object();
  private final AtomicBoolean closed = new AtomicBoolean();
  private volatile Socket upstream;
  private volatile int downRate;
  private volatile boolean loseAnswer;

  public ProxiedConnection(Socket client, Host host) {
    this.client = client;
    this.host = host;
    this.counters = host.counters();
  }

  /** Serves the client's requests until it leaves, a fault ends the connection, or close. */
  public void serve() {
    try {
      InputStream in = new BufferedInputStream(client.getInputStream(), 8192);
      while (!closed.get()) {
        HttpRequestHead head = HttpRequestHead.read(in);
        if (head == null) {
          close(); // the client closed its kept-alive connection
          return;
        }
        counters.requests.increment();
        Fault fault = host.pick();
        log.debug("{} -> {}", head.requestLine(), fault);
        switch (fault.kind()) {
          case PASS, TRICKLE, LOSE_ANSWER -> {
            if (!forward(in, head, fault)) {
              return;
            }
          }
          case HTTP_STATUS -> {
            if (!head.expectContinue()) { // else the body may never come: answer, then close
              head.copyBody(in, DISCARD);
            }
            // Count before answering: a client holding the answer must see the fault counted.
            counters.fault(Fault.Kind.HTTP_STATUS);
            answer(fault);
            if (head.connectionClose() || head.expectContinue()) {
              close();
              return;
            }
          }
          case BLACKHOLE -> {
            counters.fault(Fault.Kind.BLACKHOLE);
            swallow(in);
            return;
          }
          case RESET -> {
            counters.fault(Fault.Kind.RESET);
            resetMidRequest(in, head);
            return;
          }
          case REFUSE -> {
            counters.fault(Fault.Kind.REFUSE);
            abort();
            return;
          }
        }
      }
    } catch (IOException e) {
      if (!closed.get()) {
        log.debug("client connection ended: {}", e.toString());
      }
      abort();
    }
  }

  private boolean forward(InputStream in, HttpRequestHead head, Fault fault) throws IOException {
    Socket up = upstream();
    if (up == null) {
      return false;
    }
    int rate = fault.kind() == Fault.Kind.TRICKLE ? fault.bytesPerSecond() : 0;
    downRate = rate;
    loseAnswer = fault.kind() == Fault.Kind.LOSE_ANSWER;
    if (fault.kind() != Fault.Kind.LOSE_ANSWER) {
      counters.fault(fault.kind()); // LOSE_ANSWER counts when an answer is really swallowed
    }
    OutputStream out = up.getOutputStream();
    Pacer.write(out, head.bytes(), 0, head.bytes().length, rate);
    counters.bytesUp.add(head.bytes().length);
    head.copyBody(in, (b, off, len) -> {
      Pacer.write(out, b, off, len, rate);
      counters.bytesUp.add(len);
    });
    return true;
  }

  /** The connection to the target, opened on first use; null (client cut) if that fails. */
  private Socket upstream() {
    Socket up = upstream;
    if (up != null) {
      return up;
    }
    up = new Socket();
    try {
      up.setTcpNoDelay(true);
      up.connect(host.target(), host.connectTimeoutMillis());
    } catch (IOException e) {
      counters.upstreamFailures.increment();
      log.debug("cannot reach target {}: {}", host.target(), e.toString());
      closeQuietly(up);
      abort();
      return null;
    }
    upstream = up;
    if (closed.get()) { // closed while connecting: do not leak the new socket
      rst(up);
      return null;
    }
    try {
      host.executor().execute(this::pumpAnswers);
    } catch (RejectedExecutionException e) {
      abort(); // the proxy is closing
      return null;
    }
    return up;
  }

  /** Copies the server's bytes to the client; swallows the answer and cuts for LOSE_ANSWER. */
  private void pumpAnswers() {
    Socket up = upstream;
    byte[] buf = new byte[8192];
    try {
      InputStream in = up.getInputStream();
      OutputStream out = client.getOutputStream();
      int n;
      while ((n = in.read(buf)) >= 0) {
        if (loseAnswer) {
          counters.fault(Fault.Kind.LOSE_ANSWER);
          log.debug("lost an answer of {} bytes (and the connection) on purpose", n);
          abort();
          return;
        }
        synchronized (clientWriteLock) {
          Pacer.write(out, buf, 0, n, downRate);
        }
        counters.bytesDown.add(n);
      }
      close(); // the server closed: pass that on
    } catch (IOException e) {
      abort();
    }
  }

  private void answer(Fault fault) throws IOException {
    String body = "{\"error\":{\"code\":\"injected_" + fault.status()
        + "\",\"message\":\"fault injected by the Outpost FaultProxy\"}}";
    StringBuilder head = new StringBuilder()
        .append("HTTP/1.1 ").append(fault.status()).append(' ').append(reason(fault.status()))
        .append("\r\nContent-Type: application/json\r\nContent-Length: ").append(body.length())
        .append("\r\n");
    if (fault.retryAfterSeconds() >= 0) {
      head.append("Retry-After: ").append(fault.retryAfterSeconds()).append("\r\n");
    }
    byte[] bytes = head.append("\r\n").append(body).toString().getBytes(StandardCharsets.US_ASCII);
    synchronized (clientWriteLock) {
      OutputStream out = client.getOutputStream();
      out.write(bytes);
      out.flush();
    }
  }

  private static String reason(int status) {
    return switch (status) {
      case 400 -> "Bad Request";
      case 408 -> "Request Timeout";
      case 429 -> "Too Many Requests";
      case 500 -> "Internal Server Error";
      case 502 -> "Bad Gateway";
      case 503 -> "Service Unavailable";
      case 504 -> "Gateway Timeout";
      default -> "Injected Fault";
    };
  }

  /** Reads and drops everything the client sends until it gives up. */
  private void swallow(InputStream in) throws IOException {
    byte[] buf = new byte[8192];
    while (in.read(buf) >= 0) {
      // never forwarded, never answered
    }
    close();
  }

  /**
   * Tears the request: forwards the head and half of a Content-Length body (or, without such a
   * body, half of the head), so the server sees a request that stops mid-way, then RSTs both.
   */
  private void resetMidRequest(InputStream in, HttpRequestHead head) throws IOException {
    Socket up = upstream();
    if (up == null) {
      return;
    }
    OutputStream out = up.getOutputStream();
    long half = head.contentLength() / 2;
    if (half > 0 && !head.expectContinue()) {
      out.write(head.bytes());
      byte[] buf = new byte[8192];
      long sent = 0;
      for (int n; sent < half && (n = in.read(buf, 0, (int) Math.min(buf.length, half - sent))) > 0; ) {
        out.write(buf, 0, n);
        sent += n;
      }
      counters.bytesUp.add(head.bytes().length + sent);
    } else {
      out.write(head.bytes(), 0, head.bytes().length / 2);
      counters.bytesUp.add(head.bytes().length / 2);
    }
    out.flush();
    abort();
  }

  /** Cuts both sides with a TCP RST. Idempotent. */
  public void abort() {
    end(true);
  }

  /** Closes both sides in order (FIN). Idempotent. */
  public void close() {
    end(false);
  }

  private void end(boolean reset) {
    if (closed.compareAndSet(false, true)) {
      Socket up = upstream;
      for (Socket s : up == null ? new Socket[] {client} : new Socket[] {client, up}) {
        if (reset) {
          rst(s);
        } else {
          closeQuietly(s);
        }
      }
      host.closed(this);
    }
  }

  private static void rst(Socket s) {
    try {
      s.setSoLinger(true, 0);
    } catch (IOException e) {
      // already closed: nothing to reset
    }
    closeQuietly(s);
  }

  private static void closeQuietly(Socket s) {
    try {
      s.close();
    } catch (IOException e) {
      // closing is best effort; the socket is gone either way
    }
  }
}
