import Kube

/// The tamper-evident record: every connection, request, response and stream in SQLite, written
/// by one group-commit writer, hash-chained, and read back as sessions, replays and
/// audit.k8s.io/v1 exports.
///
/// The Store issue fills this module.
public enum Store {}
