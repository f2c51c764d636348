package dev.outpost.server;

/** Where the server keeps what it receives. */
public enum StoreKind {
  /** Embedded SQLite at {@code dataDir/server.db}: nothing to install, one server process. */
  SQLITE,
  /** PostgreSQL (HikariCP pool): the production store; several server processes may share it. */
  POSTGRES
}
