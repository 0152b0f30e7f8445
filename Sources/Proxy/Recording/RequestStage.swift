/// The stages of a request through the gateway, in order, as `portcullis_request_stage_seconds{stage}`
/// measures them (bench/results.md shows where the time goes).
public enum RequestStage: String, Sendable, CaseIterable {
    /// From the accepted socket to the end of the TLS handshake (once per connection).
    case acceptAndTLS = "accept_tls"
    /// A token answered from the cache.
    case authenticationCached = "authentication_cached"
    /// A token whose signature was checked (or that was refused).
    case authenticationVerified = "authentication_verified"
    case policy
    /// The wait for the request's record to be committed.
    case requestRecord = "request_record"
    /// From the commit to a connection to the API server: one from the pool, or a new one.
    case upstreamCheckout = "upstream_checkout"
    /// From sending the request to the response's head.
    case upstreamFirstByte = "upstream_first_byte"
    /// From sending the request to the response's end.
    case upstreamLastByte = "upstream_last_byte"
    /// From the response's end to its record's commit.
    case responseRecord = "response_record"
    /// From the record's commit to the response written to the client's socket.
    case delivery

    /// The histogram's name.
    public static let metricName = "portcullis_request_stage_seconds"
}
