package dev.outpost.cli;

import dev.outpost.server.DeviceInfo;
import dev.outpost.server.ServerStore;
import java.io.PrintWriter;
import java.time.Instant;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/** {@code outpost device add|list|revoke}: the devices allowed to write to a server's store. */
@Command(name = "device", mixinStandardHelpOptions = true,
    description = "Manage devices and their tokens in a server store.",
    subcommands = {CommandLine.HelpCommand.class})
public final class DeviceCommand implements Runnable {
  @Spec CommandSpec spec;

  @Override
  public void run() {
    throw new CommandLine.ParameterException(spec.commandLine(), "a subcommand is required: add, list or revoke");
  }

  @Command(name = "add", mixinStandardHelpOptions = true,
      description = "Create a device and print its token (shown only now; only its hash is stored).")
  int add(@Parameters(paramLabel = "ID", description = "device id") String id, @Mixin StoreOptions where) {
    try (ServerStore store = ServerStore.open(where.configure().build())) {
      String token = store.devices().add(id);
      PrintWriter out = spec.commandLine().getOut();
      out.println("device " + id + " added; its token (shown once, keep it):");
      out.println(token);
      return 0;
    }
  }

  @Command(name = "list", mixinStandardHelpOptions = true, description = "List devices with their counters.")
  int list(@Mixin StoreOptions where) {
    try (ServerStore store = ServerStore.open(where.configure().build())) {
      PrintWriter out = spec.commandLine().getOut();
      out.printf("%-24s %-8s %12s %12s %10s  %s%n", "DEVICE", "STATE", "STORED", "DUPLICATES", "REJECTED", "LAST SEEN");
      for (DeviceInfo d : store.devices().list()) {
        out.printf("%-24s %-8s %12d %12d %10d  %s%n", d.deviceId(), d.revoked() ? "revoked" : "active",
            d.stored(), d.duplicates(), d.rejected(), d.lastSeen() == 0 ? "never" : Instant.ofEpochMilli(d.lastSeen()));
      }
      return 0;
    }
  }

  @Command(name = "revoke", mixinStandardHelpOptions = true, description = "Revoke a device's token.")
  int revoke(@Parameters(paramLabel = "ID", description = "device id") String id, @Mixin StoreOptions where) {
    try (ServerStore store = ServerStore.open(where.configure().build())) {
      if (!store.devices().revoke(id)) {
        spec.commandLine().getErr().println("outpost: no active device '" + id + "'");
        return 1;
      }
      spec.commandLine().getOut().println("device " + id + " revoked");
      return 0;
    }
  }
}
