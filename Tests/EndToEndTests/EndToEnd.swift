import Testing

/// Every end-to-end suite that builds namespaces, starts servers or runs kubectl is nested here, so
/// they run one after another: on a 2-core CI machine, parallel namespaces and kubectl processes
/// starve each other and turn bounded waits into flakes. Each nested suite still gates itself on
/// root (or Python) as it needs.
@Suite(.serialized) enum EndToEnd {}
