package dev.outpost.sim;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.Objects;

/**
 * Immutable settings of a {@link FaultProxy}. Build with {@link #builder(InetSocketAddress)};
 * invalid values fail in the setter with a message naming the value.
 *
 * @param target where requests are forwarded (loopback in our use)
 * @param bindAddress the listening address, 127.0.0.1 by default
 * @param port the listening port, 0 (any free port) by default
 * @param connectTimeout how long a connect to the target may take before the client is cut
 * @param name short name used in thread names ({@code outpost-proxy-<name>-…}) and logs
 */
public record ProxyConfig(
    InetSocketAddress target,
    InetAddress bindAddress,
    int port,
    Duration connectTimeout,
    String name) {

  /** Every thread of a proxy is named {@code THREAD_PREFIX + name + "-…"}. */
  public static final String THREAD_PREFIX = "outpost-proxy-";

  public ProxyConfig {
    Objects.requireNonNull(target, "target");
    Objects.requireNonNull(bindAddress, "bindAddress");
    checkPort(port);
    checkTimeout(connectTimeout);
    checkName(name);
  }

  private static int checkPort(int port) {
    if (port < 0 || port > 65535) {
      throw new IllegalArgumentException("port must be 0..65535, was " + port);
    }
    return port;
  }

  private static Duration checkTimeout(Duration connectTimeout) {
    if (connectTimeout == null || connectTimeout.isNegative() || connectTimeout.isZero()) {
      throw new IllegalArgumentException("connectTimeout must be > 0, was " + connectTimeout);
    }
    return connectTimeout;
  }

  private static String checkName(String name) {
    if (name == null || !name.matches("[A-Za-z0-9._-]{1,40}")) {
      throw new IllegalArgumentException(
          "name must be 1..40 characters of [A-Za-z0-9._-], was '" + name + "'");
    }
    return name;
  }

  public static Builder builder(InetSocketAddress target) {
    return new Builder(target);
  }

  public Builder newBuilder() {
    return new Builder(target).bindAddress(bindAddress).port(port)
        .connectTimeout(connectTimeout).name(name);
  }

  /** Builder with validating setters. Not thread-safe. */
  public static final class Builder {
    private final InetSocketAddress target;
    private InetAddress bindAddress = InetAddress.getLoopbackAddress();
    private int port;
    private Duration connectTimeout = Duration.ofSeconds(2);
    private String name = "proxy";

    private Builder(InetSocketAddress target) {
      this.target = Objects.requireNonNull(target, "target");
      if (target.isUnresolved()) {
        throw new IllegalArgumentException("target " + target + " is unresolved");
      }
    }

    public Builder bindAddress(InetAddress bindAddress) {
      this.bindAddress = Objects.requireNonNull(bindAddress, "bindAddress");
      return this;
    }

    public Builder port(int port) {
      this.port = checkPort(port);
      return this;
    }

    public Builder connectTimeout(Duration connectTimeout) {
      this.connectTimeout = checkTimeout(connectTimeout);
      return this;
    }

    public Builder name(String name) {
      this.name = checkName(name);
      return this;
    }

    public ProxyConfig build() {
      return new ProxyConfig(target, bindAddress, port, connectTimeout, name);
    }
  }
}
