package dev.outpost.edge.sync;

import dev.outpost.core.LinkState;

/** Told about every link state change, on the thread that observed it; must return quickly. */
@FunctionalInterface
public interface LinkListener {
  void onLinkStateChange(LinkState from, LinkState to);
}
