package dev.outpost.server.internal;

import dev.outpost.core.Batch;
import dev.outpost.core.BatchResult;
import dev.outpost.core.Message;
import dev.outpost.core.RecordResult;
import dev.outpost.core.wire.BodyTooLargeException;
import dev.outpost.core.wire.ContentEncoding;
import dev.outpost.core.sync.Op;
import dev.outpost.core.wire.Protocol;
import dev.outpost.core.wire.RecordLimits;
import dev.outpost.core.wire.WireCodec;
import dev.outpost.core.wire.WireFormatException;
import dev.outpost.server.ServerConfig;
import io.helidon.http.HeaderName;
import io.helidon.http.HeaderNames;
import io.helidon.webserver.http.Handler;
import io.helidon.webserver.http.ServerRequest;
import io.helidon.webserver.http.ServerResponse;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CompletableFuture;

/**
 * {@code POST /v1/ingest}: authenticate, read a bounded body, inflate, decode, check each record,
 * store, answer one result per record. The answer is written only after the store's commit
 * returned. Whole-request problems (auth, size, encoding, syntax, another device's id) store
 * nothing; a bad record is rejected with a reason while its neighbours are stored. Stateless
 * apart from its collaborators; thread-safe.
 */
public final class IngestHandler implements Handler {
  /** Request: this batch's name, for a later batch's {@link #AFTER}. */
  public static final HeaderName BATCH = HeaderNames.create(Protocol.BATCH_HEADER);
  /** Request: store this batch only after the named one is committed (else 409). */
  public static final HeaderName AFTER = HeaderNames.create(Protocol.AFTER_HEADER);
  /** Response on every ingest answer: this server honours {@link #AFTER}. */
  public static final HeaderName CHAIN = HeaderNames.create(Protocol.CHAIN_HEADER);

  private final ServerConfig config;
  private final RecordLimits limits;
  private final SyncMerger sync;
  private final MessageStore store;
  private final DeviceRegistry devices;
  private final ServerMetrics metrics;
  private final BatchChains chains = new BatchChains();

  public IngestHandler(ServerConfig config, MessageStore store, DeviceRegistry devices, ServerMetrics metrics,
      SyncMerger sync) {
    this.sync = sync;
    this.config = config;
    this.limits = new RecordLimits(config.maxTopicBytes(), config.maxPayloadBytes(), config.maxHeaderBytes());
    this.store = store;
    this.devices = devices;
    this.metrics = metrics;
  }

  @Override
  public void handle(ServerRequest req, ServerResponse res) {
    long receivedAt = config.clock().millis();
    res.header(CHAIN, "1"); // this server stores chained batches in order (BatchChains)
    String device = authenticate(req);
    String batchId = BatchChains.id(BATCH.defaultCase(), req.headers().first(BATCH).orElse(null));
    String after = BatchChains.id(AFTER.defaultCase(), req.headers().first(AFTER).orElse(null));
    if (after != null && after.equals(batchId)) {
      // it would wait for its own commit, holding the request for the whole store timeout
      throw ApiException.badRequest("bad_chain_header",
          AFTER.defaultCase() + " names this batch itself ('" + after + "'): name the batch before it");
    }
    BatchChains.Link link = batchId == null ? null : chains.arrived(device, batchId);
    try {
      ingest(req, res, device, after, receivedAt, link);
    } finally {
      if (link != null) {
        link.failedUnlessQueued(); // refused before the store: successors chained to it fail too
      }
    }
  }

  /** Stores the batch and answers. */
  private void ingest(ServerRequest req, ServerResponse res, String device, String after,
      long receivedAt, BatchChains.Link link) {
    ContentEncoding encoding;
    try {
      encoding = ContentEncoding.parse(req.headers().first(HeaderNames.CONTENT_ENCODING).orElse(null));
    } catch (IllegalArgumentException e) {
      throw new ApiException(415, "unsupported_encoding", e.getMessage());
    }
    String contentType = req.headers().first(HeaderNames.CONTENT_TYPE).orElse(null);
    checkMediaType(contentType);
    byte[] raw = HttpBodies.read(req, config.maxBodyBytes());
    Batch batch = decode(contentType, encoding, raw);
    if (!batch.deviceId().equals(device)) {
      throw new ApiException(403, "wrong_device",
          "this token belongs to device '" + device + "' but the batch names device '" + batch.deviceId() + "'");
    }
    if (batch.size() > config.maxBatchRecords()) {
      throw new ApiException(413, "too_many_records",
          "batch has " + batch.size() + " records, over the limit of " + config.maxBatchRecords());
    }
    CompletableFuture<?> predecessor = after == null ? null : awaitPredecessor(device, after);
    int pending = store.pendingRecords();
    if (pending + batch.size() > config.maxPendingRecords()) {
      throw new ApiException(503, "overloaded",
          pending + " records are waiting for the store (limit " + config.maxPendingRecords() + "); retry later", 1);
    }

    RecordResult[] results = new RecordResult[batch.size()];
    List<Message> accepted = new ArrayList<>(batch.size());
    int[] acceptedAt = new int[batch.size()];
    List<Op> ops = null; // for each accepted record, the document op it carries (topic $sync), if any
    SyncMerger.BatchChecks syncChecks = null;
    for (int i = 0; i < batch.size(); i++) {
      Message m = batch.messages().get(i);
      String problem = problem(m);
      Op op = null;
      if (problem == null && Protocol.SYNC_TOPIC.equals(m.topic())) {
        if (syncChecks == null) {
          syncChecks = sync.batch(device);
        }
        SyncMerger.Checked checked = syncChecks.check(m);
        problem = checked.problem();
        op = checked.op();
      }
      if (problem != null) {
        results[i] = RecordResult.rejected(m.seq(), problem);
      } else {
        if (op != null && ops == null) {
          ops = new ArrayList<>(java.util.Collections.nCopies(accepted.size(), (Op) null));
        }
        if (ops != null) {
          ops.add(op);
        }
        acceptedAt[accepted.size()] = i;
        accepted.add(m);
      }
    }
    int rejected = batch.size() - accepted.size();
    long start = System.nanoTime();
    boolean[] stored;
    try {
      CompletableFuture<boolean[]> commit =
          store.submit(new MessageStore.Write(device, batch.epoch(), accepted, rejected, receivedAt,
              ops == null ? null : new MessageStore.SyncOps(ops, sync)), predecessor);
      if (link != null) {
        link.queued(commit); // successors chained to this batch may queue behind it now
      }
      stored = store.await(commit);
    } catch (StoreException e) {
      throw new ApiException(503, "store_unavailable", "the store did not commit: " + e.getMessage(), 2);
    } catch (PredecessorNotStoredException e) {
      throw notStored(after);
    }
    metrics.commit(System.nanoTime() - start);
    int storedCount = 0;
    for (int k = 0; k < accepted.size(); k++) {
      long seq = accepted.get(k).seq();
      results[acceptedAt[k]] = stored[k] ? RecordResult.stored(seq) : RecordResult.duplicate(seq);
      storedCount += stored[k] ? 1 : 0;
    }
    metrics.records(storedCount, accepted.size() - storedCount, rejected);
    boolean binary = WireCodec.acceptsBinary(req.headers().first(HeaderNames.ACCEPT).orElse(null));
    byte[] answer = WireCodec.encodeResult(new BatchResult(List.of(results), config.clock().millis()), binary);
    res.header(HeaderNames.CONTENT_TYPE, binary ? WireCodec.BINARY : WireCodec.JSON);
    res.send(answer);
  }

  /**
   * Waits until the batch named in Outpost-After is queued for the store and returns its commit;
   * 409 if it failed first or did not arrive in time.
   */
  private CompletableFuture<?> awaitPredecessor(String device, String after) {
    CompletableFuture<?> commit;
    try {
      commit = chains.awaitQueued(device, after, config.chainWait(), config.storeTimeout());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new ApiException(503, "shutting_down", "interrupted while waiting for batch '" + after + "'", 1);
    }
    if (commit.isCompletedExceptionally()) {
      throw notStored(after);
    }
    return commit;
  }

  private ApiException notStored(String after) {
    return new ApiException(409, "predecessor_not_stored", "the batch named in " + AFTER.defaultCase()
        + " ('" + after + "') was not stored: it failed, or did not arrive within " + config.chainWait()
        + "; nothing of this batch was stored, send both again");
  }

  private String authenticate(ServerRequest req) {
    String token = Tokens.bearer(req.headers().first(HeaderNames.AUTHORIZATION).orElse(null));
    if (token == null) {
      throw ApiException.unauthorized("missing 'Authorization: Bearer <device token>' header");
    }
    try {
      return devices.authenticate(token).orElseThrow(
          () -> ApiException.unauthorized("unknown or revoked device token"));
    } catch (StoreException e) {
      throw new ApiException(503, "store_unavailable", "cannot check the token: " + e.getMessage(), 2);
    }
  }

  private static void checkMediaType(String contentType) {
    if (contentType == null || contentType.isBlank()) {
      return;
    }
    String ct = contentType.toLowerCase(Locale.ROOT);
    if (!ct.startsWith(WireCodec.BINARY) && !ct.contains("json")) {
      throw new ApiException(415, "unsupported_media_type",
          "unsupported Content-Type '" + contentType + "' (supported: " + WireCodec.JSON + ", " + WireCodec.BINARY + ")");
    }
  }

  private Batch decode(String contentType, ContentEncoding encoding, byte[] raw) {
    byte[] body;
    try {
      body = encoding.decode(raw, config.maxInflatedBytes());
    } catch (BodyTooLargeException e) {
      throw new ApiException(413, "body_too_large", e.getMessage());
    } catch (WireFormatException e) {
      throw ApiException.badRequest("bad_encoding", e.getMessage());
    }
    try {
      return WireCodec.decodeBatch(contentType, body);
    } catch (WireFormatException e) {
      throw ApiException.badRequest("malformed_batch", e.getMessage());
    } catch (RuntimeException e) {
      // The codec validates fields itself; anything else it throws is still the body's fault.
      throw ApiException.badRequest("malformed_batch", "cannot decode the batch: " + e.getMessage());
    }
  }

  /** Why a record cannot be stored, or null if it can: the same check the edge makes at append. */
  String problem(Message m) {
    return limits.problem(m);
  }
}
