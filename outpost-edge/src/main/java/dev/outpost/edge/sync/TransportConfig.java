package dev.outpost.edge.sync;

import dev.outpost.core.wire.ContentEncoding;
import dev.outpost.core.wire.WireCodec;
import java.net.URI;
import java.time.Duration;
import java.util.Objects;

/**
 * Where the server is and how a transport talks to it: the server's URI, the device's identity and
 * token, the body encoding and the timeouts of one request. Every transport takes this (the HTTP
 * one today); TLS settings belong here. Immutable; build with {@link #builder}, usually through
 * {@link SyncConfig#builder}.
 */
public final class TransportConfig {
  private final URI server;
  private final String deviceId;
  private final String deviceToken;
  private final String contentType;
  private final ContentEncoding contentEncoding;
  private final Duration connectTimeout;
  private final Duration requestTimeout;

  private TransportConfig(Builder b) {
    server = b.server;
    deviceId = b.deviceId;
    deviceToken = b.deviceToken;
    contentType = b.contentType;
    contentEncoding = b.contentEncoding;
    connectTimeout = b.connectTimeout;
    requestTimeout = b.requestTimeout;
  }

  /**
   * @param server the server's base URI, e.g. {@code http://10.0.0.5:8080}
   * @param deviceId this device's id as registered on the server
   * @param deviceToken the device's bearer token
   */
  public static Builder builder(URI server, String deviceId, String deviceToken) {
    return new Builder(server, deviceId, deviceToken);
  }

  public Builder newBuilder() {
    return new Builder(server, deviceId, deviceToken).contentType(contentType).contentEncoding(contentEncoding)
        .connectTimeout(connectTimeout).requestTimeout(requestTimeout);
  }

  public URI server() { return server; }
  public String deviceId() { return deviceId; }
  public String deviceToken() { return deviceToken; }
  /** {@link WireCodec#BINARY} (default) or {@link WireCodec#JSON}. */
  public String contentType() { return contentType; }
  /** Default zstd. */
  public ContentEncoding contentEncoding() { return contentEncoding; }
  /** Default 5 s. */
  public Duration connectTimeout() { return connectTimeout; }
  /** A request without a full answer after this is a TIMEOUT. Default 30 s. */
  public Duration requestTimeout() { return requestTimeout; }

  /** Never shows the token. */
  @Override
  public String toString() {
    return "server=" + server + ", deviceId=" + deviceId + ", contentType=" + contentType + ", contentEncoding="
        + contentEncoding + ", connectTimeout=" + connectTimeout + ", requestTimeout=" + requestTimeout;
  }

  public static final class Builder {
    private final URI server;
    private final String deviceId;
    private final String deviceToken;
    private String contentType = WireCodec.BINARY;
    private ContentEncoding contentEncoding = ContentEncoding.ZSTD;
    private Duration connectTimeout = Duration.ofSeconds(5);
    private Duration requestTimeout = Duration.ofSeconds(30);

    private Builder(URI server, String deviceId, String deviceToken) {
      Objects.requireNonNull(server, "server");
      String scheme = server.getScheme();
      if (!"http".equalsIgnoreCase(scheme) && !"https".equalsIgnoreCase(scheme)) {
        throw new IllegalArgumentException("server must be an http:// or https:// URI, was " + server);
      }
      if (deviceId == null || deviceId.isBlank()) {
        throw new IllegalArgumentException("deviceId is missing");
      }
      if (deviceToken == null || deviceToken.isBlank()) {
        throw new IllegalArgumentException("deviceToken is missing");
      }
      this.server = server;
      this.deviceId = deviceId;
      this.deviceToken = deviceToken;
    }

    public Builder contentType(String type) {
      if (!WireCodec.BINARY.equals(type) && !WireCodec.JSON.equals(type)) {
        throw new IllegalArgumentException(
            "contentType must be " + WireCodec.BINARY + " or " + WireCodec.JSON + ", was " + type);
      }
      this.contentType = type;
      return this;
    }

    public Builder contentEncoding(ContentEncoding e) {
      this.contentEncoding = Objects.requireNonNull(e, "contentEncoding");
      return this;
    }

    public Builder connectTimeout(Duration d) {
      this.connectTimeout = Durations.positive(d, "connectTimeout");
      return this;
    }

    public Builder requestTimeout(Duration d) {
      this.requestTimeout = Durations.positive(d, "requestTimeout");
      return this;
    }

    public TransportConfig build() {
      return new TransportConfig(this);
    }
  }
}
