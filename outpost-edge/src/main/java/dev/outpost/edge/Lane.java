package dev.outpost.edge;

import dev.outpost.core.Priority;

/** A (topic, priority) pair: the unit within which order is FIFO by seq. */
public record Lane(String topic, Priority priority) {}
