package dev.outpost.core;

import java.util.List;

/** The server's answer to one ingest request: one result per record, plus its clock. */
public record BatchResult(List<RecordResult> results, long serverTimeMillis) {
  public BatchResult {
    results = List.copyOf(results);
  }
}
