package dev.outpost.sim.internal;

import dev.outpost.core.MessageId;
import dev.outpost.core.Priority;

/** One record as the server's read-back API returned it (only what the checker compares). */
public record StoredRecord(long serverSeq, MessageId id, String topic, Priority priority) {}
