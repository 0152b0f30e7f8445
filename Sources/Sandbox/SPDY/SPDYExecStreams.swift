import Kube

/// The SPDY streams of one exec or attach session, as the kubelet keeps them: which stream carries
/// which channel, and whether every stream the request asked for is open, so the command may start.
///
/// The request's query decides what is expected: the error stream always, stdin, stdout and stderr
/// when asked for (stderr never with a tty), and resize with a tty. Pure bookkeeping, no I/O.
struct SPDYExecStreams: Sendable, Equatable {
    enum Decision: Sendable, Equatable {
        /// Reply with SYN_REPLY; `nil`: a stream type this session does not use (replied to, then ignored).
        case accept(RemoteCommandStreamType?)
        case refuse(SPDYResetStatus)
    }

    let expected: Set<RemoteCommandStreamType>
    private(set) var ids: [RemoteCommandStreamType: UInt32] = [:]
    /// Accepted streams, whatever their type, that neither side has reset.
    private(set) var open: Set<UInt32> = []
    private(set) var lastStreamID: UInt32 = 0

    init(stdin: Bool, stdout: Bool, stderr: Bool, tty: Bool) {
        var expected: Set<RemoteCommandStreamType> = [.error]
        if stdin { expected.insert(.stdin) }
        if stdout { expected.insert(.stdout) }
        if stderr, !tty { expected.insert(.stderr) }
        if tty { expected.insert(.resize) }
        self.expected = expected
    }

    /// Every expected stream is open: the command can run.
    var isComplete: Bool { expected.allSatisfy { ids[$0] != nil } }

    /// Decides on a client's SYN_STREAM. Client streams have odd, increasing IDs; each type may be
    /// opened once; once the session has started no more streams are taken.
    mutating func open(_ syn: SPDYSynStream) -> Decision {
        guard syn.streamID % 2 == 1, syn.streamID > lastStreamID else { return .refuse(.protocolError) }
        lastStreamID = syn.streamID
        guard !isComplete else { return .refuse(.refusedStream) }
        guard let type = RemoteCommandStreamType(headers: syn.headers) else {
            open.insert(syn.streamID)
            return .accept(nil)
        }
        guard ids[type] == nil else { return .refuse(.protocolError) }
        ids[type] = syn.streamID
        open.insert(syn.streamID)
        return .accept(type)
    }

    func type(of streamID: UInt32) -> RemoteCommandStreamType? {
        ids.first { $0.value == streamID }?.key
    }

    func isOpen(_ streamID: UInt32) -> Bool { open.contains(streamID) }

    /// The stream was reset (by either side): nothing more is written on it.
    mutating func reset(_ streamID: UInt32) {
        open.remove(streamID)
    }
}
