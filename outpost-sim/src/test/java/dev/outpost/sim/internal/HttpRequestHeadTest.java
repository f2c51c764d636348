package dev.outpost.sim.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class HttpRequestHeadTest {
  private static InputStream in(String s) {
    return new ByteArrayInputStream(s.getBytes(StandardCharsets.ISO_8859_1));
  }

  private static String body(HttpRequestHead head, InputStream in) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    head.copyBody(in, out::write);
    return out.toString(StandardCharsets.ISO_8859_1);
  }

  @Test
  void readsKeptAliveRequestsOneAfterAnother() throws IOException {
    InputStream in = in("POST /a HTTP/1.1\r\nContent-Length: 5\r\n\r\nhello"
        + "\r\nGET /b HTTP/1.1\r\nHost: x\r\n\r\n");
    HttpRequestHead first = HttpRequestHead.read(in);
    assertThat(first.requestLine()).isEqualTo("POST /a HTTP/1.1");
    assertThat(body(first, in)).isEqualTo("hello");
    HttpRequestHead second = HttpRequestHead.read(in); // after a stray CRLF
    assertThat(second.requestLine()).isEqualTo("GET /b HTTP/1.1");
    assertThat(body(second, in)).isEmpty();
    assertThat(HttpRequestHead.read(in)).isNull();
  }

  @Test
  void copiesAChunkedBodyWithExtensionsAndTrailersVerbatim() throws IOException {
    String chunked = "5;ext=1\r\nhello\r\n1\r\n!\r\n0\r\nX-Trailer: t\r\n\r\n";
    InputStream in = in("POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n" + chunked + "NEXT");
    HttpRequestHead head = HttpRequestHead.read(in);
    assertThat(body(head, in)).isEqualTo(chunked);
    assertThat(new String(in.readAllBytes(), StandardCharsets.ISO_8859_1)).isEqualTo("NEXT");
  }

  @Test
  void stripsAnH2cUpgradeOfferButKeepsConnectionClose() throws IOException {
    HttpRequestHead head = HttpRequestHead.read(in("GET / HTTP/1.1\r\nHost: x\r\n"
        + "Connection: Upgrade, HTTP2-Settings, close\r\nUpgrade: h2c\r\nHTTP2-Settings: AAA\r\n\r\n"));
    String forwarded = new String(head.bytes(), StandardCharsets.ISO_8859_1);
    assertThat(forwarded).isEqualTo("GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    assertThat(head.connectionClose()).isTrue();
  }

  @Test
  void malformedTornOrHugeHeadsFailWithAReason() {
    assertThatThrownBy(() -> HttpRequestHead.read(in("NONSENSE\r\n\r\n")))
        .hasMessageContaining("malformed request line");
    assertThatThrownBy(() -> HttpRequestHead.read(in("GET / HTTP/1.1\r\nHost")))
        .hasMessageContaining("ended inside a request head");
    assertThatThrownBy(() -> HttpRequestHead.read(in("GET / HTTP/1.1\r\nX: " + "y".repeat(70_000))))
        .hasMessageContaining("larger than");
    assertThatThrownBy(() -> body(HttpRequestHead.read(in("POST / HTTP/1.1\r\nContent-Length: 9\r\n\r\nabc")),
        in(""))).hasMessageContaining("9 body bytes missing");
  }
}
