package dev.outpost.edge;

import dev.outpost.core.Message;
import java.time.Instant;

/** A record the server refused for good, kept with the reason until retried or purged. */
public record DeadLetter(Message message, String reason, int attempts, Instant deadAt) {}
