package dev.outpost.sqlite;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.util.Properties;

/** Opening an SQLite file the way every Outpost store does. Stateless. */
public final class SqliteFiles {
  private SqliteFiles() {}

  /**
   * A connection to {@code file} (created if missing), with the driver's retrieval of generated
   * keys off: otherwise every INSERT run with {@code executeUpdate} is followed by a freshly
   * prepared {@code SELECT last_insert_rowid()} (a tenth of a replica's initial sync went there),
   * and no store of ours reads generated keys.
   */
  public static Connection open(Path file) throws SQLException {
    Properties p = new Properties();
    p.setProperty("jdbc.get_generated_keys", "false");
    return DriverManager.getConnection("jdbc:sqlite:" + file.toAbsolutePath(), p);
  }
}
