/// Which of a host's rows a reading command copies out of the central store.
public enum CentralSelection: Sendable, Hashable {
    /// Every row: `verify`.
    case everything
    /// What `sessions` lists: connections, requests and responses without headers or bodies,
    /// reviews and bypass attempts.
    case sessions
    /// One run (`run<N>`) in full: the run, its requests with their responses, reviews and streams,
    /// its connections, and the earlier requests and responses of the objects it changed (their
    /// last recorded state).
    case run(Int64)
    /// One session (`c<N>`) in full: its connection, requests, responses, reviews and streams.
    case connection(Int64)
    /// One request (`r<N>`) in full, with its connection.
    case request(Int64)
    /// One bypass attempt (`g<N>`, by its seq).
    case guardEvent(Int64)
    /// Requests received in a time range (microseconds, inclusive) with their responses, reviews and
    /// connections, bodies as `bodies` says: `export`.
    case requests(since: Int64?, until: Int64?, bodies: Bool)
}
