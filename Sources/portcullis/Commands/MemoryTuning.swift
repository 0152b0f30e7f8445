import CMalloc

/// glibc malloc's tuning for a gateway that holds many idle connections (watches, followed logs).
///
/// NIOSSL gives every TLS connection a 32 KiB plaintext read buffer for its whole life, and a watch
/// holds two TLS connections (the agent's and the API server's). On the heap, such a buffer reuses
/// pages other allocations already touched, so all 32 KiB count in RSS; mapped on its own, only the
/// pages written count, one for an idle watch. Allocations of ``mmapThreshold`` bytes or more are
/// therefore mapped. Setting the threshold also stops glibc from raising it after large frees.
///
/// An operator's `MALLOC_MMAP_THRESHOLD_` (glibc's own variable) wins: then nothing is changed.
enum MemoryTuning {
    static let mmapThreshold: Int32 = 32 * 1024

    /// Call once, before connections are accepted; returns the threshold in force, nil if unchanged.
    @discardableResult
    static func apply(environment: [String: String]) -> Int32? {
        guard environment["MALLOC_MMAP_THRESHOLD_"] == nil else { return nil }
        return portcullis_set_mmap_threshold(mmapThreshold) == 1 ? mmapThreshold : nil
    }
}
